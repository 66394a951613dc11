/* textproto.c - see textproto.h. */
#include "textproto.h"

#include <string.h>

#include "chunks.h"
#include "message.h"
#include "protos.h"
#include "record.h"

static unsigned sum;

static void touch(struct ss_str s)
{
	for (size_t i = 0; i < s.len; i++)
		sum += s.p[i];
}

/* Reads every byte a record points at, so ASan sees any that is stale. The
 * fields of the other protocols are empty. */
static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_EXCHANGE) {
		touch(r->u.ex.cmd);
		touch(r->u.ex.reply);
	} else if (r->kind == REC_MESSAGE) {
		const struct rec_message *m = &r->u.msg;
		touch(m->data);
		touch(m->mail_from);
		touch(m->queue_id);
		for (size_t i = 0; i < m->nrcpt; i++)
			touch(m->rcpt[i]);
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

void textproto_fuzz(const uint8_t *data, size_t size, uint16_t sport)
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
	struct dissect_opts o = {&caps, size & 1, 0, NULL, NULL};
	if (!r || dissect_register(r, &o)) {
		reasm_free(r);
		return;
	}
	chunks_play(r, data, size, sport);
	reasm_finish(r);
	reasm_free(r);
}
