/* test_logfile.c - --log FILE: every lab log (the files beside
 * pcaps/NAME.pcap, as the lab's logserver wrote them) read whole must give
 * exactly its lines - host, app, pid and message bytes as the file's
 * columns hold them, each line's time as libc's timegm() reads the file's
 * ISO 8601 stamp, several checked by hand; the same lines rewritten as a
 * traditional syslog file, journalctl's short-iso and short-precise, RFC
 * 3164 and RFC 5424 lines must give the same times with --log-year and
 * --log-tz (an offset, and local time through TZ); a journal export with
 * text and binary fields; two files merged in time order, emitted up to a
 * time; lines without a time; New Year; cut lines, a 1 GiB line read in
 * bounded memory; files that cannot be read; and garbage.
 *
 * Scratch files go to a mkdtemp() directory, removed at the end.
 * Usage: test_logfile SRCDIR
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "logfile.h"
#include "maillog.h"
#include "sstime.h"

/* ---- what the sink saw ---- */

struct got {
	char *host, *app, *msg, *timestamp, *file;
	size_t msg_len;
	long long pid;
	int facility, severity, timed, cut;
	uint64_t line;
	int64_t ts;
	int kind; /* maillog_parse() */
};

static struct got *gots;
static size_t ngot, capgot;

static char *dup_s(struct ss_str s)
{
	char *p = malloc(s.len + 1);
	if (s.len)
		memcpy(p, s.p, s.len);
	p[s.len] = 0;
	return p;
}

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	CHECK(r->kind == REC_LOG && r->flow == NULL && r->u.log.frame == 0);
	const struct rec_log *l = &r->u.log;
	if (ngot == capgot) {
		capgot = capgot ? capgot * 2 : 256;
		gots = realloc(gots, capgot * sizeof *gots);
	}
	struct got *g = &gots[ngot++];
	g->host = dup_s(l->host);
	g->app = dup_s(l->app);
	g->msg = dup_s(l->message);
	g->msg_len = l->message.len;
	g->timestamp = dup_s(l->timestamp);
	g->file = strdup(l->file ? l->file : "(null)");
	g->pid = l->pid;
	g->facility = l->facility;
	g->severity = l->severity;
	g->timed = l->timed;
	g->cut = l->cut;
	g->line = l->line;
	g->ts = l->ts;
	struct maillog m;
	g->kind = maillog_parse(l, &m);
}

static void reset(void)
{
	for (size_t i = 0; i < ngot; i++) {
		free(gots[i].host);
		free(gots[i].app);
		free(gots[i].msg);
		free(gots[i].timestamp);
		free(gots[i].file);
	}
	ngot = 0;
}

static char scratch[256];

static const char *scratch_path(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", scratch, name);
	return p[k];
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (!CHECK(fp != NULL))
		return;
	CHECK(fwrite(p, 1, n, fp) == n);
	fclose(fp);
}

static void write_text(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

/* Reads the files whole (until INT64_MAX) with year and tz; returns the
 * number of records, -1 when logfile_open() fails. */
static long read_all(const char **paths, size_t n, int year, const char *tz, size_t max_line)
{
	reset();
	char err[256];
	struct logfile_opts o = {paths, n, year, tz, max_line};
	struct logfile *lf = logfile_open(&o, err, sizeof err);
	if (!lf) {
		printf("  logfile_open: %s\n", err);
		return -1;
	}
	logfile_emit_until(lf, INT64_MAX);
	struct logfile_stats st;
	logfile_stats(lf, &st);
	CHECK(st.lines == ngot && !st.error[0]);
	logfile_close(lf);
	return (long)ngot;
}

static long read_one(const char *path, int year, const char *tz, size_t max_line)
{
	return read_all(&path, 1, year, tz, max_line);
}

/* ---- the lab's files ---- */

struct want {
	char *line; /* the file's text */
	char host[64], app[64];
	long long pid;
	const char *msg; /* the message column, one SP dropped */
	int64_t ts;
	char wall[32]; /* "2026-12-06T18:28:00.264752" */
};

/* The time of "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" by libc. */
static int64_t iso_ns(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int us = 0, oh = 0, om = 0;
	char sign = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6d%c%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &sign, &oh, &om) != 10)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t sec = (int64_t)timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return sec * 1000000000 + (int64_t)us * 1000;
}

/* The file's lines by its columns: TIME SP HOST(24) SP TAG(24) MSG. */
static size_t load_want(const char *path, struct want **out)
{
	FILE *fp = fopen(path, "rb");
	*out = NULL;
	if (!CHECK(fp != NULL))
		return 0;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, fp)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = 0;
		*out = realloc(*out, (n + 1) * sizeof **out);
		struct want *w = &(*out)[n++];
		memset(w, 0, sizeof *w);
		w->line = strdup(line);
		char *rest = strchr(w->line, ' ');
		if (!CHECK(rest && strlen(rest) > 50))
			continue;
		rest++;
		w->ts = iso_ns(w->line);
		memcpy(w->wall, w->line, 26);
		memcpy(w->host, rest, 24);
		for (int i = 23; i >= 0 && w->host[i] == ' '; i--)
			w->host[i] = 0;
		char tag[32] = {0};
		memcpy(tag, rest + 25, 24);
		for (int i = 23; i >= 0 && (tag[i] == ' ' || tag[i] == ':'); i--)
			tag[i] = 0;
		char *open = strchr(tag, '[');
		w->pid = -1;
		if (open) {
			*open = 0;
			w->pid = atoll(open + 1);
		}
		snprintf(w->app, sizeof w->app, "%s", tag);
		w->msg = rest + 50;
	}
	free(line);
	fclose(fp);
	return n;
}

static void free_want(struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].line);
	free(w);
}

static void test_lab_files(const char *src)
{
	static const char *const files[] = {"imap.log",
	                                    "journey.log",
	                                    "lmtp.log",
	                                    "pop3.log",
	                                    "scenario1-1.log",
	                                    "scenario1-2.log",
	                                    "scenario2-1.log",
	                                    "scenario2-2.log",
	                                    "scenario3-1.log",
	                                    "scenario3-2.log",
	                                    "scenario4-1.log",
	                                    "scenario4-2.log",
	                                    "scenario4-3.log",
	                                    "scenario4-4.log",
	                                    "opendkim/imap.log",
	                                    "opendkim/pop3.log",
	                                    "opendkim/scenario1-1.log",
	                                    "opendkim/scenario1-2.log",
	                                    "opendkim/scenario2-1.log",
	                                    "opendkim/scenario2-2.log",
	                                    "opendkim/scenario3-1.log",
	                                    "opendkim/scenario3-2.log",
	                                    "opendkim/scenario4-1.log",
	                                    "opendkim/scenario4-2.log",
	                                    "opendkim/scenario4-3.log",
	                                    "opendkim/scenario4-4.log",
	                                    "starttls/scenario4-4.log"};
	size_t total = 0;
	for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/pcaps/%s", src, files[fi]);
		struct want *w;
		size_t n = load_want(path, &w);
		/* the zone must not matter: every line gives its own */
		long got = read_one(path, 0, fi % 2 ? "UTC" : "-05:00", 0);
		if (!CHECK(got == (long)n))
			printf("  %s: %ld records, %zu lines\n", files[fi], got, n);
		for (size_t i = 0; i < n && i < ngot; i++) {
			const struct got *g = &gots[i];
			int ok = CHECK(!strcmp(g->host, w[i].host));
			ok &= CHECK(!strcmp(g->app, w[i].app) && g->pid == w[i].pid);
			ok &= CHECK(g->msg_len == strlen(w[i].msg) && !strcmp(g->msg, w[i].msg));
			ok &= CHECK(g->timed && g->ts == w[i].ts && w[i].ts > 0);
			ok &= CHECK(g->line == i + 1 && !strcmp(g->file, path) && !g->cut);
			ok &= CHECK(g->facility == -1 && !strncmp(g->timestamp, w[i].line, 32));
			if (!ok)
				printf("  %s:%zu: %s\n", files[fi], i + 1, w[i].line);
		}
		total += n;
		free_want(w, n);
	}
	CHECK(total == 1296);

	/* by hand, from the files' text */
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/journey.log", src);
	CHECK(read_one(path, 0, NULL, 0) == 101);
	/* 2026-12-06T18:28:00.264752+09:00 = 2026-12-06T09:28:00.264752Z */
	CHECK(gots[0].ts == INT64_C(1796549280264752000));
	CHECK(!strcmp(gots[0].host, "dns.test") && !strcmp(gots[0].app, "pdns_recursor"));
	CHECK(gots[0].pid == 29891);
	CHECK(!strcmp(gots[0].msg, "NOERROR   (   client.a.test) dkim.smtp.a.test.         \t     "
	                           "\tIN\tAAAA\t "));
	/* line 101: 2026-12-06T18:28:02.989689+09:00, dovecot without a pid */
	CHECK(gots[100].ts == INT64_C(1796549282989689000) && gots[100].pid == -1);
	CHECK(!strcmp(gots[100].app, "dovecot") && gots[100].kind == ML_LOGOUT);
	/* line 35 ends in the CR rspamd logged, which the file kept */
	CHECK(gots[34].msg_len > 0 && gots[34].msg[gots[34].msg_len - 1] == '\r');
	CHECK(gots[81].kind == ML_DELIVERY && gots[96].kind == ML_DELIVERY);
	snprintf(path, sizeof path, "%s/pcaps/lmtp.log", src);
	CHECK(read_one(path, 0, NULL, 0) == 12);
	/* 2026-12-06T20:28:12.319261+09:00 */
	CHECK(gots[0].ts == INT64_C(1796556492319261000) && gots[0].kind == ML_PICKUP);
	snprintf(path, sizeof path, "%s/pcaps/opendkim/scenario4-4.log", src);
	CHECK(read_one(path, 0, NULL, 0) == 43);
	/* line 18: policyd-spf's message begins ": prepend" after the padding */
	CHECK(!strcmp(gots[17].app, "policyd-spf") && gots[17].kind == ML_VERDICT);
	CHECK(!strncmp(gots[17].msg, ": prepend Received-SPF: Pass (mailfrom)", 39));
}

/* ---- the same lines in other formats ---- */

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

enum form { TRAD, TRAD_PRECISE, SHORT_ISO, SHORT_ISO_PRECISE, RFC3164, RFC5424, FORWARD };

/* journey.log rewritten in form f, the wall clock (+09:00) kept. */
static void rewrite(const struct want *w, size_t n, enum form f, const char *path)
{
	FILE *fp = fopen(path, "wb");
	if (!CHECK(fp != NULL))
		return;
	for (size_t i = 0; i < n; i++) {
		int y, mo, d, h, mi, s, us;
		sscanf(w[i].wall, "%4d-%2d-%2dT%2d:%2d:%2d.%6d", &y, &mo, &d, &h, &mi, &s, &us);
		char tag[80];
		if (w[i].pid >= 0)
			snprintf(tag, sizeof tag, "%s[%lld]:", w[i].app, w[i].pid);
		else
			snprintf(tag, sizeof tag, "%s:", w[i].app);
		switch (f) {
		case TRAD:
			fprintf(fp, "%s %2d %02d:%02d:%02d %s %s %s\n", month_names[mo - 1], d, h,
			        mi, s, w[i].host, tag, w[i].msg);
			break;
		case TRAD_PRECISE: /* journalctl -o short-precise: the day 0-padded */
			fprintf(fp, "%s %02d %02d:%02d:%02d.%06d %s %s %s\n", month_names[mo - 1],
			        d, h, mi, s, us, w[i].host, tag, w[i].msg);
			break;
		case SHORT_ISO:
			fprintf(fp, "%04d-%02d-%02dT%02d:%02d:%02d+0900 %s %s %s\n", y, mo, d, h,
			        mi, s, w[i].host, tag, w[i].msg);
			break;
		case SHORT_ISO_PRECISE:
			fprintf(fp, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0900 %s %s %s\n", y, mo, d,
			        h, mi, s, us, w[i].host, tag, w[i].msg);
			break;
		case RFC3164:
			fprintf(fp, "<22>%s %2d %02d:%02d:%02d %s %s %s\n", month_names[mo - 1], d,
			        h, mi, s, w[i].host, tag, w[i].msg);
			break;
		case RFC5424:
			fprintf(
			    fp,
			    "<22>1 %04d-%02d-%02dT%02d:%02d:%02d.%06d+09:00 %s %s %lld - - %s\n", y,
			    mo, d, h, mi, s, us, w[i].host, w[i].app, w[i].pid, w[i].msg);
			break;
		case FORWARD: /* RSYSLOG_ForwardFormat, no zone: --log-tz */
			fprintf(fp, "<22>%04d-%02d-%02dT%02d:%02d:%02d.%06d %s %s %s\n", y, mo, d,
			        h, mi, s, us, w[i].host, tag, w[i].msg);
			break;
		}
	}
	fclose(fp);
}

static void test_formats(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/journey.log", src);
	struct want *w;
	size_t n = load_want(path, &w);
	if (!CHECK(n == 101))
		return;
	static const struct {
		enum form f;
		int year;
		const char *tz;
		int exact; /* the form keeps the microseconds */
		int pri;
	} cases[] = {
	    {TRAD, 2026, "+09:00", 0, 0},
	    {TRAD, 2026, "+0900", 0, 0},
	    {TRAD, 2026, "local", 0, 0}, /* TZ=JST-9 below */
	    {TRAD, 2026, NULL, 0, 0},
	    {TRAD, 0, "+09", 0, 0}, /* the year of the capture (until, below) */
	    {TRAD_PRECISE, 2026, "+09:00", 1, 0},
	    {SHORT_ISO, 0, "UTC", 0, 0}, /* the line's zone wins */
	    {SHORT_ISO_PRECISE, 0, "-05:00", 1, 0},
	    {RFC3164, 2026, "+09:00", 0, 1},
	    {RFC5424, 1999, "UTC", 1, 1},
	    {FORWARD, 0, "+09:00", 1, 1},
	};
	setenv("TZ", "JST-9", 1);
	tzset();
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const char *p = scratch_path("rewritten.log");
		rewrite(w, n, cases[c].f, p);
		reset();
		char err[256];
		struct logfile_opts o = {&p, 1, cases[c].year, cases[c].tz, 0};
		struct logfile *lf = logfile_open(&o, err, sizeof err);
		if (!CHECK(lf != NULL))
			continue;
		/* the capture begins at journey.log's first line */
		logfile_emit_until(lf, w[0].ts - 1000000000);
		CHECK(ngot == 0);
		logfile_emit_until(lf, INT64_MAX);
		logfile_close(lf);
		if (!CHECK(ngot == n))
			printf("  case %zu: %zu records\n", c, ngot);
		int bad = 0;
		for (size_t i = 0; i < n && i < ngot; i++) {
			int64_t want = cases[c].exact ? w[i].ts : w[i].ts / 1000000000 * 1000000000;
			const struct got *g = &gots[i];
			int ok = g->timed && g->ts == want && !strcmp(g->host, w[i].host);
			ok = ok && !strcmp(g->app, w[i].app) && g->pid == w[i].pid;
			ok = ok && g->msg_len == strlen(w[i].msg) &&
			     !memcmp(g->msg, w[i].msg, g->msg_len);
			ok = ok && (cases[c].pri ? g->facility == 2 && g->severity == 6
			                         : g->facility == -1);
			if (!ok && bad++ < 3)
				printf("  case %zu line %zu: ts %lld want %lld, %s|%s|%lld|%s\n", c,
				       i + 1, (long long)g->ts, (long long)want, g->host, g->app,
				       g->pid, g->msg);
		}
		CHECK(bad == 0);
	}
	unsetenv("TZ");
	tzset();
	free_want(w, n);
}

/* ---- journalctl -o export ---- */

static void test_export(void)
{
	/* two entries; the second's MESSAGE is binary (it holds an LF) */
	static const char text1[] = "__CURSOR=s=abc;i=1\n"
	                            "__REALTIME_TIMESTAMP=1796549281707560\n"
	                            "__MONOTONIC_TIMESTAMP=12345\n"
	                            "_BOOT_ID=0123\n"
	                            "PRIORITY=6\n"
	                            "SYSLOG_FACILITY=2\n"
	                            "SYSLOG_IDENTIFIER=postfix/qmgr\n"
	                            "_PID=31297\n"
	                            "SYSLOG_PID=31296\n"
	                            "_COMM=qmgr\n"
	                            "_HOSTNAME=dkim.smtp.a.test\n"
	                            "MESSAGE=8B32A108DAE: removed\n"
	                            "\n"
	                            "__CURSOR=s=abc;i=2\n"
	                            "__REALTIME_TIMESTAMP=1796549281747273\n"
	                            "PRIORITY=3\n"
	                            "_COMM=dovecot\n"
	                            "_PID=77\n"
	                            "_HOSTNAME=imap.b.test\n"
	                            "MESSAGE\n";
	static const char msg2[] = "two\nlines";
	static const char text2[] = "\n"
	                            "_SOURCE_REALTIME_TIMESTAMP=1\n"
	                            "\n"
	                            "__CURSOR=s=abc;i=3\n"
	                            "MESSAGE=no time\n";
	char buf[2048];
	size_t n = 0;
	memcpy(buf, text1, sizeof text1 - 1);
	n += sizeof text1 - 1;
	uint64_t len = sizeof msg2 - 1;
	for (int i = 0; i < 8; i++)
		buf[n++] = (char)(len >> (8 * i));
	memcpy(buf + n, msg2, len);
	n += len;
	memcpy(buf + n, text2, sizeof text2 - 1);
	n += sizeof text2 - 1;
	const char *p = scratch_path("export.journal");
	write_file(p, buf, n);
	if (!CHECK(read_one(p, 0, NULL, 0) == 3))
		return;
	const struct got *g = &gots[0];
	CHECK(g->line == 1 && g->timed && g->ts == INT64_C(1796549281707560000));
	CHECK(!strcmp(g->host, "dkim.smtp.a.test") && !strcmp(g->app, "postfix/qmgr"));
	CHECK(g->pid == 31296 && g->facility == 2 && g->severity == 6);
	CHECK(!strcmp(g->msg, "8B32A108DAE: removed") && g->kind == ML_REMOVED);
	CHECK(!strcmp(g->timestamp, "1796549281707560"));
	g = &gots[1];
	CHECK(g->line == 14 && g->ts == INT64_C(1796549281747273000) && g->timed);
	CHECK(!strcmp(g->app, "dovecot") && g->pid == 77 && g->facility == -1 && g->severity == 3);
	CHECK(g->msg_len == 9 && !memcmp(g->msg, "two\nlines", 9));
	/* the LF inside the binary MESSAGE counts as a line's end, as does the
	 * field's own LF ("lines" LF), then "_SOURCE_REALTIME_TIMESTAMP=1"
	 * (entry 2 still) and the empty line: the third entry begins at 25 */
	g = &gots[2];
	CHECK(!g->timed && g->ts == gots[1].ts && !strcmp(g->msg, "no time"));
	if (!CHECK(g->line == 25 && g->host[0] == 0))
		printf("  line %llu host %s\n", (unsigned long long)g->line, g->host);

	/* a MESSAGE longer than max_line is cut there; a binary field whose
	 * length goes past the file's end ends the file, and the entry read so
	 * far is one still */
	char big[600];
	int k = snprintf(big, sizeof big, "__CURSOR=x\n__REALTIME_TIMESTAMP=1000000\nMESSAGE=");
	memset(big + k, 'm', 300);
	k += 300;
	k += snprintf(big + k, sizeof big - (size_t)k, "\n\n__CURSOR=y\nMESSAGE\n");
	memcpy(big + k,
	       "\xff\xff\xff\xff\xff\xff\xff\x7f"
	       "abc",
	       11);
	k += 11;
	write_file(p, big, (size_t)k);
	CHECK(read_one(p, 0, NULL, 100) == 2);
	CHECK(ngot == 2 && gots[0].cut && gots[0].msg_len == 100 && gots[0].ts == 1000000000);
	CHECK(ngot == 2 && !gots[1].timed && gots[1].msg_len == 0 && gots[1].line == 5);
}

/* ---- merging ---- */

static void test_merge(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/journey.log", src);
	struct want *w;
	size_t n = load_want(path, &w);
	if (!CHECK(n == 101))
		return;
	/* the DNS server's lines in one file, the rest in another */
	const char *pa = scratch_path("dns.log"), *pb = scratch_path("mail.log");
	FILE *a = fopen(pa, "wb"), *b = fopen(pb, "wb");
	size_t na = 0;
	for (size_t i = 0; i < n; i++) {
		FILE *to = !strcmp(w[i].host, "dns.test") ? a : b;
		na += to == a;
		fprintf(to, "%s\n", w[i].line);
	}
	fclose(a);
	fclose(b);
	const char *both[] = {pb, pa};
	CHECK(read_all(both, 2, 0, NULL, 0) == 101);
	size_t ia = 0, ib = 0, sorted = 1;
	for (size_t i = 0; i < ngot; i++) {
		if (i && gots[i].ts < gots[i - 1].ts)
			sorted = 0;
		/* each file's lines come in its own order */
		int from_a = !strcmp(gots[i].file, pa);
		while (ia < n && strcmp(w[ia].host, "dns.test"))
			ia++;
		while (ib < n && !strcmp(w[ib].host, "dns.test"))
			ib++;
		size_t at = from_a ? ia++ : ib++;
		CHECK(at < n && gots[i].ts == w[at].ts && !strcmp(gots[i].msg, w[at].msg));
	}
	CHECK(sorted && na == 17);

	/* emitted up to a time: the lines at or before it, no more */
	reset();
	char err[256];
	struct logfile_opts o = {both, 2, 0, NULL, 0};
	struct logfile *lf = logfile_open(&o, err, sizeof err);
	if (CHECK(lf != NULL)) {
		int64_t cut = w[49].ts; /* line 50 */
		size_t want = 0;
		for (size_t i = 0; i < n; i++)
			want += w[i].ts <= cut;
		logfile_emit_until(lf, cut);
		CHECK(ngot == want && want >= 50);
		for (size_t i = 0; i < ngot; i++)
			CHECK(gots[i].ts <= cut);
		logfile_emit_until(lf, cut); /* nothing more */
		CHECK(ngot == want);
		logfile_emit_until(lf, INT64_MAX);
		CHECK(ngot == n);
		logfile_close(lf);
	}
	free_want(w, n);

	/* lines without a time go with the line before them in their file */
	const char *pc = scratch_path("c.log"), *pd = scratch_path("d.log");
	write_text(pc, "2026-12-06T18:00:01Z h a: one\n"
	               "no time here\n"
	               "\n"
	               "2026-12-06T18:00:03Z h a: three\n");
	write_text(pd, "first, with no time\n"
	               "2026-12-06T18:00:02.5Z h b[7]: two\n");
	const char *cd[] = {pc, pd};
	reset();
	o.paths = cd;
	lf = logfile_open(&o, err, sizeof err);
	if (CHECK(lf != NULL)) {
		logfile_emit_until(lf, 0); /* before every time: the lone untimed line */
		CHECK(ngot == 1 && !strcmp(gots[0].msg, "first, with no time") && !gots[0].timed);
		CHECK(gots[0].ts == 0 && gots[0].line == 1 && gots[0].host[0] == 0);
		logfile_emit_until(lf, INT64_C(1796580002500000000)); /* two's time */
		CHECK(ngot == 4);
		if (ngot == 4) {
			CHECK(!strcmp(gots[1].msg, "one") && gots[1].timed);
			CHECK(!strcmp(gots[2].msg, "no time here") && !gots[2].timed);
			CHECK(gots[2].ts == gots[1].ts && gots[2].line == 2);
			CHECK(!strcmp(gots[3].msg, "two") && gots[3].pid == 7);
			CHECK(gots[3].ts == INT64_C(1796580002500000000));
		}
		logfile_emit_until(lf, INT64_MAX);
		CHECK(ngot == 5 && !strcmp(gots[4].msg, "three") && gots[4].line == 4);
		struct logfile_stats st;
		logfile_stats(lf, &st);
		CHECK(st.lines == 5 && st.untimed == 2 && st.cut == 0);
		logfile_close(lf);
	}
}

/* ---- New Year ---- */

static void test_new_year(void)
{
	const char *p = scratch_path("newyear.log");
	write_text(p, "Dec 31 23:59:58 h a: old\n"
	              "Jan  1 00:00:02 h a: new\n"
	              "Feb  1 00:00:00 h a: later\n");
	/* 2026-12-31T23:59:58Z, 2027-01-01T00:00:02Z, 2027-02-01T00:00:00Z */
	CHECK(read_one(p, 2026, "UTC", 0) == 3);
	CHECK(gots[0].ts == INT64_C(1798761598000000000));
	CHECK(gots[1].ts == INT64_C(1798761602000000000));
	CHECK(gots[2].ts == INT64_C(1801440000000000000));
	/* no --log-year: the capture's; a capture in January 2027 takes the
	 * December line for 2026 */
	reset();
	char err[256];
	struct logfile_opts o = {&p, 1, 0, "UTC", 0};
	struct logfile *lf = logfile_open(&o, err, sizeof err);
	if (CHECK(lf != NULL)) {
		logfile_emit_until(lf, INT64_C(1798761610000000000)); /* 2027-01-01T00:00:10Z */
		CHECK(ngot == 2 && gots[0].ts == INT64_C(1798761598000000000));
		logfile_emit_until(lf, INT64_MAX);
		CHECK(ngot == 3 && gots[2].ts == INT64_C(1801440000000000000));
		logfile_close(lf);
	}
	/* nothing to go by but the file: its modification time's year */
	struct timeval tv[2] = {{1793534400, 0}, {1793534400, 0}}; /* 2026-11-01T12:00:00Z */
	CHECK(!utimes(p, tv));
	CHECK(read_one(p, 0, "UTC", 0) == 3 && gots[0].ts == INT64_C(1798761598000000000));
	/* a log quiet for months stays in its year: only a month more than 6
	 * months before the line before's starts the next */
	write_text(p, "Jan 10 00:00:00 h a: winter\nSep  3 00:00:00 h a: autumn\n"
	              "Mar  3 00:00:00 h a: six months back\n");
	CHECK(read_one(p, 2026, "UTC", 0) == 3);
	CHECK(gots[0].ts == INT64_C(1768003200000000000)); /* 2026-01-10 */
	CHECK(gots[1].ts == INT64_C(1788393600000000000)); /* 2026-09-03 */
	CHECK(gots[2].ts == INT64_C(1772496000000000000)); /* 2026-03-03 */
	write_text(p, "Sep  3 00:00:00 h a: autumn\nFeb  1 00:00:00 h a: seven back\n"
	              "Mar  1 00:00:00 h a: spring\n");
	CHECK(read_one(p, 2026, "UTC", 0) == 3);
	CHECK(gots[1].ts == INT64_C(1801440000000000000)); /* 2027-02-01 */
	CHECK(gots[2].ts == INT64_C(1803859200000000000)); /* 2027-03-01 */
	/* a leap day */
	write_text(p, "Feb 29 12:00:00 h a: leap\nFeb 29 12:00:00 h a: again\n");
	CHECK(read_one(p, 2028, "UTC", 0) == 2 && gots[0].timed);
	CHECK(gots[0].ts == INT64_C(1835438400000000000));
	CHECK(read_one(p, 2027, "UTC", 0) == 2 && !gots[0].timed && !gots[1].timed);
}

/* ---- line shapes ---- */

static void test_shapes(void)
{
	const char *p = scratch_path("shapes.log");
	write_text(p, "Dec  6 18:28:00 postfix/smtpd[5]: connect from x[192.0.2.1]\n"
	              "Dec  6 18:28:01 host kernel: [ 1.5] no pid\n"
	              "Dec  6 18:28:02 host tagless message\n"
	              "2026-12-06T18:28:03.5+09:00 host app[x]:\n"
	              "Dec  6 18:28:04\n");
	CHECK(read_one(p, 2026, "+09:00", 0) == 5);
	/* no host: the first word is the tag */
	CHECK(gots[0].host[0] == 0 && !strcmp(gots[0].app, "postfix/smtpd") && gots[0].pid == 5);
	CHECK(!strcmp(gots[0].msg, "connect from x[192.0.2.1]") && gots[0].kind == ML_CONNECT);
	CHECK(gots[0].ts == INT64_C(1796549280000000000));
	CHECK(!strcmp(gots[1].host, "host") && !strcmp(gots[1].app, "kernel"));
	CHECK(gots[1].pid == -1 && !strcmp(gots[1].msg, "[ 1.5] no pid"));
	/* a word without a colon is taken for the tag, as syslog_parse() does */
	CHECK(!strcmp(gots[2].app, "tagless") && !strcmp(gots[2].msg, "message"));
	CHECK(!strcmp(gots[3].app, "app") && gots[3].pid == -1 && gots[3].msg_len == 0);
	CHECK(gots[3].ts == INT64_C(1796549283500000000));
	CHECK(gots[4].timed && gots[4].host[0] == 0 && gots[4].app[0] == 0);
}

/* ---- caps and garbage ---- */

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_long_lines(void)
{
	const char *p = scratch_path("long.log");
	char line[400];
	int k = snprintf(line, sizeof line, "2026-12-06T18:00:01Z host app[1]: ");
	int head = k;
	memset(line + k, 'x', 200);
	k += 200;
	k += snprintf(line + k, sizeof line - (size_t)k,
	              "\n2026-12-06T18:00:02Z host app[2]: short\n");
	write_file(p, line, (size_t)k);
	CHECK(read_one(p, 0, NULL, 64) == 2);
	/* 64 bytes of the line: its header, then the message's first bytes */
	CHECK(gots[0].cut && gots[0].msg_len == (size_t)(64 - head) && gots[0].pid == 1);
	CHECK(gots[0].timed && gots[0].msg[0] == 'x');
	CHECK(!gots[1].cut && !strcmp(gots[1].msg, "short") && gots[1].line == 2);

	/* one line of 1 GiB (a sparse file): read through, held at max_line */
	const char *huge = scratch_path("huge.log");
	FILE *fp = fopen(huge, "wb");
	if (!CHECK(fp != NULL))
		return;
	CHECK(fputs("2026-12-06T18:00:01Z host app: ", fp) >= 0);
	CHECK(!ftruncate(fileno(fp), (off_t)1 << 30));
	fclose(fp);
	long before = maxrss_kb();
	CHECK(read_one(huge, 0, NULL, 1 << 20) == 1);
	long grew = maxrss_kb() - before;
	CHECK(ngot == 1 && gots[0].cut && gots[0].timed && gots[0].msg_len == (1 << 20) - 31);
	if (!CHECK(grew < 64 * 1024))
		printf("  reading a 1 GiB line grew the process by %ld KiB\n", grew);
	unlink(huge);
}

static void test_errors(void)
{
	char err[256];
	const char *missing = scratch_path("no-such.log");
	struct logfile_opts o = {&missing, 1, 0, NULL, 0};
	err[0] = 0;
	CHECK(logfile_open(&o, err, sizeof err) == NULL);
	CHECK(strstr(err, "no-such.log") && strstr(err, "No such file"));
	const char *dir = scratch;
	o.paths = &dir;
	CHECK(logfile_open(&o, err, sizeof err) == NULL && strstr(err, "directory"));
	const char *ok = scratch_path("ok.log");
	write_text(ok, "x\n");
	const char *two[] = {ok, missing};
	o.paths = two;
	o.npaths = 2;
	CHECK(logfile_open(&o, err, sizeof err) == NULL && strstr(err, "no-such.log"));
	o.npaths = 1;
	o.paths = &ok;
	static const char *const bad_tz[] = {"+25:00", "Mars", "+09:61", "9", "+", "Z+1", ""};
	for (size_t i = 0; i < sizeof bad_tz / sizeof bad_tz[0]; i++) {
		o.tz = bad_tz[i];
		err[0] = 0;
		CHECK(logfile_open(&o, err, sizeof err) == NULL && strstr(err, "--log-tz"));
	}
	static const char *const good_tz[] = {"UTC",   "utc", "Z",     "GMT", "+09:00",
	                                      "-0500", "+09", "local", NULL};
	for (size_t i = 0; i < sizeof good_tz / sizeof good_tz[0]; i++) {
		o.tz = good_tz[i];
		struct logfile *lf = logfile_open(&o, err, sizeof err);
		CHECK(lf != NULL);
		logfile_close(lf);
	}
	o.tz = NULL;
	o.year = 10000;
	CHECK(logfile_open(&o, err, sizeof err) == NULL && strstr(err, "--log-year"));
	/* no files: nothing to do */
	o.year = 0;
	o.npaths = 0;
	struct logfile *lf = logfile_open(&o, err, sizeof err);
	CHECK(lf != NULL);
	logfile_emit_until(lf, INT64_MAX);
	logfile_close(lf);
	logfile_close(NULL);
}

static void test_garbage(void)
{
	uint32_t seed = 777;
	size_t n = 1 << 20;
	uint8_t *buf = malloc(n);
	static const char pick[] = "<>[]:0123456789 -T.Z+\nDec 31 __CURSOR=MESSAGE\n";
	for (int round = 0; round < 6; round++) {
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (seed >> 16) % 3 ? (uint8_t)pick[(seed >> 8) % (sizeof pick - 1)]
			                          : (uint8_t)(seed >> 8);
		}
		if (round % 2) /* a journal export's first line, garbage after it */
			memcpy(buf, "__CURSOR=x\n", 11);
		if (round == 4) /* a binary field whose length is past the end */
			memcpy(buf + 11, "MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\xff", 16);
		const char *p = scratch_path("garbage.log");
		write_file(p, buf, n);
		long got = read_one(p, round, round % 3 ? "+01:00" : "local", 1 + round * 100);
		CHECK(got >= 0);
		for (size_t i = 0; i < ngot; i++) {
			CHECK(gots[i].ts >= 0 && gots[i].ts <= SS_TIME_MAX);
			CHECK(i == 0 || gots[i].line >= gots[i - 1].line);
		}
	}
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_logfile SRCDIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(scratch, sizeof scratch, "%s/ss-logfile-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	record_sink_add(sink, NULL);
	test_lab_files(argv[1]);
	test_formats(argv[1]);
	test_export();
	test_merge(argv[1]);
	test_new_year();
	test_shapes();
	test_long_lines();
	test_errors();
	test_garbage();
	reset();
	free(gots);
	static const char *const names[] = {
	    "rewritten.log", "export.journal", "dns.log",  "mail.log", "c.log",  "d.log",
	    "newyear.log",   "shapes.log",     "long.log", "huge.log", "ok.log", "garbage.log"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(scratch_path(names[i]));
	rmdir(scratch);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
