/* test_spf_lab.c - SPF on the lab's recordings: each capture of scenarios
 * 2-1, 2-2 and 4-1 to 4-4, for both verifier sets (rspamd's in pcaps/,
 * the opendkim set's in pcaps/opendkim/), goes through the dissectors into
 * the DNS store; the hop into the checking MX (spf.mx.b.test or
 * dmarc.mx.b.test) is checked as that MX asked DNS, and the result must be
 * the "spf" line of the pcap's .notes file (the RFC's verdict). What the
 * MX's verifier wrote in the delivered message (.verdicts: rspamd's
 * Authentication-Results spf=, or Received-SPF by postfix-policyd-spf-python)
 * must be that line's "written=", and agree with smtpsniff unless the line
 * says DIFFERS. So far no recording has the verifiers disagree with RFC 7208
 * on SPF; a DIFFERS line would carry its explanation in the .notes file
 * itself.
 *
 * Usage: test_spf_lab SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcapfeed.h"
#include "decode.h"
#include "dnsstore.h"
#include "protos.h"
#include "spf.h"
#include "sstime.h"
#include "verdict.h"

static int failures, checks;
#define CHECK(cond, ...) check((cond), #cond, __LINE__, __VA_ARGS__)
static void check(int ok, const char *what, int line, const char *ctx)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL %s line %d: %s\n", ctx, line, what);
	}
}

/* The SMTP hop into a checking MX, as the dissectors saw it. */
struct hop {
	int found;
	struct ss_addr client, server;
	char helo[512], mail_from[512];
	int64_t ts;
};

static struct dns_store *store;
static struct hop hop;
static struct ss_addr mx_spf, mx_dmarc;

static void copy(char *out, size_t cap, struct ss_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(out, s.p ? (const char *)s.p : "", n);
	out[n] = 0;
}

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_DNS)
		dns_store_add(store, r);
	if (r->kind != REC_MESSAGE || r->u.msg.role != RR_TRANSFER)
		return;
	const struct ss_addr *srv = &r->flow->ep[SS_S2C].addr;
	if (ss_addr_cmp(srv, &mx_spf) && ss_addr_cmp(srv, &mx_dmarc))
		return;
	hop.found++;
	hop.client = r->flow->ep[SS_C2S].addr;
	hop.server = *srv;
	copy(hop.helo, sizeof hop.helo, r->u.msg.helo);
	copy(hop.mail_from, sizeof hop.mail_from, r->u.msg.mail_from);
	hop.ts = r->u.msg.ts_end;
}

/* The "spf" line of a .notes file: the RFC's result, what the verifier
 * wrote, and whether the file says they differ. */
struct notes {
	int result, written, differs;
};

static int read_notes(const char *path, struct notes *e)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	int found = 0;
	if (!fp)
		return -1;
	while (!found && fgets(line, sizeof line, fp)) {
		char word[32], res[32], wr[64];
		if (sscanf(line, "%31s %31s %63s", word, res, wr) != 3 || strcmp(word, "spf"))
			continue;
		e->result = v_result_parse(res, strlen(res));
		e->written =
		    strncmp(wr, "written=", 8) ? -2 : v_result_parse(wr + 8, strlen(wr + 8));
		e->differs = strstr(line, "DIFFERS") != NULL;
		found = 1;
	}
	fclose(fp);
	return found ? 0 : -1;
}

/* What the MX's verifier wrote: the result of its Received-SPF field (RFC
 * 7208 9.1) or of the spf= in its Authentication-Results (RFC 8601), with
 * the Received-SPF key=value pairs wanted in *kv (client-ip, helo,
 * envelope-from). -1 when the file has neither. */
static int read_written(const char *path, char client_ip[64], char helo[512], char env[512])
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	int r = -1;
	client_ip[0] = helo[0] = env[0] = 0;
	if (!fp)
		return -1;
	while (r < 0 && fgets(line, sizeof line, fp)) {
		const char *p = NULL;
		if (!strncasecmp(line, "Received-SPF:", 13)) {
			p = line + 13;
			while (*p == ' ')
				p++;
			r = v_result_parse(p, strcspn(p, " ;("));
			const char *k;
			if ((k = strstr(line, "client-ip=")))
				snprintf(client_ip, 64, "%.*s", (int)strcspn(k + 10, "; \r\n"),
				         k + 10);
			if ((k = strstr(line, "helo=")))
				snprintf(helo, 512, "%.*s", (int)strcspn(k + 5, "; \r\n"), k + 5);
			if ((k = strstr(line, "envelope-from=")))
				snprintf(env, 512, "%.*s", (int)strcspn(k + 14, "; \r\n"), k + 14);
		} else if ((p = strstr(line, "spf="))) {
			p += 4;
			r = v_result_parse(p, strcspn(p, " ;()\r\n"));
			const char *k = strstr(line, "smtp.mailfrom=");
			if (k)
				snprintf(env, 512, "%.*s", (int)strcspn(k + 14, "; \r\n"), k + 14);
		}
	}
	fclose(fp);
	return r;
}

static void scenario(const char *src, const char *set, const char *name)
{
	char path[4096], ctx[256];
	snprintf(ctx, sizeof ctx, "%s%s", set, name);
	snprintf(path, sizeof path, "%s/pcaps/%s%s.pcap", src, set, name);
	store = dns_store_new();
	memset(&hop, 0, sizeof hop);
	if (pcapfeed(path)) {
		failures++;
		dns_store_free(store);
		return;
	}
	CHECK(hop.found == 1, ctx);
	struct notes e = {-1, -1, 0};
	snprintf(path, sizeof path, "%s/pcaps/%s%s.notes", src, set, name);
	CHECK(read_notes(path, &e) == 0 && e.result >= 0 && e.written >= 0, ctx);
	char cip[64], helo[512], env[512];
	snprintf(path, sizeof path, "%s/pcaps/%s%s.verdicts", src, set, name);
	int written = read_written(path, cip, helo, env);
	CHECK(written >= 0 && written == e.written, ctx);

	/* asked as the MX asked DNS, when the message was complete */
	struct verdict *v = spf_check(store, hop.ts, &hop.server, &hop.client, hop.mail_from,
	                              hop.helo, NULL, SPF_MAILFROM);
	CHECK(v != NULL, ctx);
	if (!v) {
		dns_store_free(store);
		return;
	}
	printf("%-22s spf=%-9s written=%-9s %s\n", ctx, v_result_name(v->result),
	       written >= 0 ? v_result_name(written) : "?", v->reason);
	CHECK((int)v->result == e.result, ctx);
	/* with the receiver, unless the .notes file says why not */
	CHECK(((int)v->result == written) == !e.differs, ctx);
	/* the receiver's own words about what it checked */
	char ip[SS_ADDR_STRLEN];
	CHECK(!strcmp(verdict_get(v, "client_ip"), ss_addr_fmt(&hop.client, ip)), ctx);
	CHECK(!cip[0] || !strcmp(cip, verdict_get(v, "client_ip")), ctx);
	CHECK(!helo[0] || !strcmp(helo, hop.helo), ctx);
	CHECK(env[0] && !strcmp(env, verdict_get(v, "sender")), ctx);
	CHECK(!strcmp(verdict_get(v, "identity"), "mailfrom"), ctx);
	/* the record's answer is evidence, from a frame of this capture */
	int txt = 0;
	for (size_t i = 0; i < v->ndns; i++)
		if (!strncmp(v->dns[i].question, "TXT ", 4) &&
		    !strncmp(v->dns[i].source, "frame ", 6))
			txt = 1;
	CHECK(txt, ctx);
	CHECK(verdict_get(v, "record") && !strncmp(verdict_get(v, "record"), "v=spf1 ", 7), ctx);
	verdict_free(v);
	dns_store_free(store);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_spf_lab SRCDIR SHAREDDIR\n");
		return 2;
	}
	static const char *const sets[] = {"", "opendkim/"};
	static const char *const names[] = {"scenario2-1", "scenario2-2", "scenario4-1",
	                                    "scenario4-2", "scenario4-3", "scenario4-4"};
	mx_spf = (struct ss_addr){SS_AF_INET, {10, 255, 2, 31}};
	mx_dmarc = (struct ss_addr){SS_AF_INET, {10, 255, 2, 33}};
	record_sink_add(sink, NULL);
	for (size_t s = 0; s < 2; s++)
		for (size_t n = 0; n < sizeof names / sizeof *names; n++)
			scenario(argv[1], sets[s], names[n]);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
