/* pingpong.c - the session engine under SMTP, LMTP, POP3 and IMAP, and
 * its stack of stream transforms with TLS as one of them (see
 * pingpong.h). */
#include "pingpong.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "log.h"
#include "tlsproto.h"
#include "word.h"

const uint8_t *pp_text_of(const struct pp_text *t)
{
	return t->heap ? t->heap : t->in;
}

/* A text on the heap holds len bytes of storage, counted in --max-held-mem
 * while its command waits (up to --max-pipeline of them per session). */
static void text_free(struct pp_text *t)
{
	if (t->heap)
		memacct_give(&ss_held, t->len);
	free(t->heap);
	t->heap = NULL;
	t->len = 0;
}

void pp_text_set(struct pp_text *t, const void *p, size_t n)
{
	text_free(t);
	if (n > sizeof t->in) {
		if (memacct_take(&ss_held, ss_held.cap, n))
			return; /* left empty; reassembly says held_mem */
		if (!(t->heap = bytes_dup(p, n))) {
			memacct_give(&ss_held, n);
			return;
		}
	}
	if (n)
		memcpy(t->heap ? t->heap : t->in, p, n);
	t->len = n;
}

void pp_text_take(struct pp_text *t, struct buf *b)
{
	if (b->len <= sizeof t->in || b->acct || memacct_take(&ss_held, ss_held.cap, b->len)) {
		pp_text_set(t, b->p, b->len);
		buf_free(b);
		return;
	}
	text_free(t);
	/* storage of exactly the bytes, as counted */
	uint8_t *q = realloc(b->p, b->len);
	t->heap = q ? q : b->p;
	t->len = b->len;
	b->p = NULL;
	b->len = b->size = 0;
}

void pp_init(struct pingpong *pp, const struct ss_flow *f, const struct dissect_opts *o,
             enum rec_proto p, pp_unanswered_fn *unanswered, void *owner)
{
	memset(pp, 0, sizeof *pp);
	pp->f = f;
	pp->o = o;
	pp->p = p;
	/* events go by the dissector's name: LMTP is the SMTP dissector's */
	pp->proto = rec_proto_name(p == RP_LMTP ? RP_SMTP : p);
	pp->unanswered = unanswered;
	pp->owner = owner;
	fifo_init(&pp->q, sizeof(struct pp_cmd));
	/* up to --max-pipeline commands wait; the first one's room is the
	 * session's own, like the rest of its state (--max-flows bounds it) */
	fifo_count_above(&pp->q, &ss_held, 1);
	for (int d = 0; d < 2; d++)
		lineproto_init(&pp->lp[d], o->caps->max_line);
}

/* --- the queue ------------------------------------------------------------ */

size_t pp_waiting(const struct pingpong *pp)
{
	return pp->q.len;
}

struct pp_cmd *pp_nth(const struct pingpong *pp, size_t k)
{
	return fifo_at(&pp->q, k);
}

struct pp_cmd *pp_newest(const struct pingpong *pp)
{
	return pp->q.len ? pp_nth(pp, pp->q.len - 1) : NULL;
}

void pp_cmd_free(struct pp_cmd *c)
{
	text_free(&c->shown);
	text_free(&c->arg);
}

void pp_pop(struct pingpong *pp, struct pp_cmd *out)
{
	fifo_pop(&pp->q, out);
	/* An idle session keeps room for one command (some 300 bytes, not
	 * counted in --max-held-mem), not for all it ever pipelined: 8 kept,
	 * and counted, for every session filled the cap at 23,000 idle SMTP
	 * sessions, after which every line was cut. */
	fifo_trim(&pp->q, 1);
}

struct pp_cmd *pp_push(struct pingpong *pp, int kind, const uint8_t *verb, size_t vlen,
                       const struct lp_item *it)
{
	size_t max = pp->o->caps->max_pipeline ? (size_t)pp->o->caps->max_pipeline : 1;
	if (fifo_make_room(&pp->q, max))
		return NULL;
	if (pp->q.len == pp->q.cap) {
		/* The oldest has waited longest: its reply is the one not seen. */
		struct pp_cmd old;
		fifo_pop(&pp->q, &old); /* not pp_pop: the slot is reused at once */
		pp->unanswered(pp, &old);
		pp_cmd_free(&old);
	}
	struct pp_cmd *c = fifo_push(&pp->q);
	c->kind = kind;
	size_t k = vlen < sizeof c->verb - 1 ? vlen : sizeof c->verb - 1;
	for (size_t i = 0; i < k; i++) {
		uint8_t ch = ascii_upper(verb[i]);
		c->verb[i] = (char)(ch > 0x20 && ch < 0x7f ? ch : '?');
	}
	/* Whether the client waited shows only where the server's replies are
	 * in the capture, and not across a gap in them (the reply may be in it). */
	const struct pp_cmd *prev = pp->q.len > 1 ? pp_nth(pp, pp->q.len - 2) : NULL;
	c->pipelined = prev && pp->server_bytes && prev->server_gaps == pp->server_gaps;
	c->server_gaps = pp->server_gaps;
	c->seq = ++pp->pushed;
	c->ts = it->ts;
	c->frame = it->frame;
	return c;
}

/* --- command lines --------------------------------------------------------- */

void pp_split(const uint8_t *p, size_t n, struct pp_words *w)
{
	size_t i = 0;
	while (i < n && pp_space(p[i]))
		i++;
	w->verb = i;
	while (i < n && !pp_space(p[i]))
		i++;
	w->verb_len = i - w->verb;
	while (i < n && pp_space(p[i]))
		i++;
	w->args = i;
}

int pp_verb_in(const uint8_t *p, size_t n, const struct pp_word *words, size_t k)
{
	struct pp_words w;
	pp_split(p, n, &w);
	for (size_t i = 0; i < k; i++)
		if (word_is(p + w.verb, w.verb_len, words[i].w, words[i].n))
			return 1;
	return 0;
}

int pp_sasl_line(enum pp_auth a, const uint8_t *p, size_t n, const struct pp_word *verbs, size_t k)
{
	return a == PP_AUTH_SURE || (a == PP_AUTH_LIKELY && !pp_verb_in(p, n, verbs, k));
}

void pp_show(struct pp_cmd *c, const uint8_t *line, size_t n)
{
	if (escape_plain(line, n)) { /* as it came: no copy to escape into */
		pp_text_set(&c->shown, line, n);
		return;
	}
	struct buf b;
	buf_init(&b, n * 4 + 16);
	if (escape_add(&b, line, n))
		buf_reset(&b);
	pp_text_take(&c->shown, &b);
}

void pp_show_masked(struct pp_cmd *c, const uint8_t *line, size_t n, size_t at, int show)
{
	if (show || at >= n) {
		pp_show(c, line, n);
		return;
	}
	struct buf b;
	buf_init(&b, at * 4 + 16);
	if (escape_add(&b, line, at) || buf_add(&b, LIT(SASL_MASK)))
		buf_reset(&b);
	pp_text_take(&c->shown, &b);
}

void pp_show_sasl(struct pingpong *pp, struct pp_cmd *c, const uint8_t *line, size_t n, size_t args,
                  int first)
{
	struct buf b;
	buf_init(&b, n * 4 + 64);
	if (first) {
		/* AUTH mechanism [initial-response]: b has room for the verb */
		const char *z = memchr(c->verb, 0, sizeof c->verb);
		size_t vn = z ? (size_t)(z - c->verb) : sizeof c->verb;
		if (buf_add(&b, c->verb, vn) == 0 && buf_add(&b, " ", 1) == 0)
			sasl_command(&pp->sasl, line + args, n - args, pp->o->show_secrets, &b);
	} else {
		sasl_response(&pp->sasl, line, n, pp->o->show_secrets, &b);
	}
	pp_text_take(&c->shown, &b);
}

/* --- records and anomalies ------------------------------------------------- */

void pp_exchange(struct pingpong *pp, const struct pp_cmd *c, const uint8_t *reply, size_t rlen,
                 int code, const char *status, int64_t ts, uint64_t frame)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_EXCHANGE;
	r.flow = pp->f;
	r.u.ex.p = pp->p;
	r.u.ex.proto = rec_proto_name(pp->p);
	if (c) {
		/* An empty line is a command too (servers answer it): verb "";
		 * a stand-in for commands lost in a gap has none. */
		r.u.ex.verb = c->verb[0] || !c->shown.len ? c->verb : NULL;
		r.u.ex.cmd = (struct ss_str){pp_text_of(&c->shown), c->shown.len};
		r.u.ex.ts_cmd = c->ts;
		r.u.ex.frame_cmd = c->frame;
		r.u.ex.pipelined = c->pipelined;
	}
	r.u.ex.reply = (struct ss_str){reply, rlen};
	r.u.ex.code = code;
	r.u.ex.status = status;
	r.u.ex.ts_reply = ts;
	r.u.ex.frame_reply = frame;
	record_emit(&r);
}

void pp_no_reply(struct pingpong *pp, const struct pp_cmd *c, const char *why, size_t len)
{
	pp_exchange(pp, c, (const uint8_t *)why, len, -1, NULL, 0, 0);
}

void pp_note(struct pingpong *pp, const char *what, int64_t ts, uint64_t frame, const char *fmt,
             ...)
{
	char d[256];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(d, sizeof d, fmt, ap);
	va_end(ap);
	if (k > 0)
		record_note(pp->f, pp->p, what, d, (size_t)k < sizeof d ? (size_t)k : sizeof d - 1,
		            ts, frame);
}

void pp_say(struct pingpong *pp, int once, enum ss_dir d, uint64_t frame, int64_t ts,
            const char *what, const char *detail)
{
	if (once >= 0 && once < (int)(sizeof pp->said / sizeof pp->said[0]) && pp->said[once]++)
		return;
	ss_eventf(pp->proto, what, frame, ts, pp->f->id, d, "%s", detail);
}

/* --- stream transforms ------------------------------------------------------ */

/* The top transform's output: lines again, read by the protocol as before
 * the transform began. The engine was opaque; the first output starts a
 * line. (When this comes from inside the engine's own opaque item - bytes
 * behind the line that began the transform, in the same segment or the
 * same decrypted record - the engine has handed out its last bytes
 * already: feeding it again here is safe.) */
static void lines(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
                  const struct ss_pos *at)
{
	struct lineproto *lp = &pp->lp[d];
	if (pp->blind || pp->ended[d])
		return;
	if (!pp->plain[d]) {
		pp->plain[d] = 1;
		lineproto_set(lp, LP_LINE, 0);
	}
	lineproto_feed(lp, p, n, at, pp->item[d], pp->item_ctx);
}

void pp_stage_out(struct pp_stage *g, enum ss_dir d, const uint8_t *p, size_t n,
                  const struct ss_pos *at)
{
	struct pingpong *pp = g->pp;
	if (g->k + 1 < pp->stages) {
		struct pp_stage *up = &pp->stage[g->k + 1];
		up->x->data(up->st, d, p, n, at);
	} else {
		lines(pp, d, p, n, at);
	}
}

void pp_stage_end(struct pp_stage *g, enum ss_dir d)
{
	struct pingpong *pp = g->pp;
	if (g->k + 1 < pp->stages)
		return; /* the transform above it only gets nothing more */
	lineproto_flush(&pp->lp[d], pp->item[d], pp->item_ctx);
	lineproto_set(&pp->lp[d], LP_OPAQUE, 0);
	pp->ended[d] = 1; /* what it may still hand on is not read */
}

struct pp_stage *pp_xform_push(struct pingpong *pp, const struct pp_xform *x, pp_open_fn *open,
                               void *arg, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx)
{
	if (pp->stages >= PP_STAGES)
		return NULL; /* refused: the session reads on as it did */
	lineproto_set(&pp->lp[SS_C2S], LP_OPAQUE, 0);
	lineproto_set(&pp->lp[SS_S2C], LP_OPAQUE, 0);
	pp->item[SS_C2S] = c2s;
	pp->item[SS_S2C] = s2c;
	pp->item_ctx = ctx;
	struct pp_stage *g = &pp->stage[pp->stages];
	*g = (struct pp_stage){x, NULL, pp, pp->stages};
	if (!(g->st = open(pp, g, arg))) {
		/* The bytes go on as they are (only counted): over other
		 * transforms, their output is no longer read. */
		pp->blind = pp->stages > 0;
		return NULL;
	}
	pp->stages++;
	/* its output starts the lines over, in each direction */
	pp->plain[SS_C2S] = pp->plain[SS_S2C] = 0;
	pp->ended[SS_C2S] = pp->ended[SS_S2C] = 0;
	return g;
}

int pp_stream_data(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
                   const struct ss_pos *at)
{
	if (!pp->stages)
		return 0;
	pp->opaque[d] += n;
	pp->stage[0].x->data(pp->stage[0].st, d, p, n, at);
	return 1;
}

int pp_stream_gap(struct pingpong *pp, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	if (!pp->stages)
		return pp->tls; /* TLS with no parser (no memory): only counted */
	if (pp->stage[0].x->gap(pp->stage[0].st, d, len, at))
		return pp->stages == 1 ? 2 : 1;
	return 1;
}

void pp_opaque(struct pingpong *pp, enum ss_dir d, const struct lp_item *it)
{
	/* bytes of the wire, unless a transform under the top one made them */
	if (pp->stages <= 1)
		pp->opaque[d] += it->len;
	if (pp->stages && it->p) {
		struct pp_stage *top = &pp->stage[pp->stages - 1];
		struct ss_pos at = {it->frame, it->ts, it->off, 0, 0, 0};
		top->x->data(top->st, d, it->p, it->len, &at);
	}
}

/* --- TLS as a transform -------------------------------------------------------- */

static void tls_plain(void *ctx, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	pp_stage_out(ctx, d, p, n, at);
}

static void *tls_open(struct pingpong *pp, struct pp_stage *g, void *arg)
{
	(void)arg;
	pp->tls_s = tls_session_new(pp->f, pp->p, pp->o);
	if (pp->tls_s)
		tls_session_plain(pp->tls_s, tls_plain, g);
	return pp->tls_s;
}

static void tls_stage_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                           const struct ss_pos *at)
{
	tls_session_data(st, d, p, n, at);
}

static int tls_stage_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	tls_session_gap(st, d, len, at); /* its parser resynchronises */
	return 0;
}

static void tls_stage_close(void *st, const struct ss_pos *at)
{
	tls_session_close(st, at); /* its notes say what the TLS carried */
}

static const struct pp_xform tls_xform = {"tls", tls_stage_data, tls_stage_gap, tls_stage_close};

void pp_start_tls(struct pingpong *pp, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx)
{
	pp->tls = 1;
	if (pp->tls_s) { /* TLS again inside TLS: its parser reads on */
		lineproto_set(&pp->lp[SS_C2S], LP_OPAQUE, 0);
		lineproto_set(&pp->lp[SS_S2C], LP_OPAQUE, 0);
		pp->item[SS_C2S] = c2s;
		pp->item[SS_S2C] = s2c;
		pp->item_ctx = ctx;
		return;
	}
	pp_xform_push(pp, &tls_xform, tls_open, NULL, c2s, s2c, ctx);
}

int64_t pp_open_since(const struct pingpong *pp, const struct ss_pos *at)
{
	int64_t t = INT64_MAX;
	if (at->held) /* bytes behind a hole come later with their own times */
		pp_earlier(&t, at->held_ts);
	if (pp->q.len)
		pp_earlier(&t, ((const struct pp_cmd *)fifo_at(&pp->q, 0))->ts);
	for (int d = 0; d < 2; d++) {
		const struct lineproto *lp = &pp->lp[d];
		if (lp->line.len)
			pp_earlier(&t, lp->line_ts);
		if (lp->bare_lf)
			pp_earlier(&t, lp->first_bare_lf_ts);
		if (lp->nul)
			pp_earlier(&t, lp->first_nul_ts);
		if (lp->smuggling)
			pp_earlier(&t, lp->first_smuggling_ts);
		if (lp->bare_cr)
			pp_earlier(&t, lp->first_bare_cr_ts);
	}
	return t;
}

size_t pp_feed(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
               const struct ss_pos *at, lp_item_fn *fn, void *ctx)
{
	if (pp_tls_data(pp, d, p, n, at))
		return n;
	return lineproto_feed(&pp->lp[d], p, n, at, fn, ctx);
}

void pp_say_open_since(struct pingpong *pp, int64_t t, const struct ss_pos *at)
{
	if (t == INT64_MIN)
		ss_flow_open_unsure(pp->f, at);
	else
		ss_flow_open_since(pp->f, t, at);
}

void pp_close(struct pingpong *pp, const char *rfc, const struct ss_pos *at)
{
	int parsed = pp->tls_s != NULL;
	while (pp->stages) { /* the top one first: it ended last */
		struct pp_stage *g = &pp->stage[--pp->stages];
		g->x->close(g->st, at);
	}
	pp->tls_s = NULL;
	if (pp->tls && !parsed)
		pp_note(
		    pp, "tls_end", at->ts, at->frame, "%llu bytes of TLS to the server, %llu back",
		    (unsigned long long)pp->opaque[SS_C2S], (unsigned long long)pp->opaque[SS_S2C]);
	for (int d = 0; d < 2; d++) {
		struct lineproto *lp = &pp->lp[d];
		if (lp->bare_lf)
			ss_eventf(pp->proto, "bare_lf", lp->first_bare_lf_frame,
			          lp->first_bare_lf_ts, pp->f->id, d,
			          "%llu lines end in a bare LF (%s), first in frame %llu",
			          (unsigned long long)lp->bare_lf, rfc,
			          (unsigned long long)lp->first_bare_lf_frame);
		if (lp->nul)
			ss_eventf(pp->proto, "nul", lp->first_nul_frame, lp->first_nul_ts,
			          pp->f->id, d, "NUL bytes in %llu places, first in frame %llu",
			          (unsigned long long)lp->nul,
			          (unsigned long long)lp->first_nul_frame);
		if (lp->smuggling)
			ss_eventf(pp->proto, "smuggling_shape", lp->first_smuggling_frame,
			          lp->first_smuggling_ts, pp->f->id, d,
			          "a \".\" between line ends other than CRLF.CRLF (as in SMTP "
			          "smuggling), %llu times, first in frame %llu; it did not end the "
			          "message",
			          (unsigned long long)lp->smuggling,
			          (unsigned long long)lp->first_smuggling_frame);
		if (lp->bare_cr)
			ss_eventf(pp->proto, "bare_cr", lp->first_bare_cr_frame,
			          lp->first_bare_cr_ts, pp->f->id, d,
			          "%llu bare CR bytes inside lines, first in frame %llu",
			          (unsigned long long)lp->bare_cr,
			          (unsigned long long)lp->first_bare_cr_frame);
		lineproto_free(lp);
	}
	while (pp->q.len) { /* the protocol emptied it; this is only memory */
		struct pp_cmd c;
		pp_pop(pp, &c);
		pp_cmd_free(&c);
	}
	fifo_free(&pp->q);
}
