/* mkdkim.c - writes a capture of N DKIM-signed messages, for --verify's
 * benchmark against the crypto floor (bench/dkim.sh, issue 18 point 4).
 *
 * Usage: mkdkim N FILE
 *
 * Each message is about 1 KiB of text signed twice by sign.example, as RFC
 * 8463 section 4 suggests a signer do: once with Ed25519-SHA256 (selector
 * "ed") and once with RSA-SHA256 over a 2048-bit key (selector "rsa"), both
 * relaxed/relaxed over From, To, Subject, Date and Message-ID. The keys are
 * made anew on every run; the signatures are made here with OpenSSL, the
 * canonical forms being trivial for messages written to need no rewriting
 * (single spaces, no trailing space, no folding). That the signatures are
 * right is not taken on trust: bench/dkim.sh has smtpsniff --verify pass
 * every one before it times anything.
 *
 * The capture starts with what a checking MX (192.0.2.25) asks its
 * resolver (192.0.2.53) and is told: both keys, sign.example's SPF record
 * (ip4:10.0.0.0/8) and its DMARC record (p=reject), and the SPF record of
 * the client's HELO name. Then each message comes in an SMTP session of
 * its own from 10.a.b.c (a.b.c = 1 + i/16000, port 40000 + i%16000):
 * greeting, EHLO, MAIL, RCPT, DATA, the message in segments of 1448 bytes,
 * QUIT, and both FINs; sessions start 1 ms apart, frames 10 us apart, from
 * 2026-01-01T00:00:00Z. Without the keys, the output depends on N only.
 */
#define _DEFAULT_SOURCE
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

#define T0 1767225600u /* 2026-01-01T00:00:00Z */
#define MSS 1448
#define MX_IP 0xC0000219u       /* 192.0.2.25 */
#define RESOLVER_IP 0xC0000235u /* 192.0.2.53 */
#define HEADERS "from:to:subject:date:message-id"

static struct pcapw w;
static uint64_t usec; /* capture time, since the epoch */

static void die(const char *what)
{
	fprintf(stderr, "mkdkim: %s\n", what);
	exit(1);
}

/* base64 of p[0..n) into a new string. */
static char *b64(const unsigned char *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	if (!s)
		die("out of memory");
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* The p= of a key record: base64 of the SubjectPublicKeyInfo for RSA
 * (RFC 6376 3.6.1), of the raw 32 bytes for Ed25519 (RFC 8463 4.2). */
static char *public_b64(EVP_PKEY *k, int ed)
{
	unsigned char raw[32], *der = NULL;
	size_t n = sizeof raw;
	if (ed) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1)
			die("no Ed25519 public key");
		return b64(raw, n);
	}
	int len = i2d_PUBKEY(k, &der);
	if (len <= 0)
		die("no RSA public key");
	char *s = b64(der, (size_t)len);
	OPENSSL_free(der);
	return s;
}

/* b= for the canonical header data h[0..n): RSASSA-PKCS1-v1_5 with SHA-256
 * over it, or Ed25519 over its SHA-256 (RFC 8463 3). */
static char *sign(EVP_PKEY *k, int ed, const char *h, size_t n)
{
	unsigned char hash[32], sig[512];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;
	if (ed) {
		ok = EVP_Digest(h, n, hash, NULL, EVP_sha256(), NULL) == 1 &&
		     EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
		     EVP_DigestSign(c, sig, &siglen, hash, sizeof hash) == 1;
	} else {
		ok = EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
		     EVP_DigestSign(c, sig, &siglen, (const unsigned char *)h, n) == 1;
	}
	EVP_MD_CTX_free(c);
	if (!ok)
		die("signing failed");
	return b64(sig, siglen);
}

/* A growing string. */
struct str {
	char *p;
	size_t n, cap;
};

static void add(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct str *s, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0)
			die("format");
		if (s->p && s->n + (size_t)k < s->cap) {
			s->n += (size_t)k;
			return;
		}
		s->cap = (s->n + (size_t)k + 1) * 2;
		if (!(s->p = realloc(s->p, s->cap)))
			die("out of memory");
	}
}

struct key {
	EVP_PKEY *k;
	int ed;
	const char *selector, *alg;
};

/* Message i, both signatures on top, as DATA sends it (no line starts
 * with a dot), into m (emptied first). */
static void message(struct str *m, uint32_t i, const struct key *keys, size_t nkeys)
{
	struct str hdr = {0}, body = {0}, canon = {0};
	add(&hdr,
	    "From: Bench Sender <sender@sign.example>\r\n"
	    "To: <rcpt@check.example>\r\n"
	    "Subject: benchmark message %u\r\n"
	    "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
	    "Message-ID: <%u.bench@sign.example>\r\n",
	    i, i);
	for (int l = 0; l < 16; l++)
		add(&body, "Line %02d of message %08u, written to be signed and checked again.\r\n",
		    l, i);
	/* relaxed forms (RFC 6376 3.4.2, 3.4.4): these fields and lines are
	 * already canonical but for the field names' case */
	add(&canon,
	    "from:Bench Sender <sender@sign.example>\r\nto:<rcpt@check.example>\r\n"
	    "subject:benchmark message %u\r\ndate:Thu, 01 Jan 2026 00:00:00 +0000\r\n"
	    "message-id:<%u.bench@sign.example>\r\n",
	    i, i);
	unsigned char bh[32];
	if (EVP_Digest(body.p, body.n, bh, NULL, EVP_sha256(), NULL) != 1)
		die("SHA-256 failed");
	char *bh64 = b64(bh, sizeof bh);
	m->n = 0;
	for (size_t k = 0; k < nkeys; k++) {
		char tags[512];
		snprintf(tags, sizeof tags,
		         "v=1; a=%s; c=relaxed/relaxed; d=sign.example; s=%s; t=%u; h=" HEADERS
		         "; bh=%s; b=",
		         keys[k].alg, keys[k].selector, T0, bh64);
		size_t base = canon.n;
		add(&canon, "dkim-signature:%s", tags);
		char *sig = sign(keys[k].k, keys[k].ed, canon.p, canon.n);
		canon.n = base;
		add(m, "DKIM-Signature: %s%s\r\n", tags, sig);
		free(sig);
	}
	add(m, "%.*s\r\n%.*s.\r\n", (int)hdr.n, hdr.p, (int)body.n, body.p); /* and DATA's end */
	free(bh64);
	free(hdr.p);
	free(body.p);
	free(canon.p);
}

/* A DNS query for TXT or A name and its answer, from the MX to its
 * resolver. */
static void dns(uint16_t id, const char *name, int type, const char *txt, uint32_t a)
{
	uint8_t q[512], r[1024];
	size_t n = 12;
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8), q[1] = (uint8_t)id, q[2] = 0x01, q[5] = 1; /* RD, one question */
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0, q[n++] = (uint8_t)type, q[n++] = 0, q[n++] = 1; /* IN */
	memcpy(r, q, n);
	r[2] = 0x81, r[3] = 0x80, r[7] = 1; /* a response, RD RA, one answer */
	size_t m = n;
	static const uint8_t rr[] = {0xc0, 12, 0, 0, 0, 1, 0, 1, 0x51, 0x80}; /* TTL 86400 */
	memcpy(r + m, rr, sizeof rr);
	r[m + 3] = (uint8_t)type;
	m += sizeof rr;
	size_t rdlen_at = m;
	m += 2;
	if (type == 16) {
		for (size_t o = 0, len = strlen(txt); o < len; o += 255) {
			size_t l = len - o < 255 ? len - o : 255;
			r[m++] = (uint8_t)l;
			memcpy(r + m, txt + o, l);
			m += l;
		}
	} else {
		r[m++] = (uint8_t)(a >> 24), r[m++] = (uint8_t)(a >> 16),
		r[m++] = (uint8_t)(a >> 8);
		r[m++] = (uint8_t)a;
	}
	size_t rdlen = m - rdlen_at - 2;
	r[rdlen_at] = (uint8_t)(rdlen >> 8), r[rdlen_at + 1] = (uint8_t)rdlen;
	struct pcapw_end mx = {MX_IP, (uint16_t)(33000 + id)}, res = {RESOLVER_IP, 53};
	pcapw_udp(&w, usec, mx, res, q, n);
	usec += 300;
	pcapw_udp(&w, usec, res, mx, r, m);
	usec += 10;
}

/* One step of a session: data from one side, or flags only. */
static void seg(struct pcapw_end from, struct pcapw_end to, uint32_t *seq, uint32_t ack, int flags,
                const char *data, size_t len)
{
	pcapw_tcp(&w, usec, from, to, *seq, ack, flags, data, len);
	*seq += (uint32_t)len + (flags & (PCAPW_SYN | PCAPW_FIN) ? 1 : 0);
	usec += 10;
}

static void session(uint32_t i, const struct str *m)
{
	struct pcapw_end c = {0x0A000000u + 1 + i / 16000, (uint16_t)(40000 + i % 16000)},
	                 s = {MX_IP, 25};
	uint32_t cs = i * 2654435761u, ss = ~cs; /* any ISNs will do */
	const int A = PCAPW_ACK, PA = PCAPW_PSH | PCAPW_ACK;
	static const char *const talk[][2] = {
	    {NULL, "220 mx.check.example ESMTP\r\n"},
	    {"EHLO client.sign.example\r\n", "250 mx.check.example\r\n"},
	    {"MAIL FROM:<sender@sign.example>\r\n", "250 2.1.0 Ok\r\n"},
	    {"RCPT TO:<rcpt@check.example>\r\n", "250 2.1.5 Ok\r\n"},
	    {"DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n"},
	};
	seg(c, s, &cs, 0, PCAPW_SYN, NULL, 0);
	seg(s, c, &ss, cs, PCAPW_SYN | A, NULL, 0);
	seg(c, s, &cs, ss, A, NULL, 0);
	for (size_t k = 0; k < sizeof talk / sizeof talk[0]; k++) {
		if (talk[k][0])
			seg(c, s, &cs, ss, PA, talk[k][0], strlen(talk[k][0]));
		seg(s, c, &ss, cs, PA, talk[k][1], strlen(talk[k][1]));
	}
	for (size_t o = 0; o < m->n; o += MSS)
		seg(c, s, &cs, ss, o + MSS >= m->n ? PA : A, m->p + o,
		    m->n - o < MSS ? m->n - o : MSS);
	char queued[64];
	int ql = snprintf(queued, sizeof queued, "250 2.0.0 Ok: queued as %08X\r\n", i);
	seg(s, c, &ss, cs, PA, queued, (size_t)ql);
	seg(c, s, &cs, ss, PA, "QUIT\r\n", 6);
	seg(s, c, &ss, cs, PA, "221 2.0.0 Bye\r\n", 15);
	seg(c, s, &cs, ss, PCAPW_FIN | A, NULL, 0);
	seg(s, c, &ss, cs, PCAPW_FIN | A, NULL, 0);
	seg(c, s, &cs, ss, A, NULL, 0);
}

int main(int argc, char **argv)
{
	char *end = NULL;
	unsigned long n = argc == 3 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 3 || *end || n < 1 || n > 16000ul * 0xffff) {
		fprintf(stderr, "usage: mkdkim N FILE (N from 1 to %lu)\n", 16000ul * 0xffff);
		return 2;
	}
	struct key keys[2] = {
	    {EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 1, "ed", "ed25519-sha256"},
	    {EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), 0, "rsa", "rsa-sha256"}};
	if (!keys[0].k || !keys[1].k)
		die("cannot make the keys");
	pcapw_open(&w, argv[2]);
	usec = (uint64_t)T0 * 1000000;
	struct str rec = {0};
	for (uint16_t k = 0; k < 2; k++) {
		char *p = public_b64(keys[k].k, keys[k].ed);
		char name[64];
		snprintf(name, sizeof name, "%s._domainkey.sign.example", keys[k].selector);
		rec.n = 0;
		add(&rec, "v=DKIM1; k=%s; p=%s", keys[k].ed ? "ed25519" : "rsa", p);
		dns(k + 1, name, 16, rec.p, 0);
		free(p);
	}
	dns(3, "sign.example", 16, "v=spf1 ip4:10.0.0.0/8 -all", 0);
	dns(4, "_dmarc.sign.example", 16, "v=DMARC1; p=reject", 0);
	dns(5, "client.sign.example", 16, "v=spf1 ip4:10.0.0.0/8 -all", 0);
	struct str m = {0};
	uint64_t start = (uint64_t)(T0 + 1) * 1000000;
	for (uint32_t i = 0; i < n; i++) {
		usec = start + (uint64_t)i * 1000;
		message(&m, i + 1, keys, 2);
		session(i, &m);
	}
	pcapw_close(&w);
	printf("%lu messages %lu signatures %llu packets %llu bytes\n", n, 2 * n,
	       (unsigned long long)w.packets, (unsigned long long)w.bytes);
	free(m.p);
	free(rec.p);
	EVP_PKEY_free(keys[0].k);
	EVP_PKEY_free(keys[1].k);
	return 0;
}
