/* journey.h - one path per message: every copy of it on the wire (each
 * SMTP or LMTP hop, each POP3 or IMAP retrieval), in the order it went,
 * with what the servers' own log lines add (its queue ID at each server,
 * deliveries into a mailbox, deferrals, bounces, hops the capture lacks).
 *
 * Copies are linked as verify/hops.h links them (a copy's client is the
 * server of the copy before, and the copy is that one with fields added
 * on top). The log lines of a server speak of a message by the queue ID
 * that server gave in its 250 reply ("queued as 8B32A108DAE", RFC 5321
 * 4.2 leaves the text free; Postfix, Exim, Sendmail all say it so): a
 * copy's steps at its server are the lines with that ID, and a delivery
 * line's "queued as" names the queue ID of the next hop, which links
 * copies the content could not (a hop that went encrypted, a copy not in
 * the capture). Dovecot's lines speak by Message-ID (a save) and by
 * address (a login).
 *
 * Everything is collected as the run goes and put together at its end
 * (or settled before: journeys_on_settled): at most max_copies copies and
 * max_logs log lines are kept, the oldest going first when too few can be
 * settled (--max-hops, --max-log-lines); with --mermaid also the
 * commands of at most JOURNEY_MAX_SESS open sessions and the last
 * JOURNEY_MAX_DNS DNS questions, each text cut at JOURNEY_MAX_TEXT. All of
 * it, and the walk that puts it together at the end, holds at most
 * max_bytes (--journey-mem), counted as the allocator hands it out: past
 * it the oldest copies or lines go; a walk that would pass it is cut short
 * (journeys_cut).
 */
#ifndef SS_JOURNEY_H
#define SS_JOURNEY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hops.h"
#include "record.h"
#include "verifier.h"

/* A command of a copy's session, with its reply, for the diagrams. */
struct jex {
	char *cmd;   /* as shown (secrets masked), cut to JOURNEY_MAX_TEXT */
	char *reply; /* its first line, cut the same; NULL: no reply came */
	int after;   /* sent after the message (QUIT) */
	int has_ts;  /* ts is there: when it was sent (or, unseen, answered) */
	int64_t ts;
	int64_t ts_reply; /* there when reply is */
};

/* A DNS question and its answer, for the diagrams. */
struct jdns {
	struct ss_addr asker, server;
	int64_t ts;
	char *question; /* "TXT a.test" */
	char *answer;   /* "\"v=spf1 ...\"", "NXDOMAIN"; NULL: none came */
};

/* A copy of a message seen on the wire. */
struct jcopy {
	uint64_t number, from; /* its message number; the copy it was passed on from (0) */
	enum rec_proto p;
	enum rec_role role;
	uint64_t flow;
	struct ss_addr client, server;
	uint16_t server_port;
	int64_t flow_start;       /* the first frame of its flow */
	int64_t ts_start, ts_end; /* there when frame_end is not 0 */
	uint64_t frame_start, frame_end;
	void *mem;              /* the block the texts below are in (not role_name, verdicts) */
	size_t memlen;          /* its size */
	char *queue_id;         /* the server's, from its reply; NULL when none */
	char *mail_from, *rcpt; /* transfers: the envelope (rcpt: the accepted, joined by ", ") */
	char *user;             /* retrievals: who */
	char *message_id, *subject, *author;
	int code;   /* transfers: the reply to the message; -1 none */
	size_t len; /* its bytes */
	int incomplete, partial;
	char *added;     /* the fields its client's host put on the copy before ("Received,
	                    DKIM-Signature") */
	int exact;       /* it is the copy before plus those fields */
	char *role_name; /* --verify: "checking", "submission", ... (NULL without) */
	char *verdicts;  /* --verify: "spf mailfrom pass/pass agree; ..." (ours/theirs) */
	int disagree;    /* --verify: a verdict differs from the receiver's */
	struct jex *ex;  /* --mermaid: the commands of its transaction */
	size_t nex;
	size_t bytes; /* what it holds, for --journey-mem */
};

/* A log line about a message, as kept. Its texts live in one block
 * (mem), each cut at JOURNEY_MAX_TEXT. */
struct jlog {
	int64_t ts;
	uint64_t frame; /* 0: read from a --log file */
	char *host;     /* who wrote it (the syslog HOSTNAME) */
	char *program;  /* "postfix/qmgr", "dovecot" */
	char *queue_id, *next_queue_id, *message_id;
	char *status;    /* deliveries: "sent", "deferred", "bounced", "expired" */
	char *relay;     /* deliveries: "dmarc.mx.b.test[10.255.2.33]:25", "local" */
	char *rcpt;      /* deliveries: to= */
	char *user;      /* logins and saves */
	char *rip, *lip; /* logins: the client's and the server's address */
	char *text;      /* in words (maillog_describe) */
	void *mem;       /* the block the texts above are in */
	uint32_t memlen; /* its size */
	uint8_t timed;   /* ts is there */
	uint8_t lmtp;    /* written by an LMTP client: its deliveries are final (RFC 2033) */
	uint8_t failed;  /* a login or a save that failed */
	uint8_t kind;    /* maillog.h ML_* */
};

enum jstep_kind {
	JS_COPY,      /* a copy on the wire */
	JS_LOG_HOP,   /* passed on to another server: only its log says so */
	JS_DELIVERED, /* into a mailbox, by the log */
	JS_FAILED,    /* deferred, bounced, expired, rejected: by the log */
	JS_QUEUE,     /* in a server's queue before the first copy the capture has, or
	               * a message only the logs show (a notice, a local submission) */
};

struct jstep {
	enum jstep_kind kind;
	int depth;                /* 0: the first; a copy passed on to two servers forks */
	const struct jcopy *copy; /* JS_COPY */
	const struct jlog *log;   /* the other kinds: the line that says it */
	const struct jlog **logs; /* the log lines about it at its server (JS_COPY,
	                           * JS_LOG_HOP: by its queue ID; a retrieval: the login) */
	size_t nlogs;
	int held_known; /* held: how long its server kept it before passing it on */
	int64_t held;
	const char *host;     /* JS_LOG_HOP: the server it went to, as the log names it;
	                       * JS_QUEUE: the server, as its log lines name it */
	const char *queue_id; /* JS_QUEUE: its queue ID there */
	uint64_t tls_flow;    /* JS_LOG_HOP: the TLS session that carried it, unread
	                       * (no key for it), by its flow number; 0: none found */
};

struct journey {
	uint64_t id; /* 1, 2, ... */
	const char *message_id, *subject, *author;
	struct jstep *steps;
	size_t nsteps;
};

struct journey_opts {
	size_t max_copies; /* --max-hops */
	size_t max_logs;   /* --max-log-lines */
	size_t max_bytes;  /* --journey-mem: all of the above, and the walk at the end */
	int sessions;      /* --mermaid: keep commands and DNS questions */
	int verify;        /* verdicts come (journeys_verdicts) */
};

struct journeys;

struct journeys *journeys_new(const struct journey_opts *o);
void journeys_free(struct journeys *j);
/* Every record, with its hop when it is a message (verifier_record). */
void journeys_record(struct journeys *j, const struct ss_record *r, const struct vhop *hop);
/* A flow ended: its session's commands not part of a copy are dropped. */
void journeys_flow_end(struct journeys *j, uint64_t flow);
/* A hop's verdicts (--verify). */
void journeys_verdicts(struct journeys *j, const struct v_hopcheck *h, const char *words);
/* Puts the journeys together (once, at the end); returns how many. */
size_t journeys_build(struct journeys *j);
const struct journey *journeys_get(const struct journeys *j, size_t i);

/* Settling: when the store is full, rather than drop its oldest copies,
 * the journeys are put together and those that can no longer grow are
 * handed to fn and let go. A journey can grow by a later copy only while
 * its copies are in the hop table, and by a log line only while they are
 * the newest: so a journey is settled when all its copies and log lines
 * are in the older half of the store. fn gets the journeys just built
 * (journeys_get), n of them, and settled[i] set for those settled, whose
 * ids (journey.id) follow the ids of those settled before; the others are
 * made again later. When too few are settled (a long chain spanning the
 * store) the oldest copies go as before. Without fn (the default), or with
 * --mermaid, which needs every session whole at the end, nothing settles. */
typedef void journeys_settled_fn(const struct journeys *j, size_t n, const char *settled,
                                 void *ctx);
void journeys_on_settled(struct journeys *j, journeys_settled_fn *fn, void *ctx);
/* How many journeys were settled so far: the ids of the journeys built at
 * the end follow theirs. */
uint64_t journeys_settled(const struct journeys *j);
/* The DNS questions asker put in [from, to), at most max, into out; returns
 * how many (--mermaid). */
size_t journeys_dns(const struct journeys *j, const struct ss_addr *asker, int64_t from, int64_t to,
                    const struct jdns **out, size_t max);
/* Copies and log lines dropped for the caps. */
void journeys_dropped(const struct journeys *j, uint64_t *copies, uint64_t *logs);
/* Whether journeys_build was cut short, its walk having reached what
 * --journey-mem leaves it (the journeys then lack copies or steps). */
int journeys_cut(const struct journeys *j);
/* What is counted against --journey-mem now: the store with what it sets
 * aside for the walk (held), and the most the last walk held at once
 * beside the store (built) - for tests and measurements. */
void journeys_mem(const struct journeys *j, size_t *held, size_t *built);

/* Longest text kept of a command, a reply, a log line. */
#define JOURNEY_MAX_TEXT 200
/* Log lines shown under one step (a queue's lines are one list that every
 * step about it shares: many copies saying one queue ID would show them
 * all, each time); the rest are counted ("and N more", "log_more"). */
#define JOURNEY_MAX_STEP_LOGS 200
/* Commands kept per copy, DNS questions kept in all (--mermaid). */
#define JOURNEY_MAX_EX 24
#define JOURNEY_MAX_DNS 8192
/* Sessions whose commands are kept at once (--mermaid): about 10 KiB
 * each at most; a session past it has no commands in its diagram. */
#define JOURNEY_MAX_SESS 1024

#endif
