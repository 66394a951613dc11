/* addr5322.h - RFC 5322 section 3.4 address lists (mailboxes, groups,
 * display names, quoted local parts, comments, domain literals) and the
 * section 4.4 obsolete forms, from a header field's value.
 *
 * DMARC takes the Author Domain from here (RFC 7489 6.6.1), so a domain is
 * given as written, never guessed: an address that does not parse is left
 * out and the whole list is said to have an error.
 */
#ifndef SS_ADDR5322_H
#define SS_ADDR5322_H

#include <stddef.h>
#include <stdint.h>

/* At most this many addresses come out of one list; past it the list is
 * said to have an error. One field holds at most MSG_MAX_FIELD bytes, and
 * the shortest address ("a@b,") takes 4, so real fields stay far below. */
#define ADDR5322_MAX 16384

/* One mailbox. Every string is NUL-terminated and owned by the array. */
struct msg_addr {
	char *display; /* display name for people: quotes and escapes removed,
	                * RFC 2047 decoded, valid UTF-8; for the obsolete
	                * "addr (Name)" form the comment; NULL when none */
	char *local;   /* local-part as written without CFWS: a dot-atom, or a
	                * quoted-string with its quotes and escapes ("\"a b\"") */
	char *domain;  /* domain as written without CFWS: "Example.COM", or a
	                * domain literal with its brackets ("[192.0.2.1]");
	                * compare with addr5322_domain_eq() */
	char *group;   /* the group's display name when the mailbox is in one
	                * (decoded like display), else NULL */
	int literal;   /* domain is a domain-literal */
};

enum addr5322_status {
	ADDR5322_OK = 0,      /* the whole value is an address-list */
	ADDR5322_SYNTAX = -1, /* something did not parse: what did is in *out */
	ADDR5322_NOMEM = -2,  /* memory ran out: *out is NULL, *n is 0 */
};

/* Parses the n bytes at s as an RFC 5322 address-list, obsolete forms
 * included (empty list elements, routes "<@a.test:u@b.test>", CFWS around
 * dots, "phrase. with dots"). On ADDR5322_OK and ADDR5322_SYNTAX, *out is
 * an array of *n mailboxes in order (NULL when *n is 0) that the caller
 * frees with addr5322_free(); empty groups give no entry. An address with
 * an error is skipped up to the next comma, so one bad address does not
 * hide the others. A value with no address and no group at all is a
 * syntax error. s may hold any byte; a NUL is a syntax error there. */
enum addr5322_status addr5322_parse_n(const uint8_t *s, size_t n, struct msg_addr **out,
                                      size_t *nout);
/* The same for a NUL-terminated value (a field's unfolded value). */
enum addr5322_status addr5322_parse(const char *value, struct msg_addr **out, size_t *nout);

/* Frees the array and every string in it; (NULL, 0) is fine. */
void addr5322_free(struct msg_addr *a, size_t n);

/* 1 when the domains are the same name: ASCII letters compared without
 * case (RFC 5321 2.4), every other byte exactly. */
int addr5322_domain_eq(const char *a, const char *b);

#endif
