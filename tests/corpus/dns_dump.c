/* dns_dump.c - test tool: the DNS records of a capture as JSON lines, the
 * way `smtpsniff -r FILE --json` writes its "dns" objects (RFC 1035 4.1
 * fields through report/dnsout.c), plus the DNS anomalies.
 *
 * Usage: dns_dump [-r] FILE [--json]   (the options are accepted so that
 * tests/corpus/dns_counts.py runs this and smtpsniff alike)
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "dnsout.h"
#include "event.h"
#include "json.h"
#include "protos.h"
#include "reasm.h"
#include "sstime.h"

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_DNS)
		return;
	const struct rec_dns *d = &r->u.dns;
	printf("{\"type\":\"dns\",\"flow\":%" PRIu64 ",\"client_port\":%u,\"server_port\":%u",
	       r->flow->id, r->flow->ep[SS_C2S].port, r->flow->ep[SS_S2C].port);
	if (d->frame_query)
		printf(",\"frame\":%" PRIu64, d->frame_query);
	if (d->frame_response)
		printf(",\"response_frame\":%" PRIu64, d->frame_response);
	dnsout_json(stdout, d);
	fputs(",\"text\":", stdout);
	/* The timeline's words too, through a memory stream. */
	char *t = NULL;
	size_t tn = 0;
	FILE *m = open_memstream(&t, &tn);
	if (m) {
		dnsout_text(m, d);
		fclose(m);
		json_str(stdout, t, tn);
		free(t);
	}
	fputs("}\n", stdout);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	if (strcmp(e->layer, "dns"))
		return;
	printf("{\"type\":\"anomaly\",\"layer\":\"dns\",\"what\":\"%s\",\"frame\":%" PRIu64
	       ",\"flow\":%" PRIu64 ",\"detail\":",
	       e->what, e->frame, e->flow);
	json_cstr(stdout, e->detail);
	fputs("}\n", stdout);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-r") && strcmp(argv[i], "--json"))
			file = argv[i];
	if (!file) {
		fprintf(stderr, "usage: dns_dump [-r] FILE [--json]\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", file, err);
		return 2;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct dissect_opts dopt = {&caps, 0};
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_decoder dec;
	if (!r || dissect_register(r, &dopt) || record_sink_add(on_record, NULL) ||
	    decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r)) {
		fprintf(stderr, "%s: cannot set up\n", file);
		return 2;
	}
	ss_event_sink(on_event, NULL);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint64_t n = 0;
	while (pcap_next_ex(p, &h, &pkt) == 1) {
		struct ss_frame f = {++n, ss_time_make(h->ts.tv_sec, h->ts.tv_usec), h->caplen,
		                     h->len, pkt};
		decode_frame(&dec, &f);
	}
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	return 0;
}
