/* text.h - a line of output put together in memory, then written or queued
 * in one piece.
 *
 * The timeline writes half a million lines for a gigabyte of mail, each
 * from a dozen pieces; through stdio every piece cost a locked call of a
 * hundred instructions, which was most of the cost of a line. Here a piece
 * is a bounds check and a copy. Appends past TEXT_CAP, or when memory runs
 * out, are dropped and the text is marked cut: output is never overrun.
 */
#ifndef SS_TEXT_H
#define SS_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

/* The longest text kept: a verbose line of a message's header fields or a
 * DNS answer is long, but no single output item comes near this. */
#define TEXT_CAP (64u << 20)

struct text {
	struct buf b;
	int cut; /* something was dropped */
};

void text_init(struct text *t);
void text_free(struct text *t);
static inline void text_reset(struct text *t)
{
	t->b.len = 0;
	t->cut = 0;
}

/* The growing path of text_add: out of line, so the common case inlines.
 * Once something was dropped nothing more is added, so a cut text is a
 * beginning, never a patchwork. */
void text_grow_add(struct text *t, const void *p, size_t n);

static inline void text_add(struct text *t, const void *p, size_t n)
{
	/* buf's storage may be larger than its cap; the cap is what holds */
	if (n <= t->b.size - t->b.len && n <= t->b.cap - t->b.len && !t->cut) {
		if (n)
			memcpy(t->b.p + t->b.len, p, n);
		t->b.len += n;
		return;
	}
	text_grow_add(t, p, n);
}

/* A literal, its length counted by the compiler, not at run time. */
#define TEXT_LIT(t, s) text_add((t), "" s, sizeof(s) - 1)

static inline void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

static inline void text_char(struct text *t, char c)
{
	text_add(t, &c, 1);
}

/* v in decimal. */
void text_u64(struct text *t, uint64_t v);
/* printf into the text, for the pieces that need a format. */
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
