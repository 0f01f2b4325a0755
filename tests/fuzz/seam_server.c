/**
 * @file seam_server.c  server.c, unchanged, with its static request handler
 * reachable by the fuzz targets (fuzz.h).
 */

#include "server.c"
#include "fuzz.h"


bool fuzz_server_request(struct sim_registrar *sr, const struct sip_msg *msg)
{
	return request_handler(msg, sr);
}


struct sip *fuzz_server_sip(const struct sim_registrar *sr)
{
	return sr->sip;
}


struct registrar *fuzz_server_registrar(const struct sim_registrar *sr)
{
	return sr->reg;
}
