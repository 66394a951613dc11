/* tlsint.h - what the parts of the TLS parser share and nobody else needs:
 * the kinds of anomaly and how they are said (tls.c), the hello and
 * extension parsers (tlshello.c), the handshake layer's entry for an
 * SSLv2-compatible hello (tlshs.c).
 */
#ifndef SS_TLSINT_H
#define SS_TLSINT_H

#include "cur.h"
#include "log.h"
#include "tls.h"

/* The kinds of anomaly, each said at most TLS_SAY_MAX times per direction
 * (tls.c has their names). */
enum tls_say {
	TLS_SAY_NOT_TLS,      /* "tls_not_tls": bytes that are not a TLS record */
	TLS_SAY_SSLV2,        /* "tls_sslv2": an SSL 2.0 record (the compatible hello included) */
	TLS_SAY_OVERFLOW,     /* "tls_record_overflow": a record longer than allowed */
	TLS_SAY_EMPTY,        /* "tls_empty_record": a handshake/alert/CCS record of no bytes */
	TLS_SAY_HS_OVERFLOW,  /* "tls_handshake_too_long": a message over hs_max */
	TLS_SAY_MALFORMED,    /* "tls_malformed": a message that does not parse */
	TLS_SAY_UNEXPECTED,   /* "tls_unexpected": a message from the wrong side, or unknown */
	TLS_SAY_GAP,          /* "tls_gap": bytes lost */
	TLS_SAY_RESYNC,       /* "tls_resync": record boundaries found again after a gap */
	TLS_SAY_ALERT,        /* "tls_alert": an alert in the clear */
	TLS_SAY_TRUNCATED,    /* "tls_truncated": the flow ended inside a record or message */
	TLS_SAY_CERT,         /* "tls_bad_certificate": a certificate OpenSSL does not take */
	TLS_SAY_DOWNGRADE,    /* "tls_downgrade": RFC 8446 4.1.3's sentinel in a ServerHello */
	TLS_SAY_HEARTBEAT,    /* "tls_heartbeat": a heartbeat record (RFC 6520) */
	TLS_SAY_CONTENT_TYPE, /* "tls_content_type": a content type TLS does not have */
	TLS_SAY_KINDS
};

/* Says an anomaly of kind k on direction d, where at says (its frame and
 * time; off is the stream offset), unless TLS_SAY_MAX were said already. */
void tls_say(struct tls_flow *t, enum ss_dir d, enum tls_say k, const struct ss_pos *at,
             uint64_t off, const char *fmt, ...) SS_PRINTF(6, 7);

/* The hello parsers (tlshello.c): p[0..n) is the message body. They fill
 * t and return NULL, or what did not parse (a static string), leaving what
 * did parse in place. */
/* *ext is set to the extension that did not parse, or -1. */
const char *tls_parse_client_hello(struct tls_flow *t, const uint8_t *p, size_t n, int *ext);
/* *hrr is set when it was a HelloRetryRequest (into t->hrr, not t->sh). */
const char *tls_parse_server_hello(struct tls_flow *t, const uint8_t *p, size_t n, int *ext,
                                   int *hrr);
const char *tls_parse_encrypted_extensions(struct tls_flow *t, const uint8_t *p, size_t n,
                                           int *ext);
/* An SSLv2 CLIENT-HELLO record's body (RFC 5246 E.2; RFC 6101 E.2's form
 * of SSL 2.0): p[0] is the message type. */
const char *tls_parse_sslv2_hello(struct tls_flow *t, const uint8_t *p, size_t n);

/* The SSLv2 record a direction started with (tlsrec.c hands it over). */
void tls_hs_sslv2(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                  const struct ss_pos *at);

/* The handshake layer's reaction to its side becoming encrypted: a message
 * in progress can no longer be completed in the clear. */
void tls_hs_encrypted(struct tls_flow *t, enum ss_dir d, const struct ss_pos *at);

static inline uint32_t cur_be24(struct cur *c, const char *what)
{
	const uint8_t *q = cur_ptr(c, 3, what);
	return q ? (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2] : 0;
}

static inline int tls_list_has(const struct tls_list *l, uint16_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == v)
			return 1;
	return 0;
}

/* TLS 1.3, or one of its drafts (0x7fNN). */
static inline int tls_is13(uint16_t v)
{
	return v == TLS_V13 || (v & 0xff00) == 0x7f00;
}

static inline void tls_list_add(struct tls_list *l, uint16_t v)
{
	if (l->n < TLS_LIST_MAX)
		l->v[l->n++] = v;
	l->total++;
}

#endif
