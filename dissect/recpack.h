/* recpack.h - a worker thread's records, copied whole and handed on in
 * order (reassembly/handoff.h, --workers).
 *
 * A record lends everything it points to until its sinks return (record.h),
 * so a worker cannot just pass the pointer to the thread that puts records
 * in order: the dissector goes on and reuses its buffers. recpack copies
 * the record and all it lends into one piece of the worker's queue
 * (strings, arrays, the message's bytes, a TLS session's findings with
 * their certificates), with what cannot be flat (a parsed DNS packet, the
 * message's parse) copied to the heap. On the ordering thread the copy is
 * given its flow there and its message number, goes to every sink, and is
 * let go.
 */
#ifndef SS_RECPACK_H
#define SS_RECPACK_H

/* A worker thread's start (handoff_workers' init): its records go through
 * recpack from now on. */
void recpack_thread(void *ctx);

#endif
