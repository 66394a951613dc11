/* test_smtp.c - the SMTP dissector on hand-made sessions: what each record
 * says, the message bytes exactly, and the anomalies, each against what
 * RFC 5321 (and 2920, 3030, 4954, 3207) says the session meant. Every
 * session is also replayed one byte per segment and cut at every byte
 * boundary, and must give the very same records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "protos.h"
#include "reclog.h"
#include "record.h"
#include "synth.h"

static int failures, checks;
static const char *current;
static char log_[65536], events[4096];

__attribute__((format(printf, 3, 4))) static void append(char *dst, size_t cap, const char *fmt,
                                                         ...)
{
	size_t n = strlen(dst);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst + n, cap - n, fmt, ap);
	va_end(ap);
}

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	reclog_add(log_, sizeof log_, r);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	append(events, sizeof events, "%s;", e->what);
}

/* A session: the conversation as a list of turns. A turn is the client's
 * or the server's bytes; "GAP n" drops the next n bytes of that side. */
struct turn {
	int client;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int gap;    /* this turn's bytes are never captured */
};

static struct ss_caps caps;
static int show_secrets;

/* Plays the session with segments of at most chunk bytes (0: a turn per
 * segment), the first split at offset cut inside the first data turn. */
static void play(const struct turn *t, size_t nt, size_t chunk, size_t cut)
{
	log_[0] = events[0] = 0;
	struct ss_reasm *r = reasm_new(&caps);
	struct dissect_opts o = {&caps, show_secrets, 0, NULL};
	dissect_register(r, &o);
	synth_reset();
	uint32_t cs = 1000, ss = 5000;
	int ms = 0;
	synth_tcp(r, 1, 40000, 25, ms++, 0x02, cs - 1, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40000, 25, ms++, 0x12, ss - 1, cs, NULL, 0, 0);
	synth_tcp(r, 1, 40000, 25, ms++, 0x10, cs, ss, NULL, 0, 0);
	for (size_t i = 0; i < nt; i++) {
		size_t n = t[i].len ? t[i].len : strlen(t[i].text);
		uint32_t *seq = t[i].client ? &cs : &ss, ack = t[i].client ? ss : cs;
		size_t step = chunk ? chunk : n;
		for (size_t off = 0; off < n;) {
			size_t k = step;
			if (cut && i == 0 && off == 0)
				k = cut; /* the one split of this replay */
			if (k > n - off)
				k = n - off;
			if (!t[i].gap)
				synth_tcp(r, t[i].client, 40000, 25, ms, 0x18, *seq + (uint32_t)off,
				          ack, t[i].text + off, k, 0);
			off += k;
		}
		*seq += (uint32_t)n;
		ms += 1;
		if (t[i].gap) /* the peer acknowledges the lost bytes later on */
			ms += 200;
	}
	synth_tcp(r, 1, 40000, 25, ms++, 0x11, cs, ss, NULL, 0, 0);
	synth_tcp(r, 0, 40000, 25, ms++, 0x11, ss, cs + 1, NULL, 0, 0);
	synth_tcp(r, 1, 40000, 25, ms++, 0x10, cs + 1, ss + 1, NULL, 0, 0);
	reasm_finish(r);
	reasm_free(r);
}

static void expect(const char *name, const struct turn *t, size_t nt, const char *want_log,
                   const char *want_events)
{
	current = name;
	play(t, nt, 0, 0);
	checks++;
	if (strcmp(log_, want_log) || strcmp(events, want_events)) {
		failures++;
		printf("FAIL %s\n--- got\n%s[%s]\n--- want\n%s[%s]\n", name, log_, events, want_log,
		       want_events);
		return;
	}
	/* The same session one byte at a time, and split at every boundary of
	 * the first turn, gives the same records. */
	static char whole[65536];
	memcpy(whole, log_, sizeof whole);
	play(t, nt, 1, 0);
	checks++;
	if (strcmp(log_, whole)) {
		failures++;
		printf("FAIL %s, one byte a segment:\n%s\n", name, log_);
	}
	size_t n0 = t[0].len ? t[0].len : strlen(t[0].text);
	for (size_t cut = 1; cut < n0; cut++) {
		play(t, nt, 0, cut);
		checks++;
		if (strcmp(log_, whole)) {
			failures++;
			printf("FAIL %s, split at %zu:\n%s\n", name, cut, log_);
			break;
		}
	}
}

#define C(s)                                                                                       \
	{                                                                                          \
		1, s, 0, 0                                                                         \
	}
#define S(s)                                                                                       \
	{                                                                                          \
		0, s, 0, 0                                                                         \
	}
#define CGAP(s)                                                                                    \
	{                                                                                          \
		1, s, 0, 1                                                                         \
	}

static void simple(void)
{
	static const struct turn t[] = {
	    S("220 mx.b.test ESMTP Postfix\r\n"),
	    C("EHLO client.a.test\r\n"),
	    S("250-mx.b.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"),
	    C("MAIL FROM: user1@a.test\r\n"),
	    S("250 2.1.0 Ok\r\n"),
	    C("RCPT TO:<user1@b.test>\r\n"),
	    S("250 2.1.5 Ok\r\n"),
	    C("DATA\r\n"),
	    S("354 End data with <CR><LF>.<CR><LF>\r\n"),
	    C("Subject: 1-1\r\n\r\n..dot-stuffed\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as 4XyZ12Ab\r\n"),
	    C("QUIT\r\n"),
	    S("221 2.0.0 Bye\r\n"),
	};
	expect("a session as the lab's client sends it", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx.b.test ESMTP Postfix\n"
	       "EX EHLO|EHLO client.a.test|250|250-mx.b.test\\x0a250-PIPELINING\\x0a250-SIZE "
	       "10240000\\x0a250 8BITMIME\n"
	       "EX MAIL|MAIL FROM: user1@a.test|250|250 2.1.0 Ok\n"
	       "EX RCPT|RCPT TO:<user1@b.test>|250|250 2.1.5 Ok\n"
	       "EX DATA|DATA|354|354 End data with <CR><LF>.<CR><LF>\n"
	       "MSG DATA from=user1@a.test to=user1@b.test helo=client.a.test q=4XyZ12Ab code=250 "
	       "[Subject: 1-1\\x0d\\x0a\\x0d\\x0a.dot-stuffed\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as 4XyZ12Ab\n"
	       "EX QUIT|QUIT|221|221 2.0.0 Bye\n",
	       "");
}

static void pipelined(void)
{
	/* RFC 2920 3.1: MAIL, RCPT..., DATA in one group; replies in order. */
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO relay\r\n"),
	    S("250-mx\r\n250 PIPELINING\r\n"),
	    C("MAIL FROM:<a@a.test> SIZE=454\r\nRCPT TO:<x@b.test>\r\nRCPT "
	      "TO:<y@b.test>\r\nDATA\r\n"),
	    S("250 2.1.0 Ok\r\n550 5.1.1 <x@b.test>: unknown\r\n250 2.1.5 Ok\r\n354 go\r\n"),
	    C("hello\r\n.\r\nQUIT\r\n"),
	    S("250 2.0.0 Ok: queued as Q1\r\n221 Bye\r\n"),
	};
	expect("a pipelined transaction with a refused recipient", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO relay|250|250-mx\\x0a250 PIPELINING\n"
	       "EX MAIL|MAIL FROM:<a@a.test> SIZE=454|250|250 2.1.0 Ok\n"
	       "EX RCPT|RCPT TO:<x@b.test>|550|550 5.1.1 <x@b.test>: unknown|P\n"
	       "EX RCPT|RCPT TO:<y@b.test>|250|250 2.1.5 Ok|P\n"
	       "EX DATA|DATA|354|354 go|P\n"
	       "MSG DATA from=a@a.test to=y@b.test helo=relay q=Q1 code=250 [hello\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as Q1\n"
	       "EX QUIT|QUIT|221|221 Bye|P\n",
	       "");
}

static void bdat(void)
{
	/* RFC 3030: chunks of exact sizes, no dot-stuffing, LAST ends. */
	static const struct turn t[] = {
	    S("220 exim ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-x\r\n250 CHUNKING\r\n"),
	    C("MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nBDAT 10\r\nline1\r\n.\r\nBDAT 4 "
	      "LAST\r\nend\n"),
	    S("250 OK\r\n250 Accepted\r\n250 10 octets\r\n250 OK id=1qAbCd-000123-XY\r\n"),
	};
	expect("BDAT chunks, with a line that would end DATA", t, sizeof t / sizeof t[0],
	       "EX -||220|220 exim ESMTP\n"
	       "EX EHLO|EHLO c|250|250-x\\x0a250 CHUNKING\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 OK\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 Accepted|P\n"
	       "EX BDAT|BDAT 10|250|250 10 octets|P\n"
	       "MSG BDAT from=a@a.test to=b@b.test helo=c q=1qAbCd-000123-XY code=250 "
	       "[line1\\x0d\\x0a.\\x0d\\x0aend\\x0a]\n"
	       "EX BDAT|BDAT 4 LAST|250|250 OK id=1qAbCd-000123-XY|P\n",
	       "bare_lf;"); /* "end\n": RFC 5322 lines end in CRLF, BDAT or not */
}

static void auth(void)
{
	/* RFC 4616 PLAIN with an initial response: "\0user1\0secret". */
	static const struct turn t[] = {
	    S("220 smtp ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-smtp\r\n250 AUTH PLAIN LOGIN\r\n"),
	    C("AUTH PLAIN AHVzZXIxAHNlY3JldA==\r\n"),
	    S("235 2.7.0 Authentication successful\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 VXNlcm5hbWU6\r\n"),
	    C("dXNlcjI=\r\n"),
	    S("334 UGFzc3dvcmQ6\r\n"),
	    C("cGFzc3dvcmQy\r\n"),
	    S("535 5.7.8 Error: authentication failed\r\n"),
	};
	expect("AUTH PLAIN and LOGIN: the user shown, the password masked", t,
	       sizeof t / sizeof t[0],
	       "EX -||220|220 smtp ESMTP\n"
	       "EX EHLO|EHLO c|250|250-smtp\\x0a250 AUTH PLAIN LOGIN\n"
	       "EX AUTH|AUTH PLAIN user1 ****|235|235 2.7.0 Authentication successful\n"
	       "NOTE login|user1 logged in with PLAIN\n"
	       "EX AUTH|AUTH LOGIN|334|334 VXNlcm5hbWU6 (Username:)\n"
	       "EX AUTH|user2|334|334 UGFzc3dvcmQ6 (Password:)\n"
	       "EX AUTH|****|535|535 5.7.8 Error: authentication failed\n",
	       "");
	show_secrets = 1;
	play(t, sizeof t / sizeof t[0], 0, 0);
	show_secrets = 0;
	checks++;
	if (!strstr(log_, "AUTH PLAIN user1 secret|") || !strstr(log_, "EX AUTH|password2|535")) {
		failures++;
		printf("FAIL --show-secrets:\n%s\n", log_);
	}
}

static void starttls(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 STARTTLS\r\n"),
	    C("STARTTLS\r\n"),
	    S("220 2.0.0 Ready to start TLS\r\n"),
	    {1, "\x16\x03\x01\x00\x05hello", 10, 0},
	    {0, "\x16\x03\x03\x00\x02ok", 7, 0},
	};
	expect("STARTTLS: then only bytes are counted", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO c|250|250-mx\\x0a250 STARTTLS\n"
	       "EX STARTTLS|STARTTLS|220|220 2.0.0 Ready to start TLS\n"
	       "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n"
	       "NOTE tls_end|10 bytes of TLS to the server, 7 back\n",
	       "");
}

static void gap_in_data(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),     C("HELO c\r\n"),
	    S("250 mx\r\n"),           C("MAIL FROM:<a@a.test>\r\n"),
	    S("250 ok\r\n"),           C("RCPT TO:<b@b.test>\r\n"),
	    S("250 ok\r\n"),           C("DATA\r\n"),
	    S("354 go\r\n"),           C("Subject: x\r\n\r\nfirst\r\n"),
	    CGAP("lost line\r\n"),     C("last\r\n.\r\n"),
	    S("250 queued as Q2\r\n"),
	};
	expect("a gap inside DATA: the message is incomplete", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok\n"
	       "EX DATA|DATA|354|354 go\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q2 code=250 INCOMPLETE "
	       "[Subject: x\\x0d\\x0a\\x0d\\x0afirst\\x0d\\x0alast\\x0d\\x0a]\n"
	       "EX .|.|250|250 queued as Q2\n",
	       "gap;gap;");
}

static void smuggling(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("HELO c\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
	    C("body\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n"),
	    S("250 queued as Q3\r\n"),
	};
	expect("a smuggling shape: LF.LF does not end the message", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok|P\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok|P\n"
	       "EX DATA|DATA|354|354 go|P\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q3 code=250 "
	       "[body\\x0a.\\x0aMAIL FROM:<evil@x.test>\\x0d\\x0a]\n"
	       "EX .|.|250|250 queued as Q3\n",
	       "bare_lf;smuggling_shape;");
}

static void anomalies(void)
{
	static const struct turn t[] = {
	    C("EHLO early\r\n"), S("220 mx ESMTP\r\n"), S("250 mx\r\n"), S("250 unasked\r\n"),
	    C("QUIT\r\n"),       S("221 bye\r\n"),      C("NOOP\r\n"),
	};
	expect("data before the greeting, a reply without a command, a command after QUIT", t,
	       sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO early|250|250 mx\n"
	       "EX -||250|250 unasked\n"
	       "EX QUIT|QUIT|221|221 bye\n"
	       "EX NOOP|NOOP|-1|\n",
	       "data_before_greeting;reply_without_command;command_after_quit;");
}

static void queue_ids(void)
{
	static const char *const replies[][2] = {
	    {"250 2.0.0 Ok: queued as 4Qn1Xy0Zbz", "4Qn1Xy0Zbz"}, /* Postfix */
	    {"250 OK id=1qAbCd-000123-XY", "1qAbCd-000123-XY"},   /* Exim */
	    {"250 2.0.0 x8MGd1Cq012345 Message accepted for delivery",
	     "x8MGd1Cq012345"}, /* Sendmail */
	    {"250 2.6.0 <a@b> [InternalId=123456, Hostname=EX1] Queued mail for delivery",
	     "123456"},
	};
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		char reply[200];
		snprintf(reply, sizeof reply, "%s\r\n", replies[i][0]);
		struct turn t[] = {
		    S("220 mx ESMTP\r\n"),
		    C("HELO c\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
		    S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		    C("x\r\n.\r\n"),
		    {0, reply, 0, 0},
		};
		current = replies[i][0];
		play(t, sizeof t / sizeof t[0], 0, 0);
		char want[100];
		snprintf(want, sizeof want, " q=%s ", replies[i][1]);
		checks++;
		if (!strstr(log_, want)) {
			failures++;
			printf("FAIL queue id of \"%s\":\n%s\n", replies[i][0], log_);
		}
	}
}

/* Past --max-message the message's first bytes are kept, exactly up to the
 * cap however the segments fall, and it is incomplete. */
static void too_big(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),     C("HELO c\r\n"),
	    S("250 mx\r\n"),           C("MAIL FROM:<a@a.test>\r\n"),
	    S("250 ok\r\n"),           C("RCPT TO:<b@b.test>\r\n"),
	    S("250 ok\r\n"),           C("DATA\r\n"),
	    S("354 go\r\n"),           C("Subject: twelve\r\n\r\nbody\r\n.\r\n"),
	    S("250 queued as Q3\r\n"),
	};
	caps.max_message = 10;
	expect("a message over --max-message: its first 10 bytes kept", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok\n"
	       "EX DATA|DATA|354|354 go\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q3 code=250 INCOMPLETE [Subject: t]\n"
	       "EX .|.|250|250 queued as Q3\n",
	       "message_too_big;");
	ss_caps_defaults(&caps);
}

int main(void)
{
	ss_caps_defaults(&caps);
	record_sink_add(sink, NULL);
	ss_event_sink(on_event, NULL);
	simple();
	pipelined();
	bdat();
	auth();
	starttls();
	gap_in_data();
	smuggling();
	anomalies();
	queue_ids();
	too_big();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
