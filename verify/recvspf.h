/* recvspf.h - the Received-SPF header field (RFC 7208 9.1): the SPF result
 * a receiving server wrote, the comment after it, and its key-value list
 * (client-ip, envelope-from, helo, problem, receiver, identity, mechanism,
 * and any other key, such as x- extensions).
 *
 *   header-field   = "Received-SPF:" [CFWS] result FWS [comment FWS]
 *                    [ key-value-list ] CRLF
 *   key-value-list = key-value-pair *( ";" [CFWS] key-value-pair ) [";"]
 *   key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string )
 *
 * The parser takes the field value (the bytes after the colon; folding
 * CRLF + WSP may still be in it). The result and the keys are kept in
 * lower case (RFC 7208 2.6 and 9.1 compare them without case), values as
 * written, without quotes and with quoted-pairs undone.
 *
 * Forms real writers use that the grammar does not allow are read anyway
 * and counted in repairs (the first one's offset in repair_off):
 * - a value that is neither a dot-atom nor a quoted-string: an address
 *   written bare, "envelope-from=user1@a.test" ("@" is no atext; the RFC's
 *   own examples quote it, postfix-policyd-spf-python does not), an IPv6
 *   client-ip with its ":", an empty value;
 * - two pairs without the ";" between them, and ";;".
 * What cannot be repaired stops the parse (err, err_off); the pairs read
 * before it are kept.
 */
#ifndef SS_RECVSPF_H
#define SS_RECVSPF_H

#include <stddef.h>
#include <stdint.h>

/* Caps, as for Authentication-Results (authres.h): the input is read up
 * to RECVSPF_MAX_INPUT bytes (an error there); pairs past RECVSPF_MAX_PAIRS
 * are read but not kept (dropped_pairs); values keep their first
 * RECVSPF_MAX_VALUE bytes, the comment its first RECVSPF_MAX_COMMENT
 * (cut_values counts both); comments nest at most HDRLEX_MAX_NEST deep. */
#define RECVSPF_MAX_INPUT (64 * 1024)
#define RECVSPF_MAX_PAIRS 32
#define RECVSPF_MAX_VALUE 1024
#define RECVSPF_MAX_COMMENT 1024

struct recvspf_pair {
	const char *key;   /* "client-ip", "envelope-from", ... lower case */
	const char *value; /* as written, quotes removed, quoted-pairs undone */
	int quoted;        /* the value was a quoted-string */
	size_t off;        /* where the key starts in the input */
};

struct recvspf {
	const char *result;         /* "pass", "fail", ... lower case; "" when the parse
	                             * stopped before it */
	const char *comment;        /* the comment after the result, its parentheses
	                             * dropped ("mailfrom", "mybox.example.org: domain
	                             * of ..."); NULL when none */
	struct recvspf_pair *pairs; /* npairs of them, in order */
	size_t npairs;
	size_t dropped_pairs; /* pairs past RECVSPF_MAX_PAIRS */
	size_t cut_values;    /* values and the comment cut at their cap */
	size_t repairs;       /* sloppy forms read anyway (see above) */
	size_t repair_off;    /* where the first one is */
	const char *err;      /* what stopped the parse, static text; NULL when
	                       * the whole field was read */
	size_t err_off;       /* where, an offset into the input */
	char *store;          /* owned: the strings above */
};

enum recvspf_status {
	RECVSPF_OK,     /* the whole field was read (repairs may say more) */
	RECVSPF_BROKEN, /* err/err_off say where it stopped */
	RECVSPF_NOMEM,  /* memory ran out: rs is empty (recvspf_free() is safe) */
};

/* Parses the len bytes at p (a field value, borrowed for the call only)
 * into rs. Never reads outside p[0 .. len); linear in len; takes at most
 * 4 * len + 16 bytes of strings and RECVSPF_MAX_PAIRS pairs. Free with
 * recvspf_free() whatever it returned. */
enum recvspf_status recvspf_parse(struct recvspf *rs, const uint8_t *p, size_t len);

/* Frees what recvspf_parse() allocated and zeroes rs; rs may be NULL or a
 * zeroed or freed struct. */
void recvspf_free(struct recvspf *rs);

/* The result as enum v_result (verdict.h): RFC 7208 2.6's names in any
 * case (and "hardfail" as V_FAIL); -1 for any other word. */
int recvspf_result_code(const struct recvspf *rs);

/* The value of the first pair with this key (case-insensitive), or NULL. */
const char *recvspf_get(const struct recvspf *rs, const char *key);

#endif
