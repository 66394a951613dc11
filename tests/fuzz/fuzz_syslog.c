/* fuzz_syslog.c - the syslog dissector under a fuzzer: the input is a
 * conversation (chunks.h) played over TCP to port 601 (RFC 6587 octet
 * counting or LF framing, gaps included), and each chunk is also one UDP
 * datagram to port 514 (RFC 5426). A sink formats every record as the
 * timeline and JSON show it, so every byte a record points to is read.
 *
 * A small --max-line makes cut lines, counted and not, run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "logout.h"
#include "protos.h"
#include "synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink_out;
static struct text sink_text;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_LOG)
		return;
	text_reset(&sink_text);
	logout_text(&sink_text, &r->u.log);
	if (sink_text.b.len)
		fwrite(sink_text.b.p, 1, sink_text.b.len, sink_out);
	fputc('\n', sink_out);
	logout_json(sink_out, &r->u.log);
	fputc('\n', sink_out);
}

/* Each chunk that is no gap as a datagram from the client. */
static void datagrams(struct ss_reasm *r, const uint8_t *data, size_t size)
{
	int ms = 100000;
	for (size_t i = 0; i <= size;) {
		size_t k = i;
		while (k + 1 < size && !(data[k] == 0xff && data[k + 1] == 0xfe))
			k++;
		int last = k + 1 >= size;
		size_t n = last ? size - i : k - i;
		if (n && !(n >= 2 && data[i] == 0xff && data[i + 1] == 0xfd)) {
			uint8_t *own = malloc(n); /* its own allocation, for ASan */
			if (own) {
				memcpy(own, data + i, n);
				synth_udp(r, 1, 40001, 514, ms++, own, n);
				free(own);
			}
		}
		if (last)
			break;
		i = k + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ss_caps caps;
	if (!sink_out) {
		/* FUZZ_SYSLOG_SHOW=1: the records on stdout, to look at a seed. */
		sink_out = getenv("FUZZ_SYSLOG_SHOW") ? stdout : fopen("/dev/null", "w");
		if (!sink_out)
			abort();
		text_init(&sink_text);
		record_sink_add(sink, NULL);
		ss_caps_defaults(&caps);
		caps.max_line = 64;
		caps.max_pending = 256;
	}
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, 0, 0, NULL, NULL};
	if (!r || dissect_register(r, &o)) {
		reasm_free(r);
		return 0;
	}
	chunks_play(r, data, size, 601);
	datagrams(r, data, size);
	reasm_finish(r);
	reasm_free(r);
	return 0;
}
