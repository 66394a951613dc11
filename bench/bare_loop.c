/* bare_loop.c - the benchmark's yardstick: libpcap reading a file and nothing else.
 *
 * Usage: bare_loop FILE
 * Prints "PACKETS packets BYTES bytes" (captured bytes). The frames are not
 * looked at: whatever smtpsniff does beyond this loop is its own cost, and
 * the ratio of the two packet rates is what the benchmark reports.
 */
#define _DEFAULT_SOURCE /* pcap.h uses u_char and friends, hidden by -std=c11 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: bare_loop FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "bare_loop: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long packets = 0, bytes = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "bare_loop: %s: after packet %llu: %s\n", argv[1], packets,
		        pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	printf("%llu packets %llu bytes\n", packets, bytes);
	pcap_close(p);
	return 0;
}
