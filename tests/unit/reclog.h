/* reclog.h - records written as canonical text for tests: what a record
 * says, without when it said it (times and frame numbers change when the
 * same bytes are cut into other segments). */
#ifndef SS_RECLOG_H
#define SS_RECLOG_H

#include <stddef.h>

#include "record.h"

/* Appends one line for r to the string log (NUL-terminated, cap bytes). */
void reclog_add(char *log, size_t cap, const struct ss_record *r);

#endif
