/* tlsrec.c - the TLS record layer of one flow, incremental per direction
 * (RFC 8446 5.1-5.2, RFC 5246 6.2, SSLv2's 2-byte header of RFC 5246 E.2).
 *
 * Bytes come in any pieces. A record whose bytes all lie in one piece is
 * handed on where it lies; one that crosses pieces is put together in the
 * direction's buffer (at most TLS_RECORD_MAX bytes), unless it is
 * encrypted and nobody asked to see ciphertext, in which case its bytes are
 * only counted as they pass.
 *
 * Which records are encrypted: application_data always (0-RTT data comes
 * before any ServerHello); every record of a side once the handshake layer
 * says its keys changed (tlshs.c: its ChangeCipherSpec in TLS <= 1.2, the
 * ServerHello that chose TLS 1.3), except a 1-byte ChangeCipherSpec, which
 * is sent in the clear in TLS 1.3 (RFC 8446 D.4) and has never been 1 byte
 * under a cipher in 1.2.
 *
 * A gap inside a record whose length covers it leaves the record layer in
 * step: the record is damaged (not parsed) and the next one is where its
 * length says. A gap anywhere else, or a header that cannot be one after
 * the first record, loses the boundaries: the bytes that follow are
 * searched for a header whose record is followed by another plausible
 * header (two in a row: a chance match in ciphertext is about one in 10^13),
 * holding at most 2 * (TLS_RECORD_MAX + 5) bytes while it looks.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "tls.h"
#include "tlsint.h"

enum { RL_HDR, RL_BODY, RL_LOST, RL_DEAD };

static const uint8_t empty[1];

/* The record is complete: frag is its fragment (NULL when not held). */
static void record_done(struct tls_flow *t, enum ss_dir d, const uint8_t *frag,
                        const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	struct tls_side *s = &t->side[d];
	uint8_t type = r->hdr[0];
	s->records++;
	if (r->enc) {
		s->enc_records++;
		s->enc_bytes += r->len;
		if (type == TLS_CT_ALERT)
			s->enc_alerts++;
	}
	if (type == TLS_CT_APPDATA && !r->sslv2)
		s->appdata_records++;
	int whole = frag && r->hold && !r->damaged && !r->over;
	struct ss_pos pos = {at->frame, at->ts, r->off + (r->sslv2 ? 2 : 5), 0, 0, 0};
	if (t->o.on_record && !r->sslv2) {
		struct tls_record rec = {d,      type,       (uint16_t)(r->hdr[1] << 8 | r->hdr[2]),
		                         r->len, r->hdr,     whole ? frag : NULL,
		                         r->enc, r->damaged, r->enc ? r->enc_seq : 0,
		                         r->off, at->frame,  at->ts};
		t->o.on_record(t->o.ctx, t, &rec);
	}
	if (r->enc)
		r->enc_seq++;
	else if (whole && r->sslv2)
		tls_hs_sslv2(t, d, frag, r->len, &pos);
	else if (whole)
		tls_hs_feed(t, d, type, frag, r->len, &pos);
	else if (r->damaged)
		tls_hs_gap(t, d, &pos);
	r->state = s->dead ? RL_DEAD : RL_HDR;
	r->hlen = 0;
	r->got = 0;
	r->damaged = r->over = r->sslv2 = 0;
	buf_reset(&r->body);
	buf_trim(&r->body, 4096); /* an idle flow keeps no more than a small record's room */
}

/* Boundaries are lost from stream offset off on: look for them again. */
static void lose(struct tls_flow *t, enum ss_dir d, uint64_t off, const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	r->state = RL_LOST;
	r->hlen = 0;
	r->got = 0;
	r->damaged = r->over = r->sslv2 = 0;
	buf_reset(&r->body);
	buf_trim(&r->body, 4096);
	buf_reset(&r->scan);
	r->off = off;
	tls_hs_gap(t, d, at);
}

/* Could h[0..5) start a record of this direction, after its first? */
static int plausible(const struct tls_flow *t, enum ss_dir d, const uint8_t *h)
{
	const struct tls_rl *r = &t->rl[d];
	unsigned len = (unsigned)(h[3] << 8 | h[4]);
	uint16_t v = (uint16_t)(h[1] << 8 | h[2]);
	if (h[0] < TLS_CT_CCS || h[0] > TLS_CT_HEARTBEAT || h[1] != 3 || h[2] > 4 || !len ||
	    len > TLS_RECORD_MAX)
		return 0;
	/* after the first record a side keeps one record version (TLS 1.3's
	 * is 0x0303 whatever the first ClientHello's said) */
	if (r->version && v != r->version && v != TLS_V12 && v != t->version)
		return 0;
	/* in TLS 1.3 an encrypted side sends application_data, and CCS only
	 * as its 1-byte compatibility record */
	if (t->version == TLS_V13 && t->side[d].encrypted && h[0] != TLS_CT_APPDATA &&
	    !(h[0] == TLS_CT_CCS && len == 1))
		return 0;
	return 1;
}

/* The header in r->hdr is complete; the record starts at stream offset off. */
static void header_done(struct tls_flow *t, enum ss_dir d, uint64_t off, const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	struct tls_side *s = &t->side[d];
	uint8_t type = r->hdr[0];
	r->off = off;
	if (!r->started && (type & 0x80)) {
		/* SSLv2's 2-byte header: msg_length 15 bits, then the message */
		r->started = 1;
		r->sslv2 = 1;
		r->enc = 0;
		r->len = (uint16_t)((type & 0x7f) << 8 | r->hdr[1]);
		r->got = 3;
		r->over = r->len > TLS_RECORD_MAX || r->len < 3;
		r->hold = !r->over;
		if (r->len < 3) {
			tls_say(t, d, TLS_SAY_NOT_TLS, at, off,
			        "an SSLv2 header of %u bytes: not TLS; the rest is only counted",
			        r->len);
			s->dead = 1;
			r->state = RL_DEAD;
			return;
		}
		if (r->hold && buf_add(&r->body, r->hdr + 2, 3)) {
			r->hold = 0;
			r->damaged = 1;
		}
		r->state = RL_BODY;
		if (r->got == r->len)
			record_done(t, d, r->body.p, at);
		return;
	}
	if (type < TLS_CT_CCS || type > TLS_CT_HEARTBEAT || r->hdr[1] != 3 || r->hdr[2] > 4) {
		char e[64];
		escape_str(e, sizeof e, r->hdr, 5);
		if (!r->started) {
			tls_say(
			    t, d, TLS_SAY_NOT_TLS, at, off,
			    "the first bytes are not a TLS record (%s); the rest is only counted",
			    e);
			s->dead = 1;
			r->state = RL_DEAD;
			return;
		}
		tls_say(t, d, TLS_SAY_NOT_TLS, at, off,
		        "bytes where a record should start are not a record header (%s); looking "
		        "for the next one",
		        e);
		/* a real header may start inside these five bytes */
		uint8_t rest[4];
		memcpy(rest, r->hdr + 1, 4);
		lose(t, d, off + 1, at);
		if (buf_add(&r->scan, rest, 4))
			r->off += 4;
		return;
	}
	r->started = 1;
	r->version = (uint16_t)(r->hdr[1] << 8 | r->hdr[2]);
	r->len = (uint16_t)(r->hdr[3] << 8 | r->hdr[4]);
	r->got = 0;
	r->enc = type == TLS_CT_APPDATA || (s->encrypted && !(type == TLS_CT_CCS && r->len == 1));
	r->over = 0;
	if (r->len > TLS_RECORD_MAX) {
		tls_say(t, d, TLS_SAY_OVERFLOW, at, off,
		        "a %s record of %u bytes, more than any record may have (%u); skipped",
		        tls_ct_name(type), r->len, TLS_RECORD_MAX);
		r->over = 1;
	} else if (!r->enc && r->len > TLS_PLAIN_MAX) {
		tls_say(t, d, TLS_SAY_OVERFLOW, at, off,
		        "a %s record in the clear of %u bytes, more than %u (RFC 8446 5.1)",
		        tls_ct_name(type), r->len, TLS_PLAIN_MAX);
	}
	if (!r->enc && !r->len)
		tls_say(t, d, TLS_SAY_EMPTY, at, off, "a %s record of no bytes (RFC 8446 5.1)",
		        tls_ct_name(type));
	r->hold = !r->over && (!r->enc || t->o.keep_ciphertext);
	r->state = RL_BODY;
	if (!r->len)
		record_done(t, d, empty, at);
}

static size_t feed_bytes(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at);

/* Lost: p[0..n) are searched with what came before. Returns what it took. */
static size_t lost_feed(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	size_t room = r->scan.cap - r->scan.len;
	size_t k = n < room ? n : room;
	if (!k || buf_add(&r->scan, p, k)) {
		/* no room (memory refused): these bytes are skipped unsearched */
		r->off += r->scan.len + (k ? k : 1);
		buf_reset(&r->scan);
		return k ? k : 1;
	}
	const uint8_t *b = r->scan.p;
	size_t have = r->scan.len, i = 0;
	for (; i + 5 <= have; i++) {
		if (!plausible(t, d, b + i))
			continue;
		size_t next = i + 5 + (size_t)(b[i + 3] << 8 | b[i + 4]);
		if (next + 5 > have)
			break; /* the earliest candidate waits for more bytes */
		if (plausible(t, d, b + next))
			goto found;
	}
	if (i + 5 > have)
		i = have > 4 ? have - 4 : 0;
	buf_consume(&r->scan, i);
	r->off += i;
	return k;
found:
	tls_say(t, d, TLS_SAY_RESYNC, at, r->off + i,
	        "record boundaries found again at stream offset %llu",
	        (unsigned long long)(r->off + i));
	{
		/* The records in the window, one at a time while they are
		 * plausible; the last, incomplete one goes on as usual. The
		 * window is taken out of r first: feeding may lose again. */
		struct buf w = r->scan;
		uint64_t woff = r->off;
		buf_init(&r->scan, w.cap);
		r->scan.acct = w.acct;
		r->state = RL_HDR;
		size_t j = i;
		while (j < w.len) {
			struct ss_pos pos = {at->frame, at->ts, woff + j, 0, 0, 0};
			if (j + 5 <= w.len && !plausible(t, d, w.p + j)) {
				/* stays lost: the rest of the window is searched again */
				r->state = RL_LOST;
				r->off = woff + j;
				if (buf_add(&r->scan, w.p + j, w.len - j))
					r->off += w.len - j;
				break;
			}
			size_t m = j + 5 <= w.len ? 5 + (size_t)(w.p[j + 3] << 8 | w.p[j + 4]) : 5;
			if (m > w.len - j)
				m = w.len - j;
			feed_bytes(t, d, w.p + j, m, &pos);
			j += m;
			if (r->state != RL_HDR)
				break; /* the last record is incomplete, or the side died */
		}
		buf_free(&w);
	}
	return k;
}

/* The state machine over p[0..n); at->off is p[0]'s offset. */
static size_t feed_bytes(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	size_t i = 0;
	while (i < n) {
		switch (r->state) {
		case RL_DEAD:
			return n;
		case RL_LOST: {
			struct ss_pos pos = *at;
			pos.off = at->off + i;
			i += lost_feed(t, d, p + i, n - i, &pos);
			break;
		}
		case RL_HDR: {
			if (!r->hlen)
				r->off = at->off + i;
			size_t k = 5 - (size_t)r->hlen < n - i ? 5 - (size_t)r->hlen : n - i;
			memcpy(r->hdr + r->hlen, p + i, k);
			r->hlen = (uint8_t)(r->hlen + k);
			i += k;
			if (r->hlen == 5)
				header_done(t, d, r->off, at);
			break;
		}
		case RL_BODY: {
			size_t want = r->len - r->got;
			size_t k = want < n - i ? want : n - i;
			if (!r->got && !r->body.len && k == r->len) {
				r->got = r->len;
				i += k;
				record_done(t, d, p + i - k, at); /* where it lies */
				break;
			}
			if (r->hold && !r->damaged) {
				int e = buf_add(&r->body, p + i, k);
				if (e) {
					tls_say(
					    t, d, TLS_SAY_GAP, at, at->off + i,
					    "no room to hold a record of %u bytes (%s): it is only "
					    "counted",
					    r->len, e == BUF_SHARED ? "--max-held-mem" : "memory");
					r->damaged = 1;
					buf_reset(&r->body);
				}
			}
			r->got += (uint32_t)k;
			i += k;
			if (r->got == r->len)
				record_done(t, d, r->hold && !r->damaged ? r->body.p : NULL, at);
			break;
		}
		}
	}
	return n;
}

size_t tls_feed(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                const struct ss_pos *at)
{
	t->side[d].bytes += n;
	return feed_bytes(t, d, p, n, at);
}

void tls_gap(struct tls_flow *t, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct tls_rl *r = &t->rl[d];
	struct tls_side *s = &t->side[d];
	s->gaps++;
	s->gap_bytes += len;
	if (r->state == RL_DEAD || !len)
		return;
	if (r->state == RL_BODY && len <= (uint64_t)(r->len - r->got)) {
		tls_say(t, d, TLS_SAY_GAP, at, at->off,
		        "%llu bytes lost inside a %s record of %u bytes: the record is skipped",
		        (unsigned long long)len, r->sslv2 ? "SSLv2" : tls_ct_name(r->hdr[0]),
		        r->len);
		r->damaged = 1;
		buf_reset(&r->body);
		r->got += (uint32_t)len;
		if (r->got == r->len)
			record_done(t, d, NULL, at);
		return;
	}
	if (r->state != RL_LOST || r->scan.len)
		tls_say(t, d, TLS_SAY_GAP, at, at->off,
		        "%llu bytes lost where record boundaries were: looking for them again",
		        (unsigned long long)len);
	lose(t, d, at->off + len, at);
}

void tls_end(struct tls_flow *t, const struct ss_pos *at)
{
	for (int i = 0; i < 2; i++) {
		enum ss_dir d = i ? SS_S2C : SS_C2S;
		struct tls_rl *r = &t->rl[d];
		struct tls_hsr *h = &t->hs[d];
		if (r->state == RL_BODY || (r->state == RL_HDR && r->hlen))
			tls_say(t, d, TLS_SAY_TRUNCATED, at, r->off,
			        "the flow ended inside a record (%u of its %u bytes came)",
			        r->state == RL_BODY ? r->got : r->hlen,
			        r->state == RL_BODY ? r->len + 5u : 5u);
		else if ((h->hlen || h->got) && !h->lost)
			tls_say(
			    t, d, TLS_SAY_TRUNCATED, at, r->off,
			    "the flow ended inside a handshake message (%u of its %u bytes came)",
			    h->hlen < 4 ? h->hlen : h->got + 4, h->hlen < 4 ? 4 : h->mlen + 4);
		buf_free(&r->body);
		buf_free(&r->scan);
		buf_free(&h->msg);
	}
}
