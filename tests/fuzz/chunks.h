/* chunks.h - fuzz input as a TCP conversation: the input is cut on the
 * bytes "\xff\xfe" into chunks that alternate client, server, client...;
 * a chunk that starts with "\xff\xfd" is a gap as long as the rest of it
 * (its bytes are never captured). Each chunk is copied into its own
 * allocation, so ASan sees a read past its end (Suricata's isolatedBuffer).
 * Input that starts with "\xff\xfc" is picked up mid-way (no handshake,
 * no FIN); with "\xff\xfb", only the client's side is captured (every
 * server chunk is a gap): the ways sessions are captured besides whole.
 */
#ifndef SS_CHUNKS_H
#define SS_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

/* Plays data as a conversation between client port 40000 and server port
 * sport through r (which has its dissectors registered), handshake to FIN
 * unless the input says otherwise (above).
 * Gaps are followed by enough capture time for the peer's ACK to settle
 * them. */
void chunks_play(struct ss_reasm *r, const uint8_t *data, size_t size, uint16_t sport);

#endif
