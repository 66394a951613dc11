/* test_dmarc.c - DMARC (RFC 7489) against its own text and the lab.
 *
 * 1. Organizational Domains: libpsl's answers against the Public Suffix
 *    List algorithm (publicsuffix.org "Algorithm", RFC 7489 3.2) run here,
 *    independently, over the list file on disk; each named fact (co.uk,
 *    *.ck with !www.ck, s3.amazonaws.com, .test unlisted) is first checked
 *    to be in (or out of) the file.
 * 2. Records (6.3, 6.4, 6.6.3 step 6) and whole checks on hand-made DNS:
 *    alignment, policy discovery, sp/pct, several records, the From rules.
 * 3. The lab: scenario4-1 ... 4-4 of both verifier sets (rspamd's in
 *    pcaps/, the opendkim set's in pcaps/opendkim/), against the RFC
 *    verdict in each .notes file and what the receiver wrote, every
 *    disagreement explained by a fact the test checks.
 *
 * Usage: test_dmarc SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE /* pcap.h under -std=c11, mkstemp */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "pcapfeed.h"
#include "decode.h"
#include "dmarc.h"
#include "dmarcrec.h"
#include "dnsstore.h"
#include "message.h"
#include "orgdomain.h"
#include "protos.h"
#include "sstime.h"
#include "verdict.h"

/* ---- 1. Organizational Domains ------------------------------------- */

/* The list's rules, lower case, as the file has them. */
static char **rules;
static size_t nrules;

static int psl_read(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	char line[1024];
	while (fgets(line, sizeof line, fp)) {
		/* "Each line is only read up to the first whitespace";
		 * comments start with "//". */
		size_t n = strcspn(line, " \t\r\n");
		line[n] = 0;
		if (!n || !strncmp(line, "//", 2))
			continue;
		for (size_t i = 0; i < n; i++)
			line[i] = (char)tolower((unsigned char)line[i]);
		rules = realloc(rules, (nrules + 1) * sizeof *rules);
		rules[nrules++] = strdup(line);
	}
	fclose(fp);
	return 0;
}

static int psl_has(const char *rule)
{
	for (size_t i = 0; i < nrules; i++)
		if (!strcmp(rules[i], rule))
			return 1;
	return 0;
}

/* Labels of a name, right to left. */
static size_t labels(const char *name, const char *out[128], size_t len[128])
{
	size_t n = 0, end = strlen(name);
	while (end > 0 && n < 128) {
		size_t s = end;
		while (s > 0 && name[s - 1] != '.')
			s--;
		out[n] = name + s;
		len[n++] = end - s;
		end = s ? s - 1 : 0;
	}
	return n;
}

/* publicsuffix.org's algorithm: the matching rules; an exception rule
 * wins, else the one with the most labels, else the implicit "*". The
 * registrable domain is the public suffix plus one label; NULL when the
 * name is itself a public suffix. */
static const char *psl_reference(const char *name, char *out)
{
	const char *nl[128], *rl[128];
	size_t nlen[128], rlen[128];
	size_t nn = labels(name, nl, nlen), best = 1;
	int exception = 0;
	for (size_t i = 0; i < nrules; i++) {
		const char *r = rules[i];
		int exc = r[0] == '!';
		size_t rn = labels(r + exc, rl, rlen);
		if (rn > nn)
			continue;
		size_t k = 0;
		while (k < rn && ((rlen[k] == 1 && rl[k][0] == '*') ||
		                  (rlen[k] == nlen[k] && !memcmp(rl[k], nl[k], nlen[k]))))
			k++;
		if (k < rn)
			continue;
		if (exc) {
			exception = 1;
			best = rn - 1;
		} else if (!exception && rn > best) {
			best = rn;
		}
	}
	if (best >= nn)
		return NULL;
	/* the suffix of best + 1 labels */
	strcpy(out, nl[best]);
	return out;
}

static void test_orgdomain(void)
{
	const char *dat = ORGDOMAIN_PSL_DAT;
	if (psl_read(dat) < 0) {
		printf("skipping the list checks: %s is missing\n", dat);
		return;
	}
	CHECK(nrules > 1000);
	char out[ORGDOMAIN_MAX_NAME + 1], ref[ORGDOMAIN_MAX_NAME + 1];
	/* Debian's file answers, not libpsl's builtin copy. */
	CHECK(strstr(orgdomain_list(), "Debian publicsuffix") != NULL);

	/* The facts each case rests on are in the file (or not). */
	CHECK(psl_has("co.uk") && psl_has("uk"));
	CHECK(psl_has("com.au"));
	CHECK(psl_has("*.ck") && psl_has("!www.ck"));
	CHECK(psl_has("s3.amazonaws.com"));
	CHECK(!psl_has("test") && !psl_has("*.test"));
	CHECK(orgdomain_get("mail.example.co.uk", out, sizeof out) == ORGDOMAIN_OK &&
	      !strcmp(out, "example.co.uk"));
	CHECK(orgdomain_get("A.B.Example.COM.AU.", out, sizeof out) == ORGDOMAIN_OK &&
	      !strcmp(out, "example.com.au"));
	/* *.ck: every name under ck is a suffix, so x.y.ck is registrable... */
	CHECK(orgdomain_get("a.x.y.ck", out, sizeof out) == ORGDOMAIN_OK && !strcmp(out, "x.y.ck"));
	/* ...except www.ck, which !www.ck takes out of the wildcard. */
	CHECK(orgdomain_get("mail.www.ck", out, sizeof out) == ORGDOMAIN_OK &&
	      !strcmp(out, "www.ck"));
	CHECK(orgdomain_get("bucket.s3.amazonaws.com", out, sizeof out) == ORGDOMAIN_OK &&
	      !strcmp(out, "bucket.s3.amazonaws.com"));
	/* The lab: "test" is the public suffix by the implicit "*". */
	CHECK(orgdomain_get("pass.dkim.a.test", out, sizeof out) == ORGDOMAIN_OK &&
	      !strcmp(out, "a.test"));
	CHECK(orgdomain_get("x.test", out, sizeof out) == ORGDOMAIN_OK && !strcmp(out, "x.test"));
	/* A public suffix has no Organizational Domain above it: itself. */
	CHECK(orgdomain_get("co.uk", out, sizeof out) == ORGDOMAIN_SUFFIX && !strcmp(out, "co.uk"));
	CHECK(orgdomain_get("s3.amazonaws.com", out, sizeof out) == ORGDOMAIN_SUFFIX);
	CHECK(orgdomain_get("test", out, sizeof out) == ORGDOMAIN_SUFFIX);

	/* libpsl and the algorithm run here agree, name by name. */
	static const char *const names[] = {
	    "mail.example.co.uk",
	    "example.co.uk",
	    "a.b.example.com.au",
	    "www.ck",
	    "a.www.ck",
	    "a.b.c.ck",
	    "b.c.ck",
	    "foo.s3.amazonaws.com",
	    "x.test",
	    "pass.dkim.a.test",
	    "a.b.kawasaki.jp",
	    "city.kawasaki.jp",
	    "a.city.kawasaki.jp",
	    "deep.a.b.c.d.e.org",
	    "example.com",
	    "a.b.bd",
	    "foo.github.io",
	    "x.compute.amazonaws.com",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *want = psl_reference(names[i], ref);
		int st = orgdomain_get(names[i], out, sizeof out);
		int ok = want ? st == ORGDOMAIN_OK && !strcmp(out, want)
		              : st == ORGDOMAIN_SUFFIX && !strcmp(out, names[i]);
		if (!ok)
			printf("  %s: libpsl %s, the list says %s\n", names[i], out,
			       want ? want : "(a public suffix)");
		CHECK(ok);
	}

	/* Not DNS names (RFC 1035 2.3.4 lengths, empty labels, spaces). */
	char big[300];
	memset(big, 'a', 64);
	strcpy(big + 64, ".test");
	CHECK(orgdomain_get(big, out, sizeof out) == ORGDOMAIN_BAD && out[0] == 0);
	for (size_t i = 0; i < 127; i++)
		memcpy(big + 2 * i, "a.", 2);
	strcpy(big + 254, "t");
	CHECK(strlen(big) == 255 && orgdomain_get(big, out, sizeof out) == ORGDOMAIN_BAD);
	CHECK(orgdomain_get("", out, sizeof out) == ORGDOMAIN_BAD);
	CHECK(orgdomain_get(".", out, sizeof out) == ORGDOMAIN_BAD);
	CHECK(orgdomain_get("a..test", out, sizeof out) == ORGDOMAIN_BAD);
	CHECK(orgdomain_get("a b.test", out, sizeof out) == ORGDOMAIN_BAD);
	CHECK(orgdomain_get("x.test", out, 4) == ORGDOMAIN_BAD);
	CHECK(orgdomain_same("X.Test.", "x.test") && !orgdomain_same("x.test", "xx.test"));
}

/* ---- 2. Records and checks on hand-made DNS ------------------------ */

static enum dmarcrec_status rec(const char *text, struct dmarc_record *r)
{
	return dmarcrec_parse((const uint8_t *)text, strlen(text), r);
}

static void test_records(void)
{
	struct dmarc_record r;
	CHECK(rec("v=DMARC1; p=reject", &r) == DMARCREC_OK && r.p == DMARC_P_REJECT &&
	      r.sp == DMARC_P_ABSENT && r.pct == 100 && r.adkim == 'r' && r.aspf == 'r' &&
	      !r.problem[0]);
	/* 6.4: "v" and the p words are ABNF strings (any case), "DMARC1" is
	 * %x44 %x4d %x41 %x52 %x43 %x31 (exactly), with *WSP around "=" */
	CHECK(rec("V = DMARC1 ;P=Reject;SP = Quarantine;adkim=S;aspf=s;pct=25", &r) ==
	          DMARCREC_OK &&
	      r.p == DMARC_P_REJECT && r.sp == DMARC_P_QUARANTINE && r.adkim == 's' &&
	      r.aspf == 's' && r.pct == 25);
	CHECK(rec("v=dmarc1; p=reject", &r) == DMARCREC_NOT_DMARC);
	CHECK(rec("v=DMARC2; p=reject", &r) == DMARCREC_NOT_DMARC);
	CHECK(rec("v=DMARC1x; p=reject", &r) == DMARCREC_NOT_DMARC);
	CHECK(rec("p=reject; v=DMARC1", &r) == DMARCREC_NOT_DMARC); /* v first (6.3) */
	CHECK(rec(" v=DMARC1; p=reject", &r) == DMARCREC_NOT_DMARC);
	CHECK(rec("v=DMARC1 p=reject", &r) == DMARCREC_NOT_DMARC); /* no ";" */
	CHECK(rec("v=spf1 -all", &r) == DMARCREC_NOT_DMARC);
	CHECK(rec("", &r) == DMARCREC_NOT_DMARC);
	/* 6.6.3 step 6: no valid p= is ignored, unless rua= is valid. */
	CHECK(rec("v=DMARC1", &r) == DMARCREC_NO_POLICY && strstr(r.problem, "step 6.2"));
	CHECK(rec("v=DMARC1; adkim=s", &r) == DMARCREC_NO_POLICY);
	CHECK(rec("v=DMARC1; p=block", &r) == DMARCREC_NO_POLICY);
	CHECK(rec("v=DMARC1; p=reject; sp=maybe", &r) == DMARCREC_NO_POLICY);
	CHECK(rec("v=DMARC1; p=block; rua=nothing", &r) == DMARCREC_NO_POLICY);
	CHECK(rec("v=DMARC1; rua=mailto:dmarc@x.test", &r) == DMARCREC_OK && r.p == DMARC_P_NONE &&
	      r.p_implied && strstr(r.problem, "step 6.1"));
	CHECK(rec("v=DMARC1; p=reject; sp=maybe; rua=x, mailto:a@x.test!10m", &r) == DMARCREC_OK &&
	      r.p == DMARC_P_NONE && r.sp == DMARC_P_ABSENT && r.p_implied);
	/* 6.3: bad values of other tags fall back to their defaults. */
	CHECK(rec("v=DMARC1; p=quarantine; pct=101; adkim=x", &r) == DMARCREC_OK && r.pct == 100 &&
	      r.adkim == 'r' && strstr(r.problem, "pct"));
	CHECK(rec("v=DMARC1; p=none; pct=-1", &r) == DMARCREC_OK && r.pct == 100);
	CHECK(rec("v=DMARC1; p=none; pct=0", &r) == DMARCREC_OK && r.pct == 0);
	/* Unknown tags are ignored; the first of a repeated tag counts. */
	CHECK(rec("v=DMARC1; foo=bar; p=none; p=reject; junk;;", &r) == DMARCREC_OK &&
	      r.p == DMARC_P_NONE);
	/* A bare word: RFC 7489 6.4's grammar has only tag=value terms, so
	 * "bogus" is a syntax error; 6.3 says what a receiver does with one
	 * after v= and p=: "Syntax errors in the remainder of the record
	 * SHOULD be discarded in favor of default values (if any) or ignored
	 * outright", and no step of 6.6.3 drops or fails a record for it (step
	 * 6 only for a bad p= or sp=). So the term is ignored, the record
	 * applies, and the problem is said. Implementations differ, and the
	 * RFC decides: mox expects permerror (github.com/mjl-/mox,
	 * dmarc/dmarc_test.go: "_dmarc.malformed.example." holding
	 * "v=DMARC1; p=none; bogus" gives StatusPermerror and ErrSyntax, "Bad
	 * DMARC record results in permerror without reject"), and so does
	 * maddy through go-msgauth's dmarc.Parse ("dmarc: malformed params");
	 * libopendmarc 1.4.2, the lab's OpenDMARC, skips a term without "="
	 * in opendmarc_policy_parse_dmarc() and returns DMARC_PARSE_OKAY with
	 * p=none, and mailauth (postalsys/mailauth, get-dmarc-record.js)
	 * takes it for an unknown tag. */
	CHECK(rec("v=DMARC1; p=none; bogus", &r) == DMARCREC_OK && r.p == DMARC_P_NONE &&
	      !strcmp(r.problem, "\"bogus\" is not tag=value (RFC 7489 6.4): ignored (6.3)"));
	CHECK(rec("v=DMARC1; p=reject; bogus;", &r) == DMARCREC_OK && r.p == DMARC_P_REJECT &&
	      strstr(r.problem, "\"bogus\" is not tag=value"));
	CHECK(rec("v=DMARC1; p=none; =x", &r) == DMARCREC_OK && r.p == DMARC_P_NONE &&
	      !strcmp(r.problem, "\"=x\" has no tag name (RFC 7489 6.4): ignored (6.3)"));
	/* dmarc-sep is *WSP ";" *WSP and a final one is allowed (6.4): legal
	 * records with a trailing ";", spaces and tabs parse without a word
	 * of complaint; an empty term (";;"), which the grammar lacks but
	 * DKIM tag lists are read with (RFC 6376 3.2), is passed over. */
	static const char *const legal[] = {
	    "v=DMARC1; p=quarantine;",
	    "v=DMARC1; p=quarantine; ",
	    "v=DMARC1;p=quarantine",
	    "v=DMARC1 ;  p = quarantine ; ",
	    "v=DMARC1;\tp=quarantine;\t",
	    "v=DMARC1; p=quarantine;; ",
	    "v = DMARC1 ; p=quarantine ; pct=100 ;",
	};
	for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
		CHECK(rec(legal[i], &r) == DMARCREC_OK && r.p == DMARC_P_QUARANTINE &&
		      r.pct == 100 && !r.problem[0]);
	/* np= (RFC 9091) is read for the report only. */
	CHECK(rec("v=DMARC1; p=none; np=reject", &r) == DMARCREC_OK && r.np == DMARC_P_REJECT &&
	      r.np_raw.present);
	/* A NUL inside is just a byte: in an unknown tag it is ignored, in
	 * p= it makes the value none of the three words. */
	static const char nul1[] = "v=DMARC1; x=\0; p=reject";
	static const char nul2[] = "v=DMARC1; p=reject\0";
	CHECK(dmarcrec_parse((const uint8_t *)nul1, sizeof nul1 - 1, &r) == DMARCREC_OK &&
	      r.p == DMARC_P_REJECT);
	CHECK(dmarcrec_parse((const uint8_t *)nul2, sizeof nul2 - 1, &r) == DMARCREC_NO_POLICY);
}

/* A TXT record of any bytes, split into 255-byte strings. */
static ldns_rr *txt_rr(const char *owner, const char *t, size_t len)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 60);
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	ldns_rr_set_owner(rr, o ? o : ldns_dname_new_frm_str("."));
	size_t off = 0;
	do {
		size_t n = len - off > 255 ? 255 : len - off;
		uint8_t b[256];
		b[0] = (uint8_t)n;
		memcpy(b + 1, t + off, n);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, b));
		off += n;
	} while (off < len);
	return rr;
}

/* TXT answers at name: each argument one record, NULL-terminated. */
static void put_txt(struct dns_store *s, const char *name, ...)
{
	ldns_rr_list *l = ldns_rr_list_new();
	va_list ap;
	va_start(ap, name);
	for (const char *t = va_arg(ap, const char *); t; t = va_arg(ap, const char *))
		ldns_rr_list_push_rr(l, txt_rr(name, t, strlen(t)));
	va_end(ap);
	dns_store_put(s, name, LDNS_RR_TYPE_TXT, DNS_DATA, l, "test_dmarc");
}

static void put_kind(struct dns_store *s, const char *name, enum dns_kind k)
{
	dns_store_put(s, name, LDNS_RR_TYPE_TXT, k, NULL, "test_dmarc");
}

static struct verdict *auth(enum v_method m, enum v_result r, const char *domain)
{
	struct verdict *v = verdict_new(m);
	verdict_set(v, r, "made by the test");
	verdict_domain(v, domain);
	if (m == V_SPF)
		verdict_prop(v, "identity", "mailfrom");
	return v;
}

static struct ss_addr asker; /* the receiver */

/* dmarc_check on a message with the given header fields (lines joined by
 * CRLF), SPF result (NULL: none) and up to 4 DKIM results. */
static struct verdict *run(struct dns_store *s, const char *fields, struct verdict *spf,
                           struct verdict *k1, struct verdict *k2)
{
	char buf[4096];
	int n = snprintf(buf, sizeof buf, "%sSubject: t\r\n\r\nbody\r\n", fields);
	struct msg m;
	CHECK(msg_parse(&m, (const uint8_t *)buf, (size_t)n) == 0);
	struct verdict *k[2] = {k1, k2};
	struct verdict *v = dmarc_check(s, 0, &asker, &m, spf, k, 2);
	msg_free(&m);
	verdict_free(spf);
	verdict_free(k1);
	verdict_free(k2);
	CHECK(v && v->method == V_DMARC && v->reason && v->reason[0]);
	return v;
}

static int is(const struct verdict *v, const char *key, const char *val)
{
	const char *g = verdict_get(v, key);
	return g && !strcmp(g, val);
}

static int starts(const struct verdict *v, const char *key, const char *val)
{
	const char *g = verdict_get(v, key);
	return g && !strncmp(g, val, strlen(val));
}

static int asked(const struct verdict *v, const char *q)
{
	for (size_t i = 0; i < v->ndns; i++)
		if (!strcasecmp(v->dns[i].question, q))
			return 1;
	return 0;
}

/* The verdict in words; with VERBOSE set, every property and answer. */
static void show(const char *what, const struct verdict *v)
{
	printf("  %s: dmarc=%s: %s\n", what, v_result_name(v->result), v->reason);
	if (!getenv("VERBOSE"))
		return;
	for (size_t i = 0; i < v->nprops; i++)
		printf("      %s = %s\n", v->props[i].key, v->props[i].value);
	for (size_t i = 0; i < v->ndns; i++)
		printf("      dns: %s -> %s (%s)\n", v->dns[i].question, v->dns[i].answer,
		       v->dns[i].source);
}

static void test_checks(void)
{
	struct dns_store *s = dns_store_new();
	struct verdict *v;
	put_txt(s, "_dmarc.x.test", "v=DMARC1; p=reject", NULL);
	put_txt(s, "_dmarc.s.test", "v=DMARC1; p=reject; adkim=s; aspf=s", NULL);
	put_kind(s, "_dmarc.mail.x.test", DNS_NXDOMAIN);
	put_kind(s, "_dmarc.mail.s.test", DNS_NXDOMAIN);

	/* SPF alignment (3.1.2), relaxed: same Organizational Domain. */
	v = run(s, "From: u@x.test\r\n", auth(V_SPF, V_PASS, "bounce.x.test"), NULL, NULL);
	show("SPF relaxed", v);
	CHECK(v->result == V_PASS && starts(v, "spf_aligned", "yes") &&
	      starts(v, "dkim_aligned", "no") && is(v, "disposition", "none (DMARC passed)"));
	CHECK(!strcmp(v->domain, "x.test") && is(v, "record_domain", "x.test") &&
	      is(v, "policy", "reject") && is(v, "aspf", "r") && is(v, "adkim", "r"));
	verdict_free(v);
	/* ... strict: the same name only (any case). */
	v = run(s, "From: u@s.test\r\n", auth(V_SPF, V_PASS, "bounce.s.test"), NULL, NULL);
	show("SPF strict", v);
	CHECK(v->result == V_FAIL && starts(v, "spf_aligned", "no (strict") &&
	      is(v, "disposition", "reject") && strstr(v->reason, "relaxed would align"));
	verdict_free(v);
	v = run(s, "From: u@s.test\r\n", auth(V_SPF, V_PASS, "S.TEST"), NULL, NULL);
	CHECK(v->result == V_PASS && starts(v, "spf_aligned", "yes"));
	verdict_free(v);
	/* DKIM alignment (3.1.1), relaxed and strict. */
	v = run(s, "From: u@mail.x.test\r\n", NULL, auth(V_DKIM, V_PASS, "x.test"), NULL);
	show("DKIM relaxed", v);
	CHECK(v->result == V_PASS && is(v, "dkim_aligned", "x.test") &&
	      is(v, "spf_aligned", "no (no SPF result)"));
	verdict_free(v);
	v = run(s, "From: u@mail.s.test\r\n", NULL, auth(V_DKIM, V_PASS, "s.test"), NULL);
	show("DKIM strict", v);
	CHECK(v->result == V_FAIL && starts(v, "dkim_aligned", "no (strict"));
	verdict_free(v);
	v = run(s, "From: u@mail.s.test\r\n", NULL, auth(V_DKIM, V_PASS, "s.test"),
	        auth(V_DKIM, V_PASS, "Mail.S.Test"));
	CHECK(v->result == V_PASS && is(v, "dkim_aligned", "Mail.S.Test"));
	verdict_free(v);
	/* A DKIM signature that failed aligns nothing, whatever its d=. */
	v = run(s, "From: u@x.test\r\n", auth(V_SPF, V_FAIL, "x.test"),
	        auth(V_DKIM, V_FAIL, "x.test"), NULL);
	show("DKIM fail, d= matches", v);
	CHECK(v->result == V_FAIL && starts(v, "dkim_aligned", "no") &&
	      strstr(v->reason, "nothing passed"));
	verdict_free(v);
	/* SPF passed, for a domain not aligned. */
	v = run(s, "From: u@x.test\r\n", auth(V_SPF, V_PASS, "a.test"),
	        auth(V_DKIM, V_PASS, "y.test"), NULL);
	show("SPF and DKIM pass unaligned", v);
	CHECK(v->result == V_FAIL && starts(v, "spf_aligned", "no (relaxed") &&
	      starts(v, "dkim_aligned", "no (relaxed") && strstr(v->reason, "neither aligns") &&
	      strstr(v->reason, "x.test publishes p=reject"));
	verdict_free(v);

	/* Multi-label public suffixes: relaxed alignment under co.uk. */
	put_txt(s, "_dmarc.example.co.uk", "v=DMARC1; p=quarantine", NULL);
	v = run(s, "From: u@example.co.uk\r\n", auth(V_SPF, V_PASS, "other.co.uk"),
	        auth(V_DKIM, V_PASS, "mail.example.co.uk"), NULL);
	CHECK(v->result == V_PASS && is(v, "dkim_aligned", "mail.example.co.uk") &&
	      starts(v, "spf_aligned", "no (relaxed: organizational domain other.co.uk"));
	verdict_free(v);
	v = run(s, "From: u@example.co.uk\r\n", auth(V_SPF, V_PASS, "co.uk"), NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "disposition", "quarantine"));
	verdict_free(v);

	/* sp= applies to a subdomain whose record is the Organizational
	 * Domain's; p= to the Organizational Domain itself (6.3, 6.6.3). */
	put_txt(s, "_dmarc.o.test", "v=DMARC1; p=reject; sp=quarantine; np=none", NULL);
	put_kind(s, "_dmarc.sub.o.test", DNS_NXDOMAIN);
	v = run(s, "From: u@sub.o.test\r\n", auth(V_SPF, V_FAIL, "sub.o.test"), NULL, NULL);
	show("sp for a subdomain", v);
	CHECK(v->result == V_FAIL && is(v, "policy", "quarantine") && is(v, "policy_tag", "sp") &&
	      is(v, "sp", "quarantine") && is(v, "record_domain", "o.test") &&
	      is(v, "org_domain", "o.test") && is(v, "from_domain", "sub.o.test") &&
	      is(v, "disposition", "quarantine") && is(v, "np", "none"));
	CHECK(strstr(v->reason, "no DMARC record at sub.o.test (NXDOMAIN") &&
	      asked(v, "TXT _dmarc.sub.o.test") && asked(v, "TXT _dmarc.o.test"));
	verdict_free(v);
	v = run(s, "From: u@o.test\r\n", auth(V_SPF, V_FAIL, "o.test"), NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "policy", "reject") && is(v, "policy_tag", "p") &&
	      !asked(v, "TXT _dmarc.sub.o.test"));
	verdict_free(v);
	/* A subdomain's own record: its p=, the parent's sp= plays no part. */
	put_txt(s, "_dmarc.own.o.test", "v=DMARC1; p=none", NULL);
	v = run(s, "From: u@own.o.test\r\n", auth(V_SPF, V_FAIL, "own.o.test"), NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "policy", "none") && is(v, "policy_tag", "p") &&
	      starts(v, "disposition", "none (p=none") && !asked(v, "TXT _dmarc.o.test"));
	verdict_free(v);

	/* pct (6.6.4): 0 and 100, for reject and quarantine, and between. */
	put_txt(s, "_dmarc.p0.test", "v=DMARC1; p=reject; pct=0", NULL);
	put_txt(s, "_dmarc.q0.test", "v=DMARC1; p=quarantine; pct=0", NULL);
	put_txt(s, "_dmarc.p100.test", "v=DMARC1; p=reject; pct=100", NULL);
	put_txt(s, "_dmarc.p30.test", "v=DMARC1; p=reject; pct=30", NULL);
	v = run(s, "From: u@p0.test\r\n", NULL, NULL, NULL);
	show("pct=0 reject", v);
	CHECK(v->result == V_FAIL && is(v, "pct", "0") &&
	      starts(v, "disposition", "quarantine (pct=0"));
	verdict_free(v);
	v = run(s, "From: u@q0.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && starts(v, "disposition", "none (pct=0: sampled out"));
	verdict_free(v);
	v = run(s, "From: u@p100.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "pct", "100") && is(v, "disposition", "reject"));
	verdict_free(v);
	v = run(s, "From: u@p30.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && starts(v, "disposition", "reject for 30% of such messages"));
	verdict_free(v);

	/* Several DMARC records: no policy (6.6.3 step 5), and no fallback to
	 * the Organizational Domain, since the first set was not empty. */
	put_txt(s, "_dmarc.two.o.test", "v=DMARC1; p=reject", "v=DMARC1; p=none", NULL);
	v = run(s, "From: u@two.o.test\r\n", NULL, NULL, NULL);
	show("two records", v);
	CHECK(v->result == V_NONE && strstr(v->reason, "step 5") &&
	      !asked(v, "TXT _dmarc.o.test") && !verdict_get(v, "policy") &&
	      !verdict_get(v, "record"));
	verdict_free(v);
	/* ... but one DMARC record among other TXT records is the record. */
	put_txt(s, "_dmarc.mixed.test", "v=spf1 -all", "v=DMARC1; p=quarantine", "hello", NULL);
	v = run(s, "From: u@mixed.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "policy", "quarantine") &&
	      is(v, "record", "v=DMARC1; p=quarantine"));
	verdict_free(v);
	/* Records not starting with v=DMARC1 are discarded: the set is
	 * empty, so the Organizational Domain's record is looked for. */
	put_txt(s, "_dmarc.notv.o.test", "v=DMARC2; p=none", "p=none; v=DMARC1", NULL);
	v = run(s, "From: u@notv.o.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "record_domain", "o.test") &&
	      is(v, "policy", "quarantine") && strstr(v->reason, "no TXT record starting with"));
	verdict_free(v);
	put_txt(s, "_dmarc.notv.test", "v=spf1 -all", NULL);
	v = run(s, "From: u@notv.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_NONE && !verdict_get(v, "policy"));
	verdict_free(v);

	/* A bare word in the record (see test_records()): ignored, and the
	 * record's policy applies, with the problem in record_problem; a
	 * record with a trailing ";" and spaces applies with no problem. */
	put_txt(s, "_dmarc.bare.test", "v=DMARC1; p=reject; bogus", NULL);
	v = run(s, "From: u@bare.test\r\n", auth(V_SPF, V_FAIL, "bare.test"), NULL, NULL);
	show("bare word", v);
	CHECK(v->result == V_FAIL && is(v, "policy", "reject") && is(v, "disposition", "reject") &&
	      starts(v, "record_problem", "\"bogus\" is not tag=value"));
	verdict_free(v);
	put_txt(s, "_dmarc.semi.test", "v=DMARC1 ;  p = quarantine ;\t", NULL);
	v = run(s, "From: u@semi.test\r\n", auth(V_SPF, V_FAIL, "semi.test"), NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "policy", "quarantine") &&
	      !verdict_get(v, "record_problem"));
	verdict_free(v);

	/* A record without p= (6.6.3 step 6): ignored without a valid rua=,
	 * with no fallback either; with one, it counts as p=none. */
	put_txt(s, "_dmarc.nop.o.test", "v=DMARC1; adkim=s", NULL);
	v = run(s, "From: u@nop.o.test\r\n", NULL, NULL, NULL);
	show("no p=", v);
	CHECK(v->result == V_NONE && starts(v, "record_problem", "has no p=") &&
	      strstr(v->reason, "step 6.2") && !asked(v, "TXT _dmarc.o.test") &&
	      !verdict_get(v, "policy"));
	verdict_free(v);
	put_txt(s, "_dmarc.rua.test", "v=DMARC1; rua=mailto:r@rua.test", NULL);
	v = run(s, "From: u@rua.test\r\n", auth(V_SPF, V_FAIL, "rua.test"), NULL, NULL);
	CHECK(v->result == V_FAIL && is(v, "policy", "none") && is(v, "rua", "mailto:r@rua.test") &&
	      starts(v, "disposition", "none (p=none"));
	verdict_free(v);

	/* The From rules (6.6.1). Two mailboxes of different Organizational
	 * Domains: each is checked, the strictest failing policy applies. */
	put_txt(s, "_dmarc.y.test", "v=DMARC1; p=quarantine", NULL);
	put_txt(s, "_dmarc.n.test", "v=DMARC1; p=none", NULL);
	v = run(s, "From: a@y.test, b@x.test\r\nSender: a@y.test\r\n",
	        auth(V_SPF, V_PASS, "y.test"), NULL, NULL);
	show("two authors", v);
	CHECK(v->result == V_FAIL && !strcmp(v->domain, "x.test") && is(v, "policy", "reject") &&
	      is(v, "author_domains", "y.test=pass, x.test=fail"));
	verdict_free(v);
	v = run(s, "From: a@n.test, b@Y.test, c@y.TEST\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_FAIL && !strcmp(v->domain, "y.test") &&
	      is(v, "policy", "quarantine") && is(v, "author_domains", "n.test=fail, y.test=fail"));
	verdict_free(v);
	v = run(s, "From: a@y.test, b@x.test\r\n", auth(V_SPF, V_PASS, "x.test"),
	        auth(V_DKIM, V_PASS, "y.test"), NULL);
	CHECK(v->result == V_PASS);
	verdict_free(v);
	/* No From, two From fields, one that does not parse: outside. */
	v = run(s, "To: u@x.test\r\n", auth(V_SPF, V_PASS, "x.test"), NULL, NULL);
	show("no From", v);
	CHECK(v->result == V_NONE && is(v, "outside", "no From field") && v->ndns == 0);
	verdict_free(v);
	v = run(s, "From: u@x.test\r\nFrom: u@y.test\r\n", NULL, NULL, NULL);
	show("two From fields", v);
	CHECK(v->result == V_NONE && is(v, "outside", "2 From fields") && v->ndns == 0);
	verdict_free(v);
	v = run(s, "From: not an address\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_NONE && is(v, "outside", "From does not parse"));
	verdict_free(v);
	v = run(s, "From: u@[192.0.2.1]\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_NONE && verdict_get(v, "outside"));
	verdict_free(v);

	/* The NXDOMAIN fallback from the From domain to the Organizational
	 * Domain, as in the lab's 4-1. */
	put_kind(s, "_dmarc.pass.dkim.a.test", DNS_NXDOMAIN);
	put_txt(s, "_dmarc.a.test", "v=DMARC1; p=quarantine; pct=100", NULL);
	v = run(s, "From: user1@pass.dkim.a.test\r\n", auth(V_SPF, V_PASS, "pass.dkim.a.test"),
	        auth(V_DKIM, V_PASS, "pass.dkim.a.test"), NULL);
	show("NXDOMAIN fallback", v);
	CHECK(v->result == V_PASS && is(v, "record_domain", "a.test") &&
	      is(v, "org_domain", "a.test") && is(v, "policy", "quarantine") &&
	      is(v, "policy_tag", "p") &&
	      strstr(v->reason, "no DMARC record at pass.dkim.a.test (NXDOMAIN") &&
	      strstr(v->reason, "its organizational domain a.test publishes p=quarantine"));
	CHECK(v->ndns == 2 && !strcmp(v->dns[0].question, "TXT _dmarc.pass.dkim.a.test") &&
	      !strcmp(v->dns[1].question, "TXT _dmarc.a.test"));
	verdict_free(v);
	/* No record anywhere: none. */
	put_kind(s, "_dmarc.nothing.test", DNS_NODATA);
	v = run(s, "From: u@nothing.test\r\n", auth(V_SPF, V_PASS, "nothing.test"), NULL, NULL);
	CHECK(v->result == V_NONE && !verdict_get(v, "disposition"));
	verdict_free(v);

	/* SERVFAIL: temperror, at either step. */
	put_kind(s, "_dmarc.sf.test", DNS_SERVFAIL);
	v = run(s, "From: u@sf.test\r\n", auth(V_SPF, V_PASS, "sf.test"), NULL, NULL);
	show("SERVFAIL", v);
	CHECK(v->result == V_TEMPERROR && strstr(v->reason, "SERVFAIL"));
	verdict_free(v);
	put_kind(s, "_dmarc.sub.sf.test", DNS_NXDOMAIN);
	v = run(s, "From: u@sub.sf.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_TEMPERROR);
	verdict_free(v);
	/* Not in the capture: unknown, never none, at either step. */
	v = run(s, "From: u@elsewhere.test\r\n", auth(V_SPF, V_PASS, "elsewhere.test"), NULL, NULL);
	show("not captured", v);
	CHECK(v->result == V_UNKNOWN &&
	      strstr(v->reason, "cannot tell: no answer for TXT _dmarc.elsewhere.test, as the "
	                        "capture holds no DNS at all")); /* nothing captured */
	verdict_free(v);
	put_kind(s, "_dmarc.sub.gone.test", DNS_NXDOMAIN);
	v = run(s, "From: u@sub.gone.test\r\n", NULL, NULL, NULL);
	CHECK(v->result == V_UNKNOWN &&
	      strstr(v->reason, "cannot tell: no answer for TXT _dmarc.gone.test, as the "
	                        "capture holds no DNS at all")); /* nothing captured */
	verdict_free(v);
	/* An SPF result smtpsniff could not tell, for an aligned domain, with
	 * nothing else aligned passing: pass or fail, it cannot tell. */
	v = run(s, "From: u@x.test\r\n", auth(V_SPF, V_UNKNOWN, "x.test"),
	        auth(V_DKIM, V_PASS, "y.test"), NULL);
	CHECK(v->result == V_UNKNOWN && !verdict_get(v, "disposition"));
	verdict_free(v);
	v = run(s, "From: u@x.test\r\n", auth(V_SPF, V_UNKNOWN, "a.test"), NULL, NULL);
	CHECK(v->result == V_FAIL);
	verdict_free(v);
	/* A From domain that is no DNS name, and one that is not ASCII. */
	v = run(
	    s, "From: u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\r\n",
	    NULL, NULL, NULL);
	CHECK(v->result == V_NONE && verdict_get(v, "outside"));
	verdict_free(v);
	v = run(s,
	        "From: u@b\xc3\xbc"
	        "cher.test\r\n",
	        NULL, NULL, NULL);
	CHECK(v->result == V_UNKNOWN && strstr(v->reason, "A-label"));
	verdict_free(v);
	/* More distinct author domains than DMARC_MAX_AUTHORS: not checked. */
	char many[2048] = "From: ";
	for (int i = 0; i <= DMARC_MAX_AUTHORS; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%su@d%d.test",
		         i ? ", " : "", i);
	strcat(many, "\r\n");
	v = run(s, many, NULL, NULL, NULL);
	CHECK(v->result == V_UNKNOWN && v->ndns == 0);
	verdict_free(v);
	dns_store_free(s);
}

/* ---- 3. The lab ----------------------------------------------------- */

static struct dns_store *store;
/* The message into dmarc.mx.b.test, as that hop carried it. */
static struct ss_addr mx;
static uint8_t *hop_data;
static size_t hop_len;
static char hop_mail_from[512], hop_helo[256];
static int64_t hop_ts;
static int hop_count;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_DNS)
		dns_store_add(store, r);
	if (r->kind != REC_MESSAGE || r->u.msg.role != RR_TRANSFER ||
	    ss_addr_cmp(&r->flow->ep[SS_S2C].addr, &mx) || r->flow->ep[SS_S2C].port != 25)
		return;
	hop_count++;
	free(hop_data);
	hop_len = r->u.msg.data.len;
	hop_data = malloc(hop_len + 1);
	memcpy(hop_data, r->u.msg.data.p, hop_len);
	snprintf(hop_mail_from, sizeof hop_mail_from, "%.*s", (int)r->u.msg.mail_from.len,
	         (const char *)r->u.msg.mail_from.p);
	snprintf(hop_helo, sizeof hop_helo, "%.*s", (int)r->u.msg.helo.len,
	         (const char *)r->u.msg.helo.p);
	hop_ts = r->u.msg.ts_end;
}

/* A line "CHECK RESULT  written=W ..." of a .notes file. */
struct expect {
	char result[16], written[16];
	int differs;
};

static int notes_line(const char *path, const char *what, struct expect *e)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	int found = 0;
	memset(e, 0, sizeof *e);
	while (fp && fgets(line, sizeof line, fp)) {
		char name[16];
		if (line[0] == '#' ||
		    sscanf(line, "%15s %15s written=%15s", name, e->result, e->written) != 3 ||
		    strcmp(name, what))
			continue;
		e->differs = strstr(line, "DIFFERS") != NULL;
		found = 1;
		break;
	}
	if (fp)
		fclose(fp);
	return found;
}

/* What the receiver wrote for method (e.g. "dmarc") in a .verdicts file:
 * the word after "dmarc=" in its Authentication-Results. */
static int written(const char *path, const char *method, char *out, size_t n)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 0;
	char buf[16384];
	size_t len = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[len] = 0;
	char key[32];
	snprintf(key, sizeof key, "%s=", method);
	for (char *p = strstr(buf, key); p; p = strstr(p + 1, key)) {
		if (p > buf && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
			continue; /* "dkim-atps=" is not "dkim=" */
		p += strlen(key);
		size_t k = strcspn(p, " \t\r\n;(");
		snprintf(out, n, "%.*s", (int)k, p);
		return 1;
	}
	return 0;
}

/* The domain of an address in a MAIL FROM argument ("<u@d> SIZE=..."). */
static void envelope_domain(const char *arg, char *out, size_t n)
{
	const char *at = strrchr(arg, '@');
	out[0] = 0;
	if (!at)
		return;
	size_t k = strcspn(at + 1, "> \t");
	snprintf(out, n, "%.*s", (int)k, at + 1);
}

/* The d= of a DKIM-Signature field's value (RFC 6376 3.2 tag list). */
static void dkim_d(const char *value, char *out, size_t n)
{
	out[0] = 0;
	for (const char *p = value; p && *p; p = strchr(p, ';')) {
		if (*p == ';')
			p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == 'd' && strchr(" \t=", p[1])) {
			const char *eq = strchr(p, '=');
			if (!eq)
				return;
			eq++;
			while (*eq == ' ' || *eq == '\t')
				eq++;
			size_t k = strcspn(eq, "; \t");
			snprintf(out, n, "%.*s", (int)k, eq);
			return;
		}
	}
}

/* Loads every upstream zone (../shared/smtpbook/zones), with the lab's
 * network put in as lab/dns.sh does; the lab's DNS served these. They go
 * to DIR/NAME.zone (a fresh directory), so verdicts name the zone. */
static int load_zones(struct dns_store *s, const char *shared)
{
	static const char *const zones[] = {"a.test", "x.test", "y.test", "b.test"};
	char dir[] = "/tmp/ss-dmarc-XXXXXX";
	if (!mkdtemp(dir))
		return 0;
	int loaded = 0;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		char path[4096], tmp[64], line[4096];
		snprintf(path, sizeof path, "%s/smtpbook/zones/%s.zone", shared, zones[i]);
		FILE *in = fopen(path, "r");
		if (!in)
			continue;
		snprintf(tmp, sizeof tmp, "%s/%s.zone", dir, zones[i]);
		FILE *out = fopen(tmp, "w");
		while (out && fgets(line, sizeof line, in)) {
			for (char *q = strstr(line, "_NETWORK"); q; q = strstr(line, "_NETWORK")) {
				memmove(q + 6, q + 8, strlen(q + 8) + 1);
				memcpy(q, "10.255", 6);
			}
			fputs(line, out);
		}
		fclose(in);
		CHECK(out != NULL);
		if (!out)
			continue;
		fclose(out);
		char err[300];
		CHECK(dns_store_zone(s, tmp, err, sizeof err) == 0);
		unlink(tmp);
		loaded++;
	}
	rmdir(dir);
	return loaded;
}

/* The evidence entry of a question, or NULL. */
static const struct v_evidence *evidence(const struct verdict *v, const char *q)
{
	for (size_t i = 0; i < v->ndns; i++)
		if (!strcasecmp(v->dns[i].question, q))
			return &v->dns[i];
	return NULL;
}

/* Captures whose receiver wrote another DMARC verdict than smtpsniff's. */
static int disagreements;

/* One capture: the DMARC verdict of the hop into dmarc.mx.b.test. */
static void lab_one(const char *src, const char *shared, const char *set, const char *name)
{
	char pcap[4096], exp[4096], ver[4096];
	snprintf(pcap, sizeof pcap, "%s/%s/%s.pcap", src, set, name);
	snprintf(exp, sizeof exp, "%s/%s/%s.notes", src, set, name);
	snprintf(ver, sizeof ver, "%s/%s/%s.verdicts", src, set, name);
	printf("%s/%s:\n", set, name);
	store = dns_store_new();
	hop_count = 0;
	if (pcapfeed(pcap))
		exit(1);
	CHECK(hop_count == 1 && hop_data);
	if (!hop_data) {
		dns_store_free(store);
		return;
	}
	struct expect e_spf, e_dkim, e_dmarc;
	CHECK(notes_line(exp, "spf", &e_spf) && notes_line(exp, "dkim", &e_dkim) &&
	      notes_line(exp, "dmarc", &e_dmarc));
	int parsed = v_result_parse(e_dmarc.result, strlen(e_dmarc.result));
	CHECK(parsed >= 0);
	enum v_result want = (enum v_result)parsed;

	struct msg m;
	CHECK(msg_parse(&m, hop_data, hop_len) == 0);

	/* The SPF and DKIM inputs. Their results come from the .notes
	 * file (the RFC verdicts, independent truth), since the SPF and DKIM
	 * verifiers are written at the same time as this one; the domains
	 * come from the captured message: MAIL FROM's domain (the HELO name
	 * for a null sender, RFC 7489 4.1 / RFC 7208 2.4) and each
	 * DKIM-Signature's d=. The lead switches these to the real SPF and
	 * DKIM verifiers (verify/spf.h, verify/dkim.h) once they exist. */
	char dom[256];
	envelope_domain(hop_mail_from, dom, sizeof dom);
	struct verdict *spf = verdict_new(V_SPF);
	verdict_set(spf, v_result_parse(e_spf.result, strlen(e_spf.result)), "from %s", exp);
	verdict_domain(spf, dom[0] ? dom : hop_helo);
	verdict_prop(spf, "identity", dom[0] ? "mailfrom" : "helo");
	struct verdict *dkim[8];
	size_t ndkim = 0, i = 0;
	for (const struct msg_field *f; ndkim < 8 && (f = msg_next(&m, "DKIM-Signature", &i));) {
		char d[256];
		dkim_d(f->unfolded, d, sizeof d);
		dkim[ndkim] = verdict_new(V_DKIM);
		verdict_set(dkim[ndkim], v_result_parse(e_dkim.result, strlen(e_dkim.result)),
		            "from %s", exp);
		verdict_domain(dkim[ndkim], d);
		ndkim++;
	}
	CHECK(ndkim == 1 && dom[0]);

	/* First with the captured DNS alone: the receivers asked every
	 * question the verdict needs, so it is the RFC's already. */
	struct verdict *v = dmarc_check(store, hop_ts, &mx, &m, spf, dkim, ndkim);
	CHECK(v != NULL);
	show("capture only", v);
	char from[ORGDOMAIN_MAX_NAME + 1], org[ORGDOMAIN_MAX_NAME + 1], qfrom[300], qorg[300];
	snprintf(from, sizeof from, "%s", v->domain ? v->domain : "");
	orgdomain_get(from, org, sizeof org);
	snprintf(qfrom, sizeof qfrom, "TXT _dmarc.%s", from);
	snprintf(qorg, sizeof qorg, "TXT _dmarc.%s", org);
	CHECK(v->result == want);
	/* The From domain's own query is always in the capture. */
	const struct v_evidence *ev = evidence(v, qfrom);
	CHECK(ev && !strncmp(ev->source, "frame ", 6));
	if (strcmp(from, org)) {
		/* 4-1..4-3: no record at the From domain, and both sets'
		 * receivers went on to the Organizational Domain's (RFC 7489
		 * 6.6.3 step 3; their suffix list holds "test"): that query
		 * is in the capture, and its record is the one applied. */
		const struct v_evidence *eo = evidence(v, qorg);
		CHECK(ev && !strcmp(ev->answer, "NXDOMAIN"));
		CHECK(eo && !strncmp(eo->source, "frame ", 6) && is(v, "record_domain", org));
	} else {
		CHECK(is(v, "record_domain", from));
	}

	/* Then with the zones the lab's DNS served too: the capture's
	 * answers come first, and the verdict stays the RFC's. */
	int zones = load_zones(store, shared);
	if (zones) {
		verdict_free(v);
		v = dmarc_check(store, hop_ts, &mx, &m, spf, dkim, ndkim);
		show("with the lab's zones", v);
		ev = evidence(v, qfrom);
		CHECK(ev && !strncmp(ev->source, "frame ", 6));
		const struct v_evidence *eo = evidence(v, qorg);
		CHECK(!strcmp(from, org) || (eo && !strncmp(eo->source, "frame ", 6)));
		CHECK(v->result == want);
	} else {
		printf("  skipping the zone part: %s/smtpbook/zones is missing\n", shared);
	}
	if (v->result != want)
		printf("  RFC 7489 says %s (%s)\n", e_dmarc.result, exp);

	/* What the receiver wrote, and whether it agrees. */
	char wrote[32] = "";
	CHECK(written(ver, "dmarc", wrote, sizeof wrote));
	CHECK(!strcmp(wrote, e_dmarc.written));
	CHECK(e_dmarc.differs == !!strcmp(e_dmarc.written, e_dmarc.result));
	if (!strcmp(wrote, v_result_name(v->result))) {
		printf("  the receiver wrote dmarc=%s too\n", wrote);
	} else if (!strcmp(set, "pcaps/opendkim") && !strcmp(wrote, "pass") &&
	           v->result == V_FAIL && starts(v, "spf_aligned", "no (relaxed") &&
	           starts(v, "dkim_aligned", "no (relaxed") && is(v, "record_domain", from)) {
		/* OpenDMARC 1.4.2's fault (lab/verifier-notes): it had the
		 * record (the capture holds its query) and still passed. By
		 * the list, From's, SPF's and DKIM's Organizational Domains all
		 * differ; its opendmarc_reverse_domain(), which turns each
		 * domain around before comparing, drops a leftmost label of
		 * one character, and all three are such a label on "test"
		 * (tests/verify/lab_verdicts.py asks Debian's libopendmarc).
		 * Not the suffix list: the same set's receiver fell back to
		 * a.test in 4-1..4-3, as the list says. */
		disagreements++;
		char o1[ORGDOMAIN_MAX_NAME + 1], o2[ORGDOMAIN_MAX_NAME + 1];
		orgdomain_get(spf->domain, o1, sizeof o1);
		orgdomain_get(dkim[0]->domain, o2, sizeof o2);
		CHECK(strcmp(o1, org) && strcmp(o2, org) && strcmp(o1, o2) &&
		      spf->result == V_PASS && dkim[0]->result == V_PASS);
		printf("  the receiver wrote dmarc=pass with %s's p=%s in hand (%s): SPF's %s and "
		       "DKIM's %s are other organizational domains than %s, so nothing aligns "
		       "(RFC 7489 3.1, 3.2)\n",
		       from, verdict_get(v, "policy"), ev ? ev->source : "?", o1, o2, org);
	} else {
		printf("  unexplained: the receiver wrote dmarc=%s, smtpsniff says %s\n", wrote,
		       v_result_name(v->result));
		disagreements++;
		CHECK(0);
	}
	verdict_free(v);
	verdict_free(spf);
	for (size_t k = 0; k < ndkim; k++)
		verdict_free(dkim[k]);
	msg_free(&m);
	dns_store_free(store);
	store = NULL;
	free(hop_data);
	hop_data = NULL;
}

static void test_lab(const char *src, const char *shared)
{
	inet_pton(AF_INET, "10.255.2.33", mx.b); /* dmarc.mx.b.test */
	mx.family = SS_AF_INET;
	record_sink_add(sink, NULL);
	static const char *const sets[] = {"pcaps", "pcaps/opendkim"};
	static const char *const names[] = {"scenario4-1", "scenario4-2", "scenario4-3",
	                                    "scenario4-4"};
	for (size_t s = 0; s < 2; s++)
		for (size_t n = 0; n < 4; n++)
			lab_one(src, shared, sets[s], names[n]);
	/* rspamd wrote the RFC's verdict everywhere; of the opendkim set only
	 * OpenDMARC's 4-4 differs (lab/verifier-notes). */
	CHECK(disagreements == 1);
	record_sink_clear();
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_dmarc SRCDIR SHAREDDIR\n");
		return 2;
	}
	inet_pton(AF_INET, "10.255.2.33", asker.b);
	asker.family = SS_AF_INET;
	test_orgdomain();
	test_records();
	test_checks();
	test_lab(argv[1], argv[2]);
	for (size_t i = 0; i < nrules; i++)
		free(rules[i]);
	free(rules);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
