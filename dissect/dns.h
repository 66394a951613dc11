/* dns.h - the DNS dissector: messages over UDP and TCP, each query paired
 * with its response (RFC 1035 4.1, 4.2.1, 4.2.2; RFC 7766 6.2.1; RFC 6891
 * 6.1; RFC 5936 2.2 for AXFR over several messages).
 *
 * Every message is framed with util/cur.h (over TCP: the two-byte length,
 * several messages per stream), its names walked (dnswire.h: compression
 * pointers that point back, within bounds) and parsed by ldns_wire2pkt().
 * A query waits in its flow for the response with the same id and question
 * from the other side; each pair becomes one REC_DNS record (record.h). A
 * response without a query, a query without a response (when the flow
 * ends), and a message ldns cannot parse are records too, with the missing
 * side NULL, and each raises an event (layer "dns"):
 *   dns_malformed     ldns refused the message, or its compression pointers
 *                     break RFC 1035 4.1.4 (dnswire.h; the reason in the
 *                     detail)
 *   dns_unsolicited   a response whose query the flow never carried
 *   dns_unanswered    a query still without a response when the flow ended,
 *                     or pushed out by DNS_MAX_PENDING, or by --max-held-mem
 *                     (said whatever the flow: reassembly says nothing of
 *                     memory refused while a datagram is delivered)
 *   dns_cut           TCP: a message cut short by a gap or the end
 *   dns_framing_lost  TCP: a gap (or DNS_MAX_BAD_RUN unparsable messages in
 *                     a row): the length prefixes cannot be trusted
 *   dns_resync        TCP: messages were found again after framing was lost
 * mDNS (5353) and LLMNR (5355) answer by multicast or to another flow, so
 * their unsolicited and unanswered messages are records without events.
 *
 * Records are emitted as soon as they complete: a response (or its query's
 * end) completes a pair. The ldns packets they carry live until the sinks
 * return.
 */
#ifndef SS_DNS_H
#define SS_DNS_H

#include "stream.h"

/* Queries awaiting a response per flow, and the bytes they hold. The oldest
 * is reported unanswered to make room. Fixed limits rather than options: a
 * resolver has far fewer outstanding queries per 5-tuple. Times
 * --max-flows they would be 64 GB: what all flows hold (the bytes and the
 * slots, some 300 bytes each) counts in --max-held-mem, and past it the
 * flow's oldest queries make room, or the new one is not kept. */
#define DNS_MAX_PENDING 256
#define DNS_MAX_PENDING_BYTES (256u << 10)
/* TCP: unparsable messages in a row after which a direction's length
 * prefixes are no longer believed (it is resynchronised as after a gap). */
#define DNS_MAX_BAD_RUN 4
/* TCP resynchronisation: candidate messages parsed with ldns per call,
 * candidates waiting for more bytes, and bytes held while looking, so that
 * crafted bytes cannot make a gap cost more than this per segment. A
 * message longer than the hold is no resync point. */
#define DNS_RESYNC_TRIES 16
#define DNS_RESYNC_CANDS 8
#define DNS_RESYNC_HOLD 16384

/* The protocol entry, for tests; protos.c's table names the same
 * callbacks. port_hint is dissect/probe.c's port_dns(). */
const struct ss_proto *dns_proto(void);

/* The probe (RFC 1035 4.1.1): only on the DNS ports (53, 5353, 5355), a
 * header whose counts fit the message. Over UDP a datagram that fails that
 * test is still left to the port (SS_PROBE_MORE): on port 53 it is a
 * malformed DNS message, and is reported as one. */
enum ss_probe dns_probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);

/* The callbacks (see stream.h for their contracts). open() returns NULL
 * when memory runs out; the others accept a NULL state and then only
 * consume. close() reports what is still pending and frees the state. */
void *dns_open(const struct ss_flow *f, void *ctx);
size_t dns_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at);
void dns_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at);
void dns_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at);
void dns_close(void *st, const struct ss_flow *f, const struct ss_pos *at);

#endif
