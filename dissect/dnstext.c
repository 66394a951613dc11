/* dnstext.c - DNS messages as dig prints them (RFC 1035 3.3, 5.1; RFC 3597
 * 5; RFC 6891 6.1.2-6.1.3; RFC 5001 2.3; RFC 2308 2).
 *
 * ldns does the per-type presentation (ldns_rdf2buffer_str); this file
 * only joins, shortens and escapes. ldns escapes names and strings itself
 * except for a TAB inside a character-string, and isprint() follows the
 * locale, so every piece is escaped once more here: the result is
 * printable ASCII, always.
 */
#include "dnstext.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cur.h"

/* The C string functions are banned on this side of the tree (wire data is
 * counted); ldns's own output is NUL-terminated, so count it here. */
static size_t cstr_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

void dnstext_init(struct dnstext *t, char *s, size_t cap)
{
	t->s = s;
	t->cap = cap;
	t->len = 0;
	t->cut = 0;
	s[0] = 0;
}

/* Appends k bytes that must stay whole (a character or one escape). Room
 * for "..." and the NUL is always kept, so a cut can be marked. */
static int put_piece(struct dnstext *t, const char *p, size_t k)
{
	if (t->cut)
		return -1;
	if (t->len + k + 4 > t->cap) {
		t->cut = 1;
		memcpy(t->s + t->len, "...", 4);
		t->len += 3;
		return -1;
	}
	memcpy(t->s + t->len, p, k);
	t->len += k;
	t->s[t->len] = 0;
	return 0;
}

/* Appends k bytes that may be cut anywhere, as that many pieces of one
 * byte would be: what fits, then the mark. */
static int put_run(struct dnstext *t, const char *p, size_t k)
{
	if (t->cut)
		return -1;
	size_t room = t->cap - t->len - 4; /* put_piece keeps len + 4 <= cap until a cut */
	if (k <= room)
		return put_piece(t, p, k);
	put_piece(t, p, room);
	return put_piece(t, p + room, 1);
}

void dnstext_put(struct dnstext *t, const char *s)
{
	put_piece(t, s, cstr_len(s));
}

/* quote != 0: the bytes are raw wire data, so '\\' and '"' are escaped too
 * (as in a character-string); else they are ldns's presentation, whose
 * escapes must pass unchanged. */
static void esc(struct dnstext *t, const char *p, size_t n, int quote)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[5];
		if (c >= 0x20 && c < 0x7f && !(quote && (c == '\\' || c == '"'))) {
			if (put_piece(t, (const char *)&p[i], 1))
				return;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			e[0] = '\\', e[1] = (char)c;
			if (put_piece(t, e, 2))
				return;
			continue;
		}
		snprintf(e, sizeof e, "\\%03u", c);
		if (put_piece(t, e, 4))
			return;
	}
}

void dnstext_esc(struct dnstext *t, const char *p, size_t n)
{
	esc(t, p, n, 0);
}

/* ldns's presentation of f in b (cleared first); -1 when it has none.
 * ldns_rdf2str() would allocate a 64 KiB buffer for every field: one small
 * buffer, grown by ldns as needed, serves a whole record instead. */
static int rdf_text(const ldns_rdf *f, ldns_buffer *b)
{
	ldns_buffer_clear(b);
	if (!f || ldns_rdf2buffer_str(b, f) != LDNS_STATUS_OK || !ldns_buffer_status_ok(b))
		return -1;
	return 0;
}

/* A character-string (RFC 1035 3.3) as ldns presents it and esc() then
 * escapes it: quoted, '"' and '\\' escaped, every byte outside printable
 * ASCII as \DDD. Written here because ldns prints it a byte at a time
 * through printf, which made the TXT records of DKIM keys and SPF policies
 * a tenth of --verify's time. -1 when the field is malformed (as ldns
 * says). */
static int put_str(struct dnstext *t, const ldns_rdf *f)
{
	const uint8_t *d = ldns_rdf_data(f);
	size_t size = ldns_rdf_size(f);
	if (size < 1 || size < (size_t)d[0] + 1)
		return -1;
	size_t n = d[0];
	d++;
	put_piece(t, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t run = i;
		while (run < n && d[run] >= 0x20 && d[run] < 0x7f && d[run] != '"' &&
		       d[run] != '\\')
			run++;
		if (run > i && put_run(t, (const char *)d + i, run - i))
			return 0;
		if (run == n)
			break;
		char e[5];
		size_t k = 2;
		if (d[run] == '"' || d[run] == '\\')
			e[0] = '\\', e[1] = (char)d[run];
		else
			k = (size_t)snprintf(e, sizeof e, "\\%03u", d[run]);
		if (put_piece(t, e, k))
			return 0;
		i = run + 1;
	}
	put_piece(t, "\"", 1);
	return 0;
}

static void put_rdf(struct dnstext *t, const ldns_rdf *f, ldns_buffer *b)
{
	if (f && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR) {
		if (put_str(t, f))
			dnstext_put(t, "?");
		return;
	}
	if (rdf_text(f, b))
		dnstext_put(t, "?");
	else
		dnstext_esc(t, (const char *)ldns_buffer_begin(b), ldns_buffer_position(b));
}

static const char *copy_name(char *s, char out[16], const char *fallback, unsigned v)
{
	if (s && cstr_len(s) < 16)
		memcpy(out, s, cstr_len(s) + 1);
	else
		snprintf(out, 16, "%s%u", fallback, v);
	free(s);
	return out;
}

const char *dnstext_type(uint16_t type, char out[16])
{
	return copy_name(ldns_rr_type2str((ldns_rr_type)type), out, "TYPE", type);
}

const char *dnstext_class(uint16_t cls, char out[16])
{
	return copy_name(ldns_rr_class2str((ldns_rr_class)cls), out, "CLASS", cls);
}

const char *dnstext_rcode_name(unsigned rcode, char out[16])
{
	/* RFC 6895 2.3, with the names dig uses. */
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",   "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",  NULL,
	    NULL,       NULL,      NULL,       NULL,       "BADVERS",  "BADKEY",
	    "BADTIME",  "BADMODE", "BADNAME",  "BADALG",   "BADTRUNC", "BADCOOKIE"};
	if (rcode < sizeof names / sizeof names[0] && names[rcode])
		snprintf(out, 16, "%s", names[rcode]);
	else
		snprintf(out, 16, "RCODE%u", rcode);
	return out;
}

const char *dnstext_opcode(const ldns_pkt *p, char out[16])
{
	static const char *const names[] = {"QUERY",  "IQUERY", "STATUS", NULL,
	                                    "NOTIFY", "UPDATE", "DSO"};
	unsigned op = (unsigned)ldns_pkt_get_opcode(p);
	if (op < sizeof names / sizeof names[0] && names[op])
		snprintf(out, 16, "%s", names[op]);
	else
		snprintf(out, 16, "OPCODE%u", op);
	return out;
}

unsigned dnstext_rcode(const ldns_pkt *p)
{
	unsigned rc = (unsigned)ldns_pkt_get_rcode(p) & 15;
	if (ldns_pkt_edns(p))
		rc |= (unsigned)ldns_pkt_edns_extended_rcode(p) << 4;
	return rc;
}

void dnstext_name(struct dnstext *t, const ldns_rdf *dname)
{
	ldns_buffer *b = ldns_buffer_new(256);
	if (!b || rdf_text(dname, b)) {
		dnstext_put(t, "?");
		ldns_buffer_free(b);
		return;
	}
	const char *s = (const char *)ldns_buffer_begin(b);
	size_t n = ldns_buffer_position(b);
	/* "a.test." -> "a.test", but "." stays, and an escaped final dot
	 * ("a\.") is part of the label. */
	if (n > 1 && s[n - 1] == '.' && s[n - 2] != '\\')
		n--;
	dnstext_esc(t, s, n);
	ldns_buffer_free(b);
}

static void rdata(struct dnstext *t, const ldns_rr *rr, ldns_buffer *b)
{
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i)
			dnstext_put(t, " ");
		put_rdf(t, ldns_rr_rdf(rr, i), b);
	}
}

void dnstext_rdata(struct dnstext *t, const ldns_rr *rr)
{
	ldns_buffer *b = ldns_buffer_new(256);
	if (!b) {
		dnstext_put(t, "?");
		return;
	}
	rdata(t, rr, b);
	ldns_buffer_free(b);
}

void dnstext_rr(struct dnstext *t, const ldns_rr *rr, int question)
{
	char c[16];
	char ttl[16];
	ldns_buffer *b = ldns_buffer_new(256);
	if (!b) {
		dnstext_put(t, "?");
		return;
	}
	if (question)
		dnstext_put(t, ";");
	put_rdf(t, ldns_rr_owner(rr), b);
	dnstext_put(t, "\t");
	if (!question) {
		snprintf(ttl, sizeof ttl, "%u\t", (unsigned)ldns_rr_ttl(rr));
		dnstext_put(t, ttl);
	}
	dnstext_put(t, dnstext_class((uint16_t)ldns_rr_get_class(rr), c));
	dnstext_put(t, "\t");
	dnstext_put(t, dnstext_type((uint16_t)ldns_rr_get_type(rr), c));
	if (!question && ldns_rr_rd_count(rr)) {
		dnstext_put(t, "\t");
		rdata(t, rr, b);
	}
	ldns_buffer_free(b);
}

void dnstext_question(struct dnstext *t, const ldns_pkt *p)
{
	char b[16];
	if (ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY) {
		dnstext_put(t, dnstext_opcode(p, b));
		dnstext_put(t, " ");
	}
	const ldns_rr_list *q = ldns_pkt_question(p);
	const ldns_rr *rr = q && ldns_rr_list_rr_count(q) ? ldns_rr_list_rr(q, 0) : NULL;
	if (!rr) {
		dnstext_put(t, "(no question)");
		return;
	}
	dnstext_put(t, dnstext_type((uint16_t)ldns_rr_get_type(rr), b));
	dnstext_put(t, "? ");
	dnstext_name(t, ldns_rr_owner(rr));
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		dnstext_put(t, " ");
		dnstext_put(t, dnstext_class((uint16_t)ldns_rr_get_class(rr), b));
	}
}

int64_t dnstext_min_ttl(const ldns_pkt *resp)
{
	const ldns_rr_list *an = ldns_pkt_answer(resp);
	int64_t min = -1;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		int64_t ttl = ldns_rr_ttl(ldns_rr_list_rr(an, i));
		if (min < 0 || ttl < min)
			min = ttl;
	}
	return min;
}

void dnstext_answer(struct dnstext *t, const ldns_pkt *resp)
{
	char b[32];
	const ldns_rr_list *q = ldns_pkt_question(resp);
	const ldns_rr_list *an = ldns_pkt_answer(resp);
	int qtype =
	    q && ldns_rr_list_rr_count(q) ? (int)ldns_rr_get_type(ldns_rr_list_rr(q, 0)) : -1;
	size_t n = an ? ldns_rr_list_rr_count(an) : 0, sigs = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		sigs += ldns_rr_get_type(ldns_rr_list_rr(an, i)) == LDNS_RR_TYPE_RRSIG;
	/* Signatures are counted, not shown, unless they are what was asked
	 * or all there is: a line is for the data (-v and JSON have them). */
	int hide = qtype != LDNS_RR_TYPE_RRSIG && sigs < n;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (hide && ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;
		if (shown++)
			dnstext_put(t, ", ");
		if ((int)ldns_rr_get_type(rr) != qtype) {
			dnstext_put(t, dnstext_type((uint16_t)ldns_rr_get_type(rr), b));
			dnstext_put(t, " ");
		}
		dnstext_rdata(t, rr);
	}
	unsigned rc = dnstext_rcode(resp);
	if (!n && rc == LDNS_RCODE_NOERROR)
		dnstext_put(t, "no data ");
	else if (n)
		dnstext_put(t, " ");
	dnstext_put(t, dnstext_rcode_name(rc, b));
	if (n) {
		snprintf(b, sizeof b, " ttl=%u", (unsigned)dnstext_min_ttl(resp));
		dnstext_put(t, b);
	}
	if (hide && sigs) {
		snprintf(b, sizeof b, " (+%zu RRSIG)", sigs);
		dnstext_put(t, b);
	}
	if (ldns_pkt_tc(resp))
		dnstext_put(t, " TC");
}

void dnstext_flags(struct dnstext *t, const ldns_pkt *p)
{
	const struct {
		bool (*is)(const ldns_pkt *);
		const char *name;
	} flags[] = {{ldns_pkt_qr, "qr"}, {ldns_pkt_aa, "aa"}, {ldns_pkt_tc, "tc"},
	             {ldns_pkt_rd, "rd"}, {ldns_pkt_ra, "ra"}, {ldns_pkt_ad, "ad"},
	             {ldns_pkt_cd, "cd"}};
	int any = 0;
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (!flags[i].is(p))
			continue;
		if (any++)
			dnstext_put(t, " ");
		dnstext_put(t, flags[i].name);
	}
}

int dnstext_edns(const ldns_pkt *p, struct dnstext_edns *e, struct dnstext *nsid)
{
	if (nsid)
		dnstext_put(nsid, "");
	if (!ldns_pkt_edns(p))
		return 0;
	e->udp = ldns_pkt_edns_udp_size(p);
	e->version = ldns_pkt_edns_version(p);
	e->do_bit = ldns_pkt_edns_do(p);
	e->options = 0;
	const ldns_rdf *opts = ldns_pkt_edns_data(p);
	if (!opts)
		return 1;
	/* RFC 6891 6.1.2: {code, length, data}*; ldns keeps them as one rdf. */
	struct cur c = cur_make(ldns_rdf_data(opts), ldns_rdf_size(opts));
	while (cur_left(&c) >= 4) {
		uint16_t code = cur_be16(&c, "edns option");
		uint16_t len = cur_be16(&c, "edns option");
		const uint8_t *d = cur_ptr(&c, len, "edns option");
		if (!d)
			break;
		e->options++;
		if (code != 3 || !len || !nsid || nsid->len)
			continue; /* an empty NSID is a query's request for one */
		/* dig: the hex, then the text when it is printable. */
		for (size_t i = 0; i < len; i++) {
			char h[3];
			snprintf(h, sizeof h, "%02x", d[i]);
			dnstext_put(nsid, h);
		}
		dnstext_put(nsid, " (\"");
		esc(nsid, (const char *)d, len, 1);
		dnstext_put(nsid, "\")");
	}
	return 1;
}

ldns_zone *dnstext_zone_read(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	ldns_zone *z = NULL;
	int line = 0;
	ldns_status st = ldns_zone_new_frm_fp_l(&z, fp, NULL, 3600, LDNS_RR_CLASS_IN, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		snprintf(err, errlen, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
		return NULL;
	}
	return z;
}
