/* test_hops.c - the path of each message through the lab captures: every
 * hop's copy is linked to the copy it was passed on from, with the number
 * of fields the passing host put on top; unrelated copies are not linked.
 *
 * The truth is computed here another way: two copies are compared field
 * by field from the bottom (the later one must end with every field and
 * the body of the earlier one), and the host relation comes from the
 * capture's addresses.
 */
#define _DEFAULT_SOURCE /* pcap.h under -std=c11 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pcapfeed.h"
#include "decode.h"
#include "hops.h"
#include "message.h"
#include "protos.h"
#include "sstime.h"

/* What the test keeps of each copy: its bytes and addresses. */
struct copy {
	uint64_t number;
	char proto[8];
	struct ss_addr client, server;
	uint8_t *data;
	size_t len;
	struct vhop got; /* what hops_add said */
};
static struct copy copies[64];
static size_t ncopies;
static struct hops *hops;
static const char *tamper; /* when set: a body line to change in hop 2 */

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (r->kind != REC_MESSAGE || ncopies == 64)
		return;
	struct ss_record t = *r;
	uint8_t *d = malloc(r->u.msg.data.len + 1);
	memcpy(d, r->u.msg.data.p, r->u.msg.data.len);
	d[r->u.msg.data.len] = 0; /* for strstr() below */
	struct msg m;
	if (tamper && ncopies == 2) {
		/* a host that rewrote the body: the link is loose */
		char *b = strstr((char *)d, tamper);
		if (b)
			*b = 'X';
		msg_parse(&m, d, r->u.msg.data.len);
		t.u.msg.data.p = d;
		t.u.msg.msg = &m;
	}
	const struct vhop *v = hops_add(hops, &t);
	if (tamper && ncopies == 2)
		msg_free(&m);
	struct copy *c = &copies[ncopies++];
	c->number = r->u.msg.number;
	snprintf(c->proto, sizeof c->proto, "%s", r->u.msg.proto);
	c->client = r->flow->ep[SS_C2S].addr;
	c->server = r->flow->ep[SS_S2C].addr;
	c->data = d;
	c->len = r->u.msg.data.len;
	if (v)
		c->got = *v;
}

/* How many fields later has on top of earlier, when later ends with all of
 * earlier (fields compared from the bottom, then the bodies); -1 if not. */
static long added_fields(const struct copy *earlier, const struct copy *later)
{
	struct msg a, b;
	msg_parse(&a, earlier->data, earlier->len);
	msg_parse(&b, later->data, later->len);
	long k = -1;
	if (b.nfields >= a.nfields && a.body_len == b.body_len &&
	    !memcmp(a.data + a.header_len, b.data + b.header_len, a.len - a.header_len)) {
		k = (long)(b.nfields - a.nfields);
		for (size_t i = 0; i < a.nfields; i++) {
			const struct msg_field *x = &a.fields[a.nfields - 1 - i],
			                       *y = &b.fields[b.nfields - 1 - i];
			if (x->len != y->len || memcmp(a.data + x->off, b.data + y->off, x->len))
				k = -1;
		}
	}
	msg_free(&a);
	msg_free(&b);
	return k;
}

static void run(const char *path, size_t want_hops)
{
	hops = hops_new(1000);
	ncopies = 0;
	record_sink_clear();
	record_sink_add(sink, NULL);
	if (pcapfeed(path))
		exit(1);
	CHECK(ncopies == want_hops);
	for (size_t i = 0; i < ncopies; i++) {
		struct copy *b = &copies[i];
		/* the truth: the latest earlier SMTP copy received by the host b
		 * comes from, that b ends with */
		uint64_t want = 0;
		long want_added = -1;
		for (size_t j = i; j-- > 0;) {
			const struct copy *a = &copies[j];
			const struct ss_addr *host =
			    strcmp(b->proto, "smtp") ? &b->server : &b->client;
			if (strcmp(a->proto, "smtp") || ss_addr_cmp(&a->server, host))
				continue;
			long k = added_fields(a, b);
			if (k >= 0) {
				want = a->number;
				want_added = k;
				break;
			}
		}
		if (b->got.from != want ||
		    (want && (b->got.added != (size_t)want_added || !b->got.exact)))
			printf(
			    "  %s: message %llu: linked to %llu (%zu added, exact %d), want %llu "
			    "(%ld)\n",
			    path, (unsigned long long)b->number, (unsigned long long)b->got.from,
			    b->got.added, b->got.exact, (unsigned long long)want, want_added);
		CHECK(b->got.from == want);
		CHECK(!want || (b->got.added == (size_t)want_added && b->got.exact));
		CHECK(hops_find(hops, b->number) == NULL ||
		      hops_find(hops, b->number)->number == b->number);
	}
	for (size_t i = 0; i < ncopies; i++)
		free(copies[i].data);
	hops_free(hops);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_hops SRCDIR\n");
		return 2;
	}
	char path[4096];
	/* Every recorded scenario: the hops a message took (pcaps/README.md). */
	static const struct {
		const char *name;
		size_t hops;
	} lab[] = {{"scenario1-1", 1},
	           {"scenario1-2", 3},
	           {"scenario2-1", 3},
	           {"scenario2-2", 3},
	           {"scenario3-1", 3},
	           {"scenario3-2", 3},
	           {"scenario4-1", 3},
	           {"scenario4-2", 3},
	           {"scenario4-3", 3},
	           {"scenario4-4", 3},
	           {"pop3", 10},
	           {"imap", 10},
	           /* sent, relayed, delivered, then retrieved over IMAP */
	           {"journey", 4}};
	for (size_t i = 0; i < sizeof lab / sizeof lab[0]; i++)
		for (int set = 0; set < 2; set++) {
			if (set && !strcmp(lab[i].name, "journey"))
				continue; /* recorded with the default verifiers only */
			snprintf(path, sizeof path, "%s/pcaps/%s%s.pcap", argv[1],
			         set ? "opendkim/" : "", lab[i].name);
			run(path, lab[i].hops);
			/* each hop but the first was passed on by the one before;
			 * the retrievals have no delivery in their capture */
			for (size_t h = 1; h < ncopies && lab[i].hops < 10; h++)
				CHECK(copies[h].got.from == copies[h - 1].number);
		}

	/* A relay that changed the body: still linked (its first field is
	 * there), but not exactly. The MX's copy has two fields on top of
	 * the relay's (scenario4-1.eml): its Received and rspamd's
	 * Authentication-Results. */
	tamper = "Hello user1@dmarc.b.test!";
	snprintf(path, sizeof path, "%s/pcaps/scenario4-1.pcap", argv[1]);
	hops = hops_new(1000);
	ncopies = 0;
	record_sink_clear();
	record_sink_add(sink, NULL);
	if (pcapfeed(path))
		exit(1);
	CHECK(ncopies == 3 && copies[2].got.from == copies[1].number && !copies[2].got.exact &&
	      copies[2].got.added == 2);
	for (size_t i = 0; i < ncopies; i++)
		free(copies[i].data);
	hops_free(hops);
	tamper = NULL;

	/* The cap: with room for one copy, only the one just before is kept to
	 * link to (a copy links before the oldest makes room for it). */
	hops = hops_new(1);
	ncopies = 0;
	record_sink_clear();
	record_sink_add(sink, NULL);
	if (pcapfeed(path))
		exit(1);
	CHECK(ncopies == 3 && copies[1].got.from == copies[0].number &&
	      copies[2].got.from == copies[1].number);
	CHECK(hops_dropped(hops) == 2 && hops_find(hops, copies[0].number) == NULL &&
	      hops_find(hops, copies[1].number) == NULL && hops_find(hops, copies[2].number));
	for (size_t i = 0; i < ncopies; i++)
		free(copies[i].data);
	hops_free(hops);

	/* Many copies through a small cap: the copies live end to end in
	 * chunks that go with their last copy (under the sanitizers, any copy
	 * used after its chunk went would show); the newest are kept, the
	 * latest with its strings, the older ones without. */
	hops = hops_new(100);
	size_t lost = 0;
	for (uint64_t i = 1; i <= 20000; i++) {
		char mid[40];
		snprintf(mid, sizeof mid, "helo-%llu", (unsigned long long)i);
		struct ss_record r = {0};
		r.kind = REC_MESSAGE;
		r.u.msg.proto = "smtp";
		r.u.msg.number = i;
		r.u.msg.helo = (struct ss_str){(const uint8_t *)mid, strlen(mid)};
		r.u.msg.data = (struct ss_str){(const uint8_t *)"x", 1};
		const struct vhop *v = hops_add(hops, &r);
		lost += !v || v->number != i || strcmp(v->helo, mid);
	}
	CHECK(lost == 0);
	CHECK(hops_dropped(hops) == 19900 && hops_find(hops, 19900) == NULL);
	const struct vhop *last = hops_find(hops, 19901), *newest = hops_find(hops, 20000);
	CHECK(newest && newest->number == 20000 && !strcmp(newest->helo, "helo-20000"));
	CHECK(last && last->number == 19901 && !last->helo && !last->mail_from);
	hops_free(hops);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
