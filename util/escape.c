/* escape.c - untrusted bytes as printable text. */
#include "escape.h"

#include <string.h>

static size_t one(uint8_t c, char tmp[5])
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c < 0x7f && c != '\\') {
		tmp[0] = (char)c;
		return 1;
	}
	tmp[0] = '\\';
	if (c == '\\') {
		tmp[1] = '\\';
		return 2;
	}
	tmp[1] = 'x';
	tmp[2] = hex[c >> 4];
	tmp[3] = hex[c & 15];
	return 4;
}

static int plain(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

int escape_plain(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!plain(p[i]))
			return 0;
	return 1;
}

int escape_add(struct buf *out, const uint8_t *p, size_t n)
{
	char tmp[5];
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && plain(p[j]))
			j++;
		if (j > i && buf_add(out, p + i, j - i)) /* a run of printable bytes at once */
			return -1;
		if (j == n)
			break;
		size_t k = one(p[j], tmp);
		if (buf_add(out, tmp, k))
			return -1;
		i = j + 1;
	}
	return 0;
}

char *escape_str(char *out, size_t cap, const uint8_t *p, size_t n)
{
	char tmp[5];
	size_t w = 0;
	if (!cap)
		return out;
	for (size_t i = 0; i < n; i++) {
		size_t k = one(p[i], tmp);
		if (w + k + 4 > cap) {
			if (cap >= 4) {
				w = w + 3 < cap ? w : cap - 4;
				memcpy(out + w, "...", 3);
				w += 3;
			}
			break;
		}
		memcpy(out + w, tmp, k);
		w += k;
	}
	out[w < cap ? w : cap - 1] = 0;
	return out;
}
