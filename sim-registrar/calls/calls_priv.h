/**
 * @file calls/calls_priv.h  The B2BUA's parts and what they share (not
 * for use outside sim-registrar/calls/; the contract is calls.h)
 *
 * Objects:
 *   calls   the service's calls: the list, the events queue, the SIP
 *           stack and configuration (calls.c)
 *   call    the caller's leg (a phone's INVITE, or the outside network),
 *           the application run for it, the far leg once connected
 *           (call.c; the TwiML run: app.c)
 *   dial    one <Dial> in progress: its branches, its timeout (RING-5),
 *           the best answer so far (dial.c)
 *   branch  one target of a Dial: an INVITE client transaction to a
 *           binding (then a dialog if it wins: branch.c), or a number of
 *           the outside network (outside.c)
 *   leg     an established dialog, on either side (leg.c)
 *
 * SIP branches belong to the calls object (cs->brl) and free themselves
 * once their transaction is over (Timer D), so a Dial or a call can go
 * while a branch still waits for its 487; a branch then knows no dial.
 * Calls stay listed after they end (the last MAX_ENDED) for queries.
 */

#ifndef SIPCONFORM_CALLS_PRIV_H
#define SIPCONFORM_CALLS_PRIV_H

#include <re.h>
#include "vtimer.h"
#include "registrar.h"
#include "calls.h"

struct binding;
struct application_conf;
struct twiml;
struct twiml_verb;
struct pstn_call;
struct media_stream;
struct sdp_oa;
struct domain_conf;

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
	struct reg_base base;         /* stack, configuration, digest      */
	struct pstn *pstn;
	struct sip_lsnr *lsnr;        /* responses to what we sent raw      */
	struct list calll;            /* struct call, oldest first          */
	struct list brl;              /* struct branch (SIP), every live one */
	struct list evq;              /* struct event, not yet delivered    */
	struct tmr evtmr;
	uint32_t endedc;
	call_event_h *evh;
	void *evarg;
	uint32_t capture_ms;          /* calls_set_capture()                */
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

	/* media (media.c): a stream and offer/answer of its own */
	struct media_stream *ms;
	struct sdp_oa *oa;
	bool offered;                 /* our offer in a 2xx: the ACK answers */
	bool started;                 /* RTP runs (from the ACK)            */
	bool receiving;               /* not on hold                        */
	bool oneway_said;             /* MEDIA-RTP-3 logged since the start  */
	bool latch_said;              /* MEDIA-RTP-2 logged                  */
	uint32_t rx_seen;             /* packets at the last watch          */
	uint64_t rx_last;             /* vclock ms of the last new packet   */
	struct vtimer watch;
};

enum br_kind { BR_SIP, BR_PSTN };

enum br_state {
	BR_CALLING,                   /* INVITE sent, nothing back yet      */
	BR_PROCEEDING,                /* a provisional came                 */
	BR_ANSWERED,                  /* 2xx: a dialog                      */
	BR_FAILED,                    /* a final >= 300, or none at all     */
};

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
	struct mbuf *answer;          /* our answer to the caller's offer   */

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

	/* <Gather> (app.c) */
	const struct twiml_verb *gather;
	size_t gpc;                   /* next verb inside the Gather        */
	char digits[33];
	const char *gwhy;             /* why it ends, once a digit decided  */
	struct vtimer gt;             /* its timeout, or its end            */

	/* each leg's media figures once its stream is gone: [0] caller */
	struct call_leg_media msnap[2];

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


/* calls.c: what every part sends with */
void calls_hex_id(char *buf, size_t sz);
int  calls_laddr(struct calls *cs, enum sip_transp tp, const struct sa *dst,
		 struct sa *laddr);
const char *calls_tp_param(enum sip_transp tp);
int  calls_reply(struct calls *cs, const struct sip_msg *msg,
		 struct sip_strans **stp, struct mbuf **mbp, enum rule_id id,
		 uint16_t scode, const char *reason, const char *hdrs,
		 const char *contact, const struct mbuf *body);
void calls_refuse(struct calls *cs, const struct sip_msg *msg,
		  struct sip_strans **stp, enum rule_id id, uint16_t scode,
		  const char *reason, const char *hdrs, const char *detail);
uint32_t calls_rule_twerr(const struct calls *cs, enum rule_id id);
struct call *calls_find(const struct calls *cs, const char *sid);

/* sdp.c: SDP bodies of SIP messages, and refusing them */
bool call_sdp_is(const struct sip_msg *msg);
enum rule_id call_sdp_rule(int err, const struct sdp_oa *oa);
void call_sdp_refuse(struct calls *cs, const struct sip_msg *msg,
		     struct sip_strans **stp, int err,
		     const struct sdp_oa *oa);
/* MEDIA-SRTP-1: a domain's secure_media (SDES SRTP over TLS only) */
bool call_srtp_secure(const struct domain_conf *dom);
int  call_srtp_leg(struct leg *l, const struct domain_conf *dom);
bool call_srtp_transport_ok(const struct domain_conf *dom,
			    enum sip_transp tp);
void call_srtp_refuse(struct calls *cs, const struct sip_msg *msg,
		      struct sip_strans **stp);

/* media.c: a leg's media stream (MEDIA-*) */
int  leg_media_alloc(struct leg *l, struct calls *cs);
int  leg_media_answer(struct leg *l, struct mbuf **mbp,
		      const struct sip_msg *msg);
int  leg_media_offer(struct leg *l, struct mbuf **mbp);
int  leg_media_accept(struct leg *l, const struct sip_msg *msg);
void leg_media_start(struct leg *l);
void leg_media_applied(struct leg *l);
void leg_media_end(struct leg *l, struct call_leg_media *snap);
void leg_media_figs(const struct leg *l, struct call_leg_media *m);
void call_media_decide(struct call *c, enum rule_id id, const char *detail);
void call_media_bridge(struct call *c);
uint32_t media_number_tone(const char *number);

/* call.c: the call and its state machine */
int  call_alloc(struct call **cp, struct calls *cs, const char *from,
		const char *to);
void call_decide(struct call *c, struct calls *cs, const struct sip_msg *msg,
		 enum rule_id id, uint16_t scode, const char *reason,
		 const char *detail);
void call_info_fill(const struct call *c, struct call_info *ci);
void call_notify(struct call *c);
void call_ringing(struct call *c);
void call_answer(struct call *c, enum rule_id id, const char *by,
		 const char *detail);
void call_fail(struct call *c, enum rule_id id, uint16_t scode,
	       const char *reason, const char *detail);
void call_cancelled(struct call *c);
void call_end(struct call *c, const char *by);
void call_hangup(struct call *c, const char *by);

/* app.c: the voice application's TwiML, verb by verb */
void app_start(void *arg);
void app_next(void *arg);
void app_stop(struct call *c);

/* dial.c: a <Dial>, its branches, the best answer (RFC 3261 16.7) */
void dial_start(struct call *c, const struct twiml_verb *v);
void dial_stop(struct call *c, const char *reason);
uint32_t dial_unanswered(const struct dial *d);
void dial_record(struct dial *d, uint16_t scode, bool sip);
void dial_ringing(struct dial *d, struct branch *b);
void dial_answered(struct dial *d, struct branch *b);
void dial_branch_final(struct dial *d, struct branch *b);
void dial_check(struct dial *d);

/* branch.c: one INVITE client transaction to a binding */
int  branch_alloc(struct branch **bp, struct calls *cs, enum br_kind kind,
		  const char *target);
int  branch_sip_start(struct dial *d, const char *contact,
		      const struct binding *bd, const char *aor);
void branch_cancel(struct branch *b, const char *reason);
void branch_linger(struct branch *b);
bool branch_response_handler(const struct sip_msg *msg, void *arg);

/* outside.c: a number of the outside network as a branch */
int  branch_pstn_start(struct dial *d, const char *number);

/* leg.c: an established dialog */
void leg_reset(struct leg *l);
int  leg_request(struct calls *cs, struct leg *l, const char *met,
		 const char *hdrs);
int  leg_ack(struct calls *cs, struct leg *l, uint32_t cseq);
void leg_ok_start(struct leg *l, struct mbuf *mb, const struct sip_msg *msg,
		  bool first);
bool leg_dialog_request(struct calls *cs, const struct sip_msg *msg);

/* inbound.c: a new INVITE from a registered phone */
void inbound_invite(struct calls *cs, const struct sip_msg *msg);

#endif
