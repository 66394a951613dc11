/* base64.h - base64 decoding (RFC 4648 4), strict about what it accepts. */
#ifndef SS_BASE64_H
#define SS_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes n characters at p into out (room for at least n / 4 * 3 bytes).
 * Whitespace is not allowed, padding is required where due. Returns the
 * number of bytes written, or -1 when p is not base64. */
long base64_decode(const uint8_t *p, size_t n, uint8_t *out);
/* The value of one character of the alphabet (0..63), or -1. */
int base64_value(uint8_t c);
/* Whether the string v is characters of the alphabet followed by at most two
 * "=" (RFC 6376 base64string, folding whitespace already removed); *n is
 * its length. */
int base64_shaped(const char *v, size_t *n);

#endif
