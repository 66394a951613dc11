/* test_events.c - repeated events summarised (util/event.h) and an overlong
 * SMTP reply shown once (dissect/smtp.c), the two floods of issue 16.
 *
 * The counts are checked against what the tests compute on their own: the
 * arithmetic of the events they raise; for the fragment flood, the store's
 * own eviction counter (frag_stats) and --max-frag-dgrams; for the reply,
 * the wire bytes of the reply the test built, less those shown. The reply
 * runs through reassembly and the SMTP dissector whole, one byte a
 * segment, and cut at every byte (session.h), and must give the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "frag.h"
#include "session.h"
#include "sstime.h"

/* --- what reached the sink ------------------------------------------------- */

#define MAXGOT 16384
struct got {
	char layer[16], what[32], detail[160];
	uint64_t frame, flow, repeated, first_frame, last_frame;
	int64_t ts;
	int dir;
};
static struct got got[MAXGOT];
static size_t ngot, nsummaries;

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	nsummaries += e->repeated != 0;
	if (ngot == MAXGOT)
		return;
	struct got *g = &got[ngot++];
	snprintf(g->layer, sizeof g->layer, "%s", e->layer);
	snprintf(g->what, sizeof g->what, "%s", e->what);
	snprintf(g->detail, sizeof g->detail, "%s", e->detail);
	g->frame = e->frame, g->flow = e->flow, g->ts = e->ts, g->dir = e->dir;
	g->repeated = e->repeated, g->first_frame = e->first_frame, g->last_frame = e->last_frame;
}

static void reset(void)
{
	ngot = nsummaries = 0;
}

static void ev(const char *what, uint64_t frame, uint64_t flow, int dir)
{
	struct ss_event e = {"tcp", what, frame, (int64_t)frame * 1000, flow, dir, "x", 0, 0, 0};
	ss_event_emit(&e);
}

/* --- the counting ------------------------------------------------------------ */

static void test_off(void)
{
	reset();
	for (uint64_t f = 1; f <= 25; f++)
		ev("gap", f, 3, 0);
	ss_event_flush();
	CHECK(ngot == 25 && nsummaries == 0); /* the default: one for one */
}

static void test_one_key(void)
{
	reset();
	ss_event_repeats(10);
	for (uint64_t f = 101; f <= 125; f++)
		ss_eventf("frag", "frag_evicted", f, (int64_t)f * 1000, 0, -1, "datagram %llu",
		          (unsigned long long)f);
	CHECK(ngot == 10);
	CHECK(got[0].frame == 101 && got[9].frame == 110 && !strcmp(got[9].detail, "datagram 110"));
	CHECK(got[9].repeated == 0);
	ss_event_flush();
	CHECK(ngot == 11 && nsummaries == 1);
	struct got *s = &got[10];
	CHECK(!strcmp(s->layer, "frag") && !strcmp(s->what, "frag_evicted") && s->flow == 0);
	CHECK(s->repeated == 15 && s->first_frame == 111 && s->last_frame == 125);
	CHECK(s->frame == 125 && s->ts == 125000 && s->dir == -1);
	CHECK(!strcmp(s->detail, "15 more like this (first at frame 111, last at frame 125)"));
	/* The table is gone with the flush: the key starts over. */
	reset();
	for (uint64_t f = 1; f <= 10; f++)
		ev("gap", f, 0, 0);
	ss_event_flush();
	CHECK(ngot == 10 && nsummaries == 0); /* all shown: no summary */
}

static void test_flows(void)
{
	reset();
	for (uint64_t f = 1; f <= 24; f += 2) { /* 12 each, interleaved */
		ev("gap", f, 7, 0);
		ev("gap", f + 1, 8, 1);
	}
	ev("overlap_conflict", 30, 7, 1); /* another key of flow 7 */
	CHECK(ngot == 21 && nsummaries == 0);
	ss_event_flow_end(9); /* a flow without events */
	CHECK(ngot == 21);
	ss_event_flow_end(7);
	CHECK(ngot == 22 && nsummaries == 1);
	CHECK(got[21].flow == 7 && got[21].repeated == 2 && got[21].first_frame == 21 &&
	      got[21].last_frame == 23 && got[21].dir == 0);
	ev("gap", 40, 7, 0); /* the flow id again: a new flow as far as counting goes */
	CHECK(ngot == 23 && got[22].repeated == 0);
	ev("gap", 41, 8, 0); /* flow 8's 13th, from the other side */
	ss_event_flush();
	CHECK(ngot == 24 && nsummaries == 2);
	CHECK(got[23].flow == 8 && got[23].repeated == 3 && got[23].first_frame == 22 &&
	      got[23].last_frame == 41 && got[23].dir == -1);
	CHECK(!strcmp(got[23].detail, "3 more like this (first at frame 22, last at frame 41)"));
}

static void test_full_table(void)
{
	reset();
	/* One key more than the table holds, 11 events each: the first key
	 * goes (summarised) to make room for the last. */
	for (uint64_t k = 1; k <= SS_EVENT_KEYS + 1; k++)
		for (uint64_t i = 0; i < 11; i++)
			ev("gap", k * 100 + i, k, 0);
	CHECK(nsummaries == 1);
	CHECK(ngot == 10 * (SS_EVENT_KEYS + 1) + 1);
	struct got *s = &got[10 * SS_EVENT_KEYS + 0]; /* before the new key's events */
	CHECK(s->repeated == 1 && s->flow == 1 && s->first_frame == 110);
	/* The least recently seen goes, not the first made: flow 2 is seen
	 * again, so flow 3 goes for the next new key. */
	ev("gap", 999999, 2, 0);
	ev("gap", 1, 5000, 0);
	CHECK(nsummaries == 2 && got[ngot - 2].flow == 3);
	ss_event_flush(); /* flows 2, 4 .. 1025 (5000 had one event): oldest first */
	CHECK(nsummaries == SS_EVENT_KEYS + 1);
	CHECK(got[ngot - 1].flow == 2 && got[ngot - 1].repeated == 2);
	CHECK(got[ngot - 2].flow == 1025 && got[ngot - 2].repeated == 1);
}

static void test_big_count(void)
{
	reset();
	for (uint64_t i = 0; i < 1234577; i++)
		ev("gap", 0, 0, -1); /* no frame named */
	ss_event_flush();
	CHECK(ngot == 11 && got[10].repeated == 1234567);
	CHECK(!strcmp(got[10].detail, "1,234,567 more like this") && got[10].frame == 0 &&
	      got[10].first_frame == 0 && got[10].ts == 0);
}

static void test_off_again(void)
{
	reset();
	for (uint64_t f = 1; f <= 20; f++)
		ev("gap", f, 1, 0);
	ss_event_repeats(0); /* counts dropped, no summary */
	ss_event_flush();
	ev("gap", 21, 1, 0);
	CHECK(ngot == 11 && nsummaries == 0 && got[10].frame == 21);
	ss_event_repeats(10);
}

/* --- the fragment flood -------------------------------------------------------- */

static void test_frag_flood(void)
{
	reset();
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct frag_store *s = frag_new(&caps);
	uint64_t n = 200000, refused = 0;
	for (uint64_t i = 1; i <= n; i++) {
		struct frag_key k;
		memset(&k, 0, sizeof k);
		k.src.family = k.dst.family = SS_AF_INET;
		k.src.b[0] = 10, k.src.b[1] = (uint8_t)(i >> 16), k.dst.b[0] = 11;
		k.id = (uint32_t)(i & 0xffff);
		k.proto = 17;
		struct ss_frame f = {i, (int64_t)i * 1000, 0, 0, NULL};
		struct frag_done d;
		memset(&d, 0, sizeof d);
		refused += frag_add(s, &k, 0, (const uint8_t *)"12345678", 8, 1, 17, &f, &d) != 0;
	}
	CHECK(refused == 0);
	uint64_t evicted = frag_stats(s)->evicted;
	CHECK(evicted == n - caps.max_frag_dgrams);
	CHECK(ngot == 10);
	ss_event_flush();
	CHECK(ngot == 11 && nsummaries == 1);
	struct got *g = &got[10];
	CHECK(!strcmp(g->what, "frag_evicted") && g->repeated == evicted - 10);
	/* The n-th new datagram evicts from frame max_frag_dgrams + 1 on. */
	CHECK(g->first_frame == caps.max_frag_dgrams + 11 && g->last_frame == n);
	char want[160];
	snprintf(want, sizeof want,
	         "195,894 more like this (first at frame %llu, last at frame %llu)",
	         (unsigned long long)caps.max_frag_dgrams + 11, (unsigned long long)n);
	CHECK(!strcmp(g->detail, want));
	frag_free(s);
}

/* --- the overlong reply ------------------------------------------------------------ */

/* The first `show` characters of the reply as the dissector shows it (its
 * lines joined by LF, here plain ASCII) and the wire bytes after them. */
static size_t wire_after(const char *wire, size_t show, char *shown)
{
	size_t w = 0, k = 0;
	while (wire[w] && k < show) {
		if (wire[w] == '\r' && wire[w + 1] == '\n') {
			if (!wire[w + 2])
				break; /* the reply's own end is no character */
			shown[k++] = '\n';
			w += 2;
		} else {
			shown[k++] = wire[w++];
		}
	}
	shown[k] = 0;
	return strlen(wire) - w;
}

static char *many_lines(size_t lines, size_t width, const char *last)
{
	char *r = malloc(lines * (width + 6) + strlen(last) + 1), *p = r;
	for (size_t i = 0; i < lines; i++) {
		memcpy(p, "250-", 4);
		for (size_t j = 0; j < width; j++)
			p[4 + j] = (char)('a' + (i + j) % 26);
		memcpy(p + 4 + width, "\r\n", 2);
		p += width + 6;
	}
	strcpy(p, last);
	return r;
}

/* session_log has LF as \x0a. */
static void logged(char *out, size_t cap, const char *s)
{
	size_t w = 0;
	for (; *s && w + 5 < cap; s++) {
		if (*s == '\n') {
			memcpy(out + w, "\\x0a", 4);
			w += 4;
		} else {
			out[w++] = *s;
		}
	}
	out[w] = 0;
}

static void test_reply_small(void)
{
	/* 30 lines of 50 bytes and a last one, --max-line 100: cut inside the
	 * third line. */
	session_caps.max_line = 100;
	char *reply = many_lines(30, 44, "250 SIZE 1000\r\n");
	struct turn t[] = {
	    S("220 smtp ESMTP\r\n"),          C("EHLO c\r\n"),       S(reply),
	    C("MAIL FROM:<a@b.example>\r\n"), S("250 2.1.0 Ok\r\n"), C("QUIT\r\n"),
	    S("221 2.0.0 Bye\r\n"),
	};
	char shown[128], esc[512], want[1024];
	size_t more = wire_after(reply, 100, shown);
	CHECK(more ==
	      strlen(reply) - 102); /* 100 shown: lines 1 and 2 with their end, 2 of the 3rd */
	logged(esc, sizeof esc, shown);
	snprintf(want, sizeof want,
	         "EX -||220|220 smtp ESMTP\n"
	         "EX EHLO|EHLO c|250|%s [... %zu bytes more]\n"
	         "EX MAIL|MAIL FROM:<a@b.example>|250|250 2.1.0 Ok\n"
	         "EX QUIT|QUIT|221|221 2.0.0 Bye\n",
	         esc, more);
	session_expect("a reply of 31 lines over --max-line 100: once, cut, counted", t,
	               sizeof t / sizeof t[0], 25, want, "smtp.reply_too_long;");
	/* Cut exactly where a line ends: its line end is in the count. */
	session_caps.max_line = 98; /* the first two lines, 48 + 1 + 48 + the LF would be 98 */
	more = wire_after(reply, 97, shown);
	logged(esc, sizeof esc, shown);
	snprintf(want, sizeof want, "EX EHLO|EHLO c|250|%s [... %zu bytes more]\n", esc, more);
	session_play(t, sizeof t / sizeof t[0], 25, 0, 0);
	session_check(strstr(session_log, want) != NULL, "cut at a line end", session_log);
	free(reply);
	session_caps.max_line = 64u << 10;
}

static void test_reply_big(void)
{
	/* 2 MB in lines of 1000 bytes, and 2 MB as one line; --max-line 4096
	 * (session_log holds 64 KiB). Played in segments of 4000 bytes (synth.c's largest) and
	 * 1460. */
	session_caps.max_line = 4096;
	char *multi = many_lines(2000, 994, "250 SIZE 1000\r\n");
	size_t n1 = 2000000;
	char *one = malloc(n1 + 7);
	memcpy(one, "250 ", 4);
	memset(one + 4, 'x', n1);
	memcpy(one + 4 + n1, "\r\n", 3);
	for (int pass = 0; pass < 4; pass++) {
		const char *r = pass & 1 ? one : multi;
		struct turn t[] = {
		    S("220 smtp ESMTP\r\n"),          C("EHLO c\r\n"),       S(r),
		    C("MAIL FROM:<a@b.example>\r\n"), S("250 2.1.0 Ok\r\n"),
		};
		session_play(t, sizeof t / sizeof t[0], 25, pass < 2 ? 4000 : 1460, 0);
		char shown[4200], want[200];
		size_t more = wire_after(r, 4096, shown);
		if (pass & 1)
			snprintf(want, sizeof want, " [... the rest of a line over --max-line]\n");
		else
			snprintf(want, sizeof want, " [... %zu bytes more]\n", more);
		char name[64];
		snprintf(name, sizeof name, "a 2 MB reply (%s, %s)",
		         pass & 1 ? "one line" : "lines",
		         pass < 2 ? "4000-byte segments" : "1460-byte segments");
		const char *ex = strstr(session_log, "EX EHLO|EHLO c|250|250");
		session_check(ex && !memcmp(ex + 19, shown, 40), name, session_log);
		session_check(ex && strstr(ex, want) == strchr(ex, '\n') - strlen(want) + 1, name,
		              session_log);
		session_check(
		    strstr(session_log, "\nEX MAIL|MAIL FROM:<a@b.example>|250|250 2.1.0 Ok\n") !=
		        NULL,
		    name, session_log);
		/* three exchanges: greeting, EHLO, MAIL; one event */
		int lines = 0;
		for (const char *p = session_log; *p; p++)
			lines += *p == '\n';
		session_check(lines == 3, name, session_log);
		session_check(!strcmp(session_events, "smtp.reply_too_long;"), name,
		              session_events);
	}
	free(multi);
	free(one);
	session_caps.max_line = 64u << 10;
}

int main(void)
{
	ss_event_sink(on_event, NULL);
	test_off();
	test_one_key();
	test_flows();
	test_full_table();
	test_big_count();
	test_off_again();
	test_frag_flood();
	ss_event_repeats(0);

	session_init(); /* its own sink, every event one for one */
	test_reply_small();
	test_reply_big();
	int rc = session_done();
	printf("%d checks, %d failed\n", checks, failures);
	return rc || failures ? 1 : 0;
}
