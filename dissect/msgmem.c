/* msgmem.c - the storage of the messages being collected, counted against
 * --max-messages-mem (see msgmem.h). */
#include "msgmem.h"

#include <stdlib.h>

#include "memacct.h"

/* The cap is given with each call: a large message's is smaller. */
static struct memacct msgs;

int msgmem_take(uint64_t cap, size_t n)
{
	return memacct_take(&msgs, cap, n);
}

void msgmem_give(size_t n)
{
	memacct_give(&msgs, n);
}

uint64_t msgmem_held(void)
{
	return memacct_held(&msgs);
}

uint64_t msgmem_peak(void)
{
	return memacct_peak(&msgs);
}

void msgmem_begin(struct buf *b, uint64_t cap, struct bufpool *bp)
{
	buf_reset(b);
	if (b->p)
		return; /* storage it holds is counted already */
	bufpool_take(bp, b);
	if (b->p && msgmem_take(cap, b->size))
		bufpool_give(bp, b); /* the pool keeps it: no storage until a byte fits */
}

enum msgmem_res msgmem_add(struct buf *b, uint64_t cap, const void *p, size_t n)
{
	if (n == 0)
		return MSGMEM_OK;
	if (n > b->cap - b->len)
		return MSGMEM_FULL;
	size_t need = b->len + n;
	if (need > b->size) {
		/* buf_add()'s growth (doubling up to the buffer's cap), done here
		 * so that what is allocated is what is counted. */
		size_t size = b->size ? b->size : 256;
		while (size < need)
			size = size > b->cap / 2 ? b->cap : size * 2;
		/* A large message leaves the last eighth to small ones: a few
		 * sessions sending huge messages then cannot cut every ordinary
		 * message of the capture (with the default 256M, 32M stay for
		 * messages under 1M). */
		if (size > cap / MSGMEM_SMALL_PART)
			cap -= cap / MSGMEM_RESERVE_PART;
		if (msgmem_take(cap, size - b->size)) {
			/* Near the cap: the doubling would pass it, what is left of
			 * it may still hold these bytes. Taken whole in one step, so
			 * that a buffer near the cap does not creep up segment by
			 * segment, copied at each. */
			uint64_t held = msgmem_held(), left = held < cap ? cap - held : 0;
			if (left < need - b->size)
				return MSGMEM_SHARED;
			size = b->size + (size_t)left; /* left < size - b->size: no wrap */
			if (msgmem_take(cap, (size_t)left))
				return MSGMEM_SHARED; /* cannot be: left was free */
		}
		uint8_t *q = realloc(b->p, size);
		if (!q) {
			msgmem_give(size - b->size);
			return MSGMEM_FULL;
		}
		b->p = q;
		b->size = size;
	}
	/* Storage is there: buf_add() only copies. */
	return buf_add(b, p, n) ? MSGMEM_FULL : MSGMEM_OK;
}

void msgmem_end(struct buf *b, struct bufpool *bp)
{
	msgmem_give(b->size);
	bufpool_give(bp, b);
}
