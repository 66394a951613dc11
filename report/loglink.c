/* loglink.c - log lines to the flows and messages they speak of
 * (loglink.h): two set-associative tables, WAYS entries a set, the oldest
 * of a full set replaced. The hash has a fixed seed: the output must be
 * the same on every run, and keys made to collide (they come from the
 * wire) can only leave lines shown unlinked, never cost more time or
 * memory.
 */
#include "loglink.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define ID_MAX 64 /* longer queue IDs and Message-IDs are not remembered */
#define WAYS 4
#define SEED 0x9e3779b97f4a7c15ULL

struct pair {
	struct ss_addr client, server;
	uint64_t flow; /* 0: free */
	uint64_t age;  /* when it was put: the set's oldest goes */
};

struct id {
	char key[ID_MAX];
	uint8_t len; /* 0: free */
	uint64_t flow, message;
	uint64_t age;
};

struct loglink {
	uint64_t clock; /* counts puts */
	struct pair pairs[LOGLINK_FLOWS];
	struct id ids[LOGLINK_IDS];
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = mix(seed ^ n);
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return mix(h);
}

struct loglink *loglink_new(void)
{
	return calloc(1, sizeof(struct loglink));
}

void loglink_free(struct loglink *l)
{
	free(l);
}

/* The set a client-server pair goes in: WAYS entries. */
static struct pair *pair_set(struct loglink *l, const struct ss_addr *c, const struct ss_addr *s)
{
	uint8_t k[34];
	k[0] = c->family;
	memcpy(k + 1, c->b, 16);
	k[17] = s->family;
	memcpy(k + 18, s->b, 16);
	return &l->pairs[hash_bytes(SEED, k, sizeof k) % (LOGLINK_FLOWS / WAYS) * WAYS];
}

static int same_pair(const struct pair *p, const struct ss_addr *c, const struct ss_addr *s)
{
	return p->flow && !ss_addr_cmp(&p->client, c) && !ss_addr_cmp(&p->server, s);
}

void loglink_flow(struct loglink *l, const struct ss_flow *f)
{
	if (!l || f->proto != 6)
		return;
	const struct ss_addr *c = &f->ep[SS_C2S].addr, *s = &f->ep[SS_S2C].addr;
	struct pair *set = pair_set(l, c, s), *p = set;
	for (int i = 0; i < WAYS; i++) {
		if (same_pair(&set[i], c, s)) { /* the pair's latest flow */
			p = &set[i];
			break;
		}
		if (set[i].age < p->age)
			p = &set[i];
	}
	*p = (struct pair){*c, *s, f->id, ++l->clock};
}

static struct id *id_set(struct loglink *l, const void *key, size_t n)
{
	return &l->ids[hash_bytes(SEED ^ 0x5bd1e995, key, n) % (LOGLINK_IDS / WAYS) * WAYS];
}

static struct id *recall(struct loglink *l, const void *key, size_t n)
{
	if (!n || n >= ID_MAX)
		return NULL;
	struct id *set = id_set(l, key, n);
	for (int i = 0; i < WAYS; i++)
		if (set[i].len == n && !memcmp(set[i].key, key, n))
			return &set[i];
	return NULL;
}

static void remember(struct loglink *l, const void *key, size_t n, uint64_t flow, uint64_t message)
{
	if (!n || n >= ID_MAX)
		return;
	struct id *x = recall(l, key, n);
	if (!x) {
		struct id *set = id_set(l, key, n);
		x = set;
		for (int i = 1; i < WAYS; i++)
			if (set[i].age < x->age)
				x = &set[i];
		memset(x, 0, sizeof *x);
		memcpy(x->key, key, n);
		x->len = (uint8_t)n;
		x->age = ++l->clock;
	}
	if (flow)
		x->flow = flow;
	if (message)
		x->message = message;
}

/* "<id@host>" and "id@host" are one Message-ID. */
static struct ss_str bare_id(struct ss_str s)
{
	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
		return (struct ss_str){s.p + 1, s.len - 2};
	return s;
}

void loglink_message(struct loglink *l, const struct ss_record *r, const char *message_id)
{
	if (!l)
		return;
	const struct rec_message *m = &r->u.msg;
	remember(l, m->queue_id.p, m->queue_id.len, r->flow->id, m->number);
	if (message_id) {
		struct ss_str id =
		    bare_id((struct ss_str){(const uint8_t *)message_id, strlen(message_id)});
		remember(l, id.p, id.len, r->flow->id, m->number);
	}
}

/* An address as a line writes it ("10.255.1.10", "::1"). */
static int parse_addr(struct ss_str s, struct ss_addr *a)
{
	return ss_addr_parse((const char *)s.p, s.len, a);
}

static uint64_t flow_of(struct loglink *l, struct ss_str client, const struct ss_addr *server)
{
	struct ss_addr c;
	if (!server || parse_addr(client, &c))
		return 0;
	const struct pair *set = pair_set(l, &c, server);
	for (int i = 0; i < WAYS; i++)
		if (same_pair(&set[i], &c, server))
			return set[i].flow;
	return 0;
}

void loglink_log(struct loglink *l, const struct ss_record *r, const struct maillog *m,
                 uint64_t *flow, uint64_t *message)
{
	*flow = *message = 0;
	if (!l)
		return;
	/* the host that sent the line: the server of the flows it speaks of */
	const struct ss_addr *host = r->flow ? &r->flow->ep[SS_C2S].addr : NULL;
	if (m->kind == ML_CONNECT || m->kind == ML_CLIENT || m->kind == ML_DISCONNECT ||
	    m->kind == ML_REJECT)
		*flow = flow_of(l, m->addr, host);
	if (m->kind == ML_LOGIN || m->kind == ML_LOGOUT) {
		struct ss_addr lip;
		if (m->lip.len && !parse_addr(m->lip, &lip))
			*flow = flow_of(l, m->rip, &lip);
		else
			*flow = flow_of(l, m->rip, host);
	}
	struct id *x = recall(l, m->queue_id.p, m->queue_id.len);
	if (!x)
		x = recall(l, bare_id(m->message_id).p, bare_id(m->message_id).len);
	if (x) {
		if (!*flow)
			*flow = x->flow;
		*message = x->message;
	}
	/* the client= line ties its queue ID to the flow it came by */
	if (*flow && m->queue_id.len)
		remember(l, m->queue_id.p, m->queue_id.len, *flow, 0);
}
