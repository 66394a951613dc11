/* mkflows.c - writes a capture of N concurrent SMTP connections, for the
 * flow table's benchmark (bench/flows.sh, issue 18 point 5).
 *
 * Usage: mkflows [-n] [-t] N FILE
 *
 * Client i is 10.a.b.c:40000+(i%16) (a.b.c = 1 + i/16), the server is
 * 192.0.2.1:25; Ethernet and IPv4, with correct IP and TCP checksums and
 * sequence and acknowledgment numbers throughout. Three phases:
 *
 *   1. every connection opens: SYN, SYN-ACK, ACK, "220 mx ESMTP", "EHLO c",
 *      "250 mx";
 *   2. every connection once more: "NOOP", "250 OK" (-n leaves this phase out,
 *      so that the difference of two runs is what phase 2 costs);
 *   3. every connection closes: FIN from the client, FIN from the server,
 *      the client's last ACK.
 *
 * All N connections are open from the end of phase 1 to the start of phase
 * 3. By default each step is a sweep over all N connections (step 1 of every
 * connection, then step 2 of every connection, ...), so that no packet
 * belongs to the connection of the packet before it: every packet is a
 * lookup among N live flows, as on a link with N clients in lockstep. -t
 * writes each connection's packets of a phase one after the other instead
 * (trains). Timestamps start at 2026-01-01 00:00:00 UTC and grow by 1 us
 * per packet, so 11 packets per flow at 1,000,000 flows span 11 s: every
 * flow stays within the default --tcp-timeout. The output depends on N and
 * the flags only.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVER_IP 0xC0000201u /* 192.0.2.1 */
#define T0 1767225600u        /* 2026-01-01T00:00:00Z */

enum { F_FIN = 1, F_SYN = 2, F_PSH = 8, F_ACK = 16 };

static FILE *out;
static uint64_t npackets, nbytes;
static uint64_t usec; /* capture time since T0 */

static uint32_t client_ip(uint32_t i)
{
	return 0x0A000000u + 1 + i / 16;
}

static uint16_t client_port(uint32_t i)
{
	return (uint16_t)(40000 + i % 16);
}

/* The initial sequence numbers: any fixed function of i will do. */
static uint32_t isn(uint32_t i, int server)
{
	uint64_t h = ((uint64_t)i << 1 | (uint64_t)server) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h >> 32);
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

/* One frame of connection i: from the client when c2s. */
static void packet(uint32_t i, int c2s, uint32_t seq, uint32_t ack, int flags, const char *data)
{
	static const uint8_t cmac[6] = {0x02, 0, 0, 0, 0, 0x01}, smac[6] = {0x02, 0, 0, 0, 0, 0x02};
	uint8_t f[16 + 14 + 20 + 20 + 64];
	size_t dlen = data ? strlen(data) : 0;
	size_t caplen = 14 + 20 + 20 + dlen;
	uint8_t *e = f + 16, *ip = e + 14, *tcp = ip + 20;
	uint32_t src = c2s ? client_ip(i) : SERVER_IP, dst = c2s ? SERVER_IP : client_ip(i);
	uint16_t sport = c2s ? client_port(i) : 25, dport = c2s ? 25 : client_port(i);

	memset(f, 0, 16 + 54);
	le32(f, (uint32_t)(T0 + usec / 1000000));
	le32(f + 4, (uint32_t)(usec % 1000000));
	le32(f + 8, (uint32_t)caplen);
	le32(f + 12, (uint32_t)caplen);
	usec++;

	memcpy(e, c2s ? smac : cmac, 6);
	memcpy(e + 6, c2s ? cmac : smac, 6);
	put16(e + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + dlen));
	put16(ip + 4, (uint16_t)(npackets & 0xffff));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));

	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = (uint8_t)flags;
	put16(tcp + 14, 64240);
	memcpy(tcp + 20, data ? data : "", dlen);
	/* pseudo-header: addresses, protocol, TCP length */
	uint32_t s = sum16(ip + 12, 8, 0) + 6 + (uint32_t)(20 + dlen);
	put16(tcp + 16, fold(sum16(tcp, 20 + dlen, s)));

	if (fwrite(f, 16 + caplen, 1, out) != 1) {
		perror("mkflows: write");
		exit(1);
	}
	npackets++;
	nbytes += 16 + caplen;
}

static const char GREET[] = "220 mx ESMTP\r\n", EHLO[] = "EHLO c\r\n", EHLO_OK[] = "250 mx\r\n",
                  NOOP[] = "NOOP\r\n", NOOP_OK[] = "250 OK\r\n";

/* Where each side's sequence numbers stand after phases 1 and 2 (offsets
 * from the ISN + 1). */
#define C1 (sizeof EHLO - 1)
#define S1 (sizeof GREET - 1 + sizeof EHLO_OK - 1)
#define C2 (C1 + sizeof NOOP - 1)
#define S2 (S1 + sizeof NOOP_OK - 1)

/* Step k of phase 1 for connection i. */
static void open_step(uint32_t i, int k)
{
	uint32_t c = isn(i, 0), s = isn(i, 1);
	switch (k) {
	case 0:
		packet(i, 1, c, 0, F_SYN, NULL);
		break;
	case 1:
		packet(i, 0, s, c + 1, F_SYN | F_ACK, NULL);
		break;
	case 2:
		packet(i, 1, c + 1, s + 1, F_ACK, NULL);
		break;
	case 3:
		packet(i, 0, s + 1, c + 1, F_PSH | F_ACK, GREET);
		break;
	case 4:
		packet(i, 1, c + 1, s + 1 + sizeof GREET - 1, F_PSH | F_ACK, EHLO);
		break;
	default:
		packet(i, 0, s + 1 + sizeof GREET - 1, c + 1 + (uint32_t)C1, F_PSH | F_ACK,
		       EHLO_OK);
	}
}

static void noop_step(uint32_t i, int k)
{
	uint32_t c = isn(i, 0) + 1, s = isn(i, 1) + 1;
	if (k == 0)
		packet(i, 1, c + (uint32_t)C1, s + (uint32_t)S1, F_PSH | F_ACK, NOOP);
	else
		packet(i, 0, s + (uint32_t)S1, c + (uint32_t)C2, F_PSH | F_ACK, NOOP_OK);
}

static int with_noop = 1;

static void close_step(uint32_t i, int k)
{
	uint32_t c = isn(i, 0) + 1 + (uint32_t)(with_noop ? C2 : C1),
	         s = isn(i, 1) + 1 + (uint32_t)(with_noop ? S2 : S1);
	if (k == 0)
		packet(i, 1, c, s, F_FIN | F_ACK, NULL);
	else if (k == 1)
		packet(i, 0, s, c + 1, F_FIN | F_ACK, NULL);
	else
		packet(i, 1, c + 1, s + 1, F_ACK, NULL);
}

/* Runs the nsteps steps of a phase over connections 0..n-1: step by step
 * across all of them (sweeps), or connection by connection (trains). */
static void phase(uint32_t n, int nsteps, int trains, void (*step)(uint32_t, int))
{
	if (trains) {
		for (uint32_t i = 0; i < n; i++)
			for (int k = 0; k < nsteps; k++)
				step(i, k);
	} else {
		for (int k = 0; k < nsteps; k++)
			for (uint32_t i = 0; i < n; i++)
				step(i, k);
	}
}

int main(int argc, char **argv)
{
	int trains = 0, c;
	while ((c = getopt(argc, argv, "nt")) != -1) {
		if (c == 'n')
			with_noop = 0;
		else if (c == 't')
			trains = 1;
		else
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	char *end;
	unsigned long n = strtoul(argv[optind], &end, 10);
	/* 16 ports per address under 10.0.0.0/8 */
	if (*end || n < 1 || n > 16ul * 0xfffffe) {
		fprintf(stderr, "mkflows: N must be 1 to %lu\n", 16ul * 0xfffffe);
		return 2;
	}
	out = fopen(argv[optind + 1], "wb");
	if (!out) {
		perror(argv[optind + 1]);
		return 1;
	}
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);
	uint8_t gh[24];
	le32(gh, 0xa1b2c3d4); /* microseconds */
	gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
	memset(gh + 8, 0, 8);
	le32(gh + 16, 65535); /* snap length */
	le32(gh + 20, 1);     /* Ethernet */
	if (fwrite(gh, sizeof gh, 1, out) != 1) {
		perror("mkflows: write");
		return 1;
	}
	phase((uint32_t)n, 6, trains, open_step);
	if (with_noop)
		phase((uint32_t)n, 2, trains, noop_step);
	phase((uint32_t)n, 3, trains, close_step);
	if (fclose(out) != 0) {
		perror("mkflows: close");
		return 1;
	}
	printf("%lu flows %llu packets %llu bytes\n", n, (unsigned long long)npackets,
	       (unsigned long long)(nbytes + sizeof gh));
	return 0;
usage:
	fprintf(stderr, "usage: mkflows [-n] [-t] N FILE\n");
	return 2;
}
