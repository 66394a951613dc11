/* json.h - writing JSON lines: strings escaped so that any bytes, valid
 * UTF-8 or not, give valid JSON.
 *
 * Two forms: into a struct text (text.h), where a record is put together
 * in memory and then written in one piece, and onto a FILE for the rarer
 * writers. --json writes some eight records a message; through stdio each
 * piece of each record cost a locked call and a printf, which made --json
 * a third the speed of the timeline.
 */
#ifndef SS_JSON_H
#define SS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

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

/* The same into a text, byte for byte what the FILE forms write. */
void json_tstr(struct text *t, const void *p, size_t n);
static inline void json_tcstr(struct text *t, const char *s)
{
	json_tstr(t, s, strlen(s));
}
void json_tsha256(struct text *t, const uint8_t digest[32]);
/* v in decimal, with its sign. */
void json_ti64(struct text *t, int64_t v);
/* ns since the epoch as ss_time_iso() gives it (sstime.h), without quotes:
 * "2026-12-06T20:04:48.968077Z". The part up to the second is kept from
 * the last call, as a capture's times mostly share their second. */
void json_ttime(struct text *t, int64_t ns);
/* ,"name": - the key of a field after the first of a record. */
void json_tkey(struct text *t, const char *name);
/* true or false. */
void json_tbool(struct text *t, int v);
/* ,"name":"<time>" when has (its frame is not 0, record.h); else nothing. */
void json_ttime_field(struct text *t, const char *name, int has, int64_t ts);

#endif
