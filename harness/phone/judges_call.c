/**
 * @file judges_call.c  The call rows of the P-* table (judges.h): calls
 * to and from the phone, its answers to requests, transfer.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "phone/capture.h"
#include "phone/judges.h"

enum {
	RING_FIRST_MS   = 200,     /* P-CALL-RING: 100 (or any 1xx)         */
	RING_180_MS     = 2000,    /* P-CALL-RING: 180                      */
	RACE_MS         = 100,     /* a 2xx this soon after our CANCEL had
				      crossed it                            */
};


static void call_ring(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;
	uint64_t first, ring;

	if (!c) {
		jverdict_set(v, "P-CALL-RING", JV_SKIP, "no call reached the "
			     "phone");
		return;
	}

	first = c->first_prov_t ? c->first_prov_t - c->invite_t : 0;
	ring = c->ringing_t ? c->ringing_t - c->invite_t : 0;

	jverdict_observed(v, "first 1xx after %s%llu ms, 180 after %s%llu "
			  "ms, final %u after %llu ms; To tag %s",
			  c->first_prov_t ? "" : "(none) ",
			  (unsigned long long)first,
			  c->ringing_t ? "" : "(none) ",
			  (unsigned long long)ring, c->final,
			  (unsigned long long)(c->final_t ? c->final_t -
					       c->invite_t : 0),
			  c->totag_changed ? "changed" : c->totag_missing ?
			  "missing on a response" : "kept");

	if (c->totag_changed || c->totag_missing) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "the To tag must be "
			     "on every response but 100 and stay the same");
		return;
	}

	/* a final within the limits stands for the provisional */
	if ((!c->first_prov_t || first > RING_FIRST_MS) &&
	    !(c->final_t && c->final_t - c->invite_t <= RING_FIRST_MS)) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "no 100/180 within "
			     "%u ms", RING_FIRST_MS);
		return;
	}

	if ((!c->ringing_t || ring > RING_180_MS) &&
	    !(c->final_t && c->final >= 200 && c->final < 300 &&
	      c->final_t - c->invite_t <= RING_180_MS)) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "no 180 within %u s",
			     RING_180_MS / 1000);
		return;
	}

	jverdict_set(v, "P-CALL-RING", JV_PASS, "%s in time, To tag kept",
		     c->ringing_t ? "100/180" : "answered");
}


static void call_answer(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;
	bool auto_answer = x->auto_answer;

	if (!c) {
		jverdict_set(v, "P-CALL-ANSWER", JV_SKIP, "no call reached "
			     "the phone");
		return;
	}

	if (!c->final || c->final >= 300) {
		jverdict_observed(v, "final %u", c->final);
		if (auto_answer) {
			jverdict_set(v, "P-CALL-ANSWER", JV_FAIL, "the phone "
				     "did not answer (auto-answer was "
				     "expected)");
			jverdict_advice(v, "auto-answer for tests: turn on "
					"auto-answer for this account");
		}
		else
			jverdict_set(v, "P-CALL-ANSWER", JV_SKIP, "nobody "
				     "answered the call");
		return;
	}

	jverdict_observed(v, "%u; SDP answer %s%s%s; ACKed after %llu ms "
			  "(2xx retransmission not exercised: the registrar "
			  "ACKs at once)", c->final, c->sdp ? "yes" : "no",
			  c->codecs[0] ? ": " : "", c->codecs,
			  (unsigned long long)(c->ack_t &&
					       c->ack_t >= c->final_t ?
					       c->ack_t - c->final_t : 0));

	if (!c->sdp) {
		jverdict_set(v, "P-CALL-ANSWER", JV_FAIL, "the 2xx carries no "
			     "SDP answer");
		return;
	}

	jverdict_set(v, "P-CALL-ANSWER", JV_PASS, "2xx with an SDP answer");
}


static void call_bye(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;

	if (!c || !c->final || c->final >= 300) {
		jverdict_set(v, "P-CALL-BYE", JV_SKIP, "no answered call");
		return;
	}

	if (c->phone_bye_t && (!c->bye_t || c->phone_bye_t < c->bye_t)) {
		jverdict_observed(v, "the phone hung up with BYE");
		jverdict_set(v, "P-CALL-BYE", JV_PASS, "hang-up sends BYE");
		return;
	}

	if (!c->bye_t) {
		jverdict_set(v, "P-CALL-BYE", JV_SKIP, "the call was not hung "
			     "up");
		return;
	}

	jverdict_observed(v, "far-end BYE answered %u%s after %llu ms",
			  c->bye_scode, c->bye_scode ? "" : " (nothing)",
			  (unsigned long long)(c->bye_answer_t ?
					       c->bye_answer_t - c->bye_t :
					       0));

	if (c->bye_scode < 200 || c->bye_scode >= 300) {
		jverdict_set(v, "P-CALL-BYE", JV_FAIL, "a BYE from the far "
			     "end must get 200");
		return;
	}

	jverdict_set(v, "P-CALL-BYE", JV_PASS, "BYE from the far end gets "
		     "200 (hang-up on the phone not exercised)");
}


/* true: judged (v set) because no CANCEL reached a ringing phone */
static bool cancel_missing(const struct jcall *c, const char *rule,
			   struct jverdict *v)
{
	if (!c) {
		jverdict_set(v, rule, JV_SKIP, "no call reached the phone");
		return true;
	}

	if (!c->cancel_t) {
		jverdict_observed(v, "final %u after %llu ms; no CANCEL sent",
				  c->final, (unsigned long long)(c->final_t ?
				  c->final_t - c->invite_t : 0));
		jverdict_set(v, rule, JV_SKIP, c->final >= 200 &&
			     c->final < 300 ? "the phone answered first: no "
			     "CANCEL reached it ringing" : "no CANCEL was "
			     "sent");
		return true;
	}

	/* refused before the CANCEL went out (486 from a phone in a call;
	 * 487 is the CANCEL's own doing, even within the same ms) */
	if (c->final >= 300 && c->final != 487 && c->final_t &&
	    c->final_t <= c->cancel_t) {
		jverdict_observed(v, "final %u after %llu ms, before the "
				  "CANCEL", c->final, (unsigned long long)
				  (c->final_t - c->invite_t));
		jverdict_set(v, rule, JV_SKIP, "the phone refused the call "
			     "(%u) before the CANCEL: nothing to cancel (a "
			     "person must let it ring)", c->final);
		return true;
	}

	if (c->after_cancel_2xx && c->after_cancel_2xx - c->cancel_t <
	    RACE_MS) {
		jverdict_observed(v, "its 2xx crossed the CANCEL (%llu ms)",
				  (unsigned long long)(c->after_cancel_2xx -
						       c->cancel_t));
		jverdict_set(v, rule, JV_SKIP, "the phone answered as the "
			     "CANCEL went out (a race, not judged)");
		return true;
	}

	return false;
}


static void call_cancel(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;

	if (cancel_missing(c, "P-CALL-CANCEL", v))
		return;

	jverdict_observed(v, "CANCEL answered %u; INVITE final %u after "
			  "%llu ms%s", c->cancel_scode, c->final,
			  (unsigned long long)(c->final_t > c->cancel_t ?
					       c->final_t - c->cancel_t : 0),
			  c->after_cancel_2xx ? "; a 2xx after the CANCEL" :
			  "");

	if (c->cancel_scode != 200) {
		jverdict_set(v, "P-CALL-CANCEL", JV_FAIL, "the CANCEL did not "
			     "get 200");
		return;
	}

	if (c->final != 487 || c->after_cancel_2xx) {
		jverdict_set(v, "P-CALL-CANCEL", JV_FAIL, "the INVITE did not "
			     "end with 487 (ringing did not stop)");
		return;
	}

	jverdict_set(v, "P-CALL-CANCEL", JV_PASS, "200 to the CANCEL, 487 to "
		     "the INVITE");
}


static void call_forked(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;
	bool other_answered = x->other_answered;

	if (cancel_missing(c, "P-CALL-FORKED", v))
		return;

	jverdict_observed(v, "rang (%s); the other phone %s; CANCEL Reason: "
			  "%s; the phone then answered %u", c->first_prov_t ?
			  "1xx sent" : "no 1xx", other_answered ?
			  "answered" : "did not answer",
			  c->cancel_reason[0] ? c->cancel_reason : "(none)",
			  c->final);

	if (!c->first_prov_t) {
		jverdict_set(v, "P-CALL-FORKED", JV_FAIL, "the phone did not "
			     "ring");
		return;
	}

	if (c->final != 487 || c->after_cancel_2xx) {
		jverdict_set(v, "P-CALL-FORKED", JV_FAIL, "the loser did not "
			     "stop (no 487)");
		return;
	}

	jverdict_set(v, "P-CALL-FORKED", JV_PASS, "both rang; the loser "
		     "stopped on CANCEL%s", c->cancel_reason[0] ?
		     " with Reason" : "");
}


static void refer_keep(const struct jctx *x, struct jverdict *v)
{
	const struct jcall *c = x->call;
	uint64_t now = x->now;

	if (!c || !c->phone_refers) {
		jverdict_set(v, "P-REFER-KEEP", JV_SKIP, "the phone sent no "
			     "REFER");
		return;
	}

	jverdict_observed(v, "%u REFER(s), the first answered %u; %s",
			  c->phone_refers, c->refer_scode, c->phone_bye_t ?
			  "then the phone sent BYE" : "the call stayed up");

	/* at or after: the 405 and the phone's BYE can be read in one
	 * batch of datagrams, the same millisecond */
	if (c->phone_bye_t && c->phone_bye_t >= c->phone_refer_t) {
		jverdict_set(v, "P-REFER-KEEP", JV_FAIL, "the phone dropped "
			     "the call when its REFER was refused");
		jverdict_advice(v, "transfer mode: use a transfer the "
				"service supports (e.g. attended transfer "
				"through the service), not REFER");
		return;
	}

	if (c->phone_refers > 2) {
		jverdict_set(v, "P-REFER-KEEP", JV_FAIL, "REFER sent again "
			     "and again");
		jverdict_advice(v, "transfer mode: do not retry a refused "
				"REFER");
		return;
	}

	(void)now;
	jverdict_set(v, "P-REFER-KEEP", JV_PASS, "kept the call after the "
		     "refused REFER");
}


static void call_e164(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	size_t from = x->from;

	for (size_t k = from; k < capture_reqc(j); k++) {
		const struct jreq *q = capture_req(j, k);
		struct uri uri;
		struct pl pl;
		bool e164 = false;

		if (strcmp(q->method, "INVITE"))
			continue;

		pl_set_str(&pl, q->ruri);
		if (!uri_decode(&uri, &pl) && uri.user.l > 8 &&
		    uri.user.p[0] == '+') {
			e164 = true;
			for (size_t i = 1; i < uri.user.l; i++)
				e164 &= isdigit((unsigned char)uri.user.p[i])
					!= 0;
		}

		jverdict_observed(v, "INVITE %s, To %s", q->ruri, q->to);
		if (!e164) {
			jverdict_set(v, "P-CALL-E164", JV_WARN, "the number "
				     "is not in E.164 (+ and country code)");
			return;
		}

		jverdict_set(v, "P-CALL-E164", JV_PASS, "E.164");
		return;
	}

	jverdict_set(v, "P-CALL-E164", JV_SKIP, "the phone placed no call");
}


static void method(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	char obs[512] = "";
	size_t used = 0;
	unsigned bad = 0;

	if (!capture_probec(j)) {
		jverdict_set(v, "P-METHOD", JV_SKIP, "no request was sent");
		return;
	}

	for (size_t i = 0; i < capture_probec(j); i++) {
		const struct jprobe *p = capture_probe(j, i);
		bool good;
		int k;

		if (!strcmp(p->label, "unknown method"))
			good = p->scode == 501;
		else if (!strcmp(p->label, "unsupported method"))
			good = p->scode == 501 ||
				(p->scode == 405 && p->allow[0]);
		else if (!strcmp(p->label, "unknown Require"))
			good = p->scode == 420 && p->unsupported[0];
		else
			good = p->scode >= 200;

		if (!good)
			bad++;

		k = re_snprintf(obs + used, sizeof(obs) - used,
				"%s%s %s -> %u%s%s%s", used ? "; " : "",
				p->label, p->method, p->scode,
				p->scode ? "" : " (no answer)",
				p->scode == 405 && !p->allow[0] ?
				" without Allow" : "",
				good ? "" : " (wrong)");
		if (k > 0 && (size_t)k < sizeof(obs) - used)
			used += (size_t)k;
	}

	jverdict_observed(v, "%s", obs);

	if (bad) {
		jverdict_set(v, "P-METHOD", JV_WARN, "expected 501 for an "
			     "unknown method, 405 with Allow (or 501) for an "
			     "unsupported one, 420 with Unsupported for an "
			     "unknown Require");
		return;
	}

	jverdict_set(v, "P-METHOD", JV_PASS, "501 / 405 / 420 as RFC 3261 "
		     "8.2 asks");
}


const struct judge_row judges_call[] = {
	{"P-CALL-RING", "an incoming INVITE gets 100/180 within 200 ms / "
	 "2 s, with a To tag kept on every response", "FAIL", JN_CALL, 0,
	 call_ring, NULL, NULL},
	{"P-CALL-ANSWER", "2xx carries an SDP answer; retransmits 2xx until "
	 "ACK", "FAIL", JN_CALL, 0, call_answer, "auto-answer for tests",
	 NULL},
	{"P-CALL-CANCEL", "CANCEL while ringing -> 200 + 487, ringing "
	 "stops", "FAIL", JN_CALL, 0, call_cancel, NULL, NULL},
	{"P-CALL-FORKED", "two phones on one AOR both ring; the loser sees "
	 "CANCEL with Reason and stops", "FAIL", JN_CALL, 0, call_forked,
	 NULL, NULL},
	{"P-CALL-BYE", "hang-up sends BYE; BYE from the far end gets 200",
	 "FAIL", JN_CALL, 0, call_bye, NULL, NULL},
	{"P-CALL-E164", "outgoing calls to numbers use E.164 (+ country "
	 "code) in the Request-URI/To", "WARN", JN_DIAL, 0, call_e164,
	 "dial plan", "dial plan: send numbers as E.164 (+ country code), "
	 "e.g. +14155551234"},
	{"P-REFER-KEEP", "when its transfer REFER is rejected, the phone "
	 "keeps the call (no BYE), does not loop REFER", "FAIL", JN_TRANSFER,
	 0, refer_keep, "transfer mode", NULL},
	{"P-METHOD", "unknown method -> 501; unsupported -> 405 with Allow; "
	 "unknown Require -> 420", "WARN", JN_PROBES, 0, method, NULL, NULL},
};

const size_t judges_call_count = ARRAY_SIZE(judges_call);
