/**
 * @file faults.c  Step kinds of faults: link (a phone's lossy link) and
 * restart (the in-process registrar, gracefully or as kill -9 would)
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "location.h"
#include "sim_registrar.h"
#include "linkfault.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

/* `link: {phones: SEL, drop: 30%, ..., direction: send}` or
 * `link: {phones: SEL, clear: true}` */
static int load_link(struct loader *ld, const struct ynode *step,
		     const struct ynode *n, struct sc_step *st)
{
	struct scenario *sc = &ld->s->pub;
	const struct ynode *v, *sel;
	unsigned nkeys = 0;
	bool clear = false;
	int err = 0;
	(void)step;

	if (sc_faults_conf(ld->doc, n, &st->link, &nkeys))
		err = EINVAL;

	v = ld_arg(ld, n, "clear");
	if (v) {
		if (ld_get_bool(ld, v, &clear))
			err = EINVAL;
		else if (!clear)
			err = ydoc_errorf(ld->doc, v, "clear: false clears "
					  "nothing: leave it out, or give "
					  "true");
		else if (nkeys)
			err = ydoc_errorf(ld->doc, v, "clear: true takes no "
					  "fault keys with it");
	}
	else if (!nkeys && !err && !ld->keyerrc) {
		err = ydoc_errorf(ld->doc, n, "link sets no fault: give drop, "
				  "duplicate, delay, reorder (and "
				  "direction), or clear: true");
	}
	st->link_clear = clear;

	sc->needs_faults = true;
	if (!clear && st->link.dir != LINKFAULT_SEND)
		sc->needs_rx_faults = true;

	sel = ld_arg(ld, n, "phones");
	if (!sel)
		return ld->nomem ? ENOMEM : EINVAL;
	if (ld_selector(ld, sel, &st->phonev, &st->phonec))
		return ld->nomem ? ENOMEM : EINVAL;

	for (size_t i = 0; i < st->phonec; i++) {
		struct sc_phone *p = (struct sc_phone *)
			scenario_phone(sc, st->phonev[i]);

		if (!p)
			continue;
		if (ld_link_phone_ok(ld, sel, p->name, p->conf.tp, p->share)) {
			err = EINVAL;
			break;
		}
		p->faulted = true;
		p->conf.virtual_timeout = true;
	}

	return ld->nomem ? ENOMEM : err;
}


static const char *const restart_modes[] = {"graceful", "kill", NULL};
static const char *const restart_what[] = {"registrar", NULL};


/* `restart: registrar` (graceful) or `restart: {registrar: kill}` */
static int load_restart(struct loader *ld, const struct ynode *step,
			const struct ynode *n, struct sc_step *st)
{
	const struct ynode *v;
	int x;
	(void)step;

	ld->s->pub.needs_restart = true;

	if (n->type == YNODE_SCALAR) {
		if (strcmp(n->val, "registrar"))
			return ydoc_errorf(ld->doc, n, "restart what? only "
					   "'registrar' can be restarted, not "
					   "'%s'", n->val);
		return 0;
	}

	if (ld_expect_map(ld, n, "restart"))
		return EINVAL;

	v = ld_arg(ld, n, "registrar");
	if (!v)
		return EINVAL;

	if (ld_get_enum(ld, v, "restart registrar", restart_modes, &x))
		return EINVAL;

	st->restart_kill = x == 1;

	return 0;
}


/* ---- runners ------------------------------------------------------------- */

/* the phone's index in the scenario: its link's PRNG streams */
static uint32_t phone_id(const struct runner *r, const struct rphone *rp)
{
	return (uint32_t)(rp - r->phonev);
}


static int run_link(struct runner *r, const struct sc_step *st)
{
	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
		int err;

		if (!rp)
			continue;

		if (st->link_clear) {
			linkfaults_clear(r->lf, phone_laddr(rp->phone));
			continue;
		}

		err = linkfaults_set(r->lf, phone_laddr(rp->phone),
				     phone_id(r, rp), &st->link);
		if (err)
			return rn_set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "%s: link faults could not be "
					   "set: %m", rp->sp->name, err);
	}

	return 0;
}


/*
 * The registrar goes and comes back on the same address and ports, from
 * its state file.  Graceful: it writes the state whole first.  Kill: it
 * is destroyed as it stands, as kill -9 would leave it: only what its
 * journal already holds survives (and the datagrams it had queued on a
 * phone's link go with it).  The phones are not told.
 */
static int run_restart(struct runner *r, const struct sc_step *st)
{
	uint32_t before, after;
	int err;

	if (!r->sr)
		return rn_set_verdict(r, VERDICT_SKIP, st->pos.line, NULL,
				   "restart needs the in-process registrar");

	before = location_count_account(sim_registrar_location(r->sr));

	if (!st->restart_kill) {
		err = sim_registrar_shutdown(r->sr);
		if (err)
			return rn_set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the registrar could not write "
					   "its state file %s: %m",
					   r->state_path, err);
	}

	linkfaults_forget_socket(r->lf, &r->reg_addr[0]);
	r->sr = mem_deref(r->sr);

	if (rn_start_registrar(r, true))
		return EPROTO;

	after = location_count_account(sim_registrar_location(r->sr));

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "    registrar restarted (%s): %u "
				 "binding(s) before, %u restored\n",
				 st->restart_kill ? "kill" : "graceful",
				 before, after);

	return 0;
}




/* ---- the rows ------------------------------------------------------------ */

static const char *const directions[] = {"both", "send", "receive", NULL};

static const struct step_key link_keys[] = {
	{"phones", SK_SELECTOR, SKF_REQUIRED, NULL, NULL, "the phones (UDP, "
	 "each on its own socket)"},
	{"drop", SK_PERCENT, 0, NULL, NULL, "datagrams lost"},
	{"duplicate", SK_PERCENT, 0, NULL, NULL, "a second copy right behind "
	 "it"},
	{"delay", SK_DURATION, 0, NULL, NULL, "held that long, on virtual "
	 "time (at most 24h)"},
	{"reorder", SK_PERCENT, 0, NULL, NULL, "held back until the next "
	 "datagram of the same direction overtakes it (1 s at most)"},
	{"direction", SK_ENUM, 0, directions, NULL, "what the phone sends, "
	 "what is sent to it, or both (default)"},
	{"clear", SK_BOOL, 0, NULL, NULL, "`true`: no more faults (no fault "
	 "keys with it; datagrams already held go as decided)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key restart_keys[] = {
	{"registrar", SK_ENUM, SKF_REQUIRED, restart_modes, NULL, "`kill`: "
	 "as `kill -9` would, no shutdown write (only what its journal "
	 "holds survives)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_kind steps_faults[] = {
	{"link", SC_LINK, SK_NONE, NULL, link_keys, 0, load_link, run_link,
	 "from now on the phones' links lose, copy, delay and reorder "
	 "datagrams (at least one fault key; replaces what was set), or "
	 "`clear: true`", NULL},
	{"restart", SC_RESTART, SK_ENUM, restart_what, restart_keys, 0,
	 load_restart, run_restart, "the in-process registrar stops "
	 "gracefully (its state file written whole) and starts again from "
	 "it, on the same address and ports", NULL},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
