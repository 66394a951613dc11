/* hdrlex.c - RFC 5322 3.2.2 CFWS, 3.2.3 dot-atom, 3.2.4 quoted strings,
 * RFC 2045 5.1 tokens, for the verdict header fields. */
#include "hdrlex.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

int hdrlex_init(struct hdrlex *lx, const uint8_t *p, size_t len)
{
	memset(lx, 0, sizeof *lx);
	lx->p = p;
	lx->len = p ? len : 0;
	/* See hdrlex.h for why 4 * len is enough; the caller caps len, so
	 * the product cannot overflow. */
	lx->size = 4 * lx->len + 16;
	lx->store = malloc(lx->size);
	return lx->store ? 0 : -1;
}

void hdrlex_fini(struct hdrlex *lx)
{
	if (!lx)
		return;
	free(lx->store);
	lx->store = NULL;
	lx->used = lx->size = 0;
}

char *hdrlex_take(struct hdrlex *lx)
{
	char *s = lx->store;
	lx->store = NULL;
	return s;
}

void hdrlex_fail(struct hdrlex *lx, size_t off, const char *what)
{
	if (lx->err)
		return;
	lx->err = what;
	lx->err_off = off;
}

int hdrlex_peek(const struct hdrlex *lx)
{
	return lx->err || lx->off >= lx->len ? -1 : lx->p[lx->off];
}

void hdrlex_text_add(struct hdrlex_text *t, const void *s, size_t n)
{
	if (!t)
		return;
	size_t room = t->cap - t->len;
	if (n > room) {
		n = room;
		t->cut = 1;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

static void text_byte(struct hdrlex_text *t, uint8_t c)
{
	/* A NUL would end the kept C string early: comments and quoted
	 * strings are text for people, so it is dropped. */
	if (c)
		hdrlex_text_add(t, &c, 1);
}

/* One comment, from its "(" (RFC 5322 3.2.2: ctext, quoted-pair, nested
 * comments, FWS). Depth is a counter, so nesting costs no stack. */
static void comment(struct hdrlex *lx, struct hdrlex_text *t)
{
	size_t start = lx->off;
	size_t depth = 0;
	size_t keep = t ? t->len : 0; /* what t held before, for an error */
	int space = 1;                /* no space at the start of the comment's text */
	if (t && t->len)
		hdrlex_text_add(t, " ", 1);
	while (lx->off < lx->len) {
		uint8_t c = lx->p[lx->off++];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			/* FWS: a comment is text for people, so a fold and the
			 * white space around it become one space, and the text
			 * is the same however the writer folded the line. */
			if (!space)
				text_byte(t, ' ');
			space = 1;
			continue;
		}
		if (c != '(' || depth)
			space = 0; /* text follows (the first "(" is no text) */
		if (c == '\\') {
			if (lx->off >= lx->len)
				break;
			c = lx->p[lx->off++];
			if (c != '\r' && c != '\n')
				text_byte(t, c);
		} else if (c == '(') {
			if (++depth > HDRLEX_MAX_NEST) {
				hdrlex_fail(lx, lx->off - 1, "comments nested too deep");
				break;
			}
			if (depth > 1)
				text_byte(t, c);
		} else if (c == ')') {
			if (--depth == 0) {
				if (t && t->len && t->p[t->len - 1] == ' ')
					t->p[--t->len] = 0; /* "(a )" reads "a" */
				return;
			}
			text_byte(t, c);
		} else {
			text_byte(t, c);
		}
	}
	/* An unclosed (or too deep) comment's text is no comment: drop it. */
	hdrlex_fail(lx, start, "comment not closed");
	if (t) {
		t->len = keep;
		t->p[keep] = 0;
	}
}

void hdrlex_cfws(struct hdrlex *lx, struct hdrlex_text *t)
{
	int c;
	while ((c = hdrlex_peek(lx)) >= 0) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			lx->off++;
		else if (c == '(')
			comment(lx, t);
		else
			break;
	}
}

int hdrlex_quoted(struct hdrlex *lx, struct hdrlex_text *t)
{
	if (hdrlex_peek(lx) != '"')
		return -1;
	size_t start = lx->off++;
	while (lx->off < lx->len) {
		uint8_t c = lx->p[lx->off++];
		if (c == '"')
			return 0;
		if (c == '\\') {
			if (lx->off >= lx->len)
				break;
			c = lx->p[lx->off++];
		}
		if (c != '\r' && c != '\n')
			text_byte(t, c);
	}
	hdrlex_fail(lx, start, "quoted string not closed");
	return -1;
}

size_t hdrlex_span(struct hdrlex *lx, int (*in)(int c))
{
	if (lx->err)
		return 0;
	size_t start = lx->off;
	while (lx->off < lx->len && in(lx->p[lx->off]))
		lx->off++;
	return lx->off - start;
}

int hdrlex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hdrlex_is_keyword(int c)
{
	return is_alpha(c) || hdrlex_is_digit(c) || c == '-' || c == '_';
}

int hdrlex_is_value(int c)
{
	return c > ' ' && c != 0x7f && !memchr(";()\"\\", c, 5);
}

int hdrlex_is_token(const uint8_t *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		/* RFC 2045 5.1: CHAR but SPACE, CTLs and tspecials */
		if (s[i] <= ' ' || s[i] >= 0x7f || memchr("()<>@,;:\\\"/[]?=", s[i], 15))
			return 0;
	return 1;
}

static int is_atext(int c)
{
	return is_alpha(c) || hdrlex_is_digit(c) || c >= 0x80 ||
	       (c && memchr("!#$%&'*+-/=?^_`{|}~", c, 19));
}

int hdrlex_is_dot_atom(const uint8_t *s, size_t n)
{
	if (!n || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' ? s[i - 1] == '.' : !is_atext(s[i]))
			return 0;
	return 1;
}

const char *hdrlex_keep(struct hdrlex *lx, const void *s, size_t n, size_t cap, int lower, int *cut)
{
	if (n > cap) {
		n = cap;
		if (cut)
			*cut = 1;
	}
	if (!n)
		return "";
	if (n + 1 > lx->size - lx->used)
		ss_panic("hdrlex: store of %zu bytes full", lx->size); /* hdrlex_init's bound */
	char *d = lx->store + lx->used;
	memcpy(d, s, n);
	if (lower)
		for (size_t i = 0; i < n; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] = (char)(d[i] - 'A' + 'a');
	d[n] = 0;
	lx->used += n + 1;
	return d;
}
