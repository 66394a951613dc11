/* pending.c - a dissector's unconsumed bytes, offered again (see pending.h). */
#include "pending.h"

#include "event.h"
#include "log.h"
#include "memacct.h"

/* Storage an emptied buffer keeps for the next time (the common case is a
 * few bytes a dissector waits to complete). */
#define PENDING_KEEP 1024

/* The held bytes are too many: they go as a gap, said so. */
static void overflow(const struct ss_proto *app, void *st, uint64_t flow, enum ss_dir d, size_t n,
                     const struct ss_pos *at, uint64_t off, int shared)
{
	if (shared)
		ss_eventf("tcp", "held_mem", at->frame, at->ts, flow, d,
		          "%s left %zu bytes unconsumed and --max-held-mem (all sessions) is full; "
		          "they are skipped as a gap",
		          app->name, n);
	else
		ss_eventf("tcp", "pending_overflow", at->frame, at->ts, flow, d,
		          "%s left %zu bytes unconsumed (--max-pending); they are skipped as a gap",
		          app->name, n);
	struct ss_pos gp = *at;
	gp.off = off;
	if (app->gap)
		app->gap(st, d, n, &gp);
}

/* Keeps p[0..n) (at stream offset off) behind what is held; what does not
 * fit goes as a gap with what was held. */
static void hold(struct buf *held, const struct ss_proto *app, void *st, uint64_t flow,
                 enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at, uint64_t off)
{
	int r = buf_add(held, p, n);
	if (!r)
		return;
	size_t k = held->len;
	buf_reset(held);
	buf_trim(held, 0);
	overflow(app, st, flow, d, k + n, at, off - k, r == BUF_SHARED);
}

/* A dissector that was refused storage by --max-held-mem (util/memacct.h)
 * cut a line or a reply: said here, where the flow and the frame are
 * known (event.c counts the repeats). */
static void said_refusals(uint64_t before, const struct ss_proto *app, uint64_t flow, enum ss_dir d,
                          const struct ss_pos *at)
{
	if (memacct_refused(&ss_held) != before)
		ss_eventf("tcp", "held_mem", at->frame, at->ts, flow, d,
		          "%s: --max-held-mem (all sessions) is full; a line, reply or command "
		          "was cut",
		          app->name);
}

void pending_feed(struct buf *held, const struct ss_proto *app, void *st, uint64_t flow,
                  enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	uint64_t refused = memacct_refused(&ss_held);
	if (held->len && held->len + n > held->cap) {
		size_t k = held->len;
		buf_reset(held);
		overflow(app, st, flow, d, k, at, at->off - k, 0);
	}
	if (!held->len) {
		size_t used = app->data(st, d, p, n, at);
		said_refusals(refused, app, flow, d, at);
		if (used < n)
			hold(held, app, st, flow, d, p + used, n - used, at, at->off + used);
		return;
	}
	hold(held, app, st, flow, d, p, n, at, at->off);
	if (!held->len)
		return; /* refused: it went as a gap */
	struct ss_pos pp = *at;
	pp.off = at->off + n - held->len;
	size_t used = app->data(st, d, held->p, held->len, &pp);
	buf_consume(held, used < held->len ? used : held->len);
	buf_trim(held, PENDING_KEEP);
	said_refusals(refused, app, flow, d, at);
}

void pending_drain(struct buf *held, const struct ss_proto *app, void *st, enum ss_dir d,
                   uint64_t frame, int64_t ts, uint64_t next)
{
	if (!held->len)
		return;
	if (app && app->data) {
		struct ss_pos at = {frame, ts, next - held->len, 1, 0, 0};
		app->data(st, d, held->p, held->len, &at);
	}
	buf_free(held);
}
