/* textscan.c - one pass over text counting its line ends and odd bytes.
 *
 * The bytes go 16 at a time through GCC vector comparisons (plain SSE2 on
 * x86-64, NEON on arm64; other compilers get the byte loop). A comparison
 * gives -1 in each lane that matches, so subtracting it counts; a lane
 * counts at most 4 per 64-byte block, and the counts are summed before 31
 * blocks could overflow a byte.
 *
 * Long lines: R bytes in a row hold at least (R - 126) / 64 whole blocks,
 * wherever they start; so a line of more than max_line bytes means that
 * many blocks in a row without an LF. may_exceed is set when they come,
 * and the caller then measures its lines.
 */
#include "textscan.h"

#include <string.h>

#define BLOCK 64

static void scan_bytes(const uint8_t *p, size_t i, size_t n, struct textscan *t)
{
	for (; i < n; i++) {
		t->lf += p[i] == '\n';
		t->cr += p[i] == '\r';
		t->nul += p[i] == 0;
		t->crlf += i && p[i] == '\n' && p[i - 1] == '\r';
	}
}

#if defined(__GNUC__)
typedef uint8_t v16 __attribute__((vector_size(16)));
typedef int8_t m16 __attribute__((vector_size(16)));

static v16 load(const uint8_t *p)
{
	v16 v;
	memcpy(&v, p, sizeof v);
	return v;
}

static size_t lanes(m16 acc)
{
	size_t s = 0;
	for (int i = 0; i < 16; i++)
		s += (uint8_t)-acc[i];
	return s;
}

static int any(m16 m)
{
	uint64_t w[2];
	memcpy(w, &m, sizeof w);
	return (w[0] | w[1]) != 0;
}

void textscan(const uint8_t *p, size_t n, size_t max_line, struct textscan *t)
{
	memset(t, 0, sizeof *t);
	/* pairs (i - 1, i) for i from 1: CR LF counted where the LF is */
	size_t i = 1, blocks = n > 1 ? (n - 1) / BLOCK : 0, run = 0;
	size_t need = max_line + 1 > 126 ? (max_line + 1 - 126 + BLOCK - 1) / BLOCK : 0;
	t->may_exceed = need == 0;
	if (n) { /* the first byte, which has no byte before it */
		t->lf = p[0] == '\n';
		t->cr = p[0] == '\r';
		t->nul = p[0] == 0;
	}
	v16 LF, CR, NUL;
	memset(&LF, '\n', sizeof LF);
	memset(&CR, '\r', sizeof CR);
	memset(&NUL, 0, sizeof NUL);
	while (blocks) {
		size_t k = blocks < 31 ? blocks : 31;
		blocks -= k;
		m16 clf = {0}, ccr = {0}, cnul = {0}, ccrlf = {0};
		for (; k; k--, i += BLOCK) {
			m16 seen = {0};
			for (int j = 0; j < BLOCK; j += 16) {
				v16 v = load(p + i + j), prev = load(p + i + j - 1);
				m16 isl = (m16)(v == LF);
				seen |= isl;
				clf += isl;
				ccr += (m16)(v == CR);
				cnul += (m16)(v == NUL);
				ccrlf += isl & (m16)(prev == CR);
			}
			if (any(seen)) {
				run = 0;
			} else if (++run >= need) {
				t->may_exceed = 1;
			}
		}
		t->lf += lanes(clf);
		t->cr += lanes(ccr);
		t->nul += lanes(cnul);
		t->crlf += lanes(ccrlf);
	}
	scan_bytes(p, i, n, t); /* the last bytes, short of a block */
}
#else
void textscan(const uint8_t *p, size_t n, size_t max_line, struct textscan *t)
{
	(void)max_line;
	memset(t, 0, sizeof *t);
	scan_bytes(p, 0, n, t);
	t->may_exceed = 1;
}
#endif
