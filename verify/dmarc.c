/* dmarc.c - RFC 7489 DMARC from the captured DNS: author domain (6.6.1),
 * policy discovery (6.6.3), identifier alignment (3.1), the result (4.2)
 * and the policy and disposition that follow (6.3, 6.6.4). */
#define _DEFAULT_SOURCE
#include "dmarc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarcrec.h"
#include "dnstext.h"
#include "escape.h"
#include "orgdomain.h"

/* Words put together into a fixed array, cut quietly when full. */
struct say {
	char *p;
	size_t cap, len;
};

static void say_add(struct say *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_add(struct say *s, const char *fmt, ...)
{
	if (s->len + 1 >= s->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len = s->len + (size_t)n < s->cap ? s->len + (size_t)n : s->cap - 1;
}

/* snprintf for words that may be cut: the cut is quiet, by design. */
static void put(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

#define NAME_MAX_TEXT (ORGDOMAIN_MAX_NAME + 1)

/* One author domain's check. */
struct dmarc_author {
	char domain[NAME_MAX_TEXT]; /* lower case, no final dot */
	char org[NAME_MAX_TEXT];
	enum v_result result;
	int found;  /* a record that counts was found: rec, text are set */
	int at_org; /* it was found at the Organizational Domain */
	struct dmarc_record rec;
	char *text; /* the record's text, owned */
	size_t text_len;
	char record_domain[NAME_MAX_TEXT];
	char src[300];     /* where the record's answer came from */
	int policy;        /* enum dmarc_policy that applies (found only) */
	const char *ptag;  /* "p" or "sp" */
	int maybe;         /* no aligned pass, but an unknown input could be one */
	char unknown[700]; /* why smtpsniff cannot tell, for V_UNKNOWN */
	char discovery[900], auth[1400], spf_aligned[400], dkim_aligned[400], disposition[300];
};

enum dmarc_disc { DISC_EMPTY, DISC_ONE, DISC_MANY, DISC_TEMP, DISC_UNKNOWN };

/* 6.6.3 steps 1-2 (and 3-4): TXT at _dmarc.<name>, records that do not start
 * with v=DMARC1 discarded. The first DMARC record goes to a->text; how
 * says what the answer was, for the reason. */
static enum dmarc_disc dmarc_ask(struct vdns *d, struct dmarc_author *a, const char *name,
                                 char *how, size_t howlen)
{
	char q[NAME_MAX_TEXT + 8], src[300];
	put(q, sizeof q, "_dmarc.%s", name);
	if (strlen(q) > ORGDOMAIN_MAX_NAME) {
		/* No such name can be in the DNS, so neither can a record. */
		put(how, howlen, "_dmarc.%s is longer than a DNS name can be", name);
		return DISC_EMPTY;
	}
	const struct dns_answer *ans = vdns_lookup(d, q, LDNS_RR_TYPE_TXT);
	dns_answer_source(ans, src);
	switch (ans->kind) {
	case DNS_NOT_CAPTURED: {
		/* the store says why: no DNS at all, never answered, not asked */
		char tq[NAME_MAX_TEXT + 16];
		put(tq, sizeof tq, "TXT %s", q);
		dns_answer_why(ans, tq, how, howlen);
		return DISC_UNKNOWN;
	}
	case DNS_SERVFAIL: {
		char rc[16];
		put(how, howlen, "%s for TXT %s, %s", dnstext_rcode_name((unsigned)ans->rcode, rc),
		    q, src);
		return DISC_TEMP;
	}
	case DNS_NXDOMAIN:
		put(how, howlen, "NXDOMAIN, %s", src);
		return DISC_EMPTY;
	case DNS_NODATA:
		put(how, howlen, "no TXT record, %s", src);
		return DISC_EMPTY;
	case DNS_DATA:
		break;
	}
	size_t n = ans->rrs ? ldns_rr_list_rr_count(ans->rrs) : 0, found = 0;
	for (size_t i = 0; i < n && found < 2; i++) {
		size_t len;
		char *t = dns_answer_txt(ans, i, &len);
		struct dmarc_record r;
		if (!t || dmarcrec_parse((const uint8_t *)t, len, &r) == DMARCREC_NOT_DMARC) {
			free(t);
			continue;
		}
		if (++found == 1) {
			free(a->text);
			a->text = t;
			a->text_len = len;
			put(a->record_domain, sizeof a->record_domain, "%s", name);
			put(a->src, sizeof a->src, "%s", src);
		} else {
			free(t);
		}
	}
	if (found > 1) {
		/* No record is the record: none is shown. */
		free(a->text);
		a->text = NULL;
		put(how, howlen, "more than one DMARC record at TXT %s, %s", q, src);
		return DISC_MANY;
	}
	if (found == 0 && ans->truncated) {
		/* The receiver would have asked again over TCP; this copy may
		 * lack the record. */
		put(how, howlen, "the answer for TXT %s is truncated (TC), %s, and holds none", q,
		    src);
		return DISC_UNKNOWN;
	}
	if (found == 0) {
		put(how, howlen, "no TXT record starting with v=DMARC1 among %zu, %s", n, src);
		return DISC_EMPTY;
	}
	put(how, howlen, "TXT %s, %s", q, src);
	return DISC_ONE;
}

/* RFC 7489 6.6.3: the record for a's domain, else for its Organizational
 * Domain. Sets a->result for the cases that end the check (none,
 * temperror, unknown) and returns 0 for them; 1 with a->found when a
 * record applies. */
static int dmarc_discover(struct vdns *d, struct dmarc_author *a)
{
	struct say s = {a->discovery, sizeof a->discovery, 0};
	char how[600], how2[600];
	enum dmarc_disc r = dmarc_ask(d, a, a->domain, how, sizeof how);
	const char *where = a->domain;
	if (r == DISC_EMPTY && strcmp(a->org, a->domain)) {
		/* Step 3: only when the set is empty, not when it held several. */
		enum dmarc_disc r2 = dmarc_ask(d, a, a->org, how2, sizeof how2);
		say_add(&s, "no DMARC record at %s (%s); ", a->domain, how);
		put(how, sizeof how, "%s", how2);
		r = r2;
		where = a->org;
		a->at_org = 1;
	}
	switch (r) {
	case DISC_UNKNOWN:
		a->result = V_UNKNOWN;
		put(a->unknown, sizeof a->unknown, "%s", how);
		if (s.len >= 2)
			s.p[s.len -= 2] = 0; /* the "; " after the step before */
		return 0;
	case DISC_TEMP:
		a->result = V_TEMPERROR;
		say_add(&s, "the DMARC query failed (%s), so %s's policy is not known", how, where);
		return 0;
	case DISC_MANY:
		a->result = V_NONE;
		say_add(&s, "%s: RFC 7489 6.6.3 step 5 then applies no DMARC", how);
		return 0;
	case DISC_EMPTY:
		a->result = V_NONE;
		if (a->at_org)
			say_add(&s, "none at its organizational domain %s either (%s)", a->org,
			        how);
		else if (strcmp(a->org, a->domain))
			say_add(&s, "no DMARC record at %s (%s)", a->domain, how);
		else
			say_add(&s, "no DMARC record at %s, its own organizational domain (%s)",
			        a->domain, how);
		return 0;
	case DISC_ONE:
		break;
	}
	if (dmarcrec_parse((const uint8_t *)a->text, a->text_len, &a->rec) != DMARCREC_OK) {
		a->result = V_NONE;
		say_add(&s, "the record of %s (%s) %s", where, how, a->rec.problem);
		return 0;
	}
	a->found = 1;
	/* 6.3 sp: the policy for subdomains, from the Organizational Domain's
	 * record only; p= otherwise, and for a domain's own record. */
	a->ptag = a->at_org && a->rec.sp >= 0 ? "sp" : "p";
	a->policy = a->at_org && a->rec.sp >= 0 ? a->rec.sp : a->rec.p;
	if (a->at_org)
		say_add(&s, "its organizational domain %s publishes p=%s", a->org,
		        dmarc_policy_name(a->rec.p));
	else
		say_add(&s, "%s publishes p=%s", a->domain, dmarc_policy_name(a->rec.p));
	if (a->rec.p_implied)
		say_add(&s, " (the record %s)", a->rec.problem);
	if (a->at_org && a->rec.sp >= 0)
		say_add(&s, " and sp=%s, which applies to %s as a subdomain",
		        dmarc_policy_name(a->rec.sp), a->domain);
	if (a->rec.pct != 100)
		say_add(&s, ", pct=%d", a->rec.pct);
	say_add(&s, " (%s)", how);
	return 1;
}

/* 3.1.1 / 3.1.2: is other aligned with a's domain in mode ('r' or 's')?
 * Words in why. */
static int dmarc_align(const struct dmarc_author *a, const char *other, char mode, char *why,
                       size_t n)
{
	char o[96], org[NAME_MAX_TEXT];
	escape_str(o, sizeof o, (const uint8_t *)other, strlen(other));
	if (orgdomain_same(other, a->domain)) {
		put(why, n, "%s is the From domain", o);
		return 1;
	}
	int st = orgdomain_get(other, org, sizeof org);
	if (mode == 's') {
		put(why, n, "strict: %s is not %s%s", o, a->domain,
		    st >= 0 && !strcmp(org, a->org) ? ", though relaxed would align" : "");
		return 0;
	}
	if (st < 0) {
		put(why, n, "relaxed: %s is not a DNS name", o);
		return 0;
	}
	if (!strcmp(org, a->org)) {
		put(why, n, "relaxed: %s and %s share the organizational domain %s", o, a->domain,
		    org);
		return 1;
	}
	put(why, n, "relaxed: organizational domain %s is not %s", org, a->org);
	return 0;
}

static const char *dmarc_did(enum v_result r)
{
	return r == V_PASS ? "passed" : r == V_FAIL ? "failed" : v_result_name(r);
}

/* How many DKIM verdicts the reason names one by one. */
#define DMARC_SAY_SIGS 4

/* 4.2: a pass of SPF or DKIM for an aligned domain. Fills a->auth,
 * spf_aligned, dkim_aligned; returns 1 when something aligned passed. */
static int dmarc_aligned(struct dmarc_author *a, const struct verdict *spf,
                         struct verdict *const *dkim, size_t ndkim)
{
	struct say s = {a->auth, sizeof a->auth, 0};
	char aspf = a->found ? a->rec.aspf : 'r', adkim = a->found ? a->rec.adkim : 'r';
	char why[400], dom[96], spf_why[400] = "", dkim_yes[400] = "", dkim_no[400] = "";
	int spf_ok = 0, spf_no = 0, dkim_ok = 0, dkim_nos = 0;

	/* SPF (3.1.2): its domain, when it passed. */
	if (!spf) {
		put(a->spf_aligned, sizeof a->spf_aligned, "no (no SPF result)");
		say_add(&s, "no SPF result");
	} else {
		const char *id = verdict_get(spf, "identity");
		const char *sd = spf->domain ? spf->domain : "";
		escape_str(dom, sizeof dom, (const uint8_t *)sd, strlen(sd));
		int al = spf->domain && dmarc_align(a, spf->domain, aspf, spf_why, sizeof spf_why);
		say_add(&s, "SPF%s%s%s %s for %s", id ? " (" : "", id ? id : "", id ? ")" : "",
		        dmarc_did(spf->result), spf->domain ? dom : "no domain");
		if (!spf->domain)
			put(spf_why, sizeof spf_why, "SPF names no domain");
		if (spf->result == V_PASS && al) {
			spf_ok = 1;
			put(a->spf_aligned, sizeof a->spf_aligned, "yes (%s)", spf_why);
		} else if (spf->result == V_PASS) {
			spf_no = 1;
			put(a->spf_aligned, sizeof a->spf_aligned, "no (%s)", spf_why);
		} else {
			put(a->spf_aligned, sizeof a->spf_aligned, "no (SPF %s)",
			    v_result_name(spf->result));
			/* An SPF result smtpsniff could not tell, for a domain
			 * that would align: it may have been an aligned pass. */
			if (spf->result == V_UNKNOWN && (al || !spf->domain)) {
				a->maybe = 1;
				if (!a->unknown[0]) /* discovery's cause comes first */
					put(a->unknown, sizeof a->unknown,
					    "SPF for %s, which would align, is itself unknown",
					    spf->domain ? dom : "an unnamed domain");
			}
		}
	}

	/* DKIM (3.1.1): the d= of each signature that verified; a signature
	 * that failed aligns nothing, whatever its d=. */
	size_t said = 0, sigs = 0;
	for (size_t i = 0; i < ndkim; i++) {
		const struct verdict *k = dkim[i];
		if (!k)
			continue;
		sigs++;
		const char *kd = k->domain ? k->domain : "";
		int al = k->domain && dmarc_align(a, k->domain, adkim, why, sizeof why);
		escape_str(dom, sizeof dom, (const uint8_t *)kd, strlen(kd));
		if (said < DMARC_SAY_SIGS) {
			say_add(&s, ", DKIM %s for %s", dmarc_did(k->result),
			        k->domain ? dom : "no d=");
			said++;
		}
		if (k->result == V_PASS && al && !dkim_ok) {
			dkim_ok = 1;
			put(a->dkim_aligned, sizeof a->dkim_aligned, "%s", dom);
			put(dkim_yes, sizeof dkim_yes, "%s", why);
		} else if (k->result == V_PASS && !al && !dkim_nos++) {
			put(dkim_no, sizeof dkim_no, "%s", k->domain ? why : "DKIM names no d=");
		} else if (k->result == V_UNKNOWN && (al || !k->domain) && !a->maybe) {
			a->maybe = 1;
			if (!a->unknown[0])
				put(a->unknown, sizeof a->unknown,
				    "DKIM for %s, which would align, is itself unknown",
				    k->domain ? dom : "an unnamed d=");
		}
	}
	if (sigs > said)
		say_add(&s, " and %zu more DKIM results", sigs - said);
	if (sigs == 0)
		say_add(&s, ", no DKIM signature");
	if (!dkim_ok)
		put(a->dkim_aligned, sizeof a->dkim_aligned, "no (%s)",
		    dkim_nos ? dkim_no
		    : sigs   ? "no DKIM signature passed"
		             : "no DKIM signature");

	if (spf_ok && dkim_ok)
		say_add(&s, "; both align with %s (SPF: %s; DKIM: %s)", a->domain, spf_why,
		        dkim_yes);
	else if (spf_ok)
		say_add(&s, "; SPF aligns with %s (%s)", a->domain, spf_why);
	else if (dkim_ok)
		say_add(&s, "; DKIM d=%s aligns with %s (%s)", a->dkim_aligned, a->domain,
		        dkim_yes);
	else if (spf_no || dkim_nos)
		say_add(&s, "; %s with %s (%s%s%s)",
		        spf_no + dkim_nos > 1 ? "neither aligns" : "it does not align", a->domain,
		        spf_no ? spf_why : "", spf_no && dkim_nos ? "; " : "",
		        dkim_nos ? dkim_no : "");
	else
		say_add(&s, "; nothing passed that could align with %s", a->domain);
	return spf_ok || dkim_ok;
}

/* 6.6.4: what the receiver should do with a message that failed. pct
 * samples which failing messages get the policy: the sample is the
 * receiver's draw, so it is said in words, not drawn here. */
static void dmarc_dispose(struct dmarc_author *a)
{
	char *o = a->disposition;
	size_t n = sizeof a->disposition;
	int pct = a->rec.pct;
	if (a->result == V_PASS) {
		put(o, n, "none (DMARC passed)");
	} else if (a->policy == DMARC_P_NONE) {
		put(o, n, "none (%s=none: the domain asks for reports only)", a->ptag);
	} else if (a->policy == DMARC_P_QUARANTINE) {
		if (pct == 100)
			put(o, n, "quarantine");
		else if (pct == 0)
			put(o, n,
			    "none (pct=0: sampled out; local classification as usual, RFC "
			    "7489 6.6.4)");
		else
			put(o, n,
			    "quarantine for %d%% of such messages, local classification for the "
			    "rest (pct=%d, RFC 7489 6.6.4): which this one got is the receiver's "
			    "draw",
			    pct, pct);
	} else {
		if (pct == 100)
			put(o, n, "reject");
		else if (pct == 0)
			put(o, n,
			    "quarantine (pct=0: sampled out of reject, which RFC 7489 6.6.4 "
			    "then turns into quarantine)");
		else
			put(o, n,
			    "reject for %d%% of such messages, quarantine for the rest (pct=%d, "
			    "RFC 7489 6.6.4): which this one got is the receiver's draw",
			    pct, pct);
	}
}

/* One author domain, start to end. */
static void dmarc_author_check(struct vdns *d, struct dmarc_author *a, const struct verdict *spf,
                               struct verdict *const *dkim, size_t ndkim)
{
	int have = dmarc_discover(d, a);
	int ok = dmarc_aligned(a, spf, dkim, ndkim);
	if (!have) {
		/* No policy to apply; an unknown discovery stays unknown even
		 * when something aligned passed: pass and none both remain. */
		return;
	}
	if (ok)
		a->result = V_PASS;
	else
		a->result = a->maybe ? V_UNKNOWN : V_FAIL;
	if (a->result != V_UNKNOWN)
		dmarc_dispose(a);
}

/* The order in which several author domains' results decide (6.6.1: the
 * strictest policy among the checks that fail). */
static int dmarc_rank(const struct dmarc_author *a)
{
	switch (a->result) {
	case V_FAIL:
		return 5000 + a->policy * 101 + a->rec.pct;
	case V_UNKNOWN:
		return 4000;
	case V_TEMPERROR:
		return 3000;
	case V_PASS:
		return 2000;
	default:
		return 1000;
	}
}

static void dmarc_props(struct verdict *v, const struct dmarc_author *a)
{
	char shown[DMARC_MAX_SHOWN * 4 + 8];
	verdict_prop(v, "from_domain", "%s", a->domain);
	verdict_prop(v, "org_domain", "%s", a->org);
	verdict_prop(v, "psl", "%s", orgdomain_list());
	if (a->text) {
		size_t n = a->text_len < DMARC_MAX_SHOWN ? a->text_len : DMARC_MAX_SHOWN;
		escape_str(shown, sizeof shown, (const uint8_t *)a->text, n);
		verdict_prop(v, "record", "%s%s", shown, n < a->text_len ? "..." : "");
		verdict_prop(v, "record_domain", "%s", a->record_domain);
		verdict_prop(v, "record_source", "%s", a->src);
	}
	if (a->text && a->rec.problem[0])
		verdict_prop(v, "record_problem", "%s", a->rec.problem);
	if (a->found) {
		verdict_prop(v, "policy", "%s", dmarc_policy_name(a->policy));
		verdict_prop(v, "policy_tag", "%s", a->ptag);
		if (a->rec.sp >= 0)
			verdict_prop(v, "sp", "%s", dmarc_policy_name(a->rec.sp));
		verdict_prop(v, "pct", "%d", a->rec.pct);
		verdict_prop(v, "adkim", "%c", a->rec.adkim);
		verdict_prop(v, "aspf", "%c", a->rec.aspf);
		const struct dmarcrec_span *sp[] = {&a->rec.np_raw, &a->rec.rua, &a->rec.ruf,
		                                    &a->rec.fo,     &a->rec.rf,  &a->rec.ri};
		static const char *const names[] = {"np", "rua", "ruf", "fo", "rf", "ri"};
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (sp[i]->present) {
				escape_str(
				    shown, sizeof shown, (const uint8_t *)a->text + sp[i]->off,
				    sp[i]->len < DMARC_MAX_SHOWN ? sp[i]->len : DMARC_MAX_SHOWN);
				verdict_prop(v, names[i], "%s", shown);
			}
	}
	verdict_prop(v, "spf_aligned", "%s", a->spf_aligned);
	verdict_prop(v, "dkim_aligned", "%s", a->dkim_aligned);
	if (a->disposition[0])
		verdict_prop(v, "disposition", "%s", a->disposition);
}

/* The verdict for a message that has no single author domain to check. */
static void dmarc_outside(struct verdict *v, enum msg_author kind, const struct msg *m)
{
	char val[120] = "";
	if (m->from)
		escape_str(val, sizeof val, (const uint8_t *)m->from, strlen(m->from));
	switch (kind) {
	case MSG_AUTHOR_NONE:
		verdict_set(v, V_NONE,
		            "The message has no From field, so there is no author domain to check "
		            "(RFC 7489 6.6.1: outside DMARC).");
		verdict_prop(v, "outside", "no From field");
		break;
	case MSG_AUTHOR_FIELDS:
		verdict_set(
		    v, V_NONE,
		    "The message has %zu From fields, which RFC 5322 3.6 forbids; RFC 7489 "
		    "6.6.1 leaves such messages outside DMARC, so no single author domain is "
		    "checked.",
		    msg_count(m, "From"));
		verdict_prop(v, "outside", "%zu From fields", msg_count(m, "From"));
		break;
	default:
		verdict_set(
		    v, V_NONE,
		    "The From field \"%s\" holds no domain DMARC can check (it does not parse "
		    "as addresses with DNS domains): RFC 7489 6.6.1 leaves it outside DMARC.",
		    val);
		verdict_prop(v, "outside", "From does not parse");
		break;
	}
}

/* The distinct domains of the From mailboxes, lower case, into a[]. Returns
 * how many, -1 when there are more than DMARC_MAX_AUTHORS, or -2 with the
 * offending domain in a[0].domain when one is not a usable DNS name (-3:
 * not ASCII). */
static int dmarc_domains(const struct msg_addr *addrs, size_t n, struct dmarc_author *a)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *dom = addrs[i].domain;
		size_t j = 0;
		while (j < k && !orgdomain_same(a[j].domain, dom))
			j++;
		if (j < k)
			continue;
		if (k == DMARC_MAX_AUTHORS)
			return -1;
		int st = orgdomain_get(dom, a[k].org, sizeof a[k].org);
		size_t len = strlen(dom);
		if (st == ORGDOMAIN_BAD) {
			int ascii = 1;
			for (size_t c = 0; c < len; c++)
				ascii &= (unsigned char)dom[c] < 0x80;
			escape_str(a[0].domain, sizeof a[0].domain, (const uint8_t *)dom, len);
			return ascii ? -2 : -3;
		}
		for (size_t c = 0; c <= len && c < sizeof a[k].domain; c++) {
			char ch = dom[c];
			a[k].domain[c] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		a[k].domain[sizeof a[k].domain - 1] = 0;
		len = strlen(a[k].domain);
		if (len && a[k].domain[len - 1] == '.')
			a[k].domain[len - 1] = 0;
		k++;
	}
	return (int)k;
}

struct verdict *dmarc_check(struct dns_store *store, int64_t ts, const struct ss_addr *asker,
                            const struct msg *m, const struct verdict *spf,
                            struct verdict *const *dkim, size_t ndkim)
{
	struct verdict *v = verdict_new(V_DMARC);
	if (!v)
		return NULL;
	struct msg_addr *addrs;
	size_t naddrs;
	enum msg_author kind = msg_author(m, &addrs, &naddrs);
	if (kind == MSG_AUTHOR_NOMEM) {
		verdict_set(v, V_UNKNOWN, "cannot tell: memory ran out reading the From field");
		return v;
	}
	if (kind != MSG_AUTHOR_ONE && kind != MSG_AUTHOR_MANY) {
		dmarc_outside(v, kind, m);
		addr5322_free(addrs, naddrs);
		return v;
	}
	if (!strncmp(orgdomain_list(), "none", 4)) {
		verdict_set(v, V_UNKNOWN,
		            "cannot tell: no public suffix list to find organizational "
		            "domains with (RFC 7489 3.2)");
		verdict_prop(v, "psl", "%s", orgdomain_list());
		addr5322_free(addrs, naddrs);
		return v;
	}
	struct dmarc_author *a = calloc(DMARC_MAX_AUTHORS, sizeof *a);
	if (!a) {
		addr5322_free(addrs, naddrs);
		verdict_free(v);
		return NULL;
	}
	int na = dmarc_domains(addrs, naddrs, a);
	addr5322_free(addrs, naddrs);
	if (na == -1) {
		verdict_set(
		    v, V_UNKNOWN,
		    "cannot tell: From names more than %d domains, more than smtpsniff checks",
		    DMARC_MAX_AUTHORS);
	} else if (na == -3) {
		/* 6.6.1 wants the A-label of a U-label domain; smtpsniff has no
		 * IDNA conversion, so it cannot ask the DNS what the receiver did. */
		verdict_domain(v, a[0].domain);
		verdict_set(v, V_UNKNOWN,
		            "cannot tell: From domain %s is not ASCII; RFC 7489 6.6.1 checks its "
		            "A-label, which smtpsniff does not compute",
		            a[0].domain);
	} else if (na == -2) {
		verdict_domain(v, a[0].domain);
		verdict_set(v, V_NONE,
		            "From domain %s is not a DNS name, so no aligned identifier can be "
		            "extracted (RFC 7489 6.6.1, 11.2).",
		            a[0].domain);
		verdict_prop(v, "outside", "From domain is not a DNS name");
	} else {
		struct vdns d = {store, ts, *asker, v};
		int best = 0;
		for (int i = 0; i < na; i++) {
			dmarc_author_check(&d, &a[i], spf, dkim, ndkim);
			if (dmarc_rank(&a[i]) > dmarc_rank(&a[best]))
				best = i;
		}
		const struct dmarc_author *b = &a[best];
		char reason[2600];
		struct say s = {reason, sizeof reason, 0};
		if (b->result == V_UNKNOWN)
			say_add(&s, "cannot tell: %s. ", b->unknown);
		say_add(&s, "From is %s; %s", b->domain, b->auth);
		if (b->discovery[0])
			say_add(&s, "; %s", b->discovery);
		if (b->result == V_FAIL)
			say_add(&s, "; disposition: %s", b->disposition);
		if (na > 1) {
			say_add(&s, ". From names %d domains (", na);
			for (int i = 0; i < na; i++)
				say_add(&s, "%s%s %s", i ? ", " : "", a[i].domain,
				        v_result_name(a[i].result));
			say_add(&s,
			        "); RFC 7489 6.6.1 applies the strictest policy among the checks "
			        "that fail");
		}
		say_add(&s, ".");
		verdict_set(v, b->result, "%s", reason);
		verdict_domain(v, b->domain);
		dmarc_props(v, b);
		if (na > 1) {
			char list[DMARC_MAX_AUTHORS * (NAME_MAX_TEXT + 16)];
			struct say l = {list, sizeof list, 0};
			for (int i = 0; i < na; i++)
				say_add(&l, "%s%s=%s", i ? ", " : "", a[i].domain,
				        v_result_name(a[i].result));
			verdict_prop(v, "author_domains", "%s", list);
		}
	}
	for (int i = 0; i < DMARC_MAX_AUTHORS; i++)
		free(a[i].text);
	free(a);
	return v;
}
