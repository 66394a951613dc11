/* textscan.c - one pass over text counting its line ends and odd bytes.
 *
 * The bytes go 32 at a time through GCC vector comparisons (AVX2 or SSE2
 * on x86-64, NEON on arm64; other compilers get the byte loop). A
 * comparison gives -1 in each lane that matches, so adding it counts
 * down; a lane counts at most 2 per 64-byte block, and the counts are
 * summed before 63 blocks could overflow a byte.
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
/* 32 bytes a step: AVX2 where the CPU has it (the clone is chosen when the
 * program loads), two SSE2 steps otherwise. */
typedef uint8_t vec __attribute__((vector_size(32)));
typedef int8_t mask __attribute__((vector_size(32)));
#define VEC ((int)sizeof(vec))

/* (Not under ThreadSanitizer: the clone's resolver runs while the program
 * loads, before the sanitizer's runtime, and faults.) */
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* The sum of the lanes' counts (each lane holds minus its count). */
#define LANES(acc, sum)                                                                            \
	do {                                                                                       \
		for (int l_ = 0; l_ < VEC; l_++)                                                   \
			(sum) += (uint8_t) - (acc)[l_];                                            \
	} while (0)

/* The whole blocks after the first byte; returns where they end. (The
 * clone returns before the byte loop runs: an AVX2 function that jumped
 * straight to SSE code would leave the upper halves of the registers dirty,
 * and slow every SSE instruction after it, XXH3's included.) */
CLONES static size_t scan_blocks(const uint8_t *p, size_t n, size_t need, struct textscan *t)
{
	size_t i = 1, blocks = n > 1 ? (n - 1) / BLOCK : 0, run = 0;
	vec LF, CR, NUL;
	memset(&LF, '\n', sizeof LF);
	memset(&CR, '\r', sizeof CR);
	memset(&NUL, 0, sizeof NUL);
	while (blocks) {
		/* a lane counts at most BLOCK / VEC a block: sums before it wraps */
		size_t k = blocks < 63 ? blocks : 63;
		blocks -= k;
		mask clf = {0}, ccr = {0}, cnul = {0}, ccrlf = {0};
		for (; k; k--, i += BLOCK) {
			mask seen = {0};
			for (int j = 0; j < BLOCK; j += VEC) {
				vec v, prev;
				memcpy(&v, p + i + j, sizeof v);
				memcpy(&prev, p + i + j - 1, sizeof prev);
				mask isl = (mask)(v == LF);
				seen |= isl;
				clf += isl;
				ccr += (mask)(v == CR);
				cnul += (mask)(v == NUL);
				ccrlf += isl & (mask)(prev == CR);
			}
			uint64_t w[VEC / 8], any = 0;
			memcpy(w, &seen, sizeof w);
			for (int l = 0; l < VEC / 8; l++)
				any |= w[l];
			if (any) {
				run = 0;
			} else if (++run >= need) {
				t->may_exceed = 1;
			}
		}
		LANES(clf, t->lf);
		LANES(ccr, t->cr);
		LANES(cnul, t->nul);
		LANES(ccrlf, t->crlf);
	}
	return i;
}

void textscan(const uint8_t *p, size_t n, size_t max_line, struct textscan *t)
{
	memset(t, 0, sizeof *t);
	size_t need = max_line + 1 > 126 ? (max_line + 1 - 126 + BLOCK - 1) / BLOCK : 0;
	t->may_exceed = need == 0;
	if (n) { /* the first byte, which has no byte before it */
		t->lf = p[0] == '\n';
		t->cr = p[0] == '\r';
		t->nul = p[0] == 0;
	}
	/* pairs (i - 1, i) from i = 1: CR LF is counted where the LF is */
	size_t i = scan_blocks(p, n, need, t);
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
