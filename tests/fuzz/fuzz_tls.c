/* fuzz_tls.c - the TLS parser (dissect/tls.h: record layer, handshake layer,
 * certificates through OpenSSL) under a fuzzer.
 *
 * Input: one byte of options, then chunks cut on the bytes "\xff\xfe",
 * alternating client, server, client... (as tests/fuzz/chunks.h cuts
 * them). A chunk that starts with "\xff\xfd" is a gap as long as the rest
 * of it; one that starts with "\xff\xfa" T is plaintext of content type T
 * for the handshake layer, as a decryption step would hand it over. Each
 * chunk is copied into its own allocation (a read past it is seen).
 * Options: bit 0 keep ciphertext records whole; bit 1 a 64-byte handshake
 * cap; bit 2 feed each chunk a byte at a time; bit 3 count held storage in
 * an account of 64K. tests/tls/mkseeds.py makes seeds of real sessions.
 *
 * Checked besides the sanitizers: nothing held past its cap, every byte
 * counted given back, the description always fits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void piece(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n, struct ss_pos *at,
                  int bytewise)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return;
	memcpy(copy, p, n);
	if (n >= 2 && copy[0] == 0xff && copy[1] == 0xfd) {
		tls_gap(t, d, n - 2, at);
		at->off += n - 2;
	} else if (n >= 3 && copy[0] == 0xff && copy[1] == 0xfa) {
		tls_hs_feed(t, d, copy[2], copy + 3, n - 3, at);
	} else if (bytewise) {
		for (size_t i = 0; i < n; i++) {
			tls_feed(t, d, copy + i, 1, at);
			at->off++;
		}
	} else {
		tls_feed(t, d, copy, n, at);
		at->off += n;
	}
	at->frame++;
	free(copy);
	for (int i = 0; i < 2; i++) {
		check(t->rl[i].body.len <= TLS_RECORD_MAX);
		check(t->rl[i].scan.len <= 2 * (TLS_RECORD_MAX + 5));
		check(t->hs[i].msg.len <= t->o.hs_max);
		check(t->side[i].chain.n <= TLS_CERTS_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t opt = data[0];
	static struct memacct acct;
	memset(&acct, 0, sizeof acct);
	acct.cap = 64 * 1024;
	struct tls_opts o = {
	    opt & 2 ? 64 : 0, opt & 1, opt & 8 ? &acct : NULL, NULL, NULL, NULL, NULL};
	struct tls_flow *t = tls_new(&o);
	if (!t)
		return 0;
	struct ss_pos at[2];
	memset(at, 0, sizeof at);
	const uint8_t *p = data + 1, *end = data + size;
	int d = 0;
	while (p <= end) {
		const uint8_t *q = p;
		while (q + 1 < end && !(q[0] == 0xff && q[1] == 0xfe))
			q++;
		if (q + 1 >= end)
			q = end;
		piece(t, (enum ss_dir)d, p, (size_t)(q - p), &at[d], opt & 4);
		d ^= 1;
		p = q + 2;
	}
	tls_end(t, &at[0]);
	char line[256];
	int n = tls_describe(t, line, sizeof line);
	check(n >= 0 && memchr(line, 0, sizeof line) != NULL);
	tls_free(t);
	check(memacct_held(&acct) == 0);
	return 0;
}
