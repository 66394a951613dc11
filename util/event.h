/* event.h - anomalies in the input, reported by any layer, shown by report/.
 *
 * Bad input never exits and never goes to stderr directly: the layer that
 * finds it fills a struct ss_event (which flow, which packet, what) and emits
 * it. main registers the one sink (report/), so lower layers need no include
 * of a higher one (Suricata's per-flow events, tcpdump's "(invalid)").
 *
 * An event's time is there exactly when its frame is (frames are numbered
 * from 1; 0 is a time like any other), as for records (record.h): an event
 * that names a frame gives that frame's time with it.
 */
#ifndef SS_EVENT_H
#define SS_EVENT_H

#include <stdint.h>

#include "log.h"

struct ss_event {
	const char *layer;  /* "pcap", "ip", "frag", "tcp", "udp", later "smtp"... */
	const char *what;   /* stable identifier, e.g. "tcp_overlap_conflict" */
	uint64_t frame;     /* 1-based frame number; 0 when none applies */
	int64_t ts;         /* capture time in ns since the epoch; there when frame is */
	uint64_t flow;      /* flow id; 0 when the event belongs to no flow */
	int dir;            /* 0 client to server, 1 server to client, -1 none */
	const char *detail; /* words for people; untrusted parts already escaped */
};

typedef void ss_event_fn(const struct ss_event *e, void *ctx);

/* Sets the calling thread's sink; NULL drops events (the default, for
 * tests of one layer, and for a thread that set none). */
void ss_event_sink(ss_event_fn *fn, void *ctx);
void ss_event_emit(const struct ss_event *e);
/* Formats detail and emits. */
void ss_eventf(const char *layer, const char *what, uint64_t frame, int64_t ts, uint64_t flow,
               int dir, const char *fmt, ...) SS_PRINTF(7, 8);

#endif
