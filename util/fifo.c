/* fifo.c - see fifo.h. */
#include "fifo.h"

#include <stdlib.h>
#include <string.h>

void fifo_init(struct fifo *r, size_t esz)
{
	memset(r, 0, sizeof *r);
	r->esz = esz;
}

void fifo_count(struct fifo *r, struct memacct *a)
{
	r->acct = a;
}

void fifo_free(struct fifo *r)
{
	struct memacct *acct = r->acct;
	if (acct)
		memacct_give(acct, r->cap * r->esz);
	free(r->a);
	fifo_init(r, r->esz);
	r->acct = acct;
}

int fifo_make_room(struct fifo *r, size_t max)
{
	if (r->len < r->cap || r->cap >= max)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 8;
	if (cap > max)
		cap = max;
	if (r->acct && memacct_take(r->acct, r->acct->cap, (cap - r->cap) * r->esz))
		return r->cap ? 0 : -1; /* full where it is */
	uint8_t *a = malloc(cap * r->esz);
	if (!a) {
		if (r->acct)
			memacct_give(r->acct, (cap - r->cap) * r->esz);
		return -1;
	}
	for (size_t i = 0; i < r->len; i++)
		memcpy(a + i * r->esz, fifo_at(r, i), r->esz);
	free(r->a);
	r->a = a;
	r->cap = cap;
	r->head = 0;
	return 0;
}

void *fifo_push(struct fifo *r)
{
	void *e = fifo_at(r, r->len++);
	memset(e, 0, r->esz);
	return e;
}

void fifo_pop(struct fifo *r, void *out)
{
	if (out)
		memcpy(out, fifo_at(r, 0), r->esz);
	r->head = (r->head + 1) % r->cap;
	r->len--;
}
