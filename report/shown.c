/* shown.c - which lines --message and --host keep (shown.h). */
#include "shown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maillog.h"
#include "names.h"
#include "rectime.h"

struct shown {
	struct select *sel;
	struct story *story;      /* --message: its story (owned when live) */
	int live;                 /* the story is built as the copies come (no first pass) */
	struct idset *host_flows; /* --host: the flows of those hosts */
	int names;
};

int shown_new(struct shown **shown, const char *message, const char **hosts, size_t nhosts,
              struct story *story, int names, char *err, size_t errlen)
{
	*shown = NULL;
	if (!message && !nhosts)
		return 0;
	struct shown *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->names = names;
	s->story = story;
	if (!(s->sel = select_new(message, hosts, nhosts, err, errlen))) {
		free(s);
		return -1;
	}
	if ((!story && (s->live = 1) && !(s->story = story_new())) ||
	    !(s->host_flows = idset_new())) {
		snprintf(err, errlen, "out of memory");
		shown_free(s);
		return -1;
	}
	*shown = s;
	return 0;
}

void shown_free(struct shown *s)
{
	if (!s)
		return;
	select_free(s->sel);
	idset_free(s->host_flows);
	if (s->live)
		story_free(s->story);
	free(s);
}

/* A host is chosen by its address or by the name the output gives it. */
static int host_is(const struct shown *s, const struct ss_addr *a)
{
	return select_host(s->sel, a, s->names ? names_get(a) : NULL);
}

void shown_flow_open(struct shown *s, const struct ss_flow *f)
{
	if (s && select_by_host(s->sel) &&
	    (host_is(s, &f->ep[SS_C2S].addr) || host_is(s, &f->ep[SS_S2C].addr)))
		idset_add(s->host_flows, f->id);
}

int shown_flow(const struct shown *s, uint64_t flow)
{
	if (!s)
		return 1;
	if (select_by_host(s->sel) && !idset_has(s->host_flows, flow))
		return 0;
	return !select_by_message(s->sel) || story_has_flow(s->story, flow);
}

/* A syslog line: by its sender, and by the queue ID or Message-ID it
 * speaks of. */
static int log_shown(const struct shown *s, const struct ss_record *r)
{
	const struct rec_log *l = &r->u.log;
	if (select_by_host(s->sel) &&
	    !((r->flow && host_is(s, &r->flow->ep[SS_C2S].addr)) ||
	      select_host_name(s->sel, (const char *)l->host.p, l->host.len)))
		return 0;
	if (select_by_message(s->sel)) {
		struct maillog m;
		maillog_parse(l, &m);
		if (!story_has_log(s->story, (const char *)m.queue_id.p, m.queue_id.len,
		                   (const char *)m.message_id.p, m.message_id.len))
			return 0;
	}
	return 1;
}

int shown_record(struct shown *s, const struct ss_record *r, const struct vhop *hop)
{
	if (!s)
		return 1;
	if (r->kind == REC_LOG)
		return log_shown(s, r);
	const struct ss_flow *f = r->flow;
	if (select_by_host(s->sel) && f &&
	    (host_is(s, &f->ep[SS_C2S].addr) || host_is(s, &f->ep[SS_S2C].addr)))
		idset_add(s->host_flows, f->id);
	/* live: a copy of the message, or one passed on from a copy of it */
	if (s->live && r->kind == REC_MESSAGE && hop &&
	    (select_message(s->sel, hop->number, hop->message_id, hop->subject) ||
	     story_has_message(s->story, hop->from))) {
		struct ss_str q = r->u.msg.queue_id;
		char qid[64];
		snprintf(qid, sizeof qid, "%.*s", (int)(q.len < 63 ? q.len : 63),
		         (const char *)q.p);
		story_add_copy(s->story, hop->number, f->id, qid);
	}
	if (r->kind == REC_DNS && select_by_message(s->sel)) {
		int64_t ts;
		rectime_begin(r, &ts);
		if (!story_has_dns(s->story, &f->ep[SS_C2S].addr, ts))
			return 0;
		return !select_by_host(s->sel) || idset_has(s->host_flows, f->id);
	}
	return f && shown_flow(s, f->id);
}

int shown_hop(const struct shown *s, const struct vhop *hop)
{
	if (!s)
		return 1;
	if (select_by_host(s->sel) && !host_is(s, &hop->client) && !host_is(s, &hop->server))
		return 0;
	return !select_by_message(s->sel) || story_has_message(s->story, hop->number);
}

int shown_journey(const struct shown *s, const struct journey *jn)
{
	if (!s)
		return 1;
	if (select_by_message(s->sel) && !select_journey(s->sel, jn))
		return 0;
	if (!select_by_host(s->sel))
		return 1;
	for (size_t i = 0; i < jn->nsteps; i++) {
		const struct jstep *st = &jn->steps[i];
		if (st->copy && (host_is(s, &st->copy->client) || host_is(s, &st->copy->server)))
			return 1;
		if (st->log && st->log->host &&
		    select_host_name(s->sel, st->log->host, strlen(st->log->host)))
			return 1;
	}
	return 0;
}

struct story *shown_story(const struct shown *s, const struct journeys *j, size_t n)
{
	if (!s || !select_by_message(s->sel))
		return NULL;
	struct story *st = story_new();
	if (!st)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (select_journey(s->sel, jn))
			story_add_journey(st, jn);
	}
	return st;
}
