/* order.h - output put back in time order: lines are written when their
 * event completes (a command when its reply comes), but shown in the order
 * the events began, within a window of capture time. */
#ifndef SS_ORDER_H
#define SS_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct order;

/* Lines wait until capture time passes their time plus window, or until
 * max lines wait; then they go to out in time order (ties: in the order
 * they were written). */
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
/* Everything goes out (the end of the capture, or SIGUSR1). */
void order_flush(struct order *o);
void order_free(struct order *o);

#endif
