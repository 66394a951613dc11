/* test_role.c - a hop's role in its message's path (role.h), as issue 14
 * defines them: a checking hop (its receiver wrote verdicts, or is seen
 * writing them on another hop), a submission (the first hop, to a receiver
 * that does not check), a relay, a final delivery.
 *
 * Usage: test_role SRCDIR SHAREDDIR (neither is needed)
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "role.h"

static struct ss_addr host(int last)
{
	struct ss_addr a;
	memset(&a, 0, sizeof a);
	a.family = SS_AF_INET;
	a.b[0] = 10, a.b[1] = 255, a.b[2] = 2, a.b[3] = (uint8_t)last;
	return a;
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	static struct roles r;
	struct ss_addr relay = host(21), mx = host(33), store = host(40);
	/* the lab's path: client > relay (signs, checks nothing) > MX (checks)
	 * > the mailbox host */
	CHECK(role_of(&r, &relay, 1, 1, 0, 0) == V_ROLE_SUBMISSION);
	CHECK(role_of(&r, &mx, 0, 1, 1, 0) == V_ROLE_CHECKING);
	CHECK(role_of(&r, &store, 0, 0, 0, 0) == V_ROLE_DELIVERY);
	/* a receiver passing mail on without checking, mid-path */
	CHECK(role_of(&r, &store, 0, 1, 0, 0) == V_ROLE_RELAY);
	/* the MX seen checking once checks on its other hops too, even where
	 * its copy is not in the capture */
	CHECK(role_of(&r, &mx, 0, 0, 0, 0) == V_ROLE_CHECKING);
	CHECK(role_of(&r, &mx, 1, 0, 0, 0) == V_ROLE_CHECKING);
	CHECK(!strcmp(v_role_name(V_ROLE_DELIVERY), "final delivery"));
	/* a receiver that passed its copy on over TLS may have checked: its
	 * hop is shown (unknown, saying why), but a submission stays one */
	static struct roles fresh;
	CHECK(role_of(&fresh, &store, 0, 0, 0, 1) == V_ROLE_CHECKING);
	CHECK(role_of(&fresh, &relay, 1, 0, 0, 1) == V_ROLE_SUBMISSION);
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
