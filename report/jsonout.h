/* jsonout.h - records as JSON lines (schema: docs/json.md). */
#ifndef SS_JSONOUT_H
#define SS_JSONOUT_H

#include <stdio.h>

#include "names.h"
#include "text.h"
#include "record.h"

#include "hops.h"

struct jsonout_opts {
	int verbose; /* -v: every header field of a message */
	int names;   /* add *_name members from captured DNS answers (not -n) */
	/* For the message being written: its copy, and the copy it was passed
	 * on from (NULL when that is not in the capture). */
	const struct vhop *hop, *from;
	const uint8_t *sha256; /* the message's SHA-256 */
	/* For a log line: the flow and message it speaks of (0: not known). */
	uint64_t about_flow, about_message;
};

void jsonout_record(FILE *out, const struct jsonout_opts *o, const struct ss_record *r);
/* "NAME":"10.255.2.33","NAME_name":"dmarc.mx.b.test" (the name when DNS
 * answers in the capture gave one and o->names is set). */
void jsonout_host(FILE *out, const struct jsonout_opts *o, const char *name,
                  const struct ss_addr *a);
/* The same into a text (text.h). */
void jsonout_thost(struct text *t, const struct jsonout_opts *o, const char *name,
                   const struct ss_addr *a);

#endif
