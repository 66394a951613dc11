/* pcapfeed.h - a capture file put through capture/, reassembly/ and
 * dissect/ as smtpsniff does, for the verifiers' tests: the records reach
 * whatever record sinks the test added. */
#ifndef SS_PCAPFEED_H
#define SS_PCAPFEED_H

/* Returns 0, or -1 (with a FAIL line on stdout) when path cannot be read. */
int pcapfeed(const char *path);

#endif
