/* pcapdiff.c - see pcapdiff.h. */
#define _DEFAULT_SOURCE
#include "pcapdiff.h"

#include <string.h>

const char *pcapdiff(pcap_t *libpcap, struct pcapread *r, uint64_t *record)
{
	for (*record = 1;; ++*record) {
		struct pcap_pkthdr *ha, hb;
		const u_char *da;
		const uint8_t *db;
		int ra = pcap_next_ex(libpcap, &ha, &da);
		int rb = pcapread_next(r, &hb, &db);
		if (ra == 1 && rb == 1) {
			if (ha->ts.tv_sec != hb.ts.tv_sec || ha->ts.tv_usec != hb.ts.tv_usec)
				return "a frame's time";
			if (ha->caplen != hb.caplen || ha->len != hb.len)
				return "a frame's lengths";
			if (memcmp(da, db, ha->caplen))
				return "a frame's bytes";
			continue;
		}
		if (ra == PCAP_ERROR_BREAK && rb == 0)
			return NULL;
		if (ra == PCAP_ERROR && rb == -1)
			return strcmp(pcap_geterr(libpcap), pcapread_error(r))
			           ? "the words for the damage"
			           : NULL;
		return "how the file ends";
	}
}
