/**
 * @file wire.h  What crossed the wire during a run, and who sent it.
 *
 * The wire tap (common/reshim/wiretap.h) reports every datagram and stream
 * segment of the process's sockets.  A wire turns them into one copy of
 * each packet (a packet between two sockets of this process is reported
 * by both; the receiving copy is dropped), frames TCP streams into SIP
 * messages (keep-alive CRLFs aside), names each end (the reference
 * service, a simulated phone, the element under test, a peer), feeds every
 * SIP message to the protocol checker, and hands each SIP message and
 * each other packet (RTP, RTCP) to the run for its trace.
 */

#ifndef SIPCONFORM_WIRE_H
#define SIPCONFORM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "protocheck/protocheck.h"

struct wire;
struct sip_msg;
struct sa;

/* one SIP message as it crossed the wire */
struct wire_sip {
	const struct sip_msg *msg;     /* decoded, or NULL (not decodable) */
	const uint8_t *buf;
	size_t len;
	bool tcp;
	const struct sa *src;
	const struct sa *dst;
	uint64_t real_us;
	const struct pc_party *from;
	const struct pc_party *to;
	const void *from_tag;          /* what wire_name() was given       */
	const void *to_tag;
	bool retrans;                  /* the same request or final again  */
	bool decrypted;                /* read above TLS (wire_feed_sip)   */
};

/* one other packet (RTP, RTCP, anything not SIP) */
struct wire_pkt {
	const uint8_t *buf;
	size_t len;
	bool tcp;
	const struct sa *src;
	const struct sa *dst;
	uint64_t real_us;
};

typedef void (wire_sip_h)(const struct wire_sip *ws, void *arg);
typedef void (wire_pkt_h)(const struct wire_pkt *wp, void *arg);

/* starts tapping (one wire at a time); mem_deref stops it */
int  wire_alloc(struct wire **wp, wire_sip_h *sh, wire_pkt_h *ph,
		void *arg);
/* an element's address (its listening socket); tag comes back with its
 * messages (struct wire_sip) */
int  wire_name(struct wire *w, const struct sa *addr, const char *name,
	       enum pc_role role, bool misbehaves, const void *tag);
/* the party of every end neither named nor a socket of this process
 * (phone mode: the phone under test, whatever ports it uses) */
int  wire_others(struct wire *w, const char *name, enum pc_role role);
/* one whole SIP message read above a layer the tap cannot see through:
 * TLS, whose records the tap sees as ciphertext (libre's SIP trace handler
 * gives every transport's plaintext); checked like the rest, handed on
 * with wire_sip.decrypted set */
void wire_feed_sip(struct wire *w, const uint8_t *buf, size_t len,
		   const struct sa *src, const struct sa *dst);
/* whether each SIP message handed to sh is decoded (wire_sip.msg; on by
 * default): off, the checker's own quick reader is all that runs */
void wire_set_decode(struct wire *w, bool decode);
/* the step messages are caused by from now on ("file:line") */
void wire_where(struct wire *w, const char *file, unsigned line);
/* the end of the conversation: the checker's closing checks */
void wire_finish(struct wire *w);
struct protocheck *wire_checker(const struct wire *w);
/* SIP messages seen (each once) */
size_t wire_sip_count(const struct wire *w);

#endif
