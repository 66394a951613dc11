/* test_recvspf.c - the Received-SPF parser (verify/recvspf.h) against the
 * examples of RFC 7208 9.1, against every field postfix-policyd-spf-python
 * wrote in the lab (the .eml files of pcaps/opendkim/), checked against the
 * .notes files and against the rest of the same message (Return-Path, the
 * MX's Received field), and against hand-made hard cases, caps and every
 * truncation.
 *
 * Usage: test_recvspf SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hdrlex.h"
#include "message.h"
#include "recvspf.h"
#include "verdict.h"

struct out {
	char s[65536];
	size_t n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->s + o->n, sizeof o->s - o->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k < sizeof o->s - o->n ? (size_t)k : sizeof o->s - o->n - 1;
}

/* Offsets in the rendering: off where the input may start elsewhere
 * (a raw value keeps the space after the colon, an unfolded one not). */
static int with_offsets = 1;

/* "result [(comment)] key=value key="quoted" ..." then what was
 * repaired, cut, dropped, and the error. */
static const char *render(const struct recvspf *rs)
{
	static struct out o;
	o.n = 0;
	o.s[0] = 0;
	put(&o, "%s", rs->result);
	if (rs->comment)
		put(&o, " (%s)", rs->comment);
	for (size_t i = 0; i < rs->npairs; i++)
		put(&o, rs->pairs[i].quoted ? " %s=\"%s\"" : " %s=%s", rs->pairs[i].key,
		    rs->pairs[i].value);
	if (rs->dropped_pairs)
		put(&o, " dropped=%zu", rs->dropped_pairs);
	if (rs->cut_values)
		put(&o, " cut=%zu", rs->cut_values);
	if (rs->repairs)
		put(&o, " repairs=%zu", rs->repairs);
	if (rs->repairs && with_offsets)
		put(&o, "@%zu", rs->repair_off);
	if (rs->err && with_offsets)
		put(&o, " ERR@%zu:%s", rs->err_off, rs->err);
	else if (rs->err)
		put(&o, " ERR:%s", rs->err);
	return o.s;
}

/* Parses from a buffer of exactly the input's length, freed before the
 * result is looked at (nothing kept may point into it). */
static char *parse_render(const void *s, size_t n, enum recvspf_status *st)
{
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, s, n);
	struct recvspf rs;
	*st = recvspf_parse(&rs, b, n);
	free(b);
	char *r = strdup(render(&rs));
	recvspf_free(&rs);
	return r;
}

static void expect_at(int line, const char *in, const char *want)
{
	enum recvspf_status st;
	char *got = parse_render(in, strlen(in), &st);
	checks++;
	if (strcmp(got, want) || st != (strstr(want, " ERR@") ? RECVSPF_BROKEN : RECVSPF_OK)) {
		failures++;
		printf("FAIL line %d:\n  input %s\n  want  %s\n  got   %s (status %d)\n", line, in,
		       want, got, (int)st);
	}
	free(got);
}
#define EXPECT(in, want) expect_at(__LINE__, (in), (want))

/* Every prefix parses without reading past it; the pairs before the last
 * are those of the whole; an error is inside the prefix. */
static void truncations(const char *in, size_t len)
{
	struct recvspf full;
	if (recvspf_parse(&full, (const uint8_t *)in, len) == RECVSPF_NOMEM) {
		CHECK(!"memory");
		return;
	}
	int bad = 0;
	for (size_t k = 0; k < len && !bad; k++) {
		uint8_t *b = malloc(k ? k : 1);
		memcpy(b, in, k);
		struct recvspf rs;
		enum recvspf_status st = recvspf_parse(&rs, b, k);
		bad |= st == RECVSPF_NOMEM || (st == RECVSPF_BROKEN) != (rs.err != NULL);
		/* (the whole may have stopped at an error inside a pair that
		 * a prefix ends before: one pair more) */
		bad |= (rs.err && rs.err_off > k) || rs.npairs > full.npairs + (full.err != NULL);
		for (size_t i = 0; !bad && i + 1 < rs.npairs && i < full.npairs; i++)
			bad |= strcmp(rs.pairs[i].key, full.pairs[i].key) ||
			       strcmp(rs.pairs[i].value, full.pairs[i].value);
		if (bad)
			printf("FAIL truncation at %zu of [%s]: %s\n", k, in, render(&rs));
		recvspf_free(&rs);
		free(b);
	}
	CHECK(!bad);
	recvspf_free(&full);
}

/* ---- RFC 7208 9.1 -------------------------------------------------- */

static const struct {
	const char *where, *field, *want;
} rfc7208[] = {
    {"RFC 7208 9.1, first example",
     "pass (mybox.example.org: domain of\r\n"
     " myname@example.com designates 192.0.2.1 as permitted sender)\r\n"
     "    receiver=mybox.example.org; client-ip=192.0.2.1;\r\n"
     "    envelope-from=\"myname@example.com\"; helo=foo.example.com;",
     "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted "
     "sender) receiver=mybox.example.org client-ip=192.0.2.1 "
     "envelope-from=\"myname@example.com\" helo=foo.example.com"},
    {"RFC 7208 9.1, second example",
     "fail (mybox.example.org: domain of\r\n"
     "                     myname@example.com does not designate\r\n"
     "                     192.0.2.1 as permitted sender)\r\n"
     "                     identity=mailfrom; client-ip=192.0.2.1;\r\n"
     "                     envelope-from=\"myname@example.com\";",
     "fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as "
     "permitted sender) identity=mailfrom client-ip=192.0.2.1 "
     "envelope-from=\"myname@example.com\""},
};

static void rfc_examples(void)
{
	for (size_t i = 0; i < sizeof rfc7208 / sizeof *rfc7208; i++) {
		enum recvspf_status st;
		char *got = parse_render(rfc7208[i].field, strlen(rfc7208[i].field), &st);
		/* the RFC's own examples are grammatical: no repair */
		if (!CHECK(st == RECVSPF_OK && !strcmp(got, rfc7208[i].want)))
			printf("  %s\n  want %s\n  got  %s\n", rfc7208[i].where, rfc7208[i].want,
			       got);
		free(got);
		/* the same through msg_parse(), unfolded */
		char msg[4096];
		snprintf(msg, sizeof msg, "Received-SPF: %s\r\n\r\n", rfc7208[i].field);
		struct msg m;
		CHECK(msg_parse(&m, (const uint8_t *)msg, strlen(msg)) == 0);
		const struct msg_field *f = msg_find(&m, "Received-SPF", 0);
		if (CHECK(f != NULL)) {
			got = parse_render(f->unfolded, f->unfolded_len, &st);
			CHECK(st == RECVSPF_OK && !strcmp(got, rfc7208[i].want));
			free(got);
		}
		msg_free(&m);
		truncations(rfc7208[i].field, strlen(rfc7208[i].field));
	}
	struct recvspf rs;
	const char *f = rfc7208[1].field;
	CHECK(recvspf_parse(&rs, (const uint8_t *)f, strlen(f)) == RECVSPF_OK);
	CHECK(recvspf_result_code(&rs) == V_FAIL);
	CHECK(!strcmp(recvspf_get(&rs, "Client-IP"), "192.0.2.1"));
	CHECK(!strcmp(recvspf_get(&rs, "envelope-from"), "myname@example.com"));
	CHECK(!strcmp(recvspf_get(&rs, "identity"), "mailfrom"));
	CHECK(recvspf_get(&rs, "helo") == NULL && recvspf_get(&rs, "receiver") == NULL);
	recvspf_free(&rs);
}

/* ---- the lab's fields ---------------------------------------------- */

static char *readfile(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap + 1);
	size_t k;
	while ((k = fread(b + len, 1, cap - len, fp)) > 0) {
		len += k;
		if (len == cap)
			b = realloc(b, (cap *= 2) + 1);
	}
	fclose(fp);
	b[len] = 0;
	*n = len;
	return b;
}

/* What the capture's .notes says was written for SPF; "" for none. */
static void notes_spf(const char *path, char *out, size_t cap, int *none)
{
	size_t n;
	char *t = readfile(path, &n);
	out[0] = 0;
	*none = 0;
	if (!t)
		return;
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		char method[16], rfc[16], written[16];
		if (!strncmp(line, "none", 4))
			*none = 1;
		else if (line[0] != '#' &&
		         sscanf(line, "%15s %15s written=%15s", method, rfc, written) == 3 &&
		         !strcmp(method, "spf"))
			snprintf(out, cap, "%s", written);
	}
	free(t);
}

static void check_lab_field(const struct msg *m, size_t fi, const char *file, const char *written)
{
	const struct msg_field *f = &m->fields[fi];
	struct recvspf rs;
	enum recvspf_status st = recvspf_parse(&rs, (const uint8_t *)f->unfolded, f->unfolded_len);
	printf("  %s: %s\n", file, render(&rs));
	CHECK(st == RECVSPF_OK);
	/* What was written for SPF (the .notes file) */
	CHECK(written[0] && recvspf_result_code(&rs) == v_result_parse(written, strlen(written)));

	/* postfix-policyd-spf-python writes the address bare, which RFC
	 * 7208 9.1's grammar does not allow ("@" is no atext: its examples
	 * quote it): that is the one repair, at the address. */
	const char *ef = strstr(f->unfolded, "envelope-from=");
	CHECK(rs.repairs == 1 && ef &&
	      rs.repair_off == (size_t)(ef - f->unfolded) + strlen("envelope-from="));

	/* It names the identity checked in its comment, and checked
	 * MAIL FROM (RFC 7208 2.4). */
	const char *id = recvspf_get(&rs, "identity");
	CHECK(id && !strcmp(id, "mailfrom") && rs.comment && !strcmp(rs.comment, id));

	/* envelope-from is the envelope sender, which the delivering MTA
	 * put in Return-Path. */
	char rp[300] = "";
	const struct msg_field *rpf = msg_find(m, "Return-Path", 0);
	if (rpf)
		sscanf(rpf->unfolded, "<%299[^>]>", rp);
	const char *env = recvspf_get(&rs, "envelope-from");
	CHECK(rp[0] && env && !strcmp(env, rp));

	/* client-ip and helo are what the MX's own Received field, the next
	 * one down, says of its client: "from HELO (rdns [IP])". */
	const struct msg_field *rcv = NULL;
	for (size_t i = fi + 1; i < m->nfields && !rcv; i++)
		if (m->fields[i].name_len == 8 &&
		    !strncasecmp((const char *)m->data + m->fields[i].off, "Received", 8))
			rcv = &m->fields[i];
	char helo[256] = "", ip[64] = "";
	if (rcv)
		sscanf(rcv->unfolded, "from %255s (%*s [%63[^]]])", helo, ip);
	const char *cip = recvspf_get(&rs, "client-ip"), *h = recvspf_get(&rs, "helo");
	CHECK(ip[0] && cip && !strcmp(cip, ip));
	CHECK(helo[0] && h && !strcmp(h, helo));
	CHECK(recvspf_get(&rs, "receiver") != NULL);

	/* folded or not, the same; every truncation */
	enum recvspf_status st2;
	const uint8_t *raw = m->data + f->value_off;
	size_t rawn = f->off + f->len - f->eol_len - f->value_off;
	with_offsets = 0;
	char *a = strdup(render(&rs)), *b = parse_render(raw, rawn, &st2);
	with_offsets = 1;
	CHECK(st2 == RECVSPF_OK && !strcmp(a, b));
	free(a);
	free(b);
	truncations((const char *)raw, rawn);
	recvspf_free(&rs);
}

static int lab(const char *src, const char *set)
{
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pcaps/%s*.eml", src, set);
	glob_t g;
	int total = 0;
	if (glob(pat, 0, NULL, &g)) {
		printf("FAIL no messages at %s\n", pat);
		failures++;
		return 0;
	}
	for (size_t gi = 0; gi < g.gl_pathc; gi++) {
		const char *eml = g.gl_pathv[gi];
		char path[4200], written[16];
		int none;
		snprintf(path, sizeof path, "%.*s.notes", (int)(strlen(eml) - 4), eml);
		notes_spf(path, written, sizeof written, &none);
		size_t len;
		char *data = readfile(eml, &len);
		struct msg m;
		CHECK(data && msg_parse(&m, (const uint8_t *)data, len) == 0);
		size_t n = 0;
		for (size_t i = 0; i < m.nfields; i++)
			if (m.fields[i].name_len == 12 &&
			    !strncasecmp((const char *)m.data + m.fields[i].off, "Received-SPF",
			                 12)) {
				check_lab_field(&m, i, eml + strlen(src) + 1, written);
				n++;
			}
		total += (int)n;
		/* One SPF verdict per hop; where there is no Received-SPF the
		 * verifier wrote SPF in Authentication-Results (rspamd, which
		 * test_authres checks), or there was no check at all. */
		CHECK(n <= 1);
		if (!n && written[0])
			CHECK(msg_count(&m, "Authentication-Results") > 0);
		if (none)
			CHECK(n == 0);
		/* The .verdicts file holds the same field. */
		snprintf(path, sizeof path, "%.*s.verdicts", (int)(strlen(eml) - 4), eml);
		size_t vlen;
		char *vd = readfile(path, &vlen);
		struct msg vm;
		CHECK(vd && msg_parse(&vm, (const uint8_t *)vd, vlen) == 0);
		CHECK(msg_count(&vm, "Received-SPF") == n);
		const struct msg_field *fa = msg_find(&vm, "Received-SPF", 0),
		                       *fb = msg_find(&m, "Received-SPF", 0);
		if (fa && fb) {
			enum recvspf_status s1, s2;
			char *r1 = parse_render(fa->unfolded, fa->unfolded_len, &s1);
			char *r2 = parse_render(fb->unfolded, fb->unfolded_len, &s2);
			CHECK(!strcmp(r1, r2));
			free(r1);
			free(r2);
		}
		msg_free(&vm);
		free(vd);
		msg_free(&m);
		free(data);
	}
	globfree(&g);
	return total;
}

/* ---- hand-made cases ----------------------------------------------- */

static const char *const cases[][2] = {
    /* case, comments, quoted strings */
    {"SoftFail (example.org: transitioning (really \\) not) yet) client-ip=192.0.2.9",
     "softfail (example.org: transitioning (really ) not) yet) client-ip=192.0.2.9"},
    {"neutral client-ip=192.0.2.9; problem=\"no \\\"v=spf1\\\"; record\"; x-extra=\"\"",
     "neutral client-ip=192.0.2.9 problem=\"no \"v=spf1\"; record\" x-extra=\"\""},
    {"none (c1) helo (c2) = (c3) mail.example.org (c4) ; (c5) mechanism = default",
     "none (c1) helo=mail.example.org mechanism=default"},
    {"  permerror\r\n\t(bad record)\r\n\tproblem=\"include loop\";\r\n\treceiver=mx.example.net",
     "permerror (bad record) problem=\"include loop\" receiver=mx.example.net"},
    {"temperror", "temperror"},
    {"pass;", "pass"},
    /* sloppy writers */
    {"pass client-ip=2001:db8::1; envelope-from=a@example.com",
     "pass client-ip=2001:db8::1 envelope-from=a@example.com repairs=2@15"},
    {"pass client-ip=192.0.2.1 helo=a.example", "pass client-ip=192.0.2.1 helo=a.example "
                                                "repairs=1@25"},
    {"pass helo=a.example;; receiver=b.example", "pass helo=a.example receiver=b.example "
                                                 "repairs=1@20"},
    {"pass helo=; receiver=b.example", "pass helo= receiver=b.example repairs=1@10"},
    /* beyond repair */
    {"", " ERR@0:expected the result"},
    {"client-ip=192.0.2.1", " ERR@0:expected the result"},
    {"(unclosed pass", " ERR@0:comment not closed"},
    {"pass (unclosed", "pass ERR@5:comment not closed"},
    {"pass helo", "pass ERR@9:expected '=' after the key"},
    {"pass helo=a.example; =x", "pass helo=a.example ERR@21:expected a key"},
    {"pass helo=a.example; problem=\"open", "pass helo=a.example ERR@29:quoted string not "
                                            "closed"},
};

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1);
	memcpy(s, head, hl);
	for (size_t i = 0; i < times; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * times, tail, tl + 1);
	return s;
}

static void caps(void)
{
	struct recvspf rs;
	char *s = repeat("pass problem=", "a", 3 * RECVSPF_MAX_VALUE, "; helo=h.example");
	CHECK(recvspf_parse(&rs, (const uint8_t *)s, strlen(s)) == RECVSPF_OK);
	CHECK(rs.cut_values == 1 && strlen(recvspf_get(&rs, "problem")) == RECVSPF_MAX_VALUE &&
	      !strcmp(recvspf_get(&rs, "helo"), "h.example"));
	recvspf_free(&rs);
	free(s);
	s = repeat("pass (", "ab ", RECVSPF_MAX_COMMENT, ") helo=h.example");
	CHECK(recvspf_parse(&rs, (const uint8_t *)s, strlen(s)) == RECVSPF_OK);
	CHECK(rs.cut_values == 1 && strlen(rs.comment) == RECVSPF_MAX_COMMENT);
	recvspf_free(&rs);
	free(s);
	s = repeat("pass", " x-a=b;", 3 * RECVSPF_MAX_PAIRS, " helo=h.example");
	CHECK(recvspf_parse(&rs, (const uint8_t *)s, strlen(s)) == RECVSPF_OK);
	CHECK(rs.npairs == RECVSPF_MAX_PAIRS && rs.dropped_pairs == 2 * RECVSPF_MAX_PAIRS + 1 &&
	      recvspf_get(&rs, "helo") == NULL);
	recvspf_free(&rs);
	free(s);
	char *open = repeat("", "(", HDRLEX_MAX_NEST + 1, ""), *close = repeat("", ")", 40, "");
	char buf[256];
	snprintf(buf, sizeof buf, "pass %sx%s", open, close);
	CHECK(recvspf_parse(&rs, (const uint8_t *)buf, strlen(buf)) == RECVSPF_BROKEN &&
	      rs.err_off == 5 + HDRLEX_MAX_NEST && !strcmp(rs.err, "comments nested too deep"));
	recvspf_free(&rs);
	free(open);
	free(close);
	s = repeat("pass", " x-a=b;", RECVSPF_MAX_INPUT / 7 + 10, "");
	CHECK(recvspf_parse(&rs, (const uint8_t *)s, strlen(s)) == RECVSPF_BROKEN &&
	      rs.err_off == RECVSPF_MAX_INPUT && rs.npairs == RECVSPF_MAX_PAIRS);
	recvspf_free(&rs);
	free(s);
	recvspf_free(&rs);
	recvspf_free(NULL);
	CHECK(recvspf_parse(&rs, NULL, 0) == RECVSPF_BROKEN && rs.err_off == 0);
	recvspf_free(&rs);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_recvspf SRCDIR SHAREDDIR\n");
		return 2;
	}
	rfc_examples();
	/* postfix-policyd-spf-python (the opendkim set) wrote Received-SPF;
	 * rspamd (the default set, in pcaps/) writes SPF into
	 * Authentication-Results, so its messages have none */
	CHECK(lab(argv[1], "opendkim/") > 0);
	CHECK(lab(argv[1], "") == 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		expect_at(__LINE__, cases[i][0], cases[i][1]);
		truncations(cases[i][0], strlen(cases[i][0]));
	}
	caps();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
