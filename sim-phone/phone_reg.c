/**
 * @file phone_reg.c  REGISTER operations of the simulated phone: building
 * each request, the challenge and 423 rounds, the outcome, refreshes
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "msgkeep.h"
#include "phone_priv.h"


/* what an operation does to the bindings, as the registrar sees it */
enum effect {
	EFFECT_ADD,
	EFFECT_REMOVE,
	EFFECT_FETCH,
};

struct print_ctx {
	const struct regtx *tx;
	const char *auth;
};


static int  tx_send(struct regtx *tx);
static void refresh_handler(void *arg);


static void tx_destructor(void *arg)
{
	struct regtx *tx = arg;

	list_unlink(&tx->le);
	hash_unlink(&tx->he);
	vtimer_cancel(&tx->tmr_timeout);
	phone_pace_ended();

	/* still pending: libre finishes it quietly */
	mem_deref(tx->req);
	mem_deref(tx->callid);
	mem_deref(tx->contacts);
	mem_deref(tx->extra);
	mem_deref(tx->method);
	mem_deref(tx->uri);
	mem_deref(tx->to_tag);
	mem_deref(tx->body);
}


static bool is_wildcard(const struct phone_strv *sv)
{
	size_t i;

	for (i = 0; sv && i < sv->n; i++) {
		if (!strcmp(sv->v[i], "*"))
			return true;
	}

	return false;
}


static enum effect tx_effect(const struct regtx *tx)
{
	/* another method: the bindings are not its business */
	if (!tx->contacts || tx->method)
		return EFFECT_FETCH;

	if (is_wildcard(tx->contacts) ||
	    (tx->expires == 0 && tx->where != PHONE_EXP_NONE))
		return EFFECT_REMOVE;

	return EFFECT_ADD;
}


static int print_register(struct re_printf *pf, void *arg)
{
	const struct print_ctx *ctx = arg;
	const struct regtx *tx = ctx->tx;
	const struct phone *phone = tx->phone;
	const bool param = tx->where == PHONE_EXP_PARAM ||
		tx->where == PHONE_EXP_BOTH;
	const bool header = tx->where == PHONE_EXP_HEADER ||
		tx->where == PHONE_EXP_BOTH;
	size_t i;
	int err;

	/* REGISTER's To is the AOR; another request's its target */
	if (tx->method && tx->uri)
		err = re_hprintf(pf, "To: <%s>", tx->uri);
	else
		err = re_hprintf(pf, "To: <sip:%s@%s>", phone->user,
				 phone->domain);
	err |= re_hprintf(pf, "%s%s\r\n", tx->to_tag ? ";tag=" : "",
			  tx->to_tag ? tx->to_tag : "");
	err |= re_hprintf(pf, "From: <sip:%s@%s>;tag=%s\r\n",
			  phone->user, phone->domain, tx->tag);
	err |= re_hprintf(pf, "Call-ID: %s\r\n", tx->callid);
	err |= re_hprintf(pf, "CSeq: %u %s\r\n", tx->cseq,
			  tx->method ? tx->method : "REGISTER");

	for (i = 0; tx->contacts && i < tx->contacts->n; i++) {
		const char *c = tx->contacts->v[i];

		/* `*` takes no parameter: its expiry is the header's */
		if (param && !tx->method && strcmp(c, "*"))
			err |= re_hprintf(pf, "Contact: %s;expires=%u\r\n",
					  c, tx->expires);
		else
			err |= re_hprintf(pf, "Contact: %s\r\n", c);
	}

	if (header && !tx->method)
		err |= re_hprintf(pf, "Expires: %u\r\n", tx->expires);

	if (ctx->auth)
		err |= re_hprintf(pf, "%s", ctx->auth);

	err |= re_hprintf(pf, "User-Agent: " PHONE_UA "\r\n");

	if (phone->extra)
		err |= re_hprintf(pf, "%s", phone->extra);
	if (tx->extra)
		err |= re_hprintf(pf, "%s", tx->extra);

	err |= re_hprintf(pf, "Content-Length: %zu\r\n\r\n%s",
			  tx->body ? strlen(tx->body) : (size_t)0,
			  tx->body ? tx->body : "");

	return err;
}


static bool auth_wanted(const struct regtx *tx)
{
	const struct phone *phone = tx->phone;

	if (tx->no_auth || phone->auth_pol == PHONE_AUTH_IGNORE)
		return false;

	if (phone->auth_pol == PHONE_AUTH_ANSWER && !phone->password)
		return false;

	if (!phone_digest_isset(&phone->dg))
		return false;

	/* a challenge to this operation, or reuse of the last nonce */
	return tx->challenges > 0 || !phone->auth_fresh;
}


/* the credentials line for a challenge dg (the phone's, or a call's),
 * with the wrong password where the phone is told to use one */
int phone_auth_line(char **linep, const struct phone *phone,
		    struct phone_digest *dg, const char *method,
		    const char *uri)
{
	char *wrong = NULL;
	int err;

	if (phone->auth_pol == PHONE_AUTH_WRONG) {
		err = re_sdprintf(&wrong, "%s-wrong",
				  phone->password ? phone->password : "");
		if (err)
			return err;
	}

	err = phone_digest_header(linep, dg, phone->auth_user,
				  wrong ? wrong : phone->password, method,
				  uri);
	mem_deref(wrong);

	return err;
}


static int auth_header(char **hdrp, struct regtx *tx)
{
	struct phone *phone = tx->phone;

	return phone_auth_line(hdrp, phone, &phone->dg,
			       tx->method ? tx->method : "REGISTER",
			       tx->uri ? tx->uri : phone->ruri);
}


static uint32_t next_cseq(const struct regtx *tx)
{
	const struct phone *phone = tx->phone;

	if (tx->attempt == 0 && tx->set_cseq)
		return tx->cseq;

	/* another method counts on its own Call-ID */
	if (tx->method)
		return tx->attempt == 0 ? 1 : tx->cseq + 1;

	if (!phone->cseq_used)
		return phone->cseq;

	switch (phone->cseq_pol) {

	case PHONE_CSEQ_REPEAT: return phone->cseq;
	case PHONE_CSEQ_DECR:   return phone->cseq - 1;
	default:                return phone->cseq + 1;
	}
}


static void resp_handler(int err, const struct sip_msg *msg, void *arg);


/* virtual Timer F: the request is left to libre, which ends it quietly,
 * and the operation fails as libre's own timeout would make it */
static void timeout_handler(void *arg)
{
	struct regtx *tx = arg;

	tx->req = mem_deref(tx->req);
	resp_handler(ETIMEDOUT, NULL, tx);
}


static int tx_send(struct regtx *tx)
{
	struct phone *phone = tx->phone;
	struct regtx *prev;
	struct print_ctx ctx;
	char *auth = NULL;
	int err;

	if (tx->attempt > 0 && !tx->fixed_callid &&
	    phone->callid_pol == PHONE_CALLID_PER_REQ) {

		phone_new_callid(phone);
		tx->callid = mem_deref(tx->callid);
		err = str_dup(&tx->callid, phone->callid);
		if (err)
			return err;
	}

	if (auth_wanted(tx)) {
		err = auth_header(&auth, tx);
		if (err)
			return err;
	}

	tx->cseq      = next_cseq(tx);
	tx->with_auth = auth != NULL;
	tx->txc       = 0;
	++tx->attempt;

	if (!tx->method) {
		phone->cseq      = tx->cseq;
		phone->cseq_used = true;
	}
	str_ncpy(tx->tag, phone->tag, sizeof(tx->tag));

	ctx.tx   = tx;
	ctx.auth = auth;

	/* the stack finds the operation of each request it sends (SENT
	 * events) by Call-ID, From tag and CSeq; UDP sends at once, inside
	 * sip_requestf(), and is mapped to us whatever the headers say */
	phone_stack_tx_index(phone->stack, tx);
	prev = phone->stack->sending;   /* an event handler may nest us */
	phone->stack->sending = tx;
	err = sip_requestf(&tx->req, phone->stack->sip, true,
			   tx->method ? tx->method : "REGISTER",
			   tx->uri ? tx->uri : phone->ruri, &phone->route, NULL, NULL,
			   resp_handler, tx, "%H", print_register, &ctx);
	phone->stack->sending = prev;

	if (!err && phone->virtual_timeout)
		vtimer_start(&tx->tmr_timeout, 64 * SIP_T1, timeout_handler,
			     tx);

	mem_deref(auth);

	return err;
}


static uint64_t refresh_delay_ms(const struct phone *phone, uint32_t granted)
{
	double s = granted * phone->refresh_frac;

	if (phone->refresh_pol == PHONE_REFRESH_AUTO) {
		/* P-REG-REFRESH: no later than expiry - 32 s, about half
		 * when the expiry is 64 s or less */
		double latest = granted > 64 ? granted - 32.0 : granted / 2.0;

		if (s > latest)
			s = latest;
	}

	return (uint64_t)(s * 1000.0);
}


static void expiry_handler(void *arg)
{
	struct phone *phone = arg;

	if (phone->state != PHONE_ST_REGISTERED)
		return;

	phone->granted = 0;
	phone_set_state(phone, PHONE_ST_EXPIRED, NULL, ETIMEDOUT);
}


static void schedule_retry(struct phone *phone, const struct sip_msg *msg)
{
	const struct sip_hdr *hdr;
	uint32_t wait = phone->retry_wait;

	if (phone->refresh_pol == PHONE_REFRESH_NONE)
		return;

	hdr = msg ? sip_msg_hdr(msg, SIP_HDR_RETRY_AFTER) : NULL;
	if (hdr && pl_u32(&hdr->val) > wait)
		wait = pl_u32(&hdr->val);

	phone_pace_forget(phone);
	vtimer_start(&phone->tmr_refresh, (uint64_t)wait * 1000,
		     refresh_handler, phone);
}


static void emit_done(struct phone *phone, enum phone_op op,
		      unsigned attempt, const struct sip_msg *msg, int err)
{
	struct phone_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type    = PHONE_EV_DONE;
	ev.op      = op;
	ev.attempt = attempt;
	ev.msg     = msg;
	ev.scode   = msg ? msg->scode : 0;
	ev.err     = err;
	ev.granted = phone->granted;
	phone_emit(phone, &ev);
}


static void on_failure(struct phone *phone, enum phone_op op,
		       const struct sip_msg *msg, int err)
{
	switch (op) {

	case PHONE_OP_REGISTER:
	case PHONE_OP_REFRESH:
		/* the binding lives on until its expiry: stay registered */
		if (!vtimer_isrunning(&phone->tmr_expiry))
			phone_set_state(phone, PHONE_ST_FAILED, msg, err);
		schedule_retry(phone, msg);
		break;

	case PHONE_OP_UNREGISTER:
		phone_set_state(phone, PHONE_ST_FAILED, msg, err);
		break;

	default:
		/* fetch and custom requests probe: the state stays */
		break;
	}
}


static int on_success(struct phone *phone, enum phone_op op,
		      enum effect effect, const struct sip_msg *msg,
		      const struct phone_strv *contacts, uint32_t asked)
{
	uint32_t granted;

	switch (effect) {

	case EFFECT_FETCH:
		return 0;

	case EFFECT_REMOVE:
		phone_refresh_stop(phone);
		vtimer_cancel(&phone->tmr_expiry);
		phone->granted = 0;
		phone_set_state(phone, PHONE_ST_IDLE, msg, 0);
		return 0;

	case EFFECT_ADD:
		break;
	}

	if (phone_granted_find(&granted, msg, contacts, asked) || !granted) {
		/* a 2xx that does not keep our contact */
		on_failure(phone, op, msg, ENOENT);
		return ENOENT;
	}

	phone->granted = granted;
	vtimer_start(&phone->tmr_expiry, (uint64_t)granted * 1000,
		     expiry_handler, phone);

	if (phone->refresh_pol != PHONE_REFRESH_NONE) {
		phone_pace_forget(phone);
		vtimer_start(&phone->tmr_refresh,
			     refresh_delay_ms(phone, granted),
			     refresh_handler, phone);
	}
	else
		phone_refresh_stop(phone);

	phone_set_state(phone, PHONE_ST_REGISTERED, msg, 0);

	return 0;
}


/* an operation that could not even send its first request */
static void op_failed(struct phone *phone, enum phone_op op, int err)
{
	struct phone_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = PHONE_EV_ERROR;
	ev.op   = op;
	ev.err  = err;
	phone_emit(phone, &ev);

	on_failure(phone, op, NULL, err);
	emit_done(phone, op, 0, NULL, err);
}


/* start what waited for the pending operation to end */
static void run_queued(struct phone *phone)
{
	int err;

	if (!list_isempty(&phone->txl))
		return;

	if (phone->unreg_queued) {
		phone->unreg_queued = false;

		err = phone_op_start(phone, PHONE_OP_UNREGISTER, NULL,
				     phone->unreg_wildcard);
		if (err)
			op_failed(phone, PHONE_OP_UNREGISTER, err);
	}
	else if (phone->refresh_queued) {
		phone->refresh_queued = false;
		refresh_handler(phone);
	}
}


/* the operation is over: final response (msg) or error (err) */
static void tx_end(struct regtx *tx, const struct sip_msg *msg, int err)
{
	struct phone *phone = tx->phone;
	const enum phone_op op = tx->op;
	const enum effect effect = tx_effect(tx);
	const uint32_t asked = tx->expires;
	const unsigned attempt = tx->attempt;
	struct phone_strv *contacts = mem_ref(tx->contacts);

	mem_deref(tx);

	if (!err && msg && msg->scode >= 200 && msg->scode < 300)
		err = on_success(phone, op, effect, msg, contacts, asked);
	else
		on_failure(phone, op, msg, err);

	mem_deref(contacts);
	emit_done(phone, op, attempt, msg, err);
	run_queued(phone);
}


/* 401/407: answer once, again only when the nonce went stale */
static int tx_challenge(struct regtx *tx, const struct sip_msg *msg)
{
	struct phone *phone = tx->phone;
	bool stale = false;

	if (tx->no_auth || tx->no_answer ||
	    phone->auth_pol == PHONE_AUTH_IGNORE ||
	    (phone->auth_pol == PHONE_AUTH_ANSWER && !phone->password))
		return EACCES;

	if (tx->challenges >= PHONE_MAX_CHALLENGES)
		return EACCES;

	if (phone_digest_challenge(&phone->dg, msg, &stale))
		return EPROTO;

	/* challenged again after answering a fresh challenge: the
	 * credentials are wrong */
	if (tx->challenges > 0 && !stale)
		return EACCES;

	++tx->challenges;

	return tx_send(tx);
}


/* 423: retry once with Min-Expires, and keep asking that much */
static int tx_interval(struct regtx *tx, const struct sip_msg *msg)
{
	const struct sip_hdr *hdr;
	uint32_t min;

	if (tx->tried_423 || (tx->op != PHONE_OP_REGISTER &&
			      tx->op != PHONE_OP_REFRESH))
		return ENOENT;

	hdr = sip_msg_hdr(msg, SIP_HDR_MIN_EXPIRES);
	if (!hdr)
		return ENOENT;

	min = pl_u32(&hdr->val);
	if (min <= tx->expires)
		return ENOENT;

	tx->expires = min;
	tx->tried_423 = true;
	tx->phone->expires = min;

	return tx_send(tx);
}


/* 1*DIGIT of at most 10 digits, with its value */
static bool number_ok(const struct pl *pl, uint64_t *v)
{
	if (!pl->l || pl->l > 10)
		return false;

	for (size_t i = 0; i < pl->l; i++) {
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
	}

	*v = pl_u64(pl);

	return true;
}


/*
 * A response the phone must not act on, though libre matched it to our
 * transaction (branch and method): more than one Via (RFC 3261 8.1.3.3,
 * RFC 4475 3.3.10), a status code that is not 3 digits from 100 to 699
 * (libre reads 4294967301 as 5; RFC 4475 3.1.2.19), a CSeq number that is
 * not our request's (RFC 4475 3.1.2.5).
 */
static const char *response_insane(const struct regtx *tx,
				   const struct sip_msg *msg)
{
	const struct sip_hdr *cseq = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	const char *c = msg->ver.p + msg->ver.l;   /* " CODE " follows */
	struct pl num;
	uint64_t v;

	if (sip_msg_hdr_count(msg, SIP_HDR_VIA) != 1)
		return "more than one Via";

	if (c[0] != ' ' || c[1] < '1' || c[1] > '6' || c[2] < '0' ||
	    c[2] > '9' || c[3] < '0' || c[3] > '9' || c[4] != ' ')
		return "status code";

	if (!cseq || re_regex(cseq->val.p, cseq->val.l, "[0-9]+", &num) ||
	    num.p != cseq->val.p || !number_ok(&num, &v) || v != tx->cseq)
		return "CSeq number";

	return NULL;
}


static void resp_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct regtx *tx = arg;
	struct phone *phone = tx->phone;
	struct phone_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.op      = tx->op;
	ev.attempt = tx->attempt;

	if (!err && msg && response_insane(tx, msg)) {
		/* a provisional one is dropped: libre waits on for the
		 * final response.  A final one ends libre's transaction, so
		 * the operation fails (EPROTO) without taking its status */
		if (msg->scode < 200)
			return;
		msg = NULL;
		err = EPROTO;
	}

	if (err || !msg) {
		ev.type = PHONE_EV_ERROR;
		ev.err  = err ? err : EPROTO;
		phone_emit(phone, &ev);
		tx_end(tx, NULL, ev.err);
		return;
	}

	phone_stack_received(phone->stack, msg);

	ev.type   = PHONE_EV_RESPONSE;
	ev.msg    = msg;
	ev.scode  = msg->scode;
	ev.reason = msg->reason;
	phone_emit(phone, &ev);

	if (msg->scode < 200)
		return;

	/* as bytes: 20,000 decoded responses were ~64 MB (msgkeep.h) */
	phone->last_resp = mem_deref(phone->last_resp);
	phone->last_dec = mem_deref(phone->last_dec);
	(void)msgkeep_alloc(&phone->last_resp, msg);

	switch (msg->scode) {

	case 401:
	case 407:
		err = tx_challenge(tx, msg);
		if (!err)
			return;

		tx_end(tx, msg, err);
		return;

	case 423:
		if (!tx_interval(tx, msg))
			return;
		break;

	default:
		break;
	}

	tx_end(tx, msg, 0);
}


/* the phone stops wanting a refresh: neither its timer nor the window's
 * line (phone_pace.c) sends one */
void phone_refresh_stop(struct phone *phone)
{
	vtimer_cancel(&phone->tmr_refresh);
	phone_pace_forget(phone);
}


static void refresh_handler(void *arg)
{
	struct phone *phone = arg;

	/* the process's window may hold it (phone_pace.c) */
	if (phone_pace_admit(phone))
		phone_reg_refresh_now(phone);
}


void phone_reg_refresh_now(struct phone *phone)
{
	int err;

	if (!list_isempty(&phone->txl)) {
		phone->refresh_queued = true;
		return;
	}

	err = phone_op_start(phone, PHONE_OP_REFRESH, NULL, false);
	if (err)
		op_failed(phone, PHONE_OP_REFRESH, err);
}


static int tx_overrides(struct regtx *tx, const struct phone_req *req)
{
	struct phone *phone = tx->phone;
	int err = 0;

	if (req->method && str_casecmp(req->method, "REGISTER")) {
		err = str_dup(&tx->method, req->method);
		/* outside any dialog: a Call-ID of its own */
		if (!err && !req->callid) {
			tx->callid = mem_deref(tx->callid);
			tx->fixed_callid = true;
			err = re_sdprintf(&tx->callid, "%016llx%08x",
					  rand_u64(), rand_u32());
		}
	}
	if (!err && req->uri)
		err = str_dup(&tx->uri, req->uri);
	if (!err && req->to_tag)
		err = str_dup(&tx->to_tag, req->to_tag);
	if (!err && req->body)
		err = str_dup(&tx->body, req->body);
	if (err)
		return err;

	if (req->callid) {
		tx->callid = mem_deref(tx->callid);
		tx->fixed_callid = true;
		err = str_dup(&tx->callid, req->callid);
		if (err)
			return err;
	}

	if (req->set_cseq) {
		tx->set_cseq = true;
		tx->cseq = req->cseq;
	}

	if (req->set_expires)
		tx->expires = req->expires;

	if (req->set_where)
		tx->where = req->where;

	if (req->no_contact) {
		tx->contacts = mem_deref(tx->contacts);
	}
	else if (req->contactc) {
		tx->contacts = mem_deref(tx->contacts);
		err = phone_strv_alloc(&tx->contacts, req->contactv,
				       req->contactc, &phone->laddr);
		if (err)
			return err;
	}

	tx->no_auth = req->no_auth;
	tx->no_answer = req->no_answer;

	return phone_lines_norm(&tx->extra, req->extra);
}


static int wildcard_contacts(struct phone_strv **svp, const struct sa *laddr)
{
	static const char * const star[] = {"*"};

	return phone_strv_alloc(svp, star, 1, laddr);
}


/**
 * Start one REGISTER operation (internal entry of every phone operation)
 *
 * @param phone    Phone
 * @param op       Operation
 * @param req      Overrides (PHONE_OP_CUSTOM only; may be NULL)
 * @param wildcard PHONE_OP_UNREGISTER: `Contact: *`
 *
 * @return 0 if sent, EBUSY if another one is pending, otherwise errorcode
 */
int phone_op_start(struct phone *phone, enum phone_op op,
		   const struct phone_req *req, bool wildcard)
{
	struct regtx *tx;
	int err;

	if (!list_isempty(&phone->txl) && !(req && req->overlap))
		return EBUSY;

	tx = mem_zalloc(sizeof(*tx), tx_destructor);
	if (!tx)
		return ENOMEM;

	phone_pace_started();

	vtimer_init(&tx->tmr_timeout);
	tx->phone = phone;
	tx->op    = op;

	if (phone->callid_pol != PHONE_CALLID_KEEP)
		phone_new_callid(phone);

	err = str_dup(&tx->callid, phone->callid);
	if (err)
		goto out;

	tx->expires  = phone->expires;
	tx->where    = phone->exp_where;
	tx->contacts = mem_ref(phone->contacts);

	switch (op) {

	case PHONE_OP_UNREGISTER:
		tx->expires = 0;
		if (wildcard) {
			tx->contacts = mem_deref(tx->contacts);
			err = wildcard_contacts(&tx->contacts, &phone->laddr);
			tx->where = PHONE_EXP_HEADER;
		}
		else if (tx->where == PHONE_EXP_NONE) {
			/* expiry 0 must be said somewhere */
			tx->where = PHONE_EXP_HEADER;
		}
		break;

	case PHONE_OP_FETCH:
		tx->contacts = mem_deref(tx->contacts);
		tx->where = PHONE_EXP_NONE;
		break;

	case PHONE_OP_CUSTOM:
		if (req)
			err = tx_overrides(tx, req);
		break;

	default:
		break;
	}

	if (err)
		goto out;

	list_append(&phone->txl, &tx->le, tx);

	err = tx_send(tx);
	if (err)
		goto out;

	switch (op) {

	case PHONE_OP_REGISTER:
	case PHONE_OP_REFRESH:
		phone_refresh_stop(phone);
		if (phone->state != PHONE_ST_REGISTERED)
			phone_set_state(phone, PHONE_ST_REGISTERING, NULL, 0);
		break;

	case PHONE_OP_UNREGISTER:
		phone_refresh_stop(phone);
		vtimer_cancel(&phone->tmr_expiry);
		phone_set_state(phone, PHONE_ST_UNREGISTERING, NULL, 0);
		break;

	default:
		break;
	}

 out:
	if (err)
		mem_deref(tx);

	return err;
}


/* a request of the phone left the socket (tx: its operation, if known) */
void phone_trace_sent(struct phone *phone, struct regtx *tx,
		      const struct sip_msg *msg)
{
	struct phone_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = PHONE_EV_SENT;
	ev.msg  = msg;

	if (tx) {
		++tx->txc;
		ev.op      = tx->op;
		ev.attempt = tx->attempt;
		ev.retrans = tx->txc > 1;
	}

	phone_emit(phone, &ev);
}
