/**
 * @file phone_call.c  Calls of the simulated phone.  Incoming: 100 Trying
 * at once, then 180, 200 with an SDP answer (retransmitted until the
 * ACK), or a final rejection, by the owner or the answer policy; CANCEL
 * gets 200 (libre) and 487.  Outgoing: INVITE with an SDP offer to the
 * registrar, digest answers to 401/407, ACK of the 2xx (again for each
 * retransmission), CANCEL.  In the dialog: BYE both ways, our REFER,
 * 405 to other requests.
 *
 * Built on libre's transactions (sip_strans, sip_request) rather than
 * sipsess, so that what goes on the wire stays the phone's choice (100 on
 * its own, no automatic 486 or BYE, no Route header towards the
 * registrar); the dialog (tags, target, route set, CSeq) is kept here.
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


/* ------------------------------------------------------------ helpers */

static const char *reason_of(uint16_t code)
{
	switch (code) {

	case 180: return "Ringing";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 491: return "Request Pending";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  break;
	}

	if (code >= 600)
		return "Global Failure";
	if (code >= 500)
		return "Server Failure";
	if (code >= 400)
		return "Request Failure";
	if (code >= 300)
		return "Redirection";

	return "Unknown";
}


struct sip *phone_call_sip(const struct phone_call *call)
{
	return call->phone->stack->sip;
}


/* the stack reports what goes out during a send as the call's */
struct phone_call *phone_call_send_begin(struct phone_call *call)
{
	struct phone_stack *ps = call->phone->stack;
	struct phone_call *prev = ps->sending_call;

	ps->sending_call = call;

	return prev;
}


void phone_call_send_end(struct phone_call *call, struct phone_call *prev)
{
	call->phone->stack->sending_call = prev;
}


void phone_call_emit(struct phone_call *call, enum phone_event_type type,
		     const struct sip_msg *msg, uint16_t scode, int err)
{
	struct phone_event ev;

	if (!call->phone)
		return;

	memset(&ev, 0, sizeof(ev));
	ev.type  = type;
	ev.op    = PHONE_OP_CALL;
	ev.call  = call;
	ev.msg   = msg;
	ev.scode = scode ? scode : (msg && !msg->req ? msg->scode : 0);
	ev.err   = err;
	ev.end   = call->end;
	if (msg && !msg->req)
		ev.reason = msg->reason;

	phone_emit(call->phone, &ev);
}


void phone_call_set_last(struct phone_call *call, const struct sip_msg *msg)
{
	mem_deref(call->last);
	call->last = mem_ref((void *)msg);
}


/* remember a message's hash: true if it was seen before (a
 * retransmission) */
static bool seen_before(struct phone_call *call, bool tx,
			const struct sip_msg *msg)
{
	const uint32_t h = hash_joaat(msg->mb->buf, msg->mb->end);
	const unsigned d = tx ? 1 : 0;
	unsigned i;

	for (i = 0; i < PHONE_SEEN_N; i++) {
		if (call->seen[d][i] == h)
			return true;
	}

	call->seen[d][call->seen_i[d]++ % PHONE_SEEN_N] = h;

	return false;
}


/* ----------------------------------------------------- object, close */

static void call_destructor(void *arg)
{
	struct phone_call *call = arg;

	/* open calls are referenced by their phone: here the call is
	 * closed or its phone gone; whatever is pending goes on quietly */
	list_unlink(&call->le);
	hash_unlink(&call->he);
	vtimer_cancel(&call->tmr_answer);
	tmr_cancel(&call->tmr_2xx);
	tmr_cancel(&call->tmr_2xx_end);

	mem_deref(call->st);
	mem_deref(call->req);
	mem_deref(call->bye);
	mem_deref(call->refer);
	mem_deref(call->reinv);
	mem_deref(call->media);
	mem_deref(call->invite);
	mem_deref(call->cancel);
	mem_deref(call->req2xx);
	mem_deref(call->mb2xx);
	mem_deref(call->last);
	phone_digest_reset(&call->dg);

	mem_deref(call->callid);
	mem_deref(call->rtag);
	mem_deref(call->local_hdr);
	mem_deref(call->remote_hdr);
	mem_deref(call->remote_uri);
	mem_deref(call->target);
	mem_deref(call->routes);
	mem_deref(call->nexthop_str);
	mem_deref(call->ruri);
	mem_deref(call->extra);
}


struct phone_call *phone_call_alloc(struct phone *phone, bool incoming)
{
	struct phone_call *call;

	call = mem_zalloc(sizeof(*call), call_destructor);
	if (!call)
		return NULL;

	vtimer_init(&call->tmr_answer);
	tmr_init(&call->tmr_2xx);
	tmr_init(&call->tmr_2xx_end);
	call->phone      = phone;
	call->incoming   = incoming;
	call->state      = incoming ? PHONE_CALL_INCOMING :
		PHONE_CALL_OUTGOING;
	call->dg.header  = phone->dg.header;
	call->dg.replay  = phone->dg.replay;

	if (phone_media_alloc(&call->media, phone)) {
		mem_deref(call);
		return NULL;
	}

	/* the phone's reference: until it closes */
	list_append(&phone->calls, &call->le, call);

	return call;
}


/* index an open call: the stack finds its messages by Call-ID */
int phone_call_open(struct phone_call *call)
{
	struct phone_stack *ps = call->phone->stack;

	if (!ps->callh && hash_alloc(&ps->callh, ps->shared ?
				     PHONE_HT_CALL_SHARED : PHONE_HT_CALL_OWN))
		return ENOMEM;

	call->open = true;
	hash_append(ps->callh, hash_joaat_str(call->callid), &call->he, call);
	++ps->callc;

	return 0;
}


/* the call is no more open; the phone's reference goes */
void phone_call_unlink(struct phone_call *call)
{
	struct phone_stack *ps = call->phone->stack;

	if (!call->open)
		return;

	call->open  = false;
	call->state = PHONE_CALL_CLOSED;
	hash_unlink(&call->he);
	--ps->callc;
}


static void stop_2xx(struct phone_call *call)
{
	tmr_cancel(&call->tmr_2xx);
	tmr_cancel(&call->tmr_2xx_end);
	call->mb2xx  = mem_deref(call->mb2xx);
	call->req2xx = mem_deref(call->req2xx);
}


void phone_call_close(struct phone_call *call, enum phone_call_end end,
		      uint16_t scode, const struct sip_msg *msg, int err)
{
	if (!call->open)
		return;

	call->end = end;
	vtimer_cancel(&call->tmr_answer);
	stop_2xx(call);

	/* an INVITE not answered yet: nothing more is sent for it; ours
	 * still pending (a BYE in the early dialog): libre CANCELs it */
	call->st  = mem_deref(call->st);
	call->req = mem_deref(call->req);
	call->reinv = mem_deref(call->reinv);
	phone_media_stop(call);

	phone_call_unlink(call);
	phone_call_emit(call, PHONE_EV_CALL_CLOSED, msg, scode, err);

	mem_deref(call);
}


/* the phone goes: its calls end without events (BYE for answered ones,
 * libre's CANCEL for a pending INVITE); kept ones lose their phone */
static void call_detach(struct phone_call *call)
{
	const bool open = call->open;

	if (open) {
		switch (call->state) {

		case PHONE_CALL_ANSWERED:
		case PHONE_CALL_ESTABLISHED:
			(void)phone_call_send_bye(call, true);
			break;

		default:
			break;
		}

		phone_call_unlink(call);
	}

	vtimer_cancel(&call->tmr_answer);
	stop_2xx(call);
	call->st     = mem_deref(call->st);
	call->req    = mem_deref(call->req);
	call->bye    = mem_deref(call->bye);
	call->refer  = mem_deref(call->refer);
	call->reinv  = mem_deref(call->reinv);
	phone_media_stop(call);

	/* a TCP message holds its connection: not past the stack */
	call->invite = mem_deref(call->invite);
	call->cancel = mem_deref(call->cancel);
	call->last   = mem_deref(call->last);
	call->phone  = NULL;

	if (open)
		mem_deref(call);
}


void phone_calls_close(struct phone *phone)
{
	struct le *le;

	while ((le = list_head(&phone->calls))) {
		struct phone_call *call = le->data;

		list_unlink(le);
		call_detach(call);
	}
}


/* -------------------------------------------------------- the dialog */

static bool rr_handler(const struct sip_hdr *hdr, const struct sip_msg *msg,
		       void *arg)
{
	struct mbuf *mb = arg;
	(void)msg;

	return 0 != mbuf_printf(mb, "Route: %r\r\n", &hdr->val);
}


/* the route set (Record-Route: in order for the UAS, reversed for the
 * UAC) and the next hop of in-dialog requests: the first route or the
 * remote target, or the registrar when that names no IP address (no
 * DNS here) */
int phone_call_dialog_route(struct phone_call *call,
			    const struct sip_msg *msg)
{
	struct mbuf *mb;
	struct sip_addr addr;
	struct uri uri;
	struct sa sa;
	struct pl pl;
	char *first = NULL;
	int err = 0;

	mb = mbuf_alloc(256);
	if (!mb)
		return ENOMEM;

	if (sip_msg_hdr_apply(msg, msg->req, SIP_HDR_RECORD_ROUTE,
			      rr_handler, mb)) {
		err = ENOMEM;
		goto out;
	}

	call->routes = mem_deref(call->routes);
	call->nexthop_str = mem_deref(call->nexthop_str);

	if (mb->end) {
		mb->pos = 0;
		err = mbuf_strdup(mb, &call->routes, mb->end);
		if (err)
			goto out;

		/* "Route: " then the first value */
		pl.p = call->routes + 7;
		pl.l = strcspn(call->routes + 7, "\r");
		if (!sip_addr_decode(&addr, &pl))
			err = pl_strdup(&first, &addr.auri);
		if (err)
			goto out;
	}

	pl_set_str(&pl, first ? first : call->target);
	if (!uri_decode(&uri, &pl) && !pl_strcasecmp(&uri.scheme, "sip") &&
	    !sa_set(&sa, &uri.host, 0))
		err = str_dup(&call->nexthop_str, first ? first :
			      call->target);
	else
		err = str_dup(&call->nexthop_str, call->phone->route_str);
	if (err)
		goto out;

	pl_set_str(&pl, call->nexthop_str);
	err = uri_decode(&call->nexthop, &pl);

 out:
	mem_deref(first);
	mem_deref(mb);

	return err;
}


/* the remote target: the Contact of the INVITE or of the 2xx */
int phone_call_dialog_target(struct phone_call *call,
			     const struct sip_msg *msg)
{
	const struct sip_hdr *hdr = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr addr;

	if (!hdr || sip_addr_decode(&addr, &hdr->val))
		return EBADMSG;

	call->target = mem_deref(call->target);

	return pl_strdup(&call->target, &addr.auri);
}


/* an in-dialog request of ours; quiet: nobody hears its response; extra
 * lines name the body's Content-Type */
int phone_call_request(struct phone_call *call, struct sip_request **reqp,
		       const char *met, sip_resp_h *resph, const char *extra,
		       const struct mbuf *body)
{
	struct phone_call *prev;
	const size_t n = body ? mbuf_get_left(body) : 0;
	int err;

	prev = phone_call_send_begin(call);
	err = sip_requestf(reqp, phone_call_sip(call), true, met, call->target,
			   &call->nexthop, NULL, NULL, resph,
			   resph ? call : NULL, PHONE_DIALOG_REQ_FMT,
			   call->remote_hdr, call->local_hdr, call->callid,
			   call->lseq++, met,
			   call->routes ? call->routes : "",
			   extra ? extra : "", n,
			   body ? mbuf_buf(body) : NULL, n);
	phone_call_send_end(call, prev);

	return err;
}


static void bye_resp_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct phone_call *call = arg;

	if (!err && msg && msg->scode < 200)
		return;

	if (msg)
		phone_call_set_last(call, msg);

	phone_call_close(call, PHONE_END_HANGUP, msg ? msg->scode : 0, msg,
			 err ? err : (msg ? 0 : EPROTO));
}


int phone_call_send_bye(struct phone_call *call, bool quiet)
{
	if (quiet)
		return phone_call_request(call, NULL, "BYE", NULL, NULL, NULL);

	return phone_call_request(call, &call->bye, "BYE", bye_resp_handler,
				  NULL, NULL);
}


/* ---------------------------------------------------- incoming calls */

static int reply_2xx(struct phone_call *call, const struct sip_msg *req,
		     struct sip_strans **stp);


static void answer_timer(void *arg)
{
	struct phone_call *call = arg;
	int err;

	if (call->state != PHONE_CALL_INCOMING &&
	    call->state != PHONE_CALL_RINGING)
		return;

	mem_ref(call);
	err = reply_2xx(call, call->invite, &call->st);
	if (err)
		phone_call_close(call, PHONE_END_ERROR, 0, NULL, err);
	mem_deref(call);
}


static void retrans_2xx(void *arg)
{
	struct phone_call *call = arg;
	struct phone_call *prev;

	prev = phone_call_send_begin(call);
	(void)sip_send(phone_call_sip(call), call->req2xx->sock,
		       call->req2xx->tp, &call->req2xx->src, call->mb2xx);
	phone_call_send_end(call, prev);

	++call->txc_2xx;
	tmr_start(&call->tmr_2xx, MIN(SIP_T1 << call->txc_2xx, SIP_T2),
		  retrans_2xx, call);
}


/* 64*T1 without ACK: the session ends with a BYE (RFC 3261 13.3.1.4) */
static void no_ack(void *arg)
{
	struct phone_call *call = arg;

	mem_ref(call);
	stop_2xx(call);
	(void)phone_call_send_bye(call, true);
	phone_call_close(call, PHONE_END_NO_ACK, 0, NULL, ETIMEDOUT);
	mem_deref(call);
}


/* 200 with our SDP to the INVITE (stp: its transaction) or a re-INVITE,
 * resent until the ACK */
static int reply_2xx(struct phone_call *call, const struct sip_msg *req,
		     struct sip_strans **stp)
{
	struct phone_call *prev;
	struct mbuf *sdp = NULL, *mb = NULL;
	const char *why = NULL;
	uint16_t code = 0;
	int err;

	/* the answer to the request's offer, or our offer (delayed offer):
	 * an offer we cannot take is refused (488, 400) */
	err = phone_media_sdp(call, req, &sdp, &code, &why);
	if (err && code) {
		prev = phone_call_send_begin(call);
		err = sip_treplyf(stp, NULL, phone_call_sip(call), req, false,
				  code, reason_of(code),
				  "Warning: 399 sim-phone \"%s\"\r\n"
				  "Content-Length: 0\r\n\r\n", why);
		phone_call_send_end(call, prev);
		if (!err && stp == &call->st) {
			call->scode = code;
			phone_call_close(call, PHONE_END_REJECTED, code, NULL,
					 0);
		}
		return err;
	}
	if (err)
		return err;

	prev = phone_call_send_begin(call);
	err = sip_treplyf(stp, &mb, phone_call_sip(call), req, true, 200, "OK",
			  "Contact: %s\r\n"
			  "Allow: " PHONE_ALLOW "\r\n"
			  "Content-Type: application/sdp\r\n"
			  "Content-Length: %zu\r\n"
			  "\r\n"
			  "%b",
			  call->phone->call_contact, mbuf_get_left(sdp),
			  mbuf_buf(sdp), mbuf_get_left(sdp));
	phone_call_send_end(call, prev);
	mem_deref(sdp);
	if (err)
		return err;

	stop_2xx(call);
	call->mb2xx   = mb;
	call->req2xx  = mem_ref((void *)req);
	call->txc_2xx = 0;
	tmr_start(&call->tmr_2xx, SIP_T1, retrans_2xx, call);
	tmr_start(&call->tmr_2xx_end, 64 * SIP_T1, no_ack, call);

	if (stp == &call->st) {
		vtimer_cancel(&call->tmr_answer);
		call->scode = 200;
		call->state = PHONE_CALL_ANSWERED;
	}

	return 0;
}


/* the strans answered the CANCEL with 200; the INVITE gets 487 */
static void cancel_handler(void *arg)
{
	struct phone_call *call = arg;
	struct phone_call *prev;

	mem_ref(call);
	vtimer_cancel(&call->tmr_answer);

	prev = phone_call_send_begin(call);
	(void)sip_treply(&call->st, phone_call_sip(call), call->invite, 487,
			 "Request Terminated");
	phone_call_send_end(call, prev);

	call->scode = 487;
	if (call->cancel)
		phone_call_set_last(call, call->cancel);
	phone_call_emit(call, PHONE_EV_CALL_CANCELLED, call->cancel, 0, 0);
	phone_call_close(call, PHONE_END_CANCELLED, 487, call->cancel, 0);
	mem_deref(call);
}


static void incoming_invite(struct phone_stack *ps, const struct sip_msg *msg)
{
	struct phone_call *call = NULL, *prev;
	struct phone *phone;
	int err;

	phone = phone_stack_user(ps, &msg->uri.user);
	if (!phone) {
		(void)sip_treply(NULL, ps->sip, msg, 404, "Not Found");
		return;
	}

	if (!sip_msg_hdr(msg, SIP_HDR_CONTACT) || !pl_isset(&msg->from.tag)) {
		(void)sip_treply(NULL, ps->sip, msg, 400, "Bad Request");
		return;
	}

	call = phone_call_alloc(phone, true);
	if (!call) {
		(void)sip_treply(NULL, ps->sip, msg, 500,
				 "Server Internal Error");
		return;
	}

	call->invite = mem_ref((void *)msg);
	call->last   = mem_ref((void *)msg);
	call->lseq   = 1;
	re_snprintf(call->ltag, sizeof(call->ltag), "%016llx", msg->tag);

	err  = pl_strdup(&call->callid, &msg->callid);
	err |= pl_strdup(&call->rtag, &msg->from.tag);
	err |= pl_strdup(&call->remote_hdr, &msg->from.val);
	err |= pl_strdup(&call->remote_uri, &msg->from.auri);
	err |= re_sdprintf(&call->local_hdr, "%r;tag=%s", &msg->to.val,
			   call->ltag);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	err = phone_call_dialog_target(call, msg);
	if (err)
		goto out;

	err = phone_call_dialog_route(call, msg);
	if (err)
		goto out;

	err = phone_call_open(call);
	if (err)
		goto out;

	err = sip_strans_alloc(&call->st, ps->sip, msg, cancel_handler, call);
	if (err) {
		phone_call_unlink(call);
		goto out;
	}

	prev = phone_call_send_begin(call);
	err = sip_treply(&call->st, ps->sip, msg, 100, "Trying");
	phone_call_send_end(call, prev);
	if (err) {
		phone_call_close(call, PHONE_END_ERROR, 0, NULL, err);
		return;
	}

	/* the owner may act from the handler (or close the call) */
	mem_ref(call);
	phone_call_emit(call, PHONE_EV_CALL_INCOMING, msg, 0, 0);

	if (call->open && call->state == PHONE_CALL_INCOMING) {

		switch (phone->answer_pol) {

		case PHONE_ANSWER_AUTO:
			err = phone_call_ring(call);
			if (!err)
				err = phone_call_answer(call,
							phone->answer_delay);
			break;

		case PHONE_ANSWER_REJECT:
			err = phone_call_reject(call, phone->reject_code);
			break;

		default:
			break;
		}

		if (err)
			phone_call_close(call, PHONE_END_ERROR, 0, NULL, err);
	}

	mem_deref(call);
	return;

 out:
	(void)sip_treply(NULL, ps->sip, msg, err == EBADMSG ? 400 : 500,
			 err == EBADMSG ? "Bad Request" :
			 "Server Internal Error");
	mem_deref(call);
}


static void ack_received(struct phone_call *call, const struct sip_msg *msg)
{
	if (!call->mb2xx || msg->cseq.num != call->req2xx->cseq.num)
		return;

	mem_ref(call);
	stop_2xx(call);
	phone_call_set_last(call, msg);

	/* the answer to an offer of ours in the 2xx; media starts */
	if (phone_media_ack(call, msg, call->state == PHONE_CALL_ANSWERED))
		call->hangup_pending = true;

	if (call->state == PHONE_CALL_ANSWERED) {
		call->state = PHONE_CALL_ESTABLISHED;
		phone_call_emit(call, PHONE_EV_CALL_ESTABLISHED, msg, 0, 0);
	}

	if (call->open && call->hangup_pending &&
	    call->state == PHONE_CALL_ESTABLISHED) {
		int err;

		call->hangup_pending = false;
		err = phone_call_send_bye(call, false);
		if (err)
			phone_call_close(call, PHONE_END_HANGUP, 0, NULL, err);
		else
			call->state = PHONE_CALL_CLOSING;
	}

	mem_deref(call);
}


static void bye_received(struct phone_stack *ps, struct phone_call *call,
			 const struct sip_msg *msg)
{
	struct phone_call *prev;

	mem_ref(call);

	prev = phone_call_send_begin(call);
	(void)sip_treplyf(NULL, NULL, ps->sip, msg, false, 200, "OK",
			  "Content-Length: 0\r\n\r\n");

	/* an early dialog: the INVITE is over too */
	if (call->st)
		(void)sip_treply(&call->st, ps->sip, call->invite, 487,
				 "Request Terminated");
	phone_call_send_end(call, prev);

	phone_call_set_last(call, msg);
	phone_call_emit(call, PHONE_EV_CALL_BYE, msg, 0, 0);
	phone_call_close(call, PHONE_END_REMOTE_BYE, 200, msg, 0);
	mem_deref(call);
}


static void reinvite_received(struct phone_stack *ps, struct phone_call *call,
			      const struct sip_msg *msg)
{
	struct phone_call *prev;

	phone_call_set_last(call, msg);

	if (call->state == PHONE_CALL_ESTABLISHED && !call->mb2xx &&
	    !call->reinv) {
		if (reply_2xx(call, msg, NULL))
			(void)sip_treply(NULL, ps->sip, msg, 500,
					 "Server Internal Error");
		return;
	}

	prev = phone_call_send_begin(call);
	(void)sip_treplyf(NULL, NULL, ps->sip, msg, false, 491,
			  "Request Pending", "Content-Length: 0\r\n\r\n");
	phone_call_send_end(call, prev);
}


static bool call_dialog_cmp(const struct phone_call *call,
			    const struct sip_msg *msg)
{
	return !pl_strcmp(&msg->callid, call->callid) &&
		!pl_strcmp(&msg->to.tag, call->ltag) &&
		(!call->rtag || !pl_strcmp(&msg->from.tag, call->rtag));
}


static struct phone_call *dialog_find(const struct phone_stack *ps,
				      const struct sip_msg *msg)
{
	struct le *le;

	le = list_head(hash_list(ps->callh, hash_joaat_pl(&msg->callid)));
	for (; le; le = le->next) {
		struct phone_call *call = le->data;

		if (call_dialog_cmp(call, msg))
			return call;
	}

	return NULL;
}


/* requests the stack's transactions did not absorb */
static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct phone_stack *ps = arg;
	struct phone_call *call, *prev;

	/* the stack's 501 and 481 for these, as before */
	if (!pl_strcmp(&msg->met, "REGISTER") ||
	    !pl_strcmp(&msg->met, "CANCEL"))
		return false;

	if (!pl_isset(&msg->to.tag)) {

		if (!pl_strcmp(&msg->met, "INVITE")) {
			incoming_invite(ps, msg);
			return true;
		}

		/* a phone's capabilities */
		if (!pl_strcmp(&msg->met, "OPTIONS") &&
		    phone_stack_user(ps, &msg->uri.user)) {
			(void)sip_treplyf(NULL, NULL, ps->sip, msg, false,
					  200, "OK",
					  "Allow: " PHONE_ALLOW "\r\n"
					  "Accept: application/sdp\r\n"
					  "Content-Length: 0\r\n\r\n");
			return true;
		}

		/* an ACK is never answered */
		return !pl_strcmp(&msg->met, "ACK");
	}

	call = dialog_find(ps, msg);

	if (!pl_strcmp(&msg->met, "ACK")) {
		if (call)
			ack_received(call, msg);
		return true;
	}

	if (!call) {
		(void)sip_treply(NULL, ps->sip, msg, 481,
				 "Call/Transaction Does Not Exist");
		return true;
	}

	if (!pl_strcmp(&msg->met, "BYE")) {
		bye_received(ps, call, msg);
		return true;
	}

	if (!pl_strcmp(&msg->met, "INVITE")) {
		reinvite_received(ps, call, msg);
		return true;
	}

	phone_call_set_last(call, msg);

	prev = phone_call_send_begin(call);
	if (!pl_strcmp(&msg->met, "INFO")) {
		/* DTMF by SIP INFO (application/dtmf-relay) */
		phone_media_info(call, msg);
		(void)sip_treplyf(NULL, NULL, ps->sip, msg, false, 200, "OK",
				  "Content-Length: 0\r\n\r\n");
	}
	else if (!pl_strcmp(&msg->met, "OPTIONS"))
		(void)sip_treplyf(NULL, NULL, ps->sip, msg, false, 200, "OK",
				  "Allow: " PHONE_ALLOW "\r\n"
				  "Content-Length: 0\r\n\r\n");
	else
		(void)sip_treplyf(NULL, NULL, ps->sip, msg, false, 405,
				  "Method Not Allowed",
				  "Allow: " PHONE_ALLOW "\r\n"
				  "Content-Length: 0\r\n\r\n");
	phone_call_send_end(call, prev);

	return true;
}


/* ------------------------------------------------------------ actions */

static bool unanswered_in(const struct phone_call *call)
{
	return call->incoming && call->st &&
		(call->state == PHONE_CALL_INCOMING ||
		 call->state == PHONE_CALL_RINGING);
}


static bool unanswered_out(const struct phone_call *call)
{
	return !call->incoming && (call->state == PHONE_CALL_OUTGOING ||
				   call->state == PHONE_CALL_EARLY);
}


static int call_usable(const struct phone_call *call)
{
	if (!call)
		return EINVAL;

	return call->phone ? 0 : ENOTCONN;
}


/** 180 Ringing to an incoming call not answered yet */
int phone_call_ring(struct phone_call *call)
{
	struct phone_call *prev;
	int err = call_usable(call);

	if (err)
		return err;

	if (!unanswered_in(call))
		return EPROTO;

	prev = phone_call_send_begin(call);
	err = sip_treplyf(&call->st, NULL, phone_call_sip(call), call->invite,
			  true, 180, "Ringing",
			  "Contact: %s\r\n"
			  "Allow: " PHONE_ALLOW "\r\n"
			  "Content-Length: 0\r\n"
			  "\r\n",
			  call->phone->call_contact);
	phone_call_send_end(call, prev);
	if (err)
		return err;

	call->state = PHONE_CALL_RINGING;

	return 0;
}


/** 200 with SDP to an incoming call, after delay_ms virtual ms */
int phone_call_answer(struct phone_call *call, uint32_t delay_ms)
{
	int err = call_usable(call);

	if (err)
		return err;

	if (!unanswered_in(call))
		return EPROTO;

	if (delay_ms) {
		vtimer_start(&call->tmr_answer, delay_ms, answer_timer, call);
		return 0;
	}

	return reply_2xx(call, call->invite, &call->st);
}


/** A final 3xx-6xx to an incoming call not answered yet */
int phone_call_reject(struct phone_call *call, uint16_t code)
{
	struct phone_call *prev;
	int err = call_usable(call);

	if (err)
		return err;

	if (code < 300 || code > 699)
		return EINVAL;

	if (!unanswered_in(call))
		return EPROTO;

	prev = phone_call_send_begin(call);
	err = sip_treplyf(&call->st, NULL, phone_call_sip(call), call->invite,
			  false, code, reason_of(code),
			  "Content-Length: 0\r\n\r\n");
	phone_call_send_end(call, prev);
	if (err)
		return err;

	call->scode = code;
	phone_call_close(call, PHONE_END_REJECTED, code, NULL, 0);

	return 0;
}


/** CANCEL our INVITE (once a provisional response came) */
int phone_call_cancel(struct phone_call *call)
{
	struct phone_call *prev;
	int err = call_usable(call);

	if (err)
		return err;

	if (!unanswered_out(call) || !call->req)
		return EPROTO;

	call->cancel_asked = true;
	call->state = PHONE_CALL_CANCELLING;

	prev = phone_call_send_begin(call);
	sip_request_cancel(call->req);
	phone_call_send_end(call, prev);

	return 0;
}


/** End the call the way its state asks for (see phone.h) */
int phone_call_hangup(struct phone_call *call)
{
	int err = call_usable(call);

	if (err)
		return err;

	if (unanswered_out(call))
		return phone_call_cancel(call);

	if (unanswered_in(call))
		return phone_call_reject(call, 603);

	switch (call->state) {

	case PHONE_CALL_ANSWERED:
		call->hangup_pending = true;
		return 0;

	case PHONE_CALL_ESTABLISHED:
		err = phone_call_send_bye(call, false);
		if (err)
			return err;

		call->state = PHONE_CALL_CLOSING;
		return 0;

	default:
		return EPROTO;
	}
}


static void refer_resp_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct phone_call *call = arg;

	if (!err && msg && msg->scode < 200)
		return;

	if (msg)
		phone_call_set_last(call, msg);

	phone_call_emit(call, PHONE_EV_CALL_REFER_DONE, msg, 0,
			err ? err : (msg ? 0 : EPROTO));
}


/** In-dialog REFER to refer_to (a URI; <...> added when missing) */
int phone_call_refer(struct phone_call *call, const char *refer_to)
{
	char *lines = NULL;
	int err = call_usable(call);

	if (err)
		return err;

	if (!str_isset(refer_to))
		return EINVAL;

	if (call->state != PHONE_CALL_ESTABLISHED)
		return EPROTO;

	if (call->refer)
		return EBUSY;

	err = re_sdprintf(&lines, "Contact: %s\r\n"
			  "Refer-To: %s%s%s\r\n"
			  "Referred-By: <sip:%s@%s>\r\n",
			  call->phone->call_contact,
			  refer_to[0] == '<' ? "" : "<", refer_to,
			  refer_to[0] == '<' ? "" : ">",
			  call->phone->user, call->phone->domain);
	if (err)
		return err;

	err = phone_call_request(call, &call->refer, "REFER",
				 refer_resp_handler, lines, NULL);
	mem_deref(lines);

	return err;
}


/* -------------------------------------------------------- the stack */

/* the open call a message belongs to: Call-ID, and our tag where ours
 * goes (From of what we send as requests or receive as responses, To
 * otherwise), or no tag of ours yet and theirs */
static struct phone_call *call_match(const struct phone_stack *ps,
				     const struct sip_msg *msg, bool tx)
{
	const bool ours_from = tx == msg->req;
	const struct pl *lt = ours_from ? &msg->from.tag : &msg->to.tag;
	const struct pl *rt = ours_from ? &msg->to.tag : &msg->from.tag;
	struct le *le;

	le = list_head(hash_list(ps->callh, hash_joaat_pl(&msg->callid)));
	for (; le; le = le->next) {
		struct phone_call *call = le->data;

		if (pl_strcmp(&msg->callid, call->callid))
			continue;

		if (!pl_strcmp(lt, call->ltag))
			return call;

		if (!pl_isset(lt) && call->rtag && !pl_strcmp(rt, call->rtag))
			return call;
	}

	return NULL;
}


/**
 * A message the stack sent or received that is not about REGISTER:
 * report it to its call's phone (SENT / RECEIVED), or a request received
 * without a call to the phone it is for (the stack's own answers to
 * strays, 404, 481, 501, are reported to nobody)
 *
 * @param ps  Stack
 * @param tx  Sent (true) or received
 * @param msg The message, decoded from the wire
 */
void phone_call_trace(struct phone_stack *ps, bool tx, struct sip_msg *msg)
{
	struct phone_call *call;
	struct phone *phone;
	struct phone_event ev;

	if (tx && ps->sending_call)
		call = ps->sending_call;
	else
		call = call_match(ps, msg, tx);

	/* without a call, only a request received is reported: to the
	 * phone it is for */
	if (call)
		phone = call->phone;
	else if (!tx && msg->req)
		phone = phone_stack_user(ps, &msg->uri.user);
	else
		phone = NULL;

	if (!phone)
		return;

	memset(&ev, 0, sizeof(ev));
	ev.type = tx ? PHONE_EV_SENT : PHONE_EV_RECEIVED;
	ev.op   = PHONE_OP_CALL;
	ev.msg  = msg;
	ev.call = call;

	if (call) {
		ev.retrans = seen_before(call, tx, msg);

		/* the stack answers a CANCEL itself: keep it for the
		 * CANCELLED event (its Reason header) */
		if (!tx && call->incoming && msg->req &&
		    !pl_strcmp(&msg->met, "CANCEL")) {
			mem_deref(call->cancel);
			call->cancel = mem_ref(msg);
		}
	}

	if (!msg->req) {
		ev.scode  = msg->scode;
		ev.reason = msg->reason;
	}

	phone_emit(phone, &ev);
}


int phone_call_listen(struct phone_stack *ps)
{
	int err;

	err = sip_listen(&ps->lsnr_req, ps->sip, true, request_handler, ps);
	if (err)
		return err;

	return sip_listen(&ps->lsnr_resp, ps->sip, false,
			  phone_call_response_handler, ps);
}


void phone_call_stack_close(struct phone_stack *ps)
{
	ps->lsnr_req  = mem_deref(ps->lsnr_req);
	ps->lsnr_resp = mem_deref(ps->lsnr_resp);
	list_flush(&ps->ackl);
}


/**
 * The phone's Contact for calls (its first Contact when that is an
 * address, else the default one) and the user INVITEs are taken for;
 * files the phone under that user on its stack
 *
 * @param phone Phone with its contacts and stack
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_call_conf(struct phone *phone)
{
	const char *first = phone->contacts && phone->contacts->n ?
		phone->contacts->v[0] : NULL;
	struct sip_addr addr;
	struct pl pl;
	int err = 0;

	if (first) {
		pl_set_str(&pl, first);
		if (!sip_addr_decode(&addr, &pl)) {

			/* the default Contact is already "<uri>" */
			if (addr.auri.p == first + 1 &&
			    addr.auri.l + 2 == strlen(first))
				phone->call_contact = mem_ref((char *)first);
			else
				err = re_sdprintf(&phone->call_contact,
						  "<%r>", &addr.auri);

			if (!pl_strcmp(&addr.uri.user, phone->user))
				phone->call_user = mem_ref(phone->user);
			else
				err |= re_sdprintf(&phone->call_user, "%r",
						   &addr.uri.user);
			if (err)
				return ENOMEM;
		}
	}

	if (!phone->call_contact) {
		err = re_sdprintf(&phone->call_contact,
				  "<sip:%s@%J;transport=%s>", phone->user,
				  &phone->laddr, phone_tp_name(phone->tp));
		if (err)
			return err;

		phone->call_user = mem_ref(phone->user);
	}

	hash_append(phone->stack->userh, hash_joaat_str(phone->call_user),
		    &phone->uhe, phone);

	return 0;
}


/* ------------------------------------------------------------ getters */

struct phone *phone_call_phone(const struct phone_call *call)
{
	return call ? call->phone : NULL;
}


enum phone_call_state phone_call_state(const struct phone_call *call)
{
	return call ? call->state : PHONE_CALL_CLOSED;
}


enum phone_call_end phone_call_end(const struct phone_call *call)
{
	return call ? call->end : PHONE_END_NONE;
}


bool phone_call_incoming(const struct phone_call *call)
{
	return call && call->incoming;
}


uint16_t phone_call_scode(const struct phone_call *call)
{
	return call ? call->scode : 0;
}


const struct sip_msg *phone_call_msg(const struct phone_call *call)
{
	return call ? call->last : NULL;
}


const char *phone_call_remote_uri(const struct phone_call *call)
{
	return call ? call->remote_uri : NULL;
}


const char *phone_call_callid(const struct phone_call *call)
{
	return call ? call->callid : NULL;
}


unsigned phone_call_count(const struct phone *phone)
{
	struct le *le;
	unsigned n = 0;

	if (!phone)
		return 0;

	for (le = list_head(&phone->calls); le; le = le->next) {
		const struct phone_call *call = le->data;

		n += call->open;
	}

	return n;
}


struct phone_call *phone_call_latest(const struct phone *phone)
{
	struct le *le;

	if (!phone)
		return NULL;

	for (le = list_tail(&phone->calls); le; le = le->prev) {
		struct phone_call *call = le->data;

		if (call->open)
			return call;
	}

	return NULL;
}


const char *phone_call_state_name(enum phone_call_state st)
{
	switch (st) {

	case PHONE_CALL_INCOMING:    return "incoming";
	case PHONE_CALL_RINGING:     return "ringing";
	case PHONE_CALL_ANSWERED:    return "answered";
	case PHONE_CALL_OUTGOING:    return "outgoing";
	case PHONE_CALL_EARLY:       return "early";
	case PHONE_CALL_CANCELLING:  return "cancelling";
	case PHONE_CALL_ESTABLISHED: return "established";
	case PHONE_CALL_CLOSING:     return "closing";
	case PHONE_CALL_CLOSED:      return "closed";
	default:                     return "?";
	}
}


const char *phone_call_end_name(enum phone_call_end end)
{
	switch (end) {

	case PHONE_END_NONE:       return "none";
	case PHONE_END_REJECTED:   return "rejected";
	case PHONE_END_CANCELLED:  return "cancelled";
	case PHONE_END_FAILED:     return "failed";
	case PHONE_END_HANGUP:     return "hangup";
	case PHONE_END_REMOTE_BYE: return "remote-bye";
	case PHONE_END_NO_ACK:     return "no-ack";
	case PHONE_END_ERROR:      return "error";
	default:                   return "?";
	}
}
