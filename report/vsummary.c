/* vsummary.c - the verdict table by message and the stable lines of
 * --save-expect, --expect and --junit (see vsummary.h).
 *
 * Kept for the whole run, so bounded: a row per hop up to
 * VSUMMARY_MAX_ROWS, a stable line per verdict only when a CI option reads
 * them, every text cut (VSUMMARY_MAX_FIELD, VSUMMARY_MAX_CELL), and all of
 * it counted against --verdicts-mem. A hop's row and lines are made, then
 * counted, then kept whole or left out whole: never half a hop.
 */
#define _POSIX_C_SOURCE 200809L
#include "vsummary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "strf.h"
#include "verdictout.h"

struct row {
	uint64_t number, from; /* its message number, and the copy it was passed on from */
	int64_t ts;
	char *id, *subject; /* Message-ID, Subject, or NULL (cut at VSUMMARY_MAX_FIELD) */
	struct ss_addr client, server;
	int first_hop, passed_on, wrote, hidden; /* what its role is made of (role.h) */
	uint64_t hidden_flow;                    /* hidden: the encrypted hop after it */
	struct ss_addr hidden_client, hidden_server;
	char *cell[3];          /* spf, dkim, dmarc: "pass/pass agree; ..." */
	unsigned agreements[4]; /* its verdicts, by enum v_agreement */
};

struct vsummary {
	struct row *rows;
	size_t nrows, cap, more;
	char **lines; /* the stable form (kept only with keep_lines) */
	size_t nlines, lcap;
	int keep_lines;
	uint64_t mem, max_mem; /* rows and lines, as malloc hands them out */
	uint64_t left_out;     /* verdicts not in the stable lines for max_mem */
	int said;              /* the event about max_mem was raised */
	int failed;            /* memory ran out: the stable form is incomplete */
};

/* What malloc(n) takes with glibc's allocator: n and its 8-byte header,
 * rounded up to 16, at least 32 (as verify/dnsstore.c counts); 0 for 0. */
static uint64_t chunk(size_t n)
{
	if (!n)
		return 0;
	uint64_t c = ((uint64_t)n + 8 + 15) & ~(uint64_t)15;
	return c < 32 ? 32 : c;
}

static uint64_t str_cost(const char *p)
{
	return p ? chunk(strlen(p) + 1) : 0;
}

struct vsummary *vsummary_new_opts(int lines, uint64_t max_mem)
{
	struct vsummary *s = calloc(1, sizeof(struct vsummary));
	if (s) {
		s->keep_lines = lines;
		s->max_mem = max_mem;
	}
	return s;
}

struct vsummary *vsummary_new(void)
{
	return vsummary_new_opts(1, VSUMMARY_MEM_DEFAULT);
}

uint64_t vsummary_left_out(const struct vsummary *s)
{
	return s->left_out;
}

uint64_t vsummary_mem(const struct vsummary *s)
{
	return s->mem;
}

static void lines_free(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static void row_free(struct row *r)
{
	free(r->id);
	free(r->subject);
	for (int m = 0; m < 3; m++)
		free(r->cell[m]);
}

void vsummary_free(struct vsummary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrows; i++)
		row_free(&s->rows[i]);
	free(s->rows);
	lines_free(s->lines, s->nlines);
	free(s);
}

/* p as kept: itself when within max bytes, else its first max (back to
 * a UTF-8 character's start) and the mark, in buf (max + sizeof
 * VSUMMARY_CUT_MARK bytes). NULL stays NULL. */
static const char *cut(const char *p, char *buf, size_t max)
{
	if (!p)
		return NULL;
	size_t n = strlen(p);
	if (n <= max)
		return p;
	size_t k = max;
	while (k > max - 3 && ((unsigned char)p[k] & 0xC0) == 0x80)
		k--;
	if (((unsigned char)p[k] & 0xC0) == 0x80)
		k = max;
	memcpy(buf, p, k);
	memcpy(buf + k, VSUMMARY_CUT_MARK, sizeof VSUMMARY_CUT_MARK);
	return buf;
}

#define FIELD_BUF (VSUMMARY_MAX_FIELD + sizeof VSUMMARY_CUT_MARK)

/* A cell in the making: "text; text; ..." up to VSUMMARY_MAX_CELL, then
 * how many more there were. */
struct cellbuf {
	char b[VSUMMARY_MAX_CELL + 1];
	size_t len, more;
};

static void cell_put(struct cellbuf *c, const char *text)
{
	size_t n = strlen(text), sep = c->len ? 2 : 0;
	if (c->more || c->len + sep + n > VSUMMARY_MAX_CELL) {
		c->more++;
		return;
	}
	memcpy(c->b + c->len, "; ", sep);
	memcpy(c->b + c->len + sep, text, n + 1);
	c->len += sep + n;
}

/* The cell as kept (malloc'd), "; ... N more" ending one that was cut;
 * NULL for none. */
static char *cell_done(const struct cellbuf *c)
{
	if (!c->len && !c->more)
		return NULL;
	return c->more ? ss_strf("%s; ... %zu more", c->b, c->more) : strdup(c->b);
}

/* A stable line: what the scenario is, never when or which recording -
 * the message's Subject, the hop by its host names and role, the envelope
 * sender and the From field, then the check and its outcome. */
static char *stable_line(const struct v_hopcheck *h, const struct v_check *k,
                         const struct timeline_opts *o)
{
	const struct vhop *hop = h->hop;
	char c[256], v[256], label[400];
	char sb[FIELD_BUF], mb[FIELD_BUF], ab[FIELD_BUF], wb[FIELD_BUF];
	const char *subject = cut(hop->subject, sb, VSUMMARY_MAX_FIELD);
	const char *mail_from = cut(hop->mail_from, mb, VSUMMARY_MAX_FIELD);
	const char *author = cut(hop->author, ab, VSUMMARY_MAX_FIELD);
	const char *word = cut(k->theirs ? k->theirs->word : NULL, wb, VSUMMARY_MAX_FIELD);
	verdictout_label(k, label, sizeof label);
	return ss_strf("%s | %s > %s %s | %s | %s | %s %s / %s %s",
	               subject ? subject : "(no subject)", timeline_host(o, &hop->client, c),
	               timeline_host(o, &hop->server, v), v_role_name(h->role),
	               mail_from ? mail_from : "", author ? author : "(no From)",
	               v_method_name(k->ours->method), label, word ? word : "-",
	               v_agreement_name(k->agreement));
}

/* The room an array of cap items of size grown by one more takes beyond
 * what it takes now (n used). */
static uint64_t growth(size_t n, size_t cap, size_t size, size_t *newcap)
{
	*newcap = cap;
	if (n < cap)
		return 0;
	*newcap = cap ? cap * 2 : 64;
	return chunk(*newcap * size) - chunk(cap * size);
}

static int grow_to(void **arr, size_t *cap, size_t newcap, size_t size)
{
	if (newcap == *cap)
		return 0;
	void *b = realloc(*arr, newcap * size);
	if (!b)
		return -1;
	*arr = b;
	*cap = newcap;
	return 0;
}

/* The hop's row and lines would pass max_mem: left out, said once. */
static void left_out(struct vsummary *s, const struct v_hopcheck *h, int row)
{
	if (row)
		s->more++;
	if (s->keep_lines)
		s->left_out += h->nchecks;
	if (s->said)
		return;
	s->said = 1;
	ss_eventf("report", "verdicts_mem", h->hop->frame, h->hop->ts, 0, -1,
	          "the verdicts kept for the end of the run reached --verdicts-mem (%" PRIu64
	          " bytes): from this hop on, those that do not fit are left out of the table%s",
	          s->max_mem, s->keep_lines ? " and of --save-expect, --expect and --junit" : "");
}

void vsummary_add(struct vsummary *s, const struct v_hopcheck *h, const struct timeline_opts *o)
{
	const struct vhop *hop = h->hop;
	int want_row = s->nrows < VSUMMARY_MAX_ROWS;
	if (!want_row)
		s->more++;
	/* all the hop adds, made and counted first */
	struct cellbuf *cell = want_row ? calloc(3, sizeof *cell) : NULL;
	char **lines = s->keep_lines ? calloc(h->nchecks ? h->nchecks : 1, sizeof *lines) : NULL;
	if ((want_row && !cell) || (s->keep_lines && !lines)) {
		free(cell);
		free(lines);
		s->failed = 1;
		return;
	}
	unsigned agreements[4] = {0, 0, 0, 0};
	uint64_t cost = 0;
	for (size_t i = 0; i < h->nchecks; i++) {
		const struct v_check *k = &h->checks[i];
		agreements[k->agreement]++;
		if (cell) {
			char label[400], wb[FIELD_BUF], text[sizeof label + sizeof wb + 64];
			const char *word =
			    cut(k->theirs ? k->theirs->word : NULL, wb, VSUMMARY_MAX_FIELD);
			verdictout_label(k, label, sizeof label);
			snprintf(text, sizeof text, "%s/%s %s", label, word ? word : "-",
			         v_agreement_name(k->agreement));
			cell_put(&cell[k->ours->method], text);
		}
		if (lines) {
			lines[i] = stable_line(h, k, o);
			if (!lines[i])
				s->failed = 1;
			cost += str_cost(lines[i]);
		}
	}
	struct row r;
	memset(&r, 0, sizeof r);
	size_t rcap = s->cap, lcap = s->lcap;
	if (cell) {
		char ib[FIELD_BUF], sb[FIELD_BUF];
		const char *id = cut(hop->message_id, ib, VSUMMARY_MAX_FIELD);
		const char *subject = cut(hop->subject, sb, VSUMMARY_MAX_FIELD);
		r.id = id ? strdup(id) : NULL;
		r.subject = subject ? strdup(subject) : NULL;
		for (int m = 0; m < 3; m++)
			r.cell[m] = cell_done(&cell[m]);
		cost += str_cost(r.id) + str_cost(r.subject) + str_cost(r.cell[0]) +
		        str_cost(r.cell[1]) + str_cost(r.cell[2]);
		cost += growth(s->nrows, s->cap, sizeof *s->rows, &rcap);
	}
	if (lines && h->nchecks) {
		size_t n = s->nlines + h->nchecks;
		lcap = s->lcap;
		while (n > lcap)
			lcap = lcap ? lcap * 2 : 64;
		cost += chunk(lcap * sizeof *s->lines) - chunk(s->lcap * sizeof *s->lines);
	}
	free(cell);
	void *a = s->rows, *b = s->lines;
	if (s->mem + cost > s->max_mem || (cell && grow_to(&a, &s->cap, rcap, sizeof *s->rows)) ||
	    (lines && grow_to(&b, &s->lcap, lcap, sizeof *s->lines))) {
		s->rows = a;
		s->lines = b;
		if (s->mem + cost <= s->max_mem)
			s->failed = 1; /* out of memory */
		else
			left_out(s, h, want_row);
		row_free(&r);
		lines_free(lines, lines ? h->nchecks : 0);
		return;
	}
	s->rows = a;
	s->lines = b;
	s->mem += cost;
	if (lines) {
		for (size_t i = 0; i < h->nchecks; i++)
			if (lines[i])
				s->lines[s->nlines++] = lines[i];
		free(lines);
	}
	if (!want_row)
		return;
	r.number = hop->number;
	r.from = hop->from;
	r.ts = hop->ts;
	r.client = hop->client;
	r.server = hop->server;
	r.first_hop = !hop->from;
	r.passed_on = h->copy_seen;
	r.wrote = h->theirs.n > 0;
	r.hidden = h->copy_hidden;
	r.hidden_flow = h->hidden_flow;
	r.hidden_client = h->hidden_client;
	r.hidden_server = h->hidden_server;
	memcpy(r.agreements, agreements, sizeof agreements);
	s->rows[s->nrows++] = r;
}

/* --- the table ------------------------------------------------------------ */

/* The first copy of row i's message in the table: its copies are linked
 * by the copy each was passed on from (at most nrows steps: no loop). */
static size_t root_of(const struct vsummary *s, size_t i)
{
	for (size_t steps = 0; steps < s->nrows && s->rows[i].from; steps++) {
		size_t j = s->nrows;
		for (size_t k = 0; k < s->nrows; k++)
			if (s->rows[k].number == s->rows[i].from)
				j = k;
		if (j == s->nrows)
			break;
		i = j;
	}
	return i;
}

struct place {
	size_t row, root;
	int64_t begun; /* when its message began: its first copy's time */
};

static int place_cmp(const void *a, const void *b)
{
	const struct place *x = a, *y = b;
	if (x->begun != y->begun)
		return x->begun < y->begun ? -1 : 1;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_ts(const struct vsummary *s, size_t a, size_t b)
{
	return s->rows[a].ts < s->rows[b].ts || (s->rows[a].ts == s->rows[b].ts && a < b);
}

/* Rows grouped by message, in the order messages began, each message's
 * hops in path order (their copies' times). */
static struct place *placed(const struct vsummary *s)
{
	struct place *p = calloc(s->nrows ? s->nrows : 1, sizeof *p);
	if (!p)
		return NULL;
	for (size_t i = 0; i < s->nrows; i++)
		p[i] = (struct place){i, root_of(s, i), 0};
	for (size_t i = 0; i < s->nrows; i++) {
		size_t first = i;
		for (size_t k = 0; k < s->nrows; k++)
			if (p[k].root == p[i].root && cmp_ts(s, k, first))
				first = k;
		p[i].begun = s->rows[first].ts;
		/* within a message, order by time: begun ties, so row decides */
		p[i].row = i;
	}
	qsort(p, s->nrows, sizeof *p, place_cmp);
	/* path order inside each message */
	for (size_t a = 0; a < s->nrows;) {
		size_t b = a;
		while (b < s->nrows && p[b].root == p[a].root)
			b++;
		for (size_t i = a + 1; i < b; i++)
			for (size_t j = i; j > a && cmp_ts(s, p[j].row, p[j - 1].row); j--) {
				struct place t = p[j];
				p[j] = p[j - 1];
				p[j - 1] = t;
			}
		a = b;
	}
	return p;
}

/* Roles again with everything known: a receiver seen checking on a later
 * hop checks on an earlier one too. */
static void roles_at_end(const struct vsummary *s, enum v_role *role)
{
	struct roles *rs = calloc(1, sizeof *rs);
	if (!rs) {
		for (size_t i = 0; i < s->nrows; i++)
			role[i] = V_ROLE_CHECKING;
		return;
	}
	for (size_t i = 0; i < s->nrows; i++)
		if (s->rows[i].wrote)
			role_of(rs, &s->rows[i].server, 0, 0, 1, 0);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[i];
		role[i] = role_of(rs, &r->server, r->first_hop, r->passed_on, r->wrote, r->hidden);
	}
	free(rs);
}

/* "1 checking hop: 3 verdicts agree, ...; not checked here: 1 submission,
 * 1 final delivery" - the findings are the checking hops'. */
static void totals(FILE *out, const struct vsummary *s, const enum v_role *role)
{
	size_t by_role[4] = {0, 0, 0, 0}, a[4] = {0, 0, 0, 0}, hidden = 0;
	for (size_t i = 0; i < s->nrows; i++) {
		by_role[role[i]]++;
		hidden += s->rows[i].hidden != 0;
		if (role[i] == V_ROLE_CHECKING)
			for (int k = 0; k < 4; k++)
				a[k] += s->rows[i].agreements[k];
	}
	fprintf(out,
	        "%zu checking hop%s: %zu verdict%s agree, %zu disagree, %zu unchecked by the "
	        "receiver, %zu unknown",
	        by_role[V_ROLE_CHECKING], by_role[V_ROLE_CHECKING] == 1 ? "" : "s", a[V_AGREE],
	        a[V_AGREE] == 1 ? "" : "s", a[V_DISAGREE], a[V_UNCHECKED], a[V_CANNOT_TELL]);
	const char *sep = "; not checked here: ";
	static const enum v_role others[] = {V_ROLE_SUBMISSION, V_ROLE_RELAY, V_ROLE_DELIVERY};
	for (size_t k = 0; k < 3; k++)
		if (by_role[others[k]]) {
			fprintf(out, "%s%zu %s%s", sep, by_role[others[k]], v_role_name(others[k]),
			        by_role[others[k]] == 1 ? "" : "s");
			sep = ", ";
		}
	if (hidden)
		fprintf(out, "; encrypted: %zu hop%s (STARTTLS)", hidden, hidden == 1 ? "" : "s");
	fputc('\n', out);
}

void vsummary_table(FILE *out, const struct vsummary *s, const struct timeline_opts *o)
{
	if (!s->nrows)
		return;
	struct place *p = placed(s);
	enum v_role *role = calloc(s->nrows, sizeof *role);
	if (!p || !role) {
		free(p);
		free(role);
		return;
	}
	roles_at_end(s, role);
	static const enum v_method col[] = {V_SPF, V_DKIM, V_DMARC};
	int w[5] = {20, 10, 5, 5, 5}; /* hop, role, spf, dkim, dmarc */
	char c[256], v[256], hop[600];
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[i];
		int n = snprintf(hop, sizeof hop, "%s > %s", timeline_host(o, &r->client, c),
		                 timeline_host(o, &r->server, v));
		w[0] = n > w[0] ? n : w[0];
		if (r->hidden) {
			int k = snprintf(hop, sizeof hop, "%s > %s",
			                 timeline_host(o, &r->hidden_client, c),
			                 timeline_host(o, &r->hidden_server, v));
			w[0] = k > w[0] ? k : w[0];
		}
		int m = (int)strlen(v_role_name(role[i]));
		w[1] = m > w[1] ? m : w[1];
		if (role[i] != V_ROLE_CHECKING && !o->every_hop)
			continue; /* its cells are not shown */
		for (int k = 0; k < 3; k++) {
			const char *t = r->cell[col[k]];
			m = t ? (int)strlen(t) : 1;
			w[k + 2] = m > w[k + 2] ? m : w[k + 2];
		}
	}
	for (int k = 0; k < 5; k++)
		w[k] = w[k] > 80 ? 80 : w[k];
	fputs("\nVerdicts by message: smtpsniff's / the receiver's, and whether they agree\n", out);
	fprintf(out, "  %-7s %-*s  %-*s  %-*s  %-*s  %s\n", "message", w[0], "hop", w[1], "role",
	        w[2], "spf", w[3], "dkim", "dmarc");
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[p[i].row];
		if (!i || p[i].root != p[i - 1].root)
			fprintf(out, "%s\"%s\" %s\n", i ? "\n" : "",
			        r->subject ? r->subject : "(no subject)",
			        r->id ? r->id : "(no Message-ID)");
		char num[32];
		snprintf(num, sizeof num, "#%" PRIu64, r->number);
		snprintf(hop, sizeof hop, "%s > %s", timeline_host(o, &r->client, c),
		         timeline_host(o, &r->server, v));
		enum v_role ro = role[p[i].row];
		fprintf(out, "  %-7s %-*s  %-*s  ", num, w[0], hop, w[1], v_role_name(ro));
		if (ro != V_ROLE_CHECKING && !o->every_hop)
			fputs("not checked here\n", out);
		else
			fprintf(out, "%-*s  %-*s  %s\n", w[2],
			        r->cell[V_SPF] ? r->cell[V_SPF] : "-", w[3],
			        r->cell[V_DKIM] ? r->cell[V_DKIM] : "-",
			        r->cell[V_DMARC] ? r->cell[V_DMARC] : "-");
		if (r->hidden) {
			/* the next hop is in the capture, encrypted: it did not vanish */
			snprintf(num, sizeof num, "flow %" PRIu64, r->hidden_flow);
			snprintf(hop, sizeof hop, "%s > %s", timeline_host(o, &r->hidden_client, c),
			         timeline_host(o, &r->hidden_server, v));
			fprintf(out, "  %-7s %-*s  %-*s  STARTTLS: not readable without the keys\n",
			        num, w[0], hop, w[1], "encrypted");
		}
	}
	if (s->more)
		fprintf(out, "(%zu more hops not shown)\n", s->more);
	totals(out, s, role);
	free(p);
	free(role);
}

/* --- the stable form -------------------------------------------------------- */

/* How every file --save-expect writes begins; --expect reads no other. */
#define EXPECT_MARK "# smtpsniff --save-expect"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines in the order they are written and compared: sorted, so that
 * the order hops happened to settle in does not matter. */
static void sort_lines(char **l, size_t n)
{
	if (n)
		qsort(l, n, sizeof *l, str_cmp);
}

int vsummary_save(struct vsummary *s, FILE *f, const char *path, char *err, size_t errlen)
{
	sort_lines(s->lines, s->nlines);
	fputs(EXPECT_MARK ": per verdict, the message's Subject | the hop and its role |\n", f);
	fputs("# MAIL FROM | From | the check: smtpsniff's result / the receiver's (- for "
	      "none) and whether they agree\n",
	      f);
	if (s->left_out)
		fprintf(f,
		        "# %" PRIu64
		        " verdicts left out: the verdicts kept reached --verdicts-mem\n",
		        s->left_out);
	for (size_t i = 0; i < s->nlines; i++)
		fprintf(f, "%s\n", s->lines[i]);
	if (fflush(f) || ferror(f) || s->failed) {
		snprintf(err, errlen, "%s: %s", path,
		         s->failed ? "out of memory" : strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

struct vexpect {
	char **l;
	size_t n;
};

/* Appends line (owned) to *l; -1 when memory ran out (line freed). */
static int push_line(char ***l, size_t *n, size_t *cap, char *line)
{
	if (!line)
		return -1;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **m = realloc(*l, c * sizeof *m);
		if (!m) {
			free(line);
			return -1;
		}
		*l = m;
		*cap = c;
	}
	(*l)[(*n)++] = line;
	return 0;
}

int vsummary_may_write(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT; /* a new file; any other failure shows on opening */
	char head[sizeof EXPECT_MARK] = "";
	size_t n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	head[n] = 0;
	return n == 0 || !strcmp(head, EXPECT_MARK);
}

struct vexpect *vexpect_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct vexpect *e = calloc(1, sizeof *e);
	char *buf = NULL;
	size_t bufcap = 0, cap = 0;
	ssize_t len = getline(&buf, &bufcap, f);
	if (!e || len < (ssize_t)strlen(EXPECT_MARK) ||
	    strncmp(buf, EXPECT_MARK, strlen(EXPECT_MARK))) {
		/* any other text (the lab's NAME.notes, say) would only give a
		 * diff of everything */
		snprintf(err, errlen, "%s: %s", path,
		         e ? "not a file smtpsniff --save-expect wrote" : "out of memory");
		free(buf);
		free(e);
		fclose(f);
		return NULL;
	}
	int bad = 0;
	while ((len = getline(&buf, &bufcap, f)) >= 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = 0;
		if (!len || buf[0] == '#')
			continue;
		if (push_line(&e->l, &e->n, &cap, strdup(buf))) {
			bad = 1;
			break;
		}
	}
	free(buf);
	bad |= ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: could not be read whole", path);
		vexpect_free(e);
		return NULL;
	}
	sort_lines(e->l, e->n);
	return e;
}

void vexpect_free(struct vexpect *e)
{
	if (!e)
		return;
	lines_free(e->l, e->n);
	free(e);
}

/* Walks the expected and the got lines side by side (both sorted): fn
 * gets each line with -1 (expected only), 1 (got only) or 0 (both). */
static void merge(struct vsummary *s, const struct vexpect *e,
                  void (*fn)(void *ctx, const char *line, int side), void *ctx)
{
	sort_lines(s->lines, s->nlines);
	size_t i = 0, j = 0;
	while (i < e->n || j < s->nlines) {
		int c = i == e->n ? 1 : j == s->nlines ? -1 : strcmp(e->l[i], s->lines[j]);
		c = c < 0 ? -1 : c > 0;
		fn(ctx, c <= 0 ? e->l[i] : s->lines[j], c);
		i += c <= 0;
		j += c >= 0;
	}
}

struct diffctx {
	FILE *out;
	int changed;
};

static void diff_line(void *ctx, const char *line, int side)
{
	struct diffctx *d = ctx;
	if (!side)
		return;
	d->changed = 1;
	if (d->out)
		fprintf(d->out, "%s %s\n", side < 0 ? "-" : "+", line);
}

int vsummary_expect(struct vsummary *s, const struct vexpect *e, FILE *diff)
{
	struct diffctx d = {diff, 0};
	merge(s, e, diff_line, &d);
	return d.changed;
}

/* --- JUnit XML ------------------------------------------------------------ */

static void xml_text(FILE *f, const char *p)
{
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch < 0x20 && ch != '\t')
			fprintf(f, "&#xFFFD;"); /* XML 1.0 has no way to say it */
		else
			fputc(ch, f);
	}
}

struct junitctx {
	FILE *f;
	size_t tests, failures;
	int write;
	int alone; /* no --expect: a verdict fails when it disagrees */
};

static int ends_with(const char *s, const char *t)
{
	size_t n = strlen(s), k = strlen(t);
	return n >= k && !strcmp(s + n - k, t);
}

/* One test case per expected verdict, and one failing case per verdict
 * that came but was not expected. Without --expect, one per verdict,
 * failing when the receiver disagrees. */
static void junit_case(void *ctx, const char *line, int side)
{
	struct junitctx *j = ctx;
	if (j->alone)
		side = ends_with(line, " disagree") ? 2 : 0;
	j->tests++;
	j->failures += side != 0;
	if (!j->write)
		return;
	fputs("    <testcase classname=\"smtpsniff.verify\" name=\"", j->f);
	xml_text(j->f, line);
	if (!side) {
		fputs("\"/>\n", j->f);
		return;
	}
	fputs("\">\n      <failure message=\"", j->f);
	fputs(side < 0    ? "expected, but the capture gives no such verdict"
	      : side == 1 ? "not expected: a verdict that is new or changed"
	                  : "the receiver's verdict disagrees with the RFC's",
	      j->f);
	fputs("\"/>\n    </testcase>\n", j->f);
}

int vsummary_junit(struct vsummary *s, const struct vexpect *e, FILE *f, const char *path,
                   char *err, size_t errlen)
{
	static const struct vexpect none = {NULL, 0};
	struct junitctx j = {f, 0, 0, 0, !e};
	merge(s, e ? e : &none, junit_case, &j); /* the counts first */
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f,
	        "<testsuites>\n  <testsuite name=\"smtpsniff --verify\" tests=\"%zu\" "
	        "failures=\"%zu\">\n",
	        j.tests, j.failures);
	j = (struct junitctx){f, 0, 0, 1, !e};
	merge(s, e ? e : &none, junit_case, &j);
	fputs("  </testsuite>\n</testsuites>\n", f);
	if (fflush(f) || ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
