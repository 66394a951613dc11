/* handoff.c - the engine on a thread of its own, its deliveries queued for
 * the real consumers on the caller's thread (see handoff.h).
 *
 * The engine gets stand-ins: one tap, which makes the consumers' side of
 * each flow (struct mflow) when the flow opens and queues its opening and
 * closing, and per protocol a stand-in that keeps the real one's probe and
 * port hint (they only look at bytes) and queues the rest. Each delivery
 * becomes one record: what it was, the consumers' flow, the position, and
 * the bytes, the flow as the engine had it, or the event.
 *
 * The producer never touches a struct mflow after making it: the
 * consumer's thread fills it and uses it. Once the consumer has given back
 * the block that held the flow's close (spsc_done), the producer makes its
 * next flow in it (a free on the other thread would take the producer's
 * arena lock, and a malloc per flow is wasted anyway). The stand-ins find
 * their handoff through the producer thread's own pointer to it: the
 * engine hands them only the flow's state, and reading the struct mflow
 * would share its cache lines with the consumer's thread.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fifo.h"
#include "pending.h"
#include "reasm_int.h"
#include "spsc.h"

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

/* A flow on the consumers' side. */
struct mflow {
	struct ss_flow pub; /* as the engine had it at open, protocol choice, close */
	const struct ss_proto *app;
	void *app_st;
	void *tap_st[SS_MAX_TAPS];
	struct buf held[2]; /* what the dissector left unconsumed (pending.h) */
	uint64_t next[2];   /* the stream offset after the bytes it was given */
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
};

struct spent {
	struct mflow *m;
	uint64_t block;
};

/* --- the producer's side ---------------------------------------------------- */

static _Thread_local struct handoff *self; /* the producer thread's */

/* A record of kind k with extra bytes after it; NULL when the queue takes
 * no more (the delivery is lost). */
static struct rec *put(struct handoff *h, enum kind k, struct mflow *m, size_t extra)
{
	struct rec *r = spsc_put(h->q, sizeof *r + extra);
	if (!r)
		return NULL;
	/* the time comes with the record rather than in one of its own */
	*r = (struct rec){
	    .kind = (uint8_t)k, .clock = (uint8_t)h->clock_due, .now = h->clock_at, .m = m};
	h->clock_due = 0;
	return r;
}

/* 0 when the record could not be queued. */
static int put_flow(struct handoff *h, enum kind k, struct mflow *m, const struct ss_flow *f,
                    const struct ss_pos *at, uint8_t app)
{
	struct rec *r = put(h, k, m, sizeof *f);
	if (!r)
		return 0;
	if (at)
		r->at = *at;
	r->app = app;
	memcpy(r + 1, f, sizeof *f);
	return 1;
}

static void put_bytes(struct handoff *h, enum kind k, struct mflow *m, enum ss_dir d,
                      const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct rec *r = put(h, k, m, n);
	if (!r)
		return;
	r->dir = (uint8_t)d;
	r->at = *at;
	if (n)
		memcpy(r + 1, p, n);
}

static void put_gap(struct handoff *h, enum kind k, struct mflow *m, enum ss_dir d, uint64_t len,
                    const struct ss_pos *at)
{
	struct rec *r = put(h, k, m, 0);
	if (!r)
		return;
	r->dir = (uint8_t)d;
	r->at = *at;
	r->len = len;
}

/* A struct mflow for a new flow: the oldest closed one the consumer is
 * done with, else a new one. */
static struct mflow *mflow_new(struct handoff *h)
{
	struct fifo *q = &h->spent;
	if (q->len && ((struct spent *)fifo_at(q, 0))->block < spsc_done(h->q)) {
		struct spent s;
		fifo_pop(q, &s);
		memset(s.m, 0, sizeof *s.m);
		return s.m;
	}
	return calloc(1, sizeof(struct mflow));
}

/* The stand-in tap: the consumers' flow begins and ends here. */
static void *tap_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	struct mflow *m = mflow_new(self);
	if (!m)
		return NULL;
	struct rec *r = put(self, K_OPEN, m, sizeof *f);
	if (!r) {
		free(m);
		return NULL;
	}
	memcpy(r + 1, f, sizeof *f);
	return m;
}

static void tap_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	if (st)
		put_bytes(self, K_TAP_DATA, st, d, p, n, at);
}

static void tap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (st)
		put_gap(self, K_TAP_GAP, st, d, len, at);
}

static void tap_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	if (st)
		put_bytes(self, K_TAP_DATAGRAM, st, d, p, n, at);
}

static void tap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	struct handoff *h = self;
	if (!st || !put_flow(h, K_CLOSE, st, f, at, 0))
		return; /* (not queued: the consumer quit, and it leaks) */
	/* As many wait as flows closed since a flow last opened (at most the
	 * flows the engine holds, --max-flows). Out of memory, it is lost. */
	if (!fifo_make_room(&h->spent, SIZE_MAX / sizeof(struct spent)) &&
	    h->spent.len < h->spent.cap)
		*(struct spent *)fifo_push(&h->spent) = (struct spent){st, spsc_block(h->q)};
}

/* The stand-in protocols. */
static void *app_open(const struct ss_flow *f, void *ctx)
{
	const struct stand *s = ctx;
	/* the stand-in tap's state: it opened the flow before any protocol */
	struct mflow *m = ((const struct flow *)(const void *)f)->tap_st[0];
	if (m)
		put_flow(s->h, K_APP_OPEN, m, f, NULL, s->i);
	return m;
}

static size_t app_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	if (st)
		put_bytes(self, K_APP_DATA, st, d, p, n, at);
	return n; /* what the dissector leaves is held on its side */
}

static void app_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (st)
		put_gap(self, K_APP_GAP, st, d, len, at);
}

static void app_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	if (st)
		put_bytes(self, K_APP_DATAGRAM, st, d, p, n, at);
}

static void app_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	if (st)
		put_flow(self, K_APP_CLOSE, st, f, at, 0);
}

/* Events of the producer's thread (capture, reassembly) go in the queue
 * too, in their place among the deliveries. */
static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t dl = 0;
	while (e->detail[dl])
		dl++;
	struct rec *r = put(self, K_EVENT, NULL, sizeof *e + dl + 1);
	if (!r)
		return;
	memcpy(r + 1, e, sizeof *e);
	memcpy((char *)(r + 1) + sizeof *e, e->detail, dl + 1);
}

void handoff_clock(struct handoff *h, int64_t now)
{
	h->clock_at = now;
	h->clock_due = 1;
}

void handoff_call(struct handoff *h, handoff_call_fn *fn, const void *p, size_t n)
{
	struct rec *r = put(h, K_CALL, NULL, sizeof fn + n);
	if (!r)
		return;
	memcpy(r + 1, &fn, sizeof fn);
	if (n)
		memcpy((uint8_t *)(r + 1) + sizeof fn, p, n);
}

static void *run(void *arg)
{
	struct handoff *h = arg;
	self = h;
	ss_event_sink(on_event, h); /* this thread's sink */
	h->produce(h->pctx);
	if (h->clock_due)
		put(h, K_CLOCK, NULL, 0);
	spsc_close(h->q);
	return NULL;
}

/* --- the consumer's side ---------------------------------------------------- */

/* The flow as the engine has it now, but for what its dissector said here
 * of what it still holds (ss_flow_open_since), which the engine never
 * sees. */
static void pub_update(struct mflow *m, const uint8_t *x)
{
	int64_t since = m->pub.open_since, read = m->pub.read_ts;
	memcpy(&m->pub, x, sizeof m->pub);
	m->pub.open_since = since;
	m->pub.read_ts = read;
}

static void flow_rec(struct handoff *h, const struct rec *r, struct mflow *m, const uint8_t *x,
                     size_t xn)
{
	enum ss_dir d = (enum ss_dir)r->dir;
	switch ((enum kind)r->kind) {
	case K_OPEN:
		memcpy(&m->pub, x, sizeof m->pub);
		for (int k = 0; k < 2; k++) {
			buf_init(&m->held[k], h->r->caps->max_pending);
			buf_count(&m->held[k], &ss_held);
		}
		for (int i = 0; i < h->ntap; i++)
			m->tap_st[i] =
			    h->tap[i]->open ? h->tap[i]->open(&m->pub, h->tap[i]->ctx) : NULL;
		break;
	case K_TAP_DATA:
		for (int i = 0; i < h->ntap; i++)
			if (h->tap[i]->data)
				h->tap[i]->data(m->tap_st[i], d, x, xn, &r->at);
		break;
	case K_TAP_GAP:
		for (int i = 0; i < h->ntap; i++)
			if (h->tap[i]->gap)
				h->tap[i]->gap(m->tap_st[i], d, r->len, &r->at);
		break;
	case K_TAP_DATAGRAM:
		for (int i = 0; i < h->ntap; i++)
			if (h->tap[i]->datagram)
				h->tap[i]->datagram(m->tap_st[i], d, x, xn, &r->at);
		break;
	case K_APP_OPEN:
		pub_update(m, x);
		m->app = h->proto[r->app];
		m->app_st = m->app->open ? m->app->open(&m->pub, m->app->ctx) : NULL;
		break;
	case K_APP_DATA:
		m->next[d] = r->at.off + xn;
		if (m->app && m->app->data)
			pending_feed(&m->held[d], m->app, m->app_st, m->pub.id, d, x, xn, &r->at);
		break;
	case K_APP_GAP:
		/* as deliver_gap: what was held is offered once more, then the gap */
		pending_drain(&m->held[d], m->app, m->app_st, d, r->at.frame, r->at.ts, m->next[d]);
		if (m->app && m->app->gap)
			m->app->gap(m->app_st, d, r->len, &r->at);
		break;
	case K_APP_DATAGRAM:
		if (m->app && m->app->datagram)
			m->app->datagram(m->app_st, d, x, xn, &r->at);
		break;
	case K_APP_CLOSE:
		for (int k = 0; k < 2; k++)
			pending_drain(&m->held[k], m->app, m->app_st, (enum ss_dir)k, r->at.frame,
			              r->at.ts, m->next[k]);
		pub_update(m, x);
		if (m->app && m->app->close)
			m->app->close(m->app_st, &m->pub, &r->at);
		m->app_st = NULL;
		break;
	case K_CLOSE:
		pub_update(m, x);
		for (int i = 0; i < h->ntap; i++)
			if (h->tap[i]->close)
				h->tap[i]->close(m->tap_st[i], &m->pub, &r->at);
		for (int k = 0; k < 2; k++)
			buf_free(&m->held[k]);
		break; /* the producer makes its next flow in m */
	default:
		break;
	}
}

/* The engine's own consumers again, in place of the stand-ins. */
static void give_back(struct handoff *h)
{
	for (int i = 0; i < h->nproto; i++)
		h->r->proto[i] = h->proto[i];
	for (int i = 0; i < h->ntap; i++)
		h->r->tap[i] = h->tap[i];
	h->r->ntap = h->ntap;
}

void handoff_consume(struct handoff *h)
{
	const void *p;
	size_t n;
	while ((p = spsc_get(h->q, &n))) {
		const struct rec *r = p;
		const uint8_t *x = (const uint8_t *)(r + 1);
		size_t xn = n - sizeof *r;
		if (r->clock)
			h->clock(r->now, h->ctx);
		switch ((enum kind)r->kind) {
		case K_CLOCK:
			break;
		case K_EVENT: {
			struct ss_event e;
			memcpy(&e, x, sizeof e);
			e.detail = (const char *)x + sizeof e;
			ss_event_emit(&e);
			break;
		}
		case K_CALL: {
			handoff_call_fn *fn;
			memcpy(&fn, x, sizeof fn);
			fn(x + sizeof fn, xn - sizeof fn, h->ctx);
			break;
		}
		default:
			if (r->m)
				flow_rec(h, r, r->m, x, xn);
		}
	}
	pthread_join(h->th, NULL);
	give_back(h); /* for whatever comes after */
}

/* --- setting up -------------------------------------------------------------- */

struct handoff *handoff_new(struct ss_reasm *r, handoff_clock_fn *clock, void *ctx)
{
	struct handoff *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->q = spsc_new();
	if (!h->q) {
		free(h);
		return NULL;
	}
	h->r = r;
	h->clock = clock;
	h->ctx = ctx;
	fifo_init(&h->spent, sizeof(struct spent));
	return h;
}

/* A stand-in for protocol p: the same probes; a callback for each the
 * real one has, and for a gap and the close whenever it takes bytes (held
 * bytes are offered once more there). */
static void stand_in(struct handoff *h, int i, const struct ss_proto *p)
{
	struct ss_proto *s = &h->stand_proto[i];
	h->stand[i] = (struct stand){h, (uint8_t)i};
	int any = p->open || p->data || p->gap || p->datagram || p->close;
	*s = (struct ss_proto){.name = p->name, .probe = p->probe, .port_hint = p->port_hint};
	s->open = any ? app_open : NULL;
	s->data = p->data ? app_data : NULL;
	s->gap = p->data || p->gap ? app_gap : NULL;
	s->datagram = p->datagram ? app_datagram : NULL;
	s->close = p->data || p->close ? app_close : NULL;
	s->ctx = &h->stand[i];
}

int handoff_start(struct handoff *h, void (*produce)(void *pctx), void *pctx)
{
	struct ss_reasm *r = h->r;
	h->produce = produce;
	h->pctx = pctx;
	h->nproto = r->nproto;
	h->ntap = r->ntap;
	int datas = 0, gaps = 0, grams = 0;
	for (int i = 0; i < r->ntap; i++) {
		h->tap[i] = r->tap[i];
		datas |= r->tap[i]->data != NULL;
		gaps |= r->tap[i]->gap != NULL;
		grams |= r->tap[i]->datagram != NULL;
	}
	h->stand_tap = (struct ss_tap){tap_open,
	                               datas ? tap_data : NULL,
	                               gaps ? tap_gap : NULL,
	                               grams ? tap_datagram : NULL,
	                               tap_close,
	                               h};
	for (int i = 0; i < r->nproto; i++) {
		h->proto[i] = r->proto[i];
		stand_in(h, i, r->proto[i]);
		r->proto[i] = &h->stand_proto[i];
	}
	r->tap[0] = &h->stand_tap;
	r->ntap = 1;
	/* Signals stay with the caller's thread, whose loop looks at them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&h->th, NULL, run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		give_back(h);
		return -1;
	}
	return 0;
}

void handoff_free(struct handoff *h)
{
	if (!h)
		return;
	while (h->spent.len) {
		struct spent s;
		fifo_pop(&h->spent, &s);
		free(s.m);
	}
	fifo_free(&h->spent);
	spsc_free(h->q);
	free(h);
}
