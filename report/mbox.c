/* mbox.c - --mbox FILE: every message in one mbox file (mboxrd).
 *
 * One file for any number of messages, which mail clients (mutt, Thunderbird
 * by import) and Python's mailbox.mbox open as a folder: where --export makes
 * a file per message, which is much of its cost when there are very many.
 * Each message is written as it is reported, whole (the dissectors hold each
 * message whole until its end), so memory stays that of one buffer:
 *
 *   From SENDER Www Mmm dd hh:mm:ss yyyy        (asctime form, UTC)
 *   the message, CRLF as LF, ">*From " lines quoted with one '>' more
 *   an empty line
 *
 * mbox is LF-based: a message's CRLF line ends are written as LF, bare LF
 * and CR stay as they are, so a message comes back (unquoted, LF as CRLF)
 * as carried unless it had bare LFs; --export keeps the bytes exactly.
 * mboxrd's quoting ("From " and ">From " and so on get one '>' more) can be
 * undone exactly, unlike mboxo's, which quotes only "From ". A message that
 * does not end with a line end gets one, as the empty line must be a line.
 * SENDER is the envelope sender (MAIL FROM), MAILER-DAEMON for the null
 * sender <>, and "-" for messages without an envelope (POP3, IMAP); its
 * spaces and control bytes become '_', so the line stays one word, and it
 * is cut at SENDER_MAX bytes. The time is the message's first frame's, in
 * UTC so that the file is the same wherever it is made.
 *
 * The file is made as --export makes its files (export_file_create():
 * opened once as a new file, O_EXCL and O_NOFOLLOW, mode 0600), in its
 * directory opened once. Writes go through one BUF_SIZE buffer, flushed with
 * write(2) when full: one system call per 256 KiB, not one per line. A write
 * that fails stops the output, and the run ends with exit 4.
 */
#define _GNU_SOURCE
#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "sstime.h"

#define BUF_SIZE (256u << 10)
#define SENDER_MAX 256 /* an address is at most 254 bytes (RFC 5321 4.5.3.1.3) */

struct mbox {
	int fd;
	int failed;
	size_t used;
	char err[256];
	char name[PATH_MAX];
	uint8_t buf[BUF_SIZE];
};

static void fail(struct mbox *x)
{
	if (!x->failed)
		snprintf(x->err, sizeof x->err, "%.200s: %s", x->name, strerror(errno));
	x->failed = 1;
}

static void write_all(struct mbox *x, const uint8_t *p, size_t n)
{
	while (n && !x->failed) {
		ssize_t w = write(x->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			fail(x);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void flush(struct mbox *x)
{
	write_all(x, x->buf, x->used);
	x->used = 0;
}

static void put(struct mbox *x, const void *p, size_t n)
{
	if (n > BUF_SIZE - x->used) {
		flush(x);
		if (n >= BUF_SIZE) { /* a line longer than the buffer: straight out */
			write_all(x, p, n);
			return;
		}
	}
	memcpy(x->buf + x->used, p, n);
	x->used += n;
}

struct mbox *mbox_new(const char *file, int overwrite, char *err, size_t errlen)
{
	size_t n = strlen(file);
	const char *slash = memrchr(file, '/', n);
	if (n == 0 || (slash && slash[1] == 0)) {
		snprintf(err, errlen, "%s: not a file name", file);
		return NULL;
	}
	if (n >= PATH_MAX) {
		snprintf(err, errlen, "%.100s...: %s", file, strerror(ENAMETOOLONG));
		return NULL;
	}
	struct mbox *x = malloc(sizeof *x);
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->failed = 0;
	x->used = 0;
	memcpy(x->name, file, n + 1);
	/* The directory is the user's path, followed as given; the file in
	 * it is made new and never followed (export_file_create()). */
	int dirfd;
	if (!slash) {
		dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		char dir[PATH_MAX];
		size_t dn = slash == file ? 1 : (size_t)(slash - file);
		memcpy(dir, file, dn);
		dir[dn] = 0;
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	const char *base = slash ? slash + 1 : file;
	x->fd = dirfd < 0 ? -1 : export_file_create(dirfd, base, overwrite, NULL);
	if (x->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", file,
		         dirfd < 0 ? strerror(e) : export_file_why(dirfd, base, e));
		if (dirfd >= 0)
			close(dirfd);
		free(x);
		return NULL;
	}
	close(dirfd);
	return x;
}

/* "From SENDER DATE\n" */
static void from_line(struct mbox *x, const struct rec_message *m)
{
	static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char line[SENDER_MAX + 64];
	size_t n = 5;
	memcpy(line, "From ", 5);
	if (m->mail_from.len) {
		size_t k = m->mail_from.len < SENDER_MAX ? m->mail_from.len : SENDER_MAX;
		for (size_t i = 0; i < k; i++) {
			uint8_t c = m->mail_from.p[i];
			line[n++] = c <= ' ' || c == 0x7f ? '_' : (char)c;
		}
	} else {
		const char *s = m->role == RR_TRANSFER ? "MAILER-DAEMON" : "-";
		memcpy(line + n, s, strlen(s));
		n += strlen(s);
	}
	/* time_t of a capture time: floor division, so that a time before
	 * 1970 names its own second */
	int64_t ts = m->frame_start ? m->ts_start : m->frame_end ? m->ts_end : 0;
	int64_t sec = ts / SS_NS_PER_SEC - (ts % SS_NS_PER_SEC < 0);
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm);
	n += (size_t)snprintf(line + n, sizeof line - n, " %s %s %2d %02d:%02d:%02d %d\n",
	                      wday[tm.tm_wday % 7], mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
	                      tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	put(x, line, n < sizeof line ? n : sizeof line - 1);
}

/* Whether the line p[0..n) is one mboxrd quotes: ">*From ". */
static int quoted(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '>')
		i++;
	return n - i >= 5 && !memcmp(p + i, "From ", 5);
}

void mbox_message(struct mbox *x, const struct ss_record *r)
{
	const struct rec_message *m = &r->u.msg;
	if (!x || x->failed)
		return;
	from_line(x, m);
	const uint8_t *p = m->data.p, *end = p + m->data.len;
	while (p < end) {
		const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
		if (quoted(p, n))
			put(x, ">", 1);
		/* the line without its line end; CRLF and LF both end as LF */
		size_t body = lf && n && p[n - 1] == '\r' ? n - 1 : n;
		if (body + 1 <= BUF_SIZE - x->used) { /* the usual case: one copy */
			memcpy(x->buf + x->used, p, body);
			x->buf[x->used + body] = '\n';
			x->used += body + 1;
		} else {
			put(x, p, body);
			put(x, "\n", 1);
		}
		p += n + (lf != NULL);
	}
	put(x, "\n", 1); /* the empty line between messages */
}

int mbox_free(struct mbox *x, char *err, size_t errlen)
{
	if (!x)
		return 0;
	flush(x);
	if (close(x->fd) && !x->failed)
		fail(x);
	int rc = x->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "--mbox: %s", x->err);
	free(x);
	return rc;
}
