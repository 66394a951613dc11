/* hdrlex.h - the lexical pieces of RFC 5322 3.2 that the verdict header
 * fields share: folding white space and comments (CFWS, 3.2.2), quoted
 * strings (3.2.4), runs of word bytes, and a string store for what is
 * kept. Authentication-Results (authres.c, RFC 8601 2.2) and Received-SPF
 * (recvspf.c, RFC 7208 9.1) are parsed with it.
 *
 * Every read is checked against the input's length; nothing recurses (a
 * comment's nesting is a counter, capped by HDRLEX_MAX_NEST), and every
 * byte is looked at once, so a parse is linear in the input. Errors are
 * sticky: the first one (its offset and a static text) stays, and once it
 * is set every reader returns without moving.
 */
#ifndef SS_HDRLEX_H
#define SS_HDRLEX_H

#include <stddef.h>
#include <stdint.h>

/* Comments nested deeper than this are an error ("comments nested too
 * deep"). RFC 5322 sets no limit; real fields nest one level at most. */
#define HDRLEX_MAX_NEST 32

/* The lexer over one field value. The input is borrowed for the parse;
 * the store is owned and handed over with hdrlex_take(). */
struct hdrlex {
	const uint8_t *p; /* borrowed: the field value */
	size_t len;       /* bytes looked at (the caller may cap the input) */
	size_t off;       /* read position, off <= len */
	const char *err;  /* first error, static text; NULL while all is well */
	size_t err_off;   /* where it is, an offset into p */
	char *store;      /* owned: every string kept, NUL-terminated */
	size_t used, size;
};

/* Text gathered from several places (comments, a quoted string) into the
 * caller's array t->p of t->cap + 1 bytes; bytes past the cap are dropped
 * and t->cut is set. */
struct hdrlex_text {
	char *p;
	size_t len, cap;
	int cut;
};

/* Starts a lexer over the len bytes at p (borrowed). The store gets room
 * for 4 * len + 16 bytes, which is more than any parse keeps: every kept
 * string is at most the bytes it was read from, a kept byte is kept at
 * most twice (a comment both with its result and its property), and every
 * non-empty string's NUL has a byte of its own. Returns 0, or -1 when
 * memory runs out. */
int hdrlex_init(struct hdrlex *lx, const uint8_t *p, size_t len);
/* Frees the store unless it was taken; lx may be NULL. */
void hdrlex_fini(struct hdrlex *lx);
/* Hands the store over to the caller (who frees it); the lexer forgets it. */
char *hdrlex_take(struct hdrlex *lx);

/* Records an error at off unless one is already recorded. */
void hdrlex_fail(struct hdrlex *lx, size_t off, const char *what);

/* The byte at the read position, or -1 at the end or after an error. */
int hdrlex_peek(const struct hdrlex *lx);

/* Skips CFWS: SP, HTAB, CR and LF (a bare CR or LF as well, which real
 * fields carry after unfolding by other tools) and comments. When t is not
 * NULL each comment's text is appended to it: the parentheses around it
 * dropped, nested ones kept, quoted-pairs undone, each run of white space
 * and folds one space (none at either end); two comments are joined with
 * one space. Errors: "comment not closed" at the comment's "(", "comments
 * nested too deep" at the "(" past the cap. */
void hdrlex_cfws(struct hdrlex *lx, struct hdrlex_text *t);

/* Reads a quoted-string at the read position (which must be '"') into t:
 * quotes dropped, quoted-pairs undone, line ends of folding removed.
 * Returns 0, or -1 with "quoted string not closed" at its '"'. */
int hdrlex_quoted(struct hdrlex *lx, struct hdrlex_text *t);

/* Advances over the run of bytes for which in(byte) is true; returns its
 * length (0 when there is none or after an error). The run starts at the
 * read position before the call. */
size_t hdrlex_span(struct hdrlex *lx, int (*in)(int c));

/* Byte classes. */
int hdrlex_is_keyword(int c); /* ALPHA DIGIT "-" "_": RFC 5321 Keyword,
                               * RFC 7208 name; "_" for sloppy writers */
int hdrlex_is_digit(int c);
int hdrlex_is_value(int c); /* what a lenient value holds: any byte above
                             * SP but DEL and ; ( ) " \ (so ":" of IPv6,
                             * "/" and "=" of base64, 8-bit UTF-8) */
/* 1 when the n bytes at s are an RFC 2045 5.1 token (what RFC 8601's
 * "value" is when not a quoted-string). */
int hdrlex_is_token(const uint8_t *s, size_t n);
/* 1 when the n bytes at s are an RFC 5322 3.2.3 dot-atom-text (8-bit bytes
 * allowed, RFC 6532 3.2). */
int hdrlex_is_dot_atom(const uint8_t *s, size_t n);

/* Keeps n bytes (n <= the bytes they were read from, see hdrlex_init) as a
 * NUL-terminated string in the store; lower folds ASCII letters to lower
 * case. Returns the string (a static "" for n == 0). At most cap bytes
 * are kept; *cut (when not NULL) is set to 1 when bytes were dropped. */
const char *hdrlex_keep(struct hdrlex *lx, const void *s, size_t n, size_t cap, int lower,
                        int *cut);
/* Appends n bytes to t, up to its cap. */
void hdrlex_text_add(struct hdrlex_text *t, const void *s, size_t n);

#endif
