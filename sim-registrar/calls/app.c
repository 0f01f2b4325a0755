/**
 * @file calls/app.c  The voice application's run for a call: its TwiML
 * (parsed by twiml.c) expanded, then verb by verb on the virtual clock
 * (Say, Pause, Hangup, Reject, Dial).
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "twiml.h"
#include "calls/calls_priv.h"


/* the application answers (Say, Hangup before an answer) */
static void call_answer_app(struct call *c, const char *what)
{
	char detail[64];

	(void)re_snprintf(detail, sizeof(detail), "answered by the "
			  "application (%s)", what);
	call_answer(c, NULL, RULE_CALL_OUT_3, "application", detail);
}


/* the document ran out, or <Hangup/> */
static void app_end(struct call *c, bool hangup)
{
	if (c->state == CALL_ANSWERED) {
		call_hangup(c, "application");
		return;
	}

	/* a failed Dial is the call's answer, unless <Hangup/> says so */
	if (c->dial_scode && !hangup) {
		call_fail(c, c->dial_rule, c->dial_scode, c->dial_reason,
			  "the application ended after the Dial failed");
		return;
	}

	/* Twilio answers a call that the document hangs up on */
	call_answer_app(c, hangup ? "Hangup" : "end of document");
	call_hangup(c, "application");
}


void app_next(void *arg)
{
	struct call *c = arg;
	const struct twiml_verb *v;

	if (c->state == CALL_ENDED || !c->doc)
		return;

	if (c->pc >= c->doc->verbc) {
		app_end(c, false);
		return;
	}

	v = &c->doc->verbv[c->pc++];

	switch (v->kind) {

	case TWIML_SAY:
		if (c->state != CALL_ANSWERED)
			call_answer_app(c, "Say");
		vtimer_start(&c->vt, (uint64_t)
			     c->cs->base.cfg->profile.say_seconds * 1000,
			     app_next, c);
		break;

	case TWIML_PAUSE:
		vtimer_start(&c->vt, (uint64_t)v->seconds * 1000, app_next,
			     c);
		break;

	case TWIML_HANGUP:
		app_end(c, true);
		break;

	case TWIML_REJECT:
		if (c->state == CALL_ANSWERED) {
			call_hangup(c, "application");
			break;
		}
		call_fail(c, RULE_CALL_OUT_3, v->busy ? 486 : 603,
			  v->busy ? "Busy Here" : "Decline",
			  v->busy ? "<Reject reason=\"busy\"/>" : "<Reject/>");
		break;

	case TWIML_DIAL:
		c->dial_scode = 0;
		dial_start(c, v);
		break;
	}
}


/* expand the application's templates, parse, run the first verb */
void app_start(void *arg)
{
	struct call *c = arg;
	const struct twiml_vars vars = {c->to, c->from};
	char *text = NULL;
	char msg[256];
	int err;

	if (!c->app) {
		call_fail(c, RULE_CALL_OUT_3, 503, "Service Unavailable",
			  "no voice application");
		return;
	}

	err = twiml_expand(&text, c->app->twiml, &vars, msg, sizeof(msg));
	if (err == EDOM) {
		call_fail(c, RULE_CALL_OUT_4, 0, NULL, msg);
		return;
	}
	if (!err)
		err = twiml_parse(&c->doc, text, strlen(text), msg,
				  sizeof(msg));
	mem_deref(text);
	if (err) {
		call_fail(c, RULE_COUNT, 500, "Server Internal Error", msg);
		return;
	}

	c->pc = 0;
	app_next(c);
}
