/* pcapdiff.h - a capture file read by libpcap and by capture/pcapread.c
 * side by side, record by record: what test_pcapread and fuzz_pcapread
 * hold the in-place reader to.
 */
#ifndef SS_TEST_PCAPDIFF_H
#define SS_TEST_PCAPDIFF_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "pcapread.h"

/* Reads both to their end: NULL when every frame (time, lengths, bytes)
 * and the end (the file's end, or the same words for its damage) were the
 * same, else what differed first, with *record its number (from 1). */
const char *pcapdiff(pcap_t *libpcap, struct pcapread *r, uint64_t *record);

#endif
