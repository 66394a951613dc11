/* openflows.c - the open flows in the order they began (openflows.h). */
#include "openflows.h"

#include <stdlib.h>

struct openflow *openflows_add(struct openflows *l, int64_t first_ts, void *owner)
{
	struct openflow *e = malloc(sizeof *e);
	if (!e) {
		l->untracked++;
		return NULL;
	}
	*e = (struct openflow){l->tail, NULL, first_ts, owner};
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

int openflows_oldest(const struct openflows *l, int64_t *ts)
{
	*ts = l->head ? l->head->first_ts : INT64_MAX;
	return !l->untracked;
}

void openflows_clear(struct openflows *l)
{
	while (l->head)
		openflows_remove(l, l->head);
	l->untracked = 0;
}
