/* fuzz_dkim.c - DKIM verification (verify/dkimcheck.h) under a fuzzer: the
 * input is a message, checked against a store that holds the keys of the
 * lab (pass.dkim.a.test, y.test) and of RFC 8463 Appendix A, so that the
 * seeds (tests/fuzz/seeds/dkim/, made by tests/fuzz/mkseeds_dkim.py) go
 * all the way through the cryptography.
 *
 * The first byte chooses what the rest is:
 *   0  the message;
 *   1  the message, under a DKIM-Signature of pass.dkim.a.test;
 *   2  the value of a DKIM-Signature field, then the rest of the message;
 *   3  the message, marked incomplete;
 *   4  a key record up to the first LF, for smtpbook._domainkey.
 *      pass.dkim.a.test, then the message.
 * Every verdict must have a result in range and a reason; the input is
 * copied into a buffer of exactly its size so ASan sees any overread.
 */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkimcheck.h"
#include "sstime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lab's published keys (lab/keys/) and RFC 8463 A.2's. */
static const char *const keys[][2] = {
    {"smtpbook._domainkey.pass.dkim.a.test",
     "v=DKIM1; h=sha256; k=rsa; "
     "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArZJMRsbd4hWkfSGenTF0gPLWrDYy8UqtY1abFBsm2S8"
     "Lacbv6BQdfS8/r0tZSqP8J14tmMiPPOxJ2nj5F0k5ShJPJeB861RUDpr/DYqZ08GFK6HxtrZV8p2qjAyvIsGfMN2"
     "Sy3sbgafQyUCcLZrL7Btu5AIOOcumRSPKC2AS8r30VuP19KUrY0+8c9qS58y4/laH5lYOpRGCid6RbmZOoN1g03c"
     "aTiVruEUDXb8y8EtimPycCjRH6D55ccdW/xl/8wxJppNEiRK8tp/wOhKNqVOqDQJVWtfKi/FMCEaPp0tqDGi+D2K"
     "O/EWGG/d3fSbV3ROGHbdT0ak6azM6vbZRDQIDAQAB"},
    {"smtpbook._domainkey.y.test",
     "v=DKIM1; h=sha256; k=rsa; "
     "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyemQdVd/hUcU7FvrA/dQZJ0tBvEdlvT+yu0zY2pAyin"
     "VMZrVeN9pEb7QBhLa4EWujAeG5kLOTOxRgNdDH0Ei2HYbgn84AujeGzvXyW/f8TEMIxI5QiDppo/92sbVkWVO6sfv"
     "65egtedP7c6+vIBtxktjAMfK+vxGxQCgicCimcHyCQUYhZyD1qNkUxya/06WB/nTVzohsLU7P2LFevAGNPc5bDaqs"
     "mR4IKwh7ZNYYtrrtLOtEAhxc0GAiX3MEMmstt2DQQUhuvBD/ofibVXj/hgrlimOUlFypwRYNqFQoc8pfI0F03jW+c"
     "f6aPpHuF/6LR42OSPFYsA5ATxk68OTOwIDAQAB"},
    /* what the lab published for fail.dkim.a.test: a.test's key */
    {"smtpbook._domainkey.fail.dkim.a.test",
     "v=DKIM1; h=sha256; k=rsa; "
     "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAupr0zFFCalXZggB6kh7GZ71q/hS1hhMYdiIeAEmMPnY"
     "0MVIk6FMgodiV9R0PFgwWqT9CJYyzzGYJs7G+czi38KnKUT5qqcrtfyjyzwm6nxkGADQ2ZTQ1L32JvbgA3l3T+p/o"
     "4sHcailehP9K0FIP25jpqgIr7co+pyETUGyBbgc93Moblzmj7yRPC/zwuEf+yaikulX43JfEX1PiXj7Fh4pbCTr60"
     "zO7kDVLpKejfaDOEZbxTRTkGIDe7kG/5Qfez6y6pFuMuHCKqzUdYwWzubIAfjWrJgFITKX7eYf9vBtxRhvIHEeNRkYY"
     "EQ2DBcw2Shx7k6urKf8oh4084Z/20wIDAQAB"},
    {"brisbane._domainkey.football.example.com",
     "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
    {"test._domainkey.football.example.com",
     "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5q"
     "hdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4"
     "hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"},
};

/* A signature header for mode 1: the lab's scenario3-1 signature. */
static const char lab_sig[] =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=pass.dkim.a.test;\r\n"
    "\ts=smtpbook; t=1795447195;\r\n"
    "\tbh=0cPwY3b6ZQdO3p4zmItBjAXtjTIAKMfIuM/Lz2BgMWs=;\r\n"
    "\th=Date:From:To:Subject;\r\n"
    "\tb=TByxDPdh5/swwKWst2uC9plIfEb3vNwR1SSZzSwP3nfFViHWyEC8Hg9KnF90ekmkN\r\n"
    "\t kPYnSZz0BLi+VmDy6d2Rxjixqsj6RWd3Rr2nEiBSKooOe9F3uFcP9LrFB0GjVkSP28\r\n"
    "\t mkAFsUV0zbysdnU5gCYBiwZKDOBQ5EPmY1FkNqtzm2+y0r49Q7cw6jWskgFuKdZ3eL\r\n"
    "\t HMqlCYxsoc58GWi9xA1xGbczsvQcHkBtAmOvzczt/iphGvwMscKklOExqHsUUAMK3U\r\n"
    "\t 9tylwiYKSYfN2NvsNSaJc87UEiFv90pKYxmmi5fhdNzl9vgtyhT530z+00GozYSNBj\r\n"
    "\t Sw+rIChJ5a5Fg==\r\n";

/* A TXT record at name holding len arbitrary bytes, in strings of 255. */
static ldns_rr_list *txt(const char *name, const uint8_t *p, size_t len)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 3600);
	size_t o = 0;
	do {
		uint8_t s[256];
		size_t n = len - o > 255 ? 255 : len - o;
		s[0] = (uint8_t)n;
		if (n)
			memcpy(s + 1, p + o, n);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, s));
		o += n;
	} while (o < len);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr);
	return l;
}

static struct dns_store *store_new(const uint8_t *key, size_t keylen)
{
	struct dns_store *s = dns_store_new();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (key && i == 0)
			dns_store_put(s, keys[0][0], LDNS_RR_TYPE_TXT, DNS_DATA,
			              txt(keys[0][0], key, keylen), "fuzz");
		else
			dns_store_put(
			    s, keys[i][0], LDNS_RR_TYPE_TXT, DNS_DATA,
			    txt(keys[i][0], (const uint8_t *)keys[i][1], strlen(keys[i][1])),
			    "fuzz");
	}
	dns_store_put(s, "nx._domainkey.a.test", LDNS_RR_TYPE_TXT, DNS_NXDOMAIN, NULL, "fuzz");
	dns_store_put(s, "fail._domainkey.a.test", LDNS_RR_TYPE_TXT, DNS_SERVFAIL, NULL, "fuzz");
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_store *fixed;
	if (!fixed)
		fixed = store_new(NULL, 0);
	if (size == 0)
		return 0;
	unsigned mode = data[0] % 5;
	data++;
	size--;
	struct dns_store *s = fixed, *own = NULL;
	const char *prefix = mode == 1 ? lab_sig : mode == 2 ? "DKIM-Signature: " : "";
	if (mode == 4) {
		const uint8_t *lf = memchr(data, '\n', size);
		size_t k = lf ? (size_t)(lf - data) : size;
		s = own = store_new(data, k);
		data += lf ? k + 1 : k;
		size -= lf ? k + 1 : k;
	}
	size_t plen = strlen(prefix);
	uint8_t *msg = malloc(plen + size ? plen + size : 1);
	if (!msg)
		return 0;
	memcpy(msg, prefix, plen);
	if (size)
		memcpy(msg + plen, data, size);
	/* a day after the lab's signatures, years after RFC 8463's */
	int64_t ts = ss_time_make(1795447195 + 86400, 0);
	struct ss_addr asker = {SS_AF_INET, {192, 0, 2, 25}};
	struct verdict **v;
	size_t n = dkimcheck_verify(msg, plen + size, mode == 3, s, ts, &asker, &v);
	for (size_t i = 0; i < n; i++) {
		if (v[i]->result > V_UNKNOWN || !v[i]->reason || v[i]->method != V_DKIM)
			abort();
		if (mode == 3 && v[i]->result != V_UNKNOWN)
			abort();
		verdict_free(v[i]);
	}
	free(v);
	free(msg);
	dns_store_free(own);
	return 0;
}
