/* journeywalk.c - putting the journeys together at the end of the run
 * (journey.h): from each copy that no kept copy was passed on from, along
 * the copies passed on from it and the "queued as" of its servers' log
 * lines; then the queues the logs show that no copy reached.
 *
 * Indexes sorted once make every lookup a binary search, so the whole is
 * O(n log n) in copies and log lines.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journey.h"
#include "journeyint.h"
#include "maillog.h"
#include "sstime.h"

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first of the n entries of k with key, or n. */
static size_t keyed_find(const struct keyed *k, size_t n, const char *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(k[lo].key, key) ? lo : n;
}

/* "10.255.2.40]:24" of a relay "imap.b.test[10.255.2.40]:24": the
 * address and port, as a copy's server would be written (relay_of). */
static const char *relay_key(const char *relay)
{
	const char *b = relay ? strrchr(relay, '[') : NULL;
	return b && strchr(b, ']') ? b + 1 : NULL;
}

static void relay_of(const struct jcopy *c, char *out, size_t n)
{
	char a[SS_ADDR_STRLEN];
	ss_addr_fmt(&c->server, a);
	snprintf(out, n, "%s]:%u", a, (unsigned)c->server_port);
}

static struct keyed *index_logs(const struct journeys *j, size_t *n, int what)
{
	struct keyed *k = malloc((j->nlogs ? j->nlogs : 1) * sizeof *k);
	*n = 0;
	if (!k)
		return NULL;
	for (size_t i = 0; i < j->nlogs; i++) {
		const struct jlog *l = &j->logs[i];
		int sent = l->kind == ML_DELIVERY && l->status && !strcmp(l->status, "sent");
		const char *key = what == 0   ? l->queue_id
		                  : what == 1 ? (l->kind == ML_SAVED ? l->message_id : NULL)
		                  : what == 2 ? (l->kind == ML_LOGIN ? l->rip : NULL)
		                  : what == 3 ? (sent ? l->next_queue_id : NULL)
		                              : (sent ? relay_key(l->relay) : NULL);
		if (key)
			k[(*n)++] = (struct keyed){key, i, l->ts};
	}
	qsort(k, *n, sizeof *k, keyed_cmp);
	return k;
}

/* A list the steps point into (freed with the journeys). */
static const struct jlog **keep_list(struct journeys *j, size_t n)
{
	const struct jlog ***b = realloc(j->lists, (j->nlists + 1) * sizeof *b);
	if (!b)
		return NULL;
	j->lists = b;
	const struct jlog **l = calloc(n ? n : 1, sizeof *l);
	if (l)
		j->lists[j->nlists++] = l;
	return l;
}

/* The log lines with queue ID q written by host (NULL: any), in time order. */
static const struct jlog **qid_logs(struct journeys *j, const char *q, size_t *n)
{
	*n = 0;
	if (!q)
		return NULL;
	size_t at = keyed_find(j->by_qid, j->nby_qid, q), end = at;
	while (end < j->nby_qid && !strcmp(j->by_qid[end].key, q))
		end++;
	if (end == at)
		return NULL;
	const struct jlog **l = keep_list(j, end - at);
	if (!l)
		return NULL;
	j->qid_used[at] = 1;
	for (size_t i = at; i < end; i++)
		l[(*n)++] = &j->logs[j->by_qid[i].i];
	return l;
}

/* Whether queue q is in a journey already: a "queued as" that names it
 * again is a loop (or a second line about the same hand-over). */
static int qid_taken(const struct journeys *j, const char *q)
{
	size_t at = keyed_find(j->by_qid, j->nby_qid, q);
	return at < j->nby_qid && j->qid_used[at];
}

/* A delivery that says it handed the message over as queue q there. */
static const struct jlog *handed_as(struct journeys *j, const char *q)
{
	size_t i = q ? keyed_find(j->by_next, j->nby_next, q) : j->nby_next;
	return i < j->nby_next ? &j->logs[j->by_next[i].i] : NULL;
}

/* The delivery that handed copy c over, when its server gave no queue ID
 * the logs name (LMTP: RFC 2033 replies per recipient, Dovecot says
 * "Saved"): a sent delivery to c's server's address and port, the one
 * nearest in time and within RELAY_SLACK of its end. */
#define RELAY_SLACK (10 * SS_NS_PER_SEC)
static const struct jlog *handed_to(struct journeys *j, const struct jcopy *c)
{
	char key[SS_ADDR_STRLEN + 16];
	relay_of(c, key, sizeof key);
	const struct jlog *best = NULL;
	int64_t bestd = RELAY_SLACK;
	for (size_t i = keyed_find(j->by_relay, j->nby_relay, key);
	     i < j->nby_relay && !strcmp(j->by_relay[i].key, key); i++) {
		const struct jlog *l = &j->logs[j->by_relay[i].i];
		int64_t d = l->ts - c->ts_end;
		if (d < 0)
			d = -d;
		if (l->timed && c->frame_end && d <= bestd) {
			best = l;
			bestd = d;
		}
	}
	return best;
}

/* The copy whose server gave it queue ID q and is not yet in a journey. */
static struct jcopy *copy_by_qid(struct journeys *j, const char *q)
{
	if (!q)
		return NULL;
	for (size_t i = keyed_find(j->copy_qid, j->ncopy_qid, q);
	     i < j->ncopy_qid && !strcmp(j->copy_qid[i].key, q); i++)
		if (!j->consumed[j->copy_qid[i].i])
			return &j->copies[j->copy_qid[i].i];
	return NULL;
}

struct walk {
	struct journeys *j;
	struct journey *jn;
	size_t cap;
	int depth_guard;
};

static struct jstep *push(struct walk *w, enum jstep_kind k, int depth)
{
	struct journey *jn = w->jn;
	if (jn->nsteps == w->cap) {
		size_t c = w->cap ? w->cap * 2 : 8;
		struct jstep *s = realloc(jn->steps, c * sizeof *s);
		if (!s)
			return NULL;
		jn->steps = s;
		w->cap = c;
	}
	struct jstep *s = &jn->steps[jn->nsteps++];
	memset(s, 0, sizeof *s);
	s->kind = k;
	s->depth = depth;
	return s;
}

/* Something that happened to a copy after its server took it. */
struct onward {
	int64_t ts;
	struct jcopy *copy;     /* a copy passed on or retrieved */
	const struct jlog *log; /* a delivery line that names no copy in the capture */
};

static int onward_cmp(const void *a, const void *b)
{
	const struct onward *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void walk_copy(struct walk *w, struct jcopy *c, int depth);
static void walk_qid(struct walk *w, const char *q, const char *host, const struct jlog *by,
                     int depth);

static int is_delivery_end(const struct jlog *l)
{
	return l->kind == ML_DELIVERY || l->kind == ML_EXPIRED || l->kind == ML_NOTIFY ||
	       l->kind == ML_REJECT || l->kind == ML_SAVED || l->kind == ML_CONNECT_FAILED;
}

/* The onward steps of what the server knew as queue q (logs: its lines),
 * beside the copies known to have come from copy c (NULL: none). */
static void walk_onward(struct walk *w, struct jcopy *c, const struct jlog **logs, size_t nlogs,
                        int depth)
{
	struct journeys *j = w->j;
	size_t first = j->nkids, last = j->nkids, n = 0;
	if (c) {
		size_t lo = 0, hi = j->nkids;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (j->copies[j->kids[mid]].from < c->number)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (first = last = lo;
		     last < j->nkids && j->copies[j->kids[last]].from == c->number;)
			last++;
	}
	struct onward *on = calloc(nlogs + (last - first) + 1, sizeof *on);
	if (!on)
		return;
	for (size_t k = first; k < last; k++)
		if (!j->consumed[j->kids[k]])
			on[n++] = (struct onward){j->copies[j->kids[k]].ts_start,
			                          &j->copies[j->kids[k]], NULL};
	for (size_t i = 0; i < nlogs; i++) {
		const struct jlog *l = logs[i];
		if (!is_delivery_end(l))
			continue;
		struct jcopy *next = l->next_queue_id ? copy_by_qid(j, l->next_queue_id) : NULL;
		int known = 0;
		for (size_t k = 0; k < n; k++)
			if (on[k].copy && l->next_queue_id && on[k].copy->queue_id &&
			    !strcmp(on[k].copy->queue_id, l->next_queue_id))
				known = 1;
		if (known)
			continue;
		if (next)
			on[n++] = (struct onward){next->ts_start, next, l};
		else
			on[n++] = (struct onward){l->ts, NULL, l};
	}
	qsort(on, n, sizeof *on, onward_cmp);
	size_t transfers = 0;
	for (size_t i = 0; i < n; i++)
		transfers += on[i].copy ? on[i].copy->role == RR_TRANSFER
		                        : (on[i].log->next_queue_id != NULL);
	int d = transfers > 1 ? depth + 1 : depth;
	for (size_t i = 0; i < n; i++) {
		if (on[i].copy) {
			walk_copy(w, on[i].copy, d);
			continue;
		}
		const struct jlog *l = on[i].log;
		if (l->kind == ML_DELIVERY && l->next_queue_id && l->status &&
		    !strcmp(l->status, "sent") && !l->lmtp) {
			walk_qid(w, l->next_queue_id, l->relay, l, d);
			continue;
		}
		int ok = (l->kind == ML_SAVED && !l->failed) ||
		         (l->kind == ML_DELIVERY && l->status && !strcmp(l->status, "sent"));
		struct jstep *s = push(w, ok ? JS_DELIVERED : JS_FAILED, d);
		if (s)
			s->log = l;
	}
	free(on);
}

/* A hop only the logs show: queue q at the next server. */
static void walk_qid(struct walk *w, const char *q, const char *host, const struct jlog *by,
                     int depth)
{
	if (w->depth_guard++ > 64 || qid_taken(w->j, q)) /* a loop of "queued as" lines */
		return;
	struct jstep *s = push(w, JS_LOG_HOP, depth);
	if (!s)
		return;
	s->log = by;
	s->host = host;
	size_t n;
	const struct jlog **logs = qid_logs(w->j, q, &n);
	s = &w->jn->steps[w->jn->nsteps - 1];
	s->logs = logs;
	s->nlogs = n;
	walk_onward(w, NULL, logs, n, depth);
}

/* An LMTP server's lines about the copy: Dovecot says "saved" by
 * Message-ID, having no queue ID of its own in its reply. */
static const struct jlog **with_saves(struct journeys *j, const struct jlog **logs, size_t *n,
                                      const char *msgid)
{
	size_t at = keyed_find(j->by_msgid, j->nby_msgid, msgid), end = at;
	while (end < j->nby_msgid && !strcmp(j->by_msgid[end].key, msgid))
		end++;
	if (end == at)
		return logs;
	const struct jlog **l = keep_list(j, *n + (end - at));
	if (!l)
		return logs;
	for (size_t i = 0; i < *n; i++)
		l[i] = logs[i];
	for (size_t i = at; i < end; i++)
		l[(*n)++] = &j->logs[j->by_msgid[i].i];
	return l;
}

/* The login a retrieval came with: the latest by its client before it. */
static const struct jlog *login_of(struct journeys *j, const struct jcopy *c)
{
	char rip[SS_ADDR_STRLEN], lip[SS_ADDR_STRLEN];
	ss_addr_fmt(&c->client, rip);
	ss_addr_fmt(&c->server, lip);
	const struct jlog *best = NULL;
	for (size_t i = keyed_find(j->logins, j->nlogins, rip);
	     i < j->nlogins && !strcmp(j->logins[i].key, rip); i++) {
		const struct jlog *l = &j->logs[j->logins[i].i];
		if (l->lip && !strcmp(l->lip, lip) && (!c->frame_start || l->ts <= c->ts_start))
			best = l;
	}
	return best;
}

/* A queue at a server the copies do not show: its lines. */
static struct jstep *queue_step(struct walk *w, const char *q, const char *host, int depth)
{
	struct jstep *s = push(w, JS_QUEUE, depth);
	if (!s)
		return NULL;
	size_t n;
	const struct jlog **logs = qid_logs(w->j, q, &n);
	s = &w->jn->steps[w->jn->nsteps - 1];
	s->queue_id = q;
	s->host = host;
	s->logs = logs;
	s->nlogs = n;
	for (size_t i = 0; i < n && !w->jn->message_id; i++)
		if (logs[i]->kind == ML_MESSAGE_ID)
			w->jn->message_id = logs[i]->message_id;
	return s;
}

/* Before the first copy: the queues the logs show it went through on
 * its way there ("queued as" back to the first), earliest first. */
#define BACK_MAX 16
static void walk_back(struct walk *w, const struct jcopy *c)
{
	const struct jlog *chain[BACK_MAX];
	size_t n = 0;
	const struct jlog *d = c->queue_id ? handed_as(w->j, c->queue_id) : NULL;
	if (!d && c->role == RR_TRANSFER)
		d = handed_to(w->j, c);
	while (d && d->queue_id && n < BACK_MAX &&
	       !(c->queue_id && !strcmp(d->queue_id, c->queue_id))) {
		size_t k;
		for (k = 0; k < n && strcmp(chain[k]->queue_id, d->queue_id); k++)
			;
		if (k < n) /* a loop of "queued as" */
			break;
		chain[n++] = d;
		d = handed_as(w->j, d->queue_id);
	}
	while (n--)
		queue_step(w, chain[n]->queue_id, chain[n]->host, 0);
}

static void walk_copy(struct walk *w, struct jcopy *c, int depth)
{
	struct journeys *j = w->j;
	j->consumed[c - j->copies] = 1;
	if (!w->jn->message_id && c->message_id)
		w->jn->message_id = c->message_id;
	if (!w->jn->subject && c->subject)
		w->jn->subject = c->subject;
	if (!w->jn->author && c->author)
		w->jn->author = c->author;
	struct jstep *s = push(w, JS_COPY, depth);
	if (!s)
		return;
	s->copy = c;
	size_t step = w->jn->nsteps - 1;
	size_t n = 0;
	const struct jlog **logs = NULL;
	if (c->role == RR_TRANSFER) {
		logs = qid_logs(j, c->queue_id, &n);
		if (c->p == RP_LMTP && c->message_id)
			logs = with_saves(j, logs, &n, c->message_id);
	} else if (c->role == RR_RETRIEVAL) {
		const struct jlog *login = login_of(j, c);
		if (login && (logs = keep_list(j, 1)))
			logs[n++] = login;
	}
	w->jn->steps[step].logs = logs;
	w->jn->steps[step].nlogs = n;
	size_t before = w->jn->nsteps;
	if (c->role == RR_TRANSFER)
		walk_onward(w, c, logs, n, depth);
	else
		walk_onward(w, c, NULL, 0, depth);
	/* how long the server held it: until the first step after it */
	if (w->jn->nsteps > before && c->frame_end) {
		const struct jstep *next = &w->jn->steps[before];
		int64_t t = 0;
		int has = 0;
		if (next->kind == JS_COPY && next->copy->frame_start &&
		    next->copy->role == RR_TRANSFER)
			t = next->copy->ts_start, has = 1;
		else if (next->kind == JS_LOG_HOP && next->log && next->log->timed)
			t = next->log->ts, has = 1;
		if (has && t >= c->ts_end) {
			w->jn->steps[step].held_known = 1;
			w->jn->steps[step].held = t - c->ts_end;
		}
	}
}

/* Insertion into runs: a merge sort by `from`, stable, without qsort's
 * lack of a context argument. */
static void kids_sort(struct journeys *j)
{
	size_t n = j->nkids;
	size_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
	if (!tmp)
		return;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t a = lo, b = mid, k = lo;
			while (a < mid && b < hi)
				tmp[k++] = j->copies[j->kids[b]].from < j->copies[j->kids[a]].from
				               ? j->kids[b++]
				               : j->kids[a++];
			while (a < mid)
				tmp[k++] = j->kids[a++];
			while (b < hi)
				tmp[k++] = j->kids[b++];
		}
		memcpy(j->kids, tmp, n * sizeof *tmp);
	}
	free(tmp);
}

static int time_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* A new, empty journey at the end of the list (cap: its room). */
static struct journey *new_journey(struct journeys *j, size_t *cap)
{
	if (j->njs == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct journey *b = realloc(j->js, nc * sizeof *b);
		if (!b)
			return NULL;
		j->js = b;
		*cap = nc;
	}
	struct journey *jn = &j->js[j->njs];
	memset(jn, 0, sizeof *jn);
	jn->id = ++j->njs;
	return jn;
}

size_t journeys_build(struct journeys *j)
{
	journeys_built_free(j);
	j->js = NULL;
	j->njs = 0;
	j->lists = NULL;
	j->nlists = 0;
	j->by_qid = index_logs(j, &j->nby_qid, 0);
	j->by_next = index_logs(j, &j->nby_next, 3);
	j->by_relay = index_logs(j, &j->nby_relay, 4);
	j->qid_used = calloc(j->nby_qid ? j->nby_qid : 1, 1);
	j->by_msgid = index_logs(j, &j->nby_msgid, 1);
	j->logins = index_logs(j, &j->nlogins, 2);
	j->copy_qid = malloc((j->ncopies ? j->ncopies : 1) * sizeof *j->copy_qid);
	j->consumed = calloc(j->ncopies ? j->ncopies : 1, 1);
	if (!j->by_qid || !j->by_msgid || !j->logins || !j->copy_qid || !j->consumed ||
	    !j->by_next || !j->by_relay || !j->qid_used)
		return 0;
	j->ncopy_qid = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		if (j->copies[i].queue_id && j->copies[i].role == RR_TRANSFER)
			j->copy_qid[j->ncopy_qid++] =
			    (struct keyed){j->copies[i].queue_id, i, j->copies[i].ts_start};
	qsort(j->copy_qid, j->ncopy_qid, sizeof *j->copy_qid, keyed_cmp);
	/* copies are in number order, so those passed on from one another
	 * sorted stably by that number keep their own order */
	j->kids = malloc((j->ncopies ? j->ncopies : 1) * sizeof *j->kids);
	if (!j->kids)
		return 0;
	j->nkids = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		if (j->copies[i].from)
			j->kids[j->nkids++] = i;
	kids_sort(j);
	/* a journey begins at each copy not passed on from one still kept */
	size_t cap = 0;
	for (size_t i = 0; i < j->ncopies; i++) {
		struct jcopy *c = &j->copies[i];
		if (j->consumed[i] || (c->from && journeys_copy_of(j, c->from)))
			continue;
		struct journey *jn = new_journey(j, &cap);
		if (!jn)
			break;
		struct walk w = {j, jn, 0, 0};
		walk_back(&w, c);
		walk_copy(&w, c, 0);
	}
	/* the messages only the logs show: a queue no journey went through
	 * and no delivery names (the first of its chain), in time order */
	struct keyed *first = malloc((j->nby_qid ? j->nby_qid : 1) * sizeof *first);
	size_t nfirst = 0;
	for (size_t i = 0; first && i < j->nby_qid; i++)
		if ((!i || strcmp(j->by_qid[i - 1].key, j->by_qid[i].key)) && !j->qid_used[i] &&
		    !handed_as(j, j->by_qid[i].key))
			first[nfirst++] = (struct keyed){j->by_qid[i].key, i, j->by_qid[i].ts};
	if (first)
		qsort(first, nfirst, sizeof *first, time_cmp);
	for (size_t k = 0; k < nfirst; k++) {
		if (j->qid_used[first[k].i])
			continue;
		struct journey *jn = new_journey(j, &cap);
		if (!jn)
			break;
		struct walk w = {j, jn, 0, 0};
		struct jstep *s =
		    queue_step(&w, first[k].key, j->logs[j->by_qid[first[k].i].i].host, 0);
		if (s)
			walk_onward(&w, NULL, s->logs, s->nlogs, 0);
	}
	free(first);
	return j->njs;
}
