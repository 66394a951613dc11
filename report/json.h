/* json.h - writing JSON lines: strings escaped so that any bytes, valid
 * UTF-8 or not, give valid JSON.
 */
#ifndef SS_JSON_H
#define SS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes p[0..n) as a JSON string with its quotes. Valid UTF-8 passes
 * through; control characters and bytes that are not valid UTF-8 are written
 * as \u00XX (so a byte's value is never lost). */
void json_str(FILE *out, const void *p, size_t n);
/* The same for a NUL-terminated string. */
void json_cstr(FILE *out, const char *s);
/* The SHA-256 of p[0..n): the digest --json and --export give each
 * message (all zeros if OpenSSL fails). */
void sha256_of(const uint8_t *p, size_t n, uint8_t digest[32]);
/* Writes a SHA-256 digest as a quoted hex string. */
void json_sha256(FILE *out, const uint8_t digest[32]);

#endif
