/* logout.h - a syslog line (REC_LOG) as timeline text and as JSON members. */
#ifndef SS_LOGOUT_H
#define SS_LOGOUT_H

#include <stdio.h>

#include "record.h"
#include "text.h"

/* "app[pid]: message", the wire bytes escaped (escape.h); the message
 * alone when the line had no tag, " [cut]" when it was cut. */
void logout_text(struct text *out, const struct rec_log *l);
/* ,"facility":"mail","severity":"info",...: the members docs/json.md lists
 * for a "log" record after the common ones. */
void logout_json(FILE *out, const struct rec_log *l);

#endif
