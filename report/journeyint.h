/* journeyint.h - what journey.c (collecting) and journeywalk.c (putting
 * together) share: the store of copies, log lines, sessions and DNS
 * questions, the indexes made at the end, and how both count their bytes
 * against --journey-mem.
 *
 * Counting: every allocation is counted as glibc's malloc sizes it
 * (journey_chunk), arrays by their capacity, not their use. What the walk
 * at the end will need is set aside as the run goes (JOURNEY_BUILD_COPY and
 * JOURNEY_BUILD_LOG per copy and line kept), so that collecting leaves it
 * room; the walk then allocates through a budget of what the cap leaves
 * (journeywalk.c), and a shape of copies and lines that would need more is
 * cut short there, never let past the cap.
 */
#ifndef SS_JOURNEYINT_H
#define SS_JOURNEYINT_H

#include "journey.h"

/* What malloc(n) takes with glibc's allocator: n and its 8-byte header,
 * rounded up to 16, at least 32 (verify/dnsstore.c counts the same way);
 * 0 for nothing allocated. */
static inline size_t journey_chunk(size_t n)
{
	if (!n)
		return 0;
	size_t c = (n + 8 + 15) & ~(size_t)15;
	return c < 32 ? 32 : c;
}

/* The walk's bytes set aside per copy and per log line kept: the indexes
 * (a copy 33 bytes, a line 34 and 48 more for a sent delivery), a
 * journey's slot (48) and steps (72 each). A copy is mostly a step and often
 * a journey of its own; a line mostly one of several steps' logs. A walk
 * that needs more than this leaves (every line a journey of its own, say)
 * takes the rest from what the cap has left, or is cut short. */
#define JOURNEY_BUILD_COPY 192
#define JOURNEY_BUILD_LOG 96

/* The commands of a session not yet part of a copy, by flow. */
struct jsess {
	uint64_t flow;
	struct jex ex[JOURNEY_MAX_EX];
	size_t n;
	uint64_t copy; /* the session's last copy: what comes after it (QUIT) goes there */
	struct jsess *next;
};
#define SESS_BUCKETS 4096

struct keyed {
	const char *key;
	size_t i;
	int64_t ts;
};

/* The start of a TLS session of an SMTP or LMTP client (a REC_NOTE "tls"):
 * a hop the logs show and the capture has only encrypted is told by it. */
struct jtls {
	struct ss_addr server;
	uint16_t port;
	uint64_t flow;
	int64_t ts;
};
/* The latest kept; the ring is made at the first and counted in bytes. */
#define JOURNEY_MAX_TLS 4096

struct journeys {
	struct journey_opts o;
	struct jtls *tls;     /* a ring of JOURNEY_MAX_TLS, made at the first note */
	uint64_t ntls;        /* notes seen in all */
	struct jcopy *copies; /* in the order of their numbers */
	size_t ncopies, capcopies;
	struct jlog *logs; /* in the order they came */
	size_t nlogs, caplogs;
	uint64_t dropped_copies, dropped_logs;
	journeys_settled_fn *settled_fn; /* journeys_on_settled */
	void *settled_ctx;
	uint64_t nsettled;   /* journeys settled so far: the ids of those built next follow */
	int settling;        /* journey_settle is running (its build must not start another) */
	size_t settle_retry; /* after one that settled too little: copies and lines to wait for */
	/* counted against o.max_bytes (journey_held() adds the arrays and
	 * what is set aside for the walk) */
	size_t bytes;      /* the copies' and lines' own allocations */
	size_t sess_bytes; /* the sessions and their commands (--mermaid) */
	size_t dns_bytes;  /* the DNS ring and its texts (--mermaid) */
	size_t nsess;      /* sessions open (--mermaid), at most JOURNEY_MAX_SESS */
	struct jsess *sess[SESS_BUCKETS];
	struct jdns *dns; /* a ring of at most JOURNEY_MAX_DNS, grown as it fills */
	size_t ndns, capdns, dnshead;
	/* made by journeys_build (journeywalk.c), within build_max bytes */
	size_t built, build_max, build_peak;
	uint64_t build_refused; /* allocations the budget refused: the journeys are cut short */
	struct journey *js;
	size_t njs, capjs;
	struct keyed *by_qid, *copy_qid, *by_msgid, *logins;
	struct keyed *by_next;  /* deliveries by the queue ID they name ("queued as") */
	struct keyed *by_relay; /* deliveries by the relay's "ADDR]:PORT" */
	size_t nby_next, nby_relay;
	size_t nby_qid, ncopy_qid, nby_msgid, nlogins;
	char *qid_used; /* by_qid entries (the first of each ID): 1 in a journey, 2 its lines
	                 * walked for onward steps */
	const struct jlog **qid_lines;  /* the lines of by_qid, in its order: each ID's list */
	const struct jlog **login_line; /* the lines of logins, in its order */
	char *line_used;                /* lines made an onward step already */
	size_t *kids;                   /* copy indexes by the number they were passed on from */
	size_t nkids;
	char *consumed;
	char *pending;              /* copies in the onward list being made (walk_onward) */
	size_t *qid_skip;           /* copy_qid: past the copies walked already (copy_by_qid) */
	const struct jlog ***lists; /* lists made for one step (with_saves), freed at the end */
	size_t nlists, caplists;
};

/* The TLS session that most likely carried the hop the log line by
 * (a "sent to HOST[ADDR]:PORT" line) tells of: the latest to ADDR:PORT
 * begun before the line and at most JOURNEY_TLS_WINDOW before it; 0 for
 * none. */
uint64_t journey_tls_flow(const struct journeys *j, const char *to, const struct jlog *by);
#define JOURNEY_TLS_WINDOW (600 * (int64_t)1000000000)

/* The bytes the store holds, with its arrays and what is set aside for
 * the walk: what --journey-mem bounds while the run goes. */
size_t journey_held(const struct journeys *j);
/* The same without what is set aside: what the walk's budget is left. */
size_t journey_stored(const struct journeys *j);
/* The arrays of copies and lines made no larger than what they hold. */
void journey_fit(struct journeys *j);
/* The oldest eighth of the copies or the lines, whichever are more, go. */
void journey_drop_eighth(struct journeys *j);
/* The copy numbered n, or NULL. */
struct jcopy *journeys_copy_of(const struct journeys *j, uint64_t n);
/* Frees what journeys_build made. */
void journeys_built_free(struct journeys *j);
/* The store is full: settles what can be (journeywalk.c); 0 when too few
 * journeys were settled (an eighth of the copies and lines together): the
 * caller drops the oldest when there is still no room for what it adds. */
int journey_settle(struct journeys *j);
/* The copies and lines marked in gone[] (by index) leave the store. */
void journey_let_go(struct journeys *j, const char *gone_copy, const char *gone_log);

#endif
