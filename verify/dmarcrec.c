/* dmarcrec.c - DMARC policy records (RFC 7489 6.3, 6.4), read leniently. */
#include "dmarcrec.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"

static int dmarcrec_wsp(uint8_t c)
{
	/* 6.4 allows only WSP; CR and LF are taken too, since TXT strings
	 * are joined as published and some publishers fold them. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The span [*s, *e) of t without whitespace at either end. */
static void dmarcrec_trim(const uint8_t *t, size_t *s, size_t *e)
{
	while (*s < *e && dmarcrec_wsp(t[*s]))
		(*s)++;
	while (*e > *s && dmarcrec_wsp(t[*e - 1]))
		(*e)--;
}

/* 1 when t[s .. s + n) is the word w, ASCII letters without case. */
static int dmarcrec_word(const uint8_t *t, size_t s, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = t[s + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)w[i])
			return 0;
	}
	return 1;
}

static int dmarcrec_policy(const uint8_t *t, const struct dmarcrec_span *v)
{
	if (!v->present)
		return DMARC_P_ABSENT;
	if (dmarcrec_word(t, v->off, v->len, "none"))
		return DMARC_P_NONE;
	if (dmarcrec_word(t, v->off, v->len, "quarantine"))
		return DMARC_P_QUARANTINE;
	if (dmarcrec_word(t, v->off, v->len, "reject"))
		return DMARC_P_REJECT;
	return DMARC_P_INVALID;
}

const char *dmarc_policy_name(int p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "none";
	case DMARC_P_QUARANTINE:
		return "quarantine";
	case DMARC_P_REJECT:
		return "reject";
	case DMARC_P_ABSENT:
		return "absent";
	default:
		return "invalid";
	}
}

/* Notes the first problem only: one is enough to explain a verdict. */
static void dmarcrec_problem(struct dmarc_record *r, const uint8_t *t,
                             const struct dmarcrec_span *v, const char *tag, const char *what)
{
	if (r->problem[0])
		return;
	char val[48];
	escape_str(val, sizeof val, t + v->off, v->len);
	snprintf(r->problem, sizeof r->problem, "%s=\"%s\" %s", tag, val, what);
}

/* A term of the record that is no tag=value (t[s .. s + n)), ignored as
 * 6.3 has it ("Syntax errors in the remainder of the record SHOULD be
 * discarded ... or ignored outright"), and said. */
static void dmarcrec_bad_term(struct dmarc_record *r, const uint8_t *t, size_t s, size_t n,
                              const char *what)
{
	if (r->problem[0])
		return;
	char val[48];
	escape_str(val, sizeof val, t + s, n);
	snprintf(r->problem, sizeof r->problem, "\"%s\" %s (RFC 7489 6.4): ignored (6.3)", val,
	         what);
}

/* 6.4 dmarc-uri: a URI (RFC 3986: scheme ":" ...) with an optional "!size".
 * Only the form is checked: a scheme, a colon, then something without
 * whitespace. 1 when one element of the comma-separated list passes. */
static int dmarcrec_uris(const uint8_t *t, const struct dmarcrec_span *v)
{
	size_t i = v->off, end = v->off + v->len;
	while (i < end) {
		size_t s = i, e = i;
		while (e < end && t[e] != ',')
			e++;
		i = e + 1;
		dmarcrec_trim(t, &s, &e);
		size_t k = s;
		int ok = k < e && ((t[k] | 0x20) >= 'a' && (t[k] | 0x20) <= 'z');
		while (ok && k < e && t[k] != ':') {
			uint8_t c = t[k];
			ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
			     c == '+' || c == '-' || c == '.';
			k++;
		}
		if (!ok || k >= e || k + 1 >= e)
			continue; /* no scheme, or nothing after the colon */
		for (k = k + 1; k < e && t[k] > 0x20 && t[k] < 0x7f; k++)
			;
		if (k == e)
			return 1;
	}
	return 0;
}

/* The v tag at the start: "v" *WSP "=" *WSP "DMARC1" *WSP, then ";" or the
 * end. Returns the offset just past the ";" (or len), or 0 when absent. */
static size_t dmarcrec_version(const uint8_t *t, size_t len)
{
	size_t i = 0;
	if (len == 0 || (t[0] != 'v' && t[0] != 'V'))
		return 0;
	i = 1;
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i >= len || t[i] != '=')
		return 0;
	i++;
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (len - i < 6 || memcmp(t + i, "DMARC1", 6))
		return 0;
	i += 6;
	while (i < len && dmarcrec_wsp(t[i]))
		i++;
	if (i == len)
		return len;
	return t[i] == ';' ? i + 1 : 0;
}

/* Remembers where each known tag's value is; the first one counts. */
static void dmarcrec_tag(struct dmarc_record *r, const uint8_t *t, size_t ns, size_t nn, size_t vs,
                         size_t vn)
{
	static const char *const names[] = {"p",   "sp",  "np", "pct", "adkim", "aspf",
	                                    "rua", "ruf", "fo", "rf",  "ri"};
	struct dmarcrec_span *spans[] = {&r->p_raw,     &r->sp_raw,   &r->np_raw, &r->pct_raw,
	                                 &r->adkim_raw, &r->aspf_raw, &r->rua,    &r->ruf,
	                                 &r->fo,        &r->rf,       &r->ri};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!dmarcrec_word(t, ns, nn, names[i]))
			continue;
		if (spans[i]->present) {
			dmarcrec_problem(r, t, &(struct dmarcrec_span){vs, vn, 1}, names[i],
			                 "repeats the tag: the first one counts");
			return;
		}
		*spans[i] = (struct dmarcrec_span){vs, vn, 1};
		return;
	}
	/* 6.3: "Unknown tags MUST be ignored." */
}

static char dmarcrec_mode(struct dmarc_record *r, const uint8_t *t, const struct dmarcrec_span *v,
                          const char *tag)
{
	if (!v->present)
		return 'r';
	if (dmarcrec_word(t, v->off, v->len, "r"))
		return 'r';
	if (dmarcrec_word(t, v->off, v->len, "s"))
		return 's';
	dmarcrec_problem(r, t, v, tag, "is neither r nor s: r applies");
	return 'r';
}

static int dmarcrec_pct(struct dmarc_record *r, const uint8_t *t, const struct dmarcrec_span *v)
{
	if (!v->present)
		return 100;
	/* 6.4: dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT, 0 to 100 (6.3) */
	int n = 0;
	int ok = v->len >= 1 && v->len <= 3;
	for (size_t i = 0; ok && i < v->len; i++) {
		uint8_t c = t[v->off + i];
		ok = c >= '0' && c <= '9';
		n = n * 10 + (c - '0');
	}
	if (ok && n <= 100)
		return n;
	dmarcrec_problem(r, t, v, "pct", "is not a whole number from 0 to 100: 100 applies");
	return 100;
}

enum dmarcrec_status dmarcrec_parse(const uint8_t *t, size_t len, struct dmarc_record *r)
{
	memset(r, 0, sizeof *r);
	r->p = r->sp = r->np = DMARC_P_ABSENT;
	r->pct = 100;
	r->adkim = r->aspf = 'r';
	if (len > DMARCREC_MAX_TEXT) {
		snprintf(r->problem, sizeof r->problem, "longer than a TXT record can be");
		return DMARCREC_NOT_DMARC;
	}
	size_t i = dmarcrec_version(t, len);
	if (i == 0) {
		snprintf(r->problem, sizeof r->problem, "does not start with v=DMARC1");
		return DMARCREC_NOT_DMARC;
	}
	while (i < len) {
		const uint8_t *semi = memchr(t + i, ';', len - i);
		size_t s = i, e = semi ? (size_t)(semi - t) : len;
		i = e + 1;
		dmarcrec_trim(t, &s, &e);
		if (s == e)
			continue; /* ";;" or a final ";" */
		const uint8_t *eq = memchr(t + s, '=', e - s);
		if (!eq) { /* "v=DMARC1; p=none; bogus" */
			dmarcrec_bad_term(r, t, s, e - s, "is not tag=value");
			continue;
		}
		size_t ns = s, ne = (size_t)(eq - t), vs = ne + 1, ve = e;
		dmarcrec_trim(t, &ns, &ne);
		dmarcrec_trim(t, &vs, &ve);
		if (ns == ne)
			dmarcrec_bad_term(r, t, s, e - s, "has no tag name");
		else
			dmarcrec_tag(r, t, ns, ne - ns, vs, ve - vs);
	}

	r->p = dmarcrec_policy(t, &r->p_raw);
	r->sp = dmarcrec_policy(t, &r->sp_raw);
	r->np = dmarcrec_policy(t, &r->np_raw);
	r->pct = dmarcrec_pct(r, t, &r->pct_raw);
	r->adkim = dmarcrec_mode(r, t, &r->adkim_raw, "adkim");
	r->aspf = dmarcrec_mode(r, t, &r->aspf_raw, "aspf");
	r->rua_valid = r->rua.present && dmarcrec_uris(t, &r->rua);

	/* 6.6.3 step 6: a record without a valid p=, or with an invalid sp=,
	 * counts as "v=DMARC1; p=none" when rua= holds a valid URI, and
	 * otherwise not at all. */
	int bad_p = r->p < 0, bad_sp = r->sp == DMARC_P_INVALID;
	if (!bad_p && !bad_sp)
		return DMARCREC_OK;
	/* what: "no p=", or "p=\"x\", not a policy" (not none, quarantine or reject) */
	char what[64] = "no p=", val[32];
	const struct dmarcrec_span *bad = bad_p ? &r->p_raw : &r->sp_raw;
	if (bad->present) {
		escape_str(val, sizeof val, t + bad->off, bad->len);
		snprintf(what, sizeof what, "%s=\"%.31s\", not a policy", bad_p ? "p" : "sp", val);
	}
	if (r->rua_valid) {
		snprintf(r->problem, sizeof r->problem,
		         "has %.63s, but a valid rua=: it counts as p=none (RFC 7489 "
		         "6.6.3 step 6.1)",
		         what);
		r->p = DMARC_P_NONE;
		r->sp = DMARC_P_ABSENT;
		r->p_implied = 1;
		return DMARCREC_OK;
	}
	snprintf(r->problem, sizeof r->problem,
	         "has %.63s, and no valid rua=: it is ignored (RFC 7489 6.6.3 step "
	         "6.2)",
	         what);
	return DMARCREC_NO_POLICY;
}
