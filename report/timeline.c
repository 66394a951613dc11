/* timeline.c - records as the lines of the timeline.
 *
 * A line says who spoke to whom (names learned from the capture's DNS
 * answers where there are some), the protocol, the command as sent and the
 * reply as received. Text from the wire reaches here already escaped by
 * the dissectors, so a line is always one line.
 */
#include "timeline.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "dnsout.h"
#include "message.h"
#include "names.h"
#include "sstime.h"

#define C_OFF "\033[0m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_BOLD "\033[1m"

static const char *col(const struct timeline_opts *o, const char *c)
{
	return o->colour ? c : "";
}

static const char *code_colour(int code)
{
	if (code < 0)
		return C_DIM;
	if (code >= 500 || code == 0)
		return C_RED;
	if (code >= 400)
		return C_YELLOW;
	return C_GREEN;
}

const char *timeline_host(const struct timeline_opts *o, const struct ss_addr *a, char out[256])
{
	const char *n = o->names ? names_get(a) : NULL;
	if (n) {
		snprintf(out, 256, "%s", n);
		return out;
	}
	char t[SS_ADDR_STRLEN];
	snprintf(out, 256, "%s", ss_addr_fmt(a, t));
	return out;
}

/* HH:MM:SS.mmm in local time: people read milliseconds; -r --flows keeps
 * microseconds. */
static void clock_ms(FILE *out, int64_t ns)
{
	char t[32];
	ss_time_clock(ns, t);
	size_t n = strlen(t);
	if (n > 3)
		t[n - 3] = 0; /* .uuuuuu -> .mmm */
	fputs(t, out);
}

void timeline_clock(FILE *out, int64_t ts)
{
	clock_ms(out, ts);
}

/* The flow number tells apart sessions between the same two hosts. The
 * text " [N] CLIENT > SERVER  " is kept per flow (a small direct-mapped
 * cache) until a DNS answer may have renamed a host: the timeline writes
 * it on every line, and naming hosts anew each time cost more than
 * dissecting. */
#define PREFIX_CACHE 256
void timeline_prefix(FILE *out, const struct timeline_opts *o, int64_t ts, const struct ss_flow *f)
{
	static struct {
		uint64_t id;
		unsigned long gen;
		int names;
		char text[200];
	} cache[PREFIX_CACHE];
	clock_ms(out, ts);
	unsigned long gen = o->names ? names_generation() : 0;
	size_t i = f->id % PREFIX_CACHE;
	if (cache[i].id != f->id || cache[i].gen != gen || cache[i].names != o->names) {
		char c[256], s[256];
		int n = snprintf(cache[i].text, sizeof cache[i].text, " [%" PRIu64 "] %s > %s  ",
		                 f->id, timeline_host(o, &f->ep[SS_C2S].addr, c),
		                 timeline_host(o, &f->ep[SS_S2C].addr, s));
		/* too long for the cache (long names): not kept */
		cache[i].id = n > 0 && (size_t)n < sizeof cache[i].text ? f->id : 0;
		cache[i].gen = gen;
		cache[i].names = o->names;
		if (!cache[i].id) {
			fprintf(out, " [%" PRIu64 "] %s > %s  ", f->id, c, s);
			return;
		}
	}
	fputs(cache[i].text, out);
}

static void proto_tag(FILE *out, const struct timeline_opts *o, const char *proto)
{
	fputs(col(o, C_CYAN), out);
	for (const char *p = proto; *p; p++)
		fputc(*p >= 'a' && *p <= 'z' ? *p - 32 : *p, out);
	fprintf(out, "%s ", col(o, C_OFF));
}

/* A reply on one line: EHLO's capabilities after its first line, other
 * multi-line replies joined with " / " without their repeated codes. */
static void reply_line(FILE *out, const struct rec_exchange *x)
{
	const uint8_t *p = x->reply.p, *end = p + x->reply.len;
	int ehlo = x->verb && (!strcmp(x->verb, "EHLO") || !strcmp(x->verb, "LHLO"));
	for (int first = 1; p < end; first = 0) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *e = nl ? nl : end;
		const uint8_t *t = p;
		if (!first) {
			/* "250-PIPELINING": the code and its dash say nothing new */
			if (e - t >= 4 && t[0] >= '0' && t[0] <= '9' &&
			    (t[3] == '-' || t[3] == ' '))
				t += 4;
			fputs(ehlo ? " " : " / ", out);
		} else if (e - t >= 4 && t[3] == '-') {
			fwrite(t, 1, 3, out); /* "250-first line" shows as "250 first line" */
			fputc(' ', out);
			t += 4;
		}
		fwrite(t, 1, (size_t)(e - t), out);
		p = nl ? nl + 1 : end;
	}
}

static void exchange(FILE *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_exchange *x = &r->u.ex;
	if (x->verb && !strcmp(x->verb, ".") && !o->verbose)
		return; /* the message line before it shows this reply */
	timeline_prefix(out, o, x->verb || x->cmd.len ? x->ts_cmd : x->ts_reply, r->flow);
	proto_tag(out, o, x->proto);
	if (x->verb || x->cmd.len) {
		fwrite(x->cmd.p, 1, x->cmd.len, out);
		fputs(" -> ", out);
	}
	if (x->reply.len) {
		fputs(col(o, code_colour(x->code)), out);
		reply_line(out, x);
		fputs(col(o, C_OFF), out);
	} else {
		fprintf(out, "%s(no reply)%s", col(o, C_DIM), col(o, C_OFF));
	}
	if (o->verbose && x->pipelined)
		fprintf(out, " %s[pipelined]%s", col(o, C_DIM), col(o, C_OFF));
	fputc('\n', out);
	if (o->verbose &&
	    memchr(x->reply.p ? x->reply.p : (const uint8_t *)"", '\n', x->reply.len)) {
		const uint8_t *p = x->reply.p, *end = p + x->reply.len;
		while (p < end) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			const uint8_t *e = nl ? nl : end;
			fputs("    ", out);
			fwrite(p, 1, (size_t)(e - p), out);
			fputc('\n', out);
			p = nl ? nl + 1 : end;
		}
	}
}

static void field_value(FILE *out, const struct msg *m, const char *name, const char *label)
{
	const struct msg_field *f = m ? msg_find(m, name, 0) : NULL;
	if (f && f->unfolded)
		fprintf(out, " %s: %s", label, f->unfolded);
}

static void message(FILE *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_message *m = &r->u.msg;
	timeline_prefix(out, o, m->ts_start, r->flow);
	proto_tag(out, o, m->proto);
	fprintf(out, "%smessage #%" PRIu64 "%s", col(o, C_BOLD), m->number, col(o, C_OFF));
	if (m->mail_from.len || m->nrcpt) {
		fputs(" <", out);
		fwrite(m->mail_from.p, 1, m->mail_from.len, out);
		fputs("> ->", out);
		size_t shown = m->nrcpt > 4 && !o->verbose ? 3 : m->nrcpt;
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? ", <" : " <", out);
			fwrite(m->rcpt[i].p, 1, m->rcpt[i].len, out);
			fputc('>', out);
		}
		if (shown < m->nrcpt)
			fprintf(out, " (+%zu more)", m->nrcpt - shown);
	}
	if (m->msg) {
		fputs(" From:", out);
		fprintf(out, " %s", m->msg->from ? m->msg->from : "(none)");
		if (m->msg->subject)
			fprintf(out, " Subject: %s", m->msg->subject);
	}
	fprintf(out, " (%zu bytes)", m->data.len);
	if (m->reply.len) {
		/* The server's word on it: "250 2.0.0 Ok: queued as X", "554 ..." */
		const uint8_t *nl = memchr(m->reply.p, '\n', m->reply.len);
		fprintf(out, " -> %s", col(o, code_colour(m->code)));
		fwrite(m->reply.p, 1, nl ? (size_t)(nl - m->reply.p) : m->reply.len, out);
		fputs(col(o, C_OFF), out);
	} else if (m->code < 0 && !strcmp(m->proto, "smtp")) {
		fprintf(out, " -> %s(no reply)%s", col(o, C_DIM), col(o, C_OFF));
	}
	if (m->incomplete)
		fprintf(out, " %s[incomplete]%s", col(o, C_YELLOW), col(o, C_OFF));
	if (m->partial)
		fprintf(out, " %s[part]%s", col(o, C_DIM), col(o, C_OFF));
	fputc('\n', out);
	if (o->verbose && m->msg) {
		for (size_t i = 0; i < m->msg->nfields; i++) {
			const struct msg_field *f = &m->msg->fields[i];
			fputs("    ", out);
			fwrite(m->data.p + f->off, 1, f->name_len, out);
			fprintf(out, ": %s\n", f->unfolded ? f->unfolded : "");
		}
	}
	(void)field_value;
}

static void note(FILE *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	timeline_prefix(out, o, n->ts, r->flow);
	proto_tag(out, o, n->proto);
	fwrite(n->detail.p, 1, n->detail.len, out);
	fputc('\n', out);
}

void timeline_link(FILE *out, const struct timeline_opts *o, const struct ss_record *r,
                   const struct vhop *hop, const struct vhop *from)
{
	const struct rec_message *m = &r->u.msg;
	char by[256], to[256];
	int smtp = !strcmp(m->proto, "smtp");
	if (smtp && !o->verbose)
		return;
	timeline_prefix(out, o, m->ts_end, r->flow);
	proto_tag(out, o, m->proto);
	timeline_host(o, &from->client, by);
	timeline_host(o, &from->server, to);
	if (smtp) {
		/* "message #2 is message #1 passed on by dkim.smtp.a.test" */
		fprintf(out, "message #%" PRIu64 " is message #%" PRIu64 " passed on by %s",
		        m->number, from->number, to);
	} else {
		if (m->user.len) {
			fwrite(m->user.p, 1, m->user.len, out);
			fputc(' ', out);
		}
		fprintf(out, "retrieved %s via ", hop->message_id ? hop->message_id : "a message");
		for (const char *p = m->proto; *p; p++)
			fputc(*p >= 'a' && *p <= 'z' ? *p - 32 : *p, out);
		fprintf(out, " from %s, delivered at ", to);
		clock_ms(out, from->ts);
		fprintf(out, " by %s (message #%" PRIu64 ")", by, from->number);
	}
	fprintf(out, ", %zu header field%s added%s\n", hop->added, hop->added == 1 ? "" : "s",
	        hop->exact ? "" : ", and changed below them");
}

void timeline_record(FILE *out, const struct timeline_opts *o, const struct ss_record *r)
{
	switch (r->kind) {
	case REC_EXCHANGE:
		exchange(out, o, r);
		break;
	case REC_MESSAGE:
		message(out, o, r);
		break;
	case REC_NOTE:
		note(out, o, r);
		break;
	case REC_DNS: {
		const struct rec_dns *d = &r->u.dns;
		timeline_prefix(out, o, d->ts_query ? d->ts_query : d->ts_response, r->flow);
		dnsout_text(out, d);
		fputc('\n', out);
		if (o->verbose)
			dnsout_verbose(out, d);
		break;
	}
	}
}
