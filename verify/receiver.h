/* receiver.h - what the host that received a hop wrote about it: its SPF,
 * DKIM and DMARC verdicts, read from the header fields it put on top of
 * the copy it passed on (hops.h) - Authentication-Results (RFC 8601) and
 * Received-SPF (RFC 7208 9.1).
 *
 * Only fields the host added speak for it (RFC 8601 5: fields a host
 * received from outside are not its own). Among those, an
 * Authentication-Results counts when its authserv-id names the host: one
 * of its names (the captured DNS's PTR answer for its address, the HELO
 * name it used on the next hop, the "by" name of the Received field it
 * added), or a parent domain of one (an ADMD's name, RFC 8601 2.5). When
 * no name of the host is known, every added one counts. Received-SPF has
 * no authserv-id: its place among the added fields is enough.
 */
#ifndef SS_RECEIVER_H
#define SS_RECEIVER_H

#include <stddef.h>

#include "message.h"
#include "verdict.h"

/* Verdicts read per copy at most; the rest are not compared. */
#define RECEIVER_MAX_VERDICTS 64
/* Names of the host tried against authserv-ids. */
#define RECEIVER_MAX_NAMES 8

struct rcv_verdict {
	enum v_method method;
	int result;         /* enum v_result, or -1 for a word of the method's own */
	char *word;         /* the result as written ("pass", "hardfail", ...) */
	char *field;        /* "Authentication-Results" or "Received-SPF" */
	char *authserv_id;  /* Authentication-Results only, else NULL */
	char *identity;     /* SPF: "mailfrom" or "helo"; NULL when it does not say */
	char *domain;       /* DKIM header.d; SPF the domain of the identity; DMARC
	                     * header.from; NULL when not given */
	char *selector;     /* DKIM header.s */
	char *b;            /* DKIM header.b (the signature's first characters) */
	char *text;         /* the result as written, on one line, for people */
	size_t field_index; /* which added field it came from (0: the top) */
};

struct rcv {
	struct rcv_verdict v[RECEIVER_MAX_VERDICTS];
	size_t n;
	size_t dropped;   /* verdicts past RECEIVER_MAX_VERDICTS */
	size_t foreign;   /* added Authentication-Results of another authserv-id */
	char *foreign_id; /* the first such authserv-id */
	size_t broken;    /* added verdict fields that did not parse whole */
	const char *names[RECEIVER_MAX_NAMES + 1]; /* the host's names tried
	                                            * (borrowed from the caller) */
	char *by_name; /* owned: the "by" name of the topmost added Received */
};

/* Reads the first `added` fields of m, the fields the receiving host put
 * on top of the copy it passed on. names: the host's names known to the
 * caller (NULL-terminated, may be NULL; borrowed until receiver_free); the
 * "by" name of the topmost added Received field is added to them. Returns
 * 0, or -1 when memory ran out (r is then empty). */
int receiver_read(struct rcv *r, const struct msg *m, size_t added, const char *const *names);
void receiver_free(struct rcv *r);

#endif
