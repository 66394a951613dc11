/* ngsecrets.c - TLS secrets out of pcapng Decryption Secrets Blocks (see
 * ngsecrets.h; the block layout: draft-ietf-opsawg-pcapng, 4.1 and 4.7). */
#define _DEFAULT_SOURCE
#include "ngsecrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NG_SHB 0x0A0D0D0Au
#define NG_DSB 0x0000000Au
#define NG_TLSK 0x544c534bu
#define NG_MAGIC 0x1A2B3C4Du

static uint32_t u32(const uint8_t *p, int swap)
{
	uint32_t v =
	    (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(v) : v;
}

/* The file, read forward. Seeking to every block cost an lseek each
 * (glibc's fseeko drops its buffer): two million system calls for a
 * capture of two million frames, a fifth of reading it with --flows. Bytes
 * between blocks of interest are read and dropped instead, from a large
 * buffer; only a jump past NG_SKIP_SEEK seeks. (Not mapped: a file cut
 * short while mapped would kill the process with SIGBUS.) */
#define NG_BUFFER (1u << 20)
#define NG_SKIP_SEEK ((uint64_t)4 << 20)
struct ngfile {
	FILE *fp;
	uint64_t pos; /* where fp is */
};

/* n bytes at off, at or after where the file is, into out. */
static int ng_get(struct ngfile *f, uint64_t off, void *out, size_t n)
{
	static uint8_t drop[16384];
	if (off < f->pos || off - f->pos > NG_SKIP_SEEK) {
		if (fseeko(f->fp, (off_t)off, SEEK_SET))
			return -1;
		f->pos = off;
	}
	while (f->pos < off) {
		size_t k = off - f->pos < sizeof drop ? (size_t)(off - f->pos) : sizeof drop;
		if (fread(drop, 1, k, f->fp) != k)
			return -1;
		f->pos += k;
	}
	if (fread(out, 1, n, f->fp) != n)
		return -1;
	f->pos += n;
	return 0;
}

long ng_secrets_read(const char *path, ng_secrets_fn *fn, void *ctx, char *why, size_t whylen)
{
	why[0] = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(why, whylen, "%s: cannot be opened", path);
		return -1;
	}
	char *buf = malloc(NG_BUFFER); /* without it, stdio's own will do */
	if (buf)
		setvbuf(fp, buf, _IOFBF, NG_BUFFER);
	struct stat st;
	uint8_t h[12];
	/* not pcapng (or too short): nothing to find */
	if (fstat(fileno(fp), &st) || fread(h, 1, 12, fp) != 12 || u32(h, 0) != NG_SHB) {
		fclose(fp);
		free(buf);
		return 0;
	}
	struct ngfile f = {fp, 12};
	uint64_t size = (uint64_t)st.st_size, off = 0, taken = 0;
	why[0] = 0;
	long found = 0;
	int swap = 0;
	while (off + 12 <= size) {
		if (ng_get(&f, off, h, 12)) /* the first: read again, one seek back */
			break;
		uint32_t type = u32(h, 0);
		if (type == NG_SHB) { /* a section: its byte order may differ */
			uint32_t m = u32(h + 8, 0);
			if (m != NG_MAGIC && __builtin_bswap32(m) != NG_MAGIC) {
				snprintf(
				    why, whylen,
				    "offset %llu: a section header without the byte-order magic",
				    (unsigned long long)off);
				found = -1;
				break;
			}
			swap = m != NG_MAGIC;
		}
		uint32_t len = u32(h + 4, swap);
		if (len < 12 || len % 4 || len > size - off) {
			snprintf(why, whylen,
			         "offset %llu: a block of length %lu that the file cannot hold",
			         (unsigned long long)off, (unsigned long)len);
			found = -1;
			break;
		}
		if (type == NG_DSB && len >= 20) {
			/* body: secrets type, secrets length, the secrets (padded) */
			uint32_t stype = u32(h + 8, swap);
			uint8_t l4[4];
			if (ng_get(&f, off + 12, l4, 4))
				break;
			uint32_t slen = u32(l4, swap);
			if (slen > len - 20) {
				snprintf(why, whylen,
				         "offset %llu: secrets of %lu bytes in a block of %lu",
				         (unsigned long long)off, (unsigned long)slen,
				         (unsigned long)len);
				found = -1;
				break;
			}
			if (stype == NG_TLSK && slen && taken + slen > NG_SECRETS_MAX) {
				snprintf(why, whylen, "secrets past %llu bytes left out",
				         (unsigned long long)NG_SECRETS_MAX);
			} else if (stype == NG_TLSK && slen) {
				uint8_t *p = malloc(slen);
				if (p && !ng_get(&f, off + 16, p, slen)) {
					fn(ctx, p, slen);
					found++;
					taken += slen;
				}
				free(p);
			}
		}
		off += len;
	}
	fclose(fp);
	free(buf);
	return found;
}
