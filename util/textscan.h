/* textscan.h - one pass over text for its odd line ends and bytes.
 *
 * A message body is most of the bytes smtpsniff sees. Searching it line by
 * line (memchr for each LF, then for each CR) cost a tenth of a whole run;
 * looking at the bytes in 64-byte blocks costs a fraction of that, and tells
 * whether any line can be long enough to need measuring.
 */
#ifndef SS_TEXTSCAN_H
#define SS_TEXTSCAN_H

#include <stddef.h>
#include <stdint.h>

struct textscan {
	size_t bare_lf; /* LFs with no CR just before them */
	size_t bare_cr; /* CRs with no LF just after them (a CR that ends the text too) */
	size_t nul;
	int may_exceed; /* 0: no run of more than max_line bytes lacks an LF */
};

void textscan(const uint8_t *p, size_t n, size_t max_line, struct textscan *t);

#endif
