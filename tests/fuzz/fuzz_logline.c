/* fuzz_logline.c - --log files and maillog_parse() under a fuzzer. The
 * input is split at the first 0xff 0xfe into two files, read by logfile.c
 * merged (emitted up to three times, as the capture clock would), and each
 * record is read by maillog_parse(), described, and formatted as the
 * timeline and JSON show a log line, so every byte a record points to is
 * read. Then every line of the input (up to LF), each in an allocation of
 * its own so that ASan sees a byte read past it, goes through
 * maillog_parse() under each program's tag, reaching the parsers whatever
 * the file's header would have said.
 *
 * A first byte below 0x20 other than LF and TAB chooses the options: the
 * zone (UTC, +09:00, -05:30, local), the year (none or 2026), a small
 * --max-line.
 *
 * The two files live in memory (memfd_create, opened again by their
 * /proc/self/fd name), not on a disk: creating and truncating files on a
 * disk for each input cost three quarters of the time. Where that is not
 * possible, they go to a mkdtemp() directory. Their modification time,
 * which the year of a line without one is guessed from, is fixed at
 * 2026-12-06T09:28:01Z, so an input does the same whenever it is replayed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"
#include "logout.h"
#include "maillog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MTIME 1796549281 /* 2026-12-06T09:28:01Z */

static FILE *sink_out;
static struct text sink_text;
static char dir[256], path_a[300], path_b[300];
static int fd_a = -1, fd_b = -1; /* the memory files, when there are */

static void cleanup(void)
{
	if (fd_a >= 0)
		return;
	unlink(path_a);
	unlink(path_b);
	rmdir(dir);
}

/* A file in memory named path (/proc/self/fd/N); -1 when there is none. */
static int mem_file(char *path, size_t len)
{
	int fd = memfd_create("fuzz-logline", 0);
	if (fd < 0)
		return -1;
	snprintf(path, len, "/proc/self/fd/%d", fd);
	if (access(path, R_OK)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void files_init(void)
{
	fd_a = mem_file(path_a, sizeof path_a);
	fd_b = fd_a < 0 ? -1 : mem_file(path_b, sizeof path_b);
	if (fd_a >= 0 && fd_b >= 0)
		return;
	if (fd_a >= 0)
		close(fd_a);
	fd_a = fd_b = -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/fuzz-logline-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path_a, sizeof path_a, "%s/a.log", dir);
	snprintf(path_b, sizeof path_b, "%s/b.log", dir);
	atexit(cleanup);
}

static void show(const struct rec_log *l)
{
	struct maillog m;
	int kind = maillog_parse(l, &m);
	char words[300];
	maillog_describe(&m, words, sizeof words);
	fprintf(sink_out, "%s %s: %s\n", l->file ? l->file : "-", maillog_kind_name(kind), words);
}

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_LOG)
		return;
	show(&r->u.log);
	text_reset(&sink_text);
	logout_text(&sink_text, &r->u.log);
	if (sink_text.b.len)
		fwrite(sink_text.b.p, 1, sink_text.b.len, sink_out);
	fputc('\n', sink_out);
	logout_json(sink_out, &r->u.log);
	fputc('\n', sink_out);
}

/* Makes p[0..n) the contents of the file path (or fd, in memory). */
static int put(const char *path, int fd, const uint8_t *p, size_t n)
{
	const struct timespec t[2] = {{MTIME, 0}, {MTIME, 0}};
	if (fd >= 0) {
		if (ftruncate(fd, 0))
			return -1;
		for (size_t o = 0; o < n;) {
			ssize_t k = pwrite(fd, p + o, n - o, (off_t)o);
			if (k <= 0)
				return -1;
			o += (size_t)k;
		}
		return futimens(fd, t);
	}
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	int ok = fwrite(p, 1, n, fp) == n;
	if (fclose(fp) || !ok)
		return -1;
	return utimensat(AT_FDCWD, path, t, 0);
}

static void lines(const uint8_t *data, size_t size)
{
	static const char *const apps[] = {
	    "postfix/smtpd", "postfix/smtp", "postfix/cleanup", "postfix/qmgr", "dovecot",
	    "rspamd",        "opendkim",     "opendmarc",       "policyd-spf",  "pdns_recursor"};
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;
		uint8_t *own = malloc(n ? n : 1);
		if (!own)
			return;
		memcpy(own, data + i, n);
		for (size_t a = 0; a < sizeof apps / sizeof apps[0]; a++) {
			struct rec_log l;
			memset(&l, 0, sizeof l);
			l.facility = l.severity = -1;
			l.pid = -1;
			l.app.p = (const uint8_t *)apps[a];
			while (apps[a][l.app.len])
				l.app.len++;
			l.message.p = n ? own : NULL;
			l.message.len = n;
			show(&l);
		}
		free(own);
		i += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sink_out) {
		/* FUZZ_LOGLINE_SHOW=1: the records on stdout, to look at a seed. */
		sink_out = getenv("FUZZ_LOGLINE_SHOW") ? stdout : fopen("/dev/null", "w");
		if (!sink_out)
			abort();
		files_init();
		text_init(&sink_text);
		record_sink_add(sink, NULL);
	}
	static const char *const zones[] = {"UTC", "+09:00", "-05:30", "local"};
	struct logfile_opts o = {NULL, 2, 0, NULL, 0};
	if (size && data[0] < 0x20 && data[0] != '\n' && data[0] != '\t') {
		o.tz = zones[data[0] & 3];
		o.year = data[0] & 4 ? 2026 : 0;
		o.max_line = data[0] & 8 ? 40 : 0;
		data++, size--;
	}
	size_t split = size;
	for (size_t i = 0; i + 1 < size; i++)
		if (data[i] == 0xff && data[i + 1] == 0xfe) {
			split = i;
			break;
		}
	size_t rest = split < size ? split + 2 : size;
	if (put(path_a, fd_a, data, split) || put(path_b, fd_b, data + rest, size - rest))
		abort();
	const char *paths[] = {path_a, path_b};
	o.paths = paths;
	char err[256];
	struct logfile *lf = logfile_open(&o, err, sizeof err);
	if (!lf)
		abort(); /* both files are there and the options good */
	logfile_emit_until(lf, INT64_C(1796549281000000000)); /* 2026-12-06T09:28:01Z */
	logfile_emit_until(lf, INT64_C(1796549282000000000));
	logfile_emit_until(lf, INT64_MAX);
	struct logfile_stats st;
	logfile_stats(lf, &st);
	logfile_close(lf);
	lines(data, size);
	return 0;
}
