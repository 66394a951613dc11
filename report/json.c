/* json.c - JSON string escaping (RFC 8259 7), and digests written as JSON. */
#include "json.h"

#include <openssl/evp.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

void json_str(FILE *out, const void *pv, size_t n)
{
	const uint8_t *p = pv;
	putc('"', out);
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			putc(c, out);
			i++;
			continue;
		}
		size_t k = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
		if (k) {
			fwrite(p + i, 1, k, out);
			i += k;
			continue;
		}
		switch (c) {
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			fprintf(out, "\\u%04x", c);
			break;
		}
		i++;
	}
	putc('"', out);
}

void json_cstr(FILE *out, const char *s)
{
	json_str(out, s, strlen(s));
}

void sha256_of(const uint8_t *p, size_t n, uint8_t digest[32])
{
	unsigned len = 0;
	if (!EVP_Digest(p ? p : (const uint8_t *)"", n, digest, &len, EVP_sha256(), NULL))
		memset(digest, 0, 32);
}

void json_sha256(FILE *out, const uint8_t digest[32])
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	fprintf(out, "\"%s\"", hex);
}
