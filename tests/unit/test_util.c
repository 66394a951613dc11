/* test_util.c - the cursor, the capped buffer, the caps table, JSON strings,
 * the link-layer decoder and capture times, each against values worked out
 * by hand from their specifications (times also against the C library).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "caps.h"
#include "check.h"
#include "cur.h"
#include "fifo.h"
#include "json.h"
#include "link.h"
#include "memacct.h"
#include "ring.h"
#include "sstime.h"
#include "text.h"
#include "textscan.h"

static void test_cursor(void)
{
	const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct cur c = cur_make(b, sizeof b);
	CHECK(cur_be16(&c, "x") == 0x1234);
	CHECK(cur_left(&c) == 3);
	struct cur s = cur_sub(&c, 2, "sub");
	CHECK(cur_u8(&s, "a") == 0x56 && cur_u8(&s, "b") == 0x78);
	CHECK(cur_u8(&s, "past the sub-cursor") == 0 && s.err &&
	      !strcmp(s.err, "past the sub-cursor"));
	CHECK(c.err == NULL && cur_u8(&c, "x") == 0x9a);
	/* Reading past the end: 0, and the first error sticks. */
	CHECK(cur_be32(&c, "first") == 0 && !strcmp(c.err, "first"));
	CHECK(cur_be16(&c, "second") == 0 && !strcmp(c.err, "first"));
	CHECK(cur_left(&c) == 0 && cur_ptr(&c, 0, "z") == NULL);
	struct cur d = cur_make(b, sizeof b);
	struct cur big = cur_sub(&d, 9, "too big");
	CHECK(big.err && d.err && cur_left(&big) == 0);
	struct cur e = cur_make(b, 4);
	CHECK(cur_le32(&e, "le") == 0x78563412);
	CHECK(cur_peek(&e, 0) == -1);
}

static void test_buf(void)
{
	struct buf b;
	buf_init(&b, 8);
	CHECK(buf_add(&b, "abcde", 5) == 0);
	CHECK(buf_add(&b, "fghij", 5) == -1 && b.len == 5); /* over the cap: nothing added */
	CHECK(buf_add(&b, "fgh", 3) == 0 && b.len == 8 && !memcmp(b.p, "abcdefgh", 8));
	buf_consume(&b, 3);
	CHECK(b.len == 5 && !memcmp(b.p, "defgh", 5));
	buf_consume(&b, 99);
	CHECK(b.len == 0);
	buf_free(&b);
	CHECK(b.p == NULL && b.cap == 8);
}

static void test_caps(void)
{
	struct ss_caps c;
	ss_caps_defaults(&c);
	CHECK(c.max_flows == 262144 && c.max_pending == 1u << 20);
	CHECK(ss_caps_set(&c, "max-pending", "64K") == 0 && c.max_pending == 65536);
	CHECK(ss_caps_set(&c, "max_mem", "2G") == 0 && c.max_mem == 2ull << 30);
	CHECK(ss_caps_set(&c, "tcp-timeout", "30") == 0 && c.tcp_timeout == 30);
	CHECK(ss_caps_set(&c, "tcp-timeout", "30K") == -2); /* seconds take no suffix */
	/* times are int64 nanoseconds: no more than fit */
	CHECK(ss_caps_set(&c, "tcp-timeout", "9223372036") == 0);
	CHECK(ss_caps_set(&c, "tcp-timeout", "9223372037") == -2);
	CHECK(ss_caps_set(&c, "ack-wait", "9223372036855") == -2);
	CHECK(ss_caps_set(&c, "frag-timeout", "18446744073709551615") == -2);
	CHECK(ss_caps_set(&c, "max-pending", "-1") == -2);
	CHECK(ss_caps_set(&c, "max-pending", "12X") == -2);
	CHECK(ss_caps_set(&c, "max-pending", "99999999999999999999") == -2);
	CHECK(ss_caps_set(&c, "no-such-cap", "1") == -1);
	CHECK(ss_caps_set(&c, "max-pending", "") == -2 &&
	      ss_caps_set(&c, "max-pending", NULL) == -2);
	CHECK(ss_caps_set(&c, "max-pending", " 1") == -2 &&
	      ss_caps_set(&c, "max-pending", "+1") == -2);
	CHECK(ss_caps_set(&c, "max-pending", "16777215T") == -2);
	/* a size is at most 1024G (issue 16: every cap has a range) */
	CHECK(ss_caps_set(&c, "max-pending", "1024G") == 0 && c.max_pending == 1ull << 40);
	CHECK(ss_caps_set(&c, "max-pending", "1025G") == -2);
	CHECK(ss_caps_set(&c, "max-pending", "17179869184G") == -2); /* 2^64 */
	CHECK(ss_caps_set(&c, "max-flows", "10K") == -2);            /* a count takes no suffix */
	CHECK(ss_caps_set(&c, "ack-wait", "9223372036854") == 0 && c.ack_wait == 9223372036854);
}

/* What an error says a cap takes, after "not ". */
static void expects_is(const char *cap, const char *want, int line)
{
	char got[96] = "";
	const struct ss_cap_def *d = ss_cap_find(cap);
	if (d)
		ss_cap_expects(d, got, sizeof got);
	checks++;
	if (strcmp(got, want)) {
		fprintf(stderr, "line %d: %s takes \"%s\", want \"%s\"\n", line, cap, got, want);
		failures++;
	}
}

static void test_cap_words(void)
{
	CHECK(ss_cap_find("max-mem") == ss_cap_find("max_mem") && ss_cap_find("max-mem"));
	CHECK(ss_cap_find("max-me") == NULL && ss_cap_find("max-mem-") == NULL);
	CHECK(ss_cap_find("") == NULL);
	expects_is("max-mem", "a size (a number of bytes, with K, M or G) from 0 to 1024G",
	           __LINE__);
	expects_is("max-flows", "a count (a whole number) from 1 to 4294967295", __LINE__);
	expects_is("tcp-timeout", "a number of seconds (at most 9223372036)", __LINE__);
	expects_is("ack-wait", "a number of milliseconds (at most 9223372036854)", __LINE__);
	/* every cap has words */
	for (size_t i = 0; i < ss_cap_ndefs; i++) {
		char w[96] = "";
		ss_cap_expects(&ss_cap_defs[i], w, sizeof w);
		CHECK(w[0] == 'a');
	}
}

static void json_is(const char *in, size_t n, const char *want, int line)
{
	char out[256] = "";
	FILE *fp = fmemopen(out, sizeof out - 1, "w");
	json_str(fp, in, n);
	fclose(fp);
	checks++;
	if (strcmp(out, want)) {
		failures++;
		printf("FAIL line %d: json [%s], want [%s]\n", line, out, want);
	}
}

static void test_json(void)
{
	json_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"", __LINE__);
	json_is("l\r\n\t", 4, "\"l\\r\\n\\t\"", __LINE__);
	json_is("\x00\x01", 2, "\"\\u0000\\u0001\"", __LINE__);
	json_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", __LINE__); /* valid UTF-8 passes */
	json_is("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", __LINE__);
	json_is("\xff\xc3", 2, "\"\\u00ff\\u00c3\"", __LINE__);            /* not UTF-8: escaped */
	json_is("\xc0\xaf", 2, "\"\\u00c0\\u00af\"", __LINE__);            /* overlong */
	json_is("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"", __LINE__); /* a surrogate */
}

static void link_is(int dlt, const char *hex, enum link_net want, size_t off, int line)
{
	uint8_t b[128];
	size_t n = 0;
	unsigned v;
	while (hex[2 * n] && sscanf(hex + 2 * n, "%2x", &v) == 1)
		b[n++] = (uint8_t)v;
	struct cur c = cur_make(b, n);
	uint16_t type;
	enum link_net got = link_decode(dlt, &c, &type);
	checks++;
	if (got != want || (want <= LINK_IPV6 && c.off != off)) {
		failures++;
		printf("FAIL line %d: link %d at %zu, want %d at %zu\n", line, got, c.off, want,
		       off);
	}
}

static void test_link(void)
{
	/* Ethernet, 802.1Q, QinQ (88a8 then 8100), LLC/SNAP, MPLS, PPPoE. */
	link_is(1,
	        "0000000000010000000000020800"
	        "45",
	        LINK_IPV4, 14, __LINE__);
	link_is(1,
	        "000000000001000000000002810000640800"
	        "45",
	        LINK_IPV4, 18, __LINE__);
	link_is(1,
	        "00000000000100000000000288a8000a8100006486dd"
	        "60",
	        LINK_IPV6, 22, __LINE__);
	link_is(1,
	        "0000000000010000000000020030"
	        "aaaa030000000800"
	        "45",
	        LINK_IPV4, 22, __LINE__);
	link_is(1,
	        "0000000000010000000000020030"
	        "4242030000000000"
	        "45",
	        LINK_OTHER, 0, __LINE__);
	link_is(1,
	        "0000000000010000000000028847"
	        "00008fff"
	        "45",
	        LINK_IPV4, 18, __LINE__);
	link_is(1,
	        "0000000000010000000000028864"
	        "110000010020"
	        "0057"
	        "60",
	        LINK_IPV6, 22, __LINE__);
	link_is(1,
	        "0000000000010000000000020806"
	        "0001",
	        LINK_OTHER, 0, __LINE__);
	link_is(1, "00000000000100000000", LINK_SHORT, 0, __LINE__);
	link_is(1, "000000000001000000000002810000", LINK_SHORT, 0, __LINE__);
	/* Linux cooked v1 and v2, raw IP, loopback in both byte orders. */
	link_is(113,
	        "00000001000600000000000000000800"
	        "45",
	        LINK_IPV4, 16, __LINE__);
	link_is(276,
	        "86dd0000000000020001040600000000000000"
	        "00"
	        "60",
	        LINK_IPV6, 20, __LINE__);
	link_is(12, "45", LINK_IPV4, 0, __LINE__);
	link_is(12, "60", LINK_IPV6, 0, __LINE__);
	link_is(0,
	        "02000000"
	        "45",
	        LINK_IPV4, 4, __LINE__);
	link_is(0,
	        "0000001e"
	        "60",
	        LINK_IPV6, 4, __LINE__);
	link_is(108,
	        "00000018"
	        "60",
	        LINK_IPV6, 4, __LINE__);
	link_is(147, "45", LINK_UNKNOWN, 0, __LINE__);
}

/* The retransmission ring: whatever the pushes and however it grew, the
 * last min(window, total) bytes compare equal to the stream, and a changed
 * byte is found; a ring freed into a pool lends its storage to the next,
 * which then holds only its own bytes. */
static void ring_round(struct bufpool *pool, uint8_t salt)
{
	static uint8_t stream[50000];
	for (size_t i = 0; i < sizeof stream; i++)
		stream[i] = (uint8_t)(i * 131 + (i >> 7) + salt);
	struct ring g = {NULL, 16384, 0, 0};
	uint64_t next = 0;
	long mem = 0;
	size_t sizes[] = {1, 7, 300, 1000, 2, 5000, 17, 9000, 20000, 3};
	for (size_t k = 0; next < sizeof stream; k++) {
		size_t n = sizes[k % 10];
		if (next + n > sizeof stream)
			n = sizeof stream - next;
		long added = ring_push(&g, pool, next, stream + next, n);
		CHECK(added >= 0);
		mem += added;
		next += n;
		uint64_t held = next < 16384 ? next : 16384;
		int differs = 1;
		CHECK(g.len == held);
		CHECK(ring_cmp(&g, next, next - held, stream + next - held, held, &differs) ==
		          held &&
		      !differs);
	}
	CHECK(mem == 16384 && g.alloc == 16384);
	int differs;
	uint8_t copy[100];
	memcpy(copy, stream + 40000, 100);
	copy[57] ^= 1;
	CHECK(ring_cmp(&g, next, 40000, copy, 100, &differs) == 100 && differs);
	/* Bytes no longer held cannot be compared. */
	CHECK(ring_cmp(&g, next, 100, stream + 100, 100, &differs) == 0 && !differs);
	CHECK(ring_free(&g, pool) == 16384);
	struct ring off = {NULL, 0, 0, 0};
	CHECK(ring_push(&off, pool, 0, stream, 10) == 0 &&
	      ring_cmp(&off, 10, 0, stream, 10, &differs) == 0);
}

static void test_ring(void)
{
	ring_round(NULL, 0);
	struct bufpool pool;
	bufpool_init(&pool, 16384);
	ring_round(&pool, 1);
	CHECK(pool.n == 1 && pool.spare[0].size == 16384);
	uint8_t *lent = pool.spare[0].p;
	struct ring g = {NULL, 16384, 0, 0};
	uint8_t a[20000];
	memset(a, 'a', sizeof a);
	CHECK(ring_push(&g, &pool, 0, a, 1000) == 1024 && pool.n == 1); /* small: its own */
	CHECK(ring_push(&g, &pool, 1000, a, 19000) == 16384 - 1024 && pool.n == 0 && g.p == lent);
	ring_free(&g, &pool);
	ring_round(&pool, 2); /* the lent storage's old bytes never compare */
	CHECK(pool.n == 1);
	bufpool_free(&pool);
	CHECK(pool.n == 0);
}

/* The FIFO: oldest first across the wrap, growth keeping the order, and
 * never past the cap it is given. */
static void test_fifo(void)
{
	struct fifo q;
	fifo_init(&q, sizeof(int));
	int next = 0, want = 0;
	for (int round = 0; round < 40; round++) {
		/* push three, take two: the ring wraps and grows as it fills */
		for (int k = 0; k < 3; k++) {
			CHECK(fifo_make_room(&q, 16) == 0);
			if (q.len == q.cap) {
				fifo_pop(&q, NULL); /* full at the cap: the oldest goes */
				want++;
			}
			*(int *)fifo_push(&q) = next++;
		}
		for (int k = 0; k < 2 && q.len; k++) {
			int got = -1;
			fifo_pop(&q, &got);
			CHECK(got == want);
			want++;
		}
		CHECK(q.cap <= 16 && q.len <= q.cap);
		for (size_t i = 0; i < q.len; i++)
			CHECK(*(int *)fifo_at(&q, i) == want + (int)i);
	}
	CHECK(q.cap == 16 && q.len == 14); /* full at 16, then two taken */
	fifo_free(&q);
	CHECK(q.a == NULL && q.len == 0 && q.esz == sizeof(int));
}

/* The odd bytes one at a time, as the RFCs define the line ends, and the
 * longest line (its bytes before the LF, without a CR just before it; a
 * last line without LF counts whole). */
static void naive_scan(const uint8_t *p, size_t n, struct textscan *t, size_t *longest)
{
	memset(t, 0, sizeof *t);
	*longest = 0;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		t->nul += p[i] == 0;
		t->bare_lf += p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
		t->bare_cr += p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n');
		if (p[i] == '\n') {
			int cr = i > start && p[i - 1] == '\r';
			size_t len = i - start - (size_t)cr;
			if (len > *longest)
				*longest = len;
			start = i + 1;
		}
	}
	if (n - start > *longest)
		*longest = n - start;
}

static int same_counts(const struct textscan *a, const struct textscan *b)
{
	return a->bare_lf == b->bare_lf && a->bare_cr == b->bare_cr && a->nul == b->nul;
}

/* textscan against the byte loop: random texts at every alignment, and a
 * line one byte over the limit wherever it starts must be flagged, while
 * text of short lines is not (the flag is what spares the line loop). */
static void test_textscan(void)
{
	static uint8_t text[6000];
	const uint8_t alphabet[] = {'\r', '\n', 0, 'a', ' ', '.', 0xff};
	uint32_t seed = 12345;
	int mismatches = 0, unflagged = 0;
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(round * 7 % 2900), off = (size_t)round % 64;
		int spread = round % 3; /* 0: odd bytes everywhere; 1, 2: mostly text */
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t r = seed >> 16;
			text[off + i] = spread == 0 || r % (spread == 1 ? 8 : 400) == 0
			                    ? alphabet[r % sizeof alphabet]
			                    : (uint8_t)('a' + r % 26);
		}
		struct textscan got, want;
		size_t longest;
		textscan(text + off, n, 998, &got);
		naive_scan(text + off, n, &want, &longest);
		mismatches += !same_counts(&got, &want);
		unflagged += longest > 998 && !got.may_exceed;
	}
	CHECK(mismatches == 0);
	CHECK(unflagged == 0);
	/* 999 bytes (one over) between CR LFs, at every start in a block */
	int missed = 0;
	for (size_t at = 0; at < 520; at++) { /* two blocks of 256 */
		size_t n = at + 999 + 2 + 200;
		memset(text, 'x', n);
		for (size_t i = 0; i + 1 < at; i += 2)
			memcpy(text + i, "\r\n", 2);
		if (at >= 2)
			memcpy(text + at - 2, "\r\n", 2);
		memcpy(text + at + 999, "\r\n", 2);
		for (size_t i = at + 1001; i + 2 <= n; i += 10)
			memcpy(text + i + 8, "\r\n", 2);
		struct textscan got;
		textscan(text, n, 998, &got);
		missed += !got.may_exceed;
	}
	CHECK(missed == 0);
	/* lines of 76 bytes, as base64 is sent: counted, and no line measured */
	size_t n = 0;
	while (n + 78 <= sizeof text) {
		memset(text + n, 'Q', 76);
		memcpy(text + n + 76, "\r\n", 2);
		n += 78;
	}
	struct textscan got;
	textscan(text, n, 998, &got);
	CHECK(got.bare_lf == 0 && got.bare_cr == 0 && got.nul == 0);
	CHECK(!got.may_exceed);
	/* ... and each odd byte found, wherever it is */
	int lost = 0;
	for (size_t at = 0; at < n; at += 37) {
		const uint8_t odd[] = {'\n', '\r', 0};
		uint8_t keep = text[at];
		for (int k = 0; k < 3; k++) {
			if (keep == odd[k])
				continue; /* nothing changes there */
			text[at] = odd[k];
			struct textscan o, want;
			size_t longest;
			textscan(text, n, 998, &o);
			naive_scan(text, n, &want, &longest);
			lost += !same_counts(&o, &want) || o.bare_lf + o.bare_cr + o.nul == 0;
		}
		text[at] = keep;
	}
	CHECK(lost == 0);
	/* a line one byte over that ends near the end of the text, after the
	 * whole blocks: wherever it starts, and however little follows it */
	int missed_tail = 0;
	for (size_t at = 0; at < 260; at++) {
		for (size_t after = 0; after < 260; after++) {
			size_t m = at + 999 + 2 + after;
			memset(text, 'z', m); /* all CR LF lines: the quick path */
			if (at >= 2)
				memcpy(text + at - 2, "\r\n", 2);
			memcpy(text + at + 999, "\r\n", 2);
			if (after >= 2)
				memcpy(text + m - 2, "\r\n", 2);
			textscan(text, m, 998, &got);
			missed_tail += !got.may_exceed || got.bare_lf || got.bare_cr;
		}
	}
	CHECK(missed_tail == 0);
	textscan(text, 0, 998, &got);
	CHECK(got.bare_lf == 0 && got.nul == 0 && !got.may_exceed);
}

static int iso_is(int64_t ns, const char *want)
{
	char t[40];
	ss_time_iso(ns, t);
	if (strcmp(t, want))
		printf("  ss_time_iso(%lld) = %s, want %s\n", (long long)ns, t, want);
	return !strcmp(t, want);
}

/* Capture times: 0 is a time, 2038 and 2106 are no edge, a classic pcap's
 * seconds are 32 bits unsigned (libpcap hands them over signed), and what
 * no clock can show is held at an end of the range, never garbage. */
static void test_time(void)
{
	const int64_t s = SS_NS_PER_SEC;
	CHECK(iso_is(0, "1970-01-01T00:00:00.000000Z"));
	CHECK(iso_is(-1, "1969-12-31T23:59:59.999999Z"));
	CHECK(iso_is(INT64_C(2147483647) * s, "2038-01-19T03:14:07.000000Z"));
	CHECK(iso_is(INT64_C(2147483648) * s + 1000, "2038-01-19T03:14:08.000001Z"));
	CHECK(iso_is(INT64_C(4294967295) * s + 999999999, "2106-02-07T06:28:15.999999Z"));
	CHECK(iso_is(INT64_C(951782400) * s, "2000-02-29T00:00:00.000000Z")); /* a leap day */
	CHECK(iso_is(INT64_C(4107456000) * s, "2100-02-28T00:00:00.000000Z"));
	CHECK(iso_is(INT64_C(4107542400) * s, "2100-03-01T00:00:00.000000Z")); /* 2100: no leap */
	CHECK(iso_is(SS_TIME_MAX, "2262-04-11T23:47:15.999999Z"));
	CHECK(iso_is(INT64_MAX, "2262-04-11T23:47:16.854775Z"));
	CHECK(iso_is(INT64_MIN, "1677-09-21T00:12:43.145224Z"));
	/* against gmtime_r, over 2^33 s (to the year 2242), 4000 places */
	int differ = 0;
	for (int64_t sec = 0; sec < (INT64_C(1) << 33); sec += (INT64_C(1) << 33) / 4000 + 7) {
		time_t tt = (time_t)sec;
		struct tm tm;
		char want[80], got[40];
		gmtime_r(&tt, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000123Z",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec);
		differ += strcmp(ss_time_iso(sec * s + 123456, got), want) != 0;
	}
	CHECK(differ == 0);

	/* the timeline's clock, in UTC; the first second asked may be -1 */
	setenv("TZ", "UTC", 1);
	tzset();
	char c[32];
	CHECK(!strcmp(ss_time_clock(-s, c), "23:59:59.000000"));
	CHECK(!strcmp(ss_time_clock(0, c), "00:00:00.000000"));
	CHECK(!strcmp(ss_time_clock(INT64_C(2147483648) * s + 5000, c), "03:14:08.000005"));
	CHECK(!strcmp(ss_time_clock(INT64_C(4294967295) * s, c), "06:28:15.000000"));
	CHECK(!strcmp(ss_time_clock(SS_TIME_MAX, c), "23:47:15.999999"));

	/* a pcap's seconds as libpcap 1.10 hands them over: sign-extended */
	CHECK(ss_time_capture(INT32_MIN, 0, 1) == INT64_C(2147483648) * s);
	CHECK(ss_time_capture(-1, 999999999, 1) == INT64_C(4294967295) * s + 999999999);
	CHECK(ss_time_capture(INT64_C(4294967295), 7, 1) == INT64_C(4294967295) * s + 7);
	CHECK(ss_time_capture(0, 0, 1) == 0 && ss_time_capture(0, 0, 0) == 0);
	/* pcapng: whole; before 1970 (a negative if_tsoffset, or past 2^63 s
	 * wrapped by libpcap) held at 0, past 2262 at SS_TIME_MAX */
	CHECK(ss_time_capture(INT64_C(4294967296), 0, 0) == INT64_C(4294967296) * s);
	CHECK(ss_time_capture(-1, 0, 0) == 0);
	CHECK(ss_time_capture(INT64_MIN, -999999999, 0) == 0);
	CHECK(ss_time_capture(0, -5, 0) == 0);
	CHECK(ss_time_capture(SS_TIME_MAX_SEC, 999999999, 0) == SS_TIME_MAX);
	CHECK(ss_time_capture(SS_TIME_MAX_SEC + 1, 0, 0) == SS_TIME_MAX);
	CHECK(ss_time_capture(INT64_MAX, INT64_MAX, 0) == SS_TIME_MAX);
	CHECK(ss_time_make(INT64_MIN, 0) == -SS_TIME_MAX);
	/* a fraction out of range counts modulo a second */
	CHECK(ss_time_capture(10, 2 * s + 3, 0) == 10 * s + 3);
}

/* Addresses printed as inet_ntop prints them: every IPv4 byte value in
 * every position, and IPv6 through inet_ntop itself. */
static void test_addr(void)
{
	size_t bad = 0;
	for (unsigned v = 0; v < 256; v++) {
		for (int pos = 0; pos < 4; pos++) {
			struct ss_addr a = {SS_AF_INET, {0}};
			for (int i = 0; i < 4; i++)
				a.b[i] =
				    (uint8_t)(i == pos ? v : (v * 37 + (unsigned)i * 101) % 256);
			char got[SS_ADDR_STRLEN], want[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, a.b, want, sizeof want);
			bad += strcmp(ss_addr_fmt(&a, got), want) != 0;
		}
	}
	CHECK(bad == 0);
	struct ss_addr a6 = {SS_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
	char t[SS_ADDR_STRLEN];
	CHECK(!strcmp(ss_addr_fmt(&a6, t), "2001:db8::1"));
}

/* The output text: pieces in order, numbers in decimal, a format longer
 * than its first try, and appends past the cap dropped and told. */
static void test_text(void)
{
	struct text t;
	text_init(&t);
	text_str(&t, "message #");
	text_u64(&t, 0);
	text_char(&t, ' ');
	text_u64(&t, 18446744073709551615u);
	text_add(&t, " (", 2);
	text_printf(&t, "%d bytes)", 42);
	const char *want = "message #0 18446744073709551615 (42 bytes)";
	CHECK(t.b.len == strlen(want) && !memcmp(t.b.p, want, t.b.len) && !t.cut);
	text_reset(&t);
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	text_printf(&t, "<%s>", big);
	CHECK(t.b.len == sizeof big + 1 && t.b.p[0] == '<' && t.b.p[sizeof big] == '>' && !t.cut);
	text_free(&t);
	/* a small cap: what fits stays, the rest is dropped and marked */
	text_init(&t);
	t.b.cap = 8;
	text_str(&t, "12345");
	text_str(&t, "6789");
	text_str(&t, "0");
	CHECK(t.cut && t.b.len == 5 && !memcmp(t.b.p, "12345", 5));
	text_free(&t);
}

/* Storage counted in an account: growth past the account's cap is refused
 * with BUF_SHARED while the buffer's own cap still has room; a near-full
 * account gives exactly what is needed rather than the doubling; a fifo
 * refused more stays full where it is; everything comes back at the end. */
static void test_accounts(void)
{
	struct memacct a = {.cap = 1000};
	struct buf x, y;
	buf_init(&x, 4096);
	buf_init(&y, 4096);
	buf_count(&x, &a);
	buf_count(&y, &a);
	uint8_t bytes[700];
	memset(bytes, 'x', sizeof bytes);
	CHECK(buf_add(&x, bytes, 600) == 0 && x.size == 600 && memacct_held(&a) == 600);
	CHECK(buf_add(&y, bytes, 300) == 0 && y.size == 300 && memacct_held(&a) == 900);
	CHECK(buf_add(&y, bytes, 200) == BUF_SHARED && y.len == 300 && memacct_refused(&a) >= 1);
	CHECK(buf_add(&y, bytes, 100) == 0 && y.size == 400 && memacct_held(&a) == 1000);
	buf_reset(&x);
	buf_trim(&x, 512);
	CHECK(x.size == 0 && memacct_held(&a) == 400 && memacct_peak(&a) == 1000);
	struct fifo f;
	fifo_init(&f, 100);
	fifo_count(&f, &a);
	a.cap = 2000;
	/* it grows from one element, doubling */
	for (int i = 0; i < 8; i++) {
		CHECK(fifo_make_room(&f, 64) == 0 &&
		      f.cap == (i < 4 ? (i < 2 ? (size_t)i + 1 : 4) : 8));
		fifo_push(&f);
	}
	CHECK(f.cap == 8 && memacct_held(&a) == 1200);
	buf_free(&y);
	CHECK(memacct_held(&a) == 800);
	a.cap = 900;
	CHECK(fifo_make_room(&f, 64) == 0 && f.cap == 8); /* 1600 would pass 900 */
	/* emptied, it gives back all but the room it is told to keep */
	fifo_trim(&f, 1);
	CHECK(f.cap == 8 && memacct_held(&a) == 800); /* not empty: kept */
	while (f.len)
		fifo_pop(&f, NULL);
	fifo_trim(&f, 1);
	CHECK(f.cap == 1 && memacct_held(&a) == 100);
	fifo_free(&f);
	CHECK(memacct_held(&a) == 0);
	/* room for the first element counted nowhere: a full account does
	 * not take it, and refuses only what lies beyond */
	struct fifo h;
	fifo_init(&h, 100);
	fifo_count_above(&h, &a, 1);
	a.cap = 50;
	CHECK(fifo_make_room(&h, 64) == 0 && h.cap == 1 && memacct_held(&a) == 0);
	fifo_push(&h);
	CHECK(fifo_make_room(&h, 64) == 0 && h.cap == 1); /* 100 more would pass 50 */
	a.cap = 1000;
	CHECK(fifo_make_room(&h, 64) == 0 && h.cap == 2 && memacct_held(&a) == 100);
	fifo_pop(&h, NULL);
	fifo_trim(&h, 1);
	CHECK(h.cap == 1 && memacct_held(&a) == 0);
	fifo_free(&h);
	CHECK(memacct_held(&a) == 0 && h.free_slots == 1);
	a.cap = 500;
	struct fifo g;
	fifo_init(&g, 1000);
	fifo_count(&g, &a);
	CHECK(fifo_make_room(&g, 64) == -1 && g.cap == 0); /* no room at all */
}

int main(void)
{
	test_cursor();
	test_accounts();
	test_buf();
	test_caps();
	test_cap_words();
	test_json();
	test_link();
	test_ring();
	test_fifo();
	test_textscan();
	test_text();
	test_addr();
	test_time();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
