/* journey.c - collecting each message's copies, its servers' log lines,
 * and (for the diagrams) its sessions' commands and the DNS questions of
 * its hosts; and putting them together into one path per message.
 *
 * Collecting costs a copy of a few short strings per message and per log
 * line that speaks of a message; the commands and DNS questions only with
 * --mermaid. Putting together runs once, at the end, on sorted indexes:
 * O(n log n) in copies and lines.
 */
#define _DEFAULT_SOURCE
#include "journey.h"
#include "journeyint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstext.h"
#include "maillog.h"
#include "message.h"
#include "strf.h"

static char *dup_str(const struct ss_str *s)
{
	if (!s->len)
		return NULL;
	size_t n = s->len < JOURNEY_MAX_TEXT ? s->len : JOURNEY_MAX_TEXT;
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	/* bytes that are not printable ASCII are shown as '?': these are
	 * names and words for people, never compared byte for byte */
	for (size_t i = 0; i < n; i++)
		d[i] = s->p[i] >= 0x20 && s->p[i] < 0x7f ? (char)s->p[i] : '?';
	d[n] = 0;
	return d;
}

static char *dup_c(const char *s)
{
	if (!s)
		return NULL;
	struct ss_str t = {(const uint8_t *)s, strlen(s)};
	return dup_str(&t);
}

struct journeys *journeys_new(const struct journey_opts *o)
{
	struct journeys *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->o = *o;
	if (!j->o.max_copies)
		j->o.max_copies = 1;
	if (!j->o.max_logs)
		j->o.max_logs = 1;
	return j;
}

static void ex_free(struct jex *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].cmd);
		free(e[i].reply);
	}
}

static void copy_free(struct jcopy *c)
{
	free(c->queue_id);
	free(c->mail_from);
	free(c->rcpt);
	free(c->user);
	free(c->message_id);
	free(c->subject);
	free(c->author);
	free(c->added);
	free(c->role_name);
	free(c->verdicts);
	ex_free(c->ex, c->nex);
	free(c->ex);
}

static void log_free(struct jlog *l)
{
	free(l->host);
	free(l->program);
	free(l->queue_id);
	free(l->next_queue_id);
	free(l->message_id);
	free(l->status);
	free(l->relay);
	free(l->rcpt);
	free(l->user);
	free(l->rip);
	free(l->lip);
	free(l->text);
}

void journeys_built_free(struct journeys *j)
{
	for (size_t i = 0; i < j->njs; i++)
		free(j->js[i].steps);
	free(j->js);
	for (size_t i = 0; i < j->nlists; i++)
		free(j->lists[i]);
	free(j->lists);
	free(j->by_qid);
	free(j->copy_qid);
	free(j->by_msgid);
	free(j->logins);
	free(j->by_next);
	free(j->by_relay);
	free(j->qid_used);
	free(j->kids);
	free(j->consumed);
}

void journeys_free(struct journeys *j)
{
	if (!j)
		return;
	journeys_built_free(j);
	for (size_t i = 0; i < j->ncopies; i++)
		copy_free(&j->copies[i]);
	free(j->copies);
	for (size_t i = 0; i < j->nlogs; i++)
		log_free(&j->logs[i]);
	free(j->logs);
	for (size_t b = 0; b < SESS_BUCKETS; b++)
		for (struct jsess *s = j->sess[b], *n; s; s = n) {
			n = s->next;
			ex_free(s->ex, s->n);
			free(s);
		}
	if (j->dns) {
		for (size_t i = 0; i < j->ndns; i++) {
			free(j->dns[i].question);
			free(j->dns[i].answer);
		}
		free(j->dns);
	}
	free(j);
}

static size_t sz(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* The bytes a copy holds beside its slot, for --journey-mem. */
static size_t copy_bytes(const struct jcopy *c)
{
	size_t n = sz(c->queue_id) + sz(c->mail_from) + sz(c->rcpt) + sz(c->user) +
	           sz(c->message_id) + sz(c->subject) + sz(c->author) + sz(c->added) +
	           sz(c->role_name) + sz(c->verdicts) + c->nex * sizeof *c->ex;
	for (size_t i = 0; i < c->nex; i++)
		n += sz(c->ex[i].cmd) + sz(c->ex[i].reply);
	return n + sizeof *c;
}

static size_t log_bytes(const struct jlog *l)
{
	return sz(l->host) + sz(l->program) + sz(l->queue_id) + sz(l->next_queue_id) +
	       sz(l->message_id) + sz(l->status) + sz(l->relay) + sz(l->rcpt) + sz(l->user) +
	       sz(l->rip) + sz(l->lip) + sz(l->text) + sizeof *l;
}

/* The oldest k copies go. */
static void drop_copies(struct journeys *j, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		j->bytes -= j->copies[i].bytes;
		copy_free(&j->copies[i]);
	}
	memmove(j->copies, j->copies + k, (j->ncopies - k) * sizeof *j->copies);
	j->ncopies -= k;
	j->dropped_copies += k;
}

static void drop_logs(struct journeys *j, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		j->bytes -= log_bytes(&j->logs[i]);
		log_free(&j->logs[i]);
	}
	memmove(j->logs, j->logs + k, (j->nlogs - k) * sizeof *j->logs);
	j->nlogs -= k;
	j->dropped_logs += k;
}

/* Past --journey-mem, the oldest eighth of the copies or the lines,
 * whichever are more, go, until it fits: a long run costs no more. */
static void shed(struct journeys *j)
{
	while (j->bytes > j->o.max_bytes && (j->ncopies || j->nlogs)) {
		if (j->ncopies >= j->nlogs)
			drop_copies(j, j->ncopies / 8 ? j->ncopies / 8 : 1);
		else
			drop_logs(j, j->nlogs / 8 ? j->nlogs / 8 : 1);
	}
}

/* Room for one more in an array of at most max, the oldest eighth going
 * when it is full (the caller's drop). */
static int grow(void **arr, size_t n, size_t *cap, size_t max, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	if (c > max)
		c = max;
	void *b = realloc(*arr, c * size);
	if (!b)
		return -1;
	*arr = b;
	*cap = c;
	return 0;
}

/* The copy numbered n, or NULL (binary search: numbers only grow). */
struct jcopy *journeys_copy_of(const struct journeys *j, uint64_t n)
{
	size_t lo = 0, hi = j->ncopies;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->copies[mid].number < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < j->ncopies && j->copies[lo].number == n ? &j->copies[lo] : NULL;
}

static struct jsess *sess_get(struct journeys *j, uint64_t flow, int make)
{
	struct jsess **b = &j->sess[flow % SESS_BUCKETS];
	for (struct jsess *s = *b; s; s = s->next)
		if (s->flow == flow)
			return s;
	if (!make || j->nsess >= JOURNEY_MAX_SESS)
		return NULL;
	struct jsess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	j->nsess++;
	s->flow = flow;
	s->next = *b;
	*b = s;
	return s;
}

void journeys_flow_end(struct journeys *j, uint64_t flow)
{
	struct jsess **p = &j->sess[flow % SESS_BUCKETS];
	for (; *p; p = &(*p)->next)
		if ((*p)->flow == flow) {
			struct jsess *s = *p;
			*p = s->next;
			ex_free(s->ex, s->n);
			free(s);
			j->nsess--;
			return;
		}
}

/* The names of the first n header fields of m: the ones a host added. */
static char *field_names(const struct rec_message *m, size_t n)
{
	if (!m->msg || !n)
		return NULL;
	char buf[JOURNEY_MAX_TEXT + 1];
	size_t len = 0;
	for (size_t i = 0; i < n && i < m->msg->nfields; i++) {
		const struct msg_field *f = &m->msg->fields[i];
		struct ss_str name = {m->data.p + f->off, f->name_len};
		if (len + name.len + 3 > sizeof buf)
			break;
		if (i)
			len += (size_t)snprintf(buf + len, sizeof buf - len, ", ");
		memcpy(buf + len, name.p, name.len);
		len += name.len;
	}
	buf[len] = 0;
	return dup_c(buf);
}

static char *rcpt_list(const struct rec_message *m)
{
	char buf[JOURNEY_MAX_TEXT + 1];
	size_t len = 0;
	for (size_t i = 0; i < m->nrcpt; i++) {
		size_t n = m->rcpt[i].len;
		if (len + n + 3 > sizeof buf)
			break;
		if (i) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, m->rcpt[i].p, n);
		len += n;
	}
	buf[len] = 0;
	struct ss_str s = {(const uint8_t *)buf, len};
	return dup_str(&s);
}

/* c's bytes counted anew; then the oldest go if the whole is over
 * --journey-mem (c itself, were it the only one: c is not used after). */
static void account(struct journeys *j, struct jcopy *c)
{
	size_t b = copy_bytes(c);
	j->bytes = j->bytes - c->bytes + b;
	c->bytes = b;
	shed(j);
}

static void add_copy(struct journeys *j, const struct ss_record *r, const struct vhop *hop)
{
	if (j->ncopies >= j->o.max_copies)
		drop_copies(j, j->o.max_copies / 8 ? j->o.max_copies / 8 : 1);
	void *a = j->copies;
	if (grow(&a, j->ncopies, &j->capcopies, j->o.max_copies, sizeof *j->copies))
		return;
	j->copies = a;
	const struct rec_message *m = &r->u.msg;
	struct jcopy *c = &j->copies[j->ncopies++];
	memset(c, 0, sizeof *c);
	c->number = m->number;
	c->from = hop->from;
	c->p = m->p;
	c->role = m->role;
	c->flow = r->flow->id;
	c->client = r->flow->ep[SS_C2S].addr;
	c->server = r->flow->ep[SS_S2C].addr;
	c->server_port = r->flow->ep[SS_S2C].port;
	c->flow_start = r->flow->first_ts;
	c->ts_start = m->ts_start;
	c->ts_end = m->ts_end;
	c->frame_start = m->frame_start;
	c->frame_end = m->frame_end;
	c->queue_id = dup_str(&m->queue_id);
	c->mail_from = m->role == RR_TRANSFER ? dup_str(&m->mail_from) : NULL;
	c->rcpt = m->role == RR_TRANSFER ? rcpt_list(m) : NULL;
	c->user = dup_str(&m->user);
	c->message_id = dup_c(hop->message_id);
	if (c->message_id && c->message_id[0] == '<') { /* as the logs give it: no <> */
		size_t n = strlen(c->message_id);
		memmove(c->message_id, c->message_id + 1, n);
		if (n > 1 && c->message_id[n - 2] == '>')
			c->message_id[n - 2] = 0;
	}
	c->subject = dup_c(hop->subject);
	c->author = dup_c(hop->author);
	c->code = m->code;
	c->len = m->data.len;
	c->incomplete = m->incomplete;
	c->partial = m->partial;
	c->added = hop->from ? field_names(m, hop->added) : NULL;
	c->exact = hop->exact;
	c->kept = 1;
	/* the session's commands so far were this copy's */
	struct jsess *s = j->o.sessions ? sess_get(j, c->flow, 1) : NULL;
	if (s) {
		c->ex = calloc(s->n ? s->n : 1, sizeof *c->ex);
		if (c->ex) {
			memcpy(c->ex, s->ex, s->n * sizeof *s->ex);
			c->nex = s->n;
		} else {
			ex_free(s->ex, s->n);
		}
		s->n = 0;
		s->copy = c->number;
	}
	account(j, c);
}

static void add_exchange(struct journeys *j, const struct ss_record *r)
{
	const struct rec_exchange *e = &r->u.ex;
	struct jsess *s = sess_get(j, r->flow->id, 1);
	if (!s)
		return;
	struct jex x = {dup_str(&e->cmd), NULL, 0, 0, 0, 0};
	x.has_ts = e->frame_cmd || e->frame_reply;
	x.ts = e->frame_cmd ? e->ts_cmd : e->ts_reply;
	x.ts_reply = e->frame_reply ? e->ts_reply : x.ts;
	if (e->code >= 0 && e->reply.len) {
		const uint8_t *nl = memchr(e->reply.p, '\n', e->reply.len);
		struct ss_str first = {e->reply.p, nl ? (size_t)(nl - e->reply.p) : e->reply.len};
		x.reply = dup_str(&first);
	}
	if (!x.cmd && e->verb)
		x.cmd = dup_c(e->verb);
	/* after a message, until the next transaction: part of that copy */
	int next = e->verb && (!strcmp(e->verb, "MAIL") || !strcmp(e->verb, "LHLO") ||
	                       !strcmp(e->verb, "EHLO") || !strcmp(e->verb, "HELO") ||
	                       !strcmp(e->verb, "RSET"));
	if (next)
		s->copy = 0;
	struct jcopy *c = s->copy ? journeys_copy_of(j, s->copy) : NULL;
	if (c && c->nex < JOURNEY_MAX_EX) {
		struct jex *b = realloc(c->ex, (c->nex + 1) * sizeof *b);
		if (b) {
			x.after = 1;
			b[c->nex++] = x;
			c->ex = b;
			account(j, c);
			return;
		}
	} else if (!c && s->n < JOURNEY_MAX_EX) {
		s->ex[s->n++] = x;
		return;
	}
	ex_free(&x, 1);
}

/* "TXT a.test" and its answers in one line. */
static void add_dns(struct journeys *j, const struct ss_record *r)
{
	const struct rec_dns *d = &r->u.dns;
	const ldns_pkt *q = d->query ? d->query : d->response;
	if (!q || !ldns_pkt_qdcount(q) || d->pending || !r->flow)
		return;
	ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	char *owner = ldns_rdf2str(ldns_rr_owner(qr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(qr));
	char question[JOURNEY_MAX_TEXT + 1];
	size_t on = owner ? strlen(owner) : 0;
	if (on > 1 && owner[on - 1] == '.')
		owner[--on] = 0;
	snprintf(question, sizeof question, "%s %s", type ? type : "?", owner ? owner : "?");
	free(owner);
	free(type);
	char answer[JOURNEY_MAX_TEXT + 1] = "";
	size_t an = 0;
	int answered = d->response != NULL;
	if (answered) {
		ldns_rr_list *rrs = ldns_pkt_answer(d->response);
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			ldns_rr *rr = ldns_rr_list_rr(rrs, i);
			if (ldns_rr_get_type(rr) != ldns_rr_get_type(qr))
				continue;
			for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
				char *t = ldns_rdf2str(ldns_rr_rdf(rr, k));
				/* as much as there is room for: a diagram cuts it anyway */
				if (t && an + 3 < sizeof answer) {
					int w = snprintf(answer + an, sizeof answer - an, "%s%s",
					                 an ? (k ? " " : ", ") : "", t);
					an = w < 0 ? an : an + (size_t)w;
					if (an >= sizeof answer)
						an = sizeof answer - 1;
				}
				free(t);
			}
		}
		if (!an) {
			char *rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(d->response));
			snprintf(answer, sizeof answer, "%s",
			         ldns_pkt_get_rcode(d->response) ? (rc ? rc : "error") : "no data");
			free(rc);
		}
	}
	if (!j->dns && !(j->dns = calloc(JOURNEY_MAX_DNS, sizeof *j->dns)))
		return;
	struct jdns *x;
	if (j->ndns < JOURNEY_MAX_DNS) {
		x = &j->dns[j->ndns++];
	} else {
		x = &j->dns[j->dnshead];
		j->dnshead = (j->dnshead + 1) % JOURNEY_MAX_DNS;
		free(x->question);
		free(x->answer);
	}
	x->asker = r->flow->ep[SS_C2S].addr;
	x->server = r->flow->ep[SS_S2C].addr;
	x->ts = d->frame_query ? d->ts_query : d->ts_response;
	x->question = dup_c(question);
	x->answer = answered ? dup_c(answer) : NULL;
}

static int keeps(int kind)
{
	return kind != ML_NONE && kind != ML_DNS && kind != ML_CONNECT && kind != ML_DISCONNECT &&
	       kind != ML_LOGOUT;
}

static void add_log(struct journeys *j, const struct ss_record *r)
{
	const struct rec_log *l = &r->u.log;
	struct maillog m;
	int kind = maillog_parse(l, &m);
	if (!keeps(kind))
		return;
	if (!m.queue_id.len && !m.message_id.len && kind != ML_LOGIN)
		return;
	if (j->nlogs >= j->o.max_logs)
		drop_logs(j, j->o.max_logs / 8 ? j->o.max_logs / 8 : 1);
	void *a = j->logs;
	if (grow(&a, j->nlogs, &j->caplogs, j->o.max_logs, sizeof *j->logs))
		return;
	j->logs = a;
	struct jlog *x = &j->logs[j->nlogs++];
	memset(x, 0, sizeof *x);
	x->timed = l->frame != 0 || l->timed;
	x->ts = l->ts;
	x->frame = l->frame;
	x->host = dup_str(&l->host);
	x->program = dup_str(&l->app);
	x->failed = m.failed;
	x->lmtp = m.program.len == 4 && !memcmp(m.program.p, "lmtp", 4);
	x->kind = kind;
	x->queue_id = dup_str(&m.queue_id);
	x->next_queue_id = dup_str(&m.next_queue_id);
	x->message_id = dup_str(&m.message_id);
	x->status = dup_str(&m.status);
	x->relay = dup_str(&m.relay);
	x->rcpt = dup_str(&m.to);
	x->user = dup_str(&m.user);
	x->rip = dup_str(&m.rip);
	x->lip = dup_str(&m.lip);
	char words[JOURNEY_MAX_TEXT + 1];
	maillog_describe(&m, words, sizeof words);
	x->text = dup_c(words);
	j->bytes += log_bytes(x);
	shed(j);
}

void journeys_record(struct journeys *j, const struct ss_record *r, const struct vhop *hop)
{
	switch (r->kind) {
	case REC_MESSAGE:
		if (hop)
			add_copy(j, r, hop);
		break;
	case REC_EXCHANGE:
		if (j->o.sessions)
			add_exchange(j, r);
		break;
	case REC_DNS:
		if (j->o.sessions)
			add_dns(j, r);
		break;
	case REC_LOG:
		add_log(j, r);
		break;
	case REC_NOTE:
		break;
	}
}

void journeys_verdicts(struct journeys *j, const struct v_hopcheck *h, const char *words)
{
	struct jcopy *c = journeys_copy_of(j, h->hop->number);
	if (!c)
		return;
	free(c->role_name);
	free(c->verdicts);
	c->role_name = dup_c(v_role_name(h->role));
	c->verdicts = strdup(words); /* longer than a line of text may be */
	account(j, c);
	c->disagree = 0;
	for (size_t i = 0; i < h->nchecks; i++)
		c->disagree |= h->checks[i].agreement == V_DISAGREE;
}

const struct journey *journeys_get(const struct journeys *j, size_t i)
{
	return i < j->njs ? &j->js[i] : NULL;
}

size_t journeys_dns(const struct journeys *j, const struct ss_addr *asker, int64_t from, int64_t to,
                    const struct jdns **out, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < j->ndns && n < max; k++) {
		const struct jdns *d = &j->dns[(j->dnshead + k) % (j->ndns ? j->ndns : 1)];
		if (d->ts >= from && d->ts < to && !ss_addr_cmp(&d->asker, asker))
			out[n++] = d;
	}
	return n;
}

void journeys_dropped(const struct journeys *j, uint64_t *copies, uint64_t *logs)
{
	*copies = j->dropped_copies;
	*logs = j->dropped_logs;
}
