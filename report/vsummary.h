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

#include <stdint.h>
#include <stdio.h>

#include "timeline.h"
#include "verifier.h"

/* Rows kept for the table; past it they are counted, not shown. */
#define VSUMMARY_MAX_ROWS 10000
/* What is kept of a text for the end of the run: a Subject, a MAIL FROM,
 * a From, a Message-ID, the receiver's word, in a stable line or a row,
 * at most VSUMMARY_MAX_FIELD bytes (then ending in VSUMMARY_CUT_MARK); a
 * cell of the table (one method's verdicts on a hop, up to 64 DKIM
 * signatures) at most VSUMMARY_MAX_CELL. So a stable line takes some
 * 200 bytes, never over 2K; a row some 300, never over 4K. */
#define VSUMMARY_MAX_FIELD 200
#define VSUMMARY_MAX_CELL 1000
#define VSUMMARY_CUT_MARK " [cut]"
/* --verdicts-mem's default: the rows and the stable lines together. */
#define VSUMMARY_MEM_DEFAULT ((uint64_t)64 << 20)

struct vsummary;
struct vexpect; /* the lines of an expect file */

/* The table's rows are kept; the stable lines only with lines (they are
 * read by --save-expect, --expect and --junit alone); both within max_mem
 * bytes, counted as the allocator hands them out (--verdicts-mem). Past
 * it the hops that come are left out of both: the table says how many,
 * the stable lines lack them (an --expect run then fails), and one event
 * (report verdicts_mem) says so, once. */
struct vsummary *vsummary_new_opts(int lines, uint64_t max_mem);
/* vsummary_new_opts(1, VSUMMARY_MEM_DEFAULT). */
struct vsummary *vsummary_new(void);
/* Verdicts left out of the stable lines for max_mem so far. */
uint64_t vsummary_left_out(const struct vsummary *s);
/* The bytes counted now, rows and lines together. */
uint64_t vsummary_mem(const struct vsummary *s);
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
