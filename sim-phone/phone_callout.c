/**
 * @file phone_callout.c  Outgoing calls of the simulated phone: INVITE
 * with an SDP offer to the registrar (or none: delayed offer, answered in
 * the ACK), digest answers to 401/407, the ACK of the 2xx (kept by the
 * stack and sent again for each retransmission of the 2xx), the answer
 * taken and media started (phone_media.c).  The
 * call object, the dialog and the other directions are phone_call.c's.
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


enum {
	CALL_CHALLENGES = 2,           /* 401/407 answered per call        */
	ACK_KEEP_MS     = 64 * SIP_T1, /* an ACK is resent for 2xx
					  retransmissions this long        */
};

/** An ACK of a 2xx, kept (by the stack) for the 2xx's retransmissions */
struct ack_ent {
	struct le le;              /* in stack->ackl                      */
	struct tmr tmr;
	char *callid;
	char ltag[24];
	uint32_t cseq;
	struct mbuf *mb;
	struct sa dst;
	enum sip_transp tp;
};


/* ---------------------------------------------------- outgoing calls */

static void ack_destructor(void *arg)
{
	struct ack_ent *ack = arg;

	list_unlink(&ack->le);
	tmr_cancel(&ack->tmr);
	mem_deref(ack->callid);
	mem_deref(ack->mb);
}


static void ack_expired(void *arg)
{
	mem_deref(arg);
}


static int ack_send_handler(enum sip_transp tp, const struct sa *src,
			    const struct sa *dst, struct mbuf *mb, void *arg)
{
	struct ack_ent *ack = arg;
	(void)src;

	/* the request being built: complete once it is sent */
	mem_deref(ack->mb);
	ack->mb  = mem_ref(mb);
	ack->dst = *dst;
	ack->tp  = tp;

	return 0;
}


/* ACK of the 2xx to our INVITE, with the answer to its offer when our
 * INVITE had none (sdp; NULL: no body); the stack keeps it 64*T1 for the
 * 2xx's retransmissions (they come after the transaction is gone) */
static int ack_send(struct phone_call *call, uint32_t cseq,
		    const struct mbuf *sdp)
{
	const size_t len = mbuf_get_left(sdp);
	struct phone_stack *ps = call->phone->stack;
	struct phone_call *prev;
	struct ack_ent *ack;
	int err;

	ack = mem_zalloc(sizeof(*ack), ack_destructor);
	if (!ack)
		return ENOMEM;

	tmr_init(&ack->tmr);
	ack->cseq = cseq;
	str_ncpy(ack->ltag, call->ltag, sizeof(ack->ltag));
	err = str_dup(&ack->callid, call->callid);
	if (err)
		goto out;

	prev = phone_call_send_begin(call);
	err = sip_requestf(NULL, ps->sip, false, "ACK", call->target,
			   &call->nexthop, NULL, ack_send_handler, NULL, ack,
			   PHONE_DIALOG_REQ_FMT,
			   call->remote_hdr, call->local_hdr, call->callid,
			   cseq, "ACK", call->routes ? call->routes : "",
			   sdp ? "Content-Type: application/sdp\r\n" : "",
			   len, sdp ? (const char *)mbuf_buf(sdp) : "", len);
	phone_call_send_end(call, prev);
	if (err)
		goto out;

	if (ack->mb) {
		list_append(&ps->ackl, &ack->le, ack);
		tmr_start(&ack->tmr, ACK_KEEP_MS, ack_expired, ack);
		ack = NULL;
	}

 out:
	mem_deref(ack);

	return err;
}


int phone_call_send_ack(struct phone_call *call, uint32_t cseq)
{
	return ack_send(call, cseq, NULL);
}


/* 2xx retransmissions: the INVITE transaction is gone, the ACK is resent */
bool phone_call_response_handler(const struct sip_msg *msg, void *arg)
{
	struct phone_stack *ps = arg;
	struct le *le;

	if (msg->scode < 200 || msg->scode > 299 ||
	    pl_strcmp(&msg->cseq.met, "INVITE"))
		return false;

	for (le = list_head(&ps->ackl); le; le = le->next) {
		struct ack_ent *ack = le->data;

		if (ack->cseq != msg->cseq.num ||
		    pl_strcmp(&msg->callid, ack->callid) ||
		    pl_strcmp(&msg->from.tag, ack->ltag))
			continue;

		(void)sip_send(ps->sip, NULL, ack->tp, &ack->dst, ack->mb);
		return true;
	}

	return false;
}


static void invite_resp_handler(int err, const struct sip_msg *msg,
				void *arg);


static int auth_line(char **linep, struct phone_call *call)
{
	return phone_auth_line(linep, call->phone, &call->dg, "INVITE",
			       call->ruri);
}


static int invite_send(struct phone_call *call)
{
	struct phone *phone = call->phone;
	struct phone_call *prev;
	struct mbuf *sdp = NULL;
	char *auth = NULL;
	int err;

	if (call->challenges) {
		err = auth_line(&auth, call);
		if (err)
			return err;
	}

	/* delayed offer (MEDIA-SDP-3): no body, the 2xx offers */
	if (!phone->media.delayed_offer && !phone->media.ack_no_answer) {
		err = phone_media_sdp(call, NULL, &sdp, NULL, NULL);
		if (err)
			goto out;
	}

	prev = phone_call_send_begin(call);
	err = sip_requestf(&call->req, phone->stack->sip, true, "INVITE",
			   call->ruri, &phone->route, NULL, NULL,
			   invite_resp_handler, call,
			   "To: %s\r\n"
			   "From: %s\r\n"
			   "Call-ID: %s\r\n"
			   "CSeq: %u INVITE\r\n"
			   "Contact: %s\r\n"
			   "%s"
			   "User-Agent: " PHONE_UA "\r\n"
			   "Allow: " PHONE_ALLOW "\r\n"
			   "%s%s%s"
			   "Content-Length: %zu\r\n"
			   "\r\n"
			   "%b",
			   call->remote_hdr, call->local_hdr, call->callid,
			   call->cseq, phone->call_contact,
			   auth ? auth : "",
			   phone->extra ? phone->extra : "",
			   call->extra ? call->extra : "",
			   sdp ? "Content-Type: application/sdp\r\n" : "",
			   mbuf_get_left(sdp),
			   sdp ? (const char *)mbuf_buf(sdp) : "",
			   mbuf_get_left(sdp));
	phone_call_send_end(call, prev);

 out:
	mem_deref(sdp);
	mem_deref(auth);

	return err;
}


/* 401/407: answer once, again only when the nonce went stale */
static int invite_challenge(struct phone_call *call, const struct sip_msg *msg)
{
	const struct phone *phone = call->phone;
	bool stale = false;

	if (phone->auth_pol == PHONE_AUTH_IGNORE ||
	    (phone->auth_pol == PHONE_AUTH_ANSWER && !phone->password))
		return EACCES;

	if (call->challenges >= CALL_CHALLENGES)
		return EACCES;

	if (phone_digest_challenge(&call->dg, msg, &stale))
		return EPROTO;

	if (call->challenges > 0 && !stale)
		return EACCES;

	++call->challenges;
	++call->cseq;

	return invite_send(call);
}


/* the 2xx to our INVITE: the dialog is confirmed, the ACK goes */
static void invite_2xx(struct phone_call *call, const struct sip_msg *msg)
{
	const bool delayed = call->phone->media.delayed_offer ||
		call->phone->media.ack_no_answer;
	struct mbuf *sdp = NULL;
	int err, merr = 0;

	call->rtag = mem_deref(call->rtag);
	call->remote_hdr = mem_deref(call->remote_hdr);

	err  = pl_strdup(&call->rtag, &msg->to.tag);
	err |= pl_strdup(&call->remote_hdr, &msg->to.val);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	/* no Contact: in-dialog requests go where the INVITE went */
	if (phone_call_dialog_target(call, msg)) {
		call->target = mem_deref(call->target);
		err = str_dup(&call->target, call->ruri);
		if (err)
			goto out;
	}

	err = phone_call_dialog_route(call, msg);
	if (err)
		goto out;

	call->lseq = call->cseq + 1;

	/* our INVITE had no offer: the 2xx's is answered in the ACK (or, the
	 * misbehaviour, taken but not answered); one we cannot take: an ACK
	 * without body, then BYE */
	if (delayed) {
		merr = phone_media_answer_2xx(call, msg, &sdp);
		if (call->phone->media.ack_no_answer)
			sdp = mem_deref(sdp);
	}

	err = ack_send(call, call->cseq, sdp);
	mem_deref(sdp);
	if (err)
		goto out;

	if (call->cancel_asked) {
		/* too late to cancel: hang up */
		(void)phone_call_send_bye(call, true);
		phone_call_close(call, PHONE_END_CANCELLED, msg->scode, msg, 0);
		return;
	}

	/* the answer to our offer; media starts (an answer we cannot take:
	 * BYE once established) */
	err = delayed ? merr : phone_media_accept(call, msg);

	call->state = PHONE_CALL_ESTABLISHED;
	phone_call_emit(call, PHONE_EV_CALL_ESTABLISHED, msg, 0, 0);
	if (err && call->open)
		(void)phone_call_hangup(call);
	return;

 out:
	phone_call_close(call, PHONE_END_ERROR, msg->scode, msg, err);
}


static void invite_resp_handler(int err, const struct sip_msg *msg,
				void *arg)
{
	struct phone_call *call = arg;
	const enum phone_call_end fail = call->cancel_asked ?
		PHONE_END_CANCELLED : PHONE_END_FAILED;

	mem_ref(call);

	if (err || !msg) {
		phone_call_close(call, fail, 0, NULL, err ? err : EPROTO);
		goto out;
	}

	phone_call_set_last(call, msg);
	phone_stack_received(call->phone->stack, msg);
	phone_call_emit(call, PHONE_EV_CALL_RESPONSE, msg, 0, 0);
	if (!call->open)
		goto out;

	if (msg->scode < 200) {
		if (msg->scode > 100 && call->state == PHONE_CALL_OUTGOING)
			call->state = PHONE_CALL_EARLY;
		goto out;
	}

	call->scode = msg->scode;

	if (msg->scode < 300) {
		invite_2xx(call, msg);
		goto out;
	}

	if ((msg->scode == 401 || msg->scode == 407) && !call->cancel_asked) {
		err = invite_challenge(call, msg);
		if (!err)
			goto out;

		phone_call_close(call, fail, msg->scode, msg, err);
		goto out;
	}

	phone_call_close(call, fail, msg->scode, msg, 0);

 out:
	mem_deref(call);
}


/**
 * Place a call through the registrar (see phone.h)
 *
 * @param cp            The call (not a reference; optional)
 * @param phone         Phone
 * @param to_uri        Request-URI and To, a sip: or sips: URI
 * @param extra_headers Header lines for the INVITE (optional)
 *
 * @return 0 if the INVITE went out, otherwise errorcode
 */
int phone_call_start(struct phone_call **cp, struct phone *phone,
		     const char *to_uri, const char *extra_headers)
{
	struct phone_call *call;
	struct uri uri;
	struct pl pl;
	int err;

	if (!phone || !str_isset(to_uri))
		return EINVAL;

	pl_set_str(&pl, to_uri);
	if (uri_decode(&uri, &pl) || (pl_strcasecmp(&uri.scheme, "sip") &&
				      pl_strcasecmp(&uri.scheme, "sips")))
		return EINVAL;

	call = phone_call_alloc(phone, false);
	if (!call)
		return ENOMEM;

	call->cseq = 1;
	re_snprintf(call->ltag, sizeof(call->ltag), "%016llx", rand_u64());

	err  = re_sdprintf(&call->callid, "%016llx%08x", rand_u64(),
			   rand_u32());
	err |= re_sdprintf(&call->local_hdr, "<sip:%s@%s>;tag=%s",
			   phone->user, phone->domain, call->ltag);
	err |= re_sdprintf(&call->remote_hdr, "<%s>", to_uri);
	err |= str_dup(&call->remote_uri, to_uri);
	err |= str_dup(&call->ruri, to_uri);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	err = phone_lines_norm(&call->extra, extra_headers);
	if (err)
		goto out;

	err = phone_call_open(call);
	if (err)
		goto out;

	err = invite_send(call);
	if (err) {
		/* nothing went out: no event */
		phone_call_unlink(call);
		goto out;
	}

	if (cp)
		*cp = call;

	return 0;

 out:
	mem_deref(call);

	return err;
}
