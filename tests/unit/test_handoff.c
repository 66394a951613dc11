/* test_handoff.c - the engine on a thread of its own (reassembly/
 * handoff.c) against the engine on the caller's thread: the same segments
 * give the consumers the same calls, in the same order, with the same
 * arguments, the same events and the same capture time between them. The
 * cases are the ones where a copy could go wrong: a dissector that leaves
 * bytes unconsumed (held on its side, offered again, drained at a gap and
 * at the end, past --max-pending skipped as a gap), a hole, a flow no
 * dissector takes (its statistics reach the tap at the close), datagrams,
 * idle timeouts far apart in time, and a call from the engine's thread.
 * The same with --workers (2 and 3), where the dissectors run on workers
 * and their lines come back in order; and a stress run of many flows,
 * workers pausing at random, and records larger than a queue's block,
 * with 1 to 4 workers, ten times each.
 * The log of the one-thread run is also checked against what the cases
 * mean, so the two runs cannot agree on nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "event.h"
#include "handoff.h"
#include "memacct.h"
#include "synth.h"

#define SYN 0x02
#define FIN 0x01
#define ACK 0x10

static char logbuf[8 << 20];
static size_t loglen;
/* Capture time as the consumer knew it, logged when the next call comes:
 * what the engine's thread tells it once before a call is the same as
 * what one thread tells it after every frame. */
static int64_t clock_now, clock_said;

/* A line of the log, on the consumer's thread. */
static void logged(const void *p, size_t len, void *ctx)
{
	(void)ctx;
	if (clock_now != clock_said) {
		int k = snprintf(logbuf + loglen, sizeof logbuf - loglen, "clock %lld\n",
		                 (long long)(clock_now / 1000000 % 10000000));
		loglen += k > 0 && (size_t)k < sizeof logbuf - loglen ? (size_t)k : 0;
		clock_said = clock_now;
	}
	if (len < sizeof logbuf - loglen) {
		memcpy(logbuf + loglen, p, len);
		loglen += len;
		logbuf[loglen] = 0;
	}
}

/* Says a line; a worker's (--workers) goes to the consumer's thread in
 * its place among everything else. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	size_t n = len < 0 ? 0 : (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
	void *w = handoff_out(logged, n);
	if (w)
		memcpy(w, line, n);
	else
		logged(line, n, NULL);
}

/* The thread that opened each flow's dissector (flows 1 to 15). */
static pthread_t opened_on[16];
static int opened[16];

/* "line": consumes whole lines only, so the rest waits in front of the
 * next bytes. */
static enum ss_probe line_probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)d;
	(void)p;
	if (f->ep[SS_S2C].port != 7777)
		return SS_PROBE_NO;
	return n ? SS_PROBE_YES : SS_PROBE_MORE;
}

static void *line_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	say("app open %llu\n", (unsigned long long)f->id);
	if (f->id < 16) {
		opened_on[f->id] = pthread_self();
		opened[f->id] = 1;
	}
	return (void *)f;
}

static size_t line_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	const struct ss_flow *f = st;
	size_t k = n;
	while (k && p[k - 1] != '\n')
		k--;
	if (at->last)
		k = n; /* nothing follows: all of it */
	say("app data %llu %d off=%llu last=%d frame=%llu [%.*s] took %zu\n",
	    (unsigned long long)f->id, d, (unsigned long long)at->off, at->last,
	    (unsigned long long)at->frame, (int)n, (const char *)p, k);
	if (memchr(p, '!', k))
		ss_eventf("test", "bang", at->frame, at->ts, f->id, d, "a line with a bang");
	return k;
}

static void line_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	const struct ss_flow *f = st;
	say("app gap %llu %d len=%llu off=%llu\n", (unsigned long long)f->id, d,
	    (unsigned long long)len, (unsigned long long)at->off);
}

/* A datagram's record of 80 times its bytes, on the consumer's thread:
 * its length and a sum of its bytes. */
static void big_logged(const void *p, size_t n, void *ctx)
{
	uint32_t sum = 0;
	for (size_t k = 0; k < n; k++)
		sum = sum * 31 + ((const uint8_t *)p)[k];
	char line[64];
	int k = snprintf(line, sizeof line, "big %zu sum %u\n", n, sum);
	logged(line, (size_t)k, ctx);
}

/* The stress cases' workers pause now and then, so that they run in
 * every order against each other and the consumer. */
static void maybe_pause(void)
{
	static _Thread_local uint32_t x;
	if (!x)
		x = (uint32_t)(uintptr_t)&x | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	if (x % 8 == 0) {
		struct timespec ts = {0, (long)(x % 50000)};
		nanosleep(&ts, NULL);
	}
}

static void line_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                          const struct ss_pos *at)
{
	(void)at;
	const struct ss_flow *f = st;
	maybe_pause();
	if (n > 3000) { /* a record larger than a queue block */
		uint8_t *w = handoff_out(big_logged, 80 * n), *own = w ? NULL : malloc(80 * n);
		uint8_t *to = w ? w : own;
		if (!to)
			return;
		for (int i = 0; i < 80; i++)
			memcpy(to + i * n, p, n);
		if (own) {
			big_logged(own, 80 * n, NULL);
			free(own);
		}
		return;
	}
	say("app datagram %llu %d [%.*s]\n", (unsigned long long)f->id, d, (int)n, (const char *)p);
}

static void line_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)st;
	say("app close %llu %s frame=%llu bytes=%llu/%llu\n", (unsigned long long)f->id,
	    ss_close_name(f->how), (unsigned long long)at->frame,
	    (unsigned long long)f->st[0].bytes, (unsigned long long)f->st[1].bytes);
}

static const struct ss_proto line = {"line",   line_probe,    NULL,       line_open, line_data,
                                     line_gap, line_datagram, line_close, NULL};

/* A tap that says everything it sees. */
static void *tap_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	say("tap open %llu proto=%u\n", (unsigned long long)f->id, f->proto);
	return (void *)f;
}

static void tap_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	const struct ss_flow *f = st;
	say("tap data %llu %d off=%llu [%.*s]\n", (unsigned long long)f->id, d,
	    (unsigned long long)at->off, (int)n, (const char *)p);
}

static void tap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	(void)at;
	const struct ss_flow *f = st;
	say("tap gap %llu %d %llu\n", (unsigned long long)f->id, d, (unsigned long long)len);
}

static void tap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)st;
	(void)at;
	say("tap close %llu %s app=%s pkts=%llu/%llu bytes=%llu/%llu gaps=%llu\n",
	    (unsigned long long)f->id, ss_close_name(f->how), f->app ? f->app : "-",
	    (unsigned long long)f->st[0].packets, (unsigned long long)f->st[1].packets,
	    (unsigned long long)f->st[0].bytes, (unsigned long long)f->st[1].bytes,
	    (unsigned long long)(f->st[0].gaps + f->st[1].gaps));
}

static const struct ss_tap tap = {tap_open, tap_data, tap_gap, NULL, tap_close, NULL};

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	say("event %s %s flow=%llu frame=%llu: %s\n", e->layer, e->what,
	    (unsigned long long)e->flow, (unsigned long long)e->frame, e->detail);
}

static void on_clock(int64_t now, void *ctx)
{
	(void)ctx;
	clock_now = now;
}

static void on_call(const void *p, size_t n, void *ctx)
{
	(void)ctx;
	say("call [%.*s]\n", (int)n, (const char *)p);
}

static struct ss_caps caps;
static struct ss_reasm *r;
static struct handoff *h; /* NULL: the one-thread run */

static void tcp(int from_client, uint16_t cport, uint16_t sport, int ms, int flags, uint32_t seq,
                uint32_t ack, const char *payload)
{
	synth_tcp(r, from_client, cport, sport, ms, flags, seq, ack, payload,
	          payload ? strlen(payload) : 0, 0);
	int64_t now = (int64_t)ms * 1000000 + 1700000000LL * 1000000000;
	if (h)
		handoff_clock(h, now);
	else
		on_clock(now, NULL);
}

static void udp(int from_client, int ms, const char *payload)
{
	synth_udp(r, from_client, 40000, 7777, ms, payload, strlen(payload));
	int64_t now = (int64_t)ms * 1000000 + 1700000000LL * 1000000000;
	if (h)
		handoff_clock(h, now);
	else
		on_clock(now, NULL);
}

/* The cases, fed to the engine on whichever thread runs them. */
static void cases(void *ctx)
{
	(void)ctx;
	enum { C = 1, S = 0 };
	/* flow 1: lines cut anywhere, one out of order, a hole, then a FIN */
	tcp(C, 1001, 7777, 0, SYN, 100, 0, NULL);
	tcp(S, 1001, 7777, 1, SYN | ACK, 500, 101, NULL);
	tcp(C, 1001, 7777, 2, ACK, 101, 501, "HELLO wor");
	tcp(C, 1001, 7777, 3, ACK, 110, 501, "ld\n!bang\npart");
	tcp(S, 1001, 7777, 4, ACK, 501, 124, "ok\n");
	tcp(C, 1001, 7777, 6, ACK, 128, 504, "ial\nafter\n"); /* "ial" early: held */
	tcp(C, 1001, 7777, 5, ACK, 124, 504, "XXXX");         /* the missing bytes */
	tcp(C, 1001, 7777, 7, ACK, 150, 504, "beyond a hole\n");
	tcp(S, 1001, 7777, 8, ACK, 504, 164, NULL); /* acks past the hole */
	tcp(S, 1001, 7777, 400, ACK, 504, 164, "late\n");
	tcp(C, 1001, 7777, 401, FIN | ACK, 164, 509, NULL);
	tcp(S, 1001, 7777, 402, FIN | ACK, 509, 165, NULL);
	/* flow 2: no protocol takes it; its numbers reach the tap at the close */
	tcp(C, 2002, 9999, 10, SYN, 1, 0, NULL);
	tcp(S, 2002, 9999, 11, SYN | ACK, 9, 2, NULL);
	tcp(C, 2002, 9999, 12, ACK, 2, 10, "nobody's\n");
	tcp(S, 2002, 9999, 13, ACK, 10, 11, "reply");
	/* flow 3: datagrams */
	udp(C, 20, "question");
	udp(S, 21, "answer");
	if (h)
		handoff_call(h, on_call, "from the engine's thread", 24);
	else
		on_call("from the engine's thread", 24, NULL);
	/* flow 4: more than --max-pending left unconsumed */
	tcp(C, 4004, 7777, 30, SYN, 1, 0, NULL);
	tcp(C, 4004, 7777, 31, ACK, 2, 0, "no line end, and more than the cap");
	tcp(C, 4004, 7777, 32, ACK, 36, 0, "still none");
	/* far later: flows 2, 3 and 4 end idle, flow 1's linger is over */
	tcp(C, 5005, 7777, 2000000, SYN, 1, 0, NULL);
	reasm_finish(r);
}

/* The stress cases: 120 datagram flows, three rounds of one datagram
 * each, interleaved; every 17th flow's datagrams are 4,000 bytes, and
 * their records (80 times that) larger than a block of a queue. */
static void stress(void *ctx)
{
	(void)ctx;
	static uint8_t p[4000];
	int ms = 0;
	for (int round = 0; round < 3; round++)
		for (int f = 0; f < 120; f++) {
			size_t n =
			    f % 17 == 5 ? sizeof p : (size_t)((f * 7919 + round * 31) % 1500);
			for (size_t k = 0; k < n; k++)
				p[k] = (uint8_t)('a' + (f + k + (size_t)round) % 26);
			synth_udp(r, round != 1, (uint16_t)(20000 + f), 7777, ++ms, p, n);
			int64_t now = (int64_t)ms * 1000000 + 1700000000LL * 1000000000;
			if (h)
				handoff_clock(h, now);
			else
				on_clock(now, NULL);
		}
	reasm_finish(r);
}

/* threaded: 0 one thread, 1 the engine on its own, 2 and more: with so
 * many workers too; feed: the cases */
static void run(int threaded, void (*feed)(void *))
{
	logbuf[0] = 0;
	loglen = 0;
	clock_now = clock_said = 0;
	synth_reset();
	ss_caps_defaults(&caps);
	caps.max_pending = 24;
	r = reasm_new(&caps);
	reasm_add_proto(r, &line);
	reasm_add_tap(r, &tap);
	ss_event_sink(on_event, NULL);
	memset(opened, 0, sizeof opened);
	h = threaded ? handoff_new(r, on_clock, NULL) : NULL;
	if (threaded) {
		CHECK(h != NULL);
		if (threaded > 1)
			CHECK(h && handoff_workers(h, threaded, NULL, NULL) == 0);
		CHECK(h && handoff_start(h, feed, NULL) == 0);
		handoff_consume(h);
		handoff_free(h);
		h = NULL;
	} else {
		feed(NULL);
	}
	reasm_free(r);
	ss_event_sink(NULL, NULL);
}

int main(void)
{
	run(0, cases);
	char *direct = strdup(logbuf);
	pthread_t self = pthread_self();
	for (int i = 0; i < 16; i++)
		CHECK(!opened[i] || pthread_equal(opened_on[i], self));
	for (int threads = 1; threads <= 3; threads++) {
		run(threads, cases);
		CHECK(!strcmp(direct, logbuf));
		if (strcmp(direct, logbuf))
			printf("one thread:\n%s\n%d threads:\n%s\n", direct, threads, logbuf);
		if (threads < 2)
			continue;
		/* --workers: every dissector ran on a worker, and on more than one */
		pthread_t first = self;
		int flows = 0, others = 0;
		for (int i = 0; i < 16; i++) {
			if (!opened[i])
				continue;
			CHECK(!pthread_equal(opened_on[i], self));
			if (flows++ == 0)
				first = opened_on[i];
			else if (!pthread_equal(opened_on[i], first))
				others++;
		}
		CHECK(flows >= 3); /* flows 1, 3 and 4 */
		CHECK(others > 0);
	}
	/* the one-thread log says what the cases mean */
	CHECK(strstr(direct, "[HELLO wor] took 0") && strstr(direct, "[HELLO world\n!bang\npart]"));
	CHECK(strstr(direct, "event test bang") != NULL);
	CHECK(strstr(direct, "app gap 1 0") != NULL);
	CHECK(strstr(direct, "tap close 2 idle app=- pkts=2/2 bytes=9/5") != NULL);
	CHECK(strstr(direct, "app datagram 3 0 [question]") &&
	      strstr(direct, "app datagram 3 1 [answer]"));
	CHECK(strstr(direct, "call [from the engine's thread]") != NULL);
	CHECK(strstr(direct, "pending_overflow") != NULL);
	CHECK(strstr(direct, "clock 2000000") != NULL);
	free(direct);
	/* many flows, workers pausing at random, records over a block */
	run(0, stress);
	direct = strdup(logbuf);
	size_t bigs = 0;
	for (const char *q = direct; (q = strstr(q, "big 320000 sum ")); q++)
		bigs++;
	CHECK(bigs == 21); /* flows 5, 22, ... 107, three times */
	CHECK(strstr(direct, "app datagram 120 0 [") != NULL);
	for (int threads = 1; threads <= 4; threads++)
		for (int again = 0; again < 10; again++) { /* other interleavings */
			run(threads, stress);
			CHECK(!strcmp(direct, logbuf));
			if (strcmp(direct, logbuf))
				printf("stress: %d threads differ\n", threads);
		}
	free(direct);
	CHECK(memacct_held(&ss_held) == 0); /* every flow gave back what it held */
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
