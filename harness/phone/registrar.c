/**
 * @file registrar.c  The registrar's side of the registration steps
 * (session.h): a step's reply armed on the reference registrar's actions
 * (actions.h), the wait for the REGISTER it answers, and the row's verdict
 * on what came.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "location.h"
#include "actions.h"
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/session.h"



bool pm_first_ok(struct pm *pm, void *arg)
{
	(void)arg;

	return capture_first_ok(pm->capture) != NULL;
}


/* an authenticated REGISTER at index >= *start got its final response */
long pm_trigger_index(struct pm *pm, size_t start)
{
	for (size_t k = start; k < capture_regc(pm->capture); k++) {
		const struct jreg *r = capture_reg(pm->capture, k);

		if (r->creds && r->scode && r->has_contact && !r->removal)
			return (long)k;
	}

	return -1;
}


bool pm_triggered(struct pm *pm, void *arg)
{
	return pm_trigger_index(pm, *(size_t *)arg) >= 0;
}


/* the latest REGISTER before index `before` that matches */
static long last_with(struct pm *pm, size_t before, uint16_t scode,
		      bool stale)
{
	for (size_t k = before; k-- > 0;) {
		const struct jreg *r = capture_reg(pm->capture, k);

		if (stale ? r->stale : r->scode == scode)
			return (long)k;
	}

	return -1;
}


static long first_with(struct pm *pm, size_t from, uint16_t scode)
{
	for (size_t k = from; k < capture_regc(pm->capture); k++) {
		if (capture_reg(pm->capture, k)->scode == scode)
			return (long)k;
	}

	return -1;
}


/* seconds the last 2xx granted (the cap when none yet) */
static uint32_t last_granted(struct pm *pm)
{
	long ok = capture_last_ok(pm->capture, capture_regc(pm->capture));
	const struct jreg *r = capture_reg(pm->capture, ok >= 0 ? (size_t)ok :
					 SIZE_MAX);

	return r && r->granted > 0 ? (uint32_t)r->granted : pm->cap;
}


bool pm_registered(struct pm *pm)
{
	char aor[300];

	(void)re_snprintf(aor, sizeof(aor), "%s@%s", pm->o.user,
			  pm->o.domain);
	for (char *p = aor; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	location_purge(sim_registrar_location(pm->sr));

	return location_count_aor(sim_registrar_location(pm->sr), aor) > 0;
}


int pm_arm(struct pm *pm, const struct pstep *st, uint32_t *idp)
{
	struct reg_action a;
	const struct jreg *first = capture_first_ok(pm->capture);

	memset(&a, 0, sizeof(a));
	(void)re_snprintf(a.aor, sizeof(a.aor), "%s@%s", pm->o.user,
			  pm->o.domain);
	a.count = 1;

	if (st->stale) {
		a.type = REG_ACTION_STALE;
	}
	else if (st->code) {
		a.type = REG_ACTION_REPLY;
		a.code = st->code;
		a.value = st->code == 423 ? st->min_expires :
			st->code == 503 ? st->retry_after : 0;
		/* a 423 asks for more than the phone asked */
		if (st->code == 423 && first && first->asked >= 0 &&
		    a.value <= (uint32_t)first->asked)
			a.value = (uint32_t)first->asked * 2;
		if (st->code == 403)
			a.count = 0;        /* every attempt in the window */
	}
	else if (st->hold_ms) {
		a.type = REG_ACTION_HOLD;
		a.value = (uint32_t)st->hold_ms;
	}
	else if (st->grant || st->grant_half) {
		uint32_t base = pm->cap;

		if (first && first->asked > 0 &&
		    (uint32_t)first->asked < base)
			base = (uint32_t)first->asked;
		a.type = REG_ACTION_GRANT;
		a.value = st->grant_half ? base / 2 : st->grant;
		if (a.value < 10)
			a.value = 10;
	}
	else
		return 0;

	return reg_actions_add(pm->ra, &a, idp);
}


void pm_disarm(struct pm *pm, uint32_t id)
{
	if (id)
		(void)reg_actions_remove(pm->ra, id);
}


/* ------------------------------------------------------- registration */



struct after {
	long i;
	uint64_t until;
};


/* a REGISTER after the final response of index i got its own final */
static bool answered_after(struct pm *pm, void *arg)
{
	const struct after *a = arg;
	const struct jreg *r = capture_reg(pm->capture, (size_t)a->i);

	for (size_t k = (size_t)a->i + 1; r && k < capture_regc(pm->capture);
	     k++) {
		const struct jreg *n = capture_reg(pm->capture, k);

		if (n->t >= r->final_t && n->scode)
			return true;
	}

	return false;
}


struct tries {
	long i;
	unsigned max;
};


static bool many_tries(struct pm *pm, void *arg)
{
	const struct tries *t = arg;
	const struct jreg *r = capture_reg(pm->capture, (size_t)t->i);
	unsigned n = 0;

	for (size_t k = (size_t)t->i + 1; r && k < capture_regc(pm->capture);
	     k++) {
		const struct jreg *q = capture_reg(pm->capture, k);

		if (q->t >= r->final_t && q->scode != 401 && q->scode != 407)
			n++;
	}

	return n >= t->max;
}


/* 503 + Retry-After: watch for the retry (the next step's reply armed
 * for it) */
static void retry_after(struct pm *pm, const struct pstep *st,
			const struct judge_row *row, size_t start,
			struct jctx *x)
{
	struct after a;
	uint64_t window;

	a.i = first_with(pm, start, row->answer);

	/* the retry is what the next step's reply is for (say a 403):
	 * arm it now, so that the retry after Retry-After gets it */
	if (a.i >= 0 && pm->next && pm->next->has_reply &&
	    !strncmp(pm->next->rule, "P-REG-", 6)) {
		pm->prearmed_start = capture_regc(pm->capture);
		if (!pm_arm(pm, pm->next, &pm->prearmed_id))
			pm->prearmed = pm->next;
	}

	x->i = a.i;
	if (a.i < 0)
		return;

	window = (uint64_t)capture_reg(pm->capture, (size_t)a.i)->
		retry_after * 1000 + (st->window_ms ? st->window_ms : 30000);
	pm_say("    503 sent; watching %u s for the retry\n",
	       (unsigned)(window / 1000));
	(void)pm_wait(pm, answered_after, &a, window);
}


/* 403 to every attempt: count them for the window */
static void refused(struct pm *pm, const struct pstep *st,
		    const struct judge_row *row, size_t start,
		    struct jctx *x)
{
	struct tries t;

	x->window_ms = st->window_ms ? st->window_ms : 60000;
	t.i = first_with(pm, start, row->answer);
	x->i = t.i;
	if (t.i < 0)
		return;

	t.max = 4;
	pm_say("    403 sent; counting the retries for %u s\n",
	       (unsigned)(x->window_ms / 1000));
	(void)pm_wait(pm, many_tries, &t, x->window_ms);
	x->now = capture_reg(pm->capture, (size_t)t.i)->final_t +
		x->window_ms;
}


void pm_step_register(struct pm *pm, const struct pstep *st,
		      const struct judge_row *row, struct jverdict *v)
{
	size_t start = capture_regc(pm->capture);
	uint64_t within = st->within_ms;
	uint32_t id = 0;
	struct jctx x;
	int err;

	jctx_init(&x, pm->capture);
	x.now = 0;               /* when judged, after the wait */

	if (!within) {
		if (row->need == JN_RETRY)
			within = QUICK_MS;
		else
			within = (uint64_t)last_granted(pm) * 1000 + 15000 +
				st->hold_ms;
	}

	/* the previous step may have armed this one's reply already */
	if (pm->prearmed == st) {
		start = pm->prearmed_start;
		id = pm->prearmed_id;
		err = 0;
		pm->prearmed = NULL;
	}
	else
		err = pm_arm(pm, st, &id);

	x.ok = capture_last_ok(pm->capture, start);

	if (err) {
		jverdict_set(v, row->id, JV_SKIP, "could not arm the "
			     "registrar: %m", err);
		return;
	}

	(void)pm_wait(pm, pm_triggered, &start, within);

	switch (row->need) {

	case JN_REFRESH:
		if (start < capture_regc(pm->capture))
			x.next = (long)start;
		break;

	case JN_RETRY:
		x.i = last_with(pm, start, row->answer, row->answer == 407);
		break;

	case JN_HELD:
		pm_disarm(pm, id);
		id = 0;
		pm_pause(pm, 1000);      /* a late second REGISTER */
		x.from = start;
		x.to = capture_regc(pm->capture);
		break;

	case JN_RETRY_AFTER:
		pm_disarm(pm, id);
		id = 0;
		retry_after(pm, st, row, start, &x);
		break;

	case JN_REFUSED:
		refused(pm, st, row, start, &x);
		break;

	default:
		pm_disarm(pm, id);
		jverdict_set(v, row->id, JV_SKIP, "no judge for this rule in "
			     "a registration step");
		return;
	}

	pm_disarm(pm, id);
	x.now = x.now ? x.now : tmr_jiffies();
	judges_run(row, &x, v);
}
