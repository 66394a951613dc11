/* onefile.c - a main() for the fuzz targets without libFuzzer: runs the
 * target once on each file named (directories: each file in them), so
 * seeds and saved crashes replay under ctest and under a debugger
 * (libpcap's testprogs/fuzz/onefile.c does the same).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return -1;
	}
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (!b || (n > 0 && fread(b, 1, (size_t)n, fp) != (size_t)n)) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(fp);
		free(b);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(b, (size_t)n);
	free(b);
	return 0;
}

static int run(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st)) {
		printf("%s: absent, skipped\n", path); /* ../shared may not be there */
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		if (run(sub, count))
			rc = -1;
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0, count = 0;
	for (int i = 1; i < argc; i++)
		if (run(argv[i], &count))
			rc = 1;
	printf("%d inputs replayed\n", count);
	return rc || count == 0;
}
