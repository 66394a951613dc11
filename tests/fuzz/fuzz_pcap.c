/* fuzz_pcap.c - the packet path under a fuzzer: capture file bytes ->
 * libpcap's reader -> link and IP decoding, fragments -> flows and TCP
 * reassembly -> protocol probes, with a tap that reads every byte handed
 * out (so ASan sees any that are not really there).
 *
 * Caps are set small so that eviction, memory pressure and timeouts run too.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "frames.h"
#include "protos.h"
#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned sum;

static void t_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	(void)st, (void)d, (void)at;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
}

static void t_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	(void)st, (void)d, (void)at;
	sum += (unsigned)len;
}

static void t_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)st, (void)at;
	sum += (unsigned)(f->st[0].bytes + f->st[1].bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	if (size == 0)
		return 0;
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fclose(fp);
		return 0;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	caps.max_flows = 16;
	caps.max_mem = 64 << 10;
	caps.max_flow_mem = 8 << 10;
	caps.max_pending = 4 << 10;
	caps.detect_bytes = 512;
	caps.max_frag_dgrams = 8;
	caps.max_frag_mem = 32 << 10;
	caps.rexmit_window = 1024;
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_tap tap = {NULL, t_data, t_gap, NULL, t_close, NULL};
	struct ss_decoder dec;
	struct dissect_opts dopt = {&caps, 0, 0, NULL, NULL};
	if (!r || dissect_register(r, &dopt) || reasm_add_tap(r, &tap) ||
	    decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r)) {
		reasm_free(r);
		pcap_close(p);
		return 0;
	}
	frames_decode(p, &dec);
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p); /* closes fp too */
	return 0;
}
