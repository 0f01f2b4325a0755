/**
 * @file guide.c  The configuration-guide section of a phone-under-test
 * run, in each report format (guide.h).
 */

#include <stdint.h>
#include <string.h>
#include <re.h>
#include "scenario.h"
#include "runner.h"
#include "report.h"
#include "guide.h"


static const char *nz(const char *s)
{
	return s ? s : "";
}


/* ------------------------------------------------------------ Markdown */

void report_guide_totals(struct report_guide_totals *t,
			 const struct report_guide *g)
{
	memset(t, 0, sizeof(*t));

	for (size_t i = 0; g && i < g->rulec; i++) {
		const char *l = nz(g->rulev[i].level);

		t->rules++;
		if (!strcmp(l, "PASS"))
			t->pass++;
		else if (!strcmp(l, "WARN"))
			t->warn++;
		else if (!strcmp(l, "INFO"))
			t->info++;
		else if (!strcmp(l, "FAIL"))
			t->fail++;
		else
			t->skip++;
	}
}


/* a phone run's counts for its header; false: not a phone run */
static bool head_totals(struct re_printf *pf, const struct report_run *run,
			struct report_guide_totals *t,
			struct report_totals *rt)
{
	if (!pf || !run || !run->guide)
		return false;

	report_guide_totals(t, run->guide);
	report_totals(rt, run);

	return true;
}


int report_guide_head_markdown(struct re_printf *pf,
			       const struct report_run *run)
{
	struct report_guide_totals t;
	struct report_totals rt;

	if (!head_totals(pf, run, &t, &rt))
		return 0;

	return re_hprintf(pf, "\n- **Result:** %u PASS, %u WARN, %u INFO, "
			  "%u FAIL, %u SKIP (%u rules of the phone pack, %zu "
			  "SIP messages)\n", t.pass, t.warn, t.info, t.fail,
			  t.skip, t.rules, rt.messages);
}


int report_guide_head_html(struct re_printf *pf,
			   const struct report_run *run)
{
	struct report_guide_totals t;
	struct report_totals rt;

	if (!head_totals(pf, run, &t, &rt))
		return 0;

	return re_hprintf(pf, "<div class=\"tot\" id=\"phone-totals\">"
			  "<span><span class=\"v PASS\">%u</span> PASS</span>"
			  "<span><span class=\"v WARN\">%u</span> WARN</span>"
			  "<span><span class=\"v INFO\">%u</span> INFO</span>"
			  "<span><span class=\"v FAIL\">%u</span> FAIL</span>"
			  "<span><span class=\"v SKIP\">%u</span> SKIP</span>"
			  "<span>of %u rules of the phone pack, %zu SIP "
			  "messages</span></div>\n", t.pass, t.warn, t.info,
			  t.fail, t.skip, t.rules, rt.messages);
}


unsigned report_guide_persons(const struct report_guide *g)
{
	unsigned n = 0;

	for (size_t i = 0; g && i < g->rulec; i++)
		n += g->rulev[i].person;

	return n;
}


int report_guide_markdown(struct re_printf *pf, const struct report_run *run)
{
	const struct report_guide *g = run ? run->guide : NULL;
	unsigned changes = 0;
	int err = 0;

	if (!pf || !g)
		return 0;

	err |= re_hprintf(pf, "\n## Configuration guide\n\n- **Phone:** ");
	err |= report_md_str(pf, nz(g->phone), false);
	err |= re_hprintf(pf, "\n- **Address of record:** ");
	err |= report_md_str(pf, nz(g->aor), false);
	err |= re_hprintf(pf, "\n- **Verdict:** ");
	err |= report_md_str(pf, nz(g->summary), false);
	err |= re_hprintf(pf, "\n\n### What was observed\n\n"
			  "| Setting | Observed |\n|---|---|\n");
	for (size_t i = 0; i < g->factc; i++) {
		err |= re_hprintf(pf, "| ");
		err |= report_md_str(pf, g->factv[i].name, true);
		err |= re_hprintf(pf, " | ");
		err |= report_md_str(pf, nz(g->factv[i].value), true);
		err |= re_hprintf(pf, " |\n");
	}

	err |= re_hprintf(pf, "\n### Settings to change\n\n");
	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		if (strcmp(r->level, "FAIL") && strcmp(r->level, "WARN"))
			continue;
		err |= re_hprintf(pf, "- **%s %s**: ", r->level, r->rule);
		err |= report_md_str(pf, r->advice && r->advice[0] ?
				     r->advice : r->setting ? r->setting :
				     "no setting: the phone's own behaviour",
				     false);
		err |= re_hprintf(pf, " (");
		err |= report_md_str(pf, nz(r->why), false);
		err |= re_hprintf(pf, ")\n");
		changes++;
	}
	if (!changes)
		err |= re_hprintf(pf, "None: every rule judged held.\n");

	if (report_guide_persons(g)) {
		err |= re_hprintf(pf, "\n### Still for a person\n\n"
				  "Not judged for want of one: run again "
				  "with a person at the phone "
				  "(`--operator-timeout S`).\n\n");
		for (size_t i = 0; i < g->rulec; i++) {
			if (!g->rulev[i].person)
				continue;
			err |= re_hprintf(pf, "- **%s**: ", g->rulev[i].rule);
			err |= report_md_str(pf, nz(g->rulev[i].why), false);
			err |= re_hprintf(pf, "\n");
		}
	}

	err |= re_hprintf(pf, "\n### Verdict by rule\n\n"
			  "| Rule | Verdict | Observed | Judgement | "
			  "Guide setting |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		err |= re_hprintf(pf, "| ");
		err |= report_md_str(pf, r->rule, true);
		err |= re_hprintf(pf, strcmp(r->level, "FAIL") ? " | %s | " :
				  " | **%s** | ", r->level);
		err |= report_md_str(pf, nz(r->observed), true);
		err |= re_hprintf(pf, " | ");
		err |= report_md_str(pf, nz(r->why), true);
		err |= re_hprintf(pf, " | ");
		err |= report_md_str(pf, r->setting ? r->setting : "—", true);
		err |= re_hprintf(pf, " |\n");
	}

	return err;
}


/* ------------------------------------------------------------ HTML */

static int h(struct re_printf *pf, const char *s)
{
	return report_html_str(pf, nz(s));
}


static const char *level_class(const char *level)
{
	if (!strcmp(level, "FAIL"))
		return "FAIL";
	if (!strcmp(level, "PASS"))
		return "PASS";
	if (!strcmp(level, "WARN"))
		return "WARN";
	if (!strcmp(level, "INFO"))
		return "INFO";

	return "SKIP";
}


int report_guide_html(struct re_printf *pf, const struct report_run *run)
{
	const struct report_guide *g = run ? run->guide : NULL;
	unsigned changes = 0;
	int err = 0;

	if (!pf || !g)
		return 0;

	err |= re_hprintf(pf, "<style>.v.WARN{background:#b26a00}"
			  ".v.INFO{background:#1565c0}"
			  "table.guide td.adv{color:#5f1313}</style>\n"
			  "<div id=\"guide\">\n<h2 id=\"config-guide\">"
			  "Configuration guide</h2>\n<p class=\"facts\">"
			  "<span>phone <b>");
	err |= h(pf, g->phone);
	err |= re_hprintf(pf, "</b></span><span>address of record <b>");
	err |= h(pf, g->aor);
	err |= re_hprintf(pf, "</b></span></p>\n<p id=\"guide-summary\">"
			  "<b>");
	err |= h(pf, g->summary);
	err |= re_hprintf(pf, "</b></p>\n<h2>What was observed</h2>\n"
			  "<table class=\"rules guide\" id=\"guide-facts\">\n"
			  "<tr><th>Setting</th><th>Observed</th></tr>\n");
	for (size_t i = 0; i < g->factc; i++) {
		err |= re_hprintf(pf, "<tr><td class=\"id\">");
		err |= h(pf, g->factv[i].name);
		err |= re_hprintf(pf, "</td><td class=\"mono\">");
		err |= h(pf, g->factv[i].value);
		err |= re_hprintf(pf, "</td></tr>\n");
	}
	err |= re_hprintf(pf, "</table>\n<h2>Settings to change</h2>\n"
			  "<ul id=\"guide-changes\">\n");
	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		if (strcmp(r->level, "FAIL") && strcmp(r->level, "WARN"))
			continue;
		err |= re_hprintf(pf, "<li data-rule=\"");
		err |= h(pf, r->rule);
		err |= re_hprintf(pf, "\"><span class=\"v %s\">%s</span> "
				  "<b>", level_class(r->level), r->level);
		err |= h(pf, r->rule);
		err |= re_hprintf(pf, "</b>: ");
		err |= h(pf, r->advice && r->advice[0] ? r->advice :
			 r->setting ? r->setting :
			 "no setting: the phone's own behaviour");
		err |= re_hprintf(pf, " <span class=\"cond\">(");
		err |= h(pf, r->why);
		err |= re_hprintf(pf, ")</span></li>\n");
		changes++;
	}
	if (!changes)
		err |= re_hprintf(pf, "<li>None: every rule judged held.</li>\n");
	if (report_guide_persons(g)) {
		err |= re_hprintf(pf, "</ul>\n<h2>Still for a person</h2>\n"
				  "<p>Not judged for want of one: run again "
				  "with a person at the phone "
				  "(<code>--operator-timeout S</code>).</p>\n"
				  "<ul id=\"guide-person\">\n");
		for (size_t i = 0; i < g->rulec; i++) {
			if (!g->rulev[i].person)
				continue;
			err |= re_hprintf(pf, "<li><b>");
			err |= h(pf, g->rulev[i].rule);
			err |= re_hprintf(pf, "</b>: ");
			err |= h(pf, g->rulev[i].why);
			err |= re_hprintf(pf, "</li>\n");
		}
	}
	err |= re_hprintf(pf, "</ul>\n<h2>Verdict by rule</h2>\n"
			  "<table class=\"rules guide\" id=\"guide-rules\">\n"
			  "<tr><th>Rule</th><th>Verdict</th><th>Observed</th>"
			  "<th>Judgement</th><th>Guide setting</th></tr>\n");
	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		err |= re_hprintf(pf, "<tr data-rule=\"");
		err |= h(pf, r->rule);
		err |= re_hprintf(pf, "\" data-verdict=\"%s\"><td class=\"id\">",
				  level_class(r->level));
		if (r->entry != SIZE_MAX)
			err |= re_hprintf(pf, "<a href=\"#sc-%zu\">", r->entry);
		err |= h(pf, r->rule);
		if (r->entry != SIZE_MAX)
			err |= re_hprintf(pf, "</a>");
		err |= re_hprintf(pf, "</td><td><span class=\"v %s\">%s"
				  "</span></td><td>", level_class(r->level),
				  r->level);
		err |= h(pf, r->observed);
		err |= re_hprintf(pf, "</td><td class=\"cond\">");
		err |= h(pf, r->why);
		err |= re_hprintf(pf, "</td><td class=\"adv\">");
		err |= h(pf, r->setting ? r->setting : "\xe2\x80\x94");
		err |= re_hprintf(pf, "</td></tr>\n");
	}

	return err | re_hprintf(pf, "</table>\n</div>\n");
}


/* ------------------------------------------------------------ JSON */

static int kstr(struct re_printf *pf, const char *key, const char *v,
		bool comma)
{
	int err = re_hprintf(pf, "%s\"%s\":", comma ? "," : "", key);

	return err | report_json_str(pf, v);
}


int report_guide_json(struct re_printf *pf, const struct report_run *run)
{
	const struct report_guide *g = run ? run->guide : NULL;
	struct report_guide_totals t;
	int err = 0;

	if (!pf || !g)
		return 0;

	err |= re_hprintf(pf, ",\n \"phone_guide\":{");
	err |= kstr(pf, "aor", g->aor, false);
	err |= kstr(pf, "phone", g->phone, true);
	err |= kstr(pf, "summary", g->summary, true);
	report_guide_totals(&t, g);
	err |= re_hprintf(pf, ",\"totals\":{\"rules\":%u,\"pass\":%u,"
			  "\"warn\":%u,\"info\":%u,\"fail\":%u,"
			  "\"skip\":%u}", t.rules, t.pass, t.warn, t.info,
			  t.fail, t.skip);
	err |= re_hprintf(pf, ",\"person\":[");
	for (size_t i = 0, n = 0; i < g->rulec; i++) {
		if (g->rulev[i].person)
			err |= re_hprintf(pf, "%s\"%s\"", n++ ? "," : "",
					  g->rulev[i].rule);
	}
	err |= re_hprintf(pf, "]");
	err |= re_hprintf(pf, ",\"observed\":[");
	for (size_t i = 0; i < g->factc; i++) {
		err |= re_hprintf(pf, "%s\n   {", i ? "," : "");
		err |= kstr(pf, "name", g->factv[i].name, false);
		err |= kstr(pf, "value", g->factv[i].value, true);
		err |= re_hprintf(pf, "}");
	}
	err |= re_hprintf(pf, "],\"rules\":[");
	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		err |= re_hprintf(pf, "%s\n   {", i ? "," : "");
		err |= kstr(pf, "id", r->rule, false);
		err |= kstr(pf, "verdict", r->level, true);
		err |= kstr(pf, "what", r->what, true);
		err |= kstr(pf, "observed", nz(r->observed), true);
		err |= kstr(pf, "judgement", nz(r->why), true);
		err |= kstr(pf, "setting", r->setting, true);
		err |= kstr(pf, "advice", r->advice && r->advice[0] ?
			    r->advice : NULL, true);
		if (r->entry != SIZE_MAX)
			err |= re_hprintf(pf, ",\"scenario\":%zu", r->entry);
		else
			err |= re_hprintf(pf, ",\"scenario\":null");
		err |= re_hprintf(pf, "}");
	}

	return err | re_hprintf(pf, "]}");
}


/* ------------------------------------------------------------ JUnit */

static int prop(struct re_printf *pf, const char *name, const char *value)
{
	int err = re_hprintf(pf, "      <property name=\"%s\" value=\"", name);

	err |= report_xml_str(pf, nz(value), true);

	return err | re_hprintf(pf, "\"/>\n");
}


int report_guide_junit_props(struct re_printf *pf,
			     const struct report_run *run,
			     const struct report_entry *e)
{
	const struct report_guide *g = run ? run->guide : NULL;
	int err = 0;

	if (!pf || !g || !e || !e->sc || !e->sc->rulec)
		return 0;

	for (size_t i = 0; i < g->rulec; i++) {
		const struct report_guide_rule *r = &g->rulev[i];

		if (strcmp(r->rule, e->sc->rulev[0]))
			continue;

		err |= prop(pf, "sipconform.phone.verdict", r->level);
		err |= prop(pf, "sipconform.phone.observed", r->observed);
		err |= prop(pf, "sipconform.phone.judgement", r->why);
		if (r->advice && r->advice[0])
			err |= prop(pf, "sipconform.phone.advice", r->advice);
		break;
	}

	return err;
}
