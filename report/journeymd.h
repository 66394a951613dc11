/* journeymd.h - --mermaid: each message's journey as a Mermaid sequence
 * diagram in a Markdown file (journeymd.c says what a diagram shows).
 */
#ifndef SS_JOURNEYMD_H
#define SS_JOURNEYMD_H

#include <stdio.h>

#include "journey.h"
#include "timeline.h"

struct journeymd_opts {
	const struct timeline_opts *tl; /* how hosts are named */
	int no_dns;                     /* --mermaid-without=dns */
	int no_replies;                 /* --mermaid-without=replies */
};

/* Writes the journeys i < n with keep[i] to out; -1 when writing failed. */
int journeymd_write(FILE *out, const struct journeymd_opts *o, const struct journeys *j, size_t n,
                    const char *keep);

#endif
