/* export.c - messages to files (.eml) and their index; the output
 * directory of --export and --streams, and how their files are made.
 *
 * The file names are made here from the message number and protocol, never
 * from anything on the wire, and every file is created relative to DIR,
 * opened once, as a new file (O_EXCL, O_NOFOLLOW, mode 0600): nothing is
 * written outside DIR, and nothing someone else put in DIR (a hard link to
 * their file, a symbolic link) is written through. --overwrite takes the
 * old name away and makes a new file; it never truncates one in place.
 * A name that cannot be made is left out, with an event (layer "output"),
 * and the run goes on; only a write error, or the disk or DIR refusing,
 * is an output error (exit 4). The messages' files are made on a thread of
 * their own (exportq.h); the streams' here.
 */
#define _GNU_SOURCE
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "exportq.h"
#include "json.h"
#include "message.h"
#include "names.h"
#include "sstime.h"
#include "text.h"

struct export
{
	int dirfd;
	int overwrite, names;
	struct exportq *q; /* the thread that makes the files (exportq.h) */
	int failed;
	struct text entry; /* the entry of index.json being put together */
	char **taken;      /* the names of ours in DIR when the run began, sorted */
	size_t ntaken;
	int scan_failed;
};

int export_file_create(int dirfd, const char *name, int overwrite, struct export_id *id)
{
	/* The old name goes first, whatever it is: unlinkat() takes away a
	 * link, never what it points to, and refuses a directory (EISDIR). */
	if (overwrite && unlinkat(dirfd, name, 0) && errno != ENOENT)
		return -1;
	/* 0600: streams hold logins, messages hold mail; the umask may only
	 * take more away. */
	int fd = openat(dirfd, name,
	                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0 || !id)
		return fd;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return fd;
}

int export_file_reopen(int dirfd, const char *name, const struct export_id *id)
{
	/* O_NONBLOCK: a FIFO put in the file's place must not stop the run
	 * (opening it for writing would wait for a reader); on the regular
	 * file that is checked for below it changes nothing. */
	int fd = openat(dirfd, name,
	                O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* Another file under the name, or a second name for ours (the way to
	 * read it later, or to swap it back in): neither is written to. */
	if (!S_ISREG(st.st_mode) || st.st_dev != id->dev || st.st_ino != id->ino ||
	    st.st_nlink != 1) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

const char *export_file_why(int dirfd, const char *name, int e)
{
	struct stat st;
	if (e == ESTALE)
		return "no longer the file smtpsniff made (another file in its place, or a second "
		       "name linked to it)";
	if (e != EEXIST || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return strerror(e);
	if (S_ISLNK(st.st_mode))
		return "a symbolic link is there, not followed (--overwrite replaces it)";
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		return "a file with other names (hard links) is there, not written through "
		       "(--overwrite replaces it)";
	if (S_ISREG(st.st_mode))
		return "a file is there (--overwrite replaces it)";
	return "something that is not a file is there";
}

int export_file_skippable(int e)
{
	switch (e) {
	case EEXIST:  /* there already, without --overwrite */
	case ELOOP:   /* a symbolic link (O_NOFOLLOW) */
	case EISDIR:  /* a directory under the name */
	case EACCES:  /* that one name: DIR itself was writable at the start */
	case EPERM:   /* the sticky bit, an immutable file */
	case ENOENT:  /* taken away while closed */
	case ESTALE:  /* replaced while closed (export_file_reopen()) */
	case ENXIO:   /* a FIFO or device in its place */
	case ETXTBSY: /* a running program's file */
	case EMLINK:
	case EBUSY:
		return 1;
	default: /* ENOSPC, EDQUOT, EROFS, EIO, EMFILE, ENOMEM: not one name's fault */
		return 0;
	}
}

/* mkdir -p, mode 0700: makes path's missing parents, then path. path is
 * the caller's copy, written to and restored; on failure, path is cut
 * where the directory could not be made and errno says why. */
static int make_dirs(char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0; /* EEXIST may be a file or a link: the open will tell */
	if (errno != ENOENT)
		return -1;
	char *slash = strrchr(path, '/');
	while (slash && slash > path && slash[-1] == '/')
		slash--; /* "a//b": the parent is "a" */
	if (!slash || slash == path)
		return -1; /* no parent to make: errno is still ENOENT */
	*slash = 0;
	int rc = make_dirs(path);
	if (rc)
		return rc; /* path stays cut at the parent that failed */
	*slash = '/';
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int export_dir_open(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	if (n >= sizeof path) {
		snprintf(err, errlen, "%.100s...: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(path, dir, n + 1);
	/* "DIR/" names DIR: without the cut, a trailing slash would make the
	 * kernel follow a link that O_NOFOLLOW is there to refuse. */
	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
	if (make_dirs(path)) {
		int e = errno;
		if (strlen(path) < n) /* a parent could not be made */
			snprintf(err, errlen, "%s: cannot create the directory %s: %s", dir, path,
			         strerror(e));
		else
			snprintf(err, errlen, "%s: cannot create the directory: %s", dir,
			         strerror(e));
		return -1;
	}
	/* Messages carry logins and mail: a link in DIR's place, which anyone
	 * who can write to its parent could have put there, is not followed. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	struct stat st;
	int e = errno;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		snprintf(err, errlen,
		         "%s: a symbolic link, not followed (give the directory it names)", dir);
	else if (e == ENOTDIR)
		snprintf(err, errlen, "%s: not a directory", dir);
	else
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
	return -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether a name of the kind export_message() makes, NNNNNN-proto.eml or
 * NNNNNN-proto-part.eml: no other can be in its way. */
static int ours(const char *n)
{
	size_t d = strspn(n, "0123456789"), len = strlen(n);
	return d >= 6 && n[d] == '-' && len > d + 5 && !strcmp(n + len - 4, ".eml");
}

/* The names of ours in DIR when the run began, sorted (x->taken); past
 * EXPORT_TAKEN_MAX of them (some 4M kept), none is kept and every name is
 * looked at. */
#define EXPORT_TAKEN_MAX 100000
static void scan(struct export *x)
{
	int fd = dup(x->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		x->scan_failed = 1; /* every name is looked at */
		return;
	}
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!ours(e->d_name))
			continue;
		if (x->ntaken == EXPORT_TAKEN_MAX) {
			x->scan_failed = 1; /* a directory of old runs: every name is looked at */
			break;
		}
		if (x->ntaken == cap) {
			size_t c = cap ? cap * 2 : 64;
			char **t = realloc(x->taken, c * sizeof *t);
			if (!t) {
				x->scan_failed = 1;
				break;
			}
			x->taken = t;
			cap = c;
		}
		if (!(x->taken[x->ntaken] = strdup(e->d_name))) {
			x->scan_failed = 1;
			break;
		}
		x->ntaken++;
	}
	closedir(d);
	if (x->scan_failed) {
		for (size_t i = 0; i < x->ntaken; i++)
			free(x->taken[i]);
		free(x->taken);
		x->taken = NULL;
		x->ntaken = 0;
		return;
	}
	if (x->ntaken) /* qsort() and bsearch() want an array */
		qsort(x->taken, x->ntaken, sizeof *x->taken, by_name);
}

static int taken(const struct export *x, const char *name)
{
	const char *key = name;
	return x->scan_failed ||
	       (x->ntaken && bsearch(&key, x->taken, x->ntaken, sizeof *x->taken, by_name));
}

struct export *export_new(const char *dir, int overwrite, int names, char *err, size_t errlen)
{
	struct export *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->overwrite = overwrite;
	x->names = names;
	x->dirfd = export_dir_open(dir, err, errlen);
	if (x->dirfd < 0) {
		free(x);
		return NULL;
	}
	int fd = export_file_create(x->dirfd, "index.json", overwrite, NULL);
	FILE *index = fd < 0 ? NULL : fdopen(fd, "w");
	if (!index) {
		snprintf(err, errlen, "%s/index.json: %s%s", dir, strerror(errno),
		         errno == EEXIST ? " (use --overwrite to replace earlier output)" : "");
		if (fd >= 0)
			close(fd);
		close(x->dirfd);
		free(x);
		return NULL;
	}
	fputs("[\n", index);
	scan(x);
	if (!(x->q = exportq_new(x->dirfd, index, overwrite))) {
		snprintf(err, errlen, "--export: cannot start a thread: %s", strerror(errno));
		fclose(index);
		close(x->dirfd);
		free(x);
		return NULL;
	}
	text_init(&x->entry);
	return x;
}

static void endpoint(struct text *t, const char *side, const struct ss_endpoint *e, int names)
{
	char a[SS_ADDR_STRLEN];
	text_printf(t, "\"%s\":\"%s\",\"%s_port\":%u", side, ss_addr_fmt(&e->addr, a), side,
	            e->port);
	const char *n = names ? names_get(&e->addr) : NULL;
	if (n) {
		text_printf(t, ",\"%s_name\":", side);
		json_tcstr(t, n);
	}
}

/* The message's entry of index.json, into x->entry. */
static void entry(struct export *x, const struct ss_record *r, const char *name,
                  const uint8_t *digest)
{
	const struct rec_message *m = &r->u.msg;
	struct text *t = &x->entry;
	text_reset(t);
	text_printf(t, "{\"file\":\"%s\",\"number\":%" PRIu64 ",\"proto\":\"%s\",\"how\":\"%s\"",
	            name, m->number, m->proto, m->how);
	text_printf(t, ",\"flow\":%" PRIu64 ",\"time\":", r->flow->id);
	if (m->frame_start) { /* a time is there with its frame (record.h) */
		text_char(t, '"');
		json_ttime(t, m->ts_start);
		text_str(t, "\",\"hop\":{");
	} else {
		text_str(t, "null,\"hop\":{");
	}
	endpoint(t, "client", &r->flow->ep[SS_C2S], x->names);
	text_char(t, ',');
	endpoint(t, "server", &r->flow->ep[SS_S2C], x->names);
	text_str(t, "},\"mail_from\":");
	json_tstr(t, m->mail_from.p, m->mail_from.len);
	text_str(t, ",\"rcpt\":[");
	for (size_t i = 0; i < m->nrcpt; i++) {
		if (i)
			text_char(t, ',');
		json_tstr(t, m->rcpt[i].p, m->rcpt[i].len);
	}
	text_str(t, "],\"message_id\":");
	if (m->msg && m->msg->message_id)
		json_tcstr(t, m->msg->message_id);
	else
		text_str(t, "null");
	text_printf(t, ",\"size\":%zu,\"sha256\":", m->data.len);
	json_tsha256(t, digest);
	text_printf(t, ",\"incomplete\":%s,\"partial\":%s}", m->incomplete ? "true" : "false",
	            m->partial ? "true" : "false");
}

static void skipped(uint64_t frame, int64_t ts, uint64_t flow, const char *name, const char *why)
{
	/* Left out of index.json: it lists the files this run wrote. */
	ss_eventf("output", "file_skipped", frame, frame ? ts : 0, flow, -1,
	          "--export %s not written: %s", name, why);
}

/* The files the thread found it could not make, said now. */
static void say_late(struct export *x)
{
	for (struct exportq_skip *s = exportq_skipped(x->q), *next; s; s = next) {
		next = s->next;
		skipped(s->frame, s->ts, s->flow, s->name, s->why);
		free(s);
	}
}

void export_message(struct export *x, const struct ss_record *r, const uint8_t *digest)
{
	const struct rec_message *m = &r->u.msg;
	char name[64];
	if (!x || x->failed)
		return;
	say_late(x);
	snprintf(name, sizeof name, "%06" PRIu64 "-%s%s.eml", m->number, m->proto,
	         m->partial ? "-part" : "");
	uint64_t flow = r->flow ? r->flow->id : 0;
	/* A name taken when the run began is looked at here, so that a file
	 * left out is said in its place among the lines (the look costs a
	 * search of the directory; for every name it would cost as much as
	 * the rest of a message's work). The thread makes the file, and says
	 * late only a name taken since. --overwrite: the old name goes first,
	 * whatever it is (export_file_create()). */
	if (taken(x, name)) {
		struct stat st;
		int e = 0;
		if (x->overwrite ? unlinkat(x->dirfd, name, 0) && errno != ENOENT
		                 : fstatat(x->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			e = x->overwrite ? errno : EEXIST;
		if (e) {
			if (!export_file_skippable(e)) {
				exportq_fail(x->q, name, e);
				x->failed = 1;
				return;
			}
			skipped(m->frame_start, m->ts_start, flow, name,
			        export_file_why(x->dirfd, name, e));
			return;
		}
	}
	entry(x, r, name, digest);
	if (exportq_put(x->q, name, m->data.p, m->data.len, (const char *)x->entry.b.p,
	                x->entry.b.len, m->frame_start, m->ts_start, flow))
		x->failed = 1; /* the thread failed: its error is said at the end */
}

void export_clock(struct export *x, int64_t now)
{
	if (x)
		exportq_clock(x->q, now);
}

void export_drain(struct export *x)
{
	if (!x)
		return;
	exportq_drain(x->q);
	say_late(x);
}

int export_free(struct export *x, char *err, size_t errlen)
{
	if (!x)
		return 0;
	char e[256];
	int rc = exportq_free(x->q, e, sizeof e);
	close(x->dirfd);
	if (rc)
		snprintf(err, errlen, "--export: %s", e);
	text_free(&x->entry);
	for (size_t i = 0; i < x->ntaken; i++)
		free(x->taken[i]);
	free(x->taken);
	free(x);
	return rc;
}
