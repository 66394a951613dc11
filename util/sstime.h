/* sstime.h - capture time: nanoseconds since the epoch in an int64_t.
 *
 * Packets carry their own time; every timeout in smtpsniff runs on it, never
 * on the wall clock, so a recording replays exactly as it was captured.
 */
#ifndef SS_SSTIME_H
#define SS_SSTIME_H

#include <stdint.h>

#define SS_NS_PER_SEC INT64_C(1000000000)

/* "HH:MM:SS.uuuuuu" in local time (set TZ for other zones), as tcpdump. */
const char *ss_time_clock(int64_t ns, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" in UTC, for JSON. */
const char *ss_time_iso(int64_t ns, char out[40]);

#endif
