/* orgdomain.h - the Organizational Domain of a DNS name (RFC 7489 3.2):
 * the public suffix the name falls under by the Public Suffix List's
 * rules (wildcards "*.ck", exceptions "!www.ck", the implicit "*" rule),
 * plus the one label to its left.
 *
 * The list is Debian's (package publicsuffix): ORGDOMAIN_PSL_DAFSA, else
 * ORGDOMAIN_PSL_DAT, read with libpsl; libpsl's builtin list only when
 * neither file loads. orgdomain_list() says which one answers. Both
 * sections of the list count (ICANN and private, e.g. s3.amazonaws.com):
 * RFC 7489 3.2 takes the list as published. Names under "test" (the lab)
 * are on no list, so the implicit "*" makes "test" the public suffix and
 * x.test, y.test and a.test three Organizational Domains.
 *
 * The list is loaded once, on first use, and kept for the process.
 */
#ifndef SS_ORGDOMAIN_H
#define SS_ORGDOMAIN_H

#include <stddef.h>

#define ORGDOMAIN_PSL_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"
#define ORGDOMAIN_PSL_DAT "/usr/share/publicsuffix/public_suffix_list.dat"
/* RFC 1035 2.3.4: a name is at most 253 characters as text (255 octets on
 * the wire) and a label at most 63. Longer ones are not DNS names. */
#define ORGDOMAIN_MAX_NAME 253
#define ORGDOMAIN_MAX_LABEL 63

enum orgdomain_status {
	ORGDOMAIN_OK = 0,     /* out is the Organizational Domain */
	ORGDOMAIN_SUFFIX = 1, /* the name is itself a public suffix (co.uk, test): 3.2
	                       * step 4 has no label to add, so out is the name */
	ORGDOMAIN_BAD = -1,   /* not a DNS name in A-label form (empty, an empty
	                       * label, too long, a byte that is not printable
	                       * ASCII or is a space), out too small, or no list */
};

/* The Organizational Domain of domain (any case, a final dot allowed) into
 * out, lower case and without a final dot; out is "" on ORGDOMAIN_BAD.
 * outlen of ORGDOMAIN_MAX_NAME + 1 is always enough. */
int orgdomain_get(const char *domain, char *out, size_t outlen);

/* Which list answers, for reports: "Debian publicsuffix
 * (/usr/share/publicsuffix/public_suffix_list.dafsa)", "libpsl builtin
 * (...)", or "none (...)" when no list could be loaded. */
const char *orgdomain_list(void);

/* 1 when the two names are the same DNS name: ASCII letters without case,
 * a final dot ignored (RFC 4343). */
int orgdomain_same(const char *a, const char *b);

#endif
