/* word.h - protocol words compared without regard to ASCII case (SMTP,
 * POP3 and IMAP commands and keywords), never by the locale. */
#ifndef SS_WORD_H
#define SS_WORD_H

#include <stddef.h>
#include <stdint.h>

/* A string literal as the (w, k) pair the tests below take. */
#define LIT(s) (s), (sizeof(s) - 1)

static inline uint8_t ascii_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
}

/* The value of a hexadecimal digit in either case, or -1 (key logs,
 * reverse names, RFC 2047's Q encoding). */
static inline int ascii_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Is p[0..n) exactly the upper-case literal w[0..k), in any case? */
static inline int word_is(const uint8_t *p, size_t n, const char *w, size_t k)
{
	if (n != k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (ascii_upper(p[i]) != (uint8_t)w[i])
			return 0;
	return 1;
}

/* Does p[0..n) start with the upper-case literal w[0..k), in any case? */
static inline int word_starts(const uint8_t *p, size_t n, const char *w, size_t k)
{
	return n >= k && word_is(p, k, w, k);
}

#endif
