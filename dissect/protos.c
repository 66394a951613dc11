/* protos.c - the table of protocols and their registration.
 *
 * For now each protocol is recognised (so flows are named) but not yet
 * dissected: the SMTP, DNS, POP3 and IMAP dissectors fill in the callbacks.
 */
#include "protos.h"

#include "probe.h"

static const struct ss_proto protos[] = {
    {.name = "smtp", .probe = probe_smtp, .port_hint = port_smtp},
    {.name = "pop3", .probe = probe_pop3, .port_hint = port_pop3},
    {.name = "imap", .probe = probe_imap, .port_hint = port_imap},
    {.name = "dns", .probe = probe_dns, .port_hint = port_dns},
};

int dissect_register(struct ss_reasm *r)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (reasm_add_proto(r, &protos[i]))
			return -1;
	return 0;
}
