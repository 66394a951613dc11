/* authres.h - the Authentication-Results header field (RFC 8601 2.2, and
 * the same grammar in its predecessors RFC 5451, 7001 and 7601): what a
 * receiving server wrote about the DKIM, SPF, DMARC (and other) checks it
 * made, read so that smtpsniff's own verdicts can be set beside it.
 *
 * The parser takes the field value (the bytes after the colon; folding
 * CRLF + WSP may still be in it) and gives the authserv-id, the version,
 * "none", and each result with its method, method version, reason,
 * properties and comments. Keywords (method, result, ptype, property) are
 * case-insensitive (RFC 8601 2.2) and are kept in lower case; values are
 * kept as written, without quotes and with quoted-pairs undone.
 *
 * Real verifiers write things the grammar does not allow; these are read
 * anyway and counted in struct authres's repairs (the first one's offset
 * in repair_off):
 * - a property value holding bytes a token does not (OpenDKIM's
 *   header.b=ab/cd+ef, IPv6 addresses in smtp.remote-ip=2001:db8::1);
 * - a property without a ptype, "action=none" (Microsoft), kept with
 *   ptype "" and looked up by its bare name;
 * - reason= after the properties (the grammar puts it first);
 * - a word in a result that is no property (an unquoted reason of several
 *   words): skipped;
 * - a property with an empty value ("header.d=;");
 * - an empty result between two ";", a ";" at the end, no ";" at all
 *   after the authserv-id (no results and no "none"), "none" beside
 *   results;
 * - no authserv-id: the field starts with "method=" (or "method/").
 * Keywords are read as ALPHA, DIGIT, "-" and "_" (Keyword of RFC 5321
 * with the underscore some writers use), and values as any byte but SP,
 * controls, DEL and ; ( ) " \ (hdrlex_is_value()), so a sloppy value is
 * kept whole and counted rather than cut at the first odd byte.
 * What cannot be repaired stops the parse: err says what and err_off
 * where, and the results read before it are kept (the one being read
 * when it happened has partial set).
 */
#ifndef SS_AUTHRES_H
#define SS_AUTHRES_H

#include <stddef.h>
#include <stdint.h>

/* Caps. A field longer than AUTHRES_MAX_INPUT is read up to it and has an
 * error there (MSG_MAX_FIELD is the same, so a field from msg_parse() never
 * reaches it). Results past AUTHRES_MAX_RESULTS are read but not kept
 * (dropped_results counts them), and so are properties past
 * AUTHRES_MAX_PROPS in one result (its dropped_props). Values (authserv-id,
 * reason, property values) keep their first AUTHRES_MAX_VALUE bytes, the
 * comments of one result or property their first AUTHRES_MAX_COMMENT
 * bytes; cut_values counts what was cut. Comments nest at most
 * HDRLEX_MAX_NEST (hdrlex.h) deep. */
#define AUTHRES_MAX_INPUT (64 * 1024)
#define AUTHRES_MAX_RESULTS 64
#define AUTHRES_MAX_PROPS 32
#define AUTHRES_MAX_VALUE 1024
#define AUTHRES_MAX_COMMENT 1024

/* ptype "." property "=" pvalue (RFC 8601 2.2, 2.3). Strings are owned by
 * the struct authres and NUL-terminated. */
struct authres_prop {
	const char *ptype;    /* "smtp", "header", "body", "policy", other; ""
	                       * when the writer gave none (see above) */
	const char *property; /* "mailfrom", "d", "from", ... */
	const char *value;    /* as written: quotes removed, quoted-pairs undone;
	                       * "local-part@domain" and "@domain" whole, a
	                       * quoted local-part with its quotes
	                       * ("\"a b\"@example.com", as RFC 5322 writes it) */
	const char *comment;  /* the comments right after the value (rspamd's
	                       * "(policy=reject)"), NULL when none */
	int quoted;           /* the value was a quoted-string */
	size_t off;           /* where the ptype starts in the input */
};

/* One resinfo: methodspec [reasonspec] *propspec. */
struct authres_result {
	const char *method;         /* "dkim", "spf", "dmarc", "dkim-atps", ... */
	const char *method_version; /* "1" of "dkim/1", NULL when none given */
	const char *result;         /* "pass", "fail", ... as written, lower case */
	const char *reason;         /* reason= value, NULL when none */
	const char *comment;        /* every comment in the resinfo, in order, one
	                             * space between them: OpenDKIM's "2048-bit
	                             * key; unprotected", OpenDMARC's "p=none
	                             * dis=none"; NULL when none */
	struct authres_prop *props; /* nprops of them, in order */
	size_t nprops;
	size_t dropped_props; /* properties past AUTHRES_MAX_PROPS */
	size_t off;           /* where the method starts in the input */
	int partial;          /* the parse stopped inside this result */
};

struct authres {
	const char *authserv_id;        /* "" when the parse stopped before it */
	const char *version;            /* authres-version, NULL when none given (RFC
	                                 * 8601 2.2: then it is "1") */
	const char *comment;            /* comments around the authserv-id and version
	                                 * (RFC 8601 B.7's "foobar baz"), NULL when none */
	int none;                       /* "; none": no authentication was done (2.2) */
	struct authres_result *results; /* nresults of them, in order */
	size_t nresults;
	size_t dropped_results; /* results past AUTHRES_MAX_RESULTS */
	size_t cut_values;      /* values and comments cut at their cap */
	size_t repairs;         /* sloppy forms read anyway (see above) */
	size_t repair_off;      /* where the first one is */
	const char *err;        /* what stopped the parse, static text; NULL when
	                         * the whole field was read */
	size_t err_off;         /* where, an offset into the input */

	/* owned storage */
	char *store;
	struct authres_prop *prop_pool;
};

enum authres_status {
	AUTHRES_OK,     /* the whole field was read (repairs may say more) */
	AUTHRES_BROKEN, /* err/err_off say where it stopped; what came before
	                 * is in the struct */
	AUTHRES_NOMEM,  /* memory ran out: ar is empty (authres_free() is safe) */
};

/* Parses the len bytes at p (a field value, borrowed for the call only:
 * everything kept is copied) into ar. Never reads outside p[0 .. len);
 * linear in len; keeps at most 4 * len + 16 bytes of strings (hdrlex.h),
 * AUTHRES_MAX_RESULTS results and AUTHRES_MAX_RESULTS * AUTHRES_MAX_PROPS
 * properties (fewer for a short field: one result per ";", one property
 * per "="), and uses 4 KiB more while it runs. Free with authres_free()
 * whatever it returned. */
enum authres_status authres_parse(struct authres *ar, const uint8_t *p, size_t len);

/* Frees what authres_parse() allocated and zeroes ar; ar may be NULL or a
 * zeroed or freed struct. */
void authres_free(struct authres *ar);

/* The result word as enum v_result (verdict.h): RFC 8601 2.7 and RFC 7208
 * 2.6 names in any case, and RFC 8601's legacy "hardfail" as V_FAIL; -1
 * for any other word (a method's own extension results, "bestguesspass",
 * ...). */
int authres_result_code(const struct authres_result *r);

/* The first property named name, "ptype.property" (case-insensitive, e.g.
 * "header.d", "smtp.mailfrom", "policy.iprev") or a bare "property" for one
 * written without a ptype; NULL when there is none. */
const struct authres_prop *authres_prop(const struct authres_result *r, const char *name);

/* Its value, or NULL. */
const char *authres_prop_value(const struct authres_result *r, const char *name);

/* Walks the results of one method (case-insensitive): start with *i = 0;
 * each call returns the next one and moves *i past it, NULL at the end.
 * method NULL walks every result. */
const struct authres_result *authres_next(const struct authres *ar, const char *method, size_t *i);

#endif
