/* test_smtp.c - the SMTP dissector on hand-made sessions: what each record
 * says, the message bytes exactly, and the anomalies, each against what
 * RFC 5321 (and 2920, 3030, 4954, 3207) says the session meant. Every
 * session is also replayed one byte per segment and cut at every byte
 * boundary, and must give the very same records.
 */
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "session.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))

static void expect(const char *name, const struct turn *t, size_t nt, const char *want_log,
                   const char *want_events)
{
	session_expect(name, t, nt, 25, want_log, want_events);
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
	       "smtp.bare_lf;"); /* "end\n": RFC 5322 lines end in CRLF, BDAT or not */
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
	session_show_secrets = 1;
	session_play(t, N(t), 25, 0, 0);
	session_show_secrets = 0;
	session_check(strstr(session_log, "AUTH PLAIN user1 secret|") &&
	                  strstr(session_log, "EX AUTH|password2|535"),
	              "--show-secrets", session_log);
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
	expect("STARTTLS: then the TLS parser reads the bytes", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO c|250|250-mx\\x0a250 STARTTLS\n"
	       "EX STARTTLS|STARTTLS|220|220 2.0.0 Ready to start TLS\n"
	       "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n"
	       "NOTE tls_end|1 TLS record (10 bytes) to the server, 1 (7) back\n",
	       /* the TLS parser reads them: "hello" is no handshake message */
	       "smtp.tls_handshake_too_long;smtp.tls_truncated;smtp.tls_truncated;");
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
	       "tcp.gap;smtp.gap;");
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
	       "smtp.bare_lf;smtp.smuggling_shape;");
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
	       "smtp.data_before_greeting;smtp.reply_without_command;smtp.command_after_quit;");
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
		session_play(t, N(t), 25, 0, 0);
		char want[100];
		snprintf(want, sizeof want, " q=%s ", replies[i][1]);
		session_check(strstr(session_log, want) != NULL, replies[i][0], session_log);
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
	session_caps.max_message = 10;
	expect("a message over --max-message: its first 10 bytes kept", t, sizeof t / sizeof t[0],
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok\n"
	       "EX DATA|DATA|354|354 go\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q3 code=250 INCOMPLETE [Subject: t]\n"
	       "EX .|.|250|250 queued as Q3\n",
	       "smtp.message_too_big;");
	ss_caps_defaults(&session_caps);
}

/* Issue 13.1: a capture of the client's side alone. The client's DATA line
 * starts each message (it sends message bytes only after a 354, RFC 5321
 * 4.1.1.4), which ends at CRLF.CRLF; the records say no reply was seen. */
static void client_only(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 PIPELINING\r\n"),
	    C("MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"),
	    C("Subject: one\r\n\r\n..stuffed\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q1\r\n"),
	    C("MAIL FROM:<a@a.test>\r\nRCPT TO:<c@b.test>\r\nDATA\r\n"),
	    S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"),
	    C(".\r\n"),
	    S("250 2.0.0 Ok: queued as Q2\r\n"),
	    C("QUIT\r\n"),
	    S("221 bye\r\n"),
	};
	session_capture = SESSION_CLIENT_ONLY;
	expect("the client's side alone: every message from its DATA line", t, N(t),
	       "EX EHLO|EHLO c|-1|[the reply is not in the capture]\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|-1|[the reply is not in the capture]\n"
	       "EX RCPT|RCPT TO:<b@b.test>|-1|[the reply is not in the capture]\n"
	       "EX DATA|DATA|-1|[the reply is not in the capture]\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q= code=-1 NO354 "
	       "[Subject: one\\x0d\\x0a\\x0d\\x0a.stuffed\\x0d\\x0a]\n"
	       "EX .|.|-1|[the reply is not in the capture]\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|-1|[the reply is not in the capture]\n"
	       "EX RCPT|RCPT TO:<c@b.test>|-1|[the reply is not in the capture]\n"
	       "EX DATA|DATA|-1|[the reply is not in the capture]\n"
	       "MSG DATA from=a@a.test to=c@b.test helo=c q= code=-1 NO354 []\n"
	       "EX .|.|-1|[the reply is not in the capture]\n"
	       "EX QUIT|QUIT|-1|[the reply is not in the capture]\n",
	       "tcp.gap;smtp.gap;");
	session_capture = 0;
}

/* Issue 13.1: the 354 lost in a gap; the client's bytes after it are the
 * message. */
static void lost_354(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 PIPELINING\r\n"),
	    C("MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"),
	    SGAP("354 End data with <CR><LF>.<CR><LF>\r\n"),
	    C(""), /* the client acknowledges it: the hole is given up on */
	    C("Subject: x\r\n\r\nbody\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q9\r\n"),
	    C("QUIT\r\n"),
	    S("221 bye\r\n"),
	};
	expect("the 354 in a gap: the message is taken all the same", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO c|250|250-mx\\x0a250 PIPELINING\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 2.1.0 Ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 2.1.5 Ok|P\n"
	       "EX DATA|DATA|-1|[the reply was in a gap]|P\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q9 code=250 NO354 "
	       "[Subject: x\\x0d\\x0a\\x0d\\x0abody\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as Q9\n"
	       "EX QUIT|QUIT|221|221 bye\n",
	       "tcp.gap;smtp.gap;");
}

/* Issue 13.1: past --max-pipeline commands without replies, none is lost:
 * the oldest goes out without its reply. */
static void pipeline_full(void)
{
	static const struct turn t[] = {
	    C("EHLO c\r\nNOOP\r\nNOOP\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nRCPT "
	      "TO:<c@b.test>\r\nDATA\r\n"),
	    C("hi\r\n.\r\nQUIT\r\n"),
	};
	session_capture = SESSION_CLIENT_ONLY;
	session_caps.max_pipeline = 3;
	expect("more commands without replies than --max-pipeline", t, N(t),
	       "EX EHLO|EHLO c|-1|[no reply seen: over --max-pipeline]\n"
	       "EX NOOP|NOOP|-1|[no reply seen: over --max-pipeline]\n"
	       "EX NOOP|NOOP|-1|[no reply seen: over --max-pipeline]\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|-1|[no reply seen: over --max-pipeline]\n"
	       "EX RCPT|RCPT TO:<b@b.test>|-1|[the reply is not in the capture]\n"
	       "EX RCPT|RCPT TO:<c@b.test>|-1|[the reply is not in the capture]\n"
	       "EX DATA|DATA|-1|[the reply is not in the capture]\n"
	       "MSG DATA from=a@a.test to=b@b.test,c@b.test helo=c q= code=-1 NO354 "
	       "[hi\\x0d\\x0a]\n"
	       "EX .|.|-1|[the reply is not in the capture]\n"
	       "EX QUIT|QUIT|-1|[the reply is not in the capture]\n",
	       "smtp.pipeline_full;tcp.gap;smtp.gap;");
	ss_caps_defaults(&session_caps);
	session_capture = 0;
}

/* Issue 13.4: picked up at a command, the first reply answers it. */
static void pickup_at_command(void)
{
	static const struct turn t[] = {
	    C("MAIL FROM:<a@a.test>\r\n"),
	    S("250 2.1.0 Ok\r\n"),
	    C("RCPT TO:<b@b.test>\r\n"),
	    S("250 2.1.5 Ok\r\n"),
	    C("DATA\r\n"),
	    S("354 go\r\n"),
	    C("x\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q1\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	expect("picked up at MAIL: replies pair with their commands", t, N(t),
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 2.1.0 Ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 2.1.5 Ok\n"
	       "EX DATA|DATA|354|354 go\n"
	       "MSG DATA from=a@a.test to=b@b.test helo= q=Q1 code=250 [x\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as Q1\n",
	       "");
	session_capture = 0;
}

/* Issue 13.4: picked up inside a message: its end is found, and the
 * transactions after it are followed. */
static void pickup_in_data(void)
{
	static const struct turn t[] = {
	    C("the rest of a body\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q1\r\n"),
	    C("MAIL FROM:<c@a.test>\r\n"),
	    S("250 2.1.0 Ok\r\n"),
	    C("RCPT TO:<d@b.test>\r\n"),
	    S("250 2.1.5 Ok\r\n"),
	    C("DATA\r\n"),
	    S("354 go\r\n"),
	    C("Subject: two\r\n\r\nb\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q2\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	expect("picked up inside DATA", t, N(t),
	       "MSG DATA from= to= helo= q=Q1 code=250 INCOMPLETE NO354 "
	       "[the rest of a body\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as Q1\n"
	       "EX MAIL|MAIL FROM:<c@a.test>|250|250 2.1.0 Ok\n"
	       "EX RCPT|RCPT TO:<d@b.test>|250|250 2.1.5 Ok\n"
	       "EX DATA|DATA|354|354 go\n"
	       "MSG DATA from=c@a.test to=d@b.test helo= q=Q2 code=250 "
	       "[Subject: two\\x0d\\x0a\\x0d\\x0ab\\x0d\\x0a]\n"
	       "EX .|.|250|250 2.0.0 Ok: queued as Q2\n",
	       "smtp.picked_up_in_message;");
	session_capture = 0;
}

/* Issue 13.5 and 13.9: BDAT that no server takes (RFC 3030 2: a size of
 * digits, then LAST or nothing) has no chunk; a chunk shorter than it said
 * does not swallow the next command. */
static void bad_bdat(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 CHUNKING\r\n"),
	    C("MAIL FROM:<a@a.test>\r\n"),
	    S("250 ok\r\n"),
	    C("RCPT TO:<b@b.test>\r\n"),
	    S("250 ok\r\n"),
	    C("BDAT 5 X\r\n"),
	    S("501 5.5.4 Syntax: BDAT count [LAST]\r\n"),
	    C("BDAT 0x10\r\n"),
	    S("501 5.5.4 Syntax: BDAT count [LAST]\r\n"),
	    C("BDAT 20 LAST\r\n0123456789"),
	    S("250 2.0.0 Ok: queued as Q5\r\n"),
	    C("QUIT\r\n"),
	    S("221 bye\r\n"),
	};
	expect("BDAT with junk, BDAT 0x10, a short chunk", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO c|250|250-mx\\x0a250 CHUNKING\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok\n"
	       "EX BDAT|BDAT 5 X|501|501 5.5.4 Syntax: BDAT count [LAST]\n"
	       "EX BDAT|BDAT 0x10|501|501 5.5.4 Syntax: BDAT count [LAST]\n"
	       "MSG BDAT from=a@a.test to=b@b.test helo=c q=Q5 code=250 INCOMPLETE "
	       "[0123456789]\n"
	       "EX BDAT|BDAT 20 LAST|250|250 2.0.0 Ok: queued as Q5\n"
	       "EX QUIT|QUIT|221|221 bye\n",
	       "smtp.bad_bdat;smtp.bad_bdat;smtp.bdat_short;");
}

static int64_t msg_ts = -1;
static uint64_t msg_frame;

static void times_sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_MESSAGE) {
		msg_ts = r->u.msg.ts_start;
		msg_frame = r->u.msg.frame_start;
	}
}

/* Issue 13.6: an empty line is a command (servers answer it), and an
 * empty message still has a time. */
static void blank_and_empty(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("\r\n"),
	    S("500 5.5.2 Error: bad syntax\r\n"),
	    C("HELO c\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
	    C(".\r\n"),
	    S("250 queued as Q7\r\n"),
	};
	expect("an empty command line; a message of no bytes", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX ||500|500 5.5.2 Error: bad syntax\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok|P\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok|P\n"
	       "EX DATA|DATA|354|354 go|P\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q7 code=250 []\n"
	       "EX .|.|250|250 queued as Q7\n",
	       "");
	session_play(t, N(t), 25, 0, 0);
	session_check(msg_frame > 0 && msg_ts > 0, "an empty message has a time and a frame",
	              session_log);
}

/* Issue 13.8: whatever the form, no password is shown. */
static void secrets(void)
{
	/* "\0user1\0s3cret" and "s3cret" */
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 AUTH PLAIN LOGIN\r\n"),
	    C("AUTH\tPLAIN AHVzZXIxAHMzY3JldA==\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 VXNlcm5hbWU6\r\n"),
	    C("=\r\n"),
	    S("334 UGFzc3dvcmQ6\r\n"),
	    C("czNjcmV0\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 VXNlcm5hbWU6\r\n"),
	    C("user one\r\n"),
	    S("334 UGFzc3dvcmQ6\r\n"),
	    C("czNjcmV0\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 \r\n"), /* prompts that say nothing */
	    C("=\r\n"),
	    S("334 \r\n"),
	    C("czNjcmV0\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 \r\n"),
	    C("user one\r\n"),
	    S("334 \r\n"),
	    C("czNjcmV0\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("334 V2hvIGFyZSB5b3U/\r\n"), /* "Who are you?" */
	    C("dXNlcjE=\r\n"),
	    S("334 QW5kIHRoZSB3b3JkPw==\r\n"), /* "And the word?" */
	    C("czNjcmV0\r\n"),
	    S("535 5.7.8 no\r\n"),
	    C("MAIL\tFROM:<a@a.test>\r\n"),
	    S("250 ok\r\n"),
	};
	session_play(t, N(t), 25, 0, 0);
	session_check(!strstr(session_log, "s3cret") && !strstr(session_log, "czNjcmV0") &&
	                  !strstr(session_log, "AHMzY3JldA"),
	              "no password in any AUTH form", session_log);
	session_check(strstr(session_log, "EX AUTH|AUTH PLAIN user1 ****|535") != NULL,
	              "AUTH<TAB>PLAIN is AUTH PLAIN", session_log);
	session_check(strstr(session_log, "EX MAIL|MAIL\\\\x09FROM:<a@a.test>|250") != NULL,
	              "MAIL<TAB>FROM is MAIL", session_log);
	session_show_secrets = 1;
	session_play(t, N(t), 25, 0, 0);
	session_show_secrets = 0;
	session_check(strstr(session_log, "s3cret") != NULL, "--show-secrets shows it",
	              session_log);
}

/* Issue 13.10: LMTP (RFC 2033 4.2) answers the message once for each
 * accepted recipient; a pipelined QUIT gets its own reply. */
static void lmtp(void)
{
	static const struct turn t[] = {
	    S("220 imap.b.test Dovecot ready.\r\n"),
	    C("LHLO mx\r\n"),
	    S("250-imap.b.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"),
	    C("MAIL FROM:<a@a.test>\r\nRCPT TO:<u1@b.test>\r\nRCPT TO:<nouser@b.test>\r\nRCPT "
	      "TO:<u2@b.test>\r\nDATA\r\n"),
	    S("250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 <nouser@b.test> User doesn't "
	      "exist\r\n250 2.1.5 OK\r\n354 OK\r\n"),
	    C("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n"),
	    S("250 2.0.0 <u1@b.test> abc Saved\r\n552 5.2.2 <u2@b.test> Quota exceeded\r\n221 "
	      "2.0.0 Bye\r\n"),
	};
	expect("LMTP: a reply per recipient after the message", t, N(t),
	       "EX -||220|220 imap.b.test Dovecot ready.\n"
	       "EX LHLO|LHLO mx|250|250-imap.b.test\\x0a250-PIPELINING\\x0a250 "
	       "ENHANCEDSTATUSCODES\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 2.1.0 OK\n"
	       "EX RCPT|RCPT TO:<u1@b.test>|250|250 2.1.5 OK|P\n"
	       "EX RCPT|RCPT TO:<nouser@b.test>|550|550 5.1.1 <nouser@b.test> User doesn't "
	       "exist|P\n"
	       "EX RCPT|RCPT TO:<u2@b.test>|250|250 2.1.5 OK|P\n"
	       "EX DATA|DATA|354|354 OK|P\n"
	       "EX .|.|250|250 2.0.0 <u1@b.test> abc Saved\n"
	       "EX .|.|552|552 5.2.2 <u2@b.test> Quota exceeded\n"
	       "MSG DATA from=a@a.test to=u1@b.test,u2@b.test helo=mx q= code=250 "
	       "lmtp=250:u1@b.test 552:u2@b.test [Subject: x\\x0d\\x0a\\x0d\\x0ahi\\x0d\\x0a]\n"
	       "EX QUIT|QUIT|221|221 2.0.0 Bye|P\n",
	       "");
}

/* Issue 13.7: sessions the probes used to miss: a greeting without the
 * word SMTP and a first command the probe did not know, on port 25; an
 * EHLO with a tab or a leading space on another port. */
static void detection(void)
{
	static const struct turn noop[] = {
	    S("220 mail.example ready\r\n"),
	    C("NOOP\r\n"),
	    S("250 2.0.0 Ok\r\n"),
	};
	expect("a greeting without SMTP, then NOOP", noop, N(noop),
	       "EX -||220|220 mail.example ready\n"
	       "EX NOOP|NOOP|250|250 2.0.0 Ok\n",
	       "");
	static const struct turn tab[] = {
	    S("220 mail.example ready\r\n"),
	    C(" ehlo\tx\r\n"),
	    S("250 mail.example\r\n"),
	};
	session_play(tab, N(tab), 2526, 0, 0);
	session_check(strstr(session_log, "EX EHLO| ehlo\\\\x09x|250") != NULL,
	              "ehlo<TAB>x after a space, on port 2526", session_log);
}

/* Issue 13.3: 20 pipelined messages, 300 bytes of the 5th lost: the 5th is
 * incomplete, the 19 others whole, and every reply pairs with its command
 * (a hole in one direction must not hand its later bytes over ahead of the
 * peer's replies to them). */
static void lost_segment(void)
{
	enum { MSGS = 20, LOST = 5 };
	static char text[MSGS][4][700];
	static char lost[301], want[1 << 15];
	struct turn t[3 + MSGS * 6];
	size_t nt = 0;
	t[nt++] = (struct turn)S("220 mx ESMTP\r\n");
	t[nt++] = (struct turn)C("EHLO c\r\n");
	t[nt++] = (struct turn)S("250-mx\r\n250 PIPELINING\r\n");
	memset(lost, 'L', 300);
	want[0] = 0;
	size_t w = 0;
	w += (size_t)snprintf(want + w, sizeof want - w,
	                      "EX -||220|220 mx ESMTP\nEX EHLO|EHLO c|250|250-mx\\x0a250 "
	                      "PIPELINING\n");
	for (int m = 1; m <= MSGS; m++) {
		char *cmd = text[m - 1][0], *ok = text[m - 1][1], *body = text[m - 1][2],
		     *done = text[m - 1][3];
		snprintf(cmd, 700, "MAIL FROM:<s%d@a.test>\r\nRCPT TO:<r%d@b.test>\r\nDATA\r\n", m,
		         m);
		snprintf(ok, 700, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n");
		snprintf(body, 700, "Subject: message %d\r\n\r\nline one of %d\r\n", m, m);
		snprintf(done, 700, "250 2.0.0 Ok: queued as Q%d\r\n", m);
		t[nt++] = (struct turn){1, cmd, 0, 0};
		t[nt++] = (struct turn){0, ok, 0, 0};
		t[nt++] = (struct turn){1, body, 0, 0};
		if (m == LOST)
			t[nt++] = (struct turn){1, lost, 0, 1};
		t[nt++] = (struct turn)C("line two\r\n.\r\n");
		t[nt++] = (struct turn){0, done, 0, 0};
		w += (size_t)snprintf(
		    want + w, sizeof want - w,
		    "EX MAIL|MAIL FROM:<s%d@a.test>|250|250 2.1.0 Ok\n"
		    "EX RCPT|RCPT TO:<r%d@b.test>|250|250 2.1.5 Ok|P\n"
		    "EX DATA|DATA|354|354 go|P\n"
		    "MSG DATA from=s%d@a.test to=r%d@b.test helo=c q=Q%d code=250%s [Subject: "
		    "message %d\\x0d\\x0a\\x0d\\x0aline one of %d\\x0d\\x0aline two\\x0d\\x0a]\n"
		    "EX .|.|250|250 2.0.0 Ok: queued as Q%d\n",
		    m, m, m, m, m, m == LOST ? " INCOMPLETE" : "", m, m, m);
	}
	expect("20 pipelined messages, 300 bytes of the 5th lost", t, nt, want,
	       "tcp.gap;smtp.gap;");
}

/* Issue 13.4: the greeting lost in a gap is not taken from the next reply. */
static void lost_greeting(void)
{
	static const struct turn t[] = {
	    SGAP("220 mx ESMTP\r\n"), C(""),         C("EHLO c\r\n"),
	    S("250 mx\r\n"),          C("QUIT\r\n"), S("221 bye\r\n"),
	};
	expect("the greeting in a gap", t, N(t),
	       "EX EHLO|EHLO c|250|250 mx\n"
	       "EX QUIT|QUIT|221|221 bye\n",
	       "tcp.gap;smtp.gap;");
}

/* Issue 13.3: the end of a message lost in a gap: the server's reply says
 * it ended, and what the client sends next is commands again. */
static void lost_end(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("HELO c\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
	    C("Subject: x\r\n\r\nfirst\r\n"),
	    CGAP("tail\r\n.\r\n"),
	    S("250 2.0.0 Ok: queued as Q2\r\n"),
	    S(""),
	    C("MAIL FROM:<b@a.test>\r\n"),
	    S("250 2.1.0 Ok\r\n"),
	    C("QUIT\r\n"),
	    S("221 bye\r\n"),
	};
	expect("the end of a message in a gap", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 ok|P\n"
	       "EX RCPT|RCPT TO:<b@b.test>|250|250 ok|P\n"
	       "EX DATA|DATA|354|354 go|P\n"
	       "MSG DATA from=a@a.test to=b@b.test helo=c q=Q2 code=250 INCOMPLETE "
	       "[Subject: x\\x0d\\x0a\\x0d\\x0afirst\\x0d\\x0a]\n"
	       "EX .|[the end of the message was in a gap]|250|250 2.0.0 Ok: queued as Q2\n"
	       "EX MAIL|MAIL FROM:<b@a.test>|250|250 2.1.0 Ok\n"
	       "EX QUIT|QUIT|221|221 bye\n",
	       "tcp.gap;smtp.gap;smtp.data_end_lost;");
}

/* Issue 13.3: the last command lost, its reply captured, then the flow
 * ends: the reply still comes after the gap that stands for the command. */
static void lost_last_command(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"), C("HELO c\r\n"),  S("250 mx\r\n"),
	    CGAP("QUIT\r\n"),      S("221 bye\r\n"),
	};
	expect("the last command in a gap", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX HELO|HELO c|250|250 mx\n"
	       "EX -|[6 bytes missing]|221|221 bye\n",
	       "tcp.gap;smtp.gap;");
}

/* Issue 13.4 and 13.8: an AUTH whose challenges were not seen. Its
 * responses are still masked, and the commands after it are not. */
static void auth_unseen(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("EHLO c\r\n"),
	    S("250-mx\r\n250 AUTH LOGIN\r\n"),
	    C("AUTH LOGIN\r\n"),
	    SGAP("334 VXNlcm5hbWU6\r\n"),
	    C(""),
	    C("dXNlcjE=\r\n"),
	    SGAP("334 UGFzc3dvcmQ6\r\n"),
	    C(""),
	    C("czNjcmV0\r\n"),
	    SGAP("235 2.7.0 Authentication successful\r\n"),
	    C(""),
	    C("MAIL FROM:<a@a.test>\r\n"),
	    S("250 2.1.0 Ok\r\n"),
	};
	expect("AUTH LOGIN with its replies in gaps", t, N(t),
	       "EX -||220|220 mx ESMTP\n"
	       "EX EHLO|EHLO c|250|250-mx\\x0a250 AUTH LOGIN\n"
	       "EX AUTH|AUTH LOGIN|-1|[the reply was in a gap]\n"
	       "EX AUTH|user1|-1|[the reply was in a gap]\n"
	       "EX AUTH|****|-1|[the reply was in a gap]\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|250|250 2.1.0 Ok\n",
	       "tcp.gap;smtp.gap;tcp.gap;smtp.gap;tcp.gap;smtp.gap;");
	session_capture = SESSION_CLIENT_ONLY;
	session_play(t, N(t), 25, 0, 0);
	session_capture = 0;
	session_check(!strstr(session_log, "czNjcmV0") && strstr(session_log, "EX AUTH|****|") &&
	                  strstr(session_log, "EX MAIL|MAIL FROM:<a@a.test>|"),
	              "the client's side alone: the password masked, MAIL shown", session_log);
}

/* Issue 13.1: the client's side alone, a DATA the server refused: the
 * client's next line is a command, not a message. */
static void client_only_refused(void)
{
	static const struct turn t[] = {
	    S("220 mx ESMTP\r\n"),
	    C("HELO c\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"),
	    S("250 mx\r\n250 ok\r\n250 ok\r\n554 5.5.1 Error: no valid recipients\r\n"),
	    C("QUIT\r\n"),
	    S("221 bye\r\n"),
	};
	session_capture = SESSION_CLIENT_ONLY;
	expect("the client's side alone, DATA refused", t, N(t),
	       "EX HELO|HELO c|-1|[the reply is not in the capture]\n"
	       "EX MAIL|MAIL FROM:<a@a.test>|-1|[the reply is not in the capture]\n"
	       "EX RCPT|RCPT TO:<b@b.test>|-1|[the reply is not in the capture]\n"
	       "EX DATA|DATA|-1|[the reply is not in the capture]\n"
	       "EX QUIT|QUIT|-1|[the reply is not in the capture]\n",
	       "tcp.gap;smtp.gap;");
	session_capture = 0;
}

int main(void)
{
	session_init();
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
	client_only();
	client_only_refused();
	lost_354();
	pipeline_full();
	pickup_at_command();
	pickup_in_data();
	bad_bdat();
	record_sink_add(times_sink, NULL);
	blank_and_empty();
	secrets();
	auth_unseen();
	lmtp();
	detection();
	lost_greeting();
	lost_end();
	lost_last_command();
	lost_segment();
	return session_done();
}
