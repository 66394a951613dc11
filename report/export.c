/* export.c - messages to files (.eml) and their index; the output
 * directory of --export and --streams.
 *
 * The file names are made here from the message number and protocol, never
 * from anything on the wire, and every file is created relative to DIR
 * with O_NOFOLLOW: nothing is written outside DIR.
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

static int create(struct export *x, const char *name)
{
	return openat(
	    x->dirfd, name,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (x->overwrite ? O_TRUNC : O_EXCL), 0644);
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
	int fd = create(x, "index.json");
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
	int fd = create(x, name);
	if (fd < 0) {
		fail(x, name);
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
