/* caps.c - the table of limits: names, defaults, units, words for --help. */
#include "caps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP(field, dflt, unit, help)                                                               \
	{                                                                                          \
#field, offsetof(struct ss_caps, field), dflt, unit, help                          \
	}

/* Defaults are sized for a mail lab and for captures of a few GB on a
 * laptop: generous enough never to trigger on honest traffic, small enough
 * that a hostile capture cannot take the machine down. */
const struct ss_cap_def ss_cap_defs[] = {
    CAP(max_flows, 262144, SS_CAP_COUNT, "flows tracked at once; the longest idle is ended first"),
    CAP(max_mem, 512u << 20, SS_CAP_BYTES, "bytes held by TCP reassembly for all flows"),
    CAP(max_flow_mem, 4u << 20, SS_CAP_BYTES, "out-of-order bytes held per flow direction"),
    CAP(max_pending, 1u << 20, SS_CAP_BYTES,
        "bytes a dissector may leave unconsumed per direction"),
    CAP(rexmit_window, 16u << 10, SS_CAP_BYTES,
        "delivered bytes kept per direction to compare retransmissions (0: off)"),
    CAP(detect_bytes, 4096, SS_CAP_BYTES, "bytes looked at per flow to choose its protocol"),
    CAP(max_frag_mem, 32u << 20, SS_CAP_BYTES, "bytes held in IP fragments awaiting reassembly"),
    CAP(max_frag_dgrams, 4096, SS_CAP_COUNT, "IP datagrams under reassembly at once"),
    CAP(frag_timeout, 30, SS_CAP_SECONDS,
        "capture-time seconds a datagram waits for its fragments"),
    CAP(ack_wait, 100, SS_CAP_MS,
        "capture-time ms a hole the peer acknowledged may still fill (capture reordering)"),
    CAP(tcp_timeout, 300, SS_CAP_SECONDS, "capture-time seconds of silence that end a TCP flow"),
    CAP(tcp_linger, 5, SS_CAP_SECONDS, "seconds a closed TCP flow is kept to absorb late packets"),
    CAP(udp_timeout, 60, SS_CAP_SECONDS, "capture-time seconds of silence that end a UDP flow"),
    CAP(max_open_files, 64, SS_CAP_COUNT, "files --streams keeps open at once"),
    CAP(max_line, 64u << 10, SS_CAP_BYTES,
        "longest protocol line kept; longer ones are cut and reported"),
    CAP(max_message, 64u << 20, SS_CAP_BYTES,
        "longest message kept whole; a longer one is incomplete"),
    CAP(max_pipeline, 256, SS_CAP_COUNT, "commands awaiting their replies in one session"),
    CAP(max_log_lines, 200000, SS_CAP_COUNT,
        "syslog lines about messages kept for their journeys (the oldest go first)"),
    CAP(journey_mem, 64u << 20, SS_CAP_BYTES,
        "bytes the journeys keep of copies and log lines (the oldest go first)"),
    CAP(max_hops, 100000, SS_CAP_COUNT,
        "message copies remembered to link each to the copy it was passed on from"),
    CAP(verify_wait, 60, SS_CAP_SECONDS,
        "--verify: capture-time seconds a hop waits for the copy its receiver passes on"),
    CAP(max_waiting, 10000, SS_CAP_COUNT,
        "--verify: hops waiting for that copy at once; past it the oldest is reported"),
    CAP(verify_mem, 256u << 20, SS_CAP_BYTES,
        "--verify: bytes of the messages of those hops; past it, the same"),
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

/* The largest value a cap of unit u takes. Times are counted in int64
 * nanoseconds: 292 years at most. */
static uint64_t unit_max(enum ss_cap_unit u)
{
	switch (u) {
	case SS_CAP_SECONDS:
		return INT64_MAX / 1000000000;
	case SS_CAP_MS:
		return INT64_MAX / 1000000;
	default:
		return UINT64_MAX;
	}
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

/* Reads value as a cap of unit u into *out: digits only (no sign, no
 * space: strtoull would take both), then a size suffix for bytes. */
static int parse_value(enum ss_cap_unit u, const char *value, uint64_t *out)
{
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
	if (*end || v > (unit_max(u) >> shift))
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
	if (parse_value(d->unit, value, &v))
		return -2;
	*(uint64_t *)((char *)c + d->offset) = v;
	return 0;
}

void ss_cap_expects(const struct ss_cap_def *d, char *buf, size_t len)
{
	switch (d->unit) {
	case SS_CAP_BYTES:
		snprintf(buf, len, "a size (a number of bytes, with K, M or G)");
		break;
	case SS_CAP_COUNT:
		snprintf(buf, len, "a count (a whole number)");
		break;
	case SS_CAP_SECONDS:
	case SS_CAP_MS:
		snprintf(buf, len, "a number of %s (at most %" PRIu64 ")",
		         d->unit == SS_CAP_SECONDS ? "seconds" : "milliseconds", unit_max(d->unit));
		break;
	}
}

void ss_caps_help(void *stream)
{
	FILE *fp = stream;
	for (size_t i = 0; i < ss_cap_ndefs; i++) {
		const struct ss_cap_def *d = &ss_cap_defs[i];
		char opt[64], val[32];
		snprintf(opt, sizeof opt, "--%s=N", d->name);
		for (char *s = opt; *s; s++)
			if (*s == '_')
				*s = '-';
		uint64_t v = d->dflt;
		if (d->unit == SS_CAP_BYTES && v >= (1u << 20) && v % (1u << 20) == 0)
			snprintf(val, sizeof val, "%lluM", (unsigned long long)(v >> 20));
		else if (d->unit == SS_CAP_BYTES && v >= 1024 && v % 1024 == 0)
			snprintf(val, sizeof val, "%lluK", (unsigned long long)(v >> 10));
		else
			snprintf(val, sizeof val, "%llu%s", (unsigned long long)v,
			         d->unit == SS_CAP_SECONDS ? "s"
			         : d->unit == SS_CAP_MS    ? "ms"
			                                   : "");
		fprintf(fp, "  %-24s %s (default %s)\n", opt, d->help, val);
	}
}
