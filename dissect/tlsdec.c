/* tlsdec.c - TLS 1.2 and 1.3 records decrypted with key log secrets
 * (tlsdec.h): the key schedule's pieces (RFC 8446 7.1-7.3, RFC 5246 5 and
 * 6.3) with OpenSSL's KDFs, the record protection of each suite (RFC 8446
 * 5.2-5.4, RFC 5288, RFC 7905, RFC 5246 6.2.3, RFC 7366) with its ciphers
 * and MACs, and where each side's keys change.
 *
 * Every record's bytes are read by length checks made before any access;
 * a record is never read past r->len, the plaintext never written past
 * r->len bytes of the caller's buffer.
 */
#include "tlsdec.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsnames.h"

/* --- suites --------------------------------------------------------------- */

enum cipher { C_GCM, C_CHACHA, C_CBC };

struct suite {
	enum cipher c;
	const EVP_CIPHER *(*evp)(void);
	uint8_t key_len;
	uint8_t fixed_iv; /* bytes of the key block's IV: the GCM salt, ChaCha's 12, CBC none */
	uint8_t block;    /* CBC: the block size */
	uint8_t mac_len;  /* CBC: the HMAC's length */
	const char *md;   /* TLS 1.3: the suite's hash; 1.2: the PRF's */
	const char *mac_md;
};

/* The TLS 1.2 suites decrypted, by what follows "_WITH_" in their IANA
 * names: RFC 5246 defines its suites with the SHA-256 PRF, RFC 5289 and
 * RFC 5288 those named _SHA384 with SHA-384's; the MAC of a CBC suite is
 * the hash its name ends in. */
static const struct {
	const char *tail;
	struct suite s;
} suites12[] = {
    {"AES_128_GCM_SHA256", {C_GCM, EVP_aes_128_gcm, 16, 4, 0, 0, "SHA256", NULL}},
    {"AES_256_GCM_SHA384", {C_GCM, EVP_aes_256_gcm, 32, 4, 0, 0, "SHA384", NULL}},
    {"CHACHA20_POLY1305_SHA256", {C_CHACHA, EVP_chacha20_poly1305, 32, 12, 0, 0, "SHA256", NULL}},
    {"AES_128_CBC_SHA", {C_CBC, EVP_aes_128_cbc, 16, 0, 16, 20, "SHA256", "SHA1"}},
    {"AES_256_CBC_SHA", {C_CBC, EVP_aes_256_cbc, 32, 0, 16, 20, "SHA256", "SHA1"}},
    {"AES_128_CBC_SHA256", {C_CBC, EVP_aes_128_cbc, 16, 0, 16, 32, "SHA256", "SHA256"}},
    {"AES_256_CBC_SHA256", {C_CBC, EVP_aes_256_cbc, 32, 0, 16, 32, "SHA256", "SHA256"}},
    {"AES_256_CBC_SHA384", {C_CBC, EVP_aes_256_cbc, 32, 0, 16, 48, "SHA384", "SHA384"}},
    {"3DES_EDE_CBC_SHA", {C_CBC, EVP_des_ede3_cbc, 24, 0, 8, 20, "SHA256", "SHA1"}},
};

static size_t cstr_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int suite13(uint16_t id, struct suite *s)
{
	switch (id) {
	case 0x1301:
		*s = (struct suite){C_GCM, EVP_aes_128_gcm, 16, 12, 0, 0, "SHA256", NULL};
		return 0;
	case 0x1302:
		*s = (struct suite){C_GCM, EVP_aes_256_gcm, 32, 12, 0, 0, "SHA384", NULL};
		return 0;
	case 0x1303:
		*s = (struct suite){C_CHACHA, EVP_chacha20_poly1305, 32, 12, 0, 0, "SHA256", NULL};
		return 0;
	}
	return -1;
}

static int suite12(uint16_t id, struct suite *s)
{
	const char *name = tls_suite_name(id);
	if (!name)
		return -1;
	size_t n = cstr_len(name);
	for (size_t i = 0; i + 6 <= n; i++) {
		if (memcmp(name + i, "_WITH_", 6))
			continue;
		const char *tail = name + i + 6;
		size_t tl = n - i - 6;
		for (size_t j = 0; j < sizeof suites12 / sizeof suites12[0]; j++)
			if (cstr_len(suites12[j].tail) == tl &&
			    !memcmp(suites12[j].tail, tail, tl)) {
				*s = suites12[j].s;
				return 0;
			}
		return -1;
	}
	return -1;
}

/* --- the key schedule's pieces ------------------------------------------- */

int tlsdec_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label,
                        const uint8_t *context, size_t clen, uint8_t *out, size_t olen)
{
	/* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t ll = cstr_len(label);
	if (ll + 6 > 255 || clen > 255 || olen > 0xffff)
		return -1;
	size_t i = 0;
	info[i++] = (uint8_t)(olen >> 8);
	info[i++] = (uint8_t)olen;
	info[i++] = (uint8_t)(ll + 6);
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, ll);
	i += ll;
	info[i++] = (uint8_t)clen;
	if (clen)
		memcpy(info + i, context, clen);
	i += clen;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -1;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, i),
	    OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(kc, out, olen, p) > 0;
	EVP_KDF_CTX_free(kc);
	return ok ? 0 : -1;
}

int tlsdec_prf12(const char *md, const uint8_t *secret, size_t slen, const char *label,
                 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t olen)
{
	uint8_t s[256];
	size_t ll = cstr_len(label);
	if (ll + seedlen > sizeof s)
		return -1;
	memcpy(s, label, ll);
	memcpy(s + ll, seed, seedlen);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -1;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, s, ll + seedlen),
	    OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(kc, out, olen, p) > 0;
	EVP_KDF_CTX_free(kc);
	OPENSSL_cleanse(s, sizeof s);
	return ok ? 0 : -1;
}

int tlsdec_traffic_keys(uint16_t suite, const uint8_t *secret, size_t slen, uint8_t key[32],
                        size_t *klen, uint8_t iv[12])
{
	struct suite s;
	if (suite13(suite, &s))
		return -1;
	*klen = s.key_len;
	if (tlsdec_expand_label(s.md, secret, slen, "key", NULL, 0, key, s.key_len) ||
	    tlsdec_expand_label(s.md, secret, slen, "iv", NULL, 0, iv, 12))
		return -1;
	return 0;
}

/* --- per flow ------------------------------------------------------------ */

/* One direction's keys under one secret. */
struct key {
	int set;
	uint32_t epoch;     /* TLS 1.3: 0 handshake, 1 application, +1 per KeyUpdate */
	EVP_CIPHER_CTX *c;  /* keyed */
	EVP_MAC_CTX *m;     /* CBC: HMAC with the suite's hash */
	uint8_t iv[12];     /* AEAD: the static IV (TLS 1.2 GCM: its 4-byte salt) */
	uint8_t mac[48];    /* CBC: the MAC key */
	uint8_t secret[48]; /* TLS 1.3: the traffic secret (a KeyUpdate derives from it) */
	size_t slen;
};

enum phase { P_NONE, P_13, P_12, P_STOP };

struct dir {
	enum phase phase;
	struct key k;      /* the current key */
	struct key nk;     /* TLS 1.3: the next one, made when first needed */
	int nk_tried;      /* nk was looked for under the current key */
	uint64_t seq;      /* the next record's sequence number under k */
	uint64_t next_enc; /* the enc_seq expected next */
	uint64_t next_off; /* the stream offset where the next record should start */
	int have_off;
	int lost;       /* bytes went missing since a record last opened */
	unsigned fails; /* records in a row that did not open */
	/* TLS 1.3: the handshake messages in its plaintext, for key changes */
	uint8_t hh[4];
	uint8_t hlen;
	uint8_t mtype;
	uint32_t left;
	int change; /* the last record ended a Finished or KeyUpdate */
	uint8_t said[TLSDEC_STATUSES];
	uint64_t ok, failed;
	uint32_t updates;
};

struct tlsdec {
	const struct tls_keys *keys;
	struct memacct *acct;
	size_t held;
	int suite_done; /* suite looked at: s and bad_suite hold */
	int bad_suite;
	int etm; /* TLS 1.2 CBC: encrypt-then-MAC (RFC 7366) */
	struct suite s;
	struct dir d[2];
};

static const char *const status_names[TLSDEC_STATUSES] = {
    "",
    "",
    "tls_no_key",
    "tls_bad_record_mac",
    "tls_unsupported_suite",
    "tls_decrypt_truncated",
    "tls_decrypt_overflow",
    "tls_decrypt_lost",
    "tls_no_handshake",
    "tls_early_data",
    "tls_decrypt_bad_content",
    "tls_decrypt_stopped",
    "tls_decrypt_memory",
};

const char *tlsdec_status_name(enum tlsdec_status s)
{
	return (unsigned)s < TLSDEC_STATUSES ? status_names[s] : "?";
}

static int take(struct tlsdec *d, size_t n)
{
	if (d->acct && memacct_take(d->acct, d->acct->cap, n))
		return -1;
	d->held += n;
	return 0;
}

struct tlsdec *tlsdec_new(const struct tls_keys *keys, struct memacct *acct)
{
	if (acct && memacct_take(acct, acct->cap, sizeof(struct tlsdec)))
		return NULL;
	struct tlsdec *d = calloc(1, sizeof *d);
	if (!d) {
		if (acct)
			memacct_give(acct, sizeof(struct tlsdec));
		return NULL;
	}
	d->keys = keys;
	d->acct = acct;
	d->held = sizeof *d;
	return d;
}

static void key_clear(struct key *k)
{
	EVP_CIPHER_CTX *c = k->c;
	EVP_MAC_CTX *m = k->m;
	OPENSSL_cleanse(k, sizeof *k);
	k->c = c; /* kept for the next key */
	k->m = m;
}

struct tlsdec *tlsdec_free(struct tlsdec *d)
{
	if (!d)
		return NULL;
	for (int i = 0; i < 2; i++) {
		EVP_CIPHER_CTX_free(d->d[i].k.c);
		EVP_CIPHER_CTX_free(d->d[i].nk.c);
		EVP_MAC_CTX_free(d->d[i].k.m);
		EVP_MAC_CTX_free(d->d[i].nk.m);
	}
	if (d->acct)
		memacct_give(d->acct, d->held);
	OPENSSL_cleanse(d, sizeof *d);
	free(d);
	return NULL;
}

/* Keys k with a cipher key (and IV, MAC key); the context is made once. */
static enum tlsdec_status key_init(struct tlsdec *d, struct key *k, const uint8_t *key,
                                   const uint8_t *iv, size_t ivlen, const uint8_t *mac)
{
	if (!k->c) {
		if (take(d, TLSDEC_CTX_COST))
			return TLSDEC_NO_MEMORY;
		k->c = EVP_CIPHER_CTX_new();
		if (!k->c)
			return TLSDEC_NO_MEMORY;
	}
	if (EVP_DecryptInit_ex(k->c, d->s.evp(), NULL, key, NULL) != 1)
		return TLSDEC_UNSUPPORTED;
	if (d->s.c == C_CBC) {
		EVP_CIPHER_CTX_set_padding(k->c, 0);
		if (!k->m) {
			if (take(d, TLSDEC_CTX_COST))
				return TLSDEC_NO_MEMORY;
			EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
			k->m = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
			EVP_MAC_free(hmac);
			if (!k->m)
				return TLSDEC_NO_MEMORY;
		}
	}
	if (ivlen)
		memcpy(k->iv, iv, ivlen);
	if (mac)
		memcpy(k->mac, mac, d->s.mac_len);
	k->set = 1;
	return TLSDEC_OK;
}

/* TLS 1.3: k from the traffic secret (slen bytes) of epoch e. */
static enum tlsdec_status key13(struct tlsdec *d, struct key *k, const uint8_t *secret, size_t slen,
                                uint32_t e)
{
	uint8_t key[32], iv[12];
	key_clear(k);
	k->epoch = e;
	if (slen != (size_t)EVP_MD_get_size(EVP_get_digestbyname(d->s.md)) ||
	    tlsdec_expand_label(d->s.md, secret, slen, "key", NULL, 0, key, d->s.key_len) ||
	    tlsdec_expand_label(d->s.md, secret, slen, "iv", NULL, 0, iv, 12))
		return TLSDEC_NO_KEY; /* a secret of another hash's length: not this suite's */
	memcpy(k->secret, secret, slen);
	k->slen = slen;
	enum tlsdec_status st = key_init(d, k, key, iv, 12, NULL);
	OPENSSL_cleanse(key, sizeof key);
	if (st != TLSDEC_OK)
		k->set = 0;
	return st;
}

static const enum keylog_label labels13[2][2] = {
    /* [direction][0 handshake, 1 application] */
    {KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET, KEYLOG_CLIENT_TRAFFIC_SECRET_0},
    {KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET, KEYLOG_SERVER_TRAFFIC_SECRET_0},
};

/* TLS 1.3: the key of epoch e for direction dir into k (e >= 2 needs the
 * secret of e - 1 in prev). TLSDEC_NO_KEY when the key log lacks it. */
static enum tlsdec_status epoch_key(struct tlsdec *d, const struct tls_flow *t, enum ss_dir dir,
                                    uint32_t e, const struct key *prev, struct key *k)
{
	uint8_t s[KEYLOG_SECRET_MAX];
	size_t n = 0;
	if (e <= 1) {
		n = tls_keys_find(d->keys, labels13[dir][e], t->ch.random, s);
	} else if (prev && prev->set && prev->epoch == e - 1) {
		/* RFC 8446 7.2: application_traffic_secret_N+1 =
		 * HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)
		 */
		n = prev->slen;
		if (tlsdec_expand_label(d->s.md, prev->secret, n, "traffic upd", NULL, 0, s, n))
			n = 0;
	}
	if (!n) {
		key_clear(k);
		k->epoch = e;
		return TLSDEC_NO_KEY;
	}
	enum tlsdec_status st = key13(d, k, s, n, e);
	OPENSSL_cleanse(s, sizeof s);
	return st;
}

/* TLS 1.2: both directions' keys from the master secret (RFC 5246 6.3). */
static enum tlsdec_status keys12(struct tlsdec *d, const struct tls_flow *t)
{
	uint8_t ms[KEYLOG_SECRET_MAX], seed[64], kb[2 * (48 + 32 + 12)];
	if (tls_keys_find(d->keys, KEYLOG_CLIENT_RANDOM, t->ch.random, ms) != 48)
		return TLSDEC_NO_KEY;
	const struct suite *s = &d->s;
	size_t need = 2u * s->mac_len + 2u * s->key_len + 2u * s->fixed_iv;
	memcpy(seed, t->sh.random, 32);
	memcpy(seed + 32, t->ch.random, 32);
	int bad = tlsdec_prf12(s->md, ms, 48, "key expansion", seed, 64, kb, need);
	OPENSSL_cleanse(ms, sizeof ms);
	if (bad)
		return TLSDEC_UNSUPPORTED;
	const uint8_t *mac[2] = {kb, kb + s->mac_len};
	const uint8_t *key[2] = {kb + 2 * s->mac_len, kb + 2 * s->mac_len + s->key_len};
	const uint8_t *iv[2] = {key[1] + s->key_len, key[1] + s->key_len + s->fixed_iv};
	enum tlsdec_status st = TLSDEC_OK;
	for (int i = 0; i < 2 && st == TLSDEC_OK; i++) {
		st =
		    key_init(d, &d->d[i].k, key[i], iv[i], s->fixed_iv, s->mac_len ? mac[i] : NULL);
		d->d[i].k.epoch = 1;
	}
	OPENSSL_cleanse(kb, sizeof kb);
	return st;
}

/* --- record protection --------------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* An AEAD's open: ct[0..n) and its 16-byte tag into out. 0 or -1. */
static int aead_open(EVP_CIPHER_CTX *c, const uint8_t nonce[12], const uint8_t *aad, size_t alen,
                     const uint8_t *ct, size_t n, const uint8_t *tag, uint8_t *out)
{
	int l = 0, l2 = 0;
	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &l, aad, (int)alen) != 1 ||
	    (n && EVP_DecryptUpdate(c, out, &l, ct, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
		return -1;
	return EVP_DecryptFinal_ex(c, out + (n ? l : 0), &l2) == 1 ? 0 : -1;
}

/* The per-record nonce of RFC 8446 5.3 and RFC 7905 2: the IV xor the
 * sequence number, left-padded. */
static void xor_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
	memcpy(nonce, iv, 12);
	for (int i = 11; i >= 4; i--, seq >>= 8)
		nonce[i] ^= (uint8_t)seq;
}

/* TLS 1.3: r under k at seq into buf: *type and *n of the content. */
static enum tlsdec_status open13(const struct key *k, uint64_t seq, const struct tls_record *r,
                                 uint8_t *buf, uint8_t *type, size_t *n)
{
	uint8_t nonce[12];
	xor_nonce(k->iv, seq, nonce);
	size_t clen = (size_t)r->len - 16;
	if (aead_open(k->c, nonce, r->hdr, 5, r->frag, clen, r->frag + clen, buf))
		return TLSDEC_BAD_MAC;
	/* RFC 8446 5.4: the content type is the last byte that is not 0 */
	size_t i = clen;
	while (i && !buf[i - 1])
		i--;
	if (!i)
		return TLSDEC_BAD_CONTENT;
	*type = buf[i - 1];
	*n = i - 1;
	if (clen > TLS_PLAIN_MAX + 1)
		return TLSDEC_OVERFLOW;
	return TLSDEC_OK;
}

/* HMAC(mac key, seq || type || version || length || a || b) == want? */
static int mac_ok(const struct tlsdec *d, const struct key *k, uint64_t seq,
                  const struct tls_record *r, size_t len, const uint8_t *a, size_t alen,
                  const uint8_t *b, size_t blen, const uint8_t *want)
{
	uint8_t h[13], got[EVP_MAX_MD_SIZE];
	put64(h, seq);
	h[8] = r->hdr[0];
	h[9] = r->hdr[1];
	h[10] = r->hdr[2];
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
	EVP_MAC_CTX *mc = k->m;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)d->s.mac_md, 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t gl = 0;
	int ok = EVP_MAC_init(mc, k->mac, d->s.mac_len, p) == 1 &&
	         EVP_MAC_update(mc, h, sizeof h) == 1 &&
	         (!alen || EVP_MAC_update(mc, a, alen) == 1) &&
	         (!blen || EVP_MAC_update(mc, b, blen) == 1) &&
	         EVP_MAC_final(mc, got, &gl, sizeof got) == 1 && gl == d->s.mac_len &&
	         !CRYPTO_memcmp(got, want, gl);
	return ok;
}

/* CBC: n bytes of ct with the IV before them into out. 0 or -1. */
static int cbc_decrypt(const struct key *k, const uint8_t *iv, const uint8_t *ct, size_t n,
                       uint8_t *out)
{
	int l = 0;
	return EVP_DecryptInit_ex(k->c, NULL, NULL, NULL, iv) == 1 &&
	               EVP_DecryptUpdate(k->c, out, &l, ct, (int)n) == 1 && (size_t)l == n
	           ? 0
	           : -1;
}

/* TLS 1.2: r under k at seq into buf. *why says a length that cannot be. */
static enum tlsdec_status open12(const struct tlsdec *d, const struct key *k, uint64_t seq,
                                 const struct tls_record *r, uint8_t *buf, size_t *n,
                                 const char **why)
{
	const struct suite *s = &d->s;
	const uint8_t *f = r->frag;
	size_t len = r->len;
	uint8_t aad[13], nonce[12];
	put64(aad, seq);
	aad[8] = r->hdr[0];
	aad[9] = r->hdr[1];
	aad[10] = r->hdr[2];
	if (s->c == C_GCM || s->c == C_CHACHA) {
		size_t over = s->c == C_GCM ? 8 + 16 : 16;
		if (len < over) {
			*why = s->c == C_GCM ? "an explicit nonce and a tag (24 bytes)"
			                     : "a tag (16 bytes)";
			return TLSDEC_SHORT;
		}
		size_t pl = len - over;
		aad[11] = (uint8_t)(pl >> 8);
		aad[12] = (uint8_t)pl;
		if (s->c == C_GCM) {
			/* RFC 5288 3: the salt, then the record's explicit nonce */
			memcpy(nonce, k->iv, 4);
			memcpy(nonce + 4, f, 8);
			f += 8;
		} else {
			xor_nonce(k->iv, seq, nonce);
		}
		if (aead_open(k->c, nonce, aad, 13, f, pl, f + pl, buf))
			return TLSDEC_BAD_MAC;
		*n = pl;
	} else {
		size_t b = s->block, m = s->mac_len;
		/* the IV, whole blocks, the MAC outside them (encrypt-then-MAC) or
		 * inside with at least one byte of padding */
		size_t body = len >= b ? len - b : 0;
		if (d->etm) {
			if (len < 2 * b + m || (len - b - m) % b) {
				*why = "an IV, whole blocks and a MAC";
				return TLSDEC_SHORT;
			}
			body = len - b - m;
			/* RFC 7366 3: the MAC covers the IV and the ciphertext */
			if (!mac_ok(d, k, seq, r, len - m, f, len - m, NULL, 0, f + len - m))
				return TLSDEC_BAD_MAC;
			if (cbc_decrypt(k, f, f + b, body, buf))
				return TLSDEC_BAD_MAC;
			uint8_t pad = buf[body - 1];
			if ((size_t)pad + 1 > body)
				return TLSDEC_BAD_MAC;
			for (size_t i = body - 1 - pad; i < body - 1; i++)
				if (buf[i] != pad)
					return TLSDEC_BAD_MAC;
			*n = body - 1 - pad;
		} else {
			if (len < b + (m + 1 + b - 1) / b * b || body % b) {
				*why = "an IV and whole blocks holding a MAC and padding";
				return TLSDEC_SHORT;
			}
			if (cbc_decrypt(k, f, f + b, body, buf))
				return TLSDEC_BAD_MAC;
			uint8_t pad = buf[body - 1];
			if ((size_t)pad + 1 + m > body)
				return TLSDEC_BAD_MAC;
			for (size_t i = body - 1 - pad; i < body - 1; i++)
				if (buf[i] != pad)
					return TLSDEC_BAD_MAC;
			size_t cl = body - 1 - pad - m;
			if (!mac_ok(d, k, seq, r, cl, buf, cl, NULL, 0, buf + cl))
				return TLSDEC_BAD_MAC;
			*n = cl;
		}
	}
	if (*n > TLS_PLAIN_MAX)
		return TLSDEC_OVERFLOW;
	return TLSDEC_OK;
}

/* --- where keys change --------------------------------------------------- */

/* TLS 1.3: the handshake messages of a record's plaintext; a Finished (under
 * the handshake keys) or a KeyUpdate (under application keys) that ends
 * in it changes the side's key after it (RFC 8446 4.4.4, 4.6.3; 5.1: such
 * a message does not cross a key change). */
static void scan13(struct dir *x, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (x->left) {
			size_t k = x->left < n - i ? x->left : n - i;
			x->left -= (uint32_t)k;
			i += k;
		} else {
			x->hh[x->hlen++] = p[i++];
			if (x->hlen < 4)
				continue;
			x->hlen = 0;
			x->mtype = x->hh[0];
			x->left = (uint32_t)x->hh[1] << 16 | (uint32_t)x->hh[2] << 8 | x->hh[3];
		}
		if (!x->left && !x->hlen &&
		    ((x->mtype == TLS_HS_FINISHED && x->k.epoch == 0) ||
		     (x->mtype == TLS_HS_KEY_UPDATE && x->k.epoch >= 1)))
			x->change = 1;
	}
}

/* The next key becomes the current one, from sequence 0. */
static void adopt_next(struct dir *x)
{
	struct key old = x->k;
	x->k = x->nk;
	x->nk = old;
	key_clear(&x->nk);
	x->nk_tried = 0;
	x->seq = 0;
	x->hlen = 0;
	x->left = 0;
	x->change = 0;
	if (x->k.epoch >= 2)
		x->updates++;
}

static const char *side_name(enum ss_dir dir)
{
	return dir == SS_C2S ? "client" : "server";
}

static const char *epoch_name(uint32_t e, char b[40])
{
	if (e == 0)
		return "the handshake keys";
	if (e == 1)
		return "the first application keys";
	snprintf(b, 40, "the keys after KeyUpdate %u", (unsigned)(e - 1));
	return b;
}

/* TLS 1.3: r tried under the current key at seq and the next at 0, and
 * past a loss the next TLSDEC_RESYNC_MAX numbers of each. On OK (or a
 * record that opened with bad content) *used says which key (1: the
 * next) and *fseq its sequence number. */
static enum tlsdec_status try13(struct tlsdec *d, const struct tls_flow *t, struct dir *x,
                                enum ss_dir dir, const struct tls_record *r, uint8_t *buf,
                                uint8_t *type, size_t *n, int *used, uint64_t *fseq)
{
	unsigned w = x->lost ? TLSDEC_RESYNC_MAX : 0;
	for (unsigned i = 0; i <= w; i++) {
		if (x->k.set) {
			enum tlsdec_status st = open13(&x->k, x->seq + i, r, buf, type, n);
			if (st != TLSDEC_BAD_MAC) {
				*used = 0;
				*fseq = x->seq + i;
				return st;
			}
		}
		if (!x->nk_tried) {
			x->nk_tried = 1;
			if (epoch_key(d, t, dir, x->k.epoch + 1, &x->k, &x->nk) == TLSDEC_NO_MEMORY)
				return TLSDEC_NO_MEMORY;
		}
		if (x->nk.set) {
			enum tlsdec_status st = open13(&x->nk, i, r, buf, type, n);
			if (st != TLSDEC_BAD_MAC) {
				*used = 1;
				*fseq = i;
				return st;
			}
		}
	}
	return x->k.set || x->nk.set ? TLSDEC_BAD_MAC : TLSDEC_NO_KEY;
}

/* TLS 1.2: r at seq, and past a loss the next TLSDEC_RESYNC_MAX. */
static enum tlsdec_status try12(struct tlsdec *d, struct dir *x, const struct tls_record *r,
                                uint8_t *buf, size_t *n, uint64_t *fseq, const char **why)
{
	unsigned w = x->lost ? TLSDEC_RESYNC_MAX : 0;
	enum tlsdec_status st = TLSDEC_BAD_MAC;
	for (unsigned i = 0; i <= w; i++) {
		st = open12(d, &x->k, x->seq + i, r, buf, n, why);
		*fseq = x->seq + i;
		if (st != TLSDEC_BAD_MAC)
			return st; /* opened, or a length no sequence number mends */
	}
	return st;
}

static void hex8(const uint8_t *p, char out[17])
{
	static const char h[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[16] = 0;
}

enum tlsdec_status tlsdec_record(struct tlsdec *d, const struct tls_flow *t,
                                 const struct tls_record *r, uint8_t *buf, size_t cap,
                                 struct tlsdec_out *out)
{
	enum ss_dir dir = r->dir == SS_S2C ? SS_S2C : SS_C2S;
	struct dir *x = &d->d[dir];
	out->type = 0;
	out->p = NULL;
	out->n = 0;
	out->seq = 0;
	out->epoch = 0;
	out->say = 0;
	out->detail[0] = 0;
	int jump = x->have_off && r->off != x->next_off;
	x->have_off = 1;
	x->next_off = r->off + 5 + r->len;
	if (!r->encrypted)
		return TLSDEC_CLEAR;
	if (jump)
		x->lost = 1; /* bytes went missing between records: how many records is unknown */
	uint64_t skipped = r->enc_seq > x->next_enc ? r->enc_seq - x->next_enc : 0;
	x->next_enc = r->enc_seq + 1;

	const char *sn = side_name(dir);
	unsigned long long rn = (unsigned long long)r->enc_seq;
	char cr[17], eb[40];
	const char *suite = t->suite ? tls_suite_name(t->suite) : NULL;
	enum tlsdec_status st;
	int counts = 1; /* a failure of this record counts towards the stop */
	if (x->phase == P_STOP) {
		st = TLSDEC_STOPPED;
		snprintf(out->detail, sizeof out->detail,
		         "the %s's records are no longer decrypted after %u in a row did not open",
		         sn, TLSDEC_FAIL_MAX);
		counts = 0;
		goto fail;
	}
	if (!t->sh.seen || !t->version || !t->ch.seen) {
		counts = 0;
		if (dir == SS_C2S && t->ch.seen && !t->sh.seen) {
			st = TLSDEC_EARLY_DATA;
			snprintf(out->detail, sizeof out->detail,
			         "application data from the client before the ServerHello (0-RTT, "
			         "record %llu): not decrypted",
			         rn);
		} else {
			st = TLSDEC_NO_HANDSHAKE;
			snprintf(out->detail, sizeof out->detail,
			         "encrypted records from the %s without a %s: which session they "
			         "belong to is not known",
			         sn, t->ch.seen ? "ServerHello" : "ClientHello");
		}
		goto fail;
	}
	hex8(t->ch.random, cr);
	if (!d->suite_done) {
		d->suite_done = 1;
		d->bad_suite = t->version == TLS_V13   ? suite13(t->suite, &d->s)
		               : t->version == TLS_V12 ? suite12(t->suite, &d->s)
		                                       : -1;
		d->etm = t->etm;
	}
	if (d->bad_suite) {
		st = TLSDEC_UNSUPPORTED;
		counts = 0;
		if (t->version != TLS_V12 && t->version != TLS_V13)
			snprintf(out->detail, sizeof out->detail,
			         "%s is not decrypted (TLS 1.2 and 1.3 are)",
			         tls_version_name(t->version) ? tls_version_name(t->version)
			                                      : "this version");
		else
			snprintf(out->detail, sizeof out->detail, "%s (0x%04x) is not decrypted",
			         suite ? suite : "the suite", t->suite);
		goto fail;
	}
	if (x->phase == P_NONE) {
		if (t->version == TLS_V13) {
			x->phase = P_13;
			st = epoch_key(d, t, dir, 0, NULL, &x->k);
		} else {
			st = keys12(d, t);
			if (st == TLSDEC_OK)
				d->d[0].phase = d->d[1].phase = P_12;
		}
		if (st == TLSDEC_NO_MEMORY || st == TLSDEC_UNSUPPORTED) {
			snprintf(out->detail, sizeof out->detail,
			         st == TLSDEC_NO_MEMORY
			             ? "no room for the cipher state (--max-held-mem, or memory)"
			             : "OpenSSL refused the keys of %s",
			         suite ? suite : "the suite");
			counts = 0;
			x->phase = P_STOP;
			goto fail;
		}
		if (st == TLSDEC_NO_KEY && t->version == TLS_V12) {
			snprintf(out->detail, sizeof out->detail,
			         "no CLIENT_RANDOM line in the key log for client random %s...: "
			         "the %s's record %llu is not decrypted",
			         cr, sn, rn);
			goto fail;
		}
	}
	x->seq += skipped;
	if (skipped) {
		x->hlen = 0;
		x->left = 0;
	}
	out->seq = x->seq;
	out->epoch = x->k.epoch;
	size_t maxc = t->version == TLS_V13 ? TLSDEC_CIPHER_MAX : TLSDEC_CIPHER12_MAX;
	if (r->len > maxc || cap < r->len) {
		/* no peer sends it: not counted as a record of the sequence */
		x->lost = 1;
		st = TLSDEC_OVERFLOW;
		counts = 0;
		snprintf(out->detail, sizeof out->detail,
		         "the %s's record %llu has %u bytes, more than %s (%zu)", sn, rn, r->len,
		         cap < r->len ? "the buffer holds" : "a TLSCiphertext may have",
		         cap < r->len ? cap : maxc);
		goto fail;
	}
	if (r->damaged || !r->frag) {
		/* a record all the same: it used its number up; what it held
		 * (a Finished, a KeyUpdate?) is not known, so look around next */
		x->seq++;
		x->lost |= r->damaged;
		x->hlen = 0;
		x->left = 0;
		st = TLSDEC_LOST;
		counts = 0;
		snprintf(out->detail, sizeof out->detail,
		         r->damaged
		             ? "a gap took bytes of the %s's record %llu: its plaintext is lost"
		             : "the %s's record %llu was not kept (keep_ciphertext): not "
		               "decrypted",
		         sn, rn);
		goto fail;
	}
	if (t->version == TLS_V13 && r->len < 17) {
		x->lost = 1;
		st = TLSDEC_SHORT;
		snprintf(out->detail, sizeof out->detail,
		         "the %s's record %llu has %u bytes, too few for %s (a tag and a content "
		         "type: 17)",
		         sn, rn, r->len, suite ? suite : "its suite");
		goto fail;
	}

	uint8_t type = r->type;
	size_t n = 0;
	uint64_t fseq = x->seq;
	int used = 0;
	const char *why = NULL;
	int searched = x->lost;
	if (t->version == TLS_V13)
		st = try13(d, t, x, dir, r, buf, &type, &n, &used, &fseq);
	else
		st = try12(d, x, r, buf, &n, &fseq, &why);
	if (st == TLSDEC_OK || st == TLSDEC_BAD_CONTENT || st == TLSDEC_OVERFLOW) {
		/* the record opened: its key and number are right */
		if (used)
			adopt_next(x);
		x->seq = fseq + 1;
		x->lost = 0;
		x->fails = 0;
		out->seq = fseq;
		out->epoch = t->version == TLS_V13 ? x->k.epoch : 1;
		if (st != TLSDEC_OK) {
			counts = 0;
			snprintf(
			    out->detail, sizeof out->detail,
			    st == TLSDEC_OVERFLOW
			        ? "the %s's record %llu holds more than 2^14 bytes of plaintext "
			          "(record_overflow)"
			        : "the %s's record %llu holds padding only, no content type "
			          "(RFC 8446 5.4)",
			    sn, rn);
			goto fail;
		}
		if (t->version == TLS_V13 && type == TLS_CT_HANDSHAKE)
			scan13(x, buf, n);
		if (x->change) {
			if (!x->nk_tried) {
				x->nk_tried = 1;
				if (epoch_key(d, t, dir, x->k.epoch + 1, &x->k, &x->nk) ==
				    TLSDEC_NO_MEMORY) {
					st = TLSDEC_NO_MEMORY;
					snprintf(out->detail, sizeof out->detail,
					         "no room for the cipher state (--max-held-mem, or "
					         "memory)");
					counts = 0;
					x->phase = P_STOP;
					goto fail;
				}
			}
			adopt_next(x);
		}
		x->ok++;
		out->type = type;
		out->p = buf;
		out->n = n;
		return TLSDEC_OK;
	}
	if (st == TLSDEC_NO_MEMORY) {
		snprintf(out->detail, sizeof out->detail,
		         "no room for the cipher state (--max-held-mem, or memory)");
		counts = 0;
		x->phase = P_STOP;
		goto fail;
	}
	if (t->version == TLS_V13 && dir == SS_C2S && t->early_data && x->k.epoch == 0 && !x->ok) {
		/* the server took 0-RTT: the client's records before its
		 * EndOfEarlyData are under the early traffic secret */
		st = TLSDEC_EARLY_DATA;
		counts = 0;
		snprintf(out->detail, sizeof out->detail,
		         "the client's record %llu is 0-RTT data (the server accepted early data): "
		         "not decrypted",
		         rn);
		goto fail;
	}
	/* Whether it used a number up is not known (a damaged record did, a
	 * record that is not one did not): the next is tried from the same
	 * number on. */
	x->lost = 1;
	x->hlen = 0;
	x->left = 0;
	if (st == TLSDEC_SHORT)
		snprintf(out->detail, sizeof out->detail,
		         "the %s's record %llu has %u bytes, not %s as %s has", sn, rn, r->len,
		         why ? why : "enough", suite ? suite : "its suite");
	else if (st == TLSDEC_NO_KEY && t->version == TLS_V13)
		snprintf(out->detail, sizeof out->detail,
		         "no %s in the key log for client random %s...: the %s's record %llu "
		         "(under %s) is not decrypted",
		         keylog_label_name(labels13[dir][x->k.epoch ? 1 : 0]), cr, sn, rn,
		         epoch_name(x->k.epoch, eb));
	else
		snprintf(out->detail, sizeof out->detail,
		         "the %s's record %llu does not open under %s at sequence %llu%s (%s): a "
		         "wrong key, or records damaged or lost",
		         sn, rn,
		         t->version == TLS_V13 ? epoch_name(x->k.epoch, eb) : "the session keys",
		         (unsigned long long)x->seq, searched ? " or the next ones" : "",
		         suite ? suite : "its suite");
fail:
	x->failed++;
	if (counts && ++x->fails >= TLSDEC_FAIL_MAX && x->phase != P_STOP) {
		x->phase = P_STOP;
		size_t l = cstr_len(out->detail);
		snprintf(out->detail + l, sizeof out->detail - l,
		         "; %u in a row did not open: the %s's records are no longer decrypted",
		         TLSDEC_FAIL_MAX, sn);
	}
	unsigned most = st == TLSDEC_STOPPED ? 1 : TLSDEC_SAY_MAX;
	if (x->said[st] < most) {
		x->said[st]++;
		out->say = 1;
	}
	return st;
}

void tlsdec_counts(const struct tlsdec *d, struct tlsdec_counts *c)
{
	for (int i = 0; i < 2; i++) {
		c->ok[i] = d->d[i].ok;
		c->failed[i] = d->d[i].failed;
		c->key_updates[i] = d->d[i].updates;
	}
}

int tlsdec_describe(const struct tlsdec *d, char *buf, size_t len)
{
	const struct dir *c = &d->d[SS_C2S], *s = &d->d[SS_S2C];
	char fc[48] = "", fs[48] = "";
	if (c->failed)
		snprintf(fc, sizeof fc, " (%llu failed)", (unsigned long long)c->failed);
	if (s->failed)
		snprintf(fs, sizeof fs, " (%llu failed)", (unsigned long long)s->failed);
	return snprintf(buf, len, "decrypted %llu record%s to the server%s, %llu back%s",
	                (unsigned long long)c->ok, c->ok == 1 ? "" : "s", fc,
	                (unsigned long long)s->ok, fs);
}
