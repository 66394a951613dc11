/* clock.c - the timeline's time fields (see clock.h).
 *
 * UTC comes from util/sstime.c's ss_time_iso(), exact for every time
 * whatever the width of time_t; local time from the C library's zone rules
 * (localtime_r, with a 64-bit time_t where glibc offers one), in UTC should
 * it fail. Either is worked out once per second of capture time: a capture
 * has many lines a second.
 */
#define _FILE_OFFSET_BITS 64 /* glibc: both, for a 64-bit time_t on 32-bit systems */
#define _TIME_BITS 64
#define _DEFAULT_SOURCE /* tm_gmtoff, tm_zone */
#include "clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "sstime.h"

static struct tclock timeline; /* zeroed: TIME_CLOCK, local time, as before -t existed */

struct tclock *tclock_timeline(void)
{
	return &timeline;
}

void tclock_init(struct tclock *c, int format, int utc, int ordered)
{
	memset(c, 0, sizeof *c);
	c->format = format;
	c->utc = utc;
	c->sep = 1;
	c->deferred = ordered && (format == TIME_DELTA || format == TIME_SINCE_FIRST);
}

void tclock_setup(int format, int utc, int ordered)
{
	tclock_init(&timeline, format, utc, ordered);
}

int tclock_deferred(const struct tclock *c)
{
	return c->deferred;
}

/* Whole seconds and the nanoseconds past them, rounding towards minus
 * infinity so that a time before 1970 still prints sensibly. */
static void split(int64_t ns, int64_t *sec, long *nsec)
{
	int64_t s = ns / SS_NS_PER_SEC, r = ns % SS_NS_PER_SEC;
	if (r < 0) {
		s--;
		r += SS_NS_PER_SEC;
	}
	*sec = s;
	*nsec = (long)r;
}

/* "YYYY-MM-DD" and "HH:MM:SS" of sec in UTC. */
static void utc_parts(int64_t sec, char ymd[16], char hms[16])
{
	char iso[40];
	ss_time_iso(sec * SS_NS_PER_SEC, iso); /* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
	memcpy(ymd, iso, 10);
	ymd[10] = 0;
	memcpy(hms, iso + 11, 8);
	hms[8] = 0;
}

/* The broken-down local time of sec; -1 when time_t cannot hold it or the
 * C library cannot convert it. */
static int local_tm(int64_t sec, struct tm *tm)
{
	time_t t = (time_t)sec;
	return (int64_t)t == sec && localtime_r(&t, tm) ? 0 : -1;
}

/* c->ymd and c->hms for the second sec, in c's zone. */
static void parts(struct tclock *c, int64_t sec)
{
	if (c->have_sec && c->sec == sec)
		return;
	c->have_sec = 1;
	c->sec = sec;
	struct tm tm;
	if (c->utc || local_tm(sec, &tm)) {
		utc_parts(sec, c->ymd, c->hms);
		return;
	}
	snprintf(c->ymd, sizeof c->ymd, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
	         (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
	snprintf(c->hms, sizeof c->hms, "%02d:%02d:%02d", tm.tm_hour % 100, tm.tm_min % 100,
	         tm.tm_sec % 100);
}

/* "HH:MM:SS.mmm" (digits 3) or ".uuuuuu" (6), with the date before it.
 * Written by hand: every line of the timeline has one, and snprintf was
 * a twentieth of the timeline's time on a capture of short sessions. */
static size_t wall(struct tclock *c, int64_t ns, int date, int digits, char *out)
{
	int64_t sec;
	long nsec;
	split(ns, &sec, &nsec);
	parts(c, sec);
	size_t n = 0;
	if (date) {
		size_t k = strlen(c->ymd);
		memcpy(out, c->ymd, k);
		out[k] = ' ';
		n = k + 1;
	}
	size_t k = strlen(c->hms);
	memcpy(out + n, c->hms, k);
	n += k;
	out[n++] = '.';
	long frac = digits == 3 ? nsec / 1000000 : nsec / 1000;
	for (int i = digits - 1; i >= 0; i--, frac /= 10)
		out[n + (size_t)i] = (char)('0' + frac % 10);
	n += (size_t)digits;
	out[n] = 0;
	return n;
}

/* Seconds since 1970 with microseconds, as tcpdump -tt. */
static size_t epoch(int64_t ns, char *out)
{
	int64_t sec;
	long nsec;
	split(ns, &sec, &nsec);
	int n = snprintf(out, TCLOCK_MAX, "%lld.%06ld", (long long)sec, nsec / 1000);
	return n > 0 ? (size_t)n : 0;
}

/* A time in whole microseconds, as -tt shows it. */
static int64_t micro(int64_t ns)
{
	int64_t sec;
	long nsec;
	split(ns, &sec, &nsec);
	return sec * 1000000 + nsec / 1000;
}

/* "HH:MM:SS.uuuuuu" of the span from `from` to `to`, '-' first when it
 * runs backwards: the difference of the two times as -tt shows them. */
static size_t span(int64_t from, int64_t to, char *out)
{
	int64_t a = micro(from), b = micro(to);
	int neg = b < a;
	/* unsigned: any two capture times are apart by less than 2^64 us */
	uint64_t us = neg ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
	int n = snprintf(out, TCLOCK_MAX, "%s%02llu:%02u:%02u.%06u", neg ? "-" : "",
	                 (unsigned long long)(us / 3600000000u), (unsigned)(us / 60000000u % 60),
	                 (unsigned)(us / 1000000u % 60), (unsigned)(us % 1000000u));
	return n > 0 ? (size_t)n : 0;
}

/* The width of a field of c's format, for the "-" of a line with no time. */
static size_t width(const struct tclock *c, int digits)
{
	switch (c->format) {
	case TIME_EPOCH:
		return 17; /* 1796549280.263752 */
	case TIME_DELTA:
	case TIME_SINCE_FIRST:
		return 15; /* 00:00:00.000123 */
	case TIME_DATE:
		return 20 + (size_t)digits; /* 2026-12-06 09:28:00.263 */
	default:
		return 9 + (size_t)digits; /* 09:28:00.263 */
	}
}

/* The span a -ttt or -ttttt line shows at ns, the line counted as shown. */
static size_t relative(struct tclock *c, int64_t ns, char *out)
{
	if (!c->have_first) {
		c->have_first = 1;
		c->first = ns;
	}
	int64_t from = c->format == TIME_DELTA ? (c->have_prev ? c->prev : ns) : c->first;
	c->have_prev = 1;
	c->prev = ns;
	return span(from, ns, out);
}

static size_t field(struct tclock *c, int has, int64_t ns, int digits, char out[TCLOCK_MAX])
{
	size_t n = 0;
	if (c->format == TIME_NONE) {
		out[0] = 0;
		return 0;
	}
	if (!has) {
		size_t w = width(c, digits);
		out[0] = '-';
		memset(out + 1, ' ', w - 1);
		n = w;
	} else if (c->deferred) {
		static const char hex[] = "0123456789abcdef";
		uint64_t v = (uint64_t)ns;
		out[0] = TCLOCK_MARK;
		for (int i = 16; i > 0; i--, v >>= 4)
			out[i] = hex[v & 15];
		out[TCLOCK_MARK_LEN] = 0;
		return TCLOCK_MARK_LEN; /* its separator comes when it is filled in */
	} else {
		switch (c->format) {
		case TIME_EPOCH:
			n = epoch(ns, out);
			break;
		case TIME_DELTA:
		case TIME_SINCE_FIRST:
			n = relative(c, ns, out);
			break;
		case TIME_DATE:
			n = wall(c, ns, 1, digits, out);
			break;
		default:
			n = wall(c, ns, 0, digits, out);
			break;
		}
	}
	if (c->sep)
		out[n++] = ' ';
	out[n] = 0;
	return n;
}

size_t tclock_field(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX])
{
	return field(c, has, ns, 3, out);
}

size_t tclock_field_us(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX])
{
	return field(c, has, ns, 6, out);
}

/* The offset from UTC as "+09:00". */
static void offset(long gmtoff, char out[16])
{
	long a = gmtoff < 0 ? -gmtoff : gmtoff;
	snprintf(out, 16, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
}

size_t tclock_mention(struct tclock *c, int has, int64_t ns, char out[TCLOCK_MAX])
{
	if (!has) {
		out[0] = '-';
		out[1] = 0;
		return 1;
	}
	switch (c->format) {
	case TIME_CLOCK:
		return wall(c, ns, 0, 3, out);
	case TIME_DATE:
		return wall(c, ns, 1, 3, out);
	case TIME_EPOCH:
		return epoch(ns, out);
	default:
		break;
	}
	/* no zone was said: ISO 8601 with the offset */
	int64_t sec;
	long nsec;
	split(ns, &sec, &nsec);
	struct tm tm;
	char off[16] = "Z";
	if (!c->utc && !local_tm(sec, &tm) && tm.tm_gmtoff)
		offset(tm.tm_gmtoff, off);
	size_t n = wall(c, ns, 1, 3, out);
	out[10] = 'T';
	int k = snprintf(out + n, TCLOCK_MAX - n, "%s", off);
	return n + (k > 0 ? (size_t)k : 0);
}

size_t tclock_zone_line(const struct tclock *c, int has, int64_t ns, char *out, size_t n)
{
	if (c->format != TIME_CLOCK && c->format != TIME_DATE)
		return 0;
	int k;
	struct tm tm;
	int64_t sec = has ? ns / SS_NS_PER_SEC : (int64_t)time(NULL);
	if (c->utc || local_tm(sec, &tm)) {
		k = snprintf(out, n, "times are UTC\n");
	} else {
		char off[16];
		offset(tm.tm_gmtoff, off);
		/* some zones have no letters for a name, only the offset again ("-03") */
		const char *z = tm.tm_zone;
		if (z && *z && *z != '+' && *z != '-')
			k = snprintf(out, n, "times are local, %s (%s)\n", z, off);
		else
			k = snprintf(out, n, "times are local (%s)\n", off);
	}
	return k > 0 && (size_t)k < n ? (size_t)k : 0;
}

void tclock_header(struct tclock *c, FILE *out, int has, int64_t ns)
{
	if (c->said)
		return;
	c->said = 1;
	char line[128];
	size_t n = tclock_zone_line(c, has, ns, line, sizeof line);
	if (n)
		fwrite(line, 1, n, out);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The placeholder in c->pend is whole: its field goes out. */
static void fill(struct tclock *c, FILE *out)
{
	uint64_t v = 0;
	for (int i = 1; i < TCLOCK_MARK_LEN; i++)
		v = v << 4 | (uint64_t)hexval(c->pend[i]);
	char f[TCLOCK_MAX];
	size_t n = relative(c, (int64_t)v, f);
	if (c->sep)
		f[n++] = ' ';
	fwrite(f, 1, n, out);
}

void tclock_write(const void *buf, size_t n, FILE *out, void *ctx)
{
	struct tclock *c = ctx;
	const char *p = buf;
	if (!c->deferred) {
		if (n)
			fwrite(p, 1, n, out);
		return;
	}
	if (!p) { /* the end: a placeholder cut short goes out as it came */
		if (c->npend)
			fwrite(c->pend, 1, c->npend, out);
		c->npend = 0;
		return;
	}
	while (n) {
		if (c->npend) {
			/* a placeholder being gathered: hex digits, up to its length */
			if (hexval(*p) < 0) {
				fwrite(c->pend, 1, c->npend, out); /* not one after all */
				c->npend = 0;
				c->mid_line = 1;
				continue;
			}
			c->pend[c->npend++] = *p++;
			n--;
			if (c->npend == TCLOCK_MARK_LEN) {
				fill(c, out);
				c->npend = 0;
				c->mid_line = 1;
			}
			continue;
		}
		if (!c->mid_line && *p == TCLOCK_MARK) {
			c->pend[c->npend++] = *p++;
			n--;
			continue;
		}
		/* the rest of this line, its newline included */
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) + 1 : n;
		fwrite(p, 1, k, out);
		c->mid_line = !nl;
		p += k;
		n -= k;
	}
}
