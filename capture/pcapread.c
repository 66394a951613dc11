/* pcapread.c - the records of a classic pcap file read in place (see
 * pcapread.h).
 *
 * The file is read in blocks of READ_BLOCK bytes into one buffer that also
 * has room for the largest record, so that a record is whole in the buffer
 * when it is handed out; what is left of a block moves to the front before
 * the next read. Walking the benchmark captures' records, blocks of 64
 * and 256 KiB read as fast as each other; 1 and 4 MiB were 5 to 30% slower,
 * their data falling out of the core's cache before it is looked at.
 */
#define _GNU_SOURCE
#include "pcapread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BLOCK (256u << 10)
#define FILE_HEADER 24    /* struct pcap_file_header */
#define RECORD_HEADER 16  /* ts_sec, ts_frac, caplen, len */
#define RECORD_MAX 262144 /* libpcap's MAXIMUM_SNAPLEN: a longer record is refused */
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du

struct pcapread {
	int fd;
	int nano;         /* nanosecond time stamps */
	uint32_t snaplen; /* the file's, as libpcap took it */
	uint8_t *buf;     /* READ_BLOCK and a whole record */
	size_t have, pos; /* bytes in buf, and where the next record starts */
	off_t off;        /* where the next read starts in the file */
	uint64_t done;    /* bytes handed out, the file header included */
	int eof;
	char err[PCAP_ERRBUF_SIZE];
};

/* The link types for which libpcap takes records longer than RECORD_MAX
 * (max_snaplen_for_dlt): left to libpcap, so that both stop at the same
 * record. */
static int long_records(int dlt)
{
	return dlt == 231 /* DBUS */ || dlt == 249 /* USBPCAP */ || dlt == 279 /* EBHSCR */;
}

struct pcapread *pcapread_new(pcap_t *p, int fd)
{
	uint32_t magic;
	/* 2.4 only: before it, caplen and len may be the other way round */
	if (pcap_is_swapped(p) || pcap_major_version(p) != 2 || pcap_minor_version(p) != 4 ||
	    long_records(pcap_datalink(p)) || pcap_snapshot(p) <= 0 ||
	    pread(fd, &magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
	    (magic != MAGIC_US && magic != MAGIC_NS))
		return NULL; /* not a classic pcap file in this machine's byte order, or a pipe */
	struct pcapread *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->buf = malloc(READ_BLOCK + RECORD_HEADER + RECORD_MAX);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->nano = magic == MAGIC_NS;
	r->snaplen = (uint32_t)pcap_snapshot(p);
	r->off = FILE_HEADER;
	r->done = FILE_HEADER;
	return r;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v); /* this machine's byte order: pcapread_new saw to it */
	return v;
}

/* Why the file ends inside the record at r->pos: libpcap's words. */
static int cut_short(struct pcapread *r, size_t left)
{
	if (left < RECORD_HEADER) {
		snprintf(r->err, sizeof r->err,
		         "truncated dump file; tried to read %d header bytes, only got %zu",
		         RECORD_HEADER, left);
		return -1;
	}
	uint32_t caplen = u32_at(r->buf + r->pos + 8);
	size_t got = left - RECORD_HEADER;
	/* a record past the snapshot length is read to the snapshot length
	 * first, then the rest is read and thrown away */
	if (caplen > r->snaplen && got < r->snaplen)
		caplen = r->snaplen;
	snprintf(r->err, sizeof r->err,
	         "truncated dump file; tried to read %u captured bytes, only got %zu", caplen, got);
	return -1;
}

int pcapread_next(struct pcapread *r, struct pcap_pkthdr *h, const uint8_t **data)
{
	for (;;) {
		size_t left = r->have - r->pos;
		if (left >= RECORD_HEADER) {
			const uint8_t *p = r->buf + r->pos;
			uint32_t caplen = u32_at(p + 8);
			if (caplen > RECORD_MAX) {
				if (caplen > r->snaplen)
					snprintf(r->err, sizeof r->err,
					         "invalid packet capture length %u, bigger than "
					         "snaplen of %u",
					         caplen, r->snaplen);
				else
					snprintf(r->err, sizeof r->err,
					         "invalid packet capture length %u, bigger than "
					         "maximum of %d",
					         caplen, RECORD_MAX);
				return -1;
			}
			size_t need = RECORD_HEADER + (size_t)caplen;
			if (left >= need) {
				memset(h, 0, sizeof *h);
				/* read as libpcap reads them: signed 32-bit, the
				 * fraction scaled to nanoseconds */
				int64_t frac = (int32_t)u32_at(p + 4);
				h->ts.tv_sec = (int32_t)u32_at(p);
				h->ts.tv_usec = (suseconds_t)(r->nano ? frac : frac * 1000);
				h->caplen = caplen < r->snaplen ? caplen : r->snaplen;
				h->len = u32_at(p + 12);
				*data = p + RECORD_HEADER;
				r->pos += need;
				r->done += need;
				return 1;
			}
		}
		if (r->eof)
			return left ? cut_short(r, left) : 0;
		memmove(r->buf, r->buf + r->pos, left);
		r->have = left;
		r->pos = 0;
		ssize_t n = pread(r->fd, r->buf + r->have, READ_BLOCK, r->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(r->err, sizeof r->err, "error reading dump file: %s",
			         strerror(errno));
			return -1;
		}
		r->eof = n == 0;
		r->have += (size_t)n;
		r->off += n;
	}
}

const char *pcapread_error(const struct pcapread *r)
{
	return r->err;
}

uint64_t pcapread_offset(const struct pcapread *r)
{
	return r->done;
}

void pcapread_free(struct pcapread *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}
