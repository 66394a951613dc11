/* exportfloor.c - the floor for --export: the least a program must do to
 * make the files --export made.
 *
 * exportfloor SRC DST reads every regular file of SRC (a directory that
 * smtpsniff --export wrote) into memory, then makes DST (mode 0700) and in
 * it the same files with the same bytes, in name order, each opened once
 * as a new file (O_CREAT | O_EXCL, mode 0600), written with one write()
 * and closed: what any program must do to make those files, without the
 * capture to read or the messages to find. Only that second part is timed;
 * it prints "FILES BYTES WALL_S CPU_S" for it (CPU: user and system), for
 * bench/export.sh to set --export against. The reading comes first so that
 * the floor does not pay for reading files smtpsniff never reads.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct file {
	char *name;
	char *data;
	size_t len;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double wall_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exportfloor SRC DST\n");
		return 2;
	}
	int sfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	struct file *f = NULL;
	size_t n = 0, cap = 0, total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			f = realloc(f, cap * sizeof *f);
			if (!f)
				return 1;
		}
		int fd = openat(sfd, e->d_name, O_RDONLY);
		char *p = malloc((size_t)st.st_size + 1);
		if (fd < 0 || !p || read(fd, p, (size_t)st.st_size) != st.st_size) {
			perror(e->d_name);
			return 1;
		}
		close(fd);
		f[n++] = (struct file){strdup(e->d_name), p, (size_t)st.st_size};
		total += (size_t)st.st_size;
	}
	closedir(d);
	qsort(f, n, sizeof *f, by_name);

	double w0 = wall_now(), c0 = cpu_now();
	if (mkdir(argv[2], 0700)) {
		perror(argv[2]);
		return 1;
	}
	int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		perror(argv[2]);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		int fd = openat(dfd, f[i].name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, f[i].data, f[i].len) != (ssize_t)f[i].len || close(fd)) {
			perror(f[i].name);
			return 1;
		}
	}
	close(dfd);
	double w1 = wall_now(), c1 = cpu_now();
	printf("%zu %zu %.3f %.3f\n", n, total, w1 - w0, c1 - c0);
	return 0;
}
