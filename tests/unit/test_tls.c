/* test_tls.c - the TLS parser's record and handshake layers on what the wire
 * can do to them: real sessions (the .chunks files of tests/tls/: the segments of the
 * lab's Postfix STARTTLS hops and of OpenSSL s_client/s_server sessions)
 * fed whole, a byte at a time and cut at random, which must not change what
 * is learned; the facts of those sessions (resumption by session ID and by
 * ticket, EMS, encrypt-then-MAC, ALPN, alerts, client certificates, a
 * HelloRetryRequest); an SSLv2-compatible ClientHello (RFC 5246 E.2);
 * records over the limit; bytes that are not TLS; gaps inside a record and
 * across boundaries; a handshake message over the cap and one spread over
 * many records; alerts in pieces; what ChangeCipherSpec changes; hellos
 * cut short and with a bad extension; and the names, against tshark's and
 * OpenSSL's tables (tests/tls/tshark-*.txt, openssl-ciphers.txt).
 *
 * Usage: test_tls TESTS_TLS_DIR
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tls.h"

static const char *dir;

/* --- helpers ------------------------------------------------------------- */

struct bytes {
	uint8_t *p;
	size_t n;
};

static struct bytes unhex(const char *h, size_t len)
{
	struct bytes b = {malloc(len / 2 + 1), 0};
	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned v;
		if (sscanf(h + i, "%2x", &v) != 1)
			break;
		b.p[b.n++] = (uint8_t)v;
	}
	return b;
}

static struct bytes hexs(const char *h)
{
	return unhex(h, strlen(h));
}

/* A conversation: chunks in order, each with its direction. */
struct chunk {
	enum ss_dir d;
	struct bytes b;
};
struct conv {
	struct chunk *c;
	size_t n;
};

static struct conv load(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "r");
	struct conv v = {NULL, 0};
	if (!fp) {
		perror(path);
		return v;
	}
	static char line[1 << 20];
	while (fgets(line, sizeof line, fp)) {
		size_t len = strlen(line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len < 3)
			continue;
		v.c = realloc(v.c, (v.n + 1) * sizeof *v.c);
		v.c[v.n].d = line[0] == 'C' ? SS_C2S : SS_S2C;
		v.c[v.n].b = unhex(line + 2, len - 2);
		v.n++;
	}
	fclose(fp);
	return v;
}

static void conv_free(struct conv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->c[i].b.p);
	free(v->c);
}

static int nevents;
static char events[4096]; /* the whats, space-separated */

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)ctx, (void)t;
	nevents++;
	size_t l = strlen(events);
	snprintf(events + l, sizeof events - l, "%s%s", l ? " " : "", e->what);
	if (getenv("TLS_VERBOSE"))
		printf("  event %c %s %s\n", e->dir == SS_C2S ? 'C' : 'S', e->what, e->detail);
}

static int said(const char *what)
{
	return strstr(events, what) != NULL;
}

static int nrecords, nenc;
static struct tls_record rec[64];
static uint8_t frag[4][20000];

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *r)
{
	(void)ctx, (void)t;
	if (nrecords < 64) {
		rec[nrecords] = *r;
		if (r->frag && nrecords < 4 && r->len <= sizeof frag[0]) {
			memcpy(frag[nrecords], r->frag, r->len);
			rec[nrecords].frag = frag[nrecords];
		}
	}
	nrecords++;
	nenc += r->encrypted;
}

static struct tls_flow *flow_opts(size_t hs_max, int keep, struct memacct *acct)
{
	struct tls_opts o = {hs_max, keep, acct, on_event, on_record, NULL, NULL};
	nevents = nrecords = nenc = 0;
	events[0] = 0;
	return tls_new(&o);
}

static struct tls_flow *flow(void)
{
	return flow_opts(0, 0, NULL);
}

static struct ss_pos at[2];

static void feed(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n)
{
	tls_feed(t, d, p, n, &at[d]);
	at[d].off += n;
	at[d].frame++;
}

static void feed_hex(struct tls_flow *t, enum ss_dir d, const char *h)
{
	struct bytes b = hexs(h);
	feed(t, d, b.p, b.n);
	free(b.p);
}

static void gap(struct tls_flow *t, enum ss_dir d, uint64_t n)
{
	tls_gap(t, d, n, &at[d]);
	at[d].off += n;
}

static uint64_t lcg = 12345;
static unsigned rnd(unsigned n)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((lcg >> 33) % n);
}

/* Plays a conversation: each chunk whole (mode 0), a byte at a time
 * (mode 1), or cut at random (mode 2). */
static struct tls_flow *play(const struct conv *v, int mode, int keep)
{
	struct tls_flow *t = flow_opts(0, keep, NULL);
	memset(at, 0, sizeof at);
	for (size_t i = 0; i < v->n; i++) {
		const struct chunk *c = &v->c[i];
		for (size_t j = 0; j < c->b.n;) {
			size_t k = mode == 0 ? c->b.n - j : mode == 1 ? 1 : 1 + rnd(40);
			if (k > c->b.n - j)
				k = c->b.n - j;
			feed(t, c->d, c->b.p + j, k);
			j += k;
		}
	}
	tls_end(t, &at[0]);
	return t;
}

/* What a flow learned, as one text: equal texts, equal learning. */
static void fingerprint(const struct tls_flow *t, char *out, size_t len)
{
	char d[1024];
	tls_describe(t, d, sizeof d);
	size_t w = (size_t)snprintf(out, len, "%s|", d);
	for (int i = 0; i < 2 && w < len; i++) {
		const struct tls_side *s = &t->side[i];
		w += (size_t)snprintf(
		    out + w, len - w,
		    "%llu/%llu/%llu/%llu/%llu/%u/%u/%u/%d/%u:", (unsigned long long)s->bytes,
		    (unsigned long long)s->records, (unsigned long long)s->enc_records,
		    (unsigned long long)s->enc_bytes, (unsigned long long)s->hs_msgs, s->alerts,
		    s->ccs, s->chain.n, s->finished, s->ntypes);
		for (size_t k = 0; k < s->ntypes && w < len; k++)
			w += (size_t)snprintf(out + w, len - w, "%u,", s->types[k]);
	}
	if (w < len)
		snprintf(out + w, len - w, "|%u/%u/%u/%u/%u|%d", t->ch.suites.total,
		         t->ch.exts.total, t->sh.suite, t->hrr.seen, t->tickets, nevents);
}

/* --- the sessions ---------------------------------------------------------- */

/* Every chunk file: the same facts however the bytes are cut. */
static void segmentation(void)
{
	static const char *names[] = {
	    "scenario4-4-41614.chunks",     "scenario4-4-52852.chunks",
	    "tls12-alert-58916.chunks",     "tls12-alert-58920.chunks",
	    "tls12-cbc-etm-58608.chunks",   "tls12-clientcert-56398.chunks",
	    "tls12-gcm-ems-47180.chunks",   "tls12-resume-54736.chunks",
	    "tls12-resume-54752.chunks",    "tls12-resume-54756.chunks",
	    "tls12-resume-54758.chunks",    "tls13-hrr-resume-38360.chunks",
	    "tls13-hrr-resume-38364.chunks"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct conv v = load(names[i]);
		CHECK(v.n > 0);
		char want[4096], got[4096];
		struct tls_flow *t = play(&v, 0, 0);
		fingerprint(t, want, sizeof want);
		int records = nrecords;
		tls_free(t);
		for (int mode = 1; mode <= 2; mode++)
			for (int keep = 0; keep <= 1; keep++) {
				t = play(&v, mode, keep);
				fingerprint(t, got, sizeof got);
				if (!CHECK(!strcmp(got, want)))
					printf("  %s mode %d keep %d:\n  %s\n  %s\n", names[i],
					       mode, keep, got, want);
				CHECK(nrecords == records);
				tls_free(t);
			}
		conv_free(&v);
	}
}

static struct tls_flow *session(const char *name)
{
	struct conv v = load(name);
	struct tls_flow *t = play(&v, 2, 1);
	conv_free(&v);
	return t;
}

static void describe_is(const struct tls_flow *t, const char *want)
{
	char got[2048];
	tls_describe(t, got, sizeof got);
	if (!CHECK(!strcmp(got, want)))
		printf("  describe: %s\n  wanted:   %s\n", got, want);
}

#define SRV "CN=mx.example.test,OU=mail\\, relays,O=smtpsniff test,C=DE"

/* The facts of each session, as tests/tls/mkpcaps.sh made them (the
 * options it gave s_client and s_server); tshark agrees on the fields
 * (tests/tls/compare.py), this is about what they mean. */
static void sessions(void)
{
	/* Postfix relay to MX, TLS 1.3 (pcaps/starttls/scenario4-4.pcap): the
	 * ClientHello's random is what tshark shows (scenario4-4.tshark.txt) */
	struct tls_flow *t = session("scenario4-4-41614.chunks");
	struct bytes r = hexs("a4979729ac5516f8dcea73723f9591d986db4b20ed249d63d26326afe0193c6d");
	CHECK(!memcmp(t->ch.random, r.p, 32));
	free(r.p);
	CHECK(t->ch.suites.total == 87 && t->ch.suites.n == 87);
	CHECK(t->version == 0x0304 && t->suite == 0x1302 && t->group == 0x001d);
	CHECK(t->side[SS_S2C].enc_records == 9 && t->side[SS_C2S].enc_records == 5);
	CHECK(t->side[SS_S2C].ccs == 1 && t->side[SS_C2S].ccs == 1);
	CHECK(nevents == 0);
	describe_is(t, "TLS 1.3 TLS_AES_256_GCM_SHA384 x25519");
	tls_free(t);

	/* -cipher ECDHE-RSA-AES128-GCM-SHA256 -alpn smtp; EMS by default */
	t = session("tls12-gcm-ems-47180.chunks");
	CHECK(t->ch.nalpn == 1 && t->ch.alpn[0].len == 4 && !memcmp(t->ch.alpn[0].b, "smtp", 4));
	CHECK(t->ems && !t->etm && t->resumed == TLS_RESUME_NO);
	CHECK(t->side[SS_S2C].chain.n == 2 && t->side[SS_S2C].chain.total == 2);
	const struct tls_cert *c = &t->side[SS_S2C].chain.certs[0];
	CHECK(!strcmp(c->sans, "DNS:mx.example.test, DNS:smtp.example.test, IP:127.0.0.1, IP:::1"));
	CHECK(c->nsans == 4);
	CHECK(!strcmp(t->side[SS_S2C].chain.certs[1].subject,
	              "CN=smtpsniff test CA,O=smtpsniff test,C=DE"));
	CHECK(t->ske_scheme != 0 && t->side[SS_C2S].finished == 0); /* its Finished is encrypted */
	CHECK(t->side[SS_C2S].encrypted && t->side[SS_S2C].encrypted);
	CHECK(t->side[SS_S2C].enc_alerts == 1 &&
	      t->side[SS_C2S].enc_alerts == 1); /* close_notify */
	describe_is(t, "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 x25519 sni=mx.example.test "
	               "alpn=smtp ems=yes cert=\"" SRV "\"");
	tls_free(t);

	/* a CBC suite: encrypt-then-MAC (RFC 7366) */
	t = session("tls12-cbc-etm-58608.chunks");
	CHECK(t->ch.etm && t->sh.etm && t->etm && t->suite == 0xc027);
	describe_is(t, "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 x25519 sni=mx.example.test "
	               "ems=yes etm cert=\"" SRV "\"");
	tls_free(t);

	/* resumption: by session ID (-no_ticket -sess_in), then by ticket */
	t = session("tls12-resume-54736.chunks");
	CHECK(t->resumed == TLS_RESUME_NO && t->ch.sid_len == 0 && t->sh.sid_len == 32);
	tls_free(t);
	t = session("tls12-resume-54752.chunks");
	CHECK(t->resumed == TLS_RESUME_SESSION_ID && t->ch.sid_len == 32);
	CHECK(!memcmp(t->ch.sid, t->sh.sid, 32));
	CHECK(t->side[SS_S2C].chain.seen == 0); /* the abbreviated handshake sends none */
	tls_free(t);
	t = session("tls12-resume-54756.chunks");
	CHECK(t->resumed == TLS_RESUME_NO && t->tickets == 1 && t->ticket_lifetime == 7200);
	tls_free(t);
	t = session("tls12-resume-54758.chunks");
	CHECK(t->resumed == TLS_RESUME_TICKET && t->ch.ticket_ext && t->ch.ticket_len > 0);
	describe_is(t, "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 sni=mx.example.test "
	               "resumed=ticket ems=yes");
	tls_free(t);

	/* alerts in the clear: the client does not know the CA; the server
	 * takes none of the suites offered */
	t = session("tls12-alert-58916.chunks");
	CHECK(t->side[SS_C2S].alerts == 1 && t->side[SS_C2S].alert_level == 2 &&
	      t->side[SS_C2S].alert_desc == 48);
	CHECK(said("tls_alert") && nevents == 1);
	tls_free(t);
	t = session("tls12-alert-58920.chunks");
	CHECK(t->side[SS_S2C].alerts == 1 && t->side[SS_S2C].alert_desc == 40);
	CHECK(!strcmp(tls_alert_name(t->side[SS_S2C].alert_desc), "handshake_failure"));
	CHECK(!t->sh.seen && t->version == 0);
	describe_is(t, "ClientHello only sni=mx.example.test server_alert=fatal:handshake_failure");
	tls_free(t);

	/* the client's certificate (an ECDSA P-256 key) and its CertificateVerify */
	t = session("tls12-clientcert-56398.chunks");
	CHECK(t->side[SS_C2S].chain.n == 1);
	CHECK(!strcmp(t->side[SS_C2S].chain.certs[0].subject, "CN=client.example.test"));
	CHECK(!strcmp(t->side[SS_C2S].chain.certs[0].sans, "DNS:client.example.test"));
	CHECK(t->side[SS_C2S].cv_scheme == 0x0403); /* ecdsa_secp256r1_sha256 */
	CHECK(t->cr_sigalgs.n > 0);
	tls_free(t);

	/* TLS 1.3: a HelloRetryRequest for x25519 (the first share was P-256),
	 * then a resumption with the ticket */
	t = session("tls13-hrr-resume-38360.chunks");
	CHECK(t->hrr.seen == 1 && t->hrr.group == 0x001d && t->ch.seen == 2);
	CHECK(t->ch.key_shares.n == 1 && t->ch.key_shares.v[0] == 0x001d);
	CHECK(t->version == 0x0304 && t->group == 0x001d && t->resumed == TLS_RESUME_NO);
	CHECK(nevents == 0);
	tls_free(t);
	t = session("tls13-hrr-resume-38364.chunks");
	CHECK(t->ch.psk && t->sh.psk && t->resumed == TLS_RESUME_PSK);
	tls_free(t);
}

/* --- the record layer ---------------------------------------------------- */

/* RFC 5246 E.2: an SSL 2.0 CLIENT-HELLO with version 3.1 (TLS 1.0): cipher
 * specs of three bytes (five TLS suites, one SSL 2.0 kind), no session ID,
 * a 16-byte challenge. */
static const char sslv2_hello[] = "802b" /* 2-byte header: 43 bytes */
                                  "01"   /* CLIENT-HELLO */
                                  "0301" /* version */
                                  "0012" /* cipher_spec_length 18 */
                                  "0000" /* session_id_length */
                                  "0010" /* challenge_length */
                                  "000039"
                                  "000038"
                                  "000035"
                                  "00000a"
                                  "0000ff"
                                  "0700c0"
                                  "00112233445566778899aabbccddeeff";

static void sslv2(void)
{
	struct bytes b = hexs(sslv2_hello);
	CHECK(tls_probe(b.p, b.n) == 1 && tls_probe(b.p, 3) == 0);
	for (int pieces = 0; pieces < 2; pieces++) {
		struct tls_flow *t = flow();
		memset(at, 0, sizeof at);
		if (pieces)
			for (size_t i = 0; i < b.n; i++)
				feed(t, SS_C2S, b.p + i, 1);
		else
			feed(t, SS_C2S, b.p, b.n);
		CHECK(t->ch.seen == 1 && t->ch.sslv2 && t->ch.version == 0x0301);
		CHECK(t->ch.suites.n == 5 && t->ch.suites.v[0] == 0x0039 &&
		      t->ch.suites.v[3] == 0x000a);
		CHECK(t->ch.reneg_info); /* 0x00ff, the SCSV */
		/* the challenge is the random's last 16 bytes, zeros before */
		static const uint8_t want[32] = {[16] = 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
		                                 0x66,        0x77, 0x88, 0x99, 0xaa, 0xbb,
		                                 0xcc,        0xdd, 0xee, 0xff};
		CHECK(!memcmp(t->ch.random, want, 32));
		CHECK(said("tls_sslv2") && nevents == 1 && t->side[SS_C2S].sslv2);
		/* the server answers in TLS; the client goes on in TLS */
		feed_hex(t, SS_S2C,
		         "160301002a020000260301"
		         "0000000000000000000000000000000000000000000000000000000000000000"
		         "00003500");
		CHECK(t->sh.seen && t->version == 0x0301 && t->suite == 0x0035);
		feed_hex(t, SS_C2S, "15030100020100");
		CHECK(t->side[SS_C2S].alerts == 1 && t->side[SS_C2S].alert_desc == 0);
		tls_free(t);
	}
	free(b.p);
	/* an SSL 2.0 server: said, then only counted */
	struct tls_flow *t = flow();
	feed_hex(t, SS_S2C, "800a04000100020000000000");
	feed_hex(t, SS_S2C, "16030300040e000000");
	CHECK(said("tls_sslv2") && t->side[SS_S2C].dead && t->side[SS_S2C].records == 1);
	CHECK(t->side[SS_S2C].bytes == 21 && t->side[SS_S2C].hs_msgs == 0);
	tls_free(t);
}

static void overflow(void)
{
	/* a record of 65535 bytes: over 2^14 + 2048; skipped by its length */
	struct tls_flow *t = flow();
	memset(at, 0, sizeof at);
	feed_hex(t, SS_S2C, "160303000a020000060303000000ff"); /* cut: a ServerHello of 10 */
	uint8_t *big = calloc(1, 65535 + 5);
	big[0] = 0x17, big[1] = 3, big[2] = 3, big[3] = 0xff, big[4] = 0xff;
	feed(t, SS_S2C, big, 65540);
	CHECK(said("tls_record_overflow"));
	feed_hex(t, SS_S2C, "15030300020228");
	CHECK(t->side[SS_S2C].records == 3 && t->side[SS_S2C].alert_desc == 40);
	tls_free(t);
	/* in the clear, 2^14 + 1: said, still read */
	t = flow();
	size_t n = 16385 + 5;
	memset(big, 0, n);
	big[0] = 0x16, big[1] = 3, big[2] = 3, big[3] = 0x40, big[4] = 0x01;
	big[5] = 0x0b, big[6] = 0, big[7] = 0x3f, big[8] = 0xfd; /* a Certificate of 16381 */
	feed(t, SS_S2C, big, n);
	CHECK(said("tls_record_overflow") && t->side[SS_S2C].hs_msgs == 1);
	CHECK(said("tls_malformed")); /* its list is all zeros: an empty cert */
	tls_free(t);
	/* exactly 2^14 + 2048, encrypted: fine */
	t = flow();
	n = 18432 + 5;
	memset(big, 0, n);
	big[0] = 0x17, big[1] = 3, big[2] = 3, big[3] = 0x48, big[4] = 0x00;
	feed(t, SS_C2S, big, n);
	CHECK(nevents == 0 && t->side[SS_C2S].enc_records == 1);
	tls_free(t);
	free(big);
}

static void not_tls(void)
{
	struct tls_flow *t = flow();
	feed_hex(t, SS_S2C, "34353420342e372e30205453"); /* "454 4.7.0 TS" */
	feed_hex(t, SS_S2C, "160303");
	CHECK(said("tls_not_tls") && t->side[SS_S2C].dead && t->side[SS_S2C].records == 0);
	CHECK(t->side[SS_S2C].bytes == 15);
	CHECK(tls_probe((const uint8_t *)"EHLO x", 6) == -1);
	CHECK(tls_probe((const uint8_t *)"\x16\x03\x01\x00\xc4\x01", 6) == 1);
	CHECK(tls_probe((const uint8_t *)"\x16\x03\x01\x00\xc4\x02", 6) == -1);
	CHECK(tls_probe((const uint8_t *)"\x16\x03", 2) == 0);
	tls_free(t);
}

/* A record: header around p[0..n) (n <= 16383 here). */
static size_t mkrec(uint8_t *out, uint8_t type, const uint8_t *p, size_t n)
{
	out[0] = type, out[1] = 3, out[2] = 3, out[3] = (uint8_t)(n >> 8), out[4] = (uint8_t)n;
	if (p)
		memcpy(out + 5, p, n);
	else
		for (size_t i = 0; i < n; i++)
			out[5 + i] = (uint8_t)rnd(256);
	return n + 5;
}

static void gaps(void)
{
	/* 1. inside an encrypted record: the next one is where it should be */
	struct tls_flow *t = flow();
	memset(at, 0, sizeof at);
	uint8_t r[3000];
	size_t n = mkrec(r, 23, NULL, 1000);
	feed(t, SS_C2S, r, 300);
	gap(t, SS_C2S, 400);
	feed(t, SS_C2S, r + 700, n - 700);
	n = mkrec(r, 23, NULL, 50);
	feed(t, SS_C2S, r, n);
	CHECK(t->side[SS_C2S].records == 2 && said("tls_gap") && !said("tls_resync"));
	CHECK(nrecords == 2 && rec[0].damaged && !rec[1].damaged && rec[1].len == 50);
	tls_free(t);

	/* 2. across a boundary: found again at two headers in a row */
	t = flow();
	memset(at, 0, sizeof at);
	n = mkrec(r, 23, NULL, 100);
	feed(t, SS_C2S, r, n);
	gap(t, SS_C2S, 700); /* the rest of some record and into the next */
	uint8_t buf[4000];
	size_t m = 0;
	for (int i = 0; i < 33; i++) /* the tail of a record: random bytes */
		buf[m++] = (uint8_t)rnd(256);
	size_t first = m;
	m += mkrec(buf + m, 23, NULL, 200);
	m += mkrec(buf + m, 23, NULL, 300);
	m += mkrec(buf + m, 21, NULL, 20);
	for (size_t i = 0; i < m; i += 17)
		feed(t, SS_C2S, buf + i, m - i < 17 ? m - i : 17);
	CHECK(said("tls_gap") && said("tls_resync"));
	CHECK(t->side[SS_C2S].records == 4 && nrecords == 4);
	CHECK(rec[1].len == 200 && rec[1].off == 100 + 5 + 700 + first);
	CHECK(rec[2].len == 300 && rec[3].type == 21 && rec[3].len == 20);
	tls_free(t);

	/* 3. inside a handshake record: that message is lost; the next record
	 * that starts a message is read */
	t = flow();
	memset(at, 0, sizeof at);
	uint8_t hs[200] = {0x0b, 0, 0, 150}; /* a Certificate of 150 bytes, lost */
	n = mkrec(r, 22, hs, 154);
	feed(t, SS_S2C, r, 50);
	gap(t, SS_S2C, 60);
	feed(t, SS_S2C, r + 110, n - 110);
	feed_hex(t, SS_S2C, "16030300040e000000"); /* ServerHelloDone */
	CHECK(t->side[SS_S2C].hs_msgs == 1 && t->side[SS_S2C].types[0] == 14);
	CHECK(!said("tls_malformed"));
	tls_free(t);
}

static void handshake_sizes(void)
{
	/* the RFC 8448 certificate, 400 times: a Certificate message of about
	 * 175 KB over 11 records, read whole (the default cap is 256K) */
	static const char cert[] =
	    "308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a0603550403"
	    "1303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c30"
	    "0a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb"
	    "498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137a"
	    "ce6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda4308"
	    "46748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f"
	    "0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f7"
	    "0d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417"
	    "f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608cca"
	    "e6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0c"
	    "c8f8961229ac9187b42b4de1";
	struct bytes der = hexs(cert);
	size_t each = 3 + der.n, count = 400, list = count * each;
	size_t mlen = 3 + list;
	uint8_t *msg = malloc(4 + mlen + 9);
	size_t m = 0;
	msg[m++] = 11, msg[m++] = (uint8_t)(mlen >> 16), msg[m++] = (uint8_t)(mlen >> 8);
	msg[m++] = (uint8_t)mlen;
	msg[m++] = (uint8_t)(list >> 16), msg[m++] = (uint8_t)(list >> 8), msg[m++] = (uint8_t)list;
	for (size_t i = 0; i < count; i++) {
		msg[m++] = 0, msg[m++] = (uint8_t)(der.n >> 8), msg[m++] = (uint8_t)der.n;
		memcpy(msg + m, der.p, der.n);
		m += der.n;
	}
	memcpy(msg + m, "\x0e\x00\x00\x00", 4); /* ServerHelloDone in the last record */
	m += 4;
	for (int capped = 0; capped < 2; capped++) {
		struct tls_flow *t = flow_opts(capped ? 100000 : 0, 0, NULL);
		memset(at, 0, sizeof at);
		/* TLS 1.2 is known: a ServerHello */
		feed_hex(t, SS_S2C,
		         "160303002a020000260303"
		         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		         "00c02f00");
		uint8_t r[16384 + 5];
		for (size_t i = 0; i < m; i += 16384) {
			size_t k = m - i < 16384 ? m - i : 16384;
			size_t n = mkrec(r, 22, msg + i, k);
			feed(t, SS_S2C, r, n);
		}
		const struct tls_side *s = &t->side[SS_S2C];
		CHECK(s->hs_msgs == 3 && s->types[2] == 14);
		if (!capped) {
			CHECK(s->chain.total == 400 && s->chain.n == TLS_CERTS_MAX);
			CHECK(!strcmp(s->chain.certs[7].subject, "CN=rsa"));
			CHECK(nevents == 0);
		} else {
			CHECK(said("tls_handshake_too_long") && s->chain.seen == 0);
		}
		tls_free(t);
	}
	free(msg);
	free(der.p);
}

static void alerts_and_ccs(void)
{
	/* an alert cut between records; two in one record */
	struct tls_flow *t = flow();
	memset(at, 0, sizeof at);
	feed_hex(t, SS_C2S, "150303000102");
	feed_hex(t, SS_C2S, "15030300012f");
	CHECK(t->side[SS_C2S].alerts == 1 && t->side[SS_C2S].alert_desc == 47);
	feed_hex(t, SS_C2S, "1503030004015a0100");
	CHECK(t->side[SS_C2S].alerts == 3 && t->side[SS_C2S].alert_level == 1 &&
	      t->side[SS_C2S].alert_desc == 0);
	tls_free(t);

	/* TLS 1.2: after a side's ChangeCipherSpec its handshake records are
	 * encrypted (its Finished) and not read; the other side's are */
	t = flow();
	memset(at, 0, sizeof at);
	feed_hex(t, SS_S2C,
	         "160303002a020000260303"
	         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	         "00c02f00");
	feed_hex(t, SS_C2S, "16030300081000000403000102"); /* ClientKeyExchange */
	feed_hex(t, SS_C2S, "140303000101");
	CHECK(t->side[SS_C2S].encrypted && !t->side[SS_S2C].encrypted);
	feed_hex(t, SS_C2S,
	         "16030300281400000c0102030405060708090a0b0c0d0e0f101112131415161718191a"
	         "1b1c1d1e1f2021222324252627");
	CHECK(t->side[SS_C2S].hs_msgs == 1 && t->side[SS_C2S].enc_records == 1);
	CHECK(!t->side[SS_C2S].finished && nevents == 0);
	feed_hex(t, SS_S2C, "16030300040e000000");
	CHECK(t->side[SS_S2C].hs_msgs == 2);
	tls_free(t);

	/* TLS 1.3: the compatibility CCS changes nothing */
	t = flow();
	feed_hex(t, SS_C2S, "140303000101");
	feed_hex(t, SS_C2S, "140303000101");
	CHECK(t->side[SS_C2S].ccs == 2 && t->side[SS_C2S].encrypted);
	tls_free(t);
}

/* keep_ciphertext: each encrypted record whole, header with it, numbered */
static void ciphertext(void)
{
	struct tls_flow *t = flow_opts(0, 1, NULL);
	memset(at, 0, sizeof at);
	uint8_t r[3][600];
	size_t n[3];
	for (int i = 0; i < 3; i++)
		n[i] = mkrec(r[i], 23, NULL, 100 + 200 * (size_t)i);
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < n[i]; j += 9)
			feed(t, SS_S2C, r[i] + j, n[i] - j < 9 ? n[i] - j : 9);
	CHECK(nrecords == 3);
	for (int i = 0; i < 3 && i < nrecords; i++) {
		CHECK(rec[i].encrypted && rec[i].enc_seq == (uint64_t)i);
		CHECK(rec[i].frag && !memcmp(rec[i].frag, r[i] + 5, n[i] - 5));
		CHECK(rec[i].len == n[i] - 5);
	}
	CHECK(rec[1].off == n[0] && rec[2].off == n[0] + n[1]);
	tls_free(t);
	/* without it, nothing is held */
	t = flow();
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < n[i]; j += 9)
			feed(t, SS_S2C, r[i] + j, n[i] - j < 9 ? n[i] - j : 9);
	CHECK(nrecords == 3 && !rec[0].frag && !rec[1].frag && !rec[2].frag);
	CHECK(t->rl[SS_S2C].body.size == 0);
	tls_free(t);
}

/* Hellos that do not parse: every cut of a real ClientHello, and one bad
 * extension among good ones. */
static void malformed(void)
{
	struct conv v = load("tls12-gcm-ems-47180.chunks");
	const struct bytes *ch = &v.c[0].b; /* one record, one ClientHello */
	CHECK(v.n && ch->n > 9 && ch->p[5] == 1);
	size_t mlen = ch->n - 9;
	for (size_t cut = 0; cut < mlen; cut++) {
		uint8_t buf[1024];
		buf[0] = 1, buf[1] = 0, buf[2] = (uint8_t)(cut >> 8), buf[3] = (uint8_t)cut;
		memcpy(buf + 4, ch->p + 9, cut);
		struct tls_flow *t = flow();
		tls_hs_feed(t, SS_C2S, 22, buf, cut + 4, &at[0]);
		/* a hello may end after its compression methods (no extensions) */
		if (!CHECK(said("tls_malformed") || cut == 2 + 32 + 1 + 2 + 4 + 2))
			printf("  cut %zu: %s\n", cut, events);
		tls_free(t);
	}
	/* a server_name whose inner length is wrong; supported_versions after it */
	struct tls_flow *t = flow();
	feed_hex(t, SS_C2S,
	         "1603010041"
	         "0100003d"
	         "0303"
	         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	         "00"
	         "00021301"
	         "0100"
	         "0012"
	         "00000007"
	         "00090000026162"
	         "002b0003020304");
	CHECK(said("tls_malformed") && t->ch.seen);
	CHECK(t->ch.exts.n == 2 && t->ch.versions.n == 1 && t->ch.versions.v[0] == 0x0304);
	tls_free(t);
	/* a handshake message from the wrong side */
	t = flow();
	feed_hex(t, SS_C2S, "16030300040e000000");
	CHECK(said("tls_unexpected"));
	tls_free(t);
	conv_free(&v);
}

/* Random bytes, random cuts, random gaps, random plaintext for the
 * handshake layer: nothing may crash (the sanitizers watch) or hold more
 * than its caps. */
static void hostile(void)
{
	struct memacct acct = {0};
	acct.cap = 1 << 20;
	for (int round = 0; round < 300; round++) {
		struct tls_flow *t = flow_opts(round % 3 ? 0 : 64, round & 1, &acct);
		memset(at, 0, sizeof at);
		uint8_t b[3000];
		for (int step = 0; step < 60; step++) {
			enum ss_dir d = rnd(2) ? SS_C2S : SS_S2C;
			size_t n = 1 + rnd(sizeof b);
			/* mostly plausible headers, to get past the first checks */
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)rnd(256);
			if (rnd(2))
				mkrec(b, (uint8_t)(20 + rnd(5)), b + 5,
				      n > 5 ? rnd((unsigned)(n - 4)) : 0);
			switch (rnd(8)) {
			case 0:
				gap(t, d, 1 + rnd(5000));
				break;
			case 1:
				tls_hs_feed(t, d, (uint8_t)(20 + rnd(5)), b, n, &at[d]);
				break;
			default:
				feed(t, d, b, n);
			}
			CHECK(t->rl[d].body.len <= TLS_RECORD_MAX);
			CHECK(t->rl[d].scan.len <= 2 * (TLS_RECORD_MAX + 5));
		}
		tls_end(t, &at[0]);
		tls_free(t);
	}
	CHECK(memacct_held(&acct) == 0); /* every byte counted was given back */
}

/* --- names --------------------------------------------------------------- */

/* "Client Hello" -> "client_hello" */
static void norm(const char *in, char *out, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; in[i] && j + 1 < len; i++)
		out[j++] = in[i] == ' ' ? '_' : (char)tolower((unsigned char)in[i]);
	out[j] = 0;
}

static void names(void)
{
	char path[4096], line[1024];
	/* every suite tshark names, named the same */
	snprintf(path, sizeof path, "%s/tshark-suites.txt", dir);
	FILE *fp = fopen(path, "r");
	int n = 0, same = 0;
	while (fp && fgets(line, sizeof line, fp)) {
		char field[64], name[256];
		unsigned id;
		if (sscanf(line, "V\t%63s\t%u\t%255[^\n]", field, &id, name) != 3)
			continue;
		n++;
		const char *mine = tls_suite_name((uint16_t)id);
		if (mine && (!strcmp(mine, name) ||
		             (!strcmp(name, "Reserved (GREASE)") && tls_grease((uint16_t)id))))
			same++;
		else if (!strstr(name, "GREASE"))
			printf("  suite 0x%04x: tshark %s, here %s\n", id, name, mine ? mine : "-");
	}
	if (fp)
		fclose(fp);
	CHECK(n > 400 && same == n);
	/* every suite OpenSSL 3.0 has (and TLS 1.3's): its IANA name, and the
	 * key exchange its Kx= says */
	snprintf(path, sizeof path, "%s/openssl-ciphers.txt", dir);
	fp = fopen(path, "r");
	n = same = 0;
	int kx_same = 0;
	while (fp && fgets(line, sizeof line, fp)) {
		unsigned a, b;
		char std[128], ossl[128], ver[32], kx[64];
		if (sscanf(line, " 0x%x,0x%x - %127s - %127s %31s Kx=%63s", &a, &b, std, ossl, ver,
		           kx) != 6)
			continue;
		n++;
		uint16_t id = (uint16_t)(a << 8 | b);
		const char *mine = tls_suite_name(id);
		if (mine && !strcmp(mine, std))
			same++;
		else
			printf("  suite 0x%04x: OpenSSL %s, here %s\n", id, std, mine ? mine : "-");
		enum tls_kx want = !strcmp(kx, "ECDH")       ? TLS_KX_ECDHE
		                   : !strcmp(kx, "DH")       ? TLS_KX_DHE
		                   : !strcmp(kx, "ECDHEPSK") ? TLS_KX_ECDHE_PSK
		                   : !strcmp(kx, "DHEPSK")   ? TLS_KX_DHE_PSK
		                                             : TLS_KX_OTHER;
		if (tls_suite_kx(id) == want)
			kx_same++;
		else
			printf("  suite 0x%04x %s: Kx=%s, here %d\n", id, std, kx,
			       tls_suite_kx(id));
	}
	if (fp)
		fclose(fp);
	CHECK(n >= 150 && same == n && kx_same == n);
	CHECK(!strcmp(tls_suite_name(0x1301), "TLS_AES_128_GCM_SHA256"));
	CHECK(!strcmp(tls_suite_name(0x1305), "TLS_AES_128_CCM_8_SHA256"));

	/* alerts, handshake types, extensions, signature schemes, versions,
	 * groups: as tshark names them, but for the known differences */
	static const char *const differ[] = {
	    "tls.alert_message.desc 1",        /* tshark: end_of_early_data, of the drafts */
	    "tls.handshake.type 21",           /* tshark: Client Certificate URL */
	    "tls.handshake.type 67",           /* tshark: NPN's Encrypted Extensions */
	    "tls.handshake.extension.type 34", /* tshark: delegated_credentials */
	    "tls.handshake.extension.type 40", /* Reserved (key_share of drafts) */
	    "tls.handshake.extension.type 46", /* Reserved */
	    "tls.handshake.extension.type 53", /* tshark: connection_id (deprecated) */
	    "tls.handshake.extension.type 13172",
	    "tls.handshake.extension.type 30031",
	    "tls.handshake.extension.type 30032",
	    "tls.handshake.extension.type 65445",
	    "tls.handshake.extension.type 65486",
	    "tls.record.version 257",
	    "tls.record.version 256",
	    "tls.record.version 64279",
	    "tls.record.version 64282",
	};
	snprintf(path, sizeof path, "%s/tshark-names.txt", dir);
	fp = fopen(path, "r");
	n = same = 0;
	int sslv2_types = 9; /* the first nine handshake types are SSL 2.0's */
	while (fp && fgets(line, sizeof line, fp)) {
		char field[64], num[32], name[256], key[128], want[256];
		if (sscanf(line, "V\t%63s\t%31s\t%255[^\n]", field, num, name) != 3)
			continue;
		unsigned id = (unsigned)strtoul(num, NULL, 0);
		if (!strcmp(field, "tls.handshake.type") && sslv2_types-- > 0)
			continue;
		const char *mine = NULL;
		norm(name, want, sizeof want);
		if (!strcmp(field, "tls.alert_message.desc")) {
			mine = tls_alert_name((uint8_t)id);
		} else if (!strcmp(field, "tls.handshake.type")) {
			mine = tls_hs_name((uint8_t)id);
		} else if (!strcmp(field, "tls.handshake.extension.type")) {
			mine = tls_ext_name((uint16_t)id);
		} else if (!strcmp(field, "tls.handshake.sig_hash_alg")) {
			if (id >= 0xfe00) /* the OQS experiments */
				continue;
			mine = tls_sigscheme_name((uint16_t)id);
		} else if (!strcmp(field, "tls.record.version")) {
			mine = tls_version_name((uint16_t)id);
			if ((id & 0xff00) == 0x7f00)
				snprintf(want, sizeof want, "tls_1.3_draft");
			norm(name, want, sizeof want);
			if ((id & 0xff00) == 0x7f00)
				snprintf(want, sizeof want, "tls_1.3_draft");
		} else if (!strcmp(field, "tls.handshake.extensions_supported_group")) {
			if (id >= 0x0200 && id < 0xff00) /* tshark 4.0 has OQS names there */
				continue;
			mine = tls_group_name((uint16_t)id);
		}
		if (strstr(name, "GREASE"))
			snprintf(want, sizeof want, "grease");
		snprintf(key, sizeof key, "%s %u", field, id);
		int skip = 0;
		for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++)
			skip |= !strcmp(key, differ[i]);
		if (skip)
			continue;
		n++;
		char m[256];
		norm(mine ? mine : "-", m, sizeof m);
		if (!strcmp(m, want))
			same++;
		else
			printf("  %s: tshark %s, here %s\n", key, name, mine ? mine : "-");
	}
	if (fp)
		fclose(fp);
	printf("names: %d of tshark's agree\n", same);
	CHECK(n > 180 && same == n);
	/* RFC 8446 6's alerts, 4.2.7's groups */
	CHECK(!strcmp(tls_alert_name(116), "certificate_required"));
	CHECK(!strcmp(tls_alert_name(120), "no_application_protocol"));
	CHECK(!strcmp(tls_group_name(0x0104), "ffdhe8192"));
	CHECK(!strcmp(tls_group_name(0x11ec), "X25519MLKEM768"));
	CHECK(!strcmp(tls_version_name(0x0304), "TLS 1.3") && !tls_version_name(0x0305));
	CHECK(tls_grease(0x3a3a) && !tls_grease(0x3a3b) && !tls_grease(0x1a2a));
	char a[32];
	CHECK(!strcmp(tls_time_str(0, a), "1970-01-01 00:00:00"));
	CHECK(!strcmp(tls_time_str(253402300799LL, a), "9999-12-31 23:59:59"));
	CHECK(!strcmp(tls_time_str(253402300800LL, a), "?"));
	CHECK(!strcmp(tls_time_str(INT64_MIN, a), "?"));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tls TESTS_TLS_DIR\n");
		return 2;
	}
	dir = argv[1];
	names();
	segmentation();
	sessions();
	sslv2();
	overflow();
	not_tls();
	gaps();
	handshake_sizes();
	alerts_and_ccs();
	ciphertext();
	malformed();
	hostile();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
