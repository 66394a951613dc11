/* order.c - finished lines put back in time order, by a calendar of
 * capture time (see order.h).
 *
 * A line waits in the bucket of its time: the window is cut into
 * ORDER_BUCKETS - 2 slices, and the buckets form a ring over them. When
 * capture time has moved a whole bucket past the window, the bucket is
 * sorted by (time, arrival) and written out. Lines mostly come almost in
 * order, so a bucket is usually sorted already. (A heap of lines, each
 * allocated, cost as much as the dissection when a 10 s window held
 * 200,000 lines.)
 *
 * Each item, its header and then its text, is appended to a chunk of
 * memory shared by all buckets; a chunk is reused once every item in it
 * is out. Lines leave roughly in the order they came, so few chunks are
 * live, and nothing is allocated per line.
 *
 * Items are written through one stream that lives as long as the queue
 * (fopencookie): it appends an item's bytes to the current chunk, or
 * straight to the output when the item is late (its bucket is gone).
 *
 * What the queue holds is capped twice (order.h): in items and in bytes.
 * The bytes are those it has allocated - every chunk whole, a waiting item
 * in it or not, the spare chunks and the array a bucket is sorted in - so
 * a chunk kept alive by one small line is counted as what it costs. Past
 * either cap the oldest bucket goes out before its time; a chunk that
 * would take the bytes past the cap is not allocated while older buckets
 * can go out instead, and an item that still does not fit (one larger
 * than the cap, or newer items holding it all) goes straight out, after
 * everything of its time or older. The items let out early are counted,
 * and said once, at the end, in an event (report order_full): the lines
 * after them may be out of time order.
 */
#define _GNU_SOURCE
#include "order.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define ORDER_STREAM_BUFFER (64u << 10)
#define ORDER_BUCKETS 1024 /* a power of two */
#define ORDER_CHUNK (1u << 20)
/* Under a byte cap of less than 4 chunks, chunks shrink, to this at least. */
#define ORDER_CHUNK_MIN (4u << 10)
#define ORDER_SPARE_CHUNKS 4 /* emptied chunks kept for reuse; more are freed */

struct chunk {
	struct chunk *next; /* in the spare list */
	size_t used, size;  /* bytes of text[] */
	size_t live;        /* items in it still waiting */
	alignas(max_align_t) unsigned char text[];
};

struct item {
	int64_t ts;
	uint64_t seq;
	size_t len;        /* the text, which follows this header */
	struct item *next; /* in its bucket, in arrival order */
	struct chunk *c;
};

struct bucket {
	struct item *head, *tail;
	size_t n;
};

struct order {
	FILE *out;
	order_write_fn *write; /* how bytes go to out (NULL: fwrite) */
	void *write_ctx;
	int64_t window, width;    /* width: the capture time one bucket holds */
	size_t max, n;            /* items waiting, at most max */
	size_t peak_n, peak_held; /* the most of each so far (order_peak) */
	size_t max_mem, held;     /* bytes allocated (chunks, sort array), at most max_mem */
	size_t chunk;             /* the size of an ordinary chunk */
	uint64_t early, after;    /* items let out early; items late because of them */
	uint64_t beyond;          /* items later than the window itself */
	uint64_t said_early, said_after, said_beyond; /* how many of them an event told */
	/* the latest time of a line written so far, and the lines written
	 * after a later one: out of time order in fact (a line let out early
	 * is not, unless an older one comes after it) */
	int64_t shown;
	uint64_t disorder, said_disorder;
	uint64_t seq;
	struct bucket b[ORDER_BUCKETS];
	int64_t next; /* the oldest bucket not yet written (time / width) */
	int started;  /* next is set */
	int64_t newest;
	struct chunk *cur, *spare; /* the chunk being filled; emptied ones */
	size_t nspare;
	struct item **sort; /* a bucket's items while it is written */
	size_t sort_cap;
	/* the item being written: the stream, its bucket (NULL: straight out),
	 * and where its header sits in cur */
	FILE *stream;
	int writing;
	struct bucket *wb;
	size_t item_at;
	int64_t cur_ts;
	int64_t cur_q; /* the item's slot */
	int direct;    /* bytes of the item went straight out */
};

#define ITEM_SPACE ((sizeof(struct item) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

/* Every byte the queue writes goes out here, in the order it is shown. */
static void emit(struct order *o, const void *p, size_t n)
{
	if (o->write)
		o->write(p, n, o->out, o->write_ctx);
	else if (n)
		fwrite(p, 1, n, o->out);
}

static int64_t slot(const struct order *o, int64_t ts)
{
	int64_t q = ts / o->width;
	return q - (ts % o->width < 0); /* floor, for times before 1970 too */
}

static struct bucket *bucket_of(struct order *o, int64_t q)
{
	return &o->b[(uint64_t)q & (ORDER_BUCKETS - 1)];
}

/* The queue allocated n more bytes (order_peak keeps the most). */
static void hold(struct order *o, size_t n)
{
	o->held += n;
	if (o->held > o->peak_held)
		o->peak_held = o->held;
}

static void chunk_free(struct order *o, struct chunk *c)
{
	o->held -= sizeof *c + c->size;
	free(c);
}

static void chunk_release(struct order *o, struct chunk *c)
{
	if (c == o->cur || c->live)
		return;
	if (o->nspare < ORDER_SPARE_CHUNKS && c->size == o->chunk) {
		c->next = o->spare;
		o->spare = c;
		o->nspare++;
	} else {
		chunk_free(o, c);
	}
}

static void spares_free(struct order *o)
{
	while (o->spare) {
		struct chunk *c = o->spare;
		o->spare = c->next;
		chunk_free(o, c);
	}
	o->nspare = 0;
}

static int item_less(const void *x, const void *y)
{
	const struct item *a = *(struct item *const *)x, *b = *(struct item *const *)y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Lines come nearly in order (a line is late by the time its reply took),
 * so insertion sort does it in a few steps a line; past a budget of steps
 * (lines much out of order) qsort takes over, so no input makes it
 * quadratic. */
static void sort_items(struct item **a, size_t n)
{
	size_t budget = 8 * n + 64;
	for (size_t i = 1; i < n; i++) {
		struct item *x = a[i];
		size_t j = i;
		while (j && item_less(&a[j - 1], &x) > 0) {
			if (!budget--) {
				a[j] = x; /* the array whole again, then sorted anew */
				qsort(a, n, sizeof *a, item_less);
				return;
			}
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* A line of time ts is being written: after a later one or not. */
static void shown_at(struct order *o, int64_t ts)
{
	if (ts < o->shown)
		o->disorder++;
	else
		o->shown = ts;
}

static void write_item(struct order *o, struct item *it)
{
	shown_at(o, it->ts);
	emit(o, (unsigned char *)it + ITEM_SPACE, it->len);
	it->c->live--;
	chunk_release(o, it->c);
}

static void drain(struct order *o, struct bucket *b)
{
	if (!b->n)
		return;
	if (b->n > o->sort_cap) {
		size_t cap = o->sort_cap ? o->sort_cap : 256;
		while (cap < b->n)
			cap *= 2;
		struct item **s = realloc(o->sort, cap * sizeof *s);
		if (s) {
			hold(o, (cap - o->sort_cap) * sizeof *s);
			o->sort = s;
			o->sort_cap = cap;
		}
	}
	struct item *it = b->head;
	if (b->n <= o->sort_cap) {
		for (size_t i = 0; i < b->n; i++, it = it->next)
			o->sort[i] = it;
		sort_items(o->sort, b->n);
		for (size_t i = 0; i < b->n; i++)
			write_item(o, o->sort[i]);
	} else { /* memory ran out: in the order they came */
		while (it) {
			struct item *next = it->next;
			write_item(o, it);
			it = next;
		}
	}
	o->n -= b->n;
	*b = (struct bucket){0};
}

/* Writes the buckets before slot q, oldest first. Once nothing waits the
 * ring jumps ahead, so a long idle gap in the capture costs nothing. */
static void drain_before(struct order *o, int64_t q)
{
	while (o->next < q) {
		if (!o->n) {
			o->next = q;
			break;
		}
		drain(o, bucket_of(o, o->next));
		o->next++;
	}
}

/* Writes the oldest waiting bucket before slot limit, before its time (a
 * cap was passed); returns 0 when there is none. */
static int drain_oldest(struct order *o, int64_t limit)
{
	while (o->n && o->next < limit) {
		struct bucket *b = bucket_of(o, o->next++);
		if (b->n) {
			o->early += b->n;
			drain(o, b);
			return 1;
		}
	}
	return 0;
}

/* Nothing waits: what was kept for the next items is given back, so that
 * the bytes held fall under the cap whatever came before. */
static void shrink_idle(struct order *o)
{
	if (o->n)
		return;
	spares_free(o);
	o->held -= o->sort_cap * sizeof *o->sort;
	free(o->sort);
	o->sort = NULL;
	o->sort_cap = 0;
	if (o->cur && !o->writing && !o->cur->live && o->cur->size > o->chunk) {
		chunk_free(o, o->cur);
		o->cur = NULL;
	}
}

/* Whether grow more bytes fit under the byte cap, once the spare chunks
 * and then the buckets older than slot limit have gone out as needed. */
static int mem_fits(struct order *o, size_t grow, int64_t limit)
{
	if (o->held + grow <= o->max_mem && grow <= o->max_mem)
		return 1;
	spares_free(o);
	while (o->held + grow > o->max_mem && drain_oldest(o, limit))
		;
	shrink_idle(o);
	return o->held + grow <= o->max_mem && grow <= o->max_mem;
}

/* The item of slot q does not fit: it goes straight out, after everything
 * of its slot or older, so that it still comes after the lines before it. */
static void let_out(struct order *o, int64_t q)
{
	while (drain_oldest(o, q + 1))
		;
	if (o->next <= q)
		o->next = q + 1; /* its slot is gone: later lines of it are late */
	o->early++;
}

/* The bucket of an item of slot q, or NULL when it is late (its bucket has
 * gone out): straight out. Late only because its bucket went out early (a
 * cap, or order_release's low that was wrong), its window not passed, it
 * is counted with them. */
static struct bucket *bucket_at(struct order *o, int64_t q)
{
	if (q >= o->next)
		return bucket_of(o, q);
	if (q >= slot(o, o->newest - o->window))
		o->after++;
	else
		o->beyond++; /* more than the window after newer lines */
	return NULL;
}

/* A chunk with room for need more bytes after the item being written,
 * which moves into it when the current one is full. */
static int chunk_room(struct order *o, size_t need)
{
	struct chunk *c = o->cur;
	if (c && c->used + need <= c->size)
		return 0;
	size_t part = c ? c->used - o->item_at : 0; /* the item so far */
	struct chunk *n = NULL;
	if (part + need <= o->chunk && o->spare) {
		n = o->spare;
		o->spare = n->next;
		o->nspare--;
	} else {
		size_t size = o->chunk;
		while (size < part + need) {
			if (size > o->max_mem)
				return -1; /* nor would it fit: no doubling past it */
			size *= 2;
		}
		/* the new chunk, counted before it exists; the old one is
		 * counted until it is let go, after */
		if (!mem_fits(o, sizeof *n + size, o->cur_q))
			return -1;
		n = malloc(sizeof *n + size);
		if (!n)
			return -1;
		n->size = size;
		hold(o, sizeof *n + size);
		c = o->cur; /* mem_fits frees an idle current chunk (never while writing) */
		if (!c)
			part = 0;
	}
	n->used = part;
	n->live = 0;
	if (part)
		memcpy(n->text, c->text + o->item_at, part);
	o->cur = n;
	o->item_at = 0;
	if (c) {
		c->used -= part;
		chunk_release(o, c);
	}
	return 0;
}

static ssize_t gather(void *cookie, const char *p, size_t n)
{
	struct order *o = cookie;
	if (o->wb && chunk_room(o, n)) {
		/* over the byte cap, or memory ran out: the item goes out as it
		 * comes, after what is older, whole */
		let_out(o, o->cur_q);
		struct chunk *c = o->cur;
		if (c) {
			size_t hdr = o->item_at + ITEM_SPACE;
			if (c->used > hdr)
				emit(o, c->text + hdr, c->used - hdr);
			c->used = o->item_at;
		}
		o->wb = NULL;
	}
	if (!o->wb) {
		if (n)
			o->direct = 1;
		emit(o, p, n);
		return (ssize_t)n;
	}
	memcpy(o->cur->text + o->cur->used, p, n);
	o->cur->used += n;
	return (ssize_t)n;
}

struct order *order_new(FILE *out, int64_t window, size_t max)
{
	return order_new_capped(out, window, max, ORDER_MAX_MEM);
}

struct order *order_new_capped(FILE *out, int64_t window, size_t max, size_t max_mem)
{
	struct order *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->out = out;
	o->window = window > 0 ? window : 0;
	/* the window and the bucket being filled fit in the ring */
	o->width = o->window / (ORDER_BUCKETS - 2) + 1;
	o->max = max ? max : 1;
	o->max_mem = max_mem;
	o->shown = INT64_MIN;
	o->chunk = ORDER_CHUNK;
	while (o->chunk > ORDER_CHUNK_MIN && o->chunk > max_mem / 4)
		o->chunk /= 2;
	o->stream = fopencookie(o, "w", (cookie_io_functions_t){.write = gather});
	if (!o->stream) {
		free(o);
		return NULL;
	}
	setvbuf(o->stream, NULL, _IOFBF, ORDER_STREAM_BUFFER);
	/* One thread writes it: stdio's lock around every fputc is pure cost. */
	__fsetlocking(o->stream, FSETLOCKING_BYCALLER);
	return o;
}

void order_set_writer(struct order *o, order_write_fn *fn, void *ctx)
{
	o->write = fn;
	o->write_ctx = ctx;
}

FILE *order_begin(struct order *o, int64_t ts)
{
	/* the capture has reached ts at least: what is older than the window
	 * goes out, which also leaves room in the ring for ts */
	order_advance(o, ts);
	int64_t q = slot(o, ts);
	o->wb = bucket_at(o, q);
	o->cur_ts = ts;
	o->cur_q = q;
	o->direct = 0;
	o->writing = 1;
	/* the item's header goes first; its text follows as it is written */
	if (o->cur)
		o->item_at = o->cur->used; /* nothing of this item yet */
	if (o->wb && chunk_room(o, ITEM_SPACE)) {
		o->wb = NULL;
		let_out(o, q);
	}
	if (o->wb) {
		o->item_at = o->cur->used;
		o->cur->used += ITEM_SPACE;
	}
	return o->stream;
}

/* Queues the item whose header sits at at in c, len bytes of text after
 * it, in bucket b. */
static void queue(struct order *o, struct bucket *b, struct chunk *c, size_t at, size_t len,
                  int64_t ts)
{
	struct item *it = (struct item *)(c->text + at);
	*it = (struct item){ts, o->seq++, len, NULL, c};
	/* the next item's header starts aligned */
	c->used = (at + ITEM_SPACE + len + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (c->used > c->size)
		c->used = c->size;
	c->live++;
	if (b->tail)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
	b->n++;
	o->n++;
	if (o->n > o->peak_n)
		o->peak_n = o->n;
	while (o->n > o->max)
		drain_oldest(o, INT64_MAX);
	if (o->held > o->max_mem) /* the sort array grew, or a chunk moved */
		mem_fits(o, 0, INT64_MAX);
}

void order_end(struct order *o)
{
	if (!o->writing)
		return;
	o->writing = 0;
	fflush(o->stream);
	struct bucket *b = o->wb;
	o->wb = NULL;
	if (!b) {
		if (o->direct)
			shown_at(o, o->cur_ts);
		return;
	}
	struct chunk *c = o->cur;
	size_t len = c->used - o->item_at - ITEM_SPACE;
	if (!len) {
		c->used = o->item_at;
		return;
	}
	queue(o, b, c, o->item_at, len, o->cur_ts);
}

void order_put(struct order *o, int64_t ts, const void *p, size_t n)
{
	order_advance(o, ts);
	if (!n)
		return;
	int64_t q = slot(o, ts);
	struct bucket *b = bucket_at(o, q);
	o->item_at = o->cur ? o->cur->used : 0; /* nothing of this item yet */
	o->cur_q = q;
	if (b && chunk_room(o, ITEM_SPACE + n)) {
		let_out(o, q); /* over the byte cap, or memory ran out */
		b = NULL;
	}
	if (!b) {
		shown_at(o, ts);
		emit(o, p, n); /* late, or let out: out of order */
		return;
	}
	struct chunk *c = o->cur;
	size_t at = c->used;
	memcpy(c->text + at + ITEM_SPACE, p, n);
	queue(o, b, c, at, n, ts);
}

void order_advance(struct order *o, int64_t now)
{
	if (!o->started) {
		o->started = 1;
		o->newest = now;
		o->next = slot(o, now - o->window);
	}
	if (now > o->newest)
		o->newest = now;
	/* a bucket goes once all of it is older than newest - window */
	drain_before(o, slot(o, o->newest - o->window));
}

void order_release(struct order *o, int64_t low)
{
	if (o->started)
		drain_before(o, slot(o, low));
}

/* Says how many items went out before their time since it last did: once,
 * at the end of the run (a flush before it says it then). It goes through
 * the sink, which may queue it here: nothing is being written now. */
static void tell_early(struct order *o)
{
	uint64_t e = o->early - o->said_early, a = o->after - o->said_after;
	uint64_t b = o->beyond - o->said_beyond;
	uint64_t d = o->disorder - o->said_disorder;
	if ((!e && !a && !(b && d)) || o->writing)
		return;
	o->said_early = o->early;
	o->said_after = o->after;
	o->said_beyond = o->beyond;
	o->said_disorder = o->disorder;
	char why[240] = "";
	if (e || a)
		snprintf(why, sizeof why,
		         "%llu went out before their time (the time-order queue reached "
		         "--max-order-mem or %zu lines) and %llu came after newer ones had gone",
		         (unsigned long long)e, o->max, (unsigned long long)a);
	/* lines later than the whole window (an event shown at its start that
	 * ended long after, such as a query never answered, reported when its
	 * flow timed out): said too, so that no line is out of order unsaid */
	char more[160] = "";
	if (b)
		snprintf(more, sizeof more,
		         "%s%llu came more than %g s after their time (the longest a line waits)",
		         why[0] ? "; " : "", (unsigned long long)b, (double)o->window / 1e9);
	ss_eventf("report", "order_full", 0, 0, 0, -1, "%llu line%s out of time order: %s%s",
	          (unsigned long long)d, d == 1 ? "" : "s", why, more);
}

void order_flush(struct order *o)
{
	tell_early(o);
	/* next stays: what comes after is still put in order */
	for (int64_t q = o->next; o->n && q < o->next + ORDER_BUCKETS; q++)
		drain(o, bucket_of(o, q));
	if (o->write)
		o->write(NULL, 0, o->out, o->write_ctx); /* all is out */
	fflush(o->out);
}

void order_free(struct order *o)
{
	if (!o)
		return;
	order_flush(o);
	fclose(o->stream);
	free(o->cur);
	spares_free(o);
	free(o->sort);
	free(o);
}

size_t order_held(const struct order *o)
{
	return o->held;
}

uint64_t order_early(const struct order *o)
{
	return o->early + o->after;
}

void order_peak(const struct order *o, size_t *lines, size_t *bytes)
{
	*lines = o->peak_n;
	*bytes = o->peak_held;
}
