/**
 * @file rules.c  The rules table (docs/rules/registrar.md; tests/docs/check_rules.py
 *                    holds the two to each other)
 */

#include <string.h>
#include <strings.h>
#include "rules.h"

#define ROW(ID, NAME, COND, CODE, REASON, ERR, ERRTXT, BASIS, C) \
	[ID] = {ID, NAME, COND, CODE, REASON, ERR, ERRTXT, BASIS, C}

static const struct rule rules[RULE_COUNT] = {
ROW(RULE_REG_DOMAIN_1, "REG-DOMAIN-1",
    "Request-URI host is not a served domain, or names another region",
    404, "Not Found", 0, NULL, "S/C", true),
ROW(RULE_REG_DOMAIN_2, "REG-DOMAIN-2",
    "domain served but registration switched off",
    403, "Forbidden", 32210, "Registration is disabled for this SIP domain",
    "C", true),
ROW(RULE_REG_DOMAIN_3, "REG-DOMAIN-3",
    "registration on, no credential list mapped for registration",
    403, "Forbidden", 32212,
    "No credential list is mapped for registration on this SIP domain",
    "C", true),
ROW(RULE_REG_AUTH_1, "REG-AUTH-1",
    "no credentials, or credentials for another realm",
    407, "Proxy Authentication Required", 0, NULL, "O/R", true),
ROW(RULE_REG_AUTH_2, "REG-AUTH-2",
    "unknown username, wrong password or malformed digest",
    403, "Forbidden", 32202, "Authentication failure - bad user credentials",
    "O", false),
ROW(RULE_REG_AUTH_3, "REG-AUTH-3",
    "digest username differs from the user part of To (the AOR)",
    403, "Forbidden", 32106,
    "Authentication username does not match the address of record",
    "S/C", true),
ROW(RULE_REG_AUTH_4, "REG-AUTH-4",
    "nonce expired but digest otherwise right",
    407, "Proxy Authentication Required", 0, NULL, "R", false),
ROW(RULE_REG_AUTH_5, "REG-AUTH-5",
    "nonce reused with an nc not above the last one seen (replay)",
    407, "Proxy Authentication Required", 0, NULL, "R", false),
ROW(RULE_REG_AUTH_6, "REG-AUTH-6",
    "credentials sent in Authorization instead of Proxy-Authorization",
    0, NULL, 0, NULL, "C", true),
ROW(RULE_REG_EXP_1, "REG-EXP-1",
    "1 <= requested expiry <= maximum: granted as asked",
    200, "OK", 0, NULL, "S", false),
ROW(RULE_REG_EXP_2, "REG-EXP-2",
    "requested expiry above the maximum, or none: granted the maximum",
    200, "OK", 0, NULL, "S/O", false),
ROW(RULE_REG_EXP_3, "REG-EXP-3",
    "requested expiry below the configured minimum",
    423, "Interval Too Brief", 0, NULL, "R/C", true),
ROW(RULE_REG_EXP_4, "REG-EXP-4",
    "a binding not refreshed before its granted expiry is gone",
    0, NULL, 0, NULL, "S/R", false),
ROW(RULE_REG_DEL_1, "REG-DEL-1",
    "a contact with expiry 0 removes that binding",
    200, "OK", 0, NULL, "R", false),
ROW(RULE_REG_DEL_2, "REG-DEL-2",
    "Contact: * with Expires: 0, alone, removes every binding of the AOR",
    200, "OK", 0, NULL, "R", false),
ROW(RULE_REG_DEL_3, "REG-DEL-3",
    "* with other contacts, or with a non-zero or missing Expires",
    400, "Bad Request", 0, NULL, "R", false),
ROW(RULE_REG_ORD_1, "REG-ORD-1",
    "same Call-ID and CSeq not above the stored one",
    500, "Server Internal Error (out of order)", 0, NULL, "R/C", true),
ROW(RULE_REG_OK_1, "REG-OK-1",
    "every 2xx lists every current binding with its remaining expiry",
    200, "OK", 0, NULL, "R/O", false),
ROW(RULE_REG_FETCH_1, "REG-FETCH-1",
    "REGISTER without Contact: the bindings are listed, none refreshed",
    200, "OK", 0, NULL, "R", false),
ROW(RULE_REG_LIM_AOR, "REG-LIM-AOR",
    "a new binding would exceed the contacts allowed per AOR",
    403, "Forbidden", 32007,
    "Registration limit reached for this address of record", "S/C", true),
ROW(RULE_REG_LIM_RATE, "REG-LIM-RATE",
    "more REGISTER for one AOR within one second than allowed",
    503, "Service Unavailable", 32008,
    "Too many REGISTER requests for this address of record", "S/C", true),
ROW(RULE_REG_LIM_DOMAIN, "REG-LIM-DOMAIN",
    "a new binding would exceed the registrations allowed per domain",
    403, "Forbidden (domain registration limit reached)", 0, NULL,
    "S/C", true),
ROW(RULE_REG_LIM_ACCOUNT, "REG-LIM-ACCOUNT",
    "a new binding would exceed the registrations allowed per account",
    403, "Forbidden (account registration limit reached)", 0, NULL,
    "S/C", true),
ROW(RULE_REG_CONTACT_1, "REG-CONTACT-1",
    "contact host is 127.0.0.1 or localhost and the profile rejects it",
    403, "Forbidden", 32105, "Contact address is not reachable", "C", true),
ROW(RULE_REG_MSG_1, "REG-MSG-1",
    "Require names an option tag the registrar does not support",
    420, "Bad Extension", 0, NULL, "R", false),
ROW(RULE_REG_MSG_2, "REG-MSG-2",
    "malformed request; a SIP version other than 2.0 gets 505",
    400, "Bad Request", 0, NULL, "R", false),
ROW(RULE_OPT_1, "OPT-1",
    "OPTIONS to a served domain is answered without a challenge",
    200, "OK", 0, NULL, "O", false),
ROW(RULE_METH_1, "METH-1",
    "MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, INFO outside a dialog",
    405, "Method Not Allowed", 0, NULL, "R", false),
ROW(RULE_METH_2, "METH-2",
    "a method the registrar does not know",
    501, "Not Implemented", 0, NULL, "R", false),
ROW(RULE_REFER_1, "REFER-1",
    "REFER inside a call is rejected; the call goes on",
    405, "Method Not Allowed", 0, NULL, "S/R/C", true),
ROW(RULE_REFER_2, "REFER-2",
    "REFER outside any dialog (481 when it names a dialog)",
    405, "Method Not Allowed", 0, NULL, "R", false),
ROW(RULE_CALL_OUT_1, "CALL-OUT-1", "INVITE without credentials",
    407, "Proxy Authentication Required", 0, NULL, "O", false),
ROW(RULE_CALL_OUT_2, "CALL-OUT-2",
    "bad credentials, or no call authentication mapped",
    403, "Forbidden", 32202, "Authentication failure - bad user credentials",
    "O/S", false),
ROW(RULE_CALL_OUT_3, "CALL-OUT-3",
    "authenticated INVITE runs the domain's voice application",
    200, "OK", 0, NULL, "S", false),
ROW(RULE_CALL_OUT_4, "CALL-OUT-4",
    "{{#e164}} normalises the To user part to E.164, or the call fails",
    484, "Address Incomplete", 13223, "Dial: Invalid phone number format",
    "S/C", true),
ROW(RULE_CALL_OUT_5, "CALL-OUT-5",
    "Dial callerId must be a verified number or a number of the account",
    403, "Forbidden", 13214, "Dial: Invalid callerId value", "S/C", true),
ROW(RULE_CALL_OUT_6, "CALL-OUT-6",
    "a dialled number reaches the simulated outside network",
    0, NULL, 0, NULL, "C", true),
ROW(RULE_RING_1, "RING-1",
    "every binding of the AOR is rung at once",
    0, NULL, 0, NULL, "S", false),
ROW(RULE_RING_2, "RING-2",
    "the first 2xx wins; other branches get CANCEL with Reason",
    0, NULL, 0, NULL, "S/R", false),
ROW(RULE_RING_3, "RING-3", "AOR with no bindings: no INVITE, no-answer",
    480, "Temporarily Unavailable", 32009, "No registered endpoints",
    "O", false),
ROW(RULE_RING_4, "RING-4",
    "all branches fail: best final response (RFC 3261 16.7)",
    0, NULL, 0, NULL, "R", false),
ROW(RULE_RING_5, "RING-5",
    "nobody answers within the Dial timeout: every branch CANCELled",
    0, NULL, 0, NULL, "S/C", true),
ROW(RULE_RING_6, "RING-6", "caller hangs up while ringing: CANCEL each",
    0, NULL, 0, NULL, "R", false),
ROW(RULE_RING_7, "RING-7", "a 3xx answer is a failure, not followed",
    0, NULL, 32219, "Redirect responses are not followed", "O", false),
ROW(RULE_MEDIA_SDP_1, "MEDIA-SDP-1",
    "offer/answer: PCMU, PCMA, telephone-event 101, ptime 20, our c=; "
    "malformed SDP is refused (400 with a Warning naming the line)",
    0, NULL, 0, NULL, "O/C", false),
ROW(RULE_MEDIA_SDP_2, "MEDIA-SDP-2",
    "an offer or answer without PCMU or PCMA: 488 to an INVITE, "
    "ACK then BYE to a branch's 2xx",
    488, "Not Acceptable Here", 0, NULL, "R/C", false),
ROW(RULE_MEDIA_SDP_3, "MEDIA-SDP-3",
    "INVITE without SDP: our offer in the 2xx, the answer in the ACK, "
    "else BYE",
    0, NULL, 0, NULL, "R", false),
ROW(RULE_MEDIA_RTP_1, "MEDIA-RTP-1",
    "an answered leg gets RTP every ptime until the BYE",
    0, NULL, 0, NULL, "R", false),
ROW(RULE_MEDIA_RTP_2, "MEDIA-RTP-2",
    "RTP from elsewhere than the SDP names: sent there (latching)",
    0, NULL, 0, NULL, "C", false),
ROW(RULE_MEDIA_RTP_3, "MEDIA-RTP-3",
    "no RTP within 2 s of the ACK or a resume: one-way audio; BYE after "
    "media_timeout seconds of silence when set",
    0, NULL, 0, NULL, "C", true),
ROW(RULE_MEDIA_HOLD_1, "MEDIA-HOLD-1",
    "re-INVITE sendonly/inactive/c=0.0.0.0: answered recvonly/inactive, "
    "sending stops until sendrecv",
    0, NULL, 0, NULL, "R", false),
ROW(RULE_MEDIA_DTMF_1, "MEDIA-DTMF-1",
    "RFC 4733 events (and in-band tones) are digits for <Gather>",
    0, NULL, 0, NULL, "R/C", false),
ROW(RULE_MEDIA_SRTP_1, "MEDIA-SRTP-1",
    "SDES SRTP over TLS only: secure media on needs RTP/SAVP + a=crypto "
    "(else 488); off: an RTP/SAVP-only offer gets 488",
    488, "Not Acceptable Here", 0, NULL, "S/C", true),
};


const struct rule *rule_get(enum rule_id id)
{
	if ((unsigned)id >= RULE_COUNT)
		return NULL;

	return &rules[id];
}


const struct rule *rule_find_pl(const char *p, size_t len)
{
	if (!p)
		return NULL;

	for (unsigned i = 0; i < RULE_COUNT; i++) {
		if (strlen(rules[i].name) == len &&
		    !strncasecmp(rules[i].name, p, len))
			return &rules[i];
	}

	return NULL;
}


const struct rule *rule_find(const char *name)
{
	return name ? rule_find_pl(name, strlen(name)) : NULL;
}
