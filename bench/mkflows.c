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

#include "pcapw.h"

#define SERVER_IP 0xC0000201u /* 192.0.2.1 */
#define T0 1767225600u        /* 2026-01-01T00:00:00Z */

enum { F_FIN = PCAPW_FIN, F_SYN = PCAPW_SYN, F_PSH = PCAPW_PSH, F_ACK = PCAPW_ACK };

static struct pcapw w;
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

/* One frame of connection i: from the client when c2s. */
static void packet(uint32_t i, int c2s, uint32_t seq, uint32_t ack, int flags, const char *data)
{
	struct pcapw_end c = {client_ip(i), client_port(i)}, s = {SERVER_IP, 25};
	pcapw_tcp(&w, (uint64_t)T0 * 1000000 + usec++, c2s ? c : s, c2s ? s : c, seq, ack, flags,
	          data ? data : "", data ? strlen(data) : 0);
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
	pcapw_open(&w, argv[optind + 1]);
	phase((uint32_t)n, 6, trains, open_step);
	if (with_noop)
		phase((uint32_t)n, 2, trains, noop_step);
	phase((uint32_t)n, 3, trains, close_step);
	pcapw_close(&w);
	printf("%lu flows %llu packets %llu bytes\n", n, (unsigned long long)w.packets,
	       (unsigned long long)w.bytes);
	return 0;
usage:
	fprintf(stderr, "usage: mkflows [-n] [-t] N FILE\n");
	return 2;
}
