/* dkimkey.c - DKIM key records (RFC 6376 3.6.1, RFC 8463 4): syntax, the
 * key in p= (OpenSSL: an RSA key as SubjectPublicKeyInfo or as PKCS#1
 * RSAPublicKey, an ed25519 key raw), and the compact form for libopendkim. */
#define _DEFAULT_SOURCE
#include "dkimkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
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

const char *dkimkey_form_name(enum dkimkey_form f)
{
	switch (f) {
	case DKIMKEY_SPKI:
		return "SubjectPublicKeyInfo";
	case DKIMKEY_PKCS1:
		return "PKCS#1 RSAPublicKey";
	case DKIMKEY_RAW:
		return "raw ed25519 key";
	case DKIMKEY_NO_KEY:
		break;
	}
	return "no key";
}

static void unusable(struct dkimkey *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unusable(struct dkimkey *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->unusable, sizeof k->unusable, fmt, ap);
	va_end(ap);
}

/* An RSA key of form f (SPKI or PKCS#1, RFC 8017 A.1.1: SEQUENCE {
 * modulus, publicExponent }) at the start of der (len bytes, bounded by
 * OpenSSL's reader); *used is how many bytes it took. NULL when none. */
static EVP_PKEY *rsa_form(enum dkimkey_form f, const uint8_t *der, long len, long *used)
{
	const unsigned char *q = der;
	EVP_PKEY *pk = f == DKIMKEY_SPKI ? d2i_PUBKEY(NULL, &q, len)
	                                 : d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, len);
	*used = pk ? (long)(q - der) : 0;
	return pk;
}

/* RFC 8017 3.1: e is between 3 and n - 1 and prime to lambda(n), which is
 * even: so odd. A key without such an e verifies nothing, and would make
 * every signature look forged. */
static int exponent_ok(const EVP_PKEY *pk)
{
	BIGNUM *n = NULL, *e = NULL;
	int ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) &&
	         EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) && BN_is_odd(e) &&
	         !BN_is_one(e) && BN_cmp(e, n) < 0;
	BN_free(n);
	BN_free(e);
	return ok;
}

/* pk as base64 DER SubjectPublicKeyInfo, into k->spki. -1 when memory
 * runs out. */
static int spki_text(struct dkimkey *k, EVP_PKEY *pk)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	if (n > 0)
		k->spki = malloc(4 * (((size_t)n + 2) / 3) + 1);
	if (k->spki)
		EVP_EncodeBlock((unsigned char *)k->spki, der, n);
	OPENSSL_free(der);
	return k->spki ? 0 : -1;
}

/* The RSA key in der (len bytes, decoded p=), decoded by OpenSSL: SubjectPublicKeyInfo or
 * PKCS#1 RSAPublicKey, both of RFC 6376 3.6.1. Sets bits and form, and
 * spki for the PKCS#1 form, or says in unusable why there is no key.
 * Returns -1 only when memory runs out. */
static int rsa_key_decode(struct dkimkey *k, const uint8_t *der, long len)
{
	long used;
	enum dkimkey_form form = DKIMKEY_SPKI;
	EVP_PKEY *pk = rsa_form(form, der, len, &used);
	if (!pk) {
		form = DKIMKEY_PKCS1;
		pk = rsa_form(form, der, len, &used);
	}
	int rc = 0;
	if (!pk)
		unusable(k,
		         "p= is %ld bytes that are neither a SubjectPublicKeyInfo nor a PKCS#1 "
		         "RSAPublicKey in DER, the forms of an RSA key (RFC 6376 3.6.1)",
		         len);
	else if (used != len) /* a DER encoding is the structure, nothing more */
		unusable(k,
		         "p= is a %s followed by %ld more bytes, not the DER encoding of one key",
		         dkimkey_form_name(form), len - used);
	else if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		unusable(k, "p= is a SubjectPublicKeyInfo of key type %.20s, not of an RSA key",
		         EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unknown");
	else if (!exponent_ok(pk))
		unusable(k,
		         "p= is a %s whose public exponent is not an odd number from 3 to the "
		         "modulus (RFC 8017 3.1)",
		         dkimkey_form_name(form));
	else {
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
		k->form = form;
		/* libopendkim 2.11 takes SubjectPublicKeyInfo only */
		if (form == DKIMKEY_PKCS1)
			rc = spki_text(k, pk);
	}
	EVP_PKEY_free(pk);
	return rc;
}

/* The outcomes of the last RSA keys decoded, by their DER bytes. Decoding
 * is most of what checking a signature costs: OpenSSL 3.0 sets up its
 * decoder framework for every d2i_PUBKEY (some 90 us, three times the RSA
 * verification itself), and a domain's mail comes signed with one key
 * again and again. The outcome depends on the bytes alone, so a key seen
 * before gets the same bits, form, spki and words. The verifier runs on
 * one thread (report/ calls it from the main one), so one table serves.
 * Keys over RSA_MEMO_DER (larger than 8192-bit ones) are not kept. */
#define RSA_MEMO 8
#define RSA_MEMO_DER 1100
struct rsa_memo {
	long len; /* 0: empty */
	uint8_t der[RSA_MEMO_DER];
	unsigned bits;
	enum dkimkey_form form;
	char unusable[sizeof((struct dkimkey *)0)->unusable];
	char spki[(RSA_MEMO_DER + 2) / 3 * 4 + 1]; /* "" when the form needs none */
};
static struct rsa_memo rsa_memo[RSA_MEMO];
static unsigned rsa_memo_next; /* the entry replaced next: the oldest */

static int rsa_key(struct dkimkey *k, const uint8_t *der, long len)
{
	struct rsa_memo *m = NULL;
	for (size_t i = 0; i < RSA_MEMO; i++)
		if (rsa_memo[i].len == len && !memcmp(rsa_memo[i].der, der, (size_t)len)) {
			m = &rsa_memo[i];
			break;
		}
	if (m) {
		k->bits = m->bits;
		k->form = m->form;
		memcpy(k->unusable, m->unusable, sizeof k->unusable);
		if (m->spki[0] && !(k->spki = strdup(m->spki)))
			return -1;
		return 0;
	}
	int rc = rsa_key_decode(k, der, len);
	if (rc || len > RSA_MEMO_DER || (k->spki && strlen(k->spki) >= sizeof m->spki))
		return rc;
	m = &rsa_memo[rsa_memo_next];
	rsa_memo_next = (rsa_memo_next + 1) % RSA_MEMO;
	m->len = len;
	memcpy(m->der, der, (size_t)len);
	m->bits = k->bits;
	m->form = k->form;
	memcpy(m->unusable, k->unusable, sizeof m->unusable);
	snprintf(m->spki, sizeof m->spki, "%s", k->spki ? k->spki : "");
	return 0;
}

/* The key in p= of type k->type: bits, form and spki when it is one,
 * unusable when it is not. Returns -1 only when memory runs out. */
static int key_decode(struct dkimkey *k)
{
	size_t n = strlen(k->p);
	uint8_t *der = malloc(n / 4 * 3 + 3);
	if (!der)
		return -1;
	/* failed decodings leave OpenSSL errors that are no one's */
	ERR_set_mark();
	long len = base64_decode((const uint8_t *)k->p, n, der);
	int rc = 0;
	if (len <= 0)
		unusable(k, "p= does not decode as base64 (RFC 4648 4)");
	else if (k->type == DKIMKEY_RSA)
		rc = rsa_key(k, der, len);
	else if (len != 32) /* RFC 8463 4: the raw key, not a structure */
		unusable(k, "p= is %ld bytes, where an ed25519 key is 32 (RFC 8463 4)", len);
	else {
		k->bits = 256;
		k->form = DKIMKEY_RAW;
	}
	ERR_pop_to_mark();
	free(der);
	return rc;
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
	const char *vals[] = {k->v, k->h, k->k, k->s, k->t, k->spki ? k->spki : k->p};
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
	if (!k->revoked && key_decode(k))
		return -2;
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
	free(k->spki);
	k->arena = k->compact = k->spki = NULL;
}
