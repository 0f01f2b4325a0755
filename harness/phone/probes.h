/**
 * @file probes.h  The harness's own requests to a phone under test
 * (P-METHOD: an unknown method, an unsupported one, an unknown Require),
 * sent through a libre SIP stack (the reference registrar's).
 */

#ifndef SIPCONFORM_PHONE_PROBES_H
#define SIPCONFORM_PHONE_PROBES_H

#include <re.h>

/*
 * Sends `met` to uri, To the AOR user@domain, From sipconform@domain,
 * with the Call-ID callid and the extra header lines (each ending CRLF;
 * "" none).  libre writes the Via and the one Max-Forwards.
 */
int probe_send(struct sip_request **reqp, struct sip *sip, const char *uri,
	       const char *route, const char *met, const char *user,
	       const char *domain, const char *callid, const char *extra,
	       sip_resp_h *resph, void *arg);

#endif
