/* lineproto.h - the one line engine of the text protocols (SMTP, POP3,
 * IMAP), after curl's pingpong.c and Postfix's smtp_get().
 *
 * One engine per direction turns ordered bytes into items: whole lines with
 * their line end as it was (CRLF, bare LF, none); runs of exactly N octets
 * (BDAT chunks, IMAP literals); or the bytes of a dot-terminated message
 * (SMTP DATA, POP3 multi-line responses) with the dot-stuffing taken out.
 * A line longer than the cap is cut, reported and skipped to its end; so is
 * one for which --max-held-mem, counting every session's lines, has no room.
 * Bytes are handed out where they lie whenever possible; only a line that
 * crosses segments is put together in the engine's capped buffer.
 */
#ifndef SS_LINEPROTO_H
#define SS_LINEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stream.h"

enum lp_mode {
	LP_LINE,    /* lines */
	LP_OCTETS,  /* the next lp->want octets, then back to lines */
	LP_DOTDATA, /* message bytes up to CRLF "." CRLF (RFC 5321 4.1.1.4, 4.5.2) */
	LP_OPAQUE,  /* bytes not to be read (TLS, compressed): only counted */
};

enum lp_eol { LP_EOL_NONE, LP_EOL_LF, LP_EOL_CRLF };

/* Why a line was cut (0: it was not). */
enum lp_cut {
	LP_CUT_LONG = 1, /* over --max-line */
	LP_CUT_HELD = 2, /* --max-held-mem (all sessions) was full (util/memacct.h) */
};

enum lp_kind {
	LP_ITEM_LINE,   /* p/len: the line without its end; eol says what ended it */
	LP_ITEM_OCTETS, /* p/len: some of the octets; last: the count is complete */
	LP_ITEM_DATA,   /* p/len: message bytes, un-stuffed; last: the end marker came */
	LP_ITEM_OPAQUE, /* p/len: bytes the text protocol does not read (TLS) */
};

struct lp_item {
	enum lp_kind kind;
	const uint8_t *p; /* borrowed: valid during the callback */
	size_t len;
	enum lp_eol eol;
	int cut; /* LP_CUT_*: this is the line's start, the rest was skipped */
	int last;
	uint64_t off; /* stream offset of the first byte */
	uint64_t frame;
	int64_t ts;
};

/* Called for each item; may change the engine's mode (lineproto_set) for
 * the bytes that follow the item. */
typedef void lp_item_fn(void *ctx, const struct lp_item *it);

struct lineproto {
	enum lp_mode mode;
	uint64_t want;   /* LP_OCTETS: octets still to come */
	struct buf line; /* a line that started in an earlier segment */
	uint64_t line_off;
	uint64_t line_frame;
	int64_t line_ts;
	int skipping;   /* after a cut line: skip to the next LF */
	int dstate;     /* LP_DOTDATA: where in a line we are */
	uint8_t raw[3]; /* LP_DOTDATA: the last bytes seen, for smuggling shapes */
	int dot_check;  /* LP_DOTDATA: a dot ended the last chunk; its next byte is due */
	/* What the engine noticed, for the dissector to report (once each). */
	uint64_t bare_lf, bare_cr, nul, cut_lines, smuggling;
	/* where the first case of each was: the frame and its time */
	uint64_t first_bare_lf_frame, first_nul_frame, first_smuggling_frame, first_bare_cr_frame;
	int64_t first_bare_lf_ts, first_nul_ts, first_smuggling_ts, first_bare_cr_ts;
};

/* cap: the longest line kept (--max-line). */
void lineproto_init(struct lineproto *lp, size_t cap);
void lineproto_free(struct lineproto *lp);
/* Switches mode; for LP_OCTETS, n is the count. Bytes already given to
 * lineproto_feed() and not yet handed out follow the new mode. */
void lineproto_set(struct lineproto *lp, enum lp_mode mode, uint64_t n);
/* Switches to LP_DOTDATA for a message whose first line has already come
 * as a line item ending in eol: the next line starts a line (for the end
 * marker and dot-stuffing) only after a CRLF. */
void lineproto_data_after(struct lineproto *lp, enum lp_eol eol);
/* Feeds n bytes at stream position at. Items go to fn as they complete.
 * Returns how many bytes were used: all of them, except when fn changed the
 * mode from inside the call, in which case the rest must be fed again. */
size_t lineproto_feed(struct lineproto *lp, const uint8_t *p, size_t n, const struct ss_pos *at,
                      lp_item_fn *fn, void *ctx);
/* The stream ended or a gap came: a line in progress is handed out as it is
 * (eol NONE); the dot-data state forgets where lines start. */
void lineproto_flush(struct lineproto *lp, lp_item_fn *fn, void *ctx);

#endif
