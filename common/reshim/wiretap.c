/**
 * @file wiretap.c  A helper at the bottom of every socket (wiretap.h)
 */

#include <sys/time.h>
#include <re.h>
#include "reshim/wiretap.h"

/* below every helper of libre and of ours (TLS, the guard, media) */
enum { TAP_LAYER = -1000000 };

static wiretap_h *tap;
static void *tap_arg;
static uint64_t count;

/* a socket's own address, kept: asking the kernel (getsockname) for it on
 * every datagram, both ways, was ~3 % of a busy run.  Direct-mapped by the
 * socket's pointer; wiretap_udp() rewrites the slot of each new socket, so
 * a socket that reuses a freed one's memory never reads its address (two
 * live sockets on one slot only miss and ask again) */
enum { LOCAL_SLOTS = 1024 };   /* a power of 2 */

static struct local_slot {
	const struct udp_sock *us;
	struct sa local;
} locals[LOCAL_SLOTS];


static struct local_slot *local_slot(const struct udp_sock *us)
{
	uint64_t v = (uint64_t)(uintptr_t)us;

	v = (v ^ (v >> 17)) * 0x9e3779b97f4a7c15ull;

	return &locals[(v >> 40) & (LOCAL_SLOTS - 1)];
}


static bool local_get(struct udp_sock *us, struct sa *local)
{
	struct local_slot *ls = local_slot(us);

	if (ls->us == us) {
		*local = ls->local;
		return true;
	}

	if (udp_local_get(us, local))
		return false;

	ls->us = us;
	ls->local = *local;

	return true;
}


void wiretap_set(wiretap_h *h, void *arg)
{
	tap = h;
	tap_arg = arg;
}


bool wiretap_active(void)
{
	return tap != NULL;
}


uint64_t wiretap_count(void)
{
	return count;
}


static void report(bool tcp, bool out, const struct sa *local,
		   const struct sa *peer, const struct mbuf *mb)
{
	struct wiretap_pkt p;
	struct timeval tv;

	if (!mb || !mbuf_get_left(mb))
		return;

	(void)gettimeofday(&tv, NULL);

	p.tcp = tcp;
	p.out = out;
	p.local = local;
	p.peer = peer;
	p.buf = mbuf_buf(mb);
	p.len = mbuf_get_left(mb);
	p.real_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;

	++count;
	tap(&p, tap_arg);
}


static bool tap_udp_send(int *err, struct sa *dst, struct mbuf *mb, void *arg)
{
	struct sa local;

	(void)err;
	if (tap && local_get(arg, &local))
		report(false, true, &local, dst, mb);

	return false;
}


static bool tap_udp_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct sa local;

	if (tap && local_get(arg, &local))
		report(false, false, &local, src, mb);

	return false;
}


void wiretap_udp(struct udp_sock *us)
{
	/* a new socket, perhaps where a freed one was: its slot forgets */
	if (us)
		local_slot(us)->us = NULL;

	/* the socket's helper list owns the helper: it goes with the socket */
	if (tap && us)
		(void)udp_register_helper(NULL, us, TAP_LAYER, tap_udp_send,
					  tap_udp_recv, us);
}


static void tcp_report(struct tcp_conn *tc, bool out, struct mbuf *mb)
{
	struct sa local, peer;

	if (!tap || tcp_conn_local_get(tc, &local) ||
	    tcp_conn_peer_get(tc, &peer))
		return;

	report(true, out, &local, &peer, mb);
}


static bool tap_tcp_send(int *err, struct mbuf *mb, void *arg)
{
	(void)err;
	tcp_report(arg, true, mb);

	return false;
}


static bool tap_tcp_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	(void)err;
	(void)estab;
	tcp_report(arg, false, mb);

	return false;
}


void wiretap_tcp(struct tcp_conn *tc)
{
	if (tap && tc)
		(void)tcp_register_helper(NULL, tc, TAP_LAYER, NULL, tap_tcp_send,
					  tap_tcp_recv, tc);
}
