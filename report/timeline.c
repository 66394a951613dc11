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

#include "clock.h"
#include "dnsout.h"
#include "logout.h"
#include "message.h"
#include "names.h"
#include "rectime.h"
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
	return ss_addr_fmt(a, out); /* SS_ADDR_STRLEN fits in 256 */
}

/* A line's time field, its separator included (clock.h: "HH:MM:SS.mmm "
 * by default, nothing with -t); "-" when there is no time (has 0: no
 * frame, record.h). */
void timeline_clock(FILE *out, int has, int64_t ts)
{
	char t[TCLOCK_MAX];
	fwrite(t, 1, tclock_field(tclock_timeline(), has, ts, t), out);
}

/* At the start of a line, the line's time field as timeline_clock's;
 * inside a line ("delivered at ..."), the time as clock.h mentions one. */
static void put_clock(struct text *out, int has, int64_t ts)
{
	char t[TCLOCK_MAX];
	struct tclock *c = tclock_timeline();
	int start = !out->b.len || out->b.p[out->b.len - 1] == '\n';
	text_add(out, t, start ? tclock_field(c, has, ts, t) : tclock_mention(c, has, ts, t));
}

static void put_str(struct text *out, const struct ss_str *s)
{
	text_add(out, s->p, s->len);
}

/* The flow number tells apart sessions between the same two hosts. The
 * text " [N] CLIENT > SERVER  " is kept per flow (a direct-mapped cache)
 * until a DNS answer may have renamed a host: the timeline writes it on
 * every line, and naming hosts anew each time cost more than dissecting. */
#define PREFIX_CACHE 2048
#define PREFIX_TEXT 120
void timeline_prefix(struct text *out, const struct timeline_opts *o, int has, int64_t ts,
                     const struct ss_flow *f)
{
	static struct {
		uint64_t id;
		unsigned long gen;
		int names;
		uint8_t len;
		char text[PREFIX_TEXT];
	} cache[PREFIX_CACHE];
	put_clock(out, has, ts);
	unsigned long gen = o->names ? names_generation() : 0;
	size_t i = f->id % PREFIX_CACHE;
	if (cache[i].id != f->id || cache[i].gen != gen || cache[i].names != o->names) {
		char c[256], s[256];
		size_t at = out->b.len;
		text_str(out, "[");
		text_u64(out, f->id);
		text_str(out, "] ");
		text_str(out, timeline_host(o, &f->ep[SS_C2S].addr, c));
		text_str(out, " > ");
		text_str(out, timeline_host(o, &f->ep[SS_S2C].addr, s));
		text_str(out, "  ");
		/* kept unless too long for the cache (long names); ids start at 1 */
		size_t n = out->b.len - at;
		cache[i].id = !out->cut && n <= sizeof cache[i].text ? f->id : 0;
		cache[i].gen = gen;
		cache[i].names = o->names;
		cache[i].len = (uint8_t)(cache[i].id ? n : 0);
		if (cache[i].id)
			memcpy(cache[i].text, out->b.p + at, n);
		return;
	}
	text_add(out, cache[i].text, cache[i].len);
}

/* The prefix of r's line, at the time its event began (rectime.h). */
static void record_prefix(struct text *out, const struct timeline_opts *o,
                          const struct ss_record *r)
{
	int64_t ts;
	int has = rectime_begin(r, &ts);
	timeline_prefix(out, o, has, ts, r->flow);
}

/* "SMTP", the protocol's name upper-cased. */
static void put_proto(struct text *out, const char *proto)
{
	static const char *const tags[][2] = {
	    {"smtp", "SMTP"}, {"lmtp", "LMTP"}, {"pop3", "POP3"}, {"imap", "IMAP"}, {"dns", "DNS"}};
	for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++)
		if (!strcmp(tags[k][0], proto)) {
			text_str(out, tags[k][1]);
			return;
		}
	for (const char *p = proto; *p; p++)
		text_char(out, *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p);
}

/* "SMTP " in cyan. */
static void proto_tag(struct text *out, const struct timeline_opts *o, const char *proto)
{
	text_str(out, col(o, C_CYAN));
	put_proto(out, proto);
	text_str(out, col(o, C_OFF));
	text_char(out, ' ');
}

/* " [incomplete]", dimmed or coloured. */
static void put_mark(struct text *out, const struct timeline_opts *o, const char *colour,
                     const char *mark)
{
	text_char(out, ' ');
	text_str(out, col(o, colour));
	text_str(out, mark);
	text_str(out, col(o, C_OFF));
}

/* A reply on one line: EHLO's capabilities after its first line, other
 * multi-line replies joined with " / " without their repeated codes. */
static void reply_line(struct text *out, const struct rec_exchange *x)
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
			text_str(out, ehlo ? " " : " / ");
		} else if (e - t >= 4 && t[3] == '-') {
			text_add(out, t, 3); /* "250-first line" shows as "250 first line" */
			text_char(out, ' ');
			t += 4;
		}
		text_add(out, t, (size_t)(e - t));
		p = nl ? nl + 1 : end;
	}
}

/* Each line of p[0..n) on its own, indented (-v). */
static void indented(struct text *out, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *e = nl ? nl : end;
		text_str(out, "    ");
		text_add(out, p, (size_t)(e - p));
		text_char(out, '\n');
		p = nl ? nl + 1 : end;
	}
}

static void exchange(struct text *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_exchange *x = &r->u.ex;
	if (x->verb && !strcmp(x->verb, ".") && !o->verbose)
		return; /* the message line before it shows this reply */
	record_prefix(out, o, r);
	proto_tag(out, o, x->proto);
	if (x->verb || x->cmd.len) {
		put_str(out, &x->cmd);
		text_str(out, " -> ");
	}
	if (x->reply.len) {
		text_str(out, col(o, code_colour(x->code)));
		reply_line(out, x);
		text_str(out, col(o, C_OFF));
	} else {
		text_str(out, col(o, C_DIM));
		text_str(out, "(no reply)");
		text_str(out, col(o, C_OFF));
	}
	if (o->verbose && x->pipelined)
		put_mark(out, o, C_DIM, "[pipelined]");
	text_char(out, '\n');
	if (o->verbose && x->reply.len && memchr(x->reply.p, '\n', x->reply.len))
		indented(out, x->reply.p, x->reply.len);
}

/* The first line of a reply, coloured by its code. */
static void put_reply(struct text *out, const struct timeline_opts *o, int code,
                      const struct ss_str *reply)
{
	const uint8_t *nl = memchr(reply->p, '\n', reply->len);
	text_str(out, col(o, code_colour(code)));
	text_add(out, reply->p, nl ? (size_t)(nl - reply->p) : reply->len);
	text_str(out, col(o, C_OFF));
}

static void message(struct text *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_message *m = &r->u.msg;
	record_prefix(out, o, r);
	proto_tag(out, o, m->proto);
	text_str(out, col(o, C_BOLD));
	text_str(out, "message #");
	text_u64(out, m->number);
	text_str(out, col(o, C_OFF));
	if (m->mail_from.len || m->nrcpt) {
		text_str(out, " <");
		put_str(out, &m->mail_from);
		text_str(out, "> ->");
		size_t shown = m->nrcpt > 4 && !o->verbose ? 3 : m->nrcpt;
		for (size_t i = 0; i < shown; i++) {
			text_str(out, i ? ", <" : " <");
			put_str(out, &m->rcpt[i]);
			text_char(out, '>');
		}
		if (shown < m->nrcpt) {
			text_str(out, " (+");
			text_u64(out, m->nrcpt - shown);
			text_str(out, " more)");
		}
	}
	if (m->msg) {
		text_str(out, " From: ");
		text_str(out, m->msg->from ? m->msg->from : "(none)");
		if (m->msg->subject) {
			text_str(out, " Subject: ");
			text_str(out, m->msg->subject);
		}
	}
	text_str(out, " (");
	text_u64(out, m->data.len);
	text_str(out, " bytes)");
	if (m->ndeliveries) {
		/* LMTP: the server's word for each recipient (RFC 2033 4.2) */
		for (size_t i = 0; i < m->ndeliveries; i++) {
			const struct rec_delivery *d = &m->deliveries[i];
			text_str(out, i ? "; <" : " -> <");
			put_str(out, &d->rcpt);
			text_str(out, "> ");
			put_reply(out, o, d->code, &d->reply);
		}
	} else if (m->reply.len) {
		/* The server's word on it: "250 2.0.0 Ok: queued as X", "554 ..." */
		text_str(out, " -> ");
		put_reply(out, o, m->code, &m->reply);
	} else if (m->code < 0 && m->role == RR_TRANSFER) {
		text_str(out, " -> ");
		text_str(out, col(o, C_DIM));
		text_str(out, "(no reply)");
		text_str(out, col(o, C_OFF));
	}
	if (m->incomplete)
		put_mark(out, o, C_YELLOW, "[incomplete]");
	if (m->partial)
		put_mark(out, o, C_DIM, "[part]");
	text_char(out, '\n');
	if (o->verbose && m->msg) {
		for (size_t i = 0; i < m->msg->nfields; i++) {
			const struct msg_field *f = &m->msg->fields[i];
			text_str(out, "    ");
			text_add(out, m->data.p + f->off, f->name_len);
			text_str(out, ": ");
			text_str(out, f->unfolded ? f->unfolded : "");
			text_char(out, '\n');
		}
	}
}

static void note(struct text *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	record_prefix(out, o, r);
	proto_tag(out, o, n->proto);
	put_str(out, &n->detail);
	text_char(out, '\n');
}

void timeline_link(struct text *out, const struct timeline_opts *o, const struct ss_record *r,
                   const struct vhop *hop, const struct vhop *from)
{
	const struct rec_message *m = &r->u.msg;
	char by[256], to[256];
	int smtp = m->role == RR_TRANSFER;
	timeline_prefix(out, o, m->frame_end != 0, m->ts_end, r->flow);
	proto_tag(out, o, m->proto);
	timeline_host(o, &from->client, by);
	timeline_host(o, &from->server, to);
	if (smtp) {
		/* "message #2 is message #1 passed on by dkim.smtp.a.test" */
		text_printf(out, "message #%" PRIu64 " is message #%" PRIu64 " passed on by %s",
		            m->number, from->number, to);
	} else {
		if (m->user.len) {
			put_str(out, &m->user);
			text_char(out, ' ');
		}
		text_printf(out, "retrieved %s via ",
		            hop->message_id ? hop->message_id : "a message");
		put_proto(out, m->proto);
		text_printf(out, " from %s, delivered", to);
		if (from->frame) {
			text_str(out, " at ");
			put_clock(out, 1, from->ts);
		}
		text_printf(out, " by %s (message #%" PRIu64 ")", by, from->number);
	}
	text_printf(out, ", %zu header field%s added%s\n", hop->added, hop->added == 1 ? "" : "s",
	            hop->exact ? "" : ", and changed below them");
}

/* "HH:MM:SS.mmm [N] HOST  LOG app[pid]: message": the host is the
 * sender, the flow's client; where the lines went is the same every time. */
static void log_line(struct text *out, const struct timeline_opts *o, const struct ss_record *r)
{
	const struct rec_log *l = &r->u.log;
	char h[256];
	if (!r->flow) { /* --log: "[FILE:LINE] HOST" as the line names its host */
		put_clock(out, l->timed, l->ts);
		text_printf(out, "[%s:%" PRIu64 "] ", l->file ? l->file : "?", l->line);
		for (size_t i = 0; i < l->host.len && i < NAMES_MAX_LEN; i++) /* from a file */
			text_char(out, l->host.p[i] > 0x20 && l->host.p[i] < 0x7f
			                   ? (char)l->host.p[i]
			                   : '?');
		text_str(out, "  ");
		proto_tag(out, o, "log");
		logout_text(out, l);
		text_char(out, '\n');
		return;
	}
	put_clock(out, l->frame != 0, l->ts);
	text_str(out, "[");
	text_u64(out, r->flow->id);
	text_str(out, "] ");
	text_str(out, timeline_host(o, &r->flow->ep[SS_C2S].addr, h));
	text_str(out, "  ");
	proto_tag(out, o, "log");
	logout_text(out, l);
	text_char(out, '\n');
}

void timeline_record(struct text *out, const struct timeline_opts *o, const struct ss_record *r)
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
		record_prefix(out, o, r);
		dnsout_text(out, d);
		text_char(out, '\n');
		if (o->verbose)
			dnsout_verbose(out, d);
		break;
	}
	case REC_LOG:
		log_line(out, o, r);
		break;
	}
}
