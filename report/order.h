/* order.h - output put back in time order: lines are written when their
 * event completes (a command when its reply comes), but shown in the order
 * the events began, within a window of capture time. */
#ifndef SS_ORDER_H
#define SS_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct order;

/* The byte cap order_new() puts on the queue (--max-order-mem's default). */
#define ORDER_MAX_MEM ((size_t)64 << 20)

/* Lines wait until capture time passes their time plus window; then they
 * go to out in time order (ties: in the order they were written).
 *
 * What waits is capped at max items and at max_mem bytes: every byte the
 * queue has allocated for them, the lines' text, a header of some 48
 * bytes each and the chunks they sit in whole (order.c). Past either cap
 * the oldest lines go out before their time; a line that would take the
 * queue past max_mem even once all older lines are out goes out at once.
 * Either way the lines that come after may be older than ones already
 * out: out of time order. The lines let out early, those that came after
 * newer ones had gone (their window not over), and the lines shown after a
 * later line (out of time order in fact: most lines let out early are
 * not) are counted and said once, at the end (order_flush), in an event:
 * layer "report", what "order_full", its detail starting with the last of
 * these. max_mem 0: nothing
 * waits, every line goes out as it comes (and is counted). */
struct order *order_new_capped(FILE *out, int64_t window, size_t max, size_t max_mem);
/* The same with max_mem ORDER_MAX_MEM. */
struct order *order_new(FILE *out, int64_t window, size_t max);
/* How the queue writes bytes to out, in the order they are shown: p[0..n),
 * or p NULL when all that waited is out (order_flush). The timeline's
 * writer fills in the times that depend on the line shown before
 * (report/clock.h, -ttt). */
typedef void order_write_fn(const void *p, size_t n, FILE *out, void *ctx);
/* Sets the writer; without one, fwrite. */
void order_set_writer(struct order *o, order_write_fn *fn, void *ctx);
/* A stream to write one item (one or more lines) into, stamped ts; the
 * item is queued by order_end(). */
FILE *order_begin(struct order *o, int64_t ts);
void order_end(struct order *o);
/* The same for an item already put together: n bytes at p, copied. */
void order_put(struct order *o, int64_t ts, const void *p, size_t n);
/* Capture time is now now: what is old enough goes out. */
void order_advance(struct order *o, int64_t now);
/* No line still to come is older than low (the events still open began at
 * low or later; the caller knows them): the lines older than low go out
 * now, before their window is over, in time order. The queue's buckets
 * are some 10 ms wide (window / 1022): a line waits until its bucket is
 * wholly older than low. A line that comes later and older than low after
 * all (an open event the caller missed) is late: it goes straight out
 * and is counted as having come after its time had gone out. */
void order_release(struct order *o, int64_t low);
/* Everything goes out (the end of the capture, or SIGUSR1); first, when
 * lines were let out early since the last flush, the order_full event
 * (through the event sink, which may write it here). */
void order_flush(struct order *o);
void order_free(struct order *o);
/* Bytes the queue holds now (at most max_mem, but while an order_flush or
 * order_advance sorts a bucket: the array it sorts in), and the lines put
 * out of time order by the caps so far (the order_full event's count). */
size_t order_held(const struct order *o);
uint64_t order_early(const struct order *o);
/* The most lines that waited at once, and the most bytes held. */
void order_peak(const struct order *o, size_t *lines, size_t *bytes);

#endif
