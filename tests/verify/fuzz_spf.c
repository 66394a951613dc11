/* fuzz_spf.c - spf_check() under a fuzzer: the input is SPF record text,
 * put into a DNS store as the TXT records of fixed names, and checked for a
 * fixed client and sender. It must end quickly (include and redirect loops
 * stop at the lookup limit) and never crash, whatever the records say.
 *
 * Input: byte 0 chooses the case (bit 0: an IPv6 client; bit 1: the HELO
 * identity; bit 2: the null sender; bit 3: an IPv4-mapped client), the rest
 * is cut on "\xff\xfe" into records: the first is fuzz.test's TXT, the k-th
 * that of k.fuzz.test (up to FUZZ_NAMES); "\xff\xfd" inside one splits it
 * into several TXT records at the same name, and character-strings are cut
 * every 255 bytes (RFC 7208 3.3 joins them again). A zone file for
 * fuzz.test gives the names around them (addresses, MX, PTR) and makes
 * every other name under fuzz.test NXDOMAIN, so evaluation goes deep.
 *
 * The zone is read once: each input's store gets the zone file's SOA with
 * dns_store_zone() (so fuzz.test is a zone, its other names NXDOMAIN) and
 * copies of its other RRsets with dns_store_put() under the same zone
 * file's name - the answers dns_store_zone() would make of the whole file,
 * without parsing it again for every input (that was a third of the time).
 */
#define _DEFAULT_SOURCE
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spf.h"
#include "verdict.h"

#define FUZZ_NAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_soa[] = "$ORIGIN fuzz.test.\n$TTL 300\n"
                               "@ IN SOA ns.fuzz.test. host.fuzz.test. 1 3600 600 86400 300\n";
static const char zone_rest[] =
    "$ORIGIN fuzz.test.\n$TTL 300\n"
    "@ IN A 192.0.2.1\n@ IN AAAA 2001:db8::1\n@ IN MX 10 mx.fuzz.test.\n"
    "@ IN MX 20 mx2.fuzz.test.\n"
    "mx IN A 192.0.2.2\nmx IN AAAA 2001:db8::2\nmx2 IN A 198.51.100.7\n"
    "fuzz.test.ok IN A 127.0.0.2\n"
    "1.2.0.192 IN A 127.0.0.2\nexp IN TXT \"%{i} is not %{p} of %{d} at %{t} by %{r} %{L}\"\n"
    "loop IN CNAME loop.fuzz.test.\n"
    "1.fuzz.test.bl IN A 127.0.0.2\n";

static char zone_path[64];

/* The zone file (its SOA), written once per process. */
static const char *zone_file(void)
{
	if (zone_path[0])
		return zone_path;
	snprintf(zone_path, sizeof zone_path, "/tmp/ss-fuzz-spf-XXXXXX");
	int fd = mkstemp(zone_path);
	if (fd < 0) {
		zone_path[0] = 0;
		return NULL;
	}
	if (write(fd, zone_soa, sizeof zone_soa - 1) != (ssize_t)(sizeof zone_soa - 1))
		zone_path[0] = 0;
	close(fd);
	return zone_path[0] ? zone_path : NULL;
}

/* The zone's other RRsets, as dns_store_zone() groups them: sorted, one
 * set per owner and type. */
#define MAX_SETS 32
static struct {
	char *owner;
	uint16_t type;
	ldns_rr_list *rrs;
} sets[MAX_SETS];
static size_t nsets;
static ldns_rr_list *ptrs; /* the client's names */

static void zone_sets(void)
{
	FILE *fp = fmemopen((void *)zone_rest, sizeof zone_rest - 1, "r");
	ldns_zone *z = NULL;
	if (!fp ||
	    ldns_zone_new_frm_fp_l(&z, fp, NULL, 3600, LDNS_RR_CLASS_IN, NULL) != LDNS_STATUS_OK)
		abort();
	fclose(fp);
	ldns_rr_list *all = ldns_rr_list_clone(ldns_zone_rrs(z));
	ldns_rr_list_sort(all);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(all, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		if (!nsets || type != sets[nsets - 1].type ||
		    strcmp(owner, sets[nsets - 1].owner)) {
			if (nsets == MAX_SETS)
				abort();
			sets[nsets].owner = owner;
			sets[nsets].type = type;
			sets[nsets++].rrs = ldns_rr_list_new();
		} else {
			free(owner);
		}
		ldns_rr_list_push_rr(sets[nsets - 1].rrs, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(all);
	ldns_zone_deep_free(z);

	ptrs = ldns_rr_list_new();
	static const char *const names[] = {"mx.fuzz.test.", "fuzz.test.", "other.fuzz.test."};
	for (size_t i = 0; i < 3; i++) {
		char line[128];
		ldns_rr *rr = NULL;
		snprintf(line, sizeof line, "x. 300 IN PTR %s", names[i]);
		if (ldns_rr_new_frm_str(&rr, line, 300, NULL, NULL) == LDNS_STATUS_OK)
			ldns_rr_list_push_rr(ptrs, rr);
	}
}

static void cleanup(void)
{
	if (zone_path[0])
		unlink(zone_path);
	for (size_t i = 0; i < nsets; i++) {
		free(sets[i].owner);
		ldns_rr_list_deep_free(sets[i].rrs);
	}
	ldns_rr_list_deep_free(ptrs);
}

/* One TXT RR of p[0..n), its strings cut at 255 bytes. */
static ldns_rr *txt_rr(const char *owner, const uint8_t *p, size_t n)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 300);
	size_t o = 0;
	do {
		size_t l = n - o > 255 ? 255 : n - o;
		uint8_t buf[256];
		buf[0] = (uint8_t)l;
		memcpy(buf + 1, p + o, l);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, l + 1, buf));
		o += l;
	} while (o < n);
	return rr;
}

/* Where the next "\xff" sep pair is in p[i..n), or n. */
static size_t find_sep(const uint8_t *p, size_t n, size_t i, uint8_t sep)
{
	for (size_t k = i; k + 1 < n; k++)
		if (p[k] == 0xff && p[k + 1] == sep)
			return k;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		once = 1;
		zone_sets();
		atexit(cleanup);
	}
	struct dns_store *s = dns_store_new();
	const char *zone = zone_file();
	char err[300];
	if (!s || !zone || dns_store_zone(s, zone, err, sizeof err)) {
		fprintf(stderr, "fuzz_spf: cannot set up: %s\n", zone ? err : "no zone file");
		abort();
	}
	for (size_t i = 0; i < nsets; i++)
		dns_store_put(s, sets[i].owner, sets[i].type, DNS_DATA,
		              ldns_rr_list_clone(sets[i].rrs), zone);
	uint8_t flags = size ? data[0] : 0;
	const uint8_t *p = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;
	/* each record in its own allocation, so a read past it is seen */
	size_t k = 0;
	for (size_t i = 0; i <= n && k < FUZZ_NAMES; k++) {
		size_t e = find_sep(p, n, i, 0xfe);
		char owner[64];
		if (k)
			snprintf(owner, sizeof owner, "%zu.fuzz.test", k);
		else
			snprintf(owner, sizeof owner, "fuzz.test");
		ldns_rr_list *l = ldns_rr_list_new();
		for (size_t j = i; j <= e;) {
			size_t f = find_sep(p, e, j, 0xfd);
			uint8_t *own = malloc(f - j + 1);
			if (f > j)
				memcpy(own, p + j, f - j);
			ldns_rr_list_push_rr(l, txt_rr(owner, own, f - j));
			free(own);
			j = f + 2;
		}
		dns_store_put(s, owner, LDNS_RR_TYPE_TXT, DNS_DATA, l, "fuzz");
		i = e + 2;
	}
	struct ss_addr c4 = {SS_AF_INET, {192, 0, 2, 1}}, asker = {SS_AF_INET, {192, 0, 2, 254}};
	struct ss_addr c6 = {SS_AF_INET6,
	                     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	struct ss_addr mapped = {SS_AF_INET6,
	                         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2}};
	/* the client's names: fuzz.test (which has its address) and two more */
	ldns_rr_list *pl = ldns_rr_list_clone(ptrs), *pl6 = ldns_rr_list_clone(ptrs);
	dns_store_put(s, "1.2.0.192.in-addr.arpa", LDNS_RR_TYPE_PTR, DNS_DATA, pl, "fuzz");
	dns_store_put(s, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	              LDNS_RR_TYPE_PTR, DNS_DATA, pl6, "fuzz");
	const struct ss_addr *client = flags & 8 ? &mapped : flags & 1 ? &c6 : &c4;
	struct verdict *v = spf_check(s, (int64_t)1400000000 * 1000000000, &asker, client,
	                              flags & 4 ? "" : "user.name+tag@fuzz.test", "fuzz.test",
	                              "mx.b.test", flags & 2 ? SPF_HELO : SPF_MAILFROM);
	/* every part of the verdict is read, as a report would */
	size_t sum = 0;
	if (v) {
		sum += v->reason ? strlen(v->reason) : 0;
		for (size_t i = 0; i < v->nprops; i++)
			sum += strlen(v->props[i].key) + strlen(v->props[i].value);
		for (size_t i = 0; i < v->ndns; i++)
			sum += strlen(v->dns[i].question) + strlen(v->dns[i].answer) +
			       strlen(v->dns[i].source);
		if ((unsigned)v->result > V_UNKNOWN)
			abort();
		if (getenv("FUZZ_SPF_VERBOSE")) /* to see what the seeds reach */
			printf("%s: %s\n", v_result_name(v->result), v->reason ? v->reason : "");
	}
	verdict_free(v);
	dns_store_free(s);
	return sum == (size_t)-1;
}
