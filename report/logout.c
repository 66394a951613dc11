/* logout.c - a syslog line as text and as JSON (docs/json.md "log"). */
#include "logout.h"

#include "escape.h"
#include "json.h"
#include "syslog.h"

/* Wire bytes on one line: printable ASCII as is, the rest as \xNN. */
static void put_escaped(struct text *out, const struct ss_str *s)
{
	static const char hex[] = "0123456789abcdef";
	if (escape_plain(s->p, s->len)) {
		text_add(out, s->p, s->len);
		return;
	}
	for (size_t i = 0; i < s->len; i++) {
		uint8_t c = s->p[i];
		if (escape_plain(&c, 1)) {
			text_char(out, (char)c);
		} else if (c == '\\') {
			text_str(out, "\\\\");
		} else {
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			text_add(out, e, 4);
		}
	}
}

void logout_text(struct text *out, const struct rec_log *l)
{
	if (l->app.len) {
		put_escaped(out, &l->app);
		if (l->procid.len) {
			text_char(out, '[');
			put_escaped(out, &l->procid);
			text_char(out, ']');
		}
		text_str(out, ": ");
	}
	put_escaped(out, &l->message);
	if (l->cut)
		text_str(out, " [cut]");
}

/* ,"name":"value" when the line had that part. */
static void member(FILE *out, const char *name, struct ss_str s)
{
	if (!s.len)
		return;
	fprintf(out, ",\"%s\":", name);
	json_str(out, s.p, s.len);
}

void logout_json(FILE *out, const struct rec_log *l)
{
	if (l->facility >= 0) /* the header was read */
		fprintf(out, ",\"facility\":\"%s\",\"severity\":\"%s\",\"syslog\":\"%s\"",
		        syslog_facility_name(l->facility), syslog_severity_name(l->severity),
		        l->version ? "rfc5424" : "rfc3164");
	member(out, "host", l->host);
	member(out, "app", l->app);
	if (l->pid >= 0)
		fprintf(out, ",\"pid\":%lld", l->pid);
	else
		member(out, "procid", l->procid);
	member(out, "msgid", l->msgid);
	member(out, "structured_data", l->sd);
	member(out, "timestamp", l->timestamp);
	fputs(",\"message\":", out);
	json_str(out, l->message.p, l->message.len);
	if (l->cut)
		fputs(",\"cut\":true", out);
}
