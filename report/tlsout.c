/* tlsout.c - a TLS session's facts as JSON fields (see tlsout.h). */
#include "tlsout.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "tlsnames.h"

static const char *const side_name[2] = {"to_server", "to_client"};

static void name_field(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, ",\"%s\":", key);
	json_cstr(out, value);
}

/* A 16-bit code point: its name, else its number in hex ("0x1301"). */
static void code_field(FILE *out, const char *key, const char *name, uint16_t v)
{
	if (name) {
		name_field(out, key, name);
		return;
	}
	fprintf(out, ",\"%s\":\"0x%04x\"", key, v);
}

/* A certificate's time as the other JSON times are given: ISO 8601, UTC. */
static void time_field(FILE *out, const char *key, int64_t v)
{
	char t[32];
	tls_time_str(v, t);
	if (t[0] == '?' || strlen(t) != 19)
		return;
	t[10] = 'T';
	fprintf(out, ",\"%s\":\"%sZ\"", key, t);
}

static void certs(FILE *out, const struct tls_chain *c)
{
	fputc('[', out);
	for (uint16_t i = 0; i < c->n; i++) {
		const struct tls_cert *x = &c->certs[i];
		fprintf(out, "%s{\"sha256\":", i ? "," : "");
		json_sha256(out, x->sha256);
		fprintf(out, ",\"length\":%" PRIu32, x->der_len);
		if (x->ok) {
			name_field(out, "subject", x->subject);
			name_field(out, "issuer", x->issuer);
			if (x->not_before != INT64_MIN)
				time_field(out, "not_before", x->not_before);
			if (x->not_after != INT64_MIN)
				time_field(out, "not_after", x->not_after);
			if (x->nsans)
				name_field(out, "sans", x->sans);
		}
		fputc('}', out);
	}
	fputc(']', out);
}

void tlsout_json(FILE *out, const struct tls_flow *t)
{
	if (t->version)
		code_field(out, "version", tls_version_name(t->version), t->version);
	if (t->sh.seen)
		code_field(out, "cipher", tls_suite_name(t->suite), t->suite);
	if (t->group)
		code_field(out, "group", tls_group_name(t->group), t->group);
	if (t->ch.sni_len) {
		fputs(",\"sni\":", out);
		json_str(out, t->ch.sni, t->ch.sni_len);
	}
	if (t->has_alpn) {
		fputs(",\"alpn\":", out);
		json_str(out, t->alpn.b, t->alpn.len);
	}
	if (t->sh.seen) {
		name_field(out, "resumed", tls_resume_name(t->resumed));
		fprintf(out, ",\"ems\":%s,\"etm\":%s", t->ems ? "true" : "false",
		        t->etm ? "true" : "false");
	}
	if (t->hrr.seen)
		fputs(",\"hello_retry\":true", out);
	for (int d = 0; d < 2; d++) {
		const struct tls_side *s = &t->side[d];
		fprintf(out, ",\"%s\":{\"records\":%" PRIu64 ",\"bytes\":%" PRIu64, side_name[d],
		        s->records, s->bytes);
		if (s->alerts) {
			fprintf(out, ",\"alerts\":%" PRIu32, s->alerts);
			name_field(out, "last_alert_level", tls_alert_level_name(s->alert_level));
			code_field(out, "last_alert", tls_alert_name(s->alert_desc), s->alert_desc);
		}
		if (s->chain.n) {
			fputs(",\"certificates\":", out);
			certs(out, &s->chain);
		}
		fputc('}', out);
	}
}
