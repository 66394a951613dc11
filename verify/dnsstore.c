/* dnsstore.c - the captured-DNS store (RFC 1035 4.1, 4.3.2; RFC 2308 for
 * NXDOMAIN and NODATA).
 *
 * Answers are kept per (name, type) in the order they were captured; a
 * lookup picks among them by who asked and when, and hands back a copy in
 * one of DNS_STORE_HOLD slots, so that no lookup grows the store (hostile
 * messages can make a verifier look up any number of names). A CNAME in a
 * response is followed within that response, as a resolver would hand the
 * result to the verifier. Questions that got no readable answer are kept
 * beside them, so that a lookup that finds nothing can say whether anyone
 * asked.
 *
 * Memory (issue 16, finding 2): up to 1M answers were kept, each with its
 * ldns records, which take some 15 times their bytes on the wire once
 * parsed; a capture of 64 KB answers over TCP could make that tens of GB.
 * Every byte the store holds for the input now counts against its cap
 * (--dns-mem): the ldns records of each answer as glibc's malloc sizes each
 * allocation (rr_list_cost), each kept answer, question and (name, type)
 * entry, the table and the queue that order them, the names of the zones.
 * With glibc, what malloc gave out is within 5% of the count; with
 * mimalloc, which the release links, the process holds 0.70 to 0.88 of it
 * (its size classes have no header). Past the cap
 * the oldest captured answers and questions go first, whole. A message is
 * checked against the answers nearest its own time, at most --verify-wait
 * after it was passed on, so what goes is what lies furthest behind the
 * messages still to be checked; a lookup that then finds nothing for a
 * name whose answers went says so (DNS_MISS_LET_GO), not "nobody asked".
 * An answer is let go only by dns_store_add: never while a check, which
 * only looks up, holds it. Zone files and dns_store_put's answers are the
 * operator's: counted, never let go. What a zone file says of a name it
 * lacks (NXDOMAIN, or NODATA when names lie below it) is worked out at each
 * lookup from the set of its names, no longer kept as an answer - which
 * also made it depend on what had been looked up before.
 */
#define _POSIX_C_SOURCE 200809L
#include "dnsstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstext.h"
#include "event.h"
#include "memacct.h"

#define NBUCKETS 4096 /* to start with; doubled as entries come (table_grow) */
#define ZBUCKETS 1024
#define MAX_ZONES 64
#define GONE_BITS (1u << 16) /* names whose answers went, as hashed bits */

/* A question for which the capture holds no readable answer. */
struct asked {
	struct ss_addr by; /* who asked */
	int64_t ts;        /* when */
	uint64_t frame;
	uint64_t bad_frame; /* the answer that did not parse, or 0: none came */
};

/* An answer as kept: struct dns_answer without the name and type, which
 * its entry holds once for all its answers. */
struct kept {
	ldns_rr_list *rrs;
	const char *zone;
	int64_t ts;
	uint64_t frame;
	uint64_t cost; /* bytes counted for rrs */
	struct ss_addr asker, server;
	int rcode;
	uint32_t ttl;
	uint8_t kind, truncated;
};

struct entry {
	struct entry *next; /* hash chain */
	struct kept *a;     /* captured answers, oldest first: a[first..n) */
	size_t first, n, cap;
	struct kept *z; /* zone files' and dns_store_put's, in the order put */
	size_t nz, zcap;
	struct asked *asked; /* DNS_STORE_ASKED_EACH slots once one came, oldest first */
	size_t nasked;
	uint16_t type;
	char name[]; /* lower case, no final dot */
};

/* The captured answers and questions in the order they came: what goes
 * first past the cap. Each refers to the oldest of its kind in its entry
 * when it reaches the front, as both are kept in that order. */
struct item {
	struct entry *e;
	int question;
};

/* A name at or above a zone file's records (in_zone). */
struct zname {
	struct zname *next;
	char name[];
};

/* What the first answer let go by one add was, for the event. */
struct went {
	char name[256];
	uint16_t type;
	uint64_t frame;
	int question;
};

struct dns_store {
	struct entry **bucket; /* nbuckets chains, a power of 2 */
	size_t nbuckets, nentries;
	struct item *fifo; /* ring, oldest at fifo[fhead] */
	size_t fhead, fn, fcap;
	uint64_t cap;
	struct dns_store_stats st;
	uint8_t gone[GONE_BITS / 8];
	struct dns_answer slot[DNS_STORE_HOLD]; /* what lookups hand out, in turn */
	size_t next_slot;
	struct zname *zset[ZBUCKETS];
	char *zone_origin[MAX_ZONES]; /* lower case, no final dot */
	char *zone_path[MAX_ZONES];
	size_t nzones;
	char **names; /* the zone names given to dns_store_put, owned */
	size_t nnames;
	uint64_t records; /* REC_DNS records seen, readable or not */
	int ended;        /* dns_store_end: every question is in */
};

/* Every store's bytes together: a store that gives back all it took leaves
 * it where it was. */
static struct memacct all_stores;

/* --- counting ----------------------------------------------------------------- */

/* What malloc(n) takes with glibc's allocator: n and its 8-byte header,
 * rounded up to 16, at least 32. */
static uint64_t chunk(size_t n)
{
	uint64_t c = ((uint64_t)n + 8 + 15) & ~(uint64_t)15;
	return c < 32 ? 32 : c;
}

static uint64_t rdf_cost(const ldns_rdf *f)
{
	return f ? chunk(sizeof(ldns_rdf)) + chunk(ldns_rdf_size(f)) : 0;
}

/* What ldns allocates for a list of rrs made by ldns_rr_clone() and
 * ldns_rr_list_push_rr(): the list, its array of pointers (its capacity,
 * doubled from 8), and per rr the rr, its owner, its array of rdata
 * pointers, each rdata field. Measured against the allocator's own count
 * by tests/unit/test_dnsmem.c. */
static uint64_t rr_list_cost(const ldns_rr_list *l)
{
	if (!l)
		return 0;
	uint64_t c = chunk(sizeof *l);
	if (l->_rr_capacity) /* a public field of ldns/rr.h: no accessor gives it */
		c += chunk(l->_rr_capacity * sizeof(ldns_rr *));
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		size_t nf = ldns_rr_rd_count(rr);
		c += chunk(sizeof(ldns_rr)) + rdf_cost(ldns_rr_owner(rr));
		if (nf)
			c += chunk(nf * sizeof(ldns_rdf *));
		for (size_t k = 0; k < nf; k++)
			c += rdf_cost(ldns_rr_rdf(rr, k));
	}
	return c;
}

static void take(struct dns_store *s, uint64_t n)
{
	s->st.mem += n;
	if (s->st.mem > s->st.peak)
		s->st.peak = s->st.mem;
	memacct_take(&all_stores, UINT64_MAX, (size_t)n);
}

static void give(struct dns_store *s, uint64_t n)
{
	s->st.mem -= n;
	memacct_give(&all_stores, (size_t)n);
}

/* Storage of cap items of size each, as counted (0 for none). */
static uint64_t array_cost(size_t cap, size_t each)
{
	return cap ? chunk(cap * each) : 0;
}

uint64_t dns_store_held_all(void)
{
	return memacct_held(&all_stores);
}

const struct dns_store_stats *dns_store_stats(const struct dns_store *s)
{
	return &s->st;
}

/* --- names and entries ---------------------------------------------------------- */

/* name -> lower case without the final dot, into out (256 bytes). */
static void norm(const char *name, char out[256])
{
	size_t n = 0;
	for (; name[n] && n < 255; n++)
		out[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] + 32 : name[n]);
	if (n && out[n - 1] == '.')
		n--;
	out[n] = 0;
}

static void rdf_name(const ldns_rdf *r, char out[256])
{
	char *s = r ? ldns_rdf2str(r) : NULL;
	norm(s ? s : "", out);
	free(s);
}

static uint32_t fnv(const char *name, uint32_t h)
{
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static size_t hash(const struct dns_store *s, const char *name, uint16_t type)
{
	return fnv(name, 2166136261u ^ type) & (s->nbuckets - 1);
}

/* The bit of name and type in s->gone: set once an answer or question of
 * theirs went. Another name may share it: a miss then says "may". */
static unsigned gone_bit(const char *name, uint16_t type)
{
	return (fnv(name, 0x9e3779b9u ^ type) >> 7) % GONE_BITS;
}

static uint64_t entry_cost(const struct entry *e)
{
	return chunk(sizeof *e + strlen(e->name) + 1);
}

/* The table's storage as counted: its first NBUCKETS chains are part of
 * the store's fixed cost, as its answer slots are; what it grows to with
 * the entries is counted. */
static uint64_t table_cost(size_t nbuckets)
{
	return nbuckets > NBUCKETS ? array_cost(nbuckets, sizeof(struct entry *)) : 0;
}

/* Doubles the table once it holds as many entries as chains, so that a
 * chain stays short whatever the capture asks (a million entries in 4096
 * chains made adding an answer cost 17 us). Counted as the rest. */
static void table_grow(struct dns_store *s)
{
	size_t n = s->nbuckets * 2;
	struct entry **b = calloc(n, sizeof *b);
	if (!b)
		return; /* longer chains, nothing worse */
	take(s, table_cost(n));
	for (size_t h = 0; h < s->nbuckets; h++)
		for (struct entry *e = s->bucket[h], *next; e; e = next) {
			next = e->next;
			size_t k = fnv(e->name, 2166136261u ^ e->type) & (n - 1);
			e->next = b[k];
			b[k] = e;
		}
	give(s, table_cost(s->nbuckets));
	free(s->bucket);
	s->bucket = b;
	s->nbuckets = n;
}

/* What table_grow() would take on the next new entry: the new table whole,
 * as the old is still held while the entries move. */
static uint64_t table_growth(const struct dns_store *s)
{
	return s->nentries + 1 > s->nbuckets ? table_cost(s->nbuckets * 2) : 0;
}

static struct entry *entry_get(struct dns_store *s, const char *name, uint16_t type, int make)
{
	size_t h = hash(s, name, type);
	for (struct entry *e = s->bucket[h]; e; e = e->next)
		if (e->type == type && !strcmp(e->name, name))
			return e;
	if (!make)
		return NULL;
	size_t len = strlen(name);
	struct entry *e = calloc(1, sizeof *e + len + 1);
	if (!e)
		return NULL;
	if (s->nentries + 1 > s->nbuckets) {
		table_grow(s);
		h = hash(s, name, type);
	}
	memcpy(e->name, name, len + 1);
	e->type = type;
	e->next = s->bucket[h];
	s->bucket[h] = e;
	s->nentries++;
	take(s, entry_cost(e));
	return e;
}

/* Frees e if it keeps nothing any more. */
static void entry_drop_if_empty(struct dns_store *s, struct entry *e)
{
	if (e->first < e->n || e->nz || e->nasked)
		return;
	struct entry **pp = &s->bucket[hash(s, e->name, e->type)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	s->nentries--;
	give(s,
	     array_cost(e->cap, sizeof *e->a) + array_cost(e->zcap, sizeof *e->z) + entry_cost(e));
	free(e->a);
	free(e->z);
	free(e);
}

static void kept_free(struct dns_store *s, struct kept *k)
{
	ldns_rr_list_deep_free(k->rrs);
	give(s, k->cost);
	k->rrs = NULL;
}

/* Room for one more kept answer at the end of *a (n of cap in use, the
 * first `first` already gone): moved down when the front is free, else
 * grown. NULL when there is no memory. */
static struct kept *kept_append(struct dns_store *s, struct kept **a, size_t *first, size_t *n,
                                size_t *cap)
{
	if (*first && *n == *cap) {
		memmove(*a, *a + *first, (*n - *first) * sizeof **a);
		*n -= *first;
		*first = 0;
	}
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 2;
		struct kept *p = realloc(*a, c * sizeof *p);
		if (!p)
			return NULL;
		take(s, array_cost(c, sizeof *p)); /* both held while it moves */
		give(s, array_cost(*cap, sizeof *p));
		*a = p;
		*cap = c;
	}
	struct kept *k = &(*a)[(*n)++];
	memset(k, 0, sizeof *k);
	return k;
}

/* --- the order of what came, and letting it go --------------------------------- */

static int fifo_push(struct dns_store *s, struct entry *e, int question)
{
	if (s->fn == s->fcap) {
		size_t c = s->fcap ? s->fcap * 2 : 64;
		struct item *q = malloc(c * sizeof *q);
		if (!q)
			return -1;
		take(s, array_cost(c, sizeof *q)); /* both held while it moves */
		for (size_t i = 0; i < s->fn; i++)
			q[i] = s->fifo[(s->fhead + i) % s->fcap];
		give(s, array_cost(s->fcap, sizeof *q));
		free(s->fifo);
		s->fifo = q;
		s->fcap = c;
		s->fhead = 0;
	}
	s->fifo[(s->fhead + s->fn++) % s->fcap] = (struct item){e, question};
	return 0;
}

static struct item fifo_pop(struct dns_store *s)
{
	struct item it = s->fifo[s->fhead];
	s->fhead = (s->fhead + 1) % s->fcap;
	s->fn--;
	/* a flood gone, its queue goes with it */
	if (s->fcap > 64 && s->fn <= s->fcap / 4) {
		size_t c = s->fcap / 2;
		struct item *q = malloc(c * sizeof *q);
		if (q) {
			for (size_t i = 0; i < s->fn; i++)
				q[i] = s->fifo[(s->fhead + i) % s->fcap];
			give(s, array_cost(s->fcap, sizeof *q));
			take(s, array_cost(c, sizeof *q));
			free(s->fifo);
			s->fifo = q;
			s->fcap = c;
			s->fhead = 0;
		}
	}
	return it;
}

/* Lets go the oldest captured answer or question of it.e; notes it in w
 * when w is not NULL. */
static void let_go(struct dns_store *s, struct item it, struct went *w)
{
	struct entry *e = it.e;
	uint64_t frame;
	if (it.question) {
		frame = e->asked[0].frame;
		memmove(e->asked, e->asked + 1, (e->nasked - 1) * sizeof *e->asked);
		if (!--e->nasked) {
			give(s, array_cost(DNS_STORE_ASKED_EACH, sizeof *e->asked));
			free(e->asked);
			e->asked = NULL;
		}
		s->st.questions--;
	} else {
		struct kept *k = &e->a[e->first++];
		frame = k->frame;
		kept_free(s, k);
		s->st.answers--;
		size_t live = e->n - e->first;
		if (!live) {
			give(s, array_cost(e->cap, sizeof *e->a));
			free(e->a);
			e->a = NULL;
			e->first = e->n = e->cap = 0;
		} else if (e->cap > 8 && live <= e->cap / 4) {
			/* most of it gone: moved down and halved */
			memmove(e->a, e->a + e->first, live * sizeof *e->a);
			e->first = 0;
			e->n = live;
			struct kept *a = realloc(e->a, e->cap / 2 * sizeof *a);
			if (a) {
				give(s, array_cost(e->cap, sizeof *a));
				take(s, array_cost(e->cap / 2, sizeof *a));
				e->a = a;
				e->cap /= 2;
			}
		}
	}
	unsigned b = gone_bit(e->name, e->type);
	s->gone[b / 8] |= (uint8_t)(1u << (b % 8));
	if (w) {
		snprintf(w->name, sizeof w->name, "%s", e->name);
		w->type = e->type;
		w->frame = frame;
		w->question = it.question;
	}
	s->st.let_go++;
	entry_drop_if_empty(s, e);
}

/* What letting go did, for its event. */
struct trimmed {
	uint64_t answers, questions; /* older ones let go */
	struct went first;           /* the first of them */
	int by_count;                /* DNS_STORE_MAX_ANSWERS, not the cap, made room */
	int refused;                 /* the newest went too: it did not fit */
};

static int over(const struct dns_store *s, uint64_t need, int answer)
{
	return s->st.mem > s->cap || need > s->cap - s->st.mem ||
	       (answer && s->st.answers >= DNS_STORE_MAX_ANSWERS);
}

static void let_go_oldest(struct dns_store *s, struct trimmed *t)
{
	struct item it = fifo_pop(s);
	let_go(s, it, t->answers + t->questions ? NULL : &t->first);
	if (it.question)
		t->questions++;
	else
		t->answers++;
}

/* Before a captured answer or question is added: lets the oldest go until
 * need more bytes fit within the cap, and one more answer within
 * DNS_STORE_MAX_ANSWERS. */
static void make_room(struct dns_store *s, uint64_t need, int answer, struct trimmed *t)
{
	while (s->fn && over(s, need, answer)) {
		t->by_count |= answer && s->st.answers >= DNS_STORE_MAX_ANSWERS;
		let_go_oldest(s, t);
	}
}

/* After it was added: should it still not fit (more than the cap for
 * zone files and the like), the oldest go, and last the newest itself,
 * which is then refused. */
static void trim(struct dns_store *s, struct trimmed *t)
{
	while (s->fn && (s->st.mem > s->cap || s->st.answers > DNS_STORE_MAX_ANSWERS)) {
		if (s->fn == 1) {
			let_go(s, fifo_pop(s), NULL);
			s->st.let_go--;
			s->st.refused++;
			t->refused = 1;
			return;
		}
		let_go_oldest(s, t);
	}
}

/* "1 answer", "3 questions": n of what, or nothing when n is 0. */
static const char *count_of(char *out, size_t cap, uint64_t n, const char *what)
{
	if (!n)
		snprintf(out, cap, "%s", "");
	else
		snprintf(out, cap, "%llu %s%s", (unsigned long long)n, what, n == 1 ? "" : "s");
	return out;
}

/* Says what went in one event, at the frame of what came. */
static void say(const struct dns_store *s, const struct trimmed *t, uint64_t frame, int64_t ts,
                const char *what)
{
	if (t->answers || t->questions) {
		char ty[16], a[40], q[40], why[80];
		if (t->by_count)
			snprintf(why, sizeof why, "%u answers", DNS_STORE_MAX_ANSWERS);
		else
			snprintf(why, sizeof why, "--dns-mem (%llu bytes)",
			         (unsigned long long)s->cap);
		ss_eventf(
		    "verify", "dns_mem", frame, ts, 0, -1,
		    "the captured DNS kept reached %s: %s%s%s let go, the oldest first (the %s "
		    "%s %s of frame %llu); a message checked later may find no answer for them",
		    why, count_of(a, sizeof a, t->answers, "answer"),
		    t->answers && t->questions ? " and " : "",
		    count_of(q, sizeof q, t->questions, "question"),
		    t->first.question ? "question" : "answer", dnstext_type(t->first.type, ty),
		    t->first.name, (unsigned long long)t->first.frame);
	}
	if (t->refused)
		ss_eventf("verify", "dns_mem", frame, ts, 0, -1,
		          "the %s of this frame is not kept: the captured DNS has no room left "
		          "for it within --dns-mem (%llu bytes)",
		          what, (unsigned long long)s->cap);
}

/* What adding a captured answer or question of name and type takes
 * besides its records: a new entry, or the entry's storage grown; the
 * queue grown. Storage that grows counts whole, as the old is still held
 * while its items move. */
static uint64_t bookkeeping(struct dns_store *s, const char *name, uint16_t type, int question)
{
	const struct entry *e = entry_get(s, name, type, 0);
	uint64_t n = 0;
	if (!e)
		n += chunk(sizeof *e + strlen(name) + 1) + table_growth(s);
	if (question && (!e || !e->asked))
		n += array_cost(DNS_STORE_ASKED_EACH, sizeof(struct asked));
	if (!question && (!e || (e->n == e->cap && !e->first)))
		n += array_cost(e && e->cap ? e->cap * 2 : 2, sizeof(struct kept));
	if (s->fn == s->fcap)
		n += array_cost(s->fcap ? s->fcap * 2 : 64, sizeof(struct item));
	return n;
}

/* --- the store ------------------------------------------------------------------ */

struct dns_store *dns_store_new_cap(uint64_t max_mem)
{
	struct dns_store *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cap = max_mem;
	s->nbuckets = NBUCKETS;
	if (!(s->bucket = calloc(s->nbuckets, sizeof *s->bucket))) {
		free(s);
		return NULL;
	}
	return s;
}

struct dns_store *dns_store_new(void)
{
	return dns_store_new_cap(DNS_STORE_MEM_DEFAULT);
}

static uint64_t str_cost(const char *p)
{
	return p ? chunk(strlen(p) + 1) : 0;
}

void dns_store_free(struct dns_store *s)
{
	if (!s)
		return;
	for (size_t h = 0; h < s->nbuckets; h++)
		for (struct entry *e = s->bucket[h], *n; e; e = n) {
			n = e->next;
			for (size_t i = e->first; i < e->n; i++)
				kept_free(s, &e->a[i]);
			for (size_t i = 0; i < e->nz; i++)
				kept_free(s, &e->z[i]);
			give(s, array_cost(e->cap, sizeof *e->a) +
			            array_cost(e->zcap, sizeof *e->z) +
			            (e->asked ? array_cost(DNS_STORE_ASKED_EACH, sizeof *e->asked)
			                      : 0) +
			            entry_cost(e));
			free(e->a);
			free(e->z);
			free(e->asked);
			free(e);
		}
	give(s, table_cost(s->nbuckets));
	free(s->bucket);
	give(s, array_cost(s->fcap, sizeof *s->fifo));
	free(s->fifo);
	for (unsigned h = 0; h < ZBUCKETS; h++)
		for (struct zname *z = s->zset[h], *n; z; z = n) {
			n = z->next;
			give(s, chunk(sizeof *z + strlen(z->name) + 1));
			free(z);
		}
	for (size_t i = 0; i < s->nzones; i++) {
		give(s, str_cost(s->zone_origin[i]) + str_cost(s->zone_path[i]));
		free(s->zone_origin[i]);
		free(s->zone_path[i]);
	}
	for (size_t i = 0; i < s->nnames; i++) {
		give(s, str_cost(s->names[i]));
		free(s->names[i]);
	}
	give(s, array_cost(s->nnames, sizeof *s->names));
	free(s->names);
	free(s);
}

static uint32_t min_ttl(const ldns_rr_list *l)
{
	uint32_t t = UINT32_MAX;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) < t)
			t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return t == UINT32_MAX ? 0 : t;
}

/* The records of type at name in the answer section, following CNAMEs
 * (at most 8: a loop is no answer). NULL when there is no memory. */
static ldns_rr_list *collect(const ldns_pkt *p, const char *qname, uint16_t type)
{
	const ldns_rr_list *ans = ldns_pkt_answer(p);
	char name[256], owner[256];
	snprintf(name, sizeof name, "%s", qname);
	for (int hop = 0; hop < 8; hop++) {
		ldns_rr_list *out = ldns_rr_list_new();
		const ldns_rr *cname = NULL;
		if (!out)
			return NULL;
		for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			rdf_name(ldns_rr_owner(rr), owner);
			if (strcmp(owner, name))
				continue;
			if (ldns_rr_get_type(rr) == type) {
				ldns_rr *c = ldns_rr_clone(rr);
				if (c && !ldns_rr_list_push_rr(out, c))
					ldns_rr_free(c);
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			           type != LDNS_RR_TYPE_CNAME) {
				cname = rr;
			}
		}
		if (ldns_rr_list_rr_count(out) || !cname)
			return out;
		ldns_rr_list_deep_free(out);
		rdf_name(ldns_rr_rdf(cname, 0), name);
	}
	return ldns_rr_list_new();
}

/* The one question of p: its name into name, its type; -1 when p does not
 * ask exactly one (such a message answers no lookup). */
static int question_of(const ldns_pkt *p, char name[256], uint16_t *type)
{
	const ldns_rr_list *q = ldns_pkt_question(p);
	if (!q || ldns_rr_list_rr_count(q) != 1)
		return -1;
	const ldns_rr *qr = ldns_rr_list_rr(q, 0);
	rdf_name(ldns_rr_owner(qr), name);
	*type = (uint16_t)ldns_rr_get_type(qr);
	return 0;
}

/* Keeps the question of a query that got no readable answer. Only the
 * first few of one name and type are kept: resolvers retry, and any one
 * shows it was asked. */
static void asked_add(struct dns_store *s, const struct ss_record *r)
{
	const struct rec_dns *d = &r->u.dns;
	char name[256];
	uint16_t type;
	if (s->st.questions >= DNS_STORE_MAX_ASKED || question_of(d->query, name, &type))
		return;
	struct entry *e = entry_get(s, name, type, 0);
	if (e && e->nasked == DNS_STORE_ASKED_EACH)
		return;
	struct trimmed t = {0};
	make_room(s, bookkeeping(s, name, type, 1), 0, &t);
	if (!(e = entry_get(s, name, type, 1))) {
		say(s, &t, d->frame_query, d->ts_query, "question");
		return;
	}
	if (!e->asked) {
		if (!(e->asked = calloc(DNS_STORE_ASKED_EACH, sizeof *e->asked))) {
			entry_drop_if_empty(s, e);
			return;
		}
		take(s, array_cost(DNS_STORE_ASKED_EACH, sizeof *e->asked));
	}
	if (fifo_push(s, e, 1)) {
		if (!e->nasked) {
			give(s, array_cost(DNS_STORE_ASKED_EACH, sizeof *e->asked));
			free(e->asked);
			e->asked = NULL;
		}
		entry_drop_if_empty(s, e);
		return;
	}
	struct asked *q = &e->asked[e->nasked++];
	q->by = r->flow->ep[SS_C2S].addr;
	q->ts = d->ts_query;
	q->frame = d->frame_query;
	q->bad_frame = d->frame_response; /* a response came when its frame is set */
	s->st.questions++;
	trim(s, &t);
	say(s, &t, d->frame_query, d->ts_query, "question");
}

/* Keeps k, captured for name and type; trims the store. On failure, or
 * when k alone would take more than a quarter of the cap, its records are
 * freed and k is not kept. */
static void captured_add(struct dns_store *s, const char *name, uint16_t type, const struct kept *k)
{
	if (k->cost > s->cap / 4) {
		char ty[16];
		s->st.refused++;
		ss_eventf("verify", "dns_mem", k->frame, k->ts, 0, -1,
		          "the answer of this frame (%s %s) is not kept: it would take %llu bytes, "
		          "more than a quarter of --dns-mem (%llu bytes)",
		          dnstext_type(type, ty), name, (unsigned long long)k->cost,
		          (unsigned long long)s->cap);
		ldns_rr_list_deep_free(k->rrs);
		return;
	}
	struct trimmed t = {0};
	make_room(s, k->cost + bookkeeping(s, name, type, 0), 1, &t);
	struct entry *e = entry_get(s, name, type, 1);
	struct kept *slot = e ? kept_append(s, &e->a, &e->first, &e->n, &e->cap) : NULL;
	if (!slot || fifo_push(s, e, 0)) {
		if (slot)
			e->n--;
		ldns_rr_list_deep_free(k->rrs);
		if (e)
			entry_drop_if_empty(s, e);
		say(s, &t, k->frame, k->ts, "answer");
		return;
	}
	*slot = *k;
	take(s, k->cost);
	s->st.answers++;
	trim(s, &t);
	say(s, &t, k->frame, k->ts, "answer");
}

void dns_store_add(struct dns_store *s, const struct ss_record *r)
{
	if (r->kind != REC_DNS)
		return;
	const struct rec_dns *d = &r->u.dns;
	const ldns_pkt *p = d->response;
	/* Even a message that does not parse shows the capture holds DNS. */
	s->records++;
	if (!p && d->query) {
		asked_add(s, r);
		return;
	}
	char name[256];
	uint16_t type;
	if (!p || d->malformed || question_of(p, name, &type))
		return;
	struct kept k;
	memset(&k, 0, sizeof k);
	k.rcode = ldns_pkt_get_rcode(p);
	k.ts = d->ts_response;
	k.frame = d->frame_response;
	k.asker = r->flow->ep[SS_C2S].addr;
	k.server = r->flow->ep[SS_S2C].addr;
	k.truncated = ldns_pkt_tc(p);
	if (k.rcode == LDNS_RCODE_NXDOMAIN) {
		k.kind = DNS_NXDOMAIN;
	} else if (k.rcode != LDNS_RCODE_NOERROR) {
		k.kind = DNS_SERVFAIL; /* SERVFAIL, REFUSED...: no answer, try again later */
	} else {
		k.rrs = collect(p, name, type);
		if (!k.rrs)
			return;
		k.kind = ldns_rr_list_rr_count(k.rrs) ? DNS_DATA : DNS_NODATA;
		k.ttl = min_ttl(k.rrs);
		if (k.kind != DNS_DATA) {
			ldns_rr_list_deep_free(k.rrs);
			k.rrs = NULL;
		}
		k.cost = rr_list_cost(k.rrs);
	}
	captured_add(s, name, type, &k);
}

/* The store's own copy of a zone's name (answers outlive the caller's). */
static const char *intern(struct dns_store *s, const char *zone)
{
	if (!zone)
		return NULL;
	for (size_t i = 0; i < s->nzones; i++)
		if (!strcmp(s->zone_path[i], zone))
			return s->zone_path[i];
	for (size_t i = 0; i < s->nnames; i++)
		if (!strcmp(s->names[i], zone))
			return s->names[i];
	char *copy = strdup(zone);
	char **n = copy ? realloc(s->names, (s->nnames + 1) * sizeof *n) : NULL;
	if (!n) {
		free(copy);
		return "(a zone)";
	}
	give(s, array_cost(s->nnames, sizeof *n));
	take(s, array_cost(s->nnames + 1, sizeof *n) + str_cost(copy));
	s->names = n;
	n[s->nnames] = copy;
	return n[s->nnames++];
}

/* A name and every name above it, to the last label, go in s->zset: a zone
 * has records at or below each (in_zone). */
static void zset_add(struct dns_store *s, const char *name)
{
	for (const char *p = name;;) {
		unsigned h = fnv(p, 2166136261u) % ZBUCKETS;
		struct zname *z = s->zset[h];
		while (z && strcmp(z->name, p))
			z = z->next;
		size_t len = strlen(p);
		if (!z && (z = malloc(sizeof *z + len + 1))) {
			memcpy(z->name, p, len + 1);
			z->next = s->zset[h];
			s->zset[h] = z;
			take(s, chunk(sizeof *z + len + 1));
		}
		const char *dot = strchr(p, '.');
		if (!dot)
			return;
		p = dot + 1;
	}
}

static int zset_has(const struct dns_store *s, const char *name)
{
	for (const struct zname *z = s->zset[fnv(name, 2166136261u) % ZBUCKETS]; z; z = z->next)
		if (!strcmp(z->name, name))
			return 1;
	return 0;
}

void dns_store_put(struct dns_store *s, const char *name, uint16_t type, enum dns_kind kind,
                   ldns_rr_list *rrs, const char *zone)
{
	char n[256];
	norm(name, n);
	if (kind != DNS_DATA) {
		ldns_rr_list_deep_free(rrs);
		rrs = NULL;
	}
	struct entry *e = entry_get(s, n, type, 1);
	size_t none = 0;
	struct kept *k = e ? kept_append(s, &e->z, &none, &e->nz, &e->zcap) : NULL;
	if (!k) {
		ldns_rr_list_deep_free(rrs);
		return;
	}
	k->kind = (uint8_t)kind;
	k->rcode = kind == DNS_NXDOMAIN   ? LDNS_RCODE_NXDOMAIN
	           : kind == DNS_SERVFAIL ? LDNS_RCODE_SERVFAIL
	                                  : LDNS_RCODE_NOERROR;
	k->rrs = rrs;
	k->cost = rr_list_cost(rrs);
	take(s, k->cost);
	k->ttl = min_ttl(rrs);
	k->zone = intern(s, zone);
	if (zone)
		zset_add(s, n);
}

int dns_store_zone(struct dns_store *s, const char *path, char *err, size_t errlen)
{
	if (s->nzones == MAX_ZONES) {
		snprintf(err, errlen, "%s: more than %d zone files", path, MAX_ZONES);
		return -1;
	}
	ldns_zone *z = dnstext_zone_read(path, err, errlen);
	if (!z)
		return -1;
	char origin[256];
	rdf_name(ldns_zone_soa(z) ? ldns_rr_owner(ldns_zone_soa(z)) : NULL, origin);
	char *zp = strdup(path), *zo = strdup(origin);
	if (!zp || !zo) {
		free(zp);
		free(zo);
		ldns_zone_deep_free(z);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	size_t k = s->nzones++;
	s->zone_path[k] = zp;
	s->zone_origin[k] = zo;
	take(s, str_cost(zp) + str_cost(zo));
	/* Every RRset of the zone becomes one answer. */
	ldns_rr_list *all = ldns_rr_list_clone(ldns_zone_rrs(z));
	if (all && ldns_zone_soa(z))
		ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_zone_soa(z)));
	ldns_rr_list_sort(all);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all);) {
		const ldns_rr *first = ldns_rr_list_rr(all, i);
		char name[256];
		rdf_name(ldns_rr_owner(first), name);
		uint16_t type = (uint16_t)ldns_rr_get_type(first);
		ldns_rr_list *set = ldns_rr_list_new();
		for (; i < ldns_rr_list_rr_count(all); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(all, i);
			char o[256];
			rdf_name(ldns_rr_owner(rr), o);
			if (strcmp(o, name) || ldns_rr_get_type(rr) != type)
				break;
			if (set)
				ldns_rr_list_push_rr(set, ldns_rr_clone(rr));
		}
		dns_store_put(s, name, type, DNS_DATA, set, s->zone_path[k]);
	}
	ldns_rr_list_deep_free(all);
	ldns_zone_deep_free(z);
	/* the operator's answers are never let go: past the cap, no room
	 * would be left for the capture's */
	if (s->st.mem > s->cap) {
		snprintf(err, errlen,
		         "%s: the zone files given take %llu bytes in memory, more than "
		         "--dns-mem (%llu)",
		         path, (unsigned long long)s->st.mem, (unsigned long long)s->cap);
		return -1;
	}
	return 0;
}

static int addr_eq(const struct ss_addr *a, const struct ss_addr *b)
{
	return a && b && a->family && !ss_addr_cmp(a, b);
}

/* How far apart two capture times are (unsigned: any two fit). */
static uint64_t dist(int64_t a, int64_t b)
{
	return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

/* Whether name lies in a loaded zone; *any: a zone has records at name or
 * below it (then the name exists: NODATA rather than NXDOMAIN). */
static const char *in_zone(struct dns_store *s, const char *name, int *any)
{
	size_t n = strlen(name);
	*any = 0;
	for (size_t z = 0; z < s->nzones; z++) {
		size_t o = strlen(s->zone_origin[z]);
		/* the root's zone holds every name */
		if (o && (!(n == o || (n > o && name[n - o - 1] == '.')) ||
		          strcmp(name + n - o, s->zone_origin[z])))
			continue;
		*any = zset_has(s, name);
		return s->zone_path[z];
	}
	return NULL;
}

/* Why the lookup of e's name and type (e may be NULL) found nothing: the
 * question asked nearest to ts by the asker itself, else by anyone, when
 * one came; else what the capture as read so far tells. */
static void miss_why(const struct dns_store *s, const struct entry *e, struct dns_answer *m,
                     int64_t ts, const struct ss_addr *asker)
{
	const struct asked *best = NULL;
	int best_own = 0;
	for (size_t i = 0; e && i < e->nasked; i++) {
		const struct asked *q = &e->asked[i];
		int own = addr_eq(&q->by, asker);
		if (!best || own > best_own ||
		    (own == best_own && dist(q->ts, ts) < dist(best->ts, ts))) {
			best = q;
			best_own = own;
		}
	}
	unsigned b = gone_bit(m->name, m->type);
	if (best) {
		m->miss = best->bad_frame ? DNS_MISS_UNREADABLE : DNS_MISS_UNANSWERED;
		m->asked_frame = best->frame;
		m->bad_frame = best->bad_frame;
	} else if (!s->records) {
		m->miss = DNS_MISS_NO_DNS;
	} else if (s->gone[b / 8] & (1u << (b % 8))) {
		m->miss = DNS_MISS_LET_GO; /* whatever came for it may have gone */
	} else {
		/* questions are handed on as they are seen (rec_dns.pending),
		 * but one may still be in a flow not yet read: "nobody asked"
		 * only once the input is over */
		m->miss = s->ended ? DNS_MISS_NOT_ASKED : DNS_MISS_NO_ANSWER;
	}
}

/* Rank of answer k for asker: its own answer, then another host's, then a
 * zone file's; a complete answer before a truncated one. */
static int rank_of(const struct kept *k, const struct ss_addr *asker)
{
	int rank = k->zone ? 1 : addr_eq(&k->asker, asker) ? 4 : 3;
	return rank * 2 + !k->truncated;
}

/* Picks k over *best by rank, then by time nearest ts. */
static void consider(const struct kept *k, const struct ss_addr *asker, int64_t ts,
                     const struct kept **best, int *best_rank)
{
	int rank = rank_of(k, asker);
	if (!*best || rank > *best_rank ||
	    (rank == *best_rank && !k->zone && dist(k->ts, ts) < dist((*best)->ts, ts))) {
		*best = k;
		*best_rank = rank;
	}
}

const struct dns_answer *dns_store_lookup(struct dns_store *s, const char *name, uint16_t type,
                                          int64_t ts, const struct ss_addr *asker)
{
	char n[256];
	norm(name, n);
	const struct entry *e = entry_get(s, n, type, 0);
	const struct kept *best = NULL;
	int best_rank = 0;
	for (size_t i = 0; e && i < e->nz; i++)
		consider(&e->z[i], asker, ts, &best, &best_rank);
	for (size_t i = e ? e->first : 0; e && i < e->n; i++)
		consider(&e->a[i], asker, ts, &best, &best_rank);
	/* a slot of its own, so that it stays valid while the caller looks
	 * other names up */
	struct dns_answer *out = &s->slot[s->next_slot++ % DNS_STORE_HOLD];
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", n);
	out->type = type;
	if (best) {
		out->kind = (enum dns_kind)best->kind;
		out->rcode = best->rcode;
		out->rrs = best->rrs;
		out->ttl = best->ttl;
		out->ts = best->ts;
		out->frame = best->frame;
		out->asker = best->asker;
		out->server = best->server;
		out->zone = best->zone;
		out->truncated = best->truncated;
		return out;
	}
	/* No answer: a zone file that holds the name's zone speaks for it. */
	int any;
	const char *zone = in_zone(s, n, &any);
	if (zone) {
		out->kind = any ? DNS_NODATA : DNS_NXDOMAIN;
		out->rcode = any ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN;
		out->zone = zone;
		return out;
	}
	out->kind = DNS_NOT_CAPTURED;
	miss_why(s, e, out, ts, asker);
	return out;
}

void dns_store_end(struct dns_store *s)
{
	s->ended = 1;
}

char *dns_answer_txt(const struct dns_answer *a, size_t i, size_t *len)
{
	if (!a->rrs || i >= ldns_rr_list_rr_count(a->rrs))
		return NULL;
	const ldns_rr *rr = ldns_rr_list_rr(a->rrs, i);
	size_t total = 0;
	for (size_t k = 0; k < ldns_rr_rd_count(rr); k++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, k));
	char *out = malloc(total + 1), *w = out;
	if (!out)
		return NULL;
	for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, k);
		const uint8_t *d = ldns_rdf_data(f);
		size_t sz = ldns_rdf_size(f);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR && sz) {
			/* a character-string: a length byte, then the bytes */
			size_t l = d[0] < sz - 1 ? d[0] : sz - 1;
			memcpy(w, d + 1, l);
			w += l;
		}
	}
	*w = 0;
	*len = (size_t)(w - out);
	return out;
}

/* Why a miss is one: a sentence naming the question as q, or (q NULL) the
 * words that stand after the question, as on a verdict's "dns:" line. */
static const char *miss_words(const struct dns_answer *a, const char *q, char *out, size_t cap)
{
	unsigned long long asked = a->asked_frame, bad = a->bad_frame;
	const char *was = q ? " was " : ""; /* "TXT a.test was asked..." */
	switch (a->miss) {
	case DNS_MISS_NO_DNS:
		snprintf(out, cap,
		         "%s%s%sthe capture holds no DNS at all: a capture filter may have "
		         "left it out",
		         q ? "no answer for " : "", q ? q : "", q ? ", as " : "");
		break;
	case DNS_MISS_UNANSWERED:
		snprintf(out, cap, "%s%sasked in frame %llu, never answered in the capture",
		         q ? q : "", was, asked);
		break;
	case DNS_MISS_UNREADABLE:
		snprintf(out, cap,
		         "%s%sasked in frame %llu; the answer in frame %llu cannot be read",
		         q ? q : "", was, asked, bad);
		break;
	case DNS_MISS_NOT_ASKED:
		snprintf(out, cap, "nobody asked for %s in the capture", q ? q : "it");
		break;
	case DNS_MISS_NO_ANSWER:
		snprintf(out, cap, "no answer%s%s in the capture", q ? " for " : "", q ? q : "");
		break;
	case DNS_MISS_LET_GO:
		snprintf(out, cap,
		         "no answer%s%s kept: the captured DNS reached --dns-mem and its oldest "
		         "answers were let go",
		         q ? " for " : "", q ? q : "");
		break;
	}
	return out;
}

const char *dns_answer_why(const struct dns_answer *a, const char *what, char *out, size_t cap)
{
	char q[300], ty[16];
	if (!what) {
		snprintf(q, sizeof q, "%s %s", dnstext_type(a->type, ty), a->name);
		what = q;
	}
	if (a->kind == DNS_NOT_CAPTURED)
		return miss_words(a, what, out, cap);
	char src[300];
	snprintf(out, cap, "%s: %s", what, dns_answer_source(a, src));
	return out;
}

const char *dns_answer_source(const struct dns_answer *a, char out[300])
{
	if (a->kind == DNS_NOT_CAPTURED)
		miss_words(a, NULL, out, 300);
	else if (a->zone)
		snprintf(out, 300, "zone file %s", a->zone);
	else
		snprintf(out, 300, "frame %llu", (unsigned long long)a->frame);
	return out;
}
