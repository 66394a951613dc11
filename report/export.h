/* export.h - --export DIR: every message of every hop as a file of its own,
 * exactly the bytes carried, with DIR/index.json describing them; and the
 * files of DIR, made so that whoever else can write to DIR cannot turn
 * them against the user (used by --streams too). */
#ifndef SS_EXPORT_H
#define SS_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

struct export;

/* The directory of --export and --streams, opened (O_DIRECTORY): made
 * when missing, with its missing parents, each mode 0700 (mkdir -p); one
 * that exists keeps its mode. dir itself must not be a symbolic link.
 * Returns the descriptor, or -1 with "DIR: why" in err. */
int export_dir_open(const char *dir, char *err, size_t errlen);

/* Which file a name held when smtpsniff made it. */
struct export_id {
	dev_t dev;
	ino_t ino;
};
/* Makes the file name in dirfd (export_dir_open()) for writing, mode 0600,
 * and only as a new file (O_EXCL, O_NOFOLLOW): nothing there is written
 * through or followed. With overwrite, what is at name (a file, a hard link
 * planted there, a symbolic link) is first taken away (unlinkat), and the
 * new file made in its place. id, when not NULL, gets the new file's.
 * Returns the descriptor, or -1 with errno set. */
int export_file_create(int dirfd, const char *name, int overwrite, struct export_id *id);
/* Opens name again for appending, when it is still the file id says and
 * nothing else links to it: -1 otherwise, errno ESTALE when something else
 * has taken its place or a second name links to it (anything else: why it
 * could not be opened). Never follows a link, never waits on a FIFO. */
int export_file_reopen(int dirfd, const char *name, const struct export_id *id);
/* Words for an errno of the two above, for name in dirfd: what is there
 * when it was EEXIST. */
const char *export_file_why(int dirfd, const char *name, int e);
/* Whether the errno of the two above is about that one name (the file is
 * left out, with an event, and the run goes on) rather than about the
 * directory or the disk (an output error: exit 4). */
int export_file_skippable(int e);
/* dir is made when missing (export_dir_open). Nothing already there is
 * replaced unless overwrite is set. Returns NULL with the reason in err. */
struct export *export_new(const char *dir, int overwrite, int names, char *err, size_t errlen);
/* Writes a message record's bytes; digest: their SHA-256. */
void export_message(struct export *x, const struct ss_record *r, const uint8_t *digest);
/* The capture's clock: messages waiting for their files since long enough
 * before now are made now (exportq.h). */
void export_clock(struct export *x, int64_t now);
/* Waits until every message handed over is in its file, and says the
 * files that could not be made (exportq.h): before the last lines go out. */
void export_drain(struct export *x);
/* Finishes index.json; -1 when anything could not be written (why in err). */
int export_free(struct export *x, char *err, size_t errlen);

#endif
