/* spsc.c - records from one thread to one other, handed over in blocks
 * (see spsc.h).
 *
 * A record is its length (8 bytes, so what follows is aligned for any
 * struct) and its bytes, padded to 8. The threads meet only under the
 * mutex, when a block changes hands; a block's records are written by the
 * producer before it goes over and read by the consumer after, so they
 * need no other ordering.
 */
#define _POSIX_C_SOURCE 200809L
#include "spsc.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPSC_BLOCK (256u << 10)
#define SPSC_BLOCKS 8
#define LINE 64

#define HDR 8
#define SPACE(n) (HDR + (((n) + 7) & ~(size_t)7))

struct block {
	uint8_t *mem;
	size_t size, used;
	int last; /* the producer closed after these records */
};

struct spsc {
	atomic_int quit;
	alignas(LINE) pthread_mutex_t mu;
	pthread_cond_t filled_cv, taken_cv;
	_Atomic uint64_t taken; /* blocks given back (written under mu) */
	struct block b[SPSC_BLOCKS];
	/* the producer's side */
	alignas(LINE) struct block *fill;
	uint64_t n;  /* blocks handed over (written under mu); b[n % SPSC_BLOCKS] is filled next */
	size_t used; /* bytes of it filled, written to it at hand-over */
	/* the consumer's side */
	alignas(LINE) struct block *cur;
	size_t at, end;
	int ended;
};

struct spsc *spsc_new(void)
{
	struct spsc *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	for (int i = 0; i < SPSC_BLOCKS; i++) {
		q->b[i].mem = malloc(SPSC_BLOCK);
		q->b[i].size = SPSC_BLOCK;
		if (!q->b[i].mem)
			goto fail;
	}
	if (pthread_mutex_init(&q->mu, NULL))
		goto fail;
	pthread_cond_init(&q->filled_cv, NULL);
	pthread_cond_init(&q->taken_cv, NULL);
	return q;
fail:
	for (int i = 0; i < SPSC_BLOCKS; i++)
		free(q->b[i].mem);
	free(q);
	return NULL;
}

void spsc_free(struct spsc *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->filled_cv);
	pthread_cond_destroy(&q->taken_cv);
	pthread_mutex_destroy(&q->mu);
	for (int i = 0; i < SPSC_BLOCKS; i++)
		free(q->b[i].mem);
	free(q);
}

/* The producer's next block, once the consumer has given it back; 0 when
 * the consumer quit instead. A record over a block's size (big: 1) waits
 * until the consumer has at most the block it reads, and the consumer
 * makes a grown block small again as it gives it back: so at most two
 * blocks are grown at a time, and the queue holds at most SPSC_BLOCKS
 * blocks and two big records, not SPSC_BLOCKS of the largest. */
static int take_room(struct spsc *q, int big)
{
	uint64_t most = big ? 1 : SPSC_BLOCKS - 1;
	pthread_mutex_lock(&q->mu);
	while (q->n - q->taken > most && !atomic_load(&q->quit))
		pthread_cond_wait(&q->taken_cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
	if (atomic_load(&q->quit))
		return 0;
	q->fill = &q->b[q->n % SPSC_BLOCKS];
	q->fill->last = 0;
	q->used = 0;
	return 1;
}

static void hand_over(struct spsc *q, int last)
{
	q->fill->used = q->used;
	q->fill->last = last;
	q->fill = NULL;
	pthread_mutex_lock(&q->mu);
	q->n++;
	pthread_cond_signal(&q->filled_cv);
	pthread_mutex_unlock(&q->mu);
}

void *spsc_put(struct spsc *q, size_t n)
{
	size_t need = SPACE(n);
	if (need < n || atomic_load_explicit(&q->quit, memory_order_relaxed))
		return NULL;
	int big = need > SPSC_BLOCK;
	if (q->fill && q->used && (big || q->used + need > q->fill->size))
		hand_over(q, 0);
	if (!q->fill && !take_room(q, big))
		return NULL;
	struct block *b = q->fill;
	if (need > b->size) { /* alone in a block of its own size */
		uint8_t *m = realloc(b->mem, need);
		if (!m)
			return NULL;
		b->mem = m;
		b->size = need;
	}
	uint64_t len = n;
	memcpy(b->mem + q->used, &len, HDR);
	void *rec = b->mem + q->used + HDR;
	q->used += need;
	return rec;
}

uint64_t spsc_block(const struct spsc *q)
{
	return q->n;
}

uint64_t spsc_done(struct spsc *q)
{
	/* acquire: what the consumer did with the block happened before */
	return atomic_load_explicit(&q->taken, memory_order_acquire);
}

int spsc_would_wait(struct spsc *q, size_t n)
{
	size_t need = SPACE(n);
	int big = need > SPSC_BLOCK;
	if (q->fill && (!q->used || (!big && q->used + need <= q->fill->size)))
		return 0;
	/* a block must be taken (take_room) */
	uint64_t out = q->n + (q->fill != NULL);
	uint64_t most = big ? 1 : SPSC_BLOCKS - 1;
	return out - atomic_load_explicit(&q->taken, memory_order_acquire) > most;
}

void spsc_flush(struct spsc *q)
{
	if (q->fill && q->used)
		hand_over(q, 0);
}

void spsc_close(struct spsc *q)
{
	if (!q->fill && !take_room(q, 0))
		return; /* the consumer quit: nobody waits for the end */
	hand_over(q, 1);
}

const void *spsc_get(struct spsc *q, size_t *n)
{
	for (;;) {
		if (q->at < q->end) {
			uint64_t len;
			memcpy(&len, q->cur->mem + q->at, HDR);
			const void *rec = q->cur->mem + q->at + HDR;
			q->at += SPACE((size_t)len);
			*n = (size_t)len;
			return rec;
		}
		if (q->ended || (q->cur && q->cur->last)) {
			q->ended = 1;
			return NULL;
		}
		if (q->cur && q->cur->size > SPSC_BLOCK) { /* grown for a big record */
			uint8_t *m = realloc(q->cur->mem, SPSC_BLOCK);
			if (m) {
				q->cur->mem = m;
				q->cur->size = SPSC_BLOCK;
			}
		}
		pthread_mutex_lock(&q->mu);
		if (q->cur) { /* done with it: the producer may fill it again */
			atomic_store_explicit(&q->taken, q->taken + 1, memory_order_release);
			pthread_cond_signal(&q->taken_cv);
		}
		while (q->taken == q->n)
			pthread_cond_wait(&q->filled_cv, &q->mu);
		q->cur = &q->b[q->taken % SPSC_BLOCKS];
		pthread_mutex_unlock(&q->mu);
		q->at = 0;
		q->end = q->cur->used;
	}
}

int spsc_ready(struct spsc *q)
{
	if (q->at < q->end || q->ended || (q->cur && q->cur->last))
		return 1;
	pthread_mutex_lock(&q->mu);
	int r = q->taken + (q->cur != NULL) < q->n;
	pthread_mutex_unlock(&q->mu);
	return r;
}

void spsc_quit(struct spsc *q)
{
	pthread_mutex_lock(&q->mu);
	atomic_store(&q->quit, 1);
	pthread_cond_signal(&q->taken_cv);
	pthread_mutex_unlock(&q->mu);
}
