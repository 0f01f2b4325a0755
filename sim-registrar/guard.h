/**
 * @file guard.h  Answers the requests libre's decoder would drop in
 * silence (bad start line, SIP version, header syntax) with 400 or 505,
 * for the UDP and TCP transports a SIP stack creates while a guard is
 * being attached (REG-MSG-2).
 *
 * libre 1.1.0 has no hook for undecodable messages, so the guard hooks
 * the sockets libre opens and the connections it accepts
 * (common/reshim/sockhook.h: udp_listen, tcp_listen and tcp_accept
 * interposed): while guard_attach_begin() is in force, the sockets the
 * stack opens get the guard in front of them, and their UDP reads are
 * batched (reshim/udp_batch.h).  The decode the guard makes to judge a
 * datagram is handed to the stack (reshim/sipdecode.h).
 *
 * On TCP the guard frames the stream: CRLFs before a start line are
 * ignored and each CRLFCRLF ping gets a CRLF pong in whatever segments it
 * came (RFC 3261 7.5, RFC 5626 4.4.1); its answers and libre's leave in
 * the stream's order; octets with no header (what a short Content-Length
 * leaves over) get none.  An RFC 2543 request (top Via without branch)
 * reaches libre as sipcheck_branchless()'s copy, and every response sent
 * on a guarded socket loses that branch again (sipcheck_unbranch()).
 */

#ifndef SIPCONFORM_GUARD_H
#define SIPCONFORM_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct sa;
struct guard;

typedef void (guard_h)(uint16_t scode, const char *reason, const char *detail,
		       const struct sa *src, const char *transport,
		       const char *method, void *arg);

int  guard_alloc(struct guard **gp, guard_h *h, void *arg);
void guard_attach_begin(struct guard *g);   /* before sip_transp_add */
void guard_attach_end(void);
unsigned guard_socket_count(const struct guard *g);

#endif
