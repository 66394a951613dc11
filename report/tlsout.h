/* tlsout.h - what the TLS parser learned of a session (dissect/tls.h), as
 * the fields of a JSON `tls` record (docs/json.md): the handshake's choices
 * and the certificates and alerts each side sent, in the names tshark uses.
 */
#ifndef SS_TLSOUT_H
#define SS_TLSOUT_H

#include <stdio.h>

#include "tls.h"

/* Writes ,"version":...,"cipher":... for t: what is not known is left out. */
void tlsout_json(FILE *out, const struct tls_flow *t);

#endif
