/* frames.h - a capture file read as smtpsniff -r reads it, for the tests:
 * nanosecond time stamps, frames numbered from 1, each through a decoder. */
#ifndef SS_FRAMES_H
#define SS_FRAMES_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "decode.h"

/* Opens path with nanosecond time stamps; NULL with the reason in err. */
pcap_t *frames_open(const char *path, char *err);
/* Decodes every frame of p (opened with nanosecond time stamps) through
 * dec; returns how many there were. */
uint64_t frames_decode(pcap_t *p, struct ss_decoder *dec);

#endif
