/* report.h - what smtpsniff prints and writes: the timeline (for now: flows
 * beginning and ending, and every anomaly), --flows summaries, --json lines,
 * --streams files, and the end-of-run statistics.
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
	const char *streams_dir; /* --streams DIR, or NULL */
	int overwrite;           /* --overwrite: --streams may replace files */
	FILE *out;               /* where lines go (stdout) */
};

struct ss_report;

/* Creates the report and registers its taps and the event sink with r.
 * Returns NULL with the reason in err when --streams DIR is unusable. */
struct ss_report *report_new(const struct report_opts *o, const struct ss_caps *caps,
                             struct ss_reasm *r, char *err, size_t errlen);

struct run_stats {
	const struct ss_decode_stats *decode;
	const struct frag_stats *frag;
	const struct reasm_stats *reasm;
	const struct source_stats *live; /* NULL for files */
	const char *input;
	const char *linktype;
};
/* The end of the run (or SIGUSR1): JSON summary line, or text on stderr
 * (always for live captures, with -v for files). */
void report_stats(struct ss_report *rp, const struct run_stats *s, int final);
/* Flushes and closes every output; returns -1 when any could not be written. */
int report_free(struct ss_report *rp, char *err, size_t errlen);

#endif
