/* tlsproto.c - the TLS parser inside the dissectors: events of the flow,
 * storage in --max-held-mem's account, notes on the timeline, and implicit
 * TLS as a protocol (tlsproto.h).
 */
#include "tlsproto.h"

#include <stdio.h>
#include <stdlib.h>

#include "event.h"
#include "imap.h"
#include "pop3.h"
#include "smtp.h"
#include "tlsdec.h"

struct tls_session {
	struct tls_flow *t;
	const struct ss_flow *f;
	enum rec_proto p;
	int noted; /* tls_handshake said */
	const char *layer;
	struct tlsdec *dec;  /* with --keylog: the records opened, else NULL */
	tls_plain_fn *plain; /* who reads the decrypted application data */
	void *plain_ctx;
	uint64_t plain_off[2]; /* its stream offsets, each direction from 0 */
	/* implicit TLS: the protocol of the port, reading the plaintext */
	const struct ss_proto *inner;
	void *inner_st;
};

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)t;
	struct tls_session *s = ctx;
	ss_eventf(s->layer, e->what, e->frame, e->ts, s->f->id, e->dir, "%s", e->detail);
}

static void handshake_note(struct tls_session *s, uint64_t frame, int64_t ts)
{
	if (s->noted)
		return;
	s->noted = 1;
	char line[512];
	int n = tls_describe(s->t, line, sizeof line);
	if (n > 0)
		record_note_tls(s->f, s->p, "tls_handshake", line,
		                (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, ts, frame,
		                s->t);
}

static void on_msg(void *ctx, struct tls_flow *t, const struct tls_msg *m)
{
	struct tls_session *s = ctx;
	if (m->dir != SS_S2C)
		return;
	/* Decrypting TLS 1.3, the certificate and ALPN come after the
	 * ServerHello, encrypted: the line waits for the server's Finished. */
	if ((m->type == TLS_HS_SERVER_HELLO && t->sh.seen && t->version == TLS_V13 && !s->dec) ||
	    (m->type == TLS_HS_FINISHED && t->version == TLS_V13 && s->dec) ||
	    m->type == TLS_HS_SERVER_HELLO_DONE)
		handshake_note(s, m->frame, m->ts);
}

/* With keys: each record opened, its plaintext read as the handshake's, or
 * handed on as the application's (tlsdec.h says what can fail). */
static void decrypt(struct tls_session *s, struct tls_flow *t, const struct tls_record *r)
{
	uint8_t buf[TLSDEC_BUF];
	struct tlsdec_out o;
	enum tlsdec_status st = tlsdec_record(s->dec, t, r, buf, sizeof buf, &o);
	struct ss_pos pos = {r->frame, r->ts, r->off + 5, 0, 0, 0};
	if (st == TLSDEC_OK) {
		tls_hs_feed(t, r->dir, o.type, o.p, o.n, &pos);
		if (o.type == TLS_CT_APPDATA && o.n && s->plain) {
			struct ss_pos at = {r->frame, r->ts, s->plain_off[r->dir], 0, 0, 0};
			s->plain_off[r->dir] += o.n;
			s->plain(s->plain_ctx, r->dir, o.p, o.n, &at);
		}
	} else if (st != TLSDEC_CLEAR) {
		if (o.say)
			ss_eventf(s->layer, tlsdec_status_name(st), r->frame, r->ts, s->f->id,
			          r->dir, "%s", o.detail);
		tls_hs_gap(t, r->dir, &pos);
		/* The encrypted rest of a TLS 1.3 handshake will not be read
		 * (no key, a bad one): the line says what the hellos gave. */
		if (t->version == TLS_V13 && t->sh.seen)
			handshake_note(s, r->frame, r->ts);
	}
}

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *r)
{
	struct tls_session *s = ctx;
	if (s->dec)
		decrypt(s, t, r);
	/* a resumed TLS <= 1.2 session: the server's CCS follows its hello */
	if (r->dir == SS_S2C && r->type == TLS_CT_CCS && t->sh.seen && t->version < TLS_V13)
		handshake_note(s, r->frame, r->ts);
}

struct tls_session *tls_session_new(const struct ss_flow *f, enum rec_proto p,
                                    const struct dissect_opts *o)
{
	(void)o;
	struct tls_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->p = p;
	s->layer = rec_proto_name(p);
	struct tls_opts to = {0, o && o->keys, &ss_held, on_event, on_record, on_msg, s};
	s->t = tls_new(&to);
	if (!s->t) {
		free(s);
		return NULL;
	}
	if (o && o->keys && !(s->dec = tlsdec_new(o->keys, &ss_held)))
		ss_eventf(s->layer, "tls_decrypt_memory", f->first_frame, f->first_ts, f->id, -1,
		          "no memory (or no room in --max-held-mem) to decrypt this session");
	return s;
}

void tls_session_plain(struct tls_session *s, tls_plain_fn *fn, void *ctx)
{
	s->plain = fn;
	s->plain_ctx = ctx;
}

const struct tls_flow *tls_session_flow(const struct tls_session *s)
{
	return s->t;
}

void tls_session_data(struct tls_session *s, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at)
{
	tls_feed(s->t, d, p, n, at);
}

void tls_session_gap(struct tls_session *s, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	tls_gap(s->t, d, len, at);
}

struct tls_session *tls_session_close(struct tls_session *s, const struct ss_pos *at)
{
	if (!s)
		return NULL;
	tls_end(s->t, at);
	{
		const struct tls_side *c = &s->t->side[SS_C2S], *v = &s->t->side[SS_S2C];
		char line[900], d[512] = "", dec[200] = "";
		if (!s->noted)
			tls_describe(s->t, d, sizeof d);
		if (s->dec) {
			dec[0] = ';';
			dec[1] = ' ';
			tlsdec_describe(s->dec, dec + 2, sizeof dec - 2);
		}
		int n =
		    snprintf(line, sizeof line,
		             "%llu TLS record%s (%llu bytes) to the server, %llu (%llu) back%s%s%s",
		             (unsigned long long)c->records, c->records == 1 ? "" : "s",
		             (unsigned long long)c->bytes, (unsigned long long)v->records,
		             (unsigned long long)v->bytes, d[0] ? ": " : "", d, dec);
		if (n > 0)
			record_note_tls(s->f, s->p, "tls_end", line,
			                (size_t)n < sizeof line ? (size_t)n : sizeof line - 1,
			                at->ts, at->frame, s->t);
	}
	tlsdec_free(s->dec);
	tls_free(s->t);
	free(s);
	return NULL;
}

/* --- implicit TLS --------------------------------------------------------- */

static int implicit_port(uint16_t port, enum rec_proto *p)
{
	switch (port) {
	case 465:
		*p = RP_SMTP;
		return 1;
	case 993:
		*p = RP_IMAP;
		return 1;
	case 995:
		*p = RP_POP3;
		return 1;
	}
	return 0;
}

static enum ss_probe probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	if (f->proto != 6 || d != SS_C2S)
		return SS_PROBE_NO; /* in TLS the client speaks first */
	int r = tls_probe(p, n);
	return r > 0 ? SS_PROBE_YES : r == 0 ? SS_PROBE_MORE : SS_PROBE_NO;
}

static int port_hint(const struct ss_flow *f)
{
	enum rec_proto p;
	return f->proto == 6 && implicit_port(f->ep[SS_S2C].port, &p);
}

/* Implicit TLS, decrypted: the port's protocol reads the plaintext as if
 * it had come in the clear (RFC 8314 3.3, RFC 8314 3.2 for 993, 995). */
static void inner_plain(void *ctx, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct tls_session *s = ctx;
	if (s->inner_st && s->inner->data)
		s->inner->data(s->inner_st, d, p, n, at);
}

static void *open_flow(const struct ss_flow *f, void *ctx)
{
	const struct dissect_opts *o = ctx;
	enum rec_proto p = RP_TLS; /* elsewhere: TLS of no protocol read here */
	implicit_port(f->ep[SS_S2C].port, &p);
	struct tls_session *s = tls_session_new(f, p, o);
	if (!s || !s->dec || p == RP_TLS)
		return s;
	s->inner = p == RP_SMTP ? smtp_proto(o) : p == RP_POP3 ? pop3_proto(o) : imap_proto(o);
	s->inner_st = s->inner->open ? s->inner->open(f, s->inner->ctx) : NULL;
	if (s->inner_st)
		tls_session_plain(s, inner_plain, s);
	return s;
}

/* Tells the flow how far back what it still has to say goes
 * (ss_flow_open_since). The TLS layers say everything as it comes: a
 * record, a handshake message and their events are of the segment that
 * completes them, the last line of the flow's end. So a flow that no
 * protocol reads inside holds nothing back but the bytes reassembly holds
 * behind a hole, which come later with their own, older times. Decrypted
 * implicit TLS: once plaintext has come, the protocol inside says what it
 * holds as it reads it (its positions know nothing of the hole, added
 * here); before, it holds nothing. */
static void open_since(struct tls_session *s, const struct ss_pos *at)
{
	if (!s->inner_st || !(s->plain_off[SS_C2S] | s->plain_off[SS_S2C]))
		ss_flow_open_since(s->f, at->held ? at->held_ts : INT64_MAX, at);
	else if (at->held && at->held_ts < s->f->open_since)
		ss_flow_open_since(s->f, at->held_ts, at);
}

static size_t data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	if (st) {
		tls_session_data(st, d, p, n, at);
		open_since(st, at);
	}
	return n;
}

static void gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (st) {
		tls_session_gap(st, d, len, at);
		open_since(st, at);
	}
}

static void close_flow(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	struct tls_session *s = st;
	if (s && s->inner_st && s->inner->close) { /* the protocol's end, then the TLS's */
		struct ss_pos pos = {at->frame, at->ts, s->plain_off[SS_C2S], at->last, 0, 0};
		s->inner->close(s->inner_st, f, &pos);
		s->inner_st = NULL;
	}
	tls_session_close(st, at);
}

const struct ss_proto *tls_proto(const struct dissect_opts *o)
{
	static struct ss_proto proto;
	proto = (struct ss_proto){.name = "tls",
	                          .probe = probe,
	                          .port_hint = port_hint,
	                          .open = open_flow,
	                          .data = data,
	                          .gap = gap,
	                          .close = close_flow,
	                          .ctx = (void *)o};
	return &proto;
}

const struct ss_proto *tls_proto_named(void)
{
	static const struct ss_proto named = {
	    .name = "tls", .probe = probe, .port_hint = port_hint};
	return &named;
}
