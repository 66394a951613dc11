/* reclog.c - records as canonical text for the tests. */
#include "reclog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

__attribute__((format(printf, 3, 4))) static void add(char *dst, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(dst);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst + n, cap - n, fmt, ap);
	va_end(ap);
}

static void str(char *dst, size_t cap, struct ss_str s)
{
	static char t[1 << 20];
	add(dst, cap, "%s", escape_str(t, sizeof t, s.p, s.len));
}

void reclog_add(char *log, size_t cap, const struct ss_record *r)
{
	if (r->kind == REC_EXCHANGE) {
		const struct rec_exchange *x = &r->u.ex;
		add(log, cap, "EX %s|", x->verb ? x->verb : "-");
		str(log, cap, x->cmd);
		add(log, cap, "|%d|", x->code);
		str(log, cap, x->reply);
		add(log, cap, "%s%s%s\n", x->pipelined ? "|P" : "", x->status ? "|" : "",
		    x->status ? x->status : "");
	} else if (r->kind == REC_MESSAGE) {
		const struct rec_message *m = &r->u.msg;
		if (m->role != RR_TRANSFER) {
			/* POP3, IMAP: who, where, which, and how whole */
			add(log, cap, "MSG %s user=", m->how);
			str(log, cap, m->user);
			add(log, cap, " mailbox=");
			str(log, cap, m->mailbox);
			add(log, cap, " which=");
			str(log, cap, m->which);
			add(log, cap, " code=%d%s%s [", m->code, m->incomplete ? " INCOMPLETE" : "",
			    m->partial ? " PARTIAL" : "");
			str(log, cap, m->data);
			add(log, cap, "]\n");
			return;
		}
		add(log, cap, "MSG %s from=", m->how);
		str(log, cap, m->mail_from);
		add(log, cap, " to=");
		for (size_t i = 0; i < m->nrcpt; i++) {
			str(log, cap, m->rcpt[i]);
			add(log, cap, i + 1 < m->nrcpt ? "," : "");
		}
		add(log, cap, " helo=");
		str(log, cap, m->helo);
		add(log, cap, " q=");
		str(log, cap, m->queue_id);
		add(log, cap, " code=%d%s%s", m->code, m->incomplete ? " INCOMPLETE" : "",
		    m->start_unseen ? " NO354" : "");
		for (size_t i = 0; i < m->ndeliveries; i++) {
			add(log, cap, " %s%d:", i ? "" : "lmtp=", m->deliveries[i].code);
			str(log, cap, m->deliveries[i].rcpt);
		}
		add(log, cap, " [");
		str(log, cap, m->data);
		add(log, cap, "]\n");
	} else if (r->kind == REC_NOTE) {
		add(log, cap, "NOTE %s|", r->u.note.what);
		str(log, cap, r->u.note.detail);
		add(log, cap, "\n");
	} else if (r->kind == REC_DNS) {
		const struct rec_dns *d = &r->u.dns;
		add(log, cap, "DNS %s%s%s%s %s\n", d->query ? "Q" : "-", d->response ? "R" : "-",
		    d->tcp ? " tcp" : "", d->malformed ? " malformed:" : "",
		    d->malformed ? d->malformed : "");
	}
}
