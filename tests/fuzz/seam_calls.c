/**
 * @file seam_calls.c  The calls' digest state reachable by the fuzz
 * targets (an INVITE is challenged by the calls' own nonces): the calls
 * object's layout is in calls/calls_priv.h, so no source is included.
 */

#include "calls/calls_priv.h"
#include "fuzz.h"


struct digest_auth *fuzz_calls_auth(const struct calls *cs)
{
	return cs->base.auth;
}
