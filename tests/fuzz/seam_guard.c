/**
 * @file seam_guard.c  guard.c, unchanged, with its receive handlers
 * reachable by the fuzz targets (fuzz.h).  Its sockets are NULL: a reply
 * it sends fails in udp_send()/tcp_send() (EINVAL) and goes nowhere.
 */

#include "guard.c"
#include "fuzz.h"


bool fuzz_guard_udp(struct guard *g, const struct sa *src, struct mbuf *mb)
{
	struct guard_udp gu;

	memset(&gu, 0, sizeof(gu));
	gu.g = g;

	return udp_recv((struct sa *)src, mb, &gu);
}


int fuzz_guard_conn_alloc(struct guard_conn **gcp, struct guard *g,
			  const struct sa *peer, fuzz_stream_h *rh,
			  fuzz_close_h *ch, void *arg)
{
	struct guard_conn *gc;

	gc = mem_zalloc(sizeof(*gc), conn_destructor);
	if (!gc)
		return ENOMEM;

	/* as tcp_accept() sets it up, without the socket */
	gc->g = g;
	gc->rh = rh;
	gc->ch = ch;
	gc->arg = arg;
	gc->peer = *peer;
	list_append(&g->connl, &gc->le, gc);
	*gcp = gc;

	return 0;
}


void fuzz_guard_conn_recv(struct guard_conn *gc, struct mbuf *mb)
{
	conn_recv(mb, gc);
}
