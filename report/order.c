/* order.c - a heap of finished lines, ordered by (time, arrival).
 *
 * Items are written through one stream that lives as long as the queue
 * (fopencookie): it gathers an item's bytes in acc, and order_end() keeps
 * them. A stream per item (open_memstream) cost more than the dissection.
 */
#define _GNU_SOURCE
#include "order.h"

#include <stdlib.h>
#include <string.h>

#define ORDER_STREAM_BUFFER (64u << 10)

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
	/* the item being written: the stream, and what it has gathered */
	FILE *stream;
	int writing;
	char *acc;
	size_t acc_len, acc_cap;
	int acc_failed; /* memory ran out: the item goes out unordered */
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

static ssize_t gather(void *cookie, const char *p, size_t n)
{
	struct order *o = cookie;
	if (o->acc_len + n > o->acc_cap) {
		size_t cap = o->acc_cap ? o->acc_cap : 4096;
		while (cap < o->acc_len + n)
			cap *= 2;
		char *a = realloc(o->acc, cap);
		if (!a) {
			/* keep the output whole, if out of order */
			fwrite(o->acc, 1, o->acc_len, o->out);
			fwrite(p, 1, n, o->out);
			o->acc_len = 0;
			o->acc_failed = 1;
			return (ssize_t)n;
		}
		o->acc = a;
		o->acc_cap = cap;
	}
	memcpy(o->acc + o->acc_len, p, n);
	o->acc_len += n;
	return (ssize_t)n;
}

struct order *order_new(FILE *out, int64_t window, size_t max)
{
	struct order *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->out = out;
	o->window = window;
	o->max = max ? max : 1;
	o->stream = fopencookie(o, "w", (cookie_io_functions_t){.write = gather});
	if (!o->stream) {
		free(o);
		return NULL;
	}
	setvbuf(o->stream, NULL, _IOFBF, ORDER_STREAM_BUFFER);
	return o;
}

FILE *order_begin(struct order *o, int64_t ts)
{
	o->cur_ts = ts;
	o->writing = 1;
	o->acc_len = 0;
	o->acc_failed = 0;
	return o->stream;
}

void order_end(struct order *o)
{
	if (!o->writing)
		return;
	o->writing = 0;
	fflush(o->stream);
	char *text = o->acc_failed ? NULL : malloc(o->acc_len ? o->acc_len : 1);
	if (text)
		memcpy(text, o->acc, o->acc_len);
	if (text && o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct item *h = realloc(o->h, cap * sizeof *h);
		if (h) {
			o->h = h;
			o->cap = cap;
		} else {
			free(text);
			text = NULL;
		}
	}
	if (!text) {
		if (!o->acc_failed)
			fwrite(o->acc, 1, o->acc_len, o->out);
		return;
	}
	size_t i = o->n++;
	o->h[i] = (struct item){o->cur_ts, o->seq++, text, o->acc_len};
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
	fclose(o->stream);
	free(o->acc);
	free(o->h);
	free(o);
}
