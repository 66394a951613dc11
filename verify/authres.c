/* authres.c - RFC 8601 2.2 (syntax), 2.3 (property values), 2.5
 * (authserv-id), 2.7 (results); RFC 5451/7001/7601 share the grammar.
 *
 * The grammar, with what is read beyond it (see authres.h for the list):
 *   authres-payload = [CFWS] authserv-id [CFWS authres-version]
 *                     ( no-result / 1*resinfo ) [CFWS]
 *   no-result  = [CFWS] ";" [CFWS] "none"
 *   resinfo    = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS 1*propspec]
 *   methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 *   method     = Keyword [[CFWS] "/" [CFWS] method-version]
 *   reasonspec = "reason" [CFWS] "=" [CFWS] value
 *   propspec   = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *   pvalue     = [CFWS] (value / [[local-part] "@"] domain-name) [CFWS]
 * The parser is a loop over resinfos with one loop over propspecs inside;
 * comments are skipped by hdrlex_cfws() without recursion.
 */
#define _DEFAULT_SOURCE
#include "authres.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdrlex.h"
#include "verdict.h"

struct parse {
	struct hdrlex lx;
	struct authres *ar;
	size_t results_cap, props_cap, props_used;
	struct hdrlex_text com; /* the comments of the last hdrlex_cfws() */
	struct authres_result sink_result;
	struct authres_prop sink_prop;
	char com_buf[AUTHRES_MAX_COMMENT + 1];
	char head_buf[AUTHRES_MAX_COMMENT + 1];
	char res_buf[AUTHRES_MAX_COMMENT + 1];
	char val_buf[AUTHRES_MAX_VALUE + 1];
};

static void repair(struct parse *ps, size_t off)
{
	if (!ps->ar->repairs++)
		ps->ar->repair_off = off;
}

static int is_word(const uint8_t *s, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp((const char *)s, w, n);
}

/* Skips CFWS; the comments' text is left in ps->com and appended to acc. */
static void cfws(struct parse *ps, struct hdrlex_text *acc)
{
	ps->com.len = 0;
	ps->com.cut = 0;
	ps->com.p[0] = 0;
	hdrlex_cfws(&ps->lx, &ps->com);
	if (acc && ps->com.len) {
		if (acc->len)
			hdrlex_text_add(acc, " ", 1);
		hdrlex_text_add(acc, ps->com.p, ps->com.len);
		acc->cut |= ps->com.cut;
	}
}

/* Keeps gathered text, NULL when there is none. */
static const char *keep_text(struct parse *ps, const struct hdrlex_text *t)
{
	if (!t->len)
		return NULL;
	if (t->cut)
		ps->ar->cut_values++;
	return hdrlex_keep(&ps->lx, t->p, t->len, t->cap, 0, NULL);
}

static const char *keep_word(struct parse *ps, size_t start, size_t n)
{
	int cut = 0;
	const char *w = hdrlex_keep(&ps->lx, ps->lx.p + start, n, AUTHRES_MAX_VALUE, 1, &cut);
	ps->ar->cut_values += (size_t)cut;
	return w;
}

/* "local-part@domain" or "@domain" of RFC 8601 2.3, local-part a dot-atom
 * (a quoted one is handled by value()). */
static int is_addr(const uint8_t *s, size_t n)
{
	const uint8_t *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at)
		return 0;
	size_t local = (size_t)(at - s);
	return (local == 0 || hdrlex_is_dot_atom(s, local)) &&
	       hdrlex_is_dot_atom(at + 1, n - local - 1);
}

/* A value (RFC 2045 token or quoted-string) or, with addr, a pvalue. The
 * CFWS around it is the caller's. Returns NULL only on an error. */
static const char *value(struct parse *ps, int addr, int *quoted)
{
	struct hdrlex *lx = &ps->lx;
	struct hdrlex_text t = {ps->val_buf, 0, AUTHRES_MAX_VALUE, 0};
	size_t start = lx->off;
	*quoted = 0;
	if (hdrlex_peek(lx) == '"') {
		if (hdrlex_quoted(lx, &t))
			return NULL;
		if (!addr || hdrlex_peek(lx) != '@') {
			*quoted = 1;
			const char *v = keep_text(ps, &t);
			return v ? v : "";
		}
		/* A quoted local-part: the address is kept as RFC 5322 writes
		 * it, quotes and quoted-pairs included, line ends removed. */
		lx->off++;
		size_t n = hdrlex_span(lx, hdrlex_is_value);
		if (!hdrlex_is_dot_atom(lx->p + lx->off - n, n))
			repair(ps, start);
		t.len = 0;
		t.cut = 0;
		for (size_t i = start; i < lx->off; i++)
			if (lx->p[i] != '\r' && lx->p[i] != '\n')
				hdrlex_text_add(&t, lx->p + i, 1);
		return keep_text(ps, &t);
	}
	size_t n = hdrlex_span(lx, hdrlex_is_value);
	const uint8_t *s = lx->p + start;
	if (!n || !(hdrlex_is_token(s, n) || (addr && is_addr(s, n))))
		repair(ps, start); /* empty, or bytes the grammar does not allow */
	int cut = 0;
	const char *v = hdrlex_keep(lx, s, n, AUTHRES_MAX_VALUE, 0, &cut);
	ps->ar->cut_values += (size_t)cut;
	return v;
}

/* A place for the next result: in the array, or the sink once it is full
 * (the result is still read, so the parse goes on past it). */
static struct authres_result *new_result(struct parse *ps)
{
	struct authres *ar = ps->ar;
	struct authres_result *r;
	if (ar->nresults < ps->results_cap) {
		r = &ar->results[ar->nresults++];
	} else {
		ar->dropped_results++;
		r = &ps->sink_result;
	}
	memset(r, 0, sizeof *r);
	return r;
}

static struct authres_prop *new_prop(struct parse *ps, struct authres_result *r)
{
	struct authres_prop *p = &ps->sink_prop;
	if (r == &ps->sink_result) {
		/* not kept */
	} else if (r->nprops < AUTHRES_MAX_PROPS && ps->props_used < ps->props_cap) {
		p = &ps->ar->prop_pool[ps->props_used++];
		if (!r->nprops)
			r->props = p;
		r->nprops++;
	} else {
		r->dropped_props++;
	}
	memset(p, 0, sizeof *p);
	return p;
}

/* The propspecs (and reasonspec) after a methodspec, up to the next ";". */
static void props(struct parse *ps, struct authres_result *r, struct hdrlex_text *rtext)
{
	struct hdrlex *lx = &ps->lx;
	struct authres_prop *last = NULL;
	for (;;) {
		cfws(ps, rtext);
		if (last && ps->com.len)
			last->comment = keep_text(ps, &ps->com);
		last = NULL;
		int c = hdrlex_peek(lx);
		if (c < 0 || c == ';')
			return;
		size_t wstart = lx->off;
		size_t wn = hdrlex_span(lx, hdrlex_is_keyword);
		if (!wn) {
			/* Not even a word: skip a value's worth of bytes, or one. */
			repair(ps, wstart);
			struct hdrlex_text skip = {ps->val_buf, 0, AUTHRES_MAX_VALUE, 0};
			if (c == '"')
				hdrlex_quoted(lx, &skip);
			else if (!hdrlex_span(lx, hdrlex_is_value))
				lx->off++;
			continue;
		}
		cfws(ps, rtext);
		c = hdrlex_peek(lx);
		int quoted;
		if (c == '.') {
			lx->off++;
			cfws(ps, rtext);
			size_t pstart = lx->off;
			size_t pn = hdrlex_span(lx, hdrlex_is_keyword);
			if (!pn) {
				hdrlex_fail(lx, lx->off, "expected a property after the ptype");
				return;
			}
			cfws(ps, rtext);
			if (hdrlex_peek(lx) != '=') {
				hdrlex_fail(lx, lx->off, "expected '=' after the property");
				return;
			}
			lx->off++;
			cfws(ps, rtext);
			const char *v = value(ps, 1, &quoted);
			if (!v)
				return;
			last = new_prop(ps, r);
			last->ptype = keep_word(ps, wstart, wn);
			last->property = keep_word(ps, pstart, pn);
			last->value = v;
			last->quoted = quoted;
			last->off = wstart;
		} else if (c == '=') {
			lx->off++;
			cfws(ps, rtext);
			int reason = is_word(lx->p + wstart, wn, "reason") && !r->reason;
			const char *v = value(ps, !reason, &quoted);
			if (!v)
				return;
			if (reason) {
				r->reason = v;
				if (r->nprops)
					repair(ps, wstart); /* 2.2 puts it before them */
				continue;
			}
			repair(ps, wstart); /* "action=none": no ptype */
			last = new_prop(ps, r);
			last->ptype = "";
			last->property = keep_word(ps, wstart, wn);
			last->value = v;
			last->quoted = quoted;
			last->off = wstart;
		} else {
			repair(ps, wstart); /* a word that is no property */
		}
	}
}

/* One resinfo, just after its ";". */
static void resinfo(struct parse *ps, struct hdrlex_text *head)
{
	struct hdrlex *lx = &ps->lx;
	struct hdrlex_text rtext = {ps->res_buf, 0, AUTHRES_MAX_COMMENT, 0};
	size_t semi = lx->off - 1;
	cfws(ps, &rtext);
	int c = hdrlex_peek(lx);
	if (c < 0 || c == ';') {
		if (!lx->err)
			repair(ps, semi); /* ";" at the end, or ";;" */
		return;
	}
	size_t mstart = lx->off;
	size_t mn = hdrlex_span(lx, hdrlex_is_keyword);
	if (!mn) {
		hdrlex_fail(lx, lx->off, "expected a method");
		return;
	}
	cfws(ps, &rtext);
	c = hdrlex_peek(lx);
	if ((c < 0 || c == ';') && !lx->err && is_word(lx->p + mstart, mn, "none")) {
		if (ps->ar->nresults + ps->ar->dropped_results)
			repair(ps, mstart); /* "none" and results */
		ps->ar->none = 1;           /* no-result */
		if (rtext.len) {
			if (head->len)
				hdrlex_text_add(head, " ", 1);
			hdrlex_text_add(head, rtext.p, rtext.len);
		}
		return;
	}
	size_t vstart = 0, vn = 0;
	if (c == '/') {
		lx->off++;
		cfws(ps, &rtext);
		vstart = lx->off;
		vn = hdrlex_span(lx, hdrlex_is_digit);
		if (!vn) {
			hdrlex_fail(lx, lx->off, "expected a method version after '/'");
			return;
		}
		cfws(ps, &rtext);
		c = hdrlex_peek(lx);
	}
	if (c != '=') {
		hdrlex_fail(lx, lx->off, "expected '=' after the method");
		return;
	}
	lx->off++;
	cfws(ps, &rtext);
	size_t rstart = lx->off;
	size_t rn = hdrlex_span(lx, hdrlex_is_keyword);
	if (!rn) {
		hdrlex_fail(lx, lx->off, "expected a result after '='");
		return;
	}
	if (ps->ar->none)
		repair(ps, mstart); /* results after "none" */
	struct authres_result *r = new_result(ps);
	r->off = mstart;
	r->method = keep_word(ps, mstart, mn);
	r->method_version = vn ? keep_word(ps, vstart, vn) : NULL;
	r->result = keep_word(ps, rstart, rn);
	props(ps, r, &rtext);
	r->comment = keep_text(ps, &rtext);
	if (lx->err)
		r->partial = 1;
}

/* The authserv-id and version; 0 when results follow, -1 when the field
 * has none (the authserv-id is missing and the parse is at the first
 * result, which the caller reads as if a ";" came before it). */
static int head(struct parse *ps, struct hdrlex_text *htext)
{
	struct hdrlex *lx = &ps->lx;
	struct authres *ar = ps->ar;
	cfws(ps, htext);
	size_t start = lx->off;
	int c = hdrlex_peek(lx);
	int quoted;
	if (c < 0 || c == ';') {
		hdrlex_fail(lx, lx->off, "no authserv-id");
		return 0;
	}
	/* "dkim=pass ..." with no authserv-id: a method, then "=" or "/" */
	size_t kn = hdrlex_span(lx, hdrlex_is_keyword);
	c = hdrlex_peek(lx);
	if (kn && (c == '=' || c == '/')) {
		repair(ps, start);
		lx->off = start;
		return -1;
	}
	lx->off = start;
	const char *id = value(ps, 0, &quoted);
	if (!id)
		return 0;
	ar->authserv_id = id;
	cfws(ps, htext);
	size_t vstart = lx->off;
	size_t vn = hdrlex_span(lx, hdrlex_is_digit);
	if (vn) {
		c = hdrlex_peek(lx);
		if (c >= 0 && c != ';' && c != '(' && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n') {
			hdrlex_fail(lx, vstart, "expected ';' after the authserv-id");
			return 0;
		}
		ar->version = keep_word(ps, vstart, vn);
		cfws(ps, htext);
	}
	if (hdrlex_peek(lx) < 0 && !lx->err)
		repair(ps, lx->off); /* no ";" at all: no result, no "none" */
	return 0;
}

static size_t count(const uint8_t *p, size_t n, uint8_t c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

enum authres_status authres_parse(struct authres *ar, const uint8_t *p, size_t len)
{
	memset(ar, 0, sizeof *ar);
	ar->authserv_id = "";
	size_t n = len > AUTHRES_MAX_INPUT ? AUTHRES_MAX_INPUT : len;
	struct parse *ps = calloc(1, sizeof *ps);
	if (!ps)
		return AUTHRES_NOMEM;
	if (hdrlex_init(&ps->lx, p, n)) {
		free(ps);
		return AUTHRES_NOMEM;
	}
	ps->ar = ar;
	ps->com = (struct hdrlex_text){ps->com_buf, 0, AUTHRES_MAX_COMMENT, 0};
	/* Every result has a ";" before it (one more for a field without
	 * authserv-id), every property a "=": the arrays are sized once. */
	ps->results_cap = count(p, n, ';') + 1;
	if (ps->results_cap > AUTHRES_MAX_RESULTS)
		ps->results_cap = AUTHRES_MAX_RESULTS;
	ps->props_cap = count(p, n, '=');
	if (ps->props_cap > (size_t)AUTHRES_MAX_RESULTS * AUTHRES_MAX_PROPS)
		ps->props_cap = (size_t)AUTHRES_MAX_RESULTS * AUTHRES_MAX_PROPS;
	ar->results = calloc(ps->results_cap, sizeof *ar->results);
	ar->prop_pool = ps->props_cap ? calloc(ps->props_cap, sizeof *ar->prop_pool) : NULL;
	if (!ar->results || (ps->props_cap && !ar->prop_pool)) {
		hdrlex_fini(&ps->lx);
		free(ps);
		authres_free(ar);
		return AUTHRES_NOMEM;
	}

	struct hdrlex_text htext = {ps->head_buf, 0, AUTHRES_MAX_COMMENT, 0};
	struct hdrlex *lx = &ps->lx;
	if (head(ps, &htext) < 0)
		resinfo(ps, &htext);
	int c;
	while ((c = hdrlex_peek(lx)) >= 0) {
		if (c != ';') {
			hdrlex_fail(lx, lx->off, "expected ';'");
			break;
		}
		lx->off++;
		resinfo(ps, &htext);
	}
	ar->comment = keep_text(ps, &htext);
	if (!lx->err && n < len) {
		hdrlex_fail(lx, n, "field longer than AUTHRES_MAX_INPUT");
		if (ar->nresults && !ar->dropped_results)
			ar->results[ar->nresults - 1].partial = 1; /* it may go on */
	}
	ar->err = lx->err;
	ar->err_off = lx->err_off;
	ar->store = hdrlex_take(lx);
	if (!ar->nresults) {
		free(ar->results);
		ar->results = NULL;
	}
	free(ps);
	return ar->err ? AUTHRES_BROKEN : AUTHRES_OK;
}

void authres_free(struct authres *ar)
{
	if (!ar)
		return;
	free(ar->store);
	free(ar->results);
	free(ar->prop_pool);
	memset(ar, 0, sizeof *ar);
}

int authres_result_code(const struct authres_result *r)
{
	return r && r->result ? v_result_parse(r->result, strlen(r->result)) : -1;
}

const struct authres_prop *authres_prop(const struct authres_result *r, const char *name)
{
	if (!r || !name)
		return NULL;
	const char *dot = strchr(name, '.');
	size_t tn = dot ? (size_t)(dot - name) : 0;
	const char *prop = dot ? dot + 1 : name;
	for (size_t i = 0; i < r->nprops; i++) {
		const struct authres_prop *p = &r->props[i];
		if (strlen(p->ptype) == tn && !strncasecmp(p->ptype, name, tn) &&
		    !strcasecmp(p->property, prop))
			return p;
	}
	return NULL;
}

const char *authres_prop_value(const struct authres_result *r, const char *name)
{
	const struct authres_prop *p = authres_prop(r, name);
	return p ? p->value : NULL;
}

const struct authres_result *authres_next(const struct authres *ar, const char *method, size_t *i)
{
	while (ar && *i < ar->nresults) {
		const struct authres_result *r = &ar->results[(*i)++];
		if (!method || !strcasecmp(r->method, method))
			return r;
	}
	return NULL;
}
