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
 * is an output error (exit 4).
 */
#define _GNU_SOURCE
#include "export.h"

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
#include "json.h"
#include "message.h"
#include "names.h"
#include "sstime.h"

struct export
{
	int dirfd;
	int overwrite, names;
	FILE *index;
	uint64_t count;
	int failed;
	char err[256];
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

static void fail(struct export *x, const char *what)
{
	if (!x->failed)
		snprintf(x->err, sizeof x->err, "%s: %s%s", what, strerror(errno),
		         errno == EEXIST ? " (use --overwrite to replace earlier output)" : "");
	x->failed = 1;
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
	if (fd < 0 || !(x->index = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s/index.json: %s%s", dir, strerror(errno),
		         errno == EEXIST ? " (use --overwrite to replace earlier output)" : "");
		if (fd >= 0)
			close(fd);
		close(x->dirfd);
		free(x);
		return NULL;
	}
	fputs("[\n", x->index);
	return x;
}

static void endpoint(FILE *out, const char *side, const struct ss_endpoint *e, int names)
{
	char a[SS_ADDR_STRLEN];
	fprintf(out, "\"%s\":\"%s\",\"%s_port\":%u", side, ss_addr_fmt(&e->addr, a), side, e->port);
	const char *n = names ? names_get(&e->addr) : NULL;
	if (n) {
		fprintf(out, ",\"%s_name\":", side);
		json_cstr(out, n);
	}
}

void export_message(struct export *x, const struct ss_record *r, const uint8_t *digest)
{
	const struct rec_message *m = &r->u.msg;
	char name[64];
	if (!x || x->failed)
		return;
	snprintf(name, sizeof name, "%06" PRIu64 "-%s%s.eml", m->number, m->proto,
	         m->partial ? "-part" : "");
	int fd = export_file_create(x->dirfd, name, x->overwrite, NULL);
	if (fd < 0) {
		if (!export_file_skippable(errno)) {
			fail(x, name);
			return;
		}
		/* Left out of index.json: it lists the files this run wrote. */
		ss_eventf("output", "file_skipped", m->frame_start,
		          m->frame_start ? m->ts_start : 0, r->flow ? r->flow->id : 0, -1,
		          "--export %s not written: %s", name,
		          export_file_why(x->dirfd, name, errno));
		return;
	}
	size_t done = 0;
	while (done < m->data.len) {
		ssize_t w = write(fd, m->data.p + done, m->data.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(x, name);
			close(fd);
			return;
		}
		done += (size_t)w;
	}
	if (close(fd)) {
		fail(x, name);
		return;
	}
	char t[40];
	FILE *o = x->index;
	fprintf(o, "%s{\"file\":\"%s\",\"number\":%" PRIu64 ",\"proto\":\"%s\",\"how\":\"%s\"",
	        x->count ? ",\n" : "", name, m->number, m->proto, m->how);
	fprintf(o, ",\"flow\":%" PRIu64 ",\"time\":", r->flow->id);
	if (m->frame_start) /* a time is there with its frame (record.h) */
		fprintf(o, "\"%s\",\"hop\":{", ss_time_iso(m->ts_start, t));
	else
		fputs("null,\"hop\":{", o);
	endpoint(o, "client", &r->flow->ep[SS_C2S], x->names);
	fputc(',', o);
	endpoint(o, "server", &r->flow->ep[SS_S2C], x->names);
	fputs("},\"mail_from\":", o);
	json_str(o, m->mail_from.p, m->mail_from.len);
	fputs(",\"rcpt\":[", o);
	for (size_t i = 0; i < m->nrcpt; i++) {
		if (i)
			fputc(',', o);
		json_str(o, m->rcpt[i].p, m->rcpt[i].len);
	}
	fputs("],\"message_id\":", o);
	if (m->msg && m->msg->message_id)
		json_cstr(o, m->msg->message_id);
	else
		fputs("null", o);
	fprintf(o, ",\"size\":%zu,\"sha256\":", m->data.len);
	json_sha256(o, digest);
	fprintf(o, ",\"incomplete\":%s,\"partial\":%s}", m->incomplete ? "true" : "false",
	        m->partial ? "true" : "false");
	x->count++;
}

int export_free(struct export *x, char *err, size_t errlen)
{
	if (!x)
		return 0;
	fputs("\n]\n", x->index);
	if (fclose(x->index) && !x->failed)
		fail(x, "index.json");
	close(x->dirfd);
	int rc = x->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "--export: %s", x->err);
	free(x);
	return rc;
}
