/* pop3.c - the POP3 dissector: every command and response, USER/PASS and
 * APOP with the secret masked, AUTH through the shared SASL decoder, STLS,
 * and the message of every RETR (and the part of every TOP) byte for byte
 * (RFC 1939; 2449 CAPA and PIPELINING; 5034 AUTH; 1734 2 bare AUTH; 2595
 * STLS).
 *
 * Commands wait in a queue until their responses come, in order (RFC 2449
 * 6.6). Whether a +OK opens a multi-line response depends only on the
 * command it answers (RFC 1939 3), so the queue decides: the line engine
 * then reads up to CRLF "." CRLF with the dot-stuffing taken out, which
 * leaves a RETR's bytes as the maildrop holds them.
 *
 * After a gap in a multi-line response its end may have been lost: the
 * rest is read line by line, and it ends at a "." line or at the next
 * status line once another command waits (RFC 1939 3: a server speaks only
 * when asked). The message is then marked incomplete.
 *
 * The queue, the line engines, how a command splits and what is shown are
 * the session engine's (pingpong.h).
 */
#include "pop3.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "message.h"
#include "msgmem.h"
#include "pingpong.h"
#include "probe.h"
#include "record.h"
#include "word.h"

#define LIST_LINES 100 /* lines of a listing (LIST, UIDL, CAPA) put in its reply */

enum kind {
	K_OTHER,
	K_USER,
	K_PASS,
	K_APOP,
	K_AUTH,      /* AUTH mechanism, and each SASL response after a "+" */
	K_AUTH_LIST, /* AUTH alone: the mechanisms, multi-line (RFC 1734 2) */
	K_CAPA,
	K_LIST,
	K_UIDL,
	K_RETR,
	K_TOP,
	K_STLS,
	K_QUIT,
	K_GAP, /* stands for commands lost in a gap */
};

enum status { ST_NONE, ST_OK, ST_ERR, ST_CONT };

enum body {
	B_NONE,  /* between responses */
	B_DOT,   /* a multi-line response, read by the line engine's LP_DOTDATA */
	B_LINES, /* the same after a gap: line by line, un-stuffed here */
};

struct pop3 {
	struct pingpong pp;
	const struct ss_flow *f;
	const struct dissect_opts *o;
	/* the multi-line response being read */
	enum body body;
	struct pp_cmd cur; /* the command it answers */
	struct buf status; /* its status line, as shown */
	int64_t status_ts;
	uint64_t status_frame;
	struct buf data; /* RETR/TOP: the message; else the listing, capped at --max-line */
	int is_msg, incomplete, too_big;
	uint64_t lines; /* listing: its lines in all */
	int64_t end_ts;
	uint64_t end_frame;
	/* the session */
	int greeted, quit;
	enum pp_auth in_auth;
	int resync;                              /* a gap may have taken responses */
	struct buf user;                         /* the name USER or APOP gave */
	struct buf login;                        /* who logged in */
	uint64_t msg_bare_lf, first_msg_bare_lf; /* bare LFs inside messages */
	int64_t first_msg_bare_lf_ts;
};

enum {
	SAID_BEFORE_GREETING,
	SAID_AFTER_QUIT,
	SAID_NO_CMD,
	SAID_TOO_BIG,
	SAID_BAD_LINE,
	SAID_PIPE_FULL,
	SAID_MSGMEM,
};

static void say(struct pop3 *s, int once, enum ss_dir d, uint64_t frame, int64_t ts,
                const char *what, const char *detail)
{
	pp_say(&s->pp, once, d, frame, ts, what, detail);
}

/* A message's storage is counted against --max-messages-mem (msgmem.h); a
 * listing's is bounded by --max-line and counted in --max-held-mem. */
static void data_free(struct pop3 *s)
{
	if (s->is_msg)
		msgmem_end(&s->data, NULL);
	else
		buf_free(&s->data);
}

/* --- records -------------------------------------------------------------- */

static void exchange(struct pop3 *s, const struct pp_cmd *p, const uint8_t *reply, size_t rlen,
                     enum status st, int64_t ts, uint64_t frame)
{
	pp_exchange(&s->pp, p, reply, rlen,
	            st == ST_NONE  ? -1
	            : st == ST_ERR ? 0
	                           : 1,
	            st == ST_OK     ? "+OK"
	            : st == ST_ERR  ? "-ERR"
	            : st == ST_CONT ? "+"
	                            : NULL,
	            ts, frame);
}

#define notef(s, what, ts, frame, ...) pp_note(&(s)->pp, what, ts, frame, __VA_ARGS__)

/* The message of a RETR or TOP: the bytes of the multi-line response,
 * un-stuffed, without the "." line that ended it (RFC 1939 7). */
static void message_out(struct pop3 *s)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = s->f;
	struct rec_message *m = &r.u.msg;
	m->p = RP_POP3;
	m->role = RR_RETRIEVAL;
	m->proto = "pop3";
	m->how = s->cur.kind == K_TOP ? "TOP" : "RETR";
	m->number = record_message_number();
	m->data = (struct ss_str){s->data.p, s->data.len};
	m->incomplete = s->incomplete || s->too_big;
	m->partial = s->cur.kind == K_TOP;
	m->code = 1;
	m->reply = (struct ss_str){s->status.p, s->status.len};
	m->user = (struct ss_str){s->login.p, s->login.len};
	/* POP3 has one maildrop (RFC 1939 1); servers serve the INBOX. */
	m->mailbox = (struct ss_str){(const uint8_t *)"INBOX", 5};
	m->which = (struct ss_str){pp_text_of(&s->cur.arg), s->cur.arg.len};
	m->ts_start = s->status_ts;
	m->frame_start = s->status_frame;
	m->ts_end = s->end_ts;
	m->frame_end = s->end_frame;
	struct msg parsed;
	m->msg = msg_parse(&parsed, s->data.p ? s->data.p : (const uint8_t *)"", s->data.len)
	             ? NULL
	             : &parsed;
	record_emit(&r);
	if (m->msg) {
		if (parsed.bare_lf && !s->msg_bare_lf) {
			s->first_msg_bare_lf = s->status_frame;
			s->first_msg_bare_lf_ts = s->status_ts;
		}
		s->msg_bare_lf += parsed.bare_lf;
		msg_free(&parsed);
	}
}

/* A listing's reply: the status line, then its lines (at most LIST_LINES,
 * each escaped), joined by "\n". */
static void listing_out(struct pop3 *s)
{
	struct buf b;
	buf_init(&b, s->status.len + s->o->caps->max_line + 64);
	if (buf_add(&b, s->status.p, s->status.len) == 0) {
		const uint8_t *p = s->data.p, *end = p ? p + s->data.len : NULL;
		uint64_t shown = 0;
		while (p && p < end && shown < LIST_LINES) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl && s->too_big)
				break; /* a line the cap cut */
			const uint8_t *e = nl ? nl : end;
			size_t k = (size_t)(e - p);
			if (nl && k && p[k - 1] == '\r')
				k--;
			if (buf_add(&b, "\n", 1) || escape_add(&b, p, k))
				break;
			shown++;
			p = nl ? nl + 1 : end;
		}
		uint64_t all = s->lines > shown ? s->lines : shown;
		if (all > shown || s->too_big) {
			char t[64];
			int k = snprintf(t, sizeof t, "\n[%llu more line%s]",
			                 (unsigned long long)(all - shown),
			                 all - shown == 1 ? "" : "s");
			if (buf_add(&b, t, (size_t)k))
				buf_reset(&b); /* cannot happen: room was made for it */
		}
	}
	exchange(s, &s->cur, b.p, b.len, ST_OK, s->status_ts, s->status_frame);
	buf_free(&b);
}

/* The multi-line response has ended (or the flow did). */
static void body_end(struct pop3 *s, int64_t ts, uint64_t frame)
{
	s->end_ts = ts;
	s->end_frame = frame;
	if (s->is_msg) {
		message_out(s);
		exchange(s, &s->cur, s->status.p, s->status.len, ST_OK, s->status_ts,
		         s->status_frame);
	} else {
		listing_out(s);
	}
	pp_cmd_free(&s->cur);
	data_free(s);
	buf_reset(&s->status);
	s->body = B_NONE;
	if (s->pp.lp[SS_S2C].mode == LP_DOTDATA)
		lineproto_set(&s->pp.lp[SS_S2C], LP_LINE, 0);
}

/* "+OK n octets": how servers answer RETR (RFC 1939 7's example), so the
 * body of an unseen command that got it is taken for a message. */
static int octets(const uint8_t *p, size_t n)
{
	size_t i = 3;
	while (i < n && p[i] == ' ')
		i++;
	size_t d = i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return d > 3 && i > d && i + 7 <= n && p[i] == ' ' && ascii_upper(p[i + 1]) == 'O' &&
	       ascii_upper(p[i + 2]) == 'C' && ascii_upper(p[i + 3]) == 'T' &&
	       ascii_upper(p[i + 4]) == 'E' && ascii_upper(p[i + 5]) == 'T' &&
	       ascii_upper(p[i + 6]) == 'S';
}

static void body_begin(struct pop3 *s, struct pp_cmd *p, const uint8_t *line, size_t n, int64_t ts,
                       uint64_t frame)
{
	s->cur = *p;
	data_free(s);
	s->is_msg = p->kind == K_RETR || p->kind == K_TOP || (p->kind == K_GAP && octets(line, n));
	s->incomplete = s->too_big = 0;
	s->lines = 0;
	buf_init(&s->data, s->is_msg ? s->o->caps->max_message : s->o->caps->max_line);
	if (s->is_msg)
		msgmem_begin(&s->data, s->o->caps->max_messages_mem, NULL);
	else
		buf_count(&s->data, &ss_held);
	buf_reset(&s->status);
	if (escape_add(&s->status, line, n))
		say(s, -1, SS_S2C, frame, ts, "reply_too_long",
		    "a status line longer than --max-line; the rest is not shown");
	s->status_ts = ts;
	s->status_frame = frame;
	s->body = B_DOT;
	lineproto_set(&s->pp.lp[SS_S2C], LP_DOTDATA, 0);
}

static void body_add(struct pop3 *s, const uint8_t *p, size_t n, uint64_t frame, int64_t ts)
{
	if (!n)
		return;
	if (!s->is_msg) {
		for (const uint8_t *q = memchr(p, '\n', n); q;
		     q = memchr(q + 1, '\n', n - (size_t)(q + 1 - p)))
			s->lines++;
	}
	if (s->too_big)
		return;
	size_t room = s->data.cap - s->data.len, k = n < room ? n : room;
	int res = s->is_msg ? (int)msgmem_add(&s->data, s->o->caps->max_messages_mem, p, k)
	                    : buf_add(&s->data, p, k);
	if (s->is_msg && res == MSGMEM_SHARED) {
		s->too_big = 1;
		say(s, SAID_MSGMEM, SS_S2C, frame, ts, "messages_mem",
		    "the messages being collected passed --max-messages-mem; what this one kept "
		    "is marked incomplete");
	} else if (res || n > room) {
		/* Kept up to the cap, however the bytes came in segments. */
		s->too_big = 1;
		if (s->is_msg)
			say(s, SAID_TOO_BIG, SS_S2C, frame, ts, "message_too_big",
			    "a message over --max-message; what was kept is marked incomplete");
	}
}

/* B_LINES: one line of a multi-line response after a gap, un-stuffed as
 * the line engine would have (RFC 1939 3). */
static void body_line(struct pop3 *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (n && p[0] == '.') {
		p++;
		n--;
	}
	body_add(s, p, n, it->frame, it->ts);
	if (it->eol == LP_EOL_CRLF)
		body_add(s, (const uint8_t *)"\r\n", 2, it->frame, it->ts);
	else if (it->eol == LP_EOL_LF)
		body_add(s, (const uint8_t *)"\n", 1, it->frame, it->ts);
}

/* --- the queue of commands awaiting responses ------------------------------ */

static struct pp_cmd *front(const struct pop3 *s)
{
	return pp_nth(&s->pp, 0);
}

static struct pp_cmd *push(struct pop3 *s, enum kind kind, const uint8_t *verb, size_t vlen,
                           const struct lp_item *it)
{
	struct pp_cmd *p = pp_push(&s->pp, (int)kind, verb, vlen, it);
	/* After a gap in the responses, what still waits may have been
	 * answered in it: not taken for pipelining. */
	if (p)
		p->pipelined = !s->resync && (pp_waiting(&s->pp) > 1 || s->body == B_DOT);
	return p;
}

static void pop(struct pop3 *s, struct pp_cmd *out)
{
	pp_pop(&s->pp, out);
}

/* A command the full queue pushed out: shown without its response. */
static void unanswered_full(struct pingpong *pp, struct pp_cmd *c)
{
	pp_say(pp, SAID_PIPE_FULL, SS_C2S, c->frame, c->ts, "pipeline_full",
	       "more commands without responses than --max-pipeline; the oldest are shown "
	       "without their responses");
	pp_no_reply(pp, c, LIT("[no response seen: over --max-pipeline]"));
}

/* --- the client's side ----------------------------------------------------- */

/* RFC 1939 and its extensions' commands. */
static const struct pp_word verbs[] = {
    PP_WORD("USER"), PP_WORD("PASS"), PP_WORD("APOP"), PP_WORD("AUTH"), PP_WORD("CAPA"),
    PP_WORD("LIST"), PP_WORD("UIDL"), PP_WORD("RETR"), PP_WORD("TOP"),  PP_WORD("STLS"),
    PP_WORD("QUIT"), PP_WORD("STAT"), PP_WORD("DELE"), PP_WORD("NOOP"), PP_WORD("RSET"),
    PP_WORD("LAST"), PP_WORD("UTF8")};

static void client_line(struct pop3 *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (it->cut == LP_CUT_LONG)
		say(s, -1, SS_C2S, it->frame, it->ts, "line_too_long",
		    "a command line over --max-line: cut there, the rest skipped");
	if (!s->greeted && !s->f->midstream)
		say(s, SAID_BEFORE_GREETING, SS_C2S, it->frame, it->ts, "data_before_greeting",
		    "the client spoke before the server's greeting (RFC 1939 4)");
	if (s->quit)
		say(s, SAID_AFTER_QUIT, SS_C2S, it->frame, it->ts, "command_after_quit",
		    "the client sent more after QUIT");
	if (pp_sasl_line(s->in_auth, p, n, verbs, sizeof verbs / sizeof verbs[0])) {
		/* A SASL response to the server's "+" challenge (RFC 5034 4). */
		struct pp_cmd *q = push(s, K_AUTH, (const uint8_t *)"AUTH", 4, it);
		if (q)
			pp_show_sasl(&s->pp, q, p, n, 0, 0);
		return;
	}
	s->in_auth = PP_AUTH_NONE;
	struct pp_words w;
	pp_split(p, n, &w);
	size_t a = w.args; /* the arguments start here */
	int noarg = a == n;
	static const struct {
		const char *w;
		size_t len;
		enum kind kind;
	} cmds[] = {
	    {LIT("USER"), K_USER}, {LIT("PASS"), K_PASS}, {LIT("APOP"), K_APOP},
	    {LIT("AUTH"), K_AUTH}, {LIT("CAPA"), K_CAPA}, {LIT("LIST"), K_LIST},
	    {LIT("UIDL"), K_UIDL}, {LIT("RETR"), K_RETR}, {LIT("TOP"), K_TOP},
	    {LIT("STLS"), K_STLS}, {LIT("QUIT"), K_QUIT},
	};
	enum kind kind = K_OTHER;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (word_is(p + w.verb, w.verb_len, cmds[i].w, cmds[i].len))
			kind = cmds[i].kind;
	if (kind == K_AUTH && noarg)
		kind = K_AUTH_LIST;
	struct pp_cmd *q = push(s, kind, p + w.verb, w.verb_len, it);
	if (!q)
		return;
	q->flag = kind == K_AUTH_LIST || kind == K_CAPA || kind == K_RETR || kind == K_TOP ||
	          ((kind == K_LIST || kind == K_UIDL) && noarg);
	int show = s->o->show_secrets;
	switch (kind) {
	case K_AUTH:
		pp_show_sasl(&s->pp, q, p, n, a, 1);
		s->in_auth = PP_AUTH_LIKELY;
		return;
	case K_PASS: /* PASS string: all of it, spaces too (RFC 1939 7) */
		pp_show_masked(q, p, n, a, show);
		return;
	case K_APOP: {
		/* APOP name digest (RFC 1939 7): the digest stands for the secret. */
		size_t e = a;
		while (e < n && !pp_space(p[e]))
			e++;
		pp_text_set(&q->arg, p + a, e - a);
		while (e < n && pp_space(p[e]))
			e++;
		pp_show_masked(q, p, n, e, show);
		return;
	}
	case K_USER:
		pp_text_set(&q->arg, p + a, n - a);
		break;
	case K_RETR:
	case K_TOP: {
		struct buf b;
		buf_init(&b, n * 4 + 8);
		if (buf_add(&b, q->verb, kind == K_TOP ? 3 : 4) || buf_add(&b, " ", 1) ||
		    escape_add(&b, p + a, n - a))
			buf_reset(&b);
		pp_text_take(&q->arg, &b);
		break;
	}
	default:
		break;
	}
	pp_show(q, p, n);
}

static void server_item(void *ctx, const struct lp_item *it); /* TLS: it reads on */

static void client_item(void *ctx, const struct lp_item *it)
{
	struct pop3 *s = ctx;
	if (it->kind == LP_ITEM_LINE)
		client_line(s, it);
	else if (it->kind == LP_ITEM_OPAQUE)
		pp_opaque(&s->pp, SS_C2S, it);
}

/* --- the server's side ----------------------------------------------------- */

/* RFC 1939 3: "+OK" or "-ERR", then a space and text, or nothing; RFC 5034
 * 4: "+" and a space, or "+" alone, is a SASL continuation. */
static enum status status_of(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == '+' && ascii_upper(p[1]) == 'O' && ascii_upper(p[2]) == 'K' &&
	    (n == 3 || p[3] == ' ' || p[3] == '['))
		return ST_OK;
	if (n >= 4 && p[0] == '-' && ascii_upper(p[1]) == 'E' && ascii_upper(p[2]) == 'R' &&
	    ascii_upper(p[3]) == 'R' && (n == 4 || p[4] == ' ' || p[4] == '['))
		return ST_ERR;
	if (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' '))
		return ST_CONT;
	return ST_NONE;
}

static void lost_reply(struct pop3 *s, int64_t ts, uint64_t fr)
{
	struct pp_cmd p;
	pop(s, &p);
	static const char lost[] = "[the response was in a gap]";
	exchange(s, &p, (const uint8_t *)lost, sizeof lost - 1, ST_NONE, ts, fr);
	pp_cmd_free(&p);
}

/* A status line answers the oldest command waiting: act on it. */
static void status_line(struct pop3 *s, const struct lp_item *it, enum status st)
{
	const uint8_t *line = it->p;
	size_t n = it->len;
	if (s->resync) {
		/* After a gap in the responses: a client that waits for each
		 * response before the next command has all but the newest command
		 * answered in the gap. */
		while (pp_waiting(&s->pp) > 1)
			lost_reply(s, it->ts, it->frame);
		s->resync = 0;
	}
	if (st == ST_CONT && front(s)->kind != K_AUTH) {
		say(s, SAID_BAD_LINE, SS_S2C, it->frame, it->ts, "bad_reply_line",
		    "a \"+\" continuation that answers no AUTH (RFC 5034 4)");
		return;
	}
	struct pp_cmd p;
	pop(s, &p);
	if (st == ST_CONT) {
		/* A challenge is base64: show what it says beside it. */
		struct buf b;
		buf_init(&b, n * 4 + 16);
		if (escape_add(&b, line, n) == 0 && n > 2 && buf_add(&b, " (", 2) == 0) {
			sasl_challenge(&s->pp.sasl, line + 2, n - 2, &b);
			if (buf_add(&b, ")", 1))
				buf_reset(&b);
		}
		exchange(s, &p, b.p, b.len, ST_CONT, it->ts, it->frame);
		buf_free(&b);
		s->in_auth = PP_AUTH_SURE;
		pp_cmd_free(&p);
		return;
	}
	if (p.kind == K_AUTH)
		s->in_auth = PP_AUTH_NONE;
	if (st == ST_OK && p.flag) {
		body_begin(s, &p, line, n, it->ts, it->frame);
		return;
	}
	struct buf b;
	buf_init(&b, n * 4 + 16);
	if (escape_add(&b, line, n))
		say(s, -1, SS_S2C, it->frame, it->ts, "reply_too_long",
		    "a status line longer than --max-line; the rest is not shown");
	exchange(s, &p, b.p, b.len, st, it->ts, it->frame);
	buf_free(&b);
	int ok = st == ST_OK;
	switch (p.kind) {
	case K_USER:
		buf_set(&s->user, pp_text_of(&p.arg), p.arg.len);
		break;
	case K_APOP: /* logs in at once (RFC 1939 7) */
	case K_PASS:
		if (p.kind == K_APOP)
			buf_set(&s->user, pp_text_of(&p.arg), p.arg.len);
		if (ok) {
			buf_set(&s->login, s->user.p, s->user.len);
			char u[128];
			escape_str(u, sizeof u, s->user.p, s->user.len);
			notef(s, "login", it->ts, it->frame, "%s logged in with %s",
			      u[0] ? u : "(someone)", p.kind == K_APOP ? "APOP" : "USER/PASS");
		}
		break;
	case K_AUTH:
		if (ok) {
			const char *z = memchr(s->pp.sasl.user, 0, sizeof s->pp.sasl.user);
			buf_set(&s->login, s->pp.sasl.user,
			        z ? (size_t)(z - s->pp.sasl.user) : sizeof s->pp.sasl.user);
			notef(s, "login", it->ts, it->frame, "%s logged in with %s",
			      s->pp.sasl.user[0] ? s->pp.sasl.user : "(someone)", s->pp.sasl.mech);
		}
		break;
	case K_STLS:
		if (ok) {
			pp_start_tls(&s->pp, client_item, server_item, s);
			notef(s, "tls", it->ts, it->frame,
			      "STLS accepted: the rest of the session is TLS");
		}
		break;
	case K_QUIT:
		s->quit = 1;
		break;
	default:
		break;
	}
	pp_cmd_free(&p);
}

static int may_have_body(enum kind k)
{
	return k == K_RETR || k == K_TOP || k == K_CAPA || k == K_LIST || k == K_UIDL ||
	       k == K_AUTH_LIST || k == K_GAP;
}

static void server_line(struct pop3 *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (it->cut == LP_CUT_LONG && s->body != B_LINES)
		say(s, -1, SS_S2C, it->frame, it->ts, "line_too_long",
		    "a response line over --max-line: cut there, the rest skipped");
	enum status st = status_of(p, n);
	if (s->body == B_LINES) {
		if (n == 1 && p[0] == '.' && it->eol != LP_EOL_NONE) {
			body_end(s, it->ts, it->frame);
			return;
		}
		if (st == ST_NONE || !pp_waiting(&s->pp)) {
			body_line(s, it);
			return;
		}
		body_end(s, it->ts, it->frame); /* its end was in the gap */
	}
	if (st == ST_NONE) {
		if (s->resync && s->greeted && pp_waiting(&s->pp) &&
		    may_have_body(front(s)->kind)) {
			/* The status line was in the gap: this is its body. */
			struct pp_cmd q;
			pop(s, &q);
			static const char lost[] = "[the status line was in a gap]";
			body_begin(s, &q, (const uint8_t *)lost, sizeof lost - 1, it->ts,
			           it->frame);
			lineproto_set(&s->pp.lp[SS_S2C], LP_LINE, 0);
			s->body = B_LINES;
			s->incomplete = 1;
			s->resync = 0;
			body_line(s, it);
			return;
		}
		say(s, SAID_BAD_LINE, SS_S2C, it->frame, it->ts, "bad_reply_line",
		    "a server line that is not +OK, -ERR or a continuation (RFC 1939 3)");
		return;
	}
	if (!s->greeted && s->f->midstream && !pp_waiting(&s->pp) && st == ST_OK) {
		/* Picked up mid-way: this answers a command from before the
		 * capture, and a body may follow; read it as after a gap. */
		struct lp_item at = *it;
		struct pp_cmd *q = push(s, K_GAP, (const uint8_t *)"", 0, &at);
		static const char before[] = "[a command from before the capture]";
		if (q) {
			pp_text_set(&q->shown, before, sizeof before - 1);
		}
	}
	if (!s->greeted && (!pp_waiting(&s->pp) || !s->f->midstream)) {
		s->greeted = 1;
		struct buf b;
		buf_init(&b, n * 4 + 16);
		if (escape_add(&b, p, n))
			buf_reset(&b);
		exchange(s, NULL, b.p, b.len, st, it->ts, it->frame);
		buf_free(&b);
		return;
	}
	s->greeted = 1;
	if (!pp_waiting(&s->pp)) {
		say(s, SAID_NO_CMD, SS_S2C, it->frame, it->ts, "reply_without_command",
		    "a response that answers no command seen");
		struct buf b;
		buf_init(&b, n * 4 + 16);
		if (escape_add(&b, p, n))
			buf_reset(&b);
		exchange(s, NULL, b.p, b.len, st, it->ts, it->frame);
		buf_free(&b);
		return;
	}
	if (front(s)->kind == K_GAP && st == ST_OK) {
		/* The command was lost: whether a body follows is unknown, so
		 * read on line by line; the next status line or "." ends it. */
		struct pp_cmd q;
		pop(s, &q);
		body_begin(s, &q, p, n, it->ts, it->frame);
		lineproto_set(&s->pp.lp[SS_S2C], LP_LINE, 0);
		s->body = B_LINES;
		return;
	}
	status_line(s, it, st);
}

static void server_item(void *ctx, const struct lp_item *it)
{
	struct pop3 *s = ctx;
	switch (it->kind) {
	case LP_ITEM_LINE:
		server_line(s, it);
		break;
	case LP_ITEM_DATA:
		body_add(s, it->p, it->len, it->frame, it->ts);
		if (it->last)
			body_end(s, it->ts, it->frame);
		break;
	case LP_ITEM_OPAQUE:
		pp_opaque(&s->pp, SS_S2C, it);
		break;
	case LP_ITEM_OCTETS:
		break;
	}
}

/* --- the ss_proto callbacks ------------------------------------------------ */

static void *pop3_open(const struct ss_flow *f, void *ctx)
{
	const struct dissect_opts *o = ctx;
	struct pop3 *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->o = o;
	pp_init(&s->pp, f, o, RP_POP3, unanswered_full, s);
	buf_init(&s->status, o->caps->max_line);
	buf_count(&s->status, &ss_held);
	buf_init(&s->data, o->caps->max_line);
	buf_count(&s->data, &ss_held);
	buf_init(&s->user, 256);
	buf_init(&s->login, 256);
	return s;
}

/* As SMTP's (smtp.c): what the engine holds, and the multi-line response
 * being read (its command's time, or its status line's) with its bare
 * LFs; unsure while a gap may have taken responses, or bytes are left
 * over (not whole). */
static void open_since(struct pop3 *s, const struct ss_pos *at, int whole)
{
	int64_t t = whole && !s->resync ? pp_open_since(&s->pp, at) : INT64_MIN;
	if (t != INT64_MIN) {
		if (s->body != B_NONE) {
			if (s->cur.frame)
				pp_earlier(&t, s->cur.ts);
			if (s->status_frame)
				pp_earlier(&t, s->status_ts);
		}
		if (s->msg_bare_lf)
			pp_earlier(&t, s->first_msg_bare_lf_ts);
	}
	pp_say_open_since(&s->pp, t, at);
}

static size_t pop3_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct pop3 *s = st;
	if (!s)
		return n;
	size_t used = pp_feed(&s->pp, d, p, n, at, d == SS_C2S ? client_item : server_item, s);
	open_since(s, at, used == n);
	return used;
}

static void gap_read(struct pop3 *s, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (pp_tls_gap(&s->pp, d, len, at))
		return; /* TLS: its parser resynchronises */
	struct lineproto *lp = &s->pp.lp[d];
	char why[160];
	if (d == SS_C2S) {
		lineproto_flush(lp, client_item, s);
		/* Commands may be lost: a placeholder takes the next response. */
		struct lp_item it = {LP_ITEM_LINE, NULL,      0,     LP_EOL_NONE, 0, 0,
		                     at->off,      at->frame, at->ts};
		struct pp_cmd *q = push(s, K_GAP, (const uint8_t *)"", 0, &it);
		if (q) {
			char t[64];
			int k =
			    snprintf(t, sizeof t, "[%llu bytes missing]", (unsigned long long)len);
			pp_text_set(&q->shown, t, (size_t)k);
		}
		snprintf(why, sizeof why,
		         "%llu bytes of commands are missing: responses may pair with the wrong "
		         "command until the session settles",
		         (unsigned long long)len);
	} else {
		lineproto_flush(lp, server_item, s);
		/* Commands seen since may have come after responses in the hole
		 * (the capture shows a lost tail only when the peer's ACK or its
		 * next bytes reveal it): not taken for pipelining. */
		for (size_t i = 0; i < pp_waiting(&s->pp); i++)
			pp_nth(&s->pp, i)->pipelined = 0;
		if (s->body != B_NONE) {
			/* The end of this response may be in the hole. */
			s->incomplete = 1;
			s->body = B_LINES;
			lineproto_set(lp, LP_LINE, 0);
			snprintf(why, sizeof why,
			         "%llu bytes of a multi-line response are missing%s",
			         (unsigned long long)len,
			         s->is_msg ? ": the message is incomplete" : "");
		} else {
			s->resync = 1;
			snprintf(why, sizeof why, "%llu bytes of responses are missing%s",
			         (unsigned long long)len,
			         s->greeted ? "" : ": the greeting was among them");
			s->greeted = 1; /* the next response answers a command */
		}
	}
	ss_eventf("pop3", "gap", at->frame, at->ts, s->f->id, d, "%s", why);
}

static void pop3_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct pop3 *s = st;
	if (!s)
		return;
	gap_read(s, d, len, at);
	open_since(s, at, 1);
}

static void pop3_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f;
	struct pop3 *s = st;
	if (!s)
		return;
	lineproto_flush(&s->pp.lp[SS_C2S], client_item, s);
	lineproto_flush(&s->pp.lp[SS_S2C], server_item, s);
	if (s->body != B_NONE) {
		s->incomplete = 1; /* the "." line never came */
		body_end(s, at->ts, at->frame);
	}
	while (pp_waiting(&s->pp)) {
		struct pp_cmd p;
		pop(s, &p);
		exchange(s, &p, NULL, 0, ST_NONE, 0, 0);
		pp_cmd_free(&p);
	}
	pp_close(&s->pp, "RFC 1939 3", at);
	if (s->msg_bare_lf)
		ss_eventf(
		    "pop3", "bare_lf", s->first_msg_bare_lf, s->first_msg_bare_lf_ts, s->f->id,
		    SS_S2C,
		    "%llu lines of retrieved messages end in a bare LF (RFC 1939 3), first in "
		    "frame %llu",
		    (unsigned long long)s->msg_bare_lf, (unsigned long long)s->first_msg_bare_lf);
	buf_free(&s->status);
	data_free(s);
	buf_free(&s->user);
	buf_free(&s->login);
	free(s);
}

const struct ss_proto *pop3_proto(const struct dissect_opts *o)
{
	static struct ss_proto p = {"pop3",   probe_pop3, port_pop3,  pop3_open, pop3_data,
	                            pop3_gap, NULL,       pop3_close, NULL};
	p.ctx = (void *)o;
	return &p;
}
