/* test_dns.c - the DNS dissector, its text and JSON, and the names learned
 * from answers, on hand-made messages (RFC 1035 4.1 built with ldns, or
 * byte by byte where the message must be broken) fed through reassembly as
 * UDP datagrams (RFC 1035 4.2.1) and TCP segments (4.2.2: length prefix,
 * several messages per segment, a message across segments, a gap).
 *
 * Each case checks the records a sink received (pairs, unanswered,
 * response-only, malformed with ldns's own reason, TC, EDNS), the timeline
 * text dig users expect, JSON members, and the anomaly events raised.
 */
#define _DEFAULT_SOURCE
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsout.h"
#include "dnstext.h"
#include "event.h"
#include "names.h"
#include "protos.h"
#include "synth.h"

static int failures, checks;
static const char *current;

static void check(int ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL %s (line %d): %s\n", current, line, what);
	}
}
#define CHECK(cond) check((cond), #cond, __LINE__)

static void check_str(const char *got, const char *want, int line)
{
	checks++;
	if (strcmp(got, want)) {
		failures++;
		printf("FAIL %s (line %d):\n  got  [%s]\n  want [%s]\n", current, line, got, want);
	}
}
#define CHECK_STR(got, want) check_str((got), (want), __LINE__)

static void check_has(const char *hay, const char *needle, int line)
{
	checks++;
	if (!strstr(hay, needle)) {
		failures++;
		printf("FAIL %s (line %d): missing [%s] in\n  [%s]\n", current, line, needle, hay);
	}
}
#define CHECK_HAS(hay, needle) check_has((hay), (needle), __LINE__)

/* What the sink received. */
struct got {
	char text[2048];
	char verbose[8192];
	char json[8192];
	char malformed[128];
	uint64_t fq, fr;
	int64_t tq, tr;
	int tcp;
	int has_q, has_r;
};
#define MAX_GOT 400
static struct got got[MAX_GOT];
static int ngot;
static int npending; /* questions handed on at once, before their records */
static uint64_t pending_frame;
static char events[8192];
static int learn; /* the sink feeds names_learn() */

/* Runs fn(out, d) into buf through a memory stream. */
static void capture(char *buf, size_t cap, void (*fn)(FILE *, const struct rec_dns *),
                    const struct rec_dns *d)
{
	char *m = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&m, &n);
	if (!fp) {
		buf[0] = 0;
		return;
	}
	fn(fp, d);
	fclose(fp);
	snprintf(buf, cap, "%s", m);
	free(m);
}

/* Runs fn(text, d) into buf. */
static void capture_text(char *buf, size_t cap, void (*fn)(struct text *, const struct rec_dns *),
                         const struct rec_dns *d)
{
	struct text t;
	text_init(&t);
	fn(&t, d);
	snprintf(buf, cap, "%.*s", (int)t.b.len, t.b.p ? (const char *)t.b.p : "");
	text_free(&t);
}

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_DNS && r->u.dns.pending) {
		/* a notice, not a record: the query, at once, nothing else */
		npending++;
		pending_frame = r->u.dns.query && !r->u.dns.response ? r->u.dns.frame_query : 0;
		return;
	}
	if (r->kind != REC_DNS || ngot == MAX_GOT)
		return;
	const struct rec_dns *d = &r->u.dns;
	struct got *g = &got[ngot++];
	capture_text(g->text, sizeof g->text, dnsout_text, d);
	capture_text(g->verbose, sizeof g->verbose, dnsout_verbose, d);
	capture(g->json, sizeof g->json, dnsout_json, d);
	snprintf(g->malformed, sizeof g->malformed, "%s", d->malformed ? d->malformed : "");
	g->fq = d->frame_query;
	g->fr = d->frame_response;
	g->tq = d->ts_query;
	g->tr = d->ts_response;
	g->tcp = d->tcp;
	g->has_q = d->query != NULL;
	g->has_r = d->response != NULL;
	if (learn)
		names_learn(d);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(events);
	snprintf(events + n, sizeof events - n, "%s;", e->what);
}

static struct ss_caps caps;
static struct dissect_opts dopt;
static struct ss_reasm *r;

static void begin(const char *name)
{
	current = name;
	ngot = 0;
	npending = 0;
	pending_frame = 0;
	events[0] = 0;
	synth_reset();
	ss_caps_defaults(&caps);
	dopt.caps = &caps;
	r = reasm_new(&caps);
	if (!r || dissect_register(r, &dopt))
		abort();
}

static void end(void)
{
	reasm_finish(r);
	reasm_free(r);
	r = NULL;
}

/* --- messages -------------------------------------------------------- */

struct spec {
	uint16_t id;
	int qr, aa, tc, rd, opcode;
	unsigned rcode;
	const char *q;     /* "name. CLASS TYPE", or NULL for no question */
	const char *an[8]; /* records in ldns's zone-file syntax */
	const char *ns[4];
	unsigned edns_udp; /* 0: no OPT record */
	int do_bit;
	const char *nsid; /* the NSID option's data (response), or NULL */
};

/* The wire form of s in out; returns its length. Aborts on a bad spec. */
static size_t build(const struct spec *s, uint8_t *out, size_t cap)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, s->id);
	ldns_pkt_set_qr(p, s->qr);
	ldns_pkt_set_aa(p, s->aa);
	ldns_pkt_set_tc(p, s->tc);
	ldns_pkt_set_rd(p, s->rd);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)s->opcode);
	ldns_pkt_set_rcode(p, (uint8_t)s->rcode);
	ldns_rr *rr;
	if (s->q) {
		if (ldns_rr_new_question_frm_str(&rr, s->q, NULL, NULL))
			abort();
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	}
	for (int i = 0; i < 8 && s->an[i]; i++) {
		if (ldns_rr_new_frm_str(&rr, s->an[i], 0, NULL, NULL))
			abort();
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (int i = 0; i < 4 && s->ns[i]; i++) {
		if (ldns_rr_new_frm_str(&rr, s->ns[i], 0, NULL, NULL))
			abort();
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	if (s->edns_udp) {
		ldns_pkt_set_edns_udp_size(p, (uint16_t)s->edns_udp);
		ldns_pkt_set_edns_do(p, s->do_bit);
		if (s->nsid) {
			size_t n = strlen(s->nsid);
			uint8_t opt[64] = {0, 3, (uint8_t)(n >> 8), (uint8_t)n};
			memcpy(opt + 4, s->nsid, n);
			ldns_pkt_set_edns_data(
			    p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 4 + n, opt));
		}
	}
	uint8_t *w = NULL;
	size_t n = 0;
	if (ldns_pkt2wire(&w, p, &n) || n > cap)
		abort();
	memcpy(out, w, n);
	free(w);
	ldns_pkt_free(p);
	return n;
}

/* The reason ldns gives for bytes it refuses. */
static const char *ldns_reason(const uint8_t *p, size_t n)
{
	ldns_pkt *pkt = NULL;
	ldns_status rc = ldns_wire2pkt(&pkt, p, n);
	ldns_pkt_free(pkt);
	return rc == LDNS_STATUS_OK ? "(parses)" : ldns_get_errorstr_by_id(rc);
}

#define C 1
#define S 0

static void udp(int from_client, int ms, const uint8_t *p, size_t n)
{
	synth_udp(r, from_client, 40000, 53, ms, p, n);
}

static void udp_spec(int from_client, int ms, const struct spec *s)
{
	uint8_t b[4096];
	udp(from_client, ms, b, build(s, b, sizeof b));
}

/* --- UDP --------------------------------------------------------------- */

static const struct spec q_dmarc = {.id = 4711, .rd = 1, .q = "_dmarc.a.test. IN TXT"};

static void case_udp_pair(void)
{
	begin("udp: a query and its response");
	struct spec a = q_dmarc;
	a.qr = a.aa = 1;
	a.an[0] = "_dmarc.a.test. 60 IN TXT \"v=DMARC1; p=quarantine; pct=100\"";
	udp_spec(C, 10, &q_dmarc);
	/* the question is handed on at once, for a verifier (record.h) */
	CHECK(npending == 1 && pending_frame == 1 && ngot == 0);
	udp_spec(S, 12, &a);
	CHECK(ngot == 1);
	CHECK_STR(got[0].text,
	          "DNS TXT? _dmarc.a.test -> \"v=DMARC1; p=quarantine; pct=100\" NOERROR ttl=60");
	CHECK(got[0].fq == 1 && got[0].fr == 2 && !got[0].tcp && got[0].has_q && got[0].has_r);
	CHECK(got[0].tr - got[0].tq == 2000000);
	CHECK_HAS(got[0].json, ",\"status\":\"answered\",\"transport\":\"udp\",\"id\":4711,"
	                       "\"opcode\":\"QUERY\",\"qname\":\"_dmarc.a.test\",\"qtype\":\"TXT\","
	                       "\"qclass\":\"IN\",\"rd\":true,\"rcode\":\"NOERROR\",\"tc\":false,"
	                       "\"aa\":true");
	CHECK_HAS(got[0].json, "\"rtt_ms\":2.000");
	CHECK_HAS(got[0].json, "\"answer\":[{\"name\":\"_dmarc.a.test\",\"type\":\"TXT\","
	                       "\"class\":\"IN\",\"ttl\":60,\"data\":\"\\\"v=DMARC1; p=quarantine; "
	                       "pct=100\\\"\"}],\"authority\":[],\"additional\":[]");
	CHECK(got[0].json[0] == ',');
	CHECK_HAS(got[0].verbose, "    ;; ANSWER SECTION:\n    _dmarc.a.test.\t60\tIN\tTXT\t"
	                          "\"v=DMARC1; p=quarantine; pct=100\"\n");
	CHECK_HAS(got[0].verbose, "    ;; Query time: 2.000 ms\n");
	end();
	CHECK_STR(events, "");
}

static void case_txt_strings(void)
{
	begin("TXT: several strings kept apart, odd bytes escaped");
	struct spec q = {.id = 1, .q = "sel._domainkey.a.test. IN TXT"};
	struct spec a = q;
	a.qr = 1;
	a.an[0] = "sel._domainkey.a.test. 300 IN TXT \"v=DKIM1; k=rsa; \" \"p=MIGfMA0\"";
	a.an[1] = "sel._domainkey.a.test. 120 IN TXT \"tab\\009quote\\\"nl\\010hi\\200\"";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	CHECK(ngot == 1);
	CHECK_STR(got[0].text,
	          "DNS TXT? sel._domainkey.a.test -> \"v=DKIM1; k=rsa; \" "
	          "\"p=MIGfMA0\", \"tab\\009quote\\\"nl\\010hi\\200\" NOERROR ttl=120");
	CHECK(!strchr(got[0].text, '\n') && !strchr(got[0].text, '\t'));
	CHECK_HAS(got[0].json, "\"data\":\"\\\"v=DKIM1; k=rsa; \\\" \\\"p=MIGfMA0\\\"\"");
	end();
}

static void case_negative(void)
{
	begin("NXDOMAIN, no data, SERVFAIL, TC");
	struct spec q = {.id = 7, .rd = 1, .q = "nx.a.test. IN A"};
	struct spec a = q;
	a.qr = 1;
	a.rcode = LDNS_RCODE_NXDOMAIN;
	a.ns[0] = "a.test. 300 IN SOA ns.a.test. host.a.test. 1 2 3 4 60";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	q.id = 8, q.q = "a.test. IN AAAA";
	a = q, a.qr = 1;
	udp_spec(C, 3, &q);
	udp_spec(S, 4, &a);
	q.id = 9, q.q = "broken.test. IN MX";
	a = q, a.qr = 1, a.rcode = LDNS_RCODE_SERVFAIL;
	udp_spec(C, 5, &q);
	udp_spec(S, 6, &a);
	q.id = 10, q.q = "big.a.test. IN TXT";
	a = q, a.qr = 1, a.tc = 1;
	udp_spec(C, 7, &q);
	udp_spec(S, 8, &a);
	CHECK(ngot == 4);
	CHECK_STR(got[0].text, "DNS A? nx.a.test -> NXDOMAIN");
	CHECK_HAS(got[0].json, "\"rcode\":\"NXDOMAIN\"");
	CHECK_HAS(got[0].json,
	          "\"authority\":[{\"name\":\"a.test\",\"type\":\"SOA\",\"class\":\"IN\","
	          "\"ttl\":300,\"data\":\"ns.a.test. host.a.test. 1 2 3 4 60\"}]");
	CHECK_HAS(got[0].verbose, "    ;; AUTHORITY SECTION:\n");
	CHECK_STR(got[1].text, "DNS AAAA? a.test -> no data NOERROR");
	CHECK_STR(got[2].text, "DNS MX? broken.test -> SERVFAIL");
	CHECK_STR(got[3].text, "DNS TXT? big.a.test -> no data NOERROR TC");
	CHECK_HAS(got[3].json, "\"tc\":true");
	end();
}

static void case_cname_chain(void)
{
	begin("a CNAME chain: types shown where they differ from the question's");
	struct spec q = {.id = 99, .rd = 1, .q = "www.a.test. IN A"};
	struct spec a = q;
	a.qr = 1;
	a.an[0] = "www.a.test. 300 IN CNAME b.a.test.";
	a.an[1] = "b.a.test. 30 IN CNAME c.a.test.";
	a.an[2] = "c.a.test. 60 IN A 192.0.2.7";
	a.an[3] = "c.a.test. 60 IN A 192.0.2.8";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	CHECK(ngot == 1);
	CHECK_STR(got[0].text, "DNS A? www.a.test -> CNAME b.a.test., CNAME c.a.test., 192.0.2.7, "
	                       "192.0.2.8 NOERROR ttl=30");
	end();
}

static void case_rrsig(void)
{
	begin("signatures are counted on the line, shown under -v");
	struct spec q = {.id = 12, .q = "s.test. IN A"};
	struct spec a = q;
	a.qr = 1;
	a.an[0] = "s.test. 60 IN A 192.0.2.1";
	a.an[1] = "s.test. 60 IN RRSIG A 8 2 60 20300101000000 20200101000000 12345 test. AAAA";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	CHECK(ngot == 1);
	CHECK_STR(got[0].text, "DNS A? s.test -> 192.0.2.1 NOERROR ttl=60 (+1 RRSIG)");
	CHECK_HAS(got[0].verbose,
	          "\tRRSIG\tA 8 2 60 20300101000000 20200101000000 12345 test. AAAA\n");
	CHECK_HAS(got[0].json, "\"type\":\"RRSIG\"");
	end();
}

static void case_unpaired(void)
{
	begin("unanswered, response without query, mismatched question");
	struct spec q = {.id = 1, .q = "x.test. IN A"};
	struct spec a = {.id = 2, .qr = 1, .q = "y.test. IN A", .an = {"y.test. 5 IN A 192.0.2.1"}};
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);                                      /* another id: answers nothing */
	struct spec b = {.id = 1, .qr = 1, .q = "z.test. IN A"}; /* same id, other question */
	udp_spec(S, 3, &b);
	CHECK(ngot == 2);
	CHECK_STR(got[0].text, "DNS A? y.test -> 192.0.2.1 NOERROR ttl=5 (query not seen)");
	CHECK_HAS(got[0].json, "\"status\":\"unsolicited\"");
	CHECK(!got[0].fq && got[0].fr == 2 && !got[0].has_q);
	CHECK_STR(got[1].text, "DNS A? z.test -> no data NOERROR (query not seen)");
	end();
	CHECK(ngot == 3);
	CHECK_STR(got[2].text, "DNS A? x.test (no answer)");
	CHECK_HAS(got[2].json, "\"status\":\"unanswered\"");
	CHECK(got[2].fq == 1 && !got[2].fr && !got[2].has_r);
	CHECK(!strstr(got[2].json, "rcode"));
	CHECK_STR(events, "dns_unsolicited;dns_unsolicited;dns_unanswered;");
}

static void case_case_insensitive(void)
{
	begin("the question matches without regard to case (RFC 4343)");
	struct spec q = {.id = 5, .q = "MiXeD.a.TEST. IN A"};
	struct spec a = {.id = 5, .qr = 1, .q = "mixed.a.test. IN A"};
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	CHECK(ngot == 1 && got[0].fq == 1 && got[0].fr == 2);
	CHECK_STR(got[0].text, "DNS A? MiXeD.a.TEST -> no data NOERROR");
	end();
	CHECK_STR(events, "");
}

static void case_malformed(void)
{
	begin("malformed: ldns's reason, paired where the header allows");
	struct spec q = {.id = 0x1234, .q = "x.test. IN A"};
	udp_spec(C, 1, &q);
	/* A response that claims an answer it does not carry. */
	uint8_t bad[] = {0x12, 0x34, 0x81, 0x80, 0,   1,   0,   1, 0, 0, 0, 0,
	                 1,    'x',  4,    't',  'e', 's', 't', 0, 0, 1, 0, 1};
	udp(S, 2, bad, sizeof bad);
	/* Three bytes: not even a header. */
	udp(C, 3, bad, 3);
	CHECK(ngot == 2);
	char want[256];
	snprintf(want, sizeof want, "DNS A? x.test -> malformed response: %s",
	         ldns_reason(bad, sizeof bad));
	CHECK_STR(got[0].text, want);
	CHECK_STR(got[0].malformed, ldns_reason(bad, sizeof bad));
	CHECK(got[0].has_q && !got[0].has_r && got[0].fq == 1 && got[0].fr == 2);
	CHECK_HAS(got[0].json, "\"status\":\"malformed\"");
	CHECK_HAS(got[0].json, "\"malformed_side\":\"response\",\"raw_len\":24,"
	                       "\"raw\":\"123481800001000100000000017804746573740000010001\"");
	snprintf(want, sizeof want, "DNS malformed message: %s (3 bytes)", ldns_reason(bad, 3));
	CHECK_STR(got[1].text, want);
	CHECK_HAS(got[1].verbose, "    ;; bytes: 123481\n");
	/* A malformed query waits for its response, which says what was asked. */
	/* id 9, RD, one question (q. A IN), one answer whose owner is a
	 * compression pointer past the end. */
	static const uint8_t badq[] = {0, 9, 1,   0, 0, 1, 0, 1, 0,    0,   0,
	                               0, 1, 'q', 0, 0, 1, 0, 1, 0xc0, 0x30};
	udp(C, 4, badq, sizeof badq);
	struct spec a = {.id = 9, .qr = 1, .q = "q. IN A", .an = {"q. 1 IN A 192.0.2.9"}};
	udp_spec(S, 5, &a);
	CHECK(ngot == 3);
	snprintf(want, sizeof want, "DNS A? q -> 192.0.2.9 NOERROR ttl=1 (malformed query: %s)",
	         ldns_reason(badq, sizeof badq));
	CHECK_STR(got[2].text, want);
	CHECK(!got[2].has_q && got[2].has_r && got[2].fq == 4 && got[2].fr == 5);
	end();
	CHECK_STR(events, "dns_malformed;dns_malformed;dns_malformed;");
}

static void case_edns(void)
{
	begin("EDNS: UDP size, DO bit, NSID");
	struct spec q = {.id = 3, .rd = 1, .q = "a.test. IN DNSKEY", .edns_udp = 1232, .do_bit = 1};
	struct spec a = q;
	a.qr = 1, a.edns_udp = 4096, a.do_bit = 1, a.nsid = "ns1";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	CHECK(ngot == 1);
	CHECK_HAS(got[0].json,
	          "\"query_edns\":{\"version\":0,\"udp\":1232,\"do\":true,\"options\":0}");
	CHECK_HAS(got[0].json, "\"edns\":{\"version\":0,\"udp\":4096,\"do\":true,\"options\":1,"
	                       "\"nsid\":\"6e7331 (\\\"ns1\\\")\"}");
	CHECK_HAS(got[0].verbose,
	          ";; EDNS: version 0; flags: do; udp: 4096; NSID: 6e7331 (\"ns1\")\n");
	end();
}

static void case_tsig(void)
{
	begin("TSIG: ldns takes it out of the additional section; shown on its own");
	struct spec q = {.id = 21, .q = "a.test. IN SOA"};
	struct spec a = q;
	a.qr = 1;
	uint8_t b[512];
	udp_spec(C, 1, &q);
	size_t n = build(&a, b, sizeof b);
	/* key.test. 0 ANY TSIG hmac-sha256. (RFC 8945 4.2), a 16-byte MAC. */
	static const uint8_t tsig[] = {
	    3, 'k',  'e',  'y',  4,    't', 'e', 's', 't', 0,   0,   250, 0,   255, 0,   0, 0,
	    0, 0,    45,   11,   'h',  'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0, 0,
	    0, 0x65, 0x53, 0xf1, 0x00, 1,   44,  0,   16,  1,   2,   3,   4,   5,   6,   7, 8,
	    9, 10,   11,   12,   13,   14,  15,  16,  0,   21,  0,   0,   0,   0};
	memcpy(b + n, tsig, sizeof tsig);
	b[11] = 1; /* ARCOUNT */
	udp(S, 2, b, n + sizeof tsig);
	end();
	CHECK(ngot == 1);
	CHECK_STR(got[0].text, "DNS SOA? a.test -> no data NOERROR");
	CHECK_HAS(got[0].verbose,
	          "    ;; TSIG PSEUDOSECTION:\n    key.test.\t0\tANY\tTSIG\thmac-sha256. ");
	CHECK_HAS(got[0].json,
	          ",\"additional\":[],\"tsig\":{\"name\":\"key.test\",\"type\":\"TSIG\","
	          "\"class\":\"ANY\",\"ttl\":0,\"data\":\"hmac-sha256. ");
}

static void case_multicast(void)
{
	begin("mDNS: unpaired messages are records without events");
	struct spec q = {.id = 0, .q = "_ipp._tcp.local. IN PTR"};
	uint8_t b[512];
	size_t n = build(&q, b, sizeof b);
	synth_udp(r, 1, 5353, 5353, 1, b, n);
	end();
	CHECK(ngot == 1);
	CHECK_STR(got[0].text, "DNS PTR? _ipp._tcp.local (no answer)");
	CHECK_STR(events, "");
}

static void case_udp_garbage(void)
{
	begin("a datagram to port 53 that is no DNS is a malformed DNS message");
	static const uint8_t junk[] = "GET / HTTP/1.0\r\n\r\n";
	udp(C, 1, junk, sizeof junk - 1);
	end();
	CHECK(ngot == 1);
	CHECK(got[0].malformed[0] != 0);
	CHECK_HAS(got[0].text, "DNS malformed query: ");
}

static void case_pending_cap(void)
{
	begin("pending queries are capped");
	struct spec q = {.q = "x.test. IN A"};
	for (int i = 0; i < DNS_MAX_PENDING + 10; i++) {
		q.id = (uint16_t)i;
		udp_spec(C, i, &q);
	}
	CHECK(ngot == 10); /* the oldest, given up to make room */
	CHECK_HAS(got[0].json, "\"id\":0,");
	CHECK_HAS(got[9].json, "\"id\":9,");
	/* The newest still pair. */
	struct spec a = q;
	a.qr = 1;
	udp_spec(S, 1000, &a);
	CHECK(ngot == 11 && got[10].fr != 0 && got[10].fq != 0);
	end();
	CHECK(ngot == DNS_MAX_PENDING + 10);
}

/* --- TCP --------------------------------------------------------------- */

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define FIN 0x01

static uint32_t cseq, sseq;

static void tcp_open(uint16_t port)
{
	synth_tcp(r, 1, 40001, port, 0, SYN, 1000, 0, NULL, 0, 0);
	synth_tcp(r, 0, 40001, port, 1, SYN | ACK, 5000, 1001, NULL, 0, 0);
	synth_tcp(r, 1, 40001, port, 2, ACK, 1001, 5001, NULL, 0, 0);
	cseq = 1001, sseq = 5001;
}

/* A segment of p[0..n) from one side; skip bytes are left out before it (a
 * hole the other side then acknowledges). */
static void seg(int from_client, int ms, const uint8_t *p, size_t n, size_t skip)
{
	uint32_t *seq = from_client ? &cseq : &sseq;
	*seq += (uint32_t)skip;
	synth_tcp(r, from_client, 40001, 53, ms, PSH | ACK, *seq, from_client ? sseq : cseq, p, n,
	          0);
	*seq += (uint32_t)n;
	if (skip) /* the peer acknowledges past the hole: a gap */
		synth_tcp(r, !from_client, 40001, 53, ms, ACK, from_client ? sseq : cseq, *seq,
		          NULL, 0, 0);
}

static void tcp_close(int ms)
{
	synth_tcp(r, 1, 40001, 53, ms, FIN | ACK, cseq, sseq, NULL, 0, 0);
	synth_tcp(r, 0, 40001, 53, ms + 1, FIN | ACK, sseq, cseq + 1, NULL, 0, 0);
	synth_tcp(r, 1, 40001, 53, ms + 2, ACK, cseq + 1, sseq + 1, NULL, 0, 0);
}

/* s as a TCP message (length prefix, RFC 1035 4.2.2) appended at b+*n. */
static void framed(const struct spec *s, uint8_t *b, size_t *n)
{
	size_t len = build(s, b + *n + 2, 4096);
	b[*n] = (uint8_t)(len >> 8);
	b[*n + 1] = (uint8_t)len;
	*n += 2 + len;
}

static void case_tcp_framing(void)
{
	begin("tcp: two queries in a segment, responses split anywhere");
	caps.ack_wait = 0;
	tcp_open(53);
	uint8_t b[8192];
	size_t n = 0;
	struct spec q1 = {.id = 1, .q = "one.test. IN A"}, q2 = {.id = 2, .q = "two.test. IN TXT"};
	framed(&q1, b, &n);
	framed(&q2, b, &n);
	seg(C, 3, b, n, 0);
	struct spec a2 = q2, a1 = q1;
	a2.qr = a1.qr = 1;
	a2.an[0] = "two.test. 10 IN TXT \"2\"";
	a1.an[0] = "one.test. 10 IN A 192.0.2.1";
	n = 0;
	framed(&a2, b, &n); /* answered out of order (RFC 7766 7) */
	size_t first = n;
	framed(&a1, b, &n);
	seg(S, 4, b, 1, 0); /* half a length prefix */
	CHECK(ngot == 0);
	seg(S, 5, b + 1, first + 5, 0); /* the rest of a2, 4 bytes of a1 */
	CHECK(ngot == 1);
	seg(S, 6, b + first + 6, n - first - 6, 0);
	CHECK(ngot == 2);
	CHECK_STR(got[0].text, "DNS TXT? two.test -> \"2\" NOERROR ttl=10");
	CHECK_STR(got[1].text, "DNS A? one.test -> 192.0.2.1 NOERROR ttl=10");
	CHECK(got[0].tcp && got[0].fq == 4 && got[0].fr == 6);
	CHECK(got[1].fr == 7);
	CHECK_HAS(got[1].json, "\"transport\":\"tcp\"");
	tcp_close(10);
	end();
	CHECK(ngot == 2);
	CHECK_STR(events, "");
}

static void case_tcp_gap(void)
{
	begin("tcp: a gap loses the framing until a message boundary is proven");
	caps.ack_wait = 0;
	tcp_open(53);
	uint8_t b[8192];
	size_t n = 0;
	struct spec q[3] = {{.id = 1, .q = "a.test. IN A"},
	                    {.id = 2, .q = "b.test. IN A"},
	                    {.id = 3, .q = "c.test. IN A"}};
	for (int i = 0; i < 3; i++)
		framed(&q[i], b, &n);
	seg(C, 3, b, n, 0);
	struct spec a[3];
	size_t at[4] = {0};
	n = 0;
	for (int i = 0; i < 3; i++) {
		a[i] = q[i];
		a[i].qr = 1;
		framed(&a[i], b, &n);
		at[i + 1] = n;
	}
	seg(S, 4, b, at[1] + 5, 0);                         /* a1 and 5 bytes of a2 */
	seg(S, 5, b + at[2], n - at[2], at[2] - at[1] - 5); /* the rest of a2 lost */
	tcp_close(10);
	end();
	CHECK(ngot == 3);
	CHECK_STR(got[0].text, "DNS A? a.test -> no data NOERROR");
	CHECK_STR(got[1].text, "DNS A? c.test -> no data NOERROR");
	CHECK_STR(got[2].text, "DNS A? b.test (no answer)");
	CHECK_STR(events, "gap;dns_cut;dns_framing_lost;dns_resync;dns_unanswered;");
}

static void case_tcp_resync_stream(void)
{
	begin("tcp: after a gap, a message in mid-segment is found by what follows it");
	caps.ack_wait = 0;
	tcp_open(53);
	uint8_t b[8192];
	size_t n = 0;
	struct spec q = {.q = "m.test. IN A"};
	for (int i = 0; i < 4; i++) {
		q.id = (uint16_t)(100 + i);
		framed(&q, b, &n);
	}
	size_t one = n / 4;
	/* Lost: the first query and 3 bytes of the second; then the rest in
	 * one segment whose first message starts in the middle. */
	seg(C, 3, b + one + 3, n - one - 3, one + 3);
	struct spec a = q;
	a.qr = 1;
	for (int i = 1; i < 4; i++) {
		a.id = (uint16_t)(100 + i);
		uint8_t r1[512];
		size_t rn = 0;
		framed(&a, r1, &rn);
		seg(S, 4 + i, r1, rn, 0);
	}
	tcp_close(10);
	end();
	/* The first query is lost and the second cut: their responses come
	 * unasked; the third and fourth pair. */
	CHECK(ngot == 3);
	CHECK_STR(got[0].text, "DNS A? m.test -> no data NOERROR (query not seen)");
	CHECK_HAS(got[0].json, "\"id\":101,");
	CHECK_STR(got[1].text, "DNS A? m.test -> no data NOERROR");
	CHECK_HAS(got[1].json, "\"id\":102,");
	CHECK_HAS(got[2].json, "\"id\":103,");
	CHECK(got[1].fq != 0 && got[2].fq != 0);
	CHECK_HAS(events, "dns_framing_lost;dns_resync;dns_unsolicited;");
}

static void case_tcp_resync_pieces(void)
{
	begin("tcp: after a gap, a message that comes in pieces is waited for");
	caps.ack_wait = 0;
	tcp_open(53);
	uint8_t b[8192];
	size_t n = 0;
	struct spec q1 = {.id = 1, .q = "one.test. IN A"}, q2 = {.id = 2, .q = "two.test. IN A"};
	framed(&q1, b, &n);
	framed(&q2, b, &n);
	seg(C, 3, b, n, 0);
	struct spec a1 = q1, a2 = q2;
	a1.qr = a2.qr = 1;
	a1.an[0] = "one.test. 1 IN A 192.0.2.1";
	a2.an[0] = "two.test. 1 IN A 192.0.2.2";
	n = 0;
	framed(&a1, b, &n);
	size_t first = n;
	framed(&a2, b, &n);
	/* a1 lost; a2 in three pieces: 5 bytes, 9 bytes, the rest. */
	seg(S, 4, b + first, 5, first);
	seg(S, 5, b + first + 5, 9, 0);
	CHECK(ngot == 0);
	seg(S, 6, b + first + 14, n - first - 14, 0);
	CHECK(ngot == 1);
	CHECK_STR(got[0].text, "DNS A? two.test -> 192.0.2.2 NOERROR ttl=1");
	tcp_close(10);
	end();
	CHECK(ngot == 2);
	CHECK_STR(got[1].text, "DNS A? one.test (no answer)");
	CHECK_STR(events, "gap;dns_framing_lost;dns_resync;dns_unanswered;");
}

static void case_tcp_bad_run(void)
{
	begin("tcp: unparsable messages in a row are framing lost");
	tcp_open(53);
	uint8_t b[512];
	size_t n = 0;
	struct spec q = {.id = 1, .q = "ok.test. IN A"};
	framed(&q, b, &n);
	for (int i = 0; i < DNS_MAX_BAD_RUN + 1; i++) {
		/* A query header that announces a question, and no question. */
		static const uint8_t h[] = {0, 12, 0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
		memcpy(b + n, h, sizeof h);
		n += sizeof h;
	}
	seg(C, 3, b, n, 0);
	tcp_close(10);
	end();
	/* The good query, unanswered, and the four refused before the
	 * framing was given up; the fifth is skipped. */
	CHECK(ngot == 1 + DNS_MAX_BAD_RUN);
	CHECK_STR(got[0].text, "DNS A? ok.test (no answer)");
	CHECK_HAS(got[1].text, "DNS malformed query: ");
	CHECK_STR(events, "dns_malformed;dns_malformed;dns_malformed;dns_malformed;"
	                  "dns_framing_lost;dns_unanswered;");
}

static void case_tcp_axfr(void)
{
	begin("tcp: a zone transfer answered in several messages");
	tcp_open(53);
	uint8_t b[8192];
	size_t n = 0;
	struct spec q = {.id = 77, .q = "a.test. IN AXFR"};
	framed(&q, b, &n);
	seg(C, 3, b, n, 0);
	struct spec a = q;
	a.qr = a.aa = 1;
	a.an[0] = "a.test. 300 IN SOA ns.a.test. host.a.test. 1 2 3 4 60";
	n = 0;
	framed(&a, b, &n);
	a.q = NULL; /* later messages may omit the question (RFC 5936 2.2) */
	a.an[0] = "www.a.test. 300 IN A 192.0.2.80";
	framed(&a, b, &n);
	a.an[0] = "a.test. 300 IN SOA ns.a.test. host.a.test. 1 2 3 4 60";
	framed(&a, b, &n);
	seg(S, 4, b, n, 0);
	tcp_close(10);
	end();
	CHECK(ngot == 3);
	CHECK(got[0].fq == 4 && got[1].fq == 4 && got[2].fq == 4);
	CHECK_HAS(got[1].text, "DNS AXFR? a.test -> A 192.0.2.80 NOERROR ttl=300");
	CHECK_STR(events, "");
}

static void case_not_dns_tcp(void)
{
	begin("tcp: port 53 with no DNS in it is not dissected");
	tcp_open(53);
	seg(C, 3, (const uint8_t *)"\x00\x05hello", 7, 0);
	tcp_close(10);
	end();
	CHECK(ngot == 0);
}

/* --- text and names ------------------------------------------------------ */

/* s[0..n) ends on no half escape: each '\\' is followed by one character
 * or by three digits. */
static int escapes_whole(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\')
			continue;
		if (i + 1 >= n)
			return 0;
		if (s[i + 1] >= '0' && s[i + 1] <= '9') {
			if (i + 3 >= n)
				return 0;
			i += 3;
		} else {
			i++;
		}
	}
	return 1;
}

/* dnstext writes a character-string itself (ldns printed it a byte at a
 * time); what it writes must be what ldns's presentation gave once
 * escaped by dnstext_esc(), the way it was made before: every byte value,
 * every length up to 255, and every cap, so cuts fall everywhere. */
static void case_txt_presentation(void)
{
	current = "TXT presentation against ldns";
	unsigned long seed = 12345;
	int differ = 0, runs = 0;
	for (int run = 0; run < 4000; run++) {
		uint8_t raw[256];
		size_t n = (size_t)(run % 256);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			/* half the runs printable, so long plain runs meet the cap */
			raw[i + 1] =
			    run & 1 ? (uint8_t)(seed >> 56) : (uint8_t)(0x20 + (seed >> 56) % 96);
		}
		raw[0] = (uint8_t)n;
		ldns_rdf *f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, raw);
		ldns_rr *rr = ldns_rr_new();
		ldns_buffer *lb = ldns_buffer_new(64);
		if (!f || !rr || !lb || !ldns_rr_push_rdf(rr, f) ||
		    ldns_rdf2buffer_str(lb, f) != LDNS_STATUS_OK) {
			CHECK(!"set up");
			return;
		}
		size_t cap =
		    4 + (size_t)(run * 7) % 1100; /* from the smallest to past any string */
		char gtext[1200], wtext[1200], full[1200];
		struct dnstext g, w, all;
		dnstext_init(&g, gtext, cap);
		dnstext_rdata(&g, rr);
		dnstext_init(&w, wtext, cap);
		dnstext_esc(&w, (const char *)ldns_buffer_begin(lb), ldns_buffer_position(lb));
		dnstext_init(&all, full, sizeof full);
		dnstext_esc(&all, (const char *)ldns_buffer_begin(lb), ldns_buffer_position(lb));
		/* Uncut, the same bytes. Cut, the old way could split an escape
		 * ldns had made ("\02..."); now an escape stays whole, so the
		 * text kept is the full text's start, at most 3 bytes shorter. */
		size_t body = g.len >= 3 ? g.len - 3 : 0;
		int same = !w.cut ? !strcmp(gtext, wtext) && !g.cut
		                  : g.cut && g.len <= w.len && g.len + 3 >= w.len &&
		                        !strcmp(gtext + body, "...") &&
		                        !strncmp(gtext, full, body) && escapes_whole(gtext, body);
		if (!same && !differ++)
			printf("  first difference (cap %zu):\n  got  [%s]\n  want [%s]\n", cap,
			       gtext, wtext);
		runs++;
		ldns_buffer_free(lb);
		ldns_rr_free(rr);
	}
	CHECK(runs == 4000 && differ == 0);
	/* and a malformed field (a length past its data) is "?", as before */
	uint8_t bad[3] = {5, 'a', 'b'};
	ldns_rr *rr = ldns_rr_new();
	ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, sizeof bad, bad));
	char b[32];
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_rdata(&t, rr);
	CHECK_STR(b, "?");
	ldns_rr_free(rr);
}

static void case_text(void)
{
	current = "text helpers";
	char b[64];
	struct dnstext t;
	dnstext_init(&t, b, 12);
	dnstext_esc(&t, "abc\tdef\n", 8);
	CHECK_STR(b, "abc\\009d...");
	CHECK(t.cut && strlen(b) == 11);
	dnstext_init(&t, b, sizeof b);
	dnstext_put(&t, "x");
	dnstext_esc(&t, "\\\x7f\xff", 3);
	CHECK_STR(b, "x\\\\127\\255");
	CHECK_STR(dnstext_type(65280, b), "TYPE65280");
	CHECK_STR(dnstext_type(16, b), "TXT");
	CHECK_STR(dnstext_class(3, b), "CH");
	CHECK_STR(dnstext_rcode_name(16, b), "BADVERS");
	CHECK_STR(dnstext_rcode_name(12, b), "RCODE12");
	/* A name with a dot and a newline inside labels. */
	uint8_t w[512];
	struct spec q = {.id = 1, .q = "a\\.b\\010c.test. IN A"};
	size_t n = build(&q, w, sizeof w);
	ldns_pkt *p = NULL;
	CHECK(ldns_wire2pkt(&p, w, n) == LDNS_STATUS_OK);
	dnstext_init(&t, b, sizeof b);
	dnstext_question(&t, p);
	CHECK_STR(b, "A? a\\.b\\010c.test");
	ldns_pkt_free(p);
	struct spec root = {.id = 1, .opcode = LDNS_PACKET_NOTIFY, .q = ". CH SOA"};
	n = build(&root, w, sizeof w);
	CHECK(ldns_wire2pkt(&p, w, n) == LDNS_STATUS_OK);
	dnstext_init(&t, b, sizeof b);
	dnstext_question(&t, p);
	CHECK_STR(b, "NOTIFY SOA? . CH");
	ldns_pkt_free(p);
}

static void case_names(void)
{
	begin("names from A, AAAA and PTR answers; PTR preferred");
	learn = 1;
	struct spec q = {.id = 1, .q = "c.a.test. IN A"};
	struct spec a = q;
	a.qr = 1;
	a.an[0] = "c.a.test. 60 IN A 192.0.2.7";
	udp_spec(C, 1, &q);
	udp_spec(S, 2, &a);
	struct spec p = {.id = 2, .q = "8.2.0.192.in-addr.arpa. IN PTR"};
	struct spec pa = p;
	pa.qr = 1;
	pa.an[0] = "8.2.0.192.in-addr.arpa. 60 IN PTR mx.a.test.";
	udp_spec(C, 3, &p);
	udp_spec(S, 4, &pa);
	struct spec q2 = {.id = 3, .q = "other.a.test. IN A"};
	struct spec a2 = q2;
	a2.qr = 1;
	a2.an[0] = "other.a.test. 60 IN A 192.0.2.8"; /* after the PTR: loses */
	a2.an[1] = "other.a.test. 60 IN A 192.0.2.9";
	udp_spec(C, 5, &q2);
	udp_spec(S, 6, &a2);
	struct spec p6 = {.id = 4,
	                  .q =
	                      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6."
	                      "arpa. IN PTR"};
	struct spec p6a = p6;
	p6a.qr = 1;
	p6a.an[0] = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 60 "
	            "IN PTR v6\\010host.a.test.";
	udp_spec(C, 7, &p6);
	udp_spec(S, 8, &p6a);
	struct spec bad = {.id = 5, .q = "1.2.3.4.5.in-addr.arpa. IN PTR"};
	struct spec bada = bad;
	bada.qr = 1;
	bada.an[0] = "1.2.3.4.5.in-addr.arpa. 60 IN PTR nope.test.";
	udp_spec(C, 9, &bad);
	udp_spec(S, 10, &bada);
	end();
	learn = 0;
	struct ss_addr x = {SS_AF_INET, {192, 0, 2, 7}};
	const char *n = names_get(&x);
	CHECK_STR(n ? n : "(null)", "c.a.test");
	x.b[3] = 8;
	n = names_get(&x);
	CHECK_STR(n ? n : "(null)", "mx.a.test");
	x.b[3] = 9;
	n = names_get(&x);
	CHECK_STR(n ? n : "(null)", "other.a.test");
	x.b[3] = 10;
	CHECK(names_get(&x) == NULL);
	struct ss_addr v6 = {SS_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
	n = names_get(&v6);
	CHECK_STR(n ? n : "(null)", "v6\\010host.a.test");
	struct ss_addr five = {SS_AF_INET, {5, 4, 3, 2}};
	CHECK(names_get(&five) == NULL);
	names_free();
	x.b[3] = 7;
	CHECK(names_get(&x) == NULL);
}

static void case_names_many(void)
{
	begin("names: the table grows, and finds every address again");
	learn = 1;
	char rr[8][64];
	for (int k = 0; k < 200; k++) {
		struct spec q = {.id = (uint16_t)k, .q = "many.test. IN A"};
		struct spec a = q;
		a.qr = 1;
		for (int j = 0; j < 8; j++) {
			snprintf(rr[j], sizeof rr[j], "h%d.many.test. 60 IN A 10.%d.%d.1",
			         k * 8 + j, k, j);
			a.an[j] = rr[j];
		}
		udp_spec(C, 2 * k, &q);
		udp_spec(S, 2 * k + 1, &a);
	}
	end();
	learn = 0;
	int found = 0;
	for (int k = 0; k < 200; k++)
		for (int j = 0; j < 8; j++) {
			struct ss_addr x = {SS_AF_INET, {10, (uint8_t)k, (uint8_t)j, 1}};
			char want[32];
			snprintf(want, sizeof want, "h%d.many.test", k * 8 + j);
			const char *n = names_get(&x);
			found += n && !strcmp(n, want);
		}
	CHECK(found == 1600);
	names_free();
}

int main(void)
{
	record_sink_add(on_record, NULL);
	ss_event_sink(on_event, NULL);
	case_udp_pair();
	case_txt_strings();
	case_negative();
	case_cname_chain();
	case_rrsig();
	case_unpaired();
	case_case_insensitive();
	case_malformed();
	case_edns();
	case_tsig();
	case_multicast();
	case_udp_garbage();
	case_pending_cap();
	case_tcp_framing();
	case_tcp_gap();
	case_tcp_resync_stream();
	case_tcp_resync_pieces();
	case_tcp_bad_run();
	case_tcp_axfr();
	case_not_dns_tcp();
	case_text();
	case_txt_presentation();
	case_names();
	case_names_many();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
