/* hops.c - copies of messages, linked to the copies they were passed on
 * from (see hops.h).
 *
 * The index is keyed by (hash of a copy's first field, its server): a later
 * copy B asks, for each of its top fields, "which copy started with this
 * field and went to the host B comes from?". Keying by the host keeps the
 * chains short when one message is sent many times (load generators send
 * the same bytes thousands of times), and each chain is walked newest first
 * for at most HOPS_MAX_LOOK copies, so a copy costs bounded work. A copy is
 * taken out of its chain in constant time when the oldest are dropped.
 */
#define _POSIX_C_SOURCE 200809L
#include "hops.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
/* libxxhash's own choice of SSE2, AVX2 or AVX-512 at run time: the digest
 * of every message runs twice as fast with AVX2 as with the SSE2 that a
 * generic x86-64 build would use. */
#include <xxh_x86dispatch.h>
#endif

#include "message.h"

/* Copies looked at per field of a new copy: those of its key, and the
 * others its bucket holds (a bucket crowded by another message's copies
 * can then hide an older candidate; the newest are seen). */
#define HOPS_MAX_LOOK 32

/* Copies are made in order and dropped oldest first, so they are laid end
 * to end in chunks, and a chunk goes when its last copy does: a message
 * costs no malloc and no free of its own. */
#define HOPS_CHUNK (256u << 10)

struct chunk {
	struct chunk *next; /* the next younger chunk */
	size_t used, size, live;
	alignas(max_align_t) unsigned char mem[];
};

/* A copy as the table keeps it: what linking a later copy and the
 * timeline's links read, without its texts. The texts are read as the copy
 * is added (the verifier and the journeys keep what they need of them), so
 * only the latest copy's are kept (hops.h); at 100,000 copies that halves
 * the table. */
struct hop {
	uint64_t number, from, flow, frame;
	uint64_t first_field;
	uint64_t key; /* first_field mixed with the server */
	int64_t ts;
	size_t len;
	const char *proto;
	struct chunk *c;    /* where it lives */
	struct hop *chain;  /* the next older copy in the same bucket */
	struct hop **pprev; /* what points at this one */
	struct ss_addr client, server;
	uint16_t client_port, server_port;
	int code;
	uint8_t role, incomplete, partial, exact, added;
	uint8_t digest[16];
};
_Static_assert(sizeof(struct hop) <= HOPS_SLOT_BYTES, "a copy's slot outgrew HOPS_SLOT_BYTES");
_Static_assert(HOPS_MAX_ADDED <= 255, "added is kept in a byte");

struct hops {
	struct hop **ring; /* oldest at ring[head] */
	size_t cap, head, n, max;
	struct hop **bucket;
	size_t nbuckets; /* a power of two */
	uint64_t dropped;
	struct chunk *oldest, *young; /* the chunks, oldest to youngest */
	/* what hops_add and hops_find hand out: the latest copy with its
	 * texts (in texts, texts_size bytes), and an older one without */
	struct vhop latest, found;
	int has_latest;
	char *texts;
	size_t texts_size;
};

/* The key only spreads copies over buckets; every candidate is confirmed
 * by its digest or its field. 0 means "no first field". */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = XXH3_64bits(p, n);
	return h ? h : 1;
}

/* XXH3-128 rather than SHA-256: the digest only tells whether a later
 * copy holds this one's bytes, and every message is hashed, so a
 * cryptographic hash cost a quarter of the whole run. A collision needs
 * the same first field, host and length as well; made on purpose, it
 * could only mark a rewritten copy exact (see hops.h). */
static void digest(const uint8_t *p, size_t n, uint8_t out[16])
{
	XXH128_canonicalFromHash((XXH128_canonical_t *)out, XXH3_128bits(p, n));
}

static uint64_t mix_host(uint64_t fh, const struct ss_addr *a)
{
	uint64_t h = fh ^ a->family;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	h ^= h >> 29;
	return h;
}

struct hops *hops_new(size_t max_hops)
{
	struct hops *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->max = max_hops ? max_hops : 1;
	h->nbuckets = 1024;
	h->bucket = calloc(h->nbuckets, sizeof *h->bucket);
	if (!h->bucket) {
		free(h);
		return NULL;
	}
	return h;
}

/* Room for a copy of n bytes (zeroed), after the youngest copy. */
static struct hop *hop_new(struct hops *h, size_t n)
{
	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	struct chunk *c = h->young;
	if (!c || c->size - c->used < n) {
		size_t size = n > HOPS_CHUNK ? n : HOPS_CHUNK;
		c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		*c = (struct chunk){NULL, 0, size, 0};
		if (h->young)
			h->young->next = c;
		else
			h->oldest = c;
		h->young = c;
	}
	struct hop *p = (struct hop *)(c->mem + c->used);
	memset(p, 0, n);
	p->c = c;
	c->used += n;
	c->live++;
	return p;
}

/* Copies go oldest first (the youngest, when hops_add gives it up, is
 * the last one made): a chunk is freed with its last copy. */
static void hop_free(struct hops *h, struct hop *p)
{
	struct chunk *c = p->c;
	if (--c->live)
		return;
	if (c == h->young) { /* empty now: kept for the next copies */
		c->used = 0;
		return;
	}
	if (c == h->oldest) {
		h->oldest = c->next;
		free(c);
	}
}

void hops_free(struct hops *h)
{
	if (!h)
		return;
	while (h->oldest) {
		struct chunk *c = h->oldest;
		h->oldest = c->next;
		free(c);
	}
	free(h->ring);
	free(h->bucket);
	free(h->texts);
	free(h);
}

uint64_t hops_dropped(const struct hops *h)
{
	return h->dropped;
}

static void unchain(struct hop *p)
{
	*p->pprev = p->chain;
	if (p->chain)
		p->chain->pprev = p->pprev;
}

static void chain(struct hops *h, struct hop *p)
{
	struct hop **b = &h->bucket[p->key & (h->nbuckets - 1)];
	p->chain = *b;
	if (*b)
		(*b)->pprev = &p->chain;
	p->pprev = b;
	*b = p;
}

/* Doubles the buckets once they hold two copies each on average; the
 * chains are rebuilt from the ring so newest-first order is kept. */
static void grow_buckets(struct hops *h)
{
	if (h->n < 2 * h->nbuckets)
		return;
	struct hop **b = calloc(h->nbuckets * 2, sizeof *b);
	if (!b)
		return;
	free(h->bucket);
	h->bucket = b;
	h->nbuckets *= 2;
	for (size_t i = 0; i < h->n; i++) {
		struct hop *p = h->ring[(h->head + i) % h->cap];
		if (p->key)
			chain(h, p);
	}
}

static int ring_push(struct hops *h, struct hop *p)
{
	if (h->n == h->max) {
		struct hop *old = h->ring[h->head];
		if (old->key)
			unchain(old);
		hop_free(h, old);
		h->head = (h->head + 1) % h->cap;
		h->n--;
		h->dropped++;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		if (cap > h->max)
			cap = h->max;
		struct hop **r = malloc(cap * sizeof *r);
		if (!r)
			return -1;
		for (size_t i = 0; i < h->n; i++)
			r[i] = h->ring[(h->head + i) % h->cap];
		free(h->ring);
		h->ring = r;
		h->cap = cap;
		h->head = 0;
	}
	h->ring[(h->head + h->n) % h->cap] = p;
	h->n++;
	return 0;
}

/* The public view of p, without texts. */
static void view(struct vhop *v, const struct hop *p)
{
	*v = (struct vhop){
	    .number = p->number,
	    .proto = p->proto,
	    .role = (enum rec_role)p->role,
	    .flow = p->flow,
	    .client = p->client,
	    .server = p->server,
	    .client_port = p->client_port,
	    .server_port = p->server_port,
	    .ts = p->ts,
	    .frame = p->frame,
	    .len = p->len,
	    .incomplete = p->incomplete,
	    .partial = p->partial,
	    .code = p->code,
	    .from = p->from,
	    .exact = p->exact,
	    .added = p->added,
	    .first_field = p->first_field,
	};
	memcpy(v->digest, p->digest, sizeof v->digest);
}

const struct vhop *hops_find(struct hops *h, uint64_t number)
{
	if (h->has_latest && h->latest.number == number)
		return &h->latest;
	/* numbers grow along the ring: binary search */
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hop *p = h->ring[(h->head + mid) % h->cap];
		if (p->number == number) {
			view(&h->found, p);
			return &h->found;
		}
		if (p->number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t hops_cut_len(const char *text, size_t n, size_t max)
{
	if (n <= max)
		return n;
	/* back to the start of a UTF-8 sequence (of at most 4 bytes): the
	 * Subject is decoded to UTF-8, and a character cut in two would show
	 * as garbage */
	size_t k = max;
	while (k > max - 3 && ((unsigned char)text[k] & 0xC0) == 0x80)
		k--;
	return ((unsigned char)text[k] & 0xC0) == 0x80 ? max : k;
}

/* The room a text of n bytes takes kept within max: cut, marked, NUL. */
static size_t room(const char *s, size_t n, size_t max)
{
	size_t k = hops_cut_len(s, n, max);
	return k + (k < n ? sizeof HOPS_CUT_MARK - 1 : 0) + 1;
}

/* Copies s (n bytes) to *at, cut within max and marked so, NUL-terminated,
 * and moves *at past it. */
static char *put_str(char **at, const char *s, size_t n, size_t max)
{
	char *c = *at;
	size_t k = hops_cut_len(s, n, max);
	if (k)
		memcpy(c, s, k);
	if (k < n) {
		memcpy(c + k, HOPS_CUT_MARK, sizeof HOPS_CUT_MARK - 1);
		k += sizeof HOPS_CUT_MARK - 1;
	}
	c[k] = 0;
	*at += k + 1;
	return c;
}

/* The texts of the copy of r, with their lengths (unset: NULL, 0). */
struct texts {
	const char *s[6]; /* helo, mail_from, user, message_id, subject, author */
	size_t n[6];
};
static const size_t text_max[6] = {HOPS_MAX_PATH,  HOPS_MAX_PATH,  HOPS_MAX_PATH,
                                   HOPS_MAX_FIELD, HOPS_MAX_FIELD, HOPS_MAX_FIELD};

static void texts_of(const struct rec_message *rm, struct texts *t)
{
	memset(t, 0, sizeof *t);
	if (rm->role == RR_TRANSFER) {
		t->s[0] = (const char *)rm->helo.p;
		t->n[0] = rm->helo.len;
		t->s[1] = (const char *)rm->mail_from.p;
		t->n[1] = rm->mail_from.len;
		/* both are there, "" at least */
		if (!t->s[0])
			t->s[0] = "";
		if (!t->s[1])
			t->s[1] = "";
	} else if (rm->user.len) {
		t->s[2] = (const char *)rm->user.p;
		t->n[2] = rm->user.len;
	}
	if (rm->msg) {
		const char *f[3] = {rm->msg->message_id, rm->msg->subject, rm->msg->from};
		for (int i = 0; i < 3; i++)
			if (f[i]) {
				t->s[3 + i] = f[i];
				t->n[3 + i] = strlen(f[i]);
			}
	}
}

/* The room the texts take, each cut, marked and NUL-terminated. */
static size_t texts_size(const struct texts *t)
{
	size_t n = 0;
	for (int i = 0; i < 6; i++)
		if (t->s[i])
			n += room(t->s[i], t->n[i], text_max[i]);
	return n;
}

/* A copy's slot in its chunk, aligned. */
static size_t slot_size(void)
{
	return (sizeof(struct hop) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
}

size_t hops_cost(const struct ss_record *r)
{
	if (r->kind != REC_MESSAGE)
		return 0;
	struct texts t;
	texts_of(&r->u.msg, &t);
	return slot_size() + texts_size(&t);
}

/* Finds the copy b was passed on from: for each of b's top fields, the
 * copies that started with it and went to the host b comes from. An
 * exact match (the rest of b is that copy, byte for byte) wins; else the
 * first copy whose first field is found, topmost. */
static void link_copy(struct hops *h, struct hop *b, const struct msg *m, const uint8_t *data)
{
	/* a transfer came from its client; a retrieval from the mailbox the
	 * server holds, where a transfer delivered it */
	const struct ss_addr *host = b->role == RR_TRANSFER ? &b->client : &b->server;
	const struct hop *loose = NULL;
	size_t loose_k = 0;
	size_t top = m->nfields < HOPS_MAX_ADDED + 1 ? m->nfields : HOPS_MAX_ADDED + 1;
	for (size_t k = 0; k < top; k++) {
		const struct msg_field *f = &m->fields[k];
		uint64_t key = mix_host(hash_bytes(data + f->off, f->len), host);
		size_t looked = 0;
		for (const struct hop *a = h->bucket[key & (h->nbuckets - 1)];
		     a && looked++ < HOPS_MAX_LOOK; a = a->chain) {
			if (a->key != key || a == b || a->role != RR_TRANSFER ||
			    ss_addr_cmp(&a->server, host))
				continue;
			if (a->len == b->len - f->off) {
				uint8_t d[16];
				digest(data + f->off, a->len, d);
				if (!memcmp(d, a->digest, sizeof d)) {
					b->from = a->number;
					b->exact = 1;
					b->added = (uint8_t)k;
					return;
				}
			}
			if (!loose) {
				loose = a;
				loose_k = k;
			}
		}
	}
	if (loose) {
		b->from = loose->number;
		b->added = (uint8_t)loose_k;
	}
}

const struct vhop *hops_add(struct hops *h, const struct ss_record *r)
{
	if (r->kind != REC_MESSAGE)
		return NULL;
	const struct rec_message *rm = &r->u.msg;
	int smtp = rm->role == RR_TRANSFER;
	h->has_latest = 0; /* the copy before is no longer the latest, whatever happens */
	struct texts t;
	texts_of(rm, &t);
	size_t need = texts_size(&t);
	if (need > h->texts_size) {
		char *b = realloc(h->texts, need);
		if (!b)
			return NULL;
		h->texts = b;
		h->texts_size = need;
	}
	struct hop *p = hop_new(h, slot_size());
	if (!p)
		return NULL;
	p->number = rm->number;
	p->proto = rm->proto;
	p->role = (uint8_t)rm->role;
	if (r->flow) {
		p->flow = r->flow->id;
		p->client = r->flow->ep[SS_C2S].addr;
		p->server = r->flow->ep[SS_S2C].addr;
		p->client_port = r->flow->ep[SS_C2S].port;
		p->server_port = r->flow->ep[SS_S2C].port;
	}
	p->ts = rm->ts_end;
	p->frame = rm->frame_end;
	p->len = rm->data.len;
	p->incomplete = rm->incomplete != 0;
	p->partial = rm->partial != 0;
	p->code = rm->code;
	digest(rm->data.p, rm->data.len, p->digest);
	if (rm->msg && rm->msg->nfields) {
		const struct msg_field *f = &rm->msg->fields[0];
		p->first_field = hash_bytes(rm->data.p + f->off, f->len);
		if (!rm->partial)
			link_copy(h, p, rm->msg, rm->data.p);
		/* only SMTP copies are passed on by their server */
		if (smtp && !rm->incomplete)
			p->key = mix_host(p->first_field, &p->server);
	}
	if (ring_push(h, p)) {
		hop_free(h, p);
		return NULL;
	}
	if (p->key) {
		chain(h, p);
		grow_buckets(h);
	}
	/* the latest copy, with its texts */
	struct vhop *v = &h->latest;
	view(v, p);
	char *at = h->texts;
	char **dst[6] = {&v->helo,       &v->mail_from, &v->user,
	                 &v->message_id, &v->subject,   &v->author};
	for (int i = 0; i < 6; i++)
		if (t.s[i])
			*dst[i] = put_str(&at, t.s[i], t.n[i], text_max[i]);
	h->has_latest = 1;
	return v;
}
