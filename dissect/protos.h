/* protos.h - the protocols dissect/ offers to reassembly. */
#ifndef SS_PROTOS_H
#define SS_PROTOS_H

#include "buf.h"
#include "caps.h"
#include "reasm.h"

struct tls_keys;

struct dissect_opts {
	const struct ss_caps *caps;
	int show_secrets;      /* --show-secrets: passwords and tokens in clear */
	int probe_only;        /* name the flows' protocols, dissect nothing (--flows) */
	struct bufpool *spare; /* message storage passed from one session to the next, or NULL */
	const struct tls_keys *keys; /* --keylog (dissect/keylog.h): TLS is decrypted; or NULL */
};

/* Registers every dissector with r, in probe order; o must outlive r.
 * Returns -1 when r has no room left. */
int dissect_register(struct ss_reasm *r, const struct dissect_opts *o);

#endif
