/**
 * @file ctlclient.h  A blocking client for sim-registrar's control API,
 * for the runner's top level (never from inside an event handler: it runs
 * the libre loop itself until the reply arrives).
 */

#ifndef SIPCONFORM_CTLCLIENT_H
#define SIPCONFORM_CTLCLIENT_H

#include <stddef.h>

struct sa;

/* returns the HTTP status, the body in body; -1 when nothing answered */
int ctlclient_request(const struct sa *addr, const char *met,
		      const char *path, char *body, size_t sz);

#endif
