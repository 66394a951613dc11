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

#if defined(__GNUC__)
#define SS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SS_MUST_CHECK
#endif

struct buf {
	uint8_t *p;  /* owned; NULL until the first append */
	size_t len;  /* bytes in use */
	size_t size; /* bytes allocated */
	size_t cap;  /* len never exceeds this */
};

void buf_init(struct buf *b, size_t cap);
/* Frees the storage; the buffer is left empty and usable with the same cap. */
void buf_free(struct buf *b);
/* Appends n bytes; -1 (nothing appended) when len + n would pass the cap or
 * memory runs out. */
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

#endif
