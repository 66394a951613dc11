/* msgmem.h - the storage of the messages being collected, counted across
 * every session against --max-messages-mem.
 *
 * Each session keeps the message it is collecting (SMTP DATA and BDAT, POP3
 * RETR and TOP, IMAP FETCH and APPEND literals) whole, up to --max-message.
 * That bounds one message, not all of them: 16 sessions 48 MB into DATA
 * held 922 MB whatever --max-mem said (issue 16, finding 2). Here the
 * storage those buffers hold is counted in one total, and a buffer grows
 * only when the total stays within --max-messages-mem. A message refused
 * storage keeps what it has and is marked incomplete, as one over
 * --max-message is; its session goes on being parsed. Large messages stop
 * an eighth short of the cap, so that ordinary ones in other sessions
 * still come out whole while a few sessions flood.
 *
 * What is counted is storage (struct buf's size), not bytes in use: that is
 * what the process holds, the doubling included. A counted buffer's size
 * is its share of the total at every moment, so it must grow only through
 * msgmem_add() and let go of its storage only through msgmem_end().
 *
 * The total is an account of its own (util/memacct.h), apart from
 * --max-held-mem's: a flood of unfinished lines must not cut messages, nor
 * a few huge messages the lines of every other session.
 */
#ifndef SS_MSGMEM_H
#define SS_MSGMEM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A buffer whose storage would pass cap / MSGMEM_SMALL_PART grows only
 * while cap / MSGMEM_RESERVE_PART of the cap stays free, for the small
 * messages of other sessions (msgmem_add). */
#define MSGMEM_SMALL_PART 256
#define MSGMEM_RESERVE_PART 8

/* Counts n more bytes: 0, or -1 (nothing counted) when the total would
 * pass cap. */
int msgmem_take(uint64_t cap, size_t n);
/* Gives back n bytes taken before. */
void msgmem_give(size_t n);
/* Bytes counted now, and the most ever counted at once. */
uint64_t msgmem_held(void);
uint64_t msgmem_peak(void);

/* What msgmem_add() did. */
enum msgmem_res {
	MSGMEM_OK = 0,     /* the bytes were added */
	MSGMEM_FULL = -1,  /* over the buffer's own cap (--max-message), or no memory */
	MSGMEM_SHARED = -2 /* more storage would pass cap (--max-messages-mem) */
};

/* Starts a message in b (its cap already set, to --max-message): empty,
 * on storage it holds, else on storage from bp when the total lets it
 * count that (bp may be NULL). */
void msgmem_begin(struct buf *b, uint64_t cap, struct bufpool *bp);
/* Appends p[0..n) to b as buf_add() does, growing b's storage only by what
 * the total lets it take; on any refusal nothing is appended. */
enum msgmem_res msgmem_add(struct buf *b, uint64_t cap, const void *p, size_t n);
/* The message in b is done: its storage is given back to the total and to
 * bp (or freed when bp is NULL); b is left empty, without storage, its
 * cap unchanged. */
void msgmem_end(struct buf *b, struct bufpool *bp);

#endif
