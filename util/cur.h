/* cur.h - bounds-checked cursor over untrusted bytes.
 *
 * Every byte that came off the wire is read through a struct cur. A read past
 * the end returns 0 (or NULL) and sets c->err; the error is sticky, so a
 * header is decoded as straight-line calls and checked once at the end
 * (tcpdump's GET_ macros, OpenSMTPD's sticky DNS decoder error).
 */
#ifndef SS_CUR_H
#define SS_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *p; /* borrowed: lives as long as the caller's buffer */
	size_t len;       /* bytes in p */
	size_t off;       /* read position, 0 <= off <= len */
	const char *err;  /* first error, static string; NULL while all is well */
};

static inline struct cur cur_make(const void *p, size_t len)
{
	struct cur c = {(const uint8_t *)p, len, 0, NULL};
	return c;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

/* Returns a pointer to the next n bytes and advances, or NULL with err set. */
static inline const uint8_t *cur_ptr(struct cur *c, size_t n, const char *what)
{
	if (c->err)
		return NULL;
	if (n > c->len - c->off) {
		c->err = what;
		return NULL;
	}
	const uint8_t *p = c->p + c->off;
	c->off += n;
	return p;
}

static inline int cur_skip(struct cur *c, size_t n, const char *what)
{
	return cur_ptr(c, n, what) ? 0 : -1;
}

static inline uint8_t cur_u8(struct cur *c, const char *what)
{
	const uint8_t *p = cur_ptr(c, 1, what);
	return p ? p[0] : 0;
}

static inline uint16_t cur_be16(struct cur *c, const char *what)
{
	const uint8_t *p = cur_ptr(c, 2, what);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static inline uint32_t cur_be32(struct cur *c, const char *what)
{
	const uint8_t *p = cur_ptr(c, 4, what);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static inline uint32_t cur_le32(struct cur *c, const char *what)
{
	const uint8_t *p = cur_ptr(c, 4, what);
	return p ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0] : 0;
}

static inline int cur_bytes(struct cur *c, void *dst, size_t n, const char *what)
{
	const uint8_t *p = cur_ptr(c, n, what);
	if (!p)
		return -1;
	memcpy(dst, p, n);
	return 0;
}

/* Peeks at the byte at offset i from the read position without advancing;
 * returns -1 when there is none (err is not set: peeking is not a failure). */
static inline int cur_peek(const struct cur *c, size_t i)
{
	if (c->err || i >= c->len - c->off)
		return -1;
	return c->p[c->off + i];
}

/* Splits off the next n bytes as a nested cursor and advances past them.
 * When fewer remain, the parent gets err and the child is empty with the same
 * err, so reads from either fail (libpcap's nd_push_snaplen(), made simple). */
static inline struct cur cur_sub(struct cur *c, size_t n, const char *what)
{
	const uint8_t *p = cur_ptr(c, n, what);
	struct cur s = cur_make(p, p ? n : 0);
	if (!p)
		s.err = c->err;
	return s;
}

/* The unread rest, as a pointer; the cursor is left unchanged. */
static inline const uint8_t *cur_rest(const struct cur *c)
{
	return c->p + c->off;
}

#endif
