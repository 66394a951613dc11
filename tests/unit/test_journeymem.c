/* test_journeymem.c - the journeys within --journey-mem (issue 16,
 * finding 2).
 *
 * The journeys counted a copy or a log line as its struct and the lengths
 * of its texts, and the walk at the end of the run not at all: a log line
 * took some 1 KB where 200 bytes were counted, and 200000 of them
 * (--max-log-lines) 205 MB against the 64M cap. Some shapes were worse:
 * copies sharing a queue ID each got a list of all that queue's lines and
 * a step for each of its deliveries (copies times lines), and a chain of
 * copies passed on from one another was walked by recursion as deep as it
 * was long.
 *
 * The truths here: what glibc's malloc says it handed out (mallinfo2,
 * small blocks and mmapped ones), the cap, and the copies and lines given
 * (each copy in exactly one journey, in the order it was passed on).
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "journey.h"
#include "journeyint.h"
#include "message.h"
#include "syslog.h"

#include "heap.h"

#define MB (1u << 20)

static size_t heap(void)
{
#if GLIBC_MALLOC
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
#else
	return 0;
#endif
}

static struct ss_flow flows[2]; /* 10.0.0.1 > 10.0.0.2:25, 10.0.0.2 > 10.0.0.1:25 */
static uint64_t frame;

static void setup(void)
{
	for (int i = 0; i < 2; i++) {
		struct ss_flow *f = &flows[i];
		f->id = (uint64_t)i + 1;
		f->proto = 6;
		f->ep[SS_C2S].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, (uint8_t)(1 + i)}};
		f->ep[SS_S2C].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, (uint8_t)(2 - i)}};
		f->ep[SS_S2C].port = 25;
	}
}

static struct journeys *fresh(size_t copies, size_t logs, size_t bytes)
{
	struct journey_opts o = {copies, logs, bytes, 0, 0};
	frame = 0;
	return journeys_new(&o);
}

/* Copy number on flow i, queue ID q at its server, passed on from `from`. */
static void copy(struct journeys *j, int i, uint64_t number, uint64_t from, const char *q)
{
	static const uint8_t body[] = "Received: by x\r\nMessage-ID: <m1@a.test>\r\n"
	                              "Subject: journey\r\n\r\nhi\r\n";
	static struct msg m;
	static int parsed;
	if (!parsed && !msg_parse(&m, body, sizeof body - 1))
		parsed = 1;
	struct ss_str rcpt = {(const uint8_t *)"u@b.test", 8};
	struct ss_record r = {.kind = REC_MESSAGE, .flow = &flows[i]};
	frame++;
	r.u.msg = (struct rec_message){.p = RP_SMTP,
	                               .role = RR_TRANSFER,
	                               .number = number,
	                               .data = {body, sizeof body - 1},
	                               .queue_id = {(const uint8_t *)q, q ? strlen(q) : 0},
	                               .mail_from = {(const uint8_t *)"a@a.test", 8},
	                               .code = 250,
	                               .rcpt = &rcpt,
	                               .nrcpt = 1,
	                               .ts_start = (int64_t)frame * 1000000,
	                               .ts_end = (int64_t)frame * 1000000 + 500,
	                               .frame_start = frame,
	                               .frame_end = frame,
	                               .msg = &m};
	struct vhop hop = {.number = number,
	                   .from = from,
	                   .message_id = "<m1@a.test>",
	                   .subject = "journey",
	                   .added = from ? 1 : 0,
	                   .exact = 1};
	journeys_record(j, &r, &hop);
}

/* A line as rsyslog forwards it (Postfix's words: src/global/log_adhoc.c,
 * qmgr_active.c). */
static void line(struct journeys *j, const char *host, const char *tag, const char *msg)
{
	char b[2048];
	int n = snprintf(b, sizeof b, "<22>Dec  6 18:27:01 %s %s: %s", host, tag, msg);
	struct ss_record r = {.kind = REC_LOG, .flow = &flows[0]};
	syslog_parse((const uint8_t *)b, (size_t)n, &r.u.log);
	frame++;
	r.u.log.ts = (int64_t)frame * 1000000;
	r.u.log.frame = frame;
	journeys_record(j, &r, NULL);
}

/* Every step of every journey: how many copies in all, and whether any
 * journey has no step. */
static size_t copies_in(const struct journeys *j, size_t n, int *empty, size_t *steps)
{
	size_t c = 0;
	*empty = 0;
	*steps = 0;
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		*empty |= jn->nsteps == 0;
		*steps += jn->nsteps;
		for (size_t k = 0; k < jn->nsteps; k++)
			c += jn->steps[k].kind == JS_COPY;
	}
	return c;
}

/* 200000 log lines (--max-log-lines), each about a queue of its own (a
 * message only the logs show: a journey each, the walk's worst per line),
 * short or with every text at its longest: what malloc holds after the
 * collecting and after the walk stays within the cap, and what is counted
 * is within 30% of what malloc holds. */
static void lines_flood(int longest)
{
#if GLIBC_MALLOC
	const size_t cap = 16 * MB;
	fflush(stdout); /* its buffer made before */
	size_t before = heap();
	struct journeys *j = fresh(100000, 200000, cap);
	char q[32], msg[1200];
	char word[191];
	memset(word, 'w', sizeof word - 1);
	word[sizeof word - 1] = 0;
	for (unsigned i = 0; i < 200000; i++) {
		snprintf(q, sizeof q, "%010X", i + 1);
		if (longest)
			snprintf(msg, sizeof msg,
			         "%s: to=<%s@%s>, relay=%s[10.0.0.2]:25, delay=1, delays=1/0/0/0, "
			         "dsn=5.0.0, status=bounced (%s)",
			         q, word, word, word, word);
		else
			snprintf(msg, sizeof msg, "%s: removed", q);
		line(j, longest ? word : "mx1", "postfix/smtp[1]", msg);
	}
	size_t collected = heap() - before;
	size_t stored = journey_stored(j), held, built;
	journeys_mem(j, &held, &built);
	uint64_t dc, dl;
	journeys_dropped(j, &dc, &dl);
	printf("%s lines: malloc holds %zu after collecting (counted %zu, with the walk's share "
	       "%zu; %" PRIu64 " dropped), cap %zu\n",
	       longest ? "long" : "short", collected, stored, held, dl, cap);
	CHECK(held <= cap);
	CHECK(collected <= cap);
	CHECK(collected * 10 <= stored * 13 && stored * 10 <= collected * 13);
	CHECK(dl > 0); /* 200000 do not fit in 16M */
	size_t n = journeys_build(j);
	size_t after = heap() - before;
	int empty;
	size_t steps;
	copies_in(j, n, &empty, &steps);
	journeys_dropped(j, &dc, &dl);
	journeys_mem(j, &held, &built);
	printf("  %zu journeys: malloc holds %zu after the walk (the walk at most %zu at once), "
	       "%" PRIu64 " lines dropped in all, cut %d\n",
	       n, after, built, dl, journeys_cut(j));
	CHECK(after <= cap + cap / 50);
	CHECK(n > 0 && !empty);
	CHECK(n + dl == 200000 || journeys_cut(j)); /* a journey per line kept */
	journeys_free(j);
	size_t left = heap() - before;
	/* all given back (valgrind finds no block left; malloc's own count
	 * moves by a few K of its own) */
	CHECK(left <= 65536 || !printf("  %zu bytes left\n", left));
#else
	(void)longest;
	printf("not glibc's malloc: skipped\n");
#endif
}

/* 3000 copies that all say queue ID 1A2B3C4D5E, and 3000 deferrals of it:
 * before, each copy got a list of the 3000 lines and a step for each
 * deferral (9 million steps, 700 MB). Now the lines are one list, each
 * deferral one step, each copy in one journey. */
static void shared_queue(void)
{
	const size_t cap = 32 * MB;
	size_t before = heap();
	struct journeys *j = fresh(100000, 200000, cap);
	for (unsigned i = 1; i <= 3000; i++) {
		copy(j, 0, i, 0, "1A2B3C4D5E");
		line(j, "mx1", "postfix/smtp[1]",
		     "1A2B3C4D5E: to=<u@b.test>, relay=none, delay=30, delays=0.1/0/30/0, "
		     "dsn=4.4.1, "
		     "status=deferred (connect to mx2[10.0.0.2]:25: Connection refused)");
	}
	size_t n = journeys_build(j);
	size_t after = heap() - before;
	int empty;
	size_t steps;
	size_t nc = copies_in(j, n, &empty, &steps);
	printf("3000 copies of one queue ID and 3000 of its lines: %zu journeys, %zu steps, "
	       "malloc holds %zu\n",
	       n, steps, after);
	CHECK(nc == 3000 && n == 3000 && !empty);
	CHECK(steps == 3000 + 3000); /* each copy, each deferral: once */
	CHECK(!GLIBC_MALLOC || after <= cap);
	CHECK(!journeys_cut(j));
	/* the lines are one list: every copy's step points at the same */
	const struct jstep *s0 = &journeys_get(j, 0)->steps[0];
	const struct jstep *s1 = &journeys_get(j, n - 1)->steps[0];
	CHECK(s0->nlogs == 3000 && s1->nlogs == 3000 && s0->logs == s1->logs);
	journeys_free(j);
}

/* 100000 copies each passed on from the one before (a message sent back
 * and forth): the walk went as deep as the chain, on the stack. Now each
 * journey walks at most JOURNEY_MAX_LEVEL of it, the rest beginning the
 * next: every copy in one journey, in order. */
static void deep_chain(void)
{
	struct journeys *j = fresh(100000, 1000, 256 * MB);
	char q[32];
	for (unsigned i = 1; i <= 100000; i++) {
		snprintf(q, sizeof q, "Q%07u", i);
		copy(j, (int)(i % 2), i, i - 1, q);
	}
	size_t n = journeys_build(j);
	int empty;
	size_t steps;
	size_t nc = copies_in(j, n, &empty, &steps);
	printf("a chain of 100000 copies: %zu journeys, %zu copies in them\n", n, nc);
	CHECK(nc == 100000 && !empty);
	CHECK(n == (100000 + 255) / 256);
	uint64_t want = 1;
	int ordered = 1;
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		for (size_t k = 0; k < jn->nsteps; k++)
			ordered &= jn->steps[k].copy->number == want++;
	}
	CHECK(ordered);
	journeys_free(j);
}

/* Two recipients at one next server: two "queued as B" lines. Copy B is
 * walked once, after copy A. */
static void two_lines_one_copy(void)
{
	struct journeys *j = fresh(100, 100, MB);
	copy(j, 0, 1, 0, "AAAA0001");
	for (int i = 0; i < 2; i++)
		line(j, "mx1", "postfix/smtp[1]",
		     "AAAA0001: to=<u@b.test>, relay=mx2[10.0.0.1]:25, delay=1.2, "
		     "delays=1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
		     "BBBB0002)");
	copy(j, 1, 2, 0, "BBBB0002");
	CHECK(journeys_build(j) == 1);
	const struct journey *jn = journeys_get(j, 0);
	CHECK(jn->nsteps == 2 && jn->steps[0].copy && jn->steps[0].copy->number == 1 &&
	      jn->steps[1].copy && jn->steps[1].copy->number == 2);
	journeys_free(j);
}

/* A cap too small for the walk of all that was kept: the oldest go (and
 * are said to), the journeys shown are whole, and no journey is empty. */
static void walk_over_cap(void)
{
#if GLIBC_MALLOC
	const size_t cap = 2 * MB;
	size_t before = heap();
	struct journeys *j = fresh(100000, 200000, cap);
	char q[32], msg[64];
	for (unsigned i = 0; i < 50000; i++) {
		snprintf(q, sizeof q, "%010X", i + 1);
		snprintf(msg, sizeof msg, "%s: removed", q);
		line(j, "mx1", "postfix/qmgr[1]", msg);
	}
	uint64_t dc, dl0, dl;
	journeys_dropped(j, &dc, &dl0);
	size_t n = journeys_build(j);
	journeys_dropped(j, &dc, &dl);
	int empty;
	size_t steps;
	copies_in(j, n, &empty, &steps);
	size_t after = heap() - before;
	printf("50000 lines in 2M: %" PRIu64 " dropped collecting, %" PRIu64
	       " more for the walk, %zu journeys, malloc holds %zu\n",
	       dl0, dl - dl0, n, after);
	CHECK(!empty && n > 0 && n + dl == 50000);
	CHECK(!journeys_cut(j));
	CHECK(after <= cap + cap / 50);
	/* the newest are kept: the last journey is the last queue */
	const struct journey *last = journeys_get(j, n - 1);
	CHECK(last->nsteps && last->steps[0].queue_id &&
	      !strcmp(last->steps[0].queue_id, "000000C350"));
	journeys_free(j);
#endif
}

/* A journey as words: its id, and each step's kind, copy and log lines. */
static void words(const struct journey *jn, char *out, size_t len)
{
	size_t at = 0;
	at += (size_t)snprintf(out + at, len - at, "#%" PRIu64, jn->id);
	for (size_t k = 0; k < jn->nsteps && at < len; k++) {
		const struct jstep *s = &jn->steps[k];
		at += (size_t)snprintf(out + at, len - at, " %d:%" PRIu64 ":%s:%zu", (int)s->kind,
		                       s->copy ? s->copy->number : 0, s->log ? s->log->text : "-",
		                       s->nlogs);
	}
}

static char said[4096][256];
static size_t nsaid;

static void on_settled(const struct journeys *j, size_t n, const char *settled, void *ctx)
{
	size_t *times = ctx;
	(*times)++;
	for (size_t i = 0; i < n; i++)
		if (settled[i] && nsaid < 4096)
			words(journeys_get(j, i), said[nsaid++], sizeof said[0]);
}

/* Each of 1000 messages goes over two hops, with a delivery line after
 * the second (its queue ID), before the next message begins: a store of
 * 64 copies settles the older journeys as it fills, and every journey
 * comes out once, whole, numbered in turn, as a store that holds all of
 * them puts them together at the end. Before settling, the oldest copies
 * were dropped and their journeys lost. */
static void settling(void)
{
	enum { N = 1000 };
	struct journeys *all = fresh(100000, 200000, 64 * MB);
	struct journeys *small = fresh(64, 200000, 64 * MB);
	size_t times = 0;
	journeys_on_settled(small, on_settled, &times);
	nsaid = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct journeys *j = pass ? small : all;
		for (uint64_t k = 1; k <= N; k++) {
			char q1[16], q2[16], msg[256];
			snprintf(q1, sizeof q1, "A%07" PRIu64, k);
			snprintf(q2, sizeof q2, "B%07" PRIu64, k);
			copy(j, 0, 2 * k - 1, 0, q1);
			copy(j, 1, 2 * k, 2 * k - 1, q2);
			snprintf(msg, sizeof msg,
			         "%s: to=<u@b.test>, relay=local, delay=0.1, delays=0/0/0/0.1, "
			         "dsn=2.0.0, status=sent (delivered to mailbox)",
			         q2);
			line(j, "mx2", "postfix/local[1]", msg);
		}
	}
	size_t n = journeys_build(all), m = journeys_build(small);
	uint64_t dc, dl;
	journeys_dropped(small, &dc, &dl);
	printf("1000 journeys of two hops and a delivery, a store of 64 copies: %zu settled in %zu "
	       "goes, %zu at the end, %" PRIu64 " copies dropped\n",
	       nsaid, times, m, dc);
	CHECK(n == N && times > 0 && nsaid + m == N && dc == 0 && dl == 0);
	CHECK(journeys_settled(small) == nsaid);
	for (size_t i = 0; i < m && nsaid < 4096; i++)
		words(journeys_get(small, i), said[nsaid++], sizeof said[0]);
	size_t same = 0, whole = 0;
	for (size_t i = 0; i < n && i < nsaid; i++) {
		char w[256];
		const struct journey *jn = journeys_get(all, i);
		words(jn, w, sizeof w);
		same += !strcmp(w, said[i]);
		/* two copies and the delivery */
		whole +=
		    jn->nsteps >= 2 && jn->steps[0].kind == JS_COPY && jn->steps[1].kind == JS_COPY;
	}
	CHECK(same == N && whole == N);
	if (same != N)
		for (size_t i = 0; i < nsaid; i++) {
			char w[256];
			words(journeys_get(all, i), w, sizeof w);
			if (strcmp(w, said[i])) {
				printf("  first difference: %s / %s\n", w, said[i]);
				break;
			}
		}
	journeys_free(all);
	journeys_free(small);
}

int main(void)
{
	setup();
	lines_flood(0);
	lines_flood(1);
	shared_queue();
	deep_chain();
	two_lines_one_copy();
	walk_over_cap();
	settling();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
