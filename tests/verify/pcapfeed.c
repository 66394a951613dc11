/* pcapfeed.c - see pcapfeed.h. */
#define _DEFAULT_SOURCE
#include "pcapfeed.h"

#include <pcap/pcap.h>
#include <stdio.h>

#include "caps.h"
#include "decode.h"
#include "frames.h"
#include "protos.h"
#include "reasm.h"

int pcapfeed(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(path, err);
	if (!p) {
		printf("FAIL cannot open %s: %s\n", path, err);
		return -1;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	dissect_register(r, &o);
	struct ss_decoder dec;
	decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r);
	frames_decode(p, &dec);
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	return 0;
}
