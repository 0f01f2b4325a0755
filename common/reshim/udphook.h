/**
 * @file udphook.h  One hook in front of libre's udp_send(), process-wide.
 *
 * libre 1.1.0 gives no handle on the UDP socket a SIP transport opens, but
 * its SIP stack sends every datagram through udp_send() via the PLT
 * (checked with objdump: sip_transp_send tail-calls udp_send@plt), so a
 * definition in the executable interposes it for the whole process, as
 * tmrheap.c does for tmr_*.  The object is linked only into programs that
 * reference udphook_*; others keep libre's udp_send untouched.
 */

#ifndef SIPCONFORM_UDPHOOK_H
#define SIPCONFORM_UDPHOOK_H

#include <stdbool.h>

struct udp_sock;
struct sa;
struct mbuf;

/* true: the hook took the datagram (sent it, queued it or dropped it) and
 * set *err; false: udp_send goes on as usual */
typedef bool (udphook_h)(int *err, struct udp_sock *us, const struct sa *dst,
			 struct mbuf *mb, void *arg);

/* one hook at a time; NULL removes it */
void udphook_set(udphook_h *h, void *arg);

/* libre's own udp_send, past the hook */
int  udphook_send(struct udp_sock *us, const struct sa *dst,
		  struct mbuf *mb);

#endif
