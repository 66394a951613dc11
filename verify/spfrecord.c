/* spfrecord.c - SPF record syntax (RFC 7208 4.5, 4.6.1, 5.1-5.7, 6.1, 6.2,
 * 12): terms split on spaces, each checked against its ABNF. */
#define _DEFAULT_SOURCE
#include "spfrecord.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "spfmacro.h"
#include "spfname.h"

static const char *const mech_names[] = {"all", "include", "a",   "mx",
                                         "ptr", "ip4",     "ip6", "exists"};

const char *spf_mech_name(enum spf_mech m)
{
	return (unsigned)m < sizeof mech_names / sizeof *mech_names ? mech_names[m] : "?";
}

int spf_record_select(const char *txt, size_t len)
{
	return len >= 6 && !strncasecmp(txt, "v=spf1", 6) && (len == 6 || txt[6] == ' ');
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int spf_record_spec_ok(const char *s, size_t n, const char **why)
{
	if (n == 0) {
		*why = "an empty domain-spec";
		return 0;
	}
	if (spf_macro_check(s, n, SPF_MACRO_DOMAIN, why))
		return 0;
	if (spf_macro_ends_in_macro(s, n))
		return 1;
	/* domain-end = "." toplabel [ "." ] */
	size_t m = s[n - 1] == '.' ? n - 1 : n;
	size_t dot = m;
	while (dot > 0 && s[dot - 1] != '.')
		dot--;
	if (dot == 0 || !spfname_toplabel(s + dot, m - dot)) {
		*why = "a domain-spec that does not end in a top-level label or a macro";
		return 0;
	}
	return 1;
}

/* A CIDR length: "0" or digits without a leading zero (the suite's
 * cidr4-032: leading zeros are refused like those of ip4-network), at most
 * max. -1 when it is not one. */
static int cidr_len(const char *p, size_t n, int max)
{
	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Where a trailing "/digits" starts in p[0..n) (the '/'), or n. */
static size_t trailing_slash_digits(const char *p, size_t n)
{
	size_t d = n;
	while (d > 0 && is_digit(p[d - 1]))
		d--;
	return d < n && d > 0 && p[d - 1] == '/' ? d - 1 : n;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken
 * off the end of p[0..*n). */
static int dual_cidr(const char *p, size_t *n, int *c4, int *c6)
{
	*c4 = 32;
	*c6 = 128;
	size_t s = trailing_slash_digits(p, *n);
	if (s < *n && s > 0 && p[s - 1] == '/') {
		if ((*c6 = cidr_len(p + s + 1, *n - s - 1, 128)) < 0)
			return -1;
		*n = s - 1;
		s = trailing_slash_digits(p, *n);
	}
	if (s < *n) {
		if ((*c4 = cidr_len(p + s + 1, *n - s - 1, 32)) < 0)
			return -1;
		*n = s;
	}
	return 0;
}

/* ip4-network: four qnum, each 0-255 without leading zeros (RFC 7208 12). */
static int ip4_network(const char *p, size_t n, uint8_t out[4])
{
	size_t i = 0;
	for (int q = 0; q < 4; q++) {
		if (q) {
			if (i >= n || p[i] != '.')
				return -1;
			i++;
		}
		size_t d = i;
		unsigned v = 0;
		while (i < n && is_digit(p[i]) && i - d < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == d || v > 255 || (i - d > 1 && p[d] == '0'))
			return -1;
		out[q] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

/* ip6-network: what inet_pton takes (RFC 4291 2.2 text forms). */
static int ip6_network(const char *p, size_t n, uint8_t out[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(is_digit(p[i]) || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F') || p[i] == ':' || p[i] == '.'))
			return -1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static void say(char *why, size_t cap, const char *what, const char *t, size_t n)
{
	char esc[200];
	snprintf(why, cap, "%s \"%s\"", what, escape_str(esc, sizeof esc, (const uint8_t *)t, n));
}

/* A domain-spec (after a mechanism's ":" or a modifier's "=") of the term
 * t[0..n): checked, then kept in *out. Returns 0 or -1 with why. */
static int domain_spec(const char *spec, size_t len, const char **out, size_t *out_len,
                       const char *t, size_t n, char *why, size_t cap)
{
	const char *w;
	if (!spf_record_spec_ok(spec, len, &w)) {
		char what[200];
		snprintf(what, sizeof what, "%s in", w);
		say(why, cap, what, t, n);
		return -1;
	}
	*out = spec;
	*out_len = len;
	return 0;
}

/* A mechanism term t[0..n); fills m. Returns 0 or -1 with why. */
static int mechanism(struct spf_term *m, const char *t, size_t n, char *why, size_t cap)
{
	size_t i = 0;
	m->qual = '+';
	if (n && t[0] && strchr("+-~?", t[0])) {
		m->qual = t[0];
		i = 1;
	}
	size_t e = i;
	while (e < n && t[e] != ':' && t[e] != '/')
		e++;
	size_t k;
	for (k = 0; k < sizeof mech_names / sizeof *mech_names; k++)
		if (strlen(mech_names[k]) == e - i && !strncasecmp(t + i, mech_names[k], e - i))
			break;
	if (k == sizeof mech_names / sizeof *mech_names) {
		say(why, cap, "unknown mechanism", t, n);
		return -1;
	}
	m->mech = (enum spf_mech)k;
	m->cidr4 = 32;
	m->cidr6 = 128;
	const char *r = t + e; /* ":..." or "/..." or "" */
	size_t rn = n - e;
	switch (m->mech) {
	case SPF_M_ALL:
		if (rn) {
			say(why, cap, "\"all\" takes no argument:", t, n);
			return -1;
		}
		return 0;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
	case SPF_M_PTR:
		if (m->mech == SPF_M_PTR && rn == 0)
			return 0;
		if (rn == 0 || r[0] != ':') {
			say(why, cap, "a domain-spec is missing or malformed in", t, n);
			return -1;
		}
		return domain_spec(r + 1, rn - 1, &m->spec, &m->spec_len, t, n, why, cap);
	case SPF_M_A:
	case SPF_M_MX:
		if (dual_cidr(r, &rn, &m->cidr4, &m->cidr6)) {
			say(why, cap, "a bad CIDR length in", t, n);
			return -1;
		}
		if (rn == 0)
			return 0;
		if (r[0] != ':') {
			say(why, cap, "a malformed", t, n);
			return -1;
		}
		return domain_spec(r + 1, rn - 1, &m->spec, &m->spec_len, t, n, why, cap);
	case SPF_M_IP4:
	case SPF_M_IP6: {
		int v4 = m->mech == SPF_M_IP4;
		if (rn < 2 || r[0] != ':') {
			say(why, cap, "an address is missing in", t, n);
			return -1;
		}
		const char *slash = memchr(r + 1, '/', rn - 1);
		size_t an = slash ? (size_t)(slash - (r + 1)) : rn - 1;
		if (v4 ? ip4_network(r + 1, an, m->net) : ip6_network(r + 1, an, m->net)) {
			say(why, cap, "a malformed address in", t, n);
			return -1;
		}
		int bits = v4 ? 32 : 128;
		if (slash && (bits = cidr_len(slash + 1, (size_t)(r + rn - slash - 1), bits)) < 0) {
			say(why, cap, "a bad CIDR length in", t, n);
			return -1;
		}
		if (v4)
			m->cidr4 = bits;
		else
			m->cidr6 = bits;
		return 0;
	}
	}
	return -1;
}

int spf_record_parse(struct spf_record *r, const char *txt, size_t len, char *why, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (!spf_record_select(txt, len)) {
		snprintf(why, cap, "not an SPF record");
		return -1;
	}
	/* room for every space-separated word */
	size_t words = 0;
	for (size_t i = 6; i < len; i++)
		words += txt[i] != ' ' && txt[i - 1] == ' ';
	r->terms = calloc(words + 1, sizeof *r->terms);
	if (!r->terms) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (size_t i = 6; i < len;) {
		/* terms are separated by spaces, and by nothing else (4.6.1) */
		if (txt[i] == ' ') {
			i++;
			continue;
		}
		size_t e = i;
		while (e < len && txt[e] != ' ')
			e++;
		const char *t = txt + i;
		size_t n = e - i;
		i = e;
		/* modifier = name "=" ...; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
		size_t k = 0;
		if (is_alpha(t[0]))
			while (++k < n &&
			       (is_alpha(t[k]) || is_digit(t[k]) || (t[k] && strchr("-_.", t[k]))))
				;
		if (k && k < n && t[k] == '=') {
			const char *v = t + k + 1, *w;
			size_t vn = n - k - 1;
			int red = k == 8 && !strncasecmp(t, "redirect", 8);
			int exp = k == 3 && !strncasecmp(t, "exp", 3);
			if (red || exp) {
				if (red ? r->redirect != NULL : r->exp != NULL) {
					snprintf(why, cap, "%s= appears twice (RFC 7208 6)",
					         red ? "redirect" : "exp");
					goto bad;
				}
				if (domain_spec(v, vn, red ? &r->redirect : &r->exp,
				                red ? &r->redirect_len : &r->exp_len, t, n, why,
				                cap))
					goto bad;
			} else if (spf_macro_check(v, vn, SPF_MACRO_EXPLAIN, &w)) {
				/* unknown-modifier = name "=" macro-string: ignored, but
				 * it must be well-formed (RFC 7208 6, A) */
				char what[200];
				snprintf(what, sizeof what, "%s in the modifier", w);
				say(why, cap, what, t, n);
				goto bad;
			}
			continue;
		}
		struct spf_term *m = &r->terms[r->nterms];
		memset(m, 0, sizeof *m);
		m->text = t;
		m->len = n;
		if (mechanism(m, t, n, why, cap))
			goto bad;
		r->nterms++;
	}
	return 0;
bad:
	spf_record_free(r);
	return -1;
}

void spf_record_free(struct spf_record *r)
{
	free(r->terms);
	memset(r, 0, sizeof *r);
}
