/* rfc2047.h - header text for display: RFC 2047 encoded-words (sections 2-6,
 * 8) decoded to UTF-8, with RFC 2231 section 5 language tags tolerated.
 *
 * This is for people reading a report, never for verification: DKIM and the
 * address parser work on the raw bytes (message.h, addr5322.h).
 */
#ifndef SS_RFC2047_H
#define SS_RFC2047_H

#include <stddef.h>
#include <stdint.h>

/* The decoded form never grows past this many bytes; what would pass it is
 * left off at a character boundary. Each input byte gives at most a few
 * output bytes, so the cap only bites on inputs far past MSG_MAX_FIELD. */
#define RFC2047_OUT_MAX (1024 * 1024)
/* Longer charset names are not names: the encoded-word is left as it is. */
#define RFC2047_CHARSET_MAX 64

/* Decodes the n bytes at s for display and returns a NUL-terminated UTF-8
 * string the caller frees, or NULL when memory runs out.
 * - encoded-words ("=?charset?B|Q?text?=") in any charset iconv knows become
 *   UTF-8; adjacent encoded-words separated only by whitespace are joined
 *   (RFC 2047 6.2), and consecutive words in one charset are converted
 *   together so a character split across them survives;
 * - a malformed encoded-word, or one in a charset iconv does not know, is
 *   left as written;
 * - everything else is taken as UTF-8 (RFC 6532); bytes that are not valid
 *   UTF-8, and NUL, become U+FFFD, so the result is valid UTF-8 and holds
 *   the whole text as one C string.
 * s may hold any byte (it is counted, never read past n). */
char *rfc2047_decode_n(const uint8_t *s, size_t n);

/* The same for a NUL-terminated string (a field's unfolded value). */
char *rfc2047_decode(const char *s);

#endif
