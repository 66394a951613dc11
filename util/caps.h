/* caps.h - every limit smtpsniff puts on what it keeps, with its default.
 *
 * Each cap is a command-line option (--NAME=VALUE) listed in --help from the
 * table in caps.c, so a limit cannot exist without being documented. Reaching
 * a cap never stops the run: the layer raises an event and carries on.
 */
#ifndef SS_CAPS_H
#define SS_CAPS_H

#include <stddef.h>
#include <stdint.h>

struct ss_caps {
	uint64_t max_flows;       /* flows tracked at once (TCP and UDP) */
	uint64_t max_mem;         /* bytes held by reassembly across all flows */
	uint64_t max_flow_mem;    /* out-of-order bytes held per direction */
	uint64_t max_pending;     /* bytes a dissector has not consumed yet, per direction */
	uint64_t rexmit_window;   /* delivered bytes kept per direction to check retransmissions */
	uint64_t detect_bytes;    /* bytes looked at per flow to choose its protocol */
	uint64_t max_frag_mem;    /* bytes held in IP fragments awaiting reassembly */
	uint64_t max_frag_dgrams; /* IP datagrams under reassembly at once */
	uint64_t frag_timeout;    /* seconds (capture time) a datagram may wait for fragments */
	uint64_t ack_wait;       /* ms (capture time) a hole the peer acknowledged may still fill */
	uint64_t tcp_timeout;    /* seconds (capture time) of silence that end a TCP flow */
	uint64_t tcp_linger;     /* seconds a closed TCP flow is kept to absorb late packets */
	uint64_t udp_timeout;    /* seconds of silence that end a UDP flow */
	uint64_t max_open_files; /* files --streams keeps open at once */
	uint64_t max_line;       /* longest protocol line kept; longer ones are cut */
	uint64_t max_message;    /* longest message kept whole; past it, it is incomplete */
	uint64_t max_pipeline;   /* commands awaiting their replies, per session */
	uint64_t max_log_lines;  /* syslog lines about messages kept for their journeys */
	uint64_t journey_mem;    /* bytes the journeys keep of copies and log lines */
	uint64_t max_order_mem;  /* bytes the timeline's time-order queue holds (report/order.h) */
	uint64_t max_hops;       /* message copies remembered to link a message's path */
	uint64_t verify_wait;    /* seconds (capture time) a hop waits for its passed-on copy */
	uint64_t max_waiting;    /* --verify: hops waiting for their passed-on copy at once */
	uint64_t verify_mem;     /* --verify: bytes of the messages of those hops */
	uint64_t dns_mem;        /* --verify: bytes the captured DNS keeps (verify/dnsstore.h) */
	/* --verify: the verdicts kept for the end of the run (report/vsummary.h) */
	uint64_t verdicts_mem;
	/* the storage of the messages being collected, all sessions together */
	uint64_t max_messages_mem;
	/* what sessions hold between packets, all together (util/memacct.h) */
	uint64_t max_held_mem;
};

enum ss_cap_unit { SS_CAP_COUNT, SS_CAP_BYTES, SS_CAP_SECONDS, SS_CAP_MS };

struct ss_cap_def {
	const char *name; /* option name without the dashes */
	size_t offset;    /* in struct ss_caps */
	uint64_t dflt;
	enum ss_cap_unit unit;
	const char *help;
	uint64_t min, max; /* the values the option takes, both included */
};

extern const struct ss_cap_def ss_cap_defs[];
extern const size_t ss_cap_ndefs;

void ss_caps_defaults(struct ss_caps *c);
/* The cap named name (dashes or underscores: "max-mem", "max_mem"), or NULL.
 * Points into ss_cap_defs. */
const struct ss_cap_def *ss_cap_find(const char *name);
/* Sets the cap named name from text such as "64K", "16M", "30". Returns 0,
 * -1 when there is no such cap, -2 when the value is not a number in the
 * cap's range min..max (ss_cap_expects() says what would be). */
int ss_caps_set(struct ss_caps *c, const char *name, const char *value);
/* Words for what a value of cap d must be, to follow "not " in an error:
 * "a size (a number of bytes, with K, M or G) from 1 to 1024G",
 * "a count (a whole number) from 1 to 4294967295",
 * "a number of seconds (at most N)". Truncated to len. */
void ss_cap_expects(const struct ss_cap_def *d, char *buf, size_t len);
/* Prints the table for --help. */
void ss_caps_help(void *stream);

#endif
