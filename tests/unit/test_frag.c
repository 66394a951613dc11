/* test_frag.c - IP fragment reassembly: order, duplicates, overlaps (IPv4
 * keeps the first copy; IPv6 drops the datagram, RFC 5722), impossible
 * fragments (RFC 791: offsets in 8-byte units, only the last may be short),
 * the timeout in capture time, and both caps.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "frag.h"
#include "sstime.h"

static char events[1024];

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(events);
	snprintf(events + n, sizeof events - n, "%s;", e->what);
}

static struct frag_key key(int v6, uint32_t id)
{
	struct frag_key k;
	memset(&k, 0, sizeof k);
	k.src.family = k.dst.family = v6 ? SS_AF_INET6 : SS_AF_INET;
	k.src.b[0] = 10, k.dst.b[0] = 11;
	k.id = id;
	k.proto = v6 ? 0 : 17;
	return k;
}

static struct frag_done done;
static uint64_t frame;

/* Adds a fragment of payload text at byte offset off, at second sec. */
static int add(struct frag_store *s, int v6, uint32_t id, uint32_t off, const char *text, int more,
               int sec)
{
	struct frag_key k = key(v6, id);
	struct ss_frame f = {++frame, (int64_t)sec * SS_NS_PER_SEC, 0, 0, NULL};
	memset(&done, 0, sizeof done);
	return frag_add(s, &k, off, (const uint8_t *)text, (uint32_t)strlen(text), more, 17, &f,
	                &done);
}

static int is(const char *want)
{
	return done.p && done.len == strlen(want) && !memcmp(done.p, want, done.len);
}

/* Issue 16: pieces were a list walked from its head for each fragment, so a
 * datagram of 8192 eight-byte fragments cost 8192^2 steps. These check
 * that the index replacing it keeps the rules - the first copy of every
 * byte kept, whole exactly when every byte came - in every order, against
 * a model of the datagram built here byte by byte. */
enum { NPIECE = 8191, BIG = NPIECE * 8 + 7 }; /* 65535 bytes: the largest datagram */
static uint8_t model[BIG], got[BIG];
static uint8_t covered[BIG];
static uint32_t ncovered, nadded, wrong; /* bytes covered, fragments added, wrong answers */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Adds bytes [off, off+len) of copy k of the datagram; returns frag_add's
 * answer. Copies differ, so keeping a wrong one shows. */
static int big_add(struct frag_store *s, uint32_t id, uint32_t off, uint32_t len, uint32_t k)
{
	uint8_t p[256];
	for (uint32_t i = 0; i < len; i++) {
		p[i] = (uint8_t)((off + i) * 13 + k * 7);
		if (!covered[off + i]) {
			covered[off + i] = 1;
			ncovered++;
			model[off + i] = p[i];
		}
	}
	struct frag_key k4 = key(0, id);
	struct ss_frame f = {++frame, 0, 0, 0, NULL};
	memset(&done, 0, sizeof done);
	int rc = frag_add(s, &k4, off, p, len, off + len < BIG, 17, &f, &done);
	nadded++;
	if (rc == 1)
		memcpy(got, done.p, done.len);
	wrong += rc != (ncovered == BIG); /* whole exactly when the last byte came */
	return rc;
}

static void many_fragments(struct frag_store *s)
{
	static uint32_t perm[NPIECE + 1];
	for (int c = 0; c < 4; c++) {
		memset(covered, 0, sizeof covered);
		rnd_state = 7u + (uint32_t)c;
		for (uint32_t i = 0; i <= NPIECE; i++)
			perm[i] = c == 1 ? NPIECE - i : i; /* c 1: descending */
		if (c >= 2)
			for (uint32_t i = NPIECE; i > 0; i--) {
				uint32_t j = rnd() % (i + 1), t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
		int rc = 0;
		uint32_t id = 100 + (uint32_t)c;
		ncovered = nadded = wrong = 0;
		if (c == 3) /* overlapping runs of 1 to 16 units first, from the second unit on */
			for (int k = 0; k < 3000; k++) {
				uint32_t u = 1 + rnd() % (NPIECE - 1), n = 1 + rnd() % 16;
				if (u + n > NPIECE)
					n = NPIECE - u;
				rc = big_add(s, id, u * 8, n * 8, 1000 + (uint32_t)k);
			}
		for (uint32_t i = 0; i <= NPIECE && rc != 1; i++) {
			uint32_t u = perm[i];
			rc = big_add(s, id, u * 8, u == NPIECE ? 7 : 8, u);
		}
		CHECK(wrong == 0 && rc == 1 && done.len == BIG && !memcmp(got, model, BIG));
		CHECK(done.nfrags == nadded && nadded >= NPIECE + 1);
	}
	CHECK(!strcmp(events, "") || !strncmp(events, "frag_overlap_conflict;", 22));
	events[0] = 0;
}

int main(void)
{
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	ss_event_sink(on_event, NULL);
	struct frag_store *s = frag_new(&caps);

	/* In order, out of order, with an exact duplicate. */
	CHECK(add(s, 0, 1, 0, "AAAAAAAA", 1, 0) == 0);
	CHECK(add(s, 0, 1, 8, "BBBBBBBB", 1, 0) == 0);
	CHECK(add(s, 0, 1, 16, "CC", 0, 0) == 1 && is("AAAAAAAABBBBBBBBCC"));
	CHECK(add(s, 0, 2, 16, "cc", 0, 0) == 0);
	CHECK(add(s, 0, 2, 0, "aaaaaaaa", 1, 0) == 0);
	CHECK(add(s, 0, 2, 0, "aaaaaaaa", 1, 0) == 0);
	CHECK(add(s, 0, 2, 8, "bbbbbbbb", 1, 0) == 1 && is("aaaaaaaabbbbbbbbcc"));
	CHECK(!strcmp(events, ""));

	/* IPv4 overlap with different bytes: the first copy wins, and it is said. */
	CHECK(add(s, 0, 3, 0, "11111111", 1, 0) == 0);
	CHECK(add(s, 0, 3, 0, "1111111122222222", 1, 0) == 0); /* 0..7 again, the same */
	CHECK(add(s, 0, 3, 8, "XXXXXXXX", 0, 0) == 1 && is("1111111122222222")); /* 8..15 differ */
	CHECK(!strcmp(events, "frag_overlap_conflict;"));
	events[0] = 0;

	/* IPv6: an exact duplicate is dropped alone; any other overlap drops all. */
	CHECK(add(s, 1, 4, 0, "66666666", 1, 0) == 0);
	CHECK(add(s, 1, 4, 0, "66666666", 1, 0) == 0);
	CHECK(add(s, 1, 4, 8, "77", 0, 0) == 1 && is("6666666677"));
	CHECK(add(s, 1, 5, 0, "66666666", 1, 0) == 0);
	CHECK(add(s, 1, 5, 4, "6666ZZZZ", 1, 0) == -1);
	CHECK(add(s, 1, 5, 8, "77", 0, 0) == 0); /* a new datagram: the old one is gone */
	CHECK(!strcmp(events, "frag_overlap;"));
	events[0] = 0;

	/* Impossible fragments: a short one that is not the last, two lasts. */
	CHECK(add(s, 0, 6, 0, "abc", 1, 0) == -1);
	CHECK(add(s, 0, 7, 8, "zz", 0, 0) == 0);
	CHECK(add(s, 0, 7, 16, "zz", 0, 0) == -1);
	CHECK(!strcmp(events, "frag_malformed;frag_malformed;"));
	events[0] = 0;

	/* Time runs out in capture time: the datagram is dropped, said once. */
	CHECK(add(s, 0, 8, 0, "tttttttt", 1, 100) == 0);
	frag_expire(s, (int64_t)(100 + caps.frag_timeout + 1) * SS_NS_PER_SEC);
	CHECK(add(s, 0, 8, 8, "end", 0, 131) == 0); /* starts a new datagram */
	CHECK(
	    !strcmp(events, "frag_timeout;frag_timeout;")); /* the IPv6 id 5 left over, and id 8 */
	events[0] = 0;
	many_fragments(s);
	frag_free(s);

	/* The caps: datagrams at once, then bytes held; the oldest goes first. */
	caps.max_frag_dgrams = 2;
	s = frag_new(&caps);
	CHECK(add(s, 0, 10, 0, "11111111", 1, 0) == 0);
	CHECK(add(s, 0, 11, 0, "22222222", 1, 0) == 0);
	CHECK(add(s, 0, 12, 0, "33333333", 1, 0) == 0); /* 10 is evicted */
	CHECK(add(s, 0, 10, 8, "x", 0, 0) == 0);        /* so this cannot complete */
	CHECK(add(s, 0, 12, 8, "x", 0, 0) == 1 && is("33333333x"));
	CHECK(!strncmp(events, "frag_evicted;", 13));
	frag_free(s);
	events[0] = 0;
	caps.max_frag_dgrams = 100;
	/* room for one datagram holding a 16-byte piece, not for two */
	caps.max_frag_mem = frag_dgram_cost() + frag_piece_cost(16) + 20;
	s = frag_new(&caps);
	CHECK(add(s, 0, 20, 0, "aaaaaaaaaaaaaaaa", 1, 0) == 0);
	CHECK(frag_stats(s)->mem == frag_dgram_cost() + frag_piece_cost(16));
	CHECK(add(s, 0, 21, 0, "bbbbbbbbbbbbbbbb", 1, 0) == 0); /* two do not fit: 20 goes */
	CHECK(!strcmp(events, "frag_evicted;"));
	CHECK(frag_stats(s)->evicted == 1);
	frag_free(s);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
