/* test_tlsdec_pcap.c - test tool: a capture read as smtpsniff reads it
 * (tests/frames.h, TCP reassembly), each TCP flow's TLS fed to the parser
 * (dissect/tls.h) with the decryption step (dissect/tlsdec.h) between its
 * two layers, as tlsproto.c is to wire them; every record printed, for
 * tests/tls/decrypt_compare.py to hold against tshark's decryption of the
 * same capture with the same key log.
 *
 * Usage: test_tlsdec_pcap FILE [--keylog KEYLOG]... [--dsb] [--split N]
 *                              [--max-keylog BYTES]
 *   --keylog  read the key log (repeatable)
 *   --dsb     also read FILE's pcapng Decryption Secrets Blocks
 *             (capture/ngsecrets.c) into the same key set
 *   --split N feed the bytes in pieces of at most N (nothing may change)
 *   --skip-frame N  leave frame N out, as if the capture had lost it
 *             (repeatable, up to 16)
 *
 * Output, in the order things happened (FROM, TO: the sending and the
 * receiving side's ports):
 *   FRAME FROM TO clear TYPE        a record in the clear
 *   FRAME FROM TO dec TYPE HEX      a record decrypted: its (inner) type and
 *                                   plaintext
 *   FRAME FROM TO fail STATUS SAY DETAIL   a record not decrypted
 *   FRAME FROM TO event WHAT DETAIL the parser's anomalies (alerts, ...)
 *   - CLIENTPORT summary TEXT      tlsdec_describe() at the flow's end
 *   keylog TEXT                    tls_keys_describe() at the start
 */
#define _DEFAULT_SOURCE /* pcap.h needs u_char */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "keylog.h"
#include "ngsecrets.h"
#include "reasm.h"
#include "sstime.h"
#include "tls.h"
#include "tlsdec.h"

static size_t split;
static struct tls_keys *keys;
static uint64_t skip[16];
static size_t nskip;

struct flow {
	struct tls_flow *t;
	struct tlsdec *d;
	unsigned port[2]; /* by direction: the sender's port */
	int on[2];
	uint8_t tail[2];
	uint64_t seen[2];
};

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)t;
	struct flow *f = ctx;
	printf("%llu %u %u event %s %s\n", (unsigned long long)e->frame, f->port[e->dir],
	       f->port[!e->dir], e->what, e->detail);
}

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *r)
{
	struct flow *f = ctx;
	static uint8_t buf[TLSDEC_BUF];
	struct tlsdec_out o;
	enum tlsdec_status st = tlsdec_record(f->d, t, r, buf, sizeof buf, &o);
	unsigned long long fr = (unsigned long long)r->frame;
	if (st == TLSDEC_CLEAR) {
		printf("%llu %u %u clear %u\n", fr, f->port[r->dir], f->port[!r->dir], r->type);
		return;
	}
	struct ss_pos pos = {r->frame, r->ts, r->off + 5, 0, 0, 0};
	if (st == TLSDEC_OK) {
		printf("%llu %u %u dec %u ", fr, f->port[r->dir], f->port[!r->dir], o.type);
		for (size_t i = 0; i < o.n; i++)
			printf("%02x", o.p[i]);
		printf("\n");
		tls_hs_feed(t, r->dir, o.type, o.p, o.n, &pos);
	} else {
		printf("%llu %u %u fail %s %d %s\n", fr, f->port[r->dir], f->port[!r->dir],
		       tlsdec_status_name(st), o.say, o.detail);
		tls_hs_gap(t, r->dir, &pos);
	}
}

static void *t_open(const struct ss_flow *fl, void *ctx)
{
	(void)ctx;
	if (fl->proto != 6)
		return NULL;
	struct flow *f = calloc(1, sizeof *f);
	f->port[SS_C2S] = fl->ep[SS_C2S].port;
	f->port[SS_S2C] = fl->ep[SS_S2C].port;
	struct tls_opts o = {0, 1, NULL, on_event, on_record, NULL, f};
	f->t = tls_new(&o);
	f->d = tlsdec_new(keys, NULL);
	f->tail[0] = f->tail[1] = '\n';
	return f;
}

static void feed(struct flow *f, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	size_t i = 0;
	while (i < n) {
		size_t k = split && n - i > split ? split : n - i;
		struct ss_pos pos = *at;
		pos.off = at->off + i;
		tls_feed(f->t, d, p + i, k, &pos);
		i += k;
	}
}

static void t_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct flow *f = st;
	if (!f)
		return;
	size_t i = 0;
	while (!f->on[d] && i < n) {
		/* as test_tls_pcap.c: TLS starts at a line start holding a
		 * record header's first bytes, or at a ClientHello */
		if (f->tail[d] == '\n' && p[i] >= 0x14 && p[i] <= 0x17 &&
		    (i + 1 >= n || p[i + 1] == 3)) {
			f->on[d] = 1;
			break;
		}
		if (!f->seen[d] && d == SS_C2S && tls_probe(p, n) == 1) {
			f->on[d] = 1;
			break;
		}
		f->tail[d] = p[i];
		f->seen[d]++;
		i++;
	}
	if (f->on[d] && i < n) {
		struct ss_pos pos = *at;
		pos.off = at->off + i;
		feed(f, d, p + i, n - i, &pos);
	}
}

static void t_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct flow *f = st;
	if (f && f->on[d])
		tls_gap(f->t, d, len, at);
}

static void t_close(void *st, const struct ss_flow *fl, const struct ss_pos *at)
{
	(void)fl;
	struct flow *f = st;
	if (!f)
		return;
	if (f->on[0] || f->on[1]) {
		tls_end(f->t, at);
		char line[256];
		tlsdec_describe(f->d, line, sizeof line);
		printf("- %u summary %s\n", f->port[SS_C2S], line);
	}
	tls_free(f->t);
	tlsdec_free(f->d);
	free(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
		        "usage: test_tlsdec_pcap FILE [--keylog KEYLOG]... [--dsb] [--split "
		        "N] [--max-keylog BYTES]\n");
		return 2;
	}
	size_t maxk = 0;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--max-keylog") && i + 1 < argc)
			maxk = (size_t)strtoull(argv[++i], NULL, 10);
	keys = tls_keys_new(maxk);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--keylog") && i + 1 < argc) {
			char err[512];
			if (tls_keys_load(keys, argv[++i], err, sizeof err)) {
				fprintf(stderr, "%s\n", err);
				return 2;
			}
		} else if (!strcmp(argv[i], "--skip-frame") && i + 1 < argc) {
			if (nskip < sizeof skip / sizeof skip[0])
				skip[nskip++] = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--split") && i + 1 < argc) {
			split = (size_t)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--dsb")) {
			/* as the program is to do it: capture/ngsecrets.c's
			 * walk, each block to tls_keys_dsb */
			char why[256];
			if (ng_secrets_read(argv[1], tls_keys_dsb, keys, why, sizeof why) < 0) {
				fprintf(stderr, "%s: %s\n", argv[1], why);
				return 2;
			}
		}
	}
	char line[1024];
	tls_keys_describe(keys, line, sizeof line);
	printf("keylog %s\n", line);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_tap tap = {t_open, t_data, t_gap, NULL, t_close, NULL};
	reasm_add_tap(r, &tap);
	struct ss_decoder dec;
	if (decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r)) {
		fprintf(stderr, "link type not supported\n");
		return 2;
	}
	/* frames_decode's loop, leaving out the frames asked for */
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t fn = 0;
	int sec32 = pcap_major_version(p) == PCAP_VERSION_MAJOR;
	while (pcap_next_ex(p, &h, &data) == 1) {
		fn++;
		int out = 0;
		for (size_t i = 0; i < nskip; i++)
			out |= skip[i] == fn;
		if (out)
			continue;
		struct ss_frame f = {fn, ss_time_capture(h->ts.tv_sec, h->ts.tv_usec, sec32),
		                     h->caplen, h->len, data};
		decode_frame(&dec, &f);
	}
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	tls_keys_free(keys);
	return 0;
}
