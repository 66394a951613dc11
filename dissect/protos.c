/* protos.c - the table of protocols and their registration, in probe order.
 *
 * With --flows (probe_only) every protocol is only recognised, so its flows
 * are named, and nothing is dissected.
 */
#include "protos.h"

#include "dns.h"
#include "imap.h"
#include "pop3.h"
#include "probe.h"
#include "smtp.h"
#include "syslog.h"
#include "tlsproto.h"

static const struct ss_proto dns = {.name = "dns",
                                    .probe = dns_probe,
                                    .port_hint = port_dns,
                                    .open = dns_open,
                                    .data = dns_data,
                                    .gap = dns_gap,
                                    .datagram = dns_datagram,
                                    .close = dns_close};

/* Names only: what --flows needs when nothing dissected would be shown. */
static const struct ss_proto smtp_named = {
    .name = "smtp", .probe = probe_smtp, .port_hint = port_smtp};
static const struct ss_proto dns_named = {.name = "dns", .probe = dns_probe, .port_hint = port_dns};
static const struct ss_proto pop3_named = {
    .name = "pop3", .probe = probe_pop3, .port_hint = port_pop3};
static const struct ss_proto imap_named = {
    .name = "imap", .probe = probe_imap, .port_hint = port_imap};
static const struct ss_proto syslog_named = {
    .name = "syslog", .probe = syslog_probe, .port_hint = port_syslog};

int dissect_register(struct ss_reasm *r, const struct dissect_opts *o)
{
	const struct ss_proto *list[] = {
	    o->probe_only ? &smtp_named : smtp_proto(o),
	    o->probe_only ? &pop3_named : pop3_proto(o),
	    o->probe_only ? &imap_named : imap_proto(o),
	    /* implicit TLS: SMTPS, IMAPS, POP3S, and TLS on other ports */
	    o->probe_only ? tls_proto_named() : tls_proto(o),
	    o->probe_only ? &dns_named : &dns,
	    o->probe_only ? &syslog_named : syslog_proto(o),
	};
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		if (reasm_add_proto(r, list[i]))
			return -1;
	return 0;
}
