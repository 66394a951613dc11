/* event.c - the one event sink of each thread: report/'s on the main
 * thread; on reassembly's own thread (reassembly/handoff.c), the queue that
 * brings its events to the main thread in their place among its
 * deliveries. */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local ss_event_fn *sink;
static _Thread_local void *sink_ctx;

void ss_event_sink(ss_event_fn *fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

void ss_event_emit(const struct ss_event *e)
{
	if (sink)
		sink(e, sink_ctx);
}

void ss_eventf(const char *layer, const char *what, uint64_t frame, int64_t ts, uint64_t flow,
               int dir, const char *fmt, ...)
{
	if (!sink)
		return;
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	struct ss_event e = {layer, what, frame, ts, flow, dir, detail};
	sink(&e, sink_ctx);
}
