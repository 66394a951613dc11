/* dkimkey.h - a DKIM key record (RFC 6376 3.6.1, RFC 8463 4): its syntax,
 * what key it holds, and the compact form handed to libopendkim.
 *
 * libopendkim 2.11 reads a key record into a fixed buffer of 1025 bytes
 * (BUFRSZ + 1 in dkim_get_key()) and silently cuts what does not fit, so
 * a long record (a 4096-bit key with notes or folding spaces) would fail
 * as a broken key. The compact form keeps only the tags a verifier acts
 * on, with the FWS that RFC 6376 allows inside values removed: a 4096-bit
 * RSA key then takes about 760 bytes.
 *
 * An RSA p= comes in two forms: RFC 6376 3.6.1 names the DER RSAPublicKey
 * of PKCS#1 (RFC 8017 A.1.1), and says SubjectPublicKeyInfo (RFC 5280
 * 4.1) is what is published in practice; both are seen. libopendkim 2.11
 * reads only the second, so the compact form of a PKCS#1 key carries the
 * same key as a SubjectPublicKeyInfo.
 */
#ifndef SS_DKIMKEY_H
#define SS_DKIMKEY_H

#include <stddef.h>
#include <stdint.h>

enum dkimkey_type { DKIMKEY_UNKNOWN, DKIMKEY_RSA, DKIMKEY_ED25519 };

/* How p= holds the key. */
enum dkimkey_form {
	DKIMKEY_NO_KEY, /* revoked, or p= is no key of type k= (see unusable) */
	DKIMKEY_SPKI,   /* RSA: DER SubjectPublicKeyInfo */
	DKIMKEY_PKCS1,  /* RSA: DER RSAPublicKey */
	DKIMKEY_RAW,    /* ed25519: the 32 bytes of the public key */
};

struct dkimkey {
	char *arena; /* owned: the values below, FWS removed */
	/* The tags a verifier acts on, NULL when absent (k= then means rsa). */
	const char *v, *h, *k, *p, *s, *t;
	enum dkimkey_type type;
	int revoked;   /* p= is empty (RFC 6376 3.6.1) */
	unsigned bits; /* the key's size: RSA modulus bits, 256 for ed25519; 0 when
	                * p= does not decode to a key of type k= */
	enum dkimkey_form form;
	char unusable[240]; /* when p= is not empty yet bits is 0: why, in words
	                     * ("p= is 12 bytes that are ..."); "" otherwise */
	char *spki;         /* owned: a PKCS#1 p= as base64 SubjectPublicKeyInfo; else NULL */
	char *compact;      /* owned: "v=DKIM1; k=rsa; p=..." with only v, h, k, s, t, p;
	                     * p= is spki when there is one */
	size_t compact_len;
	char err[160]; /* the syntax error in words; "" when there is none */
};

/* Parses the text of a TXT record (its strings joined, len bytes at p,
 * borrowed). Returns 0 when it is a key record in syntax: a usable one, a
 * revoked one (see revoked), or one whose p= is base64 but no key of type
 * k= (bits 0, unusable says why: RFC 6376 6.1.2 makes that a PERMFAIL of
 * its own, after revoked and k= against a=). Returns -1 with err set when
 * RFC 6376 3.6.1 / 6.1.2 make it a PERMFAIL (key syntax error, v= not
 * DKIM1, unknown k=, p= missing or not base64), -2 when memory runs out.
 * Free with dkimkey_free(), whatever it returned. */
int dkimkey_parse(struct dkimkey *k, const uint8_t *p, size_t len);
void dkimkey_free(struct dkimkey *k);

const char *dkimkey_type_name(enum dkimkey_type t); /* "rsa", "ed25519", "?" */
/* "SubjectPublicKeyInfo", "PKCS#1 RSAPublicKey", "raw ed25519 key", "no key" */
const char *dkimkey_form_name(enum dkimkey_form f);

#endif
