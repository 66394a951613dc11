/* addr5322.c - RFC 5322 3.4 address-list (3.2.2 CFWS, 3.2.3 atoms, 3.2.4
 * quoted strings, 3.4.1 addr-spec and domain literals) with the 4.4
 * obsolete forms; display names through RFC 2047 for people.
 *
 * A lexer turns the value into atoms, quoted-strings, domain-literals and
 * specials, skipping CFWS but remembering the last comment; a recursive
 * descent one level deep (a group holds mailboxes, nothing nests further)
 * builds the mailboxes. Nothing here recurses on the input, so a value of
 * 10000 "(" or "<" costs time linear in its length and no stack.
 */
#include "addr5322.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfc2047.h"

enum tk { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPEC, T_ERR };

struct tok {
	enum tk kind;
	size_t off, len; /* in the input; a QSTR keeps its quotes, a DLIT its brackets */
	int ws;          /* whitespace or a comment came before it */
};

struct lx {
	const uint8_t *s; /* borrowed: the caller's value */
	size_t n, off;
	size_t com_off, com_len; /* the last comment skipped, inside its parentheses */
	int com;                 /* a comment was skipped since the parser last cleared this */
};

static int is_lwsp(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 5322 3.2.3 atext, plus RFC 6532 3.2 UTF8-non-ascii. */
static int is_atext(uint8_t c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && memchr("!#$%&'*+-/=?^_`{|}~", c, 19) != NULL;
}

/* Skips a quoted-pair or one byte inside a quoted-string, comment or
 * domain-literal; returns 0 at a NUL, which is never taken (RFC 5322
 * allows it in obs-qp, but every string handed out is a C string). */
static size_t lx_step(const uint8_t *s, size_t n, size_t i)
{
	if (s[i] == 0)
		return 0;
	if (s[i] == '\\' && i + 1 < n)
		return s[i + 1] ? 2 : 0;
	return 1;
}

static struct tok lx_err(struct lx *l, size_t from, size_t to)
{
	struct tok t = {T_ERR, from, to - from, 0};
	l->off = to;
	return t;
}

/* The next token; T_ERR covers an unterminated quoted-string, comment or
 * domain-literal (to the end) or one byte that starts no token. Always
 * moves forward, so loops over tokens end. */
static struct tok lx_next(struct lx *l)
{
	const uint8_t *s = l->s;
	size_t n = l->n;
	struct tok t = {T_END, 0, 0, 0};
	for (;;) {
		if (l->off < n && is_lwsp(s[l->off])) {
			l->off++;
			t.ws = 1;
			continue;
		}
		if (l->off < n && s[l->off] == '(') {
			/* Comments nest (RFC 5322 3.2.2): a counter, not a stack. */
			size_t i = l->off + 1, depth = 1, k;
			while (i < n && depth) {
				if (!(k = lx_step(s, n, i)))
					return lx_err(l, l->off, n);
				if (k == 1 && s[i] == '(')
					depth++;
				else if (k == 1 && s[i] == ')')
					depth--;
				i += k;
			}
			if (depth)
				return lx_err(l, l->off, n);
			l->com_off = l->off + 1;
			l->com_len = i - 1 - l->com_off;
			l->com = 1;
			l->off = i;
			t.ws = 1;
			continue;
		}
		break;
	}
	t.off = l->off;
	if (l->off >= n)
		return t;
	uint8_t c = s[l->off];
	size_t i = l->off + 1, k;
	if (c == '"') {
		while (i < n && s[i] != '"') {
			if (!(k = lx_step(s, n, i)))
				return lx_err(l, t.off, n);
			i += k;
		}
		if (i >= n)
			return lx_err(l, t.off, n);
		t.kind = T_QSTR;
		i++;
	} else if (c == '[') {
		while (i < n && s[i] != ']' && s[i] != '[') {
			if (!(k = lx_step(s, n, i)))
				return lx_err(l, t.off, n);
			i += k;
		}
		if (i >= n || s[i] == '[')
			return lx_err(l, t.off, i);
		t.kind = T_DLIT;
		i++;
	} else if (memchr("<>@,;:.", c, 7)) {
		t.kind = T_SPEC;
	} else if (is_atext(c)) {
		while (i < n && is_atext(s[i]))
			i++;
		t.kind = T_ATOM;
	} else {
		return lx_err(l, t.off, i); /* ")", "]", "\", a control byte */
	}
	t.len = i - t.off;
	l->off = i;
	return t;
}

struct ps {
	struct lx lx;
	struct tok t; /* the current token */
	struct msg_addr *a;
	size_t n, cap;
	size_t items; /* mailboxes and groups seen, good or bad */
	char *group;  /* the open group's name, decoded; NULL outside groups */
	size_t group_len;
	size_t strmax;      /* cap for the string buffers: the input's length */
	int err, oom, full; /* a syntax error; memory ran out; ADDR5322_MAX reached */
};

static void advance(struct ps *p)
{
	p->t = lx_next(&p->lx);
}

static int is_spec(const struct ps *p, int c)
{
	return p->t.kind == T_SPEC && p->lx.s[p->t.off] == c;
}

static void add(struct ps *p, struct buf *b, const void *s, size_t n)
{
	if (!p->oom && buf_add(b, s, n))
		p->oom = 1; /* the cap is the input's length: only memory fails */
}

/* The inside of a quoted-string or comment with quoted-pairs resolved and
 * folds (CR, LF) dropped (RFC 5322 3.2.4: they are not part of it). */
static void add_unquoted(struct ps *p, struct buf *b, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '\\' && i + 1 < n)
			i++;
		add(p, b, s + i, 1);
	}
}

static char *dupn(const void *s, size_t n)
{
	char *r = malloc(n + 1);
	if (r) {
		if (n)
			memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

/* A phrase read as both a display name and a local-part, since which one
 * it is shows only at the token after it ("<", ":" or "@"). */
struct phrase {
	struct buf disp;  /* words joined by one space where the input had space */
	struct buf local; /* the words and dots as written, CFWS dropped */
	size_t words;     /* atoms and quoted-strings */
	int local_bad;    /* not word *("." word) (RFC 5322 3.4.1, 4.4) */
	int want_word;    /* nothing yet, or a dot was last */
};

static void phrase_init(struct phrase *ph, size_t cap)
{
	buf_init(&ph->disp, cap);
	buf_init(&ph->local, cap);
	ph->words = 0;
	ph->local_bad = 0;
	ph->want_word = 1;
}

static void phrase_free(struct phrase *ph)
{
	buf_free(&ph->disp);
	buf_free(&ph->local);
}

static int phrase_is_local(const struct phrase *ph)
{
	return ph->words && !ph->local_bad && !ph->want_word;
}

/* Reads atoms, quoted-strings and dots (obs-phrase allows dots: "Joe Q.
 * Public"). */
static void phrase_read(struct ps *p, struct phrase *ph)
{
	const uint8_t *s = p->lx.s;
	for (;; advance(p)) {
		struct tok t = p->t;
		int dot = is_spec(p, '.');
		if (t.kind != T_ATOM && t.kind != T_QSTR && !dot)
			return;
		if (t.ws && ph->disp.len)
			add(p, &ph->disp, " ", 1);
		if (t.kind == T_QSTR)
			add_unquoted(p, &ph->disp, s + t.off + 1, t.len - 2);
		else
			add(p, &ph->disp, s + t.off, t.len);
		if (dot != ph->want_word)
			ph->want_word = dot;
		else
			ph->local_bad = 1;
		ph->words += !dot;
		add(p, &ph->local, s + t.off, t.len);
	}
}

/* domain = dot-atom / domain-literal / obs-domain (atoms with CFWS around
 * the dots). Returns 0 with the domain in b, or -1. The comment flag is
 * cleared before each step, so afterwards it tells whether a comment
 * followed the domain (the obsolete "addr (Name)" display name). */
static int parse_domain(struct ps *p, struct buf *b, int *literal)
{
	const uint8_t *s = p->lx.s;
	buf_reset(b);
	*literal = p->t.kind == T_DLIT;
	if (*literal) {
		add(p, b, s + p->t.off, p->t.len);
		p->lx.com = 0;
		advance(p);
		return 0;
	}
	if (p->t.kind != T_ATOM)
		return -1;
	for (;;) {
		add(p, b, s + p->t.off, p->t.len);
		p->lx.com = 0;
		advance(p);
		if (!is_spec(p, '.'))
			return 0;
		add(p, b, ".", 1);
		advance(p);
		if (p->t.kind != T_ATOM)
			return -1;
	}
}

static char *display_of(struct ps *p, const struct buf *b)
{
	if (!b->len)
		return NULL;
	char *d = rfc2047_decode_n(b->p, b->len);
	if (!d)
		p->oom = 1;
	return d;
}

static void add_mailbox(struct ps *p, char *display, const struct buf *local,
                        const struct buf *domain, int literal)
{
	if (p->n == ADDR5322_MAX) {
		p->full = p->err = 1;
		free(display);
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct msg_addr *a = realloc(p->a, cap * sizeof *a);
		if (!a) {
			p->oom = 1;
			free(display);
			return;
		}
		p->a = a;
		p->cap = cap;
	}
	struct msg_addr *m = &p->a[p->n];
	m->display = display;
	m->local = dupn(local->p, local->len);
	m->domain = dupn(domain->p, domain->len);
	m->group = p->group ? dupn(p->group, p->group_len) : NULL;
	m->literal = literal;
	p->n++;
	if (!m->local || !m->domain || (p->group && !m->group))
		p->oom = 1;
}

/* angle-addr = "<" [obs-route] addr-spec ">" (RFC 5322 3.4, 4.4); the
 * route ("@a.test,@b.test:") is read and dropped, as 4.4 says it is. */
static int parse_angle(struct ps *p, const struct buf *disp)
{
	struct phrase ph;
	struct buf dom;
	int lit, r = -1;
	phrase_init(&ph, p->strmax);
	buf_init(&dom, p->strmax);
	advance(p);
	if (is_spec(p, '@') || is_spec(p, ',')) {
		for (;;) {
			while (is_spec(p, ','))
				advance(p);
			if (!is_spec(p, '@'))
				break;
			advance(p);
			if (parse_domain(p, &dom, &lit))
				goto out;
		}
		if (!is_spec(p, ':'))
			goto out;
		advance(p);
	}
	phrase_read(p, &ph);
	if (!phrase_is_local(&ph) || !is_spec(p, '@'))
		goto out;
	advance(p);
	if (parse_domain(p, &dom, &lit) || !is_spec(p, '>'))
		goto out;
	advance(p);
	add_mailbox(p, display_of(p, disp), &ph.local, &dom, lit);
	r = 0;
out:
	phrase_free(&ph);
	buf_free(&dom);
	return r;
}

static void parse_list(struct ps *p, int in_group);

/* address = mailbox / group. Returns 0 after a mailbox, 1 after a group,
 * or -1 at a syntax error with the current token somewhere inside the bad
 * address. */
static int parse_address(struct ps *p, int in_group)
{
	struct phrase ph;
	struct buf dom;
	int lit, r = -1;
	phrase_init(&ph, p->strmax);
	buf_init(&dom, p->strmax);
	p->items++;
	phrase_read(p, &ph);
	if (is_spec(p, '<')) {
		r = parse_angle(p, &ph.disp);
	} else if (is_spec(p, ':')) {
		/* group = display-name ":" [group-list] ";" - no nesting. */
		if (in_group || !ph.words)
			goto out;
		p->group = display_of(p, &ph.disp);
		p->group_len = 0;
		while (p->group && p->group[p->group_len])
			p->group_len++;
		advance(p);
		parse_list(p, 1);
		if (is_spec(p, ';'))
			advance(p);
		else
			p->err = 1; /* the group never closed; its mailboxes stay */
		free(p->group);
		p->group = NULL;
		r = 1;
	} else if (is_spec(p, '@') && phrase_is_local(&ph)) {
		advance(p);
		if (parse_domain(p, &dom, &lit))
			goto out;
		/* Before display names existed, "jdoe@example.org (John Doe)"
		 * carried the name in a comment; readers still show it. */
		struct buf name;
		buf_init(&name, p->strmax);
		if (p->lx.com)
			add_unquoted(p, &name, p->lx.s + p->lx.com_off, p->lx.com_len);
		add_mailbox(p, display_of(p, &name), &ph.local, &dom, lit);
		buf_free(&name);
		r = 0;
	}
out:
	phrase_free(&ph);
	buf_free(&dom);
	return r;
}

static void drop_last(struct ps *p)
{
	struct msg_addr *m = &p->a[--p->n];
	free(m->display);
	free(m->local);
	free(m->domain);
	free(m->group);
}

/* address-list, or inside a group its mailbox-list, with obs-addr-list's
 * empty elements (", ,"). Stops at the end, or at ";" inside a group. */
static void parse_list(struct ps *p, int in_group)
{
	while (!p->oom && !p->full) {
		while (is_spec(p, ','))
			advance(p);
		if (p->t.kind == T_END || (in_group && is_spec(p, ';')))
			return;
		size_t before = p->n;
		int r = parse_address(p, in_group);
		if (r >= 0 &&
		    (p->t.kind == T_END || is_spec(p, ',') || (in_group && is_spec(p, ';'))))
			continue;
		/* A mailbox followed by more than a comma is not that mailbox
		 * ("a@evil.test <b@good.test>"): it goes. A group's mailboxes
		 * were each whole, and stay. Then what is left of the bad
		 * address is skipped, so the next one still comes out. */
		if (r == 0 && p->n > before)
			drop_last(p);
		p->err = 1;
		while (p->t.kind != T_END && !is_spec(p, ',') && !(in_group && is_spec(p, ';')))
			advance(p);
	}
}

void addr5322_free(struct msg_addr *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		free(a[i].display);
		free(a[i].local);
		free(a[i].domain);
		free(a[i].group);
	}
	free(a);
}

enum addr5322_status addr5322_parse_n(const uint8_t *s, size_t n, struct msg_addr **out,
                                      size_t *nout)
{
	struct ps p;
	memset(&p, 0, sizeof p);
	p.lx.s = s;
	p.lx.n = n;
	p.strmax = n + 1; /* no string built here is longer than the input */
	advance(&p);
	parse_list(&p, 0);
	free(p.group);
	if (p.oom) {
		addr5322_free(p.a, p.n);
		*out = NULL;
		*nout = 0;
		return ADDR5322_NOMEM;
	}
	*out = p.a;
	*nout = p.n;
	return p.err || !p.items ? ADDR5322_SYNTAX : ADDR5322_OK;
}

enum addr5322_status addr5322_parse(const char *value, struct msg_addr **out, size_t *nout)
{
	size_t n = 0;
	while (value[n]) /* the caller's C string, never message bytes */
		n++;
	return addr5322_parse_n((const uint8_t *)value, n, out, nout);
}

int addr5322_domain_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}
