/* verifier.h - the offline re-check of a capture: every SMTP hop's
 * message checked for SPF (MAIL FROM and HELO), DKIM (every signature) and
 * DMARC as the receiving host would have, with only the DNS answers in the
 * capture (and --zone files), as of the hop's time; then set beside what
 * that host wrote in the copy it passed on, with one word for each:
 * agree, disagree, unchecked (it wrote nothing for it), unknown (smtpsniff
 * cannot tell).
 *
 * It is fed every record of the dissectors. DNS answers go into the
 * captured-DNS store; each message copy into the hop table (hops.h), which
 * also serves the timeline's links. A hop waits for the copy its receiver
 * passed on (the next hop, or a POP3/IMAP retrieval) for at most `wait` of
 * capture time; when that copy comes, when the wait is over, or at the
 * end, its checks run (with every DNS answer seen by then) and its report
 * goes to the out function.
 */
#ifndef SS_VERIFIER_H
#define SS_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "hops.h"
#include "receiver.h"
#include "record.h"
#include "role.h"
#include "verdict.h"

enum v_agreement { V_AGREE, V_DISAGREE, V_UNCHECKED, V_CANNOT_TELL };

/* "agree", "disagree", "unchecked", "unknown" */
const char *v_agreement_name(enum v_agreement a);

/* One of smtpsniff's verdicts on a hop, beside the receiver's. */
struct v_check {
	struct verdict *ours;
	const struct rcv_verdict *theirs; /* NULL: the receiver wrote none for it */
	enum v_agreement agreement;
	char *why; /* words, when the two differ or it cannot be told; else NULL */
};

/* Everything checked on one hop. */
struct v_hopcheck {
	const struct vhop *hop; /* the hop (valid during the out call) */
	int copy_seen;          /* the copy its server passed on is in the capture */
	uint64_t copy_number;   /* its message number */
	uint64_t copy_frame;    /* its last frame, and that frame's time */
	int64_t copy_ts;
	enum v_role role;     /* what the hop is in the message's path */
	int copy_hidden;      /* the copy it passed on went encrypted (TLS): */
	uint64_t hidden_flow; /* in this flow, */
	struct ss_addr hidden_client, hidden_server; /* between these hosts */
	struct rcv theirs;                           /* what the server wrote in it */
	struct v_check *checks; /* SPF mailfrom, SPF helo, each DKIM signature, DMARC */
	size_t nchecks;
};

typedef void verifier_out_fn(const struct v_hopcheck *h, void *ctx);

struct verifier_opts {
	int verify;         /* run the checks (without: only the hop table) */
	int64_t wait;       /* capture time (ns) a hop waits for its passed-on copy */
	size_t max_hops;    /* copies remembered (hops_new) */
	size_t max_waiting; /* hops waiting at once; past it the oldest is reported */
	uint64_t max_mem;   /* bytes they keep (their messages, parses and texts, and
	                     * HELO and MAIL FROM whole for SPF); past it, the same */
	const char **zones; /* --zone files, nzones of them */
	size_t nzones;
	uint64_t dns_mem; /* bytes the captured-DNS store keeps (--dns-mem); 0: its default */
};

struct verifier_stats {
	uint64_t hops;            /* hops checked */
	uint64_t agree, disagree; /* verdicts */
	uint64_t unchecked, unknown;
	uint64_t reported_early; /* hops reported before their wait was over (a cap) */
};

struct verifier;

/* Returns NULL with the reason in err (a zone file that does not load,
 * memory). */
struct verifier *verifier_new(const struct verifier_opts *o, verifier_out_fn *out, void *ctx,
                              char *err, size_t errlen);
/* Takes one record. For a message, returns its hop (valid until the next
 * call), else NULL. */
const struct vhop *verifier_record(struct verifier *v, const struct ss_record *r);
/* The hop of message number n, if still remembered: the latest with its
 * texts, an older one without (hops_find: valid until the next call of
 * either). */
const struct vhop *verifier_hop(const struct verifier *v, uint64_t n);
/* The time of the oldest hop still waiting to be reported: its message
 * was complete then, and its verdicts will be shown at that time or later
 * (verdictout_cited). INT64_MAX when none waits (or v is NULL). */
int64_t verifier_oldest(const struct verifier *v);
/* Capture time is now: hops whose wait is over are reported. */
void verifier_clock(struct verifier *v, int64_t now);
/* The end of the input: every waiting hop is reported. */
void verifier_finish(struct verifier *v);
const struct verifier_stats *verifier_stats(const struct verifier *v);
void verifier_free(struct verifier *v);

#endif
