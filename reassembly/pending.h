/* pending.h - the bytes a dissector left unconsumed, offered to it again in
 * front of the next ones (Suricata's APP_LAYER_INCOMPLETE), at most
 * --max-pending per direction: past that they are skipped as a gap, and
 * said so.
 */
#ifndef SS_PENDING_H
#define SS_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stream.h"

/* Hands p[0..n) (at *at) to app, whose state is st, behind what it left in
 * *held last time; keeps what it leaves now. held's cap is --max-pending.
 * flow is the flow's id, for the event. */
void pending_feed(struct buf *held, const struct ss_proto *app, void *st, uint64_t flow,
                  enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at);
/* No byte follows: what is held is offered once more, marked last, as the
 * bytes before stream offset next; then it is dropped and held freed. */
void pending_drain(struct buf *held, const struct ss_proto *app, void *st, enum ss_dir d,
                   uint64_t frame, int64_t ts, uint64_t next);

#endif
