/**
 * @file msgkeep.h  A SIP message kept as its bytes, decoded when looked at.
 *
 * A decoded libre sip_msg costs ~3 KB (the struct ~1 KB, its header list
 * ~1 KB, its header hash ~0.5 KB, the bytes); the phones and the harness
 * keep every phone's last final response: 20,000 phones held ~64 MB of
 * them (bench/results.md).  Kept as bytes it is ~0.6 KB, and decoding it
 * again, when a check looks at it, is ~10 us.
 */

#ifndef SIPCONFORM_MSGKEEP_H
#define SIPCONFORM_MSGKEEP_H

#include <stddef.h>
#include <stdint.h>

struct sip_msg;
struct msgkeep;

int  msgkeep_alloc(struct msgkeep **kp, const struct sip_msg *msg);

/* a response's status code, 0 for a request or no message: a check of
 * the status alone needs no decode */
uint16_t msgkeep_scode(const struct msgkeep *k);

/* the message again (a new reference: mem_deref it), with the source,
 * destination and transport it came with; NULL if k is */
struct sip_msg *msgkeep_decode(const struct msgkeep *k);

/* libre's decode of a copy of buf (sip_msg_decode() moves and keeps the
 * buffer it is given: the caller's bytes stay untouched) */
int msgkeep_decode_bytes(struct sip_msg **msgp, const uint8_t *buf,
			 size_t len);

#endif
