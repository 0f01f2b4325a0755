/**
 * @file calls/branch.c  One branch of a Dial toward a binding (RING-1): the
 * INVITE client transaction the B2BUA runs itself with sip_send() (Timer
 * A/B, Timer C on the virtual clock, CANCEL with a Reason after a
 * provisional, ACK of a final failure on the INVITE's Via branch), and the
 * dialog a 2xx sets up.  A branch lives in cs->brl until its transaction is
 * over, whatever happens to its Dial or call.
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "config.h"
#include "location.h"
#include "pstn.h"
#include "sdp_oa.h"
#include "calls/calls_priv.h"


static void branch_destructor(void *data)
{
	struct branch *b = data;

	list_unlink(&b->le);
	list_unlink(&b->cle);
	tmr_cancel(&b->ta);
	tmr_cancel(&b->tb);
	tmr_cancel(&b->te);
	vtimer_cancel(&b->tc);
	leg_reset(&b->leg);
	pstn_hangup(b->pc);
	mem_deref(b->target);
	mem_deref(b->via);
	mem_deref(b->ruri);
	mem_deref(b->from_hdr);
	mem_deref(b->to_hdr);
	mem_deref(b->callid);
	mem_deref(b->inv);
	mem_deref(b->ack);
	mem_deref(b->cnl);
	mem_deref(b->reason_hdr);
}


/* a branch of a Dial, attached to nothing yet */
int branch_alloc(struct branch **bp, struct calls *cs, enum br_kind kind,
		 const char *target)
{
	struct branch *b;
	int err;

	b = mem_zalloc(sizeof(*b), branch_destructor);
	if (!b)
		return ENOMEM;

	b->cs = cs;
	b->kind = kind;
	b->state = BR_CALLING;
	vtimer_init(&b->tc);

	err = str_dup(&b->target, target);
	if (err) {
		mem_deref(b);
		return err;
	}

	*bp = b;

	return 0;
}


static void branch_free_h(void *arg)
{
	mem_deref(arg);
}


/* the transaction is over: keep absorbing retransmissions, then go */
void branch_linger(struct branch *b)
{
	tmr_cancel(&b->ta);
	tmr_cancel(&b->te);
	vtimer_cancel(&b->tc);
	tmr_start(&b->tb, b->tp == SIP_TRANSP_UDP ? TIMER_D_MS : 0,
		  branch_free_h, b);
}


static struct branch *branch_find(const struct calls *cs,
				  const struct sip_msg *msg)
{
	for (struct le *le = cs->brl.head; le; le = le->next) {
		struct branch *b = le->data;

		if (!pl_strcmp(&msg->via.branch, b->branch))
			return b;
	}

	return NULL;
}


uint32_t calls_closing(const struct calls *cs)
{
	uint32_t n = 0;

	for (struct le *le = cs ? cs->brl.head : NULL; le; le = le->next) {
		const struct branch *b = le->data;

		if (b->state < BR_ANSWERED &&
		    (b->cancel_sent || b->cancel_wanted))
			n++;
	}

	return n;
}


static int branch_send(struct branch *b, struct mbuf *mb)
{
	mb->pos = 0;

	return sip_send(b->cs->base.sip, NULL, b->tp, &b->dst, mb);
}


/* ACK or CANCEL: the INVITE's Via, From, Call-ID, CSeq number */
static int branch_request(struct mbuf **mbp, const struct branch *b,
			  const char *met, const struct sip_msg *resp,
			  const char *extra)
{
	struct mbuf *mb = mbuf_alloc(512);
	int err;

	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "%s %s SIP/2.0\r\nVia: %s\r\n"
			  "Max-Forwards: %u\r\n", met, b->ruri, b->via,
			  MAX_FORWARDS);
	if (resp)
		err |= mbuf_printf(mb, "To: %r\r\n", &resp->to.val);
	else
		err |= mbuf_printf(mb, "To: %s\r\n", b->to_hdr);
	err |= mbuf_printf(mb, "From: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
			   "User-Agent: " SOFTWARE "\r\n%s"
			   "Content-Length: 0\r\n\r\n", b->from_hdr,
			   b->callid, b->cseq, met, extra ? extra : "");
	if (err) {
		mem_deref(mb);
		return ENOMEM;
	}

	mb->pos = 0;
	*mbp = mb;

	return 0;
}


/* the branch's transaction ended without a dialog (>= 300, or none) */
static void branch_failed(struct branch *b, uint16_t scode)
{
	struct dial *d = b->dial;

	b->state = BR_FAILED;
	b->scode = scode;
	branch_linger(b);

	if (d)
		dial_branch_final(d, b);
}


static void cancel_retransmit(void *arg)
{
	struct branch *b = arg;

	if (b->cancel_done || !b->cnl)
		return;

	(void)branch_send(b, b->cnl);
	b->cnltxc++;
	tmr_start(&b->te, MIN(SIP_T1 << b->cnltxc, SIP_T2),
		  cancel_retransmit, b);
}


/* no final answer 64*T1 after the CANCEL (RFC 3261 9.1): give up */
static void cancel_timeout(void *arg)
{
	struct branch *b = arg;

	branch_failed(b, 487);
}


static void cancel_now(struct branch *b)
{
	if (b->cancel_sent)
		return;

	if (branch_request(&b->cnl, b, "CANCEL", NULL, b->reason_hdr))
		return;

	b->cancel_sent = true;

	(void)branch_send(b, b->cnl);

	if (b->tp == SIP_TRANSP_UDP)
		tmr_start(&b->te, SIP_T1, cancel_retransmit, b);
	tmr_start(&b->tb, 64 * SIP_T1, cancel_timeout, b);
}


/* CANCEL a pending branch (a 2xx or a final makes it moot) */
void branch_cancel(struct branch *b, const char *reason)
{
	if (b->kind == BR_PSTN) {
		if (b->state < BR_ANSWERED) {
			b->state = BR_FAILED;
			b->scode = 487;
		}
		pstn_hangup(b->pc);
		b->pc = NULL;
		return;
	}

	if (b->state >= BR_ANSWERED || b->cancel_sent || b->cancel_wanted)
		return;

	if (b->dial)
		b->dial->call->cancels++;

	if (reason && !b->reason_hdr)
		(void)str_dup(&b->reason_hdr, reason);

	/* RFC 3261 9.1: not before a provisional has come */
	if (b->state == BR_CALLING) {
		b->cancel_wanted = true;
		return;
	}

	cancel_now(b);
}


static void timer_a(void *arg)
{
	struct branch *b = arg;

	(void)branch_send(b, b->inv);
	b->txc++;
	tmr_start(&b->ta, SIP_T1 << b->txc, timer_a, b);
}


/* Timer B: nothing at all came back */
static void timer_b(void *arg)
{
	struct branch *b = arg;

	branch_failed(b, 408);
}


/* Timer C (RFC 3261 16.8): CANCEL after a provisional, else 408 */
static void timer_c(void *arg)
{
	struct branch *b = arg;

	if (b->state == BR_PROCEEDING) {
		if (b->dial && !b->cancel_sent)
			b->dial->call->cancels++;
		cancel_now(b);
		return;
	}

	if (b->state == BR_CALLING)
		branch_failed(b, 408);
}


/* a 2xx from a branch nobody wants (lost the race, or the call went):
 * ACK it and hang up (RFC 3261 16.7 step 10 for a B2BUA) */
static void branch_unwanted_2xx(struct branch *b)
{
	if (leg_request(b->cs, &b->leg, "BYE", NULL))
		return;

	tmr_start(&b->tb, TIMER_D_MS, branch_free_h, b);
}


/* the dialog a 2xx sets up (RFC 3261 12.1.2) */
static int branch_leg(struct branch *b, const struct sip_msg *msg)
{
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct leg *l = &b->leg;
	struct sip_addr addr;
	struct pl user;
	int err;

	if (!ct || sip_addr_decode(&addr, &ct->val))
		return EBADMSG;

	err  = pl_strdup(&l->target, &addr.auri);
	err |= str_dup(&l->callid, b->callid);
	err |= pl_strdup(&l->rtag, &msg->to.tag);
	err |= pl_strdup(&l->rhdr, &msg->to.val);
	err |= str_dup(&l->lhdr, b->from_hdr);
	if (err)
		return ENOMEM;

	/* our tag: what follows ";tag=" in our From */
	if (re_regex(b->from_hdr, strlen(b->from_hdr), ";tag=[^;]+", &user))
		return EINVAL;
	err = pl_strdup(&l->ltag, &user);
	if (err)
		return err;

	err = str_dup(&l->cuser, b->dial ? b->dial->caller_id : "b2bua");
	if (err)
		return err;

	l->lseq = b->cseq;
	l->up = true;

	return 0;
}


static void branch_2xx(struct branch *b, const struct sip_msg *msg)
{
	int err;

	/* a retransmission: our ACK got lost (a 2xx we then refused for
	 * its SDP too) */
	if (b->state == BR_ANSWERED ||
	    (b->state == BR_FAILED && b->leg.rtag)) {
		if (!pl_strcmp(&msg->to.tag, b->leg.rtag))
			(void)leg_ack(b->cs, &b->leg, b->cseq);
		return;
	}

	tmr_cancel(&b->ta);
	tmr_cancel(&b->tb);
	tmr_cancel(&b->te);
	vtimer_cancel(&b->tc);
	b->state = BR_ANSWERED;
	b->scode = msg->scode;

	if (branch_leg(b, msg)) {
		branch_failed(b, 502);
		return;
	}

	(void)leg_ack(b->cs, &b->leg, b->cseq);

	if (!b->dial) {
		branch_unwanted_2xx(b);
		return;
	}

	/* MEDIA-SDP-2: an answer we cannot use ends the branch (ACK, BYE) */
	err = leg_media_accept(&b->leg, msg);
	if (err) {
		char detail[240];

		(void)re_snprintf(detail, sizeof(detail), "%s answered: %s; "
				  "ACK, then BYE, and the branch failed",
				  b->target, err == ENOENT ? "no SDP" :
				  sdp_oa_reason(b->leg.oa));
		call_decide(NULL, b->cs, msg, call_sdp_rule(err, b->leg.oa),
			    488, "Not Acceptable Here", detail);
		(void)leg_request(b->cs, &b->leg, "BYE", NULL);
		b->leg.up = false;
		branch_failed(b, 488);
		return;
	}

	dial_answered(b->dial, b);
	if (b->call)
		leg_media_start(&b->leg);
}


static void branch_response(struct branch *b, const struct sip_msg *msg)
{
	if (!pl_strcmp(&msg->cseq.met, "CANCEL")) {
		if (msg->scode >= 200) {
			b->cancel_done = true;
			tmr_cancel(&b->te);
		}
		return;
	}

	if (msg->scode < 200) {
		if (b->state != BR_CALLING && b->state != BR_PROCEEDING)
			return;

		/* Timer B stops at the first provisional; after a CANCEL
		 * tb waits for the final answer and keeps waiting */
		tmr_cancel(&b->ta);
		if (b->state == BR_CALLING)
			tmr_cancel(&b->tb);
		b->state = BR_PROCEEDING;
		if (!b->cancel_sent)
			vtimer_start(&b->tc, TIMER_C_MS, timer_c, b);

		if (b->cancel_wanted) {
			cancel_now(b);
			return;
		}

		if (msg->scode > 100 && b->dial)
			dial_ringing(b->dial, b);
		return;
	}

	if (msg->scode < 300) {
		branch_2xx(b, msg);
		return;
	}

	/* a final failure, first or again: ACK it (17.1.1.3) */
	if (!b->ack || b->state != BR_FAILED) {
		mem_deref(b->ack);
		b->ack = NULL;
		(void)branch_request(&b->ack, b, "ACK", msg, NULL);
	}
	if (b->ack)
		(void)branch_send(b, b->ack);

	if (b->state == BR_FAILED || b->state == BR_ANSWERED)
		return;

	branch_failed(b, msg->scode);
}


bool branch_response_handler(const struct sip_msg *msg, void *arg)
{
	struct calls *cs = arg;
	struct branch *b;

	if (pl_strcmp(&msg->cseq.met, "INVITE") &&
	    pl_strcmp(&msg->cseq.met, "CANCEL"))
		return false;

	b = branch_find(cs, msg);
	if (!b)
		return false;

	/* the branch may go while it is handled: keep it for the turn */
	mem_ref(b);
	branch_response(b, msg);
	mem_deref(b);

	return true;
}


/* where a binding's INVITE goes: its contact URI when that names an IP
 * address, else the address its REGISTER came from */
static int binding_dst(const struct binding *bd, struct sa *dst,
		       enum sip_transp *tp)
{
	struct uri uri;
	struct pl pl, tpl;

	pl_set_str(&pl, bd->uri);
	if (uri_decode(&uri, &pl))
		return EINVAL;

	*tp = SIP_TRANSP_UDP;
	if (!pl_strcasecmp(&uri.scheme, "sips"))
		*tp = SIP_TRANSP_TLS;
	if (!msg_param_decode(&uri.params, "transport", &tpl)) {
		if (!pl_strcasecmp(&tpl, "tcp"))
			*tp = SIP_TRANSP_TCP;
		else if (!pl_strcasecmp(&tpl, "tls"))
			*tp = SIP_TRANSP_TLS;
		else if (pl_strcasecmp(&tpl, "udp"))
			return EPROTONOSUPPORT;
	}

	/* TLS: the connection its REGISTER came on, as a service does (a
	 * new one to the phone would need a certificate the phone has) */
	if (*tp == SIP_TRANSP_TLS && bd->source && bd->transport &&
	    !strcmp(bd->transport, "TLS") &&
	    !sa_decode(dst, bd->source, strlen(bd->source)))
		return 0;

	if (!sa_set(dst, &uri.host, uri.port ? uri.port :
		    (*tp == SIP_TRANSP_TLS ? SIP_PORT_TLS : SIP_PORT)))
		return 0;

	/* a host name: no DNS here, use the source of the REGISTER */
	if (!bd->source || sa_decode(dst, bd->source, strlen(bd->source)))
		return EADDRNOTAVAIL;

	if (bd->transport && !strcmp(bd->transport, "TCP"))
		*tp = SIP_TRANSP_TCP;
	else if (bd->transport && !strcmp(bd->transport, "TLS"))
		*tp = SIP_TRANSP_TLS;
	else
		*tp = SIP_TRANSP_UDP;

	return 0;
}


/* RING-1: the INVITE to one binding, with a Via branch of its own */
int branch_sip_start(struct dial *d, const char *contact,
		     const struct binding *bd, const char *aor)
{
	struct call *c = d->call;
	struct calls *cs = c->cs;
	const char *host = strchr(aor, '@');
	struct mbuf *sdp = NULL;
	struct branch *b;
	struct sa la;
	char hex[40];
	int err;

	err = branch_alloc(&b, cs, BR_SIP, contact);
	if (err)
		return err;

	list_append(&cs->brl, &b->cle, b);
	list_append(&d->brl, &b->le, b);
	b->dial = d;
	d->sipc++;
	d->pending++;
	c->branches++;

	calls_hex_id(hex, sizeof(hex));
	(void)re_snprintf(b->branch, sizeof(b->branch), "z9hG4bK%b", hex,
			  (size_t)20);
	b->cseq = 1;

	err  = str_dup(&b->ruri, contact);
	err |= str_dup(&b->callid, d->callid);
	err |= re_sdprintf(&b->from_hdr, "\"%s\" <sip:%s@%s>;tag=%s",
			   d->caller_id, d->caller_id, host ? host + 1 : "",
			   d->ltag);
	err |= re_sdprintf(&b->to_hdr, "<sip:%s>", aor);
	if (err)
		goto fail;

	/* the branch's own stream and our offer (MEDIA-SDP-1) */
	err = leg_media_alloc(&b->leg, cs);
	if (!err && host)
		err = call_srtp_leg(&b->leg, reg_config_domain(cs->base.cfg,
				    host + 1, strlen(host + 1)));
	if (!err)
		err = leg_media_offer(&b->leg, &sdp);
	if (err)
		goto fail;

	err = binding_dst(bd, &b->dst, &b->tp);
	if (!err)
		err = calls_laddr(cs, b->tp, &b->dst, &la);
	if (err)
		goto unreachable;

	err = re_sdprintf(&b->via, "SIP/2.0/%s %J;branch=%s;rport",
			  sip_transp_name(b->tp), &la, b->branch);
	if (err)
		goto fail;

	b->inv = mbuf_alloc(1024 + (sdp ? sdp->end : 0));
	if (!b->inv) {
		err = ENOMEM;
		goto fail;
	}

	err = mbuf_printf(b->inv,
			  "INVITE %s SIP/2.0\r\n"
			  "Via: %s\r\n"
			  "Max-Forwards: %u\r\n"
			  "To: %s\r\n"
			  "From: %s\r\n"
			  "Call-ID: %s\r\n"
			  "CSeq: %u INVITE\r\n"
			  "Contact: <sip:%s@%J%s>\r\n"
			  ALLOW
			  "User-Agent: " SOFTWARE "\r\n"
			  "Content-Type: application/sdp\r\n"
			  "Content-Length: %zu\r\n\r\n%b",
			  b->ruri, b->via, c->maxfwd ? c->maxfwd - 1 : 0,
			  b->to_hdr, b->from_hdr, b->callid, b->cseq,
			  d->caller_id, &la, calls_tp_param(b->tp),
			  sdp ? sdp->end : (size_t)0,
			  sdp ? sdp->buf : NULL, sdp ? sdp->end : (size_t)0);
	if (err)
		goto fail;

	b->leg.sdp = sdp;
	sdp = NULL;

	err = branch_send(b, b->inv);
	if (err)
		goto unreachable;

	if (b->tp == SIP_TRANSP_UDP)
		tmr_start(&b->ta, SIP_T1, timer_a, b);
	tmr_start(&b->tb, 64 * SIP_T1, timer_b, b);
	vtimer_start(&b->tc, TIMER_C_MS, timer_c, b);

	return 0;

 unreachable:
	/* no INVITE could go: this branch failed at once (503) */
	mem_deref(sdp);
	c->branches--;
	d->pending--;
	b->state = BR_FAILED;
	b->scode = 503;
	dial_record(d, 503, true);
	branch_linger(b);
	return 0;

 fail:
	mem_deref(sdp);
	d->pending--;
	d->sipc--;
	c->branches--;
	mem_deref(b);

	return err;
}
