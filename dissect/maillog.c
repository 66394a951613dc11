/* maillog.c - what a mail server's log line says about the mail (see
 * maillog.h): Postfix (smtpd, cleanup, qmgr, smtp/lmtp/local/virtual/pipe/
 * error, bounce, pickup; the forms of global/log_adhoc.c, smtpd_check.c's
 * log_whatsup(), smtp_connect.c, qmgr_active.c, bounce_notify_service.c),
 * Dovecot (login processes, imap/pop3 sessions, lmtp and lda deliveries),
 * rspamd's rspamd_task_write_log, OpenDKIM, OpenDMARC, policyd-spf's
 * Received-SPF, and the lab's PowerDNS query log (lab/dns-querylog.lua).
 *
 * Each reader walks the message with indexes into a counted string and
 * never reads past its end: log lines come off the wire and from files
 * anyone may have written. The program is told by the syslog tag, then the
 * line by its shape; a line whose shape breaks off halfway keeps the
 * fields read so far, which is all a timeline needs of a garbled line.
 */
#include "maillog.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define L(s) (s), (sizeof(s) - 1)
#define NPOS ((size_t)-1)

static struct ss_str mk(const uint8_t *p, size_t n)
{
	struct ss_str s = {n ? p : NULL, n};
	return s;
}

/* s[a..b), both held within s. */
static struct ss_str sub(struct ss_str s, size_t a, size_t b)
{
	if (b > s.len)
		b = s.len;
	if (a > b)
		a = b;
	return s.p ? mk(s.p + a, b - a) : mk(NULL, 0);
}

static struct ss_str rest(struct ss_str s, size_t a)
{
	return sub(s, a, s.len);
}

/* Does s hold w[0..k) at i? */
static int at(struct ss_str s, size_t i, const char *w, size_t k)
{
	return i <= s.len && s.len - i >= k && (k == 0 || !memcmp(s.p + i, w, k));
}

static int starts(struct ss_str s, const char *w, size_t k)
{
	return at(s, 0, w, k);
}

static int is(struct ss_str s, const char *w, size_t k)
{
	return s.len == k && at(s, 0, w, k);
}

/* The first w[0..k) in s at or after from; NPOS when none. */
static size_t find(struct ss_str s, size_t from, const char *w, size_t k)
{
	if (!k || from > s.len)
		return NPOS;
	for (size_t i = from; s.len - i >= k; i++)
		if (s.p[i] == (uint8_t)w[0] && !memcmp(s.p + i, w, k))
			return i;
	return NPOS;
}

/* The last w[0..k) wholly in s[0..upto); NPOS when none. */
static size_t rfind(struct ss_str s, size_t upto, const char *w, size_t k)
{
	if (upto > s.len)
		upto = s.len;
	if (!k || upto < k)
		return NPOS;
	for (size_t i = upto - k + 1; i-- > 0;)
		if (s.p[i] == (uint8_t)w[0] && !memcmp(s.p + i, w, k))
			return i;
	return NPOS;
}

static size_t find_byte(struct ss_str s, size_t from, uint8_t b)
{
	for (size_t i = from; i < s.len; i++)
		if (s.p[i] == b)
			return i;
	return NPOS;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal digits only, at most 18 of them; -1 otherwise. */
static long long number(struct ss_str s)
{
	if (!s.len || s.len > 18)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!is_digit(s.p[i]))
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

/* s without SP and HTAB at either end. */
static struct ss_str trim(struct ss_str s)
{
	size_t a = 0, b = s.len;
	while (a < b && (s.p[a] == ' ' || s.p[a] == '\t'))
		a++;
	while (b > a && (s.p[b - 1] == ' ' || s.p[b - 1] == '\t'))
		b--;
	return sub(s, a, b);
}

/* s without one pair of enclosing <>. */
static struct ss_str unangle(struct ss_str s)
{
	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
		return sub(s, 1, s.len - 1);
	return s;
}

/* The field up to the first of ", " or the end, from i. */
static struct ss_str until_comma(struct ss_str s, size_t i, size_t *end)
{
	size_t e = find(s, i, L(", "));
	if (e == NPOS)
		e = s.len;
	*end = e;
	return sub(s, i, e);
}

/* "<...>" at i, whose '>' is followed by the end, ',', ';', ' ' or ':'
 * (an address may hold '>' in a quoted local part). Returns the inside and
 * sets *end past the '>'; without one, the rest and *end = s.len. */
static struct ss_str angle(struct ss_str s, size_t i, size_t *end)
{
	if (i >= s.len || s.p[i] != '<') {
		*end = i;
		return mk(NULL, 0);
	}
	for (size_t j = i + 1; j < s.len; j++) {
		if (s.p[j] != '>')
			continue;
		int next = j + 1 < s.len ? s.p[j + 1] : -1;
		if (next < 0 || next == ',' || next == ';' || next == ' ' || next == ':') {
			*end = j + 1;
			return sub(s, i + 1, j);
		}
	}
	*end = s.len;
	return rest(s, i + 1);
}

/* A token "KEY=<VALUE>" or "KEY=VALUE" found at a list boundary (the start
 * of s, or after SP, ',', ';' or '('), searching from i. Its value: the
 * inside of the <>, or up to SP, ',', ';' or ')'. Empty when absent. */
static struct ss_str value_of(struct ss_str s, size_t i, const char *key, size_t k)
{
	for (size_t p = find(s, i, key, k); p != NPOS; p = find(s, p + 1, key, k)) {
		if (p && s.p[p - 1] != ' ' && s.p[p - 1] != ',' && s.p[p - 1] != ';' &&
		    s.p[p - 1] != '(')
			continue;
		size_t v = p + k, e;
		if (v < s.len && s.p[v] == '<')
			return angle(s, v, &e);
		for (e = v;
		     e < s.len && s.p[e] != ' ' && s.p[e] != ',' && s.p[e] != ';' && s.p[e] != ')';
		     e++)
			;
		return sub(s, v, e);
	}
	return mk(NULL, 0);
}

/* "NAME[ADDR]" and an optional ":PORT" at i, NAME without SP. Sets the
 * peer fields of m and returns the index past it, or NPOS (m untouched). */
static size_t peer_at(struct ss_str s, size_t i, struct maillog *m)
{
	size_t open = NPOS;
	for (size_t j = i; j < s.len && s.p[j] != ' '; j++)
		if (s.p[j] == '[') {
			open = j;
			break;
		}
	if (open == NPOS)
		return NPOS;
	size_t close = find_byte(s, open + 1, ']');
	if (close == NPOS)
		return NPOS;
	size_t end = close + 1;
	int port = -1;
	if (end + 1 < s.len && s.p[end] == ':' && is_digit(s.p[end + 1])) {
		size_t d = end + 1;
		while (d < s.len && is_digit(s.p[d]) && d - end <= 5)
			d++;
		long long v = number(sub(s, end + 1, d));
		if (v >= 0 && v <= 65535) {
			port = (int)v;
			end = d;
		}
	}
	m->relay = sub(s, i, end);
	m->host = sub(s, i, open);
	m->addr = sub(s, open + 1, close);
	m->port = port;
	return end;
}

/* A whole value as a peer: "NAME[ADDR]:PORT", or a bare word ("local",
 * "none", "private/dovecot-lmtp") with no address. */
static void peer_value(struct ss_str v, struct maillog *m)
{
	if (peer_at(v, 0, m) == NPOS) {
		m->relay = v;
		m->host = v;
		m->addr = mk(NULL, 0);
		m->port = -1;
	}
}

/* The run of letters and digits at i. */
static struct ss_str alnum_run(struct ss_str s, size_t i)
{
	size_t e = i;
	while (e < s.len && is_alnum(s.p[e]))
		e++;
	return sub(s, i, e);
}

/* ---- Postfix ---- */

static const char *const postfix_daemons[] = {
    "anvil",    "bounce",          "cleanup",   "discard",  "dnsblog",        "error",    "flush",
    "lmtp",     "local",           "master",    "pickup",   "pipe",           "postdrop", "postlog",
    "postmap",  "postscreen",      "postsuper", "proxymap", "qmgr",           "oqmgr",    "retry",
    "scache",   "sendmail",        "showq",     "smtp",     "smtpd",          "spawn",    "tlsmgr",
    "tlsproxy", "trivial-rewrite", "verify",    "virtual",  "postfix-script", "postqueue"};

static int cstr_is(struct ss_str s, const char *c)
{
	size_t k = 0;
	while (c[k])
		k++;
	return is(s, c, k);
}

/* Postfix's tags: "postfix/smtpd", "postfix/submission/smtpd",
 * "postfix-out/smtp"; any "NAME/.../DAEMON" whose last part is a Postfix
 * daemon (a syslog_name of its own). Sets the program to the last part. */
static int postfix_tag(struct ss_str app, struct ss_str *program)
{
	size_t slash = rfind(app, app.len, L("/"));
	if (slash == NPOS)
		return 0;
	struct ss_str last = rest(app, slash + 1);
	int ok = starts(app, L("postfix"));
	for (size_t i = 0; !ok && i < sizeof postfix_daemons / sizeof postfix_daemons[0]; i++)
		ok = cstr_is(last, postfix_daemons[i]);
	if (ok)
		*program = last;
	return ok;
}

/* Postfix's queue id at the start of msg, followed by ": ": short (upper
 * case hex, mail_queue.h MQID_SH_*) or long (enable_long_queue_ids: a
 * vowel-free base 52 time of ten or more characters, 'z', the inode; the
 * "safe" alphabet keeps words such as "warning" out). strict 0: any
 * 5 to 20 letters and digits (the MTA of a milter may be another one).
 * Returns the length of the id, 0 when there is none. */
static size_t queue_id(struct ss_str msg, int strict)
{
	struct ss_str id = alnum_run(msg, 0);
	if (id.len < 5 || id.len > 20 || !at(msg, id.len, L(": ")))
		return 0;
	if (!strict)
		return is(id, L("NOQUEUE")) ? 0 : id.len;
	int hex = 1, vowel = 0;
	size_t z = NPOS;
	for (size_t i = 0; i < id.len; i++) {
		uint8_t c = id.p[i];
		if (!is_digit(c) && !(c >= 'A' && c <= 'F'))
			hex = 0;
		if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'A' ||
		    c == 'E' || c == 'I' || c == 'O' || c == 'U')
			vowel = 1;
		if (c == 'z')
			z = i;
	}
	if (hex)
		return id.len;
	return !vowel && z != NPOS && z >= 10 && z + 1 < id.len ? id.len : 0;
}

/* "warning: ", "fatal: ", "panic: ", "error: " at the start of r. */
static int severity(struct ss_str r, struct maillog *m)
{
	static const char *const words[] = {"warning", "fatal", "panic", "error"};
	for (size_t i = 0; i < 4; i++) {
		size_t k = 0;
		while (words[i][k])
			k++;
		if (at(r, 0, words[i], k) && at(r, k, L(": "))) {
			m->action = sub(r, 0, k);
			m->text = rest(r, k + 2);
			/* "warning: unknown[1.2.3.4]: SASL LOGIN authentication failed" */
			struct maillog p = *m;
			size_t e = peer_at(r, k + 2, &p);
			if (e != NPOS && at(r, e, L(": ")))
				*m = p;
			return ML_WARNING;
		}
	}
	return ML_NONE;
}

static const char *const actions[] = {"reject",      "milter-reject", "reject_warning", "hold",
                                      "milter-hold", "discard",       "milter-discard", "redirect",
                                      "filter",      "warn",          "prepend",        "replace",
                                      "bcc"};

/* log_whatsup(): "ACTION: STAGE from PEER: TEXT; from=<> to=<> proto= helo=<>"
 * (smtpd, cleanup_milter), and cleanup's header/body checks: "ACTION:
 * header NAME: VALUE from PEER; from=<> to=<> proto= helo=<>: TEXT". */
static int whatsup(struct ss_str r, struct maillog *m)
{
	size_t colon = find(r, 0, L(": "));
	if (colon == NPOS)
		return ML_NONE;
	struct ss_str act = sub(r, 0, colon);
	int known = 0;
	for (size_t i = 0; !known && i < sizeof actions / sizeof actions[0]; i++)
		known = cstr_is(act, actions[i]);
	if (!known)
		return ML_NONE;
	m->action = act;
	int kind = is(act, L("reject")) || is(act, L("milter-reject")) ? ML_REJECT : ML_ACTION;
	size_t s = colon + 2;
	size_t sp = find_byte(r, s, ' ');
	m->stage = sub(r, s, sp == NPOS ? r.len : sp);
	/* where the envelope begins: the first "; KEY" of the envelope, or a
	 * ';' that ends the line (the text may hold "; " of its own) */
	size_t env = NPOS;
	static const char *const keys[] = {"; from=<", "; to=<", "; proto=", "; helo=<"};
	for (size_t i = 0; i < 4; i++) {
		size_t k = 0;
		while (keys[i][k])
			k++;
		size_t p = find(r, s, keys[i], k);
		if (p < env)
			env = p;
	}
	if (env == NPOS && r.len && r.p[r.len - 1] == ';')
		env = r.len - 1;
	size_t upto = env == NPOS ? r.len : env;
	size_t pe = NPOS;
	if (sp != NPOS && at(r, sp, L(" from ")))
		pe = peer_at(r, sp + 6, m);
	if (pe == NPOS) { /* header/body checks: the last " from " before the envelope */
		size_t f = rfind(r, upto, L(" from "));
		if (f != NPOS && f > s)
			pe = peer_at(r, f + 6, m);
	}
	if (pe != NPOS && at(r, pe, L(": ")))
		m->text = sub(r, pe + 2, upto);
	if (env != NPOS) {
		struct ss_str e = rest(r, env + 1);
		m->from = value_of(e, 0, L("from="));
		m->to = value_of(e, 0, L("to="));
		m->proto = value_of(e, 0, L("proto="));
		m->helo = value_of(e, 0, L("helo="));
		if (!m->text.len) { /* header checks: the reply follows "helo=<...>: " */
			size_t h = find(e, 0, L(" helo=<"));
			size_t end = 0;
			if (h != NPOS)
				angle(e, h + 6, &end);
			if (h != NPOS && at(e, end, L(": ")))
				m->text = rest(e, end + 2);
		}
	}
	return kind;
}

/* log_adhoc(): "to=<A>, [orig_to=<A>, ]relay=R, [conn_use=N, ]delay=D,
 * delays=a/b/c/d, dsn=X.Y.Z, status=WORD (TEXT)". */
static int delivery(struct ss_str r, struct maillog *m)
{
	size_t i;
	m->to = angle(r, 3, &i);
	size_t st = find(r, i, L(", status="));
	struct ss_str fields = sub(r, i, st == NPOS ? r.len : st);
	m->orig_to = value_of(fields, 0, L("orig_to="));
	struct ss_str relay = value_of(fields, 0, L("relay="));
	if (relay.len)
		peer_value(relay, m);
	m->conn_use = number(value_of(fields, 0, L("conn_use=")));
	m->delay = value_of(fields, 0, L("delay="));
	m->delays = value_of(fields, 0, L("delays="));
	m->dsn = value_of(fields, 0, L("dsn="));
	if (st == NPOS)
		return ML_DELIVERY;
	size_t w = st + 9, e = w;
	while (e < r.len && r.p[e] != ' ' && r.p[e] != ',')
		e++;
	m->status = sub(r, w, e);
	if (at(r, e, L(" ("))) {
		size_t end = r.len && r.p[r.len - 1] == ')' ? r.len - 1 : r.len;
		m->text = sub(r, e + 2, end);
	} else if (at(r, e, L(", "))) {
		m->text = rest(r, e + 2); /* "status=expired, returned to sender" */
	}
	if (is(m->status, L("sent"))) {
		struct ss_str t = m->text;
		size_t q = find(t, 0, L("queued as "));
		size_t f = find(t, 0, L("forwarded as "));
		if (q != NPOS)
			m->next_queue_id = alnum_run(t, q + 10);
		else if (f != NPOS)
			m->next_queue_id = alnum_run(t, f + 13);
		else if (t.len > 6 && at(t, t.len - 6, L(" Saved"))) {
			/* Dovecot LMTP: "250 2.0.0 <rcpt> SESSION Saved" names the
			 * session its own log lines carry (ML_SAVED) */
			size_t b = rfind(t, t.len - 6, L(" "));
			if (b != NPOS)
				m->next_queue_id = sub(t, b + 1, t.len - 6);
		}
	}
	return ML_DELIVERY;
}

/* qmgr: "from=<A>, size=N, nrcpt=N (queue active)" or "from=<A>,
 * status=expired, returned to sender". */
static int queued(struct ss_str r, struct maillog *m)
{
	size_t i;
	m->from = angle(r, 5, &i);
	if (at(r, i, L(", status="))) {
		size_t w = i + 9, e = w;
		while (e < r.len && r.p[e] != ',' && r.p[e] != ' ')
			e++;
		m->status = sub(r, w, e);
		if (at(r, e, L(", ")))
			m->text = rest(r, e + 2);
		return is(m->status, L("expired")) ? ML_EXPIRED : ML_NONE;
	}
	struct ss_str f = rest(r, i);
	m->size = number(value_of(f, 0, L("size=")));
	m->nrcpt = number(value_of(f, 0, L("nrcpt=")));
	size_t p = find_byte(f, 0, '(');
	if (p != NPOS && f.p[f.len - 1] == ')') /* p: f is not empty */
		m->text = sub(f, p + 1, f.len - 1);
	return m->size >= 0 ? ML_QUEUED : ML_NONE;
}

/* smtp/lmtp giving up on one server: "connect to PEER: REASON", "lost
 * connection with PEER while ...", "conversation with PEER timed out
 * while ...", "host PEER said: ...", "host PEER refused to talk to me:". */
static int failed_conn(struct ss_str r, struct maillog *m)
{
	static const struct {
		const char *w;
		size_t k;
	} forms[] = {{L("connect to ")},
	             {L("lost connection with ")},
	             {L("conversation with ")},
	             {L("host ")}};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		if (!at(r, 0, forms[i].w, forms[i].k))
			continue;
		struct maillog p = *m;
		size_t e = peer_at(r, forms[i].k, &p);
		if (e == NPOS)
			return ML_NONE;
		if (i == 3 && !at(r, e, L(" said: ")) && !at(r, e, L(" refused to talk to me")))
			return ML_NONE;
		*m = p;
		m->text = r;
		return ML_CONNECT_FAILED;
	}
	return ML_NONE;
}

static int postfix(struct ss_str msg, struct maillog *m)
{
	int kind = severity(msg, m);
	if (kind)
		return kind;
	if (starts(msg, L("connect from "))) {
		peer_at(msg, 13, m);
		return ML_CONNECT;
	}
	if (starts(msg, L("disconnect from "))) {
		size_t e = peer_at(msg, 16, m);
		if (e != NPOS && at(msg, e, L(" ")))
			m->text = rest(msg, e + 1);
		return ML_DISCONNECT;
	}
	if (starts(msg, L("connect to ")))
		return failed_conn(msg, m);
	/* smtpd: "lost connection after DATA from PEER", "timeout after ..." */
	if (starts(msg, L("lost connection after ")) || starts(msg, L("timeout after "))) {
		size_t f = find(msg, 0, L(" from "));
		if (f == NPOS)
			return ML_NONE;
		size_t a = find(msg, 0, L("after ")) + 6;
		m->stage = sub(msg, a, f);
		peer_at(msg, f + 6, m);
		m->text = msg;
		return ML_CONNECT_FAILED;
	}
	if (starts(msg, L("NOQUEUE: ")))
		return whatsup(rest(msg, 9), m);
	size_t n = queue_id(msg, 1);
	if (!n)
		return ML_NONE;
	m->queue_id = sub(msg, 0, n);
	struct ss_str r = rest(msg, n + 2);
	if ((kind = severity(r, m)))
		return kind;
	if (starts(r, L("client="))) {
		size_t e;
		struct ss_str v = until_comma(r, 7, &e);
		peer_value(v, m);
		struct ss_str f = rest(r, e);
		m->sasl_method = value_of(f, 0, L("sasl_method="));
		m->sasl_username = value_of(f, 0, L("sasl_username="));
		return ML_CLIENT;
	}
	if (starts(r, L("message-id="))) {
		m->message_id = unangle(trim(rest(r, 11)));
		return ML_MESSAGE_ID;
	}
	if (starts(r, L("to=<")))
		return delivery(r, m);
	if (starts(r, L("from=<")))
		return queued(r, m);
	if (is(r, L("removed")))
		return ML_REMOVED;
	if (starts(r, L("uid="))) {
		m->uid = number(value_of(r, 0, L("uid=")));
		m->from = value_of(r, 0, L("from="));
		return ML_PICKUP;
	}
	size_t note = find(r, 0, L(" notification: "));
	if (note != NPOS) {
		m->text = sub(r, 0, note);
		m->next_queue_id = alnum_run(r, note + 15);
		return ML_NOTIFY;
	}
	if ((kind = failed_conn(r, m)))
		return kind;
	return whatsup(r, m);
}

/* ---- Dovecot ---- */

/* The list "user=<U>, method=M, rip=IP, lip=IP, mpid=N, TLS, session=<S>". */
static void dovecot_list(struct ss_str s, struct maillog *m)
{
	m->user = value_of(s, 0, L("user="));
	m->method = value_of(s, 0, L("method="));
	m->rip = value_of(s, 0, L("rip="));
	m->lip = value_of(s, 0, L("lip="));
	m->session = value_of(s, 0, L("session="));
	m->pid = number(value_of(s, 0, L("mpid=")));
	m->tls = find(s, 0, L(", TLS")) != NPOS || find(s, 0, L(", secured")) != NPOS;
	m->relay = m->rip;
	m->addr = m->rip;
}

/* "imap-login: Login: ...", "... (auth failed, 1 attempts in 2 secs): ..." */
static int dovecot_login(struct ss_str r, struct maillog *m)
{
	/* the list begins at the first ": user=" or ": rip=" */
	size_t list = find(r, 0, L(": user="));
	size_t rip = find(r, 0, L(": rip="));
	if (rip < list)
		list = rip;
	struct ss_str words = sub(r, 0, list == NPOS ? r.len : list);
	dovecot_list(list == NPOS ? mk(NULL, 0) : rest(r, list + 2), m);
	if (starts(r, L("Login: ")))
		return ML_LOGIN;
	size_t open = find_byte(words, 0, '(');
	int paren = open != NPOS && words.p[words.len - 1] == ')';
	m->text = paren ? sub(words, open + 1, words.len - 1) : words;
	if (find(words, 0, L("auth failed")) != NPOS || find(words, 0, L("auth_failed")) != NPOS ||
	    find(words, 0, L("authentication failed")) != NPOS) {
		m->failed = 1;
		return ML_LOGIN;
	}
	if (starts(r, L("Disconnected")) || starts(r, L("Aborted login")) ||
	    starts(r, L("Login aborted")))
		return ML_DISCONNECT;
	return ML_NONE;
}

/* Dovecot's peer: an address ("10.255.2.30", "2001:db8::1") or a word
 * ("local" for a UNIX socket). */
static void dovecot_peer(struct ss_str v, struct maillog *m)
{
	m->relay = v;
	if (v.len && (is_digit(v.p[0]) || find_byte(v, 0, ':') != NPOS))
		m->addr = v;
	else
		m->host = v;
}

/* After "SERVICE(X)[<PID><SESSION>]: ". */
static int dovecot_session(struct ss_str r, struct maillog *m)
{
	if (starts(r, L("Connect from "))) {
		dovecot_peer(trim(rest(r, 13)), m);
		return ML_CONNECT;
	}
	if (starts(r, L("Disconnect from "))) {
		size_t c = find(r, 16, L(": "));
		dovecot_peer(sub(r, 16, c == NPOS ? r.len : c), m);
		if (c != NPOS)
			m->text = rest(r, c + 2);
		return ML_DISCONNECT;
	}
	if (starts(r, L("Disconnected"))) {
		size_t a = 12;
		if (at(r, a, L(": ")))
			a += 2;
		else if (at(r, a, L(" ")))
			a++;
		m->text = rest(r, a);
		return ML_LOGOUT;
	}
	if (starts(r, L("sieve: ")))
		r = rest(r, 7);
	if (!starts(r, L("msgid=")))
		return ML_NONE;
	size_t c = find(r, 6, L(": "));
	if (c == NPOS)
		return ML_NONE;
	m->message_id = unangle(sub(r, 6, c));
	struct ss_str w = rest(r, c + 2);
	if (starts(w, L("saved mail to "))) {
		m->mailbox = rest(w, 14);
		return ML_SAVED;
	}
	if (starts(w, L("stored mail into mailbox "))) {
		struct ss_str b = rest(w, 25);
		if (b.len >= 2 && b.p[0] == '\'' && b.p[b.len - 1] == '\'')
			b = sub(b, 1, b.len - 1);
		m->mailbox = b;
		return ML_SAVED;
	}
	int fail = starts(w, L("save failed to "))                 ? 15
	           : starts(w, L("failed to store into mailbox ")) ? 29
	                                                           : 0;
	if (!fail)
		return ML_NONE;
	size_t e = find(w, (size_t)fail, L(": "));
	struct ss_str b = sub(w, (size_t)fail, e == NPOS ? w.len : e);
	if (b.len >= 2 && b.p[0] == '\'' && b.p[b.len - 1] == '\'')
		b = sub(b, 1, b.len - 1);
	m->mailbox = b;
	if (e != NPOS)
		m->text = rest(w, e + 2);
	m->failed = 1;
	return ML_SAVED;
}

static int dovecot(struct ss_str msg, struct maillog *m)
{
	/* the service: letters, digits, '-' and '_' up to ": " or "(" */
	size_t e = 0;
	while (e < msg.len && (is_alnum(msg.p[e]) || msg.p[e] == '-' || msg.p[e] == '_'))
		e++;
	if (!e)
		return ML_NONE;
	m->program = sub(msg, 0, e);
	if (at(msg, e, L(": "))) {
		if (m->program.len > 6 && at(m->program, m->program.len - 6, L("-login")))
			return dovecot_login(rest(msg, e + 2), m);
		return ML_NONE;
	}
	if (!at(msg, e, L("(")))
		return ML_NONE;
	size_t close = find(msg, e + 1, L("): "));
	size_t lt = find(msg, e + 1, L(")<"));
	if (lt != NPOS && (close == NPOS || lt < close))
		close = lt;
	if (close == NPOS)
		return ML_NONE;
	struct ss_str who = sub(msg, e + 1, close);
	size_t i = close + 1;
	/* "<PID><SESSION>" */
	if (at(msg, i, L("<"))) {
		size_t c1 = find_byte(msg, i, '>');
		if (c1 == NPOS)
			return ML_NONE;
		m->pid = number(sub(msg, i + 1, c1));
		i = c1 + 1;
		if (at(msg, i, L("<"))) {
			size_t c2 = find(msg, i, L(">: "));
			if (c2 == NPOS)
				return ML_NONE;
			m->session = sub(msg, i + 1, c2);
			i = c2 + 1;
		}
	}
	if (!at(msg, i, L(": ")))
		return ML_NONE;
	if (number(who) >= 0 && !m->session.len)
		m->pid = number(who); /* "lmtp(1441): Connect from ..." */
	else
		m->user = who;
	return dovecot_session(rest(msg, i + 2), m);
}

/* ---- the verifiers ---- */

struct word_map {
	const char *w;
	const char *result;
};

/* w as one of the words of map, in any case; NULL when none. */
static const char *map_word(struct ss_str w, const struct word_map *map, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (map[i].w[k])
			k++;
		if (w.len != k)
			continue;
		size_t j = 0;
		while (j < k && (w.p[j] | 0x20) == (map[i].w[j] | 0x20))
			j++;
		if (j == k)
			return map[i].result;
	}
	return NULL;
}

static const struct word_map auth_results[] = {
    {"pass", "pass"},           {"fail", "fail"},      {"softfail", "softfail"},
    {"neutral", "neutral"},     {"none", "none"},      {"temperror", "temperror"},
    {"permerror", "permerror"}, {"policy", "policy"},  {"bestguesspass", "pass"},
    {"reject", "fail"},         {"quarantine", "fail"}};

/* rspamd: "... rspamd_task_write_log: id: <MSGID>, qid: <QID>, ip: IP,
 * [user: U, ]from: <A>, (default: F (no action): [0.00/15.00] [SYMBOLS]),
 * len: ..., rcpts: <A>, ..." (the default log_format of rspamd 3). */
static int rspamd(struct ss_str msg, struct maillog *m)
{
	static const struct word_map rspamd_actions[] = {
	    {"no action", "no action"},     {"greylist", "greylist"},
	    {"add header", "add header"},   {"rewrite subject", "rewrite subject"},
	    {"soft reject", "soft reject"}, {"reject", "reject"}};
	size_t t = find(msg, 0, L("rspamd_task_write_log: "));
	if (t == NPOS)
		return ML_NONE;
	struct ss_str r = rest(msg, t + 23);
	size_t e;
	if (starts(r, L("id: <")))
		m->message_id = angle(r, 4, &e);
	size_t q = find(r, 0, L("qid: <"));
	if (q != NPOS) {
		struct ss_str id = angle(r, q + 5, &e);
		if (!is(id, L("undef")))
			m->queue_id = id;
	}
	size_t ip = find(r, 0, L(", ip: "));
	if (ip != NPOS) {
		m->addr = until_comma(r, ip + 6, &e);
		m->relay = m->addr;
	}
	size_t f = find(r, 0, L(", from: <"));
	if (f != NPOS)
		m->from = angle(r, f + 8, &e);
	size_t rc = find(r, 0, L("rcpts: <"));
	if (rc != NPOS)
		m->to = angle(r, rc + 7, &e);
	m->vmethod = "rspamd";
	/* "(METRIC: T|F|S (ACTION): [SCORE/REQUIRED] [SYMBOLS])" */
	size_t open = NPOS;
	for (size_t p = find(r, 0, L(" (")); p != NPOS; p = find(r, p + 1, L(" ("))) {
		if (p >= 3 && r.p[p - 2] == ' ' && r.p[p - 3] == ':' &&
		    (r.p[p - 1] == 'T' || r.p[p - 1] == 'F' || r.p[p - 1] == 'S')) {
			open = p + 2;
			break;
		}
	}
	if (open == NPOS)
		return ML_VERDICT;
	size_t a = find(r, open, L("): ["));
	if (a == NPOS)
		return ML_VERDICT;
	m->result_text = sub(r, open, a);
	m->result = map_word(m->result_text, rspamd_actions, 6);
	if (!m->result)
		m->result = "other";
	size_t sc = find(r, a + 4, L("] ["));
	if (sc == NPOS)
		return ML_VERDICT;
	m->score = sub(r, a + 4, sc);
	size_t end = find(r, sc + 3, L("]), len: "));
	if (end == NPOS)
		end = rfind(r, r.len, L("])"));
	if (end != NPOS)
		m->detail = sub(r, sc + 3, end);
	return ML_VERDICT;
}

/* OpenDKIM (opendkim.c): "QID: DKIM-Signature field added (s=S, d=D)",
 * "QID: DKIM verification successful", "QID: bad signature data", "QID: no
 * signature data", "QID: signature verification failed: E", "QID: key
 * retrieval failed (s=S, d=D): E", "QID: syntax error: E", and the
 * signature's line "QID: s=S d=D a=A SSL ERRORS". */
static int opendkim(struct ss_str msg, struct maillog *m)
{
	size_t n = queue_id(msg, 0);
	if (!n)
		return ML_NONE;
	struct ss_str r = rest(msg, n + 2);
	m->queue_id = sub(msg, 0, n);
	m->vmethod = "dkim";
	static const struct {
		const char *w;
		size_t k;
		const char *result;
	} forms[] = {{L("DKIM verification successful"), "pass"},
	             {L("bad signature data"), "fail"},
	             {L("no signature data"), "none"},
	             {L("signature verification failed"), "fail"},
	             /* KEYFAIL (DNS) and NOKEY log alike: temperror or permerror */
	             {L("key retrieval failed"), "temperror"},
	             {L("syntax error"), "permerror"}};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		if (!at(r, 0, forms[i].w, forms[i].k))
			continue;
		m->result = forms[i].result;
		m->result_text = sub(r, 0, forms[i].k);
		struct ss_str t = rest(r, forms[i].k);
		if (starts(t, L(" ("))) {
			m->selector = value_of(t, 2, L("s="));
			m->domain = value_of(t, 2, L("d="));
		}
		size_t c = find(t, 0, L(": "));
		if (c != NPOS)
			m->detail = rest(t, c + 2);
		return ML_VERDICT;
	}
	size_t added = find(r, 0, L(" added ("));
	if (starts(r, L("DKIM-Signature ")) && added != NPOS) {
		m->result = "signed";
		m->result_text = sub(r, 0, added + 6);
		struct ss_str t = rest(r, added + 7);
		m->selector = value_of(t, 0, L("s="));
		m->domain = value_of(t, 0, L("d="));
		if (m->domain.len && m->domain.p[m->domain.len - 1] == ')')
			m->domain.len--;
		return ML_VERDICT;
	}
	if (starts(r, L("s=")) && find(r, 0, L(" d=")) != NPOS) {
		m->selector = value_of(r, 0, L("s="));
		m->domain = value_of(r, 0, L("d="));
		size_t d = find(r, 0, L(" d="));
		size_t sp = find_byte(r, d + 3, ' ');
		if (sp != NPOS)
			m->detail = trim(rest(r, sp + 1));
		return ML_VERDICT;
	}
	m->vmethod = NULL;
	return ML_NONE;
}

/* OpenDMARC: "QID: DOMAIN RESULT"; with SPF checks of its own also
 * "QID: SPF(IDENTITY): DOMAIN RESULT". */
static int opendmarc(struct ss_str msg, struct maillog *m)
{
	size_t n = queue_id(msg, 0);
	if (!n)
		return ML_NONE;
	m->queue_id = sub(msg, 0, n);
	struct ss_str r = rest(msg, n + 2);
	const char *method = "dmarc";
	if (starts(r, L("SPF("))) {
		size_t c = find(r, 4, L("): "));
		if (c == NPOS)
			return ML_NONE;
		m->identity = sub(r, 4, c);
		r = rest(r, c + 3);
		method = "spf";
	}
	size_t sp = find_byte(r, 0, ' ');
	if (sp == NPOS || !sp || find_byte(r, sp + 1, ' ') != NPOS)
		return ML_NONE;
	struct ss_str res = rest(r, sp + 1);
	const char *v = map_word(res, auth_results, sizeof auth_results / sizeof auth_results[0]);
	if (!v)
		return ML_NONE;
	m->vmethod = method;
	m->domain = sub(r, 0, sp);
	m->result = v;
	m->result_text = res;
	return ML_VERDICT;
}

/* policyd-spf: "prepend Received-SPF: Pass (mailfrom) identity=mailfrom;
 * client-ip=IP; helo=H; envelope-from=A; receiver=R" (RFC 7208 9.1). */
static int policyd_spf(struct ss_str msg, struct maillog *m)
{
	size_t h = find(msg, 0, L("Received-SPF: "));
	if (h == NPOS)
		return ML_NONE;
	struct ss_str r = rest(msg, h + 14);
	size_t sp = find_byte(r, 0, ' ');
	struct ss_str res = sub(r, 0, sp == NPOS ? r.len : sp);
	const char *v = map_word(res, auth_results, sizeof auth_results / sizeof auth_results[0]);
	if (!v)
		return ML_NONE;
	m->vmethod = "spf";
	m->result = v;
	m->result_text = res;
	m->identity = value_of(r, 0, L("identity="));
	m->addr = value_of(r, 0, L("client-ip="));
	m->relay = m->addr;
	m->helo = value_of(r, 0, L("helo="));
	m->from = value_of(r, 0, L("envelope-from="));
	if (is(m->identity, L("helo"))) {
		m->domain = m->helo;
	} else {
		size_t at_ = rfind(m->from, m->from.len, L("@"));
		m->domain = at_ == NPOS ? m->from : rest(m->from, at_ + 1);
	}
	return ML_VERDICT;
}

/* lab/dns-querylog.lua: "%-9s (%16s) %-26s\t%5s\tIN\t%4s\t%s" - RCODE,
 * the asking host, QNAME, TTL, class, TYPE, the record's data. */
static int pdns(struct ss_str msg, struct maillog *m)
{
	size_t e = 0;
	while (e < msg.len && msg.p[e] >= 'A' && msg.p[e] <= 'Z')
		e++;
	if (!e)
		return ML_NONE;
	size_t i = e;
	while (i < msg.len && msg.p[i] == ' ')
		i++;
	if (i >= msg.len || msg.p[i] != '(')
		return ML_NONE;
	size_t close = find_byte(msg, i, ')');
	if (close == NPOS)
		return ML_NONE;
	/* QNAME, TTL, class and type end at a tab; the data is the rest */
	struct ss_str cols[4];
	size_t p = close + 1;
	for (size_t c = 0; c < 4; c++) {
		size_t t = find_byte(msg, p, '\t');
		if (t == NPOS)
			return ML_NONE;
		cols[c] = trim(sub(msg, p, t));
		p = t + 1;
	}
	m->rcode = sub(msg, 0, e);
	m->asker = trim(sub(msg, i + 1, close));
	m->qname = cols[0];
	m->ttl = cols[1];
	m->qclass = cols[2];
	m->qtype = cols[3];
	m->rdata = trim(rest(msg, p));
	return m->qname.len && m->qtype.len ? ML_DNS : ML_NONE;
}

static int app_is(struct ss_str app, const char *w, size_t k)
{
	return is(app, w, k);
}

int maillog_parse(const struct rec_log *l, struct maillog *out)
{
	static const struct maillog empty = {
	    .size = -1, .nrcpt = -1, .uid = -1, .conn_use = -1, .port = -1, .pid = -1};
	*out = empty;
	struct ss_str app = l->app, msg = l->message;
	int kind = ML_NONE;
	if (postfix_tag(app, &out->program)) {
		kind = postfix(msg, out);
	} else if (starts(app, L("dovecot"))) {
		kind = dovecot(msg, out);
	} else {
		out->program = app;
		if (app_is(app, L("rspamd")))
			kind = rspamd(msg, out);
		else if (app_is(app, L("opendkim")))
			kind = opendkim(msg, out);
		else if (app_is(app, L("opendmarc")))
			kind = opendmarc(msg, out);
		else if (starts(app, L("policyd-spf")) || starts(app, L("policy-spf")))
			kind = policyd_spf(msg, out);
		else if (starts(app, L("pdns")))
			kind = pdns(msg, out);
	}
	out->kind = kind;
	return kind;
}

const char *maillog_kind_name(int kind)
{
	static const char *const names[ML_KINDS] = {
	    [ML_NONE] = "none",
	    [ML_CONNECT] = "connect",
	    [ML_CLIENT] = "client",
	    [ML_DISCONNECT] = "disconnect",
	    [ML_REJECT] = "reject",
	    [ML_ACTION] = "action",
	    [ML_MESSAGE_ID] = "message-id",
	    [ML_QUEUED] = "queued",
	    [ML_EXPIRED] = "expired",
	    [ML_DELIVERY] = "delivery",
	    [ML_REMOVED] = "removed",
	    [ML_NOTIFY] = "notify",
	    [ML_CONNECT_FAILED] = "connect-failed",
	    [ML_PICKUP] = "pickup",
	    [ML_WARNING] = "warning",
	    [ML_LOGIN] = "login",
	    [ML_LOGOUT] = "logout",
	    [ML_SAVED] = "saved",
	    [ML_VERDICT] = "verdict",
	    [ML_DNS] = "dns",
	};
	return kind >= 0 && kind < ML_KINDS && names[kind] ? names[kind] : "none";
}

/* ---- in words ---- */

struct words {
	char *o;
	size_t n, len; /* room (n > 0), bytes written */
};

static void put(struct words *w, const char *c)
{
	for (; *c && w->len + 1 < w->n; c++)
		w->o[w->len++] = *c;
	w->o[w->len] = 0;
}

/* Line bytes, control bytes as '?'. */
static void put_s(struct words *w, struct ss_str s)
{
	for (size_t i = 0; i < s.len && w->len + 1 < w->n; i++) {
		uint8_t c = s.p[i];
		w->o[w->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	w->o[w->len] = 0;
}

static void put_ll(struct words *w, long long v)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", v);
	put(w, b);
}

static void put_upper(struct words *w, struct ss_str s)
{
	for (size_t i = 0; i < s.len && w->len + 1 < w->n; i++) {
		uint8_t c = s.p[i];
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		w->o[w->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	w->o[w->len] = 0;
}

/* "IMAP" of "imap-login", "imap". */
static void put_service(struct words *w, struct ss_str program)
{
	size_t dash = find_byte(program, 0, '-');
	put_upper(w, sub(program, 0, dash == NPOS ? program.len : dash));
}

static void describe_delivery(struct words *w, const struct maillog *m)
{
	struct ss_str st = m->status;
	if (is(st, L("sent"))) {
		if (starts(m->text, L("delivered ")) || starts(m->text, L("forwarded "))) {
			put_s(w, m->text);
			return;
		}
		put(w, "sent to ");
		put_s(w, m->relay);
		if (m->next_queue_id.len && find(m->text, 0, L("queued as ")) != NPOS) {
			put(w, ", queued there as ");
			put_s(w, m->next_queue_id);
		} else if (m->text.len) {
			put(w, ": ");
			put_s(w, m->text);
		}
		return;
	}
	put_s(w, st.len ? st : mk((const uint8_t *)"delivery", 8));
	if (m->text.len) {
		put(w, starts(m->text, L("returned")) ? ", " : ": ");
		put_s(w, m->text);
	}
}

static int cstr_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void describe_verdict(struct words *w, const struct maillog *m)
{
	const char *v = m->vmethod ? m->vmethod : "verdict";
	if (cstr_eq(v, "rspamd")) {
		put(w, "rspamd: ");
		put_s(w, m->result_text.len ? m->result_text : mk((const uint8_t *)"?", 1));
		if (m->score.len) {
			put(w, ", score ");
			put_s(w, m->score);
		}
		if (m->detail.len) {
			put(w, " [");
			put_s(w, m->detail);
			put(w, "]");
		}
		return;
	}
	char up[8];
	size_t k = 0;
	for (; v[k] && k + 1 < sizeof up; k++)
		up[k] = (char)(v[k] >= 'a' && v[k] <= 'z' ? v[k] - 32 : v[k]);
	up[k] = 0;
	put(w, up);
	if (!m->result) {
		put(w, " signature");
	} else if (cstr_eq(m->result, "signed")) {
		put(w, " signed");
	} else {
		put(w, " ");
		put(w, m->result);
	}
	if (m->domain.len) {
		put(w, m->result && cstr_eq(m->result, "signed") ? " as " : " for ");
		put_s(w, m->domain);
	}
	if (m->selector.len) {
		put(w, " (s=");
		put_s(w, m->selector);
		put(w, ")");
	}
	if (m->identity.len) {
		put(w, " (");
		put_s(w, m->identity);
		put(w, ")");
	}
	if (m->addr.len) {
		put(w, " from ");
		put_s(w, m->addr);
	}
	if (m->detail.len) {
		put(w, ": ");
		put_s(w, m->detail);
	}
}

void maillog_describe(const struct maillog *m, char *out, size_t n)
{
	if (!n)
		return;
	struct words w = {out, n, 0};
	out[0] = 0;
	switch (m->kind) {
	case ML_CONNECT:
		put(&w, "connection from ");
		put_s(&w, m->relay);
		break;
	case ML_CLIENT:
		put(&w, "received from ");
		put_s(&w, m->relay);
		if (m->sasl_username.len) {
			put(&w, " as ");
			put_s(&w, m->sasl_username);
		}
		break;
	case ML_DISCONNECT:
		put(&w, "disconnected from ");
		put_s(&w, m->relay);
		if (m->text.len) {
			put(&w, " (");
			put_s(&w, m->text);
			put(&w, ")");
		}
		break;
	case ML_REJECT:
	case ML_ACTION:
		if (is(m->action, L("reject")))
			put(&w, "rejected");
		else if (is(m->action, L("milter-reject")))
			put(&w, "rejected by a milter");
		else
			put_s(&w, m->action);
		if (m->stage.len) {
			put(&w, " at ");
			put_s(&w, m->stage);
		}
		if (m->relay.len) {
			put(&w, " from ");
			put_s(&w, m->relay);
		}
		if (m->text.len) {
			put(&w, ": ");
			put_s(&w, m->text);
		}
		break;
	case ML_MESSAGE_ID:
		put(&w, "message-id <");
		put_s(&w, m->message_id);
		put(&w, ">");
		break;
	case ML_QUEUED:
		put(&w, "queued from <");
		put_s(&w, m->from);
		put(&w, ">, ");
		put_ll(&w, m->size);
		put(&w, " bytes, ");
		put_ll(&w, m->nrcpt);
		put(&w, m->nrcpt == 1 ? " recipient" : " recipients");
		break;
	case ML_EXPIRED:
		put(&w, "expired, returned to sender <");
		put_s(&w, m->from);
		put(&w, ">");
		break;
	case ML_DELIVERY:
		describe_delivery(&w, m);
		break;
	case ML_REMOVED:
		put(&w, "removed from the queue");
		break;
	case ML_NOTIFY:
		put_s(&w, m->text);
		put(&w, " notification queued as ");
		put_s(&w, m->next_queue_id);
		break;
	case ML_CONNECT_FAILED:
	case ML_WARNING:
		if (m->kind == ML_WARNING) { /* the text names the peer, if any */
			put_s(&w, m->action);
			put(&w, ": ");
		}
		put_s(&w, m->text);
		break;
	case ML_PICKUP:
		put(&w, "picked up from <");
		put_s(&w, m->from);
		put(&w, ">");
		if (m->uid >= 0) {
			put(&w, " (uid ");
			put_ll(&w, m->uid);
			put(&w, ")");
		}
		break;
	case ML_LOGIN:
		if (m->failed) {
			put(&w, "login over ");
			put_service(&w, m->program);
			put(&w, " failed");
			if (m->user.len) {
				put(&w, " for ");
				put_s(&w, m->user);
			}
		} else {
			put_s(&w, m->user);
			put(&w, " logged in over ");
			put_service(&w, m->program);
		}
		if (m->method.len) {
			put(&w, " (");
			put_s(&w, m->method);
			put(&w, ")");
		}
		if (m->rip.len) {
			put(&w, " from ");
			put_s(&w, m->rip);
		}
		if (m->failed && m->text.len) {
			put(&w, ": ");
			put_s(&w, m->text);
		}
		break;
	case ML_LOGOUT:
		put_s(&w, m->user);
		put(&w, " left ");
		put_service(&w, m->program);
		if (m->text.len) {
			put(&w, ": ");
			put_s(&w, m->text);
		}
		break;
	case ML_SAVED:
		put(&w, m->failed ? "could not save into " : "saved into ");
		put_s(&w, m->mailbox);
		if (m->failed && m->text.len) {
			put(&w, ": ");
			put_s(&w, m->text);
		}
		break;
	case ML_VERDICT:
		describe_verdict(&w, m);
		break;
	case ML_DNS:
		put_s(&w, m->asker);
		put(&w, " asked ");
		put_s(&w, m->qname);
		put(&w, " ");
		put_s(&w, m->qtype);
		put(&w, ": ");
		put_s(&w, m->rcode);
		if (m->rdata.len) {
			put(&w, " ");
			put_s(&w, m->rdata);
			if (m->ttl.len) {
				put(&w, " (ttl ");
				put_s(&w, m->ttl);
				put(&w, ")");
			}
		}
		break;
	default:
		break;
	}
}
