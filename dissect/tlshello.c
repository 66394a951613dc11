/* tlshello.c - ClientHello, ServerHello, HelloRetryRequest and
 * EncryptedExtensions with their extensions (RFC 8446 4.1.2-4.1.4, 4.2,
 * 4.3.1; RFC 5246 7.4.1.2-7.4.1.4), and the SSLv2-compatible CLIENT-HELLO
 * (RFC 5246 E.2).
 *
 * Every field is read through a cursor; an extension that does not parse is
 * named in the anomaly, and the extensions after it are still read, so a
 * hello with one bad extension still says its SNI and versions. Lists are
 * kept up to TLS_LIST_MAX entries and counted whole.
 */
#include <string.h>

#include "tls.h"
#include "tlsint.h"

/* SHA-256("HelloRetryRequest"): a ServerHello with this random is a
 * HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

/* Which message an extension is in: they mean different things in each. */
enum where { IN_CH, IN_SH, IN_HRR, IN_EE };

static void u16_list(struct cur *l, struct tls_list *out, const char *what)
{
	while (cur_left(l) >= 2)
		tls_list_add(out, cur_be16(l, what));
	if (cur_left(l) && !l->err)
		l->err = "a list of two-byte values of an odd length";
}

static void alpn_keep(struct tls_alpn *a, const uint8_t *p, size_t n)
{
	a->len = (uint8_t)(n < TLS_ALPN_LEN ? n : TLS_ALPN_LEN);
	a->cut = n > TLS_ALPN_LEN;
	memcpy(a->b, p, a->len);
}

/* The contents x of one extension of type `type` in message w. */
static const char *one(struct tls_flow *t, enum where w, uint16_t type, struct cur *x)
{
	struct tls_client_hello *ch = &t->ch;
	struct tls_server_hello *sh = &t->sh;
	switch (type) {
	case 0: /* server_name (RFC 6066 3) */
		if (w != IN_CH) {
			sh->sni_ack = 1; /* empty in a ServerHello or EncryptedExtensions */
			break;
		}
		{
			struct cur l =
			    cur_sub(x, cur_be16(x, "server_name_list length"), "server_name_list");
			while (cur_left(&l)) {
				uint8_t nt = cur_u8(&l, "name_type");
				uint16_t nl = cur_be16(&l, "HostName length");
				const uint8_t *nm = cur_ptr(&l, nl, "HostName");
				if (nm && nt == 0 && !ch->sni_len && !ch->sni_cut) {
					ch->sni_len = nl < TLS_NAME_MAX ? nl : TLS_NAME_MAX;
					ch->sni_cut = nl > TLS_NAME_MAX;
					memcpy(ch->sni, nm, ch->sni_len);
				}
			}
			if (l.err)
				return l.err;
		}
		break;
	case 16: { /* application_layer_protocol_negotiation (RFC 7301 3.1) */
		struct cur l =
		    cur_sub(x, cur_be16(x, "protocol_name_list length"), "protocol_name_list");
		int n = 0;
		while (cur_left(&l)) {
			uint8_t nl = cur_u8(&l, "ProtocolName length");
			const uint8_t *nm = cur_ptr(&l, nl, "ProtocolName");
			if (!nm)
				break;
			if (!nl)
				return "an empty ProtocolName";
			n++;
			if (w == IN_CH) {
				ch->alpn_total++;
				if (ch->nalpn < TLS_ALPN_MAX)
					alpn_keep(&ch->alpn[ch->nalpn++], nm, nl);
			} else if (n == 1) {
				struct tls_alpn *a = w == IN_EE ? &t->alpn : &sh->alpn;
				alpn_keep(a, nm, nl);
				if (w == IN_EE)
					t->has_alpn = 1;
				else
					sh->has_alpn = 1;
			}
		}
		if (l.err)
			return l.err;
		if (w != IN_CH && n != 1)
			return "not exactly one protocol chosen";
		break;
	}
	case 43: /* supported_versions (RFC 8446 4.2.1) */
		if (w == IN_CH) {
			struct cur l = cur_sub(x, cur_u8(x, "versions length"), "versions");
			u16_list(&l, &ch->versions, "version");
			if (l.err)
				return l.err;
		} else if (w == IN_SH) {
			sh->selected = cur_be16(x, "selected_version");
		} else if (w == IN_HRR) {
			t->hrr.selected = cur_be16(x, "selected_version");
		} else {
			cur_skip(x, cur_left(x), "");
		}
		break;
	case 10: { /* supported_groups (RFC 8446 4.2.7) */
		struct cur l =
		    cur_sub(x, cur_be16(x, "named_group_list length"), "named_group_list");
		struct tls_list server; /* in EncryptedExtensions: read, not kept */
		memset(&server, 0, sizeof server);
		u16_list(&l, w == IN_CH ? &ch->groups : &server, "named group");
		if (l.err)
			return l.err;
		break;
	}
	case 51: /* key_share (RFC 8446 4.2.8) */
		if (w == IN_CH) {
			struct cur l =
			    cur_sub(x, cur_be16(x, "client_shares length"), "client_shares");
			while (cur_left(&l)) {
				uint16_t g = cur_be16(&l, "group");
				cur_skip(&l, cur_be16(&l, "key_exchange length"), "key_exchange");
				if (!l.err)
					tls_list_add(&ch->key_shares, g);
			}
			if (l.err)
				return l.err;
		} else if (w == IN_SH) {
			sh->key_share = cur_be16(x, "group");
			cur_skip(x, cur_be16(x, "key_exchange length"), "key_exchange");
			sh->has_key_share = !x->err;
		} else if (w == IN_HRR) {
			t->hrr.group = cur_be16(x, "selected_group");
		} else {
			cur_skip(x, cur_left(x), "");
		}
		break;
	case 41: /* pre_shared_key (RFC 8446 4.2.11) */
		if (w == IN_CH) {
			struct cur l = cur_sub(x, cur_be16(x, "identities length"), "identities");
			while (cur_left(&l)) {
				cur_skip(&l, cur_be16(&l, "identity length"), "identity");
				cur_be32(&l, "obfuscated_ticket_age");
				if (!l.err)
					ch->psk_ids++;
			}
			if (l.err)
				return l.err;
			cur_skip(x, cur_be16(x, "binders length"), "binders");
			ch->psk = 1;
		} else if (w == IN_SH) {
			sh->psk_id = cur_be16(x, "selected_identity");
			sh->psk = !x->err;
		} else {
			cur_skip(x, cur_left(x), "");
		}
		break;
	case 45: /* psk_key_exchange_modes (RFC 8446 4.2.9) */
		if (w == IN_CH) {
			uint8_t n = cur_u8(x, "ke_modes length");
			const uint8_t *m = cur_ptr(x, n, "ke_modes");
			if (m) {
				ch->npsk_modes = n < TLS_SMALL_MAX ? n : TLS_SMALL_MAX;
				memcpy(ch->psk_modes, m, ch->npsk_modes);
			}
		} else {
			cur_skip(x, cur_left(x), "");
		}
		break;
	case 35: /* session_ticket (RFC 5077 3.2): the ticket, or empty */
		if (w == IN_CH) {
			ch->ticket_ext = 1;
			ch->ticket_len = (uint32_t)cur_left(x);
		} else if (w == IN_SH) {
			sh->ticket_ext = 1;
		}
		cur_skip(x, cur_left(x), "");
		break;
	case 23: /* extended_master_secret (RFC 7627 5.1): empty */
	case 22: /* encrypt_then_mac (RFC 7366 2): empty */
		if (cur_left(x))
			return "not empty";
		if (w == IN_CH)
			*(type == 23 ? &ch->ems : &ch->etm) = 1;
		else if (w == IN_SH)
			*(type == 23 ? &sh->ems : &sh->etm) = 1;
		break;
	case 13: /* signature_algorithms (RFC 8446 4.2.3) */
		if (w == IN_CH) {
			struct cur l =
			    cur_sub(x, cur_be16(x, "supported_signature_algorithms length"),
			            "supported_signature_algorithms");
			u16_list(&l, &ch->sigalgs, "signature scheme");
			if (l.err)
				return l.err;
		} else {
			cur_skip(x, cur_left(x), "");
		}
		break;
	case 0xff01: /* renegotiation_info (RFC 5746 3.2) */
		cur_skip(x, cur_u8(x, "renegotiated_connection length"), "renegotiated_connection");
		if (w == IN_CH)
			ch->reneg_info = 1;
		else if (w == IN_SH)
			sh->reneg_info = 1;
		break;
	case 42: /* early_data (RFC 8446 4.2.10) */
		if (w == IN_CH)
			ch->early_data = 1;
		else if (w == IN_EE)
			t->early_data = 1;
		cur_skip(x, cur_left(x), "");
		break;
	case 44: /* cookie (RFC 8446 4.2.2) */
		cur_skip(x, cur_be16(x, "cookie length"), "cookie");
		if (w == IN_CH)
			ch->cookie = 1;
		else if (w == IN_HRR)
			t->hrr.cookie = 1;
		break;
	case 0xfe0d: /* encrypted_client_hello */
		if (w == IN_CH)
			ch->ech = 1;
		cur_skip(x, cur_left(x), "");
		break;
	default:
		cur_skip(x, cur_left(x), "");
		break;
	}
	return x->err;
}

/* The extensions block at c (which must end with it). */
static const char *extensions(struct tls_flow *t, enum where w, struct cur *c, int *ext)
{
	struct cur e = cur_sub(c, cur_be16(c, "extensions length"), "extensions");
	const char *why = NULL;
	while (cur_left(&e)) {
		uint16_t type = cur_be16(&e, "extension type");
		struct cur x = cur_sub(&e, cur_be16(&e, "extension length"), "extension");
		if (e.err)
			break;
		if (w == IN_CH)
			tls_list_add(&t->ch.exts, type);
		else if (w == IN_SH)
			tls_list_add(&t->sh.exts, type);
		else if (w == IN_HRR)
			tls_list_add(&t->hrr.exts, type);
		const char *bad = one(t, w, type, &x);
		if (!bad && cur_left(&x))
			bad = "bytes after its contents";
		if (bad && !why) {
			why = bad;
			*ext = type;
		}
	}
	if (e.err)
		return e.err;
	if (c->err)
		return c->err;
	if (cur_left(c))
		return "bytes after the extensions";
	return why;
}

const char *tls_parse_client_hello(struct tls_flow *t, const uint8_t *p, size_t n, int *ext)
{
	struct tls_client_hello *ch = &t->ch;
	int seen = ch->seen;
	memset(ch, 0, sizeof *ch); /* a second ClientHello replaces the first */
	ch->seen = seen + 1;
	*ext = -1;
	struct cur c = cur_make(p, n);
	ch->version = cur_be16(&c, "client_version");
	cur_bytes(&c, ch->random, 32, "random");
	ch->sid_len = cur_u8(&c, "session_id length");
	if (ch->sid_len > 32) {
		ch->sid_len = 0;
		return "a session_id longer than 32 bytes";
	}
	if (cur_bytes(&c, ch->sid, ch->sid_len, "session_id"))
		ch->sid_len = 0;
	struct cur s = cur_sub(&c, cur_be16(&c, "cipher_suites length"), "cipher_suites");
	while (cur_left(&s) >= 2) {
		uint16_t v = cur_be16(&s, "cipher suite");
		tls_list_add(&ch->suites, v);
		if (v == 0x00ff) /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 3.3) */
			ch->reneg_info = 1;
		else if (v == 0x5600) /* TLS_FALLBACK_SCSV (RFC 7507) */
			ch->fallback_scsv = 1;
	}
	if (cur_left(&s))
		return "cipher_suites of an odd length";
	uint8_t cl = cur_u8(&c, "compression_methods length");
	const uint8_t *cm = cur_ptr(&c, cl, "compression_methods");
	if (cm) {
		ch->ncomp = cl < TLS_SMALL_MAX ? cl : TLS_SMALL_MAX;
		memcpy(ch->comp, cm, ch->ncomp);
	}
	if (c.err)
		return c.err;
	if (!cur_left(&c))
		return NULL; /* no extensions: allowed before TLS 1.3 */
	return extensions(t, IN_CH, &c, ext);
}

const char *tls_parse_server_hello(struct tls_flow *t, const uint8_t *p, size_t n, int *ext,
                                   int *hrr)
{
	*ext = -1;
	*hrr = 0;
	struct cur c = cur_make(p, n);
	uint16_t version = cur_be16(&c, "server_version");
	uint8_t random[32];
	if (cur_bytes(&c, random, 32, "random"))
		return c.err;
	if (!memcmp(random, hrr_random, 32)) {
		*hrr = 1;
		struct tls_hrr *h = &t->hrr;
		int seen = h->seen;
		memset(h, 0, sizeof *h);
		h->seen = seen + 1;
		h->version = version;
		h->sid_len = cur_u8(&c, "session_id length");
		if (h->sid_len > 32) {
			h->sid_len = 0;
			return "a session_id longer than 32 bytes";
		}
		if (cur_bytes(&c, h->sid, h->sid_len, "session_id"))
			h->sid_len = 0;
		h->suite = cur_be16(&c, "cipher_suite");
		h->comp = cur_u8(&c, "compression_method");
		if (c.err)
			return c.err;
		return extensions(t, IN_HRR, &c, ext);
	}
	struct tls_server_hello *sh = &t->sh;
	int seen = sh->seen;
	memset(sh, 0, sizeof *sh);
	sh->seen = seen + 1;
	sh->version = version;
	memcpy(sh->random, random, 32);
	/* RFC 8446 4.1.3: a TLS 1.3 server that negotiates 1.2 or below ends
	 * its random with "DOWNGRD" and 01 (1.2) or 00 (1.1 and below) */
	sh->downgrade = !memcmp(random + 24, "DOWNGRD", 7) && random[31] <= 1;
	sh->sid_len = cur_u8(&c, "session_id length");
	if (sh->sid_len > 32) {
		sh->sid_len = 0;
		return "a session_id longer than 32 bytes";
	}
	if (cur_bytes(&c, sh->sid, sh->sid_len, "session_id"))
		sh->sid_len = 0;
	sh->suite = cur_be16(&c, "cipher_suite");
	sh->comp = cur_u8(&c, "compression_method");
	if (c.err)
		return c.err;
	if (!cur_left(&c))
		return NULL;
	return extensions(t, IN_SH, &c, ext);
}

const char *tls_parse_encrypted_extensions(struct tls_flow *t, const uint8_t *p, size_t n, int *ext)
{
	*ext = -1;
	struct cur c = cur_make(p, n);
	return extensions(t, IN_EE, &c, ext);
}

const char *tls_parse_sslv2_hello(struct tls_flow *t, const uint8_t *p, size_t n)
{
	struct tls_client_hello *ch = &t->ch;
	int seen = ch->seen;
	memset(ch, 0, sizeof *ch);
	ch->seen = seen + 1;
	ch->sslv2 = 1;
	struct cur c = cur_make(p, n);
	cur_u8(&c, "msg_type");
	ch->version = cur_be16(&c, "version");
	uint16_t cs = cur_be16(&c, "cipher_spec_length");
	uint16_t sl = cur_be16(&c, "session_id_length");
	uint16_t cl = cur_be16(&c, "challenge_length");
	if (c.err)
		return c.err;
	if (cs % 3)
		return "cipher_spec_length not a multiple of 3";
	if (sl > 32)
		return "a session_id longer than 32 bytes";
	if (cl < 16 || cl > 32)
		return "a challenge not of 16 to 32 bytes";
	struct cur s = cur_sub(&c, cs, "cipher_specs");
	while (cur_left(&s) >= 3) {
		const uint8_t *k = cur_ptr(&s, 3, "cipher spec");
		if (k && k[0] == 0) /* a TLS suite; SSL 2.0's own kinds are not kept */
			tls_list_add(&ch->suites, (uint16_t)(k[1] << 8 | k[2]));
		if (k && k[0] == 0 && k[1] == 0 && k[2] == 0xff)
			ch->reneg_info = 1;
	}
	ch->sid_len = (uint8_t)sl;
	if (cur_bytes(&c, ch->sid, sl, "session_id"))
		ch->sid_len = 0;
	/* the challenge, right-aligned and zero-padded, is the random */
	if (cur_bytes(&c, ch->random + 32 - cl, cl, "challenge"))
		return c.err;
	if (cur_left(&c))
		return "bytes after the challenge";
	return s.err ? s.err : c.err;
}
