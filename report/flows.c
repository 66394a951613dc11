/* flows.c - flow summaries: what Zeek's conn.log and tcpflow's report say,
 * one line per flow. */
#include "flows.h"

#include <inttypes.h>

#include "clock.h"
#include "json.h"
#include "sstime.h"
#include "text.h"

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

/* The text every flow line is put together in (flows_json's too): one
 * consumer thread writes them, a flow at a time. */
static struct text *line(void)
{
	static _Thread_local struct text t;
	static _Thread_local int ready;
	if (!ready) {
		text_init(&t);
		ready = 1;
	}
	text_reset(&t);
	return &t;
}

static void endpoint(struct text *t, const struct ss_endpoint *e)
{
	char a[SS_ADDR_STRLEN];
	text_str(t, ss_addr_fmt(&e->addr, a));
	text_char(t, '.');
	text_u64(t, e->port);
}

static void text_dir(struct text *t, const char *name, const struct ss_dir_stats *d)
{
	text_char(t, ' ');
	text_str(t, name);
	text_char(t, ' ');
	text_u64(t, d->bytes);
	text_str(t, " B/");
	text_u64(t, d->packets);
	text_str(t, " pkts");
	if (d->gaps) {
		text_str(t, " gaps ");
		text_u64(t, d->gaps);
		text_str(t, " (");
		text_u64(t, d->gap_bytes);
		text_str(t, " B)");
	}
	if (d->conflicts) {
		text_str(t, " conflicts ");
		text_u64(t, d->conflicts);
	}
}

void flows_text(FILE *out, const struct ss_flow *f)
{
	char clock[TCLOCK_MAX], us[8];
	int64_t dur = f->last_ts - f->first_ts;
	struct text *t = line();
	text_add(t, clock, tclock_field_us(tclock_timeline(), 1, f->first_ts, clock));
	text_str(t, "flow ");
	text_u64(t, f->id);
	text_char(t, ' ');
	text_str(t, l4name(f));
	text_char(t, ' ');
	endpoint(t, &f->ep[SS_C2S]);
	text_str(t, " > ");
	endpoint(t, &f->ep[SS_S2C]);
	text_char(t, ' ');
	text_str(t, f->app ? f->app : "-");
	text_char(t, ' ');
	if (dur < 0) /* a capture whose clock went back: as printf's %PRId64 gave it */
		text_printf(t, "%" PRId64 ".%06" PRId64 "s", dur / SS_NS_PER_SEC,
		            dur % SS_NS_PER_SEC / 1000);
	else {
		text_u64(t, (uint64_t)(dur / SS_NS_PER_SEC));
		int64_t u = dur % SS_NS_PER_SEC / 1000;
		us[0] = '.';
		for (int i = 6; i >= 1; i--, u /= 10)
			us[i] = (char)('0' + u % 10);
		us[7] = 's';
		text_add(t, us, sizeof us);
	}
	text_dir(t, "c>s", &f->st[SS_C2S]);
	text_dir(t, "s>c", &f->st[SS_S2C]);
	if (f->proto == 6) {
		text_char(t, ' ');
		text_str(t, ss_close_name(f->how));
	}
	if (f->midstream)
		text_str(t, " mid-stream");
	if (f->dir_guessed)
		text_str(t, " guessed-direction");
	text_char(t, '\n');
	fwrite(t->b.p, 1, t->b.len, out);
}

static void json_dir(struct text *t, const char *name, const struct ss_dir_stats *d, int tcp)
{
	json_tkey(t, name);
	TEXT_LIT(t, "{\"packets\":");
	text_u64(t, d->packets);
	TEXT_LIT(t, ",\"bytes\":");
	text_u64(t, d->bytes);
	TEXT_LIT(t, ",\"gaps\":");
	text_u64(t, d->gaps);
	TEXT_LIT(t, ",\"gap_bytes\":");
	text_u64(t, d->gap_bytes);
	if (tcp) {
		TEXT_LIT(t, ",\"rexmit_bytes\":");
		text_u64(t, d->rexmit_bytes);
		TEXT_LIT(t, ",\"ooo_segments\":");
		text_u64(t, d->ooo_segments);
		TEXT_LIT(t, ",\"conflicts\":");
		text_u64(t, d->conflicts);
		TEXT_LIT(t, ",\"syn\":");
		json_tbool(t, d->syn);
		TEXT_LIT(t, ",\"fin\":");
		json_tbool(t, d->fin);
		TEXT_LIT(t, ",\"rst\":");
		json_tbool(t, d->rst);
	}
	text_char(t, '}');
}

static void json_ep(struct text *t, const char *name, const struct ss_endpoint *e)
{
	char a[SS_ADDR_STRLEN];
	json_tkey(t, name);
	TEXT_LIT(t, "{\"ip\":\"");
	text_str(t, ss_addr_fmt(&e->addr, a));
	TEXT_LIT(t, "\",\"port\":");
	text_u64(t, e->port);
	text_char(t, '}');
}

/* Put together in memory and written in one piece: a relay's capture has
 * a flow per message, and stdio's formatted calls, a dozen a flow, cost
 * more than the rest of the line (report/text.h). */
void flows_json(FILE *out, const struct ss_flow *f)
{
	struct text *t = line();
	TEXT_LIT(t, "{\"type\":\"flow\",\"flow\":");
	text_u64(t, f->id);
	TEXT_LIT(t, ",\"proto\":\"");
	text_str(t, l4name(f));
	TEXT_LIT(t, "\",\"app\":");
	if (f->app)
		json_tcstr(t, f->app);
	else
		TEXT_LIT(t, "null");
	json_ep(t, "client", &f->ep[SS_C2S]);
	json_ep(t, "server", &f->ep[SS_S2C]);
	json_ttime_field(t, "start", 1, f->first_ts);
	json_ttime_field(t, "end", 1, f->last_ts);
	TEXT_LIT(t, ",\"first_frame\":");
	text_u64(t, f->first_frame);
	TEXT_LIT(t, ",\"last_frame\":");
	text_u64(t, f->last_frame);
	json_dir(t, "c2s", &f->st[SS_C2S], f->proto == 6);
	json_dir(t, "s2c", &f->st[SS_S2C], f->proto == 6);
	TEXT_LIT(t, ",\"close\":\"");
	text_str(t, ss_close_name(f->how));
	TEXT_LIT(t, "\",\"handshake\":");
	json_tbool(t, f->handshake);
	TEXT_LIT(t, ",\"midstream\":");
	json_tbool(t, f->midstream);
	TEXT_LIT(t, ",\"direction_guessed\":");
	json_tbool(t, f->dir_guessed);
	TEXT_LIT(t, "}\n");
	fwrite(t->b.p, 1, t->b.len, out);
}
