/* imap.h - the IMAP dissector (RFC 9051, RFC 3501 and their extensions). */
#ifndef SS_IMAP_H
#define SS_IMAP_H

#include "protos.h"

/* The dissector, for dissect_register(); o must outlive it. */
const struct ss_proto *imap_proto(const struct dissect_opts *o);

#endif
