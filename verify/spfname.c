/* spfname.c - domain names and addresses as SPF uses them (RFC 7208 4.3,
 * 5.5, 7.3; RFC 1035 2.3.4 for label and name sizes). */
#include "spfname.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int spfname_toplabel(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	int alpha = 0, hyphen = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '-')
			hyphen = 1;
		else if (is_alpha(p[i]))
			alpha = 1;
		else if (!is_digit(p[i]))
			return 0;
	}
	/* the second form: hyphens inside, alphanumerics at both ends, and then
	 * digits alone are allowed */
	if (hyphen)
		return p[0] != '-' && p[n - 1] != '-';
	return alpha;
}

/* Walks the labels of name (one final dot allowed): 1 when every label has
 * 1..63 bytes and the name at most SPF_MAX_NAME; *labels and the last
 * label's place. */
static int labels_ok(const char *name, size_t *labels, const char **last, size_t *lastlen)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > SPF_MAX_NAME)
		return 0;
	*labels = 0;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && name[j] != '.')
			j++;
		if (j == i || j - i > 63)
			return 0;
		(*labels)++;
		*last = name + i;
		*lastlen = j - i;
		i = j + 1;
	}
	return 1;
}

int spfname_checkable(const char *name)
{
	size_t labels, lastlen;
	const char *last;
	return labels_ok(name, &labels, &last, &lastlen) && labels >= 2 &&
	       spfname_toplabel(last, lastlen);
}

int spfname_queryable(const char *name)
{
	size_t labels, lastlen;
	const char *last;
	return labels_ok(name, &labels, &last, &lastlen);
}

char *spfname_key(const char *name, char *out, size_t cap)
{
	out[0] = 0;
	if (!spfname_queryable(name))
		return out;
	/* wire form, then ldns's presentation of it: the store keys captured
	 * answers by ldns_rdf2str, so a name with odd bytes meets its answer */
	uint8_t wire[SPF_MAX_NAME + 2];
	size_t w = 0, n = strlen(name);
	if (name[n - 1] == '.')
		n--;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && name[j] != '.')
			j++;
		wire[w++] = (uint8_t)(j - i);
		memcpy(wire + w, name + i, j - i);
		w += j - i;
		i = j + 1;
	}
	wire[w++] = 0;
	ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, w, wire);
	char *s = r ? ldns_rdf2str(r) : NULL;
	ldns_rdf_deep_free(r);
	if (s) {
		size_t k = strlen(s);
		if (k > 1 && s[k - 1] == '.')
			s[--k] = 0;
		if (k < cap)
			memcpy(out, s, k + 1);
	}
	free(s);
	return out;
}

int spfname_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);
	if (n && name[n - 1] == '.')
		n--;
	if (d && domain[d - 1] == '.')
		d--;
	if (d == 0 || n < d || strncasecmp(name + n - d, domain, d))
		return 0;
	return n == d || name[n - d - 1] == '.';
}

const char *spfname_reverse(const struct ss_addr *a, char out[80])
{
	static const char hex[] = "0123456789abcdef";
	if (a->family == SS_AF_INET) {
		snprintf(out, 80, "%u.%u.%u.%u.in-addr.arpa", a->b[3], a->b[2], a->b[1], a->b[0]);
		return out;
	}
	size_t k = 0;
	for (int i = 15; i >= 0; i--) {
		out[k++] = hex[a->b[i] & 15];
		out[k++] = '.';
		out[k++] = hex[a->b[i] >> 4];
		out[k++] = '.';
	}
	memcpy(out + k, "ip6.arpa", 9);
	return out;
}

const char *spfname_dotted(const struct ss_addr *a, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	if (a->family == SS_AF_INET) {
		snprintf(out, 72, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
		return out;
	}
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		out[k++] = hex[a->b[i] >> 4];
		out[k++] = '.';
		out[k++] = hex[a->b[i] & 15];
		out[k++] = i < 15 ? '.' : 0;
	}
	return out;
}

int spfname_in_net(const struct ss_addr *a, const uint8_t *net, int bits)
{
	int max = a->family == SS_AF_INET ? 32 : 128;
	if (bits < 0 || bits > max)
		return 0;
	int full = bits / 8, rest = bits % 8;
	if (memcmp(a->b, net, (size_t)full))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a->b[full] & mask) != (net[full] & mask))
			return 0;
	}
	return 1;
}

struct ss_addr spfname_unmap(const struct ss_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct ss_addr r = *a;
	if (a->family == SS_AF_INET6 && !memcmp(a->b, mapped, 12)) {
		memset(&r, 0, sizeof r);
		r.family = SS_AF_INET;
		memcpy(r.b, a->b + 12, 4);
	}
	return r;
}
