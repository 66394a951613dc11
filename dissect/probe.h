/* probe.h - telling the mail protocols and DNS apart by their first bytes.
 *
 * Each probe looks at the first bytes of one direction of a flow and says
 * yes, no, or "show me more". They look at content first and at ports only
 * as a hint, because the lab and real servers run SMTP on 25, 587, 2525,
 * 10025 and wherever else they like.
 */
#ifndef SS_PROBE_H
#define SS_PROBE_H

#include "stream.h"

enum ss_probe probe_smtp(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);
enum ss_probe probe_pop3(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);
enum ss_probe probe_imap(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);
enum ss_probe probe_dns(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);

int port_smtp(const struct ss_flow *f);
int port_pop3(const struct ss_flow *f);
int port_imap(const struct ss_flow *f);
int port_dns(const struct ss_flow *f);

#endif
