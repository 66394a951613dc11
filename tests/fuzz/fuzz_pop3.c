/* fuzz_pop3.c - the POP3 dissector (with the line engine, SASL and the message
 * parser behind it) under a fuzzer: conversations to port 110 (textproto.h).
 */
#include "textproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	textproto_fuzz(data, size, 110);
	return 0;
}
