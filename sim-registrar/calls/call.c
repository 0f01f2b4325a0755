/**
 * @file calls/call.c  The call and its state machine: trying, ringing,
 * answered, ended; its decisions and its events (delivered on a later loop
 * turn); how it fails, is cancelled (RING-6) and ends.
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "config.h"
#include "calls/calls_priv.h"


/* a call event waiting for the next loop turn */
struct event {
	struct le le;
	struct call *call;            /* referenced                         */
	struct call_info ci;
};


static void call_destructor(void *data);


static const char *rule_name(enum rule_id id)
{
	const struct rule *r = rule_get(id);

	return r ? r->name : "RFC3261";
}


/* one decision, with the request it answers when there is one */
void call_decide(struct call *c, struct calls *cs,
		 const struct sip_msg *msg, enum rule_id id,
		 uint16_t scode, const char *reason, const char *detail)
{
	struct decision d;

	if (c) {
		c->rule = id;
		c->ruled = true;
	}

	if (!cs->base.dh)
		return;

	memset(&d, 0, sizeof(d));
	d.rule = id;
	d.scode = scode;
	d.reason = reason;
	d.aor = c ? (msg ? c->sid : c->desc) : NULL;
	d.detail = detail;
	d.msg = msg;
	d.call = c ? c->sid : NULL;

	cs->base.dh(&d, cs->base.arg);
}


void call_info_fill(const struct call *c, struct call_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->sid = c->sid;
	ci->from = c->from;
	ci->to = c->to;
	ci->outside = c->outside;
	ci->state = c->state;
	ci->answered_by = c->answered_by;
	ci->scode = c->scode;
	ci->rule = c->ruled ? rule_name(c->rule) : "";
	ci->twilio_error = c->twerr;
	ci->ended_by = c->ended_by;
	ci->branches = c->branches;
	ci->cancels = c->cancels;
	ci->created = c->created;
	ci->answered = c->answered;
	ci->ended = c->ended;

	if (c->a.ms)
		leg_media_figs(&c->a, &ci->media[0]);
	else
		ci->media[0] = c->msnap[0];

	if (c->peer && c->peer->leg.ms)
		leg_media_figs(&c->peer->leg, &ci->media[1]);
	else
		ci->media[1] = c->msnap[1];
}


static void event_destructor(void *data)
{
	struct event *ev = data;

	list_unlink(&ev->le);
	mem_deref(ev->call);
}


static void event_flush(void *arg)
{
	struct calls *cs = arg;

	while (cs->evq.head) {
		struct event *ev = cs->evq.head->data;

		list_unlink(&ev->le);

		if (ev->call->h)
			ev->call->h(&ev->ci, ev->call->arg);
		if (cs->evh)
			cs->evh(&ev->ci, cs->evarg);

		mem_deref(ev);
	}
}


/* the call's state as it is now, delivered on the next loop turn */
void call_notify(struct call *c)
{
	struct calls *cs = c->cs;
	struct event *ev;

	if (!c->h && !cs->evh)
		return;

	ev = mem_zalloc(sizeof(*ev), event_destructor);
	if (!ev)
		return;

	ev->call = mem_ref(c);
	call_info_fill(c, &ev->ci);
	list_append(&cs->evq, &ev->le, ev);

	tmr_start(&cs->evtmr, 0, event_flush, cs);
}


int call_alloc(struct call **cp, struct calls *cs, const char *from,
	       const char *to)
{
	struct call *c;
	char hex[40];
	int err;

	c = mem_zalloc(sizeof(*c), call_destructor);
	if (!c)
		return ENOMEM;

	c->cs = cs;
	c->state = CALL_TRYING;
	c->rule = RULE_COUNT;
	c->maxfwd = MAX_FORWARDS;
	c->created = vclock_now();
	vtimer_init(&c->vt);
	calls_hex_id(hex, sizeof(hex));
	(void)re_snprintf(c->sid, sizeof(c->sid), "CA%b", hex, (size_t)32);

	err  = str_dup(&c->from, from);
	err |= str_dup(&c->to, to);
	err |= re_sdprintf(&c->desc, "%s -> %s", from, to);
	if (err) {
		mem_deref(c);
		return ENOMEM;
	}

	*cp = c;

	return 0;
}


static void call_destructor(void *data)
{
	struct call *c = data;

	list_unlink(&c->le);
	tmr_cancel(&c->start);
	vtimer_cancel(&c->vt);
	vtimer_cancel(&c->gt);
	mem_deref(c->dial);
	leg_reset(&c->a);
	if (c->peer) {
		c->peer->call = NULL;
		c->peer->leg.call = NULL;
	}
	mem_deref(c->pbranch);
	mem_deref(c->st);
	mem_deref(c->inv);
	mem_deref(c->doc);
	mem_deref(c->answer);
	mem_deref(c->from);
	mem_deref(c->to);
	mem_deref(c->desc);
	mem_deref(c->answered_by);
	mem_deref((void *)c->msnap[0].pcm);
	mem_deref((void *)c->msnap[1].pcm);
}


static void prune(struct calls *cs)
{
	struct le *le = cs->calll.head;

	while (cs->endedc > MAX_ENDED && le) {
		struct call *c = le->data;

		le = le->next;
		if (c->state != CALL_ENDED)
			continue;

		cs->endedc--;
		list_unlink(&c->le);
		mem_deref(c);
	}
}


void call_ringing(struct call *c)
{
	if (c->state != CALL_TRYING)
		return;

	c->state = CALL_RINGING;

	if (c->st && !c->ringing_sent) {
		c->ringing_sent = true;
		(void)calls_reply(c->cs, c->inv, &c->st, NULL, RULE_COUNT, 180,
				  "Ringing", NULL, c->to, NULL);
	}

	call_notify(c);
}


/* the caller's leg answered: 200 to the phone (our answer to its offer,
 * or our offer: MEDIA-SDP-1/3), or the outside caller connected */
void call_answer(struct call *c, enum rule_id id, const char *by,
		 const char *detail)
{
	struct calls *cs = c->cs;
	struct mbuf *mb = NULL, *sdp = NULL;
	const struct sip_msg *inv = c->inv;
	int err;

	c->state = CALL_ANSWERED;
	c->scode = 200;
	c->twerr = 0;
	c->answered = vclock_now();
	(void)str_dup(&c->answered_by, by);

	if (!c->st) {
		call_decide(c, cs, NULL, id, 200, "OK", detail);
		call_notify(c);
		return;
	}

	if (c->answer)
		sdp = mem_ref(c->answer);
	else if (c->a.ms && leg_media_offer(&c->a, &sdp))
		sdp = NULL;

	err = calls_reply(cs, inv, &c->st, &mb, RULE_COUNT, 200, "OK", NULL,
			  c->to, sdp);
	call_decide(c, cs, inv, id, 200, "OK", detail);

	if (!err) {
		struct leg *l = &c->a;
		const struct sip_hdr *ct = sip_msg_hdr(inv, SIP_HDR_CONTACT);
		struct sip_addr addr;

		err  = pl_strdup(&l->callid, &inv->callid);
		err |= re_sdprintf(&l->ltag, "%016llx",
				   (unsigned long long)inv->tag);
		err |= pl_strdup(&l->rtag, &inv->from.tag);
		err |= re_sdprintf(&l->lhdr, "%r;tag=%016llx", &inv->to.val,
				   (unsigned long long)inv->tag);
		err |= pl_strdup(&l->rhdr, &inv->from.val);
		err |= str_dup(&l->cuser, c->to);
		if (ct && !sip_addr_decode(&addr, &ct->val))
			err |= pl_strdup(&l->target, &addr.auri);
		l->lseq = 100;
		if (sdp)
			l->sdp = mem_ref(sdp);
		l->up = !err;
		l->call = c;
		leg_ok_start(l, mb, inv, true);
		mb = NULL;
	}

	mem_deref(mb);
	mem_deref(sdp);
	call_notify(c);
}


/* free what a call holds once it has ended; the record stays */
void call_end(struct call *c, const char *by)
{
	struct calls *cs = c->cs;

	if (c->state == CALL_ENDED)
		return;

	c->state = CALL_ENDED;
	c->ended = vclock_now();
	c->ended_by = by;

	tmr_cancel(&c->start);
	vtimer_cancel(&c->vt);
	app_stop(c);
	dial_stop(c, NULL);

	/* the figures stay with the call; the sockets go */
	leg_media_end(&c->a, &c->msnap[0]);

	if (c->peer) {
		struct branch *b = c->peer;

		leg_media_end(&b->leg, &c->msnap[1]);
		c->peer = NULL;
		b->call = NULL;
		b->leg.call = NULL;
		if (!by || strcmp(by, "callee"))
			(void)leg_request(cs, &b->leg, "BYE", NULL);
		b->leg.up = false;
		tmr_cancel(&b->leg.ok_tmr);
		branch_linger(b);
	}

	/* the outside network's record says who hung up */
	c->pbranch = mem_deref(c->pbranch);

	if (c->a.up && (!by || strcmp(by, "caller")))
		(void)leg_request(cs, &c->a, "BYE", NULL);
	c->a.up = false;
	tmr_cancel(&c->a.ok_tmr);

	if (c->st) {
		/* no final went out: there must be one */
		(void)calls_reply(cs, c->inv, &c->st, NULL, RULE_COUNT, 500,
				  "Server Internal Error", NULL, NULL, NULL);
	}

	c->doc = mem_deref(c->doc);
	c->inv = mem_deref(c->inv);

	cs->endedc++;
	call_notify(c);
	prune(cs);
}


/* the call fails before an answer: a final reply to the phone, or the
 * outside caller is told */
void call_fail(struct call *c, enum rule_id id, uint16_t scode,
	       const char *reason, const char *detail)
{
	struct calls *cs = c->cs;
	const char *rsn = reason;
	uint16_t code = scode;

	if (c->state == CALL_ENDED)
		return;

	if (!code)
		reg_config_reply(cs->base.cfg, id, &code, &rsn, NULL, NULL);
	if (!code) {
		code = 500;
		rsn = "Server Internal Error";
	}

	/* answered already: no status to give, the call just ends */
	if (c->state == CALL_ANSWERED) {
		call_decide(c, cs, NULL, id, code, rsn, detail);
		call_hangup(c, "application");
		return;
	}

	c->scode = code;
	c->twerr = code >= 300 ? calls_rule_twerr(cs, id) : 0;

	if (c->st) {
		(void)calls_reply(cs, c->inv, &c->st, NULL, id, scode, reason,
				  NULL, NULL, NULL);
		call_decide(c, cs, c->inv, id, code, rsn, detail);
	}
	else if (!c->ruled || c->rule != id) {
		call_decide(c, cs, NULL, id, code, rsn, detail);
	}

	call_end(c, "application");
}


/* RING-6: the caller hung up before an answer (its CANCEL, or the
 * outside caller): 487, and every branch still ringing gets CANCEL */
void call_cancelled(struct call *c)
{
	const uint32_t n = dial_unanswered(c->dial);
	char detail[128];

	(void)re_snprintf(detail, sizeof(detail), "the caller hung up "
			  "while ringing; CANCEL to %u branch%s", n,
			  n == 1 ? "" : "es");

	c->scode = 487;
	c->twerr = 0;
	if (c->st)
		(void)calls_reply(c->cs, c->inv, &c->st, NULL, RULE_COUNT,
				  487, "Request Terminated", NULL, NULL, NULL);
	call_decide(c, c->cs, c->inv, c->dial && c->dial->sipc ?
		    RULE_RING_6 : RULE_COUNT, 487, "Request Terminated",
		    detail);
	call_end(c, "caller");
}


/* after the call was answered, the far end or the caller hung up */
void call_hangup(struct call *c, const char *by)
{
	call_end(c, by);
}
