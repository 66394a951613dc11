/* test_spf.c - SPF cases the RFC 7208 suite lacks: answers the capture does
 * not hold (and a zone file supplying them), %{p} from a captured PTR, the
 * evidence a verdict lists, the words of pass/fail/none/permerror/temperror,
 * the macro examples of RFC 7208 7.4, 7.3's truncation, type SPF records
 * never asked for, the HELO identity and the null sender.
 *
 * Usage: test_spf SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pcapfeed.h"
#include "decode.h"
#include "dnsstore.h"
#include "protos.h"
#include "spf.h"
#include "spfmacro.h"
#include "sstime.h"
#include "verdict.h"

#define ZONE "hand.zone" /* what hand-put answers say they came from */
/* how a miss reads when the store holds no captured DNS */
#define NODNS ", as the capture holds no DNS at all: a capture filter may have left it out"

static struct dns_store *store;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_DNS)
		dns_store_add(store, r);
}

static struct ss_addr addr(const char *s)
{
	struct ss_addr a = {0};
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = SS_AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = SS_AF_INET6;
	return a;
}

/* Puts the records of one RRset by hand, written as zone-file lines
 * ("a.test. TXT \"v=spf1 -all\""), or an empty answer of kind k. */
static void put(struct dns_store *s, const char *name, const char *type, enum dns_kind k,
                const char *rr1, const char *rr2)
{
	ldns_rr_list *l = NULL;
	if (k == DNS_DATA) {
		l = ldns_rr_list_new();
		const char *rrs[] = {rr1, rr2};
		for (int i = 0; i < 2 && rrs[i]; i++) {
			ldns_rr *rr;
			char line[1024];
			snprintf(line, sizeof line, "%s. 300 IN %s %s", name, type, rrs[i]);
			if (ldns_rr_new_frm_str(&rr, line, 300, NULL, NULL) != LDNS_STATUS_OK) {
				printf("FAIL cannot make %s\n", line);
				failures++;
				continue;
			}
			ldns_rr_list_push_rr(l, rr);
		}
	}
	dns_store_put(s, name, (uint16_t)ldns_get_rr_type_by_name(type), k, l, ZONE);
}

static const char *reason(const struct verdict *v)
{
	return v && v->reason ? v->reason : "";
}

static int has_evidence(const struct verdict *v, const char *question, const char *source)
{
	for (size_t i = 0; i < v->ndns; i++)
		if (!strcmp(v->dns[i].question, question))
			return !source || !strcmp(v->dns[i].source, source);
	return 0;
}

static const struct ss_addr *mx(void)
{
	static struct ss_addr a;
	a = addr("10.255.2.31"); /* spf.mx.b.test, the checking MX of scenario 2 */
	return &a;
}

/* Answers not in the capture make "cannot tell", and a zone file that
 * holds them makes the real result. */
static void not_captured(void)
{
	struct dns_store *s = dns_store_new();
	struct ss_addr c = addr("192.0.2.10");
	struct verdict *v =
	    spf_check(s, 0, mx(), &c, "user@nz.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_UNKNOWN);
	/* the store holds no captured DNS at all: the words say so */
	CHECK(!strcmp(reason(v), "cannot tell: no answer for TXT nz.test" NODNS));
	CHECK(v && v->ndns == 1 && v->dns[0].kind == DNS_NOT_CAPTURED &&
	      !strcmp(v->dns[0].source, "the capture holds no DNS at all: a capture filter may "
	                                "have left it out"));
	verdict_free(v);

	/* the record is there, the address of the name it names is not */
	put(s, "nz.test", "TXT", DNS_DATA, "\"v=spf1 a:mail.other.test -all\"", NULL);
	v = spf_check(s, 0, mx(), &c, "user@nz.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_UNKNOWN &&
	      !strcmp(reason(v), "cannot tell: no answer for A mail.other.test" NODNS));
	verdict_free(v);
	/* ... which does not matter when an earlier term decides */
	struct dns_store *s2 = dns_store_new();
	put(s2, "nz.test", "TXT", DNS_DATA, "\"v=spf1 ip4:192.0.2.0/24 a:mail.other.test -all\"",
	    NULL);
	v = spf_check(s2, 0, mx(), &c, "user@nz.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PASS);
	verdict_free(v);
	dns_store_free(s2);

	/* a zone file for other.test supplies the answer: fail, then pass */
	char path[] = "/tmp/ss-spf-zone-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	fputs("$ORIGIN other.test.\n$TTL 300\n"
	      "@ IN SOA ns.other.test. host.other.test. 1 3600 600 86400 300\n"
	      "mail IN A 192.0.2.99\n",
	      fp);
	fclose(fp);
	char err[300];
	CHECK(dns_store_zone(s, path, err, sizeof err) == 0);
	v = spf_check(s, 0, mx(), &c, "user@nz.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_FAIL);
	char src[400];
	snprintf(src, sizeof src, "zone file %s", path);
	CHECK(v && has_evidence(v, "A mail.other.test", src));
	struct ss_addr c99 = addr("192.0.2.99");
	verdict_free(v);
	v = spf_check(s, 0, mx(), &c99, "user@nz.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PASS &&
	      !strcmp(verdict_get(v, "mechanism"), "a:mail.other.test"));
	verdict_free(v);
	/* a name the zone lacks is NXDOMAIN there: a void lookup, no match */
	put(s, "nz2.test", "TXT", DNS_DATA, "\"v=spf1 a:nothere.other.test ?all\"", NULL);
	v = spf_check(s, 0, mx(), &c, "user@nz2.test", "client.nz.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_NEUTRAL && has_evidence(v, "A nothere.other.test", src));
	verdict_free(v);
	unlink(path);
	dns_store_free(s);
}

/* The lab's capture: pass, fail, none in words, with the frame each answer
 * came from (looked up here independently), and %{p} from the MX's own PTR
 * lookup. The opendkim set's: its postfix-policyd-spf-python also checks the
 * HELO identity, so its captures hold the HELO name's TXT query (rspamd's
 * MXs ask none). */
static void lab_words(const char *src)
{
	char path[4096], want[1024];
	store = dns_store_new();
	snprintf(path, sizeof path, "%s/pcaps/opendkim/scenario2-1.pcap", src);
	if (pcapfeed(path))
		exit(1);
	snprintf(path, sizeof path, "%s/pcaps/opendkim/scenario2-2.pcap", src);
	if (pcapfeed(path)) /* the same names, asked again later: each check takes its own */
		exit(1);

	const struct dns_answer *a = dns_store_lookup(store, "a.test", LDNS_RR_TYPE_TXT, 0, mx());
	uint64_t frame_a = a->frame;
	CHECK(a->kind == DNS_DATA && frame_a > 0);
	struct ss_addr c = addr("10.255.1.20");
	struct verdict *v = spf_check(store, 0, mx(), &c, "user1@a.test", "plain.smtp.a.test",
	                              "spf.b.test", SPF_MAILFROM);
	snprintf(
	    want, sizeof want,
	    "10.255.1.20 matched ip4:10.255.1.20/31 in \"v=spf1 ip4:10.255.1.20/31 -all\" (TXT "
	    "a.test, frame %llu)",
	    (unsigned long long)frame_a);
	CHECK(v && v->result == V_PASS && !strcmp(reason(v), want));
	CHECK(v && !strcmp(verdict_get(v, "mechanism"), "ip4:10.255.1.20/31") &&
	      !strcmp(verdict_get(v, "record"), "v=spf1 ip4:10.255.1.20/31 -all") &&
	      !strcmp(verdict_get(v, "domain"), "a.test") &&
	      !strcmp(verdict_get(v, "client_ip"), "10.255.1.20") &&
	      !strcmp(verdict_get(v, "identity"), "mailfrom") &&
	      !strcmp(verdict_get(v, "sender"), "user1@a.test") && !strcmp(v->domain, "a.test"));
	verdict_free(v);

	struct ss_addr x = addr("10.255.24.20");
	v = spf_check(store, 0, mx(), &x, "user1@a.test", "plain.smtp.x.test", NULL, SPF_MAILFROM);
	snprintf(want, sizeof want,
	         "10.255.24.20 is not in \"v=spf1 ip4:10.255.1.20/31 -all\" (TXT a.test, frame "
	         "%llu): -all matched",
	         (unsigned long long)frame_a);
	CHECK(v && v->result == V_FAIL && !strcmp(reason(v), want));
	CHECK(v && !verdict_get(v, "explanation")); /* no exp= */
	verdict_free(v);

	/* the HELO identity: the MX's policy daemon asked for it, and found no
	 * record */
	a = dns_store_lookup(store, "plain.smtp.a.test", LDNS_RR_TYPE_TXT, 0, mx());
	CHECK(a->kind == DNS_NODATA);
	snprintf(want, sizeof want,
	         "plain.smtp.a.test publishes no SPF record (TXT plain.smtp.a.test, frame %llu)",
	         (unsigned long long)a->frame);
	v = spf_check(store, 0, mx(), &c, "user1@a.test", "plain.smtp.a.test", NULL, SPF_HELO);
	CHECK(v && v->result == V_NONE && !strcmp(reason(v), want));
	CHECK(v && !strcmp(verdict_get(v, "identity"), "helo") &&
	      !strcmp(verdict_get(v, "sender"), "postmaster@plain.smtp.a.test"));
	verdict_free(v);
	/* the null sender checks postmaster@helo (RFC 7208 2.4) */
	v = spf_check(store, 0, mx(), &c, "", "plain.smtp.a.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_NONE && !strcmp(reason(v), want) &&
	      !strcmp(verdict_get(v, "sender"), "postmaster@plain.smtp.a.test"));
	verdict_free(v);

	/* %{p}: the MX asked PTR 20.1.255.10.in-addr.arpa (plain.smtp.a.test)
	 * and that name's A record: validated (5.5) */
	a = dns_store_lookup(store, "20.1.255.10.in-addr.arpa", LDNS_RR_TYPE_PTR, 0, mx());
	CHECK(a->kind == DNS_DATA);
	char ptr_src[300];
	dns_answer_source(a, ptr_src);
	put(store, "p.test", "TXT", DNS_DATA, "\"v=spf1 exists:%{p}.ok.test -all exp=why.p.test\"",
	    NULL);
	put(store, "why.p.test", "TXT", DNS_DATA, "\"%{p} may not send for %{d} (%{i} %{v})\"",
	    NULL);
	put(store, "plain.smtp.a.test.ok.test", "A", DNS_DATA, "127.0.0.2", NULL);
	v = spf_check(store, 0, mx(), &c, "someone@p.test", "plain.smtp.a.test", NULL,
	              SPF_MAILFROM);
	CHECK(v && v->result == V_PASS &&
	      !strcmp(verdict_get(v, "mechanism"), "exists:%{p}.ok.test"));
	CHECK(v && has_evidence(v, "PTR 20.1.255.10.in-addr.arpa", ptr_src) &&
	      has_evidence(v, "A plain.smtp.a.test", NULL) &&
	      has_evidence(v, "A plain.smtp.a.test.ok.test", "zone file " ZONE));
	verdict_free(v);
	/* the same PTR in an explanation: 10.255.1.20 is not plain.smtp... 's
	 * only address? It is; so a client of another address gets "unknown"
	 * only when its PTR is captured. 10.255.1.21's is not: no explanation,
	 * the result still fail. */
	put(store, "q.test", "TXT", DNS_DATA, "\"v=spf1 -all exp=why.p.test\"", NULL);
	v = spf_check(store, 0, mx(), &c, "someone@q.test", "plain.smtp.a.test", NULL,
	              SPF_MAILFROM);
	CHECK(v && v->result == V_FAIL && verdict_get(v, "explanation") &&
	      !strcmp(verdict_get(v, "explanation"),
	              "plain.smtp.a.test may not send for q.test (10.255.1.20 in-addr)"));
	verdict_free(v);
	struct ss_addr c21 = addr("10.255.1.21");
	v = spf_check(store, 0, mx(), &c21, "someone@q.test", "x", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_FAIL && !verdict_get(v, "explanation"));
	CHECK(v && has_evidence(v, "PTR 21.1.255.10.in-addr.arpa", "no answer in the capture"));
	verdict_free(v);
	/* ... and where %{p} decides a mechanism, not knowing it is unknown */
	v = spf_check(store, 0, mx(), &c21, "someone@p.test", "x", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_UNKNOWN &&
	      !strcmp(reason(v),
	              "cannot tell: no answer for PTR 21.1.255.10.in-addr.arpa in the capture"));
	verdict_free(v);
	/* the ptr mechanism on the captured names */
	put(store, "r.test", "TXT", DNS_DATA, "\"v=spf1 ptr:a.test -all\"", NULL);
	v = spf_check(store, 0, mx(), &c, "someone@r.test", "x", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PASS && !strcmp(verdict_get(v, "mechanism"), "ptr:a.test"));
	verdict_free(v);
	dns_store_free(store);
}

/* Every lookup a check made is evidence, once, with where it came from. */
static void evidence(void)
{
	struct dns_store *s = dns_store_new();
	put(s, "ev.test", "TXT", DNS_DATA, "\"v=spf1 a mx include:inc.ev.test -all\"",
	    "\"not spf\"");
	put(s, "ev.test", "A", DNS_DATA, "192.0.2.1", NULL);
	put(s, "ev.test", "MX", DNS_DATA, "10 mx1.ev.test.", "20 mx2.ev.test.");
	put(s, "mx1.ev.test", "A", DNS_DATA, "192.0.2.2", NULL);
	put(s, "mx2.ev.test", "A", DNS_NODATA, NULL, NULL);
	put(s, "inc.ev.test", "TXT", DNS_DATA, "\"v=spf1 exists:%{i}.bl.ev.test\"", NULL);
	put(s, "192.0.2.9.bl.ev.test", "A", DNS_NXDOMAIN, NULL, NULL);
	/* type 99 records are never asked for (RFC 7208 3.1) */
	put(s, "ev.test", "SPF", DNS_DATA, "\"v=spf1 +all\"", NULL);
	struct ss_addr c = addr("192.0.2.9");
	struct verdict *v = spf_check(s, 0, mx(), &c, "u@ev.test", "h.ev.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_FAIL);
	if (v && v->result != V_FAIL)
		printf("  %s: %s\n", v_result_name(v->result), reason(v));
	static const char *const q[] = {"TXT ev.test",           "A ev.test",     "MX ev.test",
	                                "A mx1.ev.test",         "A mx2.ev.test", "TXT inc.ev.test",
	                                "A 192.0.2.9.bl.ev.test"};
	CHECK(v && v->ndns == sizeof q / sizeof *q);
	for (size_t i = 0; v && i < sizeof q / sizeof *q; i++)
		CHECK(has_evidence(v, q[i], "zone file " ZONE));
	for (size_t i = 0; v && i < v->ndns; i++)
		CHECK(strncmp(v->dns[i].question, "SPF ", 4));
	CHECK(v &&
	      !strcmp(v->dns[0].answer, "\"v=spf1 a mx include:inc.ev.test -all\", \"not spf\""));
	verdict_free(v);
	/* an IPv6 client asks AAAA, and an IPv4-mapped one is IPv4 */
	struct ss_addr c6 = addr("2001:db8::1"), mapped = addr("::ffff:192.0.2.1");
	put(s, "ev.test", "AAAA", DNS_DATA, "2001:db8::1", NULL);
	v = spf_check(s, 0, mx(), &c6, "u@ev.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PASS && has_evidence(v, "AAAA ev.test", NULL) &&
	      !strcmp(verdict_get(v, "mechanism"), "a"));
	verdict_free(v);
	v = spf_check(s, 0, mx(), &mapped, "u@ev.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PASS && !strcmp(verdict_get(v, "client_ip"), "192.0.2.1"));
	verdict_free(v);
	/* only type 99: no record (RFC 7208 3.1) */
	put(s, "only99.test", "SPF", DNS_DATA, "\"v=spf1 +all\"", NULL);
	put(s, "only99.test", "TXT", DNS_NODATA, NULL, NULL);
	v = spf_check(s, 0, mx(), &c, "u@only99.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_NONE &&
	      !strcmp(reason(v),
	              "only99.test publishes no SPF record (TXT only99.test, zone file " ZONE ")"));
	verdict_free(v);
	dns_store_free(s);
}

/* The words of the errors. */
static void error_words(void)
{
	struct dns_store *s = dns_store_new();
	struct ss_addr c = addr("192.0.2.9");
	/* eleven DNS-querying terms */
	put(s, "many.test", "TXT", DNS_DATA,
	    "\"v=spf1 a:a1.many.test a:a2.many.test a:a3.many.test a:a4.many.test a:a5.many.test "
	    "a:a6.many.test a:a7.many.test a:a8.many.test a:a9.many.test a:a10.many.test "
	    "a:a11.many.test -all\"",
	    NULL);
	for (int i = 1; i <= 11; i++) {
		char n[64];
		snprintf(n, sizeof n, "a%d.many.test", i);
		put(s, n, "A", DNS_DATA, "192.0.2.200", NULL);
	}
	struct verdict *v = spf_check(s, 0, mx(), &c, "u@many.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PERMERROR &&
	      !strncmp(reason(v),
	               "too many DNS lookups (11 > 10, RFC 7208 4.6.4): a:a11.many.test in ", 67));
	CHECK(v && !has_evidence(v, "A a11.many.test", NULL)); /* refused before asking */
	verdict_free(v);
	/* a syntax error anywhere, even after a matching term */
	put(s, "syn.test", "TXT", DNS_DATA, "\"v=spf1 ip4:192.0.2.9 -all ip4:300.1.1.1\"", NULL);
	v = spf_check(s, 0, mx(), &c, "u@syn.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PERMERROR &&
	      !strcmp(reason(v), "syntax error in \"v=spf1 ip4:192.0.2.9 -all ip4:300.1.1.1\" (TXT "
	                         "syn.test, zone file " ZONE "): a malformed address in "
	                         "\"ip4:300.1.1.1\""));
	verdict_free(v);
	/* two records */
	put(s, "two.test", "TXT", DNS_DATA, "\"v=spf1 -all\"", "\"v=spf1 +all\"");
	v = spf_check(s, 0, mx(), &c, "u@two.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PERMERROR && strstr(reason(v), "publishes 2 SPF records"));
	verdict_free(v);
	/* SERVFAIL: temperror, not unknown */
	put(s, "tmp.test", "TXT", DNS_SERVFAIL, NULL, NULL);
	v = spf_check(s, 0, mx(), &c, "u@tmp.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_TEMPERROR &&
	      !strcmp(reason(v), "DNS error for TXT tmp.test (SERVFAIL, zone file " ZONE ")"));
	verdict_free(v);
	/* a loop of includes and redirects ends at the lookup limit */
	put(s, "l1.test", "TXT", DNS_DATA, "\"v=spf1 include:l2.test redirect=l1.test\"", NULL);
	put(s, "l2.test", "TXT", DNS_DATA, "\"v=spf1 include:l1.test ?all\"", NULL);
	v = spf_check(s, 0, mx(), &c, "u@l1.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_PERMERROR && strstr(reason(v), "too many DNS lookups (11 > 10"));
	verdict_free(v);
	/* exp= only on fail: a softfail has no explanation */
	put(s, "soft.test", "TXT", DNS_DATA, "\"v=spf1 ~all exp=e.soft.test\"", NULL);
	put(s, "e.soft.test", "TXT", DNS_DATA, "\"go away %{s}\"", NULL);
	v = spf_check(s, 0, mx(), &c, "u@soft.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_SOFTFAIL && !verdict_get(v, "explanation") &&
	      !has_evidence(v, "TXT e.soft.test", NULL));
	verdict_free(v);
	/* the exp= of an included record is never used, nor even asked for
	 * (6.2: only the record that gave the fail explains it) */
	put(s, "outer.test", "TXT", DNS_DATA, "\"v=spf1 include:inner.test -all exp=e.outer.test\"",
	    NULL);
	put(s, "inner.test", "TXT", DNS_DATA, "\"v=spf1 -all exp=e.inner.test\"", NULL);
	put(s, "e.outer.test", "TXT", DNS_DATA, "\"outer says no to %{i}\"", NULL);
	put(s, "e.inner.test", "TXT", DNS_DATA, "\"inner says no\"", NULL);
	v = spf_check(s, 0, mx(), &c, "u@outer.test", "h", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_FAIL && verdict_get(v, "explanation") &&
	      !strcmp(verdict_get(v, "explanation"), "outer says no to 192.0.2.9") &&
	      !has_evidence(v, "TXT e.inner.test", NULL));
	verdict_free(v);
	/* no domain at all */
	v = spf_check(s, 0, mx(), &c, "", "", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_NONE);
	verdict_free(v);
	dns_store_free(s);
}

static int fixed_ptr(void *arg, const char *d, char *out, size_t cap)
{
	(void)arg;
	(void)d;
	snprintf(out, cap, "mx.example.org");
	return 0;
}

/* RFC 7208 7.4's examples, 7.3's URL escaping and truncation. */
static void macros(void)
{
	struct ss_addr ip4 = addr("192.0.2.3"), ip6 = addr("2001:db8::cb01");
	struct spf_macro_env e = {.sender = "strong-bad@email.example.com",
	                          .local = "strong-bad",
	                          .sender_dom = "email.example.com",
	                          .domain = "email.example.com",
	                          .ip = &ip4,
	                          .helo = "mx.example.org",
	                          .ptr = fixed_ptr};
	static const char *const ex[][2] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
	};
	char out[SPF_MAX_NAME + 1];
	const char *why;
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
		CHECK(spf_macro_check(ex[i][0], strlen(ex[i][0]), SPF_MACRO_DOMAIN, &why) == 0);
		CHECK(spf_macro_domain(&e, ex[i][0], strlen(ex[i][0]), out) == 0);
		if (strcmp(out, ex[i][1]))
			printf("  %s -> %s, want %s\n", ex[i][0], out, ex[i][1]);
		CHECK(!strcmp(out, ex[i][1]));
	}
	e.ip = &ip6;
	const char *m6 = "%{ir}.%{v}._spf.%{d2}";
	CHECK(spf_macro_domain(&e, m6, strlen(m6), out) == 0 &&
	      !strcmp(out,
	              "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf."
	              "example.com"));
	/* explanations: c, r, t, spaces; upper case URL-escapes */
	char text[256];
	e.ip = &ip4;
	e.receiver = "mx.b.test";
	e.now = 1400000000;
	const char *x = "%{c} via %{r} at %{t}: %{L} %{p} %%%_%-";
	CHECK(spf_macro_check(x, strlen(x), SPF_MACRO_EXPLAIN, &why) == 0);
	CHECK(spf_macro_explain(&e, x, strlen(x), text, sizeof text) == 0 &&
	      !strcmp(text,
	              "192.0.2.3 via mx.b.test at 1400000000: strong-bad mx.example.org % %20"));
	e.local = "a b/c";
	CHECK(spf_macro_explain(&e, "%{L}", 4, text, sizeof text) == 0 &&
	      !strcmp(text, "a%20b%2Fc"));
	/* c, r and t only in explanations; 0 is no digit transformer */
	CHECK(spf_macro_check("%{c}.x.test", 11, SPF_MACRO_DOMAIN, &why) == -1);
	CHECK(spf_macro_check("%{d0}.x.test", 12, SPF_MACRO_DOMAIN, &why) == -1);
	CHECK(spf_macro_check("%{d}", 4, SPF_MACRO_DOMAIN, &why) == 0);
	CHECK(spf_macro_check("a b", 3, SPF_MACRO_DOMAIN, &why) == -1);
	CHECK(spf_macro_check("a b", 3, SPF_MACRO_EXPLAIN, &why) == 0);
	CHECK(spf_macro_check("%{d", 3, SPF_MACRO_DOMAIN, &why) == -1);

	/* 7.3: past 253 bytes, labels go on the left; built here by hand */
	char label[61], dom[128], full[1024];
	memset(label, 'q', 60);
	label[60] = 0;
	snprintf(dom, sizeof dom, "%s.example.com", label);
	e.domain = dom;
	const char *longm = "%{d}.%{d}.%{d}.%{d}.x.test.";
	snprintf(full, sizeof full, "%s.%s.%s.%s.x.test", dom, dom, dom, dom);
	const char *cut = full;
	while (strlen(cut) > SPF_MAX_NAME)
		cut = strchr(cut, '.') + 1;
	CHECK(spf_macro_domain(&e, longm, strlen(longm), out) == 0 && !strcmp(out, cut));
	CHECK(strlen(out) <= SPF_MAX_NAME && strlen(full) > SPF_MAX_NAME);
	/* a huge expansion is cut to its right end without building it all */
	size_t big = 64 * 1024;
	char *bigm = malloc(big + 16);
	for (size_t i = 0; i + 4 <= big; i += 4)
		memcpy(bigm + i, "%{s}", 4);
	memcpy(bigm + big, ".x.test", 8);
	e.sender = "strong-bad@email.example.com";
	CHECK(spf_macro_domain(&e, bigm, strlen(bigm), out) == 0 && strlen(out) <= SPF_MAX_NAME &&
	      strstr(out, ".x.test"));
	free(bigm);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_spf SRCDIR SHAREDDIR\n");
		return 2;
	}
	record_sink_add(sink, NULL);
	not_captured();
	lab_words(argv[1]);
	evidence();
	error_words();
	macros();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
