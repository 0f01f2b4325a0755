/**
 * @file loopwait.h  Running libre's loop in a test until something holds:
 * the tests that talk SIP and RTP to the in-process registrar wait on the
 * wire this way.
 */

#ifndef SIPCONFORM_LOOPWAIT_H
#define SIPCONFORM_LOOPWAIT_H

#include <stdbool.h>
#include <stdint.h>

/* run the loop until cond holds, at most ms of wall time */
bool wait_for(bool (*cond)(void *), void *arg, uint32_t ms);

/* let the loop run for ms (messages in flight arrive) */
void settle(uint32_t ms);

#endif
