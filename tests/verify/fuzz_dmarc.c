/* fuzz_dmarc.c - DMARC (verify/dmarc.c, dmarcrec.c, orgdomain.c) under a
 * fuzzer: a From field and DMARC records as an attacker or a broken zone
 * would write them, put in a captured-DNS store, and dmarc_check() run.
 *
 * Input: one control byte, then parts cut on "\xff\xfe":
 *   0  the From field's value (CRLF inside makes more fields: two From
 *      fields, a folded one, a header that ends early)
 *   1  the TXT records at _dmarc.<each From domain> and at _dmarc.<its
 *      Organizational Domain>, one record per piece cut on "\xff\xfd"
 *   2  the d= of a DKIM result (absent: no DKIM result)
 *   3  the domain of the SPF result (absent: no SPF result)
 * Control bits 0-1: what the From domain's query gets (records, NXDOMAIN,
 * SERVFAIL, not captured); 2-3: the same for the Organizational Domain's;
 * 4-5: the SPF result (pass, fail, unknown, none); 6-7: the DKIM result.
 *
 * Every part is copied into an allocation of its own size, so ASan sees a
 * read past its end. Invariants checked (abort when broken): a verdict
 * always comes back with a reason; pass only with something aligned; a
 * policy only with a record.
 */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dnsstore.h"
#include "message.h"
#include "orgdomain.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How many From domains get records: enough for the several-author rules. */
#define FUZZ_DOMAINS 4

struct part {
	const uint8_t *p;
	size_t n;
};

/* Cuts p[0..n) on the two bytes a, b into at most max parts. */
static size_t fuzz_cut(const uint8_t *p, size_t n, uint8_t a, uint8_t b, struct part *out,
                       size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i + 1 < n && k + 1 < max; i++)
		if (p[i] == a && p[i + 1] == b) {
			out[k++] = (struct part){p + start, i - start};
			start = i + 2;
			i++;
		}
	out[k++] = (struct part){p + start, n - start};
	return k;
}

/* A copy with a final NUL, in an allocation of exactly that size. */
static char *fuzz_str(struct part p)
{
	char *s = malloc(p.n + 1);
	if (!s)
		abort();
	memcpy(s, p.p, p.n);
	s[p.n] = 0;
	return s;
}

static ldns_rr *fuzz_txt(const uint8_t *t, size_t len)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str("."));
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

/* _dmarc.<domain> answers as mode says: 0 the records, 1 NXDOMAIN, 2
 * SERVFAIL, 3 nothing (not captured). */
static void fuzz_put(struct dns_store *s, const char *domain, int mode, const struct part *recs,
                     size_t nrecs)
{
	char name[300];
	size_t n = strlen(domain);
	if (n > 250 || mode == 3)
		return;
	memcpy(name, "_dmarc.", 7);
	memcpy(name + 7, domain, n + 1);
	if (mode == 1 || mode == 2) {
		dns_store_put(s, name, LDNS_RR_TYPE_TXT, mode == 1 ? DNS_NXDOMAIN : DNS_SERVFAIL,
		              NULL, "fuzz");
		return;
	}
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < nrecs; i++)
		ldns_rr_list_push_rr(l, fuzz_txt(recs[i].p, recs[i].n));
	dns_store_put(s, name, LDNS_RR_TYPE_TXT, DNS_DATA, l, "fuzz");
}

static const enum v_result fuzz_results[] = {V_PASS, V_FAIL, V_UNKNOWN, V_NONE};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	struct part parts[4], recs[16];
	size_t np = fuzz_cut(data + 1, size - 1, 0xff, 0xfe, parts, 4);
	size_t nrecs = np > 1 ? fuzz_cut(parts[1].p, parts[1].n, 0xff, 0xfd, recs, 16) : 0;

	/* The message: From, the fuzzer's bytes, and a body. */
	static const char head[] = "From: ", tail[] = "\r\nSubject: f\r\n\r\nbody\r\n";
	size_t mlen = sizeof head - 1 + parts[0].n + sizeof tail - 1;
	uint8_t *mbytes = malloc(mlen);
	if (!mbytes)
		abort();
	memcpy(mbytes, head, sizeof head - 1);
	memcpy(mbytes + sizeof head - 1, parts[0].p, parts[0].n);
	memcpy(mbytes + sizeof head - 1 + parts[0].n, tail, sizeof tail - 1);
	struct msg m;
	if (msg_parse(&m, mbytes, mlen) < 0) {
		free(mbytes);
		return 0;
	}

	/* The store: records at the From domains and their Organizational
	 * Domains, as the control byte says. */
	struct dns_store *s = dns_store_new();
	struct msg_addr *addrs;
	size_t naddrs;
	msg_author(&m, &addrs, &naddrs);
	for (size_t i = 0; i < naddrs && i < FUZZ_DOMAINS; i++) {
		char org[ORGDOMAIN_MAX_NAME + 1];
		fuzz_put(s, addrs[i].domain, ctl & 3, recs, nrecs);
		if (orgdomain_get(addrs[i].domain, org, sizeof org) >= 0)
			fuzz_put(s, org, ctl >> 2 & 3, recs, nrecs);
	}
	addr5322_free(addrs, naddrs);

	struct verdict *spf = NULL, *dkim = NULL;
	char *d = NULL, *sd = NULL;
	if (np > 2) {
		d = fuzz_str(parts[2]);
		dkim = verdict_new(V_DKIM);
		verdict_set(dkim, fuzz_results[ctl >> 6 & 3], "fuzz");
		verdict_domain(dkim, d);
	}
	if (np > 3) {
		sd = fuzz_str(parts[3]);
		spf = verdict_new(V_SPF);
		verdict_set(spf, fuzz_results[ctl >> 4 & 3], "fuzz");
		verdict_domain(spf, sd);
		verdict_prop(spf, "identity", "mailfrom");
	}
	struct ss_addr asker = {SS_AF_INET, {10, 255, 2, 33}};
	struct verdict *v = dmarc_check(s, 0, &asker, &m, spf, &dkim, dkim ? 1 : 0);

	if (!v || !v->reason || v->method != V_DMARC || v->result > V_UNKNOWN)
		abort();
	const char *sa = verdict_get(v, "spf_aligned"), *da = verdict_get(v, "dkim_aligned");
	if (v->result == V_PASS &&
	    !((sa && !strncmp(sa, "yes", 3)) || (da && strncmp(da, "no (", 4))))
		abort();
	if (verdict_get(v, "policy") && !verdict_get(v, "record"))
		abort();
	verdict_free(v);
	verdict_free(spf);
	verdict_free(dkim);
	free(d);
	free(sd);
	dns_store_free(s);
	msg_free(&m);
	free(mbytes);
	return 0;
}
