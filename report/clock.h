/* clock.h - the times of the timeline, as tcpdump's -t family writes them
 * (tcpdump(1), -t to -ttttt), in UTC (--utc) or in local time (TZ).
 *
 * Each line of the timeline begins with its time field, and the field
 * carries its own separator: "09:28:00.263 " then the rest of the line,
 * so that with -t (no time) a line begins with what follows, not with a
 * space. The fields, for a line at 2026-12-06 09:28:00.263752 UTC:
 *
 *   TIME_CLOCK        09:28:00.263                 (no -t; milliseconds)
 *   TIME_NONE         (nothing)                    (-t)
 *   TIME_EPOCH        1796549280.263752            (-tt; microseconds)
 *   TIME_DELTA        00:00:00.000123              (-ttt; since the line before)
 *   TIME_DATE         2026-12-06 09:28:00.263      (-tttt; milliseconds)
 *   TIME_SINCE_FIRST  00:00:01.499000              (-ttttt; since the first line)
 *
 * A line without a time (no frame: record.h) shows "-", padded to the
 * width of its format so that the columns stay where they are.
 *
 * Deltas count between lines as they are shown: a timed line's delta is
 * its time less the time of the timed line shown before it (00:00:00.000000
 * for the first), and the first timed line shown is what -ttttt counts
 * from; untimed lines and the indented lines under a line (-v) do not
 * count. Both are the difference of two times as -tt shows them (whole
 * microseconds), with a '-' when a line shows an earlier time than the
 * line before it (a line
 * the order queue had already let go by: report/order.h). Reading a file,
 * lines are put back in time order after they are made (order.h), so for
 * -ttt and -ttttt the field is first a placeholder, filled in as the line
 * goes out (tclock_write(), set as the order queue's writer); a live
 * capture shows lines as they are made, and they are worked out then.
 *
 * Only the clock and the date depend on the zone: for them the timeline
 * says once, before its first line, which zone they are in (tclock_header:
 * "times are UTC", "times are local, JST (+09:00)"). A local zone that
 * changes its offset during the capture (daylight saving time) is stated
 * as it was at the first line; the clock then follows the zone's rules.
 *
 * The timeline's clock before tclock_setup() (unit tests, fuzzers, and
 * until report.c sets it up) is TIME_CLOCK in local time with no
 * separator: its callers write their own, as before -t existed.
 *
 * A time mentioned inside a line ("delivered at ...") is written as the
 * line times are for the clock, the date and -tt; with -t, -ttt and -ttttt,
 * which name no zone, as ISO 8601 with its offset
 * ("2026-12-06T18:28:00.263+09:00", "...Z" in UTC).
 */
#ifndef SS_CLOCK_H
#define SS_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes a field or a mention takes at most, its separator and NUL included. */
#define TCLOCK_MAX 48
/* A deferred field until it goes out: this byte, then the time as 16
 * lowercase hex digits. */
#define TCLOCK_MARK '\001'
#define TCLOCK_MARK_LEN 17

struct tclock {
	int format;   /* TIME_* (report.h) */
	int utc;      /* --utc; else local time, as TZ says */
	int deferred; /* -ttt, -ttttt in time order: placeholders, filled by tclock_write */
	int said;     /* tclock_header() has written the zone line */
	int sep;      /* fields end in their separator (0: before tclock_setup, see above) */
	/* the timed line shown before (-ttt), the first one shown (-ttttt) */
	int64_t prev, first;
	int have_prev, have_first;
	/* the last second converted, cached: a capture has many lines a second */
	int64_t sec;
	int have_sec;
	char ymd[16], hms[16];
	/* tclock_write: at the start of a line; a placeholder cut between writes */
	int mid_line;
	char pend[TCLOCK_MARK_LEN];
	size_t npend;
};

/* Sets c up for format (TIME_*) and utc. ordered: the lines are put back
 * in time order after they are made (report/order.h), so that -ttt and
 * -ttttt must be filled in as they go out (tclock_write). */
void tclock_init(struct tclock *c, int format, int utc, int ordered);
/* The clock of the timeline's lines, one per process like the names
 * (names.h); until tclock_setup() it is the clock in local time. */
struct tclock *tclock_timeline(void);
/* tclock_init() of tclock_timeline(). */
void tclock_setup(int format, int utc, int ordered);
/* Whether c writes placeholders that tclock_write() must fill in. */
int tclock_deferred(const struct tclock *c);

/* The time field a line begins with, its separator included, into out;
 * returns its length (0 for -t). has 0: the line has no time ("-"). With
 * -ttt and -ttttt each call counts as a line shown, unless deferred. */
size_t tclock_field(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX]);
/* The same with microseconds for the clock and the date (--flows, whose
 * lines always had them). */
size_t tclock_field_us(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX]);
/* A time mentioned inside a line, without a separator (see above); "-"
 * when has is 0. Counts as no line. */
size_t tclock_mention(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX]);

/* The line that says the zone of the clock or the date, with its newline,
 * into out[0..n): "times are UTC\n", "times are local, JST (+09:00)\n",
 * the zone as it is at ns (has 0: now). Returns its length; 0, and nothing
 * written, for the formats no zone applies to (-t, -tt, -ttt, -ttttt). */
size_t tclock_zone_line(const struct tclock *c, int has, int64_t ns, char *out, size_t n);
/* Writes the zone line to out the first time it is called (before the
 * first line of the timeline), nothing after that. */
void tclock_header(struct tclock *c, FILE *out, int has, int64_t ns);

/* Writes p[0..n) to out with every placeholder at the start of a line
 * filled in: the order queue's writer (order_set_writer(); ctx is the
 * struct tclock). A placeholder may be cut between two calls. p NULL:
 * the end of the output, a cut placeholder written as it is. */
void tclock_write(const void *p, size_t n, FILE *out, void *ctx);

#endif
