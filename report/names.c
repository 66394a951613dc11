/* names.c - address to name, from the captured answers (RFC 1035 3.5,
 * RFC 3596 2.5).
 *
 * An open-addressing hash table with a per-run seed (names come from the
 * wire, so their addresses must not be able to pick the buckets), doubled
 * while it is under half full up to NAMES_MAX entries.
 */
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cur.h"
#include "dnstext.h"

enum { PRIO_ADDR = 1, PRIO_PTR = 2 };

struct name {
	struct ss_addr a; /* family 0: the slot is free */
	uint8_t prio;
	char *s; /* owned */
};

static struct name *slots;
static size_t nslots, used;
static uint64_t seed;

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static size_t slot_of(const struct ss_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->b, 16);
	uint64_t h = mix(seed ^ a->family);
	h = mix(h ^ w[0]);
	h = mix(h ^ w[1]);
	return (size_t)h & (nslots - 1);
}

/* The slot holding a, or the free slot where it would go. */
static struct name *find(const struct ss_addr *a)
{
	for (size_t i = slot_of(a);; i = (i + 1) & (nslots - 1)) {
		struct name *n = &slots[i];
		if (!n->a.family || (n->a.family == a->family && !memcmp(n->a.b, a->b, 16)))
			return n;
	}
}

static int grow(void)
{
	size_t n = nslots ? nslots * 2 : 256;
	struct name *s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	struct name *old = slots;
	size_t oldn = nslots;
	if (!seed)
		seed = mix((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^
		           (uint64_t)(uintptr_t)&slots) |
		       1;
	slots = s;
	nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].a.family)
			*find(&old[i].a) = old[i];
	free(old);
	return 0;
}

static void set(const struct ss_addr *a, int prio, const ldns_rdf *name)
{
	char b[NAMES_MAX_LEN + 4];
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_name(&t, name);
	if (t.cut || !t.len)
		return;
	if (!nslots && grow())
		return;
	struct name *n = find(a);
	if (!n->a.family) {
		/* A new address: room for it, and always one free slot left so
		 * that find() ends. */
		if (used >= NAMES_MAX)
			return;
		if (used + 1 > nslots / 2 && grow() && used + 2 > nslots)
			return;
		n = find(a);
	}
	if (n->a.family && n->prio > prio)
		return;
	char *s = malloc(t.len + 1);
	if (!s)
		return;
	memcpy(s, b, t.len + 1);
	if (!n->a.family)
		used++;
	free(n->s);
	n->a = *a;
	n->prio = (uint8_t)prio;
	n->s = s;
}

/* A label of the reversed name, case-insensitively equal to word. */
static int label_is(const uint8_t *p, size_t n, const char *word)
{
	size_t i = 0;
	for (; i < n && word[i]; i++) {
		uint8_t c = p[i] >= 'A' && p[i] <= 'Z' ? (uint8_t)(p[i] + 32) : p[i];
		if (c != (uint8_t)word[i])
			return 0;
	}
	return i == n && !word[i];
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The address a reverse name spells: d.c.b.a.in-addr.arpa (four decimal
 * labels, 0-255, no leading zeros) or the 32 nibbles of ip6.arpa. Returns
 * -1 for any other name. */
static int reverse_addr(const ldns_rdf *owner, struct ss_addr *a)
{
	struct cur c = cur_make(ldns_rdf_data(owner), ldns_rdf_size(owner));
	const uint8_t *lab[34];
	size_t len[34], k = 0;
	for (;;) {
		uint8_t n = cur_u8(&c, "name");
		if (c.err || n == 0)
			break;
		if (k == 34)
			return -1;
		len[k] = n;
		lab[k] = cur_ptr(&c, n, "name");
		if (!lab[k])
			return -1;
		k++;
	}
	if (c.err)
		return -1;
	memset(a, 0, sizeof *a);
	if (k == 6 && label_is(lab[4], len[4], "in-addr") && label_is(lab[5], len[5], "arpa")) {
		for (size_t i = 0; i < 4; i++) {
			unsigned v = 0;
			if (len[i] > 3 || (len[i] > 1 && lab[i][0] == '0'))
				return -1;
			for (size_t j = 0; j < len[i]; j++) {
				if (lab[i][j] < '0' || lab[i][j] > '9')
					return -1;
				v = v * 10 + (unsigned)(lab[i][j] - '0');
			}
			if (v > 255)
				return -1;
			a->b[3 - i] = (uint8_t)v;
		}
		a->family = SS_AF_INET;
		return 0;
	}
	if (k == 34 && label_is(lab[32], len[32], "ip6") && label_is(lab[33], len[33], "arpa")) {
		for (size_t i = 0; i < 32; i++) {
			int v = len[i] == 1 ? hexval(lab[i][0]) : -1;
			if (v < 0)
				return -1;
			/* The first label is the last nibble. */
			size_t nib = 31 - i;
			a->b[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
		}
		a->family = SS_AF_INET6;
		return 0;
	}
	return -1;
}

static int unspecified(const struct ss_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->b, zero, 16);
}

static unsigned long generation;

unsigned long names_generation(void)
{
	return generation;
}

void names_learn(const struct rec_dns *d)
{
	generation++;
	const ldns_rr_list *an = d->response ? ldns_pkt_answer(d->response) : NULL;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
		if (!f || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		struct ss_addr a;
		memset(&a, 0, sizeof a);
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_A:
		case LDNS_RR_TYPE_AAAA: {
			size_t n = ldns_rdf_size(f);
			if ((n != 4 && n != 16) ||
			    (n == 4) != (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A))
				break;
			a.family = n == 4 ? SS_AF_INET : SS_AF_INET6;
			memcpy(a.b, ldns_rdf_data(f), n);
			if (!unspecified(&a))
				set(&a, PRIO_ADDR, ldns_rr_owner(rr));
			break;
		}
		case LDNS_RR_TYPE_PTR:
			if (ldns_rr_owner(rr) && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME &&
			    reverse_addr(ldns_rr_owner(rr), &a) == 0 && !unspecified(&a))
				set(&a, PRIO_PTR, f);
			break;
		default:
			break;
		}
	}
}

const char *names_get(const struct ss_addr *a)
{
	if (!nslots || (a->family != SS_AF_INET && a->family != SS_AF_INET6))
		return NULL;
	struct ss_addr k;
	memset(&k, 0, sizeof k);
	k.family = a->family;
	memcpy(k.b, a->b, a->family == SS_AF_INET ? 4 : 16);
	const struct name *n = find(&k);
	return n->a.family ? n->s : NULL;
}

void names_free(void)
{
	for (size_t i = 0; i < nslots; i++)
		free(slots[i].s);
	free(slots);
	slots = NULL;
	nslots = used = 0;
}
