/* shown.h - which lines --message and --host keep (select.h says what
 * they mean): the decisions the report makes for each record, event,
 * flow, hop and journey, with the state they need (the flows of the
 * chosen hosts; the message's story, from the first pass or, live, built
 * as its copies come).
 */
#ifndef SS_SHOWN_H
#define SS_SHOWN_H

#include <stdint.h>

#include "hops.h"
#include "journey.h"
#include "record.h"
#include "select.h"
#include "stream.h"

struct shown;

/* NULL with *shown NULL when neither option is given (everything is
 * shown); -1 with the reason in err when a value is wrong (exit 2) or
 * memory ran out. story: the first pass's (borrowed), or NULL to build it
 * as copies come; names: hosts are named (not -n). */
int shown_new(struct shown **shown, const char *message, const char **hosts, size_t nhosts,
              struct story *story, int names, char *err, size_t errlen);
void shown_free(struct shown *s);
/* Every function below says 1 (shown) when s is NULL. */
/* A flow began: it is one of the chosen hosts'. */
void shown_flow_open(struct shown *s, const struct ss_flow *f);
int shown_flow(const struct shown *s, uint64_t flow);
/* A record, with its hop when it is a message (live, a copy of the chosen
 * message joins the story). */
int shown_record(struct shown *s, const struct ss_record *r, const struct vhop *hop);
int shown_hop(const struct shown *s, const struct vhop *hop);
int shown_journey(const struct shown *s, const struct journey *jn);
/* The story of the message --message names, from the journeys of a first
 * pass (the caller frees it); NULL when --message is not given. */
struct story *shown_story(const struct shown *s, const struct journeys *j, size_t n);

#endif
