/* exportq.h - the files of --export made on a thread of their own.
 *
 * Making a file is mostly the kernel's work (a new inode and a directory
 * entry: three quarters of it, on ext4, is the openat()), and --export
 * makes one per message: on a relay's capture of 200,000 small messages
 * that was as long again as reading and dissecting them all. So the
 * dissecting thread hands each file over - its name, a copy of its bytes,
 * its entry of index.json - and goes on, while this thread makes the files
 * in the order they were handed over and writes their entries.
 *
 * What is queued is bounded: EXPORTQ_MAX bytes, or one file larger than
 * that; the dissecting thread waits for room (docs/memory.md).
 *
 * A name taken when the run began is the caller's to say (export.c looks
 * at those); one taken since (something put there meanwhile, DIR made
 * unwritable) is said late: exportq_skipped() hands such skips back to the dissecting thread,
 * which alone says events.
 */
#ifndef SS_EXPORTQ_H
#define SS_EXPORTQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXPORTQ_MAX (4u << 20)
/* The thread is woken for every EXPORTQ_BATCH files, half of EXPORTQ_MAX,
 * or once the oldest file waiting is EXPORTQ_WAIT older than the capture's
 * clock (exportq_clock): at once in a lab, where a message comes now and
 * then; in batches on a busy relay. */
#define EXPORTQ_BATCH 64
#define EXPORTQ_WAIT (50 * 1000000LL) /* 50 ms, in ns */

struct exportq;

/* A file left out by the thread: why, and the message's frame, time and
 * flow for the event. */
struct exportq_skip {
	struct exportq_skip *next;
	uint64_t frame, flow;
	int64_t ts;
	char name[64];
	char why[200];
};

/* Makes files in dirfd (the caller keeps it open until exportq_free) and
 * writes their entries into index, which it owns from now on: "[\n" is
 * there already; each entry goes after ",\n" but the first. overwrite: a
 * name found taken is taken away first (export_file_create()). NULL when
 * no thread could be started. */
struct exportq *exportq_new(int dirfd, FILE *index, int overwrite);
/* Hands over a file: name, its bytes, its entry of index.json, and the
 * message's frame, time and flow in case it is left out. Waits for room.
 * Returns -1 once the thread has failed (a write error, the disk full):
 * nothing more is made. */
int exportq_put(struct exportq *q, const char *name, const uint8_t *p, size_t n, const char *entry,
                size_t entry_len, uint64_t frame, int64_t ts, uint64_t flow);
/* The capture's clock (ns): files waiting too long are made now. */
void exportq_clock(struct exportq *q, int64_t now);
/* Ends the export with an error about what (errno e), unless one came
 * first: nothing more is made, and exportq_free() says it. Returns -1. */
int exportq_fail(struct exportq *q, const char *what, int e);
/* Waits until every file handed over is made (or left out). */
void exportq_drain(struct exportq *q);
/* The files left out since the last call, oldest first; the caller frees
 * each (free()). */
struct exportq_skip *exportq_skipped(struct exportq *q);
/* Finishes: every file made, "\n]\n" written and index closed, the thread
 * gone. -1 when something could not be written, with "name: why" in err. */
int exportq_free(struct exportq *q, char *err, size_t errlen);

#endif
