/* handoff_int.h - what handoff.c (the engine's thread and the consumer's)
 * and workers.c (--workers) share: the records of the queues, the flow on
 * the consumers' side, and the calls between the two files.
 */
#ifndef SS_HANDOFF_INT_H
#define SS_HANDOFF_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "fifo.h"
#include "handoff.h"
#include "reasm_int.h"

enum kind {
	K_CLOCK, /* nothing but the clock (at the end) */
	K_EVENT, /* a struct ss_event, then its detail */
	K_CALL,  /* a handoff_call_fn, then its bytes */
	K_OPEN,  /* the flow, as struct ss_flow */
	K_CLOSE, /* the flow, as it closed */
	K_TAP_DATA,
	K_TAP_GAP,
	K_TAP_DATAGRAM,
	K_APP_OPEN, /* app: the protocol chosen; the flow */
	K_APP_DATA,
	K_APP_GAP,
	K_APP_DATAGRAM,
	K_APP_CLOSE, /* the flow, as it closed */
	K_WORK,      /* --workers: the next delivery of worker app is its flow's (the
	              * flow follows when the delivery carries it: an open, a close) */
};

/* What a worker hands the consumer for each delivery it took, in order. */
enum out_kind {
	O_END,   /* that delivery is done */
	O_SINCE, /* the flow's open_since and read_ts are now since, read */
	O_PUB,   /* the flow as its K_WORK carried it is the flow's now */
	O_EVENT, /* a struct ss_event, then its detail */
	O_CALL,  /* a handoff_call_fn, then its bytes (handoff_out) */
};

struct orec {
	uint8_t kind;
	int64_t since, read;
};

/* One delivery; what follows it is by kind (above), the bytes for the
 * DATA and DATAGRAM kinds. */
struct rec {
	uint8_t kind, dir, app;
	uint8_t clock; /* first tell the consumer capture time is now */
	int64_t now;
	struct mflow *m;
	struct ss_pos at;
	uint64_t len; /* a gap's length */
};

/* --workers: a flow's worker side. Its dissector sees and writes this copy
 * of the flow; the consumer's (pub) follows it by O_SINCE and O_PUB. */
struct wflow {
	struct ss_flow pub;            /* first: handoff_flow() finds the mflow from it */
	int64_t sent_since, sent_read; /* its open_since, read_ts as last told */
	uint8_t worker;                /* which: the producer's choice, made at the open */
};

/* A flow on the consumers' side. With --workers the consumer's thread
 * has pub and the taps' part, the flow's worker the rest. There is one of
 * these per flow (--max-flows of them), so the worker side is there only
 * with --workers, and nothing is padded to cache lines: a flow shared
 * this way is touched per delivery, not per byte. */
struct mflow {
	struct ss_flow pub; /* as the engine had it at open, protocol choice, close */
	void *tap_st[SS_MAX_TAPS];
	const struct ss_proto *app;
	void *app_st;
	struct buf held[2]; /* what the dissector left unconsumed (pending.h) */
	uint64_t next[2];   /* the stream offset after the bytes it was given */
	struct wflow w[];   /* --workers: one (mflow_size), else none */
};

#define MAX_WORKERS 64

/* One worker thread of --workers: deliveries in, what came of them out. */
struct worker {
	struct handoff *h;
	struct spsc *in, *out;
	pthread_t th;
	int started;
	struct mflow *cur; /* the flow of the delivery being taken */
};

struct stand {
	struct handoff *h;
	uint8_t i; /* the real protocol's index */
};

struct handoff {
	struct ss_reasm *r;
	handoff_clock_fn *clock;
	void *ctx;
	struct spsc *q;
	pthread_t th;
	void (*produce)(void *pctx);
	void *pctx;
	/* the real consumers, and the stand-ins the engine runs meanwhile */
	const struct ss_proto *proto[SS_MAX_PROTOS];
	int nproto;
	const struct ss_tap *tap[SS_MAX_TAPS];
	int ntap;
	struct ss_proto stand_proto[SS_MAX_PROTOS];
	struct stand stand[SS_MAX_PROTOS];
	struct ss_tap stand_tap;
	/* the producer's capture time, told with the next record */
	int64_t clock_at;
	int clock_due;
	/* the producer's closed flows, oldest first, with the block of their
	 * close: reused once the consumer is done with that block */
	struct fifo spent;
	/* --workers */
	int nworkers; /* 0: the consumer's thread dissects */
	struct worker w[MAX_WORKERS];
	void (*winit)(void *ctx);
	void *wctx;
};

struct spent {
	struct mflow *m;
	uint64_t block;
};

/* Flow f as the engine has it in x, but for what its dissector said of
 * what it still holds (ss_flow_open_since), which the engine never sees. */
void handoff_pub_update(struct ss_flow *f, const uint8_t *x);
/* Let go of what flow m's dissector left unconsumed (again: a no-op). */
void handoff_held_free(struct mflow *m);
/* A protocol delivery r to flow m, whose dissector sees the flow f: on the
 * consumer's thread, or on m's worker. */
void handoff_app_rec(struct handoff *h, const struct rec *r, struct mflow *m, struct ss_flow *f,
                     const uint8_t *x, size_t xn);
/* An event as the queues carry it: the struct, then its detail; its size,
 * the copy, and the event emitted again on the consumer's thread. */
size_t handoff_event_size(const struct ss_event *e);
void handoff_event_copy(void *to, const struct ss_event *e, size_t size);
void handoff_event_emit(const uint8_t *x);
/* A handoff_call_fn and its bytes as the queues carry them, called. */
void handoff_call_run(struct handoff *h, const uint8_t *x, size_t xn);
/* A worker thread (arg: its struct worker). */
void *handoff_work(void *arg);
/* On the consumer's thread, at K_WORK r: what the worker made of that
 * delivery, in order. */
void handoff_take_work(struct handoff *h, const struct rec *r, const uint8_t *x, size_t xn);

#endif
