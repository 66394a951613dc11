/* ring.c - the last delivered bytes of a direction. */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

long ring_push(struct ring *g, uint64_t off, const uint8_t *p, size_t n)
{
	long added = 0;
	if (!g->size || !n)
		return 0;
	if (!g->p) {
		g->p = malloc(g->size);
		if (!g->p) {
			g->size = 0;
			return -1;
		}
		added = g->size;
	}
	if (n > g->size) { /* only the last size bytes can stay */
		p += n - g->size;
		off += n - g->size;
		n = g->size;
	}
	size_t at = (size_t)(off % g->size), first = g->size - at;
	if (first > n)
		first = n;
	memcpy(g->p + at, p, first);
	memcpy(g->p, p + first, n - first);
	g->len += n;
	if (g->len > g->size)
		g->len = g->size;
	return added;
}

size_t ring_cmp(const struct ring *g, uint64_t end, uint64_t off, const uint8_t *p, size_t n,
                int *differs)
{
	*differs = 0;
	uint64_t start = end - g->len;
	if (!g->p || off + n <= start || off >= end)
		return 0;
	if (off < start) { /* the front is no longer held */
		p += start - off;
		n -= (size_t)(start - off);
		off = start;
	}
	if (off + n > end)
		n = (size_t)(end - off);
	size_t at = (size_t)(off % g->size), first = g->size - at;
	if (first > n)
		first = n;
	if (memcmp(g->p + at, p, first) || memcmp(g->p, p + first, n - first))
		*differs = 1;
	return n;
}

uint32_t ring_free(struct ring *g)
{
	uint32_t freed = g->p ? g->size : 0;
	free(g->p);
	g->p = NULL;
	g->len = 0;
	return freed;
}
