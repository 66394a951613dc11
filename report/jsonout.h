/* jsonout.h - records as JSON lines (schema: docs/json.md). */
#ifndef SS_JSONOUT_H
#define SS_JSONOUT_H

#include <stdio.h>

#include "names.h"
#include "record.h"

#include "hops.h"

struct jsonout_opts {
	int verbose; /* -v: every header field of a message */
	int names;   /* add *_name members from captured DNS answers (not -n) */
	/* For the message being written: its copy, and the copy it was passed
	 * on from (NULL when that is not in the capture). */
	const struct vhop *hop, *from;
};

void jsonout_record(FILE *out, const struct jsonout_opts *o, const struct ss_record *r);

#endif
