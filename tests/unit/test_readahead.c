/* test_readahead.c - frames handed from the reading thread (capture/
 * readahead.c) against what the producer gave: every frame once, in order,
 * byte for byte, with its time and lengths; frames larger than a block;
 * the end and its reason; and a stop before the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "readahead.h"

/* A producer of n frames whose sizes and bytes follow from their number. */
struct gen {
	uint64_t n, made;
	int why;      /* the reason given at the end */
	uint8_t *buf; /* the frame being lent */
};

static uint32_t size_of(uint64_t i)
{
	if (i % 997 == 5)
		return 600000; /* larger than a block */
	if (i % 13 == 0)
		return 0;
	return (uint32_t)(i * 7919 % 1600);
}

static uint8_t byte_of(uint64_t i, uint32_t k)
{
	return (uint8_t)(i * 31 + k * 7);
}

static int next(void *ctx, struct ss_frame *f, int *why)
{
	struct gen *g = ctx;
	if (g->made == g->n) {
		*why = g->why;
		return 0;
	}
	uint64_t i = g->made++;
	uint32_t n = size_of(i);
	for (uint32_t k = 0; k < n; k++)
		g->buf[k] = byte_of(i, k);
	f->ts = (int64_t)i * 1000 + 7;
	f->caplen = n;
	f->wirelen = n + (uint32_t)(i % 3);
	f->data = g->buf;
	return 1;
}

static void test_all(uint64_t n, int why)
{
	struct gen g = {n, 0, why, malloc(600000)};
	struct readahead *ra = readahead_start(next, &g);
	CHECK(ra != NULL);
	if (!ra)
		return;
	struct ss_frame f;
	int got_why = -7;
	uint64_t i = 0, bad = 0;
	while (readahead_frame(ra, &f, &got_why)) {
		uint32_t sz = size_of(i);
		int ok = f.ts == (int64_t)i * 1000 + 7 && f.caplen == sz &&
		         f.wirelen == sz + (uint32_t)(i % 3);
		for (uint32_t k = 0; ok && k < sz; k++)
			ok = f.data[k] == byte_of(i, k);
		bad += !ok;
		i++;
	}
	CHECK(i == n);
	CHECK(bad == 0);
	CHECK(got_why == why);
	/* the end stays the end */
	CHECK(readahead_frame(ra, &f, &got_why) == 0 && got_why == why);
	readahead_stop(ra);
	free(g.buf);
}

/* The consumer stops early: the reader, maybe waiting for room, ends. */
static void test_stop_early(void)
{
	struct gen g = {1000000, 0, 0, malloc(600000)};
	struct readahead *ra = readahead_start(next, &g);
	CHECK(ra != NULL);
	if (!ra)
		return;
	struct ss_frame f;
	int why;
	uint64_t i = 0;
	while (i < 5000 && readahead_frame(ra, &f, &why))
		i++;
	CHECK(i == 5000);
	readahead_stop(ra);
	CHECK(g.made >= 5000 && g.made < 1000000);
	free(g.buf);
	readahead_stop(NULL);
}

int main(void)
{
	test_all(0, 3);
	test_all(1, 0);
	test_all(20000, 4);
	test_stop_early();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
