/* readahead.c - frames read by a thread of their own, handed over in blocks
 * (see readahead.h).
 *
 * The reading thread copies each frame into the block it is filling and
 * hands a block over when the next frame does not fit; the consumer gives
 * a block back when it moves on to the next one. RA_BLOCKS blocks of
 * RA_BLOCK bytes make the ring: small enough to stay in the shared cache,
 * large enough that the two threads meet only once per few hundred frames.
 * A frame larger than a block gets a block of its own size.
 */
#define _POSIX_C_SOURCE 200809L
#include "readahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RA_BLOCK (256u << 10)
#define RA_BLOCKS 8

struct rec {
	int64_t ts;
	uint32_t caplen, wirelen;
	/* caplen bytes follow, then padding to the next record */
};

#define REC_ALIGN alignof(struct rec)
#define REC_SPACE(n) ((sizeof(struct rec) + (n) + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1))

struct block {
	uint8_t *mem;
	size_t size, used;
	int last, why; /* last: the input ended after these frames, for why */
};

/* The threads write a block only while it is theirs, and each side's own
 * fields sit on cache lines of their own: a line written by one thread on
 * every frame and read by the other would travel between cores each time. */
#define LINE 64
struct readahead {
	readahead_next_fn *next;
	void *ctx;
	pthread_t th;
	atomic_int quit;
	alignas(LINE) pthread_mutex_t mu;
	pthread_cond_t filled_cv, taken_cv;
	uint64_t filled, taken; /* blocks handed over, and given back */
	struct block b[RA_BLOCKS];
	/* the consumer's side */
	alignas(LINE) struct block *cur;
	size_t at, end;
	int ended, why;
};

/* Waits until block n may be filled; 0 when asked to quit instead. */
static int wait_room(struct readahead *ra, uint64_t n)
{
	pthread_mutex_lock(&ra->mu);
	while (n - ra->taken >= RA_BLOCKS && !atomic_load(&ra->quit))
		pthread_cond_wait(&ra->taken_cv, &ra->mu);
	pthread_mutex_unlock(&ra->mu);
	return !atomic_load(&ra->quit);
}

static void hand_over(struct readahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	ra->filled++;
	pthread_cond_signal(&ra->filled_cv);
	pthread_mutex_unlock(&ra->mu);
}

/* Room for need bytes in b, which holds nothing yet; -1 out of memory. */
static int block_fit(struct block *b, size_t need)
{
	if (b->size >= need)
		return 0;
	uint8_t *m = realloc(b->mem, need);
	if (!m)
		return -1;
	b->mem = m;
	b->size = need;
	return 0;
}

static void *reader(void *arg)
{
	struct readahead *ra = arg;
	uint64_t n = 0;
	struct block *b = NULL;
	size_t used = 0; /* b->used, written back when b is handed over */
	for (;;) {
		if (!b) {
			if (!wait_room(ra, n))
				return NULL;
			b = &ra->b[n % RA_BLOCKS];
			b->last = 0;
			used = 0;
		}
		struct ss_frame f;
		int why = 0;
		int got = atomic_load_explicit(&ra->quit, memory_order_relaxed)
		              ? 0
		              : ra->next(ra->ctx, &f, &why);
		size_t need = got ? REC_SPACE(f.caplen) : 0;
		if (got) {
			if (used && used + need > b->size) {
				b->used = used;
				hand_over(ra);
				n++;
				if (!wait_room(ra, n))
					return NULL;
				b = &ra->b[n % RA_BLOCKS];
				b->last = 0;
				used = 0;
			}
			if (!used && block_fit(b, need))
				got = 0, why = -1; /* out of memory */
		}
		if (!got) {
			b->used = used;
			b->last = 1;
			b->why = why;
			hand_over(ra);
			return NULL;
		}
		struct rec r = {f.ts, f.caplen, f.wirelen};
		memcpy(b->mem + used, &r, sizeof r);
		memcpy(b->mem + used + sizeof r, f.data, f.caplen);
		used += need;
	}
}

struct readahead *readahead_start(readahead_next_fn *next, void *ctx)
{
	struct readahead *ra = calloc(1, sizeof *ra);
	if (!ra)
		return NULL;
	ra->next = next;
	ra->ctx = ctx;
	for (int i = 0; i < RA_BLOCKS; i++) {
		ra->b[i].mem = malloc(RA_BLOCK);
		ra->b[i].size = RA_BLOCK;
		if (!ra->b[i].mem)
			goto fail;
	}
	if (pthread_mutex_init(&ra->mu, NULL))
		goto fail;
	pthread_cond_init(&ra->filled_cv, NULL);
	pthread_cond_init(&ra->taken_cv, NULL);
	/* Signals stay with the main thread, whose loop looks at them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&ra->th, NULL, reader, ra);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&ra->filled_cv);
		pthread_cond_destroy(&ra->taken_cv);
		pthread_mutex_destroy(&ra->mu);
		goto fail;
	}
	return ra;
fail:
	for (int i = 0; i < RA_BLOCKS; i++)
		free(ra->b[i].mem);
	free(ra);
	return NULL;
}

int readahead_frame(struct readahead *ra, struct ss_frame *f, int *why)
{
	for (;;) {
		struct block *b = ra->cur;
		if (ra->at < ra->end) {
			struct rec r;
			memcpy(&r, b->mem + ra->at, sizeof r);
			f->ts = r.ts;
			f->caplen = r.caplen;
			f->wirelen = r.wirelen;
			f->data = b->mem + ra->at + sizeof r;
			ra->at += REC_SPACE(r.caplen);
			return 1;
		}
		if (ra->ended || (b && b->last)) {
			ra->ended = 1;
			*why = b ? b->why : ra->why;
			ra->why = *why;
			return 0;
		}
		pthread_mutex_lock(&ra->mu);
		if (b) { /* done with it: the reader may fill it again */
			ra->taken++;
			pthread_cond_signal(&ra->taken_cv);
		}
		while (ra->taken == ra->filled)
			pthread_cond_wait(&ra->filled_cv, &ra->mu);
		ra->cur = &ra->b[ra->taken % RA_BLOCKS];
		pthread_mutex_unlock(&ra->mu);
		ra->at = 0;
		ra->end = ra->cur->used;
	}
}

void readahead_stop(struct readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	atomic_store(&ra->quit, 1);
	pthread_cond_signal(&ra->taken_cv);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	pthread_cond_destroy(&ra->filled_cv);
	pthread_cond_destroy(&ra->taken_cv);
	pthread_mutex_destroy(&ra->mu);
	for (int i = 0; i < RA_BLOCKS; i++)
		free(ra->b[i].mem);
	free(ra);
}
