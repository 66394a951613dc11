/* flows.c - flow summaries: what Zeek's conn.log and tcpflow's report say,
 * one line per flow. */
#include "flows.h"

#include <inttypes.h>

#include "clock.h"
#include "json.h"
#include "sstime.h"

const char *flows_endpoint(const struct ss_endpoint *e, char out[64])
{
	char a[SS_ADDR_STRLEN];
	snprintf(out, 64, "%s.%u", ss_addr_fmt(&e->addr, a), e->port);
	return out;
}

static const char *l4name(const struct ss_flow *f)
{
	return f->proto == 6 ? "tcp" : f->proto == 17 ? "udp" : "ip";
}

void flows_text_open(FILE *out, const struct ss_flow *f)
{
	char t[TCLOCK_MAX], c[64], s[64];
	tclock_field_us(tclock_timeline(), 1, f->first_ts, t);
	fprintf(out, "%sflow %" PRIu64 " %s %s > %s begins%s%s\n", t, f->id, l4name(f),
	        flows_endpoint(&f->ep[SS_C2S], c), flows_endpoint(&f->ep[SS_S2C], s),
	        f->midstream ? " mid-stream" : "",
	        f->dir_guessed ? " (client guessed from ports)" : "");
}

static void text_dir(FILE *out, const char *name, const struct ss_dir_stats *d)
{
	fprintf(out, " %s %" PRIu64 " B/%" PRIu64 " pkts", name, d->bytes, d->packets);
	if (d->gaps)
		fprintf(out, " gaps %" PRIu64 " (%" PRIu64 " B)", d->gaps, d->gap_bytes);
	if (d->conflicts)
		fprintf(out, " conflicts %" PRIu64, d->conflicts);
}

void flows_text(FILE *out, const struct ss_flow *f)
{
	char t[TCLOCK_MAX], c[64], s[64];
	int64_t dur = f->last_ts - f->first_ts;
	tclock_field_us(tclock_timeline(), 1, f->first_ts, t);
	fprintf(out, "%sflow %" PRIu64 " %s %s > %s %s %" PRId64 ".%06" PRId64 "s", t, f->id,
	        l4name(f), flows_endpoint(&f->ep[SS_C2S], c), flows_endpoint(&f->ep[SS_S2C], s),
	        f->app ? f->app : "-", dur / SS_NS_PER_SEC, dur % SS_NS_PER_SEC / 1000);
	text_dir(out, "c>s", &f->st[SS_C2S]);
	text_dir(out, "s>c", &f->st[SS_S2C]);
	if (f->proto == 6)
		fprintf(out, " %s", ss_close_name(f->how));
	if (f->midstream)
		fputs(" mid-stream", out);
	if (f->dir_guessed)
		fputs(" guessed-direction", out);
	fputc('\n', out);
}

static void json_dir(FILE *out, const char *name, const struct ss_dir_stats *d, int tcp)
{
	fprintf(out,
	        ",\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"gaps\":%" PRIu64
	        ",\"gap_bytes\":%" PRIu64,
	        name, d->packets, d->bytes, d->gaps, d->gap_bytes);
	if (tcp)
		fprintf(out,
		        ",\"rexmit_bytes\":%" PRIu64 ",\"ooo_segments\":%" PRIu64
		        ",\"conflicts\":%" PRIu64 ",\"syn\":%s,\"fin\":%s,\"rst\":%s",
		        d->rexmit_bytes, d->ooo_segments, d->conflicts, d->syn ? "true" : "false",
		        d->fin ? "true" : "false", d->rst ? "true" : "false");
	fputc('}', out);
}

static void json_ep(FILE *out, const char *name, const struct ss_endpoint *e)
{
	char a[SS_ADDR_STRLEN];
	fprintf(out, ",\"%s\":{\"ip\":\"%s\",\"port\":%u}", name, ss_addr_fmt(&e->addr, a),
	        e->port);
}

void flows_json(FILE *out, const struct ss_flow *f)
{
	char t0[40], t1[40];
	fprintf(out, "{\"type\":\"flow\",\"flow\":%" PRIu64 ",\"proto\":\"%s\",\"app\":", f->id,
	        l4name(f));
	if (f->app)
		json_cstr(out, f->app);
	else
		fputs("null", out);
	json_ep(out, "client", &f->ep[SS_C2S]);
	json_ep(out, "server", &f->ep[SS_S2C]);
	fprintf(out,
	        ",\"start\":\"%s\",\"end\":\"%s\",\"first_frame\":%" PRIu64
	        ",\"last_frame\":%" PRIu64,
	        ss_time_iso(f->first_ts, t0), ss_time_iso(f->last_ts, t1), f->first_frame,
	        f->last_frame);
	json_dir(out, "c2s", &f->st[SS_C2S], f->proto == 6);
	json_dir(out, "s2c", &f->st[SS_S2C], f->proto == 6);
	fprintf(out,
	        ",\"close\":\"%s\",\"handshake\":%s,\"midstream\":%s,\"direction_guessed\":%s}\n",
	        ss_close_name(f->how), f->handshake ? "true" : "false",
	        f->midstream ? "true" : "false", f->dir_guessed ? "true" : "false");
}
