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
 *
 * With --workers the protocols' deliveries go to the flow's worker
 * instead, and the consumer's queue gets a K_WORK record in their place
 * (workers.c says the rest).
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "handoff_int.h"
#include "spsc.h"

/* --- the producer's side ---------------------------------------------------- */

static _Thread_local struct handoff *self; /* the producer thread's */

/* With --workers the producer feeds several queues, and a consumer may be
 * waiting for a record the producer has put but not handed over: before
 * the producer waits for room in queue q, everything it put elsewhere goes
 * over. */
static void room(struct handoff *h, struct spsc *q, size_t n)
{
	if (!h->nworkers || !spsc_would_wait(q, n))
		return;
	if (q != h->q)
		spsc_flush(h->q);
	for (int i = 0; i < h->nworkers; i++)
		if (h->w[i].in != q)
			spsc_flush(h->w[i].in);
}

/* A record of kind k with extra bytes after it, for the consumer's thread
 * (wi -1) or for worker wi; NULL when the queue takes no more (the
 * delivery is lost). */
static struct rec *put_to(struct handoff *h, int wi, enum kind k, struct mflow *m, size_t extra)
{
	struct spsc *q = wi < 0 ? h->q : h->w[wi].in;
	room(h, q, sizeof(struct rec) + extra);
	struct rec *r = spsc_put(q, sizeof *r + extra);
	if (!r)
		return NULL;
	*r = (struct rec){.kind = (uint8_t)k, .m = m};
	/* the time comes with the consumer's next record rather than in one
	 * of its own */
	if (wi < 0) {
		r->clock = (uint8_t)h->clock_due;
		r->now = h->clock_at;
		h->clock_due = 0;
	}
	return r;
}

static struct rec *put(struct handoff *h, enum kind k, struct mflow *m, size_t extra)
{
	return put_to(h, -1, k, m, extra);
}

/* The queue of flow m's protocol deliveries: the consumer's (-1), or its
 * worker's. */
static int app_queue(const struct handoff *h, const struct mflow *m)
{
	return h->nworkers ? m->w->worker : -1;
}

/* After a delivery of kind k went to a worker: the consumer's turn to
 * take what the worker made of it, with the flow when f is not NULL. */
static void put_work(struct handoff *h, int wi, enum kind k, struct mflow *m,
                     const struct ss_flow *f)
{
	if (wi < 0)
		return;
	struct rec *r = put(h, K_WORK, m, f ? sizeof *f : 0);
	if (!r)
		return;
	r->app = (uint8_t)wi;
	r->len = k;
	if (f)
		memcpy(r + 1, f, sizeof *f);
}

/* 0 when the record could not be queued. */
static int put_flow(struct handoff *h, int wi, enum kind k, struct mflow *m,
                    const struct ss_flow *f, const struct ss_pos *at, uint8_t app)
{
	struct rec *r = put_to(h, wi, k, m, sizeof *f);
	if (!r)
		return 0;
	if (at)
		r->at = *at;
	r->app = app;
	memcpy(r + 1, f, sizeof *f);
	put_work(h, wi, k, m, f);
	return 1;
}

static void put_bytes(struct handoff *h, int wi, enum kind k, struct mflow *m, enum ss_dir d,
                      const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct rec *r = put_to(h, wi, k, m, n);
	if (!r)
		return;
	r->dir = (uint8_t)d;
	r->at = *at;
	if (n)
		memcpy(r + 1, p, n);
	put_work(h, wi, k, m, NULL);
}

static void put_gap(struct handoff *h, int wi, enum kind k, struct mflow *m, enum ss_dir d,
                    uint64_t len, const struct ss_pos *at)
{
	struct rec *r = put_to(h, wi, k, m, 0);
	if (!r)
		return;
	r->dir = (uint8_t)d;
	r->at = *at;
	r->len = len;
	put_work(h, wi, k, m, NULL);
}

/* A struct mflow's size: with its worker side only under --workers. */
static size_t mflow_size(const struct handoff *h)
{
	return sizeof(struct mflow) + (h->nworkers ? sizeof(struct wflow) : 0);
}

/* A struct mflow for a new flow: the oldest closed one the consumer is
 * done with, else a new one. */
static struct mflow *mflow_new(struct handoff *h)
{
	struct fifo *q = &h->spent;
	if (q->len && ((struct spent *)fifo_at(q, 0))->block < spsc_done(h->q)) {
		struct spent s;
		fifo_pop(q, &s);
		memset(s.m, 0, mflow_size(h));
		return s.m;
	}
	return calloc(1, mflow_size(h));
}

/* --workers: flow f's worker, by a hash of its two endpoints that is the
 * same whichever is named first (both directions meet in one worker). */
static uint8_t worker_of(const struct handoff *h, const struct ss_flow *f)
{
	uint64_t e[2];
	for (int i = 0; i < 2; i++) {
		uint64_t x = 1469598103934665603ull; /* FNV-1a */
		const uint8_t *b = f->ep[i].addr.b;
		for (int k = 0; k < 16; k++)
			x = (x ^ b[k]) * 1099511628211ull;
		x = (x ^ (f->ep[i].port & 0xff)) * 1099511628211ull;
		x = (x ^ (f->ep[i].port >> 8)) * 1099511628211ull;
		e[i] = x;
	}
	uint64_t k = (e[0] ^ e[1]) + f->proto;
	k ^= k >> 33; /* a 64-bit finaliser (murmur3's) */
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint8_t)(k % (uint64_t)h->nworkers);
}

/* The stand-in tap: the consumers' flow begins and ends here. */
static void *tap_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	struct mflow *m = mflow_new(self);
	if (!m)
		return NULL;
	if (self->nworkers)
		m->w->worker = worker_of(self, f);
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
		put_bytes(self, -1, K_TAP_DATA, st, d, p, n, at);
}

static void tap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (st)
		put_gap(self, -1, K_TAP_GAP, st, d, len, at);
}

static void tap_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	if (st)
		put_bytes(self, -1, K_TAP_DATAGRAM, st, d, p, n, at);
}

static void tap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	struct handoff *h = self;
	if (!st || !put_flow(h, -1, K_CLOSE, st, f, at, 0))
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
		put_flow(s->h, app_queue(s->h, m), K_APP_OPEN, m, f, NULL, s->i);
	return m;
}

static size_t app_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	if (st)
		put_bytes(self, app_queue(self, st), K_APP_DATA, st, d, p, n, at);
	return n; /* what the dissector leaves is held on its side */
}

static void app_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (st)
		put_gap(self, app_queue(self, st), K_APP_GAP, st, d, len, at);
}

static void app_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	if (st)
		put_bytes(self, app_queue(self, st), K_APP_DATAGRAM, st, d, p, n, at);
}

static void app_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	if (st)
		put_flow(self, app_queue(self, st), K_APP_CLOSE, st, f, at, 0);
}

/* Events of the producer's thread (capture, reassembly) go in the queue
 * too, in their place among the deliveries. */
size_t handoff_event_size(const struct ss_event *e)
{
	size_t dl = 0;
	while (e->detail[dl])
		dl++;
	return sizeof *e + dl + 1;
}

void handoff_event_copy(void *to, const struct ss_event *e, size_t size)
{
	memcpy(to, e, sizeof *e);
	memcpy((char *)to + sizeof *e, e->detail, size - sizeof *e);
}

void handoff_event_emit(const uint8_t *x)
{
	struct ss_event e;
	memcpy(&e, x, sizeof e);
	e.detail = (const char *)x + sizeof e;
	ss_event_emit(&e);
}

void handoff_call_run(struct handoff *h, const uint8_t *x, size_t xn)
{
	handoff_call_fn *fn;
	memcpy(&fn, x, sizeof fn);
	fn(x + sizeof fn, xn - sizeof fn, h->ctx);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = handoff_event_size(e);
	struct rec *r = put(self, K_EVENT, NULL, n);
	if (r)
		handoff_event_copy(r + 1, e, n);
}

void handoff_clock(struct handoff *h, int64_t now)
{
	h->clock_at = now;
	h->clock_due = 1;
}

void handoff_flush(struct handoff *h)
{
	if (h->clock_due)
		put(h, K_CLOCK, NULL, 0);
	for (int i = 0; i < h->nworkers; i++)
		spsc_flush(h->w[i].in);
	spsc_flush(h->q);
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
	for (int i = 0; i < h->nworkers; i++)
		spsc_close(h->w[i].in);
	spsc_close(h->q);
	return NULL;
}

/* --- the consumer's thread ------------------------------------------------------ */

static void flow_rec(struct handoff *h, const struct rec *r, struct mflow *m, const uint8_t *x,
                     size_t xn)
{
	enum ss_dir d = (enum ss_dir)r->dir;
	switch ((enum kind)r->kind) {
	case K_OPEN:
		memcpy(&m->pub, x, sizeof m->pub);
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
	case K_WORK:
		if (r->len == K_APP_OPEN && xn == sizeof m->pub) /* the protocol chosen */
			handoff_pub_update(&m->pub, x);
		handoff_take_work(h, r, x, xn);
		break;
	case K_CLOSE:
		handoff_pub_update(&m->pub, x);
		for (int i = 0; i < h->ntap; i++)
			if (h->tap[i]->close)
				h->tap[i]->close(m->tap_st[i], &m->pub, &r->at);
		handoff_held_free(m);
		break; /* the producer makes its next flow in m */
	default:
		handoff_app_rec(h, r, m, &m->pub, x, xn);
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
		case K_EVENT:
			handoff_event_emit(x);
			break;
		case K_CALL:
			handoff_call_run(h, x, xn);
			break;
		default:
			if (r->m)
				flow_rec(h, r, r->m, x, xn);
		}
	}
	pthread_join(h->th, NULL);
	for (int i = 0; i < h->nworkers; i++)
		if (h->w[i].started) {
			const void *q;
			while ((q = spsc_get(h->w[i].out, &n))) /* nothing is left: the end */
				;
			pthread_join(h->w[i].th, NULL);
		}
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
	int rc = 0;
	for (int i = 0; i < h->nworkers && !rc; i++)
		if (!(rc = pthread_create(&h->w[i].th, NULL, handoff_work, &h->w[i])))
			h->w[i].started = 1;
	if (!rc)
		rc = pthread_create(&h->th, NULL, run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		for (int i = 0; i < h->nworkers; i++)
			if (h->w[i].started) { /* it sees the end at once */
				spsc_close(h->w[i].in);
				pthread_join(h->w[i].th, NULL);
				h->w[i].started = 0;
			}
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
	for (int i = 0; i < h->nworkers; i++) {
		spsc_free(h->w[i].in);
		spsc_free(h->w[i].out);
	}
	spsc_free(h->q);
	free(h);
}
