/* fuzz_authres.c - the Authentication-Results parser (verify/authres.h)
 * under a fuzzer: the input is one field value.
 *
 * The input is copied into a buffer of exactly its size, so ASan sees any
 * read past the end, and freed before the result is looked at, so ASan
 * sees any string that still points into it. Every promise of authres.h
 * (caps, offsets inside the input, strings free of line ends, lookups that
 * find what is there, a prefix that agrees with the whole) aborts when
 * broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "hdrlex.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A kept string: there, within its cap, one line. */
static void text(const char *s, size_t cap)
{
	if (!s)
		abort();
	size_t n = strlen(s);
	if (n > cap || memchr(s, '\r', n) || memchr(s, '\n', n))
		abort();
}

/* A keyword: non-empty (unless empty_ok), lower case, keyword bytes. */
static void keyword(const char *s, int empty_ok)
{
	text(s, AUTHRES_MAX_VALUE);
	if (!*s && !empty_ok)
		abort();
	for (; *s; s++)
		if (!hdrlex_is_keyword((unsigned char)*s) || (*s >= 'A' && *s <= 'Z'))
			abort();
}

static void digits(const char *s)
{
	text(s, AUTHRES_MAX_VALUE);
	if (!*s)
		abort();
	for (; *s; s++)
		if (!hdrlex_is_digit((unsigned char)*s))
			abort();
}

static void check(const struct authres *ar, enum authres_status st, size_t size)
{
	if ((st == AUTHRES_BROKEN) != (ar->err != NULL) || (ar->err && ar->err_off > size))
		abort();
	if ((ar->repairs && ar->repair_off > size) || ar->nresults > AUTHRES_MAX_RESULTS ||
	    (ar->dropped_results && ar->nresults != AUTHRES_MAX_RESULTS))
		abort();
	text(ar->authserv_id, AUTHRES_MAX_VALUE);
	if (ar->version)
		digits(ar->version);
	if (ar->comment)
		text(ar->comment, AUTHRES_MAX_COMMENT);
	size_t walked = 0, it = 0;
	while (authres_next(ar, NULL, &it))
		walked++;
	if (walked != ar->nresults)
		abort();
	for (size_t i = 0; i < ar->nresults; i++) {
		const struct authres_result *r = &ar->results[i];
		keyword(r->method, 0);
		keyword(r->result, 0);
		if (r->method_version)
			digits(r->method_version);
		if (r->reason)
			text(r->reason, AUTHRES_MAX_VALUE);
		if (r->comment)
			text(r->comment, AUTHRES_MAX_COMMENT);
		if (r->off >= size || r->nprops > AUTHRES_MAX_PROPS || (r->nprops && !r->props) ||
		    (r->dropped_props && r->nprops != AUTHRES_MAX_PROPS) ||
		    (r->partial && (!ar->err || i + 1 != ar->nresults)))
			abort();
		int code = authres_result_code(r);
		if (code < -1 || code >= V_UNKNOWN)
			abort();
		for (size_t j = 0; j < r->nprops; j++) {
			const struct authres_prop *p = &r->props[j];
			keyword(p->ptype, 1);
			keyword(p->property, 0);
			text(p->value, AUTHRES_MAX_VALUE);
			if (p->comment)
				text(p->comment, AUTHRES_MAX_COMMENT);
			if (p->off < r->off || p->off >= size)
				abort();
			/* the lookup finds this property or an earlier one of
			 * the same name */
			char name[2 * AUTHRES_MAX_VALUE + 2];
			size_t tl = strlen(p->ptype), pl = strlen(p->property);
			memcpy(name, p->ptype, tl);
			name[tl] = '.';
			memcpy(name + tl + 1, p->property, pl + 1);
			const struct authres_prop *q = authres_prop(r, tl ? name : p->property);
			if (!q || q > p || strcmp(q->ptype, p->ptype) ||
			    strcmp(q->property, p->property))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* zeroed: with size 0, gcc would take it for read unset */
	uint8_t *copy = calloc(size ? size : 1, 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	struct authres ar;
	enum authres_status st = authres_parse(&ar, copy, size);
	free(copy); /* nothing kept may point into the input */
	if (st == AUTHRES_NOMEM)
		return 0;
	check(&ar, st, size);

	/* Half of it: the results but the last are those of the whole (one
	 * more may be there when the whole stopped at an error in it). */
	size_t half = size / 2;
	copy = calloc(half ? half : 1, 1);
	if (copy) {
		if (half)
			memcpy(copy, data, half);
		struct authres h;
		enum authres_status hs = authres_parse(&h, copy, half);
		free(copy);
		if (hs != AUTHRES_NOMEM) {
			check(&h, hs, half);
			if (h.nresults > ar.nresults + (ar.err != NULL))
				abort();
			for (size_t i = 0; i + 1 < h.nresults && i < ar.nresults; i++)
				if (strcmp(h.results[i].method, ar.results[i].method) ||
				    strcmp(h.results[i].result, ar.results[i].result))
					abort();
		}
		authres_free(&h);
	}
	authres_free(&ar);
	return 0;
}
