/* protos.h - the protocols dissect/ offers to reassembly. */
#ifndef SS_PROTOS_H
#define SS_PROTOS_H

#include "reasm.h"

/* Registers every dissector with r, in probe order. Returns -1 when r has
 * no room left. */
int dissect_register(struct ss_reasm *r);

#endif
