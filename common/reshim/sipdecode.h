/**
 * @file sipdecode.h  libre's sip_msg_decode() with a hand-over: one decode
 * per datagram where two callers look at the same bytes.
 *
 * A socket helper that judges a datagram by decoding it (the registrar's
 * guard) runs before libre's SIP transport, which decodes the very same
 * buffer again.  sipdecode.c defines sip_msg_decode in the program (libre's
 * transport calls it through its PLT, as it does tmr_*): between
 * sipdecode_keep_begin() and sipdecode_keep_end() the last decode is kept;
 * sipdecode_keep_end(mb) hands it to the next sip_msg_decode() of that
 * buffer, at that position, holding those very bytes.  Any other call
 * decodes as usual and drops what was kept.  Without keep_begin() the
 * override only counts and passes through.
 */

#ifndef SIPCONFORM_SIPDECODE_H
#define SIPCONFORM_SIPDECODE_H

#include <stdbool.h>

struct mbuf;

void sipdecode_keep_begin(void);

/* true when exactly one decode, of mb's unread bytes, was kept and is now
 * waiting for mb's own decode; NULL (or no match) drops it */
bool sipdecode_keep_end(struct mbuf *mb);

/* forget what is kept */
void sipdecode_drop(void);

/* calls that reached this file's sip_msg_decode, and decodes handed over,
 * since the start (the contract test, tests/unit/test_reshim.c) */
unsigned long sipdecode_calls(void);
unsigned long sipdecode_handovers(void);

#endif
