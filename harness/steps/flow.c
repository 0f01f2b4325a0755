/**
 * @file flow.c  Step kinds of flow: parallel (steps run together) and
 * repeat (steps over again)
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

static int load_parallel(struct loader *ld, const struct ynode *step,
			 const struct ynode *v, struct sc_step *st)
{
	(void)step;

	return ld_steps(ld, v, "parallel", &st->stepv, &st->stepc);
}


static int load_repeat(struct loader *ld, const struct ynode *step,
		       const struct ynode *n, struct sc_step *st)
{
	const struct ynode *v;
	int err = 0;
	(void)step;

	v = ld_arg(ld, n, "count");
	if (v && ld_get_u32_range(ld, v, "repeat count", 1, SC_MAX_REPEAT,
				  &st->count))
		err = EINVAL;

	v = ld_arg(ld, n, "steps");
	if (v && ld_steps(ld, v, "repeat steps", &st->stepv, &st->stepc))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* ---- runners ------------------------------------------------------------- */

static bool is_op(const struct sc_step *st)
{
	const struct step_kind *k = steps_kind(st);

	return k && (k->flags & STEP_OP);
}


/*
 * Operations start together; the other steps run in order while they are
 * in flight (an advance past a timeout, a restart under a REGISTER); then
 * the operations' ends and their inline expects.
 */
static int run_parallel(struct runner *r, const struct sc_step *st)
{
	size_t phones = 0;
	int err = 0;

	for (size_t i = 0; i < st->stepc && !err; i++) {
		if (is_op(&st->stepv[i])) {
			err = rn_queue_ops(r, &st->stepv[i]);
			phones += st->stepv[i].phonec;
		}
	}
	for (size_t i = 0; i < st->stepc && !err; i++) {
		if (!is_op(&st->stepv[i]))
			err = rn_run_step(r, &st->stepv[i]);
	}
	if (!err)
		err = rn_wait_ops(r, st, phones);
	for (size_t i = 0; i < st->stepc && !err; i++) {
		const struct sc_step *c = &st->stepv[i];

		if (is_op(c) && c->has_expect)
			err = rn_run_expect(r, c, c->phonev, c->phonec);
	}

	return err;
}


static int run_repeat(struct runner *r, const struct sc_step *st)
{
	int err = 0;

	for (uint32_t i = 0; i < st->count && !err; i++)
		err = rn_run_steps(r, st->stepv, st->stepc);

	return err;
}


/* ---- the rows ------------------------------------------------------------ */

static const struct step_key repeat_keys[] = {
	{"count", SK_UINT, SKF_REQUIRED, NULL, NULL, "how many times (1 … "
	 "100000)"},
	{"steps", SK_STEPS, SKF_REQUIRED, NULL, NULL, "the steps"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_kind steps_flow[] = {
	{"parallel", SC_PARALLEL, SK_STEPS, NULL, NULL, 0,
	 load_parallel, run_parallel, "the listed steps run together: the "
	 "operations start at once, the other steps run in order while they "
	 "are in flight (an `advance` past a timeout, a `restart` under a "
	 "REGISTER), then the block waits for the operations and checks "
	 "their `expect:`", NULL},
	{"repeat", SC_REPEAT, SK_NONE, NULL, repeat_keys, 0,
	 load_repeat, run_repeat, "the steps, `count` times over", NULL},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
