/**
 * @file ctlclient.c  Blocking HTTP/1.0 client for the control API
 */

#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "ctlclient.h"

enum { CTL_TIMEOUT_MS = 3000 };

struct ctl_req {
	struct tcp_conn *tc;
	struct mbuf *req;
	struct mbuf *rx;
	struct tmr tmr;
	bool done;
};


static size_t head_len(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return i + 4;
	}

	return 0;
}


static void finish(struct ctl_req *cr)
{
	if (cr->done)
		return;

	cr->done = true;
	tmr_cancel(&cr->tmr);
	re_cancel();
}


static void estab_handler(void *arg)
{
	struct ctl_req *cr = arg;

	if (tcp_send(cr->tc, cr->req))
		finish(cr);
}


static void recv_handler(struct mbuf *mb, void *arg)
{
	struct ctl_req *cr = arg;
	struct pl clen;
	size_t hlen;

	cr->rx->pos = cr->rx->end;
	(void)mbuf_write_mem(cr->rx, mbuf_buf(mb), mbuf_get_left(mb));

	hlen = head_len(cr->rx->buf, cr->rx->end);
	if (hlen && !re_regex((char *)cr->rx->buf, hlen,
			      "Content-Length: [0-9]+", &clen) &&
	    cr->rx->end >= hlen + pl_u32(&clen))
		finish(cr);
}


static void close_handler(int err, void *arg)
{
	(void)err;
	finish(arg);
}


static void timeout_handler(void *arg)
{
	finish(arg);
}


int ctlclient_request(const struct sa *addr, const char *met,
		      const char *path, char *body, size_t sz)
{
	struct ctl_req cr;
	const char *token;
	struct pl code;
	int status = -1;

	if (!addr || !met || !path || !body || !sz)
		return -1;

	body[0] = '\0';
	memset(&cr, 0, sizeof(cr));
	tmr_init(&cr.tmr);
	cr.req = mbuf_alloc(256);
	cr.rx = mbuf_alloc(4096);
	if (!cr.req || !cr.rx)
		goto out;

	/* a target whose control API asks a token (off loopback) */
	token = getenv("SIM_REGISTRAR_CONTROL_TOKEN");
	(void)mbuf_printf(cr.req, "%s %s HTTP/1.0\r\nHost: sim-registrar\r\n"
			  "%s%s%s"
			  "Content-Length: 0\r\n\r\n", met, path,
			  token && *token ? "Authorization: Bearer " : "",
			  token && *token ? token : "",
			  token && *token ? "\r\n" : "");
	cr.req->pos = 0;

	if (tcp_connect(&cr.tc, addr, estab_handler, recv_handler,
			close_handler, &cr))
		goto out;

	tmr_start(&cr.tmr, CTL_TIMEOUT_MS, timeout_handler, &cr);
	while (!cr.done)
		(void)re_main(NULL);

	if (!re_regex((char *)cr.rx->buf, cr.rx->end,
		      "HTTP/[0-9.]+ [0-9]+ ", NULL, &code)) {
		size_t hlen = head_len(cr.rx->buf, cr.rx->end);

		status = (int)pl_u32(&code);
		if (hlen)
			(void)re_snprintf(body, sz, "%b", cr.rx->buf + hlen,
					  cr.rx->end - hlen);
	}

 out:
	tmr_cancel(&cr.tmr);
	mem_deref(cr.tc);
	mem_deref(cr.req);
	mem_deref(cr.rx);

	return status;
}
