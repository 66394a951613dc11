/* dkimkey.c - DKIM key records (RFC 6376 3.6.1, RFC 8463 4): syntax,
 * key type and size (OpenSSL), and the compact form for libopendkim. */
#define _DEFAULT_SOURCE
#include "dkimkey.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "dkimtags.h"

static void fail(struct dkimkey *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct dkimkey *k, const char *fmt, ...)
{
	if (k->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->err, sizeof k->err, fmt, ap);
	va_end(ap);
}

const char *dkimkey_type_name(enum dkimkey_type t)
{
	return t == DKIMKEY_RSA ? "rsa" : t == DKIMKEY_ED25519 ? "ed25519" : "?";
}

/* The size of the key in p= of type t: RSA keys are DER
 * SubjectPublicKeyInfo (RFC 6376 3.6.1), ed25519 keys the 32 raw bytes
 * (RFC 8463 4). 0 when it is not such a key. */
static unsigned key_bits(enum dkimkey_type t, const char *p)
{
	size_t n = strlen(p);
	uint8_t *der = malloc(n / 4 * 3 + 3);
	long len = der ? base64_decode((const uint8_t *)p, n, der) : -1;
	unsigned bits = 0;
	if (len > 0 && t == DKIMKEY_ED25519) {
		bits = len == 32 ? 256 : 0;
	} else if (len > 0 && t == DKIMKEY_RSA) {
		const unsigned char *q = der;
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &q, len);
		if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
			bits = (unsigned)EVP_PKEY_get_bits(pk);
		EVP_PKEY_free(pk);
	}
	free(der);
	return bits;
}

/* p= as base64string, whole groups of four. */
static int base64_ok(const char *v)
{
	size_t n;
	return base64_shaped(v, &n) && n % 4 == 0;
}

/* "v=DKIM1; h=sha256; k=rsa; s=email; t=s; p=..." from the tags present. */
static int make_compact(struct dkimkey *k)
{
	const char *names[] = {"v", "h", "k", "s", "t", "p"};
	const char *vals[] = {k->v, k->h, k->k, k->s, k->t, k->p};
	size_t need = 1;
	for (size_t i = 0; i < 6; i++)
		if (vals[i])
			need += strlen(vals[i]) + 4;
	k->compact = malloc(need);
	if (!k->compact)
		return -1;
	size_t o = 0;
	k->compact[0] = 0;
	for (size_t i = 0; i < 6; i++) {
		if (!vals[i])
			continue;
		int w =
		    snprintf(k->compact + o, need - o, "%s%s=%s", o ? "; " : "", names[i], vals[i]);
		if (w < 0 || (size_t)w >= need - o)
			return -1;
		o += (size_t)w;
	}
	k->compact_len = o;
	return 0;
}

int dkimkey_parse(struct dkimkey *k, const uint8_t *p, size_t len)
{
	memset(k, 0, sizeof *k);
	struct dkimtags *t = malloc(sizeof *t);
	k->arena = malloc(len + DKIMTAGS_MAX + 1);
	if (!t || !k->arena) {
		free(t);
		free(k->arena);
		k->arena = NULL;
		snprintf(k->err, sizeof k->err, "out of memory");
		return -2;
	}
	const char *perr = dkimtags_parse(t, p, len);
	if (perr)
		fail(k, "the key record is not a tag list: %s", perr);
	static const char *const names[] = {"v", "h", "k", "p", "s", "t"};
	const char **slot[] = {&k->v, &k->h, &k->k, &k->p, &k->s, &k->t};
	size_t used = 0;
	for (size_t i = 0; !perr && i < 6; i++) {
		const struct dkimtag *tag = dkimtags_find(t, names[i]);
		if (!tag)
			continue;
		long n = dkimtags_squeeze(tag, k->arena + used, len + DKIMTAGS_MAX + 1 - used);
		if (n < 0)
			continue;
		*slot[i] = k->arena + used;
		used += (size_t)n + 1;
	}
	/* RFC 6376 3.6.1 v=: if present it MUST be the first tag, and a
	 * record whose v= is anything but DKIM1 MUST be discarded. */
	const struct dkimtag *vt = perr ? NULL : dkimtags_find(t, "v");
	if (vt && vt != &t->tag[0])
		fail(k, "v= is not the first tag of the key record");
	else if (vt && (vt->val_len != 5 || memcmp(vt->val, "DKIM1", 5)))
		fail(k, "the key record says v=%.20s, not DKIM1", k->v);
	/* k= is a single token (RFC 6376 3.6.1) */
	const struct dkimtag *kt = perr ? NULL : dkimtags_find(t, "k");
	if (kt && k->k && strlen(k->k) != kt->val_len)
		fail(k, "the key record's k= holds white space");
	free(t);
	if (k->err[0])
		return -1;
	k->type = DKIMKEY_RSA;                    /* RFC 6376 3.6.1: k= defaults to rsa */
	if (k->k && !strcasecmp(k->k, "ed25519")) /* RFC 5234 2.3: no case */
		k->type = DKIMKEY_ED25519;
	else if (k->k && strcasecmp(k->k, "rsa"))
		fail(k, "the key record has k=%.30s, a key type smtpsniff does not know", k->k);
	if (!k->p)
		fail(k, "the key record has no p=");
	else if (!k->p[0])
		k->revoked = 1;
	else if (!base64_ok(k->p))
		fail(k, "the key record's p= is not base64");
	if (k->err[0])
		return -1;
	if (!k->revoked)
		k->bits = key_bits(k->type, k->p);
	if (make_compact(k))
		return -2;
	return 0;
}

void dkimkey_free(struct dkimkey *k)
{
	if (!k)
		return;
	free(k->arena);
	free(k->compact);
	k->arena = k->compact = NULL;
}
