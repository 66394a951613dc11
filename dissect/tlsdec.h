/* tlsdec.h - TLS records decrypted with the secrets of a key log
 * (keylog.h), per flow and per direction, for the parser of tls.h to read
 * what they carry.
 *
 * TLS 1.3 (RFC 8446): TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256. Keys and IVs from the traffic secrets by
 * HKDF-Expand-Label (7.1, 7.3), the nonce per record (5.3), the inner
 * content type found under the padding (5.4). Each side starts on its
 * handshake traffic secret, goes to its application traffic secret after
 * its Finished, and to the next one (7.2) after each KeyUpdate (4.6.3);
 * this file follows the handshake messages in what it decrypts to know
 * where, and when a record does not open under the key it expects it tries
 * the next one at sequence 0 (a record holding the Finished or a KeyUpdate
 * may have been lost). A HelloRetryRequest changes nothing here: the
 * records before the real ServerHello are in the clear.
 *
 * TLS 1.2 (RFC 5246): the master secret (CLIENT_RANDOM; with the extended
 * master secret of RFC 7627 too, and for a resumed session when the log
 * has a line for its client random) expands into the key block (6.3) with
 * the suite's PRF (5; SHA-384 for the suites named _SHA384, else SHA-256).
 * AES-GCM (RFC 5288: an explicit nonce in each record), ChaCha20-Poly1305
 * (RFC 7905), and AES-CBC / 3DES-CBC with HMAC-SHA1, -SHA256 or -SHA384,
 * MAC-then-encrypt (6.2.3.2) or encrypt-then-MAC (RFC 7366); any key
 * exchange (RSA, DHE, ECDHE, PSK). Other suites, TLS 1.1 and older: said
 * as unsupported.
 *
 * Sequence numbers: a record's is its place among its side's encrypted
 * records under the current key (tls_record.enc_seq gives the place). A
 * record damaged by a gap uses its number up. When bytes went missing
 * between records (a record does not start where the last one ended) an
 * unknown number of records may be gone: the next numbers are tried, at
 * most TLSDEC_RESYNC_MAX past the expected one, and under the next key
 * from 0; when none opens the record is said, and after TLSDEC_FAIL_MAX
 * records in a row that do not open the direction stops.
 *
 * Every failure is the flow's and its direction's own: a status and words
 * for an event, at most TLSDEC_SAY_MAX times of each kind per direction.
 *
 * Memory: the struct (some 900 bytes) when the flow starts, and OpenSSL's
 * contexts as keys are set up - a cipher context for each direction's
 * current key and one for its next (TLS 1.3), an HMAC context beside each
 * CBC cipher one: at most four, counted as TLSDEC_CTX_COST each - are
 * taken from the account given (--max-held-mem's); refused, the flow or
 * the direction says tls_decrypt_memory. Nothing grows per record: the
 * plaintext goes to a buffer of the caller's.
 */
#ifndef SS_TLSDEC_H
#define SS_TLSDEC_H

#include <stddef.h>
#include <stdint.h>

#include "keylog.h"
#include "memacct.h"
#include "tls.h"

#define TLSDEC_BUF TLS_RECORD_MAX          /* the caller's plaintext buffer: any record */
#define TLSDEC_CIPHER_MAX (16384 + 256)    /* TLS 1.3's TLSCiphertext (RFC 8446 5.2) */
#define TLSDEC_CIPHER12_MAX (16384 + 2048) /* TLS 1.2's TLSCiphertext (RFC 5246 6.2.3) */
#define TLSDEC_RESYNC_MAX 16               /* sequence numbers tried past a loss */
#define TLSDEC_FAIL_MAX 8                  /* records that fail in a row before a stop */
#define TLSDEC_SAY_MAX 3                   /* failures of one kind said per direction */
#define TLSDEC_CTX_COST 1024               /* one OpenSSL context, as counted */

enum tlsdec_status {
	TLSDEC_OK,           /* plaintext in out */
	TLSDEC_CLEAR,        /* the record was not encrypted: nothing to do */
	TLSDEC_NO_KEY,       /* "tls_no_key": the key log has no secret for this session */
	TLSDEC_BAD_MAC,      /* "tls_bad_record_mac": the record does not open (wrong key,
	                      * damaged bytes, records lost beyond the search) */
	TLSDEC_UNSUPPORTED,  /* "tls_unsupported_suite": a suite or version not decrypted */
	TLSDEC_SHORT,        /* "tls_decrypt_truncated": too short for its cipher */
	TLSDEC_OVERFLOW,     /* "tls_decrypt_overflow": over TLSDEC_CIPHER_MAX (1.3) or
	                      * TLSDEC_CIPHER12_MAX (1.2), or a plaintext over 2^14 */
	TLSDEC_LOST,         /* "tls_decrypt_lost": a gap took bytes of the record */
	TLSDEC_NO_HANDSHAKE, /* "tls_no_handshake": no ServerHello seen: session unknown */
	TLSDEC_EARLY_DATA,   /* "tls_early_data": 0-RTT data, not decrypted */
	TLSDEC_BAD_CONTENT,  /* "tls_decrypt_bad_content": a 1.3 plaintext of padding only */
	TLSDEC_STOPPED,      /* "tls_decrypt_stopped": the direction gave up before */
	TLSDEC_NO_MEMORY,    /* "tls_decrypt_memory": --max-held-mem or malloc refused */
	TLSDEC_STATUSES
};

/* The event name for s ("tls_no_key", ...; "" for OK and CLEAR). */
const char *tlsdec_status_name(enum tlsdec_status s);

/* What one record gave. */
struct tlsdec_out {
	uint8_t type;     /* OK: its content type (TLS 1.3: the inner one) */
	const uint8_t *p; /* OK: the plaintext, in the caller's buffer */
	size_t n;
	uint64_t seq;     /* the record's sequence number under its key */
	uint32_t epoch;   /* TLS 1.3: 0 handshake keys, 1 the first application keys, 2... after
	                   * each KeyUpdate; TLS 1.2: 1 */
	int say;          /* a failure to say as an event (the first TLSDEC_SAY_MAX of its kind) */
	char detail[256]; /* the words for it: what, which record, why */
};

struct tlsdec;

/* A flow's decryption with the secrets in keys (which must outlive it),
 * its storage counted in acct (may be NULL); NULL without memory. */
struct tlsdec *tlsdec_new(const struct tls_keys *keys, struct memacct *acct);
/* Frees d and gives its storage back; returns NULL. NULL is fine. */
struct tlsdec *tlsdec_free(struct tlsdec *d);

/* One record of the flow t, as tls_opts.on_record hands it over (with
 * keep_ciphertext set): every record, in the order of its direction -
 * those in the clear only tell where the next one should start. An
 * encrypted one is decrypted into buf (cap >= r->len; TLSDEC_BUF does for
 * any), and out says what came out or why nothing did. The caller hands
 * an OK plaintext to tls_hs_feed (the handshake layer reads its messages
 * and alerts) and application data to its protocol; after a failure it
 * calls tls_hs_gap for that direction. */
enum tlsdec_status tlsdec_record(struct tlsdec *d, const struct tls_flow *t,
                                 const struct tls_record *r, uint8_t *buf, size_t cap,
                                 struct tlsdec_out *out);

/* Records decrypted and failed, each way. */
struct tlsdec_counts {
	uint64_t ok[2], failed[2];
	uint32_t key_updates[2]; /* TLS 1.3 key changes after the first application keys */
};
void tlsdec_counts(const struct tlsdec *d, struct tlsdec_counts *c);
/* "decrypted 14 records to the server, 12 back" (with ", N failed" where
 * some did). Returns what snprintf would. */
int tlsdec_describe(const struct tlsdec *d, char *buf, size_t len);

/* --- the key schedule's pieces, for the tests ---------------------------- */

/* HKDF-Expand-Label (RFC 8446 7.1) with the hash named by md ("SHA256",
 * "SHA384"): olen bytes into out. 0, or -1 when OpenSSL refuses. */
int tlsdec_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label,
                        const uint8_t *context, size_t clen, uint8_t *out, size_t olen);
/* The TLS 1.2 PRF (RFC 5246 5) with hash md: olen bytes of
 * P_hash(secret, label + seed). 0 or -1. */
int tlsdec_prf12(const char *md, const uint8_t *secret, size_t slen, const char *label,
                 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t olen);
/* A TLS 1.3 suite's write key and IV from a traffic secret (RFC 8446 7.3):
 * *klen set to the key's length. 0, or -1 for a suite not decrypted. */
int tlsdec_traffic_keys(uint16_t suite, const uint8_t *secret, size_t slen, uint8_t key[32],
                        size_t *klen, uint8_t iv[12]);

#endif
