/* ngsecrets.h - the TLS key logs a pcapng file carries in its Decryption
 * Secrets Blocks (pcapng draft, block type 0x0000000A, secrets type
 * 0x544c534b "TLSK": NSS key log lines), as `editcap --inject-secrets`
 * writes them.
 *
 * libpcap skips these blocks, so the file is walked once more, by block
 * headers alone (read forward, each block's body but a DSB's dropped): cheap, and
 * only for a file that can seek. Every length is checked against the block
 * that holds it and against the file; a damaged block ends the walk with
 * the reason, the secrets found before it kept.
 */
#ifndef SS_NGSECRETS_H
#define SS_NGSECRETS_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of one TLSK secrets block, in the order they come. */
typedef void ng_secrets_fn(void *ctx, const uint8_t *p, size_t n);

/* The most bytes of secrets taken from one file: past it the rest are
 * ignored, and said (a key log line is some 180 bytes: 64M holds some
 * 350,000 sessions). */
#define NG_SECRETS_MAX ((uint64_t)64 << 20)

/* Walks path (a pcapng file; anything else: 0 and nothing found) and hands
 * each TLS secrets block to fn. Returns the number of blocks handed, or -1
 * with why set (the file could not be read, or a block's length is
 * impossible). */
long ng_secrets_read(const char *path, ng_secrets_fn *fn, void *ctx, char *why, size_t whylen);

#endif
