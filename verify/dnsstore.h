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
 *
 * Memory: what the store holds for the input - each answer with the ldns
 * records it keeps, each question, each name and type - is counted against
 * its cap (--dns-mem). Past it, the oldest captured answers and questions
 * are let go first (event "verify dns_mem"); zone files and dns_store_put's
 * answers are counted but never let go.
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
	DNS_MISS_LET_GO,     /* none kept: answers for it may have been let go to
	                      * stay within --dns-mem */
};

struct dns_answer {
	enum dns_kind kind;
	int rcode;            /* as received (LDNS_RCODE_*) */
	ldns_rr_list *rrs;    /* the records of the type asked at the name (CNAMEs
	                       * followed within the same response); NULL unless
	                       * DNS_DATA; owned by the store (dns_store_lookup
	                       * says how long they live) */
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

/* --dns-mem's default (util/caps.c gives it to the option). */
#define DNS_STORE_MEM_DEFAULT ((uint64_t)64 << 20)
/* Captured answers kept at most, whatever the bytes: past it, as past the
 * cap, the oldest goes. */
#define DNS_STORE_MAX_ANSWERS (1u << 20)
/* Lookups an answer outlives (dns_store_lookup). */
#define DNS_STORE_HOLD 256

/* A store that holds at most max_mem bytes for what it keeps (--dns-mem).
 * dns_store_new() is dns_store_new_cap(DNS_STORE_MEM_DEFAULT). */
struct dns_store *dns_store_new_cap(uint64_t max_mem);
struct dns_store *dns_store_new(void);
/* Frees the store and gives back every byte it counted. */
void dns_store_free(struct dns_store *s);

struct dns_store_stats {
	uint64_t mem;       /* bytes counted now, against the cap */
	uint64_t peak;      /* the most counted at once */
	uint64_t answers;   /* captured answers kept now */
	uint64_t questions; /* questions kept now (unanswered, unreadable) */
	uint64_t let_go;    /* captured answers and questions let go for room */
	uint64_t refused;   /* answers and questions not kept: no room left for them */
};
const struct dns_store_stats *dns_store_stats(const struct dns_store *s);
/* The bytes every store counts now, all together: 0 once all are freed. */
uint64_t dns_store_held_all(void);
/* Keeps the answer of a DNS record (REC_DNS: a query with its response),
 * copying what it needs; the asker is the record's flow's client. A query
 * without a readable response is kept as a question asked (at most
 * DNS_STORE_MAX_ASKED of them, DNS_STORE_ASKED_EACH per name and type), so
 * that a miss can name it; any REC_DNS at all shows the capture holds DNS.
 * Other malformed records are ignored. Past the store's cap, or past
 * DNS_STORE_MAX_ANSWERS answers, the oldest captured answers and questions
 * are let go until the new one fits, and the event verify dns_mem says so
 * (flow 0, the new answer's frame); an answer larger than a quarter of the
 * cap, or one that does not fit once every older one went, is not kept,
 * also said. */
void dns_store_add(struct dns_store *s, const struct ss_record *r);
#define DNS_STORE_MAX_ASKED 65536
#define DNS_STORE_ASKED_EACH 4
/* The input is over: every question the capture holds has been added, so a
 * miss without one is a question nobody asked (DNS_MISS_NOT_ASKED). */
void dns_store_end(struct dns_store *s);
/* Adds an answer by hand: kind, and for DNS_DATA the records (the store
 * takes rrs). For tests and the RFC 7208 suite; ts 0 and no asker make it
 * count as a zone file's answer named zone (copied). Counted, never let
 * go, and never lets another answer go. */
void dns_store_put(struct dns_store *s, const char *name, uint16_t type, enum dns_kind kind,
                   ldns_rr_list *rrs, const char *zone);
/* Loads an RFC 1035 master file (ldns_zone_new_frm_fp): every RRset in it
 * becomes an answer, and names under its origin that it lacks answer
 * NXDOMAIN (or NODATA when the name has other records). Returns -1 with the
 * reason in err, among them zone files that take more than the cap. */
int dns_store_zone(struct dns_store *s, const char *path, char *err, size_t errlen);
/* The answer for name (case-insensitive, trailing dot optional) and type as
 * asker would have got it at time ts (see the top of this file). Never NULL:
 * a miss is DNS_NOT_CAPTURED. A copy, valid for the next DNS_STORE_HOLD
 * lookups (a check holds a few answers at once, never that many); its rrs
 * until the next dns_store_add, which may let old answers go, or until the
 * store is freed. A lookup never grows the store. */
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
