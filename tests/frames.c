/* frames.c - see frames.h. */
#define _DEFAULT_SOURCE
#include "frames.h"

#include "sstime.h"

pcap_t *frames_open(const char *path, char *err)
{
	return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
}

uint64_t frames_decode(pcap_t *p, struct ss_decoder *dec)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0;
	/* a classic pcap's seconds are 32 bits unsigned (capture/source.c) */
	int sec32 = pcap_major_version(p) == PCAP_VERSION_MAJOR;
	while (pcap_next_ex(p, &h, &data) == 1) {
		/* with nanosecond precision tv_usec holds nanoseconds */
		struct ss_frame f = {++n, ss_time_capture(h->ts.tv_sec, h->ts.tv_usec, sec32),
		                     h->caplen, h->len, data};
		decode_frame(dec, &f);
	}
	return n;
}
