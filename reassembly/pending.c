/* pending.c - a dissector's unconsumed bytes, offered again (see pending.h). */
#include "pending.h"

#include "event.h"
#include "log.h"

/* The held bytes are too many: they go as a gap, said so. */
static void overflow(const struct ss_proto *app, void *st, uint64_t flow, enum ss_dir d, size_t n,
                     const struct ss_pos *at, uint64_t off)
{
	ss_eventf("tcp", "pending_overflow", at->frame, at->ts, flow, d,
	          "%s left %zu bytes unconsumed (--max-pending); they are skipped as a gap",
	          app->name, n);
	struct ss_pos gp = *at;
	gp.off = off;
	if (app->gap)
		app->gap(st, d, n, &gp);
}

void pending_feed(struct buf *held, const struct ss_proto *app, void *st, uint64_t flow,
                  enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	if (held->len && held->len + n > held->cap) {
		size_t k = held->len;
		buf_reset(held);
		overflow(app, st, flow, d, k, at, at->off - k);
	}
	if (!held->len) {
		size_t used = app->data(st, d, p, n, at);
		if (used >= n)
			return;
		if (buf_add(held, p + used, n - used))
			overflow(app, st, flow, d, n - used, at, at->off + used);
		return;
	}
	if (buf_add(held, p, n))
		ss_panic("pending buffer: append within the cap failed"); /* room was made above */
	struct ss_pos pp = *at;
	pp.off = at->off + n - held->len;
	size_t used = app->data(st, d, held->p, held->len, &pp);
	buf_consume(held, used < held->len ? used : held->len);
}

void pending_drain(struct buf *held, const struct ss_proto *app, void *st, enum ss_dir d,
                   uint64_t frame, int64_t ts, uint64_t next)
{
	if (!held->len)
		return;
	if (app && app->data) {
		struct ss_pos at = {frame, ts, next - held->len, 1};
		app->data(st, d, held->p, held->len, &at);
	}
	buf_free(held);
}
