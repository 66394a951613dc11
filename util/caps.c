/* caps.c - the table of limits: names, defaults, units, words for --help. */
#include "caps.h"
#include "memacct.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest size a byte cap takes: 1 TiB, so that a cap plus the few
 * bytes a layer adds to it (a CRLF, a summary) never wraps a size_t. */
#define BYTES_MAX ((uint64_t)1 << 40)
/* The largest count: more flows, fragments or lines than this would not
 * fit in memory anyway. */
#define COUNT_MAX ((uint64_t)UINT32_MAX)
/* Times are counted in int64 nanoseconds: 292 years at most, so a time
 * cap converted to nanoseconds never overflows (reassembly/table.c). */
#define SECONDS_MAX ((uint64_t)INT64_MAX / 1000000000)
#define MS_MAX ((uint64_t)INT64_MAX / 1000000)

#define CAP(field, dflt, unit, help, min, max)                                                     \
	{                                                                                          \
#field, offsetof(struct ss_caps, field), dflt, unit, help, min, max                \
	}

/* Defaults are sized for a mail lab and for captures of a few GB on a
 * laptop: generous enough never to trigger on honest traffic, small enough
 * that a hostile capture cannot take the machine down. A minimum of 1 is
 * where 0 would make the layer useless (no flow, no line, no file). */
const struct ss_cap_def ss_cap_defs[] = {
    CAP(max_flows, 262144, SS_CAP_COUNT, "flows tracked at once; the longest idle is ended first",
        1, COUNT_MAX),
    CAP(max_mem, 512u << 20, SS_CAP_BYTES, "bytes held by TCP reassembly for all flows", 0,
        BYTES_MAX),
    CAP(max_flow_mem, 4u << 20, SS_CAP_BYTES,
        "out-of-order bytes, with each segment's header, held per flow direction", 0, BYTES_MAX),
    CAP(max_pending, 1u << 20, SS_CAP_BYTES, "bytes a dissector may leave unconsumed per direction",
        0, BYTES_MAX),
    /* held in a 32-bit field (reassembly/reasm.c) */
    CAP(rexmit_window, 16u << 10, SS_CAP_BYTES,
        "delivered bytes kept per direction to compare retransmissions (0: off)", 0, 1u << 30),
    CAP(detect_bytes, 4096, SS_CAP_BYTES, "bytes looked at per flow to choose its protocol", 0,
        BYTES_MAX),
    CAP(max_frag_mem, 32u << 20, SS_CAP_BYTES, "bytes held in IP fragments awaiting reassembly", 0,
        BYTES_MAX),
    CAP(max_frag_dgrams, 4096, SS_CAP_COUNT, "IP datagrams under reassembly at once", 1, COUNT_MAX),
    CAP(frag_timeout, 30, SS_CAP_SECONDS, "capture-time seconds a datagram waits for its fragments",
        0, SECONDS_MAX),
    CAP(ack_wait, 100, SS_CAP_MS,
        "capture-time ms a hole the peer acknowledged may still fill (capture reordering)", 0,
        MS_MAX),
    CAP(tcp_timeout, 300, SS_CAP_SECONDS, "capture-time seconds of silence that end a TCP flow", 0,
        SECONDS_MAX),
    CAP(tcp_linger, 5, SS_CAP_SECONDS, "seconds a closed TCP flow is kept to absorb late packets",
        0, SECONDS_MAX),
    CAP(udp_timeout, 60, SS_CAP_SECONDS, "capture-time seconds of silence that end a UDP flow", 0,
        SECONDS_MAX),
    CAP(max_open_files, 64, SS_CAP_COUNT, "files --streams keeps open at once", 1, COUNT_MAX),
    /* 0 would keep no byte of any line (and once crashed lineproto.c) */
    CAP(max_line, 64u << 10, SS_CAP_BYTES,
        "longest protocol line kept; longer ones are cut and reported", 1, BYTES_MAX),
    CAP(max_message, 64u << 20, SS_CAP_BYTES,
        "longest message kept whole; a longer one is incomplete", 0, BYTES_MAX),
    /* every session's message in progress together: --max-message bounds
     * one, this all of them (dissect/msgmem.h) */
    CAP(max_messages_mem, 256u << 20, SS_CAP_BYTES,
        "bytes held by the messages being collected, all sessions together; past it a "
        "message that would grow is incomplete (one over 1/256 of it stops 1/8 short)",
        0, BYTES_MAX),
    /* --max-line, --max-pending and --max-pipeline bound one session's,
     * this all of them (util/memacct.h) */
    CAP(max_held_mem, SS_HELD_MEM_DEFAULT, SS_CAP_BYTES,
        "bytes held for all sessions between packets: unfinished lines, replies, commands "
        "and DNS queries awaiting replies, unconsumed bytes; past it a line is cut (event "
        "held_mem)",
        0, BYTES_MAX),
    CAP(max_pipeline, 256, SS_CAP_COUNT, "commands awaiting their replies in one session", 1,
        COUNT_MAX),
    CAP(max_log_lines, 200000, SS_CAP_COUNT,
        "syslog lines about messages kept for their journeys (the oldest go first)", 0, COUNT_MAX),
    /* the walk that puts them together at the end counts too (report/journeyint.h) */
    CAP(journey_mem, 16u << 20, SS_CAP_BYTES,
        "bytes the journeys hold: copies, log lines, and putting them together; past half of it "
        "the journeys that can no longer grow are put together and kept in a temporary file "
        "until the end, past it the oldest go",
        0, BYTES_MAX),
    /* 0: nothing waits, lines come out as they are made (report/order.h) */
    CAP(max_order_mem, 64u << 20, SS_CAP_BYTES,
        "bytes the timeline holds to put lines back in time order; past it the oldest go out "
        "early and later lines may be out of order (event order_full)",
        0, BYTES_MAX),
    /* 176 bytes a copy (verify/hops.h): 9 MB; on a relay of 8,000
     * messages a second, 6 s of them */
    CAP(max_hops, 50000, SS_CAP_COUNT,
        "message copies remembered to link each to the copy it was passed on from", 0, COUNT_MAX),
    CAP(verify_wait, 60, SS_CAP_SECONDS,
        "--verify: capture-time seconds a hop waits for the copy its receiver passes on", 0,
        SECONDS_MAX),
    /* the time-order queue holds every line back to the oldest waiting
     * hop (its verdicts are shown at its time): 1000 is 16 messages a
     * second over the 60 s wait, far more than a lab makes */
    CAP(max_waiting, 1000, SS_CAP_COUNT,
        "--verify: hops waiting for that copy at once; past it the oldest is reported", 0,
        COUNT_MAX),
    CAP(verify_mem, 256u << 20, SS_CAP_BYTES,
        "--verify: bytes those hops keep (their messages, parses and texts); past it, the same", 0,
        BYTES_MAX),
    /* every answer, question and name the captured DNS keeps, with its ldns
     * records (verify/dnsstore.h); 1 byte keeps nothing, but 0 would be
     * the verifier's "not given" */
    CAP(dns_mem, 64u << 20, SS_CAP_BYTES,
        "--verify: bytes the captured DNS answers keep, with their records; past it the "
        "oldest go first (event dns_mem)",
        1, BYTES_MAX),
    /* the table's rows, and the lines --save-expect, --expect and --junit
     * read, kept for the end of the run (report/vsummary.h) */
    CAP(verdicts_mem, 64u << 20, SS_CAP_BYTES,
        "--verify: bytes the verdicts kept for the end take (the table; the lines of "
        "--save-expect, --expect, --junit); past it later hops are left out (event "
        "verdicts_mem)",
        0, BYTES_MAX),
};
const size_t ss_cap_ndefs = sizeof ss_cap_defs / sizeof ss_cap_defs[0];

void ss_caps_defaults(struct ss_caps *c)
{
	for (size_t i = 0; i < ss_cap_ndefs; i++)
		*(uint64_t *)((char *)c + ss_cap_defs[i].offset) = ss_cap_defs[i].dflt;
}

/* Option names use dashes, the table underscores: compare across the two. */
static int name_eq(const char *opt, const char *field)
{
	for (; *opt && *field; opt++, field++) {
		char a = *opt == '-' ? '_' : *opt;
		if (a != *field)
			return 0;
	}
	return *opt == *field;
}

const struct ss_cap_def *ss_cap_find(const char *name)
{
	for (size_t i = 0; i < ss_cap_ndefs; i++)
		if (name_eq(name, ss_cap_defs[i].name))
			return &ss_cap_defs[i];
	return NULL;
}

/* The shift of a size suffix (K, M, G), or -1. */
static int suffix_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	default:
		return -1;
	}
}

/* Reads value as a value of cap d into *out: digits only (no sign, no
 * space: strtoull would take both), then a size suffix for bytes; in d's
 * range. */
static int parse_value(const struct ss_cap_def *d, const char *value, uint64_t *out)
{
	enum ss_cap_unit u = d->unit;
	char *end;
	if (!value || *value < '0' || *value > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno)
		return -1;
	int shift = 0;
	if (u == SS_CAP_BYTES && *end && (shift = suffix_shift(*end++)) < 0)
		return -1;
	if (*end || v > (d->max >> shift) || (uint64_t)v << shift < d->min)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int ss_caps_set(struct ss_caps *c, const char *name, const char *value)
{
	const struct ss_cap_def *d = ss_cap_find(name);
	uint64_t v;
	if (!d)
		return -1;
	if (parse_value(d, value, &v))
		return -2;
	*(uint64_t *)((char *)c + d->offset) = v;
	return 0;
}

/* v as --help and errors write it: 64K, 16M, 1024G for whole sizes. */
static void value_text(enum ss_cap_unit u, uint64_t v, char *buf, size_t len)
{
	if (u == SS_CAP_BYTES && v >= (1u << 30) && v % (1u << 30) == 0)
		snprintf(buf, len, "%" PRIu64 "G", v >> 30);
	else if (u == SS_CAP_BYTES && v >= (1u << 20) && v % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu64 "M", v >> 20);
	else if (u == SS_CAP_BYTES && v >= 1024 && v % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 "K", v >> 10);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

void ss_cap_expects(const struct ss_cap_def *d, char *buf, size_t len)
{
	char lo[32], hi[32];
	value_text(d->unit, d->min, lo, sizeof lo);
	value_text(d->unit, d->max, hi, sizeof hi);
	switch (d->unit) {
	case SS_CAP_BYTES:
		snprintf(buf, len, "a size (a number of bytes, with K, M or G) from %s to %s", lo,
		         hi);
		break;
	case SS_CAP_COUNT:
		snprintf(buf, len, "a count (a whole number) from %s to %s", lo, hi);
		break;
	case SS_CAP_SECONDS:
	case SS_CAP_MS:
		/* every time cap starts at 0: the words say only the end */
		snprintf(buf, len, "a number of %s (%s%s%sat most %s)",
		         d->unit == SS_CAP_SECONDS ? "seconds" : "milliseconds",
		         d->min ? "at least " : "", d->min ? lo : "", d->min ? ", " : "", hi);
		break;
	}
}

void ss_caps_help(void *stream)
{
	FILE *fp = stream;
	for (size_t i = 0; i < ss_cap_ndefs; i++) {
		const struct ss_cap_def *d = &ss_cap_defs[i];
		char opt[64], val[40], lo[32], hi[32];
		snprintf(opt, sizeof opt, "--%s=N", d->name);
		for (char *s = opt; *s; s++)
			if (*s == '_')
				*s = '-';
		value_text(d->unit, d->dflt, val, sizeof val);
		if (d->unit == SS_CAP_SECONDS || d->unit == SS_CAP_MS)
			strcat(val, d->unit == SS_CAP_SECONDS ? "s" : "ms");
		value_text(d->unit, d->min, lo, sizeof lo);
		value_text(d->unit, d->max, hi, sizeof hi);
		fprintf(fp, "  %-24s %s (default %s; %s to %s)\n", opt, d->help, val, lo, hi);
	}
}
