/* fuzz_message.c - the RFC 5322 message parser, RFC 2047 decoder and RFC
 * 5322 3.4 address parser under a fuzzer: the input is one message.
 *
 * The input is copied into a buffer of exactly its size, so ASan sees any
 * read past the end; every invariant the callers rely on (the pieces put
 * back together are the message, unfolded values fit their fields, every
 * display string is valid UTF-8) aborts when broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Well-formed UTF-8 with no NUL before the terminator, or abort. */
static void utf8_or_die(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	while (*p) {
		size_t k = *p < 0x80                  ? 1
		           : *p >= 0xc2 && *p <= 0xdf ? 2
		           : *p >= 0xe0 && *p <= 0xef ? 3
		           : *p >= 0xf0 && *p <= 0xf4 ? 4
		                                      : 0;
		if (!k)
			abort();
		for (size_t i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				abort();
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			abort();
		p += k;
	}
}

static void addresses(const struct msg_field *f)
{
	struct msg_addr *a;
	size_t n;
	enum addr5322_status st =
	    addr5322_parse_n((const uint8_t *)f->unfolded, f->unfolded_len, &a, &n);
	if (st == ADDR5322_NOMEM)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].local || !a[i].domain || !a[i].local[0] || !a[i].domain[0])
			abort();
		if (a[i].display)
			utf8_or_die(a[i].display);
		if (a[i].group)
			utf8_or_die(a[i].group);
		if (!addr5322_domain_eq(a[i].domain, a[i].domain))
			abort();
	}
	addr5322_free(a, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	struct msg m;
	if (msg_parse(&m, copy, size)) {
		free(copy);
		return 0;
	}
	/* The pieces are the message: fields back to back, the empty line,
	 * the body. */
	size_t o = 0;
	for (size_t i = 0; i < m.nfields; i++) {
		const struct msg_field *f = &m.fields[i];
		if (f->off != o || f->len == 0 || f->value_off <= f->off + f->name_len ||
		    f->value_off > f->off + f->len || f->unfolded_len > f->len ||
		    f->unfolded_len > MSG_MAX_FIELD || f->unfolded[f->unfolded_len] != 0)
			abort();
		o += f->len;
	}
	if ((m.dropped_fields ? o > m.header_len : o != m.header_len) ||
	    m.header_len > m.body_off || m.body_off > size || m.body_off + m.body_len != size ||
	    m.bad_lines > 1)
		abort();
	if (m.subject)
		utf8_or_die(m.subject);

	for (size_t i = 0; i < m.nfields; i++) {
		const struct msg_field *f = &m.fields[i];
		char *d = rfc2047_decode_n((const uint8_t *)f->unfolded, f->unfolded_len);
		if (d) {
			utf8_or_die(d);
			free(d);
		}
	}
	size_t it = 0, k = 0;
	const struct msg_field *f;
	while ((f = msg_next(&m, "From", &it))) {
		addresses(f);
		k++;
	}
	if (k != msg_count(&m, "from") || (k && msg_find(&m, "FROM", k - 1) == NULL))
		abort();
	it = 0;
	while ((f = msg_next(&m, "To", &it)))
		addresses(f);
	if ((f = msg_find(&m, "Cc", 0)))
		addresses(f);

	struct msg_addr *a;
	size_t n;
	enum msg_author au = msg_author(&m, &a, &n);
	if ((au == MSG_AUTHOR_ONE && n != 1) || (au == MSG_AUTHOR_MANY && n < 2) ||
	    (au == MSG_AUTHOR_NONE && (n || m.from)))
		abort();
	addr5322_free(a, n);
	(void)msg_author_name(au);
	msg_free(&m);
	free(copy);
	return 0;
}
