/**
 * @file calls.c  Calls and requests to the phone under test (session.h):
 * the registrar's B2BUA dials it (with a simulated second phone on the
 * same AOR for a forked call), and the harness's own requests (P-METHOD).
 */

#include <stdio.h>
#include <string.h>
#include <re.h>
#include "phone.h"
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/probes.h"
#include "phone/session.h"
#include "phone/protocol.h"


static bool call_settled(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->call_seen && pm->call_state >= CALL_ANSWERED;
}


bool pm_call_ended(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->call_seen && pm->call_state == CALL_ENDED;
}


static bool second_done(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->second_done;
}


static void call_h(const struct call_info *ci, void *arg)
{
	struct pm *pm = arg;

	if (!ci || strcmp(ci->sid, pm->sid))
		return;

	pm->call_state = ci->state;
	pm->call_seen = true;
	if (ci->answered_by)
		str_ncpy(pm->answered_by, ci->answered_by,
			 sizeof(pm->answered_by));

	re_cancel();
}


static void second_h(struct phone *phone, const struct phone_event *ev,
		     void *arg)
{
	struct pm *pm = arg;
	(void)phone;

	if (ev->type == PHONE_EV_DONE) {
		pm->second_done = true;
		pm->second_scode = ev->scode;
		re_cancel();
	}
}


static int second_start(struct pm *pm)
{
	struct phone_conf conf;
	int err;

	memset(&conf, 0, sizeof(conf));
	conf.name = "second-phone";
	conf.user = pm->o.user;
	conf.domain = pm->o.domain;
	conf.password = pm->o.password;
	conf.registrar = pm->udp_laddr;
	conf.tp = SIP_TRANSP_UDP;
	conf.expires = 60;
	conf.refresh = PHONE_REFRESH_NONE;
	conf.answer = PHONE_ANSWER_AUTO;
	conf.answer_delay = 0;

	err = phone_alloc(&pm->second, &conf, second_h, pm);
	if (err)
		return err;

	pm->second_addr = *phone_laddr(pm->second);
	capture_ignore(pm->capture, &pm->second_addr);
	pm_protocol_name_simphone(pm, &pm->second_addr, "second-phone");

	pm->second_done = false;
	err = phone_register(pm->second);
	if (err)
		return err;

	if (!pm_wait(pm, second_done, NULL, 5000) ||
	    pm->second_scode != 200)
		return EPROTO;

	return 0;
}


void pm_second_stop(struct pm *pm)
{
	if (!pm->second)
		return;

	pm->second_done = false;
	if (!phone_unregister(pm->second, false))
		(void)pm_wait(pm, second_done, NULL, 3000);

	pm->second = mem_deref(pm->second);
}


/* the registrar dials the phone: returns the judge's call index, -1 */
long pm_place_call(struct pm *pm, const struct pstep *st, bool keep_up,
		       const char **skip)
{
	const char *from = st->from ? st->from : "+14155550100";
	const char *to = st->to ? st->to : "+14155550199";
	size_t callc0 = capture_callc(pm->capture);
	char hold[sizeof(pm->sid)];
	uint64_t answer_ms;
	int err;

	*skip = NULL;

	if (!pm_registered(pm)) {
		*skip = "the phone is not registered";
		return -1;
	}

	/* an auto-answering phone that nobody can switch to ringing: a
	 * first call it answers stays up, so that the forked call finds it
	 * in a call, ringing (call waiting) while the second phone answers */
	hold[0] = '\0';
	if (st->fork && pm->o.auto_answer && !pm->o.operator_ms) {
		pm_say("    a first call, kept up, so that the phone rings "
		    "for the next one\n");
		pm->call_seen = false;
		pm->call_state = CALL_TRYING;
		if (!sim_registrar_call(pm->sr, from, to, call_h, pm, pm->sid,
					sizeof(pm->sid))) {
			(void)pm_wait(pm, call_settled, NULL, CALL_ANSWER_MS);
			str_ncpy(hold, pm->sid, sizeof(hold));
			if (pm->call_state != CALL_ANSWERED) {
				(void)sim_registrar_hangup(pm->sr, hold);
				hold[0] = '\0';
			}
		}
		pm_pause(pm, 500);
		callc0 = capture_callc(pm->capture);
	}

	if (st->fork) {
		err = second_start(pm);
		if (err) {
			pm_second_stop(pm);
			*skip = "the simulated second phone could not "
				"register";
			return -1;
		}
	}

	/* an auto-answering phone must ring this time: ask for it */
	if (st->fork && st->prompt && pm->o.auto_answer &&
	    pm->o.operator_ms) {
		pm_say(">>> OPERATOR: %s (Enter: done; 5 s)\n", st->prompt);
		pm->aa_off = true;      /* media.c asks for it back */
		pm->enter = false;
		(void)pm_wait(pm, NULL, NULL, 5000);
		pm->enter = false;
	}

	pm->call_seen = false;
	pm->call_state = CALL_TRYING;
	pm->answered_by[0] = '\0';
	err = sim_registrar_call(pm->sr, from, to, call_h, pm, pm->sid,
				 sizeof(pm->sid));
	if (err) {
		pm_second_stop(pm);
		*skip = "the registrar could not place the call (is `to` one "
			"of its numbers?)";
		return -1;
	}

	if (pm->o.auto_answer || st->fork)
		answer_ms = CALL_ANSWER_MS;
	else if (pm->o.operator_ms) {
		pm_say(">>> OPERATOR: answer the call ringing on the phone "
		    "(Enter: it cannot; %u s)\n",
		    (unsigned)(pm->o.operator_ms / 1000));
		answer_ms = pm->o.operator_ms;
	}
	else
		answer_ms = 5000;   /* let it ring, then hang up: CANCEL */

	pm->enter = false;
	(void)pm_wait(pm, call_settled, NULL, answer_ms);
	pm->enter = false;

	if (pm->call_state == CALL_ANSWERED && !keep_up) {
		pm_pause(pm, st->talk_ms ? st->talk_ms : 2000);
		(void)sim_registrar_hangup(pm->sr, pm->sid);
	}
	else if (pm->call_state < CALL_ANSWERED)
		(void)sim_registrar_hangup(pm->sr, pm->sid);

	if (!keep_up || pm->call_state != CALL_ANSWERED) {
		(void)pm_wait(pm, pm_call_ended, NULL, CALL_END_MS);
		pm_pause(pm, 1000);     /* the phone's last answers */
	}

	if (st->fork)
		pm_second_stop(pm);

	if (hold[0]) {
		(void)sim_registrar_hangup(pm->sr, hold);
		pm_pause(pm, 1000);
	}

	return capture_callc(pm->capture) > callc0 ? (long)callc0 : -1;
}


void pm_step_call(struct pm *pm, const struct pstep *st,
		  const struct judge_row *row, struct jverdict *v)
{
	const struct jcall *c;
	const char *skip = NULL;
	struct jctx x;

	if (st->call && !st->call_previous)
		pm->last_call = pm_place_call(pm, st, false, &skip);

	c = pm->last_call >= 0 ? capture_call(pm->capture,
					      (size_t)pm->last_call) : NULL;

	if (!c && skip) {
		jverdict_set(v, row->id, JV_SKIP, "%s", skip);
		return;
	}

	jctx_init(&x, pm->capture);
	x.call = c;
	x.auto_answer = pm->o.auto_answer;
	x.other_answered = pm->answered_by[0] &&
		!strstr(pm->answered_by, "second");
	if (st->fork || (c && c->cancel_t))
		x.other_answered = pm->answered_by[0] != '\0';

	judges_run(row, &x, v);
}


/* ------------------------------------------------------------ probes */

static void probe_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct pm *pm = arg;
	(void)err;

	if (msg && msg->scode < 200)
		return;

	if (pm->probes_pending)
		pm->probes_pending--;
	re_cancel();
}


static bool probes_done(struct pm *pm, void *arg)
{
	(void)arg;

	return !pm->probes_pending;
}


static int probe(struct pm *pm, struct sip_request **reqp, const char *uri,
		 const char *route, const char *met, const char *label,
		 const char *extra)
{
	char callid[40];
	int err;

	rand_str(callid, sizeof(callid));

	err = capture_probe_add(pm->capture, met, label, callid);
	if (err)
		return err;

	err = probe_send(reqp, sim_registrar_sip(pm->sr), uri, route, met,
			 pm->o.user, pm->o.domain, callid, extra, probe_resp,
			 pm);
	if (!err)
		pm->probes_pending++;

	return err;
}


void pm_step_method(struct pm *pm, const struct pstep *st,
		    const struct judge_row *row, struct jverdict *v)
{
	long ok = capture_last_ok(pm->capture, capture_regc(pm->capture));
	const struct jreg *r = capture_reg(pm->capture, ok >= 0 ?
					   (size_t)ok : SIZE_MAX);
	struct sip_request *reqv[3] = {NULL, NULL, NULL};
	char routev[96] = "";
	const char *route;
	struct jctx x;
	int err = 0;

	if (!r || !r->contact[0]) {
		jverdict_set(v, st->rule, JV_SKIP, "no registered contact to "
			     "send to");
		return;
	}

	/* TLS: over the phone's own connection, as its calls are (a new one
	 * to its contact would need a certificate the phone has) */
	if (r->tp == SIP_TRANSP_TLS)
		(void)re_snprintf(routev, sizeof(routev), "sip:%J;"
				  "transport=tls", &r->src);
	route = routev[0] ? routev : NULL;

	pm->probes_pending = 0;
	if (st->send_unknown)
		err |= probe(pm, &reqv[0], r->contact, route, "FOOBAR",
			     "unknown method", "");
	if (st->send_unsupported)
		err |= probe(pm, &reqv[1], r->contact, route, "PUBLISH",
			     "unsupported method", "Event: presence\r\n"
			     "Expires: 60\r\n");
	if (st->send_require)
		err |= probe(pm, &reqv[2], r->contact, route, "OPTIONS",
			     "unknown Require", "Require: "
			     "sipconform-no-such-extension\r\n"
			     "Accept: application/sdp\r\n");

	if (err && !pm->probes_pending) {
		jverdict_set(v, st->rule, JV_SKIP, "could not send: %m", err);
		return;
	}

	(void)pm_wait(pm, probes_done, NULL, st->within_ms ?
			 st->within_ms : PROBE_MS);
	for (size_t i = 0; i < ARRAY_SIZE(reqv); i++)
		mem_deref(reqv[i]);

	jctx_init(&x, pm->capture);
	judges_run(row, &x, v);
}


