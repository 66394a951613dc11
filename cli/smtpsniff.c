/* smtpsniff.c - main: wires the layers together and runs the capture.
 *
 * capture (frames -> IP datagrams) -> reassembly (flows, ordered bytes,
 * gaps) -> dissect (protocols) -> report (what is printed and written).
 * Each layer only knows those below it; this file is the one place that
 * knows them all.
 *
 * A capture file is read, decoded and put in order on a thread of its own
 * (reassembly/handoff.h) while this one dissects and reports, and with
 * --workers N threads more dissect; a live capture does the same with
 * --workers, and without runs on this thread alone, as a pipe does.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "handoff.h"
#include "keylog.h"
#include "log.h"
#include "ngsecrets.h"
#include "options.h"
#include "prescan.h"
#include "protos.h"
#include "reasm.h"
#include "record.h"
#include "recpack.h"
#include "report.h"
#include "select.h"
#include "source.h"

struct run {
	struct ss_source *src;
	int progress;  /* -r on a terminal: a progress line on stderr */
	int64_t shown; /* wall clock of the last progress line */
	struct ss_decoder dec;
	struct ss_reasm *reasm;
	struct ss_report *rep;
	struct options *opt;
	struct handoff *h;   /* the engine runs on its own thread */
	enum source_end end; /* why reading ended (that thread's answer) */
};

static int64_t wall_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Once a second, how far the file is read; done: clear the line. */
static void progress(struct run *r, int done)
{
	uint64_t pos, total;
	int64_t now = wall_ns();
	if (done) {
		if (r->shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (now - r->shown < 1000000000 || source_progress(r->src, &pos, &total) || !total)
		return;
	if (!r->shown) { /* the first second is free: short runs print nothing */
		r->shown = now;
		return;
	}
	r->shown = now;
	fprintf(stderr,
	        "\rsmtpsniff: %3d%% of %s, %" PRIu64 " frames, %" PRIu64 " flows so far\033[K",
	        (int)(pos * 100 / total), r->opt->src.file, source_frames(r->src),
	        reasm_stats(r->reasm)->flows);
}

static void on_frame(const struct ss_frame *f, void *ctx)
{
	struct run *r = ctx;
	decode_frame(&r->dec, f);
	/* the report learns the time on its own thread, in order */
	if (r->h)
		handoff_clock(r->h, f->ts);
	else
		report_clock(r->rep, f->ts);
	if (r->progress && !(f->num & 8191))
		progress(r, 0);
}

static void on_tick(int64_t now, void *ctx)
{
	struct run *r = ctx;
	decode_tick(&r->dec, now);
	reasm_tick(r->reasm, now);
	report_clock(r->rep, now);
}

/* The counters of the layers below report/, taken where they are kept. */
struct counts {
	struct ss_decode_stats dec;
	struct frag_stats frag;
	struct reasm_stats reasm;
	struct source_stats live; /* the kernel's, live */
};

/* On the thread that reads (libpcap's handle is that thread's). */
static void counts_take(const struct run *r, struct counts *c)
{
	c->dec = r->dec.st;
	c->frag = *frag_stats(r->dec.frags);
	c->reasm = *reasm_stats(r->reasm);
	source_stats(r->src, &c->live);
}

static void stats_of(struct run *r, const struct counts *c, int final)
{
	struct run_stats s = {
	    &c->dec,
	    &c->frag,
	    &c->reasm,
	    c->live.valid ? &c->live : NULL,
	    r->opt->src.file ? r->opt->src.file : r->opt->src.iface,
	    source_dlt_name(r->src),
	};
	report_stats(r->rep, &s, final);
}

static void stats(struct run *r, int final)
{
	struct counts c;
	counts_take(r, &c);
	stats_of(r, &c, final);
}

static void on_usr1(void *ctx)
{
	stats(ctx, 0);
}

/* --- with the engine on its own thread (handoff.h) --- */

/* On this thread, in order with the deliveries: the counters as the
 * engine's thread had them when SIGUSR1 came. */
static void usr1_counts(const void *p, size_t n, void *ctx)
{
	struct counts c;
	if (n != sizeof c)
		return;
	memcpy(&c, p, sizeof c);
	stats_of(ctx, &c, 0);
}

static void on_usr1_ahead(void *ctx)
{
	struct run *r = ctx;
	struct counts c;
	counts_take(r, &c);
	handoff_call(r->h, usr1_counts, &c, sizeof c);
	if (source_is_live(r->src)) /* asked now: said now */
		handoff_flush(r->h);
}

/* Live: idle flows end, and the report learns the time, on this thread. */
static void on_tick_ahead(int64_t now, void *ctx)
{
	struct run *r = ctx;
	decode_tick(&r->dec, now);
	reasm_tick(r->reasm, now);
	handoff_clock(r->h, now);
}

/* Live, nothing more to read for now: what is queued goes over. */
static void on_wait_ahead(void *ctx)
{
	struct run *r = ctx;
	handoff_flush(r->h);
}

static void produce(void *ctx)
{
	struct run *r = ctx;
	if (source_is_live(r->src))
		source_on_wait(r->src, on_wait_ahead, r);
	r->end = source_run(r->src, on_frame, source_is_live(r->src) ? on_tick_ahead : NULL,
	                    on_usr1_ahead, r);
	if (r->progress)
		progress(r, 1);
	reasm_finish(r->reasm);
}

static void on_clock(int64_t now, void *ctx)
{
	struct run *r = ctx;
	report_clock(r->rep, now);
}

/* The TLS secrets: the --keylog files, and a pcapng file's own Decryption
 * Secrets Blocks; NULL when there are none (nothing is decrypted). */
static struct tls_keys *keys_load(const struct options *opt)
{
	if (!opt->nkeylogs && !opt->src.file)
		return NULL;
	char err[512];
	struct tls_keys *k = tls_keys_new(0);
	if (!k)
		ss_fatal(SS_EXIT_ENV, "out of memory");
	for (size_t i = 0; i < opt->nkeylogs; i++)
		if (tls_keys_load(k, opt->keylogs[i], err, sizeof err))
			ss_fatal(SS_EXIT_USAGE, "--keylog %s", err);
	long blocks = 0;
	if (opt->src.file && strcmp(opt->src.file, "-")) {
		blocks = ng_secrets_read(opt->src.file, tls_keys_dsb, k, err, sizeof err);
		if (err[0]) /* the capture itself is read on: its own reader says more */
			ss_warn("%s: its TLS secrets blocks: %s", opt->src.file, err);
	}
	if (!opt->nkeylogs && blocks <= 0)
		return tls_keys_free(k);
	struct keylog_stats st;
	tls_keys_stats(k, &st);
	if (st.bad || st.cut_bytes) {
		tls_keys_describe(k, err, sizeof err);
		ss_warn("%s", err);
	}
	return k;
}

/* One pass over the input, from opening it to the last line. A story
 * pass (--message from a file) shows nothing and hands back the story of
 * the message in *story. Returns the exit status. */
static int run_pass(struct options *opt, struct story **story)
{
	char err[512];
	int code = SS_EXIT_OK;
	struct run r = {.opt = opt};
	record_numbers_reset(); /* each pass numbers the messages the same */
	r.src = source_open(&opt->src, err, sizeof err, &code);
	if (!r.src)
		ss_fatal(code, "%s", err);
	if (decode_init(&r.dec, source_dlt(r.src), &opt->caps, reasm_ip, NULL))
		ss_fatal(SS_EXIT_USAGE, "%s: link type %s is not one smtpsniff decodes",
		         opt->src.file ? opt->src.file : opt->src.iface, source_dlt_name(r.src));
	r.reasm = reasm_new(&opt->caps);
	/* --flows shows no record: the protocols are named, not dissected,
	 * unless -v (their anomalies) or --export or --mbox want the dissectors. */
	/* message storage is kept for the next message up to a size the
	 * traffic of a busy lab reaches (one message of 100 kB grows to 128 kB) */
	static struct bufpool spare;
	bufpool_init(&spare, 256u << 10);
	struct tls_keys *keys = keys_load(opt);
	/* A file is read on a thread of its own; a live capture too with
	 * --workers (without, one thread does all: nothing waits in a queue). */
	int threaded = source_is_file(r.src) || (source_is_live(r.src) && opt->workers > 1);
	if (opt->workers > 1 && !threaded)
		ss_warn("--workers: a pipe is dissected on one thread");
	/* workers dissect side by side: the pool is one thread's */
	int workers = opt->workers > 1 && threaded ? opt->workers : 0;
	struct dissect_opts dopt = {&opt->caps, opt->show_secrets,
	                            opt->rep.flows_only && !opt->rep.verbose &&
	                                !opt->rep.export_dir && !opt->rep.mbox_file,
	                            workers ? NULL : &spare, keys};
	if (!r.reasm || dissect_register(r.reasm, &dopt))
		ss_fatal(SS_EXIT_ENV, "out of memory");
	r.dec.ctx = r.reasm;
	opt->rep.ordered = !source_is_live(r.src);
	r.rep = report_new(&opt->rep, &opt->caps, r.reasm, err, sizeof err, &code);
	if (!r.rep)
		ss_fatal(code, "%s", err);
	/* a file's hosts named from its first line (report_new set the names up) */
	prescan_run(opt, r.src);
	if (source_is_live(r.src)) {
		setvbuf(opt->rep.out, NULL, _IOLBF, 0); /* each event shows when it happens */
		/* As tcpdump says it: from here on, frames are being captured. */
		fprintf(stderr,
		        "smtpsniff: listening on %s, link-type %s, snapshot length %d bytes\n",
		        opt->src.iface, source_dlt_name(r.src), source_snaplen(r.src));
	}

	/* Only when the output goes elsewhere: on the terminal, it is its own progress. */
	r.progress = opt->src.file && isatty(STDERR_FILENO) && !isatty(fileno(opt->rep.out));
	struct handoff *h = threaded ? handoff_new(r.reasm, on_clock, &r) : NULL;
	if (h && workers && handoff_workers(h, workers, recpack_thread, NULL))
		ss_fatal(SS_EXIT_ENV, "out of memory");
	r.h = h;
	enum source_end end;
	if (h && handoff_start(h, produce, &r) == 0) {
		handoff_consume(h);
		end = r.end;
	} else {
		r.h = NULL; /* this thread reads: on_frame tells the report itself */
		end = source_run(r.src, on_frame, on_tick, on_usr1, &r);
		if (r.progress)
			progress(&r, 1);
		reasm_finish(r.reasm);
	}
	handoff_free(h);
	r.h = NULL;
	stats(&r, 1);
	if (story)
		*story = report_story(r.rep);
	code = SS_EXIT_OK;
	int verdicts = report_verdicts_status(r.rep, err, sizeof err);
	if (verdicts < 0) { /* --save-expect or --junit not written */
		ss_error("%s", err);
		code = SS_EXIT_OUTPUT;
	} else if (verdicts) {
		code = SS_EXIT_DISAGREE;
	}
	if (end == SOURCE_BROKEN) {
		ss_error("%s: %s; everything before it was processed", opt->src.file,
		         source_error(r.src));
		code = SS_EXIT_USAGE;
	} else if (end == SOURCE_FAILED) {
		ss_error("%s: %s", opt->src.iface, source_error(r.src));
		code = SS_EXIT_ENV;
	}
	if (report_free(r.rep, err, sizeof err)) {
		ss_error("%s", err);
		code = SS_EXIT_OUTPUT;
	}
	if (source_close(r.src)) {
		ss_error("%s: write error", opt->src.write);
		code = SS_EXIT_OUTPUT;
	}
	reasm_free(r.reasm);
	tls_keys_free(keys);
	bufpool_free(&spare);
	decode_fini(&r.dec);
	return code;
}

/* --message from a file: a first pass, silent, finds the message's story
 * (its copies, their sessions, its hosts), so that the second shows the
 * lines before the message too, numbered and named as without the
 * option (select.h). Not for stdin, which cannot be read twice. */
static struct story *story_pass(struct options *opt)
{
	if (!opt->rep.select_message || !opt->src.file || !strcmp(opt->src.file, "-"))
		return NULL;
	struct options first = *opt;
	first.src.write = NULL; /* -w writes on the pass that shows */
	first.rep.story_pass = 1;
	first.rep.json = 0;
	first.rep.verify = 0; /* the story is the same without verdicts */
	first.rep.expect = first.rep.save_expect = first.rep.junit = NULL;
	first.rep.nzones = 0;
	first.rep.streams_dir = first.rep.export_dir = NULL;
	first.rep.mbox_file = NULL;
	first.rep.mermaid = NULL;
	first.rep.names = 0;
	first.rep.verbose = 0;
	struct story *st = NULL;
	run_pass(&first, &st);
	return st;
}

int main(int argc, char **argv)
{
	struct options opt;
	char err[512];
	ss_log_progname("smtpsniff");
	/* Built without mimalloc (SS_MIMALLOC=OFF, the sanitizers): glibc
	 * hands freed memory at the top of the heap back to the kernel, and
	 * maps each block over 128 KiB anew; with messages allocated and freed
	 * all the time, the page faults and TLB flushes of that churn cost
	 * more than the dissection. Memory stays bounded by the caps. (With
	 * mimalloc these set what nobody uses.) */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	options_parse(&opt, argc, argv);
	if (opt.list_devices) {
		if (source_list_devices(stdout, err, sizeof err))
			ss_fatal(SS_EXIT_ENV, "-D: %s", err);
		return 0;
	}
	ss_log_level = 1 + opt.rep.verbose;
	source_signals();
	struct story *st = story_pass(&opt);
	opt.rep.story = st;
	int code = run_pass(&opt, NULL);
	story_free(st);
	options_free(&opt);
	return code;
}
