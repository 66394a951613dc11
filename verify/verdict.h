/* verdict.h - what a verifier decided about one message on one hop, in
 * words, with every DNS answer it used and where that answer came from.
 *
 * DKIM, SPF and DMARC all produce struct verdict, so the comparison with
 * the receivers, the timeline, --json and --expect treat them alike. A
 * verifier never looks DNS up itself: it asks through struct vdns, which
 * answers from the captured-DNS store as of the hop's time and records
 * each answer as evidence in the verdict.
 */
#ifndef SS_VERDICT_H
#define SS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dnsstore.h"

enum v_method { V_DKIM, V_SPF, V_DMARC };

/* The results of RFC 8601 2.7 (with SPF's of RFC 7208 2.6), and one more:
 * V_UNKNOWN, smtpsniff cannot tell (an answer not captured, a message
 * incomplete), which is never a verdict about the mail itself. */
enum v_result {
	V_NONE,
	V_PASS,
	V_FAIL,
	V_SOFTFAIL,
	V_NEUTRAL,
	V_POLICY,
	V_TEMPERROR,
	V_PERMERROR,
	V_UNKNOWN,
};

/* One DNS answer a verdict rests on. */
struct v_evidence {
	char *question; /* "TXT smtpbook._domainkey.pass.dkim.a.test" */
	char *answer;   /* "\"v=spf1 -all\"", "NXDOMAIN", "no data", "SERVFAIL",
	                 * or, for one missing, what dns_answer_source() says of it */
	char *source;   /* "frame 37", "zone file a.zone", "not in the capture" */
	enum dns_kind kind;
	uint64_t frame; /* the answer's frame, 0 when none (a zone file, not captured) */
	int64_t ts;     /* its time, when frame is not 0 */
};

/* A property of the verdict: DKIM's d=, s=, a=, c=, key type and size,
 * signed headers; SPF's identity and client address; DMARC's policy. Shown
 * by -v and written to --json under these keys, in this order. */
struct v_prop {
	char *key, *value;
};

struct verdict {
	enum v_method method;
	enum v_result result;
	char *reason;   /* one or two plain sentences: why */
	char *domain;   /* DKIM d=; SPF the domain checked; DMARC the From domain */
	char *selector; /* DKIM s=, else NULL */
	struct v_prop *props;
	size_t nprops;
	struct v_evidence *dns;
	size_t ndns;
};

/* Asking DNS as a verifier on a hop would have: at time ts, as the host
 * asker (the receiving server). Every lookup made through it is added to
 * v's evidence (the same question twice only once). */
struct vdns {
	struct dns_store *store;
	int64_t ts;
	struct ss_addr asker;
	struct verdict *v;
};

const char *v_method_name(enum v_method m); /* "dkim", "spf", "dmarc" */
const char *v_result_name(enum v_result r); /* "pass", ..., "unknown" */
/* The result named s (case-insensitive, RFC 8601 and RFC 7208 names, also
 * "hardfail" as fail); -1 when s is none of them. */
int v_result_parse(const char *s, size_t len);

/* A new verdict with result V_NONE and nothing else; NULL when memory runs
 * out (every function below accepts a NULL verdict and does nothing). */
struct verdict *verdict_new(enum v_method m);
void verdict_free(struct verdict *v);
/* Sets the result and the reason (printf-style; replaces an earlier one). */
void verdict_set(struct verdict *v, enum v_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void verdict_domain(struct verdict *v, const char *domain);
void verdict_selector(struct verdict *v, const char *selector);
/* Adds (or replaces) a property. */
void verdict_prop(struct verdict *v, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *verdict_get(const struct verdict *v, const char *key);
/* Records an answer as evidence by hand (vdns_lookup does it itself). */
void verdict_evidence(struct verdict *v, const char *qname, uint16_t qtype,
                      const struct dns_answer *a);

/* dns_store_lookup as the hop's verifier, recording the evidence in d->v. */
const struct dns_answer *vdns_lookup(struct vdns *d, const char *name, uint16_t type);

#endif
