/* vsummary.h - the end of a --verify run: the table (one row per message
 * and hop), and the verdicts in a stable form for --save-expect and
 * --expect, the regression check of CI (no times, no frame or flow
 * numbers: a capture recorded again gives the same lines).
 *
 * A line of the stable form:
 *   <Message-ID or #N> <client> > <server> <method> [qualifier] <ours> <theirs or -> <agreement>
 * e.g. "<scenario4-4.1@client.a.test> 10.255.1.21 > 10.255.2.33 dmarc fail pass disagree".
 */
#ifndef SS_VSUMMARY_H
#define SS_VSUMMARY_H

#include <stdio.h>

#include "timeline.h"
#include "verifier.h"

/* Rows kept for the table; past it they are counted, not shown. The
 * stable lines are all kept (one short line per verdict). */
#define VSUMMARY_MAX_ROWS 10000

struct vsummary;

struct vsummary *vsummary_new(void);
void vsummary_free(struct vsummary *s);
void vsummary_add(struct vsummary *s, const struct v_hopcheck *h);
/* The table, for people. */
void vsummary_table(FILE *out, const struct vsummary *s, const struct timeline_opts *o);
/* Writes the stable lines to path. Returns -1 with the reason in err. */
int vsummary_save(const struct vsummary *s, const char *path, char *err, size_t errlen);
/* Compares the stable lines with those in path: 0 the same, 1 changed
 * (the differences written to diff, "-" expected, "+" got), -1 the file
 * cannot be read (err). */
int vsummary_expect(const struct vsummary *s, const char *path, FILE *diff, char *err,
                    size_t errlen);

#endif
