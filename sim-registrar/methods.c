/**
 * @file methods.c  OPTIONS (OPT-1), refused methods (METH-1, METH-2) and
 * REFER outside a dialog (REFER-2, R-REF-04).  INVITE, and ACK, BYE,
 * REFER in a call, go to calls.c first (server.c); what it leaves comes
 * here: a BYE or REFER naming no call, an ACK of nothing.
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "registrar.h"
#include "methods.h"

#define ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\n"

/* known to SIP, refused outside a dialog with 405 (METH-1) */
static const char *const refused[] = {
	"MESSAGE", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "UPDATE",
	"PRACK", NULL
};


static int reply_allow(struct registrar *r, const struct sip_msg *msg,
		       enum rule_id id, uint16_t scode, const char *reason,
		       const char *detail, const char *extra)
{
	struct mbuf *mb = mbuf_alloc(128);
	int err;

	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, ALLOW "%s", extra ? extra : "");
	if (!err)
		err = registrar_reply(r, msg, id, scode, reason, NULL, detail,
				      mb);

	mem_deref(mb);

	return err;
}


static bool is_own_address(const struct sip_msg *msg)
{
	struct sa a;

	/* OPTIONS pings often name the registrar's IP, not a domain */
	return 0 == sa_set(&a, &msg->uri.host, 0);
}


bool methods_handle(struct registrar *r, const struct reg_config *cfg,
		    const struct sip_msg *msg)
{
	if (!pl_strcmp(&msg->met, "ACK"))
		return true;            /* nothing answers an ACK */

	/* a CANCEL matching no transaction: the stack answers 481 */
	if (!pl_strcmp(&msg->met, "CANCEL"))
		return false;

	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		if (!reg_config_domain(cfg, msg->uri.host.p, msg->uri.host.l) &&
		    !is_own_address(msg)) {
			registrar_reply(r, msg, RULE_REG_DOMAIN_1, 0, NULL,
					NULL, "OPTIONS to a domain not served",
					NULL);
			return true;
		}

		reply_allow(r, msg, RULE_OPT_1, 0, NULL, "no challenge",
			    "Accept: application/sdp\r\n");
		return true;
	}

	if (!pl_strcmp(&msg->met, "REFER")) {
		uint32_t n = sip_msg_hdr_count(msg, SIP_HDR_REFER_TO);

		if (n != 1) {
			registrar_reply(r, msg, RULE_REG_MSG_2, 0, NULL, NULL,
					n ? "several Refer-To" : "no Refer-To",
					NULL);
			return true;
		}

		if (pl_isset(&msg->to.tag)) {
			reply_allow(r, msg, RULE_REFER_2, 481,
				    "Call/Transaction Does Not Exist",
				    "REFER names a dialog that does not exist",
				    NULL);
			return true;
		}

		reply_allow(r, msg, RULE_REFER_2, 0, NULL,
			    "REFER outside a dialog", NULL);
		return true;
	}

	/* calls.c answers every INVITE first; this is only reached by a
	 * registrar built without it */
	if (!pl_strcmp(&msg->met, "INVITE")) {
		registrar_reply(r, msg, RULE_COUNT, 480,
				"Temporarily Unavailable", NULL,
				"no call handling", NULL);
		return true;
	}

	if (!pl_strcmp(&msg->met, "BYE")) {
		registrar_reply(r, msg, RULE_COUNT, 481,
				"Call/Transaction Does Not Exist", NULL,
				"BYE outside a dialog", NULL);
		return true;
	}

	for (size_t i = 0; refused[i]; i++) {
		if (!pl_strcmp(&msg->met, refused[i])) {
			reply_allow(r, msg, RULE_METH_1, 0, NULL,
				    "refused outside a dialog", NULL);
			return true;
		}
	}

	registrar_reply(r, msg, RULE_METH_2, 0, NULL, NULL, "unknown method",
			NULL);

	return true;
}
