/* dkimtags.h - RFC 6376 3.2 tag=value lists, the syntax shared by the
 * DKIM-Signature field (3.5) and the key record (3.6.1).
 *
 * smtpsniff checks this syntax itself before libopendkim sees a signature
 * or a key, so that a syntax error is reported in its own words and never
 * depends on how the library happens to cope with it.
 */
#ifndef SS_DKIMTAGS_H
#define SS_DKIMTAGS_H

#include <stddef.h>
#include <stdint.h>

/* Tags kept from one list. RFC 6376 defines 14 signature tags and 7 key
 * tags; a list with more is taken as a syntax error rather than grown. */
#define DKIMTAGS_MAX 64

/* One tag-spec. Both views point into the caller's bytes (borrowed). */
struct dkimtag {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *val; /* the tag-value, FWS around it trimmed, FWS inside kept */
	size_t val_len;
};

struct dkimtags {
	struct dkimtag tag[DKIMTAGS_MAX];
	size_t n;
};

/* Splits len bytes at p into tag-specs (RFC 6376 3.2): tag-name is ALPHA
 * *(ALPHA / DIGIT / "_"), every tag-value byte is a VALCHAR (%x21-3A /
 * %x3C-7E) or FWS (SP, HTAB, CR, LF), a name may appear only once (case
 * matters). Empty tag-specs (";;") are tolerated, as common verifiers do.
 * Returns NULL, or a static phrase saying what is wrong; t then holds the
 * tags before the error. */
const char *dkimtags_parse(struct dkimtags *t, const uint8_t *p, size_t len);

/* The tag named name (case-sensitive, RFC 6376 3.2), or NULL. */
const struct dkimtag *dkimtags_find(const struct dkimtags *t, const char *name);

/* Copies the value of tag with every FWS byte removed (base64 and the
 * colon lists allow FWS anywhere, RFC 6376 3.5) into out, NUL-terminated.
 * Returns its length, or -1 when it needs more than cap bytes. */
long dkimtags_squeeze(const struct dkimtag *tag, char *out, size_t cap);

#endif
