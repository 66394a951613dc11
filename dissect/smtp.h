/* smtp.h - the SMTP dissector (RFC 5321 and its extensions). */
#ifndef SS_SMTP_H
#define SS_SMTP_H

#include "protos.h"

/* The dissector, for dissect_register(); o must outlive it. */
const struct ss_proto *smtp_proto(const struct dissect_opts *o);

#endif
