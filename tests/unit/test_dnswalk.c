/* test_dnswalk.c - the DNS name walker (dissect/dnswire.h) against ldns
 * itself, and the DNS dissector's waiting queries against --max-held-mem.
 *
 * Usage: test_dnswalk SRCDIR [SHARED]
 *
 * 1. Crafted messages (RFC 1035 4.1.4): a pointer to itself, two pointers
 *    that point at each other, a label then a pointer back to it, a forward
 *    pointer that ldns would follow, pointers inside MX, SOA and RRSIG
 *    rdata, a chain of pointers one past DNSWIRE_MAX_PTRS, names that
 *    together follow more pointers than the message has bytes. ldns is the
 *    independent truth where it can be: the loops it refuses too (after
 *    65535 jumps, or 255 bytes of labels), the forward pointer and the
 *    long chains it accepts.
 * 2. The walker mirrors ldns: for every record type ldns has a descriptor
 *    for, random rdata (names, strings, lengths that lie) gives the same
 *    status from both, and the same offset after the record
 *    (ldns_wire2rr()); so do records of more than 255 fields, which ldns
 *    counts in a uint8_t.
 * 3. Real captures: every DNS message over UDP in pcaps/ (and in SHARED's
 *    corpus when there) is walked as ldns reads it, with the same status;
 *    the most compressed one goes through the dissector and parses the
 *    same as ldns alone parses it.
 *    A loop through the dissector: malformed, in the walker's words, and
 *    still paired with its query by its question.
 * 4. Pending queries count in ss_held and give it all back; past the cap
 *    the oldest are reported unanswered, with words, and the count never
 *    passes the cap.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <glob.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "check.h"
#include "cur.h"
#include "dns.h"
#include "dnswire.h"
#include "event.h"
#include "frames.h"
#include "memacct.h"
#include "record.h"

/* --- building messages -------------------------------------------------- */

struct msg {
	uint8_t b[65536];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n > sizeof m->b)
		abort();
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msg *m, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(m, &b, 1);
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* A pointer to offset to (RFC 1035 4.1.4: the two high bits set). */
static void ptr(struct msg *m, size_t to)
{
	put16(m, 0xc000u | (unsigned)to);
}

static void header(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                   unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id), put16(m, flags), put16(m, qd), put16(m, an), put16(m, ns), put16(m, ar);
}

/* An rr's type, class IN and ttl; the caller puts the rdata length. */
static void rr_head(struct msg *m, unsigned type)
{
	put16(m, type), put16(m, LDNS_RR_CLASS_IN), put32(m, 300);
}

/* Fills the rdata length at rdlen_at with what follows it. */
static void rdlen_fix(struct msg *m, size_t at)
{
	size_t n = m->n - at - 2;
	m->b[at] = (uint8_t)(n >> 8), m->b[at + 1] = (uint8_t)n;
}

static ldns_status ldns_says(const struct msg *m)
{
	ldns_pkt *p = NULL;
	ldns_status st = ldns_wire2pkt(&p, m->b, m->n);
	ldns_pkt_free(p);
	return st;
}

/* The question "a.test. A IN" at offset 12. */
static void question(struct msg *m)
{
	put(m, "\001a\004test\000", 8);
	put16(m, LDNS_RR_TYPE_A), put16(m, LDNS_RR_CLASS_IN);
}

/* --- 1. crafted messages ------------------------------------------------- */

static const char *walk(const struct msg *m, struct dnswire *w)
{
	return dnswire_check(m->b, m->n, w);
}

static int is_back_rule(const char *bad)
{
	return bad && strstr(bad, "does not point back (RFC 1035 4.1.4)");
}

static void case_loops(void)
{
	struct msg m;
	struct dnswire w;
	/* A question whose name is a pointer to itself. */
	header(&m, 1, 0x0100, 1, 0, 0, 0);
	ptr(&m, 12);
	put16(&m, 1), put16(&m, 1);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == 12);
	CHECK(ldns_says(&m) == LDNS_STATUS_INVALID_POINTER); /* after 65535 jumps */
	/* Two pointers, each to the other. */
	header(&m, 2, 0x0100, 1, 0, 0, 0);
	ptr(&m, 14);
	ptr(&m, 12);
	put16(&m, 1), put16(&m, 1);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == 12);
	CHECK(ldns_says(&m) == LDNS_STATUS_INVALID_POINTER);
	/* A label, then a pointer back to it: lower than the pointer, still
	 * a.a.a.a... (a rule of "below the pointer" lets it through). */
	header(&m, 3, 0x8180, 1, 1, 0, 0);
	question(&m);
	size_t owner = m.n;
	put(&m, "\001b", 2);
	ptr(&m, owner);
	rr_head(&m, LDNS_RR_TYPE_A);
	put16(&m, 4), put32(&m, 0xc0000201);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == owner + 2);
	/* ldns stops this one at 255 bytes of b.b.b..., not 65535 jumps */
	CHECK(ldns_says(&m) == LDNS_STATUS_DOMAINNAME_OVERFLOW);
	/* The loop entered from a good pointer: the question's name, then a
	 * pointer into a name that points forward again. */
	header(&m, 4, 0x8180, 1, 1, 0, 0);
	question(&m);
	size_t a = m.n;
	ptr(&m, a + 4); /* forward, to b */
	put16(&m, 0);   /* pad */
	ptr(&m, a);     /* b: back to a */
	rr_head(&m, LDNS_RR_TYPE_A);
	put16(&m, 4), put32(&m, 1);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == a);
}

static void case_forward(void)
{
	struct msg m;
	struct dnswire w;
	/* A forward pointer that ends well: ldns follows it, RFC 1035 4.1.4
	 * ("a prior occurance") does not allow it, and neither does this. */
	header(&m, 5, 0x0100, 1, 0, 0, 0);
	ptr(&m, 18);
	put16(&m, 1), put16(&m, 1);
	put(&m, "\001x\000", 3);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == 12);
	/* The same name written first, then pointed at: fine. */
	header(&m, 5, 0x8180, 1, 1, 0, 0);
	put(&m, "\001x\000", 3);
	put16(&m, 1), put16(&m, 1);
	ptr(&m, 12);
	rr_head(&m, LDNS_RR_TYPE_A);
	put16(&m, 4), put32(&m, 0xc0a80001); /* 192.168.0.1: bytes like a pointer, not a name */
	CHECK(!walk(&m, &w) && w.st == LDNS_STATUS_OK && w.names == 2 && w.jumps == 1);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK);
}

/* An MX answer to "a.test. MX": the exchange is "mx" then a pointer to
 * the question's name (good) or, with loop, to the exchange itself (a
 * loop). Returns the offset of that pointer. */
static size_t mx(struct msg *m, int loop)
{
	header(m, 6, 0x8180, 1, 1, 0, 0);
	put(m, "\001a\004test\000", 8);
	put16(m, LDNS_RR_TYPE_MX), put16(m, LDNS_RR_CLASS_IN);
	ptr(m, 12);
	rr_head(m, LDNS_RR_TYPE_MX);
	size_t rl = m->n;
	put16(m, 0);
	put16(m, 10);
	size_t x = m->n;
	put(m, "\002mx", 3);
	ptr(m, loop ? x : 12);
	rdlen_fix(m, rl);
	return x + 3;
}

static void case_rdata(void)
{
	struct msg m;
	struct dnswire w;
	mx(&m, 0);
	CHECK(!walk(&m, &w) && w.st == LDNS_STATUS_OK && w.names == 3 && w.jumps == 2);
	ldns_pkt *p = NULL;
	CHECK(ldns_wire2pkt(&p, m.b, m.n) == LDNS_STATUS_OK);
	if (p) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 1));
		CHECK(s && !strcmp(s, "mx.a.test."));
		free(s);
		ldns_pkt_free(p);
	}
	size_t at = mx(&m, 1);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == at);
	CHECK(ldns_says(&m) == LDNS_STATUS_DOMAINNAME_OVERFLOW); /* mx.mx.mx... */

	/* SOA: the primary's name good, the mailbox a pointer to itself. */
	header(&m, 7, 0x8180, 1, 0, 1, 0);
	question(&m);
	ptr(&m, 14); /* test. */
	rr_head(&m, LDNS_RR_TYPE_SOA);
	size_t rl = m.n;
	put16(&m, 0);
	put(&m, "\002ns", 3);
	ptr(&m, 14);
	size_t rname = m.n;
	ptr(&m, rname);
	for (int i = 0; i < 5; i++)
		put32(&m, 3600);
	rdlen_fix(&m, rl);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == rname);
	CHECK(ldns_says(&m) == LDNS_STATUS_INVALID_POINTER);
	m.b[rname + 1] = 14; /* now hostmaster is "test.": fine */
	CHECK(!walk(&m, &w) && w.st == LDNS_STATUS_OK && w.names == 4);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK);

	/* RRSIG: the signer (field 8, after 18 bytes of fixed fields) loops;
	 * the signature holds bytes like a forward pointer, which are no name
	 * and are not looked at. */
	header(&m, 8, 0x8180, 1, 1, 0, 0);
	question(&m);
	ptr(&m, 12);
	rr_head(&m, LDNS_RR_TYPE_RRSIG);
	rl = m.n;
	put16(&m, 0);
	put16(&m, LDNS_RR_TYPE_A), put8(&m, 13), put8(&m, 2);
	put32(&m, 300), put32(&m, 2000000000u), put32(&m, 1700000000u), put16(&m, 4711);
	size_t signer = m.n;
	CHECK(signer == rl + 2 + 18);
	ptr(&m, signer + 2); /* forward, into the signature */
	put(&m, "\xc0\xff\xc0\x30\x00\x00\x01\x02", 8);
	rdlen_fix(&m, rl);
	CHECK(is_back_rule(walk(&m, &w)) && w.at == signer);
	m.b[signer] = 0xc0, m.b[signer + 1] = 14; /* signer "test." */
	CHECK(!walk(&m, &w) && w.st == LDNS_STATUS_OK);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK);
}

/* Questions 1..k after a first one named "." at 12, question i named by a
 * pointer to question i-1's name: the last follows k pointers, each lower
 * than the one before. */
static void chain(struct msg *m, unsigned k)
{
	header(m, 9, 0x0100, k + 1, 0, 0, 0);
	put8(m, 0), put16(m, 1), put16(m, 1);
	size_t prev = 12;
	for (unsigned i = 0; i < k; i++) {
		size_t here = m->n;
		ptr(m, prev);
		put16(m, 1), put16(m, 1);
		prev = here;
	}
}

static void case_chain(void)
{
	struct msg m;
	struct dnswire w;
	size_t all = (size_t)DNSWIRE_MAX_PTRS * (DNSWIRE_MAX_PTRS + 1) / 2;
	/* 8256 jumps in 785 bytes: past the message's budget of a jump a
	 * byte. Questions 1..39 follow 780; question 40's sixth jump is the
	 * 786th, at question 35's pointer (question i at 17 + 6 (i - 1)). */
	chain(&m, DNSWIRE_MAX_PTRS);
	const char *bad = walk(&m, &w);
	CHECK(bad && strstr(bad, "follow more compression pointers than the message has bytes"));
	CHECK(w.jumps == m.n + 1 && w.at == 17 + 6 * 34);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK); /* ldns follows them all */
	/* Padded (ldns reads no further than the records), the same names
	 * fit the budget: each within DNSWIRE_MAX_PTRS jumps, they pass. */
	put(&m, (uint8_t[9000]){0}, all - m.n);
	CHECK(!walk(&m, &w) && w.st == LDNS_STATUS_OK && w.jumps == all);
	CHECK(ldns_says(&m) == LDNS_STATUS_OK);
	/* One more: that name follows 129. */
	chain(&m, DNSWIRE_MAX_PTRS + 1);
	put(&m, (uint8_t[9000]){0}, all + DNSWIRE_MAX_PTRS + 1 - m.n);
	bad = walk(&m, &w);
	CHECK(bad && strstr(bad, "name with more than 128 compression pointers"));
	CHECK(ldns_says(&m) == LDNS_STATUS_OK); /* ldns would follow 65535 */
}

/* --- 2. the walker and ldns, record type by record type ------------------ */

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A byte that makes names, lengths and pointers likely: short labels,
 * root labels, pointers back into the message, anything. */
static void put_rnd(struct msg *m)
{
	unsigned r = rnd(100);
	if (r < 35)
		put8(m, rnd(4));
	else if (r < 45 && m->n > 12)
		ptr(m, 12 + rnd((unsigned)m->n - 12)); /* back, or to any byte seen */
	else if (r < 50)
		put8(m, 0xc0 + rnd(64));
	else
		put8(m, rnd(256));
}

static int types_compared, types_ok;

/* One record of type t with random rdata, in the answer section (and a
 * TSIG's quirk: ldns reads one additional record fewer for each TSIG). */
static void one_type(unsigned t, unsigned maxlen)
{
	struct msg m;
	int tsig = t == LDNS_RR_TYPE_TSIG;
	header(&m, 10, 0x8180, 0, tsig ? 0 : 1, 0, tsig ? 1 + rnd(3) : rnd(2));
	put8(&m, 0);
	rr_head(&m, t);
	size_t rl = m.n;
	put16(&m, 0);
	unsigned len = rnd(maxlen);
	for (unsigned i = 0; i < len; i++)
		put_rnd(&m);
	rdlen_fix(&m, rl);
	if (rnd(4) == 0) /* a length that lies */
		m.b[rl + 1] = (uint8_t)(m.b[rl + 1] + rnd(7) - 3);
	unsigned tail = rnd(24);
	for (unsigned i = 0; i < tail; i++)
		put_rnd(&m);
	struct dnswire w;
	if (walk(&m, &w))
		return; /* a loop ldns must not see, or a pointer not back */
	types_compared++;
	ldns_status l = ldns_says(&m);
	if (!CHECK(w.st == l))
		printf("  type %u: walker %s, ldns %s\n", t, ldns_get_errorstr_by_id(w.st),
		       ldns_get_errorstr_by_id(l));
	/* The record alone: the same offset after it. */
	size_t pw = 12, pl = 12;
	struct dnswire w2 = {0};
	ldns_status sw = dnswire_rr(m.b, m.n, &pw, 0, NULL, &w2);
	ldns_rr *rr = NULL;
	ldns_status sl = ldns_wire2rr(&rr, m.b, m.n, &pl, LDNS_SECTION_ANSWER);
	ldns_rr_free(rr);
	if (!w2.bad && !CHECK(sw == sl && (sw != LDNS_STATUS_OK || pw == pl)))
		printf("  type %u rr: walker %s at %zu, ldns %s at %zu\n", t,
		       ldns_get_errorstr_by_id(sw), pw, ldns_get_errorstr_by_id(sl), pl);
	types_ok += sl == LDNS_STATUS_OK;
}

/* ldns counts a record's fields in a uint8_t: past 255 a type of many
 * fields starts again at its first field type. A HIP record (RFC 8005:
 * the HIT and key, then rendezvous servers, names) with 250 to 269 root
 * names: the 257th field is read as a HIP field again (a walker that read
 * a name there would go wrong from it on). TXT and APL, of one field type,
 * for contrast. */
static void case_many_fields(void)
{
	static const unsigned types[] = {LDNS_RR_TYPE_HIP, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_APL};
	int parsed = 0;
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		for (unsigned extra = 250; extra < 270; extra++) {
			struct msg m;
			header(&m, 11, 0x8180, 0, 1, 0, 0);
			put8(&m, 0);
			rr_head(&m, types[k]);
			size_t rl = m.n;
			put16(&m, 0);
			put8(&m, 1), put8(&m, 2), put16(&m, 1), put8(&m, 0xab), put8(&m, 0xcd);
			for (unsigned i = 0; i < extra; i++)
				put8(&m, 0);
			put(&m, "\001\001\000\000", 4);
			rdlen_fix(&m, rl);
			struct dnswire w;
			CHECK(!walk(&m, &w) && w.st == ldns_says(&m));
			if (types[k] == LDNS_RR_TYPE_HIP && extra == 255)
				/* field 256 is a HIP field again: 5 bytes where 4 are left */
				CHECK(w.st == LDNS_STATUS_WIRE_INCOMPLETE_ANSWER);
			size_t pw = 12, pl = 12;
			struct dnswire w2 = {0};
			ldns_status sw = dnswire_rr(m.b, m.n, &pw, 0, NULL, &w2);
			ldns_rr *rr = NULL;
			ldns_status sl = ldns_wire2rr(&rr, m.b, m.n, &pl, LDNS_SECTION_ANSWER);
			ldns_rr_free(rr);
			parsed += sl == LDNS_STATUS_OK;
			if (!CHECK(sw == sl && (sw != LDNS_STATUS_OK || pw == pl)))
				printf("  type %u, %u fields: walker %s at %zu, ldns %s at %zu\n",
				       types[k], extra + 1, ldns_get_errorstr_by_id(sw), pw,
				       ldns_get_errorstr_by_id(sl), pl);
		}
	}
	CHECK(parsed >= 20);
}

static void case_types(void)
{
	/* the types ldns describes (rr.c: the table up to CAA/AMTRELAY, then
	 * TA, DLV), and some it does not */
	static const unsigned more[] = {32768, 32769, 32770, 65280, 65535};
	for (unsigned t = 0; t < 300; t++)
		for (int i = 0; i < 200; i++)
			one_type(t, i < 180 ? 40 : 1200); /* long: past 255 fields */
	for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
		for (int i = 0; i < 200; i++)
			one_type(more[k], 40);
	printf("types: %d records compared with ldns, %d parsed\n", types_compared, types_ok);
	CHECK(types_compared > 40000 && types_ok > 10000);
}

/* --- 3. real captures ------------------------------------------------------ */

struct scan {
	int messages, refused, walked_ok;
	int tcp_skipped;
	const char *file;
	/* the most compressed message that parses */
	uint8_t best[65536];
	size_t best_n, best_jumps;
};

static void on_ip(const struct ss_ip *ip, void *ctx)
{
	struct scan *sc = ctx;
	if (ip->proto != 17)
		return;
	struct cur c = cur_make(ip->l4, ip->l4_len);
	uint16_t sp = cur_be16(&c, "udp"), dp = cur_be16(&c, "udp");
	cur_skip(&c, 4, "udp");
	int dns = sp == 53 || dp == 53 || sp == 5353 || dp == 5353 || sp == 5355 || dp == 5355;
	if (c.err || !dns || ip->l4_len < ip->l4_wire_len)
		return;
	const uint8_t *p = cur_rest(&c);
	size_t n = cur_left(&c);
	struct dnswire w;
	sc->messages++;
	ldns_pkt *pkt = NULL;
	ldns_status l = ldns_wire2pkt(&pkt, p, n);
	ldns_pkt_free(pkt);
	if (dnswire_check(p, n, &w)) {
		/* Refused: ldns must have refused too, or have followed a
		 * pointer that does not point back: said for the reader. */
		sc->refused++;
		printf("  %s: refused a %zu-byte message (%s at %zu; ldns: %s)\n", sc->file, n,
		       w.bad, w.at, ldns_get_errorstr_by_id(l));
		return;
	}
	if (!CHECK(w.st == l))
		printf("  %s: walker %s, ldns %s\n", sc->file, ldns_get_errorstr_by_id(w.st),
		       ldns_get_errorstr_by_id(l));
	if (l == LDNS_STATUS_OK) {
		sc->walked_ok++;
		if (w.jumps > sc->best_jumps) {
			sc->best_jumps = w.jumps;
			sc->best_n = n;
			memcpy(sc->best, p, n);
		}
	}
}

static int scan_file(const char *path, struct scan *sc)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(path, err);
	if (!p)
		return -1;
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_decoder dec;
	sc->file = path;
	if (decode_init(&dec, pcap_datalink(p), &caps, on_ip, sc) == 0) {
		frames_decode(p, &dec);
		decode_fini(&dec);
	}
	pcap_close(p);
	return 0;
}

static struct scan corpus_scan;

static int corpus_file(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)f;
	size_t n = strlen(path);
	if (flag == FTW_F && ((n > 5 && !strcmp(path + n - 5, ".pcap")) ||
	                      (n > 7 && !strcmp(path + n - 7, ".pcapng"))))
		scan_file(path, &corpus_scan);
	return 0;
}

/* What a sink got. */
static int nrec, npend, npair;
static char rec_text[4096];
static char ev[16384];
static int nev_unanswered, nev_held;

static void on_record(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_DNS)
		return;
	if (r->u.dns.pending) {
		npend++;
		return;
	}
	nrec++;
	npair += r->u.dns.frame_query && r->u.dns.frame_response;
	const ldns_pkt *p = r->u.dns.response ? r->u.dns.response : r->u.dns.query;
	char *s = p ? ldns_pkt2str(p) : NULL;
	snprintf(rec_text, sizeof rec_text, "%s|%s", s ? s : "",
	         r->u.dns.malformed ? r->u.dns.malformed : "");
	free(s);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(ev);
	if (n < sizeof ev - 200)
		snprintf(ev + n, sizeof ev - n, "%s: %s\n", e->what, e->detail);
	nev_unanswered += !strcmp(e->what, "dns_unanswered");
	nev_held += !strcmp(e->what, "dns_unanswered") && strstr(e->detail, "--max-held-mem");
}

static void reset_sinks(void)
{
	nrec = npend = nev_unanswered = nev_held = 0;
	rec_text[0] = ev[0] = 0;
}

static struct ss_flow flow(uint64_t id, int tcp)
{
	struct ss_flow f;
	memset(&f, 0, sizeof f);
	f.id = id;
	f.proto = tcp ? 6 : 17;
	f.ep[SS_C2S].port = 40000;
	f.ep[SS_S2C].port = 53;
	return f;
}

/* The most compressed message of a scan, through the dissector: the same
 * parse as ldns alone gives. Then each of its pointers made to point at
 * itself: refused, at that pointer. Returns how many were. */
static int best_of(const struct scan *sc)
{
	ldns_pkt *direct = NULL;
	CHECK(ldns_wire2pkt(&direct, sc->best, sc->best_n) == LDNS_STATUS_OK);
	char *want = direct ? ldns_pkt2str(direct) : NULL;
	char want_rec[4096];
	snprintf(want_rec, sizeof want_rec, "%s|", want ? want : "?");
	free(want);
	ldns_pkt_free(direct);
	reset_sinks();
	struct ss_flow f = flow(1, 0);
	void *st = dns_open(&f, NULL);
	struct ss_pos at = {1, 0, 0, 1, 0, 0};
	dns_datagram(st, SS_S2C, sc->best, sc->best_n, &at);
	dns_close(st, &f, &at);
	CHECK(nrec == 1 && !strcmp(rec_text, want_rec));
	int mutants = 0, caught = 0;
	for (size_t i = 12; i + 1 < sc->best_n; i++) {
		if (sc->best[i] < 0xc0)
			continue;
		static uint8_t m[65536];
		memcpy(m, sc->best, sc->best_n);
		m[i] = (uint8_t)(0xc0 | i >> 8), m[i + 1] = (uint8_t)i;
		struct dnswire w;
		mutants++;
		caught += dnswire_check(m, sc->best_n, &w) && w.at == i;
	}
	printf("  %d of its byte pairs that could be pointers made loops: %d refused there\n",
	       mutants, caught);
	return caught;
}

static void case_pcaps(const char *src, const char *shared)
{
	static struct scan sc;
	char pat[4096];
	snprintf(pat, sizeof pat, "%s/pcaps/*.pcap", src);
	glob_t g;
	CHECK(glob(pat, 0, NULL, &g) == 0 && g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++)
		CHECK(scan_file(g.gl_pathv[i], &sc) == 0);
	globfree(&g);
	printf("pcaps/: %d DNS messages over UDP, %d parse, %d refused; the most compressed: "
	       "%zu bytes, %zu pointers\n",
	       sc.messages, sc.walked_ok, sc.refused, sc.best_n, sc.best_jumps);
	CHECK(sc.messages >= 100 && sc.refused == 0 && sc.walked_ok == sc.messages);
	/* an MX answer with its exchange's address: 3 names compressed */
	CHECK(sc.best_jumps >= 3);
	CHECK(best_of(&sc) >= 3);

	if (!shared)
		return;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/corpus", shared);
	if (nftw(dir, corpus_file, 16, FTW_PHYS) != 0) {
		printf("corpus: %s not there, skipped\n", dir);
		return;
	}
	printf("corpus: %d DNS messages over UDP, %d parse, %d refused; the most compressed: "
	       "%zu bytes, %zu pointers\n",
	       corpus_scan.messages, corpus_scan.walked_ok, corpus_scan.refused, corpus_scan.best_n,
	       corpus_scan.best_jumps);
	/* Broken messages are there on purpose (malformed_dns.pcap,
	 * bad-dns-traffic.pcap), but none has a pointer that is not back:
	 * what real servers and real attackers sent all passes. */
	CHECK(corpus_scan.messages >= 1000 && corpus_scan.refused == 0);
	CHECK(corpus_scan.best_jumps >= 50);
	CHECK(best_of(&corpus_scan) >= 50);
}

/* The dissector walks before ldns: a loop is a malformed response, in the
 * walker's words, and its question (read by dnswire_name()) still pairs it
 * with its query. */
static void case_dissector(void)
{
	struct msg q, r;
	header(&q, 77, 0x0100, 1, 0, 0, 0);
	question(&q);
	header(&r, 77, 0x8180, 1, 1, 0, 0);
	question(&r);
	size_t owner = r.n;
	ptr(&r, owner); /* the answer's owner: a pointer to itself */
	rr_head(&r, LDNS_RR_TYPE_A);
	put16(&r, 4), put32(&r, 1);
	reset_sinks();
	npair = 0;
	struct ss_flow f = flow(9, 0);
	void *st = dns_open(&f, NULL);
	struct ss_pos at = {1, 0, 0, 1, 0, 0};
	dns_datagram(st, SS_C2S, q.b, q.n, &at);
	at.frame = 2;
	dns_datagram(st, SS_S2C, r.b, r.n, &at);
	dns_close(st, &f, &at);
	CHECK(nrec == 1 && npair == 1 && nev_unanswered == 0);
	CHECK(strstr(rec_text, "|compression pointer that does not point back (RFC 1035 4.1.4)") !=
	      NULL);
	CHECK(strstr(ev, "dns_malformed: response of 40 bytes: compression pointer that does not "
	                 "point back (RFC 1035 4.1.4)\n") != NULL);
}

/* --- 4. pending queries and --max-held-mem -------------------------------- */

/* A query "qN.a.test. A IN" with id N, padded to about len bytes with an
 * EDNS OPT record's option. */
static size_t query(uint8_t *out, unsigned id, size_t len)
{
	struct msg m;
	header(&m, id, 0x0100, 1, 0, 0, 1);
	char label[16];
	int ln = snprintf(label, sizeof label, "q%u", id);
	put8(&m, (unsigned)ln);
	put(&m, label, (size_t)ln);
	put(&m, "\001a\004test\000", 8);
	put16(&m, LDNS_RR_TYPE_A), put16(&m, LDNS_RR_CLASS_IN);
	put8(&m, 0);
	put16(&m, LDNS_RR_TYPE_OPT), put16(&m, 1232), put32(&m, 0);
	size_t pad = len > m.n + 6 ? len - m.n - 6 : 0;
	put16(&m, (unsigned)pad + 4), put16(&m, 65001), put16(&m, (unsigned)pad);
	for (size_t i = 0; i < pad; i++)
		put8(&m, 0);
	memcpy(out, m.b, m.n);
	return m.n;
}

/* Its response: the same id and question, QR set. */
static size_t answer(uint8_t *out, unsigned id)
{
	size_t n = query(out, id, 0);
	out[2] |= 0x80;
	return n;
}

static void case_held(void)
{
	uint64_t cap0 = ss_held.cap, base = memacct_held(&ss_held);
	CHECK(base == 0);
	uint8_t b[2048];
	struct ss_pos at = {1, 0, 0, 1, 0, 0};

	/* Counted, and given back when answered and when the flow ends. */
	reset_sinks();
	struct ss_flow f = flow(2, 0);
	void *st = dns_open(&f, NULL);
	size_t sum = 0, len[10];
	for (unsigned i = 0; i < 10; i++) {
		len[i] = query(b, i, 100 + 10 * i);
		sum += len[i];
		at.frame++;
		dns_datagram(st, SS_C2S, b, len[i], &at);
	}
	uint64_t held = memacct_held(&ss_held);
	CHECK(npend == 10 && held > sum); /* the bytes and the slots */
	for (unsigned i = 0; i < 5; i++) {
		size_t n = answer(b, i);
		at.frame++;
		dns_datagram(st, SS_S2C, b, n, &at);
		held -= len[i];
		CHECK(memacct_held(&ss_held) == held);
	}
	CHECK(nrec == 5 && nev_unanswered == 0);
	dns_close(st, &f, &at);
	CHECK(nrec == 10 && nev_unanswered == 5 && nev_held == 0);
	CHECK(memacct_held(&ss_held) == 0);

	/* A cap: the oldest make room, said; never past the cap. */
	ss_held.cap = 16384;
	reset_sinks();
	f = flow(3, 0);
	st = dns_open(&f, NULL);
	uint64_t peak = 0;
	for (unsigned i = 0; i < 200; i++) {
		size_t n = query(b, i, 120);
		at.frame++;
		dns_datagram(st, SS_C2S, b, n, &at);
		uint64_t h = memacct_held(&ss_held);
		peak = h > peak ? h : peak;
	}
	printf("held: 200 queries of 120 bytes under a 16K cap: %d given up to make room, "
	       "at most %llu bytes held\n",
	       nev_held, (unsigned long long)peak);
	CHECK(peak <= 16384 && peak > 8192);
	CHECK(nev_held > 100 && nev_held < 200 && nrec == nev_held);
	CHECK(strstr(ev, "dns_unanswered: A? q0.a.test (id 0) got no response: given up to make "
	                 "room: --max-held-mem (all sessions) is full\n") != NULL);
	/* A second flow while the first holds it all: its first query has
	 * nothing of its own to give up, and is let go at once, said so. */
	ev[0] = 0;
	struct ss_flow f2 = flow(4, 0);
	void *st2 = dns_open(&f2, NULL);
	int before = nrec;
	size_t n = query(b, 900, 1500);
	dns_datagram(st2, SS_C2S, b, n, &at);
	CHECK(nrec == before + 1);
	CHECK(strstr(ev, "A? q900.a.test (id 900) not kept to wait for its response: "
	                 "--max-held-mem (all sessions) is full\n") != NULL);
	/* Both end: every one of the 201 queries had its record. */
	dns_close(st2, &f2, &at);
	dns_close(st, &f, &at);
	CHECK(nrec == 201);
	CHECK(memacct_held(&ss_held) == 0);

	/* Over TCP the same, with the length prefix. */
	reset_sinks();
	f = flow(5, 1);
	st = dns_open(&f, NULL);
	for (unsigned i = 0; i < 100; i++) {
		uint8_t t[2048];
		size_t q = query(t + 2, i, 200);
		t[0] = (uint8_t)(q >> 8), t[1] = (uint8_t)q;
		at.off += q + 2;
		CHECK(dns_data(st, SS_C2S, t, q + 2, &at) == q + 2);
		CHECK(memacct_held(&ss_held) <= 16384);
	}
	CHECK(nev_held > 0);
	dns_close(st, &f, &at);
	CHECK(nrec == 100 && memacct_held(&ss_held) == 0);
	ss_held.cap = cap0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_dnswalk SRCDIR [SHARED]\n");
		return 2;
	}
	record_sink_add(on_record, NULL);
	ss_event_sink(on_event, NULL);
	case_loops();
	case_forward();
	case_rdata();
	case_chain();
	case_many_fields();
	case_types();
	case_pcaps(argv[1], argc > 2 ? argv[2] : NULL);
	case_dissector();
	case_held();
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
