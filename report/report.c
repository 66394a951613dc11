/* report.c - the timeline and the run's statistics.
 *
 * The timeline prints each thing when it completes: a flow when it begins
 * and ends, an anomaly when it is found. In live mode that is as it happens;
 * from a file, in capture order.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "export.h"
#include "mbox.h"
#include "flows.h"
#include "journey.h"
#include "journeymd.h"
#include "journeyout.h"
#include "json.h"
#include "log.h"
#include "loglink.h"
#include "logfile.h"
#include "maillog.h"
#include "jsonout.h"
#include "names.h"
#include "openflows.h"
#include "order.h"
#include "record.h"
#include "rectime.h"
#include "select.h"
#include "shown.h"
#include "sstime.h"
#include "streams.h"
#include "text.h"
#include "timeline.h"
#include "verdictout.h"
#include "verifier.h"
#include "vsummary.h"

struct ss_report {
	struct report_opts o;
	struct order *ord; /* -r: lines back in time order; NULL: as they come */
	/* with ord: the open flows, so that a line goes out once nothing
	 * still to come can be older (report_clock, openflows.h); the flow tap's
	 * state for a flow is its entry, or one of the two tags: no entry
	 * kept (no ord), no memory for one */
	struct openflows open;
	struct openflow tag_plain, tag_untracked;
	int64_t newest; /* the latest capture time report_clock was told */
	/* what the last walk over the open flows found (INT64_MIN: nothing
	 * known), and the items queued since: a walk costs a step a flow, so
	 * one comes after as many items as there are flows */
	int64_t flows_low;
	size_t queued;
	struct streams *streams;
	struct export *export;
	struct mbox *mbox; /* --mbox */
	struct ss_tap flowtap;
	struct timeline_opts tl;
	struct jsonout_opts jo;
	struct verifier *ver;   /* every message copy linked to the one before; --verify */
	struct vsummary *vs;    /* --verify: the table and the stable lines */
	struct vexpect *expect; /* --expect's lines, read before the capture */
	FILE *save_f, *junit_f; /* --save-expect, --junit: opened before the capture */
	FILE *mermaid_f;        /* --mermaid, the same */
	struct journeys *jn;    /* each message's path, shown at the end */
	/* journeys settled before the end (journeys_on_settled), as they will
	 * be shown, waiting in a file for the end; how many, and the first
	 * one's time (journeyout_first_time) */
	FILE *settled_f;
	size_t settled_shown;
	int settled_has0;
	int64_t settled_ts0;
	struct logfile *logs; /* --log files, read as the capture's clock goes */
	struct loglink *ll;   /* what each log line speaks of */
	int quiet;            /* --journey: the journeys alone, no timeline */
	struct shown *sh;     /* --message, --host: what is shown (NULL: all) */
	struct text line;     /* a timeline item being put together */
	uint64_t events;
	int64_t last_ts; /* the time of the last item that had one */
};

/* The time an item is put in order at: its own (has: it has one, by its
 * frame, record.h), else the last item's, so that it goes out among the
 * lines around it. Never 0 for "none": 0 is 1970-01-01T00:00:00Z. Items
 * come in the same order with and without the handoff thread, and so
 * does this time. */
static int64_t item_time(struct ss_report *rp, int has, int64_t ts)
{
	if (has)
		rp->last_ts = ts;
	return rp->last_ts;
}

/* Where one item of output goes: the order queue (stamped with its time,
 * as item_time() says) or out. */
static FILE *begin(struct ss_report *rp, int has, int64_t ts)
{
	if (!rp->o.json)
		tclock_header(tclock_timeline(), rp->o.out, has, ts); /* the zone, once */
	int64_t at = item_time(rp, has, ts);
	if (!rp->ord)
		return rp->o.out;
	rp->queued++;
	return order_begin(rp->ord, at);
}

static void end(struct ss_report *rp)
{
	if (rp->ord)
		order_end(rp->ord);
}

/* An item put together in t goes where begin() would have sent it. */
static void put(struct ss_report *rp, int has, int64_t ts, const struct text *t)
{
	tclock_header(tclock_timeline(), rp->o.out, has, ts); /* the zone, once */
	ts = item_time(rp, has, ts);
	const char *p = (const char *)t->b.p;
	size_t n = t->b.len;
	/* memory ran out while it was made: what was made, ended as a line */
	int nl = t->cut && (!n || p[n - 1] != '\n');
	if (rp->ord) {
		rp->queued++;
		order_put(rp->ord, ts, p, n);
		if (nl)
			order_put(rp->ord, ts, "\n", 1);
	} else {
		if (n)
			fwrite(p, 1, n, rp->o.out);
		if (nl)
			fputc('\n', rp->o.out);
	}
}

static void event_out(struct ss_report *rp, FILE *out, const struct ss_event *e);

static void on_event(const struct ss_event *e, void *ctx)
{
	struct ss_report *rp = ctx;
	rp->events += e->repeated ? e->repeated : 1; /* a summary stands for the events it counts */
	if (rp->quiet || (!rp->o.json && rp->o.flows_only && !rp->o.verbose))
		return;
	if (rp->sh && !(e->flow && shown_flow(rp->sh, e->flow)))
		return;
	/* An event's time is there when its frame is (event.h). */
	FILE *out = begin(rp, e->frame != 0, e->ts);
	event_out(rp, out, e);
	end(rp);
}

static void event_out(struct ss_report *rp, FILE *out, const struct ss_event *e)
{
	if (rp->o.json) {
		char t[40];
		fprintf(out, "{\"type\":\"anomaly\",\"layer\":\"%s\",\"what\":\"%s\"", e->layer,
		        e->what);
		if (e->frame)
			fprintf(out, ",\"frame\":%" PRIu64, e->frame);
		if (e->frame)
			fprintf(out, ",\"time\":\"%s\"", ss_time_iso(e->ts, t));
		if (e->flow)
			fprintf(out, ",\"flow\":%" PRIu64, e->flow);
		if (e->dir >= 0)
			fprintf(out, ",\"dir\":\"%s\"", e->dir ? "s2c" : "c2s");
		if (e->repeated) {
			fprintf(out, ",\"repeated\":%" PRIu64, e->repeated);
			if (e->first_frame)
				fprintf(out, ",\"first_frame\":%" PRIu64 ",\"last_frame\":%" PRIu64,
				        e->first_frame, e->last_frame);
		}
		fputs(",\"detail\":", out);
		json_cstr(out, e->detail);
		fputs("}\n", out);
		return;
	}
	const char *on = rp->o.colour ? "\033[33m" : "", *off = rp->o.colour ? "\033[0m" : "";
	timeline_clock(out, e->frame != 0, e->ts);
	fprintf(out, "%s! %s %s: %s", on, e->layer, e->what, e->detail);
	if (e->flow)
		fprintf(out, " [flow %" PRIu64 "%s]", e->flow,
		        e->dir < 0 ? ""
		        : e->dir   ? " s>c"
		                   : " c>s");
	if (e->frame)
		fprintf(out, " [frame %" PRIu64 "]", e->frame);
	fprintf(out, "%s\n", off);
}

/* A log line's link, before its newline: " [flow 9, message #2]". */
static void log_about(struct text *t, uint64_t flow, uint64_t message)
{
	if (t->b.len && t->b.p[t->b.len - 1] == '\n')
		t->b.len--;
	text_str(t, " [");
	if (flow)
		text_printf(t, "flow %" PRIu64 "%s", flow, message ? ", " : "");
	if (message)
		text_printf(t, "message #%" PRIu64, message);
	text_str(t, "]\n");
}

/* Every record: names learned first (a DNS answer may name the very hosts
 * of its own line), then the file, then the line. */
static void on_record(const struct ss_record *r, void *ctx)
{
	struct ss_report *rp = ctx;
	if (r->kind == REC_DNS && r->u.dns.pending) {
		verifier_record(rp->ver, r); /* only the store learns of it */
		return;
	}
	if (r->kind == REC_DNS && rp->o.names)
		names_learn(&r->u.dns);
	if (r->kind == REC_LOG && rp->o.names && r->flow) /* a --log file's line has no sender */
		names_learn_log(&r->flow->ep[SS_C2S].addr, &r->u.log.host);
	/* The copy this message was passed on from, when the capture has it. */
	const struct vhop *hop = verifier_record(rp->ver, r);
	if (rp->jn)
		journeys_record(rp->jn, r, hop);
	uint64_t about_flow = 0, about_message = 0;
	if (r->kind == REC_MESSAGE)
		loglink_message(rp->ll, r, hop ? hop->message_id : NULL);
	if (r->kind == REC_LOG) {
		struct maillog m;
		maillog_parse(&r->u.log, &m);
		loglink_log(rp->ll, r, &m, &about_flow, &about_message);
	}
	/* --json and --export name each message by its SHA-256, hashed once */
	uint8_t sha256[32];
	int hashed = r->kind == REC_MESSAGE && (rp->export || rp->o.json);
	if (hashed)
		sha256_of(r->u.msg.data.p, r->u.msg.data.len, sha256);
	if (r->kind == REC_MESSAGE && rp->export)
		export_message(rp->export, r, sha256);
	if (r->kind == REC_MESSAGE && rp->mbox)
		mbox_message(rp->mbox, r);
	if (rp->o.flows_only || rp->quiet || !shown_record(rp->sh, r, hop))
		return;
	const struct vhop *from = hop && hop->from ? verifier_hop(rp->ver, hop->from) : NULL;
	/* shown at the time its event began */
	int64_t ts;
	int has = rectime_begin(r, &ts);
	if (rp->o.json) {
		FILE *out = begin(rp, has, ts);
		rp->jo.hop = hop;
		rp->jo.from = from;
		rp->jo.sha256 = hashed ? sha256 : NULL;
		rp->jo.about_flow = about_flow;
		rp->jo.about_message = about_message;
		jsonout_record(out, &rp->jo, r);
		rp->jo.hop = rp->jo.from = NULL;
		rp->jo.sha256 = NULL;
		rp->jo.about_flow = rp->jo.about_message = 0;
		end(rp);
		return;
	}
	text_reset(&rp->line);
	timeline_record(&rp->line, &rp->tl, r);
	if (about_flow || about_message)
		log_about(&rp->line, about_flow, about_message);
	if (from)
		timeline_link(&rp->line, &rp->tl, r, hop, from);
	put(rp, has, ts, &rp->line);
}

static void *flow_open(const struct ss_flow *f, void *ctx)
{
	struct ss_report *rp = ctx;
	struct openflow *e = &rp->tag_plain;
	if (rp->ord) {
		e = openflows_add(&rp->open, f, rp);
		if (!e)
			e = &rp->tag_untracked;
	}
	loglink_flow(rp->ll, f);
	shown_flow_open(rp->sh, f);
	if (!rp->o.json && !rp->o.flows_only && rp->o.verbose && !rp->quiet &&
	    shown_flow(rp->sh, f->id)) {
		flows_text_open(begin(rp, 1, f->first_ts), f);
		end(rp);
	}
	return e;
}

/* The flow of tap state e has ended: it makes no more lines (its
 * dissector's last ones came before, or come before the next
 * report_clock). */
static void flow_gone(struct ss_report *rp, struct openflow *e)
{
	if (e == &rp->tag_untracked)
		openflows_remove(&rp->open, NULL);
	else if (e != &rp->tag_plain)
		openflows_remove(&rp->open, e);
}

/* A flow's own record or line when it ends: always with --flows and
 * --json; on the timeline with -v, or when no dissector spoke for the
 * flow.
 * - The JSON record comes when the flow ended as smtpsniff saw it (at):
 *   its last packet for a FIN or a reset, the moment its silence ran out,
 *   the end of the capture. Its "end" says its last packet. So a flow that
 *   holds nothing holds no record back (openflows.h), and a DNS flow's
 *   record, made when the flow times out a minute after its answer, is
 *   not out of time order.
 * - The text line starts with the flow's first packet's time, then its
 *   length, and is shown at its last packet's time: until it ends, a flow
 *   holds the lines after its last bytes back. */
static void flow_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	struct openflow *e = st;
	struct ss_report *rp = e->owner;
	flow_gone(rp, e);
	ss_event_flow_end(f->id); /* the summaries of its repeated events (event.h) */
	if (rp->jn)
		journeys_flow_end(rp->jn, f->id);
	if (rp->quiet || !shown_flow(rp->sh, f->id))
		return;
	if (rp->o.json) {
		flows_json(begin(rp, 1, at->ts), f);
		end(rp);
	} else if (rp->o.flows_only || rp->o.verbose || !f->app) {
		flows_text(begin(rp, 1, f->last_ts), f);
		end(rp);
	}
}

static void on_verdicts(const struct v_hopcheck *h, void *ctx);

/* Frees what report_new() made so far. */
static void undo(struct ss_report *rp)
{
	char e[300];
	names_free();
	streams_free(rp->streams, e, sizeof e);
	export_free(rp->export, e, sizeof e);
	mbox_free(rp->mbox, e, sizeof e);
	order_free(rp->ord);
	openflows_clear(&rp->open);
	verifier_free(rp->ver);
	vsummary_free(rp->vs);
	vexpect_free(rp->expect);
	journeys_free(rp->jn);
	if (rp->settled_f)
		fclose(rp->settled_f);
	shown_free(rp->sh);
	logfile_close(rp->logs);
	loglink_free(rp->ll);
	if (rp->save_f)
		fclose(rp->save_f);
	if (rp->junit_f)
		fclose(rp->junit_f);
	if (rp->mermaid_f && rp->mermaid_f != rp->o.out)
		fclose(rp->mermaid_f);
	text_free(&rp->line);
	free(rp);
}

/* --expect, --save-expect and --junit, opened and checked before the
 * capture is read: a run does not find out at its end that it cannot
 * say what it found. */
static int ci_files(struct ss_report *rp, const struct report_opts *o, char *err, size_t errlen,
                    int *code)
{
	if (o->expect && !(rp->expect = vexpect_read(o->expect, err, errlen))) {
		*code = SS_EXIT_USAGE;
		return -1;
	}
	if (o->save_expect && !vsummary_may_write(o->save_expect)) {
		snprintf(err, errlen, "%s: not a file --save-expect wrote; not overwritten",
		         o->save_expect);
		*code = SS_EXIT_USAGE;
		return -1;
	}
	/* --mermaid -: the diagrams are the output */
	int to_out = o->mermaid && !strcmp(o->mermaid, "-");
	if (to_out)
		rp->mermaid_f = o->out;
	const char *path[3] = {o->save_expect, o->junit, to_out ? NULL : o->mermaid};
	FILE **f[3] = {&rp->save_f, &rp->junit_f, &rp->mermaid_f};
	for (int i = 0; i < 3; i++)
		if (path[i] && !(*f[i] = fopen(path[i], "w"))) {
			snprintf(err, errlen, "%s: %s", path[i], strerror(errno));
			*code = SS_EXIT_OUTPUT;
			return -1;
		}
	return 0;
}

/* Journeys that can no longer grow, before the end: kept in a file, as
 * they will be shown, so that the store lets their copies go (a relay's
 * capture of 200,000 messages otherwise held them all, or lost the
 * oldest). */
static void on_settled(const struct journeys *j, size_t n, const char *settled, void *ctx)
{
	struct ss_report *rp = ctx;
	char *keep = calloc(n ? n : 1, 1);
	if (!keep)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		keep[i] = settled[i] && shown_journey(rp->sh, journeys_get(j, i));
		k += keep[i] != 0;
	}
	if (k && !rp->settled_f && !(rp->settled_f = tmpfile()))
		ss_warn("journeys settled before the end: no file to keep them in (%s); %zu are "
		        "not shown",
		        strerror(errno), k);
	if (k && rp->settled_f) {
		if (!rp->settled_shown)
			rp->settled_has0 = journeyout_first_time(j, n, keep, &rp->settled_ts0);
		if (rp->o.json)
			journeyout_json(rp->settled_f, &rp->jo, j, n, keep);
		else
			journeyout_text_list(rp->settled_f, &rp->tl, j, n, keep);
		rp->settled_shown += k;
	}
	free(keep);
}

struct ss_report *report_new(const struct report_opts *o, const struct ss_caps *caps,
                             struct ss_reasm *r, char *err, size_t errlen, int *code)
{
	*code = SS_EXIT_ENV;
	struct ss_report *rp = calloc(1, sizeof *rp);
	if (!rp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rp->o = *o;
	if (o->names && names_setup(o->prefer_a, o->hosts_file, o->zones, o->nzones, err, errlen)) {
		*code = SS_EXIT_USAGE;
		names_free();
		free(rp);
		return NULL;
	}
	text_init(&rp->line);
	if (!(rp->ll = loglink_new())) {
		snprintf(err, errlen, "out of memory");
		undo(rp);
		return NULL;
	}
	rp->tl = (struct timeline_opts){o->verbose, o->colour, o->names, o->verify_all};
	rp->jo = (struct jsonout_opts){.verbose = o->verbose, .names = o->names};
	int verify = o->verify || o->expect || o->save_expect || o->junit || o->nzones;
	/* a wait longer than any capture (--verify-wait past 292 years) is the whole input */
	int64_t wait = caps->verify_wait > (uint64_t)(INT64_MAX / SS_NS_PER_SEC)
	                   ? INT64_MAX
	                   : (int64_t)caps->verify_wait * SS_NS_PER_SEC;
	struct verifier_opts vo = {verify,           wait,     caps->max_hops, caps->max_waiting,
	                           caps->verify_mem, o->zones, o->nzones,      caps->dns_mem};
	rp->ver = verifier_new(&vo, on_verdicts, rp, err, errlen);
	if (!rp->ver) {
		*code = o->nzones ? SS_EXIT_USAGE : SS_EXIT_ENV;
		free(rp);
		return NULL;
	}
	/* the stable lines only for the options that read them */
	if (verify && !(rp->vs = vsummary_new_opts(o->expect || o->save_expect || o->junit,
	                                           caps->verdicts_mem))) {
		snprintf(err, errlen, "out of memory");
		undo(rp);
		return NULL;
	}
	if (shown_new(&rp->sh, o->select_message, o->select_hosts, o->nselect_hosts, o->story,
	              o->names, err, errlen)) {
		*code = SS_EXIT_USAGE;
		undo(rp);
		return NULL;
	}
	if (o->story_pass)
		rp->quiet = 1;
	if ((o->journeys || o->mermaid || o->story_pass) && !o->flows_only) {
		struct journey_opts jo = {caps->max_hops, caps->max_log_lines,
		                          (size_t)caps->journey_mem, o->mermaid != NULL, verify};
		if (!(rp->jn = journeys_new(&jo))) {
			snprintf(err, errlen, "out of memory");
			undo(rp);
			return NULL;
		}
		rp->quiet |= o->journeys == JOURNEYS_ONLY;
		/* --mermaid and the story's first pass need every journey at the
		 * end; the text and JSON can take them as they settle */
		if (o->journeys != JOURNEYS_OFF && !o->mermaid && !o->story_pass)
			journeys_on_settled(rp->jn, on_settled, rp);
	}
	if (ci_files(rp, o, err, errlen, code)) {
		undo(rp);
		return NULL;
	}
	if (rp->mermaid_f && rp->mermaid_f == o->out) { /* --mermaid -: nothing else */
		rp->quiet = 1;
		rp->o.journeys = JOURNEYS_OFF;
	}
	if (o->streams_dir) {
		char e[300];
		rp->streams = streams_new(o->streams_dir, o->overwrite, caps, e, sizeof e);
		if (!rp->streams) {
			snprintf(err, errlen, "--streams: %s", e);
			*code = SS_EXIT_OUTPUT;
			undo(rp);
			return NULL;
		}
		reasm_add_tap(r, streams_tap(rp->streams));
	}
	if (o->export_dir) {
		char e[300];
		rp->export = export_new(o->export_dir, o->overwrite, o->names, e, sizeof e);
		if (!rp->export) {
			snprintf(err, errlen, "--export: %s", e);
			*code = SS_EXIT_OUTPUT;
			undo(rp);
			return NULL;
		}
	}
	if (o->mbox_file) {
		char e[300];
		rp->mbox = mbox_new(o->mbox_file, o->overwrite, e, sizeof e);
		if (!rp->mbox) {
			snprintf(err, errlen, "--mbox: %s", e);
			*code = SS_EXIT_OUTPUT;
			undo(rp);
			return NULL;
		}
	}
	if (o->ordered && !o->flows_only) {
		rp->ord = order_new_capped(o->out, (int64_t)10 * SS_NS_PER_SEC, 200000,
		                           (size_t)caps->max_order_mem);
		if (!rp->ord) {
			snprintf(err, errlen, "out of memory");
			undo(rp);
			return NULL;
		}
	}
	tclock_setup(o->time_format, o->utc, rp->ord != NULL);
	if (rp->ord && !o->json && tclock_deferred(tclock_timeline()))
		order_set_writer(rp->ord, tclock_write, tclock_timeline());
	rp->tag_plain.owner = rp->tag_untracked.owner = rp;
	rp->flows_low = INT64_MIN; /* until the first walk */
	rp->flowtap = (struct ss_tap){flow_open, NULL, NULL, NULL, flow_close, rp};
	reasm_add_tap(r, &rp->flowtap);
	ss_event_sink(on_event, rp);
	ss_event_repeats(SS_EVENT_SHOWN);
	record_sink_add(on_record, rp);
	struct logfile_opts lo = {o->logs, o->nlogs, o->log_year, o->log_tz,
	                          (size_t)caps->max_line};
	if (o->nlogs && !(rp->logs = logfile_open(&lo, err, errlen))) {
		*code = SS_EXIT_USAGE;
		ss_event_sink(NULL, NULL);
		ss_event_repeats(0);
		record_sink_clear();
		undo(rp);
		return NULL;
	}
	return rp;
}

static void stats_json(FILE *out, const struct run_stats *s, int final, const struct order *ord)
{
	const struct ss_decode_stats *d = s->decode;
	const struct reasm_stats *r = s->reasm;
	const struct frag_stats *fs = s->frag;
	fprintf(out, "{\"type\":\"%s\",\"input\":", final ? "summary" : "progress");
	json_cstr(out, s->input);
	fprintf(out,
	        ",\"linktype\":\"%s\",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64
	        ",\"not_ip\":%" PRIu64 ",\"cut\":%" PRIu64 ",\"malformed\":%" PRIu64
	        ",\"ipv4\":%" PRIu64 ",\"ipv6\":%" PRIu64 ",\"fragments\":%" PRIu64
	        ",\"reassembled\":%" PRIu64 ",\"tcp_segments\":%" PRIu64
	        ",\"udp_datagrams\":%" PRIu64 ",\"flows\":%" PRIu64 ",\"flows_peak\":%" PRIu64
	        ",\"flows_evicted\":%" PRIu64 ",\"late_packets\":%" PRIu64
	        ",\"reassembly_mem_peak\":%" PRIu64,
	        s->linktype, d->frames, d->bytes, d->not_ip, d->cut, d->malformed + r->malformed,
	        d->ipv4, d->ipv6, fs->fragments, fs->reassembled, r->tcp_segments, r->udp_datagrams,
	        r->flows, r->flows_peak, r->evicted, r->late, r->mem_peak);
	if (ord) {
		size_t lines, bytes;
		order_peak(ord, &lines, &bytes);
		fprintf(out, ",\"order_peak_lines\":%zu,\"order_peak_bytes\":%zu", lines, bytes);
	}
	if (s->live)
		fprintf(out,
		        ",\"received\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"ifdropped\":%" PRIu64,
		        s->live->received, s->live->dropped, s->live->ifdropped);
	fputs("}\n", out);
}

static void stats_text(FILE *out, const struct run_stats *s, const struct order *ord)
{
	const struct ss_decode_stats *d = s->decode;
	const struct reasm_stats *r = s->reasm;
	const struct frag_stats *fs = s->frag;
	fprintf(out, "%" PRIu64 " frames (%" PRIu64 " bytes) from %s, link type %s\n", d->frames,
	        d->bytes, s->input, s->linktype);
	fprintf(out,
	        "  %" PRIu64 " IPv4, %" PRIu64 " IPv6, %" PRIu64 " not IP, %" PRIu64
	        " cut by the snap length, %" PRIu64 " malformed\n",
	        d->ipv4, d->ipv6, d->not_ip, d->cut, d->malformed + r->malformed);
	fprintf(out,
	        "  %" PRIu64 " fragments, %" PRIu64 " datagrams reassembled, %" PRIu64
	        " timed out, %" PRIu64 " evicted\n",
	        fs->fragments, fs->reassembled, fs->timed_out, fs->evicted);
	fprintf(out,
	        "  %" PRIu64 " TCP segments, %" PRIu64 " UDP datagrams, %" PRIu64
	        " flows (at most %" PRIu64 " at once, %" PRIu64
	        " ended early by --max-flows), %" PRIu64 " late packets\n",
	        r->tcp_segments, r->udp_datagrams, r->flows, r->flows_peak, r->evicted, r->late);
	fprintf(out, "  reassembly memory peak %" PRIu64 " bytes\n", r->mem_peak);
	if (ord) {
		size_t lines, bytes;
		order_peak(ord, &lines, &bytes);
		fprintf(out, "  time-order queue peak %zu lines, %zu bytes\n", lines, bytes);
	}
	if (s->live)
		fprintf(out,
		        "%" PRIu64 " packets received by filter\n%" PRIu64
		        " packets dropped by kernel\n%" PRIu64 " packets dropped by interface\n",
		        s->live->received, s->live->dropped, s->live->ifdropped);
}

/* A hop's verdicts, at the time its message was complete. */
static void on_verdicts(const struct v_hopcheck *h, void *ctx)
{
	struct ss_report *rp = ctx;
	if (rp->vs)
		vsummary_add(rp->vs, h, &rp->tl);
	if (rp->jn) {
		char words[2048];
		journeyout_verdicts(h, words, sizeof words);
		journeys_verdicts(rp->jn, h, words);
	}
	if (rp->o.flows_only || rp->quiet || !shown_hop(rp->sh, h->hop))
		return;
	/* after the last frame it cites: the message, DNS answers, the
	 * receiver's copy */
	int has;
	int64_t at = verdictout_cited(h, &has);
	FILE *out = begin(rp, has, at);
	if (rp->o.json)
		verdictout_json(out, &rp->jo, h);
	else
		verdictout_text(out, &rp->tl, h);
	end(rp);
}

/* --log: lines whose time could not be read, a file that failed midway. */
static void log_warnings(struct ss_report *rp)
{
	if (!rp->logs)
		return;
	struct logfile_stats st;
	logfile_stats(rp->logs, &st);
	if (st.error[0])
		ss_warn("--log: %s", st.error);
	if (st.untimed)
		ss_warn(
		    "--log: %" PRIu64 " of %" PRIu64
		    " lines give no time that could be read; each is shown with the line before it",
		    st.untimed, st.lines);
}

/* How far back in capture time a line still to come can be: no earlier
 * than what the open flows still have to say (openflows.h: their first
 * frames, or where their dissectors moved them on), than the oldest hop
 * waiting for its verdicts was complete (verdictout_cited), or than now;
 * --log lines up to now are out already. REPORT_ORDER_SLACK (20 ms) below
 * that, for a flow whose first frame is stamped a little before frames
 * already read (a capture of several CPUs or interfaces; frames of flows
 * already open need none). INT64_MIN when an open flow is not known. */
#define REPORT_ORDER_SLACK (SS_NS_PER_SEC / 50)
static int64_t order_low(struct ss_report *rp)
{
	if (rp->queued >= 64 && rp->queued >= rp->open.n) {
		/* flows that open later begin after now */
		int64_t t;
		/* the text lines of flows at their ends (flow_close) */
		enum openflows_ends ends = rp->o.json                          ? OF_ENDS_NONE
		                           : rp->o.flows_only || rp->o.verbose ? OF_ENDS_ALL
		                                                               : OF_ENDS_UNREAD;
		rp->flows_low = !openflows_oldest(&rp->open, ends, &t) ? INT64_MIN
		                : t < rp->newest                       ? t
		                                                       : rp->newest;
		rp->queued = 0;
	}
	int64_t low = rp->flows_low;
	if (low == INT64_MIN)
		return INT64_MIN;
	int64_t hop = verifier_oldest(rp->ver);
	if (hop < low)
		low = hop;
	if (rp->newest < low)
		low = rp->newest;
	return low < INT64_MIN + REPORT_ORDER_SLACK ? INT64_MIN : low - REPORT_ORDER_SLACK;
}

void report_clock(struct ss_report *rp, int64_t now)
{
	/* --log lines up to now, before the order queue goes past them */
	logfile_emit_until(rp->logs, now);
	verifier_clock(rp->ver, now);
	export_clock(rp->export, now);
	if (now > rp->newest) /* capture times are 0 or more (sstime.h) */
		rp->newest = now;
	if (rp->ord) {
		order_advance(rp->ord, now);
		order_release(rp->ord, order_low(rp));
	}
}

struct story *report_story(struct ss_report *rp)
{
	return rp->jn ? shown_story(rp->sh, rp->jn, journeys_build(rp->jn)) : NULL;
}

/* The settled journeys, as they were shown into their file, to out. */
static void settled_out(struct ss_report *rp)
{
	if (!rp->settled_f)
		return;
	char b[65536];
	size_t n;
	rewind(rp->settled_f);
	while ((n = fread(b, 1, sizeof b, rp->settled_f)) > 0)
		fwrite(b, 1, n, rp->o.out);
	if (ferror(rp->settled_f))
		ss_warn("journeys settled before the end: read error: %s", strerror(errno));
	fclose(rp->settled_f);
	rp->settled_f = NULL;
}

/* Each message's journey, after everything else. */
static void journeys_out(struct ss_report *rp)
{
	size_t n = journeys_build(rp->jn);
	if (rp->o.story_pass)
		return;
	/* --message, --host: the journeys they keep */
	char *keep = calloc(n ? n : 1, 1);
	if (!keep)
		return;
	for (size_t i = 0; i < n; i++)
		keep[i] = shown_journey(rp->sh, journeys_get(rp->jn, i));
	if (rp->mermaid_f) {
		struct journeymd_opts mo = {&rp->tl, rp->o.mermaid_no_dns,
		                            rp->o.mermaid_no_replies};
		journeymd_write(rp->mermaid_f, &mo, rp->jn, n, keep); /* errors: at fclose */
	}
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += keep[i] != 0;
	if (rp->o.journeys != JOURNEYS_OFF && rp->o.json) {
		settled_out(rp);
		journeyout_json(rp->o.out, &rp->jo, rp->jn, n, keep);
	} else if (rp->o.journeys != JOURNEYS_OFF && !rp->settled_shown) {
		journeyout_text(rp->o.out, &rp->tl, rp->jn, n, keep);
	} else if (rp->o.journeys != JOURNEYS_OFF) {
		journeyout_text_head(rp->o.out, rp->settled_shown + shown, rp->settled_has0,
		                     rp->settled_ts0);
		settled_out(rp);
		journeyout_text_list(rp->o.out, &rp->tl, rp->jn, n, keep);
		journeyout_text_tail(rp->o.out, rp->jn);
	}
	free(keep);
}

static void verify_summary(struct ss_report *rp)
{
	const struct verifier_stats *st = verifier_stats(rp->ver);
	if (rp->o.json) {
		fprintf(rp->o.out,
		        "{\"type\":\"verify_summary\",\"hops\":%" PRIu64 ",\"agree\":%" PRIu64
		        ",\"disagree\":%" PRIu64 ",\"unchecked\":%" PRIu64 ",\"unknown\":%" PRIu64
		        "}\n",
		        st->hops, st->agree, st->disagree, st->unchecked, st->unknown);
		return;
	}
	vsummary_table(rp->o.out, rp->vs, &rp->tl);
}

void report_stats(struct ss_report *rp, const struct run_stats *s, int final)
{
	if (final) {
		logfile_emit_until(rp->logs, INT64_MAX); /* what the files hold after the capture */
		log_warnings(rp);
		verifier_finish(rp->ver);
		export_drain(rp->export); /* the files it could not make are said */
		ss_event_flush(); /* summaries still due: events of no flow, flows not ended */
		if (rp->ord)
			order_flush(rp->ord);
		if (rp->vs && !rp->quiet && !rp->sh)
			verify_summary(rp);
		if (rp->jn)
			journeys_out(rp);
	}
	if (rp->o.json) {
		stats_json(rp->o.out, s, final, rp->ord);
		fflush(rp->o.out);
	}
	if (!rp->o.json && (s->live || rp->o.verbose)) {
		fflush(rp->o.out);
		stats_text(stderr, s, rp->ord);
	}
}

int report_verdicts_status(struct ss_report *rp, char *err, size_t errlen)
{
	if (!rp->vs)
		return 0;
	int rc = verifier_stats(rp->ver)->disagree ? 1 : 0;
	if (rp->save_f) {
		if (vsummary_save(rp->vs, rp->save_f, rp->o.save_expect, err, errlen))
			return -1;
		rc = 0; /* the file is the outcome */
	}
	if (rp->junit_f &&
	    vsummary_junit(rp->vs, rp->expect, rp->junit_f, rp->o.junit, err, errlen))
		return -1;
	if (rp->expect) {
		/* Known disagreements are in the file: only a change fails. */
		fflush(rp->o.out);
		rc = vsummary_expect(rp->vs, rp->expect, NULL);
		if (rc) {
			fprintf(stderr,
			        "smtpsniff: the verdicts differ from %s (- expected, + got):\n",
			        rp->o.expect);
			vsummary_expect(rp->vs, rp->expect, stderr);
		}
	}
	return rc;
}

int report_free(struct ss_report *rp, char *err, size_t errlen)
{
	if (!rp)
		return 0;
	ss_event_sink(NULL, NULL);
	ss_event_repeats(0);
	record_sink_clear();
	order_free(rp->ord);
	openflows_clear(&rp->open);
	int rc = streams_free(rp->streams, err, errlen);
	char e[300];
	if (export_free(rp->export, e, sizeof e) && !rc) {
		snprintf(err, errlen, "%s", e);
		rc = -1;
	}
	if (mbox_free(rp->mbox, e, sizeof e) && !rc) {
		snprintf(err, errlen, "%s", e);
		rc = -1;
	}
	names_free();
	logfile_close(rp->logs);
	loglink_free(rp->ll);
	journeys_free(rp->jn);
	if (rp->settled_f)
		fclose(rp->settled_f);
	shown_free(rp->sh);
	verifier_free(rp->ver);
	vsummary_free(rp->vs);
	vexpect_free(rp->expect);
	FILE *f[3] = {rp->save_f, rp->junit_f, rp->mermaid_f != rp->o.out ? rp->mermaid_f : NULL};
	const char *path[3] = {rp->o.save_expect, rp->o.junit, rp->o.mermaid};
	for (int i = 0; i < 3; i++)
		if (f[i] && fclose(f[i]) && !rc) {
			snprintf(err, errlen, "%s: write error", path[i]);
			rc = -1;
		}
	if (fflush(rp->o.out) || ferror(rp->o.out)) {
		if (!rc)
			snprintf(err, errlen, "standard output: write error");
		rc = -1;
	}
	text_free(&rp->line);
	free(rp);
	return rc;
}
