/* verifier.c - the checks of each hop and their report once the receiver's
 * words are known (see verifier.h).
 *
 * Hops waiting for their passed-on copy sit in a queue in message-number
 * order (the order they completed in): a later copy finds its hop by
 * binary search, and the queue's front leaves when its wait is over or it
 * was reported, so the work per message is logarithmic and the memory
 * bounded by max_waiting and max_mem.
 *
 * The checks run when the hop is reported, not when its message is
 * complete: DNS answers that came later in the capture (another host
 * asking, after this hop) are then in the store too, and the store picks
 * the answer nearest the hop's time. So a waiting hop keeps what of its
 * message the checks read: the header section when it has no
 * DKIM-Signature (DMARC reads the From field, SPF nothing of the message),
 * the whole message only when a signature's body hash needs the body. A
 * capture of many unsigned messages then keeps a few hundred bytes a hop,
 * not the message. All it keeps counts in max_mem (--verify-mem): those
 * bytes, their parse, the hop's strings (as the hop table cut them, some
 * 4K at most) and, when those were cut, HELO and MAIL FROM whole for SPF.
 */
#define _POSIX_C_SOURCE 200809L
#include "verifier.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compare.h"
#include "dkimcheck.h"
#include "dmarc.h"
#include "dnsstore.h"
#include "spf.h"
#include "strf.h"

struct waiting {
	struct vhop hop; /* a copy, its strings owned (as the hop table cut them) */
	/* HELO and MAIL FROM whole, for SPF, when the hop table cut them
	 * (NULL: hop.helo, hop.mail_from are whole) */
	char *spf_helo, *spf_mail_from;
	size_t strmem;     /* what the strings take, counted in mem */
	uint8_t *data;     /* the message's bytes the checks read, until checked: */
	size_t kept;       /* hop.len of them, or with a parse and no DKIM-Signature
	                    * its header section (kept_len) */
	struct msg parsed; /* the dissector's parse of them, copied: parsed once */
	int have_parsed;
	int done;
};

/* A session that turned to TLS (REC_NOTE "tls"): what is passed on in it
 * after that is not in the capture. The latest TLS_NOTES are kept. */
#define TLS_NOTES 4096
struct tls_note {
	struct ss_addr client, server;
	enum rec_proto p;
	uint64_t flow;
	int64_t ts;
};

struct verifier {
	struct verifier_opts o;
	verifier_out_fn *out;
	void *ctx;
	struct hops *hops;
	struct dns_store *store;
	struct roles roles; /* the receivers seen checking */
	struct waiting **q; /* ring, oldest at q[head] */
	size_t head, n, cap;
	uint64_t mem; /* bytes of the waiting messages */
	struct verifier_stats st;
	struct tls_note *tls; /* ring of TLS_NOTES, made at the first note */
	uint64_t ntls;        /* notes seen in all; the latest at (ntls - 1) % TLS_NOTES */
};

struct verifier *verifier_new(const struct verifier_opts *o, verifier_out_fn *out, void *ctx,
                              char *err, size_t errlen)
{
	struct verifier *v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->o = *o;
	if (!v->o.max_waiting)
		v->o.max_waiting = 1;
	v->out = out;
	v->ctx = ctx;
	v->hops = hops_new(o->max_hops);
	v->store =
	    o->verify ? dns_store_new_cap(o->dns_mem ? o->dns_mem : DNS_STORE_MEM_DEFAULT) : NULL;
	if (!v->hops || (o->verify && !v->store)) {
		snprintf(err, errlen, "out of memory");
		verifier_free(v);
		return NULL;
	}
	for (size_t i = 0; i < o->nzones; i++) {
		char e[512];
		if (dns_store_zone(v->store, o->zones[i], e, sizeof e)) {
			snprintf(err, errlen, "--zone %s", e);
			verifier_free(v);
			return NULL;
		}
	}
	return v;
}

const struct verifier_stats *verifier_stats(const struct verifier *v)
{
	return &v->st;
}

const struct vhop *verifier_hop(const struct verifier *v, uint64_t n)
{
	return hops_find(v->hops, n);
}

/* What malloc(n) takes with glibc's allocator: n and its 8-byte header,
 * rounded up to 16, at least 32 (as verify/dnsstore.c counts). */
static size_t chunk(size_t n)
{
	size_t c = (n + 8 + 15) & ~(size_t)15;
	return c < 32 ? 32 : c;
}

/* The bytes of a message (n of them, m its parse or NULL) the checks will
 * read: with a DKIM-Signature field (named as dkimcheck.c's is_signature
 * names it) all of them, for the body hash; without one, only the header
 * section, for DMARC's From (dkimcheck then reads only field names, SPF
 * nothing of the message). Without a parse, all: it is parsed again. */
static size_t kept_len(const struct msg *m, size_t n)
{
	if (!m)
		return n;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct msg_field *f = &m->fields[i];
		if (f->name_len == 14 &&
		    !strncasecmp((const char *)m->data + f->off, "DKIM-Signature", 14))
			return n;
	}
	return m->body_off < n ? m->body_off : n;
}

/* A copy of s, its allocation counted in *mem. */
static char *dup_counted(const char *s, size_t n, size_t *mem)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	*mem += chunk(n + 1);
	return d;
}

static char *dup_or_null(const char *s, size_t *mem)
{
	return s ? dup_counted(s, strlen(s), mem) : NULL;
}

/* SPF's copy of a HELO or MAIL FROM (n bytes at p) when the hop table
 * cut it (RFC 7208 checks the names as sent), else NULL. */
static char *whole_if_cut(const struct ss_str *t, size_t *mem)
{
	if (!t->len || hops_cut_len((const char *)t->p, t->len, HOPS_MAX_PATH) == t->len)
		return NULL;
	return dup_counted((const char *)t->p, t->len, mem);
}

static void waiting_free(struct waiting *w)
{
	if (!w)
		return;
	free(w->spf_helo);
	free(w->spf_mail_from);
	free(w->hop.helo);
	free(w->hop.mail_from);
	free(w->hop.user);
	free(w->hop.message_id);
	free(w->hop.subject);
	free(w->hop.author);
	free(w->data);
	msg_free(&w->parsed);
	free(w);
}

/* The name the captured DNS gives addr (its PTR answer), or NULL. */
static char *ptr_name(struct dns_store *s, const struct ss_addr *addr, int64_t ts)
{
	ldns_rdf *a =
	    ldns_rdf_new_frm_data(addr->family == SS_AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
	                          addr->family == SS_AF_INET ? 4 : 16, addr->b);
	ldns_rdf *rev = a ? ldns_rdf_address_reverse(a) : NULL;
	char *q = rev ? ldns_rdf2str(rev) : NULL;
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(rev);
	char *name = NULL;
	if (q) {
		const struct dns_answer *ans = dns_store_lookup(s, q, LDNS_RR_TYPE_PTR, ts, addr);
		if (ans->kind == DNS_DATA && ans->rrs && ldns_rr_list_rr_count(ans->rrs)) {
			const ldns_rr *rr = ldns_rr_list_rr(ans->rrs, 0);
			if (ldns_rr_rd_count(rr) == 1)
				name = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		}
		free(q);
	}
	if (name) {
		size_t n = strlen(name);
		if (n && name[n - 1] == '.')
			name[n - 1] = 0;
	}
	return name;
}

static int add_check(struct v_hopcheck *hc, struct verdict *ours)
{
	if (!ours)
		return -1;
	struct v_check *c = realloc(hc->checks, (hc->nchecks + 1) * sizeof *c);
	if (!c) {
		verdict_free(ours);
		return -1;
	}
	hc->checks = c;
	c[hc->nchecks++] = (struct v_check){ours, NULL, V_CANNOT_TELL, NULL};
	return 0;
}

/* Every check of one SMTP hop, as its receiver could have made them. */
static void run_checks(struct verifier *v, struct v_hopcheck *hc, const struct waiting *w,
                       const char *host)
{
	const struct vhop *h = &w->hop;
	const uint8_t *data = w->data ? w->data : (const uint8_t *)"";
	struct msg own; /* parsed here only when the dissector's parse did not come */
	int have_msg = w->have_parsed || !msg_parse(&own, data, w->kept);
	const struct msg *parsed = w->have_parsed ? &w->parsed : &own;
	const char *mail_from = w->spf_mail_from ? w->spf_mail_from
	                        : h->mail_from   ? h->mail_from
	                                         : "";
	const char *helo = w->spf_helo ? w->spf_helo : h->helo && *h->helo ? h->helo : NULL;
	struct verdict *spf_mf = spf_check(v->store, h->ts, &h->server, &h->client, mail_from,
	                                   helo ? helo : "", host, SPF_MAILFROM);
	struct verdict *spf_helo = helo ? spf_check(v->store, h->ts, &h->server, &h->client,
	                                            mail_from, helo, host, SPF_HELO)
	                                : NULL;
	struct verdict **dk = NULL;
	size_t ndk = have_msg ? dkimcheck_verify_parsed(parsed, h->incomplete, v->store, h->ts,
	                                                &h->server, &dk)
	                      : 0;
	/* DMARC takes the SPF result of the MAIL FROM, or of HELO for the null
	 * sender (RFC 7489 4.1, RFC 7208 2.4) */
	struct verdict *for_dmarc = *mail_from || !spf_helo ? spf_mf : spf_helo;
	struct verdict *dmarc =
	    have_msg ? dmarc_check(v->store, h->ts, &h->server, parsed, for_dmarc, dk, ndk) : NULL;
	add_check(hc, spf_mf);
	if (spf_helo)
		add_check(hc, spf_helo);
	for (size_t i = 0; i < ndk; i++)
		add_check(hc, dk[i]);
	free(dk);
	if (dmarc)
		add_check(hc, dmarc);
	if (!w->have_parsed)
		msg_free(&own);
}

/* SPF of the HELO identity (RFC 7208 2.3) that nothing checked: the
 * receiver wrote no verdict for it and smtpsniff cannot tell it (the
 * capture holds no answer for the HELO name). Such a check says nothing
 * but "unknown" and is left out of the hop. */
static void drop_unchecked_helo(struct v_hopcheck *h)
{
	for (size_t j = 0; j < h->theirs.n; j++)
		if (h->theirs.v[j].method == V_SPF && h->theirs.v[j].identity &&
		    !strcasecmp(h->theirs.v[j].identity, "helo"))
			return;
	size_t k = 0;
	for (size_t i = 0; i < h->nchecks; i++) {
		const struct verdict *o = h->checks[i].ours;
		const char *id = verdict_get(o, "identity");
		if (o->method == V_SPF && o->result == V_UNKNOWN && id && !strcmp(id, "helo")) {
			verdict_free(h->checks[i].ours);
			free(h->checks[i].why);
			continue;
		}
		h->checks[k++] = h->checks[i];
	}
	h->nchecks = k;
}

/* Keeps the TLS start of a session: its hosts, protocol, flow and time. */
static void tls_note_add(struct verifier *v, const struct ss_record *r)
{
	const struct rec_note *n = &r->u.note;
	if (!n->what || strcmp(n->what, "tls"))
		return;
	if (!v->tls && !(v->tls = calloc(TLS_NOTES, sizeof *v->tls)))
		return;
	struct tls_note *t = &v->tls[v->ntls++ % TLS_NOTES];
	t->client = r->flow->ep[SS_C2S].addr;
	t->server = r->flow->ep[SS_S2C].addr;
	t->p = n->p;
	t->flow = r->flow->id;
	t->ts = n->ts;
}

/* Why the copy hop's receiver passed on is not in the capture, when a TLS
 * session can tell: the first that the receiver began within the wait
 * after the hop, as an SMTP or LMTP client passing it on, or as the POP3
 * or IMAP server handing it out (hops.h). A session begun before the hop
 * is not taken: it may have ended first. NULL when none. */
static const struct tls_note *tls_found(const struct verifier *v, const struct vhop *hop)
{
	const struct tls_note *best = NULL;
	size_t n = v->ntls < TLS_NOTES ? (size_t)v->ntls : TLS_NOTES;
	for (size_t i = 0; v->tls && i < n; i++) {
		const struct tls_note *t = &v->tls[i];
		int passer = t->p == RP_SMTP || t->p == RP_LMTP
		                 ? !ss_addr_cmp(&t->client, &hop->server)
		                 : !ss_addr_cmp(&t->server, &hop->server);
		/* t->ts - hop->ts < wait, counted so that no time overflows it */
		if (passer && t->ts >= hop->ts &&
		    (uint64_t)t->ts - (uint64_t)hop->ts < (uint64_t)v->o.wait &&
		    (!best || t->ts < best->ts))
			best = t;
	}
	return best;
}

/* "went encrypted (STARTTLS, flow N)", or NULL for none (malloc'd). */
static char *tls_words(const struct tls_note *t)
{
	return t ? ss_strf("went encrypted (%s, flow %" PRIu64 ")",
	                   t->p == RP_POP3 ? "STLS" : "STARTTLS", t->flow)
	         : NULL;
}

/* An answer the capture lacks is named on a verdict's "dns:" line by why
 * it is missing (the store's words, also the evidence's source), not by
 * the bare "not in the capture" verdict.c gives every miss. */
static void own_words(struct v_hopcheck *h)
{
	for (size_t i = 0; i < h->nchecks; i++) {
		struct verdict *o = h->checks[i].ours;
		for (size_t j = 0; j < o->ndns; j++) {
			struct v_evidence *e = &o->dns[j];
			char *w = e->kind == DNS_NOT_CAPTURED ? strdup(e->source) : NULL;
			if (w) {
				free(e->answer);
				e->answer = w;
			}
		}
	}
}

static void report(struct verifier *v, struct waiting *w, const struct vhop *copy,
                   const struct msg *copy_msg)
{
	struct v_hopcheck h = {.hop = &w->hop};
	/* The receiver's names: its PTR answer, and the name it gave itself
	 * on its next hop; the first known names it in the words. */
	char *ptr = ptr_name(v->store, &w->hop.server, w->hop.ts);
	const char *names[3] = {NULL, NULL, NULL};
	size_t k = 0;
	if (ptr)
		names[k++] = ptr;
	if (copy && copy->helo && *copy->helo && copy->role == RR_TRANSFER)
		names[k++] = copy->helo;
	run_checks(v, &h, w, ptr);
	if (copy && copy_msg) {
		h.copy_seen = 1;
		h.copy_number = copy->number;
		h.copy_frame = copy->frame;
		h.copy_ts = copy->ts;
		receiver_read(&h.theirs, copy_msg, copy->added, names);
		drop_unchecked_helo(&h);
	}
	/* named in the words by what it calls itself, else its address */
	char addr[SS_ADDR_STRLEN];
	const char *host = names[0]           ? names[0]
	                   : h.theirs.by_name ? h.theirs.by_name
	                                      : ss_addr_fmt(&w->hop.server, addr);
	const struct tls_note *tn = h.copy_seen ? NULL : tls_found(v, &w->hop);
	char *unseen = tls_words(tn);
	compare_hop(&h, host, unseen);
	free(unseen);
	if (tn) {
		h.copy_hidden = 1;
		h.hidden_flow = tn->flow;
		h.hidden_client = tn->client;
		h.hidden_server = tn->server;
	}
	own_words(&h);
	h.role = role_of(&v->roles, &w->hop.server, !w->hop.from, h.copy_seen, h.theirs.n > 0,
	                 h.copy_hidden);
	v->st.hops++;
	for (size_t i = 0; i < h.nchecks; i++)
		switch (h.checks[i].agreement) {
		case V_AGREE:
			v->st.agree++;
			break;
		case V_DISAGREE:
			v->st.disagree++;
			break;
		case V_UNCHECKED:
			v->st.unchecked++;
			break;
		case V_CANNOT_TELL:
			v->st.unknown++;
			break;
		}
	if (v->out)
		v->out(&h, v->ctx);
	receiver_free(&h.theirs);
	for (size_t i = 0; i < h.nchecks; i++) {
		verdict_free(h.checks[i].ours);
		free(h.checks[i].why);
	}
	free(h.checks);
	free(ptr);
	w->done = 1;
	v->mem -= w->kept + msg_size(&w->parsed);
	free(w->data);
	w->data = NULL;
	msg_free(&w->parsed);
	w->have_parsed = 0;
	/* reported: only its number is looked at again, until it leaves */
	char **str[8] = {&w->hop.helo,    &w->hop.mail_from, &w->hop.user, &w->hop.message_id,
	                 &w->hop.subject, &w->hop.author,    &w->spf_helo, &w->spf_mail_from};
	for (int i = 0; i < 8; i++) {
		free(*str[i]);
		*str[i] = NULL;
	}
	v->mem -= w->strmem - chunk(sizeof *w);
	w->strmem = chunk(sizeof *w);
}

/* A hop leaves the queue: its strings leave the count. */
static void waiting_gone(struct verifier *v, struct waiting *w)
{
	v->mem -= w->strmem;
	waiting_free(w);
}

static struct waiting *front(struct verifier *v)
{
	return v->n ? v->q[v->head] : NULL;
}

static void pop_front(struct verifier *v)
{
	waiting_gone(v, v->q[v->head]);
	v->head = (v->head + 1) % v->cap;
	v->n--;
}

/* Whether a hop complete at since still waits at now: its wait is not over
 * (now - since < wait, counted so that no capture time overflows it). */
static int still_waiting(int64_t since, int64_t now, int64_t wait)
{
	return now != INT64_MAX &&
	       (now < since || (uint64_t)now - (uint64_t)since < (uint64_t)wait);
}

/* Drops what was reported from the front; reports what waited long
 * enough (all of it when now is INT64_MAX). */
static void expire(struct verifier *v, int64_t now)
{
	struct waiting *w;
	while ((w = front(v))) {
		if (!w->done) {
			int waiting = still_waiting(w->hop.ts, now, v->o.wait);
			if (waiting && v->n <= v->o.max_waiting && v->mem <= v->o.max_mem)
				break;
			if (waiting)
				v->st.reported_early++;
			report(v, w, NULL, NULL);
		}
		pop_front(v);
	}
}

/* The queue is in the order the messages completed, so its front is the
 * oldest (a front already reported only makes the answer earlier). A hop
 * without a time is shown at the time of the line before it: any. */
int64_t verifier_oldest(const struct verifier *v)
{
	if (!v || !v->n)
		return INT64_MAX;
	const struct vhop *h = &v->q[v->head]->hop;
	return h->frame ? h->ts : INT64_MIN;
}

static int push(struct verifier *v, struct waiting *w)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct waiting **q = malloc(cap * sizeof *q);
		if (!q)
			return -1;
		for (size_t i = 0; i < v->n; i++)
			q[i] = v->q[(v->head + i) % v->cap];
		free(v->q);
		v->q = q;
		v->cap = cap;
		v->head = 0;
	}
	v->q[(v->head + v->n++) % v->cap] = w;
	return 0;
}

static struct waiting *find_waiting(struct verifier *v, uint64_t number)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct waiting *w = v->q[(v->head + mid) % v->cap];
		if (w->hop.number == number)
			return w;
		if (w->hop.number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The bytes of m the checks will read, and its parse, kept in w. */
static void keep(struct waiting *w, const struct rec_message *m)
{
	size_t n = kept_len(m->msg, m->data.len);
	w->data = malloc(n ? n : 1);
	if (w->data && n)
		memcpy(w->data, m->data.p, n);
	if (w->data && m->msg)
		w->have_parsed = !msg_copy(&w->parsed, m->msg, w->data);
	if (w->data && !w->have_parsed && n < m->data.len) {
		/* no parse after all: parsed again from the whole message */
		uint8_t *all = realloc(w->data, m->data.len);
		if (all)
			memcpy(all, m->data.p, m->data.len);
		else
			free(w->data);
		w->data = all;
		n = m->data.len;
	}
	if (!w->data) {
		w->hop.incomplete = 1; /* no room to keep it: DKIM cannot tell */
		n = 0;
	}
	w->kept = n;
}

const struct vhop *verifier_record(struct verifier *v, const struct ss_record *r)
{
	if (r->kind == REC_DNS) {
		if (v->store)
			dns_store_add(v->store, r);
		return NULL;
	}
	if (r->kind == REC_NOTE) {
		if (v->o.verify)
			tls_note_add(v, r);
		return NULL;
	}
	if (r->kind != REC_MESSAGE)
		return NULL;
	const struct rec_message *m = &r->u.msg;
	const struct vhop *hop = hops_add(v->hops, r);
	if (!hop || !v->o.verify)
		return hop;
	/* This copy may be what an earlier hop's receiver passed on. */
	if (hop->from) {
		struct waiting *w = find_waiting(v, hop->from);
		if (w && !w->done && m->msg)
			report(v, w, hop, m->msg);
	}
	if (m->role == RR_TRANSFER && !m->partial) {
		struct waiting *w = calloc(1, sizeof *w);
		if (w) {
			/* the waiting hop and its strings count in mem with the
			 * message: up to HOPS_MAX_BYTES, and HELO and MAIL FROM
			 * whole for SPF (a line each) */
			size_t sm = chunk(sizeof *w);
			w->hop = *hop;
			w->hop.helo = dup_or_null(hop->helo, &sm);
			w->hop.mail_from = dup_or_null(hop->mail_from, &sm);
			w->hop.user = dup_or_null(hop->user, &sm);
			w->hop.message_id = dup_or_null(hop->message_id, &sm);
			w->hop.subject = dup_or_null(hop->subject, &sm);
			w->hop.author = dup_or_null(hop->author, &sm);
			w->spf_helo = whole_if_cut(&m->helo, &sm);
			w->spf_mail_from = whole_if_cut(&m->mail_from, &sm);
			w->strmem = sm;
			v->mem += sm;
			keep(w, m);
			v->mem += w->kept + msg_size(&w->parsed);
			if (push(v, w)) {
				report(v, w, NULL, NULL);
				waiting_gone(v, w);
			}
		}
	}
	expire(v, hop->ts);
	return hops_find(v->hops, m->number);
}

void verifier_clock(struct verifier *v, int64_t now)
{
	expire(v, now);
}

void verifier_finish(struct verifier *v)
{
	/* every question the capture holds is in: a miss can say nobody asked */
	if (v->store)
		dns_store_end(v->store);
	expire(v, INT64_MAX);
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	while (v->n)
		pop_front(v);
	free(v->q);
	hops_free(v->hops);
	dns_store_free(v->store);
	free(v->tls);
	dkimcheck_shutdown();
	free(v);
}
