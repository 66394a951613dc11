/* textproto.h - one fuzz driver for the text protocols (SMTP, POP3, IMAP):
 * the input is a conversation (chunks.h) to a server port, dissected with
 * small caps so that the cuts (long lines, big messages, deep pipelines)
 * run, and every record is read in full by a sink. */
#ifndef SS_TEXTPROTO_H
#define SS_TEXTPROTO_H

#include <stddef.h>
#include <stdint.h>

/* One input, to server port sport; the dissector is chosen as smtpsniff
 * chooses it (port and first bytes). */
void textproto_fuzz(const uint8_t *data, size_t size, uint16_t sport);

#endif
