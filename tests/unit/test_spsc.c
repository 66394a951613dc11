/* test_spsc.c - records from one thread to another (util/spsc.c) against
 * what the producer put: every record once, in order, byte for byte and
 * of its length; records of no bytes and records larger than a block; a
 * flush of a block half full; the end; and a consumer that quits early
 * while the producer waits for room.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	test_all(0);
	test_all(1);
	test_all(30000);
	test_quit();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
