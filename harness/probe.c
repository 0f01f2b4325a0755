/**
 * @file probe.c  OPTIONS probe of a target (probe.h)
 */

#include <string.h>
#include <re.h>
#include "probe.h"

struct probe {
	struct udp_sock *us;
	struct tmr tmr;
	bool answered;
	bool done;
};


static void recv_handler(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct probe *p = arg;
	(void)src;

	/* any SIP response will do: the target is there */
	if (mbuf_get_left(mb) >= 8 && !memcmp(mbuf_buf(mb), "SIP/2.0 ", 8)) {
		p->answered = true;
		p->done = true;
		re_cancel();
	}
}


static void timeout_handler(void *arg)
{
	struct probe *p = arg;

	p->done = true;
	re_cancel();
}


int probe_target(const struct sa *target, const char *domain,
		 uint32_t timeout_ms)
{
	struct probe p;
	struct mbuf *mb;
	struct sa laddr;
	int err;

	if (!target || !domain)
		return EINVAL;

	memset(&p, 0, sizeof(p));
	tmr_init(&p.tmr);

	(void)sa_set_str(&laddr, sa_af(target) == AF_INET6 ? "::1" :
			 "127.0.0.1", 0);
	err = udp_listen(&p.us, &laddr, recv_handler, &p);
	if (!err)
		err = udp_local_get(p.us, &laddr);
	if (err)
		goto out;

	mb = mbuf_alloc(512);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	(void)mbuf_printf(mb, "OPTIONS sip:%s SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP %J;branch=z9hG4bK%08x;rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "From: <sip:probe@%s>;tag=%08x\r\n"
			  "To: <sip:%s>\r\n"
			  "Call-ID: probe-%08x\r\n"
			  "CSeq: 1 OPTIONS\r\n"
			  "User-Agent: sipconform-harness/" SIPCONFORM_VERSION
			  "\r\nContent-Length: 0\r\n\r\n",
			  domain, &laddr, rand_u32(), domain, rand_u32(),
			  domain, rand_u32());
	mb->pos = 0;
	err = udp_send(p.us, target, mb);
	mem_deref(mb);
	if (err)
		goto out;

	tmr_start(&p.tmr, timeout_ms, timeout_handler, &p);
	while (!p.done)
		(void)re_main(NULL);

	err = p.answered ? 0 : ETIMEDOUT;

 out:
	tmr_cancel(&p.tmr);
	mem_deref(p.us);

	return err;
}
