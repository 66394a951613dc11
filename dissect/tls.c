/* tls.c - a TLS flow's parser: made and freed, its anomalies said, told
 * apart from other protocols (tls_probe), and described in one line. The
 * record layer is tlsrec.c, the handshake layer tlshs.c, the hellos
 * tlshello.c, certificates tlscert.c.
 */
#define _DEFAULT_SOURCE /* gmtime_r */
#include "tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "tlsint.h"

static const char *const say_names[TLS_SAY_KINDS] = {
    [TLS_SAY_NOT_TLS] = "tls_not_tls",
    [TLS_SAY_SSLV2] = "tls_sslv2",
    [TLS_SAY_OVERFLOW] = "tls_record_overflow",
    [TLS_SAY_EMPTY] = "tls_empty_record",
    [TLS_SAY_HS_OVERFLOW] = "tls_handshake_too_long",
    [TLS_SAY_MALFORMED] = "tls_malformed",
    [TLS_SAY_UNEXPECTED] = "tls_unexpected",
    [TLS_SAY_GAP] = "tls_gap",
    [TLS_SAY_RESYNC] = "tls_resync",
    [TLS_SAY_ALERT] = "tls_alert",
    [TLS_SAY_TRUNCATED] = "tls_truncated",
    [TLS_SAY_CERT] = "tls_bad_certificate",
    [TLS_SAY_DOWNGRADE] = "tls_downgrade",
    [TLS_SAY_HEARTBEAT] = "tls_heartbeat",
    [TLS_SAY_CONTENT_TYPE] = "tls_content_type",
};

void tls_say(struct tls_flow *t, enum ss_dir d, enum tls_say k, const struct ss_pos *at,
             uint64_t off, const char *fmt, ...)
{
	if (t->said[d][k] >= TLS_SAY_MAX)
		return;
	t->said[d][k]++;
	if (!t->o.on_event)
		return;
	char detail[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	struct tls_event e = {say_names[k], d, off, at ? at->frame : 0, at ? at->ts : 0, detail};
	t->o.on_event(t->o.ctx, t, &e);
}

const char *tls_resume_name(enum tls_resume r)
{
	switch (r) {
	case TLS_RESUME_SESSION_ID:
		return "session_id";
	case TLS_RESUME_TICKET:
		return "ticket";
	case TLS_RESUME_PSK:
		return "psk";
	case TLS_RESUME_NO:
		break;
	}
	return "no";
}

struct tls_flow *tls_new(const struct tls_opts *o)
{
	struct tls_flow *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->o = *o;
	if (!t->o.hs_max)
		t->o.hs_max = TLS_HS_MAX_DEFAULT;
	for (int d = 0; d < 2; d++) {
		buf_init(&t->rl[d].body, TLS_RECORD_MAX);
		buf_init(&t->rl[d].scan, 2 * (TLS_RECORD_MAX + 5));
		/* a message's 4 header bytes are not held: hs_max is its body */
		buf_init(&t->hs[d].msg, t->o.hs_max);
		if (t->o.acct) {
			buf_count(&t->rl[d].body, t->o.acct);
			buf_count(&t->rl[d].scan, t->o.acct);
			buf_count(&t->hs[d].msg, t->o.acct);
		}
	}
	return t;
}

static void chain_free(struct tls_flow *t, struct tls_chain *c)
{
	if (c->certs && t->o.acct)
		memacct_give(t->o.acct, c->n * sizeof *c->certs);
	free(c->certs);
	c->certs = NULL;
	c->n = 0;
}

struct tls_flow *tls_free(struct tls_flow *t)
{
	if (!t)
		return NULL;
	for (int d = 0; d < 2; d++) {
		buf_free(&t->rl[d].body);
		buf_free(&t->rl[d].scan);
		buf_free(&t->hs[d].msg);
		chain_free(t, &t->side[d].chain);
	}
	free(t);
	return NULL;
}

int tls_probe(const uint8_t *p, size_t n)
{
	if (n < 1)
		return 0;
	if (p[0] == TLS_CT_HANDSHAKE) {
		/* 16 03 0x LL LL 01: a ClientHello record */
		if (n >= 2 && p[1] != 3)
			return -1;
		if (n >= 3 && p[2] > 4)
			return -1;
		if (n >= 5 && ((p[3] << 8 | p[4]) < 4 || (p[3] << 8 | p[4]) > TLS_RECORD_MAX))
			return -1;
		if (n >= 6 && p[5] != TLS_HS_CLIENT_HELLO)
			return -1;
		return n >= 6 ? 1 : 0;
	}
	if (p[0] & 0x80) {
		/* SSLv2's 2-byte header, CLIENT-HELLO (1), version 0002 or 03xx */
		if (n >= 3 && p[2] != 1)
			return -1;
		if (n >= 4 && p[3] != 0 && p[3] != 3)
			return -1;
		if (n >= 5 && p[3] == 0 && p[4] != 2)
			return -1;
		return n >= 5 ? 1 : 0;
	}
	return -1;
}

char *tls_time_str(int64_t v, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)v;
	/* 9999-12-31 23:59:59 is the last time a year of four digits has */
	if (v == INT64_MIN || v < -62167219200LL || v > 253402300799LL || (int64_t)tt != v ||
	    !gmtime_r(&tt, &tm)) {
		memcpy(out, "?", 2);
		return out;
	}
	/* the ranges said to the compiler: the year has four digits (above) */
	snprintf(out, 32, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
	         (unsigned)tm.tm_sec % 100u);
	return out;
}

/* Appends to buf as snprintf would, keeping count of what it wanted. */
static void add(char *buf, size_t len, size_t *at, const char *fmt, ...) SS_PRINTF(4, 5);
static void add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

int tls_describe(const struct tls_flow *t, char *buf, size_t len)
{
	size_t at = 0;
	char e[TLS_NAME_MAX * 4 + 8];
	if (len)
		buf[0] = 0;
	const char *v = tls_version_name(t->version);
	if (t->version)
		add(buf, len, &at, "%s", v ? v : "version");
	else if (t->ch.seen)
		add(buf, len, &at, "ClientHello only");
	if (t->version && !v)
		add(buf, len, &at, "(0x%04x)", t->version);
	if (t->sh.seen) {
		const char *s = tls_suite_name(t->suite);
		if (s)
			add(buf, len, &at, " %s", s);
		else
			add(buf, len, &at, " suite 0x%04x", t->suite);
	}
	if (t->group) {
		const char *g = tls_group_name(t->group);
		if (g)
			add(buf, len, &at, " %s", g);
		else
			add(buf, len, &at, " group 0x%04x", t->group);
	} else if (t->dh_bits) {
		add(buf, len, &at, " DHE-%u", t->dh_bits);
	}
	if (t->hrr.seen)
		add(buf, len, &at, " hrr");
	if (t->ch.sni_len || t->ch.sni_cut)
		add(buf, len, &at, " sni=%s", escape_str(e, sizeof e, t->ch.sni, t->ch.sni_len));
	if (t->has_alpn)
		add(buf, len, &at, " alpn=%s", escape_str(e, sizeof e, t->alpn.b, t->alpn.len));
	if (t->resumed)
		add(buf, len, &at, " resumed=%s", tls_resume_name(t->resumed));
	if (t->version && t->version < TLS_V13 && t->sh.seen)
		add(buf, len, &at, " ems=%s", t->ems ? "yes" : "no");
	if (t->etm)
		add(buf, len, &at, " etm");
	const struct tls_chain *c = &t->side[SS_S2C].chain;
	if (c->n && c->certs[0].ok)
		add(buf, len, &at, " cert=\"%s\"", c->certs[0].subject);
	c = &t->side[SS_C2S].chain;
	if (c->n && c->certs[0].ok)
		add(buf, len, &at, " client_cert=\"%s\"", c->certs[0].subject);
	for (int d = 0; d < 2; d++) {
		const struct tls_side *s = &t->side[d];
		if (!s->alerts)
			continue;
		const char *l = tls_alert_level_name(s->alert_level);
		const char *a = tls_alert_name(s->alert_desc);
		add(buf, len, &at, " %s_alert=", d == SS_C2S ? "client" : "server");
		if (l)
			add(buf, len, &at, "%s:", l);
		if (a)
			add(buf, len, &at, "%s", a);
		else
			add(buf, len, &at, "%u", s->alert_desc);
	}
	return at > INT32_MAX ? INT32_MAX : (int)at;
}
