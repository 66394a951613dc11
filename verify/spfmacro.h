/* spfmacro.h - the macro language of SPF (RFC 7208 7): checking a
 * macro-string, and expanding it into a domain name or an explanation.
 *
 * Expansion is bounded whatever the record holds: a domain name is built
 * from its right end and only its last SPF_MAX_NAME bytes are kept (7.3
 * drops labels on the left anyway); an explanation stops at its cap.
 */
#ifndef SS_SPFMACRO_H
#define SS_SPFMACRO_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* What the macro letters stand for (RFC 7208 7.2). All strings are
 * NUL-terminated and borrowed for the call. */
struct spf_macro_env {
	const char *sender;       /* s: <sender>, local-part@domain */
	const char *local;        /* l: its local-part */
	const char *sender_dom;   /* o: its domain */
	const char *domain;       /* d: <domain>, the domain being checked */
	const struct ss_addr *ip; /* i, c, v: the client (IPv4-mapped made IPv4) */
	const char *helo;         /* h */
	const char *receiver;     /* r (explanations only); NULL: "unknown" */
	int64_t now;              /* t (explanations only): seconds since the epoch */
	/* p: writes the validated name of ip (RFC 7208 5.5), or "unknown", for
	 * domain d into out[cap]; returns -1 when it cannot be told (an answer
	 * not captured). */
	int (*ptr)(void *arg, const char *d, char *out, size_t cap);
	void *arg;
};

enum spf_macro_kind {
	SPF_MACRO_DOMAIN, /* a domain-spec: no spaces; c, r, t not allowed (7.2) */
	SPF_MACRO_EXPLAIN /* an explanation-string (6.2): spaces and c, r, t allowed */
};

/* Checks that s[0..n) is a macro-string of that kind (RFC 7208 7.1 ABNF).
 * Returns 0, or -1 with *why set to a static phrase. */
int spf_macro_check(const char *s, size_t n, enum spf_macro_kind kind, const char **why);
/* 1 when s[0..n) ends in a macro-expand (the domain-end of RFC 7208 7.1
 * that is not a toplabel). s must be checked. */
int spf_macro_ends_in_macro(const char *s, size_t n);
/* Expands the checked domain-spec s[0..n) into out (at least SPF_MAX_NAME +
 * 1 bytes): one final dot dropped, labels dropped on the left past
 * SPF_MAX_NAME (7.3). Returns 0, or -1 when %{p} could not be told. */
int spf_macro_domain(const struct spf_macro_env *e, const char *s, size_t n, char *out);
/* Expands the checked explanation-string s[0..n) into out[cap], cut at cap.
 * Returns 0, or -1 when %{p} could not be told. */
int spf_macro_explain(const struct spf_macro_env *e, const char *s, size_t n, char *out,
                      size_t cap);

#endif
