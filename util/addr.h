/* addr.h - an IPv4 or IPv6 address as a value, and its printed forms. */
#ifndef SS_ADDR_H
#define SS_ADDR_H

#include <stddef.h>
#include <stdint.h>

enum { SS_AF_NONE = 0, SS_AF_INET = 4, SS_AF_INET6 = 6 };

struct ss_addr {
	uint8_t family; /* SS_AF_INET or SS_AF_INET6 */
	uint8_t b[16];  /* network order; IPv4 uses b[0..3], the rest is zero */
};

#define SS_ADDR_STRLEN 48 /* an IPv6 address, with room to spare */

/* Writes the usual text form (dotted quad or RFC 5952) to out. */
const char *ss_addr_fmt(const struct ss_addr *a, char out[SS_ADDR_STRLEN]);
/* Reads the usual text form of an IPv4 or IPv6 address (inet_pton's),
 * s[0..len); returns 0, or -1 (a is then zeroed) when it is none. */
int ss_addr_parse(const char *s, size_t len, struct ss_addr *a);
/* Orders addresses (family first): negative, 0, positive like memcmp. */
int ss_addr_cmp(const struct ss_addr *a, const struct ss_addr *b);

#endif
