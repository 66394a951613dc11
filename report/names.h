/* names.h - the name each address is shown with, one for the whole run.
 *
 * Names come from, the first winning over the rest:
 *   1. a --hosts file (/etc/hosts syntax: an address, then its names; the
 *      first name is the canonical one and the one shown; the first line of
 *      an address wins, as the C library's resolver reads the file);
 *   2. --zone files (RFC 1035 master files): a PTR record names the address
 *      its in-addr.arpa or ip6.arpa owner spells by its target, an A or AAAA
 *      record its address by its owner; the first record of a kind wins;
 *   3. the DNS answers in the capture, as Wireshark's "use captured DNS
 *      packet data" does (RFC 1035 3.4.1 A, 3.3.12 PTR and 3.5
 *      IN-ADDR.ARPA; RFC 3596 2.1 AAAA and 2.5 IP6.ARPA); the latest answer
 *      of a kind wins;
 *   4. the HOSTNAME of the syslog lines an address sends (RFC 3164 4.1.2,
 *      RFC 5424 6.2.4), when it looks like a host name (RFC 1123 2.1: labels
 *      of letters, digits and hyphens; not an address; not "localhost"). An
 *      address whose lines give different host names is a relay passing on
 *      other hosts' lines: it gets no name from them.
 * Within 2 and 3 a PTR target comes before an A or AAAA owner (the name
 * the address's owner gave it), or the other way round with --names=a
 * (names_prefer_a).
 *
 * One name per address for the whole run: an address that names_get() has
 * given a name keeps it, whatever is learned later. Reading a file in two
 * passes (cli/prescan.h), every name is learned before the first line and
 * then names_freeze()d, so the first line shows a host by the name the
 * whole file gives it; in one pass (a live capture, stdin, --one-pass) a
 * host is shown by its address until a name for it is learned, and then by
 * the first name shown.
 *
 * Names are kept as dig prints them (escaped printable ASCII), without the
 * trailing dot; longer ones than NAMES_MAX_LEN are not learned. One table
 * per process; -n means the report never calls these.
 */
#ifndef SS_NAMES_H
#define SS_NAMES_H

#include <stddef.h>

#include "addr.h"
#include "record.h"

/* Addresses named at most; once full, only names already known change. */
#define NAMES_MAX 65536
/* Characters of a name at most (escapes included). */
#define NAMES_MAX_LEN 255
/* A --hosts file: bytes of a line at most (longer lines are reported and
 * skipped), lines read at most (the rest is reported and ignored), and
 * bad lines reported on stderr at most (the rest are counted). */
#define NAMES_HOSTS_LINE_MAX 4096
#define NAMES_HOSTS_MAX_LINES 1000000
#define NAMES_HOSTS_MAX_REPORTED 10

/* --names=a (on) or ptr (off, the default): which of a PTR target and an A
 * or AAAA owner names an address when both do. Set before learning. */
void names_prefer_a(int on);
/* Reads a --hosts file. Returns -1 with the reason in err when it cannot
 * be read; a bad line is said on stderr ("FILE:LINE: why") and skipped,
 * the rest still read. */
int names_load_hosts(const char *path, char *err, size_t errlen);
/* Reads a --zone file (ldns_zone_new_frm_fp). Returns -1 with
 * "FILE:LINE: why" in err when it does not load. */
int names_load_zone(const char *path, char *err, size_t errlen);
/* All of the above, before the capture is read: the preference, the hosts
 * file (NULL: none), the zone files. Returns -1 with err (a usage error:
 * exit 2). */
int names_setup(int prefer_a, const char *hosts_file, const char *const *zones, size_t nzones,
                char *err, size_t errlen);

/* Learns from the answer section of d's response, if it has one. Returns
 * nothing: a name that cannot be kept (table full, too long, memory) is
 * simply not learned. */
void names_learn(const struct rec_dns *d);
/* A syslog line's HOSTNAME (host, as the line gave it), sent by sender:
 * the flow's client. */
void names_learn_log(const struct ss_addr *sender, const struct ss_str *host);
/* Every name known now stays (the end of the first pass): what is learned
 * from here on names only addresses that have none yet, which may still
 * get a better one until they are shown. */
void names_freeze(void);

/* The name of a, or NULL when none was learned; a name given is a's for
 * the rest of the run. The string lives until names_free(). */
const char *names_get(const struct ss_addr *a);
/* A number that changes whenever a name may have changed: what was looked
 * up before stays right while it stays the same. */
unsigned long names_generation(void);
/* Addresses that have a name. */
size_t names_count(void);
/* Forgets every name, the preference and the freeze, and frees the table. */
void names_free(void);

#endif
