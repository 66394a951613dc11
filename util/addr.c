/* addr.c - printing and ordering addresses. */
#include "addr.h"

#include <arpa/inet.h>
#include <string.h>

const char *ss_addr_fmt(const struct ss_addr *a, char out[SS_ADDR_STRLEN])
{
	if (a->family != SS_AF_INET6) {
		/* The dotted quad by hand: glibc's inet_ntop prints it with
		 * sprintf, and every new flow's line names two addresses. */
		char *o = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = a->b[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : 0;
		}
		return out;
	}
	if (!inet_ntop(AF_INET6, a->b, out, SS_ADDR_STRLEN))
		memcpy(out, "?", 2);
	return out;
}

int ss_addr_parse(const char *s, size_t len, struct ss_addr *a)
{
	char b[SS_ADDR_STRLEN];
	memset(a, 0, sizeof *a);
	if (!len || len >= sizeof b)
		return -1;
	memcpy(b, s, len);
	b[len] = 0;
	if (inet_pton(AF_INET, b, a->b) == 1) {
		a->family = SS_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, b, a->b) == 1) {
		a->family = SS_AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof *a);
	return -1;
}

int ss_addr_cmp(const struct ss_addr *a, const struct ss_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, a->family == SS_AF_INET6 ? 16 : 4);
}
