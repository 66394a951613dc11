/* event.c - the one event sink of each thread: report/'s on the main
 * thread; on reassembly's own thread (reassembly/handoff.c), the queue that
 * brings its events to the main thread in their place among its
 * deliveries. And the counting of repeats (event.h): a fixed table of keys,
 * chained by flow so that a flow's end finds its keys in one chain, and
 * listed from the least recently seen, which goes first when the table is
 * full. Everything is the calling thread's own: no locks. */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024 /* a power of two */
#define NONE (-1)

struct key {
	char layer[SS_EVENT_NAME], what[SS_EVENT_NAME]; /* cut to SS_EVENT_NAME - 1 */
	uint64_t flow;
	uint64_t seen; /* events of the key so far, shown or not */
	uint64_t first_frame, last_frame;
	int64_t last_ts;
	int dir;              /* of the events not shown; -1 when they differ */
	int32_t hnext;        /* the bucket's chain, or the free list */
	int32_t older, newer; /* by when the key was last seen */
};

struct table {
	struct key k[SS_EVENT_KEYS];
	int32_t bucket[NBUCKETS];
	int32_t oldest, newest, free;
	unsigned used;
};

static _Thread_local ss_event_fn *sink;
static _Thread_local void *sink_ctx;
static _Thread_local unsigned shown; /* 0: every event goes to the sink */
static _Thread_local struct table *tab;

void ss_event_sink(ss_event_fn *fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

static unsigned flow_hash(uint64_t flow)
{
	return (unsigned)((flow * 0x9E3779B97F4A7C15u) >> 54) & (NBUCKETS - 1);
}

static struct table *table_new(void)
{
	struct table *t = malloc(sizeof *t);
	if (!t)
		return NULL;
	for (unsigned b = 0; b < NBUCKETS; b++)
		t->bucket[b] = NONE;
	for (int32_t i = 0; i < SS_EVENT_KEYS; i++)
		t->k[i].hnext = i + 1 < SS_EVENT_KEYS ? i + 1 : NONE;
	t->free = 0;
	t->oldest = t->newest = NONE;
	t->used = 0;
	return t;
}

static void lru_unlink(struct table *t, int32_t i)
{
	struct key *k = &t->k[i];
	if (k->older != NONE)
		t->k[k->older].newer = k->newer;
	else
		t->oldest = k->newer;
	if (k->newer != NONE)
		t->k[k->newer].older = k->older;
	else
		t->newest = k->older;
}

static void lru_push(struct table *t, int32_t i)
{
	struct key *k = &t->k[i];
	k->older = t->newest;
	k->newer = NONE;
	if (t->newest != NONE)
		t->k[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

static void key_forget(struct table *t, int32_t i)
{
	int32_t *pp = &t->bucket[flow_hash(t->k[i].flow)];
	while (*pp != i)
		pp = &t->k[*pp].hnext;
	*pp = t->k[i].hnext;
	lru_unlink(t, i);
	t->k[i].hnext = t->free;
	t->free = i;
	t->used--;
}

/* v with a comma every three digits: 195,894. */
static const char *grouped(char out[32], uint64_t v)
{
	char d[24];
	int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v), w = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[w++] = ',';
		out[w++] = d[i];
	}
	out[w] = 0;
	return out;
}

/* The key's summary, when some of its events were not shown. */
static void summarise(const struct key *k)
{
	if (k->seen <= shown || !sink)
		return;
	uint64_t n = k->seen - shown;
	char detail[160], a[32];
	int w = snprintf(detail, sizeof detail, "%s more like this", grouped(a, n));
	if (k->first_frame)
		snprintf(detail + w, sizeof detail - (size_t)w,
		         " (first at frame %llu, last at frame %llu)",
		         (unsigned long long)k->first_frame, (unsigned long long)k->last_frame);
	struct ss_event e = {
	    k->layer,       k->what,      k->last_frame, k->last_frame ? k->last_ts : 0,
	    k->flow,        k->dir,       detail,        n,
	    k->first_frame, k->last_frame};
	sink(&e, sink_ctx);
}

static int same(const char *kept, const char *s)
{
	return !strncmp(kept, s, SS_EVENT_NAME - 1);
}

static void name_copy(char out[SS_EVENT_NAME], const char *s)
{
	snprintf(out, SS_EVENT_NAME, "%s", s);
}

/* Counts the event: 1 when it is only to be counted, not shown. */
static int counted_only(const char *layer, const char *what, uint64_t frame, int64_t ts,
                        uint64_t flow, int dir)
{
	if (!tab && !(tab = table_new()))
		return 0; /* no memory for counting: every event is shown */
	struct table *t = tab;
	unsigned b = flow_hash(flow);
	int32_t i = t->bucket[b];
	while (i != NONE &&
	       !(t->k[i].flow == flow && same(t->k[i].what, what) && same(t->k[i].layer, layer)))
		i = t->k[i].hnext;
	if (i == NONE) {
		if (t->used == SS_EVENT_KEYS) {
			summarise(&t->k[t->oldest]);
			key_forget(t, t->oldest);
		}
		i = t->free;
		t->free = t->k[i].hnext;
		struct key *k = &t->k[i];
		name_copy(k->layer, layer);
		name_copy(k->what, what);
		k->flow = flow;
		k->seen = 0;
		k->first_frame = k->last_frame = 0;
		k->last_ts = 0;
		k->hnext = t->bucket[b];
		t->bucket[b] = i;
		t->used++;
	} else {
		lru_unlink(t, i);
	}
	lru_push(t, i);
	struct key *k = &t->k[i];
	if (++k->seen <= shown)
		return 0;
	if (k->seen == (uint64_t)shown + 1)
		k->dir = dir;
	else if (k->dir != dir)
		k->dir = -1;
	if (frame) {
		if (!k->first_frame)
			k->first_frame = frame;
		k->last_frame = frame;
		k->last_ts = ts;
	}
	return 1;
}

void ss_event_emit(const struct ss_event *e)
{
	if (!sink)
		return;
	if (shown && !e->repeated &&
	    counted_only(e->layer, e->what, e->frame, e->ts, e->flow, e->dir))
		return;
	sink(e, sink_ctx);
}

void ss_eventf(const char *layer, const char *what, uint64_t frame, int64_t ts, uint64_t flow,
               int dir, const char *fmt, ...)
{
	if (!sink)
		return;
	if (shown && counted_only(layer, what, frame, ts, flow, dir))
		return;
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	struct ss_event e = {layer, what, frame, ts, flow, dir, detail, 0, 0, 0};
	sink(&e, sink_ctx);
}

void ss_event_repeats(unsigned n)
{
	if (!n) {
		free(tab);
		tab = NULL;
	}
	shown = n;
}

int64_t ss_event_flow_unsaid(uint64_t flow)
{
	const struct table *t = tab;
	int64_t at = INT64_MAX;
	if (!t || !t->used)
		return at;
	for (int32_t i = t->bucket[flow_hash(flow)]; i != NONE; i = t->k[i].hnext) {
		const struct key *k = &t->k[i];
		if (k->flow == flow && k->seen > shown && k->last_frame && k->last_ts < at)
			at = k->last_ts;
	}
	return at;
}

void ss_event_flow_end(uint64_t flow)
{
	struct table *t = tab;
	if (!t || !t->used)
		return;
	int32_t i = t->bucket[flow_hash(flow)];
	while (i != NONE && t->k[i].flow != flow)
		i = t->k[i].hnext;
	if (i == NONE)
		return; /* the common case: the flow raised no event */
	/* Its keys, oldest first (a walk of the whole list, but only for a flow
	 * that raised events). */
	for (i = t->oldest; i != NONE;) {
		int32_t next = t->k[i].newer;
		if (t->k[i].flow == flow) {
			summarise(&t->k[i]);
			key_forget(t, i);
		}
		i = next;
	}
}

void ss_event_flush(void)
{
	struct table *t = tab;
	if (!t)
		return;
	tab = NULL; /* a sink that raises an event meets an empty table */
	for (int32_t i = t->oldest; i != NONE; i = t->k[i].newer)
		summarise(&t->k[i]);
	free(t);
}
