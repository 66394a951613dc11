/* test_tls_rfc8448.c - the TLS parser on RFC 8448's example handshakes
 * (Example Handshake Traces for TLS 1.3): the simple 1-RTT handshake (3),
 * the resumed 0-RTT handshake (4) and the HelloRetryRequest (5). Their
 * ClientHello and ServerHello go through the record layer as the RFC's
 * "complete record"s would; the messages the RFC shows before encryption
 * (EncryptedExtensions, Certificate, CertificateVerify, Finished,
 * NewSessionTicket, EndOfEarlyData) go to the handshake layer as a
 * decryption step will hand them over. Every field is checked against what
 * the RFC's bytes say (RFC 8446 4.1-4.6 tell how to read them), the
 * certificate against `openssl x509` on its DER; and everything again with
 * the bytes fed one at a time.
 *
 * The hex is RFC 8448's, as quoted by Erlang/OTP's tls_1_3_record_SUITE
 * (sections 3 and 4) and by machine-extracted vectors whose octet counts
 * were checked against the RFC's (section 5); each message's own length
 * field agrees with its size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tls.h"

#include "rfc8448.h"
static const char s4_ch[] = /* 512 octets */
    "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113"
    "031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d001700180019010001"
    "01010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4"
    "f18d668f0b002a0000002b0003020304000d0020001e04030503060302030804080508060401050106010201"
    "0402050206020202002d00020101001c00024001001500570000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900"
    "000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a98211"
    "7283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4"
    "dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac"
    "5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb0021203add4fb2"
    "d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d";
static const char s4_sh[] = /* 96 octets */
    "0200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d001301000034"
    "00290002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942c"
    "ea31002b00020304";
static const char s4_ee[] = /* 44 octets */
    "080000280026000a00140012001d00170018001901000101010201030104001c0002400100000000002a0000";
static const char s5_ch1[] = /* 180 octets */
    "010000b00303b0b1c5a5aa37c5919f2ed1d5c6fff7fcb7849716945a2b8cee9258a346677b6f000006130113"
    "031302010000810000000b0009000006736572766572ff01000100000a00080006001d001700180033002600"
    "24001d0020e8e8e3f3b93a25ed97a14a7dcacb8a272c6288e585c6484d05262fcad062ad1f002b0003020304"
    "000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c"
    "00024001";
static const char s5_hrr[] = /* 176 octets */
    "020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c001301000084"
    "003300020017002c0074007271dcd04bb88bc3189119398a00000000eefafc76c146b823b096f8aacad365dd"
    "0030953f4edf625636e5f21bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d6e50781b"
    "5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0caf571fb2b7cff0f934b0002b00020304";
static const char s5_ch2[] = /* 512 octets */
    "010001fc0303b0b1c5a5aa37c5919f2ed1d5c6fff7fcb7849716945a2b8cee9258a346677b6f000006130113"
    "031302010001cd0000000b0009000006736572766572ff01000100000a00080006001d001700180033004700"
    "450017004104a6da7392ec591e17abfd535964b99894d13befb221b3def2ebe3830eac8f0151812677c4d6d2"
    "237e85cf01d6910cfb83954e76ba7352830534159897e8065780002b0003020304000d0020001e0403050306"
    "03020308040805080604010501060102010402050206020202002c0074007271dcd04bb88bc3189119398a00"
    "000000eefafc76c146b823b096f8aacad365dd0030953f4edf625636e5f21bb2e23fcc654b1b5b40318d10d1"
    "37abcbb87574e36e8a1f025f7dfa5d6e50781b5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267"
    "e8ca0caf571fb2b7cff0f934b0002d00020101001c00024001001500af000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000";
static const char s5_sh[] = /* 123 octets */
    "020000770303bb341d847fd789c47c387172dc0c9bf147fccacb5043d86ca4c598d3ff571b9800130100004f"
    "003300450017004104583e054b7a66672ae020ad9d2686fcc85b5ad41a134a0f03ee72b893052bd85b4c8de6"
    "776f5b04ac07d83540eab3e3d9c547bc6528c4317d294686093a6cad7d002b00020304";
static const char s5_flight[] = /* 645 octets */
    "080000180016000a0008000600170018001d001c00024001000000000b0001b9000001b50001b0308201ac30"
    "820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e"
    "170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372"
    "736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b"
    "36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced4312"
    "0998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae"
    "8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304"
    "023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b90"
    "8c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a"
    "03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b"
    "1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de100000f0000840804008033ab13"
    "d4462707231b5dcae6c8190b63d1dabc74f28c395370da0b07e5b83066d0246a31acd95df475bfd799a4a70d"
    "33ad93d3a317a9b2c0d237a5685b219e774112e391a247607d1aeff1bbd0a39f382ee1a5fe88ae99ec59228e"
    "6497e45d48ce275a6d5ef40d169fb6f9d33b052ed3dcdd6b5a48baafffbcb290128415bd38140000208863e6"
    "bfb0420a927fa27f34336a70ae426e968e3eb884945b96856dba3976d1";
static const char s5_record[] = /* 667 octets */
    "170303029699bee20baf5b7fc727bfab6223928a381e6d0cf9c4da653f9d2a7b23f7de11cce842d5cf756317"
    "63450ffb8b0cc1d238e658af7a12adc86243114ab14a1da2fae42621ce483fb6242eabfaad52566b02b31d2e"
    "ddedefeb80e66a9900d5f973b40c4fdf74719ecf1b68d7f9c3b6ceb903ca13dd1bb8f8187ae33417e1d15252"
    "2c5822a1a03ad52c838c55953d610222874cce8e1790b229a2aa0b53c8d377ee720182951dc6181dc5d90bd1"
    "f0105ed1e84aa5f75957c6661897079e5ea5007449e3197bdc7c9beeedddeafdd844afa5c315ecfe65e576af"
    "e909812880620ec7048b42d7f5c78d76f299d6d82534bdd8f512febc0ed3814aca470cd8000d3e1cb9962b05"
    "2fbb950df683a52c2ba77ed3713b122937a6e5170964e2ab7969dcd980b3db9b458da7603124d6dc005e4d6e"
    "04b4d0c4baf3275db827dbba0a6db09672171fc057b3851d7e026841e2978fbd2346bbefdd0376bb1108fe9a"
    "cc92189f5650aa5e85d8e8c7b67ac510dba003d3d7e16350bb66d45013efd44c9b607c0d318c4c7d1a1f5cbc"
    "57e20611804e3787d7b4a4b5f08ed8fd70bdaeade02260b12ab842ef690b4a3ee7911e841b374ecd5ebbbc2a"
    "54d047b600336dd7d0c88b4bc10e58ee6cb656de7247fa20d8e91deb84628608cf80615b62e96c1491c7ac37"
    "55eb6901405d3474fe1ac79d106a0cee56c2577fc88480f96cb6b8c681b7b68b53c146093908f350888175bd"
    "fb0b1e31ad61e30ba0adfe6d223aa03c0783b5001a57587c328a9afcfcfb978d1cd4328f7d9d60530e630bef"
    "d96c0c816ee20b0100768ae2a6df51fc68f172740a79af11398ee3be1252491fa9c693479e877f94ab7c5f8c"
    "ad480203e6ab7b87dd71e8a0729113df17f5eee86ce108d1d72007ec1cd13c85a6c149621e77b7d78d805a30"
    "f0be030c315e54";

/* --- helpers ------------------------------------------------------------- */

struct bytes {
	uint8_t *p;
	size_t n;
};

static struct bytes unhex(const char *h)
{
	size_t n = 0;
	while (h[n])
		n++;
	struct bytes b = {malloc(n / 2 + 1), n / 2};
	for (size_t i = 0; i < b.n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		b.p[i] = (uint8_t)v;
	}
	return b;
}

static int hexeq(const uint8_t *p, size_t n, const char *h)
{
	struct bytes b = unhex(h);
	int ok = b.n == n && !memcmp(b.p, p, n);
	free(b.p);
	return ok;
}

static int streq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(p, s, n);
}

static int list_is(const struct tls_list *l, const uint16_t *v, size_t n)
{
	if (l->n != n || l->total != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (l->v[i] != v[i])
			return 0;
	return 1;
}

#define LIST(l, ...)                                                                               \
	list_is((l), (const uint16_t[]){__VA_ARGS__},                                              \
	        sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t))

static size_t split; /* feed in pieces of this many bytes (0: whole) */
static int nevents;
static char last_event[512];

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)ctx, (void)t;
	nevents++;
	snprintf(last_event, sizeof last_event, "%s: %s", e->what, e->detail);
	printf("  event %s %s\n", e->what, e->detail);
}

static int nrecords;
static struct tls_record last_record;
static uint8_t last_frag[20000];

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *r)
{
	(void)ctx, (void)t;
	nrecords++;
	last_record = *r;
	if (r->frag && r->len <= sizeof last_frag) {
		memcpy(last_frag, r->frag, r->len);
		last_record.frag = last_frag;
	}
}

static struct tls_flow *flow(int keep)
{
	struct tls_opts o = {0, keep, NULL, on_event, on_record, NULL, NULL};
	nevents = nrecords = 0;
	return tls_new(&o);
}

static struct ss_pos pos;

static void feed(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = split && n - i > split ? split : n - i;
		tls_feed(t, d, p + i, k, &pos);
		pos.off += k;
		i += k;
	}
}

/* A record of type `type` and version v around the message in hex. */
static void record(struct tls_flow *t, enum ss_dir d, uint8_t type, uint16_t v, const char *h)
{
	struct bytes m = unhex(h);
	uint8_t *r = malloc(m.n + 5);
	r[0] = type, r[1] = (uint8_t)(v >> 8), r[2] = (uint8_t)v;
	r[3] = (uint8_t)(m.n >> 8), r[4] = (uint8_t)m.n;
	memcpy(r + 5, m.p, m.n);
	feed(t, d, r, m.n + 5);
	free(r);
	free(m.p);
}

/* Plaintext handed over as a decryption step would. */
static void plain(struct tls_flow *t, enum ss_dir d, uint8_t type, const char *h)
{
	struct bytes m = unhex(h);
	for (size_t i = 0; i < m.n;) {
		size_t k = split && m.n - i > split ? split : m.n - i;
		tls_hs_feed(t, d, type, m.p + i, k, &pos);
		i += k;
	}
	free(m.p);
}

static void describe_is(const struct tls_flow *t, const char *want)
{
	char got[1024];
	tls_describe(t, got, sizeof got);
	if (!CHECK(!strcmp(got, want)))
		printf("  describe: %s\n  wanted:   %s\n", got, want);
}

/* The certificate of sections 3 and 5, as `openssl x509 -inform DER
 * -noout -fingerprint -sha256 -subject -issuer -nameopt RFC2253 -dates`
 * reads it: CN=rsa by CN=rsa, Jul 30 01:23:59 2016 to Jul 30 01:23:59 2026
 * GMT, no SAN. */
static void rsa_cert(const struct tls_chain *c)
{
	CHECK(c->n == 1 && c->total == 1 && c->seen == 1);
	if (c->n < 1)
		return;
	const struct tls_cert *x = &c->certs[0];
	CHECK(x->ok);
	CHECK(x->der_len == 432);
	CHECK(hexeq(x->sha256, 32,
	            "a7ef15cef43e4b67bdb158fcc13cceef9041c8a6cef762046e825543a92bdc83"));
	CHECK(!strcmp(x->subject, "CN=rsa"));
	CHECK(!strcmp(x->issuer, "CN=rsa"));
	CHECK(x->not_before == 1469841839); /* 2016-07-30 01:23:59 UTC */
	CHECK(x->not_after == 1785374639);  /* 2026-07-30 01:23:59 UTC */
	CHECK(x->nsans == 0 && !x->sans[0]);
	char a[32];
	CHECK(!strcmp(tls_time_str(x->not_after, a), "2026-07-30 01:23:59"));
}

/* --- RFC 8448 3: simple 1-RTT handshake --------------------------------- */

static void simple(void)
{
	struct tls_flow *t = flow(0);
	/* {client} send handshake record: complete record 16 03 01 00 c4 ... */
	record(t, SS_C2S, 22, 0x0301, s3_ch);
	const struct tls_client_hello *ch = &t->ch;
	CHECK(ch->seen == 1 && !ch->sslv2);
	CHECK(ch->version == 0x0303);
	CHECK(hexeq(ch->random, 32,
	            "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"));
	CHECK(ch->sid_len == 0);
	CHECK(LIST(&ch->suites, 0x1301, 0x1303, 0x1302));
	CHECK(ch->ncomp == 1 && ch->comp[0] == 0);
	/* server_name, renegotiation_info, supported_groups, session_ticket,
	 * key_share, supported_versions, signature_algorithms,
	 * psk_key_exchange_modes, record_size_limit */
	CHECK(LIST(&ch->exts, 0, 0xff01, 10, 35, 51, 43, 13, 45, 28));
	CHECK(streq(ch->sni, ch->sni_len, "server") && !ch->sni_cut);
	CHECK(LIST(&ch->groups, 0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103,
	           0x0104));
	CHECK(LIST(&ch->key_shares, 0x001d)); /* {client} create an ephemeral x25519 key pair */
	CHECK(LIST(&ch->versions, 0x0304));
	CHECK(LIST(&ch->sigalgs, 0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401,
	           0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202));
	CHECK(ch->npsk_modes == 1 && ch->psk_modes[0] == 1); /* psk_dhe_ke */
	CHECK(ch->ticket_ext && ch->ticket_len == 0);
	CHECK(ch->reneg_info && !ch->ems && !ch->etm && !ch->psk && !ch->early_data);
	CHECK(ch->nalpn == 0 && ch->alpn_total == 0);
	CHECK(t->side[SS_C2S].records == 1 && t->side[SS_C2S].hs_msgs == 1);
	CHECK(nrecords == 1 && last_record.type == 22 && last_record.version == 0x0301 &&
	      last_record.len == 196 && !last_record.encrypted);

	/* {server} send handshake record: complete record 16 03 03 00 5a ... */
	record(t, SS_S2C, 22, 0x0303, s3_sh);
	const struct tls_server_hello *sh = &t->sh;
	CHECK(sh->seen == 1 && !t->hrr.seen);
	CHECK(sh->version == 0x0303 && sh->selected == 0x0304);
	CHECK(hexeq(sh->random, 32,
	            "a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928"));
	CHECK(sh->sid_len == 0 && sh->suite == 0x1301 && sh->comp == 0);
	CHECK(LIST(&sh->exts, 51, 43));
	CHECK(sh->has_key_share && sh->key_share == 0x001d);
	CHECK(!sh->psk && !sh->downgrade);
	CHECK(t->version == 0x0304 && t->suite == 0x1301 && t->group == 0x001d);
	CHECK(!strcmp(tls_suite_name(t->suite), "TLS_AES_128_GCM_SHA256"));
	CHECK(!strcmp(tls_group_name(t->group), "x25519"));
	CHECK(t->resumed == TLS_RESUME_NO);
	/* from here on both sides are under handshake keys */
	CHECK(t->side[SS_S2C].encrypted && t->side[SS_C2S].encrypted);

	/* What the server encrypts, in the clear: EncryptedExtensions,
	 * Certificate, CertificateVerify, Finished - one piece. */
	char flight[4096];
	snprintf(flight, sizeof flight, "%s%s%s%s", s3_ee, s3_cert, s3_cv, s3_sfin);
	plain(t, SS_S2C, 22, flight);
	const struct tls_side *s = &t->side[SS_S2C];
	CHECK(s->ntypes == 5 && s->types[0] == 2 && s->types[1] == 8 && s->types[2] == 11 &&
	      s->types[3] == 15 && s->types[4] == 20);
	CHECK(sh->sni_ack); /* EncryptedExtensions: server_name, empty */
	CHECK(!t->has_alpn && !t->early_data);
	rsa_cert(&s->chain);
	CHECK(s->cv_scheme == 0x0804); /* rsa_pss_rsae_sha256 */
	CHECK(!strcmp(tls_sigscheme_name(s->cv_scheme), "rsa_pss_rsae_sha256"));
	CHECK(s->finished);
	plain(t, SS_C2S, 22, s3_cfin);
	CHECK(t->side[SS_C2S].finished);
	/* 4: {server} construct a NewSessionTicket: lifetime 30 s, early_data
	 * max 1024 bytes */
	plain(t, SS_S2C, 22, s3_nst);
	CHECK(t->tickets == 1 && t->ticket_lifetime == 30);
	describe_is(t, "TLS 1.3 TLS_AES_128_GCM_SHA256 x25519 sni=server cert=\"CN=rsa\"");
	CHECK(nevents == 0);
	tls_end(t, &pos);
	CHECK(nevents == 0);
	tls_free(t);
}

/* --- RFC 8448 4: resumed 0-RTT handshake -------------------------------- */

static void resumed(void)
{
	struct tls_flow *t = flow(0);
	record(t, SS_C2S, 22, 0x0301, s4_ch);
	const struct tls_client_hello *ch = &t->ch;
	CHECK(hexeq(ch->random, 32,
	            "1bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95"));
	/* ..., early_data, ..., padding, pre_shared_key (last, RFC 8446 4.2.11) */
	CHECK(LIST(&ch->exts, 0, 0xff01, 10, 51, 42, 43, 13, 45, 28, 21, 41));
	CHECK(ch->psk && ch->psk_ids == 1 && ch->early_data);
	CHECK(LIST(&ch->key_shares, 0x001d));
	CHECK(!ch->ticket_ext);
	/* the 0-RTT application data, before any ServerHello: encrypted */
	static const uint8_t early[] = {0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4};
	feed(t, SS_C2S, early, sizeof early);
	CHECK(t->side[SS_C2S].enc_records == 1 && t->side[SS_C2S].appdata_records == 1);
	CHECK(t->side[SS_C2S].hs_msgs == 1);
	record(t, SS_S2C, 22, 0x0303, s4_sh);
	const struct tls_server_hello *sh = &t->sh;
	CHECK(hexeq(sh->random, 32,
	            "3ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d"));
	CHECK(LIST(&sh->exts, 41, 51, 43));
	CHECK(sh->psk && sh->psk_id == 0);
	CHECK(t->resumed == TLS_RESUME_PSK && t->version == 0x0304 && t->group == 0x001d);
	plain(t, SS_S2C, 22, s4_ee);
	CHECK(t->early_data && sh->sni_ack); /* EncryptedExtensions: early_data, server_name */
	plain(t, SS_C2S, 22, "05000000");    /* EndOfEarlyData */
	CHECK(t->side[SS_C2S].ntypes == 2 && t->side[SS_C2S].types[1] == 5);
	describe_is(t, "TLS 1.3 TLS_AES_128_GCM_SHA256 x25519 sni=server resumed=psk");
	CHECK(nevents == 0);
	tls_free(t);
}

/* --- RFC 8448 5: HelloRetryRequest -------------------------------------- */

static void retry(void)
{
	struct tls_flow *t = flow(1);
	record(t, SS_C2S, 22, 0x0301, s5_ch1);
	CHECK(LIST(&t->ch.key_shares, 0x001d));
	CHECK(LIST(&t->ch.groups, 0x001d, 0x0017, 0x0018));
	uint8_t random1[32];
	memcpy(random1, t->ch.random, 32);
	record(t, SS_S2C, 22, 0x0303, s5_hrr);
	/* a ServerHello whose random is SHA-256("HelloRetryRequest") */
	CHECK(t->hrr.seen == 1 && t->sh.seen == 0);
	CHECK(t->hrr.version == 0x0303 && t->hrr.selected == 0x0304 && t->hrr.suite == 0x1301);
	CHECK(t->hrr.group == 0x0017 && t->hrr.cookie); /* asks for a P-256 share */
	CHECK(LIST(&t->hrr.exts, 51, 44, 43));
	CHECK(t->version == 0 && !t->side[SS_S2C].encrypted && !t->side[SS_C2S].encrypted);
	/* a client may send its compatibility CCS before the second
	 * ClientHello (RFC 8446 D.4): it must not hide that ClientHello */
	static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
	feed(t, SS_C2S, ccs, sizeof ccs);
	CHECK(!t->side[SS_C2S].encrypted && t->side[SS_C2S].ccs == 1);
	record(t, SS_C2S, 22, 0x0303, s5_ch2);
	CHECK(t->ch.seen == 2 && t->ch.cookie);
	CHECK(LIST(&t->ch.key_shares, 0x0017));
	CHECK(!memcmp(random1, t->ch.random, 32)); /* the same random (RFC 8446 4.1.2) */
	record(t, SS_S2C, 22, 0x0303, s5_sh);
	CHECK(t->sh.seen == 1 && t->version == 0x0304 && t->group == 0x0017);
	CHECK(!strcmp(tls_group_name(t->group), "secp256r1"));
	CHECK(t->side[SS_S2C].encrypted && t->side[SS_C2S].encrypted);
	/* {server} send handshake record: the complete record, encrypted */
	struct bytes r = unhex(s5_record);
	int before = nrecords;
	feed(t, SS_S2C, r.p, r.n);
	CHECK(nrecords == before + 1);
	CHECK(last_record.encrypted && last_record.type == 23 && last_record.len == 662);
	CHECK(last_record.version == 0x0303 && last_record.enc_seq == 0 && !last_record.damaged);
	CHECK(last_record.hdr && !memcmp(last_record.hdr, r.p, 5));
	CHECK(last_record.frag && !memcmp(last_record.frag, r.p + 5, 662));
	CHECK(t->side[SS_S2C].enc_records == 1 && t->side[SS_S2C].enc_bytes == 662);
	CHECK(t->side[SS_S2C].hs_msgs == 2); /* the HelloRetryRequest and the ServerHello */
	free(r.p);
	/* its payload, as a decryption step recovers it: four messages */
	plain(t, SS_S2C, 22, s5_flight);
	CHECK(t->side[SS_S2C].hs_msgs == 6);
	rsa_cert(&t->side[SS_S2C].chain);
	CHECK(t->side[SS_S2C].cv_scheme == 0x0804 && t->side[SS_S2C].finished);
	describe_is(t, "TLS 1.3 TLS_AES_128_GCM_SHA256 secp256r1 hrr sni=server cert=\"CN=rsa\"");
	CHECK(nevents == 0);
	tls_free(t);
}

int main(void)
{
	static const size_t splits[] = {0, 1, 2, 3, 5, 7, 64, 100000};
	for (size_t i = 0; i < sizeof splits / sizeof splits[0]; i++) {
		split = splits[i];
		printf("pieces of %zu bytes\n", split);
		simple();
		resumed();
		retry();
	}
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
