/* fifo.h - a FIFO of fixed-size elements in one array that wraps, grown by
 * doubling up to a cap the caller gives (a session's commands awaiting their
 * replies: most sessions never hold more than a few). */
#ifndef SS_FIFO_H
#define SS_FIFO_H

#include <stddef.h>
#include <stdint.h>

#include "memacct.h"

struct fifo {
	uint8_t *a;
	size_t esz;            /* bytes per element */
	size_t head, len, cap; /* in elements */
	struct memacct *acct;  /* the array counted here (fifo_count), or NULL */
	size_t free_slots;     /* the first elements' room is not counted there */
};

void fifo_init(struct fifo *r, size_t esz);
/* From now on the array is counted in a (memacct.h), which must outlive
 * the fifo: called right after fifo_init(). */
void fifo_count(struct fifo *r, struct memacct *a);
/* The same, but room for the first k elements is not counted: it is the
 * owner's own state, bounded some other way (a session's first command
 * slot, by --max-flows), so that others' use of the account never takes
 * it away. */
void fifo_count_above(struct fifo *r, struct memacct *a, size_t k);
/* Frees the array; the elements' own storage is the caller's. */
void fifo_free(struct fifo *r);
/* When full and under max elements, grows toward max (1, 2, 4, ...).
 * Returns -1 when memory runs out; the ring may still be full at max, or
 * where its account refused more (a ring that has no room at all then
 * returns -1). */
int fifo_make_room(struct fifo *r, size_t max);
/* An empty fifo holding more than keep elements' room gives the rest back
 * (to its account too): what an idle owner holds. */
void fifo_trim(struct fifo *r, size_t keep);
/* Appends a zeroed element (len < cap) and returns it. */
void *fifo_push(struct fifo *r);
/* Takes the oldest element (len > 0), copied to out unless out is NULL. */
void fifo_pop(struct fifo *r, void *out);

/* The i-th element from the oldest (i < len). */
static inline void *fifo_at(const struct fifo *r, size_t i)
{
	return r->a + (r->head + i) % r->cap * r->esz;
}

#endif
