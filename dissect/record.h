/* record.h - what the dissectors hand to the layers above: one record per
 * thing that happened on the wire and is complete (a DNS question with its
 * answer, a command with its reply, a message).
 *
 * Records are pushed to every registered sink (verify/, report/) the moment
 * they complete, in the order they complete. Everything a record points to
 * is borrowed: it lives until the sink returns, so a sink copies what it
 * keeps. Strings from the wire are counted (pointer and length), may hold
 * any byte, and are never NUL-terminated unless said so.
 *
 * Times: every ts_x goes with a frame_x, the frame that made x happen, and a
 * dissector sets the two together. Frames are numbered from 1; frame_x is 0
 * when x did not happen (a command that got no reply, a query not captured),
 * and then ts_x means nothing. So a time is there exactly when its frame
 * number is not 0: readers test the frame, never the time, since 0 is a
 * time like any other (1970-01-01T00:00:00Z: synthetic captures stamp
 * every frame 0). Times are capture times (sstime.h), in [0, SS_TIME_MAX].
 */
#ifndef SS_RECORD_H
#define SS_RECORD_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct msg; /* message.h */

/* The protocol an exchange, a message or a note came by, typed: the layers
 * above branch on it (and on a message's role), never on the name, which
 * is for people. */
/* RP_TLS: TLS on a port of no protocol smtpsniff reads (its notes only) */
enum rec_proto { RP_SMTP, RP_LMTP, RP_POP3, RP_IMAP, RP_TLS };
/* "smtp", "lmtp", "pop3", "imap", "tls" */
const char *rec_proto_name(enum rec_proto p);

/* What a message record is in the message's life. */
enum rec_role {
	RR_TRANSFER,  /* handed by a client to a server that passes it on or delivers it
	               * (SMTP, LMTP): the hops --verify checks */
	RR_RETRIEVAL, /* read out of a mailbox (POP3 RETR and TOP, IMAP FETCH) */
	RR_APPEND,    /* put into a mailbox by a client (IMAP APPEND) */
};

enum rec_kind {
	REC_DNS,      /* a DNS query and its response; either may be missing */
	REC_EXCHANGE, /* a command and its reply, a greeting, or a reply without a command */
	REC_MESSAGE,  /* a mail message carried by SMTP, POP3 or IMAP */
	REC_NOTE,     /* a change of state worth a line: TLS begins, a login succeeds, ... */
	REC_LOG,      /* a syslog line a host sent (RFC 3164 or RFC 5424) */
};

/* A counted string; p may be NULL when len is 0. */
struct ss_str {
	const uint8_t *p;
	size_t len;
};

struct rec_dns {
	const ldns_pkt *query;    /* NULL when only the response was captured */
	const ldns_pkt *response; /* NULL when no response came (unanswered) */
	/* frame 0: that side was not captured, and its ts means nothing */
	int64_t ts_query, ts_response;
	uint64_t frame_query, frame_response;
	int tcp; /* carried over TCP (RFC 1035 4.2.2 length prefix) */
	/* A message ldns could not parse: the reason ldns gave ("Packet too
	 * short" ...). query/response are then NULL for that side, and raw holds
	 * its bytes. */
	const char *malformed;
	struct ss_str raw;
	/* A query just seen, its response still awaited: handed on at once
	 * (response NULL) so that a verifier knows it was asked; the query's
	 * record proper comes later, answered or not. Nothing is shown of it. */
	int pending;
};

struct rec_exchange {
	enum rec_proto p;
	const char *proto;   /* its name */
	const char *verb;    /* the command verb in upper case ("MAIL", "AUTH"); NULL for a
	                      * greeting or a reply that answers no command */
	struct ss_str cmd;   /* the command line as shown: secrets masked, no line end */
	struct ss_str reply; /* the reply, lines joined by "\n", no final line end; empty
	                      * when none came */
	int code;            /* SMTP: the reply code; POP3: 1 for +OK, 0 for -ERR; IMAP: see
	                      * status; -1 when no reply came */
	const char *status;  /* POP3 "+OK"/"-ERR", IMAP "OK"/"NO"/"BAD"; NULL for SMTP */
	/* frame 0: not seen (a greeting's command, a reply that never came), and
	 * its ts means nothing */
	int64_t ts_cmd, ts_reply;
	uint64_t frame_cmd, frame_reply;
	int pipelined; /* sent before the reply to the previous command came */
};

/* LMTP: what one recipient's reply to the message said. */
struct rec_delivery {
	struct ss_str rcpt;  /* the recipient, as RCPT gave it */
	int code;            /* the reply code */
	struct ss_str reply; /* the reply as shown */
};

struct rec_message {
	enum rec_proto p;
	enum rec_role role;
	const char *proto;  /* its name */
	const char *how;    /* "DATA", "BDAT", "RETR", "TOP", "FETCH", "APPEND" */
	uint64_t number;    /* 1, 2, ... over the whole run */
	struct ss_str data; /* the message bytes exactly (SMTP dot-stuffing removed) */
	int incomplete;     /* bytes are missing (a gap, a cap): never verify as "fail" */
	int partial;        /* only a part was carried (TOP, a partial or section FETCH) */
	/* RR_TRANSFER only (else empty): the envelope and the server's queue id. */
	struct ss_str helo, mail_from, queue_id;
	int code;            /* the server's reply to the message (250, 554...); -1: none came */
	struct ss_str reply; /* that reply as shown, lines joined by "\n" */
	const struct ss_str *rcpt; /* accepted recipients */
	size_t nrcpt;
	int start_unseen; /* the server's go-ahead (354) is not in the capture: the
	                   * message was taken from the client's DATA line on */
	/* LMTP: the server's reply for each accepted recipient, in their order
	 * (RFC 2033 4.2); fewer than nrcpt when the rest never came. */
	const struct rec_delivery *deliveries;
	size_t ndeliveries;
	/* POP3/IMAP only: the user, and the mailbox/message number as said. */
	struct ss_str user, mailbox, which;
	/* its first bytes and its end; each time is there when its frame is not 0 */
	int64_t ts_start, ts_end;
	uint64_t frame_start, frame_end;
	const struct msg *msg; /* the header fields, parsed (message.h) */
};

struct tls_flow;

struct rec_note {
	enum rec_proto p;
	const char *proto;    /* its name */
	const char *what;     /* "tls" (the rest of the flow is TLS), "login", "compress", ... */
	struct ss_str detail; /* words for people */
	int64_t ts;           /* there when frame is not 0 */
	uint64_t frame;
	/* "tls_handshake", "tls_end": what the TLS parser learned of the session
	 * (dissect/tls.h), for the fields of a JSON tls record; else NULL */
	const struct tls_flow *tls;
};

/* A syslog line (dissect/syslog.h). Every string is as the sender wrote it,
 * empty when the line had no such part (or RFC 5424's "-"). */
struct rec_log {
	int facility, severity;          /* from PRI (RFC 5424 6.2.1); -1 when the line had none */
	int version;                     /* 0: RFC 3164 (BSD); 1: RFC 5424 */
	struct ss_str timestamp;         /* "Dec  6 18:27:03", "2003-10-11T22:14:15.003Z" */
	struct ss_str host, app, procid; /* app: the tag or APP-NAME; procid: "[pid]" inside */
	long long pid;                   /* procid as a number; -1 when it is not one */
	struct ss_str msgid, sd;         /* RFC 5424 only: MSGID, STRUCTURED-DATA */
	struct ss_str message;           /* the text after the header (one separating SP dropped) */
	int cut;                         /* the line was longer than --max-line and is cut */
	const char *file;                /* a --log file's name (the record's flow is then NULL
	                                  * and frame 0), or NULL: the wire */
	uint64_t line;                   /* its line number in that file */
	int timed;                       /* a file's line: ts is the time the line gives */
	int64_t ts;                      /* the datagram (TCP: the line's first bytes) */
	uint64_t frame;
};

struct ss_record {
	enum rec_kind kind;
	const struct ss_flow *flow;
	union {
		struct rec_dns dns;
		struct rec_exchange ex;
		struct rec_message msg;
		struct rec_note note;
		struct rec_log log;
	} u;
};

typedef void ss_record_fn(const struct ss_record *r, void *ctx);

/* Adds a sink; sinks get every record in the order they were added.
 * Returns -1 when the table (8 sinks) is full. */
int record_sink_add(ss_record_fn *fn, void *ctx);
/* Removes every sink (tests). */
void record_sink_clear(void);
void record_emit(const struct ss_record *r);
/* The calling thread's records go to fn alone (NULL: to the sinks again):
 * a worker thread (reassembly/handoff.h) hands them on to the thread that
 * puts them in order, which numbers the messages. On such a thread
 * record_message_number() gives 0. */
void record_thread_sink(ss_record_fn *fn, void *ctx);
/* Emits a REC_NOTE of protocol p on flow f: what changed, in detail[0..len). */
void record_note(const struct ss_flow *f, enum rec_proto p, const char *what, const char *detail,
                 size_t len, int64_t ts, uint64_t frame);
/* The same for a note about a TLS session, with what its parser learned. */
void record_note_tls(const struct ss_flow *f, enum rec_proto p, const char *what,
                     const char *detail, size_t len, int64_t ts, uint64_t frame,
                     const struct tls_flow *t);
/* The next message number of the run (1, 2, ...). */
uint64_t record_message_number(void);
/* Numbering starts again at 1: a second pass over the same input (a
 * display filter's first pass, cli/) numbers the messages the same. */
void record_numbers_reset(void);

#endif
