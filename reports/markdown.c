/**
 * @file markdown.c  report.md: the run's facts, the summary by rule ID
 * and every failure (step, rule, expected, actual, the failing step's
 * messages as a text ladder), for pasting into a ticket or a guide.
 */

#include <string.h>
#include <re.h>
#include "rules.h"
#include "scenario.h"
#include "runner.h"
#include "report.h"
#include "protocheck/protocheck.h"
#include "walk.h"
#include "guide.h"     /* harness phone: the configuration guide */


enum { STEP_HEAD = 30, STEP_TAIL = 10, STEP_COLS = 5, STEP_TAIL_COLS = 2 };


static int md(struct re_printf *pf, const char *s)
{
	return report_md_str(pf, s, false);
}


static int cell(struct re_printf *pf, const char *s)
{
	return report_md_str(pf, s, true);
}


/* `code` with a fence longer than any run of backticks inside */
static int code_span(struct re_printf *pf, const char *s)
{
	size_t run = 0, max = 0;
	int err = 0;

	for (const char *p = s; p && *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}

	for (size_t i = 0; i <= max; i++)
		err |= re_hprintf(pf, "`");
	err |= re_hprintf(pf, max ? " " : "");
	err |= cell(pf, s);
	err |= re_hprintf(pf, max ? " " : "");
	for (size_t i = 0; i <= max; i++)
		err |= re_hprintf(pf, "`");

	return err;
}


static int failure(struct re_printf *pf, const struct report_walk *w,
		   const struct report_failure *f, size_t idx)
{
	static const struct ladder_limits lim0 = {
		STEP_HEAD, STEP_TAIL, STEP_COLS, STEP_TAIL_COLS, 0
	};
	struct ladder_limits lim = lim0;
	const struct report_entry *e = f->e;
	const struct run_result *res = f->res;
	struct ladder l;
	int err = 0;

	(void)w;
	(void)idx;

	err |= re_hprintf(pf, "\n### ");
	err |= md(pf, e->sc->file);
	err |= re_hprintf(pf, ":%u\n\n", res->line);
	err |= md(pf, e->sc->name);
	err |= re_hprintf(pf, "\n\n- **Step:** line %u (%s)\n", res->line,
			  f->step[0] ? f->step : "step");
	err |= re_hprintf(pf, "- **Rule broken:** ");
	err |= md(pf, res->rule ? res->rule : "(none named)");
	if (f->rule) {
		err |= re_hprintf(pf, " — ");
		err |= md(pf, f->rule->condition);
	}
	err |= re_hprintf(pf, "\n");

	if (f->split) {
		if (f->subject[0]) {
			err |= re_hprintf(pf, "- **Subject:** ");
			err |= md(pf, f->subject);
			err |= re_hprintf(pf, "\n");
		}
		err |= re_hprintf(pf, "- **Expected:** ");
		err |= md(pf, f->expected);
		err |= re_hprintf(pf, "\n- **Actual:** ");
		err |= md(pf, f->actual);
		err |= re_hprintf(pf, "\n");
	}
	err |= re_hprintf(pf, "- **Harness said:** ");
	err |= code_span(pf, res->why ? res->why : "failed");
	err |= re_hprintf(pf, "\n");

	lim.only_line = res->line;
	if (res->line && !ladder_build(&l, e->sc, res, &lim)) {
		if (l.idxc) {
			err |= re_hprintf(pf, "\nThe failing step's SIP "
					  "messages:\n\n```text\n");
			err |= ladder_text(pf, &l, res, "");
			err |= re_hprintf(pf, "```\n");
		}
		ladder_reset(&l);
	}

	return err;
}


/* a row of the summary by rule: its scenarios and their verdicts */
static int rule_row(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, int i)
{
	int err = 0;

	(void)w;
	(void)i;

	err |= re_hprintf(pf, "| ");
	err |= cell(pf, rt->rule->name);
	err |= re_hprintf(pf, rt->status == RULE_ST_BROKEN ?
			  " | **%s** | " : " | %s | ",
			  report_rule_status_name(rt->status));

	return err;
}


static int rule_scenario(struct re_printf *pf, const struct report_walk *w,
			 const struct rule_tally *rt,
			 const struct report_entry *e, size_t idx, bool first)
{
	int err = 0;

	(void)w;
	(void)rt;
	(void)idx;

	err |= re_hprintf(pf, "%s", first ? "" : "<br>");
	err |= code_span(pf, e->sc->file);
	err |= re_hprintf(pf, " %s", verdict_name(report_entry_verdict(e)));

	return err;
}


static int rule_end(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, bool any)
{
	(void)w;
	(void)rt;
	(void)any;

	return re_hprintf(pf, " |\n");
}


/* skips and infrastructure errors, briefly */
static int not_run(struct re_printf *pf, const struct report_walk *w,
		   const struct report_entry *e, size_t idx, enum verdict v,
		   bool first)
{
	int err = 0;

	(void)w;
	(void)idx;

	if (first)
		err |= re_hprintf(pf, "\n## Skipped and not run\n\n");
	err |= re_hprintf(pf, "- ");
	err |= code_span(pf, e->sc->file);
	err |= re_hprintf(pf, " %s: ", verdict_name(v));
	err |= md(pf, e->res && e->res->why ? e->res->why :
		  "the runner could not run it");
	err |= re_hprintf(pf, "\n");

	return err;
}


/* what the protocol checker found on the wire, one line each */
static int finding(struct re_printf *pf, const struct report_walk *w,
		   const struct report_entry *e, size_t idx,
		   const struct run_finding *rf, bool first)
{
	int err = 0;

	(void)w;
	(void)idx;

	if (first)
		err |= re_hprintf(pf, "\n| Level | Row | Against | Where | "
				  "Expected | Actual |\n|---|---|---|---|---|"
				  "---|\n");
	err |= re_hprintf(pf, "| %s | ", report_finding_level(rf));
	err |= cell(pf, rf->row ? rf->row->id : "?");
	if (rf->row) {
		err |= re_hprintf(pf, " (");
		err |= cell(pf, rf->row->ref);
		err |= re_hprintf(pf, ")");
	}
	err |= re_hprintf(pf, " | %s ", report_finding_role(rf));
	err |= cell(pf, rf->element);
	err |= re_hprintf(pf, " | ");
	err |= cell(pf, rf->where && *rf->where ? rf->where : e->sc->file);
	err |= re_hprintf(pf, " | ");
	err |= cell(pf, rf->expected);
	err |= re_hprintf(pf, " | ");
	err |= cell(pf, rf->actual);
	err |= re_hprintf(pf, " |\n");

	return err;
}


/* a scenario whose calls carried media: its table */
static int media(struct re_printf *pf, const struct report_walk *w,
		 const struct report_entry *e, size_t idx, enum verdict v,
		 const struct report_failure *f)
{
	int err = 0;

	(void)w;
	(void)idx;
	(void)v;
	(void)f;

	if (!e->res || !e->res->mediac)
		return 0;

	err |= re_hprintf(pf, "\n### ");
	err |= md(pf, e->sc->name);
	err |= re_hprintf(pf, " (");
	err |= code_span(pf, e->sc->file);
	err |= re_hprintf(pf, ")\n");

	return err | report_media_md(pf, e->res);
}


static const struct report_visitor visitor = {
	.scenario      = media,
	.rule          = rule_row,
	.rule_scenario = rule_scenario,
	.rule_end      = rule_end,
	.failure       = failure,
	.not_run       = not_run,
	.finding       = finding,
};


int report_markdown(struct re_printf *pf, const struct report_run *run)
{
	struct report_walk w;
	const struct report_totals *t = &w.totals;
	size_t n;
	bool any;
	int err = 0;

	if (!pf || !run)
		return EINVAL;

	report_walk_init(&w, run);

	err |= re_hprintf(pf, "# sipconform conformance report\n\n");
	err |= re_hprintf(pf, "- **Tool:** sipconform ");
	err |= md(pf, run->version);
	err |= re_hprintf(pf, "\n- **Profile:** ");
	err |= md(pf, run->profile);
	err |= re_hprintf(pf, "\n- **Target:** ");
	err |= md(pf, run->target);
	err |= re_hprintf(pf, "\n- **Date:** ");
	err |= report_iso_time(pf, run->started_us);
	err |= re_hprintf(pf, " to ");
	err |= report_iso_time(pf, run->finished_us);
	if (run->filter) {
		err |= re_hprintf(pf, "\n- **Filter:** ");
		err |= md(pf, run->filter);
	}
	/* a phone run counts the pack's rules, not the registrar's (guide.h) */
	if (run->guide) {
		err |= report_guide_head_markdown(pf, run);
		err |= report_guide_markdown(pf, run);
		goto failures;
	}
	err |= re_hprintf(pf, "\n- **Result:** %u passed, %u failed, %u "
			  "skipped", t->passed, t->failed, t->skipped);
	if (t->errors)
		err |= re_hprintf(pf, ", %u infrastructure errors", t->errors);
	err |= re_hprintf(pf, " (%u scenarios, %zu SIP messages)\n",
			  t->scenarios, t->messages);
	err |= re_hprintf(pf, "- **Rules:** ");
	for (int s = 0; s <= RULE_ST_NOT_COVERED; s++)
		err |= re_hprintf(pf, "%s%u %s", s ? ", " : "", w.countv[s],
				  report_rule_status_name(
					  (enum rule_status)s));
	err |= re_hprintf(pf, " (of %d)\n", RULE_COUNT);

	/* the rules the run covered */
	err |= re_hprintf(pf, "\n## Summary by rule\n\n"
			  "| Rule | Status | Scenarios |\n|---|---|---|\n");
	err |= report_walk_rules(pf, &w, true, &visitor);

	/* and those it did not */
	err |= re_hprintf(pf, "\nNot covered by this run (%u): ",
			  w.countv[RULE_ST_NOT_COVERED]);
	any = false;
	for (int i = 0; i < RULE_COUNT; i++) {
		if (w.tv[i].status != RULE_ST_NOT_COVERED)
			continue;
		err |= re_hprintf(pf, "%s", any ? ", " : "");
		err |= md(pf, w.tv[i].rule->name);
		any = true;
	}
	err |= re_hprintf(pf, "%s\n", any ? "." : "none.");

 failures:
	err |= re_hprintf(pf, "\n## Failures\n");
	err |= report_walk_failures(pf, &w, &visitor, &n);
	if (!n)
		err |= re_hprintf(pf, "\nNone.\n");

	err |= report_walk_not_run(pf, &w, &visitor, NULL);

	/* the protocol checker (docs/rules/rfc-checklist.md, T-* rows) */
	err |= re_hprintf(pf, "\n## Protocol checker\n\n%zu SIP messages "
			  "checked on the wire, %zu findings (%zu failing "
			  "their scenario).\n", w.wire_msgs, w.findings,
			  w.findings_failing);
	err |= report_walk_findings(pf, &w, &visitor, NULL);

	/* what the calls carried, scenario by scenario */
	err |= re_hprintf(pf, "\n## Media\n");
	err |= report_walk_scenarios(pf, &w, &visitor);

	return err;
}
