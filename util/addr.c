/* addr.c - printing and ordering addresses. */
#include "addr.h"

#include <arpa/inet.h>
#include <string.h>

const char *ss_addr_fmt(const struct ss_addr *a, char out[SS_ADDR_STRLEN])
{
	int af = a->family == SS_AF_INET6 ? AF_INET6 : AF_INET;
	if (!inet_ntop(af, a->b, out, SS_ADDR_STRLEN))
		memcpy(out, "?", 2);
	return out;
}

int ss_addr_cmp(const struct ss_addr *a, const struct ss_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, a->family == SS_AF_INET6 ? 16 : 4);
}
