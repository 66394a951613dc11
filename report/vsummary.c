/* vsummary.c - the verdict table and the stable lines of --save-expect and
 * --expect (see vsummary.h). */
#define _POSIX_C_SOURCE 200809L
#include "vsummary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "strf.h"
#include "verdictout.h"

struct row {
	uint64_t number;
	char *id; /* Message-ID, or NULL */
	struct ss_addr client, server;
	char *cell[3]; /* spf, dkim, dmarc: "pass/pass agree; ..." */
};

struct vsummary {
	struct row *rows;
	size_t nrows, cap, more;
	char **lines; /* the stable form */
	size_t nlines, lcap;
	int failed; /* memory ran out: the stable form is incomplete */
};

struct vsummary *vsummary_new(void)
{
	return calloc(1, sizeof(struct vsummary));
}

void vsummary_free(struct vsummary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrows; i++) {
		free(s->rows[i].id);
		for (int m = 0; m < 3; m++)
			free(s->rows[i].cell[m]);
	}
	free(s->rows);
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i]);
	free(s->lines);
	free(s);
}

/* Appends ", text" (or text) to *cell. */
static void cell_add(char **cell, const char *text)
{
	size_t old = *cell ? strlen(*cell) : 0, n = strlen(text);
	char *c = realloc(*cell, old + n + 3);
	if (!c)
		return;
	if (old) {
		memcpy(c + old, "; ", 2);
		old += 2;
	}
	memcpy(c + old, text, n + 1);
	*cell = c;
}

static void line_add(struct vsummary *s, char *line)
{
	if (!line) {
		s->failed = 1;
		return;
	}
	if (s->nlines == s->lcap) {
		size_t cap = s->lcap ? s->lcap * 2 : 64;
		char **l = realloc(s->lines, cap * sizeof *l);
		if (!l) {
			free(line);
			s->failed = 1;
			return;
		}
		s->lines = l;
		s->lcap = cap;
	}
	s->lines[s->nlines++] = line;
}

void vsummary_add(struct vsummary *s, const struct v_hopcheck *h)
{
	const struct vhop *hop = h->hop;
	char c[SS_ADDR_STRLEN], v[SS_ADDR_STRLEN], num[32];
	snprintf(num, sizeof num, "#%" PRIu64, hop->number);
	ss_addr_fmt(&hop->client, c);
	ss_addr_fmt(&hop->server, v);
	struct row *r = NULL;
	if (s->nrows < VSUMMARY_MAX_ROWS) {
		if (s->nrows == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct row *rows = realloc(s->rows, cap * sizeof *rows);
			if (rows) {
				s->rows = rows;
				s->cap = cap;
			}
		}
		if (s->nrows < s->cap) {
			r = &s->rows[s->nrows++];
			memset(r, 0, sizeof *r);
			r->number = hop->number;
			r->id = hop->message_id ? strdup(hop->message_id) : NULL;
			r->client = hop->client;
			r->server = hop->server;
		}
	} else {
		s->more++;
	}
	for (size_t i = 0; i < h->nchecks; i++) {
		const struct v_check *k = &h->checks[i];
		char label[400], text[600];
		verdictout_label(k, label, sizeof label);
		const char *theirs = k->theirs ? k->theirs->word : "-";
		if (r) {
			snprintf(text, sizeof text, "%s/%s %s", label, theirs,
			         v_agreement_name(k->agreement));
			cell_add(&r->cell[k->ours->method], text);
		}
		line_add(s,
		         ss_strf("%s %s > %s %s %s %s %s", hop->message_id ? hop->message_id : num,
		                 c, v, v_method_name(k->ours->method), label, theirs,
		                 v_agreement_name(k->agreement)));
	}
}

/* Widths come from the cells (the table is printed once, at the end), so
 * the columns line up however long a hop's verdicts are. */
void vsummary_table(FILE *out, const struct vsummary *s, const struct timeline_opts *o)
{
	if (!s->nrows)
		return;
	static const char *const head[] = {"spf", "dkim", "dmarc"};
	int w[4] = {20, 5, 5, 5}; /* hop, spf, dkim, dmarc */
	char c[256], v[256], hop[600];
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[i];
		int n = snprintf(hop, sizeof hop, "%s > %s", timeline_host(o, &r->client, c),
		                 timeline_host(o, &r->server, v));
		w[0] = n > w[0] ? n : w[0];
		static const enum v_method col[] = {V_SPF, V_DKIM, V_DMARC};
		for (int k = 0; k < 3; k++) {
			const char *t = r->cell[col[k]];
			int m = t ? (int)strlen(t) : 1;
			w[k + 1] = m > w[k + 1] ? m : w[k + 1];
		}
	}
	for (int k = 0; k < 4; k++)
		w[k] = w[k] > 80 ? 80 : w[k];
	fputs("\nVerdicts: smtpsniff's / the receiver's, and whether they agree\n", out);
	fprintf(out, "%-8s %-*s  %-*s  %-*s  %s\n", "message", w[0], "hop", w[1], head[0], w[2],
	        head[1], head[2]);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[i];
		char num[32];
		snprintf(num, sizeof num, "#%" PRIu64, r->number);
		snprintf(hop, sizeof hop, "%s > %s", timeline_host(o, &r->client, c),
		         timeline_host(o, &r->server, v));
		fprintf(out, "%-8s %-*s  %-*s  %-*s  %s\n", num, w[0], hop, w[1],
		        r->cell[V_SPF] ? r->cell[V_SPF] : "-", w[2],
		        r->cell[V_DKIM] ? r->cell[V_DKIM] : "-",
		        r->cell[V_DMARC] ? r->cell[V_DMARC] : "-");
	}
	if (s->more)
		fprintf(out, "(%zu more hops not shown)\n", s->more);
}

/* How every file --save-expect writes begins; --expect reads no other. */
#define EXPECT_MARK "# smtpsniff --save-expect"

int vsummary_save(const struct vsummary *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fputs(EXPECT_MARK ": message, hop, method, [what], smtpsniff's result,\n", f);
	fputs("# the receiver's (- for none), agreement\n", f);
	for (size_t i = 0; i < s->nlines; i++)
		fprintf(f, "%s\n", s->lines[i]);
	if (fclose(f) || s->failed) {
		snprintf(err, errlen, "%s: %s", path,
		         s->failed ? "out of memory" : strerror(errno));
		return -1;
	}
	return 0;
}

/* The expected lines of path, comments and blank lines left out. A file
 * that does not begin as --save-expect begins its files is refused: any
 * other text (the lab's NAME.notes, say) would only give a diff of
 * everything. */
static char **read_lines(const char *path, size_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char **l = NULL, *buf = NULL;
	size_t cap = 0, bufcap = 0;
	ssize_t len = getline(&buf, &bufcap, f);
	if (len < (ssize_t)strlen(EXPECT_MARK) || strncmp(buf, EXPECT_MARK, strlen(EXPECT_MARK))) {
		snprintf(err, errlen, "%s: not a file smtpsniff --save-expect wrote", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	*n = 0;
	while ((len = getline(&buf, &bufcap, f)) >= 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = 0;
		if (!len || buf[0] == '#')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			char **m = realloc(l, cap * sizeof *m);
			if (!m)
				break;
			l = m;
		}
		l[(*n)++] = strdup(buf);
	}
	free(buf);
	fclose(f);
	if (!l)
		l = calloc(1, sizeof *l);
	return l;
}

int vsummary_expect(const struct vsummary *s, const char *path, FILE *diff, char *err,
                    size_t errlen)
{
	size_t n = 0;
	char **want = read_lines(path, &n, err, errlen);
	if (!want)
		return -1;
	/* Line by line, in order: a verdict that changed shows as the
	 * expected line and the line got. */
	int changed = 0;
	size_t i = 0, j = 0;
	while (i < n || j < s->nlines) {
		const char *a = i < n ? want[i] : NULL, *b = j < s->nlines ? s->lines[j] : NULL;
		if (a && b && !strcmp(a, b)) {
			i++;
			j++;
			continue;
		}
		changed = 1;
		if (a) {
			fprintf(diff, "- %s\n", a);
			i++;
		}
		if (b) {
			fprintf(diff, "+ %s\n", b);
			j++;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(want[k]);
	free(want);
	return changed;
}
