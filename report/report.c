/* report.c - the timeline and the run's statistics.
 *
 * The timeline prints each thing when it completes: a flow when it begins
 * and ends, an anomaly when it is found. In live mode that is as it happens;
 * from a file, in capture order.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "flows.h"
#include "json.h"
#include "sstime.h"
#include "streams.h"

struct ss_report {
	struct report_opts o;
	struct streams *streams;
	struct ss_tap flowtap;
	uint64_t events;
};

static void on_event(const struct ss_event *e, void *ctx)
{
	struct ss_report *rp = ctx;
	FILE *out = rp->o.out;
	rp->events++;
	if (rp->o.json) {
		char t[40];
		fprintf(out, "{\"type\":\"anomaly\",\"layer\":\"%s\",\"what\":\"%s\"", e->layer,
		        e->what);
		if (e->frame)
			fprintf(out, ",\"frame\":%" PRIu64, e->frame);
		if (e->ts)
			fprintf(out, ",\"time\":\"%s\"", ss_time_iso(e->ts, t));
		if (e->flow)
			fprintf(out, ",\"flow\":%" PRIu64, e->flow);
		if (e->dir >= 0)
			fprintf(out, ",\"dir\":\"%s\"", e->dir ? "s2c" : "c2s");
		fputs(",\"detail\":", out);
		json_cstr(out, e->detail);
		fputs("}\n", out);
		return;
	}
	if (rp->o.flows_only && !rp->o.verbose)
		return;
	char t[32];
	fprintf(out, "%s ", e->ts ? ss_time_clock(e->ts, t) : "-");
	if (e->flow)
		fprintf(out, "flow %" PRIu64 " %s", e->flow,
		        e->dir < 0 ? ""
		        : e->dir   ? "s>c "
		                   : "c>s ");
	fprintf(out, "! %s %s: %s [frame %" PRIu64 "]\n", e->layer, e->what, e->detail, e->frame);
}

static void *flow_open(const struct ss_flow *f, void *ctx)
{
	struct ss_report *rp = ctx;
	if (!rp->o.json && !rp->o.flows_only)
		flows_text_open(rp->o.out, f);
	return rp;
}

static void flow_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct ss_report *rp = st;
	if (rp->o.json)
		flows_json(rp->o.out, f);
	else
		flows_text(rp->o.out, f);
}

struct ss_report *report_new(const struct report_opts *o, const struct ss_caps *caps,
                             struct ss_reasm *r, char *err, size_t errlen)
{
	struct ss_report *rp = calloc(1, sizeof *rp);
	if (!rp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rp->o = *o;
	if (o->streams_dir) {
		rp->streams = streams_new(o->streams_dir, o->overwrite, caps, err, errlen);
		if (!rp->streams) {
			free(rp);
			return NULL;
		}
		reasm_add_tap(r, streams_tap(rp->streams));
	}
	rp->flowtap = (struct ss_tap){flow_open, NULL, NULL, NULL, flow_close, rp};
	reasm_add_tap(r, &rp->flowtap);
	ss_event_sink(on_event, rp);
	return rp;
}

static void stats_json(FILE *out, const struct run_stats *s, int final)
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
	if (s->live)
		fprintf(out,
		        ",\"received\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"ifdropped\":%" PRIu64,
		        s->live->received, s->live->dropped, s->live->ifdropped);
	fputs("}\n", out);
}

static void stats_text(FILE *out, const struct run_stats *s)
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
	if (s->live)
		fprintf(out,
		        "%" PRIu64 " packets received by filter\n%" PRIu64
		        " packets dropped by kernel\n%" PRIu64 " packets dropped by interface\n",
		        s->live->received, s->live->dropped, s->live->ifdropped);
}

void report_stats(struct ss_report *rp, const struct run_stats *s, int final)
{
	if (rp->o.json) {
		stats_json(rp->o.out, s, final);
		fflush(rp->o.out);
	}
	if (!rp->o.json && (s->live || rp->o.verbose)) {
		fflush(rp->o.out);
		stats_text(stderr, s);
	}
}

int report_free(struct ss_report *rp, char *err, size_t errlen)
{
	if (!rp)
		return 0;
	ss_event_sink(NULL, NULL);
	int rc = streams_free(rp->streams, err, errlen);
	if (fflush(rp->o.out) || ferror(rp->o.out)) {
		if (!rc)
			snprintf(err, errlen, "standard output: write error");
		rc = -1;
	}
	free(rp);
	return rc;
}
