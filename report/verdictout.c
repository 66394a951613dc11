/* verdictout.c - a hop's verdicts on the timeline and in JSON (see
 * verdictout.h). */
#include "verdictout.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "names.h"
#include "sstime.h"

/* DNS answers longer than this are cut on the timeline (not with -v). */
#define VERDICTOUT_MAX_ANSWER 100

/* "mailfrom" / "helo" for SPF, "d=y.test s=smtpbook" for DKIM, "" else */
static void qualifier(const struct verdict *v, char *out, size_t len)
{
	out[0] = 0;
	if (v->method == V_SPF) {
		const char *id = verdict_get(v, "identity");
		snprintf(out, len, "%s", id ? id : "");
	} else if (v->method == V_DKIM && v->domain) {
		snprintf(out, len, "d=%s%s%s", v->domain, v->selector ? " s=" : "",
		         v->selector ? v->selector : "");
	}
}

void verdictout_label(const struct v_check *c, char *out, size_t len)
{
	char q[300];
	qualifier(c->ours, q, sizeof q);
	snprintf(out, len, "%s%s%s", q, *q ? " " : "", v_result_name(c->ours->result));
}

static const char *agreement_colour(const struct timeline_opts *o, enum v_agreement a)
{
	if (!o->colour)
		return "";
	switch (a) {
	case V_AGREE:
		return "\033[32m";
	case V_DISAGREE:
		return "\033[1;31m";
	case V_UNCHECKED:
		return "\033[2m";
	case V_CANNOT_TELL:
		return "\033[33m";
	}
	return "";
}

int64_t verdictout_cited(const struct v_hopcheck *h, int *has)
{
	const struct vhop *hop = h->hop;
	int64_t t = hop->ts;
	*has = hop->frame != 0;
	if (h->copy_frame && (!*has || h->copy_ts > t)) {
		t = h->copy_ts;
		*has = 1;
	}
	for (size_t i = 0; i < h->nchecks; i++)
		for (size_t j = 0; j < h->checks[i].ours->ndns; j++) {
			const struct v_evidence *e = &h->checks[i].ours->dns[j];
			if (e->frame && (!*has || e->ts > t)) {
				t = e->ts;
				*has = 1;
			}
		}
	return t;
}

void verdictout_text(FILE *out, const struct timeline_opts *o, const struct v_hopcheck *h)
{
	const struct vhop *hop = h->hop;
	char c[256], s[256];
	const char *off = o->colour ? "\033[0m" : "";
	int has;
	int64_t at = verdictout_cited(h, &has);
	timeline_clock(out, has, at);
	fprintf(out, "[%" PRIu64 "] %s > %s  %sVERIFY%s message #%" PRIu64, hop->flow,
	        timeline_host(o, &hop->client, c), timeline_host(o, &hop->server, s),
	        o->colour ? "\033[1m" : "", off, hop->number);
	if (hop->message_id)
		fprintf(out, " %s", hop->message_id);
	if (h->role != V_ROLE_CHECKING) {
		/* Nobody checks here: smtpsniff's verdicts are no finding. */
		fprintf(out, " %s%s: not checked here%s%s\n", o->colour ? "\033[2m" : "",
		        v_role_name(h->role),
		        o->every_hop ? "" : " (--verify-all shows its verdicts)", off);
	} else if (h->copy_seen) {
		fprintf(out, " (its verdicts as %s wrote them in message #%" PRIu64 ")", s,
		        h->copy_number);
	}
	if (h->role == V_ROLE_CHECKING)
		fputc('\n', out);
	if (h->copy_hidden) {
		char a[256], b[256];
		fprintf(out,
		        "    its copy went on encrypted (STARTTLS, flow %" PRIu64 ", %s > %s): "
		        "that hop cannot be read or checked without the session's keys\n",
		        h->hidden_flow, timeline_host(o, &h->hidden_client, a),
		        timeline_host(o, &h->hidden_server, b));
	}
	if (h->role != V_ROLE_CHECKING && !o->every_hop)
		return;
	for (size_t i = 0; i < h->nchecks; i++) {
		const struct v_check *k = &h->checks[i];
		const struct verdict *v = k->ours;
		char q[300];
		qualifier(v, q, sizeof q);
		/* "    dkim d=y.test s=smtpbook: pass; dmarc.mx.b.test wrote pass -> agree" */
		fprintf(out, "    %s%s%s: %s", v_method_name(v->method), *q ? " " : "", q,
		        v_result_name(v->result));
		if (k->theirs)
			fprintf(out, "; %s wrote %s", s, k->theirs->word);
		fprintf(out, " -> %s%s%s\n", agreement_colour(o, k->agreement),
		        k->agreement == V_DISAGREE ? "DISAGREE" : v_agreement_name(k->agreement),
		        off);
		if (v->reason)
			fprintf(out, "        %s\n", v->reason);
		if (k->why && (!v->reason || strcmp(k->why, v->reason)))
			fprintf(out, "        %s\n", k->why);
		for (size_t j = 0; j < v->ndns; j++) {
			/* keys and long records cut here; -v and --json keep them whole */
			const char *a = v->dns[j].answer;
			int cut = !o->verbose && strlen(a) > VERDICTOUT_MAX_ANSWER;
			/* an answer not captured has no source to name */
			int none = v->dns[j].kind == DNS_NOT_CAPTURED;
			fprintf(out, "        dns: %s -> %.*s%s%s%s%s\n", v->dns[j].question,
			        cut ? VERDICTOUT_MAX_ANSWER : (int)strlen(a), a, cut ? "..." : "",
			        none ? "" : " (", none ? "" : v->dns[j].source, none ? "" : ")");
		}
		if (o->verbose) {
			for (size_t j = 0; j < v->nprops; j++)
				fprintf(out, "        %s: %s\n", v->props[j].key,
				        v->props[j].value);
			if (k->theirs)
				fprintf(out, "        %s: %s\n", k->theirs->field, k->theirs->text);
		}
	}
}

static void opt_cstr(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":", key);
	if (value)
		json_cstr(out, value);
	else
		fputs("null", out);
}

void verdictout_json(FILE *out, const struct jsonout_opts *o, const struct v_hopcheck *h)
{
	const struct vhop *hop = h->hop;
	char t[40];
	for (size_t i = 0; i < h->nchecks; i++) {
		const struct v_check *k = &h->checks[i];
		const struct verdict *v = k->ours;
		fprintf(out, "{\"type\":\"verdict\",\"method\":\"%s\",\"result\":\"%s\"",
		        v_method_name(v->method), v_result_name(v->result));
		opt_cstr(out, "reason", v->reason);
		opt_cstr(out, "domain", v->domain);
		opt_cstr(out, "selector", v->selector);
		fputs(",\"hop\":{", out);
		jsonout_host(out, o, "client", &hop->client);
		fputc(',', out);
		jsonout_host(out, o, "server", &hop->server);
		fprintf(out, ",\"flow\":%" PRIu64 "}", hop->flow);
		fprintf(out, ",\"message\":%" PRIu64 ",\"role\":\"%s\"", hop->number,
		        v_role_name(h->role));
		if (hop->frame) /* the time its message was complete (record.h) */
			fprintf(out, ",\"time\":\"%s\"", ss_time_iso(hop->ts, t));
		opt_cstr(out, "message_id", hop->message_id);
		fputs(",\"receiver\":", out);
		if (!h->copy_seen) {
			fputs("null", out);
		} else {
			fprintf(out, "{\"copy\":%" PRIu64, h->copy_number);
			if (k->theirs) {
				opt_cstr(out, "authserv_id", k->theirs->authserv_id);
				opt_cstr(out, "result", k->theirs->word);
				opt_cstr(out, "field", k->theirs->field);
				opt_cstr(out, "text", k->theirs->text);
			} else {
				fputs(",\"result\":null", out);
			}
			fputc('}', out);
		}
		fprintf(out, ",\"agreement\":\"%s\"", v_agreement_name(k->agreement));
		opt_cstr(out, "why", k->why);
		fputs(",\"props\":{", out);
		for (size_t j = 0; j < v->nprops; j++) {
			if (j)
				fputc(',', out);
			json_cstr(out, v->props[j].key);
			fputc(':', out);
			json_cstr(out, v->props[j].value);
		}
		fputs("},\"dns\":[", out);
		for (size_t j = 0; j < v->ndns; j++) {
			fputs(j ? ",{\"question\":" : "{\"question\":", out);
			json_cstr(out, v->dns[j].question);
			fputs(",\"answer\":", out);
			json_cstr(out, v->dns[j].answer);
			fputs(",\"source\":", out);
			json_cstr(out, v->dns[j].source);
			fputc('}', out);
		}
		fputs("]}\n", out);
	}
}
