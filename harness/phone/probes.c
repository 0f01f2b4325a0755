/**
 * @file probes.c  The harness's own requests to the phone (probes.h).
 */

#include <re.h>
#include "phone/probes.h"


int probe_send(struct sip_request **reqp, struct sip *sip, const char *uri,
	       const char *route, const char *met, const char *user,
	       const char *domain, const char *callid, const char *extra,
	       sip_resp_h *resph, void *arg)
{
	struct uri ru;
	struct pl pl;
	char tag[20];

	/* no Max-Forwards here: libre's request writes one (a second is a
	 * malformed request a strict phone may reject) */
	if (!reqp || !sip || !uri || !met || !user || !domain || !callid)
		return EINVAL;

	if (route) {
		pl_set_str(&pl, route);
		if (uri_decode(&ru, &pl))
			return EINVAL;
	}

	rand_str(tag, sizeof(tag));

	return sip_requestf(reqp, sip, true, met, uri, route ? &ru : NULL,
			    NULL, NULL,
			    resph, arg,
			    "To: <sip:%s@%s>\r\n"
			    "From: <sip:sipconform@%s>;tag=%s\r\n"
			    "Call-ID: %s\r\n"
			    "CSeq: 1 %s\r\n"
			    "%s"
			    "Content-Length: 0\r\n\r\n",
			    user, domain, domain, tag, callid, met,
			    extra ? extra : "");
}
