/* fuzz_pop3.c - the POP3 dissector (with the line engine, SASL and the
 * message parser behind it) under a fuzzer: the input is a conversation
 * (chunks.h) to port 110, its records are read in full by a sink.
 *
 * Small caps make the cuts (long lines, big messages, deep pipelines) run.
 */
#include <stdint.h>
#include <string.h>

#include "chunks.h"
#include "message.h"
#include "protos.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned sum;

static void touch(struct ss_str s)
{
	for (size_t i = 0; i < s.len; i++)
		sum += s.p[i];
}

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_EXCHANGE) {
		touch(r->u.ex.cmd);
		touch(r->u.ex.reply);
	} else if (r->kind == REC_MESSAGE) {
		const struct rec_message *m = &r->u.msg;
		touch(m->data);
		touch(m->user);
		touch(m->mailbox);
		touch(m->which);
		touch(m->reply);
		if (m->msg)
			for (size_t i = 0; i < m->msg->nfields; i++)
				sum += (unsigned)strlen(m->msg->fields[i].unfolded);
	} else if (r->kind == REC_NOTE) {
		touch(r->u.note.detail);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct ss_caps caps;
	if (!init) {
		ss_caps_defaults(&caps);
		caps.max_line = 512;
		caps.max_message = 4096;
		caps.max_pipeline = 8;
		caps.max_pending = 8192;
		record_sink_add(sink, NULL);
		init = 1;
	}
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, size & 1, 0};
	if (!r || dissect_register(r, &o)) {
		reasm_free(r);
		return 0;
	}
	chunks_play(r, data, size, 110);
	reasm_finish(r);
	reasm_free(r);
	return 0;
}
