/**
 * @file calls/app.c  The voice application's run for a call: its TwiML
 * (parsed by twiml.c) expanded, then verb by verb on the virtual clock
 * (Say, Play, Pause, Gather, Hangup, Reject, Dial), with what each plays
 * on the caller's leg: Say a tone of SAY_HZ for say_seconds, Play a WAV
 * file, Pause silence; Gather collects digits (MEDIA-DTMF-1).
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "twiml.h"
#include "stream.h"
#include "calls/calls_priv.h"


enum { SAY_HZ = CALLS_SAY_HZ };   /* a row of media_tonev[]; no number's tone */


static void app_run(struct call *c, const struct application_conf *app,
		    const char *digits);


/* the application answers (Say, Hangup before an answer) */
static void call_answer_app(struct call *c, const char *what)
{
	char detail[64];

	(void)re_snprintf(detail, sizeof(detail), "answered by the "
			  "application (%s)", what);
	call_answer(c, RULE_CALL_OUT_3, "application", detail);
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


/* a verb that plays on the caller's leg: Say, Play, Pause */
static void play_verb(struct call *c, const struct twiml_verb *v,
		      vtimer_h *next)
{
	struct media_stream *ms = c->a.ms;
	const struct reg_config *cfg = c->cs->base.cfg;
	const char *file;
	char detail[200];

	switch (v->kind) {

	case TWIML_SAY:
		if (c->state != CALL_ANSWERED)
			call_answer_app(c, "Say");
		if (ms)
			(void)media_stream_tone(ms, SAY_HZ,
						cfg->profile.say_seconds *
						1000, NULL, NULL);
		vtimer_start(&c->vt, (uint64_t)cfg->profile.say_seconds *
			     1000, next, c);
		break;

	case TWIML_PLAY:
		if (c->state != CALL_ANSWERED)
			call_answer_app(c, "Play");
		file = reg_config_play_file(cfg, v->text);
		if (ms && file && !media_stream_wav(ms, file,
						   (media_done_h *)next, c))
			break;
		(void)re_snprintf(detail, sizeof(detail), "<Play> %s: %s",
				  v->text, file ? "the file cannot be "
				  "played" : "no play entry names the URL");
		if (ms || !file)
			call_media_decide(c, RULE_COUNT, detail);
		vtimer_start(&c->vt, 0, next, c);
		break;

	default:   /* TWIML_PAUSE */
		if (ms)
			media_stream_silence(ms);
		vtimer_start(&c->vt, (uint64_t)v->seconds * 1000, next, c);
		break;
	}
}


/* <Gather>: over (digits, finishOnKey, timeout); runs action or goes on */
static void gather_done(struct call *c, const char *why)
{
	const struct twiml_verb *g = c->gather;
	const struct application_conf *app;
	char detail[200], digits[sizeof(c->digits)];

	if (!g)
		return;

	app_stop(c);
	str_ncpy(digits, c->digits, sizeof(digits));

	if (!digits[0] || !g->action) {
		(void)re_snprintf(detail, sizeof(detail), "<Gather> %s: "
				  "digits '%s'; the next verb", why, digits);
		call_media_decide(c, RULE_MEDIA_DTMF_1, detail);
		app_next(c);
		return;
	}

	app = reg_config_app(c->cs->base.cfg, g->action);
	(void)re_snprintf(detail, sizeof(detail), "<Gather> %s: digits '%s' "
			  "-> application '%s'%s", why, digits, g->action,
			  app ? "" : " (no such application: hang up)");
	call_media_decide(c, RULE_MEDIA_DTMF_1, detail);

	if (!app) {
		call_hangup(c, "application");
		return;
	}

	app_run(c, app, digits);
}


static void gather_timeout(void *arg)
{
	gather_done(arg, "timeout");
}


/* the end a digit decided, on the next loop turn: the stream that read
 * the digit may not be freed under it */
static void gather_finish(void *arg)
{
	struct call *c = arg;

	gather_done(c, c->gwhy);
}


static void gather_over(struct call *c, const char *why)
{
	c->gwhy = why;
	vtimer_start(&c->gt, 0, gather_finish, c);
}


static void gather_digit(char digit, bool inband, void *arg)
{
	struct call *c = arg;
	const struct twiml_verb *g = c->gather;
	size_t n = strlen(c->digits);

	(void)inband;

	if (!g || c->gwhy)
		return;

	/* a key stops the prompt (TwiML's barge-in) */
	vtimer_cancel(&c->vt);
	if (c->a.ms)
		media_stream_silence(c->a.ms);
	c->gpc = g->nested ? g->nested->verbc : 0;

	if (g->finish_key && digit == g->finish_key) {
		gather_over(c, "finishOnKey");
		return;
	}

	if (n + 1 < sizeof(c->digits)) {
		c->digits[n] = digit;
		c->digits[n + 1] = '\0';
	}

	if (g->num_digits && strlen(c->digits) >= g->num_digits) {
		gather_over(c, "numDigits");
		return;
	}

	vtimer_start(&c->gt, (uint64_t)g->seconds * 1000, gather_timeout, c);
}


/* the Gather's prompts one by one, then the wait for digits */
static void gather_next(void *arg)
{
	struct call *c = arg;
	const struct twiml_verb *g = c->gather;

	if (!g || c->state == CALL_ENDED)
		return;

	if (g->nested && c->gpc < g->nested->verbc) {
		play_verb(c, &g->nested->verbv[c->gpc++], gather_next);
		return;
	}

	if (c->a.ms)
		media_stream_silence(c->a.ms);
	if (!vtimer_isrunning(&c->gt))
		vtimer_start(&c->gt, (uint64_t)g->seconds * 1000,
			     gather_timeout, c);
}


static void gather_start(struct call *c, const struct twiml_verb *v)
{
	if (c->state != CALL_ANSWERED)
		call_answer_app(c, "Gather");

	c->gather = v;
	c->gwhy = NULL;
	c->gpc = 0;
	c->digits[0] = '\0';
	if (c->a.ms)
		media_rx_set_digith(media_stream_rx(c->a.ms), gather_digit, c);

	gather_next(c);
}


/* no Gather waits any more (it ended, or the call did) */
void app_stop(struct call *c)
{
	vtimer_cancel(&c->gt);
	if (c->gather && c->a.ms)
		media_rx_set_digith(media_stream_rx(c->a.ms), NULL, NULL);
	c->gather = NULL;
	c->gwhy = NULL;
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
	case TWIML_PLAY:
	case TWIML_PAUSE:
		play_verb(c, v, app_next);
		break;

	case TWIML_GATHER:
		gather_start(c, v);
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


/* expand an application's templates, parse, run its first verb */
static void app_run(struct call *c, const struct application_conf *app,
		    const char *digits)
{
	const struct twiml_vars vars = {c->to, c->from, digits};
	struct twiml *doc = NULL;
	char *text = NULL;
	char msg[256];
	int err;

	err = twiml_expand(&text, app->twiml, &vars, msg, sizeof(msg));
	if (err == EDOM) {
		call_fail(c, RULE_CALL_OUT_4, 0, NULL, msg);
		return;
	}
	if (!err)
		err = twiml_parse(&doc, text, strlen(text), msg, sizeof(msg));
	mem_deref(text);
	if (err) {
		call_fail(c, RULE_COUNT, 500, "Server Internal Error", msg);
		return;
	}

	/* a Gather's action replaces the document it was part of */
	mem_deref(c->doc);
	c->doc = doc;
	c->app = app;
	c->pc = 0;
	app_next(c);
}


void app_start(void *arg)
{
	struct call *c = arg;

	if (!c->app) {
		call_fail(c, RULE_CALL_OUT_3, 503, "Service Unavailable",
			  "no voice application");
		return;
	}

	app_run(c, c->app, NULL);
}
