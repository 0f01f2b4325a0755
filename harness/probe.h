/**
 * @file probe.h  Is a SIP target there?  One OPTIONS over UDP, answered
 * by anything at all within the time given.
 */

#ifndef SIPCONFORM_PROBE_H
#define SIPCONFORM_PROBE_H

#include <stdint.h>

struct sa;

/* 0: something answered; ETIMEDOUT: nothing did; else errno */
int probe_target(const struct sa *target, const char *domain,
		 uint32_t timeout_ms);

#endif
