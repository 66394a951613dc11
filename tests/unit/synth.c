/* synth.c - hand-made segments and datagrams for the unit tests. */
#include "synth.h"

#include <string.h>

#include "sstime.h"

static uint64_t frame_no;

void synth_reset(void)
{
	frame_no = 0;
}

static void send_ip(struct ss_reasm *r, int from_client, uint8_t proto, uint8_t *l4, size_t len,
                    size_t cut, int ms)
{
	struct ss_frame f = {++frame_no, (int64_t)ms * 1000000 + 1700000000 * SS_NS_PER_SEC,
	                     (uint32_t)len, (uint32_t)(len + cut), l4};
	struct ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.frame = &f;
	ip.src.family = ip.dst.family = SS_AF_INET;
	static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	memcpy(ip.src.b, from_client ? a : b, 4);
	memcpy(ip.dst.b, from_client ? b : a, 4);
	ip.proto = proto;
	ip.l4 = l4;
	ip.l4_len = (uint32_t)len;
	ip.l4_wire_len = (uint32_t)(len + cut);
	reasm_ip(&ip, r);
}

void synth_tcp(struct ss_reasm *r, int from_client, uint16_t cport, uint16_t sport, int ms,
               int flags, uint32_t seq, uint32_t ack, const void *p, size_t n, size_t cut)
{
	static uint8_t pkt[20 + 4096];
	uint16_t s = from_client ? cport : sport, d = from_client ? sport : cport;
	if (n > 4096)
		n = 4096;
	memset(pkt, 0, 20);
	pkt[0] = (uint8_t)(s >> 8), pkt[1] = (uint8_t)s;
	pkt[2] = (uint8_t)(d >> 8), pkt[3] = (uint8_t)d;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	pkt[12] = 5 << 4;
	pkt[13] = (uint8_t)flags;
	if (n)
		memcpy(pkt + 20, p, n);
	send_ip(r, from_client, 6, pkt, 20 + n, cut, ms);
}

void synth_udp(struct ss_reasm *r, int from_client, uint16_t cport, uint16_t sport, int ms,
               const void *p, size_t n)
{
	static uint8_t pkt[8 + 4096];
	uint16_t s = from_client ? cport : sport, d = from_client ? sport : cport;
	if (n > 4096)
		n = 4096;
	pkt[0] = (uint8_t)(s >> 8), pkt[1] = (uint8_t)s, pkt[2] = (uint8_t)(d >> 8),
	pkt[3] = (uint8_t)d;
	pkt[4] = (uint8_t)((8 + n) >> 8), pkt[5] = (uint8_t)(8 + n), pkt[6] = pkt[7] = 0;
	if (n)
		memcpy(pkt + 8, p, n);
	send_ip(r, from_client, 17, pkt, 8 + n, 0, ms);
}
