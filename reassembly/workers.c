/* workers.c - --workers: the protocols' deliveries dissected on threads of
 * their own, and what came of them put back in order (see handoff.h).
 *
 * The engine's thread puts each protocol delivery in its flow's worker's
 * queue and, in its own queue to the consumer, a K_WORK record where the
 * delivery would have been. A worker dissects its deliveries in order and
 * hands the consumer, per delivery, what came of it: the events, the
 * handoff_out calls (the records, dissect/recpack.c), each change of the
 * flow's open_since before whatever comes after it, and an end. The
 * consumer, meeting a K_WORK, takes that worker's output up to the end:
 * so everything comes in the order one thread gives, whichever worker was
 * faster. A flow has two copies: its wflow's, which its dissector sees and
 * writes, and pub, which the taps and the time-order queue read; the
 * open_since changes and the close (O_PUB) keep pub where it would be.
 *
 * Nobody waits on a record made but not handed over (queues hand over
 * whole blocks): a worker hands over what it made before it waits for
 * input, and the engine's thread hands over what it put elsewhere before
 * it waits for room (handoff.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "event.h"
#include "handoff_int.h"
#include "pending.h"
#include "spsc.h"

/* Flow f as the engine has it now, but for what its dissector said here
 * of what it still holds (ss_flow_open_since), which the engine never
 * sees. */
void handoff_pub_update(struct ss_flow *f, const uint8_t *x)
{
	int64_t since = f->open_since, read = f->read_ts;
	memcpy(f, x, sizeof *f);
	f->open_since = since;
	f->read_ts = read;
}

/* --- a worker's side (--workers) ---------------------------------------------- */

static _Thread_local struct worker *wself; /* a worker thread's */

static struct orec *out_put(struct worker *w, enum out_kind k, size_t extra)
{
	struct orec *o = spsc_put(w->out, sizeof *o + extra);
	if (o)
		*o = (struct orec){.kind = (uint8_t)k};
	return o;
}

/* What the dissector said of what its flow still holds goes to the
 * consumer before whatever it says next, and at the end of the delivery:
 * the time-order queue reads it there (report/openflows.h). */
static void since_check(struct worker *w)
{
	struct mflow *m = w->cur;
	if (!m ||
	    (m->w->pub.open_since == m->w->sent_since && m->w->pub.read_ts == m->w->sent_read))
		return;
	struct orec *o = out_put(w, O_SINCE, 0);
	if (!o)
		return;
	o->since = m->w->sent_since = m->w->pub.open_since;
	o->read = m->w->sent_read = m->w->pub.read_ts;
}

static void worker_event(const struct ss_event *e, void *ctx)
{
	struct worker *w = ctx;
	since_check(w);
	size_t n = handoff_event_size(e);
	struct orec *o = out_put(w, O_EVENT, n);
	if (o)
		handoff_event_copy(o + 1, e, n);
}

void *handoff_out(handoff_call_fn *fn, size_t n)
{
	struct worker *w = wself;
	if (!w)
		return NULL;
	since_check(w);
	struct orec *o = out_put(w, O_CALL, sizeof fn + n);
	if (!o)
		return NULL;
	memcpy(o + 1, &fn, sizeof fn);
	return (uint8_t *)(o + 1) + sizeof fn;
}

const struct ss_flow *handoff_flow(const struct ss_flow *f)
{
	if (!f)
		return NULL;
	/* a worker's flow is the pub of its struct mflow's wflow */
	const struct mflow *m =
	    (const struct mflow *)(const void *)((const char *)f - offsetof(struct mflow, w));
	return &m->pub;
}

/* --- the protocols' deliveries, on whichever thread dissects ------------------ */

/* held[] is set up at the protocol's open, counted against --max-held-mem
 * (so a counted buffer is a live one), and let go at its close, or at the
 * flow's close: a zeroed struct mflow has nothing to let go. */
void handoff_held_free(struct mflow *m)
{
	for (int k = 0; k < 2; k++) {
		buf_free(&m->held[k]);
		buf_count(&m->held[k], NULL);
	}
}

/* A protocol delivery r to flow m, whose dissector sees the flow f. */
void handoff_app_rec(struct handoff *h, const struct rec *r, struct mflow *m, struct ss_flow *f,
                     const uint8_t *x, size_t xn)
{
	enum ss_dir d = (enum ss_dir)r->dir;
	switch ((enum kind)r->kind) {
	case K_APP_OPEN:
		if (!m->held[0].acct)
			for (int k = 0; k < 2; k++) {
				buf_init(&m->held[k], h->r->caps->max_pending);
				buf_count(&m->held[k], &ss_held);
			}
		if (f->id)
			handoff_pub_update(f, x);
		else { /* a worker's first sight of the flow */
			memcpy(f, x, sizeof *f);
			m->w->sent_since = f->open_since;
			m->w->sent_read = f->read_ts;
		}
		m->app = h->proto[r->app];
		m->app_st = m->app->open ? m->app->open(f, m->app->ctx) : NULL;
		break;
	case K_APP_DATA:
		m->next[d] = r->at.off + xn;
		if (m->app && m->app->data)
			pending_feed(&m->held[d], m->app, m->app_st, f->id, d, x, xn, &r->at);
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
		handoff_pub_update(f, x);
		if (wself) { /* the consumer updates its flow here too */
			since_check(wself);
			out_put(wself, O_PUB, 0);
		}
		if (m->app && m->app->close)
			m->app->close(m->app_st, f, &r->at);
		m->app_st = NULL;
		break;
	default:
		break;
	}
}

void *handoff_work(void *arg)
{
	struct worker *w = arg;
	struct handoff *h = w->h;
	wself = w;
	ss_event_sink(worker_event, w);
	if (h->winit)
		h->winit(h->wctx);
	const void *p;
	size_t n;
	for (;;) {
		/* the consumer may be waiting for what is made but not handed over */
		if (!spsc_ready(w->in))
			spsc_flush(w->out);
		if (!(p = spsc_get(w->in, &n)))
			break;
		const struct rec *r = p;
		struct mflow *m = r->m;
		w->cur = m;
		handoff_app_rec(h, r, m, &m->w->pub, (const uint8_t *)(r + 1), n - sizeof *r);
		since_check(w);
		if (r->kind == K_APP_CLOSE)
			handoff_held_free(m);
		w->cur = NULL;
		/* the last thing it does with m: the consumer may let it go after */
		out_put(w, O_END, 0);
	}
	spsc_close(w->out);
	return NULL;
}

/* What worker wi made of the delivery of K_WORK r, in order. */
void handoff_take_work(struct handoff *h, const struct rec *r, const uint8_t *x, size_t xn)
{
	struct worker *w = &h->w[r->app];
	struct mflow *m = r->m;
	const void *p;
	size_t n;
	while ((p = spsc_get(w->out, &n))) {
		const struct orec *o = p;
		const uint8_t *y = (const uint8_t *)(o + 1);
		switch ((enum out_kind)o->kind) {
		case O_END:
			return;
		case O_SINCE:
			m->pub.open_since = o->since;
			m->pub.read_ts = o->read;
			break;
		case O_PUB:
			if (xn == sizeof m->pub)
				handoff_pub_update(&m->pub, x);
			break;
		case O_EVENT:
			handoff_event_emit(y);
			break;
		case O_CALL:
			handoff_call_run(h, y, n - sizeof *o);
			break;
		}
	}
}

int handoff_workers(struct handoff *h, int n, void (*init)(void *ctx), void *ctx)
{
	if (n < 1 || n > MAX_WORKERS)
		return -1;
	for (int i = 0; i < n; i++) {
		h->w[i] = (struct worker){.h = h, .in = spsc_new(), .out = spsc_new()};
		if (!h->w[i].in || !h->w[i].out) {
			for (int k = 0; k <= i; k++) {
				spsc_free(h->w[k].in);
				spsc_free(h->w[k].out);
				h->w[k] = (struct worker){0};
			}
			return -1;
		}
	}
	h->nworkers = n;
	h->winit = init;
	h->wctx = ctx;
	return 0;
}
