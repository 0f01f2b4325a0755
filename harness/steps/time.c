/**
 * @file time.c  Step kinds of time: advance (the virtual clock) and wait
 * (real time)
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "vclock.h"
#include "vtimer.h"
#include "reshim/tmrheap.h"
#include "ctlclient.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

static int load_advance(struct loader *ld, const struct ynode *step,
			const struct ynode *v, struct sc_step *st)
{
	(void)step;

	ld->s->pub.needs_clock = true;

	return ld_get_duration(ld, v, "advance", true, &st->ms);
}


static int load_wait(struct loader *ld, const struct ynode *step,
		     const struct ynode *v, struct sc_step *st)
{
	(void)step;

	return ld_get_duration(ld, v, "wait", true, &st->ms);
}


/* ---- runners ------------------------------------------------------------- */

static int run_advance(struct runner *r, const struct sc_step *st)
{
	char path[64], body[256];

	if (!r->sr && r->opts->control) {
		(void)re_snprintf(path, sizeof(path), "/clock/advance?ms=%llu",
				  (unsigned long long)st->ms);
		if (ctlclient_request(r->opts->control, "POST", path, body,
				      sizeof(body)) != 200)
			return rn_set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the control API did not "
					   "advance the target's clock");
	}

	/* a registrar we do not drive: short spans pass in real time */
	if (!r->sr && !r->opts->control) {
		(void)rn_wait_until(r, rn_never, NULL, st->ms);
		return 0;
	}

	vclock_advance(st->ms);
	vtimer_poll();

	/* libre's own timers too: a transaction that times out within the
	 * span does, and Timer K's lingering ones end (20,000 phones' kept
	 * ~65 MB through a refresh storm) */
	tmrheap_advance(st->ms);

	/* one turn of the loop: what came due fires now (expiries, the
	 * first request of each due refresh) */
	(void)rn_wait_until(r, rn_never, NULL, 1);

	return 0;
}




static int run_wait(struct runner *r, const struct sc_step *st)
{
	(void)rn_wait_until(r, rn_never, NULL, st->ms);

	return 0;
}


/* ---- the rows ------------------------------------------------------------ */

const struct step_kind steps_time[] = {
	{"advance", SC_ADVANCE, SK_DURATION, NULL, NULL, 0,
	 load_advance, run_advance, "moves the virtual clock forward: "
	 "bindings lapse, due refreshes fire at once, SIP transactions that "
	 "would have timed out do (milliseconds of wall time)", NULL},
	{"wait", SC_WAIT, SK_DURATION, NULL, NULL, 0,
	 load_wait, run_wait, "real time passes (for the 1-second rate "
	 "window, say)", NULL},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
