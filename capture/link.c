/* link.c - link layers: Ethernet (802.1Q, QinQ, LLC/SNAP, PPPoE, MPLS), Linux
 * cooked v1 and v2, raw IP, BSD loopback (DLT_NULL and DLT_LOOP).
 *
 * Sources: IEEE 802.3 and 802.1Q; RFC 2516 (PPPoE); RFC 3032 (MPLS); the tcpdump.org
 * link-type pages for LINKTYPE_LINUX_SLL, LINUX_SLL2, NULL and LOOP.
 */
#define _DEFAULT_SOURCE
#include "link.h"

#include <pcap/pcap.h>

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD1 0x9100
#define ETH_QINQ_OLD2 0x9200
#define ETH_PPPOE_SESSION 0x8864
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define MAX_TAGS 8 /* more stacked tags than this is not a real network */

int link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
#if defined(DLT_RAW) && DLT_RAW != 12
	case 12: /* DLT_RAW is 14 on some BSDs; 12 elsewhere */
#endif
		return 1;
	}
	return 0;
}

/* The version nibble decides for links that carry bare IP. */
static enum link_net by_version(struct cur *c, uint16_t *ethertype)
{
	int b = cur_peek(c, 0);
	if (b < 0)
		return LINK_SHORT;
	*ethertype = 0;
	if (b >> 4 == 4)
		return LINK_IPV4;
	if (b >> 4 == 6)
		return LINK_IPV6;
	return LINK_OTHER;
}

/* Follows an ethertype through VLAN tags and PPPoE to IP. */
static enum link_net by_ethertype(uint16_t type, struct cur *c, uint16_t *ethertype)
{
	for (int tags = 0; tags <= MAX_TAGS; tags++) {
		*ethertype = type;
		switch (type) {
		case ETH_IPV4:
			return LINK_IPV4;
		case ETH_IPV6:
			return LINK_IPV6;
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD1:
		case ETH_QINQ_OLD2:
			cur_skip(c, 2, "vlan tag"); /* priority, DEI, VLAN id */
			type = cur_be16(c, "vlan tag");
			break;
		case ETH_PPPOE_SESSION: {
			cur_skip(c, 6, "pppoe header"); /* ver/type, code, session, length */
			uint16_t ppp = cur_be16(c, "pppoe header");
			if (c->err)
				return LINK_SHORT;
			if (ppp == 0x0021)
				return *ethertype = ETH_IPV4, LINK_IPV4;
			if (ppp == 0x0057)
				return *ethertype = ETH_IPV6, LINK_IPV6;
			return LINK_OTHER;
		}
		case ETH_MPLS:
		case ETH_MPLS_MC:
			/* Labels up to the bottom of the stack; the payload names no
			 * protocol, so the IP version nibble decides (RFC 3032). */
			for (int l = 0; l <= MAX_TAGS; l++) {
				uint32_t label = cur_be32(c, "mpls label");
				if (c->err)
					return LINK_SHORT;
				if (label & 0x100)
					return by_version(c, ethertype);
			}
			return LINK_OTHER;
		default:
			return LINK_OTHER;
		}
		if (c->err)
			return LINK_SHORT;
	}
	return LINK_OTHER;
}

static enum link_net ethernet(struct cur *c, uint16_t *ethertype)
{
	cur_skip(c, 12, "ethernet header");
	uint16_t type = cur_be16(c, "ethernet header");
	if (c->err)
		return LINK_SHORT;
	if (type <= 1500) {
		/* An 802.3 length: IP rides only in LLC/SNAP (AA AA 03, OUI 0). */
		const uint8_t *llc = cur_ptr(c, 8, "llc/snap header");
		if (!llc)
			return LINK_SHORT;
		if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03)
			return *ethertype = 0, LINK_OTHER;
		type = (uint16_t)(llc[6] << 8 | llc[7]);
	}
	return by_ethertype(type, c, ethertype);
}

static enum link_net null_family(uint32_t fam, struct cur *c, uint16_t *ethertype)
{
	*ethertype = 0;
	/* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD),
	 * 28 (FreeBSD), 30 (macOS). */
	if (fam == 2)
		return LINK_IPV4;
	if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return LINK_IPV6;
	(void)c;
	return LINK_OTHER;
}

enum link_net link_decode(int dlt, struct cur *c, uint16_t *ethertype)
{
	*ethertype = 0;
	switch (dlt) {
	case DLT_EN10MB:
		return ethernet(c, ethertype);
	case DLT_LINUX_SLL: {
		cur_skip(c, 14, "linux cooked header");
		uint16_t type = cur_be16(c, "linux cooked header");
		return c->err ? LINK_SHORT : by_ethertype(type, c, ethertype);
	}
	case DLT_LINUX_SLL2: {
		uint16_t type = cur_be16(c, "linux cooked v2 header");
		cur_skip(c, 18, "linux cooked v2 header");
		return c->err ? LINK_SHORT : by_ethertype(type, c, ethertype);
	}
	case DLT_NULL: {
		/* Host byte order of the machine that captured: try both. */
		const uint8_t *h = cur_ptr(c, 4, "loopback header");
		if (!h)
			return LINK_SHORT;
		uint32_t le =
		    (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0];
		uint32_t be =
		    (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		return null_family(le < 256 ? le : be, c, ethertype);
	}
	case DLT_LOOP: {
		uint32_t fam = cur_be32(c, "loopback header");
		return c->err ? LINK_SHORT : null_family(fam, c, ethertype);
	}
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_RAW:
#if defined(DLT_RAW) && DLT_RAW != 12
	case 12:
#endif
		return by_version(c, ethertype);
	}
	return LINK_UNKNOWN;
}
