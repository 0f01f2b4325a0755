/**
 * @file calls.c  The service as a back-to-back user agent (calls.h)
 *
 * Objects:
 *   call    the caller's leg (a phone's INVITE, or the outside network),
 *           the application run for it, the far leg once connected
 *   dial    one <Dial> in progress: its branches, its timeout (RING-5)
 *   branch  one target of a Dial: an INVITE client transaction to a
 *           binding (then a dialog if it wins), or a number of the
 *           outside network
 *   leg     an established dialog, on either side
 *
 * SIP branches belong to the calls object (cs->brl) and free themselves
 * once their transaction is over (Timer D), so a Dial or a call can go
 * while a branch still waits for its 487; a branch then knows no dial.
 * Calls stay listed after they end (the last MAX_ENDED) for queries.
 */

#include <ctype.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "config.h"
#include "aor.h"
#include "digest.h"
#include "location.h"
#include "twiml.h"
#include "pstn.h"
#include "calls.h"

#define SOFTWARE "sipconform-sim-registrar/" SIPCONFORM_VERSION
#define ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\n"
#define REASON_ELSEWHERE \
	"Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"

enum {
	MAX_ENDED    = 256,         /* ended calls kept for queries        */
	TIMER_C_MS   = 181000,      /* > 3 min (RFC 3261 16.6 step 11)     */
	TIMER_D_MS   = 32000,
	MAX_FORWARDS = 70,
	MAX_TARGETS  = 64,          /* branches of one Dial                */
	SID_SIZE     = 35,
	RATE_WINDOW_MS = 1000,      /* REG-LIM-RATE's window, as REGISTER's */
};

struct calls {
	struct sip *sip;
	const struct reg_config *cfg;
	struct location *loc;
	struct digest_auth *auth;
	struct pstn *pstn;
	struct sip_lsnr *lsnr;        /* responses to what we sent raw      */
	struct list calll;            /* struct call, oldest first          */
	struct list brl;              /* struct branch (SIP), every live one */
	struct list evq;              /* struct event, not yet delivered    */
	struct tmr evtmr;
	uint32_t endedc;
	uint32_t seq;                 /* calls so far: media ports          */
	decision_h *dh;
	void *arg;
	call_event_h *evh;
	void *evarg;
};

/* an established dialog, seen from our side (RFC 3261 12) */
struct leg {
	struct call *call;            /* whose leg it is (weak)             */
	bool up;
	char *callid;
	char *ltag;
	char *rtag;
	char *lhdr;                   /* From of what we send, with tag     */
	char *rhdr;                   /* To of what we send, with tag       */
	char *target;                 /* the remote target (Contact)        */
	char *cuser;                  /* user part of our Contact           */
	uint32_t lseq;
	struct mbuf *sdp;             /* what we last sent on this leg      */
	struct mbuf *ok;              /* our 2xx to an INVITE, until ACKed  */
	struct sa ok_dst;
	uint32_t ok_cseq;
	uint32_t ok_txc;
	bool ok_first;                /* the 2xx of the call, not a re-    */
	struct tmr ok_tmr;
};

enum br_kind { BR_SIP, BR_PSTN };

enum br_state {
	BR_CALLING,                   /* INVITE sent, nothing back yet      */
	BR_PROCEEDING,                /* a provisional came                 */
	BR_ANSWERED,                  /* 2xx: a dialog                      */
	BR_FAILED,                    /* a final >= 300, or none at all     */
};

struct dial;
struct call;

struct branch {
	struct le le;                 /* dial->brl while attached           */
	struct le cle;                /* cs->brl (SIP)                      */
	struct calls *cs;
	struct dial *dial;            /* NULL: detached                     */
	enum br_kind kind;
	enum br_state state;
	uint16_t scode;
	char *target;                 /* contact URI, or the number         */

	/* SIP */
	struct sa dst;
	enum sip_transp tp;
	char branch[32];              /* Via branch                         */
	char *via;                    /* the Via line we sent               */
	char *ruri;
	char *from_hdr;               /* with our tag                       */
	char *to_hdr;                 /* without a tag                      */
	char *callid;
	uint32_t cseq;
	struct mbuf *inv;
	struct mbuf *ack;             /* for a final >= 300                 */
	struct mbuf *cnl;
	char *reason_hdr;             /* the CANCEL's Reason line, or NULL  */
	struct tmr ta;                /* Timer A                            */
	struct tmr tb;                /* Timer B; after CANCEL 64*T1; D     */
	struct tmr te;                /* CANCEL retransmission              */
	struct vtimer tc;             /* Timer C                            */
	uint32_t txc;
	uint32_t cnltxc;
	bool cancel_wanted;           /* CANCEL once a provisional comes    */
	bool cancel_sent;
	bool cancel_done;             /* its 200 came                       */
	struct call *call;            /* the call it connected (weak)       */
	struct leg leg;               /* after a 2xx                        */

	/* PSTN */
	struct pstn_call *pc;
};

struct dial {
	struct call *call;
	struct list brl;              /* struct branch                      */
	struct vtimer timeout;
	uint32_t timeout_s;
	char *callid;                 /* every SIP fork shares the dialog   */
	char ltag[17];                /* identifiers of the forking (16.6)  */
	char *caller_id;
	uint32_t pending;             /* branches without a final           */
	uint32_t sipc;
	uint32_t pstnc;
	uint32_t redirects;           /* 3xx answers (RING-7)               */
	uint32_t finals;
	uint16_t best;                /* RFC 3261 16.7 choice so far        */
};

struct call {
	struct le le;
	struct calls *cs;
	char sid[SID_SIZE];
	enum call_state state;
	char *from;
	char *to;
	char *desc;                   /* "from -> to", for the log          */
	bool outside;
	uint32_t maxfwd;              /* for the branches                   */
	struct mbuf *offer;           /* the caller's SDP (or ours)         */

	/* the caller's SIP leg */
	struct sip_msg *inv;
	struct sip_strans *st;        /* until the final reply              */
	bool ringing_sent;
	struct leg a;

	/* the application */
	const struct application_conf *app;
	struct twiml *doc;
	size_t pc;
	struct vtimer vt;             /* Say, Pause; the next verb          */
	struct tmr start;
	struct dial *dial;
	uint16_t dial_scode;          /* the last failed Dial               */
	enum rule_id dial_rule;
	char dial_reason[64];

	/* the far end once connected */
	struct branch *peer;          /* SIP (owned by cs->brl)             */
	struct branch *pbranch;       /* the outside network (owned here)   */

	/* outcome */
	uint16_t scode;
	enum rule_id rule;
	bool ruled;
	uint32_t twerr;
	char *answered_by;
	const char *ended_by;
	uint32_t branches;
	uint32_t cancels;
	uint64_t created;
	uint64_t answered;
	uint64_t ended;

	call_event_h *h;
	void *arg;
};

/* a call event waiting for the next loop turn */
struct event {
	struct le le;
	struct call *call;            /* referenced                         */
	struct call_info ci;
};


static void app_next(void *arg);
static void call_end(struct call *c, const char *by);
static void call_hangup(struct call *c, const char *by);
static void dial_branch_final(struct dial *d, struct branch *b);
static void dial_answered(struct dial *d, struct branch *b,
			  const struct sip_msg *msg);
static void dial_ringing(struct dial *d, struct branch *b);
static void dial_check(struct dial *d);
static void dial_record(struct dial *d, uint16_t scode, bool sip);


/* ------------------------------------------------------------ helpers */

static const char *rule_name(enum rule_id id)
{
	const struct rule *r = rule_get(id);

	return r ? r->name : "RFC3261";
}


static int user_str(char **out, const struct pl *user)
{
	return re_sdprintf(out, "%H", uri_user_unescape, user);
}


static void hex_id(char *buf, size_t sz)
{
	(void)re_snprintf(buf, sz, "%016llx%016llx",
			  (unsigned long long)rand_u64(),
			  (unsigned long long)rand_u64());
}


static int laddr_get(struct calls *cs, enum sip_transp tp,
		     const struct sa *dst, struct sa *laddr)
{
	return sip_transp_laddr(cs->sip, laddr, tp, dst);
}


static const char *tp_param(enum sip_transp tp)
{
	switch (tp) {

	case SIP_TRANSP_TCP: return ";transport=tcp";
	case SIP_TRANSP_TLS: return ";transport=tls";
	default:             return "";
	}
}


/* one decision, with the request it answers when there is one */
static void decide(struct call *c, struct calls *cs,
		   const struct sip_msg *msg, enum rule_id id,
		   uint16_t scode, const char *reason, const char *detail)
{
	struct decision d;

	if (c) {
		c->rule = id;
		c->ruled = true;
	}

	if (!cs->dh)
		return;

	memset(&d, 0, sizeof(d));
	d.rule = id;
	d.scode = scode;
	d.reason = reason;
	d.aor = c ? (msg ? c->sid : c->desc) : NULL;
	d.detail = detail;
	d.msg = msg;
	d.call = c ? c->sid : NULL;

	cs->dh(&d, cs->arg);
}


static void call_info_fill(const struct call *c, struct call_info *ci)
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
static void call_event(struct call *c)
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


/* ---------------------------------------------------------------- SDP */

/* an answer to offer, or an offer of our own when there is none */
static int sdp_make(struct mbuf **mbp, struct calls *cs,
		    const struct mbuf *offer, uint32_t n)
{
	const uint16_t port = (uint16_t)(20000 + 2 * (n % 10000));
	struct pl proto, pt, m = PL_INIT;
	struct mbuf *mb;
	struct sa la;
	int err;

	err = laddr_get(cs, SIP_TRANSP_UDP, NULL, &la);
	if (err)
		return err;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "v=0\r\no=- %u 1 IN IP%d %j\r\n"
			  "s=sipconform\r\nc=IN IP%d %j\r\nt=0 0\r\n",
			  rand_u32() >> 1, sa_af(&la) == AF_INET6 ? 6 : 4,
			  &la, sa_af(&la) == AF_INET6 ? 6 : 4, &la);

	if (offer && !re_regex((const char *)offer->buf, offer->end,
			       "m=audio [0-9]+ [^ ]+ [0-9]+", NULL, &proto,
			       &pt)) {
		char key[24];
		const char *rtp;

		(void)re_snprintf(key, sizeof(key), "a=rtpmap:%r ", &pt);
		err |= mbuf_printf(mb, "m=audio %u %r %r\r\n", port, &proto,
				   &pt);

		rtp = memmem(offer->buf, offer->end, key, strlen(key));
		if (rtp) {
			const char *e = rtp;
			const char *end = (const char *)offer->buf +
				offer->end;

			while (e < end && *e != '\r' && *e != '\n')
				e++;
			m.p = rtp;
			m.l = (size_t)(e - rtp);
			err |= mbuf_printf(mb, "%r\r\n", &m);
		}
	}
	else {
		err |= mbuf_printf(mb, "m=audio %u RTP/AVP 0 8 101\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "a=rtpmap:8 PCMA/8000\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n",
				   port);
	}

	err |= mbuf_write_str(mb, "a=sendrecv\r\n");
	if (err) {
		mem_deref(mb);
		return ENOMEM;
	}

	mb->pos = 0;
	*mbp = mb;

	return 0;
}


static bool is_sdp(const struct sip_msg *msg)
{
	return mbuf_get_left(msg->mb) &&
		msg_ctype_cmp(&msg->ctyp, "application", "sdp");
}


static int body_copy(struct mbuf **mbp, const struct sip_msg *msg)
{
	struct mbuf *mb = mbuf_alloc(mbuf_get_left(msg->mb) + 1);

	if (!mb)
		return ENOMEM;

	(void)mbuf_write_mem(mb, mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	mb->pos = 0;
	mem_deref(*mbp);
	*mbp = mb;

	return 0;
}


/* ------------------------------------------------------------- replies */

/*
 * Answer a request of a call (stp: its server transaction, NULL: a new
 * one): scode 0 takes the rule's reply (profile included); a failure
 * carries the rule's X-Twilio-Error.  hdrs: extra header lines or NULL;
 * contact: the Contact user for responses that set up a dialog.
 */
static int reply(struct calls *cs, const struct sip_msg *msg,
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
		reg_config_reply(cs->cfg, id, &code, &rsn, &twerr, &etext);

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

	if (contact && !laddr_get(cs, msg->tp, &msg->src, &la))
		(void)re_snprintf(cline, sizeof(cline),
				  "Contact: <sip:%s@%J%s>\r\n", contact, &la,
				  tp_param(msg->tp));

	if (body && body->end)
		return sip_treplyf(stp, mbp, cs->sip, msg, false, scode,
				   reason, "%s%s%s" ALLOW
				   "Content-Type: application/sdp\r\n"
				   "Content-Length: %zu\r\n\r\n%b", cline,
				   errline, hdrs ? hdrs : "", body->end,
				   body->buf, body->end);

	return sip_treplyf(stp, mbp, cs->sip, msg, false, scode, reason,
			   "%s%s%sContent-Length: 0\r\n\r\n", cline, errline,
			   hdrs ? hdrs : "");
}


/* the twilio error a rule adds to a failure */
static uint32_t rule_twerr(const struct calls *cs, enum rule_id id)
{
	uint32_t twerr = 0;

	if (id < RULE_COUNT)
		reg_config_reply(cs->cfg, id, NULL, NULL, &twerr, NULL);

	return twerr;
}


/* ---------------------------------------------------------------- legs */

static void leg_reset(struct leg *l)
{
	tmr_cancel(&l->ok_tmr);
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


/* a request in the dialog, fire and forget (libre's client transaction) */
static int leg_request(struct calls *cs, struct leg *l, const char *met,
		       const char *hdrs)
{
	struct uri route;
	struct mbuf *mb;
	struct pl pl;
	int err;

	if (!l->up || !l->target)
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
			  l->rhdr, l->lhdr, l->callid, ++l->lseq, met,
			  hdrs ? hdrs : "");
	mb->pos = 0;

	if (!err)
		err = sip_request(NULL, cs->sip, true, met, -1, l->target, -1,
				  &route, mb, 0, NULL, dummy_resp, NULL);

	mem_deref(mb);

	return err;
}


static void ok_retransmit(void *arg);


/* our 2xx to an INVITE on this leg: resent until the ACK (13.3.1.4) */
static void leg_ok_start(struct leg *l, struct mbuf *mb,
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
		tmr_start(&l->ok_tmr, SIP_T1, ok_retransmit, l);
}


/* ---------------------------------------------------------- branches */

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


static void branch_free_h(void *arg)
{
	mem_deref(arg);
}


/* the transaction is over: keep absorbing retransmissions, then go */
static void branch_linger(struct branch *b)
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


static int branch_send(struct branch *b, struct mbuf *mb)
{
	mb->pos = 0;

	return sip_send(b->cs->sip, NULL, b->tp, &b->dst, mb);
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
static void branch_cancel(struct branch *b, const char *reason)
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


static int branch_ack_2xx(struct branch *b)
{
	struct leg *l = &b->leg;
	struct uri route;
	struct mbuf *mb;
	struct pl pl;
	int err;

	pl_set_str(&pl, l->target);
	if (uri_decode(&route, &pl))
		return EINVAL;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	/* the ACK of a 2xx is a transaction of its own (13.2.2.4) */
	err = mbuf_printf(mb, "Max-Forwards: %u\r\nTo: %s\r\nFrom: %s\r\n"
			  "Call-ID: %s\r\nCSeq: %u ACK\r\n"
			  "User-Agent: " SOFTWARE "\r\n"
			  "Content-Length: 0\r\n\r\n", MAX_FORWARDS,
			  l->rhdr, l->lhdr, l->callid, b->cseq);
	mb->pos = 0;
	if (!err)
		err = sip_request(NULL, b->cs->sip, false, "ACK", -1,
				  l->target, -1, &route, mb, 0, NULL, NULL,
				  NULL);
	mem_deref(mb);

	return err;
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
	/* a retransmission: our ACK got lost */
	if (b->state == BR_ANSWERED) {
		if (!pl_strcmp(&msg->to.tag, b->leg.rtag))
			(void)branch_ack_2xx(b);
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

	(void)branch_ack_2xx(b);

	if (!b->dial) {
		branch_unwanted_2xx(b);
		return;
	}

	dial_answered(b->dial, b, msg);
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


static bool response_handler(const struct sip_msg *msg, void *arg)
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
static int branch_sip_start(struct dial *d, const char *contact,
			    const struct binding *bd, const char *aor)
{
	struct call *c = d->call;
	struct calls *cs = c->cs;
	const char *host = strchr(aor, '@');
	const struct mbuf *sdp = c->offer;
	struct branch *b;
	struct sa la;
	char hex[40];
	int err;

	b = mem_zalloc(sizeof(*b), branch_destructor);
	if (!b)
		return ENOMEM;

	b->cs = cs;
	b->kind = BR_SIP;
	b->state = BR_CALLING;
	vtimer_init(&b->tc);
	list_append(&cs->brl, &b->cle, b);
	list_append(&d->brl, &b->le, b);
	b->dial = d;
	d->sipc++;
	d->pending++;
	c->branches++;

	hex_id(hex, sizeof(hex));
	(void)re_snprintf(b->branch, sizeof(b->branch), "z9hG4bK%b", hex,
			  (size_t)20);
	b->cseq = 1;

	err  = str_dup(&b->target, contact);
	err |= str_dup(&b->ruri, contact);
	err |= str_dup(&b->callid, d->callid);
	err |= re_sdprintf(&b->from_hdr, "\"%s\" <sip:%s@%s>;tag=%s",
			   d->caller_id, d->caller_id, host ? host + 1 : "",
			   d->ltag);
	err |= re_sdprintf(&b->to_hdr, "<sip:%s>", aor);
	if (err)
		goto fail;

	err = binding_dst(bd, &b->dst, &b->tp);
	if (!err)
		err = laddr_get(cs, b->tp, &b->dst, &la);
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
			  d->caller_id, &la, tp_param(b->tp),
			  sdp ? sdp->end : (size_t)0,
			  sdp ? sdp->buf : NULL, sdp ? sdp->end : (size_t)0);
	if (err)
		goto fail;

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
	c->branches--;
	d->pending--;
	b->state = BR_FAILED;
	b->scode = 503;
	dial_record(d, 503, true);
	branch_linger(b);
	return 0;

 fail:
	d->pending--;
	d->sipc--;
	c->branches--;
	mem_deref(b);

	return err;
}


static void pstn_handler(enum pstn_event ev, void *arg);


/* CALL-OUT-6: a number of the outside network */
static int branch_pstn_start(struct dial *d, const char *number)
{
	struct call *c = d->call;
	struct branch *b;
	int err;

	b = mem_zalloc(sizeof(*b), branch_destructor);
	if (!b)
		return ENOMEM;

	b->cs = c->cs;
	b->kind = BR_PSTN;
	b->state = BR_CALLING;
	vtimer_init(&b->tc);

	err = str_dup(&b->target, number);
	if (!err)
		err = pstn_dial(&b->pc, c->cs->pstn, c->sid, d->caller_id,
				number, pstn_handler, b);
	if (err) {
		mem_deref(b);
		return err;
	}

	list_append(&d->brl, &b->le, b);
	b->dial = d;
	d->pstnc++;
	d->pending++;

	return 0;
}


static void pstn_handler(enum pstn_event ev, void *arg)
{
	struct branch *b = arg;
	struct dial *d = b->dial;

	switch (ev) {

	case PSTN_EV_RINGING:
		b->state = BR_PROCEEDING;
		if (d)
			dial_ringing(d, b);
		break;

	case PSTN_EV_ANSWERED:
		b->state = BR_ANSWERED;
		b->scode = 200;
		if (d)
			dial_answered(d, b, NULL);
		break;

	case PSTN_EV_BUSY:
		b->state = BR_FAILED;
		b->scode = 486;
		pstn_hangup(b->pc);
		b->pc = NULL;
		if (d)
			dial_branch_final(d, b);
		break;

	case PSTN_EV_HANGUP:
		/* the far end of a connected call hung up */
		if (b->call)
			call_hangup(b->call, "callee");
		break;
	}
}


/* -------------------------------------------------------------- dials */

static void dial_destructor(void *data)
{
	struct dial *d = data;

	vtimer_cancel(&d->timeout);

	/* SIP branches finish on their own; PSTN ones go with the dial */
	while (d->brl.head) {
		struct branch *b = d->brl.head->data;

		list_unlink(&b->le);
		b->dial = NULL;

		if (b->kind == BR_PSTN)
			mem_deref(b);
	}

	mem_deref(d->callid);
	mem_deref(d->caller_id);
}


/* end the dial: every pending branch is CANCELled (with reason, or
 * none) */
static void dial_stop(struct call *c, const char *reason)
{
	struct dial *d = c->dial;

	if (!d)
		return;

	c->dial = NULL;

	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *b = le->data;

		if (b->state < BR_ANSWERED)
			branch_cancel(b, reason);
	}

	mem_deref(d);
}


/* RFC 3261 16.7 step 6, with the service's choices (RING-4, RING-7) */
static void dial_record(struct dial *d, uint16_t scode, bool sip)
{
	d->finals++;

	if (sip && scode >= 300 && scode < 400) {
		d->redirects++;
		scode = 480;          /* not followed: unreachable (RING-7) */
	}

	/* the first 6xx wins; else the lowest class, and in it the lowest
	 * code, so 486 stays only when everybody was busy */
	if (d->best >= 600)
		return;

	if (scode >= 600 || !d->best || scode / 100 < d->best / 100 ||
	    (scode / 100 == d->best / 100 && scode < d->best))
		d->best = scode;
}


static const char *reason_of(uint16_t scode)
{
	switch (scode) {

	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  return scode >= 600 ? "Global Failure" :
			scode >= 500 ? "Server Error" : "Request Failure";
	}
}


/* the Dial did not connect: the application goes on with its next verb */
static void dial_done(struct call *c, enum rule_id id, uint16_t scode,
		      const char *reason, const char *detail)
{
	if (!scode)
		reg_config_reply(c->cs->cfg, id, &scode, &reason, NULL, NULL);

	c->dial_rule = id;
	c->dial_scode = scode;
	str_ncpy(c->dial_reason, reason ? reason : reason_of(scode),
		 sizeof(c->dial_reason));

	decide(c, c->cs, NULL, id, scode, reason, detail);

	dial_stop(c, NULL);
	vtimer_start(&c->vt, 0, app_next, c);
}


static void dial_branch_final(struct dial *d, struct branch *b)
{
	struct call *c = d->call;
	const bool sip = b->kind == BR_SIP;
	char detail[256];

	d->pending--;
	dial_record(d, b->scode, sip);

	if (sip && b->scode >= 300 && b->scode < 400) {
		(void)re_snprintf(detail, sizeof(detail), "%s answered %u: "
				  "not followed", b->target, b->scode);
		decide(c, c->cs, NULL, RULE_RING_7, b->scode, NULL, detail);
	}
	else if (!sip) {
		(void)re_snprintf(detail, sizeof(detail), "%s: %u %s",
				  b->target, b->scode, reason_of(b->scode));
		decide(c, c->cs, NULL, RULE_CALL_OUT_6, b->scode, NULL,
		       detail);
	}

	dial_check(d);
}


/* every branch failed: the best answer (RFC 3261 16.7) */
static void dial_check(struct dial *d)
{
	struct call *c = d->call;
	char detail[256];
	enum rule_id id;
	uint16_t scode;

	if (d->pending)
		return;

	scode = d->best ? d->best : 408;
	if (scode == 503)
		scode = 500;             /* R-FORK-08 */

	if (d->sipc && d->redirects == d->finals)
		id = RULE_RING_7;
	else if (!d->sipc)
		id = RULE_CALL_OUT_6;
	else
		id = RULE_RING_4;

	(void)re_snprintf(detail, sizeof(detail), "every branch failed "
			  "(%u of %u); best answer %u", d->finals,
			  d->sipc + d->pstnc, scode);

	dial_done(c, id, scode, reason_of(scode), detail);
}


static void call_ringing(struct call *c)
{
	if (c->state != CALL_TRYING)
		return;

	c->state = CALL_RINGING;

	if (c->st && !c->ringing_sent) {
		c->ringing_sent = true;
		(void)reply(c->cs, c->inv, &c->st, NULL, RULE_COUNT, 180,
			    "Ringing", NULL, c->to, NULL);
	}

	call_event(c);
}


static void dial_ringing(struct dial *d, struct branch *b)
{
	(void)b;
	call_ringing(d->call);
}


/* the caller's leg answered: 200 to the phone, or the outside caller
 * connected; sdp: what the far end answered */
static void call_answer(struct call *c, const struct mbuf *sdp,
			enum rule_id id, const char *by, const char *detail)
{
	struct calls *cs = c->cs;
	struct mbuf *mb = NULL, *ours = NULL;
	const struct sip_msg *inv = c->inv;
	int err;

	c->state = CALL_ANSWERED;
	c->scode = 200;
	c->twerr = 0;
	c->answered = vclock_now();
	(void)str_dup(&c->answered_by, by);

	if (!c->st) {
		decide(c, cs, NULL, id, 200, "OK", detail);
		call_event(c);
		return;
	}

	if (!sdp) {
		if (sdp_make(&ours, cs, c->offer, ++cs->seq))
			ours = NULL;
		sdp = ours;
	}

	err = reply(cs, inv, &c->st, &mb, RULE_COUNT, 200, "OK", NULL,
		    c->to, sdp);
	decide(c, cs, inv, id, 200, "OK", detail);

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
			l->sdp = mem_ref((void *)sdp);
		l->up = !err;
		l->call = c;
		leg_ok_start(l, mb, inv, true);
		mb = NULL;
	}

	mem_deref(mb);
	mem_deref(ours);
	call_event(c);
}


static void dial_answered(struct dial *d, struct branch *b,
			  const struct sip_msg *msg)
{
	struct call *c = d->call;
	char detail[300];
	uint32_t others = 0;

	/* this one is the call's now; the others lose (RING-2) */
	list_unlink(&b->le);
	b->dial = NULL;
	d->pending--;

	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *o = le->data;

		if (o->state < BR_ANSWERED)
			others++;
	}

	c->dial = NULL;
	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *o = le->data;

		if (o->state < BR_ANSWERED)
			branch_cancel(o, o->kind == BR_SIP ?
				      REASON_ELSEWHERE : NULL);
	}
	mem_deref(d);

	if (b->kind == BR_SIP) {
		struct mbuf *sdp = NULL;

		c->peer = b;
		b->call = c;
		b->leg.call = c;
		if (c->offer)
			b->leg.sdp = mem_ref(c->offer);
		if (msg && is_sdp(msg))
			(void)body_copy(&sdp, msg);

		(void)re_snprintf(detail, sizeof(detail), "answered by %s; "
				  "CANCEL to %u other branch%s", b->target,
				  others, others == 1 ? "" : "es");
		call_answer(c, sdp, RULE_RING_2, b->target, detail);
		mem_deref(sdp);
		return;
	}

	/* the outside network answered: the branch is the call's now */
	c->pbranch = b;
	b->call = c;
	(void)re_snprintf(detail, sizeof(detail), "%s answered", b->target);
	call_answer(c, NULL, RULE_CALL_OUT_6, b->target, detail);
}


/* RING-5: nobody answered within the Dial timeout */
static void dial_timeout(void *arg)
{
	struct dial *d = arg;
	struct call *c = d->call;
	uint32_t n = 0;
	char detail[128];

	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *b = le->data;

		if (b->state < BR_ANSWERED)
			n++;
	}

	(void)re_snprintf(detail, sizeof(detail), "no answer within %u s; "
			  "CANCEL to %u branch%s", d->timeout_s, n,
			  n == 1 ? "" : "es");

	dial_done(c, d->sipc ? RULE_RING_5 : RULE_CALL_OUT_6, 480,
		  "Temporarily Unavailable", detail);
}


/* a <Sip> noun: every binding of its AOR (RING-1), never one twice */
struct ring_ctx {
	struct dial *d;
	const char *aor;
	char *seen[MAX_TARGETS];
	uint32_t seenc;
	uint32_t n;
	int err;
};


static bool binding_handler(const struct binding *bd, uint32_t domain,
			    void *arg)
{
	struct ring_ctx *rc = arg;
	(void)domain;

	for (uint32_t i = 0; i < rc->seenc; i++) {
		if (!strcmp(rc->seen[i], bd->key))
			return false;
	}

	if (rc->seenc >= MAX_TARGETS)
		return true;

	if (str_dup(&rc->seen[rc->seenc], bd->key))
		return true;
	rc->seenc++;

	rc->err = branch_sip_start(rc->d, bd->uri, bd, rc->aor);
	if (!rc->err)
		rc->n++;

	return rc->err != 0;
}


/* "alice@example...", "sip:alice@example...;transport=tcp": the AOR key */
static int sip_noun_aor(char **aorp, const struct reg_config *cfg,
			const char *target)
{
	struct uri uri;
	struct pl pl;
	char *s = NULL;
	int err;

	if (!strncasecmp(target, "sip:", 4) || !strncasecmp(target, "sips:",
							     5))
		err = str_dup(&s, target);
	else
		err = re_sdprintf(&s, "sip:%s", target);
	if (err)
		return err;

	pl_set_str(&pl, s);
	err = uri_decode(&uri, &pl);
	if (!err && (!pl_isset(&uri.user) ||
		     !reg_config_domain(cfg, uri.host.p, uri.host.l)))
		err = ENOENT;
	if (!err)
		err = aor_key(aorp, &uri);

	mem_deref(s);

	return err;
}


static void call_fail(struct call *c, enum rule_id id, uint16_t scode,
		      const char *reason, const char *detail);


static bool caller_id_chars(const char *s)
{
	if (!s[0] || strlen(s) > 64)
		return false;

	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("+-._~*#", *s))
			return false;
	}

	return true;
}


/* one <Dial>: CALL-OUT-5 first, then every noun at once */
static void dial_start(struct call *c, const struct twiml_verb *v)
{
	struct calls *cs = c->cs;
	const struct reg_config *cfg = cs->cfg;
	struct ring_ctx rc;
	struct mbuf *list = NULL;
	char detail[512];
	struct dial *d;
	bool numbers = false;
	int err = 0;

	/* CALL-OUT-4: every number must be one, before anything rings */
	for (size_t i = 0; i < v->nounc; i++) {
		const struct twiml_noun *n = &v->nounv[i];
		char num[24];

		if (n->kind != TWIML_NUMBER)
			continue;

		numbers = true;
		if (twiml_e164(num, sizeof(num), n->target,
			       strlen(n->target))) {
			(void)re_snprintf(detail, sizeof(detail), "'%s' is "
					  "not a phone number (E.164)",
					  n->target);
			call_fail(c, RULE_CALL_OUT_4, 0, NULL, detail);
			return;
		}
	}

	/* CALL-OUT-5: a number is shown a caller ID the account owns;
	 * an outside caller's own ID passes through when none is given */
	if (numbers && (v->caller_id || !c->outside)) {
		const char *cid = v->caller_id ? v->caller_id : c->from;

		if (!reg_config_caller_id_ok(cfg, cid)) {
			(void)re_snprintf(detail, sizeof(detail),
					  "callerId '%s' is neither verified "
					  "nor a number of the account", cid);
			call_fail(c, RULE_CALL_OUT_5, 0, NULL, detail);
			return;
		}
	}

	/* it goes into From headers: a SIP user part, nothing more */
	if (v->caller_id && !caller_id_chars(v->caller_id)) {
		(void)re_snprintf(detail, sizeof(detail), "callerId '%s' has "
				  "characters a caller ID cannot have",
				  v->caller_id);
		call_fail(c, RULE_CALL_OUT_5, 0, NULL, detail);
		return;
	}

	d = mem_zalloc(sizeof(*d), dial_destructor);
	if (!d)
		goto oom;

	d->call = c;
	vtimer_init(&d->timeout);
	c->dial = d;
	d->timeout_s = v->seconds ? v->seconds : cfg->profile.ring_timeout;
	hex_id(detail, sizeof(detail));
	(void)re_snprintf(d->ltag, sizeof(d->ltag), "%b", detail + 16,
			  (size_t)16);
	err  = re_sdprintf(&d->callid, "%b@sipconform", detail, (size_t)24);
	err |= str_dup(&d->caller_id, v->caller_id ? v->caller_id :
		       caller_id_chars(c->from) ? c->from : "anonymous");
	list = mbuf_alloc(256);
	if (err || !list)
		goto oom;

	memset(&rc, 0, sizeof(rc));
	rc.d = d;

	for (size_t i = 0; i < v->nounc && !err; i++) {
		const struct twiml_noun *n = &v->nounv[i];
		char num[24];
		char *aor = NULL;

		if (n->kind == TWIML_NUMBER) {
			(void)twiml_e164(num, sizeof(num), n->target,
					 strlen(n->target));
			err = branch_pstn_start(d, num);
			if (!err) {
				(void)re_snprintf(detail, sizeof(detail),
						  "%s reaches the outside "
						  "network (%s)", num,
						  pstn_behaviour_name(
						  reg_config_pstn(cfg, num)
						  ->behaviour));
				decide(c, cs, NULL, RULE_CALL_OUT_6, 0, NULL,
				       detail);
			}
			continue;
		}

		if (sip_noun_aor(&aor, cfg, n->target)) {
			(void)mbuf_printf(list, "%s%s: not an AOR of a "
					  "served domain", list->end ?
					  "; " : "", n->target);
			continue;
		}

		rc.aor = aor;
		rc.n = 0;
		location_apply(cs->loc, UINT32_MAX, aor, binding_handler,
			       &rc);
		err = rc.err;
		(void)mbuf_printf(list, "%s%s: %u binding%s", list->end ?
				  "; " : "", aor, rc.n, rc.n == 1 ? "" : "s");
		mem_deref(aor);
	}

	for (uint32_t i = 0; i < rc.seenc; i++)
		mem_deref(rc.seen[i]);

	if (err)
		goto oom;

	(void)re_snprintf(detail, sizeof(detail), "%b", list->buf,
			  list->end);
	mem_deref(list);
	list = NULL;

	if (!d->sipc && !d->pstnc) {
		/* RING-3: nobody to ring, no INVITE */
		dial_done(c, RULE_RING_3, 0, NULL, detail);
		return;
	}

	if (d->sipc) {
		char line[600];

		(void)re_snprintf(line, sizeof(line), "%u INVITE%s: %s",
				  d->sipc, d->sipc == 1 ? "" : "s", detail);
		decide(c, cs, NULL, RULE_RING_1, 0, NULL, line);
	}

	/* every branch may have failed at once (unreachable contacts) */
	if (!d->pending) {
		dial_check(d);
		return;
	}

	vtimer_start(&d->timeout, (uint64_t)d->timeout_s * 1000,
		     dial_timeout, d);
	return;

 oom:
	mem_deref(list);
	call_fail(c, RULE_COUNT, 500, "Server Internal Error", "out of "
		  "memory starting a Dial");
}


/* -------------------------------------------------------------- calls */

static void call_destructor(void *data)
{
	struct call *c = data;

	list_unlink(&c->le);
	tmr_cancel(&c->start);
	vtimer_cancel(&c->vt);
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
	mem_deref(c->offer);
	mem_deref(c->from);
	mem_deref(c->to);
	mem_deref(c->desc);
	mem_deref(c->answered_by);
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


/* free what a call holds once it has ended; the record stays */
static void call_end(struct call *c, const char *by)
{
	struct calls *cs = c->cs;

	if (c->state == CALL_ENDED)
		return;

	c->state = CALL_ENDED;
	c->ended = vclock_now();
	c->ended_by = by;

	tmr_cancel(&c->start);
	vtimer_cancel(&c->vt);
	dial_stop(c, NULL);

	if (c->peer) {
		struct branch *b = c->peer;

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
		(void)reply(cs, c->inv, &c->st, NULL, RULE_COUNT, 500,
			    "Server Internal Error", NULL, NULL, NULL);
	}

	c->doc = mem_deref(c->doc);
	c->inv = mem_deref(c->inv);

	cs->endedc++;
	call_event(c);
	prune(cs);
}


/* the call fails before an answer: a final reply to the phone, or the
 * outside caller is told */
static void call_fail(struct call *c, enum rule_id id, uint16_t scode,
		      const char *reason, const char *detail)
{
	struct calls *cs = c->cs;
	const char *rsn = reason;
	uint16_t code = scode;

	if (c->state == CALL_ENDED)
		return;

	if (!code)
		reg_config_reply(cs->cfg, id, &code, &rsn, NULL, NULL);
	if (!code) {
		code = 500;
		rsn = "Server Internal Error";
	}

	/* answered already: no status to give, the call just ends */
	if (c->state == CALL_ANSWERED) {
		decide(c, cs, NULL, id, code, rsn, detail);
		call_hangup(c, "application");
		return;
	}

	c->scode = code;
	c->twerr = code >= 300 ? rule_twerr(cs, id) : 0;

	if (c->st) {
		(void)reply(cs, c->inv, &c->st, NULL, id, scode, reason, NULL,
			    NULL, NULL);
		decide(c, cs, c->inv, id, code, rsn, detail);
	}
	else if (!c->ruled || c->rule != id) {
		decide(c, cs, NULL, id, code, rsn, detail);
	}

	call_end(c, "application");
}


/* after the call was answered, the far end or the caller hung up */
static void call_hangup(struct call *c, const char *by)
{
	call_end(c, by);
}


static void ok_retransmit(void *arg)
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

	(void)sip_send(c->cs->sip, NULL, SIP_TRANSP_UDP, &l->ok_dst, l->ok);
	l->ok_txc++;
	tmr_start(&l->ok_tmr, MIN(SIP_T1 << l->ok_txc, SIP_T2),
		  ok_retransmit, l);
}


/* the application answers (Say, Hangup before an answer) */
static void call_answer_app(struct call *c, const char *what)
{
	char detail[64];

	(void)re_snprintf(detail, sizeof(detail), "answered by the "
			  "application (%s)", what);
	call_answer(c, NULL, RULE_CALL_OUT_3, "application", detail);
}


/* the document ran out, or <Hangup/> */
static void app_end(struct call *c, bool hangup)
{
	if (c->state == CALL_ANSWERED) {
		call_hangup(c, "application");
		return;
	}

	/* a failed Dial is the call's answer, unless <Hangup/> says so */
	if (c->dial_scode && !hangup) {
		call_fail(c, c->dial_rule, c->dial_scode, c->dial_reason,
			  "the application ended after the Dial failed");
		return;
	}

	/* Twilio answers a call that the document hangs up on */
	call_answer_app(c, hangup ? "Hangup" : "end of document");
	call_hangup(c, "application");
}


static void app_next(void *arg)
{
	struct call *c = arg;
	const struct twiml_verb *v;

	if (c->state == CALL_ENDED || !c->doc)
		return;

	if (c->pc >= c->doc->verbc) {
		app_end(c, false);
		return;
	}

	v = &c->doc->verbv[c->pc++];

	switch (v->kind) {

	case TWIML_SAY:
		if (c->state != CALL_ANSWERED)
			call_answer_app(c, "Say");
		vtimer_start(&c->vt, (uint64_t)c->cs->cfg->profile.say_seconds
			     * 1000, app_next, c);
		break;

	case TWIML_PAUSE:
		vtimer_start(&c->vt, (uint64_t)v->seconds * 1000, app_next,
			     c);
		break;

	case TWIML_HANGUP:
		app_end(c, true);
		break;

	case TWIML_REJECT:
		if (c->state == CALL_ANSWERED) {
			call_hangup(c, "application");
			break;
		}
		call_fail(c, RULE_CALL_OUT_3, v->busy ? 486 : 603,
			  v->busy ? "Busy Here" : "Decline",
			  v->busy ? "<Reject reason=\"busy\"/>" : "<Reject/>");
		break;

	case TWIML_DIAL:
		c->dial_scode = 0;
		dial_start(c, v);
		break;
	}
}


/* expand the application's templates, parse, run the first verb */
static void app_start(void *arg)
{
	struct call *c = arg;
	const struct twiml_vars vars = {c->to, c->from};
	char *text = NULL;
	char msg[256];
	int err;

	if (!c->app) {
		call_fail(c, RULE_CALL_OUT_3, 503, "Service Unavailable",
			  "no voice application");
		return;
	}

	err = twiml_expand(&text, c->app->twiml, &vars, msg, sizeof(msg));
	if (err == EDOM) {
		call_fail(c, RULE_CALL_OUT_4, 0, NULL, msg);
		return;
	}
	if (!err)
		err = twiml_parse(&c->doc, text, strlen(text), msg,
				  sizeof(msg));
	mem_deref(text);
	if (err) {
		call_fail(c, RULE_COUNT, 500, "Server Internal Error", msg);
		return;
	}

	c->pc = 0;
	app_next(c);
}


static int call_alloc(struct call **cp, struct calls *cs, const char *from,
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
	hex_id(hex, sizeof(hex));
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


/* ---------------------------------------------------- calls from phones */

struct cred_find {
	const struct reg_config *cfg;
	struct digest_cred *cred;
	bool found;
	bool broken;
};


static bool cred_handler(const struct sip_hdr *hdr, const struct sip_msg *msg,
			 void *arg)
{
	struct cred_find *cf = arg;
	struct digest_cred c;
	(void)msg;

	if (digest_cred_decode(&c, &hdr->val)) {
		struct pl realm;

		if (!re_regex(hdr->val.p, hdr->val.l, "realm=\"[^\"]*\"",
			      &realm) &&
		    !pl_strcmp(&realm, cf->cfg->profile.realm)) {
			cf->found = true;
			cf->broken = true;
			return true;
		}
		return false;
	}

	if (pl_strcmp(&c.realm, cf->cfg->profile.realm))
		return false;

	*cf->cred = c;
	cf->found = true;

	return true;
}


static int challenge(struct calls *cs, const struct sip_msg *msg,
		     struct sip_strans **stp, bool stale, const char *detail)
{
	struct mbuf *mb = mbuf_alloc(256);
	uint16_t scode;
	int err;

	if (!mb)
		return ENOMEM;

	reg_config_reply(cs->cfg, RULE_CALL_OUT_1, &scode, NULL, NULL, NULL);
	err = digest_challenge_print(mb, cs->auth, scode, stale);
	if (!err) {
		(void)mbuf_write_u8(mb, 0);
		err = reply(cs, msg, stp, NULL, RULE_CALL_OUT_1, 0, NULL,
			    (const char *)mb->buf, NULL, NULL);
	}
	decide(NULL, cs, msg, RULE_CALL_OUT_1, scode, NULL, detail);

	mem_deref(mb);

	return err;
}


static void refuse(struct calls *cs, const struct sip_msg *msg,
		   struct sip_strans **stp, enum rule_id id, uint16_t scode,
		   const char *reason, const char *hdrs, const char *detail)
{
	uint16_t code = scode;
	const char *rsn = reason;

	if (!code)
		reg_config_reply(cs->cfg, id, &code, &rsn, NULL, NULL);

	(void)reply(cs, msg, stp, NULL, id, scode, reason, hdrs, NULL, NULL);
	decide(NULL, cs, msg, id, code, rsn, detail);
}


/* the AOR a digest username speaks for: username@host, as REGISTER's */
static int auth_aor(char **aorp, const struct pl *username,
		    const struct pl *host)
{
	struct uri u;

	memset(&u, 0, sizeof(u));
	u.user = *username;
	u.host = *host;

	return aor_key(aorp, &u);
}


/* CALL-OUT-1/2: digest against the domain's call credential lists;
 * true when the request was answered (not authenticated) */
static bool call_auth(struct calls *cs, const struct sip_msg *msg,
		      struct sip_strans **stp, const struct domain_conf *dom,
		      char *user, size_t usz)
{
	const struct profile_conf *prof = &cs->cfg->profile;
	struct digest_cred dc;
	struct cred_find cf = {cs->cfg, &dc, false, false};
	const struct credential *cred;
	uint16_t chall;
	struct uri duri;
	const char *bad;
	char *aor = NULL;
	uint32_t lim;

	if (!dom->call_listc) {
		refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
		       "no credential list mapped for calls");
		return true;
	}

	memset(&dc, 0, sizeof(dc));
	reg_config_reply(cs->cfg, RULE_CALL_OUT_1, &chall, NULL, NULL, NULL);

	(void)sip_msg_hdr_apply(msg, true, chall == 401 ?
				SIP_HDR_AUTHORIZATION :
				SIP_HDR_PROXY_AUTHORIZATION, cred_handler,
				&cf);
	if (!cf.found && prof->accept_authorization)
		(void)sip_msg_hdr_apply(msg, true, chall == 401 ?
					SIP_HDR_PROXY_AUTHORIZATION :
					SIP_HDR_AUTHORIZATION, cred_handler,
					&cf);

	if (!cf.found) {
		(void)challenge(cs, msg, stp, false, "no credentials");
		return true;
	}

	if (cf.broken || !pl_isset(&dc.username) || !pl_isset(&dc.response)) {
		refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
		       "malformed digest");
		return true;
	}

	/* REG-LIM-RATE: failed attempts count against the username's AOR,
	 * with its REGISTERs, so a password cannot be guessed through
	 * INVITE faster than through REGISTER.  Over the limit the password
	 * is not looked at; known and unknown usernames alike. */
	if (auth_aor(&aor, &dc.username, &msg->uri.host)) {
		refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
		       "malformed digest username");
		return true;
	}
	lim = cs->cfg->limits.registers_per_second;
	if (location_rate_full(cs->loc, aor, lim, RATE_WINDOW_MS)) {
		refuse(cs, msg, stp, RULE_REG_LIM_RATE, 0, NULL,
		       "Retry-After: 1\r\n", "failed digest attempts "
		       "for this AOR");
		mem_deref(aor);
		return true;
	}

	cred = reg_config_credential(cs->cfg, dom, true, dc.username.p,
				     dc.username.l);
	bad = cred ? digest_cred_malformed(cs->auth, &dc) :
		"unknown username (not in a list mapped for calls)";
	if (!bad && (uri_decode(&duri, &dc.uri) ||
		     pl_casecmp(&duri.host, &msg->uri.host)))
		bad = "digest uri does not name the Request-URI's domain";
	if (!bad && !digest_cred_verify(&dc, &msg->met, cred->ha1))
		bad = "wrong password";
	if (bad) {
		(void)location_rate_exceeded(cs->loc, aor,
					     (uint32_t)(dom - cs->cfg->domainv),
					     lim, RATE_WINDOW_MS);
		mem_deref(aor);
		refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL, bad);
		return true;
	}
	mem_deref(aor);

	switch (digest_nonce_check(cs->auth, &dc)) {

	case NONCE_STALE:
	case NONCE_UNKNOWN:
		(void)challenge(cs, msg, stp, true, "nonce expired or not "
				"issued here");
		return true;

	case NONCE_REPLAY:
		(void)challenge(cs, msg, stp, false, "nonce count replayed");
		return true;

	default:
		break;
	}

	(void)digest_nonce_accept(cs->auth, &dc);
	str_ncpy(user, cred->username, usz);

	return false;
}


static void strans_cancel(void *arg);


static bool require_line(const struct sip_hdr *hdr, const struct sip_msg *msg,
			 void *arg)
{
	struct mbuf *mb = arg;
	(void)msg;

	(void)mbuf_printf(mb, "%s%r", mb->end ? ", " : "", &hdr->val);

	return false;
}


/* a new INVITE to the domain from a phone (CALL-OUT-1 .. 3) */
static void invite_new(struct calls *cs, const struct sip_msg *msg)
{
	const struct domain_conf *dom;
	struct sip_strans *st = NULL;
	const struct sip_hdr *mf;
	struct call *c = NULL;
	struct mbuf *tags;
	char user[64];
	char *from = NULL, *to = NULL;
	uint32_t maxfwd = MAX_FORWARDS;

	tags = mbuf_alloc(64);
	if (tags) {
		(void)sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE,
					require_line, tags);
		if (tags->end) {
			char hdr[200];

			(void)re_snprintf(hdr, sizeof(hdr),
					  "Unsupported: %b\r\n", tags->buf,
					  tags->end);
			refuse(cs, msg, NULL, RULE_REG_MSG_1, 0, NULL, hdr,
			       "unsupported Require");
			mem_deref(tags);
			return;
		}
		mem_deref(tags);
	}

	/* Require before the domain, as for REGISTER (RFC 4475 3.3.5) */
	dom = reg_config_domain(cs->cfg, msg->uri.host.p, msg->uri.host.l);
	if (!dom) {
		refuse(cs, msg, NULL, RULE_REG_DOMAIN_1, 0, NULL, NULL,
		       "INVITE to a domain not served");
		return;
	}

	if (!sip_msg_hdr(msg, SIP_HDR_CONTACT) || !pl_isset(&msg->from.tag) ||
	    !pl_isset(&msg->callid)) {
		refuse(cs, msg, NULL, RULE_REG_MSG_2, 0, NULL, NULL,
		       "INVITE without Contact, From tag or Call-ID");
		return;
	}

	mf = sip_msg_hdr(msg, SIP_HDR_MAX_FORWARDS);
	if (mf) {
		maxfwd = pl_u32(&mf->val);
		if (!maxfwd) {
			refuse(cs, msg, NULL, RULE_COUNT, 483,
			       "Too Many Hops", NULL, "Max-Forwards is 0");
			return;
		}
	}

	if (user_str(&from, &msg->from.uri.user) ||
	    user_str(&to, &msg->to.uri.user))
		goto oom;

	if (call_alloc(&c, cs, from, to))
		goto oom;

	c->maxfwd = maxfwd;

	if (sip_strans_alloc(&st, cs->sip, msg, strans_cancel, c))
		goto oom;

	/* 100 at once (P-UAS-01), then the challenge (CALL-OUT-1) */
	(void)sip_treplyf(&st, NULL, cs->sip, msg, false, 100, "Trying",
			  NULL);
	if (!st)
		goto out;

	if (call_auth(cs, msg, &st, dom, user, sizeof(user)))
		goto out;

	if (mbuf_get_left(msg->mb) && !is_sdp(msg)) {
		refuse(cs, msg, &st, RULE_COUNT, 415,
		       "Unsupported Media Type", "Accept: application/sdp\r\n",
		       "a body that is not SDP");
		goto out;
	}

	c->inv = mem_ref((void *)msg);
	c->st = st;
	st = NULL;
	c->app = dom->app;
	if (is_sdp(msg))
		(void)body_copy(&c->offer, msg);
	else
		(void)sdp_make(&c->offer, cs, NULL, ++cs->seq);

	list_append(&cs->calll, &c->le, c);

	{
		char detail[160];

		(void)re_snprintf(detail, sizeof(detail), "%s runs "
				  "application '%s'", user,
				  c->app ? c->app->name : "(none)");
		decide(c, cs, msg, RULE_CALL_OUT_3, 0, NULL, detail);
	}

	call_event(c);
	app_start(c);
	c = NULL;
	goto out;

 oom:
	if (st)
		(void)sip_treplyf(&st, NULL, cs->sip, msg, false, 500,
				  "Server Internal Error", NULL);
	else
		(void)sip_treply(NULL, cs->sip, msg, 500,
				 "Server Internal Error");
 out:
	mem_deref(st);
	mem_deref(c);
	mem_deref(from);
	mem_deref(to);
}


/* the phone CANCELled its INVITE: RING-6 when branches ring */
static void strans_cancel(void *arg)
{
	struct call *c = arg;
	const bool ringing = c->dial && c->dial->sipc;
	uint32_t n = 0;
	char detail[128];

	if (c->dial) {
		for (struct le *le = c->dial->brl.head; le; le = le->next) {
			struct branch *b = le->data;

			if (b->state < BR_ANSWERED)
				n++;
		}
	}

	(void)re_snprintf(detail, sizeof(detail), "the caller hung up "
			  "while ringing; CANCEL to %u branch%s", n,
			  n == 1 ? "" : "es");

	c->scode = 487;
	c->twerr = 0;
	(void)reply(c->cs, c->inv, &c->st, NULL, RULE_COUNT, 487,
		    "Request Terminated", NULL, NULL, NULL);
	decide(c, c->cs, c->inv, ringing ? RULE_RING_6 : RULE_COUNT, 487,
	       "Request Terminated", detail);
	call_end(c, "caller");
}


/* ------------------------------------------------- requests in a dialog */

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
		(void)reply(cs, msg, NULL, NULL, RULE_REG_MSG_2, 0, NULL, NULL,
			    NULL, NULL);
		reg_config_reply(cs->cfg, RULE_REG_MSG_2, &scode, &rsn, NULL,
				 NULL);
		decide(NULL, cs, msg, RULE_REG_MSG_2, scode, rsn, n ?
		       "several Refer-To" : "no Refer-To");
		return;
	}

	/* REFER-1: refused; the call goes on, nobody is told */
	reg_config_reply(cs->cfg, RULE_REFER_1, &scode, &rsn, NULL, NULL);
	(void)reply(cs, msg, NULL, NULL, RULE_REFER_1, 0, NULL, ALLOW, NULL,
		    NULL);
	decide(c, cs, msg, RULE_REFER_1, scode, rsn, "transfer refused; the "
	       "call goes on");
}


static void reinvite(struct calls *cs, const struct sip_msg *msg,
		     struct call *c, struct leg *l)
{
	(void)c;

	struct mbuf *mb = NULL;

	/* the other leg is not asked: no media here, the last SDP holds */
	if (!reply(cs, msg, NULL, &mb, RULE_COUNT, 200, "OK", NULL,
		   l->cuser ? l->cuser : "b2bua", l->sdp))
		leg_ok_start(l, mb, msg, false);
	decide(NULL, cs, msg, RULE_COUNT, 200, "OK", "re-INVITE answered by "
	       "the B2BUA with the SDP it last sent; the other leg is not "
	       "re-offered");
}


static bool dialog_request(struct calls *cs, const struct sip_msg *msg)
{
	struct found f;

	if (!dialog_find(cs, msg, &f)) {
		if (!pl_strcmp(&msg->met, "INVITE")) {
			refuse(cs, msg, NULL, RULE_COUNT, 481,
			       "Call/Transaction Does Not Exist", NULL,
			       "re-INVITE names no dialog");
			return true;
		}
		return false;
	}

	if (!pl_strcmp(&msg->met, "ACK")) {
		if (f.leg->ok && msg->cseq.num == f.leg->ok_cseq) {
			tmr_cancel(&f.leg->ok_tmr);
			f.leg->ok = mem_deref(f.leg->ok);
		}
		return true;
	}

	if (!pl_strcmp(&msg->met, "BYE")) {
		(void)reply(cs, msg, NULL, NULL, RULE_COUNT, 200, "OK", NULL,
			    NULL, NULL);
		decide(NULL, cs, msg, RULE_COUNT, 200, "OK", f.caller ?
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
		(void)reply(cs, msg, NULL, NULL, RULE_COUNT, 200, "OK", NULL,
			    NULL, NULL);
		return true;
	}

	refuse(cs, msg, NULL, RULE_COUNT, 405, "Method Not Allowed", ALLOW,
	       "not supported in a call");

	return true;
}


bool calls_request(struct calls *cs, const struct sip_msg *msg)
{
	if (!cs || !msg)
		return false;

	if (pl_isset(&msg->to.tag)) {
		if (!pl_strcmp(&msg->met, "CANCEL"))
			return false;
		return dialog_request(cs, msg);
	}

	if (!pl_strcmp(&msg->met, "INVITE")) {
		invite_new(cs, msg);
		return true;
	}

	return false;
}


/* ------------------------------------------------ the outside network */

int calls_outside(struct calls *cs, const char *from, const char *to,
		  call_event_h *h, void *arg, char *sid, size_t sz)
{
	const struct number_conf *num;
	struct call *c;
	int err;

	if (!cs || !from || !to || !from[0])
		return EINVAL;

	for (const char *p = from; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '@' || *p == '\\' || *p == ';')
			return EINVAL;
	}

	num = reg_config_number(cs->cfg, to);
	if (!num) {
		char e164[24];

		/* "4155550199" is "+14155550199" too */
		if (twiml_e164(e164, sizeof(e164), to, strlen(to)))
			return ENOENT;
		num = reg_config_number(cs->cfg, e164);
		if (!num)
			return ENOENT;
		to = num->number;
	}

	err = call_alloc(&c, cs, from, to);
	if (err)
		return err;

	c->outside = true;
	c->app = num->app;
	c->h = h;
	c->arg = arg;

	err = sdp_make(&c->offer, cs, NULL, ++cs->seq);
	if (err) {
		mem_deref(c);
		return err;
	}

	list_append(&cs->calll, &c->le, c);
	tmr_start(&c->start, 0, app_start, c);

	if (sid && sz)
		str_ncpy(sid, c->sid, sz);

	call_event(c);

	return 0;
}


static struct call *call_find(const struct calls *cs, const char *sid)
{
	for (struct le *le = cs->calll.head; le; le = le->next) {
		struct call *c = le->data;

		if (!strcmp(c->sid, sid))
			return c;
	}

	return NULL;
}


int calls_hangup(struct calls *cs, const char *sid)
{
	struct call *c;
	char detail[128];
	uint32_t n = 0;

	if (!cs || !sid)
		return EINVAL;

	c = call_find(cs, sid);
	if (!c || c->state == CALL_ENDED)
		return ENOENT;

	if (!c->outside)
		return EPROTO;

	if (c->state == CALL_ANSWERED) {
		call_hangup(c, "caller");
		return 0;
	}

	/* RING-6: CANCEL every branch */
	if (c->dial) {
		for (struct le *le = c->dial->brl.head; le; le = le->next) {
			struct branch *b = le->data;

			if (b->state < BR_ANSWERED)
				n++;
		}
	}

	(void)re_snprintf(detail, sizeof(detail), "the caller hung up while "
			  "ringing; CANCEL to %u branch%s", n,
			  n == 1 ? "" : "es");
	c->scode = 487;
	c->twerr = 0;
	decide(c, cs, NULL, c->dial && c->dial->sipc ? RULE_RING_6 :
	       RULE_COUNT, 487, "Request Terminated", detail);
	call_end(c, "caller");

	return 0;
}


int calls_info(const struct calls *cs, const char *sid,
	       struct call_info *ci)
{
	const struct call *c;

	if (!cs || !sid || !ci)
		return EINVAL;

	c = call_find(cs, sid);
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
	digest_auth_reset(cs->auth);
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
	mem_deref(cs->auth);
}


int calls_alloc(struct calls **csp, struct sip *sip,
		const struct reg_config *cfg, struct location *loc,
		decision_h *dh, void *arg)
{
	struct calls *cs;
	int err;

	if (!csp || !sip || !cfg || !loc)
		return EINVAL;

	cs = mem_zalloc(sizeof(*cs), calls_destructor);
	if (!cs)
		return ENOMEM;

	cs->sip = sip;
	cs->cfg = cfg;
	cs->loc = loc;
	cs->dh = dh;
	cs->arg = arg;

	err = digest_auth_alloc(&cs->auth, cfg->profile.realm,
				cfg->profile.nonce_lifetime);
	if (!err)
		err = pstn_alloc(&cs->pstn, cfg);
	if (!err)
		err = sip_listen(&cs->lsnr, sip, false, response_handler, cs);

	if (err)
		mem_deref(cs);
	else
		*csp = cs;

	return err;
}
