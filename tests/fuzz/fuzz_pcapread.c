/* fuzz_pcapread.c - capture/pcapread.c against libpcap under a fuzzer (a
 * differential target): the input is a capture file, which libpcap reads
 * from memory and pcapread reads from a memfd, as it reads a file. Every
 * frame (time, lengths, bytes) and the way the read ends (the end, or
 * libpcap's words for the damage) must be the same (tests/pcapdiff.h): a
 * difference aborts, and the input is kept as a crash. Files pcapread does
 * not take (pcapng, the other byte order...) are read by libpcap alone.
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

#include "pcapdiff.h"
#include "pcapread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int file = -1; /* the input as a file: one memfd, rewritten each time */

static void differ(const char *what)
{
	fprintf(stderr, "fuzz_pcapread: pcapread and libpcap differ: %s\n", what);
	abort();
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
	uint64_t record;
	const char *what = r ? pcapdiff(a, r, &record) : NULL;
	if (what)
		differ(what);
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
