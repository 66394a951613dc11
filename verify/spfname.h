/* spfname.h - domain names and addresses as SPF uses them (RFC 7208 4.3,
 * 5.5, 7.3, 12 "toplabel"): which names can be checked at all, the form a
 * name is asked in, reverse names, and address prefixes.
 */
#ifndef SS_SPFNAME_H
#define SS_SPFNAME_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* RFC 7208 12 toplabel: letters, digits and inner hyphens, not all digits
 * (( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" )
 * alphanum )). p[0..n) need not be NUL-terminated. */
int spfname_toplabel(const char *p, size_t n);
/* A name check_host() can be given (RFC 7208 4.3): at least two labels, none
 * empty (but a final dot) or longer than 63, at most SPF_MAX_NAME in all, the
 * last a toplabel. 1 when so. */
int spfname_checkable(const char *name);
/* A name a query can be made of: labels of 1 to 63 bytes (a final dot
 * allowed), SPF_MAX_NAME in all. Expanded target names that are not are
 * treated as names that do not exist (RFC 7208 4.8, 5/10/3). */
int spfname_queryable(const char *name);
/* name as the DNS store keys it: DNS presentation format (ldns's escapes
 * for bytes that are not plain), without the final dot. name must be
 * queryable. Returns out (cap at least 4 * SPF_MAX_NAME + 8), "" when it
 * is not. */
char *spfname_key(const char *name, char *out, size_t cap);
/* 1 when name is domain or a subdomain of it, compared without case and
 * final dots (RFC 7208 5.5, 7.3 "p"). */
int spfname_within(const char *name, const char *domain);
/* The PTR name of an address: "4.3.2.1.in-addr.arpa", nibbles and ip6.arpa
 * for IPv6 (RFC 1035 3.5, RFC 3596 2.5). */
const char *spfname_reverse(const struct ss_addr *a, char out[80]);
/* %{i} (RFC 7208 7.3): the dotted quad, or for IPv6 the 32 nibbles dotted
 * in lower case as the RFC's example in 7.4 writes them. */
const char *spfname_dotted(const struct ss_addr *a, char out[72]);
/* 1 when a and net agree in their first bits bits (same family). */
int spfname_in_net(const struct ss_addr *a, const uint8_t *net, int bits);
/* The IPv4 address in an IPv4-mapped IPv6 one (::ffff:a.b.c.d), which SPF
 * treats as IPv4 (RFC 7208 5); other addresses unchanged. */
struct ss_addr spfname_unmap(const struct ss_addr *a);

#endif
