/* role.h - what a hop is in its message's path, so that a reader meets
 * the verdicts that matter first: a submission (a client handing mail to
 * its own relay), a relay, a checking hop, or a final delivery. Verdicts
 * are made for every hop; only a checking hop's receiver is expected to
 * have made them too.
 */
#ifndef SS_ROLE_H
#define SS_ROLE_H

#include <stddef.h>

#include "addr.h"

enum v_role {
	V_ROLE_CHECKING,   /* its receiver wrote verdicts, or the capture shows it
	                    * writing them on another hop, or passed its copy on
	                    * encrypted, where what it wrote cannot be read */
	V_ROLE_SUBMISSION, /* the first hop of the path, to a receiver that does not
	                    * check: a client handing mail to its own relay */
	V_ROLE_RELAY,      /* passed on by a receiver that does not check */
	V_ROLE_DELIVERY,   /* the last hop, to a receiver that does not check and
	                    * passed no copy on in the capture */
};

/* "checking", "submission", "relay", "final delivery" */
const char *v_role_name(enum v_role r);

/* The receivers the capture shows checking, remembered across hops. */
#define ROLE_MAX_HOSTS 4096
struct roles {
	struct ss_addr host[ROLE_MAX_HOSTS];
	size_t n;
};

/* A hop's role: first_hop (no earlier copy of its message is in the
 * capture), passed_on (the copy its receiver passed on is), wrote (its
 * receiver wrote verdicts in that copy), hidden (that copy went over TLS:
 * the hop may be checked, so its verdicts are shown, each unknown saying
 * why). A receiver seen writing verdicts is remembered, and counts as
 * checking on its other hops too. */
enum v_role role_of(struct roles *r, const struct ss_addr *receiver, int first_hop, int passed_on,
                    int wrote, int hidden);

#endif
