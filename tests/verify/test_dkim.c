/* test_dkim.c - DKIM verification (verify/dkimcheck.h) against independent
 * truth: the verdicts the lab's rspamd (pcaps/) and OpenDKIM
 * (pcaps/opendkim/) wrote for the lab captures and the RFC verdicts in
 * their .notes files; the example of RFC 8463 Appendix A; messages signed
 * here by libopendkim's signer with keys OpenSSL makes here, then tampered
 * with.
 *
 * Usage: test_dkim SRCDIR SHAREDDIR
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <opendkim/dkim.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "pcapfeed.h"
#include "decode.h"
#include "dkimcheck.h"
#include "dkimkey.h"
#include "dkimtags.h"
#include "dnsstore.h"
#include "protos.h"
#include "sstime.h"
#include "verdict.h"

static void show(const char *label, struct verdict **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("  %s [%zu] %s d=%s s=%s: %s\n", label, i, v_result_name(v[i]->result),
		       v[i]->domain ? v[i]->domain : "-", v[i]->selector ? v[i]->selector : "-",
		       v[i]->reason ? v[i]->reason : "");
		for (size_t k = 0; k < v[i]->ndns; k++)
			printf("      dns: %s -> %.60s (%s)\n", v[i]->dns[k].question,
			       v[i]->dns[k].answer, v[i]->dns[k].source);
	}
}

static void verdicts_free(struct verdict **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		verdict_free(v[i]);
	free(v);
}

static int starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

static const char *prop(const struct verdict *v, const char *key)
{
	const char *p = verdict_get(v, key);
	return p ? p : "";
}

/* ------------------------------------------------------------------ */
/* 1. The lab captures                                                 */
/* ------------------------------------------------------------------ */

struct capmsg {
	uint8_t *data;
	size_t len;
	int incomplete;
	int64_t ts_end;
	struct ss_addr server;
};

static struct dns_store *store;
static struct capmsg msgs[16];
static size_t nmsgs;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind == REC_DNS)
		dns_store_add(store, r);
	if (r->kind == REC_MESSAGE && r->u.msg.role == RR_TRANSFER && nmsgs < 16) {
		struct capmsg *m = &msgs[nmsgs++];
		m->len = r->u.msg.data.len;
		m->data = malloc(m->len ? m->len : 1);
		memcpy(m->data, r->u.msg.data.p, m->len);
		m->incomplete = r->u.msg.incomplete;
		m->ts_end = r->u.msg.ts_end;
		m->server = r->flow->ep[SS_S2C].addr;
	}
}

static struct ss_addr ip4(const char *s)
{
	struct ss_addr a = {SS_AF_INET, {0}};
	inet_pton(AF_INET, s, a.b);
	return a;
}

/* The whole of a small text file, or NULL. */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

/* The .notes file's dkim line: "dkim  pass  written=pass ...". */
static int notes_dkim(const char *text, char *rfc, char *written)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "dkim ", 5))
			continue;
		return sscanf(l, "dkim %31s written=%31s", rfc, written) == 2 ? 0 : -1;
	}
	return -1;
}

/* The receiver's words in the .verdicts file: "dkim=pass (...) header.d=x
 * header.s=y header.b=z", from an Authentication-Results field. Copies the
 * value of key (after the dkim= token) into out. */
static int verdicts_value(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, "dkim=");
	while (p && p > text && p[-1] != ' ' && p[-1] != '\t' && p[-1] != ';')
		p = strstr(p + 1, "dkim=");
	if (!p)
		return -1;
	if (strcmp(key, "dkim")) {
		char k[40];
		snprintf(k, sizeof k, " %s=", key);
		p = strstr(p, k);
		if (!p)
			return -1;
	}
	p = strchr(p, '=') + 1;
	if (*p == '"')
		p++;
	size_t n = strcspn(p, " \t;\r\n\"");
	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static int count_dkim(const char *text)
{
	int n = 0;
	for (const char *p = strstr(text, "dkim="); p; p = strstr(p + 1, "dkim="))
		n += p > text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';');
	return n;
}

static void lab_capture(const char *dir, const char *scenario)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s.pcap", dir, scenario);
	store = dns_store_new();
	nmsgs = 0;
	if (pcapfeed(path)) {
		CHECK(!"capture readable");
		return;
	}
	struct ss_addr dkim_mx = ip4("10.255.2.32"), dmarc_mx = ip4("10.255.2.33");
	struct capmsg *in = NULL;
	int hops = 0;
	for (size_t i = 0; i < nmsgs; i++)
		if (!ss_addr_cmp(&msgs[i].server, &dkim_mx) ||
		    !ss_addr_cmp(&msgs[i].server, &dmarc_mx)) {
			in = &msgs[i];
			hops++;
		}
	CHECK(hops == 1);
	snprintf(path, sizeof path, "%s/%s.notes", dir, scenario);
	char *notes = slurp(path);
	snprintf(path, sizeof path, "%s/%s.verdicts", dir, scenario);
	char *written = slurp(path);
	char rfc[32] = "", wrote[32] = "", recv[32] = "", hd[256] = "", hs[256] = "", hb[64] = "";
	CHECK(notes && notes_dkim(notes, rfc, wrote) == 0);
	CHECK(written && verdicts_value(written, "dkim", recv, sizeof recv) == 0);
	if (!in || !notes || !written || !rfc[0]) {
		free(notes);
		free(written);
		goto out;
	}
	struct verdict **v;
	size_t n =
	    dkimcheck_verify(in->data, in->len, in->incomplete, store, in->ts_end, &in->server, &v);
	printf("%s/%s: RFC says %s, the receiver wrote %s, smtpsniff says %s\n", dir, scenario, rfc,
	       recv, n ? v_result_name(v[0]->result) : "nothing");
	show("lab", v, n);
	/* one signature in each lab message, as the receiver's one dkim= says */
	CHECK(n == (size_t)count_dkim(written));
	CHECK(n >= 1 && (int)v[0]->result == v_result_parse(rfc, strlen(rfc)));
	/* the .notes file's written= is what the .verdicts file holds */
	CHECK(!strcmp(wrote, recv));
	/* The receiver agrees with smtpsniff in every lab capture; a
	 * disagreement would be explained here. */
	printf("  receiver %s smtpsniff\n",
	       n >= 1 && (int)v[0]->result == v_result_parse(recv, strlen(recv))
	           ? "agrees with"
	           : "DISAGREES with");
	CHECK(n >= 1 && (int)v[0]->result == v_result_parse(recv, strlen(recv)));
	/* what the receiver names: d=, s=, the start of b= (RFC 6008) */
	if (n >= 1 && !verdicts_value(written, "header.d", hd, sizeof hd))
		CHECK(v[0]->domain && !strcmp(v[0]->domain, hd));
	if (n >= 1 && !verdicts_value(written, "header.s", hs, sizeof hs))
		CHECK(v[0]->selector && !strcmp(v[0]->selector, hs));
	if (n >= 1 && !verdicts_value(written, "header.b", hb, sizeof hb))
		CHECK(!strcmp(prop(v[0], "b"), hb));
	/* the key came from a captured answer, not from a zone file */
	CHECK(n >= 1 && v[0]->ndns == 1 && starts(v[0]->dns[0].source, "frame "));
	CHECK(n >= 1 && !strcmp(prop(v[0], "key_type"), "rsa") &&
	      !strcmp(prop(v[0], "key_bits"), "2048"));
	if (n >= 1 && v[0]->result == V_PASS)
		CHECK(!strcmp(prop(v[0], "body_hash"), "ok"));
	/* scenario3-2/4-2: the lab published another domain's key; the body
	 * is as signed, so it is the signature over the header that fails */
	if (n >= 1 && v[0]->result == V_FAIL) {
		CHECK(starts(v[0]->reason, "signature mismatch"));
		CHECK(!strcmp(prop(v[0], "body_hash"), "ok"));
	}
	/* The same message as the receiver got it, but checked with the
	 * bytes cut short: "cannot tell", never "fail". */
	verdicts_free(v, n);
	n = dkimcheck_verify(in->data, in->len, 1, store, in->ts_end, &in->server, &v);
	CHECK(n == 1 && v[0]->result == V_UNKNOWN && starts(v[0]->reason, "cannot tell"));
	verdicts_free(v, n);
	free(notes);
	free(written);
out:
	for (size_t i = 0; i < nmsgs; i++)
		free(msgs[i].data);
	dns_store_free(store);
	store = NULL;
}

/* ------------------------------------------------------------------ */
/* 2. RFC 8463 Appendix A                                              */
/* ------------------------------------------------------------------ */

/* RFC 8463 Appendix A.3 "Signed Message", typed in from the RFC (and
 * compared with the transcriptions in several public DKIM test suites):
 * the RFC indents its figures by three spaces, which are not part of the
 * message; folded lines start with one space; every line ends in CRLF. */
static const char rfc8463_msg[] = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
                                  " d=football.example.com; i=@football.example.com;\r\n"
                                  " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
                                  " subject : date : message-id : from : subject : date;\r\n"
                                  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                                  " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
                                  " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
                                  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
                                  " d=football.example.com; i=@football.example.com;\r\n"
                                  " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
                                  " date : message-id : from : subject : date;\r\n"
                                  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                                  " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
                                  " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
                                  " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
                                  "From: Joe SixPack <joe@football.example.com>\r\n"
                                  "To: Suzie Q <suzie@shopping.example.net>\r\n"
                                  "Subject: Is dinner ready?\r\n"
                                  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                                  "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
                                  "\r\n"
                                  "Hi.\r\n"
                                  "\r\n"
                                  "We lost the game.  Are you hungry yet?\r\n"
                                  "\r\n"
                                  "Joe.\r\n";

static void rfc8463(const char *src)
{
	char path[4096], err[300];
	snprintf(path, sizeof path, "%s/tests/verify/dkim/rfc8463.zone", src);
	struct dns_store *s = dns_store_new();
	int zrc = dns_store_zone(s, path, err, sizeof err);
	if (zrc)
		printf("zone: %s\n", err);
	CHECK(zrc == 0);
	/* t= is 2018-06-10; the RFC gives no x=; any later time will do */
	int64_t ts = ss_time_make(1528637909 + 86400, 0);
	struct ss_addr mx = ip4("192.0.2.25");
	struct verdict **v;
	size_t n = dkimcheck_verify((const uint8_t *)rfc8463_msg, sizeof rfc8463_msg - 1, 0, s, ts,
	                            &mx, &v);
	show("rfc8463", v, n);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(v[0]->result == V_PASS && !strcmp(v[0]->selector, "brisbane"));
		CHECK(!strcmp(prop(v[0], "a"), "ed25519-sha256") &&
		      !strcmp(prop(v[0], "key_type"), "ed25519") &&
		      !strcmp(prop(v[0], "key_bits"), "256"));
		CHECK(v[1]->result == V_PASS && !strcmp(v[1]->selector, "test"));
		CHECK(!strcmp(prop(v[1], "a"), "rsa-sha256") &&
		      !strcmp(prop(v[1], "key_bits"), "1024"));
		CHECK(
		    !strcmp(prop(v[1], "h"), "from:to:subject:date:message-id:from:subject:date"));
		CHECK(v[0]->ndns == 1 && starts(v[0]->dns[0].source, "zone file"));
	}
	verdicts_free(v, n);
	/* The same with one byte of the body changed: both fail on the body
	 * hash (relaxed canonicalization keeps letters). */
	char *bad = strdup(rfc8463_msg);
	*strstr(bad, "hungry") = 'H';
	n = dkimcheck_verify((const uint8_t *)bad, strlen(bad), 0, s, ts, &mx, &v);
	CHECK(n == 2 && v[0]->result == V_FAIL && v[1]->result == V_FAIL);
	CHECK(n == 2 && starts(v[0]->reason, "body hash mismatch") &&
	      starts(v[1]->reason, "body hash mismatch"));
	verdicts_free(v, n);
	free(bad);
	dns_store_free(s);
}

/* ------------------------------------------------------------------ */
/* 3. Messages signed here                                             */
/* ------------------------------------------------------------------ */

struct key {
	char *pem; /* the private key, PEM */
	char *p;   /* p= of the key record: base64 */
	int bits;
	int ed25519;
};

static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static struct key keygen(int ed25519, int bits)
{
	struct key k = {NULL, NULL, bits, ed25519};
	EVP_PKEY *pk = ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	                       : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!pk) {
		printf("keygen failed\n");
		exit(1);
	}
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	k.pem = strndup(data, (size_t)len);
	BIO_free(bio);
	if (ed25519) { /* RFC 8463 4: the raw 32 bytes */
		unsigned char raw[32];
		size_t rawlen = sizeof raw;
		EVP_PKEY_get_raw_public_key(pk, raw, &rawlen);
		k.p = b64(raw, rawlen);
		k.bits = 256;
	} else { /* RFC 6376 3.6.1: SubjectPublicKeyInfo, DER */
		unsigned char *der = NULL;
		int dlen = i2d_PUBKEY(pk, &der);
		k.p = b64(der, (size_t)dlen);
		OPENSSL_free(der);
	}
	EVP_PKEY_free(pk);
	return k;
}

static void key_free(struct key *k)
{
	free(k->pem);
	free(k->p);
}

static DKIM_LIB *signer;

/* LeakSanitizer's interface when the test runs under it (weak: NULL
 * otherwise). libopendkim 2.11's dkim_free() frees a signing key's crypto
 * state only for RSA keys, so every ed25519 signature it makes leaks the
 * key; that is the test's signer, not the verifier, and is not counted. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

struct signopts {
	const char *domain, *selector;
	dkim_canon_t hc, bc;
	dkim_alg_t alg;
	ssize_t length;       /* l=, -1 for none */
	uint64_t t;           /* t= */
	uint64_t ttl;         /* x= - t=, 0 for no x= */
	const char **hdrs;    /* the fields to sign, NULL for all */
	const char *identity; /* i=, NULL for none */
};

/* msg with a DKIM-Signature by libopendkim's signer put on top. The
 * library splits the message itself (dkim_chunk), so what is signed does
 * not go through smtpsniff's message parser. */
static char *sign(const char *msg, const struct key *k, const struct signopts *o)
{
	DKIM_STAT st;
	uint64_t t = o->t, ttl = o->ttl;
	dkim_options(signer, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t);
	dkim_options(signer, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl);
	DKIM *dk = dkim_sign(signer, (const unsigned char *)"test", NULL, (dkim_sigkey_t)k->pem,
	                     (const unsigned char *)o->selector, (const unsigned char *)o->domain,
	                     o->hc, o->bc, o->alg, o->length, &st);
	if (!dk) {
		printf("dkim_sign: %s\n", dkim_getresultstr(st));
		exit(1);
	}
	if (o->hdrs)
		dkim_signhdrs(dk, o->hdrs);
	if (o->identity)
		dkim_set_signer(dk, (const unsigned char *)o->identity);
	st = dkim_chunk(dk, (unsigned char *)msg, strlen(msg));
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dk, NULL, 0);
	if (k->ed25519 && __lsan_disable)
		__lsan_disable();
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dk, NULL);
	if (k->ed25519 && __lsan_enable)
		__lsan_enable();
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(dk, strlen("DKIM-Signature: "), &hdr, &hlen);
	if (st != DKIM_STAT_OK) {
		printf("signing: %s (%s)\n", dkim_getresultstr(st), dkim_geterror(dk));
		exit(1);
	}
	/* the library folds with a bare LF and a TAB; mail wants CRLF */
	size_t cap = strlen("DKIM-Signature: ") + 2 * hlen + 3 + strlen(msg) + 1;
	char *out = malloc(cap), *o2 = out;
	o2 += sprintf(o2, "DKIM-Signature: ");
	for (size_t i = 0; i < hlen; i++) {
		if (hdr[i] == '\n' && (i == 0 || hdr[i - 1] != '\r'))
			*o2++ = '\r';
		*o2++ = (char)hdr[i];
	}
	sprintf(o2, "\r\n%s", msg);
	dkim_free(dk);
	return out;
}

/* A TXT record of text at name, into s (split in strings of 255 at most,
 * RFC 1035 3.3.14). */
static void put_txt(struct dns_store *s, const char *name, const char *text)
{
	size_t n = strlen(text);
	char *rr = malloc(strlen(name) + 40 + n + 4 * (n / 200 + 1));
	char *o = rr + sprintf(rr, "%s. 3600 IN TXT", name);
	for (size_t i = 0; i < n; i += 200)
		o += sprintf(o, " \"%.200s\"", text + i);
	ldns_rr *r = NULL;
	ldns_status st = ldns_rr_new_frm_str(&r, rr, 3600, NULL, NULL);
	if (st != LDNS_STATUS_OK) {
		printf("ldns: %s: %s\n", ldns_get_errorstr_by_id(st), rr);
		exit(1);
	}
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, r);
	dns_store_put(s, name, LDNS_RR_TYPE_TXT, DNS_DATA, l, "test");
	free(rr);
}

static char *record(const struct key *k)
{
	char *r = malloc(strlen(k->p) + 40);
	sprintf(r, "v=DKIM1; k=%s; p=%s", k->ed25519 ? "ed25519" : "rsa", k->p);
	return r;
}

/* A store with key k at sel._domainkey.dom. */
static struct dns_store *store_with(const char *dom, const char *sel, const struct key *k)
{
	struct dns_store *s = dns_store_new();
	char name[300];
	snprintf(name, sizeof name, "%s._domainkey.%s", sel, dom);
	char *r = record(k);
	put_txt(s, name, r);
	free(r);
	return s;
}

#define T0 INT64_C(1795447195) /* 2026-11-23 15:19:55Z: a signing time of an earlier lab run */

static const char base_msg[] = "From: Alice <alice@a.test>\r\n"
                               "To: Bob <bob@b.test>\r\n"
                               "Subject: hello world\r\n"
                               "Date: Mon, 23 Nov 2026 15:19:54 +0000\r\n"
                               "Message-ID: <t1@a.test>\r\n"
                               "X-Mailer: test_dkim\r\n"
                               "\r\n"
                               "Hello Bob.\r\n"
                               "\r\n"
                               "This is the body.\r\n";

static struct signopts opts(dkim_alg_t alg)
{
	struct signopts o;
	memset(&o, 0, sizeof o);
	o.domain = "a.test";
	o.selector = "sel";
	o.hc = o.bc = DKIM_CANON_RELAXED;
	o.alg = alg;
	o.length = -1;
	o.t = (uint64_t)T0;
	return o;
}

static const struct ss_addr *mx(void)
{
	static struct ss_addr a;
	a = ip4("192.0.2.25");
	return &a;
}

/* Checks msg at time ts (seconds) with store s; the one verdict i. */
static size_t run(const char *label, const char *msg, struct dns_store *s, int64_t ts,
                  struct verdict ***v)
{
	size_t n =
	    dkimcheck_verify((const uint8_t *)msg, strlen(msg), 0, s, ss_time_make(ts, 0), mx(), v);
	show(label, *v, n);
	return n;
}

/* One signature, one verdict: its result and how its reason starts. */
static void expect1(const char *label, const char *msg, struct dns_store *s, int64_t ts,
                    enum v_result r, const char *reason, int line)
{
	struct verdict **v;
	size_t n = run(label, msg, s, ts, &v);
	int ok = n == 1 && v[0]->result == r && starts(v[0]->reason, reason);
	check(ok, label, line);
	verdicts_free(v, n);
}
#define EXPECT1(label, msg, s, ts, r, reason) expect1(label, msg, s, ts, r, reason, __LINE__)

/* msg with the first from replaced by to (which may differ in length). */
static char *replace(const char *msg, const char *from, const char *to)
{
	const char *at = strstr(msg, from);
	if (!at) {
		printf("replace: %s not found\n", from);
		exit(1);
	}
	char *out = malloc(strlen(msg) + strlen(to) + 1);
	size_t k = (size_t)(at - msg);
	memcpy(out, msg, k);
	strcpy(out + k, to);
	strcat(out, at + strlen(from));
	return out;
}

static char *concat(const char *a, const char *b)
{
	char *out = malloc(strlen(a) + strlen(b) + 1);
	strcpy(out, a);
	strcat(out, b);
	return out;
}

static void key_sizes(void)
{
	struct {
		int ed, bits;
		dkim_alg_t alg;
	} kinds[] = {{0, 1024, DKIM_SIGN_RSASHA256},
	             {0, 2048, DKIM_SIGN_RSASHA256},
	             {0, 4096, DKIM_SIGN_RSASHA256},
	             {1, 256, DKIM_SIGN_ED25519SHA256}};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct key k = keygen(kinds[i].ed, kinds[i].bits);
		struct signopts o = opts(kinds[i].alg);
		char *m = sign(base_msg, &k, &o);
		struct dns_store *s = store_with("a.test", "sel", &k);
		struct verdict **v;
		size_t n = run("keysize", m, s, T0 + 60, &v);
		char bits[16];
		snprintf(bits, sizeof bits, "%d", kinds[i].bits);
		CHECK(n == 1 && v[0]->result == V_PASS);
		CHECK(n == 1 && !strcmp(prop(v[0], "key_bits"), bits));
		CHECK(n == 1 && !strcmp(prop(v[0], "key_type"), kinds[i].ed ? "ed25519" : "rsa"));
		CHECK(n == 1 && !strcmp(prop(v[0], "body_hash"), "ok"));
		CHECK(n == 1 && !strcmp(v[0]->domain, "a.test") && !strcmp(v[0]->selector, "sel"));
		CHECK(n == 1 && !strcmp(prop(v[0], "t"), "1795447195") && !verdict_get(v[0], "x"));
		verdicts_free(v, n);
		dns_store_free(s);
		free(m);
		key_free(&k);
	}
}

static void tampering(const struct key *k, const struct key *other)
{
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *m = sign(base_msg, k, &o);
	struct dns_store *s = store_with("a.test", "sel", k);
	struct verdict **v;
	size_t n;

	/* untouched */
	n = run("untouched", m, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS);
	CHECK(n == 1 && !strcmp(prop(v[0], "c"), "relaxed/relaxed") &&
	      !strcmp(prop(v[0], "a"), "rsa-sha256") && !strcmp(prop(v[0], "i"), "@a.test"));
	/* the signer signed every field present, in order */
	CHECK(n == 1 && !strcasecmp(prop(v[0], "h"), "from:to:subject:date:message-id:x-mailer"));
	CHECK(n == 1 && v[0]->ndns == 1 &&
	      !strcmp(v[0]->dns[0].question, "TXT sel._domainkey.a.test"));
	verdicts_free(v, n);

	/* the body changed */
	char *t = replace(m, "This is the body.", "This is the b0dy.");
	n = run("body changed", t, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_FAIL &&
	      starts(v[0]->reason, "body hash mismatch: the body changed after signing"));
	CHECK(n == 1 && !strcmp(prop(v[0], "body_hash"), "mismatch"));
	verdicts_free(v, n);
	free(t);

	/* a signed header field changed */
	t = replace(m, "Subject: hello world", "Subject: hello there");
	n = run("signed header changed", t, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_FAIL &&
	      starts(v[0]->reason, "signature mismatch: signed header fields changed"));
	CHECK(n == 1 && !strcmp(prop(v[0], "body_hash"), "ok"));
	verdicts_free(v, n);
	free(t);

	/* fields added that the signature does not cover (RFC 6376 5.4: a
	 * field not in h=, and a Received above the signed ones) */
	t = concat("Received: from relay.b.test by mx.b.test; Mon, 23 Nov 2026 15:20:00 +0000\r\n"
	           "X-Added: yes\r\n",
	           m);
	EXPECT1("unsigned fields added", t, s, T0 + 60, V_PASS, "the signature verifies");
	free(t);

	/* the key: NXDOMAIN, no data, SERVFAIL, not captured, revoked */
	struct dns_store *s2 = dns_store_new();
	dns_store_put(s2, "sel._domainkey.a.test", LDNS_RR_TYPE_TXT, DNS_NXDOMAIN, NULL, "test");
	EXPECT1("key NXDOMAIN", m, s2, T0 + 60, V_PERMERROR,
	        "key not found: TXT sel._domainkey.a.test is NXDOMAIN (zone file test)");
	dns_store_free(s2);
	s2 = dns_store_new();
	dns_store_put(s2, "sel._domainkey.a.test", LDNS_RR_TYPE_TXT, DNS_NODATA, NULL, "test");
	EXPECT1("key no data", m, s2, T0 + 60, V_PERMERROR, "key not found: TXT sel._domainkey");
	dns_store_free(s2);
	s2 = dns_store_new();
	dns_store_put(s2, "sel._domainkey.a.test", LDNS_RR_TYPE_TXT, DNS_SERVFAIL, NULL, "test");
	EXPECT1("key SERVFAIL", m, s2, T0 + 60, V_TEMPERROR,
	        "key lookup failed: TXT sel._domainkey.a.test got SERVFAIL");
	dns_store_free(s2);
	s2 = dns_store_new();
	/* a store with no captured DNS at all: the words say so */
	EXPECT1("key not captured", m, s2, T0 + 60, V_UNKNOWN,
	        "cannot tell: no answer for the key (TXT sel._domainkey.a.test), as the capture "
	        "holds no DNS at all: a capture filter may have left it out");
	put_txt(s2, "sel._domainkey.a.test", "v=DKIM1; k=rsa; p=");
	EXPECT1("key revoked", m, s2, T0 + 60, V_PERMERROR, "key revoked (empty p=)");
	dns_store_free(s2);
	/* a record that is not a key record (an SPF record at the key's name) */
	s2 = dns_store_new();
	put_txt(s2, "sel._domainkey.a.test", "v=spf1 -all");
	EXPECT1("key syntax", m, s2, T0 + 60, V_PERMERROR, "key syntax:");
	dns_store_free(s2);
	/* what the key record allows (RFC 6376 3.6.1 h=, s=, t=) */
	char rec[1024];
	s2 = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; h=sha1; k=rsa; p=%s", k->p);
	put_txt(s2, "sel._domainkey.a.test", rec);
	EXPECT1("key h=sha1", m, s2, T0 + 60, V_PERMERROR, "the key's h= does not allow");
	dns_store_free(s2);
	s2 = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; s=other; p=%s", k->p);
	put_txt(s2, "sel._domainkey.a.test", rec);
	EXPECT1("key s=other", m, s2, T0 + 60, V_PERMERROR, "the key's s= does not allow email");
	dns_store_free(s2);
	s2 = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; t=y; p=%s", k->p);
	put_txt(s2, "sel._domainkey.a.test", rec);
	n = run("key t=y", m, s2, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS && strstr(v[0]->reason, "the key says t=y"));
	verdicts_free(v, n);
	dns_store_free(s2);
	/* i= in a subdomain of d=: fine, unless the key says t=s */
	struct signopts oi = opts(DKIM_SIGN_RSASHA256);
	oi.identity = "joe@mail.a.test";
	char *mi = sign(base_msg, k, &oi);
	EXPECT1("i= subdomain", mi, s, T0 + 60, V_PASS, "the signature verifies");
	s2 = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; t=s; p=%s", k->p);
	put_txt(s2, "sel._domainkey.a.test", rec);
	EXPECT1("key t=s", mi, s2, T0 + 60, V_PERMERROR, "the key says t=s");
	dns_store_free(s2);
	free(mi);
	/* the wrong key: another key pair's public half (as in scenario3-2) */
	s2 = store_with("a.test", "sel", other);
	EXPECT1("wrong key", m, s2, T0 + 60, V_FAIL, "signature mismatch");
	dns_store_free(s2);

	/* a message without a signature; incomplete */
	n = run("unsigned", base_msg, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_NONE && !strcmp(v[0]->reason, "no DKIM-Signature"));
	verdicts_free(v, n);
	n = dkimcheck_verify((const uint8_t *)m, strlen(m), 1, s, ss_time_make(T0 + 60, 0), mx(),
	                     &v);
	CHECK(n == 1 && v[0]->result == V_UNKNOWN &&
	      !strcmp(v[0]->reason, "cannot tell: message incomplete"));
	CHECK(n == 1 && !strcmp(v[0]->domain, "a.test") && v[0]->ndns == 0);
	verdicts_free(v, n);

	/* syntax errors in the signature (RFC 6376 6.1.1): no key looked up */
	const char *edits[][3] = {
	    {"v=1;", "v=2;", "syntax: v=2 is not version 1"},
	    {"d=a.test;", "", "syntax: the required tag d= is missing"},
	    {"s=sel;", "s=sel; s=sel2;", "syntax: a tag appears twice"},
	    {"a=rsa-sha256;", "a=rsa-sha512;", "syntax: a=rsa-sha512 is not"},
	    {"c=relaxed/relaxed;", "c=relaxed/loose;", "syntax: c=relaxed/loose is not"},
	    {"d=a.test;", "d=a.test; i=joe@b.test;", "syntax: i=joe@b.test is not in d=a.test"},
	    {"t=1795447195", "t=1795 447195", "syntax: t= holds white space"},
	    {"\th=", "\th=To:", NULL}, /* still lists From, but To is not there twice */
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		t = replace(m, edits[i][0], edits[i][1]);
		n = run("syntax", t, s, T0 + 60, &v);
		if (edits[i][2]) {
			CHECK(n == 1 && v[0]->result == V_PERMERROR &&
			      starts(v[0]->reason, edits[i][2]));
			CHECK(n == 1 && v[0]->ndns == 0);
		} else {
			CHECK(n == 1 && v[0]->result == V_FAIL);
		}
		verdicts_free(v, n);
		free(t);
	}
	/* h= without From (RFC 6376 6.1.1): the signer cannot make one, so
	 * the list is rewritten; the signature is then broken anyway, but the
	 * syntax check comes first */
	char h[512];
	const char *hs = strstr(m, "\th=") + 1;
	size_t hl = strcspn(hs, ";");
	snprintf(h, sizeof h, "%.*s", (int)hl, hs);
	t = replace(m, h, "h=To:Subject");
	EXPECT1("h= without From", t, s, T0 + 60, V_PERMERROR,
	        "syntax: h= does not include the From field");
	free(t);

	dns_store_free(s);
	free(m);
}

static void times(const struct key *k)
{
	struct dns_store *s = store_with("a.test", "sel", k);
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	o.ttl = 3600;
	char *m = sign(base_msg, k, &o);
	struct verdict **v;
	size_t n = run("x=", m, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS && !strcmp(prop(v[0], "x"), "1795450795"));
	verdicts_free(v, n);
	/* two days later: expired (RFC 6376 3.5 x=) */
	EXPECT1("expired", m, s, T0 + 2 * 86400, V_PERMERROR,
	        "signature expired at 2026-11-23T16:19:55");
	/* a day before t=: made in the future */
	EXPECT1("future", m, s, T0 - 86400, V_PERMERROR,
	        "signature made in the future: t=1795447195");
	free(m);

	/* The capture time decides, not the day the test runs: a signature
	 * of 2010 that expired a day later passes an hour after it was made;
	 * one of 2040 passes an hour after it was made too. libopendkim,
	 * left alone, calls the first expired and the second future. */
	o.t = 1262304000; /* 2010-01-01 */
	o.ttl = 86400;
	m = sign(base_msg, k, &o);
	EXPECT1("2010", m, s, 1262304000 + 3600, V_PASS, "the signature verifies");
	EXPECT1("2010, too late", m, s, 1262304000 + 3 * 86400, V_PERMERROR, "signature expired");
	free(m);
	o.t = 2208988800; /* 2040-01-01 */
	o.ttl = 0;
	m = sign(base_msg, k, &o);
	EXPECT1("2040", m, s, 2208988800 + 3600, V_PASS, "the signature verifies");
	EXPECT1("2040, too early", m, s, 2208988800 - 3600, V_PERMERROR,
	        "signature made in the future");
	free(m);
	dns_store_free(s);
}

static void two_signatures(const struct key *a, const struct key *b, const struct key *wrong)
{
	/* a.test signs, then b.test signs on top; b.test's published key is
	 * not the one it signed with */
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *m1 = sign(base_msg, a, &o);
	o.domain = "b.test";
	o.selector = "s2";
	o.alg = DKIM_SIGN_ED25519SHA256;
	char *m2 = sign(m1, b, &o);
	struct dns_store *s = store_with("a.test", "sel", a);
	char *r = record(wrong);
	put_txt(s, "s2._domainkey.b.test", r);
	free(r);
	struct verdict **v;
	size_t n = run("two", m2, s, T0 + 60, &v);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(v[0]->result == V_FAIL && !strcmp(v[0]->domain, "b.test"));
		CHECK(starts(v[0]->reason, "signature mismatch"));
		CHECK(v[1]->result == V_PASS && !strcmp(v[1]->domain, "a.test"));
		/* each verdict lists its own key's lookup only */
		CHECK(v[0]->ndns == 1 &&
		      !strcmp(v[0]->dns[0].question, "TXT s2._domainkey.b.test"));
		CHECK(v[1]->ndns == 1 &&
		      !strcmp(v[1]->dns[0].question, "TXT sel._domainkey.a.test"));
	}
	verdicts_free(v, n);
	free(m1);
	free(m2);
	dns_store_free(s);
	/* two signatures with the same d= and s=: libopendkim fetches the key
	 * once and reuses it; each verdict still lists the lookup, and an
	 * ed25519 signature does not get to use the RSA key */
	o = opts(DKIM_SIGN_RSASHA256);
	m1 = sign(base_msg, a, &o);
	m2 = sign(m1, a, &o);
	s = store_with("a.test", "sel", a);
	n = run("same key", m2, s, T0 + 60, &v);
	CHECK(n == 2 && v[0]->result == V_PASS && v[1]->result == V_PASS);
	CHECK(n == 2 && v[0]->ndns == 1 && v[1]->ndns == 1);
	verdicts_free(v, n);
	o.alg = DKIM_SIGN_ED25519SHA256;
	char *m3 = sign(m1, b, &o);
	n = run("same name, other algorithm", m3, s, T0 + 60, &v);
	CHECK(n == 2 && v[0]->result == V_PERMERROR && starts(v[0]->reason, "the key is k=rsa"));
	CHECK(n == 2 && v[1]->result == V_PASS);
	verdicts_free(v, n);
	free(m1);
	free(m2);
	free(m3);
	dns_store_free(s);
}

static void body_length(const struct key *k)
{
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	const char *body = strstr(base_msg, "\r\n\r\n") + 4;
	o.length = (ssize_t)strlen(body); /* relaxed keeps this body's length */
	char *m = sign(base_msg, k, &o);
	char *t = concat(m, "P.S. Send money to the account below.\r\n");
	struct dns_store *s = store_with("a.test", "sel", k);
	struct verdict **v;
	size_t n = run("l=", t, s, T0 + 60, &v);
	char want[80];
	snprintf(want, sizeof want, "only the first %zu body bytes are signed", strlen(body));
	CHECK(n == 1 && v[0]->result == V_PASS && strstr(v[0]->reason, want));
	CHECK(n == 1 && atoi(prop(v[0], "l")) == (int)strlen(body));
	verdicts_free(v, n);
	/* cut below l=: the signed bytes are no longer all there */
	char *cut = strdup(m);
	strcpy(strstr(cut, "This is"), "This\r\n");
	EXPECT1("body shorter than l=", cut, s, T0 + 60, V_FAIL, "the body is shorter than l=");
	free(cut);
	free(t);
	free(m);
	dns_store_free(s);
}

static void canonicalization(const struct key *k)
{
	struct dns_store *s = store_with("a.test", "sel", k);
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *relaxed = sign(base_msg, k, &o);
	o.hc = o.bc = DKIM_CANON_SIMPLE;
	char *simple = sign(base_msg, k, &o);
	/* RFC 6376 3.4.2: relaxed header canonicalization folds runs of WSP */
	char *r2 = replace(relaxed, "Subject: hello world", "Subject:  hello \t world ");
	char *s2 = replace(simple, "Subject: hello world", "Subject:  hello \t world ");
	EXPECT1("relaxed, spaces", r2, s, T0 + 60, V_PASS, "the signature verifies");
	EXPECT1("simple, spaces", s2, s, T0 + 60, V_FAIL, "signature mismatch");
	EXPECT1("simple, untouched", simple, s, T0 + 60, V_PASS, "the signature verifies");
	/* RFC 6376 3.4.3/3.4.4: trailing empty lines of the body do not count */
	char *r3 = concat(relaxed, "\r\n\r\n");
	char *s3 = concat(simple, "\r\n\r\n");
	EXPECT1("relaxed, empty lines", r3, s, T0 + 60, V_PASS, "the signature verifies");
	EXPECT1("simple, empty lines", s3, s, T0 + 60, V_PASS, "the signature verifies");
	free(r2);
	free(s2);
	free(r3);
	free(s3);
	free(relaxed);
	free(simple);
	dns_store_free(s);
}

/* p= of an RSA public key of bits bits (SubjectPublicKeyInfo, base64)
 * with a random odd modulus and e = 65537: a key by its form, made in no
 * time, for what does not need its private half. */
static char *rsa_public(int bits)
{
	BIGNUM *n = BN_new(), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD);
	BN_set_word(e, 65537);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	int dlen = -1;
	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) > 0)
		dlen = i2d_PUBKEY(pk, &der);
	if (dlen <= 0) {
		printf("rsa_public: no key\n");
		exit(1);
	}
	char *out = b64(der, (size_t)dlen);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return out;
}

/* p= of an RSA key as PKCS#1 RSAPublicKey DER, base64: the form RFC 6376
 * 3.6.1 names ("an ASN.1 DER-encoded RSAPublicKey structure"), where spki
 * is the SubjectPublicKeyInfo that is published in practice. */
static char *pkcs1_of(const char *spki)
{
	unsigned char der[2048], *out = NULL;
	int n = strlen(spki) < 4 * sizeof der / 3
	            ? EVP_DecodeBlock(der, (const unsigned char *)spki, (int)strlen(spki))
	            : -1;
	const unsigned char *q = der;
	EVP_PKEY *pk = n > 0 ? d2i_PUBKEY(NULL, &q, n) : NULL;
	int dlen = pk ? i2d_PublicKey(pk, &out) : -1;
	EVP_PKEY_free(pk);
	if (dlen <= 0) {
		printf("pkcs1_of: no RSAPublicKey\n");
		exit(1);
	}
	char *text = b64(out, (size_t)dlen);
	OPENSSL_free(out);
	return text;
}

/* Key records longer than libopendkim's 1024-byte buffer. */
static void long_records(const struct key *k4096)
{
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *m = sign(base_msg, k4096, &o);
	/* A bare 4096-bit record is about 760 characters; with a note and
	 * the key folded in lines of 64 with spaces (RFC 6376 3.6.1 allows
	 * FWS in p=, and n= is for people), it is over 1024. */
	char *r = malloc(4096), *p = r;
	p += sprintf(p, "v=DKIM1; k=rsa; n=This key signs the mail of a.test, a domain made up "
	                "for the tests of smtpsniff. It is four thousand and ninety-six bits "
	                "long, and this note (with the spaces that fold the key below) makes "
	                "its record longer than the 1024 characters that libopendkim reads "
	                "into its buffer for a key record.; p=");
	for (size_t i = 0; i < strlen(k4096->p); i += 32)
		p += sprintf(p, "%s%.32s", i ? "  " : "", k4096->p + i);
	printf("  4096-bit record: %zu characters\n", strlen(r));
	CHECK(strlen(r) > 1024);
	struct dns_store *s = dns_store_new();
	put_txt(s, "sel._domainkey.a.test", r);
	struct verdict **v;
	size_t n = run("long record", m, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS && !strcmp(prop(v[0], "key_bits"), "4096"));
	verdicts_free(v, n);
	dns_store_free(s);
	/* A key that does not fit even without spaces and notes: cannot tell
	 * (it would fail in the library as a cut key). An 8192-bit key, whose
	 * modulus need not be a product of primes to be too long. */
	char *big = rsa_public(8192);
	snprintf(r, 4096, "v=DKIM1; k=rsa; p=%s", big);
	s = dns_store_new();
	put_txt(s, "sel._domainkey.a.test", r);
	char want[100];
	snprintf(want, sizeof want, "cannot tell: the key record is %zu characters", strlen(r));
	EXPECT1("too long", m, s, T0 + 60, V_UNKNOWN, want);
	dns_store_free(s);
	/* the same key as PKCS#1: libopendkim would get it as the longer
	 * SubjectPublicKeyInfo, and the reason says so */
	char *big1 = pkcs1_of(big);
	snprintf(r, 4096, "v=DKIM1; k=rsa; p=%s", big1);
	s = dns_store_new();
	put_txt(s, "sel._domainkey.a.test", r);
	struct verdict **v2;
	n = run("too long, PKCS#1", m, s, T0 + 60, &v2);
	CHECK(n == 1 && v2[0]->result == V_UNKNOWN && strstr(v2[0]->reason, want) &&
	      strstr(v2[0]->reason, "its PKCS#1 key made the SubjectPublicKeyInfo"));
	verdicts_free(v2, n);
	dns_store_free(s);
	free(big1);
	/* Bytes as long that are no key at all: known to be unusable, however
	 * long (RFC 6376 6.1.2) */
	strcpy(r, "v=DKIM1; k=rsa; p=");
	for (int i = 0; i < 1100 / 4; i++)
		strcat(r, "AAAA");
	s = dns_store_new();
	put_txt(s, "sel._domainkey.a.test", r);
	EXPECT1("too long, no key", m, s, T0 + 60, V_PERMERROR,
	        "the key is not a usable RSA key: TXT sel._domainkey.a.test");
	dns_store_free(s);
	free(big);
	free(r);
	free(m);
}

/* RFC 8301: rsa-sha1 is not to be verified; keys under 1024 bits are not
 * acceptable. */
static void rfc8301(const struct key *k2048)
{
	struct dns_store *s = store_with("a.test", "sel", k2048);
	struct signopts o = opts(DKIM_SIGN_RSASHA1);
	char *m = sign(base_msg, k2048, &o);
	EXPECT1("rsa-sha1", m, s, T0 + 60, V_PERMERROR, "syntax: a=rsa-sha1, which RFC 8301 3.1");
	free(m);
	dns_store_free(s);
	struct key k512 = keygen(0, 512);
	unsigned minbits = 512; /* or the signer refuses to sign */
	dkim_options(signer, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits, sizeof minbits);
	s = store_with("a.test", "sel", &k512);
	o = opts(DKIM_SIGN_RSASHA256);
	m = sign(base_msg, &k512, &o);
	EXPECT1("512 bits", m, s, T0 + 60, V_POLICY, "key too small: 512 bits");
	free(m);
	dns_store_free(s);
	key_free(&k512);
}

/* An ed25519 signature whose record says k=rsa (RFC 6376 6.1.2 step 8). */
static void key_type_mismatch(const struct key *ed)
{
	struct signopts o = opts(DKIM_SIGN_ED25519SHA256);
	char *m = sign(base_msg, ed, &o);
	struct dns_store *s = dns_store_new();
	char r[200];
	snprintf(r, sizeof r, "v=DKIM1; k=rsa; p=%s", ed->p);
	put_txt(s, "sel._domainkey.a.test", r);
	EXPECT1("k= mismatch", m, s, T0 + 60, V_PERMERROR, "the key is k=rsa");
	dns_store_free(s);
	free(m);
}

/* The reason of a key that cannot be used names the key record and says
 * why in whole words: no "?" for a type, no colon with nothing after. */
static int whole_reason(const char *r)
{
	size_t n = r ? strlen(r) : 0;
	return n > 0 && !strchr(r, '?') && r[n - 1] != ' ' && r[n - 1] != ':' &&
	       strstr(r, "TXT sel._domainkey.a.test");
}

/* One signed message, its key published in either form RFC 6376 3.6.1
 * allows for k=rsa (SubjectPublicKeyInfo, PKCS#1 RSAPublicKey): both
 * verify; p= that is base64 but no key at all is a PERMFAIL (RFC 6376
 * 6.1.2: not suitable for k=), said in words. */
static void key_forms(const struct key *k, const struct key *ed)
{
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *m = sign(base_msg, k, &o);
	char *pkcs1 = pkcs1_of(k->p), rec[2048];
	struct dns_store *s = store_with("a.test", "sel", k);
	struct verdict **v;
	size_t n = run("key SPKI", m, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS && !strcmp(prop(v[0], "key_bits"), "2048"));
	verdicts_free(v, n);
	dns_store_free(s);
	s = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", pkcs1);
	put_txt(s, "sel._domainkey.a.test", rec);
	n = run("key PKCS#1", m, s, T0 + 60, &v);
	CHECK(n == 1 && v[0]->result == V_PASS && !strcmp(prop(v[0], "key_bits"), "2048"));
	verdicts_free(v, n);
	dns_store_free(s);
	/* what libopendkim was handed: the same key, as the SPKI record has it */
	struct dkimkey dk;
	CHECK(dkimkey_parse(&dk, (const uint8_t *)rec, strlen(rec)) == 0 &&
	      dk.form == DKIMKEY_PKCS1 && dk.bits == 2048 && dk.spki && !strcmp(dk.spki, k->p) &&
	      !strcmp(dk.p, pkcs1) && strstr(dk.compact, k->p) && !dk.unusable[0]);
	dkimkey_free(&dk);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", k->p);
	CHECK(dkimkey_parse(&dk, (const uint8_t *)rec, strlen(rec)) == 0 &&
	      dk.form == DKIMKEY_SPKI && dk.bits == 2048 && !dk.spki && !strcmp(dk.compact, rec));
	dkimkey_free(&dk);
	/* k= left out (rsa by default), p= folded with spaces */
	s = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; p=%.40s %s", pkcs1, pkcs1 + 40);
	put_txt(s, "sel._domainkey.a.test", rec);
	EXPECT1("key PKCS#1, no k=", m, s, T0 + 60, V_PASS, "the signature verifies");
	dns_store_free(s);
	/* the wrong key in PKCS#1 form still fails as the wrong key */
	struct key other = keygen(0, 1024);
	char *pkcs1o = pkcs1_of(other.p);
	s = dns_store_new();
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", pkcs1o);
	put_txt(s, "sel._domainkey.a.test", rec);
	EXPECT1("wrong key PKCS#1", m, s, T0 + 60, V_FAIL, "signature mismatch");
	dns_store_free(s);
	free(pkcs1o);
	key_free(&other);

	/* garbage in p=: base64, but not a key of either form (bytes of no
	 * DER, a PKCS#1 key cut short, keys of both forms with bytes after
	 * them, an RSA key whose exponent is 0, an ed25519 key's 32 bytes
	 * under k=rsa, 30 bytes under k=ed25519) */
	char cut[2048], tail[2048], e0[2048], stail[2048];
	snprintf(cut, sizeof cut, "%.200s", pkcs1);
	/* 270 bytes of DER for 2048 bits: base64 without padding, so that
	 * "AAAA" appends 3 zero bytes */
	CHECK(strlen(pkcs1) == 360 && strlen(k->p) == 392);
	snprintf(tail, sizeof tail, "%sAAAA", pkcs1);
	snprintf(stail, sizeof stail, "%sAAAA", k->p);
	/* the exponent 65537 ("AQAB", the last 3 bytes) made 0 */
	snprintf(e0, sizeof e0, "%.*sAAAA", (int)(strlen(pkcs1) - 4), pkcs1);
	char ed30[64];
	snprintf(ed30, sizeof ed30, "%.40s", ed->p);
	const char *bad[][2] = {
	    {"rsa", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	    {"rsa", "MIIBCgKCAQEA"},
	    {"rsa", cut},
	    {"rsa", tail},
	    {"rsa", stail},
	    {"rsa", e0},
	    {"rsa", ed->p},
	    {"ed25519", ed30},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = dns_store_new();
		snprintf(rec, sizeof rec, "v=DKIM1; k=%s; p=%s", bad[i][0], bad[i][1]);
		put_txt(s, "sel._domainkey.a.test", rec);
		char *mm = m;
		if (!strcmp(bad[i][0], "ed25519")) {
			struct signopts oe = opts(DKIM_SIGN_ED25519SHA256);
			mm = sign(base_msg, ed, &oe);
		}
		n = run("garbage key", mm, s, T0 + 60, &v);
		CHECK(n == 1 && v[0]->result == V_PERMERROR && whole_reason(v[0]->reason));
		CHECK(n == 1 && strstr(v[0]->reason, "not a usable") &&
		      strstr(v[0]->reason, !strcmp(bad[i][0], "rsa") ? "RSA" : "ed25519"));
		verdicts_free(v, n);
		if (mm != m)
			free(mm);
		dns_store_free(s);
	}
	free(pkcs1);
	free(m);
}

/* The caps of dkimcheck.h: signatures checked, libopendkim's work. */
static void caps(const struct key *k)
{
	struct signopts o = opts(DKIM_SIGN_RSASHA256);
	char *m = sign(base_msg, k, &o);
	size_t siglen = strstr(m, "\r\nFrom:") + 2 - m;
	/* the same signature DKIMCHECK_MAX_SIGS + 1 times */
	char *many = malloc((DKIMCHECK_MAX_SIGS + 1) * siglen + strlen(m) + 1), *p = many;
	for (int i = 0; i < DKIMCHECK_MAX_SIGS; i++, p += siglen)
		memcpy(p, m, siglen);
	strcpy(p, m);
	struct dns_store *s = store_with("a.test", "sel", k);
	struct verdict **v;
	size_t n = dkimcheck_verify((const uint8_t *)many, strlen(many), 0, s,
	                            ss_time_make(T0 + 60, 0), mx(), &v);
	CHECK(n == DKIMCHECK_MAX_SIGS + 1);
	int pass = 0;
	for (size_t i = 0; i < n; i++)
		pass += v[i]->result == V_PASS;
	CHECK(pass == DKIMCHECK_MAX_SIGS);
	CHECK(n == DKIMCHECK_MAX_SIGS + 1 && v[DKIMCHECK_MAX_SIGS]->result == V_UNKNOWN &&
	      starts(v[DKIMCHECK_MAX_SIGS]->reason, "not checked"));
	verdicts_free(v, n);
	free(many);
	/* 100 signatures naming 200 fields each, over 600 fields: more
	 * comparisons than DKIMCHECK_MAX_WORK */
	many = malloc(100 * 1100 + 600 * 16 + strlen(m) + 1);
	p = many;
	for (int i = 0; i < 100; i++) {
		p += sprintf(p, "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=sel; bh=AAAA; "
		                "b=AAAA; h=from");
		for (int f = 0; f < 199; f++)
			p += sprintf(p, ":x");
		p += sprintf(p, "\r\n");
	}
	for (int f = 0; f < 600; f++)
		p += sprintf(p, "X: %d\r\n", f);
	strcpy(p, m);
	n = dkimcheck_verify((const uint8_t *)many, strlen(many), 0, s, ss_time_make(T0 + 60, 0),
	                     mx(), &v);
	CHECK(n == 101 && v[0]->result == V_UNKNOWN &&
	      strstr(v[0]->reason, "more than smtpsniff hands libopendkim"));
	verdicts_free(v, n);
	free(many);
	dns_store_free(s);
	free(m);
}

/* ------------------------------------------------------------------ */
/* 4. Tag lists and key records, against RFC 6376 3.2 and 3.6.1       */
/* ------------------------------------------------------------------ */

static const char *tags(const char *text, size_t *n)
{
	static struct dkimtags t;
	const char *err = dkimtags_parse(&t, (const uint8_t *)text, strlen(text));
	*n = t.n;
	return err;
}

static void tag_lists(void)
{
	size_t n;
	/* 3.2: FWS (folding included) around names, "=" and values; an
	 * optional final ";" */
	CHECK(!tags("v=1; a=rsa-sha256;\r\n\tb=ab\r\n cd;", &n) && n == 3);
	struct dkimtags t;
	const char *txt = " b = ab \r\n\t cd ; ";
	CHECK(!dkimtags_parse(&t, (const uint8_t *)txt, strlen(txt)) && t.n == 1);
	char sq[16];
	CHECK(dkimtags_squeeze(&t.tag[0], sq, sizeof sq) == 4 && !strcmp(sq, "abcd"));
	CHECK(t.tag[0].val_len == strlen("ab \r\n\t cd")); /* inner FWS kept, outer trimmed */
	CHECK(dkimtags_squeeze(&t.tag[0], sq, 4) == -1);   /* does not fit */
	CHECK(!tags("a=1;;b=2", &n) && n == 2);            /* empty tag-spec tolerated */
	CHECK(!tags("a=", &n) && n == 1);                  /* an empty value is a value */
	CHECK(tags("", &n) && tags(" ; ", &n));            /* no tag at all */
	CHECK(tags("a=1; a=2", &n) != NULL);               /* duplicate */
	CHECK(!tags("a=1; A=2", &n) && n == 2);            /* names are case-sensitive */
	CHECK(tags("1a=1", &n) && tags("a-b=1", &n) && tags("a b=1", &n) && tags("a", &n));
	CHECK(tags("a=\x80", &n) && tags("a=x\001y", &n)); /* VALCHAR is printable ASCII */
	char many[1024] = "";
	for (int i = 0; i < DKIMTAGS_MAX + 1; i++)
		sprintf(many + strlen(many), "t%d=1;", i);
	CHECK(tags(many, &n) && n == DKIMTAGS_MAX);

	/* 3.6.1: v= first and DKIM1, k= defaults to rsa, p= empty: revoked;
	 * unknown tags and n= are left out of the compact form */
	struct dkimkey k;
	const char *rec = "v=DKIM1; k=ed25519; n=a note; x_future=1; "
	                  "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == 0 &&
	      k.type == DKIMKEY_ED25519 && k.bits == 256 &&
	      !strcmp(k.compact,
	              "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
	dkimkey_free(&k);
	rec = "k=rsa; v=DKIM1; p=";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == -1);
	dkimkey_free(&k);
	rec = "v=DKIM2; p=";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == -1);
	dkimkey_free(&k);
	rec = "p=";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == 0 && k.revoked &&
	      k.type == DKIMKEY_RSA);
	dkimkey_free(&k);
	rec = "v=DKIM1; k=dsa; p=AAAA";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == -1);
	dkimkey_free(&k);
	rec = "v=DKIM1; k=rsa; p=not*base64";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == -1);
	dkimkey_free(&k);
	rec = "v=DKIM1; k=rsa";
	CHECK(dkimkey_parse(&k, (const uint8_t *)rec, strlen(rec)) == -1);
	dkimkey_free(&k);
}

/* dkimkey.c keeps the outcome of the last RSA keys it decoded (OpenSSL
 * 3.0's decoding is most of a signature's cost): a key met again, after
 * others pushed it out or not, must come out as decoding it anew does -
 * bits, form, the SubjectPublicKeyInfo made of a PKCS#1 key, the compact
 * form, and the words for a p= that is no key. */
static int same_key(const struct dkimkey *a, const struct dkimkey *b)
{
	return a->bits == b->bits && a->form == b->form && a->type == b->type &&
	       !strcmp(a->unusable, b->unusable) && !strcmp(a->compact, b->compact) &&
	       !a->spki == !b->spki && (!a->spki || !strcmp(a->spki, b->spki));
}

static void key_memo(const struct key *k)
{
	char *pkcs1 = pkcs1_of(k->p);
	char recs[3][2048];
	snprintf(recs[0], sizeof recs[0], "v=DKIM1; k=rsa; p=%s", k->p);
	snprintf(recs[1], sizeof recs[1], "v=DKIM1; k=rsa; p=%s", pkcs1);
	snprintf(recs[2], sizeof recs[2], "v=DKIM1; k=rsa; p=AAAAAAAAAAAAAAAAAAAA"); /* no key */
	struct dkimkey first[3], again;
	for (int i = 0; i < 3; i++)
		CHECK(dkimkey_parse(&first[i], (const uint8_t *)recs[i], strlen(recs[i])) == 0);
	CHECK(first[0].bits == 2048 && first[1].form == DKIMKEY_PKCS1 && first[1].spki &&
	      !strcmp(first[1].spki, k->p) && first[2].bits == 0 && first[2].unusable[0]);
	/* more keys than the memo holds, then the first three again, twice */
	struct key many[10];
	for (int i = 0; i < 10; i++) {
		many[i] = keygen(0, 1024);
		char rec[2048];
		snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", many[i].p);
		CHECK(dkimkey_parse(&again, (const uint8_t *)rec, strlen(rec)) == 0 &&
		      again.bits == 1024 && again.form == DKIMKEY_SPKI);
		dkimkey_free(&again);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 3; i++) {
			CHECK(dkimkey_parse(&again, (const uint8_t *)recs[i], strlen(recs[i])) ==
			          0 &&
			      same_key(&first[i], &again));
			dkimkey_free(&again);
		}
	for (int i = 0; i < 10; i++)
		key_free(&many[i]);
	for (int i = 0; i < 3; i++)
		dkimkey_free(&first[i]);
	free(pkcs1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_dkim SRCDIR SHAREDDIR\n");
		return 2;
	}
	const char *src = argv[1];
	char dir[4096];
	setvbuf(stdout, NULL, _IOLBF, 0);
	record_sink_add(sink, NULL);
	static const char *const scenarios[] = {"scenario3-1", "scenario3-2", "scenario4-1",
	                                        "scenario4-2", "scenario4-3", "scenario4-4"};
	for (int set = 0; set < 2; set++) {
		snprintf(dir, sizeof dir, "%s/pcaps%s", src, set ? "/opendkim" : "");
		for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
			lab_capture(dir, scenarios[i]);
	}
	record_sink_clear();

	rfc8463(src);
	tag_lists();

	signer = dkim_init(NULL, NULL);
	struct key rsa2048 = keygen(0, 2048), other = keygen(0, 2048), rsa4096 = keygen(0, 4096),
	           ed = keygen(1, 256), ed2 = keygen(1, 256);
	key_sizes();
	tampering(&rsa2048, &other);
	times(&rsa2048);
	two_signatures(&rsa2048, &ed, &ed2);
	body_length(&rsa2048);
	canonicalization(&rsa2048);
	long_records(&rsa4096);
	rfc8301(&rsa2048);
	key_type_mismatch(&ed);
	key_forms(&rsa2048, &ed);
	key_memo(&rsa2048);
	caps(&rsa2048);
	key_free(&rsa2048);
	key_free(&other);
	key_free(&rsa4096);
	key_free(&ed);
	key_free(&ed2);
	dkim_close(signer);

	/* libopendkim never tried its own resolver */
	printf("libopendkim resolver calls: %lu\n", dkimcheck_resolver_calls());
	CHECK(dkimcheck_resolver_calls() == 0);
	dkimcheck_shutdown();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
