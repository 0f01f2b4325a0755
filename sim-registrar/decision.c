/**
 * @file decision.c  The one-line decision log
 */

#include <re.h>
#include "decision.h"


int decision_print(struct re_printf *pf, const struct decision *d)
{
	const struct rule *rule;
	const struct sip_msg *msg;

	if (!d || !d->msg)
		return 0;

	rule = rule_get(d->rule);
	msg = d->msg;

	return re_hprintf(pf, "%s %u %r %s%s%r from %J/%s%s%s",
			  rule ? rule->name : "RFC3261", d->scode, &msg->met,
			  d->aor ? d->aor : "", d->aor ? " " : "", &msg->ruri,
			  &msg->src, sip_transp_name(msg->tp),
			  d->detail ? ": " : "", d->detail ? d->detail : "");
}
