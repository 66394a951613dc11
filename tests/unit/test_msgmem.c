/* test_msgmem.c - --max-messages-mem (dissect/msgmem.h): the storage of the
 * messages being collected, all sessions together, stays within the cap;
 * a message refused storage is a prefix of what was sent, marked
 * incomplete, with a messages_mem anomaly, and its session goes on (the
 * commands after it still pair with their replies, RFC 5321 4.1.1.4, RFC
 * 1939 3, RFC 9051 7.4.2); every byte counted is given back however the
 * flow ends: mid-DATA by FIN or RST, pushed out by --max-flows, or still
 * open at the end of the run.
 *
 * The sessions are hand-made and run at once, their segments interleaved,
 * through reassembly and the real dissectors; what they sent is the truth
 * the records are held to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "msgmem.h"
#include "protos.h"
#include "record.h"
#include "synth.h"

/* --- what the dissectors gave ------------------------------------------------ */

#define MAXREC 256
static struct got {
	int msg; /* a message, else an exchange */
	uint64_t flow;
	char verb[16];
	int code, incomplete;
	uint8_t *data;
	size_t len;
} got[MAXREC];
static size_t ngot;
static char events[8192]; /* "layer.what@flow;" each */

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	if (ngot == MAXREC || (r->kind != REC_MESSAGE && r->kind != REC_EXCHANGE))
		return;
	struct got *g = &got[ngot++];
	memset(g, 0, sizeof *g);
	g->flow = r->flow ? r->flow->id : 0;
	if (r->kind == REC_MESSAGE) {
		g->msg = 1;
		g->incomplete = r->u.msg.incomplete;
		g->len = r->u.msg.data.len;
		g->data = malloc(g->len ? g->len : 1);
		if (g->len)
			memcpy(g->data, r->u.msg.data.p, g->len);
		return;
	}
	snprintf(g->verb, sizeof g->verb, "%s", r->u.ex.verb ? r->u.ex.verb : "-");
	g->code = r->u.ex.code;
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(events);
	snprintf(events + n, sizeof events - n, "%s.%s@%llu;", e->layer, e->what,
	         (unsigned long long)e->flow);
}

static void forget(void)
{
	for (size_t i = 0; i < ngot; i++)
		free(got[i].data);
	ngot = 0;
	events[0] = 0;
}

/* The k-th message record of flow (0 the first), or NULL. */
static const struct got *message(uint64_t flow, int k)
{
	for (size_t i = 0; i < ngot; i++)
		if (got[i].msg && got[i].flow == flow && k-- == 0)
			return &got[i];
	return NULL;
}

/* The reply code of flow's exchange of verb (the last one), or -2. */
static int reply_to(uint64_t flow, const char *verb)
{
	int code = -2;
	for (size_t i = 0; i < ngot; i++)
		if (!got[i].msg && got[i].flow == flow && !strcmp(got[i].verb, verb))
			code = got[i].code;
	return code;
}

static int said(const char *what, uint64_t flow)
{
	char t[96];
	snprintf(t, sizeof t, "%s@%llu;", what, (unsigned long long)flow);
	return strstr(events, t) != NULL;
}

/* --- sessions at once ------------------------------------------------------- */

static struct ss_reasm *R;
static struct ss_caps caps;
static struct dissect_opts opts;
static int ms;
static uint64_t flows; /* flow ids are given in the order flows open */
static uint64_t most;  /* the most msgmem_held() was after any segment */

struct conv {
	uint16_t cport, sport;
	uint32_t cs, ss; /* next sequence numbers */
	uint64_t id;
};

static void run_start(uint64_t cap)
{
	forget();
	ss_caps_defaults(&caps);
	caps.max_messages_mem = cap;
	R = reasm_new(&caps);
	opts = (struct dissect_opts){&caps, 0, 0, NULL, NULL};
	dissect_register(R, &opts);
	synth_reset();
	ms = 0;
	flows = 0;
	most = 0;
}

static void run_end(void)
{
	reasm_finish(R);
	reasm_free(R);
	R = NULL;
}

static void seg(struct conv *c, int client, int flags, const void *p, size_t n)
{
	synth_tcp(R, client, c->cport, c->sport, ms++, flags, client ? c->cs : c->ss,
	          client ? c->ss : c->cs, p, n, 0);
	if (msgmem_held() > most)
		most = msgmem_held();
}

static void open_conv(struct conv *c, uint16_t cport, uint16_t sport)
{
	*c = (struct conv){cport, sport, 1000, 5000, 0};
	c->cs--;
	c->ss--;
	seg(c, 1, 0x02, NULL, 0);
	c->cs++;
	seg(c, 0, 0x12, NULL, 0);
	c->ss++;
	seg(c, 1, 0x10, NULL, 0);
	/* reasm_stats counts the flow once its SYN is in */
	c->id = ++flows;
}

/* n bytes of p from one side, in segments of 1000. */
static void say(struct conv *c, int client, const void *p, size_t n)
{
	const uint8_t *q = p;
	for (size_t off = 0; off < n; off += 1000) {
		size_t k = n - off < 1000 ? n - off : 1000;
		seg(c, client, 0x18, q + off, k);
		*(client ? &c->cs : &c->ss) += (uint32_t)k;
	}
}
#define CS(c, s) say((c), 1, (s), strlen(s))
#define SS(c, s) say((c), 0, (s), strlen(s))

static void fin(struct conv *c)
{
	seg(c, 1, 0x11, NULL, 0);
	c->cs++;
	seg(c, 0, 0x11, NULL, 0);
	c->ss++;
	seg(c, 1, 0x10, NULL, 0);
}

static void rst(struct conv *c)
{
	seg(c, 1, 0x14, NULL, 0);
}

/* A message of n bytes: lines of 100 bytes, none starting with a dot, each
 * naming its session and number, so a prefix is known by its bytes. */
static uint8_t *body(char who, size_t n)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++) {
		size_t col = i % 100;
		b[i] = col == 98   ? '\r'
		       : col == 99 ? '\n'
		       : col == 0  ? (uint8_t)who
		       : col < 7   ? (uint8_t)('0' + (i / 100 /
                                                    (col == 1   ? 100000
		                                       : col == 2 ? 10000
		                                       : col == 3 ? 1000
		                                       : col == 4 ? 100
		                                       : col == 5 ? 10
		                                                  : 1)) %
                                                       10)
		                   : (uint8_t)('a' + (i * 7 + col) % 26);
	}
	return b;
}

/* SMTP up to the 354 that lets the message come. */
static void smtp_to_data(struct conv *c, const char *from)
{
	char t[128];
	SS(c, "220 mx.b.test ESMTP\r\n");
	CS(c, "EHLO client.a.test\r\n");
	SS(c, "250-mx.b.test\r\n250 PIPELINING\r\n");
	snprintf(t, sizeof t, "MAIL FROM:<%s>\r\n", from);
	CS(c, t);
	SS(c, "250 2.1.0 Ok\r\n");
	CS(c, "RCPT TO:<user1@b.test>\r\n");
	SS(c, "250 2.1.5 Ok\r\n");
	CS(c, "DATA\r\n");
	SS(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
}

static void smtp_end_data(struct conv *c, const char *qid)
{
	char t[64];
	CS(c, ".\r\n");
	snprintf(t, sizeof t, "250 2.0.0 Ok: queued as %s\r\n", qid);
	SS(c, t);
}

/* got's message is exactly sent[0..n) */
static int whole(const struct got *g, const uint8_t *sent, size_t n)
{
	return g && !g->incomplete && g->len == n && !memcmp(g->data, sent, n);
}

/* got's message is a proper prefix of sent[0..n), marked incomplete */
static int cut(const struct got *g, const uint8_t *sent, size_t n)
{
	return g && g->incomplete && g->len < n && !memcmp(g->data, sent, g->len);
}

/* got's message is sent[0..n), marked incomplete (its end never came) */
static int kept(const struct got *g, const uint8_t *sent, size_t n)
{
	return g && g->incomplete && g->len == n && !memcmp(g->data, sent, n);
}

/* --- the counting itself ---------------------------------------------------- */

static void counting(void)
{
	CHECK(msgmem_held() == 0);
	CHECK(msgmem_take(100, 60) == 0);
	CHECK(msgmem_take(100, 41) == -1);
	CHECK(msgmem_held() == 60);
	CHECK(msgmem_take(100, 40) == 0);
	CHECK(msgmem_take(100, 0) == 0);
	CHECK(msgmem_take(100, 1) == -1);
	CHECK(msgmem_take(50, 0) == -1); /* a total already over a smaller cap */
	CHECK(msgmem_peak() >= 100);
	msgmem_give(100);
	CHECK(msgmem_held() == 0);

	/* Storage, not bytes in use, is counted: the doubling included. */
	const uint64_t cap = 1u << 20; /* large: over 4K, must leave 128K free */
	uint8_t *sent = body('x', 1u << 20);
	struct buf a, b;
	buf_init(&a, 64u << 20);
	msgmem_begin(&a, cap, NULL);
	size_t off = 0;
	enum msgmem_res res;
	while ((res = msgmem_add(&a, cap, sent + off, 1000)) == MSGMEM_OK) {
		off += 1000;
		if (!CHECK(msgmem_held() == a.size && a.len == off && a.size <= cap))
			break;
	}
	CHECK(res == MSGMEM_SHARED);
	CHECK(a.len == off && !memcmp(a.p, sent, off)); /* left as it was */
	CHECK(msgmem_held() == a.size);
	CHECK(a.size <= cap - cap / 8 && a.size + 1000 > cap - cap / 8);
	/* a small message still has the last eighth */
	buf_init(&b, 64u << 20);
	msgmem_begin(&b, cap, NULL);
	CHECK(msgmem_add(&b, cap, sent, 4000) == MSGMEM_OK);
	CHECK(msgmem_held() == a.size + b.size && b.size == 4096);
	/* a large one does not */
	CHECK(msgmem_add(&b, cap, sent, 1000) == MSGMEM_SHARED && b.len == 4000);
	msgmem_end(&a, NULL);
	CHECK(msgmem_held() == b.size && a.p == NULL && a.len == 0 && a.size == 0);
	CHECK(msgmem_add(&b, cap, sent + 4000, 1000) == MSGMEM_OK);
	CHECK(b.len == 5000 && !memcmp(b.p, sent, 5000));
	msgmem_end(&b, NULL);
	CHECK(msgmem_held() == 0);

	/* --max-message is the buffer's own cap: refused, nothing counted */
	buf_init(&a, 10);
	msgmem_begin(&a, cap, NULL);
	CHECK(msgmem_add(&a, cap, sent, 11) == MSGMEM_FULL && msgmem_held() == 0);
	CHECK(msgmem_add(&a, cap, sent, 10) == MSGMEM_OK && msgmem_held() == a.size);
	msgmem_end(&a, NULL);

	/* Storage from the pool is counted while a message holds it. */
	struct bufpool pool;
	bufpool_init(&pool, 1u << 20);
	buf_init(&a, 64u << 20);
	msgmem_begin(&a, cap, &pool);
	CHECK(msgmem_add(&a, cap, sent, 300) == MSGMEM_OK && a.size == 512);
	msgmem_end(&a, &pool);
	CHECK(msgmem_held() == 0 && pool.n == 1);
	msgmem_begin(&a, 100, &pool); /* 512 would pass a cap of 100: not lent */
	CHECK(a.p == NULL && pool.n == 1 && msgmem_held() == 0);
	msgmem_begin(&a, cap, &pool);
	CHECK(a.p != NULL && a.size == 512 && pool.n == 0 && msgmem_held() == 512);
	msgmem_begin(&a, cap, &pool); /* again: it keeps what it has */
	CHECK(a.size == 512 && msgmem_held() == 512);
	msgmem_end(&a, &pool);
	CHECK(msgmem_held() == 0 && pool.n == 1);
	bufpool_free(&pool);
	free(sent);
}

/* --- SMTP: sessions at once against a cap ----------------------------------- */

static void smtp_at_once(void)
{
	/* 64K: a message over 256 bytes of storage leaves 8K free. */
	const uint64_t cap = 64u << 10;
	uint8_t *ma = body('A', 30000), *mb = body('B', 40000);
	static const char short_msg[] = "Subject: short\r\n\r\nan ordinary message\r\n";
	static const char after[] = "Subject: after\r\n\r\nthe next transaction\r\n";
	struct conv a, b, c;
	run_start(cap);
	open_conv(&a, 40001, 25);
	open_conv(&b, 40002, 25);
	smtp_to_data(&a, "a@a.test");
	smtp_to_data(&b, "b@a.test");
	/* A's message and B's come together, 1000 bytes at a time. */
	for (size_t off = 0; off < 40000; off += 1000) {
		if (off < 30000)
			say(&a, 1, ma + off, 1000);
		say(&b, 1, mb + off, 1000);
	}
	CHECK(msgmem_held() > 0 && msgmem_held() <= cap);
	/* an ordinary message meanwhile, in a session of its own */
	open_conv(&c, 40003, 25);
	smtp_to_data(&c, "c@a.test");
	CS(&c, short_msg);
	smtp_end_data(&c, "QC");
	CS(&c, "QUIT\r\n");
	SS(&c, "221 2.0.0 Bye\r\n");
	fin(&c);
	/* B ends its message, then sends another, and leaves */
	smtp_end_data(&b, "QB1");
	CS(&b, "MAIL FROM:<b2@a.test>\r\n");
	SS(&b, "250 2.1.0 Ok\r\n");
	CS(&b, "RCPT TO:<user2@b.test>\r\n");
	SS(&b, "250 2.1.5 Ok\r\n");
	CS(&b, "DATA\r\n");
	SS(&b, "354 go\r\n");
	CS(&b, after);
	smtp_end_data(&b, "QB2");
	CS(&b, "QUIT\r\n");
	SS(&b, "221 2.0.0 Bye\r\n");
	fin(&b);
	smtp_end_data(&a, "QA");
	CS(&a, "QUIT\r\n");
	SS(&a, "221 2.0.0 Bye\r\n");
	fin(&a);
	run_end();

	CHECK(most > 0 && most <= cap);
	CHECK(whole(message(a.id, 0), ma, 30000)); /* it came first: whole */
	CHECK(cut(message(b.id, 0), mb, 40000));   /* refused: what it kept */
	CHECK(message(b.id, 0) && message(b.id, 0)->len >= 1000);
	CHECK(said("smtp.messages_mem", b.id));
	CHECK(!said("smtp.messages_mem", a.id) && !said("smtp.messages_mem", c.id));
	CHECK(!strstr(events, "message_too_big"));
	/* the session goes on: the "." and what follows pair with their replies */
	CHECK(reply_to(b.id, ".") == 250);
	CHECK(whole(message(b.id, 1), (const uint8_t *)after, sizeof after - 1));
	CHECK(reply_to(b.id, "QUIT") == 221);
	CHECK(whole(message(c.id, 0), (const uint8_t *)short_msg, sizeof short_msg - 1));
	CHECK(reply_to(c.id, "QUIT") == 221 && reply_to(a.id, "QUIT") == 221);
	CHECK(msgmem_held() == 0);
	free(ma);
	free(mb);
}

/* --- every byte given back, however the flow ends ----------------------------- */

static void ends(void)
{
	uint8_t *m = body('E', 20000);
	struct conv a, b, c, d;

	/* FIN and RST in the middle of DATA */
	run_start(256u << 20);
	open_conv(&a, 40011, 25);
	open_conv(&b, 40012, 25);
	smtp_to_data(&a, "a@a.test");
	smtp_to_data(&b, "b@a.test");
	say(&a, 1, m, 20000);
	say(&b, 1, m, 20000);
	uint64_t both = msgmem_held();
	CHECK(both >= 40000);
	fin(&a);
	CHECK(msgmem_held() > 0 && msgmem_held() < both);
	rst(&b);
	run_end();
	CHECK(msgmem_held() == 0);
	CHECK(kept(message(a.id, 0), m, 20000));
	CHECK(message(b.id, 0) && message(b.id, 0)->incomplete);

	/* pushed out by --max-flows while in DATA */
	run_start(256u << 20);
	caps.max_flows = 2;
	open_conv(&a, 40021, 25);
	open_conv(&b, 40022, 25);
	smtp_to_data(&a, "a@a.test");
	smtp_to_data(&b, "b@a.test");
	say(&a, 1, m, 10000);
	say(&b, 1, m, 20000);
	both = msgmem_held();
	open_conv(&c, 40023, 25); /* a, idle longest, is ended */
	CHECK(reasm_stats(R)->evicted == 1);
	CHECK(msgmem_held() > 0 && msgmem_held() < both);
	CHECK(message(a.id, 0) && message(a.id, 0)->incomplete);
	/* still open at the end of the run: b, and c in a literal-less DATA */
	smtp_to_data(&c, "c@a.test");
	say(&c, 1, m, 5000);
	run_end();
	CHECK(msgmem_held() == 0);
	CHECK(message(b.id, 0) && message(b.id, 0)->incomplete);
	CHECK(message(c.id, 0) && message(c.id, 0)->incomplete);

	/* POP3 RETR and IMAP FETCH and APPEND, each cut off in its message */
	run_start(256u << 20);
	open_conv(&a, 40031, 110);
	SS(&a, "+OK POP3 ready\r\n");
	CS(&a, "USER u\r\n");
	SS(&a, "+OK\r\n");
	CS(&a, "PASS p\r\n");
	SS(&a, "+OK logged in\r\n");
	CS(&a, "RETR 1\r\n");
	SS(&a, "+OK 20000 octets\r\n");
	say(&a, 0, m, 15000);
	open_conv(&b, 40032, 143);
	SS(&b, "* OK IMAP4rev1 ready\r\n");
	CS(&b, "a1 LOGIN u p\r\n");
	SS(&b, "a1 OK done\r\n");
	CS(&b, "a2 SELECT INBOX\r\n");
	SS(&b, "* 1 EXISTS\r\na2 OK [READ-WRITE] done\r\n");
	CS(&b, "a3 FETCH 1 BODY[]\r\n");
	SS(&b, "* 1 FETCH (BODY[] {20000}\r\n");
	say(&b, 0, m, 12000);
	open_conv(&d, 40033, 143);
	SS(&d, "* OK IMAP4rev1 ready\r\n");
	CS(&d, "a1 LOGIN u p\r\n");
	SS(&d, "a1 OK done\r\n");
	CS(&d, "a2 APPEND INBOX {20000}\r\n");
	SS(&d, "+ go\r\n");
	say(&d, 1, m, 9000);
	CHECK(msgmem_held() >= 15000 + 12000 + 9000);
	rst(&b);
	fin(&d);
	run_end();
	CHECK(msgmem_held() == 0);
	CHECK(kept(message(a.id, 0), m, 15000));
	CHECK(kept(message(b.id, 0), m, 12000));
	CHECK(kept(message(d.id, 0), m, 9000));
	free(m);
}

/* --- POP3 and IMAP against the cap ------------------------------------------ */

static void pop3_imap_cap(void)
{
	const uint64_t cap = 64u << 10;
	uint8_t *big = body('P', 40000), *huge = body('F', 60000);
	static const char small[] = "Subject: small\r\n\r\nan ordinary message\r\n";
	char t[64];
	struct conv a, b, c;
	run_start(cap);
	/* A holds 32K (its storage for 30000 bytes), in the middle of a FETCH */
	open_conv(&a, 40041, 143);
	SS(&a, "* OK IMAP4rev1 ready\r\n");
	CS(&a, "a1 LOGIN u p\r\n");
	SS(&a, "a1 OK done\r\n");
	CS(&a, "a2 SELECT INBOX\r\n");
	SS(&a, "* 2 EXISTS\r\na2 OK [READ-WRITE] done\r\n");
	CS(&a, "a3 FETCH 1 BODY[]\r\n");
	snprintf(t, sizeof t, "* 1 FETCH (BODY[] {%d}\r\n", 60000);
	SS(&a, t);
	say(&a, 0, huge, 30000);
	/* B's RETR cannot have the 64K its 40000 bytes need */
	open_conv(&b, 40042, 110);
	SS(&b, "+OK POP3 ready\r\n");
	CS(&b, "USER u\r\n");
	SS(&b, "+OK\r\n");
	CS(&b, "PASS p\r\n");
	SS(&b, "+OK logged in\r\n");
	CS(&b, "RETR 1\r\n");
	SS(&b, "+OK 40000 octets\r\n");
	say(&b, 0, big, 40000);
	SS(&b, ".\r\n");
	CS(&b, "RETR 2\r\n");
	SS(&b, "+OK 40 octets\r\n");
	SS(&b, small);
	SS(&b, ".\r\n");
	CS(&b, "QUIT\r\n");
	SS(&b, "+OK bye\r\n");
	fin(&b);
	/* A's literal goes on: refused past what is left */
	say(&a, 0, huge + 30000, 30000);
	SS(&a, ")\r\na3 OK done\r\n");
	/* C APPENDs a small message meanwhile: whole */
	open_conv(&c, 40043, 143);
	SS(&c, "* OK IMAP4rev1 ready\r\n");
	CS(&c, "a1 LOGIN u p\r\n");
	SS(&c, "a1 OK done\r\n");
	snprintf(t, sizeof t, "a2 APPEND INBOX {%zu}\r\n", sizeof small - 1);
	CS(&c, t);
	SS(&c, "+ go\r\n");
	CS(&c, small);
	CS(&c, "\r\n");
	SS(&c, "a2 OK [APPENDUID 1 9] done\r\n");
	CS(&c, "a3 LOGOUT\r\n");
	SS(&c, "* BYE\r\na3 OK done\r\n");
	fin(&c);
	CS(&a, "a4 LOGOUT\r\n");
	SS(&a, "* BYE\r\na4 OK done\r\n");
	fin(&a);
	run_end();

	CHECK(most > 0 && most <= cap);
	CHECK(cut(message(b.id, 0), big, 40000) && said("pop3.messages_mem", b.id));
	CHECK(whole(message(b.id, 1), (const uint8_t *)small, sizeof small - 1));
	CHECK(reply_to(b.id, "QUIT") == 1);
	CHECK(cut(message(a.id, 0), huge, 60000) && message(a.id, 0)->len >= 30000);
	CHECK(said("imap.messages_mem", a.id));
	CHECK(reply_to(a.id, "FETCH") == 1 && reply_to(a.id, "LOGOUT") == 1);
	CHECK(whole(message(c.id, 0), (const uint8_t *)small, sizeof small - 1));
	CHECK(reply_to(c.id, "APPEND") == 1 && !said("imap.messages_mem", c.id));
	CHECK(!strstr(events, "message_too_big"));
	CHECK(msgmem_held() == 0);
	free(big);
	free(huge);
}

int main(void)
{
	record_sink_add(sink, NULL);
	ss_event_sink(on_event, NULL);
	counting();
	smtp_at_once();
	ends();
	pop3_imap_cap();
	forget();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
