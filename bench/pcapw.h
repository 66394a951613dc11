/* pcapw.h - the frames of bench/'s synthetic captures (mkflows, mkdkim):
 * a classic pcap file (microseconds, Ethernet) of IPv4 TCP and UDP frames
 * with correct IP, TCP and UDP checksums, so that any reader - smtpsniff,
 * tshark, tcpflow - takes them as a wire would give them.
 */
#ifndef SS_BENCH_PCAPW_H
#define SS_BENCH_PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { PCAPW_FIN = 1, PCAPW_SYN = 2, PCAPW_PSH = 8, PCAPW_ACK = 16 };

struct pcapw {
	FILE *out;
	const char *name; /* for messages */
	uint64_t packets, bytes;
};

/* One end of a conversation. */
struct pcapw_end {
	uint32_t ip; /* host order */
	uint16_t port;
};

/* Creates path and writes the file header; exits with a message on error. */
void pcapw_open(struct pcapw *w, const char *path);
/* Flushes and closes; exits with a message on error. */
void pcapw_close(struct pcapw *w);
/* A TCP segment from src to dst at usec (since the epoch). */
void pcapw_tcp(struct pcapw *w, uint64_t usec, struct pcapw_end src, struct pcapw_end dst,
               uint32_t seq, uint32_t ack, int flags, const void *data, size_t len);
/* A UDP datagram from src to dst at usec. */
void pcapw_udp(struct pcapw *w, uint64_t usec, struct pcapw_end src, struct pcapw_end dst,
               const void *data, size_t len);

#endif
