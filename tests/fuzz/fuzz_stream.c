/**
 * @file fuzz_stream.c  libFuzzer target: bytes as what one TCP connection
 * brings, in chunks, through the guard's framing (sipcheck_head_len,
 * sipcheck_clen, sipcheck_raw), libre's stream framing and the server's
 * request handler.  The first byte chooses the chunking: 0 one chunk,
 * N chunks of 1..2N bytes (a fixed pseudo-random sequence from N).
 */

#include <re.h>
#include "fuzz.h"

enum { MAX_CHUNKS = 64 };


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunkv[MAX_CHUNKS], chunkc = 0;
	uint32_t x;

	if (!size)
		return 0;

	x = data[0];
	if (x) {
		for (chunkc = 0; chunkc < MAX_CHUNKS; chunkc++) {
			x = x * 1103515245u + 12345u;
			chunkv[chunkc] = 1 + (x >> 16) % (2 * data[0]);
		}
	}

	fuzz_tcp_stream(fuzz_reg_get(), data + 1, size - 1, chunkv, chunkc);

	return 0;
}
