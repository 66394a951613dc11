/* inflate.c - COMPRESS=DEFLATE read through zlib's inflate, as a stream
 * transform of the session engine (inflate.h). */
#include "inflate.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const */
#include <zlib.h>

#include "event.h"
#include "memacct.h"

struct zs {
	struct pingpong *pp;
	struct pp_stage *g;
	z_stream z[2];
	int on[2];       /* inflating */
	uint64_t raw[2]; /* compressed bytes taken, read or only counted */
	uint64_t out[2]; /* what they inflated to: the offsets the line engine sees */
};

/* zlib's state is held for the session between packets: it counts in
 * --max-held-mem. Each block carries its size in front, for the give-back. */
static voidpf zcounted_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	if (size && items > (SIZE_MAX - sizeof(max_align_t)) / size)
		return Z_NULL;
	size_t n = (size_t)items * size + sizeof(max_align_t);
	if (memacct_take(&ss_held, ss_held.cap, n))
		return Z_NULL;
	max_align_t *b = malloc(n);
	if (!b) {
		memacct_give(&ss_held, n);
		return Z_NULL;
	}
	memcpy(b, &n, sizeof n);
	return b + 1;
}

static void zcounted_free(voidpf opaque, voidpf address)
{
	(void)opaque;
	if (!address)
		return;
	max_align_t *b = (max_align_t *)address - 1;
	size_t n;
	memcpy(&n, b, sizeof n);
	memacct_give(&ss_held, n);
	free(b);
}

/* Inflating d stops for good (a gap, bad data): the rest is only counted. */
static void stop(struct zs *s, enum ss_dir d, uint64_t frame, int64_t ts, const char *why)
{
	if (!s->on[d])
		return;
	inflateEnd(&s->z[d]);
	s->on[d] = 0;
	pp_stage_end(s->g, d);
	if (why)
		ss_eventf(s->pp->proto, "inflate_error", frame, ts, s->pp->f->id, d,
		          "the compressed stream cannot be read on (%s): the rest is only counted",
		          why);
}

static void zdata(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct zs *s = st;
	s->raw[d] += n;
	if (!s->on[d])
		return;
	uint8_t out[16384];
	z_stream *z = &s->z[d];
	z->next_in = p;
	z->avail_in = (uInt)n;
	while (s->on[d]) {
		z->next_out = out;
		z->avail_out = sizeof out;
		int rc = inflate(z, Z_SYNC_FLUSH);
		size_t got = sizeof out - z->avail_out;
		if (got) {
			struct ss_pos pz = {at->frame, at->ts, s->out[d], 0, 0, 0};
			s->out[d] += got;
			pp_stage_out(s->g, d, out, got, &pz);
		}
		if (rc == Z_STREAM_END) {
			stop(s, d, at->frame, at->ts, "the DEFLATE stream ended");
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			stop(s, d, at->frame, at->ts, z->msg ? z->msg : "not DEFLATE");
			break;
		}
		if (!z->avail_in && z->avail_out)
			break; /* all read, all given out */
		if (rc == Z_BUF_ERROR && !got)
			break;
	}
	if (s->on[d]) {
		z->next_in = NULL;
		z->avail_in = 0;
	}
}

static int zgap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct zs *s = st;
	if (!s->on[d])
		return 0; /* only counted already */
	/* DEFLATE cannot be picked up again after a hole. */
	stop(s, d, at->frame, at->ts, NULL);
	ss_eventf(s->pp->proto, "gap", at->frame, at->ts, s->pp->f->id, d,
	          "%llu bytes of the compressed stream are missing: the rest of this direction "
	          "is only counted",
	          (unsigned long long)len);
	return 1;
}

static void zclose(void *st, const struct ss_pos *at)
{
	struct zs *s = st;
	for (int d = 0; d < 2; d++)
		if (s->on[d])
			inflateEnd(&s->z[d]);
	pp_note(s->pp, "compress_end", at->ts, at->frame,
	        "%llu compressed bytes to the server (%llu inflated), %llu back (%llu inflated)",
	        (unsigned long long)s->raw[SS_C2S], (unsigned long long)s->out[SS_C2S],
	        (unsigned long long)s->raw[SS_S2C], (unsigned long long)s->out[SS_S2C]);
	free(s);
}

static const struct pp_xform deflate_xform = {"deflate", zdata, zgap, zclose};

static void *zopen(struct pingpong *pp, struct pp_stage *g, void *arg)
{
	(void)arg;
	struct zs *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->pp = pp;
	s->g = g;
	for (int d = 0; d < 2; d++) {
		s->z[d].zalloc = zcounted_alloc;
		s->z[d].zfree = zcounted_free;
		s->on[d] = inflateInit2(&s->z[d], -15) == Z_OK;
	}
	if (!s->on[SS_C2S] || !s->on[SS_S2C]) {
		/* both read, or neither: the bytes are only counted */
		for (int d = 0; d < 2; d++)
			if (s->on[d])
				inflateEnd(&s->z[d]);
		s->on[SS_C2S] = s->on[SS_S2C] = 0;
	}
	return s;
}

int inflate_start(struct pingpong *pp, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx)
{
	struct pp_stage *g = pp_xform_push(pp, &deflate_xform, zopen, NULL, c2s, s2c, ctx);
	const struct zs *s = g ? g->st : NULL;
	return s && s->on[SS_C2S];
}
