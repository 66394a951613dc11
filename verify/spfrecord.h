/* spfrecord.h - an SPF record's text as terms (RFC 7208 4.5 selection, 4.6
 * terms, 5 mechanisms, 6 modifiers, 12 ABNF).
 *
 * The whole record is checked before any of it is used: a syntax error
 * anywhere is a permerror even when an earlier term would match (4.6, the
 * suite's "detect-errors-anywhere").
 */
#ifndef SS_SPFRECORD_H
#define SS_SPFRECORD_H

#include <stddef.h>
#include <stdint.h>

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qual;        /* '+', '-', '~' or '?' ('+' when none was written) */
	const char *text; /* the term as written; borrowed from the record */
	size_t len;
	const char *spec; /* the domain-spec (include a mx ptr exists), NULL when
	                   * none was given (then <domain>) */
	size_t spec_len;
	int cidr4, cidr6; /* a, mx: the dual-cidr-length (32, 128 by default);
	                   * ip4, ip6: the prefix length in cidr4 / cidr6 */
	uint8_t net[16];  /* ip4 (4 bytes), ip6 */
};

struct spf_record {
	struct spf_term *terms; /* the mechanisms in order; owned */
	size_t nterms;
	const char *redirect, *exp; /* the modifiers' domain-specs, or NULL */
	size_t redirect_len, exp_len;
};

/* 1 when the TXT text is an SPF record: "v=spf1" (any case) followed by a
 * space or the end (RFC 7208 4.5). */
int spf_record_select(const char *txt, size_t len);
/* Parses a selected record, txt[0..len) (it may hold any byte). r borrows
 * txt. Returns 0, or -1 with the reason in why[cap] (the offending term
 * escaped: 'unknown mechanism "moo"'); r is then empty. */
int spf_record_parse(struct spf_record *r, const char *txt, size_t len, char *why, size_t cap);
void spf_record_free(struct spf_record *r);
/* "all", "include", ... */
const char *spf_mech_name(enum spf_mech m);
/* The 1 when domain-spec s[0..n) is valid (RFC 7208 7.1 domain-spec: a
 * macro-string of no c, r, t, ending in a macro or a dot and a toplabel);
 * else 0 with *why. */
int spf_record_spec_ok(const char *s, size_t n, const char **why);

#endif
