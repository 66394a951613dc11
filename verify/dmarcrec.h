/* dmarcrec.h - a DMARC policy record (RFC 7489 6.3, 6.4) read from the
 * text of one TXT record, leniently: unknown tags are ignored, a tag with
 * a bad value falls back to its default, and a term that is no tag=value
 * at all ("v=DMARC1; p=none; bogus", against the grammar of 6.4) is
 * passed over (6.3: "Syntax errors in the remainder of the record SHOULD
 * be discarded in favor of default values (if any) or ignored
 * outright"), each said in problem; only errors in p= and sp= decide
 * whether the record counts at all (6.6.3 step 6).
 *
 * The text is untrusted bytes (any byte, NUL included) read by index over
 * its length; nothing is copied and nothing is allocated: the record's
 * values point into the caller's text.
 */
#ifndef SS_DMARCREC_H
#define SS_DMARCREC_H

#include <stddef.h>
#include <stdint.h>

/* A DNS TXT record's text is at most 65535 bytes (RFC 1035 3.3: the RDATA
 * length is 16 bits); a longer text is no DNS answer and is refused. */
#define DMARCREC_MAX_TEXT 65535

enum dmarc_policy {
	DMARC_P_ABSENT = -1,  /* the tag is not there */
	DMARC_P_INVALID = -2, /* the tag is there with another value */
	DMARC_P_NONE = 0,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT,
};

enum dmarcrec_status {
	DMARCREC_OK = 0,    /* a DMARC record with a policy to apply */
	DMARCREC_NOT_DMARC, /* does not start with "v=DMARC1": discarded (6.6.3
	                     * steps 2 and 4) */
	DMARCREC_NO_POLICY, /* a DMARC record, but p= is missing or invalid or sp=
	                     * is invalid, and no rua= holds a valid URI: no DMARC
	                     * processing (6.6.3 step 6.2) */
};

/* A tag's value as it is in the record: text[off .. off + len). */
struct dmarcrec_span {
	size_t off, len;
	int present;
};

struct dmarc_record {
	int p;         /* enum dmarc_policy: NONE/QUARANTINE/REJECT on OK */
	int p_implied; /* p= was missing or invalid (or sp= invalid) and a valid
	                * rua= made the record count as "p=none" (6.6.3 step
	                * 6.1); sp is then ignored */
	int sp;        /* enum dmarc_policy; ABSENT: p applies to subdomains */
	int np;        /* enum dmarc_policy: RFC 9091 / DMARCbis np=, reported
	                * only (RFC 7489 has no such tag) */
	int pct;       /* 0..100, default 100 */
	char adkim;    /* 'r' or 's', default 'r' */
	char aspf;     /* 'r' or 's', default 'r' */
	int rua_valid; /* rua= holds at least one syntactically valid URI */
	struct dmarcrec_span p_raw, sp_raw, np_raw, pct_raw, adkim_raw, aspf_raw;
	struct dmarcrec_span rua, ruf, fo, rf, ri;
	/* The first thing that was wrong, in words ("pct=\"abc\" is not 0 to
	 * 100: 100 applies"), or "" when nothing was. */
	char problem[160];
};

/* Reads the len bytes at text as a DMARC record into *r. The record must
 * start with the v tag, "v" *WSP "=" *WSP "DMARC1" (6.4: "DMARC1" is
 * case-sensitive, and v MUST be the first tag, 6.3), followed by the end
 * or ";". Tags are then name=value pairs separated by ";", with
 * whitespace (SP, HTAB, CR, LF) around either ignored; tag names and the
 * words p=, sp=, adkim= and aspf= take are case-insensitive (RFC 5234 2.3
 * makes quoted ABNF strings so); a tag given twice counts once, the first
 * time. p= may come anywhere after v=, though 6.3 wants it second. Empty
 * terms (";;", a final ";") are passed over without a word; a term
 * without "=" or without a name is ignored and noted in problem. */
enum dmarcrec_status dmarcrec_parse(const uint8_t *text, size_t len, struct dmarc_record *r);

const char *dmarc_policy_name(int p); /* "none", "quarantine", "reject", "absent", "invalid" */

#endif
