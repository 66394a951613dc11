/* sstime.c - printing capture times.
 *
 * UTC is worked out here from the day count (H. Hinnant's civil_from_days),
 * so JSON times never depend on the width of time_t; local time needs the C
 * library's zone rules, asked with a 64-bit time_t where glibc offers one.
 */
#define _FILE_OFFSET_BITS 64 /* glibc: both, for a 64-bit time_t on 32-bit systems */
#define _TIME_BITS 64
#define _POSIX_C_SOURCE 200809L
#include "sstime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SEC_PER_DAY 86400

/* Splits ns into whole seconds and microseconds, rounding towards minus
 * infinity so that times before 1970 still print sensibly. */
static void split(int64_t ns, int64_t *sec, long *usec)
{
	int64_t s = ns / SS_NS_PER_SEC, r = ns % SS_NS_PER_SEC;
	if (r < 0) {
		s--;
		r += SS_NS_PER_SEC;
	}
	*sec = s;
	*usec = (long)(r / 1000);
}

/* The date of day z after 1970-01-01 (z may be negative). */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* from March */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Day and second of the day of sec, in UTC. */
static void utc_split(int64_t sec, int64_t *day, int *sod)
{
	*day = sec / SEC_PER_DAY;
	int64_t r = sec % SEC_PER_DAY;
	if (r < 0) {
		(*day)--;
		r += SEC_PER_DAY;
	}
	*sod = (int)r;
}

/* HH:MM:SS of sec in local time into hms[9]; in UTC when time_t cannot
 * hold sec or the C library cannot convert it. */
static void local_hms(int64_t sec, char hms[16])
{
	struct tm tm;
	time_t t = (time_t)sec;
	if ((int64_t)t == sec && localtime_r(&t, &tm)) {
		snprintf(hms, 16, "%02d:%02d:%02d", tm.tm_hour % 100, tm.tm_min % 100,
		         tm.tm_sec % 100);
		return;
	}
	int64_t day;
	int sod;
	utc_split(sec, &day, &sod);
	snprintf(hms, 16, "%02d:%02d:%02d", sod / 3600, sod / 60 % 60, sod % 60);
}

const char *ss_time_clock(int64_t ns, char out[32])
{
	/* The timeline stamps every line: localtime_r once per second of
	 * capture time, not once per line (only the main thread prints). */
	static int64_t last;
	static int have;
	static char hms[16];
	int64_t sec;
	long usec;
	split(ns, &sec, &usec);
	if (!have || sec != last) {
		have = 1;
		last = sec;
		local_hms(sec, hms);
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
	int64_t sec, day, y;
	long usec;
	int sod, m, d;
	split(ns, &sec, &usec);
	utc_split(sec, &day, &sod);
	civil(day, &y, &m, &d);
	snprintf(out, 40, "%04lld-%02d-%02dT%02d:%02d:%02d.%06ldZ", (long long)y, m, d, sod / 3600,
	         sod / 60 % 60, sod % 60, usec);
	return out;
}

/* Hinnant's days_from_civil. */
int64_t ss_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
