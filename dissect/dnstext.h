/* dnstext.h - DNS messages as people read them, the way dig prints them
 * (RFC 1035 5.1 presentation format, RFC 3597 5 unknown types, RFC 6891
 * 6.1.3 EDNS flags, RFC 2308 negative answers).
 *
 * Text is built in a caller's fixed buffer (struct dnstext): it never grows,
 * never overflows, and text that does not fit ends in "...". Everything that
 * came off the wire is escaped as dig does (\DDD for any byte that is not
 * printable ASCII), so a line stays one line whatever the message held.
 */
#ifndef SS_DNSTEXT_H
#define SS_DNSTEXT_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

struct dnstext {
	char *s;    /* borrowed: the caller's buffer, always NUL-terminated */
	size_t cap; /* bytes in s, at least 4 */
	size_t len; /* bytes of text in s */
	int cut;    /* something did not fit: the text ends in "..." */
};

/* Starts an empty text in s[0..cap); cap must be at least 4. */
void dnstext_init(struct dnstext *t, char *s, size_t cap);
/* Appends trusted ASCII text as it is: whole, or not at all (then the
 * text is cut). */
void dnstext_put(struct dnstext *t, const char *s);
/* Appends n bytes of untrusted text: printable ASCII but '\' as it is,
 * anything else (TAB, LF, NUL, bytes >= 0x7f) as \DDD. Text ldns already
 * escaped stays unchanged (its escapes are printable ASCII). */
void dnstext_esc(struct dnstext *t, const char *p, size_t n);

/* Mnemonics for numbers, into out: "TXT" or "TYPE65534", "IN" or
 * "CLASS7", "NOERROR" or "RCODE13", "QUERY" or "OPCODE7". */
const char *dnstext_type(uint16_t type, char out[16]);
const char *dnstext_class(uint16_t cls, char out[16]);
const char *dnstext_rcode_name(unsigned rcode, char out[16]);
const char *dnstext_opcode(const ldns_pkt *p, char out[16]);

/* Reads an RFC 1035 zone file (class IN, default TTL 3600) with ldns, for
 * --zone. NULL with "PATH: reason" or "PATH:LINE: reason" in err. */
ldns_zone *dnstext_zone_read(const char *path, char *err, size_t errlen);
/* The full rcode of a response: with EDNS the 12-bit one (RFC 6891 6.1.3). */
unsigned dnstext_rcode(const ldns_pkt *p);

/* A domain name without its trailing dot ("." for the root). */
void dnstext_name(struct dnstext *t, const ldns_rdf *dname);
/* The rdata of rr as dig prints it: fields separated by one space, every
 * TXT character-string quoted on its own ("a" "b"). */
void dnstext_rdata(struct dnstext *t, const ldns_rr *rr);
/* One whole record as dig prints it in a section: owner (with the dot),
 * TTL, class, type, rdata, separated by one TAB; a question (question != 0)
 * has no TTL and no rdata and starts with ';'. */
void dnstext_rr(struct dnstext *t, const ldns_rr *rr, int question);

/* The first question: "TXT? _dmarc.a.test", prefixed by the opcode when it
 * is not QUERY ("NOTIFY SOA? a.test"), with the class when it is not IN
 * ("TXT? version.bind CH"); "(no question)" when the message has none. */
void dnstext_question(struct dnstext *t, const ldns_pkt *p);
/* What a response said, in short: the answer's rdata joined by ", " (each
 * prefixed by its type when that differs from the question's, as along a
 * CNAME chain), then the rcode and the smallest TTL of the answer:
 * "\"v=DMARC1; p=none\" NOERROR ttl=60", "CNAME b.test, 192.0.2.1 NOERROR
 * ttl=30", "no data NOERROR", "NXDOMAIN", "SERVFAIL". RRSIGs are counted
 * (" (+2 RRSIG)") rather than shown, unless asked for; " TC" is added for a
 * truncated response. */
void dnstext_answer(struct dnstext *t, const ldns_pkt *resp);
/* The smallest TTL of the answer section; -1 when it is empty. */
int64_t dnstext_min_ttl(const ldns_pkt *resp);

/* EDNS (RFC 6891): 1 and the OPT record's fields when p carries one. nsid
 * receives the NSID option (RFC 5001) as dig shows it (hex, then the
 * printable text in quotes), or "" when there is none. */
struct dnstext_edns {
	unsigned udp;     /* requestor's UDP payload size */
	unsigned version; /* EDNS version */
	int do_bit;       /* DNSSEC OK */
	unsigned options; /* number of options */
};
int dnstext_edns(const ldns_pkt *p, struct dnstext_edns *e, struct dnstext *nsid);

/* The header flags that are set, as dig lists them: "qr aa tc rd ra ad cd". */
void dnstext_flags(struct dnstext *t, const ldns_pkt *p);

#endif
