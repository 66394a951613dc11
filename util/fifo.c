/* fifo.c - see fifo.h. */
#include "fifo.h"

#include <stdlib.h>
#include <string.h>

void fifo_init(struct fifo *r, size_t esz)
{
	memset(r, 0, sizeof *r);
	r->esz = esz;
}

void fifo_free(struct fifo *r)
{
	free(r->a);
	fifo_init(r, r->esz);
}

int fifo_make_room(struct fifo *r, size_t max)
{
	if (r->len < r->cap || r->cap >= max)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 8;
	if (cap > max)
		cap = max;
	uint8_t *a = malloc(cap * r->esz);
	if (!a)
		return -1;
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
