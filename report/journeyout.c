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

/* A time in the journeys: as the timeline mentions one inside a line. */
static void when(FILE *out, int has, int64_t ts)
{
	char t[TCLOCK_MAX];
	fwrite(t, 1, tclock_mention(tclock_timeline(), has, ts, t), out);
}

static void seconds(FILE *out, int64_t ns)
{
	fprintf(out, "%" PRId64 ".%03" PRId64 " s", ns / SS_NS_PER_SEC,
	        ns % SS_NS_PER_SEC / 1000000);
}

static void log_text(FILE *out, const struct jlog *l, const char *indent)
{
	fprintf(out, "%slog ", indent);
	when(out, l->timed, l->ts);
	fprintf(out, " %s %s: %s%s%s\n", l->host ? l->host : "?", l->program ? l->program : "?",
	        l->queue_id ? l->queue_id : "", l->queue_id ? ": " : "", l->text ? l->text : "");
}

/* A step's log lines, at most JOURNEY_MAX_STEP_LOGS; then how many more. */
static void logs_text(FILE *out, const struct jstep *s, const char *in)
{
	size_t n = s->nlogs < JOURNEY_MAX_STEP_LOGS ? s->nlogs : JOURNEY_MAX_STEP_LOGS;
	for (size_t i = 0; i < n; i++)
		log_text(out, s->logs[i], in);
	if (n < s->nlogs)
		fprintf(out, "%s(and %zu more lines of its log)\n", in, s->nlogs - n);
}

static void copy_text(FILE *out, const struct timeline_opts *o, const struct jstep *s)
{
	const struct jcopy *c = s->copy;
	char a[256], b[256];
	when(out, c->frame_end != 0, c->ts_end);
	fprintf(out, "  %s > %s  %s message #%" PRIu64, host(o, &c->client, a),
	        host(o, &c->server, b), proto_upper(c->p), c->number);
	if (c->role == RR_TRANSFER) {
		fprintf(out, " <%s> -> <%s>", c->mail_from ? c->mail_from : "",
		        c->rcpt ? c->rcpt : "");
		if (c->code >= 0)
			fprintf(out, ": %d", c->code);
		else
			fputs(": (no reply)", out);
		if (c->queue_id)
			fprintf(out, " queued as %s", c->queue_id);
	} else {
		fprintf(out, " %s by %s",
		        c->role == RR_RETRIEVAL ? "retrieved" : "put in a mailbox",
		        c->user ? c->user : "(unknown user)");
	}
	fprintf(out, " (%zu bytes%s%s)", c->len, c->incomplete ? ", incomplete" : "",
	        c->partial ? ", a part" : "");
	if (c->role_name)
		fprintf(out, " [%s]", c->role_name);
	fputc('\n', out);
	const char *in = "                ";
	/* the fields the host that had the copy before put on it: a
	 * transfer's client, a retrieval's server (which delivered it) */
	if (c->added)
		fprintf(out, "%s%s added %s%s\n", in, c->role == RR_TRANSFER ? a : b, c->added,
		        c->exact ? "" : ", and changed what was below");
	if (c->verdicts)
		fprintf(out, "%sverdicts (smtpsniff/%s): %s\n", in, b, c->verdicts);
	logs_text(out, s, in);
	if (s->held_known) {
		fprintf(out, "%s%s held it ", in, b);
		seconds(out, s->held);
		fputc('\n', out);
	}
}

static void step_text(FILE *out, const struct timeline_opts *o, const struct jstep *s)
{
	for (int i = 0; i < s->depth && i < 8; i++)
		fputs("  ", out);
	if (s->kind == JS_COPY) {
		copy_text(out, o, s);
		return;
	}
	const struct jlog *l = s->kind == JS_QUEUE && s->nlogs ? s->logs[0] : s->log;
	when(out, l && l->timed, l ? l->ts : 0);
	const char *in = "                ";
	switch (s->kind) {
	case JS_LOG_HOP:
		if (s->tls_flow)
			fprintf(out,
			        "  %s passed it on to %s (hop encrypted: TLS, flow %" PRIu64
			        ", without its key; its log: %s)\n",
			        l && l->host ? l->host : "?", s->host ? s->host : "?", s->tls_flow,
			        l && l->text ? l->text : "");
		else
			fprintf(out, "  %s passed it on to %s (not in the capture; its log: %s)\n",
			        l && l->host ? l->host : "?", s->host ? s->host : "?",
			        l && l->text ? l->text : "");
		logs_text(out, s, in);
		break;
	case JS_DELIVERED:
		fprintf(out, "  %s delivered it%s%s: %s\n", l && l->host ? l->host : "?",
		        l && l->rcpt ? " to " : "", l && l->rcpt ? l->rcpt : "",
		        l && l->text ? l->text : "");
		break;
	case JS_FAILED:
		fprintf(out, "  %s: %s\n", l && l->host ? l->host : "?",
		        l && l->text ? l->text : "");
		break;
	case JS_QUEUE:
		fprintf(out, "  %s had it as %s (its log; not in the capture)\n",
		        s->host ? s->host : "?", s->queue_id ? s->queue_id : "?");
		logs_text(out, s, in);
		break;
	case JS_COPY:
		break;
	}
}

void journeyout_text(FILE *out, const struct timeline_opts *o, const struct journeys *j, size_t n,
                     const char *keep)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += keep[i] != 0;
	if (!shown)
		return;
	/* --journey alone: the zone is said here (at the first time there is) */
	const struct journey *j0 = NULL;
	for (size_t i = 0; i < n && !j0; i++)
		if (keep[i])
			j0 = journeys_get(j, i);
	const struct jstep *s0 = j0->nsteps ? &j0->steps[0] : NULL;
	int has0 = s0 && s0->copy && s0->copy->frame_end;
	tclock_header(tclock_timeline(), out, has0, has0 ? s0->copy->ts_end : 0);
	fprintf(out, "\nJourneys (%zu)\n", shown);
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (!keep[i])
			continue;
		fprintf(out, "\n#%" PRIu64 " %s%s%s \"%s\" from %s\n", jn->id,
		        jn->message_id ? "<" : "",
		        jn->message_id ? jn->message_id : "(no Message-ID)",
		        jn->message_id ? ">" : "", jn->subject ? jn->subject : "(no Subject)",
		        jn->author ? jn->author : "?");
		for (size_t k = 0; k < jn->nsteps; k++)
			step_text(out, o, &jn->steps[k]);
	}
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

/* --- JSON --- */

static void jstr(FILE *out, const char *name, const char *v)
{
	if (!v)
		return;
	fprintf(out, ",\"%s\":", name);
	json_cstr(out, v);
}

static void jtime(FILE *out, const char *name, int has, int64_t ts)
{
	char t[40];
	if (has)
		fprintf(out, ",\"%s\":\"%s\"", name, ss_time_iso(ts, t));
}

static void log_json(FILE *out, const struct jlog *l)
{
	fputs("{\"kind\":", out);
	json_cstr(out, maillog_kind_name(l->kind));
	jtime(out, "time", l->timed, l->ts);
	if (l->frame)
		fprintf(out, ",\"frame\":%" PRIu64, l->frame);
	jstr(out, "host", l->host);
	jstr(out, "program", l->program);
	jstr(out, "queue_id", l->queue_id);
	jstr(out, "next_queue_id", l->next_queue_id);
	jstr(out, "status", l->status);
	jstr(out, "relay", l->relay);
	jstr(out, "to", l->rcpt);
	jstr(out, "user", l->user);
	jstr(out, "text", l->text);
	fputc('}', out);
}

static void logs_json(FILE *out, const struct jstep *s)
{
	if (!s->nlogs)
		return;
	size_t n = s->nlogs < JOURNEY_MAX_STEP_LOGS ? s->nlogs : JOURNEY_MAX_STEP_LOGS;
	fputs(",\"log\":[", out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		log_json(out, s->logs[i]);
	}
	fputc(']', out);
	if (n < s->nlogs)
		fprintf(out, ",\"log_more\":%zu", s->nlogs - n);
}

static void step_json(FILE *out, struct jsonout_opts *jo, const struct jstep *s)
{
	static const char *const kinds[] = {"copy", "log_hop", "delivered", "failed", "queue"};
	fprintf(out, "{\"step\":\"%s\",\"depth\":%d", kinds[s->kind], s->depth);
	if (s->kind == JS_COPY) {
		const struct jcopy *c = s->copy;
		fprintf(out, ",\"message\":%" PRIu64 ",\"proto\":\"%s\",\"role\":\"%s\"", c->number,
		        rec_proto_name(c->p),
		        c->role == RR_TRANSFER    ? "transfer"
		        : c->role == RR_RETRIEVAL ? "retrieval"
		                                  : "append");
		if (c->from)
			fprintf(out, ",\"copy_of\":%" PRIu64, c->from);
		fprintf(out, ",\"flow\":%" PRIu64 ",", c->flow);
		jsonout_host(out, jo, "client", &c->client);
		fputc(',', out);
		jsonout_host(out, jo, "server", &c->server);
		jtime(out, "time", c->frame_end != 0, c->ts_end);
		jstr(out, "mail_from", c->mail_from);
		jstr(out, "rcpt", c->rcpt);
		jstr(out, "user", c->user);
		if (c->role == RR_TRANSFER)
			fprintf(out, ",\"code\":%d", c->code);
		jstr(out, "queue_id", c->queue_id);
		fprintf(out, ",\"size\":%zu", c->len);
		if (c->incomplete)
			fputs(",\"incomplete\":true", out);
		jstr(out, "added_by_client", c->added);
		jstr(out, "hop_role", c->role_name);
		jstr(out, "verdicts", c->verdicts);
		if (s->held_known)
			fprintf(out, ",\"held_ms\":%" PRId64, s->held / 1000000);
	} else if (s->kind == JS_QUEUE) {
		jstr(out, "host", s->host);
		if (s->nlogs)
			jtime(out, "time", s->logs[0]->timed, s->logs[0]->ts);
		jstr(out, "queue_id", s->queue_id);
	} else if (s->log) {
		jstr(out, "host", s->log->host);
		jtime(out, "time", s->log->timed, s->log->ts);
		jstr(out, "queue_id",
		     s->kind == JS_LOG_HOP ? s->log->next_queue_id : s->log->queue_id);
		jstr(out, "to_host", s->host);
		if (s->tls_flow)
			fprintf(out, ",\"encrypted_flow\":%" PRIu64, s->tls_flow);
		jstr(out, "status", s->log->status);
		jstr(out, "text", s->log->text);
	}
	logs_json(out, s);
	fputc('}', out);
}

void journeyout_json(FILE *out, struct jsonout_opts *jo, const struct journeys *j, size_t n,
                     const char *keep)
{
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (!keep[i])
			continue;
		fprintf(out, "{\"type\":\"journey\",\"journey\":%" PRIu64, jn->id);
		jstr(out, "message_id", jn->message_id);
		jstr(out, "subject", jn->subject);
		jstr(out, "from", jn->author);
		fputs(",\"steps\":[", out);
		for (size_t k = 0; k < jn->nsteps; k++) {
			if (k)
				fputc(',', out);
			step_json(out, jo, &jn->steps[k]);
		}
		fputs("]}\n", out);
	}
}
