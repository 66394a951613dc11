/* jsonout.c - records as JSON lines (schema: docs/json.md).
 *
 * A record is put together in a text (text.h) and written in one piece:
 * the exchanges and messages of a busy capture are most of --json's
 * output, and piece by piece through stdio, each piece a locked call and
 * many a printf, they cost three times what the timeline's lines do.
 * Numbers, times and digests are formatted by hand for the same reason.
 */
#include "jsonout.h"

#include <inttypes.h>
#include <string.h>

#include "addr.h"
#include "dnsout.h"
#include "json.h"
#include "logout.h"
#include "message.h"
#include "rectime.h"
#include "text.h"
#include "tlsout.h"

/* A record longer than this goes out in parts of about this size (the
 * header fields of a -v message: up to --max-message of them, each byte of
 * which may take six escaped), and the text keeps no more storage than
 * this between records. */
#define JSONOUT_PART (256u << 10)

static void str(struct text *t, struct ss_str s)
{
	json_tstr(t, s.p, s.len);
}

static void u64(struct text *t, uint64_t v)
{
	text_u64(t, v);
}

void jsonout_thost(struct text *t, const struct jsonout_opts *o, const char *name,
                   const struct ss_addr *a)
{
	char s[SS_ADDR_STRLEN];
	text_char(t, '"');
	text_str(t, name);
	TEXT_LIT(t, "\":\"");
	text_str(t, ss_addr_fmt(a, s));
	text_char(t, '"');
	const char *n = o->names ? names_get(a) : NULL;
	if (n) {
		TEXT_LIT(t, ",\"");
		text_str(t, name);
		TEXT_LIT(t, "_name\":");
		json_tcstr(t, n);
	}
}

/* "client":"10.255.1.21","client_port":40090,"client_name":"...",... */
static void endpoints(struct text *t, const struct jsonout_opts *o, const struct ss_flow *f)
{
	static const char *const side[2] = {"client", "server"};
	for (int d = 0; d < 2; d++) {
		char a[SS_ADDR_STRLEN];
		json_tkey(t, side[d]);
		text_char(t, '"');
		text_str(t, ss_addr_fmt(&f->ep[d].addr, a));
		TEXT_LIT(t, "\",\"");
		text_str(t, side[d]);
		TEXT_LIT(t, "_port\":");
		u64(t, f->ep[d].port);
		const char *n = o->names ? names_get(&f->ep[d].addr) : NULL;
		if (n) {
			TEXT_LIT(t, ",\"");
			text_str(t, side[d]);
			TEXT_LIT(t, "_name\":");
			json_tcstr(t, n);
		}
	}
}

/* A text kept between the records of this thread, emptied: one for
 * jsonout_record (0) and one for jsonout_host (1), which other writers
 * call between records. */
static struct text *scratch(int which)
{
	static _Thread_local struct text t[2];
	static _Thread_local int ready[2];
	if (!ready[which]) {
		text_init(&t[which]);
		ready[which] = 1;
	}
	text_reset(&t[which]);
	return &t[which];
}

/* What is in t goes to out, and t is empty again; a text cut short (memory
 * ran out) still ends its line. */
static void flush(struct text *t, FILE *out)
{
	if (t->b.len)
		fwrite(t->b.p, 1, t->b.len, out);
	if (t->cut)
		fputc('\n', out);
	text_reset(t);
}

void jsonout_host(FILE *out, const struct jsonout_opts *o, const char *name,
                  const struct ss_addr *a)
{
	struct text *t = scratch(1);
	jsonout_thost(t, o, name, a);
	flush(t, out);
}

static void head(struct text *t, const struct jsonout_opts *o, const char *type,
                 const struct ss_record *r)
{
	const struct ss_flow *f = r->flow;
	int64_t ts;
	int has = rectime_begin(r, &ts);
	TEXT_LIT(t, "{\"type\":");
	json_tcstr(t, type);
	json_ttime_field(t, "time", has, ts);
	if (!f) { /* a --log file's line: where it was read */
		TEXT_LIT(t, ",\"file\":");
		json_tcstr(t, r->u.log.file ? r->u.log.file : "");
		TEXT_LIT(t, ",\"line\":");
		u64(t, r->u.log.line);
		return;
	}
	TEXT_LIT(t, ",\"flow\":");
	u64(t, f->id);
	endpoints(t, o, f);
}

static void exchange(struct text *t, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_exchange *x = &r->u.ex;
	head(t, o, x->proto, r);
	TEXT_LIT(t, ",\"verb\":");
	if (x->verb)
		json_tcstr(t, x->verb);
	else
		TEXT_LIT(t, "null");
	TEXT_LIT(t, ",\"command\":");
	if (x->verb || x->cmd.len)
		str(t, x->cmd);
	else
		TEXT_LIT(t, "null");
	if (x->frame_cmd) {
		TEXT_LIT(t, ",\"frame\":");
		u64(t, x->frame_cmd);
	}
	TEXT_LIT(t, ",\"reply\":");
	if (x->reply.len)
		str(t, x->reply);
	else
		TEXT_LIT(t, "null");
	TEXT_LIT(t, ",\"code\":");
	json_ti64(t, x->code);
	if (x->status) {
		TEXT_LIT(t, ",\"status\":");
		json_tcstr(t, x->status);
	}
	/* RFC 3463: the enhanced status code after the reply code, if any. */
	const uint8_t *p = x->reply.p;
	size_t n = x->reply.len, e = 4;
	while (e < n && ((p[e] >= '0' && p[e] <= '9') || p[e] == '.'))
		e++;
	if (x->status == NULL && n > 8 && p[3] == ' ' && p[4] >= '2' && p[4] <= '5' &&
	    p[5] == '.' && e < n && p[e] == ' ') {
		TEXT_LIT(t, ",\"enhanced\":\"");
		text_add(t, p + 4, e - 4); /* digits and dots: nothing to escape */
		text_char(t, '"');
	}
	json_ttime_field(t, "reply_time", x->frame_reply != 0, x->ts_reply);
	if (x->frame_reply) {
		TEXT_LIT(t, ",\"reply_frame\":");
		u64(t, x->frame_reply);
	}
	TEXT_LIT(t, ",\"pipelined\":");
	json_tbool(t, x->pipelined);
	TEXT_LIT(t, "}\n");
}

static void header(struct text *t, const char *name, const char *value)
{
	if (!value)
		return;
	json_tkey(t, name);
	json_tcstr(t, value);
}

static void message(struct text *t, FILE *out, const struct jsonout_opts *o,
                    const struct ss_record *r)
{
	const struct rec_message *m = &r->u.msg;
	head(t, o, "message", r);
	TEXT_LIT(t, ",\"proto\":");
	json_tcstr(t, m->proto);
	TEXT_LIT(t, ",\"how\":");
	json_tcstr(t, m->how);
	TEXT_LIT(t, ",\"number\":");
	u64(t, m->number);
	TEXT_LIT(t, ",\"size\":");
	u64(t, m->data.len);
	TEXT_LIT(t, ",\"sha256\":");
	uint8_t md[32];
	if (!o->sha256)
		sha256_of(m->data.p, m->data.len, md);
	json_tsha256(t, o->sha256 ? o->sha256 : md);
	TEXT_LIT(t, ",\"incomplete\":");
	json_tbool(t, m->incomplete);
	TEXT_LIT(t, ",\"partial\":");
	json_tbool(t, m->partial);
	if (m->role == RR_TRANSFER) {
		TEXT_LIT(t, ",\"helo\":");
		str(t, m->helo);
		TEXT_LIT(t, ",\"mail_from\":");
		str(t, m->mail_from);
		TEXT_LIT(t, ",\"rcpt\":[");
		for (size_t i = 0; i < m->nrcpt; i++) {
			if (i)
				text_char(t, ',');
			str(t, m->rcpt[i]);
		}
		TEXT_LIT(t, "],\"queue_id\":");
		if (m->queue_id.len)
			str(t, m->queue_id);
		else
			TEXT_LIT(t, "null");
		TEXT_LIT(t, ",\"code\":");
		json_ti64(t, m->code);
		if (m->start_unseen) /* taken from the client's DATA on */
			TEXT_LIT(t, ",\"go_ahead_seen\":false");
		if (m->p == RP_LMTP) {
			/* RFC 2033 4.2: one reply per accepted recipient */
			TEXT_LIT(t, ",\"deliveries\":[");
			for (size_t i = 0; i < m->ndeliveries; i++) {
				const struct rec_delivery *d = &m->deliveries[i];
				if (i)
					text_char(t, ',');
				TEXT_LIT(t, "{\"rcpt\":");
				str(t, d->rcpt);
				TEXT_LIT(t, ",\"code\":");
				json_ti64(t, d->code);
				TEXT_LIT(t, ",\"reply\":");
				str(t, d->reply);
				text_char(t, '}');
			}
			text_char(t, ']');
		}
	} else {
		TEXT_LIT(t, ",\"user\":");
		str(t, m->user);
		TEXT_LIT(t, ",\"mailbox\":");
		str(t, m->mailbox);
		TEXT_LIT(t, ",\"which\":");
		str(t, m->which);
	}
	TEXT_LIT(t, ",\"frame_start\":");
	u64(t, m->frame_start);
	TEXT_LIT(t, ",\"frame_end\":");
	u64(t, m->frame_end);
	json_ttime_field(t, "end", m->frame_end != 0, m->ts_end);
	if (o->hop && o->from) {
		/* the copy it was passed on from: number, when, and by which hosts */
		const struct vhop *f = o->from;
		TEXT_LIT(t, ",\"copy_of\":{\"number\":");
		u64(t, f->number);
		json_ttime_field(t, "time", f->frame != 0, f->ts);
		text_char(t, ',');
		jsonout_thost(t, o, "client", &f->client);
		text_char(t, ',');
		jsonout_thost(t, o, "server", &f->server);
		TEXT_LIT(t, ",\"added_fields\":");
		u64(t, o->hop->added);
		TEXT_LIT(t, ",\"exact\":");
		json_tbool(t, o->hop->exact);
		text_char(t, '}');
	}
	if (m->msg) {
		const struct msg *h = m->msg;
		TEXT_LIT(t, ",\"headers\":{\"count\":");
		u64(t, h->nfields);
		header(t, "from", h->from);
		header(t, "to", h->to);
		header(t, "cc", h->cc);
		header(t, "subject", h->subject);
		header(t, "date", h->date);
		header(t, "message_id", h->message_id);
		TEXT_LIT(t, "},\"body_size\":");
		u64(t, m->data.len - h->body_off);
		if (o->verbose) {
			TEXT_LIT(t, ",\"fields\":[");
			for (size_t i = 0; i < h->nfields; i++) {
				const struct msg_field *f = &h->fields[i];
				if (i)
					text_char(t, ',');
				text_char(t, '[');
				json_tstr(t, m->data.p + f->off, f->name_len);
				text_char(t, ',');
				json_tcstr(t, f->unfolded ? f->unfolded : "");
				text_char(t, ']');
				if (t->b.len >= JSONOUT_PART)
					flush(t, out);
			}
			text_char(t, ']');
		}
	}
	TEXT_LIT(t, "}\n");
}

/* The records below end with members written by FILE writers elsewhere
 * (tlsout, dnsout, logout): what was put together goes out first. */
static void note(struct text *t, FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	/* a TLS session's note is a tls record: "what" is handshake or end */
	head(t, o, n->tls ? "tls" : "note", r);
	TEXT_LIT(t, ",\"proto\":");
	json_tcstr(t, n->proto);
	TEXT_LIT(t, ",\"what\":");
	json_tcstr(t, n->tls && !strncmp(n->what, "tls_", 4) ? n->what + 4 : n->what);
	TEXT_LIT(t, ",\"detail\":");
	str(t, n->detail);
	if (n->frame) {
		TEXT_LIT(t, ",\"frame\":");
		u64(t, n->frame);
	}
	if (n->tls) {
		flush(t, out);
		tlsout_json(out, n->tls);
	}
	TEXT_LIT(t, "}\n");
}

static void dns(struct text *t, FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_dns *d = &r->u.dns;
	head(t, o, "dns", r);
	if (d->frame_query) {
		TEXT_LIT(t, ",\"frame\":");
		u64(t, d->frame_query);
	}
	json_ttime_field(t, "response_time", d->frame_response != 0, d->ts_response);
	if (d->frame_response) {
		TEXT_LIT(t, ",\"response_frame\":");
		u64(t, d->frame_response);
	}
	flush(t, out);
	dnsout_json(out, d);
	TEXT_LIT(t, "}\n");
}

static void log_line(struct text *t, FILE *out, const struct jsonout_opts *o,
                     const struct ss_record *r)
{
	const struct rec_log *l = &r->u.log;
	head(t, o, "log", r);
	if (l->frame) {
		TEXT_LIT(t, ",\"frame\":");
		u64(t, l->frame);
	}
	if (o->about_flow) {
		TEXT_LIT(t, ",\"about_flow\":");
		u64(t, o->about_flow);
	}
	if (o->about_message) {
		TEXT_LIT(t, ",\"about_message\":");
		u64(t, o->about_message);
	}
	flush(t, out);
	logout_json(out, l);
	TEXT_LIT(t, "}\n");
}

void jsonout_record(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	struct text *t = scratch(0);
	switch (r->kind) {
	case REC_EXCHANGE:
		exchange(t, o, r);
		break;
	case REC_MESSAGE:
		message(t, out, o, r);
		break;
	case REC_NOTE:
		note(t, out, o, r);
		break;
	case REC_DNS:
		dns(t, out, o, r);
		break;
	case REC_LOG:
		log_line(t, out, o, r);
		break;
	}
	flush(t, out);
	buf_trim(&t->b, JSONOUT_PART);
}
