/* jsonout.c - records as JSON lines (schema: docs/json.md). */
#include "jsonout.h"

#include <inttypes.h>
#include <string.h>

#include "dnsout.h"
#include "json.h"
#include "logout.h"
#include "message.h"
#include "rectime.h"
#include "sstime.h"
#include "tlsout.h"

static void str(FILE *out, struct ss_str s)
{
	json_str(out, s.p, s.len);
}

/* "name":"<ts>" when there is a time (has: its frame is not 0, record.h). */
static void time_field(FILE *out, const char *name, int has, int64_t ts)
{
	char t[40];
	if (has)
		fprintf(out, ",\"%s\":\"%s\"", name, ss_time_iso(ts, t));
}

/* "client":"10.255.1.21","client_name":"dkim.smtp.a.test",... */
static void endpoints(FILE *out, const struct jsonout_opts *o, const struct ss_flow *f)
{
	static const char *const side[2] = {"client", "server"};
	for (int d = 0; d < 2; d++) {
		char a[SS_ADDR_STRLEN];
		fprintf(out, ",\"%s\":\"%s\",\"%s_port\":%u", side[d],
		        ss_addr_fmt(&f->ep[d].addr, a), side[d], f->ep[d].port);
		const char *n = o->names ? names_get(&f->ep[d].addr) : NULL;
		if (n) {
			fprintf(out, ",\"%s_name\":", side[d]);
			json_cstr(out, n);
		}
	}
}

void jsonout_host(FILE *out, const struct jsonout_opts *o, const char *name,
                  const struct ss_addr *a)
{
	char t[SS_ADDR_STRLEN];
	fprintf(out, "\"%s\":\"%s\"", name, ss_addr_fmt(a, t));
	const char *n = o->names ? names_get(a) : NULL;
	if (n) {
		fprintf(out, ",\"%s_name\":", name);
		json_cstr(out, n);
	}
}

static void head(FILE *out, const struct jsonout_opts *o, const char *type,
                 const struct ss_record *r)
{
	const struct ss_flow *f = r->flow;
	int64_t ts;
	int has = rectime_begin(r, &ts);
	fputs("{\"type\":", out);
	json_cstr(out, type);
	time_field(out, "time", has, ts);
	if (!f) { /* a --log file's line: where it was read */
		fputs(",\"file\":", out);
		json_cstr(out, r->u.log.file ? r->u.log.file : "");
		fprintf(out, ",\"line\":%" PRIu64, r->u.log.line);
		return;
	}
	fprintf(out, ",\"flow\":%" PRIu64, f->id);
	endpoints(out, o, f);
}

static void exchange(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_exchange *x = &r->u.ex;
	head(out, o, x->proto, r);
	fputs(",\"verb\":", out);
	if (x->verb)
		json_cstr(out, x->verb);
	else
		fputs("null", out);
	fputs(",\"command\":", out);
	if (x->verb || x->cmd.len)
		str(out, x->cmd);
	else
		fputs("null", out);
	if (x->frame_cmd)
		fprintf(out, ",\"frame\":%" PRIu64, x->frame_cmd);
	fputs(",\"reply\":", out);
	if (x->reply.len)
		str(out, x->reply);
	else
		fputs("null", out);
	fprintf(out, ",\"code\":%d", x->code);
	if (x->status) {
		fputs(",\"status\":", out);
		json_cstr(out, x->status);
	}
	/* RFC 3463: the enhanced status code after the reply code, if any. */
	const uint8_t *p = x->reply.p;
	size_t n = x->reply.len, e = 4;
	while (e < n && ((p[e] >= '0' && p[e] <= '9') || p[e] == '.'))
		e++;
	if (x->status == NULL && n > 8 && p[3] == ' ' && p[4] >= '2' && p[4] <= '5' &&
	    p[5] == '.' && e < n && p[e] == ' ')
		fprintf(out, ",\"enhanced\":\"%.*s\"", (int)(e - 4), (const char *)p + 4);
	time_field(out, "reply_time", x->frame_reply != 0, x->ts_reply);
	if (x->frame_reply)
		fprintf(out, ",\"reply_frame\":%" PRIu64, x->frame_reply);
	fprintf(out, ",\"pipelined\":%s}\n", x->pipelined ? "true" : "false");
}

static void header(FILE *out, const struct msg *m, const char *key, const char *value)
{
	(void)m;
	if (!value)
		return;
	fprintf(out, ",\"%s\":", key);
	json_cstr(out, value);
}

static void message(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_message *m = &r->u.msg;
	head(out, o, "message", r);
	fputs(",\"proto\":", out);
	json_cstr(out, m->proto);
	fputs(",\"how\":", out);
	json_cstr(out, m->how);
	fprintf(out, ",\"number\":%" PRIu64 ",\"size\":%zu", m->number, m->data.len);
	fputs(",\"sha256\":", out);
	uint8_t md[32];
	if (!o->sha256)
		sha256_of(m->data.p, m->data.len, md);
	json_sha256(out, o->sha256 ? o->sha256 : md);
	fprintf(out, ",\"incomplete\":%s,\"partial\":%s", m->incomplete ? "true" : "false",
	        m->partial ? "true" : "false");
	if (m->role == RR_TRANSFER) {
		fputs(",\"helo\":", out);
		str(out, m->helo);
		fputs(",\"mail_from\":", out);
		str(out, m->mail_from);
		fputs(",\"rcpt\":[", out);
		for (size_t i = 0; i < m->nrcpt; i++) {
			if (i)
				fputc(',', out);
			str(out, m->rcpt[i]);
		}
		fputs("],\"queue_id\":", out);
		if (m->queue_id.len)
			str(out, m->queue_id);
		else
			fputs("null", out);
		fprintf(out, ",\"code\":%d", m->code);
		if (m->start_unseen) /* taken from the client's DATA on */
			fputs(",\"go_ahead_seen\":false", out);
		if (m->p == RP_LMTP) {
			/* RFC 2033 4.2: one reply per accepted recipient */
			fputs(",\"deliveries\":[", out);
			for (size_t i = 0; i < m->ndeliveries; i++) {
				const struct rec_delivery *d = &m->deliveries[i];
				fputs(i ? ",{\"rcpt\":" : "{\"rcpt\":", out);
				str(out, d->rcpt);
				fprintf(out, ",\"code\":%d,\"reply\":", d->code);
				str(out, d->reply);
				fputc('}', out);
			}
			fputc(']', out);
		}
	} else {
		fputs(",\"user\":", out);
		str(out, m->user);
		fputs(",\"mailbox\":", out);
		str(out, m->mailbox);
		fputs(",\"which\":", out);
		str(out, m->which);
	}
	fprintf(out, ",\"frame_start\":%" PRIu64 ",\"frame_end\":%" PRIu64, m->frame_start,
	        m->frame_end);
	time_field(out, "end", m->frame_end != 0, m->ts_end);
	if (o->hop && o->from) {
		/* the copy it was passed on from: number, when, and by which hosts */
		const struct vhop *f = o->from;
		fprintf(out, ",\"copy_of\":{\"number\":%" PRIu64, f->number);
		time_field(out, "time", f->frame != 0, f->ts);
		fputc(',', out);
		jsonout_host(out, o, "client", &f->client);
		fputc(',', out);
		jsonout_host(out, o, "server", &f->server);
		fprintf(out, ",\"added_fields\":%zu,\"exact\":%s}", o->hop->added,
		        o->hop->exact ? "true" : "false");
	}
	if (m->msg) {
		const struct msg *h = m->msg;
		fputs(",\"headers\":{", out);
		fprintf(out, "\"count\":%zu", h->nfields);
		header(out, h, "from", h->from);
		header(out, h, "to", h->to);
		header(out, h, "cc", h->cc);
		header(out, h, "subject", h->subject);
		header(out, h, "date", h->date);
		header(out, h, "message_id", h->message_id);
		fputs("}", out);
		fprintf(out, ",\"body_size\":%zu", m->data.len - h->body_off);
		if (o->verbose) {
			fputs(",\"fields\":[", out);
			for (size_t i = 0; i < h->nfields; i++) {
				const struct msg_field *f = &h->fields[i];
				fputs(i ? ",[" : "[", out);
				json_str(out, m->data.p + f->off, f->name_len);
				fputc(',', out);
				json_cstr(out, f->unfolded ? f->unfolded : "");
				fputc(']', out);
			}
			fputc(']', out);
		}
	}
	fputs("}\n", out);
}

static void note(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	/* a TLS session's note is a tls record: "what" is handshake or end */
	head(out, o, n->tls ? "tls" : "note", r);
	fputs(",\"proto\":", out);
	json_cstr(out, n->proto);
	fputs(",\"what\":", out);
	json_cstr(out, n->tls && !strncmp(n->what, "tls_", 4) ? n->what + 4 : n->what);
	fputs(",\"detail\":", out);
	str(out, n->detail);
	if (n->frame)
		fprintf(out, ",\"frame\":%" PRIu64, n->frame);
	if (n->tls)
		tlsout_json(out, n->tls);
	fputs("}\n", out);
}

static void dns(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_dns *d = &r->u.dns;
	head(out, o, "dns", r);
	if (d->frame_query)
		fprintf(out, ",\"frame\":%" PRIu64, d->frame_query);
	time_field(out, "response_time", d->frame_response != 0, d->ts_response);
	if (d->frame_response)
		fprintf(out, ",\"response_frame\":%" PRIu64, d->frame_response);
	dnsout_json(out, d);
	fputs("}\n", out);
}

static void log_line(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
{
	const struct rec_log *l = &r->u.log;
	head(out, o, "log", r);
	if (l->frame)
		fprintf(out, ",\"frame\":%" PRIu64, l->frame);
	if (o->about_flow)
		fprintf(out, ",\"about_flow\":%" PRIu64, o->about_flow);
	if (o->about_message)
		fprintf(out, ",\"about_message\":%" PRIu64, o->about_message);
	logout_json(out, l);
	fputs("}\n", out);
}

void jsonout_record(FILE *out, const struct jsonout_opts *o, const struct ss_record *r)
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
	case REC_DNS:
		dns(out, o, r);
		break;
	case REC_LOG:
		log_line(out, o, r);
		break;
	}
}
