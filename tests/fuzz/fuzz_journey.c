/* fuzz_journey.c - the journeys under a fuzzer: hostile log lines and
 * message copies put together (report/journeywalk.c) and written as text,
 * JSON and Mermaid diagrams.
 *
 * The input is lines. A line "M QID SERVER" makes a message copy on the
 * wire whose server (one of 8 addresses, by the byte SERVER) gave queue ID
 * QID, passed on from the copy before when the line says so ("m" instead
 * of "M"); "L QID ..." an LMTP copy; every other line is a syslog line
 * ("<22>Dec  6 18:27:01 host tag: ..." or anything) from one of the same 8
 * hosts. So "queued as" loops, queues named by many lines, copies that
 * share queue IDs and lines that name no queue all meet the walk. Each
 * input is played twice: with the sessions --mermaid keeps, and settling
 * (journeys_on_settled) as the text and JSON do, its store small enough
 * that journeys settle as it fills.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journey.h"
#include "journeymd.h"
#include "journeyout.h"
#include "message.h"
#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ss_flow flows[8];

static void setup(void)
{
	for (int i = 0; i < 8; i++) {
		struct ss_flow *f = &flows[i];
		memset(f, 0, sizeof *f);
		f->id = (uint64_t)i + 1;
		f->proto = 6;
		f->ep[SS_C2S].addr.family = SS_AF_INET;
		f->ep[SS_C2S].addr.b[0] = 10;
		f->ep[SS_C2S].addr.b[3] = (uint8_t)i;
		f->ep[SS_S2C].addr.family = SS_AF_INET;
		f->ep[SS_S2C].addr.b[0] = 10;
		f->ep[SS_S2C].addr.b[3] = (uint8_t)(i + 1) % 8;
		f->ep[SS_S2C].port = 25;
	}
}

static void copy(struct journeys *j, const uint8_t *p, size_t n, uint64_t number, int linked,
                 int lmtp)
{
	static const uint8_t body[] =
	    "Received: x\r\nMessage-ID: <a@b>\r\nSubject: s\r\n\r\nhi\r\n";
	size_t q = 0;
	while (q < n && p[q] != ' ')
		q++;
	int server = q + 1 < n ? p[q + 1] % 8 : 0;
	struct msg m;
	if (msg_parse(&m, body, sizeof body - 1))
		return;
	struct ss_str rcpt = {(const uint8_t *)"u@b", 3};
	struct ss_record r = {.kind = REC_MESSAGE, .flow = &flows[server]};
	r.u.msg = (struct rec_message){.p = lmtp ? RP_LMTP : RP_SMTP,
	                               .role = RR_TRANSFER,
	                               .number = number,
	                               .data = {body, sizeof body - 1},
	                               .queue_id = {p, q},
	                               .mail_from = {(const uint8_t *)"a@b", 3},
	                               .code = 250,
	                               .rcpt = &rcpt,
	                               .nrcpt = 1,
	                               .ts_start = (int64_t)number * 1000,
	                               .ts_end = (int64_t)number * 1000 + 500,
	                               .frame_start = number,
	                               .frame_end = number,
	                               .msg = &m};
	struct vhop hop = {.number = number,
	                   .from = linked && number > 1 ? number - 1 : 0,
	                   .message_id = "<a@b>",
	                   .subject = "s",
	                   .added = linked ? 1 : 0,
	                   .exact = 1};
	journeys_record(j, &r, &hop);
	msg_free(&m);
}

/* The input's lines into j: "M ..." a copy, "m ..." one passed on from the
 * copy before, "L ..." one by LMTP, anything else a syslog line. */
static void feed(struct journeys *j, const uint8_t *data, size_t size)
{
	uint64_t number = 0, frame = 0;
	for (size_t at = 0; at < size;) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : size - at;
		const uint8_t *p = data + at;
		at += n + 1;
		frame++;
		if (n >= 2 && (p[0] == 'M' || p[0] == 'm' || p[0] == 'L') && p[1] == ' ') {
			copy(j, p + 2, n - 2, ++number, p[0] == 'm', p[0] == 'L');
			continue;
		}
		struct ss_record r = {.kind = REC_LOG, .flow = &flows[frame % 8]};
		syslog_parse(p, n, &r.u.log);
		r.u.log.ts = (int64_t)frame * 1000;
		r.u.log.frame = frame;
		journeys_record(j, &r, NULL);
	}
}

static struct timeline_opts tl = {0, 0, 0, 1};
static struct jsonout_opts jo;

/* Settled journeys, shown as the report shows them (report.c on_settled). */
static void settled(const struct journeys *j, size_t n, const char *keep, void *ctx)
{
	journeyout_text_list(ctx, &tl, j, n, keep);
	journeyout_json(ctx, &jo, j, n, keep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	FILE *out = fopen("/dev/null", "w");
	if (!out)
		return 0;
	/* small caps, so that the oldest go and the walk meets the holes (the
	 * bytes count arrays by capacity and the walk too: 256K keeps a few);
	 * once with the sessions of --mermaid, once settling as the text and
	 * JSON do (journeys_on_settled) */
	for (int settling = 0; settling < 2; settling++) {
		struct journey_opts o = {16, 64, 256 << 10, !settling, 0};
		struct journeys *j = journeys_new(&o);
		if (!j)
			break;
		if (settling)
			journeys_on_settled(j, settled, out);
		feed(j, data, size);
		size_t nj = journeys_build(j);
		char *keep = malloc(nj ? nj : 1);
		if (keep) {
			memset(keep, 1, nj ? nj : 1);
			struct journeymd_opts mo = {&tl, 0, 0};
			int64_t ts0;
			int has0 = journeyout_first_time(j, nj, keep, &ts0);
			journeyout_text_head(out, nj + journeys_settled(j), has0, ts0);
			journeyout_text_list(out, &tl, j, nj, keep);
			journeyout_text_tail(out, j);
			journeyout_json(out, &jo, j, nj, keep);
			if (!settling)
				journeymd_write(out, &mo, j, nj, keep);
		}
		free(keep);
		journeys_free(j);
	}
	fclose(out);
	return 0;
}
