/* test_zseam.c - the stream transforms between reassembly and the line
 * engines (dissect/pingpong.h), stacked: an IMAP session that says
 * STARTTLS, then inside TLS says COMPRESS DEFLATE (RFC 4978 4 allows
 * COMPRESS after STARTTLS), decrypted with its key log, whose inflated
 * commands and responses must come out as the client and server wrote
 * them - the server's OK and its first compressed bytes in one TLS record.
 *
 * The TLS is real: OpenSSL's client and server in this process, talking
 * through memory BIOs (TLS 1.3, and TLS 1.2 with AES-GCM), the client's key
 * log taken by SSL_CTX_set_keylog_callback (the NSS format, as
 * SSLKEYLOGFILE writes it); the DEFLATE is zlib's deflate with a sync flush
 * at each turn, as RFC 4978 says. The wire bytes are played through the
 * reassembly engine whole, one byte a segment, and in 7-byte segments; each
 * play must give the session the client and server wrote. Without the key
 * log nothing inside is read; with the TLS stage alone (no COMPRESS) it
 * still is, as before.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include "check.h"
#include "event.h"
#include "keylog.h"
#include "memacct.h"
#include "pingpong.h"
#include "protos.h"
#include "reasm.h"
#include "reclog.h"
#include "record.h"
#include "synth.h"

#define IMAP 143
#define MAXTURNS 256

/* --- the wire, turn by turn ------------------------------------------------ */

struct turn {
	int client;
	uint8_t *p;
	size_t n;
};
static struct turn turns[MAXTURNS];
static size_t nturns;

static void add_turn(int client, const void *p, size_t n)
{
	if (!n)
		return;
	CHECK(nturns < MAXTURNS);
	if (nturns && turns[nturns - 1].client == client) { /* one segment run */
		struct turn *t = &turns[nturns - 1];
		t->p = realloc(t->p, t->n + n);
		memcpy(t->p + t->n, p, n);
		t->n += n;
		return;
	}
	turns[nturns].client = client;
	turns[nturns].p = malloc(n);
	memcpy(turns[nturns].p, p, n);
	turns[nturns].n = n;
	nturns++;
}

static void clear_turns(void)
{
	for (size_t i = 0; i < nturns; i++)
		free(turns[i].p);
	nturns = 0;
}

/* --- TLS in memory --------------------------------------------------------- */

static char keylog[8192];

static void on_keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	size_t n = strlen(keylog);
	snprintf(keylog + n, sizeof keylog - n, "%s\n", line);
}

struct end {
	SSL *ssl;
	BIO *in, *out; /* what it reads, what it wrote */
};
static struct end cli, srv;

/* Lets each side go on (its handshake, or reading what came), then moves
 * what each wrote to the other (a turn of the wire each), until nothing
 * moves. */
static void pump(void)
{
	struct end *e[2] = {&cli, &srv};
	for (int moved = 1; moved;) {
		moved = 0;
		for (int k = 0; k < 2; k++) {
			uint8_t sink[4096];
			if (!SSL_is_init_finished(e[k]->ssl))
				SSL_do_handshake(e[k]->ssl);
			else
				while (SSL_read(e[k]->ssl, sink, sizeof sink) > 0)
					; /* the peer's plaintext: the test wrote it */
		}
		for (int k = 0; k < 2; k++) {
			char *p;
			long n = BIO_get_mem_data(e[k]->out, &p);
			if (n > 0) {
				add_turn(k == 0, p, (size_t)n);
				BIO_write(e[1 - k]->in, p, (int)n);
				(void)BIO_reset(e[k]->out);
				moved = 1;
			}
		}
	}
}

static EVP_PKEY *pkey;
static X509 *cert;

/* A self-signed P-256 certificate for the server. */
static void make_cert(void)
{
	pkey = EVP_EC_gen("P-256");
	CHECK(pkey != NULL);
	cert = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, pkey);
	X509_NAME *nm = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"imap.b.test", -1,
	                           -1, 0);
	X509_set_issuer_name(cert, nm);
	CHECK(X509_sign(cert, pkey, EVP_sha256()) > 0);
}

static void tls_begin(int version)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = SSL_CTX_new(TLS_client_method());
	CHECK(sc && cc);
	SSL_CTX_set_min_proto_version(sc, version);
	SSL_CTX_set_max_proto_version(sc, version);
	if (version == TLS1_2_VERSION)
		SSL_CTX_set_cipher_list(sc, "ECDHE-ECDSA-AES128-GCM-SHA256");
	CHECK(SSL_CTX_use_certificate(sc, cert) == 1 && SSL_CTX_use_PrivateKey(sc, pkey) == 1);
	SSL_CTX_set_keylog_callback(cc, on_keylog);
	struct end *e[2] = {&cli, &srv};
	SSL_CTX *ctx[2] = {cc, sc};
	for (int k = 0; k < 2; k++) {
		e[k]->ssl = SSL_new(ctx[k]);
		e[k]->in = BIO_new(BIO_s_mem());
		e[k]->out = BIO_new(BIO_s_mem());
		BIO_set_mem_eof_return(e[k]->in, -1); /* empty: "try again", not EOF */
		SSL_set_bio(e[k]->ssl, e[k]->in, e[k]->out);
	}
	SSL_set_connect_state(cli.ssl);
	SSL_set_accept_state(srv.ssl);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
	pump();
	CHECK(SSL_is_init_finished(cli.ssl) && SSL_is_init_finished(srv.ssl));
}

static void tls_end(void)
{
	SSL_free(cli.ssl);
	SSL_free(srv.ssl);
}

/* One SSL_write: one record (the texts are short). */
static void tls_say(struct end *e, const void *p, size_t n)
{
	CHECK(SSL_write(e->ssl, p, (int)n) == (int)n);
	pump();
}

/* --- DEFLATE (RFC 4978): one stream a direction, a sync flush a turn ------- */

static z_stream zs[2];
static size_t zin[2], zoutlen[2]; /* plain bytes given, compressed bytes made */

static size_t deflated(int client, const char *text, uint8_t *out, size_t cap)
{
	z_stream *z = &zs[client];
	z->next_in = (const Bytef *)text;
	z->avail_in = (uInt)strlen(text);
	z->next_out = out;
	z->avail_out = (uInt)cap;
	CHECK(deflate(z, Z_SYNC_FLUSH) == Z_OK && z->avail_in == 0 && z->avail_out > 0);
	size_t n = cap - z->avail_out;
	zin[client] += strlen(text);
	zoutlen[client] += n;
	return n;
}

static void say_z(int client, const char *head, const char *text)
{
	uint8_t b[1024];
	size_t h = strlen(head);
	memcpy(b, head, h);
	size_t n = h + deflated(client, text, b + h, sizeof b - h);
	tls_say(client ? &cli : &srv, b, n);
}

static void say(int client, const char *text)
{
	tls_say(client ? &cli : &srv, text, strlen(text));
}

/* --- playing the wire through reassembly and the dissectors ---------------- */

static char log_[1 << 16], events[4096];

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	reclog_add(log_, sizeof log_, r);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(events);
	snprintf(events + n, sizeof events - n, "%s.%s;", e->layer, e->what);
}

static struct ss_caps caps;

static void play(const struct tls_keys *keys, size_t chunk)
{
	log_[0] = events[0] = 0;
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, keys};
	dissect_register(r, &o);
	synth_reset();
	uint32_t cs = 1000, ss = 5000;
	int ms = 0;
	synth_tcp(r, 1, 40000, IMAP, ms++, 0x02, cs - 1, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40000, IMAP, ms++, 0x12, ss - 1, cs, NULL, 0, 0);
	synth_tcp(r, 1, 40000, IMAP, ms++, 0x10, cs, ss, NULL, 0, 0);
	for (size_t i = 0; i < nturns; i++) {
		const struct turn *t = &turns[i];
		uint32_t *seq = t->client ? &cs : &ss, ack = t->client ? ss : cs;
		for (size_t off = 0; off < t->n;) {
			size_t k = chunk && chunk < t->n - off ? chunk : t->n - off;
			synth_tcp(r, t->client, 40000, IMAP, ms, 0x18, *seq + (uint32_t)off, ack,
			          t->p + off, k, 0);
			off += k;
		}
		*seq += (uint32_t)t->n;
		ms++;
	}
	synth_tcp(r, 1, 40000, IMAP, ms++, 0x11, cs, ss, NULL, 0, 0);
	synth_tcp(r, 0, 40000, IMAP, ms++, 0x11, ss, cs + 1, NULL, 0, 0);
	synth_tcp(r, 1, 40000, IMAP, ms++, 0x10, cs + 1, ss + 1, NULL, 0, 0);
	reasm_finish(r);
	reasm_free(r);
	CHECK(memacct_held(&ss_held) == 0); /* zlib's and TLS's state given back */
}

/* The log without the TLS notes, whose words (records, bytes, the
 * handshake's choices) are the TLS parser's tests' to check. */
static void without_tls_notes(const char *in, char *out, size_t cap, int *tls_notes)
{
	*tls_notes = 0;
	size_t k = 0;
	for (const char *p = in; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
		if (!strncmp(p, "NOTE tls_handshake|", 19) || !strncmp(p, "NOTE tls_end|", 13)) {
			++*tls_notes;
		} else if (k + n < cap) {
			memcpy(out + k, p, n);
			k += n;
		}
		p += n;
	}
	out[k] = 0;
}

static int expect(const char *name, const struct tls_keys *keys, const char *want,
                  const char *want_events, int want_tls_notes)
{
	static char got[sizeof log_];
	size_t chunks[] = {0, 1, 7};
	int ok = 1;
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		play(keys, chunks[i]);
		int notes;
		without_tls_notes(log_, got, sizeof got, &notes);
		if (strcmp(got, want) || strcmp(events, want_events) || notes != want_tls_notes) {
			printf(
			    "FAIL %s (segments of %zu):\n--- got\n%s[%s] %d TLS notes\n--- want\n"
			    "%s[%s] %d TLS notes\n",
			    name, chunks[i], got, events, notes, want, want_events, want_tls_notes);
			ok = 0;
			break;
		}
	}
	CHECK(ok);
	return ok;
}

/* --- the sessions ------------------------------------------------------------ */

static const char greeting[] = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n";
static const char starttls_ok[] = "a1 OK Begin TLS negotiation now\r\n";

static void begin(int version)
{
	clear_turns();
	keylog[0] = 0;
	add_turn(0, greeting, strlen(greeting));
	add_turn(1, "a1 STARTTLS\r\n", 13);
	add_turn(0, starttls_ok, strlen(starttls_ok));
	tls_begin(version);
}

/* STARTTLS, then COMPRESS inside TLS. */
static void stacked(int version, const char *name)
{
	begin(version);
	say(1, "a2 CAPABILITY\r\n");
	say(0, "* CAPABILITY IMAP4rev1 COMPRESS=DEFLATE\r\na2 OK done\r\n");
	say(1, "a3 COMPRESS DEFLATE\r\n");
	for (int d = 0; d < 2; d++) {
		memset(&zs[d], 0, sizeof zs[d]);
		zin[d] = zoutlen[d] = 0;
		CHECK(deflateInit2(&zs[d], Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
		                   Z_DEFAULT_STRATEGY) == Z_OK);
	}
	/* the OK and the first compressed response in one TLS record */
	say_z(0, "a3 OK DEFLATE active\r\n", "* 1 EXISTS\r\n");
	say_z(1, "", "a4 LOGIN user1 secret\r\na5 FETCH 1 BODY[]\r\n");
	say_z(0, "", "a4 OK done\r\n* 1 FETCH (BODY[] {7}\r\nhi\r\nyou)\r\na5 OK done\r\n");
	say_z(1, "", "a6 LOGOUT\r\n");
	say_z(0, "", "* BYE logging out\r\na6 OK bye\r\n");
	for (int d = 0; d < 2; d++)
		deflateEnd(&zs[d]);
	tls_end();

	struct tls_keys *k = tls_keys_new(0);
	CHECK(k != NULL);
	tls_keys_add(k, "the client's key log", (const uint8_t *)keylog, strlen(keylog));
	char want[4096];
	snprintf(want, sizeof want,
	         "EX -||1|* OK [CAPABILITY IMAP4rev1 STARTTLS] ready|OK\n"
	         "EX STARTTLS|a1 STARTTLS|1|a1 OK Begin TLS negotiation now|OK\n"
	         "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n"
	         "EX CAPABILITY|a2 CAPABILITY|1|a2 OK done\\x0a* CAPABILITY IMAP4rev1 "
	         "COMPRESS=DEFLATE|OK\n"
	         "EX COMPRESS|a3 COMPRESS DEFLATE|1|a3 OK DEFLATE active|OK\n"
	         "NOTE compress|COMPRESS accepted: the rest of the session is "
	         "DEFLATE-compressed (RFC 4978), read through inflate\n"
	         "EX -||1|* 1 EXISTS\n"
	         "EX LOGIN|a4 LOGIN user1 ****|1|a4 OK done|OK\n"
	         "NOTE login|user1 logged in with LOGIN\n"
	         "MSG FETCH user=user1 mailbox= which=FETCH 1 BODY[] code=-1 "
	         "[hi\\x0d\\x0ayou]\n"
	         "EX FETCH|a5 FETCH 1 BODY[]|1|a5 OK done\\x0a* 1 FETCH (BODY[] {7}[7 "
	         "bytes])|P|OK\n"
	         "EX LOGOUT|a6 LOGOUT|1|a6 OK bye\\x0a* BYE logging out|OK\n"
	         "NOTE compress_end|%zu compressed bytes to the server (%zu inflated), %zu back "
	         "(%zu inflated)\n",
	         zoutlen[1], zin[1], zoutlen[0], zin[0]);
	/* The inflated counts are what the test deflated: 23 + 19 + 11 bytes
	 * to the server (LOGIN, FETCH, LOGOUT), 12 + 57 + 30 back. */
	CHECK(zin[1] == 53 && zin[0] == 99);
	/* tls_handshake and tls_end: the TLS stage's own notes */
	expect(name, k, want, "", 2);
	tls_keys_free(k);

	/* Without the key log: nothing inside TLS is read, COMPRESS unseen. */
	expect("without the key log", NULL,
	       "EX -||1|* OK [CAPABILITY IMAP4rev1 STARTTLS] ready|OK\n"
	       "EX STARTTLS|a1 STARTTLS|1|a1 OK Begin TLS negotiation now|OK\n"
	       "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n",
	       "", 2);
}

/* STARTTLS alone: the TLS stage on its own reads the session as before. */
static void tls_only(void)
{
	begin(TLS1_3_VERSION);
	say(1, "a2 LOGIN user1 secret\r\n");
	say(0, "a2 OK done\r\n");
	say(1, "a3 LOGOUT\r\n");
	say(0, "* BYE\r\na3 OK bye\r\n");
	tls_end();
	struct tls_keys *k = tls_keys_new(0);
	tls_keys_add(k, "the client's key log", (const uint8_t *)keylog, strlen(keylog));
	expect("STARTTLS without COMPRESS", k,
	       "EX -||1|* OK [CAPABILITY IMAP4rev1 STARTTLS] ready|OK\n"
	       "EX STARTTLS|a1 STARTTLS|1|a1 OK Begin TLS negotiation now|OK\n"
	       "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n"
	       "EX LOGIN|a2 LOGIN user1 ****|1|a2 OK done|OK\n"
	       "NOTE login|user1 logged in with LOGIN\n"
	       "EX LOGOUT|a3 LOGOUT|1|a3 OK bye\\x0a* BYE|OK\n",
	       "", 2);
	tls_keys_free(k);
}

/* --- the seam itself, with transforms of the test's own -------------------- */

/* "shift": each byte one more than it means (the wire's bytes of a shift
 * stacked on a shift are two more). Its gap ends its output when asked. */
struct shift {
	struct pp_stage *g;
	int k;
};
static struct pingpong seam;
static char seam_lines[1024], seam_closed[32];
static int seam_push_at_go, seam_gap_ends;

static void shift_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct shift *s = st;
	uint8_t b[256];
	CHECK(n <= sizeof b);
	for (size_t i = 0; i < n && i < sizeof b; i++)
		b[i] = (uint8_t)(p[i] - 1);
	pp_stage_out(s->g, d, b, n < sizeof b ? n : sizeof b, at);
}

static int shift_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	(void)len;
	(void)at;
	struct shift *s = st;
	if (seam_gap_ends)
		pp_stage_end(s->g, d);
	return seam_gap_ends;
}

static void shift_close(void *st, const struct ss_pos *at)
{
	(void)at;
	struct shift *s = st;
	size_t n = strlen(seam_closed);
	snprintf(seam_closed + n, sizeof seam_closed - n, "%d;", s->k);
	free(s);
}

static const struct pp_xform shift_x = {"shift", shift_data, shift_gap, shift_close};

static void *shift_open(struct pingpong *pp, struct pp_stage *g, void *arg)
{
	(void)pp;
	(void)arg;
	struct shift *s = calloc(1, sizeof *s);
	s->g = g;
	s->k = g->k;
	return s;
}

static void seam_item(void *ctx, const struct lp_item *it)
{
	struct pingpong *pp = ctx;
	if (it->kind == LP_ITEM_OPAQUE) {
		pp_opaque(pp, SS_S2C, it);
		return;
	}
	size_t n = strlen(seam_lines);
	snprintf(seam_lines + n, sizeof seam_lines - n, "%.*s@%llu%s|", (int)it->len,
	         (const char *)it->p, (unsigned long long)it->off,
	         it->eol == LP_EOL_NONE ? "!" : "");
	if (seam_push_at_go && it->len == 2 && !memcmp(it->p, "GO", 2)) {
		int room = pp->stages < PP_STAGES;
		struct pp_stage *g =
		    pp_xform_push(pp, &shift_x, shift_open, NULL, seam_item, seam_item, pp);
		CHECK((g != NULL) == room);
	}
}

static void seam_feed(const char *p)
{
	struct ss_pos at = {1, 0, 0, 0, 0, 0};
	if (!pp_stream_data(&seam, SS_S2C, (const uint8_t *)p, strlen(p), &at))
		lineproto_feed(&seam.lp[SS_S2C], (const uint8_t *)p, strlen(p), &at, seam_item,
		               &seam);
}

static void seam_unit(void)
{
	struct ss_flow f;
	memset(&f, 0, sizeof f);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	pp_init(&seam, &f, &o, RP_IMAP, NULL, NULL);
	seam_lines[0] = seam_closed[0] = 0;
	seam_push_at_go = 1;
	/* In the clear, then GO: a shift from the next byte, in the same feed
	 * ("b" is "a" shifted once, "\x0e\x0b" CR LF). */
	seam_feed("a\r\nGO\r\nb");
	seam_feed("\x0e\x0b");
	CHECK(seam.stages == 1);
	/* GO again, inside the shift: a second one, on top; what follows GO
	 * in the same output is shifted twice on the wire. */
	seam_feed("HP\x0e\x0b"
	          "d\x0f\x0c");
	CHECK(seam.stages == 2);
	/* offsets: the line engine's in the clear, then those the top
	 * transform gives (this one passes its input's on) */
	CHECK(!strcmp(seam_lines, "a@0|GO@3|a@7|GO@0|b@4|"));
	/* A third: the stack is full (PP_STAGES). */
	seam_lines[0] = 0;
	seam_feed("IQ\x0f\x0c");
	CHECK(seam.stages == 2 && !strcmp(seam_lines, "GO@0|"));
	/* The bottom transform's gap ends its output: with one above it, only
	 * the stream is told (1), the line engine reads on. */
	seam_gap_ends = 1;
	seam_push_at_go = 0;
	struct ss_pos at = {2, 0, 0, 0, 0, 0};
	CHECK(pp_stream_gap(&seam, SS_S2C, 5, &at) == 1);
	seam_lines[0] = 0;
	seam_feed("e");
	CHECK(!strcmp(seam_lines, ""));
	/* The top one ends its output: its line in progress is handed out as
	 * it is, and nothing more is read. */
	pp_stage_end(&seam.stage[1], SS_S2C);
	CHECK(!strcmp(seam_lines, "c@0!|"));
	seam_feed("f\x0f\x0c");
	CHECK(!strcmp(seam_lines, "c@0!|"));
	/* The top one first at the end. */
	pp_close(&seam, "RFC 9051 2.2", &at);
	CHECK(!strcmp(seam_closed, "1;0;"));
	/* One transform: its gap that ends its output says so (2). */
	pp_init(&seam, &f, &o, RP_IMAP, NULL, NULL);
	seam_push_at_go = 1;
	seam_feed("GO\r\n");
	CHECK(seam.stages == 1);
	CHECK(pp_stream_gap(&seam, SS_S2C, 5, &at) == 2);
	CHECK(seam.lp[SS_S2C].mode == LP_OPAQUE);
	pp_close(&seam, "RFC 9051 2.2", &at);
	seam_gap_ends = 0;
}

int main(void)
{
	ss_caps_defaults(&caps);
	record_sink_add(sink, NULL);
	ss_event_sink(on_event, NULL);
	seam_unit();
	make_cert();
	stacked(TLS1_3_VERSION, "STARTTLS (TLS 1.3), then COMPRESS=DEFLATE");
	stacked(TLS1_2_VERSION, "STARTTLS (TLS 1.2 AES-GCM), then COMPRESS=DEFLATE");
	tls_only();
	clear_turns();
	X509_free(cert);
	EVP_PKEY_free(pkey);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
