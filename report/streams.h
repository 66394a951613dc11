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
 * created with O_EXCL unless overwrite is set. Returns NULL with the reason
 * in err. */
struct streams *streams_new(const char *dir, int overwrite, const struct ss_caps *caps, char *err,
                            size_t errlen);
const struct ss_tap *streams_tap(struct streams *s);
/* Closes everything; -1 when any write failed (the first failure is in err). */
int streams_free(struct streams *s, char *err, size_t errlen);

#endif
