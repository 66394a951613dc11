/* vsummary.h - the end of a --verify run: the table (grouped by message,
 * each message's hops in path order, with their roles), and the verdicts
 * in a stable form for --save-expect, --expect and --junit, the regression
 * check of CI: no times, Message-IDs, queue IDs, ports, frame or flow
 * numbers, so the same scenarios recorded again give the same lines.
 *
 * A line of the stable form (the lines are sorted):
 *   <Subject> | <client> > <server> <role> | <MAIL FROM> | <From> | <method> [qualifier] <ours> /
 * <theirs or -> <agreement> e.g. "scenario4-4 (mail from user1@x.test) | dkim.smtp.a.test >
 * dmarc.mx.b.test checking | user1@a.test | user1@x.test | dmarc fail / fail agree".
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
struct vexpect; /* the lines of an expect file */

struct vsummary *vsummary_new(void);
void vsummary_free(struct vsummary *s);
/* Adds a hop's verdicts; o names its hosts. */
void vsummary_add(struct vsummary *s, const struct v_hopcheck *h, const struct timeline_opts *o);
/* The table, for people; o->every_hop shows the verdicts of hops nobody
 * checks too. */
void vsummary_table(FILE *out, const struct vsummary *s, const struct timeline_opts *o);
/* Writes the stable lines to f (path names it in err). Returns -1 with
 * the reason in err. */
int vsummary_save(struct vsummary *s, FILE *f, const char *path, char *err, size_t errlen);
/* Whether path may be written as an expect file: it does not exist, is
 * empty, or --save-expect wrote it (so that a slip of the keyboard does
 * not overwrite a capture or notes). */
int vsummary_may_write(const char *path);
/* Reads an expect file; NULL with the reason in err when it cannot be
 * read or is not one --save-expect wrote. */
struct vexpect *vexpect_read(const char *path, char *err, size_t errlen);
void vexpect_free(struct vexpect *e);
/* Compares the stable lines with e: 0 the same, 1 changed (the
 * differences written to diff, "-" expected, "+" got). */
int vsummary_expect(struct vsummary *s, const struct vexpect *e, FILE *diff);
/* JUnit XML to f: a test case per expected verdict (e), failing when it
 * did not come, and a failing one per verdict that came unexpected;
 * without e, one per verdict, failing when the receiver disagrees.
 * Returns -1 with the reason in err on a write error. */
int vsummary_junit(struct vsummary *s, const struct vexpect *e, FILE *f, const char *path,
                   char *err, size_t errlen);

#endif
