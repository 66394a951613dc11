/* closed.c - TCP flows that ended by FIN or RST, remembered for
 * --tcp-linger as a few dozen bytes each (reasm_int.h).
 *
 * A flow that closed only waits for late segments: a retransmission, the
 * last ACK, a reset after the FIN. All they need of it is its ports, its
 * id (for the late_data event), how it closed and which side was the
 * client. A busy relay closes thousands of flows a second: kept whole
 * (some 750 bytes each) for their linger, they were a sixth of the run's
 * memory, and they lengthened the open flows' hash chains.
 *
 * They count in the table's flows_now, as --max-flows counts them, and are
 * the first to go when it is reached.
 */
#include <stdlib.h>
#include <string.h>

#include "reasm_int.h"

#define FIRST_CBUCKETS 1024

static size_t cslot(const struct ss_reasm *r, const struct flow_key *k)
{
	return (size_t)(flow_key_hash(r, k) & (r->ncbuckets - 1));
}

/* Half full at most, as the open flows' table. */
static void cgrow(struct ss_reasm *r)
{
	size_t n = r->ncbuckets ? r->ncbuckets * 2 : FIRST_CBUCKETS;
	struct closed_flow **b = calloc(n, sizeof *b);
	if (!b)
		return; /* chains get longer; lookups stay correct */
	struct closed_flow **old = r->cbucket;
	size_t oldn = r->ncbuckets;
	r->cbucket = b;
	r->ncbuckets = n;
	for (size_t i = 0; i < oldn; i++)
		for (struct closed_flow *c = old[i], *next; c; c = next) {
			next = c->hnext;
			size_t h = cslot(r, &c->key);
			c->hnext = b[h];
			b[h] = c;
		}
	free(old);
}

static int64_t due(const struct ss_reasm *r, const struct closed_flow *c)
{
	int64_t t = table_timeout(r, NLISTS);
	return c->last_ts > INT64_MAX - t ? INT64_MAX : c->last_ts + t;
}

void closed_add(struct ss_reasm *r, const struct flow *f)
{
	if (r->nclosed >= r->ncbuckets / 2)
		cgrow(r);
	struct closed_flow *c = r->ncbuckets ? malloc(sizeof *c) : NULL;
	if (!c)
		return;
	*c = (struct closed_flow){.prev = r->ctail,
	                          .key = f->key,
	                          .id = f->pub.id,
	                          .last_ts = f->pub.last_ts,
	                          .how = (uint8_t)f->pub.how,
	                          .cli = f->cli};
	size_t h = cslot(r, &c->key);
	c->hnext = r->cbucket[h];
	r->cbucket[h] = c;
	if (r->ctail)
		r->ctail->next = c;
	else
		r->chead = c;
	r->ctail = c;
	r->nclosed++;
	r->st.flows_now++;
	/* the first to wait may be due before anything open (table_expire) */
	if (r->chead == c && due(r, c) < r->expire_at)
		r->expire_at = due(r, c);
}

struct closed_flow *closed_find(struct ss_reasm *r, const struct flow_key *k)
{
	if (!r->nclosed)
		return NULL;
	for (struct closed_flow *c = r->cbucket[cslot(r, k)]; c; c = c->hnext)
		if (!memcmp(&c->key, k, sizeof *k))
			return c;
	return NULL;
}

void closed_remove(struct ss_reasm *r, struct closed_flow *c)
{
	struct closed_flow **pp = &r->cbucket[cslot(r, &c->key)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		r->chead = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		r->ctail = c->prev;
	r->nclosed--;
	r->st.flows_now--;
	free(c);
}

int64_t closed_expire(struct ss_reasm *r)
{
	int64_t linger = table_timeout(r, NLISTS);
	while (r->chead && r->now - r->chead->last_ts > linger)
		closed_remove(r, r->chead);
	return r->chead ? due(r, r->chead) : INT64_MAX;
}

void closed_fini(struct ss_reasm *r)
{
	while (r->chead)
		closed_remove(r, r->chead);
	free(r->cbucket);
	r->cbucket = NULL;
	r->ncbuckets = 0;
}
