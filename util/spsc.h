/* spsc.h - records from one thread to one other, in the order they were
 * put, handed over in blocks.
 *
 * The producer fills a block with records and hands it over when the next
 * record does not fit (or at spsc_flush); the consumer gives a block back
 * when it moves on to the next. SPSC_BLOCKS blocks of SPSC_BLOCK bytes make
 * the ring: small enough to stay in the shared cache, large enough that the
 * two threads meet once per few hundred records. A record larger than a
 * block gets a block of its own size. Each side's own fields sit on cache
 * lines of their own: a line that one thread writes for every record and
 * the other reads would travel between the cores each time.
 */
#ifndef SS_SPSC_H
#define SS_SPSC_H

#include <stddef.h>
#include <stdint.h>

struct spsc;

/* NULL when memory runs out. */
struct spsc *spsc_new(void);
/* Both threads are done with it (the producer closed, the consumer saw
 * the end or quit); NULL safe. */
void spsc_free(struct spsc *q);

/* Producer. Room for a record of n bytes, to be filled before the next
 * call; NULL when the consumer quit or memory ran out (the record is
 * lost; the producer should stop). The record is the consumer's once the
 * block goes over. */
void *spsc_put(struct spsc *q, size_t n);
/* The number of the block the last record went into, and how many blocks
 * the consumer has given back: every record of block b has been taken,
 * and the consumer is done with it, once spsc_done(q) > b. The producer
 * can then reuse what such a record lent the consumer. */
uint64_t spsc_block(const struct spsc *q);
uint64_t spsc_done(struct spsc *q);
/* Whether a record of n bytes would have to wait for the consumer to
 * give a block back (a producer that feeds several queues hands over
 * what it put elsewhere first, so that nobody waits on it meanwhile). */
int spsc_would_wait(struct spsc *q, size_t n);
/* Hands over the block being filled, even if it has room left. */
void spsc_flush(struct spsc *q);
/* No more records: the consumer gets the end after the last one. */
void spsc_close(struct spsc *q);

/* Consumer. The next record (its length in *n), borrowed until the next
 * call; NULL at the end. Waits for the producer when nothing is there. */
const void *spsc_get(struct spsc *q, size_t *n);
/* Whether spsc_get would return at once (a record or the end is there). */
int spsc_ready(struct spsc *q);
/* The consumer stops early: the producer's spsc_put returns NULL from
 * now on, and a producer waiting for room wakes. */
void spsc_quit(struct spsc *q);

#endif
