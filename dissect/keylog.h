/* keylog.h - TLS secrets from key log files (the NSS SSLKEYLOGFILE format,
 * RFC 9850), and from the Decryption Secrets Blocks of pcapng files
 * (`editcap --inject-secrets tls,FILE` writes the same text into one),
 * kept by client random for dissect/tlsdec.c.
 *
 * A line is "LABEL <client random, 64 hex digits> <secret, hex>"; '#'
 * starts a comment, blank lines are skipped, CR LF line ends are taken.
 * The labels used: CLIENT_RANDOM (TLS <= 1.2: the 48-byte master secret,
 * extended or not - RFC 7627 changes how it is made, not what it is),
 * CLIENT_EARLY_TRAFFIC_SECRET, CLIENT_HANDSHAKE_TRAFFIC_SECRET,
 * SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 * SERVER_TRAFFIC_SECRET_0, EARLY_EXPORTER_SECRET, EXPORTER_SECRET (TLS
 * 1.3: 32 or 48 bytes, the suite's hash). A well-formed line of another
 * label (RSA, ECH_SECRET, ...) is counted as unused; a line that does not
 * parse is counted as bad, the first one kept with its line number and
 * why, and reading goes on. The same label and random twice: the later
 * line wins (counted).
 *
 * Bounds: at most max_bytes of text are read in all (files and blocks
 * together; KEYLOG_MAX_DEFAULT unless tls_keys_new says), the rest is
 * counted as cut; a line over KEYLOG_LINE_MAX bytes is bad. The table
 * holds about one 84-byte entry per kept line (a kept line is at least 143
 * bytes), at most half full: some 1.2 bytes of memory per byte of key log.
 * It is configuration, not per-flow state, and is not counted in
 * --max-held-mem.
 *
 * Threads: lines may be added while flows look secrets up (a pcapng's
 * blocks arrive as the capture is read, flows are dissected on other
 * threads): a read-write lock guards the table.
 */
#ifndef SS_KEYLOG_H
#define SS_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#define KEYLOG_MAX_DEFAULT ((size_t)16 << 20) /* bytes of key log text read in all */
#define KEYLOG_LINE_MAX 1024                  /* bytes of one line */
#define KEYLOG_SECRET_MAX 48                  /* bytes of one secret (SHA-384's length) */
#define KEYLOG_DSB_TLS 0x544c534bu            /* pcapng DSB secrets type "TLSK" */

enum keylog_label {
	KEYLOG_CLIENT_RANDOM,
	KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET,
	KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_CLIENT_TRAFFIC_SECRET_0,
	KEYLOG_SERVER_TRAFFIC_SECRET_0,
	KEYLOG_EARLY_EXPORTER_SECRET,
	KEYLOG_EXPORTER_SECRET,
	KEYLOG_LABELS
};

/* What was read. */
struct keylog_stats {
	uint64_t lines;      /* lines seen (comments and blank ones included) */
	uint64_t secrets;    /* secrets kept now */
	uint64_t sessions;   /* client randoms with at least one secret */
	uint64_t comments;   /* lines starting with '#' */
	uint64_t bad;        /* lines that do not parse */
	uint64_t unused;     /* well-formed lines of a label not used here (RSA, ...) */
	uint64_t replaced;   /* a label and random seen again: the later secret kept */
	uint64_t cut_bytes;  /* bytes not read: max_bytes was reached */
	uint64_t blocks;     /* pcapng Decryption Secrets Blocks read */
	char first_bad[320]; /* "line 7 of FILE: why" for the first bad line; "" */
};

struct tls_keys;

/* An empty set reading at most max_bytes (0: KEYLOG_MAX_DEFAULT); NULL
 * without memory. */
struct tls_keys *tls_keys_new(size_t max_bytes);
/* Frees k; returns NULL. NULL is fine. No flow may use k any more. */
struct tls_keys *tls_keys_free(struct tls_keys *k);

/* Reads the key log file at path. 0; or -1 when it cannot be opened or
 * read, with the reason (strerror's words and the path) in err - an
 * environment failure for the caller to report. Bad lines are not
 * failures: they are counted (tls_keys_stats). */
int tls_keys_load(struct tls_keys *k, const char *path, char *err, size_t errlen);

/* Takes n bytes of key log text (whole lines; a last line without its
 * line end counts as one). origin names where they came from in the first
 * bad line's words ("FILE", "pcapng block 2"); it is copied. */
void tls_keys_add(struct tls_keys *k, const char *origin, const uint8_t *p, size_t n);

/* For capture/'s pcapng walker (capture/ngsecrets.h: an ng_secrets_fn):
 * keys is the struct tls_keys, p[0..n) the Secrets Data of one TLS key
 * log Decryption Secrets Block (pcapng 4.7, type KEYLOG_DSB_TLS), read as
 * lines; named "pcapng secrets block N" in the words. */
void tls_keys_dsb(void *keys, const uint8_t *p, size_t n);

/* The secret of label l for the session whose ClientHello.random is
 * random: copied to out, its length returned (0: none). */
size_t tls_keys_find(const struct tls_keys *k, enum keylog_label l, const uint8_t random[32],
                     uint8_t out[KEYLOG_SECRET_MAX]);

void tls_keys_stats(const struct tls_keys *k, struct keylog_stats *st);
/* One line for people: "key log: 14 lines, 10 secrets for 2 sessions, 2
 * comments, 1 bad (line 7 of k.log: ...)". Returns what snprintf would. */
int tls_keys_describe(const struct tls_keys *k, char *buf, size_t len);
/* "CLIENT_RANDOM", ... */
const char *keylog_label_name(enum keylog_label l);

#endif
