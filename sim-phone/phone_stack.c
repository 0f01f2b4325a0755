/**
 * @file phone_stack.c  SIP stacks of the simulated phones: one of its own
 * per phone, or one shared by several phones (one socket for all).  The
 * stack routes what libre cannot: the trace of each request sent (the
 * SENT events) goes to the phone whose request it is.  Responses need no
 * routing: libre matches them to their client transaction, and each
 * request's handler argument is its phone's operation.  Calls add the
 * other direction: incoming INVITEs go to the phone whose Contact user
 * the Request-URI names, and every message of a call, sent or received,
 * is reported to the call's phone (phone_call.c).
 */

#include <string.h>
#include <re.h>
#include "msgkeep.h"
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


/* table sizes, each a power of 2 (hash_alloc).  An own stack carries one
 * phone with one transaction at a time and no server side; a shared one
 * has its phones' transactions (and those lingering in Timer K) */
enum {
	OWN_HT_CTRANS    = 4,
	OWN_HT_STRANS    = 2,
	OWN_HT_CONN      = 2,
	OWN_HT_TX        = 1,
	SHARED_HT_CTRANS = 256,
	SHARED_HT_STRANS = 4,
	SHARED_HT_CONN   = 8,
	SHARED_HT_TX     = 256,
	SHARED_HT_USER   = 256,
	SHARED_SOCKBUF   = 1 << 20,  /* UDP: refresh bursts of all its
					phones (the kernel caps it at
					net.core.rmem_max)              */
};


static void destructor(void *arg)
{
	struct phone_stack *ps = arg;

	/* its listeners and kept ACKs first: they belong to the stack */
	phone_call_stack_close(ps);

	/* requests of destroyed phones may still be pending: the stack
	 * ends them quietly (their response handlers were cleared) */
	mem_deref(ps->sip);
	phone_tls_put(ps->tls);

	/* empty: each operation, phone and call left them when it went */
	mem_deref(ps->txh);
	mem_deref(ps->userh);
	mem_deref(ps->callh);
}


const char *phone_tp_name(enum sip_transp tp)
{
	switch (tp) {

	case SIP_TRANSP_TCP: return "tcp";
	case SIP_TRANSP_TLS: return "tls";
	default:             return "udp";
	}
}


/**
 * File an operation under the Call-ID, From tag and CSeq of its latest
 * request (call it before sending each one: they may change)
 *
 * @param ps Stack the operation's phone is on
 * @param tx Operation
 */
void phone_stack_tx_index(struct phone_stack *ps, struct regtx *tx)
{
	hash_unlink(&tx->he);
	hash_append(ps->txh, hash_joaat_str(tx->callid), &tx->he, tx);
}


/* the operation a request belongs to: the one sending right now (UDP goes
 * out inside sip_requestf(), whatever its headers say), else the latest
 * with its Call-ID, From tag and CSeq (retransmissions, TCP sent once
 * connected).  NULL: a request of a destroyed phone, or one whose extra
 * lines garbled its own identity */
static struct regtx *tx_find(const struct phone_stack *ps,
			     const struct sip_msg *msg)
{
	struct regtx *found = NULL;
	struct le *le;

	if (ps->sending)
		return ps->sending;

	le = list_head(hash_list(ps->txh, hash_joaat_pl(&msg->callid)));
	for (; le; le = le->next) {
		struct regtx *tx = le->data;

		if (tx->cseq == msg->cseq.num &&
		    !pl_strcmp(&msg->callid, tx->callid) &&
		    !pl_strcmp(&msg->from.tag, tx->tag))
			found = tx;
	}

	return found;
}


/* every packet the stack sends or receives: its REGISTERs become their
 * phone's SENT events, the messages of calls their phone's SENT and
 * RECEIVED events */
static void trace_handler(bool tx, enum sip_transp tp, const struct sa *src,
			  const struct sa *dst, const uint8_t *pkt,
			  size_t len, void *arg)
{
	struct phone_stack *ps = arg;
	struct sip_msg *msg = NULL;
	struct regtx *rtx;
	bool resp;

	if (!ps->watchc)
		return;

	/* responses matter only to calls: REGISTER responses are reported
	 * by their transaction, the stack's own (501 to a stray request)
	 * by nobody */
	resp = len >= 4 && !memcmp(pkt, "SIP/", 4);
	if (resp && !ps->callc && !(tx && ps->sending_call))
		return;

	/* received requests may start a call: the rest only when sent */
	if (!tx && !resp && len >= 9 && !memcmp(pkt, "REGISTER ", 9))
		return;

	/* a registration sent at once, inside sip_requestf(): its operation
	 * is known, and nobody reads the message (decoding every REGISTER
	 * was a tenth of a 20,000-phone run) */
	if (tx && !resp && ps->sending && !ps->msgwatchc &&
	    tp != SIP_TRANSP_TLS &&
	    (!ps->sending->method ||
	     !strcmp(ps->sending->method, "REGISTER"))) {
		phone_trace_sent(ps->sending->phone, ps->sending, NULL);
		return;
	}

	/* a CRLF keep-alive does not decode: not a message */
	if (msgkeep_decode_bytes(&msg, pkt, len))
		goto out;

	msg->src = *src;
	msg->dst = *dst;
	msg->tp  = tp;

	if (pl_strcmp(&msg->cseq.met, "REGISTER")) {
		phone_call_trace(ps, tx, msg);
		goto out;
	}

	if (!tx || !msg->req)
		goto out;

	rtx = tx_find(ps, msg);
	if (rtx)
		phone_trace_sent(rtx->phone, rtx, msg);
	else if (ps->owner)
		phone_trace_sent(ps->owner, NULL, msg);

 out:
	mem_deref(msg);
}


/**
 * Create a stack: a libre SIP stack with one transport
 *
 * @param psp    New stack
 * @param tp     SIP_TRANSP_UDP, TCP or TLS
 * @param laddr  Bind address (NULL or no IP: 127.0.0.1, port 0)
 * @param shared For several phones (bigger tables) or one's own
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_stack_new(struct phone_stack **psp, enum sip_transp tp,
		    const struct sa *laddr, bool shared)
{
	struct phone_stack *ps;
	struct sa bind;
	int err;

	if (!psp)
		return EINVAL;

	ps = mem_zalloc(sizeof(*ps), destructor);
	if (!ps)
		return ENOMEM;

	ps->tp = tp;

	ps->shared = shared;

	err = hash_alloc(&ps->txh, shared ? SHARED_HT_TX : OWN_HT_TX);
	if (err)
		goto out;

	/* an own stack's one phone takes every INVITE for its user */
	if (shared) {
		err = hash_alloc(&ps->userh, SHARED_HT_USER);
		if (err)
			goto out;
	}

	err = sip_alloc(&ps->sip, NULL,
			shared ? SHARED_HT_CTRANS : OWN_HT_CTRANS,
			shared ? SHARED_HT_STRANS : OWN_HT_STRANS,
			shared ? SHARED_HT_CONN : OWN_HT_CONN,
			PHONE_UA, NULL, ps);
	if (err)
		goto out;

	/* 0.0.0.0 is EINVAL for sip_transp_add: a concrete IP */
	if (laddr && sa_isset(laddr, SA_ADDR))
		bind = *laddr;
	else
		sa_set_str(&bind, "127.0.0.1", laddr ? sa_port(laddr) : 0);

	switch (tp) {

	case SIP_TRANSP_UDP:
	case SIP_TRANSP_TCP:
		err = sip_transp_add(ps->sip, tp, &bind);
		break;

	case SIP_TRANSP_TLS:
		err = phone_tls_get(&ps->tls);
		if (err)
			break;

		err = sip_transp_add(ps->sip, tp, &bind, ps->tls);
		break;

	default:
		err = EPROTONOSUPPORT;
		break;
	}

	if (err)
		goto out;

	err = sip_transp_laddr(ps->sip, &ps->laddr, tp, NULL);
	if (err)
		goto out;

	err = phone_call_listen(ps);
	if (err)
		goto out;

	sip_set_trace_handler(ps->sip, trace_handler);

 out:
	if (err)
		mem_deref(ps);
	else
		*psp = ps;

	return err;
}


/**
 * Note a response the stack received: the first one over UDP shows the
 * socket, whose buffers a shared stack raises (all its phones' refreshes
 * may come due at once after a clock jump)
 *
 * @param ps  Stack
 * @param msg Response
 */
void phone_stack_received(struct phone_stack *ps, const struct sip_msg *msg)
{
	if (ps->sockbuf_set || ps->owner || msg->tp != SIP_TRANSP_UDP ||
	    !msg->sock)
		return;

	ps->sockbuf_set = true;
	(void)udp_sockbuf_set(msg->sock, SHARED_SOCKBUF);
}


/**
 * Create a SIP stack and socket for several phones (phone_conf.stack)
 *
 * @param psp   New stack (mem_deref() drops the caller's reference; the
 *              phones on it hold theirs)
 * @param tp    SIP_TRANSP_UDP, TCP or TLS
 * @param laddr Bind address; NULL or no IP: 127.0.0.1, port 0 (any)
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_stack_alloc(struct phone_stack **psp, enum sip_transp tp,
		      const struct sa *laddr)
{
	return phone_stack_new(psp, tp, laddr, true);
}


/** The stack's bound address: every phone on it has this IP:PORT */
const struct sa *phone_stack_laddr(const struct phone_stack *ps)
{
	return ps ? &ps->laddr : NULL;
}


/** Number of phones on the stack now */
unsigned phone_stack_phones(const struct phone_stack *ps)
{
	return ps ? ps->phonec : 0;
}


/**
 * The phone of a stack that takes calls for a Contact user
 *
 * @param ps   Stack
 * @param user User part of a Request-URI (none: the own stack's phone)
 *
 * @return The phone (the first one made, when several share the user),
 *         or NULL
 */
struct phone *phone_stack_user(const struct phone_stack *ps,
			       const struct pl *user)
{
	struct le *le;

	if (!ps)
		return NULL;

	if (!ps->shared) {
		if (!ps->owner)
			return NULL;

		if (!pl_isset(user) || !pl_strcmp(user, ps->owner->call_user))
			return ps->owner;

		return NULL;
	}

	le = list_head(hash_list(ps->userh, hash_joaat_pl(user)));
	for (; le; le = le->next) {
		struct phone *phone = le->data;

		if (!pl_strcmp(user, phone->call_user))
			return phone;
	}

	return NULL;
}
