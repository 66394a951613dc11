/* buf.c - growable byte buffer with a cap fixed at init. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap)
{
	b->p = NULL;
	b->len = b->size = 0;
	b->cap = cap;
	b->acct = NULL;
}

void buf_count(struct buf *b, struct memacct *a)
{
	b->acct = a;
}

void buf_free(struct buf *b)
{
	if (b->acct)
		memacct_give(b->acct, b->size);
	free(b->p);
	b->p = NULL;
	b->len = b->size = 0;
}

/* buf_add() with the size of a first allocation given. */
static int add(struct buf *b, const void *p, size_t n, size_t first)
{
	if (n == 0)
		return 0;
	if (n > b->cap - b->len)
		return -1;
	size_t need = b->len + n;
	if (need > b->size) {
		size_t size = b->size ? b->size : first;
		while (size < need)
			size = size > b->cap / 2 ? b->cap : size * 2;
		/* A counted buffer near its account's cap takes no more than it
		 * needs: the doubling alone must not be what is refused. */
		if (b->acct && memacct_take(b->acct, b->acct->cap, size - b->size)) {
			size = need;
			if (memacct_take(b->acct, b->acct->cap, size - b->size))
				return BUF_SHARED;
		}
		uint8_t *q = realloc(b->p, size);
		if (!q) {
			if (b->acct)
				memacct_give(b->acct, size - b->size);
			return -1;
		}
		b->p = q;
		b->size = size;
	}
	memcpy(b->p + b->len, p, n);
	b->len = need;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	return add(b, p, n, 256);
}

void buf_set(struct buf *b, const void *p, size_t n)
{
	/* A value kept (a HELO name, a sender) takes what it needs: a
	 * session keeps it while idle, and idle sessions are many. */
	if (b->size != n)
		buf_free(b);
	b->len = 0;
	if (add(b, p, n, n))
		b->len = 0;
}

uint8_t *bytes_dup(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

void buf_trim(struct buf *b, size_t keep)
{
	if (!b->len && b->size > keep)
		buf_free(b);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void bufpool_init(struct bufpool *bp, size_t keep)
{
	bp->n = 0;
	bp->keep = keep;
}

void bufpool_free(struct bufpool *bp)
{
	while (bp->n)
		free(bp->spare[--bp->n].p);
}

void bufpool_take(struct bufpool *bp, struct buf *b)
{
	if (!bp || !bp->n || b->p || b->acct)
		return;
	bp->n--;
	b->p = bp->spare[bp->n].p;
	b->size = bp->spare[bp->n].size;
	b->len = 0;
}

void bufpool_give(struct bufpool *bp, struct buf *b)
{
	if (b->acct)
		memacct_give(b->acct, b->size);
	bufpool_put(bp, b->p, b->size);
	b->p = NULL;
	b->len = b->size = 0;
}

uint8_t *bufpool_get(struct bufpool *bp, size_t size)
{
	if (!bp || !bp->n || bp->spare[bp->n - 1].size != size)
		return NULL;
	return bp->spare[--bp->n].p;
}

void bufpool_put(struct bufpool *bp, uint8_t *p, size_t size)
{
	if (bp && p && bp->n < BUFPOOL_MAX && size <= bp->keep) {
		bp->spare[bp->n].p = p;
		bp->spare[bp->n].size = size;
		bp->n++;
		return;
	}
	free(p);
}
