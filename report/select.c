/* select.c - the forms --message and --host take, and the sets of flow
 * and message numbers a message's story is made of (select.h).
 */
#define _GNU_SOURCE
#include "select.h"

#include "journey.h"
#include "sstime.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct select {
	enum { M_NONE, M_ID, M_NUMBER, M_SUBJECT } how;
	char *message; /* the Message-ID without <>, or the Subject pattern */
	uint64_t number;
	const char **hosts; /* borrowed from the options */
	size_t nhosts;
	struct ss_addr *addrs; /* hosts given as addresses (family 0: a name) */
};

struct select *select_new(const char *message, const char **hosts, size_t nhosts, char *err,
                          size_t errlen)
{
	struct select *s = calloc(1, sizeof *s);
	if (!s || !(s->addrs = calloc(nhosts ? nhosts : 1, sizeof *s->addrs))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->hosts = hosts;
	s->nhosts = nhosts;
	for (size_t i = 0; i < nhosts; i++)
		ss_addr_parse(hosts[i], strlen(hosts[i]), &s->addrs[i]); /* family 0: a name */
	if (!message)
		return s;
	size_t n = strlen(message);
	if (n >= 2 && message[0] == '<' && message[n - 1] == '>') {
		s->how = M_ID;
		s->message = strndup(message + 1, n - 2);
	} else if (message[0] == '#') {
		char *end;
		unsigned long long v = strtoull(message + 1, &end, 10);
		if (!message[1] || *end || !v) {
			snprintf(err, errlen, "--message %.100s: #N takes a message number from 1",
			         message);
			select_free(s);
			return NULL;
		}
		s->how = M_NUMBER;
		s->number = v;
	} else if (n) {
		s->how = M_SUBJECT;
		s->message = strdup(message);
	} else {
		snprintf(err, errlen,
		         "--message: empty; give <Message-ID>, #N or a Subject pattern");
		select_free(s);
		return NULL;
	}
	if (s->how != M_NUMBER && !s->message) {
		snprintf(err, errlen, "out of memory");
		select_free(s);
		return NULL;
	}
	return s;
}

void select_free(struct select *s)
{
	if (!s)
		return;
	free(s->message);
	free(s->addrs);
	free(s);
}

int select_by_host(const struct select *s)
{
	return s && s->nhosts;
}

int select_by_message(const struct select *s)
{
	return s && s->how != M_NONE;
}

/* Host names compare without case and without a final dot (RFC 4343). */
static int same_name(const char *want, const char *name, size_t len)
{
	size_t w = strlen(want);
	if (w && want[w - 1] == '.')
		w--;
	if (len && name[len - 1] == '.')
		len--;
	return w == len && !strncasecmp(want, name, len);
}

int select_host(const struct select *s, const struct ss_addr *a, const char *name)
{
	for (size_t i = 0; i < s->nhosts; i++) {
		if (s->addrs[i].family ? !ss_addr_cmp(&s->addrs[i], a)
		                       : name && same_name(s->hosts[i], name, strlen(name)))
			return 1;
	}
	return 0;
}

int select_host_name(const struct select *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (!s->addrs[i].family && same_name(s->hosts[i], name, len))
			return 1;
	return 0;
}

int select_message(const struct select *s, uint64_t number, const char *message_id,
                   const char *subject)
{
	switch (s->how) {
	case M_NONE:
		return 0;
	case M_NUMBER:
		return number == s->number;
	case M_ID:
		return message_id && !strcmp(message_id, s->message);
	case M_SUBJECT:
		return subject && !fnmatch(s->message, subject, 0);
	}
	return 0;
}

/* --- sets of numbers: open addressing, grown at half full --- */

struct idset {
	uint64_t *slot; /* 0: free (numbers start at 1) */
	size_t cap, n;
};

struct idset *idset_new(void)
{
	return calloc(1, sizeof(struct idset));
}

void idset_free(struct idset *s)
{
	if (s)
		free(s->slot);
	free(s);
}

static size_t where(const uint64_t *slot, size_t cap, uint64_t id)
{
	size_t i = (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
	while (slot[i] && slot[i] != id)
		i = (i + 1) & (cap - 1);
	return i;
}

int idset_add(struct idset *s, uint64_t id)
{
	if (!id)
		return 0;
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				slot[where(slot, cap, s->slot[i])] = s->slot[i];
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	size_t i = where(s->slot, s->cap, id);
	if (!s->slot[i]) {
		s->slot[i] = id;
		s->n++;
	}
	return 0;
}

int idset_has(const struct idset *s, uint64_t id)
{
	return s && s->cap && id && s->slot[where(s->slot, s->cap, id)] == id;
}

size_t idset_count(const struct idset *s)
{
	return s ? s->n : 0;
}

/* --- the story of a message --- */

/* A host on the message's path, and while the message was with it. */
struct stay {
	struct ss_addr host;
	int64_t from, to;
};

/* Windows around a host's part: the DNS questions a server asks for a
 * message come as the client connects (its PTR and A checks), and its
 * verifiers' after the message ends, before or while it is passed on. */
#define STORY_BEFORE (2 * SS_NS_PER_SEC)
#define STORY_AFTER (5 * SS_NS_PER_SEC)

struct story {
	struct idset *flows, *messages;
	struct stay *stays;
	size_t nstays;
	char **ids; /* queue IDs and Message-IDs */
	size_t nids;
};

struct story *story_new(void)
{
	struct story *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->flows = idset_new();
	st->messages = idset_new();
	if (!st->flows || !st->messages) {
		story_free(st);
		return NULL;
	}
	return st;
}

void story_free(struct story *st)
{
	if (!st)
		return;
	idset_free(st->flows);
	idset_free(st->messages);
	free(st->stays);
	for (size_t i = 0; i < st->nids; i++)
		free(st->ids[i]);
	free(st->ids);
	free(st);
}

static void add_id(struct story *st, const char *id)
{
	if (!id || !*id)
		return;
	for (size_t i = 0; i < st->nids; i++)
		if (!strcmp(st->ids[i], id))
			return;
	char **b = realloc(st->ids, (st->nids + 1) * sizeof *b);
	if (!b)
		return;
	st->ids = b;
	if ((b[st->nids] = strdup(id)))
		st->nids++;
}

static void add_stay(struct story *st, const struct ss_addr *h, int64_t from, int64_t to)
{
	struct stay *b = realloc(st->stays, (st->nstays + 1) * sizeof *b);
	if (!b)
		return;
	st->stays = b;
	b[st->nstays++] = (struct stay){*h, from - STORY_BEFORE, to + STORY_AFTER};
}

void story_add_copy(struct story *st, uint64_t number, uint64_t flow, const char *queue_id)
{
	idset_add(st->messages, number);
	idset_add(st->flows, flow);
	add_id(st, queue_id);
}

void story_add_journey(struct story *st, const struct journey *jn)
{
	add_id(st, jn->message_id);
	for (size_t i = 0; i < jn->nsteps; i++) {
		const struct jstep *s = &jn->steps[i];
		if (s->kind == JS_LOG_HOP && s->log)
			add_id(st, s->log->next_queue_id);
		if (s->kind != JS_COPY)
			continue;
		const struct jcopy *c = s->copy;
		story_add_copy(st, c->number, c->flow, c->queue_id);
		int64_t end = c->frame_end ? c->ts_end : c->flow_start;
		if (s->held_known)
			end += s->held;
		/* the client asked for its server's address before it connected */
		add_stay(st, &c->client, c->flow_start, c->flow_start);
		add_stay(st, &c->server, c->flow_start, end);
	}
}

int story_has_flow(const struct story *st, uint64_t flow)
{
	return idset_has(st->flows, flow);
}

int story_has_message(const struct story *st, uint64_t number)
{
	return idset_has(st->messages, number);
}

int story_has_dns(const struct story *st, const struct ss_addr *asker, int64_t ts)
{
	for (size_t i = 0; i < st->nstays; i++)
		if (ts >= st->stays[i].from && ts <= st->stays[i].to &&
		    !ss_addr_cmp(&st->stays[i].host, asker))
			return 1;
	return 0;
}

int story_has_log(const struct story *st, const char *queue_id, size_t qlen, const char *message_id,
                  size_t mlen)
{
	for (size_t i = 0; i < st->nids; i++) {
		size_t n = strlen(st->ids[i]);
		if ((qlen == n && !memcmp(queue_id, st->ids[i], n)) ||
		    (mlen == n && !memcmp(message_id, st->ids[i], n)))
			return 1;
	}
	return 0;
}

int select_journey(const struct select *s, const struct journey *jn)
{
	for (size_t i = 0; i < jn->nsteps; i++) {
		const struct jcopy *c = jn->steps[i].copy;
		if (jn->steps[i].kind == JS_COPY &&
		    select_message(s, c->number, c->message_id, c->subject))
			return 1;
	}
	return 0;
}
