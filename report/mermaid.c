/* mermaid.c - Mermaid sequence diagrams in Markdown, every text escaped.
 *
 * Mermaid's own escape is the entity code: before parsing it turns "#59;"
 * into a placeholder (U+FB02 U+00B0 U+00B0 "59" U+00B6 U+00DF) and after
 * rendering the placeholder into "&#59;", so the text shows ";" but the
 * parser never sees one (mermaid src/utils.ts encodeEntities). That is why
 * U+FB02 and U+00B6 are entity codes too: raw, a wire text holding the
 * placeholder would come out as a character reference. ":" is one as well,
 * because encodeEntities first drops the last ";" of any line matching
 * /style.*:\S*#.*;/, which a text with "style" and a colon would match.
 * What is visible but means nothing to Mermaid (letters, digits, "-", ">>"
 * after a "-" that is not "-", quotes, non-ASCII UTF-8) stays as it is, so
 * the Markdown stays readable like the book's.
 */
#include "mermaid.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

enum esc_mode {
	ESC_TEXT,  /* an arrow's or note's text: line ends become <br> */
	ESC_NAME,  /* a participant's name or detail: one line */
	ESC_TITLE, /* the Markdown heading */
};

struct part {
	char alias[12];
	struct buf shown; /* the escaped name, <br>, the escaped detail */
};

struct mermaid {
	FILE *out;
	struct buf title; /* escaped for Markdown; empty: no heading */
	int has_title;
	struct part parts[MERMAID_MAX_PARTICIPANTS];
	size_t nparts, nplain; /* participants; those named pN */
	struct buf body;       /* the steps, as written */
	struct buf line;       /* the step being made */
	size_t steps, left_out;
	int full;                          /* a cap was reached: every later step is left out */
	size_t depth;                      /* rects written and still open */
	size_t ignored;                    /* rect begins ignored and still open */
	size_t rect_at[MERMAID_MAX_DEPTH]; /* where each open rect's line starts in body */
	size_t rect_in[MERMAID_MAX_DEPTH]; /* body's length right after that line */
	int err;                           /* memory ran out */
};

#define INDENT 4
/* Room kept in body beyond MERMAID_BODY_MAX for the ends of open rects. */
#define RECT_END_ROOM (MERMAID_MAX_DEPTH * (INDENT * (MERMAID_MAX_DEPTH + 1) + 4))
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

static const char *const roles[] = {"client", "smtp", "mx", "imap", "pop",   "pop3",
                                    "lmtp",   "dns",  "ns", "log",  "relay", NULL};

/* The length of the UTF-8 sequence at p[0..n), or 0 when it is not one
 * (overlong, a surrogate, past U+10FFFF, cut short); its code point in *cp. */
static size_t utf8_len(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	size_t k;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

/* Characters that show nothing or turn the text around (Trojan Source):
 * shown as their bytes, so that what is there can be seen. */
static int invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
	       cp == 0xfffe || cp == 0xffff || (cp >= 0xe0000 && cp <= 0xe007f);
}

/* ASCII that means something to Mermaid, HTML or Markdown inside a text:
 * written as an entity code. */
static int mermaid_special(uint8_t c)
{
	return c == ';' || c == '#' || c == ':' || c == '%' || c == '<' || c == '>' || c == '&' ||
	       c == '`';
}

/* ASCII punctuation a Markdown heading escapes with a backslash (CommonMark
 * 2.4 allows it before any): all but the few that cannot start markup. */
static int markdown_special(uint8_t c)
{
	return c > 0x20 && c < 0x7f && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
	       !(c >= 'A' && c <= 'Z') && c != '.' && c != ',' && c != '-' && c != '/' &&
	       c != '=' && c != '\'';
}

static size_t hex_bytes(char *tmp, const uint8_t *p, size_t k, int md)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (md)
			tmp[w++] = '\\';
		tmp[w++] = '\\';
		tmp[w++] = 'x';
		tmp[w++] = hex[p[i] >> 4];
		tmp[w++] = hex[p[i] & 15];
	}
	return w;
}

static size_t entity(char *tmp, uint32_t cp)
{
	char d[12];
	size_t k = 0, w = 0;
	do
		d[k++] = (char)('0' + cp % 10);
	while ((cp /= 10) != 0);
	tmp[w++] = '#';
	while (k)
		tmp[w++] = d[--k];
	tmp[w++] = ';';
	return w;
}

/* The bytes at p[i..n) of a blank that JavaScript's trim() removes and
 * that is shown as itself (space, no-break space, the Zs spaces), or 0;
 * the character in *cp. Mermaid trims its texts with trim(). */
static size_t blank_len(const uint8_t *p, size_t n, size_t i, uint32_t *cp)
{
	size_t k;
	if (p[i] == ' ') {
		*cp = ' ';
		return 1;
	}
	if (p[i] < 0x80)
		return 0;
	k = utf8_len(p + i, n - i, cp);
	if (k && (*cp == 0xa0 || *cp == 0x1680 || (*cp >= 0x2000 && *cp <= 0x200a) ||
	          *cp == 0x202f || *cp == 0x205f || *cp == 0x3000))
		return k;
	return 0;
}

/* One character of p[i..n), as written in mode: its bytes in tmp (at most
 * 24), their number in *w; returns the input bytes it took. */
static size_t esc_one(const uint8_t *p, size_t n, size_t i, enum esc_mode mode, char *tmp,
                      size_t *w)
{
	uint32_t cp;
	uint8_t c = p[i];
	int md = mode == ESC_TITLE;
	size_t k;
	if (c == '\\') {
		memcpy(tmp, md ? "\\\\\\\\" : "\\\\", md ? 4 : 2);
		*w = md ? 4 : 2;
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		*w = hex_bytes(tmp, p + i, 1, md);
		return 1;
	}
	if (c < 0x80) {
		if (md && markdown_special(c)) {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			*w = 2;
		} else if (!md && mermaid_special(c)) {
			*w = entity(tmp, c);
		} else {
			tmp[0] = (char)c;
			*w = 1;
		}
		return 1;
	}
	k = utf8_len(p + i, n - i, &cp);
	if (!k) {
		*w = hex_bytes(tmp, p + i, 1, md);
		return 1;
	}
	if (invisible(cp))
		*w = hex_bytes(tmp, p + i, k, md);
	else if (!md && (cp == 0xfb02 || cp == 0xb6))
		*w = entity(tmp, cp);
	else {
		memcpy(tmp, p + i, k);
		*w = k;
	}
	return k;
}

/* The length of the line end at p[i..n) in ESC_TEXT ("\n" or "\r\n"), or 0. */
static size_t line_end(const uint8_t *p, size_t n, size_t i)
{
	if (p[i] == '\n')
		return 1;
	if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
		return 2;
	return 0;
}

/* Appends p[0..n) escaped for mode to out, cut with "…" where it would pass
 * cap bytes or lines lines. Returns -1 when memory runs out. */
static int esc_add(struct buf *out, const uint8_t *p, size_t n, enum esc_mode mode, size_t cap,
                   size_t lines)
{
	size_t start = out->len, ok = start, nlines = 1, run_end = 0;
	int line_start = 1, run_edge = 0;
	uint32_t cp;
	char tmp[32];
	if (!p)
		n = 0;
	/* One line end at the very end is the end of the text, not an empty line. */
	if (mode == ESC_TEXT && n && p[n - 1] == '\n')
		n -= n >= 2 && p[n - 2] == '\r' ? 2 : 1;
	for (size_t i = 0; i < n;) {
		size_t w, took, le = mode == ESC_TEXT ? line_end(p, n, i) : 0;
		if (le) {
			if (nlines == lines)
				goto cut;
			nlines++;
			memcpy(tmp, "<br>", 4);
			w = 4;
			took = le;
		} else {
			size_t bl = mode != ESC_TITLE ? blank_len(p, n, i, &cp) : 0, k;
			if (bl && i >= run_end) {
				/* a run of blanks at either end of its line: Mermaid
				 * would trim it, an entity code it does not */
				uint32_t other;
				run_end = i;
				while (run_end < n && (k = blank_len(p, n, run_end, &other)) != 0)
					run_end += k;
				run_edge = line_start || run_end == n ||
				           (mode == ESC_TEXT && line_end(p, n, run_end));
			}
			if (bl && run_edge) {
				w = entity(tmp, cp);
				took = bl;
			} else {
				took = esc_one(p, n, i, mode, tmp, &w);
			}
		}
		if (out->len - start + w > cap)
			goto cut;
		if (buf_add(out, tmp, w))
			return -1;
		line_start = le != 0;
		i += took;
		if (out->len - start + 3 <= cap)
			ok = out->len;
	}
	return 0;
cut:
	out->len = ok;
	return buf_add(out, ELLIPSIS, 3);
}

struct mermaid *mermaid_begin_n(FILE *out, const void *title, size_t len)
{
	struct mermaid *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->out = out;
	buf_init(&m->title, MERMAID_TITLE_MAX);
	buf_init(&m->body, MERMAID_BODY_MAX + RECT_END_ROOM);
	buf_init(&m->line, MERMAID_TEXT_MAX + 256);
	for (size_t i = 0; i < MERMAID_MAX_PARTICIPANTS; i++)
		buf_init(&m->parts[i].shown, 2 * MERMAID_NAME_MAX + 4);
	if (title) {
		m->has_title = 1;
		if (esc_add(&m->title, title, len, ESC_TITLE, MERMAID_TITLE_MAX, 1))
			m->err = 1;
	}
	return m;
}

struct mermaid *mermaid_begin(FILE *out, const char *title)
{
	return mermaid_begin_n(out, title, title ? strlen(title) : 0);
}

static struct part *part_find(struct mermaid *m, const char *alias)
{
	if (!alias)
		return NULL;
	for (size_t i = 0; i < m->nparts; i++)
		if (!strcmp(m->parts[i].alias, alias))
			return &m->parts[i];
	return NULL;
}

/* The alias for a participant called name[0..n): a role word among its
 * labels, numbered when taken, or the next pN. */
static void alias_make(struct mermaid *m, const uint8_t *name, size_t n, char *alias)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && name[j] != '.')
			j++;
		for (size_t r = 0; roles[r]; r++) {
			size_t k = strlen(roles[r]);
			size_t x = 0;
			if (j - i != k)
				continue;
			while (x < k && (name[i + x] | 0x20) == roles[r][x])
				x++;
			if (x < k)
				continue;
			for (int num = 1; num <= 9; num++) {
				if (num == 1)
					snprintf(alias, 12, "%s", roles[r]);
				else
					snprintf(alias, 12, "%s%d", roles[r], num);
				if (!part_find(m, alias))
					return;
			}
		}
		i = j + 1;
	}
	snprintf(alias, 12, "p%zu", ++m->nplain);
}

const char *mermaid_participant_n(struct mermaid *m, const void *name, size_t nlen,
                                  const void *detail, size_t dlen)
{
	struct part *pt;
	if (!m)
		return NULL;
	struct buf shown;
	if (!name)
		nlen = 0;
	/* Made as it will be written, then compared with those declared. */
	buf_init(&shown, 2 * MERMAID_NAME_MAX + 4);
	if (esc_add(&shown, name, nlen, ESC_NAME, MERMAID_NAME_MAX, 1) ||
	    (detail && (buf_add(&shown, "<br>", 4) ||
	                esc_add(&shown, detail, dlen, ESC_NAME, MERMAID_NAME_MAX, 1)))) {
		buf_free(&shown);
		m->err = 1;
		return NULL;
	}
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].shown.len == shown.len &&
		    (!shown.len || !memcmp(m->parts[i].shown.p, shown.p, shown.len))) {
			buf_free(&shown);
			return m->parts[i].alias;
		}
	if (m->nparts == MERMAID_MAX_PARTICIPANTS) {
		buf_free(&shown);
		return NULL;
	}
	pt = &m->parts[m->nparts];
	alias_make(m, name, nlen, pt->alias);
	buf_free(&pt->shown);
	pt->shown = shown;
	m->nparts++;
	return pt->alias;
}

const char *mermaid_participant(struct mermaid *m, const char *name, const char *detail)
{
	return mermaid_participant_n(m, name, name ? strlen(name) : 0, detail,
	                             detail ? strlen(detail) : 0);
}

static int add_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static int add_indent(struct buf *b, size_t depth)
{
	static const char sp[] = "                                        ";
	size_t k = INDENT * (depth + 1);
	return buf_add(b, sp, k < sizeof sp - 1 ? k : sizeof sp - 1);
}

/* Moves the step made in m->line into the body, or counts it left out. */
static int step_put(struct mermaid *m)
{
	if (m->full || m->steps >= MERMAID_MAX_STEPS ||
	    m->body.len + m->line.len > MERMAID_BODY_MAX) {
		m->full = 1;
		m->left_out++;
		return -1;
	}
	if (buf_add(&m->body, m->line.p, m->line.len)) {
		m->err = 1;
		m->left_out++;
		return -1;
	}
	m->steps++;
	return 0;
}

/* A step that cannot be made (no such participant, memory). */
static int step_lost(struct mermaid *m)
{
	m->left_out++;
	return -1;
}

int mermaid_arrow_n(struct mermaid *m, const char *from, const char *to, int kind, const void *text,
                    size_t len)
{
	static const char *const arrows[] = {" ->> ", " -->> ", " -x ", " --x "};
	struct part *a, *b;
	if (!m)
		return -1;
	a = part_find(m, from);
	b = part_find(m, to);
	if (!a || !b)
		return step_lost(m);
	buf_reset(&m->line);
	if (add_indent(&m->line, m->depth) || add_str(&m->line, a->alias) ||
	    add_str(&m->line, arrows[kind & 3]) || add_str(&m->line, b->alias) ||
	    buf_add(&m->line, ": ", 2) ||
	    esc_add(&m->line, text, len, ESC_TEXT, MERMAID_TEXT_MAX, MERMAID_TEXT_LINES) ||
	    buf_add(&m->line, "\n", 1)) {
		m->err = 1;
		return step_lost(m);
	}
	return step_put(m);
}

int mermaid_arrow(struct mermaid *m, const char *from, const char *to, int kind, const char *text)
{
	return mermaid_arrow_n(m, from, to, kind, text, text ? strlen(text) : 0);
}

int mermaid_note_n(struct mermaid *m, const char *over, const char *over2, const void *text,
                   size_t len)
{
	struct part *a, *b;
	if (!m)
		return -1;
	a = part_find(m, over);
	b = over2 ? part_find(m, over2) : a;
	if (!a || !b)
		return step_lost(m);
	buf_reset(&m->line);
	if (add_indent(&m->line, m->depth) || add_str(&m->line, "note over ") ||
	    add_str(&m->line, a->alias) ||
	    (b != a && (buf_add(&m->line, ",", 1) || add_str(&m->line, b->alias))) ||
	    buf_add(&m->line, ": ", 2) ||
	    esc_add(&m->line, text, len, ESC_TEXT, MERMAID_TEXT_MAX, MERMAID_TEXT_LINES) ||
	    buf_add(&m->line, "\n", 1)) {
		m->err = 1;
		return step_lost(m);
	}
	return step_put(m);
}

int mermaid_note(struct mermaid *m, const char *over, const char *over2, const char *text)
{
	return mermaid_note_n(m, over, over2, text, text ? strlen(text) : 0);
}

void mermaid_rect_begin(struct mermaid *m)
{
	size_t at;
	if (!m)
		return;
	at = m->body.len;
	/* Once anything was ignored, the rects inside it are too: their ends
	 * must pair with their begins. */
	if (m->ignored || m->full || m->depth == MERMAID_MAX_DEPTH) {
		m->ignored++;
		return;
	}
	buf_reset(&m->line);
	if (add_indent(&m->line, m->depth) || add_str(&m->line, "rect rgb(244, 244, 244)\n") ||
	    m->body.len + m->line.len > MERMAID_BODY_MAX ||
	    buf_add(&m->body, m->line.p, m->line.len)) {
		m->ignored++;
		return;
	}
	m->rect_at[m->depth] = at;
	m->rect_in[m->depth] = m->body.len;
	m->depth++;
}

void mermaid_rect_end(struct mermaid *m)
{
	if (!m)
		return;
	if (m->ignored) {
		m->ignored--;
		return;
	}
	if (!m->depth)
		return;
	m->depth--;
	/* An empty rect is taken back: Mermaid would draw a box around nothing. */
	if (m->body.len == m->rect_in[m->depth]) {
		m->body.len = m->rect_at[m->depth];
		return;
	}
	/* Fits: RECT_END_ROOM is kept beyond MERMAID_BODY_MAX for it. */
	if (add_indent(&m->body, m->depth) || buf_add(&m->body, "end\n", 4))
		m->err = 1;
}

size_t mermaid_left_out(const struct mermaid *m)
{
	return m ? m->left_out : 0;
}

static void put(struct mermaid *m, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, m->out) != n)
		m->err = 1;
}

static void puts_(struct mermaid *m, const char *s)
{
	put(m, s, strlen(s));
}

int mermaid_end(struct mermaid *m)
{
	int rc;
	if (!m)
		return -1;
	while (m->depth || m->ignored)
		mermaid_rect_end(m);
	if (!m->nparts) {
		/* A sequence diagram without a participant draws badly; one named
		 * so says why the diagram is empty. */
		snprintf(m->parts[0].alias, sizeof m->parts[0].alias, "p0");
		buf_reset(&m->parts[0].shown);
		if (add_str(&m->parts[0].shown, "(no participants)"))
			m->err = 1;
		m->nparts = 1;
	}
	if (m->has_title) {
		puts_(m, "## ");
		put(m, m->title.p, m->title.len);
		puts_(m, "\n\n");
	}
	puts_(m, "```mermaid\nsequenceDiagram\n");
	for (size_t i = 0; i < m->nparts; i++) {
		puts_(m, "    participant ");
		puts_(m, m->parts[i].alias);
		if (m->parts[i].shown.len) {
			puts_(m, " as ");
			put(m, m->parts[i].shown.p, m->parts[i].shown.len);
		}
		puts_(m, "\n");
	}
	if (m->body.len || m->left_out)
		puts_(m, "\n");
	put(m, m->body.p, m->body.len);
	if (m->left_out) {
		char note[96];
		const char *first = m->parts[0].alias, *last = m->parts[m->nparts - 1].alias;
		snprintf(note, sizeof note, "    note over %s%s%s: %zu more step%s left out\n",
		         first, m->nparts > 1 ? "," : "", m->nparts > 1 ? last : "", m->left_out,
		         m->left_out == 1 ? "" : "s");
		puts_(m, note);
	}
	puts_(m, "```\n\n");
	if (fflush(m->out) || ferror(m->out))
		m->err = 1;
	rc = m->err ? -1 : 0;
	buf_free(&m->title);
	buf_free(&m->body);
	buf_free(&m->line);
	for (size_t i = 0; i < MERMAID_MAX_PARTICIPANTS; i++)
		buf_free(&m->parts[i].shown);
	free(m);
	return rc;
}
