/* streams.c - writing each TCP direction to a file of its own.
 *
 * Names are made here from the flow id and endpoints, never from the wire,
 * and every file is made in DIR as a new file, mode 0600
 * (export_file_create()), so nothing is written outside DIR or through a
 * link someone planted there. Only --max-open-files files stay open; the
 * others are closed least recently used first and reopened for appending
 * by name, which is only as good as the name: the reopened file must be
 * the very file made (device and inode) with no other name, or the rest of
 * that direction is not written (export_file_reopen()). A file that cannot
 * be made or reopened is one event (layer "output") and a line in
 * index.jsonl with "skipped":true; everything else goes on. Only a write
 * error, or DIR or the disk refusing, stops the files (exit 4).
 */
#define _GNU_SOURCE
#include "streams.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "export.h"
#include "flows.h"

#define MAX_LISTED_GAPS 1000 /* more are counted, not listed */

struct gap {
	uint64_t off, file_off, len;
};

struct side {
	struct streams *s;
	const struct ss_flow *f;
	enum ss_dir d;
	char name[160];
	int fd; /* -1 when closed */
	int created;
	int skipped;         /* not made, or refused on reopening: nothing more is written */
	struct export_id id; /* the file made, to know it again */
	struct side *lru_prev, *lru_next;
	uint64_t written;
	struct gap *gaps;
	size_t ngaps, agaps;
	uint64_t gaps_total;
};

struct flowfiles {
	struct side side[2];
};

struct streams {
	int dirfd;
	int overwrite;
	uint64_t max_open, nopen;
	struct side *lru_head, *lru_tail; /* head: most recently used */
	FILE *index;
	int failed;
	char err[256];
	struct ss_tap tap;
};

static void fail(struct streams *s, const char *what, const char *name)
{
	if (!s->failed)
		snprintf(s->err, sizeof s->err, "%s %s: %s", what, name, strerror(errno));
	s->failed = 1;
}

static void lru_unlink(struct streams *s, struct side *x)
{
	if (x->lru_prev)
		x->lru_prev->lru_next = x->lru_next;
	else
		s->lru_head = x->lru_next;
	if (x->lru_next)
		x->lru_next->lru_prev = x->lru_prev;
	else
		s->lru_tail = x->lru_prev;
	x->lru_prev = x->lru_next = NULL;
}

static void side_close(struct side *x)
{
	if (x->fd < 0)
		return;
	if (close(x->fd))
		fail(x->s, "closing", x->name);
	x->fd = -1;
	lru_unlink(x->s, x);
	x->s->nopen--;
}

/* The file of x is left out from here on (export_file_skippable()). */
static void skip(struct side *x, int e, const struct ss_pos *at)
{
	const char *why = export_file_why(x->s->dirfd, x->name, e);
	if (x->created)
		ss_eventf("output", "file_refused", at->frame, at->ts, x->f->id, (int)x->d,
		          "--streams %s: %s; the rest of this direction (from offset %" PRIu64
		          ") is not written",
		          x->name, e == ENOENT ? "taken away while closed" : why, at->off);
	else
		ss_eventf("output", "file_skipped", at->frame, at->ts, x->f->id, (int)x->d,
		          "--streams %s not written: %s", x->name, why);
	x->skipped = 1;
}

static int side_open(struct side *x, const struct ss_pos *at)
{
	struct streams *s = x->s;
	if (x->fd >= 0) {
		if (s->lru_head != x) {
			lru_unlink(s, x);
			goto front;
		}
		return 0;
	}
	while (s->nopen >= s->max_open && s->lru_tail)
		side_close(s->lru_tail);
	if (x->created)
		x->fd = export_file_reopen(s->dirfd, x->name, &x->id);
	else
		x->fd = export_file_create(s->dirfd, x->name, s->overwrite, &x->id);
	if (x->fd < 0) {
		if (export_file_skippable(errno))
			skip(x, errno, at);
		else
			fail(s, x->created ? "reopening" : "creating", x->name);
		return -1;
	}
	x->created = 1;
	s->nopen++;
front:
	x->lru_next = s->lru_head;
	if (s->lru_head)
		s->lru_head->lru_prev = x;
	else
		s->lru_tail = x;
	s->lru_head = x;
	return 0;
}

static void *tap_open(const struct ss_flow *f, void *ctx)
{
	struct streams *s = ctx;
	if (f->proto != 6)
		return NULL;
	struct flowfiles *ff = calloc(1, sizeof *ff);
	if (!ff)
		return NULL;
	for (int d = 0; d < 2; d++) {
		struct side *x = &ff->side[d];
		char a[64], b[64];
		x->s = s;
		x->f = f;
		x->d = (enum ss_dir)d;
		x->fd = -1;
		snprintf(x->name, sizeof x->name, "%06" PRIu64 "-%s-%s", f->id,
		         flows_endpoint(&f->ep[d], a), flows_endpoint(&f->ep[!d], b));
	}
	return ff;
}

static void tap_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct flowfiles *ff = st;
	if (!ff)
		return;
	struct side *x = &ff->side[d];
	if (x->s->failed || x->skipped || side_open(x, at))
		return;
	while (n) {
		ssize_t w = write(x->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(x->s, "writing", x->name);
			return;
		}
		p += w;
		n -= (size_t)w;
		x->written += (uint64_t)w;
	}
}

static void tap_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct flowfiles *ff = st;
	if (!ff)
		return;
	struct side *x = &ff->side[d];
	x->gaps_total++;
	if (x->ngaps == MAX_LISTED_GAPS)
		return;
	if (x->ngaps == x->agaps) {
		size_t a = x->agaps ? x->agaps * 2 : 4;
		struct gap *g = realloc(x->gaps, a * sizeof *g);
		if (!g)
			return;
		x->gaps = g;
		x->agaps = a;
	}
	x->gaps[x->ngaps++] = (struct gap){at->off, x->written, len};
}

static void index_line(struct streams *s, struct side *x, const struct ss_flow *f)
{
	if (!x->created && !x->gaps_total && !x->skipped)
		return;
	/* A file skipped has no name here: what is under its name is not
	 * smtpsniff's; "bytes" says how many went out before it was. */
	fprintf(s->index,
	        "{\"flow\":%" PRIu64 ",\"dir\":\"%s\",\"file\":\"%s\",%s\"bytes\":%" PRIu64
	        ",\"close\":\"%s\",\"gaps_total\":%" PRIu64 ",\"gaps\":[",
	        f->id, x->d == SS_C2S ? "c2s" : "s2c", x->created && !x->skipped ? x->name : "",
	        x->skipped ? "\"skipped\":true," : "", x->written, ss_close_name(f->how),
	        x->gaps_total);
	for (size_t i = 0; i < x->ngaps; i++)
		fprintf(s->index,
		        "%s{\"offset\":%" PRIu64 ",\"file_offset\":%" PRIu64 ",\"len\":%" PRIu64
		        "}",
		        i ? "," : "", x->gaps[i].off, x->gaps[i].file_off, x->gaps[i].len);
	fputs("]}\n", s->index);
}

static void tap_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct flowfiles *ff = st;
	if (!ff)
		return;
	for (int d = 0; d < 2; d++) {
		struct side *x = &ff->side[d];
		side_close(x);
		index_line(x->s, x, f);
		free(x->gaps);
	}
	free(ff);
}

struct streams *streams_new(const char *dir, int overwrite, const struct ss_caps *caps, char *err,
                            size_t errlen)
{
	struct streams *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->dirfd = export_dir_open(dir, err, errlen);
	if (s->dirfd < 0) {
		free(s);
		return NULL;
	}
	int ifd = export_file_create(s->dirfd, "index.jsonl", overwrite, NULL);
	if (ifd < 0 || !(s->index = fdopen(ifd, "w"))) {
		snprintf(err, errlen, "%s/index.jsonl: %s%s", dir, strerror(errno),
		         errno == EEXIST ? " (use --overwrite to replace earlier output)" : "");
		if (ifd >= 0)
			close(ifd);
		close(s->dirfd);
		free(s);
		return NULL;
	}
	s->overwrite = overwrite;
	s->max_open = caps->max_open_files ? caps->max_open_files : 1;
	s->tap = (struct ss_tap){tap_open, tap_data, tap_gap, NULL, tap_close, s};
	return s;
}

const struct ss_tap *streams_tap(struct streams *s)
{
	return &s->tap;
}

int streams_free(struct streams *s, char *err, size_t errlen)
{
	if (!s)
		return 0;
	while (s->lru_head)
		side_close(s->lru_head);
	if (fclose(s->index) && !s->failed) {
		snprintf(s->err, sizeof s->err, "index.jsonl: %s", strerror(errno));
		s->failed = 1;
	}
	close(s->dirfd);
	int rc = s->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", s->err);
	free(s);
	return rc;
}
