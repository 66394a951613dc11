/* fuzz_dns.c - the DNS dissector under a fuzzer: bytes -> one TCP flow and
 * one UDP flow to port 53 -> reassembly -> the DNS dissector (RFC 1035
 * 4.2.1 datagrams, 4.2.2 length-prefixed messages) -> a record sink that
 * formats every record as text, -v and JSON, and learns names, so that
 * every byte the records point to is read.
 *
 * Input: chunks separated by FF FE, alternating client-to-server and
 * server-to-client. A chunk that starts with FF FD is a hole of its length
 * in its direction (the peer acknowledges past it, so reassembly declares a
 * gap). Every other chunk is one TCP segment (the dissector does its own
 * framing: the input carries the length prefixes) and one UDP datagram.
 * Each chunk is copied into its own malloc'd buffer, so ASan sees a read
 * past its end. A capture file (pcap magic) is turned into chunks instead:
 * the DNS payloads of its Ethernet IPv4/IPv6 UDP and TCP packets, so the
 * seeds in pcaps/ and ../shared/corpus replay real messages.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsout.h"
#include "names.h"
#include "protos.h"
#include "reasm.h"
#include "sstime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CHUNKS 4096

struct chunk {
	int dir; /* 0 client to server, 1 server to client */
	int gap;
	const uint8_t *p;
	size_t n;
};

static FILE *sink_out;

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_DNS)
		return;
	dnsout_text(sink_out, &r->u.dns);
	fputc('\n', sink_out);
	dnsout_verbose(sink_out, &r->u.dns);
	dnsout_json(sink_out, &r->u.dns);
	fputc('\n', sink_out);
	names_learn(&r->u.dns);
	names_get(&r->flow->ep[0].addr);
}

struct feeder {
	struct ss_reasm *r;
	uint64_t frame;
	int64_t now;
	uint32_t seq[2];
};

static void send_ip(struct feeder *fd, int dir, uint8_t proto, uint8_t *l4, size_t len)
{
	struct ss_frame f = {++fd->frame, fd->now, (uint32_t)len, (uint32_t)len, l4};
	struct ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.frame = &f;
	ip.src.family = ip.dst.family = SS_AF_INET;
	static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	memcpy(ip.src.b, dir ? b : a, 4);
	memcpy(ip.dst.b, dir ? a : b, 4);
	ip.proto = proto;
	ip.l4 = l4;
	ip.l4_len = ip.l4_wire_len = (uint32_t)len;
	reasm_ip(&ip, fd->r);
	fd->now += 1000000; /* 1 ms per packet */
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16), put16(p + 2, v);
}

/* A TCP segment 10.0.0.1:40000 <-> 10.0.0.2:53 in its own buffer. */
static void tcp(struct feeder *fd, int dir, int flags, const uint8_t *p, size_t n)
{
	uint8_t *pkt = malloc(20 + n);
	if (!pkt)
		return;
	memset(pkt, 0, 20);
	put16(pkt, dir ? 53 : 40000);
	put16(pkt + 2, dir ? 40000 : 53);
	put32(pkt + 4, fd->seq[dir]);
	put32(pkt + 8, fd->seq[!dir]);
	pkt[12] = 5 << 4;
	pkt[13] = (uint8_t)flags;
	if (n)
		memcpy(pkt + 20, p, n);
	send_ip(fd, dir, 6, pkt, 20 + n);
	free(pkt);
}

static void udp(struct feeder *fd, int dir, const uint8_t *p, size_t n)
{
	if (n > 65535 - 8)
		return;
	uint8_t *pkt = malloc(8 + n);
	if (!pkt)
		return;
	put16(pkt, dir ? 53 : 40001);
	put16(pkt + 2, dir ? 40001 : 53);
	put16(pkt + 4, (uint32_t)(8 + n));
	put16(pkt + 6, 0);
	if (n)
		memcpy(pkt + 8, p, n);
	send_ip(fd, dir, 17, pkt, 8 + n);
	free(pkt);
}

static void feed(const struct chunk *tc, size_t ntc, const struct chunk *uc, size_t nuc)
{
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	caps.max_flows = 16;
	caps.max_mem = 256 << 10;
	caps.max_flow_mem = 64 << 10;
	caps.max_pending = 16 << 10; /* below the largest message: overflow runs too */
	caps.ack_wait = 0;           /* a hole the peer acknowledged is a gap at once */
	struct dissect_opts dopt = {&caps, 0};
	struct feeder fd = {reasm_new(&caps), 0, 1700000000 * SS_NS_PER_SEC, {1000, 5000}};
	if (!fd.r || dissect_register(fd.r, &dopt)) {
		reasm_free(fd.r);
		return;
	}
	tcp(&fd, 0, 0x02, NULL, 0);
	fd.seq[0]++;
	tcp(&fd, 1, 0x12, NULL, 0);
	fd.seq[1]++;
	tcp(&fd, 0, 0x10, NULL, 0);
	for (size_t i = 0; i < ntc; i++) {
		const struct chunk *c = &tc[i];
		if (c->gap) {
			fd.seq[c->dir] += (uint32_t)c->n;
			continue;
		}
		if (!c->n)
			continue;
		tcp(&fd, c->dir, 0x18, c->p, c->n);
		fd.seq[c->dir] += (uint32_t)c->n;
		tcp(&fd, !c->dir, 0x10, NULL, 0); /* acknowledges any hole too */
	}
	for (size_t i = 0; i < nuc; i++)
		if (!uc[i].gap && uc[i].n)
			udp(&fd, uc[i].dir, uc[i].p, uc[i].n);
	tcp(&fd, 0, 0x11, NULL, 0);
	fd.seq[0]++;
	tcp(&fd, 1, 0x11, NULL, 0);
	fd.seq[1]++;
	tcp(&fd, 0, 0x10, NULL, 0);
	reasm_finish(fd.r);
	reasm_free(fd.r);
}

/* The chunk format: FF FE separates, FF FD opens a hole. */
static size_t split(const uint8_t *data, size_t size, struct chunk *c)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= size && n < MAX_CHUNKS; i++) {
		if (i < size && !(i + 1 < size && data[i] == 0xff && data[i + 1] == 0xfe))
			continue;
		const uint8_t *p = data + start;
		size_t len = i - start;
		c[n].dir = (int)(n % 2);
		c[n].gap = len >= 2 && p[0] == 0xff && p[1] == 0xfd;
		c[n].p = p;
		c[n].n = len;
		n++;
		start = i + 2;
		i++;
	}
	return n;
}

static int is_dns_port(unsigned port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* The DNS payloads of a capture: UDP ones as datagrams (and, with their
 * length prefixed, as TCP messages), TCP ones as segments. */
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
	static struct chunk tc[MAX_CHUNKS], uc[MAX_CHUNKS];
	static uint8_t *owned[MAX_CHUNKS];
	size_t ntc = 0, nuc = 0, nowned = 0;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	while (pcap_datalink(p) == DLT_EN10MB && pcap_next_ex(p, &h, &pkt) == 1 &&
	       ntc < MAX_CHUNKS && nuc < MAX_CHUNKS) {
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
		int dir = !is_dns_port(dport);
		size_t hl =
		    proto == 17 ? 8 : (size_t)(n >= off + 13 ? (pkt[off + 12] >> 4) * 4 : 0);
		if (hl < 8 || off + hl > n || off + hl == n)
			continue;
		const uint8_t *pl = pkt + off + hl;
		size_t pn = n - off - hl;
		/* pcap_next_ex's buffer is reused: keep a copy. */
		uint8_t *copy = malloc(pn + 2);
		if (!copy || nowned == MAX_CHUNKS) {
			free(copy);
			break;
		}
		owned[nowned++] = copy;
		put16(copy, (uint32_t)pn);
		memcpy(copy + 2, pl, pn);
		if (proto == 17) {
			uc[nuc++] = (struct chunk){dir, 0, copy + 2, pn};
			tc[ntc++] = (struct chunk){dir, 0, copy, pn + 2};
		} else {
			tc[ntc++] = (struct chunk){dir, 0, copy + 2, pn};
		}
	}
	pcap_close(p);
	feed(tc, ntc, uc, nuc);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chunk c[MAX_CHUNKS];
	if (!sink_out) {
		/* FUZZ_DNS_SHOW=1: the records on stdout, to look at a seed. */
		sink_out = getenv("FUZZ_DNS_SHOW") ? stdout : fopen("/dev/null", "w");
		if (!sink_out || record_sink_add(on_record, NULL))
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
			names_free();
			return 0;
		}
	size_t n = split(data, size, c);
	feed(c, n, c, n);
	names_free();
	return 0;
}
