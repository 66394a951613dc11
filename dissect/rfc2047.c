/* rfc2047.c - RFC 2047 sections 2-6 encoded-words (B and Q, any charset
 * iconv knows, RFC 2231 section 5 language suffix) decoded to UTF-8 for
 * display, everything else validated as RFC 6532 UTF-8.
 *
 * The decoder is lenient where readers are (an encoded-word next to a
 * parenthesis or inside a quoted string is decoded too, as in the section 8
 * examples and as MUAs do), and strict where leniency would lie: a word that
 * does not parse, or whose charset is unknown, is shown as written.
 */
#include "rfc2047.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "word.h"

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8. */
static const uint8_t repl[3] = {0xef, 0xbf, 0xbd};

/* Length of the well-formed UTF-8 sequence at p (Unicode 3.9, table 3-7),
 * or 0 when the bytes there are not one. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

struct out {
	struct buf b;
	int full; /* the cap was reached (or memory ran out): stop adding */
};

static void out_add(struct out *o, const void *p, size_t n)
{
	if (o->full || n == 0)
		return;
	if (buf_add(&o->b, p, n))
		o->full = 1;
}

/* Appends bytes taken as UTF-8, each invalid byte and each NUL replaced by
 * U+FFFD (a NUL would cut the C string the caller gets). Valid runs go in
 * whole, so a cut at the cap falls between characters. */
static void out_utf8(struct out *o, const uint8_t *p, size_t n)
{
	size_t i = 0, run = 0;
	if (n == 0)
		return; /* p may be NULL then (an empty pending buffer) */
	while (i < n) {
		size_t k = p[i] ? utf8_seq(p + i, n - i) : 0;
		if (k) {
			i += k;
			continue;
		}
		out_add(o, p + run, i - run);
		out_add(o, repl, sizeof repl);
		run = ++i;
	}
	out_add(o, p + run, i - run);
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* RFC 2047 2: token = 1*<any CHAR except SPACE, CTLs and especials>. "."
 * is an especial but sits in real names (ANSI_X3.4-1968), so it is let
 * through; "/" is not, which also keeps iconv's "//TRANSLIT"-style suffixes
 * out of what reaches iconv_open(). */
static int is_token_char(uint8_t c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return memchr("()<>@,;:\\\"/[]?=", c, 16) == NULL;
}

/* One encoded-word, found by ew_parse(). */
struct ew {
	char charset[RFC2047_CHARSET_MAX + 1];
	size_t charset_len;
	int enc;             /* 'B' or 'Q' */
	const uint8_t *text; /* encoded-text, borrowed from the input */
	size_t text_len;
	size_t end; /* offset just past "?=" */
};

/* Parses "=?charset[*lang]?enc?text?=" at s[at] (the caller saw "=?").
 * Returns 0 with w filled, -1 when the bytes there are not one. */
static int ew_parse(const uint8_t *s, size_t n, size_t at, struct ew *w)
{
	size_t i = at + 2, cs = i;
	while (i < n && i - cs <= RFC2047_CHARSET_MAX && is_token_char(s[i]) && s[i] != '*')
		i++;
	size_t cslen = i - cs;
	if (cslen == 0 || cslen > RFC2047_CHARSET_MAX)
		return -1;
	memcpy(w->charset, s + cs, cslen);
	w->charset[cslen] = 0;
	w->charset_len = cslen;
	if (i < n && s[i] == '*') /* RFC 2231 5: a language tag, not shown */
		while (++i < n && is_token_char(s[i]))
			;
	if (i + 3 > n || s[i] != '?' || s[i + 2] != '?')
		return -1;
	int enc = ascii_lower(s[i + 1]);
	if (enc != 'b' && enc != 'q')
		return -1;
	w->enc = enc == 'b' ? 'B' : 'Q';
	i += 3;
	/* encoded-text: printable ASCII except "?" and SPACE, up to "?=". */
	size_t t = i;
	while (i < n && s[i] > 0x20 && s[i] < 0x7f && s[i] != '?')
		i++;
	if (i + 2 > n || s[i] != '?' || s[i + 1] != '=')
		return -1;
	w->text = s + t;
	w->text_len = i - t;
	w->end = i + 2;
	return 0;
}

/* Decodes the encoded-text into dst (room for text_len bytes: neither
 * encoding grows). Returns the length, or -1 when B text holds a byte
 * outside the alphabet (the word is then shown as written). Missing "="
 * padding is forgiven, as readers do; Q's "=" not followed by two hex
 * digits is taken literally. */
static long ew_payload(const struct ew *w, uint8_t *dst)
{
	size_t o = 0;
	if (w->enc == 'Q') {
		for (size_t i = 0; i < w->text_len; i++) {
			uint8_t c = w->text[i];
			int hi, lo;
			if (c == '_') {
				c = 0x20; /* RFC 2047 4.2 (2) */
			} else if (c == '=' && i + 2 < w->text_len &&
			           (hi = ascii_hexval(w->text[i + 1])) >= 0 &&
			           (lo = ascii_hexval(w->text[i + 2])) >= 0) {
				c = (uint8_t)(hi << 4 | lo);
				i += 2;
			}
			dst[o++] = c;
		}
		return (long)o;
	}
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < w->text_len; i++) {
		if (w->text[i] == '=')
			break; /* padding: the rest carries nothing */
		int v = base64_value(w->text[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

static int is_utf8_name(const char *cs, size_t len)
{
	return name_eq(cs, len, "utf-8", 5) || name_eq(cs, len, "utf8", 4) ||
	       name_eq(cs, len, "us-ascii", 8) || name_eq(cs, len, "ascii", 5);
}

/* Decoded bytes of consecutive encoded-words in one charset, waiting to be
 * converted together (a multibyte character split across two words, which
 * RFC 2047 5 forbids but senders do, then comes out whole). */
struct pending {
	struct buf raw;
	char charset[RFC2047_CHARSET_MAX + 1];
	size_t charset_len;
	int active;
	iconv_t cd; /* (iconv_t)-1 for UTF-8 and US-ASCII, which need no iconv */
};

static void pending_convert(struct out *o, struct pending *pd)
{
	if (pd->cd == (iconv_t)-1) {
		out_utf8(o, pd->raw.p, pd->raw.len);
		return;
	}
	char *in = (char *)pd->raw.p;
	size_t inleft = pd->raw.len;
	uint8_t tmp[1024];
	iconv(pd->cd, NULL, NULL, NULL, NULL);
	while (!o->full) {
		char *op = (char *)tmp;
		size_t oleft = sizeof tmp;
		/* With the input used up, one more call returns a stateful
		 * charset (ISO-2022-JP) to its initial state. */
		int last = inleft == 0;
		size_t r = last ? iconv(pd->cd, NULL, NULL, &op, &oleft)
		                : iconv(pd->cd, &in, &inleft, &op, &oleft);
		int e = r == (size_t)-1 ? errno : 0;
		/* iconv's UTF-8 is well formed, but a NUL may be there. */
		out_utf8(o, tmp, (size_t)(op - (char *)tmp));
		if (e == E2BIG)
			continue;
		if (!last && (e == EILSEQ || e == EINVAL)) {
			/* Not in the charset, or cut short at the end: one
			 * replacement, then carry on past the byte. */
			out_add(o, repl, sizeof repl);
			in++;
			inleft--;
			continue;
		}
		if (e || last)
			break;
	}
}

static void pending_flush(struct out *o, struct pending *pd)
{
	if (!pd->active)
		return;
	pending_convert(o, pd);
	if (pd->cd != (iconv_t)-1)
		iconv_close(pd->cd);
	pd->cd = (iconv_t)-1;
	pd->active = 0;
	buf_reset(&pd->raw);
}

/* Takes the encoded-word w into pd. Returns 0, or -1 when its text does
 * not decode or its charset is unknown to iconv (the caller then shows the
 * word as written, and nothing here changed). */
static int pending_take(struct out *o, struct pending *pd, const struct ew *w)
{
	/* Neither encoding grows, so text_len bytes are room enough. */
	uint8_t tmp[256];
	uint8_t *dst = w->text_len <= sizeof tmp ? tmp : malloc(w->text_len);
	if (!dst) {
		o->full = 1;
		return 0;
	}
	long k = ew_payload(w, dst);
	int r = k < 0 ? -1 : 0;
	if (!r &&
	    (!pd->active || !name_eq(pd->charset, pd->charset_len, w->charset, w->charset_len))) {
		iconv_t cd = (iconv_t)-1;
		int utf8 = is_utf8_name(w->charset, w->charset_len);
		if (!utf8 && (cd = iconv_open("UTF-8", w->charset)) == (iconv_t)-1) {
			r = -1;
		} else {
			pending_flush(o, pd);
			memcpy(pd->charset, w->charset, w->charset_len + 1);
			pd->charset_len = w->charset_len;
			pd->cd = cd;
			pd->active = 1;
		}
	}
	/* The pending buffer's cap is the output's, so it cannot run away. */
	if (!r && k > 0 && buf_add(&pd->raw, dst, (size_t)k))
		o->full = 1;
	if (dst != tmp)
		free(dst);
	return r;
}

static int is_lwsp(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *rfc2047_decode_n(const uint8_t *s, size_t n)
{
	struct out o = {{NULL, 0, 0, RFC2047_OUT_MAX, NULL}, 0};
	struct pending pd;
	memset(&pd, 0, sizeof pd);
	buf_init(&pd.raw, RFC2047_OUT_MAX);
	pd.cd = (iconv_t)-1;
	size_t i = 0;
	/* Whitespace after an encoded-word is held back: it vanishes when
	 * another encoded-word follows (RFC 2047 6.2), and is shown when
	 * anything else does. */
	size_t held_off = 0, held_len = 0;
	int after_ew = 0;
	while (i < n && !o.full) {
		if (is_lwsp(s[i])) {
			size_t j = i;
			while (j < n && is_lwsp(s[j]))
				j++;
			if (after_ew) {
				held_off = i;
				held_len = j - i;
			} else {
				out_add(&o, s + i, j - i);
			}
			i = j;
			continue;
		}
		struct ew w;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?' && ew_parse(s, n, i, &w) == 0 &&
		    pending_take(&o, &pd, &w) == 0) {
			held_len = 0; /* whitespace between two words goes */
			after_ew = 1;
			i = w.end;
			continue;
		}
		/* Plain text up to the next whitespace or the next "=?". */
		pending_flush(&o, &pd);
		out_add(&o, s + held_off, held_len);
		held_len = 0;
		after_ew = 0;
		size_t j = i + 1;
		while (j < n && !is_lwsp(s[j]) && !(s[j] == '=' && j + 1 < n && s[j + 1] == '?'))
			j++;
		out_utf8(&o, s + i, j - i);
		i = j;
	}
	pending_flush(&o, &pd);
	out_add(&o, s + held_off, held_len);
	buf_free(&pd.raw);
	/* The cap may have cut the text: what is there is still whole
	 * characters. Only a failed allocation of the result is fatal. */
	char *r = malloc(o.b.len + 1);
	if (r) {
		if (o.b.len)
			memcpy(r, o.b.p, o.b.len);
		r[o.b.len] = 0;
	}
	buf_free(&o.b);
	return r;
}

char *rfc2047_decode(const char *s)
{
	size_t n = 0;
	while (s[n]) /* the caller's C string, never message bytes */
		n++;
	return rfc2047_decode_n((const uint8_t *)s, n);
}
