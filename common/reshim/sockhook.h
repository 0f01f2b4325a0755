/**
 * @file sockhook.h  Hooks on the sockets libre's SIP stack opens and the
 * TCP connections it accepts, process-wide.
 *
 * libre 1.1.0 gives no handle on a SIP transport's sockets and no hook for
 * the bytes it cannot decode.  Its transport opens them with udp_listen()
 * and tcp_listen() and takes connections with tcp_accept(), all through
 * its PLT, so sockhook.c defines the three in the program (as tmrheap.c
 * does for tmr_*) and calls the hooks set here around libre's own.  The
 * registrar's guard (sim-registrar/guard.c) is the user: it batches and
 * guards the UDP sockets and frames the TCP streams itself.
 */

#ifndef SIPCONFORM_SOCKHOOK_H
#define SIPCONFORM_SOCKHOOK_H

#include <stdbool.h>

struct mbuf;
struct udp_sock;
struct tcp_sock;
struct tcp_conn;

/* every member may be NULL */
struct sockhook {
	/* around libre's udp_listen(); us is NULL when it failed */
	void (*udp_listen_before)(void *arg);
	void (*udp_listen_after)(int err, struct udp_sock *us, void *arg);

	/* after libre's tcp_listen(); ts is NULL when it failed */
	void (*tcp_listen_after)(int err, struct tcp_sock *ts, void *arg);

	/* a connection on ts: true when the hook took it (accepted it with
	 * sockhook_tcp_accept(), handlers of its own in front of eh/rh/ch)
	 * and set *err; false: libre's tcp_accept() as asked */
	bool (*tcp_accept)(int *err, struct tcp_conn **tcp,
			   struct tcp_sock *ts, void (*eh)(void *),
			   void (*rh)(struct mbuf *, void *),
			   void (*ch)(int, void *), void *carg, void *arg);
};

/* one set at a time (the last wins); NULL removes it */
void sockhook_set(const struct sockhook *h, void *arg);

/* libre's own tcp_accept, past the hook */
int  sockhook_tcp_accept(struct tcp_conn **tcp, struct tcp_sock *ts,
			 void (*eh)(void *), void (*rh)(struct mbuf *, void *),
			 void (*ch)(int, void *), void *carg);

#endif
