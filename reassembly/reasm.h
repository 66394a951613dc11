/* reasm.h - the flow table and TCP reassembly: IP datagrams in, ordered
 * bytes per flow direction out (see stream.h for what comes out).
 *
 * Time is capture time: it moves with each datagram (reasm_ip) or when the
 * caller says so (reasm_tick, for an idle live capture). Nothing is ever
 * skipped silently: missing bytes reach the consumers as gaps.
 */
#ifndef SS_REASM_H
#define SS_REASM_H

#include <stdint.h>

#include "caps.h"
#include "packet.h"
#include "stream.h"

#define SS_MAX_PROTOS 16
#define SS_MAX_TAPS 4

struct ss_reasm;

struct reasm_stats {
	uint64_t tcp_segments, udp_datagrams, other;
	uint64_t malformed; /* transport headers that could not be read */
	uint64_t flows, flows_now, flows_peak;
	uint64_t evicted; /* flows ended early by --max-flows */
	uint64_t late;    /* packets of flows already closed */
	uint64_t mem_now, mem_peak;
	uint64_t mem_pressure; /* times --max-mem forced out-of-order data out as gaps */
};

/* caps must outlive the engine. Returns NULL when memory runs out. */
struct ss_reasm *reasm_new(const struct ss_caps *caps);
/* Frees everything; call reasm_finish first to have flows reported. */
void reasm_free(struct ss_reasm *r);
/* Registration, before the first datagram; -1 when the table is full. */
int reasm_add_proto(struct ss_reasm *r, const struct ss_proto *p);
int reasm_add_tap(struct ss_reasm *r, const struct ss_tap *t);

/* One IP datagram (the decoder's ss_ip_fn; ctx is the engine). */
void reasm_ip(const struct ss_ip *ip, void *ctx);
/* Capture time has reached now without a packet. */
void reasm_tick(struct ss_reasm *r, int64_t now);
/* The capture ended: every open flow is closed (SS_CLOSE_EOF), gaps first. */
void reasm_finish(struct ss_reasm *r);
const struct reasm_stats *reasm_stats(const struct ss_reasm *r);

#endif
