/* smtp.c - the SMTP and LMTP dissector: every command and reply, the
 * envelope, the message of every transaction byte for byte, AUTH with the
 * secret masked, STARTTLS, and the anomalies of a session (RFC 5321; 2033
 * LMTP; 2920 PIPELINING; 3030 CHUNKING/BDAT; 2034 and 3463 enhanced status
 * codes; 4954 AUTH; 3207 STARTTLS; Postfix XCLIENT/XFORWARD). The queue,
 * the line engines and what is shown are the session engine's
 * (pingpong.h).
 *
 * Commands wait in the queue until their replies come, in order, which is
 * how pipelined batches are matched (RFC 2920 3.1). Reassembly hands a
 * reply over only after the commands it acknowledges, so the queue is
 * never behind. However the session was captured, it is followed:
 *
 * - Without the server's go-ahead (a capture of the client's side, or the
 *   354 lost in a gap), the client's own DATA line starts the message: a
 *   client sends message bytes only after a 354 (RFC 5321 4.1.1.4).
 * - After a gap in the replies, a reply that only one kind of command gets
 *   (354, 221, 334, an enhanced code of MAIL or RCPT, "queued as") shows
 *   which replies were lost. A reply inside a message that lost bytes says
 *   its end was in the gap.
 * - Picked up in the middle (no handshake), the first reply is not taken
 *   for a greeting unless it is one, and client lines that are not
 *   commands are the rest of a message.
 * - LMTP (RFC 2033 4.2): after the message, one reply for each accepted
 *   recipient, kept as the message's deliveries.
 */
#include "smtp.h"

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

#define MAX_RCPT 1000 /* RFC 5321 4.5.3.1.8 asks for 100; kept beyond are counted */

enum kind {
	K_OTHER,
	K_HELO, /* HELO, EHLO, LHLO */
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

enum { F_LAST = 1 }; /* BDAT ... LAST */

struct smtp {
	struct pingpong pp;
	const struct dissect_opts *o;
	struct buf reply; /* the reply being put together */
	int reply_code;
	int reply_cut;         /* the reply is over --max-line: the rest is counted */
	int reply_cut_line;    /* and the line engine cut one of its lines (its rest unknown) */
	uint64_t reply_left;   /* its bytes not shown, line ends included */
	enum lp_eol reply_eol; /* how its last line ended */
	int64_t reply_ts;
	uint64_t reply_frame;
	int greeted, quit;
	enum pp_auth in_auth;
	int resync; /* a gap may have taken replies: pair by what a reply says */
	int synced; /* picked up mid-way: a command or reply has fit */
	/* the session and the transaction */
	struct buf helo, mail_from, queue_id;
	struct ss_str *rcpt;
	size_t nrcpt, rcpt_dropped;
	/* LMTP: the replies to the message, one per recipient */
	struct rec_delivery *dlv;
	size_t ndlv;
	int dlv_due; /* replies still due after the first */
	/* the message in progress */
	struct buf msg;
	int in_msg, msg_incomplete, msg_too_big, msg_unseen_start, msg_gap;
	uint64_t chunk_seq; /* the BDAT whose octets are being read */
	const char *how;
	int64_t msg_ts, msg_ts_end;
	uint64_t msg_frame, msg_frame_end;
	uint64_t data_bare_lf, first_data_bare_lf; /* bare LFs inside messages */
	int64_t first_data_bare_lf_ts;
};

enum {
	SAID_BEFORE_GREETING,
	SAID_AFTER_QUIT,
	SAID_NO_CMD,
	SAID_TOO_BIG,
	SAID_RCPTS,
	SAID_PICKUP,
	SAID_PIPE_FULL,
	SAID_MSGMEM
};

/* What stands in a reply's place when it was not seen. */
struct why {
	const char *p;
	size_t n;
};
static const struct why NOT_SEEN = {LIT("[the reply is not in the capture]")};
static const struct why IN_GAP = {LIT("[the reply was in a gap]")};
static const struct why NO_WORD = {NULL, 0};
static const struct why OVER_CAP = {LIT("[no reply seen: over --max-pipeline]")};

/* --- the message ------------------------------------------------------------ */

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

static void dlv_clear(struct smtp *s)
{
	for (size_t i = 0; i < s->ndlv; i++)
		free((void *)s->dlv[i].reply.p);
	s->ndlv = 0;
	s->dlv_due = 0;
}

static void message_out(struct smtp *s, int code, const uint8_t *reply, size_t rlen, int64_t ts,
                        uint64_t frame)
{
	if (!s->in_msg)
		return;
	if (!s->msg.len && s->msg_gap) {
		/* Every byte of it was in gaps (the client's side not captured):
		 * the exchanges show there was one, there is nothing to hand on. */
		s->in_msg = 0;
		dlv_clear(s);
		msgmem_end(&s->msg, s->o->spare);
		return;
	}
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = s->pp.f;
	struct rec_message *m = &r.u.msg;
	m->p = s->pp.p;
	m->role = RR_TRANSFER;
	m->proto = rec_proto_name(m->p);
	m->how = s->how;
	m->number = record_message_number();
	m->data = (struct ss_str){s->msg.p, s->msg.len};
	m->incomplete = s->msg_incomplete || s->msg_too_big;
	m->start_unseen = s->msg_unseen_start;
	m->helo = (struct ss_str){s->helo.p, s->helo.len};
	m->mail_from = (struct ss_str){s->mail_from.p, s->mail_from.len};
	m->queue_id = (struct ss_str){s->queue_id.p, s->queue_id.len};
	m->code = code;
	m->reply = (struct ss_str){reply, rlen};
	m->rcpt = s->rcpt;
	m->nrcpt = s->nrcpt;
	m->deliveries = s->dlv;
	m->ndeliveries = s->ndlv;
	/* A message of no bytes begins where it ends. */
	m->ts_end = s->msg_frame_end ? s->msg_ts_end : ts;
	m->frame_end = s->msg_frame_end ? s->msg_frame_end : frame;
	m->ts_start = s->msg_frame ? s->msg_ts : m->ts_end;
	m->frame_start = s->msg_frame ? s->msg_frame : m->frame_end;
	struct msg parsed;
	m->msg = msg_parse(&parsed, s->msg.p ? s->msg.p : (const uint8_t *)"", s->msg.len)
	             ? NULL
	             : &parsed;
	record_emit(&r);
	if (m->msg) {
		/* The line engine leaves bare LFs inside messages to the parser. */
		if (parsed.bare_lf && !s->data_bare_lf) {
			s->first_data_bare_lf = m->frame_start;
			s->first_data_bare_lf_ts = m->ts_start;
		}
		s->data_bare_lf += parsed.bare_lf;
		msg_free(&parsed);
	}
	s->in_msg = 0;
	dlv_clear(s);
	/* An idle session does not sit on the storage: the next message, of
	 * this session or another, takes it from the pool. */
	msgmem_end(&s->msg, s->o->spare);
}

static void tx_clear(struct smtp *s)
{
	for (size_t i = 0; i < s->nrcpt; i++)
		free((void *)s->rcpt[i].p);
	s->nrcpt = s->rcpt_dropped = 0;
	buf_reset(&s->mail_from);
}

static void msg_begin(struct smtp *s, const char *how, int64_t ts, uint64_t frame)
{
	s->in_msg = 1;
	s->msg_incomplete = s->msg_too_big = s->msg_unseen_start = s->msg_gap = 0;
	s->how = how;
	s->msg_ts = ts;
	s->msg_frame = frame;
	s->msg_ts_end = 0;
	s->msg_frame_end = 0;
	msgmem_begin(&s->msg, s->o->caps->max_messages_mem, s->o->spare);
	buf_reset(&s->queue_id);
	dlv_clear(s);
}

static void msg_add(struct smtp *s, const uint8_t *p, size_t n, int64_t ts, uint64_t frame)
{
	if (!s->in_msg || !n)
		return;
	if (!s->msg_frame) { /* DATA: the message starts with its first byte */
		s->msg_ts = ts;
		s->msg_frame = frame;
	}
	/* Past --max-message its first bytes are kept, exactly up to the cap;
	 * past --max-messages-mem, those it had room for. */
	size_t room = s->msg.cap - s->msg.len;
	if (s->msg_too_big)
		return;
	enum msgmem_res res =
	    msgmem_add(&s->msg, s->o->caps->max_messages_mem, p, n < room ? n : room);
	if (res == MSGMEM_SHARED) {
		s->msg_too_big = 1;
		pp_say(&s->pp, SAID_MSGMEM, SS_C2S, frame, ts, "messages_mem",
		       "the messages being collected passed --max-messages-mem; what this one "
		       "kept is marked incomplete");
	} else if (res != MSGMEM_OK || n > room) {
		s->msg_too_big = 1;
		pp_say(&s->pp, SAID_TOO_BIG, SS_C2S, frame, ts, "message_too_big",
		       "a message over --max-message; what was kept is marked incomplete");
	}
}

static void msg_end_at(struct smtp *s, int64_t ts, uint64_t frame)
{
	s->msg_ts_end = ts;
	s->msg_frame_end = frame;
}

/* --- what a command does ---------------------------------------------------- */

static void rcpt_add(struct smtp *s, const struct pp_cmd *c)
{
	if (s->nrcpt >= MAX_RCPT) {
		s->rcpt_dropped++;
		pp_say(&s->pp, SAID_RCPTS, SS_C2S, c->frame, c->ts, "too_many_recipients",
		       "more than 1000 recipients in one transaction; the rest are counted only");
		return;
	}
	struct ss_str *v = realloc(s->rcpt, (s->nrcpt + 1) * sizeof *v);
	if (!v)
		return;
	s->rcpt = v;
	uint8_t *a = bytes_dup(pp_text_of(&c->arg), c->arg.len);
	if (a)
		s->rcpt[s->nrcpt++] = (struct ss_str){a, c->arg.len};
}

/* What an accepted command means for the session and the transaction. */
static void accepted(struct smtp *s, const struct pp_cmd *c)
{
	switch (c->kind) {
	case K_HELO:
		buf_set(&s->helo, pp_text_of(&c->arg), c->arg.len);
		tx_clear(s);
		break;
	case K_MAIL:
		tx_clear(s);
		buf_set(&s->mail_from, pp_text_of(&c->arg), c->arg.len);
		break;
	case K_RCPT:
		rcpt_add(s, c);
		break;
	case K_RSET:
		tx_clear(s);
		break;
	default:
		break;
	}
}

/* A command whose reply was not seen: shown so, and taken as accepted -
 * the client went on as if it was (a refused MAIL or RCPT shows only in
 * the reply). A message it ended goes out without a reply. */
static void unanswered(struct smtp *s, struct pp_cmd *c, struct why why)
{
	accepted(s, c);
	if (c->kind == K_DATA_END || (c->kind == K_BDAT && (c->flag & F_LAST))) {
		message_out(s, -1, NULL, 0, c->ts, c->frame);
		tx_clear(s);
	}
	pp_no_reply(&s->pp, c, why.p, why.n);
}

static void unanswered_full(struct pingpong *pp, struct pp_cmd *c)
{
	pp_say(pp, SAID_PIPE_FULL, SS_C2S, c->frame, c->ts, "pipeline_full",
	       "more commands without replies than --max-pipeline; the oldest are shown "
	       "without their replies");
	unanswered(pp->owner, c, OVER_CAP);
}

/* Every command waiting, up to and including the newest of kind k (all
 * when k is K_OTHER), goes out without its reply. */
static void unanswered_upto(struct smtp *s, enum kind k, struct why why)
{
	size_t n = pp_waiting(&s->pp);
	if (k != K_OTHER)
		while (n && pp_nth(&s->pp, n - 1)->kind != (int)k)
			n--;
	while (n--) {
		struct pp_cmd c;
		pp_pop(&s->pp, &c);
		unanswered(s, &c, why);
		pp_cmd_free(&c);
	}
}

/* A gap in the server's side, and not one byte of it seen: the capture
 * holds the client's side alone. The replies to what waits were in the
 * gap, all but a DATA's go-ahead, which the client's next bytes tell. */
static void server_absent(struct smtp *s)
{
	struct pp_cmd *c = pp_newest(&s->pp);
	size_t n = pp_waiting(&s->pp) - (c && c->kind == K_DATA);
	while (n--) {
		struct pp_cmd old;
		pp_pop(&s->pp, &old);
		unanswered(s, &old, NOT_SEEN);
		pp_cmd_free(&old);
	}
}

/* --- the client's side ----------------------------------------------------- */

/* The address of MAIL FROM:<a> / RCPT TO:<a>, forgiving the lax forms real
 * clients send ("MAIL FROM: user1@a.test", extra spaces, no brackets). */
static void address(const uint8_t *p, size_t n, const uint8_t **a, size_t *alen)
{
	size_t i = 0;
	while (i < n && pp_space(p[i]))
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
	while (j < n && !pp_space(p[j]))
		j++;
	*a = p + i;
	*alen = j - i;
}

/* The verbs of RFC 5321 4.1 and of the extensions servers offer. */
static const struct pp_word verbs[] = {
    PP_WORD("HELO"), PP_WORD("EHLO"), PP_WORD("LHLO"),     PP_WORD("MAIL"),    PP_WORD("RCPT"),
    PP_WORD("DATA"), PP_WORD("BDAT"), PP_WORD("RSET"),     PP_WORD("VRFY"),    PP_WORD("EXPN"),
    PP_WORD("HELP"), PP_WORD("NOOP"), PP_WORD("QUIT"),     PP_WORD("AUTH"),    PP_WORD("ETRN"),
    PP_WORD("ATRN"), PP_WORD("TURN"), PP_WORD("STARTTLS"), PP_WORD("XCLIENT"), PP_WORD("XFORWARD"),
    PP_WORD("SEND"), PP_WORD("SOML"), PP_WORD("SAML")};
#define NVERBS (sizeof verbs / sizeof verbs[0])

static enum kind kind_of(const uint8_t *v, size_t n)
{
	static const struct {
		struct pp_word w;
		enum kind k;
	} t[] = {
	    {PP_WORD("EHLO"), K_HELO},         {PP_WORD("HELO"), K_HELO}, {PP_WORD("LHLO"), K_HELO},
	    {PP_WORD("MAIL"), K_MAIL},         {PP_WORD("RCPT"), K_RCPT}, {PP_WORD("DATA"), K_DATA},
	    {PP_WORD("BDAT"), K_BDAT},         {PP_WORD("AUTH"), K_AUTH}, {PP_WORD("QUIT"), K_QUIT},
	    {PP_WORD("STARTTLS"), K_STARTTLS}, {PP_WORD("RSET"), K_RSET}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (word_is(v, n, t[i].w.w, t[i].w.n))
			return t[i].k;
	return K_OTHER;
}

/* BDAT size [LAST] (RFC 3030 2): 1*DIGIT, then LAST or nothing. Returns 0
 * and the size, or -1 when the command is not one a server takes, so no
 * chunk follows it. */
static int bdat_args(const uint8_t *p, size_t n, uint64_t *size, int *last)
{
	size_t i = 0;
	*size = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		if (*size > (UINT64_C(1) << 40))
			return -1; /* no chunk is that large */
		*size = *size * 10 + (uint64_t)(p[i++] - '0');
	}
	if (!i)
		return -1;
	size_t j = i;
	while (j < n && pp_space(p[j]))
		j++;
	*last = j > i && word_starts(p + j, n - j, LIT("LAST"));
	if (*last)
		j += 4;
	while (j < n && pp_space(p[j]))
		j++;
	return j == n ? 0 : -1;
}

static void client_bdat(struct smtp *s, struct pp_cmd *c, const uint8_t *p, size_t n,
                        const struct lp_item *it)
{
	uint64_t size;
	int last;
	if (bdat_args(p, n, &size, &last)) {
		pp_say(&s->pp, -1, SS_C2S, it->frame, it->ts, "bad_bdat",
		       "BDAT without a size alone or followed by LAST (RFC 3030 2): no chunk "
		       "follows it");
		c->kind = K_OTHER;
		return;
	}
	c->flag = last ? F_LAST : 0;
	if (!s->in_msg)
		msg_begin(s, "BDAT", it->ts, it->frame);
	if (size) {
		s->chunk_seq = c->seq;
		lineproto_set(&s->pp.lp[SS_C2S], LP_OCTETS, size);
	} else if (last) {
		msg_end_at(s, it->ts, it->frame);
	}
}

/* The message begins with this line: the server's go-ahead was not seen.
 * Its dot-stuffing is taken out as the line engine would. */
static void data_from_line(struct smtp *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (it->cut)
		s->msg_incomplete = 1; /* the rest of the line was skipped */
	if (it->eol == LP_EOL_CRLF && n == 1 && p[0] == '.') {
		/* The end marker at once: an empty message. */
		msg_end_at(s, it->ts, it->frame);
		struct pp_cmd *c = pp_push(&s->pp, K_DATA_END, (const uint8_t *)".", 1, it);
		if (c)
			pp_show(c, (const uint8_t *)".", 1);
		return;
	}
	if (n && p[0] == '.') {
		p++;
		n--;
	}
	msg_add(s, p, n, it->ts, it->frame);
	if (it->eol == LP_EOL_CRLF)
		msg_add(s, (const uint8_t *)"\r\n", 2, it->ts, it->frame);
	else if (it->eol == LP_EOL_LF)
		msg_add(s, (const uint8_t *)"\n", 1, it->ts, it->frame);
	lineproto_data_after(&s->pp.lp[SS_C2S], it->eol);
}

/* A client line after a DATA that has no reply yet, when the server's side
 * shows it will not come (nothing of the server's captured, or a gap in
 * its bytes since): the client saw its 354, this line is the message -
 * unless it is a command (QUIT, RSET, MAIL...), which no message starts
 * with (a header field's name has no space, RFC 5322 2.2): then the DATA
 * was refused. */
static int data_began(struct smtp *s, const struct lp_item *it)
{
	struct pp_cmd *c = pp_newest(&s->pp);
	if (!c || c->kind != K_DATA || !(pp_server_silent(&s->pp) || pp_gap_since(&s->pp, c)) ||
	    pp_verb_in(it->p, it->len, verbs, NVERBS))
		return 0;
	unanswered_upto(s, K_DATA, pp_server_silent(&s->pp) ? NOT_SEEN : IN_GAP);
	msg_begin(s, "DATA", 0, 0);
	s->msg_unseen_start = 1;
	data_from_line(s, it);
	return 1;
}

/* Picked up mid-way, before any command fit: a line that is no command is
 * the rest of a message whose start was not captured. */
static int picked_up_in_data(struct smtp *s, const struct lp_item *it)
{
	if (!s->pp.f->midstream || s->synced || s->greeted || pp_waiting(&s->pp) ||
	    pp_verb_in(it->p, it->len, verbs, NVERBS))
		return 0;
	pp_say(&s->pp, SAID_PICKUP, SS_C2S, it->frame, it->ts, "picked_up_in_message",
	       "the capture begins inside a message: its start is missing");
	s->synced = 1;
	msg_begin(s, "DATA", 0, 0);
	s->msg_incomplete = 1;
	s->msg_unseen_start = 1;
	data_from_line(s, it);
	return 1;
}

static void client_line(struct smtp *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	struct pingpong *pp = &s->pp;
	if (it->cut == LP_CUT_LONG)
		pp_say(pp, -1, SS_C2S, it->frame, it->ts, "line_too_long",
		       "a command line over --max-line: cut there, the rest skipped");
	if (data_began(s, it) || picked_up_in_data(s, it))
		return;
	if (s->quit)
		pp_say(pp, SAID_AFTER_QUIT, SS_C2S, it->frame, it->ts, "command_after_quit",
		       "the client sent more after QUIT");
	if (pp_sasl_line(s->in_auth, p, n, verbs, NVERBS)) {
		/* A SASL response to the server's 334 challenge. */
		struct pp_cmd *c = pp_push(pp, K_AUTH, (const uint8_t *)"AUTH", 4, it);
		if (c)
			pp_show_sasl(pp, c, p, n, 0, 0);
		return;
	}
	s->in_auth = PP_AUTH_NONE;
	struct pp_words w;
	pp_split(p, n, &w);
	enum kind kind = kind_of(p + w.verb, w.verb_len);
	/* only a session picked up mid-way waits for a command that fits */
	if (!s->synced && pp->f->midstream && pp_verb_in(p, n, verbs, NVERBS))
		s->synced = 1;
	struct pp_cmd *c = pp_push(pp, kind, p + w.verb, w.verb_len, it);
	if (!c)
		return;
	if (kind == K_AUTH) {
		pp_show_sasl(pp, c, p, n, w.args, 1);
		s->in_auth = PP_AUTH_LIKELY;
		return;
	}
	pp_show(c, p, n);
	const uint8_t *a = NULL;
	size_t alen = 0;
	if (kind == K_HELO) {
		address(p + w.args, n - w.args, &a, &alen);
		if (word_is(p + w.verb, w.verb_len, LIT("LHLO")))
			s->pp.p = RP_LMTP; /* RFC 2033 4.1: LMTP's greeting command */
	} else if (kind == K_MAIL || kind == K_RCPT) {
		/* "MAIL FROM:" / "RCPT TO:", then the address */
		const uint8_t *colon = memchr(p, ':', n);
		if (colon)
			address(colon + 1, n - (size_t)(colon + 1 - p), &a, &alen);
	} else if (kind == K_BDAT) {
		client_bdat(s, c, p + w.args, n - w.args, it);
	}
	if (a)
		pp_text_set(&c->arg, a, alen);
}

static void data_end(struct smtp *s, const struct lp_item *it)
{
	msg_end_at(s, it->ts, it->frame);
	struct pp_cmd *c = pp_push(&s->pp, K_DATA_END, (const uint8_t *)".", 1, it);
	if (c)
		pp_show(c, (const uint8_t *)".", 1);
}

static void server_item(void *ctx, const struct lp_item *it); /* TLS: it reads on */

static void client_item(void *ctx, const struct lp_item *it)
{
	struct smtp *s = ctx;
	switch (it->kind) {
	case LP_ITEM_LINE:
		client_line(s, it);
		break;
	case LP_ITEM_DATA:
		msg_add(s, it->p, it->len, it->ts, it->frame);
		if (it->last)
			data_end(s, it);
		break;
	case LP_ITEM_OCTETS:
		msg_add(s, it->p, it->len, it->ts, it->frame);
		if (it->last) {
			msg_end_at(s, it->ts, it->frame);
			s->chunk_seq = 0;
		}
		break;
	case LP_ITEM_OPAQUE:
		pp_opaque(&s->pp, SS_C2S, it);
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

/* The kind of command a reply can only answer (RFC 5321 4.3.2, RFC 4954 4,
 * RFC 3463 3.2 subjects), K_OTHER when any may get it. */
static enum kind only_for(int code, const uint8_t *r, size_t n)
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
		break;
	}
	/* "250 2.1.0": X.1.0 is the originator, X.1.5 a destination. */
	if (n >= 9 && r[3] == ' ' && r[4] == r[0] && r[5] == '.' && r[6] == '1' && r[7] == '.' &&
	    (r[8] == '0' || r[8] == '5') && (n == 9 || r[9] == ' '))
		return r[8] == '0' ? K_MAIL : K_RCPT;
	for (size_t i = 0; i + 10 <= n; i++)
		if (word_starts(r + i, n - i, LIT("QUEUED AS ")))
			return K_DATA_END;
	return K_OTHER;
}

/* After a gap in the replies: a reply that only one kind of command gets,
 * while an older command of another kind waits, says the older ones'
 * replies were in the gap. */
static void resync(struct smtp *s, int code, const uint8_t *r, size_t n)
{
	enum kind want = only_for(code, r, n);
	struct pingpong *pp = &s->pp;
	if (want == K_OTHER || pp_nth(pp, 0)->kind == (int)want || pp_nth(pp, 0)->kind == K_GAP)
		return;
	size_t k = 1;
	while (k < pp_waiting(pp) && pp_nth(pp, k)->kind != (int)want)
		k++;
	if (k == pp_waiting(pp))
		return; /* nothing waiting fits: pair as usual */
	while (k--) {
		struct pp_cmd c;
		pp_pop(pp, &c);
		unanswered(s, &c, IN_GAP);
		pp_cmd_free(&c);
	}
	s->resync = 0;
}

/* A 334 challenge is base64: shown with what it says beside it. */
static void exchange_auth(struct smtp *s, const struct pp_cmd *c, const uint8_t *r, size_t rn,
                          int code, int64_t ts, uint64_t fr)
{
	struct buf b;
	buf_init(&b, rn * 4 + 16);
	if (buf_add(&b, r, rn) == 0 && buf_add(&b, " (", 2) == 0) {
		sasl_challenge(&s->pp.sasl, r + 4, rn - 4, &b);
		if (buf_add(&b, ")", 1) == 0)
			pp_exchange(&s->pp, c, b.p, b.len, code, NULL, ts, fr);
	}
	buf_free(&b);
}

/* LMTP: a reply to the message for one recipient (RFC 2033 4.2). */
static void delivery(struct smtp *s, const uint8_t *r, size_t rn, int code)
{
	struct rec_delivery *v = realloc(s->dlv, (s->ndlv + 1) * sizeof *v);
	if (!v)
		return;
	s->dlv = v;
	struct rec_delivery *d = &s->dlv[s->ndlv];
	d->rcpt = s->ndlv < s->nrcpt ? s->rcpt[s->ndlv] : (struct ss_str){NULL, 0};
	d->code = code;
	d->reply.p = bytes_dup(r, rn);
	d->reply.len = d->reply.p ? rn : 0;
	s->ndlv++;
}

/* The reply to a message: SMTP's one, or one of LMTP's one per recipient
 * (per_rcpt: the reply to the end of the message). Returns 1 while more
 * are due. */
static int message_reply(struct smtp *s, const uint8_t *r, size_t rn, int code, int per_rcpt,
                         int64_t ts, uint64_t fr)
{
	if (code >= 200 && code < 300)
		find_queue_id(s, r, rn);
	if (s->pp.p == RP_LMTP && s->in_msg && per_rcpt) {
		delivery(s, r, rn, code);
		if (s->ndlv < s->nrcpt) {
			s->dlv_due = 1;
			return 1;
		}
	}
	int first = s->ndlv ? s->dlv[0].code : code;
	message_out(s, first, s->ndlv ? s->dlv[0].reply.p : r, s->ndlv ? s->dlv[0].reply.len : rn,
	            ts, fr);
	tx_clear(s);
	return 0;
}

/* A reply while a message with a gap in it is still being read: the
 * server speaks only after the end marker (RFC 5321 4.1.1.4), so the end
 * was in the gap. What the client sends next is commands again. */
static void end_lost(struct smtp *s, const struct lp_item *it)
{
	struct lineproto *lp = &s->pp.lp[SS_C2S];
	if (!s->in_msg || lp->mode != LP_DOTDATA || !s->msg_gap)
		return;
	lineproto_set(lp, LP_LINE, 0);
	struct pp_cmd *c = pp_push(&s->pp, K_DATA_END, (const uint8_t *)".", 1, it);
	if (c)
		pp_text_set(&c->shown, LIT("[the end of the message was in a gap]"));
	pp_say(&s->pp, -1, SS_S2C, it->frame, it->ts, "data_end_lost",
	       "the server replied while a message with a gap was being read: its end was in "
	       "the gap");
}

/* The reply to a BDAT whose chunk is still being read: the chunk was
 * shorter than it said (a server answers only after the whole chunk, RFC
 * 3030 2). What the client sends next is commands again. */
static void chunk_short(struct smtp *s, const struct pp_cmd *c, int64_t ts, uint64_t fr)
{
	struct lineproto *lp = &s->pp.lp[SS_C2S];
	if (c->kind != K_BDAT || c->seq != s->chunk_seq || lp->mode != LP_OCTETS)
		return;
	s->msg_incomplete = 1;
	s->chunk_seq = 0;
	lineproto_set(lp, LP_LINE, 0);
	pp_say(&s->pp, -1, SS_S2C, fr, ts, "bdat_short",
	       "the server answered a BDAT before its chunk was all there: the chunk was "
	       "shorter than it said");
}

/* What the reply does to the command it answers. */
static void act(struct smtp *s, struct pp_cmd *c, const uint8_t *r, size_t rn, int code, int64_t ts,
                uint64_t fr)
{
	int ok = code >= 200 && code < 300;
	switch (c->kind) {
	case K_HELO:
	case K_MAIL:
	case K_RCPT:
	case K_RSET:
		if (ok)
			accepted(s, c);
		break;
	case K_GAP: /* a 354 says the DATA was in the gap */
	case K_DATA:
		if (code == 354) {
			msg_begin(s, "DATA", 0, 0);
			lineproto_set(&s->pp.lp[SS_C2S], LP_DOTDATA, 0);
		}
		break;
	case K_DATA_END:
		s->dlv_due = message_reply(s, r, rn, code, 1, ts, fr);
		break;
	case K_BDAT:
		if (c->flag & F_LAST)
			s->dlv_due = message_reply(s, r, rn, code, 1, ts, fr);
		else if (!ok) /* a refused chunk ends it too (RFC 3030 2) */
			message_reply(s, r, rn, code, 0, ts, fr);
		break;
	case K_STARTTLS:
		if (code == 220)
			pp_start_tls(&s->pp, client_item, server_item, s);
		break;
	case K_AUTH:
		s->in_auth = code == 334 ? PP_AUTH_SURE : PP_AUTH_NONE;
		break;
	case K_QUIT:
		s->quit = 1;
		break;
	default:
		break;
	}
}

/* A reply while no command waits: the greeting, LMTP's next result for a
 * recipient, one to a command from before the capture, or one to nothing. */
static int reply_alone(struct smtp *s, const uint8_t *r, size_t rn, int code, int64_t ts,
                       uint64_t fr)
{
	struct pingpong *pp = &s->pp;
	if (!s->greeted && (!pp->f->midstream || (!pp_waiting(pp) && code == 220))) {
		s->greeted = 1;
		/* Only now is it known the client did not wait for it. */
		if (pp_waiting(pp))
			pp_say(pp, SAID_BEFORE_GREETING, SS_C2S, pp_nth(pp, 0)->frame,
			       pp_nth(pp, 0)->ts, "data_before_greeting",
			       "the client spoke before the server's greeting (RFC 5321 4.3.1)");
		pp_exchange(pp, NULL, r, rn, code, NULL, ts, fr);
		return 1;
	}
	s->greeted = 1;
	if (s->dlv_due) {
		/* the end of the message, which each of these replies answers */
		struct pp_cmd dot = {.kind = K_DATA_END,
		                     .verb = ".",
		                     .shown = {NULL, 1, "."},
		                     .ts = s->msg_ts_end,
		                     .frame = s->msg_frame_end};
		pp_exchange(pp, &dot, r, rn, code, NULL, ts, fr);
		s->dlv_due = message_reply(s, r, rn, code, 1, ts, fr);
		return 1;
	}
	if (pp_waiting(pp))
		return 0;
	if (!pp->f->midstream || s->synced)
		pp_say(pp, SAID_NO_CMD, SS_S2C, fr, ts, "reply_without_command",
		       "a reply that answers no command seen");
	s->synced = 1; /* picked up mid-way: it answers a command from before */
	pp_exchange(pp, NULL, r, rn, code, NULL, ts, fr);
	return 1;
}

/* A whole reply has come: pair it with the oldest command and act on it. */
static void reply_done(struct smtp *s)
{
	const uint8_t *r = s->reply.p;
	size_t rn = s->reply.len;
	int code = s->reply_code;
	int64_t ts = s->reply_ts;
	uint64_t fr = s->reply_frame;
	struct lp_item at = {LP_ITEM_LINE, NULL, 0, LP_EOL_NONE, 0, 0, 0, fr, ts};
	end_lost(s, &at);
	if (reply_alone(s, r, rn, code, ts, fr))
		return;
	s->synced = 1;
	if (s->resync)
		resync(s, code, r, rn);
	struct pp_cmd c;
	pp_pop(&s->pp, &c);
	chunk_short(s, &c, ts, fr);
	act(s, &c, r, rn, code, ts, fr);
	if (code == 334 && rn > 4)
		exchange_auth(s, &c, r, rn, code, ts, fr);
	else
		pp_exchange(&s->pp, &c, r, rn, code, NULL, ts, fr);
	if (c.kind == K_STARTTLS && s->pp.tls)
		pp_note(&s->pp, "tls", ts, fr, "STARTTLS accepted: the rest of the session is TLS");
	if (c.kind == K_AUTH && code == 235)
		pp_note(&s->pp, "login", ts, fr, "%s logged in with %s",
		        s->pp.sasl.user[0] ? s->pp.sasl.user : "(someone)", s->pp.sasl.mech);
	pp_cmd_free(&c);
}

/* Room past --max-line in the reply's buffer, for what is said after the
 * cut ("[... N bytes more]", a gap's "[missing]"). */
#define REPLY_NOTE 96
/* Storage the reply buffer keeps between replies: none. It counts in
 * --max-held-mem, and an idle session (a hundred thousand of them on a
 * busy MX) has no reply to hold; a long reply must not keep its storage
 * for the rest of the session either. Allocating it anew for each reply
 * costs nothing measurable (a capture of short sessions: within noise). */
#define REPLY_KEEP 0

/* Appends p[0..n) escaped to the reply as far as --max-line allows; returns
 * how many of its bytes went in. Each step takes no more than a quarter of
 * the room (no byte escapes to more than 4), so no step fails half-way. */
static size_t reply_take(struct smtp *s, const uint8_t *p, size_t n)
{
	struct buf *b = &s->reply;
	size_t max = (size_t)s->o->caps->max_line, i = 0;
	while (i < n && b->len < max) {
		size_t room = max - b->len, k = room / 4 ? room / 4 : 1;
		if (k > n - i)
			k = n - i;
		size_t len = b->len, cap = b->cap;
		b->cap = max; /* the room past max is for the note */
		int full = escape_add(b, p + i, k);
		b->cap = cap;
		if (full) {
			b->len = len; /* one byte that did not fit whole */
			break;
		}
		i += k;
	}
	return i;
}

/* The reply over --max-line ends: what was left out, said once after the
 * cut. A line the line engine cut was skipped to its end unread, so its
 * rest is not in the count. */
static void reply_note(struct smtp *s)
{
	char t[REPLY_NOTE];
	int k;
	if (!s->reply_cut_line)
		k = snprintf(t, sizeof t, " [... %llu bytes more]",
		             (unsigned long long)s->reply_left);
	else if (s->reply_left)
		k = snprintf(t, sizeof t,
		             " [... %llu bytes more, and the rest of a line over --max-line]",
		             (unsigned long long)s->reply_left);
	else
		k = snprintf(t, sizeof t, " [... the rest of a line over --max-line]");
	if (k <= 0 || (size_t)k >= sizeof t || buf_add(&s->reply, t, (size_t)k))
		return; /* not reached: REPLY_NOTE holds the longest note */
}

static size_t eol_len(enum lp_eol e)
{
	return e == LP_EOL_CRLF ? 2 : e == LP_EOL_LF ? 1 : 0;
}

static void too_long(struct smtp *s, const struct lp_item *it)
{
	s->reply_cut = 1;
	pp_say(&s->pp, -1, SS_S2C, it->frame, it->ts, "reply_too_long",
	       "a reply longer than --max-line in all; the rest is counted, not shown");
}

/* A server line: one of a reply's lines (RFC 5321 4.2.1). A reply over
 * --max-line is shown once, cut there with what was left out counted, and
 * said once (reply_too_long); it still ends only at its last line, so the
 * pairing of commands and replies goes on as the server meant it. */
static void server_line(struct smtp *s, const struct lp_item *it)
{
	int more = 0, code = reply_code(it->p, it->len, &more);
	if (code < 0) {
		pp_say(&s->pp, -1, SS_S2C, it->frame, it->ts, "bad_reply_line",
		       "a server line that is not a reply (RFC 5321 4.2)");
		if (!s->reply.len)
			return;
		more = 1; /* keep it as part of the reply being read */
	} else if (s->reply.len && code != s->reply_code) {
		pp_say(&s->pp, -1, SS_S2C, it->frame, it->ts, "reply_code_changed",
		       "a multi-line reply whose lines carry different codes");
	}
	size_t took = 0;
	if (!s->reply.len) {
		s->reply_code = code;
		s->reply_ts = it->ts;
		s->reply_frame = it->frame;
		s->reply_cut = s->reply_cut_line = 0;
		s->reply_left = 0;
	} else if (!s->reply_cut &&
	           (s->reply.len + 1 >= s->o->caps->max_line || buf_add(&s->reply, "\n", 1))) {
		/* cut at the line break (one with nothing after it is not shown):
		 * the line end before is in the count */
		too_long(s, it);
		s->reply_left += eol_len(s->reply_eol);
	}
	if (!s->reply_cut) {
		took = reply_take(s, it->p, it->len);
		if (took < it->len || it->cut)
			too_long(s, it);
	}
	if (s->reply_cut) {
		s->reply_left += it->len - took + eol_len(it->eol);
		s->reply_cut_line |= it->cut;
	}
	s->reply_eol = it->eol;
	if (!more) {
		if (s->reply_cut)
			reply_note(s);
		reply_done(s);
		buf_reset(&s->reply);
		buf_trim(&s->reply, REPLY_KEEP);
	}
}

static void server_item(void *ctx, const struct lp_item *it)
{
	struct smtp *s = ctx;
	if (it->kind == LP_ITEM_LINE)
		server_line(s, it);
	else if (it->kind == LP_ITEM_OPAQUE)
		pp_opaque(&s->pp, SS_S2C, it);
}

/* --- the ss_proto callbacks ------------------------------------------------ */

static void *smtp_open(const struct ss_flow *f, void *ctx)
{
	const struct dissect_opts *o = ctx;
	struct smtp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->o = o;
	/* Port 24 is LMTP's (RFC 2033 5): known before its LHLO */
	pp_init(&s->pp, f, o, f->ep[SS_S2C].port == 24 ? RP_LMTP : RP_SMTP, unanswered_full, s);
	buf_init(&s->reply, o->caps->max_line + REPLY_NOTE);
	buf_init(&s->helo, o->caps->max_line);
	buf_init(&s->mail_from, o->caps->max_line);
	/* between packets, what a session holds counts in --max-held-mem */
	buf_count(&s->reply, &ss_held);
	buf_count(&s->helo, &ss_held);
	buf_count(&s->mail_from, &ss_held);
	buf_init(&s->queue_id, 256);
	buf_init(&s->msg, o->caps->max_message);
	return s;
}

/* Tells the flow how far back what the session still has to say goes
 * (ss_flow_open_since): what the engine holds (pp_open_since), the reply
 * in progress, the message being read and its bare LFs, each at the time
 * it will be shown at; nothing at all when it holds none. Where that is
 * not known for sure (LMTP replies still due, pairing lost in a gap, bytes
 * left over: not whole) no later than what it said before or these bytes
 * (ss_flow_open_unsure). After every segment and every gap. */
static void open_since(struct smtp *s, const struct ss_pos *at, int whole)
{
	int64_t t = whole && !s->dlv_due && !s->resync ? pp_open_since(&s->pp, at) : INT64_MIN;
	if (t != INT64_MIN) {
		if (s->reply.len)
			pp_earlier(&t, s->reply_ts);
		if (s->in_msg && s->msg_frame)
			pp_earlier(&t, s->msg_ts);
		if (s->data_bare_lf)
			pp_earlier(&t, s->first_data_bare_lf_ts);
	}
	pp_say_open_since(&s->pp, t, at);
}

static size_t smtp_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct smtp *s = st;
	if (!s)
		return n;
	if (d == SS_S2C)
		s->pp.server_bytes += n;
	size_t used = pp_feed(&s->pp, d, p, n, at, d == SS_C2S ? client_item : server_item, s);
	open_since(s, at, used == n);
	return used;
}

/* Commands may be lost in a gap: a placeholder takes the next reply. */
static void commands_lost(struct smtp *s, uint64_t len, const struct ss_pos *at)
{
	struct lp_item it = {LP_ITEM_LINE, NULL, 0, LP_EOL_NONE, 0, 0, at->off, at->frame, at->ts};
	struct pp_cmd *c = pp_push(&s->pp, K_GAP, (const uint8_t *)"", 0, &it);
	if (!c)
		return;
	char t[64];
	int k = snprintf(t, sizeof t, "[%llu bytes missing]", (unsigned long long)len);
	pp_text_set(&c->shown, t, (size_t)k);
}

static void client_gap(struct smtp *s, uint64_t len, const struct ss_pos *at)
{
	struct lineproto *lp = &s->pp.lp[SS_C2S];
	lineproto_flush(lp, client_item, s);
	if (lp->mode == LP_DOTDATA || lp->mode == LP_OCTETS || s->in_msg) {
		s->msg_incomplete = s->msg_gap = 1;
		if (lp->mode == LP_OCTETS)
			lp->want -= len < lp->want ? len : lp->want;
		if (lp->mode == LP_OCTETS && !lp->want)
			lineproto_set(lp, LP_LINE, 0);
		ss_eventf("smtp", "gap", at->frame, at->ts, s->pp.f->id, SS_C2S,
		          "%llu bytes of a message are missing: it is incomplete",
		          (unsigned long long)len);
	} else if (lp->mode == LP_LINE) {
		commands_lost(s, len, at);
		ss_eventf("smtp", "gap", at->frame, at->ts, s->pp.f->id, SS_C2S,
		          "%llu bytes of commands are missing: replies may pair with the wrong "
		          "command until the session settles",
		          (unsigned long long)len);
	}
}

static void gap_read(struct smtp *s, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (pp_tls_gap(&s->pp, d, len, at))
		return;
	if (d == SS_C2S) {
		client_gap(s, len, at);
		return;
	}
	struct lineproto *lp = &s->pp.lp[SS_S2C];
	lineproto_flush(lp, server_item, s);
	if (lp->mode != LP_LINE)
		return;
	s->pp.server_gaps++;
	if (pp_server_silent(&s->pp))
		server_absent(s);
	if (s->reply.len) {
		/* The rest of this reply was in the hole. */
		if (buf_add(&s->reply, "\n[missing]", 10) == 0)
			reply_done(s);
		buf_reset(&s->reply);
	}
	s->resync = 1;
	ss_eventf("smtp", "gap", at->frame, at->ts, s->pp.f->id, SS_S2C,
	          "%llu bytes of replies are missing%s", (unsigned long long)len,
	          s->greeted ? "" : ": the greeting was among them");
	s->greeted = 1; /* the next reply answers a command */
}

static void smtp_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct smtp *s = st;
	if (!s)
		return;
	gap_read(s, d, len, at);
	open_since(s, at, 1);
}

static void smtp_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f;
	struct smtp *s = st;
	if (!s)
		return;
	lineproto_flush(&s->pp.lp[SS_C2S], client_item, s);
	lineproto_flush(&s->pp.lp[SS_S2C], server_item, s);
	if (s->reply.len) {
		reply_done(s);
		buf_reset(&s->reply);
	}
	/* Commands that never got a reply are shown as such. */
	unanswered_upto(s, K_OTHER, pp_server_silent(&s->pp) ? NOT_SEEN : NO_WORD);
	if (s->in_msg) {
		s->msg_incomplete |= !s->ndlv; /* the end of the message never came */
		message_out(s, s->ndlv ? s->dlv[0].code : -1, NULL, 0, at->ts, at->frame);
	}
	struct lineproto *lp = &s->pp.lp[SS_C2S];
	if (s->data_bare_lf && !lp->bare_lf) {
		lp->first_bare_lf_frame = s->first_data_bare_lf;
		lp->first_bare_lf_ts = s->first_data_bare_lf_ts;
	}
	lp->bare_lf += s->data_bare_lf;
	pp_close(&s->pp, "RFC 5321 2.3.8", at);
	tx_clear(s);
	dlv_clear(s);
	free(s->dlv);
	free(s->rcpt);
	buf_free(&s->reply);
	buf_free(&s->helo);
	buf_free(&s->mail_from);
	buf_free(&s->queue_id);
	msgmem_end(&s->msg, s->o->spare);
	free(s);
}

const struct ss_proto *smtp_proto(const struct dissect_opts *o)
{
	static struct ss_proto p = {"smtp",   probe_smtp, port_smtp,  smtp_open, smtp_data,
	                            smtp_gap, NULL,       smtp_close, NULL};
	p.ctx = (void *)o;
	return &p;
}
