/* openflows.h - the flows still open: how far back in capture time a line
 * still to come can be.
 *
 * Every line a flow makes (its records, its events) is of a time no
 * earlier than its open_since (stream.h): its first frame's time until its
 * dissector moves it on, as the session's commands get their replies and
 * its messages end; its own line on the timeline at its end, no earlier
 * than the last bytes its dissector read. So no line still to come from a flow is
 * older than the least open_since of the open flows, or than the oldest
 * summary of repeated events a flow's end will bring (util/event.h), and
 * the time-order queue (order.h) can let out what is older at once instead
 * of holding each line for its whole window. Finding the least is a walk
 * over the open flows; the caller walks once per so many lines, and what a
 * walk found stays true (every open_since only moves on, and flows opened
 * since begin later).
 */
#ifndef SS_OPENFLOWS_H
#define SS_OPENFLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct openflow {
	struct openflow *prev, *next;
	const struct ss_flow *f;
	void *owner; /* the caller's */
};

struct openflows {
	struct openflow *head, *tail;
	size_t n;
	size_t untracked; /* open flows that found no memory for their entry */
};

/* Flow f opens (it lives until openflows_remove): its entry, or NULL when
 * memory ran out (then counted as untracked until openflows_remove(l,
 * NULL)). */
struct openflow *openflows_add(struct openflows *l, const struct ss_flow *f, void *owner);
/* The flow of entry e (NULL: an untracked one) ends. */
void openflows_remove(struct openflows *l, struct openflow *e);
/* Which flows have a line at their end of their last packet's time (the
 * timeline's): none, those no dissector reads, all. */
enum openflows_ends { OF_ENDS_NONE, OF_ENDS_UNREAD, OF_ENDS_ALL };
/* Whether the list knows every open flow, and then how far back what they
 * still have to say goes (*ts INT64_MAX when no flow is open). A flow that
 * has a line of its last packet's time when it ends (ends) also holds back
 * what came after the last bytes its dissector read. */
int openflows_oldest(const struct openflows *l, enum openflows_ends ends, int64_t *ts);
/* Removes every entry (the end of the run). */
void openflows_clear(struct openflows *l);

#endif
