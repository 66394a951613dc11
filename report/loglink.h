/* loglink.h - which flow and which message a server's log line speaks of,
 * as far as is known when the line comes: the timeline shows it beside
 * the line ("[flow 9, message #2]"), JSON as about_flow and
 * about_message.
 *
 * A line names a client by address ("connect from NAME[ADDR]",
 * "QID: client=NAME[ADDR]", Dovecot's rip= and lip=): the flow is the
 * latest one from that address to the host that sent the line. A queue ID
 * is linked to that flow by its client= line, and to its message once the
 * server's 250 reply gave it ("queued as QID"); later lines with the
 * queue ID or the message's Message-ID are linked the same way.
 *
 * Memory is fixed: set-associative tables (a newer entry takes the place
 * of the oldest of its set), so a flood of lines or flows costs no more
 * and a lookup is O(1); an entry lost that way only means a line shown
 * unlinked. The same input gives the same links on every run.
 */
#ifndef SS_LOGLINK_H
#define SS_LOGLINK_H

#include <stdint.h>

#include "maillog.h"
#include "record.h"
#include "stream.h"

#define LOGLINK_FLOWS 4096 /* client-server pairs remembered */
#define LOGLINK_IDS 8192   /* queue IDs and Message-IDs remembered */

struct loglink;

struct loglink *loglink_new(void);
void loglink_free(struct loglink *l);
/* A TCP flow began. */
void loglink_flow(struct loglink *l, const struct ss_flow *f);
/* A message record: its queue ID and Message-ID (message_id: as its
 * field gives it, <> included or not; NULL: none). */
void loglink_message(struct loglink *l, const struct ss_record *r, const char *message_id);
/* What the log line r (parsed into m) speaks of: *flow and *message, 0
 * when not known. */
void loglink_log(struct loglink *l, const struct ss_record *r, const struct maillog *m,
                 uint64_t *flow, uint64_t *message);

#endif
