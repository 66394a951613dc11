/* sasl.h - one SASL decoder for SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE
 * (curl's struct SASLproto): shows who logs in and how, masks the secret.
 *
 * The protocols carry SASL the same way - base64 challenges from the server,
 * base64 responses from the client, an optional initial response - so the
 * dissectors hand the decoded parts here and print what comes back.
 */
#ifndef SS_SASL_H
#define SS_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SASL_MASK "****"

struct sasl {
	char mech[24]; /* upper case, NUL-terminated */
	size_t mechlen;
	int responses;      /* client responses seen */
	int next_is_secret; /* LOGIN: the server asked for the password */
	char user[128];     /* the identity, once known (escaped, printable) */
};

/* Starts an exchange for mechanism mech (case-insensitive). */
void sasl_begin(struct sasl *s, const uint8_t *mech, size_t n);
/* A server challenge, still base64: appends its decoded, printable form to
 * out (a LOGIN prompt also says what the next response holds). */
void sasl_challenge(struct sasl *s, const uint8_t *p, size_t n, struct buf *out);
/* A client response (or initial response), still base64 ("=" is empty, "*"
 * cancels): appends what may be shown to out - the identity in clear, the
 * secret as SASL_MASK unless show is set. */
void sasl_response(struct sasl *s, const uint8_t *p, size_t n, int show, struct buf *out);
/* The command that starts an exchange, "AUTH mech [initial-response]" of
 * SMTP and POP3: args is what follows the command word. Starts the exchange
 * and appends the mechanism and, when there is one, " " and the shown form
 * of the initial response to out. */
void sasl_command(struct sasl *s, const uint8_t *args, size_t n, int show, struct buf *out);
/* The user for a LOGIN-style command that carries it in clear (POP3 USER,
 * IMAP LOGIN). */
void sasl_set_user(struct sasl *s, const uint8_t *p, size_t n);

#endif
