/**
 * @file media.c  The media steps (session.h, judges_media.c): the service
 * calls the phone and plays it the outside caller's tone; a person calls
 * the service's test application (the seed's voice-connectivity test: a
 * <Say>, then a <Gather>) and presses digits; a person holds and resumes
 * a call.  The figures are the service's own, each leg's as
 * sim_registrar_call_info() gives them; kept in pm (with the audio the
 * service heard) for the judges and the report.
 */

#include <string.h>
#include <re.h>
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/session.h"

enum {
	HOLD_SETTLE_MS = 1000,  /* a re-INVITE's answer, the RTP it stops */
	HOLD_COUNT_MS  = 2000,  /* then RTP is counted this long          */
	TEST_CALL_MS   = 30000, /* the test application's call at most    */
};

/* the test application's number, as a person dials it */
static const char test_line[] = "4155550100";
static const char dtmf_digits[] = "123";


/* every call's events: the phone's own call to the test application */
void pm_call_h(const struct call_info *ci, void *arg)
{
	struct pm *pm = arg;

	if (!ci || ci->outside)
		return;

	str_ncpy(pm->out_sid, ci->sid, sizeof(pm->out_sid));
	pm->out_state = ci->state;
	re_cancel();
}


/* the fork's step had auto-answer turned off: on again, for calls that
 * an auto-answering phone is to answer */
static void auto_answer_back(struct pm *pm)
{
	if (!pm->aa_off || !pm->o.auto_answer || !pm->o.operator_ms)
		return;

	pm_say(">>> OPERATOR: turn auto-answer back on (Enter: done; 5 s)\n");
	pm->enter = false;
	(void)pm_wait(pm, NULL, NULL, 5000);
	pm->enter = false;
	pm->aa_off = false;
}


/* the leg's figures and audio, kept (its pcm a copy of our own) */
static void keep(struct pm_media *m, const struct call_leg_media *leg,
		 const char *callid, uint32_t tone_hz)
{
	int16_t *pcm = NULL;

	mem_deref(m->pcm);
	memset(m, 0, sizeof(*m));
	if (!leg || !leg->set)
		return;

	m->leg = *leg;
	m->tone_hz = tone_hz;
	if (callid)
		str_ncpy(m->callid, callid, sizeof(m->callid));
	if (leg->pcm && leg->pcmc)
		pcm = mem_alloc(leg->pcmc * sizeof(*pcm), NULL);
	if (pcm)
		memcpy(pcm, leg->pcm, leg->pcmc * sizeof(*pcm));
	m->pcm = pcm;
	m->leg.pcm = pcm;
	m->leg.pcmc = pcm ? leg->pcmc : 0;
}


void pm_media_free(struct pm *pm)
{
	pm->min.pcm = mem_deref(pm->min.pcm);
	pm->mout.pcm = mem_deref(pm->mout.pcm);
	for (size_t i = 0; i < pm->resc; i++) {
		for (size_t k = 0; k < pm->resv[i].mediac; k++)
			pm->resv[i].mediav[k].pcm =
				mem_deref(pm->resv[i].mediav[k].pcm);
	}
}


/* the service's call to the phone, its leg (the callee's) */
static void keep_in(struct pm *pm, long ci, const char *from)
{
	const struct jcall *c = ci >= 0 ? capture_call(pm->capture,
						       (size_t)ci) : NULL;
	struct call_info info;

	if (!pm->sid[0] || sim_registrar_call_info(pm->sr, pm->sid, &info) ||
	    !c)
		return;

	keep(&pm->min, &info.media[1], c->callid, calls_number_tone(from));
}


/* the phone's call to the test application, its leg (the caller's) */
static void keep_out(struct pm *pm, size_t req_from)
{
	struct call_info info;
	const char *callid = NULL;

	for (size_t k = req_from; k < capture_reqc(pm->capture); k++) {
		if (!strcmp(capture_req(pm->capture, k)->method, "INVITE"))
			callid = capture_req(pm->capture, k)->callid;
	}

	if (!pm->out_sid[0] ||
	    sim_registrar_call_info(pm->sr, pm->out_sid, &info))
		return;

	keep(&pm->mout, &info.media[0], callid, CALLS_SAY_HZ);
}


static bool out_started(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->out_sid[0] != '\0';
}


static bool out_ended(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->out_sid[0] && pm->out_state == CALL_ENDED;
}


/* a person calls the test application (and presses digits): true when
 * a call came; false with *asked when the person declined */
static bool test_call(struct pm *pm, const struct pstep *st, bool *asked)
{
	size_t from = capture_reqc(pm->capture);
	char text[300];

	*asked = false;
	if (!pm->o.operator_ms)
		return false;

	(void)re_snprintf(text, sizeof(text), "%s", st->prompt ? st->prompt :
			  "on the phone, dial 4155550100 (the service's test "
			  "line) and hang up once it has played its tone");
	pm_say(">>> OPERATOR: %s (Enter: skip; %u s)\n", text,
	    (unsigned)(pm->o.operator_ms / 1000));
	pm->enter = false;
	pm->out_sid[0] = '\0';
	*asked = true;

	if (!pm_wait(pm, out_started, NULL, pm->o.operator_ms)) {
		*asked = !pm->enter;
		pm->enter = false;
		return false;
	}
	pm->enter = false;

	(void)pm_wait(pm, out_ended, NULL, TEST_CALL_MS);
	if (pm->out_state != CALL_ENDED) {
		/* the person did not hang up: the service's caller leg ends
		 * with the application, or here */
		(void)sim_registrar_hangup(pm->sr, pm->out_sid);
		(void)pm_wait(pm, out_ended, NULL, CALL_END_MS);
	}
	pm_pause(pm, 500);
	keep_out(pm, from);

	return true;
}


static void ctx(struct pm *pm, struct jctx *x)
{
	jctx_init(x, pm->capture);
	x->in.leg = pm->min.leg.set ? &pm->min.leg : NULL;
	x->in.tone_hz = pm->min.tone_hz;
	str_ncpy(x->in.callid, pm->min.callid, sizeof(x->in.callid));
	x->out.leg = pm->mout.leg.set ? &pm->mout.leg : NULL;
	x->out.tone_hz = pm->mout.tone_hz;
	str_ncpy(x->out.callid, pm->mout.callid, sizeof(x->out.callid));
	x->auto_answer = pm->o.auto_answer;
	x->secure_media = pm->o.secure_media;
	x->call = pm->last_call >= 0 ? capture_call(pm->capture,
						    (size_t)pm->last_call) :
		NULL;
}


/* the media of the step's calls into its result, for the report */
static void report_calls(struct pm *pm, struct pm_result *pr)
{
	const struct pm_media *mv[2] = {&pm->min, &pm->mout};
	static const char *const namev[2] = {
		"service <-> phone (the service called)",
		"service <-> phone (the phone called the test application)",
	};

	if (!pr)
		return;

	for (size_t k = 0; k < 2 && pr->mediac < ARRAY_SIZE(pr->mediav);
	     k++) {
		struct pm_media *m;

		if (!mv[k]->leg.set || mv[k]->reported)
			continue;
		m = &pr->mediav[pr->mediac++];
		*m = *mv[k];
		m->label = namev[k];
		m->pcm = mem_ref(mv[k]->pcm);
		pm->min.reported |= k == 0;
		pm->mout.reported |= k == 1;
	}
}


/* P-MEDIA-CODEC, -RTP, -SYM: the service's call, and the phone's */
static void media_calls(struct pm *pm, const struct pstep *st,
			const struct judge_row *row, struct jverdict *v,
			struct pm_result *pr)
{
	const char *skip = NULL;
	bool asked = false;
	struct jctx x;

	if (st->call && !st->call_previous) {
		long ci;

		auto_answer_back(pm);
		ci = pm_place_call(pm, st, false, &skip);

		pm->last_call = ci;
		keep_in(pm, ci, st->from ? st->from : "+14155550100");
		if (st->prompt)
			(void)test_call(pm, st, &asked);
	}

	ctx(pm, &x);
	x.asked = asked;
	judges_run(row, &x, v);
	if (v->level == JV_SKIP && skip)
		jverdict_set(v, row->id, JV_SKIP, "%s", skip);
	report_calls(pm, pr);
}


/* P-MEDIA-DTMF: a person calls the test application, presses digits */
static void dtmf(struct pm *pm, const struct pstep *st,
		 const struct judge_row *row, struct jverdict *v,
		 struct pm_result *pr)
{
	struct pstep ask = *st;
	char text[300];
	bool asked = false;
	struct jctx x;

	(void)re_snprintf(text, sizeof(text), "%s", st->prompt ? st->prompt :
			  "");
	if (!text[0])
		(void)re_snprintf(text, sizeof(text), "on the phone, dial %s "
				  "(the service's test line); once it answers, "
				  "press the keys %s, then hang up", test_line,
				  dtmf_digits);
	ask.prompt = text;

	pm->mout.leg.set = false;
	if (!test_call(pm, &ask, &asked) && !asked) {
		jverdict_set(v, row->id, JV_SKIP, "needs a person to call "
			     "the test application and press digits");
		return;
	}

	ctx(pm, &x);
	x.asked = asked;
	str_ncpy(x.digits, dtmf_digits, sizeof(x.digits));
	judges_run(row, &x, v);
	report_calls(pm, pr);
}


/* packets the phone's leg has received so far (the live call) */
static uint32_t rx_now(struct pm *pm)
{
	struct call_info info;

	if (sim_registrar_call_info(pm->sr, pm->sid, &info))
		return 0;

	return info.media[1].rx.packets;
}


struct mwait {
	const char *callid;
	size_t from;
	bool hold;
	uint64_t t;
};


static bool reinvite_seen(struct pm *pm, void *arg)
{
	struct mwait *w = arg;

	for (size_t i = w->from; i < capture_mreqc(pm->capture); i++) {
		const struct jmreq *q = capture_mreq(pm->capture, i);
		bool held = strcmp(q->dir, "sendrecv") &&
			strcmp(q->dir, "recvonly");

		if (q->sdp && !strcmp(q->callid, w->callid) && held == w->hold) {
			w->t = q->t;
			w->from = i + 1;
			return true;
		}
	}

	return false;
}


/* RTP from the phone counted over HOLD_COUNT_MS, after it settles */
static uint32_t count_rx(struct pm *pm)
{
	uint32_t p0;

	pm_pause(pm, HOLD_SETTLE_MS);
	p0 = rx_now(pm);
	pm_pause(pm, HOLD_COUNT_MS);

	return rx_now(pm) - p0;
}


/* P-MEDIA-HOLD: a call to the phone; a person presses hold, resume */
static void hold(struct pm *pm, const struct pstep *st,
		 const struct judge_row *row, struct jverdict *v,
		 struct pm_result *pr)
{
	const char *from = st->from ? st->from : "+14155550100";
	const char *skip = NULL;
	const struct jcall *c;
	struct mwait w;
	struct jctx x;
	long ci;

	if (!pm->o.operator_ms) {
		jverdict_set(v, row->id, JV_SKIP, "needs a person to press "
			     "hold and resume");
		return;
	}

	auto_answer_back(pm);
	ci = pm_place_call(pm, st, true, &skip);
	c = ci >= 0 ? capture_call(pm->capture, (size_t)ci) : NULL;
	if (!c || pm->call_state != CALL_ANSWERED) {
		if (pm->call_state < CALL_ENDED && pm->sid[0])
			(void)sim_registrar_hangup(pm->sr, pm->sid);
		(void)pm_wait(pm, pm_call_ended, NULL, CALL_END_MS);
		jverdict_set(v, row->id, JV_SKIP, "%s", skip ? skip :
			     "the call was not answered");
		return;
	}

	ctx(pm, &x);
	x.asked = true;
	x.mfrom = capture_mreqc(pm->capture);
	memset(&w, 0, sizeof(w));
	w.callid = c->callid;
	w.from = x.mfrom;
	w.hold = true;

	pm_say(">>> OPERATOR: %s (Enter: skip; %u s)\n", st->prompt ?
	    st->prompt : "press hold on the phone", (unsigned)
	    (pm->o.operator_ms / 1000));
	pm->enter = false;
	if (pm_wait(pm, reinvite_seen, &w, pm->o.operator_ms)) {
		x.held_rx = count_rx(pm);
		w.hold = false;
		pm_say(">>> OPERATOR: press resume on the phone (Enter: "
		    "skip; %u s)\n", (unsigned)(pm->o.operator_ms / 1000));
		pm->enter = false;
		if (pm_wait(pm, reinvite_seen, &w, pm->o.operator_ms))
			x.resumed_rx = count_rx(pm);
	}
	else if (pm->enter)
		x.asked = false;
	pm->enter = false;

	if (pm->call_state == CALL_ANSWERED)
		(void)sim_registrar_hangup(pm->sr, pm->sid);
	(void)pm_wait(pm, pm_call_ended, NULL, CALL_END_MS);
	pm_pause(pm, 500);

	{
		struct call_info info;

		if (!sim_registrar_call_info(pm->sr, pm->sid, &info)) {
			struct pm_media keep_min = pm->min;

			/* the report shows this call; the judges of the other
			 * rows keep theirs */
			pm->min.pcm = NULL;
			keep(&pm->min, &info.media[1], c->callid,
			     calls_number_tone(from));
			x.in.leg = &pm->min.leg;
			str_ncpy(x.in.callid, c->callid, sizeof(x.in.callid));
			judges_run(row, &x, v);
			report_calls(pm, pr);
			mem_deref(pm->min.pcm);
			pm->min = keep_min;
			return;
		}
	}

	x.in.leg = NULL;        /* the call is gone: nothing measured */
	judges_run(row, &x, v);
}


void pm_step_media(struct pm *pm, const struct pstep *st,
		   const struct judge_row *row, struct jverdict *v,
		   struct pm_result *pr)
{
	switch (row->need) {

	case JN_MEDIA: media_calls(pm, st, row, v, pr); break;
	case JN_DTMF:  dtmf(pm, st, row, v, pr);        break;
	case JN_HOLD:  hold(pm, st, row, v, pr);        break;
	default:
		jverdict_set(v, row->id, JV_SKIP, "not a media rule");
		break;
	}
}
