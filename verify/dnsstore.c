/* dnsstore.c - the captured-DNS store (RFC 1035 4.1, 4.3.2; RFC 2308 for
 * NXDOMAIN and NODATA).
 *
 * Answers are kept per (name, type) in the order they were captured; a
 * lookup picks among them by who asked and when. A CNAME in a response is
 * followed within that response, as a resolver would hand the result to
 * the verifier. Questions that got no readable answer are kept beside them,
 * so that a lookup that finds nothing can say whether anyone asked.
 */
#define _POSIX_C_SOURCE 200809L
#include "dnsstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstext.h"

#define NBUCKETS 4096
#define MAX_ANSWERS (1u << 20) /* answers kept in all: a capture of a lab, not of an ISP */
#define MAX_ZONES 64

/* A question for which the capture holds no readable answer. */
struct asked {
	struct ss_addr by; /* who asked */
	int64_t ts;        /* when */
	uint64_t frame;
	uint64_t bad_frame; /* the answer that did not parse, or 0: none came */
};

struct entry {
	struct entry *next;   /* hash chain */
	struct dns_answer *a; /* answers for this name and type */
	size_t n, cap;
	struct dns_answer *miss; /* what a lookup that found nothing returned */
	struct asked *asked;     /* DNS_STORE_ASKED_EACH slots once one came */
	size_t nasked;
	char name[256];
	uint16_t type;
};

struct dns_store {
	struct entry *bucket[NBUCKETS];
	size_t answers;
	char *zone_origin[MAX_ZONES]; /* lower case, no final dot */
	char *zone_path[MAX_ZONES];
	size_t nzones;
	char **names; /* the zone names given to dns_store_put, owned */
	size_t nnames;
	size_t misses;          /* entries made for lookups that found nothing */
	struct dns_answer miss; /* the answer to such a lookup past MAX_MISSES */
	size_t asked;           /* questions kept (DNS_STORE_MAX_ASKED) */
	uint64_t records;       /* REC_DNS records seen, readable or not */
	int ended;              /* dns_store_end: every question is in */
};

/* Lookups that found nothing, each kept as its own answer (a verifier may
 * hold several at once); past this many they share one slot. */
#define MAX_MISSES 65536

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

static unsigned hash(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h % NBUCKETS;
}

static struct entry *entry_get(struct dns_store *s, const char *name, uint16_t type, int make)
{
	unsigned h = hash(name, type);
	for (struct entry *e = s->bucket[h]; e; e = e->next)
		if (e->type == type && !strcmp(e->name, name))
			return e;
	if (!make)
		return NULL;
	struct entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->name, sizeof e->name, "%s", name);
	e->type = type;
	e->next = s->bucket[h];
	s->bucket[h] = e;
	return e;
}

static struct dns_answer *answer_new(struct dns_store *s, const char *name, uint16_t type)
{
	if (s->answers >= MAX_ANSWERS)
		return NULL;
	struct entry *e = entry_get(s, name, type, 1);
	if (!e)
		return NULL;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 2;
		struct dns_answer *a = realloc(e->a, cap * sizeof *a);
		if (!a)
			return NULL;
		e->a = a;
		e->cap = cap;
	}
	struct dns_answer *a = &e->a[e->n++];
	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, "%s", name);
	a->type = type;
	s->answers++;
	return a;
}

struct dns_store *dns_store_new(void)
{
	struct dns_store *s = calloc(1, sizeof *s);
	if (s)
		s->miss.kind = DNS_NOT_CAPTURED;
	return s;
}

void dns_store_free(struct dns_store *s)
{
	if (!s)
		return;
	for (unsigned h = 0; h < NBUCKETS; h++)
		for (struct entry *e = s->bucket[h], *n; e; e = n) {
			n = e->next;
			for (size_t i = 0; i < e->n; i++)
				ldns_rr_list_deep_free(e->a[i].rrs);
			free(e->a);
			free(e->miss);
			free(e->asked);
			free(e);
		}
	for (size_t i = 0; i < s->nzones; i++) {
		free(s->zone_origin[i]);
		free(s->zone_path[i]);
	}
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
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
 * (at most 8: a loop is no answer). */
static ldns_rr_list *collect(const ldns_pkt *p, const char *qname, uint16_t type)
{
	const ldns_rr_list *ans = ldns_pkt_answer(p);
	char name[256], owner[256];
	snprintf(name, sizeof name, "%s", qname);
	for (int hop = 0; hop < 8; hop++) {
		ldns_rr_list *out = ldns_rr_list_new();
		const ldns_rr *cname = NULL;
		for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			rdf_name(ldns_rr_owner(rr), owner);
			if (strcmp(owner, name))
				continue;
			if (ldns_rr_get_type(rr) == type)
				ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
			else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			         type != LDNS_RR_TYPE_CNAME)
				cname = rr;
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
	if (s->asked >= DNS_STORE_MAX_ASKED || question_of(d->query, name, &type))
		return;
	struct entry *e = entry_get(s, name, type, 1);
	if (!e || e->nasked == DNS_STORE_ASKED_EACH)
		return;
	if (!e->asked && !(e->asked = calloc(DNS_STORE_ASKED_EACH, sizeof *e->asked)))
		return;
	struct asked *q = &e->asked[e->nasked++];
	q->by = r->flow->ep[SS_C2S].addr;
	q->ts = d->ts_query;
	q->frame = d->frame_query;
	q->bad_frame = d->frame_response; /* a response came when its frame is set */
	s->asked++;
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
	struct dns_answer *a = answer_new(s, name, type);
	if (!a)
		return;
	a->rcode = ldns_pkt_get_rcode(p);
	a->ts = d->ts_response;
	a->frame = d->frame_response;
	a->asker = r->flow->ep[SS_C2S].addr;
	a->server = r->flow->ep[SS_S2C].addr;
	a->truncated = ldns_pkt_tc(p);
	if (a->rcode == LDNS_RCODE_NXDOMAIN) {
		a->kind = DNS_NXDOMAIN;
	} else if (a->rcode != LDNS_RCODE_NOERROR) {
		a->kind = DNS_SERVFAIL; /* SERVFAIL, REFUSED...: no answer, try again later */
	} else {
		a->rrs = collect(p, name, type);
		a->kind = ldns_rr_list_rr_count(a->rrs) ? DNS_DATA : DNS_NODATA;
		a->ttl = min_ttl(a->rrs);
		if (a->kind != DNS_DATA) {
			ldns_rr_list_deep_free(a->rrs);
			a->rrs = NULL;
		}
	}
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
	char **n = realloc(s->names, (s->nnames + 1) * sizeof *n);
	if (!n)
		return "(a zone)";
	s->names = n;
	if (!(n[s->nnames] = strdup(zone)))
		return "(a zone)";
	return n[s->nnames++];
}

void dns_store_put(struct dns_store *s, const char *name, uint16_t type, enum dns_kind kind,
                   ldns_rr_list *rrs, const char *zone)
{
	char n[256];
	norm(name, n);
	struct dns_answer *a = answer_new(s, n, type);
	if (!a) {
		ldns_rr_list_deep_free(rrs);
		return;
	}
	a->kind = kind;
	a->rcode = kind == DNS_NXDOMAIN   ? LDNS_RCODE_NXDOMAIN
	           : kind == DNS_SERVFAIL ? LDNS_RCODE_SERVFAIL
	                                  : LDNS_RCODE_NOERROR;
	a->rrs = kind == DNS_DATA ? rrs : NULL;
	if (kind != DNS_DATA)
		ldns_rr_list_deep_free(rrs);
	a->ttl = min_ttl(a->rrs);
	a->zone = intern(s, zone);
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
	size_t k = s->nzones++;
	s->zone_path[k] = strdup(path);
	char origin[256];
	rdf_name(ldns_zone_soa(z) ? ldns_rr_owner(ldns_zone_soa(z)) : NULL, origin);
	s->zone_origin[k] = strdup(origin);
	/* Every RRset of the zone becomes one answer. */
	ldns_rr_list *all = ldns_rr_list_clone(ldns_zone_rrs(z));
	if (ldns_zone_soa(z))
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
			ldns_rr_list_push_rr(set, ldns_rr_clone(rr));
		}
		dns_store_put(s, name, type, DNS_DATA, set, s->zone_path[k]);
	}
	ldns_rr_list_deep_free(all);
	ldns_zone_deep_free(z);
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

/* Whether name lies in a loaded zone; *any: the zone has records at name or
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
		for (unsigned h = 0; h < NBUCKETS && !*any; h++)
			for (const struct entry *e = s->bucket[h]; e && !*any; e = e->next) {
				size_t m = strlen(e->name);
				for (size_t i = 0; i < e->n; i++)
					if (e->a[i].zone && (!strcmp(e->name, name) ||
					                     (m > n && e->name[m - n - 1] == '.' &&
					                      !strcmp(e->name + m - n, name))))
						*any = 1;
			}
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
	if (best) {
		m->miss = best->bad_frame ? DNS_MISS_UNREADABLE : DNS_MISS_UNANSWERED;
		m->asked_frame = best->frame;
		m->bad_frame = best->bad_frame;
	} else if (!s->records) {
		m->miss = DNS_MISS_NO_DNS;
	} else {
		/* questions are handed on as they are seen (rec_dns.pending),
		 * but one may still be in a flow not yet read: "nobody asked"
		 * only once the input is over */
		m->miss = s->ended ? DNS_MISS_NOT_ASKED : DNS_MISS_NO_ANSWER;
	}
}

const struct dns_answer *dns_store_lookup(struct dns_store *s, const char *name, uint16_t type,
                                          int64_t ts, const struct ss_addr *asker)
{
	char n[256];
	norm(name, n);
	const struct entry *e = entry_get(s, n, type, 0);
	const struct dns_answer *best = NULL;
	int best_rank = 0;
	for (size_t i = 0; e && i < e->n; i++) {
		const struct dns_answer *a = &e->a[i];
		/* Rank: the asker's own answer, then another host's, then a zone
		 * file's; a complete answer before a truncated one; then time. */
		int rank = a->zone ? 1 : addr_eq(&a->asker, asker) ? 4 : 3;
		rank = rank * 2 + !a->truncated;
		if (!best || rank > best_rank ||
		    (rank == best_rank && !a->zone && dist(a->ts, ts) < dist(best->ts, ts))) {
			best = a;
			best_rank = rank;
		}
	}
	if (best)
		return best;
	/* No answer: a zone file that holds the name's zone speaks for it. */
	int any;
	const char *zone = in_zone(s, n, &any);
	if (zone) {
		dns_store_put(s, n, type, any ? DNS_NODATA : DNS_NXDOMAIN, NULL, zone);
		return dns_store_lookup(s, n, type, ts, asker);
	}
	/* Nothing: an answer of its own, so that it stays valid while the
	 * caller looks other names up. */
	struct entry *me = s->misses < MAX_MISSES ? entry_get(s, n, type, 1) : NULL;
	if (me && !me->miss && (me->miss = calloc(1, sizeof *me->miss)))
		s->misses++;
	struct dns_answer *m = me && me->miss ? me->miss : &s->miss;
	memset(m, 0, sizeof *m);
	m->kind = DNS_NOT_CAPTURED;
	snprintf(m->name, sizeof m->name, "%s", n);
	m->type = type;
	miss_why(s, e, m, ts, asker);
	return m;
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
