/* reasm_dump.c - test tool: what reassembly delivers, flow by flow, in the
 * form PcapPlusPlus's TCP reassembly tests record it (both directions'
 * bytes concatenated in delivery order, a hole written "[N bytes missing]").
 *
 * Usage: reasm_dump FILE.pcap OUTDIR [EDIT...]
 * Writes OUTDIR/<client port>.txt for each TCP flow and prints one line per
 * flow. The edits rebuild the packet sequences PcapPlusPlus's tests make
 * (Tests/Pcap++Test/Tests/TcpReassemblyTests.cpp), applied in order to the
 * list of frames (0-based indexes, like its std::vector):
 *   del:I           erase frame I
 *   mv:I:J          take frame I out, then insert it at J
 *   swap:I:J        swap frames I and J
 *   rx:I:B:N:AT     build a copy of frame I (IPv4/TCP) whose payload is its
 *                   bytes B..B+N ('*' past the end; N<=0: to the end) with
 *                   seq+B, and insert it at AT (tcpReassemblyAddRetransmissions)
 *   len:I:D         add D to frame I's IPv4 total length
 */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "sstime.h"
#include "reasm.h"

struct frame {
	struct pcap_pkthdr h;
	uint8_t *data;
};

static struct frame *frames;
static size_t nframes, aframes;

struct out {
	FILE *fp;
	uint64_t bytes[2], gaps[2];
};

static const char *outdir;

static void *t_open(const struct ss_flow *f, void *ctx)
{
	(void)ctx;
	if (f->proto != 6)
		return NULL;
	struct out *o = calloc(1, sizeof *o);
	char path[4096];
	snprintf(path, sizeof path, "%s/%u.txt", outdir, f->ep[SS_C2S].port);
	o->fp = fopen(path, "wb");
	if (!o->fp) {
		perror(path);
		exit(1);
	}
	return o;
}

static void t_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	(void)at;
	struct out *o = st;
	if (!o)
		return;
	fwrite(p, 1, n, o->fp);
	o->bytes[d] += n;
}

static void t_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	(void)at;
	struct out *o = st;
	if (!o)
		return;
	fprintf(o->fp, "[%llu bytes missing]", (unsigned long long)len);
	o->gaps[d]++;
}

static void t_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)at;
	struct out *o = st;
	if (!o)
		return;
	printf("flow %u c2s %llu s2c %llu gaps %llu/%llu conflicts %llu/%llu close %s\n",
	       f->ep[SS_C2S].port, (unsigned long long)o->bytes[0], (unsigned long long)o->bytes[1],
	       (unsigned long long)o->gaps[0], (unsigned long long)o->gaps[1],
	       (unsigned long long)f->st[0].conflicts, (unsigned long long)f->st[1].conflicts,
	       ss_close_name(f->how));
	fclose(o->fp);
	free(o);
}

static void insert_at(size_t at, struct frame fr)
{
	if (nframes == aframes) {
		aframes = aframes ? aframes * 2 : 64;
		frames = realloc(frames, aframes * sizeof *frames);
	}
	if (at > nframes)
		at = nframes;
	memmove(frames + at + 1, frames + at, (nframes - at) * sizeof *frames);
	frames[at] = fr;
	nframes++;
}

static struct frame take(size_t i)
{
	struct frame fr = frames[i];
	memmove(frames + i, frames + i + 1, (nframes - i - 1) * sizeof *frames);
	nframes--;
	return fr;
}

/* PcapPlusPlus's tcpReassemblyAddRetransmissions(), for Ethernet/IPv4/TCP. */
static struct frame retransmission(const struct frame *src, long beg, long n)
{
	const uint8_t *d = src->data;
	size_t ihl = (size_t)(d[14] & 15) * 4, total = (size_t)(d[16] << 8 | d[17]);
	size_t doff = (size_t)(d[14 + ihl + 12] >> 4) * 4, hdr = 14 + ihl + doff;
	long plen = (long)(total - ihl - doff);
	if (n <= 0)
		n = plen - beg;
	struct frame fr = *src;
	fr.data = malloc(hdr + (size_t)n);
	memcpy(fr.data, d, hdr);
	for (long i = 0; i < n; i++)
		fr.data[hdr + (size_t)i] = beg + i < plen ? d[hdr + (size_t)(beg + i)] : '*';
	uint8_t *tcp = fr.data + 14 + ihl;
	uint32_t seq =
	    (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	seq += (uint32_t)beg;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16), tcp[6] = (uint8_t)(seq >> 8),
	tcp[7] = (uint8_t)seq;
	size_t nt = ihl + doff + (size_t)n;
	fr.data[16] = (uint8_t)(nt >> 8);
	fr.data[17] = (uint8_t)nt;
	fr.h.caplen = fr.h.len = (bpf_u_int32)(hdr + (size_t)n);
	return fr;
}

static void edit(const char *e)
{
	long a = 0, b = 0, c = 0, d = 0;
	if (sscanf(e, "del:%ld", &a) == 1) {
		struct frame fr = take((size_t)a);
		free(fr.data);
	} else if (sscanf(e, "mv:%ld:%ld", &a, &b) == 2) {
		insert_at((size_t)b, take((size_t)a));
	} else if (sscanf(e, "swap:%ld:%ld", &a, &b) == 2) {
		struct frame t = frames[a];
		frames[a] = frames[b];
		frames[b] = t;
	} else if (sscanf(e, "rx:%ld:%ld:%ld:%ld", &a, &b, &c, &d) == 4) {
		insert_at((size_t)d, retransmission(&frames[a], b, c));
	} else if (sscanf(e, "len:%ld:%ld", &a, &b) == 2) {
		uint8_t *p = frames[a].data + 16;
		unsigned v = (unsigned)(p[0] << 8 | p[1]) + (unsigned)b;
		p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
	} else {
		fprintf(stderr, "reasm_dump: bad edit %s\n", e);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: reasm_dump FILE OUTDIR [EDIT...]\n");
		return 2;
	}
	outdir = argv[2];
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct frame fr = {*h, malloc(h->caplen)};
		memcpy(fr.data, data, h->caplen);
		insert_at(nframes, fr);
	}
	for (int i = 3; i < argc; i++)
		edit(argv[i]);

	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_tap tap = {t_open, t_data, t_gap, NULL, t_close, NULL};
	reasm_add_tap(r, &tap);
	struct ss_decoder dec;
	if (decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r)) {
		fprintf(stderr, "link type not supported\n");
		return 2;
	}
	int sec32 = pcap_major_version(p) == PCAP_VERSION_MAJOR; /* as capture/source.c */
	for (size_t i = 0; i < nframes; i++) {
		struct ss_frame f = {i + 1,
		                     ss_time_capture(frames[i].h.ts.tv_sec,
		                                     (int64_t)frames[i].h.ts.tv_usec * 1000, sec32),
		                     frames[i].h.caplen, frames[i].h.len, frames[i].data};
		decode_frame(&dec, &f);
	}
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	for (size_t i = 0; i < nframes; i++)
		free(frames[i].data);
	free(frames);
	return 0;
}
