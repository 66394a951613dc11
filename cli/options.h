/* options.h - the command line, tcpdump-style. */
#ifndef SS_OPTIONS_H
#define SS_OPTIONS_H

#include "caps.h"
#include "report.h"
#include "source.h"

struct options {
	struct ss_source_opts src;
	struct report_opts rep;
	struct ss_caps caps;
	int list_devices;     /* -D */
	int no_names;         /* -n */
	int show_secrets;     /* --show-secrets */
	char *filter;         /* owned: the trailing words joined */
	const char **zones;   /* owned array: the --zone files (rep.zones) */
	const char **logs;    /* owned array: the --log files (rep.logs) */
	const char **hosts;   /* owned array: the --host names (rep.select_hosts) */
	const char **keylogs; /* owned array: the --keylog files */
	size_t nkeylogs;
	int one_pass; /* --one-pass: name hosts only from the answers before them */
	int workers;  /* --workers: threads that dissect a file's flows (0 and 1: the main one) */
};

/* Parses argv into o; prints help or the version and exits 0 when asked,
 * and exits 2 with a message on a usage error. */
void options_parse(struct options *o, int argc, char **argv);
void options_free(struct options *o);

#endif
