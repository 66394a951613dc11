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
 *
 * Repeats (Suricata's per-flow event limit, Zeek's weird.log sampling): a
 * hostile capture can raise the same event for every packet - 200,000 IP
 * fragments that never complete evict one datagram each, and one line per
 * eviction is a timeline nobody reads. On a thread that asked for it
 * (ss_event_repeats), an event is keyed by (layer, what, flow); flow 0, the
 * events of no flow, is one key per (layer, what). The first `shown` events
 * of a key go to the sink as they come; the rest are only counted, and one
 * summary says how many, once, through the same sink:
 *
 *     frag frag_evicted: 195,894 more like this (first at frame 4107, last at frame 200001)
 *
 * A summary is a struct ss_event like any other, with the key's layer, what
 * and flow, the frame and time of the last event it counts, dir that of the
 * events it counts (-1 when they differ), and repeated > 0 (the count),
 * first_frame and last_frame. It comes:
 * - when its flow ends (ss_event_flow_end, which report/ calls as it learns
 *   of the end: util/ cannot call up);
 * - at the end of the run (ss_event_flush), for events of no flow and for
 *   flows that never ended;
 * - when the table of keys is full (SS_EVENT_KEYS): the key seen least
 *   recently is summarised and forgotten, so the memory stays fixed whatever
 *   the capture holds. A key forgotten and seen again starts over: its next
 *   `shown` events are shown again. A key whose events were all shown goes
 *   without a summary.
 * Events of a thread that did not ask (the default, for tests of one layer,
 * and reassembly's thread, whose events travel to the main thread and are
 * counted there) go to the sink one for one.
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
	/* A summary of repeats (above); 0 in every other event. */
	uint64_t repeated;    /* events of this key that were not shown */
	uint64_t first_frame; /* the frame of the first of them (0: none named one) */
	uint64_t last_frame;  /* the frame of the last of them (0: none named one) */
};

typedef void ss_event_fn(const struct ss_event *e, void *ctx);

/* Sets the calling thread's sink; NULL drops events (the default, for
 * tests of one layer, and for a thread that set none). */
void ss_event_sink(ss_event_fn *fn, void *ctx);
void ss_event_emit(const struct ss_event *e);
/* Formats detail and emits. An event that will only be counted is not
 * formatted. */
void ss_eventf(const char *layer, const char *what, uint64_t frame, int64_t ts, uint64_t flow,
               int dir, const char *fmt, ...) SS_PRINTF(7, 8);

/* --- repeats ------------------------------------------------------------------ */

#define SS_EVENT_SHOWN 10  /* events of one key shown before they are only counted */
#define SS_EVENT_KEYS 1024 /* keys counted at once (about 100 bytes each) */
#define SS_EVENT_NAME 40   /* layer and what are told apart by this many bytes */

/* On the calling thread, from now on: the first `shown` events of each key
 * are emitted, the rest counted and summarised. 0 turns it off: every event
 * is emitted, and the counts so far are dropped without a summary. */
void ss_event_repeats(unsigned shown);
/* The flow has ended: the summaries of its keys, then its keys forgotten
 * (a flow id that comes again starts over). */
void ss_event_flow_end(uint64_t flow);
/* The time of the oldest summary the flow's end will bring (the last event
 * each counts, not shown), or INT64_MAX when it brings none with a time:
 * what the flow still has to say (report/openflows.h). */
int64_t ss_event_flow_unsaid(uint64_t flow);
/* The end of the run: every summary still due, oldest key first; the
 * table's memory is freed (it comes back if more events come). */
void ss_event_flush(void);

#endif
