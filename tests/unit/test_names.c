/* test_names.c - report/names.c: which source names an address (a --hosts
 * file over --zone files over the capture's answers over syslog senders),
 * --names=a against ptr, a name shown is kept, names_freeze(), syslog
 * relays, and what a hosts file line and a syslog HOSTNAME must look like.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "names.h"

static char dir[] = "/tmp/test_names.XXXXXX";

static struct ss_addr v4(int a, int b, int c, int d)
{
	struct ss_addr x;
	memset(&x, 0, sizeof x);
	x.family = SS_AF_INET;
	x.b[0] = (uint8_t)a;
	x.b[1] = (uint8_t)b;
	x.b[2] = (uint8_t)c;
	x.b[3] = (uint8_t)d;
	return x;
}

/* A captured response whose answer section holds the records rr[]. */
static void answer(const char *const *rr, size_t n)
{
	ldns_pkt *p = ldns_pkt_new();
	for (size_t i = 0; i < n; i++) {
		ldns_rr *r = NULL;
		if (ldns_rr_new_frm_str(&r, rr[i], 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, r);
		else
			CHECK(!"a test record does not parse");
	}
	struct rec_dns d;
	memset(&d, 0, sizeof d);
	d.response = p;
	names_learn(&d);
	ldns_pkt_free(p);
}

static void one(const char *rr)
{
	answer(&rr, 1);
}

static void syslog_from(struct ss_addr a, const char *host)
{
	struct ss_str h = {(const uint8_t *)host, strlen(host)};
	names_learn_log(&a, &h);
}

static int is(struct ss_addr a, const char *want)
{
	const char *n = names_get(&a);
	if (!want)
		return n == NULL;
	if (!n || strcmp(n, want)) {
		printf("  got %s, want %s\n", n ? n : "(none)", want);
		return 0;
	}
	return 1;
}

/* A file in dir holding text; its path. */
static const char *file(const char *name, const char *text)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	snprintf(p, 256, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

/* Each source over the ones after it, whatever the order they come in. */
static void test_precedence(void)
{
	char err[300];
	const char *hosts = file("hosts", "192.0.2.5 from-hosts.example alias\n");
	const char *zone = file("z.zone", "$ORIGIN example.\n$TTL 60\n"
	                                  "@ IN SOA ns.example. a.example. 1 2 3 4 5\n"
	                                  "from-zone IN A 192.0.2.4\n"
	                                  "also-zone IN A 192.0.2.5\n"
	                                  "first IN A 192.0.2.6\n"
	                                  "second IN A 192.0.2.6\n");
	CHECK(names_setup(0, hosts, &zone, 1, err, sizeof err) == 0);
	struct ss_addr a1 = v4(192, 0, 2, 1), a2 = v4(192, 0, 2, 2), a3 = v4(192, 0, 2, 3);
	struct ss_addr a4 = v4(192, 0, 2, 4), a5 = v4(192, 0, 2, 5), a6 = v4(192, 0, 2, 6);
	syslog_from(a1, "from-syslog.example");
	syslog_from(a2, "from-syslog.example");
	one("from-capture.example. 60 IN A 192.0.2.2");
	syslog_from(a3, "late-syslog.example");
	one("3.2.0.192.in-addr.arpa. 60 IN PTR from-ptr.example.");
	one("from-a.example. 60 IN A 192.0.2.3"); /* a PTR came: an A does not replace it */
	one("captured.example. 60 IN A 192.0.2.4");
	one("4.2.0.192.in-addr.arpa. 60 IN PTR captured-ptr.example.");
	syslog_from(a5, "syslog5.example");
	one("captured5.example. 60 IN A 192.0.2.5");
	CHECK(is(a1, "from-syslog.example"));
	CHECK(is(a2, "from-capture.example"));
	CHECK(is(a3, "from-ptr.example"));
	CHECK(is(a4, "from-zone.example")); /* the owner, under $ORIGIN */
	CHECK(is(a5, "from-hosts.example"));
	CHECK(is(a6, "first.example")); /* a zone's first A record */
	CHECK(names_count() == 6);
	names_free();
}

/* --names=a: an A owner over a PTR target, in the capture and in zones. */
static void test_prefer_a(void)
{
	char err[300];
	const char *zone = file("r.zone", "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 60\n"
	                                  "@ IN SOA ns.example. a.example. 1 2 3 4 5\n"
	                                  "9 IN PTR zone-ptr.example.\n"
	                                  "$ORIGIN example.\n"
	                                  "zone-a IN A 192.0.2.9\n");
	for (int pref = 0; pref < 2; pref++) {
		CHECK(names_setup(pref, NULL, &zone, 1, err, sizeof err) == 0);
		struct ss_addr a = v4(192, 0, 2, 3);
		one("3.2.0.192.in-addr.arpa. 60 IN PTR ptr.example.");
		one("a.example. 60 IN A 192.0.2.3");
		one("later-a.example. 60 IN A 192.0.2.3"); /* the latest answer wins */
		CHECK(is(a, pref ? "later-a.example" : "ptr.example"));
		CHECK(is(v4(192, 0, 2, 9), pref ? "zone-a.example" : "zone-ptr.example"));
		names_free();
	}
}

/* A name once shown is the address's for the run; names_freeze() fixes
 * every name known, and names only what has none. */
static void test_kept(void)
{
	struct ss_addr a = v4(198, 51, 100, 1), b = v4(198, 51, 100, 2), c = v4(198, 51, 100, 3);
	one("first.example. 60 IN A 198.51.100.1");
	CHECK(is(a, "first.example"));
	unsigned long g = names_generation();
	one("1.100.51.198.in-addr.arpa. 60 IN PTR better.example.");
	CHECK(is(a, "first.example"));
	CHECK(names_generation() == g); /* nothing changed */
	one("b.example. 60 IN A 198.51.100.2");
	CHECK(names_generation() != g);
	names_freeze();
	one("2.100.51.198.in-addr.arpa. 60 IN PTR after-freeze.example.");
	CHECK(is(b, "b.example"));
	/* a new address after the freeze: named, and better names still
	 * come until it is shown */
	syslog_from(c, "c-syslog.example");
	one("c.example. 60 IN A 198.51.100.3");
	CHECK(is(c, "c.example"));
	one("3.100.51.198.in-addr.arpa. 60 IN PTR c-ptr.example.");
	CHECK(is(c, "c.example"));
	names_free();
	CHECK(is(a, NULL));
}

/* A sender whose lines give two host names passes on others' lines. */
static void test_relay(void)
{
	struct ss_addr r = v4(203, 0, 113, 1), h = v4(203, 0, 113, 2), s = v4(203, 0, 113, 3);
	syslog_from(r, "one.example");
	syslog_from(r, "two.example");
	syslog_from(r, "one.example");
	CHECK(is(r, NULL));
	syslog_from(h, "Host.Example");
	syslog_from(h, "host.example"); /* the same name in another case */
	CHECK(is(h, "Host.Example"));
	/* shown before the second name came: it stays */
	syslog_from(s, "shown.example");
	CHECK(is(s, "shown.example"));
	syslog_from(s, "other.example");
	CHECK(is(s, "shown.example"));
	CHECK(names_count() == 2);
	names_free();
}

/* RFC 1123 host names only: not the loopback's, not an address. */
static void test_syslog_names(void)
{
	static const struct {
		const char *host;
		int ok;
	} cases[] = {
	    {"dns.test", 1},
	    {"mail", 1},
	    {"a-b.example", 1},
	    {"x1.example", 1},
	    {"localhost", 0},
	    {"LOCALHOST.localdomain", 0},
	    {"10.1.2.3", 0},
	    {"-", 0},
	    {"", 0},
	    {"a..b", 0},
	    {"-a.example", 0},
	    {"a-.example", 0},
	    {"under_score.test", 0},
	    {"fe80::1", 0},
	    {"a.example.", 0},
	    {"sp ace.example", 0},
	    {"1.2.3.4.example", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ss_addr a = v4(192, 0, 2, (int)(100 + i));
		syslog_from(a, cases[i].host);
		const char *n = names_get(&a);
		if (!CHECK((n != NULL) == cases[i].ok))
			printf("  HOSTNAME '%s'\n", cases[i].host);
	}
	char long_label[80];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".example");
	syslog_from(v4(192, 0, 2, 99), long_label); /* a label over 63 */
	CHECK(is(v4(192, 0, 2, 99), NULL));
	syslog_from(v4(0, 0, 0, 0), "unspecified.example");
	CHECK(is(v4(0, 0, 0, 0), NULL));
	names_free();
}

/* /etc/hosts: comments, aliases, IPv6, a trailing dot, CRLF; bad lines
 * skipped and the rest read; a line too long; a missing file. */
static void test_hosts_file(void)
{
	char err[300];
	char big[NAMES_HOSTS_LINE_MAX + 100];
	memset(big, 'x', sizeof big);
	memcpy(big, "192.0.2.77 ", 11);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = 0;
	char *text = NULL;
	if (asprintf(&text,
	             "# a comment\n"
	             "\n"
	             "   192.0.2.1   one.example   alias1 alias2  # trailing comment\n"
	             "192.0.2.1 again.example\n"
	             "bogus.example 192.0.2.2\n"
	             "192.0.2.3\n"
	             "2001:db8::1 six.example.\r\n"
	             "192.0.2.4 bad/name\n"
	             "%s"
	             "0.0.0.0 blocked.example\n"
	             "192.0.2.5 last.example",
	             big) < 0)
		return;
	const char *path = file("hosts2", text);
	free(text);
	CHECK(names_load_hosts(path, err, sizeof err) == 0);
	struct ss_addr six;
	memset(&six, 0, sizeof six);
	six.family = SS_AF_INET6;
	six.b[0] = 0x20;
	six.b[1] = 0x01;
	six.b[2] = 0x0d;
	six.b[3] = 0xb8;
	six.b[15] = 1;
	CHECK(is(v4(192, 0, 2, 1), "one.example"));
	CHECK(is(six, "six.example"));
	CHECK(is(v4(192, 0, 2, 2), NULL));
	CHECK(is(v4(192, 0, 2, 3), NULL));
	CHECK(is(v4(192, 0, 2, 4), NULL));
	CHECK(is(v4(192, 0, 2, 77), NULL));
	CHECK(is(v4(0, 0, 0, 0), NULL));
	CHECK(is(v4(192, 0, 2, 5), "last.example"));
	CHECK(names_count() == 3);
	names_free();
	snprintf(err, sizeof err, "-");
	CHECK(names_load_hosts("/nonexistent/hosts", err, sizeof err) == -1);
	CHECK(strstr(err, "/nonexistent/hosts: ") != NULL);
	const char *bad = file("bad.zone", "not a zone\n");
	CHECK(names_load_zone(bad, err, sizeof err) == -1);
	CHECK(strstr(err, "bad.zone:") != NULL);
	names_free();
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_precedence();
	test_prefer_a();
	test_kept();
	test_relay();
	test_syslog_names();
	test_hosts_file();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		printf("could not remove %s\n", dir);
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
