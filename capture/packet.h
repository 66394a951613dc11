/* packet.h - a captured frame, and the IP datagram decoded from it.
 *
 * Both structures borrow their bytes: a frame's data lives until the next
 * frame is read; a datagram's l4 bytes live until the callback that receives
 * it returns (they may sit in the fragment store's buffer).
 */
#ifndef SS_PACKET_H
#define SS_PACKET_H

#include <stdint.h>

#include "addr.h"

struct ss_frame {
	uint64_t num;        /* 1-based position in the capture */
	int64_t ts;          /* capture time, ns since the epoch */
	uint32_t caplen;     /* bytes captured */
	uint32_t wirelen;    /* bytes the frame had on the wire */
	const uint8_t *data; /* caplen bytes */
};

struct ss_ip {
	const struct ss_frame *frame; /* the frame that carried (or completed) it */
	struct ss_addr src, dst;
	uint8_t proto;        /* transport protocol: 6 TCP, 17 UDP, ... */
	uint8_t reassembled;  /* 1 when put together from fragments */
	const uint8_t *l4;    /* transport header and payload */
	uint32_t l4_len;      /* bytes present at l4 */
	uint32_t l4_wire_len; /* bytes the IP header says there are */
	/* l4_len < l4_wire_len when the snap length (or a short packet) cut the
	 * datagram; transport layers must treat the missing part as unseen. */
};

#endif
