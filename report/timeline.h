/* timeline.h - records as lines of text: one line per thing that happened,
 * "TIME CLIENT > SERVER  PROTO what was said -> what came back".
 */
#ifndef SS_TIMELINE_H
#define SS_TIMELINE_H

#include <stdio.h>

#include "hops.h"
#include "record.h"
#include "text.h"

struct timeline_opts {
	int verbose;   /* -v: every line of a reply, the header fields of a message */
	int colour;    /* ANSI colours (a terminal, and NO_COLOR unset) */
	int names;     /* name addresses from captured DNS answers (not -n) */
	int every_hop; /* --verify-all: every hop's verdicts, not only checking hops' */
};

/* The name to show for an endpoint: a learned name, else the address. */
/* out holds NAMES_MAX_LEN + 1 bytes. */
const char *timeline_host(const struct timeline_opts *o, const struct ss_addr *a, char out[256]);
/* "HH:MM:SS.mmm" of ts; "-" when has is 0 (no time: no frame, record.h). */
void timeline_clock(FILE *out, int has, int64_t ts);
/* "HH:MM:SS.mmm [FLOW] CLIENT > SERVER  ", the time as timeline_clock's */
void timeline_prefix(struct text *out, const struct timeline_opts *o, int has, int64_t ts,
                     const struct ss_flow *f);
/* The record's line (with -v, the lines under it too), each ending in a
 * newline; nothing for the reply to a message's ".", which the message's
 * own line shows. */
void timeline_record(struct text *out, const struct timeline_opts *o, const struct ss_record *r);
/* Where the message of r (its copy hop) came from: a retrieval says which
 * hop delivered it; an SMTP hop which copy it passes on. */
void timeline_link(struct text *out, const struct timeline_opts *o, const struct ss_record *r,
                   const struct vhop *hop, const struct vhop *from);

#endif
