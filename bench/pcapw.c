/* pcapw.c - bench/'s frame writer (see pcapw.h). */
#include "pcapw.h"

#include <stdlib.h>
#include <string.h>

#define PCAPW_MAX_DATA 65000 /* an IPv4 datagram's payload, with room to spare */

static void fail(const struct pcapw *w, const char *what)
{
	fprintf(stderr, "%s: %s: ", w->name, what);
	perror(NULL);
	exit(1);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t k = 0; k + 1 < n; k += 2)
		s += (uint32_t)(p[k] << 8 | p[k + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void pcapw_open(struct pcapw *w, const char *path)
{
	w->name = path;
	w->packets = w->bytes = 0;
	w->out = fopen(path, "wb");
	if (!w->out)
		fail(w, "open");
	setvbuf(w->out, NULL, _IOFBF, 1 << 20);
	uint8_t gh[24];
	le32(gh, 0xa1b2c3d4); /* microseconds */
	gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
	memset(gh + 8, 0, 8);
	le32(gh + 16, 65535); /* snap length */
	le32(gh + 20, 1);     /* Ethernet */
	if (fwrite(gh, sizeof gh, 1, w->out) != 1)
		fail(w, "write");
	w->bytes = sizeof gh;
}

void pcapw_close(struct pcapw *w)
{
	if (fclose(w->out) != 0)
		fail(w, "close");
}

/* The frame: record header, Ethernet, IPv4 and the transport header of
 * hlen bytes at f + 16 + 34 (filled by the caller but for its checksum at
 * csum), then the data. */
static void frame(struct pcapw *w, uint64_t usec, struct pcapw_end src, struct pcapw_end dst,
                  int proto, uint8_t *f, size_t hlen, size_t csum, const void *data, size_t len)
{
	static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x01},
	                     mac_b[6] = {0x02, 0, 0, 0, 0, 0x02};
	static uint8_t buf[16 + 14 + 20 + 20 + PCAPW_MAX_DATA];
	if (len > PCAPW_MAX_DATA) {
		fprintf(stderr, "%s: a frame of %zu bytes is too long\n", w->name, len);
		exit(1);
	}
	size_t caplen = 14 + 20 + hlen + len;
	memcpy(buf, f, 16 + 34 + hlen);
	uint8_t *e = buf + 16, *ip = e + 14, *l4 = ip + 20;
	memcpy(l4 + hlen, data, len);
	le32(buf, (uint32_t)(usec / 1000000));
	le32(buf + 4, (uint32_t)(usec % 1000000));
	le32(buf + 8, (uint32_t)caplen);
	le32(buf + 12, (uint32_t)caplen);
	/* the lower address is always host "a": a frame's MACs follow its IPs */
	int a_to_b = src.ip < dst.ip || (src.ip == dst.ip && src.port < dst.port);
	memcpy(e, a_to_b ? mac_b : mac_a, 6);
	memcpy(e + 6, a_to_b ? mac_a : mac_b, 6);
	put16(e + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + hlen + len));
	put16(ip + 4, (uint16_t)(w->packets & 0xffff));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put32(ip + 12, src.ip);
	put32(ip + 16, dst.ip);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	/* pseudo-header: addresses, protocol, length */
	uint32_t s = sum16(ip + 12, 8, 0) + (uint32_t)proto + (uint32_t)(hlen + len);
	uint16_t c = fold(sum16(l4, hlen + len, s));
	put16(l4 + csum, proto == 17 && c == 0 ? 0xffff : c);
	if (fwrite(buf, 16 + caplen, 1, w->out) != 1)
		fail(w, "write");
	w->packets++;
	w->bytes += 16 + caplen;
}

void pcapw_tcp(struct pcapw *w, uint64_t usec, struct pcapw_end src, struct pcapw_end dst,
               uint32_t seq, uint32_t ack, int flags, const void *data, size_t len)
{
	uint8_t f[16 + 34 + 20] = {0};
	uint8_t *tcp = f + 16 + 34;
	put16(tcp, src.port);
	put16(tcp + 2, dst.port);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = (uint8_t)flags;
	put16(tcp + 14, 64240);
	frame(w, usec, src, dst, 6, f, 20, 16, data, len);
}

void pcapw_udp(struct pcapw *w, uint64_t usec, struct pcapw_end src, struct pcapw_end dst,
               const void *data, size_t len)
{
	uint8_t f[16 + 34 + 8] = {0};
	uint8_t *udp = f + 16 + 34;
	put16(udp, src.port);
	put16(udp + 2, dst.port);
	put16(udp + 4, (uint16_t)(8 + len));
	frame(w, usec, src, dst, 17, f, 8, 6, data, len);
}
