/**
 * @file fuzz_register.c  libFuzzer target: an authenticated request.
 * The harness mints a fresh nonce from the registrar's own digest state
 * and puts a valid Proxy-Authorization for alice (the embedded default
 * configuration's user) right after the request line, computed for the
 * request's method and the served domain; then the bytes go the UDP
 * datagram path (fuzz_request).  So the fuzzer gets past authentication
 * into contacts, expiry, the location service and the 2xx, which a
 * random nonce never would.  Bindings and nonce counts are reset per
 * input, so every input runs alone.
 */

#include <string.h>
#include <re.h>
#include "sim_registrar.h"
#include "fuzz.h"

enum { MAX_INPUT = 65536 };


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reg *fr = fuzz_reg_get();
	struct mbuf *req = NULL;

	if (size > MAX_INPUT)
		return 0;

	sim_registrar_reset(fr->sr);

	if (!fuzz_with_credentials(fr, data, size, &req))
		fuzz_udp_datagram(fr, req->buf, req->end);

	mem_deref(req);

	return 0;
}
