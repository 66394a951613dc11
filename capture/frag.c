/* frag.c - IPv4 and IPv6 fragment reassembly.
 *
 * Policy on overlaps: IPv4 keeps the first copy of each byte and raises
 * frag_overlap_conflict when a later copy differs (the same rule reassembly/
 * uses for TCP); IPv6 drops the whole datagram on any overlap that is not an
 * exact duplicate, as RFC 5722 and RFC 8200 4.5 require.
 *
 * Cost: a datagram may come as 8192 eight-byte fragments in any order, and
 * a capture as millions. The pieces of a datagram are a sorted list, and
 * also a treap (a search tree balanced by random priorities) keyed by
 * offset, so placing a fragment costs O(log n), appending one O(1); the
 * datagram is whole when its bytes add up, with no walk over the list.
 *
 * Memory: --max-frag-mem bounds what the fragments held take, not only
 * their payload. An eight-byte fragment held as a piece costs its node and
 * the allocator's header besides: 64 bytes in all, eight times its payload,
 * so counting payload alone let the default 32M hold some 230 MB (issue 16,
 * finding 2). Each piece counts FRAG_PIECE_COST of its length and each
 * datagram FRAG_DGRAM_COST, as reassembly/tcp.c counts a queued segment
 * with its header (SEG_COST).
 */
#include "frag.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "sstime.h"
#include "treap.h"

#define NBUCKETS 1024    /* datagrams under reassembly are few; chains stay short */
#define MAX_DGRAM 65535u /* no IP datagram (jumbograms aside) is longer */

struct piece {
	struct ss_tnode t;  /* first: the treap over the pieces (util/treap.h) */
	struct piece *next; /* sorted by off, never overlapping */
	uint32_t off, len;
	uint8_t data[];
};

/* What a piece of len bytes and a datagram hold in memory: their struct,
 * the bytes, and the allocator's header and rounding (glibc's: 8 bytes,
 * rounded up to 16). */
#define PIECE_COST(len) ((uint64_t)sizeof(struct piece) + (len) + 16)
#define DGRAM_COST ((uint64_t)sizeof(struct dgram) + 16)

struct dgram {
	struct dgram *hnext;         /* hash chain */
	struct dgram *older, *newer; /* age list, for timeouts and eviction */
	struct frag_key key;
	int64_t first_ts;
	uint64_t first_frame;
	struct piece *pieces;
	struct ss_tnode *root; /* the treap over the pieces */
	struct piece *last;    /* the last piece */
	uint32_t total;        /* payload length, known once the last fragment came */
	uint32_t held;         /* payload bytes in pieces */
	uint64_t mem;          /* bytes counted for it: DGRAM_COST, PIECE_COST of each piece */
	uint32_t nfrags;
	uint8_t have_last, have_first, next;
};

struct frag_store {
	const struct ss_caps *caps;
	struct dgram *bucket[NBUCKETS];
	struct dgram *oldest, *newest;
	uint64_t count;
	uint64_t mem; /* bytes counted for all datagrams, against max_frag_mem */
	uint8_t *out; /* the last completed datagram, handed out by frag_add() */
	struct frag_stats st;
};

struct frag_store *frag_new(const struct ss_caps *caps)
{
	struct frag_store *s = calloc(1, sizeof *s);
	if (s)
		s->caps = caps;
	return s;
}

static unsigned key_hash(const struct frag_key *k)
{
	/* FNV-1a: the key has no padding holes (see key_make in ip.c: memset). */
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof *k; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % NBUCKETS;
}

static void dgram_drop(struct frag_store *s, struct dgram *d)
{
	struct dgram **pp = &s->bucket[key_hash(&d->key)];
	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->older)
		d->older->newer = d->newer;
	else
		s->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		s->newest = d->older;
	for (struct piece *p = d->pieces, *n; p; p = n) {
		n = p->next;
		free(p);
	}
	s->mem -= d->mem;
	s->st.mem = s->mem;
	s->count--;
	free(d);
}

void frag_free(struct frag_store *s)
{
	if (!s)
		return;
	while (s->oldest)
		dgram_drop(s, s->oldest);
	free(s->out);
	free(s);
}

static void say(const struct dgram *d, const char *what, const struct ss_frame *f, const char *why)
{
	char a[SS_ADDR_STRLEN], b[SS_ADDR_STRLEN];
	ss_eventf("frag", what, f ? f->num : d->first_frame, f ? f->ts : d->first_ts, 0, -1,
	          "IPv%d %s > %s id 0x%x (first fragment frame %llu): %s", d->key.src.family,
	          ss_addr_fmt(&d->key.src, a), ss_addr_fmt(&d->key.dst, b), (unsigned)d->key.id,
	          (unsigned long long)d->first_frame, why);
}

void frag_expire(struct frag_store *s, int64_t now)
{
	int64_t limit = (int64_t)s->caps->frag_timeout * SS_NS_PER_SEC;
	while (s->oldest && now - s->oldest->first_ts > limit) {
		say(s->oldest, "frag_timeout", NULL,
		    "fragments missing when its time ran out; dropped");
		s->st.timed_out++;
		dgram_drop(s, s->oldest);
	}
}

static struct dgram *dgram_find(struct frag_store *s, const struct frag_key *k,
                                const struct ss_frame *f)
{
	unsigned h = key_hash(k);
	for (struct dgram *d = s->bucket[h]; d; d = d->hnext)
		if (!memcmp(&d->key, k, sizeof *k))
			return d;
	while (s->oldest && s->count >= s->caps->max_frag_dgrams) {
		say(s->oldest, "frag_evicted", f,
		    "too many datagrams under reassembly (--max-frag-dgrams); dropped");
		s->st.evicted++;
		dgram_drop(s, s->oldest);
	}
	struct dgram *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->key = *k;
	d->mem = DGRAM_COST;
	s->mem += DGRAM_COST;
	d->first_ts = f->ts;
	d->first_frame = f->num;
	d->hnext = s->bucket[h];
	s->bucket[h] = d;
	d->older = s->newest;
	if (s->newest)
		s->newest->newer = d;
	else
		s->oldest = d;
	s->newest = d;
	s->count++;
	return d;
}

/* Adds a piece right after prev (NULL: first). In the treap it becomes a
 * leaf: prev's right child when prev has none, else the left child of
 * prev's successor, which then has none. */
static int piece_insert(struct frag_store *s, struct dgram *d, struct piece *prev, uint32_t off,
                        const uint8_t *p, uint32_t len)
{
	struct piece *n = malloc(sizeof *n + len);
	if (!n)
		return -1;
	n->off = off;
	n->len = len;
	memcpy(n->data, p, len);
	struct piece *next = prev ? prev->next : d->pieces;
	n->next = next;
	if (prev)
		prev->next = n;
	else
		d->pieces = n;
	if (!next)
		d->last = n;
	ss_treap_insert(&d->root, prev ? &prev->t : NULL, next ? &next->t : NULL, &n->t);
	d->held += len;
	d->mem += PIECE_COST(len);
	s->mem += PIECE_COST(len);
	if (s->mem > s->st.mem_peak)
		s->st.mem_peak = s->mem;
	s->st.mem = s->mem;
	return 0;
}

/* The last piece of d that ends at or before pos; NULL when none does. */
static struct piece *piece_before(const struct dgram *d, uint32_t pos)
{
	if (!d->pieces || d->pieces->off + d->pieces->len > pos)
		return NULL;
	if (d->last->off + d->last->len <= pos)
		return d->last; /* fragments in order: appended */
	struct piece *best = NULL;
	for (struct ss_tnode *t = d->root; t;) {
		struct piece *x = (struct piece *)(void *)t; /* t is its first member */
		if (x->off + x->len <= pos) {
			best = x;
			t = t->r;
		} else {
			t = t->l;
		}
	}
	return best;
}

/* Adds [off, off+len) keeping the first copy of every byte. Returns -1 when
 * the datagram must be dropped (IPv6 overlap, out of memory). The walk
 * visits only the pieces the fragment overlaps. */
static int pieces_merge(struct frag_store *s, struct dgram *d, uint32_t off, const uint8_t *p,
                        uint32_t len, const struct ss_frame *f)
{
	uint32_t pos = off, end = off + len;
	int v6 = d->key.src.family == SS_AF_INET6, conflict = 0;
	struct piece *prev = piece_before(d, off);
	for (struct piece *q = prev ? prev->next : d->pieces; q && pos < end;
	     prev = q, q = q->next) {
		uint32_t qend = q->off + q->len;
		if (qend <= pos)
			continue;
		if (q->off >= end)
			break;
		if (v6) {
			/* RFC 8200 4.5: an exact duplicate may be dropped on its own. */
			if (q->off == off && q->len == len && !memcmp(q->data, p, len))
				return 0;
			s->st.overlaps++;
			say(d, "frag_overlap", f,
			    "IPv6 fragments overlap (RFC 5722): datagram dropped");
			return -1;
		}
		if (q->off > pos) {
			if (piece_insert(s, d, prev, pos, p + (pos - off), q->off - pos))
				return -1;
			prev = prev ? prev->next : d->pieces; /* the new piece, before q */
			pos = q->off;
		}
		uint32_t ov_end = qend < end ? qend : end;
		if (memcmp(q->data + (pos - q->off), p + (pos - off), ov_end - pos))
			conflict = 1;
		pos = ov_end;
	}
	if (pos < end && piece_insert(s, d, prev, pos, p + (pos - off), end - pos))
		return -1;
	if (conflict) {
		s->st.overlaps++;
		say(d, "frag_overlap_conflict", f,
		    "overlapping IPv4 fragments differ; the first copy is kept");
	}
	return 0;
}

int frag_add(struct frag_store *s, const struct frag_key *k, uint32_t off, const uint8_t *p,
             uint32_t len, int more, uint8_t next, const struct ss_frame *f, struct frag_done *out)
{
	s->st.fragments++;
	frag_expire(s, f->ts);
	struct dgram *d = dgram_find(s, k, f);
	if (!d)
		return -1;
	d->nfrags++;
	const char *bad = NULL;
	if (off + (uint64_t)len > MAX_DGRAM)
		bad = "fragment reaches past 65535 bytes";
	else if (more && len % 8)
		bad = "a fragment other than the last is not a multiple of 8 bytes";
	else if (!more && d->have_last && off + len != d->total)
		bad = "two last fragments disagree on the length";
	else if (d->have_last && off + len > d->total)
		bad = "fragment reaches past the last fragment";
	else if (!more && d->last && d->last->off + d->last->len > off + len)
		bad = "data lies past the last fragment";
	if (bad) {
		s->st.malformed++;
		say(d, "frag_malformed", f, bad);
		dgram_drop(s, d);
		return -1;
	}
	if (!more) {
		d->have_last = 1;
		d->total = off + len;
	}
	if (off == 0) {
		d->have_first = 1;
		d->next = next;
	}
	if (pieces_merge(s, d, off, p, len, f)) {
		dgram_drop(s, d);
		return -1;
	}
	while (s->mem > s->caps->max_frag_mem && s->oldest) {
		struct dgram *o = s->oldest;
		say(o, "frag_evicted", f, "fragment memory is full (--max-frag-mem); dropped");
		s->st.evicted++;
		dgram_drop(s, o);
		if (o == d)
			return -1;
	}
	/* Pieces never overlap and all lie below total (the checks above): they
	 * cover it exactly when their bytes add up to it. */
	if (!d->have_last || !d->have_first || d->held != d->total)
		return 0;

	free(s->out);
	s->out = malloc(d->total ? d->total : 1);
	if (!s->out) {
		dgram_drop(s, d);
		return -1;
	}
	for (struct piece *q = d->pieces; q; q = q->next)
		memcpy(s->out + q->off, q->data, q->len);
	out->p = s->out;
	out->len = d->total;
	out->next = d->next;
	out->first_frame = d->first_frame;
	out->nfrags = d->nfrags;
	s->st.reassembled++;
	dgram_drop(s, d);
	return 1;
}

const struct frag_stats *frag_stats(const struct frag_store *s)
{
	return &s->st;
}

uint64_t frag_piece_cost(uint32_t len)
{
	return PIECE_COST(len);
}

uint64_t frag_dgram_cost(void)
{
	return DGRAM_COST;
}
