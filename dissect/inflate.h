/* inflate.h - COMPRESS=DEFLATE (RFC 4978) as a stream transform of the
 * session engine (pingpong.h): from the line after the completion that
 * accepted it, each direction is one raw DEFLATE stream (RFC 1951),
 * flushed at each command and response; inflate turns it back into the
 * protocol's lines, on top of the transforms already there (COMPRESS
 * after STARTTLS: it inflates the decrypted bytes, RFC 4978 4).
 *
 * The line engine of a direction reads what inflate gives, at offsets
 * counted from 0 in the inflated bytes; frame and time are those of the
 * compressed bytes that gave them. DEFLATE cannot be picked up again after
 * a hole, nor after bytes that are not DEFLATE or the stream's end: that
 * direction's line engine hands out the line in progress, and the rest is
 * only counted. zlib's state (some 40K a direction, its window included)
 * is held between packets: it counts in --max-held-mem (util/memacct.h);
 * without room (or memory) nothing is inflated, and all is only counted.
 *
 * Events, of the session's protocol ("imap ..."), with the flow's id:
 *   "inflate_error"  once a direction: the stream cannot be read on (zlib's
 *                    words, or "the DEFLATE stream ended")
 *   "gap"            a hole in the compressed stream that was being read
 * Note (REC_NOTE), when the session ends:
 *   "compress_end"   the compressed bytes each way (read or only counted)
 *                    and what they inflated to
 */
#ifndef SS_INFLATE_H
#define SS_INFLATE_H

#include "pingpong.h"

/* From the byte after the line item being handed out now, both directions
 * of pp's session are DEFLATE; the inflated lines go to the protocol's
 * items c2s and s2c (with ctx). Returns 1 when the bytes are read through
 * inflate, 0 when they are only counted (no memory, or no room in
 * --max-held-mem, or no room in the stack of transforms). */
int inflate_start(struct pingpong *pp, lp_item_fn *c2s, lp_item_fn *s2c, void *ctx);

#endif
