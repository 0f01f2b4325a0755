/**
 * @file wiretap.h  Every datagram and stream segment that crosses a socket
 * of this process, as it crosses it.
 *
 * Traces and the protocol checker must show what was on the wire, not what
 * the harness happened to see: the ACKs libre sends by itself, its
 * retransmissions, keep-alive CRLFs, RTP.  While a tap is set, every UDP
 * socket libre opens (udp_listen: SIP transports and RTP/RTCP alike) and
 * every TCP connection it accepts or opens gets a helper at the lowest
 * layer, closest to the wire: sends are seen after every other helper
 * (link faults included: a dropped datagram never shows), receives before
 * any.  A packet between two tapped sockets of the process is reported
 * twice: out (from the sender's socket), then in (at the receiver's).
 * The helper's argument is the socket itself, so nothing outlives it.
 */

#ifndef SIPCONFORM_WIRETAP_H
#define SIPCONFORM_WIRETAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;

struct wiretap_pkt {
	bool tcp;               /* a stream segment, else a datagram     */
	bool out;               /* sent by this process                  */
	const struct sa *local;
	const struct sa *peer;
	const uint8_t *buf;
	size_t len;
	uint64_t real_us;       /* wall clock, microseconds since epoch  */
};

typedef void (wiretap_h)(const struct wiretap_pkt *pkt, void *arg);

/* one tap at a time; NULL removes it (sockets keep their helper, idle) */
void wiretap_set(wiretap_h *h, void *arg);
bool wiretap_active(void);

/* called by sockhook.c for each new socket and connection */
void wiretap_udp(struct udp_sock *us);
void wiretap_tcp(struct tcp_conn *tc);

/* datagrams and segments reported since start (for the contract test) */
uint64_t wiretap_count(void);

#endif
