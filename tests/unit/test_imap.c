/* test_imap.c - the IMAP dissector on hand-made sessions: what each record
 * says, the fetched and appended messages byte for byte, the masked
 * secrets and the anomalies, each against what RFC 9051 (and 7888
 * LITERAL+, 3516 BINARY, 4959 SASL-IR, 2177 IDLE, 3502 MULTIAPPEND, 4315
 * UIDPLUS, 4978 COMPRESS) says the session meant, also for sessions
 * picked up in the middle. Every session is also replayed one byte a
 * segment and cut at every byte boundary, and must give the very same
 * records.
 */
#include <stdio.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include "record.h"
#include "session.h"

#define IMAP 143
#define N(t) (sizeof(t) / sizeof((t)[0]))

/* RFC 9051 6.1.1, 6.2.3, 6.3.2, 6.4.5, 6.1.3: a session, with a message
 * whose lines look like responses - inside a literal they are message. */
static void basic(void)
{
	static const struct turn t[] = {
	    S("* OK IMAP4rev2 Service Ready\r\n"),
	    C("a001 CAPABILITY\r\n"),
	    S("* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n"
	      "a001 OK CAPABILITY completed\r\n"),
	    C("a002 LOGIN \"user1\" \"pa ss\\\"word\"\r\n"),
	    S("a002 OK LOGIN completed\r\n"),
	    C("A142 SELECT INBOX\r\n"),
	    S("* 172 EXISTS\r\n* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	      "* OK [UIDNEXT 4392] Predicted next UID\r\n* LIST () \"/\" INBOX\r\n"
	      "A142 OK [READ-WRITE] SELECT completed\r\n"),
	    C("a003 fetch 12 (FLAGS BODY[])\r\n"),
	    S("* 12 FETCH (FLAGS (Seen) BODY[] {56}\r\n"
	      "Subject: hi\r\n\r\na003 OK fake\r\n* 13 FETCH (BODY[] {5}\r\n)\r\n"
	      ")\r\na003 OK FETCH completed\r\n"),
	    C("a004 LOGOUT\r\n"),
	    S("* BYE IMAP4rev2 Server logging out\r\na004 OK LOGOUT completed\r\n"),
	};
	session_expect(
	    "RFC 9051: CAPABILITY, LOGIN, SELECT, FETCH of a message that looks like IMAP", t, N(t),
	    IMAP,
	    "EX -||1|* OK IMAP4rev2 Service Ready|OK\n"
	    "EX CAPABILITY|a001 CAPABILITY|1|a001 OK CAPABILITY completed\\x0a* CAPABILITY "
	    "IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED|OK\n"
	    "EX LOGIN|a002 LOGIN \"user1\" ****|1|a002 OK LOGIN completed|OK\n"
	    "NOTE login|user1 logged in with LOGIN\n"
	    "EX SELECT|A142 SELECT INBOX|1|A142 OK [READ-WRITE] SELECT completed\\x0a* 172 "
	    "EXISTS\\x0a* OK [UIDVALIDITY 3857529045] UIDs valid\\x0a* OK [UIDNEXT 4392] "
	    "Predicted next UID\\x0a* LIST () \"/\" INBOX|OK\n"
	    "MSG FETCH user=user1 mailbox=INBOX which=FETCH 12 BODY[] code=-1 "
	    "[Subject: hi\\x0d\\x0a\\x0d\\x0aa003 OK fake\\x0d\\x0a* 13 FETCH (BODY[] "
	    "{5}\\x0d\\x0a)\\x0d\\x0a]\n"
	    "EX FETCH|a003 fetch 12 (FLAGS BODY[])|1|a003 OK FETCH completed\\x0a* 12 FETCH "
	    "(FLAGS (Seen) BODY[] {56}[56 bytes])|OK\n"
	    "EX LOGOUT|a004 LOGOUT|1|a004 OK LOGOUT completed\\x0a* BYE IMAP4rev2 Server "
	    "logging out|OK\n",
	    "");
}

/* LOGIN's arguments as synchronising literals (RFC 9051 4.3, 7.5): the
 * client waits for "+" before each; the password is masked. */
static void login_literals(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 LOGIN {5}\r\n"),
	    S("+ Ready for literal data\r\n"),
	    C("user1 {8}\r\n"),
	    S("+ Ready\r\n"),
	    C("password\r\n"),
	    S("a1 OK LOGIN completed\r\n"),
	    C("a2 ID (\"name\" {4-}\r\nmutt \"os\" {0}\r\n)\r\n"),
	    S("* ID NIL\r\na2 OK ID completed\r\n"),
	};
	session_expect("LOGIN with literals; LITERAL- and empty literals (RFC 7888)", t, N(t), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "EX LOGIN|a1 LOGIN {5}user1 {8}****|1|a1 OK LOGIN completed|OK\n"
	               "NOTE login|user1 logged in with LOGIN\n"
	               "EX ID|a2 ID (\"name\" {4-}mutt \"os\" {0})|1|a2 OK ID completed\\x0a* ID "
	               "NIL|OK\n",
	               "");
	session_show_secrets = 1;
	session_play(t, N(t), IMAP, 0, 0);
	session_show_secrets = 0;
	session_check(strstr(session_log, "a1 LOGIN {5}user1 {8}password|") != NULL,
	              "--show-secrets", "the LOGIN literal is not shown in clear");
}

/* APPEND (RFC 9051 6.3.12) with a LITERAL+ literal (RFC 7888) and the
 * APPENDUID it got (RFC 4315 3); with a synchronising literal; with two
 * messages (MULTIAPPEND, RFC 3502); refused before its literal was sent. */
static void append(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("A003 APPEND saved-messages (Junk) {39+}\r\n"
	      "From: a@b.test\r\nSubject: app\r\n\r\nhello\r\n\r\n"),
	    S("A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
	    C("A004 APPEND \"Sent Items\" {14}\r\n"),
	    S("+ Ready for literal data\r\n"),
	    C("Subject: x\r\n\r\n\r\n"),
	    S("A004 OK APPEND completed\r\n"),
	    C("A005 APPEND INBOX {14+}\r\nSubject: x\r\n\r\n (Junk) {6+}\r\nbody\r\n\r\n"),
	    S("A005 OK [APPENDUID 38505 3956:3957] done\r\n"),
	    C("A006 APPEND nosuch {100}\r\n"),
	    S("A006 NO [TRYCREATE] no such mailbox\r\n"),
	    C("A007 NOOP\r\n"),
	    S("A007 OK NOOP completed\r\n"),
	};
	session_expect(
	    "APPEND: LITERAL+, synchronising, MULTIAPPEND, refused", t, N(t), IMAP,
	    "EX -||1|* OK ready|OK\n"
	    "MSG APPEND user= mailbox=saved-messages which=UID 3955 code=1 "
	    "[From: a@b.test\\x0d\\x0aSubject: app\\x0d\\x0a\\x0d\\x0ahello\\x0d\\x0a]\n"
	    "EX APPEND|A003 APPEND saved-messages (Junk) {39+}[39 bytes]|1|A003 OK [APPENDUID "
	    "38505 "
	    "3955] APPEND completed|OK\n"
	    "MSG APPEND user= mailbox=Sent Items which= code=1 [Subject: x\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX APPEND|A004 APPEND \"Sent Items\" {14}[14 bytes]|1|A004 OK APPEND completed|OK\n"
	    "MSG APPEND user= mailbox=INBOX which= code=-1 [Subject: x\\x0d\\x0a\\x0d\\x0a]\n"
	    "MSG APPEND user= mailbox=INBOX which= code=1 [body\\x0d\\x0a]\n"
	    "EX APPEND|A005 APPEND INBOX {14+}[14 bytes] (Junk) {6+}[6 bytes]|1|A005 OK [APPENDUID "
	    "38505 3956:3957] done|OK\n"
	    "EX APPEND|A006 APPEND nosuch {100}|0|A006 NO [TRYCREATE] no such mailbox|NO\n"
	    "EX NOOP|A007 NOOP|1|A007 OK NOOP completed|OK\n",
	    "");
}

/* FETCH responses (RFC 9051 7.5.2): several literals in one response, a
 * string literal inside ENVELOPE (not a message), the UID after the
 * literals, a partial fetch "<origin>", BINARY's literal8 (RFC 3516), a
 * literal mailbox name in LIST, and a resp-text ending in "{5}" that is no
 * literal. */
static void fetches(void)
{
	static const char binary[] = "* 3 FETCH (BODY[]<0> {10}\r\nSubject: y BINARY[] ~{5}\r\na\0"
	                             "b\r\n BINARY[1] ~{3}\r\nxyz)\r\na3 OK done\r\n";
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 SELECT INBOX\r\n"),
	    S("* LIST () \"/\" {5}\r\nINBOX\r\n* OK [ALERT] price {5}\r\na1 OK selected\r\n"),
	    C("a2 UID FETCH 44 (ENVELOPE BODY.PEEK[HEADER] BODY.PEEK[TEXT])\r\n"),
	    S("* 2 FETCH (ENVELOPE (\"date\" {7}\r\nsubject NIL NIL NIL NIL NIL NIL NIL NIL) "
	      "BODY[HEADER] {14}\r\nSubject: x\r\n\r\n BODY[TEXT] {6}\r\nbody\r\n UID 44)\r\n"
	      "a2 OK done\r\n"),
	    C("a3 FETCH 3 (BODY[]<0.10> BINARY[] BINARY[1])\r\n"),
	    {0, binary, sizeof binary - 1, 0},
	};
	session_expect(
	    "FETCH: several literals, partial, BINARY", t, N(t), IMAP,
	    "EX -||1|* OK ready|OK\n"
	    "EX SELECT|a1 SELECT INBOX|1|a1 OK selected\\x0a* LIST () \"/\" {5}INBOX\\x0a* OK "
	    "[ALERT] price {5}|OK\n"
	    "MSG FETCH user= mailbox=INBOX which=FETCH 2 BODY[HEADER] code=-1 PARTIAL "
	    "[Subject: x\\x0d\\x0a\\x0d\\x0a]\n"
	    "MSG FETCH user= mailbox=INBOX which=UID 44 BODY[TEXT] code=-1 PARTIAL "
	    "[body\\x0d\\x0a]\n"
	    "EX UID FETCH|a2 UID FETCH 44 (ENVELOPE BODY.PEEK[HEADER] BODY.PEEK[TEXT])|1|a2 OK "
	    "done\\x0a* 2 FETCH (ENVELOPE (\"date\" {7}subject NIL NIL NIL NIL NIL NIL NIL NIL) "
	    "BODY[HEADER] {14}[14 bytes] BODY[TEXT] {6}[6 bytes] UID 44)|OK\n"
	    "MSG FETCH user= mailbox=INBOX which=FETCH 3 BODY[]<0> code=-1 PARTIAL "
	    "[Subject: y]\n"
	    "MSG FETCH user= mailbox=INBOX which=FETCH 3 BINARY[] code=-1 [a\\x00b\\x0d\\x0a]\n"
	    "MSG FETCH user= mailbox=INBOX which=FETCH 3 BINARY[1] code=-1 PARTIAL [xyz]\n"
	    "EX FETCH|a3 FETCH 3 (BODY[]<0.10> BINARY[] BINARY[1])|1|a3 OK done\\x0a* 3 FETCH "
	    "(BODY[]<0> {10}[10 bytes] BINARY[] ~{5}[5 bytes] BINARY[1] ~{3}[3 bytes])|OK\n",
	    "");
}

/* AUTHENTICATE (RFC 9051 6.2.2) with SASL-IR (RFC 4959), with a "+"
 * challenge, and LOGIN's two challenges. PLAIN is "\0user1\0secret". */
static void authenticate(void)
{
	static const struct turn t[] = {
	    S("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n"),
	    C("a1 AUTHENTICATE PLAIN AHVzZXIxAHNlY3JldA==\r\n"),
	    S("a1 NO [AUTHENTICATIONFAILED] failed\r\n"),
	    C("a2 AUTHENTICATE PLAIN\r\n"),
	    S("+ \r\n"),
	    C("AHVzZXIxAHNlY3JldA==\r\n"),
	    S("a2 NO failed\r\n"),
	    C("a3 AUTHENTICATE LOGIN\r\n"),
	    S("+ VXNlcm5hbWU6\r\n"),
	    C("dXNlcjI=\r\n"),
	    S("+ UGFzc3dvcmQ6\r\n"),
	    C("cGFzc3dvcmQy\r\n"),
	    S("a3 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
	    C("a4 EXAMINE Archive\r\n"),
	    S("a4 OK [READ-ONLY] done\r\n"),
	    C("a5 FETCH 1 RFC822\r\n"),
	    S("* 1 FETCH (RFC822 {3}\r\nx\r\n)\r\na5 OK done\r\n"),
	};
	session_expect("AUTHENTICATE: SASL-IR, challenges, the secrets masked", t, N(t), IMAP,
	               "EX -||1|* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready|OK\n"
	               "EX AUTHENTICATE|a1 AUTHENTICATE PLAIN user1 ****|0|a1 NO "
	               "[AUTHENTICATIONFAILED] failed|NO\n"
	               "EX AUTHENTICATE|a2 AUTHENTICATE PLAIN|1|+ |+\n"
	               "EX AUTHENTICATE|user1 ****|0|a2 NO failed|NO\n"
	               "EX AUTHENTICATE|a3 AUTHENTICATE LOGIN|1|+ VXNlcm5hbWU6 (Username:)|+\n"
	               "EX AUTHENTICATE|user2|1|+ UGFzc3dvcmQ6 (Password:)|+\n"
	               "EX AUTHENTICATE|****|1|a3 OK [CAPABILITY IMAP4rev1] Logged in|OK\n"
	               "NOTE login|user2 logged in with LOGIN\n"
	               "EX EXAMINE|a4 EXAMINE Archive|1|a4 OK [READ-ONLY] done|OK\n"
	               "MSG FETCH user=user2 mailbox=Archive which=FETCH 1 RFC822 code=-1 "
	               "[x\\x0d\\x0a]\n"
	               "EX FETCH|a5 FETCH 1 RFC822|1|a5 OK done\\x0a* 1 FETCH (RFC822 {3}[3 "
	               "bytes])|OK\n",
	               "");
}

/* IDLE (RFC 2177): "+" then updates until DONE; an update with no command
 * waiting is a record of its own. */
static void idle(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"), C("a5 IDLE\r\n"),  S("+ idling\r\n"),
	    S("* 4 EXISTS\r\n"), C("DONE\r\n"),     S("a5 OK IDLE terminated\r\n"),
	    S("* 5 EXISTS\r\n"), C("a6 CLOSE\r\n"), S("a6 OK CLOSE completed\r\n"),
	};
	session_expect("IDLE and DONE, an unsolicited response", t, N(t), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "EX IDLE|a5 IDLE ... DONE|1|a5 OK IDLE terminated\\x0a+ idling\\x0a* 4 "
	               "EXISTS|OK\n"
	               "EX -||1|* 5 EXISTS\n"
	               "EX CLOSE|a6 CLOSE|1|a6 OK CLOSE completed|OK\n",
	               "");
}

/* STARTTLS (RFC 9051 6.2.1): then the TLS parser reads the bytes. */
static void opaque(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C(". STARTTLS\r\n"),
	    S(". OK Begin TLS negotiation now\r\n"),
	    {1, "\x16\x03\x01\x00\x05hello", 10, 0},
	    {0, "\x16\x03\x03\x00\x02ok", 7, 0},
	};
	session_expect("STARTTLS", t, N(t), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "EX STARTTLS|. STARTTLS|1|. OK Begin TLS negotiation now|OK\n"
	               "NOTE tls|STARTTLS accepted: the rest of the session is TLS\n"
	               "NOTE tls_end|1 TLS record (10 bytes) to the server, 1 (7) back\n",
	               /* the TLS parser reads them: "hello" is no handshake message */
	               "imap.tls_handshake_too_long;imap.tls_truncated;imap.tls_truncated;");
}

/* COMPRESS=DEFLATE (RFC 4978): from the completion on, each direction is
 * one raw DEFLATE stream, flushed at each command and response; read
 * through inflate, including the server's bytes that follow its OK in the
 * same segment. A gap ends the reading of that direction; bytes that are
 * not DEFLATE too. */
static z_stream zs[2];
static uint8_t zbuf[8][512];

static struct turn deflated(int client, int k, const char *head, const char *text)
{
	z_stream *z = &zs[client];
	size_t h = strlen(head);
	memcpy(zbuf[k], head, h);
	z->next_in = (const Bytef *)text;
	z->avail_in = (uInt)strlen(text);
	z->next_out = zbuf[k] + h;
	z->avail_out = (uInt)(sizeof zbuf[k] - h);
	deflate(z, Z_SYNC_FLUSH);
	struct turn t = {client, (const char *)zbuf[k], sizeof zbuf[k] - z->avail_out, 0};
	return t;
}

static void deflate_session(void)
{
	for (int d = 0; d < 2; d++) {
		memset(&zs[d], 0, sizeof zs[d]);
		deflateInit2(&zs[d], Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	}
	struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 COMPRESS DEFLATE\r\n"),
	    deflated(0, 0, "a1 OK DEFLATE active\r\n", "* 1 EXISTS\r\n"),
	    deflated(1, 1, "", "a2 LOGIN user1 secret\r\na3 FETCH 1 BODY[]\r\n"),
	    deflated(0, 2, "", "a2 OK done\r\n* 1 FETCH (BODY[] {7}\r\nhi\r\nyou)\r\n"),
	    deflated(0, 3, "", "a3 OK done\r\n"),
	    deflated(1, 4, "", "a4 NOOP\r\n"),
	    S(""),
	    deflated(1, 5, "", "a5 NOOP\r\n"),
	    deflated(0, 6, "", "a4 OK\r\na5 OK\r\n"),
	};
	t[6].gap = 1;
	/* The compressed sizes are zlib's to choose: counted from the turns. */
	char want[2048];
	snprintf(want, sizeof want,
	         "%s%zu compressed bytes to the server (42 inflated), %zu back "
	         "(83 inflated)\n",
	         "EX -||1|* OK ready|OK\n"
	         "EX COMPRESS|a1 COMPRESS DEFLATE|1|a1 OK DEFLATE active|OK\n"
	         "NOTE compress|COMPRESS accepted: the rest of the session is "
	         "DEFLATE-compressed (RFC 4978), read through inflate\n"
	         "EX -||1|* 1 EXISTS\n"
	         "EX LOGIN|a2 LOGIN user1 ****|1|a2 OK done|OK\n"
	         "NOTE login|user1 logged in with LOGIN\n"
	         "MSG FETCH user=user1 mailbox= which=FETCH 1 BODY[] code=-1 "
	         "[hi\\x0d\\x0ayou]\n"
	         "EX FETCH|a3 FETCH 1 BODY[]|1|a3 OK done\\x0a* 1 FETCH (BODY[] {7}[7 "
	         "bytes])|P|OK\n"
	         "EX -|[the command was in a gap]|1|a4 OK|OK\n"
	         "EX -|[the command was in a gap]|1|a5 OK|OK\n"
	         "NOTE compress_end|",
	         t[3].len + t[8].len, t[2].len - 22 + t[4].len + t[5].len + t[9].len);
	session_expect("COMPRESS=DEFLATE, read through inflate", t, N(t), IMAP, want,
	               "tcp.gap;imap.gap;imap.reply_without_command;");
	for (int d = 0; d < 2; d++)
		deflateEnd(&zs[d]);
	/* Bytes that are no DEFLATE: said once, then only counted. */
	static const struct turn u[] = {
	    S("* OK ready\r\n"),
	    C("a1 COMPRESS DEFLATE\r\n"),
	    S("a1 OK DEFLATE active\r\n"),
	    {1, "\xff\xff\xff\xff", 4, 0},
	};
	session_expect("COMPRESS with bytes that are not DEFLATE", u, N(u), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "EX COMPRESS|a1 COMPRESS DEFLATE|1|a1 OK DEFLATE active|OK\n"
	               "NOTE compress|COMPRESS accepted: the rest of the session is "
	               "DEFLATE-compressed (RFC 4978), read through inflate\n"
	               "NOTE compress_end|4 compressed bytes to the server (0 inflated), 0 back (0 "
	               "inflated)\n",
	               "imap.inflate_error;");
}

/* Gaps: inside a literal the count still holds (the message is
 * incomplete); across a literal's end the server's side resynchronises on
 * the next tagged line of a command waiting, skipping lines (and their
 * literals) that only look like responses; in an APPEND literal; a
 * command lost. */
static void gaps(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 FETCH 1 BODY[]\r\n"),
	    S("* 1 FETCH (BODY[] {30}\r\nSubject: a\r\n\r\n"),
	    SGAP("0123456789"),
	    C(""),
	    S("line\r\n)\r\na1 OK done\r\n"),
	    C("a2 FETCH 1:2 BODY[]\r\n"),
	    S("* 1 FETCH (BODY[] {20}\r\nSubject: b\r\n\r\n"),
	    SGAP("1234\r\n)\r\n* 2 FETCH (BODY[] {30}\r\nfirst"),
	    C(""),
	    S(" part of message 2\r\n* 9 FETCH (BODY[] {12}\r\nz\r\na2 OK x\r\n)\r\nab OK fake\r\n)"
	      "\r\na2 OK Fetch completed\r\n"),
	    C("a3 NOOP\r\n"),
	    S("a3 OK NOOP completed\r\n"),
	};
	session_expect(
	    "a literal split by a gap, and a gap across a literal's end", t, N(t), IMAP,
	    "EX -||1|* OK ready|OK\n"
	    "MSG FETCH user= mailbox= which=FETCH 1 BODY[] code=-1 INCOMPLETE "
	    "[Subject: a\\x0d\\x0a\\x0d\\x0aline\\x0d\\x0a]\n"
	    "EX FETCH|a1 FETCH 1 BODY[]|1|a1 OK done\\x0a* 1 FETCH (BODY[] {30}[30 bytes])|OK\n"
	    "MSG FETCH user= mailbox= which=FETCH 1 BODY[] code=-1 INCOMPLETE "
	    "[Subject: b\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX FETCH|a2 FETCH 1:2 BODY[]|1|a2 OK Fetch completed|OK\n"
	    "EX NOOP|a3 NOOP|1|a3 OK NOOP completed|OK\n",
	    "tcp.gap;imap.gap;tcp.gap;imap.gap;");
	static const struct turn u[] = {
	    S("* OK ready\r\n"),
	    C("A1 APPEND INBOX {20+}\r\nSubject: c\r\n"),
	    CGAP("xxxx"),
	    S(""),
	    C("ab\r\n\r\n"),
	    S("A1 OK APPEND completed\r\n"),
	    CGAP("a2 NOOP\r\n"),
	    S(""),
	    S("a2 OK NOOP completed\r\n"),
	    C("a3 NOOP\r\n"),
	    S("a3 OK NOOP completed\r\n"),
	};
	session_expect("gaps in the client's bytes: an APPEND literal, a command", u, N(u), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "MSG APPEND user= mailbox=INBOX which= code=1 INCOMPLETE "
	               "[Subject: c\\x0d\\x0aab\\x0d\\x0a]\n"
	               "EX APPEND|A1 APPEND INBOX {20+}[20 bytes]|1|A1 OK APPEND completed|OK\n"
	               "EX -|[the command was in a gap]|1|a2 OK NOOP completed|OK\n"
	               "EX NOOP|a3 NOOP|1|a3 OK NOOP completed|OK\n",
	               "tcp.gap;imap.gap;tcp.gap;imap.gap;imap.reply_without_command;");
}

/* What RFC 9051 does not allow, and text that only looks like a literal:
 * no space before it, or inside a quoted string. */
static void anomalies(void)
{
	static const struct turn t[] = {
	    C("a0 NOOP\r\n"),
	    S("* OK ready\r\na0 OK\r\n"),
	    C("a1 SEARCH TEXT x{5}\r\n"),
	    S("a1 OK done\r\n"),
	    C("a2 SEARCH TEXT {99999999999999999999}\r\n"),
	    S("a2 BAD literal\r\n"),
	    C("a5 SEARCH SUBJECT \"x {5}\r\n"),
	    S("a5 BAD unterminated string\r\n"),
	    S("garbage\r\n"),
	    S("zz OK unknown tag\r\n"),
	    C("a3 LOGOUT\r\n"),
	    S("* BYE\r\na3 OK bye\r\n"),
	    C("a4 NOOP\r\n"),
	};
	session_expect("anomalies", t, N(t), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "EX NOOP|a0 NOOP|1|a0 OK|OK\n"
	               "EX SEARCH|a1 SEARCH TEXT x{5}|1|a1 OK done|OK\n"
	               "EX SEARCH|a2 SEARCH TEXT {99999999999999999999}|0|a2 BAD literal|BAD\n"
	               "EX SEARCH|a5 SEARCH SUBJECT \"x {5}|0|a5 BAD unterminated string|BAD\n"
	               "EX -||1|zz OK unknown tag|OK\n"
	               "EX LOGOUT|a3 LOGOUT|1|a3 OK bye\\x0a* BYE|OK\n"
	               "EX NOOP|a4 NOOP|-1|\n",
	               "imap.data_before_greeting;imap.bad_literal;imap.bad_reply_line;"
	               "imap.reply_without_command;imap.command_after_logout;");
}

/* The caps: a message over --max-message is kept up to it, incomplete. */
static void caps(void)
{
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 FETCH 1 BODY[]\r\n"),
	    S("* 1 FETCH (BODY[] {16}\r\n0123456789abcdef)\r\na1 OK done\r\n"),
	};
	session_caps.max_message = 10;
	session_expect("--max-message", t, N(t), IMAP,
	               "EX -||1|* OK ready|OK\n"
	               "MSG FETCH user= mailbox= which=FETCH 1 BODY[] code=-1 INCOMPLETE "
	               "[0123456789]\n"
	               "EX FETCH|a1 FETCH 1 BODY[]|1|a1 OK done\\x0a* 1 FETCH (BODY[] {16}[16 "
	               "bytes])|OK\n",
	               "imap.message_too_big;");
	ss_caps_defaults(&session_caps);
}

/* Every time a record gives has its frame, and a frame its time: frames
 * number from 1, so readers take a frame of 0 for "no time". Checked on
 * every record of every play (the completion of a command lost in a gap
 * had a time without its frame). */
static unsigned long timed_records, untimed_frames;

static void frames_sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	int ok = 1;
	if (r->kind == REC_EXCHANGE) {
		const struct rec_exchange *x = &r->u.ex;
		ok = !x->ts_cmd == !x->frame_cmd && !x->ts_reply == !x->frame_reply;
	} else if (r->kind == REC_MESSAGE) {
		const struct rec_message *m = &r->u.msg;
		ok = !m->ts_start == !m->frame_start && !m->ts_end == !m->frame_end;
	} else if (r->kind == REC_NOTE) {
		ok = !r->u.note.ts == !r->u.note.frame;
	}
	timed_records++;
	untimed_frames += !ok;
}

/* FETCH data items with long names (RFC 9051 6.4.5, 7.5.2): the header
 * fields real clients ask for (mutt, Thunderbird) run past 80 bytes; each
 * literal is a message part, named in full whatever its length. */
static void long_items(void)
{
#define F77 "BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REPLY-TO)]"
#define MUTT                                                                                       \
	"BODY[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE "   \
	"CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO)]"
#define TB                                                                                         \
	"BODY[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority "          \
	"References Newsgroups In-Reply-To Content-Type Reply-To List-Unsubscribe Received "       \
	"Delivery-Date X-Mozilla-Draft-Info)]"
	static const struct turn t[] = {
	    S("* OK ready\r\n"),
	    C("a1 UID FETCH 5 (UID BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID "
	      "IN-REPLY-TO REPLY-TO)])\r\n"),
	    S("* 1 FETCH (UID 5 " F77 " {14}\r\nSubject: a\r\n\r\n)\r\na1 OK done\r\n"),
	    C("a2 FETCH 2 (FLAGS " MUTT ")\r\n"),
	    S("* 2 FETCH (FLAGS () " MUTT " {14}\r\nSubject: b\r\n\r\n)\r\na2 OK done\r\n"),
	    C("a3 UID FETCH 7 (UID RFC822.SIZE FLAGS " TB ")\r\n"),
	    S("* 3 FETCH (UID 7 RFC822.SIZE 9 FLAGS () " TB " {14}\r\nSubject: c\r\n\r\n)\r\n"
	      "a3 OK done\r\n"),
	};
	session_expect(
	    "FETCH data items named in more than 80 bytes", t, N(t), IMAP,
	    "EX -||1|* OK ready|OK\n"
	    "MSG FETCH user= mailbox= which=UID 5 " F77 " code=-1 PARTIAL "
	    "[Subject: a\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX UID FETCH|a1 UID FETCH 5 (UID BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT "
	    "MESSAGE-ID IN-REPLY-TO REPLY-TO)])|1|a1 OK done\\x0a* 1 FETCH (UID 5 " F77
	    " {14}[14 bytes])|OK\n"
	    "MSG FETCH user= mailbox= which=FETCH 2 " MUTT " code=-1 PARTIAL "
	    "[Subject: b\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX FETCH|a2 FETCH 2 (FLAGS " MUTT ")|1|a2 OK done\\x0a* 2 FETCH (FLAGS () " MUTT
	    " {14}[14 bytes])|OK\n"
	    "MSG FETCH user= mailbox= which=UID 7 " TB " code=-1 PARTIAL "
	    "[Subject: c\\x0d\\x0a\\x0d\\x0a]\n"
	    "EX UID FETCH|a3 UID FETCH 7 (UID RFC822.SIZE FLAGS " TB ")|1|a3 OK done\\x0a* 3 "
	    "FETCH (UID 7 RFC822.SIZE 9 FLAGS () " TB " {14}[14 bytes])|OK\n",
	    "");
#undef F77
#undef MUTT
#undef TB
}

/* The password in every form a server might take (RFC 9051 6.2.3, 4.3;
 * RFC 7888; SP or HTAB between the words, as lenient servers split), and
 * AUTHENTICATE's initial response in forms RFC 4959 does not have: it must
 * appear nowhere unless --show-secrets, and where the line cannot be read
 * everything after the verb is masked. */
struct secret_form {
	const char *name;
	struct turn t[3];
	size_t nt;
	const char *want;
	const char *secret[2]; /* bytes never shown: the password, its base64 */
};

static void secrets(void)
{
	static const struct secret_form f[] = {
	    {"LOGIN with tabs",
	     {C("a1 LOGIN\tuser1\tsecret1x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN\\\\x09user1\\\\x09****|-1|\n",
	     {"secret1x"}},
	    {"LOGIN with runs of spaces",
	     {C("a1  LOGIN  user1   secret2x  \r\n")},
	     1,
	     "EX LOGIN|a1  LOGIN  user1   ****  |-1|\n",
	     {"secret2x"}},
	    {"LOGIN with a user atom that opens a bracket",
	     {C("a1 LOGIN us[er secret3x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN us[er ****|-1|\n",
	     {"secret3x"}},
	    {"LOGIN with a tab before a LITERAL+ password",
	     {C("a1 LOGIN user1\t{8+}\r\nsecret4x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN user1\\\\x09{8+}****|-1|\n",
	     {"secret4x"}},
	    {"LOGIN with a user literal and the password after it",
	     {C("a1 LOGIN {5+}\r\nuser1 secret5x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN {5+}user1 ****|-1|\n",
	     {"secret5x"}},
	    {"LOGIN with a synchronising literal after a bracketed user",
	     {C("a1 LOGIN us[er {8}\r\n"), S("+ go\r\n"), C("secret6x\r\n")},
	     3,
	     "EX LOGIN|a1 LOGIN us[er {8}****|-1|\n",
	     {"secret6x"}},
	    {"LOGIN with an unterminated quoted string",
	     {C("a1 LOGIN \"user1 secret7x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"secret7x"}},
	    {"LOGIN with a string left open before a literal",
	     {C("a1 LOGIN \"user1 {8+}\r\nsecretIx\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"secretIx"}},
	    {"LOGIN with a parenthesised password",
	     {C("a1 LOGIN user1 (secret8x)\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"secret8x"}},
	    {"LOGIN with a parenthesis in the password",
	     {C("a1 LOGIN user1 se)cret9x\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"cret9x"}},
	    {"LOGIN with three arguments",
	     {C("a1 LOGIN user1 secretAx secretBx\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"secretAx", "secretBx"}},
	    {"LOGIN with a literal after the password",
	     {C("a1 LOGIN user1 secretCx {8+}\r\nsecretDx\r\n")},
	     1,
	     "EX LOGIN|a1 LOGIN ****|-1|\n",
	     {"secretCx", "secretDx"}},
	    {"AUTHENTICATE with tabs",
	     {C("a1 AUTHENTICATE\tPLAIN\tAHVzZXIxAHNlY3JldEZ4\r\n")},
	     1,
	     "EX AUTHENTICATE|a1 AUTHENTICATE\\\\x09PLAIN\\\\x09user1 ****|-1|\n",
	     {"secretFx", "AHVzZXIxAHNlY3JldEZ4"}},
	    {"AUTHENTICATE with a literal initial response",
	     {C("a1 AUTHENTICATE PLAIN {20+}\r\nAHVzZXIxAHNlY3JldEd4\r\n")},
	     1,
	     "EX AUTHENTICATE|a1 AUTHENTICATE PLAIN {20+}user1 ****|-1|\n",
	     {"secretGx", "AHVzZXIxAHNlY3JldEd4"}},
	    {"AUTHENTICATE with more than an initial response",
	     {C("a1 AUTHENTICATE PLAIN AHVzZXIxAHNlY3JldEh4 AHVzZXIxAHNlY3JldEh4\r\n")},
	     1,
	     "EX AUTHENTICATE|a1 AUTHENTICATE ****|-1|\n",
	     {"secretHx", "AHVzZXIxAHNlY3JldEh4"}},
	};
	for (size_t i = 0; i < N(f); i++) {
		struct turn t[4] = {S("* OK ready\r\n")};
		memcpy(t + 1, f[i].t, f[i].nt * sizeof t[0]);
		char want[512];
		snprintf(want, sizeof want, "EX -||1|* OK ready|OK\n%s", f[i].want);
		session_expect(f[i].name, t, f[i].nt + 1, IMAP, want, "");
		session_play(t, f[i].nt + 1, IMAP, 0, 0);
		for (int k = 0; k < 2 && f[i].secret[k]; k++)
			session_check(!strstr(session_log, f[i].secret[k]), f[i].name,
			              "the secret is shown");
		/* With --show-secrets it is there: the session did reach it. */
		session_show_secrets = 1;
		session_play(t, f[i].nt + 1, IMAP, 0, 0);
		session_show_secrets = 0;
		session_check(strstr(session_log, f[i].secret[0]) != NULL, f[i].name,
		              "not shown with --show-secrets");
	}
}

/* Picked up inside a FETCH literal (no SYN: the flow is midstream; port
 * 143 decides): the message's last lines - one like a list item, one
 * ending as an announcement would - are skipped up to the completion,
 * which answers a command from before the capture; from there on all is
 * read as usual. */
static void midstream_fetch(void)
{
	static const struct turn t[] = {
	    S("ject: hi\r\n\r\n* Item one\r\n+ more {3}\r\n)\r\na5 OK FETCH completed\r\n"),
	    C("a6 FETCH 2 BODY[]\r\n"),
	    S("* 2 FETCH (BODY[] {4}\r\nhi\r\n)\r\na6 OK done\r\n"),
	    C("a7 LOGOUT\r\n"),
	    S("* BYE bye\r\na7 OK bye\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	session_expect("picked up inside a FETCH literal", t, N(t), IMAP,
	               "EX -|[a command from before the capture]|1|a5 OK FETCH completed|OK\n"
	               "MSG FETCH user= mailbox= which=FETCH 2 BODY[] code=-1 [hi\\x0d\\x0a]\n"
	               "EX FETCH|a6 FETCH 2 BODY[]|1|a6 OK done\\x0a* 2 FETCH (BODY[] {4}[4 "
	               "bytes])|OK\n"
	               "EX LOGOUT|a7 LOGOUT|1|a7 OK bye\\x0a* BYE bye|OK\n",
	               "imap.midstream_skipped;");
	session_capture = 0;
}

/* Picked up inside an APPEND literal: the client's lines are skipped up to
 * the next command; a line in the message that reads as a completion is
 * no command. */
static void midstream_append(void)
{
	static const struct turn t[] = {
	    C("rom: a@b.test\r\nA2 OK looks like a reply\r\n\r\nbye\r\n\r\n"),
	    S("A1 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
	    C("a2 NOOP\r\n"),
	    S("a2 OK done\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	session_expect("picked up inside an APPEND literal", t, N(t), IMAP,
	               "EX -|[a command from before the capture]|1|A1 OK [APPENDUID 38505 3955] "
	               "APPEND completed|OK\n"
	               "EX NOOP|a2 NOOP|1|a2 OK done|OK\n",
	               "imap.midstream_skipped;");
	session_capture = 0;
}

/* Picked up between lines: a greeting only when it reads as one (RFC 9051
 * 7.1.1, 7.1.2, 7.1.5); anything else answers a command from before the
 * capture, untagged data with it, and nothing is an anomaly. */
static void midstream_first_line(void)
{
	static const struct turn t[] = {
	    S("* 3 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen))\r\n"),
	    C("a5 NOOP\r\n"),
	    S("a4 OK done\r\na5 OK\r\n"),
	};
	session_capture = SESSION_NO_HANDSHAKE;
	session_expect("picked up before untagged data", t, N(t), IMAP,
	               "EX -|[a command from before the capture]|1|a4 OK done\\x0a* 3 "
	               "EXISTS\\x0a* 1 FETCH (FLAGS (\\\\\\\\Seen))|OK\n"
	               "EX NOOP|a5 NOOP|1|a5 OK|P|OK\n",
	               "");
	static const struct turn u[] = {
	    S("* PREAUTH [CAPABILITY IMAP4rev2] ready\r\n"),
	    C("a1 SELECT INBOX\r\n"),
	    S("a1 OK done\r\n"),
	};
	session_expect("picked up at a PREAUTH greeting", u, N(u), IMAP,
	               "EX -||1|* PREAUTH [CAPABILITY IMAP4rev2] ready|PREAUTH\n"
	               "NOTE login|the server says the session is already logged in (PREAUTH)\n"
	               "EX SELECT|a1 SELECT INBOX|1|a1 OK done|OK\n",
	               "");
	session_capture = 0;
}

int main(void)
{
	session_init();
	record_sink_add(frames_sink, NULL);
	basic();
	login_literals();
	append();
	fetches();
	authenticate();
	idle();
	opaque();
	deflate_session();
	gaps();
	anomalies();
	caps();
	long_items();
	secrets();
	midstream_fetch();
	midstream_append();
	midstream_first_line();
	session_check(timed_records > 0 && !untimed_frames, "times and frames",
	              "a record has a time without its frame, or a frame without its time");
	return session_done();
}
