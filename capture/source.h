/* source.h - where frames come from: a capture file (pcap, pcapng, stdin) or
 * a live interface, through libpcap, with an optional BPF filter and an
 * optional copy of every frame read written to a file (-w).
 */
#ifndef SS_SOURCE_H
#define SS_SOURCE_H

#include <stdint.h>
#include <stdio.h>

#include "packet.h"

struct ss_source_opts {
	const char *file;   /* -r: a path, or "-" for stdin */
	const char *iface;  /* -i */
	const char *filter; /* BPF expression, or NULL */
	const char *write;  /* -w: a path, or "-" for stdout */
	int snaplen;        /* -s; 0 means 262144 */
	int buffer_kib;     /* -B; 0 for smtpsniff's default (32 MiB) */
	uint64_t count;     /* -c; 0 means no limit */
	const char *user;   /* -Z: drop root to this user once the input is open */
};

enum source_end {
	SOURCE_EOF,    /* the file ended */
	SOURCE_COUNT,  /* -c frames were read */
	SOURCE_SIGNAL, /* SIGINT or SIGTERM */
	SOURCE_BROKEN, /* the file is damaged past this point (truncated, bad record) */
	SOURCE_FAILED, /* the live capture failed */
};

struct ss_source;

typedef void ss_frame_fn(const struct ss_frame *f, void *ctx);
/* Called when a live capture has been idle for a while: time is now (wall
 * clock, the clock live packets carry), so idle flows can end. */
typedef void ss_tick_fn(int64_t now, void *ctx);

/* Opens the input, applies the filter, drops privileges, opens -w. On failure
 * returns NULL, with the reason in err and the exit code in *code. */
struct ss_source *source_open(const struct ss_source_opts *o, char *err, size_t errlen, int *code);
int source_dlt(const struct ss_source *s);
const char *source_dlt_name(struct ss_source *s);
int source_is_live(const struct ss_source *s);
int source_snaplen(const struct ss_source *s);
/* The input is a regular file (not live, not a pipe): its reads never
 * block for long, so it can be read on a thread that takes no signals. */
int source_is_file(const struct ss_source *s);
/* Reads until the input ends, -c frames were read, or a signal asks to stop
 * (live, after reading what the kernel received before it: 200 ms at most).
 * SIGUSR1 calls usr1 (statistics) from the loop, not from the handler. Live,
 * tick and the -w flush come every 100 ms at least, frames or none. */
enum source_end source_run(struct ss_source *s, ss_frame_fn *fn, ss_tick_fn *tick,
                           void (*usr1)(void *ctx), void *ctx);
/* Live: fn(ctx) runs whenever the kernel has no frame left for us, before
 * source_run waits for the next (a reader on a thread of its own hands
 * what it queued over then, so that lines come as things happen). */
void source_on_wait(struct ss_source *s, void (*fn)(void *ctx), void *ctx);
/* Why the run ended early (SOURCE_BROKEN, SOURCE_FAILED), else "". */
const char *source_error(const struct ss_source *s);
uint64_t source_frames(const struct ss_source *s);
/* How far a file has been read: *done of *total bytes. Returns -1 when that
 * cannot be known (live, a pipe). */
int source_progress(struct ss_source *s, uint64_t *done, uint64_t *total);

struct source_stats {
	int valid; /* 0 when the input keeps no statistics (files) */
	uint64_t received, dropped, ifdropped;
};
void source_stats(struct ss_source *s, struct source_stats *st);
/* Flushes and closes -w; returns -1 when the file could not be written. */
int source_close(struct ss_source *s);

/* Installs the SIGINT, SIGTERM and SIGUSR1 handlers used by source_run. */
void source_signals(void);
/* -D: lists the interfaces libpcap can open; returns -1 on error. */
int source_list_devices(FILE *out, char *err, size_t errlen);

#endif
