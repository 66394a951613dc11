/* record.c - the sinks records go to. */
#include "record.h"

#include <string.h>

#define MAX_SINKS 8

static struct {
	ss_record_fn *fn;
	void *ctx;
} sinks[MAX_SINKS];
static int nsinks;

int record_sink_add(ss_record_fn *fn, void *ctx)
{
	if (nsinks == MAX_SINKS)
		return -1;
	sinks[nsinks].fn = fn;
	sinks[nsinks].ctx = ctx;
	nsinks++;
	return 0;
}

void record_sink_clear(void)
{
	nsinks = 0;
}

/* A worker thread's own sink (record_thread_sink), in place of the table. */
static _Thread_local ss_record_fn *thread_fn;
static _Thread_local void *thread_ctx;

void record_thread_sink(ss_record_fn *fn, void *ctx)
{
	thread_fn = fn;
	thread_ctx = ctx;
}

static uint64_t message_numbers;

uint64_t record_message_number(void)
{
	/* a worker's records are numbered where they are put in order */
	return thread_fn ? 0 : ++message_numbers;
}

void record_numbers_reset(void)
{
	message_numbers = 0;
}

void record_emit(const struct ss_record *r)
{
	if (thread_fn) {
		thread_fn(r, thread_ctx);
		return;
	}
	for (int i = 0; i < nsinks; i++)
		sinks[i].fn(r, sinks[i].ctx);
}

const char *rec_proto_name(enum rec_proto p)
{
	static const char *const names[] = {"smtp", "lmtp", "pop3", "imap", "tls"};
	return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

void record_note(const struct ss_flow *f, enum rec_proto p, const char *what, const char *detail,
                 size_t len, int64_t ts, uint64_t frame)
{
	record_note_tls(f, p, what, detail, len, ts, frame, NULL);
}

void record_note_tls(const struct ss_flow *f, enum rec_proto p, const char *what,
                     const char *detail, size_t len, int64_t ts, uint64_t frame,
                     const struct tls_flow *t)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_NOTE;
	r.flow = f;
	r.u.note.p = p;
	r.u.note.proto = rec_proto_name(p);
	r.u.note.what = what;
	r.u.note.detail = (struct ss_str){(const uint8_t *)detail, len};
	r.u.note.ts = ts;
	r.u.note.frame = frame;
	r.u.note.tls = t;
	record_emit(&r);
}
