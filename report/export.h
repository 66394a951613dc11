/* export.h - --export DIR: every message of every hop as a file of its own,
 * exactly the bytes carried, with DIR/index.json describing them. */
#ifndef SS_EXPORT_H
#define SS_EXPORT_H

#include <stddef.h>

#include "record.h"

struct export;

/* The directory of --export and --streams, opened (O_DIRECTORY): made
 * when missing, with its missing parents, each mode 0700 (mkdir -p); one
 * that exists keeps its mode. dir itself must not be a symbolic link.
 * Returns the descriptor, or -1 with "DIR: why" in err. */
int export_dir_open(const char *dir, char *err, size_t errlen);
/* dir is made when missing (export_dir_open). Nothing already there is
 * replaced unless overwrite is set. Returns NULL with the reason in err. */
struct export *export_new(const char *dir, int overwrite, int names, char *err, size_t errlen);
/* Writes a message record's bytes; digest: their SHA-256. */
void export_message(struct export *x, const struct ss_record *r, const uint8_t *digest);
/* Finishes index.json; -1 when anything could not be written (why in err). */
int export_free(struct export *x, char *err, size_t errlen);

#endif
