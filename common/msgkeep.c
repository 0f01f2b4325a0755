/**
 * @file msgkeep.c  A SIP message kept as its bytes (see msgkeep.h)
 */

#include <string.h>
#include <re.h>
#include "msgkeep.h"

struct msgkeep {
	struct sa src;
	struct sa dst;
	enum sip_transp tp;
	size_t len;
	uint8_t bytes[];
};


int msgkeep_alloc(struct msgkeep **kp, const struct sip_msg *msg)
{
	struct msgkeep *k;

	if (!kp || !msg || !msg->mb)
		return EINVAL;

	/* the whole buffer, as the reports record a message */
	k = mem_alloc(sizeof(*k) + msg->mb->end, NULL);
	if (!k)
		return ENOMEM;

	k->src = msg->src;
	k->dst = msg->dst;
	k->tp = msg->tp;
	k->len = msg->mb->end;
	memcpy(k->bytes, msg->mb->buf, k->len);

	*kp = k;

	return 0;
}


struct sip_msg *msgkeep_decode(const struct msgkeep *k)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;

	if (!k)
		return NULL;

	mb = mbuf_alloc(k->len);
	if (!mb)
		return NULL;

	(void)mbuf_write_mem(mb, k->bytes, k->len);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb)) {
		msg->src = k->src;
		msg->dst = k->dst;
		msg->tp = k->tp;
	}

	mem_deref(mb);

	return msg;
}
