/* synth.h - hand-made TCP segments and UDP datagrams between 10.0.0.1 (the
 * client side) and 10.0.0.2, fed straight into the reassembly engine. */
#ifndef SS_SYNTH_H
#define SS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

/* One TCP segment client port cport <-> server port sport at ms
 * milliseconds into the capture; n payload bytes at p, and cut more bytes
 * the IP header claims but the snap length removed. */
void synth_tcp(struct ss_reasm *r, int from_client, uint16_t cport, uint16_t sport, int ms,
               int flags, uint32_t seq, uint32_t ack, const void *p, size_t n, size_t cut);
void synth_udp(struct ss_reasm *r, int from_client, uint16_t cport, uint16_t sport, int ms,
               const void *p, size_t n);
/* Frames are numbered from 1; this starts again. */
void synth_reset(void);

#endif
