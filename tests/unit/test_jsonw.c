/* test_jsonw.c - the JSON writers that put a record together in a text
 * (report/json.h) against the FILE writers they replace and against
 * independent truth: FIPS 180-2's SHA-256 test vectors, RFC 8259's escapes,
 * printf's decimal, and ss_time_iso's times. --json's output must stay byte
 * for byte what it was. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "sstime.h"
#include "text.h"

/* What a FILE writer wrote, through fmemopen: n bytes at *out (malloc'd). */
static char *file_str(const void *p, size_t n, size_t *len)
{
	char *out = NULL;
	FILE *fp = open_memstream(&out, len);
	json_str(fp, p, n);
	fclose(fp);
	return out;
}

static int text_is(const struct text *t, const char *want, size_t n)
{
	return !t->cut && t->b.len == n && (!n || !memcmp(t->b.p, want, n));
}

/* Random bytes, biased to the cases: quotes, controls, UTF-8 leads and
 * continuations, so that every branch of the escaper is taken. */
static void random_bytes(uint8_t *p, size_t n, unsigned *seed)
{
	static const uint8_t pick[] = {'"',  '\\', '\n', '\r', '\t', 0,    0x1f, 0x7f, 0x80, 0xbf,
	                               0xc2, 0xc0, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
	for (size_t i = 0; i < n; i++) {
		unsigned r = (unsigned)rand_r(seed);
		p[i] = r % 3 ? (uint8_t)(0x20 + r / 3 % 95) : pick[r / 3 % sizeof pick];
	}
}

static void test_str(void)
{
	struct text t;
	text_init(&t);
	/* RFC 8259 7: quote, backslash and controls escaped; \u00XX lower case */
	json_tcstr(&t, "a\"b\\c\r\n\t\x01");
	CHECK(text_is(&t, "\"a\\\"b\\\\c\\r\\n\\t\\u0001\"", 21));
	text_reset(&t);
	/* valid UTF-8 passes, an invalid byte is \u00XX, a surrogate too */
	json_tstr(&t, "\xc3\xa9\xff\xed\xa0\x80", 6);
	CHECK(text_is(&t, "\"\xc3\xa9\\u00ff\\u00ed\\u00a0\\u0080\"", 28));
	text_reset(&t);
	json_tcstr(&t, "");
	CHECK(text_is(&t, "\"\"", 2));
	/* the text form is the FILE form, byte for byte, over random input */
	unsigned seed = 18;
	uint8_t in[300];
	int same = 1;
	for (int k = 0; k < 20000; k++) {
		size_t n = (size_t)rand_r(&seed) % sizeof in;
		random_bytes(in, n, &seed);
		size_t len;
		char *f = file_str(in, n, &len);
		text_reset(&t);
		json_tstr(&t, in, n);
		if (!text_is(&t, f, len))
			same = 0;
		free(f);
	}
	CHECK(same);
	text_free(&t);
}

static void test_sha256(void)
{
	/* FIPS 180-2 appendix B.1 and B.2 */
	static const struct {
		const char *in, *hex;
	} v[] = {
	    {"abc", "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "\"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1\""},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t d[32];
		sha256_of((const uint8_t *)v[i].in, strlen(v[i].in), d);
		struct text t;
		text_init(&t);
		json_tsha256(&t, d);
		CHECK(text_is(&t, v[i].hex, 66));
		text_free(&t);
		char *out = NULL;
		size_t len;
		FILE *fp = open_memstream(&out, &len);
		json_sha256(fp, d);
		fclose(fp);
		CHECK(len == 66 && !memcmp(out, v[i].hex, 66));
		free(out);
	}
}

static void test_i64(void)
{
	static const int64_t v[] = {0, 1, -1, 9, 10, -10, 250, 99999, INT64_MAX, INT64_MIN};
	struct text t;
	text_init(&t);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char want[32];
		int n = snprintf(want, sizeof want, "%" PRId64, v[i]);
		text_reset(&t);
		json_ti64(&t, v[i]);
		CHECK(text_is(&t, want, (size_t)n));
	}
	text_free(&t);
}

/* json_ttime keeps the part up to the second from its last call: in
 * order, out of order, across seconds, days and years, before 1970. */
static void test_time(void)
{
	static const int64_t fixed[] = {0,
	                                1,
	                                999,
	                                1000,
	                                SS_NS_PER_SEC - 1,
	                                SS_NS_PER_SEC,
	                                -1,
	                                -1000,
	                                -SS_NS_PER_SEC,
	                                -SS_NS_PER_SEC - 1,
	                                INT64_C(1796588688968077000), /* 2026-12-06T20:04:48 */
	                                INT64_C(1796588688968077999),
	                                INT64_C(1796588689000000000),
	                                INT64_C(951782399999999999), /* 2000-02-28T23:59:59 */
	                                INT64_C(951782400000000000),
	                                INT64_MAX,
	                                INT64_MIN};
	struct text t;
	text_init(&t);
	int same = 1;
	unsigned seed = 7;
	int64_t ns = INT64_C(1796588688000000000);
	for (size_t k = 0; k < sizeof fixed / sizeof fixed[0] + 100000; k++) {
		if (k < sizeof fixed / sizeof fixed[0])
			ns = fixed[k];
		else /* mostly the same second, now and then another */
			ns += (int64_t)(rand_r(&seed) % 400000000) - 100000000;
		char want[40];
		ss_time_iso(ns, want);
		text_reset(&t);
		json_ttime(&t, ns);
		if (!text_is(&t, want, strlen(want))) {
			same = 0;
			printf("time %" PRId64 ": want %s\n", ns, want);
			break;
		}
	}
	CHECK(same);
	text_free(&t);
}

int main(void)
{
	test_str();
	test_sha256();
	test_i64();
	test_time();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
