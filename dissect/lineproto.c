/* lineproto.c - the line engine: lines, counted octets, dot-terminated data
 * (RFC 5321 2.3.8, 4.1.1.4, 4.5.2; RFC 1939 3).
 *
 * Where a message ends: only at CRLF "." CRLF, as RFC 5321 4.1.1.4 says.
 * A "." between other line ends (LF.LF, CR.CR, LF.CRLF, CRLF.LF) does not end
 * it - some servers have treated those as the end (SMTP smuggling), so each
 * is counted for the dissector to report. Dot-stuffing is removed only at
 * the start of a CRLF-terminated line.
 */
#include "lineproto.h"

#include <string.h>

enum { S_BOL, S_MID, S_CR, S_DOT, S_DOTCR }; /* LP_DOTDATA states */

/* Storage the line buffer keeps between lines: lines that cross segments
 * are mostly short, and one long line must not keep its storage (counted
 * in --max-held-mem) for the rest of the session. */
#define LP_KEEP 1024

void lineproto_init(struct lineproto *lp, size_t cap)
{
	memset(lp, 0, sizeof *lp);
	buf_init(&lp->line, cap);
	buf_count(&lp->line, &ss_held);
	lp->mode = LP_LINE;
}

void lineproto_free(struct lineproto *lp)
{
	buf_free(&lp->line);
}

void lineproto_set(struct lineproto *lp, enum lp_mode mode, uint64_t n)
{
	lp->mode = mode;
	lp->want = n;
	if (mode == LP_DOTDATA) {
		lp->dstate = S_BOL; /* the message starts at the start of a line */
		memset(lp->raw, 0, sizeof lp->raw);
		lp->dot_check = 0;
	}
}

void lineproto_data_after(struct lineproto *lp, enum lp_eol eol)
{
	lineproto_set(lp, LP_DOTDATA, 0);
	if (eol != LP_EOL_CRLF)
		lp->dstate = S_MID;
	else
		memcpy(lp->raw, "x\r\n", 3); /* what a line before would leave */
}

static void emit(lp_item_fn *fn, void *ctx, enum lp_kind kind, const uint8_t *p, size_t len,
                 uint64_t off, const struct ss_pos *at)
{
	struct lp_item it = {kind, p, len, LP_EOL_NONE, 0, 0, off, at->frame, at->ts};
	fn(ctx, &it);
}

/* Counts what a line holds that the dissector reports once per direction. */
static void inspect(struct lineproto *lp, const uint8_t *p, size_t n, uint64_t frame, int64_t ts)
{
	/* an empty line may have no storage at all (--max-line 0 once gave
	 * a NULL p): memchr must not see it */
	if (!n)
		return;
	if (memchr(p, 0, n) && !lp->nul++) {
		lp->first_nul_frame = frame;
		lp->first_nul_ts = ts;
	}
	for (const uint8_t *cr = memchr(p, '\r', n); cr;
	     cr = memchr(cr + 1, '\r', n - (size_t)(cr + 1 - p)))
		if (cr + 1 < p + n && !lp->bare_cr++) { /* a CR that does not end the line */
			lp->first_bare_cr_frame = frame;
			lp->first_bare_cr_ts = ts;
		}
}

/* A whole line: from the engine's buffer when it began in an earlier
 * segment, else straight from the segment. */
static void line_out(struct lineproto *lp, const uint8_t *p, size_t n, int lf, uint64_t off,
                     const struct ss_pos *at, lp_item_fn *fn, void *ctx)
{
	struct lp_item it = {LP_ITEM_LINE, p, n, LP_EOL_NONE, 0, 0, off, at->frame, at->ts};
	if (lp->line.len) {
		it.off = lp->line_off;
		it.frame = lp->line_frame;
		it.ts = lp->line_ts;
	}
	if (lf) {
		if (n && p[n - 1] == '\r') {
			it.eol = LP_EOL_CRLF;
			it.len--;
		} else {
			it.eol = LP_EOL_LF;
			if (!lp->bare_lf++) {
				lp->first_bare_lf_frame = at->frame;
				lp->first_bare_lf_ts = at->ts;
			}
		}
	}
	inspect(lp, it.p, it.len, it.frame, it.ts);
	fn(ctx, &it);
}

static size_t feed_line(struct lineproto *lp, const uint8_t *p, size_t n, const struct ss_pos *at,
                        uint64_t off, lp_item_fn *fn, void *ctx)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n;
	if (lp->skipping) {
		lp->skipping = !lf;
		return take;
	}
	if (!lp->line.len && lf && take <= lp->line.cap + 1) {
		line_out(lp, p, take - 1, 1, off, at, fn, ctx); /* the common case: no copy */
		return take;
	}
	if (!lp->line.len) {
		lp->line_off = off;
		lp->line_frame = at->frame;
		lp->line_ts = at->ts;
	}
	size_t room = lp->line.cap - lp->line.len, keep = take - (lf ? 1 : 0);
	int r = buf_add(&lp->line, p, keep <= room ? keep : room);
	if (!r && keep <= room) {
		if (lf) {
			line_out(lp, lp->line.p, lp->line.len, 1, off, at, fn, ctx);
			buf_reset(&lp->line);
			buf_trim(&lp->line, LP_KEEP);
		}
		return take;
	}
	/* Over --max-line: what fits is handed out, marked cut, and the rest
	 * skipped. Refused by --max-held-mem (or out of memory), the line is
	 * cut where it stands: what is held, else what this segment has. */
	struct lp_item it = {LP_ITEM_LINE,
	                     lp->line.p,
	                     lp->line.len,
	                     LP_EOL_NONE,
	                     r == BUF_SHARED ? LP_CUT_HELD : LP_CUT_LONG,
	                     0,
	                     lp->line_off,
	                     lp->line_frame,
	                     lp->line_ts};
	if (!it.len) {
		it.p = p;
		it.len = keep < lp->line.cap ? keep : lp->line.cap;
	}
	if (it.len) {
		lp->cut_lines++;
		inspect(lp, it.p, it.len, it.frame, it.ts);
		fn(ctx, &it);
	}
	buf_reset(&lp->line);
	buf_trim(&lp->line, LP_KEEP);
	lp->skipping = !lf;
	return take;
}

/* Notes a "." between line ends that is not CRLF "." CRLF. w holds the
 * last four raw bytes, oldest first, the newest being a line-end byte. */
static void smuggle_check(struct lineproto *lp, const uint8_t w[4], uint64_t frame, int64_t ts)
{
	int x = w[1], y = w[3];
	if (w[2] != '.' || (x != '\r' && x != '\n') || (y != '\r' && y != '\n'))
		return;
	if (x == '\n' && w[0] == '\r' && y == '\r')
		return; /* CRLF "." CR: the proper end, or a line ".\r..." */
	if (!lp->smuggling++) {
		lp->first_smuggling_frame = frame;
		lp->first_smuggling_ts = ts;
	}
}

/* The next position at or after from of byte c in p[0..n), or n. */
static size_t next_of(const uint8_t *p, size_t n, size_t from, int c)
{
	const uint8_t *q = from < n ? memchr(p + from, c, n - from) : NULL;
	return q ? (size_t)(q - p) : n;
}

/* The byte i places before p[k]: from the chunk, or from the bytes kept
 * from earlier chunks (0 before the message). */
static uint8_t before(const struct lineproto *lp, const uint8_t *p, size_t k, size_t i)
{
	return k >= i ? p[k - i] : i - k <= 3 ? lp->raw[3 - (i - k)] : 0;
}

/* Message bytes up to CRLF "." CRLF. Only a dot can end the message or be
 * taken out (stuffing), and only where the two bytes before it are CRLF (or
 * at the very start): so the scan jumps from dot to dot with memchr, looks
 * back two bytes and ahead two, and lets all else pass in one go. Bare LFs
 * in the message are the message parser's to count (message.h): here a
 * message costs one pass. tests/unit/test_lineproto checks this against a
 * byte-at-a-time reading of the same rules. */
static size_t feed_data(struct lineproto *lp, const uint8_t *p, size_t n, const struct ss_pos *at,
                        uint64_t off, lp_item_fn *fn, void *ctx)
{
	static const uint8_t cr = '\r';
	size_t run = 0, k = 0; /* run: the next byte not yet handed out */
	size_t ndot = next_of(p, n, 0, '.'), nnul = next_of(p, n, 0, 0);
	int end = 0;
	/* What the last chunk left open: a dot whose next bytes decide. */
	if (lp->dot_check && n) {
		uint8_t w[4] = {lp->raw[0], lp->raw[1], '.', p[0]};
		if (p[0] == '\r' || p[0] == '\n')
			smuggle_check(lp, w, at->frame, at->ts);
		lp->dot_check = 0;
	}
	while (k < n) {
		if (lp->dstate == S_DOT || lp->dstate == S_DOTCR) {
			/* A dot at the start of a line (not handed out): CR LF after it
			 * ends the message, anything else makes it stuffing. */
			if (lp->dstate == S_DOT && p[k] == '\r') {
				run = ++k; /* the CR is held too */
				lp->dstate = S_DOTCR;
				continue;
			}
			if (lp->dstate == S_DOTCR && p[k] == '\n') {
				k++;
				end = 1;
				break;
			}
			if (lp->dstate == S_DOTCR) {
				emit(fn, ctx, LP_ITEM_DATA, &cr, 1, off + k - 1, at);
				run = k;
			}
			lp->dstate = S_MID;
			if (ndot < k)
				ndot = next_of(p, n, k, '.');
			continue;
		}
		if (ndot >= n) {
			lp->dstate = S_MID;
			k = n;
			break;
		}
		k = ndot;
		uint8_t prev = before(lp, p, k, 1), prev2 = before(lp, p, k, 2);
		if (prev == '\r' || prev == '\n') {
			if (k + 1 < n) {
				uint8_t w[4] = {prev2, prev, '.', p[k + 1]};
				if (w[3] == '\r' || w[3] == '\n')
					smuggle_check(lp, w, at->frame, at->ts);
			} else {
				lp->dot_check = 1; /* the next chunk's first byte tells */
			}
		}
		/* Only CRLF starts a line (a bare LF does not, RFC 5321 2.3.8), and
		 * the message starts one. */
		int bol = (k == 0 && lp->dstate == S_BOL) || (prev == '\n' && prev2 == '\r');
		if (bol) {
			if (k > run)
				emit(fn, ctx, LP_ITEM_DATA, p + run, k - run, off + run, at);
			run = k + 1;
			lp->dstate = S_DOT;
		} else {
			lp->dstate = S_MID;
		}
		ndot = next_of(p, n, k + 1, '.');
		k++;
	}
	while (nnul < k) { /* NULs in the message are only counted */
		if (!lp->nul++) {
			lp->first_nul_frame = at->frame;
			lp->first_nul_ts = at->ts;
		}
		nnul = next_of(p, n, nnul + 1, 0);
	}
	/* Keep the last bytes for the next chunk's look back. */
	for (size_t b = k < 3 ? k : 3; b; b--) {
		memmove(lp->raw, lp->raw + 1, 2);
		lp->raw[2] = p[k - b];
	}
	if (end) {
		struct lp_item it = {LP_ITEM_DATA, NULL,      0,     LP_EOL_NONE, 0, 1,
		                     off + k,      at->frame, at->ts};
		lp->mode = LP_LINE;
		lp->dot_check = 0;
		fn(ctx, &it);
		return k;
	}
	if (n > run) /* a held dot (and CR) is not handed out: run is past them */
		emit(fn, ctx, LP_ITEM_DATA, p + run, n - run, off + run, at);
	return n;
}

size_t lineproto_feed(struct lineproto *lp, const uint8_t *p, size_t n, const struct ss_pos *at,
                      lp_item_fn *fn, void *ctx)
{
	size_t i = 0;
	while (i < n) {
		uint64_t off = at->off + i;
		switch (lp->mode) {
		case LP_LINE:
			i += feed_line(lp, p + i, n - i, at, off, fn, ctx);
			break;
		case LP_OCTETS: {
			size_t k = lp->want < n - i ? (size_t)lp->want : n - i;
			lp->want -= k;
			struct lp_item it = {LP_ITEM_OCTETS, p + i, k,         LP_EOL_NONE, 0,
			                     !lp->want,      off,   at->frame, at->ts};
			i += k;
			if (!lp->want)
				lp->mode = LP_LINE; /* the callback may choose otherwise */
			fn(ctx, &it);
			break;
		}
		case LP_DOTDATA:
			i += feed_data(lp, p + i, n - i, at, off, fn, ctx);
			break;
		case LP_OPAQUE:
			emit(fn, ctx, LP_ITEM_OPAQUE, p + i, n - i, off, at);
			i = n;
			break;
		}
	}
	return n;
}

void lineproto_flush(struct lineproto *lp, lp_item_fn *fn, void *ctx)
{
	if (lp->mode == LP_LINE && lp->line.len) {
		struct lp_item it = {LP_ITEM_LINE, lp->line.p,     lp->line.len, LP_EOL_NONE, 0, 0,
		                     lp->line_off, lp->line_frame, lp->line_ts};
		inspect(lp, it.p, it.len, it.frame, it.ts);
		fn(ctx, &it);
	}
	buf_reset(&lp->line);
	if (lp->mode == LP_DOTDATA)
		lp->dstate = S_MID; /* after a hole, where lines start is unknown */
	memset(lp->raw, 0, sizeof lp->raw);
	lp->dot_check = 0;
}
