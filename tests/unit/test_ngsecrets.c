/* test_ngsecrets.c - TLS key logs out of pcapng Decryption Secrets Blocks
 * (capture/ngsecrets.h), against what editcap was given: the capture
 * tests/tls/tls13-hrr-resume-dsb.pcapng was made with
 *   editcap --inject-secrets tls,tls13-hrr-resume.keylog \
 *           tls13-hrr-resume.pcap tls13-hrr-resume-dsb.pcapng
 * so the secrets read back must be that key log, byte for byte. A classic
 * pcap has none; a block whose length the file cannot hold is said. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ngsecrets.h"

static char got[65536];
static size_t ngot;

static void take(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	if (ngot + n <= sizeof got) {
		memcpy(got + ngot, p, n);
		ngot += n;
	}
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(buf, 1, cap, fp) : 0;
	if (fp)
		fclose(fp);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_ngsecrets TESTS/TLS\n");
		return 2;
	}
	char path[4096], why[256], want[65536];
	snprintf(path, sizeof path, "%s/tls13-hrr-resume-dsb.pcapng", argv[1]);
	long n = ng_secrets_read(path, take, NULL, why, sizeof why);
	snprintf(path, sizeof path, "%s/tls13-hrr-resume.keylog", argv[1]);
	size_t nwant = slurp(path, want, sizeof want);
	CHECK(n == 1 && why[0] == 0);
	CHECK(nwant > 0 && ngot == nwant && !memcmp(got, want, nwant));

	/* a classic pcap: not pcapng, nothing found */
	ngot = 0;
	snprintf(path, sizeof path, "%s/tls13-hrr-resume.pcap", argv[1]);
	CHECK(ng_secrets_read(path, take, NULL, why, sizeof why) == 0 && ngot == 0);

	/* the DSB's length made larger than the file: said, nothing handed */
	snprintf(path, sizeof path, "%s/tls13-hrr-resume-dsb.pcapng", argv[1]);
	static char buf[65536];
	size_t len = slurp(path, buf, sizeof buf);
	char tmp[] = "/tmp/test_ngsecrets.XXXXXX";
	int fd = mkstemp(tmp);
	FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
	/* the DSB follows the section header (its length at offset 4) */
	uint32_t shb = (uint32_t)(uint8_t)buf[4] | (uint32_t)(uint8_t)buf[5] << 8;
	CHECK(len > shb + 12 && buf[shb] == 0x0a && buf[shb + 1] == 0);
	buf[shb + 6] = 0x7f; /* its length: some 8 MB */
	if (fp) {
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
	ngot = 0;
	CHECK(ng_secrets_read(tmp, take, NULL, why, sizeof why) == -1 && ngot == 0 &&
	      strstr(why, "cannot hold"));
	remove(tmp);

	/* the secrets behind blocks that are read and dropped (100 KB) and
	 * jumped over (6 MB, past the walk's reach without a seek): the
	 * same key log, from the same walk */
	len = slurp(path, buf, sizeof buf);
	buf[shb + 6] = 0;
	char tmp2[] = "/tmp/test_ngsecrets.XXXXXX";
	fd = mkstemp(tmp2);
	fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (fp) {
		fwrite(buf, 1, shb, fp); /* the section header */
		static const uint32_t sizes[] = {100 * 1024, 6 * 1024 * 1024};
		for (int i = 0; i < 2; i++) {
			/* a custom block (0x00000BAD), its length at both ends */
			uint32_t head[2] = {0x00000BADu, sizes[i]};
			fwrite(head, 4, 2, fp);
			for (uint32_t k = 0; k < sizes[i] - 12; k++)
				fputc(0x5a, fp);
			fwrite(&sizes[i], 4, 1, fp);
		}
		fwrite(buf + shb, 1, len - shb, fp);
		fclose(fp);
	}
	ngot = 0;
	CHECK(ng_secrets_read(tmp2, take, NULL, why, sizeof why) == 1 && why[0] == 0 &&
	      ngot == nwant && !memcmp(got, want, nwant));
	remove(tmp2);

	CHECK(ng_secrets_read("/nonexistent/x.pcapng", take, NULL, why, sizeof why) == -1);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
