/* test_fragmem.c - --max-frag-mem bounds what IP fragments take in memory,
 * not only their payload (issue 16, finding 2).
 *
 * An eight-byte fragment held as a piece took 64 bytes (its node and
 * malloc's header besides its payload), and only the 8 were counted: the
 * default 32M held some 230 MB of a flood of them. The truth here is what
 * glibc's malloc says it handed out (mallinfo2), and the cap itself.
 */
#define _DEFAULT_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "frag.h"
#include "sstime.h"

#include "heap.h"

static uint64_t nevicted_events;

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	if (!strcmp(e->what, "frag_evicted"))
		nevicted_events++;
}

static uint64_t frame;

/* Adds len bytes at off of IPv4 datagram id (MF set unless last). */
static int add(struct frag_store *s, uint32_t id, uint32_t off, uint32_t len, int last)
{
	static const uint8_t bytes[65536];
	struct frag_key k;
	memset(&k, 0, sizeof k);
	k.src.family = k.dst.family = SS_AF_INET;
	k.src.b[0] = 10, k.dst.b[0] = 11;
	k.id = id;
	k.proto = 17;
	frame++;
	struct ss_frame f = {frame, (int64_t)frame * 1000, 0, 0, NULL};
	struct frag_done d;
	memset(&d, 0, sizeof d);
	return frag_add(s, &k, off, bytes, len, !last, 17, &f, &d);
}

/* Each piece counts its own cost, also when one fragment fills several
 * holes (IPv4 keeps the bytes already held and adds what lies between). */
static void case_pieces(void)
{
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct frag_store *s = frag_new(&caps);
	CHECK(frag_piece_cost(8) >= 8 + 3 * sizeof(void *) + 8); /* payload, node, next, off/len */
	CHECK(add(s, 1, 0, 8, 0) == 0);
	CHECK(frag_stats(s)->mem == frag_dgram_cost() + frag_piece_cost(8));
	CHECK(add(s, 1, 16, 8, 0) == 0 && add(s, 1, 32, 8, 0) == 0);
	CHECK(frag_stats(s)->mem == frag_dgram_cost() + 3 * frag_piece_cost(8));
	/* [0, 48) over pieces at 0, 16, 32: three more pieces, of 8 bytes */
	CHECK(add(s, 1, 0, 48, 0) == 0);
	CHECK(frag_stats(s)->mem == frag_dgram_cost() + 6 * frag_piece_cost(8));
	/* the last fragment completes it: everything is given back */
	CHECK(add(s, 1, 48, 3, 1) == 1);
	CHECK(frag_stats(s)->mem == 0);
	CHECK(frag_stats(s)->mem_peak ==
	      frag_dgram_cost() + 6 * frag_piece_cost(8) + frag_piece_cost(3));
	/* a datagram that never completes gives back when its time runs out */
	CHECK(add(s, 2, 0, 8, 0) == 0);
	CHECK(frag_stats(s)->mem > 0);
	frag_expire(s, (int64_t)(caps.frag_timeout + 10) * SS_NS_PER_SEC);
	CHECK(frag_stats(s)->mem == 0);
	frag_free(s);
}

/* What is counted is what malloc() gave out: 8191 eight-byte fragments of
 * a datagram whose last never comes (the largest datagram, 65535 bytes). */
static void case_malloc(void)
{
#if GLIBC_MALLOC
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct frag_store *s = frag_new(&caps);
	size_t before = mallinfo2().uordblks;
	for (uint32_t u = 0; u < 8191; u++)
		CHECK(add(s, 3, u * 8, 8, 0) == 0 || !printf("  at %u\n", u));
	size_t used = mallinfo2().uordblks - before;
	uint64_t counted = frag_stats(s)->mem;
	printf("8191 pieces of 8 bytes: counted %llu, malloc gave out %zu (payload 65528)\n",
	       (unsigned long long)counted, used);
	/* within 10%; payload alone was an eighth of it */
	CHECK(counted * 10 >= used * 9 && counted * 10 <= used * 11);
	frag_free(s);
#endif
}

/* A flood of small pieces stays within the cap, counted and as malloc()
 * sees it: 200 datagrams of 1000 eight-byte fragments, none complete, with
 * a cap of 256K (each datagram takes some 64K, its payload 8K). */
static void case_flood(void)
{
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	caps.max_frag_mem = 256 << 10;
	struct frag_store *s = frag_new(&caps);
	nevicted_events = 0;
#if GLIBC_MALLOC
	size_t before = mallinfo2().uordblks, most = 0;
#endif
	uint64_t over = 0;
	for (uint32_t id = 0; id < 200; id++) {
		for (uint32_t u = 0; u < 1000; u++) {
			add(s, 100 + id, u * 8, 8, 0);
			over += frag_stats(s)->mem > caps.max_frag_mem;
		}
#if GLIBC_MALLOC
		size_t used = mallinfo2().uordblks - before;
		most = used > most ? used : most;
#endif
	}
	CHECK(over == 0);
	/* the peak counts the moment a piece is held before the oldest goes */
	CHECK(frag_stats(s)->mem_peak <= caps.max_frag_mem + frag_piece_cost(8));
	/* a datagram of 1000 pieces takes about 64K: at most 4 fit at once */
	CHECK(frag_stats(s)->evicted >= 196 && nevicted_events == frag_stats(s)->evicted);
#if GLIBC_MALLOC
	printf("flood: cap %llu, peak counted %llu, most malloc gave out %zu\n",
	       (unsigned long long)caps.max_frag_mem, (unsigned long long)frag_stats(s)->mem_peak,
	       most);
	/* what malloc holds is within the cap, and a tenth for what lies
	 * around it (the table's hash chains, the last datagram handed out) */
	CHECK(most <= caps.max_frag_mem + caps.max_frag_mem / 10);
#endif
	frag_free(s);
}

int main(void)
{
	ss_event_sink(on_event, NULL);
	case_pieces();
	case_malloc();
	case_flood();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
