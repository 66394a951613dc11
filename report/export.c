/* export.c - messages to files (.eml) and their index.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct export *export_new(const char *dir, int overwrite, int names, char *err, size_t errlen)
{
	struct export *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->overwrite = overwrite;
	x->names = names;
	x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = x->dirfd < 0 ? -1 : create(x, "index.json");
	if (fd < 0 || !(x->index = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s%s: %s%s", dir, x->dirfd < 0 ? "" : "/index.json",
		         strerror(errno),
		         errno == EEXIST ? " (use --overwrite to replace earlier output)" : "");
		if (fd >= 0)
			close(fd);
		if (x->dirfd >= 0)
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
