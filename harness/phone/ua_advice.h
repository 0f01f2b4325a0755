/**
 * @file ua_advice.h  Per-UA advice for the configuration guide: for a
 * phone whose User-Agent is known, a FAIL or WARN names that phone's own
 * setting, or says that it has none (rather than advise a setting that
 * does not exist).  Rows: the User-Agent's start, the rule, the advice,
 * and the settings `make phones` (docs/phones.md) lists as what was used.
 */

#ifndef SIPCONFORM_PHONE_UA_ADVICE_H
#define SIPCONFORM_PHONE_UA_ADVICE_H

#include <stddef.h>

struct jverdict;

struct ua_advice {
	const char *ua;      /* the User-Agent starts with this (any case) */
	const char *rule;    /* "P-REG-REFRESH"                            */
	const char *advice;  /* that UA's setting, or "no setting: ..."    */
};

const struct ua_advice *ua_advice_at(size_t i);   /* NULL past the end */
/* the row for the User-Agent and rule; NULL: none */
const struct ua_advice *ua_advice_find(const char *user_agent,
				       const char *rule);
/* a FAIL or WARN of a known UA gets its row's advice */
void ua_advice_apply(const char *user_agent, struct jverdict *v);

#endif
