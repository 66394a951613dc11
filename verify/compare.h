/* compare.h - smtpsniff's verdicts on a hop set beside what its receiver
 * wrote: which of the receiver's verdicts speaks of which of ours, and one
 * word for each pair, with the reason in words.
 *
 * Meaning is compared, not text: results are compared as RFC 8601 2.7
 * names them (hardfail is fail), whatever domain a verifier chose to name
 * in header.from or how it worded its comment. A receiver's DKIM verdict
 * speaks of the signature with the same d= (and s=, and the first
 * characters of b= when it gives them, RFC 6008); its SPF verdict of the
 * identity it names (MAIL FROM when it names none, as RFC 7208 9.1 makes
 * the common case).
 */
#ifndef SS_COMPARE_H
#define SS_COMPARE_H

#include "verifier.h"

/* Sets theirs, agreement and why of every check of h. host is how the
 * receiver is named in the words ("dmarc.mx.b.test", "10.255.2.33");
 * unseen, when the copy it passed on is not in the capture, says why, as
 * words that follow "the copy it passed on" ("went encrypted (STARTTLS,
 * flow 18)"; NULL: "is not in the capture"). */
void compare_hop(struct v_hopcheck *h, const char *host, const char *unseen);

#endif
