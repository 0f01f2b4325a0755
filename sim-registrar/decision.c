/**
 * @file decision.c  The one-line decision log
 */

#include <re.h>
#include "decision.h"


int decision_print(struct re_printf *pf, const struct decision *d)
{
	const struct rule *rule;
	const struct sip_msg *msg;
	char code[8];

	if (!d)
		return 0;

	rule = rule_get(d->rule);
	msg = d->msg;

	if (d->scode)
		(void)re_snprintf(code, sizeof(code), "%u", d->scode);
	else
		(void)re_snprintf(code, sizeof(code), "-");

	if (!msg)
		return re_hprintf(pf, "%s %s call %s%s%s%s%s",
				  rule ? rule->name : "RFC3261", code,
				  d->call ? d->call : "?", d->aor ? " " : "",
				  d->aor ? d->aor : "", d->detail ? ": " : "",
				  d->detail ? d->detail : "");

	return re_hprintf(pf, "%s %s %r %s%s%r from %J/%s%s%s",
			  rule ? rule->name : "RFC3261", code, &msg->met,
			  d->aor ? d->aor : "", d->aor ? " " : "", &msg->ruri,
			  &msg->src, sip_transp_name(msg->tp),
			  d->detail ? ": " : "", d->detail ? d->detail : "");
}
