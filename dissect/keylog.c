/* keylog.c - TLS key log lines (NSS SSLKEYLOGFILE, RFC 9850) read into a
 * table keyed by client random and label (keylog.h).
 *
 * The table is open addressing with linear probing, at most half full, and
 * hashed with a seed drawn at creation: a pcapng file's secrets blocks are
 * as untrusted as its packets, and lines made to collide must not make the
 * reading quadratic.
 */
#define _DEFAULT_SOURCE
#include "keylog.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "log.h"
#include "word.h"

struct entry {
	uint8_t random[32];
	uint8_t used;
	uint8_t label;
	uint8_t len;
	uint8_t secret[KEYLOG_SECRET_MAX];
};

struct tls_keys {
	pthread_rwlock_t lock;
	size_t max, read;  /* bytes allowed, bytes read */
	int full;          /* max was reached */
	struct entry *tab; /* cap slots */
	size_t cap, n;     /* slots, slots used */
	uint64_t seed;     /* of the hash */
	struct keylog_stats st;
	/* the line being put together across pieces of one source */
	uint8_t carry[KEYLOG_LINE_MAX];
	size_t clen;
	int too_long;
	uint64_t lineno;  /* in the current source */
	char origin[128]; /* the current source's name */
};

static const char *const names[KEYLOG_LABELS] = {
    "CLIENT_RANDOM",
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EARLY_EXPORTER_SECRET",
    "EXPORTER_SECRET",
};

const char *keylog_label_name(enum keylog_label l)
{
	return (unsigned)l < KEYLOG_LABELS ? names[l] : "?";
}

static size_t name_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static uint64_t hash(const struct tls_keys *k, const uint8_t r[32], unsigned label)
{
	uint64_t h = k->seed ^ label;
	for (int i = 0; i < 32; i += 8) {
		uint64_t w;
		memcpy(&w, r + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15u;
		h ^= h >> 29;
	}
	return h;
}

/* The slot of (r, label), or the empty slot where it would go. */
static struct entry *slot(const struct tls_keys *k, const uint8_t r[32], unsigned label)
{
	size_t i = (size_t)hash(k, r, label) & (k->cap - 1);
	for (;;) {
		struct entry *e = &k->tab[i];
		if (!e->used || (e->label == label && !memcmp(e->random, r, 32)))
			return e;
		i = (i + 1) & (k->cap - 1);
	}
}

static int grow(struct tls_keys *k)
{
	size_t ncap = k->cap ? k->cap * 2 : 64;
	struct entry *old = k->tab, *nt = calloc(ncap, sizeof *nt);
	if (!nt)
		return -1;
	size_t ocap = k->cap;
	k->tab = nt;
	k->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			*slot(k, old[i].random, old[i].label) = old[i];
	free(old);
	return 0;
}

struct tls_keys *tls_keys_new(size_t max_bytes)
{
	struct tls_keys *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	if (pthread_rwlock_init(&k->lock, NULL)) {
		free(k);
		return NULL;
	}
	k->max = max_bytes ? max_bytes : KEYLOG_MAX_DEFAULT;
	if (getrandom(&k->seed, sizeof k->seed, GRND_NONBLOCK) != (ssize_t)sizeof k->seed)
		k->seed = (uint64_t)(uintptr_t)k * 0x2545f4914f6cdd1du;
	if (grow(k)) {
		pthread_rwlock_destroy(&k->lock);
		free(k);
		return NULL;
	}
	return k;
}

struct tls_keys *tls_keys_free(struct tls_keys *k)
{
	if (!k)
		return NULL;
	pthread_rwlock_destroy(&k->lock);
	free(k->tab);
	free(k);
	return NULL;
}

/* Is f[0..n) hex digits only? */
static int all_hex(const uint8_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_hexval(f[i]) < 0)
			return 0;
	return 1;
}

static void from_hex(const uint8_t *f, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		out[i / 2] = (uint8_t)(ascii_hexval(f[i]) << 4 | ascii_hexval(f[i + 1]));
}

static void bad(struct tls_keys *k, const char *fmt, ...) SS_PRINTF(2, 3);
static void bad(struct tls_keys *k, const char *fmt, ...)
{
	k->st.bad++;
	if (k->st.first_bad[0])
		return;
	char w[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w, sizeof w, fmt, ap);
	va_end(ap);
	snprintf(k->st.first_bad, sizeof k->st.first_bad, "line %llu of %s: %s",
	         (unsigned long long)k->lineno, k->origin, w);
}

static int has_session(const struct tls_keys *k, const uint8_t r[32])
{
	for (unsigned l = 0; l < KEYLOG_LABELS; l++)
		if (slot(k, r, l)->used)
			return 1;
	return 0;
}

/* One line, its line end taken off; the write lock is held. */
static void line(struct tls_keys *k, const uint8_t *p, size_t n)
{
	k->st.lines++;
	k->lineno++;
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n)
		return;
	if (p[i] == '#') {
		k->st.comments++;
		return;
	}
	/* three fields, separated by spaces or tabs */
	const uint8_t *f[4];
	size_t fl[4], nf = 0;
	while (i < n && nf < 4) {
		f[nf] = p + i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		fl[nf] = (size_t)(p + i - f[nf]);
		nf++;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
	}
	if (nf != 3) {
		if (nf < 3)
			bad(k, "%zu fields, not 3 (LABEL RANDOM SECRET)", nf);
		else
			bad(k, "more than 3 fields (LABEL RANDOM SECRET)");
		return;
	}
	unsigned label = KEYLOG_LABELS;
	for (unsigned l = 0; l < KEYLOG_LABELS; l++)
		if (fl[0] == name_len(names[l]) && !memcmp(f[0], names[l], fl[0]))
			label = l;
	if (label == KEYLOG_LABELS) {
		int word = fl[0] > 0;
		for (size_t j = 0; j < fl[0]; j++) {
			uint8_t c = f[0][j];
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
				word = 0;
		}
		if (word && all_hex(f[1], fl[1]) && all_hex(f[2], fl[2]))
			k->st.unused++;
		else
			bad(k, "not a key log line (an unknown label, or fields not in hex)");
		return;
	}
	if (fl[1] != 64 || !all_hex(f[1], 64)) {
		bad(k, "the client random is not 64 hex digits (%zu characters)", fl[1]);
		return;
	}
	if (!all_hex(f[2], fl[2]) || fl[2] % 2) {
		bad(k, "the secret is not in hex");
		return;
	}
	size_t len = fl[2] / 2;
	if (label == KEYLOG_CLIENT_RANDOM ? len != 48 : len != 32 && len != 48) {
		if (label == KEYLOG_CLIENT_RANDOM)
			bad(k, "a master secret of %zu bytes, not 48", len);
		else
			bad(k, "a secret of %zu bytes: TLS 1.3's are 32 or 48 (SHA-256, SHA-384)",
			    len);
		return;
	}
	uint8_t r[32];
	from_hex(f[1], 64, r);
	struct entry *e = slot(k, r, label);
	if (e->used) {
		k->st.replaced++;
	} else {
		if ((k->n + 1) * 2 > k->cap) {
			if (grow(k)) {
				bad(k, "no memory to keep it");
				return;
			}
			e = slot(k, r, label);
		}
		if (!has_session(k, r))
			k->st.sessions++;
		k->n++;
		k->st.secrets++;
		memcpy(e->random, r, 32);
		e->used = 1;
		e->label = (uint8_t)label;
	}
	e->len = (uint8_t)len;
	from_hex(f[2], fl[2], e->secret);
}

/* n bytes of the current source; final: it ends after them. The write
 * lock is held. */
static void feed(struct tls_keys *k, const uint8_t *p, size_t n, int final)
{
	size_t room = k->max - k->read;
	if (n > room) {
		k->st.cut_bytes += n - room;
		n = room;
		k->full = 1;
	}
	k->read += n;
	size_t i = 0;
	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		if (!k->clen && !k->too_long && nl) {
			if (e - i > KEYLOG_LINE_MAX) {
				k->lineno++;
				k->st.lines++;
				bad(k, "a line of more than %zu bytes", (size_t)KEYLOG_LINE_MAX);
			} else {
				line(k, p + i, e - i);
			}
		} else {
			size_t m = e - i;
			if (k->clen + m > KEYLOG_LINE_MAX)
				k->too_long = 1;
			else {
				memcpy(k->carry + k->clen, p + i, m);
				k->clen += m;
			}
			if (nl) {
				if (k->too_long) {
					k->lineno++;
					k->st.lines++;
					bad(k, "a line of more than %zu bytes",
					    (size_t)KEYLOG_LINE_MAX);
				} else {
					line(k, k->carry, k->clen);
				}
				k->clen = 0;
				k->too_long = 0;
			}
		}
		i = nl ? e + 1 : n;
	}
	if (final) {
		/* a last line without its line end, unless the cap cut it */
		if (!k->full && k->too_long) {
			k->lineno++;
			k->st.lines++;
			bad(k, "a line of more than %zu bytes", (size_t)KEYLOG_LINE_MAX);
		} else if (!k->full && k->clen) {
			line(k, k->carry, k->clen);
		}
		k->clen = 0;
		k->too_long = 0;
	}
}

static void start(struct tls_keys *k, const char *origin)
{
	snprintf(k->origin, sizeof k->origin, "%s", origin);
	k->lineno = 0;
	k->clen = 0;
	k->too_long = 0;
}

void tls_keys_add(struct tls_keys *k, const char *origin, const uint8_t *p, size_t n)
{
	pthread_rwlock_wrlock(&k->lock);
	start(k, origin);
	feed(k, p, n, 1);
	pthread_rwlock_unlock(&k->lock);
}

int tls_keys_load(struct tls_keys *k, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	uint64_t size =
	    fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	static const size_t chunk = 65536;
	uint8_t *b = malloc(chunk);
	if (!b) {
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	pthread_rwlock_wrlock(&k->lock);
	start(k, path);
	uint64_t got = 0;
	int rc = 0;
	for (;;) {
		size_t n = fread(b, 1, chunk, f);
		got += n;
		int eof = n < chunk;
		feed(k, b, n, eof);
		if (eof) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: %s", path,
				         strerror(errno ? errno : EIO));
				rc = -1;
			}
			break;
		}
		if (k->full) {
			/* the rest is not read, only counted */
			if (size > got)
				k->st.cut_bytes += size - got;
			feed(k, b, 0, 1);
			break;
		}
	}
	pthread_rwlock_unlock(&k->lock);
	free(b);
	fclose(f);
	return rc;
}

void tls_keys_dsb(void *keys, const uint8_t *p, size_t n)
{
	struct tls_keys *k = keys;
	pthread_rwlock_wrlock(&k->lock);
	k->st.blocks++;
	char o[64];
	snprintf(o, sizeof o, "pcapng secrets block %llu", (unsigned long long)k->st.blocks);
	start(k, o);
	feed(k, p, n, 1);
	pthread_rwlock_unlock(&k->lock);
}

size_t tls_keys_find(const struct tls_keys *k, enum keylog_label l, const uint8_t random[32],
                     uint8_t out[KEYLOG_SECRET_MAX])
{
	if (!k || (unsigned)l >= KEYLOG_LABELS)
		return 0;
	struct tls_keys *w = (struct tls_keys *)k; /* the lock is not the table */
	pthread_rwlock_rdlock(&w->lock);
	const struct entry *e = slot(k, random, l);
	size_t n = 0;
	if (e->used) {
		n = e->len;
		memcpy(out, e->secret, n);
	}
	pthread_rwlock_unlock(&w->lock);
	return n;
}

void tls_keys_stats(const struct tls_keys *k, struct keylog_stats *st)
{
	struct tls_keys *w = (struct tls_keys *)k;
	pthread_rwlock_rdlock(&w->lock);
	*st = k->st;
	pthread_rwlock_unlock(&w->lock);
}

int tls_keys_describe(const struct tls_keys *k, char *buf, size_t len)
{
	struct keylog_stats s;
	tls_keys_stats(k, &s);
	char blocks[64] = "", more[160] = "", first[330] = "";
	if (s.blocks)
		snprintf(blocks, sizeof blocks, " (%llu pcapng secrets block%s)",
		         (unsigned long long)s.blocks, s.blocks == 1 ? "" : "s");
	if (s.unused || s.replaced || s.cut_bytes)
		snprintf(more, sizeof more, ", %llu unused, %llu replaced, %llu bytes cut",
		         (unsigned long long)s.unused, (unsigned long long)s.replaced,
		         (unsigned long long)s.cut_bytes);
	if (s.first_bad[0])
		snprintf(first, sizeof first, " (%s)", s.first_bad);
	return snprintf(
	    buf, len,
	    "key log%s: %llu lines, %llu secrets for %llu sessions, %llu comments, %llu "
	    "bad%s%s",
	    blocks, (unsigned long long)s.lines, (unsigned long long)s.secrets,
	    (unsigned long long)s.sessions, (unsigned long long)s.comments,
	    (unsigned long long)s.bad, first, more);
}
