/* names.c - address to name: a --hosts file, --zone files, the captured
 * DNS answers (RFC 1035 3.5, RFC 3596 2.5) and syslog senders, in that
 * order of trust (see names.h).
 *
 * An open-addressing hash table with a per-run seed (names come from the
 * wire, so their addresses must not be able to pick the buckets), doubled
 * while it is under half full up to NAMES_MAX entries. Each entry keeps the
 * rank of the source its name came from; a name is replaced only by one
 * from a higher rank (or, for captured answers, a later one of the same
 * rank) and never once it is fixed: shown, or known when the first pass
 * ended (names_freeze).
 */
#define _DEFAULT_SOURCE
#include "names.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cur.h"
#include "dnstext.h"
#include "log.h"
#include "word.h"

/* Ranks, lowest first; 0: the entry has no name. The two ranks of the
 * zones and of the captured answers are a PTR target's and an A owner's,
 * in the order --names says. */
enum {
	RANK_NONE,
	RANK_SYSLOG,
	RANK_CAPTURED_LOW,
	RANK_CAPTURED_HIGH,
	RANK_ZONE_LOW,
	RANK_ZONE_HIGH,
	RANK_HOSTS,
};

enum {
	F_FIXED = 1, /* shown, or frozen: the name stays */
	F_RELAY = 2, /* its syslog lines give different host names */
};

struct name {
	struct ss_addr a; /* family 0: the slot is free */
	uint8_t rank;     /* RANK_NONE: no name (an F_RELAY mark only) */
	uint8_t flags;
	char *s; /* owned; NULL with RANK_NONE */
};

static struct name *slots;
static size_t nslots, used, named;
static uint64_t seed;
static unsigned long generation;
static int prefer_a;

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

static int unspecified(const struct ss_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->b, zero, 16);
}

/* a's entry, made when it has none (NULL: the table is full, or memory
 * ran out). */
static struct name *entry(const struct ss_addr *a)
{
	if (!nslots && grow())
		return NULL;
	struct name *n = find(a);
	if (n->a.family)
		return n;
	/* A new address: room for it, and always one free slot left so that
	 * find() ends. */
	if (used >= NAMES_MAX)
		return NULL;
	if (used + 1 > nslots / 2 && grow() && used + 2 > nslots)
		return NULL;
	n = find(a);
	n->a = *a;
	n->rank = RANK_NONE;
	n->flags = 0;
	n->s = NULL;
	used++;
	return n;
}

/* Names a with s[0..len) from a source of the given rank. later: a name
 * of the same rank is replaced (captured answers: the latest wins); else
 * the first stays (files, syslog). */
static void set(const struct ss_addr *a, int rank, const char *s, size_t len, int later)
{
	if (!len || len > NAMES_MAX_LEN || unspecified(a))
		return;
	struct name *n = entry(a);
	if (!n || (n->flags & F_FIXED))
		return;
	if (n->rank > rank || (n->rank == rank && !later))
		return;
	if (n->s && strlen(n->s) == len && !memcmp(n->s, s, len)) {
		n->rank = (uint8_t)rank;
		return;
	}
	char *c = malloc(len + 1);
	if (!c)
		return;
	memcpy(c, s, len);
	c[len] = 0;
	if (!n->s)
		named++;
	free(n->s);
	n->s = c;
	n->rank = (uint8_t)rank;
	generation++;
}

/* set() with a DNS name, as dig prints it without the trailing dot. */
static void set_dname(const struct ss_addr *a, int rank, const ldns_rdf *name, int later)
{
	char b[NAMES_MAX_LEN + 4];
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_name(&t, name);
	if (!t.cut)
		set(a, rank, b, t.len, later);
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
			int v = len[i] == 1 ? ascii_hexval(lab[i][0]) : -1;
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

/* The ranks of a PTR target and of an A or AAAA owner from a source whose
 * two ranks are low and low + 1. */
static int rank_ptr(int low)
{
	return prefer_a ? low : low + 1;
}

static int rank_addr(int low)
{
	return prefer_a ? low + 1 : low;
}

/* What one record says: an A or AAAA record names its address by its
 * owner, a PTR record the address of its reverse owner by its target. */
static void learn_rr(const ldns_rr *rr, int low, int later)
{
	const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	if (!f || !ldns_rr_owner(rr) || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return;
	struct ss_addr a;
	memset(&a, 0, sizeof a);
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA: {
		size_t n = ldns_rdf_size(f);
		if ((n != 4 && n != 16) || (n == 4) != (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A))
			break;
		a.family = n == 4 ? SS_AF_INET : SS_AF_INET6;
		memcpy(a.b, ldns_rdf_data(f), n);
		set_dname(&a, rank_addr(low), ldns_rr_owner(rr), later);
		break;
	}
	case LDNS_RR_TYPE_PTR:
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME &&
		    reverse_addr(ldns_rr_owner(rr), &a) == 0)
			set_dname(&a, rank_ptr(low), f, later);
		break;
	default:
		break;
	}
}

void names_learn(const struct rec_dns *d)
{
	const ldns_rr_list *an = d->response ? ldns_pkt_answer(d->response) : NULL;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++)
		learn_rr(ldns_rr_list_rr(an, i), RANK_CAPTURED_LOW, 1);
}

static int is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A host name as RFC 1123 2.1 has it: labels of 1 to 63 letters, digits
 * and inner hyphens, at most 253 characters; the last label not all
 * digits (then it is an address), and not the loopback's own name. */
static int host_name(const uint8_t *p, size_t n)
{
	if (!n || n > 253)
		return 0;
	size_t start = 0;
	int digits_only = 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			size_t len = i - start;
			if (!len || len > 63 || p[start] == '-' || p[i - 1] == '-')
				return 0;
			start = i + 1;
			if (i < n)
				digits_only = 1;
			continue;
		}
		if (!is_alnum(p[i]) && p[i] != '-')
			return 0;
		if (p[i] < '0' || p[i] > '9')
			digits_only = 0;
	}
	if (digits_only)
		return 0;
	static const char *const loopback[] = {"localhost", "localhost.localdomain"};
	for (size_t k = 0; k < 2; k++)
		if (strlen(loopback[k]) == n && !strncasecmp((const char *)p, loopback[k], n))
			return 0;
	return 1;
}

void names_learn_log(const struct ss_addr *sender, const struct ss_str *host)
{
	if (!host->len || !host_name(host->p, host->len) || unspecified(sender))
		return;
	struct name *n = entry(sender);
	if (!n || (n->flags & F_RELAY))
		return;
	if (n->rank == RANK_SYSLOG &&
	    (strlen(n->s) != host->len || strncasecmp(n->s, (const char *)host->p, host->len))) {
		/* A second host name from one sender: a relay. Its name from
		 * the first goes, unless it was shown already. */
		n->flags |= F_RELAY;
		if (!(n->flags & F_FIXED)) {
			free(n->s);
			n->s = NULL;
			n->rank = RANK_NONE;
			named--;
			generation++;
		}
		return;
	}
	set(sender, RANK_SYSLOG, (const char *)host->p, host->len, 0);
}

void names_prefer_a(int on)
{
	prefer_a = !!on;
}

void names_freeze(void)
{
	for (size_t i = 0; i < nslots; i++)
		if (slots[i].s)
			slots[i].flags |= F_FIXED;
}

/* --- the files --- */

/* One line of a file, at most cap - 1 bytes kept and NUL-terminated; its
 * end (LF, and a CR before it) is not kept. Returns -1 at the end of the
 * file; else the length of the whole line, which is more than was kept
 * when the line is too long, and sets *nul when it holds a NUL byte. */
static long read_line(FILE *fp, char *buf, size_t cap, int *nul)
{
	long n = 0;
	size_t kept = 0;
	int c = EOF;
	*nul = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (!c)
			*nul = 1;
		if (kept + 1 < cap)
			buf[kept++] = (char)c;
		if (n < LONG_MAX)
			n++;
	}
	if (c == EOF && !n)
		return -1;
	if (kept && buf[kept - 1] == '\r' && (size_t)n == kept) {
		kept--;
		n--;
	}
	buf[kept] = 0;
	return n;
}

/* A name in a hosts file: printable, no escapes needed to show it. */
static int hosts_name(const char *s, size_t n)
{
	if (!n || n > NAMES_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((uint8_t)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

/* w as it may be said on stderr: at most 60 bytes, control bytes as '?'. */
static const char *shown(const char *w, char out[64])
{
	size_t i = 0;
	for (; w[i] && i < 60; i++)
		out[i] = (unsigned char)w[i] < 0x20 || w[i] == 0x7f ? '?' : w[i];
	out[i] = 0;
	return out;
}

struct hosts_read {
	const char *path;
	unsigned long line, bad;
};

SS_PRINTF(2, 3) static void bad_line(struct hosts_read *h, const char *fmt, ...)
{
	if (h->bad++ >= NAMES_HOSTS_MAX_REPORTED)
		return;
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ss_warn("%s:%lu: %s; line skipped", h->path, h->line, why);
}

/* One line: "ADDRESS NAME [ALIAS...] [# comment]". */
static void hosts_line(struct hosts_read *h, char *s)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = 0;
	char *save, *addr = strtok_r(s, " \t", &save);
	if (!addr)
		return; /* blank, or a comment */
	char *name = strtok_r(NULL, " \t", &save);
	struct ss_addr a;
	if (ss_addr_parse(addr, strlen(addr), &a)) {
		char w[64];
		bad_line(h, "not an IPv4 or IPv6 address: %s", shown(addr, w));
		return;
	}
	if (!name) {
		bad_line(h, "an address without a name");
		return;
	}
	size_t n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		n--; /* "host.example." is "host.example" */
	if (!hosts_name(name, n)) {
		char w[64];
		bad_line(h, "not a host name: %s", shown(name, w));
		return;
	}
	set(&a, RANK_HOSTS, name, n, 0);
}

int names_load_hosts(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct hosts_read h = {path, 0, 0};
	char buf[NAMES_HOSTS_LINE_MAX + 2];
	long n;
	int nul;
	while ((n = read_line(fp, buf, sizeof buf, &nul)) >= 0) {
		if (++h.line > NAMES_HOSTS_MAX_LINES) {
			ss_warn("%s: more than %d lines; the rest is not read", path,
			        NAMES_HOSTS_MAX_LINES);
			break;
		}
		if (n > NAMES_HOSTS_LINE_MAX)
			bad_line(&h, "longer than %d bytes", NAMES_HOSTS_LINE_MAX);
		else if (nul)
			bad_line(&h, "a NUL byte");
		else
			hosts_line(&h, buf);
	}
	int failed = ferror(fp);
	int e = errno;
	fclose(fp);
	if (failed) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	if (h.bad > NAMES_HOSTS_MAX_REPORTED)
		ss_warn("%s: %lu more bad lines skipped", path, h.bad - NAMES_HOSTS_MAX_REPORTED);
	return 0;
}

int names_load_zone(const char *path, char *err, size_t errlen)
{
	ldns_zone *z = dnstext_zone_read(path, err, errlen);
	if (!z)
		return -1;
	const ldns_rr_list *rrs = ldns_zone_rrs(z);
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++)
		learn_rr(ldns_rr_list_rr(rrs, i), RANK_ZONE_LOW, 0);
	ldns_zone_deep_free(z);
	return 0;
}

int names_setup(int prefer, const char *hosts_file, const char *const *zones, size_t nzones,
                char *err, size_t errlen)
{
	names_prefer_a(prefer);
	if (hosts_file && names_load_hosts(hosts_file, err, errlen))
		return -1;
	for (size_t i = 0; i < nzones; i++)
		if (names_load_zone(zones[i], err, errlen))
			return -1;
	return 0;
}

/* --- looking up --- */

unsigned long names_generation(void)
{
	return generation;
}

size_t names_count(void)
{
	return named;
}

const char *names_get(const struct ss_addr *a)
{
	if (!nslots || (a->family != SS_AF_INET && a->family != SS_AF_INET6))
		return NULL;
	struct ss_addr k;
	memset(&k, 0, sizeof k);
	k.family = a->family;
	memcpy(k.b, a->b, a->family == SS_AF_INET ? 4 : 16);
	struct name *n = find(&k);
	if (!n->a.family || !n->s)
		return NULL;
	n->flags |= F_FIXED; /* shown: it stays */
	return n->s;
}

void names_free(void)
{
	for (size_t i = 0; i < nslots; i++)
		free(slots[i].s);
	free(slots);
	slots = NULL;
	nslots = used = named = 0;
	prefer_a = 0;
	generation++;
}
