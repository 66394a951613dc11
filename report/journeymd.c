/* journeymd.c - each journey as a Mermaid sequence diagram, in the style
 * of the smtpbook book (--mermaid; report/mermaid.h writes the syntax).
 *
 * A diagram shows, in time order, each hop's session (commands as arrows
 * from the client, replies dashed back), the message passing, the DNS
 * questions each host asked while the message was with it (grey boxes,
 * as the book draws them), and notes: what the receiver wrote beside
 * smtpsniff's verdicts, what the servers' logs say (queued as, delivered,
 * deferred). A host's "while" is from the connection that brought the
 * message to the connection that took it on (the last host: until its
 * part ends, and STAY_AFTER more for its verifiers); the first client's
 * is the DNS_BEFORE before it connected. A host that handles several
 * messages at once has their questions in each diagram.
 */
#define _DEFAULT_SOURCE
#include "journeymd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "maillog.h"
#include "mermaid.h"
#include "sstime.h"
#include "strf.h"

#define DNS_BEFORE (2 * SS_NS_PER_SEC)
#define STAY_AFTER (5 * SS_NS_PER_SEC)
/* DNS answers are cut here, as the book shows "p=MIIBIjA...". */
#define ANSWER_MAX 80
/* questions per host and hop */
#define DNS_MAX 64

/* One thing to draw, put in time order before it is drawn. */
struct item {
	int64_t ts;
	int order; /* among items of the same time: the order they were made */
	enum { I_ARROW, I_DNS, I_NOTE } kind;
	const char *from, *to;
	int dashed;
	char *text; /* owned */
	const struct jdns *dns;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void add(struct items *it, struct item x)
{
	if (it->n == it->cap) {
		size_t c = it->cap ? it->cap * 2 : 32;
		struct item *b = realloc(it->v, c * sizeof *b);
		if (!b) {
			free(x.text);
			return;
		}
		it->v = b;
		it->cap = c;
	}
	x.order = (int)it->n;
	it->v[it->n++] = x;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order - y->order;
}

/* The hosts declared, by name: a log line names its host, not its address. */
#define NAMED_MAX 32
struct named {
	char name[256];
	const char *alias;
};

static const char *who_named(struct mermaid *m, struct named *nm, size_t *nn, const char *name,
                             const char *detail)
{
	for (size_t i = 0; i < *nn; i++)
		if (!strcmp(nm[i].name, name))
			return nm[i].alias;
	const char *alias = mermaid_participant(m, name, detail);
	if (alias && *nn < NAMED_MAX) {
		snprintf(nm[*nn].name, sizeof nm[*nn].name, "%s", name);
		nm[(*nn)++].alias = alias;
	}
	return alias;
}

struct draw {
	const struct journeys *j;
	const struct journeymd_opts *o;
	struct mermaid *m;
	struct items it;
	const char *dns; /* the DNS participant's alias, once declared */
	struct named nm[NAMED_MAX];
	size_t nn;
};

static const char *who(struct draw *d, const struct ss_addr *a)
{
	char name[256], addr[SS_ADDR_STRLEN];
	timeline_host(d->o->tl, a, name);
	ss_addr_fmt(a, addr);
	return who_named(d->m, d->nm, &d->nn, name, strcmp(name, addr) ? addr : NULL);
}

/* A host the logs name: with its address when a copy shows it. */
static const char *host_by_name(struct draw *d, const struct journey *jn, const char *name)
{
	for (size_t k = 0; k < jn->nsteps; k++) {
		const struct jcopy *c = jn->steps[k].kind == JS_COPY ? jn->steps[k].copy : NULL;
		char b[256];
		if (c && !strcmp(timeline_host(d->o->tl, &c->client, b), name))
			return who(d, &c->client);
		if (c && !strcmp(timeline_host(d->o->tl, &c->server, b), name))
			return who(d, &c->server);
	}
	return who_named(d->m, d->nm, &d->nn, name, NULL);
}

static void dns_of(struct draw *d, const struct ss_addr *host, const char *alias, int64_t from,
                   int64_t to)
{
	if (d->o->no_dns)
		return;
	const struct jdns *q[DNS_MAX];
	size_t n = journeys_dns(d->j, host, from, to, q, DNS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!d->dns) {
			char name[256], addr[SS_ADDR_STRLEN];
			timeline_host(d->o->tl, &q[i]->server, name);
			ss_addr_fmt(&q[i]->server, addr);
			/* the book's "DNS", with the server it is */
			d->dns = mermaid_participant(d->m, "DNS", strcmp(name, addr) ? name : addr);
		}
		add(&d->it, (struct item){q[i]->ts, 0, I_DNS, alias, d->dns, 0, NULL, q[i]});
	}
}

static void session(struct draw *d, const struct jcopy *c, const char *cl, const char *sv)
{
	for (size_t i = 0; i < c->nex; i++) {
		const struct jex *x = &c->ex[i];
		if (!x->has_ts)
			continue;
		/* the message's final "." is drawn as the message itself */
		if (x->cmd && strcmp(x->cmd, "."))
			add(&d->it,
			    (struct item){x->ts, 0, I_ARROW, cl, sv, 0, strdup(x->cmd), NULL});
		if (x->reply && !d->o->no_replies)
			add(&d->it, (struct item){x->ts_reply, 0, I_ARROW, sv, cl, 1,
			                          strdup(x->reply), NULL});
	}
}

/* "message #2 (968 bytes)"; the queue ID its server gave it */
static void message_item(struct draw *d, const struct jcopy *c, const char *cl, const char *sv)
{
	char t[160];
	if (!c->frame_end)
		return;
	if (c->role == RR_TRANSFER) {
		snprintf(t, sizeof t, "message #%" PRIu64 " (%zu bytes%s)", c->number, c->len,
		         c->incomplete ? ", incomplete" : "");
		add(&d->it, (struct item){c->ts_end, 0, I_ARROW, cl, sv, 0, strdup(t), NULL});
	} else {
		snprintf(t, sizeof t, "message #%" PRIu64 " (%zu bytes) to %s", c->number, c->len,
		         c->user ? c->user : "the client");
		add(&d->it, (struct item){c->ts_end, 0, I_ARROW, sv, cl, 1, strdup(t), NULL});
	}
}

static void verdict_note(struct draw *d, const struct jcopy *c, const char *sv, int64_t at)
{
	/* as the book: at the host that checks (--verify-all: at every one) */
	if (!c->verdicts ||
	    (!d->o->tl->every_hop && (!c->role_name || strcmp(c->role_name, "checking"))))
		return;
	size_t n = strlen(c->verdicts);
	char *t = malloc(n + 64);
	if (!t)
		return;
	/* one verdict a line: "spf mailfrom pass/pass agree" */
	size_t k = (size_t)snprintf(t, n + 64, "smtpsniff / receiver (%s):\n",
	                            c->role_name ? c->role_name : "hop");
	for (const char *p = c->verdicts; *p; p++) {
		if (p[0] == ';' && p[1] == ' ') {
			t[k++] = '\n';
			p++;
		} else {
			t[k++] = *p;
		}
	}
	t[k] = 0;
	add(&d->it, (struct item){at, 0, I_NOTE, sv, NULL, 0, t, NULL});
}

static void log_note(struct draw *d, const struct jlog *l, const char *over, int64_t at)
{
	char *t = ss_strf("%s", l->text ? l->text : "");
	add(&d->it, (struct item){l->timed ? l->ts : at, 0, I_NOTE, over, NULL, 0, t, NULL});
}

/* The start of the step after step i, where the message left its server. */
static int64_t left_at(const struct journey *jn, size_t i, int64_t dflt)
{
	for (size_t k = i + 1; k < jn->nsteps; k++) {
		const struct jstep *s = &jn->steps[k];
		if (s->kind == JS_COPY && s->copy->role == RR_TRANSFER)
			return s->copy->flow_start;
		if (s->kind == JS_LOG_HOP && s->log && s->log->timed)
			return s->log->ts;
	}
	return dflt;
}

static void copy_items(struct draw *d, const struct journey *jn, size_t i)
{
	const struct jstep *s = &jn->steps[i];
	const struct jcopy *c = s->copy;
	const char *cl = who(d, &c->client);
	const char *sv = who(d, &c->server);
	if (!cl || !sv)
		return;
	if (i == 0) /* the first client looked its server up before connecting */
		dns_of(d, &c->client, cl, c->flow_start - DNS_BEFORE, c->flow_start);
	/* the message first: a command sent with its last bytes (a pipelined
	 * QUIT) comes after it */
	message_item(d, c, cl, sv);
	session(d, c, cl, sv);
	int64_t end = c->frame_end ? c->ts_end : c->flow_start;
	if (c->role == RR_TRANSFER) {
		int64_t until = left_at(jn, i, end + STAY_AFTER);
		dns_of(d, &c->server, sv, c->flow_start, until);
		verdict_note(d, c, sv, until);
		/* where it went on to ("queued there as"); the end of the path
		 * is a step of its own */
		for (size_t k = 0; k < s->nlogs && k < JOURNEY_MAX_STEP_LOGS; k++)
			if (s->logs[k]->kind == ML_DELIVERY && s->logs[k]->next_queue_id)
				log_note(d, s->logs[k], sv, end);
	}
}

static void other_items(struct draw *d, const struct jstep *s)
{
	const struct jlog *l = s->log;
	if (!l || !l->host)
		return;
	const char *h = who_named(d->m, d->nm, &d->nn, l->host, NULL);
	if (!h)
		return;
	int64_t at = l->timed ? l->ts : 0;
	if (s->kind == JS_LOG_HOP) {
		char to[256];
		snprintf(to, sizeof to, "%s", s->host ? s->host : "?");
		char *br = strchr(to, '[');
		if (br)
			*br = 0; /* "dmarc.mx.b.test[10.255.2.33]:25": the name */
		const char *t = who_named(d->m, d->nm, &d->nn, to, NULL);
		if (t)
			add(&d->it,
			    (struct item){at, 0, I_ARROW, h, t, 0,
			                  s->tls_flow
			                      ? ss_strf("SMTP, encrypted (TLS, flow %" PRIu64 ")",
			                                s->tls_flow)
			                      : ss_strf("SMTP, not in the capture (%s)",
			                                l->text ? l->text : ""),
			                  NULL});
		return;
	}
	add(&d->it,
	    (struct item){at, 0, I_NOTE, h, NULL, 0, ss_strf("%s", l->text ? l->text : ""), NULL});
}

static void draw(struct draw *d)
{
	if (d->it.n)
		qsort(d->it.v, d->it.n, sizeof *d->it.v, item_cmp);
	for (size_t i = 0; i < d->it.n; i++) {
		struct item *x = &d->it.v[i];
		switch (x->kind) {
		case I_ARROW:
			mermaid_arrow(d->m, x->from, x->to, x->dashed ? MERMAID_DASHED : 0,
			              x->text);
			break;
		case I_NOTE:
			mermaid_note(d->m, x->from, NULL, x->text);
			break;
		case I_DNS: {
			/* the book's grey box: the question, and its answer */
			char a[ANSWER_MAX + 8];
			const char *ans =
			    x->dns->answer ? x->dns->answer : "(no answer in the capture)";
			size_t n = strlen(ans);
			snprintf(a, sizeof a, "%.*s%s", (int)(n > ANSWER_MAX ? ANSWER_MAX : n), ans,
			         n > ANSWER_MAX ? "..." : "");
			mermaid_rect_begin(d->m);
			mermaid_arrow(d->m, x->from, x->to, 0, x->dns->question);
			mermaid_arrow(d->m, x->to, x->from, MERMAID_DASHED, a);
			mermaid_rect_end(d->m);
			break;
		}
		}
		free(x->text);
	}
	free(d->it.v);
}

int journeymd_write(FILE *out, const struct journeymd_opts *o, const struct journeys *j, size_t n,
                    const char *keep)
{
	int rc = 0;
	fputs("# Journeys\n\nOne sequence diagram per message, as smtpsniff saw it: each hop's "
	      "session, the DNS questions of its hosts, the verdicts, and what the servers' logs "
	      "said.\n\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct journey *jn = journeys_get(j, i);
		if (!keep[i] || !jn->nsteps)
			continue;
		char title[400];
		snprintf(title, sizeof title, "Journey %" PRIu64 ": %s%s%s", jn->id,
		         jn->subject ? jn->subject : "(no Subject)", jn->message_id ? " <" : "",
		         jn->message_id ? jn->message_id : "");
		if (jn->message_id)
			strncat(title, ">", sizeof title - strlen(title) - 1);
		struct draw *d = calloc(1, sizeof *d);
		if (!d)
			return -1;
		*d = (struct draw){j, o, mermaid_begin(out, title), {0}, NULL, {{{0}, NULL}}, 0};
		if (!d->m) {
			free(d);
			return -1;
		}
		/* participants in the order of the path */
		for (size_t k = 0; k < jn->nsteps; k++) {
			const struct jstep *s = &jn->steps[k];
			if (s->kind == JS_COPY) {
				who(d, &s->copy->client);
				who(d, &s->copy->server);
			} else if (s->kind == JS_QUEUE && s->host) {
				host_by_name(d, jn, s->host);
			}
		}
		for (size_t k = 0; k < jn->nsteps; k++) {
			if (jn->steps[k].kind == JS_COPY)
				copy_items(d, jn, k);
			else
				other_items(d, &jn->steps[k]);
		}
		draw(d);
		if (mermaid_end(d->m))
			rc = -1;
		free(d);
	}
	return rc;
}
