/* orgdomain.c - Organizational Domains (RFC 7489 3.2) with libpsl over
 * Debian's public suffix list. */
#define _DEFAULT_SOURCE
#include "orgdomain.h"

#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const psl_ctx_t *psl;
static char list_name[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Debian's file first, so the answers follow the list the system keeps up
 * to date; the builtin copy (libpsl's build-time list) only without it. */
static void orgdomain_load(void)
{
	static const char *const files[] = {ORGDOMAIN_PSL_DAFSA, ORGDOMAIN_PSL_DAT};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		psl_ctx_t *c = psl_load_file(files[i]);
		if (c) {
			psl = c;
			snprintf(list_name, sizeof list_name, "Debian publicsuffix (%s)", files[i]);
			return;
		}
	}
	psl = psl_builtin();
	if (psl) {
		const char *f = psl_builtin_filename();
		snprintf(list_name, sizeof list_name,
		         "libpsl builtin (%s is missing; built from %s)", ORGDOMAIN_PSL_DAT,
		         f ? f : "?");
	} else {
		snprintf(list_name, sizeof list_name,
		         "none (%s is missing and libpsl has no builtin list)", ORGDOMAIN_PSL_DAT);
	}
}

const char *orgdomain_list(void)
{
	pthread_once(&once, orgdomain_load);
	return list_name;
}

/* domain in lower case without its final dot into out (ORGDOMAIN_MAX_NAME
 * + 1 bytes), or -1 when it is no A-label DNS name. */
static int orgdomain_norm(const char *domain, char *out)
{
	size_t n = strlen(domain);
	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > ORGDOMAIN_MAX_NAME)
		return -1;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)domain[i];
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (c < 0x21 || c > 0x7e || ++label > ORGDOMAIN_MAX_LABEL) {
			return -1;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (label == 0)
		return -1;
	out[n] = 0;
	return 0;
}

int orgdomain_get(const char *domain, char *out, size_t outlen)
{
	char name[ORGDOMAIN_MAX_NAME + 1];
	if (outlen)
		out[0] = 0;
	pthread_once(&once, orgdomain_load);
	if (!psl || orgdomain_norm(domain, name) < 0)
		return ORGDOMAIN_BAD;
	/* libpsl wants lower case (done above); it applies the list's
	 * wildcard and exception rules and the implicit "*". */
	const char *reg = psl_registrable_domain(psl, name);
	int st = ORGDOMAIN_OK;
	if (!reg) {
		if (!psl_is_public_suffix(psl, name))
			return ORGDOMAIN_BAD;
		reg = name;
		st = ORGDOMAIN_SUFFIX;
	}
	size_t n = strlen(reg);
	if (n + 1 > outlen)
		return ORGDOMAIN_BAD;
	memcpy(out, reg, n + 1);
	return st;
}

int orgdomain_same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 0 && a[na - 1] == '.')
		na--;
	if (nb > 0 && b[nb - 1] == '.')
		nb--;
	return na == nb && !strncasecmp(a, b, na);
}
