/* test_lineproto.c - the line engine: lines with their ends, cut lines,
 * counted octets, and above all dot-terminated data (RFC 5321 4.1.1.4,
 * 4.5.2), whose fast scanner is checked against a byte-at-a-time reading of
 * the same rules on random inputs cut at random places.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lineproto.h"

/* What the engine handed out. */
static uint8_t got[8192];
static size_t ngot;
static int ended;
static size_t end_off;
static const struct lineproto *cur; /* the engine being run */
static uint64_t at_end[3];          /* its counts when the end marker came */
static char lines[4096];

static void item(void *ctx, const struct lp_item *it)
{
	(void)ctx;
	if (it->kind == LP_ITEM_DATA) {
		if (it->len) /* an end marker may carry no bytes, and no pointer */
			memcpy(got + ngot, it->p, it->len);
		ngot += it->len;
		if (it->last) {
			ended = 1;
			end_off = it->off;
			/* After the end come command lines, counted by the same engine;
			 * the reference stops at the end marker. */
			at_end[0] = cur->bare_lf;
			at_end[1] = cur->nul;
			at_end[2] = cur->smuggling;
		}
	} else if (it->kind == LP_ITEM_LINE) {
		size_t n = strlen(lines);
		snprintf(lines + n, sizeof lines - n, "[%.*s|%s%s]", (int)it->len,
		         (const char *)it->p,
		         it->eol == LP_EOL_CRLF ? "crlf"
		         : it->eol == LP_EOL_LF ? "lf"
		                                : "none",
		         it->cut == LP_CUT_HELD ? "|held"
		         : it->cut              ? "|cut"
		                                : "");
	}
}

/* The reference: every byte in turn, the rules written out plainly. */
struct ref {
	uint8_t data[8192];
	size_t len;
	int ended;
	size_t end; /* bytes consumed up to and including the end marker */
	size_t bare_lf, nul, smuggling;
};

static void reference(const uint8_t *p, size_t n, struct ref *r)
{
	memset(r, 0, sizeof *r);
	int bol = 1; /* the message starts a line; after that only CRLF starts one */
	for (size_t k = 0; k < n; k++) {
		uint8_t c = p[k], prev = k ? p[k - 1] : 0;
		if (c == 0)
			r->nul++;
		/* a "." between line ends other than CRLF "." CR */
		if (c == '.' && (prev == '\r' || prev == '\n') && k + 1 < n &&
		    (p[k + 1] == '\r' || p[k + 1] == '\n') &&
		    !(prev == '\n' && k >= 2 && p[k - 2] == '\r' && p[k + 1] == '\r'))
			r->smuggling++;
		if (bol && c == '.') {
			if (k + 1 < n && p[k + 1] == '\r') {
				if (k + 2 == n)
					return; /* ".\r" at the end of the input: not decided yet */
				if (p[k + 2] == '\n') {
					r->ended = 1; /* ".\r\n" at the start of a line */
					r->end = k + 3;
					return;
				}
			}
			bol = 0; /* stuffing: the dot goes */
			continue;
		}
		r->data[r->len++] = c;
		bol = c == '\n' && prev == '\r';
	}
}

static void run(const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts, struct lineproto *lp)
{
	ngot = 0;
	ended = 0;
	cur = lp;
	lineproto_init(lp, 1024);
	lineproto_set(lp, LP_DOTDATA, 0);
	size_t pos = 0;
	for (size_t c = 0; c <= ncuts && !ended; c++) {
		size_t e = c < ncuts ? cuts[c] : n;
		if (e <= pos)
			continue;
		struct ss_pos at = {1, 0, pos, 0, 0, 0};
		size_t used = lineproto_feed(lp, p + pos, e - pos, &at, item, NULL);
		(void)used;
		pos = e;
	}
}

static void random_cases(void)
{
	static const uint8_t alphabet[] = {'\r', '\n', '.', 'a', 0, '\r', '\n', '.'};
	unsigned seed = 12345;
	for (int t = 0; t < 200000; t++) {
		uint8_t p[64];
		size_t n = (size_t)(rand_r(&seed) % 40);
		for (size_t i = 0; i < n; i++)
			p[i] = alphabet[rand_r(&seed) % sizeof alphabet];
		size_t cuts[4], ncuts = (size_t)(rand_r(&seed) % 4);
		for (size_t i = 0; i < ncuts; i++)
			cuts[i] = n ? (size_t)(rand_r(&seed) % (n + 1)) : 0;
		for (size_t i = 1; i < ncuts; i++) /* sorted */
			for (size_t j = i; j > 0 && cuts[j] < cuts[j - 1]; j--) {
				size_t x = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = x;
			}
		struct ref r;
		reference(p, n, &r);
		struct lineproto lp;
		run(p, n, cuts, ncuts, &lp);
		/* Without the end marker the engine holds a pending dot (and CR)
		 * the reference has dropped or not yet seen: compare what both
		 * handed out up to the end of the input. */
		/* Bare LFs inside a message are the message parser's to count. */
		uint64_t lf = ended ? at_end[0] : lp.bare_lf, nul = ended ? at_end[1] : lp.nul,
		         smug = ended ? at_end[2] : lp.smuggling;
		int same = ended == r.ended && ngot == r.len && !memcmp(got, r.data, ngot) &&
		           (!ended || end_off == r.end) && lf == r.bare_lf && nul == r.nul &&
		           smug == r.smuggling;
		checks++;
		if (!same) {
			failures++;
			printf("FAIL random case %d:", t);
			for (size_t i = 0; i < n; i++)
				printf(" %02x", p[i]);
			printf("\n  cuts:");
			for (size_t i = 0; i < ncuts; i++)
				printf(" %zu", cuts[i]);
			printf(
			    "\n  engine: %zu bytes ended=%d end=%zu lf=%llu nul=%llu smug=%llu\n",
			    ngot, ended, end_off, (unsigned long long)lf, (unsigned long long)nul,
			    (unsigned long long)smug);
			printf("  reference: %zu bytes ended=%d end=%zu lf=%zu nul=%zu smug=%zu\n",
			       r.len, r.ended, r.end, r.bare_lf, r.nul, r.smuggling);
			lineproto_free(&lp);
			return;
		}
		lineproto_free(&lp);
	}
}

static void lines_and_octets(void)
{
	struct lineproto lp;
	lineproto_init(&lp, 8);
	lines[0] = 0;
	const char in[] = "HELO a\r\nbare\nlonger than eight\r\nBDAT 3\r\nxyzQUIT";
	struct ss_pos at = {1, 0, 0, 0, 0, 0};
	/* fed in two pieces to cross a segment inside a line */
	lineproto_feed(&lp, (const uint8_t *)in, 11, &at, item, NULL);
	at.off = 11;
	size_t k = strchr(in, 'x') - in;
	lineproto_feed(&lp, (const uint8_t *)in + 11, k - 11, &at, item, NULL);
	lineproto_set(&lp, LP_OCTETS, 3);
	ngot = 0;
	at.off = k;
	lineproto_feed(&lp, (const uint8_t *)in + k, sizeof in - 1 - k, &at, item, NULL);
	lineproto_flush(&lp, item, NULL);
	CHECK(!strcmp(lines, "[HELO a|crlf][bare|lf][longer t|none|cut][BDAT 3|crlf][QUIT|none]"));
	CHECK(lp.bare_lf == 1 && lp.cut_lines == 1);
	lineproto_free(&lp);
}

/* Two engines share --max-held-mem (util/memacct.h): the one that finds
 * no room cuts its line where it stands, says why, and skips the rest of
 * it; lines that need no storage still come whole; every byte counted is
 * given back. */
static void held_full(void)
{
	struct lineproto a, b;
	uint64_t cap = ss_held.cap;
	ss_held.cap = 512;
	lineproto_init(&a, 4096);
	lineproto_init(&b, 4096);
	lines[0] = 0;
	uint8_t big[300];
	memset(big, 'A', sizeof big);
	struct ss_pos at = {1, 0, 0, 0, 0, 0};
	lineproto_feed(&a, big, sizeof big, &at, item, NULL); /* held: 512 of 512 */
	CHECK(memacct_held(&ss_held) == 512);
	lineproto_feed(&b, (const uint8_t *)"BBBB", 4, &at, item, NULL);
	at.off = 4;
	lineproto_feed(&b, (const uint8_t *)"bb\r\nnext\r\n", 10, &at, item, NULL);
	CHECK(!strcmp(lines, "[BBBB|none|held][next|crlf]"));
	lines[0] = 0;
	at.off = sizeof big;
	lineproto_feed(&a, (const uint8_t *)"\r\n", 2, &at, item, NULL);
	CHECK(strlen(lines) == 300 + 7 && !strncmp(lines, "[AAAA", 5)); /* "[" 300 "|crlf]" */
	CHECK(a.cut_lines == 0 && b.cut_lines == 1);
	lineproto_free(&a);
	lineproto_free(&b);
	CHECK(memacct_held(&ss_held) == 0);
	ss_held.cap = cap;
}

int main(void)
{
	lines_and_octets();
	held_full();
	random_cases();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
