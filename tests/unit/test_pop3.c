/* test_pop3.c - the POP3 dissector on hand-made sessions: what each record
 * says, the retrieved messages byte for byte, the masked secrets and the
 * anomalies, each against what RFC 1939 (and 2449, 5034, 2595) says the
 * session meant. Every session is also replayed one byte a segment and cut
 * at every byte boundary, and must give the very same records.
 */
#include <stdio.h>
#include <string.h>

#include "session.h"

#define POP3 110
#define N(t) (sizeof(t) / sizeof((t)[0]))

/* RFC 1939 10, the example session, with messages that need un-stuffing:
 * a line "..hidden" is ".hidden" in the maildrop, a line ".." is ".". */
static void rfc1939(void)
{
	static const struct turn t[] = {
	    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
	    C("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
	    S("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
	    C("STAT\r\n"),
	    S("+OK 2 320\r\n"),
	    C("LIST\r\n"),
	    S("+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"),
	    C("RETR 1\r\n"),
	    S("+OK 120 octets\r\nSubject: one\r\n\r\n..hidden\r\n..\r\nend\r\n.\r\n"),
	    C("DELE 1\r\n"),
	    S("+OK message 1 deleted\r\n"),
	    C("TOP 2 0\r\n"),
	    S("+OK\r\nSubject: two\r\n\r\n.\r\n"),
	    C("LIST 2\r\n"),
	    S("+OK 2 200\r\n"),
	    C("RETR 3\r\n"),
	    S("-ERR no such message\r\n"),
	    C("NOOP\r\n"),
	    S("+OK\r\n"),
	    C("RSET\r\n"),
	    S("+OK maildrop has 2 messages (320 octets)\r\n"),
	    C("QUIT\r\n"),
	    S("+OK dewey POP3 server signing off (maildrop empty)\r\n"),
	};
	session_expect(
	    "RFC 1939 10: APOP, STAT, LIST, RETR, DELE, TOP, -ERR", t, N(t), POP3,
	    "EX -||1|+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>|+OK\n"
	    "EX APOP|APOP mrose ****|1|+OK mrose's maildrop has 2 messages (320 octets)|+OK\n"
	    "NOTE login|mrose logged in with APOP\n"
	    "EX STAT|STAT|1|+OK 2 320|+OK\n"
	    "EX LIST|LIST|1|+OK 2 messages (320 octets)\\x0a1 120\\x0a2 200|+OK\n"
	    "MSG RETR user=mrose mailbox=INBOX which=RETR 1 code=1 "
	    "[Subject: one\\x0d\\x0a\\x0d\\x0a.hidden\\x0d\\x0a.\\x0d\\x0aend\\x0d\\x0a]\n"
	    "EX RETR|RETR 1|1|+OK 120 octets|+OK\n"
	    "EX DELE|DELE 1|1|+OK message 1 deleted|+OK\n"
	    "MSG TOP user=mrose mailbox=INBOX which=TOP 2 0 code=1 PARTIAL "
	    "[Subject: two\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX TOP|TOP 2 0|1|+OK|+OK\n"
	    "EX LIST|LIST 2|1|+OK 2 200|+OK\n"
	    "EX RETR|RETR 3|0|-ERR no such message|-ERR\n"
	    "EX NOOP|NOOP|1|+OK|+OK\n"
	    "EX RSET|RSET|1|+OK maildrop has 2 messages (320 octets)|+OK\n"
	    "EX QUIT|QUIT|1|+OK dewey POP3 server signing off (maildrop empty)|+OK\n",
	    "");
}

/* USER/PASS (RFC 1939 7), CAPA and UIDL (RFC 2449 5, RFC 1939 7), and a
 * multi-line response that is empty. */
static void user_pass(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("CAPA\r\n"),
	    S("+OK Capability list follows\r\nTOP\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n"),
	    C("USER user1\r\n"),
	    S("+OK\r\n"),
	    C("PASS se cret\r\n"),
	    S("-ERR [AUTH] Authentication failed.\r\n"),
	    C("USER user1\r\n"),
	    S("+OK\r\n"),
	    C("PASS password\r\n"),
	    S("+OK Logged in.\r\n"),
	    C("UIDL\r\n"),
	    S("+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n.\r\n"),
	    C("LIST\r\n"),
	    S("+OK 0 messages\r\n.\r\n"),
	    C("QUIT\r\n"),
	    S("+OK Logging out.\r\n"),
	};
	session_expect("USER/PASS with the password masked, CAPA, UIDL, an empty LIST", t, N(t),
	               POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "EX CAPA|CAPA|1|+OK Capability list follows\\x0aTOP\\x0aUSER\\x0aPIPELINING"
	               "\\x0aUIDL|+OK\n"
	               "EX USER|USER user1|1|+OK|+OK\n"
	               "EX PASS|PASS ****|0|-ERR [AUTH] Authentication failed.|-ERR\n"
	               "EX USER|USER user1|1|+OK|+OK\n"
	               "EX PASS|PASS ****|1|+OK Logged in.|+OK\n"
	               "NOTE login|user1 logged in with USER/PASS\n"
	               "EX UIDL|UIDL|1|+OK\\x0a1 whqtswO00WBw418f9t5JxYwZ|+OK\n"
	               "EX LIST|LIST|1|+OK 0 messages|+OK\n"
	               "EX QUIT|QUIT|1|+OK Logging out.|+OK\n",
	               "");
	session_show_secrets = 1;
	session_play(t, N(t), POP3, 0, 0);
	session_show_secrets = 0;
	session_check(strstr(session_log, "EX PASS|PASS se cret|0") &&
	                  strstr(session_log, "EX PASS|PASS password|1"),
	              "--show-secrets", "PASS not shown in clear");
}

/* RFC 2449 6.6 PIPELINING: commands sent without waiting; the responses
 * come in order, multi-line ones included, and pair with them. */
static void pipelined(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("USER u\r\nPASS p\r\nSTAT\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n"),
	    S("+OK\r\n+OK Logged in.\r\n+OK 2 20\r\n+OK 8 octets\r\na: 1\r\n\r\n"
	      ".\r\n+OK 9 octets\r\nb: 2\r\n\r\nx\r\n.\r\n+OK bye\r\n"),
	};
	session_expect(
	    "pipelined: one segment of commands, one of responses", t, N(t), POP3,
	    "EX -||1|+OK ready|+OK\n"
	    "EX USER|USER u|1|+OK|+OK\n"
	    "EX PASS|PASS ****|1|+OK Logged in.|P|+OK\n"
	    "NOTE login|u logged in with USER/PASS\n"
	    "EX STAT|STAT|1|+OK 2 20|P|+OK\n"
	    "MSG RETR user=u mailbox=INBOX which=RETR 1 code=1 [a: 1\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX RETR|RETR 1|1|+OK 8 octets|P|+OK\n"
	    "MSG RETR user=u mailbox=INBOX which=RETR 2 code=1 "
	    "[b: 2\\x0d\\x0a\\x0d\\x0ax\\x0d\\x0a]\n"
	    "EX RETR|RETR 2|1|+OK 9 octets|P|+OK\n"
	    "EX QUIT|QUIT|1|+OK bye|P|+OK\n",
	    "");
}

/* RFC 5034 4: AUTH with a "+" challenge, with an initial response, LOGIN's
 * two challenges, and a cancelled exchange. PLAIN is "\0user1\0secret". */
static void auth(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("AUTH PLAIN\r\n"),
	    S("+ \r\n"),
	    C("AHVzZXIxAHNlY3JldA==\r\n"),
	    S("-ERR [AUTH] failed\r\n"),
	    C("AUTH LOGIN\r\n"),
	    S("+ VXNlcm5hbWU6\r\n"),
	    C("dXNlcjI=\r\n"),
	    S("+ UGFzc3dvcmQ6\r\n"),
	    C("*\r\n"),
	    S("-ERR cancelled\r\n"),
	    C("AUTH PLAIN AHVzZXIxAHNlY3JldA==\r\n"),
	    S("+OK Logged in.\r\n"),
	    C("RETR 1\r\n"),
	    S("+OK 3 octets\r\nx\r\n.\r\n"),
	};
	session_expect("AUTH: the user shown, the secret masked, a cancel", t, N(t), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "EX AUTH|AUTH PLAIN|1|+ |+\n"
	               "EX AUTH|user1 ****|0|-ERR [AUTH] failed|-ERR\n"
	               "EX AUTH|AUTH LOGIN|1|+ VXNlcm5hbWU6 (Username:)|+\n"
	               "EX AUTH|user2|1|+ UGFzc3dvcmQ6 (Password:)|+\n"
	               "EX AUTH|* (cancelled)|0|-ERR cancelled|-ERR\n"
	               "EX AUTH|AUTH PLAIN user1 ****|1|+OK Logged in.|+OK\n"
	               "NOTE login|user1 logged in with PLAIN\n"
	               "MSG RETR user=user1 mailbox=INBOX which=RETR 1 code=1 [x\\x0d\\x0a]\n"
	               "EX RETR|RETR 1|1|+OK 3 octets|+OK\n",
	               "");
}

/* RFC 2595 4: after STLS's +OK the session is TLS. */
static void stls(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("STLS\r\n"),
	    S("+OK Begin TLS negotiation\r\n"),
	    {1, "\x16\x03\x01\x00\x05hello", 10, 0},
	    {0, "\x16\x03\x03\x00\x02ok", 7, 0},
	};
	session_expect("STLS: then the TLS parser reads the bytes", t, N(t), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "EX STLS|STLS|1|+OK Begin TLS negotiation|+OK\n"
	               "NOTE tls|STLS accepted: the rest of the session is TLS\n"
	               "NOTE tls_end|1 TLS record (10 bytes) to the server, 1 (7) back\n",
	               /* the TLS parser reads them: "hello" is no handshake message */
	               "pop3.tls_handshake_too_long;pop3.tls_truncated;pop3.tls_truncated;");
}

/* A gap inside a RETR: the message is incomplete and the "." after the gap
 * still ends it. A gap that takes the end of the next RETR: the response to
 * the command after it ends it (RFC 1939 3: the server speaks only when
 * asked, so a status line with another command waiting is a response). */
static void gaps(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("RETR 1\r\n"),
	    S("+OK 30 octets\r\nSubject: g\r\n\r\nfirst\r\n"),
	    SGAP("lost line\r\n"),
	    S("last\r\n.\r\n"),
	    C("RETR 2\r\n"),
	    S("+OK 20 octets\r\nSubject: h\r\n\r\n"),
	    SGAP("the end\r\n.\r\n"),
	    C("STAT\r\n"),
	    S("+OK 2 50\r\n"),
	    C("QUIT\r\n"),
	    S("+OK bye\r\n"),
	};
	session_expect("gaps in RETR: incomplete messages, the next status line resyncs", t, N(t),
	               POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "MSG RETR user= mailbox=INBOX which=RETR 1 code=1 INCOMPLETE "
	               "[Subject: g\\x0d\\x0a\\x0d\\x0afirst\\x0d\\x0alast\\x0d\\x0a]\n"
	               "EX RETR|RETR 1|1|+OK 30 octets|+OK\n"
	               "MSG RETR user= mailbox=INBOX which=RETR 2 code=1 INCOMPLETE "
	               "[Subject: h\\x0d\\x0a\\x0d\\x0a]\n"
	               "EX RETR|RETR 2|1|+OK 20 octets|+OK\n"
	               "EX STAT|STAT|1|+OK 2 50|+OK\n"
	               "EX QUIT|QUIT|1|+OK bye|+OK\n",
	               "tcp.gap;pop3.gap;tcp.gap;pop3.gap;");
	/* A command lost: its placeholder takes the response, whatever it
	 * holds, up to the "." (the next command's response would end it);
	 * "+OK n octets" is how RETR is answered, so the body is a message.
	 * The server's bare ACK tells the bytes are lost before it responds. */
	static const struct turn u[] = {
	    S("+OK ready\r\n"), CGAP("RETR 1\r\n"), S(""), S("+OK 5 octets\r\nabc\r\n.\r\n"),
	    C("QUIT\r\n"),      S("+OK bye\r\n"),
	};
	session_expect("a command lost in a gap", u, N(u), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "MSG RETR user= mailbox=INBOX which= code=1 [abc\\x0d\\x0a]\n"
	               "EX -|[8 bytes missing]|1|+OK 5 octets|+OK\n"
	               "EX QUIT|QUIT|1|+OK bye|+OK\n",
	               "tcp.gap;pop3.gap;");
	/* A response lost: the next one is the newest command's. */
	static const struct turn v[] = {
	    S("+OK ready\r\n"), C("NOOP\r\n"), SGAP("+OK\r\n"), C("STAT\r\n"), S("+OK 1 5\r\n"),
	};
	session_expect("a response lost in a gap", v, N(v), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "EX NOOP|NOOP|-1|[the response was in a gap]\n"
	               "EX STAT|STAT|1|+OK 1 5|+OK\n",
	               "tcp.gap;pop3.gap;");
}

/* What RFC 1939 3 does not allow: the client first, a line that is no
 * response, a response to nothing, more after QUIT; a RETR cut by the end
 * of the flow. */
static void anomalies(void)
{
	static const struct turn t[] = {
	    C("CAPA\r\n"),        S("+OK ready\r\n"),   S("+OK\r\nUSER\r\n.\r\n"),
	    S("hello there\r\n"), S("+OK unasked\r\n"), C("QUIT\r\n"),
	    S("+OK bye\r\n"),     C("RETR 1\r\n"),      S("+OK 9 octets\r\nSubject: x\r\n"),
	};
	session_expect("anomalies, and a RETR the flow's end cut", t, N(t), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "EX CAPA|CAPA|1|+OK\\x0aUSER|+OK\n"
	               "EX -||1|+OK unasked|+OK\n"
	               "EX QUIT|QUIT|1|+OK bye|+OK\n"
	               "MSG RETR user= mailbox=INBOX which=RETR 1 code=1 INCOMPLETE "
	               "[Subject: x\\x0d\\x0a]\n"
	               "EX RETR|RETR 1|1|+OK 9 octets|+OK\n",
	               "pop3.data_before_greeting;pop3.bad_reply_line;pop3.reply_without_command;"
	               "pop3.command_after_quit;");
}

/* A message larger than --max-message is kept up to the cap, incomplete. */
static void caps(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),
	    C("RETR 1\r\n"),
	    S("+OK\r\n0123456789abcdef\r\n.\r\n"),
	    C("LIST\r\n"),
	    S("+OK\r\n1 18\r\n2 18\r\n3 18\r\n.\r\n"),
	};
	session_caps.max_message = 10;
	session_caps.max_line = 12;
	session_expect("--max-message and --max-line", t, N(t), POP3,
	               "EX -||1|+OK ready|+OK\n"
	               "MSG RETR user= mailbox=INBOX which=RETR 1 code=1 INCOMPLETE [0123456789]\n"
	               "EX RETR|RETR 1|1|+OK|+OK\n"
	               "EX LIST|LIST|1|+OK\\x0a1 18\\x0a2 18\\x0a[1 more line]|+OK\n",
	               "pop3.message_too_big;");
	ss_caps_defaults(&session_caps);
}

/* Issue 13.4: picked up after the greeting, at CAPA: the first response
 * answers CAPA, AUTH ends with its +OK, and STAT, LIST and UIDL are shown
 * as they are (only secrets are masked). */
static void pickup(void)
{
	static const struct turn t[] = {
	    C("CAPA\r\n"),
	    S("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"),
	    C("AUTH PLAIN AHVzZXIxAHMzY3JldA==\r\n"),
	    S("+OK Logged in.\r\n"),
	    C("STAT\r\n"),
	    S("+OK 1 160\r\n"),
	    C("LIST\r\n"),
	    S("+OK 1 messages:\r\n1 160\r\n.\r\n"),
	    C("UIDL\r\n"),
	    S("+OK\r\n1 a1\r\n.\r\n"),
	    C("RETR 1\r\n"),
	    S("+OK 160 octets\r\nSubject: x\r\n\r\nhi\r\n.\r\n"),
	    C("QUIT\r\n"),
	    S("+OK bye\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	session_expect("picked up at CAPA", t, N(t), POP3,
	               "EX CAPA|CAPA|1|+OK\\x0aUSER\\x0aSASL PLAIN|+OK\n"
	               "EX AUTH|AUTH PLAIN user1 ****|1|+OK Logged in.|+OK\n"
	               "NOTE login|user1 logged in with PLAIN\n"
	               "EX STAT|STAT|1|+OK 1 160|+OK\n"
	               "EX LIST|LIST|1|+OK 1 messages:\\x0a1 160|+OK\n"
	               "EX UIDL|UIDL|1|+OK\\x0a1 a1|+OK\n"
	               "MSG RETR user=user1 mailbox=INBOX which=RETR 1 code=1 "
	               "[Subject: x\\x0d\\x0a\\x0d\\x0ahi\\x0d\\x0a]\n"
	               "EX RETR|RETR 1|1|+OK 160 octets|+OK\n"
	               "EX QUIT|QUIT|1|+OK bye|+OK\n",
	               "");
	/* Picked up with a response to a command from before the capture. */
	static const struct turn u[] = {
	    S("+OK 2 320\r\n"),
	    C("LIST 1\r\n"),
	    S("+OK 1 120\r\n"),
	};
	session_expect("picked up at a response", u, N(u), POP3,
	               "EX -|[a command from before the capture]|1|+OK 2 320|+OK\n"
	               "EX LIST|LIST 1|1|+OK 1 120|+OK\n",
	               "");
	session_capture = 0;
}

/* Issue 13.8: a password after a tab, or several spaces, is masked too. */
static void secret_forms(void)
{
	static const struct turn t[] = {
	    S("+OK ready\r\n"),    C("USER\tuser1\r\n"), S("+OK\r\n"),
	    C("PASS\ts3cret\r\n"), S("-ERR no\r\n"),     C("PASS   s3cret\r\n"),
	    S("-ERR no\r\n"),      C("pass s3cret\r\n"), S("+OK in\r\n"),
	};
	session_play(t, N(t), POP3, 0, 0);
	session_check(!strstr(session_log, "s3cret"), "no POP3 password in any form", session_log);
	session_check(strstr(session_log, "NOTE login|user1 logged in") != NULL,
	              "USER<TAB>name gives the user", session_log);
}

/* Issue 13.4: the greeting lost in a gap is not taken from the next
 * response: CAPA gets its own. */
static void lost_greeting(void)
{
	static const struct turn t[] = {
	    SGAP("+OK Dovecot ready.\r\n"),
	    C(""),
	    C("CAPA\r\n"),
	    S("+OK\r\nUSER\r\n.\r\n"),
	    C("USER u\r\n"),
	    S("+OK\r\n"),
	    C("PASS pw\r\n"),
	    S("+OK Logged in.\r\n"),
	    C("STAT\r\n"),
	    S("+OK 0 0\r\n"),
	};
	session_expect("the greeting in a gap", t, N(t), POP3,
	               "EX CAPA|CAPA|1|+OK\\x0aUSER|+OK\n"
	               "EX USER|USER u|1|+OK|+OK\n"
	               "EX PASS|PASS ****|1|+OK Logged in.|+OK\n"
	               "NOTE login|u logged in with USER/PASS\n"
	               "EX STAT|STAT|1|+OK 0 0|+OK\n",
	               "tcp.gap;pop3.gap;");
}

int main(void)
{
	session_init();
	rfc1939();
	user_pass();
	pipelined();
	auth();
	stls();
	gaps();
	anomalies();
	caps();
	pickup();
	secret_forms();
	lost_greeting();
	return session_done();
}
