/* rectime.h - when a record's event began, by record.h's rule: a time is
 * there exactly when the frame number beside it is not 0. A time of 0 is
 * 1970-01-01T00:00:00Z like any other (sstime.h).
 */
#ifndef SS_RECTIME_H
#define SS_RECTIME_H

#include <stdint.h>

#include "record.h"

/* Sets *ts to when r's event began: an exchange's command, or its reply
 * when the command was not seen (a greeting, a reply to no command, a
 * command lost in a gap); a message's first bytes; a note; a DNS query, or
 * its response when the query was not captured. Returns 0, with *ts 0, when
 * r has no time. */
static inline int rectime_begin(const struct ss_record *r, int64_t *ts)
{
	uint64_t frame = 0;
	*ts = 0;
	switch (r->kind) {
	case REC_EXCHANGE:
		frame = r->u.ex.frame_cmd ? r->u.ex.frame_cmd : r->u.ex.frame_reply;
		*ts = r->u.ex.frame_cmd ? r->u.ex.ts_cmd : r->u.ex.ts_reply;
		break;
	case REC_MESSAGE:
		frame = r->u.msg.frame_start;
		*ts = r->u.msg.ts_start;
		break;
	case REC_NOTE:
		frame = r->u.note.frame;
		*ts = r->u.note.ts;
		break;
	case REC_LOG: /* a --log file's line has a time and no frame */
		if (r->u.log.file && r->u.log.timed) {
			*ts = r->u.log.ts;
			return 1;
		}
		frame = r->u.log.frame;
		*ts = r->u.log.ts;
		break;
	case REC_DNS:
		frame = r->u.dns.frame_query ? r->u.dns.frame_query : r->u.dns.frame_response;
		*ts = r->u.dns.frame_query ? r->u.dns.ts_query : r->u.dns.ts_response;
		break;
	}
	if (!frame)
		*ts = 0;
	return frame != 0;
}

#endif
