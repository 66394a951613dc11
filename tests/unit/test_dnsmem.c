/* test_dnsmem.c - the captured-DNS store within --dns-mem (issue 16,
 * finding 2).
 *
 * The store kept up to a million answers with their ldns records, which
 * take some 15 times their wire bytes: tens of GB for a capture of large
 * answers. It now counts what it holds, estimated per allocation as glibc
 * sizes it, against its cap, and lets the oldest captured answers go past
 * it. The truths here: what glibc's malloc says it handed out (mallinfo2),
 * the cap, the order the answers came in, RFC 2308 / RFC 8020 (NXDOMAIN
 * means no record of any type at the name, whatever was looked up before).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dnsstore.h"
#include "event.h"

#include "heap.h"

#define SEC 1000000000LL
#define T0 (1796549281LL * SEC)

/* --- events -------------------------------------------------------------------- */

static unsigned nmem_events;
static char first_detail[1024], last_detail[1024];
static uint64_t last_frame;

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	if (strcmp(e->layer, "verify") || strcmp(e->what, "dns_mem"))
		return;
	if (!nmem_events++)
		snprintf(first_detail, sizeof first_detail, "%s", e->detail);
	snprintf(last_detail, sizeof last_detail, "%s", e->detail);
	last_frame = e->frame;
}

static void events_reset(void)
{
	nmem_events = 0;
	first_detail[0] = last_detail[0] = 0;
	last_frame = 0;
}

/* --- records as the DNS dissector hands them on ----------------------------------- */

static struct ss_flow flow;

static struct ss_addr ip4(const char *s)
{
	struct ss_addr a = {SS_AF_INET, {0}};
	inet_pton(AF_INET, s, a.b);
	return a;
}

/* A DNS exchange: the question type name, answered in frame with rcode and
 * the records given as master-file text (one per line, the owner name
 * first), or unanswered when rrs is NULL and rcode < 0. */
struct rec {
	struct ss_record r;
	ldns_pkt *q, *resp;
};

static void rec_make(struct rec *x, const char *name, uint16_t type, int rcode, const char *rrs,
                     uint64_t frame, int64_t ts)
{
	memset(x, 0, sizeof *x);
	ldns_pkt_query_new_frm_str(&x->q, name, type, LDNS_RR_CLASS_IN, LDNS_RD);
	x->r.kind = REC_DNS;
	x->r.flow = &flow;
	x->r.u.dns.query = x->q;
	x->r.u.dns.ts_query = ts - SEC / 100;
	x->r.u.dns.frame_query = frame - 1;
	if (rcode < 0)
		return;
	x->resp = ldns_pkt_clone(x->q);
	ldns_pkt_set_qr(x->resp, 1);
	ldns_pkt_set_rcode(x->resp, (uint8_t)rcode);
	for (const char *p = rrs; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, line, 60, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(x->resp, LDNS_SECTION_ANSWER, rr);
		else
			printf("bad rr: %s\n", line);
		free(line);
		p += len + (nl ? 1 : 0);
	}
	x->r.u.dns.response = x->resp;
	x->r.u.dns.ts_response = ts;
	x->r.u.dns.frame_response = frame;
}

static void rec_free(struct rec *x)
{
	ldns_pkt_free(x->q);
	ldns_pkt_free(x->resp);
}

/* Adds a TXT answer of one record of len bytes of text (in strings of at
 * most 255) at name, in frame at time ts. */
static void add_txt(struct dns_store *s, const char *name, size_t len, char fill, uint64_t frame,
                    int64_t ts)
{
	char *rrs = malloc(len * 2 + 600), *w = rrs;
	w += sprintf(w, "%s. 60 IN TXT", name);
	for (size_t done = 0; done < len;) {
		size_t n = len - done < 255 ? len - done : 255;
		*w++ = ' ';
		*w++ = '"';
		memset(w, fill, n);
		w += n;
		*w++ = '"';
		done += n;
	}
	*w = 0;
	struct rec x;
	rec_make(&x, name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, rrs, frame, ts);
	dns_store_add(s, &x.r);
	rec_free(&x);
	free(rrs);
}

static const char *txt_of(const struct dns_answer *a)
{
	static char buf[8192];
	size_t len;
	char *t = dns_answer_txt(a, 0, &len);
	snprintf(buf, sizeof buf, "%s", t ? t : "(none)");
	free(t);
	return buf;
}

/* --- the cases --------------------------------------------------------------------- */

/* What the store counts is what malloc() gave out for it: answers of the
 * shapes a capture holds (a DKIM key, SPF records, 60 A records, MX,
 * NXDOMAIN, a TXT of 16 records), several per name. */
static void case_counted_is_held(void)
{
#if GLIBC_MALLOC
	enum { N = 600 };
	static struct rec x[N];
	char name[64], rrs[16384];
	for (int i = 0; i < N; i++) {
		int shape = i % 5;
		snprintf(name, sizeof name, "n%d.shape%d.example", i / 2, shape);
		char *w = rrs;
		*w = 0;
		uint16_t type = LDNS_RR_TYPE_TXT;
		int rcode = LDNS_RCODE_NOERROR;
		if (shape == 0) {
			w += sprintf(w, "%s. 60 IN TXT \"v=DKIM1; k=rsa; p=", name);
			for (int k = 0; k < 200; k++)
				*w++ = (char)('A' + k % 26);
			w += sprintf(w, "\" \"%0100d\"", i);
		} else if (shape == 1) {
			type = LDNS_RR_TYPE_A;
			for (int k = 0; k < 60; k++)
				w += sprintf(w, "%s. 60 IN A 10.%d.%d.%d\n", name, i % 250, k,
				             k + 1);
		} else if (shape == 2) {
			type = LDNS_RR_TYPE_MX;
			for (int k = 0; k < 5; k++)
				w +=
				    sprintf(w, "%s. 60 IN MX %d mx%d.%s.\n", name, k * 10, k, name);
		} else if (shape == 3) {
			rcode = LDNS_RCODE_NXDOMAIN;
		} else {
			for (int k = 0; k < 16; k++)
				w += sprintf(w, "%s. 60 IN TXT \"v=spf1 ip4:10.%d.0.0/16 -all\"\n",
				             name, k);
		}
		rec_make(&x[i], name, type, rcode, rrs, 10 + 2 * (uint64_t)i, T0 + i * SEC);
	}
	struct dns_store *s = dns_store_new_cap((uint64_t)1 << 30);
	size_t before = mallinfo2().uordblks;
	for (int i = 0; i < N; i++)
		dns_store_add(s, &x[i].r);
	size_t used = mallinfo2().uordblks - before;
	uint64_t counted = dns_store_stats(s)->mem;
	printf("%d answers: counted %llu, malloc gave out %zu (%.3f)\n", N,
	       (unsigned long long)counted, used, (double)counted / (double)used);
	/* within 10% of what malloc() gave out */
	CHECK(counted * 10 >= used * 9 && counted * 10 <= used * 11);
	CHECK(dns_store_stats(s)->answers == N && dns_store_stats(s)->let_go == 0);
	dns_store_free(s);
	for (int i = 0; i < N; i++)
		rec_free(&x[i]);
#endif
}

/* Past the cap the oldest answers go, each add says so, and what is kept
 * is exactly the newest; a lookup of one that went says why. */
static void case_oldest_go(void)
{
	uint64_t cap = 64 << 10;
	struct dns_store *s = dns_store_new_cap(cap);
	events_reset();
	enum { N = 300 };
	char name[64];
	uint64_t over = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "k%d._domainkey.a.test", i);
		add_txt(s, name, 1000, (char)('a' + i % 26), 100 + 2 * (uint64_t)i, T0 + i * SEC);
		over += dns_store_stats(s)->mem > cap;
	}
	const struct dns_store_stats *st = dns_store_stats(s);
	CHECK(over == 0 && st->peak <= cap);
	CHECK(st->answers > 10 && st->answers < N);
	CHECK(st->let_go == N - st->answers && st->refused == 0);
	/* the first add that let one go named the first answer: its frame */
	CHECK(nmem_events > 0 &&
	      strstr(first_detail, "reached --dns-mem (65536 bytes): 1 answer ") &&
	      strstr(first_detail, "(the answer TXT k0._domainkey.a.test of frame 100)"));
	CHECK(last_frame == 100 + 2 * (uint64_t)(N - 1));
	/* the newest are kept, the oldest not; a lookup of one gone says so */
	struct ss_addr asker = flow.ep[SS_C2S].addr;
	uint64_t wrong = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "k%d._domainkey.a.test", i);
		const struct dns_answer *a =
		    dns_store_lookup(s, name, LDNS_RR_TYPE_TXT, T0 + i * SEC, &asker);
		int kept = i >= N - (int)st->answers;
		if (kept)
			wrong += a->kind != DNS_DATA || a->frame != 100 + 2 * (uint64_t)i ||
			         strlen(txt_of(a)) != 1000 || txt_of(a)[0] != 'a' + i % 26;
		else
			wrong += a->kind != DNS_NOT_CAPTURED || a->miss != DNS_MISS_LET_GO;
	}
	CHECK(wrong == 0);
	char why[400];
	const struct dns_answer *gone =
	    dns_store_lookup(s, "k0._domainkey.a.test", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(strstr(dns_answer_why(gone, NULL, why, sizeof why),
	             "no answer for TXT k0._domainkey.a.test kept") &&
	      strstr(why, "--dns-mem"));
	/* a name never seen is still "no answer", not "let go" */
	CHECK(dns_store_lookup(s, "never.a.test", LDNS_RR_TYPE_TXT, T0, &asker)->miss ==
	      DNS_MISS_NO_ANSWER);
	CHECK(dns_store_held_all() == st->mem);
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);
}

/* A resolver asking the same name again and again: one entry whose oldest
 * answers go; a lookup picks among those kept, nearest its time. */
static void case_one_name(void)
{
	uint64_t cap = 32 << 10;
	struct dns_store *s = dns_store_new_cap(cap);
	events_reset();
	uint64_t over = 0;
	for (int i = 0; i < 2000; i++) {
		add_txt(s, "a.test", 40, (char)('a' + i % 26), 1000 + 2 * (uint64_t)i,
		        T0 + i * SEC);
		over += dns_store_stats(s)->mem > cap;
	}
	const struct dns_store_stats *st = dns_store_stats(s);
	CHECK(over == 0 && st->answers > 20 && st->answers + st->let_go == 2000);
	struct ss_addr asker = flow.ep[SS_C2S].addr;
	/* the last is nearest the end */
	const struct dns_answer *a =
	    dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0 + 5000 * SEC, &asker);
	CHECK(a->kind == DNS_DATA && a->frame == 1000 + 2 * 1999);
	/* at the start, the oldest still kept is nearest: none that went */
	uint64_t oldest = 2000 - st->answers;
	a = dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(a->kind == DNS_DATA && a->frame == 1000 + 2 * oldest);
	/* answers of other names push them all out, within the cap */
	over = 0;
	for (int i = 0; i < 2000; i++) {
		char name[32];
		snprintf(name, sizeof name, "other%d.test", i);
		add_txt(s, name, 40, 'x', 10000 + 2 * (uint64_t)i, T0 + (3000 + i) * SEC);
		over += st->mem > cap;
	}
	CHECK(over == 0 && st->peak <= cap);
	a = dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(a->kind == DNS_NOT_CAPTURED && a->miss == DNS_MISS_LET_GO);
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);
}

/* An answer larger than a quarter of the cap is not kept, alone said, and
 * lets nothing else go; 16 records of 2000 bytes against a cap of 64K. */
static void case_too_big(void)
{
	uint64_t cap = 64 << 10;
	struct dns_store *s = dns_store_new_cap(cap);
	events_reset();
	add_txt(s, "small.test", 100, 's', 50, T0);
	uint64_t small = dns_store_stats(s)->mem;
	char *rrs = malloc(16 * 4500), *w = rrs;
	for (int k = 0; k < 16; k++) {
		w += sprintf(w, "big.test. 60 IN TXT");
		for (int j = 0; j < 8; j++)
			w += sprintf(w, " \"%0250d\"", k * 8 + j);
		*w++ = '\n';
	}
	*w = 0;
	struct rec x;
	rec_make(&x, "big.test", LDNS_RR_TYPE_TXT, 0, rrs, 52, T0 + SEC);
	dns_store_add(s, &x.r);
	rec_free(&x);
	free(rrs);
	const struct dns_store_stats *st = dns_store_stats(s);
	CHECK(st->refused == 1 && st->let_go == 0 && st->answers == 1 && st->mem == small);
	CHECK(nmem_events == 1 && last_frame == 52 && strstr(last_detail, "not kept") &&
	      strstr(last_detail, "big.test"));
	struct ss_addr asker = flow.ep[SS_C2S].addr;
	CHECK(dns_store_lookup(s, "big.test", LDNS_RR_TYPE_TXT, T0, &asker)->kind ==
	      DNS_NOT_CAPTURED);
	CHECK(dns_store_lookup(s, "small.test", LDNS_RR_TYPE_TXT, T0, &asker)->kind == DNS_DATA);
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);
}

/* Questions that got no answer count too, and go as answers do. */
static void case_questions(void)
{
	uint64_t cap = 32 << 10;
	struct dns_store *s = dns_store_new_cap(cap);
	char name[64];
	uint64_t over = 0;
	for (int i = 0; i < 1000; i++) {
		struct rec x;
		snprintf(name, sizeof name, "q%d.example", i);
		rec_make(&x, name, LDNS_RR_TYPE_TXT, -1, NULL, 10 + 2 * (uint64_t)i, T0 + i * SEC);
		dns_store_add(s, &x.r);
		rec_free(&x);
		over += dns_store_stats(s)->mem > cap;
	}
	const struct dns_store_stats *st = dns_store_stats(s);
	CHECK(over == 0 && st->questions > 10 && st->questions + st->let_go == 1000);
	struct ss_addr asker = flow.ep[SS_C2S].addr;
	const struct dns_answer *a =
	    dns_store_lookup(s, "q999.example", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(a->miss == DNS_MISS_UNANSWERED && a->asked_frame == 10 + 2 * 999 - 1);
	a = dns_store_lookup(s, "q0.example", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(a->miss == DNS_MISS_LET_GO);
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);
}

static const char ZONE[] = "$ORIGIN a.test.\n"
                           "$TTL 300\n"
                           "@ IN SOA ns.a.test. admin.a.test. 1 7200 3600 1209600 300\n"
                           "@ IN NS ns.a.test.\n"
                           "ns IN A 10.0.0.53\n"
                           "host IN A 10.0.0.7\n"
                           "sel._domainkey.deep IN TXT \"v=DKIM1; p=\"\n";

static int write_zone(char path[64])
{
	snprintf(path, 64, "/tmp/ss-dnsmem-zone-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	int ok = write(fd, ZONE, sizeof ZONE - 1) == (ssize_t)(sizeof ZONE - 1);
	close(fd);
	return ok ? 0 : -1;
}

/* Lookups never grow the store: not the misses, not the answers a zone
 * file gives for names it lacks. The latter no longer depend on what was
 * looked up before (RFC 2308 2.1, RFC 8020: NXDOMAIN says the name has no
 * record of any type; a name with records below it exists). */
static void case_lookups(void)
{
	char path[64], err[300];
	CHECK(write_zone(path) == 0);
	struct dns_store *s = dns_store_new();
	CHECK(dns_store_zone(s, path, err, sizeof err) == 0 || !printf("%s\n", err));
	add_txt(s, "captured.b.test", 10, 'c', 20, T0);
	struct ss_addr asker = flow.ep[SS_C2S].addr;
	uint64_t mem = dns_store_stats(s)->mem;
	char name[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof name, "n%d.%s", i, i % 2 ? "a.test" : "b.test");
		dns_store_lookup(s, name, LDNS_RR_TYPE_TXT, T0, &asker);
	}
	CHECK(dns_store_stats(s)->mem == mem);
	CHECK(dns_store_lookup(s, "x.a.test", LDNS_RR_TYPE_TXT, T0, &asker)->kind == DNS_NXDOMAIN);
	CHECK(dns_store_lookup(s, "x.a.test", LDNS_RR_TYPE_A, T0, &asker)->kind == DNS_NXDOMAIN);
	CHECK(dns_store_lookup(s, "host.a.test", LDNS_RR_TYPE_MX, T0, &asker)->kind == DNS_NODATA);
	/* empty non-terminals exist: names with records below them */
	CHECK(dns_store_lookup(s, "deep.a.test", LDNS_RR_TYPE_TXT, T0, &asker)->kind == DNS_NODATA);
	CHECK(dns_store_lookup(s, "_domainkey.deep.a.test", LDNS_RR_TYPE_A, T0, &asker)->kind ==
	      DNS_NODATA);
	const struct dns_answer *a =
	    dns_store_lookup(s, "sel._domainkey.deep.a.test", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(a->kind == DNS_DATA && a->zone && !strcmp(txt_of(a), "v=DKIM1; p="));
	/* an answer outlives DNS_STORE_HOLD - 1 more lookups */
	const struct dns_answer *held =
	    dns_store_lookup(s, "captured.b.test", LDNS_RR_TYPE_TXT, T0, &asker);
	for (int i = 0; i < DNS_STORE_HOLD - 1; i++)
		dns_store_lookup(s, "other.b.test", LDNS_RR_TYPE_TXT, T0, &asker);
	CHECK(held->kind == DNS_DATA && held->frame == 20 &&
	      !strcmp(held->name, "captured.b.test") && !strcmp(txt_of(held), "cccccccccc"));
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);

	/* zone files that do not fit the cap are refused, saying which cap */
	s = dns_store_new_cap(512);
	CHECK(dns_store_zone(s, path, err, sizeof err) == -1 && strstr(err, "--dns-mem"));
	dns_store_free(s);
	CHECK(dns_store_held_all() == 0);
	unlink(path);
}

int main(void)
{
	memset(&flow, 0, sizeof flow);
	flow.id = 1;
	flow.proto = 17;
	flow.ep[SS_C2S].addr = ip4("10.0.0.25");
	flow.ep[SS_C2S].port = 40000;
	flow.ep[SS_S2C].addr = ip4("10.0.0.53");
	flow.ep[SS_S2C].port = 53;
	ss_event_sink(on_event, NULL);
	case_counted_is_held();
	case_oldest_go();
	case_one_name();
	case_too_big();
	case_questions();
	case_lookups();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
