/* tlscert.c - an X.509 certificate from a TLS Certificate message, read with
 * OpenSSL (RFC 5280; names printed as RFC 2253 says, as `openssl x509
 * -nameopt RFC2253` prints them).
 *
 * The DER is untrusted: OpenSSL's d2i_X509 bounds every read to the length
 * it is given, and what it returns is copied out and freed at once. Text
 * from the certificate is printable ASCII when it leaves here: RFC 2253's
 * escapes (with ESC_MSB and ESC_CTRL) cover names, util/escape.h covers
 * SANs, and anything left unprintable becomes '?'.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "tlscert.h"

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "sstime.h"

/* Appends s[0..n) to out (cap bytes, NUL-terminated, *len used); cuts with
 * "..." when it does not fit. Returns -1 once cut. */
static int put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > cap) {
		size_t room = cap - *len - 1;
		if (room >= 3) {
			memcpy(out + *len, s, room - 3 < n ? room - 3 : n);
			*len += room - 3 < n ? room - 3 : n;
			memcpy(out + *len, "...", 3);
			*len += 3;
		}
		out[*len] = 0;
		return -1;
	}
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = 0;
	return 0;
}

static void name_line(const X509_NAME *name, char *out, size_t cap)
{
	out[0] = 0;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		char *p;
		long n = BIO_get_mem_data(b, &p);
		size_t len = 0;
		if (n > 0)
			put(out, cap, &len, p, (size_t)n);
		for (size_t i = 0; i < len; i++)
			if (out[i] < 0x20 || out[i] > 0x7e)
				out[i] = '?';
	}
	BIO_free(b);
}

static int64_t when(const ASN1_TIME *a)
{
	struct tm tm;
	if (!a || !ASN1_TIME_to_tm(a, &tm))
		return INT64_MIN;
	/* not timegm: its time zone state is shared with the thread that
	 * shows local times (--workers) */
	return ss_days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static void sans(X509 *x, struct tls_cert *out)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (!g)
		return;
	size_t len = 0;
	int n = sk_GENERAL_NAME_num(g);
	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
		char one[300];
		size_t k;
		if (gn->type == GEN_DNS) {
			const ASN1_IA5STRING *s = gn->d.dNSName;
			memcpy(one, "DNS:", 4);
			escape_str(one + 4, sizeof one - 4, ASN1_STRING_get0_data(s),
			           (size_t)ASN1_STRING_length(s));
			k = 4 + strnlen(one + 4, sizeof one - 4);
		} else if (gn->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = gn->d.iPAddress;
			int l = ASN1_STRING_length(s);
			memcpy(one, "IP:", 3);
			if ((l == 4 || l == 16) &&
			    inet_ntop(l == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s),
			              one + 3, sizeof one - 3))
				k = 3 + strnlen(one + 3, sizeof one - 3);
			else
				k = 3 + (size_t)snprintf(one + 3, sizeof one - 3, "?(%d bytes)", l);
		} else {
			continue;
		}
		if ((out->nsans && put(out->sans, sizeof out->sans, &len, ", ", 2)) ||
		    put(out->sans, sizeof out->sans, &len, one, k))
			break;
		out->nsans++;
	}
	GENERAL_NAMES_free(g);
}

int tls_cert_parse(struct tls_cert *out, const uint8_t *der, size_t n)
{
	memset(out, 0, sizeof *out);
	out->not_before = out->not_after = INT64_MIN;
	out->der_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	unsigned int mdlen = 0;
	if (!EVP_Digest(der, n, out->sha256, &mdlen, EVP_sha256(), NULL))
		memset(out->sha256, 0, sizeof out->sha256);
	if (n > LONG_MAX)
		return -1;
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)n);
	if (!x)
		return -1;
	name_line(X509_get_subject_name(x), out->subject, sizeof out->subject);
	name_line(X509_get_issuer_name(x), out->issuer, sizeof out->issuer);
	out->not_before = when(X509_get0_notBefore(x));
	out->not_after = when(X509_get0_notAfter(x));
	sans(x, out);
	X509_free(x);
	out->ok = 1;
	return 0;
}
