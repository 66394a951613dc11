/* report.h - what smtpsniff prints and writes: the timeline (every record
 * of the dissectors, every anomaly, the flows nothing else speaks for),
 * --flows summaries, --json lines, --streams and --export files, and the
 * end-of-run statistics.
 */
#ifndef SS_REPORT_H
#define SS_REPORT_H

#include <stdio.h>

#include "caps.h"
#include "decode.h"
#include "reasm.h"
#include "source.h"

struct report_opts {
	int json;                /* --json: JSON lines instead of text */
	int flows_only;          /* --flows: one line per flow, when it ends */
	int verbose;             /* -v */
	int names;               /* name addresses from captured DNS answers (not -n) */
	int colour;              /* ANSI colours on the timeline */
	const char *streams_dir; /* --streams DIR, or NULL */
	const char *export_dir;  /* --export DIR, or NULL */
	const char *mbox_file;   /* --mbox FILE, or NULL */
	int overwrite;           /* --overwrite: --streams and --export may replace files */
	int ordered;             /* -r: show lines in the order their events began */
	int verify;              /* --verify: re-check SPF, DKIM, DMARC on every hop */
	int verify_all;     /* --verify-all: show every hop's verdicts, not only checking hops' */
	const char **zones; /* --zone files (nzones), DNS data the capture lacks */
	size_t nzones;
	const char *expect;      /* --expect FILE: compare the verdicts with it */
	const char *save_expect; /* --save-expect FILE: write the verdicts to it */
	const char *junit;       /* --junit FILE: the verdicts as JUnit XML */
	/* Following the mail (docs/smtpsniff.1 JOURNEYS). */
	int journeys;      /* JOURNEYS_AFTER (default), JOURNEYS_ONLY (--journey), or 0 */
	const char **logs; /* --log FILE (nlogs): syslog lines read from files */
	size_t nlogs;
	int log_year;        /* --log-year: the year of lines that give none (0: the capture's) */
	const char *log_tz;  /* --log-tz: their zone ("UTC", "+09:00"; NULL: local time) */
	const char *mermaid; /* --mermaid FILE: a sequence diagram per message */
	int mermaid_no_dns;  /* --mermaid-without=dns */
	int mermaid_no_replies;     /* --mermaid-without=replies */
	const char *select_message; /* --message: Message-ID, #N, or a Subject pattern */
	const char **select_hosts;  /* --host NAME (nselect_hosts of them) */
	size_t nselect_hosts;
	const char *hosts_file; /* --hosts FILE: names for addresses, as /etc/hosts */
	int prefer_a;           /* --names=a: an A/AAAA owner name before a PTR target */
	int time_format;        /* TIME_* (-t, -tt, ...) */
	int utc;                /* --utc: times in UTC, not local time */
	/* --message from a file: the first pass finds the message's story
	 * (story_pass: show nothing, keep it for report_story), the second
	 * shows it (story). */
	int story_pass;
	struct story *story; /* select.h; borrowed */
	FILE *out;           /* where lines go (stdout) */
};

enum { JOURNEYS_OFF, JOURNEYS_AFTER, JOURNEYS_ONLY };
/* How the timeline gives times, as tcpdump's -t family. */
enum {
	TIME_CLOCK,       /* HH:MM:SS.mmm (no -t) */
	TIME_NONE,        /* -t */
	TIME_EPOCH,       /* -tt: seconds since 1970 */
	TIME_DELTA,       /* -ttt: since the line before */
	TIME_DATE,        /* -tttt: YYYY-MM-DD HH:MM:SS.mmm */
	TIME_SINCE_FIRST, /* -ttttt: since the first line */
};

struct ss_report;

/* Creates the report and registers its taps and the event sink with r.
 * Returns NULL with the reason in err and the exit status in *code when an
 * output is unusable (--streams, --export, --save-expect, --junit: exit
 * 4), a --zone file does not load, or the --expect file is none (exit 2):
 * all before the capture is read. */
struct ss_report *report_new(const struct report_opts *o, const struct ss_caps *caps,
                             struct ss_reasm *r, char *err, size_t errlen, int *code);

struct run_stats {
	const struct ss_decode_stats *decode;
	const struct frag_stats *frag;
	const struct reasm_stats *reasm;
	const struct source_stats *live; /* NULL for files */
	const char *input;
	const char *linktype;
};
/* Capture time has reached now (lines old enough leave the order queue). */
void report_clock(struct ss_report *rp, int64_t now);
/* The end of the run (or SIGUSR1): JSON summary line, or text on stderr
 * (always for live captures, with -v for files). */
void report_stats(struct ss_report *rp, const struct run_stats *s, int final);
/* After the final report_stats(): with --expect, 1 when the verdicts
 * differ from the file's (known disagreements included there are no
 * change), the differences said on stderr; with --save-expect alone, 0
 * once the file is written; with --verify alone, 1 when a verdict
 * disagreed with its receiver's. 0 otherwise; -1 with err when
 * --save-expect or --junit could not be written (exit 4). */
int report_verdicts_status(struct ss_report *rp, char *err, size_t errlen);
/* After the final report_stats() of a story pass: the story of the
 * message --message names (the caller frees it: story_free), or NULL. */
struct story *report_story(struct ss_report *rp);
/* Flushes and closes every output; returns -1 when any could not be written. */
int report_free(struct ss_report *rp, char *err, size_t errlen);

#endif
