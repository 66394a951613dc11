/* dnsout.h - a DNS record (record.h) on the timeline, under -v, and as JSON
 * (RFC 1035 4.1, RFC 6891 6.1.3, RFC 8259 for the JSON).
 *
 * The report core writes what every record has (time, client > server,
 * the JSON object's "type", "time", "flow", "client", "server"); these
 * write the DNS part only. Every function accepts any record the DNS
 * dissector emits: paired, unanswered, response-only or malformed.
 */
#ifndef SS_DNSOUT_H
#define SS_DNSOUT_H

#include <stdio.h>

#include "record.h"
#include "text.h"

/* The rest of a timeline line, without the newline:
 *   DNS TXT? _dmarc.a.test -> "v=DMARC1; p=quarantine; pct=100" NOERROR ttl=60
 *   DNS A? x.test (no answer)
 *   DNS A? x.test -> 192.0.2.1 NOERROR ttl=60 (query not seen)
 *   DNS A? x.test -> malformed response: <ldns's reason>
 *   DNS malformed query: <ldns's reason> (<n> bytes)
 * Wire text is escaped (dnstext.h), so the line is one line. */
void dnsout_text(struct text *out, const struct rec_dns *d);
/* The messages in full for -v: header, EDNS and each section's records as
 * dig prints them, one per line, each line indented by four spaces and
 * ended by a newline. */
void dnsout_verbose(struct text *out, const struct rec_dns *d);
/* The DNS members of the record's JSON object, each preceded by a comma:
 *   ,"status":"answered","id":4711,"opcode":"QUERY","qname":"_dmarc.a.test",
 *   "qtype":"TXT","qclass":"IN","rcode":"NOERROR","tc":false,"aa":true,...
 *   "edns":{"udp":1232,"do":false,"version":0},"rtt_ms":1.234,
 *   "answer":[{"name":"_dmarc.a.test","type":"TXT","class":"IN","ttl":60,
 *   "data":"\"v=DMARC1; p=quarantine; pct=100\""}],"authority":[],
 *   "additional":[],"transport":"udp"
 * docs/json.md lists every member. */
void dnsout_json(FILE *out, const struct rec_dns *d);

#endif
