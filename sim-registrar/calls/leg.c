/**
 * @file calls/leg.c  A leg's dialog (RFC 3261 12): requests we send in it,
 * our 2xx to an INVITE resent until its ACK (13.3.1.4), and the requests a
 * phone sends in it: ACK (media starts; MEDIA-SDP-3), BYE (both legs end),
 * re-INVITE (hold and resume: MEDIA-HOLD-1), REFER (refused: REFER-1), the
 * rest 200 or 405.
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "config.h"
#include "sdp_oa.h"
#include "calls/calls_priv.h"


void leg_reset(struct leg *l)
{
	tmr_cancel(&l->ok_tmr);
	leg_media_end(l, NULL);
	l->callid = mem_deref(l->callid);
	l->ltag = mem_deref(l->ltag);
	l->rtag = mem_deref(l->rtag);
	l->lhdr = mem_deref(l->lhdr);
	l->rhdr = mem_deref(l->rhdr);
	l->target = mem_deref(l->target);
	l->cuser = mem_deref(l->cuser);
	l->sdp = mem_deref(l->sdp);
	l->ok = mem_deref(l->ok);
	l->up = false;
}


static bool leg_match(const struct leg *l, const struct sip_msg *msg)
{
	return l->up && !pl_strcmp(&msg->callid, l->callid) &&
		!pl_strcmp(&msg->to.tag, l->ltag) &&
		!pl_strcmp(&msg->from.tag, l->rtag);
}


static void dummy_resp(int err, const struct sip_msg *msg, void *arg)
{
	(void)err;
	(void)msg;
	(void)arg;
}


/* a request in the dialog from our side: BYE and the like take the next
 * CSeq and are fire and forget (libre's client transaction); the ACK of
 * a 2xx takes its INVITE's CSeq and is no transaction (13.2.2.4) */
static int leg_send(struct calls *cs, struct leg *l, const char *met,
		    uint32_t cseq, const char *hdrs)
{
	const bool ack = !strcmp(met, "ACK");
	struct uri route;
	struct mbuf *mb;
	struct pl pl;
	int err;

	if (!l->target)
		return EINVAL;

	pl_set_str(&pl, l->target);
	if (uri_decode(&route, &pl))
		return EINVAL;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "Max-Forwards: %u\r\nTo: %s\r\nFrom: %s\r\n"
			  "Call-ID: %s\r\nCSeq: %u %s\r\n"
			  "User-Agent: " SOFTWARE "\r\n%s"
			  "Content-Length: 0\r\n\r\n", MAX_FORWARDS,
			  l->rhdr, l->lhdr, l->callid, cseq, met,
			  hdrs ? hdrs : "");
	mb->pos = 0;

	if (!err)
		err = sip_request(NULL, cs->base.sip, !ack, met, -1, l->target,
				  -1, &route, mb, 0, NULL,
				  ack ? NULL : dummy_resp, NULL);

	mem_deref(mb);

	return err;
}


int leg_request(struct calls *cs, struct leg *l, const char *met,
		const char *hdrs)
{
	if (!l->up)
		return EINVAL;

	return leg_send(cs, l, met, ++l->lseq, hdrs);
}


/* the ACK of a 2xx to our INVITE of CSeq cseq (again, when the 2xx is
 * resent: the leg may be down by then) */
int leg_ack(struct calls *cs, struct leg *l, uint32_t cseq)
{
	return leg_send(cs, l, "ACK", cseq, NULL);
}


static void leg_ok_retransmit(void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	uint32_t elapsed = 0;

	if (!l->ok || !l->up || !c)
		return;

	for (uint32_t i = 0; i <= l->ok_txc; i++)
		elapsed += MIN(SIP_T1 << i, SIP_T2);

	if (elapsed >= 64 * SIP_T1) {
		/* never ACKed (RFC 3261 13.3.1.4): hang up */
		l->ok = mem_deref(l->ok);
		if (l->ok_first)
			call_hangup(c, "registrar");
		return;
	}

	(void)sip_send(c->cs->base.sip, NULL, SIP_TRANSP_UDP, &l->ok_dst,
		       l->ok);
	l->ok_txc++;
	tmr_start(&l->ok_tmr, MIN(SIP_T1 << l->ok_txc, SIP_T2),
		  leg_ok_retransmit, l);
}


/* our 2xx to an INVITE on this leg: resent until the ACK (13.3.1.4) */
void leg_ok_start(struct leg *l, struct mbuf *mb,
		  const struct sip_msg *msg, bool first)
{
	struct pl rp;

	mem_deref(l->ok);
	l->ok = mb;
	l->ok_cseq = msg->cseq.num;
	l->ok_first = first;
	l->ok_txc = 0;
	sip_reply_addr(&l->ok_dst, msg,
		       !msg_param_exists(&msg->via.params, "rport", &rp));

	if (msg->tp == SIP_TRANSP_UDP)
		tmr_start(&l->ok_tmr, SIP_T1, leg_ok_retransmit, l);
}


struct found {
	struct call *call;
	struct leg *leg;
	bool caller;
};


static bool dialog_find(struct calls *cs, const struct sip_msg *msg,
			struct found *f)
{
	for (struct le *le = cs->calll.head; le; le = le->next) {
		struct call *c = le->data;

		if (c->state == CALL_ENDED)
			continue;

		if (leg_match(&c->a, msg)) {
			f->call = c;
			f->leg = &c->a;
			f->caller = true;
			return true;
		}

		if (c->peer && leg_match(&c->peer->leg, msg)) {
			f->call = c;
			f->leg = &c->peer->leg;
			f->caller = false;
			return true;
		}
	}

	return false;
}


static void refer_in_dialog(struct calls *cs, const struct sip_msg *msg,
			    struct call *c)
{
	uint32_t n = sip_msg_hdr_count(msg, SIP_HDR_REFER_TO);
	uint16_t scode;
	const char *rsn;

	/* R-REF-04 */
	if (n != 1) {
		(void)calls_reply(cs, msg, NULL, NULL, RULE_REG_MSG_2, 0, NULL,
				  NULL, NULL, NULL);
		reg_config_reply(cs->base.cfg, RULE_REG_MSG_2, &scode, &rsn,
				 NULL, NULL);
		call_decide(NULL, cs, msg, RULE_REG_MSG_2, scode, rsn, n ?
			    "several Refer-To" : "no Refer-To");
		return;
	}

	/* REFER-1: refused; the call goes on, nobody is told */
	reg_config_reply(cs->base.cfg, RULE_REFER_1, &scode, &rsn, NULL, NULL);
	(void)calls_reply(cs, msg, NULL, NULL, RULE_REFER_1, 0, NULL, ALLOW,
			  NULL, NULL);
	call_decide(c, cs, msg, RULE_REFER_1, scode, rsn,
		    "transfer refused; the call goes on");
}


/* MEDIA-HOLD-1: the phone's re-offer answered (hold: recvonly or
 * inactive, and we stop sending; resume: sendrecv again); without SDP we
 * offer and the ACK answers */
static void reinvite(struct calls *cs, const struct sip_msg *msg,
		     struct call *c, struct leg *l)
{
	struct mbuf *mb = NULL, *sdp = NULL;
	const char *detail = "re-INVITE answered by the B2BUA with the SDP "
		"it last sent; the other leg is not re-offered";
	enum rule_id id = RULE_COUNT;
	int err;

	(void)c;

	if (l->oa && call_sdp_is(msg)) {
		const bool was_sending = sdp_oa_sending(l->oa);

		err = leg_media_answer(l, &sdp, msg);
		if (err) {
			call_sdp_refuse(cs, msg, NULL, err, l->oa);
			return;
		}
		leg_media_applied(l);

		if (sdp_oa_remote(l->oa)->hold) {
			id = RULE_MEDIA_HOLD_1;
			detail = sdp_oa_receiving(l->oa) ? "hold: answered "
				"recvonly; the service stops sending" :
				"hold: answered inactive; the service stops "
				"sending";
		}
		else if (!was_sending) {
			id = RULE_MEDIA_HOLD_1;
			detail = "resume: answered sendrecv; the service "
				"sends again";
		}
		else {
			detail = "re-INVITE answered; the other leg is not "
				"re-offered";
		}
		mem_deref(l->sdp);
		l->sdp = mem_ref(sdp);
	}
	else if (l->oa && !mbuf_get_left(msg->mb)) {
		if (leg_media_offer(l, &sdp))
			sdp = NULL;
		detail = "re-INVITE without SDP: our offer in the 200, the "
			"answer in the ACK (MEDIA-SDP-3)";
		mem_deref(l->sdp);
		l->sdp = mem_ref(sdp);
	}

	if (!calls_reply(cs, msg, NULL, &mb, RULE_COUNT, 200, "OK", NULL,
			 l->cuser ? l->cuser : "b2bua", l->sdp))
		leg_ok_start(l, mb, msg, false);
	call_decide(NULL, cs, msg, id, 200, "OK", detail);
	mem_deref(sdp);
}


/* the ACK of our 2xx: media starts; when the 2xx offered, the ACK must
 * answer (MEDIA-SDP-3), else BYE */
static void ack(struct calls *cs, const struct sip_msg *msg,
		struct call *c, struct leg *l)
{
	int err;

	if (!l->ok || msg->cseq.num != l->ok_cseq)
		return;

	tmr_cancel(&l->ok_tmr);
	l->ok = mem_deref(l->ok);

	if (l->offered) {
		err = leg_media_accept(l, msg);
		if (err) {
			char detail[200];

			(void)re_snprintf(detail, sizeof(detail), "%s: BYE",
					  err == ENOENT ? "the ACK carries "
					  "no answer to the offer in our 2xx"
					  : sdp_oa_reason(l->oa));
			call_decide(NULL, cs, msg, err == ENOENT ?
				    RULE_MEDIA_SDP_3 :
				    call_sdp_rule(err, l->oa), 0, NULL,
				    detail);
			call_hangup(c, "registrar");
			return;
		}
		leg_media_applied(l);
	}

	leg_media_start(l);
}


bool leg_dialog_request(struct calls *cs, const struct sip_msg *msg)
{
	struct found f;

	if (!dialog_find(cs, msg, &f)) {
		if (!pl_strcmp(&msg->met, "INVITE")) {
			calls_refuse(cs, msg, NULL, RULE_COUNT, 481,
				     "Call/Transaction Does Not Exist", NULL,
				     "re-INVITE names no dialog");
			return true;
		}
		return false;
	}

	if (!pl_strcmp(&msg->met, "ACK")) {
		ack(cs, msg, f.call, f.leg);
		return true;
	}

	if (!pl_strcmp(&msg->met, "BYE")) {
		(void)calls_reply(cs, msg, NULL, NULL, RULE_COUNT, 200, "OK",
				  NULL, NULL, NULL);
		call_decide(NULL, cs, msg, RULE_COUNT, 200, "OK", f.caller ?
			    "the caller hung up: both legs end" :
			    "the callee hung up: both legs end");
		call_hangup(f.call, f.caller ? "caller" : "callee");
		return true;
	}

	if (!pl_strcmp(&msg->met, "REFER")) {
		refer_in_dialog(cs, msg, f.call);
		return true;
	}

	if (!pl_strcmp(&msg->met, "INVITE")) {
		reinvite(cs, msg, f.call, f.leg);
		return true;
	}

	if (!pl_strcmp(&msg->met, "OPTIONS") || !pl_strcmp(&msg->met, "INFO")
	    || !pl_strcmp(&msg->met, "UPDATE")) {
		(void)calls_reply(cs, msg, NULL, NULL, RULE_COUNT, 200, "OK",
				  NULL, NULL, NULL);
		return true;
	}

	calls_refuse(cs, msg, NULL, RULE_COUNT, 405, "Method Not Allowed",
		     ALLOW, "not supported in a call");

	return true;
}
