/* dkimcheck.h - DKIM verification (RFC 6376 6, RFC 8463, RFC 8301) of a
 * message captured on one hop, as of the capture's time, with the key
 * records the capture holds (or a --zone file), never a live query.
 *
 * libopendkim 2.11 does the canonicalization and the cryptography; around
 * it smtpsniff does what the library would get wrong offline:
 * - the syntax of each signature and key record is checked here first
 *   (dkimsig.h, dkimkey.h), so bad input gets plain words;
 * - t= and x= are judged against the capture time here; the library only
 *   knows the wall clock, so its clock-drift allowance is set per message
 *   so that it cannot call a signature expired or in the future by today's
 *   date (the result would otherwise change with the day the tool runs);
 * - the key comes from the captured-DNS store through the library's
 *   key-lookup callback, in a compact form that fits its 1024-byte buffer;
 *   its own resolver hooks are replaced by stubs that refuse, so that no
 *   path in it (ATPS, report lookups, a default key fetch) can query DNS.
 * The library handle is process-wide and not thread-safe.
 *
 * Results (RFC 8601 2.7.1 names, RFC 6376 6.1 for when each applies):
 *   pass       the signature verifies (a note says when l= leaves part of
 *              the body unsigned, or the key says t=y);
 *   fail       body hash mismatch, signature mismatch, body shorter than l=
 *              (6.1.3);
 *   permerror  signature syntax, rsa-sha1 (RFC 8301), expired or made in
 *              the future (6.1.1, 3.5); key not found (NXDOMAIN, no TXT),
 *              key syntax, revoked, not for this a=, h=, s= or i= (6.1.2);
 *   policy     a key under 1024 bits (RFC 8301 3.2);
 *   temperror  the key lookup got SERVFAIL or another error rcode;
 *   unknown    smtpsniff cannot tell: message incomplete, key not in the
 *              capture, a limit of libopendkim's or of this file's;
 *   none       the message has no DKIM-Signature.
 *
 * The file is named dkimcheck, not dkim, because libopendkim owns both the
 * dkim_ prefix and a header named dkim.h on the include path.
 */
#ifndef SS_DKIMCHECK_H
#define SS_DKIMCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dnsstore.h"
#include "verdict.h"

/* Signatures checked per message; the rest get V_UNKNOWN "not checked"
 * (each check may cost a key lookup and an RSA verification). */
#define DKIMCHECK_MAX_SIGS 64
/* Seconds a signer's clock may be ahead of (t=) or behind (x=) the capture
 * time before a signature counts as made in the future or expired: the
 * allowance libopendkim itself makes by default (RFC 6376 3.5 leaves it to
 * the verifier). */
#define DKIMCHECK_CLOCK_SLACK 300
/* libopendkim copies h= into a buffer of this many bytes (DKIM_MAXHEADER)
 * and would cut a longer list; such a signature gets V_UNKNOWN. */
#define DKIMCHECK_MAX_H 4095
/* libopendkim selects the signed fields of every signature it reads by
 * comparing each h= name with every header field (dkim_canon_selecthdrs),
 * ignored signatures included: a message may not cost more comparisons
 * than this (signatures' h= names times header fields), or its signatures
 * get V_UNKNOWN. An ordinary message costs a few thousand. */
#define DKIMCHECK_MAX_WORK 10000000
/* Body bytes handed to the library per call. */
#define DKIMCHECK_CHUNK 65536

/* Verifies every DKIM-Signature field of the len bytes at msg (the message
 * exactly as carried, CRLF line ends) as the host asker would have at
 * capture time ts (sstime.h nanoseconds), asking store for the keys.
 * Returns the number of verdicts put in *out: one per DKIM-Signature, in
 * message order, or one V_NONE "no DKIM-Signature" when there is none.
 * incomplete (bytes are missing): every verdict is V_UNKNOWN "cannot tell:
 * message incomplete". *out is a malloc'd array of verdicts: free each with
 * verdict_free() and the array with free(). Returns 0 with *out NULL only
 * when memory runs out. */
size_t dkimcheck_verify(const uint8_t *msg, size_t len, int incomplete, struct dns_store *store,
                        int64_t ts, const struct ss_addr *asker, struct verdict ***out);
/* The same for a message its caller has parsed already (message.h), so
 * that it is parsed once; m->data and m->len are the message. */
size_t dkimcheck_verify_parsed(const struct msg *m, int incomplete, struct dns_store *store,
                               int64_t ts, const struct ss_addr *asker, struct verdict ***out);

/* Frees the process-wide libopendkim handle (it is made again when
 * needed). For the end of a run, tests and leak checkers. */
void dkimcheck_shutdown(void);

/* How many times libopendkim tried to use its own resolver since the
 * process started (it is given stubs that refuse): always 0 unless a path
 * in the library bypasses the key-lookup callback. For tests. */
unsigned long dkimcheck_resolver_calls(void);

#endif
