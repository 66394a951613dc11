/* decode.c - frames to IP datagrams (RFC 791, RFC 8200 4, RFC 6564).
 *
 * A frame whose IP header says there are more bytes than the frame holds is
 * passed on with l4_len < l4_wire_len: the bytes that are there are real, and
 * the transport layer turns the rest into a gap. Only when a header itself is
 * cut is the frame dropped.
 */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#include "cur.h"
#include "event.h"
#include "link.h"

#define IP6_MAX_EXT 16 /* more extension headers than this is an attack, not a packet */

int decode_init(struct ss_decoder *d, int dlt, const struct ss_caps *caps, ss_ip_fn *cb, void *ctx)
{
	memset(d, 0, sizeof *d);
	if (!link_supported(dlt))
		return -1;
	d->dlt = dlt;
	d->ip_cb = cb;
	d->ctx = ctx;
	d->frags = frag_new(caps);
	return d->frags ? 0 : -1;
}

void decode_fini(struct ss_decoder *d)
{
	frag_free(d->frags);
	d->frags = NULL;
}

void decode_tick(struct ss_decoder *d, int64_t now)
{
	frag_expire(d->frags, now);
}

static void bad(struct ss_decoder *d, const struct ss_frame *f, const char *layer, const char *what,
                const char *why)
{
	d->st.malformed++;
	ss_eventf(layer, what, f->num, f->ts, 0, -1, "frame %llu: %s", (unsigned long long)f->num,
	          why);
}

static void deliver(struct ss_decoder *d, struct ss_ip *ip)
{
	switch (ip->proto) {
	case 6:
		d->st.tcp++;
		break;
	case 17:
		d->st.udp++;
		break;
	default:
		d->st.other++;
		break;
	}
	d->ip_cb(ip, d->ctx);
}

/* How many of the want bytes an IP header promises beyond the frame were
 * really on the wire: those the snap length cut. A frame that was captured
 * whole but is shorter than its IP header says is damaged; the header is
 * what lies, so nothing is missing. */
static uint32_t missing(const struct ss_frame *f, size_t want)
{
	size_t cut = f->wirelen > f->caplen ? f->wirelen - f->caplen : 0;
	return (uint32_t)(want < cut ? want : cut);
}

/* Notes a datagram that the frame holds only part of. Frames the snap length
 * cut are normal (the first one is an event); a frame shorter than its own IP
 * header says, with nothing cut, is damaged. */
static void note_short(struct ss_decoder *d, const struct ss_frame *f, const char *layer)
{
	if (f->caplen < f->wirelen) {
		d->st.cut++;
		if (!d->cut_said++)
			ss_eventf(
			    "pcap", "snaplen_cut", f->num, f->ts, 0, -1,
			    "frame %llu: %u of %u bytes captured (snap length); the missing bytes "
			    "become gaps in their streams, further cut frames are only counted",
			    (unsigned long long)f->num, f->caplen, f->wirelen);
	} else {
		bad(d, f, layer, "ip_truncated",
		    "the IP header claims more bytes than the whole frame "
		    "holds; the frame's bytes are used");
	}
}

static void ipv4(struct ss_decoder *d, const struct ss_frame *f, struct cur *c)
{
	size_t avail = cur_left(c);
	const uint8_t *h = cur_ptr(c, 20, "ipv4 header");
	if (!h) {
		if (f->caplen < f->wirelen)
			d->st.cut++;
		else
			bad(d, f, "ip", "ip_header_short", "IPv4 header cut short");
		return;
	}
	d->st.ipv4++;
	unsigned hl = (h[0] & 15u) * 4, total = (unsigned)(h[2] << 8 | h[3]);
	if (h[0] >> 4 != 4 || hl < 20 || total < hl) {
		bad(d, f, "ip", "ip_header_bad",
		    "IPv4 header: bad version, header length or total length");
		return;
	}
	if (hl > avail) {
		if (f->caplen < f->wirelen)
			d->st.cut++;
		else
			bad(d, f, "ip", "ip_header_short", "IPv4 options cut short");
		return;
	}
	struct ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.frame = f;
	ip.src.family = ip.dst.family = SS_AF_INET;
	memcpy(ip.src.b, h + 12, 4);
	memcpy(ip.dst.b, h + 16, 4);
	ip.proto = h[9];
	ip.l4 = c->p + c->off - 20 + hl;
	/* Bytes past total are link padding (Ethernet pads to 60 bytes). */
	ip.l4_len = total <= avail ? total - hl : (uint32_t)(avail - hl);
	ip.l4_wire_len = ip.l4_len + (total > avail ? missing(f, total - avail) : 0);
	if (total > avail)
		note_short(d, f, "ip");

	unsigned frag = (unsigned)(h[6] << 8 | h[7]);
	int more = (frag & 0x2000) != 0;
	uint32_t off = (frag & 0x1fff) * 8u;
	if (!more && off == 0) {
		deliver(d, &ip);
		return;
	}
	if (ip.l4_len < ip.l4_wire_len) {
		bad(d, f, "frag", "frag_cut", "IPv4 fragment cut short: it cannot be reassembled");
		return;
	}
	struct frag_key k;
	memset(&k, 0, sizeof k); /* the key is hashed and compared as bytes */
	k.src = ip.src;
	k.dst = ip.dst;
	k.id = (uint32_t)(h[4] << 8 | h[5]);
	k.proto = ip.proto;
	struct frag_done done;
	if (frag_add(d->frags, &k, off, ip.l4, ip.l4_len, more, ip.proto, f, &done) != 1)
		return;
	ip.l4 = done.p;
	ip.l4_len = ip.l4_wire_len = done.len;
	ip.reassembled = 1;
	deliver(d, &ip);
}

static int ip6_is_ext(uint8_t nh)
{
	/* Hop-by-hop, routing, destination options, mobility, HIP, shim6; the
	 * fragment header and AH are handled apart. */
	return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

/* Walks extension headers from nh over c; returns the transport protocol and
 * leaves c at its header, or -1 (after an event) when the chain is bad. A
 * fragment header stops the walk with 44, c at the fragment header. */
static int ip6_walk(struct ss_decoder *d, const struct ss_frame *f, struct cur *c, uint8_t nh)
{
	/* n headers walked so far: the one after the 16th must end the chain */
	for (int n = 0;; n++) {
		if (nh == 44)
			return 44;
		if (!ip6_is_ext(nh) && nh != 51)
			return nh;
		if (n == IP6_MAX_EXT)
			break;
		int b0 = cur_peek(c, 0), b1 = cur_peek(c, 1);
		if (b0 < 0 || b1 < 0) {
			note_short(d, f, "ip");
			return -1;
		}
		size_t len = nh == 51 ? ((size_t)b1 + 2) * 4 : ((size_t)b1 + 1) * 8;
		if (cur_skip(c, len, "ipv6 extension header")) {
			note_short(d, f, "ip");
			return -1;
		}
		nh = (uint8_t)b0;
	}
	bad(d, f, "ip", "ip6_ext_chain", "more than 16 IPv6 extension headers");
	return -1;
}

static void ipv6(struct ss_decoder *d, const struct ss_frame *f, struct cur *c)
{
	const uint8_t *h = cur_ptr(c, 40, "ipv6 header");
	if (!h) {
		if (f->caplen < f->wirelen)
			d->st.cut++;
		else
			bad(d, f, "ip", "ip_header_short", "IPv6 header cut short");
		return;
	}
	d->st.ipv6++;
	if (h[0] >> 4 != 6) {
		bad(d, f, "ip", "ip_header_bad", "IPv6 header: bad version");
		return;
	}
	size_t plen = (size_t)(h[4] << 8 | h[5]), avail = cur_left(c);
	if (plen == 0)
		plen = avail; /* a jumbogram (RFC 2675) or a TSO capture: trust the frame */
	struct cur pl = cur_make(cur_rest(c), plen < avail ? plen : avail);
	if (plen > avail)
		note_short(d, f, "ip");

	struct ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.frame = f;
	ip.src.family = ip.dst.family = SS_AF_INET6;
	memcpy(ip.src.b, h + 8, 16);
	memcpy(ip.dst.b, h + 24, 16);
	int nh = ip6_walk(d, f, &pl, h[6]);
	if (nh < 0)
		return;
	if (nh != 44) {
		ip.proto = (uint8_t)nh;
		ip.l4 = cur_rest(&pl);
		ip.l4_len = (uint32_t)cur_left(&pl);
		ip.l4_wire_len = ip.l4_len + (plen > avail ? missing(f, plen - avail) : 0);
		deliver(d, &ip);
		return;
	}
	uint8_t next = cur_u8(&pl, "fragment header");
	cur_skip(&pl, 1, "fragment header");
	uint16_t offm = cur_be16(&pl, "fragment header");
	uint32_t id = cur_be32(&pl, "fragment header");
	if (pl.err) {
		note_short(d, f, "frag");
		return;
	}
	if (plen > avail && missing(f, plen - avail)) {
		bad(d, f, "frag", "frag_cut", "IPv6 fragment cut short: it cannot be reassembled");
		return;
	}
	uint32_t off = (uint32_t)(offm & 0xfff8);
	int more = offm & 1;
	if (off == 0 && !more) {
		/* An atomic fragment (RFC 6946): whole on its own. */
		ip.reassembled = 0;
	} else {
		struct frag_key k;
		memset(&k, 0, sizeof k);
		k.src = ip.src;
		k.dst = ip.dst;
		k.id = id;
		struct frag_done done;
		if (frag_add(d->frags, &k, off, cur_rest(&pl), (uint32_t)cur_left(&pl), more, next,
		             f, &done) != 1)
			return;
		pl = cur_make(done.p, done.len);
		next = done.next;
		ip.reassembled = 1;
	}
	nh = ip6_walk(d, f, &pl, next);
	if (nh < 0)
		return;
	if (nh == 44) {
		bad(d, f, "frag", "frag_nested", "a fragment header inside a fragmented datagram");
		return;
	}
	ip.proto = (uint8_t)nh;
	ip.l4 = cur_rest(&pl);
	ip.l4_len = ip.l4_wire_len = (uint32_t)cur_left(&pl);
	deliver(d, &ip);
}

void decode_frame(struct ss_decoder *d, const struct ss_frame *f)
{
	d->st.frames++;
	d->st.bytes += f->wirelen;
	struct cur c = cur_make(f->data, f->caplen);
	uint16_t type;
	switch (link_decode(d->dlt, &c, &type)) {
	case LINK_IPV4:
		ipv4(d, f, &c);
		break;
	case LINK_IPV6:
		ipv6(d, f, &c);
		break;
	case LINK_SHORT:
		if (f->caplen < f->wirelen)
			d->st.cut++;
		else
			bad(d, f, "link", "link_header_short", "link-layer header cut short");
		break;
	case LINK_OTHER:
	case LINK_UNKNOWN:
		d->st.not_ip++;
		break;
	}
}
