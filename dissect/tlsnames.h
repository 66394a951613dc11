/* tlsnames.h - names for the numbers of TLS: protocol versions, cipher
 * suites, named groups, alerts, handshake messages, extensions, signature
 * schemes, content types (the IANA TLS registries; suites as tshark names
 * them, tlssuites.c). Each lookup returns a static string, or NULL for a
 * number it does not know; GREASE values (RFC 8701) are named "GREASE".
 */
#ifndef SS_TLSNAMES_H
#define SS_TLSNAMES_H

#include <stddef.h>
#include <stdint.h>

/* How a suite's key is agreed, as far as a ServerKeyExchange tells it. */
enum tls_kx {
	TLS_KX_OTHER,     /* RSA, static DH/ECDH, PSK, TLS 1.3 suites, ...: nothing read */
	TLS_KX_ECDHE,     /* ServerECDHParams (RFC 8422 5.4) */
	TLS_KX_DHE,       /* ServerDHParams (RFC 5246 7.4.3) */
	TLS_KX_ECDHE_PSK, /* psk_identity_hint, then ServerECDHParams (RFC 5489 2) */
	TLS_KX_DHE_PSK,   /* psk_identity_hint, then ServerDHParams (RFC 4279 3) */
};

struct tls_suite {
	uint16_t id;
	const char *name;
	enum tls_kx kx;
};
/* Sorted by id (tlssuites.c, made by tests/tls/mksuites.py). */
extern const struct tls_suite tls_suites[];
extern const size_t tls_nsuites;

/* RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa. */
static inline int tls_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 12) == ((v >> 4) & 15);
}

/* "TLS 1.2", "SSL 3.0", "TLS 1.3 draft", "GREASE", ... */
const char *tls_version_name(uint16_t v);
/* "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ... */
const char *tls_suite_name(uint16_t id);
enum tls_kx tls_suite_kx(uint16_t id);
/* "x25519", "secp256r1", "ffdhe2048", "X25519MLKEM768", ... */
const char *tls_group_name(uint16_t id);
/* "handshake_failure", ... (RFC 8446 6) */
const char *tls_alert_name(uint8_t desc);
/* "warning", "fatal" */
const char *tls_alert_level_name(uint8_t level);
/* "client_hello", "certificate", ... (RFC 8446 4) */
const char *tls_hs_name(uint8_t type);
/* "server_name", "key_share", ... */
const char *tls_ext_name(uint16_t type);
/* "rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", ... (RFC 8446 4.2.3,
 * and the hash/signature pairs of RFC 5246 7.4.1.4.1) */
const char *tls_sigscheme_name(uint16_t v);
/* "handshake", "application_data", ... */
const char *tls_ct_name(uint8_t type);

#endif
