/* frag_dump.c - test tool: IP fragment reassembly against the reassembled
 * packets PcapPlusPlus's tests expect (IPReassemblyTests.cpp).
 *
 * Usage: frag_dump FILE.pcap [EXPECTED.hex ...]
 * Decodes FILE, keeping the transport bytes of every datagram put together
 * from fragments. Each EXPECTED file holds one whole packet as hex; it is
 * decoded by the same decoder (it is not fragmented, so no fragment code
 * touches it) and its transport bytes must equal one reassembled datagram.
 * Prints the counts and one line per expected file; exits 1 on a mismatch.
 */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frames.h"

struct dgram {
	uint8_t *p;
	uint32_t len;
	uint64_t frame;
};
static struct dgram got[256];
static size_t ngot;
static struct dgram *want;

/* A UDP datagram is as long as its own header says: the IPv6 fragments of
 * ip6_fragments.pcap carry 4 bytes past it, which PcapPlusPlus's rebuilt
 * packets leave out of the IP length. Both sides are compared as UDP sees
 * them. */
static uint32_t transport_len(const struct ss_ip *ip)
{
	if (ip->proto == 17 && ip->l4_len >= 8) {
		uint32_t ulen = (uint32_t)(ip->l4[4] << 8 | ip->l4[5]);
		if (ulen >= 8 && ulen < ip->l4_len)
			return ulen;
	}
	return ip->l4_len;
}

static void keep(const struct ss_ip *ip, void *ctx)
{
	(void)ctx;
	uint32_t len = transport_len(ip);
	if (want) {
		want->p = malloc(len);
		memcpy(want->p, ip->l4, len);
		want->len = len;
		return;
	}
	if (!ip->reassembled || ngot == 256)
		return;
	got[ngot].p = malloc(len);
	memcpy(got[ngot].p, ip->l4, len);
	got[ngot].len = len;
	got[ngot].frame = ip->frame->num;
	ngot++;
}

static uint8_t *read_hex(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		exit(2);
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	unsigned v;
	while (fscanf(fp, "%2x", &v) == 1) {
		if (n == cap)
			b = realloc(b, cap *= 2);
		b[n++] = (uint8_t)v;
	}
	fclose(fp);
	*len = n;
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: frag_dump FILE [EXPECTED.hex...]\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_decoder dec;
	if (decode_init(&dec, pcap_datalink(p), &caps, keep, NULL))
		return 2;
	uint64_t n = frames_decode(p, &dec);
	const struct frag_stats *fs = frag_stats(dec.frags);
	printf("frames %llu fragments %llu reassembled %llu malformed %llu\n",
	       (unsigned long long)n, (unsigned long long)fs->fragments,
	       (unsigned long long)fs->reassembled, (unsigned long long)dec.st.malformed);
	int bad = 0;
	for (int i = 2; i < argc; i++) {
		size_t len;
		uint8_t *b = read_hex(argv[i], &len);
		struct dgram w = {0};
		want = &w;
		struct ss_frame f = {0, 0, (uint32_t)len, (uint32_t)len, b};
		decode_frame(&dec, &f);
		want = NULL;
		size_t k = 0;
		while (k < ngot && !(w.p && got[k].len == w.len && !memcmp(got[k].p, w.p, w.len)))
			k++;
		if (k < ngot) {
			printf("%s: equals the datagram completed by frame %llu (%u bytes)\n",
			       argv[i], (unsigned long long)got[k].frame, w.len);
		} else {
			printf("%s: NO reassembled datagram equals it (%u bytes)\n", argv[i],
			       w.len);
			bad = 1;
		}
		free(w.p);
		free(b);
	}
	for (size_t k = 0; k < ngot; k++)
		free(got[k].p);
	decode_fini(&dec);
	pcap_close(p);
	return bad;
}
