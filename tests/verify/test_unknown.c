/* test_unknown.c - every "unknown" says why, in one line a newcomer reads:
 * the capture holds no DNS at all (a capture filter), the question was
 * asked and never answered (or answered unreadably), nobody asked it (or,
 * before the input is over, no answer came so far); the copy the receiver
 * passed on went encrypted (a "tls" note on its next session); the
 * receiver wrote verdicts, none of this method. The records are made here
 * as the dissectors hand them on (dissect/record.h).
 *
 * Usage: test_unknown SRCDIR SHAREDDIR (neither is needed)
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dnsstore.h"
#include "message.h"
#include "spf.h"
#include "verifier.h"

#define SEC 1000000000LL
#define T0 (1796549281LL * SEC) /* the lab's time, 2026-12-06 */

static const char *const NO_DNS_TAIL =
    "the capture holds no DNS at all: a capture filter may have left it out";

static struct ss_addr ip4(const char *s)
{
	struct ss_addr a = {SS_AF_INET, {0}};
	inet_pton(AF_INET, s, a.b);
	return a;
}

static struct ss_flow flow(uint64_t id, const char *client, const char *server, uint16_t port)
{
	struct ss_flow f;
	memset(&f, 0, sizeof f);
	f.id = id;
	f.proto = port == 53 ? 17 : 6;
	f.ep[SS_C2S].addr = ip4(client);
	f.ep[SS_C2S].port = 40000;
	f.ep[SS_S2C].addr = ip4(server);
	f.ep[SS_S2C].port = port;
	return f;
}

/* How a DNS question ends in the capture. */
enum end { ANSWERED, UNANSWERED, UNREADABLE };

/* Hands a REC_DNS of the question TXT name to fn: asked in frame fq, and
 * (unless UNANSWERED) answered in frame fq + 1 with rdata, or with bytes
 * that do not parse. */
static void dns(void (*fn)(void *, const struct ss_record *), void *ctx, const struct ss_flow *f,
                const char *name, uint64_t fq, int64_t ts, enum end end, const char *rdata)
{
	ldns_pkt *q = NULL, *resp = NULL;
	ldns_pkt_query_new_frm_str(&q, name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_DNS;
	r.flow = f;
	r.u.dns.query = q;
	r.u.dns.ts_query = ts;
	r.u.dns.frame_query = fq;
	if (end != UNANSWERED) {
		r.u.dns.ts_response = ts + SEC / 100;
		r.u.dns.frame_response = fq + 1;
	}
	if (end == ANSWERED) {
		resp = ldns_pkt_clone(q);
		ldns_pkt_set_qr(resp, 1);
		ldns_rr *rr = NULL;
		char line[512];
		snprintf(line, sizeof line, "%s. 60 IN TXT %s", name, rdata);
		if (ldns_rr_new_frm_str(&rr, line, 60, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, rr);
		r.u.dns.response = resp;
	} else if (end == UNREADABLE) {
		r.u.dns.malformed = "Packet too short";
		r.u.dns.raw.p = (const uint8_t *)"\x12\x34\x81";
		r.u.dns.raw.len = 3;
	}
	fn(ctx, &r);
	ldns_pkt_free(q);
	ldns_pkt_free(resp);
}

static void to_store(void *ctx, const struct ss_record *r)
{
	dns_store_add(ctx, r);
}

static void to_verifier(void *ctx, const struct ss_record *r)
{
	verifier_record(ctx, r);
}

static const char *source(const struct dns_answer *a)
{
	static char out[300];
	return dns_answer_source(a, out);
}

static const char *why(const struct dns_answer *a)
{
	static char out[600];
	return dns_answer_why(a, NULL, out, sizeof out);
}

/* The store's words for each kind of miss. */
static void store_words(void)
{
	struct ss_addr mx = ip4("10.255.2.33"), other = ip4("10.255.2.34");
	/* (b) Nothing at all: a capture filter (tcp port 25) left DNS out. */
	struct dns_store *s = dns_store_new();
	const struct dns_answer *a = dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->kind == DNS_NOT_CAPTURED && a->miss == DNS_MISS_NO_DNS);
	CHECK(!strcmp(source(a), NO_DNS_TAIL));
	CHECK(!strcmp(why(a), "no answer for TXT a.test, as the capture holds no DNS at all: a "
	                      "capture filter may have left it out"));
	dns_store_end(s); /* the end changes nothing: still no DNS */
	a = dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->miss == DNS_MISS_NO_DNS);
	dns_store_free(s);

	/* Any DNS record at all, even one that does not parse, is DNS. */
	s = dns_store_new();
	struct ss_flow f = flow(1, "10.255.2.33", "10.255.0.254", 53);
	struct ss_record bad;
	memset(&bad, 0, sizeof bad);
	bad.kind = REC_DNS;
	bad.flow = &f;
	bad.u.dns.malformed = "Packet too short";
	bad.u.dns.frame_query = 1;
	dns_store_add(s, &bad);
	a = dns_store_lookup(s, "a.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->miss == DNS_MISS_NO_ANSWER);
	dns_store_free(s);

	/* (d) Asked and never answered: the frame of the question, the
	 * asker's own first; (e) nobody asked, told only once the input is
	 * over (before, a question may still await its answer in a flow not
	 * yet ended); an answer that did not parse. */
	s = dns_store_new();
	struct ss_flow g = flow(2, "10.255.2.34", "10.255.0.254", 53);
	dns(to_store, s, &f, "other.test", 3, T0, ANSWERED, "\"v=spf1 -all\"");
	dns(to_store, s, &g, "x.test", 5, T0 - 5 * SEC, UNANSWERED, NULL);
	dns(to_store, s, &f, "x.test", 9, T0 + 20 * SEC, UNANSWERED, NULL);
	dns(to_store, s, &f, "x.test", 12, T0 + 40 * SEC, UNANSWERED, NULL);
	dns(to_store, s, &f, "bad.test", 20, T0, UNREADABLE, NULL);
	a = dns_store_lookup(s, "X.test.", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->kind == DNS_NOT_CAPTURED && a->miss == DNS_MISS_UNANSWERED && a->asked_frame == 9);
	CHECK(!strcmp(source(a), "asked in frame 9, never answered in the capture"));
	CHECK(!strcmp(why(a), "TXT x.test was asked in frame 9, never answered in the capture"));
	a = dns_store_lookup(s, "x.test", LDNS_RR_TYPE_TXT, T0, &other);
	CHECK(a->asked_frame == 5); /* its own question, though farther in time */
	struct ss_addr third = ip4("10.255.2.35");
	a = dns_store_lookup(s, "x.test", LDNS_RR_TYPE_TXT, T0 + 35 * SEC, &third);
	CHECK(a->asked_frame == 12); /* nobody's own: the nearest in time */
	a = dns_store_lookup(s, "bad.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->miss == DNS_MISS_UNREADABLE &&
	      !strcmp(source(a), "asked in frame 20; the answer in frame 21 cannot be read"));
	a = dns_store_lookup(s, "y.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->miss == DNS_MISS_NO_ANSWER && !strcmp(source(a), "no answer in the capture") &&
	      !strcmp(why(a), "no answer for TXT y.test in the capture"));
	/* the question's words are the caller's when it names it */
	char out[300];
	CHECK(!strcmp(dns_answer_why(a, "the key (TXT y.test)", out, sizeof out),
	              "no answer for the key (TXT y.test) in the capture"));
	dns_store_end(s);
	a = dns_store_lookup(s, "y.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->miss == DNS_MISS_NOT_ASKED &&
	      !strcmp(source(a), "nobody asked for it in the capture") &&
	      !strcmp(why(a), "nobody asked for TXT y.test in the capture"));
	/* an answer, once one came, is the answer: the question is no miss */
	dns(to_store, s, &f, "x.test", 30, T0 + 50 * SEC, ANSWERED, "\"v=spf1 -all\"");
	a = dns_store_lookup(s, "x.test", LDNS_RR_TYPE_TXT, T0, &mx);
	CHECK(a->kind == DNS_DATA && a->frame == 31);
	/* ... and the other type of the same name is still unasked */
	a = dns_store_lookup(s, "x.test", LDNS_RR_TYPE_A, T0, &mx);
	CHECK(a->miss == DNS_MISS_NOT_ASKED);

	/* SPF says the store's words. */
	struct ss_addr client = ip4("10.255.1.21");
	struct verdict *v =
	    spf_check(s, T0, &mx, &client, "u@bad.test", "h.test", NULL, SPF_MAILFROM);
	CHECK(v && v->result == V_UNKNOWN && v->reason &&
	      !strcmp(v->reason, "cannot tell: TXT bad.test was asked in frame 20; the answer in "
	                         "frame 21 cannot be read"));
	CHECK(
	    v && v->ndns == 1 &&
	    !strcmp(v->dns[0].source, "asked in frame 20; the answer in frame 21 cannot be read"));
	verdict_free(v);
	dns_store_free(s);

	/* The questions kept are bounded: past DNS_STORE_MAX_ASKED, one more
	 * is not remembered (its miss says only that no answer came), and a
	 * question asked many times keeps DNS_STORE_ASKED_EACH. */
	s = dns_store_new();
	char name[64];
	for (unsigned i = 0; i <= DNS_STORE_MAX_ASKED; i++) {
		snprintf(name, sizeof name, "q%u.test", i);
		dns(to_store, s, &f, name, 100 + i, T0, UNANSWERED, NULL);
	}
	for (unsigned i = 0; i < 3 * DNS_STORE_ASKED_EACH; i++)
		dns(to_store, s, &f, "q0.test", 1000000 + i, T0, UNANSWERED, NULL);
	CHECK(dns_store_lookup(s, "q0.test", LDNS_RR_TYPE_TXT, T0, &mx)->asked_frame == 100);
	snprintf(name, sizeof name, "q%u.test", DNS_STORE_MAX_ASKED - 1);
	CHECK(dns_store_lookup(s, name, LDNS_RR_TYPE_TXT, T0, &mx)->miss == DNS_MISS_UNANSWERED);
	snprintf(name, sizeof name, "q%u.test", DNS_STORE_MAX_ASKED);
	CHECK(dns_store_lookup(s, name, LDNS_RR_TYPE_TXT, T0, &mx)->miss == DNS_MISS_NO_ANSWER);
	dns_store_free(s);
}

/* ---- the verifier, fed records as the dissectors hand them on ---- */

/* What the out function saw of one check, as one line:
 * "spf mailfrom: unknown unknown | reason | why | answer; answer". */
static char seen[16][2048];
static size_t nseen;

static void out(const struct v_hopcheck *h, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < h->nchecks && nseen < 16; i++) {
		const struct v_check *c = &h->checks[i];
		const struct verdict *v = c->ours;
		const char *id = verdict_get(v, "identity");
		size_t k =
		    (size_t)snprintf(seen[nseen], sizeof seen[0], "%s%s%s: %s %s | %s | %s |",
		                     v_method_name(v->method), id ? " " : "", id ? id : "",
		                     v_result_name(v->result), v_agreement_name(c->agreement),
		                     v->reason ? v->reason : "", c->why ? c->why : "");
		for (size_t j = 0; j < v->ndns && k < sizeof seen[0]; j++)
			k += (size_t)snprintf(seen[nseen] + k, sizeof seen[0] - k, " %s -> %s;",
			                      v->dns[j].question, v->dns[j].answer);
		nseen++;
	}
}

/* The line of the check that starts with prefix ("spf mailfrom:"), or "". */
static const char *check_of(const char *prefix)
{
	for (size_t i = 0; i < nseen; i++)
		if (!strncmp(seen[i], prefix, strlen(prefix)))
			return seen[i];
	return "";
}

static struct verifier *verifier(void)
{
	struct verifier_opts o = {
	    .verify = 1, .wait = 60 * SEC, .max_hops = 100, .max_waiting = 100, .max_mem = 1 << 20};
	char err[300];
	nseen = 0;
	struct verifier *v = verifier_new(&o, out, NULL, err, sizeof err);
	if (!v) {
		printf("verifier_new: %s\n", err);
		exit(1);
	}
	return v;
}

static struct ss_str str(const char *s)
{
	return (struct ss_str){(const uint8_t *)s, strlen(s)};
}

/* Hands on message number n over SMTP on flow f, complete at ts. */
static void message(struct verifier *v, const struct ss_flow *f, uint64_t n, const char *helo,
                    const char *data, int64_t ts, uint64_t frame)
{
	struct msg m;
	if (msg_parse(&m, (const uint8_t *)data, strlen(data)))
		exit(1);
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = f;
	struct rec_message *rm = &r.u.msg;
	rm->p = RP_SMTP;
	rm->role = RR_TRANSFER;
	rm->proto = "smtp";
	rm->how = "DATA";
	rm->number = n;
	rm->data = str(data);
	rm->helo = str(helo);
	rm->mail_from = str("u@a.test");
	rm->code = 250;
	rm->reply = str("250 2.0.0 Ok");
	rm->ts_start = ts - SEC / 10;
	rm->ts_end = ts;
	rm->frame_start = frame - 1;
	rm->frame_end = frame;
	rm->msg = &m;
	verifier_record(v, &r);
	msg_free(&m);
}

/* A "tls" note on flow f, as dissect/smtp.c makes on STARTTLS accepted. */
static void tls(struct verifier *v, const struct ss_flow *f, enum rec_proto p, int64_t ts,
                uint64_t frame)
{
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_NOTE;
	r.flow = f;
	r.u.note.p = p;
	r.u.note.proto = rec_proto_name(p);
	r.u.note.what = "tls";
	r.u.note.detail = str("STARTTLS accepted: the rest of the session is TLS");
	r.u.note.ts = ts;
	r.u.note.frame = frame;
	verifier_record(v, &r);
}

static const char sent[] = "From: u@a.test\r\n"
                           "To: v@b.test\r\n"
                           "Subject: unknowns\r\n"
                           "Message-ID: <1@a.test>\r\n"
                           "\r\n"
                           "hello\r\n";

/* (c) The hop's receiver passed its copy on inside TLS; (d) and (e) on the
 * "dns:" lines too, once the input is over. */
static void encrypted(void)
{
	struct ss_flow resolver = flow(1, "10.255.2.33", "10.255.0.254", 53);
	struct ss_flow in = flow(2, "10.255.1.21", "10.255.2.33", 25);
	struct ss_flow onward = flow(3, "10.255.2.33", "10.255.2.40", 25);
	struct ss_flow inward = flow(4, "10.255.1.22", "10.255.2.33", 25);
	struct verifier *v = verifier();
	dns(to_verifier, v, &resolver, "a.test", 3, T0 - SEC, UNANSWERED, NULL);
	/* a session begun before the hop, and one into the receiver: neither
	 * carried what it passed on */
	tls(v, &inward, RP_SMTP, T0 + SEC, 6);
	message(v, &in, 1, "h.a.test", sent, T0, 5);
	tls(v, &onward, RP_SMTP, T0 + 2 * SEC, 8);
	verifier_finish(v);
	const char *spf = check_of("spf mailfrom:");
	CHECK(strstr(spf, "| cannot tell: TXT a.test was asked in frame 3, never answered in the "
	                  "capture |") != NULL);
	CHECK(strstr(spf, "| what 10.255.2.33 wrote is unknown: the copy it passed on went "
	                  "encrypted (STARTTLS, flow 3) |") != NULL);
	CHECK(strstr(spf, " TXT a.test -> asked in frame 3, never answered in the capture;") !=
	      NULL);
	const char *helo = check_of("spf helo:");
	CHECK(strstr(helo, "| cannot tell: nobody asked for TXT h.a.test in the capture |") &&
	      strstr(helo, " TXT h.a.test -> nobody asked for it in the capture;") != NULL);
	for (size_t i = 0; i < nseen; i++)
		CHECK(strstr(seen[i], "went encrypted (STARTTLS, flow 3)") != NULL);
	verifier_free(v);

	/* No session of its own after the hop: not in the capture, the old words. */
	v = verifier();
	tls(v, &inward, RP_SMTP, T0 + SEC, 6);
	tls(v, &onward, RP_SMTP, T0 - SEC, 4);
	message(v, &in, 1, "h.a.test", sent, T0, 5);
	tls(v, &onward, RP_SMTP, T0 + 61 * SEC, 9); /* past the wait */
	verifier_finish(v);
	CHECK(strstr(check_of("spf mailfrom:"),
	             "| what 10.255.2.33 wrote is unknown: the copy it passed on is not in the "
	             "capture |") != NULL);
	verifier_free(v);

	/* Handed out to a reader over POP3 with STLS, and over IMAP: the
	 * receiver is then the server of the session. */
	struct ss_flow pop = flow(5, "10.255.3.10", "10.255.2.33", 110);
	struct ss_flow imap = flow(6, "10.255.3.10", "10.255.2.33", 143);
	v = verifier();
	message(v, &in, 1, "h.a.test", sent, T0, 5);
	tls(v, &pop, RP_POP3, T0 + 3 * SEC, 8);
	verifier_finish(v);
	CHECK(strstr(check_of("dmarc:"), "the copy it passed on went encrypted (STLS, flow 5)") !=
	      NULL);
	verifier_free(v);
	v = verifier();
	message(v, &in, 1, "h.a.test", sent, T0, 5);
	tls(v, &imap, RP_IMAP, T0 + 3 * SEC, 8);
	verifier_finish(v);
	CHECK(strstr(check_of("dmarc:"),
	             "the copy it passed on went encrypted (STARTTLS, flow 6)") != NULL);
	verifier_free(v);
}

/* (a) The receiver's copy carries its DKIM and DMARC verdicts and none for
 * SPF: it did not check SPF here. Reported when the copy comes, before the
 * input is over: a miss with no question yet says only that no answer
 * came. */
static void no_spf_verdict(void)
{
	struct ss_flow resolver = flow(1, "10.255.2.33", "10.255.0.254", 53);
	struct ss_flow in = flow(2, "10.255.1.21", "10.255.2.33", 25);
	struct ss_flow onward = flow(3, "10.255.2.33", "10.255.2.40", 25);
	static const char added[] =
	    "Authentication-Results: mx.b.test; dkim=none; dmarc=fail header.from=a.test\r\n"
	    "Received: from h.a.test (h.a.test [10.255.1.21])\r\n"
	    "\tby mx.b.test (Postfix) with ESMTP id 1; Sun, 06 Dec 2026 18:28:01 +0000\r\n";
	char copy[sizeof added + sizeof sent];
	snprintf(copy, sizeof copy, "%s%s", added, sent);
	struct verifier *v = verifier();
	dns(to_verifier, v, &resolver, "other.test", 3, T0 - SEC, ANSWERED, "\"v=spf1 -all\"");
	message(v, &in, 1, "h.a.test", sent, T0, 5);
	message(v, &onward, 2, "mx.b.test", copy, T0 + SEC, 9);
	const char *spf = check_of("spf mailfrom:");
	CHECK(strstr(spf, "| cannot tell: no answer for TXT a.test in the capture | mx.b.test did "
	                  "not check SPF here: the copy it passed on carries its DKIM and DMARC "
	                  "verdicts, but no SPF one |") != NULL);
	CHECK(strstr(spf, " TXT a.test -> no answer in the capture;") != NULL);
	CHECK(!strncmp(check_of("dkim:"), "dkim: none agree", 16));
	/* ours unknown, theirs written: the reason is the one line */
	CHECK(strstr(check_of("dmarc:"), "unknown unknown | cannot tell: no answer for TXT "
	                                 "_dmarc.a.test in the capture. ") != NULL);
	verifier_free(v);
	if (failures)
		for (size_t i = 0; i < nseen; i++)
			printf("  %s\n", seen[i]);
}

int main(void)
{
	store_words();
	encrypted();
	no_spf_verdict();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
