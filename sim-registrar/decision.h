/**
 * @file decision.h  One decision of the registrar: which rule answered a
 * request, and how.  Logged on one line; the harness collects them.
 */

#ifndef SIPCONFORM_DECISION_H
#define SIPCONFORM_DECISION_H

#include <stdint.h>
#include "rules.h"

struct sip_msg;
struct re_printf;

struct decision {
	enum rule_id rule;
	uint16_t scode;
	const char *reason;
	const char *aor;          /* may be NULL                          */
	const char *detail;       /* why, in a few words; may be NULL     */
	const struct sip_msg *msg;/* the request                          */
};

typedef void (decision_h)(const struct decision *d, void *arg);

/* `REG-AUTH-1 407 REGISTER alice@example... from 127.0.0.1:5062/UDP: ...` */
int decision_print(struct re_printf *pf, const struct decision *d);

#endif
