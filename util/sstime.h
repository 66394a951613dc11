/* sstime.h - capture time: nanoseconds since the epoch in an int64_t.
 *
 * Packets carry their own time; every timeout in smtpsniff runs on it, never
 * on the wall clock, so a recording replays exactly as it was captured.
 */
#ifndef SS_SSTIME_H
#define SS_SSTIME_H

#include <stdint.h>

#define SS_NS_PER_SEC INT64_C(1000000000)

/* Seconds and nanoseconds from a capture file as capture time. A file may
 * say anything: times past the year 2262 (where int64 nanoseconds end) are
 * held there rather than overflowing. */
static inline int64_t ss_time_make(int64_t sec, int64_t nsec)
{
	const int64_t max = INT64_MAX / SS_NS_PER_SEC - 1;
	if (sec > max)
		sec = max;
	if (sec < -max)
		sec = -max;
	return sec * SS_NS_PER_SEC + nsec % SS_NS_PER_SEC;
}

/* "HH:MM:SS.uuuuuu" in local time (set TZ for other zones), as tcpdump. */
const char *ss_time_clock(int64_t ns, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" in UTC, for JSON. */
const char *ss_time_iso(int64_t ns, char out[40]);

#endif
