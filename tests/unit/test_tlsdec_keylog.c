/* test_tlsdec_keylog.c - the key log reader (dissect/keylog.c): OpenSSL's
 * own key logs (the .keylog files of tests/tls, as s_client -keylogfile wrote them),
 * then lines made to be wrong one way each - counted, the first one said
 * with its line and why, reading going on - the caps (bytes read, line
 * length), files read in pieces whose lines cross the pieces, and pcapng
 * secrets blocks.
 *
 * Usage: test_tlsdec_keylog TESTS_TLS_DIR
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "keylog.h"

static const char *dir;

#define R1 "62fd161db4ec6bd32445e41b37ccfe75299ba0139ee53edebfcab64df6af88a3"
#define R2 "dc900340f0b6d68045f7b0aa9a47d5094f98d83def5894bf11b7ca5149e9ea6a"
#define S48                                                                                        \
	"2efb3d636155b488ff6680ed4212e9ac8146fb12be3726d401b0a77673e698b420f87151b21d81f739654789" \
	"62"                                                                                       \
	"762087"
#define S32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static int has(const struct tls_keys *k, enum keylog_label l, const char *random, const char *sec)
{
	uint8_t r[32], want[KEYLOG_SECRET_MAX], got[KEYLOG_SECRET_MAX];
	unhex(random, r);
	size_t n = tls_keys_find(k, l, r, got);
	if (!sec)
		return n == 0;
	unhex(sec, want);
	return n == strlen(sec) / 2 && !memcmp(got, want, n);
}

static void add(struct tls_keys *k, const char *origin, const char *text)
{
	tls_keys_add(k, origin, (const uint8_t *)text, strlen(text));
}

/* OpenSSL's key log of a TLS 1.3 capture: a HelloRetryRequest session and
 * its resumption, five secrets each, and the comment OpenSSL starts with. */
static void openssl_log(void)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/tls13-hrr-resume.keylog", dir);
	struct tls_keys *k = tls_keys_new(0);
	CHECK(tls_keys_load(k, path, err, sizeof err) == 0);
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	CHECK(s.lines == 11 && s.secrets == 10 && s.sessions == 2 && s.comments == 1 && !s.bad);
	CHECK(has(k, KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET, R1, S48));
	CHECK(
	    has(k, KEYLOG_SERVER_TRAFFIC_SECRET_0, R1,
	        "b2e9aeb8999e4c35c37c7de5b24b5457c356519074ac43496247b4f786f8a4c9f601843d41f269e1b6"
	        "f25c9ec5ffb918"));
	CHECK(
	    has(k, KEYLOG_CLIENT_TRAFFIC_SECRET_0, R2,
	        "d7a69a2cc8a17bd22613820283c3bca48952423884de332a401874e98361020c1421793a39dfd0b7bf"
	        "761670402538e6"));
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, R1, NULL));
	CHECK(has(k, KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET, R2, NULL));
	/* OpenSSL 3 logs each KeyUpdate's secret as *_TRAFFIC_SECRET_N: unused
	 * (they are derived), not bad */
	snprintf(path, sizeof path, "%s/tls13-aes128-keyupdate.keylog", dir);
	CHECK(tls_keys_load(k, path, err, sizeof err) == 0);
	tls_keys_stats(k, &s);
	CHECK(s.lines == 20 && s.secrets == 15 && s.sessions == 3 && s.unused == 3 && !s.bad);
	/* the RSA line of an RSA key exchange is well-formed and unused */
	snprintf(path, sizeof path, "%s/tls12-rsa.keylog", dir);
	CHECK(tls_keys_load(k, path, err, sizeof err) == 0);
	tls_keys_stats(k, &s);
	CHECK(s.secrets == 16 && s.unused == 4 && !s.bad);
	/* a file that is not there: the path and the system's words */
	CHECK(tls_keys_load(k, "/nonexistent/k.log", err, sizeof err) == -1);
	CHECK(!strcmp(err, "/nonexistent/k.log: No such file or directory"));
	tls_keys_free(k);
}

/* One line wrong per way; the first bad one named; good lines around them
 * kept. */
static void bad_lines(void)
{
	struct tls_keys *k = tls_keys_new(0);
	add(k, "made.log",
	    "# comment\n"
	    "\n"
	    "   \t \r\n"
	    "CLIENT_RANDOM " R1 "\n"                                 /* 4: 2 fields */
	    "CLIENT_RANDOM " R2 " " S48 "\r\n"                       /* 5: good, CR LF */
	    "CLIENT_RANDOM 62fd161d " S48 "\n"                       /* 6: short random */
	    "CLIENT_RANDOM " R1 " " S32 "\n"                         /* 7: 32-byte master */
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " R1 " 0011223344\n"    /* 8: 5-byte secret */
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " R1 " " S32 "0\n"      /* 9: odd digits */
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " R1 " " S32 " extra\n" /* 10: 4 fields */
	    "client_random " R1 " " S48 "\n"                         /* 11: lower case */
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET\t" R1 "\t" S32 "\n"     /* 12: tabs: good */
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET " R1 " " S32 "\n"       /* 13: good */
	    "ECH_SECRET " R1 " " S32 "\n"                            /* 14: unused */
	    "CLIENT_RANDOM " R1 " zz" S48 "\n"                       /* 15: not hex */
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET " R1 " " S48 "\n"       /* 16: replaces 13 */
	    "EXPORTER_SECRET "
	    "62FD161DB4EC6BD32445E41B37CCFE75299BA0139EE53EDEBFCAB64DF6AF88A3 " S32);
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	CHECK(s.lines == 17);
	CHECK(s.comments == 1);
	CHECK(s.bad == 8);
	CHECK(s.unused == 1);
	CHECK(s.replaced == 1);
	CHECK(s.secrets == 4 && s.sessions == 2);
	CHECK(!strcmp(s.first_bad, "line 4 of made.log: 2 fields, not 3 (LABEL RANDOM SECRET)"));
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, R2, S48));
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, R1, NULL));
	CHECK(has(k, KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET, R1, S32));
	CHECK(has(k, KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET, R1, S48));
	CHECK(has(k, KEYLOG_EXPORTER_SECRET, R1, S32)); /* upper-case hex, no line end */
	char line[600];
	tls_keys_describe(k, line, sizeof line);
	CHECK(!strcmp(line,
	              "key log: 17 lines, 4 secrets for 2 sessions, 1 comments, 8 bad (line 4 "
	              "of made.log: 2 fields, not 3 (LABEL RANDOM SECRET)), 1 unused, 1 "
	              "replaced, 0 bytes cut"));
	tls_keys_free(k);

	/* each wrong way alone, for its words */
	static const struct {
		const char *line, *why;
	} one[] = {
	    {"CLIENT_RANDOM 62fd161d " S48,
	     "the client random is not 64 hex digits (8 characters)"},
	    {"CLIENT_RANDOM " R1 " " S32, "a master secret of 32 bytes, not 48"},
	    {"CLIENT_TRAFFIC_SECRET_0 " R1 " 0011223344",
	     "a secret of 5 bytes: TLS 1.3's are 32 or 48 (SHA-256, SHA-384)"},
	    {"CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 "0", "the secret is not in hex"},
	    {"CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 " x",
	     "more than 3 fields (LABEL RANDOM SECRET)"},
	    {"Client_Random " R1 " " S48,
	     "not a key log line (an unknown label, or fields not in hex)"},
	};
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
		k = tls_keys_new(0);
		add(k, "x", one[i].line);
		tls_keys_stats(k, &s);
		char want[400];
		snprintf(want, sizeof want, "line 1 of x: %s", one[i].why);
		CHECK(s.bad == 1 && !strcmp(s.first_bad, want));
		if (strcmp(s.first_bad, want))
			printf("  got \"%s\"\n", s.first_bad);
		tls_keys_free(k);
	}
}

/* The caps: bytes read in all (the line the cap cuts is not read), and a
 * line over KEYLOG_LINE_MAX. */
static void caps(void)
{
	const char *l1 = "CLIENT_RANDOM " R1 " " S48 "\n"; /* 176 bytes */
	struct tls_keys *k = tls_keys_new(200);
	add(k, "a", l1);
	add(k, "b", l1);
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	CHECK(s.secrets == 1 && s.replaced == 0 && s.lines == 1);
	CHECK(s.cut_bytes == 2 * strlen(l1) - 200);
	tls_keys_free(k);

	char *big = malloc(4 * KEYLOG_LINE_MAX);
	memset(big, 'A', 2 * KEYLOG_LINE_MAX);
	big[2 * KEYLOG_LINE_MAX] = '\n';
	strcpy(big + 2 * KEYLOG_LINE_MAX + 1, l1);
	k = tls_keys_new(0);
	add(k, "long", big);
	tls_keys_stats(k, &s);
	CHECK(s.lines == 2 && s.bad == 1 && s.secrets == 1);
	CHECK(!strcmp(s.first_bad, "line 1 of long: a line of more than 1024 bytes"));
	tls_keys_free(k);
	free(big);
}

/* A file of many sessions, read in 64K pieces: lines cross the pieces.
 * Every session is there, and the cap in bytes is kept to the byte. */
static void big_file(void)
{
	char path[] = "/tmp/test_tlsdec_keylog.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	const int n = 3000;
	for (int i = 0; i < n; i++)
		fprintf(f, "CLIENT_RANDOM %064x " S48 "\n", i);
	fclose(f);
	struct tls_keys *k = tls_keys_new(0);
	char err[256];
	CHECK(tls_keys_load(k, path, err, sizeof err) == 0);
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	CHECK(s.secrets == (uint64_t)n && s.sessions == (uint64_t)n && !s.bad &&
	      s.lines == (uint64_t)n);
	char r[65];
	snprintf(r, sizeof r, "%064x", 2999);
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, r, S48));
	snprintf(r, sizeof r, "%064x", 3000);
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, r, NULL));
	tls_keys_free(k);
	/* a cap inside the file: whole lines before it, the rest counted */
	const size_t ll = 14 + 64 + 1 + 96 + 1;
	k = tls_keys_new(100 * ll + 50);
	CHECK(tls_keys_load(k, path, err, sizeof err) == 0);
	tls_keys_stats(k, &s);
	CHECK(s.secrets == 100 && !s.bad && s.cut_bytes == n * ll - (100 * ll + 50));
	tls_keys_free(k);
	unlink(path);
}

/* pcapng Decryption Secrets Blocks, as capture/ngsecrets.c hands them
 * over: each one a source of its own, named in the words. */
static void blocks(void)
{
	struct tls_keys *k = tls_keys_new(0);
	const char *t = "CLIENT_RANDOM " R1 " " S48; /* the last line end may be missing */
	tls_keys_dsb(k, (const uint8_t *)t, strlen(t));
	const char *bad = "CLIENT_RANDOM 00\n";
	tls_keys_dsb(k, (const uint8_t *)bad, strlen(bad));
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	CHECK(s.blocks == 2 && s.secrets == 1 && s.bad == 1);
	CHECK(!strcmp(s.first_bad, "line 1 of pcapng secrets block 2: 2 fields, not 3 (LABEL "
	                           "RANDOM SECRET)"));
	CHECK(has(k, KEYLOG_CLIENT_RANDOM, R1, S48));
	char line[600];
	tls_keys_describe(k, line, sizeof line);
	CHECK(!strncmp(line, "key log (2 pcapng secrets blocks): 2 lines, 1 secrets", 52));
	tls_keys_free(k);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tlsdec_keylog TESTS_TLS_DIR\n");
		return 2;
	}
	dir = argv[1];
	openssl_log();
	bad_lines();
	caps();
	big_file();
	blocks();
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
