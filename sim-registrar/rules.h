/**
 * @file rules.h  The rules table: one row per rule ID of
 * docs/rules/registrar.md.  Decisions, logs, scenarios and reports
 * all name rows of this table.  A row's reply (code, reason, X-Twilio-Error)
 * is its default; the profile may override it per rule ID (config.h).
 */

#ifndef SIPCONFORM_RULES_H
#define SIPCONFORM_RULES_H

#include <stdbool.h>
#include <stdint.h>

enum rule_id {
	RULE_REG_DOMAIN_1,
	RULE_REG_DOMAIN_2,
	RULE_REG_DOMAIN_3,
	RULE_REG_AUTH_1,
	RULE_REG_AUTH_2,
	RULE_REG_AUTH_3,
	RULE_REG_AUTH_4,
	RULE_REG_AUTH_5,
	RULE_REG_AUTH_6,
	RULE_REG_EXP_1,
	RULE_REG_EXP_2,
	RULE_REG_EXP_3,
	RULE_REG_EXP_4,
	RULE_REG_DEL_1,
	RULE_REG_DEL_2,
	RULE_REG_DEL_3,
	RULE_REG_ORD_1,
	RULE_REG_OK_1,
	RULE_REG_FETCH_1,
	RULE_REG_LIM_AOR,
	RULE_REG_LIM_RATE,
	RULE_REG_LIM_DOMAIN,
	RULE_REG_LIM_ACCOUNT,
	RULE_REG_CONTACT_1,
	RULE_REG_MSG_1,
	RULE_REG_MSG_2,
	RULE_OPT_1,
	RULE_METH_1,
	RULE_METH_2,
	RULE_REFER_1,
	RULE_REFER_2,
	RULE_CALL_OUT_1,
	RULE_CALL_OUT_2,
	RULE_CALL_OUT_3,
	RULE_CALL_OUT_4,
	RULE_CALL_OUT_5,
	RULE_CALL_OUT_6,
	RULE_RING_1,
	RULE_RING_2,
	RULE_RING_3,
	RULE_RING_4,
	RULE_RING_5,
	RULE_RING_6,
	RULE_RING_7,
	RULE_COUNT
};

struct rule {
	enum rule_id id;
	const char *name;        /* "REG-AUTH-1"                        */
	const char *condition;   /* when the row applies                */
	uint16_t scode;          /* default reply, 0 = no reply of its own */
	const char *reason;      /* default reason phrase               */
	uint32_t twilio_error;   /* X-Twilio-Error code, 0 = none       */
	const char *error_text;  /* text after the code                 */
	const char *basis;       /* S, O, R, C as in the spec           */
	bool profile_choice;     /* a C row: its reply is a profile setting */
};

const struct rule *rule_get(enum rule_id id);
const struct rule *rule_find(const char *name);   /* NULL: no such row */
const struct rule *rule_find_pl(const char *p, size_t len);

#endif
