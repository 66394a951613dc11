/* journey.c - collecting each message's copies, its servers' log lines,
 * and (for the diagrams) its sessions' commands and the DNS questions of
 * its hosts; and putting them together into one path per message.
 *
 * Collecting costs a slot and one block of short texts per message and per
 * log line that speaks of a message (one allocation, not one per text: a
 * dozen texts of a few bytes each took 32 bytes apiece); the commands and
 * DNS questions only with --mermaid. All of it is counted as the allocator
 * hands it out, with the arrays' capacity and what the walk at the end is
 * set aside (journeyint.h), against --journey-mem. Putting together runs
 * once, at the end, on sorted indexes: O(n log n) in copies and lines.
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

/* The length a text takes in a block: cut at JOURNEY_MAX_TEXT, with
 * its NUL; 0 for none. */
static size_t text_len(const struct ss_str *s)
{
	return s->len ? (s->len < JOURNEY_MAX_TEXT ? s->len : JOURNEY_MAX_TEXT) + 1 : 0;
}

/* Copies s into *at (text_len(s) bytes) and moves *at past it; NULL for
 * none. Bytes that are not printable ASCII are shown as '?': these are
 * names and words for people, never compared byte for byte. */
static char *put_text(char **at, const struct ss_str *s)
{
	size_t n = text_len(s);
	if (!n)
		return NULL;
	char *d = *at;
	for (size_t i = 0; i + 1 < n; i++)
		d[i] = s->p[i] >= 0x20 && s->p[i] < 0x7f ? (char)s->p[i] : '?';
	d[n - 1] = 0;
	*at += n;
	return d;
}

static struct ss_str cstr(const char *s)
{
	return (struct ss_str){(const uint8_t *)s, s ? strlen(s) : 0};
}

/* s alone in its own allocation (a command, a reply, a DNS question). */
static char *dup_str(const struct ss_str *s)
{
	char *d = text_len(s) ? malloc(text_len(s)) : NULL;
	char *at = d;
	return d ? put_text(&at, s) : NULL;
}

static char *dup_c(const char *s)
{
	struct ss_str t = cstr(s);
	return dup_str(&t);
}

/* What a string allocated on its own takes. */
static size_t str_cost(const char *s)
{
	return s ? journey_chunk(strlen(s) + 1) : 0;
}

static size_t ex_cost(const struct jex *e, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i < n; i++)
		b += str_cost(e[i].cmd) + str_cost(e[i].reply);
	return b;
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
	free(c->mem);
	free(c->role_name);
	free(c->verdicts);
	ex_free(c->ex, c->nex);
	free(c->ex);
}

void journeys_built_free(struct journeys *j)
{
	for (size_t i = 0; i < j->njs; i++)
		free(j->js[i].steps);
	free(j->js);
	for (size_t i = 0; i < j->nlists; i++)
		free(j->lists[i]);
	free(j->lists);
	free(j->qid_skip);
	free(j->by_qid);
	free(j->copy_qid);
	free(j->by_msgid);
	free(j->logins);
	free(j->by_next);
	free(j->by_relay);
	free(j->qid_used);
	free(j->qid_lines);
	free(j->login_line);
	free(j->line_used);
	free(j->kids);
	free(j->consumed);
	free(j->pending);
	j->js = NULL;
	j->lists = NULL;
	j->qid_skip = NULL;
	j->by_qid = j->copy_qid = j->by_msgid = j->logins = j->by_next = j->by_relay = NULL;
	j->qid_used = j->line_used = j->consumed = j->pending = NULL;
	j->qid_lines = j->login_line = NULL;
	j->kids = NULL;
	j->njs = j->capjs = j->nlists = j->caplists = 0;
	j->nby_qid = j->ncopy_qid = j->nby_msgid = j->nlogins = j->nby_next = j->nby_relay = 0;
	j->nkids = 0;
	j->built = 0;
}

static void sess_free(struct journeys *j, struct jsess *s)
{
	j->sess_bytes -= journey_chunk(sizeof *s) + ex_cost(s->ex, s->n);
	ex_free(s->ex, s->n);
	free(s);
	j->nsess--;
}

void journeys_free(struct journeys *j)
{
	if (!j)
		return;
	journeys_built_free(j);
	free(j->tls);
	for (size_t i = 0; i < j->ncopies; i++)
		copy_free(&j->copies[i]);
	free(j->copies);
	for (size_t i = 0; i < j->nlogs; i++)
		free(j->logs[i].mem);
	free(j->logs);
	for (size_t b = 0; b < SESS_BUCKETS; b++)
		for (struct jsess *s = j->sess[b], *n; s; s = n) {
			n = s->next;
			sess_free(j, s);
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

/* What a copy holds beside its slot, for --journey-mem: its block of
 * texts, its verdicts, its commands. */
static size_t copy_bytes(const struct jcopy *c)
{
	return journey_chunk(c->memlen) + str_cost(c->role_name) + str_cost(c->verdicts) +
	       (c->ex ? journey_chunk((c->nex ? c->nex : 1) * sizeof *c->ex) : 0) +
	       ex_cost(c->ex, c->nex);
}

static size_t log_bytes(const struct jlog *l)
{
	return journey_chunk(l->memlen);
}

size_t journey_stored(const struct journeys *j)
{
	return j->bytes + j->sess_bytes + j->dns_bytes +
	       journey_chunk(j->capcopies * sizeof *j->copies) +
	       journey_chunk(j->caplogs * sizeof *j->logs);
}

size_t journey_held(const struct journeys *j)
{
	return journey_stored(j) + j->ncopies * JOURNEY_BUILD_COPY + j->nlogs * JOURNEY_BUILD_LOG;
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
		free(j->logs[i].mem);
	}
	memmove(j->logs, j->logs + k, (j->nlogs - k) * sizeof *j->logs);
	j->nlogs -= k;
	j->dropped_logs += k;
}

void journey_let_go(struct journeys *j, const char *gone_copy, const char *gone_log)
{
	size_t k = 0;
	for (size_t i = 0; i < j->ncopies; i++) {
		if (gone_copy[i]) {
			j->bytes -= j->copies[i].bytes;
			copy_free(&j->copies[i]);
		} else {
			j->copies[k++] = j->copies[i];
		}
	}
	j->ncopies = k;
	k = 0;
	for (size_t i = 0; i < j->nlogs; i++) {
		if (gone_log[i]) {
			j->bytes -= log_bytes(&j->logs[i]);
			free(j->logs[i].mem);
		} else {
			j->logs[k++] = j->logs[i];
		}
	}
	j->nlogs = k;
}

void journeys_on_settled(struct journeys *j, journeys_settled_fn *fn, void *ctx)
{
	j->settled_fn = fn;
	j->settled_ctx = ctx;
}

uint64_t journeys_settled(const struct journeys *j)
{
	return j->nsettled;
}

void journey_drop_eighth(struct journeys *j)
{
	if (j->ncopies >= j->nlogs && j->ncopies)
		drop_copies(j, j->ncopies / 8 ? j->ncopies / 8 : 1);
	else if (j->nlogs)
		drop_logs(j, j->nlogs / 8 ? j->nlogs / 8 : 1);
}

/* Past --journey-mem, the oldest eighth of the copies or the lines,
 * whichever are more, go, until it fits: a long run costs no more. (The
 * arrays keep their size until the end, and sessions and DNS questions
 * their own bounds: should those alone pass the cap, no copy or line is
 * kept.) */
static void shed(struct journeys *j)
{
	/* Settling puts journeys together, which takes room: it is tried
	 * while the store holds half the cap, before the cap is reached. When
	 * it could not settle enough (one long chain, say), it is tried again
	 * only once the store has grown by an eighth: a walk over the store
	 * for every copy or line added would make the run quadratic. */
	size_t items = j->ncopies + j->nlogs;
	if (j->settled_fn && !j->settling && journey_held(j) > j->o.max_bytes / 2 &&
	    items >= j->settle_retry) {
		j->settling = 1;
		if (!journey_settle(j))
			j->settle_retry = items + (items / 8 ? items / 8 : 1);
		j->settling = 0;
	}
	while (journey_held(j) > j->o.max_bytes && (j->ncopies || j->nlogs))
		journey_drop_eighth(j);
}

/* arr (of cap, n used) made n long (1 at least). */
static void fit(void **arr, size_t n, size_t *cap, size_t size)
{
	if (!*arr || n >= *cap)
		return;
	void *b = realloc(*arr, (n ? n : 1) * size);
	if (b) {
		*arr = b;
		*cap = n ? n : 1;
	}
}

void journey_fit(struct journeys *j)
{
	void *a = j->copies;
	fit(&a, j->ncopies, &j->capcopies, sizeof *j->copies);
	j->copies = a;
	a = j->logs;
	fit(&a, j->nlogs, &j->caplogs, sizeof *j->logs);
	j->logs = a;
}

/* Room for one more in an array of at most max, the oldest eighth going
 * when it is full (the caller's drop). */
static int grow(void **arr, size_t n, size_t *cap, size_t max, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
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
	j->sess_bytes += journey_chunk(sizeof *s);
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
			sess_free(j, s);
			return;
		}
}

/* The names of the first n header fields of m, the ones a host added,
 * into buf (JOURNEY_MAX_TEXT + 1 bytes); "" for none. */
static void field_names(const struct rec_message *m, size_t n, char *buf)
{
	size_t len = 0;
	for (size_t i = 0; m->msg && i < n && i < m->msg->nfields; i++) {
		const struct msg_field *f = &m->msg->fields[i];
		struct ss_str name = {m->data.p + f->off, f->name_len};
		if (len + name.len + 3 > JOURNEY_MAX_TEXT + 1)
			break;
		if (i) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, name.p, name.len);
		len += name.len;
	}
	buf[len] = 0;
}

/* The accepted recipients, joined by ", ", into buf (as field_names). */
static void rcpt_list(const struct rec_message *m, char *buf)
{
	size_t len = 0;
	for (size_t i = 0; i < m->nrcpt; i++) {
		size_t n = m->rcpt[i].len;
		if (len + n + 3 > JOURNEY_MAX_TEXT + 1)
			break;
		if (i) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, m->rcpt[i].p, n);
		len += n;
	}
	buf[len] = 0;
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
	const struct rec_message *m = &r->u.msg;
	int transfer = m->role == RR_TRANSFER;
	char rcpt[JOURNEY_MAX_TEXT + 1] = "", added[JOURNEY_MAX_TEXT + 1] = "";
	if (transfer)
		rcpt_list(m, rcpt);
	if (hop->from)
		field_names(m, hop->added, added);
	/* the texts, in the order of the fields they go to, in one block */
	struct ss_str no = {NULL, 0};
	struct ss_str src[8] = {
	    m->queue_id,           transfer ? m->mail_from : no, cstr(rcpt),        m->user,
	    cstr(hop->message_id), cstr(hop->subject),           cstr(hop->author), cstr(added)};
	size_t need = 0;
	for (size_t i = 0; i < 8; i++)
		need += text_len(&src[i]);
	char *mem = need ? malloc(need) : NULL;
	if (need && !mem)
		return;
	/* full: settle what can be; the oldest go when that left no room (it
	 * may have let lines go, not copies) */
	if (j->ncopies >= j->o.max_copies && !j->settling)
		journey_settle(j);
	if (j->ncopies >= j->o.max_copies)
		drop_copies(j, j->o.max_copies / 8 ? j->o.max_copies / 8 : 1);
	void *a = j->copies;
	if (grow(&a, j->ncopies, &j->capcopies, j->o.max_copies, sizeof *j->copies)) {
		free(mem);
		return;
	}
	j->copies = a;
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
	c->mem = mem;
	c->memlen = need;
	char *at = mem;
	c->queue_id = put_text(&at, &src[0]);
	c->mail_from = put_text(&at, &src[1]);
	c->rcpt = put_text(&at, &src[2]);
	c->user = put_text(&at, &src[3]);
	c->message_id = put_text(&at, &src[4]);
	if (c->message_id && c->message_id[0] == '<') { /* as the logs give it: no <> */
		size_t n = strlen(c->message_id);
		memmove(c->message_id, c->message_id + 1, n);
		if (n > 1 && c->message_id[n - 2] == '>')
			c->message_id[n - 2] = 0;
	}
	c->subject = put_text(&at, &src[5]);
	c->author = put_text(&at, &src[6]);
	c->added = put_text(&at, &src[7]);
	c->code = m->code;
	c->len = m->data.len;
	c->incomplete = m->incomplete;
	c->partial = m->partial;
	c->exact = hop->exact;
	/* the session's commands so far were this copy's: they move to it */
	struct jsess *s = j->o.sessions ? sess_get(j, c->flow, 1) : NULL;
	if (s) {
		size_t moved = ex_cost(s->ex, s->n);
		c->ex = calloc(s->n ? s->n : 1, sizeof *c->ex);
		if (c->ex) {
			memcpy(c->ex, s->ex, s->n * sizeof *s->ex);
			c->nex = s->n;
		} else {
			ex_free(s->ex, s->n);
		}
		j->sess_bytes -= moved;
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
		j->sess_bytes += ex_cost(&x, 1);
		shed(j);
		return;
	}
	ex_free(&x, 1);
}

/* Room for one more DNS question: the ring grows to JOURNEY_MAX_DNS, then
 * the oldest goes. NULL when memory ran out. */
static struct jdns *dns_slot(struct journeys *j)
{
	if (j->ndns == j->capdns && j->capdns < JOURNEY_MAX_DNS) {
		/* not yet full: no question went, dnshead is 0 */
		size_t c = j->capdns ? j->capdns * 2 : 64;
		if (c > JOURNEY_MAX_DNS)
			c = JOURNEY_MAX_DNS;
		struct jdns *b = realloc(j->dns, c * sizeof *b);
		if (!b)
			return NULL;
		j->dns_bytes += journey_chunk(c * sizeof *b) - journey_chunk(j->capdns * sizeof *b);
		j->dns = b;
		j->capdns = c;
	}
	if (j->ndns < j->capdns)
		return &j->dns[j->ndns++];
	struct jdns *x = &j->dns[j->dnshead];
	j->dnshead = (j->dnshead + 1) % JOURNEY_MAX_DNS;
	j->dns_bytes -= str_cost(x->question) + str_cost(x->answer);
	free(x->question);
	free(x->answer);
	return x;
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
	struct jdns *x = dns_slot(j);
	if (!x)
		return;
	x->asker = r->flow->ep[SS_C2S].addr;
	x->server = r->flow->ep[SS_S2C].addr;
	x->ts = d->frame_query ? d->ts_query : d->ts_response;
	x->question = dup_c(question);
	x->answer = answered ? dup_c(answer) : NULL;
	j->dns_bytes += str_cost(x->question) + str_cost(x->answer);
	shed(j);
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
	char words[JOURNEY_MAX_TEXT + 1];
	maillog_describe(&m, words, sizeof words);
	/* the texts, in the order of the fields they go to, in one block */
	const struct ss_str src[12] = {l->host,      l->app,   m.queue_id, m.next_queue_id,
	                               m.message_id, m.status, m.relay,    m.to,
	                               m.user,       m.rip,    m.lip,      cstr(words)};
	size_t need = 0;
	for (size_t i = 0; i < 12; i++)
		need += text_len(&src[i]);
	char *mem = need ? malloc(need) : NULL;
	if (need && !mem)
		return;
	if (j->nlogs >= j->o.max_logs && !j->settling)
		journey_settle(j);
	if (j->nlogs >= j->o.max_logs)
		drop_logs(j, j->o.max_logs / 8 ? j->o.max_logs / 8 : 1);
	void *a = j->logs;
	if (grow(&a, j->nlogs, &j->caplogs, j->o.max_logs, sizeof *j->logs)) {
		free(mem);
		return;
	}
	j->logs = a;
	struct jlog *x = &j->logs[j->nlogs++];
	memset(x, 0, sizeof *x);
	x->timed = l->frame != 0 || l->timed;
	x->ts = l->ts;
	x->frame = l->frame;
	x->failed = m.failed != 0;
	x->lmtp = m.program.len == 4 && !memcmp(m.program.p, "lmtp", 4);
	x->kind = (uint8_t)kind;
	x->mem = mem;
	x->memlen = (uint32_t)need; /* 12 texts of at most 201 bytes */
	char *at = mem;
	char **dst[12] = {&x->host,       &x->program, &x->queue_id, &x->next_queue_id,
	                  &x->message_id, &x->status,  &x->relay,    &x->rcpt,
	                  &x->user,       &x->rip,     &x->lip,      &x->text};
	for (size_t i = 0; i < 12; i++)
		*dst[i] = put_text(&at, &src[i]);
	j->bytes += log_bytes(x);
	shed(j);
}

/* Keeps the start of an SMTP or LMTP client's TLS session (REC_NOTE "tls"). */
static void add_tls(struct journeys *j, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	if (!n->what || strcmp(n->what, "tls") || (n->p != RP_SMTP && n->p != RP_LMTP) || !r->flow)
		return;
	if (!j->tls) {
		if (!(j->tls = calloc(JOURNEY_MAX_TLS, sizeof *j->tls)))
			return;
		j->bytes += JOURNEY_MAX_TLS * sizeof *j->tls;
	}
	struct jtls *t = &j->tls[j->ntls++ % JOURNEY_MAX_TLS];
	t->server = r->flow->ep[SS_S2C].addr;
	t->port = r->flow->ep[SS_S2C].port;
	t->flow = r->flow->id;
	t->ts = n->frame ? n->ts : r->flow->first_ts;
}

uint64_t journey_tls_flow(const struct journeys *j, const char *to, const struct jlog *by)
{
	/* "dmarc.mx.b.test[10.255.2.33]:25" (Postfix's relay= and "sent to") */
	const char *open = to ? strchr(to, '[') : NULL;
	const char *close = open ? strchr(open, ']') : NULL;
	struct ss_addr a;
	if (!j->tls || !by || !by->timed || !close || close[1] != ':' ||
	    ss_addr_parse(open + 1, (size_t)(close - open - 1), &a))
		return 0;
	char *end;
	unsigned long port = strtoul(close + 2, &end, 10);
	if (end == close + 2 || port > 65535)
		return 0;
	const struct jtls *best = NULL;
	size_t n = j->ntls < JOURNEY_MAX_TLS ? (size_t)j->ntls : JOURNEY_MAX_TLS;
	for (size_t i = 0; i < n; i++) {
		const struct jtls *t = &j->tls[i];
		/* by->ts - t->ts <= window, counted so that no time overflows it */
		if (t->port == port && !ss_addr_cmp(&t->server, &a) && t->ts <= by->ts &&
		    (t->ts >= 0 || by->ts < INT64_MAX + t->ts) &&
		    by->ts - t->ts <= JOURNEY_TLS_WINDOW && (!best || t->ts > best->ts))
			best = t;
	}
	return best ? best->flow : 0;
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
		add_tls(j, r);
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
	c->disagree = 0;
	for (size_t i = 0; i < h->nchecks; i++)
		c->disagree |= h->checks[i].agreement == V_DISAGREE;
	account(j, c); /* last: c may go */
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
		const struct jdns *d = &j->dns[(j->dnshead + k) % j->ndns];
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

int journeys_cut(const struct journeys *j)
{
	return j->build_refused != 0;
}

void journeys_mem(const struct journeys *j, size_t *held, size_t *built)
{
	*held = journey_held(j);
	*built = j->build_peak;
}
