/* smtp.c - the SMTP dissector: every command and reply, the envelope, the
 * message of every transaction byte for byte, AUTH with the secret masked,
 * STARTTLS, and the anomalies of a session (RFC 5321; 2920 PIPELINING; 3030
 * CHUNKING/BDAT; 2034 enhanced status codes; 4954 AUTH; 3207 STARTTLS;
 * Postfix XCLIENT/XFORWARD).
 *
 * Commands wait in a queue until their replies come, in order, which is how
 * pipelined batches are matched (RFC 2920 3.1). Reassembly hands a reply
 * over only after the commands it acknowledges, so the queue is never behind.
 */
#include "smtp.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "fifo.h"
#include "lineproto.h"
#include "message.h"
#include "probe.h"
#include "record.h"
#include "sasl.h"
#include "word.h"

#define MAX_RCPT 1000 /* RFC 5321 4.5.3.1.8 asks for 100; kept beyond are counted */

enum kind {
	K_OTHER,
	K_HELO,
	K_MAIL,
	K_RCPT,
	K_DATA,
	K_DATA_END, /* the "." that ends a message: its reply accepts it */
	K_BDAT,
	K_STARTTLS,
	K_AUTH, /* AUTH, and each SASL response after a 334 */
	K_QUIT,
	K_RSET,
	K_GAP, /* stands for commands lost in a gap */
};

/* A command's text, in the command itself when it is short (most are: a
 * malloc and a free for each of half a million commands was a tenth of
 * the main thread's work), else on the heap. Read it with ptext_of(): a
 * struct pending is copied out of the queue. */
#define PENDING_INLINE 96
struct ptext {
	uint8_t *heap; /* NULL: the bytes are in in[] */
	size_t len;
	uint8_t in[PENDING_INLINE];
};

struct pending {
	enum kind kind;
	char verb[12];
	struct ptext shown; /* the command as shown: escaped, secrets masked */
	struct ptext arg;   /* MAIL/RCPT: the address; HELO/EHLO: the name */
	int last;           /* BDAT ... LAST */
	int pipelined;
	int64_t ts;
	uint64_t frame;
};

struct smtp {
	const struct ss_flow *f;
	const struct dissect_opts *o;
	struct lineproto lp[2];
	struct fifo q;    /* the queue of commands without a reply, a ring */
	struct buf reply; /* the reply being put together */
	int reply_code;
	int64_t reply_ts;
	uint64_t reply_frame;
	int reply_incomplete;
	int greeted, quit, tls, in_auth;
	int resync; /* a gap may have taken replies: pair by reply code where it tells */
	struct sasl sasl;
	/* the session and the transaction */
	struct buf helo, mail_from, queue_id;
	struct ss_str *rcpt;
	size_t nrcpt, rcpt_dropped;
	int in_tx;
	/* the message in progress */
	struct buf msg;
	int in_msg, msg_incomplete, msg_too_big;
	const char *how;
	int64_t msg_ts;
	uint64_t msg_frame, msg_frame_end;
	int64_t msg_ts_end;
	uint64_t opaque[2];
	int said[8];                               /* anomalies reported once per session */
	uint64_t data_bare_lf, first_data_bare_lf; /* bare LFs inside messages */
};

enum {
	SAID_BEFORE_GREETING,
	SAID_AFTER_QUIT,
	SAID_NO_CMD,
	SAID_PIPE_FULL,
	SAID_TOO_BIG,
	SAID_RCPTS
};

static const uint8_t *ptext_of(const struct ptext *t)
{
	return t->heap ? t->heap : t->in;
}

/* Sets t to p[0..n); a text that does not fit inline and finds no memory
 * is left empty. */
static void ptext_set(struct ptext *t, const void *p, size_t n)
{
	free(t->heap);
	t->heap = NULL;
	t->len = 0;
	if (n > sizeof t->in && !(t->heap = bytes_dup(p, n)))
		return;
	if (n)
		memcpy(t->heap ? t->heap : t->in, p, n);
	t->len = n;
}

/* Takes b's bytes (b is left without storage). */
static void ptext_take(struct ptext *t, struct buf *b)
{
	if (b->len <= sizeof t->in) {
		ptext_set(t, b->p, b->len);
		buf_free(b);
		return;
	}
	free(t->heap);
	t->heap = b->p;
	t->len = b->len;
	b->p = NULL;
	b->len = b->size = 0;
}

static void pending_release(struct pending *p)
{
	free(p->shown.heap);
	free(p->arg.heap);
}

static void say(struct smtp *s, int once, enum ss_dir d, uint64_t frame, int64_t ts,
                const char *what, const char *detail)
{
	if (once >= 0 && s->said[once]++)
		return;
	ss_eventf("smtp", what, frame, ts, s->f->id, d, "%s", detail);
}

/* --- the queue of commands awaiting replies ------------------------------ */

/* The k-th command still waiting, from the oldest. */
static struct pending *nth(const struct smtp *s, size_t k)
{
	return fifo_at(&s->q, k);
}

static struct pending *front(const struct smtp *s)
{
	return nth(s, 0);
}

static struct pending *push(struct smtp *s, enum kind kind, const uint8_t *verb, size_t vlen,
                            const struct lp_item *it)
{
	size_t max = s->o->caps->max_pipeline ? (size_t)s->o->caps->max_pipeline : 1;
	if (fifo_make_room(&s->q, max))
		return NULL;
	if (s->q.len == s->q.cap) {
		say(s, SAID_PIPE_FULL, SS_C2S, it->frame, it->ts, "pipeline_full",
		    "more commands without replies than --max-pipeline; the oldest is dropped");
		pending_release(fifo_at(&s->q, 0));
		fifo_pop(&s->q, NULL);
	}
	struct pending *p = fifo_push(&s->q);
	p->kind = kind;
	size_t k = vlen < sizeof p->verb - 1 ? vlen : sizeof p->verb - 1;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = ascii_upper(verb[i]);
		p->verb[i] = (char)(c > 0x20 && c < 0x7f ? c : '?');
	}
	p->pipelined = s->q.len > 1;
	p->ts = it->ts;
	p->frame = it->frame;
	return p;
}

static void pop(struct smtp *s, struct pending *out)
{
	fifo_pop(&s->q, out);
}

/* --- records -------------------------------------------------------------- */

static void exchange(struct smtp *s, const struct pending *p, const uint8_t *reply, size_t rlen,
                     int code, int64_t ts, uint64_t frame)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_EXCHANGE;
	r.flow = s->f;
	r.u.ex.proto = "smtp";
	r.u.ex.verb = p && p->verb[0] ? p->verb : NULL;
	if (p) {
		r.u.ex.cmd = (struct ss_str){ptext_of(&p->shown), p->shown.len};
		r.u.ex.ts_cmd = p->ts;
		r.u.ex.frame_cmd = p->frame;
		r.u.ex.pipelined = p->pipelined;
	}
	r.u.ex.reply = (struct ss_str){reply, rlen};
	r.u.ex.code = code;
	r.u.ex.ts_reply = ts;
	r.u.ex.frame_reply = frame;
	record_emit(&r);
}

static void note(struct smtp *s, const char *what, const char *detail, size_t len, int64_t ts,
                 uint64_t frame)
{
	record_note(s->f, "smtp", what, detail, len, ts, frame);
}

/* The queue id a server names in its reply to a message: Postfix "queued
 * as X", Exim "id=X", Exchange "InternalId=X", Sendmail "X Message accepted".
 */
static void find_queue_id(struct smtp *s, const uint8_t *p, size_t n)
{
	static const struct {
		const char *key;
		size_t len;
	} keys[] = {{LIT("QUEUED AS ")}, {LIT("ID=")}, {LIT("INTERNALID=")}};
	buf_reset(&s->queue_id);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			if (!word_starts(p + i, n - i, keys[k].key, keys[k].len) ||
			    (i && p[i - 1] != ' ' && p[i - 1] != '[' && p[i - 1] != '('))
				continue;
			size_t a = i + keys[k].len, b = a;
			while (b < n && p[b] != ' ' && p[b] != ',' && p[b] != ']' && p[b] != ')' &&
			       p[b] != '\n')
				b++;
			if (b > a) {
				buf_set(&s->queue_id, p + a, b - a);
				return;
			}
		}
	}
	/* Sendmail: "250 2.0.0 x8AB12345 Message accepted for delivery" */
	for (size_t i = 0; i + 17 <= n; i++) {
		if (!word_starts(p + i, n - i, LIT(" MESSAGE ACCEPTED")))
			continue;
		size_t b = i, a = b;
		while (a > 0 && p[a - 1] != ' ')
			a--;
		if (b > a)
			buf_set(&s->queue_id, p + a, b - a);
		return;
	}
}

static void message_out(struct smtp *s, int code, const uint8_t *reply, size_t rlen, int64_t ts,
                        uint64_t frame)
{
	if (!s->in_msg)
		return;
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = s->f;
	struct rec_message *m = &r.u.msg;
	m->proto = "smtp";
	m->how = s->how;
	m->number = record_message_number();
	m->data = (struct ss_str){s->msg.p, s->msg.len};
	m->incomplete = s->msg_incomplete || s->msg_too_big;
	m->helo = (struct ss_str){s->helo.p, s->helo.len};
	m->mail_from = (struct ss_str){s->mail_from.p, s->mail_from.len};
	m->queue_id = (struct ss_str){s->queue_id.p, s->queue_id.len};
	m->code = code;
	m->reply = (struct ss_str){reply, rlen};
	m->rcpt = s->rcpt;
	m->nrcpt = s->nrcpt;
	m->ts_start = s->msg_ts;
	m->frame_start = s->msg_frame;
	m->ts_end = s->msg_ts_end ? s->msg_ts_end : ts;
	m->frame_end = s->msg_frame_end ? s->msg_frame_end : frame;
	struct msg parsed;
	m->msg = msg_parse(&parsed, s->msg.p ? s->msg.p : (const uint8_t *)"", s->msg.len)
	             ? NULL
	             : &parsed;
	record_emit(&r);
	if (m->msg) {
		/* The line engine leaves bare LFs inside messages to the parser. */
		if (parsed.bare_lf && !s->data_bare_lf)
			s->first_data_bare_lf = s->msg_frame;
		s->data_bare_lf += parsed.bare_lf;
		msg_free(&parsed);
	}
	s->in_msg = 0;
	/* An idle session does not sit on the storage: the next message, of
	 * this session or another, takes it from the pool. */
	bufpool_give(s->o->spare, &s->msg);
}

static void tx_clear(struct smtp *s)
{
	for (size_t i = 0; i < s->nrcpt; i++)
		free((void *)s->rcpt[i].p);
	s->nrcpt = s->rcpt_dropped = 0;
	buf_reset(&s->mail_from);
	s->in_tx = 0;
}

static void msg_begin(struct smtp *s, const char *how, int64_t ts, uint64_t frame)
{
	s->in_msg = 1;
	s->msg_incomplete = s->msg_too_big = 0;
	s->how = how;
	s->msg_ts = ts;
	s->msg_frame = frame;
	s->msg_ts_end = 0;
	s->msg_frame_end = 0;
	buf_reset(&s->msg);
	bufpool_take(s->o->spare, &s->msg);
	buf_reset(&s->queue_id);
}

static void msg_add(struct smtp *s, const struct lp_item *it)
{
	if (!s->in_msg || !it->len)
		return;
	if (!s->msg_frame) { /* DATA: the message starts with its first byte */
		s->msg_ts = it->ts;
		s->msg_frame = it->frame;
	}
	/* Past --max-message its first bytes are kept, exactly up to the cap. */
	size_t room = s->msg.cap - s->msg.len;
	if (!s->msg_too_big &&
	    (buf_add(&s->msg, it->p, it->len < room ? it->len : room) || it->len > room)) {
		s->msg_too_big = 1;
		say(s, SAID_TOO_BIG, SS_C2S, it->frame, it->ts, "message_too_big",
		    "a message over --max-message; what was kept is marked incomplete");
	}
}

/* --- the client's side ----------------------------------------------------- */

/* The address of MAIL FROM:<a> / RCPT TO:<a>, forgiving the lax forms real
 * clients send ("MAIL FROM: user1@a.test", extra spaces, no brackets). */
static void address(const uint8_t *p, size_t n, const uint8_t **a, size_t *alen)
{
	size_t i = 0;
	while (i < n && p[i] == ' ')
		i++;
	if (i < n && p[i] == '<') {
		size_t j = ++i;
		int quoted = 0;
		while (j < n && (quoted || p[j] != '>')) {
			if (p[j] == '"')
				quoted = !quoted;
			else if (p[j] == '\\' && j + 1 < n)
				j++;
			j++;
		}
		*a = p + i;
		*alen = j - i;
		return;
	}
	size_t j = i;
	while (j < n && p[j] != ' ')
		j++;
	*a = p + i;
	*alen = j - i;
}

static void shown_line(struct pending *p, const uint8_t *line, size_t n)
{
	if (escape_plain(line, n)) { /* as it came: no copy to escape into */
		ptext_set(&p->shown, line, n);
		return;
	}
	struct buf b;
	buf_init(&b, n * 4 + 16);
	if (escape_add(&b, line, n))
		buf_reset(&b);
	ptext_take(&p->shown, &b);
}

static void client_auth(struct smtp *s, struct pending *p, const uint8_t *line, size_t n, int first)
{
	struct buf b;
	buf_init(&b, n * 4 + 64);
	if (first) {
		/* AUTH mech [initial-response]; b has room for it */
		if (buf_add(&b, "AUTH ", 5) == 0)
			sasl_command(&s->sasl, line + 4, n - 4, s->o->show_secrets, &b);
	} else {
		sasl_response(&s->sasl, line, n, s->o->show_secrets, &b);
	}
	ptext_take(&p->shown, &b);
}

static void client_line(struct smtp *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (it->cut)
		say(s, -1, SS_C2S, it->frame, it->ts, "line_too_long",
		    "a command line over --max-line: cut there, the rest skipped");
	if (!s->greeted)
		say(s, SAID_BEFORE_GREETING, SS_C2S, it->frame, it->ts, "data_before_greeting",
		    "the client spoke before the server's greeting (RFC 5321 4.3.1)");
	if (s->quit)
		say(s, SAID_AFTER_QUIT, SS_C2S, it->frame, it->ts, "command_after_quit",
		    "the client sent more after QUIT");
	if (s->in_auth) {
		/* A SASL response to the server's 334 challenge. */
		struct pending *q = push(s, K_AUTH, (const uint8_t *)"AUTH", 4, it);
		if (q)
			client_auth(s, q, p, n, 0);
		return;
	}
	size_t v = 0;
	while (v < n && p[v] != ' ')
		v++;
	enum kind kind = K_OTHER;
	if (word_starts(p, v, LIT("EHLO")) || word_starts(p, v, LIT("HELO")) ||
	    word_starts(p, v, LIT("LHLO")))
		kind = v == 4 ? K_HELO : K_OTHER;
	else if (v == 4 && word_starts(p, n, LIT("MAIL")))
		kind = K_MAIL;
	else if (v == 4 && word_starts(p, n, LIT("RCPT")))
		kind = K_RCPT;
	else if (v == 4 && word_starts(p, n, LIT("DATA")))
		kind = K_DATA;
	else if (v == 4 && word_starts(p, n, LIT("BDAT")))
		kind = K_BDAT;
	else if (v == 8 && word_starts(p, n, LIT("STARTTLS")))
		kind = K_STARTTLS;
	else if (v == 4 && word_starts(p, n, LIT("AUTH")))
		kind = K_AUTH;
	else if (v == 4 && word_starts(p, n, LIT("QUIT")))
		kind = K_QUIT;
	else if (v == 4 && word_starts(p, n, LIT("RSET")))
		kind = K_RSET;
	struct pending *q = push(s, kind, p, v, it);
	if (!q)
		return;
	if (kind == K_AUTH) {
		client_auth(s, q, p, n, 1);
		s->in_auth = 1;
		return;
	}
	shown_line(q, p, n);
	const uint8_t *a = NULL;
	size_t alen = 0;
	if (kind == K_HELO) {
		address(p + v, n - v, &a, &alen);
	} else if (kind == K_MAIL || kind == K_RCPT) {
		/* "MAIL FROM:" / "RCPT TO:", then the address */
		const uint8_t *colon = memchr(p, ':', n);
		if (colon)
			address(colon + 1, n - (size_t)(colon + 1 - p), &a, &alen);
	} else if (kind == K_BDAT) {
		/* BDAT size [LAST]: the next size octets are the chunk, sent at once. */
		size_t i = v;
		uint64_t size = 0;
		while (i < n && p[i] == ' ')
			i++;
		size_t d0 = i;
		while (i < n && p[i] >= '0' && p[i] <= '9' && size < UINT64_C(1) << 40)
			size = size * 10 + (uint64_t)(p[i++] - '0');
		while (i < n && p[i] == ' ')
			i++;
		q->last = word_starts(p + i, n - i, LIT("LAST"));
		if (i == d0) {
			say(s, -1, SS_C2S, it->frame, it->ts, "bad_bdat", "BDAT without a size");
			return;
		}
		if (!s->in_msg)
			msg_begin(s, "BDAT", it->ts, it->frame);
		if (size)
			lineproto_set(&s->lp[SS_C2S], LP_OCTETS, size);
		else if (q->last) {
			s->msg_ts_end = it->ts;
			s->msg_frame_end = it->frame;
		}
	}
	if (a)
		ptext_set(&q->arg, a, alen);
}

static void client_item(void *ctx, const struct lp_item *it)
{
	struct smtp *s = ctx;
	switch (it->kind) {
	case LP_ITEM_LINE:
		client_line(s, it);
		break;
	case LP_ITEM_DATA:
		msg_add(s, it);
		if (it->last) {
			s->msg_ts_end = it->ts;
			s->msg_frame_end = it->frame;
			struct pending *q = push(s, K_DATA_END, (const uint8_t *)".", 1, it);
			if (q)
				shown_line(q, (const uint8_t *)".", 1);
		}
		break;
	case LP_ITEM_OCTETS:
		msg_add(s, it);
		if (it->last) {
			s->msg_ts_end = it->ts;
			s->msg_frame_end = it->frame;
		}
		break;
	case LP_ITEM_OPAQUE:
		s->opaque[SS_C2S] += it->len;
		break;
	}
}

/* --- the server's side ----------------------------------------------------- */

static int reply_code(const uint8_t *p, size_t n, int *more)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
	    p[2] > '9')
		return -1;
	if (n > 3 && p[3] != ' ' && p[3] != '-')
		return -1;
	*more = n > 3 && p[3] == '-';
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* The replies that only one kind of command receives (RFC 5321 4.3.2, RFC 4954
 * 4, RFC 3207 4); 0: a code any command may get. */
static enum kind only_for(int code)
{
	switch (code) {
	case 354:
		return K_DATA;
	case 334:
	case 235:
	case 535:
		return K_AUTH;
	case 221:
		return K_QUIT;
	default:
		return K_OTHER;
	}
}

/* After a gap, replies may have been lost. A reply that only one kind of
 * command gets, arriving while an older command of another kind waits,
 * says the older ones' replies were in the gap: they are shown as such and
 * the reply goes to the command it belongs to. */
static void resync(struct smtp *s, int code, int64_t ts, uint64_t fr)
{
	enum kind want = only_for(code);
	if (want == K_OTHER || front(s)->kind == want || front(s)->kind == K_GAP)
		return;
	size_t k = 1;
	while (k < s->q.len && nth(s, k)->kind != want)
		k++;
	if (k == s->q.len)
		return; /* nothing waiting fits: pair as usual */
	while (k--) {
		struct pending p;
		pop(s, &p);
		static const char lost[] = "[the reply was in a gap]";
		exchange(s, &p, (const uint8_t *)lost, sizeof lost - 1, -1, ts, fr);
		pending_release(&p);
	}
	s->resync = 0;
}

/* A whole reply has come: pair it with the oldest command and act on it. */
static void reply_done(struct smtp *s)
{
	const uint8_t *r = s->reply.p;
	size_t rn = s->reply.len;
	int code = s->reply_code;
	int64_t ts = s->reply_ts;
	uint64_t fr = s->reply_frame;
	if (!s->greeted) {
		s->greeted = 1;
		exchange(s, NULL, r, rn, code, ts, fr);
		return;
	}
	if (!s->q.len) {
		say(s, SAID_NO_CMD, SS_S2C, fr, ts, "reply_without_command",
		    "a reply that answers no command seen");
		exchange(s, NULL, r, rn, code, ts, fr);
		return;
	}
	if (s->resync)
		resync(s, code, ts, fr);
	struct pending p;
	pop(s, &p);
	int ok = code >= 200 && code < 300;
	switch (p.kind) {
	case K_HELO:
		if (ok) {
			buf_set(&s->helo, ptext_of(&p.arg), p.arg.len);
			tx_clear(s);
		}
		break;
	case K_MAIL:
		if (ok) {
			tx_clear(s);
			buf_set(&s->mail_from, ptext_of(&p.arg), p.arg.len);
			s->in_tx = 1;
		}
		break;
	case K_RCPT:
		if (ok && s->nrcpt < MAX_RCPT) {
			struct ss_str *v = realloc(s->rcpt, (s->nrcpt + 1) * sizeof *v);
			uint8_t *a = bytes_dup(ptext_of(&p.arg), p.arg.len);
			if (v && a) {
				s->rcpt = v;
				s->rcpt[s->nrcpt++] = (struct ss_str){a, p.arg.len};
			} else {
				if (v)
					s->rcpt = v;
				free(a);
			}
		} else if (ok) {
			s->rcpt_dropped++;
			say(s, SAID_RCPTS, SS_C2S, p.frame, p.ts, "too_many_recipients",
			    "more than 1000 recipients in one transaction; the rest are counted "
			    "only");
		}
		break;
	case K_DATA:
		if (code == 354) {
			msg_begin(s, "DATA", 0, 0);
			lineproto_set(&s->lp[SS_C2S], LP_DOTDATA, 0);
		}
		break;
	case K_DATA_END:
		find_queue_id(s, r, rn);
		message_out(s, code, r, rn, ts, fr);
		tx_clear(s);
		break;
	case K_BDAT:
		if (!ok) {
			/* A refused chunk ends the transaction (RFC 3030 2). */
			message_out(s, code, r, rn, ts, fr);
			tx_clear(s);
		} else if (p.last) {
			find_queue_id(s, r, rn);
			message_out(s, code, r, rn, ts, fr);
			tx_clear(s);
		}
		break;
	case K_STARTTLS:
		if (code == 220) {
			s->tls = 1;
			lineproto_set(&s->lp[SS_C2S], LP_OPAQUE, 0);
			lineproto_set(&s->lp[SS_S2C], LP_OPAQUE, 0);
		}
		break;
	case K_AUTH:
		s->in_auth = code == 334;
		break;
	case K_QUIT:
		s->quit = 1;
		break;
	case K_RSET:
		if (ok)
			tx_clear(s);
		break;
	case K_OTHER:
	case K_GAP:
		break;
	}
	/* A 334 challenge is base64: show what it says beside it. */
	if (code == 334 && rn > 4) {
		struct buf b;
		buf_init(&b, rn * 4 + 16);
		if (buf_add(&b, r, rn) == 0 && buf_add(&b, " (", 2) == 0) {
			sasl_challenge(&s->sasl, r + 4, rn - 4, &b);
			if (buf_add(&b, ")", 1) == 0)
				exchange(s, &p, b.p, b.len, code, ts, fr);
		}
		buf_free(&b);
	} else {
		exchange(s, &p, r, rn, code, ts, fr);
	}
	if (p.kind == K_STARTTLS && s->tls)
		note(s, "tls", LIT("STARTTLS accepted: the rest of the session is TLS"), ts, fr);
	if (p.kind == K_AUTH && code == 235) {
		char d[200];
		int k = snprintf(d, sizeof d, "%s logged in with %s",
		                 s->sasl.user[0] ? s->sasl.user : "(someone)", s->sasl.mech);
		note(s, "login", d, (size_t)k < sizeof d ? (size_t)k : sizeof d - 1, ts, fr);
	}
	pending_release(&p);
}

static void server_line(struct smtp *s, const struct lp_item *it)
{
	int more = 0, code = reply_code(it->p, it->len, &more);
	if (code < 0) {
		say(s, -1, SS_S2C, it->frame, it->ts, "bad_reply_line",
		    "a server line that is not a reply (RFC 5321 4.2)");
		if (!s->reply.len)
			return;
		more = 1; /* keep it as part of the reply being read */
	} else if (s->reply.len && code != s->reply_code) {
		say(s, -1, SS_S2C, it->frame, it->ts, "reply_code_changed",
		    "a multi-line reply whose lines carry different codes");
	}
	if (!s->reply.len) {
		s->reply_code = code;
		s->reply_ts = it->ts;
		s->reply_frame = it->frame;
	} else if (buf_add(&s->reply, "\n", 1)) {
		more = 0;
	}
	if (escape_add(&s->reply, it->p, it->len))
		say(s, -1, SS_S2C, it->frame, it->ts, "reply_too_long",
		    "a reply longer than --max-line in all; the rest is not shown");
	if (!more) {
		reply_done(s);
		buf_reset(&s->reply);
	}
}

static void server_item(void *ctx, const struct lp_item *it)
{
	struct smtp *s = ctx;
	if (it->kind == LP_ITEM_LINE)
		server_line(s, it);
	else if (it->kind == LP_ITEM_OPAQUE)
		s->opaque[SS_S2C] += it->len;
}

/* --- the ss_proto callbacks ------------------------------------------------ */

static void *smtp_open(const struct ss_flow *f, void *ctx)
{
	const struct dissect_opts *o = ctx;
	struct smtp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->o = o;
	fifo_init(&s->q, sizeof(struct pending));
	for (int d = 0; d < 2; d++)
		lineproto_init(&s->lp[d], o->caps->max_line);
	buf_init(&s->reply, o->caps->max_line);
	buf_init(&s->helo, o->caps->max_line);
	buf_init(&s->mail_from, o->caps->max_line);
	buf_init(&s->queue_id, 256);
	buf_init(&s->msg, o->caps->max_message);
	return s;
}

static size_t smtp_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct smtp *s = st;
	if (!s)
		return n;
	return lineproto_feed(&s->lp[d], p, n, at, d == SS_C2S ? client_item : server_item, s);
}

static void smtp_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct smtp *s = st;
	if (!s)
		return;
	struct lineproto *lp = &s->lp[d];
	char why[160];
	if (d == SS_C2S) {
		lineproto_flush(lp, client_item, s);
		if (lp->mode == LP_DOTDATA || lp->mode == LP_OCTETS || s->in_msg) {
			s->msg_incomplete = 1;
			if (lp->mode == LP_OCTETS)
				lp->want -= len < lp->want ? len : lp->want;
			if (lp->mode == LP_OCTETS && !lp->want)
				lineproto_set(lp, LP_LINE, 0);
			snprintf(why, sizeof why,
			         "%llu bytes of a message are missing: it is incomplete",
			         (unsigned long long)len);
		} else if (lp->mode == LP_LINE) {
			/* Commands may be lost: a placeholder takes the next reply. */
			struct lp_item it = {LP_ITEM_LINE, NULL,      0,     LP_EOL_NONE, 0, 0,
			                     at->off,      at->frame, at->ts};
			struct pending *q = push(s, K_GAP, (const uint8_t *)"", 0, &it);
			if (q) {
				char t[64];
				int k = snprintf(t, sizeof t, "[%llu bytes missing]",
				                 (unsigned long long)len);
				ptext_set(&q->shown, t, (size_t)k);
			}
			snprintf(why, sizeof why,
			         "%llu bytes of commands are missing: replies may pair with "
			         "the wrong command until the session settles",
			         (unsigned long long)len);
		} else {
			return;
		}
	} else {
		lineproto_flush(lp, server_item, s);
		if (lp->mode != LP_LINE)
			return;
		if (s->reply.len) {
			/* The rest of this reply was in the hole. */
			s->reply_incomplete = 1;
			if (buf_add(&s->reply, "\n[missing]", 10) == 0)
				reply_done(s);
			buf_reset(&s->reply);
		}
		s->resync = 1;
		snprintf(why, sizeof why, "%llu bytes of replies are missing",
		         (unsigned long long)len);
	}
	ss_eventf("smtp", "gap", at->frame, at->ts, s->f->id, d, "%s", why);
}

static void smtp_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f;
	struct smtp *s = st;
	if (!s)
		return;
	lineproto_flush(&s->lp[SS_C2S], client_item, s);
	lineproto_flush(&s->lp[SS_S2C], server_item, s);
	if (s->reply.len) {
		reply_done(s);
		buf_reset(&s->reply);
	}
	/* Commands that never got a reply are shown as such. */
	while (s->q.len) {
		struct pending p;
		pop(s, &p);
		if (p.kind == K_DATA_END)
			message_out(s, -1, NULL, 0, at->ts, at->frame);
		exchange(s, &p, NULL, 0, -1, 0, 0);
		pending_release(&p);
	}
	if (s->in_msg) {
		s->msg_incomplete = 1; /* the end of the message never came */
		message_out(s, -1, NULL, 0, at->ts, at->frame);
	}
	if (s->tls) {
		char d[120];
		int k = snprintf(d, sizeof d, "%llu bytes of TLS to the server, %llu back",
		                 (unsigned long long)s->opaque[SS_C2S],
		                 (unsigned long long)s->opaque[SS_S2C]);
		note(s, "tls_end", d, (size_t)k < sizeof d ? (size_t)k : sizeof d - 1, at->ts,
		     at->frame);
	}
	for (int d = 0; d < 2; d++) {
		struct lineproto *lp = &s->lp[d];
		uint64_t blf = lp->bare_lf + (d == SS_C2S ? s->data_bare_lf : 0);
		uint64_t bfr = lp->bare_lf ? lp->first_bare_lf_frame : s->first_data_bare_lf;
		if (blf)
			ss_eventf(
			    "smtp", "bare_lf", bfr, 0, s->f->id, d,
			    "%llu lines end in a bare LF (RFC 5321 2.3.8), first in frame %llu",
			    (unsigned long long)blf, (unsigned long long)bfr);
		if (lp->nul)
			ss_eventf("smtp", "nul", lp->first_nul_frame, 0, s->f->id, d,
			          "NUL bytes in %llu places, first in frame %llu",
			          (unsigned long long)lp->nul,
			          (unsigned long long)lp->first_nul_frame);
		if (lp->smuggling)
			ss_eventf("smtp", "smuggling_shape", lp->first_smuggling_frame, 0, s->f->id,
			          d,
			          "a \".\" between line ends other than CRLF.CRLF (as in SMTP "
			          "smuggling), "
			          "%llu times, first in frame %llu; it did not end the message",
			          (unsigned long long)lp->smuggling,
			          (unsigned long long)lp->first_smuggling_frame);
		if (lp->bare_cr)
			ss_eventf("smtp", "bare_cr", 0, 0, s->f->id, d,
			          "%llu bare CR bytes inside lines",
			          (unsigned long long)lp->bare_cr);
		lineproto_free(lp);
	}
	tx_clear(s);
	free(s->rcpt);
	fifo_free(&s->q);
	buf_free(&s->reply);
	buf_free(&s->helo);
	buf_free(&s->mail_from);
	buf_free(&s->queue_id);
	bufpool_give(s->o->spare, &s->msg);
	free(s);
}

const struct ss_proto *smtp_proto(const struct dissect_opts *o)
{
	static struct ss_proto p = {"smtp",   probe_smtp, port_smtp,  smtp_open, smtp_data,
	                            smtp_gap, NULL,       smtp_close, NULL};
	p.ctx = (void *)o;
	return &p;
}
