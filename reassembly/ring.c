/* ring.c - the last delivered bytes of a direction. */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_ALLOC 64u /* a command line or two; a million idle flows pay 64M, not 1G */

/* Copies n bytes held at stream offset off out of the ring into dst. */
static void ring_read(const struct ring *g, uint64_t off, uint8_t *dst, size_t n)
{
	size_t at = (size_t)(off % g->alloc), first = g->alloc - at;
	if (first > n)
		first = n;
	memcpy(dst, g->p + at, first);
	memcpy(dst + first, g->p, n - first);
}

/* Grows the storage to hold want bytes (at most the window), keeping what
 * is held, which ends at stream offset end. Returns the bytes added. */
static long ring_grow(struct ring *g, struct bufpool *pool, uint64_t end, uint64_t want)
{
	uint32_t alloc = g->alloc ? g->alloc : FIRST_ALLOC;
	/* four times at a step: each step moves every byte held */
	while (alloc < want && alloc < g->size)
		alloc = alloc > g->size / 4 ? g->size : alloc * 4;
	if (alloc > g->size)
		alloc = g->size;
	if (alloc == g->alloc)
		return 0;
	uint8_t *p = alloc == g->size ? bufpool_get(pool, alloc) : NULL;
	if (!p)
		p = malloc(alloc);
	if (!p) {
		free(g->p);
		g->p = NULL;
		g->size = g->alloc = 0;
		g->len = 0;
		return -1;
	}
	struct ring n = {p, g->size, alloc, 0};
	if (g->len) {
		/* Held bytes move to their places in the larger ring. */
		uint64_t start = end - g->len;
		size_t at = (size_t)(start % alloc), first = alloc - at;
		if (first > g->len)
			first = (size_t)g->len;
		ring_read(g, start, p + at, first);
		ring_read(g, start + first, p, (size_t)g->len - first);
		n.len = g->len;
	}
	long added = (long)alloc - (long)g->alloc;
	free(g->p);
	*g = n;
	return added;
}

long ring_push(struct ring *g, struct bufpool *pool, uint64_t off, const uint8_t *p, size_t n)
{
	long added = 0;
	if (!g->size || !n)
		return 0;
	if (g->len + n > g->alloc && g->alloc < g->size) {
		added = ring_grow(g, pool, off, g->len + n);
		if (added < 0)
			return -1;
	}
	if (n > g->alloc) { /* only the last alloc bytes can stay */
		p += n - g->alloc;
		off += n - g->alloc;
		n = g->alloc;
	}
	size_t at = (size_t)(off % g->alloc), first = g->alloc - at;
	if (first > n)
		first = n;
	memcpy(g->p + at, p, first);
	memcpy(g->p, p + first, n - first);
	g->len += n;
	if (g->len > g->alloc)
		g->len = g->alloc;
	return added;
}

size_t ring_cmp(const struct ring *g, uint64_t end, uint64_t off, const uint8_t *p, size_t n,
                int *differs)
{
	*differs = 0;
	uint64_t start = end - g->len;
	if (!g->p || !g->len || off + n <= start || off >= end)
		return 0;
	if (off < start) { /* the front is no longer held */
		p += start - off;
		n -= (size_t)(start - off);
		off = start;
	}
	if (off + n > end)
		n = (size_t)(end - off);
	size_t at = (size_t)(off % g->alloc), first = g->alloc - at;
	if (first > n)
		first = n;
	if (memcmp(g->p + at, p, first) || memcmp(g->p, p + first, n - first))
		*differs = 1;
	return n;
}

uint32_t ring_free(struct ring *g, struct bufpool *pool)
{
	uint32_t freed = g->p ? g->alloc : 0;
	if (g->alloc == g->size)
		bufpool_put(pool, g->p, g->alloc);
	else
		free(g->p);
	g->p = NULL;
	g->alloc = 0;
	g->len = 0;
	return freed;
}
