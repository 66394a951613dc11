/* test_dnsring.c - the order of the DNS dissector's waiting queries (a ring
 * of slots in dissect/dns.c), against a plain model of the pairing rule.
 *
 * The truth is the rule dns.h and RFC 1035 7.3 state, kept here as a list
 * in arrival order: a response pairs with the oldest unanswered query of
 * its id and question from the other side, else with a zone transfer
 * (RFC 5936 2.2) already answered; past DNS_MAX_PENDING the oldest is given
 * up; a response nothing waits for is unsolicited; what is left when the
 * flow ends is given up oldest first, and an answered zone transfer then
 * says nothing more. One flow of some 60000 datagrams drawn at random
 * (fixed seed), by turns of regimes that make the ring grow while wrapped,
 * fill to the cap, drain from both ends and from the middle, and hold many
 * queries of one key. Every record (its query's and response's frames)
 * must come in the model's order, and --max-held-mem's account must hold
 * the pending bytes plus slots that never shrink, and go back to 0.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns.h"
#include "event.h"
#include "memacct.h"
#include "record.h"

#define STEPS 60000
#define TYPE_A 1
#define TYPE_AXFR 252

/* The records received: frames of their query and response (0: none). */
struct pair {
	uint64_t fq, fr;
};
static struct pair *got, *want;
static size_t ngot, nwant, cap_pairs;

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_DNS || r->u.dns.pending || ngot == cap_pairs)
		return;
	got[ngot++] = (struct pair){r->u.dns.frame_query, r->u.dns.frame_response};
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)e, (void)ctx;
}

/* A message with id, QR bit qr, and the question "nID.t. IN type". */
static size_t message(uint8_t *b, unsigned id, int qr, unsigned type)
{
	char label[8];
	int n = snprintf(label, sizeof label, "n%u", id);
	size_t k = 0;
	uint8_t h[12] = {(uint8_t)(id >> 8), (uint8_t)id, qr ? 0x81 : 0x01, qr ? 0x80 : 0, 0, 1};
	memcpy(b, h, 12), k = 12;
	b[k++] = (uint8_t)n;
	memcpy(b + k, label, (size_t)n), k += (size_t)n;
	memcpy(b + k, "\001t\000", 3), k += 3;
	b[k++] = (uint8_t)(type >> 8), b[k++] = (uint8_t)type;
	b[k++] = 0, b[k++] = 1;
	return k;
}

/* The model: the pending queries, oldest first. */
struct mq {
	unsigned id, type;
	uint64_t frame;
	size_t len;
	int answered;
};
static struct mq pend[DNS_MAX_PENDING];
static size_t npend;
static uint64_t pend_bytes;

static void model_drop(size_t i)
{
	pend_bytes -= pend[i].len;
	memmove(&pend[i], &pend[i + 1], (npend - i - 1) * sizeof pend[0]);
	npend--;
}

static void want_pair(uint64_t fq, uint64_t fr)
{
	if (nwant < cap_pairs)
		want[nwant++] = (struct pair){fq, fr};
}

/* The oldest with id and type unanswered, else the first answered; -1. */
static long model_find(unsigned id, unsigned type)
{
	long xfr = -1;
	for (size_t i = 0; i < npend; i++) {
		if (pend[i].id != id || pend[i].type != type)
			continue;
		if (!pend[i].answered)
			return (long)i;
		if (xfr < 0)
			xfr = (long)i;
	}
	return xfr;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n)
{
	/* xorshift64*: a fixed sequence, the same on every run */
	rnd_state ^= rnd_state >> 12, rnd_state ^= rnd_state << 25, rnd_state ^= rnd_state >> 27;
	return (unsigned)((rnd_state * 0x2545f4914f6cdd1du) >> 33) % n;
}

int main(void)
{
	record_sink_add(on_record, NULL);
	ss_event_sink(on_event, NULL);
	cap_pairs = 2 * STEPS;
	got = calloc(cap_pairs, sizeof *got);
	want = calloc(cap_pairs, sizeof *want);
	if (!got || !want)
		return 2;
	CHECK(memacct_held(&ss_held) == 0);

	struct ss_flow f;
	memset(&f, 0, sizeof f);
	f.id = 1;
	f.proto = 17;
	f.ep[SS_C2S].port = 40000;
	f.ep[SS_S2C].port = 53;
	void *st = dns_open(&f, NULL);
	CHECK(st != NULL);
	struct ss_pos at = {0, 0, 0, 0, 0, 0};
	uint8_t b[64];
	uint64_t slots = 0; /* what the account holds beyond the bytes */
	int slots_ok = 1, held_ok = 1;
	size_t most = 0, nxfr = 0, ncap = 0, nmiddle = 0;

	for (unsigned step = 0; step < STEPS; step++) {
		/* A regime per 400 datagrams: how many are queries (of 10), how
		 * many ids (few: keys repeat), which waiting query is answered. */
		unsigned regime = step / 400;
		unsigned pq = (unsigned[]){3, 5, 7, 10, 6, 4, 9, 2}[regime % 8];
		unsigned ids = regime % 3 == 1 ? 12 : 65536;
		unsigned pick = (regime / 8) % 3; /* 0 the oldest, 1 the newest, 2 any */
		at.frame++;
		at.ts += 1000;
		if (rnd(10) < pq || !npend) {
			unsigned id = rnd(ids), type = rnd(16) ? TYPE_A : TYPE_AXFR;
			size_t n = message(b, id, 0, type);
			if (npend == DNS_MAX_PENDING) {
				if (!pend[0].answered)
					want_pair(pend[0].frame, 0);
				model_drop(0);
				ncap++;
			}
			pend[npend++] = (struct mq){id, type, at.frame, n, 0};
			pend_bytes += n;
			dns_datagram(st, SS_C2S, b, n, &at);
		} else if (rnd(20) == 0) {
			/* an id picked blindly: mostly unsolicited */
			unsigned id = 65536 + rnd(1000);
			size_t n = message(b, id & 0xffff, 1, TYPE_A);
			long i = model_find(id & 0xffff, TYPE_A);
			if (i >= 0) {
				want_pair(pend[i].frame, at.frame);
				model_drop((size_t)i);
			} else {
				want_pair(0, at.frame);
			}
			dns_datagram(st, SS_S2C, b, n, &at);
		} else {
			size_t j = pick == 0   ? rnd(npend < 3 ? npend : 3)
			           : pick == 1 ? npend - 1 - rnd(npend < 3 ? npend : 3)
			                       : rnd((unsigned)npend);
			unsigned id = pend[j].id, type = pend[j].type;
			size_t n = message(b, id, 1, type);
			long i = model_find(id, type);
			want_pair(pend[i].frame, at.frame);
			nmiddle += i > 0 && (size_t)i + 1 < npend;
			if (type == TYPE_AXFR) {
				pend[i].answered = 1;
				nxfr++;
			} else {
				model_drop((size_t)i);
			}
			dns_datagram(st, SS_S2C, b, n, &at);
		}
		most = npend > most ? npend : most;
		uint64_t held = memacct_held(&ss_held);
		if (held < pend_bytes) {
			held_ok = 0;
		} else {
			slots_ok &= held - pend_bytes >= slots;
			slots = held - pend_bytes;
		}
	}
	for (size_t i = 0; i < npend; i++)
		if (!pend[i].answered)
			want_pair(pend[i].frame, 0);
	dns_close(st, &f, &at);

	printf("%u datagrams, %zu records (model %zu), at most %zu waiting, %zu given up at the "
	       "cap, %zu answered from the middle, %zu zone transfer responses; slots held: "
	       "%llu bytes\n",
	       STEPS, ngot, nwant, most, ncap, nmiddle, nxfr, (unsigned long long)slots);
	CHECK(most == DNS_MAX_PENDING && ncap > 100 && nmiddle > 1000 && nxfr > 100);
	CHECK(ngot == nwant);
	size_t first = 0;
	while (first < ngot && first < nwant && got[first].fq == want[first].fq &&
	       got[first].fr == want[first].fr)
		first++;
	if (!CHECK(first == nwant && first == ngot) && first < ngot && first < nwant)
		printf("record %zu: got frames %llu/%llu, want %llu/%llu\n", first,
		       (unsigned long long)got[first].fq, (unsigned long long)got[first].fr,
		       (unsigned long long)want[first].fq, (unsigned long long)want[first].fr);
	CHECK(held_ok && slots_ok);
	/* the slots: 256, of a few hundred bytes each */
	CHECK(slots >= DNS_MAX_PENDING * 256u && slots <= DNS_MAX_PENDING * 512u);
	CHECK(memacct_held(&ss_held) == 0);
	free(got);
	free(want);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
