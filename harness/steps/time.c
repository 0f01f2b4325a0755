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
#include "stream.h"
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

static void media_done(void *arg)
{
	*(bool *)arg = true;
	re_cancel();     /* rn_wait_until() looks again */
}


static bool media_there(struct runner *r, void *arg)
{
	(void)r;

	return *(bool *)arg;
}


/* media_advance() moves the clock, libre's timers and the vtimers */
static int advance_media(struct runner *r, const struct sc_step *st)
{
	bool done = false;
	int err;

	err = media_advance(st->ms, media_done, &done);
	if (err)
		return rn_set_verdict(r, VERDICT_ERROR, st->pos.line, NULL,
				   "could not advance the media: %m", err);

	/* libre's timers move with the clock (tmrheap): the wait spans the
	 * advance itself, plus 30 s for the real time it takes (~0.3 s per
	 * minute of media) */
	if (!rn_wait_until(r, media_there, &done, st->ms + 30000))
		return rn_set_verdict(r, VERDICT_ERROR, st->pos.line, NULL,
				   "the media did not keep up with the clock");

	return 0;
}


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

	/* calls with media: 20 ms a loop turn, every frame sent and read
	 * at its own virtual time (60 s: 3,000 packets each way) */
	if (media_running())
		return advance_media(r, st);

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
