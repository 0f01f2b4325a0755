/**
 * @file seam_registrar.c  registrar.c, unchanged, with its digest state
 * reachable by the fuzz targets (fuzz_register mints valid credentials).
 */

#include "registrar.c"
#include "fuzz.h"


struct digest_auth *fuzz_registrar_auth(const struct registrar *r)
{
	return r->base.auth;
}
