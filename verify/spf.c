/* spf.c - check_host() of RFC 7208 (sections 4, 5, 6, 4.6.4 limits) over
 * the captured-DNS store, and the verdict it makes, in words.
 *
 * Records are evaluated term by term, left to right; include and redirect
 * recurse, which the lookup limit bounds (every include and redirect counts,
 * so at most SPF_MAX_LOOKUPS levels). An answer the capture lacks stops the
 * evaluation with V_UNKNOWN, unless the answer could not change the result
 * (another PTR or MX name already matched).
 */
#define _POSIX_C_SOURCE 200809L
#include "spf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnstext.h"
#include "escape.h"
#include "spfmacro.h"
#include "spfname.h"
#include "spfrecord.h"
#include "sstime.h"

#define KEY_MAX (4 * SPF_MAX_NAME + 8) /* a name in presentation format */
#define NAME_BUF (SPF_MAX_NAME + 2)    /* a name as text, with a final dot */
#define SHOWN_RECORD 400               /* record text shown in a reason */
#define SHOWN_TERM 160

/* What decided a pass, fail, softfail or neutral. */
struct decision {
	int set;
	int all;        /* "-all", "~all" or "?all" matched */
	int include;    /* an include matched */
	int by_default; /* nothing matched: neutral (4.7) */
	char term[SHOWN_TERM];
	char record[SHOWN_RECORD];
	char src[KEY_MAX + 64];          /* "TXT a.test, frame 37" */
	char redirect[2 * KEY_MAX + 32]; /* "a.test redirects to b.test", or "" */
};

struct spf {
	struct vdns d;
	struct ss_addr ip;
	char ipstr[SS_ADDR_STRLEN];
	struct spf_macro_env env;
	int lookups, voids;
	char why[SPF_MAX_REASON]; /* none, permerror, temperror, unknown: why */
	struct decision dec, via; /* via: what an include matched inside */
	char explanation[SPF_MAX_EXPLANATION];
	int have_exp;
	/* %{p} as found for the last domain it was asked for (ptr_value) */
	char p_domain[NAME_BUF], p_value[NAME_BUF];
	int p_state; /* 0: none kept; 1: p_value; -1: it cannot be told (s->why) */
	char p_why[SPF_MAX_REASON];
};

/* One record being evaluated. */
struct level {
	const char *domain; /* <domain> here */
	char rec[SHOWN_RECORD];
	char src[KEY_MAX + 64];
	int explain; /* exp= applies (not inside an include: 6.2) */
	int depth;
};

static enum v_result check_host(struct spf *s, const char *domain, int explain, int depth);

static void why(struct spf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct spf *s, const char *fmt, ...)
{
	char tmp[SPF_MAX_REASON];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap); /* fmt may name s->why itself */
	va_end(ap);
	memcpy(s->why, tmp, sizeof tmp);
}

static const char *shown(char *out, size_t cap, const char *p, size_t n)
{
	return escape_str(out, cap, (const uint8_t *)p, n);
}

/* "NXDOMAIN, frame 12" */
static const char *answer_words(const struct dns_answer *a, char out[400])
{
	char src[300], rc[16];
	const char *what = a->kind == DNS_NXDOMAIN ? "NXDOMAIN"
	                   : a->kind == DNS_NODATA ? "no data"
	                   : a->kind == DNS_DATA   ? "data"
	                                           : dnstext_rcode_name((unsigned)a->rcode, rc);
	snprintf(out, 400, "%s, %s", what, dns_answer_source(a, src));
	return out;
}

/* vdns_lookup of a name given as text; NULL when no query can be made of
 * it. key receives the name as asked. */
static const struct dns_answer *ask(struct spf *s, const char *name, uint16_t type,
                                    char key[KEY_MAX])
{
	if (!*spfname_key(name, key, KEY_MAX))
		return NULL;
	return vdns_lookup(&s->d, key, type);
}

/* An answer the capture lacks: why, in the words of the store (no DNS at
 * all, asked and never answered, nobody asked). */
static void not_captured(struct spf *s, uint16_t type, const char *key, const struct dns_answer *a)
{
	char ty[16], q[KEY_MAX + 16], w[SPF_MAX_REASON];
	snprintf(q, sizeof q, "%s %s", dnstext_type(type, ty), key);
	why(s, "cannot tell: %s", dns_answer_why(a, q, w, sizeof w));
}

static void dns_error(struct spf *s, const struct level *lv, const struct spf_term *t,
                      uint16_t type, const char *key, const struct dns_answer *a)
{
	char ty[16], w[400], term[SHOWN_TERM];
	why(s, "DNS error for %s %s (%s), asked for %s in \"%s\" (%s)", dnstext_type(type, ty), key,
	    answer_words(a, w), shown(term, sizeof term, t->text, t->len), lv->rec, lv->src);
}

/* A lookup of term t found nothing (4.6.4 "void lookup"): counted, and
 * one too many is a permerror. Returns -1 then. */
static int void_lookup(struct spf *s, const struct level *lv, const struct spf_term *t,
                       uint16_t type, const char *key, const struct dns_answer *a)
{
	if (++s->voids <= SPF_MAX_VOID)
		return 0;
	char ty[16], w[400], term[SHOWN_TERM];
	why(s,
	    "too many void lookups (%d > %d, RFC 7208 4.6.4): %s found nothing (%s %s: %s) in "
	    "\"%s\" (%s)",
	    s->voids, SPF_MAX_VOID, shown(term, sizeof term, t->text, t->len),
	    dnstext_type(type, ty), key, answer_words(a, w), lv->rec, lv->src);
	return -1;
}

/* A domain name from rdata as text (labels joined by dots); -1 for the
 * root or a name whose labels hold dots or NULs (no SPF name can be them). */
static int rdf_name(const ldns_rdf *r, char out[NAME_BUF])
{
	if (!r || ldns_rdf_get_type(r) != LDNS_RDF_TYPE_DNAME)
		return -1;
	const uint8_t *p = ldns_rdf_data(r);
	size_t n = ldns_rdf_size(r), i = 0, w = 0;
	while (i < n && p[i]) {
		size_t l = p[i++];
		if (l > n - i || w + l + 1 > SPF_MAX_NAME + 1)
			return -1;
		if (memchr(p + i, '.', l) || memchr(p + i, 0, l))
			return -1;
		if (w)
			out[w++] = '.';
		memcpy(out + w, p + i, l);
		w += l;
		i += l;
	}
	out[w] = 0;
	return w ? 0 : -1;
}

/* Whether one of name's addresses is within the client's network of c4/c6
 * bits. Returns 1 or 0; -1 with *err and s->why for an answer not captured
 * (V_UNKNOWN), a DNS error (V_TEMPERROR), or a void lookup past the limit
 * (V_PERMERROR; only when t counts voids). */
static int addr_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                      int count_void, const char *name, int c4, int c6, enum v_result *err)
{
	uint16_t type = s->ip.family == SS_AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	char key[KEY_MAX];
	const struct dns_answer *a = ask(s, name, type, key);
	if (!a)
		return 0; /* a name no query can be made of does not exist (4.8) */
	switch (a->kind) {
	case DNS_NOT_CAPTURED:
		not_captured(s, type, key, a);
		*err = V_UNKNOWN;
		return -1;
	case DNS_SERVFAIL:
		dns_error(s, lv, t, type, key, a);
		*err = V_TEMPERROR;
		return -1;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		if (count_void && void_lookup(s, lv, t, type, key, a)) {
			*err = V_PERMERROR;
			return -1;
		}
		return 0;
	case DNS_DATA:
		break;
	}
	size_t want = s->ip.family == SS_AF_INET ? 4 : 16;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		const ldns_rdf *f = ldns_rr_rdf(ldns_rr_list_rr(a->rrs, i), 0);
		if (f && ldns_rdf_size(f) == want &&
		    spfname_in_net(&s->ip, ldns_rdf_data(f), want == 4 ? c4 : c6))
			return 1;
	}
	return 0;
}

/* Up to max names from the rdata field k of a DATA answer's records, in the
 * order given. */
static size_t rdata_names(const struct dns_answer *a, size_t k, char (*names)[NAME_BUF], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(a->rrs, i);
		if (k < ldns_rr_rd_count(rr) && rdf_name(ldns_rr_rdf(rr, k), names[n]) == 0)
			n++;
	}
	return n;
}

/* The client's PTR names (at most SPF_MAX_PTR, 4.6.4); 0 with *kind when
 * the lookup found none. */
static size_t ptr_names(struct spf *s, char (*names)[NAME_BUF], const struct dns_answer **ans,
                        char key[KEY_MAX])
{
	char rev[80];
	spfname_reverse(&s->ip, rev);
	*ans = ask(s, rev, LDNS_RR_TYPE_PTR, key);
	if (!*ans || (*ans)->kind != DNS_DATA)
		return 0;
	return rdata_names(*ans, 0, names, SPF_MAX_PTR);
}

/* %{p} (RFC 7208 7.3, validation as 5.5): a validated name of the client,
 * preferring d itself, then a name under d, then the first; "unknown" when
 * none validates. -1 when an answer that decides it is not captured. */
static int ptr_lookup(struct spf *s, const char *d, char *out, size_t cap)
{
	char names[SPF_MAX_PTR][NAME_BUF], key[KEY_MAX];
	const struct dns_answer *a;
	size_t n = ptr_names(s, names, &a, key);
	if (a && a->kind == DNS_NOT_CAPTURED) {
		not_captured(s, LDNS_RR_TYPE_PTR, key, a);
		return -1;
	}
	int tried[SPF_MAX_PTR] = {0};
	struct level none = {.domain = d};
	struct spf_term p = {.mech = SPF_M_PTR, .text = "%{p}", .len = 4};
	snprintf(none.rec, sizeof none.rec, "%%{p}");
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < n; i++) {
			size_t ln = strlen(names[i]), dl = strlen(d);
			int exact = spfname_within(names[i], d) &&
			            (ln == dl || ln + 1 == dl || ln == dl + 1);
			if (tried[i] || (pass == 0 && !exact) ||
			    (pass == 1 && !spfname_within(names[i], d)))
				continue;
			tried[i] = 1;
			enum v_result err;
			int m = addr_match(s, &none, &p, 0, names[i], 32, 128, &err);
			if (m < 0 && err == V_UNKNOWN)
				return -1;
			if (m > 0) {
				snprintf(out, cap, "%s", names[i]);
				return 0;
			}
		}
	snprintf(out, cap, "unknown");
	return 0;
}

/* The macro environment's p: ptr_lookup, kept for the last domain (a
 * record may name %{p} many times; its lookups are made once). */
static int ptr_value(void *arg, const char *d, char *out, size_t cap)
{
	struct spf *s = arg;
	if (!s->p_state || strcmp(s->p_domain, d)) {
		snprintf(s->p_domain, sizeof s->p_domain, "%s", d);
		s->p_state = ptr_lookup(s, d, s->p_value, sizeof s->p_value) ? -1 : 1;
		memcpy(s->p_why, s->why, sizeof s->p_why);
	}
	if (s->p_state < 0) {
		memcpy(s->why, s->p_why, sizeof s->why);
		return -1;
	}
	snprintf(out, cap, "%s", s->p_value);
	return 0;
}

/* Expands a checked domain-spec at lv's domain into out[NAME_BUF]; -1 (with
 * s->why) when %{p} needs an answer not captured. */
static int expand(struct spf *s, const struct level *lv, const char *spec, size_t n, char *out)
{
	s->env.domain = lv->domain;
	return spf_macro_domain(&s->env, spec, n, out);
}

static int too_many(struct spf *s, const struct level *lv, const char *t, size_t n)
{
	char term[SHOWN_TERM];
	why(s, "too many DNS lookups (%d > %d, RFC 7208 4.6.4): %s in \"%s\" (%s)", s->lookups,
	    SPF_MAX_LOOKUPS, shown(term, sizeof term, t, n), lv->rec, lv->src);
	return -1;
}

static int include_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                         const char *target, enum v_result *err)
{
	enum v_result r = check_host(s, target, 0, lv->depth + 1);
	switch (r) {
	case V_PASS:
		return 1;
	case V_FAIL:
	case V_SOFTFAIL:
	case V_NEUTRAL:
		return 0;
	case V_NONE: {
		/* 5.2: an include that finds no record is an error of the includer */
		char term[SHOWN_TERM];
		why(s, "%s in \"%s\" (%s) finds no SPF record: %s",
		    shown(term, sizeof term, t->text, t->len), lv->rec, lv->src, s->why);
		*err = V_PERMERROR;
		return -1;
	}
	default:
		/* the included record's own words, and where the include was */
		if (lv->depth == 0 && r != V_UNKNOWN) {
			char term[SHOWN_TERM];
			why(s, "%s (reached by %s in \"%s\" (%s))", s->why,
			    shown(term, sizeof term, t->text, t->len), lv->rec, lv->src);
		}
		*err = r;
		return -1;
	}
}

static int mx_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                    const char *target, enum v_result *err)
{
	char key[KEY_MAX];
	const struct dns_answer *a = ask(s, target, LDNS_RR_TYPE_MX, key);
	if (!a)
		return 0;
	switch (a->kind) {
	case DNS_NOT_CAPTURED:
		not_captured(s, LDNS_RR_TYPE_MX, key, a);
		*err = V_UNKNOWN;
		return -1;
	case DNS_SERVFAIL:
		dns_error(s, lv, t, LDNS_RR_TYPE_MX, key, a);
		*err = V_TEMPERROR;
		return -1;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		if (void_lookup(s, lv, t, LDNS_RR_TYPE_MX, key, a)) {
			*err = V_PERMERROR;
			return -1;
		}
		return 0;
	case DNS_DATA:
		break;
	}
	size_t count = ldns_rr_list_rr_count(a->rrs);
	if (count > SPF_MAX_MX) {
		char term[SHOWN_TERM];
		why(s, "%s finds %zu MX records, more than %d (RFC 7208 4.6.4), in \"%s\" (%s)",
		    shown(term, sizeof term, t->text, t->len), count, SPF_MAX_MX, lv->rec, lv->src);
		*err = V_PERMERROR;
		return -1;
	}
	/* copied first: the address lookups must not outlive the answer */
	char names[SPF_MAX_MX][NAME_BUF];
	size_t n = rdata_names(a, 1, names, SPF_MAX_MX); /* a null MX (".") has none */
	int unknown = 0;
	for (size_t i = 0; i < n; i++) {
		enum v_result e;
		int m = addr_match(s, lv, t, 0, names[i], t->cidr4, t->cidr6, &e);
		if (m > 0)
			return 1;
		if (m < 0 && e != V_UNKNOWN) {
			*err = e;
			return -1;
		}
		/* an MX host not captured: another may still match */
		unknown |= m < 0;
	}
	if (unknown) {
		*err = V_UNKNOWN; /* s->why names the first, if no other overwrote it */
		return -1;
	}
	return 0;
}

static int ptr_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                     const char *target, enum v_result *err)
{
	char names[SPF_MAX_PTR][NAME_BUF], key[KEY_MAX], why_unknown[SPF_MAX_REASON] = "";
	const struct dns_answer *a;
	size_t n = ptr_names(s, names, &a, key);
	switch (a->kind) {
	case DNS_NOT_CAPTURED:
		not_captured(s, LDNS_RR_TYPE_PTR, key, a);
		*err = V_UNKNOWN;
		return -1;
	case DNS_SERVFAIL:
		return 0; /* 5.5: a DNS error for the PTR lookup is no match */
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		if (void_lookup(s, lv, t, LDNS_RR_TYPE_PTR, key, a)) {
			*err = V_PERMERROR;
			return -1;
		}
		return 0;
	case DNS_DATA:
		break;
	}
	/* Only names within the target can match, so only they are validated
	 * (5.5 validates every name, then keeps those within: the same). */
	for (size_t i = 0; i < n; i++) {
		if (!spfname_within(names[i], target))
			continue;
		enum v_result e;
		int m = addr_match(s, lv, t, 0, names[i], 32, 128, &e);
		if (m > 0)
			return 1;
		/* 5.5: a DNS error skips the name */
		if (m < 0 && e == V_UNKNOWN && !why_unknown[0])
			memcpy(why_unknown, s->why, sizeof why_unknown);
	}
	if (why_unknown[0]) {
		memcpy(s->why, why_unknown, sizeof s->why);
		*err = V_UNKNOWN;
		return -1;
	}
	return 0;
}

static int exists_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                        const char *target, enum v_result *err)
{
	char key[KEY_MAX];
	/* 5.7: always an A lookup, whatever the client's family */
	const struct dns_answer *a = ask(s, target, LDNS_RR_TYPE_A, key);
	if (!a)
		return 0;
	switch (a->kind) {
	case DNS_NOT_CAPTURED:
		not_captured(s, LDNS_RR_TYPE_A, key, a);
		*err = V_UNKNOWN;
		return -1;
	case DNS_SERVFAIL:
		dns_error(s, lv, t, LDNS_RR_TYPE_A, key, a);
		*err = V_TEMPERROR;
		return -1;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		if (void_lookup(s, lv, t, LDNS_RR_TYPE_A, key, a)) {
			*err = V_PERMERROR;
			return -1;
		}
		return 0;
	case DNS_DATA:
		return 1;
	}
	return 0;
}

/* Whether term t matches. Returns 1 or 0; -1 with *err and s->why. */
static int mech_match(struct spf *s, const struct level *lv, const struct spf_term *t,
                      enum v_result *err)
{
	switch (t->mech) {
	case SPF_M_ALL:
		return 1;
	case SPF_M_IP4:
		return s->ip.family == SS_AF_INET && spfname_in_net(&s->ip, t->net, t->cidr4);
	case SPF_M_IP6:
		return s->ip.family == SS_AF_INET6 && spfname_in_net(&s->ip, t->net, t->cidr6);
	default:
		break;
	}
	/* The rest query DNS, and count (4.6.4). */
	if (++s->lookups > SPF_MAX_LOOKUPS) {
		*err = V_PERMERROR;
		return too_many(s, lv, t->text, t->len);
	}
	char target[NAME_BUF];
	if (t->spec) {
		if (expand(s, lv, t->spec, t->spec_len, target)) {
			*err = V_UNKNOWN;
			return -1;
		}
	} else {
		snprintf(target, sizeof target, "%s", lv->domain);
	}
	switch (t->mech) {
	case SPF_M_INCLUDE:
		return include_match(s, lv, t, target, err);
	case SPF_M_A:
		return addr_match(s, lv, t, 1, target, t->cidr4, t->cidr6, err);
	case SPF_M_MX:
		return mx_match(s, lv, t, target, err);
	case SPF_M_PTR:
		return ptr_match(s, lv, t, target, err);
	case SPF_M_EXISTS:
		return exists_match(s, lv, t, target, err);
	default:
		return 0;
	}
}

static void decide(struct spf *s, const struct level *lv, const struct spf_term *t)
{
	struct decision *d = &s->dec;
	if (t && t->mech == SPF_M_INCLUDE) {
		/* keep what matched inside, unless that was an include too */
		if (d->set && !d->include)
			s->via = *d;
	} else {
		s->via.set = 0;
	}
	memset(d, 0, sizeof *d);
	d->set = 1;
	d->by_default = t == NULL;
	d->all = t && t->mech == SPF_M_ALL && t->qual != '+';
	d->include = t && t->mech == SPF_M_INCLUDE;
	if (t)
		shown(d->term, sizeof d->term, t->text, t->len);
	memcpy(d->record, lv->rec, sizeof d->record);
	memcpy(d->src, lv->src, sizeof d->src);
}

/* exp= (6.2): the explanation of a fail, when it can be had; any problem
 * with it leaves the result as it is, without one. */
static void explain(struct spf *s, const struct level *lv, const struct spf_record *r)
{
	char target[NAME_BUF], key[KEY_MAX], keep[SPF_MAX_REASON];
	memcpy(keep, s->why, sizeof keep);
	if (expand(s, lv, r->exp, r->exp_len, target))
		goto out;
	/* not a term: it counts toward no limit (the suite's exp-void) */
	const struct dns_answer *a = ask(s, target, LDNS_RR_TYPE_TXT, key);
	if (!a || a->kind != DNS_DATA || ldns_rr_list_rr_count(a->rrs) != 1)
		goto out;
	size_t len;
	char *txt = dns_answer_txt(a, 0, &len);
	const char *w;
	char out[SPF_MAX_EXPLANATION];
	s->env.domain = lv->domain;
	if (txt && !spf_macro_check(txt, len, SPF_MACRO_EXPLAIN, &w) &&
	    !spf_macro_explain(&s->env, txt, len, out, sizeof out)) {
		escape_str(s->explanation, sizeof s->explanation, (const uint8_t *)out,
		           strlen(out));
		s->have_exp = 1;
	}
	free(txt);
out:
	memcpy(s->why, keep, sizeof keep);
}

static enum v_result qual_result(char q)
{
	switch (q) {
	case '-':
		return V_FAIL;
	case '~':
		return V_SOFTFAIL;
	case '?':
		return V_NEUTRAL;
	default:
		return V_PASS;
	}
}

/* 4.6-4.7, 6.1: the terms in order, then redirect=, then neutral. */
static enum v_result evaluate(struct spf *s, struct level *lv, const struct spf_record *r)
{
	for (size_t i = 0; i < r->nterms; i++) {
		const struct spf_term *t = &r->terms[i];
		enum v_result err = V_PERMERROR;
		int m = mech_match(s, lv, t, &err);
		if (m < 0)
			return err;
		if (m) {
			enum v_result res = qual_result(t->qual);
			decide(s, lv, t);
			s->have_exp = 0;
			if (res == V_FAIL && lv->explain && r->exp)
				explain(s, lv, r);
			return res;
		}
	}
	if (!r->redirect) {
		decide(s, lv, NULL);
		return V_NEUTRAL;
	}
	if (++s->lookups > SPF_MAX_LOOKUPS) {
		too_many(s, lv, r->redirect - 9, r->redirect_len + 9);
		return V_PERMERROR;
	}
	char target[NAME_BUF], spec[SHOWN_TERM];
	if (expand(s, lv, r->redirect, r->redirect_len, target))
		return V_UNKNOWN;
	shown(spec, sizeof spec, r->redirect, r->redirect_len);
	/* 6.1: the result is the target's, its exp= included, and a target
	 * without a record (or not a domain) is a permerror */
	enum v_result res = check_host(s, target, lv->explain, lv->depth + 1);
	if (res == V_NONE) {
		why(s, "redirect=%s in \"%s\" (%s) finds no SPF record: %s", spec, lv->rec, lv->src,
		    s->why);
		return V_PERMERROR;
	}
	if ((res == V_PASS || res == V_FAIL || res == V_SOFTFAIL || res == V_NEUTRAL) &&
	    !s->dec.redirect[0])
		snprintf(s->dec.redirect, sizeof s->dec.redirect, "%s redirects to %s", lv->domain,
		         target);
	else if ((res == V_PERMERROR || res == V_TEMPERROR) && lv->depth == 0)
		why(s, "%s (reached by redirect=%s in \"%s\" (%s))", s->why, spec, lv->rec,
		    lv->src);
	return res;
}

/* check_host(<ip>, <domain>, <sender>) of RFC 7208 4. */
static enum v_result check_host(struct spf *s, const char *domain, int explain_ok, int depth)
{
	char key[KEY_MAX], name[KEY_MAX];
	/* 4.3: a malformed or single-label domain has no SPF record */
	if (!spfname_checkable(domain)) {
		why(s, "\"%s\" is not a domain name SPF can check (RFC 7208 4.3)",
		    shown(name, sizeof name, domain, strlen(domain)));
		return V_NONE;
	}
	const struct dns_answer *a = ask(s, domain, LDNS_RR_TYPE_TXT, key);
	if (!a) {
		why(s, "\"%s\" is not a domain name SPF can check (RFC 7208 4.3)",
		    shown(name, sizeof name, domain, strlen(domain)));
		return V_NONE;
	}
	struct level lv = {.domain = domain, .explain = explain_ok, .depth = depth};
	char src[300];
	snprintf(lv.src, sizeof lv.src, "TXT %s, %s", key, dns_answer_source(a, src));
	switch (a->kind) {
	case DNS_NOT_CAPTURED:
		not_captured(s, LDNS_RR_TYPE_TXT, key, a);
		return V_UNKNOWN;
	case DNS_SERVFAIL: {
		char w[400];
		why(s, "DNS error for TXT %s (%s)", key, answer_words(a, w));
		return V_TEMPERROR;
	}
	case DNS_NXDOMAIN:
		why(s, "%s does not exist (TXT %s: NXDOMAIN, %s)", key, key, src);
		return V_NONE;
	case DNS_NODATA:
		why(s, "%s publishes no SPF record (%s)", key, lv.src);
		return V_NONE;
	case DNS_DATA:
		break;
	}
	/* 4.5: of the TXT records, those that are SPF; one, or an error */
	char *txt = NULL;
	size_t tlen = 0, count = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		size_t l;
		char *t = dns_answer_txt(a, i, &l);
		if (t && spf_record_select(t, l) && ++count == 1) {
			txt = t;
			tlen = l;
		} else {
			free(t);
		}
	}
	if (count == 0) {
		why(s, "%s publishes no SPF record (%s)", key, lv.src);
		return V_NONE;
	}
	shown(lv.rec, sizeof lv.rec, txt, tlen);
	if (count > 1) {
		free(txt);
		why(s, "%s publishes %zu SPF records (%s), an error (RFC 7208 4.5)", key, count,
		    lv.src);
		return V_PERMERROR;
	}
	if (depth == 0) {
		char *full = malloc(tlen * 4 + 8);
		if (full)
			verdict_prop(s->d.v, "record", "%s",
			             escape_str(full, tlen * 4 + 8, (const uint8_t *)txt, tlen));
		free(full);
	}
	struct spf_record r;
	char perr[400];
	enum v_result res;
	if (spf_record_parse(&r, txt, tlen, perr, sizeof perr)) {
		why(s, "syntax error in \"%s\" (%s): %s", lv.rec, lv.src, perr);
		res = V_PERMERROR;
	} else {
		res = evaluate(s, &lv, &r);
		spf_record_free(&r);
	}
	free(txt);
	return res;
}

/* Appends to a text of cap bytes, cutting what does not fit. */
static void add(char *text, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *text, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(text);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text + n, cap - n, fmt, ap);
	va_end(ap);
}

/* The words of a pass, fail, softfail or neutral. */
static void decision_reason(struct spf *s, struct verdict *v, enum v_result r)
{
	const struct decision *d = &s->dec;
	char text[SPF_MAX_REASON] = "";
	if (d->by_default)
		add(text, sizeof text,
		    "%s matched nothing in \"%s\" (%s): neutral by default (RFC 7208 4.7)",
		    s->ipstr, d->record, d->src);
	else if (d->all)
		add(text, sizeof text, "%s is not in \"%s\" (%s): %s matched", s->ipstr, d->record,
		    d->src, d->term);
	else
		add(text, sizeof text, "%s matched %s in \"%s\" (%s)", s->ipstr, d->term, d->record,
		    d->src);
	if (d->include && s->via.set)
		add(text, sizeof text, "; inside, %s matched %s in \"%s\" (%s)", s->ipstr,
		    s->via.by_default ? "nothing" : s->via.term, s->via.record, s->via.src);
	if (d->redirect[0])
		add(text, sizeof text, " (%s)", d->redirect);
	verdict_set(v, r, "%s", text);
	if (d->term[0])
		verdict_prop(v, "mechanism", "%s", d->term);
}

/* The sender and the domain checked for the identity (RFC 7208 2.3, 2.4,
 * 4.3): local-part "postmaster" when there is none. Strings are malloc'd. */
static int identity(const char *mail_from, const char *helo, enum spf_identity id, char **sender,
                    char **local, char **domain)
{
	const char *m = mail_from ? mail_from : "";
	size_t n = strlen(m);
	if (n >= 2 && m[0] == '<' && m[n - 1] == '>') {
		m++;
		n -= 2;
	}
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (m[i] == '@')
			at = m + i; /* the last: a domain holds no '@' */
	if (id == SPF_HELO || n == 0) {
		*local = strdup("postmaster");
		*domain = strdup(helo ? helo : "");
	} else if (!at) {
		*local = strdup("postmaster");
		*domain = strndup(m, n);
	} else {
		*local = at == m ? strdup("postmaster") : strndup(m, (size_t)(at - m));
		*domain = strndup(at + 1, n - (size_t)(at + 1 - m));
	}
	if (!*local || !*domain)
		return -1;
	size_t dl = strlen(*domain);
	if (dl > 1 && (*domain)[dl - 1] == '.')
		(*domain)[dl - 1] = 0; /* the root's dot: %{d} must not keep it */
	size_t sl = strlen(*local) + strlen(*domain) + 2;
	*sender = malloc(sl);
	if (!*sender)
		return -1;
	snprintf(*sender, sl, "%s@%s", *local, *domain);
	return 0;
}

struct verdict *spf_check(struct dns_store *store, int64_t ts, const struct ss_addr *asker,
                          const struct ss_addr *client, const char *mail_from, const char *helo,
                          const char *receiver, enum spf_identity id)
{
	struct verdict *v = verdict_new(V_SPF);
	struct spf *s = calloc(1, sizeof *s);
	char *sender = NULL, *local = NULL, *domain = NULL;
	if (!v || !s || identity(mail_from, helo, id, &sender, &local, &domain)) {
		verdict_free(v);
		v = NULL;
		goto out;
	}
	s->d.store = store;
	s->d.ts = ts;
	if (asker)
		s->d.asker = *asker;
	s->d.v = v;
	s->ip = spfname_unmap(client);
	ss_addr_fmt(&s->ip, s->ipstr);
	s->env = (struct spf_macro_env){.sender = sender,
	                                .local = local,
	                                .sender_dom = domain,
	                                .domain = domain,
	                                .ip = &s->ip,
	                                .helo = helo ? helo : "",
	                                .receiver = receiver,
	                                .now = ts / SS_NS_PER_SEC,
	                                .ptr = ptr_value,
	                                .arg = s};
	char shown_dom[KEY_MAX], shown_sender[KEY_MAX];
	shown(shown_dom, sizeof shown_dom, domain, strlen(domain));
	verdict_prop(v, "identity", "%s", id == SPF_HELO ? "helo" : "mailfrom");
	verdict_prop(v, "sender", "%s",
	             shown(shown_sender, sizeof shown_sender, sender, strlen(sender)));
	verdict_domain(v, shown_dom);
	verdict_prop(v, "domain", "%s", shown_dom);
	verdict_prop(v, "client_ip", "%s", s->ipstr);
	if (s->ip.family != SS_AF_INET && s->ip.family != SS_AF_INET6) {
		verdict_set(v, V_UNKNOWN, "cannot tell: the client's address is unknown");
		goto out;
	}
	if (!*domain) {
		verdict_set(v, V_NONE, "no domain to check: %s",
		            id == SPF_HELO ? "no HELO name" : "a null sender and no HELO name");
		goto out;
	}
	enum v_result r = check_host(s, domain, 1, 0);
	switch (r) {
	case V_PASS:
	case V_FAIL:
	case V_SOFTFAIL:
	case V_NEUTRAL:
		decision_reason(s, v, r);
		if (r == V_FAIL && s->have_exp)
			verdict_prop(v, "explanation", "%s", s->explanation);
		break;
	default:
		verdict_set(v, r, "%s", s->why);
		break;
	}
out:
	free(sender);
	free(local);
	free(domain);
	free(s);
	return v;
}
