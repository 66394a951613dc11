/* select.h - what --message and --host keep of the output.
 *
 * As tshark's -Y and unlike a capture filter, they only choose what is
 * shown: everything is still read, numbered, named and verified as
 * without them, so the lines kept are exactly lines of the unfiltered
 * output.
 *
 * --host NAME keeps what a host did: the lines of the flows it is a client
 * or server of (names as the timeline gives them: learned from the
 * capture's DNS, --hosts or --zone, or the address itself), the DNS
 * questions it asked, the syslog lines it sent, and the journeys it is on.
 * Several --host keep what any of them did.
 *
 * --message SPEC keeps one message's story: "<id@host>" (its Message-ID),
 * "#N" (message number N, as the timeline numbers messages: any copy of
 * the message will do), or a shell pattern matched against the Subject
 * ("*scenario4-4*"). The story is every copy of the message (its journey),
 * every line of the sessions that carried them, their verdicts, the log
 * lines about them, and the DNS questions the hosts on its path asked
 * while it was with them. From a file, a first pass over it finds the
 * story, so that the lines before the message itself are kept too; live,
 * lines are kept from the moment the message is known.
 */
#ifndef SS_SELECT_H
#define SS_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct select;

/* NULL with the reason in err when SPEC is none of the three forms. */
struct select *select_new(const char *message, const char **hosts, size_t nhosts, char *err,
                          size_t errlen);
void select_free(struct select *s);
int select_by_host(const struct select *s);
int select_by_message(const struct select *s);
/* Whether the host at a, named name (NULL: no name), is one of --host's. */
int select_host(const struct select *s, const struct ss_addr *a, const char *name);
/* Whether the name a syslog line gives its sender is one of --host's. */
int select_host_name(const struct select *s, const char *name, size_t len);
/* Whether a message (any copy of it) is the one --message names. */
int select_message(const struct select *s, uint64_t number, const char *message_id,
                   const char *subject);

/* The story of the message, found by the first pass: sets of numbers. */
struct idset;
struct idset *idset_new(void);
void idset_free(struct idset *s);
int idset_add(struct idset *s, uint64_t id); /* -1: no memory */
int idset_has(const struct idset *s, uint64_t id);
size_t idset_count(const struct idset *s);

/* --message: the story of the message, as sets (select.h's comment). */
struct journey;
struct story;
struct story *story_new(void);
void story_free(struct story *st);
/* Adds every copy, flow, queue ID and host of a journey. */
void story_add_journey(struct story *st, const struct journey *jn);
/* Adds one copy as it comes (live: no first pass). */
void story_add_copy(struct story *st, uint64_t number, uint64_t flow, const char *queue_id);
int story_has_flow(const struct story *st, uint64_t flow);
int story_has_message(const struct story *st, uint64_t number);
/* A DNS question asker put at ts, while the message was with it. */
int story_has_dns(const struct story *st, const struct ss_addr *asker, int64_t ts);
/* A log line about a queue ID or Message-ID of the story. */
int story_has_log(const struct story *st, const char *queue_id, size_t qlen, const char *message_id,
                  size_t mlen);
/* Whether the journey holds the message --message names. */
int select_journey(const struct select *s, const struct journey *jn);

#endif
