/* role.c - a hop's role in its message's path (see role.h). */
#include "role.h"

const char *v_role_name(enum v_role r)
{
	switch (r) {
	case V_ROLE_CHECKING:
		return "checking";
	case V_ROLE_SUBMISSION:
		return "submission";
	case V_ROLE_RELAY:
		return "relay";
	case V_ROLE_DELIVERY:
		break;
	}
	return "final delivery";
}

static int known(const struct roles *r, const struct ss_addr *a)
{
	for (size_t i = 0; i < r->n; i++)
		if (!ss_addr_cmp(&r->host[i], a))
			return 1;
	return 0;
}

enum v_role role_of(struct roles *r, const struct ss_addr *receiver, int first_hop, int passed_on,
                    int wrote, int hidden)
{
	if (wrote) {
		/* a lab has a handful of checking hosts; past the cap each still
		 * counts on its own hops */
		if (!known(r, receiver) && r->n < ROLE_MAX_HOSTS)
			r->host[r->n++] = *receiver;
		return V_ROLE_CHECKING;
	}
	if (known(r, receiver))
		return V_ROLE_CHECKING;
	if (first_hop)
		return V_ROLE_SUBMISSION;
	if (hidden)
		return V_ROLE_CHECKING;
	return passed_on ? V_ROLE_RELAY : V_ROLE_DELIVERY;
}
