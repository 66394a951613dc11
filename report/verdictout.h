/* verdictout.h - the verdicts of one hop (verify/verifier.h) as people and
 * programs read them: on the timeline, a line for the hop and, under it, a
 * line per verdict with the receiver's beside it, the reason and the DNS
 * evidence; in --json, one "verdict" object per verdict (docs/json.md).
 */
#ifndef SS_VERDICTOUT_H
#define SS_VERDICTOUT_H

#include <stdio.h>

#include "jsonout.h"
#include "timeline.h"
#include "verifier.h"

void verdictout_text(FILE *out, const struct timeline_opts *o, const struct v_hopcheck *h);
/* The time of the last frame h cites (its message, the DNS answers its
 * verdicts rest on, the receiver's copy): where its block goes on the
 * timeline. *has is 0 when none of them has a frame. */
int64_t verdictout_cited(const struct v_hopcheck *h, int *has);
void verdictout_json(FILE *out, const struct jsonout_opts *o, const struct v_hopcheck *h);
/* The short form of one check for tables and --expect: "pass" or
 * "d=y.test pass", the method's qualifier first ("mailfrom", "helo"). */
void verdictout_label(const struct v_check *c, char *out, size_t len);

#endif
