/* flows.h - one flow as a line of text or a JSON object. */
#ifndef SS_FLOWS_H
#define SS_FLOWS_H

#include <stdio.h>

#include "stream.h"

/* "10.255.1.10.43210" or "2001:db8::1.25", as tcpdump writes endpoints. */
const char *flows_endpoint(const struct ss_endpoint *e, char out[64]);
/* The flow's summary, when it has ended. */
void flows_text(FILE *out, const struct ss_flow *f);
void flows_json(FILE *out, const struct ss_flow *f);
/* The timeline's line for a flow that begins. */
void flows_text_open(FILE *out, const struct ss_flow *f);

#endif
