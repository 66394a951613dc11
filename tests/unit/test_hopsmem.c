/* test_hopsmem.c - the hop table's texts cut where the RFCs bound them, and
 * the waiting hops' texts in --verify-mem (issue 16, finding 2).
 *
 * A copy in the hop table (--max-hops, 100000) kept its HELO, MAIL FROM,
 * Message-ID, Subject and From whole: up to 64K each (--max-line, the
 * message parser's MSG_MAX_FIELD), 306 KB a copy and 32 GB for the table,
 * where the man page said "about 200 bytes". A hop waiting for its
 * receiver's copy (--verify) copied six such texts again, and --verify-mem
 * counted none of them.
 *
 * The truths here: RFC 5321 4.5.3.1 (a domain is at most 255 octets, a
 * path 256: HOPS_MAX_PATH = 512 keeps every valid one whole), RFC 5322
 * 2.1.1 (a line is at most 998 characters: HOPS_MAX_FIELD keeps every
 * unfolded one-line field whole), RFC 3629 (a UTF-8 character's first byte
 * is not 10xxxxxx), what glibc's malloc says it handed out (mallinfo2),
 * and RFC 7208 (SPF checks the MAIL FROM's domain as sent: a long local
 * part does not change which domain is asked).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hops.h"
#include "message.h"
#include "verifier.h"

#include "heap.h"

#define SEC 1000000000LL
#define T0 (1796549281LL * SEC)
#define BIG 60000 /* a text near --max-line */

static size_t heap(void)
{
#if GLIBC_MALLOC
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
#else
	return 0;
#endif
}

static struct ss_flow fl;

static void setup(void)
{
	memset(&fl, 0, sizeof fl);
	fl.id = 1;
	fl.proto = 6;
	fl.ep[SS_C2S].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, 1}};
	fl.ep[SS_C2S].port = 40000;
	fl.ep[SS_S2C].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, 2}};
	fl.ep[SS_S2C].port = 25;
}

/* n bytes of c, NUL-terminated (malloc'd). */
static char *fill(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = 0;
	return s;
}

/* A message whose Message-ID, Subject and From are each `field` long. */
static char *message_text(size_t field)
{
	char *v = fill('f', field);
	char *m = malloc(3 * field + 200);
	sprintf(m, "Message-ID: <%s>\r\nSubject: %s\r\nFrom: %s\r\n\r\nhi\r\n", v, v, v);
	free(v);
	return m;
}

/* A REC_MESSAGE of data over SMTP (number n), parsed into *pm. */
static struct ss_record record(struct msg *pm, const char *data, const char *helo,
                               const char *mail_from, uint64_t n)
{
	msg_parse(pm, (const uint8_t *)data, strlen(data));
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_MESSAGE;
	r.flow = &fl;
	struct rec_message *rm = &r.u.msg;
	rm->p = RP_SMTP;
	rm->role = RR_TRANSFER;
	rm->proto = "smtp";
	rm->how = "DATA";
	rm->number = n;
	rm->data = (struct ss_str){(const uint8_t *)data, strlen(data)};
	rm->helo = (struct ss_str){(const uint8_t *)helo, strlen(helo)};
	rm->mail_from = (struct ss_str){(const uint8_t *)mail_from, strlen(mail_from)};
	rm->code = 250;
	rm->ts_start = T0 + (int64_t)n * SEC - SEC / 10;
	rm->ts_end = T0 + (int64_t)n * SEC;
	rm->frame_start = 2 * n;
	rm->frame_end = 2 * n + 1;
	rm->msg = pm;
	return r;
}

/* kept is want's first max bytes and the mark. */
static int cut_right(const char *kept, const char *want, size_t max)
{
	size_t m = strlen(HOPS_CUT_MARK);
	return kept && strlen(kept) == max + m && !strncmp(kept, want, max) &&
	       !strcmp(kept + max, HOPS_CUT_MARK);
}

/* The longest texts valid by the RFCs are kept whole; longer ones are cut
 * at the bound and marked. */
static void cut_at_the_rfc_bounds(void)
{
	struct hops *h = hops_new(10);
	/* valid: a 64-octet local part, a 190-octet domain (a path under 256),
	 * a 255-octet HELO; one-line fields of 998 characters with their names */
	char *local = fill('l', 64), *dom = fill('d', 190), *helo = fill('h', 255);
	char mail_from[300];
	snprintf(mail_from, sizeof mail_from, "%s@%s", local, dom);
	char *data = message_text(998 - 20); /* "Message-ID: <" + value + ">" within 998 */
	struct msg m;
	struct ss_record r = record(&m, data, helo, mail_from, 1);
	const struct vhop *v = hops_add(h, &r);
	CHECK(v && !strcmp(v->helo, helo) && !strcmp(v->mail_from, mail_from));
	CHECK(v && v->subject && strlen(v->subject) == 978 && !strstr(v->subject, "[cut]"));
	CHECK(hops_cost(&r) <= HOPS_MAX_BYTES);
	msg_free(&m);
	free(data);
	/* a 60K HELO, MAIL FROM, Message-ID, Subject and From */
	char *big = fill('x', BIG);
	data = message_text(BIG);
	r = record(&m, data, big, big, 2);
	v = hops_add(h, &r);
	char *field = fill('f', BIG);
	CHECK(v && cut_right(v->helo, big, HOPS_MAX_PATH));
	CHECK(v && cut_right(v->mail_from, big, HOPS_MAX_PATH));
	CHECK(v && cut_right(v->subject, field, HOPS_MAX_FIELD));
	CHECK(v && cut_right(v->author, field, HOPS_MAX_FIELD));
	CHECK(v && v->message_id && v->message_id[0] == '<' &&
	      cut_right(v->message_id + 1, field, HOPS_MAX_FIELD - 1));
	size_t cost = hops_cost(&r);
	printf("a copy with five 60K texts takes %zu bytes in the table (at most %d)\n", cost,
	       HOPS_MAX_BYTES);
	CHECK(cost <= HOPS_MAX_BYTES && cost > 5 * 512);
	msg_free(&m);
	free(data);
	free(field);
	free(big);
	free(local);
	free(dom);
	free(helo);
	hops_free(h);
}

/* A Subject of 3-byte characters (U+20AC, E2 82 AC) across the cut: the
 * kept part ends at a character's start, so it is valid UTF-8. */
static void cut_whole_characters(void)
{
	char subject[3 * 400 + 1];
	for (int i = 0; i < 400; i++)
		memcpy(subject + 3 * i, "\xe2\x82\xac", 3);
	subject[3 * 400] = 0;
	CHECK(hops_cut_len(subject, 1200, HOPS_MAX_FIELD) == 996); /* 998 is inside the 333rd */
	CHECK(hops_cut_len(subject, 1200, 999) == 999);
	CHECK(hops_cut_len(subject, 1200, 1200) == 1200);
	char ascii[1200];
	memset(ascii, 'a', sizeof ascii);
	CHECK(hops_cut_len(ascii, 1200, HOPS_MAX_FIELD) == HOPS_MAX_FIELD);
}

/* 3000 copies with five 60K texts each: what malloc holds for the table
 * is a slot a copy and the latest copy's texts, cut (before the cut: 306
 * KB a copy, 900 MB; before only the latest kept its texts: up to
 * HOPS_MAX_BYTES a copy, 13 MB). */
static void table_bound(void)
{
#if GLIBC_MALLOC
	char *big = fill('x', BIG);
	char *data = message_text(BIG);
	struct msg m;
	struct ss_record r = record(&m, data, big, big, 1);
	size_t before = heap();
	struct hops *h = hops_new(3000);
	for (uint64_t n = 1; n <= 3000; n++) {
		r.u.msg.number = n;
		hops_add(h, &r);
	}
	size_t used = heap() - before;
	printf("3000 such copies: malloc holds %zu (%zu a copy)\n", used, used / 3000);
	/* the chunks' last partly used 256K, the ring and the buckets: 1M */
	CHECK(used <= 3000 * (size_t)HOPS_SLOT_BYTES + HOPS_MAX_BYTES + (1u << 20));
	hops_free(h);
	msg_free(&m);
	free(data);
	free(big);
#endif
}

/* --- the verifier ----------------------------------------------------------- */

static char spf_seen[64][200];
static size_t nspf;

static void out(const struct v_hopcheck *h, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < h->nchecks && nspf < 64; i++) {
		const struct verdict *o = h->checks[i].ours;
		const char *id = verdict_get(o, "identity");
		if (o->method == V_SPF && id && !strcmp(id, "mailfrom"))
			snprintf(spf_seen[nspf++], sizeof spf_seen[0], "%s",
			         v_result_name(o->result));
	}
}

/* The SPF record of a.test, as the capture's DNS gave it. */
static void spf_answer(struct verifier *v)
{
	struct ss_flow f = fl;
	f.id = 99;
	f.proto = 17;
	f.ep[SS_S2C].port = 53;
	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, "a.test", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt *resp = ldns_pkt_clone(q);
	ldns_pkt_set_qr(resp, 1);
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, "a.test. 60 IN TXT \"v=spf1 ip4:10.0.0.1 -all\"", 60, NULL,
	                        NULL) == LDNS_STATUS_OK)
		ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, rr);
	struct ss_record r;
	memset(&r, 0, sizeof r);
	r.kind = REC_DNS;
	r.flow = &f;
	r.u.dns.query = q;
	r.u.dns.response = resp;
	r.u.dns.ts_query = T0;
	r.u.dns.frame_query = 1;
	r.u.dns.ts_response = T0 + SEC / 100;
	r.u.dns.frame_response = 2;
	verifier_record(v, &r);
	ldns_pkt_free(q);
	ldns_pkt_free(resp);
}

/* SPF checks the MAIL FROM as sent: a 600-octet local part at a.test,
 * which the table cuts, is still checked against a.test's record (a
 * pass for 10.0.0.1), not a name made of the cut. */
static void spf_whole(void)
{
	struct verifier_opts o = {
	    .verify = 1, .wait = 60 * SEC, .max_hops = 100, .max_waiting = 100, .max_mem = 1 << 20};
	char err[300];
	struct verifier *v = verifier_new(&o, out, NULL, err, sizeof err);
	CHECK(v != NULL);
	if (!v)
		return;
	spf_answer(v);
	char *local = fill('l', 600);
	char mail_from[700];
	snprintf(mail_from, sizeof mail_from, "%s@a.test", local);
	char *data = message_text(20);
	struct msg m;
	struct ss_record r = record(&m, data, "client.a.test", mail_from, 1);
	nspf = 0;
	const struct vhop *hop = verifier_record(v, &r);
	CHECK(hop && cut_right(hop->mail_from, mail_from, HOPS_MAX_PATH));
	verifier_finish(v);
	CHECK(nspf == 1 && !strcmp(spf_seen[0], "pass"));
	if (nspf)
		printf("SPF of a MAIL FROM cut in the table: %s\n", spf_seen[0]);
	msg_free(&m);
	free(data);
	free(local);
	verifier_free(v);
}

/* Hops waiting with a 60K HELO and MAIL FROM (their message short) count
 * those in --verify-mem: with 1M, a few wait, the rest are reported early;
 * what malloc holds stays near the cap. Before, the strings were not
 * counted: all 400 waited (the message's bytes alone are counted), with
 * 120 KB each beside the cap. */
static void waiting_counted(void)
{
	const size_t cap = 1u << 20;
	struct verifier_opts o = {
	    .verify = 1, .wait = 3600 * SEC, .max_hops = 10, .max_waiting = 10000, .max_mem = cap};
	char err[300];
	char *big = fill('x', BIG);
	char *data = message_text(20);
	struct msg m;
	struct ss_record r = record(&m, data, big, big, 1);
	size_t before = heap();
	struct verifier *v = verifier_new(&o, NULL, NULL, err, sizeof err);
	CHECK(v != NULL);
	if (!v)
		return;
	size_t most = 0;
	for (uint64_t n = 1; n <= 400; n++) {
		r.u.msg.number = n;
		r.u.msg.ts_end = T0 + (int64_t)n * SEC;
		verifier_record(v, &r);
		size_t used = heap() - before;
		most = used > most ? used : most;
	}
	const struct verifier_stats *st = verifier_stats(v);
	printf("400 hops with a 60K HELO and MAIL FROM waiting, --verify-mem 1M: %llu reported "
	       "early, malloc held at most %zu\n",
	       (unsigned long long)st->reported_early, most);
	CHECK(st->reported_early >= 380);
	/* the cap, a hop over it, the table of 10 copies, the checks' own */
	CHECK(!GLIBC_MALLOC || most <= cap + 2 * BIG + 10 * HOPS_MAX_BYTES + (1u << 20));
	verifier_finish(v);
	verifier_free(v);
	msg_free(&m);
	free(data);
	free(big);
}

int main(void)
{
	setup();
	cut_at_the_rfc_bounds();
	cut_whole_characters();
	table_bound();
	spf_whole();
	waiting_counted();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
