/* dnsstore.h - the captured-DNS store: every DNS answer the capture holds,
 * with when it was given and to whom, and the zone files given with --zone,
 * answering the verifiers' lookups as of the capture's time. Nothing here
 * ever sends a query.
 *
 * A lookup (name, type, time, asking host) returns, in this order of
 * preference: the answer that host got nearest to that time; else the
 * answer another host got nearest to it; else what a --zone file says;
 * else "not in the capture". Every answer says where it came from (frame
 * number or zone file), so a verdict can list its evidence, and a miss says
 * why, as far as the capture tells: it holds no DNS at all, or the question
 * was asked and never answered, or nobody asked it.
 */
#ifndef SS_DNSSTORE_H
#define SS_DNSSTORE_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "record.h"

enum dns_kind {
	DNS_DATA,         /* NOERROR with records of the type asked */
	DNS_NODATA,       /* NOERROR, the name exists, no record of that type */
	DNS_NXDOMAIN,     /* the name does not exist */
	DNS_SERVFAIL,     /* SERVFAIL, REFUSED, or another error: a temporary failure */
	DNS_NOT_CAPTURED, /* the capture holds no answer and no zone file has one */
};

/* Why a DNS_NOT_CAPTURED answer is missing. A question is known only once
 * its record came: the dissector hands on a question that got no answer
 * when its flow ends, so before the end of the input (dns_store_end) "not
 * asked" cannot be told from "asked, its answer still awaited". */
enum dns_miss {
	DNS_MISS_NO_ANSWER,  /* no answer, and no question for it came so far */
	DNS_MISS_NOT_ASKED,  /* the input is over and nobody asked it */
	DNS_MISS_UNANSWERED, /* asked in asked_frame, never answered */
	DNS_MISS_UNREADABLE, /* asked in asked_frame, answered in bad_frame with a
	                      * message that does not parse */
	DNS_MISS_NO_DNS,     /* the capture holds no DNS at all (a capture filter) */
};

struct dns_answer {
	enum dns_kind kind;
	int rcode;            /* as received (LDNS_RCODE_*) */
	ldns_rr_list *rrs;    /* the records of the type asked at the name (CNAMEs
	                       * followed within the same response); NULL unless
	                       * DNS_DATA; owned by the store */
	uint32_t ttl;         /* the smallest TTL of rrs */
	int64_t ts;           /* when the response was captured (0: a zone file) */
	uint64_t frame;       /* its frame number (0: a zone file) */
	struct ss_addr asker; /* who asked (family 0: a zone file) */
	struct ss_addr server;
	const char *zone; /* the zone file it came from, or NULL */
	int truncated;    /* TC was set: the data may be partial */
	char name[256];   /* the name asked, lower case, no final dot */
	uint16_t type;
	/* DNS_NOT_CAPTURED only: why, and the frames that show it (0: none) */
	enum dns_miss miss;
	uint64_t asked_frame, bad_frame;
};

struct dns_store;

struct dns_store *dns_store_new(void);
void dns_store_free(struct dns_store *s);
/* Keeps the answer of a DNS record (REC_DNS: a query with its response),
 * copying what it needs; the asker is the record's flow's client. A query
 * without a readable response is kept as a question asked (at most
 * DNS_STORE_MAX_ASKED of them, DNS_STORE_ASKED_EACH per name and type), so
 * that a miss can name it; any REC_DNS at all shows the capture holds DNS.
 * Other malformed records are ignored. */
void dns_store_add(struct dns_store *s, const struct ss_record *r);
#define DNS_STORE_MAX_ASKED 65536
#define DNS_STORE_ASKED_EACH 4
/* The input is over: every question the capture holds has been added, so a
 * miss without one is a question nobody asked (DNS_MISS_NOT_ASKED). */
void dns_store_end(struct dns_store *s);
/* Adds an answer by hand: kind, and for DNS_DATA the records (the store
 * takes rrs). For tests and the RFC 7208 suite; ts 0 and no asker make it
 * count as a zone file's answer named zone (copied). */
void dns_store_put(struct dns_store *s, const char *name, uint16_t type, enum dns_kind kind,
                   ldns_rr_list *rrs, const char *zone);
/* Loads an RFC 1035 master file (ldns_zone_new_frm_fp): every RRset in it
 * becomes an answer, and names under its origin that it lacks answer
 * NXDOMAIN (or NODATA when the name has other records). Returns -1 with the
 * reason in err. */
int dns_store_zone(struct dns_store *s, const char *path, char *err, size_t errlen);
/* The answer for name (case-insensitive, trailing dot optional) and type as
 * asker would have got it at time ts (see the top of this file). Never NULL:
 * a miss is DNS_NOT_CAPTURED. Valid until an answer for the same name and
 * type is added (dns_store_add, dns_store_put, dns_store_zone) or the store
 * is freed; other lookups leave it alone. */
const struct dns_answer *dns_store_lookup(struct dns_store *s, const char *name, uint16_t type,
                                          int64_t ts, const struct ss_addr *asker);
/* The text of TXT record i of a DNS_DATA answer: its strings concatenated
 * (RFC 7208 3.3, RFC 6376 3.6.2.2). Returns a malloc'd string of *len bytes
 * (a NUL is added after them, but one may be inside), or NULL. */
char *dns_answer_txt(const struct dns_answer *a, size_t i, size_t *len);
/* "frame 37" or "zone file a.test.zone", for the evidence of a verdict;
 * for a miss, why, without naming the question ("asked in frame 12, never
 * answered in the capture", "nobody asked for it in the capture"). */
const char *dns_answer_source(const struct dns_answer *a, char out[300]);
/* Why a miss is one, as a sentence naming the question as what (NULL: its
 * type and name, "TXT a.test"): "TXT a.test was asked in frame 12, never
 * answered in the capture", "nobody asked for TXT a.test in the capture".
 * For the reason of an unknown verdict; out is cut at cap bytes. */
const char *dns_answer_why(const struct dns_answer *a, const char *what, char *out, size_t cap);

#endif
