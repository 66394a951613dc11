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

void fifo_count_above(struct fifo *r, struct memacct *a, size_t k)
{
	r->acct = a;
	r->free_slots = k;
}

/* The bytes of room for cap elements that count in the account. */
static size_t counted(const struct fifo *r, size_t cap)
{
	return cap > r->free_slots ? (cap - r->free_slots) * r->esz : 0;
}

void fifo_free(struct fifo *r)
{
	struct memacct *acct = r->acct;
	size_t free_slots = r->free_slots;
	if (acct)
		memacct_give(acct, counted(r, r->cap));
	free(r->a);
	fifo_init(r, r->esz);
	r->acct = acct;
	r->free_slots = free_slots;
}

int fifo_make_room(struct fifo *r, size_t max)
{
	if (r->len < r->cap || r->cap >= max)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 1;
	if (cap > max)
		cap = max;
	size_t more = counted(r, cap) - counted(r, r->cap);
	if (r->acct && memacct_take(r->acct, r->acct->cap, more))
		return r->cap ? 0 : -1; /* full where it is */
	uint8_t *a = malloc(cap * r->esz);
	if (!a) {
		if (r->acct)
			memacct_give(r->acct, more);
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

void fifo_trim(struct fifo *r, size_t keep)
{
	if (r->len || r->cap <= keep)
		return;
	uint8_t *a = NULL;
	if (keep && !(a = realloc(r->a, keep * r->esz)))
		return; /* kept as it is: it is only larger */
	if (!keep)
		free(r->a);
	if (r->acct)
		memacct_give(r->acct, counted(r, r->cap) - counted(r, keep));
	r->a = a;
	r->cap = keep;
	r->head = 0;
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
