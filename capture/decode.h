/* decode.h - from a captured frame to IP datagrams: link layer, IPv4, IPv6
 * with extension headers, fragment reassembly.
 *
 * The decoder calls ip_cb once for every whole datagram it finds (a frame
 * carrying a fragment may complete none or one). Frames it cannot use are
 * counted, and the ones that are damaged raise an event naming the frame.
 */
#ifndef SS_DECODE_H
#define SS_DECODE_H

#include <stdint.h>

#include "caps.h"
#include "frag.h"
#include "packet.h"

typedef void ss_ip_fn(const struct ss_ip *ip, void *ctx);

struct ss_decode_stats {
	uint64_t frames, bytes;
	uint64_t not_ip;    /* ARP, LLDP and the like: not ours, not an error */
	uint64_t cut;       /* frames the snap length cut short */
	uint64_t malformed; /* headers that contradict themselves or the frame */
	uint64_t ipv4, ipv6;
	uint64_t tcp, udp, other;
};

struct ss_decoder {
	int dlt;
	struct frag_store *frags;
	ss_ip_fn *ip_cb;
	void *ctx;
	struct ss_decode_stats st;
	int cut_said; /* the first cut frame is an event; the rest are counted */
};

/* Returns -1 when dlt is a link type smtpsniff cannot decode, or memory runs out. */
int decode_init(struct ss_decoder *d, int dlt, const struct ss_caps *caps, ss_ip_fn *cb, void *ctx);
void decode_fini(struct ss_decoder *d);
void decode_frame(struct ss_decoder *d, const struct ss_frame *f);
/* Lets time pass for the fragment store (capture time). */
void decode_tick(struct ss_decoder *d, int64_t now);

#endif
