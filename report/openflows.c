/* openflows.c - the open flows, and what they still have to say
 * (openflows.h). */
#include "openflows.h"

#include <stdlib.h>

#include "event.h"

struct openflow *openflows_add(struct openflows *l, const struct ss_flow *f, void *owner)
{
	struct openflow *e = malloc(sizeof *e);
	if (!e) {
		l->untracked++;
		return NULL;
	}
	*e = (struct openflow){l->tail, NULL, f, owner};
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	l->n++;
	return e;
}

void openflows_remove(struct openflows *l, struct openflow *e)
{
	if (!e) {
		if (l->untracked)
			l->untracked--;
		return;
	}
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	l->n--;
	free(e);
}

int openflows_oldest(const struct openflows *l, enum openflows_ends ends, int64_t *ts)
{
	int64_t t = INT64_MAX;
	for (const struct openflow *e = l->head; e; e = e->next) {
		if (e->f->open_since < t)
			t = e->f->open_since;
		int end_line = ends == OF_ENDS_ALL || (ends == OF_ENDS_UNREAD && !e->f->app);
		if (end_line && e->f->read_ts < t)
			t = e->f->read_ts;
		int64_t said = ss_event_flow_unsaid(e->f->id);
		if (said < t)
			t = said;
	}
	*ts = t;
	return !l->untracked;
}

void openflows_clear(struct openflows *l)
{
	while (l->head)
		openflows_remove(l, l->head);
	l->untracked = 0;
}
