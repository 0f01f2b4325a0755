/**
 * @file fuzz_sdp.c  libFuzzer target: bytes as the SDP of a peer, to
 * media/sdp_oa.c as an offer (our answer) and as an answer (to our
 * offer), with secure media off and on (RTP/SAVP + a=crypto, sdes.c).
 * Whatever we answer must pass our own syntax check; a secure exchange
 * that succeeds has the peer's key.
 */

#include <stdlib.h>
#include <re.h>
#include "sdp_oa.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_oa *oa = NULL, *ob = NULL, *sa_ = NULL, *sb = NULL;
	struct mbuf *sans = NULL, *soffer = NULL;
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
	if (sdp_oa_alloc(&oa, &la) || sdp_oa_alloc(&ob, &la) ||
	    sdp_oa_alloc(&sa_, &la) || sdp_oa_alloc(&sb, &la) ||
	    sdp_oa_set_secure(sa_, true) || sdp_oa_set_secure(sb, true))
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

	/* the same with secure media */
	in->pos = 0;
	if (!sdp_oa_answer(sa_, &sans, in)) {
		if (!sans || sdp_oa_check(sans->buf, sans->end, reason,
					  sizeof(reason)) ||
		    !sdp_oa_remote(sa_)->srtp || !sdp_oa_lkey(sa_))
			abort();
	}
	if (!sdp_oa_offer(sb, &soffer)) {
		in->pos = 0;
		if (!sdp_oa_accept(sb, in) && !sdp_oa_remote(sb)->srtp)
			abort();
	}

	/* as the answer to our offer */
	if (!sdp_oa_offer(ob, &offer)) {
		in->pos = 0;
		(void)sdp_oa_accept(ob, in);
		(void)sdp_oa_remote(ob);
	}

 out:
	mem_deref(soffer);
	mem_deref(sans);
	mem_deref(sa_);
	mem_deref(sb);
	mem_deref(offer);
	mem_deref(ans);
	mem_deref(in);
	mem_deref(oa);
	mem_deref(ob);

	return 0;
}
