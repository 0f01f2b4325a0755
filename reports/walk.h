/**
 * @file walk.h  The one walk over a run's results that every writer
 * renders: the totals and the rule tallies computed once, the rules table
 * with the scenarios citing each rule, the scenarios in run order, the
 * failures taken apart (step, rule, expected, actual), the skipped and not
 * run.  A writer (html.c, markdown.c, json.c, junit.c) fills a visitor
 * table with its rendering callbacks and asks for the parts in its own
 * order; the selection (which scenarios a rule lists, which count as
 * failures) lives here only.
 */

#ifndef SIPCONFORM_REPORT_WALK_H
#define SIPCONFORM_REPORT_WALK_H

#include "report.h"
#include "rules.h"
#include "runner.h"

struct report_walk {
	const struct report_run *run;
	struct report_totals totals;
	struct rule_tally tv[RULE_COUNT];
	unsigned countv[RULE_ST_NOT_COVERED + 1];
	uint64_t real_ms;               /* the scenarios' real time, summed  */
	size_t wire_msgs;               /* SIP messages the checker read     */
	size_t findings;                /* the protocol checker's findings   */
	size_t findings_failing;        /* those that failed their scenario  */
};

/* a failed scenario's failure, taken apart */
struct report_failure {
	const struct report_entry *e;
	const struct run_result *res;
	const struct rule *rule;        /* res->rule's row, or NULL          */
	const char *step;               /* the step kind at res->line, or "" */
	bool split;                     /* report_why_split() found the shape */
	char subject[256];
	char expected[512];
	char actual[512];
};

/*
 * A writer's callbacks, each optional; what they return is or-ed into the
 * walk's result, and a walk stops at the first error.  idx is the
 * scenario's index in run->entryv.
 */
struct report_visitor {
	/* a row of the rules table; then each scenario that cites the rule
	 * or whose failure breaks it (first: the row's first); then its end
	 * (any: it listed one) */
	int (*rule)(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, int i);
	int (*rule_scenario)(struct re_printf *pf, const struct report_walk *w,
			     const struct rule_tally *rt,
			     const struct report_entry *e, size_t idx,
			     bool first);
	int (*rule_end)(struct re_printf *pf, const struct report_walk *w,
			const struct rule_tally *rt, bool any);

	/* every scenario, in run order; f is its failure (NULL unless it
	 * failed), v its verdict (ERROR when the runner could not run it) */
	int (*scenario)(struct re_printf *pf, const struct report_walk *w,
			const struct report_entry *e, size_t idx,
			enum verdict v, const struct report_failure *f);

	/* the failed scenarios only */
	int (*failure)(struct re_printf *pf, const struct report_walk *w,
		       const struct report_failure *f, size_t idx);

	/* the skipped ones and those not run (first: the first of them) */
	int (*not_run)(struct re_printf *pf, const struct report_walk *w,
		       const struct report_entry *e, size_t idx,
		       enum verdict v, bool first);
	/* the protocol checker's findings, scenario by scenario (first: the
	 * run's first) */
	int (*finding)(struct re_printf *pf, const struct report_walk *w,
		       const struct report_entry *e, size_t idx,
		       const struct run_finding *rf, bool first);
};

void report_walk_init(struct report_walk *w, const struct report_run *run);

/* the rules table: every row, or the covered ones (status other than
 * not covered) only */
int report_walk_rules(struct re_printf *pf, const struct report_walk *w,
		      bool covered_only, const struct report_visitor *v);

int report_walk_scenarios(struct re_printf *pf, const struct report_walk *w,
			  const struct report_visitor *v);

/* *countp (may be NULL): how many failures, skipped or not run there were */
int report_walk_failures(struct re_printf *pf, const struct report_walk *w,
			 const struct report_visitor *v, size_t *countp);
int report_walk_not_run(struct re_printf *pf, const struct report_walk *w,
			const struct report_visitor *v, size_t *countp);

/* *countp (may be NULL): how many findings there were */
int report_walk_findings(struct re_printf *pf, const struct report_walk *w,
			 const struct report_visitor *v, size_t *countp);
/* a finding's level and who it was against, in words */
const char *report_finding_level(const struct run_finding *rf);
const char *report_finding_role(const struct run_finding *rf);

/* e's verdict: ERROR when the runner could not run it */
enum verdict report_entry_verdict(const struct report_entry *e);

/* f from a failed entry (e->res set) */
void report_failure_get(struct report_failure *f,
			const struct report_entry *e);

/* the media of a scenario's calls (media.c): ,"media":[..] for
 * results.json; a table for report.md; the figures with the received
 * audio (an embedded WAV and its waveform) for report.html */
int report_media_json(struct re_printf *pf, const struct run_result *res);
int report_media_md(struct re_printf *pf, const struct run_result *res);
int report_media_html(struct re_printf *pf, const struct run_result *res);

#endif
