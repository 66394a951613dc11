/* json.c - JSON string escaping (RFC 8259 7), and digests and times
 * written as JSON, onto a FILE or into a text (json.h). */
#include "json.h"

#include <openssl/evp.h>
#include <string.h>

#include "sstime.h"

/* Bytes that stand for themselves in a JSON string: printable ASCII but
 * the quote and the backslash. */
static inline int plain(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static const char hexdig[] = "0123456789abcdef";

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
		size_t run = i;
		while (run < n && plain(p[run]))
			run++;
		if (run > i + 1) { /* a run in one call, not a putc a byte */
			fwrite(p + i, 1, run - i, out);
			i = run;
			continue;
		}
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

/* The digest in quoted hex: 66 bytes at o. */
static void sha256_hex(char *o, const uint8_t digest[32])
{
	o[0] = '"';
	for (int i = 0; i < 32; i++) {
		o[1 + 2 * i] = hexdig[digest[i] >> 4];
		o[2 + 2 * i] = hexdig[digest[i] & 15];
	}
	o[65] = '"';
}

void json_sha256(FILE *out, const uint8_t digest[32])
{
	char hex[66];
	sha256_hex(hex, digest);
	fwrite(hex, 1, sizeof hex, out);
}

void json_tsha256(struct text *t, const uint8_t digest[32])
{
	char hex[66];
	sha256_hex(hex, digest);
	text_add(t, hex, sizeof hex);
}

void json_tstr(struct text *t, const void *pv, size_t n)
{
	const uint8_t *p = pv;
	text_char(t, '"');
	for (size_t i = 0; i < n;) {
		size_t run = i;
		while (run < n && plain(p[run]))
			run++;
		if (run > i) {
			text_add(t, p + i, run - i);
			i = run;
			if (i == n)
				break;
		}
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			text_add(t, e, 2);
			i++;
			continue;
		}
		size_t k = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
		if (k) {
			text_add(t, p + i, k);
			i += k;
			continue;
		}
		switch (c) {
		case '\n':
			text_add(t, "\\n", 2);
			break;
		case '\r':
			text_add(t, "\\r", 2);
			break;
		case '\t':
			text_add(t, "\\t", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
			text_add(t, u, sizeof u);
			break;
		}
		}
		i++;
	}
	text_char(t, '"');
}

void json_ti64(struct text *t, int64_t v)
{
	if (v < 0) {
		text_char(t, '-');
		text_u64(t, 0 - (uint64_t)v);
		return;
	}
	text_u64(t, (uint64_t)v);
}

void json_ttime(struct text *t, int64_t ns)
{
	/* the part before the fraction, for the second of the last call */
	static _Thread_local struct {
		int valid;
		int64_t sec;
		size_t len;
		char s[40];
	} last;
	int64_t sec = ns / SS_NS_PER_SEC, r = ns % SS_NS_PER_SEC;
	if (r < 0) { /* floor, as ss_time_iso() splits it */
		sec--;
		r += SS_NS_PER_SEC;
	}
	if (!last.valid || last.sec != sec) {
		ss_time_iso(ns, last.s);       /* the same up to the fraction */
		last.len = strlen(last.s) - 8; /* less ".uuuuuuZ" */
		last.sec = sec;
		last.valid = 1;
	}
	text_add(t, last.s, last.len);
	char f[8] = {'.', 0, 0, 0, 0, 0, 0, 'Z'};
	long us = (long)(r / 1000);
	for (int i = 6; i >= 1; i--, us /= 10)
		f[i] = (char)('0' + us % 10);
	text_add(t, f, sizeof f);
}

void json_tkey(struct text *t, const char *name)
{
	text_char(t, ',');
	text_char(t, '"');
	text_str(t, name);
	text_char(t, '"');
	text_char(t, ':');
}

void json_ttime_field(struct text *t, const char *name, int has, int64_t ts)
{
	if (!has)
		return;
	json_tkey(t, name);
	text_char(t, '"');
	json_ttime(t, ts);
	text_char(t, '"');
}

void json_tbool(struct text *t, int v)
{
	if (v)
		TEXT_LIT(t, "true");
	else
		TEXT_LIT(t, "false");
}
