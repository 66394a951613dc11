/* textscan.c - one pass over text for its odd line ends and bytes.
 *
 * Mail is CR LF lines: almost every text has no bare LF, no bare CR and
 * no NUL. The first pass only asks whether it has any, 32 bytes at a time
 * through GCC vector comparisons (AVX2 or SSE2 on x86-64, NEON on arm64;
 * other compilers get the byte loop): an LF must follow a CR and a CR
 * must precede an LF, so (byte is LF) XOR (byte before is CR) is set
 * exactly at a bare one, and NUL is looked for alongside. Only a text
 * that has some is counted, by the byte loop.
 *
 * Long lines: R bytes in a row hold at least (R + 1 - BLOCK) / BLOCK whole
 * blocks, wherever they start; so a line of more than max_line bytes means
 * that many blocks in a row without an LF. may_exceed is set when they
 * come, and the caller then measures its lines. (256-byte blocks: the test
 * for an LF once per block is a good part of the cost; a line of 512 bytes
 * can already set the flag, which only costs the measuring.)
 */
#include "textscan.h"

#include <string.h>

#define BLOCK 256

/* The exact counts, a byte at a time, and the long-line flag as the
 * blocks would set it (every text this runs on is odd, so rare). */
static void count_bytes(const uint8_t *p, size_t n, size_t max_line, struct textscan *t)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		t->nul += p[i] == 0;
		t->bare_lf += p[i] == '\n' && !(i && p[i - 1] == '\r');
		t->bare_cr += p[i] == '\r' && !(i + 1 < n && p[i + 1] == '\n');
		run = p[i] == '\n' ? 0 : run + 1;
		if (run > max_line)
			t->may_exceed = 1;
	}
}

#if defined(__GNUC__)
/* 32 bytes a step: AVX2 where the CPU has it (the clone is chosen when the
 * program loads), two SSE2 steps otherwise. */
typedef uint8_t vec __attribute__((vector_size(32)));
#define VEC ((int)sizeof(vec))

/* (Not under ThreadSanitizer: the clone's resolver runs while the program
 * loads, before the sanitizer's runtime, and faults.) */
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* Whether any lane of *v is set (always inline: each clone gets it in its
 * own instructions; by pointer: a 32-byte vector passed by value has
 * another ABI with AVX than without). */
__attribute__((always_inline)) static inline int any_set(const vec *v)
{
	uint64_t w[VEC / 8], any = 0;
	memcpy(w, v, sizeof w);
	for (int l = 0; l < VEC / 8; l++)
		any |= w[l];
	return any != 0;
}

/* The whole blocks after the first byte: whether any pair (i - 1, i) in
 * them is odd, and the long-line flag. Returns where they end, in *end.
 * (The clone returns before any SSE code runs: an AVX2 function that went
 * straight on to SSE code would leave the upper halves of the registers
 * dirty and slow every SSE instruction after it, XXH3's included.) */
CLONES static int odd_blocks(const uint8_t *p, size_t n, size_t need, int *may_exceed, size_t *end)
{
	size_t i = 1, blocks = n > 1 ? (n - 1) / BLOCK : 0, run = 0;
	vec LF, CR, NUL, odd = {0};
	memset(&LF, '\n', sizeof LF);
	memset(&CR, '\r', sizeof CR);
	memset(&NUL, 0, sizeof NUL);
	for (; blocks; blocks--, i += BLOCK) {
		vec seen = {0};
		for (int j = 0; j < BLOCK; j += VEC) {
			vec v, prev;
			memcpy(&v, p + i + j, sizeof v);
			memcpy(&prev, p + i + j - 1, sizeof prev);
			vec lf = (vec)(v == LF);
			seen |= lf;
			odd |= (lf ^ (vec)(prev == CR)) | (vec)(v == NUL);
		}
		if (any_set(&seen))
			run = 0;
		else if (++run >= need)
			*may_exceed = 1;
	}
	*end = i;
	return any_set(&odd);
}
#endif

void textscan(const uint8_t *p, size_t n, size_t max_line, struct textscan *t)
{
	memset(t, 0, sizeof *t);
#if defined(__GNUC__)
	size_t need = max_line + 2 > BLOCK ? (max_line + 2 - BLOCK) / BLOCK : 0;
	t->may_exceed = need == 0;
	size_t end;
	int odd = odd_blocks(p, n, need, &t->may_exceed, &end);
	/* the first byte (no byte before it), the bytes after the blocks, and
	 * a CR at the very end (no LF after it) */
	odd = odd || (n && (p[0] == '\n' || p[0] == 0)) || (n && p[n - 1] == '\r');
	for (size_t i = end; !odd && i < n; i++)
		odd = p[i] == 0 || ((p[i] == '\n') != (p[i - 1] == '\r'));
	if (!odd)
		return; /* the bytes after the blocks are a partial block, as the first */
	int flag = t->may_exceed;
	count_bytes(p, n, max_line, t);
	t->may_exceed |= flag;
#else
	count_bytes(p, n, max_line, t);
#endif
}
