/* tlsproto.h - the TLS parser (tls.h) as the dissectors use it: a session
 * that says its anomalies as events of the flow, counts what it holds in
 * --max-held-mem's account, and leaves notes on the timeline (what the
 * handshake chose, and at the end what was carried); for the text
 * protocols after STARTTLS / STLS, and as a protocol of its own for
 * implicit TLS (SMTPS 465, IMAPS 993, POP3S 995, and TLS found elsewhere).
 *
 * Notes (REC_NOTE, of the session's protocol):
 *   "tls_handshake"  once, when the handshake says all it will without keys:
 *                    at a ServerHello choosing TLS 1.3, at the server's
 *                    ServerHelloDone (TLS <= 1.2, full), or at the server's
 *                    ChangeCipherSpec (TLS <= 1.2, resumed); the detail is
 *                    tls_describe()'s line.
 *   "tls_end"        when the flow ends: records and bytes each way, and the
 *                    line, if no tls_handshake note said it.
 * Events: the parser's (tls.h), as ss_eventf(PROTOCOL, what, ...) with the
 * flow's id, e.g. "smtp tls_record_overflow".
 */
#ifndef SS_TLSPROTO_H
#define SS_TLSPROTO_H

#include "protos.h"
#include "record.h"
#include "tls.h"

struct tls_session;

/* A session on flow f (which must outlive it) for protocol p; NULL without
 * memory. */
struct tls_session *tls_session_new(const struct ss_flow *f, enum rec_proto p,
                                    const struct dissect_opts *o);
/* What the parser learned so far (read only). */
const struct tls_flow *tls_session_flow(const struct tls_session *s);
/* Decrypted application data of d (--keylog): p[0..n), at->off its offset
 * in d's plaintext, frame and ts the record's. */
typedef void tls_plain_fn(void *ctx, enum ss_dir d, const uint8_t *p, size_t n,
                          const struct ss_pos *at);
/* Who reads it; without a reader (or without keys) it is only counted. */
void tls_session_plain(struct tls_session *s, tls_plain_fn *fn, void *ctx);
/* Bytes of d from where TLS starts (the byte after the line that accepted
 * STARTTLS); every byte is taken. */
void tls_session_data(struct tls_session *s, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at);
void tls_session_gap(struct tls_session *s, enum ss_dir d, uint64_t len, const struct ss_pos *at);
/* The flow ended: notes, then everything freed. Returns NULL; NULL is fine. */
struct tls_session *tls_session_close(struct tls_session *s, const struct ss_pos *at);

/* Implicit TLS as a protocol (not registered: dissect_register's table adds
 * it). Probe: the client's first bytes are a ClientHello record or an
 * SSLv2-compatible CLIENT-HELLO (tls_probe); port hint 465, 993, 995. Its
 * notes are SMTP's on 465, IMAP's on 993, POP3's on 995, and of protocol
 * "tls" (RP_TLS) elsewhere. */
const struct ss_proto *tls_proto(const struct dissect_opts *o);
/* The same, named only (probe and port hint): for --flows (probe_only). */
const struct ss_proto *tls_proto_named(void);

#endif
