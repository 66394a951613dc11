/* logfile.h - --log FILE: syslog lines read from files instead of the
 * wire, for labs that do not forward syslog. Each line becomes the same
 * REC_LOG record (record.h) the syslog dissector makes of a datagram, with
 * no flow (NULL), frame 0, and rec_log.file/line/timed set; maillog.h reads
 * it alike.
 *
 * Formats, told apart line by line:
 *   rsyslog's file formats    "2026-12-06T18:28:00.264752+09:00 HOST TAG[PID]: MSG",
 *                             padded in columns (the lab's logserver) or not
 *   journalctl -o short-iso   "2026-12-06T18:28:00+0900 HOST TAG[PID]: MSG"
 *     and short-iso-precise   (any ISO 8601 time; without a zone: --log-tz)
 *   traditional syslog files  "Dec  6 18:28:00 HOST TAG[PID]: MSG" (also journalctl's
 *                             "short" and "short-precise"): no year (--log-year, else
 *                             the capture's), no zone (--log-tz, else local time)
 *   RFC 5424 and RFC 3164     "<PRI>..." lines, read by syslog_parse()
 *   journalctl -o export      entries of KEY=VALUE lines ended by an empty line,
 *                             binary fields as KEY LF, a 64-bit little-endian
 *                             length, the bytes, LF (told by the file's first line)
 * Whatever padding follows the tag is dropped with the one SP the wire has,
 * so a message keeps no leading spaces of its own. A line with no time that
 * can be read is still a record (timed 0), its whole text the message
 * unless a header was read, and goes out right after the line before it.
 * Empty lines are skipped (they are counted in line numbers).
 *
 * Memory: one line (or journal entry) per file, held at --max-line: a
 * longer line is cut there (rec_log.cut) and the rest of it skipped as it
 * is read, so a file of one huge line costs --max-line, not its size. A
 * journal's MESSAGE is cut at --max-line too, the other fields kept
 * (_HOSTNAME, SYSLOG_IDENTIFIER ...) at 256 bytes; the rest are skipped.
 * Each file also has a 64 KiB read buffer.
 */
#ifndef SS_LOGFILE_H
#define SS_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct logfile_opts {
	const char **paths; /* the files, read each in its own order */
	size_t npaths;
	int year;        /* --log-year for lines without a year; 0: the year of the first
	                  * `until` (of the file's modification time when that is
	                  * INT64_MAX), a year less when the first line's month is more
	                  * than 6 months after that time's (the log began before New
	                  * Year). Either way a line whose month is more than 6 months
	                  * before the month of the line before it is in the next year. */
	const char *tz;  /* --log-tz for lines without a zone: "UTC", "Z", "+09:00", "-0500",
	                  * "+09", "local"; NULL: local time (TZ) */
	size_t max_line; /* longer lines are cut (rec_log.cut): --max-line; 0: 64 KiB */
};

struct logfile_stats {
	uint64_t lines;   /* records emitted */
	uint64_t untimed; /* of them, lines whose time could not be read (timed 0) */
	uint64_t cut;     /* of them, lines cut at max_line */
	char error[256];  /* the first read error ("FILE: Input/output error"), or "" */
};

struct logfile;

/* Opens every file now (nothing is read yet). Returns NULL with the reason
 * in err[0..errlen) when a file cannot be opened or is a directory, or the
 * zone is none of the forms above. o->paths are copied. */
/* Is tz a zone --log-tz takes ("UTC", "Z", "GMT", "local", "+09:00",
 * "-0500")? For the options, which refuse a bad one whether or not a
 * --log file comes with it. */
int logfile_tz_ok(const char *tz);
struct logfile *logfile_open(const struct logfile_opts *o, char *err, size_t errlen);

/* Emits (record_emit()) every line whose time is <= until, merged in time
 * order across the files, each file read in its own order one line ahead.
 * On equal times a line without a time goes first (it follows the line
 * before it in its file), then the files in the order given. until
 * INT64_MAX: everything left. Records: kind REC_LOG, flow NULL, frame 0,
 * file and line set, timed 1 with ts the line's time (in [0, SS_TIME_MAX]),
 * or timed 0 with ts the time of the line before it (0 when none). The
 * records point into lf's buffers: they live until the sinks return.
 * The year of lines without one is settled at the first call (struct
 * logfile_opts year). lf NULL: nothing. */
void logfile_emit_until(struct logfile *lf, int64_t until);

/* Counts so far, and the first read error (a warning: a file that fails
 * mid-way ends there). */
void logfile_stats(const struct logfile *lf, struct logfile_stats *st);

/* Closes the files and frees lf; NULL is fine. */
void logfile_close(struct logfile *lf);

#endif
