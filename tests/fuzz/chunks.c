/* chunks.c - fuzz input played as a TCP conversation. */
#include "chunks.h"

#include <stdlib.h>
#include <string.h>

#include "synth.h"

void chunks_play(struct ss_reasm *r, const uint8_t *data, size_t size, uint16_t sport)
{
	uint32_t seq[2] = {1000, 500000};
	int ms = 0, dir = 1; /* 1: client */
	int mid = size >= 2 && data[0] == 0xff && data[1] == 0xfc;
	int client_only = size >= 2 && data[0] == 0xff && data[1] == 0xfb;
	if (mid || client_only) {
		data += 2;
		size -= 2;
	}
	synth_reset();
	if (!mid) {
		synth_tcp(r, 1, 40000, sport, ms++, 0x02, seq[0] - 1, 0, NULL, 0, 0);
		synth_tcp(r, 0, 40000, sport, ms++, 0x12, seq[1] - 1, seq[0], NULL, 0, 0);
		synth_tcp(r, 1, 40000, sport, ms++, 0x10, seq[0], seq[1], NULL, 0, 0);
	}
	size_t i = 0;
	while (i <= size) {
		const uint8_t *sep = NULL;
		for (size_t k = i; k + 1 < size; k++)
			if (data[k] == 0xff && data[k + 1] == 0xfe) {
				sep = data + k;
				break;
			}
		size_t n = sep ? (size_t)(sep - data) - i : size - i;
		const uint8_t *p = data + i;
		int gap = n >= 2 && p[0] == 0xff && p[1] == 0xfd;
		int d = dir ? 0 : 1; /* index into seq: 0 client, 1 server */
		if (gap || (client_only && !dir)) {
			seq[d] += (uint32_t)(gap ? n - 2 : n);
			ms += 300; /* past --ack-wait: the peer's next ACK settles it */
		} else if (n) {
			uint8_t *own = malloc(n);
			if (own) {
				memcpy(own, p, n);
				/* Segments of up to 1000 bytes, like a wire would carry them. */
				for (size_t off = 0; off < n; off += 1000) {
					size_t k = n - off < 1000 ? n - off : 1000;
					synth_tcp(r, dir, 40000, sport, ms, 0x18,
					          seq[d] + (uint32_t)off, seq[!d], own + off, k, 0);
				}
				free(own);
			}
			seq[d] += (uint32_t)n;
		}
		ms++;
		dir = !dir;
		if (!sep)
			break;
		i = (size_t)(sep - data) + 2;
	}
	if (mid)
		return;
	synth_tcp(r, 1, 40000, sport, ms++, 0x11, seq[0], seq[1], NULL, 0, 0);
	if (!client_only)
		synth_tcp(r, 0, 40000, sport, ms++, 0x11, seq[1], seq[0] + 1, NULL, 0, 0);
	synth_tcp(r, 1, 40000, sport, ms++, 0x10, seq[0] + 1, seq[1] + 1, NULL, 0, 0);
}
