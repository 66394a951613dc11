/* test_vsummarymem.c - the verdicts kept for the end of a --verify run
 * within --verdicts-mem (issue 16, finding 2).
 *
 * A stable line was kept per verdict of every hop for the whole run, even
 * when no --save-expect, --expect or --junit would read them, each with the
 * hop's Subject, MAIL FROM and From whole: a hop of 67 checks (two SPF, 64
 * DKIM signatures, DMARC) with 60K texts took 713 KB of lines and 119 KB
 * of its table row, and nothing bounded how many.
 *
 * The truths here: the line's form as vsummary.h gives it (an ordinary
 * hop's line is what it was), the number of checks handed in, what glibc's
 * malloc says it handed out (mallinfo2), the cap, the events raised.
 */
#define _DEFAULT_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "vsummary.h"

#include "heap.h"

#define BIG 60000

static size_t heap(void)
{
#if GLIBC_MALLOC
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
#else
	return 0;
#endif
}

static unsigned nevents;
static char detail[512];

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	if (!strcmp(e->layer, "report") && !strcmp(e->what, "verdicts_mem")) {
		nevents++;
		snprintf(detail, sizeof detail, "%s", e->detail);
	}
}

/* A hop and its checks, as the verifier hands them to its out function. */
struct hopmade {
	struct vhop hop;
	struct v_hopcheck h;
	struct v_check checks[67];
	struct rcv_verdict theirs[67];
};

/* A hop from 10.0.0.1 to 10.0.0.2 with texts subject, mail_from, author and
 * n checks: a DMARC fail the receiver agrees with, or (n = 67) two SPF, 64
 * DKIM signatures and DMARC, the receiver's word being word. */
static void make(struct hopmade *m, uint64_t number, const char *subject, const char *mail_from,
                 const char *author, size_t n, const char *word)
{
	memset(m, 0, sizeof *m);
	m->hop.number = number;
	m->hop.client = (struct ss_addr){SS_AF_INET, {10, 0, 0, 1}};
	m->hop.server = (struct ss_addr){SS_AF_INET, {10, 0, 0, 2}};
	m->hop.subject = (char *)subject;
	m->hop.mail_from = (char *)mail_from;
	m->hop.author = (char *)author;
	m->hop.message_id = (char *)author;
	m->hop.frame = number;
	m->hop.ts = (int64_t)number;
	m->h.hop = &m->hop;
	m->h.role = V_ROLE_CHECKING;
	m->h.checks = m->checks;
	m->h.nchecks = n;
	for (size_t i = 0; i < n; i++) {
		enum v_method meth = n == 1 || i == n - 1 ? V_DMARC : i < 2 ? V_SPF : V_DKIM;
		struct verdict *v = verdict_new(meth);
		verdict_set(v, V_FAIL, "because");
		if (meth == V_SPF)
			verdict_prop(v, "identity", "%s", i ? "helo" : "mailfrom");
		if (meth == V_DKIM) {
			verdict_domain(v, "y.test");
			verdict_selector(v, "s1");
		}
		m->theirs[i].method = meth;
		m->theirs[i].word = (char *)word;
		m->checks[i] = (struct v_check){v, &m->theirs[i], V_AGREE, NULL};
	}
}

static void unmake(struct hopmade *m)
{
	for (size_t i = 0; i < m->h.nchecks; i++)
		verdict_free(m->checks[i].ours);
}

/* What vsummary_save writes, in a string (malloc'd). */
static char *saved(struct vsummary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char err[300];
	if (vsummary_save(s, f, "mem", err, sizeof err))
		printf("  save: %s\n", err);
	fclose(f);
	return buf;
}

/* An ordinary hop's line is the form vsummary.h gives, unchanged. */
static void ordinary_line(void)
{
	struct timeline_opts o = {0, 0, 0, 0};
	struct vsummary *s = vsummary_new_opts(1, VSUMMARY_MEM_DEFAULT);
	struct hopmade *m = malloc(sizeof *m);
	make(m, 1, "scenario4-4 (mail from user1@x.test)", "user1@a.test", "user1@x.test", 1,
	     "fail");
	vsummary_add(s, &m->h, &o);
	char *f = saved(s);
	const char *want =
	    "\nscenario4-4 (mail from user1@x.test) | 10.0.0.1 > 10.0.0.2 checking | "
	    "user1@a.test | user1@x.test | dmarc fail / fail agree\n";
	CHECK(f && strstr(f, want) && !strstr(f, "[cut]"));
	free(f);
	unmake(m);
	free(m);
	vsummary_free(s);
}

/* A hop with 60K texts and 67 checks: each line holds the first
 * VSUMMARY_MAX_FIELD bytes of each text and the mark, so under 2K; there
 * is a line per check. */
static void hostile_hop(void)
{
	struct timeline_opts o = {0, 0, 0, 0};
	char *big = malloc(BIG + 1);
	memset(big, 'x', BIG);
	big[BIG] = 0;
	struct vsummary *s = vsummary_new_opts(1, VSUMMARY_MEM_DEFAULT);
	struct hopmade *m = malloc(sizeof *m);
	make(m, 1, big, big, big, 67, big);
	vsummary_add(s, &m->h, &o);
	char *f = saved(s);
	size_t lines = 0, longest = 0, marked = 0;
	char field[VSUMMARY_MAX_FIELD + 16];
	memset(field, 'x', VSUMMARY_MAX_FIELD);
	strcpy(field + VSUMMARY_MAX_FIELD, VSUMMARY_CUT_MARK " |");
	for (char *p = f, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (*p == '#')
			continue;
		lines++;
		longest = (size_t)(nl - p) > longest ? (size_t)(nl - p) : longest;
		marked += !strncmp(p, field, strlen(field));
	}
	printf("a hop of 67 checks with 60K texts: %zu lines, the longest %zu bytes; %llu bytes "
	       "counted\n",
	       lines, longest, (unsigned long long)vsummary_mem(s));
	CHECK(lines == 67 && marked == 67 && longest < 2048);
	CHECK(vsummary_mem(s) < 67 * 2048 + 8192);
	free(f);
	unmake(m);
	free(m);
	free(big);
	vsummary_free(s);
}

/* Without a CI option no line is kept: 1000 hops take their rows alone. */
static void lines_only_when_read(void)
{
	struct timeline_opts o = {0, 0, 0, 0};
	struct vsummary *s = vsummary_new_opts(0, VSUMMARY_MEM_DEFAULT);
	struct hopmade *m = malloc(sizeof *m);
	for (uint64_t n = 1; n <= 1000; n++) {
		make(m, n, "s", "a@a.test", "b@b.test", 67, "fail");
		vsummary_add(s, &m->h, &o);
		unmake(m);
	}
	char *f = saved(s);
	size_t lines = 0;
	for (char *p = f; p && (p = strchr(p, '\n')); p++)
		lines += p[1] && p[1] != '#';
	printf("1000 hops, no CI option: %llu bytes counted, %zu lines\n",
	       (unsigned long long)vsummary_mem(s), lines);
	CHECK(lines == 0);
	/* a row: the struct, two short texts, three cells of at most 1000 */
	CHECK(vsummary_mem(s) < 1000 * 2200);
	free(f);
	free(m);
	vsummary_free(s);
}

/* 1000 such hops against a 1M cap: what is counted and what malloc holds
 * stay within it, the rest is left out and said once, and the file says
 * how many verdicts it lacks. */
static void within_cap(int lines)
{
	const uint64_t cap = 1u << 20;
	struct timeline_opts o = {0, 0, 0, 0};
	char *big = malloc(BIG + 1);
	memset(big, 'x', BIG);
	big[BIG] = 0;
	ss_event_sink(on_event, NULL);
	nevents = 0;
	struct hopmade *m = malloc(sizeof *m);
	size_t before = heap();
	struct vsummary *s = vsummary_new_opts(lines, cap);
	for (uint64_t n = 1; n <= 1000; n++) {
		make(m, n, big, big, big, 67, big);
		vsummary_add(s, &m->h, &o);
		unmake(m);
	}
	size_t used = heap() - before;
	printf("1000 such hops, lines %d, cap 1M: %llu counted, malloc holds %zu, %llu verdicts "
	       "left out, %u event(s): %s\n",
	       lines, (unsigned long long)vsummary_mem(s), used,
	       (unsigned long long)vsummary_left_out(s), nevents, detail);
	CHECK(vsummary_mem(s) <= cap);
	CHECK(!GLIBC_MALLOC || used <= cap + 4096);
	CHECK(nevents == 1);
	CHECK(lines ? vsummary_left_out(s) > 0 && vsummary_left_out(s) % 67 == 0
	            : vsummary_left_out(s) == 0);
	if (lines) {
		char *f = saved(s);
		char want[100];
		snprintf(want, sizeof want, "\n# %llu verdicts left out",
		         (unsigned long long)vsummary_left_out(s));
		CHECK(f && strstr(f, want));
		free(f);
	}
	ss_event_sink(NULL, NULL);
	vsummary_free(s);
	free(m);
	free(big);
}

int main(void)
{
	ordinary_line();
	hostile_hop();
	lines_only_when_read();
	within_cap(1);
	within_cap(0);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
