/* table.c - the flow table: O(1) lookup by 5-tuple (both directions share
 * one entry), and activity lists that make idle expiry O(1) per flow.
 *
 * Each list holds flows with one timeout (open TCP, UDP), oldest activity
 * first, so expiry only ever looks at list heads. Closed TCP flows, kept
 * to absorb late packets, are in a table of their own (closed.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reasm_int.h"
#include "sstime.h"

#define FIRST_BUCKETS 1024

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* A seeded hash of the key bytes: the seed differs per run so that a capture
 * cannot be crafted to put every flow in one chain. Words are folded with a
 * multiply each and mixed once at the end: cheap, and every key bit still
 * reaches the bucket index. */
uint64_t flow_key_hash(const struct ss_reasm *r, const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = r->seed;
	size_t i = 0;
	for (; i + 8 <= sizeof *k; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	memcpy(&w, p + i, sizeof *k - i);
	return mix(h ^ w);
}

static size_t key_hash(const struct ss_reasm *r, const struct flow_key *k)
{
	return (size_t)(flow_key_hash(r, k) & (r->nbuckets - 1));
}

int table_init(struct ss_reasm *r)
{
	bufpool_init(&r->rings, r->caps->rexmit_window);
	r->nbuckets = FIRST_BUCKETS;
	r->bucket = calloc(r->nbuckets, sizeof *r->bucket);
	r->seed = mix((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)r);
	r->expire_at = INT64_MAX; /* no flow yet */
	return r->bucket ? 0 : -1;
}

void table_fini(struct ss_reasm *r)
{
	closed_fini(r);
	free(r->bucket);
	r->bucket = NULL;
	bufpool_free(&r->rings);
}

void flow_key_make(struct flow_key *k, const struct ss_ip *ip, uint16_t sport, uint16_t dport,
                   int *src_is_a0)
{
	memset(k, 0, sizeof *k); /* hashed and compared as bytes */
	/* the order ss_addr_cmp gives (family, then the bytes: an IPv4
	 * address's unused ones are zero), without the calls */
	int c = memcmp(&ip->src, &ip->dst, sizeof ip->src);
	int a0 = c < 0 || (c == 0 && sport <= dport);
	k->a[a0 ? 0 : 1] = ip->src;
	k->a[a0 ? 1 : 0] = ip->dst;
	k->port[a0 ? 0 : 1] = sport;
	k->port[a0 ? 1 : 0] = dport;
	k->proto = ip->proto;
	*src_is_a0 = a0;
}

/* Keys are compared for every packet, a word at a time (memcmp of 40
 * bytes is a call). */
static int key_equal(const struct flow_key *a, const struct flow_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	uint64_t d = 0;
	size_t i = 0;
	for (; i + 8 <= sizeof *a; i += 8) {
		uint64_t u, v;
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	for (; i < sizeof *a; i++)
		d |= (uint64_t)(x[i] ^ y[i]);
	return !d;
}

struct flow *table_find(struct ss_reasm *r, const struct flow_key *k)
{
	/* Packets come in trains: most belong to the flow of the one before. */
	if (r->last && key_equal(&r->last->key, k))
		return r->last;
	for (struct flow *f = r->bucket[key_hash(r, k)]; f; f = f->hnext)
		if (key_equal(&f->key, k))
			return r->last = f;
	return NULL;
}

static void grow(struct ss_reasm *r)
{
	size_t n = r->nbuckets * 2;
	struct flow **b = calloc(n, sizeof *b);
	if (!b)
		return; /* chains get longer; lookups stay correct */
	struct flow **old = r->bucket;
	size_t oldn = r->nbuckets;
	r->bucket = b;
	r->nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		for (struct flow *f = old[i], *next; f; f = next) {
			next = f->hnext;
			size_t h = key_hash(r, &f->key);
			f->hnext = b[h];
			b[h] = f;
		}
	}
	free(old);
}

static void list_unlink(struct ss_reasm *r, struct flow *f)
{
	struct flow_list *l = &r->list[f->where];
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

int64_t table_timeout(const struct ss_reasm *r, int where)
{
	uint64_t s = where == LIST_TCP   ? r->caps->tcp_timeout
	             : where == LIST_UDP ? r->caps->udp_timeout
	                                 : r->caps->tcp_linger;
	/* util/caps.c refuses more than fits; saturate anyway, should a
	 * caller set the caps itself */
	return s > (uint64_t)(INT64_MAX / SS_NS_PER_SEC) ? INT64_MAX : (int64_t)s * SS_NS_PER_SEC;
}

/* When the head of list where runs out of time (saturating: capture times
 * come from the file). */
static int64_t head_due(const struct ss_reasm *r, int where)
{
	const struct flow *h = r->list[where].head;
	if (!h)
		return INT64_MAX;
	int64_t t = table_timeout(r, where);
	return h->pub.last_ts > INT64_MAX - t ? INT64_MAX : h->pub.last_ts + t;
}

static void list_append(struct ss_reasm *r, struct flow *f, int where)
{
	struct flow_list *l = &r->list[where];
	int was_empty = !l->head;
	f->where = (uint8_t)where;
	f->prev = l->tail;
	f->next = NULL;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
	/* A new head may run out sooner than any flow before it. Every other
	 * change makes a list's head younger, which only makes expire_at
	 * early: table_expire() then looks once for nothing. */
	if (was_empty) {
		int64_t due = head_due(r, where);
		if (due < r->expire_at)
			r->expire_at = due;
	}
}

/* Puts f at the young end of list where (its activity is now). */
void list_move(struct ss_reasm *r, struct flow *f, int where)
{
	/* Packets come in trains: f is often there already, and unlinking it
	 * would touch its neighbours, flows idle and out of the cache. */
	if (f->where == where && r->list[where].tail == f)
		return;
	list_unlink(r, f);
	list_append(r, f, where);
}

/* The oldest flow that is still open, to end when the table is full. */
static struct flow *oldest_open(struct ss_reasm *r)
{
	struct flow *t = r->list[LIST_TCP].head, *u = r->list[LIST_UDP].head;
	if (!t || !u)
		return t ? t : u;
	return t->pub.last_ts <= u->pub.last_ts ? t : u;
}

struct flow *table_add(struct ss_reasm *r, const struct flow_key *k)
{
	while (r->st.flows_now >= r->caps->max_flows) {
		/* Closed flows go first: they only wait for late packets. */
		if (r->chead) {
			closed_remove(r, r->chead);
			continue;
		}
		struct flow *o = oldest_open(r);
		if (!o)
			return NULL;
		r->st.evicted++;
		flow_end(r, o, SS_CLOSE_CAP); /* frees o */
	}
	struct flow *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	/* Half full at most: with many flows every step along a chain is a
	 * cache miss (a flow's key and its link sit in other lines than the
	 * bucket), so short chains are worth a bucket pointer or two more per
	 * flow. At a million flows in lockstep, growing at full load cost a
	 * sixth more CPU time (bench/flows.sh). */
	if (r->st.flows_now >= r->nbuckets / 2)
		grow(r);
	f->key = *k;
	size_t h = key_hash(r, k);
	f->hnext = r->bucket[h];
	r->bucket[h] = f;
	list_append(r, f, k->proto == 6 ? LIST_TCP : LIST_UDP);
	r->st.flows++;
	if (++r->st.flows_now > r->st.flows_peak)
		r->st.flows_peak = r->st.flows_now;
	return f;
}

void table_remove(struct ss_reasm *r, struct flow *f)
{
	struct flow **pp = &r->bucket[key_hash(r, &f->key)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	list_unlink(r, f);
	if (r->last == f)
		r->last = NULL;
	r->st.flows_now--;
	free(f->log);
	free(f);
}

/* Ends flows whose silence has outlasted their timeout, and forgets closed
 * flows whose linger time is over. */
void table_expire(struct ss_reasm *r)
{
	/* Called for every packet: the lists' heads are looked at only once
	 * one of them may be due. */
	if (r->now <= r->expire_at)
		return;
	/* closed flows first: they only wait for late packets */
	int64_t closed_due = closed_expire(r);
	int64_t tcp = table_timeout(r, LIST_TCP), udp = table_timeout(r, LIST_UDP);
	struct flow *f;
	while ((f = r->list[LIST_TCP].head) && r->now - f->pub.last_ts > tcp)
		flow_end(r, f, SS_CLOSE_IDLE); /* frees f */
	while ((f = r->list[LIST_UDP].head) && r->now - f->pub.last_ts > udp)
		flow_end(r, f, SS_CLOSE_IDLE);
	r->expire_at = closed_due;
	for (int l = 0; l < NLISTS; l++) {
		int64_t due = head_due(r, l);
		if (due < r->expire_at)
			r->expire_at = due;
	}
}
