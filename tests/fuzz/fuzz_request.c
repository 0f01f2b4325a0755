/**
 * @file fuzz_request.c  libFuzzer target: bytes as one UDP datagram to
 * the registrar, through the guard (sipcheck_raw), libre's decode and the
 * server's request handler (sipcheck_msg, REGISTER/OPTIONS/methods).
 */

#include <re.h>
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_udp_datagram(fuzz_reg_get(), data, size);

	return 0;
}
