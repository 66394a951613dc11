/* recvspf.c - RFC 7208 9.1 (Received-SPF), 2.6 (results); RFC 5322
 * 3.2.3 (dot-atom) for its values. See recvspf.h for the grammar and what
 * is read beyond it.
 */
#define _DEFAULT_SOURCE
#include "recvspf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdrlex.h"
#include "verdict.h"

static void repair(struct recvspf *rs, size_t off)
{
	if (!rs->repairs++)
		rs->repair_off = off;
}

/* dot-atom / quoted-string, or (repaired) any run of value bytes. NULL
 * only on an error. */
static const char *value(struct hdrlex *lx, struct recvspf *rs, char *buf, int *quoted)
{
	size_t start = lx->off;
	int cut = 0;
	const char *v;
	*quoted = 0;
	if (hdrlex_peek(lx) == '"') {
		struct hdrlex_text t = {buf, 0, RECVSPF_MAX_VALUE, 0};
		if (hdrlex_quoted(lx, &t))
			return NULL;
		*quoted = 1;
		cut = t.cut;
		v = hdrlex_keep(lx, t.p, t.len, RECVSPF_MAX_VALUE, 0, NULL);
	} else {
		size_t n = hdrlex_span(lx, hdrlex_is_value);
		if (!hdrlex_is_dot_atom(lx->p + start, n))
			repair(rs, start);
		v = hdrlex_keep(lx, lx->p + start, n, RECVSPF_MAX_VALUE, 0, &cut);
	}
	rs->cut_values += (size_t)cut;
	return v;
}

/* The key-value list, from the first key. */
static void pairs(struct hdrlex *lx, struct recvspf *rs, size_t cap, char *buf)
{
	struct recvspf_pair sink;
	int need_semi = 0; /* a pair was read and no ";" came after it yet */
	int c;
	while ((c = hdrlex_peek(lx)) >= 0) {
		if (c == ';') {
			if (!need_semi && rs->npairs + rs->dropped_pairs)
				repair(rs, lx->off); /* ";;" */
			lx->off++;
			need_semi = 0;
			hdrlex_cfws(lx, NULL);
			continue;
		}
		size_t kstart = lx->off;
		size_t kn = hdrlex_span(lx, hdrlex_is_keyword);
		if (!kn) {
			hdrlex_fail(lx, kstart, "expected a key");
			return;
		}
		if (need_semi)
			repair(rs, kstart); /* no ";" before this pair */
		hdrlex_cfws(lx, NULL);
		if (hdrlex_peek(lx) != '=') {
			hdrlex_fail(lx, lx->off, "expected '=' after the key");
			return;
		}
		lx->off++;
		hdrlex_cfws(lx, NULL); /* dot-atom and quoted-string start with [CFWS] */
		int quoted;
		const char *v = value(lx, rs, buf, &quoted);
		if (!v)
			return;
		struct recvspf_pair *pr = &sink;
		if (rs->npairs < cap)
			pr = &rs->pairs[rs->npairs++];
		else
			rs->dropped_pairs++;
		int cut = 0;
		pr->key = hdrlex_keep(lx, lx->p + kstart, kn, RECVSPF_MAX_VALUE, 1, &cut);
		rs->cut_values += (size_t)cut;
		pr->value = v;
		pr->quoted = quoted;
		pr->off = kstart;
		need_semi = 1;
		hdrlex_cfws(lx, NULL);
	}
}

enum recvspf_status recvspf_parse(struct recvspf *rs, const uint8_t *p, size_t len)
{
	memset(rs, 0, sizeof *rs);
	rs->result = "";
	size_t n = len > RECVSPF_MAX_INPUT ? RECVSPF_MAX_INPUT : len;
	struct hdrlex lx;
	if (hdrlex_init(&lx, p, n)) {
		hdrlex_fini(&lx);
		return RECVSPF_NOMEM;
	}
	char *buf = malloc(RECVSPF_MAX_VALUE + RECVSPF_MAX_COMMENT + 2);
	if (!buf) {
		hdrlex_fini(&lx);
		return RECVSPF_NOMEM;
	}
	/* Every pair has a "=": the array is sized once. */
	size_t cap = 0;
	for (size_t i = 0; i < n; i++)
		cap += p[i] == '=';
	if (cap > RECVSPF_MAX_PAIRS)
		cap = RECVSPF_MAX_PAIRS;
	if (cap && !(rs->pairs = calloc(cap, sizeof *rs->pairs))) {
		free(buf);
		hdrlex_fini(&lx);
		return RECVSPF_NOMEM;
	}

	hdrlex_cfws(&lx, NULL);
	size_t rstart = lx.off;
	size_t rn = hdrlex_span(&lx, hdrlex_is_keyword);
	int c = hdrlex_peek(&lx);
	if (!rn || c == '=') {
		/* "client-ip=..." with no result before it, or nothing at all */
		hdrlex_fail(&lx, rstart, "expected the result");
	} else {
		int cut = 0;
		rs->result = hdrlex_keep(&lx, lx.p + rstart, rn, RECVSPF_MAX_VALUE, 1, &cut);
		/* the comment: result FWS [comment FWS] */
		char *cbuf = buf + RECVSPF_MAX_VALUE + 1;
		struct hdrlex_text t = {cbuf, 0, RECVSPF_MAX_COMMENT, 0};
		hdrlex_cfws(&lx, &t);
		if (t.len)
			rs->comment = hdrlex_keep(&lx, t.p, t.len, RECVSPF_MAX_COMMENT, 0, NULL);
		rs->cut_values += (size_t)(cut + t.cut);
		pairs(&lx, rs, cap, buf);
	}
	if (!lx.err && n < len)
		hdrlex_fail(&lx, n, "field longer than RECVSPF_MAX_INPUT");
	rs->err = lx.err;
	rs->err_off = lx.err_off;
	rs->store = hdrlex_take(&lx);
	if (!rs->npairs) {
		free(rs->pairs);
		rs->pairs = NULL;
	}
	free(buf);
	return rs->err ? RECVSPF_BROKEN : RECVSPF_OK;
}

void recvspf_free(struct recvspf *rs)
{
	if (!rs)
		return;
	free(rs->store);
	free(rs->pairs);
	memset(rs, 0, sizeof *rs);
}

int recvspf_result_code(const struct recvspf *rs)
{
	return rs && rs->result ? v_result_parse(rs->result, strlen(rs->result)) : -1;
}

const char *recvspf_get(const struct recvspf *rs, const char *key)
{
	for (size_t i = 0; rs && key && i < rs->npairs; i++)
		if (!strcasecmp(rs->pairs[i].key, key))
			return rs->pairs[i].value;
	return NULL;
}
