/**
 * @file seam_calls.c  calls.c, unchanged, with its digest state reachable
 * by the fuzz targets (an INVITE is challenged by the calls' own nonces).
 */

#include "calls.c"
#include "fuzz.h"


struct digest_auth *fuzz_calls_auth(const struct calls *cs)
{
	return cs->auth;
}
