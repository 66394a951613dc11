/* buf.h - growable byte buffer with a cap fixed at init (curl's dynbuf).
 *
 * A buffer never grows past the cap it was given: an append that would pass it
 * fails with -1 and leaves the contents as they were, so the caller decides
 * what overflow means (cut a line, mark a message incomplete, raise an event).
 */
#ifndef SS_BUF_H
#define SS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "memacct.h"

#if defined(__GNUC__)
#define SS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SS_MUST_CHECK
#endif

struct buf {
	uint8_t *p;           /* owned; NULL until the first append */
	size_t len;           /* bytes in use */
	size_t size;          /* bytes allocated */
	size_t cap;           /* len never exceeds this */
	struct memacct *acct; /* storage counted here (buf_count), or NULL */
};

/* What buf_add() returns when the buffer's account (buf_count) would pass
 * its cap: the buffer's own cap still had room. */
#define BUF_SHARED (-2)

void buf_init(struct buf *b, size_t cap);
/* Frees the storage; the buffer is left empty and usable with the same cap. */
void buf_free(struct buf *b);
/* From now on the buffer's storage is counted in a (memacct.h), which must
 * outlive it: called on a buffer without storage, right after buf_init().
 * Such a buffer must not lend its storage to a pool. */
void buf_count(struct buf *b, struct memacct *a);
/* Appends n bytes; -1 (nothing appended) when len + n would pass the cap or
 * memory runs out, BUF_SHARED when the account refused the storage. */
int buf_add(struct buf *b, const void *p, size_t n) SS_MUST_CHECK;
/* Replaces the contents with p[0..n); a value longer than the cap leaves the
 * buffer empty rather than cut. */
void buf_set(struct buf *b, const void *p, size_t n);
/* A copy of p[0..n) in an allocation of its own (one byte for n = 0), or
 * NULL when memory runs out. */
uint8_t *bytes_dup(const void *p, size_t n);
/* Drops the first n bytes (n <= len), keeping the rest. */
void buf_consume(struct buf *b, size_t n);
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
}
/* An empty buffer lets go of storage over keep bytes: one long line must
 * not keep its storage for the rest of a session. */
void buf_trim(struct buf *b, size_t keep);

/* Storage of finished buffers, lent to the next buffer that needs some: a
 * busy capture then does not allocate, grow and fault in each message's
 * storage anew. Holds at most BUFPOOL_MAX storages of at most keep bytes. */
#define BUFPOOL_MAX 16
struct bufpool {
	struct {
		uint8_t *p;
		size_t size;
	} spare[BUFPOOL_MAX];
	size_t n, keep;
};

void bufpool_init(struct bufpool *bp, size_t keep);
void bufpool_free(struct bufpool *bp);
/* An empty buffer without storage takes the storage given back last (bp
 * may be NULL: nothing is taken). */
void bufpool_take(struct bufpool *bp, struct buf *b);
/* The buffer's storage goes to bp, or is freed when bp is NULL, full or
 * the storage is over keep; the buffer is left empty, without storage. */
void bufpool_give(struct bufpool *bp, struct buf *b);
/* The same for bare storage: the storage given back last, if it has
 * exactly size bytes (else NULL); and p (size bytes) kept or freed. */
uint8_t *bufpool_get(struct bufpool *bp, size_t size);
void bufpool_put(struct bufpool *bp, uint8_t *p, size_t size);

#endif
