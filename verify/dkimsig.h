/* dkimsig.h - the syntax of one DKIM-Signature field: RFC 6376 3.5 (its
 * tags), 6.1.1 (what makes a verifier give up before any DNS lookup),
 * RFC 8301 3.1 (rsa-sha1 is not to be verified) and RFC 8463 (ed25519).
 *
 * Everything smtpsniff reports about a signature (d=, s=, the signed
 * header list, the times) comes from here, whatever libopendkim says.
 */
#ifndef SS_DKIMSIG_H
#define SS_DKIMSIG_H

#include <stddef.h>
#include <stdint.h>

enum dkimsig_alg {
	DKIMSIG_ALG_UNKNOWN,
	DKIMSIG_RSA_SHA256,
	DKIMSIG_ED25519_SHA256,
	DKIMSIG_RSA_SHA1,
};

/* RFC 6376 3.5 t= and x=: "implementations MAY consider any value longer
 * than 12 digits to be infinite"; such a value is held as this. */
#define DKIMSIG_INFINITE INT64_MAX
#define DKIMSIG_TIME_DIGITS 12

/* Longest l= read as a number; more digits than this are a syntax error
 * (no body is that long). */
#define DKIMSIG_L_DIGITS 18

struct dkimsig {
	char *arena; /* owned: every value below, FWS removed, NUL-terminated */
	/* The tags' values, NULL when the tag is absent. */
	const char *v, *a, *b, *bh, *c, *d, *h, *i, *l, *q, *s, *t, *x;
	enum dkimsig_alg alg;
	int hdr_relaxed, body_relaxed; /* c=, default simple/simple */
	uint64_t l_val;                /* l= as a number, when present */
	int64_t t_sec, x_sec;          /* t= and x= in seconds, or DKIMSIG_INFINITE */
	/* t= and x= as strtoull() reads them, which is what libopendkim
	 * compares with its own clock (see dkimcheck.c). */
	uint64_t t_lib, x_lib;
	char err[160]; /* the first syntax error in words; "" when there is none */
};

/* Parses the value of a DKIM-Signature field (the len bytes after the
 * colon, folding included; borrowed, not kept). Returns 0 when it is a
 * signature a verifier may go on with, -1 with the reason in s->err when
 * RFC 6376 6.1.1 makes it a PERMFAIL, -2 when memory runs out. What parsed
 * is set either way (d= and s= for the report). Free with dkimsig_free(). */
int dkimsig_parse(struct dkimsig *s, const uint8_t *p, size_t len);
void dkimsig_free(struct dkimsig *s);

/* "rsa-sha256" and so on for alg. */
const char *dkimsig_alg_name(enum dkimsig_alg alg);

/* Whether name is a DNS name as d= and s= must be (RFC 6376 3.5
 * domain-name and selector: labels of letters, digits, "-", "_", 1 to 63
 * bytes, no empty label). */
int dkimsig_name_ok(const char *name);

#endif
