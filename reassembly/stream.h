/* stream.h - what reassembly hands to the layers above: flows, ordered
 * bytes per direction, explicit gaps, and the two kinds of consumer.
 *
 * A protocol dissector (struct ss_proto) is chosen per flow by what the first
 * bytes say; it returns how many bytes it consumed and reassembly offers the
 * rest again with the next bytes (Suricata's contract). A tap (struct ss_tap)
 * sees every flow's bytes exactly once, whatever the protocol (--flows,
 * --streams). Both are registered by the layers above; reassembly never
 * includes them.
 */
#ifndef SS_STREAM_H
#define SS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum ss_dir { SS_C2S = 0, SS_S2C = 1 };

enum ss_close {
	SS_CLOSE_FIN,   /* both sides sent FIN and all their bytes arrived or were gapped */
	SS_CLOSE_RST,   /* a reset */
	SS_CLOSE_IDLE,  /* silent for longer than the timeout (capture time) */
	SS_CLOSE_CAP,   /* ended early to stay within --max-flows */
	SS_CLOSE_EOF,   /* the capture ended with the flow still open */
	SS_CLOSE_REUSE, /* a new connection (SYN with a new ISN) took its ports */
};
const char *ss_close_name(enum ss_close why);

/* Where something happened: the frame that made it happen and the stream
 * offset (bytes since the first byte of that direction, gaps included). */
struct ss_pos {
	uint64_t frame;
	int64_t ts;
	uint64_t off;
	int last; /* 1: no byte directly follows (a gap or the end comes next) */
	/* 1: the engine holds bytes of the flow that came at held_ts or later
	 * and come to the dissector later, with their own times (out of
	 * order, behind a hole); 0: none (or not known) */
	int held;
	int64_t held_ts;
};

struct ss_endpoint {
	struct ss_addr addr;
	uint16_t port;
};

struct ss_dir_stats {
	uint64_t packets;
	uint64_t bytes; /* payload bytes delivered in order */
	uint64_t gaps, gap_bytes;
	uint64_t rexmit_bytes; /* payload bytes seen again (dropped) */
	uint64_t ooo_segments; /* segments that arrived ahead of a hole */
	uint64_t conflicts;    /* overlaps whose bytes differed from the first copy */
	uint8_t syn, fin, rst; /* seen from this side */
};

/* A flow as the layers above see it: read-only for them. */
struct ss_flow {
	uint64_t id;              /* 1, 2, ... in order of first packet */
	uint8_t proto;            /* 6 TCP, 17 UDP */
	struct ss_endpoint ep[2]; /* ep[SS_C2S] is the client, ep[SS_S2C] the server */
	int64_t first_ts, last_ts;
	uint64_t first_frame, last_frame;
	uint8_t handshake;   /* the SYN or SYN-ACK was seen: client and server are known */
	uint8_t midstream;   /* picked up after its start */
	uint8_t dir_guessed; /* client and server guessed from the ports */
	uint8_t closed;
	enum ss_close how; /* valid once closed */
	const char *app;   /* name of the protocol chosen, NULL when none */
	struct ss_dir_stats st[2];
	/* Nothing its dissector still has to say (a record, an event) is
	 * older than open_since; INT64_MAX: it holds nothing, and whatever it
	 * says next begins with a later frame. read_ts: the time of the last
	 * bytes it read. Both first_ts when the flow is made, until its
	 * dissector says better (ss_flow_open_since). The timeline's
	 * time-order queue reads them (report/openflows.h). */
	int64_t open_since, read_ts;
};

/* The flow's dissector, given the bytes at at, holds nothing older than
 * ts (INT64_MAX: nothing at all), as it knows now: the fields of a flow
 * its consumers write. */
static inline void ss_flow_open_since(const struct ss_flow *f, int64_t ts, const struct ss_pos *at)
{
	struct ss_flow *w = (struct ss_flow *)f; /* not const: its owner's */
	w->open_since = ts;
	if (at->ts > w->read_ts)
		w->read_ts = at->ts;
}

/* The dissector cannot tell what it holds (TLS it does not read, say):
 * whatever it holds began no earlier than what it said before, than the
 * bytes it was just given (at), or than the bytes reassembly holds behind
 * a hole. */
static inline void ss_flow_open_unsure(const struct ss_flow *f, const struct ss_pos *at)
{
	int64_t t = f->open_since < at->ts ? f->open_since : at->ts;
	if (at->held && at->held_ts < t)
		t = at->held_ts;
	ss_flow_open_since(f, t, at);
}

enum ss_probe { SS_PROBE_NO, SS_PROBE_MORE, SS_PROBE_YES };

struct ss_proto {
	const char *name; /* "smtp": also the prefix of its events */
	/* Says whether the n bytes at p, the first bytes of direction d (TCP: as
	 * far as they have come; UDP: one datagram), are this protocol. */
	enum ss_probe (*probe)(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);
	/* Chosen when no probe is sure: the server port the protocol lives on. */
	int (*port_hint)(const struct ss_flow *f);
	void *(*open)(const struct ss_flow *f, void *ctx);
	/* TCP: n ordered bytes of direction d from stream offset at->off. Returns
	 * how many it consumed; the rest comes again in front of the next bytes,
	 * up to --max-pending. */
	size_t (*data)(void *st, enum ss_dir d, const uint8_t *p, size_t n,
	               const struct ss_pos *at);
	/* TCP: the bytes [at->off, at->off + len) of direction d never arrived.
	 * Unconsumed bytes before them are dropped. */
	void (*gap)(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at);
	/* UDP: one datagram. */
	void (*datagram)(void *st, enum ss_dir d, const uint8_t *p, size_t n,
	                 const struct ss_pos *at);
	void (*close)(void *st, const struct ss_flow *f, const struct ss_pos *at);
	void *ctx;
};

struct ss_tap {
	void *(*open)(const struct ss_flow *f, void *ctx);
	void (*data)(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at);
	void (*gap)(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at);
	void (*datagram)(void *st, enum ss_dir d, const uint8_t *p, size_t n,
	                 const struct ss_pos *at);
	/* Called last; f holds the final statistics and how it closed. */
	void (*close)(void *st, const struct ss_flow *f, const struct ss_pos *at);
	void *ctx;
};

#endif
