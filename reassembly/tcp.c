/* tcp.c - TCP stream reassembly (RFC 9293): sequence numbers to stream
 * offsets, segments held behind holes, retransmissions dropped, overlaps
 * resolved first-copy-wins, and every hole declared as a gap.
 *
 * When is a hole given up on? When the peer acknowledges past it (the data
 * existed, the capture missed it), when the connection resets, when memory
 * caps force it, when the flow idles out or the capture ends. A FIN alone
 * does not: the missing bytes may still come as a retransmission, and the
 * peer's acknowledgement of the FIN settles it.
 *
 * Order across the two directions: a segment's bytes are delivered only
 * after the peer's bytes it acknowledges. A reply therefore never reaches a
 * dissector before the command it answers - not when the capture shows the
 * reply first, and not when the command was lost and must first be declared
 * a gap. Giving up a hole keeps that order for everything queued behind it:
 * when one side waits for bytes behind the other side's hole, that hole is
 * given up next (at once under memory caps or at the flow's end, else when
 * its own --ack-wait is over). A segment goes out ahead of the bytes it
 * acknowledges only where no gap is proven (nothing of the peer's captured
 * past them, or bogus ACKs), and then one segment at a time.
 *
 * Cost: a hostile capture can queue millions of one-byte segments behind a
 * hole, in any order. Each queued segment therefore also sits in a treap
 * (a search tree balanced by random priorities) keyed by offset, so that
 * placing a segment costs O(log n) however many wait; appending at the
 * end and taking the first, the common cases, cost O(1). What a segment
 * costs in memory - its header, the tree's links, the allocator's own -
 * counts against --max-flow-mem and --max-mem with its bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cur.h"
#include "event.h"
#include "reasm_int.h"
#include "treap.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define MAX_ACK_JUMP (UINT64_C(1) << 30) /* a larger jump is a bogus ACK, not a hole */

static const char ACKED_MISSING[] = "acknowledged by the peer, never captured";

/* The queue of a direction is the list h->ooo, sorted by offset, through
 * seg->next; its index is a treap over the same segments. Each segment is
 * allocated behind its node (struct seg ends in its bytes, so the node
 * cannot follow it). The root is found by climbing from the first segment,
 * whose node also knows the last: no field of struct half is needed. */
struct node {
	struct ss_tnode t;
	struct seg *last; /* valid in the first segment's node only */
};
_Static_assert(sizeof(struct node) % _Alignof(struct seg) == 0, "a seg follows its node");

/* What a queued segment of len bytes holds: its bytes, its header and node,
 * and the allocator's header and rounding (glibc's: 8 bytes and up to 16). */
#define SEG_COST(len) ((uint64_t)(len) + sizeof(struct node) + sizeof(struct seg) + 16)

static struct node *node_of(const struct seg *s)
{
	return (struct node *)((char *)(uintptr_t)s - sizeof(struct node));
}

static struct seg *seg_at(struct node *n)
{
	return (struct seg *)(void *)(n + 1);
}

static uint64_t seg_end(const struct seg *s)
{
	return s->off + s->len;
}

/* Puts s into h's queue right after prev (NULL: first). In the tree, s
 * becomes a leaf where the order wants it: prev's right child when prev has
 * none, else the left child of prev's successor, which then has none (it
 * is the leftmost of prev's right subtree, or the first segment). */
static void queue_link(struct half *h, struct seg *prev, struct seg *s)
{
	struct node *n = node_of(s);
	struct seg *next = prev ? prev->next : h->ooo;
	s->next = next;
	ss_treap_insert(NULL, prev ? &node_of(prev)->t : NULL, next ? &node_of(next)->t : NULL,
	                &n->t);
	if (prev) {
		prev->next = s;
	} else {
		n->last = next ? node_of(next)->last : s;
		if (!h->ooo)
			h->ooo_since = s->ts; /* the queue begins: everything in it comes later */
		h->ooo = s;
	}
	if (!next)
		node_of(h->ooo)->last = s;
}

/* Takes h's first segment out of its queue. It has no left child, and is
 * its parent's left child: its right subtree takes its place. */
static struct seg *queue_pop(struct half *h)
{
	struct seg *s = h->ooo;
	struct node *n = node_of(s);
	ss_treap_pop_first(NULL, &n->t);
	h->ooo = s->next;
	if (h->ooo)
		node_of(h->ooo)->last = n->last;
	return s;
}

/* The last queued segment of h that ends at or before offset pos; NULL
 * when none does. Queued segments do not overlap, so ends are sorted too. */
static struct seg *queue_before(const struct half *h, uint64_t pos)
{
	struct seg *first = h->ooo, *best = NULL;
	if (!first || seg_end(first) > pos)
		return NULL;
	if (seg_end(node_of(first)->last) <= pos)
		return node_of(first)->last; /* appending behind the others, the common case */
	for (struct ss_tnode *x = ss_treap_root(&node_of(first)->t); x;) {
		struct seg *q = seg_at((struct node *)(void *)x); /* t is the node's first member */
		if (seg_end(q) <= pos) {
			best = q;
			x = x->r;
		} else {
			x = x->l;
		}
	}
	return best;
}

/* The stream offset of seq: the reading nearest to next, which is right
 * for any window below 2 GiB and makes wrap-around at 2^32 a non-event. */
static int64_t seq_off(const struct half *h, uint32_t seq)
{
	uint32_t next_seq = h->base_seq + (uint32_t)h->next;
	return (int64_t)h->next + (int32_t)(seq - next_seq);
}

/* Compares a retransmitted range with the copy delivered first. */
static void rexmit_check(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t off,
                         const uint8_t *p, size_t n)
{
	struct half *h = &f->h[d];
	int differs;
	f->pub.st[d].rexmit_bytes += n;
	if (ring_cmp(&h->hist, h->next, off, p, n, &differs) && differs) {
		f->pub.st[d].conflicts++;
		ss_eventf("tcp", "rexmit_conflict", r->frame, r->now, f->pub.id, d,
		          "a retransmission of offset %llu..%llu differs from the first copy; the "
		          "first is kept",
		          (unsigned long long)off, (unsigned long long)(off + n));
	}
}

static void in_order(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                     uint64_t frame, int64_t ts)
{
	struct half *h = &f->h[d];
	/* Over --max-mem a ring that would grow is let go instead: this
	 * direction's retransmissions are no longer compared (a million idle
	 * flows' rings would otherwise go past the cap one by one). */
	if (h->hist.size && h->hist.alloc < h->hist.size && h->hist.len + n > h->hist.alloc &&
	    mem_over(r)) {
		mem_add(r, f, -(int64_t)ring_free(&h->hist, &r->rings));
		h->hist.size = 0;
	}
	long added = ring_push(&h->hist, &r->rings, h->next, p, n);
	if (added > 0)
		mem_add(r, f, added);
	uint64_t off = h->next;
	h->next += n;
	deliver_data(r, f, d, p, n, off, frame, ts);
}

static void gap_to(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t end, const char *why)
{
	struct half *h = &f->h[d];
	if (end <= h->next)
		return;
	uint64_t off = h->next;
	deliver_gap(r, f, d, off, end - off,
	            why); /* before next moves: pending bytes end at next */
	h->next = end;
	h->hist.len = 0; /* the ring holds only bytes contiguous with next */
}

/* The first queued segment of h when no hole is before it: all it can
 * still wait for is the peer's bytes it acknowledged. */
static struct seg *ready(const struct half *h)
{
	return h->ooo && h->ooo->off <= h->next ? h->ooo : NULL;
}

/* Delivers direction d's first queued segment, which must be ready(). */
static void take_head(struct ss_reasm *r, struct flow *f, enum ss_dir d)
{
	struct half *h = &f->h[d];
	struct seg *s = queue_pop(h);
	h->ooo_bytes -= SEG_COST(s->len);
	r->ooo_now -= SEG_COST(s->len);
	mem_add(r, f, -(int64_t)SEG_COST(s->len));
	if (s->off + s->len > h->next) {
		uint64_t skip = h->next - s->off;
		in_order(r, f, d, s->data + skip, s->len - skip, s->frame, s->ts);
	}
	if (s->cut && h->next == s->off + s->len)
		gap_to(r, f, d, h->next + s->cut, "cut by the snap length");
	free(node_of(s));
}

/* Delivers direction d's queued segments that have become contiguous and
 * whose acknowledged peer bytes are out. Returns 1 when anything moved. */
static int drain(struct ss_reasm *r, struct flow *f, enum ss_dir d)
{
	const struct half *o = &f->h[!d];
	struct seg *s;
	int moved = 0;
	while ((s = ready(&f->h[d])) && s->need <= o->next) {
		take_head(r, f, d);
		moved = 1;
	}
	return moved;
}

/* Drains both directions until neither moves: bytes delivered one way can
 * free segments the other way that waited for them. Each round delivers a
 * segment or ends, so the cost is linear in what is delivered. */
static void progress(struct ss_reasm *r, struct flow *f)
{
	while (drain(r, f, SS_C2S) | drain(r, f, SS_S2C))
		;
}

/* Delivers the ready segment captured first - direction d's, which must be
 * ready(), or the peer's - ahead of the peer bytes it acknowledged. For when
 * no gap can be proven: one segment, and the normal order resumes behind it. */
static void force_first(struct ss_reasm *r, struct flow *f, enum ss_dir d)
{
	const struct half *o = &f->h[!d];
	take_head(r, f, ready(o) && o->ooo->frame < f->h[d].ooo->frame ? (enum ss_dir) !d : d);
}

/* One step for a flow where progress() has stopped but direction d's first
 * queued segment must move (a memory cap, the flow's end). Gives up the
 * hole before it; else, when the peer has bytes queued behind a hole of its
 * own, that hole, up to the bytes d's segment acknowledged: the hole is
 * real, and the gap keeps replies after their commands. At the flow's end
 * (ending), the peer's bytes d's segment acknowledged will never come
 * either: when the peer was captured at all, they are a gap too (a lost
 * last command before its reply). When the peer has nothing captured past
 * its missing bytes (a one-sided capture, or bytes still on their way),
 * or waits for d's bytes in turn (bogus ACKs), force_first(). Each step
 * moves a next offset forward or delivers a segment, so loops over it end. */
static void release(struct ss_reasm *r, struct flow *f, enum ss_dir d, const char *why, int ending)
{
	struct half *h = &f->h[d], *o = &f->h[!d];
	struct seg *s = h->ooo;
	if (s->off > h->next)
		gap_to(r, f, d, s->off, why);
	else if (o->ooo && !ready(o)) /* s waits, so s->need > o->next: never empty */
		gap_to(r, f, (enum ss_dir) !d, o->ooo->off < s->need ? o->ooo->off : s->need, why);
	else if (ending && !o->ooo && o->next)
		gap_to(r, f, (enum ss_dir) !d, s->need, ACKED_MISSING);
	else
		force_first(r, f, d);
	progress(r, f);
}

/* The direction whose first queued segment was captured first. */
static enum ss_dir first_queued(const struct flow *f)
{
	const struct seg *a = f->h[SS_C2S].ooo, *b = f->h[SS_S2C].ooo;
	return !b || (a && a->frame <= b->frame) ? SS_C2S : SS_S2C;
}

/* Gives up holes until nothing is queued either way, in the order of
 * release(), the earliest captured segment's first. */
static void unqueue(struct ss_reasm *r, struct flow *f, const char *why, int ending)
{
	progress(r, f);
	while (f->h[SS_C2S].ooo || f->h[SS_S2C].ooo)
		release(r, f, first_queued(f), why, ending);
}

/* Queues len bytes at p as a segment at offset off, right after prev. */
static struct seg *seg_new(struct ss_reasm *r, struct flow *f, struct half *h, struct seg *prev,
                           uint64_t off, const uint8_t *p, uint32_t len, uint64_t need)
{
	struct node *n = malloc(sizeof *n + sizeof(struct seg) + len);
	if (!n)
		return NULL;
	struct seg *s = seg_at(n);
	s->off = off;
	s->len = len;
	s->cut = 0;
	s->need = need;
	s->frame = r->frame;
	s->ts = r->now;
	memcpy(s->data, p, len);
	queue_link(h, prev, s);
	h->ooo_bytes += SEG_COST(len);
	r->ooo_now += SEG_COST(len);
	mem_add(r, f, (int64_t)SEG_COST(len));
	return s;
}

/* Queues [off, off + n) where nothing is queued yet; bytes already queued
 * stay (first copy wins) and are compared with the new copy. cut bytes the
 * snap length removed follow the n bytes. The walk starts at the first
 * queued segment that ends past off and visits only segments the new bytes
 * overlap: its cost is that of finding the place, plus the new bytes. */
static void enqueue(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t off,
                    const uint8_t *p, size_t n, size_t cut, uint64_t need)
{
	struct half *h = &f->h[d];
	uint64_t pos = off, end = off + n;
	int conflict = 0;
	struct seg *prev = queue_before(h, off), *last = NULL;
	for (struct seg *q = prev ? prev->next : h->ooo; q && pos < end; prev = q, q = q->next) {
		uint64_t qend = seg_end(q);
		if (qend <= pos)
			continue;
		if (q->off >= end)
			break;
		if (q->off > pos) {
			prev = seg_new(r, f, h, prev, pos, p + (pos - off),
			               (uint32_t)(q->off - pos), need);
			if (!prev)
				return;
			pos = q->off;
		}
		uint64_t ov = qend < end ? qend : end;
		if (memcmp(q->data + (pos - q->off), p + (pos - off), (size_t)(ov - pos)))
			conflict = 1;
		f->pub.st[d].rexmit_bytes += ov - pos;
		pos = ov;
		last = q;
	}
	if (pos < end)
		last = seg_new(r, f, h, prev, pos, p + (pos - off), (uint32_t)(end - pos), need);
	if (cut && last && last->off + last->len == end && !last->cut)
		last->cut = (uint32_t)cut;
	if (conflict) {
		f->pub.st[d].conflicts++;
		ss_eventf(
		    "tcp", "overlap_conflict", r->frame, r->now, f->pub.id, d,
		    "overlapping segments at offset %llu..%llu differ; the first copy is kept",
		    (unsigned long long)off, (unsigned long long)end);
	}
}

/* Gives up on the holes that hold direction d's queued bytes back - its
 * own, or the peer's (release()) - until it holds at most keep bytes. */
static void squeeze(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t keep,
                    const char *why)
{
	struct half *h = &f->h[d];
	progress(r, f);
	while (h->ooo && h->ooo_bytes > keep)
		release(r, f, d, why, 0);
}

/* The payload of one segment: n bytes present at p, then cut bytes the snap
 * length removed, starting at stream offset off; need is the peer's offset
 * the segment acknowledged. */
static void tcp_data(struct ss_reasm *r, struct flow *f, enum ss_dir d, int64_t off,
                     const uint8_t *p, size_t n, size_t cut, uint64_t need)
{
	struct half *h = &f->h[d];
	if (off < 0) { /* bytes from before the point the stream was picked up */
		uint64_t drop = (uint64_t)-off;
		if (drop >= n + cut)
			return;
		size_t dp = drop < n ? (size_t)drop : n;
		p += dp;
		n -= dp;
		cut -= (size_t)(drop - dp);
		off = 0;
	}
	uint64_t o = (uint64_t)off;
	if (o + n + cut <= h->next) {
		/* A keep-alive repeats the last byte (or none) with garbage: not a
		 * retransmission worth comparing. */
		if (n + cut <= 1 && o + 1 == h->next)
			return;
		rexmit_check(r, f, d, o, p, n);
		return;
	}
	if (o < h->next) {
		uint64_t old = h->next - o;
		size_t k = old < n ? (size_t)old : n;
		rexmit_check(r, f, d, o, p, k);
		p += k;
		n -= k;
		o += k;
		if (o < h->next) { /* the old part reaches into the cut bytes */
			cut -= (size_t)(h->next - o);
			o = h->next;
		}
	}
	if (o > h->next)
		f->pub.st[d].ooo_segments++;
	if (o == h->next && !h->ooo && need <= f->h[!d].next) {
		/* The common case: in order, nothing waiting. No copy is made. */
		if (n)
			in_order(r, f, d, p, n, r->frame, r->now);
		if (cut)
			gap_to(r, f, d, h->next + cut, "cut by the snap length");
		if (f->h[!d].ooo) /* the peer's segments may have waited for these bytes */
			progress(r, f);
		return;
	}
	if (n)
		enqueue(r, f, d, o, p, n, cut, need);
	progress(r, f);
	if (h->ooo_bytes > r->caps->max_flow_mem)
		squeeze(r, f, d, r->caps->max_flow_mem, "out-of-order data over --max-flow-mem");
	if (mem_over(r))
		tcp_relieve(r, f);
}

/* Whether the peer's acknowledgement of h's hole is --ack-wait old. */
static int wait_over(const struct ss_reasm *r, const struct half *h)
{
	return r->now - h->hole_ts >= (int64_t)r->caps->ack_wait * 1000000;
}

/* Gives up on the holes below offset end of direction d, which the peer
 * acknowledged. Where d's next segment waits for bytes of a hole the peer
 * acknowledged in turn, that hole goes first, but only once its own
 * --ack-wait is over: those bytes may yet be captured, and d's segment then
 * comes out in order. Till then it stops, returning 0, and the caller keeps
 * the flow waiting. */
static int give_up(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t end, const char *why)
{
	struct half *h = &f->h[d], *o = &f->h[!d];
	progress(r, f);
	while (h->next < end) {
		if (!ready(h)) {
			gap_to(r, f, d, h->ooo && h->ooo->off < end ? h->ooo->off : end, why);
		} else if (!ready(o) && o->hole_end > o->next) {
			if (!wait_over(r, o))
				return 0;
			uint64_t stop =
			    o->ooo && o->ooo->off < o->hole_end ? o->ooo->off : o->hole_end;
			gap_to(r, f, (enum ss_dir) !d, stop, ACKED_MISSING);
		} else {
			/* No hole of the peer's explains the wait: bogus ACKs. */
			force_first(r, f, d);
		}
		progress(r, f);
	}
	return 1;
}

static void wait_add(struct ss_reasm *r, struct flow *f)
{
	if (f->waiting)
		return;
	f->waiting = 1;
	f->wprev = NULL;
	f->wnext = r->waiting;
	if (r->waiting)
		r->waiting->wprev = f;
	r->waiting = f;
}

static void wait_del(struct ss_reasm *r, struct flow *f)
{
	if (!f->waiting)
		return;
	if (f->wprev)
		f->wprev->wnext = f->wnext;
	else
		r->waiting = f->wnext;
	if (f->wnext)
		f->wnext->wprev = f->wprev;
	f->waiting = 0;
}

/* The peer acknowledged up to offset a of direction d. Bytes below a that
 * the capture has not shown were received, so they are a gap - but only
 * once --ack-wait has passed: a capture point can see an ACK a moment before
 * the data it acknowledges (two directions on two queues). */
static void acked(struct ss_reasm *r, struct flow *f, enum ss_dir d, int64_t a)
{
	struct half *h = &f->h[d];
	if (h->fin && a > (int64_t)h->fin_off)
		a = (int64_t)h->fin_off; /* the FIN takes a sequence number but no byte */
	if (a <= 0)
		return;
	if (!h->ack_set || (uint64_t)a > h->acked) {
		h->acked = (uint64_t)a;
		h->ack_set = 1;
	}
	if ((uint64_t)a <= h->next || (uint64_t)a <= h->hole_end)
		return;
	if ((uint64_t)a - h->next > MAX_ACK_JUMP) {
		ss_eventf("tcp", "ack_bogus", r->frame, r->now, f->pub.id, !d,
		          "acknowledgement %llu bytes ahead of the data seen; ignored",
		          (unsigned long long)((uint64_t)a - h->next));
		return;
	}
	if (h->hole_end <= h->next)
		h->hole_ts = r->now; /* a new wait starts; a growing hole keeps its start */
	h->hole_end = (uint64_t)a;
	/* All sent, all received: nothing to wait for - unless what waits behind
	 * the hole also waits for a hole of the peer's. */
	if (h->fin && (uint64_t)a == h->fin_off && give_up(r, f, d, h->hole_end, ACKED_MISSING))
		return;
	wait_add(r, f);
}

/* Gives up on acknowledged holes of f whose wait is over. */
static void holes_due(struct ss_reasm *r, struct flow *f)
{
	int still = 0;
	for (int d = 0; d < 2; d++) {
		struct half *h = &f->h[d];
		if (h->hole_end <= h->next)
			continue;
		if (!wait_over(r, h) || !give_up(r, f, (enum ss_dir)d, h->hole_end, ACKED_MISSING))
			still = 1;
	}
	if (!still)
		wait_del(r, f);
}

void tcp_due(struct ss_reasm *r)
{
	for (struct flow *f = r->waiting, *next; f; f = next) {
		next = f->wnext;
		holes_due(r, f);
	}
}

/* Guesses which side serves from the ports when the handshake was missed:
 * a well-known port serves; else a port below 1024; else the lower port. */
static int src_is_client(uint16_t sport, uint16_t dport)
{
	static const uint16_t servers[] = {25,  465, 587, 2525, 10025, 24, 110,
	                                   995, 143, 993, 53,   4190,  80, 443};
	int s = 0, t = 0;
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
		s |= sport == servers[i];
		t |= dport == servers[i];
	}
	if (s != t)
		return t;
	if ((sport < 1024) != (dport < 1024))
		return dport < 1024;
	return sport >= dport;
}

static void check_done(struct ss_reasm *r, struct flow *f)
{
	for (int d = 0; d < 2; d++)
		if (!f->h[d].fin || f->h[d].next < f->h[d].fin_off)
			return;
	flow_end(r, f, SS_CLOSE_FIN);
}

/* A TCP header as read (RFC 9293 3.1), and where its payload is. */
struct tcph {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *p; /* n payload bytes, then cut more the snap length removed */
	size_t n, cut;
};

/* Reads the header of ip's TCP segment; -1 when it is no header. */
static int header(struct ss_reasm *r, const struct ss_ip *ip, struct tcph *t)
{
	struct cur c = cur_make(ip->l4, ip->l4_len);
	t->sport = cur_be16(&c, "tcp header");
	t->dport = cur_be16(&c, "tcp header");
	t->seq = cur_be32(&c, "tcp header");
	t->ack = cur_be32(&c, "tcp header");
	uint8_t doff = (uint8_t)((cur_u8(&c, "tcp header") >> 4) * 4);
	t->flags = cur_u8(&c, "tcp header");
	if (c.err || doff < 20 || doff > ip->l4_len) {
		r->st.malformed++;
		if (ip->l4_len < ip->l4_wire_len && c.err)
			return -1; /* the snap length cut the header: counted by the decoder */
		ss_eventf("tcp", "tcp_header_bad", ip->frame->num, ip->frame->ts, 0, -1,
		          "frame %llu: %s", (unsigned long long)ip->frame->num,
		          c.err ? "TCP header cut short" : "TCP data offset out of range");
		return -1;
	}
	t->n = ip->l4_len - doff;
	t->cut = ip->l4_wire_len - ip->l4_len;
	t->p = ip->l4 + doff;
	return 0;
}

/* The flow the segment belongs to: the one of its ports, made anew when
 * a SYN uses closed or reused ports; NULL when the segment is late (the
 * flow closed) or no flow can be made. *src_a0: its source is the key's
 * first endpoint. */
static struct flow *flow_of(struct ss_reasm *r, const struct ss_ip *ip, const struct tcph *t,
                            int *src_a0)
{
	struct flow_key k;
	flow_key_make(&k, ip, t->sport, t->dport, src_a0);
	struct flow *f = table_find(r, &k);
	int syn_only = (t->flags & (TH_SYN | TH_ACK)) == TH_SYN;
	struct closed_flow *c = f ? NULL : closed_find(r, &k);
	if (c) {
		if (!syn_only) {
			/* The last ACK of an orderly close is normal, not late. */
			if (t->n || (t->flags & (TH_FIN | TH_RST | TH_SYN)) ||
			    c->how != SS_CLOSE_FIN)
				r->st.late++;
			if (t->n)
				ss_eventf("tcp", "late_data", r->frame, r->now, c->id,
				          c->cli == *src_a0 ? SS_C2S : SS_S2C,
				          "%zu bytes after the flow closed (%s); not delivered",
				          t->n, ss_close_name((enum ss_close)c->how));
			return NULL;
		}
		closed_remove(r, c); /* the ports are used again */
	}
	if (f && syn_only) {
		struct half *ch = &f->h[f->cli == *src_a0 ? SS_C2S : SS_S2C];
		if (ch->base_set && ch->base_seq != t->seq + 1 &&
		    (ch->next || ch->ooo || ch->fin)) {
			flow_end(r, f, SS_CLOSE_REUSE); /* frees f */
			f = NULL;
		}
	}
	if (!f) {
		f = table_add(r, &k);
		if (!f)
			return NULL;
		int cli_src =
		    t->flags & TH_SYN ? !(t->flags & TH_ACK) : src_is_client(t->sport, t->dport);
		flow_setup(r, f, cli_src ? *src_a0 : !*src_a0, !(t->flags & TH_SYN));
	}
	return f;
}

/* Sets where direction d's bytes start (its SYN, or the first byte seen);
 * returns the sequence number of the segment's first payload byte. */
static uint32_t stream_start(struct flow *f, enum ss_dir d, const struct tcph *t)
{
	struct half *h = &f->h[d];
	uint32_t data_seq = t->seq;
	if (t->flags & TH_SYN) {
		f->pub.st[d].syn = 1;
		f->pub.handshake = 1;
		/* A first SYN, or a SYN repeated with a new ISN before any data. */
		if (!h->base_set || (!h->next && !h->ooo && h->base_seq != t->seq + 1)) {
			h->base_seq = t->seq + 1;
			h->base_set = 1;
			h->next = 0;
		}
		data_seq = t->seq + 1;
	}
	if (!h->base_set) {
		h->base_seq = data_seq;
		h->base_set = 1;
	}
	return data_seq;
}

/* The acknowledgement of the peer's bytes that segment carries, taken
 * first: it may prove that the peer's bytes come before the segment's.
 * Returns the peer's offset the segment must be delivered after. */
static uint64_t ack_of(struct ss_reasm *r, struct flow *f, enum ss_dir d, const struct tcph *t)
{
	struct half *o = &f->h[!d];
	if (!(t->flags & TH_ACK))
		return 0;
	if (!o->base_set) {
		/* Picked up mid-stream: the peer has sent everything before ack. */
		o->base_seq = t->ack;
		o->base_set = 1;
		return 0;
	}
	int64_t a = seq_off(o, t->ack);
	acked(r, f, (enum ss_dir) !d, a);
	if (o->fin && a > (int64_t)o->fin_off)
		a = (int64_t)o->fin_off;
	return a > 0 && (uint64_t)a - o->next <= MAX_ACK_JUMP ? (uint64_t)a : 0;
}

void tcp_segment(struct ss_reasm *r, const struct ss_ip *ip)
{
	struct tcph t;
	if (header(r, ip, &t))
		return;
	r->st.tcp_segments++;
	int src_a0;
	struct flow *f = flow_of(r, ip, &t, &src_a0);
	if (!f)
		return;
	enum ss_dir d = (f->cli == src_a0) ? SS_C2S : SS_S2C;
	struct half *h = &f->h[d];
	f->pub.last_ts = r->now;
	f->pub.last_frame = r->frame;
	f->pub.st[d].packets++;
	list_move(r, f, LIST_TCP);
	if (t.flags & TH_RST) {
		f->pub.st[d].rst = 1;
		flow_end(r, f, SS_CLOSE_RST);
		return;
	}
	uint32_t data_seq = stream_start(f, d, &t);
	uint64_t need = ack_of(r, f, d, &t);
	holes_due(r, f);
	int64_t off = seq_off(h, data_seq);
	if (t.n + t.cut)
		tcp_data(r, f, d, off, t.p, t.n, t.cut, need);
	if ((t.flags & TH_FIN) && !h->fin) {
		int64_t fo = off + (int64_t)(t.n + t.cut);
		h->fin = 1;
		h->fin_off = fo > (int64_t)h->next ? (uint64_t)fo : h->next;
		f->pub.st[d].fin = 1;
	}
	check_done(r, f);
}

/* Gives up on every hole of f: queued segments go out behind gaps. */
void tcp_relieve(struct ss_reasm *r, struct flow *f)
{
	r->st.mem_pressure++;
	unqueue(r, f, "reassembly memory over --max-mem", 0);
}

/* Before a flow ends: queued segments behind gaps, each after the peer's
 * bytes it acknowledged (release()), then the holes the peer's
 * acknowledgement or the FIN prove past the last segment. */
void tcp_flush(struct ss_reasm *r, struct flow *f)
{
	wait_del(r, f);
	unqueue(r, f, "never captured, flow ending", 1);
	for (int d = 0; d < 2; d++) {
		struct half *h = &f->h[d];
		if (h->ack_set)
			gap_to(r, f, (enum ss_dir)d, h->acked, ACKED_MISSING);
		if (h->fin)
			gap_to(r, f, (enum ss_dir)d, h->fin_off, "never captured before the FIN");
	}
}

void tcp_release(struct ss_reasm *r, struct flow *f)
{
	wait_del(r, f);
	for (int d = 0; d < 2; d++) {
		struct half *h = &f->h[d];
		for (struct seg *s = h->ooo, *n; s; s = n) {
			n = s->next;
			mem_add(r, f, -(int64_t)SEG_COST(s->len));
			free(node_of(s));
		}
		h->ooo = NULL;
		r->ooo_now -= h->ooo_bytes;
		h->ooo_bytes = 0;
		mem_add(r, f, -(int64_t)ring_free(&h->hist, &r->rings));
	}
}
