/* escape.h - untrusted bytes made fit for a line of text (Postfix's
 * printable()): printable ASCII stays, everything else becomes \xNN, so a
 * line of output is always one line and says every byte. */
#ifndef SS_ESCAPE_H
#define SS_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* 1 when p[0..n) is its own escaped form (printable ASCII, no backslash). */
int escape_plain(const uint8_t *p, size_t n);
/* Appends the escaped form of p[0..n) to out; stops quietly at out's cap.
 * Returns -1 when it had to stop. */
int escape_add(struct buf *out, const uint8_t *p, size_t n);
/* The same into a fixed array, always NUL-terminated, clipped with "..."
 * when it does not fit. Returns out. */
char *escape_str(char *out, size_t cap, const uint8_t *p, size_t n);

#endif
