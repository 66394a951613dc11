/* mbox.h - --mbox FILE: every message of every hop in one mbox file
 * (mboxrd), for mail clients and Python's mailbox to open; the companion of
 * --export DIR (export.h), which keeps each message's bytes exactly. */
#ifndef SS_MBOX_H
#define SS_MBOX_H

#include <stddef.h>

#include "record.h"

struct mbox;

/* Makes file, mode 0600, as a new file only (export_file_create(): O_EXCL,
 * O_NOFOLLOW in its directory, opened once); with overwrite, what is at
 * that name is taken away first. Its directory must exist. Returns NULL
 * with "FILE: why" in err. */
struct mbox *mbox_new(const char *file, int overwrite, char *err, size_t errlen);
/* Appends a message record: a "From " line, its bytes with CRLF as LF and
 * ">*From " lines quoted with one '>' more, an empty line. Nothing is
 * written after a write has failed (mbox_free() says so). */
void mbox_message(struct mbox *x, const struct ss_record *r);
/* Writes what is buffered and closes the file; -1 when anything could not
 * be written (why in err). NULL is nothing to do. */
int mbox_free(struct mbox *x, char *err, size_t errlen);

#endif
