/* test_syslog.c - the syslog dissector: syslog_parse() on the examples of
 * RFC 3164 5.4 and RFC 5424 6.5, on lines the lab's daemons sent (pcaps/),
 * and on malformed ones; then UDP datagrams and TCP streams (RFC 6587
 * octet counting and LF framing) through the reassembly engine, with the
 * records and events they give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "protos.h"
#include "synth.h"
#include "syslog.h"

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define FIN 0x01

static int eq(struct ss_str s, const char *want)
{
	return s.len == strlen(want) && (!s.len || !memcmp(s.p, want, s.len));
}

static struct rec_log parsed(const char *line, const char **why)
{
	struct rec_log l;
	*why = syslog_parse((const uint8_t *)line, strlen(line), &l);
	return l;
}

/* RFC 3164 5.4, the four examples. */
static void test_rfc3164(void)
{
	const char *why;
	struct rec_log l =
	    parsed("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
	           "/dev/pts/8",
	           &why);
	CHECK(!why);
	CHECK(l.facility == 4 && l.severity == 2 && l.version == 0);
	CHECK(eq(l.timestamp, "Oct 11 22:14:15"));
	CHECK(eq(l.host, "mymachine"));
	CHECK(eq(l.app, "su") && l.procid.len == 0 && l.pid == -1);
	CHECK(eq(l.message, "'su root' failed for lonvick on /dev/pts/8"));
	CHECK(!strcmp(syslog_facility_name(l.facility), "auth"));
	CHECK(!strcmp(syslog_severity_name(l.severity), "crit"));

	/* no timestamp, no host: only a message (4.3.3) */
	l = parsed("<13>Use the BFG!", &why);
	CHECK(!why && l.facility == 1 && l.severity == 5);
	CHECK(l.timestamp.len == 0 && l.host.len == 0);
	CHECK(eq(l.app, "Use") && eq(l.message, "the BFG!"));

	l = parsed(
	    "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the "
	    "do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, "
	    "Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%",
	    &why);
	CHECK(!why && l.facility == 20 && l.severity == 5);
	CHECK(eq(l.timestamp, "Aug 24 05:34:00") && eq(l.host, "CST"));
	CHECK(!strcmp(syslog_facility_name(l.facility), "local4"));

	l = parsed(
	    "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's "
	    "All Folks!",
	    &why);
	CHECK(!why && l.facility == 0 && l.severity == 0 && l.timestamp.len == 0);
	CHECK(eq(l.app, "1990") && eq(l.message, "Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org "
	                                         "10.1.2.3 sched[0]: That's All Folks!"));
}

/* RFC 5424 6.5, the four examples (the BOM of the first as its bytes). */
static void test_rfc5424(void)
{
	const char *why;
	struct rec_log l =
	    parsed("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	           "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
	           &why);
	CHECK(!why && l.version == 1 && l.facility == 4 && l.severity == 2);
	CHECK(eq(l.timestamp, "2003-10-11T22:14:15.003Z"));
	CHECK(eq(l.host, "mymachine.example.com") && eq(l.app, "su"));
	CHECK(l.procid.len == 0 && l.pid == -1 && eq(l.msgid, "ID47") && l.sd.len == 0);
	CHECK(eq(l.message, "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8"));

	l = parsed("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time "
	           "to make the do-nuts.",
	           &why);
	CHECK(!why && l.facility == 20 && l.severity == 5);
	CHECK(eq(l.host, "192.0.2.1") && eq(l.app, "myproc") && eq(l.procid, "8710"));
	CHECK(l.pid == 8710 && l.msgid.len == 0);
	CHECK(eq(l.message, "%% It's time to make the do-nuts."));

	l = parsed("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	           "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
	           "\xef\xbb\xbf"
	           "An application event log entry...",
	           &why);
	CHECK(!why && eq(l.app, "evntslog") && eq(l.msgid, "ID47"));
	CHECK(
	    eq(l.sd, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"));
	CHECK(eq(l.message, "\xef\xbb\xbf"
	                    "An application event log entry..."));

	l = parsed("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	           "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
	           "[examplePriority@32473 class=\"high\"]",
	           &why);
	CHECK(!why && l.message.len == 0);
	CHECK(eq(l.sd, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
	               "[examplePriority@32473 class=\"high\"]"));

	/* an escaped ']' inside a value does not close the element */
	l = parsed("<13>1 - h a - - [x@1 v=\"a\\]b\"] m", &why);
	CHECK(!why && eq(l.sd, "[x@1 v=\"a\\]b\"]") && eq(l.message, "m"));
}

/* Lines the lab's daemons forwarded, as they came over the wire. */
static void test_lab_lines(void)
{
	static const struct {
		const char *line, *host, *app, *message;
		long long pid;
		int severity;
	} lines[] = {
	    {"<22>Dec  6 18:27:01 dkim.smtp.a.test postfix/smtpd[24646]: connect from "
	     "client.a.test[10.255.1.10]",
	     "dkim.smtp.a.test", "postfix/smtpd", "connect from client.a.test[10.255.1.10]", 24646,
	     6},
	    {"<22>Dec  6 18:27:02 dkim.smtp.a.test postfix/cleanup[24648]: EBB87108108: "
	     "message-id=<20261206182702.443@pass.dkim.a.test>",
	     "dkim.smtp.a.test", "postfix/cleanup",
	     "EBB87108108: message-id=<20261206182702.443@pass.dkim.a.test>", 24648, 6},
	    {"<22>Dec  6 18:27:02 dkim.smtp.a.test postfix/qmgr[23939]: EBB87108108: "
	     "from=<user1@pass.dkim.a.test>, size=452, nrcpt=1 (queue active)",
	     "dkim.smtp.a.test", "postfix/qmgr",
	     "EBB87108108: from=<user1@pass.dkim.a.test>, size=452, nrcpt=1 (queue active)", 23939,
	     6},
	    {"<22>Dec  6 18:27:03 dkim.smtp.a.test postfix/smtp[24649]: EBB87108108: "
	     "to=<user1@dmarc.b.test>, relay=dmarc.mx.b.test[10.255.2.33]:25, delay=1.1, "
	     "delays=1/0/0.01/0.13, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as D8E9E108138)",
	     "dkim.smtp.a.test", "postfix/smtp",
	     "EBB87108108: to=<user1@dmarc.b.test>, relay=dmarc.mx.b.test[10.255.2.33]:25, "
	     "delay=1.1, delays=1/0/0.01/0.13, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
	     "D8E9E108138)",
	     24649, 6},
	    {"<30>Dec  6 18:27:01 dkim.smtp.a.test rspamd[22793]: <2db006>; proxy; "
	     "proxy_accept_socket: accepted milter connection from 127.0.0.1 port 45490",
	     "dkim.smtp.a.test", "rspamd",
	     "<2db006>; proxy; proxy_accept_socket: accepted milter connection from 127.0.0.1 port "
	     "45490",
	     22793, 6},
	    {"<22>Dec  6 18:27:13 imap.b.test dovecot: imap-login: Login: user=<user1>, "
	     "method=PLAIN, rip=10.255.1.10, lip=10.255.2.40, mpid=25396, "
	     "session=<fifptvNhvL0K/wEK>",
	     "imap.b.test", "dovecot",
	     "imap-login: Login: user=<user1>, method=PLAIN, rip=10.255.1.10, lip=10.255.2.40, "
	     "mpid=25396, session=<fifptvNhvL0K/wEK>",
	     -1, 6},
	    {"<27>Dec  6 18:27:01 dns.test pdns_recursor[22474]: NOERROR   (   client.a.test) "
	     "dkim.smtp.a.test.         \t   55\tIN\t   A\t10.255.1.21",
	     "dns.test", "pdns_recursor",
	     "NOERROR   (   client.a.test) dkim.smtp.a.test.         \t   55\tIN\t   "
	     "A\t10.255.1.21",
	     22474, 3},
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const char *why;
		struct rec_log l = parsed(lines[i].line, &why);
		CHECK(!why && l.version == 0);
		CHECK(l.facility == (lines[i].severity == 3 ? 3 : 2 + (lines[i].line[2] == '0')));
		CHECK(l.severity == lines[i].severity);
		CHECK(eq(l.host, lines[i].host));
		CHECK(eq(l.app, lines[i].app));
		CHECK(l.pid == lines[i].pid);
		CHECK(eq(l.message, lines[i].message));
		CHECK(eq(l.timestamp, "Dec  6 18:27:01") || l.timestamp.len == 15);
	}
}

/* Malformed lines: never lost, the whole line is the message. */
static void test_malformed(void)
{
	const char *why;
	struct rec_log l = parsed("no PRI here", &why);
	CHECK(why != NULL && l.facility == -1 && l.severity == -1 && eq(l.message, "no PRI here"));
	l = parsed("<192>Dec  6 18:27:01 h t: m", &why);
	CHECK(why != NULL && !strcmp(why, "PRI over 191") && l.facility == -1);
	l = parsed("<191>Dec  6 18:27:01 h t: m", &why);
	CHECK(!why && l.facility == 23 && l.severity == 7);
	l = parsed("<1234>x", &why);
	CHECK(why != NULL && l.facility == -1);
	l = parsed("<", &why);
	CHECK(why != NULL && eq(l.message, "<"));
	l = parsed("<13", &why);
	CHECK(why != NULL && eq(l.message, "<13"));
	l = parsed("", &why);
	CHECK(why != NULL && l.message.len == 0);
	l = parsed("<13>1 2003-10-11T22:14:15.003Z host", &why);
	CHECK(why != NULL && l.facility == -1);
	l = parsed("<13>1 - h a - - [x@1 v=\"]", &why);
	CHECK(why != NULL && l.facility == -1);
	l = parsed("<13>1 - h a - - bogus", &why);
	CHECK(why != NULL);
	l = parsed("<13>Dec  6 18:27:0", &why); /* a cut timestamp: no timestamp */
	CHECK(!why && l.timestamp.len == 0);
	/* NUL bytes are payload */
	static const uint8_t nul[] = "<13>Dec  6 18:27:01 h t[1]: a\0b";
	struct rec_log n;
	CHECK(!syslog_parse(nul, sizeof nul - 1, &n));
	CHECK(n.message.len == 3 && n.message.p[1] == 0 && n.pid == 1);
	/* a pid that is no number */
	l = parsed("<13>Dec  6 18:27:01 h t[x1]: m", &why);
	CHECK(!why && eq(l.procid, "x1") && l.pid == -1);
}

/* --- through the engine -------------------------------------------- */

static struct ss_caps caps;
static struct dissect_opts dopt;
static struct ss_reasm *r;
static char got[8192], events[4096];

static void on_record(const struct ss_record *rec, void *ctx)
{
	(void)ctx;
	if (rec->kind != REC_LOG)
		return;
	const struct rec_log *l = &rec->u.log;
	size_t at = strlen(got);
	snprintf(got + at, sizeof got - at, "%d.%d %.*s|%.*s|%lld|%.*s%s\n", l->facility,
	         l->severity, (int)l->host.len, (const char *)l->host.p, (int)l->app.len,
	         (const char *)l->app.p, l->pid, (int)l->message.len, (const char *)l->message.p,
	         l->cut ? " [cut]" : "");
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t at = strlen(events);
	snprintf(events + at, sizeof events - at, "%s ", e->what);
}

static void begin(size_t max_line)
{
	got[0] = events[0] = 0;
	synth_reset();
	ss_caps_defaults(&caps);
	if (max_line)
		caps.max_line = max_line;
	dopt.caps = &caps;
	r = reasm_new(&caps);
	if (!r || dissect_register(r, &dopt))
		abort();
}

static void end(void)
{
	reasm_finish(r);
	reasm_free(r);
	r = NULL;
}

static void show(const char *what)
{
	if (getenv("SHOW"))
		printf("--- %s\n%sevents: %s\n", what, got, events);
}

static void udp(const char *s)
{
	synth_udp(r, 1, 40001, 514, 1, s, strlen(s));
}

static void test_udp(void)
{
	begin(0);
	udp("<22>Dec  6 18:27:01 mx postfix/smtpd[7]: connect from x\n");
	udp("<200>junk");
	udp("<13>Dec  6 18:27:01 mx t: a");
	end();
	CHECK(!strcmp(got, "2.6 mx|postfix/smtpd|7|connect from x\n"
	                   "-1.-1 ||-1|<200>junk\n"
	                   "1.5 mx|t|-1|a\n"));
	CHECK(strstr(events, "syslog_malformed") != NULL);

	begin(20);
	udp("<13>Dec  6 18:27:01 mx t: a long line");
	end();
	CHECK(!strcmp(got, "1.5 ||-1|<13>Dec  6 18:27: [cut]\n") || strstr(got, "[cut]"));
	CHECK(strstr(events, "syslog_line_too_long") != NULL);
}

/* Client bytes over TCP to port, in segments split at '|'. */
static void tcp(uint16_t port, const char *const *seg, size_t nseg)
{
	uint32_t seq = 1001;
	synth_tcp(r, 1, 40001, port, 0, SYN, 1000, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40001, port, 1, SYN | ACK, 5000, 1001, NULL, 0, 0);
	synth_tcp(r, 1, 40001, port, 2, ACK, 1001, 5001, NULL, 0, 0);
	for (size_t i = 0; i < nseg; i++) {
		size_t n = strlen(seg[i]);
		synth_tcp(r, 1, 40001, port, 3 + (int)i, ACK | PSH, seq, 5001, seg[i], n, 0);
		seq += (uint32_t)n;
	}
	synth_tcp(r, 1, 40001, port, 50, FIN | ACK, seq, 5001, NULL, 0, 0);
	synth_tcp(r, 0, 40001, port, 51, FIN | ACK, 5001, seq + 1, NULL, 0, 0);
}

static void test_tcp(void)
{
	/* RFC 6587 3.4.1, split anywhere */
	static const char *const counted[] = {"27 <13>Dec  6 18:27:01 h t: a", "b27",
	                                      " <13>Dec  6 18:27:01 h t: cd"};
	begin(0);
	tcp(601, counted, 3);
	end();
	show("counted");
	CHECK(!strcmp(got, "1.5 h|t|-1|ab\n1.5 h|t|-1|cd\n"));
	CHECK(events[0] == 0);

	/* RFC 6587 3.4.2 */
	static const char *const lf[] = {"<13>Dec  6 18:27:01 h t: one\n<14>Dec  6 18:27:01 h u[",
	                                 "9]: two\r\n"};
	begin(0);
	tcp(514, lf, 2);
	end();
	CHECK(!strcmp(got, "1.5 h|t|-1|one\n1.6 h|u|9|two\n"));

	/* a count that is no count: read up to LF, said once */
	static const char *const bad[] = {"5 <13>a", "12x<13>Dec  6 18:27:01 h t: a\n", "5 <13>"};
	begin(0);
	tcp(601, bad, 3);
	end();
	show("bad");
	CHECK(!strncmp(got, "1.5 |a|-1|\n-1.-1 ||-1|12x<13>Dec  6 18:27:01 h t: a\n", 51));
	const char *said = strstr(events, "syslog_bad_count");
	CHECK(said && !strstr(said + 1, "syslog_bad_count")); /* once */
	CHECK(strstr(got, "\n1.5 ||-1| [cut]\n") != NULL);    /* the last, cut by the end */
	CHECK(strstr(events, "syslog_cut") != NULL);

	/* a count over --max-line: cut, the rest skipped, the next line read */
	static const char *const big[] = {"41 <13>Dec  6 18:27:01 h t: 0123456789abcdef",
	                                  "7 <13>x y"};
	begin(30);
	tcp(601, big, 2);
	end();
	show("big");
	CHECK(strstr(got, "[cut]\n") != NULL);
	CHECK(!strcmp(got, "1.5 h|t|-1|01234 [cut]\n1.5 |x|-1|y\n"));
	CHECK(strstr(events, "syslog_line_too_long") != NULL);
}

/* A gap: the next line is found again. */
static void test_gap(void)
{
	begin(0);
	uint16_t port = 601;
	synth_tcp(r, 1, 40001, port, 0, SYN, 1000, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40001, port, 1, SYN | ACK, 5000, 1001, NULL, 0, 0);
	synth_tcp(r, 1, 40001, port, 2, ACK, 1001, 5001, NULL, 0, 0);
	const char *a = "10 <13>h t: a", *b = "xx 10 <13>h u: b";
	synth_tcp(r, 1, 40001, port, 3, ACK | PSH, 1001, 5001, a, strlen(a), 0);
	/* 5 bytes never captured */
	synth_tcp(r, 1, 40001, port, 4, ACK | PSH, 1001 + (uint32_t)strlen(a) + 5, 5001, b,
	          strlen(b), 0);
	uint32_t seq = 1001 + (uint32_t)(strlen(a) + 5 + strlen(b));
	synth_tcp(r, 1, 40001, port, 50, FIN | ACK, seq, 5001, NULL, 0, 0);
	synth_tcp(r, 0, 40001, port, 51, FIN | ACK, 5001, seq + 1, NULL, 0, 0);
	end();
	show("gap");
	CHECK(strstr(events, "syslog_gap") != NULL);
	CHECK(!strcmp(got, "1.5 |h|-1|t: a\n1.5 |h|-1|u: b\n"));
}

int main(void)
{
	record_sink_add(on_record, NULL);
	ss_event_sink(on_event, NULL);
	test_rfc3164();
	test_rfc5424();
	test_lab_lines();
	test_malformed();
	test_udp();
	test_tcp();
	test_gap();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
