/* session.c - hand-made sessions for the unit tests of the mail protocols. */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "memacct.h"
#include "msgmem.h"
#include "protos.h"
#include "reclog.h"
#include "record.h"
#include "synth.h"

struct ss_caps session_caps;
int session_capture;
int session_show_secrets;
char session_log[1 << 16];
char session_events[4096];
static int failures, checks;

static void sink(const struct ss_record *r, void *ctx)
{
	(void)ctx;
	reclog_add(session_log, sizeof session_log, r);
}

static void on_event(const struct ss_event *e, void *ctx)
{
	(void)ctx;
	size_t n = strlen(session_events);
	snprintf(session_events + n, sizeof session_events - n, "%s.%s;", e->layer, e->what);
}

void session_init(void)
{
	ss_caps_defaults(&session_caps);
	record_sink_add(sink, NULL);
	ss_event_sink(on_event, NULL);
}

static size_t turn_len(const struct turn *t)
{
	return t->len ? t->len : strlen(t->text);
}

void session_play(const struct turn *t, size_t nt, uint16_t port, size_t chunk, size_t cut)
{
	session_log[0] = session_events[0] = 0;
	struct ss_reasm *r = reasm_new(&session_caps);
	struct dissect_opts o = {&session_caps, session_show_secrets, 0, NULL, NULL};
	dissect_register(r, &o);
	synth_reset();
	uint32_t cs = 1000, ss = 5000;
	int ms = 0, whole = !(session_capture & SESSION_NO_HANDSHAKE);
	int cli = !(session_capture & SESSION_SERVER_ONLY),
	    srv = !(session_capture & SESSION_CLIENT_ONLY);
	if (whole) {
		synth_tcp(r, 1, 40000, port, ms++, 0x02, cs - 1, 0, NULL, 0, 0);
		synth_tcp(r, 0, 40000, port, ms++, 0x12, ss - 1, cs, NULL, 0, 0);
		synth_tcp(r, 1, 40000, port, ms++, 0x10, cs, ss, NULL, 0, 0);
	}
	size_t pos = 0; /* bytes of the session before this turn */
	for (size_t i = 0; i < nt; i++) {
		size_t n = turn_len(&t[i]);
		uint32_t *seq = t[i].client ? &cs : &ss, ack = t[i].client ? ss : cs;
		for (size_t off = 0; off < n;) {
			size_t k = chunk && chunk < n - off ? chunk : n - off;
			if (cut > pos + off && cut < pos + off + k)
				k = cut - (pos + off);
			if (!t[i].gap && (t[i].client ? cli : srv))
				synth_tcp(r, t[i].client, 40000, port, ms, 0x18,
				          *seq + (uint32_t)off, ack, t[i].text + off, k, 0);
			off += k;
		}
		*seq += (uint32_t)n;
		pos += n;
		if (!n && (t[i].client ? cli : srv)) /* a bare ACK */
			synth_tcp(r, t[i].client, 40000, port, ms, 0x10, *seq, ack, NULL, 0, 0);
		/* Past --ack-wait after a gap or a bare ACK: the peer's ACK settles it. */
		ms += t[i].gap || !n ? 201 : 1;
	}
	if (whole && cli)
		synth_tcp(r, 1, 40000, port, ms++, 0x11, cs, ss, NULL, 0, 0);
	if (whole && srv)
		synth_tcp(r, 0, 40000, port, ms++, 0x11, ss, cs + 1, NULL, 0, 0);
	if (whole && cli)
		synth_tcp(r, 1, 40000, port, ms++, 0x10, cs + 1, ss + 1, NULL, 0, 0);
	reasm_finish(r);
	reasm_free(r);
}

void session_check(int ok, const char *name, const char *what)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL %s: %s\n", name, what);
	}
}

void session_expect(const char *name, const struct turn *t, size_t nt, uint16_t port,
                    const char *want_log, const char *want_events)
{
	session_play(t, nt, port, 0, 0);
	checks++;
	if (strcmp(session_log, want_log) || strcmp(session_events, want_events)) {
		failures++;
		printf("FAIL %s\n--- got\n%s[%s]\n--- want\n%s[%s]\n", name, session_log,
		       session_events, want_log, want_events);
		return;
	}
	static char whole[sizeof session_log], ev[sizeof session_events];
	memcpy(whole, session_log, sizeof whole);
	memcpy(ev, session_events, sizeof ev);
	size_t total = 0;
	for (size_t i = 0; i < nt; i++)
		total += turn_len(&t[i]);
	for (size_t cut = 0; cut < total; cut++) {
		session_play(t, nt, port, cut ? 0 : 1, cut); /* cut 0: one byte a segment */
		checks++;
		if (strcmp(session_log, whole) || strcmp(session_events, ev)) {
			failures++;
			printf("FAIL %s, %s %zu:\n%s[%s]\n", name,
			       cut ? "cut at byte" : "one byte a segment", cut, session_log,
			       session_events);
			return;
		}
	}
}

int session_done(void)
{
	/* Every session has ended: all they held between packets, and all the
	 * messages they collected, must have been given back to the accounts
	 * (a byte left counted would shrink the cap for the rest of a run). */
	session_check(memacct_held(&ss_held) == 0, "held bytes given back",
	              "--max-held-mem's account is not back to 0");
	session_check(msgmem_held() == 0, "message bytes given back",
	              "--max-messages-mem's account is not back to 0");
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
