/* udp.c - UDP datagrams (RFC 768) to their flow's consumers.
 *
 * A UDP "flow" is the pair of endpoints: the side that spoke first is the
 * client, unless it spoke from a well-known port to an ephemeral one (a
 * response whose query the capture missed).
 */
#include "cur.h"
#include "event.h"
#include "reasm_int.h"

void udp_datagram(struct ss_reasm *r, const struct ss_ip *ip)
{
	struct cur c = cur_make(ip->l4, ip->l4_len);
	uint16_t sport = cur_be16(&c, "udp header");
	uint16_t dport = cur_be16(&c, "udp header");
	uint16_t len = cur_be16(&c, "udp header");
	cur_skip(&c, 2, "udp header");
	if (c.err || len < 8 || len > ip->l4_wire_len) {
		r->st.malformed++;
		if (c.err && ip->l4_len < ip->l4_wire_len)
			return; /* cut by the snap length: the decoder counted it */
		ss_eventf("udp", "udp_header_bad", ip->frame->num, ip->frame->ts, 0, -1,
		          "frame %llu: %s", (unsigned long long)ip->frame->num,
		          c.err ? "UDP header cut short"
		                : "UDP length disagrees with the IP length");
		return;
	}
	r->st.udp_datagrams++;
	size_t n = cur_left(&c);
	if (n > (size_t)len - 8)
		n = (size_t)len - 8; /* bytes past the UDP length are padding */
	struct flow_key k;
	int src_a0;
	flow_key_make(&k, ip, sport, dport, &src_a0);
	struct flow *f = table_find(r, &k);
	if (!f) {
		f = table_add(r, &k);
		if (!f)
			return;
		int resp = sport < 1024 && dport >= 1024;
		flow_setup(r, f, resp ? !src_a0 : src_a0, resp);
	}
	enum ss_dir d = (f->cli == src_a0) ? SS_C2S : SS_S2C;
	f->pub.last_ts = r->now;
	f->pub.last_frame = r->frame;
	f->pub.st[d].packets++;
	list_move(r, f, LIST_UDP);
	if (n < (size_t)len - 8) {
		/* The datagram is cut: a partial datagram is no datagram. */
		f->pub.st[d].gaps++;
		f->pub.st[d].gap_bytes += (size_t)len - 8;
		ss_eventf("udp", "datagram_cut", r->frame, r->now, f->pub.id, d,
		          "datagram of %u bytes cut to %zu; not dissected", len - 8u, n);
		return;
	}
	deliver_datagram(r, f, d, cur_rest(&c), n, r->now);
}
