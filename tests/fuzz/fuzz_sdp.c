/**
 * @file fuzz_sdp.c  libFuzzer target: bytes as the SDP of a peer, to
 * media/sdp_oa.c as an offer (our answer) and as an answer (to our
 * offer).  Whatever we answer must pass our own syntax check.
 */

#include <stdlib.h>
#include <re.h>
#include "sdp_oa.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_oa *oa = NULL, *ob = NULL;
	struct mbuf *in, *ans = NULL, *offer = NULL;
	char reason[128];
	struct sa la;

	(void)sdp_oa_check(data, size, reason, sizeof(reason));

	in = mbuf_alloc(size + 1);
	if (!in)
		return 0;
	(void)mbuf_write_mem(in, data, size);
	in->pos = 0;

	(void)sa_set_str(&la, "127.0.0.1", 20000);
	if (sdp_oa_alloc(&oa, &la) || sdp_oa_alloc(&ob, &la))
		goto out;

	/* as an offer: an answer of ours is well-formed, or none at all */
	if (!sdp_oa_answer(oa, &ans, in)) {
		if (!ans || sdp_oa_check(ans->buf, ans->end, reason,
					 sizeof(reason)))
			abort();
		(void)sdp_oa_sending(oa);
	}
	else if (ans) {
		abort();
	}

	/* as the answer to our offer */
	if (!sdp_oa_offer(ob, &offer)) {
		in->pos = 0;
		(void)sdp_oa_accept(ob, in);
		(void)sdp_oa_remote(ob);
	}

 out:
	mem_deref(offer);
	mem_deref(ans);
	mem_deref(in);
	mem_deref(oa);
	mem_deref(ob);

	return 0;
}
