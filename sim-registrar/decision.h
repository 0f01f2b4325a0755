/**
 * @file decision.h  One decision of the registrar: which rule answered a
 * request, and how.  Logged on one line; the harness collects them.
 *
 * A call (calls.h) decides things no request asked for (a call from the
 * simulated outside network rings nobody: RING-3; the Dial timeout runs
 * out: RING-5): such a decision has no msg, but the call's SID in `call`,
 * and `aor` says "from -> to".  `call` is read only when msg is NULL.
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
	const struct sip_msg *msg;/* the request; NULL: a call's own       */
	const char *call;         /* the call's SID when msg is NULL      */
};

typedef void (decision_h)(const struct decision *d, void *arg);

/*
 * `REG-AUTH-1 407 REGISTER alice@example... from 127.0.0.1:5062/UDP: ...`
 * `RING-5 480 call CA0f... +14155550100 -> +14155550199: no answer in 30 s`
 * A status of 0 (a decision that sends no reply) prints as `-`.
 */
int decision_print(struct re_printf *pf, const struct decision *d);

#endif
