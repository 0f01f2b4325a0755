/**
 * @file html.c  report.html: one self-contained page (inline CSS and a
 * few lines of inline JavaScript, no network, no external assets): the
 * run's facts, a summary by rule ID, and per scenario its verdict, a
 * failure's expected vs actual, and a ladder diagram of the SIP messages
 * between its phones and the registrar, each expandable to its full text.
 *
 * The ladder is HTML and CSS: one row per message (a <details> element),
 * the lifelines a repeating gradient, each arrow an absolutely placed box.
 * Hooks for tests: .ladder[data-scenario][data-columns][data-messages]
 * [data-shown], .who[data-name] (a column), details.msg[data-from]
 * [data-to][data-index] (an arrow).
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


enum {
	COLW = 170,                     /* px per column (the CSS knows it)  */
	LADDER_HEAD = 300,
	LADDER_TAIL = 60,
	LADDER_COLS = 12,
	LADDER_TAIL_COLS = 4,
};


static const char css[] =
":root{--ink:#1d2430;--mute:#5f6b7a;--line:#dde1e6}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
"'DejaVu Sans',sans-serif;color:var(--ink);background:#f4f6f8}\n"
"header{background:#1d2430;color:#fff;padding:18px 28px}\n"
"header h1{margin:0 0 6px;font-size:21px;font-weight:650}\n"
"header .meta{color:#c9d1dc;font-size:13px}\n"
"header .meta b{color:#fff;font-weight:600}\n"
"header .meta span{margin-right:22px;white-space:nowrap}\n"
".tot{margin-top:10px;font-size:15px}\n"
".tot>span{margin-right:18px}\n"
"main{padding:10px 28px 40px}\n"
"h2{font-size:17px;margin:22px 0 8px}\n"
"a{color:#1565c0;text-decoration:none}a:hover{text-decoration:underline}\n"
".mono,pre,code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,"
"Consolas,monospace}\n"
"table.rules{border-collapse:collapse;background:#fff;border:1px solid "
"var(--line);width:100%}\n"
"table.rules th,table.rules td{padding:3px 10px;border-bottom:1px solid "
"#eceff2;text-align:left;vertical-align:top;font-size:13px}\n"
"table.rules th{background:#eef1f4;font-weight:600}\n"
"table.rules td.id{white-space:nowrap;font-weight:600}\n"
"table.rules td.cond{color:var(--mute)}\n"
".st{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;"
"font-weight:600;white-space:nowrap}\n"
".st.held{background:#d9f2df;color:#1b5e20}\n"
".st.broken{background:#fde0de;color:#b3261e}\n"
".st.inconclusive{background:#fff1c7;color:#7a5b00}\n"
".st.skipped{background:#e6e8eb;color:#4b5560}\n"
".st.not-covered{background:#f0f0f0;color:#8a8f96}\n"
".v{display:inline-block;min-width:44px;text-align:center;font-weight:700;"
"font-size:12px;padding:1px 6px;border-radius:4px;color:#fff}\n"
".v.PASS{background:#2e7d32}.v.FAIL{background:#c62828}"
".v.SKIP{background:#78828c}.v.ERROR{background:#6a1b9a}\n"
"section.sc{background:#fff;border:1px solid var(--line);border-radius:6px;"
"margin:10px 0}\n"
"section.sc.FAIL{border-color:#e5a3a0}\n"
"details.scd>summary{padding:9px 14px;cursor:pointer;font-weight:600;"
"display:flex;gap:10px;align-items:baseline;list-style:none}\n"
"details.scd>summary::-webkit-details-marker{display:none}\n"
"details.scd>summary::before{content:'\\25B8';color:var(--mute);"
"width:10px}\n"
"details.scd[open]>summary::before{content:'\\25BE'}\n"
"details.scd>summary .nm{flex:1 1 auto}\n"
"details.scd>summary .file{color:var(--mute);font-weight:400;"
"margin-left:8px}\n"
"details.scd>summary .time{color:var(--mute);font-weight:400;"
"white-space:nowrap}\n"
".body{padding:0 14px 12px}\n"
".desc{color:var(--mute);margin:2px 0 8px}\n"
".facts span{margin-right:18px;font-size:13px;color:var(--mute)}\n"
".facts b{color:var(--ink);font-weight:600}\n"
".failbox{border-left:5px solid #c62828;background:#fdecea;padding:8px "
"12px;margin:10px 0;color:#5f1313}\n"
".failbox table{border-collapse:collapse;margin:6px 0}\n"
".failbox th{text-align:left;padding:2px 12px 2px 0;color:#5f1313;"
"vertical-align:top}\n"
".failbox td{padding:2px 0}\n"
".failbox .exp{color:#1b5e20;font-weight:600}\n"
".failbox .act{color:#b3261e;font-weight:700}\n"
".failbox .why{font-size:12px;color:#7f3b3b}\n"
".skipbox{border-left:5px solid #78828c;background:#f1f3f5;padding:6px "
"12px;margin:10px 0}\n"
".media{border-collapse:collapse;margin:6px 0;font-size:12px}\n"
".media td,.media th{border-bottom:1px solid #e6e9ed;padding:3px 8px;"
"text-align:left;vertical-align:middle;white-space:nowrap}\n"
".media tr.oneway td{background:#fdecea}\n"
".media b.oneway{color:#b3261e}\n"
".media audio{height:28px;vertical-align:middle}\n"
".media svg.wave{vertical-align:middle;margin-left:6px}\n"
".media svg.wave path{stroke:#3a6ea5;stroke-width:1}\n"
".ladder{margin:10px 0 4px;overflow-x:auto;border:1px solid #e6e9ed;"
"border-radius:4px;background:#fcfdfe;padding-bottom:6px}\n"
".lrow{display:flex;align-items:stretch}\n"
".tcol{flex:0 0 104px;font:12px/1.25 ui-monospace,'DejaVu Sans Mono',"
"monospace;color:var(--mute);text-align:right;padding:5px 10px 0 0}\n"
".tcol small{display:block;color:#8a94a0}\n"
".lane{position:relative;flex:0 0 auto;min-height:36px;background:"
"repeating-linear-gradient(90deg,transparent 0 84px,#a9b2bc 84px 86px,"
"transparent 86px 170px)}\n"
".lhead{position:sticky;top:0;z-index:2;background:#fcfdfe}\n"
".lhead .lane{height:50px;background:none}\n"
".who{position:absolute;top:6px;width:158px;margin-left:6px;text-align:"
"center;background:#1d2430;color:#fff;border-radius:4px;padding:3px 4px;"
"font-size:13px;font-weight:600;overflow:hidden;white-space:nowrap;"
"text-overflow:ellipsis}\n"
".who.reg{background:#37474f}\n"
".who.oth{background:#fff;color:var(--ink);border:1px dashed #7d8793}\n"
".who.oth small{color:var(--mute)}\n"
".who small{display:block;font-weight:400;font-size:10.5px;color:#c9d1dc}\n"
"details.msg>summary{list-style:none;cursor:pointer}\n"
"details.msg>summary::-webkit-details-marker{display:none}\n"
"details.msg>summary:hover{background:#eef4fb}\n"
"details.msg.fl>summary{background:#fdecea}\n"
"details.msg.fl>summary:hover{background:#f9dad6}\n"
".arr{position:absolute;top:24px;height:0;border-top:2px solid "
"currentColor}\n"
".arr::after{content:'';position:absolute;top:-7px;border:6px solid "
"transparent}\n"
".arr.r::after{right:-2px;border-left:11px solid currentColor;"
"border-right:0}\n"
".arr.l::after{left:-2px;border-right:11px solid currentColor;"
"border-left:0}\n"
".arr .lbl{position:absolute;bottom:3px;left:6px;min-width:calc(100% - "
"12px);text-align:center;white-space:nowrap;font-size:12px;"
"font-weight:600}\n"
".arr.far .lbl{left:20px;min-width:0;text-align:left}\n"
".arr .lbl i{font-style:normal;font-weight:400;opacity:.8}\n"
".req{color:#1565c0}.s1{color:#616161}.s2{color:#2e7d32}"
".s3{color:#8d6e00}.s4,.s5,.s6{color:#c62828}\n"
".rt{opacity:.55}\n"
".mtext{margin:2px 0 8px 104px;border-left:3px solid #a9b2bc;padding:4px "
"10px;background:#f7f9fb;max-width:1100px}\n"
".mtext .mhd{font-size:12px;color:var(--mute);margin-bottom:4px}\n"
".mtext pre{margin:0;font-size:12px;white-space:pre-wrap;"
"word-break:break-all}\n"
".gap{margin:6px 0 6px 104px;padding:4px 10px;color:#7a5b00;"
"background:#fff8e1;border:1px dashed #e0c46c;font-size:13px;"
"max-width:900px}\n"
".x{background:#ffd54f;color:#000;border-radius:2px}\n"
"details.steps{margin-top:8px}\n"
"details.steps>summary{cursor:pointer;color:var(--mute);font-size:13px}\n"
"table.st{border-collapse:collapse;font-size:12px;margin-top:4px}\n"
"table.st td,table.st th{padding:1px 10px 1px 0;text-align:left}\n"
"tr.FAIL td{color:#b3261e;font-weight:600}\n"
".tools{margin:14px 0 0}\n"
"body.only #rule-block,body.only .tools,body.only section.sc:not(.focus)"
"{display:none}\n"
".tools button{font:inherit;font-size:13px;padding:3px 10px;"
"margin-right:6px;border:1px solid #b7c0ca;background:#fff;"
"border-radius:4px;cursor:pointer}\n";


/*
 * #sc-N opens scenario N and scrolls to it; #only=sc-N shows only it (a
 * link for a ticket; headless screenshots, which render no scrolled
 * page); #all opens every scenario
 */
static const char script[] =
"function setAll(o){document.querySelectorAll('details.scd')"
".forEach(function(d){d.open=o;});}\n"
"function openTarget(){var h=decodeURIComponent(location.hash.slice(1)),"
"b=document.body,only=h.indexOf('only=')===0,e,d;"
"b.classList.remove('only');document.querySelectorAll('.focus')"
".forEach(function(x){x.classList.remove('focus');});"
"if(only)h=h.slice(5);if(!h)return;"
"if(h==='all'){setAll(true);return;}"
"e=document.getElementById(h);if(!e)return;"
"d=e.querySelector('details.scd');if(d)d.open=true;"
"if(only){b.classList.add('only');e.classList.add('focus');"
"window.scrollTo(0,0);}else e.scrollIntoView();}\n"
"window.addEventListener('hashchange',openTarget);openTarget();\n";


static const char *status_class(enum rule_status st)
{
	return st == RULE_ST_NOT_COVERED ? "not-covered" :
		report_rule_status_name(st);
}


static int h(struct re_printf *pf, const char *s)
{
	return report_html_str(pf, s);
}


static int dur(struct re_printf *pf, uint64_t ms)
{
	if (ms < 1000)
		return re_hprintf(pf, "%llu ms", (unsigned long long)ms);

	return re_hprintf(pf, "%.2f s", (double)ms / 1000);
}


static int head(struct re_printf *pf, const struct report_run *run,
		const struct report_totals *t, const unsigned *countv)
{
	int err = 0;

	err |= re_hprintf(pf, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			  "<meta charset=\"utf-8\">\n"
			  "<meta name=\"viewport\" content=\"width=device-"
			  "width,initial-scale=1\">\n"
			  "<title>sipconform report: %u passed, %u failed"
			  "</title>\n<style>\n%s</style>\n</head>\n<body>\n",
			  t->passed, t->failed + t->errors, css);

	err |= re_hprintf(pf, "<header>\n<h1>sipconform conformance report"
			  "</h1>\n<div class=\"meta\">");
	err |= re_hprintf(pf, "<span>tool <b>sipconform ");
	err |= h(pf, run->version);
	err |= re_hprintf(pf, "</b></span><span>profile <b>");
	err |= h(pf, run->profile);
	err |= re_hprintf(pf, "</b></span><span>target <b>");
	err |= h(pf, run->target);
	err |= re_hprintf(pf, "</b></span><span>started <b>");
	err |= report_iso_time(pf, run->started_us);
	err |= re_hprintf(pf, "</b></span><span>finished <b>");
	err |= report_iso_time(pf, run->finished_us);
	err |= re_hprintf(pf, "</b></span>");
	if (run->filter) {
		err |= re_hprintf(pf, "<span>filter <b>");
		err |= h(pf, run->filter);
		err |= re_hprintf(pf, "</b></span>");
	}
	/* a phone run counts the pack's rules, not the registrar's */
	if (run->guide)
		return err | re_hprintf(pf, "</div>\n") |
			report_guide_head_html(pf, run) |
			re_hprintf(pf, "</header>\n");
	err |= re_hprintf(pf, "</div>\n<div class=\"tot\">"
			  "<span><span class=\"v PASS\">%u</span> passed</span>"
			  "<span><span class=\"v FAIL\">%u</span> failed</span>"
			  "<span><span class=\"v SKIP\">%u</span> skipped"
			  "</span>", t->passed, t->failed, t->skipped);
	if (t->errors)
		err |= re_hprintf(pf, "<span><span class=\"v ERROR\">%u"
				  "</span> infrastructure errors</span>",
				  t->errors);
	err |= re_hprintf(pf, "<span>%u scenarios, %zu SIP messages</span>"
			  "</div>\n", t->scenarios, t->messages);
	err |= re_hprintf(pf, "<div class=\"tot\" id=\"rule-totals\">"
			  "Rules: ");
	for (int s = 0; s <= RULE_ST_NOT_COVERED; s++)
		err |= re_hprintf(pf, "<span><span class=\"st %s\">%u %s"
				  "</span></span>",
				  status_class((enum rule_status)s),
				  countv[s],
				  report_rule_status_name(
					  (enum rule_status)s));
	err |= re_hprintf(pf, "<span>of %d rules</span></div>\n</header>\n",
			  RULE_COUNT);

	return err;
}


static int rule_row(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, int i)
{
	int err = 0;

	(void)w;
	(void)i;

	err |= re_hprintf(pf, "<tr data-rule=\"");
	err |= h(pf, rt->rule->name);
	err |= re_hprintf(pf, "\" data-status=\"%s\"><td class=\"id\">",
			  status_class(rt->status));
	err |= h(pf, rt->rule->name);
	err |= re_hprintf(pf, "</td><td><span class=\"st %s\">%s"
			  "</span></td><td>",
			  status_class(rt->status),
			  report_rule_status_name(rt->status));

	return err;
}


static int rule_scenario(struct re_printf *pf, const struct report_walk *w,
			 const struct rule_tally *rt,
			 const struct report_entry *e, size_t idx, bool first)
{
	enum verdict v = report_entry_verdict(e);
	int err = 0;

	(void)w;
	(void)rt;

	err |= re_hprintf(pf, "%s<a href=\"#sc-%zu\" title=\"",
			  first ? "" : "<br>", idx);
	err |= h(pf, e->sc->name);
	err |= re_hprintf(pf, "\"><span class=\"v %s\">%s</span> ",
			  verdict_name(v), verdict_name(v));
	err |= h(pf, e->sc->file);
	err |= re_hprintf(pf, "</a>");

	return err;
}


static int rule_end(struct re_printf *pf, const struct report_walk *w,
		    const struct rule_tally *rt, bool any)
{
	int err = 0;

	(void)w;

	if (!any)
		err |= re_hprintf(pf, "&mdash;");

	err |= re_hprintf(pf, "</td><td>");
	err |= h(pf, rt->rule->basis);
	err |= re_hprintf(pf, "</td><td class=\"cond\">");
	err |= h(pf, rt->rule->condition);
	err |= re_hprintf(pf, "</td></tr>\n");

	return err;
}


static int failbox(struct re_printf *pf, const struct report_failure *f)
{
	const struct report_entry *e = f->e;
	const struct run_result *res = f->res;
	const struct rule *ru = f->rule;
	const char *kind = f->step;
	int err = 0;

	err |= re_hprintf(pf, "<div class=\"failbox\"><b>Failed at ");
	err |= h(pf, e->sc->file);
	err |= re_hprintf(pf, ":%u", res->line);
	if (kind[0]) {
		err |= re_hprintf(pf, " (");
		err |= h(pf, kind);
		err |= re_hprintf(pf, ")");
	}
	err |= re_hprintf(pf, "</b> &mdash; breaks <b>");
	err |= h(pf, res->rule ? res->rule : "(no rule named)");
	err |= re_hprintf(pf, "</b>");
	if (ru) {
		err |= re_hprintf(pf, ": ");
		err |= h(pf, ru->condition);
	}

	if (f->split) {
		err |= re_hprintf(pf, "<table>");
		if (f->subject[0]) {
			err |= re_hprintf(pf, "<tr><th>Subject</th><td>");
			err |= h(pf, f->subject);
			err |= re_hprintf(pf, "</td></tr>");
		}
		err |= re_hprintf(pf, "<tr><th>Expected</th>"
				  "<td class=\"exp\">");
		err |= h(pf, f->expected);
		err |= re_hprintf(pf, "</td></tr><tr><th>Actual</th>"
				  "<td class=\"act\">");
		err |= h(pf, f->actual);
		err |= re_hprintf(pf, "</td></tr></table>");
	}
	else {
		err |= re_hprintf(pf, "<br>");
	}
	err |= re_hprintf(pf, "<div class=\"why\">");
	err |= h(pf, res->why);
	err |= re_hprintf(pf, "</div></div>\n");

	return err;
}


static const char *msg_class(const struct run_msg *m)
{
	unsigned code;

	if (m->from_phone)
		return "req";

	code = m->summary ? (unsigned)(m->summary[0] - '0') : 0;
	switch (code) {

	case 1: return "s1";
	case 2: return "s2";
	case 3: return "s3";
	case 4: return "s4";
	case 5: return "s5";
	case 6: return "s6";
	default: return "req";
	}
}


static int who(struct re_printf *pf, size_t col, const char *name,
	       const struct sa *addr, const char *tp, const char *cls)
{
	int err = 0;

	err |= re_hprintf(pf, "<span class=\"who %s\" data-name=\"", cls);
	err |= h(pf, name);
	err |= re_hprintf(pf, "\" style=\"left:%zupx\" title=\"", col * COLW);
	err |= h(pf, name);
	err |= re_hprintf(pf, "\">");
	err |= h(pf, name);
	err |= re_hprintf(pf, "<small>");
	if (addr && sa_isset(addr, SA_ALL))
		err |= re_hprintf(pf, "%J ", addr);
	if (tp)
		err |= re_hprintf(pf, "%s", tp);
	else if (!addr)
		err |= re_hprintf(pf, "&nbsp;");
	err |= re_hprintf(pf, "</small></span>");

	return err;
}


static int message(struct re_printf *pf, const struct report_entry *e,
		   const struct ladder *l, size_t i)
{
	const struct run_result *res = e->res;
	const struct run_msg *m = &res->msgv[l->idxv[i]];
	size_t col = l->colofv[i];
	size_t from = m->from_phone ? col : 0, to = m->from_phone ? 0 : col;
	size_t lo = from < to ? from : to, hi = from < to ? to : from;
	uint64_t rel = m->wall_us > res->wall_start_us ?
		m->wall_us - res->wall_start_us : 0;
	bool failing = res->verdict == VERDICT_FAIL && res->line &&
		m->line == res->line;
	const char *phone = m->phone ? m->phone : "?";
	int err = 0;

	err |= re_hprintf(pf, "<details class=\"msg%s\" data-index=\"%zu\" "
			  "data-from=\"", failing ? " fl" : "", l->idxv[i]);
	err |= h(pf, m->from_phone ? phone : "registrar");
	err |= re_hprintf(pf, "\" data-to=\"");
	err |= h(pf, m->from_phone ? "registrar" : phone);
	err |= re_hprintf(pf, "\" data-phone=\"");
	err |= h(pf, phone);
	err |= re_hprintf(pf, "\"><summary class=\"lrow\">"
			  "<span class=\"tcol\">+%.3f s<small>virtual %llu s"
			  "</small></span>", (double)rel / 1e6,
			  (unsigned long long)m->virtual_ms / 1000);
	err |= re_hprintf(pf, "<span class=\"lane\" style=\"width:%zupx\">",
			  (ladder_ncols(l) + 1) * COLW);

	if (lo == hi) {
		/* a message without a column: drawn as a mark */
		err |= re_hprintf(pf, "<span class=\"arr %s\" style=\"left:"
				  "%zupx;width:20px\">", msg_class(m),
				  lo * COLW + COLW / 2);
	}
	else {
		/* a long arrow's label sits near the registrar, in view */
		err |= re_hprintf(pf, "<span class=\"arr %s %s%s%s\" style=\""
				  "left:%zupx;width:%zupx\">",
				  from < to ? "r" : "l", msg_class(m),
				  m->retrans ? " rt" : "",
				  hi - lo > 4 ? " far" : "",
				  lo * COLW + COLW / 2, (hi - lo) * COLW);
	}
	err |= re_hprintf(pf, "<span class=\"lbl\" title=\"");
	err |= h(pf, m->summary);
	if (m->rule[0]) {
		err |= re_hprintf(pf, " (registrar rule ");
		err |= h(pf, m->rule);
		err |= re_hprintf(pf, ")");
	}
	err |= re_hprintf(pf, "\">");
	if ((l->others && col == l->colc + 1) || hi - lo > 4) {
		err |= h(pf, phone);
		err |= re_hprintf(pf, ": ");
	}
	err |= h(pf, m->summary ? m->summary : "?");
	if (m->rule[0]) {
		err |= re_hprintf(pf, " <i>&middot; ");
		err |= h(pf, m->rule);
		err |= re_hprintf(pf, "</i>");
	}
	if (m->retrans)
		err |= re_hprintf(pf, " <i>(retransmission)</i>");
	err |= re_hprintf(pf, "</span></span></span></summary>\n");

	err |= re_hprintf(pf, "<div class=\"mtext\"><div class=\"mhd\">#%zu "
			  "&middot; ", l->idxv[i]);
	err |= h(pf, m->from_phone ? phone : "registrar");
	err |= re_hprintf(pf, " %J &rarr; ", &m->src);
	err |= h(pf, m->from_phone ? "registrar" : phone);
	err |= re_hprintf(pf, " %J &middot; %s &middot; step line %u "
			  "&middot; ", &m->dst, report_tp_ladder(m->tp),
			  m->line);
	err |= report_iso_time(pf, m->wall_us);
	err |= re_hprintf(pf, " &middot; virtual +%llu ms",
			  (unsigned long long)m->virtual_ms);
	if (m->rule[0]) {
		err |= re_hprintf(pf, " &middot; registrar rule <b>");
		err |= h(pf, m->rule);
		err |= re_hprintf(pf, "</b>");
	}
	err |= re_hprintf(pf, "</div><pre>");
	err |= h(pf, m->text);
	err |= re_hprintf(pf, "</pre></div></details>\n");

	return err;
}


static int ladder(struct re_printf *pf, const struct report_entry *e)
{
	static const struct ladder_limits lim = {
		LADDER_HEAD, LADDER_TAIL, LADDER_COLS, LADDER_TAIL_COLS, 0
	};
	const struct run_result *res = e->res;
	const struct sa *reg_addr = NULL;
	struct ladder l;
	int err = 0;

	if (!res)
		return 0;

	err = ladder_build(&l, e->sc, res, &lim);
	if (err)
		return err;

	for (size_t i = 0; i < res->msgc && !reg_addr; i++) {
		if (res->msgv[i].from_phone)
			reg_addr = &res->msgv[i].dst;
	}

	err |= re_hprintf(pf, "<div class=\"ladder\" data-scenario=\"");
	err |= h(pf, e->sc->file);
	err |= re_hprintf(pf, "\" data-columns=\"%zu\" data-messages=\"%zu\" "
			  "data-shown=\"%zu\" data-left-out=\"%zu\">\n",
			  ladder_ncols(&l) + 1, res->msgc, l.idxc, l.left_out);

	/* the column heads */
	err |= re_hprintf(pf, "<div class=\"lrow lhead\"><span class=\"tcol\">"
			  "time<small>real / virtual</small></span>"
			  "<span class=\"lane\" style=\"width:%zupx\">",
			  (ladder_ncols(&l) + 1) * COLW);
	err |= who(pf, 0, "registrar", reg_addr, NULL, "reg");
	for (size_t k = 0; k < l.colc; k++) {
		const struct sa *addr = NULL;
		const char *tp = NULL;

		const struct sc_phone *sp = report_phone(e->sc, l.colv[k]);

		for (size_t i = 0; i < l.idxc && !addr; i++) {
			const struct run_msg *m = &res->msgv[l.idxv[i]];

			if (l.colofv[i] != k + 1)
				continue;
			addr = m->from_phone ? &m->src : &m->dst;
			tp = report_tp_name(m->tp);
		}
		if (sp)
			tp = report_tp_name(sp->conf.tp);
		err |= who(pf, k + 1, l.colv[k], addr, tp, "ph");
	}
	if (l.others) {
		char n[48];

		(void)re_snprintf(n, sizeof(n), "%zu more phones",
				  l.others_phones);
		err |= who(pf, l.colc + 1, "other phones", NULL, n, "oth");
	}
	err |= re_hprintf(pf, "</span></div>\n");

	if (!l.idxc)
		err |= re_hprintf(pf, "<div class=\"gap\">No SIP messages."
				  "</div>\n");

	for (size_t i = 0; i < l.idxc && !err; i++) {
		if (i == l.gap_at)
			err |= re_hprintf(pf, "<div class=\"gap\">&hellip; %zu "
					  "message(s) left out here: "
					  "results.json and trace.pcap have "
					  "every message &hellip;</div>\n",
					  l.left_out);
		err |= message(pf, e, &l, i);
	}

	if (l.left_out && l.gap_at == SIZE_MAX)
		err |= re_hprintf(pf, "<div class=\"gap\">&hellip; %zu more "
				  "message(s) left out: results.json and "
				  "trace.pcap have every message</div>\n",
				  l.left_out);
	if (res->msgs_dropped)
		err |= re_hprintf(pf, "<div class=\"gap\">%zu message(s) "
				  "beyond the recording cap were not kept"
				  "</div>\n", res->msgs_dropped);

	err |= re_hprintf(pf, "</div>\n");

	ladder_reset(&l);

	return err;
}


static int steps(struct re_printf *pf, const struct run_result *res)
{
	int err = 0;

	if (!res || !res->stepc)
		return 0;

	err |= re_hprintf(pf, "<details class=\"steps\"><summary>Steps run "
			  "(%zu)</summary><table class=\"st\"><tr><th>line"
			  "</th><th>step</th><th>verdict</th><th>start</th>"
			  "<th>real</th><th>virtual at start</th></tr>\n",
			  res->stepc);

	for (size_t i = 0; i < res->stepc && !err; i++) {
		const struct run_step *st = &res->stepv[i];

		err |= re_hprintf(pf, "<tr class=\"%s\"><td>%u</td><td>",
				  verdict_name(st->verdict), st->line);
		err |= h(pf, st->kind);
		err |= re_hprintf(pf, "</td><td>%s</td><td>+%llu ms</td>"
				  "<td>%llu ms</td><td>%llu ms</td></tr>\n",
				  verdict_name(st->verdict),
				  (unsigned long long)st->start_ms,
				  (unsigned long long)st->real_ms,
				  (unsigned long long)st->virtual_ms);
	}

	return err | re_hprintf(pf, "</table></details>\n");
}


static int scenario(struct re_printf *pf, const struct report_walk *w,
		    const struct report_entry *e, size_t idx, enum verdict v,
		    const struct report_failure *f)
{
	const struct report_run *run = w->run;
	const struct rule_tally *tv = w->tv;
	const struct scenario *sc = e->sc;
	const struct run_result *res = e->res;
	int err = 0;

	err |= re_hprintf(pf, "<section class=\"sc %s\" id=\"sc-%zu\" "
			  "data-verdict=\"%s\" data-file=\"", verdict_name(v),
			  idx, verdict_name(v));
	err |= h(pf, sc->file);
	err |= re_hprintf(pf, "\">\n<details class=\"scd\"%s><summary>"
			  "<span class=\"v %s\">%s</span> ",
			  v == VERDICT_FAIL || v == VERDICT_ERROR ?
			  " open" : "", verdict_name(v), verdict_name(v));
	err |= re_hprintf(pf, "<span class=\"nm\">");
	err |= h(pf, sc->name);
	err |= re_hprintf(pf, "<span class=\"file\">");
	err |= h(pf, sc->file);
	err |= re_hprintf(pf, "</span></span>");
	if (res) {
		err |= re_hprintf(pf, "<span class=\"time\">");
		err |= dur(pf, res->real_ms);
		if (res->virtual_ms > res->real_ms + 1000)
			err |= re_hprintf(pf, ", %llu s virtual",
					  (unsigned long long)
					  res->virtual_ms / 1000);
		err |= re_hprintf(pf, " &middot; %zu messages</span>",
				  res->msgc);
	}
	err |= re_hprintf(pf, "</summary>\n<div class=\"body\">\n");

	if (sc->description) {
		err |= re_hprintf(pf, "<div class=\"desc\">");
		err |= h(pf, sc->description);
		err |= re_hprintf(pf, "</div>\n");
	}

	err |= re_hprintf(pf, "<div class=\"facts\"><span>rules ");
	for (size_t i = 0; i < sc->rulec; i++) {
		const struct rule *ru = rule_find(sc->rulev[i]);
		enum rule_status st = ru ? tv[ru->id].status :
			RULE_ST_NOT_COVERED;

		err |= re_hprintf(pf, "<span class=\"st %s\" title=\"%s\">",
				  status_class(st),
				  report_rule_status_name(st));
		err |= h(pf, sc->rulev[i]);
		err |= re_hprintf(pf, "</span> ");
	}
	err |= re_hprintf(pf, "</span><span>profile <b>");
	err |= h(pf, report_scenario_profile(run, sc));
	err |= re_hprintf(pf, "</b></span><span>phones <b>%zu</b></span>",
			  sc->phonec);
	if (res) {
		err |= re_hprintf(pf, "<span>started <b>");
		err |= report_iso_time(pf, res->wall_start_us);
		err |= re_hprintf(pf, "</b></span><span>real <b>");
		err |= dur(pf, res->real_ms);
		err |= re_hprintf(pf, "</b></span><span>virtual <b>");
		err |= dur(pf, res->virtual_ms);
		err |= re_hprintf(pf, "</b></span>");
		if (res->unchecked)
			err |= re_hprintf(pf, "<span><b>%u</b> state check(s)"
					  " not evaluated</span>",
					  res->unchecked);
	}
	err |= re_hprintf(pf, "</div>\n");

	if (f)
		err |= failbox(pf, f);
	else if (v != VERDICT_PASS) {
		err |= re_hprintf(pf, "<div class=\"skipbox\"><b>%s</b>: ",
				  v == VERDICT_SKIP ? "Skipped" :
				  "Infrastructure error");
		err |= h(pf, res && res->why ? res->why :
			 "the runner could not run it");
		err |= re_hprintf(pf, "</div>\n");
	}

	err |= ladder(pf, e);
	err |= report_media_html(pf, res);
	err |= steps(pf, res);

	return err | re_hprintf(pf, "</div>\n</details>\n</section>\n");
}


/* a row of the protocol checker's table */
static int finding(struct re_printf *pf, const struct report_walk *w,
		   const struct report_entry *e, size_t idx,
		   const struct run_finding *rf, bool first)
{
	int err = 0;

	(void)w;

	if (first)
		err |= re_hprintf(pf, "<table class=\"rules\">\n<tr><th>Level"
				  "</th><th>Row</th><th>Against</th><th>Where"
				  "</th><th>Expected</th><th>Actual</th></tr>"
				  "\n");
	err |= re_hprintf(pf, "<tr class=\"%s\"><td>%s</td><td>",
			  rf->fails ? "fail" : "skip",
			  report_finding_level(rf));
	err |= h(pf, rf->row ? rf->row->id : "?");
	if (rf->row) {
		err |= re_hprintf(pf, "<br><small>");
		err |= h(pf, rf->row->ref);
		err |= re_hprintf(pf, "</small>");
	}
	err |= re_hprintf(pf, "</td><td>%s: ", report_finding_role(rf));
	err |= h(pf, rf->element);
	err |= re_hprintf(pf, "</td><td><a href=\"#sc-%zu\">", idx);
	err |= h(pf, rf->where && *rf->where ? rf->where : e->sc->file);
	err |= re_hprintf(pf, "</a></td><td>");
	err |= h(pf, rf->expected);
	err |= re_hprintf(pf, "</td><td>");
	err |= h(pf, rf->actual);
	err |= re_hprintf(pf, "</td></tr>\n");

	return err;
}


static const struct report_visitor visitor = {
	.rule          = rule_row,
	.rule_scenario = rule_scenario,
	.rule_end      = rule_end,
	.scenario      = scenario,
	.finding       = finding,
};


int report_html(struct re_printf *pf, const struct report_run *run)
{
	struct report_walk w;
	int err = 0;

	if (!pf || !run)
		return EINVAL;

	report_walk_init(&w, run);

	err |= head(pf, run, &w.totals, w.countv);
	err |= re_hprintf(pf, "<main>\n");
	/* harness phone: the configuration-guide section (guide.h) */
	if (run->guide)
		err |= report_guide_html(pf, run);
	else {  /* a phone run cites no registrar rule */
		err |= re_hprintf(pf, "<div id=\"rule-block\">\n"
				  "<h2 id=\"rules\">Summary by rule</h2>\n"
				  "<table class=\"rules\">\n<tr><th>Rule</th>"
				  "<th>Status</th><th>Scenarios</th>"
				  "<th>Basis</th><th>Condition</th></tr>\n");
		err |= report_walk_rules(pf, &w, false, &visitor);
		err |= re_hprintf(pf, "</table>\n</div>\n");
	}

	err |= re_hprintf(pf, "<h2 id=\"scenarios\">Scenarios</h2>\n"
			  "<div class=\"tools\"><button type=\"button\" "
			  "onclick=\"setAll(true)\">Open all</button>"
			  "<button type=\"button\" onclick=\"setAll(false)\">"
			  "Close all</button> <span class=\"facts\"><span>"
			  "Click a message for its full text.</span></span>"
			  "</div>\n");
	if (!err)
		err |= report_walk_scenarios(pf, &w, &visitor);

	/* the protocol checker (docs/rules/rfc-checklist.md, T-* rows) */
	err |= re_hprintf(pf, "<h2 id=\"protocol\">Protocol checker</h2>\n"
			  "<p>%zu SIP messages checked on the wire, %zu "
			  "findings (%zu failing their scenario).</p>\n",
			  w.wire_msgs, w.findings, w.findings_failing);
	if (!err) {
		size_t n = 0;

		err |= report_walk_findings(pf, &w, &visitor, &n);
		if (n)
			err |= re_hprintf(pf, "</table>\n");
	}

	err |= re_hprintf(pf, "</main>\n<script>\n%s</script>\n</body>\n"
			  "</html>\n", script);

	return err;
}
