/* memacct.h - storage counted across many owners against one cap.
 *
 * --max-line bounds one line, --max-pending one direction's unconsumed
 * bytes, --max-pipeline one session's queue: each bounds one owner, and a
 * capture of many sessions multiplies them. 4,000 flows each holding a 60 KB
 * unfinished line held 324 MB whatever --max-mem said (issue 16, finding 2).
 * An account adds up what every owner of one kind holds, and storage grows
 * only while the sum stays within the account's cap; what is refused is
 * counted, so that whoever knows the flow and the frame can say so.
 *
 * ss_held is the process's one account for the bytes held for sessions
 * between their packets: unfinished lines, replies being put together,
 * commands awaiting their replies, bytes a dissector left unconsumed. Its
 * cap is --max-held-mem, set once from the options before any flow opens.
 *
 * The counters are atomic: the bytes of a flow are held by whichever thread
 * runs its dissector (reassembly/handoff.h), and an account must not care.
 */
#ifndef SS_MEMACCT_H
#define SS_MEMACCT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* held and peak change with every take and give, on the thread that runs
 * the dissectors; refused and cap are read for every segment on the
 * capture thread too (reassembly/pending.c). On one cache line, each such
 * read stole the line from the writer: 12% of the dissecting thread's time
 * on the relay benchmark went to the bouncing. */
struct memacct {
	alignas(64) _Atomic uint64_t held;    /* bytes counted now */
	_Atomic uint64_t peak;                /* the most ever counted at once */
	alignas(64) _Atomic uint64_t refused; /* takes refused so far */
	uint64_t cap;
};

/* --max-held-mem's default (util/caps.c gives it to the option). */
#define SS_HELD_MEM_DEFAULT ((uint64_t)64 << 20)

extern struct memacct ss_held;

/* Counts n more bytes: 0, or -1 (nothing counted, the refusal counted)
 * when the total would pass cap. */
int memacct_take(struct memacct *a, uint64_t cap, size_t n);
/* Gives back n bytes taken before. */
void memacct_give(struct memacct *a, size_t n);
static inline uint64_t memacct_held(struct memacct *a)
{
	return atomic_load_explicit(&a->held, memory_order_relaxed);
}
static inline uint64_t memacct_peak(struct memacct *a)
{
	return atomic_load_explicit(&a->peak, memory_order_relaxed);
}
static inline uint64_t memacct_refused(struct memacct *a)
{
	return atomic_load_explicit(&a->refused, memory_order_relaxed);
}

#endif
