/* message.h - a mail message split into RFC 5322 2.2 header fields and
 * body (2.1), fields unfolded for reading (2.2.3) with their bytes kept
 * for DKIM (RFC 6376 3.4), and the From domains DMARC takes (RFC 7489
 * 6.6.1).
 *
 * The parser never alters or loses a byte: every field is an offset and a
 * length in the caller's bytes, and fields, the empty line and the body
 * put back together give the message exactly. Bad input is never an
 * error: what was wrong is counted in struct msg.
 */
#ifndef SS_MESSAGE_H
#define SS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "addr5322.h"
#include "rfc2047.h"

/* Fields past this many are not listed (dropped_fields counts them); their
 * bytes stay in the header section, between the last listed field and
 * header_len, and the split between header and body is still found. */
#define MSG_MAX_FIELDS 10000
/* A field's unfolded value keeps at most this many bytes (cut_fields
 * counts the fields cut); the field's offsets still cover all of it. */
#define MSG_MAX_FIELD (64 * 1024)
/* RFC 5322 2.1.1: a line is at most 998 characters without its CRLF. */
#define MSG_MAX_LINE 998

struct msg_field {
	size_t off, len;      /* the whole field in the message: name, colon, value,
	                       * folds and the final line end */
	size_t name_len;      /* the name is data[off .. off + name_len) */
	size_t value_off;     /* the value starts here, just after the colon */
	size_t eol_len;       /* the final line end: 2 CRLF, 1 bare LF, 0 none (the
	                       * message ended inside the field) */
	const char *unfolded; /* the value with every line end inside it removed
	                       * (RFC 5322 2.2.3), leading and trailing WSP
	                       * trimmed, bytes otherwise untouched; NUL-terminated;
	                       * owned by the struct msg */
	size_t unfolded_len;  /* its length: a NUL in the value is kept */
	int ws_before_colon;  /* "Subject :" (obs-optional, RFC 5322 4.5) */
	int cut;              /* unfolded stops at MSG_MAX_FIELD bytes */
};

struct msg {
	const uint8_t *data; /* borrowed: the caller's bytes, which must outlive
	                      * the struct msg */
	size_t len;
	struct msg_field *fields; /* in message order */
	size_t nfields;
	/* data[0 .. header_len) is the header fields; data[header_len ..
	 * body_off) the empty line ("\r\n", "\n", or nothing); data[body_off
	 * .. len) the body. */
	size_t header_len;
	size_t body_off;    /* == len when there is no body */
	size_t body_len;    /* len - body_off */
	int has_blank_line; /* the header section ended with an empty line */

	/* Anomalies, whole message unless said. */
	size_t bare_lf;        /* lines ended by LF without CR */
	size_t bare_cr;        /* CR not followed by LF */
	size_t nul;            /* NUL bytes */
	size_t long_lines;     /* lines over MSG_MAX_LINE bytes before the line end */
	int no_final_eol;      /* the last line has no line end */
	size_t bad_lines;      /* header lines that are neither a field nor a
	                        * continuation: 0 or 1, since such a line ends
	                        * the header section (see message.c) */
	size_t bad_line_off;   /* where that line starts (== body_off) */
	size_t ws_names;       /* fields with whitespace before the colon */
	size_t dropped_fields; /* fields past MSG_MAX_FIELDS */
	size_t cut_fields;     /* fields whose unfolded value was cut */

	/* The unfolded value of the first such field, NULL when there is
	 * none (borrowed from fields[]; a NUL in it ends the C string, the
	 * field's unfolded_len does not). subject is RFC 2047-decoded to
	 * UTF-8 for display and owned. */
	const char *from, *to, *cc, *date, *message_id;
	char *subject;

	char *store; /* owned: every unfolded value, one allocation */
	size_t store_len;
};

/* Splits the len bytes at data (borrowed, not copied) into fields and
 * body. Returns 0, or -1 when memory runs out (m is then empty and
 * msg_free() is still safe). Never fails on bad input: it is counted in
 * the anomalies above. Memory: the unfolded values take at most len +
 * nfields + 1 bytes, the field array up to 128 bytes a field. */
int msg_parse(struct msg *m, const uint8_t *data, size_t len);

/* Makes dst a copy of the parse src of the same bytes, now at data (a copy
 * of src->data that outlives dst): for a layer that keeps a message past
 * its record, so that it is parsed once. Field offsets hold as they are.
 * Returns 0, or -1 when memory runs out (dst is then empty, and
 * msg_free() is still safe). Memory: the parse's, msg_size(src). */
int msg_copy(struct msg *dst, const struct msg *src, const uint8_t *data);
/* The bytes a parse holds beside the message's own. */
size_t msg_size(const struct msg *m);

/* Frees what msg_parse() allocated; the data stays the caller's. m may be
 * NULL, or a struct msg that was zeroed or already freed. */
void msg_free(struct msg *m);

/* The nth (0 for the first, from the top) field named name (ASCII letters
 * without case, RFC 5322 1.2.2), or NULL. */
const struct msg_field *msg_find(const struct msg *m, const char *name, size_t nth);

/* How many fields are named name. */
size_t msg_count(const struct msg *m, const char *name);

/* Walks the fields named name from the top: start with *i = 0; each call
 * returns the next one and moves *i past it, NULL at the end. Linear over
 * the walk, where msg_find() per nth would be quadratic. */
const struct msg_field *msg_next(const struct msg *m, const char *name, size_t *i);

/* What RFC 7489 makes of the RFC5322.From field(s) (5, 6.6.1). */
enum msg_author {
	MSG_AUTHOR_ONE,     /* one From field, one mailbox: its domain is the Author Domain */
	MSG_AUTHOR_MANY,    /* one From field, several mailboxes: 6.6.1 checks each
	                     * domain and applies the strictest policy among the
	                     * checks that fail */
	MSG_AUTHOR_NONE,    /* no From field: outside DMARC (5) */
	MSG_AUTHOR_FIELDS,  /* several From fields, which RFC 5322 3.6 forbids:
	                     * outside DMARC (5, 6.6.1) */
	MSG_AUTHOR_INVALID, /* the From field does not parse, was cut, or holds no
	                     * domain DNS could be asked about (an empty group, a
	                     * domain literal): outside DMARC (5, 6.6.1) */
	MSG_AUTHOR_NOMEM,   /* memory ran out */
};

/* Classifies the message's author as above. *out gets what parsed of the
 * first From field (NULL, 0 when nothing did), whatever the verdict, since
 * reports show it; the caller frees it with addr5322_free(). Fields past
 * MSG_MAX_FIELDS are not looked at. */
enum msg_author msg_author(const struct msg *m, struct msg_addr **out, size_t *n);

const char *msg_author_name(enum msg_author a);

#endif
