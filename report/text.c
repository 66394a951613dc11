/* text.c - a line of output put together in memory (see text.h). */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void text_init(struct text *t)
{
	buf_init(&t->b, TEXT_CAP);
	t->cut = 0;
}

void text_free(struct text *t)
{
	buf_free(&t->b);
	t->cut = 0;
}

void text_grow_add(struct text *t, const void *p, size_t n)
{
	if (t->cut || buf_add(&t->b, p, n))
		t->cut = 1;
}

void text_u64(struct text *t, uint64_t v)
{
	char d[20];
	size_t i = sizeof d;
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i);
	text_add(t, d + i, sizeof d - i);
}

void text_printf(struct text *t, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->cut = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		text_add(t, small, (size_t)n);
		return;
	}
	/* longer than the small buffer: formatted again, at its length */
	char *tmp = malloc((size_t)n + 1);
	if (!tmp) {
		t->cut = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	text_add(t, tmp, (size_t)n);
	free(tmp);
}
