/* tlscert.h - one X.509 certificate of a TLS Certificate message, read with
 * OpenSSL (d2i_X509): subject and issuer in RFC 2253's one-line form, the
 * validity as UTC seconds, the DNS and IP subjectAltNames, and the SHA-256
 * of the DER (the fingerprint `openssl x509 -fingerprint -sha256` shows).
 */
#ifndef SS_TLSCERT_H
#define SS_TLSCERT_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* Fills out from der[0..n). Returns 0, or -1 when OpenSSL does not take it
 * (out then holds only der_len and sha256, ok is 0). Nothing is kept of der. */
int tls_cert_parse(struct tls_cert *out, const uint8_t *der, size_t n);

#endif
