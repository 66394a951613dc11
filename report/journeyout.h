/* journeyout.h - each message's journey (journey.h) for people, after the
 * timeline, and as one JSON "journey" record per message (docs/json.md).
 */
#ifndef SS_JOURNEYOUT_H
#define SS_JOURNEYOUT_H

#include <stdio.h>

#include "journey.h"
#include "jsonout.h"
#include "timeline.h"

/* A hop's verdicts in one line: "spf mailfrom pass/pass agree; dkim
 * d=y.test s=smtpbook pass/pass agree; dmarc fail/fail agree" (smtpsniff's
 * / the receiver's, "-" when it wrote none; then the agreement). */
void journeyout_verdicts(const struct v_hopcheck *h, char *out, size_t len);
/* The first n journeys of j as text, those i with keep[i]. */
void journeyout_text(FILE *out, const struct timeline_opts *o, const struct journeys *j, size_t n,
                     const char *keep);
/* The same as JSON lines. */
void journeyout_json(FILE *out, struct jsonout_opts *jo, const struct journeys *j, size_t n,
                     const char *keep);

#endif
