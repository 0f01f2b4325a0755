/**
 * @file walk.c  The walk over a run's results (see walk.h)
 */

#include <string.h>
#include <strings.h>
#include <re.h>
#include "scenario.h"
#include "protocheck/protocheck.h"
#include "walk.h"


void report_walk_init(struct report_walk *w, const struct report_run *run)
{
	memset(w, 0, sizeof(*w));
	w->run = run;
	report_totals(&w->totals, run);
	report_rule_summary(w->tv, w->countv, run);

	for (size_t i = 0; i < run->entryc; i++) {
		const struct run_result *res = run->entryv[i].res;

		if (!res)
			continue;

		w->real_ms += res->real_ms;
		w->wire_msgs += res->wire_msgs;
		w->findings += res->findingc;
		for (size_t j = 0; j < res->findingc; j++)
			w->findings_failing += res->findingv[j].fails;
	}
}


int report_walk_findings(struct re_printf *pf, const struct report_walk *w,
			 const struct report_visitor *v, size_t *countp)
{
	const struct report_run *run = w->run;
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < run->entryc && !err; i++) {
		const struct report_entry *e = &run->entryv[i];

		for (size_t j = 0; e->res && j < e->res->findingc && !err;
		     j++) {
			if (v->finding)
				err |= v->finding(pf, w, e, i,
						  &e->res->findingv[j], !n);
			++n;
		}
	}

	if (countp)
		*countp = n;

	return err;
}


const char *report_finding_level(const struct run_finding *rf)
{
	if (rf->fails)
		return "FAIL";

	return rf->role == PC_ROLE_UNDER_TEST ? "WARN" : "INFO";
}


const char *report_finding_role(const struct run_finding *rf)
{
	return protocheck_role_name((enum pc_role)rf->role);
}


enum verdict report_entry_verdict(const struct report_entry *e)
{
	return e->res ? e->res->verdict : VERDICT_ERROR;
}


void report_failure_get(struct report_failure *f,
			const struct report_entry *e)
{
	const struct run_result *res = e->res;

	f->e = e;
	f->res = res;
	f->rule = res->rule ? rule_find(res->rule) : NULL;
	f->step = report_step_kind(res, res->line);
	f->split = report_why_split(res->why, f->subject, sizeof(f->subject),
				    f->expected, sizeof(f->expected),
				    f->actual, sizeof(f->actual));
}


static bool lists(const struct report_entry *e, const struct rule *ru)
{
	for (size_t k = 0; k < e->sc->rulec; k++) {
		if (!strcasecmp(e->sc->rulev[k], ru->name))
			return true;
	}

	return report_entry_breaks(e, ru->name);
}


int report_walk_rules(struct re_printf *pf, const struct report_walk *w,
		      bool covered_only, const struct report_visitor *v)
{
	const struct report_run *run = w->run;
	int err = 0;

	for (int i = 0; i < RULE_COUNT && !err; i++) {
		const struct rule_tally *rt = &w->tv[i];
		bool any = false;

		if (covered_only && rt->status == RULE_ST_NOT_COVERED)
			continue;

		if (v->rule)
			err |= v->rule(pf, w, rt, i);

		for (size_t j = 0; j < run->entryc && !err; j++) {
			const struct report_entry *e = &run->entryv[j];

			if (!lists(e, rt->rule))
				continue;
			if (v->rule_scenario)
				err |= v->rule_scenario(pf, w, rt, e, j, !any);
			any = true;
		}

		if (v->rule_end)
			err |= v->rule_end(pf, w, rt, any);
	}

	return err;
}


int report_walk_scenarios(struct re_printf *pf, const struct report_walk *w,
			  const struct report_visitor *v)
{
	const struct report_run *run = w->run;
	int err = 0;

	for (size_t i = 0; i < run->entryc && !err; i++) {
		const struct report_entry *e = &run->entryv[i];
		enum verdict vd = report_entry_verdict(e);
		struct report_failure f;

		if (vd == VERDICT_FAIL)
			report_failure_get(&f, e);
		if (v->scenario)
			err |= v->scenario(pf, w, e, i, vd,
					   vd == VERDICT_FAIL ? &f : NULL);
	}

	return err;
}


/* the failed scenarios (fail) or the skipped and not run (!fail) */
static int walk_some(struct re_printf *pf, const struct report_walk *w,
		     const struct report_visitor *v, bool fail, size_t *countp)
{
	const struct report_run *run = w->run;
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < run->entryc && !err; i++) {
		const struct report_entry *e = &run->entryv[i];
		enum verdict vd = report_entry_verdict(e);
		struct report_failure f;

		if (fail ? vd != VERDICT_FAIL :
		    vd != VERDICT_SKIP && vd != VERDICT_ERROR)
			continue;

		if (fail) {
			report_failure_get(&f, e);
			if (v->failure)
				err |= v->failure(pf, w, &f, i);
		}
		else if (v->not_run) {
			err |= v->not_run(pf, w, e, i, vd, n == 0);
		}
		n++;
	}

	if (countp)
		*countp = n;

	return err;
}


int report_walk_failures(struct re_printf *pf, const struct report_walk *w,
			 const struct report_visitor *v, size_t *countp)
{
	return walk_some(pf, w, v, true, countp);
}


int report_walk_not_run(struct re_printf *pf, const struct report_walk *w,
			const struct report_visitor *v, size_t *countp)
{
	return walk_some(pf, w, v, false, countp);
}
