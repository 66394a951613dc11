/* test_spsc.c - records from one thread to another (util/spsc.c) against
 * what the producer put: every record once, in order, byte for byte and
 * of its length; records of no bytes and records larger than a block; a
 * flush of a block half full; the end; a consumer that quits early
 * while the producer waits for room; and records larger than a block,
 * of which at most two are out at once (the queue's memory is bounded by
 * its blocks and two such records, not by as many as it has blocks).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "spsc.h"

static size_t size_of(uint64_t i)
{
	if (i % 997 == 5)
		return 600000; /* larger than a block */
	if (i % 13 == 0)
		return 0;
	return (size_t)(i * 7919 % 1600);
}

static uint8_t byte_of(uint64_t i, size_t k)
{
	return (uint8_t)(i * 31 + k * 7);
}

struct run {
	struct spsc *q;
	uint64_t n, put; /* records to put, and put */
};

static void *produce(void *arg)
{
	struct run *r = arg;
	for (uint64_t i = 0; i < r->n; i++) {
		size_t n = size_of(i);
		uint8_t *p = spsc_put(r->q, n);
		if (!p)
			break;
		for (size_t k = 0; k < n; k++)
			p[k] = byte_of(i, k);
		r->put++;
		if (i % 5000 == 4999)
			spsc_flush(r->q); /* a block handed over before it is full */
	}
	spsc_close(r->q);
	return NULL;
}

static void test_all(uint64_t n)
{
	struct run r = {spsc_new(), n, 0};
	CHECK(r.q != NULL);
	if (!r.q)
		return;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, produce, &r) == 0);
	uint64_t i = 0, bad = 0;
	const uint8_t *p;
	size_t len;
	while ((p = spsc_get(r.q, &len))) {
		size_t want = size_of(i);
		int ok = len == want && ((uintptr_t)p & 7) == 0;
		for (size_t k = 0; ok && k < len; k++)
			ok = p[k] == byte_of(i, k);
		bad += !ok;
		i++;
	}
	CHECK(i == n);
	CHECK(bad == 0);
	CHECK(spsc_get(r.q, &len) == NULL); /* the end stays the end */
	pthread_join(th, NULL);
	spsc_free(r.q);
}

/* The consumer quits: the producer, waiting for room, is let go, and its
 * puts fail from then on. */
static void test_quit(void)
{
	struct run r = {spsc_new(), 10000000, 0};
	CHECK(r.q != NULL);
	if (!r.q)
		return;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, produce, &r) == 0);
	size_t len;
	uint64_t i = 0;
	while (i < 5000 && spsc_get(r.q, &len))
		i++;
	CHECK(i == 5000);
	spsc_quit(r.q);
	pthread_join(th, NULL);
	CHECK(r.put >= 5000 && r.put < 10000000);
	spsc_free(r.q);
	spsc_free(NULL);
}

#define BIG (3u << 20)

struct bigrun {
	struct spsc *q;
	int n;
	_Atomic int put;
};

static void *produce_big(void *arg)
{
	struct bigrun *b = arg;
	for (int i = 0; i < b->n; i++) {
		uint8_t *p = spsc_put(b->q, BIG);
		if (!p)
			break;
		memset(p, i + 1, BIG);
		b->put++;
	}
	spsc_close(b->q);
	return NULL;
}

static void test_big(void)
{
	struct bigrun b = {spsc_new(), 6, 0};
	CHECK(b.q != NULL);
	if (!b.q)
		return;
	CHECK(!spsc_would_wait(b.q, BIG)); /* nothing is out */
	CHECK(!spsc_ready(b.q));           /* nothing came */
	pthread_t th;
	CHECK(pthread_create(&th, NULL, produce_big, &b) == 0);
	/* the consumer takes nothing for a while: the producer stops at two */
	struct timespec ts = {0, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	CHECK(b.put == 2);
	CHECK(spsc_ready(b.q));
	const uint8_t *p;
	size_t len;
	int i = 0, ok = 1;
	while ((p = spsc_get(b.q, &len))) {
		ok &= len == BIG && p[0] == i + 1 && p[BIG - 1] == i + 1;
		i++;
	}
	CHECK(i == 6 && ok);
	pthread_join(th, NULL);
	spsc_free(b.q);
}

int main(void)
{
	test_big();
	test_all(0);
	test_all(1);
	test_all(30000);
	test_quit();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
