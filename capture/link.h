/* link.h - finding the IP header behind a frame's link-layer header. */
#ifndef SS_LINK_H
#define SS_LINK_H

#include <stdint.h>

#include "cur.h"

enum link_net {
	LINK_IPV4,
	LINK_IPV6,
	LINK_OTHER,   /* a frame of another protocol (ARP, LLDP...) */
	LINK_SHORT,   /* the link header itself is cut */
	LINK_UNKNOWN, /* a link type smtpsniff does not decode */
};

/* Returns 1 when smtpsniff decodes the DLT_ value dlt. */
int link_supported(int dlt);
/* Reads the link-layer header of type dlt from c and leaves c at the network
 * header. *ethertype gets the protocol number seen (for LINK_OTHER reports). */
enum link_net link_decode(int dlt, struct cur *c, uint16_t *ethertype);

#endif
