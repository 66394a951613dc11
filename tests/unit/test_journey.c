/* test_journey.c - journeys put together from copies and log lines that
 * the lab's recordings do not have: a deferral then a delivery on retry,
 * a bounce with its notice, an expired message, a connection refused, a
 * hop seen only in the log between two captured ones, a "queued as" loop,
 * two recipients at two servers, and the caps.
 *
 * The log lines are written as Postfix writes them (src/global/log_adhoc.c:
 * "to=<%s>, relay=%s, delay=%s, delays=%s, dsn=%s, status=%s (%s)";
 * smtp_connect.c: "connect to %s[%s]:%u: %s"; bounce_notify_service.c:
 * "sender non-delivery notification: %s"; qmgr_active.c: "from=<%s>,
 * status=expired, returned to sender"), sent as rsyslog forwards them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "journey.h"
#include "journeyout.h"
#include "message.h"
#include "syslog.h"

static struct ss_flow flows[8]; /* flows[i]: 10.0.0.i > 10.0.0.(i+1) port 25 */

static void setup(void)
{
	for (int i = 0; i < 8; i++) {
		struct ss_flow *f = &flows[i];
		f->id = (uint64_t)i + 1;
		f->proto = 6;
		f->ep[SS_C2S].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, (uint8_t)i}};
		f->ep[SS_S2C].addr = (struct ss_addr){SS_AF_INET, {10, 0, 0, (uint8_t)(i + 1)}};
		f->ep[SS_S2C].port = 25;
	}
}

static uint64_t frame;

/* A copy on flow i, queue ID q at its server, passed on from copy `from`. */
static void copy(struct journeys *j, int i, uint64_t number, uint64_t from, const char *q)
{
	static const uint8_t body[] = "Received: by x\r\nMessage-ID: <m1@a.test>\r\n"
	                              "Subject: journey\r\n\r\nhi\r\n";
	struct msg m;
	if (msg_parse(&m, body, sizeof body - 1))
		return;
	struct ss_str rcpt = {(const uint8_t *)"u@b.test", 8};
	struct ss_record r = {.kind = REC_MESSAGE, .flow = &flows[i]};
	frame++;
	r.u.msg = (struct rec_message){.p = RP_SMTP,
	                               .role = RR_TRANSFER,
	                               .number = number,
	                               .data = {body, sizeof body - 1},
	                               .queue_id = {(const uint8_t *)q, q ? strlen(q) : 0},
	                               .mail_from = {(const uint8_t *)"a@a.test", 8},
	                               .code = 250,
	                               .rcpt = &rcpt,
	                               .nrcpt = 1,
	                               .ts_start = (int64_t)frame * 1000000,
	                               .ts_end = (int64_t)frame * 1000000 + 500,
	                               .frame_start = frame,
	                               .frame_end = frame,
	                               .msg = &m};
	struct vhop hop = {.number = number,
	                   .from = from,
	                   .message_id = "<m1@a.test>",
	                   .subject = "journey",
	                   .added = from ? 1 : 0,
	                   .exact = 1};
	journeys_record(j, &r, &hop);
	msg_free(&m);
}

/* A line host sent (from flows[0]'s client address: who sent it does not
 * matter to the journeys, its HOSTNAME does). */
static void line(struct journeys *j, const char *host, const char *tag, const char *msg)
{
	char b[1024];
	int n = snprintf(b, sizeof b, "<22>Dec  6 18:27:01 %s %s: %s", host, tag, msg);
	struct ss_record r = {.kind = REC_LOG, .flow = &flows[7]};
	syslog_parse((const uint8_t *)b, (size_t)n, &r.u.log);
	frame++;
	r.u.log.ts = (int64_t)frame * 1000000;
	r.u.log.frame = frame;
	journeys_record(j, &r, NULL);
}

/* The journey's steps in one line: "copy#1 queue:B delivered failed". */
static void steps(const struct journey *jn, char *out, size_t n)
{
	size_t k = 0;
	out[0] = 0;
	for (size_t i = 0; i < jn->nsteps && k < n; i++) {
		const struct jstep *s = &jn->steps[i];
		int w = 0;
		switch (s->kind) {
		case JS_COPY:
			w = snprintf(out + k, n - k, "%scopy#%" PRIu64, i ? " " : "",
			             s->copy->number);
			break;
		case JS_QUEUE:
			w = snprintf(out + k, n - k, "%squeue:%s", i ? " " : "", s->queue_id);
			break;
		case JS_LOG_HOP:
			w = snprintf(out + k, n - k, "%shop:%s", i ? " " : "",
			             s->log->next_queue_id);
			break;
		case JS_DELIVERED:
			w = snprintf(out + k, n - k, "%sdelivered", i ? " " : "");
			break;
		case JS_FAILED:
			w = snprintf(out + k, n - k, "%sfailed:%s", i ? " " : "",
			             s->log->status ? s->log->status : "-");
			break;
		}
		if (w > 0)
			k += (size_t)w;
	}
}

static struct journeys *fresh(void)
{
	struct journey_opts o = {100, 1000, 1u << 20, 0, 0};
	frame = 0;
	return journeys_new(&o);
}

#define SENT(q, relay, next)                                                                       \
	"" q ": to=<u@b.test>, relay=" relay ", delay=1.2, delays=1/0/0.1/0.1, dsn=2.0.0, "        \
	"status=sent (250 2.0.0 Ok: queued as " next ")"

/* A deferral, then the retry that went: both lines on the copy's queue,
 * the journey going on to the next copy. */
static void deferred_then_sent(void)
{
	struct journeys *j = fresh();
	char s[400];
	copy(j, 0, 1, 0, "AAAA1111");
	line(j, "mx1", "postfix/smtp[1]",
	     "AAAA1111: to=<u@b.test>, relay=none, delay=30, delays=0.1/0/30/0, dsn=4.4.1, "
	     "status=deferred (connect to mx2[10.0.0.2]:25: Connection refused)");
	line(j, "mx1", "postfix/smtp[1]", SENT("AAAA1111", "mx2[10.0.0.2]:25", "BBBB2222"));
	copy(j, 1, 2, 1, "BBBB2222");
	CHECK(journeys_build(j) == 1);
	const struct journey *jn = journeys_get(j, 0);
	steps(jn, s, sizeof s);
	/* the deferral is a step of its own, before the copy that went */
	CHECK(!strcmp(s, "copy#1 failed:deferred copy#2") || (printf("  got %s\n", s), 0));
	CHECK(jn->steps[0].nlogs == 2);
	CHECK(!strcmp(jn->message_id, "m1@a.test"));
	journeys_free(j);
}

/* A bounce: the failed delivery, the notice it queued, and the notice as a
 * journey of its own (its queue is named by the "notification" line). */
static void bounced(void)
{
	struct journeys *j = fresh();
	char s[400];
	copy(j, 0, 1, 0, "CCCC3333");
	line(j, "mx1", "postfix/smtp[1]",
	     "CCCC3333: to=<u@b.test>, relay=mx2[10.0.0.2]:25, delay=0.2, delays=0/0/0.1/0.1, "
	     "dsn=5.1.1, status=bounced (host mx2[10.0.0.2] said: 550 5.1.1 <u@b.test>: "
	     "Recipient address rejected: User unknown (in reply to RCPT TO command))");
	line(j, "mx1", "postfix/bounce[2]", "CCCC3333: sender non-delivery notification: DDDD4444");
	line(j, "mx1", "postfix/cleanup[3]", "DDDD4444: message-id=<n1@mx1>");
	line(j, "mx1", "postfix/qmgr[4]", "CCCC3333: removed");
	size_t n = journeys_build(j);
	CHECK(n == 1 || n == 2);
	steps(journeys_get(j, 0), s, sizeof s);
	CHECK(!strncmp(s, "copy#1 failed:bounced", 21) || (printf("  got %s\n", s), 0));
	CHECK(strstr(s, "DDDD4444") || strstr(s, "failed:-") || (printf("  got %s\n", s), 0));
	journeys_free(j);
}

/* Two captured copies with a hop between them that only the logs show:
 * A at mx1 -> (encrypted) B at mx2 -> C at mx3, the last captured. */
static void hop_between(void)
{
	struct journeys *j = fresh();
	char s[400];
	copy(j, 0, 1, 0, "AAAA0001");
	line(j, "mx1", "postfix/smtp[1]", SENT("AAAA0001", "mx2[10.0.0.2]:25", "BBBB0002"));
	line(j, "mx2", "postfix/cleanup[1]", "BBBB0002: message-id=<m1@a.test>");
	line(j, "mx2", "postfix/smtp[1]", SENT("BBBB0002", "mx3[10.0.0.3]:25", "CCCC0003"));
	copy(j, 2, 2, 0, "CCCC0003"); /* no content link: the hop before is not captured */
	line(j, "mx3", "postfix/local[1]",
	     "CCCC0003: to=<u@b.test>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, "
	     "status=sent (delivered to maildir)");
	CHECK(journeys_build(j) == 1);
	steps(journeys_get(j, 0), s, sizeof s);
	CHECK(!strcmp(s, "copy#1 hop:BBBB0002 copy#2 delivered") || (printf("  got %s\n", s), 0));
	journeys_free(j);
}

/* The first copy captured is the second hop: the queue before it, from
 * the log, leads the journey. */
static void queue_before(void)
{
	struct journeys *j = fresh();
	char s[400];
	line(j, "mx0", "postfix/pickup[1]", "EEEE0001: uid=0 from=<a@a.test>");
	line(j, "mx0", "postfix/smtp[1]", SENT("EEEE0001", "mx1[10.0.0.1]:25", "FFFF0002"));
	copy(j, 0, 1, 0, "FFFF0002");
	CHECK(journeys_build(j) == 1);
	steps(journeys_get(j, 0), s, sizeof s);
	CHECK(!strcmp(s, "queue:EEEE0001 copy#1") || (printf("  got %s\n", s), 0));
	journeys_free(j);
}

/* "queued as" lines that loop: the walk ends, and says each queue once. */
static void loop(void)
{
	struct journeys *j = fresh();
	char s[800];
	copy(j, 0, 1, 0, "AAAA0009");
	line(j, "mx1", "postfix/smtp[1]", SENT("AAAA0009", "mx2[10.0.0.2]:25", "BBBB0009"));
	line(j, "mx2", "postfix/smtp[1]", SENT("BBBB0009", "mx1[10.0.0.1]:25", "AAAA0009"));
	CHECK(journeys_build(j) == 1);
	steps(journeys_get(j, 0), s, sizeof s);
	CHECK(strlen(s) < 200 || (printf("  got %s\n", s), 0));
	journeys_free(j);
}

/* An expired message and a connection that never came about, with no
 * copy on the wire: a journey of the logs alone. */
static void expired(void)
{
	struct journeys *j = fresh();
	char s[400];
	line(j, "mx1", "postfix/cleanup[1]", "ABCD0001: message-id=<old@a.test>");
	line(j, "mx1", "postfix/smtp[1]",
	     "ABCD0001: connect to mx2[10.0.0.2]:25: Connection timed out");
	line(j, "mx1", "postfix/qmgr[2]",
	     "ABCD0001: from=<a@a.test>, status=expired, returned to sender");
	CHECK(journeys_build(j) == 1);
	const struct journey *jn = journeys_get(j, 0);
	steps(jn, s, sizeof s);
	CHECK(!strncmp(s, "queue:ABCD0001", 14) || (printf("  got %s\n", s), 0));
	CHECK(strstr(s, "failed") != NULL || (printf("  got %s\n", s), 0));
	CHECK(jn->message_id && !strcmp(jn->message_id, "old@a.test"));
	journeys_free(j);
}

/* Two copies passed on from one (two recipients at two servers): the
 * journey forks, each branch one level deeper. */
static void fork_two(void)
{
	struct journeys *j = fresh();
	copy(j, 0, 1, 0, "AAAA0100");
	copy(j, 1, 2, 1, "BBBB0200");
	copy(j, 1, 3, 1, "CCCC0300");
	CHECK(journeys_build(j) == 1);
	const struct journey *jn = journeys_get(j, 0);
	CHECK(jn->nsteps == 3);
	CHECK(jn->nsteps == 3 && jn->steps[0].depth == 0 && jn->steps[1].depth == 1 &&
	      jn->steps[2].depth == 1);
	journeys_free(j);
}

/* The caps: only so many copies and lines, and bytes; the oldest go and
 * the journeys say so. */
static void caps(void)
{
	struct journey_opts o = {8, 8, 1u << 20, 0, 0};
	struct journeys *j = journeys_new(&o);
	frame = 0;
	char q[32];
	for (int i = 1; i <= 100; i++) {
		char removed[64];
		snprintf(q, sizeof q, "A%07X", (unsigned)i);
		snprintf(removed, sizeof removed, "%s: removed", q);
		copy(j, 0, (uint64_t)i, 0, q);
		line(j, "mx1", "postfix/qmgr[1]", removed);
	}
	uint64_t dc, dl;
	journeys_dropped(j, &dc, &dl);
	CHECK(dc >= 92 && dl >= 92);
	CHECK(journeys_build(j) <= 8);
	journeys_free(j);
	struct journey_opts small = {1000, 1000, 4096, 0, 0};
	j = journeys_new(&small);
	for (int i = 1; i <= 100; i++) {
		snprintf(q, sizeof q, "Q%07d", i);
		copy(j, 0, (uint64_t)i, 0, q);
	}
	journeys_dropped(j, &dc, &dl);
	CHECK(dc > 0); /* --journey-mem: 4 KiB hold only a few copies */
	CHECK(journeys_build(j) < 100);
	journeys_free(j);
}

int main(void)
{
	setup();
	deferred_then_sent();
	bounced();
	hop_between();
	queue_before();
	loop();
	expired();
	fork_two();
	caps();
	printf("%d checks, %d failures\n", checks, failures);
	return failures != 0;
}
