/* dkimsig.c - DKIM-Signature field syntax (RFC 6376 3.5, 6.1.1; RFC 8301;
 * RFC 8463). Values are copied FWS-free into one arena sized by the field,
 * so nothing here grows with what the field claims. */
#define _DEFAULT_SOURCE
#include "dkimsig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "dkimtags.h"

static void fail(struct dkimsig *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct dkimsig *s, const char *fmt, ...)
{
	if (s->err[0])
		return; /* the first error is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

const char *dkimsig_alg_name(enum dkimsig_alg alg)
{
	switch (alg) {
	case DKIMSIG_RSA_SHA256:
		return "rsa-sha256";
	case DKIMSIG_ED25519_SHA256:
		return "ed25519-sha256";
	case DKIMSIG_RSA_SHA1:
		return "rsa-sha1";
	default:
		return "?";
	}
}

int dkimsig_name_ok(const char *name)
{
	size_t label = 0, n = 0;
	for (const char *c = name; *c; c++, n++) {
		if (*c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		         (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
		if (!ok || ++label > 63)
			return 0;
	}
	return n > 0 && n <= 253 && label > 0;
}

static int all_digits(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return 0;
	return 1;
}

/* base64string of RFC 6376 2.4, not empty. */
static int base64_ok(const char *v)
{
	size_t n;
	return base64_shaped(v, &n) && n > 0;
}

/* A time of t= or x=: up to 12 digits as a number, more as infinite. */
static int64_t time_value(const char *v)
{
	size_t n = strlen(v);
	if (n > DKIMSIG_TIME_DIGITS)
		return DKIMSIG_INFINITE;
	return (int64_t)strtoull(v, NULL, 10);
}

static uint64_t lib_value(const char *v)
{
	errno = 0;
	unsigned long long r = strtoull(v, NULL, 10); /* saturates, as the library's call does */
	return (uint64_t)r;
}

/* RFC 5234 2.3: the quoted strings of the ABNF (algorithms,
 * canonicalizations, query methods) match without case. */
static int canon_name(const char *v, size_t n, int *relaxed)
{
	if (n == 6 && !strncasecmp(v, "simple", 6))
		*relaxed = 0;
	else if (n == 7 && !strncasecmp(v, "relaxed", 7))
		*relaxed = 1;
	else
		return -1;
	return 0;
}

/* The domain of i= after its last "@", with dkim-quoted-printable "=XX"
 * decoded (RFC 6376 2.11), into out. */
static void identity_domain(const char *i, char *out, size_t cap)
{
	const char *at = strrchr(i, '@');
	const char *p = at ? at + 1 : i;
	size_t o = 0;
	static const char hex[] = "0123456789ABCDEF";
	for (; *p && o + 1 < cap; p++) {
		const char *h1 = p[0] == '=' && p[1] ? strchr(hex, p[1]) : NULL;
		const char *h2 = h1 && p[2] ? strchr(hex, p[2]) : NULL;
		if (h1 && h2) {
			out[o++] = (char)((h1 - hex) * 16 + (h2 - hex));
			p += 2;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = 0;
}

/* RFC 6376 6.1.1: i= must be d= or a subdomain of it. */
static int identity_ok(const char *i, const char *d)
{
	char dom[512];
	if (!strchr(i, '@'))
		return 0;
	identity_domain(i, dom, sizeof dom);
	size_t n = strlen(dom), k = strlen(d);
	if (n == k)
		return !strcasecmp(dom, d);
	return n > k && dom[n - k - 1] == '.' && !strcasecmp(dom + n - k, d);
}

/* RFC 6376 6.1.1: the From field must be signed. h= is colon-separated
 * field names, none empty. */
static const char *hlist_check(const char *h)
{
	int from = 0;
	const char *p = h;
	for (;;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return "h= has an empty field name";
		if (n == 4 && !strncasecmp(p, "from", 4))
			from = 1;
		if (!e)
			break;
		p = e + 1;
	}
	return from ? NULL : "h= does not include the From field";
}

/* RFC 6376 3.5 q=: a colon-separated list that must hold dns/txt, the
 * only method defined. */
static int query_ok(const char *q)
{
	const char *p = q;
	for (;;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 7 && !strncasecmp(p, "dns/txt", 7))
			return 1;
		if (!e)
			return 0;
		p = e + 1;
	}
}

static void check(struct dkimsig *s)
{
	/* Required tags, RFC 6376 3.5 and 6.1.1 "signature missing required tag". */
	static const char *const req[] = {"v", "a", "b", "bh", "d", "h", "s"};
	const char *const *val[] = {&s->v, &s->a, &s->b, &s->bh, &s->d, &s->h, &s->s};
	for (size_t k = 0; k < sizeof req / sizeof req[0]; k++)
		if (!*val[k])
			fail(s, "the required tag %s= is missing", req[k]);
	if (s->err[0])
		return;
	if (strcmp(s->v, "1"))
		fail(s, "v=%.20s is not version 1 (RFC 6376 6.1.1: incompatible version)", s->v);
	if (!strcasecmp(s->a, "rsa-sha256"))
		s->alg = DKIMSIG_RSA_SHA256;
	else if (!strcasecmp(s->a, "ed25519-sha256"))
		s->alg = DKIMSIG_ED25519_SHA256;
	else if (!strcasecmp(s->a, "rsa-sha1"))
		s->alg = DKIMSIG_RSA_SHA1;
	else
		fail(s, "a=%.40s is not a signing algorithm smtpsniff knows", s->a);
	if (s->alg == DKIMSIG_RSA_SHA1)
		fail(s, "a=rsa-sha1, which RFC 8301 3.1 forbids verifiers to accept");
	if (!base64_ok(s->b))
		fail(s, "b= is not base64");
	if (!base64_ok(s->bh))
		fail(s, "bh= is not base64");
	if (s->c) {
		const char *slash = strchr(s->c, '/');
		size_t n = slash ? (size_t)(slash - s->c) : strlen(s->c);
		if (canon_name(s->c, n, &s->hdr_relaxed) ||
		    (slash && canon_name(slash + 1, strlen(slash + 1), &s->body_relaxed)))
			fail(s, "c=%.40s is not a known canonicalization", s->c);
	}
	if (!dkimsig_name_ok(s->d))
		fail(s, "d=%.80s is not a domain name", s->d);
	if (!dkimsig_name_ok(s->s))
		fail(s, "s=%.80s is not a selector", s->s);
	/* the key's DNS name, s._domainkey.d, must fit in 253 bytes */
	if (strlen(s->s) + strlen(s->d) + 12 > 253)
		fail(s, "s= and d= make a key name longer than DNS allows");
	const char *herr = hlist_check(s->h);
	if (herr)
		fail(s, "%s", herr);
	if (s->i && !identity_ok(s->i, s->d))
		fail(s, "i=%.80s is not in d=%.80s or a subdomain of it (RFC 6376 6.1.1)", s->i,
		     s->d);
	if (s->l) {
		if (!all_digits(s->l) || strlen(s->l) > DKIMSIG_L_DIGITS)
			fail(s, "l=%.30s is not a number", s->l);
		else
			s->l_val = strtoull(s->l, NULL, 10);
	}
	if (s->q && !query_ok(s->q))
		fail(s, "q=%.40s names no query method smtpsniff knows (dns/txt)", s->q);
	if (s->t) {
		if (!all_digits(s->t))
			fail(s, "t=%.30s is not a number", s->t);
		s->t_sec = time_value(s->t);
		s->t_lib = lib_value(s->t);
	}
	if (s->x) {
		if (!all_digits(s->x))
			fail(s, "x=%.30s is not a number", s->x);
		s->x_sec = time_value(s->x);
		s->x_lib = lib_value(s->x);
	}
	/* RFC 6376 3.5: x= MUST be greater than t= */
	if (s->t && s->x && !s->err[0] && s->x_sec <= s->t_sec)
		fail(s, "x= is not later than t=");
}

int dkimsig_parse(struct dkimsig *s, const uint8_t *p, size_t len)
{
	memset(s, 0, sizeof *s);
	s->alg = DKIMSIG_ALG_UNKNOWN;
	struct dkimtags *t = malloc(sizeof *t);
	/* every squeezed value is no longer than its raw bytes, plus a NUL */
	s->arena = malloc(len + DKIMTAGS_MAX + 1);
	if (!t || !s->arena) {
		free(t);
		free(s->arena);
		s->arena = NULL;
		snprintf(s->err, sizeof s->err, "out of memory");
		return -2;
	}
	const char *perr = dkimtags_parse(t, p, len);
	if (perr)
		fail(s, "%s", perr);
	static const char *const names[] = {"v", "a", "b", "bh", "c", "d", "h",
	                                    "i", "l", "q", "s",  "t", "x"};
	const char **slot[] = {&s->v, &s->a, &s->b, &s->bh, &s->c, &s->d, &s->h,
	                       &s->i, &s->l, &s->q, &s->s,  &s->t, &s->x};
	/* RFC 6376 3.5: only b=, bh=, h=, q= and z= may hold FWS inside their
	 * value; in the others it would be read differently by different
	 * verifiers (libopendkim's strtoull() stops at it) */
	static const char no_fws[] = "v a c d i l s t x";
	size_t used = 0;
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		const struct dkimtag *tag = dkimtags_find(t, names[k]);
		if (!tag)
			continue;
		long n = dkimtags_squeeze(tag, s->arena + used, len + DKIMTAGS_MAX + 1 - used);
		if (n < 0)
			continue; /* cannot happen: the arena holds every value */
		*slot[k] = s->arena + used;
		used += (size_t)n + 1;
		if ((size_t)n != tag->val_len && strlen(names[k]) == 1 &&
		    strchr(no_fws, names[k][0]))
			fail(s, "%s= holds white space", names[k]);
	}
	free(t);
	if (!s->err[0])
		check(s);
	return s->err[0] ? -1 : 0;
}

void dkimsig_free(struct dkimsig *s)
{
	if (!s)
		return;
	free(s->arena);
	s->arena = NULL;
}
