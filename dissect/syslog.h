/* syslog.h - the syslog dissector: RFC 3164 (BSD, as rsyslog forwards it:
 * "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG") and RFC 5424
 * ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") lines, over UDP (RFC
 * 5426: one line per datagram) and TCP (RFC 6587: octet counting "LEN SP
 * LINE", or non-transparent framing, lines ending at LF).
 *
 * Each line becomes one REC_LOG record (record.h) at once. A line whose
 * header cannot be read is still a record, its whole text the message and
 * facility -1, and raises an event (layer "syslog"):
 *   syslog_malformed     no PRI, a PRI over 191, an RFC 5424 header cut short
 *                        or with bad structured data (the reason in the detail)
 *   syslog_nul           the line holds NUL bytes (kept, counted strings)
 *   syslog_line_too_long longer than --max-line: cut there
 *   syslog_bad_count     TCP: an octet count that is no number (RFC 6587
 *                        3.4.1); read as a line ending at LF instead
 *   syslog_gap           TCP: bytes missing; looking for the next line
 *   syslog_cut           TCP: a line cut short by the end of the flow
 */
#ifndef SS_SYSLOG_H
#define SS_SYSLOG_H

#include "protos.h"
#include "record.h"
#include "stream.h"

/* RFC 5424 6.2.1: facility 23 * 8 + severity 7. */
#define SYSLOG_MAX_PRI 191
/* TCP: digits of an octet count (RFC 6587 3.4.1); longer is no count. */
#define SYSLOG_MAX_COUNT_DIGITS 9

/* The protocol entry; o (its caps) must outlive it. */
const struct ss_proto *syslog_proto(const struct dissect_opts *o);

/* UDP 514 (RFC 5426), TCP 514 and 601 (RFC 6587, RFC 3195). */
int port_syslog(const struct ss_flow *f);
/* A line beginning "<digits>" (TCP: or "LEN SP <digits>"); away from the
 * syslog ports its timestamp must begin as one of RFC 3164 or 5424 too. */
enum ss_probe syslog_probe(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n);

/* Parses the line p[0..n) (no framing, no line end) into out's facility,
 * severity, version and strings, which point into p. Returns NULL, or the
 * reason the header could not be read (static), and then out holds the
 * whole line as its message with facility and severity -1. */
const char *syslog_parse(const uint8_t *p, size_t n, struct rec_log *out);

/* "mail", "local7"...; "?" out of range. */
const char *syslog_facility_name(int facility);
/* "emerg" ... "debug"; "?" out of range. */
const char *syslog_severity_name(int severity);

#endif
