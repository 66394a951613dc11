/* sasl.c - SASL exchanges shown with the secret masked: PLAIN (RFC 4616),
 * LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195), DIGEST-MD5
 * (RFC 2831), SCRAM (RFC 5802), XOAUTH2, OAUTHBEARER (RFC 7628), EXTERNAL
 * and ANONYMOUS (RFC 4422, 4505). Anything else is shown as masked bytes.
 */
#include "sasl.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "escape.h"

/* A string literal with its length: no str*() in dissect/. */
#define LIT(s) (s), (sizeof(s) - 1)

static void put_n(struct buf *o, const char *s, size_t n)
{
	if (buf_add(o, s, n))
		return; /* display only: a full buffer just ends the text */
}
#define put(o, lit) put_n((o), LIT(lit))

static void put_escaped(struct buf *o, const uint8_t *p, size_t n)
{
	if (escape_add(o, p, n))
		return;
}

static int mech_eq(const struct sasl *s, const char *m, size_t n)
{
	return s->mechlen == n && !memcmp(s->mech, m, n);
}
#define mech_is(s, lit) mech_eq((s), LIT(lit))

void sasl_begin(struct sasl *s, const uint8_t *mech, size_t n)
{
	memset(s, 0, sizeof *s);
	size_t k = 0;
	for (; k < n && k + 1 < sizeof s->mech; k++) {
		uint8_t c = mech[k];
		s->mech[k] =
		    (char)(c >= 'a' && c <= 'z' ? c - 32 : (c > 0x20 && c < 0x7f ? c : '?'));
	}
	s->mech[k] = 0;
	s->mechlen = k;
}

void sasl_set_user(struct sasl *s, const uint8_t *p, size_t n)
{
	escape_str(s->user, sizeof s->user, p, n);
}

/* Decodes base64 into a fresh buffer; NULL when it is not base64. */
static uint8_t *decode(const uint8_t *p, size_t n, size_t *len)
{
	uint8_t *out = malloc(n / 4 * 3 + 3);
	if (!out)
		return NULL;
	long w = base64_decode(p, n, out);
	if (w < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)w;
	return out;
}

void sasl_challenge(struct sasl *s, const uint8_t *p, size_t n, struct buf *out)
{
	size_t len;
	uint8_t *d = decode(p, n, &len);
	if (!d) {
		put_escaped(out, p, n);
		return;
	}
	put_escaped(out, d, len);
	/* LOGIN's prompts say what comes next; servers word them differently. */
	if (mech_is(s, "LOGIN")) {
		int pass = len >= 4 && (memchr(d, 'P', len) || memchr(d, 'p', len)) &&
		           !(memchr(d, 'U', len) || memchr(d, 'u', len));
		s->next_is_secret = pass;
	}
	free(d);
}

/* Finds the value after key (e.g. "user=") at the start or after one of
 * the stop bytes, up to the next stop byte; the value is p[*at .. *at +
 * return), or return is (size_t)-1. */
static size_t field_n(const uint8_t *p, size_t n, const char *key, size_t k, const char *stops,
                      size_t ns, size_t *at)
{
	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(p + i, key, k) || (i && !memchr(stops, p[i - 1], ns)))
			continue;
		size_t j = i + k;
		while (j < n && !memchr(stops, p[j], ns))
			j++;
		*at = i + k;
		return j - (i + k);
	}
	return (size_t)-1;
}
#define field(p, n, key, stops, at) field_n((p), (n), LIT(key), LIT(stops), (at))

static void show_user(struct sasl *s, struct buf *out, const uint8_t *p, size_t n)
{
	escape_str(s->user, sizeof s->user, p, n);
	put_escaped(out, p, n);
}

static void secret(struct buf *out, const uint8_t *p, size_t n, int show)
{
	if (show)
		put_escaped(out, p, n);
	else
		put(out, SASL_MASK);
}

void sasl_response(struct sasl *s, const uint8_t *p, size_t n, int show, struct buf *out)
{
	if (n == 1 && p[0] == '*') {
		put(out, "* (cancelled)");
		return;
	}
	s->responses++;
	if (n == 1 && p[0] == '=') {
		put(out, "(empty)");
		return;
	}
	size_t len, at, k;
	uint8_t *d = decode(p, n, &len);
	if (!d) {
		put(out, "(not base64) ");
		secret(out, p, n, show);
		return;
	}
	if (mech_is(s, "PLAIN")) {
		/* authzid NUL authcid NUL passwd */
		const uint8_t *z1 = memchr(d, 0, len);
		const uint8_t *z2 = z1 ? memchr(z1 + 1, 0, len - (size_t)(z1 + 1 - d)) : NULL;
		if (z1 && z2) {
			size_t zlen = (size_t)(z1 - d);
			show_user(s, out, z1 + 1, (size_t)(z2 - z1 - 1));
			if (zlen) {
				put(out, " (as ");
				put_escaped(out, d, zlen);
				put(out, ")");
			}
			put(out, " ");
			secret(out, z2 + 1, len - (size_t)(z2 + 1 - d), show);
		} else {
			put(out, "(not PLAIN) ");
			secret(out, d, len, show);
		}
	} else if (mech_is(s, "LOGIN")) {
		/* The first response is the user unless the server asked for the
		 * password (or a client sends the user as the initial response);
		 * every later one is the password, whatever the prompts said and
		 * whatever the first held: an empty or broken user response must
		 * not show the password as a user. */
		if (s->next_is_secret || s->responses > 1) {
			secret(out, d, len, show);
		} else {
			show_user(s, out, d, len);
		}
		s->next_is_secret = 0;
	} else if (mech_is(s, "CRAM-MD5")) {
		const uint8_t *sp = memchr(d, ' ', len);
		show_user(s, out, d, sp ? (size_t)(sp - d) : len);
		if (sp) {
			put(out, " ");
			secret(out, sp + 1, len - (size_t)(sp + 1 - d), show);
		}
	} else if (mech_is(s, "XOAUTH2") || mech_is(s, "OAUTHBEARER")) {
		if (mech_is(s, "XOAUTH2"))
			k = field(d, len, "user=", "\x01", &at);
		else
			k = field(d, len, "a=", ",\x01", &at);
		if (k != (size_t)-1) {
			show_user(s, out, d + at, k);
			put(out, " ");
		}
		k = field(d, len, "auth=", "\x01", &at);
		secret(out, k != (size_t)-1 ? d + at : d, k != (size_t)-1 ? k : len, show);
	} else if (s->mechlen > 6 && !memcmp(s->mech, "SCRAM-", 6)) {
		k = field(d, len, "n=", ",", &at);
		if (k != (size_t)-1 && s->responses == 1) {
			show_user(s, out, d + at, k);
		} else {
			k = field(d, len, "p=", ",", &at);
			secret(out, k != (size_t)-1 ? d + at : d, k != (size_t)-1 ? k : len, show);
		}
	} else if (mech_is(s, "DIGEST-MD5")) {
		k = field(d, len, "username=\"", "\"", &at);
		if (k != (size_t)-1) {
			show_user(s, out, d + at, k);
			put(out, " ");
		}
		secret(out, d, len, show);
	} else if (mech_is(s, "EXTERNAL") || mech_is(s, "ANONYMOUS")) {
		put_escaped(out, d, len); /* an authorization identity or trace: no secret */
	} else {
		secret(out, d, len, show);
	}
	free(d);
}

void sasl_command(struct sasl *s, const uint8_t *args, size_t n, int show, struct buf *out)
{
	/* Split on SP or HTAB, as servers split (Postfix on any white space). */
	size_t i = 0;
	while (i < n && (args[i] == ' ' || args[i] == '\t'))
		i++;
	size_t m = i;
	while (m < n && args[m] != ' ' && args[m] != '\t')
		m++;
	sasl_begin(s, args + i, m - i);
	size_t r = m;
	while (r < n && (args[r] == ' ' || args[r] == '\t'))
		r++;
	if (escape_add(out, args + i, m - i) == 0 && r < n && buf_add(out, " ", 1) == 0)
		sasl_response(s, args + r, n - r, show, out);
}
