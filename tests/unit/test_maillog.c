/* test_maillog.c - maillog_parse() on every line the lab's servers logged
 * (the logs beside pcaps/NAME.pcap: Postfix, Dovecot, rspamd, OpenDKIM, OpenDMARC, policyd-spf,
 * the PowerDNS query log), with many of their fields checked by hand
 * against the file's text (journey.log's relay chain 8B32A108DAE ->
 * 8DBB7108DBE -> B43791081B2 and its local delivery, lmtp.log's LMTP
 * results); on lines in the forms Postfix's source writes them but the lab
 * did not produce (deferrals, bounces, expiry, notifications, long queue
 * ids, client ports, rejects: global/log_adhoc.c, smtp/smtp_connect.c,
 * smtpd/smtpd_check.c log_whatsup(), qmgr/qmgr_active.c, bounce/); on
 * Dovecot's and the verifiers' other forms; and on every cut of every
 * line and on garbage, which must give ML_NONE or partial facts, never a
 * crash (run it under ASan: make sanitize).
 *
 * Usage: test_maillog SRCDIR
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "maillog.h"
#include "syslog.h"

static int eq(struct ss_str s, const char *want)
{
	return s.len == strlen(want) && (!s.len || !memcmp(s.p, want, s.len));
}

/* NULL-safe: a field the parser left NULL fails the check, no crash. */
static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int has(const char *line, const char *w)
{
	return strstr(line, w) != NULL;
}

/* A record with app and message as given (the bytes are the caller's). */
static struct rec_log rec(const char *app, const char *msg)
{
	struct rec_log l;
	memset(&l, 0, sizeof l);
	l.facility = l.severity = -1;
	l.pid = -1;
	l.app.p = (const uint8_t *)app;
	l.app.len = strlen(app);
	l.message.p = (const uint8_t *)msg;
	l.message.len = strlen(msg);
	return l;
}

static int parse(const char *app, const char *msg, struct maillog *m)
{
	struct rec_log l = rec(app, msg);
	return maillog_parse(&l, m);
}

static char said[512];

static const char *describe(const struct maillog *m)
{
	maillog_describe(m, said, sizeof said);
	return said;
}

/* ---- the lab's files ---- */

struct logline {
	char *text;    /* the file's line */
	char *wire;    /* as the server sent it: "<22>Dec  6 HH:MM:SS HOST TAG MSG" */
	char host[64]; /* the file's columns (tests/syslogfmt.py log_line) */
	char tag[64];
	const char *msg;  /* the message column, its one leading SP dropped */
	struct rec_log l; /* syslog_parse() of wire */
};

struct logfile_lines {
	struct logline *v;
	size_t n;
};

/* The file's lines, each split by the logserver's columns - TIME SP
 * HOST(24) SP TAG(24) MSG - and rebuilt as the datagram it came from. */
static struct logfile_lines load(const char *path)
{
	struct logfile_lines f = {NULL, 0};
	FILE *fp = fopen(path, "rb");
	if (!CHECK(fp != NULL)) {
		printf("cannot open %s\n", path);
		return f;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, fp)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = 0;
		f.v = realloc(f.v, (f.n + 1) * sizeof *f.v);
		struct logline *x = &f.v[f.n++];
		memset(x, 0, sizeof *x);
		x->text = strdup(line);
		char *rest = strchr(x->text, ' ');
		if (!CHECK(rest && strlen(rest + 1) >= 50))
			continue;
		rest++;
		x->msg = rest + 50;
		memcpy(x->host, rest, 24);
		memcpy(x->tag, rest + 25, 24);
		for (int i = 23; i >= 0 && x->host[i] == ' '; i--)
			x->host[i] = 0;
		for (int i = 23; i >= 0 && x->tag[i] == ' '; i--)
			x->tag[i] = 0;
		size_t wn = strlen(rest) + 64;
		x->wire = malloc(wn);
		snprintf(x->wire, wn, "<22>Dec  6 18:00:00 %s %s%s", x->host, x->tag, rest + 49);
		CHECK(!syslog_parse((const uint8_t *)x->wire, strlen(x->wire), &x->l));
	}
	free(line);
	fclose(fp);
	return f;
}

static void unload(struct logfile_lines *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].text);
		free(f->v[i].wire);
	}
	free(f->v);
}

static int line_kind(const struct logline *x, struct maillog *m)
{
	return maillog_parse(&x->l, m);
}

/* The kind each lab line must have, by words of its own (an independent
 * reading: the tag and a substring each). */
static int expected_kind(const struct logline *x)
{
	const char *t = x->tag, *s = x->msg;
	if (!strncmp(t, "pdns_recursor[", 14))
		return ML_DNS;
	if (!strncmp(t, "rspamd[", 7))
		return has(s, "rspamd_task_write_log: ") ? ML_VERDICT : ML_NONE;
	if (!strncmp(t, "opendkim[", 9) || !strncmp(t, "opendmarc[", 10) ||
	    !strncmp(t, "policyd-spf[", 12))
		return ML_VERDICT;
	if (!strncmp(t, "postfix/", 8)) {
		if (!strncmp(s, "connect from ", 13))
			return ML_CONNECT;
		if (!strncmp(s, "disconnect from ", 16))
			return ML_DISCONNECT;
		if (has(s, ": client="))
			return ML_CLIENT;
		if (has(s, ": message-id=<"))
			return ML_MESSAGE_ID;
		if (has(s, " (queue active)"))
			return ML_QUEUED;
		if (has(s, ": removed"))
			return ML_REMOVED;
		if (has(s, ": to=<") && has(s, ", status="))
			return ML_DELIVERY;
		if (has(s, ": uid="))
			return ML_PICKUP;
		if (!strncmp(s, "warning: ", 9))
			return ML_WARNING;
	}
	if (!strncmp(t, "dovecot", 7)) {
		if (has(s, "-login: Login: "))
			return ML_LOGIN;
		if (has(s, ": Disconnected: Logged out "))
			return ML_LOGOUT;
		if (has(s, ": saved mail to ") || has(s, ": save failed to "))
			return ML_SAVED;
		if (has(s, "): Connect from "))
			return ML_CONNECT;
		if (has(s, "): Disconnect from "))
			return ML_DISCONNECT;
	}
	return -1; /* a line this test does not know: it fails */
}

/* Every line of every lab log: the kind, and what each kind must carry. */
static void test_every_line(const char *src)
{
	static const char *const files[] = {"imap.log",
	                                    "journey.log",
	                                    "lmtp.log",
	                                    "pop3.log",
	                                    "scenario1-1.log",
	                                    "scenario1-2.log",
	                                    "scenario2-1.log",
	                                    "scenario2-2.log",
	                                    "scenario3-1.log",
	                                    "scenario3-2.log",
	                                    "scenario4-1.log",
	                                    "scenario4-2.log",
	                                    "scenario4-3.log",
	                                    "scenario4-4.log",
	                                    "opendkim/imap.log",
	                                    "opendkim/pop3.log",
	                                    "opendkim/scenario1-1.log",
	                                    "opendkim/scenario1-2.log",
	                                    "opendkim/scenario2-1.log",
	                                    "opendkim/scenario2-2.log",
	                                    "opendkim/scenario3-1.log",
	                                    "opendkim/scenario3-2.log",
	                                    "opendkim/scenario4-1.log",
	                                    "opendkim/scenario4-2.log",
	                                    "opendkim/scenario4-3.log",
	                                    "opendkim/scenario4-4.log",
	                                    "starttls/scenario4-4.log"};
	size_t count[ML_KINDS] = {0}, total = 0;
	for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/pcaps/%s", src, files[fi]);
		struct logfile_lines f = load(path);
		CHECK(f.n > 0);
		for (size_t i = 0; i < f.n; i++) {
			const struct logline *x = &f.v[i];
			struct maillog m;
			int k = line_kind(x, &m);
			int want = expected_kind(x);
			if (!CHECK(k == want))
				printf("  %s:%zu: %s, expected %s: %s\n", files[fi], i + 1,
				       maillog_kind_name(k), maillog_kind_name(want), x->text);
			total++;
			count[k >= 0 && k < ML_KINDS ? k : 0]++;
			describe(&m);
			CHECK(strlen(said) < sizeof said);
			/* what each kind carries, read again from the text */
			switch (k) {
			case ML_CONNECT:
			case ML_DISCONNECT:
				CHECK(m.relay.len > 0 && m.addr.len > 0);
				break;
			case ML_CLIENT:
			case ML_MESSAGE_ID:
			case ML_QUEUED:
			case ML_REMOVED:
			case ML_PICKUP:
				CHECK(m.queue_id.len == 11);
				CHECK(k != ML_CLIENT || (m.host.len && m.addr.len && m.port == -1));
				CHECK(k != ML_MESSAGE_ID ||
				      (m.message_id.len && m.message_id.p[0] != '<'));
				CHECK(k != ML_QUEUED || (m.size > 0 && m.nrcpt >= 1 && m.from.len));
				break;
			case ML_DELIVERY: {
				CHECK(m.queue_id.len == 11 && m.to.len && m.dsn.len == 5);
				CHECK(eq(m.status, "sent") || eq(m.status, "bounced"));
				const char *qa = strstr(x->text, "queued as ");
				if (qa) /* the next hop's queue id, as the text has it */
					CHECK(m.next_queue_id.len == 11 &&
					      !memcmp(m.next_queue_id.p, qa + 10, 11));
				CHECK(m.delay.len && m.delays.len && m.text.len);
				CHECK(m.relay.len && (eq(m.relay, "local") || m.port > 0));
				break;
			}
			case ML_LOGIN:
				CHECK(eq(m.user, "user1") && eq(m.method, "PLAIN"));
				CHECK(eq(m.rip, "10.255.1.10") && eq(m.lip, "10.255.2.40"));
				CHECK(m.pid > 0 && m.session.len == 16 && !m.failed && !m.tls);
				break;
			case ML_LOGOUT:
				CHECK(eq(m.user, "user1") && m.pid > 0 && m.session.len == 16);
				CHECK(!memcmp(m.text.p, "Logged out ", 11));
				break;
			case ML_VERDICT:
				CHECK(m.vmethod != NULL);
				CHECK(streq(m.vmethod, "rspamd") || streq(m.vmethod, "spf") ||
				      m.queue_id.len == 11);
				break;
			case ML_DNS: {
				/* the name asked is the text's first column after ") " */
				const char *q = strchr(x->text + 49, ')');
				CHECK(q && !strncmp(q + 2, (const char *)m.qname.p, m.qname.len));
				CHECK(eq(m.qclass, "IN") && m.qtype.len >= 1 && m.asker.len > 0);
				CHECK(eq(m.rcode, "NOERROR") || eq(m.rcode, "NXDOMAIN"));
				break;
			}
			default:
				break;
			}
		}
		unload(&f);
	}
	/* grep -c over the files gives these */
	CHECK(total == 1296);
	CHECK(count[ML_DNS] == 311);
	CHECK(count[ML_CONNECT] == 63 && count[ML_DISCONNECT] == 63);
	CHECK(count[ML_CLIENT] == 62 && count[ML_MESSAGE_ID] == 64 && count[ML_QUEUED] == 63);
	CHECK(count[ML_REMOVED] == 63 && count[ML_DELIVERY] == 65 && count[ML_PICKUP] == 1);
	CHECK(count[ML_VERDICT] == 46 && count[ML_LOGIN] == 5 && count[ML_LOGOUT] == 5);
	CHECK(count[ML_SAVED] == 2 && count[ML_WARNING] == 2 && count[ML_NONE] == 481);
}

/* journey.log line n (1-based) parsed. */
static int journey(const struct logfile_lines *f, size_t n, struct maillog *m)
{
	if (!CHECK(n >= 1 && n <= f->n))
		return -1;
	return line_kind(&f->v[n - 1], m);
}

/* journey.log: the message's whole path, field by field, as the file
 * says it. */
static void test_journey(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/journey.log", src);
	struct logfile_lines f = load(path);
	if (!CHECK(f.n == 101))
		return;
	struct maillog m;

	/* 1: "NOERROR   (   client.a.test) dkim.smtp.a.test.  \t     \tIN\tAAAA\t " */
	CHECK(journey(&f, 1, &m) == ML_DNS);
	CHECK(eq(m.rcode, "NOERROR") && eq(m.asker, "client.a.test"));
	CHECK(eq(m.qname, "dkim.smtp.a.test.") && m.ttl.len == 0 && eq(m.qtype, "AAAA"));
	CHECK(m.rdata.len == 0);
	CHECK(!strcmp(describe(&m), "client.a.test asked dkim.smtp.a.test. AAAA: NOERROR"));
	CHECK(journey(&f, 2, &m) == ML_DNS);
	CHECK(eq(m.ttl, "60") && eq(m.qtype, "A") && eq(m.rdata, "10.255.1.21"));
	CHECK(journey(&f, 43, &m) == ML_DNS);
	CHECK(eq(m.qname, "dmarc.b.test.") && eq(m.qtype, "MX") &&
	      eq(m.rdata, "10 dmarc.mx.b.test."));
	CHECK(journey(&f, 62, &m) == ML_DNS); /* a 27-byte name: no padding before the tab */
	CHECK(eq(m.qname, "smtpbook._domainkey.y.test.") && eq(m.qtype, "TXT"));
	CHECK(m.rdata.len > 300 && m.rdata.p[0] == '"' && m.rdata.p[m.rdata.len - 1] == '"');

	/* the first hop: dkim.smtp.a.test takes it from the client */
	CHECK(journey(&f, 5, &m) == ML_CONNECT);
	CHECK(eq(m.program, "smtpd") && eq(m.relay, "client.a.test[10.255.1.10]"));
	CHECK(eq(m.host, "client.a.test") && eq(m.addr, "10.255.1.10") && m.port == -1);
	CHECK(!strcmp(describe(&m), "connection from client.a.test[10.255.1.10]"));
	CHECK(journey(&f, 7, &m) == ML_CLIENT);
	CHECK(eq(m.queue_id, "8B32A108DAE") && eq(m.client, "client.a.test[10.255.1.10]"));
	CHECK(m.sasl_username.len == 0);
	CHECK(journey(&f, 9, &m) == ML_MESSAGE_ID);
	CHECK(eq(m.program, "cleanup") && eq(m.queue_id, "8B32A108DAE"));
	CHECK(eq(m.message_id, "20261206182800.10281@x.test"));
	CHECK(journey(&f, 12, &m) == ML_NONE); /* rspamd's chatter */
	CHECK(journey(&f, 41, &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "rspamd") && streq(m.result, "no action"));
	CHECK(eq(m.queue_id, "8B32A108DAE") && eq(m.message_id, "20261206182800.10281@x.test"));
	CHECK(eq(m.addr, "10.255.1.10") && eq(m.from, "user1@a.test"));
	CHECK(eq(m.to, "user1@dmarc.b.test") && eq(m.score, "0.00/nan"));
	CHECK(eq(m.detail, "DKIM_SIGNED(0.00){y.test:s=smtpbook;}"));
	CHECK(journey(&f, 42, &m) == ML_QUEUED);
	CHECK(eq(m.program, "qmgr") && eq(m.queue_id, "8B32A108DAE") && eq(m.from, "user1@a.test"));
	CHECK(m.size == 414 && m.nrcpt == 1 && eq(m.text, "queue active"));
	CHECK(!strcmp(describe(&m), "queued from <user1@a.test>, 414 bytes, 1 recipient"));
	CHECK(journey(&f, 55, &m) == ML_DISCONNECT);
	CHECK(eq(m.relay, "client.a.test[10.255.1.10]"));
	CHECK(eq(m.text, "helo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"));

	/* dkim.smtp.a.test -> dmarc.mx.b.test, queued there as 8DBB7108DBE */
	CHECK(journey(&f, 49, &m) == ML_CLIENT);
	CHECK(eq(m.queue_id, "8DBB7108DBE") && eq(m.host, "dkim.smtp.a.test"));
	CHECK(journey(&f, 79, &m) == ML_VERDICT);
	CHECK(eq(m.queue_id, "8DBB7108DBE") && streq(m.result, "no action"));
	CHECK(has((const char *)m.detail.p, "DMARC_POLICY_REJECT(0.00){x.test : SPF not aligned"));
	CHECK(m.detail.p[m.detail.len - 1] == '}');
	CHECK(journey(&f, 82, &m) == ML_DELIVERY);
	CHECK(eq(m.program, "smtp") && eq(m.queue_id, "8B32A108DAE"));
	CHECK(eq(m.to, "user1@dmarc.b.test") && m.orig_to.len == 0);
	CHECK(eq(m.relay, "dmarc.mx.b.test[10.255.2.33]:25") && eq(m.host, "dmarc.mx.b.test"));
	CHECK(eq(m.addr, "10.255.2.33") && m.port == 25 && m.conn_use == -1);
	CHECK(eq(m.delay, "1.2") && eq(m.delays, "1.1/0.01/0.01/0.14") && eq(m.dsn, "2.0.0"));
	CHECK(eq(m.status, "sent") && eq(m.text, "250 2.0.0 Ok: queued as 8DBB7108DBE"));
	CHECK(eq(m.next_queue_id, "8DBB7108DBE"));
	CHECK(!strcmp(describe(&m),
	              "sent to dmarc.mx.b.test[10.255.2.33]:25, queued there as 8DBB7108DBE"));
	CHECK(journey(&f, 84, &m) == ML_REMOVED && eq(m.queue_id, "8B32A108DAE"));
	CHECK(!strcmp(describe(&m), "removed from the queue"));

	/* dmarc.mx.b.test -> imap.b.test, queued there as B43791081B2 */
	CHECK(journey(&f, 94, &m) == ML_DELIVERY);
	CHECK(eq(m.queue_id, "8DBB7108DBE") && eq(m.next_queue_id, "B43791081B2"));
	CHECK(eq(m.relay, "imap.b.test[10.255.2.40]:25") && eq(m.delays, "0.13/0.01/0.01/0.01"));
	CHECK(journey(&f, 91, &m) == ML_CLIENT && eq(m.queue_id, "B43791081B2"));
	CHECK(journey(&f, 92, &m) == ML_MESSAGE_ID && eq(m.queue_id, "B43791081B2"));
	CHECK(eq(m.message_id, "20261206182800.10281@x.test"));

	/* imap.b.test delivers it locally, then the client reads it over IMAP */
	CHECK(journey(&f, 97, &m) == ML_DELIVERY);
	CHECK(eq(m.program, "local") && eq(m.queue_id, "B43791081B2"));
	CHECK(eq(m.relay, "local") && m.addr.len == 0 && m.port == -1);
	CHECK(eq(m.status, "sent") && eq(m.text, "delivered to maildir"));
	CHECK(eq(m.delays, "0.01/0.01/0/0") && m.next_queue_id.len == 0);
	CHECK(!strcmp(describe(&m), "delivered to maildir"));
	CHECK(journey(&f, 100, &m) == ML_LOGIN);
	CHECK(eq(m.program, "imap-login") && eq(m.user, "user1") && eq(m.method, "PLAIN"));
	CHECK(eq(m.rip, "10.255.1.10") && eq(m.lip, "10.255.2.40") && m.pid == 31709);
	CHECK(eq(m.session, "nzzPufNhmoAK/wEK") && !m.tls && !m.failed);
	CHECK(!strcmp(describe(&m), "user1 logged in over IMAP (PLAIN) from 10.255.1.10"));
	CHECK(journey(&f, 101, &m) == ML_LOGOUT);
	CHECK(eq(m.program, "imap") && eq(m.user, "user1") && m.pid == 31709);
	CHECK(eq(m.session, "nzzPufNhmoAK/wEK"));
	CHECK(eq(m.text, "Logged out in=86 out=2704 deleted=0 expunged=0 trashed=0 hdr_count=0 "
	                 "hdr_bytes=0 body_count=1 body_bytes=1711"));
	unload(&f);
}

/* lmtp.log: pickup, three LMTP results, Dovecot's side of them. */
static void test_lmtp(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/lmtp.log", src);
	struct logfile_lines f = load(path);
	if (!CHECK(f.n == 12))
		return;
	struct maillog m;
	CHECK(journey(&f, 1, &m) == ML_PICKUP);
	CHECK(eq(m.queue_id, "4DDBB10800C") && m.uid == 0 && eq(m.from, "user1@a.test"));
	CHECK(!strcmp(describe(&m), "picked up from <user1@a.test> (uid 0)"));
	CHECK(journey(&f, 3, &m) == ML_QUEUED && m.nrcpt == 3 && m.size == 426);
	CHECK(journey(&f, 4, &m) == ML_CONNECT);
	CHECK(eq(m.program, "lmtp") && m.pid == 1441 && m.user.len == 0);
	CHECK(eq(m.relay, "10.255.2.30"));
	CHECK(journey(&f, 5, &m) == ML_DELIVERY);
	CHECK(eq(m.program, "lmtp") && eq(m.to, "unknown@b.test") && eq(m.status, "bounced"));
	CHECK(eq(m.relay, "10.255.2.40[10.255.2.40]:24") && m.port == 24 && eq(m.dsn, "5.1.1"));
	CHECK(eq(m.text, "host 10.255.2.40[10.255.2.40] said: 550 5.1.1 <unknown@b.test> User "
	                 "doesn't exist: unknown@b.test (in reply to RCPT TO command)"));
	CHECK(!strcmp(describe(&m), "bounced: host 10.255.2.40[10.255.2.40] said: 550 5.1.1 "
	                            "<unknown@b.test> User doesn't exist: unknown@b.test (in reply "
	                            "to RCPT TO command)"));
	CHECK(journey(&f, 6, &m) == ML_SAVED);
	CHECK(eq(m.user, "user1@b.test") && m.pid == 1441 &&
	      eq(m.session, "PqS7FsxGFWuhBQAAg+zDdQ:R2"));
	CHECK(eq(m.message_id, "20261206202811.1379@a.test") && eq(m.mailbox, "INBOX") &&
	      !m.failed);
	CHECK(!strcmp(describe(&m), "saved into INBOX"));
	CHECK(journey(&f, 7, &m) == ML_DELIVERY && eq(m.status, "sent"));
	/* the LMTP server's session id, which its own line 6 carries */
	CHECK(eq(m.next_queue_id, "PqS7FsxGFWuhBQAAg+zDdQ:R2"));
	CHECK(journey(&f, 8, &m) == ML_DELIVERY && eq(m.dsn, "5.2.2") && eq(m.to, "user2@b.test"));
	CHECK(journey(&f, 9, &m) == ML_MESSAGE_ID); /* the bounce's own message */
	CHECK(eq(m.queue_id, "6CF11108048"));
	CHECK(eq(m.message_id, "20261206112812.6CF11108048@plain.mx.b.test"));
	CHECK(journey(&f, 11, &m) == ML_SAVED && m.failed && eq(m.mailbox, "INBOX"));
	CHECK(eq(m.user, "user2@b.test") &&
	      eq(m.text, "Quota exceeded (mailbox for user is full)"));
	CHECK(!strcmp(describe(&m),
	              "could not save into INBOX: Quota exceeded (mailbox for user is full)"));
	CHECK(journey(&f, 12, &m) == ML_DISCONNECT);
	CHECK(eq(m.relay, "10.255.2.30") && eq(m.text, "Logged out (state=READY)"));
	unload(&f);
}

/* OpenDKIM, OpenDMARC and policyd-spf in pcaps/opendkim/. */
static void test_verifiers_lab(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/opendkim/scenario4-4.log", src);
	struct logfile_lines f = load(path);
	if (!CHECK(f.n == 43))
		return;
	struct maillog m;
	/* 8: "08EB6108133: DKIM-Signature field added (s=smtpbook, d=y.test)" */
	CHECK(journey(&f, 8, &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "dkim") && streq(m.result, "signed"));
	CHECK(eq(m.queue_id, "08EB6108133") && eq(m.selector, "smtpbook") &&
	      eq(m.domain, "y.test"));
	CHECK(!strcmp(describe(&m), "DKIM signed as y.test (s=smtpbook)"));
	/* 18: "prepend Received-SPF: Pass (mailfrom) identity=mailfrom; ..." */
	CHECK(journey(&f, 18, &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "spf") && streq(m.result, "pass") && eq(m.result_text, "Pass"));
	CHECK(eq(m.identity, "mailfrom") && eq(m.addr, "10.255.1.21"));
	CHECK(eq(m.helo, "dkim.smtp.a.test") && eq(m.from, "user1@a.test") &&
	      eq(m.domain, "a.test"));
	CHECK(m.queue_id.len == 0);
	CHECK(!strcmp(describe(&m), "SPF pass for a.test (mailfrom) from 10.255.1.21"));
	/* 22, 23: "F1A91108173: DKIM verification successful", "... s=smtpbook d=y.test
	 * a=rsa-sha256 SSL " */
	CHECK(journey(&f, 22, &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "dkim") && streq(m.result, "pass") && eq(m.queue_id, "F1A91108173"));
	CHECK(journey(&f, 23, &m) == ML_VERDICT && m.result == NULL);
	CHECK(eq(m.selector, "smtpbook") && eq(m.domain, "y.test") &&
	      eq(m.detail, "a=rsa-sha256 SSL"));
	/* 25: "F1A91108173: x.test pass" */
	CHECK(journey(&f, 25, &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "dmarc") && streq(m.result, "pass") && eq(m.domain, "x.test"));
	CHECK(eq(m.queue_id, "F1A91108173"));
	CHECK(!strcmp(describe(&m), "DMARC pass for x.test"));
	unload(&f);

	snprintf(path, sizeof path, "%s/pcaps/opendkim/scenario3-2.log", src);
	f = load(path);
	int bad = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (!strstr(f.v[i].text, "bad signature data"))
			continue;
		bad++;
		CHECK(line_kind(&f.v[i], &m) == ML_VERDICT && streq(m.result, "fail"));
		CHECK(eq(m.result_text, "bad signature data") && m.queue_id.len == 11);
		/* the signature's line comes first here */
		if (!CHECK(i > 0))
			continue;
		CHECK(line_kind(&f.v[i - 1], &m) == ML_VERDICT && m.result == NULL);
		CHECK(eq(m.domain, "fail.dkim.a.test") && m.detail.len > 31);
		CHECK(m.detail.p &&
		      !strncmp((const char *)m.detail.p, "a=rsa-sha256 SSL error:0200008A", 31));
	}
	CHECK(bad == 1);
	unload(&f);
}

/* Postfix lines the lab did not write, in the formats of Postfix's source. */
static void test_postfix_forms(void)
{
	struct maillog m;
	/* log_adhoc(): a deferral after every server refused (relay=none) */
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: to=<user@example.net>, relay=none, delay=30, "
	            "delays=0.02/0.01/30/0, dsn=4.4.1, status=deferred (connect to "
	            "mx.example.net[192.0.2.25]:25: Connection refused)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.queue_id, "4F1A21080C5") && eq(m.relay, "none") && m.addr.len == 0);
	CHECK(eq(m.status, "deferred") && eq(m.dsn, "4.4.1") && eq(m.delays, "0.02/0.01/30/0"));
	CHECK(eq(m.text, "connect to mx.example.net[192.0.2.25]:25: Connection refused"));
	CHECK(m.next_queue_id.len == 0);
	CHECK(!strcmp(describe(&m),
	              "deferred: connect to mx.example.net[192.0.2.25]:25: Connection refused"));
	/* smtp_connect.c: a server skipped, with and without the queue id */
	CHECK(parse("postfix/smtp",
	            "connect to mx1.example.net[192.0.2.25]:25: Connection timed out",
	            &m) == ML_CONNECT_FAILED);
	CHECK(m.queue_id.len == 0 && eq(m.host, "mx1.example.net") && eq(m.addr, "192.0.2.25"));
	CHECK(m.port == 25 &&
	      eq(m.text, "connect to mx1.example.net[192.0.2.25]:25: Connection timed out"));
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: connect to mx2.example.net[2001:db8::25]:25: No route to host",
	            &m) == ML_CONNECT_FAILED);
	CHECK(eq(m.queue_id, "4F1A21080C5") && eq(m.addr, "2001:db8::25") && m.port == 25);
	CHECK(
	    !strcmp(describe(&m), "connect to mx2.example.net[2001:db8::25]:25: No route to host"));
	CHECK(
	    parse(
	        "postfix/lmtp",
	        "connect to private/dovecot-lmtp[private/dovecot-lmtp]: No such file or directory",
	        &m) == ML_CONNECT_FAILED);
	CHECK(eq(m.host, "private/dovecot-lmtp") && eq(m.addr, "private/dovecot-lmtp") &&
	      m.port == -1);
	/* smtp_trouble.c: a soft error at one server, the next one tried */
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: host mx1.example.net[192.0.2.25] said: 421 4.7.0 Try again later "
	            "(in reply to MAIL FROM command)",
	            &m) == ML_CONNECT_FAILED);
	CHECK(eq(m.relay, "mx1.example.net[192.0.2.25]") && m.port == -1);
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: lost connection with mx1.example.net[192.0.2.25] while receiving "
	            "the initial server greeting",
	            &m) == ML_CONNECT_FAILED);
	CHECK(eq(m.host, "mx1.example.net"));
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: conversation with mx1.example.net[192.0.2.25] timed out while "
	            "sending message body",
	            &m) == ML_CONNECT_FAILED);
	/* a bounce: the remote's reply in the parentheses, themselves with parentheses */
	CHECK(parse("postfix/smtp",
	            "4F1A21080C5: to=<nobody@example.net>, relay=mx.example.net[192.0.2.25]:25, "
	            "delay=1.1, delays=0.05/0.01/0.5/0.5, dsn=5.1.1, status=bounced (host "
	            "mx.example.net[192.0.2.25] said: 550 5.1.1 <nobody@example.net>: Recipient "
	            "address rejected: User unknown (in reply to RCPT TO command))",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.status, "bounced") && eq(m.dsn, "5.1.1") && m.port == 25);
	CHECK(eq(m.text, "host mx.example.net[192.0.2.25] said: 550 5.1.1 <nobody@example.net>: "
	                 "Recipient address rejected: User unknown (in reply to RCPT TO command)"));
	CHECK(!strncmp(describe(&m), "bounced: host mx.example.net[192.0.2.25] said: 550", 50));
	/* qmgr_active.c: expired; bounce_notify_service.c: the notifications */
	CHECK(parse("postfix/qmgr",
	            "4F1A21080C5: from=<sender@example.org>, status=expired, returned to sender",
	            &m) == ML_EXPIRED);
	CHECK(eq(m.from, "sender@example.org") && eq(m.status, "expired"));
	CHECK(eq(m.text, "returned to sender"));
	CHECK(!strcmp(describe(&m), "expired, returned to sender <sender@example.org>"));
	CHECK(parse("postfix/bounce", "4F1A21080C5: sender non-delivery notification: 6B3C91080C7",
	            &m) == ML_NOTIFY);
	CHECK(eq(m.queue_id, "4F1A21080C5") && eq(m.next_queue_id, "6B3C91080C7"));
	CHECK(eq(m.text, "sender non-delivery"));
	CHECK(!strcmp(describe(&m), "sender non-delivery notification queued as 6B3C91080C7"));
	CHECK(parse("postfix/bounce",
	            "4F1A21080C5: postmaster non-delivery notification: 7C4D01080C8",
	            &m) == ML_NOTIFY);
	CHECK(eq(m.text, "postmaster non-delivery") && eq(m.next_queue_id, "7C4D01080C8"));
	CHECK(parse("postfix/bounce",
	            "4F1A21080C5: sender delivery status notification: 8D5E11080C9",
	            &m) == ML_NOTIFY);
	CHECK(eq(m.text, "sender delivery status") && eq(m.next_queue_id, "8D5E11080C9"));
	/* enable_long_queue_ids, smtpd_client_port_logging, a submission service */
	CHECK(parse("postfix/submission/smtpd", "connect from unknown[192.0.2.7]:53412", &m) ==
	      ML_CONNECT);
	CHECK(eq(m.program, "smtpd") && eq(m.host, "unknown") && eq(m.addr, "192.0.2.7"));
	CHECK(m.port == 53412 && eq(m.relay, "unknown[192.0.2.7]:53412"));
	CHECK(parse("postfix/submission/smtpd",
	            "4Dq3Yp6ZKSz9sWd: client=unknown[192.0.2.7]:53412, sasl_method=PLAIN, "
	            "sasl_username=alice",
	            &m) == ML_CLIENT);
	CHECK(eq(m.queue_id, "4Dq3Yp6ZKSz9sWd") && m.port == 53412);
	CHECK(eq(m.sasl_method, "PLAIN") && eq(m.sasl_username, "alice"));
	CHECK(!strcmp(describe(&m), "received from unknown[192.0.2.7]:53412 as alice"));
	CHECK(parse("postfix-out/smtp",
	            "4Dq3Yp6ZKSz9sWd: to=<bob@example.net>, orig_to=<bob@alias.example.net>, "
	            "relay=mx.example.net[192.0.2.25]:25, conn_use=2, delay=0.52, "
	            "delays=0.1/0/0.2/0.22, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
	            "4Dq3Yq0Bb2z9sWf)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.program, "smtp") && eq(m.queue_id, "4Dq3Yp6ZKSz9sWd"));
	CHECK(eq(m.orig_to, "bob@alias.example.net") && m.conn_use == 2);
	CHECK(eq(m.next_queue_id, "4Dq3Yq0Bb2z9sWf"));
	CHECK(parse("postfix/qmgr", "4Dq3Yp6ZKSz9sWd: removed", &m) == ML_REMOVED);
	/* words that look like an id are none: vowels, no 'z' */
	CHECK(parse("postfix/qmgr", "Deleted: 1 message", &m) == ML_NONE && m.queue_id.len == 0);
	CHECK(parse("postfix/qmgr", "Bounce4: removed", &m) == ML_NONE);
	/* log_whatsup() */
	CHECK(parse("postfix/smtpd",
	            "NOQUEUE: reject: RCPT from unknown[192.0.2.7]:53412: 554 5.7.1 "
	            "<bob@example.net>: Relay access denied; from=<alice@example.org> "
	            "to=<bob@example.net> proto=ESMTP helo=<client.example.org>",
	            &m) == ML_REJECT);
	CHECK(m.queue_id.len == 0 && eq(m.action, "reject") && eq(m.stage, "RCPT"));
	CHECK(eq(m.relay, "unknown[192.0.2.7]:53412") && m.port == 53412);
	CHECK(eq(m.text, "554 5.7.1 <bob@example.net>: Relay access denied"));
	CHECK(eq(m.from, "alice@example.org") && eq(m.to, "bob@example.net"));
	CHECK(eq(m.proto, "ESMTP") && eq(m.helo, "client.example.org"));
	CHECK(!strcmp(describe(&m), "rejected at RCPT from unknown[192.0.2.7]:53412: 554 5.7.1 "
	                            "<bob@example.net>: Relay access denied"));
	CHECK(parse("postfix/smtpd",
	            "NOQUEUE: reject: CONNECT from unknown[192.0.2.9]: 554 5.7.1 Service "
	            "unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; "
	            "proto=SMTP",
	            &m) == ML_REJECT);
	CHECK(eq(m.stage, "CONNECT") && eq(m.proto, "SMTP") && m.from.len == 0);
	CHECK(eq(m.text, "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using "
	                 "zen.spamhaus.org"));
	CHECK(parse("postfix/smtpd",
	            "4F1A21080C5: reject: RCPT from client.example.org[192.0.2.7]: 450 4.1.8 "
	            "<alice@example.org>: Sender address rejected: Domain not found; "
	            "from=<alice@example.org> to=<bob@example.net> proto=ESMTP "
	            "helo=<client.example.org>",
	            &m) == ML_REJECT);
	CHECK(eq(m.queue_id, "4F1A21080C5") && eq(m.host, "client.example.org"));
	CHECK(
	    parse("postfix/cleanup",
	          "4F1A21080C5: milter-reject: END-OF-MESSAGE from client.example.org[192.0.2.7]: "
	          "5.7.1 Rejected by DMARC policy for example.org; from=<alice@example.org> "
	          "to=<bob@example.net> proto=ESMTP helo=<client.example.org>",
	          &m) == ML_REJECT);
	CHECK(eq(m.action, "milter-reject") && eq(m.stage, "END-OF-MESSAGE"));
	CHECK(eq(m.text, "5.7.1 Rejected by DMARC policy for example.org"));
	CHECK(parse("postfix/cleanup",
	            "4F1A21080C5: reject: header Subject: win money from you from "
	            "client.example.org[192.0.2.7]; from=<alice@example.org> to=<bob@example.net> "
	            "proto=ESMTP helo=<client.example.org>: 5.7.1 message content rejected",
	            &m) == ML_REJECT);
	CHECK(eq(m.stage, "header") && eq(m.addr, "192.0.2.7"));
	CHECK(eq(m.text, "5.7.1 message content rejected") && eq(m.to, "bob@example.net"));
	CHECK(
	    parse(
	        "postfix/cleanup",
	        "4F1A21080C5: hold: header Subject: review me from client.example.org[192.0.2.7]; "
	        "from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<client.example.org>",
	        &m) == ML_ACTION);
	CHECK(eq(m.action, "hold") && eq(m.from, "a@example.org"));
	/* local, virtual, pipe, lmtp over a UNIX socket, error */
	CHECK(parse("postfix/local",
	            "4F1A21080C5: to=<alias@example.net>, orig_to=<postmaster@example.net>, "
	            "relay=local, delay=0.1, delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent "
	            "(forwarded as 9E6F21080CA)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.next_queue_id, "9E6F21080CA") && eq(m.orig_to, "postmaster@example.net"));
	CHECK(!strcmp(describe(&m), "forwarded as 9E6F21080CA"));
	CHECK(parse("postfix/virtual",
	            "4F1A21080C5: to=<bob@example.net>, relay=virtual, delay=0.1, "
	            "delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent (delivered to maildir)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.relay, "virtual") && eq(m.text, "delivered to maildir"));
	CHECK(parse("postfix/pipe",
	            "4F1A21080C5: to=<bob@example.net>, relay=dovecot, delay=0.2, "
	            "delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.relay, "dovecot") && !strcmp(describe(&m), "delivered via dovecot service"));
	CHECK(
	    parse(
	        "postfix/lmtp",
	        "4F1A21080C5: to=<bob@example.net>, relay=mail.example.net[private/dovecot-lmtp], "
	        "delay=0.1, delays=0.05/0.01/0.01/0.03, dsn=2.0.0, status=sent (250 2.0.0 "
	        "<bob@example.net> nV1cGZ2ZjGW0RwAAsMXvjA Saved)",
	        &m) == ML_DELIVERY);
	CHECK(eq(m.addr, "private/dovecot-lmtp") && m.port == -1);
	CHECK(eq(m.next_queue_id, "nV1cGZ2ZjGW0RwAAsMXvjA"));
	CHECK(parse("postfix/retry",
	            "4F1A21080C5: to=<bob@example.net>, relay=none, delay=320, "
	            "delays=320/0.01/0/0, dsn=4.4.1, status=deferred (delivery temporarily "
	            "suspended: connect to mx.example.net[192.0.2.25]:25: Connection refused)",
	            &m) == ML_DELIVERY);
	CHECK(eq(m.program, "retry") && eq(m.status, "deferred"));
	CHECK(
	    parse("postfix/error",
	          "4F1A21080C5: to=<x@example.net>, relay=none, delay=0.02, delays=0.01/0.01/0/0, "
	          "dsn=5.0.0, status=bounced (user unknown)",
	          &m) == ML_DELIVERY);
	CHECK(eq(m.text, "user unknown"));
	/* warnings */
	CHECK(parse("postfix/smtpd",
	            "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
	            &m) == ML_WARNING);
	CHECK(eq(m.action, "warning") && eq(m.addr, "192.0.2.7"));
	CHECK(eq(m.text, "unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"));
	CHECK(parse("postfix/cleanup",
	            "4F1A21080C5: warning: header Subject: hi from unknown[192.0.2.7]; from=<a@x> "
	            "to=<b@y> proto=ESMTP helo=<h>",
	            &m) == ML_WARNING);
	CHECK(eq(m.queue_id, "4F1A21080C5") && eq(m.action, "warning"));
	CHECK(parse("postfix/master",
	            "fatal: parameter inet_interfaces: no local interface found for 192.0.2.1",
	            &m) == ML_WARNING);
	CHECK(eq(m.action, "fatal"));
	/* smtpd losing its client */
	CHECK(parse("postfix/smtpd", "lost connection after DATA from unknown[192.0.2.7]", &m) ==
	      ML_CONNECT_FAILED);
	CHECK(eq(m.stage, "DATA") && eq(m.addr, "192.0.2.7"));
	CHECK(parse("postfix/smtpd", "timeout after END-OF-MESSAGE from unknown[192.0.2.7]:53412",
	            &m) == ML_CONNECT_FAILED);
	CHECK(eq(m.stage, "END-OF-MESSAGE") && m.port == 53412);
	/* not Postfix's: the tag decides */
	CHECK(parse("sendmail", "4F1A21080C5: removed", &m) == ML_NONE);
	CHECK(parse("postfix", "4F1A21080C5: removed", &m) == ML_NONE);
}

static void test_dovecot_forms(void)
{
	struct maillog m;
	CHECK(parse("dovecot",
	            "imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.40, "
	            "mpid=4242, TLS, session=<kFA1rvNhwsDAAAIH>",
	            &m) == ML_LOGIN);
	CHECK(m.tls && m.pid == 4242 && eq(m.session, "kFA1rvNhwsDAAAIH"));
	/* 2.3's login failure, 2.2's two */
	CHECK(parse("dovecot",
	            "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 "
	            "secs): user=<alice>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.40, TLS, "
	            "session=<kFA1rvNhwsDAAAIH>",
	            &m) == ML_LOGIN);
	CHECK(m.failed && eq(m.user, "alice") && eq(m.rip, "192.0.2.7") && m.tls);
	CHECK(eq(m.text, "auth failed, 1 attempts in 2 secs"));
	CHECK(!strcmp(describe(&m), "login over IMAP failed for alice (PLAIN) from 192.0.2.7: auth "
	                            "failed, 1 attempts in 2 secs"));
	CHECK(parse("dovecot",
	            "pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<alice>, "
	            "method=PLAIN, rip=192.0.2.7, lip=192.0.2.40, session=<kFA1rvNhwsDAAAIH>",
	            &m) == ML_LOGIN);
	CHECK(m.failed && eq(m.program, "pop3-login") && !m.tls);
	CHECK(parse("dovecot",
	            "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<alice>, "
	            "method=PLAIN, rip=192.0.2.7, lip=192.0.2.40, TLS, session=<kFA1rvNhwsDAAAIH>",
	            &m) == ML_LOGIN);
	CHECK(m.failed);
	CHECK(
	    parse("dovecot",
	          "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.7, "
	          "lip=192.0.2.40, session=<kFA1rvNhwsDAAAIH>",
	          &m) == ML_DISCONNECT);
	CHECK(eq(m.rip, "192.0.2.7") && m.user.len == 0 && !m.failed);
	CHECK(
	    parse("dovecot",
	          "lda(alice)<4243><kFA1rvNhwsDAAAIH>: sieve: msgid=<m1@example.org>: stored mail "
	          "into mailbox 'INBOX'",
	          &m) == ML_SAVED);
	CHECK(eq(m.program, "lda") && eq(m.user, "alice") && eq(m.mailbox, "INBOX"));
	CHECK(eq(m.message_id, "m1@example.org"));
	CHECK(parse("dovecot", "lda(alice): msgid=<m1@example.org>: saved mail to Spam", &m) ==
	      ML_SAVED);
	CHECK(eq(m.mailbox, "Spam") && m.pid == -1 && m.session.len == 0);
	CHECK(parse("dovecot",
	            "imap(alice)<4242><kFA1rvNhwsDAAAIH>: Disconnected: Connection closed (IDLE "
	            "running for 0.001 + waiting input for 28.999 secs, 2 B in + 10 B out, "
	            "state=wait-input) in=120 out=700",
	            &m) == ML_LOGOUT);
	CHECK(!strncmp((const char *)m.text.p, "Connection closed (IDLE", 23));
	CHECK(parse("dovecot", "pop3(alice): Disconnected: Logged out top=0/0, retr=1/500", &m) ==
	      ML_LOGOUT);
	CHECK(eq(m.user, "alice") && eq(m.program, "pop3"));
	CHECK(!strcmp(describe(&m), "alice left POP3: Logged out top=0/0, retr=1/500"));
	CHECK(parse("dovecot", "master: Dovecot v2.3.19.1 (9b53102964) starting up", &m) ==
	      ML_NONE);
}

static void test_verifier_forms(void)
{
	struct maillog m;
	CHECK(parse("opendkim",
	            "6B3C91080C7: key retrieval failed (s=sel, d=example.org): "
	            "'sel._domainkey.example.org' query timed out",
	            &m) == ML_VERDICT);
	CHECK(streq(m.result, "temperror") && eq(m.selector, "sel") && eq(m.domain, "example.org"));
	CHECK(eq(m.detail, "'sel._domainkey.example.org' query timed out"));
	CHECK(parse("opendkim", "6B3C91080C7: no signature data", &m) == ML_VERDICT);
	CHECK(streq(m.result, "none"));
	CHECK(parse("opendkim", "OpenDKIM Filter v2.11.0 starting (args: -x /etc/opendkim.conf)",
	            &m) == ML_NONE);
	CHECK(parse("opendmarc", "6B3C91080C7: example.org fail", &m) == ML_VERDICT);
	CHECK(streq(m.result, "fail") && eq(m.domain, "example.org"));
	CHECK(parse("opendmarc", "6B3C91080C7: SPF(mailfrom): example.org pass", &m) == ML_VERDICT);
	CHECK(streq(m.vmethod, "spf") && eq(m.identity, "mailfrom"));
	CHECK(parse("opendmarc", "6B3C91080C7: example.org maybe", &m) == ML_NONE);
	CHECK(
	    parse("policyd-spf",
	          "prepend Received-SPF: Softfail (mailfrom) identity=mailfrom; "
	          "client-ip=192.0.2.7; helo=client.example.org; envelope-from=alice@example.org; "
	          "receiver=bob@example.net ",
	          &m) == ML_VERDICT);
	CHECK(streq(m.result, "softfail") && eq(m.domain, "example.org"));
	CHECK(
	    parse("policyd-spf",
	          "prepend Received-SPF: None (no SPF record) identity=helo; client-ip=192.0.2.7; "
	          "helo=client.example.org; envelope-from=alice@example.org; receiver=<UNKNOWN> ",
	          &m) == ML_VERDICT);
	CHECK(streq(m.result, "none") && eq(m.domain, "client.example.org"));
	CHECK(parse("rspamd",
	            "<a1b2c3>; proxy; rspamd_task_write_log: id: <m2@example.org>, qid: <undef>, "
	            "ip: 192.0.2.7, from: <alice@example.org>, (default: T (reject): "
	            "[16.50/15.00] [BAYES_SPAM(5.10){99.99%;},R_SPF_FAIL(1.00){-all;}]), len: "
	            "2048, time: 120.5ms, dns req: 12, digest: <0123>, rcpts: <bob@example.net>, "
	            "mime_rcpt: <bob@example.net>,",
	            &m) == ML_VERDICT);
	CHECK(streq(m.result, "reject") && m.queue_id.len == 0 && eq(m.score, "16.50/15.00"));
	CHECK(eq(m.detail, "BAYES_SPAM(5.10){99.99%;},R_SPF_FAIL(1.00){-all;}"));
	CHECK(!strcmp(describe(&m), "rspamd: reject, score 16.50/15.00 "
	                            "[BAYES_SPAM(5.10){99.99%;},R_SPF_FAIL(1.00){-all;}]"));
}

/* Every cut of every lab line and of the forms above, each in a buffer of
 * its own size (ASan sees a read past it); and bytes of every kind. */
static void test_garbage(const char *src)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pcaps/journey.log", src);
	struct logfile_lines f = load(path);
	static const char *const extra[][2] = {
	    {"postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[192.0.2.7]:53412: 554 5.7.1 x; "
	                      "from=<a> to=<b> proto=ESMTP helo=<c>"},
	    {"postfix/smtp", "4Dq3Yp6ZKSz9sWd: to=<b@x>, orig_to=<c@y>, relay=m[1.2.3.4]:25, "
	                     "conn_use=2, delay=1, delays=1/2/3/4, dsn=2.0.0, status=sent (250 Ok: "
	                     "queued as 4Dq3Yq0Bb2z9sWf)"},
	    {"postfix/cleanup", "4F1A21080C5: reject: header Subject: x from h[1.2.3.4]; from=<a> "
	                        "to=<b> proto=ESMTP helo=<c>: 5.7.1 no"},
	    {"dovecot", "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, "
	                "method=PLAIN, rip=1.2.3.4, lip=5.6.7.8, TLS, session=<x>"},
	    {"dovecot", "lmtp(u@x)<1><s:R2>: sieve: msgid=<m@x>: failed to store into mailbox "
	                "'INBOX': quota"},
	    {"opendkim", "6B3C91080C7: key retrieval failed (s=sel, d=example.org): x"},
	    {"rspamd", "<a>; proxy; rspamd_task_write_log: id: <m>, qid: <Q>, ip: 1, from: <a>, "
	               "(default: F (no action): [0.00/15.00] [X(1){y;}]), len: 1"},
	    {"policyd-spf", "prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=1; "
	                    "helo=h; envelope-from=a@b; receiver=c "}};
	size_t cuts = 0;
	for (size_t i = 0; i < f.n + sizeof extra / sizeof extra[0]; i++) {
		struct rec_log l;
		const char *text;
		if (i < f.n) {
			l = f.v[i].l;
			text = (const char *)l.message.p;
		} else {
			l = rec(extra[i - f.n][0], extra[i - f.n][1]);
			text = extra[i - f.n][1];
		}
		size_t n = l.message.len;
		struct maillog whole;
		int kind = maillog_parse(&l, &whole);
		for (size_t k = 0; k <= n; k++) {
			uint8_t *own = malloc(k ? k : 1);
			memcpy(own, text, k);
			l.message.p = own;
			l.message.len = k;
			struct maillog m;
			int got = maillog_parse(&l, &m);
			/* a cut line is its own kind, or none, or (cut inside the
			 * text) another it also reads as */
			CHECK(got >= 0 && got < ML_KINDS);
			if (k == n)
				CHECK(got == kind);
			maillog_describe(&m, said, sizeof said);
			char tiny[8];
			maillog_describe(&m, tiny, sizeof tiny);
			CHECK(strlen(tiny) < sizeof tiny);
			free(own);
			cuts++;
		}
	}
	CHECK(cuts > 10000);
	unload(&f);
	/* every byte value in every app's parser */
	static const char *const apps[] = {"postfix/smtpd", "postfix/smtp",  "dovecot",
	                                   "rspamd",        "opendkim",      "opendmarc",
	                                   "policyd-spf",   "pdns_recursor", ""};
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(seed % 97);
		uint8_t *own = malloc(n ? n : 1);
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			/* bias towards the bytes the parsers look for */
			static const char pick[] = "<>[]():;, =@.\t0123456789ABCDEFzuser=to=relay=";
			own[k] = (seed >> 16) & 1 ? (uint8_t)pick[(seed >> 8) % (sizeof pick - 1)]
			                          : (uint8_t)(seed >> 8);
		}
		struct rec_log l = rec(apps[round % 9], "");
		l.message.p = own;
		l.message.len = n;
		struct maillog m;
		int got = maillog_parse(&l, &m);
		CHECK(got >= 0 && got < ML_KINDS);
		maillog_describe(&m, said, sizeof said);
		free(own);
		seed = seed * 1103515245u + 12345u;
	}
	/* a control byte is shown as '?' */
	struct maillog m;
	CHECK(parse("postfix/qmgr",
	            "4F1A21080C5: from=<a\001b@x>, status=expired, returned to sender",
	            &m) == ML_EXPIRED);
	CHECK(!strcmp(describe(&m), "expired, returned to sender <a?b@x>"));
}

static void test_names(void)
{
	CHECK(!strcmp(maillog_kind_name(ML_DELIVERY), "delivery"));
	CHECK(!strcmp(maillog_kind_name(ML_CONNECT_FAILED), "connect-failed"));
	CHECK(!strcmp(maillog_kind_name(ML_MESSAGE_ID), "message-id"));
	CHECK(!strcmp(maillog_kind_name(ML_NONE), "none"));
	CHECK(!strcmp(maillog_kind_name(-1), "none") &&
	      !strcmp(maillog_kind_name(ML_KINDS), "none"));
	for (int k = 1; k < ML_KINDS; k++)
		CHECK(strcmp(maillog_kind_name(k), "none") != 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_maillog SRCDIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_every_line(argv[1]);
	test_journey(argv[1]);
	test_lmtp(argv[1]);
	test_verifiers_lab(argv[1]);
	test_postfix_forms();
	test_dovecot_forms();
	test_verifier_forms();
	test_garbage(argv[1]);
	test_names();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
