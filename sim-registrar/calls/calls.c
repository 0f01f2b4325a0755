/**
 * @file calls/calls.c  The calls object (calls.h): the list of calls, what
 * every part replies with (a rule's answer, X-Twilio-Error), requests
 * sorted to a new INVITE or a dialog, queries, reset and set-up.
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "digest.h"
#include "pstn.h"
#include "twiml.h"
#include "calls/calls_priv.h"


void calls_hex_id(char *buf, size_t sz)
{
	(void)re_snprintf(buf, sz, "%016llx%016llx",
			  (unsigned long long)rand_u64(),
			  (unsigned long long)rand_u64());
}


int calls_laddr(struct calls *cs, enum sip_transp tp,
		const struct sa *dst, struct sa *laddr)
{
	return sip_transp_laddr(cs->base.sip, laddr, tp, dst);
}


const char *calls_tp_param(enum sip_transp tp)
{
	switch (tp) {

	case SIP_TRANSP_TCP: return ";transport=tcp";
	case SIP_TRANSP_TLS: return ";transport=tls";
	default:             return "";
	}
}


/*
 * Answer a request of a call (stp: its server transaction, NULL: a new
 * one): scode 0 takes the rule's reply (profile included); a failure
 * carries the rule's X-Twilio-Error.  hdrs: extra header lines or NULL;
 * contact: the Contact user for responses that set up a dialog.
 */
int calls_reply(struct calls *cs, const struct sip_msg *msg,
		struct sip_strans **stp, struct mbuf **mbp, enum rule_id id,
		uint16_t scode, const char *reason, const char *hdrs,
		const char *contact, const struct mbuf *body)
{
	const char *etext = NULL, *rsn = NULL;
	uint32_t twerr = 0;
	uint16_t code = 0;
	char errline[160] = "", cline[160] = "";
	struct sa la;

	if (id < RULE_COUNT)
		reg_config_reply(cs->base.cfg, id, &code, &rsn, &twerr, &etext);

	if (!scode) {
		scode = code;
		reason = rsn;
	}
	if (!scode)
		return EINVAL;
	if (!reason)
		reason = "Unknown";

	if (twerr && scode >= 300)
		(void)re_snprintf(errline, sizeof(errline),
				  "X-Twilio-Error: %u%s%s\r\n", twerr,
				  etext ? " " : "", etext ? etext : "");

	if (contact && !calls_laddr(cs, msg->tp, &msg->src, &la))
		(void)re_snprintf(cline, sizeof(cline),
				  "Contact: <sip:%s@%J%s>\r\n", contact, &la,
				  calls_tp_param(msg->tp));

	if (body && body->end)
		return sip_treplyf(stp, mbp, cs->base.sip, msg, false, scode,
				   reason, "%s%s%s" ALLOW
				   "Content-Type: application/sdp\r\n"
				   "Content-Length: %zu\r\n\r\n%b", cline,
				   errline, hdrs ? hdrs : "", body->end,
				   body->buf, body->end);

	return sip_treplyf(stp, mbp, cs->base.sip, msg, false, scode, reason,
			   "%s%s%sContent-Length: 0\r\n\r\n", cline, errline,
			   hdrs ? hdrs : "");
}


/* the twilio error a rule adds to a failure */
uint32_t calls_rule_twerr(const struct calls *cs, enum rule_id id)
{
	uint32_t twerr = 0;

	if (id < RULE_COUNT)
		reg_config_reply(cs->base.cfg, id, NULL, NULL, &twerr, NULL);

	return twerr;
}


void calls_refuse(struct calls *cs, const struct sip_msg *msg,
		  struct sip_strans **stp, enum rule_id id, uint16_t scode,
		  const char *reason, const char *hdrs, const char *detail)
{
	uint16_t code = scode;
	const char *rsn = reason;

	if (!code)
		reg_config_reply(cs->base.cfg, id, &code, &rsn, NULL, NULL);

	(void)calls_reply(cs, msg, stp, NULL, id, scode, reason, hdrs, NULL,
			  NULL);
	call_decide(NULL, cs, msg, id, code, rsn, detail);
}


struct call *calls_find(const struct calls *cs, const char *sid)
{
	for (struct le *le = cs->calll.head; le; le = le->next) {
		struct call *c = le->data;

		if (!strcmp(c->sid, sid))
			return c;
	}

	return NULL;
}


bool calls_request(struct calls *cs, const struct sip_msg *msg)
{
	if (!cs || !msg)
		return false;

	if (pl_isset(&msg->to.tag)) {
		if (!pl_strcmp(&msg->met, "CANCEL"))
			return false;
		return leg_dialog_request(cs, msg);
	}

	if (!pl_strcmp(&msg->met, "INVITE")) {
		inbound_invite(cs, msg);
		return true;
	}

	return false;
}


int calls_info(const struct calls *cs, const char *sid,
	       struct call_info *ci)
{
	const struct call *c;

	if (!cs || !sid || !ci)
		return EINVAL;

	c = calls_find(cs, sid);
	if (!c)
		return ENOENT;

	call_info_fill(c, ci);

	return 0;
}


void calls_apply(const struct calls *cs, call_event_h *h, void *arg)
{
	if (!cs || !h)
		return;

	for (struct le *le = cs->calll.head; le; le = le->next) {
		struct call_info ci;

		call_info_fill(le->data, &ci);
		h(&ci, arg);
	}
}


uint32_t calls_count(const struct calls *cs, bool live_only)
{
	uint32_t n = 0;

	for (struct le *le = cs ? cs->calll.head : NULL; le; le = le->next) {
		const struct call *c = le->data;

		if (!live_only || c->state != CALL_ENDED)
			n++;
	}

	return n;
}


struct pstn *calls_pstn(const struct calls *cs)
{
	return cs ? cs->pstn : NULL;
}


void calls_set_capture(struct calls *cs, uint32_t ms)
{
	if (cs)
		cs->capture_ms = ms;
}


const char *call_state_name(enum call_state st)
{
	switch (st) {

	case CALL_TRYING:   return "trying";
	case CALL_RINGING:  return "ringing";
	case CALL_ANSWERED: return "answered";
	case CALL_ENDED:    return "ended";
	default:            return "?";
	}
}


void calls_set_handler(struct calls *cs, call_event_h *h, void *arg)
{
	if (!cs)
		return;

	cs->evh = h;
	cs->evarg = arg;
}


/* every live call ends; everything kept is forgotten */
void calls_reset(struct calls *cs)
{
	struct le *le;

	if (!cs)
		return;

	/* nobody is told: whoever listened is being reset too */
	for (le = cs->calll.head; le; le = le->next) {
		struct call *c = le->data;

		c->h = NULL;
		if (c->state != CALL_ENDED)
			call_end(c, "registrar");
	}
	list_flush(&cs->evq);

	while (cs->calll.head) {
		struct call *c = cs->calll.head->data;

		list_unlink(&c->le);
		mem_deref(c);
	}

	cs->endedc = 0;
	pstn_reset(cs->pstn);
	digest_auth_reset(cs->base.auth);
}


static void calls_destructor(void *data)
{
	struct calls *cs = data;

	tmr_cancel(&cs->evtmr);
	list_flush(&cs->evq);

	/* nothing more is sent: calls and branches just go */
	while (cs->calll.head) {
		struct call *c = cs->calll.head->data;

		list_unlink(&c->le);
		c->state = CALL_ENDED;
		c->a.up = false;
		if (c->st) {
			mem_deref(c->st);
			c->st = NULL;
		}
		mem_deref(c);
	}

	while (cs->brl.head) {
		struct branch *b = cs->brl.head->data;

		list_unlink(&b->cle);
		mem_deref(b);
	}

	mem_deref(cs->lsnr);
	mem_deref(cs->pstn);
	reg_base_close(&cs->base);
}


int calls_alloc(struct calls **csp, struct sip *sip,
		const struct reg_config *cfg, struct location *loc,
		decision_h *dh, void *arg)
{
	struct calls *cs;
	int err;

	if (!csp)
		return EINVAL;

	cs = mem_zalloc(sizeof(*cs), calls_destructor);
	if (!cs)
		return ENOMEM;

	err = reg_base_init(&cs->base, sip, cfg, loc, dh, arg);
	if (!err)
		err = pstn_alloc(&cs->pstn, cfg);
	if (!err)
		err = sip_listen(&cs->lsnr, sip, false,
				 branch_response_handler, cs);

	if (err)
		mem_deref(cs);
	else
		*csp = cs;

	return err;
}
