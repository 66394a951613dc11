/* pop3.h - the POP3 dissector (RFC 1939 and its extensions). */
#ifndef SS_POP3_H
#define SS_POP3_H

#include "protos.h"

/* The dissector, for dissect_register(); o must outlive it. */
const struct ss_proto *pop3_proto(const struct dissect_opts *o);

#endif
