/* maillog.h - what a mail server's log line says about the mail: Postfix's
 * queue and delivery lines, Dovecot's logins and deliveries, the verdicts
 * of rspamd, OpenDKIM, OpenDMARC and policyd-spf, and the lab's PowerDNS
 * query log, read out of a syslog record (record.h rec_log) into named
 * fields.
 *
 * maillog_parse() is a pure function: no state, no allocation. Every
 * string it gives points into the record's own bytes, so it lives as long
 * as the record does (a sink copies what it keeps). A line it does not
 * know is ML_NONE; a line it knows but finds garbled gives the kind and
 * whatever fields could be read (empty ss_str, -1 numbers for the rest).
 */
#ifndef SS_MAILLOG_H
#define SS_MAILLOG_H

#include <stddef.h>

#include "record.h"

enum maillog_kind {
	ML_NONE,           /* nothing this module knows */
	ML_CONNECT,        /* smtpd "connect from NAME[ADDR]"; Dovecot lmtp "Connect from ADDR" */
	ML_CLIENT,         /* smtpd "QID: client=NAME[ADDR]", maybe sasl_username= */
	ML_DISCONNECT,     /* smtpd "disconnect from NAME[ADDR] ehlo=1 ..."; Dovecot lmtp
	                    * "Disconnect from ADDR: ...", a login process's disconnect */
	ML_REJECT,         /* "NOQUEUE: reject: RCPT from ...", "QID: reject: ...",
	                    * "QID: milter-reject: ..." */
	ML_ACTION,         /* the same form with another action: hold, discard, redirect,
	                    * filter, warn, reject_warning, milter-hold, milter-discard */
	ML_MESSAGE_ID,     /* cleanup "QID: message-id=<ID>" */
	ML_QUEUED,         /* qmgr "QID: from=<A>, size=N, nrcpt=N (queue active)" */
	ML_EXPIRED,        /* qmgr "QID: from=<A>, status=expired, returned to sender" */
	ML_DELIVERY,       /* "QID: to=<A>, ... relay=..., ... dsn=X.Y.Z, status=WORD (TEXT)" */
	ML_REMOVED,        /* "QID: removed" */
	ML_NOTIFY,         /* bounce "QID: sender non-delivery notification: NEWQID" */
	ML_CONNECT_FAILED, /* smtp/lmtp "[QID: ]connect to NAME[ADDR]:PORT: REASON", "QID: lost
	                    * connection with ...", "QID: host ... said: ..." (that host is
	                    * given up for this delivery); smtpd "lost connection after CMD
	                    * from NAME[ADDR]", "timeout after ..." */
	ML_PICKUP,         /* pickup "QID: uid=N from=<A>" */
	ML_WARNING,        /* Postfix "[QID: ]warning: ...", also fatal:, panic:, error: */
	ML_LOGIN,          /* Dovecot "imap-login: Login: user=<U>, method=M, rip=..." and
	                    * the login failures ("auth failed"): failed is 1 */
	ML_LOGOUT,         /* Dovecot "imap(U)<PID><SESSION>: Disconnected: TEXT" */
	ML_SAVED,          /* Dovecot lmtp/lda "msgid=<ID>: saved mail to BOX", "stored mail
	                    * into mailbox 'BOX'"; "save failed to BOX: ..." (failed 1) */
	ML_VERDICT,        /* a verifier's decision (vmethod, result) */
	ML_DNS,            /* one record of an answer in the lab's PowerDNS query log */
	ML_KINDS
};

struct maillog {
	int kind;                    /* enum maillog_kind */
	struct ss_str program;       /* Postfix: the tag's last part ("smtpd" of
	                              * "postfix/submission/smtpd"); Dovecot: the service
	                              * ("imap-login", "imap", "lmtp"); else the app */
	struct ss_str queue_id;      /* Postfix's (short hex or long), also the verifiers' */
	struct ss_str next_queue_id; /* the next queue's id for this message: "queued as X" of a
	                              * sent delivery, a notification's new QID, local's
	                              * "forwarded as X", Dovecot LMTP's "<rcpt> SESSION Saved" */
	/* The other end, as written ("client.a.test[10.255.1.10]:25", "local",
	 * "none", "private/dovecot-lmtp"): the relay of a delivery or a failed
	 * connection, the client of smtpd's lines, rspamd's ip, policyd-spf's
	 * client-ip, Dovecot's rip or LMTP peer. Split into its name, address
	 * (text, as in the brackets) and port (-1: none). */
	union {
		struct ss_str relay;
		struct ss_str client;
	};
	struct ss_str host, addr;
	int port;
	struct ss_str message_id;    /* without the <> */
	struct ss_str from, to;      /* envelope, without the <> */
	struct ss_str orig_to;       /* a delivery's orig_to=<> */
	long long size, nrcpt;       /* qmgr; -1 when not given */
	long long uid;               /* pickup's uid=; -1 */
	long long conn_use;          /* a delivery's conn_use=; -1 */
	struct ss_str delay, delays; /* "1.2", "1.1/0.01/0.01/0.14" */
	struct ss_str dsn, status;   /* "2.0.0", "sent" | "deferred" | "bounced" | "expired" ... */
	struct ss_str text;          /* the words in parentheses after status= (the remote reply,
	                              * "delivered to maildir"); a reject's reply; a warning's,
	                              * a failed connection's or a logout's words; a login
	                              * failure's reason; a notification's kind ("sender
	                              * non-delivery") */
	struct ss_str action;        /* ML_REJECT/ML_ACTION: "reject", "milter-reject", "hold" ...;
	                              * ML_WARNING: "warning", "fatal", "panic", "error" */
	struct ss_str stage;       /* ML_REJECT/ML_ACTION: "RCPT", "END-OF-MESSAGE", "header" ... */
	struct ss_str helo, proto; /* a reject's helo=<> and proto= */
	struct ss_str sasl_method, sasl_username; /* smtpd's client= line */
	/* Dovecot */
	struct ss_str user, method; /* user=<U> (or the U of "imap(U)"), method=PLAIN */
	struct ss_str rip, lip;     /* remote and local IP */
	struct ss_str session;      /* session=<S>, or the S of "<PID><S>" */
	struct ss_str mailbox;      /* ML_SAVED: the mailbox */
	long long pid;              /* mpid= of a login, the PID of "<PID><S>"; -1 */
	int tls;                    /* a login said TLS */
	int failed;                 /* ML_LOGIN: authentication failed; ML_SAVED: not saved */
	/* ML_VERDICT */
	const char *vmethod;       /* "dkim", "spf", "dmarc", "rspamd"; NULL */
	const char *result;        /* lower case: "pass", "fail", "none", "softfail",
	                            * "neutral", "temperror", "permerror", "policy",
	                            * "signed" (a signature added); rspamd's action ("no
	                            * action", "reject", "add header", "rewrite subject",
	                            * "soft reject", "greylist", or "other"); NULL when
	                            * the line tells a signature's details, no result
	                            * (OpenDKIM's "QID: s=S d=D a=A SSL ...") */
	struct ss_str result_text; /* the result as written ("Pass", "bad signature data") */
	struct ss_str domain;      /* the domain judged: d= of DKIM, DMARC's From domain,
	                            * SPF's envelope-from (or HELO) domain */
	struct ss_str selector;    /* DKIM s= */
	struct ss_str identity;    /* SPF: "mailfrom" or "helo" */
	struct ss_str score;       /* rspamd: "0.00/15.00" */
	struct ss_str detail;      /* rspamd's symbols; OpenDKIM's "a=rsa-sha256 SSL ..." */
	/* ML_DNS: "RCODE (ASKER) QNAME TTL IN TYPE RDATA" */
	struct ss_str rcode, asker, qname, ttl, qclass, qtype, rdata; /* ttl, rdata: empty
	                                                               * when the answer has no
	                                                               * record yet */
};

/* Reads l's app and message. Returns out->kind; out is always filled
 * (ML_NONE and empty fields when the line says nothing known). */
int maillog_parse(const struct rec_log *l, struct maillog *out);

/* "connect", "client", "disconnect", "reject", "action", "message-id",
 * "queued", "expired", "delivery", "removed", "notify", "connect-failed",
 * "pickup", "warning", "login", "logout", "saved", "verdict", "dns";
 * "none" for ML_NONE and anything out of range. */
const char *maillog_kind_name(int kind);

/* One line of English for people ("delivered to maildir", "sent to
 * dmarc.mx.b.test[10.255.2.33]:25, queued there as 8DBB7108DBE",
 * "deferred: connect to ...: Connection refused"). Always NUL-terminates
 * out (n > 0), cutting at n - 1 bytes; control bytes of the line are shown
 * as '?'. */
void maillog_describe(const struct maillog *m, char *out, size_t n);

#endif
