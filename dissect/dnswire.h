/* dnswire.h - a DNS message's names walked before ldns reads them, so that
 * compression pointers cannot make the reading cost more than the message
 * is long (RFC 1035 4.1.4).
 *
 * ldns_wire2pkt() follows up to LDNS_MAX_POINTERS (65535) compression
 * pointers per name before it gives up on a loop: about 270 us a name, and
 * a 64 KB message over TCP holds thousands of names (owner names and every
 * rdata field ldns's descriptors type as a domain name: NS, CNAME, PTR, MX,
 * SOA, SRV, the RRSIG signer, the NSEC next name...). The walker reads the
 * message in ldns's order with ldns's sizes (wire2host.c: ldns_wire2pkt,
 * ldns_wire2rr, ldns_wire2rdf, ldns_wire2dname) and holds every name ldns
 * would read to RFC 1035 4.1.4's "a pointer to a prior occurance of the
 * same name", made precise:
 *   - a pointer points below the start of the labels it ends (the name's
 *     first byte, or the previous pointer's target). Below the pointer
 *     itself is not enough: "\001a" then a pointer to the "\001" is
 *     a.a.a.a... for ever. With each jump going lower, no name can loop.
 *   - a name follows at most DNSWIRE_MAX_PTRS pointers: pointers to
 *     pointers, each lower, still make a chain as long as the message.
 *   - all the names of a message follow at most as many pointers as the
 *     message has bytes: thousands of names of DNSWIRE_MAX_PTRS jumps each
 *     would still cost 7 times what parsing a plain message of that size
 *     does. Real messages follow far fewer (0.13 a byte at most in
 *     pcaps/ and the shared corpus: a pointer takes 2 bytes, and chains
 *     are as deep as names nest).
 * A message that breaks any is malformed and ldns must not read it.
 * Otherwise ldns reads every name in at most 127 labels (255 bytes) and
 * DNSWIRE_MAX_PTRS jumps, and the message in as many jumps as bytes.
 *
 * Where ldns would fail (a message cut short, a label over 63 bytes, a
 * name over 255), the walker stops where ldns stops and says which status
 * ldns will return: ldns has read nothing beyond that point, so it may be
 * called for its own words. The walker learns the rdata field types from
 * ldns (ldns_rr_descript()), so it sizes fields as the library the build
 * links with does; a field type the walker has no size for (a later ldns)
 * cannot be walked past, and the message is refused rather than guessed:
 * the fields after it and the records after it would be read unchecked.
 */
#ifndef SS_DNSWIRE_H
#define SS_DNSWIRE_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

/* Compression pointers one name may follow. A name has at most 127 labels
 * (255 bytes, 2 a label) and a compressor points only where it wrote labels
 * of an earlier name, so a real name needs at most one pointer a label;
 * the rest is room for a pointer to a pointer. */
#define DNSWIRE_MAX_PTRS 128
/* The longest name, uncompressed (RFC 1035 2.3.4; LDNS_MAX_DOMAINLEN). */
#define DNSWIRE_NAME_MAX 255

/* What the walker found. */
struct dnswire {
	/* Why the message breaks the rules above (a static string, for a
	 * dns_malformed event), or NULL when ldns may read it. */
	const char *bad;
	/* With bad NULL: what ldns_wire2pkt() will return (out of memory
	 * aside). */
	ldns_status st;
	size_t at;    /* the offset of the pointer (or field) bad is about */
	size_t names; /* names walked */
	size_t jumps; /* pointers followed, in all names */
	size_t bytes; /* the names' bytes, uncompressed (what ldns will hold) */
};

/* Walks msg[0..n) as ldns_wire2pkt() reads it. Returns NULL, when ldns may
 * be called on the message, else w->bad. w receives the detail. Its work is
 * linear in n: each name takes at least one byte of the message and costs
 * at most 255 bytes of labels, and all of them together at most n jumps. */
const char *dnswire_check(const uint8_t *msg, size_t n, struct dnswire *w);

/* One record from *pos, as ldns_wire2rr() reads it (question: the owner,
 * type and class only); *type receives its type when it was read. Returns
 * what ldns_wire2rr() returns, with *pos where ldns leaves it on success,
 * or LDNS_STATUS_INVALID_POINTER with w->bad set when a name breaks the
 * rules. w->names and w->jumps count on. */
ldns_status dnswire_rr(const uint8_t *msg, size_t n, size_t *pos, int question, uint16_t *type,
                       struct dnswire *w);

/* One name from *pos, as ldns_wire2dname() reads it. On LDNS_STATUS_OK,
 * out[0..*outlen) is the name uncompressed, in wire form with its root
 * label (what ldns_rdf_data() of ldns's dname holds), and *pos is past the
 * name's bytes at *pos. Errors as dnswire_rr(). */
ldns_status dnswire_name(const uint8_t *msg, size_t n, size_t *pos, uint8_t out[DNSWIRE_NAME_MAX],
                         size_t *outlen, struct dnswire *w);

#endif
