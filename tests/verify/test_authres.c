/* test_authres.c - the Authentication-Results parser (verify/authres.h)
 * against three truths: the examples of RFC 8601 Appendix B (and the
 * forms of RFC 5451 and 7601 that differ), every field the lab's
 * verifiers wrote (rspamd in pcaps/, OpenDKIM and OpenDMARC in
 * pcaps/opendkim/), checked against the .notes files and against the
 * rest of the same message, and hand-made hard cases: comments, quoted
 * strings, folding, sloppy writers, caps, and every truncation.
 *
 * Usage: test_authres SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "check.h"
#include "hdrlex.h"
#include "message.h"
#include "verdict.h"

/* ---- one parse, written out as a line to compare ---------------------- */

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

/* "id=ID [v=V] [none] [(comment)]" then " ; method[/v]=result
 * [reason="r"] [(comments)] ptype.property=value[{comment}]" per result,
 * then what was repaired, cut, dropped, and the error. */
static const char *render(const struct authres *ar)
{
	static struct out o;
	o.n = 0;
	o.s[0] = 0;
	put(&o, "id=%s", ar->authserv_id);
	if (ar->version)
		put(&o, " v=%s", ar->version);
	if (ar->none)
		put(&o, " none");
	if (ar->comment)
		put(&o, " (%s)", ar->comment);
	for (size_t i = 0; i < ar->nresults; i++) {
		const struct authres_result *r = &ar->results[i];
		put(&o, " ; %s", r->method);
		if (r->method_version)
			put(&o, "/%s", r->method_version);
		put(&o, "=%s", r->result);
		if (r->reason)
			put(&o, " reason=\"%s\"", r->reason);
		if (r->comment)
			put(&o, " (%s)", r->comment);
		for (size_t j = 0; j < r->nprops; j++) {
			const struct authres_prop *p = &r->props[j];
			if (p->ptype[0])
				put(&o, " %s.", p->ptype);
			else
				put(&o, " ");
			put(&o, p->quoted ? "%s=\"%s\"" : "%s=%s", p->property, p->value);
			if (p->comment)
				put(&o, "{%s}", p->comment);
		}
		if (r->dropped_props)
			put(&o, " +%zu", r->dropped_props);
		if (r->partial)
			put(&o, " PARTIAL");
	}
	if (ar->dropped_results)
		put(&o, " dropped=%zu", ar->dropped_results);
	if (ar->cut_values)
		put(&o, " cut=%zu", ar->cut_values);
	if (ar->repairs)
		put(&o, " repairs=%zu@%zu", ar->repairs, ar->repair_off);
	if (ar->err)
		put(&o, " ERR@%zu:%s", ar->err_off, ar->err);
	return o.s;
}

/* Parses s from a buffer of exactly its length (ASan sees any read past
 * it) and renders the result into a string the caller frees. */
static char *parse_render(const void *s, size_t n, enum authres_status *st)
{
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, s, n);
	struct authres ar;
	*st = authres_parse(&ar, b, n);
	free(b); /* nothing kept may point into the input */
	char *r = strdup(render(&ar));
	authres_free(&ar);
	return r;
}

static void expect_at(int line, const char *in, const char *want)
{
	enum authres_status st;
	char *got = parse_render(in, strlen(in), &st);
	checks++;
	if (strcmp(got, want) || st != (strstr(want, " ERR@") ? AUTHRES_BROKEN : AUTHRES_OK)) {
		failures++;
		printf("FAIL line %d:\n  input %s\n  want  %s\n  got   %s (status %d)\n", line, in,
		       want, got, (int)st);
	}
	free(got);
}
#define EXPECT(in, want) expect_at(__LINE__, (in), (want))

/* ---- every truncation ---------------------------------------------- */

/* Every prefix of the input parses without reading past it, and what it
 * gives agrees with the whole: the results before the last are the same,
 * the last has the same method; an error is inside the prefix. */
static void truncations(const char *in, size_t len)
{
	uint8_t *whole = malloc(len ? len : 1);
	memcpy(whole, in, len);
	struct authres full;
	if (authres_parse(&full, whole, len) == AUTHRES_NOMEM) {
		CHECK(!"memory");
		free(whole);
		return;
	}
	int bad = 0;
	for (size_t k = 0; k < len && !bad; k++) {
		uint8_t *b = malloc(k ? k : 1);
		memcpy(b, in, k);
		struct authres ar;
		enum authres_status st = authres_parse(&ar, b, k);
		bad |= st == AUTHRES_NOMEM || (st == AUTHRES_BROKEN) != (ar.err != NULL);
		bad |= ar.err && ar.err_off > k;
		/* (the whole may have stopped at an error inside a result
		 * that a prefix ends before: one result more) */
		bad |= ar.nresults > full.nresults + (full.err != NULL);
		for (size_t i = 0; !bad && i < ar.nresults && i < full.nresults; i++) {
			const struct authres_result *r = &ar.results[i], *f = &full.results[i];
			bad |= strcmp(r->method, f->method) != 0;
			if (i + 1 < ar.nresults)
				bad |= strcmp(r->result, f->result) || r->nprops != f->nprops;
		}
		if (bad)
			printf("FAIL truncation at %zu of [%s]: %s\n", k, in, render(&ar));
		authres_free(&ar);
		free(b);
	}
	CHECK(!bad);
	authres_free(&full);
	free(whole);
}

/* ---- RFC 8601 Appendix B ------------------------------------------- */

/* The Authentication-Results fields of the examples, as the RFC prints
 * them (its indentation is the folding). Each also goes through
 * msg_parse() as a header section, so the unfolded value a caller hands
 * over gives the same parse as the raw one. */
struct rfc_case {
	const char *where, *field, *want;
};

static const struct rfc_case rfc8601[] = {
    /* B.1 "Trivial Case; Header Field Not Present": there is no field, so
     * there is nothing to parse; see rfc_b1() below. */
    {"RFC 8601 B.2", "example.org 1; none", "id=example.org v=1 none"},
    {"RFC 8601 B.3",
     "example.com;\r\n"
     "          spf=pass smtp.mailfrom=example.net",
     "id=example.com ; spf=pass smtp.mailfrom=example.net"},
    {"RFC 8601 B.4, first field",
     "example.com;\r\n"
     "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
     "          spf=pass smtp.mailfrom=example.net",
     "id=example.com ; auth=pass (cram-md5) smtp.auth=sender@example.net"
     " ; spf=pass smtp.mailfrom=example.net"},
    {"RFC 8601 B.4, second field",
     "example.com; iprev=pass\r\n"
     "          policy.iprev=192.0.2.200",
     "id=example.com ; iprev=pass policy.iprev=192.0.2.200"},
    {"RFC 8601 B.5, first field",
     "example.com;\r\n"
     "          dkim=pass (good signature) header.d=example.com",
     "id=example.com ; dkim=pass (good signature) header.d=example.com"},
    {"RFC 8601 B.5, second field",
     "example.com;\r\n"
     "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
     "          spf=fail smtp.mailfrom=example.com",
     "id=example.com ; auth=pass (cram-md5) smtp.auth=sender@example.com"
     " ; spf=fail smtp.mailfrom=example.com"},
    {"RFC 8601 B.6, first field",
     "example.com;\r\n"
     "      dkim=pass reason=\"good signature\"\r\n"
     "        header.i=@mail-router.example.net;\r\n"
     "      dkim=fail reason=\"bad signature\"\r\n"
     "        header.i=@newyork.example.com",
     "id=example.com ; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net"
     " ; dkim=fail reason=\"bad signature\" header.i=@newyork.example.com"},
    {"RFC 8601 B.6, second field",
     "example.net;\r\n"
     "      dkim=pass (good signature) header.i=@newyork.example.com",
     "id=example.net ; dkim=pass (good signature) header.i=@newyork.example.com"},
    {"RFC 8601 B.7",
     "foo.example.net (foobar) 1 (baz);\r\n"
     "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
     "      policy (A dot can go here) . (like that) expired\r\n"
     "      (this surprised me) = (as I wasn't expecting it) 1362471462",
     "id=foo.example.net v=1 (foobar baz) ; dkim/1=fail (Because I like it One yay wait for "
     "it A dot can go here like that this surprised me as I wasn't expecting it) "
     "policy.expired=1362471462"},
    /* The predecessors: RFC 5451 B.2 has no version; RFC 7601 B.5 (and
     * 7001, 5451) still show Sender ID. */
    {"RFC 5451 B.2", "example.org; none", "id=example.org none"},
    {"RFC 7601 B.5, first field",
     "example.com;\r\n"
     "          sender-id=fail header.from=example.com;\r\n"
     "          dkim=pass (good signature) header.d=example.com",
     "id=example.com ; sender-id=fail header.from=example.com"
     " ; dkim=pass (good signature) header.d=example.com"},
};

static void rfc_examples(void)
{
	for (size_t i = 0; i < sizeof rfc8601 / sizeof *rfc8601; i++) {
		const struct rfc_case *c = &rfc8601[i];
		enum authres_status st;
		char *got = parse_render(c->field, strlen(c->field), &st);
		/* The examples are grammatical: nothing to repair, no error. */
		if (!CHECK(st == AUTHRES_OK && !strcmp(got, c->want)))
			printf("  %s\n  want %s\n  got  %s\n", c->where, c->want, got);
		free(got);

		/* The same field as a header section, through msg_parse(). */
		char msg[4096];
		snprintf(msg, sizeof msg, "Authentication-Results: %s\r\n\r\n", c->field);
		struct msg m;
		CHECK(msg_parse(&m, (const uint8_t *)msg, strlen(msg)) == 0);
		const struct msg_field *f = msg_find(&m, "Authentication-Results", 0);
		if (CHECK(f != NULL)) {
			got = parse_render(f->unfolded, f->unfolded_len, &st);
			if (!CHECK(st == AUTHRES_OK && !strcmp(got, c->want)))
				printf("  %s unfolded\n  want %s\n  got  %s\n", c->where, c->want,
				       got);
			free(got);
		}
		msg_free(&m);
		truncations(c->field, strlen(c->field));
	}

	/* The parts the RFC names, through the lookup functions. */
	struct authres ar;
	const char *b6 = rfc8601[6].field;
	CHECK(authres_parse(&ar, (const uint8_t *)b6, strlen(b6)) == AUTHRES_OK);
	size_t it = 0;
	const struct authres_result *r1 = authres_next(&ar, "DKIM", &it);
	const struct authres_result *r2 = authres_next(&ar, "dkim", &it);
	CHECK(r1 && r2 && !authres_next(&ar, "dkim", &it));
	if (r1 && r2) {
		CHECK(authres_result_code(r1) == V_PASS && authres_result_code(r2) == V_FAIL);
		CHECK(!strcmp(authres_prop_value(r1, "header.i"), "@mail-router.example.net"));
		CHECK(!strcmp(authres_prop_value(r2, "Header.I"), "@newyork.example.com"));
		CHECK(authres_prop(r1, "header.d") == NULL && authres_prop(r1, "i") == NULL);
		CHECK(!strcmp(r2->reason, "bad signature"));
	}
	authres_free(&ar);
	const char *b7 = rfc8601[8].field;
	CHECK(authres_parse(&ar, (const uint8_t *)b7, strlen(b7)) == AUTHRES_OK);
	CHECK(ar.nresults == 1 && !strcmp(ar.version, "1"));
	if (ar.nresults == 1) {
		const struct authres_result *r = &ar.results[0];
		CHECK(!strcmp(r->method, "dkim") && !strcmp(r->method_version, "1"));
		CHECK(!strcmp(authres_prop_value(r, "policy.expired"), "1362471462"));
		CHECK(authres_result_code(r) == V_FAIL);
	}
	authres_free(&ar);
}

/* B.1: the RFC's message without the field. A caller finds none, and so
 * has nothing to hand the parser; B.2's message with it finds one. */
static void rfc_b1(void)
{
	const char *b1 = "Received: from mail-router.example.com\r\n"
	                 "              (mail-router.example.com [192.0.2.1])\r\n"
	                 "          by server.example.org (8.11.6/8.11.6)\r\n"
	                 "              with ESMTP id g1G0r1kA003489;\r\n"
	                 "          Fri, Feb 15 2002 17:19:07 -0800\r\n"
	                 "From: sender@example.com\r\n"
	                 "Date: Fri, Feb 15 2002 16:54:30 -0800\r\n"
	                 "To: receiver@example.org\r\n"
	                 "Message-Id: <12345.abc@example.com>\r\n"
	                 "Subject: here's a sample\r\n"
	                 "\r\n"
	                 "Hello!  Goodbye!\r\n";
	struct msg m;
	CHECK(msg_parse(&m, (const uint8_t *)b1, strlen(b1)) == 0);
	CHECK(msg_count(&m, "Authentication-Results") == 0);
	msg_free(&m);
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

/* The value of tag t= in a DKIM-Signature's unfolded value (RFC 6376
 * 3.2), white space removed, into out. */
static int dkim_tag(const char *sig, const char *t, char *out, size_t cap)
{
	size_t tl = strlen(t);
	const char *p = sig;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if (!strncmp(p, t, tl) && (p[tl] == '=' || p[tl] == ' ')) {
			const char *v = strchr(p, '=') + 1;
			size_t n = 0;
			for (; v < end && n + 1 < cap; v++)
				if (*v != ' ' && *v != '\t')
					out[n++] = *v;
			out[n] = 0;
			return 1;
		}
		p = end;
	}
	return 0;
}

/* Per capture: what its .notes says the verifiers wrote. */
struct written {
	char method[16], result[16];
};

static size_t read_notes(const char *path, struct written *w, size_t cap, int *none)
{
	size_t n;
	char *t = readfile(path, &n);
	size_t k = 0;
	*none = 0;
	if (!t)
		return 0;
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "none", 4)) {
			*none = 1;
			continue;
		}
		char rfc[16];
		if (k < cap &&
		    sscanf(line, "%15s %15s written=%15s", w[k].method, rfc, w[k].result) == 3)
			k++;
	}
	free(t);
	return k;
}

/* The Organizational Domain of d with the lab's public suffix list, which
 * holds only "test" (RFC 7489 3.2): its last two labels. */
static const char *org_domain(const char *d)
{
	const char *last = strrchr(d, '.'), *org = d;
	for (const char *p = d; last && p < last; p++)
		if (*p == '.')
			org = p + 1;
	return org;
}

/* The field's value as it is in the message: folds and all. */
static void raw_value(const struct msg *m, const struct msg_field *f, const uint8_t **p, size_t *n)
{
	*p = m->data + f->value_off;
	*n = f->off + f->len - f->eol_len - f->value_off;
}

static void check_lab_field(const struct msg *m, const struct msg_field *f, const char *file,
                            int rspamd, int *nverdicts, const struct written *w, size_t nw)
{
	struct authres ar;
	enum authres_status st = authres_parse(&ar, (const uint8_t *)f->unfolded, f->unfolded_len);
	const char *line = render(&ar);
	printf("  %s: %s\n", file, line);
	/* What the lab's writers wrote is grammatical (rspamd quotes a
	 * header.b holding "/"; none of these recordings has one, and the
	 * "+" in one of rspamd's is allowed in a token). */
	CHECK(st == AUTHRES_OK && ar.repairs == 0 && ar.nresults > 0);

	/* Folded or unfolded, the same parse. */
	char *unfolded = strdup(line);
	const uint8_t *rp;
	size_t rn;
	raw_value(m, f, &rp, &rn);
	char *folded = parse_render(rp, rn, &st);
	CHECK(!strcmp(unfolded, folded));
	free(folded);
	free(unfolded);
	truncations((const char *)rp, rn);

	/* The authserv-id names the host that added the field: a Received
	 * field says "by" it (RFC 8601 2.5). */
	char by[300];
	snprintf(by, sizeof by, "by %s ", ar.authserv_id);
	int named = 0;
	size_t it = 0;
	const struct msg_field *rf;
	while ((rf = msg_next(m, "Received", &it)))
		named |= strstr(rf->unfolded, by) != NULL;
	CHECK(ar.authserv_id[0] && named);

	const struct msg_field *sigf = msg_find(m, "DKIM-Signature", 0);
	const char *sig = sigf ? sigf->unfolded : "";
	for (size_t i = 0; i < ar.nresults; i++) {
		const struct authres_result *r = &ar.results[i];
		/* A comment is kept as written, between its parentheses. */
		if (r->comment) {
			char c[2048];
			snprintf(c, sizeof c, "(%s)", r->comment);
			CHECK(strstr(f->unfolded, c) != NULL);
		}
		int ours = !strcmp(r->method, "dkim") || !strcmp(r->method, "spf") ||
		           !strcmp(r->method, "dmarc");
		if (!ours)
			continue;
		(*nverdicts)++;
		/* The .notes file says what was written for this method. */
		int found = 0;
		for (size_t k = 0; k < nw; k++)
			if (!strcmp(w[k].method, r->method)) {
				found = 1;
				CHECK(authres_result_code(r) ==
				      v_result_parse(w[k].result, strlen(w[k].result)));
			}
		if (!CHECK(found))
			printf("  %s: %s has no line in the .notes file\n", file, r->method);

		char tag[1024];
		if (!strcmp(r->method, "dkim")) {
			/* header.d, .s, .a, .i, .b against the signature (RFC
			 * 6376 3.5; RFC 6008 2: header.b is a prefix of b=, at
			 * least 8 characters) */
			const char *d = authres_prop_value(r, "header.d");
			CHECK(d && dkim_tag(sig, "d", tag, sizeof tag) && !strcmp(d, tag));
			const char *s = authres_prop_value(r, "header.s");
			CHECK(s && dkim_tag(sig, "s", tag, sizeof tag) && !strcmp(s, tag));
			const char *a = authres_prop_value(r, "header.a");
			if (a)
				CHECK(dkim_tag(sig, "a", tag, sizeof tag) && !strcmp(a, tag));
			const char *iv = authres_prop_value(r, "header.i");
			if (iv) {
				char at[300];
				snprintf(at, sizeof at, "@%s", d ? d : "");
				CHECK(!dkim_tag(sig, "i", tag, sizeof tag) && !strcmp(iv, at));
			}
			const char *b = authres_prop_value(r, "header.b");
			CHECK(b && strlen(b) >= 8 && dkim_tag(sig, "b", tag, sizeof tag) &&
			      !strncmp(tag, b, strlen(b)));
		} else if (!strcmp(r->method, "dmarc")) {
			/* header.from is the From domain (RFC 7489 11.2), as
			 * OpenDMARC writes it. rspamd 3.4 writes the domain
			 * whose record it applied instead: the Organizational
			 * Domain (pass.dkim.a.test's fallback gives
			 * header.from=a.test in 4-1..4-3; x.test is its own in
			 * 4-4). */
			struct msg_addr *au;
			size_t na;
			msg_author(m, &au, &na);
			const char *hf = authres_prop_value(r, "header.from");
			CHECK(na == 1 &&
			      (!hf || addr5322_domain_eq(hf, rspamd ? org_domain(au[0].domain)
			                                            : au[0].domain)));
			/* OpenDMARC names it always; rspamd only for a policy */
			CHECK(hf || r->nprops == 0);
			addr5322_free(au, na);
		} else {
			/* smtp.mailfrom is the envelope sender, which the
			 * delivering MTA put in Return-Path */
			const char *mf = authres_prop_value(r, "smtp.mailfrom");
			char rp_addr[300] = "";
			if (m->fields && msg_find(m, "Return-Path", 0))
				sscanf(msg_find(m, "Return-Path", 0)->unfolded, "<%299[^>]>",
				       rp_addr);
			CHECK(mf && rp_addr[0] && !strcmp(mf, rp_addr));
		}
	}
	authres_free(&ar);
}

static void lab(const char *src, const char *set, int *total)
{
	int rspamd = !set[0]; /* pcaps/ holds the default set, rspamd's */
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pcaps/%s*.eml", src, set);
	glob_t g;
	if (glob(pat, 0, NULL, &g)) {
		printf("FAIL no messages at %s\n", pat);
		failures++;
		return;
	}
	for (size_t gi = 0; gi < g.gl_pathc; gi++) {
		const char *eml = g.gl_pathv[gi];
		char base[4096], path[4200];
		snprintf(base, sizeof base, "%.*s", (int)(strlen(eml) - 4), eml);
		struct written w[8];
		int none;
		snprintf(path, sizeof path, "%s.notes", base);
		size_t nw = read_notes(path, w, 8, &none);
		CHECK(nw > 0 || none);

		size_t len;
		char *data = readfile(eml, &len);
		struct msg m;
		CHECK(data && msg_parse(&m, (const uint8_t *)data, len) == 0);
		int nverdicts = 0;
		size_t it = 0;
		const struct msg_field *f;
		while ((f = msg_next(&m, "Authentication-Results", &it))) {
			check_lab_field(&m, f, eml + strlen(src) + 1, rspamd, &nverdicts, w, nw);
			(*total)++;
		}
		/* Every method .notes lists was written: here, or (SPF of
		 * the opendkim set's postfix-policyd-spf-python) in
		 * Received-SPF, which test_recvspf checks. */
		int spf_elsewhere = 0;
		for (size_t k = 0; k < nw; k++)
			if (!strcmp(w[k].method, "spf") && msg_count(&m, "Received-SPF") == 1) {
				size_t j = 0;
				struct authres ar;
				int in_ar = 0;
				while ((f = msg_next(&m, "Authentication-Results", &j))) {
					authres_parse(&ar, (const uint8_t *)f->unfolded,
					              f->unfolded_len);
					size_t ri = 0;
					in_ar |= authres_next(&ar, "spf", &ri) != NULL;
					authres_free(&ar);
				}
				spf_elsewhere = !in_ar;
			}
		CHECK((size_t)nverdicts + (size_t)spf_elsewhere == nw);
		if (none)
			CHECK(msg_count(&m, "Authentication-Results") == 0 &&
			      msg_count(&m, "Received-SPF") == 0);

		/* The .verdicts file holds the same fields as written. */
		snprintf(path, sizeof path, "%s.verdicts", base);
		size_t vlen;
		char *vd = readfile(path, &vlen);
		struct msg vm;
		CHECK(vd && msg_parse(&vm, (const uint8_t *)vd, vlen) == 0);
		CHECK(msg_count(&vm, "Authentication-Results") ==
		      msg_count(&m, "Authentication-Results"));
		size_t a = 0, b = 0;
		const struct msg_field *fa, *fb;
		while ((fa = msg_next(&vm, "Authentication-Results", &a)) &&
		       (fb = msg_next(&m, "Authentication-Results", &b))) {
			enum authres_status s1, s2;
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
}

/* ---- hand-made cases ----------------------------------------------- */

static void hard_cases(void)
{
	/* Comments: nested, with escaped parentheses, everywhere, none of
	 * them white space around. */
	EXPECT("example.com (outer (inner \\) paren) end); auth=pass (cram-md5 (comment inside "
	       "comment)) smtp.auth=sender@example.com",
	       "id=example.com (outer (inner ) paren) end) ; auth=pass (cram-md5 (comment inside "
	       "comment)) smtp.auth=sender@example.com");
	EXPECT("example.com;dkim(c1)=(c2)pass(c3)header(c4).(c5)d(c6)=(c7)example.com(c8);spf=none",
	       "id=example.com ; dkim=pass (c1 c2 c3 c4 c5 c6 c7 c8) header.d=example.com{c8} ; "
	       "spf=none");
	EXPECT("example.com; auth=pass (cram-md5; comment with semicolon) smtp.auth=a@example.com",
	       "id=example.com ; auth=pass (cram-md5; comment with semicolon) "
	       "smtp.auth=a@example.com");
	EXPECT("example.com; dkim=pass (a \\( b \\\\ c (d (e)))", "id=example.com ; dkim=pass (a ( "
	                                                          "b \\ c (d (e)))");
	EXPECT("example.com; dkim=pass (  spaced\r\n\t  out  )",
	       "id=example.com ; dkim=pass (spaced out)");
	/* Quoted strings with escaped quotes and semicolons; a quoted
	 * local-part kept as RFC 5322 writes it. */
	EXPECT("example.net; dkim=fail reason=\"bad \\\"sig\\\"; really\" header.d=example.net; "
	       "spf=pass smtp.mailfrom=\"john \\\"q\\\" doe\"@example.net",
	       "id=example.net ; dkim=fail reason=\"bad \"sig\"; really\" header.d=example.net ; "
	       "spf=pass smtp.mailfrom=\"john \\\"q\\\" doe\"@example.net");
	EXPECT("\"mx.example.com\"; dkim=pass header.b=\"ab;cd\" header.s=\"\"",
	       "id=mx.example.com ; dkim=pass header.b=\"ab;cd\" header.s=\"\"");
	/* Folded lines: CRLF, bare LF, inside a quoted string too. */
	EXPECT(
	    "example.com;\r\n\tdkim=pass\r\n  header.d=example.com\r\n  header.s=sel;\r\n spf=none",
	    "id=example.com ; dkim=pass header.d=example.com header.s=sel ; spf=none");
	EXPECT("example.com;\n\tdkim=fail reason=\"two\r\n lines\"",
	       "id=example.com ; dkim=fail reason=\"two lines\"");
	/* Versions, and "none". */
	EXPECT("mx.example.org 1; dkim/1=pass header.d=a.example",
	       "id=mx.example.org v=1 ; dkim/1=pass header.d=a.example");
	EXPECT("mx.example.org 2 (future); none", "id=mx.example.org v=2 none (future)");
	EXPECT("example.org 1; none (nothing done)", "id=example.org v=1 none (nothing done)");
	EXPECT("example.org; none; dkim=pass", "id=example.org none ; dkim=pass repairs=1@19");
	EXPECT("example.org 1x; none", "id=example.org ERR@12:expected ';' after the authserv-id");
	/* Upper and lower case: keywords folded, values kept. */
	EXPECT("EXAMPLE.com; DKIM=PASS Header.D=Example.COM",
	       "id=EXAMPLE.com ; dkim=pass header.d=Example.COM");
	/* Unknown methods, results and ptypes are kept as they are. */
	EXPECT("example.com; x-frob=maybe x-ptype.thing=bar body.hash=ok; vbr=pass "
	       "header.md=example.net header.mv=dwl.example",
	       "id=example.com ; x-frob=maybe x-ptype.thing=bar body.hash=ok ; vbr=pass "
	       "header.md=example.net header.mv=dwl.example");
	/* Sloppy writers (authres.h lists them), each counted once. */
	EXPECT("spf.protection.outlook.com; spf=pass (sender IP is 192.0.2.1) "
	       "smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=none "
	       "action=none header.from=example.com;compauth=pass reason=100",
	       "id=spf.protection.outlook.com ; spf=pass (sender IP is 192.0.2.1) "
	       "smtp.mailfrom=example.com ; dkim=none (message not signed) header.d=none ; "
	       "dmarc=none action=none header.from=example.com ; compauth=pass reason=\"100\" "
	       "repairs=1@145");
	EXPECT("mx.example.net; iprev=pass smtp.remote-ip=2001:db8::1",
	       "id=mx.example.net ; iprev=pass smtp.remote-ip=2001:db8::1 repairs=1@42");
	EXPECT("example.com; dkim=pass header.b=ab/cd+ef", "id=example.com ; dkim=pass "
	                                                   "header.b=ab/cd+ef repairs=1@32");
	EXPECT("dkim=pass header.d=example.com",
	       "id= ; dkim=pass header.d=example.com repairs=1@0");
	EXPECT("example.com; dkim=fail reason=signature verification failed header.d=example.com",
	       "id=example.com ; dkim=fail reason=\"signature\" header.d=example.com "
	       "repairs=2@40");
	EXPECT("example.com; dkim=fail header.d=x.example reason=\"late\"",
	       "id=example.com ; dkim=fail reason=\"late\" header.d=x.example repairs=1@42");
	EXPECT("example.com; dkim=pass header.d=; spf=pass",
	       "id=example.com ; dkim=pass header.d= ; spf=pass repairs=1@32");
	EXPECT("example.com;; dkim=pass", "id=example.com ; dkim=pass repairs=1@11");
	EXPECT("example.com; dkim=pass;", "id=example.com ; dkim=pass repairs=1@22");
	EXPECT("example.com;", "id=example.com repairs=1@11");
	EXPECT("example.com", "id=example.com repairs=1@11");
	EXPECT("example.com; dkim=pass ) header.d=a.example",
	       "id=example.com ; dkim=pass header.d=a.example repairs=1@23");
	/* Beyond repair: the error, where, and what came before it. */
	EXPECT("", "id= ERR@0:no authserv-id");
	EXPECT("  ; none", "id= ERR@2:no authserv-id");
	EXPECT("example.com; dkim", "id=example.com ERR@17:expected '=' after the method");
	EXPECT("example.com; =pass", "id=example.com ERR@13:expected a method");
	EXPECT("example.com; dkim=", "id=example.com ERR@18:expected a result after '='");
	EXPECT("example.com; dkim/=pass",
	       "id=example.com ERR@18:expected a method version after '/'");
	EXPECT("example.com junk; none", "id=example.com ERR@12:expected ';'");
	EXPECT("example.com; spf=pass smtp.mailfrom=a.example; dkim=pass (unclosed",
	       "id=example.com ; spf=pass smtp.mailfrom=a.example ; dkim=pass PARTIAL "
	       "ERR@57:comment not closed");
	EXPECT("example.com; dkim=pass header.d=a.example header.s=\"open",
	       "id=example.com ; dkim=pass header.d=a.example PARTIAL ERR@51:quoted string not "
	       "closed");
	EXPECT("example.com; dkim=pass header.d a.example",
	       "id=example.com ; dkim=pass PARTIAL ERR@32:expected '=' after the property");
	EXPECT("example.com; dkim=pass header.=x",
	       "id=example.com ; dkim=pass PARTIAL ERR@30:expected a property after the ptype");
	EXPECT("(unclosed example.com; none", "id= ERR@0:comment not closed");
	EXPECT("\"unclosed; none", "id= ERR@0:quoted string not closed");

	/* The lookups. */
	struct authres ar;
	const char *ms = "example.com; dmarc=none action=none Header.From=Example.com; "
	                 "spf=HardFail smtp.mailfrom=a@b.example; x=bestguesspass";
	CHECK(authres_parse(&ar, (const uint8_t *)ms, strlen(ms)) == AUTHRES_OK);
	if (CHECK(ar.nresults == 3)) {
		CHECK(!strcmp(authres_prop_value(&ar.results[0], "action"), "none"));
		CHECK(!strcmp(authres_prop_value(&ar.results[0], "HEADER.from"), "Example.com"));
		CHECK(authres_prop(&ar.results[0], "header.action") == NULL);
		CHECK(authres_prop(&ar.results[0], "from") == NULL);
		CHECK(authres_prop(&ar.results[0], "header.") == NULL);
		CHECK(authres_result_code(&ar.results[0]) == V_NONE);
		CHECK(authres_result_code(&ar.results[1]) == V_FAIL); /* RFC 8601 2.7.2 */
		CHECK(authres_result_code(&ar.results[2]) == -1);
		size_t i = 0;
		CHECK(authres_next(&ar, NULL, &i) == &ar.results[0]);
		CHECK(authres_next(&ar, "SPF", &i) == &ar.results[1]);
		CHECK(authres_next(&ar, "SPF", &i) == NULL && i == 3);
	}
	authres_free(&ar);
	authres_free(&ar); /* twice is fine */
	authres_free(NULL);
	CHECK(authres_parse(&ar, NULL, 0) == AUTHRES_BROKEN && ar.err_off == 0);
	authres_free(&ar);
}

/* ---- caps ---------------------------------------------------------- */

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
	struct authres ar;
	/* an overlong value and an overlong comment are cut */
	char *s =
	    repeat("example.com; dkim=pass header.d=", "a", 3 * AUTHRES_MAX_VALUE, " header.s=sel");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_OK);
	CHECK(ar.nresults == 1 && ar.cut_values == 1 &&
	      strlen(authres_prop_value(&ar.results[0], "header.d")) == AUTHRES_MAX_VALUE &&
	      !strcmp(authres_prop_value(&ar.results[0], "header.s"), "sel"));
	authres_free(&ar);
	free(s);
	s = repeat("example.com; dkim=pass (", "xy ", 2 * AUTHRES_MAX_COMMENT, ") header.s=sel");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_OK);
	CHECK(ar.nresults == 1 && ar.cut_values == 1 &&
	      strlen(ar.results[0].comment) == AUTHRES_MAX_COMMENT &&
	      !strcmp(authres_prop_value(&ar.results[0], "header.s"), "sel"));
	authres_free(&ar);
	free(s);
	/* many results, many properties */
	s = repeat("example.com", "; spf=pass smtp.mailfrom=a.example", 3 * AUTHRES_MAX_RESULTS,
	           "");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_OK);
	CHECK(ar.nresults == AUTHRES_MAX_RESULTS && ar.dropped_results == 2 * AUTHRES_MAX_RESULTS);
	CHECK(ar.nresults && !strcmp(ar.results[ar.nresults - 1].props[0].value, "a.example"));
	authres_free(&ar);
	free(s);
	s = repeat("example.com; dkim=pass", " header.x=y", 3 * AUTHRES_MAX_PROPS, "; spf=none");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_OK);
	CHECK(ar.nresults == 2 && ar.results[0].nprops == AUTHRES_MAX_PROPS &&
	      ar.results[0].dropped_props == 2 * AUTHRES_MAX_PROPS && ar.results[1].nprops == 0);
	authres_free(&ar);
	free(s);
	/* nesting: up to the cap, and one past it */
	char *open = repeat("", "(", HDRLEX_MAX_NEST, ""),
	     *close = repeat("", ")", HDRLEX_MAX_NEST, "");
	char buf[512];
	snprintf(buf, sizeof buf, "example.com %sdeep%s; none", open, close);
	CHECK(authres_parse(&ar, (const uint8_t *)buf, strlen(buf)) == AUTHRES_OK && ar.none);
	authres_free(&ar);
	snprintf(buf, sizeof buf, "example.com (%sdeep%s); none", open, close);
	CHECK(authres_parse(&ar, (const uint8_t *)buf, strlen(buf)) == AUTHRES_BROKEN &&
	      ar.err_off == 12 + HDRLEX_MAX_NEST && !strcmp(ar.err, "comments nested too deep"));
	authres_free(&ar);
	free(open);
	free(close);
	/* deep nesting never closed, escapes to the end: linear, an error */
	s = repeat("example.com; dkim=pass ", "(\\", AUTHRES_MAX_INPUT / 4, "");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_BROKEN &&
	      ar.nresults == 1 && ar.results[0].partial);
	authres_free(&ar);
	free(s);
	/* an overlong field is read up to the cap */
	s = repeat("example.com", "; a=pass", AUTHRES_MAX_INPUT / 8 + 10, "");
	CHECK(authres_parse(&ar, (const uint8_t *)s, strlen(s)) == AUTHRES_BROKEN &&
	      ar.err_off == AUTHRES_MAX_INPUT && ar.nresults == AUTHRES_MAX_RESULTS &&
	      ar.dropped_results == (AUTHRES_MAX_INPUT - 11) / 8 + 1 - AUTHRES_MAX_RESULTS &&
	      !strcmp(ar.err, "field longer than AUTHRES_MAX_INPUT"));
	authres_free(&ar);
	free(s);
}

static const char *const truncation_cases[] = {
    "example.com (outer (inner \\) paren) end); auth=pass (cram-md5) smtp.auth=s@example.com",
    /* one string over two lines (parenthesised for clang's
     * -Wstring-concatenation) */
    ("example.net; dkim=fail reason=\"bad \\\"sig\\\"; really\" header.d=example.net; spf=pass "
     "smtp.mailfrom=\"john \\\"q\\\" doe\"@example.net"),
    "mx.example.org 1 (c); dkim/1 (v) = pass header.d=a.example; none",
    "example.com;dkim(c1)=(c2)pass(c3)header(c4).(c5)d(c6)=(c7)example.com(c8);spf=none",
    "dkim=pass header.d=example.com; dmarc=none action=none",
};

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_authres SRCDIR SHAREDDIR\n");
		return 2;
	}
	rfc_b1();
	rfc_examples();
	int total = 0;
	lab(argv[1], "", &total);
	lab(argv[1], "opendkim/", &total);
	CHECK(total > 0); /* and as many in each message as its .verdicts has */
	hard_cases();
	caps();
	for (size_t i = 0; i < sizeof truncation_cases / sizeof *truncation_cases; i++)
		truncations(truncation_cases[i], strlen(truncation_cases[i]));
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
