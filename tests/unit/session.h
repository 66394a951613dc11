/* session.h - hand-made sessions played through reassembly and the
 * dissectors for the unit tests of the mail protocols: the records they
 * give (reclog.h) and the anomalies, whole, one byte a segment, and cut at
 * every byte boundary of the session. */
#ifndef SS_SESSION_H
#define SS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"

/* One turn of the conversation: the client's or the server's bytes. A gap
 * turn's bytes are never captured (the peer's next turn acknowledges them,
 * so reassembly reports the hole as a gap once --ack-wait has passed). An
 * empty turn is a bare ACK, --ack-wait before the next turn. */
struct turn {
	int client;
	const char *text;
	size_t len; /* 0: the text's strlen */
	int gap;
};

#define C(s)                                                                                       \
	{                                                                                          \
		1, (s), 0, 0                                                                       \
	}
#define S(s)                                                                                       \
	{                                                                                          \
		0, (s), 0, 0                                                                       \
	}
#define CGAP(s)                                                                                    \
	{                                                                                          \
		1, (s), 0, 1                                                                       \
	}
#define SGAP(s)                                                                                    \
	{                                                                                          \
		0, (s), 0, 1                                                                       \
	}

extern struct ss_caps session_caps; /* the caps sessions run with (defaults) */
/* How the session is captured: whole (0), or as these say. */
enum {
	SESSION_NO_HANDSHAKE = 1, /* picked up mid-way: no SYN, no FIN */
	SESSION_CLIENT_ONLY = 2,  /* the server's segments are not in the capture */
	SESSION_SERVER_ONLY = 4,  /* the client's segments are not in the capture */
};
extern int session_capture;
extern int session_show_secrets;
extern char session_log[1 << 16]; /* the records of the last play */
extern char session_events[4096]; /* its anomalies: "layer.what;" each */

void session_init(void);
/* Plays t[0..nt) to server port port, in segments of at most chunk bytes
 * (0: a turn a segment), with one more cut at byte cut of the session (0:
 * none). */
void session_play(const struct turn *t, size_t nt, uint16_t port, size_t chunk, size_t cut);
/* Plays the session and checks its records and anomalies, then replays it
 * one byte a segment and cut at every byte boundary: each replay must give
 * the same. Prints what differs. */
void session_expect(const char *name, const struct turn *t, size_t nt, uint16_t port,
                    const char *want_log, const char *want_events);
/* A check of the caller's own: counted, printed when it fails. */
void session_check(int ok, const char *name, const char *what);
/* Prints the count; returns the exit status. */
int session_done(void);

#endif
