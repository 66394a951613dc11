/* tlshs.c - the TLS handshake layer: (content type, plaintext) pieces in,
 * handshake messages, alerts and ChangeCipherSpec read (RFC 8446 4-6, RFC
 * 5246 7), what they say kept in struct tls_flow.
 *
 * Handshake messages are put together whatever the cuts: one may span
 * records, one record may hold several, and a piece may end anywhere. A
 * message whose every byte lies in one piece is read where it lies; one
 * that crosses pieces is held, up to hs_max bytes (a longer one is counted,
 * said, and skipped by its length, so the messages after it are still
 * found). The same assembly serves records in the clear and what a
 * decryption step hands in later.
 *
 * What the handshake changes in the record layer: a side's records are
 * encrypted after its ChangeCipherSpec in TLS <= 1.2, and both sides' after
 * a ServerHello that chose TLS 1.3 - where ChangeCipherSpec is only there
 * for middleboxes (RFC 8446 D.4) and changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "tlscert.h"
#include "tlsint.h"

static const uint8_t empty[1];

/* Who may send a handshake message of this type: bit 0 the client, bit 1
 * the server; 0 for a type TLS does not have. */
static int senders(uint8_t type)
{
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
	case TLS_HS_END_OF_EARLY_DATA:
	case TLS_HS_CLIENT_KEY_EXCHANGE:
		return 1;
	case TLS_HS_HELLO_REQUEST:
	case TLS_HS_SERVER_HELLO:
	case TLS_HS_NEW_SESSION_TICKET:
	case TLS_HS_ENCRYPTED_EXTENSIONS:
	case TLS_HS_SERVER_KEY_EXCHANGE:
	case TLS_HS_CERTIFICATE_REQUEST:
	case TLS_HS_SERVER_HELLO_DONE:
	case TLS_HS_CERTIFICATE_STATUS:
		return 2;
	case TLS_HS_CERTIFICATE:
	case TLS_HS_CERTIFICATE_VERIFY:
	case TLS_HS_FINISHED:
	case TLS_HS_KEY_UPDATE:
	case 25: /* compressed_certificate (RFC 8879) */
		return 3;
	}
	return 0;
}

static const char *side_name(enum ss_dir d)
{
	return d == SS_C2S ? "client" : "server";
}

static void hs_reset(struct tls_hsr *h)
{
	h->hlen = 0;
	h->got = 0;
	h->over = 0;
	buf_reset(&h->msg);
	buf_trim(&h->msg, 4096); /* one large chain must not stay held */
}

static void set_encrypted(struct tls_flow *t, enum ss_dir d, const struct ss_pos *at)
{
	if (!t->side[d].encrypted) {
		t->side[d].encrypted = 1;
		tls_hs_encrypted(t, d, at);
	}
}

void tls_hs_encrypted(struct tls_flow *t, enum ss_dir d, const struct ss_pos *at)
{
	struct tls_hsr *h = &t->hs[d];
	if ((h->hlen || h->got) && !h->lost)
		tls_say(t, d, TLS_SAY_MALFORMED, at, at->off,
		        "a handshake message was incomplete (%u of %u bytes) when the %s's keys "
		        "changed",
		        h->hlen < 4 ? h->hlen : h->got + 4, h->hlen < 4 ? 4 : h->mlen + 4,
		        side_name(d));
	hs_reset(h);
	h->alen = 0;
}

/* TLS <= 1.2: the server went on with the abbreviated handshake (RFC 5246
 * 7.3, RFC 5077 3.1): the session was resumed. */
static void abbreviated(struct tls_flow *t)
{
	t->abbrev_check = 0;
	if (!t->resumed)
		t->resumed = t->ch.ticket_ext && t->ch.ticket_len ? TLS_RESUME_TICKET
		                                                  : TLS_RESUME_SESSION_ID;
}

static void server_hello_after(struct tls_flow *t, const struct ss_pos *at)
{
	struct tls_server_hello *sh = &t->sh;
	t->version = sh->selected ? sh->selected : sh->version;
	t->suite = sh->suite;
	if (tls_is13(t->version)) {
		t->group = sh->has_key_share ? sh->key_share : 0;
		if (sh->psk)
			t->resumed = TLS_RESUME_PSK;
		/* everything after the ServerHello is under handshake keys */
		set_encrypted(t, SS_S2C, at);
		set_encrypted(t, SS_C2S, at);
		return;
	}
	t->ems = sh->ems;
	t->etm = sh->etm;
	if (sh->has_alpn) {
		t->has_alpn = 1;
		t->alpn = sh->alpn;
	}
	if (sh->sid_len && t->ch.seen && sh->sid_len == t->ch.sid_len &&
	    !memcmp(sh->sid, t->ch.sid, sh->sid_len))
		abbreviated(t); /* the client's session ID echoed (RFC 5246 7.4.1.3) */
	else
		t->abbrev_check = 1; /* a ticket's resumption shows in what comes next */
	if (sh->downgrade && tls_list_has(&t->ch.versions, TLS_V13))
		tls_say(
		    t, SS_S2C, TLS_SAY_DOWNGRADE, at, at->off,
		    "a ServerHello choosing %s to a client that offered TLS 1.3 ends its random "
		    "in the downgrade sentinel (RFC 8446 4.1.3)",
		    tls_version_name(t->version) ? tls_version_name(t->version) : "an old version");
}

static void keep_cert(struct tls_flow *t, enum ss_dir d, const uint8_t *der, size_t n,
                      const struct ss_pos *at)
{
	struct tls_chain *c = &t->side[d].chain;
	if (c->total < UINT16_MAX)
		c->total++;
	if (c->n >= TLS_CERTS_MAX)
		return;
	if (t->o.acct && memacct_take(t->o.acct, t->o.acct->cap, sizeof *c->certs))
		return; /* --max-held-mem: counted, not kept */
	struct tls_cert *q = realloc(c->certs, (c->n + 1) * sizeof *c->certs);
	if (!q) {
		if (t->o.acct)
			memacct_give(t->o.acct, sizeof *c->certs);
		return;
	}
	c->certs = q;
	if (tls_cert_parse(&c->certs[c->n], der, n))
		tls_say(t, d, TLS_SAY_CERT, at, at->off,
		        "certificate %u of the %s's chain (%zu bytes) is not one OpenSSL reads",
		        (unsigned)c->n + 1, side_name(d), n);
	c->n++;
}

/* Certificate (RFC 5246 7.4.2; RFC 8446 4.4.2, with a request context and
 * extensions per certificate). */
static const char *certificate(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                               const struct ss_pos *at)
{
	struct tls_chain *ch = &t->side[d].chain;
	if (ch->certs && t->o.acct)
		memacct_give(t->o.acct, ch->n * sizeof *ch->certs);
	free(ch->certs); /* a later Certificate (renegotiation, post-handshake) replaces it */
	ch->certs = NULL;
	ch->n = ch->total = 0;
	ch->seen++;
	int v13;
	if (t->version)
		v13 = tls_is13(t->version);
	else /* not known (no ServerHello seen): the 1.2 form's list is all of it */
		v13 = !(n >= 3 && ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]) == n - 3);
	struct cur c = cur_make(p, n);
	if (v13)
		cur_skip(&c, cur_u8(&c, "certificate_request_context length"),
		         "certificate_request_context");
	struct cur l = cur_sub(&c, cur_be24(&c, "certificate_list length"), "certificate_list");
	while (cur_left(&l)) {
		uint32_t cl = cur_be24(&l, "cert_data length");
		const uint8_t *der = cur_ptr(&l, cl, "cert_data");
		if (v13)
			cur_skip(&l, cur_be16(&l, "extensions length"), "extensions");
		if (l.err)
			break;
		keep_cert(t, d, der, cl, at);
	}
	if (l.err)
		return l.err;
	if (c.err)
		return c.err;
	return cur_left(&c) ? "bytes after certificate_list" : NULL;
}

/* ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4, RFC 4279 3, RFC 5489 2):
 * the group, as far as the negotiated suite says how to read it. */
static const char *server_key_exchange(struct tls_flow *t, const uint8_t *p, size_t n)
{
	enum tls_kx kx = tls_suite_kx(t->suite);
	struct cur c = cur_make(p, n);
	if (kx == TLS_KX_ECDHE_PSK || kx == TLS_KX_DHE_PSK)
		cur_skip(&c, cur_be16(&c, "psk_identity_hint length"), "psk_identity_hint");
	if (kx == TLS_KX_ECDHE || kx == TLS_KX_ECDHE_PSK) {
		uint8_t ct = cur_u8(&c, "curve_type");
		if (c.err)
			return c.err;
		if (ct == 1 || ct == 2) { /* explicit curves: named as RFC 8422 5.1.1 does */
			t->group = ct == 1 ? 0xff01 : 0xff02;
			return NULL;
		}
		if (ct != 3)
			return "a curve_type that is not named_curve";
		t->group = cur_be16(&c, "namedcurve");
		cur_skip(&c, cur_u8(&c, "public length"), "public");
	} else if (kx == TLS_KX_DHE || kx == TLS_KX_DHE_PSK) {
		uint16_t pl = cur_be16(&c, "dh_p length");
		const uint8_t *dp = cur_ptr(&c, pl, "dh_p");
		if (dp) {
			size_t i = 0;
			while (i < pl && !dp[i])
				i++;
			unsigned bits = 0;
			if (i < pl) {
				bits = (unsigned)(pl - i - 1) * 8;
				for (uint8_t b = dp[i]; b; b >>= 1)
					bits++;
			}
			t->dh_bits = (uint16_t)(bits > UINT16_MAX ? UINT16_MAX : bits);
		}
		cur_skip(&c, cur_be16(&c, "dh_g length"), "dh_g");
		cur_skip(&c, cur_be16(&c, "dh_Ys length"), "dh_Ys");
	} else {
		return NULL; /* not read: nothing here names a group */
	}
	if (c.err)
		return c.err;
	/* TLS 1.2 signs with a scheme named first (RFC 5246 7.4.1.4.1) */
	if (t->version == TLS_V12 && kx != TLS_KX_ECDHE_PSK && kx != TLS_KX_DHE_PSK &&
	    cur_left(&c) >= 4)
		t->ske_scheme = cur_be16(&c, "signature algorithm");
	return NULL;
}

/* CertificateVerify (RFC 5246 7.4.8, RFC 8446 4.4.3). */
static const char *certificate_verify(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	int scheme;
	if (t->version)
		scheme = t->version >= TLS_V12;
	else /* not known: with a scheme, the signature's length is what follows it */
		scheme = n >= 4 && (size_t)(p[2] << 8 | p[3]) == n - 4;
	if (scheme)
		t->side[d].cv_scheme = cur_be16(&c, "algorithm");
	cur_skip(&c, cur_be16(&c, "signature length"), "signature");
	if (c.err)
		return c.err;
	return cur_left(&c) ? "bytes after the signature" : NULL;
}

/* CertificateRequest (RFC 5246 7.4.4; RFC 8446 4.3.2): the signature
 * algorithms it takes. */
static const char *certificate_request(struct tls_flow *t, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	struct tls_list *l = &t->cr_sigalgs;
	memset(l, 0, sizeof *l);
	if (tls_is13(t->version)) {
		cur_skip(&c, cur_u8(&c, "certificate_request_context length"),
		         "certificate_request_context");
		struct cur e = cur_sub(&c, cur_be16(&c, "extensions length"), "extensions");
		while (cur_left(&e)) {
			uint16_t type = cur_be16(&e, "extension type");
			struct cur x = cur_sub(&e, cur_be16(&e, "extension length"), "extension");
			if (type != 13)
				continue;
			struct cur s =
			    cur_sub(&x, cur_be16(&x, "supported_signature_algorithms length"),
			            "supported_signature_algorithms");
			while (cur_left(&s) >= 2)
				tls_list_add(l, cur_be16(&s, "signature scheme"));
		}
		if (e.err)
			return e.err;
	} else {
		cur_skip(&c, cur_u8(&c, "certificate_types length"), "certificate_types");
		if (t->version >= TLS_V12) {
			struct cur s =
			    cur_sub(&c, cur_be16(&c, "supported_signature_algorithms length"),
			            "supported_signature_algorithms");
			while (cur_left(&s) >= 2)
				tls_list_add(l, cur_be16(&s, "signature scheme"));
		}
		cur_skip(&c, cur_be16(&c, "certificate_authorities length"),
		         "certificate_authorities");
	}
	if (c.err)
		return c.err;
	return cur_left(&c) ? "bytes after its contents" : NULL;
}

/* NewSessionTicket (RFC 5077 3.3; RFC 8446 4.6.1). */
static const char *new_session_ticket(struct tls_flow *t, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	uint32_t life = cur_be32(&c, "ticket_lifetime");
	if (tls_is13(t->version)) {
		cur_be32(&c, "ticket_age_add");
		cur_skip(&c, cur_u8(&c, "ticket_nonce length"), "ticket_nonce");
		cur_skip(&c, cur_be16(&c, "ticket length"), "ticket");
		cur_skip(&c, cur_be16(&c, "extensions length"), "extensions");
	} else {
		cur_skip(&c, cur_be16(&c, "ticket length"), "ticket");
	}
	if (c.err)
		return c.err;
	t->tickets++;
	t->ticket_lifetime = life;
	return cur_left(&c) ? "bytes after the ticket" : NULL;
}

/* A whole message from d: its type and length in h, its body (NULL when it
 * was over hs_max). */
static void message_done(struct tls_flow *t, enum ss_dir d, const uint8_t *body,
                         const struct ss_pos *at)
{
	struct tls_hsr *h = &t->hs[d];
	struct tls_side *s = &t->side[d];
	uint8_t type = h->hdr[0];
	uint32_t len = h->mlen;
	/* the assembly is ready for the next message before this one is read:
	 * reading it may change the side's keys */
	h->hlen = 0;
	h->got = 0;
	h->over = 0;
	s->hs_msgs++;
	if (s->ntypes < TLS_TYPES_MAX)
		s->types[s->ntypes++] = type;
	int who = senders(type);
	const char *why = NULL;
	int ext = -1, hrr = 0;
	if (!who) {
		tls_say(
		    t, d, TLS_SAY_UNEXPECTED, at, at->off,
		    "a handshake message of a type TLS does not have (%u, %u bytes) from the %s",
		    type, len, side_name(d));
	} else if (!(who & (1 << d))) {
		tls_say(t, d, TLS_SAY_UNEXPECTED, at, at->off, "a %s from the %s",
		        tls_hs_name(type), side_name(d));
	} else if (body) {
		switch (type) {
		case TLS_HS_CLIENT_HELLO:
			why = tls_parse_client_hello(t, body, len, &ext);
			break;
		case TLS_HS_SERVER_HELLO:
			why = tls_parse_server_hello(t, body, len, &ext, &hrr);
			if (!hrr && t->sh.version)
				server_hello_after(t, at);
			break;
		case TLS_HS_ENCRYPTED_EXTENSIONS:
			why = tls_parse_encrypted_extensions(t, body, len, &ext);
			break;
		case TLS_HS_CERTIFICATE:
			why = certificate(t, d, body, len, at);
			break;
		case TLS_HS_SERVER_KEY_EXCHANGE:
			why = server_key_exchange(t, body, len);
			break;
		case TLS_HS_CERTIFICATE_VERIFY:
			why = certificate_verify(t, d, body, len);
			break;
		case TLS_HS_CERTIFICATE_REQUEST:
			why = certificate_request(t, body, len);
			break;
		case TLS_HS_CLIENT_KEY_EXCHANGE:
			t->sent_cke = 1;
			break;
		case TLS_HS_FINISHED:
			s->finished = 1;
			break;
		case TLS_HS_NEW_SESSION_TICKET:
			why = new_session_ticket(t, body, len);
			break;
		case TLS_HS_KEY_UPDATE:
			if (len != 1 || body[0] > 1)
				why = "not one byte of 0 or 1";
			else
				t->key_updates++;
			break;
		case TLS_HS_HELLO_REQUEST:
		case TLS_HS_SERVER_HELLO_DONE:
		case TLS_HS_END_OF_EARLY_DATA:
			if (len)
				why = "a message without a body has one";
			break;
		}
	}
	if (why) {
		const char *en = ext >= 0 ? tls_ext_name((uint16_t)ext) : NULL;
		if (ext >= 0)
			tls_say(t, d, TLS_SAY_MALFORMED, at, at->off, "%s: extension %s (%d): %s",
			        tls_hs_name(type), en ? en : "?", ext, why);
		else
			tls_say(t, d, TLS_SAY_MALFORMED, at, at->off, "%s: %s", tls_hs_name(type),
			        why);
	}
	/* TLS <= 1.2 without the session ID echoed: a NewSessionTicket (or a
	 * ChangeCipherSpec, below) right after the ServerHello is the
	 * abbreviated handshake of a ticket's resumption (RFC 5077 3.1) */
	if (d == SS_S2C && t->abbrev_check && type != TLS_HS_SERVER_HELLO) {
		t->abbrev_check = 0;
		if (type == TLS_HS_NEW_SESSION_TICKET)
			abbreviated(t);
	}
	if (t->o.on_msg) {
		struct tls_msg m = {d, type, len, body, at->frame, at->ts};
		t->o.on_msg(t->o.ctx, t, &m);
	}
	buf_reset(&h->msg);
	buf_trim(&h->msg, 4096);
}

static void handshake_bytes(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                            const struct ss_pos *at)
{
	struct tls_hsr *h = &t->hs[d];
	if (h->lost) {
		/* after lost bytes, only a piece that starts with a plausible
		 * message of this side starts the assembly again */
		if (n < 4 || !(senders(p[0]) & (1 << d)) ||
		    ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]) > t->o.hs_max)
			return;
		h->lost = 0;
	}
	size_t i = 0;
	while (i < n) {
		if (h->hlen < 4) {
			size_t k = 4 - (size_t)h->hlen < n - i ? 4 - (size_t)h->hlen : n - i;
			memcpy(h->hdr + h->hlen, p + i, k);
			h->hlen = (uint8_t)(h->hlen + k);
			i += k;
			if (h->hlen < 4)
				break;
			h->mlen = (uint32_t)h->hdr[1] << 16 | (uint32_t)h->hdr[2] << 8 | h->hdr[3];
			h->got = 0;
			h->over = h->mlen > t->o.hs_max;
			if (h->over) {
				const char *nm = tls_hs_name(h->hdr[0]);
				tls_say(t, d, TLS_SAY_HS_OVERFLOW, at, at->off + i - 4,
				        "a %s message of %u bytes, over the %zu kept: only counted",
				        nm ? nm : "handshake", h->mlen, t->o.hs_max);
			}
			if (!h->mlen) {
				message_done(t, d, empty, at);
				continue;
			}
		}
		size_t want = h->mlen - h->got;
		size_t k = want < n - i ? want : n - i;
		if (!h->over) {
			if (!h->got && !h->msg.len && k == h->mlen) {
				h->got = h->mlen;
				i += k;
				message_done(t, d, p + i - k, at); /* where it lies */
				continue;
			}
			int e = buf_add(&h->msg, p + i, k);
			if (e) {
				tls_say(
				    t, d, TLS_SAY_HS_OVERFLOW, at, at->off + i,
				    "no room to hold a handshake message of %u bytes (%s): only "
				    "counted",
				    h->mlen, e == BUF_SHARED ? "--max-held-mem" : "memory");
				h->over = 1;
				buf_reset(&h->msg);
			}
		}
		h->got += (uint32_t)k;
		i += k;
		if (h->got == h->mlen)
			message_done(t, d, h->over ? NULL : h->msg.p, at);
	}
}

static void alert(struct tls_flow *t, enum ss_dir d, uint8_t level, uint8_t desc,
                  const struct ss_pos *at)
{
	struct tls_side *s = &t->side[d];
	s->alerts++;
	s->alert_level = level;
	s->alert_desc = desc;
	const char *l = tls_alert_level_name(level), *a = tls_alert_name(desc);
	/* close_notify is how a session ends (RFC 8446 6.1): counted, not an
	 * anomaly */
	if (desc == 0)
		return;
	tls_say(t, d, TLS_SAY_ALERT, at, at->off, "%s alert %s (%u) from the %s",
	        l ? l : "an unknown level of", a ? a : "unknown", desc, side_name(d));
}

static void change_cipher_spec(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                               const struct ss_pos *at)
{
	t->side[d].ccs++;
	if (n != 1 || p[0] != 1)
		tls_say(t, d, TLS_SAY_MALFORMED, at, at->off,
		        "change_cipher_spec: %zu bytes, not the one byte 01", n);
	if (d == SS_S2C && t->abbrev_check)
		abbreviated(t); /* the server's CCS right after its ServerHello */
	/* TLS 1.3's is for middleboxes only (RFC 8446 D.4), also the one a
	 * client sends before its second ClientHello */
	if (tls_is13(t->version) || (!t->version && tls_is13(t->hrr.selected)))
		return;
	if (!t->version && d == SS_C2S && !t->sent_cke && tls_list_has(&t->ch.versions, TLS_V13))
		return; /* no ServerHello seen: a 1.2 client sends its key exchange first */
	set_encrypted(t, d, at);
}

void tls_hs_feed(struct tls_flow *t, enum ss_dir d, uint8_t type, const uint8_t *p, size_t n,
                 const struct ss_pos *at)
{
	struct tls_hsr *h = &t->hs[d];
	switch (type) {
	case TLS_CT_HANDSHAKE:
		handshake_bytes(t, d, p, n, at);
		break;
	case TLS_CT_ALERT:
		for (size_t i = 0; i < n; i++) {
			h->alert[h->alen++] = p[i];
			if (h->alen == 2) {
				h->alen = 0;
				alert(t, d, h->alert[0], h->alert[1], at);
			}
		}
		break;
	case TLS_CT_CCS:
		change_cipher_spec(t, d, p, n, at);
		break;
	case TLS_CT_HEARTBEAT:
		tls_say(t, d, TLS_SAY_HEARTBEAT, at, at->off,
		        "a heartbeat message (RFC 6520) in the clear, %zu bytes", n);
		break;
	case TLS_CT_APPDATA:
		break; /* counted by the record layer; its bytes are the protocol's */
	default:
		tls_say(t, d, TLS_SAY_CONTENT_TYPE, at, at->off, "content type %u, %zu bytes", type,
		        n);
		break;
	}
}

void tls_hs_gap(struct tls_flow *t, enum ss_dir d, const struct ss_pos *at)
{
	(void)at;
	struct tls_hsr *h = &t->hs[d];
	hs_reset(h);
	h->alen = 0;
	h->lost = 1;
}

void tls_hs_sslv2(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                  const struct ss_pos *at)
{
	struct tls_side *s = &t->side[d];
	s->sslv2 = 1;
	if (d == SS_C2S && n && p[0] == 1) {
		const char *why = tls_parse_sslv2_hello(t, p, n);
		s->hs_msgs++;
		if (s->ntypes < TLS_TYPES_MAX)
			s->types[s->ntypes++] = TLS_HS_CLIENT_HELLO;
		const char *v = tls_version_name(t->ch.version);
		tls_say(t, d, TLS_SAY_SSLV2, at, at->off,
		        "an SSLv2 CLIENT-HELLO offering %s (0x%04x)%s",
		        v ? v : "an unknown version", t->ch.version,
		        t->ch.version >= 0x0300 ? ": the compatible form of RFC 5246 E.2" : "");
		if (why)
			tls_say(t, d, TLS_SAY_MALFORMED, at, at->off, "SSLv2 CLIENT-HELLO: %s",
			        why);
		return;
	}
	tls_say(t, d, TLS_SAY_SSLV2, at, at->off,
	        "SSL 2.0 (message type %u) from the %s: not TLS; the rest is only counted",
	        n ? p[0] : 0, side_name(d));
	s->dead = 1;
}
