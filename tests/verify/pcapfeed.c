/* pcapfeed.c - see pcapfeed.h. */
#define _DEFAULT_SOURCE
#include "pcapfeed.h"

#include <pcap/pcap.h>
#include <stdio.h>

#include "caps.h"
#include "decode.h"
#include "protos.h"
#include "reasm.h"
#include "sstime.h"

int pcapfeed(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		printf("FAIL cannot open %s: %s\n", path, err);
		return -1;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0};
	dissect_register(r, &o);
	struct ss_decoder dec;
	decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct ss_frame f = {++n, ss_time_make(h->ts.tv_sec, (int64_t)h->ts.tv_usec * 1000),
		                     h->caplen, h->len, data};
		decode_frame(&dec, &f);
	}
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	return 0;
}
