/* sstime.h - capture time: nanoseconds since the epoch in an int64_t.
 *
 * Packets carry their own time; every timeout in smtpsniff runs on it, never
 * on the wall clock, so a recording replays exactly as it was captured.
 *
 * A capture time is any value in [0, SS_TIME_MAX]: 1970-01-01T00:00:00Z is
 * a time like any other (synthetic captures stamp every frame 0), so 0 never
 * means "no time". Whether a record or an event has a time at all is told
 * by its frame number (dissect/record.h).
 */
#ifndef SS_SSTIME_H
#define SS_SSTIME_H

#include <stdint.h>

#define SS_NS_PER_SEC INT64_C(1000000000)
/* The last second int64 nanoseconds hold whole: 2262-04-11T23:47:15Z. */
#define SS_TIME_MAX_SEC (INT64_MAX / SS_NS_PER_SEC - 1)
/* The latest capture time, 2262-04-11T23:47:15.999999999Z: 0.85 s below
 * INT64_MAX, so that INT64_MAX stays free to mean "the end of the input". */
#define SS_TIME_MAX (SS_TIME_MAX_SEC * SS_NS_PER_SEC + SS_NS_PER_SEC - 1)

/* Seconds and nanoseconds as a time. Any values may come: a time past
 * +-SS_TIME_MAX_SEC seconds is held at +-SS_TIME_MAX rather than
 * overflowing, and nsec counts modulo a second. */
static inline int64_t ss_time_make(int64_t sec, int64_t nsec)
{
	if (sec > SS_TIME_MAX_SEC)
		return SS_TIME_MAX;
	if (sec < -SS_TIME_MAX_SEC)
		return -SS_TIME_MAX;
	return sec * SS_NS_PER_SEC + nsec % SS_NS_PER_SEC;
}

/* A frame's time stamp as libpcap hands it over (sec, and the fraction in
 * nanoseconds) as capture time. sec32: the frame is from a classic pcap
 * file, whose ts_sec is 32 bits unsigned (up to 2106-02-07T06:28:15Z) but
 * which libpcap 1.10 reads signed, handing times from 2038-01-19T03:14:08Z
 * on over as before 1970: its low 32 bits are the file's, so they are taken
 * unsigned. pcapng time stamps (64 bits in units of if_tsresol) come whole.
 * A time before 1970 (pcapng only: a negative if_tsoffset, or a time stamp
 * past 2^63 s that libpcap wraps) is held at 0, one after SS_TIME_MAX at
 * SS_TIME_MAX: files may say anything, and every layer above counts on
 * capture times in [0, SS_TIME_MAX]. */
static inline int64_t ss_time_capture(int64_t sec, int64_t nsec, int sec32)
{
	if (sec32)
		sec = (int64_t)(uint32_t)sec;
	int64_t t = ss_time_make(sec, nsec);
	return t < 0 ? 0 : t;
}

/* "HH:MM:SS.uuuuuu" in local time (set TZ for other zones), as tcpdump;
 * in UTC should the C library fail to convert (a 32-bit time_t). */
/* Days since 1970-01-01 of a proleptic Gregorian date: UTC without the
 * C library's time zone state (timegm, which another thread's
 * localtime_r shares). */
int64_t ss_days_from_civil(int64_t y, int m, int d);
const char *ss_time_clock(int64_t ns, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" in UTC, for JSON. Exact for every int64
 * (proleptic Gregorian calendar), whatever the width of time_t. */
const char *ss_time_iso(int64_t ns, char out[40]);

#endif
