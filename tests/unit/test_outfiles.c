/* test_outfiles.c - how the files of --streams and --export DIR are made
 * and opened again (report/export.c): export_file_create() never writes
 * through or follows what someone put at the name, with or without
 * overwrite; export_file_reopen() opens only the very file made, with no
 * second name, and does not wait on a FIFO put in its place; which errors
 * leave one file out and which are output errors. The truth is the
 * kernel's: stat() of the names and the bytes the planted files hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "export.h"
#include "exportq.h"

static char top[] = "/tmp/test_outfiles.XXXXXX";
static int dirfd_;

static void put(const char *name, const char *text)
{
	int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* Whether name (in the directory) holds exactly text. */
static int holds(const char *name, const char *text)
{
	char b[256];
	int fd = openat(dirfd_, name, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, b, sizeof b);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(b, text, (size_t)n);
}

static int wr(int fd, const char *text)
{
	int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	return close(fd) == 0 && ok;
}

static void test_create(void)
{
	struct export_id id;
	struct stat st;
	umask(0);
	int fd = export_file_create(dirfd_, "a", 0, &id);
	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	CHECK((st.st_mode & 07777) == 0600); /* umask 0: the mode asked for */
	CHECK(st.st_ino == id.ino && st.st_dev == id.dev);
	CHECK(wr(fd, "one"));
	umask(022);

	/* Without overwrite: anything at the name is left as it is. */
	errno = 0;
	CHECK(export_file_create(dirfd_, "a", 0, NULL) < 0 && errno == EEXIST);
	CHECK(holds("a", "one"));
	put("victim", "victim");
	CHECK(linkat(dirfd_, "victim", dirfd_, "hard", 0) == 0);
	CHECK(symlinkat("victim", dirfd_, "soft") == 0);
	CHECK(symlinkat("nowhere", dirfd_, "dangling") == 0);
	const char *planted[] = {"hard", "soft", "dangling"};
	for (int i = 0; i < 3; i++) {
		errno = 0;
		CHECK(export_file_create(dirfd_, planted[i], 0, NULL) < 0 && errno == EEXIST);
		CHECK(export_file_skippable(errno));
	}
	CHECK(strstr(export_file_why(dirfd_, "soft", EEXIST), "symbolic link") != NULL);
	CHECK(strstr(export_file_why(dirfd_, "hard", EEXIST), "hard link") != NULL);
	CHECK(faccessat(dirfd_, "nowhere", F_OK, 0) < 0); /* nothing made through the link */

	/* With overwrite: each is replaced by a new file of its own; what
	 * they pointed to is untouched. */
	for (int i = 0; i < 3; i++) {
		fd = export_file_create(dirfd_, planted[i], 1, NULL);
		CHECK(fd >= 0 && wr(fd, "new"));
		CHECK(fstatat(dirfd_, planted[i], &st, AT_SYMLINK_NOFOLLOW) == 0);
		CHECK(S_ISREG(st.st_mode) && st.st_nlink == 1 && (st.st_mode & 0777) == 0600);
		CHECK(holds(planted[i], "new"));
	}
	CHECK(holds("victim", "victim"));
	CHECK(fstatat(dirfd_, "victim", &st, 0) == 0 && st.st_nlink == 1);
	CHECK(faccessat(dirfd_, "nowhere", F_OK, 0) < 0);

	/* A directory at the name: not taken away, one name's trouble. */
	CHECK(mkdirat(dirfd_, "d", 0700) == 0);
	errno = 0;
	CHECK(export_file_create(dirfd_, "d", 1, NULL) < 0 && export_file_skippable(errno));
	errno = 0;
	CHECK(export_file_create(dirfd_, "d", 0, NULL) < 0 && export_file_skippable(errno));
}

static void test_reopen(void)
{
	struct export_id id;
	int fd = export_file_create(dirfd_, "s", 0, &id);
	CHECK(fd >= 0 && wr(fd, "ab"));
	fd = export_file_reopen(dirfd_, "s", &id); /* still ours: appended to */
	CHECK(fd >= 0 && wr(fd, "cd"));
	CHECK(holds("s", "abcd"));

	/* A second name for it: refused while it is there. */
	CHECK(linkat(dirfd_, "s", dirfd_, "s2", 0) == 0);
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && errno == ESTALE);
	CHECK(unlinkat(dirfd_, "s2", 0) == 0);
	fd = export_file_reopen(dirfd_, "s", &id);
	CHECK(fd >= 0 && close(fd) == 0);

	/* Swapped for a hard link to someone's file: refused, that file
	 * untouched. */
	put("victim2", "victim");
	CHECK(renameat(dirfd_, "s", dirfd_, "s.mine") == 0);
	CHECK(linkat(dirfd_, "victim2", dirfd_, "s", 0) == 0);
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && errno == ESTALE);
	CHECK(export_file_skippable(ESTALE));
	CHECK(holds("victim2", "victim"));
	/* Another file of its own (one name) in its place: refused too. */
	CHECK(unlinkat(dirfd_, "s", 0) == 0);
	put("s", "other");
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && errno == ESTALE);
	CHECK(holds("s", "other"));
	/* A symbolic link to the very file made: not followed. */
	CHECK(unlinkat(dirfd_, "s", 0) == 0);
	CHECK(symlinkat("s.mine", dirfd_, "s") == 0);
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && errno == ELOOP);
	CHECK(export_file_skippable(ELOOP));
	/* A FIFO: no wait for a reader (the test would hang), refused. */
	CHECK(unlinkat(dirfd_, "s", 0) == 0);
	CHECK(mkfifoat(dirfd_, "s", 0600) == 0);
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && export_file_skippable(errno));
	/* Taken away: ENOENT, one file's trouble. */
	CHECK(unlinkat(dirfd_, "s", 0) == 0);
	errno = 0;
	CHECK(export_file_reopen(dirfd_, "s", &id) < 0 && errno == ENOENT);
	CHECK(export_file_skippable(ENOENT));
	/* Put back, the file made is known again. */
	CHECK(renameat(dirfd_, "s.mine", dirfd_, "s") == 0);
	fd = export_file_reopen(dirfd_, "s", &id);
	CHECK(fd >= 0 && wr(fd, "ef"));
	CHECK(holds("s", "abcdef"));
}

/* The disk or the directory refusing is no one file's trouble. */
static void test_skippable(void)
{
	const int fatal[] = {ENOSPC, EDQUOT, EROFS, EIO, EMFILE, ENFILE, ENOMEM, EBADF};
	for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
		CHECK(!export_file_skippable(fatal[i]));
	CHECK(export_file_skippable(EEXIST) && export_file_skippable(EACCES));
}

/* The whole of a file in the directory, NUL-terminated, or NULL. */
static char *slurp(const char *name, size_t *len)
{
	int fd = openat(dirfd_, name, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *b = fstat(fd, &st) ? NULL : malloc((size_t)st.st_size + 1);
	size_t n = 0;
	ssize_t r;
	while (b && (r = read(fd, b + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (b)
		b[n] = 0;
	*len = n;
	return b;
}

/* The thread of --export (exportq.c): files made in the order handed over,
 * with their bytes, and index.json listing exactly those; a name taken
 * meanwhile left out and handed back as a skip; one file larger than the
 * queue's bound; an error that is not one name's stops what follows. */
static void test_exportq(void)
{
	int fd = openat(dirfd_, "q-index.json", O_WRONLY | O_CREAT | O_EXCL, 0600);
	FILE *index = fd < 0 ? NULL : fdopen(fd, "w");
	CHECK(index != NULL);
	if (!index)
		return;
	fputs("[\n", index);
	struct exportq *q = exportq_new(dirfd_, index, 0);
	CHECK(q != NULL);
	if (!q)
		return;
	put("q-2.eml", "planted");
	size_t big = EXPORTQ_MAX + 12345;
	uint8_t *b = malloc(big);
	CHECK(b != NULL);
	if (!b)
		return;
	for (size_t i = 0; i < big; i++)
		b[i] = (uint8_t)(i * 7);
	CHECK(exportq_put(q, "q-1.eml", (const uint8_t *)"one", 3, "{1}", 3, 11, 1000, 5) == 0);
	CHECK(exportq_put(q, "q-2.eml", (const uint8_t *)"two", 3, "{2}", 3, 22, 2000, 6) == 0);
	CHECK(exportq_put(q, "q-3.eml", b, big, "{3}", 3, 33, 3000, 7) == 0);
	CHECK(exportq_put(q, "q-4.eml", NULL, 0, "{4}", 3, 44, 4000, 8) == 0);
	exportq_drain(q);
	struct exportq_skip *s = exportq_skipped(q);
	CHECK(s && !strcmp(s->name, "q-2.eml") && s->frame == 22 && s->ts == 2000 && s->flow == 6);
	CHECK(s && strstr(s->why, "a file is there") != NULL);
	CHECK(s && !s->next);
	free(s);
	CHECK(exportq_skipped(q) == NULL); /* handed back once */
	CHECK(holds("q-1.eml", "one") && holds("q-2.eml", "planted") && holds("q-4.eml", ""));
	size_t n;
	char *got = slurp("q-3.eml", &n);
	CHECK(got && n == big && !memcmp(got, b, big));
	free(got);

	/* No descriptor left for the thread: EMFILE is the process's, not the
	 * name's, so it fails the run and nothing after it is made. */
	struct rlimit was, none;
	CHECK(getrlimit(RLIMIT_NOFILE, &was) == 0);
	int lowest = dup(0);
	CHECK(lowest >= 0);
	close(lowest);
	none = was;
	none.rlim_cur = (rlim_t)lowest;
	CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
	CHECK(exportq_put(q, "q-5.eml", (const uint8_t *)"five", 4, "{5}", 3, 55, 5000, 9) == 0);
	exportq_drain(q);
	CHECK(setrlimit(RLIMIT_NOFILE, &was) == 0);
	CHECK(exportq_put(q, "q-6.eml", (const uint8_t *)"six", 3, "{6}", 3, 66, 6000, 9) == -1);
	char err[300] = "";
	CHECK(exportq_free(q, err, sizeof err) == -1);
	CHECK(strstr(err, "q-5.eml: ") == err && strstr(err, strerror(EMFILE)) != NULL);
	struct stat st;
	CHECK(fstatat(dirfd_, "q-5.eml", &st, 0) == -1 && fstatat(dirfd_, "q-6.eml", &st, 0) == -1);
	got = slurp("q-index.json", &n);
	CHECK(got && !strcmp(got, "[\n{1},\n{3},\n{4}\n]\n"));
	free(got);
	free(b);

	/* --overwrite: a hard link put at the name while the message waits is
	 * taken away, not written through, and the file made in its place. */
	fd = openat(dirfd_, "q-index2.json", O_WRONLY | O_CREAT | O_EXCL, 0600);
	index = fd < 0 ? NULL : fdopen(fd, "w");
	CHECK(index != NULL);
	q = index ? exportq_new(dirfd_, index, 1) : NULL;
	CHECK(q != NULL);
	if (!q)
		return;
	put("q-victim", "victim");
	CHECK(linkat(dirfd_, "q-victim", dirfd_, "q-7.eml", 0) == 0);
	CHECK(exportq_put(q, "q-7.eml", (const uint8_t *)"seven", 5, "{7}", 3, 77, 7000, 9) == 0);
	exportq_drain(q);
	CHECK(exportq_skipped(q) == NULL);
	CHECK(holds("q-7.eml", "seven") && holds("q-victim", "victim"));
	CHECK(exportq_free(q, err, sizeof err) == 0);
	got = slurp("q-index2.json", &n);
	CHECK(got && !strcmp(got, "{7}\n]\n"));
	free(got);
}

int main(void)
{
	alarm(60); /* a reopen that waits on the FIFO fails the test, not hangs it */
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 1;
	}
	char err[300];
	dirfd_ = export_dir_open(top, err, sizeof err);
	CHECK(dirfd_ >= 0);
	if (dirfd_ >= 0) {
		test_create();
		test_reopen();
		test_skippable();
		test_exportq();
		close(dirfd_);
	}
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd))
		printf("could not remove %s\n", top);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
