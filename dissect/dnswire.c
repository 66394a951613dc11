/* dnswire.c - a DNS message's names walked as ldns will read them, held to
 * RFC 1035 4.1.4 (see dnswire.h).
 *
 * Each function mirrors one of ldns 1.8's wire2host.c, check for check and
 * in its order, so that where ldns fails the walker stops too and names
 * ldns's status: ldns_wire2pkt -> dnswire_check, ldns_wire2rr ->
 * dnswire_rr, ldns_wire2rdf -> rdata(), ldns_wire2dname -> dnswire_name.
 * tests/unit/test_dnswalk.c holds the two to the same statuses and the same
 * offsets, record type by record type, with the ldns the build links with.
 */
#include "dnswire.h"

#include <string.h>

#include "cur.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char not_back[] = "compression pointer that does not point back (RFC 1035 4.1.4)";
static const char too_many[] =
    "name with more than " STR(DNSWIRE_MAX_PTRS) " compression pointers (RFC 1035 4.1.4)";
static const char too_many_all[] =
    "names that follow more compression pointers than the message has bytes";
static const char no_size[] =
    "rdata field of a type this build cannot size (ldns newer than its headers)";

/* ldns's own limits must not come first: its pointer limit is what made a
 * loop cost 65535 jumps, and the names it builds are what out holds. */
_Static_assert(LDNS_MAX_POINTERS > DNSWIRE_MAX_PTRS, "ldns would stop first");
_Static_assert(LDNS_MAX_DOMAINLEN == DNSWIRE_NAME_MAX, "ldns builds names of this size");

static ldns_status refuse(struct dnswire *w, size_t at, const char *why)
{
	w->bad = why;
	w->at = at;
	return LDNS_STATUS_INVALID_POINTER;
}

/* The name at c->off; c ends past its bytes there, and out (when not
 * NULL) holds it uncompressed. The explicit bounds tests are ldns's, for
 * its statuses; the cursor is the safety net. */
static ldns_status name(struct cur *c, uint8_t *out, size_t *outlen, struct dnswire *w)
{
	size_t n = c->len;
	if (c->off >= n)
		return LDNS_STATUS_PACKET_OVERFLOW;
	w->names++;
	/* run: where the labels being read began (the name's start, then the
	 * last pointer's target); back: where reading goes on after the name,
	 * past its first pointer (0: none yet). */
	size_t run = c->off, back = 0, len = 0;
	unsigned jumps = 0;
	int ls = cur_peek(c, 0);
	while (ls > 0) {
		while (ls >= 192) {
			size_t at = c->off;
			if (!back)
				back = at + 2;
			if (at + 2 > n)
				return LDNS_STATUS_PACKET_OVERFLOW;
			size_t to = cur_be16(c, "dns name") & 0x3fffu;
			if (to == 0 || to >= n)
				return LDNS_STATUS_INVALID_POINTER; /* ldns's own refusal */
			if (to >= run)
				return refuse(w, at, not_back);
			if (++jumps > DNSWIRE_MAX_PTRS)
				return refuse(w, at, too_many);
			if (++w->jumps > n)
				return refuse(w, at, too_many_all);
			c->off = run = to;
			ls = cur_peek(c, 0);
		}
		if (ls == 0)
			break;
		if (ls > LDNS_MAX_LABELLEN || c->off + 1 + (size_t)ls > n)
			return LDNS_STATUS_LABEL_OVERFLOW;
		if (len + 1 > DNSWIRE_NAME_MAX)
			return LDNS_STATUS_DOMAINNAME_OVERFLOW;
		if (out)
			out[len] = (uint8_t)ls;
		len++;
		cur_skip(c, 1, "dns label");
		if (len + (size_t)ls > DNSWIRE_NAME_MAX)
			return LDNS_STATUS_DOMAINNAME_OVERFLOW;
		const uint8_t *l = cur_ptr(c, (size_t)ls, "dns label");
		if (!l)
			return LDNS_STATUS_LABEL_OVERFLOW; /* not reached: tested above */
		if (out)
			memcpy(out + len, l, (size_t)ls);
		len += (size_t)ls;
		/* At the end of the message ldns keeps the last label's length,
		 * and so refuses the name at the test above: so does this. */
		if (c->off < n)
			ls = cur_peek(c, 0);
	}
	c->off = back ? back : c->off + 1;
	if (len >= DNSWIRE_NAME_MAX)
		return LDNS_STATUS_DOMAINNAME_OVERFLOW;
	if (out)
		out[len] = 0;
	len++;
	if (outlen)
		*outlen = len;
	w->bytes += len;
	return LDNS_STATUS_OK;
}

ldns_status dnswire_name(const uint8_t *msg, size_t n, size_t *pos, uint8_t out[DNSWIRE_NAME_MAX],
                         size_t *outlen, struct dnswire *w)
{
	if (*pos > n)
		return LDNS_STATUS_PACKET_OVERFLOW;
	struct cur c = cur_make(msg, n);
	c.off = *pos;
	ldns_status st = name(&c, out, outlen, w);
	if (st == LDNS_STATUS_OK)
		*pos = c.off;
	return st;
}

/* Bytes at c->off as a big-endian number of k (1 or 2) bytes, i bytes on;
 * the caller tested that they are there. */
static size_t peek_be(const struct cur *c, size_t i, size_t k)
{
	size_t v = 0;
	for (size_t j = 0; j < k; j++)
		v = v << 8 | (size_t)(cur_peek(c, i + j) & 0xff);
	return v;
}

/* The size ldns gives the field of type t at c->off, the rdata ending at
 * end (c->off < end); 0 for a name (read by the caller). -1 when t is none
 * this walker knows. Every other size is at least 1, so the fields go on.
 * The switch names every type of the ldns headers the build sees, without
 * a catch-all, so that a newer ldns fails the build here rather than
 * being walked wrong (-Wswitch-enum). */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
static long field_size(const struct cur *c, size_t end, ldns_rdf_type t, ldns_status *st)
{
	size_t here = c->off;
	switch (t) {
	case LDNS_RDF_TYPE_DNAME:
		return 0;
	case LDNS_RDF_TYPE_CLASS:
	case LDNS_RDF_TYPE_ALG:
	case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
	case LDNS_RDF_TYPE_SELECTOR:
	case LDNS_RDF_TYPE_MATCHING_TYPE:
	case LDNS_RDF_TYPE_INT8:
		return LDNS_RDF_SIZE_BYTE;
	case LDNS_RDF_TYPE_TYPE:
	case LDNS_RDF_TYPE_INT16:
	case LDNS_RDF_TYPE_CERT_ALG:
		return LDNS_RDF_SIZE_WORD;
	case LDNS_RDF_TYPE_TIME:
	case LDNS_RDF_TYPE_INT32:
	case LDNS_RDF_TYPE_A:
	case LDNS_RDF_TYPE_PERIOD:
		return LDNS_RDF_SIZE_DOUBLEWORD;
	case LDNS_RDF_TYPE_TSIGTIME:
	case LDNS_RDF_TYPE_EUI48:
		return LDNS_RDF_SIZE_6BYTES;
	case LDNS_RDF_TYPE_ILNP64:
	case LDNS_RDF_TYPE_EUI64:
		return LDNS_RDF_SIZE_8BYTES;
	case LDNS_RDF_TYPE_AAAA:
		return LDNS_RDF_SIZE_16BYTES;
	case LDNS_RDF_TYPE_STR:
	case LDNS_RDF_TYPE_NSEC3_SALT:
	case LDNS_RDF_TYPE_TAG:
	case LDNS_RDF_TYPE_B32_EXT:
	case LDNS_RDF_TYPE_NSEC3_NEXT_OWNER:
		/* its length in its first byte */
		return (long)peek_be(c, 0, 1) + 1;
	case LDNS_RDF_TYPE_INT16_DATA:
		if (here + 2 > end) {
			*st = LDNS_STATUS_PACKET_OVERFLOW;
			return 0;
		}
		return (long)peek_be(c, 0, 2) + 2;
	case LDNS_RDF_TYPE_HIP:
		/* HIT length (1), algorithm (1), key length (2), then both */
		if (here + 4 > end) {
			*st = LDNS_STATUS_PACKET_OVERFLOW;
			return 0;
		}
		return (long)(peek_be(c, 0, 1) + peek_be(c, 2, 2)) + 4;
	case LDNS_RDF_TYPE_APL:
	case LDNS_RDF_TYPE_B64:
	case LDNS_RDF_TYPE_HEX:
	case LDNS_RDF_TYPE_NSEC:
	case LDNS_RDF_TYPE_UNKNOWN:
	case LDNS_RDF_TYPE_SERVICE:
	case LDNS_RDF_TYPE_LOC:
	case LDNS_RDF_TYPE_WKS:
	case LDNS_RDF_TYPE_NSAP:
	case LDNS_RDF_TYPE_ATMA:
	case LDNS_RDF_TYPE_IPSECKEY:
	case LDNS_RDF_TYPE_LONG_STR:
	case LDNS_RDF_TYPE_AMTRELAY:
	case LDNS_RDF_TYPE_SVCPARAMS:
	case LDNS_RDF_TYPE_NONE:
		/* the rest of the rdata */
		return (long)(end - here);
	}
	/* A value the headers do not name: a library newer than its headers. */
	return -1;
}
#pragma GCC diagnostic pop

/* The rdata of a record of type t at c->off (its length first), field by
 * field as ldns_wire2rdf() reads it. A name field may run past the rdata
 * (ldns reads it to the end of the message); ldns then goes on from there,
 * and so does this. */
static ldns_status rdata(struct cur *c, uint16_t t, struct dnswire *w)
{
	size_t n = c->len;
	const ldns_rr_descriptor *desc = ldns_rr_descript(t);
	if (c->off + 2 > n)
		return LDNS_STATUS_PACKET_OVERFLOW;
	size_t rdlen = cur_be16(c, "dns rdata length");
	if (c->off + rdlen > n)
		return LDNS_STATUS_PACKET_OVERFLOW;
	size_t end = c->off + rdlen;
	if (!desc && c->off < end)
		return refuse(w, c->off, no_size); /* not in ldns 1.8: every type has one */
	/* ldns counts the fields in a uint8_t: a type with a variable number
	 * of them starts again at its first field type after 256. */
	uint8_t i = 0;
	while (c->off < end && i < ldns_rr_descriptor_maximum(desc)) {
		ldns_rdf_type ft = ldns_rr_descriptor_field_type(desc, i);
		ldns_status st = LDNS_STATUS_OK;
		long size = field_size(c, end, ft, &st);
		if (st != LDNS_STATUS_OK)
			return st;
		if (size < 0)
			return refuse(w, c->off, no_size);
		if (ft == LDNS_RDF_TYPE_DNAME) {
			st = name(c, NULL, NULL, w);
			if (st != LDNS_STATUS_OK)
				return st;
		} else {
			if (c->off + (size_t)size > end)
				return LDNS_STATUS_PACKET_OVERFLOW;
			cur_skip(c, (size_t)size, "dns rdata");
		}
		i++;
	}
	return LDNS_STATUS_OK;
}

static ldns_status rr(struct cur *c, int question, uint16_t *type, struct dnswire *w)
{
	ldns_status st = name(c, NULL, NULL, w);
	if (st != LDNS_STATUS_OK)
		return st;
	if (c->off + 4 > c->len)
		return LDNS_STATUS_PACKET_OVERFLOW;
	uint16_t t = cur_be16(c, "dns type");
	cur_skip(c, 2, "dns class");
	if (type)
		*type = t;
	if (question)
		return LDNS_STATUS_OK;
	if (c->off + 4 > c->len)
		return LDNS_STATUS_PACKET_OVERFLOW;
	cur_skip(c, 4, "dns ttl");
	return rdata(c, t, w);
}

ldns_status dnswire_rr(const uint8_t *msg, size_t n, size_t *pos, int question, uint16_t *type,
                       struct dnswire *w)
{
	if (*pos > n)
		return LDNS_STATUS_PACKET_OVERFLOW;
	struct cur c = cur_make(msg, n);
	c.off = *pos;
	ldns_status st = rr(&c, question, type, w);
	if (st == LDNS_STATUS_OK)
		*pos = c.off;
	return st;
}

const char *dnswire_check(const uint8_t *msg, size_t n, struct dnswire *w)
{
	memset(w, 0, sizeof *w);
	struct cur c = cur_make(msg, n);
	if (n < LDNS_HEADER_SIZE) {
		w->st = LDNS_STATUS_WIRE_INCOMPLETE_HEADER;
		return NULL;
	}
	cur_skip(&c, 4, "dns header");
	unsigned count[4];
	for (int s = 0; s < 4; s++)
		count[s] = cur_be16(&c, "dns header");
	/* ldns says which section a message was cut in */
	static const ldns_status cut[4] = {
	    LDNS_STATUS_WIRE_INCOMPLETE_QUESTION, LDNS_STATUS_WIRE_INCOMPLETE_ANSWER,
	    LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY, LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL};
	for (int s = 0; s < 4; s++) {
		for (unsigned i = 0; i < count[s]; i++) {
			uint16_t t = 0;
			ldns_status st = rr(&c, s == 0, &t, w);
			if (w->bad)
				return w->bad;
			if (st != LDNS_STATUS_OK) {
				w->st = st == LDNS_STATUS_PACKET_OVERFLOW ? cut[s] : st;
				return NULL;
			}
			/* ldns moves a TSIG out of the additional section as it
			 * reads, lowering the count its loop tests: one record
			 * fewer is read for each. */
			if (s == 3 && t == LDNS_RR_TYPE_TSIG)
				count[3]--;
		}
	}
	w->st = LDNS_STATUS_OK;
	return NULL;
}
