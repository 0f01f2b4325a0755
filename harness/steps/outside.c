/**
 * @file outside.c  Step kinds of calls from the outside network: dial,
 * dial_hangup, expect_dial (the in-process registrar places the call, as
 * the service's REST API would)
 */

#include <errno.h>
#include <regex.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "rules.h"
#include "sim_registrar.h"
#include "calls.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

static int load_dial(struct loader *ld, const struct ynode *step,
		     const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;
	(void)step;

	ld->s->pub.needs_calls = true;

	x = ld_arg(ld, v, "from");
	if (x && ld_dup_text(ld, x, "from", &st->from))
		err = EINVAL;

	x = ld_arg(ld, v, "to");
	if (x && ld_dup_text(ld, x, "to", &st->to))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


static int load_dial_hangup(struct loader *ld, const struct ynode *step,
			    const struct ynode *v, struct sc_step *st)
{
	(void)step;
	(void)v;
	(void)st;

	ld->s->pub.needs_calls = true;

	return 0;
}


static const char *const dial_states[] = {"ringing", "answered", "ended",
					  NULL};


static int load_expect_dial(struct loader *ld, const struct ynode *step,
			    const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	uint32_t u;
	int i, err = 0;
	(void)step;

	ld->s->pub.needs_calls = true;
	st->branches = st->cancels = -1;
	st->has_expect = true;

	x = ld_arg(ld, v, "state");
	if (x) {
		if (ld_get_enum(ld, x, "state", dial_states, &i))
			err = EINVAL;
		else
			st->dial_state = i + 1;
	}

	x = ld_arg(ld, v, "status");
	if (x) {
		if (ld_get_u32_range(ld, x, "status", 100, 699, &u))
			err = EINVAL;
		else
			st->expect.status = (uint16_t)u;
	}

	x = ld_arg(ld, v, "rule");
	if (x) {
		const char *id;
		if (ynode_str(ld->doc, x, &id))
			err = EINVAL;
		else if (!rule_find(id))
			err = ydoc_errorf(ld->doc, x, "unknown rule ID '%s'",
					  id);
		else if (ld_nomem(ld, str_dup(&st->expect.rule, id)))
			return ENOMEM;
	}

	x = ld_arg(ld, v, "answered_by");
	if (x && ld_dup_regex(ld, x, "answered_by", &st->answered_by))
		err = EINVAL;

	x = ld_arg(ld, v, "branches");
	if (x) {
		if (ld_get_u32_range(ld, x, "branches", 0, 1000, &u))
			err = EINVAL;
		else
			st->branches = u;
	}

	x = ld_arg(ld, v, "cancels");
	if (x) {
		if (ld_get_u32_range(ld, x, "cancels", 0, 1000, &u))
			err = EINVAL;
		else
			st->cancels = u;
	}

	if (ld_arg_within(ld, v, st))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* ---- runners ------------------------------------------------------------- */

static bool dial_reached(struct runner *r, void *arg)
{
	const struct sc_step *st = arg;
	struct call_info ci;

	if (sim_registrar_call_info(r->sr, r->dial_sid, &ci))
		return true;              /* forgotten: nothing to wait for */

	if (ci.state == CALL_ENDED)
		return true;

	switch (st->dial_state) {

	case 1:  return ci.state >= CALL_RINGING;
	case 2:  return ci.state >= CALL_ANSWERED;
	case 3:  return false;
	default: return ci.state >= CALL_ANSWERED;
	}
}


/* the call's rule when the step names none: the scenario's */
static const char *dial_rule(const struct runner *r, const struct sc_step *st)
{
	return st->expect.rule ? st->expect.rule :
		(r->sc->rulec ? r->sc->rulev[0] : NULL);
}


static int run_dial(struct runner *r, const struct sc_step *st)
{
	int err;

	err = sim_registrar_call(r->sr, st->from, st->to, NULL, NULL,
				 r->dial_sid, sizeof(r->dial_sid));
	if (err)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				      dial_rule(r, st), "could not dial %s "
				      "from %s: %m", st->to, st->from, err);

	return 0;
}


static int run_dial_hangup(struct runner *r, const struct sc_step *st)
{
	int err;

	err = sim_registrar_hangup(r->sr, r->dial_sid);
	if (err)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				      dial_rule(r, st), "the outside caller "
				      "could not hang up: %m", err);

	(void)rn_wait_until(r, rn_never, NULL, 1);

	return 0;
}


static int run_expect_dial(struct runner *r, const struct sc_step *st)
{
	static const enum call_state states[] = {CALL_TRYING, CALL_RINGING,
						 CALL_ANSWERED, CALL_ENDED};
	unsigned line = st->pos.line;
	const char *rule = dial_rule(r, st);
	struct call_info ci;
	char got[256];

	if (!r->dial_sid[0])
		return rn_set_verdict(r, VERDICT_FAIL, line, NULL, "expect_dial "
				   "before any dial");

	(void)rn_wait_until(r, dial_reached, (void *)st, st->within_ms);

	if (sim_registrar_call_info(r->sr, r->dial_sid, &ci))
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call "
				   "%s is not known", r->dial_sid);

	(void)re_snprintf(got, sizeof(got), "%s, status %u%s%s%s%s, %u "
			  "branch(es), %u CANCEL(s)%s%s",
			  call_state_name(ci.state), ci.scode,
			  ci.rule && ci.rule[0] ? " (" : "",
			  ci.rule ? ci.rule : "",
			  ci.rule && ci.rule[0] ? ")" : "",
			  ci.answered_by ? ci.answered_by : "",
			  ci.branches, ci.cancels,
			  ci.ended_by ? ", ended by " : "",
			  ci.ended_by ? ci.ended_by : "");

	if (st->dial_state && ci.state != states[st->dial_state])
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %s, got %s",
				   call_state_name(states[st->dial_state]),
				   got);

	if (st->expect.status && ci.scode != st->expect.status)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected status %u, got %s",
				   st->expect.status, got);

	if (st->expect.rule && (!ci.rule || strcmp(ci.rule, st->expect.rule)))
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected the registrar to decide by %s, "
				   "got %s", st->expect.rule, got);

	if (st->answered_by) {
		regex_t re;
		bool hit;

		if (regcomp(&re, st->answered_by, REG_EXTENDED | REG_NOSUB))
			return rn_set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad answered_by regex");
		hit = ci.answered_by &&
			!regexec(&re, ci.answered_by, 0, NULL, 0);
		regfree(&re);
		if (!hit)
			return rn_set_verdict(r, VERDICT_FAIL, line, rule,
					   "the call: expected an answer by "
					   "/%s/, got %s", st->answered_by,
					   got);
	}

	if (st->branches >= 0 && ci.branches != st->branches)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld branch(es), got %s",
				   (long long)st->branches, got);

	if (st->cancels >= 0 && ci.cancels != st->cancels)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld CANCEL(s), got %s",
				   (long long)st->cancels, got);

	return 0;
}




/* ---- the rows ------------------------------------------------------------ */

static const struct step_key dial_keys[] = {
	{"from", SK_TEXT, SKF_REQUIRED, NULL, NULL, "the caller's number"},
	{"to", SK_TEXT, SKF_REQUIRED, NULL, NULL, "one of the account's "
	 "numbers"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key none_keys[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key expect_dial_keys[] = {
	{"state", SK_ENUM, 0, dial_states, NULL, "wait for the call to reach "
	 "it (default: answered or ended)"},
	{"status", SK_STATUS, 0, NULL, NULL, "its final status"},
	{"rule", SK_RULE, 0, NULL, NULL, "the rule the registrar decided by"},
	{"answered_by", SK_REGEX, 0, NULL, NULL, "who answered"},
	{"branches", SK_UINT, 0, NULL, NULL, "INVITE branches sent"},
	{"cancels", SK_UINT, 0, NULL, NULL, "CANCELs sent"},
	{"within", SK_DURATION, 0, NULL, NULL, "how long to wait (default "
	 "5s)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_kind steps_outside[] = {
	{"dial", SC_DIAL, SK_NONE, NULL, dial_keys, 0, load_dial, run_dial,
	 "an outside caller dials one of the account's numbers", NULL},
	{"dial_hangup", SC_DIAL_HANGUP, SK_ANY, NULL, none_keys, 0,
	 load_dial_hangup, run_dial_hangup, "the outside caller hangs up "
	 "(while ringing: CANCEL to every branch)", NULL},
	{"expect_dial", SC_EXPECT_DIAL, SK_NONE, NULL, expect_dial_keys, 0,
	 load_expect_dial, run_expect_dial, "waits for the call to reach "
	 "`state`, then checks its final status, the rule the registrar "
	 "decided by, who answered, the INVITE branches sent and the "
	 "CANCELs", "the call"},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
