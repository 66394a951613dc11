/* openflows.h - the flows still open, in the order they began: how far
 * back in capture time a line still to come can be.
 *
 * Every line a flow makes (its records, its events, its summary) is of a
 * time no earlier than the flow's first frame. So while the oldest open
 * flow began at t, no line still to come from a flow is older than t, and
 * the time-order queue (order.h) can let out what is older at once instead
 * of holding each line for its whole window. Flows begin in capture order,
 * so a list kept in the order they opened has the oldest at its head: one
 * step to add, one to remove, one to ask. Times that go back a little (a
 * capture of several CPUs) are what the caller's slack is for.
 */
#ifndef SS_OPENFLOWS_H
#define SS_OPENFLOWS_H

#include <stddef.h>
#include <stdint.h>

struct openflow {
	struct openflow *prev, *next;
	int64_t first_ts;
	void *owner; /* the caller's */
};

struct openflows {
	struct openflow *head, *tail;
	size_t n;
	size_t untracked; /* open flows that found no memory for their entry */
};

/* A flow that began at first_ts opens: its entry, or NULL when memory ran
 * out (then counted as untracked until openflows_remove(l, NULL)). */
struct openflow *openflows_add(struct openflows *l, int64_t first_ts, void *owner);
/* The flow of entry e (NULL: an untracked one) ends. */
void openflows_remove(struct openflows *l, struct openflow *e);
/* Whether the list knows every open flow, and then the first frame's time
 * of the oldest (*ts INT64_MAX when none is open). */
int openflows_oldest(const struct openflows *l, int64_t *ts);
/* Removes every entry (the end of the run). */
void openflows_clear(struct openflows *l);

#endif
