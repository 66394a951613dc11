/* verdict.c - verdicts, their properties and their DNS evidence. */
#define _DEFAULT_SOURCE
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnstext.h"
#include "strf.h"

static const char *const method_names[] = {"dkim", "spf", "dmarc"};
static const char *const result_names[] = {
    "none", "pass", "fail", "softfail", "neutral", "policy", "temperror", "permerror", "unknown"};

const char *v_method_name(enum v_method m)
{
	return (unsigned)m < 3 ? method_names[m] : "?";
}

const char *v_result_name(enum v_result r)
{
	return (unsigned)r <= V_UNKNOWN ? result_names[r] : "?";
}

int v_result_parse(const char *s, size_t len)
{
	for (int r = V_NONE; r < V_UNKNOWN; r++)
		if (strlen(result_names[r]) == len && !strncasecmp(s, result_names[r], len))
			return r;
	/* RFC 8601 2.7.1 lists hardfail as a legacy name for fail */
	if (len == 8 && !strncasecmp(s, "hardfail", 8))
		return V_FAIL;
	return -1;
}

struct verdict *verdict_new(enum v_method m)
{
	struct verdict *v = calloc(1, sizeof *v);
	if (v)
		v->method = m;
	return v;
}

void verdict_free(struct verdict *v)
{
	if (!v)
		return;
	free(v->reason);
	free(v->domain);
	free(v->selector);
	for (size_t i = 0; i < v->nprops; i++) {
		free(v->props[i].key);
		free(v->props[i].value);
	}
	free(v->props);
	for (size_t i = 0; i < v->ndns; i++) {
		free(v->dns[i].question);
		free(v->dns[i].answer);
		free(v->dns[i].source);
	}
	free(v->dns);
	free(v);
}

void verdict_set(struct verdict *v, enum v_result r, const char *fmt, ...)
{
	if (!v)
		return;
	v->result = r;
	va_list ap;
	va_start(ap, fmt);
	char *s = ss_vstrf(fmt, ap);
	va_end(ap);
	free(v->reason);
	v->reason = s;
}

static void replace(char **slot, const char *s)
{
	char *c = s ? strdup(s) : NULL;
	free(*slot);
	*slot = c;
}

void verdict_domain(struct verdict *v, const char *domain)
{
	if (v)
		replace(&v->domain, domain);
}

void verdict_selector(struct verdict *v, const char *selector)
{
	if (v)
		replace(&v->selector, selector);
}

void verdict_prop(struct verdict *v, const char *key, const char *fmt, ...)
{
	if (!v)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = ss_vstrf(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	for (size_t i = 0; i < v->nprops; i++)
		if (!strcmp(v->props[i].key, key)) {
			free(v->props[i].value);
			v->props[i].value = s;
			return;
		}
	struct v_prop *p = realloc(v->props, (v->nprops + 1) * sizeof *p);
	if (p)
		v->props = p;
	char *k = p ? strdup(key) : NULL;
	if (!k) {
		free(s);
		return;
	}
	p[v->nprops].key = k;
	p[v->nprops].value = s;
	v->nprops++;
}

const char *verdict_get(const struct verdict *v, const char *key)
{
	for (size_t i = 0; v && i < v->nprops; i++)
		if (!strcmp(v->props[i].key, key))
			return v->props[i].value;
	return NULL;
}

/* The records of a DNS_DATA answer as dig shows their rdata, joined by
 * ", "; cut at a size a person reads. */
static void answer_text(struct dnstext *t, const struct dns_answer *a)
{
	switch (a->kind) {
	case DNS_DATA:
		for (size_t i = 0; a->rrs && i < ldns_rr_list_rr_count(a->rrs); i++) {
			if (i)
				dnstext_put(t, ", ");
			dnstext_rdata(t, ldns_rr_list_rr(a->rrs, i));
		}
		if (a->truncated)
			dnstext_put(t, " (truncated)");
		break;
	case DNS_NODATA:
		dnstext_put(t, "no data");
		break;
	case DNS_NXDOMAIN:
		dnstext_put(t, "NXDOMAIN");
		break;
	case DNS_SERVFAIL: {
		char rc[16];
		dnstext_put(t, dnstext_rcode_name((unsigned)a->rcode, rc));
		break;
	}
	case DNS_NOT_CAPTURED:
		dnstext_put(t, "not in the capture");
		break;
	}
}

void verdict_evidence(struct verdict *v, const char *qname, uint16_t qtype,
                      const struct dns_answer *a)
{
	if (!v || !a)
		return;
	char q[300], ty[16];
	snprintf(q, sizeof q, "%s %s", dnstext_type(qtype, ty), qname);
	size_t n = strlen(q);
	while (n > 0 && q[n - 1] == '.') /* one spelling per question */
		q[--n] = 0;
	for (size_t i = 0; i < v->ndns; i++)
		if (!strcasecmp(v->dns[i].question, q))
			return;
	char text[1024], src[300];
	struct dnstext t;
	dnstext_init(&t, text, sizeof text);
	answer_text(&t, a);
	struct v_evidence *e = realloc(v->dns, (v->ndns + 1) * sizeof *e);
	if (!e)
		return;
	v->dns = e;
	e += v->ndns;
	e->question = strdup(q);
	e->answer = strdup(text);
	e->source = strdup(dns_answer_source(a, src));
	e->kind = a->kind;
	e->frame = a->frame;
	e->ts = a->ts;
	if (!e->question || !e->answer || !e->source) {
		free(e->question);
		free(e->answer);
		free(e->source);
		return;
	}
	v->ndns++;
}

const struct dns_answer *vdns_lookup(struct vdns *d, const char *name, uint16_t type)
{
	const struct dns_answer *a = dns_store_lookup(d->store, name, type, d->ts, &d->asker);
	verdict_evidence(d->v, name, type, a);
	return a;
}
