/**
 * @file phone.c  The simulated phone object: configuration, state, events
 * and getters (its SIP stack: phone_stack.c; REGISTER logic: phone_reg.c;
 * calls: phone_call.c)
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "msgkeep.h"
#include "phone_priv.h"


static void destructor(void *arg)
{
	struct phone *phone = arg;

	/* nothing is reported from here on */
	phone->dying = true;

	phone_refresh_stop(phone);
	vtimer_cancel(&phone->tmr_expiry);

	/* its calls end (BYE for answered ones) while the stack is there;
	 * then no INVITE finds it */
	phone_calls_close(phone);
	hash_unlink(&phone->uhe);
	mem_deref(phone->last_media);
	phone_media_conf_free(phone);

	/* a pending request goes on quietly until it ends or the stack
	 * closes; its operation leaves the stack's index here */
	list_flush(&phone->txl);

	/* a TCP response refers to its connection: free it before the stack
	 * (a shared one lives on while other phones use it) */
	mem_deref(phone->last_resp);
	mem_deref(phone->last_dec);
	if (phone->stack) {
		if (phone->stack->owner == phone)
			phone->stack->owner = NULL;
		--phone->stack->phonec;
		if (phone->eh)
			--phone->stack->watchc;
		if (phone->eh && !phone->sent_lean)
			--phone->stack->msgwatchc;
		mem_deref(phone->stack);
	}

	phone_digest_reset(&phone->dg);
	mem_deref(phone->contacts);
	mem_deref(phone->name);
	mem_deref(phone->user);
	mem_deref(phone->domain);
	mem_deref(phone->auth_user);
	mem_deref(phone->password);
	mem_deref(phone->ruri);
	mem_deref(phone->route_str);
	mem_deref(phone->extra);
	mem_deref(phone->call_user);
	mem_deref(phone->call_contact);
}


/* the phone's stack: conf->stack, or one of its own */
static int stack_attach(struct phone *phone, const struct phone_conf *conf)
{
	struct phone_stack *ps = conf->stack;
	int err;

	if (ps) {
		/* the stack's address is the phone's: a different one asked
		 * for cannot be had */
		if (sa_isset(&conf->laddr, SA_ADDR) &&
		    !sa_cmp(&conf->laddr, &ps->laddr, SA_ADDR))
			return EINVAL;
		if (sa_port(&conf->laddr) &&
		    sa_port(&conf->laddr) != sa_port(&ps->laddr))
			return EINVAL;

		phone->stack = mem_ref(ps);
	}
	else {
		err = phone_stack_new(&phone->stack, conf->tp, &conf->laddr,
				      false);
		if (err)
			return err;

		phone->stack->owner = phone;
	}

	++phone->stack->phonec;
	if (phone->eh)
		++phone->stack->watchc;
	phone->sent_lean = conf->sent_lean;
	if (phone->eh && !phone->sent_lean)
		++phone->stack->msgwatchc;

	/* EPROTONOSUPPORT: a shared stack of another transport, or of
	 * another address family than the registrar */
	return sip_transp_laddr(phone->stack->sip, &phone->laddr, conf->tp,
				&conf->registrar);
}


static int phone_conf_apply(struct phone *phone, const struct phone_conf *conf)
{
	struct pl pl;
	int err;

	phone->tp          = conf->tp;
	phone->expires     = conf->expires ? conf->expires :
		PHONE_DEFAULT_EXPIRES;
	phone->exp_where   = conf->exp_where;
	phone->callid_pol  = conf->callid;
	phone->cseq_pol    = conf->cseq;
	phone->auth_pol    = conf->auth;
	phone->auth_fresh  = conf->auth_fresh;
	phone->dg.replay   = conf->auth_replay;
	phone->dg.header   = conf->auth_header;
	phone->refresh_pol = conf->refresh;
	phone->refresh_frac = conf->refresh_frac > 0 ? conf->refresh_frac :
		0.5;
	phone->retry_wait  = conf->retry_wait ? conf->retry_wait :
		PHONE_DEFAULT_RETRY;
	phone->answer_pol  = conf->answer;
	phone->answer_delay = conf->answer_delay;
	phone->virtual_timeout = conf->virtual_timeout;
	phone->reject_code = conf->reject_code ? conf->reject_code : 486;

	if (conf->cseq_start)
		phone->cseq = conf->cseq_start;
	else
		phone->cseq = conf->cseq == PHONE_CSEQ_DECR ? 100 : 1;

	err  = str_dup(&phone->name, str_isset(conf->name) ?
		       conf->name : conf->user);
	err |= str_dup(&phone->user, conf->user);
	err |= str_dup(&phone->domain, conf->domain);
	err |= str_dup(&phone->auth_user, str_isset(conf->auth_user) ?
		       conf->auth_user : conf->user);
	if (conf->password)
		err |= str_dup(&phone->password, conf->password);
	err |= re_sdprintf(&phone->ruri, "sip:%s", conf->domain);

	/* the next hop: the Request-URI keeps the domain while packets go
	 * to the registrar's IP (sip_request sends to the route's host) */
	err |= re_sdprintf(&phone->route_str, "sip:%J;transport=%s",
			   &conf->registrar, phone_tp_name(conf->tp));
	if (err)
		return ENOMEM;

	pl_set_str(&pl, phone->route_str);
	err = uri_decode(&phone->route, &pl);
	if (err)
		return err;

	err = phone_lines_norm(&phone->extra, conf->extra);
	if (err)
		return err;

	if (conf->contactc)
		err = phone_strv_alloc(&phone->contacts, conf->contactv,
				       conf->contactc, &phone->laddr);
	else
		err = phone_contact_default(&phone->contacts, conf->user,
					    &phone->laddr, conf->tp);
	if (err)
		return err;

	err = phone_media_conf_apply(phone, &conf->media);
	if (err)
		return err;

	/* its Contact for calls, and the user INVITEs are taken for */
	return phone_call_conf(phone);
}


/**
 * Create a phone: on conf->stack, or with its own SIP stack bound to
 * conf->laddr (127.0.0.1, any port by default).  Nothing is sent until an
 * operation is called.
 *
 * @param phonep New phone (mem_deref() destroys it, without unregistering)
 * @param conf   Configuration (copied)
 * @param eh     Event handler (optional)
 * @param arg    Handler argument
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_alloc(struct phone **phonep, const struct phone_conf *conf,
		phone_event_h *eh, void *arg)
{
	struct phone *phone;
	int err;

	if (!phonep || !conf || !str_isset(conf->user) ||
	    !str_isset(conf->domain) || !sa_isset(&conf->registrar, SA_ALL))
		return EINVAL;

	if (conf->contactc && !conf->contactv)
		return EINVAL;

	if (conf->refresh_frac < 0)
		return EINVAL;

	if (conf->reject_code &&
	    (conf->reject_code < 300 || conf->reject_code > 699))
		return EINVAL;

	if ((unsigned)conf->answer > PHONE_ANSWER_IGNORE)
		return EINVAL;

	phone = mem_zalloc(sizeof(*phone), destructor);
	if (!phone)
		return ENOMEM;

	vtimer_init(&phone->tmr_refresh);
	vtimer_init(&phone->tmr_expiry);
	phone->eh  = eh;
	phone->arg = arg;

	err = stack_attach(phone, conf);
	if (err)
		goto out;

	err = phone_conf_apply(phone, conf);
	if (err)
		goto out;

	phone_new_callid(phone);

 out:
	if (err)
		mem_deref(phone);
	else
		*phonep = phone;

	return err;
}


/* a new Call-ID and From tag: a new registration in the registrar's eyes */
void phone_new_callid(struct phone *phone)
{
	re_snprintf(phone->callid, sizeof(phone->callid), "%016llx%08x",
		    rand_u64(), rand_u32());
	re_snprintf(phone->tag, sizeof(phone->tag), "%016llx", rand_u64());
}


void phone_emit(struct phone *phone, struct phone_event *ev)
{
	ev->state = phone->state;

	if (phone->eh && !phone->dying)
		phone->eh(phone, ev, phone->arg);
}


void phone_set_state(struct phone *phone, enum phone_state st,
		     const struct sip_msg *msg, int err)
{
	struct phone_event ev;

	if (phone->state == st)
		return;

	memset(&ev, 0, sizeof(ev));
	ev.type    = PHONE_EV_STATE;
	ev.prev    = phone->state;
	ev.msg     = msg;
	ev.scode   = msg ? msg->scode : 0;
	ev.err     = err;
	ev.granted = phone->granted;

	phone->state = st;
	phone_emit(phone, &ev);
}


/**
 * Register (or refresh now): one REGISTER operation, challenge round
 * included, with the configured contacts and expiry
 *
 * @param phone Phone
 *
 * @return 0 if sent, EBUSY if a REGISTER is pending, otherwise errorcode
 */
int phone_register(struct phone *phone)
{
	if (!phone)
		return EINVAL;

	return phone_op_start(phone, PHONE_OP_REGISTER, NULL, false);
}


/**
 * Unregister: our contacts with expiry 0, or `Contact: *` + `Expires: 0`.
 * Stops refreshing.  Queued when a REGISTER is pending (sent once it ends,
 * so requests never overlap).
 *
 * @param phone    Phone
 * @param wildcard Remove every binding of the AOR with `*`
 *
 * @return 0 if sent or queued, otherwise errorcode
 */
int phone_unregister(struct phone *phone, bool wildcard)
{
	if (!phone)
		return EINVAL;

	phone_refresh_stop(phone);
	phone->refresh_queued = false;

	if (!list_isempty(&phone->txl)) {
		phone->unreg_queued   = true;
		phone->unreg_wildcard = wildcard;
		return 0;
	}

	return phone_op_start(phone, PHONE_OP_UNREGISTER, NULL, wildcard);
}


/**
 * Fetch the bindings: REGISTER without Contact (the 200 lists them)
 *
 * @param phone Phone
 *
 * @return 0 if sent, EBUSY if a REGISTER is pending, otherwise errorcode
 */
int phone_fetch(struct phone *phone)
{
	if (!phone)
		return EINVAL;

	return phone_op_start(phone, PHONE_OP_FETCH, NULL, false);
}


/**
 * Send one REGISTER shaped by overrides (escape hatch for scenarios).  Its
 * 2xx updates the state like a register (expiry 0 or `*`: unregister; no
 * Contact: a fetch); its failure leaves the state alone.
 *
 * @param phone Phone
 * @param req   Overrides (NULL: as configured)
 *
 * @return 0 if sent, EBUSY if a REGISTER is pending (see req->overlap),
 *         otherwise errorcode
 */
int phone_send(struct phone *phone, const struct phone_req *req)
{
	if (!phone)
		return EINVAL;

	return phone_op_start(phone, PHONE_OP_CUSTOM, req, false);
}


const char *phone_name(const struct phone *phone)
{
	return phone ? phone->name : NULL;
}


enum phone_state phone_state(const struct phone *phone)
{
	return phone ? phone->state : PHONE_ST_IDLE;
}


bool phone_isregistered(const struct phone *phone)
{
	return phone && phone->state == PHONE_ST_REGISTERED;
}


/** True while a REGISTER of the phone waits for its final response */
bool phone_busy(const struct phone *phone)
{
	return phone && !list_isempty(&phone->txl);
}


/** Expiry in seconds granted by the last successful registration */
uint32_t phone_granted(const struct phone *phone)
{
	return phone ? phone->granted : 0;
}


/** Virtual ms until the next refresh or retry; 0 when none is planned */
uint64_t phone_refresh_left(const struct phone *phone)
{
	return phone ? vtimer_left(&phone->tmr_refresh) : 0;
}


/** Local address of the phone's socket (the Contact's IP:PORT); on a
 * shared stack, the stack's */
const struct sa *phone_laddr(const struct phone *phone)
{
	return phone ? &phone->laddr : NULL;
}


/** The first configured Contact value */
const char *phone_contact(const struct phone *phone)
{
	if (!phone || !phone->contacts || !phone->contacts->n)
		return NULL;

	return phone->contacts->v[0];
}


/** The phone's current Call-ID (what its next request uses) */
const char *phone_callid(const struct phone *phone)
{
	return phone ? phone->callid : NULL;
}


/** CSeq of the last request sent (the first one's before any) */
uint32_t phone_cseq(const struct phone *phone)
{
	return phone ? phone->cseq : 0;
}


/** The last final response received, or NULL */
const struct sip_msg *phone_last_response(const struct phone *phone)
{
	struct phone *p = (struct phone *)phone;   /* a cache, not state */

	if (!p)
		return NULL;

	if (!p->last_dec)
		p->last_dec = msgkeep_decode(p->last_resp);

	return p->last_dec;
}


const char *phone_state_name(enum phone_state st)
{
	switch (st) {

	case PHONE_ST_IDLE:          return "idle";
	case PHONE_ST_REGISTERING:   return "registering";
	case PHONE_ST_REGISTERED:    return "registered";
	case PHONE_ST_UNREGISTERING: return "unregistering";
	case PHONE_ST_FAILED:        return "failed";
	case PHONE_ST_EXPIRED:       return "expired";
	default:                     return "?";
	}
}


const char *phone_op_name(enum phone_op op)
{
	switch (op) {

	case PHONE_OP_REGISTER:   return "register";
	case PHONE_OP_REFRESH:    return "refresh";
	case PHONE_OP_UNREGISTER: return "unregister";
	case PHONE_OP_FETCH:      return "fetch";
	case PHONE_OP_CUSTOM:     return "custom";
	case PHONE_OP_CALL:       return "call";
	default:                  return "?";
	}
}


const char *phone_event_name(enum phone_event_type type)
{
	switch (type) {

	case PHONE_EV_SENT:     return "sent";
	case PHONE_EV_RESPONSE: return "response";
	case PHONE_EV_ERROR:    return "error";
	case PHONE_EV_STATE:    return "state";
	case PHONE_EV_DONE:     return "done";
	case PHONE_EV_RECEIVED: return "received";
	case PHONE_EV_CALL_INCOMING:    return "call-incoming";
	case PHONE_EV_CALL_RESPONSE:    return "call-response";
	case PHONE_EV_CALL_ESTABLISHED: return "call-established";
	case PHONE_EV_CALL_CANCELLED:   return "call-cancelled";
	case PHONE_EV_CALL_BYE:         return "call-bye";
	case PHONE_EV_CALL_REFER_DONE:  return "call-refer-done";
	case PHONE_EV_CALL_CLOSED:      return "call-closed";
	case PHONE_EV_CALL_REINVITE_DONE: return "call-reinvite-done";
	default:                return "?";
	}
}
