/* recpack.c - a worker's records copied into its queue and emitted on the
 * ordering thread (see recpack.h). */
#include "recpack.h"

#include <stdint.h>
#include <string.h>

#include "handoff.h"
#include "message.h"
#include "record.h"
#include "tls.h"

/* Space laid out in two passes: the first (p NULL) only measures. */
struct lay {
	uint8_t *p;
	size_t at;
};

static void *place(struct lay *l, const void *src, size_t n)
{
	l->at = (l->at + 7) & ~(size_t)7;
	void *dst = l->p ? l->p + l->at : NULL;
	if (dst && src && n)
		memcpy(dst, src, n);
	l->at += n;
	return dst;
}

static void str(struct lay *l, struct ss_str *s)
{
	s->p = s->len ? place(l, s->p, s->len) : NULL;
}

/* A C string of the dissector's own (a verb, a status, a name). */
static const char *cstr(struct lay *l, const char *s)
{
	if (!s)
		return NULL;
	size_t n = 0;
	while (s[n])
		n++;
	return place(l, s, n + 1);
}

/* The TLS session's findings; what its parser keeps inside (buffers,
 * options) is not copied, since nobody above reads it. */
static const struct tls_flow *tls_lay(struct lay *l, const struct tls_flow *t)
{
	struct tls_flow *c = place(l, t, sizeof *t);
	for (int d = 0; d < 2; d++) {
		const struct tls_chain *ch = &t->side[d].chain;
		void *certs = ch->certs ? place(l, ch->certs, ch->n * sizeof *ch->certs) : NULL;
		if (c)
			c->side[d].chain.certs = certs;
	}
	if (c) {
		memset(&c->o, 0, sizeof c->o);
		memset(c->rl, 0, sizeof c->rl);
		memset(c->hs, 0, sizeof c->hs);
	}
	return c;
}

/* Lays record r out (copy c is NULL in the first pass). */
static void lay(struct lay *l, const struct ss_record *r, struct ss_record *c)
{
	struct ss_record x = *r; /* its pointers move to the copies */
	switch (r->kind) {
	case REC_DNS:
		x.u.dns.malformed = cstr(l, r->u.dns.malformed);
		str(l, &x.u.dns.raw);
		break;
	case REC_EXCHANGE:
		x.u.ex.verb = cstr(l, r->u.ex.verb);
		x.u.ex.status = cstr(l, r->u.ex.status);
		str(l, &x.u.ex.cmd);
		str(l, &x.u.ex.reply);
		break;
	case REC_MESSAGE: {
		struct rec_message *m = &x.u.msg;
		m->how = cstr(l, r->u.msg.how);
		str(l, &m->data);
		str(l, &m->helo);
		str(l, &m->mail_from);
		str(l, &m->queue_id);
		str(l, &m->reply);
		str(l, &m->user);
		str(l, &m->mailbox);
		str(l, &m->which);
		/* arrays: their strings are laid out in the measuring pass too */
		struct ss_str *rc = m->nrcpt ? place(l, m->rcpt, m->nrcpt * sizeof *rc) : NULL;
		for (size_t i = 0; i < m->nrcpt; i++) {
			struct ss_str s = m->rcpt[i];
			str(l, &s);
			if (rc)
				rc[i] = s;
		}
		m->rcpt = rc;
		struct rec_delivery *dv =
		    m->ndeliveries ? place(l, m->deliveries, m->ndeliveries * sizeof *dv) : NULL;
		for (size_t i = 0; i < m->ndeliveries; i++) {
			struct rec_delivery s = m->deliveries[i];
			str(l, &s.rcpt);
			str(l, &s.reply);
			if (dv)
				dv[i] = s;
		}
		m->deliveries = dv;
		/* the parse, on the heap, pointing into the copied bytes */
		struct msg *pm = r->u.msg.msg ? place(l, NULL, sizeof *pm) : NULL;
		if (pm && msg_copy(pm, r->u.msg.msg, m->data.p) < 0)
			pm = NULL;
		m->msg = pm;
		break;
	}
	case REC_NOTE:
		x.u.note.what = cstr(l, r->u.note.what);
		str(l, &x.u.note.detail);
		x.u.note.tls = r->u.note.tls ? tls_lay(l, r->u.note.tls) : NULL;
		break;
	case REC_LOG: {
		struct rec_log *g = &x.u.log;
		str(l, &g->timestamp);
		str(l, &g->host);
		str(l, &g->app);
		str(l, &g->procid);
		str(l, &g->msgid);
		str(l, &g->sd);
		str(l, &g->message);
		g->file = cstr(l, r->u.log.file);
		break;
	}
	}
	if (c) {
		*c = x;
		if (r->kind == REC_DNS) { /* parsed packets: copies of their own */
			c->u.dns.query = r->u.dns.query ? ldns_pkt_clone(r->u.dns.query) : NULL;
			c->u.dns.response =
			    r->u.dns.response ? ldns_pkt_clone(r->u.dns.response) : NULL;
		}
	}
}

/* On the ordering thread: the copy goes to the sinks, then is let go. */
static void emit(const void *p, size_t n, void *ctx)
{
	(void)n;
	(void)ctx;
	struct ss_record *r = (struct ss_record *)(uintptr_t)p; /* the queue's, ours now */
	r->flow = handoff_flow(r->flow);
	if (r->kind == REC_MESSAGE)
		r->u.msg.number = record_message_number();
	record_emit(r);
	if (r->kind == REC_DNS) {
		if (r->u.dns.query)
			ldns_pkt_free((ldns_pkt *)(uintptr_t)r->u.dns.query);
		if (r->u.dns.response)
			ldns_pkt_free((ldns_pkt *)(uintptr_t)r->u.dns.response);
	}
	if (r->kind == REC_MESSAGE && r->u.msg.msg)
		msg_free((struct msg *)(uintptr_t)r->u.msg.msg);
}

static void pack(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	struct lay l = {NULL, sizeof *r};
	lay(&l, r, NULL);
	struct ss_record *c = handoff_out(emit, l.at);
	if (!c)
		return; /* the ordering thread quit */
	l = (struct lay){(uint8_t *)c, sizeof *r};
	lay(&l, r, c);
}

void recpack_thread(void *ctx)
{
	(void)ctx;
	record_thread_sink(pack, NULL);
}
