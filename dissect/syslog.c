/* syslog.c - the syslog dissector (RFC 3164 4.1, RFC 5424 6, RFC 5426 3.1,
 * RFC 6587 3.4).
 *
 * A line is read with the cursor, field after field, as straight-line
 * code: PRI, then either RFC 5424's version and six header fields or RFC
 * 3164's timestamp, host and tag. A header that cannot be read does not
 * lose the line: it is handed on whole, as the message, with an event,
 * because a log line is worth having even when its sender is sloppy.
 *
 * Over TCP each direction is framed on its own: a line that begins with a
 * digit is octet-counted, one that begins with '<' ends at LF (RFC 6587
 * 3.4.2). After a gap neither can be trusted, and the bytes are searched
 * for the next place that looks like the start of either (resync()).
 */
#include "syslog.h"

#include <stdio.h>
#include <stdlib.h>

#include "cur.h"
#include "event.h"

/* One direction of a TCP flow. */
struct syslog_dir {
	uint64_t skip; /* bytes of a cut counted line still to drop */
	uint8_t to_lf; /* a cut line: dropping up to its LF */
	uint8_t lost;  /* after a gap: looking for the next line */
	uint8_t by_lf; /* a bad octet count (said once): this line ends at LF */
};

struct syslog_flow {
	const struct ss_flow *f;
	const struct dissect_opts *o;
	struct syslog_dir dir[2];
};

static const char *const facilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};
static const char *const severities[] = {"emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug"};

const char *syslog_facility_name(int facility)
{
	return facility >= 0 && facility < 24 ? facilities[facility] : "?";
}

const char *syslog_severity_name(int severity)
{
	return severity >= 0 && severity < 8 ? severities[severity] : "?";
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static struct ss_str str_of(const uint8_t *p, size_t n)
{
	struct ss_str s = {n ? p : NULL, n};
	return s;
}

/* "<PRI>" (RFC 5424 6.2.1: one to three digits, at most 191). Returns the
 * value, or -1 with *why set. */
static int read_pri(struct cur *c, const char **why)
{
	if (cur_u8(c, "truncated") != '<') {
		*why = "no PRI: the line does not begin with '<'";
		return -1;
	}
	int v = 0, digits = 0;
	while (is_digit(cur_peek(c, 0)) && digits < 4) {
		v = v * 10 + (cur_u8(c, "truncated") - '0');
		digits++;
	}
	if (!digits || digits > 3 || cur_u8(c, "truncated") != '>') {
		*why = "no PRI: '<' is not followed by one to three digits and '>'";
		return -1;
	}
	if (v > SYSLOG_MAX_PRI) {
		*why = "PRI over 191";
		return -1;
	}
	return v;
}

/* The next field up to SP or the end; the SP is consumed. */
static struct ss_str word(struct cur *c)
{
	size_t n = 0;
	while (cur_peek(c, n) >= 0 && cur_peek(c, n) != ' ')
		n++;
	const uint8_t *p = cur_ptr(c, n, "truncated");
	if (cur_peek(c, 0) == ' ')
		cur_skip(c, 1, "truncated");
	return str_of(p, n);
}

/* RFC 5424's NILVALUE "-" is no value. */
static struct ss_str nil(struct ss_str s)
{
	if (s.len == 1 && s.p[0] == '-')
		s.len = 0, s.p = NULL;
	return s;
}

/* Decimal digits only, at most 18 of them; -1 otherwise. */
static long long number(struct ss_str s)
{
	if (!s.len || s.len > 18)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!is_digit(s.p[i]))
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

/* RFC 5424 6.3: "-", or SD-ELEMENTs "[ID PARAM="VALUE" ...]" one after
 * the other, where a VALUE escapes '"', '\' and ']' with '\'. Returns
 * NULL, or what is wrong. */
static const char *structured_data(struct cur *c, struct ss_str *sd)
{
	size_t start = c->off;
	if (cur_peek(c, 0) == '-') {
		cur_skip(c, 1, "truncated");
		sd->p = NULL, sd->len = 0;
	} else {
		if (cur_peek(c, 0) != '[')
			return "RFC 5424 structured data is neither '-' nor '['";
		while (cur_peek(c, 0) == '[') {
			int quoted = 0, close = 0;
			cur_skip(c, 1, "truncated");
			while (!close && cur_left(c)) {
				uint8_t b = cur_u8(c, "truncated");
				if (quoted && b == '\\')
					cur_skip(c, 1, "truncated");
				else if (b == '"')
					quoted = !quoted;
				else if (!quoted && b == ']')
					close = 1;
			}
			if (!close)
				return "RFC 5424 structured data without its closing ']'";
		}
		*sd = str_of(c->p + start, c->off - start);
	}
	int next = cur_peek(c, 0);
	if (next >= 0 && next != ' ')
		return "RFC 5424 structured data not followed by SP";
	if (next == ' ')
		cur_skip(c, 1, "truncated");
	return NULL;
}

/* RFC 5424 6: after "<PRI>1 ". */
static const char *rfc5424(struct cur *c, struct rec_log *out)
{
	out->version = 1;
	out->timestamp = nil(word(c));
	out->host = nil(word(c));
	out->app = nil(word(c));
	out->procid = nil(word(c));
	out->msgid = nil(word(c));
	if (!cur_left(c))
		return "RFC 5424 header cut short";
	const char *why = structured_data(c, &out->sd);
	if (why)
		return why;
	out->message = str_of(cur_rest(c), cur_left(c));
	return NULL;
}

/* RFC 3164 4.1.2: "Mmm dd hh:mm:ss", the day padded with a space. */
static int bsd_timestamp(const struct cur *c)
{
	static const char pat[] = "Aaa #9 99:99:99";
	for (size_t i = 0; i < sizeof pat - 1; i++) {
		int b = cur_peek(c, i);
		char want = pat[i];
		int ok = want == 'A'   ? b >= 'A' && b <= 'Z'
		         : want == 'a' ? b >= 'a' && b <= 'z'
		         : want == '9' ? is_digit(b)
		         : want == '#' ? is_digit(b) || b == ' '
		                       : b == want;
		if (!ok)
			return 0;
	}
	return 1;
}

/* The tag as rsyslog takes it: up to 32 characters ending at ':' with no
 * SP, "app[pid]" inside; else a word without the colon. */
static void bsd_tag(struct cur *c, struct rec_log *out)
{
	size_t n = 0;
	int b;
	while ((b = cur_peek(c, n)) >= 0 && b != ' ' && b != ':' && n < 32)
		n++;
	const uint8_t *p = cur_ptr(c, n, "truncated");
	if (cur_peek(c, 0) == ':')
		cur_skip(c, 1, "truncated");
	else if (b != ' ' && b >= 0) /* over 32: not a tag */
		c->off -= n, p = NULL, n = 0;
	struct ss_str tag = str_of(p, n);
	out->app = tag;
	if (n >= 3 && p[n - 1] == ']') {
		size_t open = n - 1;
		while (open > 0 && p[open] != '[')
			open--;
		if (p[open] == '[' && open > 0) {
			out->app = str_of(p, open);
			out->procid = str_of(p + open + 1, n - open - 2);
		}
	}
}

/* RFC 3164 4.1: after "<PRI>". With no timestamp, no host either (4.3.3:
 * the whole rest would be the message, but a tag is still looked for). */
static void rfc3164(struct cur *c, struct rec_log *out)
{
	if (bsd_timestamp(c)) {
		out->timestamp = str_of(cur_ptr(c, 15, "truncated"), 15);
		if (cur_peek(c, 0) == ' ')
			cur_skip(c, 1, "truncated");
		out->host = word(c);
	}
	bsd_tag(c, out);
	if (cur_peek(c, 0) == ' ') /* the separator, not the message */
		cur_skip(c, 1, "truncated");
	out->message = str_of(cur_rest(c), cur_left(c));
}

const char *syslog_parse(const uint8_t *p, size_t n, struct rec_log *out)
{
	struct rec_log z = {.facility = -1, .severity = -1, .pid = -1};
	*out = z;
	struct cur c = cur_make(p, n);
	const char *why = NULL;
	int pri = read_pri(&c, &why);
	if (pri >= 0) {
		if (cur_peek(&c, 0) == '1' && cur_peek(&c, 1) == ' ') {
			cur_skip(&c, 2, "truncated");
			why = rfc5424(&c, out);
		} else {
			rfc3164(&c, out);
		}
	}
	if (why || c.err) {
		*out = z;
		out->message = str_of(p, n);
		return why ? why : c.err;
	}
	out->facility = pri >> 3;
	out->severity = pri & 7;
	out->pid = number(out->procid);
	return NULL;
}

/* Parses and emits one line; at is where it began. */
static void line(struct syslog_flow *s, enum ss_dir d, const uint8_t *p, size_t n, int cut,
                 const struct ss_pos *at)
{
	struct ss_record r = {.kind = REC_LOG, .flow = s->f};
	struct rec_log *l = &r.u.log;
	const char *why = syslog_parse(p, n, l);
	if (why)
		ss_eventf("syslog", "syslog_malformed", at->frame, at->ts, s->f->id, d, "%s", why);
	const uint8_t *nul = memchr(p, 0, n);
	if (nul)
		ss_eventf("syslog", "syslog_nul", at->frame, at->ts, s->f->id, d,
		          "NUL byte at offset %zu of a %zu-byte line", (size_t)(nul - p), n);
	l->cut = cut;
	l->ts = at->ts;
	l->frame = at->frame;
	record_emit(&r);
}

/* The line's bytes, cut at --max-line with an event; whole is the line's
 * length, 0 when unknown (no LF yet). */
static void capped_line(struct syslog_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                        uint64_t whole, const struct ss_pos *at)
{
	uint64_t max = s->o->caps->max_line;
	int cut = whole > max || n > max;
	if (cut) {
		if (whole)
			ss_eventf("syslog", "syslog_line_too_long", at->frame, at->ts, s->f->id, d,
			          "%llu-byte line cut at %llu (--max-line)",
			          (unsigned long long)whole, (unsigned long long)max);
		else
			ss_eventf("syslog", "syslog_line_too_long", at->frame, at->ts, s->f->id, d,
			          "line without LF in %llu bytes cut there (--max-line)",
			          (unsigned long long)max);
		if (n > max)
			n = (size_t)max;
	}
	line(s, d, p, n, cut, at);
}

int port_syslog(const struct ss_flow *f)
{
	uint16_t port = f->ep[SS_S2C].port;
	return port == 514 || (f->proto == 6 && port == 601);
}

/* "<digits>" then, away from the ports, "1 " or a BSD timestamp. */
static enum ss_probe probe_line(const struct ss_flow *f, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	const char *why = NULL;
	int pri = read_pri(&c, &why);
	if (c.err)
		return n < 5 ? SS_PROBE_MORE : SS_PROBE_NO;
	if (pri < 0)
		return SS_PROBE_NO;
	if (port_syslog(f))
		return SS_PROBE_YES;
	if (cur_peek(&c, 0) == '1' && cur_peek(&c, 1) == ' ')
		return SS_PROBE_YES;
	if (cur_left(&c) < 15)
		return f->proto == 6 ? SS_PROBE_MORE : SS_PROBE_NO;
	return bsd_timestamp(&c) ? SS_PROBE_YES : SS_PROBE_NO;
}

enum ss_probe syslog_probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)d;
	if (f->proto == 17) {
		enum ss_probe v = probe_line(f, p, n);
		/* on its port a datagram that is no good syslog is a malformed one */
		return v == SS_PROBE_NO && port_syslog(f) ? SS_PROBE_MORE : v;
	}
	size_t i = 0;
	while (i < n && i <= SYSLOG_MAX_COUNT_DIGITS && is_digit(p[i]))
		i++;
	if (i == n)
		return n ? SS_PROBE_MORE : SS_PROBE_NO;
	if (i && (p[0] == '0' || p[i] != ' '))
		return SS_PROBE_NO;
	return probe_line(f, p + (i ? i + 1 : 0), n - (i ? i + 1 : 0));
}

static void *syslog_open(const struct ss_flow *f, void *ctx)
{
	struct syslog_flow *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->o = ctx;
	return s;
}

static void syslog_datagram(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                            const struct ss_pos *at)
{
	struct syslog_flow *s = st;
	if (!s)
		return;
	/* RFC 5426 3.1: one message, no line end; some senders add LF anyway */
	if (n && p[n - 1] == '\n')
		n--;
	capped_line(s, d, p, n, n, at);
}

/* Where a line may begin after a gap: "<d" after LF, or "N <" after a
 * non-digit. Returns its offset, or n when none is in p[0..n). */
static size_t resync(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		int after_lf = i == 0 || p[i - 1] == '\n';
		if (after_lf && p[i] == '<' && is_digit(p[i + 1]))
			return i;
		if ((i == 0 || !is_digit(p[i - 1])) && p[i] >= '1' && p[i] <= '9') {
			size_t j = i;
			while (j < n && is_digit(p[j]) && j - i <= SYSLOG_MAX_COUNT_DIGITS)
				j++;
			if (j + 1 < n && p[j] == ' ' && p[j + 1] == '<')
				return i;
		}
	}
	return n;
}

/* Drops bytes of a cut line (its counted rest, or up to LF). */
static size_t drop(struct syslog_dir *h, const uint8_t *p, size_t n)
{
	if (h->skip) {
		size_t k = h->skip < n ? (size_t)h->skip : n;
		h->skip -= k;
		return k;
	}
	const uint8_t *lf = memchr(p, '\n', n);
	if (!lf)
		return n;
	h->to_lf = 0;
	return (size_t)(lf - p) + 1;
}

/* RFC 6587 3.4.2: a line up to LF (a CR before it dropped too). Returns
 * the bytes used, 0 to wait for more. */
static size_t lf_line(struct syslog_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at)
{
	uint64_t max = s->o->caps->max_line;
	size_t look = n < max ? n : (size_t)max;
	const uint8_t *lf = memchr(p, '\n', look);
	if (lf) {
		size_t len = (size_t)(lf - p);
		line(s, d, p, len && p[len - 1] == '\r' ? len - 1 : len, 0, at);
		return len + 1;
	}
	if (n >= max) {
		capped_line(s, d, p, n, 0, at);
		s->dir[d].to_lf = 1;
		return (size_t)max;
	}
	if (at->last) {
		ss_eventf("syslog", "syslog_cut", at->frame, at->ts, s->f->id, d,
		          "line without its LF cut after %zu bytes", n);
		line(s, d, p, n, 1, at);
		return n;
	}
	return 0;
}

/* RFC 6587 3.4.1: "MSG-LEN SP SYSLOG-MSG". Returns the bytes used, 0 to
 * wait for more; sets *bad when the count is no count. */
static size_t counted(struct syslog_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                      const struct ss_pos *at, int *bad)
{
	size_t i = 0;
	uint64_t len = 0;
	while (i < n && is_digit(p[i]) && i < SYSLOG_MAX_COUNT_DIGITS)
		len = len * 10 + (uint64_t)(p[i++] - '0');
	if (i == n && !at->last)
		return 0;
	if (p[0] == '0' || i == n || p[i] != ' ') {
		*bad = 1;
		return 0;
	}
	uint64_t max = s->o->caps->max_line;
	size_t have = n - i - 1, want = len < max ? (size_t)len : (size_t)max;
	if (have < want) {
		if (!at->last)
			return 0;
		ss_eventf("syslog", "syslog_cut", at->frame, at->ts, s->f->id, d,
		          "%llu-byte counted line cut after %zu bytes", (unsigned long long)len,
		          have);
		line(s, d, p + i + 1, have, 1, at);
		return n;
	}
	capped_line(s, d, p + i + 1, want, len, at);
	s->dir[d].skip = len - want;
	return i + 1 + want;
}

/* One step: drops, resyncs or reads a line. Returns the bytes used. */
static size_t step(struct syslog_flow *s, enum ss_dir d, const uint8_t *p, size_t n,
                   const struct ss_pos *at)
{
	struct syslog_dir *h = &s->dir[d];
	if (h->skip || h->to_lf)
		return drop(h, p, n);
	if (h->lost) {
		size_t k = resync(p, n);
		if (k < n)
			h->lost = 0;
		if (k < n && k)
			return k;
		/* none yet: keep a tail where one may begin, unless nothing follows */
		size_t tail = SYSLOG_MAX_COUNT_DIGITS + 2;
		if (h->lost)
			return at->last ? n : n > tail ? n - tail : 0;
	}
	int bad = 0;
	size_t k = 0;
	if (is_digit(p[0]) && !h->by_lf) {
		k = counted(s, d, p, n, at, &bad);
		if (!bad)
			return k;
		ss_eventf("syslog", "syslog_bad_count", at->frame, at->ts, s->f->id, d,
		          "octet count is not a number followed by SP; read up to LF");
		h->by_lf = 1;
	}
	k = lf_line(s, d, p, n, at);
	if (k)
		h->by_lf = 0;
	return k;
}

static size_t syslog_data(void *st, enum ss_dir d, const uint8_t *p, size_t n,
                          const struct ss_pos *at)
{
	struct syslog_flow *s = st;
	if (!s)
		return n;
	size_t off = 0;
	while (off < n) {
		struct ss_pos here = *at;
		here.off = at->off + off;
		size_t k = step(s, d, p + off, n - off, &here);
		if (!k)
			break;
		off += k;
	}
	return off;
}

static void syslog_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct syslog_flow *s = st;
	if (!s)
		return;
	ss_eventf("syslog", "syslog_gap", at->frame, at->ts, s->f->id, d,
	          "%llu bytes missing; looking for the next line", (unsigned long long)len);
	s->dir[d] = (struct syslog_dir){.lost = 1};
}

static void syslog_close(void *st, const struct ss_flow *f, const struct ss_pos *at)
{
	(void)f, (void)at;
	free(st);
}

const struct ss_proto *syslog_proto(const struct dissect_opts *o)
{
	static struct ss_proto p = {.name = "syslog",
	                            .probe = syslog_probe,
	                            .port_hint = port_syslog,
	                            .open = syslog_open,
	                            .data = syslog_data,
	                            .gap = syslog_gap,
	                            .datagram = syslog_datagram,
	                            .close = syslog_close};
	p.ctx = (void *)o;
	return &p;
}
