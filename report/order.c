/* order.c - a heap of finished lines, ordered by (time, arrival). */
#define _GNU_SOURCE
#include "order.h"

#include <stdlib.h>

struct item {
	int64_t ts;
	uint64_t seq;
	char *text;
	size_t len;
};

struct order {
	FILE *out;
	int64_t window;
	size_t max;
	struct item *h;
	size_t n, cap;
	uint64_t seq;
	/* the item being written */
	FILE *cur;
	char *cur_text;
	size_t cur_len;
	int64_t cur_ts;
	int64_t newest; /* capture time seen */
};

static int less(const struct item *a, const struct item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void swap(struct item *a, struct item *b)
{
	struct item t = *a;
	*a = *b;
	*b = t;
}

static void pop_out(struct order *o)
{
	fwrite(o->h[0].text, 1, o->h[0].len, o->out);
	free(o->h[0].text);
	o->h[0] = o->h[--o->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < o->n && less(&o->h[l], &o->h[m]))
			m = l;
		if (r < o->n && less(&o->h[r], &o->h[m]))
			m = r;
		if (m == i)
			break;
		swap(&o->h[i], &o->h[m]);
		i = m;
	}
}

struct order *order_new(FILE *out, int64_t window, size_t max)
{
	struct order *o = calloc(1, sizeof *o);
	if (o) {
		o->out = out;
		o->window = window;
		o->max = max ? max : 1;
	}
	return o;
}

FILE *order_begin(struct order *o, int64_t ts)
{
	o->cur_ts = ts;
	o->cur = open_memstream(&o->cur_text, &o->cur_len);
	return o->cur ? o->cur : o->out; /* out of memory: straight out, unordered */
}

void order_end(struct order *o)
{
	if (!o->cur)
		return;
	fclose(o->cur);
	o->cur = NULL;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct item *h = realloc(o->h, cap * sizeof *h);
		if (!h) {
			fwrite(o->cur_text, 1, o->cur_len, o->out);
			free(o->cur_text);
			return;
		}
		o->h = h;
		o->cap = cap;
	}
	size_t i = o->n++;
	o->h[i] = (struct item){o->cur_ts, o->seq++, o->cur_text, o->cur_len};
	while (i && less(&o->h[i], &o->h[(i - 1) / 2])) {
		swap(&o->h[i], &o->h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	while (o->n > o->max)
		pop_out(o);
	order_advance(o, o->newest);
}

void order_advance(struct order *o, int64_t now)
{
	if (now > o->newest)
		o->newest = now;
	while (o->n && o->h[0].ts <= o->newest - o->window)
		pop_out(o);
}

void order_flush(struct order *o)
{
	while (o->n)
		pop_out(o);
	fflush(o->out);
}

void order_free(struct order *o)
{
	if (!o)
		return;
	order_flush(o);
	free(o->h);
	free(o);
}
