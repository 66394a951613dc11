/* logfile.c - --log FILE: syslog lines read from files (see logfile.h).
 *
 * Each file has one line (or journal entry) read ahead and parsed, with its
 * time; logfile_emit_until() hands on the earliest of those heads while it
 * is not after the capture's clock, then reads that file's next line. So
 * the log lines fall into the timeline where they belong, with memory of
 * one line per file whatever the files' sizes.
 *
 * Files are read through a block buffer of our own and a line buffer that
 * grows to --max-line at most; bytes past that are skipped as they come,
 * never held. Times are computed with civil-from-days arithmetic (Howard
 * Hinnant's days_from_civil) for UTC and fixed offsets, and mktime() for
 * local time, so no time_t width or TZ setting bends a line's stated zone.
 */
#define _DEFAULT_SOURCE
#include "logfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sstime.h"
#include "syslog.h"

#define LOGFILE_BLOCK 65536              /* bytes read from a file at once */
#define LOGFILE_DEFAULT_LINE (64u << 10) /* max_line 0 */
#define LOGFILE_FIRST_LINE 4096          /* a line buffer's first size */
#define LOGFILE_FIELD 256                /* a journal field other than MESSAGE */

enum { MODE_NEW, MODE_TEXT, MODE_EXPORT };

/* A buffer that grows to max bytes at most. */
struct gbuf {
	uint8_t *p;
	size_t len, cap, max;
};

/* The journal export fields a record is made of. */
enum jkey { J_TIME, J_HOST, J_IDENT, J_COMM, J_SPID, J_PID, J_MSG, J_PRIO, J_FAC, J_KEYS };
static const char *const jnames[J_KEYS] = {
    "__REALTIME_TIMESTAMP", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_COMM",
    "SYSLOG_PID",           "_PID",      "MESSAGE",           "PRIORITY",
    "SYSLOG_FACILITY"};

struct jfield {
	struct gbuf b;
	int set, cut;
};

struct lfile {
	char *name;
	FILE *fp;
	uint8_t *blk; /* LOGFILE_BLOCK bytes read ahead */
	size_t pos, end;
	int eof;
	uint64_t lfs; /* LFs consumed: the next line is number lfs + 1 */
	int mode;
	int64_t mtime; /* ns */
	/* the head: the line read ahead, parsed */
	int have;
	struct gbuf line;
	uint64_t lineno;
	struct rec_log rec;
	int timed;
	int64_t t;
	/* the last timed line read, for lines without a time */
	int have_last;
	int64_t last_t;
	/* traditional lines: the year they are in, by the last month seen */
	int year, month;
	int ref_year, ref_month;
	struct jfield jf[J_KEYS];
};

struct logfile {
	struct lfile *f;
	size_t n;
	size_t max_line;
	int year;
	int tz_local, tz_off; /* tz_off: seconds east of UTC */
	int started;
	struct logfile_stats st;
};

/* ---- time ---- */

static void civil_from_days(int64_t z, int *y, int *m)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (mon <= 2));
	*m = mon;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* A time as a line writes it. */
struct civil {
	int y, mo, d, h, mi, s;
	int64_t ns;
	int zoned; /* off is the line's own */
	int off;   /* seconds east of UTC */
};

/* The capture time of c, in the line's zone or else lf's; -1 when c is no
 * date. Times before 1970 are held at 0, as capture times are. */
static int civil_time(const struct logfile *lf, const struct civil *c, int64_t *out)
{
	if (c->mo < 1 || c->mo > 12 || c->d < 1 || c->d > month_days(c->y, c->mo) || c->h > 23 ||
	    c->mi > 59 || c->s > 60)
		return -1;
	int64_t sec;
	if (c->zoned || !lf->tz_local) {
		int off = c->zoned ? c->off : lf->tz_off;
		sec = ss_days_from_civil(c->y, c->mo, c->d) * 86400 + c->h * 3600 + c->mi * 60 +
		      c->s - off;
	} else {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = c->y - 1900;
		tm.tm_mon = c->mo - 1;
		tm.tm_mday = c->d;
		tm.tm_hour = c->h;
		tm.tm_min = c->mi;
		tm.tm_sec = c->s;
		tm.tm_isdst = -1;
		sec = (int64_t)mktime(&tm);
	}
	int64_t t = ss_time_make(sec, c->ns);
	*out = t < 0 ? 0 : t;
	return 0;
}

/* The year and month at capture time t in lf's zone. */
static void civil_of(const struct logfile *lf, int64_t t, int *y, int *m)
{
	int64_t sec = t / SS_NS_PER_SEC;
	if (lf->tz_local) {
		time_t tt = (time_t)sec;
		struct tm tm;
		if (localtime_r(&tt, &tm)) {
			*y = tm.tm_year + 1900;
			*m = tm.tm_mon + 1;
			return;
		}
	}
	int64_t s = sec + (lf->tz_local ? 0 : lf->tz_off);
	civil_from_days((s >= 0 ? s : s - 86399) / 86400, y, m);
}

static int digit(const uint8_t *p, size_t n, size_t i)
{
	return i < n && p[i] >= '0' && p[i] <= '9';
}

/* The number of k digits at p[i], or -1. */
static int digits(const uint8_t *p, size_t n, size_t i, size_t k)
{
	int v = 0;
	for (size_t j = 0; j < k; j++) {
		if (!digit(p, n, i + j))
			return -1;
		v = v * 10 + (p[i + j] - '0');
	}
	return v;
}

/* ".ddd": up to 9 digits count, more are read and dropped. Returns the
 * bytes used. */
static size_t fraction(const uint8_t *p, size_t n, size_t i, int64_t *ns)
{
	*ns = 0;
	if (i >= n || p[i] != '.' || !digit(p, n, i + 1))
		return 0;
	size_t j = i + 1, k = 0;
	int64_t v = 0;
	for (; digit(p, n, j); j++, k++)
		if (k < 9)
			v = v * 10 + (p[j] - '0');
	for (; k < 9; k++)
		v *= 10;
	*ns = v;
	return j - i;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" at p[i]. Returns the bytes used (0: none)
 * and sets the offset, east positive. */
static size_t zone(const uint8_t *p, size_t n, size_t i, int *off)
{
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		*off = 0;
		return 1;
	}
	if (i >= n || (p[i] != '+' && p[i] != '-'))
		return 0;
	int h = digits(p, n, i + 1, 2);
	if (h < 0 || h > 23)
		return 0;
	size_t used = 3;
	int mi = 0;
	if (i + 3 < n && p[i + 3] == ':' && digits(p, n, i + 4, 2) >= 0) {
		mi = digits(p, n, i + 4, 2);
		used = 6;
	} else if (digits(p, n, i + 3, 2) >= 0) {
		mi = digits(p, n, i + 3, 2);
		used = 5;
	}
	if (mi > 59)
		return 0;
	*off = (p[i] == '-' ? -1 : 1) * (h * 3600 + mi * 60);
	return used;
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff][zone]" at the start of p, ending at
 * the end or SP. Returns its length, 0 when there is none. */
static size_t iso_time(const uint8_t *p, size_t n, struct civil *c)
{
	memset(c, 0, sizeof *c);
	c->y = digits(p, n, 0, 4);
	c->mo = digits(p, n, 5, 2);
	c->d = digits(p, n, 8, 2);
	c->h = digits(p, n, 11, 2);
	c->mi = digits(p, n, 14, 2);
	c->s = digits(p, n, 17, 2);
	if (c->y < 0 || c->mo < 0 || c->d < 0 || c->h < 0 || c->mi < 0 || c->s < 0 || p[4] != '-' ||
	    p[7] != '-' || (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':')
		return 0;
	size_t i = 19;
	i += fraction(p, n, i, &c->ns);
	size_t z = zone(p, n, i, &c->off);
	c->zoned = z > 0;
	i += z;
	return i == n || p[i] == ' ' ? i : 0;
}

/* RFC 3164 "Mmm dd hh:mm:ss" (the day padded with SP or 0, or one digit),
 * maybe ".ffffff" (journalctl -o short-precise). Returns its length. */
static size_t bsd_time(const uint8_t *p, size_t n, struct civil *c)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	memset(c, 0, sizeof *c);
	if (n < 14)
		return 0;
	for (int m = 0; m < 12 && !c->mo; m++)
		if (!memcmp(p, months + 3 * m, 3))
			c->mo = m + 1;
	if (!c->mo || p[3] != ' ')
		return 0;
	size_t i = 4;
	if (p[i] == ' ')
		i++;
	if (!digit(p, n, i))
		return 0;
	c->d = p[i++] - '0';
	if (digit(p, n, i))
		c->d = c->d * 10 + (p[i++] - '0');
	if (i >= n || p[i] != ' ')
		return 0;
	i++;
	c->h = digits(p, n, i, 2);
	c->mi = digits(p, n, i + 3, 2);
	c->s = digits(p, n, i + 6, 2);
	if (c->h < 0 || c->mi < 0 || c->s < 0 || p[i + 2] != ':' || p[i + 5] != ':')
		return 0;
	i += 8;
	i += fraction(p, n, i, &c->ns);
	return i == n || p[i] == ' ' ? i : 0;
}

/* The year of a traditional line in month m (logfile.h, struct
 * logfile_opts year): it goes on by one when the month goes back by more
 * than 6 months from the line before (the log crossed New Year). Only
 * forward: a log may be quiet for months, and a month far ahead of the
 * line before is more likely such a gap than lines out of order. */
static int bsd_year(const struct logfile *lf, struct lfile *f, int m)
{
	if (!f->month) {
		int y = lf->year ? lf->year : f->ref_year;
		if (!lf->year && m - f->ref_month > 6) /* the log began before New Year */
			y--;
		f->year = y;
	} else if (f->month - m > 6) {
		f->year++;
	}
	f->month = m;
	return f->year;
}

/* ---- reading ---- */

static void read_error(struct logfile *lf, struct lfile *f, int e)
{
	if (!lf->st.error[0])
		snprintf(lf->st.error, sizeof lf->st.error, "%s: %s", f->name, strerror(e));
}

/* Makes bytes available; 0 at the end of the file (or an error). */
static int fill(struct logfile *lf, struct lfile *f)
{
	if (f->pos < f->end)
		return 1;
	if (f->eof)
		return 0;
	size_t got = fread(f->blk, 1, LOGFILE_BLOCK, f->fp);
	f->pos = 0;
	f->end = got;
	if (!got) {
		f->eof = 1;
		if (ferror(f->fp))
			read_error(lf, f, errno ? errno : EIO);
		return 0;
	}
	return 1;
}

/* Appends p[0..n) to b as far as its max allows; 0 when some was left out. */
static int gbuf_add(struct gbuf *b, const uint8_t *p, size_t n)
{
	size_t room = b->max - b->len;
	size_t want = n < room ? n : room;
	if (b->len + want > b->cap) {
		size_t cap = b->cap                        ? b->cap
		             : LOGFILE_FIRST_LINE < b->max ? LOGFILE_FIRST_LINE
		                                           : b->max;
		while (cap < b->len + want)
			cap = cap > b->max / 2 ? b->max : cap * 2;
		uint8_t *q = realloc(b->p, cap ? cap : 1);
		if (!q) /* no room to grow: the line is cut here */
			return 0;
		b->p = q;
		b->cap = cap;
	}
	if (want)
		memcpy(b->p + b->len, p, want);
	b->len += want;
	return want == n;
}

/* Reads up to the next LF (dropped) into b, keeping at most b->max bytes
 * and skipping the rest. Returns 0 at the end of the file with nothing
 * read; sets *cut when bytes were skipped. */
static int read_line(struct logfile *lf, struct lfile *f, struct gbuf *b, int *cut)
{
	int any = 0;
	b->len = 0;
	*cut = 0;
	while (fill(lf, f)) {
		any = 1;
		const uint8_t *s = f->blk + f->pos;
		size_t avail = f->end - f->pos;
		const uint8_t *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;
		if (!*cut && !gbuf_add(b, s, take))
			*cut = 1; /* the rest of the line is skipped as it comes */
		f->pos += take;
		if (nl) {
			f->pos++;
			f->lfs++;
			return 1;
		}
	}
	return any;
}

/* Reads want bytes, keeping what fits of them in b (NULL: none). Returns
 * the bytes read: fewer at the end of the file. */
static uint64_t read_bytes(struct logfile *lf, struct lfile *f, struct gbuf *b, uint64_t want,
                           int *cut)
{
	uint64_t done = 0;
	if (b)
		b->len = 0;
	*cut = 0;
	while (done < want && fill(lf, f)) {
		size_t avail = f->end - f->pos;
		size_t take = want - done < avail ? (size_t)(want - done) : avail;
		const uint8_t *s = f->blk + f->pos;
		for (size_t i = 0; i < take; i++)
			f->lfs += s[i] == '\n';
		if (b && !*cut && !gbuf_add(b, s, take))
			*cut = 1;
		f->pos += take;
		done += take;
	}
	if (!b && want)
		*cut = 1;
	return done;
}

/* ---- one line ---- */

/* After the time: spaces, HOST, spaces, TAG[PID]: (or a tag without its
 * colon), spaces, the message. A first word that ends in ':' is the tag of
 * a line without a host (no host name ends so). */
static void header(struct rec_log *r, const uint8_t *p, size_t n, size_t i)
{
	while (i < n && p[i] == ' ')
		i++;
	size_t h = i;
	while (i < n && p[i] != ' ')
		i++;
	if (i > h && p[i - 1] == ':') {
		i = h;
	} else {
		r->host.p = i > h ? p + h : NULL;
		r->host.len = i - h;
	}
	while (i < n && p[i] == ' ')
		i++;
	size_t t = i;
	while (i < n && p[i] != ' ')
		i++;
	size_t tl = i - t;
	if (tl && p[t + tl - 1] == ':')
		tl--;
	r->app.p = tl ? p + t : NULL;
	r->app.len = tl;
	if (tl >= 3 && p[t + tl - 1] == ']') {
		size_t open = tl - 1;
		while (open > 0 && p[t + open] != '[')
			open--;
		if (p[t + open] == '[' && open > 0) {
			r->app.len = open;
			r->procid.p = p + t + open + 1;
			r->procid.len = tl - open - 2;
			r->procid.p = r->procid.len ? r->procid.p : NULL;
		}
	}
	while (i < n && p[i] == ' ')
		i++;
	r->message.p = i < n ? p + i : NULL;
	r->message.len = n - i;
}

/* Decimal digits only, at most 18; -1 otherwise. */
static long long number(struct ss_str s)
{
	if (!s.len || s.len > 18)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

/* Parses the text line p[0..n) into f's head record and time. */
static void parse_line(const struct logfile *lf, struct lfile *f, const uint8_t *p, size_t n)
{
	struct rec_log *r = &f->rec;
	memset(r, 0, sizeof *r);
	r->facility = r->severity = -1;
	r->pid = -1;
	f->timed = 0;
	struct civil c;
	size_t k, i = 0;
	int pri = -1;
	if (n && p[0] == '<') {
		/* "<PRI>" before an ISO time: rsyslog's RSYSLOG_ForwardFormat, which
		 * is neither RFC 5424 nor 3164 */
		size_t j = 1;
		int v = 0;
		while (j < n && j <= 3 && p[j] >= '0' && p[j] <= '9')
			v = v * 10 + (p[j++] - '0');
		if (j > 1 && j < n && p[j] == '>' && v <= SYSLOG_MAX_PRI &&
		    iso_time(p + j + 1, n - j - 1, &c)) {
			pri = v;
			i = j + 1;
		} else {
			if (syslog_parse(p, n, r)) /* the whole line is its message */
				return;
			struct ss_str ts = r->timestamp;
			if (r->version == 1 && ts.len && iso_time(ts.p, ts.len, &c) == ts.len)
				f->timed = !civil_time(lf, &c, &f->t);
			else if (r->version == 0 && ts.len &&
			         bsd_time(ts.p, ts.len, &c) == ts.len) {
				c.y = bsd_year(lf, f, c.mo);
				f->timed = !civil_time(lf, &c, &f->t);
			}
			return;
		}
	}
	if ((k = iso_time(p + i, n - i, &c))) {
		f->timed = !civil_time(lf, &c, &f->t);
		f->year = c.y; /* traditional lines after it go on from here */
		f->month = c.mo;
	} else if ((k = bsd_time(p + i, n - i, &c))) {
		c.y = bsd_year(lf, f, c.mo);
		f->timed = !civil_time(lf, &c, &f->t);
	} else {
		r->message.p = n ? p : NULL;
		r->message.len = n;
		return;
	}
	if (pri >= 0) {
		r->facility = pri >> 3;
		r->severity = pri & 7;
	}
	r->timestamp.p = p + i;
	r->timestamp.len = k;
	header(r, p, n, i + k);
	r->pid = number(r->procid);
}

/* ---- journal export ---- */

static int key_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Does the first line open a journal export (a field "__NAME=")? */
static int export_line(const uint8_t *p, size_t n)
{
	if (n < 3 || p[0] != '_' || p[1] != '_')
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] == '=')
			return 1;
		if (!key_char(p[i]))
			return 0;
	}
	return 0;
}

static struct jfield *jfield_of(struct lfile *f, const uint8_t *k, size_t n)
{
	for (int i = 0; i < J_KEYS; i++) {
		size_t len = 0;
		while (jnames[i][len])
			len++;
		if (len == n && !memcmp(jnames[i], k, n))
			return &f->jf[i];
	}
	return NULL;
}

static struct ss_str jstr(const struct lfile *f, int key)
{
	const struct jfield *j = &f->jf[key];
	struct ss_str s = {j->set && j->b.len ? j->b.p : NULL, j->set ? j->b.len : 0};
	return s;
}

/* The entry read into f->jf as the head record. */
static void entry_record(struct lfile *f)
{
	struct rec_log *r = &f->rec;
	memset(r, 0, sizeof *r);
	long long fac = number(jstr(f, J_FAC)), sev = number(jstr(f, J_PRIO));
	r->facility = fac >= 0 && fac < 24 ? (int)fac : -1;
	r->severity = sev >= 0 && sev < 8 ? (int)sev : -1;
	r->timestamp = jstr(f, J_TIME);
	r->host = jstr(f, J_HOST);
	r->app = f->jf[J_IDENT].set ? jstr(f, J_IDENT) : jstr(f, J_COMM);
	r->procid = f->jf[J_SPID].set ? jstr(f, J_SPID) : jstr(f, J_PID);
	r->pid = number(r->procid);
	r->message = jstr(f, J_MSG);
	r->cut = f->jf[J_MSG].cut;
	long long us = number(r->timestamp);
	f->timed = us >= 0;
	if (f->timed) {
		int64_t t = ss_time_make(us / 1000000, us % 1000000 * 1000);
		f->t = t < 0 ? 0 : t;
	}
}

/* Reads one entry: fields up to an empty line or the end of the file.
 * pending: f->line holds its first line already (number no). Returns 0
 * when no field was left. */
static int read_entry(struct logfile *lf, struct lfile *f, int pending, uint64_t no, int cut)
{
	int any = 0;
	uint64_t first = 0;
	for (int i = 0; i < J_KEYS; i++)
		f->jf[i].set = f->jf[i].cut = 0;
	for (;;) {
		if (!pending) {
			no = f->lfs + 1;
			if (!read_line(lf, f, &f->line, &cut))
				break;
		}
		pending = 0;
		const uint8_t *p = f->line.p;
		size_t n = f->line.len;
		if (!n && !cut) {
			if (any)
				break;
			continue;
		}
		if (!any)
			first = no;
		any = 1;
		size_t k = 0;
		while (k < n && key_char(p[k]))
			k++;
		if (!k)
			continue; /* no field: garbage, skipped */
		struct jfield *j = jfield_of(f, p, k);
		if (k < n && p[k] == '=') {
			if (j) {
				j->b.len = 0;
				j->cut = !gbuf_add(&j->b, p + k + 1, n - k - 1) || cut;
				j->set = 1;
			}
			continue;
		}
		if (k < n || cut)
			continue;
		/* a binary field: KEY LF, the length (64 bits, little endian), the
		 * bytes, LF */
		uint8_t le[8];
		struct gbuf lb = {le, 0, sizeof le, sizeof le};
		int c2;
		if (read_bytes(lf, f, &lb, 8, &c2) < 8)
			break;
		uint64_t len = 0;
		for (int b = 7; b >= 0; b--)
			len = len << 8 | le[b];
		if (j)
			j->b.len = 0;
		if (read_bytes(lf, f, j ? &j->b : NULL, len, &c2) < len)
			break;
		if (j) {
			j->set = 1;
			j->cut = c2;
		}
		struct gbuf nl = {le, 0, 1, 1};
		read_bytes(lf, f, &nl, 1, &c2);
	}
	if (!any)
		return 0;
	f->lineno = first;
	entry_record(f);
	return 1;
}

/* Reads f's next line (or entry) into its head; f->have 0 at its end. */
static void advance(struct logfile *lf, struct lfile *f)
{
	f->have = 0;
	for (;;) {
		uint64_t no = f->lfs + 1;
		int cut = 0;
		if (f->mode == MODE_EXPORT) {
			f->have = read_entry(lf, f, 0, 0, 0);
			return;
		}
		if (!read_line(lf, f, &f->line, &cut))
			return;
		if (!f->line.len && !cut)
			continue;
		if (f->mode == MODE_NEW) {
			f->mode = export_line(f->line.p, f->line.len) ? MODE_EXPORT : MODE_TEXT;
			if (f->mode == MODE_EXPORT) {
				/* room for "MESSAGE=" and max_line bytes of its value */
				f->line.max = lf->max_line + LOGFILE_FIELD;
				f->have = read_entry(lf, f, 1, no, cut);
				return;
			}
		}
		parse_line(lf, f, f->line.p, f->line.len);
		f->rec.cut = cut;
		f->lineno = no;
		f->have = 1;
		return;
	}
}

/* When f's head goes: its own time, or the time of the line before it. */
static int64_t head_time(const struct lfile *f)
{
	if (f->timed)
		return f->t;
	return f->have_last ? f->last_t : INT64_MIN;
}

static void emit(struct logfile *lf, struct lfile *f)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_LOG;
	r.flow = NULL;
	r.u.log = f->rec;
	struct rec_log *l = &r.u.log;
	l->file = f->name;
	l->line = f->lineno;
	l->timed = f->timed;
	l->ts = f->timed ? f->t : f->have_last ? f->last_t : 0;
	l->frame = 0;
	if (f->timed) {
		f->last_t = f->t;
		f->have_last = 1;
	}
	lf->st.lines++;
	lf->st.untimed += !f->timed;
	lf->st.cut += l->cut != 0;
	record_emit(&r);
}

void logfile_emit_until(struct logfile *lf, int64_t until)
{
	if (!lf)
		return;
	if (!lf->started) {
		lf->started = 1;
		for (size_t i = 0; i < lf->n; i++) {
			struct lfile *f = &lf->f[i];
			civil_of(lf, until >= SS_TIME_MAX ? f->mtime : until, &f->ref_year,
			         &f->ref_month);
			advance(lf, f);
		}
	}
	for (;;) {
		struct lfile *best = NULL;
		int64_t bt = 0;
		for (size_t i = 0; i < lf->n; i++) {
			struct lfile *f = &lf->f[i];
			if (!f->have)
				continue;
			int64_t t = head_time(f);
			if (!best || t < bt || (t == bt && !f->timed && best->timed)) {
				best = f;
				bt = t;
			}
		}
		if (!best || bt > until)
			return;
		emit(lf, best);
		advance(lf, best);
	}
}

/* ---- opening ---- */

static int word_eq(const char *s, const char *w)
{
	for (; *s && *w; s++, w++)
		if ((*s | 0x20) != (*w | 0x20))
			return 0;
	return !*s && !*w;
}

/* "UTC", "Z", "GMT", "local", or an offset "+HH[[:]MM]". */
static int parse_tz(struct logfile *lf, const char *tz)
{
	lf->tz_local = 0;
	lf->tz_off = 0;
	if (!tz || word_eq(tz, "local")) {
		lf->tz_local = 1;
		return 0;
	}
	if (word_eq(tz, "UTC") || word_eq(tz, "Z") || word_eq(tz, "GMT"))
		return 0;
	size_t n = 0;
	while (tz[n])
		n++;
	int off;
	if (!n || zone((const uint8_t *)tz, n, 0, &off) != n || tz[0] == 'Z' || tz[0] == 'z')
		return -1;
	lf->tz_off = off;
	return 0;
}

int logfile_tz_ok(const char *tz)
{
	struct logfile lf;
	return parse_tz(&lf, tz) == 0;
}

static void lfile_free(struct lfile *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->name);
	free(f->blk);
	free(f->line.p);
	for (int i = 0; i < J_KEYS; i++)
		free(f->jf[i].b.p);
}

void logfile_close(struct logfile *lf)
{
	if (!lf)
		return;
	for (size_t i = 0; i < lf->n; i++)
		lfile_free(&lf->f[i]);
	free(lf->f);
	free(lf);
}

struct logfile *logfile_open(const struct logfile_opts *o, char *err, size_t errlen)
{
	struct logfile *lf = calloc(1, sizeof *lf);
	if (!lf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lf->max_line = o->max_line ? o->max_line : LOGFILE_DEFAULT_LINE;
	lf->year = o->year;
	if (parse_tz(lf, o->tz)) {
		snprintf(err, errlen,
		         "--log-tz %s: not UTC, Z, local or an offset such as +09:00 or -0500",
		         o->tz);
		free(lf);
		return NULL;
	}
	if (o->year < 0 || o->year > 9999) {
		snprintf(err, errlen, "--log-year %d: not a year from 1 to 9999", o->year);
		free(lf);
		return NULL;
	}
	lf->f = calloc(o->npaths ? o->npaths : 1, sizeof *lf->f);
	if (!lf->f) {
		snprintf(err, errlen, "out of memory");
		free(lf);
		return NULL;
	}
	for (size_t i = 0; i < o->npaths; i++) {
		struct lfile *f = &lf->f[lf->n++];
		const char *path = o->paths[i];
		struct stat st;
		f->fp = fopen(path, "rb");
		if (!f->fp || fstat(fileno(f->fp), &st)) {
			snprintf(err, errlen, "--log %s: %s", path, strerror(errno));
			logfile_close(lf);
			return NULL;
		}
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "--log %s: is a directory", path);
			logfile_close(lf);
			return NULL;
		}
		f->mtime = ss_time_make((int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec);
		f->name = strdup(path);
		f->blk = malloc(LOGFILE_BLOCK);
		if (!f->name || !f->blk) {
			snprintf(err, errlen, "out of memory");
			logfile_close(lf);
			return NULL;
		}
		f->line.max = lf->max_line;
		for (int k = 0; k < J_KEYS; k++)
			f->jf[k].b.max = k == J_MSG ? lf->max_line : LOGFILE_FIELD;
	}
	return lf;
}

void logfile_stats(const struct logfile *lf, struct logfile_stats *st)
{
	if (!lf) {
		memset(st, 0, sizeof *st);
		return;
	}
	*st = lf->st;
}
