/* test_tls_proto.c - the TLS parser inside the dissectors (tlsproto.h):
 * implicit TLS chosen by its first bytes and by port, the notes it leaves
 * (tls_handshake when the handshake has said all it will without keys,
 * tls_end with what was carried) and the events it says, for real sessions
 * (the .chunks files of tests/tls/) sent as TCP segments through the reassembly engine.
 *
 * Usage: test_tls_proto TESTS_TLS_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "synth.h"
#include "tlsproto.h"

static const char *dir;
static char notes[8192], evs[4096];
static const char *app;

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_NOTE)
		return;
	size_t l = strlen(notes);
	snprintf(notes + l, sizeof notes - l, "%s %s: %.*s\n", r->u.note.proto, r->u.note.what,
	         (int)r->u.note.detail.len, (const char *)r->u.note.detail.p);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t l = strlen(evs);
	snprintf(evs + l, sizeof evs - l, "%s %s\n", e->layer, e->what);
}

static void t_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)st, (void)at;
	app = f->app ? f->app : "-";
}

/* Plays tests/tls/NAME as a TCP session to port sport. */
static void play(const char *name, uint16_t sport)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (!fp)
		return;
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	struct ss_reasm *r = reasm_new(&caps);
	reasm_add_proto(r, tls_proto(&o));
	struct ss_tap tap = {NULL, NULL, NULL, NULL, t_close, NULL};
	reasm_add_tap(r, &tap);
	synth_reset();
	notes[0] = evs[0] = 0;
	uint32_t seq[2] = {101, 901};
	int ms = 0;
	synth_tcp(r, 1, 40000, sport, ms++, 0x02, 100, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40000, sport, ms++, 0x12, 900, 101, NULL, 0, 0);
	synth_tcp(r, 1, 40000, sport, ms++, 0x10, 101, 901, NULL, 0, 0);
	static char line[1 << 20];
	static uint8_t b[1 << 19];
	while (fgets(line, sizeof line, fp)) {
		int c = line[0] == 'C';
		size_t n = 0;
		for (const char *h = line + 2; h[0] && h[1] && h[0] != '\n'; h += 2) {
			unsigned v;
			sscanf(h, "%2x", &v);
			b[n++] = (uint8_t)v;
		}
		for (size_t i = 0; i < n; i += 1400) { /* as an MSS would cut them */
			size_t k = n - i < 1400 ? n - i : 1400;
			synth_tcp(r, c, 40000, sport, ms++, 0x18, seq[!c], seq[c], b + i, k, 0);
			seq[!c] += (uint32_t)k;
		}
	}
	fclose(fp);
	synth_tcp(r, 1, 40000, sport, ms++, 0x11, seq[0], seq[1], NULL, 0, 0);
	synth_tcp(r, 0, 40000, sport, ms++, 0x11, seq[1], seq[0] + 1, NULL, 0, 0);
	synth_tcp(r, 1, 40000, sport, ms++, 0x10, seq[0] + 1, seq[1] + 1, NULL, 0, 0);
	reasm_finish(r);
	reasm_free(r);
}

static int has(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		return 1;
	printf("  not found: %s\n  in:\n%s\n", needle, hay);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tls_proto TESTS_TLS_DIR\n");
		return 2;
	}
	dir = argv[1];
	record_sink_add(on_record, NULL);
	ss_event_sink(on_event, NULL);

	/* SMTPS: a full TLS 1.2 handshake, noted at the ServerHelloDone */
	play("tls12-gcm-ems-47180.chunks", 465);
	CHECK(!strcmp(app, "tls"));
	CHECK(has(notes, "smtp tls_handshake: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 x25519 "
	                 "sni=mx.example.test alpn=smtp ems=yes cert=\"CN=mx.example.test,"));
	CHECK(has(notes, "smtp tls_end: 5 TLS records (295 bytes) to the server, 8 (2509) back\n"));
	CHECK(evs[0] == 0);

	/* IMAPS: a resumed session, noted at the server's ChangeCipherSpec */
	play("tls12-resume-54752.chunks", 993);
	CHECK(has(notes, "imap tls_handshake: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
	                 "sni=mx.example.test resumed=session_id ems=yes\n"));

	/* POP3S: TLS 1.3, noted at the ServerHello */
	play("tls13-hrr-resume-38360.chunks", 995);
	CHECK(has(notes, "pop3 tls_handshake: TLS 1.3 TLS_AES_256_GCM_SHA384 x25519 hrr "
	                 "sni=mx.example.test\n"));

	/* a handshake that failed: the line goes with tls_end; the alert is an
	 * event of the flow */
	play("tls12-alert-58920.chunks", 465);
	CHECK(has(notes, "smtp tls_end: 1 TLS record (") &&
	      has(notes, "back: ClientHello only sni=mx.example.test "
	                 "server_alert=fatal:handshake_failure\n"));
	CHECK(!strstr(notes, "tls_handshake"));
	CHECK(has(evs, "smtp tls_alert\n"));

	/* TLS found on another port: chosen by its first bytes; its notes are
	 * of protocol "tls" */
	play("tls12-alert-58920.chunks", 4433);
	CHECK(!strcmp(app, "tls") && has(notes, "tls tls_end: 1 TLS record ("));
	CHECK(has(evs, "tls tls_alert\n"));

	/* SMTP's own text is not TLS */
	char *line = "220 mx ESMTP\r\n";
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	const struct ss_proto *p = tls_proto(&o);
	struct ss_flow f;
	memset(&f, 0, sizeof f);
	f.proto = 6;
	CHECK(p->probe(&f, SS_S2C, (const uint8_t *)line, strlen(line)) == SS_PROBE_NO);
	CHECK(p->probe(&f, SS_C2S, (const uint8_t *)"EHLO x\r\n", 8) == SS_PROBE_NO);
	CHECK(p->probe(&f, SS_C2S, (const uint8_t *)"\x16\x03", 2) == SS_PROBE_MORE);
	const struct ss_proto *named = tls_proto_named();
	CHECK(!strcmp(named->name, "tls") && !named->open && named->probe == p->probe);
	f.ep[SS_S2C].port = 995;
	CHECK(named->port_hint(&f) && p->port_hint(&f));
	f.ep[SS_S2C].port = 25;
	CHECK(!named->port_hint(&f));
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
