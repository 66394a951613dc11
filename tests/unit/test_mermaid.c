/* test_mermaid.c - the Mermaid writer (report/mermaid.c): the exact text of
 * a small diagram in the style of the smtpbook book's DKIMpass.md; hostile
 * texts (";", "#", "%%", line ends, "end", "-->>", "<script>", NUL, bytes
 * that are not UTF-8, 100 KB) each kept inside its one statement and coming
 * back byte for byte when the escapes are undone; aliases; rects; the caps.
 *
 * Usage: test_mermaid [SAMPLE.md]
 * With SAMPLE.md it also writes the diagrams it made there, and beside it
 * SAMPLE.md.expect.json: for each diagram, the lines each arrow, note and
 * participant must show as written here by hand (the text as given), which
 * tests/mermaid/render.py checks against what the real Mermaid library
 * renders.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mermaid.h"

/* What f holds, NUL-terminated (*n bytes without the NUL). */
static char *slurp(FILE *f, size_t *n)
{
	long size;
	char *s;
	fflush(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	s = malloc((size_t)size + 1);
	if (!s)
		abort();
	*n = fread(s, 1, (size_t)size, f);
	s[*n] = 0;
	return s;
}

/* The diagram written into a scratch file, as text. */
static FILE *scratch(void)
{
	FILE *f = tmpfile();
	if (!f)
		abort();
	return f;
}

static char *done(struct mermaid *m, FILE *f, size_t *n)
{
	CHECK(mermaid_end(m) == 0);
	char *s = slurp(f, n);
	fclose(f);
	return s;
}

/* ---- the sample for the render test, and what it must show ---- */

static FILE *sample, *expect;
static int expect_blocks;

static void json_str(const char *s, size_t n)
{
	fputc('"', expect);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(expect, "\\%c", c);
		else if (c < 0x20)
			fprintf(expect, "\\u%04x", c);
		else
			fputc(c, expect);
	}
	fputc('"', expect);
}

/* One list of lines: s split at "\n". */
static void json_lines(const char *s)
{
	fputc('[', expect);
	for (const char *p = s;;) {
		const char *e = strchr(p, '\n');
		json_str(p, e ? (size_t)(e - p) : strlen(p));
		if (!e)
			break;
		fputc(',', expect);
		p = e + 1;
	}
	fputc(']', expect);
}

/* Expectations of one diagram: each a NULL-ended list of texts, lines
 * split at "\n", as the reader must see them. */
static void expect_block(const char *const *actors, const char *const *messages,
                         const char *const *notes)
{
	const char *const *lists[] = {actors, messages, notes};
	const char *names[] = {"actors", "messages", "notes"};
	if (!expect)
		return;
	fputs(expect_blocks++ ? ",\n{" : "{", expect);
	for (int l = 0; l < 3; l++) {
		fprintf(expect, "%s\"%s\":[", l ? "," : "", names[l]);
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			if (i)
				fputc(',', expect);
			json_lines(lists[l][i]);
		}
		fputc(']', expect);
	}
	fputc('}', expect);
}

/* A diagram without expectations of its own (the render test still checks
 * that it shows what it declares). */
static void expect_none(void)
{
	if (expect)
		fputs(expect_blocks++ ? ",\nnull" : "null", expect);
}

static void keep(const char *s, size_t n)
{
	if (sample)
		fwrite(s, 1, n, sample);
}

/* ---- the tests ---- */

/* DKIMpass.md of the book, drawn through the API: the exact text. */
static void test_exact(void)
{
	FILE *f = scratch();
	size_t n;
	struct mermaid *m = mermaid_begin(f, "DKIM pass: message 1 <x@a.test>");
	const char *client = mermaid_participant(m, "client.a.test", NULL);
	const char *smtp = mermaid_participant(m, "dkim.smtp.a.test", "10.255.1.21");
	const char *mx = mermaid_participant(m, "dkim.mx.b.test", NULL);
	const char *imap = mermaid_participant(m, "imap.b.test", NULL);
	const char *dns = mermaid_participant(m, "DNS", NULL);
	CHECK(client && !strcmp(client, "client"));
	CHECK(smtp && !strcmp(smtp, "smtp"));
	CHECK(mx && !strcmp(mx, "mx"));
	CHECK(imap && !strcmp(imap, "imap"));
	CHECK(dns && !strcmp(dns, "dns"));
	CHECK(mermaid_arrow(m, client, smtp, 0, "SMTP") == 0);
	CHECK(mermaid_note(m, smtp, NULL,
	                   "DKIM: d=pass.dkim.a.test; s=smtpbook\nDKIM-Signature added") == 0);
	CHECK(mermaid_arrow(m, smtp, mx, 0, "SMTP") == 0);
	mermaid_rect_begin(m);
	CHECK(mermaid_arrow(m, mx, dns, 0, "TXT smtpbook._domainkey.pass.dkim.a.test") == 0);
	CHECK(mermaid_arrow(m, dns, mx, MERMAID_DASHED, "TXT \"v=DKIM1; k=rsa; p=MIIBIjA...\"") ==
	      0);
	mermaid_rect_end(m);
	CHECK(mermaid_arrow(m, mx, mx, 0,
	                    "signature checked\nAuthentication-Results: dkim=pass\n") == 0);
	CHECK(mermaid_arrow(m, mx, imap, 0, "SMTP") == 0);
	CHECK(mermaid_arrow(m, imap, mx, MERMAID_DASHED | MERMAID_CROSS, "550 5.7.1 #rejected") ==
	      0);
	CHECK(mermaid_left_out(m) == 0);
	char *s = done(m, f, &n);
	const char *want =
	    "## DKIM pass\\: message 1 \\<x\\@a.test\\>\n"
	    "\n"
	    "```mermaid\n"
	    "sequenceDiagram\n"
	    "    participant client as client.a.test\n"
	    "    participant smtp as dkim.smtp.a.test<br>10.255.1.21\n"
	    "    participant mx as dkim.mx.b.test\n"
	    "    participant imap as imap.b.test\n"
	    "    participant dns as DNS\n"
	    "\n"
	    "    client ->> smtp: SMTP\n"
	    "    note over smtp: DKIM#58; d=pass.dkim.a.test#59; s=smtpbook<br>"
	    "DKIM-Signature added\n"
	    "    smtp ->> mx: SMTP\n"
	    "    rect rgb(244, 244, 244)\n"
	    "        mx ->> dns: TXT smtpbook._domainkey.pass.dkim.a.test\n"
	    "        dns -->> mx: TXT \"v=DKIM1#59; k=rsa#59; p=MIIBIjA...\"\n"
	    "    end\n"
	    "    mx ->> mx: signature checked<br>Authentication-Results#58; dkim=pass\n"
	    "    mx ->> imap: SMTP\n"
	    "    imap --x mx: 550 5.7.1 #35;rejected\n"
	    "```\n"
	    "\n";
	CHECK(n == strlen(want) && !strcmp(s, want));
	if (n != strlen(want) || strcmp(s, want))
		printf("got:\n%s\nwant:\n%s\n", s, want);
	keep(s, n);
	static const char *const actors[] = {"client.a.test",
	                                     "dkim.smtp.a.test\n10.255.1.21",
	                                     "dkim.mx.b.test",
	                                     "imap.b.test",
	                                     "DNS",
	                                     NULL};
	static const char *const messages[] = {
	    "SMTP",
	    "SMTP",
	    "TXT smtpbook._domainkey.pass.dkim.a.test",
	    "TXT \"v=DKIM1; k=rsa; p=MIIBIjA...\"",
	    "signature checked\nAuthentication-Results: dkim=pass",
	    "SMTP",
	    "550 5.7.1 #rejected",
	    NULL};
	static const char *const notes[] = {
	    "DKIM: d=pass.dkim.a.test; s=smtpbook\nDKIM-Signature added", NULL};
	expect_block(actors, messages, notes);
	free(s);
}

/* A hostile text, and the lines a reader must see for it (NULL: the text
 * itself, which is printable). */
struct hostile {
	const char *text;
	size_t len;
	const char *shown;
};

#define H(s, shown)                                                                                \
	{                                                                                          \
		s, sizeof s - 1, shown                                                             \
	}
static const struct hostile hostile[] = {
    H(";", NULL),
    H("a;b; c ;", NULL),
    H("#", NULL),
    H("#59;", NULL),
    H("#lt;script#gt;", NULL),
    H("%%", NULL),
    H("%% comment", NULL),
    H("%%{init: {\"theme\": \"dark\"}}%%", NULL),
    H("}%%", NULL),
    H("first\nsecond", NULL),
    H("first\r\nsecond\r\n", "first\nsecond"),
    H("end", NULL),
    H("x\nend\ny", NULL),
    H("-->>", NULL),
    H("a ->> b: hi", NULL),
    H("a\n    b ->> a: injected", NULL),
    H("note over mx: injected", NULL),
    H("participant evil", NULL),
    H("<script>alert(1)</script>", NULL),
    H("<br>not a break", NULL),
    H("<b>bold</b> &amp; &lt;", NULL),
    H("<img src=x onerror=alert(1)>", NULL),
    H("style x: fill:#f00;", NULL),
    H("classDef x fill:#f00;", NULL),
    H("click mx call alert()", NULL),
    H("```\n# heading", NULL),
    H("\xef\xac\x82\xc2\xb0\xc2\xb0"
      "60\xc2\xb6\xc3\x9f raw placeholder",
      NULL),
    H("nul\0byte", "nul\\x00byte"),
    H("\xff\xfe\x80", "\\xff\\xfe\\x80"),
    H("tab\there\x1b[31m", "tab\\x09here\\x1b[31m"),
    H("cr\ralone", "cr\\x0dalone"),
    H("back\\slash \\x41", "back\\\\slash \\\\x41"),
    H("  two spaces at each end  ", NULL),
    H("line end \nspace", NULL),
    H("\xc2\xa0no-break and ideographic spaces at the ends\xe3\x80\x80", NULL),
    H(" \xe2\x80\x83 \n\xe2\x80\x83", NULL),
    H("\xe2\x80\xae"
      "evil RTL",
      "\\xe2\\x80\\xae"
      "evil RTL"),
    H("line\xe2\x80\xa8sep", "line\\xe2\\x80\\xa8sep"),
    H("\xef\xbb\xbf"
      "bom",
      "\\xef\\xbb\\xbf"
      "bom"),
    H("overlong \xc0\xaf surrogate \xed\xa0\x80", "overlong \\xc0\\xaf surrogate \\xed\\xa0\\x80"),
    H("cut \xe6\x97", "cut \\xe6\\x97"),
    H("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe2\x82\xac \xf0\x9f\x91\x8d \xc3\x9f\xc2\xb0", NULL),
    H("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", NULL),
    H("250 2.0.0 Ok: queued as 4XyZ; <id@a.test>", NULL),
    H("", NULL),
};

/* Undoes the escapes (entity codes, <br>, \xNN, \\): the bytes given. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '#') {
			size_t j = i + 1;
			unsigned long cp = 0;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				cp = cp * 10 + (unsigned long)(s[j++] - '0');
			if (j == i + 1 || j == n || s[j] != ';')
				return (size_t)-1; /* a bare #: must not be */
			if (cp < 0x80) {
				out[w++] = (char)cp;
			} else if (cp < 0x800) {
				out[w++] = (char)(0xc0 | cp >> 6);
				out[w++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[w++] = (char)(0xe0 | cp >> 12);
				out[w++] = (char)(0x80 | (cp >> 6 & 0x3f));
				out[w++] = (char)(0x80 | (cp & 0x3f));
			}
			i = j + 1;
		} else if (n - i >= 4 && !memcmp(s + i, "<br>", 4)) {
			out[w++] = '\n';
			i += 4;
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			out[w++] = '\\';
			i += 2;
		} else if (s[i] == '\\' && n - i >= 4 && s[i + 1] == 'x') {
			out[w++] = (char)strtoul((char[]){s[i + 2], s[i + 3], 0}, NULL, 16);
			i += 4;
		} else {
			out[w++] = s[i++];
		}
	}
	return w;
}

/* 1 when s[0..n) is UTF-8 with nothing Mermaid could read as syntax: no
 * ; % & : ` no < > but <br>, # only in entity codes, no control byte. */
static int inert(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ';' || c == '%' || c == '&' || c == ':' ||
		    c == '`' || c == '>')
			return 0;
		if (c == '<') {
			if (n - i < 4 || memcmp(s + i, "<br>", 4))
				return 0;
			i += 3;
		} else if (c == '#') {
			size_t j = i + 1;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			if (j == i + 1 || j == n || s[j] != ';')
				return 0;
			i = j;
		} else if (c >= 0x80) {
			/* whole UTF-8 sequences (lead byte, then its continuations) */
			size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			if (!k || n - i < k)
				return 0;
			for (size_t j = 1; j < k; j++)
				if (((unsigned char)s[i + j] & 0xc0) != 0x80)
					return 0;
			/* the placeholders' characters and invisible ones are escaped */
			if (n - i >= 3 && (!memcmp(s + i, "\xef\xac\x82", 3) ||
			                   !memcmp(s + i, "\xe2\x80\xae", 3)))
				return 0;
			if (n - i >= 2 && !memcmp(s + i, "\xc2\xb6", 2))
				return 0;
			i += k - 1;
		}
	}
	return 1;
}

/* The text as written after "PREFIX" on a line of its own in s, or NULL. */
static const char *line_after(const char *s, const char *prefix, size_t *len)
{
	const char *p = strstr(s, prefix);
	if (!p)
		return NULL;
	p += strlen(prefix);
	const char *e = strchr(p, '\n');
	*len = e ? (size_t)(e - p) : strlen(p);
	return p;
}

static void test_hostile(void)
{
	size_t nh = sizeof hostile / sizeof hostile[0];
	FILE *big = scratch();
	struct mermaid *all =
	    mermaid_begin(big, "Hostile texts; \"all\" <b>in</b> #one %% `diagram`\n");
	const char *a = mermaid_participant(all, "mx.b.test", "10.255.1.1");
	const char *b = mermaid_participant(all, "DNS", NULL);
	const char *messages[sizeof hostile / sizeof hostile[0] + 2];
	const char *notes[sizeof hostile / sizeof hostile[0] + 1];
	size_t nn = 0;
	for (size_t i = 0; i < nh; i++) {
		const struct hostile *h = &hostile[i];
		FILE *f = scratch();
		size_t n, len = 0;
		struct mermaid *m = mermaid_begin(f, NULL);
		const char *mx = mermaid_participant(m, "mx", NULL);
		const char *dns = mermaid_participant(m, "dns", NULL);
		CHECK(mermaid_arrow_n(m, mx, dns, 0, h->text, h->len) == 0);
		CHECK(mermaid_note_n(m, mx, dns, h->text, h->len) == 0);
		char *s = done(m, f, &n);
		/* one statement each, then the closing fence: nothing got out */
		const char *body = strstr(s, "\n\n");
		const char *want_tail = "```\n\n";
		CHECK(body && strstr(body + 2, "    mx ->> dns: ") == body + 2);
		size_t lines = 0;
		for (const char *p = body ? body + 2 : s; *p; p++)
			lines += *p == '\n';
		CHECK(lines == 4); /* arrow, note, fence, blank */
		CHECK(n >= strlen(want_tail) && !strcmp(s + n - strlen(want_tail), want_tail));
		const char *t = line_after(s, "    mx ->> dns: ", &len);
		CHECK(t && inert(t, len));
		/* undone, the escapes give the text back byte for byte (its line
		 * ends as \n, the last one dropped) */
		char got[256], want[256];
		size_t gn = t ? unescape(t, len, got) : (size_t)-1;
		size_t wn = 0;
		for (size_t k = 0; k < h->len; k++)
			if (!(h->text[k] == '\r' && k + 1 < h->len && h->text[k + 1] == '\n'))
				want[wn++] = h->text[k];
		if (wn && want[wn - 1] == '\n')
			wn--;
		CHECK(gn == wn && !memcmp(got, want, wn));
		if (gn != wn || memcmp(got, want, wn))
			printf("hostile %zu: %.*s\n", i, (int)len, t ? t : "");
		const char *nt = line_after(s, "    note over mx,dns: ", &len);
		CHECK(nt && inert(nt, len));
		free(s);

		/* the same in one diagram for the render test, as arrows and notes */
		CHECK(mermaid_arrow_n(all, a, b, i % 2 ? MERMAID_DASHED : 0, h->text, h->len) == 0);
		messages[i] = h->shown ? h->shown : h->text;
		if (i % 4 == 0) {
			CHECK(mermaid_note_n(all, a, i % 8 ? NULL : b, h->text, h->len) == 0);
			notes[nn++] = messages[i];
		}
	}
	messages[nh] = "x";
	messages[nh + 1] = NULL;
	notes[nn] = NULL;
	/* hostile participants: name and detail stay one declaration */
	const char *c = mermaid_participant(all, "end", "-->> x; %%{init}%%\n<b>");
	const char *d = mermaid_participant(all, "a as b:c\xff", "#35; note over x: y");
	CHECK(c && !strcmp(c, "p1") && d && !strcmp(d, "p2"));
	CHECK(mermaid_arrow(all, c, d, MERMAID_CROSS, "x") == 0);
	size_t n;
	char *s = done(all, big, &n);
	CHECK(strstr(s, "## Hostile texts\\; \\\"all\\\" \\<b\\>in\\</b\\> \\#one \\%\\% "
	                "\\`diagram\\`\\\\x0a\n\n```mermaid\n") == s);
	CHECK(strstr(s, "    participant p1 as end<br>--#62;#62; x#59; "
	                "#37;#37;{init}#37;#37;\\x0a#60;b#62;\n") != NULL);
	CHECK(
	    strstr(s, "    participant p2 as a as b#58;c\\xff<br>#35;35#59; note over x#58; y\n") !=
	    NULL);
	keep(s, n);
	static const char *const actors[] = {"mx.b.test\n10.255.1.1", "DNS",
	                                     "end\n-->> x; %%{init}%%\\x0a<b>",
	                                     "a as b:c\\xff\n#35; note over x: y", NULL};
	expect_block(actors, messages, notes);
	free(s);
}

/* Random bytes, mostly ones that mean something somewhere, as names and
 * texts (the same each run: a fixed LCG): each text comes back byte for
 * byte; the render test draws the diagram. */
static void test_random(void)
{
	static const char pool[] = " \n\r;#:%<>&`\\-{}()[]\"'ab\xe2\x80\xae\xc2\xa0\xe3\x80\x80"
	                           "\xef\xac\x82\xc2\xb6\xc2\xb0\xc3\x9f\xe6\x97\xa5\xff";
	static char texts[40][120];
	size_t lens[40], n;
	uint32_t r = 2463534242u;
	FILE *f = scratch();
	struct mermaid *m = mermaid_begin(f, "random bytes");
	const char *p[2];
	for (int k = 0; k < 42; k++) {
		char *t = k < 40 ? texts[k] : (char[120]){0};
		size_t len = 0;
		r = r * 1103515245u + 12345u;
		len = (r >> 16) % 120;
		for (size_t i = 0; i < len; i++) {
			r = r * 1103515245u + 12345u;
			t[i] =
			    (r >> 16) % 4 ? pool[(r >> 18) % (sizeof pool - 1)] : (char)(r >> 20);
		}
		if (k >= 40)
			p[k - 40] = mermaid_participant_n(m, t, len, t, len / 2);
		else
			lens[k] = len;
	}
	CHECK(p[0] && !strcmp(p[0], "p1") && p[1] && !strcmp(p[1], "p2"));
	for (int k = 0; k < 40; k++)
		CHECK(mermaid_arrow_n(m, p[0], p[1], 0, texts[k], lens[k]) == 0);
	char *s = done(m, f, &n);
	const char *at = s;
	for (int k = 0; k < 40; k++) {
		size_t len, wn = 0;
		const char *t = line_after(at, "    p1 ->> p2: ", &len);
		char got[1000], want[120];
		CHECK(t && inert(t, len));
		if (!t)
			break;
		for (size_t i = 0; i < lens[k]; i++)
			if (!(texts[k][i] == '\r' && i + 1 < lens[k] && texts[k][i + 1] == '\n'))
				want[wn++] = texts[k][i];
		if (wn && want[wn - 1] == '\n')
			wn--;
		CHECK(unescape(t, len, got) == wn && !memcmp(got, want, wn));
		at = t + len;
	}
	keep(s, n);
	expect_none();
	free(s);
}

/* 100 KB of text: cut at the cap with "…", still one statement. */
static void test_long(void)
{
	size_t big = 100 * 1024, n, len;
	char *text = malloc(big);
	if (!text)
		abort();
	/* lines of 45 bytes: the byte cap comes before the line cap */
	for (size_t i = 0; i < big; i++)
		text[i] = i % 46 == 45 ? '\n' : "abc;#%\xe6\x97\xa5"[i % 46 % 9];
	FILE *f = scratch();
	struct mermaid *m = mermaid_begin(f, NULL);
	const char *x = mermaid_participant(m, "client", NULL);
	CHECK(mermaid_arrow_n(m, x, x, 0, text, big) == 0);
	memset(text, 'w', big);
	CHECK(mermaid_note_n(m, x, NULL, text, big) == 0);
	const char *name = mermaid_participant_n(m, text, big, text, big);
	CHECK(name != NULL);
	char *s = done(m, f, &n);
	const char *t = line_after(s, "    client ->> client: ", &len);
	CHECK(t && len <= MERMAID_TEXT_MAX && len > MERMAID_TEXT_MAX - 20);
	CHECK(t && len >= 3 && !memcmp(t + len - 3, "\xe2\x80\xa6", 3));
	CHECK(t && inert(t, len - 3));
	t = line_after(s, "    note over client: ", &len);
	CHECK(t && len == MERMAID_TEXT_MAX && !memcmp(t + len - 3, "\xe2\x80\xa6", 3));
	/* the name and the detail each cut, the same way */
	t = line_after(s, "    participant p1 as ", &len);
	CHECK(t && len == 2 * MERMAID_NAME_MAX + 4);
	keep(s, n);
	expect_none();
	free(s);

	/* many lines: cut at MERMAID_TEXT_LINES */
	f = scratch();
	m = mermaid_begin(f, NULL);
	x = mermaid_participant(m, "client", NULL);
	memset(text, '\n', 100);
	CHECK(mermaid_arrow_n(m, x, x, 0, text, 100) == 0);
	s = done(m, f, &n);
	t = line_after(s, "    client ->> client: ", &len);
	CHECK(t && len == 4 * (MERMAID_TEXT_LINES - 1) + 3);
	free(s);
	free(text);
}

/* Aliases as the book names its participants; the same host twice. */
static void test_aliases(void)
{
	FILE *f = scratch();
	size_t n;
	struct mermaid *m = mermaid_begin(f, NULL);
	const char *got[8];
	got[0] = mermaid_participant(m, "pass.dkim.a.test", "10.255.1.21");
	got[1] = mermaid_participant(m, "spf.mx.b.test", NULL);
	got[2] = mermaid_participant(m, "dkim.mx.b.test", NULL);
	got[3] = mermaid_participant(m, "10.255.2.40", NULL);
	got[4] = mermaid_participant(m, "SMTP.X.TEST", NULL);
	got[5] = mermaid_participant(m, "spf.mx.b.test", NULL);
	got[6] = mermaid_participant(m, "spf.mx.b.test", "10.0.0.1");
	got[7] = mermaid_participant(m, "", NULL);
	CHECK(got[0] && !strcmp(got[0], "p1"));
	CHECK(got[1] && !strcmp(got[1], "mx"));
	CHECK(got[2] && !strcmp(got[2], "mx2"));
	CHECK(got[3] && !strcmp(got[3], "p2"));
	CHECK(got[4] && !strcmp(got[4], "smtp"));
	CHECK(got[5] == got[1]);
	CHECK(got[6] && !strcmp(got[6], "mx3"));
	CHECK(got[7] && !strcmp(got[7], "p3"));
	/* up to the cap, then none */
	char name[16];
	size_t i;
	for (i = 7; i < MERMAID_MAX_PARTICIPANTS; i++) {
		snprintf(name, sizeof name, "h%zu", i);
		CHECK(mermaid_participant(m, name, NULL) != NULL);
	}
	CHECK(mermaid_participant(m, "one.too.many", NULL) == NULL);
	CHECK(mermaid_participant(m, "spf.mx.b.test", NULL) == got[1]);
	/* arrows naming nobody are left out and counted */
	CHECK(mermaid_arrow(m, "mx", "nobody", 0, "x") == -1);
	CHECK(mermaid_arrow(m, NULL, "mx", 0, "x") == -1);
	CHECK(mermaid_note(m, "nobody", NULL, "x") == -1);
	CHECK(mermaid_arrow(m, "mx", "mx2", 0, NULL) == 0);
	CHECK(mermaid_left_out(m) == 3);
	char *s = done(m, f, &n);
	CHECK(strstr(s, "    participant p3\n") != NULL);
	CHECK(strstr(s, "    mx ->> mx2: \n") != NULL);
	CHECK(strstr(s, "    note over p1,p20: 3 more steps left out\n```\n") != NULL);
	free(s);
}

/* Rects: nested, empty, unbalanced, left open. */
static void test_rects(void)
{
	FILE *f = scratch();
	size_t n;
	struct mermaid *m = mermaid_begin(f, "rects");
	const char *a = mermaid_participant(m, "client", NULL);
	mermaid_rect_end(m); /* none open: ignored */
	mermaid_rect_begin(m);
	mermaid_rect_end(m); /* empty: not written */
	mermaid_rect_begin(m);
	mermaid_rect_begin(m);
	mermaid_rect_end(m); /* empty inside: not written */
	CHECK(mermaid_arrow(m, a, a, 0, "in one") == 0);
	mermaid_rect_begin(m);
	CHECK(mermaid_arrow(m, a, a, 0, "in two") == 0);
	for (int i = 0; i < MERMAID_MAX_DEPTH + 3; i++)
		mermaid_rect_begin(m);
	CHECK(mermaid_note(m, a, NULL, "deep") == 0);
	for (int i = 0; i < MERMAID_MAX_DEPTH + 3; i++)
		mermaid_rect_end(m);
	CHECK(mermaid_arrow(m, a, a, MERMAID_DASHED, "in two again") == 0);
	/* two left open */
	char *s = done(m, f, &n);
	const char *want = "## rects\n\n```mermaid\nsequenceDiagram\n"
	                   "    participant client as client\n\n"
	                   "    rect rgb(244, 244, 244)\n"
	                   "        client ->> client: in one\n"
	                   "        rect rgb(244, 244, 244)\n"
	                   "            client ->> client: in two\n";
	CHECK(strncmp(s, want, strlen(want)) == 0);
	size_t begins = 0, ends = 0;
	for (const char *p = s; (p = strstr(p, "rect rgb(")); p++)
		begins++;
	for (const char *p = s; (p = strstr(p, " end\n")); p++)
		ends++;
	CHECK(begins == MERMAID_MAX_DEPTH && ends == MERMAID_MAX_DEPTH);
	CHECK(strstr(s, "                                    note over client: deep\n") != NULL);
	CHECK(strstr(s,
	             "            client -->> client: in two again\n        end\n    end\n```\n") !=
	      NULL);
	keep(s, n);
	static const char *const actors[] = {"client", NULL};
	static const char *const messages[] = {"in one", "in two", "in two again", NULL};
	static const char *const notes[] = {"deep", NULL};
	expect_block(actors, messages, notes);
	free(s);
}

/* The caps: MERMAID_MAX_STEPS, then MERMAID_BODY_MAX, each with its note;
 * what is written stays under Mermaid's maxTextSize (50,000). */
static void test_caps(void)
{
	FILE *f = scratch();
	size_t n;
	struct mermaid *m = mermaid_begin(f, "2100 arrows");
	const char *a = mermaid_participant(m, "a.test", NULL);
	const char *b = mermaid_participant(m, "b.test", NULL);
	/* without text, or 2000 would not fit in MERMAID_BODY_MAX */
	for (int i = 0; i < MERMAID_MAX_STEPS + 100; i++)
		CHECK(mermaid_arrow(m, i % 2 ? b : a, i % 2 ? a : b, i % 2,
		                    i == MERMAID_MAX_STEPS - 1 ? "last" : NULL) ==
		      (i < MERMAID_MAX_STEPS ? 0 : -1));
	mermaid_rect_begin(m); /* past the cap: ignored with its end */
	mermaid_rect_end(m);
	CHECK(mermaid_left_out(m) == 100);
	char *s = done(m, f, &n);
	CHECK(strstr(s, "    p1 ->> p2: \n    p2 -->> p1: last\n"
	                "    note over p1,p2: 100 more steps left out\n```\n") != NULL);
	size_t arrows = 0;
	for (const char *p = s; (p = strstr(p, " p1: ")); p++)
		arrows++;
	CHECK(arrows == MERMAID_MAX_STEPS / 2);
	CHECK(n < 50000);
	keep(s, n);
	expect_none();
	free(s);

	/* long texts: the byte cap first */
	char text[MERMAID_TEXT_MAX];
	memset(text, ';', sizeof text);
	f = scratch();
	m = mermaid_begin(f, "long texts");
	a = mermaid_participant(m, "client.a.test", NULL);
	size_t ok = 0;
	for (int i = 0; i < 200; i++)
		ok += mermaid_arrow_n(m, a, a, 0, text, sizeof text) == 0;
	/* "    client ->> client: ", 249 #59; and "…", the line end */
	CHECK(ok == MERMAID_BODY_MAX / (23 + 249 * 4 + 3 + 1));
	CHECK(mermaid_left_out(m) == 200 - ok);
	CHECK(mermaid_arrow(m, a, a, 0, "short, but after the cap") == -1);
	s = done(m, f, &n);
	CHECK(n < 50000 && n > MERMAID_BODY_MAX - MERMAID_TEXT_MAX);
	CHECK(strstr(s, "more steps left out\n```\n\n") != NULL);
	keep(s, n);
	expect_none();
	free(s);
}

/* An empty diagram still draws; a write error is reported. */
static void test_empty_and_errors(void)
{
	FILE *f = scratch();
	size_t n;
	char *s = done(mermaid_begin(f, ""), f, &n);
	CHECK(!strcmp(s, "## \n\n```mermaid\nsequenceDiagram\n"
	                 "    participant p0 as (no participants)\n```\n\n"));
	keep(s, n);
	static const char *const actors[] = {"(no participants)", NULL};
	static const char *const none[] = {NULL};
	expect_block(actors, none, none);
	free(s);

	CHECK(mermaid_end(NULL) == -1);
	CHECK(mermaid_participant(NULL, "x", NULL) == NULL);
	CHECK(mermaid_arrow(NULL, "x", "x", 0, "x") == -1);
	mermaid_rect_begin(NULL);
	mermaid_rect_end(NULL);
	FILE *full = fopen("/dev/full", "w");
	if (full) {
		struct mermaid *m = mermaid_begin(full, "to a full disk");
		const char *a = mermaid_participant(m, "a", NULL);
		CHECK(mermaid_arrow(m, a, a, 0, "x") == 0);
		CHECK(mermaid_end(m) == -1);
		fclose(full);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		char path[4096];
		snprintf(path, sizeof path, "%s.expect.json", argv[1]);
		sample = fopen(argv[1], "w");
		expect = fopen(path, "w");
		if (!sample || !expect) {
			perror(argv[1]);
			return 1;
		}
		fputs("# test_mermaid's diagrams (tests/unit/test_mermaid.c)\n\n", sample);
		fputs("[\n", expect);
	}
	test_exact();
	test_hostile();
	test_random();
	test_long();
	test_aliases();
	test_rects();
	test_caps();
	test_empty_and_errors();
	if (sample) {
		fputs("\n]\n", expect);
		CHECK(fclose(sample) == 0 && fclose(expect) == 0);
	}
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
