/* names.h - addresses named by the DNS answers in the capture, as
 * Wireshark's "use captured DNS packet data" does (RFC 1035 3.4.1 A, 3.3.12
 * PTR and 3.5 IN-ADDR.ARPA; RFC 3596 2.1 AAAA and 2.5 IP6.ARPA).
 *
 * An A or AAAA answer names its address by the record's owner; a PTR answer
 * names the address its in-addr.arpa or ip6.arpa owner spells by its
 * target, and that name is preferred: a later A or AAAA answer does not
 * replace it. Otherwise the latest answer wins. Names are kept as dig
 * prints them (escaped printable ASCII), without the trailing dot; longer
 * ones than NAMES_MAX_LEN are not learned. One table per process; -n means
 * the report never calls these.
 */
#ifndef SS_NAMES_H
#define SS_NAMES_H

#include "addr.h"
#include "record.h"

/* Addresses named at most; once full, only names already known change. */
#define NAMES_MAX 65536
/* Characters of a name at most (escapes included). */
#define NAMES_MAX_LEN 255

/* Learns from the answer section of d's response, if it has one. Returns
 * nothing: a name that cannot be kept (table full, too long, memory) is
 * simply not learned. */
void names_learn(const struct rec_dns *d);
/* The name of a, or NULL when none was learned. The string lives until the
 * next names_learn() or names_free(). */
const char *names_get(const struct ss_addr *a);
/* A number that changes whenever names_learn() may have changed a name:
 * what was looked up before stays right while it stays the same. */
unsigned long names_generation(void);
/* Forgets every name and frees the table. */
void names_free(void);

#endif
