/* dmarc.h - DMARC (RFC 7489) for one message on one hop, offline: the
 * author's domain from the RFC5322.From field (6.6.1), the policy record
 * found in the captured DNS (6.6.3), identifier alignment of the SPF and
 * DKIM results the caller hands in (3.1), and the policy that then applies
 * (6.3, 6.6.4).
 *
 * Results, as RFC 7489 11.2 names them for Authentication-Results:
 *   pass       an SPF or DKIM pass whose domain is aligned with From's (4.2)
 *   fail       a policy record applies and nothing aligned passed
 *   none       no policy record (6.6.3 steps 5-6: none, several, or one that
 *              does not count), or no single author domain to check: no
 *              From field, several From fields, a From that does not parse
 *              (6.6.1: "outside the scope of this document"; 11.2: "no
 *              aligned identifier could be extracted")
 *   temperror  the DNS answer to a DMARC query was SERVFAIL or the like
 *   unknown    smtpsniff cannot tell: a DMARC query whose answer is not in
 *              the capture, or an SPF/DKIM input that could have aligned
 *              but is itself unknown. Never reported as "none".
 * permerror is never given: 11.2 names it for "a syntactically incorrect
 * DMARC record", but 6.6.3 step 6, the procedure, says such a record gets
 * no DMARC processing at all, which is "none" (with the record's problem
 * in the reason and the "record_problem" property).
 *
 * A From field with several mailboxes (6.6.1) is checked once per distinct
 * domain, and the strictest policy among the checks that fail applies: the
 * verdict is that domain's (fail before unknown before temperror before
 * pass before none).
 */
#ifndef SS_DMARC_H
#define SS_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dnsstore.h"
#include "message.h"
#include "verdict.h"

/* A From field naming more distinct domains than this is not checked
 * (each domain costs up to two lookups): the verdict is unknown. */
#define DMARC_MAX_AUTHORS 16
/* A record's text is shown (in the "record" property) up to this many
 * bytes, escaped (util/escape.h), with "..." when cut. */
#define DMARC_MAX_SHOWN 512

/* RFC 7489 evaluation of message m as received on one hop. m: the parsed
 * message (msg_author() gives the RFC5322.From rules). spf: the SPF
 * verdict DMARC uses (the MAIL FROM identity, or HELO for the null sender,
 * RFC 7489 4.1 and RFC 7208 2.4), its domain the one to align; may be NULL (no
 * SPF result). dkim: the DKIM verdicts of the message's signatures
 * (ndkim of them, any of them NULL); only V_PASS ones count, with their
 * domain (d=). Every lookup goes through vdns_lookup() as host asker at
 * time ts, so the verdict lists its DNS evidence. Returns a new verdict
 * (method V_DMARC, domain = the From domain checked; the caller frees it),
 * or NULL when memory runs out. Properties: from_domain, org_domain, psl,
 * record, record_domain, record_source, record_problem, policy, policy_tag, sp, np, pct,
 * adkim, aspf, rua, ruf, fo, rf, ri (as published), spf_aligned,
 * dkim_aligned, disposition, author_domains (several mailboxes) and
 * outside (no single author domain). */
struct verdict *dmarc_check(struct dns_store *store, int64_t ts, const struct ss_addr *asker,
                            const struct msg *m, const struct verdict *spf,
                            struct verdict *const *dkim, size_t ndkim);

#endif
