/* fuzz_recvspf.c - the Received-SPF parser (verify/recvspf.h) under a
 * fuzzer: the input is one field value.
 *
 * As fuzz_authres.c: the input sits in a buffer of exactly its size and
 * is freed before the result is looked at; every promise of recvspf.h
 * (caps, offsets inside the input, one-line strings, lookups, a prefix
 * that agrees with the whole) aborts when broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdrlex.h"
#include "recvspf.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text(const char *s, size_t cap)
{
	if (!s)
		abort();
	size_t n = strlen(s);
	if (n > cap || memchr(s, '\r', n) || memchr(s, '\n', n))
		abort();
}

static void keyword(const char *s)
{
	text(s, RECVSPF_MAX_VALUE);
	if (!*s)
		abort();
	for (; *s; s++)
		if (!hdrlex_is_keyword((unsigned char)*s) || (*s >= 'A' && *s <= 'Z'))
			abort();
}

static void check(const struct recvspf *rs, enum recvspf_status st, size_t size)
{
	if ((st == RECVSPF_BROKEN) != (rs->err != NULL) || (rs->err && rs->err_off > size) ||
	    (rs->repairs && rs->repair_off > size) || rs->npairs > RECVSPF_MAX_PAIRS ||
	    (rs->dropped_pairs && rs->npairs != RECVSPF_MAX_PAIRS) || (rs->npairs && !rs->pairs))
		abort();
	text(rs->result, RECVSPF_MAX_VALUE);
	if (rs->result[0])
		keyword(rs->result);
	else if (!rs->err || rs->npairs || rs->comment)
		abort(); /* no result only when the parse stopped before it */
	if (rs->comment)
		text(rs->comment, RECVSPF_MAX_COMMENT);
	int code = recvspf_result_code(rs);
	if (code < -1 || code >= V_UNKNOWN)
		abort();
	for (size_t i = 0; i < rs->npairs; i++) {
		const struct recvspf_pair *p = &rs->pairs[i];
		keyword(p->key);
		text(p->value, RECVSPF_MAX_VALUE);
		if (p->off >= size || (i && p->off <= rs->pairs[i - 1].off))
			abort();
		/* the lookup finds this pair or an earlier one with its key */
		const char *v = recvspf_get(rs, p->key);
		size_t k = 0;
		while (k < i && strcmp(rs->pairs[k].key, p->key))
			k++;
		if (v != rs->pairs[k].value)
			abort();
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
	struct recvspf rs;
	enum recvspf_status st = recvspf_parse(&rs, copy, size);
	free(copy);
	if (st == RECVSPF_NOMEM)
		return 0;
	check(&rs, st, size);

	size_t half = size / 2;
	copy = calloc(half ? half : 1, 1);
	if (copy) {
		if (half)
			memcpy(copy, data, half);
		struct recvspf h;
		enum recvspf_status hs = recvspf_parse(&h, copy, half);
		free(copy);
		if (hs != RECVSPF_NOMEM) {
			check(&h, hs, half);
			if (h.npairs > rs.npairs + (rs.err != NULL))
				abort();
			for (size_t i = 0; i + 1 < h.npairs && i < rs.npairs; i++)
				if (strcmp(h.pairs[i].key, rs.pairs[i].key) ||
				    strcmp(h.pairs[i].value, rs.pairs[i].value))
					abort();
		}
		recvspf_free(&h);
	}
	recvspf_free(&rs);
	return 0;
}
