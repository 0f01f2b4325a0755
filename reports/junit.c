/**
 * @file junit.c  junit.xml: one <testsuite> per scenario file, one
 * <testcase> per scenario, in the subset of the JUnit schema that the
 * readers of Jenkins and GitLab share: testsuites / testsuite (name, tests,
 * failures, errors, skipped, time, timestamp) / properties / testcase
 * (name, classname, time) / failure, error or skipped (message, type) /
 * system-out.
 */

#include <string.h>
#include <time.h>
#include <re.h>
#include "rules.h"
#include "scenario.h"
#include "runner.h"
#include "report.h"
#include "walk.h"
#include "guide.h"     /* harness phone: the configuration guide */


enum { LADDER_HEAD = 200, LADDER_TAIL = 40, LADDER_COLS = 5,
       LADDER_TAIL_COLS = 2 };


static int secs(struct re_printf *pf, uint64_t ms)
{
	return re_hprintf(pf, "%llu.%03llu", (unsigned long long)ms / 1000,
			  (unsigned long long)ms % 1000);
}


/* the timestamp as the Ant schema has it: UTC, no zone, whole seconds */
static int stamp(struct re_printf *pf, uint64_t wall_us)
{
	return report_iso_time_ex(pf, wall_us, false);
}


static int prop(struct re_printf *pf, const char *name, const char *value)
{
	int err = re_hprintf(pf, "      <property name=\"");

	err |= report_xml_str(pf, name, true);
	err |= re_hprintf(pf, "\" value=\"");
	err |= report_xml_str(pf, value ? value : "", true);

	return err | re_hprintf(pf, "\"/>\n");
}


/* a failure's message: step, rule, expected, actual */
static int failure(struct re_printf *pf, const struct report_failure *f)
{
	const struct report_entry *e = f->e;
	const struct run_result *res = f->res;
	const struct rule *ru = f->rule;
	const char *subject = f->subject, *expected = f->expected;
	const char *actual = f->actual, *kind = f->step;
	const bool split = f->split;
	char *msg = NULL;
	int err = 0;

	if (split)
		err = re_sdprintf(&msg, "%s:%u (%s): %s%sexpected %s, got %s; "
				  "breaks %s", e->sc->file, res->line,
				  kind[0] ? kind : "step", subject,
				  subject[0] ? ": " : "", expected, actual,
				  res->rule ? res->rule : "(no rule named)");
	else
		err = re_sdprintf(&msg, "%s:%u (%s): %s; breaks %s",
				  e->sc->file, res->line,
				  kind[0] ? kind : "step",
				  res->why ? res->why : "failed",
				  res->rule ? res->rule : "(no rule named)");
	if (err)
		return err;

	err |= re_hprintf(pf, "      <failure message=\"");
	err |= report_xml_str(pf, msg, true);
	err |= re_hprintf(pf, "\" type=\"");
	err |= report_xml_str(pf, res->rule ? res->rule : "FAIL", true);
	err |= re_hprintf(pf, "\">");

	err |= re_hprintf(pf, "Step:     %s:%u (%s)\n", e->sc->file,
			  res->line, kind[0] ? kind : "step");
	err |= re_hprintf(pf, "Rule:     ");
	err |= report_xml_str(pf, res->rule ? res->rule : "(none named)",
			      false);
	if (ru) {
		err |= re_hprintf(pf, " - ");
		err |= report_xml_str(pf, ru->condition, false);
	}
	err |= re_hprintf(pf, "\n");
	if (split) {
		if (subject[0]) {
			err |= re_hprintf(pf, "Subject:  ");
			err |= report_xml_str(pf, subject, false);
			err |= re_hprintf(pf, "\n");
		}
		err |= re_hprintf(pf, "Expected: ");
		err |= report_xml_str(pf, expected, false);
		err |= re_hprintf(pf, "\nActual:   ");
		err |= report_xml_str(pf, actual, false);
		err |= re_hprintf(pf, "\n");
	}
	err |= re_hprintf(pf, "Why:      ");
	err |= report_xml_str(pf, res->why, false);
	err |= re_hprintf(pf, "</failure>\n");

	mem_deref(msg);

	return err;
}


/* the ladder diagram as text, escaped into the XML by a filter sink */
static int xml_vph(const char *p, size_t size, void *arg)
{
	return report_xml_strn(arg, p, size, false);
}


static int system_out(struct re_printf *pf, const struct report_run *run,
		      const struct report_entry *e)
{
	static const struct ladder_limits lim = {
		LADDER_HEAD, LADDER_TAIL, LADDER_COLS, LADDER_TAIL_COLS, 0
	};
	const struct run_result *res = e->res;
	struct re_printf xpf = {xml_vph, pf};
	struct ladder l;
	int err = 0;

	err |= re_hprintf(pf, "      <system-out>");
	err |= re_hprintf(&xpf, "sipconform %s, profile %s, target %s\n",
			  run->version, report_scenario_profile(run, e->sc),
			  run->target);
	err |= re_hprintf(&xpf, "%s: %s\n", e->sc->file, e->sc->name);
	if (res)
		err |= re_hprintf(&xpf, "%zu SIP message(s), %.3f s real, "
				  "%llu s virtual\n\n", res->msgc,
				  (double)res->real_ms / 1000,
				  (unsigned long long)res->virtual_ms / 1000);

	if (res && !ladder_build(&l, e->sc, res, &lim)) {
		err |= ladder_text(&xpf, &l, res, "");
		ladder_reset(&l);
	}
	err |= re_hprintf(pf, "</system-out>\n");

	return err;
}


/* the run's summary by rule: "broken: A B; held: C; ...; not covered: D" */
static int rules_prop(struct re_printf *pf, const struct rule_tally *tv)
{
	int err = re_hprintf(pf, "      <property name=\"sipconform.run.rules\""
			     " value=\"");

	for (int s = 0; s <= RULE_ST_NOT_COVERED; s++) {
		err |= re_hprintf(pf, "%s%s:", s ? "; " : "",
				  report_rule_status_name(
					  (enum rule_status)s));
		for (int i = 0; i < RULE_COUNT; i++) {
			if ((int)tv[i].status != s)
				continue;
			err |= re_hprintf(pf, " ");
			err |= report_xml_str(pf, tv[i].rule->name, true);
		}
	}

	return err | re_hprintf(pf, "\"/>\n");
}


static int testsuite(struct re_printf *pf, const struct report_walk *w,
		     const struct report_entry *e, size_t idx, enum verdict v,
		     const struct report_failure *f)
{
	const struct report_run *run = w->run;
	const struct rule_tally *tv = w->tv;
	const struct run_result *res = e->res;
	uint64_t ms = res ? res->real_ms : 0;
	int err = 0;

	(void)idx;

	err |= re_hprintf(pf, "  <testsuite name=\"");
	err |= report_xml_str(pf, e->sc->file, true);
	err |= re_hprintf(pf, "\" tests=\"1\" failures=\"%d\" errors=\"%d\" "
			  "skipped=\"%d\" time=\"", v == VERDICT_FAIL,
			  v == VERDICT_ERROR, v == VERDICT_SKIP);
	err |= secs(pf, ms);
	err |= re_hprintf(pf, "\" timestamp=\"");
	err |= stamp(pf, res ? res->wall_start_us : run->started_us);
	err |= re_hprintf(pf, "\">\n    <properties>\n");
	err |= prop(pf, "sipconform.version", run->version);
	err |= prop(pf, "sipconform.profile",
		    report_scenario_profile(run, e->sc));
	err |= prop(pf, "sipconform.target", run->target);
	err |= re_hprintf(pf, "      <property name=\"sipconform.run.started\""
			  " value=\"");
	err |= report_iso_time(pf, run->started_us);
	err |= re_hprintf(pf, "\"/>\n");
	err |= rules_prop(pf, tv);
	err |= re_hprintf(pf, "      <property "
			  "name=\"sipconform.scenario.rules\" value=\"");
	for (size_t i = 0; i < e->sc->rulec; i++) {
		err |= re_hprintf(pf, "%s", i ? " " : "");
		err |= report_xml_str(pf, e->sc->rulev[i], true);
	}
	err |= re_hprintf(pf, "\"/>\n");
	/* harness phone: the rule's verdict (guide.h) */
	if (run->guide)
		err |= report_guide_junit_props(pf, run, e);
	err |= re_hprintf(pf, "    </properties>\n");

	err |= re_hprintf(pf, "    <testcase name=\"");
	err |= report_xml_str(pf, e->sc->name, true);
	err |= re_hprintf(pf, "\" classname=\"");
	err |= report_classname(pf, e->sc->file);
	err |= re_hprintf(pf, "\" time=\"");
	err |= secs(pf, ms);
	err |= re_hprintf(pf, "\">\n");

	switch (v) {

	case VERDICT_FAIL:
		err |= failure(pf, f);
		break;

	case VERDICT_SKIP:
		err |= re_hprintf(pf, "      <skipped message=\"");
		err |= report_xml_str(pf, res->why, true);
		err |= re_hprintf(pf, "\"/>\n");
		break;

	case VERDICT_ERROR:
		err |= re_hprintf(pf, "      <error message=\"");
		err |= report_xml_str(pf, res && res->why ? res->why :
				      "the runner could not run it", true);
		err |= re_hprintf(pf, "\" type=\"infrastructure\"/>\n");
		break;

	default:
		break;
	}

	err |= system_out(pf, run, e);
	err |= re_hprintf(pf, "    </testcase>\n  </testsuite>\n");

	return err;
}


int report_junit(struct re_printf *pf, const struct report_run *run)
{
	static const struct report_visitor visitor = {
		.scenario = testsuite,
	};
	struct report_walk w;
	const struct report_totals *t = &w.totals;
	int err = 0;

	if (!pf || !run)
		return EINVAL;

	report_walk_init(&w, run);

	err |= re_hprintf(pf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	err |= re_hprintf(pf, "<testsuites name=\"sipconform %s\" tests=\"%u\" "
			  "failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
			  "time=\"", run->version, t->scenarios, t->failed,
			  t->errors, t->skipped);
	err |= secs(pf, w.real_ms);
	err |= re_hprintf(pf, "\">\n");

	if (!err)
		err |= report_walk_scenarios(pf, &w, &visitor);

	err |= re_hprintf(pf, "</testsuites>\n");

	return err;
}
