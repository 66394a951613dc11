/* test_probe.c - the protocol chosen for a flow by its first bytes, with
 * the port as a hint only: SMTP off its ports, the lab's relay ports,
 * greetings that need the client to decide, and other protocols on mail
 * ports. Greetings and commands follow RFC 5321 4.2/4.1.1, RFC 1939 4 and
 * RFC 9051 7.1.
 */
#include <stdio.h>
#include <string.h>

#include "protos.h"
#include "synth.h"

static int failures, checks;
static const char *app;

static void t_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)st, (void)at;
	app = f->app ? f->app : "-";
}

/* Bytes with their length: wire data may hold NULs. */
#define B(s) s, sizeof s - 1

static int midstream; /* the sessions below are picked up without their handshake */

/* A TCP session: the server's first bytes, then the client's, then the
 * server's answer; returns the protocol chosen. */
static const char *session(uint16_t port, const char *greet, size_t g, const char *cmd, size_t c,
                           const char *reply, size_t a)
{
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_tap tap = {NULL, NULL, NULL, NULL, t_close, NULL};
	struct dissect_opts dopt = {&caps, 0, 0, NULL, NULL};
	dissect_register(r, &dopt);
	reasm_add_tap(r, &tap);
	synth_reset();
	app = "(not closed)";
	if (!midstream) {
		synth_tcp(r, 1, 40000, port, 0, 0x02, 100, 0, NULL, 0, 0);
		synth_tcp(r, 0, 40000, port, 1, 0x12, 900, 101, NULL, 0, 0);
		synth_tcp(r, 1, 40000, port, 2, 0x10, 101, 901, NULL, 0, 0);
	}
	if (g)
		synth_tcp(r, 0, 40000, port, 3, 0x18, 901, 101, greet, g, 0);
	if (c)
		synth_tcp(r, 1, 40000, port, 4, 0x18, 101, 901 + (uint32_t)g, cmd, c, 0);
	if (a)
		synth_tcp(r, 0, 40000, port, 5, 0x18, 901 + (uint32_t)g, 101 + (uint32_t)c, reply,
		          a, 0);
	reasm_finish(r);
	reasm_free(r);
	return app;
}

static void is(const char *got, const char *want, const char *what)
{
	checks++;
	if (strcmp(got, want)) {
		failures++;
		printf("FAIL %s: chose %s, want %s\n", what, got, want);
	}
}

int main(void)
{
	is(session(25, B("220 mx.example ESMTP Postfix\r\n"), B("EHLO c\r\n"), B("250 ok\r\n")),
	   "smtp", "SMTP on 25");
	is(session(10026, B("220 relay ESMTP\r\n"), B("EHLO c\r\n"), B("250 ok\r\n")), "smtp",
	   "SMTP on 10026, a port no hint names");
	is(session(2525, B("220 welcome\r\n"), B("HELO c\r\n"), B("250 ok\r\n")), "smtp",
	   "a greeting without SMTP in it: the client's HELO decides");
	is(session(21, B("220 welcome\r\n"), B("USER anonymous\r\n"), B("331 ok\r\n")), "-",
	   "FTP greets with 220 too: its USER says no");
	is(session(587, B("220 mail ESMTP\r\n"), B(""), B("")), "smtp",
	   "a submission greeting alone");
	is(session(1100, B("+OK POP3 ready\r\n"), B("CAPA\r\n"), B("+OK\r\n")), "pop3",
	   "POP3 off its port");
	is(session(110, B(""), B("USER user1\r\n"), B("+OK\r\n")), "pop3",
	   "POP3, greeting not captured");
	is(session(1430, B("* OK [CAPABILITY IMAP4rev1] ready\r\n"), B("a1 CAPABILITY\r\n"),
	           B("* CAPABILITY\r\n")),
	   "imap", "IMAP off its port");
	is(session(143, B(""), B("A001 LOGIN user1 x\r\n"), B("A001 OK\r\n")), "imap",
	   "IMAP, greeting not captured");
	is(session(25, B(""), B("GET / HTTP/1.1\r\n"), B("HTTP/1.1 200 OK\r\n")), "-",
	   "HTTP on port 25 is not SMTP because of the port");
	is(session(465, B(""), B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), B("")), "tls",
	   "TLS from the first byte (465) is implicit TLS, not SMTP");
	is(session(25, B("220-first line\r\n220 ESMTP second\r\n"), B("EHLO c\r\n"), B("")), "smtp",
	   "a multi-line greeting");
	is(session(25, B(""), B(""), B("")), "smtp", "no payload at all: the port is all there is");
	/* DNS over TCP: a two-byte length, then a query for example. IN A. */
	is(session(53, B(""),
	           B("\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	             "\x07"
	             "example"
	             "\x00\x00\x01\x00\x01"),
	           B("")),
	   "dns", "DNS over TCP");
	is(session(53, B(""),
	           B("\x00\x05"
	             "hello"),
	           B("")),
	   "-", "not DNS on port 53");
	/* Issue 13.7: sessions that open with any command, or write it with
	 * white space where servers take it. */
	is(session(25, B("220 mail.example ready\r\n"), B("NOOP\r\n"), B("250 ok\r\n")), "smtp",
	   "a greeting without SMTP, then NOOP");
	is(session(2526, B("220 mail.example ready\r\n"), B("RSET\r\n"), B("250 ok\r\n")), "smtp",
	   "RSET first, off the ports");
	is(session(2526, B("220 mail.example ready\r\n"), B("ehlo\tx\r\n"), B("250 ok\r\n")),
	   "smtp", "ehlo<TAB>x");
	is(session(2526, B("220 mail.example ready\r\n"), B(" EHLO x\r\n"), B("250 ok\r\n")),
	   "smtp", "a space before EHLO");
	/* Issue 13.4: picked up mid-way on the protocol's port, inside a
	 * message, a listing or a literal. */
	midstream = 1;
	is(session(25, B(""), B("the rest of a body\r\n.\r\n"), B("250 2.0.0 Ok\r\n")), "smtp",
	   "picked up inside DATA on 25");
	is(session(25, B(""), B("GET\x01\x02 binary\r\n"), B("")), "-",
	   "picked up on 25, but not text");
	is(session(2526, B(""), B("the rest of a body\r\n"), B("")), "-",
	   "picked up inside text off the ports: nothing says SMTP");
	is(session(110, B("Subject: x\r\n\r\nbody\r\n"), B(""), B("")), "pop3",
	   "picked up inside a RETR on 110");
	is(session(143, B(""), B("a5 FETCH 1 (BODY[])\r\n"), B("")), "imap",
	   "picked up at FETCH on 143");
	is(session(143, B("inside a literal\r\n)\r\n"), B(""), B("")), "imap",
	   "picked up inside a literal on 143");
	midstream = 0;
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
