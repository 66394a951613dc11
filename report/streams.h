/* streams.h - --streams DIR: each TCP direction's reassembled bytes in a
 * file of its own (what tcpflow does), gaps left out and listed in
 * DIR/index.jsonl rather than filled with zeros.
 */
#ifndef SS_STREAMS_H
#define SS_STREAMS_H

#include <stddef.h>

#include "caps.h"
#include "stream.h"

struct streams;

/* dir is made when missing, as for --export (export_dir_open()). Files are
 * made new, mode 0600 (export_file_create()); overwrite lets one replace a
 * name already there. An index.jsonl already there (an earlier run) is
 * refused unless overwrite is set: NULL with the reason in err. A stream
 * file that cannot be made or reopened is skipped with an event. */
struct streams *streams_new(const char *dir, int overwrite, const struct ss_caps *caps, char *err,
                            size_t errlen);
const struct ss_tap *streams_tap(struct streams *s);
/* Closes everything; -1 when any write failed (the first failure is in err). */
int streams_free(struct streams *s, char *err, size_t errlen);

#endif
