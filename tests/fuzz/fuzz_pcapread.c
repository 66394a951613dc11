/* fuzz_pcapread.c - capture/pcapread.c against libpcap under a fuzzer (a
 * differential target): the input is a capture file, which libpcap reads
 * from memory and pcapread reads from a memfd, as it reads a file. Every
 * frame (time, lengths, bytes) and the way the read ends (the end, or
 * libpcap's words for the damage) must be the same; a difference aborts,
 * and the input is kept as a crash. Files pcapread does not take (pcapng,
 * the other byte order...) are read by libpcap alone.
 *
 * The frame pcapread hands out lies in its block buffer, so ASan would not
 * see a read past a record's end; the byte-for-byte comparison with
 * libpcap's copy does.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int file = -1; /* the input as a file: one memfd, rewritten each time */

static void differ(const char *what)
{
	fprintf(stderr, "fuzz_pcapread: pcapread and libpcap differ: %s\n", what);
	abort();
}

static void compare(pcap_t *a, struct pcapread *r)
{
	for (;;) {
		struct pcap_pkthdr *ha, hb;
		const u_char *da;
		const uint8_t *db;
		int ra = pcap_next_ex(a, &ha, &da);
		int rb = pcapread_next(r, &hb, &db);
		if (ra == 1 && rb == 1) {
			if (ha->ts.tv_sec != hb.ts.tv_sec || ha->ts.tv_usec != hb.ts.tv_usec)
				differ("a frame's time");
			if (ha->caplen != hb.caplen || ha->len != hb.len)
				differ("a frame's lengths");
			if (memcmp(da, db, ha->caplen))
				differ("a frame's bytes");
			continue;
		}
		if (ra == PCAP_ERROR_BREAK && rb == 0)
			return;
		if (ra == PCAP_ERROR && rb == -1) {
			if (strcmp(pcap_geterr(a), pcapread_error(r)))
				differ("the words for the damage");
			return;
		}
		differ("how the file ends");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (file < 0 && (file = memfd_create("fuzz_pcapread", 0)) < 0)
		abort();
	if (size == 0 || ftruncate(file, 0) || pwrite(file, data, size, 0) != (ssize_t)size)
		return 0;
	char err[PCAP_ERRBUF_SIZE];
	FILE *fa = fmemopen((void *)data, size, "rb");
	int fd = dup(file);
	FILE *fb = fd < 0 ? NULL : fdopen(fd, "rb");
	if (!fb && fd >= 0)
		close(fd);
	pcap_t *a =
	    fa ? pcap_fopen_offline_with_tstamp_precision(fa, PCAP_TSTAMP_PRECISION_NANO, err)
	       : NULL;
	if (fb && lseek(fd, 0, SEEK_SET) != 0)
		abort();
	pcap_t *b =
	    fb ? pcap_fopen_offline_with_tstamp_precision(fb, PCAP_TSTAMP_PRECISION_NANO, err)
	       : NULL;
	if (fa && fb && !a != !b)
		differ("whether the header is taken");
	struct pcapread *r = a && b ? pcapread_new(b, file) : NULL;
	if (r)
		compare(a, r);
	pcapread_free(r);
	if (a)
		pcap_close(a); /* and fa */
	else if (fa)
		fclose(fa);
	if (b)
		pcap_close(b); /* and fb */
	else if (fb)
		fclose(fb);
	return 0;
}
