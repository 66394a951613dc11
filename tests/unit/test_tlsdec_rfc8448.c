/* test_tlsdec_rfc8448.c - the decryption step (dissect/tlsdec.c,
 * dissect/keylog.c) on RFC 8448 section 3, the simple 1-RTT handshake
 * (TLS_AES_128_GCM_SHA256): every secret, key and IV the RFC lists, made
 * from the RFC's own inputs (its (EC)DHE shared secret, its messages'
 * transcript hashes) with the key schedule's pieces; then the RFC's seven
 * encrypted records, fed with its ClientHello and ServerHello through the
 * TLS parser as captured bytes would be, decrypted with a key log holding
 * the RFC's traffic secrets: each plaintext must be the RFC's message
 * bytes, each content type the RFC's, and the parser must read what the
 * handshake records carry (the server's Finished, the ticket, the
 * close_notify alerts). Then what goes wrong: a wrong secret, a missing
 * one, a record cut short, a record over 2^14 + 256 bytes, a record cut by
 * the end of the flow - each said for its direction, the other direction
 * decrypted all the same. Everything again with the bytes fed one at a
 * time and in pieces of 7.
 *
 * The hex of the messages is the one tests/unit/test_tls_rfc8448.c holds;
 * the records and the values are RFC 8448 section 3's ("complete record",
 * "expanded", "key expanded", "iv expanded", "secret"). The AEAD tags make
 * a mistyped record fail rather than pass.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "keylog.h"
#include "tls.h"
#include "tlsdec.h"

#include "rfc8448.h"

/* {server} send handshake record: complete record (679 octets) */
static const char r_sflight[] =
    "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f"
    "45 e4 89 e7 f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca"
    "07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd"
    "05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b"
    "d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e"
    "f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c"
    "7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8"
    "bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92"
    "8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70"
    "a2 55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8"
    "94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea"
    "52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f"
    "44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89"
    "f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3"
    "6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1"
    "00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e"
    "1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84"
    "c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c"
    "f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f"
    "c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be"
    "5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6"
    "fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb"
    "56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10"
    "dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38"
    "eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f"
    "60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78"
    "40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3"
    "79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e"
    "75 0e dc 53 37 0d 2b";
/* {client} send handshake record: complete record (58 octets) */
static const char r_cfin[] =
    "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0"
    "51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c"
    "ae ac ab 68 67 d7 26 c4 05 46";
/* {server} send handshake record: complete record (227 octets) */
static const char r_nst[] =
    "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24"
    "0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a"
    "01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1"
    "70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0"
    "9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15"
    "13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77"
    "f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3"
    "47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74"
    "bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b"
    "3b 6c 67 79 b3 7b f1 59 85 68 4f";
/* {client} send application_data record: complete record (72 octets) */
static const char r_capp[] =
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea"
    "42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b"
    "62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4";
/* {server} send application_data record: complete record (72 octets) */
static const char r_sapp[] =
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc"
    "32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8"
    "fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d";
/* {client} send alert record: complete record (24 octets) */
static const char r_calert[] =
    "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3";
/* {server} send alert record: complete record (24 octets) */
static const char r_salert[] =
    "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9";

/* The ClientHello's record as the RFC gives it ({client} send handshake
 * record: complete record (201 octets): 16 03 01 00 c4, then the message). */
#define CH_HDR "160301 00c4"
#define SH_HDR "160303 005a"
#define CLIENT_RANDOM_HEX "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"

/* RFC 8448 section 3's values. */
#define V_EARLY "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"
#define V_EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define V_DERIVED1 "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"
#define V_IKM "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"
#define V_HS "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"
#define V_H_CHSH "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"
#define V_C_HS "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define V_S_HS "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define V_DERIVED2 "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4"
#define V_MASTER "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"
#define V_S_HS_KEY "3fce516009c21727d0f2e4e86ee403bc"
#define V_S_HS_IV "5d313eb2671276ee13000b30"
#define V_S_FIN_KEY "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"
#define V_H_CHSF "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"
#define V_C_AP "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define V_S_AP "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define V_EXP "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"
#define V_S_AP_KEY "9f02283b6c9c07efc26bb9f2ac92e356"
#define V_S_AP_IV "cf782b88dd83549aadf1e984"
#define V_C_HS_KEY "dbfaa693d1762c5b666af5d950258d01"
#define V_C_HS_IV "5bd3c71b836e0b76bb73265f"
#define V_C_FIN_KEY "b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4"
#define V_C_AP_KEY "17422dda596ed5d9acd890e3c63f5051"
#define V_C_AP_IV "5b78923dee08579033e523d9"
#define V_H_CHCF "209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"
#define V_RES "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"
#define V_PSK "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"

/* --- helpers ------------------------------------------------------------- */

struct bytes {
	uint8_t p[4096];
	size_t n;
};

/* Hex with spaces allowed, appended to b. */
static void add_hex(struct bytes *b, const char *h)
{
	int hi = -1;
	for (; *h; h++) {
		int v = *h >= '0' && *h <= '9'   ? *h - '0'
		        : *h >= 'a' && *h <= 'f' ? *h - 'a' + 10
		                                 : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			b->p[b->n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
}

static struct bytes hx(const char *h)
{
	struct bytes b = {.n = 0};
	add_hex(&b, h);
	return b;
}

static int same(const uint8_t *p, size_t n, const char *h)
{
	struct bytes b = hx(h);
	return b.n == n && !memcmp(b.p, p, n);
}

static void sha256(const struct bytes *b, uint8_t out[32])
{
	unsigned n = 32;
	EVP_Digest(b->p, b->n, out, &n, EVP_sha256(), NULL);
}

/* HKDF-Extract (RFC 5869 2.2) with SHA-256, as OpenSSL's HKDF does it. */
static void extract(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il, uint8_t out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, il),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sl),
	    OSSL_PARAM_construct_end(),
	};
	CHECK(EVP_KDF_derive(kc, out, 32, p) > 0);
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
}

/* Derive-Secret (RFC 8446 7.1) with a transcript hash given. */
static void derive(const uint8_t *secret, const char *label, const uint8_t hash[32],
                   uint8_t out[32])
{
	CHECK(tlsdec_expand_label("SHA256", secret, 32, label, hash, 32, out, 32) == 0);
}

/* --- 1: the key schedule ------------------------------------------------- */

static void key_schedule(void)
{
	uint8_t zero[32] = {0}, early[32], empty[32], d1[32], hs[32], h[32], chs[32], shs[32];
	uint8_t d2[32], ms[32], cap[32], sap[32], exp[32], res[32], psk[32], fin[32];
	uint8_t key[32], iv[12];
	size_t kl = 0;
	extract(zero, 32, zero, 32, early);
	CHECK(same(early, 32, V_EARLY));
	struct bytes e = {.n = 0};
	sha256(&e, empty);
	CHECK(same(empty, 32, V_EMPTY_HASH));
	derive(early, "derived", empty, d1);
	CHECK(same(d1, 32, V_DERIVED1));
	struct bytes ikm = hx(V_IKM);
	extract(d1, 32, ikm.p, 32, hs);
	CHECK(same(hs, 32, V_HS));
	struct bytes t = hx(s3_ch);
	add_hex(&t, s3_sh);
	sha256(&t, h);
	CHECK(same(h, 32, V_H_CHSH));
	derive(hs, "c hs traffic", h, chs);
	CHECK(same(chs, 32, V_C_HS));
	derive(hs, "s hs traffic", h, shs);
	CHECK(same(shs, 32, V_S_HS));
	derive(hs, "derived", empty, d2);
	CHECK(same(d2, 32, V_DERIVED2));
	extract(d2, 32, zero, 32, ms);
	CHECK(same(ms, 32, V_MASTER));

	/* {server} derive write traffic keys for handshake data */
	CHECK(tlsdec_traffic_keys(0x1301, shs, 32, key, &kl, iv) == 0);
	CHECK(kl == 16 && same(key, 16, V_S_HS_KEY) && same(iv, 12, V_S_HS_IV));
	CHECK(tlsdec_expand_label("SHA256", shs, 32, "finished", NULL, 0, fin, 32) == 0);
	CHECK(same(fin, 32, V_S_FIN_KEY));
	/* {client} the same for its handshake data */
	CHECK(tlsdec_traffic_keys(0x1301, chs, 32, key, &kl, iv) == 0);
	CHECK(kl == 16 && same(key, 16, V_C_HS_KEY) && same(iv, 12, V_C_HS_IV));
	CHECK(tlsdec_expand_label("SHA256", chs, 32, "finished", NULL, 0, fin, 32) == 0);
	CHECK(same(fin, 32, V_C_FIN_KEY));

	add_hex(&t, s3_ee);
	add_hex(&t, s3_cert);
	add_hex(&t, s3_cv);
	add_hex(&t, s3_sfin);
	sha256(&t, h);
	CHECK(same(h, 32, V_H_CHSF));
	derive(ms, "c ap traffic", h, cap);
	CHECK(same(cap, 32, V_C_AP));
	derive(ms, "s ap traffic", h, sap);
	CHECK(same(sap, 32, V_S_AP));
	derive(ms, "exp master", h, exp);
	CHECK(same(exp, 32, V_EXP));
	CHECK(tlsdec_traffic_keys(0x1301, sap, 32, key, &kl, iv) == 0);
	CHECK(same(key, 16, V_S_AP_KEY) && same(iv, 12, V_S_AP_IV));
	CHECK(tlsdec_traffic_keys(0x1301, cap, 32, key, &kl, iv) == 0);
	CHECK(same(key, 16, V_C_AP_KEY) && same(iv, 12, V_C_AP_IV));

	add_hex(&t, s3_cfin);
	sha256(&t, h);
	CHECK(same(h, 32, V_H_CHCF));
	derive(ms, "res master", h, res);
	CHECK(same(res, 32, V_RES));
	/* the ticket's PSK: nonce 00 00 (RFC 8448 section 3, "tls13 resumption") */
	const uint8_t nonce[2] = {0, 0};
	CHECK(tlsdec_expand_label("SHA256", res, 32, "resumption", nonce, 2, psk, 32) == 0);
	CHECK(same(psk, 32, V_PSK));
	/* a suite not decrypted */
	CHECK(tlsdec_traffic_keys(0x1304, cap, 32, key, &kl, iv) == -1);
}

/* --- 2: the records ------------------------------------------------------ */

static size_t split; /* feed in pieces of this many bytes (0: whole) */

struct got {
	enum ss_dir dir;
	enum tlsdec_status st;
	uint8_t type;
	uint64_t seq;
	uint32_t epoch;
	size_t n;
	uint8_t p[1024];
	int say;
	char detail[256];
};

struct run {
	struct tls_flow *t;
	struct tlsdec *d;
	struct got got[32];
	size_t ngot;
	char events[4096];
	uint64_t off[2]; /* stream offsets fed so far */
};

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)t;
	struct run *r = ctx;
	size_t l = strlen(r->events);
	snprintf(r->events + l, sizeof r->events - l, "%c %s %s\n", e->dir == SS_C2S ? 'C' : 'S',
	         e->what, e->detail);
}

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *rec)
{
	struct run *r = ctx;
	static uint8_t buf[TLSDEC_BUF];
	struct tlsdec_out o;
	enum tlsdec_status st = tlsdec_record(r->d, t, rec, buf, sizeof buf, &o);
	if (st == TLSDEC_CLEAR)
		return;
	struct ss_pos pos = {rec->frame, rec->ts, rec->off + 5, 0, 0, 0};
	if (st == TLSDEC_OK)
		tls_hs_feed(t, rec->dir, o.type, o.p, o.n, &pos);
	else
		tls_hs_gap(t, rec->dir, &pos);
	if (r->ngot == sizeof r->got / sizeof r->got[0])
		return;
	struct got *g = &r->got[r->ngot++];
	g->dir = rec->dir;
	g->st = st;
	g->type = o.type;
	g->seq = o.seq;
	g->epoch = o.epoch;
	g->n = o.n < sizeof g->p ? o.n : sizeof g->p;
	if (st == TLSDEC_OK)
		memcpy(g->p, o.p, g->n);
	g->say = o.say;
	snprintf(g->detail, sizeof g->detail, "%s", o.detail);
}

static void feed(struct run *r, enum ss_dir d, const struct bytes *b)
{
	uint64_t *off = r->off;
	size_t i = 0;
	while (i < b->n) {
		size_t k = split && b->n - i > split ? split : b->n - i;
		struct ss_pos pos = {1, 0, off[d], 0, 0, 0};
		tls_feed(r->t, d, b->p + i, k, &pos);
		off[d] += k;
		i += k;
	}
}

static void start(struct run *r, const struct tls_keys *keys)
{
	memset(r, 0, sizeof *r);
	struct tls_opts o = {0, 1, NULL, on_event, on_record, NULL, r};
	r->t = tls_new(&o);
	r->d = tlsdec_new(keys, NULL);
}

static void finish(struct run *r)
{
	struct ss_pos pos = {99, 0, 0, 0, 0, 0};
	tls_end(r->t, &pos);
	tls_free(r->t);
	tlsdec_free(r->d);
}

/* The RFC's flights, in the order they cross. */
static void handshake(struct run *r, const char *sflight)
{
	struct bytes b = hx(CH_HDR);
	add_hex(&b, s3_ch);
	feed(r, SS_C2S, &b);
	b = hx(SH_HDR);
	add_hex(&b, s3_sh);
	add_hex(&b, sflight);
	feed(r, SS_S2C, &b);
	b = hx(r_cfin);
	feed(r, SS_C2S, &b);
}

static void rest(struct run *r)
{
	struct bytes b = hx(r_nst);
	feed(r, SS_S2C, &b);
	b = hx(r_capp);
	feed(r, SS_C2S, &b);
	b = hx(r_sapp);
	feed(r, SS_S2C, &b);
	b = hx(r_calert);
	feed(r, SS_C2S, &b);
	b = hx(r_salert);
	feed(r, SS_S2C, &b);
}

static const char *keylog_text(int drop_server, int break_server)
{
	static char text[2048];
	snprintf(text, sizeof text,
	         "# RFC 8448 section 3's traffic secrets\n"
	         "CLIENT_HANDSHAKE_TRAFFIC_SECRET " CLIENT_RANDOM_HEX " " V_C_HS "\n"
	         "%s%s%s"
	         "CLIENT_TRAFFIC_SECRET_0 " CLIENT_RANDOM_HEX " " V_C_AP "\n"
	         "%s%s%s"
	         "EXPORTER_SECRET " CLIENT_RANDOM_HEX " " V_EXP "\n",
	         drop_server ? "" : "SERVER_HANDSHAKE_TRAFFIC_SECRET " CLIENT_RANDOM_HEX " ",
	         drop_server    ? ""
	         : break_server ? "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad39"
	                        : V_S_HS,
	         drop_server ? "" : "\n",
	         drop_server ? "" : "SERVER_TRAFFIC_SECRET_0 " CLIENT_RANDOM_HEX " ",
	         drop_server ? "" : V_S_AP, drop_server ? "" : "\n");
	return text;
}

static struct tls_keys *keys_of(const char *text)
{
	struct tls_keys *k = tls_keys_new(0);
	tls_keys_add(k, "rfc8448", (const uint8_t *)text, strlen(text));
	return k;
}

static const struct got *find(const struct run *r, enum ss_dir d, size_t nth)
{
	for (size_t i = 0; i < r->ngot; i++)
		if (r->got[i].dir == d && !nth--)
			return &r->got[i];
	return NULL;
}

static int got_is(const struct got *g, enum tlsdec_status st, uint8_t type, uint32_t epoch,
                  uint64_t seq, const char *hex)
{
	if (!g || g->st != st)
		return 0;
	if (st != TLSDEC_OK)
		return 1;
	struct bytes b = hx(hex);
	return g->type == type && g->epoch == epoch && g->seq == seq && g->n == b.n &&
	       !memcmp(g->p, b.p, b.n);
}

static char sflight_plain[4096];
static const char app_payload[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                  "202122232425262728292a2b2c2d2e2f3031";

static void records(void)
{
	snprintf(sflight_plain, sizeof sflight_plain, "%s%s%s%s", s3_ee, s3_cert, s3_cv, s3_sfin);
	struct tls_keys *k = keys_of(keylog_text(0, 0));
	struct keylog_stats ks;
	tls_keys_stats(k, &ks);
	CHECK(ks.secrets == 5 && ks.sessions == 1 && ks.comments == 1 && ks.bad == 0);
	struct run r;
	start(&r, k);
	handshake(&r, r_sflight);
	rest(&r);
	CHECK(r.ngot == 7);
	/* the server: its flight under the handshake keys, then the ticket,
	 * the data and the alert under the application keys from 0 */
	CHECK(got_is(find(&r, SS_S2C, 0), TLSDEC_OK, 22, 0, 0, sflight_plain));
	CHECK(got_is(find(&r, SS_S2C, 1), TLSDEC_OK, 22, 1, 0, s3_nst));
	CHECK(got_is(find(&r, SS_S2C, 2), TLSDEC_OK, 23, 1, 1, app_payload));
	CHECK(got_is(find(&r, SS_S2C, 3), TLSDEC_OK, 21, 1, 2, "0100"));
	/* the client: its Finished, then data and alert */
	CHECK(got_is(find(&r, SS_C2S, 0), TLSDEC_OK, 22, 0, 0, s3_cfin));
	CHECK(got_is(find(&r, SS_C2S, 1), TLSDEC_OK, 23, 1, 0, app_payload));
	CHECK(got_is(find(&r, SS_C2S, 2), TLSDEC_OK, 21, 1, 1, "0100"));
	/* what the parser read of the decrypted handshake */
	CHECK(r.t->side[SS_S2C].finished && r.t->side[SS_C2S].finished);
	CHECK(r.t->tickets == 1 && r.t->ticket_lifetime == 30);
	CHECK(r.t->side[SS_S2C].chain.n == 1 && r.t->side[SS_S2C].cv_scheme == 0x0804);
	CHECK(r.t->side[SS_C2S].alerts == 1 && r.t->side[SS_C2S].alert_desc == 0);
	CHECK(r.t->side[SS_S2C].alerts == 1 && r.t->side[SS_S2C].alert_desc == 0);
	/* both are close_notify: counted above, not anomalies (RFC 8446 6.1) */
	CHECK(!strstr(r.events, "tls_alert"));
	struct tlsdec_counts c;
	tlsdec_counts(r.d, &c);
	CHECK(c.ok[0] == 3 && c.ok[1] == 4 && !c.failed[0] && !c.failed[1]);
	char line[200];
	tlsdec_describe(r.d, line, sizeof line);
	CHECK(!strcmp(line, "decrypted 3 records to the server, 4 back"));
	finish(&r);
	tls_keys_free(k);
}

/* A wrong server handshake secret: the server's flight does not open
 * (said), its application records do (the key log's next secret, tried at
 * sequence 0), the client's all do. */
static void wrong_key(void)
{
	struct tls_keys *k = keys_of(keylog_text(0, 1));
	struct run r;
	start(&r, k);
	handshake(&r, r_sflight);
	rest(&r);
	const struct got *g = find(&r, SS_S2C, 0);
	CHECK(g && g->st == TLSDEC_BAD_MAC && g->say);
	CHECK(g && strstr(g->detail, "does not open under the handshake keys at sequence 0"));
	CHECK(got_is(find(&r, SS_S2C, 1), TLSDEC_OK, 22, 1, 0, s3_nst));
	CHECK(got_is(find(&r, SS_S2C, 2), TLSDEC_OK, 23, 1, 1, app_payload));
	CHECK(got_is(find(&r, SS_S2C, 3), TLSDEC_OK, 21, 1, 2, "0100"));
	CHECK(got_is(find(&r, SS_C2S, 0), TLSDEC_OK, 22, 0, 0, s3_cfin));
	CHECK(got_is(find(&r, SS_C2S, 1), TLSDEC_OK, 23, 1, 0, app_payload));
	CHECK(got_is(find(&r, SS_C2S, 2), TLSDEC_OK, 21, 1, 1, "0100"));
	CHECK(!r.t->side[SS_S2C].finished && r.t->side[SS_C2S].finished);
	finish(&r);
	tls_keys_free(k);
}

/* No server secrets at all: every server record says no_key, the client's
 * decrypt. */
static void missing_key(void)
{
	struct tls_keys *k = keys_of(keylog_text(1, 0));
	struct run r;
	start(&r, k);
	handshake(&r, r_sflight);
	rest(&r);
	for (size_t i = 0; i < 4; i++) {
		const struct got *g = find(&r, SS_S2C, i);
		CHECK(g && g->st == TLSDEC_NO_KEY);
		CHECK(g && g->say == (i < TLSDEC_SAY_MAX));
	}
	const struct got *g = find(&r, SS_S2C, 0);
	CHECK(g && strstr(g->detail, "no SERVER_HANDSHAKE_TRAFFIC_SECRET in the key log for "
	                             "client random cb34ecb1e78163ba..."));
	CHECK(got_is(find(&r, SS_C2S, 0), TLSDEC_OK, 22, 0, 0, s3_cfin));
	CHECK(got_is(find(&r, SS_C2S, 1), TLSDEC_OK, 23, 1, 0, app_payload));
	CHECK(got_is(find(&r, SS_C2S, 2), TLSDEC_OK, 21, 1, 1, "0100"));
	finish(&r);
	tls_keys_free(k);
}

/* Records that cannot be: one too short for a tag, one over 2^14 + 256
 * bytes; each said, and the records after them still open at the right
 * sequence numbers (neither used one up). And a flow that ends inside a
 * record: the parser says so, nothing is decrypted of it. */
static void bad_records(void)
{
	struct tls_keys *k = keys_of(keylog_text(0, 0));
	struct run r;
	start(&r, k);
	handshake(&r, r_sflight);
	struct bytes b = hx("17 03 03 00 0a 00 01 02 03 04 05 06 07 08 09");
	feed(&r, SS_S2C, &b);
	static struct bytes big;
	big = hx("17 03 03 41 01");
	memset(big.p + 5, 0x5a, sizeof big.p - 5);
	big.n = sizeof big.p;
	/* struct bytes holds 4096: feed the long record in pieces */
	feed(&r, SS_S2C, &big);
	size_t left = 16641 - (sizeof big.p - 5);
	while (left) {
		struct bytes z = {.n = left < sizeof z.p ? left : sizeof z.p};
		memset(z.p, 0x5a, z.n);
		feed(&r, SS_S2C, &z);
		left -= z.n;
	}
	rest(&r);
	if (getenv("DEBUG"))
		for (size_t i = 0; i < r.ngot; i++)
			printf("%d st=%d type=%u seq=%llu ep=%u n=%zu %s\n", r.got[i].dir,
			       r.got[i].st, r.got[i].type, (unsigned long long)r.got[i].seq,
			       r.got[i].epoch, r.got[i].n, r.got[i].detail);
	const struct got *g = find(&r, SS_S2C, 1);
	CHECK(g && g->st == TLSDEC_SHORT && g->say && strstr(g->detail, "has 10 bytes, too few"));
	g = find(&r, SS_S2C, 2);
	CHECK(g && g->st == TLSDEC_OVERFLOW && g->say && strstr(g->detail, "16641 bytes"));
	CHECK(got_is(find(&r, SS_S2C, 0), TLSDEC_OK, 22, 0, 0, sflight_plain));
	CHECK(got_is(find(&r, SS_S2C, 3), TLSDEC_OK, 22, 1, 0, s3_nst));
	CHECK(got_is(find(&r, SS_S2C, 4), TLSDEC_OK, 23, 1, 1, app_payload));
	CHECK(got_is(find(&r, SS_C2S, 1), TLSDEC_OK, 23, 1, 0, app_payload));
	finish(&r);

	/* the server's flight cut 10 bytes before its end by the end of the flow */
	start(&r, k);
	struct bytes c = hx(CH_HDR);
	add_hex(&c, s3_ch);
	feed(&r, SS_C2S, &c);
	c = hx(SH_HDR);
	add_hex(&c, s3_sh);
	add_hex(&c, r_sflight);
	c.n -= 10;
	feed(&r, SS_S2C, &c);
	c = hx(r_cfin);
	feed(&r, SS_C2S, &c);
	c = hx(r_capp);
	feed(&r, SS_C2S, &c);
	struct ss_pos pos = {99, 0, 0, 0, 0, 0};
	tls_end(r.t, &pos);
	CHECK(strstr(r.events, "S tls_truncated the flow ended inside a record (664 of its 679") !=
	      NULL);
	CHECK(find(&r, SS_S2C, 0) == NULL);
	CHECK(got_is(find(&r, SS_C2S, 0), TLSDEC_OK, 22, 0, 0, s3_cfin));
	CHECK(got_is(find(&r, SS_C2S, 1), TLSDEC_OK, 23, 1, 0, app_payload));
	tls_free(r.t);
	tlsdec_free(r.d);
	tls_keys_free(k);
}

/* The ticket's record lost whole in a gap: the server's data record is
 * found at sequence 1 by looking past the loss. */
static void lost_record(void)
{
	struct tls_keys *k = keys_of(keylog_text(0, 0));
	struct run r;
	start(&r, k);
	handshake(&r, r_sflight);
	struct ss_pos gp = {5, 0, 95 + 679, 0, 0, 0};
	tls_gap(r.t, SS_S2C, 227, &gp);
	/* the data and alert records, where the ticket's ended: the parser
	 * finds the boundaries again at two headers in a row */
	struct bytes b = hx(r_sapp);
	add_hex(&b, r_salert);
	struct ss_pos pos = {6, 0, 95 + 679 + 227, 0, 0, 0};
	tls_feed(r.t, SS_S2C, b.p, b.n, &pos);
	CHECK(strstr(r.events, "S tls_resync") != NULL);
	CHECK(got_is(find(&r, SS_S2C, 1), TLSDEC_OK, 23, 1, 1, app_payload));
	CHECK(got_is(find(&r, SS_S2C, 2), TLSDEC_OK, 21, 1, 2, "0100"));
	finish(&r);
	tls_keys_free(k);
}

int main(void)
{
	key_schedule();
	size_t splits[] = {0, 1, 7};
	for (size_t i = 0; i < sizeof splits / sizeof splits[0]; i++) {
		split = splits[i];
		records();
		wrong_key();
		missing_key();
		bad_records();
	}
	split = 0;
	lost_record();
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
