/* test_clock.c - report/clock.c: each form of tcpdump's -t family for one
 * known instant (2026-12-06 09:28:00.263752123 UTC, 18:28 in Tokyo), a line
 * with no time, the zone line, a time inside a line, deltas as lines are
 * shown, and the placeholders of -ttt and -ttttt filled in by
 * tclock_write() in the order the lines go out - through the order queue
 * (report/order.h) too, lines made out of time order.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "order.h"
#include "report.h"
#include "sstime.h"

#define T0 INT64_C(1796549280263752123)
#define SEC INT64_C(1000000000)

static int field_is(struct tclock *c, int has, int64_t ns, const char *want)
{
	char out[TCLOCK_MAX];
	size_t n = tclock_field(c, has, ns, out);
	if (n != strlen(want) || memcmp(out, want, n)) {
		printf("  got '%.*s', want '%s'\n", (int)n, out, want);
		return 0;
	}
	return 1;
}

static int mention_is(struct tclock *c, int64_t ns, const char *want)
{
	char out[TCLOCK_MAX];
	size_t n = tclock_mention(c, 1, ns, out);
	if (n != strlen(want) || strcmp(out, want)) {
		printf("  got '%s', want '%s'\n", out, want);
		return 0;
	}
	return 1;
}

static int zone_is(struct tclock *c, const char *want)
{
	char out[128];
	size_t n = tclock_zone_line(c, 1, T0, out, sizeof out);
	if (!want)
		return n == 0;
	if (n != strlen(want) || strcmp(out, want)) {
		printf("  got '%.*s', want '%s'\n", (int)n, n ? out : "", want);
		return 0;
	}
	return 1;
}

static void test_forms(void)
{
	struct tclock c;
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	tclock_init(&c, TIME_CLOCK, 1, 0);
	CHECK(field_is(&c, 1, T0, "09:28:00.263 "));
	CHECK(field_is(&c, 0, T0, "-            "));
	CHECK(zone_is(&c, "times are UTC\n"));
	char us[TCLOCK_MAX];
	tclock_field_us(&c, 1, T0, us);
	CHECK(!strcmp(us, "09:28:00.263752 "));
	tclock_init(&c, TIME_CLOCK, 0, 1);
	CHECK(field_is(&c, 1, T0, "18:28:00.263 "));
	CHECK(zone_is(&c, "times are local, JST (+09:00)\n"));
	CHECK(mention_is(&c, T0, "18:28:00.263"));
	tclock_init(&c, TIME_NONE, 0, 1);
	CHECK(field_is(&c, 1, T0, ""));
	CHECK(field_is(&c, 0, T0, ""));
	CHECK(zone_is(&c, NULL));
	CHECK(mention_is(&c, T0, "2026-12-06T18:28:00.263+09:00"));
	tclock_init(&c, TIME_EPOCH, 0, 1);
	CHECK(field_is(&c, 1, T0, "1796549280.263752 "));
	CHECK(field_is(&c, 0, T0, "-                 "));
	CHECK(field_is(&c, 1, 0, "0.000000 "));
	CHECK(zone_is(&c, NULL));
	CHECK(mention_is(&c, T0, "1796549280.263752"));
	tclock_init(&c, TIME_DATE, 0, 1);
	CHECK(field_is(&c, 1, T0, "2026-12-06 18:28:00.263 "));
	CHECK(field_is(&c, 0, T0, "-                       "));
	CHECK(zone_is(&c, "times are local, JST (+09:00)\n"));
	tclock_init(&c, TIME_DATE, 1, 1);
	CHECK(field_is(&c, 1, T0, "2026-12-06 09:28:00.263 "));
	CHECK(field_is(&c, 1, SS_TIME_MAX, "2262-04-11 23:47:15.999 "));
	CHECK(field_is(&c, 1, 0, "1970-01-01 00:00:00.000 "));
	tclock_init(&c, TIME_DELTA, 1, 0);
	CHECK(mention_is(&c, T0, "2026-12-06T09:28:00.263Z"));
	CHECK(zone_is(&c, NULL));
	/* a zone whose name is only its offset */
	setenv("TZ", "<-03>3", 1);
	tzset();
	tclock_init(&c, TIME_CLOCK, 0, 0);
	CHECK(zone_is(&c, "times are local (-03:00)\n"));
	setenv("TZ", "UTC", 1);
	tzset();
	tclock_init(&c, TIME_CLOCK, 0, 0);
	CHECK(zone_is(&c, "times are local, UTC (+00:00)\n"));
}

/* Made and shown in the same order (a live capture): the spans are
 * worked out as the fields are made. */
static void test_spans(void)
{
	struct tclock c;
	tclock_init(&c, TIME_DELTA, 1, 0);
	CHECK(!tclock_deferred(&c));
	CHECK(field_is(&c, 1, T0, "00:00:00.000000 "));
	CHECK(field_is(&c, 1, T0 + 123000, "00:00:00.000123 "));
	CHECK(field_is(&c, 0, T0, "-               ")); /* counts as no line */
	/* 1000999 ns apart, but -tt shows .263875 and .264876 */
	CHECK(field_is(&c, 1, T0 + 1123999, "00:00:00.001001 "));
	CHECK(field_is(&c, 1, T0, "-00:00:00.001124 "));
	CHECK(field_is(&c, 1, T0 + 100 * 3600 * SEC, "100:00:00.000000 "));
	tclock_init(&c, TIME_SINCE_FIRST, 1, 0);
	CHECK(field_is(&c, 1, T0 + SEC, "00:00:00.000000 "));
	CHECK(field_is(&c, 1, T0 + 2 * SEC, "00:00:01.000000 "));
	CHECK(field_is(&c, 1, T0 + 62 * SEC + 5000, "00:01:01.000005 "));
	CHECK(field_is(&c, 1, T0, "-00:00:01.000000 "));
	/* the clock of the timeline before it is set up: no separator */
	CHECK(field_is(tclock_timeline(), 1, T0, "09:28:00.263"));
	tclock_setup(TIME_EPOCH, 1, 1);
	CHECK(field_is(tclock_timeline(), 1, T0, "1796549280.263752 "));
}

/* Fields made in one order, written in another, split anywhere. */
static void test_deferred(void)
{
	struct tclock c;
	tclock_init(&c, TIME_DELTA, 1, 1);
	CHECK(tclock_deferred(&c));
	char a[TCLOCK_MAX], b[TCLOCK_MAX], d[TCLOCK_MAX];
	size_t na = tclock_field(&c, 1, T0 + 2 * SEC, a);
	size_t nb = tclock_field(&c, 1, T0, b);
	size_t nd = tclock_field(&c, 0, 0, d);
	CHECK(na == TCLOCK_MARK_LEN && a[0] == TCLOCK_MARK);
	char text[512];
	int n = snprintf(text, sizeof text,
	                 "%.*sline b\n    indented\n%.*sline a \001 mid-line\n%.*sno time\n"
	                 "\001not hex at all\n%.*sagain a\n",
	                 (int)nb, b, (int)na, a, (int)nd, d, (int)na, a);
	for (size_t step = 1; step <= 20; step += 3) {
		tclock_init(&c, TIME_DELTA, 1, 1);
		char *m = NULL;
		size_t mlen = 0;
		FILE *f = open_memstream(&m, &mlen);
		for (int i = 0; i < n; i += (int)step)
			tclock_write(text + i, (size_t)(n - i) < step ? (size_t)(n - i) : step, f,
			             &c);
		tclock_write(NULL, 0, f, &c);
		fclose(f);
		const char *want = "00:00:00.000000 line b\n    indented\n"
		                   "00:00:02.000000 line a \001 mid-line\n-               no time\n"
		                   "\001not hex at all\n00:00:00.000000 again a\n";
		if (!CHECK(m && !strcmp(m, want)))
			printf("  step %zu: got '%s'\n", step, m ? m : "");
		free(m);
	}
	/* a placeholder cut short by the end of the output goes out as it came */
	tclock_init(&c, TIME_SINCE_FIRST, 1, 1);
	char *m = NULL;
	size_t mlen = 0;
	FILE *f = open_memstream(&m, &mlen);
	tclock_write(a, 5, f, &c);
	tclock_write(NULL, 0, f, &c);
	fclose(f);
	CHECK(mlen == 5 && !memcmp(m, a, 5));
	free(m);
}

/* The order queue with tclock_write as its writer: lines made late (a
 * command's line made when its reply came) are shown in time order, and
 * their deltas follow that order. */
static void test_order(void)
{
	struct tclock c;
	tclock_init(&c, TIME_DELTA, 1, 1);
	char *m = NULL;
	size_t mlen = 0;
	FILE *out = open_memstream(&m, &mlen);
	struct order *o = order_new(out, 10 * SEC, 1000);
	order_set_writer(o, tclock_write, &c);
	static const int64_t ms[] = {500, 100, 300, 200, 900};
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		int64_t ts = T0 + ms[i] * 1000000;
		char fld[TCLOCK_MAX], line[128];
		size_t k = tclock_field(&c, 1, ts, fld);
		int n =
		    snprintf(line, sizeof line, "%.*sat %lld ms\n", (int)k, fld, (long long)ms[i]);
		if (i % 2)
			order_put(o, ts, line, (size_t)n);
		else
			fwrite(line, 1, (size_t)n, order_begin(o, ts)), order_end(o);
	}
	order_free(o);
	fclose(out);
	const char *want = "00:00:00.000000 at 100 ms\n00:00:00.100000 at 200 ms\n"
	                   "00:00:00.100000 at 300 ms\n00:00:00.200000 at 500 ms\n"
	                   "00:00:00.400000 at 900 ms\n";
	if (!CHECK(m && !strcmp(m, want)))
		printf("  got '%s'\n", m ? m : "");
	free(m);
}

int main(void)
{
	test_forms();
	test_spans();
	test_deferred();
	test_order();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
