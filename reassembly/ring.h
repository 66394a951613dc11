/* ring.h - the last bytes delivered in one direction, kept so that a
 * retransmission can be compared with the first copy (Zeek's
 * rexmit_inconsistency). Byte at stream offset x lives at p[x % alloc].
 *
 * The storage starts small and grows fourfold up to the window as bytes
 * come, so the many flows that carry a few hundred bytes do not each pay
 * for it.
 */
#ifndef SS_RING_H
#define SS_RING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ring {
	uint8_t *p;     /* NULL until the first push */
	uint32_t size;  /* the window: most bytes ever held; 0 turns the ring off */
	uint32_t alloc; /* bytes allocated at p, <= size */
	uint64_t len;   /* bytes held: the last ones before the stream's next offset */
};

/* Appends n bytes that sit at stream offset off (the stream's next offset).
 * Storage of the full window comes from pool when it has one (the rings
 * of closed flows go there). Returns the bytes newly allocated (for memory
 * accounting), -1 when allocation failed (the ring is then off). */
long ring_push(struct ring *g, struct bufpool *pool, uint64_t off, const uint8_t *p, size_t n);
/* Compares [off, off + n) with the held copy, where end is the stream's next
 * offset. Returns how many bytes could be compared; *differs is set to 1 when
 * any of them differs. */
size_t ring_cmp(const struct ring *g, uint64_t end, uint64_t off, const uint8_t *p, size_t n,
                int *differs);
/* Gives the storage back to pool (or frees it); returns its bytes. */
uint32_t ring_free(struct ring *g, struct bufpool *pool);

#endif
