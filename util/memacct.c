/* memacct.c - storage counted against one cap (see memacct.h). */
#include "memacct.h"

struct memacct ss_held = {.cap = SS_HELD_MEM_DEFAULT};

int memacct_take(struct memacct *a, uint64_t cap, size_t n)
{
	uint64_t h = atomic_load_explicit(&a->held, memory_order_relaxed);
	do {
		if (h > cap || n > cap - h) {
			atomic_fetch_add_explicit(&a->refused, 1, memory_order_relaxed);
			return -1;
		}
	} while (!atomic_compare_exchange_weak_explicit(&a->held, &h, h + n, memory_order_relaxed,
	                                                memory_order_relaxed));
	uint64_t now = h + n, p = atomic_load_explicit(&a->peak, memory_order_relaxed);
	while (now > p && !atomic_compare_exchange_weak_explicit(
	                      &a->peak, &p, now, memory_order_relaxed, memory_order_relaxed))
		;
	return 0;
}

void memacct_give(struct memacct *a, size_t n)
{
	/* More given than taken is a bug of the caller; the total must not
	 * wrap and refuse everything after it. */
	uint64_t h = atomic_load_explicit(&a->held, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&a->held, &h, n < h ? h - n : 0,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}
