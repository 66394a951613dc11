/* pcapread.h - the records of a classic pcap file read in place (used by
 * capture/source.c for files that libpcap opened).
 *
 * libpcap reads a file through stdio and copies every frame twice: the
 * kernel into stdio's buffer, stdio's buffer into libpcap's. On a capture
 * of small frames those copies and their calls are much of what reading
 * costs, and the first pass for names (cli/prescan.h), which looks at very
 * few frames, is little else. This reader reads the file in large blocks
 * with pread and hands out each frame where it lies in the block.
 *
 * libpcap still opens the file and reads and checks its header (link type,
 * snapshot length, time precision); only the records that follow are read
 * here, as libpcap 1.10's sf-pcap.c reads them, with its words when one is
 * damaged: a record longer than the snapshot length gives its first
 * snapshot-length bytes; one longer than 262144 bytes, or cut short by the
 * end of the file, ends the read. Other files (pcapng, the other byte
 * order, versions before 2.4 whose caplen and len may be swapped, the link
 * types libpcap allows longer records for, pipes) are left to libpcap:
 * pcapread_new returns NULL for them.
 */
#ifndef SS_PCAPREAD_H
#define SS_PCAPREAD_H

#include <pcap/pcap.h>
#include <stdint.h>

struct pcapread;

/* A reader of the records of the file libpcap opened as p, fd being a
 * descriptor of that file (read with pread: libpcap's stream is not
 * moved); NULL when the file is not one this reader takes, or out of
 * memory. */
struct pcapread *pcapread_new(pcap_t *p, int fd);
/* The next record: 1 with *h and *data (valid until the next call; the
 * time in nanoseconds, as libpcap gives it when asked for nanosecond
 * precision), 0 at the end of the file, -1 when it is damaged or cannot be
 * read, with libpcap's words for why in pcapread_error. */
int pcapread_next(struct pcapread *r, struct pcap_pkthdr *h, const uint8_t **data);
const char *pcapread_error(const struct pcapread *r);
/* Bytes of the file read so far, the record last handed out included. */
uint64_t pcapread_offset(const struct pcapread *r);
void pcapread_free(struct pcapread *r);

#endif
