/* test_order.c - the queue that puts finished lines back in time order
 * (report/order.c), against the order its contract promises: every line
 * written once, whole, and lines that came within the window out in
 * (time, arrival) order; late lines, a full queue, a flush and lines far
 * longer than a chunk still keep every byte; time 0 and the last capture
 * time are times like any other.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "order.h"
#include "sstime.h"

#define MS 1000000LL

struct line {
	int64_t ts;
	uint64_t seq;
};

static uint32_t seed = 7;
static uint32_t rnd(uint32_t n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

/* Reads back "ts seq\n" lines; returns how many. */
static size_t parse(char *text, struct line *out, size_t max)
{
	size_t n = 0;
	for (char *s = strtok(text, "\n"); s && n < max; s = strtok(NULL, "\n")) {
		long long ts;
		unsigned long long seq;
		if (sscanf(s, "%lld %llu", &ts, &seq) == 2)
			out[n++] = (struct line){ts, seq};
	}
	return n;
}

static int before(const struct line *a, const struct line *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Lines that end up to delay after they began, as commands whose replies
 * come later, from many flows at once: out sorted, each once. */
static void test_in_window(size_t max, int flush_midway)
{
	enum { N = 20000 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int64_t window = 2000 * MS;
	struct order *o = order_new(out, window, max);
	int64_t now = 1700000000LL * 1000 * MS;
	for (uint64_t i = 0; i < N; i++) {
		now += rnd(3) * MS + rnd(1000);
		int64_t ts = now - (int64_t)rnd(1500) * MS; /* within the window */
		if (rnd(4) == 0)
			order_advance(o, now);
		FILE *f = order_begin(o, ts);
		fprintf(f, "%" PRId64 " %" PRIu64 "\n", ts, i);
		order_end(o);
		if (flush_midway && i == N / 2)
			order_flush(o);
	}
	order_free(o);
	fclose(out);
	static struct line got[N + 1];
	size_t n = parse(text, got, N + 1);
	CHECK(n == N);
	static unsigned char seen[N];
	memset(seen, 0, sizeof seen);
	size_t twice = 0, unsorted = 0;
	for (size_t i = 0; i < n; i++) {
		if (got[i].seq < N)
			twice += seen[got[i].seq]++ != 0;
		if (i && !before(&got[i - 1], &got[i]))
			unsorted++;
	}
	CHECK(twice == 0);
	/* A flush writes all that waits: the lines before it sorted, then
	 * those after it. A queue held to max lines lets the oldest out early,
	 * so lines that come later may be older (here: the cap is kept). */
	if (max < N)
		CHECK(unsorted > 0);
	else
		CHECK(unsorted <= (size_t)flush_midway);
	free(text);
}

/* A line older than what has gone out goes out at once; one as long as
 * several chunks, and one with no bytes, change nothing around them. */
static void test_late_and_long(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct order *o = order_new(out, 1000 * MS, 1000);
	int64_t t0 = 5000 * MS;
	fprintf(order_begin(o, t0), "a\n");
	order_end(o);
	order_advance(o, t0 + 3000 * MS); /* "a" is out */
	fflush(out);
	CHECK(len == 2 && !memcmp(text, "a\n", 2));
	fprintf(order_begin(o, t0 + 100 * MS), "late\n"); /* older than the window */
	order_end(o);
	fflush(out);
	CHECK(len == 7 && !memcmp(text + 2, "late\n", 5));
	order_begin(o, t0 + 2500 * MS); /* nothing written */
	order_end(o);
	size_t big = (5u << 20) + 123;
	char *blob = malloc(big);
	for (size_t i = 0; i < big; i++)
		blob[i] = (char)('a' + i % 26);
	blob[big - 1] = '\n';
	FILE *f = order_begin(o, t0 + 2900 * MS);
	fwrite(blob, 1, big / 2, f);
	fwrite(blob + big / 2, 1, big - big / 2, f);
	order_end(o);
	fprintf(order_begin(o, t0 + 2800 * MS), "b\n");
	order_end(o);
	order_free(o);
	fclose(out);
	CHECK(len == 7 + 2 + big);
	CHECK(len == 7 + 2 + big && !memcmp(text + 7, "b\n", 2) && !memcmp(text + 9, blob, big));
	free(blob);
	free(text);
}

/* Lines of one bucket in reverse order, as many as insertion sort may not
 * take on (it gives way to qsort): still out sorted, each once. */
static void test_reversed_bucket(void)
{
	enum { N = 3000 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct order *o = order_new(out, 2000 * MS, 1000000);
	int64_t t0 = 1700000000LL * 1000 * MS;
	for (uint64_t i = 0; i < N; i++) {
		int64_t ts = t0 + (int64_t)(N - i); /* a nanosecond apart: one bucket */
		fprintf(order_begin(o, ts), "%" PRId64 " %" PRIu64 "\n", ts, i);
		order_end(o);
	}
	order_free(o);
	fclose(out);
	static struct line got[N + 1];
	size_t n = parse(text, got, N + 1);
	CHECK(n == N);
	size_t unsorted = 0;
	for (size_t i = 1; i < n; i++)
		unsorted += !before(&got[i - 1], &got[i]);
	CHECK(unsorted == 0);
	CHECK(n && got[0].seq == N - 1 && got[n - 1].seq == 0);
	free(text);
}

/* Lines of a capture stamped 0 (1970-01-01T00:00:00Z), and of one at the
 * end of what capture time holds (2262): in (time, arrival) order like any
 * others, 0 not first for being 0, nothing overflowing near the end. */
static void test_ends(void)
{
	static const struct {
		int64_t base;
		int64_t at[7];
		uint64_t want[7]; /* the lines out, by arrival number */
	} runs[] = {
	    /* the first lines at 0, later ones, then 0 and 1 ms once they are
	     * older than the window: those go out at once, as late lines do */
	    {0, {0, 0, 1500 * MS, 700 * MS, 0, 2500 * MS, 1 * MS}, {0, 1, 4, 3, 6, 2, 5}},
	    /* up to the last capture time, with late lines */
	    {SS_TIME_MAX - 3000 * MS,
	     {2000 * MS, 3000 * MS, 0, 2999 * MS, 1000 * MS, 3000 * MS, 10},
	     {2, 4, 6, 0, 3, 1, 5}},
	};
	for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		struct order *o = order_new(out, 1000 * MS, 1000);
		for (uint64_t i = 0; i < 7; i++) {
			int64_t ts = runs[k].base + runs[k].at[i];
			fprintf(order_begin(o, ts), "%" PRId64 " %" PRIu64 "\n", ts, i);
			order_end(o);
		}
		order_free(o);
		fclose(out);
		struct line got[8];
		size_t n = parse(text, got, 8);
		CHECK(n == 7);
		int same = n == 7;
		for (size_t i = 0; i < n && i < 7; i++)
			same &= got[i].seq == runs[k].want[i] &&
			        got[i].ts == runs[k].base + runs[k].at[got[i].seq];
		CHECK(same);
		free(text);
	}
}

int main(void)
{
	test_in_window(1000000, 0);
	test_in_window(1000000, 1);
	test_in_window(500, 0);
	test_late_and_long();
	test_reversed_bucket();
	test_ends();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
