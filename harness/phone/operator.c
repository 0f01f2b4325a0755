/**
 * @file operator.c  Steps that need a person (session.h): the prompt, the
 * wait for what the person makes the phone do, and the row's verdict.
 */

#include <string.h>
#include <re.h>
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/session.h"

static bool operator_ok(struct pm *pm, const struct pstep *st,
			struct jverdict *v)
{
	if (pm->o.operator_ms)
		return true;

	jverdict_set(v, st->rule, JV_SKIP, "needs a person (no operator: "
		     "stdin is not a terminal, or --operator-timeout 0)");
	return false;
}


static void prompt(struct pm *pm, const char *text)
{
	pm_say(">>> OPERATOR: %s (Enter: skip; %u s)\n", text,
	    (unsigned)(pm->o.operator_ms / 1000));
	pm->enter = false;
}


static bool removal_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < capture_regc(pm->capture); k++) {
		if (capture_reg(pm->capture, k)->removal)
			return true;
	}

	return false;
}


static bool registered_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < capture_regc(pm->capture); k++) {
		const struct jreg *r = capture_reg(pm->capture, k);

		if (r->scode >= 200 && r->scode < 300 && !r->removal &&
		    r->has_contact)
			return true;
	}

	return false;
}


static bool invite_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < capture_reqc(pm->capture); k++) {
		if (!strcmp(capture_req(pm->capture, k)->method, "INVITE"))
			return true;
	}

	return false;
}


static bool refer_seen(struct pm *pm, void *arg)
{
	const struct jcall *c = capture_call(pm->capture, *(size_t *)arg);

	return c && c->phone_refers;
}


/* a person shuts the phone down, then starts it again */
static void shut_down(struct pm *pm, const struct pstep *st,
		      const struct judge_row *row, struct jctx *x,
		      struct jverdict *v)
{
	const char *rule = row->id;
	size_t from = capture_regc(pm->capture);
	bool seen;

	if (!pm_registered(pm)) {
		jverdict_set(v, rule, JV_SKIP, "the phone is not "
			     "registered now");
		return;
	}

	prompt(pm, st->prompt ? st->prompt : "shut the phone down "
	       "(or disable the account) now; press Enter once it "
	       "is off");
	seen = pm_wait(pm, removal_since, &from,
			  pm->o.operator_ms);
	if (!seen && !pm->enter) {
		jverdict_set(v, rule, JV_SKIP, "no shutdown seen "
			     "within %u s",
			     (unsigned)(pm->o.operator_ms / 1000));
		return;
	}
	pm->enter = false;
	if (!seen)
		(void)pm_wait(pm, removal_since, &from, 3000);
	x->from = from;
	judges_run(row, x, v);

	/* more steps: the phone is to be started again; its first
	 * REGISTER is what the next step's reply is for (say a 503) */
	if (pm->next) {
		size_t after = capture_regc(pm->capture);
		uint64_t ms = pm->o.operator_ms > 30000 ?
			pm->o.operator_ms : 30000;

		if (pm->next->has_reply &&
		    !strncmp(pm->next->rule, "P-REG-", 6) &&
		    !pm_arm(pm, pm->next, &pm->prearmed_id)) {
			pm->prearmed = pm->next;
			pm->prearmed_start = after;
		}

		pm_say("    waiting up to %u s for the phone to register "
		    "again\n", (unsigned)(ms / 1000));
		(void)pm_wait(pm, pm->prearmed ? pm_triggered :
				 registered_since, &after, ms);
		pm->enter = false;
	}
}


/* a person dials a number on the phone */
static void dial(struct pm *pm, const struct pstep *st,
		 const struct judge_row *row, struct jctx *x,
		 struct jverdict *v)
{
	const char *rule = row->id;
	size_t from = capture_reqc(pm->capture);

	prompt(pm, st->prompt ? st->prompt : "on the phone, dial "
	       "4155550123 as a user would, then hang up once it is "
	       "answered");
	if (!pm_wait(pm, invite_since, &from, pm->o.operator_ms)) {
		pm->enter = false;
		jverdict_set(v, rule, JV_SKIP, "the phone placed no "
			     "call");
		return;
	}
	pm_pause(pm, 3000);
	x->from = from;
	judges_run(row, x, v);
}


/* a call, and a person presses transfer */
static void transfer(struct pm *pm, const struct pstep *st,
		     const struct judge_row *row, struct jctx *x,
		     struct jverdict *v)
{
	const char *rule = row->id;
	const char *skip = NULL;
	long ci = pm_place_call(pm, st, true, &skip);
	size_t idx;

	if (ci < 0 || pm->call_state != CALL_ANSWERED) {
		if (pm->call_state < CALL_ENDED && pm->sid[0])
			(void)sim_registrar_hangup(pm->sr, pm->sid);
		(void)pm_wait(pm, pm_call_ended, NULL, CALL_END_MS);
		jverdict_set(v, rule, JV_SKIP, "%s", skip ? skip :
			     "the call was not answered");
		return;
	}

	idx = (size_t)ci;
	prompt(pm, st->prompt ? st->prompt : "press transfer on the "
	       "phone and transfer the call to bob (blind transfer)");
	if (pm_wait(pm, refer_seen, &idx, pm->o.operator_ms))
		pm_pause(pm, REFER_WATCH_MS);
	pm->enter = false;

	if (pm->call_state == CALL_ANSWERED)
		(void)sim_registrar_hangup(pm->sr, pm->sid);
	(void)pm_wait(pm, pm_call_ended, NULL, CALL_END_MS);
	x->call = capture_call(pm->capture, idx);
	x->now = tmr_jiffies();
	judges_run(row, x, v);
}


void pm_step_operator(struct pm *pm, const struct pstep *st,
		      const struct judge_row *row, struct jverdict *v)
{
	struct jctx x;

	if (!operator_ok(pm, st, v))
		return;

	jctx_init(&x, pm->capture);

	switch (row->need) {

	case JN_SHUTDOWN: shut_down(pm, st, row, &x, v); break;
	case JN_DIAL:     dial(pm, st, row, &x, v);      break;
	case JN_TRANSFER: transfer(pm, st, row, &x, v);  break;
	default:
		jverdict_set(v, row->id, JV_SKIP, "no judge for this rule in "
			     "an operator step");
		break;
	}
}


