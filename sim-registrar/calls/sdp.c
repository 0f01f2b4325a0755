/**
 * @file calls/sdp.c  SDP the B2BUA sends: an answer to the caller's offer,
 * or an offer of its own (media will grow here)
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "calls/calls_priv.h"


/* an answer to offer, or an offer of our own when there is none */
int call_sdp_make(struct mbuf **mbp, struct calls *cs,
		  const struct mbuf *offer, uint32_t n)
{
	const uint16_t port = (uint16_t)(20000 + 2 * (n % 10000));
	struct pl proto, pt, m = PL_INIT;
	struct mbuf *mb;
	struct sa la;
	int err;

	err = calls_laddr(cs, SIP_TRANSP_UDP, NULL, &la);
	if (err)
		return err;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "v=0\r\no=- %u 1 IN IP%d %j\r\n"
			  "s=sipconform\r\nc=IN IP%d %j\r\nt=0 0\r\n",
			  rand_u32() >> 1, sa_af(&la) == AF_INET6 ? 6 : 4,
			  &la, sa_af(&la) == AF_INET6 ? 6 : 4, &la);

	if (offer && !re_regex((const char *)offer->buf, offer->end,
			       "m=audio [0-9]+ [^ ]+ [0-9]+", NULL, &proto,
			       &pt)) {
		char key[24];
		const char *rtp;

		(void)re_snprintf(key, sizeof(key), "a=rtpmap:%r ", &pt);
		err |= mbuf_printf(mb, "m=audio %u %r %r\r\n", port, &proto,
				   &pt);

		rtp = memmem(offer->buf, offer->end, key, strlen(key));
		if (rtp) {
			const char *e = rtp;
			const char *end = (const char *)offer->buf +
				offer->end;

			while (e < end && *e != '\r' && *e != '\n')
				e++;
			m.p = rtp;
			m.l = (size_t)(e - rtp);
			err |= mbuf_printf(mb, "%r\r\n", &m);
		}
	}
	else {
		err |= mbuf_printf(mb, "m=audio %u RTP/AVP 0 8 101\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "a=rtpmap:8 PCMA/8000\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n",
				   port);
	}

	err |= mbuf_write_str(mb, "a=sendrecv\r\n");
	if (err) {
		mem_deref(mb);
		return ENOMEM;
	}

	mb->pos = 0;
	*mbp = mb;

	return 0;
}


bool call_sdp_is(const struct sip_msg *msg)
{
	return mbuf_get_left(msg->mb) &&
		msg_ctype_cmp(&msg->ctyp, "application", "sdp");
}


int call_sdp_copy(struct mbuf **mbp, const struct sip_msg *msg)
{
	struct mbuf *mb = mbuf_alloc(mbuf_get_left(msg->mb) + 1);

	if (!mb)
		return ENOMEM;

	(void)mbuf_write_mem(mb, mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	mb->pos = 0;
	mem_deref(*mbp);
	*mbp = mb;

	return 0;
}
