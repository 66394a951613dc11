/* journeywalk.c - putting the journeys together at the end of the run
 * (journey.h): from each copy that no kept copy was passed on from, along
 * the copies passed on from it and the "queued as" of its servers' log
 * lines; then the queues the logs show that no copy reached.
 *
 * Indexes sorted once make every lookup a binary search, so the whole is
 * O(n log n) in copies and log lines.
 *
 * Memory: all the walk makes comes out of a budget, what --journey-mem
 * leaves beside the store (journeyint.h); an allocation past it is refused
 * and the journeys are cut short (journeys_cut), never let past the cap.
 * The walk stays linear in copies and lines whatever they say: each copy
 * is walked once, each log line is one onward step at most, a queue's lines
 * are one list that every step about that queue shares, and the walk along
 * copies passed on from one another goes at most JOURNEY_MAX_LEVEL deep
 * (the stack), the rest of such a chain beginning a journey of its own.
 * Lookups that may meet many lines of one key (a relay, a login address)
 * look at most JOURNEY_LOOK of them.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journey.h"
#include "journeyint.h"
#include "maillog.h"
#include "sstime.h"

/* Copies passed on from one another walked in one journey, at most: the
 * walk recurses along them (a hostile capture can chain 100000). */
#define JOURNEY_MAX_LEVEL 256
/* Lines of one relay or one login address looked at around a time. */
#define JOURNEY_LOOK 64

/* --- the budget -------------------------------------------------------------- */

static void *refused(struct journeys *j)
{
	j->build_refused++;
	return NULL;
}

static void counted(struct journeys *j, size_t was, size_t now)
{
	j->built = j->built - was + now;
	if (j->built > j->build_peak)
		j->build_peak = j->built;
}

/* n bytes (at least 1) from the budget, zeroed when zero says so. */
static void *b_alloc(struct journeys *j, size_t n, int zero)
{
	n = n ? n : 1;
	if (j->built + journey_chunk(n) > j->build_max)
		return refused(j);
	void *p = zero ? calloc(1, n) : malloc(n);
	if (!p)
		return refused(j);
	counted(j, 0, journey_chunk(n));
	return p;
}

/* p (old bytes, 0 when NULL) made n bytes (at least 1). */
static void *b_realloc(struct journeys *j, void *p, size_t old, size_t n)
{
	n = n ? n : 1;
	size_t was = p ? journey_chunk(old ? old : 1) : 0;
	if (j->built - was + journey_chunk(n) > j->build_max)
		return refused(j);
	void *q = realloc(p, n);
	if (!q)
		return refused(j);
	counted(j, was, journey_chunk(n));
	return q;
}

/* Gives back what b_alloc(j, n) took. */
static void b_free(struct journeys *j, void *p, size_t n)
{
	if (!p)
		return;
	counted(j, journey_chunk(n ? n : 1), 0);
	free(p);
}

/* --- indexes ------------------------------------------------------------------ */

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

/* The end of the entries of k with key from at (the first of them): the
 * first after them, by binary search (a key may have many). */
static size_t keyed_end(const struct keyed *k, size_t n, size_t at, const char *key)
{
	size_t lo = at, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k[mid].key, key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first of the entries [lo, hi) (of one key, so in time order) whose
 * time is over ts (after: 1) or at least ts (after: 0). */
static size_t keyed_time(const struct keyed *k, size_t lo, size_t hi, int64_t ts, int after)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k[mid].ts < ts || (after && k[mid].ts == ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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

/* The key line l has in index what (0 queue ID, 1 saved by Message-ID,
 * 2 login by address, 3 "queued as", 4 relay of a sent delivery), or NULL. */
static const char *index_key(const struct jlog *l, int what)
{
	int sent = l->kind == ML_DELIVERY && l->status && !strcmp(l->status, "sent");
	return what == 0   ? l->queue_id
	       : what == 1 ? (l->kind == ML_SAVED ? l->message_id : NULL)
	       : what == 2 ? (l->kind == ML_LOGIN ? l->rip : NULL)
	       : what == 3 ? (sent ? l->next_queue_id : NULL)
	                   : (sent ? relay_key(l->relay) : NULL);
}

/* The lines with a key in index what, sorted by key, then time: sized to
 * them (most lines are in one or two of the five). */
static struct keyed *index_logs(struct journeys *j, size_t *n, int what)
{
	size_t count = 0;
	for (size_t i = 0; i < j->nlogs; i++)
		count += index_key(&j->logs[i], what) != NULL;
	*n = 0;
	struct keyed *k = b_alloc(j, count * sizeof *k, 0);
	if (!k)
		return NULL;
	for (size_t i = 0; i < j->nlogs; i++) {
		const char *key = index_key(&j->logs[i], what);
		if (key)
			k[(*n)++] = (struct keyed){key, i, j->logs[i].ts};
	}
	qsort(k, *n, sizeof *k, keyed_cmp);
	return k;
}

/* A list one step points into (freed with the journeys). */
static const struct jlog **keep_list(struct journeys *j, size_t n)
{
	if (j->nlists == j->caplists) {
		size_t c = j->caplists ? j->caplists * 2 : 16;
		const struct jlog ***b =
		    b_realloc(j, j->lists, j->caplists * sizeof *b, c * sizeof *b);
		if (!b)
			return NULL;
		j->lists = b;
		j->caplists = c;
	}
	const struct jlog **l = b_alloc(j, n * sizeof *l, 1);
	if (l)
		j->lists[j->nlists++] = l;
	return l;
}

/* The log lines with queue ID q, in time order: one list for every step
 * about q (the lines as by_qid has them). */
static const struct jlog **qid_logs(struct journeys *j, const char *q, size_t *n)
{
	*n = 0;
	if (!q)
		return NULL;
	size_t at = keyed_find(j->by_qid, j->nby_qid, q);
	if (at == j->nby_qid)
		return NULL;
	j->qid_used[at] = 1;
	*n = keyed_end(j->by_qid, j->nby_qid, at, q) - at;
	return &j->qid_lines[at];
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
 * nearest in time and within RELAY_SLACK of its end (of two as near, the
 * later in the index). The nearest timed lines either side of that time
 * are found by binary search, JOURNEY_LOOK looked at each way. */
#define RELAY_SLACK (10 * SS_NS_PER_SEC)
static const struct jlog *handed_to(struct journeys *j, const struct jcopy *c)
{
	if (!c->frame_end)
		return NULL;
	char key[SS_ADDR_STRLEN + 16];
	relay_of(c, key, sizeof key);
	size_t lo = keyed_find(j->by_relay, j->nby_relay, key);
	if (lo == j->nby_relay)
		return NULL;
	size_t hi = keyed_end(j->by_relay, j->nby_relay, lo, key);
	size_t p = keyed_time(j->by_relay, lo, hi, c->ts_end, 0);
	const struct jlog *best = NULL;
	int64_t bestd = RELAY_SLACK;
	/* before: the latest timed line */
	for (size_t i = p, k = 0; i > lo && k < JOURNEY_LOOK; i--, k++) {
		const struct jlog *l = &j->logs[j->by_relay[i - 1].i];
		if (l->timed) {
			if (c->ts_end - l->ts <= bestd) {
				best = l;
				bestd = c->ts_end - l->ts;
			}
			break;
		}
	}
	/* at or after: the last of the earliest timed ones */
	int found = 0;
	int64_t at = 0;
	for (size_t i = p, k = 0; i < hi && k < JOURNEY_LOOK; i++, k++) {
		const struct jlog *l = &j->logs[j->by_relay[i].i];
		if (!l->timed)
			continue;
		if (found && l->ts != at)
			break;
		found = 1;
		at = l->ts;
		if (l->ts - c->ts_end <= bestd) {
			best = l;
			bestd = l->ts - c->ts_end;
		}
	}
	return best;
}

/* The first copy of copy_qid from i on not walked yet, or ncopy_qid:
 * qid_skip leaps over those walked (each leap made shorter as it is
 * taken), so that many copies of one queue ID cost no scan each. */
static size_t first_unwalked(struct journeys *j, size_t i)
{
	size_t r = i;
	while (r < j->ncopy_qid && j->consumed[j->copy_qid[r].i])
		r = j->qid_skip[r];
	while (i < r) {
		size_t next = j->qid_skip[i];
		j->qid_skip[i] = r;
		i = next;
	}
	return r;
}

/* The copy whose server gave it queue ID q and is not yet in a journey. */
static struct jcopy *copy_by_qid(struct journeys *j, const char *q)
{
	if (!q)
		return NULL;
	size_t at = keyed_find(j->copy_qid, j->ncopy_qid, q);
	if (at == j->ncopy_qid)
		return NULL;
	size_t i = first_unwalked(j, at);
	return i < j->ncopy_qid && !strcmp(j->copy_qid[i].key, q) ? &j->copies[j->copy_qid[i].i]
	                                                          : NULL;
}

struct walk {
	struct journeys *j;
	struct journey *jn;
	size_t cap;
	int depth_guard;
	int level; /* copies passed on from one another walked into, now */
};

static struct jstep *push(struct walk *w, enum jstep_kind k, int depth)
{
	struct journey *jn = w->jn;
	if (jn->nsteps == w->cap) {
		size_t c = w->cap ? w->cap * 2 : 1;
		struct jstep *s = b_realloc(w->j, jn->steps, w->cap * sizeof *s, c * sizeof *s);
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

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
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
	/* a queue's lines once: a line is one onward step at most, so a
	 * second walk of the same list (copies that say one queue ID) would
	 * only look at lines used already */
	uintptr_t p = (uintptr_t)logs, q0 = (uintptr_t)j->qid_lines;
	if (logs && p >= q0 && p < q0 + j->nby_qid * sizeof *logs) {
		size_t at = (p - q0) / sizeof *logs;
		if (j->qid_used[at] & 2)
			nlogs = 0;
		j->qid_used[at] |= 2;
	}
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
	size_t size = (nlogs + (last - first) + 1) * sizeof(struct onward);
	struct onward *on = b_alloc(j, size, 0);
	if (!on)
		return;
	/* the queue IDs of those copies, sorted: a line that names one is
	 * about that copy */
	const char **qids = NULL;
	size_t nq = 0, qsize = (last - first) * sizeof *qids;
	for (size_t k = first; k < last; k++)
		if (!j->consumed[j->kids[k]])
			on[n++] = (struct onward){j->copies[j->kids[k]].ts_start,
			                          &j->copies[j->kids[k]], NULL};
	if (n && (qids = b_alloc(j, qsize, 0)) != NULL) {
		for (size_t k = 0; k < n; k++)
			if (on[k].copy->queue_id)
				qids[nq++] = on[k].copy->queue_id;
		qsort(qids, nq, sizeof *qids, str_cmp);
	}
	for (size_t i = 0; i < nlogs; i++) {
		const struct jlog *l = logs[i];
		if (!is_delivery_end(l) || j->line_used[l - j->logs])
			continue;
		/* a line that names a copy already in the list is about it */
		if (l->next_queue_id && nq &&
		    bsearch(&l->next_queue_id, qids, nq, sizeof *qids, str_cmp))
			continue;
		struct jcopy *next = l->next_queue_id ? copy_by_qid(j, l->next_queue_id) : NULL;
		if (next && j->pending[next - j->copies])
			continue;
		j->line_used[l - j->logs] = 1;
		if (next) {
			j->pending[next - j->copies] = 1;
			on[n++] = (struct onward){next->ts_start, next, l};
		} else {
			on[n++] = (struct onward){l->ts, NULL, l};
		}
	}
	for (size_t k = 0; k < n; k++)
		if (on[k].copy)
			j->pending[on[k].copy - j->copies] = 0;
	b_free(j, qids, qsize);
	qsort(on, n, sizeof *on, onward_cmp);
	size_t transfers = 0;
	for (size_t i = 0; i < n; i++)
		transfers += on[i].copy ? on[i].copy->role == RR_TRANSFER
		                        : (on[i].log->next_queue_id != NULL);
	int d = transfers > 1 ? depth + 1 : depth;
	for (size_t i = 0; i < n; i++) {
		/* a copy walked meanwhile (two lines naming it, or a copy
		 * reached by another way) is not walked again */
		if (on[i].copy && !j->consumed[on[i].copy - j->copies]) {
			walk_copy(w, on[i].copy, d);
			continue;
		}
		const struct jlog *l = on[i].log;
		if (!l)
			continue;
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
	b_free(j, on, size);
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
	s->tls_flow = journey_tls_flow(w->j, host, by);
	size_t n;
	const struct jlog **logs = qid_logs(w->j, q, &n);
	s->logs = logs;
	s->nlogs = n;
	walk_onward(w, NULL, logs, n, depth);
}

/* An LMTP server's lines about the copy: Dovecot says "saved" by
 * Message-ID, having no queue ID of its own in its reply. */
static const struct jlog **with_saves(struct journeys *j, const struct jlog **logs, size_t *n,
                                      const char *msgid)
{
	size_t at = keyed_find(j->by_msgid, j->nby_msgid, msgid);
	if (at == j->nby_msgid)
		return logs;
	size_t end = keyed_end(j->by_msgid, j->nby_msgid, at, msgid);
	const struct jlog **l = keep_list(j, *n + (end - at));
	if (!l)
		return logs;
	for (size_t i = 0; i < *n; i++)
		l[i] = logs[i];
	for (size_t i = at; i < end; i++)
		l[(*n)++] = &j->logs[j->by_msgid[i].i];
	return l;
}

/* The login a retrieval came with: the latest by its client before it
 * (of the JOURNEY_LOOK latest by that address before it). A list of one,
 * in login_line. */
static const struct jlog **login_of(struct journeys *j, const struct jcopy *c)
{
	char rip[SS_ADDR_STRLEN], lip[SS_ADDR_STRLEN];
	ss_addr_fmt(&c->client, rip);
	ss_addr_fmt(&c->server, lip);
	size_t lo = keyed_find(j->logins, j->nlogins, rip);
	if (lo == j->nlogins)
		return NULL;
	size_t hi = keyed_end(j->logins, j->nlogins, lo, rip);
	if (c->frame_start)
		hi = keyed_time(j->logins, lo, hi, c->ts_start, 1);
	for (size_t i = hi, k = 0; i > lo && k < JOURNEY_LOOK; i--, k++) {
		const struct jlog *l = j->login_line[i - 1];
		if (l->lip && !strcmp(l->lip, lip))
			return &j->login_line[i - 1];
	}
	return NULL;
}

/* A queue at a server the copies do not show: its lines. */
static struct jstep *queue_step(struct walk *w, const char *q, const char *host, int depth)
{
	struct jstep *s = push(w, JS_QUEUE, depth);
	if (!s)
		return NULL;
	size_t n;
	const struct jlog **logs = qid_logs(w->j, q, &n);
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
	/* deeper, the stack would run out: the rest of the chain begins a
	 * journey of its own (journeys_build) */
	if (w->level >= JOURNEY_MAX_LEVEL)
		return;
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
		logs = login_of(j, c);
		n = logs != NULL;
	}
	w->jn->steps[step].logs = logs;
	w->jn->steps[step].nlogs = n;
	size_t before = w->jn->nsteps;
	w->level++;
	if (c->role == RR_TRANSFER)
		walk_onward(w, c, logs, n, depth);
	else
		walk_onward(w, c, NULL, 0, depth);
	w->level--;
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
	size_t *tmp = b_alloc(j, n * sizeof *tmp, 0);
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
	b_free(j, tmp, n * sizeof *tmp);
}

static int time_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* A new, empty journey at the end of the list (made with room for as
 * many as there can be); none once the budget refused something, so
 * that what a cut leaves out is the last journeys, not steps here and
 * there. */
static struct journey *new_journey(struct journeys *j)
{
	if (j->njs == j->capjs || j->build_refused)
		return NULL;
	struct journey *jn = &j->js[j->njs];
	memset(jn, 0, sizeof *jn);
	jn->id = j->nsettled + ++j->njs;
	return jn;
}

/* A journey walked: its steps take only the room they need; one left
 * with none (the budget refused its first) is taken back. */
static void walked(struct walk *w)
{
	struct journey *jn = w->jn;
	if (!jn->nsteps) {
		b_free(w->j, jn->steps, w->cap * sizeof *jn->steps);
		w->j->njs--;
		return;
	}
	if (jn->nsteps < w->cap) {
		struct jstep *s =
		    b_realloc(w->j, jn->steps, w->cap * sizeof *s, jn->nsteps * sizeof *s);
		if (s) {
			jn->steps = s;
			w->cap = jn->nsteps;
		}
	}
}

/* The indexes of the lines and copies, and the room for the journeys. */
static int make_indexes(struct journeys *j)
{
	j->by_qid = index_logs(j, &j->nby_qid, 0);
	j->by_next = index_logs(j, &j->nby_next, 3);
	j->by_relay = index_logs(j, &j->nby_relay, 4);
	j->by_msgid = index_logs(j, &j->nby_msgid, 1);
	j->logins = index_logs(j, &j->nlogins, 2);
	if (!j->by_qid || !j->by_next || !j->by_relay || !j->by_msgid || !j->logins)
		return -1;
	j->qid_used = b_alloc(j, j->nby_qid, 1);
	j->qid_lines = b_alloc(j, j->nby_qid * sizeof *j->qid_lines, 0);
	j->login_line = b_alloc(j, j->nlogins * sizeof *j->login_line, 0);
	j->line_used = b_alloc(j, j->nlogs, 1);
	j->consumed = b_alloc(j, j->ncopies, 1);
	j->pending = b_alloc(j, j->ncopies, 1);
	if (!j->qid_used || !j->qid_lines || !j->login_line || !j->line_used || !j->consumed ||
	    !j->pending)
		return -1;
	for (size_t i = 0; i < j->nby_qid; i++)
		j->qid_lines[i] = &j->logs[j->by_qid[i].i];
	for (size_t i = 0; i < j->nlogins; i++)
		j->login_line[i] = &j->logs[j->logins[i].i];
	size_t ncopy_qid = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		ncopy_qid += j->copies[i].queue_id && j->copies[i].role == RR_TRANSFER;
	j->copy_qid = b_alloc(j, ncopy_qid * sizeof *j->copy_qid, 0);
	j->qid_skip = b_alloc(j, ncopy_qid * sizeof *j->qid_skip, 0);
	if (!j->copy_qid || !j->qid_skip)
		return -1;
	j->ncopy_qid = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		if (j->copies[i].queue_id && j->copies[i].role == RR_TRANSFER)
			j->copy_qid[j->ncopy_qid++] =
			    (struct keyed){j->copies[i].queue_id, i, j->copies[i].ts_start};
	qsort(j->copy_qid, j->ncopy_qid, sizeof *j->copy_qid, keyed_cmp);
	for (size_t i = 0; i < j->ncopy_qid; i++)
		j->qid_skip[i] = i + 1;
	/* copies are in number order, so those passed on from one another
	 * sorted stably by that number keep their own order */
	size_t nkids = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		nkids += j->copies[i].from != 0;
	j->kids = b_alloc(j, nkids * sizeof *j->kids, 0);
	if (!j->kids)
		return -1;
	j->nkids = 0;
	for (size_t i = 0; i < j->ncopies; i++)
		if (j->copies[i].from)
			j->kids[j->nkids++] = i;
	kids_sort(j);
	/* a journey begins at a copy or at a queue only the logs show */
	size_t queues = 0;
	for (size_t i = 0; i < j->nby_qid; i++)
		queues += !i || strcmp(j->by_qid[i - 1].key, j->by_qid[i].key);
	j->capjs = j->ncopies + queues;
	j->js = b_alloc(j, j->capjs * sizeof *j->js, 0);
	return j->js ? 0 : -1;
}

/* A journey from copy c. */
static void copy_journey(struct journeys *j, struct jcopy *c)
{
	struct journey *jn = new_journey(j);
	if (!jn)
		return;
	struct walk w = {j, jn, 0, 0, 0};
	walk_back(&w, c);
	walk_copy(&w, c, 0);
	walked(&w);
}

/* One walk over all that is kept, within what the cap leaves. */
static size_t build_once(struct journeys *j)
{
	journeys_built_free(j);
	size_t stored = journey_stored(j);
	j->build_max = j->o.max_bytes > stored ? j->o.max_bytes - stored : 0;
	j->build_refused = 0;
	if (make_indexes(j))
		return j->njs;
	/* a journey begins at each copy not passed on from one still kept */
	for (size_t i = 0; i < j->ncopies; i++) {
		struct jcopy *c = &j->copies[i];
		if (!j->consumed[i] && !(c->from && journeys_copy_of(j, c->from)))
			copy_journey(j, c);
	}
	/* and at each copy a walk did not reach: one deeper than
	 * JOURNEY_MAX_LEVEL in a chain, or past a step the budget refused */
	for (size_t i = 0; i < j->ncopies; i++)
		if (!j->consumed[i])
			copy_journey(j, &j->copies[i]);
	/* the messages only the logs show: a queue no journey went through
	 * and no delivery names (the first of its chain), in time order */
	size_t fsize = j->nby_qid * sizeof(struct keyed);
	struct keyed *first = b_alloc(j, fsize, 0);
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
		struct journey *jn = new_journey(j);
		if (!jn)
			break;
		struct walk w = {j, jn, 0, 0, 0};
		struct jstep *s =
		    queue_step(&w, first[k].key, j->logs[j->by_qid[first[k].i].i].host, 0);
		if (s)
			walk_onward(&w, NULL, s->logs, s->nlogs, 0);
		walked(&w);
	}
	b_free(j, first, fsize);
	/* the room for journeys not made goes back */
	if (j->njs < j->capjs) {
		struct journey *b = b_realloc(j, j->js, j->capjs * sizeof *b, j->njs * sizeof *b);
		if (b) {
			j->js = b;
			j->capjs = j->njs;
		}
	}
	return j->njs;
}

/* A walk the budget cut short is made again with the oldest eighth of the
 * copies or lines gone (as collecting lets them go past the cap), a few
 * times: then the journeys shown are whole, and the oldest are said to be
 * dropped. Past BUILD_TRIES the cut stays (journeys_cut). */
#define BUILD_TRIES 8
size_t journeys_build(struct journeys *j)
{
	j->build_peak = 0;
	for (int t = 0;; t++) {
		journeys_built_free(j);
		journey_fit(j);
		build_once(j);
		if (!j->build_refused || t == BUILD_TRIES || (!j->ncopies && !j->nlogs))
			return j->njs;
		journeys_built_free(j);
		journey_drop_eighth(j);
	}
}

/* Marks what journey jn holds: its copies (copy NULL: not them) and log
 * lines, by index. */
static void holds(const struct journeys *j, const struct journey *jn, char *copy, char *log)
{
	for (size_t k = 0; k < jn->nsteps; k++) {
		const struct jstep *s = &jn->steps[k];
		if (s->copy && copy)
			copy[s->copy - j->copies] = 1;
		if (s->log)
			log[s->log - j->logs] = 1;
		for (size_t i = 0; i < s->nlogs; i++)
			log[s->logs[i] - j->logs] = 1;
	}
}

/* Whether journey jn holds only what is older than copy number line and
 * log line index lines_line: then nothing to come can join it. */
static int settled_at(const struct journeys *j, const struct journey *jn, uint64_t line,
                      size_t log_line)
{
	if (!jn->nsteps)
		return 0;
	for (size_t k = 0; k < jn->nsteps; k++) {
		const struct jstep *s = &jn->steps[k];
		if (s->copy && s->copy->number >= line)
			return 0;
		if (s->log && (size_t)(s->log - j->logs) >= log_line)
			return 0;
		for (size_t i = 0; i < s->nlogs; i++)
			if ((size_t)(s->logs[i] - j->logs) >= log_line)
				return 0;
	}
	return 1;
}

int journey_settle(struct journeys *j)
{
	if (!j->settled_fn || j->o.sessions || (!j->ncopies && !j->nlogs))
		return 0;
	/* the older half of each, by number and by arrival */
	uint64_t line = j->ncopies ? j->copies[j->ncopies / 2].number : UINT64_MAX;
	size_t log_line = j->nlogs / 2;
	uint64_t dropped = j->dropped_copies + j->dropped_logs;
	size_t n = journeys_build(j);
	char *settled = calloc(n ? n : 1, 1);
	char *gone_copy = calloc(j->ncopies ? j->ncopies : 1, 1);
	char *gone_log = calloc(j->nlogs ? j->nlogs : 1, 1);
	size_t count = 0, freed = 0;
	/* a build cut short, or one that had to drop to fit, is no ground */
	int sound = settled && gone_copy && gone_log && !j->build_refused &&
	            j->dropped_copies + j->dropped_logs == dropped;
	for (size_t i = 0; sound && i < n; i++) {
		struct journey *jn = &j->js[i];
		if (!settled_at(j, jn, line, log_line))
			continue;
		settled[i] = 1;
		jn->id = j->nsettled + ++count;
		holds(j, jn, gone_copy, gone_log);
	}
	/* a line that a journey still open shows too stays for it (a copy is
	 * in one journey only) */
	char *kept_log = sound ? calloc(j->nlogs ? j->nlogs : 1, 1) : NULL;
	sound = sound && kept_log;
	for (size_t i = 0; sound && i < n; i++)
		if (!settled[i])
			holds(j, &j->js[i], NULL, kept_log);
	for (size_t i = 0; sound && i < j->nlogs; i++)
		gone_log[i] = gone_log[i] && !kept_log[i];
	free(kept_log);
	for (size_t i = 0; sound && i < j->ncopies; i++)
		freed += gone_copy[i] != 0;
	for (size_t i = 0; sound && i < j->nlogs; i++)
		freed += gone_log[i] != 0;
	/* worth it when it frees an eighth of what is stored at least; else
	 * the oldest go, as without settling */
	size_t all = j->ncopies + j->nlogs;
	int ok = sound && freed >= (all / 8 ? all / 8 : 1);
	if (ok) {
		j->settled_fn(j, n, settled, j->settled_ctx);
		j->nsettled += count;
	}
	journeys_built_free(j);
	if (ok)
		journey_let_go(j, gone_copy, gone_log);
	free(settled);
	free(gone_copy);
	free(gone_log);
	return ok;
}
