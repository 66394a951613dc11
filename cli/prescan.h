/* prescan.h - a first pass over a capture file that only learns names, as
 * tshark -2 does, so that the timeline names every host from its first
 * line on (report/names.h).
 *
 * The file is read once more through libpcap with the filter
 * PRESCAN_FILTER: DNS over UDP (port 53), syslog over UDP (port 514), and
 * IP fragments, whose later parts carry no port. Each frame is decoded to
 * its IP datagram (capture/decode.h, fragments put back together); every
 * UDP DNS response (ldns_wire2pkt) names the addresses of its answers, and
 * every syslog datagram to port 514 names its sender by the HOSTNAME of
 * its line (dissect/syslog.h). DNS and syslog over TCP are not read here:
 * the lab's go over UDP; what TCP carries names hosts in the main pass, as
 * it comes. Then the names are frozen (names_freeze) for the main pass.
 *
 * With -c COUNT the first pass reads the frames the main pass will read
 * (the same count, through the user's filter) and looks at the ports
 * itself; otherwise it reads the whole file, the user's filter aside: the
 * names of the file's hosts do not depend on what is shown of them.
 *
 * It runs on a thread of its own, which has no event sink (util/event.h):
 * a damaged frame is said once, by the main pass, not twice.
 */
#ifndef SS_PRESCAN_H
#define SS_PRESCAN_H

#include <stdint.h>

#include "caps.h"
#include "options.h"
#include "source.h"

#define PRESCAN_FILTER                                                                             \
	"udp port 53 or udp port 514 or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] = 44) "  \
	"or (vlan and (udp port 53 or udp port 514))"

struct prescan_stats {
	uint64_t frames;  /* frames read (through the filter) */
	uint64_t answers; /* DNS responses read */
	uint64_t logs;    /* syslog lines read */
	size_t named;     /* addresses with a name afterwards */
	double seconds;   /* wall-clock time it took */
};

/* Whether the input gets a first pass: names are on (not -n), the input is
 * a regular file given by -r (not stdin, not a pipe, not live), and not
 * --one-pass. src is the main pass's input, open. */
int prescan_wanted(const struct options *o, const struct ss_source *src);
/* The first pass over path (at most count frames, 0: all, through filter
 * when count is set), then names_freeze(). Call after report_new() (which
 * sets up the names: --hosts, --zone, --names) and before the main pass.
 * Returns 0, or -1 when the file could not be read again (nothing frozen:
 * the main pass names hosts as they come). st may be NULL. */
int prescan_names(const char *path, const char *filter, uint64_t count, const struct ss_caps *caps,
                  struct prescan_stats *st);
/* prescan_wanted(), then prescan_names() with o's file, filter and count.
 * Says nothing: a file it cannot read again, the main pass reports. */
void prescan_run(const struct options *o, const struct ss_source *src);

#endif
