/* imap.c - the IMAP dissector: tagged commands and their completions, the
 * untagged responses each command draws, continuation requests, literals
 * in both directions, LOGIN with the password masked, AUTHENTICATE through
 * the shared SASL decoder (with SASL-IR), IDLE, STARTTLS, COMPRESS, and
 * every message fetched or appended, byte for byte (RFC 9051 and 3501;
 * 7888 LITERAL+/LITERAL-; 3516 BINARY; 4959 SASL-IR; 2177 IDLE; 4978
 * COMPRESS; 3502 MULTIAPPEND; 4315 APPENDUID).
 *
 * A command or a response is a line, or a line ending in a literal's
 * announcement ("{n}", "{n+}", "{n-}", "~{n}") followed by exactly n octets
 * and the rest of the line, and so on. The line engine reads the octets
 * with LP_OCTETS, so nothing inside a literal is ever read as protocol. A
 * small scanner follows atoms, quoted strings and parentheses across the
 * pieces: it tells an announcement from text inside a quoted string, which
 * argument a literal is (LOGIN's password, APPEND's message), and which
 * FETCH data item a literal belongs to (BODY[], BODY[HEADER], BINARY[]...).
 *
 * Completions pair with commands by tag. Untagged responses go to the
 * oldest command waiting (FETCH data to the oldest FETCH), and are shown
 * with its completion; with none waiting, each is a record of its own.
 * After a gap inside a literal the count still tells where it ends; after a
 * gap anywhere else the server's side resynchronises on the next tagged
 * line of a command waiting, the client's on the next line that reads as a
 * tagged command. A session picked up in the middle (no SYN) may begin
 * inside a literal: each side skips to the first line that reads as a
 * response (a command), and what answers a command from before the capture
 * is shown as such.
 *
 * LOGIN's and AUTHENTICATE's arguments are read by the grammar, with SP or
 * HTAB between them as lenient servers split; when they cannot be read,
 * nothing after the verb is shown rather than what may be the password.
 */
#include "imap.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "inflate.h"
#include "lineproto.h"
#include "pingpong.h"
#include "message.h"
#include "msgmem.h"
#include "probe.h"
#include "record.h"
#include "sasl.h"
#include "word.h"

#define SHOW_LITERAL 64     /* literals up to this size are shown inline, unless secret */
#define ARG_CAP 1024        /* a user or mailbox name kept from a command */
#define SUMMARY_LINES 8     /* untagged responses shown with a command's completion */
#define SUMMARY_LINE 300    /* each clipped to this many bytes (as shown) */
#define RESPONSE_SHOWN 1024 /* an untagged response as shown, at most */
#define TAG_CAP 64          /* bytes of a tag compared; longer tags compare by length too */

/* --- the scanner: atoms, quoted strings, parentheses (RFC 9051 4, 9) ------ */

enum tk { TK_ATOM, TK_QUOTED, TK_OPEN, TK_CLOSE };
enum { TS_NONE, TS_ATOM, TS_QUOTED, TS_QESC };

struct itok {
	int depth;    /* parentheses open */
	int state;    /* TS_*: inside what, at the end of the last piece */
	int bracket;  /* an atom's [...] open: spaces and parentheses belong to it */
	int brackets; /* FETCH: atoms may hold [...] (section specs, RFC 9051 6.4.5) */
	size_t start;
};

/* SP, or HTAB: lenient servers split words on either (RFC 9051 has SP). */
static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* A token has ended: p[start..end) of the piece scanned, at depth. */
typedef void tok_fn(void *ctx, enum tk kind, size_t start, size_t end, int depth);

/* Scans the piece p[0..n). final: the line ends here, so an atom or an
 * unterminated quoted string ends with it. Between pieces the state is
 * TS_NONE: a piece is cut only before a literal, where no token is open. */
static void tok_scan(struct itok *t, const uint8_t *p, size_t n, int final, tok_fn *fn, void *ctx)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		switch (t->state) {
		case TS_NONE:
			if (c == '(') {
				fn(ctx, TK_OPEN, i, i + 1, t->depth);
				if (t->depth < 1000)
					t->depth++;
			} else if (c == ')') {
				if (t->depth)
					t->depth--;
				fn(ctx, TK_CLOSE, i, i + 1, t->depth);
			} else if (!is_ws(c)) {
				t->start = i;
				t->state = c == '"' ? TS_QUOTED : TS_ATOM;
				t->bracket = t->brackets && c == '[';
			}
			i++;
			break;
		case TS_ATOM:
			if (!t->bracket && (is_ws(c) || c == '(' || c == ')')) {
				t->state = TS_NONE;
				fn(ctx, TK_ATOM, t->start, i, t->depth);
				break; /* the delimiter is read again, in TS_NONE */
			}
			if (c == '[' && t->brackets)
				t->bracket++;
			else if (c == ']' && t->bracket)
				t->bracket--;
			i++;
			break;
		case TS_QUOTED:
			if (c == '\\') {
				t->state = TS_QESC;
			} else if (c == '"') {
				t->state = TS_NONE;
				fn(ctx, TK_QUOTED, t->start, i + 1, t->depth);
			}
			i++;
			break;
		default: /* TS_QESC */
			t->state = TS_QUOTED;
			i++;
			break;
		}
	}
	if (final && t->state != TS_NONE) {
		fn(ctx, t->state == TS_ATOM ? TK_ATOM : TK_QUOTED, t->start, n, t->depth);
		t->state = TS_NONE;
	}
}

static void tok_none(void *ctx, enum tk kind, size_t start, size_t end, int depth)
{
	(void)ctx, (void)kind, (void)start, (void)end, (void)depth;
}

/* Would scanning p[0..at) leave no token open, so that what follows can be
 * a literal's announcement? (Asked before the real scan: a piece is
 * scanned once, whole or up to the literal.) */
static int literal_free(const struct itok *t, const uint8_t *p, size_t at)
{
	struct itok dry = *t;
	tok_scan(&dry, p, at, 0, tok_none, NULL);
	return dry.state == TS_NONE;
}

/* A literal's announcement ending the line p[0..n): "{" n "}", with "+"
 * or "-" before the "}" (RFC 7888), with "~" before the "{" (RFC 3516
 * literal8), after white space or "(" (or at the start of a piece). Returns
 * where it starts, or n when there is none; *size its count, *sync 1 when
 * the sender waits for a continuation first. *bad: a count too large to
 * be one (over 2^53). */
static size_t literal_at(const uint8_t *p, size_t n, uint64_t *size, int *sync, int *bad)
{
	*bad = 0;
	if (n < 3 || p[n - 1] != '}')
		return n;
	size_t e = n - 1;
	*sync = 1;
	if (p[e - 1] == '+' || p[e - 1] == '-') {
		*sync = 0;
		e--;
	}
	size_t d = e;
	while (d > 0 && p[d - 1] >= '0' && p[d - 1] <= '9')
		d--;
	if (d == e || d == 0 || p[d - 1] != '{')
		return n;
	size_t at = d - 1;
	if (at > 0 && p[at - 1] == '~')
		at--;
	if (at > 0 && !is_ws(p[at - 1]) && p[at - 1] != '(')
		return n;
	uint64_t v = 0;
	for (size_t i = d; i < e; i++) {
		if (v > (UINT64_C(1) << 53) / 10) {
			*bad = 1;
			return n;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*size = v;
	return at;
}

/* --- the session --------------------------------------------------------- */

enum ikind {
	I_OTHER,
	I_LOGIN,
	I_AUTH,   /* AUTHENTICATE */
	I_SELECT, /* SELECT, EXAMINE */
	I_CLOSE,  /* CLOSE, UNSELECT: no mailbox selected after */
	I_APPEND,
	I_FETCH, /* FETCH, UID FETCH */
	I_STARTTLS,
	I_COMPRESS,
	I_IDLE,
	I_LOGOUT,
};

/* What a literal holds, by where it stands. L_SASL: AUTHENTICATE's
 * initial response, decoded (and masked) once whole. */
enum lit { L_SHOW, L_ARG, L_SECRET, L_SASL, L_MSG, L_PART, L_SKIP };

struct icmd {
	enum ikind kind;
	uint8_t tag[TAG_CAP];
	size_t tag_len;
	char verb[24];
	struct buf shown; /* "tag VERB args" as shown: escaped, secrets masked */
	size_t args_at;   /* shown.len after the verb */
	struct buf arg;   /* LOGIN: the user; SELECT, EXAMINE, APPEND: the mailbox */
	struct buf lines; /* the first untagged responses it drew, as shown */
	uint64_t untagged, untagged_shown;
	size_t argn; /* arguments at the top level so far */
	int open;    /* its line goes on after a literal still to come */
	int pipelined;
	int gap;      /* responses went missing while it waited */
	int idling;   /* IDLE: the server said go ahead */
	int awaiting; /* AUTHENTICATE: a challenge came, the client's response is due */
	int unread;   /* LOGIN, AUTHENTICATE: arguments not as the grammar has them */
	int before;   /* stands for a command from before the capture (midstream) */
	int64_t ts;
	int64_t arrived; /* the time of its first line (ts moves on: AUTHENTICATE) */
	uint64_t frame;
};

enum mstate { M_NONE, M_FILLING, M_HELD };

/* A message carried in a literal: FETCH (server) or APPEND (client). */
struct imsg {
	enum mstate state;
	struct buf data;
	int incomplete, too_big, partial;
	struct buf item;    /* FETCH: the data item it came as ("BODY[]"), up to --max-line */
	struct buf mailbox; /* APPEND: the mailbox named */
	int64_t ts_start, ts_end;
	uint64_t frame_start, frame_end;
};

/* A response being read: its first line ended in a literal. */
struct iresp {
	int active;
	int fetch; /* "* n FETCH (...)" */
	uint64_t seq, uid;
	int has_uid;
	struct itok tok;
	size_t att;      /* FETCH: data items and values at depth 1 so far */
	struct buf name; /* FETCH: the last data item's name, up to --max-line */
	int skip;        /* resynchronising: the response is skipped, literals and all */
	struct buf text; /* as shown, up to RESPONSE_SHOWN */
	int64_t ts;
	uint64_t frame;
};

/* The literal being read, on either side. */
struct iliteral {
	enum lit kind;
	uint64_t size, left;
	int sync, started;
	struct buf small; /* its first bytes, for showing or keeping */
};

struct imap {
	const struct ss_flow *f;
	const struct dissect_opts *o;
	/* the line engines, anomalies, notes, SASL and TLS: the session engine's
	 * (its queue is not used: completions pair with commands by tag) */
	struct pingpong pp;
	struct icmd **q; /* commands waiting for their completion, oldest first */
	size_t nq, qcap;
	/* the client's side */
	struct icmd *cur; /* the command whose line goes on after a literal */
	struct itok ctok;
	struct iliteral lit[2];
	int c_resync; /* after a gap: lines are skipped until a tagged command */
	/* the server's side */
	struct iresp r;
	int s_resync;     /* after a gap: lines are skipped until a tagged completion */
	struct imsg m[2]; /* [SS_S2C] FETCH, [SS_C2S] APPEND */
	/* picked up in the middle: lines are skipped until one can be read */
	int mid[2];
	uint64_t mid_skipped[2]; /* lines skipped so */
	/* the session */
	int greeted, logout, compressed;
	struct buf login;   /* who logged in */
	struct buf mailbox; /* the mailbox selected */
	uint64_t c_gaps;    /* gaps in the client's bytes: tags may be unknown */
	uint64_t msg_bare_lf, first_msg_bare_lf;
	int64_t first_msg_bare_lf_ts;
};

enum {
	SAID_BEFORE_GREETING,
	SAID_AFTER_LOGOUT,
	SAID_NO_CMD,
	SAID_PIPE_FULL,
	SAID_TOO_BIG,
	SAID_BAD_LINE,
	SAID_BAD_LITERAL,
	SAID_MSGMEM,
};

static void say(struct imap *s, int once, enum ss_dir d, uint64_t frame, int64_t ts,
                const char *what, const char *detail)
{
	pp_say(&s->pp, once, d, frame, ts, what, detail);
}

static void show(struct buf *b, const uint8_t *p, size_t n)
{
	if (escape_add(b, p, n))
		return; /* display only: a full buffer ends the text */
}

static void show_lit(struct buf *b, const char *s, size_t n)
{
	if (buf_add(b, s, n))
		return;
}

static void showf(struct buf *b, const char *fmt, ...) SS_PRINTF(2, 3);
static void showf(struct buf *b, const char *fmt, ...)
{
	char t[128];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(t, sizeof t, fmt, ap);
	va_end(ap);
	if (k > 0)
		show_lit(b, t, (size_t)k < sizeof t ? (size_t)k : sizeof t - 1);
}

/* The value of an astring token (RFC 9051 9): an atom as it is, a quoted
 * string without its quotes and escapes. */
static void token_value(struct buf *out, const uint8_t *p, size_t n)
{
	buf_reset(out);
	if (n >= 1 && p[0] == '"') {
		p++;
		n = n >= 2 && p[n - 2] == '"' ? n - 2 : n - 1;
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
			if (buf_add(out, p + i, 1))
				return;
		}
		return;
	}
	if (buf_add(out, p, n))
		buf_reset(out);
}

/* --- records -------------------------------------------------------------- */

/* ST_DATA: an untagged response that is data, not a status (EXISTS, FETCH...). */
enum status { ST_NONE, ST_OK, ST_NO, ST_BAD, ST_CONT, ST_PREAUTH, ST_BYE, ST_DATA };

static const char *status_name(enum status st)
{
	static const char *const names[] = {NULL, "OK", "NO", "BAD", "+", "PREAUTH", "BYE", NULL};
	return names[st];
}

/* placeholder: what stands for a command that was not seen (NULL: none). */
static void exchange(struct imap *s, const struct icmd *c, const struct ss_str *placeholder,
                     const uint8_t *reply, size_t rlen, enum status st, int64_t ts, uint64_t frame)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_EXCHANGE;
	r.flow = s->f;
	r.u.ex.p = RP_IMAP;
	r.u.ex.proto = "imap";
	if (c) {
		r.u.ex.verb = c->before ? NULL : c->verb;
		r.u.ex.cmd = (struct ss_str){c->shown.p, c->shown.len};
		r.u.ex.ts_cmd = c->ts;
		r.u.ex.frame_cmd = c->frame;
		r.u.ex.pipelined = c->pipelined;
	} else if (placeholder) {
		r.u.ex.cmd = *placeholder;
		r.u.ex.ts_cmd = ts;
		r.u.ex.frame_cmd = frame; /* a time has its frame (0: no time) */
	}
	r.u.ex.reply = (struct ss_str){reply, rlen};
	r.u.ex.code = st == ST_NONE ? -1 : st == ST_NO || st == ST_BAD || st == ST_BYE ? 0 : 1;
	r.u.ex.status = status_name(st);
	r.u.ex.ts_reply = ts;
	r.u.ex.frame_reply = frame;
	record_emit(&r);
}

#define note(s, what, ts, frame, ...) pp_note(&(s)->pp, what, ts, frame, __VA_ARGS__)

/* --- messages in literals --------------------------------------------------- */

static void msg_begin(struct imap *s, struct imsg *m, int partial, int64_t ts, uint64_t frame)
{
	m->state = M_FILLING;
	m->incomplete = m->too_big = 0;
	m->partial = partial;
	buf_reset(&m->item);
	msgmem_end(&m->data, NULL);
	buf_init(&m->data, s->o->caps->max_message);
	msgmem_begin(&m->data, s->o->caps->max_messages_mem, NULL);
	buf_reset(&m->mailbox);
	m->ts_start = m->ts_end = ts;
	m->frame_start = m->frame_end = frame;
}

static void msg_add(struct imap *s, struct imsg *m, enum ss_dir d, const struct lp_item *it)
{
	m->ts_end = it->ts;
	m->frame_end = it->frame;
	if (m->too_big || !it->len)
		return;
	size_t room = m->data.cap - m->data.len;
	enum msgmem_res res = msgmem_add(&m->data, s->o->caps->max_messages_mem, it->p,
	                                 it->len < room ? it->len : room);
	if (res == MSGMEM_SHARED) {
		m->too_big = 1;
		say(s, SAID_MSGMEM, d, it->frame, it->ts, "messages_mem",
		    "the messages being collected passed --max-messages-mem; what this one kept "
		    "is marked incomplete");
	} else if (res != MSGMEM_OK || it->len > room) {
		/* Kept up to the cap, however the bytes came in segments. */
		m->too_big = 1;
		say(s, SAID_TOO_BIG, d, it->frame, it->ts, "message_too_big",
		    "a message over --max-message; what was kept is marked incomplete");
	}
}

/* Emits the message m holds. which: how the session named it; reply: the
 * server's completion (APPEND), or empty. */
static void msg_out(struct imap *s, struct imsg *m, const char *how, const struct ss_str *which,
                    const struct ss_str *mailbox, int code, const uint8_t *reply, size_t rlen)
{
	if (m->state == M_NONE)
		return;
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = s->f;
	struct rec_message *x = &r.u.msg;
	x->p = RP_IMAP;
	x->role = m == &s->m[SS_C2S] ? RR_APPEND : RR_RETRIEVAL;
	x->proto = "imap";
	x->how = how;
	x->number = record_message_number();
	x->data = (struct ss_str){m->data.p, m->data.len};
	x->incomplete = m->incomplete || m->too_big;
	x->partial = m->partial;
	x->code = code;
	x->reply = (struct ss_str){reply, rlen};
	x->user = (struct ss_str){s->login.p, s->login.len};
	x->mailbox = *mailbox;
	x->which = *which;
	x->ts_start = m->ts_start;
	x->frame_start = m->frame_start;
	x->ts_end = m->ts_end;
	x->frame_end = m->frame_end;
	struct msg parsed;
	x->msg = msg_parse(&parsed, m->data.p ? m->data.p : (const uint8_t *)"", m->data.len)
	             ? NULL
	             : &parsed;
	record_emit(&r);
	if (x->msg) {
		if (parsed.bare_lf && !s->msg_bare_lf) {
			s->first_msg_bare_lf = m->frame_start;
			s->first_msg_bare_lf_ts = m->ts_start;
		}
		s->msg_bare_lf += parsed.bare_lf;
		msg_free(&parsed);
	}
	m->state = M_NONE;
	msgmem_end(&m->data, NULL);
}

/* The FETCH message held until its response ended (its UID may come after
 * the literal). */
static void fetch_out(struct imap *s)
{
	struct imsg *m = &s->m[SS_S2C];
	/* The item named in full, however long (--max-line bounds it). */
	struct buf which;
	buf_init(&which, m->item.len + 32);
	showf(&which, "%s %llu ", s->r.has_uid ? "UID" : "FETCH",
	      (unsigned long long)(s->r.has_uid ? s->r.uid : s->r.seq));
	if (buf_add(&which, m->item.p, m->item.len))
		buf_reset(&which); /* cannot be: room was made for it */
	struct ss_str w = {which.p, which.len};
	struct ss_str mb = {s->mailbox.p, s->mailbox.len};
	msg_out(s, m, "FETCH", &w, &mb, -1, NULL, 0);
	buf_free(&which);
}

/* APPENDUID (RFC 4315 3) in a completion names the new message's UID; a
 * set of them (MULTIAPPEND) is not taken apart. */
static void append_out(struct imap *s, const uint8_t *reply, size_t rlen, int code)
{
	struct imsg *m = &s->m[SS_C2S];
	char which[80];
	int k = 0;
	for (size_t i = 0; i + 11 < rlen; i++) {
		if (!word_starts(reply + i, rlen - i, LIT("[APPENDUID ")))
			continue;
		size_t a = i + 11;
		while (a < rlen && reply[a] >= '0' && reply[a] <= '9')
			a++;
		size_t b = ++a;
		while (b < rlen && b - a < 20 && reply[b] >= '0' && reply[b] <= '9')
			b++;
		if (b > a && b < rlen && reply[b] == ']')
			k = snprintf(which, sizeof which, "UID %.*s", (int)(b - a),
			             (const char *)reply + a);
		break;
	}
	struct ss_str w = {(const uint8_t *)which, k > 0 ? (size_t)k : 0};
	struct ss_str mb = {m->mailbox.p, m->mailbox.len};
	msg_out(s, m, "APPEND", &w, &mb, code, reply, rlen);
}

/* --- the commands waiting --------------------------------------------------- */

static void cmd_free(struct icmd *c)
{
	if (!c)
		return;
	buf_free(&c->shown);
	buf_free(&c->arg);
	buf_free(&c->lines);
	free(c);
	memacct_give(&ss_held, sizeof *c);
}

static void cmd_remove(struct imap *s, size_t i)
{
	if (s->q[i] == s->cur)
		s->cur = NULL;
	cmd_free(s->q[i]);
	memmove(s->q + i, s->q + i + 1, (s->nq - i - 1) * sizeof *s->q);
	s->nq--;
}

static struct icmd *cmd_new(struct imap *s, const struct lp_item *it)
{
	size_t max = s->o->caps->max_pipeline ? (size_t)s->o->caps->max_pipeline : 1;
	/* A waiting command counts in --max-held-mem; when that is full, the
	 * oldest goes as when --max-pipeline is reached. */
	int held = memacct_take(&ss_held, ss_held.cap, sizeof(struct icmd));
	if (s->nq == max || (held && s->nq)) {
		say(s, SAID_PIPE_FULL, SS_C2S, it->frame, it->ts, "pipeline_full",
		    "more commands without completions than --max-pipeline (or room in "
		    "--max-held-mem); the oldest is shown without one");
		exchange(s, s->q[0], NULL, NULL, 0, ST_NONE, 0, 0);
		cmd_remove(s, 0);
		if (held)
			held = memacct_take(&ss_held, ss_held.cap, sizeof(struct icmd));
	}
	if (held)
		return NULL;
	if (s->nq == s->qcap) {
		size_t cap = s->qcap ? s->qcap * 2 : 8;
		struct icmd **q = realloc(s->q, cap * sizeof *q);
		if (!q) {
			memacct_give(&ss_held, sizeof(struct icmd));
			return NULL;
		}
		s->q = q;
		s->qcap = cap;
	}
	struct icmd *c = calloc(1, sizeof *c);
	if (!c) {
		memacct_give(&ss_held, sizeof *c);
		return NULL;
	}
	buf_init(&c->shown, s->o->caps->max_line);
	buf_count(&c->shown, &ss_held); /* up to --max-pipeline of them wait */
	buf_init(&c->arg, ARG_CAP);
	buf_init(&c->lines, SUMMARY_LINES * (SUMMARY_LINE + 8));
	c->pipelined = s->nq > 0;
	c->ts = c->arrived = it->ts;
	c->frame = it->frame;
	s->q[s->nq++] = c;
	return c;
}

static size_t cmd_find(const struct imap *s, const uint8_t *tag, size_t n)
{
	for (size_t i = 0; i < s->nq; i++) {
		const struct icmd *c = s->q[i];
		if (!c->before && c->tag_len == n &&
		    !memcmp(c->tag, tag, n < TAG_CAP ? n : TAG_CAP))
			return i;
	}
	return s->nq;
}

static struct icmd *cmd_of_kind(const struct imap *s, enum ikind k)
{
	for (size_t i = 0; i < s->nq; i++)
		if (s->q[i]->kind == k)
			return s->q[i];
	return NULL;
}

/* The commands IMAP has (RFC 9051 6 and the extensions seen in the wild):
 * what a line must start with, after its tag, to be taken for a command
 * when resynchronising. */
static int known_command(const uint8_t *p, size_t n)
{
	static const struct {
		const char *w;
		size_t len;
	} cmds[] = {
	    {LIT("CAPABILITY")},   {LIT("NOOP")},
	    {LIT("LOGOUT")},       {LIT("STARTTLS")},
	    {LIT("AUTHENTICATE")}, {LIT("LOGIN")},
	    {LIT("SELECT")},       {LIT("EXAMINE")},
	    {LIT("CREATE")},       {LIT("DELETE")},
	    {LIT("RENAME")},       {LIT("SUBSCRIBE")},
	    {LIT("UNSUBSCRIBE")},  {LIT("LIST")},
	    {LIT("LSUB")},         {LIT("NAMESPACE")},
	    {LIT("STATUS")},       {LIT("APPEND")},
	    {LIT("IDLE")},         {LIT("CHECK")},
	    {LIT("CLOSE")},        {LIT("UNSELECT")},
	    {LIT("EXPUNGE")},      {LIT("SEARCH")},
	    {LIT("FETCH")},        {LIT("STORE")},
	    {LIT("COPY")},         {LIT("MOVE")},
	    {LIT("UID")},          {LIT("ENABLE")},
	    {LIT("ID")},           {LIT("COMPRESS")},
	    {LIT("GETQUOTA")},     {LIT("GETQUOTAROOT")},
	    {LIT("SETQUOTA")},     {LIT("GETACL")},
	    {LIT("SETACL")},       {LIT("MYRIGHTS")},
	    {LIT("SORT")},         {LIT("THREAD")},
	    {LIT("GETMETADATA")},  {LIT("SETMETADATA")},
	    {LIT("XLIST")},        {LIT("UNAUTHENTICATE")},
	    {LIT("NOTIFY")},       {LIT("REPLACE")},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (word_is(p, n, cmds[i].w, cmds[i].len))
			return 1;
	return 0;
}

/* The tag: 1*<ASTRING-CHAR except "+"> (RFC 9051 9), read leniently: any
 * printable byte but those that delimit. Returns its length. */
static size_t tag_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != '(' && p[i] != ')' && p[i] != '{' &&
	       p[i] != '"' && p[i] != '\\' && p[i] != '%' && p[i] != '*' && p[i] != '+')
		i++;
	return i;
}

static size_t word_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && !is_ws(p[i]))
		i++;
	return i;
}

/* Where the white space from i on ends. */
static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && is_ws(p[i]))
		i++;
	return i;
}

/* Does the line read as "tag SP command"? */
static int looks_like_command(const uint8_t *p, size_t n)
{
	size_t t = tag_len(p, n);
	if (!t || t >= n || !is_ws(p[t]))
		return 0;
	size_t v = skip_ws(p, n, t);
	return known_command(p + v, word_len(p + v, n - v));
}

/* --- picked up in the middle ------------------------------------------------ */

/* What stands for a command the capture began after. */
static const char before_capture[] = "[a command from before the capture]";

/* The condition a status response states (RFC 9051 7.1), if any. */
static enum status cond_of(const uint8_t *p, size_t n)
{
	size_t w = word_len(p, n);
	if (word_is(p, w, LIT("OK")))
		return ST_OK;
	if (word_is(p, w, LIT("NO")))
		return ST_NO;
	if (word_is(p, w, LIT("BAD")))
		return ST_BAD;
	if (word_is(p, w, LIT("PREAUTH")))
		return ST_PREAUTH;
	if (word_is(p, w, LIT("BYE")))
		return ST_BYE;
	return ST_NONE;
}

/* A session picked up without its start (f->midstream) may begin inside a
 * literal, whose bytes must not be read as protocol: side d's lines are
 * skipped until one can be read (readable), said once. Returns 1 when
 * the line is skipped. */
static int mid_skip(struct imap *s, enum ss_dir d, int readable, const struct lp_item *it)
{
	if (!readable) {
		s->mid_skipped[d]++;
		return 1;
	}
	s->mid[d] = 0;
	if (s->mid_skipped[d])
		ss_eventf("imap", "midstream_skipped", it->frame, it->ts, s->f->id, d,
		          "picked up inside the session: %llu lines skipped up to the first %s "
		          "that can be read",
		          (unsigned long long)s->mid_skipped[d],
		          d == SS_C2S ? "command" : "response");
	return 0;
}

/* Untagged responses a session picked up in the middle may be read from
 * (RFC 9051 7): a status, "n EXISTS" and the like, or a known data
 * response - not any "* " line: in a message it begins a list item. */
static int untagged_readable(const uint8_t *p, size_t n)
{
	static const struct {
		const char *w;
		size_t len;
	} data[] = {
	    {LIT("OK")},        {LIT("NO")},         {LIT("BAD")},      {LIT("BYE")},
	    {LIT("PREAUTH")},   {LIT("CAPABILITY")}, {LIT("LIST")},     {LIT("LSUB")},
	    {LIT("STATUS")},    {LIT("SEARCH")},     {LIT("ESEARCH")},  {LIT("FLAGS")},
	    {LIT("ENABLED")},   {LIT("NAMESPACE")},  {LIT("ID")},       {LIT("QUOTA")},
	    {LIT("QUOTAROOT")}, {LIT("ACL")},        {LIT("MYRIGHTS")}, {LIT("METADATA")},
	    {LIT("SORT")},      {LIT("THREAD")},     {LIT("VANISHED")}, {LIT("XLIST")},
	};
	size_t i = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i && i < n && p[i] == ' ')
		return word_len(p + i + 1, n - i - 1) > 0; /* "3 EXISTS", "1 FETCH (" */
	size_t w = word_len(p, n);
	for (size_t k = 0; k < sizeof data / sizeof data[0]; k++)
		if (word_is(p, w, data[k].w, data[k].len))
			return 1;
	return 0;
}

/* Can the server's line start a response: untagged, or a tagged
 * completion? (A continuation is not taken: it may be text.) */
static int server_readable(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == '*' && p[1] == ' ')
		return untagged_readable(p + 2, n - 2);
	size_t t = tag_len(p, n);
	if (!t || t >= n || !is_ws(p[t]))
		return 0;
	enum status st = cond_of(p + t + 1, n - t - 1);
	return st == ST_OK || st == ST_NO || st == ST_BAD;
}

/* The command from before the capture that untagged responses answer
 * when none seen waits: it takes them, and the first tagged completion
 * not paired otherwise. */
static void cmd_before(struct imap *s, int64_t ts, uint64_t frame)
{
	struct lp_item at = {.ts = ts, .frame = frame};
	struct icmd *c = cmd_new(s, &at);
	if (!c)
		return;
	c->before = 1;
	show_lit(&c->shown, LIT(before_capture));
}

/* --- the client's side ----------------------------------------------------- */

struct cscan {
	struct imap *s;
	struct icmd *c;
	const uint8_t *p; /* the piece being scanned */
};

static void client_tok(void *ctx, enum tk kind, size_t start, size_t end, int depth)
{
	struct cscan *x = ctx;
	struct icmd *c = x->c;
	if (depth != 0 || kind == TK_CLOSE)
		return;
	size_t argi = c->argn++;
	if (kind == TK_OPEN)
		return; /* a list: APPEND's flags, a FETCH's items */
	if ((c->kind == I_SELECT || c->kind == I_APPEND) && argi == 0)
		token_value(&c->arg, x->p + start, end - start);
}

/* --- LOGIN and AUTHENTICATE: the arguments that hold secrets ---------------- */

/* Where the astring (RFC 9051 9) at p[a] (not white space) ends: after
 * an atom, or after a quoted string's closing quote, with white space or
 * the end next. 0 when it is neither (a string left open or run on, a byte
 * no atom holds): the line cannot be read. "[", "]", "%" and "*" are taken
 * in atoms, as servers take them. */
static size_t astring_end(const uint8_t *p, size_t n, size_t a)
{
	if (p[a] == '"') {
		for (size_t i = a + 1; i < n; i++) {
			if (p[i] == '\\')
				i++; /* the escaped byte is no closing quote */
			else if (p[i] == '"')
				return i + 1 == n || is_ws(p[i + 1]) ? i + 1 : 0;
		}
		return 0;
	}
	size_t i = a;
	for (; i < n && !is_ws(p[i]); i++)
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '(' || p[i] == ')' || p[i] == '{' ||
		    p[i] == '"' || p[i] == '\\')
			return 0;
	return i;
}

/* The arguments cannot be read as the grammar has them: a server may take
 * any part for the password, so nothing after the verb is shown (nor taken
 * for the user), unless --show-secrets. */
static void secret_unread(struct imap *s, struct icmd *c)
{
	if (c->unread)
		return;
	c->unread = 1;
	if (s->o->show_secrets)
		return;
	c->shown.len = c->args_at;
	show_lit(&c->shown, LIT(" " SASL_MASK));
	buf_reset(&c->arg);
	s->pp.sasl.user[0] = 0;
}

/* Is nothing more of command c to be shown (secret_unread)? */
static int hidden(const struct imap *s, const struct icmd *c)
{
	return c->unread && !s->o->show_secrets;
}

/* Argument argi (0 or 1) of LOGIN (userid, password) or AUTHENTICATE
 * (mechanism, initial response: RFC 4959, "=" is empty), an atom or a
 * quoted string. */
static void secret_arg(struct imap *s, struct icmd *c, size_t argi, const uint8_t *v, size_t vn)
{
	if (c->kind == I_AUTH) {
		if (argi == 0) {
			sasl_begin(&s->pp.sasl, v, vn);
			show(&c->shown, v, vn);
		} else {
			sasl_response(&s->pp.sasl, v, vn, s->o->show_secrets, &c->shown);
		}
	} else if (argi == 0 || s->o->show_secrets) {
		if (argi == 0)
			token_value(&c->arg, v, vn);
		show(&c->shown, v, vn);
	} else {
		show_lit(&c->shown, LIT(SASL_MASK));
	}
}

/* The piece p[0..n) of a LOGIN or AUTHENTICATE command, up to a literal's
 * announcement if one follows (client_piece counts the literal). */
static void secret_args(struct imap *s, struct icmd *c, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (c->unread) {
			if (s->o->show_secrets)
				show(&c->shown, p + i, n - i);
			return;
		}
		size_t a = skip_ws(p, n, i);
		show(&c->shown, p + i, a - i);
		if (a == n)
			return;
		size_t e = astring_end(p, n, a);
		if (!e || c->argn >= 2) {
			secret_unread(s, c); /* the rest is shown as it is, or not at all */
			i = a;
			continue;
		}
		secret_arg(s, c, c->argn++, p + a, e - a);
		i = e;
	}
}

/* What a literal in command c holds, by the argument it is. */
static enum lit client_lit_kind(const struct imap *s, const struct icmd *c, int depth, size_t argi)
{
	switch (c->kind) {
	case I_LOGIN:
		if (c->unread || depth || argi != 0)
			return s->o->show_secrets ? L_SHOW : L_SECRET;
		return L_ARG;
	case I_AUTH:
		if (!c->unread && !depth && argi == 1)
			return L_SASL;
		return s->o->show_secrets ? L_SHOW : L_SECRET;
	case I_SELECT:
		return !depth && argi == 0 ? L_ARG : L_SHOW;
	case I_APPEND:
		/* APPEND mailbox [flags] [date-time] literal, again for MULTIAPPEND
		 * (RFC 3502); inside parentheses, CATENATE's TEXT parts (RFC 4469). */
		return depth ? L_PART : argi == 0 ? L_ARG : L_MSG;
	default:
		return L_SHOW;
	}
}

static void lit_begin(struct imap *s, enum ss_dir d, enum lit kind, uint64_t size, int sync,
                      const struct lp_item *it)
{
	struct iliteral *l = &s->lit[d];
	l->kind = kind;
	l->size = l->left = size;
	l->sync = sync;
	l->started = 0;
	buf_reset(&l->small);
	if (kind == L_MSG || kind == L_PART) {
		struct imsg *m = &s->m[d];
		if (m->state == M_HELD) {
			if (d == SS_S2C)
				fetch_out(s);
			else
				append_out(s, NULL, 0, -1);
		}
		msg_begin(s, m, kind == L_PART, it->ts, it->frame);
	}
	if (size)
		lineproto_set(&s->pp.lp[d], LP_OCTETS, size);
}

/* How a literal that ended is shown after its "{n}". */
static void lit_shown(struct imap *s, struct buf *b, const struct iliteral *l)
{
	if (l->kind == L_SECRET)
		show_lit(b, LIT(SASL_MASK));
	else if (l->kind == L_SASL && l->small.len == l->size)
		sasl_response(&s->pp.sasl, l->small.p ? l->small.p : (const uint8_t *)"",
		              l->small.len, s->o->show_secrets, b);
	else if (l->kind == L_SASL) /* over ARG_CAP: not decoded */
		show_lit(b, LIT(SASL_MASK));
	else if (l->kind == L_SKIP)
		return;
	else if (l->size <= SHOW_LITERAL && l->small.len == l->size && l->kind != L_MSG &&
	         l->kind != L_PART)
		show(b, l->small.p, l->small.len);
	else
		showf(b, "[%llu bytes]", (unsigned long long)l->size);
}

/* The command's piece p[0..n): the first line after "tag VERB", or a line
 * that goes on after a literal. */
static void client_piece(struct imap *s, struct icmd *c, const uint8_t *p, size_t n,
                         const struct lp_item *it)
{
	uint64_t size = 0;
	int sync = 1, bad = 0;
	size_t at = literal_at(p, n, &size, &sync, &bad);
	if (bad)
		say(s, SAID_BAD_LITERAL, SS_C2S, it->frame, it->ts, "bad_literal",
		    "a literal announced with an impossible size; read as text");
	struct cscan x = {s, c, p};
	int secret = c->kind == I_LOGIN || c->kind == I_AUTH;
	int quoted = at < n && !literal_free(&s->ctok, p, at);
	if (quoted && !secret)
		at = n; /* "{n}" inside a quoted string is text */
	tok_scan(&s->ctok, p, at, at == n, secret ? tok_none : client_tok, &x);
	if (secret)
		secret_args(s, c, p, at);
	else
		show(&c->shown, p, at);
	if (quoted && secret) {
		/* A string left open: the line cannot be read, and the client
		 * may send the password as the literal all the same. */
		secret_unread(s, c);
		s->ctok.state = TS_NONE;
	}
	if (at == n) {
		c->open = 0;
		s->cur = NULL;
		return;
	}
	int depth = s->ctok.depth;
	size_t argi = depth ? 0 : c->argn++;
	if (secret && (depth || argi >= 2))
		secret_unread(s, c); /* a list, or more arguments than there are */
	if (!hidden(s, c))
		show(&c->shown, p + at, n - at); /* the announcement */
	c->open = 1;
	s->cur = c;
	lit_begin(s, SS_C2S, client_lit_kind(s, c, depth, argi), size, sync, it);
	if (!size && !hidden(s, c)) {
		/* "{0}": the line goes on at once */
		lit_shown(s, &c->shown, &s->lit[SS_C2S]);
		if (s->lit[SS_C2S].kind == L_MSG || s->lit[SS_C2S].kind == L_PART)
			s->m[SS_C2S].state = M_HELD;
	}
	if (s->lit[SS_C2S].kind == L_MSG || s->lit[SS_C2S].kind == L_PART) {
		struct imsg *m = &s->m[SS_C2S];
		if (buf_add(&m->mailbox, c->arg.p, c->arg.len))
			buf_reset(&m->mailbox);
	}
}

static enum ikind kind_of(const uint8_t *v, size_t n)
{
	static const struct {
		const char *w;
		size_t len;
		enum ikind kind;
	} cmds[] = {
	    {LIT("LOGIN"), I_LOGIN},       {LIT("AUTHENTICATE"), I_AUTH},
	    {LIT("SELECT"), I_SELECT},     {LIT("EXAMINE"), I_SELECT},
	    {LIT("CLOSE"), I_CLOSE},       {LIT("UNSELECT"), I_CLOSE},
	    {LIT("APPEND"), I_APPEND},     {LIT("FETCH"), I_FETCH},
	    {LIT("UID FETCH"), I_FETCH},   {LIT("STARTTLS"), I_STARTTLS},
	    {LIT("COMPRESS"), I_COMPRESS}, {LIT("IDLE"), I_IDLE},
	    {LIT("LOGOUT"), I_LOGOUT},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (word_is(v, n, cmds[i].w, cmds[i].len))
			return cmds[i].kind;
	return I_OTHER;
}

/* A new command: "tag SP command [SP arguments]" (RFC 9051 2.2.1). */
static void client_command(struct imap *s, const uint8_t *p, size_t n, const struct lp_item *it)
{
	struct icmd *c = cmd_new(s, it);
	if (!c)
		return;
	size_t t = word_len(p, n);
	c->tag_len = t;
	memcpy(c->tag, p, t < TAG_CAP ? t : TAG_CAP);
	/* Words split on runs of SP or HTAB, as lenient servers split them:
	 * "a1\tLOGIN" is a LOGIN to them, and its password must be masked. */
	size_t v = skip_ws(p, n, t), ve = v + word_len(p + v, n - v);
	if (ve - v == 3 && word_starts(p + v, n - v, LIT("UID"))) {
		size_t w = skip_ws(p, n, ve);
		if (w < n)
			ve = w + word_len(p + w, n - w); /* "UID FETCH" is one */
	}
	size_t k = 0;
	for (size_t i = v; i < ve && k + 1 < sizeof c->verb; i++) {
		uint8_t ch = ascii_upper(p[i]);
		if (is_ws(ch) && k && c->verb[k - 1] == ' ')
			continue;
		c->verb[k++] = (char)(is_ws(ch) ? ' ' : ch >= 0x20 && ch < 0x7f ? ch : '?');
	}
	c->verb[k] = 0;
	c->kind = kind_of((const uint8_t *)c->verb, k);
	if (s->logout)
		say(s, SAID_AFTER_LOGOUT, SS_C2S, it->frame, it->ts, "command_after_logout",
		    "the client sent more after LOGOUT");
	show(&c->shown, p, ve);
	c->args_at = c->shown.len;
	memset(&s->ctok, 0, sizeof s->ctok);
	s->ctok.brackets = c->kind == I_FETCH;
	if (c->kind == I_AUTH)
		sasl_begin(&s->pp.sasl, (const uint8_t *)"", 0); /* nothing of an earlier one */
	client_piece(s, c, p + ve, n - ve, it);
}

static void client_line(struct imap *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (s->mid[SS_C2S] && mid_skip(s, SS_C2S, looks_like_command(p, n), it))
		return;
	if (it->cut == LP_CUT_LONG)
		say(s, -1, SS_C2S, it->frame, it->ts, "line_too_long",
		    "a command line over --max-line: cut there, the rest skipped");
	if (!s->greeted && !s->f->midstream)
		say(s, SAID_BEFORE_GREETING, SS_C2S, it->frame, it->ts, "data_before_greeting",
		    "the client spoke before the server's greeting (RFC 9051 7.1)");
	if (s->cur) {
		client_piece(s, s->cur, p, n, it);
		return;
	}
	if (!n)
		return; /* an empty line says nothing */
	int cmdlike = looks_like_command(p, n);
	struct icmd *idle = cmd_of_kind(s, I_IDLE);
	if (idle && word_is(p, n, LIT("DONE"))) {
		show_lit(&idle->shown, LIT(" ... DONE")); /* RFC 2177 3 */
		s->c_resync = 0;
		return;
	}
	if (s->c_resync) {
		if (!cmdlike)
			return;
		s->c_resync = 0;
	}
	struct icmd *auth = cmd_of_kind(s, I_AUTH);
	if (auth && !auth->open && !cmdlike) {
		/* A SASL response to the server's "+" challenge (RFC 9051 6.2.2) */
		buf_reset(&auth->shown);
		sasl_response(&s->pp.sasl, p, n, s->o->show_secrets, &auth->shown);
		auth->awaiting = 0;
		auth->ts = it->ts;
		auth->frame = it->frame;
		return;
	}
	client_command(s, p, n, it);
}

static void client_octets(struct imap *s, const struct lp_item *it)
{
	struct iliteral *l = &s->lit[SS_C2S];
	l->started = 1;
	l->left -= it->len <= l->left ? it->len : l->left;
	if (l->kind == L_MSG || l->kind == L_PART)
		msg_add(s, &s->m[SS_C2S], SS_C2S, it);
	else if (l->kind != L_SECRET && l->small.len < ARG_CAP &&
	         buf_add(&l->small, it->p,
	                 it->len < ARG_CAP - l->small.len ? it->len : ARG_CAP - l->small.len))
		buf_reset(&l->small);
	if (!it->last)
		return;
	struct icmd *c = s->cur;
	if (l->kind == L_MSG || l->kind == L_PART)
		s->m[SS_C2S].state = M_HELD;
	if (!c)
		return;
	if (l->kind == L_ARG && l->small.len == l->size) {
		buf_set(&c->arg, l->small.p, l->small.len);
	}
	if (!hidden(s, c))
		lit_shown(s, &c->shown, l);
}

static void client_item(void *ctx, const struct lp_item *it)
{
	struct imap *s = ctx;
	switch (it->kind) {
	case LP_ITEM_LINE:
		client_line(s, it);
		break;
	case LP_ITEM_OCTETS:
		client_octets(s, it);
		break;
	case LP_ITEM_OPAQUE:
		pp_opaque(&s->pp, SS_C2S, it);
		break;
	case LP_ITEM_DATA:
		break;
	}
}

/* --- the server's side ----------------------------------------------------- */

/* What the FETCH data item name (RFC 9051 7.5.2) carries: 2 a whole
 * message (RFC822, BODY[], BINARY[]), 1 part of one (a section, a header,
 * a text, or a partial "<origin>"), 0 neither. */
static int fetch_item(const uint8_t *p, size_t n)
{
	if (word_is(p, n, LIT("RFC822")))
		return 2;
	if (word_is(p, n, LIT("RFC822.HEADER")) || word_is(p, n, LIT("RFC822.TEXT")))
		return 1;
	size_t i;
	if (word_starts(p, n, LIT("BODY[")))
		i = 5;
	else if (word_starts(p, n, LIT("BINARY[")))
		i = 7;
	else if (word_starts(p, n, LIT("BODY.PEEK[")))
		i = 10;
	else
		return 0;
	const uint8_t *e = memchr(p + i, ']', n - i);
	if (!e)
		return 0;
	return e == p + i && e + 1 == p + n ? 2 : 1;
}

static void server_tok(void *ctx, enum tk kind, size_t start, size_t end, int depth)
{
	struct cscan *x = ctx;
	struct iresp *r = &x->s->r;
	if (!r->fetch || depth != 1 || kind == TK_CLOSE)
		return;
	/* Inside "* n FETCH (...)": name, value, name, value... */
	size_t idx = r->att++;
	const uint8_t *v = x->p + start;
	size_t vn = end - start;
	if (idx % 2 == 0) {
		/* A token is no longer than its line: --max-line bounds the name. */
		if (kind == TK_ATOM)
			buf_set(&r->name, v, vn);
		else
			buf_reset(&r->name);
	} else if (kind == TK_ATOM && word_is(r->name.p, r->name.len, LIT("UID"))) {
		uint64_t u = 0;
		size_t i = 0;
		while (i < vn && v[i] >= '0' && v[i] <= '9' && u < UINT64_C(1) << 40)
			u = u * 10 + (uint64_t)(v[i++] - '0');
		if (i == vn && vn) {
			r->uid = u;
			r->has_uid = 1;
		}
	}
}

/* Adds one shown untagged response to the command's summary. */
static void summary_add(struct icmd *c, const uint8_t *p, size_t n)
{
	c->untagged++;
	if (c->untagged_shown >= SUMMARY_LINES)
		return;
	size_t k = n < SUMMARY_LINE ? n : SUMMARY_LINE;
	if (buf_add(&c->lines, "\n", 1) || buf_add(&c->lines, p, k) ||
	    (k < n && buf_add(&c->lines, "...", 3)))
		return;
	c->untagged_shown++;
}

/* Which command an untagged response belongs to: FETCH data to the oldest
 * FETCH waiting, anything else to the oldest command waiting. */
static struct icmd *owner(struct imap *s)
{
	if (s->r.fetch) {
		struct icmd *c = cmd_of_kind(s, I_FETCH);
		if (c)
			return c;
	}
	return s->nq ? s->q[0] : NULL;
}

/* An untagged response is whole. */
static void untagged_done(struct imap *s)
{
	struct iresp *r = &s->r;
	r->active = 0;
	if (s->m[SS_S2C].state == M_HELD)
		fetch_out(s);
	const uint8_t *p = r->text.p;
	size_t n = r->text.len;
	enum status st = n > 2 ? cond_of(p + 2, n - 2) : ST_NONE;
	/* Picked up in the middle, the first response is a greeting only when
	 * it reads as one (RFC 9051 7.1.1, 7.1.2, 7.1.5) with nothing before
	 * it; else it answers a command from before the capture. */
	int mid = s->f->midstream;
	int first = !s->nq && !s->mid_skipped[SS_S2C] && !s->mid_skipped[SS_C2S];
	if (!s->greeted && (!mid || (first && (st == ST_OK || st == ST_PREAUTH || st == ST_BYE)))) {
		s->greeted = 1;
		exchange(s, NULL, NULL, p, n, st, r->ts, r->frame);
		if (st == ST_PREAUTH)
			note(s, "login", r->ts, r->frame,
			     "the server says the session is already "
			     "logged in (PREAUTH)");
		return;
	}
	if (!s->greeted && mid && !s->nq)
		cmd_before(s, r->ts, r->frame);
	s->greeted = 1;
	struct icmd *c = owner(s);
	if (c) {
		summary_add(c, p, n);
		return;
	}
	/* Unsolicited (RFC 9051 7): a record of its own. */
	if (st == ST_NONE)
		st = ST_DATA;
	exchange(s, NULL, NULL, p, n, st, r->ts, r->frame);
}

/* A piece of a response: its first line (after "* "), or a line that goes
 * on after a literal. */
static void server_piece(struct imap *s, const uint8_t *p, size_t n, const struct lp_item *it)
{
	struct iresp *r = &s->r;
	uint64_t size = 0;
	int sync = 1, bad = 0;
	size_t at = literal_at(p, n, &size, &sync, &bad);
	if (r->skip) {
		if (at < n)
			lit_begin(s, SS_S2C, L_SKIP, size, 0, it);
		else
			r->active = r->skip = 0;
		return;
	}
	if (bad)
		say(s, SAID_BAD_LITERAL, SS_S2C, it->frame, it->ts, "bad_literal",
		    "a literal announced with an impossible size; read as text");
	struct cscan x = {s, NULL, p};
	if (at < n && !literal_free(&r->tok, p, at))
		at = n;
	tok_scan(&r->tok, p, at, at == n, server_tok, &x);
	if (r->text.len < RESPONSE_SHOWN)
		show(&r->text, p, n);
	if (at == n) {
		untagged_done(s);
		return;
	}
	r->active = 1;
	enum lit kind = L_SHOW;
	int what = 0;
	if (r->fetch && r->tok.depth == 1 && (r->att++ % 2) == 1)
		what = fetch_item(r->name.p, r->name.len);
	if (what)
		kind = what == 2 ? L_MSG : L_PART;
	lit_begin(s, SS_S2C, kind, size, 0, it);
	if (what) {
		struct imsg *m = &s->m[SS_S2C];
		buf_set(&m->item, r->name.p, r->name.len);
		m->ts_start = r->ts;
		m->frame_start = r->frame;
	}
	if (!size) {
		if (kind == L_MSG || kind == L_PART)
			s->m[SS_S2C].state = M_HELD;
		lit_shown(s, &r->text, &s->lit[SS_S2C]);
	}
}

static void untagged_begin(struct imap *s, const uint8_t *p, size_t n, const struct lp_item *it)
{
	struct iresp *r = &s->r;
	memset(&r->tok, 0, sizeof r->tok);
	r->fetch = r->has_uid = 0;
	r->seq = r->uid = 0;
	r->att = 0;
	buf_reset(&r->name);
	r->ts = it->ts;
	r->frame = it->frame;
	buf_reset(&r->text);
	show(&r->text, p, n < 2 ? n : 2);
	/* "* " then a number and a word (EXISTS, EXPUNGE, FETCH), or a word. */
	size_t i = 2;
	uint64_t seq = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9' && seq < UINT64_C(1) << 40)
		seq = seq * 10 + (uint64_t)(p[i++] - '0');
	if (i > 2 && i < n && p[i] == ' ') {
		size_t w = word_len(p + i + 1, n - i - 1);
		if (word_is(p + i + 1, w, LIT("FETCH"))) {
			r->fetch = 1;
			r->seq = seq;
		}
	} else if (cond_of(p + 2, n > 2 ? n - 2 : 0) != ST_NONE) {
		/* resp-cond: text, never a literal (RFC 9051 9 resp-text) */
		show(&r->text, p + 2, n - 2);
		untagged_done(s);
		return;
	}
	r->tok.brackets = r->fetch; /* section specs hold spaces and parentheses */
	server_piece(s, p + 2, n > 2 ? n - 2 : 0, it);
}

/* "+ text": a continuation request (RFC 9051 7.5). */
static void continuation(struct imap *s, const uint8_t *p, size_t n, const struct lp_item *it)
{
	struct icmd *auth = cmd_of_kind(s, I_AUTH);
	if (auth && !auth->open) {
		/* A SASL challenge, base64: shown with what it says. */
		struct buf b;
		buf_init(&b, n * 4 + 16);
		show(&b, p, n);
		if (n > 2) {
			show_lit(&b, LIT(" ("));
			sasl_challenge(&s->pp.sasl, p + 2, n - 2, &b);
			show_lit(&b, LIT(")"));
		}
		exchange(s, auth, NULL, b.p, b.len, ST_CONT, it->ts, it->frame);
		buf_free(&b);
		auth->awaiting = 1;
		return;
	}
	struct icmd *idle = cmd_of_kind(s, I_IDLE);
	if (idle && !idle->idling) {
		idle->idling = 1; /* RFC 2177 3 */
		struct buf b;
		buf_init(&b, SUMMARY_LINE * 4);
		show(&b, p, n);
		summary_add(idle, b.p, b.len);
		buf_free(&b);
		return;
	}
	/* The go-ahead for a synchronising literal: nothing to show. */
}

static void server_item(void *ctx, const struct lp_item *it);

/* What the session becomes when command c completes with st. */
static void completed(struct imap *s, struct icmd *c, enum status st, const uint8_t *reply,
                      size_t rlen, const struct lp_item *it)
{
	int ok = st == ST_OK;
	switch (c->kind) {
	case I_LOGIN:
		if (ok) {
			buf_set(&s->login, c->arg.p, c->arg.len);
			sasl_set_user(&s->pp.sasl, c->arg.p, c->arg.len);
			note(s, "login", it->ts, it->frame, "%s logged in with LOGIN",
			     s->pp.sasl.user[0] ? s->pp.sasl.user : "(someone)");
		}
		break;
	case I_AUTH:
		if (ok) {
			const char *z = memchr(s->pp.sasl.user, 0, sizeof s->pp.sasl.user);
			buf_set(&s->login, s->pp.sasl.user,
			        z ? (size_t)(z - s->pp.sasl.user) : sizeof s->pp.sasl.user);
			note(s, "login", it->ts, it->frame, "%s logged in with %s",
			     s->pp.sasl.user[0] ? s->pp.sasl.user : "(someone)", s->pp.sasl.mech);
		}
		break;
	case I_SELECT:
		/* A SELECT that fails leaves no mailbox selected (RFC 9051 6.3.2). */
		buf_set(&s->mailbox, c->arg.p, ok ? c->arg.len : 0);
		break;
	case I_CLOSE:
		if (ok)
			buf_reset(&s->mailbox);
		break;
	case I_STARTTLS:
		if (ok && !s->compressed) {
			pp_start_tls(&s->pp, client_item, server_item, s);
			note(s, "tls", it->ts, it->frame,
			     "STARTTLS accepted: the rest of the session is TLS");
		}
		break;
	case I_COMPRESS:
		/* After STARTTLS too (RFC 4978 4): inflate reads the plaintext. */
		if (ok && !s->compressed) {
			s->compressed = 1;
			int read = inflate_start(&s->pp, client_item, server_item, s);
			note(
			    s, "compress", it->ts, it->frame,
			    "COMPRESS accepted: the rest of the session is DEFLATE-compressed (RFC "
			    "4978)%s",
			    read ? ", read through inflate" : "; not read");
		}
		break;
	case I_LOGOUT:
		s->logout = 1;
		break;
	case I_APPEND:
		if (s->m[SS_C2S].state == M_HELD)
			append_out(s, reply, rlen, ok ? 1 : 0);
		break;
	default:
		break;
	}
}

/* "tag OK|NO|BAD text" (RFC 9051 7.1). */
static void tagged(struct imap *s, const uint8_t *p, size_t n, const struct lp_item *it)
{
	size_t t = word_len(p, n);
	size_t i = cmd_find(s, p, t);
	/* Picked up in the middle, with no command lost in a gap: a tag not
	 * seen is a command's from before the capture. */
	int before = s->f->midstream && !s->c_gaps;
	for (size_t k = 0; before && i == s->nq && k < s->nq; k++)
		if (s->q[k]->before)
			i = k;
	enum status st = t < n ? cond_of(p + t + 1, n - t - 1) : ST_NONE;
	if (st != ST_OK && st != ST_NO && st != ST_BAD) {
		if (s->s_resync)
			return;
		say(s, SAID_BAD_LINE, SS_S2C, it->frame, it->ts, "bad_reply_line",
		    "a server line that is neither untagged, a continuation nor a tagged "
		    "OK, NO or BAD (RFC 9051 7.1)");
		return;
	}
	if (s->s_resync) {
		if (i == s->nq)
			return;
		/* In sync again: what waited from before the gap had its
		 * completion in it. */
		s->s_resync = 0;
		for (size_t k = 0; k < i;) {
			if (!s->q[k]->gap) {
				k++;
				continue;
			}
			static const char lost[] = "[the completion was in a gap]";
			exchange(s, s->q[k], NULL, (const uint8_t *)lost, sizeof lost - 1, ST_NONE,
			         it->ts, it->frame);
			cmd_remove(s, k);
			i--;
		}
	}
	struct buf b;
	buf_init(&b, s->o->caps->max_line + SUMMARY_LINES * (SUMMARY_LINE + 8) + 64);
	show(&b, p, n);
	if (i == s->nq) {
		static const struct ss_str lost = {(const uint8_t *)"[the command was in a gap]",
		                                   26};
		static const struct ss_str earlier = {(const uint8_t *)before_capture,
		                                      sizeof before_capture - 1};
		if (!before)
			say(s, SAID_NO_CMD, SS_S2C, it->frame, it->ts, "reply_without_command",
			    "a tagged completion whose command was not seen");
		exchange(s, NULL,
		         before      ? &earlier
		         : s->c_gaps ? &lost
		                     : NULL,
		         b.p, b.len, st, it->ts, it->frame);
		buf_free(&b);
		return;
	}
	struct icmd *c = s->q[i];
	if (c->open && s->cur == c && s->lit[SS_C2S].sync && !s->lit[SS_C2S].started &&
	    s->pp.lp[SS_C2S].mode == LP_OCTETS) {
		/* Refused before its synchronising literal was sent (RFC 9051
		 * 7.5): the client sends the next command instead. A
		 * non-synchronising one (RFC 7888) comes whatever the server says. */
		lineproto_set(&s->pp.lp[SS_C2S], LP_LINE, 0);
		s->m[SS_C2S].state = M_NONE;
		msgmem_end(&s->m[SS_C2S].data, NULL);
		s->cur = NULL;
	}
	if (c->lines.len && buf_add(&b, c->lines.p, c->lines.len) == 0 &&
	    c->untagged > c->untagged_shown)
		showf(&b, "\n[%llu more untagged responses]",
		      (unsigned long long)(c->untagged - c->untagged_shown));
	if (c->kind == I_APPEND)
		completed(s, c, st, b.p, b.len, it); /* the message comes before its reply */
	exchange(s, c, NULL, b.p, b.len, st, it->ts, it->frame);
	if (c->kind != I_APPEND)
		completed(s, c, st, b.p, b.len, it);
	buf_free(&b);
	for (size_t k = 0; k < s->nq; k++)
		if (s->q[k] == c) {
			cmd_remove(s, k);
			break;
		}
}

static void server_line(struct imap *s, const struct lp_item *it)
{
	const uint8_t *p = it->p;
	size_t n = it->len;
	if (s->mid[SS_S2C] && mid_skip(s, SS_S2C, server_readable(p, n), it))
		return;
	if (it->cut == LP_CUT_LONG && !s->s_resync)
		say(s, -1, SS_S2C, it->frame, it->ts, "line_too_long",
		    "a response line over --max-line: cut there, the rest skipped");
	if (s->r.active) {
		server_piece(s, p, n, it);
		return;
	}
	if (n >= 2 && p[0] == '*' && p[1] == ' ') {
		if (s->s_resync) {
			/* Skipped, but its literals are followed so that their
			 * bytes are not read as lines. */
			uint64_t size;
			int sync, bad;
			size_t at = literal_at(p, n, &size, &sync, &bad);
			if (at < n) {
				s->r.active = s->r.skip = 1;
				lit_begin(s, SS_S2C, L_SKIP, size, 0, it);
			}
			return;
		}
		untagged_begin(s, p, n, it);
		return;
	}
	if (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' ')) {
		if (!s->s_resync)
			continuation(s, p, n, it);
		return;
	}
	if (!s->greeted && !s->f->midstream && !s->s_resync)
		say(s, SAID_BAD_LINE, SS_S2C, it->frame, it->ts, "bad_reply_line",
		    "the server's first line is not an untagged greeting (RFC 9051 7.1)");
	s->greeted = 1;
	tagged(s, p, n, it);
}

static void server_octets(struct imap *s, const struct lp_item *it)
{
	struct iliteral *l = &s->lit[SS_S2C];
	l->started = 1;
	l->left -= it->len <= l->left ? it->len : l->left;
	if (l->kind == L_MSG || l->kind == L_PART)
		msg_add(s, &s->m[SS_S2C], SS_S2C, it);
	else if (l->kind == L_SHOW && l->small.len <= SHOW_LITERAL &&
	         buf_add(&l->small, it->p,
	                 it->len < SHOW_LITERAL + 1 - l->small.len
	                     ? it->len
	                     : SHOW_LITERAL + 1 - l->small.len))
		buf_reset(&l->small);
	if (!it->last)
		return;
	if (l->kind == L_MSG || l->kind == L_PART)
		s->m[SS_S2C].state = M_HELD;
	if (s->r.text.len < RESPONSE_SHOWN)
		lit_shown(s, &s->r.text, l);
}

static void server_item(void *ctx, const struct lp_item *it)
{
	struct imap *s = ctx;
	switch (it->kind) {
	case LP_ITEM_LINE:
		server_line(s, it);
		break;
	case LP_ITEM_OCTETS:
		server_octets(s, it);
		break;
	case LP_ITEM_OPAQUE:
		pp_opaque(&s->pp, SS_S2C, it);
		break;
	case LP_ITEM_DATA:
		break;
	}
}

/* --- the ss_proto callbacks ------------------------------------------------ */

static void *imap_open(const struct ss_flow *f, void *ctx)
{
	const struct dissect_opts *o = ctx;
	struct imap *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->o = o;
	pp_init(&s->pp, f, o, RP_IMAP, NULL, s);
	for (int d = 0; d < 2; d++) {
		buf_init(&s->lit[d].small, ARG_CAP);
		buf_init(&s->m[d].data, o->caps->max_message);
		buf_init(&s->m[d].item, o->caps->max_line);
		buf_count(&s->m[d].item, &ss_held);
		buf_init(&s->m[d].mailbox, ARG_CAP);
		s->mid[d] = f->midstream;
	}
	buf_init(&s->r.text, RESPONSE_SHOWN + 128);
	buf_init(&s->r.name, o->caps->max_line);
	/* between packets, what a session holds counts in --max-held-mem */
	buf_count(&s->r.name, &ss_held);
	buf_init(&s->login, ARG_CAP);
	buf_init(&s->mailbox, ARG_CAP);
	return s;
}

/* Tells the flow how far back what the session still has to say goes
 * (ss_flow_open_since), as SMTP and POP3 do: what the engine holds
 * (pp_open_since), the commands awaiting their completions (an exchange
 * is shown at its command's time), the response being read, the messages
 * being collected and the first bare LF in one, said at the end. Unsure
 * (ss_flow_open_unsure) while lines are skipped: picked up midstream, or
 * after a gap until a tagged line. After every segment and every gap. */
static void open_since(struct imap *s, const struct ss_pos *at)
{
	int unsure = s->c_resync || s->s_resync || s->mid[SS_C2S] || s->mid[SS_S2C];
	int64_t t = unsure ? INT64_MIN : pp_open_since(&s->pp, at);
	if (t != INT64_MIN) {
		/* the commands wait in the order they came, and a command's
		 * time only moves on: the first's arrival is the oldest */
		if (s->nq)
			pp_earlier(&t, s->q[0]->arrived);
		if (s->r.active)
			pp_earlier(&t, s->r.ts);
		for (int d = 0; d < 2; d++)
			if (s->m[d].state != M_NONE)
				pp_earlier(&t, s->m[d].ts_start);
		if (s->msg_bare_lf)
			pp_earlier(&t, s->first_msg_bare_lf_ts);
	}
	pp_say_open_since(&s->pp, t, at);
}

static size_t imap_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                        const struct ss_pos *at)
{
	struct imap *s = st;
	if (!s)
		return n;
	/* After STARTTLS or COMPRESS: TLS, inflate or both read them (the
	 * server's bytes behind the OK that began one come as opaque items). */
	if (!pp_stream_data(&s->pp, d, p, n, at))
		lineproto_feed(&s->pp.lp[d], p, n, at, d == SS_C2S ? client_item : server_item, s);
	open_since(s, at);
	return n;
}

static void gap_read(struct imap *s, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	/* TLS: its parser resynchronises; DEFLATE: inflating that direction
	 * stops (inflate.h), and commands may be lost with it. */
	int taken = pp_stream_gap(&s->pp, d, len, at);
	if (taken == 2 && d == SS_C2S)
		s->c_gaps++;
	if (taken)
		return;
	struct lineproto *lp = &s->pp.lp[d];
	if (lp->mode == LP_OPAQUE)
		return; /* COMPRESS that could not be read: only counted */
	lineproto_flush(lp, d == SS_C2S ? client_item : server_item, s);
	char why[200];
	struct iliteral *l = &s->lit[d];
	int in_lit = lp->mode == LP_OCTETS;
	if (in_lit && (l->kind == L_MSG || l->kind == L_PART))
		s->m[d].incomplete = 1;
	if (in_lit && len < lp->want) {
		/* Inside a literal: its count still says where it ends. */
		lp->want -= len;
		l->left -= len <= l->left ? len : l->left;
		l->started = 1;
		snprintf(why, sizeof why, "%llu bytes of a literal are missing%s",
		         (unsigned long long)len,
		         l->kind == L_MSG || l->kind == L_PART ? ": the message is incomplete"
		                                               : "");
		ss_eventf("imap", "gap", at->frame, at->ts, s->f->id, d, "%s", why);
		return;
	}
	if (in_lit) {
		/* The literal ended in the hole, and what followed is lost. */
		lineproto_set(lp, LP_LINE, 0);
		if (l->kind == L_MSG || l->kind == L_PART)
			s->m[d].state = M_HELD;
	}
	if (s->mid[d]) {
		/* Still looking for a line to read from: it goes on so. */
		if (d == SS_C2S)
			s->c_gaps++;
		ss_eventf("imap", "gap", at->frame, at->ts, s->f->id, d,
		          "%llu bytes missing before the first line that could be read",
		          (unsigned long long)len);
		return;
	}
	if (d == SS_C2S) {
		s->c_gaps++;
		if (s->cur)
			s->cur->open = 0;
		s->cur = NULL;
		s->c_resync = 1;
		snprintf(why, sizeof why,
		         "%llu bytes of commands are missing%s: commands may be lost; reading "
		         "again from the next tagged command",
		         (unsigned long long)len, in_lit ? " (from inside a literal)" : "");
	} else {
		if (s->r.active) {
			s->r.active = 0;
			if (s->m[SS_S2C].state == M_HELD)
				fetch_out(s);
		}
		for (size_t i = 0; i < s->nq; i++)
			s->q[i]->gap = 1;
		s->s_resync = 1;
		snprintf(why, sizeof why,
		         "%llu bytes of responses are missing%s: reading again from the next "
		         "tagged completion",
		         (unsigned long long)len, in_lit ? " (from inside a literal)" : "");
	}
	ss_eventf("imap", "gap", at->frame, at->ts, s->f->id, d, "%s", why);
}

static void imap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct imap *s = st;
	if (!s)
		return;
	gap_read(s, d, len, at);
	open_since(s, at);
}

static void imap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f;
	struct imap *s = st;
	if (!s)
		return;
	lineproto_flush(&s->pp.lp[SS_C2S], client_item, s);
	lineproto_flush(&s->pp.lp[SS_S2C], server_item, s);
	for (int d = 0; d < 2; d++) {
		if (s->pp.lp[d].mode == LP_OCTETS && s->m[d].state == M_FILLING) {
			s->m[d].incomplete = 1; /* the literal never ended */
			s->m[d].state = M_HELD;
		}
	}
	if (s->m[SS_S2C].state != M_NONE)
		fetch_out(s);
	if (s->m[SS_C2S].state != M_NONE)
		append_out(s, NULL, 0, -1);
	while (s->nq) {
		struct icmd *c = s->q[0];
		static const char lost[] = "[the completion was in a gap]";
		if (c->gap)
			exchange(s, c, NULL, (const uint8_t *)lost, sizeof lost - 1, ST_NONE, 0, 0);
		else /* no completion; the untagged responses it drew, if any */
			exchange(s, c, NULL, c->lines.len ? c->lines.p + 1 : NULL,
			         c->lines.len ? c->lines.len - 1 : 0, ST_NONE, 0, 0);
		cmd_remove(s, 0);
	}
	/* its transforms' notes (compress_end, tls_end) come with its end */
	pp_close(&s->pp, "RFC 9051 2.2", at);
	for (int d = 0; d < 2; d++) {
		buf_free(&s->lit[d].small);
		msgmem_end(&s->m[d].data, NULL);
		buf_free(&s->m[d].item);
		buf_free(&s->m[d].mailbox);
		if (s->mid[d] && s->mid_skipped[d])
			ss_eventf(
			    "imap", "midstream_skipped", at->frame, at->ts, s->f->id, d,
			    "picked up inside the session: %llu lines skipped, and none could "
			    "be read as a %s",
			    (unsigned long long)s->mid_skipped[d],
			    d == SS_C2S ? "command" : "response");
	}
	if (s->msg_bare_lf)
		ss_eventf(
		    "imap", "bare_lf", s->first_msg_bare_lf, s->first_msg_bare_lf_ts, s->f->id, -1,
		    "%llu lines of messages end in a bare LF, first in frame %llu",
		    (unsigned long long)s->msg_bare_lf, (unsigned long long)s->first_msg_bare_lf);
	free(s->q);
	buf_free(&s->r.text);
	buf_free(&s->r.name);
	buf_free(&s->login);
	buf_free(&s->mailbox);
	free(s);
}

const struct ss_proto *imap_proto(const struct dissect_opts *o)
{
	static struct ss_proto p = {"imap",   probe_imap, port_imap,  imap_open, imap_data,
	                            imap_gap, NULL,       imap_close, NULL};
	p.ctx = (void *)o;
	return &p;
}
