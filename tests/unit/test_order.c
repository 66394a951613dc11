/* test_order.c - the queue that puts finished lines back in time order
 * (report/order.c), against the order its contract promises: every line
 * written once, whole, and lines that came within the window out in
 * (time, arrival) order; late lines, a full queue, a flush and lines far
 * longer than a chunk still keep every byte; time 0 and the last capture
 * time are times like any other. The byte cap (--max-order-mem): the bytes
 * held never pass it, every line still comes out once and whole, a line
 * larger than the cap comes after the older lines and before the newer
 * ones, and the lines let out early are said once (order_full).
 * order_release: told the oldest event still open, the queue lets out what
 * is older at once, still in time order, and holds a fraction of what the
 * window alone holds; a line older than what it was told is late, counted.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
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

/* --- the byte cap (--max-order-mem) --------------------------------------- */

/* What the order_full events said: how many, and the count in the last. */
struct told {
	int events;
	unsigned long long lines;
	struct order *o; /* when set, the event is written into the queue, as report.c does, */
	int64_t at;      /* at this time (report.c: the last item's, for an event of no frame) */
};

static void on_event(const struct ss_event *e, void *ctx)
{
	struct told *t = ctx;
	if (strcmp(e->layer, "report") || strcmp(e->what, "order_full"))
		return;
	t->events++;
	t->lines = strtoull(e->detail, NULL, 10);
	if (t->o) {
		fprintf(order_begin(t->o, t->at), "! %s %s: %s\n", e->layer, e->what, e->detail);
		order_end(t->o);
	}
}

/* Items of 8,000 bytes, far more in the window than 1 MB holds, as the
 * replies of many sessions at once: the bytes held never pass the cap,
 * every item comes out once and whole, the items let out early are said
 * once, and the count is the one the queue kept; with the default cap
 * (64 MB: all of them fit) the same items come out sorted, nothing said. */
static void test_byte_cap(size_t cap, int expect_early)
{
	enum { N = 3000, BODY = 8000 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct told t = {0};
	ss_event_sink(on_event, &t);
	struct order *o = order_new_capped(out, 10000 * MS, 200000, cap);
	int64_t now = 1700000000LL * 1000 * MS;
	size_t peak = 0;
	static char body[BODY];
	memset(body, 'x', sizeof body);
	for (uint64_t i = 0; i < N; i++) {
		now += rnd(2) * MS;
		int64_t ts = now - (int64_t)rnd(3000) * MS;
		FILE *f = order_begin(o, ts);
		fprintf(f, "%" PRId64 " %" PRIu64 " ", ts, i);
		fwrite(body, 1, sizeof body, f);
		fputc('\n', f);
		order_end(o);
		if (order_held(o) > peak)
			peak = order_held(o);
	}
	uint64_t early = order_early(o);
	order_flush(o);
	CHECK(peak <= cap);
	order_free(o);
	ss_event_sink(NULL, NULL);
	fclose(out);
	static struct line got[N + 1];
	/* every line whole: its number, a space, BODY x's */
	size_t whole = 0;
	for (char *s = text; s < text + len;) {
		char *nl = memchr(s, '\n', (size_t)(text + len - s));
		if (!nl)
			break;
		char *sp = memchr(s, ' ', (size_t)(nl - s));
		sp = sp ? memchr(sp + 1, ' ', (size_t)(nl - sp - 1)) : NULL;
		whole += sp && nl - sp - 1 == BODY && strspn(sp + 1, "x") == BODY;
		s = nl + 1;
	}
	CHECK(whole == N);
	size_t n = parse(text, got, N + 1);
	CHECK(n == N);
	static unsigned char seen[N];
	memset(seen, 0, sizeof seen);
	size_t twice = 0, unsorted = 0, below = 0;
	int64_t latest = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (got[i].seq < N)
			twice += seen[got[i].seq]++ != 0;
		if (i && !before(&got[i - 1], &got[i]))
			unsorted++;
		if (got[i].ts < latest)
			below++; /* shown after a later line: out of time order */
		else
			latest = got[i].ts;
	}
	CHECK(twice == 0);
	if (expect_early) {
		/* the event counts the lines out of time order in the output,
		 * not those let out early (most of which are not) */
		CHECK(early > 0 && unsorted > 0 && below > 0 && below < early);
		CHECK(t.events == 1 && t.lines == below);
	} else {
		CHECK(early == 0 && unsorted == 0 && t.events == 0);
	}
	free(text);
}

/* One item of 5 MB under a 1 MB cap, among small ones: the older items go
 * out before it, it goes out whole, the newer ones after it, each in time
 * order; the cap holds while it is written. The event is written into the
 * queue by the sink, as the timeline does, and comes out once (a second
 * flush, order_free's, says nothing more). */
static void test_item_over_cap(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	size_t cap = 1u << 20;
	struct order *o = order_new_capped(out, 10000 * MS, 1000, cap);
	int64_t t0 = 1700000000LL * 1000 * MS;
	struct told t = {.o = o, .at = t0 + 5000 * MS};
	ss_event_sink(on_event, &t);
	fprintf(order_begin(o, t0 + 20 * MS), "b\n");
	order_end(o);
	fprintf(order_begin(o, t0 + 5000 * MS), "d\n"); /* newer than the big one */
	order_end(o);
	fprintf(order_begin(o, t0), "a\n");
	order_end(o);
	size_t big = 5u << 20, peak = 0;
	FILE *f = order_begin(o, t0 + 1000 * MS);
	for (size_t i = 0; i < big / 1000; i++) {
		for (int k = 0; k < 999; k++)
			fputc('a' + (int)(i % 26), f);
		fputc('\n', f);
		if (order_held(o) > peak)
			peak = order_held(o);
	}
	order_end(o);
	fprintf(order_begin(o, t0 + 3000 * MS), "c\n");
	order_end(o);
	CHECK(peak <= cap);
	/* a, b, then the big one were out at once; they were let out early */
	fflush(out);
	CHECK(len == 4 + big / 1000 * 1000 && !memcmp(text, "a\nb\n", 4));
	CHECK(order_early(o) == 3); /* a, b and the big one */
	order_flush(o);
	ss_event_sink(NULL, NULL);
	order_free(o);
	fclose(out);
	const char *tail = text + 4 + big / 1000 * 1000;
	/* let out early, yet nothing came after them older: in time order */
	const char *want =
	    "c\nd\n! report order_full: 0 lines out of time order: 3 went out before "
	    "their time (the time-order queue reached --max-order-mem or 1000 lines) "
	    "and 0 came after newer ones had gone";
	CHECK(t.events == 1 && t.lines == 0);
	CHECK(strncmp(tail, want, strlen(want)) == 0);
	const char *first = strstr(tail, "order_full");
	CHECK(first && !strstr(first + 1, "order_full")); /* once */
	free(text);
}

/* Lines later than the whole window (a query never answered, shown at its
 * time when its flow times out a minute later): one that comes after newer
 * lines were shown is out of time order, and said (order_full); one that
 * comes late yet after everything shown so far is in order, and not said. */
static void test_beyond_window(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct told t = {0};
	ss_event_sink(on_event, &t);
	struct order *o = order_new(out, 1000 * MS, 1000);
	int64_t t0 = 5000 * MS;
	fprintf(order_begin(o, t0), "a\n");
	order_end(o);
	order_advance(o, t0 + 3000 * MS);                     /* "a" is out */
	fprintf(order_begin(o, t0 + 100 * MS), "in order\n"); /* late, after "a" still */
	order_end(o);
	order_flush(o);
	CHECK(t.events == 0);
	fprintf(order_begin(o, t0 + 2500 * MS), "b\n");
	order_end(o);
	order_advance(o, t0 + 5000 * MS);                 /* "b" is out */
	fprintf(order_begin(o, t0 + 200 * MS), "late\n"); /* older than "b" */
	order_end(o);
	order_flush(o);
	ss_event_sink(NULL, NULL);
	order_free(o);
	fclose(out);
	CHECK(len == strlen("a\nin order\nb\nlate\n") && !strcmp(text, "a\nin order\nb\nlate\n"));
	CHECK(t.events == 1 && t.lines == 1);
	free(text);
}

/* --max-order-mem=0: nothing waits, lines come out as they are made, each
 * counted; order_put's items too. */
static void test_cap_zero(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct told t = {0};
	ss_event_sink(on_event, &t);
	struct order *o = order_new_capped(out, 10000 * MS, 1000, 0);
	int64_t t0 = 1700000000LL * 1000 * MS;
	fprintf(order_begin(o, t0 + 2 * MS), "x\n");
	order_end(o);
	order_put(o, t0 + 1 * MS, "y\n", 2);
	fprintf(order_begin(o, t0), "z\n");
	order_end(o);
	fflush(out);
	CHECK(len == 6 && !memcmp(text, "x\ny\nz\n", 6));
	CHECK(order_held(o) == 0);
	order_free(o);
	ss_event_sink(NULL, NULL);
	fclose(out);
	CHECK(t.events == 1 && t.lines == 2); /* y and z, after x */
	free(text);
}

/* Events from many sessions at once, each a line stamped when it began
 * and written when it completed (mostly within 50 ms, some after 1.5 s):
 * with order_release told the oldest open event after each line, every
 * line still comes out in (time, arrival) order, and the queue holds a
 * fraction of what the 10 s window alone makes it hold (all 8 s of them). */
static size_t run_events(int release, char **text, size_t *len)
{
	enum { N = 8000 };
	static int64_t open_at[N], done_at[N];
	static int written[N];
	int64_t t0 = 1700000000LL * 1000 * MS;
	seed = 11;
	for (size_t i = 0; i < N; i++) {
		open_at[i] = t0 + (int64_t)i * MS + rnd(1000);
		done_at[i] = open_at[i] + (rnd(500) == 0 ? 300 * MS : (int64_t)rnd(50) * MS);
		written[i] = 0;
	}
	FILE *out = open_memstream(text, len);
	struct order *o = order_new(out, 10000 * MS, 1000000);
	size_t peak = 0;
	for (size_t k = 0; k < N; k++) {
		size_t next = N; /* the event that completes next */
		for (size_t i = 0; i < N; i++)
			if (!written[i] && (next == N || done_at[i] < done_at[next]))
				next = i;
		int64_t now = done_at[next];
		order_advance(o, now);
		/* a line of 1000 bytes: the 4 s of them fill chunks */
		fprintf(order_begin(o, open_at[next]), "%" PRId64 " %zu %*s\n", open_at[next], next,
		        960, "");
		order_end(o);
		written[next] = 1;
		int64_t low = now; /* events still to open begin at now or later */
		for (size_t i = 0; i < N; i++)
			if (!written[i] && open_at[i] <= now && open_at[i] < low)
				low = open_at[i];
		if (release)
			order_release(o, low);
		if (order_held(o) > peak)
			peak = order_held(o);
	}
	CHECK(order_early(o) == 0);
	order_free(o);
	fclose(out);
	return peak;
}

static void test_release(void)
{
	char *a = NULL, *b = NULL;
	size_t alen, blen;
	size_t peak_window = run_events(0, &a, &alen);
	size_t peak_release = run_events(1, &b, &blen);
	/* the same lines in the same order: open time, then arrival */
	CHECK(alen == blen && !memcmp(a, b, alen));
	static struct line got[8001];
	size_t n = parse(b, got, 8001);
	CHECK(n == 8000);
	int sorted = 1;
	for (size_t i = 1; i < n; i++)
		sorted &= !before(&got[i], &got[i - 1]);
	CHECK(sorted);
	/* all 8 MB of lines, in chunks of 1 MiB, against some 300 ms of them
	 * in the chunk being filled and the one before */
	CHECK(peak_window >= (size_t)8 << 20 && peak_release <= (size_t)3 << 20);
	free(a);
	free(b);

	/* a line older than low after all: straight out, after the later
	 * lines already out, counted */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct told t = {0};
	ss_event_sink(on_event, &t);
	struct order *o = order_new(out, 10000 * MS, 1000);
	int64_t t0 = 1700000000LL * 1000 * MS;
	order_advance(o, t0);
	order_put(o, t0 + 100 * MS, "a\n", 2);
	order_put(o, t0 + 200 * MS, "b\n", 2);
	order_advance(o, t0 + 500 * MS);
	order_release(o, t0 + 150 * MS); /* a goes, b waits */
	fflush(out);
	CHECK(len == 2 && !memcmp(text, "a\n", 2));
	order_put(o, t0 + 50 * MS, "c\n", 2); /* older than low: late */
	fflush(out);
	CHECK(len == 4 && !memcmp(text, "a\nc\n", 4));
	CHECK(order_early(o) == 1);
	order_flush(o);
	CHECK(len == 6 && !memcmp(text, "a\nc\nb\n", 6));
	order_free(o);
	ss_event_sink(NULL, NULL);
	fclose(out);
	CHECK(t.events == 1 && t.lines == 1); /* c, after a */
	free(text);
}

int main(void)
{
	test_in_window(1000000, 0);
	test_in_window(1000000, 1);
	test_in_window(500, 0);
	test_late_and_long();
	test_reversed_bucket();
	test_ends();
	test_byte_cap(1u << 20, 1);
	test_byte_cap(ORDER_MAX_MEM, 0);
	test_item_over_cap();
	test_cap_zero();
	test_release();
	test_beyond_window();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
