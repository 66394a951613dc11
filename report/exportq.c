/* exportq.c - the files of --export made on a thread of their own
 * (exportq.h): a queue of jobs under one lock, the dissecting thread
 * putting, this thread taking in order. */
#define _GNU_SOURCE
#include "exportq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

/* One file to make; its bytes, then its entry, follow it. */
struct job {
	struct job *next;
	size_t n, entry_len;
	uint64_t frame, flow;
	int64_t ts;
	char name[64];
};

struct exportq {
	pthread_mutex_t mu;
	pthread_cond_t more; /* a job, or the end, for the thread */
	pthread_cond_t room; /* room in the queue, or everything made, for the caller */
	struct job *head, *tail;
	size_t queued; /* bytes of the jobs not yet made, those being made included */
	int ending;
	int idle; /* the thread waits for more */
	struct exportq_skip *skips, **skips_tail;
	int failed;
	char err[256];
	/* the caller's own: jobs put since the thread was last woken, and the
	 * capture time of the first of them */
	unsigned unwoken;
	int64_t unwoken_ts;
	/* the thread's own */
	pthread_t th;
	int dirfd;
	FILE *index;
	int overwrite;
	uint64_t count;
};

static size_t job_size(const struct job *j)
{
	return sizeof *j + j->n + j->entry_len;
}

/* The first failure is the one said; nothing more is made after it. */
int exportq_fail(struct exportq *q, const char *what, int e)
{
	pthread_mutex_lock(&q->mu);
	if (!q->failed)
		snprintf(q->err, sizeof q->err, "%s: %s%s", what, strerror(e),
		         e == EEXIST ? " (use --overwrite to replace earlier output)" : "");
	q->failed = 1;
	pthread_mutex_unlock(&q->mu);
	return -1;
}

static void skip(struct exportq *q, const struct job *j, int e)
{
	struct exportq_skip *s = calloc(1, sizeof *s);
	if (!s)
		return;
	s->frame = j->frame;
	s->flow = j->flow;
	s->ts = j->ts;
	snprintf(s->name, sizeof s->name, "%s", j->name);
	snprintf(s->why, sizeof s->why, "%s", export_file_why(q->dirfd, j->name, e));
	pthread_mutex_lock(&q->mu);
	*q->skips_tail = s;
	q->skips_tail = &s->next;
	pthread_mutex_unlock(&q->mu);
}

/* Makes one file and writes its entry: as export.c did on the dissecting
 * thread before. -1 on an error that ends the export. */
static int make(struct exportq *q, const struct job *j)
{
	const uint8_t *p = (const uint8_t *)(j + 1);
	int fd = export_file_create(q->dirfd, j->name, 0, NULL);
	if (fd < 0 && errno == EEXIST && q->overwrite) /* taken since the run began */
		fd = export_file_create(q->dirfd, j->name, 1, NULL);
	if (fd < 0) {
		int e = errno;
		if (!export_file_skippable(e))
			return exportq_fail(q, j->name, e);
		skip(q, j, e); /* left out of index.json: it lists the files written */
		return 0;
	}
	for (size_t done = 0; done < j->n;) {
		ssize_t w = write(fd, p + done, j->n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			close(fd);
			return exportq_fail(q, j->name, e);
		}
		done += (size_t)w;
	}
	if (close(fd))
		return exportq_fail(q, j->name, errno);
	if (q->count++)
		fputs(",\n", q->index);
	fwrite(p + j->n, 1, j->entry_len, q->index);
	return 0;
}

/* Takes the jobs a batch at a time: one wake-up per EXPORTQ_BATCH files
 * rather than one per file, which cost as much as a third of making them. */
static void *run(void *arg)
{
	struct exportq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->ending) {
			q->idle = 1;
			pthread_cond_wait(&q->more, &q->mu);
			q->idle = 0;
		}
		struct job *j = q->head;
		if (!j)
			break; /* the end, and nothing left */
		q->head = q->tail = NULL;
		int failed = q->failed;
		pthread_mutex_unlock(&q->mu);
		size_t size = 0;
		for (struct job *next; j; j = next) {
			next = j->next;
			if (!failed && make(q, j))
				failed = 1;
			size += job_size(j);
			free(j);
		}
		pthread_mutex_lock(&q->mu);
		q->queued -= size;
		pthread_cond_broadcast(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Under the lock: the thread goes on with what is queued. */
static void wake(struct exportq *q)
{
	q->unwoken = 0;
	if (q->idle)
		pthread_cond_signal(&q->more);
}

struct exportq *exportq_new(int dirfd, FILE *index, int overwrite)
{
	struct exportq *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->dirfd = dirfd;
	q->index = index;
	q->overwrite = overwrite;
	q->skips_tail = &q->skips;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->th, NULL, run, q)) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->more);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return NULL;
	}
	return q;
}

int exportq_put(struct exportq *q, const char *name, const uint8_t *p, size_t n, const char *entry,
                size_t entry_len, uint64_t frame, int64_t ts, uint64_t flow)
{
	struct job *j = malloc(sizeof *j + n + entry_len);
	if (!j) {
		exportq_fail(q, name, ENOMEM);
		return -1;
	}
	*j = (struct job){.n = n, .entry_len = entry_len, .frame = frame, .flow = flow, .ts = ts};
	snprintf(j->name, sizeof j->name, "%s", name);
	if (n)
		memcpy(j + 1, p, n);
	if (entry_len)
		memcpy((uint8_t *)(j + 1) + n, entry, entry_len);
	size_t size = job_size(j);
	pthread_mutex_lock(&q->mu);
	/* A file larger than the bound goes alone. */
	while (q->queued && q->queued + size > EXPORTQ_MAX && !q->failed) {
		wake(q);
		pthread_cond_wait(&q->room, &q->mu);
	}
	if (q->failed) {
		pthread_mutex_unlock(&q->mu);
		free(j);
		return -1;
	}
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->queued += size;
	if (!q->unwoken++)
		q->unwoken_ts = ts;
	if (q->unwoken >= EXPORTQ_BATCH || q->queued >= EXPORTQ_MAX / 2)
		wake(q);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void exportq_clock(struct exportq *q, int64_t now)
{
	/* unwoken is the caller's own: read without the lock */
	if (!q || !q->unwoken || now - q->unwoken_ts < EXPORTQ_WAIT)
		return;
	pthread_mutex_lock(&q->mu);
	wake(q);
	pthread_mutex_unlock(&q->mu);
}

void exportq_drain(struct exportq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	wake(q);
	while (q->queued)
		pthread_cond_wait(&q->room, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

struct exportq_skip *exportq_skipped(struct exportq *q)
{
	if (!q)
		return NULL;
	pthread_mutex_lock(&q->mu);
	struct exportq_skip *s = q->skips;
	q->skips = NULL;
	q->skips_tail = &q->skips;
	pthread_mutex_unlock(&q->mu);
	return s;
}

int exportq_free(struct exportq *q, char *err, size_t errlen)
{
	if (!q)
		return 0;
	pthread_mutex_lock(&q->mu);
	q->ending = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	fputs("\n]\n", q->index);
	if (fclose(q->index))
		exportq_fail(q, "index.json", errno);
	int rc = q->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", q->err);
	for (struct exportq_skip *s = q->skips, *next; s; s = next) {
		next = s->next;
		free(s);
	}
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return rc;
}
