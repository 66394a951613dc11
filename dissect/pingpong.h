/* pingpong.h - the session engine under the command-and-reply protocols
 * (SMTP, LMTP, POP3; IMAP uses all but the queue, since its completions
 * pair with commands by tag), after curl's pingpong.c: the two line engines, the
 * queue of commands awaiting their replies, the stack of stream transforms
 * between the wire and the line engines (TLS, DEFLATE), how a command line
 * splits into its verb and arguments, what is shown of it (escaped, secrets masked),
 * the exchange and note records, the anomalies said once per session, and
 * what a session reports when it ends.
 *
 * Each protocol keeps what is its own: its table of verbs, what a reply
 * looks like, which replies open data, and what a reply does to its
 * session. What the protocols share about the wire lives here once:
 *
 * - A full queue (--max-pipeline) does not drop a command silently: the
 *   oldest is handed to the protocol's `unanswered` hook, which shows it
 *   as a command whose reply was not seen and keeps what it meant.
 * - The server's side is followed for what it says about lost replies: how
 *   many of its bytes were read at all (none: a capture of the client's
 *   side alone) and how many gaps it had (a command sent before a gap may
 *   have had its reply in it).
 */
#ifndef SS_PINGPONG_H
#define SS_PINGPONG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fifo.h"
#include "lineproto.h"
#include "log.h"
#include "protos.h"
#include "record.h"
#include "sasl.h"

/* Text kept with a command: inline when short (most are: a malloc and a
 * free for each of half a million commands was a tenth of the main
 * thread's work), else on the heap. */
#define PP_INLINE 96
struct pp_text {
	uint8_t *heap; /* NULL: the bytes are in in[] */
	size_t len;
	uint8_t in[PP_INLINE];
};

const uint8_t *pp_text_of(const struct pp_text *t);
/* Sets t to p[0..n); a text that does not fit inline and finds no memory
 * is left empty. */
void pp_text_set(struct pp_text *t, const void *p, size_t n);
/* Takes b's bytes (b is left without storage). */
void pp_text_take(struct pp_text *t, struct buf *b);

/* A command awaiting its reply. */
struct pp_cmd {
	int kind;             /* the protocol's own */
	char verb[16];        /* upper case, printable; "" for an empty line */
	struct pp_text shown; /* the command as shown: escaped, secrets masked */
	struct pp_text arg;   /* an argument the protocol keeps */
	int flag;             /* the protocol's own (BDAT LAST, a multi-line reply due) */
	uint64_t seq;         /* 1, 2, ... in the order the session's commands came */
	int pipelined;        /* sent before the reply to the one before it came */
	uint64_t server_gaps; /* the server's gaps when it was sent */
	int64_t ts;
	uint64_t frame;
};

struct pingpong;
/* Called for a command the full queue pushes out: its reply was not seen. */
typedef void pp_unanswered_fn(struct pingpong *pp, struct pp_cmd *c);

/* --- stream transforms ------------------------------------------------------ *
 * From some line of a session on, both directions may be bytes the line
 * engines cannot read as they come: TLS records (STARTTLS, STLS), a
 * DEFLATE stream (IMAP COMPRESS, RFC 4978). A transform turns them into
 * the bytes the protocol speaks: the TLS parser its records into their
 * plaintext (tlsproto.h, with --keylog), inflate the compressed bytes into
 * what they inflate to (inflate.h). Transforms stack, each started from
 * the line after the one that accepted it: the wire's bytes and gaps go to
 * the first, each one's output to the next, the last one's to the line
 * engines (COMPRESS after STARTTLS: inflate reads the decrypted bytes, RFC
 * 4978 4). At most PP_STAGES: TLS, then DEFLATE. */
#define PP_STAGES 2

struct pp_xform {
	const char *name; /* "tls", "deflate" */
	/* d's bytes (every one is taken); the output goes to pp_stage_out */
	void (*data)(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at);
	/* a hole of len bytes in d's input; returns 1 when the output ended at
	 * it (pp_stage_end was called: the rest of d is only counted), else 0 */
	int (*gap)(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at);
	/* the session ended (its line engines flushed): notes, then st freed */
	void (*close)(void *st, const struct ss_pos *at);
};

/* A transform's place in the stack: where its output goes. */
struct pp_stage {
	const struct pp_xform *x;
	void *st;
	struct pingpong *pp;
	int k; /* 0: the wire's bytes come to it */
};
/* Makes a transform's state, handing its output to g; NULL: no memory. */
typedef void *pp_open_fn(struct pingpong *pp, struct pp_stage *g, void *arg);

struct pingpong {
	const struct ss_flow *f;
	const struct dissect_opts *o;
	const char *proto; /* "smtp", "pop3", "imap": the events' name */
	enum rec_proto p;  /* the records' protocol (SMTP becomes LMTP at LHLO) */
	struct lineproto lp[2];
	struct fifo q;                /* commands without a reply, oldest first */
	pp_unanswered_fn *unanswered; /* NULL when the queue is not used */
	void *owner;                  /* the protocol's session */
	uint64_t server_bytes, server_gaps;
	uint64_t pushed;                  /* commands queued so far */
	int tls;                          /* the rest of the session is TLS */
	struct tls_session *tls_s;        /* what reads it (dissect/tlsproto.h), or NULL */
	struct pp_stage stage[PP_STAGES]; /* the transforms, the wire's first */
	int stages;
	int blind; /* a transform found no memory over the others: their output is not read */
	lp_item_fn *item[2]; /* under transforms: the protocol's line items, per direction */
	void *item_ctx;
	int plain[2];       /* the top transform's output of that direction has come */
	int ended[2];       /* and has ended (pp_stage_end) */
	uint64_t opaque[2]; /* its bytes the first transform took (or, with none, not read) */
	struct sasl sasl;
	int said[16]; /* anomalies said once, by the protocol's numbers */
};

void pp_init(struct pingpong *pp, const struct ss_flow *f, const struct dissect_opts *o,
             enum rec_proto p, pp_unanswered_fn *unanswered, void *owner);
/* How far back what the session still has to say goes, as far as the
 * engine knows it (ss_flow_open_since): the commands awaiting their
 * replies, the lines in progress, the line engines' findings said at the
 * end, and the bytes reassembly holds behind a hole (at); INT64_MAX when
 * none. Under TLS (STARTTLS) and COMPRESS the same: the transforms hand
 * out what they read at the time of the bytes that complete it (a TLS
 * record, an inflated block), so what they hold comes later with later
 * times, and their output goes through these line engines. The protocol
 * adds its own (a reply, a message in progress). */
int64_t pp_open_since(const struct pingpong *pp, const struct ss_pos *at);
/* Says t (pp_open_since's, with the protocol's own added) to the flow;
 * INT64_MIN: the protocol cannot tell (ss_flow_open_unsure). */
void pp_say_open_since(struct pingpong *pp, int64_t t, const struct ss_pos *at);
/* The protocol's bytes of direction d: to the transforms (TLS), else to
 * d's line engine, which hands its items to fn (the client's or the
 * server's). Returns how many were consumed: all but for bytes left over
 * that come again, which keep the flow unsure of what it holds. */
size_t pp_feed(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
               const struct ss_pos *at, lp_item_fn *fn, void *ctx);
/* t made no later than ts. */
static inline void pp_earlier(int64_t *t, int64_t ts)
{
	if (ts < *t)
		*t = ts;
}

/* Ends the session: the transforms closed (the top one first: their
 * notes), the line engines' findings said (rfc names the rule a bare LF
 * breaks), everything freed. The queue must be empty. */
void pp_close(struct pingpong *pp, const char *rfc, const struct ss_pos *at);

/* Pushes transform x (its state made by open(pp, stage, arg)) on top of
 * the stack, from the byte after the line item being handed out now: both
 * line engines become opaque, so the rest of the bytes being fed (the
 * server's compressed bytes behind its OK in the same segment) come to the
 * protocol's items as LP_ITEM_OPAQUE, which it hands to pp_opaque; from
 * the top transform's first output of a direction on, that engine reads
 * lines again, handing them to c2s / s2c (with ctx). Returns the stage;
 * NULL when the stack is full (nothing changes: the session reads on as
 * it did) or when open found no memory (the rest of the session is only
 * counted). */
struct pp_stage *pp_xform_push(struct pingpong *pp, const struct pp_xform *x, pp_open_fn *open,
                               void *arg, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx);
/* What stage g's transform made of d's bytes: to the transform above it,
 * or, from the top one, to d's line engine (from the start of a line). */
void pp_stage_out(struct pp_stage *g, enum ss_dir d, const uint8_t *p, size_t n,
                  const struct ss_pos *at);
/* g's output of d has ended for good: from the top transform, d's line
 * engine hands out the line in progress and reads no more. */
void pp_stage_end(struct pp_stage *g, enum ss_dir d);
/* The protocol's bytes and gaps: 1 when the transforms took them (the
 * protocol then does nothing more with them), 0 when there are none. A gap
 * returns 2 when it ended the top transform's output of d (pp_stage_end:
 * what the line engine would have read is lost with it). */
int pp_stream_data(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
                   const struct ss_pos *at);
int pp_stream_gap(struct pingpong *pp, enum ss_dir d, uint64_t len, const struct ss_pos *at);
/* An opaque item of direction d (bytes behind the line that started a
 * transform): counted, and given to the top transform. */
void pp_opaque(struct pingpong *pp, enum ss_dir d, const struct lp_item *it);

/* --- TLS (STARTTLS, STLS) --------------------------------------------------- */
/* The rest of the session is TLS, from the byte after the line that
 * accepted it: a transform whose TLS parser reads its bytes (its
 * handshake, its records), and with the session's keys (--keylog)
 * decrypts them; the plaintext goes through the line engines to the
 * protocol's items (c2s, s2c, with ctx), from the start of a line (RFC
 * 3207 4.2, RFC 2595 3.1: the session starts over inside TLS). */
void pp_start_tls(struct pingpong *pp, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx);
/* pp_stream_data and pp_stream_gap, under the names SMTP and POP3 call
 * them by: only TLS stacks there. */
static inline int pp_tls_data(struct pingpong *pp, enum ss_dir d, const uint8_t *p, size_t n,
                              const struct ss_pos *at)
{
	return pp_stream_data(pp, d, p, n, at);
}
static inline int pp_tls_gap(struct pingpong *pp, enum ss_dir d, uint64_t len,
                             const struct ss_pos *at)
{
	return pp_stream_gap(pp, d, len, at) != 0;
}

/* --- the queue ------------------------------------------------------------ */

size_t pp_waiting(const struct pingpong *pp);
struct pp_cmd *pp_nth(const struct pingpong *pp, size_t k); /* from the oldest */
struct pp_cmd *pp_newest(const struct pingpong *pp);        /* NULL: none waits */
/* Queues a command of kind with verb[0..vlen) (upper-cased), sent at it. */
struct pp_cmd *pp_push(struct pingpong *pp, int kind, const uint8_t *verb, size_t vlen,
                       const struct lp_item *it);
void pp_pop(struct pingpong *pp, struct pp_cmd *out);
void pp_cmd_free(struct pp_cmd *c);

/* --- command lines --------------------------------------------------------- */

/* A command line split where servers split it: on any run of SP or HTAB
 * (Postfix and Dovecot do; RFC 5321 and 1939 say SP). Leading white space
 * is skipped. */
struct pp_words {
	size_t verb, verb_len; /* p[verb .. verb + verb_len) */
	size_t args;           /* the first byte of the arguments (n when none) */
};
void pp_split(const uint8_t *p, size_t n, struct pp_words *w);
/* An upper-case word of a protocol's table. */
struct pp_word {
	const char *w;
	size_t n;
};
#define PP_WORD(s)                                                                                 \
	{                                                                                          \
		(s), sizeof(s) - 1                                                                 \
	}
/* Is the verb of p[0..n) one of words[0..k)? */
int pp_verb_in(const uint8_t *p, size_t n, const struct pp_word *words, size_t k);
static inline int pp_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Where a session is in a SASL exchange (RFC 4422): the server's challenge
 * came, so the client's next line is a response whatever it looks like; or
 * only the command that starts one was seen (its challenge may be in a gap,
 * or the server's side not captured), so a line is a response unless it is
 * one of the protocol's commands - a base64 response is none, and masking
 * a command would hide what the session did. */
enum pp_auth { PP_AUTH_NONE, PP_AUTH_SURE, PP_AUTH_LIKELY };
/* Is the line p[0..n) a SASL response, in state a? */
int pp_sasl_line(enum pp_auth a, const uint8_t *p, size_t n, const struct pp_word *verbs, size_t k);

/* c's shown text: the line escaped. */
void pp_show(struct pp_cmd *c, const uint8_t *line, size_t n);
/* c's shown text: the line up to at escaped, the rest masked unless show. */
void pp_show_masked(struct pp_cmd *c, const uint8_t *line, size_t n, size_t at, int show);
/* c's shown text for a SASL step: with first, the command that starts it
 * (its verb, the mechanism and an initial response at args); else a bare
 * response line. The secret is masked unless show. */
void pp_show_sasl(struct pingpong *pp, struct pp_cmd *c, const uint8_t *line, size_t n, size_t args,
                  int first);

/* --- records and anomalies ------------------------------------------------- */

/* An exchange: c's command (NULL: a greeting or a reply to no command) and
 * its reply; code and status as struct rec_exchange has them. */
void pp_exchange(struct pingpong *pp, const struct pp_cmd *c, const uint8_t *reply, size_t rlen,
                 int code, const char *status, int64_t ts, uint64_t frame);
/* The reply c's command never got (lost in a gap, not captured): why says
 * which, shown in its place. */
void pp_no_reply(struct pingpong *pp, const struct pp_cmd *c, const char *why, size_t len);
void pp_note(struct pingpong *pp, const char *what, int64_t ts, uint64_t frame, const char *fmt,
             ...) SS_PRINTF(5, 6);
/* An anomaly; once >= 0 says it only the first time in the session. */
void pp_say(struct pingpong *pp, int once, enum ss_dir d, uint64_t frame, int64_t ts,
            const char *what, const char *detail);

/* Not one byte of the server's has been read: a capture of the client's
 * side alone, so far (its acknowledgements may have declared gaps). */
static inline int pp_server_silent(const struct pingpong *pp)
{
	return !pp->server_bytes;
}

/* Has the server's side had a gap since c was sent? Its reply may be in it. */
static inline int pp_gap_since(const struct pingpong *pp, const struct pp_cmd *c)
{
	return pp->server_gaps > c->server_gaps;
}

#endif
