/* split_check.c - test tool: the dissectors give the same records however
 * the bytes are cut into segments.
 *
 * Usage: split_check FILE.pcap [MAXBYTES]
 * Reads FILE through the whole pipeline and keeps, per TCP flow that a
 * dissector took, its records (reclog.h: what they say, not when) and the
 * anomalies' names, and the flow's bytes in the order they were delivered.
 * Then replays every such flow as hand-made segments: one byte per segment,
 * and once for every byte boundary of the session with one cut there (for
 * sessions up to MAXBYTES, default 20000). Each replay must give the very
 * same records and anomalies. Flows with gaps are skipped (their bytes are
 * not all known). Exits 1 on the first difference, printing both.
 */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"
#include "frames.h"
#include "protos.h"
#include "reclog.h"
#include "synth.h"

#define LOG_CAP (4u << 20)
#define MAX_FLOWS 4096

struct chunk {
	int dir;
	uint8_t *p;
	size_t n;
};

struct flowrec {
	uint64_t id;
	uint16_t cport, sport;
	int gaps;
	const char *app;
	struct chunk *c;
	size_t nc;
	size_t total;
	char *log;
};

static struct flowrec flows[MAX_FLOWS];
static size_t nflows;
static char *replay_log;

static struct flowrec *find(uint64_t id)
{
	return id && id <= nflows ? &flows[id - 1] : NULL;
}

static void *t_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	if (f->id > MAX_FLOWS)
		return NULL;
	if (f->id > nflows)
		nflows = f->id;
	struct flowrec *fr = &flows[f->id - 1];
	fr->id = f->id;
	fr->cport = f->ep[SS_C2S].port;
	fr->sport = f->ep[SS_S2C].port;
	fr->log = calloc(1, LOG_CAP);
	return fr;
}

static void t_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	(void)at;
	struct flowrec *fr = st;
	if (!fr)
		return;
	fr->c = realloc(fr->c, (fr->nc + 1) * sizeof *fr->c);
	fr->c[fr->nc].dir = d;
	fr->c[fr->nc].p = malloc(n);
	memcpy(fr->c[fr->nc].p, p, n);
	fr->c[fr->nc].n = n;
	fr->nc++;
	fr->total += n;
}

static void t_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	(void)d, (void)len, (void)at;
	struct flowrec *fr = st;
	if (fr)
		fr->gaps++;
}

static void t_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct flowrec *fr = st;
	if (fr)
		fr->app = f->app;
}

/* Records and events of the first pass go to their flow's log; of a replay,
 * to the replay log. */
static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (replay_log) {
		reclog_add(replay_log, LOG_CAP, r);
		return;
	}
	struct flowrec *fr = find(r->flow->id);
	if (fr && fr->log)
		reclog_add(fr->log, LOG_CAP, r);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	char *log = replay_log ? replay_log : (find(e->flow) ? find(e->flow)->log : NULL);
	if (!log || !e->flow || !strcmp(e->layer, "tcp"))
		return; /* segment-level events differ by design; the dissectors' must not */
	size_t n = strlen(log);
	snprintf(log + n, LOG_CAP - n, "EVENT %s %s\n", e->layer, e->what);
}

static struct ss_caps caps;

/* Replays fr with segments of at most step bytes, plus one cut at byte cut
 * of the session (0: none). */
static void replay(const struct flowrec *fr, size_t step, size_t cut)
{
	replay_log[0] = 0;
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	dissect_register(r, &o);
	synth_reset();
	uint32_t seq[2] = {1000, 900000};
	int ms = 0;
	uint16_t c = fr->cport, s = fr->sport;
	synth_tcp(r, 1, c, s, ms++, 0x02, seq[0] - 1, 0, NULL, 0, 0);
	synth_tcp(r, 0, c, s, ms++, 0x12, seq[1] - 1, seq[0], NULL, 0, 0);
	synth_tcp(r, 1, c, s, ms++, 0x10, seq[0], seq[1], NULL, 0, 0);
	size_t pos = 0;
	for (size_t i = 0; i < fr->nc; i++) {
		const struct chunk *k = &fr->c[i];
		int d = k->dir, client = d == SS_C2S;
		for (size_t off = 0; off < k->n;) {
			size_t n = step && step < k->n - off ? step : k->n - off;
			if (n > 4096)
				n = 4096; /* synth_tcp() carries at most this much */
			if (cut > pos + off && cut < pos + off + n)
				n = cut - (pos + off); /* the one extra cut of this replay */
			synth_tcp(r, client, c, s, ms, 0x18, seq[d] + (uint32_t)off, seq[!d],
			          k->p + off, n, 0);
			off += n;
		}
		seq[d] += (uint32_t)k->n;
		pos += k->n;
		ms++;
	}
	synth_tcp(r, 1, c, s, ms++, 0x11, seq[0], seq[1], NULL, 0, 0);
	synth_tcp(r, 0, c, s, ms++, 0x11, seq[1], seq[0] + 1, NULL, 0, 0);
	synth_tcp(r, 1, c, s, ms++, 0x10, seq[0] + 1, seq[1] + 1, NULL, 0, 0);
	reasm_finish(r);
	reasm_free(r);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: split_check FILE [MAXBYTES]\n");
		return 2;
	}
	size_t maxbytes = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 20000;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	ss_caps_defaults(&caps);
	record_sink_add(sink, NULL);
	ss_event_sink(on_event, NULL);
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	struct ss_tap tap = {t_open, t_data, t_gap, NULL, t_close, NULL};
	dissect_register(r, &o);
	reasm_add_tap(r, &tap);
	struct ss_decoder dec;
	if (decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r))
		return 2;
	frames_decode(p, &dec);
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);

	replay_log = calloc(1, LOG_CAP);
	int bad = 0;
	size_t checked = 0, replays = 0;
	for (size_t i = 0; i < nflows && !bad; i++) {
		struct flowrec *fr = &flows[i];
		if (!fr->log || !fr->app || fr->gaps || !fr->nc)
			continue;
		checked++;
		size_t cuts = fr->total <= maxbytes ? fr->total : 0;
		for (size_t cut = 0; cut <= cuts && !bad; cut++) {
			replay(fr, cut ? 0 : 1, cut); /* cut 0: one byte a segment */
			replays++;
			if (strcmp(replay_log, fr->log)) {
				printf(
				    "FAIL flow %llu (%s), %s:\n--- as captured\n%s--- replayed\n%s",
				    (unsigned long long)fr->id, fr->app,
				    cut ? "cut at one byte boundary" : "one byte a segment",
				    fr->log, replay_log);
				if (cut)
					printf("(the cut was at byte %zu of %zu)\n", cut,
					       fr->total);
				bad = 1;
			}
		}
	}
	if (!bad)
		printf("%zu dissected flows, %zu replays, the same records every time\n", checked,
		       replays);
	for (size_t i = 0; i < nflows; i++) {
		for (size_t k = 0; k < flows[i].nc; k++)
			free(flows[i].c[k].p);
		free(flows[i].c);
		free(flows[i].log);
	}
	free(replay_log);
	return bad;
}
