/* strf.h - a string formatted into fresh memory (asprintf without
 * _GNU_SOURCE), for the verdicts' sentences. */
#ifndef SS_STRF_H
#define SS_STRF_H

#include <stdarg.h>

/* Returns the formatted string, to be freed, or NULL when memory runs out. */
char *ss_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *ss_vstrf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
