/* journeyout.c - the journeys as text after the timeline, and as JSON
 * "journey" records (docs/json.md).
 */
#include "journeyout.h"

#include <inttypes.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "jsonout.h"
#include "maillog.h"
#include "sstime.h"
#include "text.h"
#include "verdictout.h"

void journeyout_verdicts(const struct v_hopcheck *h, char *out, size_t len)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < h->nchecks && n + 1 < len; i++) {
		const struct v_check *c = &h->checks[i];
		char label[400];
		verdictout_label(c, label, sizeof label);
		int k = snprintf(out + n, len - n, "%s%s %s/%s %s", i ? "; " : "",
		                 v_method_name(c->ours->method), label,
		                 c->theirs && c->theirs->word ? c->theirs->word : "-",
		                 v_agreement_name(c->agreement));
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

/* "SMTP", as the timeline tags a line */
static const char *proto_upper(enum rec_proto p)
{
	static const char *const names[] = {"SMTP", "LMTP", "POP3", "IMAP"};
	return (unsigned)p < 4 ? names[p] : "?";
}

static const char *host(const struct timeline_opts *o, const struct ss_addr *a, char b[256])
{
	return timeline_host(o, a, b);
}

/* The journeys' text is put together in a text per journey and written in
 * one piece, as their JSON is (below): a capture of many messages has as
 * many journeys, and stdio's cost per piece was most of writing them. */

/* A time in the journeys: as the timeline mentions one inside a line. */
static void when(struct text *t, int has, int64_t ts)
{
	char b[TCLOCK_MAX];
	text_add(t, b, tclock_mention(tclock_timeline(), has, ts, b));
}

static void seconds(struct text *t, int64_t ns)
{
	text_printf(t, "%" PRId64 ".%03" PRId64 " s", ns / SS_NS_PER_SEC,
	            ns % SS_NS_PER_SEC / 1000000);
}

/* s, or "?" for none */
static void str_or(struct text *t, const char *s, const char *none)
{
	text_str(t, s ? s : none);
}

static void log_text(struct text *t, const struct jlog *l, const char *indent)
{
	text_str(t, indent);
	TEXT_LIT(t, "log ");
	when(t, l->timed, l->ts);
	text_char(t, ' ');
	str_or(t, l->host, "?");
	text_char(t, ' ');
	str_or(t, l->program, "?");
	TEXT_LIT(t, ": ");
	if (l->queue_id) {
		text_str(t, l->queue_id);
		TEXT_LIT(t, ": ");
	}
	str_or(t, l->text, "");
	text_char(t, '\n');
}

/* A step's log lines, at most JOURNEY_MAX_STEP_LOGS; then how many more. */
static void logs_text(struct text *t, const struct jstep *s, const char *in)
{
	size_t n = s->nlogs < JOURNEY_MAX_STEP_LOGS ? s->nlogs : JOURNEY_MAX_STEP_LOGS;
	for (size_t i = 0; i < n; i++)
		log_text(t, s->logs[i], in);
	if (n < s->nlogs)
		text_printf(t, "%s(and %zu more lines of its log)\n", in, s->nlogs - n);
}

static void copy_text(struct text *t, const struct timeline_opts *o, const struct jstep *s)
{
	const struct jcopy *c = s->copy;
	char a[256], b[256];
	when(t, c->frame_end != 0, c->ts_end);
	TEXT_LIT(t, "  ");
	text_str(t, host(o, &c->client, a));
	TEXT_LIT(t, " > ");
	text_str(t, host(o, &c->server, b));
	TEXT_LIT(t, "  ");
	text_str(t, proto_upper(c->p));
	TEXT_LIT(t, " message #");
	text_u64(t, c->number);
	if (c->role == RR_TRANSFER) {
		TEXT_LIT(t, " <");
		str_or(t, c->mail_from, "");
		TEXT_LIT(t, "> -> <");
		str_or(t, c->rcpt, "");
		text_char(t, '>');
		if (c->code >= 0)
			text_printf(t, ": %d", c->code);
		else
			TEXT_LIT(t, ": (no reply)");
		if (c->queue_id) {
			TEXT_LIT(t, " queued as ");
			text_str(t, c->queue_id);
		}
	} else {
		text_str(t, c->role == RR_RETRIEVAL ? " retrieved by " : " put in a mailbox by ");
		str_or(t, c->user, "(unknown user)");
	}
	TEXT_LIT(t, " (");
	text_u64(t, c->len);
	TEXT_LIT(t, " bytes");
	if (c->incomplete)
		TEXT_LIT(t, ", incomplete");
	if (c->partial)
		TEXT_LIT(t, ", a part");
	text_char(t, ')');
	if (c->role_name) {
		TEXT_LIT(t, " [");
		text_str(t, c->role_name);
		text_char(t, ']');
	}
	text_char(t, '\n');
	const char *in = "                ";
	/* the fields the host that had the copy before put on it: a
	 * transfer's client, a retrieval's server (which delivered it) */
	if (c->added)
		text_printf(t, "%s%s added %s%s\n", in, c->role == RR_TRANSFER ? a : b, c->added,
		            c->exact ? "" : ", and changed what was below");
	if (c->verdicts)
		text_printf(t, "%sverdicts (smtpsniff/%s): %s\n", in, b, c->verdicts);
	logs_text(t, s, in);
	if (s->held_known) {
		text_str(t, in);
		text_str(t, b);
		TEXT_LIT(t, " held it ");
		seconds(t, s->held);
		text_char(t, '\n');
	}
}

static void step_text(struct text *t, const struct timeline_opts *o, const struct jstep *s)
{
	for (int i = 0; i < s->depth && i < 8; i++)
		TEXT_LIT(t, "  ");
	if (s->kind == JS_COPY) {
		copy_text(t, o, s);
		return;
	}
	const struct jlog *l = s->kind == JS_QUEUE && s->nlogs ? s->logs[0] : s->log;
	when(t, l && l->timed, l ? l->ts : 0);
	const char *in = "                ";
	const char *lhost = l && l->host ? l->host : "?", *ltext = l && l->text ? l->text : "";
	switch (s->kind) {
	case JS_LOG_HOP:
		if (s->tls_flow)
			text_printf(t,
			            "  %s passed it on to %s (hop encrypted: TLS, flow %" PRIu64
			            ", without its key; its log: %s)\n",
			            lhost, s->host ? s->host : "?", s->tls_flow, ltext);
		else
			text_printf(t,
			            "  %s passed it on to %s (not in the capture; its log: %s)\n",
			            lhost, s->host ? s->host : "?", ltext);
		logs_text(t, s, in);
		break;
	case JS_DELIVERED:
		text_printf(t, "  %s delivered it%s%s: %s\n", lhost, l && l->rcpt ? " to " : "",
		            l && l->rcpt ? l->rcpt : "", ltext);
		break;
	case JS_FAILED:
		text_printf(t, "  %s: %s\n", lhost, ltext);
		break;
	case JS_QUEUE:
		text_printf(t, "  %s had it as %s (its log; not in the capture)\n",
		            s->host ? s->host : "?", s->queue_id ? s->queue_id : "?");
		logs_text(t, s, in);
		break;
	case JS_COPY:
		break;
	}
}

int journeyout_first_time(const struct journeys *j, size_t n, const char *keep, int64_t *ts)
{
	const struct journey *j0 = NULL;
	for (size_t i = 0; i < n && !j0; i++)
		if (keep[i])
			j0 = journeys_get(j, i);
	const struct jstep *s0 = j0 && j0->nsteps ? &j0->steps[0] : NULL;
	int has0 = s0 && s0->copy && s0->copy->frame_end;
	*ts = has0 ? s0->copy->ts_end : 0;
	return has0;
}

void journeyout_text_head(FILE *out, size_t shown, int has0, int64_t ts0)
{
	/* --journey alone: the zone is said here (at the first time there is) */
	tclock_header(tclock_timeline(), out, has0, ts0);
	fprintf(out, "\nJourneys (%zu)\n", shown);
}

void journeyout_text_list(FILE *out, const struct timeline_opts *o, const struct journeys *j,
                          size_t n, const char *keep)
{
	struct text t;
	text_init(&t);
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (!keep[i])
			continue;
		text_reset(&t);
		TEXT_LIT(&t, "\n#");
		text_u64(&t, jn->id);
		text_char(&t, ' ');
		if (jn->message_id) {
			text_char(&t, '<');
			text_str(&t, jn->message_id);
			text_char(&t, '>');
		} else {
			TEXT_LIT(&t, "(no Message-ID)");
		}
		TEXT_LIT(&t, " \"");
		str_or(&t, jn->subject, "(no Subject)");
		TEXT_LIT(&t, "\" from ");
		str_or(&t, jn->author, "?");
		text_char(&t, '\n');
		for (size_t k = 0; k < jn->nsteps; k++)
			step_text(&t, o, &jn->steps[k]);
		fwrite(t.b.p, 1, t.b.len, out);
	}
	text_free(&t);
}

void journeyout_text_tail(FILE *out, const struct journeys *j)
{
	uint64_t dc, dl;
	journeys_dropped(j, &dc, &dl);
	if (dc || dl)
		fprintf(out,
		        "(%" PRIu64 " copies and %" PRIu64
		        " log lines were dropped for --max-hops, --max-log-lines and "
		        "--journey-mem: the journeys "
		        "of the oldest messages may lack steps)\n",
		        dc, dl);
	if (journeys_cut(j))
		fputs("(the journeys were cut short: putting them together reached --journey-mem; "
		      "some copies or steps are in none)\n",
		      out);
}

void journeyout_text(FILE *out, const struct timeline_opts *o, const struct journeys *j, size_t n,
                     const char *keep)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += keep[i] != 0;
	if (!shown)
		return;
	int64_t ts0;
	int has0 = journeyout_first_time(j, n, keep, &ts0);
	journeyout_text_head(out, shown, has0, ts0);
	journeyout_text_list(out, o, j, n, keep);
	journeyout_text_tail(out, j);
}

/* --- JSON --- */

/* Each journey is put together in a text and written in one piece (as
 * jsonout.c does its records): a capture of many messages has as many
 * journeys, and stdio's cost per piece was a tenth of --json's time. */

static void jstr(struct text *t, const char *name, const char *v)
{
	if (!v)
		return;
	json_tkey(t, name);
	json_tcstr(t, v);
}

static void ju64(struct text *t, const char *name, uint64_t v)
{
	json_tkey(t, name);
	text_u64(t, v);
}

static void log_json(struct text *t, const struct jlog *l)
{
	TEXT_LIT(t, "{\"kind\":");
	json_tcstr(t, maillog_kind_name(l->kind));
	json_ttime_field(t, "time", l->timed, l->ts);
	if (l->frame)
		ju64(t, "frame", l->frame);
	jstr(t, "host", l->host);
	jstr(t, "program", l->program);
	jstr(t, "queue_id", l->queue_id);
	jstr(t, "next_queue_id", l->next_queue_id);
	jstr(t, "status", l->status);
	jstr(t, "relay", l->relay);
	jstr(t, "to", l->rcpt);
	jstr(t, "user", l->user);
	jstr(t, "text", l->text);
	text_char(t, '}');
}

static void logs_json(struct text *t, const struct jstep *s)
{
	if (!s->nlogs)
		return;
	size_t n = s->nlogs < JOURNEY_MAX_STEP_LOGS ? s->nlogs : JOURNEY_MAX_STEP_LOGS;
	TEXT_LIT(t, ",\"log\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			text_char(t, ',');
		log_json(t, s->logs[i]);
	}
	text_char(t, ']');
	if (n < s->nlogs)
		ju64(t, "log_more", s->nlogs - n);
}

static void step_json(struct text *t, struct jsonout_opts *jo, const struct jstep *s)
{
	static const char *const kinds[] = {"copy", "log_hop", "delivered", "failed", "queue"};
	TEXT_LIT(t, "{\"step\":\"");
	text_str(t, kinds[s->kind]);
	TEXT_LIT(t, "\",\"depth\":");
	json_ti64(t, s->depth);
	if (s->kind == JS_COPY) {
		const struct jcopy *c = s->copy;
		ju64(t, "message", c->number);
		TEXT_LIT(t, ",\"proto\":\"");
		text_str(t, rec_proto_name(c->p));
		TEXT_LIT(t, "\",\"role\":\"");
		text_str(t, c->role == RR_TRANSFER    ? "transfer"
		            : c->role == RR_RETRIEVAL ? "retrieval"
		                                      : "append");
		text_char(t, '"');
		if (c->from)
			ju64(t, "copy_of", c->from);
		ju64(t, "flow", c->flow);
		text_char(t, ',');
		jsonout_thost(t, jo, "client", &c->client);
		text_char(t, ',');
		jsonout_thost(t, jo, "server", &c->server);
		json_ttime_field(t, "time", c->frame_end != 0, c->ts_end);
		jstr(t, "mail_from", c->mail_from);
		jstr(t, "rcpt", c->rcpt);
		jstr(t, "user", c->user);
		if (c->role == RR_TRANSFER) {
			json_tkey(t, "code");
			json_ti64(t, c->code);
		}
		jstr(t, "queue_id", c->queue_id);
		ju64(t, "size", c->len);
		if (c->incomplete)
			TEXT_LIT(t, ",\"incomplete\":true");
		jstr(t, "added_by_client", c->added);
		jstr(t, "hop_role", c->role_name);
		jstr(t, "verdicts", c->verdicts);
		if (s->held_known) {
			json_tkey(t, "held_ms");
			json_ti64(t, s->held / 1000000);
		}
	} else if (s->kind == JS_QUEUE) {
		jstr(t, "host", s->host);
		if (s->nlogs)
			json_ttime_field(t, "time", s->logs[0]->timed, s->logs[0]->ts);
		jstr(t, "queue_id", s->queue_id);
	} else if (s->log) {
		jstr(t, "host", s->log->host);
		json_ttime_field(t, "time", s->log->timed, s->log->ts);
		jstr(t, "queue_id",
		     s->kind == JS_LOG_HOP ? s->log->next_queue_id : s->log->queue_id);
		jstr(t, "to_host", s->host);
		if (s->tls_flow)
			ju64(t, "encrypted_flow", s->tls_flow);
		jstr(t, "status", s->log->status);
		jstr(t, "text", s->log->text);
	}
	logs_json(t, s);
	text_char(t, '}');
}

void journeyout_json(FILE *out, struct jsonout_opts *jo, const struct journeys *j, size_t n,
                     const char *keep)
{
	struct text t;
	text_init(&t);
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (!keep[i])
			continue;
		text_reset(&t);
		TEXT_LIT(&t, "{\"type\":\"journey\"");
		ju64(&t, "journey", jn->id);
		jstr(&t, "message_id", jn->message_id);
		jstr(&t, "subject", jn->subject);
		jstr(&t, "from", jn->author);
		TEXT_LIT(&t, ",\"steps\":[");
		for (size_t k = 0; k < jn->nsteps; k++) {
			if (k)
				text_char(&t, ',');
			step_json(&t, jo, &jn->steps[k]);
		}
		TEXT_LIT(&t, "]}\n");
		if (t.b.len)
			fwrite(t.b.p, 1, t.b.len, out);
		if (t.cut) /* memory ran out: what was made, ended as a line */
			fputc('\n', out);
	}
	text_free(&t);
}
