/**
 * @file json.c  results.json: one document with every scenario, step,
 * verdict, rule ID, timing (real and virtual) and SIP message.  The
 * schema is in reports/README.md; "schema" names its version.
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


static int json_u64(struct re_printf *pf, const char *key, uint64_t v,
		    bool comma)
{
	return re_hprintf(pf, "%s\"%s\":%llu", comma ? "," : "", key,
			  (unsigned long long)v);
}


static int json_kstr(struct re_printf *pf, const char *key, const char *v,
		     bool comma)
{
	int err = re_hprintf(pf, "%s\"%s\":", comma ? "," : "", key);

	return err | report_json_str(pf, v);
}


static int json_time(struct re_printf *pf, const char *key, uint64_t us,
		     bool comma)
{
	int err = re_hprintf(pf, "%s\"%s\":\"", comma ? "," : "", key);

	err |= report_iso_time(pf, us);

	return err | re_hprintf(pf, "\"");
}


static int json_message(struct re_printf *pf, const struct run_result *res,
			const struct run_msg *m, size_t idx)
{
	size_t n = m->text ? strlen(m->text) : 0;
	uint64_t rel = m->wall_us > res->wall_start_us ?
		m->wall_us - res->wall_start_us : 0;
	int err = 0;

	err |= re_hprintf(pf, "\n      {\"index\":%zu", idx);
	err |= json_u64(pf, "wall_us", m->wall_us, true);
	err |= json_time(pf, "time", m->wall_us, true);
	err |= json_u64(pf, "real_us", rel, true);
	err |= json_u64(pf, "virtual_ms", m->virtual_ms, true);
	err |= json_kstr(pf, "phone", m->phone, true);
	err |= re_hprintf(pf, ",\"direction\":\"%s\"", m->from_phone ?
			  "phone->registrar" : "registrar->phone");
	err |= re_hprintf(pf, ",\"src\":\"%J\",\"dst\":\"%J\"", &m->src,
			  &m->dst);
	err |= re_hprintf(pf, ",\"transport\":\"%s\"",
			  report_tp_name(m->tp));
	err |= re_hprintf(pf, ",\"retransmission\":%s",
			  m->retrans ? "true" : "false");
	err |= re_hprintf(pf, ",\"line\":%u", m->line);
	err |= json_kstr(pf, "summary", m->summary, true);
	err |= json_kstr(pf, "rule", m->rule[0] ? m->rule : NULL, true);
	err |= re_hprintf(pf, ",\"bytes\":%zu", n);
	err |= json_kstr(pf, "text", m->text, true);
	if (m->text && !report_utf8_valid(m->text, n)) {
		err |= re_hprintf(pf, ",\"text_base64\":\"");
		err |= base64_print(pf, (const uint8_t *)m->text, n);
		err |= re_hprintf(pf, "\"");
	}
	err |= re_hprintf(pf, "}");

	return err;
}


static int json_failure(struct re_printf *pf, const struct report_failure *f)
{
	const struct run_result *res = f->res;
	int err = 0;

	err |= re_hprintf(pf, "{\"line\":%u", res->line);
	err |= json_kstr(pf, "step", res->line ? f->step : NULL, true);
	err |= json_kstr(pf, "rule", res->rule, true);
	err |= json_kstr(pf, "why", res->why, true);
	err |= json_kstr(pf, "subject", f->split && f->subject[0] ?
			 f->subject : NULL, true);
	err |= json_kstr(pf, "expected", f->split ? f->expected : NULL, true);
	err |= json_kstr(pf, "actual", f->split ? f->actual : NULL, true);
	err |= re_hprintf(pf, "}");

	return err;
}


static int json_finding(struct re_printf *pf, const struct run_finding *rf,
			size_t i)
{
	int err = 0;

	err |= re_hprintf(pf, "%s{", i ? "," : "");
	err |= json_kstr(pf, "row", rf->row ? rf->row->id : NULL, false);
	err |= json_kstr(pf, "ref", rf->row ? rf->row->ref : NULL, true);
	err |= json_kstr(pf, "requirement", rf->row ? rf->row->text : NULL,
			 true);
	err |= json_kstr(pf, "level", report_finding_level(rf), true);
	err |= json_kstr(pf, "against", report_finding_role(rf), true);
	err |= json_kstr(pf, "element", rf->element, true);
	err |= json_kstr(pf, "where", rf->where, true);
	err |= json_u64(pf, "line", rf->line, true);
	err |= json_kstr(pf, "expected", rf->expected, true);
	err |= json_kstr(pf, "actual", rf->actual, true);
	err |= re_hprintf(pf, ",\"fails\":%s}", rf->fails ? "true" : "false");

	return err;
}


static int json_scenario(struct re_printf *pf, const struct report_walk *w,
			 const struct report_entry *e, size_t idx,
			 enum verdict v, const struct report_failure *f)
{
	const struct report_run *run = w->run;
	const struct scenario *sc = e->sc;
	const struct run_result *res = e->res;
	int err = 0;

	err |= re_hprintf(pf, "%s\n  {\"index\":%zu", idx ? "," : "", idx);
	err |= json_kstr(pf, "file", sc->file, true);
	err |= json_kstr(pf, "name", sc->name, true);
	err |= json_kstr(pf, "description", sc->description, true);
	err |= json_kstr(pf, "profile", report_scenario_profile(run, sc), true);
	err |= re_hprintf(pf, ",\"rules\":[");
	for (size_t i = 0; i < sc->rulec; i++) {
		err |= re_hprintf(pf, "%s", i ? "," : "");
		err |= report_json_str(pf, sc->rulev[i]);
	}
	err |= re_hprintf(pf, "]");
	err |= re_hprintf(pf, ",\"verdict\":\"%s\"", verdict_name(v));

	err |= re_hprintf(pf, ",\"failure\":");
	if (f)
		err |= json_failure(pf, f);
	else
		err |= re_hprintf(pf, "null");

	err |= json_kstr(pf, "reason", v == VERDICT_SKIP ||
			 v == VERDICT_ERROR ? (res ? res->why :
					       "the runner could not run it") :
			 NULL, true);

	err |= re_hprintf(pf, ",\"phones\":[");
	for (size_t i = 0; i < sc->phonec; i++) {
		const struct sc_phone *p = &sc->phonev[i];

		err |= re_hprintf(pf, "%s{\"name\":", i ? "," : "");
		err |= report_json_str(pf, p->name);
		err |= json_kstr(pf, "user", p->conf.user, true);
		err |= json_kstr(pf, "domain", p->conf.domain, true);
		err |= re_hprintf(pf, ",\"transport\":\"%s\"}",
				  report_tp_name(p->conf.tp));
	}
	err |= re_hprintf(pf, "]");

	if (!res)
		return err | re_hprintf(pf, ",\"steps\":[],\"messages\":[]}");

	err |= json_time(pf, "started", res->wall_start_us, true);
	err |= json_u64(pf, "started_us", res->wall_start_us, true);
	err |= json_u64(pf, "real_ms", res->real_ms, true);
	err |= json_u64(pf, "virtual_ms", res->virtual_ms, true);
	err |= json_u64(pf, "steps_run", res->steps, true);
	err |= json_u64(pf, "requests", res->messages, true);
	err |= json_u64(pf, "unchecked", res->unchecked, true);

	err |= re_hprintf(pf, ",\n    \"steps\":[");
	for (size_t i = 0; i < res->stepc && !err; i++) {
		const struct run_step *st = &res->stepv[i];

		err |= re_hprintf(pf, "%s\n      {\"line\":%u", i ? "," : "",
				  st->line);
		err |= json_kstr(pf, "kind", st->kind, true);
		err |= re_hprintf(pf, ",\"verdict\":\"%s\"",
				  verdict_name(st->verdict));
		err |= json_u64(pf, "start_ms", st->start_ms, true);
		err |= json_u64(pf, "real_ms", st->real_ms, true);
		err |= json_u64(pf, "virtual_ms", st->virtual_ms, true);
		err |= re_hprintf(pf, "}");
	}
	err |= re_hprintf(pf, "]");

	err |= re_hprintf(pf, ",\n    \"protocol\":{\"messages\":%zu,"
			  "\"findings\":[", res->wire_msgs);
	for (size_t i = 0; i < res->findingc && !err; i++)
		err |= json_finding(pf, &res->findingv[i], i);
	err |= re_hprintf(pf, "]}");
	err |= report_media_json(pf, res);

	err |= json_u64(pf, "message_count", res->msgc, true);
	err |= json_u64(pf, "packet_count", res->pktc, true);
	err |= json_u64(pf, "messages_dropped", res->msgs_dropped, true);
	err |= re_hprintf(pf, ",\n    \"messages\":[");
	for (size_t i = 0; i < res->msgc && !err; i++) {
		err |= re_hprintf(pf, "%s", i ? "," : "");
		err |= json_message(pf, res, &res->msgv[i], i);
	}
	err |= re_hprintf(pf, "]}");

	return err;
}


static int rule(struct re_printf *pf, const struct report_walk *w,
		const struct rule_tally *rt, int i)
{
	int err = 0;

	(void)w;

	err |= re_hprintf(pf, "%s\n  {\"id\":", i ? "," : "");
	err |= report_json_str(pf, rt->rule->name);
	err |= json_kstr(pf, "condition", rt->rule->condition, true);
	err |= json_kstr(pf, "basis", rt->rule->basis, true);
	err |= json_kstr(pf, "status", report_rule_status_name(rt->status),
			 true);
	err |= re_hprintf(pf, ",\"passed\":%u,\"broken\":%u,"
			  "\"failed_other\":%u,\"skipped\":%u,"
			  "\"errors\":%u", rt->passed, rt->broke,
			  rt->failed_other, rt->skipped, rt->errors);
	err |= re_hprintf(pf, ",\"scenarios\":[");

	return err;
}


static int rule_scenario(struct re_printf *pf, const struct report_walk *w,
			 const struct rule_tally *rt,
			 const struct report_entry *e, size_t idx, bool first)
{
	(void)w;
	(void)rt;
	(void)e;

	return re_hprintf(pf, "%s%zu", first ? "" : ",", idx);
}


static int rule_end(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, bool any)
{
	(void)w;
	(void)rt;
	(void)any;

	return re_hprintf(pf, "]}");
}


static const struct report_visitor visitor = {
	.rule          = rule,
	.rule_scenario = rule_scenario,
	.rule_end      = rule_end,
	.scenario      = json_scenario,
};


int report_json(struct re_printf *pf, const struct report_run *run)
{
	struct report_walk w;
	const struct report_totals *t = &w.totals;
	int err = 0;

	if (!pf || !run)
		return EINVAL;

	report_walk_init(&w, run);

	err |= re_hprintf(pf, "{\"schema\":\"sipconform-results/1\","
			  "\"schema_version\":1");
	err |= re_hprintf(pf, ",\n \"tool\":{\"name\":\"sipconform\"");
	err |= json_kstr(pf, "version", run->version, true);
	err |= re_hprintf(pf, "}");
	err |= json_kstr(pf, "profile", run->profile, true);
	err |= json_kstr(pf, "target", run->target, true);
	err |= json_kstr(pf, "filter", run->filter, true);
	err |= json_time(pf, "started", run->started_us, true);
	err |= json_time(pf, "finished", run->finished_us, true);
	err |= json_u64(pf, "started_us", run->started_us, true);
	err |= json_u64(pf, "finished_us", run->finished_us, true);

	err |= re_hprintf(pf, ",\n \"totals\":{\"scenarios\":%u,\"passed\":%u,"
			  "\"failed\":%u,\"skipped\":%u,\"errors\":%u,"
			  "\"messages\":%zu,\"messages_dropped\":%zu,"
			  "\"protocol_messages\":%zu,\"protocol_findings\":%zu,"
			  "\"protocol_findings_failing\":%zu}",
			  t->scenarios, t->passed, t->failed, t->skipped,
			  t->errors, t->messages, t->dropped, w.wire_msgs,
			  w.findings, w.findings_failing);

	err |= re_hprintf(pf, ",\n \"rule_totals\":{");
	for (int s = 0; s <= RULE_ST_NOT_COVERED; s++)
		err |= re_hprintf(pf, "%s\"%s\":%u", s ? "," : "",
				  report_rule_status_name(
					  (enum rule_status)s), w.countv[s]);
	err |= re_hprintf(pf, "}");

	err |= re_hprintf(pf, ",\n \"rules\":[");
	if (!err)
		err |= report_walk_rules(pf, &w, false, &visitor);
	err |= re_hprintf(pf, "]");

	/* harness phone: the configuration guide (guide.h) */
	if (run->guide)
		err |= report_guide_json(pf, run);

	err |= re_hprintf(pf, ",\n \"scenarios\":[");
	if (!err)
		err |= report_walk_scenarios(pf, &w, &visitor);
	err |= re_hprintf(pf, "]}\n");

	return err;
}
