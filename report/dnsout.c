/* dnsout.c - DNS records as timeline text, dig-like sections and JSON
 * members (RFC 1035 4.1, RFC 6891 6.1.3, RFC 5001 2.3, RFC 8259 7).
 */
#include "dnsout.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dnstext.h"
#include "json.h"

/* Timeline summaries are cut (with "...") past this; -v lines past twice
 * that. JSON members are never cut. */
#define DNSOUT_LINE 4096
/* Malformed messages: bytes shown in hex (JSON "raw", -v). */
#define DNSOUT_RAW 512

enum side { SIDE_QUERY, SIDE_RESPONSE, SIDE_UNKNOWN };

/* Which side ldns refused: the one whose frame is known but whose packet
 * is not; a message too short for its QR bit is neither. */
static enum side bad_side(const struct rec_dns *d)
{
	if (d->frame_response && !d->response)
		return SIDE_RESPONSE;
	return d->raw.len < 4 ? SIDE_UNKNOWN : SIDE_QUERY;
}

/* Milliseconds with three decimals from nanoseconds. */
static const char *ms_of(int64_t ns, char out[32])
{
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	snprintf(out, 32, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", a / 1000000,
	         a / 1000 % 1000);
	return out;
}

static const char *side_word(enum side s)
{
	return s == SIDE_QUERY ? "query" : s == SIDE_RESPONSE ? "response" : "message";
}

/* The packet that says what was asked: the query, else the response. */
static const ldns_pkt *asking(const struct rec_dns *d)
{
	return d->query ? d->query : d->response;
}

static void print_question(struct text *out, const ldns_pkt *p)
{
	char b[DNSOUT_LINE];
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_question(&t, p);
	text_add(out, t.s, t.len);
}

void dnsout_text(struct text *out, const struct rec_dns *d)
{
	const ldns_pkt *q = asking(d);
	char b[DNSOUT_LINE];
	struct dnstext t;
	text_str(out, "DNS ");
	if (!q) {
		text_printf(out, "malformed %s: %s (%zu bytes)", side_word(bad_side(d)),
		            d->malformed ? d->malformed : "?", d->raw.len);
		return;
	}
	print_question(out, q);
	if (d->response) {
		dnstext_init(&t, b, sizeof b);
		dnstext_answer(&t, d->response);
		text_str(out, " -> ");
		text_add(out, t.s, t.len);
		if (d->malformed)
			text_printf(out, " (malformed query: %s)", d->malformed);
		else if (!d->frame_query)
			text_str(out, " (query not seen)");
		return;
	}
	if (d->malformed && d->frame_response)
		text_printf(out, " -> malformed response: %s", d->malformed);
	else
		text_str(out, " (no answer)");
}

static void put_edns(struct text *out, const ldns_pkt *p, const char *indent)
{
	struct dnstext_edns e;
	char b[DNSOUT_LINE];
	struct dnstext nsid;
	dnstext_init(&nsid, b, sizeof b);
	if (!dnstext_edns(p, &e, &nsid))
		return;
	text_printf(out, "%s;; EDNS: version %u; flags:%s; udp: %u", indent, e.version,
	            e.do_bit ? " do" : "", e.udp);
	if (nsid.len)
		text_printf(out, "; NSID: %s", nsid.s);
	text_char(out, '\n');
}

static void put_header(struct text *out, const char *what, const ldns_pkt *p, uint64_t frame)
{
	char b[256], op[16], rc[16];
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_flags(&t, p);
	text_printf(out, "    ;; %s (frame %" PRIu64 "): opcode %s, status %s, id %u; flags: %s\n",
	            what, frame, dnstext_opcode(p, op), dnstext_rcode_name(dnstext_rcode(p), rc),
	            ldns_pkt_id(p), t.s);
	put_edns(out, p, "    ");
}

static void put_section(struct text *out, const char *name, const ldns_rr_list *l, int question)
{
	size_t n = l ? ldns_rr_list_rr_count(l) : 0;
	if (!n && !question)
		return;
	text_printf(out, "    ;; %s SECTION:\n", name);
	char *b = malloc(2 * DNSOUT_LINE);
	if (!b)
		return;
	for (size_t i = 0; i < n; i++) {
		struct dnstext t;
		dnstext_init(&t, b, 2 * DNSOUT_LINE);
		dnstext_rr(&t, ldns_rr_list_rr(l, i), question);
		text_str(out, "    ");
		text_add(out, t.s, t.len);
		text_char(out, '\n');
	}
	free(b);
}

/* ldns takes a TSIG record (RFC 8945 4.2) out of the additional section. */
static void put_tsig(struct text *out, const ldns_pkt *p)
{
	const ldns_rr *tsig = ldns_pkt_tsig(p);
	if (!tsig)
		return;
	char *b = malloc(2 * DNSOUT_LINE);
	if (!b)
		return;
	struct dnstext t;
	dnstext_init(&t, b, 2 * DNSOUT_LINE);
	dnstext_rr(&t, tsig, 0);
	text_str(out, "    ;; TSIG PSEUDOSECTION:\n    ");
	text_add(out, t.s, t.len);
	text_char(out, '\n');
	free(b);
}

/* The first DNSOUT_RAW bytes in hex; returns the length of out. */
static size_t hex_of(const uint8_t *p, size_t n, char out[2 * DNSOUT_RAW])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (size_t i = 0; i < n && i < DNSOUT_RAW; i++) {
		out[k++] = hex[p[i] >> 4];
		out[k++] = hex[p[i] & 15];
	}
	return k;
}

void dnsout_verbose(struct text *out, const struct rec_dns *d)
{
	if (d->query) {
		put_header(out, "query", d->query, d->frame_query);
		if (!d->response) {
			put_section(out, "QUESTION", ldns_pkt_question(d->query), 1);
			put_section(out, "ANSWER", ldns_pkt_answer(d->query), 0);
			put_section(out, "AUTHORITY", ldns_pkt_authority(d->query), 0);
			put_section(out, "ADDITIONAL", ldns_pkt_additional(d->query), 0);
		}
		put_tsig(out, d->query);
	}
	if (d->response) {
		put_header(out, "response", d->response, d->frame_response);
		if (d->frame_query) {
			char ms[32];
			text_printf(out, "    ;; Query time: %s ms\n",
			            ms_of(d->ts_response - d->ts_query, ms));
		}
		put_section(out, "QUESTION", ldns_pkt_question(d->response), 1);
		put_section(out, "ANSWER", ldns_pkt_answer(d->response), 0);
		put_section(out, "AUTHORITY", ldns_pkt_authority(d->response), 0);
		put_section(out, "ADDITIONAL", ldns_pkt_additional(d->response), 0);
		put_tsig(out, d->response);
	}
	if (d->malformed) {
		text_printf(out, "    ;; malformed %s (%zu bytes): %s\n", side_word(bad_side(d)),
		            d->raw.len, d->malformed);
		char hex[2 * DNSOUT_RAW];
		text_str(out, "    ;; bytes: ");
		text_add(out, hex, hex_of(d->raw.p, d->raw.len, hex));
		text_str(out, d->raw.len > DNSOUT_RAW ? "...\n" : "\n");
	}
}

/* The rdata text of rr, never cut (for JSON): tried in a buffer a few
 * times the wire size, and again in a larger one while it does not fit (a
 * type bitmap or WKS prints many characters per byte). NULL when memory
 * runs out. */
static char *rdata_text(const ldns_rr *rr)
{
	size_t need = 64;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		need += f ? 4 * ldns_rdf_size(f) + 16 : 0;
	}
	for (;; need *= 4) {
		char *b = malloc(need);
		if (!b)
			return NULL;
		struct dnstext t;
		dnstext_init(&t, b, need);
		dnstext_rdata(&t, rr);
		if (!t.cut)
			return b;
		free(b);
	}
}

static void json_name(FILE *out, const ldns_rdf *name)
{
	char b[1100]; /* 255 wire bytes, each at most \DDD */
	struct dnstext t;
	dnstext_init(&t, b, sizeof b);
	dnstext_name(&t, name);
	json_cstr(out, t.s);
}

static void json_rr(FILE *out, const ldns_rr *rr)
{
	char b[16];
	fputs("{\"name\":", out);
	json_name(out, ldns_rr_owner(rr));
	fprintf(out, ",\"type\":\"%s\"", dnstext_type((uint16_t)ldns_rr_get_type(rr), b));
	fprintf(out, ",\"class\":\"%s\"", dnstext_class((uint16_t)ldns_rr_get_class(rr), b));
	fprintf(out, ",\"ttl\":%u,\"data\":", (unsigned)ldns_rr_ttl(rr));
	char *data = rdata_text(rr);
	json_cstr(out, data ? data : "");
	free(data);
	fputc('}', out);
}

static void json_section(FILE *out, const char *name, const ldns_rr_list *l)
{
	fprintf(out, ",\"%s\":[", name);
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		if (i)
			fputc(',', out);
		json_rr(out, ldns_rr_list_rr(l, i));
	}
	fputc(']', out);
}

static void json_edns(FILE *out, const char *name, const ldns_pkt *p)
{
	struct dnstext_edns e;
	char b[DNSOUT_LINE];
	struct dnstext nsid;
	dnstext_init(&nsid, b, sizeof b);
	if (!dnstext_edns(p, &e, &nsid))
		return;
	fprintf(out, ",\"%s\":{\"version\":%u,\"udp\":%u,\"do\":%s,\"options\":%u", name, e.version,
	        e.udp, e.do_bit ? "true" : "false", e.options);
	if (nsid.len) {
		fputs(",\"nsid\":", out);
		json_cstr(out, nsid.s);
	}
	fputc('}', out);
}

static void json_bool(FILE *out, const char *name, int v)
{
	fprintf(out, ",\"%s\":%s", name, v ? "true" : "false");
}

static const char *status(const struct rec_dns *d)
{
	if (d->malformed)
		return "malformed";
	if (d->frame_query && d->frame_response)
		return "answered";
	return d->frame_query ? "unanswered" : "unsolicited";
}

void dnsout_json(FILE *out, const struct rec_dns *d)
{
	char b[16];
	fprintf(out, ",\"status\":\"%s\",\"transport\":\"%s\"", status(d), d->tcp ? "tcp" : "udp");
	if (d->malformed) {
		fprintf(out, ",\"malformed\":");
		json_cstr(out, d->malformed);
		fprintf(out, ",\"malformed_side\":\"%s\",\"raw_len\":%zu,\"raw\":\"",
		        side_word(bad_side(d)), d->raw.len);
		char hex[2 * DNSOUT_RAW];
		fwrite(hex, 1, hex_of(d->raw.p, d->raw.len, hex), out);
		fputc('"', out);
		if (d->raw.len >= 2 && !asking(d))
			fprintf(out, ",\"id\":%u", (unsigned)(d->raw.p[0] << 8 | d->raw.p[1]));
	}
	const ldns_pkt *q = asking(d);
	if (!q)
		return;
	fprintf(out, ",\"id\":%u,\"opcode\":\"%s\"", ldns_pkt_id(q), dnstext_opcode(q, b));
	const ldns_rr_list *ql = ldns_pkt_question(q);
	if (ql && ldns_rr_list_rr_count(ql)) {
		const ldns_rr *rr = ldns_rr_list_rr(ql, 0);
		fputs(",\"qname\":", out);
		json_name(out, ldns_rr_owner(rr));
		fprintf(out, ",\"qtype\":\"%s\"", dnstext_type((uint16_t)ldns_rr_get_type(rr), b));
		fprintf(out, ",\"qclass\":\"%s\"",
		        dnstext_class((uint16_t)ldns_rr_get_class(rr), b));
	}
	json_bool(out, "rd", ldns_pkt_rd(q));
	if (d->query)
		json_edns(out, "query_edns", d->query);
	const ldns_pkt *r = d->response;
	if (!r)
		return;
	fprintf(out, ",\"rcode\":\"%s\"", dnstext_rcode_name(dnstext_rcode(r), b));
	json_bool(out, "tc", ldns_pkt_tc(r));
	json_bool(out, "aa", ldns_pkt_aa(r));
	json_bool(out, "ra", ldns_pkt_ra(r));
	json_bool(out, "ad", ldns_pkt_ad(r));
	json_bool(out, "cd", ldns_pkt_cd(r));
	json_edns(out, "edns", r);
	if (d->frame_query) {
		char ms[32];
		fprintf(out, ",\"rtt_ms\":%s", ms_of(d->ts_response - d->ts_query, ms));
	}
	json_section(out, "answer", ldns_pkt_answer(r));
	json_section(out, "authority", ldns_pkt_authority(r));
	json_section(out, "additional", ldns_pkt_additional(r));
	if (ldns_pkt_tsig(r)) {
		fputs(",\"tsig\":", out);
		json_rr(out, ldns_pkt_tsig(r));
	}
}
