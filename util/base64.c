/* base64.c - base64 decoding (RFC 4648 4). */
#include "base64.h"

int base64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long base64_decode(const uint8_t *p, size_t n, uint8_t *out)
{
	if (n % 4)
		return -1;
	long w = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = base64_value(p[i + k])) < 0) {
				return -1; /* data after padding, or not the alphabet */
			}
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		out[w++] = (uint8_t)(x >> 16);
		if (pad < 2)
			out[w++] = (uint8_t)(x >> 8);
		if (pad < 1)
			out[w++] = (uint8_t)x;
	}
	return w;
}

int base64_shaped(const char *v, size_t *n)
{
	size_t pad = 0;
	for (*n = 0; v[*n]; ++*n) {
		if (v[*n] == '=')
			pad++;
		else if (pad || base64_value((uint8_t)v[*n]) < 0)
			return 0;
	}
	return pad <= 2;
}
