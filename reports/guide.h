/**
 * @file guide.h  The configuration-guide section of a phone-under-test
 * run (`harness phone`): what the phone was seen to do (registrar host,
 * transport, username, expiry, refresh interval, rport, User-Agent,
 * codecs) and every P-* rule of docs/rules/phone.md with its
 * verdict (FAIL, WARN, INFO, PASS, SKIP), what was observed and, for a
 * FAIL or WARN, the setting to change.
 *
 * report_run.guide points at one (NULL for `harness run`); each writer
 * adds the section: report.md and report.html a "Configuration guide",
 * results.json a "phone_guide" object, junit.xml a property per rule's
 * testsuite (sipconform.phone.verdict, .observed, .advice).
 */

#ifndef SIPCONFORM_GUIDE_H
#define SIPCONFORM_GUIDE_H

#include <stdbool.h>
#include <stddef.h>

struct re_printf;
struct report_run;
struct report_entry;

struct report_guide_fact {
	const char *name;               /* "Registrar host used"            */
	const char *value;              /* "example.sip.us1.twilio.com"     */
};

struct report_guide_rule {
	const char *rule;               /* "P-REG-REFRESH"                  */
	const char *level;              /* FAIL, WARN, INFO, PASS, SKIP     */
	const char *what;               /* what the rule judges             */
	const char *observed;           /* what the phone did ("": nothing) */
	const char *why;                /* the judgement                    */
	const char *setting;            /* the row's guide setting; NULL    */
	const char *advice;             /* FAIL/WARN: what to change; ""    */
	size_t entry;                   /* its report_entry; SIZE_MAX none  */
	bool person;                    /* SKIP for want of a person: the
					   guide lists it as still to judge  */
};

struct report_guide {
	const char *aor;                /* "alice@example.sip.us1..."       */
	const char *phone;              /* its User-Agent, or "unknown"     */
	const char *summary;            /* one line: does it work?          */
	const struct report_guide_fact *factv;
	size_t factc;
	const struct report_guide_rule *rulev;
	size_t rulec;
};

/*
 * A phone run's counts: the pack's rules by verdict (WARN is not a pass,
 * INFO is counted apart); the registrar's rules are not the run's.
 */
struct report_guide_totals {
	unsigned rules;                 /* the pack's rules judged          */
	unsigned pass, warn, info, fail, skip;
};

void report_guide_totals(struct report_guide_totals *t,
			 const struct report_guide *g);
/* how many rules are still for a person (SKIP for want of one) */
unsigned report_guide_persons(const struct report_guide *g);
/* the header's result line of a phone run (report.md, report.html) */
int report_guide_head_markdown(struct re_printf *pf,
			       const struct report_run *run);
int report_guide_head_html(struct re_printf *pf,
			   const struct report_run *run);

int report_guide_markdown(struct re_printf *pf, const struct report_run *run);
int report_guide_html(struct re_printf *pf, const struct report_run *run);
/* `,\n "phone_guide":{...}` (nothing without a guide) */
int report_guide_json(struct re_printf *pf, const struct report_run *run);
/* <property> lines for the entry's rule (nothing without a guide) */
int report_guide_junit_props(struct re_printf *pf,
			     const struct report_run *run,
			     const struct report_entry *e);

#endif
