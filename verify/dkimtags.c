/* dkimtags.c - RFC 6376 3.2 tag=value lists, read with index-checked loops. */
#include "dkimtags.h"

#include <string.h>

static int is_fws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_namechar(uint8_t c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR of RFC 6376 3.2: printable ASCII except ";". */
static int is_valchar(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

const char *dkimtags_parse(struct dkimtags *t, const uint8_t *p, size_t len)
{
	size_t i = 0;
	t->n = 0;
	for (;;) {
		while (i < len && is_fws(p[i]))
			i++;
		if (i == len)
			break;
		if (p[i] == ';') { /* an empty tag-spec */
			i++;
			continue;
		}
		if (!is_alpha(p[i]))
			return "a tag name must start with a letter";
		size_t name = i;
		while (i < len && is_namechar(p[i]))
			i++;
		size_t name_len = i - name;
		while (i < len && is_fws(p[i]))
			i++;
		if (i == len || p[i] != '=')
			return "a tag name is not followed by \"=\"";
		i++;
		while (i < len && is_fws(p[i]))
			i++;
		size_t val = i, end = i;
		for (; i < len && p[i] != ';'; i++) {
			if (is_valchar(p[i]))
				end = i + 1; /* trailing FWS is not part of the value */
			else if (!is_fws(p[i]))
				return "a tag value holds a byte that is not printable ASCII";
		}
		if (t->n == DKIMTAGS_MAX)
			return "too many tags";
		for (size_t k = 0; k < t->n; k++)
			if (t->tag[k].name_len == name_len &&
			    !memcmp(t->tag[k].name, p + name, name_len))
				return "a tag appears twice";
		struct dkimtag *tag = &t->tag[t->n++];
		tag->name = p + name;
		tag->name_len = name_len;
		tag->val = p + val;
		tag->val_len = end - val;
		if (i < len)
			i++; /* the ";" */
	}
	return t->n ? NULL : "no tags";
}

const struct dkimtag *dkimtags_find(const struct dkimtags *t, const char *name)
{
	size_t n = strlen(name);
	for (size_t k = 0; k < t->n; k++)
		if (t->tag[k].name_len == n && !memcmp(t->tag[k].name, name, n))
			return &t->tag[k];
	return NULL;
}

long dkimtags_squeeze(const struct dkimtag *tag, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < tag->val_len; i++) {
		if (is_fws(tag->val[i]))
			continue;
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)tag->val[i];
	}
	if (cap == 0)
		return -1;
	out[o] = 0;
	return (long)o;
}
