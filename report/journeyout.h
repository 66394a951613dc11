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
/* The same in parts, for journeys shown in more than one go (settled
 * ones first: journeys_on_settled): the heading of shown journeys in all,
 * the zone line before it when the run has said none yet (has0, ts0: the
 * first journey's time, journeyout_first_time); the kept ones of n; what
 * was dropped or cut. */
int journeyout_first_time(const struct journeys *j, size_t n, const char *keep, int64_t *ts);
void journeyout_text_head(FILE *out, size_t shown, int has0, int64_t ts0);
void journeyout_text_list(FILE *out, const struct timeline_opts *o, const struct journeys *j,
                          size_t n, const char *keep);
void journeyout_text_tail(FILE *out, const struct journeys *j);
/* The first n journeys of j as text, those i with keep[i]. */
void journeyout_text(FILE *out, const struct timeline_opts *o, const struct journeys *j, size_t n,
                     const char *keep);
/* The same as JSON lines. */
void journeyout_json(FILE *out, struct jsonout_opts *jo, const struct journeys *j, size_t n,
                     const char *keep);

#endif
