/* hops.h - the path of each message through the capture: every copy of a
 * message seen on the wire (an SMTP transaction, a POP3 or IMAP retrieval)
 * linked to the copy it was passed on from.
 *
 * A copy B was passed on from an earlier copy A when B came from the host
 * that received A (B's SMTP client, or B's POP3/IMAP server, is A's server)
 * and B is A plus the header fields that host put on top (RFC 5321 4.4:
 * Received, and at delivery Return-Path, Delivered-To, the verifiers'
 * Authentication-Results and Received-SPF). Those added fields are the
 * receiving host's own words about A, which is how its verdicts are found
 * (RFC 8601 5: only fields a host added itself speak for it). When B's
 * lower part differs from A (a host that rewrote the message), B still
 * links when A's first field is found in B's header; the link is then not
 * exact.
 *
 * Copies are found by hashing their first header field, so no Message-ID
 * is needed (one is reported when present). "Exact" is told by length and
 * a 128-bit XXH3 digest: fast enough to run on every message, sure against
 * chance, but not against a collision made on purpose, which could only
 * call a rewritten copy exact (the link itself needs the field and host).
 * Memory: at most max_hops copies (the oldest go first), each a slot of
 * at most HOPS_SLOT_BYTES: what linking and the timeline's links read.
 * The texts are kept for the latest copy only: its readers (the verifier,
 * the journeys, the timeline) take what they need as the copy is added.
 * They are cut where the RFCs bound them: HELO, MAIL FROM and the
 * retrieving user at HOPS_MAX_PATH bytes (RFC 5321 4.5.3.1: a domain 255
 * octets, a path 256), the Message-ID, Subject and From at HOPS_MAX_FIELD
 * (RFC 5322 2.1.1: a line is at most 998 characters). A text cut ends in
 * HOPS_CUT_MARK where it is shown. So the latest copy takes no more than
 * HOPS_MAX_BYTES; before the cut, five texts of a 64K line each took
 * 306 KB a copy, and until 2026-12 every copy kept its texts (some 360
 * bytes a copy on a relay's capture, 36 MB at 100,000 copies, against
 * 17 MB now).
 */
#ifndef SS_HOPS_H
#define SS_HOPS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "record.h"

/* How many of a copy's top fields are tried as the start of an earlier
 * copy: the fields a host adds are a handful; 64 leaves room for long
 * verifier chains without making every message cost much. */
#define HOPS_MAX_ADDED 64

/* The longest HELO, MAIL FROM and user kept, and the longest Message-ID,
 * Subject and From: longer ones are cut there (at a UTF-8 character's
 * start) and end in HOPS_CUT_MARK. */
#define HOPS_MAX_PATH 512
#define HOPS_MAX_FIELD 998
#define HOPS_CUT_MARK " [cut]"
/* The most one copy takes, its texts at their longest (hops_cost). */
#define HOPS_MAX_BYTES 4400
/* The most a copy takes once a later one came: its slot, no texts. */
#define HOPS_SLOT_BYTES 176

struct vhop {
	uint64_t number;   /* the run's message number (rec_message.number) */
	const char *proto; /* its protocol's name */
	enum rec_role role;
	uint64_t flow; /* the flow's id */
	struct ss_addr client, server;
	uint16_t client_port, server_port;
	/* the texts, each cut as said above (ending in HOPS_CUT_MARK then);
	 * all NULL in a copy older than the latest (hops_find) */
	char *helo, *mail_from; /* a transfer's: as sent (NULL otherwise) */
	char *user;             /* a retrieval's: who retrieved it (NULL when unknown) */
	char *message_id;       /* the Message-ID field's value, or NULL */
	char *subject;          /* the Subject, decoded (RFC 2047), or NULL */
	char *author;           /* the From field's value, or NULL */
	int64_t ts;             /* when the copy was complete */
	uint64_t frame;
	size_t len;           /* the copy's size in bytes */
	int incomplete;       /* bytes were missing */
	int partial;          /* only a part (TOP, a section FETCH) */
	int code;             /* SMTP: the server's reply code to it; -1 when none */
	uint64_t from;        /* the number of the copy this one was passed on from, or 0 */
	int exact;            /* from: this copy is from's bytes with fields added on top */
	size_t added;         /* from: how many fields from's server put on top */
	uint64_t first_field; /* hash of the copy's first header field (0: it has none) */
	uint8_t digest[16];   /* XXH3-128 of the whole copy: tells exact links only */
};

struct hops;

struct hops *hops_new(size_t max_hops);
void hops_free(struct hops *h);
/* Adds the copy of a REC_MESSAGE record and links it to the copy it was
 * passed on from, when that is known. Returns the new hop with its texts
 * (valid until the next hops_add), or NULL when memory ran out. */
const struct vhop *hops_add(struct hops *h, const struct ss_record *r);
/* The hop of message number n, if it is still kept: the latest copy with
 * its texts, an older one without (its texts NULL). An older one is valid
 * until the next hops_find or hops_add, the latest until the next
 * hops_add. */
const struct vhop *hops_find(struct hops *h, uint64_t number);
/* How many copies were dropped for max_hops so far. */
uint64_t hops_dropped(const struct hops *h);
/* The bytes the copy of r takes in the table while it is the latest (its
 * slot and texts, cut), at most HOPS_MAX_BYTES. */
size_t hops_cost(const struct ss_record *r);
/* The length text (n bytes) is kept at in the table with room for max
 * (HOPS_MAX_PATH, HOPS_MAX_FIELD): n, or less when it is cut (then the
 * mark follows). */
size_t hops_cut_len(const char *text, size_t n, size_t max);

#endif
