/**
 * @file sipdecode.c  sip_msg_decode() interposed (see sipdecode.h)
 */

#include <string.h>
#include <re.h>
#include "reshim/real.h"
#include "reshim/sipdecode.h"

typedef int (sip_msg_decode_f)(struct sip_msg **msgp, struct mbuf *mb);

static struct {
	bool capturing;              /* between keep_begin and keep_end     */
	unsigned captured;           /* successful decodes meanwhile        */
	struct sip_msg *msg;         /* the decode (its mb: the caller's copy)*/
	struct mbuf *mb;             /* the buffer it is for, referenced    */
	size_t pos;                  /* where its message starts            */
} handover;

static unsigned long calls, handovers;


void sipdecode_drop(void)
{
	handover.msg = mem_deref(handover.msg);
	handover.mb = mem_deref(handover.mb);
	handover.captured = 0;
}


void sipdecode_keep_begin(void)
{
	sipdecode_drop();
	handover.capturing = true;
}


bool sipdecode_keep_end(struct mbuf *mb)
{
	const struct sip_msg *m = handover.msg;

	handover.capturing = false;

	if (mb && handover.captured == 1 && m && m->mb &&
	    m->mb->end == mbuf_get_left(mb) &&
	    !memcmp(m->mb->buf, mbuf_buf(mb), mbuf_get_left(mb))) {
		handover.mb = mem_ref(mb);
		handover.pos = mb->pos;
		return true;
	}

	sipdecode_drop();

	return false;
}


unsigned long sipdecode_calls(void)
{
	return calls;
}


unsigned long sipdecode_handovers(void)
{
	return handovers;
}


int sip_msg_decode(struct sip_msg **msgp, struct mbuf *mb)
{
	static void *cache;
	sip_msg_decode_f *real = (sip_msg_decode_f *)reshim_real(&cache,
							 "sip_msg_decode");
	struct sip_msg *msg;
	int err;

	calls++;

	if (!real)
		return ENOSYS;

	if (handover.msg && handover.mb && msgp && mb == handover.mb &&
	    mb->pos == handover.pos &&
	    mbuf_get_left(mb) == handover.msg->mb->end &&
	    !memcmp(mbuf_buf(mb), handover.msg->mb->buf, mbuf_get_left(mb))) {
		/* what real() would leave: pos at the body */
		mb->pos += handover.msg->mb->pos;
		*msgp = handover.msg;
		handover.msg = NULL;
		sipdecode_drop();
		handovers++;
		return 0;
	}

	if (!handover.capturing)
		sipdecode_drop();

	err = real(msgp, mb);

	if (handover.capturing && !err && msgp && *msgp) {
		handover.captured++;
		msg = mem_ref(*msgp);
		mem_deref(handover.msg);
		handover.msg = msg;
	}

	return err;
}
