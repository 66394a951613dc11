/* dns.c - the DNS dissector (RFC 1035 4.1.1-4.1.2, 4.2.1 UDP, 4.2.2 TCP;
 * RFC 7766 6.2.1 pipelined TCP queries; RFC 5936 2.2 AXFR over several
 * messages; RFC 6762 6 and RFC 4795 2.4 for the multicast resolvers).
 *
 * A message is framed with the cursor, its names walked (dnswire.h: a
 * compression pointer must point back, or ldns would follow a loop 65535
 * times a name), parsed with ldns_wire2pkt(), and the packet freed before
 * the next one: a query waits for its response as its bytes (and the key
 * that pairs it), and is parsed again when the pair is emitted. Over TCP a
 * gap leaves the length prefixes meaningless; the direction is then
 * searched for a boundary that can be trusted (see resync()) instead of
 * being given up for the rest of the flow, because a long-lived resolver
 * connection carries many more messages after a loss.
 *
 * The waiting queries (their slots and their bytes) count in
 * --max-held-mem (util/memacct.h's ss_held), which bounds what all
 * sessions keep between packets: DNS_MAX_PENDING_BYTES a flow times
 * --max-flows would be 64 GB. When the account is full the flow's oldest
 * queries are given up (reported unanswered, saying why) to make room, or
 * else the new query is reported unanswered at once.
 */
#include "dns.h"

#include <ldns/ldns.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cur.h"
#include "dnstext.h"
#include "dnswire.h"
#include "event.h"
#include "memacct.h"
#include "probe.h"
#include "record.h"

/* What pairs a response with its query (RFC 1035 7.3: the id and the
 * question). The name is kept in wire form, lower-cased (RFC 4343). */
struct dns_key {
	uint16_t id, qtype, qclass;
	uint8_t has_q; /* the question is known */
	uint8_t qlen;
	uint8_t qname[255];
};

/* A query waiting for its response. */
struct dns_query {
	struct dns_key k;
	uint8_t *wire;         /* owned: the query's bytes */
	size_t len;            /* bytes in wire */
	const char *malformed; /* ldns's reason (static) when it did not parse */
	int64_t ts;
	uint64_t frame;
	uint8_t dir;      /* the side that asked */
	uint8_t xfr;      /* AXFR/IXFR: the answer spans several messages */
	uint8_t answered; /* an AXFR/IXFR whose first response came */
};

/* One direction of a TCP flow. */
struct dns_dir {
	uint8_t lost;     /* the framing is lost: looking for the next message */
	uint8_t bad_run;  /* messages ldns refused in a row */
	int8_t qr;        /* the QR bit of the last message that parsed; -1: none yet */
	uint64_t skipped; /* bytes skipped since the framing was lost */
	/* Resynchronising (stream offsets): the first position not looked at
	 * yet, and the boundaries that more bytes will decide, oldest first. */
	uint64_t scan;
	struct dns_cand {
		uint64_t off, need; /* where it is; the end of the bytes that decide it */
	} cand[DNS_RESYNC_CANDS];
	size_t ncand;
};

struct dns_flow {
	const struct ss_flow *f; /* borrowed: lives until close() */
	int tcp;
	int multicast; /* mDNS or LLMNR: answers travel in other flows */
	/* The pending queries, a ring: aq slots (0 or a power of two), the
	 * oldest at q[head], so that giving up the oldest (what the caps and
	 * the flow's end do, up to DNS_MAX_PENDING at a time) moves nothing. */
	struct dns_query *q;
	size_t head;
	size_t nq, aq; /* in use, allocated (aq slots count in ss_held) */
	size_t qbytes; /* sum of their lengths (counted in ss_held too) */
	struct dns_dir dir[2];
};

static const char *side_name(int qr)
{
	return qr == 0 ? "query" : qr == 1 ? "response" : "message";
}

static void key_name(struct dns_key *k, const uint8_t *p, size_t n)
{
	if (n > sizeof k->qname)
		return;
	for (size_t i = 0; i < n; i++)
		/* Label lengths are below 64, so only letters are changed. */
		k->qname[i] = (uint8_t)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	k->qlen = (uint8_t)n;
	k->has_q = 1;
}

static void key_from_pkt(struct dns_key *k, const ldns_pkt *p)
{
	memset(k, 0, sizeof *k);
	k->id = ldns_pkt_id(p);
	const ldns_rr_list *q = ldns_pkt_question(p);
	if (!q || !ldns_rr_list_rr_count(q))
		return;
	const ldns_rr *rr = ldns_rr_list_rr(q, 0);
	const ldns_rdf *owner = ldns_rr_owner(rr);
	if (!owner)
		return;
	k->qtype = (uint16_t)ldns_rr_get_type(rr);
	k->qclass = (uint16_t)ldns_rr_get_class(rr);
	key_name(k, ldns_rdf_data(owner), ldns_rdf_size(owner));
}

/* The key of a message ldns refused, as far as it can be read. Returns the
 * QR bit, or -1 when not even the id and flags are there. */
static int key_from_wire(struct dns_key *k, const uint8_t *p, size_t n)
{
	memset(k, 0, sizeof *k);
	struct cur c = cur_make(p, n);
	k->id = cur_be16(&c, "dns header");
	uint16_t flags = cur_be16(&c, "dns header");
	uint16_t qd = cur_be16(&c, "dns header");
	cur_skip(&c, 6, "dns header");
	if (c.off < 4)
		return -1;
	if (c.err || qd == 0)
		return flags >> 15;
	/* The question, when its name can be read (as ldns reads it, without
	 * following a pointer that does not point back): then the pair is
	 * found by the question too, not by the id alone. */
	uint8_t name[DNSWIRE_NAME_MAX];
	size_t pos = c.off, len;
	struct dnswire w = {0};
	if (dnswire_name(p, n, &pos, name, &len, &w) == LDNS_STATUS_OK && pos <= n) {
		c.off = pos;
		k->qtype = cur_be16(&c, "dns question");
		k->qclass = cur_be16(&c, "dns question");
		if (!c.err)
			key_name(k, name, len);
	}
	return flags >> 15;
}

/* A response answers a query with its id and, when both carry one, its
 * question (a FORMERR may come without). */
static int key_match(const struct dns_key *q, const struct dns_key *r)
{
	if (q->id != r->id)
		return 0;
	if (!q->has_q || !r->has_q)
		return 1;
	return q->qtype == r->qtype && q->qclass == r->qclass && q->qlen == r->qlen &&
	       !memcmp(q->qname, r->qname, q->qlen);
}

static void emit(struct dns_flow *s, const struct rec_dns *d)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_DNS;
	r.flow = s->f;
	r.u.dns = *d;
	r.u.dns.tcp = s->tcp;
	record_emit(&r);
}

/* Fills the query side of d from q. *pkt receives the query parsed again
 * (NULL when it was malformed): the caller frees it after the emit. */
static void query_side(struct rec_dns *d, const struct dns_query *q, ldns_pkt **pkt)
{
	*pkt = NULL;
	d->ts_query = q->ts;
	d->frame_query = q->frame;
	ldns_status rc = q->malformed ? LDNS_STATUS_OK : ldns_wire2pkt(pkt, q->wire, q->len);
	if (q->malformed || rc != LDNS_STATUS_OK) {
		/* It parsed once: only memory can make it fail now. */
		d->malformed = q->malformed ? q->malformed : ldns_get_errorstr_by_id(rc);
		d->raw.p = q->wire;
		d->raw.len = q->len;
		*pkt = NULL;
	}
	d->query = *pkt;
}

/* The question of pkt (or of the raw bytes' key) for an event's detail. */
static const char *what_asked(char *buf, size_t cap, const ldns_pkt *pkt, const struct dns_key *k)
{
	struct dnstext t;
	dnstext_init(&t, buf, cap);
	if (pkt) {
		dnstext_question(&t, pkt);
	} else {
		char id[24];
		snprintf(id, sizeof id, "id %u", k->id);
		dnstext_put(&t, id);
	}
	return buf;
}

/* The pending query i, 0 the oldest (i < nq). */
static struct dns_query *qat(struct dns_flow *s, size_t i)
{
	return &s->q[(s->head + i) & (s->aq - 1)];
}

/* Removes the pending query i, freeing its bytes. The queries on its
 * shorter side close the hole: none for the oldest or the newest, at most
 * half of DNS_MAX_PENDING for one a response took from the middle. */
static void drop_query(struct dns_flow *s, size_t i)
{
	struct dns_query *q = qat(s, i);
	s->qbytes -= q->len;
	memacct_give(&ss_held, q->len);
	free(q->wire);
	if (i < s->nq - 1 - i) {
		for (size_t j = i; j > 0; j--)
			*qat(s, j) = *qat(s, j - 1);
		s->head = (s->head + 1) & (s->aq - 1);
	} else {
		for (size_t j = i; j + 1 < s->nq; j++)
			*qat(s, j) = *qat(s, j + 1);
	}
	s->nq--;
}

/* Reports the pending query i as unanswered, then drops it. why says what
 * ended the wait; held: --max-held-mem did, which is said as an event
 * whatever the query (reassembly says nothing for a datagram). */
static void give_up_why(struct dns_flow *s, size_t i, const char *why, int held)
{
	struct dns_query *q = qat(s, i);
	if (!q->answered) {
		struct rec_dns d;
		memset(&d, 0, sizeof d);
		ldns_pkt *qp;
		query_side(&d, q, &qp);
		/* A malformed query already raised dns_malformed; the multicast
		 * resolvers answer in another flow. */
		if (held || (!q->malformed && !s->multicast)) {
			char b[320];
			ss_eventf("dns", "dns_unanswered", q->frame, q->ts, s->f->id, q->dir,
			          "%s (id %u) got no response: %s",
			          what_asked(b, sizeof b, qp, &q->k), q->k.id, why);
		}
		emit(s, &d);
		ldns_pkt_free(qp);
	}
	drop_query(s, i);
}

static void give_up(struct dns_flow *s, size_t i, const char *why)
{
	give_up_why(s, i, why, 0);
}

/* Takes room for one more query of n bytes in ss_held: a free slot (the
 * slots grow by doubling, each counted) and its bytes. 0, or -1 with
 * nothing more taken. The ring only grows when full, its oldest at head:
 * the slots before head, the newest, move to just past the old end, where
 * the order continues. */
static int take_room(struct dns_flow *s, size_t n)
{
	if (s->nq == s->aq) {
		size_t a = s->aq ? s->aq * 2 : 8;
		size_t more = (a - s->aq) * sizeof *s->q;
		if (memacct_take(&ss_held, ss_held.cap, more))
			return -1;
		struct dns_query *nq = realloc(s->q, a * sizeof *nq);
		if (!nq) {
			memacct_give(&ss_held, more);
			return -1;
		}
		memcpy(&nq[s->aq], &nq[0], s->head * sizeof *nq);
		s->q = nq;
		s->aq = a;
	}
	return memacct_take(&ss_held, ss_held.cap, n);
}

/* Keeps a query until its response comes. pkt is the query as ldns
 * parsed it, or NULL with malformed, ldns's reason, when it did not parse
 * (its key then comes from what could be read). */
static void add_query(struct dns_flow *s, enum ss_dir d, const struct dns_key *k, int xfr,
                      const uint8_t *p, size_t n, const ldns_pkt *pkt, const char *malformed,
                      const struct ss_pos *at)
{
	while (s->nq && (s->nq >= DNS_MAX_PENDING || s->qbytes + n > DNS_MAX_PENDING_BYTES)) {
		char why[96];
		snprintf(why, sizeof why, "gave up after %d queries or %u bytes were pending",
		         DNS_MAX_PENDING, DNS_MAX_PENDING_BYTES);
		give_up(s, 0, why);
	}
	/* All sessions' share is full: this flow's oldest queries make room,
	 * as many as free n bytes (and with the first, a slot); past that the
	 * room is held by other flows, and the new query is the one let go. */
	int room = take_room(s, n) == 0;
	size_t freed = 0;
	while (!room && s->nq && (freed == 0 || freed < n)) {
		freed += qat(s, 0)->len;
		give_up_why(s, 0, "given up to make room: --max-held-mem (all sessions) is full",
		            1);
		room = take_room(s, n) == 0;
	}
	uint8_t *w = room ? malloc(n ? n : 1) : NULL;
	if (room && !w)
		memacct_give(&ss_held, n);
	struct dns_query q;
	memset(&q, 0, sizeof q);
	q.k = *k;
	q.len = n;
	q.malformed = malformed;
	q.ts = at->ts;
	q.frame = at->frame;
	q.dir = (uint8_t)d;
	q.xfr = (uint8_t)xfr;
	if (!w) {
		/* Refused, or out of memory: the query is reported now,
		 * unanswered. */
		q.wire = (uint8_t *)(uintptr_t)p;
		struct rec_dns rd;
		memset(&rd, 0, sizeof rd);
		ldns_pkt *qp;
		query_side(&rd, &q, &qp);
		if (!room) {
			char b[320];
			ss_eventf("dns", "dns_unanswered", at->frame, at->ts, s->f->id, d,
			          "%s (id %u) not kept to wait for its response: --max-held-mem "
			          "(all sessions) is full",
			          what_asked(b, sizeof b, qp, k), k->id);
		}
		emit(s, &rd);
		ldns_pkt_free(qp);
		return;
	}
	memcpy(w, p, n);
	q.wire = w;
	*qat(s, s->nq) = q;
	s->nq++;
	s->qbytes += n;
	/* Said at once, with the parse it came with: a verifier checking a
	 * hop before this flow ends can tell a question asked and unanswered
	 * from one nobody asked. */
	if (pkt) {
		struct rec_dns rd;
		memset(&rd, 0, sizeof rd);
		rd.query = pkt;
		rd.ts_query = at->ts;
		rd.frame_query = at->frame;
		rd.pending = 1;
		emit(s, &rd);
	}
}

/* The pending query that the response with key k from side d answers: the
 * oldest unanswered one, else a zone transfer already under way. */
static struct dns_query *find_query(struct dns_flow *s, enum ss_dir d, const struct dns_key *k,
                                    size_t *at)
{
	struct dns_query *xfr = NULL;
	for (size_t i = 0; i < s->nq; i++) {
		struct dns_query *q = qat(s, i);
		if (q->dir == d || !key_match(&q->k, k))
			continue;
		if (!q->answered) {
			*at = i;
			return q;
		}
		if (!xfr) {
			xfr = q;
			*at = i;
		}
	}
	return xfr;
}

/* After q (at index i) got a response: a zone transfer stays for the
 * messages that follow; anything else is done. */
static void settle(struct dns_flow *s, size_t i)
{
	struct dns_query *q = qat(s, i);
	if (q->xfr) {
		q->answered = 1;
		return;
	}
	drop_query(s, i);
}

/* A message ldns refused. A readable query waits for its response like any
 * other; a response is paired when its query is pending. */
static void malformed(struct dns_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at, const char *why)
{
	struct dns_key k;
	int qr = key_from_wire(&k, p, n);
	ss_eventf("dns", "dns_malformed", at->frame, at->ts, s->f->id, d, "%s of %zu bytes: %s",
	          side_name(qr), n, why);
	if (qr == 0) {
		add_query(s, d, &k, 0, p, n, NULL, why, at);
		return;
	}
	struct rec_dns rd;
	memset(&rd, 0, sizeof rd);
	rd.malformed = why;
	rd.raw.p = p;
	rd.raw.len = n;
	if (qr < 0) {
		/* Not even the QR bit: counted as a query, which is what a short
		 * message to a server most likely was. */
		rd.ts_query = at->ts;
		rd.frame_query = at->frame;
		emit(s, &rd);
		return;
	}
	rd.ts_response = at->ts;
	rd.frame_response = at->frame;
	size_t i;
	struct dns_query *q = find_query(s, d, &k, &i);
	if (q && q->malformed) {
		/* Both sides malformed: one record cannot hold two raw messages;
		 * the query goes first, on its own. */
		give_up(s, i, "its response was malformed too");
		q = NULL;
	}
	ldns_pkt *qp = NULL;
	if (q)
		query_side(&rd, q, &qp);
	rd.malformed = why; /* query_side() leaves the response's reason alone */
	rd.raw.p = p;
	rd.raw.len = n;
	emit(s, &rd);
	ldns_pkt_free(qp);
	if (q)
		settle(s, i);
}

/* One whole message from side d. Returns 0, or -1 when ldns refused it. */
static int message(struct dns_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                   const struct ss_pos *at)
{
	struct dnswire w;
	if (dnswire_check(p, n, &w)) {
		malformed(s, d, p, n, at, w.bad);
		return -1;
	}
	ldns_pkt *pkt = NULL;
	ldns_status rc = ldns_wire2pkt(&pkt, p, n);
	if (rc != LDNS_STATUS_OK) {
		malformed(s, d, p, n, at, ldns_get_errorstr_by_id(rc));
		return -1;
	}
	struct dns_key k;
	key_from_pkt(&k, pkt);
	s->dir[d].qr = (int8_t)ldns_pkt_qr(pkt);
	if (!ldns_pkt_qr(pkt)) {
		int xfr = k.has_q && (k.qtype == LDNS_RR_TYPE_AXFR || k.qtype == LDNS_RR_TYPE_IXFR);
		add_query(s, d, &k, xfr, p, n, pkt, NULL, at);
		ldns_pkt_free(pkt);
		return 0;
	}
	struct rec_dns rd;
	memset(&rd, 0, sizeof rd);
	rd.response = pkt;
	rd.ts_response = at->ts;
	rd.frame_response = at->frame;
	size_t i;
	struct dns_query *q = find_query(s, d, &k, &i);
	ldns_pkt *qp = NULL;
	if (q) {
		query_side(&rd, q, &qp);
	} else if (!s->multicast) {
		char b[320];
		ss_eventf("dns", "dns_unsolicited", at->frame, at->ts, s->f->id, d,
		          "response %s (id %u) to a query the flow did not carry",
		          what_asked(b, sizeof b, pkt, &k), k.id);
	}
	emit(s, &rd);
	ldns_pkt_free(qp);
	ldns_pkt_free(pkt);
	if (q)
		settle(s, i);
	return 0;
}

/* A header a real message of len bytes could have (the probe's test, made
 * stricter for resynchronisation): a known opcode, the Z bit clear, exactly
 * one question (as nearly every message has), counts that fit, and the QR
 * bit this direction has been sending (qr < 0: any). */
static int header_plausible(const uint8_t *h, size_t len, int qr)
{
	struct cur c = cur_make(h, 12);
	cur_skip(&c, 2, "dns header");
	uint16_t flags = cur_be16(&c, "dns header");
	size_t qd = cur_be16(&c, "dns header"), an = cur_be16(&c, "dns header");
	size_t ns = cur_be16(&c, "dns header"), ar = cur_be16(&c, "dns header");
	unsigned opcode = (flags >> 11) & 15;
	if (c.err || len < 12 || opcode == 3 || opcode > 6 || (flags & 0x40) || qd != 1)
		return 0;
	if (qr >= 0 && (flags >> 15) != (unsigned)qr)
		return 0;
	return 12 + qd * 5 + (an + ns + ar) * 11 <= len;
}

static int parses(const uint8_t *p, size_t n)
{
	struct dnswire w;
	if (dnswire_check(p, n, &w))
		return 0; /* not a message ldns may read */
	ldns_pkt *pkt = NULL;
	ldns_status rc = ldns_wire2pkt(&pkt, p, n);
	ldns_pkt_free(pkt);
	return rc == LDNS_STATUS_OK;
}

static size_t skip(struct dns_dir *h, size_t n)
{
	h->skipped += n;
	return n;
}

enum verdict {
	V_NO,     /* no message starts here */
	V_YES,    /* a message starts here, beyond reasonable doubt */
	V_WAIT,   /* a candidate: *need bytes of the buffer would decide it */
	V_TAIL,   /* too few bytes left to even look */
	V_BUDGET, /* DNS_RESYNC_TRIES parses spent in this call */
};

/* Judges a boundary at p[i] of p[0..n). It is trusted when the length
 * there frames a plausible header that ldns parses, and what follows the
 * message is the end of the bytes so far (a sender writes a message per
 * segment) or another plausible header. last: nothing more comes, so what
 * cannot be decided now is a no. */
static enum verdict judge(const uint8_t *p, size_t n, size_t i, int qr, int last, int *tries,
                          size_t *need)
{
	struct cur c = cur_make(p + i, n - i);
	size_t len = cur_be16(&c, "dns length");
	const uint8_t *hdr = cur_ptr(&c, 12, "dns header");
	if (c.err)
		return last ? V_NO : V_TAIL;
	if (!header_plausible(hdr, len, qr))
		return V_NO;
	*need = i + 2 + len;
	if (len > cur_left(&c) + 12)
		return last ? V_NO : V_WAIT;
	if (*tries >= DNS_RESYNC_TRIES)
		return V_BUDGET;
	++*tries;
	if (!parses(hdr, len))
		return V_NO;
	if (i + 2 + len == n)
		return V_YES;
	struct cur nc = cur_make(p + i + 2 + len, n - i - 2 - len);
	size_t nlen = cur_be16(&nc, "dns length");
	const uint8_t *nh = cur_ptr(&nc, 12, "dns header");
	if (nc.err) {
		*need = i + 2 + len + 14; /* see what follows first */
		return last ? V_YES : V_WAIT;
	}
	return header_plausible(nh, nlen, qr) ? V_YES : V_NO;
}

static void forget_candidate(struct dns_dir *h, size_t k)
{
	memmove(&h->cand[k], &h->cand[k + 1], (h->ncand - k - 1) * sizeof h->cand[0]);
	h->ncand--;
}

/* Looks for the next message boundary in p[0..n) (stream offset at->off)
 * of a direction whose framing is lost. Returns the bytes to skip; h->lost
 * is cleared when the boundary is at that offset.
 *
 * The work is linear: each position is looked at once (h->scan); those
 * that need more bytes to be judged are remembered (the first
 * DNS_RESYNC_CANDS: a segment after a gap most often starts with a message)
 * and judged again once the bytes that decide them came. At most DNS_RESYNC_TRIES candidates are
 * parsed per call, and at most DNS_RESYNC_HOLD bytes are kept. */
static size_t resync(struct dns_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                     const struct ss_pos *at)
{
	struct dns_dir *h = &s->dir[d];
	uint64_t base = at->off, end = at->off + n;
	int tries = 0;
	size_t i, need = 0, found = SIZE_MAX;
	/* The candidates found before, oldest first. */
	for (size_t k = 0; k < h->ncand && found == SIZE_MAX;) {
		struct dns_cand *c = &h->cand[k];
		if (c->off < base || c->off >= end) {
			forget_candidate(h, k); /* bytes dropped under it */
			continue;
		}
		if (c->need > end && !at->last) {
			k++;
			continue;
		}
		i = (size_t)(c->off - base);
		enum verdict v = judge(p, n, i, h->qr, at->last, &tries, &need);
		if (v == V_YES)
			found = i;
		else if (v == V_NO)
			forget_candidate(h, k);
		else {
			c->need = v == V_WAIT ? base + need : end + 1;
			k++;
		}
	}
	/* The positions not looked at yet. */
	for (i = h->scan > base ? (size_t)(h->scan - base) : 0; i < n && found == SIZE_MAX; i++) {
		enum verdict v = judge(p, n, i, h->qr, at->last, &tries, &need);
		if (v == V_YES)
			found = i;
		if (v == V_TAIL || v == V_BUDGET)
			break;
		if (v != V_WAIT)
			continue;
		if (h->ncand == DNS_RESYNC_CANDS)
			continue; /* the earliest are the likeliest: kept */
		h->cand[h->ncand].off = base + i;
		h->cand[h->ncand].need = base + need;
		h->ncand++;
	}
	if (found != SIZE_MAX) {
		ss_eventf("dns", "dns_resync", at->frame, at->ts, s->f->id, d,
		          "messages found again at offset %llu after %llu bytes skipped",
		          (unsigned long long)(base + found),
		          (unsigned long long)(h->skipped + found));
		h->lost = 0;
		h->bad_run = 0;
		return found;
	}
	h->scan = base + i;
	if (at->last)
		return skip(h, n);
	/* Keep the bytes from the oldest candidate, or from where to look on;
	 * a message longer than DNS_RESYNC_HOLD is not worth waiting for. */
	uint64_t keep = h->ncand && h->cand[0].off < h->scan ? h->cand[0].off : h->scan;
	if (end - keep > DNS_RESYNC_HOLD) {
		keep = end - DNS_RESYNC_HOLD;
		while (h->ncand && h->cand[0].off < keep)
			forget_candidate(h, 0);
		if (h->scan < keep)
			h->scan = keep;
	}
	return skip(h, (size_t)(keep - base));
}

static void lose_framing(struct dns_flow *s, enum ss_dir d, const struct ss_pos *at, uint64_t off,
                         const char *why)
{
	struct dns_dir *h = &s->dir[d];
	/* Bytes may have been dropped (a gap): what was looked at is stale. */
	h->scan = 0;
	h->ncand = 0;
	if (h->lost)
		return;
	ss_eventf("dns", "dns_framing_lost", at->frame, at->ts, s->f->id, d,
	          "%s at offset %llu: looking for the next message", why, (unsigned long long)off);
	h->lost = 1;
	h->skipped = 0;
}

/* A header that could be real for the probe: a known opcode, and section
 * counts a message of len bytes could hold (a question takes at least 5
 * bytes, a record 11). */
static int probe_plausible(const uint8_t *p, size_t n, size_t len)
{
	struct cur c = cur_make(p, n);
	cur_skip(&c, 2, "dns header");
	unsigned opcode = (cur_be16(&c, "dns header") >> 11) & 15;
	size_t qd = cur_be16(&c, "dns header"), an = cur_be16(&c, "dns header");
	size_t ns = cur_be16(&c, "dns header"), ar = cur_be16(&c, "dns header");
	return !c.err && len >= 12 && opcode != 3 && opcode <= 6 &&
	       12 + qd * 5 + (an + ns + ar) * 11 <= len;
}

enum ss_probe dns_probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)d;
	if (!port_dns(f))
		return SS_PROBE_NO;
	if (f->proto == 17)
		/* On its ports a datagram that is no good DNS is still DNS, a
		 * malformed message: "more" leaves the choice to the port. */
		return probe_plausible(p, n, n) ? SS_PROBE_YES : SS_PROBE_MORE;
	struct cur c = cur_make(p, n);
	size_t len = cur_be16(&c, "dns length");
	if (!c.err && len < 12)
		return SS_PROBE_NO; /* no DNS message is shorter than its header */
	if (n < 14)
		return SS_PROBE_MORE;
	return probe_plausible(cur_rest(&c), cur_left(&c), len) ? SS_PROBE_YES : SS_PROBE_NO;
}

void *dns_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	struct dns_flow *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->tcp = f->proto == 6;
	for (int d = 0; d < 2; d++) {
		uint16_t port = f->ep[d].port;
		if (port == 5353 || port == 5355)
			s->multicast = 1;
		s->dir[d].qr = -1;
	}
	return s;
}

/* What the flow still has to say: its queries awaiting a response, oldest
 * first (a multicast query's, until the flow ends: its answer comes in
 * another flow); over TCP, unsure (ss_flow_open_unsure) while bytes are
 * left over for the next segment or the framing is lost. */
static void open_since(struct dns_flow *s, int sure, const struct ss_pos *at)
{
	if (sure)
		ss_flow_open_since(s->f, s->nq ? qat(s, 0)->ts : INT64_MAX, at);
	else
		ss_flow_open_unsure(s->f, at);
}

/* RFC 1035 4.2.2's messages, each after its two-byte length; returns the
 * bytes used, a message cut by the segment's end left over. */
static size_t stream_data(struct dns_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                          const struct ss_pos *at)
{
	struct dns_dir *h = &s->dir[d];
	size_t off = 0;
	while (off < n) {
		if (h->lost) {
			struct ss_pos rp = *at;
			rp.off = at->off + off;
			off += resync(s, d, p + off, n - off, &rp);
			if (h->lost)
				return off;
			continue;
		}
		/* RFC 1035 4.2.2: a two-byte length, then the message. */
		struct cur c = cur_make(p + off, n - off);
		uint16_t len = cur_be16(&c, "dns length");
		const uint8_t *m = cur_ptr(&c, len, "dns message");
		if (c.err)
			break;
		int bad = message(s, d, m, len, at);
		off += 2 + (size_t)len;
		if (!bad)
			h->bad_run = 0;
		else if (++h->bad_run >= DNS_MAX_BAD_RUN)
			lose_framing(s, d, at, at->off + off, "unparsable messages in a row");
	}
	if (off < n && at->last) {
		/* Nothing follows these bytes directly: the message is cut. */
		struct cur c = cur_make(p + off, n - off);
		uint16_t len = cur_be16(&c, "dns length");
		if (!c.err)
			ss_eventf("dns", "dns_cut", at->frame, at->ts, s->f->id, d,
			          "message of %u bytes cut after %zu at offset %llu", len,
			          cur_left(&c), (unsigned long long)(at->off + off));
		else
			ss_eventf("dns", "dns_cut", at->frame, at->ts, s->f->id, d,
			          "length prefix cut after 1 byte at offset %llu",
			          (unsigned long long)(at->off + off));
		off = n;
	}
	return off;
}

size_t dns_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct dns_flow *s = st;
	if (!s)
		return n;
	size_t used = stream_data(s, d, p, n, at);
	open_since(s, used == n && !s->dir[d].lost, at);
	return used;
}

void dns_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct dns_flow *s = st;
	if (!s || !s->tcp)
		return;
	char why[48];
	snprintf(why, sizeof why, "%llu bytes missing", (unsigned long long)len);
	lose_framing(s, d, at, at->off, why);
	open_since(s, 0, at);
}

void dns_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct dns_flow *s = st;
	if (!s)
		return;
	message(s, d, p, n, at);
	open_since(s, 1, at);
}

void dns_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f, (void)at;
	struct dns_flow *s = st;
	if (!s)
		return;
	while (s->nq)
		give_up(s, 0, "the flow ended");
	memacct_give(&ss_held, s->aq * sizeof *s->q);
	free(s->q);
	free(s);
}

const struct ss_proto *dns_proto(void)
{
	static const struct ss_proto p = {
	    .name = "dns",
	    .probe = dns_probe,
	    .port_hint = port_dns,
	    .open = dns_open,
	    .data = dns_data,
	    .gap = dns_gap,
	    .datagram = dns_datagram,
	    .close = dns_close,
	};
	return &p;
}
