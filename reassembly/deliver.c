/* deliver.c - handing ordered bytes, gaps and ends to a flow's consumers:
 * the taps, which see everything, and the one protocol dissector chosen by
 * what the first bytes say.
 *
 * Until a protocol is chosen the bytes are kept, with the order in which they
 * arrived across both directions, and replayed to the dissector exactly so:
 * a dissector never learns that it was chosen late.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "pending.h"
#include "reasm_int.h"

static void taps_data(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at)
{
	for (int i = 0; i < r->ntap; i++)
		if (r->tap[i]->data)
			r->tap[i]->data(f->tap_st[i], d, p, n, at);
}

/* Hands bytes to the dissector, behind those it left unconsumed before
 * (pending.h). Those bytes are the dissector's, held for it, and bounded by
 * --max-pending: not part of the engine's memory. */
static void app_data(struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                     const struct ss_pos *at)
{
	if (f->app && f->app->data)
		pending_feed(&f->h[d].pending, f->app, f->app_st, f->pub.id, d, p, n, at);
}

/* Tells the dissector that no byte follows the pending ones, then drops
 * what it still leaves. */
static void app_drain(struct flow *f, enum ss_dir d, uint64_t frame, int64_t ts)
{
	struct half *h = &f->h[d];
	pending_drain(&h->pending, f->app, f->app_st, d, frame, ts, h->next);
}

static void detect_free(struct ss_reasm *r, struct flow *f)
{
	for (int d = 0; d < 2; d++) {
		mem_add(r, f, -(int64_t)f->h[d].detect.len);
		buf_free(&f->h[d].detect);
	}
	free(f->log);
	f->log = NULL;
	f->nlog = f->alog = 0;
	f->deciding = 0;
}

static void choose(struct ss_reasm *r, struct flow *f, int i)
{
	f->app = r->proto[i];
	f->pub.app = f->app->name;
	f->app_st = f->app->open ? f->app->open(&f->pub, f->app->ctx) : NULL;
}

/* Chooses the protocol, then replays what was held to it. i < 0 means: no
 * probe was sure; take the first that did not say no and claims the port. */
static void decide(struct ss_reasm *r, struct flow *f, int i)
{
	if (i < 0)
		for (int k = 0; k < r->nproto && i < 0; k++)
			if (!(f->said_no & 1u << k) && r->proto[k]->port_hint &&
			    r->proto[k]->port_hint(&f->pub))
				i = k;
	if (i >= 0)
		choose(r, f, i);
	size_t used[2] = {0, 0};
	for (uint32_t k = 0; f->app && k < f->nlog; k++) {
		const struct chunk *c = &f->log[k];
		struct ss_pos at = {c->frame, c->ts, c->off, 0, 0, 0};
		pos_held(f, &at);
		app_data(f, c->dir, f->h[c->dir].detect.p + used[c->dir], c->len, &at);
		used[c->dir] += c->len;
	}
	detect_free(r, f);
}

/* Shows the first n bytes of direction d to every probe still in the
 * running. Returns the index of the one that is sure, -1 when none is yet,
 * -2 when every one said no. */
static int probe_all(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	int running = 0;
	for (int i = 0; i < r->nproto; i++) {
		if (f->said_no & 1u << i)
			continue;
		const struct ss_proto *pr = r->proto[i];
		enum ss_probe v = pr->probe ? pr->probe(&f->pub, d, p, n) : SS_PROBE_NO;
		if (v == SS_PROBE_YES)
			return i;
		if (v == SS_PROBE_NO)
			f->said_no |= 1u << i;
		else
			running = 1;
	}
	return running ? -1 : -2;
}

static int detect_add(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at)
{
	uint64_t held = f->h[0].detect.len + f->h[1].detect.len;
	if (held + n > r->caps->detect_bytes)
		return -1;
	if (f->nlog == f->alog) {
		uint32_t a = f->alog ? f->alog * 2 : 8;
		struct chunk *l = realloc(f->log, a * sizeof *l);
		if (!l)
			return -1;
		f->log = l;
		f->alog = a;
	}
	if (buf_add(&f->h[d].detect, p, n))
		return -1;
	struct chunk *c = &f->log[f->nlog++];
	c->dir = (uint8_t)d;
	c->len = (uint32_t)n;
	c->frame = at->frame;
	c->off = at->off;
	c->ts = at->ts;
	mem_add(r, f, (int64_t)n);
	return 0;
}

void pos_held(const struct flow *f, struct ss_pos *at)
{
	for (int d = 0; d < 2; d++)
		if (f->h[d].ooo && (!at->held || f->h[d].ooo_since < at->held_ts)) {
			at->held = 1;
			at->held_ts = f->h[d].ooo_since;
		}
}

void deliver_data(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                  uint64_t off, uint64_t frame, int64_t ts)
{
	struct ss_pos at = {frame, ts, off, 0, 0, 0};
	pos_held(f, &at);
	f->pub.st[d].bytes += n;
	taps_data(r, f, d, p, n, &at);
	if (f->deciding) {
		if (detect_add(r, f, d, p, n, &at) == 0) {
			int i = probe_all(r, f, d, f->h[d].detect.p, f->h[d].detect.len);
			if (i != -1)
				decide(r, f, i < 0 ? -1 : i);
			return;
		}
		/* Past --detect-bytes: the probes see the first bytes that fit, then
		 * the port decides if none is sure. Only the logged chunks are
		 * replayed; these bytes follow below. */
		struct buf *b = &f->h[d].detect;
		size_t k = b->cap - b->len < n ? b->cap - b->len : n;
		if (buf_add(b, p, k) == 0)
			mem_add(r, f, (int64_t)k);
		int i = probe_all(r, f, d, b->p, b->len);
		decide(r, f, i < 0 ? -1 : i);
	}
	app_data(f, d, p, n, &at);
}

void deliver_gap(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t off, uint64_t len,
                 const char *why)
{
	struct ss_pos at = {r->frame, r->now, off, 1, 0, 0};
	pos_held(f, &at);
	f->pub.st[d].gaps++;
	f->pub.st[d].gap_bytes += len;
	ss_eventf("tcp", "gap", r->frame, r->now, f->pub.id, d,
	          "%llu bytes missing at offset %llu (%s)", (unsigned long long)len,
	          (unsigned long long)off, why);
	for (int i = 0; i < r->ntap; i++)
		if (r->tap[i]->gap)
			r->tap[i]->gap(f->tap_st[i], d, len, &at);
	if (f->deciding)
		decide(r, f, -1);
	app_drain(f, d, r->frame, r->now);
	if (f->app && f->app->gap)
		f->app->gap(f->app_st, d, len, &at);
}

void deliver_datagram(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                      int64_t ts)
{
	struct ss_pos at = {r->frame, ts, 0, 1, 0, 0};
	f->pub.st[d].bytes += n;
	for (int i = 0; i < r->ntap; i++)
		if (r->tap[i]->datagram)
			r->tap[i]->datagram(f->tap_st[i], d, p, n, &at);
	if (f->deciding) {
		/* A datagram stands alone: the first one decides. */
		int i = probe_all(r, f, d, p, n);
		decide(r, f, i < 0 ? -1 : i);
	}
	if (f->app && f->app->datagram)
		f->app->datagram(f->app_st, d, p, n, &at);
}

void deliver_close(struct ss_reasm *r, struct flow *f)
{
	struct ss_pos at = {r->frame, r->now, 0, 1, 0, 0};
	if (f->deciding)
		decide(r, f, -1);
	for (int d = 0; d < 2; d++)
		app_drain(f, (enum ss_dir)d, r->frame, r->now);
	if (f->app && f->app->close)
		f->app->close(f->app_st, &f->pub, &at);
	f->app_st = NULL;
	for (int i = 0; i < r->ntap; i++)
		if (r->tap[i]->close)
			r->tap[i]->close(f->tap_st[i], &f->pub, &at);
}

void deliver_free(struct ss_reasm *r, struct flow *f)
{
	detect_free(r, f);
	for (int d = 0; d < 2; d++)
		buf_free(&f->h[d].pending);
}
