/* spf.h - SPF (RFC 7208) checked offline: check_host() of section 4 for the
 * MAIL FROM or HELO identity of one hop, answered only by the captured-DNS
 * store as the receiving server would have got it.
 *
 * Every DNS lookup goes through vdns_lookup(), so the verdict lists each
 * answer it rests on and where it came from. An answer the capture lacks
 * makes the verdict V_UNKNOWN ("cannot tell"), never temperror: that is
 * smtpsniff not knowing, not the sender's DNS failing.
 *
 * The verdict's props: identity ("mailfrom"/"helo"), sender, domain,
 * client_ip, record (the top-level record), mechanism (the term that
 * decided), explanation (only on fail, from exp=, RFC 7208 6.2).
 */
#ifndef SS_SPF_H
#define SS_SPF_H

#include <stdint.h>

#include "addr.h"
#include "dnsstore.h"
#include "verdict.h"

/* The limits of RFC 7208 4.6.4, as the RFC sets them. */
#define SPF_MAX_LOOKUPS 10 /* terms that query DNS (include a mx ptr exists redirect) */
#define SPF_MAX_VOID 2     /* lookups that found nothing (NODATA, NXDOMAIN) */
#define SPF_MAX_MX 10      /* MX names one "mx" may look at; more is permerror */
#define SPF_MAX_PTR 10     /* PTR names one "ptr" or %{p} looks at; the rest ignored */
/* A domain name as macro expansion leaves it (RFC 7208 7.3: longer ones
 * lose labels on the left). */
#define SPF_MAX_NAME 253
/* The expanded explanation kept (RFC 7208 6.2 sets no size; a person reads
 * it), and the reason's size. */
#define SPF_MAX_EXPLANATION 1024
#define SPF_MAX_REASON 2048

enum spf_identity { SPF_MAILFROM, SPF_HELO };

/* check_host() of RFC 7208 4 for one identity. client is the SMTP client
 * (the hop's TCP peer); mail_from the MAIL FROM address as sent, "" (or
 * NULL) for the null sender, when the identity checked is postmaster@helo
 * (RFC 7208 2.4); helo the HELO/EHLO name; receiver the checking host's own
 * name for %{r} (NULL: "unknown"). DNS is asked as asker at capture time ts
 * (nanoseconds). Returns a new verdict (the caller frees it), NULL only when
 * memory runs out. Untrusted record text is escaped and clipped in the
 * reason; the work is bounded by the limits above whatever the records say.
 */
struct verdict *spf_check(struct dns_store *store, int64_t ts, const struct ss_addr *asker,
                          const struct ss_addr *client, const char *mail_from, const char *helo,
                          const char *receiver, enum spf_identity id);

#endif
