/* options.c - parsing the command line (tcpdump's letters where tcpdump has
 * one, long options for the rest, every cap from util/caps.c).
 */
#define _GNU_SOURCE
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logfile.h"

#ifndef SS_VERSION
#define SS_VERSION "0"
#endif

enum {
	OPT_JSON = 1000,
	OPT_FLOWS,
	OPT_STREAMS,
	OPT_EXPORT,
	OPT_MBOX,
	OPT_COLOUR,
	OPT_OVERWRITE,
	OPT_SECRETS,
	OPT_VERIFY,
	OPT_ZONE,
	OPT_EXPECT,
	OPT_SAVE_EXPECT,
	OPT_JUNIT,
	OPT_VERIFY_ALL,
	OPT_JOURNEY,
	OPT_NO_JOURNEY,
	OPT_LOG,
	OPT_KEYLOG,
	OPT_LOG_YEAR,
	OPT_LOG_TZ,
	OPT_MERMAID,
	OPT_MERMAID_WITHOUT,
	OPT_MESSAGE,
	OPT_HOST,
	OPT_HOSTS,
	OPT_NAMES,
	OPT_TIME,
	OPT_UTC,
	OPT_ONE_PASS,
	OPT_WORKERS,
	OPT_VERSION,
	OPT_HELP,
	OPT_CAP
};

static void usage(FILE *fp)
{
	fputs("Usage: smtpsniff [-nv] [-r FILE | -i IFACE] [-w FILE] [-c COUNT] [-s SNAPLEN]\n"
	      "                 [-B KiB] [-Z USER] [--json] [--flows] [--streams DIR]\n"
	      "                 [--verify [--zone FILE]... [--expect FILE] [--save-expect FILE]]\n"
	      "                 [--CAP=N ...] [FILTER EXPRESSION]\n"
	      "       smtpsniff -D\n"
	      "\n"
	      "Reads a capture (-r, pcap or pcapng, - for stdin) or an interface (-i, made\n"
	      "promiscuous), puts TCP streams back together and shows every flow.\n"
	      "\n"
	      "  -r FILE        read frames from FILE\n"
	      "  -i IFACE       capture live on IFACE\n"
	      "  -w FILE        also write every frame read to FILE (pcap; - for stdout)\n"
	      "  -c COUNT       stop after COUNT frames\n"
	      "  -s SNAPLEN     capture at most SNAPLEN bytes of each frame (default 262144)\n"
	      "  -B KiB         kernel capture buffer size in KiB (default 32768)\n"
	      "  -Z USER        drop root privileges to USER once the input is open\n"
	      "  -D             list the interfaces that can be captured on\n"
	      "  -n             do not name addresses from DNS answers in the capture\n"
	      "  -v             more detail: anomalies with --flows, statistics at the end\n"
	      "  --json         JSON lines (schema: docs/json.md)\n"
	      "  --flows        one line per flow, when it ends\n"
	      "  --streams DIR  write each TCP direction's bytes to a file in DIR\n"
	      "  --export DIR   write every message as DIR/NNNNNN-PROTO.eml, exactly as\n"
	      "                 carried, with DIR/index.json\n"
	      "  --mbox FILE    write every message into FILE, one mbox (mboxrd, LF line\n"
	      "                 ends) that mail clients and Python's mailbox open\n"
	      "  --color [WHEN] colour the timeline: always, never, auto (a terminal)\n"
	      "  --overwrite    let --streams, --export and --mbox replace files of an\n"
	      "                 earlier run\n"
	      "  --show-secrets show passwords and tokens of logins instead of ****\n"
	      "  --verify       re-check SPF, DKIM and DMARC of every SMTP hop offline, with\n"
	      "                 the DNS answers in the capture only, and compare with what\n"
	      "                 the receiving servers wrote; exit 1 when they disagree\n"
	      "  --zone FILE    DNS data the capture lacks, as an RFC 1035 zone file\n"
	      "                 (repeatable); used only where the capture has no answer\n"
	      "  --verify-all   show the verdicts of every hop, also of hops nobody checks\n"
	      "                 (submissions, relays, final deliveries)\n"
	      "  --save-expect FILE  write the verdicts in a stable form; exit 0 once\n"
	      "                 written (implies --verify)\n"
	      "  --expect FILE  compare the verdicts with a --save-expect file; exit 1 and\n"
	      "                 show the differences only when they changed, known\n"
	      "                 disagreements included (implies --verify)\n"
	      "  --junit FILE   the verdicts as JUnit XML, a test case per expected verdict\n"
	      "                 (implies --verify)\n"
	      "\n"
	      "Following the mail:\n"
	      "  --journey      show only each message's journey (without: after the\n"
	      "                 timeline); --no-journey leaves them out\n"
	      "  --log FILE     syslog lines from a file (a maillog, a journal export) beside\n"
	      "                 those on the wire (repeatable)\n"
	      "  --log-year YYYY, --log-tz ZONE  for log lines that give no year or zone\n"
	      "                 (default: the capture's year, local time; ZONE: UTC, +09:00)\n"
	      "  --keylog FILE  TLS secrets (an SSLKEYLOGFILE, RFC 9850; repeatable): STARTTLS\n"
	      "                 and implicit-TLS sessions are decrypted and read on; a pcapng\n"
	      "                 file's own Decryption Secrets Blocks are used too\n"
	      "  --mermaid FILE a Mermaid sequence diagram per message, in Markdown\n"
	      "  --mermaid-without dns,replies  leave DNS or SMTP replies out of them\n"
	      "  --message SPEC show only what concerns a message: <Message-ID>, #N, or a\n"
	      "                 Subject pattern (shell wildcards)\n"
	      "  --host NAME    show only what a host did (a name or an address; repeatable)\n"
	      "  --hosts FILE   names for addresses, as /etc/hosts\n"
	      "  --names a|ptr  which name an address gets when DNS gives both (default ptr)\n"
	      "  --one-pass     read a file once: hosts are named from the DNS answers before\n"
	      "                 them, not from the whole file\n"
	      "  --workers N    sessions dissected on N threads (default 1), the output\n"
	      "                 the same as with one\n"
	      "  -t, -tt, -ttt, -tttt, -ttttt, --time FORMAT  times as none, epoch, delta,\n"
	      "                 date, since-first (default clock: HH:MM:SS.mmm)\n"
	      "  --utc          times in UTC (default: local time, TZ)\n"
	      "  --help, --version\n"
	      "\n"
	      "Limits (a value in bytes takes K, M or G):\n",
	      fp);
	ss_caps_help(fp);
	fputs("\nExit status: 0 all well; 1 a verification disagreed; 2 usage error, or an\n"
	      "input that is not a capture or is damaged (what came before the damage is\n"
	      "still reported); 3 the system refused (device, permissions, -Z); 4 an output\n"
	      "could not be written.\n",
	      fp);
}

/* Says what is wrong with the command line, as printf would, and exits 2. */
SS_PRINTF(1, 2) SS_NORETURN static void bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("smtpsniff: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'smtpsniff --help'.\n", stderr);
	va_end(ap);
	exit(SS_EXIT_USAGE);
}

/* The value of a letter option: a decimal number from min to max, or a
 * usage error saying what the option takes. */
static long long number(const char *s, const char *opt, long long min, long long max,
                        const char *what)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		bad_usage("%s %.100s: not %s (%lld to %lld)", opt, s, what, min, max);
	return v;
}

/* Appends s to the array *a of *n strings (repeatable options). */
static void push(const char ***a, size_t *n, const char *s)
{
	const char **z = realloc(*a, (*n + 1) * sizeof *z);
	if (!z)
		ss_fatal(SS_EXIT_ENV, "out of memory");
	z[(*n)++] = s;
	*a = z;
}

/* --time's FORMAT, or -1. */
static int time_format(const char *s)
{
	static const char *const names[] = {"clock", "none", "epoch",
	                                    "delta", "date", "since-first"};
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (!strcmp(s, names[i]))
			return i; /* the order of TIME_* */
	return -1;
}

/* --mermaid-without=dns,replies */
static void mermaid_without(struct report_opts *r, const char *arg)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "dns"))
			r->mermaid_no_dns = 1;
		else if (!strcmp(w, "replies"))
			r->mermaid_no_replies = 1;
		else
			bad_usage("--mermaid-without=%.100s: not a list of dns, replies", arg);
	}
}

/* --color's WHEN: 1 always, 0 never, -1 auto (decided once the output is
 * known), -2 not a WHEN. */
static int colour_when(const char *w)
{
	if (!strcmp(w, "always"))
		return 1;
	if (!strcmp(w, "never"))
		return 0;
	if (!strcmp(w, "auto"))
		return -1;
	return -2;
}

/* --color=WHEN, or --color WHEN as every other option takes its value; a
 * bare --color is always. The next word is taken only when it is a WHEN,
 * so that a filter may follow a bare --color (a filter that is the host
 * name "always", "never" or "auto" needs --color=WHEN before it). */
static int colour_option(const char *arg, int argc, char **argv)
{
	if (!arg && optind < argc && colour_when(argv[optind]) != -2)
		arg = argv[optind++]; /* getopt_long goes on after it */
	if (!arg)
		return 1;
	int c = colour_when(arg);
	if (c == -2)
		bad_usage("--color=%.100s: not one of always, never, auto", arg);
	return c;
}

/* --NAME=VALUE for a cap, or a usage error naming the value as given and
 * what the cap takes (its unit, its suffixes, its largest value). */
static void cap_option(struct ss_caps *caps, const char *name, const char *value)
{
	if (!ss_caps_set(caps, name, value))
		return;
	const struct ss_cap_def *d = ss_cap_find(name);
	char want[96] = "a value";
	if (d)
		ss_cap_expects(d, want, sizeof want);
	bad_usage("--%s=%.100s: not %s", name, value ? value : "", want);
}

void options_parse(struct options *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	ss_caps_defaults(&o->caps);
	o->rep.out = stdout;

	/* Every cap is a long option taking a value; they share one code and
	 * are told apart by name. */
	static const struct option fixed[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"flows", no_argument, NULL, OPT_FLOWS},
	    {"streams", required_argument, NULL, OPT_STREAMS},
	    {"export", required_argument, NULL, OPT_EXPORT},
	    {"mbox", required_argument, NULL, OPT_MBOX},
	    {"color", optional_argument, NULL, OPT_COLOUR},
	    {"colour", optional_argument, NULL, OPT_COLOUR},
	    {"overwrite", no_argument, NULL, OPT_OVERWRITE},
	    {"show-secrets", no_argument, NULL, OPT_SECRETS},
	    {"verify", no_argument, NULL, OPT_VERIFY},
	    {"zone", required_argument, NULL, OPT_ZONE},
	    {"expect", required_argument, NULL, OPT_EXPECT},
	    {"save-expect", required_argument, NULL, OPT_SAVE_EXPECT},
	    {"junit", required_argument, NULL, OPT_JUNIT},
	    {"verify-all", no_argument, NULL, OPT_VERIFY_ALL},
	    {"journey", no_argument, NULL, OPT_JOURNEY},
	    {"no-journey", no_argument, NULL, OPT_NO_JOURNEY},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"keylog", required_argument, NULL, OPT_KEYLOG},
	    {"log-year", required_argument, NULL, OPT_LOG_YEAR},
	    {"log-tz", required_argument, NULL, OPT_LOG_TZ},
	    {"mermaid", required_argument, NULL, OPT_MERMAID},
	    {"mermaid-without", required_argument, NULL, OPT_MERMAID_WITHOUT},
	    {"message", required_argument, NULL, OPT_MESSAGE},
	    {"host", required_argument, NULL, OPT_HOST},
	    {"hosts", required_argument, NULL, OPT_HOSTS},
	    {"names", required_argument, NULL, OPT_NAMES},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"utc", no_argument, NULL, OPT_UTC},
	    {"one-pass", no_argument, NULL, OPT_ONE_PASS},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"help", no_argument, NULL, OPT_HELP},
	};
	size_t nfixed = sizeof fixed / sizeof fixed[0];
	static char names[32][48]; /* getopt_long keeps pointing at these */
	struct option *lo = calloc(nfixed + ss_cap_ndefs + 1, sizeof *lo);
	if (!lo || ss_cap_ndefs > sizeof names / sizeof names[0])
		ss_fatal(SS_EXIT_ENV, "out of memory");
	memcpy(lo, fixed, sizeof fixed);
	for (size_t i = 0; i < ss_cap_ndefs; i++) {
		snprintf(names[i], sizeof names[i], "%s", ss_cap_defs[i].name);
		for (char *s = names[i]; *s; s++)
			if (*s == '_')
				*s = '-';
		lo[nfixed + i] = (struct option){names[i], required_argument, NULL, OPT_CAP};
	}

	o->rep.journeys = JOURNEYS_AFTER;
	int tcount = 0;          /* -t given so many times */
	int c, idx, colour = -1; /* -1: auto, a terminal without NO_COLOR */
	/* "+": stop at the first word that is not an option: the filter. */
	while ((c = getopt_long(argc, argv, "+r:i:w:c:s:B:Z:Dnvth", lo, &idx)) != -1) {
		switch (c) {
		case 'r':
			o->src.file = optarg;
			break;
		case 'i':
			o->src.iface = optarg;
			break;
		case 'w':
			o->src.write = optarg;
			break;
		case 'c':
			o->src.count =
			    (uint64_t)number(optarg, "-c", 1, LLONG_MAX, "a count of frames");
			break;
		case 's':
			o->src.snaplen = (int)number(optarg, "-s", 0, 262144, "a number of bytes");
			break;
		case 'B':
			o->src.buffer_kib =
			    (int)number(optarg, "-B", 1, INT_MAX / 1024, "a number of KiB");
			break;
		case 'Z':
			o->src.user = optarg;
			break;
		case 'D':
			o->list_devices = 1;
			break;
		case 'n':
			o->no_names = 1;
			break;
		case 'v':
			o->rep.verbose++;
			break;
		case OPT_JSON:
			o->rep.json = 1;
			break;
		case OPT_FLOWS:
			o->rep.flows_only = 1;
			break;
		case OPT_STREAMS:
			o->rep.streams_dir = optarg;
			break;
		case OPT_EXPORT:
			o->rep.export_dir = optarg;
			break;
		case OPT_MBOX:
			o->rep.mbox_file = optarg;
			break;
		case OPT_COLOUR:
			colour = colour_option(optarg, argc, argv);
			break;
		case OPT_SECRETS:
			o->show_secrets = 1;
			break;
		case OPT_VERIFY:
			o->rep.verify = 1;
			break;
		case OPT_ZONE: {
			const char **z = realloc(o->zones, (o->rep.nzones + 1) * sizeof *z);
			if (!z)
				ss_fatal(SS_EXIT_ENV, "out of memory");
			z[o->rep.nzones++] = optarg;
			o->zones = z;
			o->rep.zones = z;
			o->rep.verify = 1; /* a zone only answers the verifiers' lookups */
			break;
		}
		case OPT_EXPECT:
			o->rep.expect = optarg;
			o->rep.verify = 1;
			break;
		case OPT_SAVE_EXPECT:
			o->rep.save_expect = optarg;
			o->rep.verify = 1;
			break;
		case OPT_JUNIT:
			o->rep.junit = optarg;
			o->rep.verify = 1;
			break;
		case OPT_VERIFY_ALL:
			o->rep.verify_all = 1;
			o->rep.verify = 1;
			break;
		case OPT_OVERWRITE:
			o->rep.overwrite = 1;
			break;
		case 't':
			if (++tcount > TIME_SINCE_FIRST)
				bad_usage("-t may be given at most %d times", TIME_SINCE_FIRST);
			o->rep.time_format = tcount;
			break;
		case OPT_TIME:
			if ((o->rep.time_format = time_format(optarg)) < 0)
				bad_usage(
				    "--time=%.100s: not one of clock, none, epoch, delta, date, "
				    "since-first",
				    optarg);
			break;
		case OPT_UTC:
			o->rep.utc = 1;
			break;
		case OPT_JOURNEY:
			o->rep.journeys = JOURNEYS_ONLY;
			break;
		case OPT_NO_JOURNEY:
			o->rep.journeys = JOURNEYS_OFF;
			break;
		case OPT_LOG:
			push(&o->logs, &o->rep.nlogs, optarg);
			o->rep.logs = o->logs;
			break;
		case OPT_KEYLOG:
			push(&o->keylogs, &o->nkeylogs, optarg);
			break;
		case OPT_LOG_YEAR:
			o->rep.log_year = (int)number(optarg, "--log-year", 1970, 9999, "a year");
			break;
		case OPT_LOG_TZ:
			if (!logfile_tz_ok(optarg))
				bad_usage("--log-tz %.100s: not UTC, Z, local or an offset such as "
				          "+09:00 or -0500",
				          optarg);
			o->rep.log_tz = optarg;
			break;
		case OPT_MERMAID:
			o->rep.mermaid = optarg;
			break;
		case OPT_MERMAID_WITHOUT:
			mermaid_without(&o->rep, optarg);
			break;
		case OPT_MESSAGE:
			o->rep.select_message = optarg;
			break;
		case OPT_HOST:
			push(&o->hosts, &o->rep.nselect_hosts, optarg);
			o->rep.select_hosts = o->hosts;
			break;
		case OPT_HOSTS:
			o->rep.hosts_file = optarg;
			break;
		case OPT_NAMES:
			if (strcmp(optarg, "a") && strcmp(optarg, "ptr"))
				bad_usage("--names=%.100s: not a or ptr", optarg);
			o->rep.prefer_a = !strcmp(optarg, "a");
			break;
		case OPT_ONE_PASS:
			o->one_pass = 1;
			break;
		case OPT_WORKERS:
			o->workers = (int)number(optarg, "--workers", 1, 64, "a number of threads");
			break;
		case OPT_VERSION:
			printf("smtpsniff %s\n", SS_VERSION);
			exit(0);
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_CAP:
			cap_option(&o->caps, lo[idx].name, optarg);
			break;
		default:
			fprintf(stderr, "Try 'smtpsniff --help'.\n");
			exit(SS_EXIT_USAGE);
		}
	}
	free(lo);

	size_t len = 0;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len) {
		o->filter = malloc(len);
		if (!o->filter)
			ss_fatal(SS_EXIT_ENV, "out of memory");
		o->filter[0] = 0;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(o->filter, " ");
			strcat(o->filter, argv[i]);
		}
		o->src.filter = o->filter;
	}
	o->rep.names = !o->no_names;
	if (colour < 0) {
		const char *term = getenv("TERM");
		colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
		         !(term && !strcmp(term, "dumb"));
	}
	o->rep.colour = colour && !o->rep.json;
	if (o->list_devices)
		return;
	if (!o->src.file == !o->src.iface)
		bad_usage("give exactly one of -r FILE and -i IFACE");
	if (o->src.write && !strcmp(o->src.write, "-"))
		o->rep.out = stderr; /* stdout carries the pcap: the report goes aside */
}

void options_free(struct options *o)
{
	free(o->filter);
	o->filter = NULL;
	free(o->zones);
	o->zones = NULL;
	free(o->logs);
	o->logs = NULL;
	free(o->hosts);
	o->hosts = NULL;
	free(o->keylogs);
	o->keylogs = NULL;
}
