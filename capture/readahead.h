/* readahead.h - frames read by a thread of their own, handed over in blocks.
 *
 * Reading a capture file (system calls, stdio, libpcap's record checks and
 * copies) costs as much as a bare libpcap loop; on a second core it runs
 * beside the dissection instead of before it, as Suricata's and Zeek's
 * packet threads do. The frames come out in the order they were read,
 * each exactly as the producer gave it.
 */
#ifndef SS_READAHEAD_H
#define SS_READAHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Called on the reading thread: fills f's ts, caplen, wirelen and data
 * (data borrowed until the next call) and returns 1, or returns 0 at the
 * end with *why set (the caller's reason code). It must not block for
 * long (a regular file, not a pipe): readahead_stop() waits for it. */
typedef int readahead_next_fn(void *ctx, struct ss_frame *f, int *why);

struct readahead;

/* Starts the thread. NULL when it cannot be started (memory, threads):
 * the caller reads on its own thread instead. */
struct readahead *readahead_start(readahead_next_fn *next, void *ctx);
/* The next frame (f->num is left alone), borrowed until the next call;
 * 1, or 0 at the end with *why as next() gave it. */
int readahead_frame(struct readahead *ra, struct ss_frame *f, int *why);
/* Asks the thread to stop, waits for it and frees everything; NULL safe.
 * After it, next() is no longer running. */
void readahead_stop(struct readahead *ra);

#endif
