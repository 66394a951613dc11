/* journeyint.h - what journey.c (collecting) and journeywalk.c (putting
 * together) share: the store of copies, log lines, sessions and DNS
 * questions, and the indexes made at the end.
 */
#ifndef SS_JOURNEYINT_H
#define SS_JOURNEYINT_H

#include "journey.h"

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

struct journeys {
	struct journey_opts o;
	struct jcopy *copies; /* in the order of their numbers */
	size_t ncopies, capcopies;
	struct jlog *logs; /* in the order they came */
	size_t nlogs, caplogs;
	uint64_t dropped_copies, dropped_logs;
	size_t bytes; /* held by copies and lines, against o.max_bytes */
	size_t nsess; /* sessions open (--mermaid), at most JOURNEY_MAX_SESS */
	struct jsess *sess[SESS_BUCKETS];
	struct jdns *dns; /* a ring of JOURNEY_MAX_DNS */
	size_t ndns, dnshead;
	/* made by journeys_build (journeywalk.c) */
	struct journey *js;
	size_t njs;
	struct keyed *by_qid, *copy_qid, *by_msgid, *logins;
	struct keyed *by_next;  /* deliveries by the queue ID they name ("queued as") */
	struct keyed *by_relay; /* deliveries by the relay's "ADDR]:PORT" */
	size_t nby_next, nby_relay;
	char *qid_used; /* by_qid entries (the first of each ID) in a journey */
	size_t *kids;   /* copy indexes by the number they were passed on from */
	size_t nkids;
	size_t nby_qid, ncopy_qid, nby_msgid, nlogins;
	char *consumed;
	const struct jlog ***lists; /* the lists steps point into, freed at the end */
	size_t nlists;
};

/* The copy numbered n, or NULL. */
struct jcopy *journeys_copy_of(const struct journeys *j, uint64_t n);
/* Frees what journeys_build made. */
void journeys_built_free(struct journeys *j);

#endif
