/* fuzz_tcp.c - TCP reassembly under a fuzzer, fed segment lists, with
 * consumers that check what reassembly promises (stream.h) and abort when it
 * is broken:
 *
 * - per flow and direction, what is handed out is contiguous: each piece of
 *   data or gap starts where the one before ended, from offset 0;
 * - the bytes handed out are the bytes sent at those sequence numbers, and
 *   never more bytes than were sent that way on those ports;
 * - a flow is closed once, nothing comes after its close, every flow is
 *   closed by reasm_finish, and its counters (st[d].bytes, gap_bytes) are
 *   what the consumer saw;
 * - the protocol consumer (which may consume little or nothing, so that
 *   --max-pending overflows) is offered its unconsumed bytes again at the
 *   same offset, never bytes a tap has not seen, and at its close has been
 *   offered everything;
 * - the memory reassembly counts is back to 0 at the end, and over
 *   --max-mem only for what cannot be given up (retransmission rings,
 *   detection buffers).
 *
 * Input: a 12-byte header, then 8-byte segment records (bytes past the
 * header that do not fill a record are ignored; a short header reads as
 * zeros):
 *
 *   header  c0: max_flow_mem (bits 0-2), max_mem (3-5), max_flows (6-7)
 *           c1: max_pending (0-2), rexmit_window (3-5), detect_bytes (6-7)
 *           c2: ack_wait (0-1), tcp_timeout (2-3), tcp_linger (4-5),
 *               a protocol that always says no registered first (6)
 *           c3: probe mode (0-1: sure at once, sure after 8k bytes, never
 *               sure so the port decides, no), consume mode (2-3: all,
 *               none, up to the last LF, at most k bytes), k (4-7, plus 1)
 *           ISN of side A, ISN of side B (little-endian 32-bit each)
 *   record  r0: 4-tuple (bits 0-1), sender A/B (2), SYN (3), FIN (4),
 *               RST (5), ACK (6), payload taken from the input (7)
 *           r1: seq mode (0-1), ack mode (2-3), snap-length cut (4-6),
 *               a clock tick after it (7)
 *           r2-r3: seq delta, r4-r5: ack delta (little-endian int16)
 *           r6: payload length class, r7: time step class
 *
 * Sequence numbers are relative to the sender's cursor (the highest
 * sequence number it has used) or its ISN, with deltas scaled by 1, 256 or
 * 65536, so wrap-around at 2^32 and far jumps are a byte away. Payloads not
 * taken from the input are the low byte of their sequence number (xor 0x5a
 * from side B), so a consumer can tell a byte from the wrong place; once a
 * side has sent input bytes, that check is off for it.
 *
 * Four 4-tuples: client port to 25, 110 to a client port (the lower port
 * serving), two high ports, and IPv6 with port 143 on both sides.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "reasm.h"
#include "sstime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken promise: stop here, so the fuzzer keeps the input. */
#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

/* The checks that read every byte handed out are not instrumented for
 * coverage: they find nothing new, and a callback for each byte compared
 * was a third of the time. ASan still sees every read. */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define NTUPLE 4
#define MAX_PAYLOAD 4096

/* What one side of a 4-tuple has sent, over the whole input. */
struct sender {
	uint32_t isn, cursor; /* cursor: the sequence number after the highest used */
	int raw;              /* sent input bytes: content not checked */
	uint64_t sent;        /* payload bytes sent (present, not cut) */
	uint64_t delivered;   /* payload bytes taps were handed, all flows */
};

struct tuple {
	struct ss_addr addr[2]; /* side A, side B */
	uint16_t port[2];
	struct sender s[2];
};

/* What a consumer saw of one flow. */
struct watch {
	uint64_t id;
	struct tuple *t;
	int side[2];     /* by enum ss_dir: 0 side A, 1 side B */
	uint64_t pos[2]; /* the next offset expected */
	uint64_t data[2], gap[2];
	int phase_set[2];
	uint8_t phase[2]; /* the byte at offset 0 (checked content) */
	int closed;
	struct watch *tap; /* a protocol's: the tap's watch of the same flow */
};

static struct tuple tuples[NTUPLE];
static struct ss_caps caps;
static struct watch **taps, **apps; /* taps by flow id - 1 */
static size_t ntaps, napps, cap_taps, cap_apps;
static int probe_mode, consume_mode;
static unsigned k_param;
static unsigned touched; /* bytes read, so that they are */
static int show;         /* FUZZ_TCP_SHOW=1: what the tap sees, to look at a seed */

static void *xalloc(size_t n)
{
	void *p = calloc(1, n);
	MUST(p);
	return p;
}

static void keep(struct watch ***v, size_t *n, size_t *cap, struct watch *w)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = realloc(*v, *cap * sizeof **v);
		MUST(*v);
	}
	(*v)[(*n)++] = w;
}

static int same_ep(const struct ss_endpoint *e, const struct ss_addr *a, uint16_t port)
{
	return e->port == port && e->addr.family == a->family && !memcmp(e->addr.b, a->b, 16);
}

static struct watch *watch_new(const struct ss_flow *f)
{
	struct watch *w = xalloc(sizeof *w);
	w->id = f->id;
	for (int i = 0; i < NTUPLE && !w->t; i++) {
		struct tuple *t = &tuples[i];
		for (int a = 0; a < 2; a++)
			if (same_ep(&f->ep[SS_C2S], &t->addr[a], t->port[a]) &&
			    same_ep(&f->ep[SS_S2C], &t->addr[!a], t->port[!a])) {
				w->t = t;
				w->side[SS_C2S] = a;
				w->side[SS_S2C] = !a;
			}
	}
	MUST(w->t); /* a flow of ports nobody used */
	MUST(f->proto == 6);
	return w;
}

/* Reads p[0..n), so that ASan sees a byte that is not there. */
NO_COVERAGE static void touch(const uint8_t *p, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	touched += sum;
}

/* The bytes at offset off are those sent at those sequence numbers. */
NO_COVERAGE static void content(struct watch *w, enum ss_dir d, uint64_t off, const uint8_t *p,
                                size_t n)
{
	int side = w->side[d];
	uint8_t salt = side ? 0x5a : 0;
	touch(p, n); /* every byte read, checked or not */
	if (w->t->s[side].raw || !n)
		return;
	if (!w->phase_set[d]) {
		w->phase[d] = (uint8_t)((p[0] ^ salt) - (uint8_t)off);
		w->phase_set[d] = 1;
	}
	uint8_t bad = 0, want = (uint8_t)(w->phase[d] + off);
	for (size_t i = 0; i < n; i++)
		bad |= (uint8_t)((p[i] ^ salt) ^ (uint8_t)(want + i));
	MUST(!bad);
}

/* --- the tap: sees every byte and gap once ------------------------------ */

static void *tap_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	MUST(f->id == ntaps + 1); /* flows are numbered 1, 2, ... */
	MUST(!f->closed);
	struct watch *w = watch_new(f);
	keep(&taps, &ntaps, &cap_taps, w);
	return w;
}

static void tap_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct watch *w = st;
	MUST(!w->closed && n > 0 && (d == SS_C2S || d == SS_S2C));
	MUST(at->off == w->pos[d]);
	if (show)
		printf("flow %llu %s: %zu bytes at %llu\n", (unsigned long long)w->id,
		       d ? "S2C" : "C2S", n, (unsigned long long)at->off);
	content(w, d, at->off, p, n);
	w->pos[d] += n;
	w->data[d] += n;
	struct sender *s = &w->t->s[w->side[d]];
	s->delivered += n;
	MUST(s->delivered <= s->sent);
}

static void tap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct watch *w = st;
	MUST(!w->closed && len > 0);
	MUST(at->off == w->pos[d]);
	if (show)
		printf("flow %llu %s: gap of %llu at %llu\n", (unsigned long long)w->id,
		       d ? "S2C" : "C2S", (unsigned long long)len, (unsigned long long)at->off);
	w->pos[d] += len;
	w->gap[d] += len;
}

static void tap_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                         const struct ss_pos *at)
{
	(void)st, (void)d, (void)p, (void)n, (void)at;
	MUST(0); /* only TCP is sent */
}

static void tap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct watch *w = st;
	MUST(!w->closed && f->closed && f->id == w->id);
	w->closed = 1;
	if (show)
		printf("flow %llu closed: %s%s\n", (unsigned long long)w->id, ss_close_name(f->how),
		       f->app ? "" : " (no protocol)");
	for (int d = 0; d < 2; d++) {
		MUST(f->st[d].bytes == w->data[d]);
		MUST(f->st[d].gap_bytes == w->gap[d]);
	}
}

static const struct ss_tap tap = {tap_open, tap_data, tap_gap, tap_datagram, tap_close, NULL};

/* --- the protocol: chosen by its probe or its port, consumes some -------- */

static enum ss_probe probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)f, (void)d;
	touch(p, n);
	switch (probe_mode) {
	case 0:
		return SS_PROBE_YES;
	case 1:
		return n >= k_param * 8 ? SS_PROBE_YES : SS_PROBE_MORE;
	case 2:
		return SS_PROBE_MORE; /* never sure: the port decides, at the last */
	default:
		return SS_PROBE_NO; /* no protocol */
	}
}

static int port_hint(const struct ss_flow *f)
{
	(void)f;
	return probe_mode != 3;
}

static void *app_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	MUST(f->id >= 1 && f->id <= ntaps);
	struct watch *tw = taps[f->id - 1];
	MUST(!tw->closed); /* f->closed is set when a flow's end chooses */
	for (size_t i = 0; i < napps; i++)
		MUST(apps[i]->id != f->id); /* opened once per flow */
	struct watch *w = watch_new(f);
	w->tap = tw;
	keep(&apps, &napps, &cap_apps, w);
	return w;
}

/* The bytes up to the last LF of p[0..n), 0 when there is none. */
NO_COVERAGE static size_t lines(const uint8_t *p, size_t n)
{
	while (n && p[n - 1] != '\n')
		n--;
	return n;
}

static size_t app_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct watch *w = st;
	MUST(w && !w->closed && n > 0);
	MUST(at->off == w->pos[d]); /* what was left comes again, first */
	MUST(at->off + n <= w->tap->pos[d]);
	content(w, d, at->off, p, n);
	size_t used = n;
	switch (consume_mode) {
	case 1: /* nothing: --max-pending overflows */
		used = 0;
		break;
	case 2: /* whole "lines" */
		used = lines(p, n);
		break;
	case 3: /* a little at a time */
		used = n < k_param ? n : k_param;
		break;
	}
	/* The last offer before a gap or the end: the rest is dropped. */
	w->pos[d] = at->last ? at->off + n : at->off + used;
	w->data[d] += used;
	return used;
}

static void app_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct watch *w = st;
	MUST(w && !w->closed && len > 0);
	MUST(at->off == w->pos[d]);
	w->pos[d] += len;
	MUST(w->pos[d] <= w->tap->pos[d]);
}

static void app_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct watch *w = st;
	MUST(w && !w->closed && f->closed && f->id == w->id);
	w->closed = 1;
	for (int d = 0; d < 2; d++)
		MUST(w->pos[d] == w->tap->pos[d]); /* offered everything */
}

static const struct ss_proto app = {"chk",   probe, port_hint, app_open, app_data,
                                    app_gap, NULL,  app_close, NULL};

static enum ss_probe probe_no(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)f, (void)d, (void)p, (void)n;
	return SS_PROBE_NO;
}

static void *no_open(const struct ss_flow *f, void *ctx)
{
	(void)f, (void)ctx;
	MUST(0); /* it said no */
	return NULL;
}

static const struct ss_proto never = {"never", probe_no, NULL, no_open, NULL,
                                      NULL,    NULL,     NULL, NULL};

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	MUST(e->layer && e->what && e->detail);
	MUST(e->flow <= ntaps);
	touched += (unsigned)strlen(e->detail);
}

/* --- the input ---------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t delta(const uint8_t *p, int mode)
{
	int32_t v = (int16_t)(uint16_t)(p[0] | p[1] << 8);
	return mode == 1 ? v * 256 : mode == 2 ? (int32_t)((uint32_t)v << 16) : v;
}

static void setup(const uint8_t h[12])
{
	static const uint64_t flow_mem[] = {0, 100, 300, 1000, 3000, 10000, 40000, 4u << 20};
	static const uint64_t mem[] = {0, 200, 1000, 4000, 16000, 64000, 256000, 512u << 20};
	static const uint64_t flows[] = {1, 2, 3, 16};
	static const uint64_t pending[] = {0, 1, 16, 100, 500, 2000, 8000, 1u << 20};
	static const uint64_t rexmit[] = {0, 1, 16, 100, 1000, 4096, 16384, 65536};
	static const uint64_t detect[] = {0, 16, 200, 4096};
	static const uint64_t ack_wait[] = {0, 10, 100, 1000};
	static const uint64_t timeout[] = {0, 1, 30, 300};
	static const uint64_t linger[] = {0, 1, 5, 60};
	ss_caps_defaults(&caps);
	caps.max_flow_mem = flow_mem[h[0] & 7];
	caps.max_mem = mem[h[0] >> 3 & 7];
	caps.max_flows = flows[h[0] >> 6];
	caps.max_pending = pending[h[1] & 7];
	caps.rexmit_window = rexmit[h[1] >> 3 & 7];
	caps.detect_bytes = detect[h[1] >> 6];
	caps.ack_wait = ack_wait[h[2] & 3];
	caps.tcp_timeout = timeout[h[2] >> 2 & 3];
	caps.tcp_linger = linger[h[2] >> 4 & 3];
	probe_mode = h[3] & 3;
	consume_mode = h[3] >> 2 & 3;
	k_param = 1u + (h[3] >> 4);

	static const uint8_t v4[3][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3}};
	static const uint16_t ports[NTUPLE][2] = {
	    {40000, 25}, {110, 40001}, {50000, 50001}, {143, 143}};
	memset(tuples, 0, sizeof tuples);
	for (int i = 0; i < NTUPLE; i++) {
		struct tuple *t = &tuples[i];
		for (int a = 0; a < 2; a++) {
			t->port[a] = ports[i][a];
			if (i == 3) {
				t->addr[a].family = SS_AF_INET6;
				t->addr[a].b[0] = 0x20, t->addr[a].b[1] = 0x01;
				t->addr[a].b[2] = 0x0d, t->addr[a].b[3] = 0xb8;
				t->addr[a].b[15] = (uint8_t)(1 + a);
			} else {
				t->addr[a].family = SS_AF_INET;
				memcpy(t->addr[a].b, v4[(i + a) % 3], 4);
			}
			struct sender *s = &t->s[a];
			s->isn = le32(h + 4 + 4 * a) + (uint32_t)i * 0x40000001u;
			s->cursor = s->isn + 1;
		}
	}
}

/* Capture time after a step of class v: ms, tenths, half-minutes, or back
 * (capture files do that; reassembly's clock must not). */
static int64_t step(int64_t now, uint8_t v)
{
	int64_t ms = SS_NS_PER_SEC / 1000;
	if (v < 100)
		return now + v * ms;
	if (v < 200)
		return now + (v - 100) * 100 * ms;
	if (v < 250)
		return now + (int64_t)(v - 200) * 30 * SS_NS_PER_SEC;
	return now - (int64_t)(v - 249) * SS_NS_PER_SEC;
}

/* Sends one segment; returns the input bytes its payload took. */
static size_t segment(struct ss_reasm *r, const uint8_t *rec, const uint8_t *rest, size_t nrest,
                      uint64_t frame, int64_t now)
{
	static const uint32_t cuts[] = {0, 1, 2, 10, 100, 1000, 1500, 65000};
	struct tuple *t = &tuples[rec[0] & 3];
	int side = rec[0] >> 2 & 1, raw = rec[0] >> 7;
	uint8_t flags = (uint8_t)((rec[0] >> 3 & 1) << 1 | /* SYN */
	                          (rec[0] >> 4 & 1) |      /* FIN */
	                          (rec[0] >> 5 & 1) << 2 | /* RST */
	                          (rec[0] >> 6 & 1) << 4); /* ACK */
	struct sender *s = &t->s[side], *peer = &t->s[!side];
	int smode = rec[1] & 3, amode = rec[1] >> 2 & 3;
	uint32_t cut = cuts[rec[1] >> 4 & 7];
	uint32_t seq = smode == 3 ? s->isn + 1 + (uint32_t)delta(rec + 2, 0)
	                          : s->cursor + (uint32_t)delta(rec + 2, smode);
	uint32_t ack = amode == 3 ? peer->isn + 1 + (uint32_t)delta(rec + 4, 0)
	                          : peer->cursor + (uint32_t)delta(rec + 4, amode);
	size_t n = rec[6] < 0xc0 ? rec[6] : (size_t)(rec[6] - 0xbf) * 64;
	if (n > MAX_PAYLOAD)
		n = MAX_PAYLOAD;
	if (raw && n > nrest)
		n = nrest;
	uint32_t data_seq = seq + (flags & 0x02 ? 1 : 0);

	uint8_t *pkt = xalloc(20 + n); /* exactly: ASan sees a read past it */
	uint16_t sp = t->port[side], dp = t->port[!side];
	pkt[0] = (uint8_t)(sp >> 8), pkt[1] = (uint8_t)sp;
	pkt[2] = (uint8_t)(dp >> 8), pkt[3] = (uint8_t)dp;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	pkt[12] = 5 << 4;
	pkt[13] = flags;
	pkt[14] = 0xff, pkt[15] = 0xff;
	if (raw) {
		memcpy(pkt + 20, rest, n);
		if (n)
			s->raw = 1;
	} else {
		for (size_t i = 0; i < n; i++)
			pkt[20 + i] = (uint8_t)(data_seq + i) ^ (side ? 0x5a : 0);
	}
	s->sent += n;
	uint32_t end = data_seq + (uint32_t)n + cut + (flags & 0x01);
	if ((int32_t)(end - s->cursor) > 0)
		s->cursor = end;

	struct ss_frame fr = {frame, now, (uint32_t)(20 + n), (uint32_t)(20 + n + cut), pkt};
	struct ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.frame = &fr;
	ip.src = t->addr[side];
	ip.dst = t->addr[!side];
	ip.proto = 6;
	ip.l4 = pkt;
	ip.l4_len = (uint32_t)(20 + n);
	ip.l4_wire_len = (uint32_t)(20 + n + cut);
	reasm_ip(&ip, r);
	free(pkt);
	return raw ? n : 0;
}

/* Over --max-mem, only what reassembly cannot give up stays: every flow's
 * two rings and two detection buffers (each rounded up by the allocator). */
static void mem_bound(const struct ss_reasm *r)
{
	const struct reasm_stats *st = reasm_stats(r);
	uint64_t kept = st->flows_now * 2 * (caps.rexmit_window + caps.detect_bytes + 64);
	MUST(st->mem_now <= caps.max_mem || st->mem_now <= kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		show = getenv("FUZZ_TCP_SHOW") != NULL;
		init = 1;
	}
	uint8_t h[12] = {0};
	memcpy(h, data, size < 12 ? size : 12);
	setup(h);
	size_t i = size < 12 ? size : 12;

	ss_event_sink(on_event, NULL);
	struct ss_reasm *r = reasm_new(&caps);
	MUST(r);
	if (h[2] & 0x40)
		MUST(!reasm_add_proto(r, &never));
	MUST(!reasm_add_proto(r, &app) && !reasm_add_tap(r, &tap));

	int64_t now = INT64_C(1700000000) * SS_NS_PER_SEC;
	uint64_t frame = 0;
	while (size - i >= 8) {
		const uint8_t *rec = data + i;
		i += 8;
		i += segment(r, rec, data + i, size - i, ++frame, now);
		mem_bound(r);
		now = step(now, rec[7]);
		if (rec[1] & 0x80)
			reasm_tick(r, now);
	}
	reasm_finish(r);
	for (size_t k = 0; k < ntaps; k++)
		MUST(taps[k]->closed);
	for (size_t k = 0; k < napps; k++)
		MUST(apps[k]->closed);
	MUST(reasm_stats(r)->mem_now == 0);
	reasm_free(r);
	ss_event_sink(NULL, NULL);

	for (size_t k = 0; k < ntaps; k++)
		free(taps[k]);
	for (size_t k = 0; k < napps; k++)
		free(apps[k]);
	ntaps = napps = 0;
	return 0;
}
