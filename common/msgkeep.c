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
	uint16_t scode;
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
	k->scode = msg->req ? 0 : msg->scode;
	k->len = msg->mb->end;
	memcpy(k->bytes, msg->mb->buf, k->len);

	*kp = k;

	return 0;
}


uint16_t msgkeep_scode(const struct msgkeep *k)
{
	return k ? k->scode : 0;
}


int msgkeep_decode_bytes(struct sip_msg **msgp, const uint8_t *buf,
			 size_t len)
{
	struct mbuf *mb;
	int err;

	if (!msgp || !buf)
		return EINVAL;

	mb = mbuf_alloc(len ? len : 1);
	if (!mb)
		return ENOMEM;

	(void)mbuf_write_mem(mb, buf, len);
	mb->pos = 0;

	/* the message holds its own reference to mb */
	err = sip_msg_decode(msgp, mb);
	mem_deref(mb);

	return err;
}


struct sip_msg *msgkeep_decode(const struct msgkeep *k)
{
	struct sip_msg *msg = NULL;

	if (!k || msgkeep_decode_bytes(&msg, k->bytes, k->len))
		return NULL;

	msg->src = k->src;
	msg->dst = k->dst;
	msg->tp = k->tp;

	return msg;
}
