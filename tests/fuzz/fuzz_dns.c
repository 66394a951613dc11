/* fuzz_dns.c - the DNS dissector under a fuzzer (RFC 1035 4.2.1 datagrams,
 * 4.2.2 length-prefixed messages over TCP): the input is a conversation
 * (chunks.h) played to port 53 over TCP - the input carries the length
 * prefixes - and each chunk is also one UDP datagram to port 53. A sink
 * formats every record as the timeline, -v and JSON show it, and learns
 * names from it, so every byte a record points to is read.
 *
 * A capture file (pcap or pcapng magic) is turned into a conversation
 * first: the DNS payloads of its Ethernet IPv4/IPv6 UDP and TCP packets, so
 * that replaying pcaps/ and ../shared/corpus gives real messages.
 *
 * Small caps make pending overflow (a gap in the middle of a message) run.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "dnsout.h"
#include "names.h"
#include "protos.h"
#include "synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink_out;
static struct text sink_text;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_DNS)
		return;
	text_reset(&sink_text);
	dnsout_text(&sink_text, &r->u.dns);
	text_char(&sink_text, '\n');
	dnsout_verbose(&sink_text, &r->u.dns);
	if (sink_text.b.len)
		fwrite(sink_text.b.p, 1, sink_text.b.len, sink_out);
	dnsout_json(sink_out, &r->u.dns);
	fputc('\n', sink_out);
	names_learn(&r->u.dns);
	names_get(&r->flow->ep[SS_C2S].addr);
}

/* Each chunk that is no gap as a datagram, alternating directions like
 * chunks_play() does. */
static void datagrams(struct ss_reasm *r, const uint8_t *data, size_t size)
{
	int dir = 1, ms = 100000;
	for (size_t i = 0; i <= size;) {
		size_t k = i;
		while (k + 1 < size && !(data[k] == 0xff && data[k + 1] == 0xfe))
			k++;
		int last = k + 1 >= size;
		size_t n = last ? size - i : k - i;
		if (n && !(n >= 2 && data[i] == 0xff && data[i + 1] == 0xfd)) {
			uint8_t *own = malloc(n);
			if (own) {
				memcpy(own, data + i, n);
				synth_udp(r, dir, 40001, 53, ms, own, n);
				free(own);
			}
		}
		ms++;
		dir = !dir;
		if (last)
			break;
		i = k + 2;
	}
}

static void play(const uint8_t *data, size_t size)
{
	static struct ss_caps caps;
	static int init;
	if (!init) {
		ss_caps_defaults(&caps);
		caps.max_pending = 8192; /* below the largest message */
		init = 1;
	}
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	if (!r || dissect_register(r, &o)) {
		reasm_free(r);
		return;
	}
	chunks_play(r, data, size, 53);
	datagrams(r, data, size);
	reasm_finish(r);
	reasm_free(r);
	names_free();
}

static int is_dns_port(unsigned port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* Appends a chunk (and the separator before it) to the conversation. */
static int put_chunk(uint8_t **out, size_t *len, size_t *cap, const uint8_t *p, size_t n)
{
	if (*len + n + 2 > *cap) {
		size_t c = (*len + n + 2) * 2;
		uint8_t *b = realloc(*out, c);
		if (!b)
			return -1;
		*out = b;
		*cap = c;
	}
	if (*len) {
		(*out)[(*len)++] = 0xff;
		(*out)[(*len)++] = 0xfe;
	}
	if (n)
		memcpy(*out + *len, p, n);
	*len += n;
	return 0;
}

/* The DNS payloads of a capture as a conversation: UDP messages get their
 * TCP length prefix, and an empty chunk keeps the directions alternating. */
static void from_pcap(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return;
	pcap_t *p = pcap_fopen_offline(fp, err);
	if (!p) {
		fclose(fp);
		return;
	}
	uint8_t *conv = NULL;
	size_t len = 0, cap = 0;
	int next_dir = 1; /* the direction chunks_play() expects next: 1 client */
	struct pcap_pkthdr *h;
	const u_char *pkt;
	while (pcap_datalink(p) == DLT_EN10MB && pcap_next_ex(p, &h, &pkt) == 1 &&
	       len < (1 << 20)) {
		size_t n = h->caplen, off = 12;
		unsigned type = n >= 14 ? (unsigned)(pkt[12] << 8 | pkt[13]) : 0;
		if (type == 0x8100 && n >= 18) {
			type = (unsigned)(pkt[16] << 8 | pkt[17]);
			off += 4;
		}
		off += 2;
		unsigned proto;
		if (type == 0x0800 && n >= off + 20) {
			size_t ihl = (size_t)(pkt[off] & 15) * 4;
			size_t total = (size_t)(pkt[off + 2] << 8 | pkt[off + 3]);
			if ((pkt[off + 6] & 0x3f) || pkt[off + 7] || ihl < 20 || total < ihl)
				continue; /* a fragment, or nonsense */
			if (off + total < n)
				n = off + total; /* Ethernet padding */
			proto = pkt[off + 9];
			off += ihl;
		} else if (type == 0x86dd && n >= off + 40) {
			proto = pkt[off + 6];
			off += 40;
		} else {
			continue;
		}
		if (off + 8 > n || (proto != 6 && proto != 17))
			continue;
		unsigned sport = (unsigned)(pkt[off] << 8 | pkt[off + 1]);
		unsigned dport = (unsigned)(pkt[off + 2] << 8 | pkt[off + 3]);
		if (!is_dns_port(sport) && !is_dns_port(dport))
			continue;
		int dir = is_dns_port(dport); /* 1: to the server */
		size_t hl = proto == 17 ? 8 : n >= off + 13 ? (size_t)(pkt[off + 12] >> 4) * 4 : 0;
		if (hl < 8 || off + hl >= n || n - off - hl > 65535)
			continue;
		size_t pn = n - off - hl;
		static uint8_t msg[65537];
		size_t mn = 0;
		if (proto == 17) {
			msg[0] = (uint8_t)(pn >> 8), msg[1] = (uint8_t)pn;
			mn = 2;
		}
		memcpy(msg + mn, pkt + off + hl, pn);
		mn += pn;
		if (dir != next_dir && put_chunk(&conv, &len, &cap, NULL, 0))
			break;
		if (put_chunk(&conv, &len, &cap, msg, mn))
			break;
		next_dir = !dir;
	}
	pcap_close(p); /* closes fp too */
	static const uint8_t none[1];
	play(conv ? conv : none, len); /* chunks_play() wants a pointer even for none */
	free(conv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sink_out) {
		/* FUZZ_DNS_SHOW=1: the records on stdout, to look at a seed. */
		sink_out = getenv("FUZZ_DNS_SHOW") ? stdout : fopen("/dev/null", "w");
		text_init(&sink_text);
		if (!sink_out || record_sink_add(sink, NULL))
			abort();
	}
	static const uint8_t magic[][4] = {{0xd4, 0xc3, 0xb2, 0xa1},
	                                   {0xa1, 0xb2, 0xc3, 0xd4},
	                                   {0x4d, 0x3c, 0xb2, 0xa1},
	                                   {0xa1, 0xb2, 0x3c, 0x4d},
	                                   {0x0a, 0x0d, 0x0d, 0x0a}};
	for (size_t i = 0; size >= 4 && i < sizeof magic / sizeof magic[0]; i++)
		if (!memcmp(data, magic[i], 4)) {
			from_pcap(data, size);
			return 0;
		}
	play(data, size);
	return 0;
}
