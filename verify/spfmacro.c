/* spfmacro.c - the SPF macro language (RFC 7208 7.1 grammar, 7.3 letters
 * and transformers, 7.4 examples). */
#define _POSIX_C_SOURCE 200809L
#include "spfmacro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "spfname.h"

/* A digit transformer past this keeps every part anyway; clamping keeps the
 * number in range (7.1 asks for at least 128). */
#define MACRO_MAX_DIGITS 100000u
/* The right end of a domain expansion kept while building it: twice a name,
 * so the label cut across at the left is always one 7.3 drops. */
#define MACRO_TAIL (2 * SPF_MAX_NAME + 8)
/* The p value as the store names it (spfname_key's size). */
#define MACRO_PTR_MAX (4 * SPF_MAX_NAME + 8)

enum tok_kind { T_TEXT, T_MACRO };

/* One token of a macro-string: literal text (a run of literal bytes, or what
 * "%%", "%_", "%-" stand for), or a macro-expand. */
struct tok {
	enum tok_kind kind;
	size_t len;       /* bytes of the macro-string it takes */
	const char *text; /* T_TEXT: the bytes it stands for */
	size_t tlen;
	char letter;     /* T_MACRO: lower case */
	int upper;       /* the letter was upper case: URL-escape (7.3) */
	unsigned digits; /* 0: none given */
	int reverse;
	char delims[8]; /* the delimiters given, NUL-terminated ("" = ".") */
};

static int is_delim(char c)
{
	return c && strchr(".-+,/_=", c) != NULL;
}

/* The token at s[i] (i < n). Returns 0, or -1 with *why. */
static int tok_next(const char *s, size_t n, size_t i, enum spf_macro_kind kind, struct tok *t,
                    const char **why)
{
	memset(t, 0, sizeof *t);
	if (s[i] != '%') {
		size_t j = i;
		/* macro-literal = %x21-24 / %x26-7E; an explanation also has SP */
		while (j < n && s[j] != '%') {
			unsigned char c = (unsigned char)s[j];
			if (c > 0x7e || c < 0x20 || (c == 0x20 && kind != SPF_MACRO_EXPLAIN)) {
				*why = c >= 0x80 ? "a byte that is not ASCII"
				                 : "a control character or space";
				return -1;
			}
			j++;
		}
		t->kind = T_TEXT;
		t->len = j - i;
		t->text = s + i;
		t->tlen = j - i;
		return 0;
	}
	if (i + 1 >= n) {
		*why = "a '%' at the end";
		return -1;
	}
	t->kind = T_TEXT;
	t->len = 2;
	switch (s[i + 1]) {
	case '%':
		t->text = "%";
		t->tlen = 1;
		return 0;
	case '_':
		t->text = " ";
		t->tlen = 1;
		return 0;
	case '-':
		t->text = "%20";
		t->tlen = 3;
		return 0;
	case '{':
		break;
	default:
		*why = "a '%' not followed by '{', '%', '_' or '-'";
		return -1;
	}
	size_t j = i + 2;
	if (j >= n) {
		*why = "a macro without its '}'";
		return -1;
	}
	char c = s[j];
	char l = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	if (!l || !strchr("slodipvhcrt", l)) {
		*why = "an unknown macro letter";
		return -1;
	}
	if (strchr("crt", l) && kind != SPF_MACRO_EXPLAIN) {
		*why = "%{c}, %{r} or %{t} outside an explanation";
		return -1;
	}
	t->kind = T_MACRO;
	t->letter = l;
	t->upper = c != l;
	j++;
	int have_digits = 0;
	while (j < n && s[j] >= '0' && s[j] <= '9') {
		unsigned d = (unsigned)(s[j] - '0');
		t->digits = t->digits > MACRO_MAX_DIGITS ? t->digits : t->digits * 10 + d;
		have_digits = 1;
		j++;
	}
	if (have_digits && t->digits == 0) {
		*why = "a digit transformer of 0";
		return -1;
	}
	if (j < n && (s[j] == 'r' || s[j] == 'R')) {
		t->reverse = 1;
		j++;
	}
	size_t nd = 0;
	while (j < n && is_delim(s[j])) {
		if (!strchr(t->delims, s[j]))
			t->delims[nd++] = s[j];
		j++;
	}
	if (j >= n || s[j] != '}') {
		*why = "a malformed macro";
		return -1;
	}
	t->len = j + 1 - i;
	return 0;
}

int spf_macro_check(const char *s, size_t n, enum spf_macro_kind kind, const char **why)
{
	struct tok t;
	for (size_t i = 0; i < n; i += t.len)
		if (tok_next(s, n, i, kind, &t, why))
			return -1;
	return 0;
}

int spf_macro_ends_in_macro(const char *s, size_t n)
{
	struct tok t;
	const char *why;
	int last_macro = 0;
	for (size_t i = 0; i < n; i += t.len) {
		if (tok_next(s, n, i, SPF_MACRO_EXPLAIN, &t, &why))
			return 0;
		/* macro-expand also covers "%%", "%_" and "%-" */
		last_macro = t.kind == T_MACRO || s[i] == '%';
	}
	return last_macro;
}

/* The value of a macro letter before transformation into v[cap]; -1 when p
 * cannot be told. */
static int letter_value(const struct spf_macro_env *e, char letter, char *v, size_t cap)
{
	const char *src = "";
	char tmp[SS_ADDR_STRLEN + 72];
	switch (letter) {
	case 's':
		src = e->sender;
		break;
	case 'l':
		src = e->local;
		break;
	case 'o':
		src = e->sender_dom;
		break;
	case 'd':
		src = e->domain;
		break;
	case 'h':
		src = e->helo;
		break;
	case 'i':
		src = spfname_dotted(e->ip, tmp);
		break;
	case 'c':
		src = ss_addr_fmt(e->ip, tmp);
		break;
	case 'v':
		src = e->ip->family == SS_AF_INET ? "in-addr" : "ip6";
		break;
	case 'r':
		src = e->receiver && *e->receiver ? e->receiver : "unknown";
		break;
	case 't':
		snprintf(tmp, sizeof tmp, "%lld", (long long)e->now);
		src = tmp;
		break;
	case 'p':
		if (!e->ptr || e->ptr(e->arg, e->domain, v, cap))
			return -1;
		return 0;
	}
	snprintf(v, cap, "%s", src ? src : "");
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Expands one macro-expand: split on the delimiters, reverse, keep the
 * rightmost parts, join with '.', URL-escape for an upper-case letter
 * (7.3). Returns a malloc'd string of *len bytes, NULL with *undet when p
 * could not be told (or memory ran out). */
static char *macro_expand(const struct spf_macro_env *e, const struct tok *t, size_t *len,
                          int *undet)
{
	/* values are bounded by their sources: names, addresses, the sender */
	size_t vcap = MACRO_PTR_MAX;
	const char *srcs[] = {e->sender, e->local, e->sender_dom, e->domain, e->helo, e->receiver};
	for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++)
		if (srcs[i] && strlen(srcs[i]) + 1 > vcap)
			vcap = strlen(srcs[i]) + 1;
	char *v = malloc(vcap);
	char *out = malloc(3 * vcap + 1);
	size_t *start = malloc((vcap + 1) * sizeof *start);
	*undet = 0;
	if (!v || !out || !start || letter_value(e, t->letter, v, vcap)) {
		*undet = v && out && start;
		free(v);
		free(out);
		free(start);
		return NULL;
	}
	const char *delims = t->delims[0] ? t->delims : ".";
	size_t vl = strlen(v), k = 0;
	start[k++] = 0;
	for (size_t i = 0; i < vl; i++)
		if (strchr(delims, v[i]))
			start[k++] = i + 1;
			/* part j is v[start[j] .. end(j)) */
#define PART_END(j) ((j) + 1 < k ? start[(j) + 1] - 1 : vl)
	size_t keep = t->digits && t->digits < k ? t->digits : k;
	char *joined = malloc(vl + 2);
	size_t jl = 0;
	if (!joined) {
		free(v);
		free(out);
		free(start);
		return NULL;
	}
	for (size_t m = 0; m < keep; m++) {
		/* reversed, the rightmost keep parts are parts keep-1 .. 0 */
		size_t j = t->reverse ? keep - 1 - m : k - keep + m;
		if (m)
			joined[jl++] = '.';
		memcpy(joined + jl, v + start[j], PART_END(j) - start[j]);
		jl += PART_END(j) - start[j];
	}
#undef PART_END
	size_t ol = 0;
	for (size_t i = 0; i < jl; i++) {
		unsigned char c = (unsigned char)joined[i];
		if (t->upper && !unreserved(c)) {
			static const char hex[] = "0123456789ABCDEF";
			out[ol++] = '%';
			out[ol++] = hex[c >> 4];
			out[ol++] = hex[c & 15];
		} else {
			out[ol++] = (char)c;
		}
	}
	out[ol] = 0;
	free(joined);
	free(v);
	free(start);
	*len = ol;
	return out;
}

int spf_macro_domain(const struct spf_macro_env *e, const char *s, size_t n, char *out)
{
	out[0] = 0;
	/* the token boundaries, to walk them from the right */
	size_t ntok = 0, *at = malloc((n + 1) * sizeof *at);
	if (!at)
		return -1;
	struct tok t;
	const char *why;
	for (size_t i = 0; i < n; i += t.len) {
		if (tok_next(s, n, i, SPF_MACRO_DOMAIN, &t, &why)) {
			free(at);
			return 0; /* unchecked input: nothing to look up */
		}
		at[ntok++] = i;
	}
	char tail[MACRO_TAIL];
	size_t pos = MACRO_TAIL;
	int rc = 0;
	for (size_t k = ntok; k-- > 0 && pos > 0;) {
		tok_next(s, n, at[k], SPF_MACRO_DOMAIN, &t, &why);
		const char *p = t.text;
		size_t l = t.tlen;
		char *x = NULL;
		if (t.kind == T_MACRO) {
			int undet;
			x = macro_expand(e, &t, &l, &undet);
			if (!x) {
				rc = -1;
				break;
			}
			p = x;
		}
		/* only the right end of this piece can still be kept */
		size_t take = l < pos ? l : pos;
		memcpy(tail + pos - take, p + l - take, take);
		pos -= take;
		free(x);
	}
	free(at);
	if (rc)
		return rc;
	const char *r = tail + pos;
	size_t rl = MACRO_TAIL - pos;
	if (rl && r[rl - 1] == '.')
		rl--;
	/* 7.3: drop labels on the left until the name fits */
	while (rl > SPF_MAX_NAME) {
		const char *dot = memchr(r, '.', rl);
		if (!dot) {
			rl = 0;
			break;
		}
		rl -= (size_t)(dot + 1 - r);
		r = dot + 1;
	}
	memcpy(out, r, rl);
	out[rl] = 0;
	/* a NUL cannot come from a checked string, nor from the C strings of
	 * the environment; the name is what strlen says */
	return 0;
}

int spf_macro_explain(const struct spf_macro_env *e, const char *s, size_t n, char *out, size_t cap)
{
	size_t ol = 0;
	struct tok t;
	const char *why;
	out[0] = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n && ol + 1 < cap; i += t.len) {
		if (tok_next(s, n, i, SPF_MACRO_EXPLAIN, &t, &why))
			break;
		const char *p = t.text;
		size_t l = t.tlen;
		char *x = NULL;
		if (t.kind == T_MACRO) {
			int undet;
			x = macro_expand(e, &t, &l, &undet);
			if (!x)
				return -1;
			p = x;
		}
		size_t take = l < cap - 1 - ol ? l : cap - 1 - ol;
		memcpy(out + ol, p, take);
		ol += take;
		free(x);
	}
	out[ol] = 0;
	return 0;
}
