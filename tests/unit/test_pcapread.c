/* test_pcapread.c - capture/pcapread.c against libpcap itself, the truth
 * it has to match: every record of every capture given (their folders are
 * walked), and of damaged copies of each small one, read both ways must
 * give the same frames (time, lengths, bytes) and end the same way, with
 * libpcap's own words when the file is damaged (tests/pcapdiff.h).
 *
 * The damaged copies: cut at every byte, a record's caplen made larger
 * than the file's snapshot length (libpcap keeps the first snapshot-length
 * bytes) and then cut inside the part thrown away, and a caplen past
 * 262144. Files pcapread does not take (pcapng, the other byte order) are
 * counted; at least some of each kind must be there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pcapdiff.h"
#include "pcapread.h"

static int taken, left_to_libpcap, damaged;
/* The damaged copies live in memory: a memfd, opened anew by its /proc
 * name for each reader, so that each has its own file position. */
static int tmp_fd = -1;
static char tmp_path[64];

/* Reads path both ways; returns 1 when pcapread took it. */
static int compare(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *a = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	FILE *fp = fopen(path, "rb");
	pcap_t *b =
	    fp ? pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, err)
	       : NULL;
	if (!a || !b) {
		CHECK(!a && !b); /* a header libpcap refuses, refused both times */
		if (a)
			pcap_close(a);
		if (b)
			pcap_close(b);
		else if (fp)
			fclose(fp);
		return 0;
	}
	struct pcapread *r = pcapread_new(b, fileno(fp));
	if (!r) {
		pcap_close(a);
		pcap_close(b);
		return 0;
	}
	uint64_t n;
	const char *what = pcapdiff(a, r, &n);
	if (!CHECK(what == NULL))
		printf("  %s: record %llu: %s\n", path, (unsigned long long)n, what);
	pcapread_free(r);
	pcap_close(a);
	pcap_close(b);
	return 1;
}

static void write_tmp(const uint8_t *p, size_t n)
{
	if (ftruncate(tmp_fd, 0) || pwrite(tmp_fd, p, n, 0) != (ssize_t)n)
		abort();
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* The damaged copies of a small classic pcap file. */
static void damage(const uint8_t *file, size_t size)
{
	uint8_t *c = malloc(size + 300000);
	if (!c)
		abort();
	for (size_t cut = 24; cut < size; cut++) {
		write_tmp(file, cut);
		damaged += compare(tmp_path);
	}
	/* the first record with the largest caplen: a snapshot length of 40
	 * keeps its first 40 bytes, a cut inside the rest says so */
	uint32_t caplen = get32(file + 24 + 8);
	if (caplen > 40) {
		memcpy(c, file, size);
		put32(c + 16, 40); /* the file's snapshot length */
		write_tmp(c, size);
		damaged += compare(tmp_path);
		write_tmp(c, 24 + 16 + 20); /* short of the snapshot length */
		damaged += compare(tmp_path);
		write_tmp(c, 24 + 16 + caplen - 1); /* short in what is thrown away */
		damaged += compare(tmp_path);
	}
	memcpy(c, file, size);
	put32(c + 24 + 8, 300000); /* beyond any snapshot length */
	write_tmp(c, size);
	damaged += compare(tmp_path);
	put32(c + 16, 300000);
	write_tmp(c, size);
	damaged += compare(tmp_path);
	free(c);
}

static int visit(const char *path, const struct stat *st, int kind, struct FTW *ftw)
{
	(void)ftw;
	size_t n = strlen(path);
	int pcap = n > 5 && !strcmp(path + n - 5, ".pcap");
	int pcapng = n > 7 && !strcmp(path + n - 7, ".pcapng");
	if (kind != FTW_F || !(pcap || pcapng))
		return 0;
	if (compare(path)) {
		taken++;
	} else {
		left_to_libpcap++;
		return 0;
	}
	if (st->st_size <= 8192) {
		FILE *f = fopen(path, "rb");
		uint8_t buf[8192];
		size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
		if (f)
			fclose(f);
		if (got > 24 + 16)
			damage(buf, got);
	}
	return 0;
}

int main(int argc, char **argv)
{
	tmp_fd = memfd_create("test_pcapread", 0);
	if (tmp_fd < 0)
		return 1;
	snprintf(tmp_path, sizeof tmp_path, "/proc/self/fd/%d", tmp_fd);
	for (int i = 1; i < argc; i++)
		if (access(argv[i], R_OK) == 0)
			nftw(argv[i], visit, 16, FTW_PHYS);
	close(tmp_fd);
	printf("%d captures read in place, %d left to libpcap, %d damaged copies\n", taken,
	       left_to_libpcap, damaged);
	CHECK(taken >= 5);
	CHECK(damaged >= 1000);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
