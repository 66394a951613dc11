/* receiver.c - a receiving host's verdicts, from the fields it added (see
 * receiver.h). The fields come from msg_parse(): their unfolded values are
 * NUL-terminated, bounded (MSG_MAX_FIELD), and parsed by authres.c and
 * recvspf.c, which never read past the length they are given.
 */
#define _POSIX_C_SOURCE 200809L
#include "receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "recvspf.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The domain of "local@domain", of "@domain", or the string itself. */
static char *domain_of(const char *addr)
{
	if (!addr)
		return NULL;
	const char *at = strrchr(addr, '@');
	return strdup(at ? at + 1 : addr);
}

/* id names the host: equal to one of its names, or a parent domain of one
 * (an ADMD's name, RFC 8601 2.5). */
static int names_host(const struct rcv *r, const char *id)
{
	size_t idl = strlen(id);
	while (idl && id[idl - 1] == '.')
		idl--;
	if (!idl)
		return 0;
	for (size_t i = 0; r->names[i]; i++) {
		const char *n = r->names[i];
		size_t nl = strlen(n);
		while (nl && n[nl - 1] == '.')
			nl--;
		if (nl == idl && !strncasecmp(n, id, idl))
			return 1;
		if (nl > idl && n[nl - idl - 1] == '.' && !strncasecmp(n + nl - idl, id, idl))
			return 1;
	}
	return 0;
}

/* The name after "by" in a Received field (RFC 5321 4.4 By-domain),
 * outside comments; NULL when there is none. */
static char *received_by(const char *v)
{
	int depth = 0;
	for (const char *p = v; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '(') {
			/* a comment; deep nesting is bounded by the field's length */
			depth++;
			continue;
		}
		if (*p == ')' && depth) {
			depth--;
			continue;
		}
		if (depth || (p != v && p[-1] != ' ' && p[-1] != '\t'))
			continue;
		if ((p[0] == 'b' || p[0] == 'B') && (p[1] == 'y' || p[1] == 'Y') &&
		    (p[2] == ' ' || p[2] == '\t')) {
			const char *s = p + 2;
			while (*s == ' ' || *s == '\t')
				s++;
			size_t n = strcspn(s, " \t;()");
			if (!n || n > 255)
				return NULL;
			return strndup(s, n);
		}
	}
	return NULL;
}

/* The resinfo as written: from its method to the next one, without the
 * ";" and spaces between. */
static char *result_text(const char *value, size_t len, size_t off, size_t end)
{
	if (off > len)
		return strdup("");
	if (end > len || end < off)
		end = len;
	while (end > off &&
	       (value[end - 1] == ';' || value[end - 1] == ' ' || value[end - 1] == '\t'))
		end--;
	return strndup(value + off, end - off);
}

static struct rcv_verdict *next_slot(struct rcv *r)
{
	if (r->n == RECEIVER_MAX_VERDICTS) {
		r->dropped++;
		return NULL;
	}
	struct rcv_verdict *v = &r->v[r->n];
	memset(v, 0, sizeof *v);
	return v;
}

static void read_authres(struct rcv *r, const struct msg_field *f, size_t index)
{
	struct authres ar;
	const char *value = f->unfolded;
	enum authres_status st = authres_parse(&ar, (const uint8_t *)value, f->unfolded_len);
	if (st == AUTHRES_NOMEM)
		return;
	if (st == AUTHRES_BROKEN)
		r->broken++;
	int named = r->names[0] != NULL;
	if (named && !names_host(r, ar.authserv_id)) {
		if (!r->foreign++)
			r->foreign_id = strdup(ar.authserv_id);
		authres_free(&ar);
		return;
	}
	for (size_t i = 0; i < ar.nresults; i++) {
		const struct authres_result *res = &ar.results[i];
		enum v_method m;
		if (!strcmp(res->method, "spf"))
			m = V_SPF;
		else if (!strcmp(res->method, "dkim"))
			m = V_DKIM;
		else if (!strcmp(res->method, "dmarc"))
			m = V_DMARC;
		else
			continue; /* dkim-atps, iprev, arc, ...: smtpsniff does not check them */
		struct rcv_verdict *v = next_slot(r);
		if (!v)
			break;
		v->method = m;
		v->result = authres_result_code(res);
		v->word = strdup(res->result);
		v->field = strdup("Authentication-Results");
		v->authserv_id = strdup(ar.authserv_id);
		v->field_index = index;
		size_t end = i + 1 < ar.nresults ? ar.results[i + 1].off : f->unfolded_len;
		v->text = result_text(value, f->unfolded_len, res->off, end);
		if (m == V_DKIM) {
			v->domain = dup_or_null(authres_prop_value(res, "header.d"));
			if (!v->domain) /* header.i=@d, as some write it */
				v->domain = domain_of(authres_prop_value(res, "header.i"));
			v->selector = dup_or_null(authres_prop_value(res, "header.s"));
			v->b = dup_or_null(authres_prop_value(res, "header.b"));
		} else if (m == V_SPF) {
			const char *mf = authres_prop_value(res, "smtp.mailfrom");
			const char *helo = authres_prop_value(res, "smtp.helo");
			v->identity = dup_or_null(mf ? "mailfrom" : helo ? "helo" : NULL);
			v->domain = domain_of(mf ? mf : helo);
		} else {
			v->domain = dup_or_null(authres_prop_value(res, "header.from"));
		}
		r->n++;
	}
	authres_free(&ar);
}

static void read_received_spf(struct rcv *r, const struct msg_field *f, size_t index)
{
	struct recvspf rs;
	enum recvspf_status st = recvspf_parse(&rs, (const uint8_t *)f->unfolded, f->unfolded_len);
	if (st == RECVSPF_NOMEM)
		return;
	if (st == RECVSPF_BROKEN)
		r->broken++;
	struct rcv_verdict *v = *rs.result ? next_slot(r) : NULL;
	if (v) {
		v->method = V_SPF;
		v->result = recvspf_result_code(&rs);
		v->word = strdup(rs.result);
		v->field = strdup("Received-SPF");
		v->field_index = index;
		v->text = strdup(f->unfolded);
		/* RFC 7208 9.1: identity says which was checked; without it the
		 * comment of postfix-policyd-spf-python ("(mailfrom)") may */
		const char *id = recvspf_get(&rs, "identity");
		if (!id && rs.comment &&
		    (!strcasecmp(rs.comment, "mailfrom") || !strcasecmp(rs.comment, "helo")))
			id = rs.comment;
		v->identity = id ? strdup(id) : NULL;
		if (v->identity)
			for (char *p = v->identity; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		const char *helo = recvspf_get(&rs, "helo");
		const char *from = recvspf_get(&rs, "envelope-from");
		int is_helo = v->identity && !strcmp(v->identity, "helo");
		v->domain = domain_of(is_helo ? helo : from ? from : helo);
		r->n++;
	}
	recvspf_free(&rs);
}

int receiver_read(struct rcv *r, const struct msg *m, size_t added, const char *const *names)
{
	memset(r, 0, sizeof *r);
	size_t k = 0;
	for (; names && names[k] && k < RECEIVER_MAX_NAMES - 1; k++)
		r->names[k] = names[k];
	if (added > m->nfields)
		added = m->nfields;
	/* the host's own Received field: the topmost it added */
	for (size_t i = 0; i < added; i++) {
		const struct msg_field *f = &m->fields[i];
		if (f->name_len == 8 &&
		    !strncasecmp((const char *)m->data + f->off, "Received", 8) && f->unfolded) {
			r->by_name = received_by(f->unfolded);
			break;
		}
	}
	if (r->by_name)
		r->names[k++] = r->by_name;
	r->names[k] = NULL;
	for (size_t i = 0; i < added; i++) {
		const struct msg_field *f = &m->fields[i];
		const char *name = (const char *)m->data + f->off;
		if (!f->unfolded)
			continue;
		if (f->name_len == 22 && !strncasecmp(name, "Authentication-Results", 22))
			read_authres(r, f, i);
		else if (f->name_len == 12 && !strncasecmp(name, "Received-SPF", 12))
			read_received_spf(r, f, i);
	}
	return 0;
}

void receiver_free(struct rcv *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct rcv_verdict *v = &r->v[i];
		free(v->word);
		free(v->field);
		free(v->authserv_id);
		free(v->identity);
		free(v->domain);
		free(v->selector);
		free(v->b);
		free(v->text);
	}
	free(r->foreign_id);
	free(r->by_name);
	memset(r, 0, sizeof *r);
}
