/**
 * @file sockhook.c  udp_listen, tcp_listen and tcp_accept interposed
 *                   (see sockhook.h)
 */

#include <re.h>
#include "reshim/real.h"
#include "reshim/sockhook.h"
#include "reshim/wiretap.h"

typedef int (udp_listen_f)(struct udp_sock **usp, const struct sa *local,
			   udp_recv_h *rh, void *arg);
typedef int (tcp_listen_f)(struct tcp_sock **tsp, const struct sa *local,
			   tcp_conn_h *ch, void *arg);
typedef int (tcp_accept_f)(struct tcp_conn **tcp, struct tcp_sock *ts,
			   tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch,
			   void *arg);
typedef int (tcp_connect_f)(struct tcp_conn **tcp, const struct sa *peer,
			    tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch,
			    void *arg);

static const struct sockhook *hook;
static void *hook_arg;


void sockhook_set(const struct sockhook *h, void *arg)
{
	hook = h;
	hook_arg = arg;
}


int udp_listen(struct udp_sock **usp, const struct sa *local,
	       udp_recv_h *rh, void *arg)
{
	static void *cache;
	udp_listen_f *real = (udp_listen_f *)reshim_real(&cache, "udp_listen");
	const struct sockhook *h = hook;
	void *harg = hook_arg;
	int err;

	if (!real)
		return ENOSYS;

	if (h && h->udp_listen_before)
		h->udp_listen_before(harg);
	err = real(usp, local, rh, arg);
	if (!err && usp)
		wiretap_udp(*usp);
	if (h && h->udp_listen_after)
		h->udp_listen_after(err, !err && usp ? *usp : NULL, harg);

	return err;
}


int tcp_listen(struct tcp_sock **tsp, const struct sa *local,
	       tcp_conn_h *ch, void *arg)
{
	static void *cache;
	tcp_listen_f *real = (tcp_listen_f *)reshim_real(&cache, "tcp_listen");
	int err;

	if (!real)
		return ENOSYS;

	err = real(tsp, local, ch, arg);
	if (hook && hook->tcp_listen_after)
		hook->tcp_listen_after(err, !err && tsp ? *tsp : NULL,
				       hook_arg);

	return err;
}


int sockhook_tcp_accept(struct tcp_conn **tcp, struct tcp_sock *ts,
			tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch,
			void *carg)
{
	static void *cache;
	tcp_accept_f *real = (tcp_accept_f *)reshim_real(&cache, "tcp_accept");

	int err;

	if (!real)
		return ENOSYS;

	err = real(tcp, ts, eh, rh, ch, carg);
	if (!err && tcp)
		wiretap_tcp(*tcp);

	return err;
}


int tcp_connect(struct tcp_conn **tcp, const struct sa *peer,
		tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch, void *arg)
{
	static void *cache;
	tcp_connect_f *real = (tcp_connect_f *)reshim_real(&cache,
							   "tcp_connect");
	int err;

	if (!real)
		return ENOSYS;

	err = real(tcp, peer, eh, rh, ch, arg);
	if (!err && tcp)
		wiretap_tcp(*tcp);

	return err;
}


int tcp_accept(struct tcp_conn **tcp, struct tcp_sock *ts, tcp_estab_h *eh,
	       tcp_recv_h *rh, tcp_close_h *ch, void *arg)
{
	int err = 0;

	if (hook && hook->tcp_accept &&
	    hook->tcp_accept(&err, tcp, ts, eh, rh, ch, arg, hook_arg))
		return err;

	return sockhook_tcp_accept(tcp, ts, eh, rh, ch, arg);
}
