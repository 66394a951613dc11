/* frag.h - IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 4.5, RFC 5722).
 *
 * Fragments are held per datagram (source, destination, protocol, id) until
 * the datagram is whole, its time runs out, or a cap forces it out. Memory is
 * bounded by the caps max_frag_mem and max_frag_dgrams; time by frag_timeout,
 * measured in capture time. max_frag_mem counts what the fragments take,
 * not only their payload: each piece held with its node and the allocator's
 * header (some 56 bytes besides its payload), each datagram with its own
 * (some 150 bytes); frag_piece_cost() and frag_dgram_cost() say how much.
 */
#ifndef SS_FRAG_H
#define SS_FRAG_H

#include <stdint.h>

#include "addr.h"
#include "caps.h"
#include "packet.h"

struct frag_store;

struct frag_key {
	struct ss_addr src, dst;
	uint32_t id;   /* 16 bits for IPv4, 32 for IPv6 */
	uint8_t proto; /* IPv4 protocol; 0 for IPv6 (the next header can differ per fragment) */
};

struct frag_done {
	const uint8_t *p; /* the reassembled payload; valid until the next frag_add() */
	uint32_t len;
	uint8_t next; /* IPv6: next header of the first fragment; IPv4: protocol */
	uint64_t first_frame;
	uint32_t nfrags;
};

struct frag_stats {
	uint64_t fragments, reassembled, timed_out, evicted, overlaps, malformed;
	uint64_t mem;      /* bytes counted against max_frag_mem now */
	uint64_t mem_peak; /* the most counted at once */
};

/* What max_frag_mem counts for a piece of len payload bytes, and for a
 * datagram besides its pieces. A fragment that falls in a hole between
 * pieces already held may become several pieces (IPv4 keeps the first copy
 * of each byte). */
uint64_t frag_piece_cost(uint32_t len);
uint64_t frag_dgram_cost(void);

struct frag_store *frag_new(const struct ss_caps *caps);
void frag_free(struct frag_store *s);

/* Adds the fragment at byte offset off (len bytes at p; more = MF flag) from
 * frame f. next is the IPv6 next header after the fragment header (IPv4: the
 * protocol). Returns 1 and fills *out when this completes a datagram, 0 when
 * the datagram still waits, -1 when the fragment or datagram was dropped (an
 * event says why). */
int frag_add(struct frag_store *s, const struct frag_key *k, uint32_t off, const uint8_t *p,
             uint32_t len, int more, uint8_t next, const struct ss_frame *f, struct frag_done *out);
/* Drops datagrams older than frag_timeout at time now (capture time). */
void frag_expire(struct frag_store *s, int64_t now);
const struct frag_stats *frag_stats(const struct frag_store *s);

#endif
