/* handoff.h - the reassembly engine on a thread of its own; what it
 * delivers is queued, and delivered again in the same order to the real
 * consumers (dissectors, taps, the event sink) on the caller's thread.
 *
 * Reading a capture, decoding it and putting its streams in order cost
 * about as much as dissecting and reporting them. On two cores the two
 * halves run side by side, as in Suricata's and Zeek's packet threads:
 * the producer thread reads frames and feeds the engine (reasm_ip,
 * reasm_finish); the engine's consumers are swapped for stand-ins that
 * copy each delivery (bytes, gaps, opens, closes, events, capture time)
 * into a queue (util/spsc.h); the caller's thread takes them out and calls
 * the real consumers with a flow of its own (struct ss_flow as the engine
 * had it when it opened, chose the protocol and closed the flow). The
 * consumers see what they would see on one thread, in the same order; the
 * bytes a dissector leaves unconsumed are held on its side (pending.h).
 */
#ifndef SS_HANDOFF_H
#define SS_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

struct handoff;

/* Capture time has reached now (on the consumer's thread, in order with
 * the deliveries). */
typedef void handoff_clock_fn(int64_t now, void *ctx);
/* Called on the consumer's thread with a copy of what handoff_call got. */
typedef void handoff_call_fn(const void *p, size_t n, void *ctx);

/* For engine r, whose consumers are all registered; clock and ctx are the
 * consumer's. NULL when memory runs out. */
struct handoff *handoff_new(struct ss_reasm *r, handoff_clock_fn *clock, void *ctx);
/* --workers: the protocols' deliveries are taken on n threads (at most
 * 64), each flow's on one of them, chosen by a hash of its endpoints that
 * is the same both ways; what they make of them (events, handoff_out) is
 * put in the order one thread gives and handed to the caller's thread.
 * Taps, events of the engine, handoff_call and the clock stay on the
 * caller's thread. Each worker thread first runs init(ctx). Before
 * handoff_start; -1 when n is out of range or memory runs out. */
int handoff_workers(struct handoff *h, int n, void (*init)(void *ctx), void *ctx);
/* On a worker thread: room for n bytes, to be filled before the thread
 * does anything else; fn gets them on the caller's thread (with the
 * clock's ctx), in their place among what the workers make. NULL on any
 * other thread, or when the queue takes no more. */
void *handoff_out(handoff_call_fn *fn, size_t n);
/* On the caller's thread, for a flow a worker's dissector was given (as a
 * record names it): the caller's copy of it, which the taps and the
 * clock's ctx see. */
const struct ss_flow *handoff_flow(const struct ss_flow *f);

/* Takes the engine's consumers over and runs produce(pctx) on a thread of
 * its own. -1 (the engine left as it was) when no thread can start. */
int handoff_start(struct handoff *h, void (*produce)(void *pctx), void *pctx);

/* On the producer's thread: capture time is now now (told to the consumer
 * before the next delivery), and fn is to be called with a copy of p[0..n)
 * on the consumer's thread, in order with the deliveries. */
void handoff_clock(struct handoff *h, int64_t now);
void handoff_call(struct handoff *h, handoff_call_fn *fn, const void *p, size_t n);

/* On the producer's thread: hands over everything queued so far (and the
 * clock), for a live capture that waits for frames: its lines then come
 * as things happen, not when a block is full. */
void handoff_flush(struct handoff *h);

/* On the caller's thread: delivers until produce() has returned, then
 * waits for its thread and gives the engine its consumers back. */
void handoff_consume(struct handoff *h);
void handoff_free(struct handoff *h);

#endif
