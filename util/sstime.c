/* sstime.c - printing capture times. */
#define _POSIX_C_SOURCE 200809L
#include "sstime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Splits ns into whole seconds and microseconds, rounding towards minus
 * infinity so that times before 1970 still print sensibly. */
static void split(int64_t ns, time_t *sec, long *usec)
{
	int64_t s = ns / SS_NS_PER_SEC, r = ns % SS_NS_PER_SEC;
	if (r < 0) {
		s--;
		r += SS_NS_PER_SEC;
	}
	*sec = (time_t)s;
	*usec = (long)(r / 1000);
}

const char *ss_time_clock(int64_t ns, char out[32])
{
	/* The timeline stamps every line: localtime_r once per second of
	 * capture time, not once per line (only the main thread prints). */
	static time_t last = -1;
	static char hms[16];
	static int hms_ok;
	time_t sec;
	long usec;
	split(ns, &sec, &usec);
	if (sec != last) {
		struct tm tm;
		last = sec;
		hms_ok = localtime_r(&sec, &tm) != NULL;
		if (hms_ok)
			snprintf(hms, sizeof hms, "%02d:%02d:%02d", tm.tm_hour % 100,
			         tm.tm_min % 100, tm.tm_sec % 100);
	}
	if (!hms_ok) {
		snprintf(out, 32, "%lld.%06ld", (long long)sec, usec);
		return out;
	}
	memcpy(out, hms, 8);
	out[8] = '.';
	long u = usec % 1000000;
	for (int i = 14; i > 8; i--, u /= 10)
		out[i] = (char)('0' + u % 10);
	out[15] = 0;
	return out;
}

const char *ss_time_iso(int64_t ns, char out[40])
{
	time_t sec;
	long usec;
	struct tm tm;
	split(ns, &sec, &usec);
	if (!gmtime_r(&sec, &tm))
		snprintf(out, 40, "%lld.%06ld", (long long)sec, usec);
	else
		snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		         (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		         tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, usec % 1000000);
	return out;
}
