/**
 * @file phone.h  Simulated SIP phone: registration with every header under
 * its own control, so it can behave well or misbehave on purpose.
 *
 * Each phone has its own libre SIP stack and socket (its own source port)
 * unless it is put on a shared one (struct phone_stack): then several
 * phones send from one socket, each keeping its own identity (Contact
 * user part, Call-ID, From tag, CSeq, nonce state, timers, events).
 * REGISTER requests are built here (not by libre's sipreg): Request-URI
 * `sip:DOMAIN`, To = From = `sip:USER@DOMAIN`, the Call-ID and CSeq the
 * policies say; 401/407 challenges are answered with MD5 digest (qop=auth,
 * cnonce, nc counted per nonce, opaque echoed).  Refreshes and retries run
 * on vtimers (virtual time): after vclock_advance() + vtimer_poll() a due
 * refresh goes out on the next loop turn.
 *
 * Phones also take calls sent to their Contact and place calls through
 * the registrar (phone_call_*, below).
 *
 * Everything the phone does is reported to its owner through one event
 * handler: each request sent (retransmissions too), each response, each
 * transaction error, each registration state change, the end of each
 * operation with its outcome, and each message and step of its calls.
 * The handler may call any phone function but must not destroy the phone
 * it is called for: defer that (e.g. a libre tmr with delay 0).
 *
 * Include <re.h> first.  Single thread: the one running re_main().
 */

#ifndef SIPCONFORM_PHONE_H
#define SIPCONFORM_PHONE_H

#include "stats.h"
#include "stream.h"

/** Where the asked expiry goes */
enum phone_exp_where {
	PHONE_EXP_HEADER = 0,     /**< Expires: N (default)                */
	PHONE_EXP_PARAM,          /**< ;expires=N on each Contact          */
	PHONE_EXP_BOTH,           /**< both                                */
	PHONE_EXP_NONE,           /**< neither: the registrar chooses      */
};

/** Call-ID of successive requests */
enum phone_callid_policy {
	PHONE_CALLID_KEEP = 0,    /**< one Call-ID for life (default)      */
	PHONE_CALLID_PER_REG,     /**< new per registration or refresh;
				       its auth retry keeps it            */
	PHONE_CALLID_PER_REQ,     /**< new for every request, auth retries
				       included                          */
};

/** CSeq of successive requests (auth retries included) */
enum phone_cseq_policy {
	PHONE_CSEQ_INCR = 0,      /**< +1 each request (default)           */
	PHONE_CSEQ_REPEAT,        /**< the same number every time          */
	PHONE_CSEQ_DECR,          /**< -1 each request                     */
};

/** What the phone does with a 401/407 challenge */
enum phone_auth_policy {
	PHONE_AUTH_ANSWER = 0,    /**< answer right (default)              */
	PHONE_AUTH_WRONG,         /**< answer with a wrong password        */
	PHONE_AUTH_IGNORE,        /**< never answer: the challenge is final*/
};

/** The header that carries the credentials */
enum phone_auth_header {
	PHONE_AUTHHDR_AS_CHALLENGED = 0, /**< Proxy-Authorization for 407,
					      Authorization for 401 (default)*/
	PHONE_AUTHHDR_AUTHORIZATION,     /**< always Authorization        */
	PHONE_AUTHHDR_PROXY,             /**< always Proxy-Authorization  */
};

/** When the phone refreshes a granted registration */
enum phone_refresh_policy {
	PHONE_REFRESH_AUTO = 0,   /**< at refresh_frac of the granted
				       expiry, but no later than expiry - 32 s
				       (half when expiry <= 64 s), like
				       phone-rules P-REG-REFRESH; failed
				       registrations are retried (default)*/
	PHONE_REFRESH_EXACT,      /**< at exactly refresh_frac (> 1 lets
				       the binding lapse); retries too     */
	PHONE_REFRESH_NONE,       /**< never refresh nor retry             */
};

/** What a phone does with an incoming INVITE, after its 100 Trying */
enum phone_answer_policy {
	PHONE_ANSWER_MANUAL = 0,  /**< report it (PHONE_EV_CALL_INCOMING)
				       and wait for the owner's
				       phone_call_ring/answer/reject()
				       (default)                          */
	PHONE_ANSWER_AUTO,        /**< 180 at once, then 200 with an SDP
				       answer after answer_delay ms        */
	PHONE_ANSWER_REJECT,      /**< reject_code at once                 */
	PHONE_ANSWER_IGNORE,      /**< nothing beyond the 100: it rings
				       until CANCELled (the owner may still
				       act, as with MANUAL)               */
};

/** Where a call stands */
enum phone_call_state {
	PHONE_CALL_INCOMING = 0,  /**< INVITE received, 100 sent           */
	PHONE_CALL_RINGING,       /**< incoming, 180 sent                  */
	PHONE_CALL_ANSWERED,      /**< incoming, 2xx sent, no ACK yet      */
	PHONE_CALL_OUTGOING,      /**< our INVITE sent, no 1xx > 100 yet   */
	PHONE_CALL_EARLY,         /**< outgoing, 180/183 received          */
	PHONE_CALL_CANCELLING,    /**< outgoing, CANCEL asked for          */
	PHONE_CALL_ESTABLISHED,   /**< ACK received / 2xx received         */
	PHONE_CALL_CLOSING,       /**< our BYE sent, no final response yet */
	PHONE_CALL_CLOSED,
};

/** Why a call ended (CALL_CLOSED's ev.end) */
enum phone_call_end {
	PHONE_END_NONE = 0,       /**< not ended                           */
	PHONE_END_REJECTED,       /**< incoming: we sent a final 3xx-6xx
				       (scode)                            */
	PHONE_END_CANCELLED,      /**< incoming: CANCEL received, 487 sent;
				       outgoing: we CANCELled (scode: the
				       487, or the 2xx we then ACKed and
				       BYEd)                              */
	PHONE_END_FAILED,         /**< outgoing: a final 3xx-6xx (scode;
				       err EACCES: a challenge that was not
				       answered, or answered and refused),
				       or none (err)                      */
	PHONE_END_HANGUP,         /**< we sent BYE: scode its final
				       response, or err                   */
	PHONE_END_REMOTE_BYE,     /**< BYE received, 200 sent              */
	PHONE_END_NO_ACK,         /**< our 2xx got no ACK in 64*T1 (err
				       ETIMEDOUT); a BYE went out          */
	PHONE_END_ERROR,          /**< a message could not be sent (err)   */
};

/** How a phone sends DTMF (phone_call_press(), media.dtmf_answer) */
enum phone_dtmf_mode {
	PHONE_DTMF_RFC4733 = 0,   /**< telephone-event packets (default)   */
	PHONE_DTMF_INBAND,        /**< tones in the audio: misbehaves when
				       telephone-event was negotiated     */
	PHONE_DTMF_INFO,          /**< SIP INFO (application/dtmf-relay):
				       misbehaves, no RTP event at all     */
};

/**
 * A phone's media (phone_media.c): every call has an RTP stream of its
 * own on the phone's IP, an SDP offer/answer (media/sdp_oa), the phone's
 * tone, and the receive figures of media/stats.  The misbehaviours are
 * off by default; zero means default for every field.
 */
struct phone_media_conf {
	uint32_t tone_hz;         /**< the tone it sends, a row of
				       media_tonev[]; 0: one of them chosen
				       from the phone's name              */
	bool no_rtp;              /**< never sends RTP (one-way audio)     */
	bool nat;                 /**< sends RTP from another port than
				       its SDP names (behind NAT)          */
	const char *nat_addr;     /**< with nat: the c= address its SDP
				       names (a private one, e.g.
				       192.168.1.100); NULL: its own IP.
				       The peer sends there until it
				       latches: run such calls in a network
				       namespace                          */
	bool no_codec;            /**< offers G.729 only and refuses offers
				       (488): no common codec             */
	int  wrong_pt;            /**< 1-127: sends its audio with this
				       payload type; 0: the negotiated one */
	bool send_on_hold;        /**< keeps sending RTP while on hold     */
	bool no_rtcp;             /**< sends no RTCP                       */
	enum phone_dtmf_mode dtmf;
	const char *dtmf_answer;  /**< digits it presses by itself in each
				       call (a DTMF prompt answered),
				       dtmf_delay ms after its media
				       started; NULL: none                */
	uint32_t dtmf_delay;      /**< 0: 2000 (the prompt has played)     */
	uint32_t capture_ms;      /**< received audio kept for reports     */
	bool delayed_offer;       /**< its INVITEs carry no SDP: the 2xx
				       offers, its ACK answers (MEDIA-SDP-3) */
	bool ack_no_answer;       /**< delayed_offer (implied) with an ACK
				       that carries no answer (misbehaves:
				       the other side must BYE)           */
	bool off;                 /**< no media at all: SDP as before
				       (PCMU on a made-up port), no RTP   */
	bool srtp;                /**< SDES SRTP: offers and accepts only
				       RTP/SAVP with a=crypto, protects its
				       RTP and RTCP (MEDIA-SRTP-1)        */
};

struct phone_stack;

/** Phone configuration; zero means default for every field */
struct phone_conf {
	const char *name;         /**< for events and logs; default user   */
	const char *user;         /**< AOR user part (required)            */
	const char *domain;       /**< AOR host, Request-URI (required)    */
	const char *auth_user;    /**< digest username; NULL: user         */
	const char *password;     /**< NULL: never answer a challenge      */
	struct sa registrar;      /**< next hop: IP literal and port       */
	enum sip_transp tp;       /**< SIP_TRANSP_UDP (default), TCP, TLS  */
	struct sa laddr;          /**< bind; unset: 127.0.0.1 port 0.
				       With a stack: unset, or the stack's
				       (EINVAL otherwise)                  */
	struct phone_stack *stack;/**< shared SIP stack and socket (the
				       phone holds a reference); tp must be
				       the stack's (else EPROTONOSUPPORT).
				       NULL: the phone makes its own        */
	uint32_t expires;         /**< asked expiry in s; 0: 600           */
	enum phone_exp_where exp_where;
	const char * const *contactv; /**< Contact values; "{local}" is
				       replaced by our IP:PORT; "*" allowed.
				       NULL: <sip:USER@IP:PORT;transport=..>*/
	size_t contactc;
	enum phone_callid_policy callid;
	enum phone_cseq_policy cseq;
	uint32_t cseq_start;      /**< first CSeq; 0: 1 (100 with DECR)    */
	enum phone_auth_policy auth;
	bool auth_fresh;          /**< don't reuse the last nonce: every new
				       registration first goes without
				       credentials (default: reuse, nc+1)  */
	bool auth_replay;         /**< reuse the nonce with the SAME nc (a
				       replay, RFC 2617 3.2.2): misbehaves */
	enum phone_auth_header auth_header; /**< which header carries the
				       credentials                        */
	const char *extra;        /**< extra header lines ("\n" or "\r\n"
				       separated) added to every request   */
	enum phone_refresh_policy refresh;
	double refresh_frac;      /**< 0: 0.5                              */
	uint32_t retry_wait;      /**< s before retrying a failed
				       registration; 0: 60.  A longer
				       Retry-After wins                    */
	enum phone_answer_policy answer; /**< incoming INVITEs             */
	uint32_t answer_delay;    /**< PHONE_ANSWER_AUTO: virtual ms from
				       the 180 to the 200 (0: at once)     */
	uint16_t reject_code;     /**< PHONE_ANSWER_REJECT: 300-699 (else
				       EINVAL); 0: 486                     */
	bool virtual_timeout;     /**< a REGISTER's transaction timeout
				       (64*T1) also runs on virtual time:
				       vclock_advance() past it ends the
				       operation with ETIMEDOUT (libre's
				       own Timer F stays on the wall clock;
				       the request goes on quietly).  For
				       links whose delays run on virtual
				       time (harness link faults)          */
	struct phone_media_conf media; /**< its calls' media             */
	bool sent_lean;           /**< SENT events of registrations sent at
				       once (UDP) come without msg: the
				       stack need not decode what it sent
				       (thousands of phones).  TLS phones
				       always get msg                      */
};

/** What a request belongs to */
enum phone_op {
	PHONE_OP_REGISTER = 0,    /**< phone_register()                    */
	PHONE_OP_REFRESH,         /**< refresh timer, or retry after failure*/
	PHONE_OP_UNREGISTER,      /**< phone_unregister()                  */
	PHONE_OP_FETCH,           /**< phone_fetch()                       */
	PHONE_OP_CUSTOM,          /**< phone_send()                        */
	PHONE_OP_CALL,            /**< a message of a call (ev.call; NULL
				       when the phone has no call it
				       belongs to, e.g. a stray request)  */
};

/** Registration state, as far as the phone knows */
enum phone_state {
	PHONE_ST_IDLE = 0,        /**< not registered, nothing pending     */
	PHONE_ST_REGISTERING,     /**< first registration pending          */
	PHONE_ST_REGISTERED,      /**< a 2xx granted our contact; stays
				       during refreshes, and after a failed
				       one while the binding is still valid
				       (the DONE event tells)              */
	PHONE_ST_UNREGISTERING,
	PHONE_ST_FAILED,          /**< the last (un)registration failed    */
	PHONE_ST_EXPIRED,         /**< the granted expiry ran out          */
};

enum phone_event_type {
	PHONE_EV_SENT = 0,        /**< a request left the socket (calls: a
				       response too)                      */
	PHONE_EV_RESPONSE,        /**< a response to one of our requests,
				       provisional ones too               */
	PHONE_EV_ERROR,           /**< a request ended without a final
				       response (timeout, transport)       */
	PHONE_EV_STATE,           /**< the registration state changed      */
	PHONE_EV_DONE,            /**< an operation ended (after its STATE
				       event, if any): msg is its final
				       response or NULL with err           */

	/* calls: op is PHONE_OP_CALL, call the call (see phone_call_*) */
	PHONE_EV_RECEIVED,        /**< a message of a call arrived (before
				       it is handled): every request and
				       response, retransmissions too; call
				       NULL for a request that starts none
				       yet (the INVITE: CALL_INCOMING
				       follows) or matches none           */
	PHONE_EV_CALL_INCOMING,   /**< an INVITE (msg) made a new call; the
				       100 Trying went out                 */
	PHONE_EV_CALL_RESPONSE,   /**< a response to our INVITE (msg),
				       provisional ones too, 401/407 too  */
	PHONE_EV_CALL_ESTABLISHED,/**< incoming: the ACK of our 2xx (msg);
				       outgoing: the 2xx (msg), ACKed      */
	PHONE_EV_CALL_CANCELLED,  /**< incoming: CANCEL received (msg, with
				       its Reason header); 200 and 487 went
				       out; CALL_CLOSED follows           */
	PHONE_EV_CALL_BYE,        /**< BYE received (msg), 200 sent;
				       CALL_CLOSED follows                */
	PHONE_EV_CALL_REFER_DONE, /**< the final response (msg, scode) to
				       our REFER, or err; the call goes on */
	PHONE_EV_CALL_CLOSED,     /**< the call ended: end says why; scode
				       and msg the status and message that
				       ended it (or err).  The phone lets
				       go of the call when the handler
				       returns                            */
	PHONE_EV_CALL_REINVITE_DONE, /**< the final response (msg, scode)
				       to our re-INVITE (hold, resume; a
				       2xx was ACKed), or err             */
};

/** One event; pointers are valid during the handler call only */
struct phone_event {
	enum phone_event_type type;
	enum phone_op op;           /**< operation the request belongs to  */
	unsigned attempt;           /**< request of the operation: 1 first,
				         2 its auth (or 423) retry, ...     */
	const struct sip_msg *msg;  /**< SENT: the request as sent (src,
				         dst: our address, the next hop);
				         RESPONSE: the response; STATE, DONE:
				         the final response (or NULL)       */
	uint16_t scode;             /**< RESPONSE, STATE, DONE: status;
				         calls: of a response sent or
				         received, CALL_CLOSED: the status
				         that ended the call                */
	struct pl reason;           /**< RESPONSE (calls: any response):
				         reason phrase                      */
	bool retrans;               /**< SENT: a UDP retransmission (calls,
				         RECEIVED too: the same packet again,
				         any transport)                     */
	int err;                    /**< ERROR, STATE, DONE: cause
				         (ETIMEDOUT, ECONNREFUSED, EACCES
				         when a challenge was not answered,
				         ENOENT when a 2xx did not keep our
				         contact, ...); 0 on success        */
	enum phone_state state;     /**< the phone's state now             */
	enum phone_state prev;      /**< STATE: the state before           */
	uint32_t granted;           /**< STATE, DONE: granted expiry in s  */
	struct phone_call *call;    /**< op PHONE_OP_CALL: its call, valid
				         during the handler call (mem_ref()
				         it to keep it)                     */
	enum phone_call_end end;    /**< CALL_CLOSED: why                  */
};

/** Overrides for one REGISTER, or one request of another method;
 *  zero means "as configured" */
struct phone_req {
	const char *method;         /**< NULL: REGISTER.  Another method is
				         sent outside any dialog: a Call-ID
				         of its own, CSeq 1 (or cseq), the
				         contacts without expiry, no Expires;
				         the registration is left alone     */
	const char *uri;            /**< Request-URI (and To, but for a
				         REGISTER); NULL: sip:DOMAIN        */
	const char *to_tag;         /**< a tag on To (names a dialog)      */
	const char *body;           /**< body (Content-Type in extra)      */
	const char *callid;         /**< Call-ID for it and its retries    */
	bool set_cseq;
	uint32_t cseq;              /**< its CSeq; retries follow policy   */
	bool set_expires;
	uint32_t expires;           /**< asked expiry (0 removes)          */
	bool set_where;
	enum phone_exp_where where;
	const char * const *contactv; /**< Contact values, as in the conf  */
	size_t contactc;
	bool no_contact;            /**< no Contact at all (a fetch)       */
	const char *extra;          /**< more header lines for it          */
	bool no_auth;               /**< no credentials at all: neither the
				         last nonce reused nor a challenge
				         answered                          */
	bool no_answer;             /**< credentials if it has a nonce, but
				         a challenge to it is final         */
	bool overlap;               /**< send even while another REGISTER of
				         this phone is pending              */
};

struct phone;
struct phone_call;

typedef void (phone_event_h)(struct phone *phone,
			     const struct phone_event *ev, void *arg);

/*
 * Process set-up for many phones: raises RLIMIT_NOFILE and sizes libre's
 * descriptor table.  Call after libre_init() and before any socket is
 * opened.  max_sockets counts the phones with their own stack plus the
 * shared stacks (phones on a shared stack open no socket of their own).
 * EMFILE: the hard limit is too low for max_sockets (1 fd per UDP socket,
 * 2 per TCP/TLS one: listening socket + connection).
 */
int  phone_global_init(unsigned max_sockets);

/*
 * The window on the REGISTERs phones send of their own accord (refreshes,
 * retries after a failure): at most `window` REGISTER operations of the
 * process in flight (those the program starts count, but are never held);
 * a refresh due while the window is full waits in line, first due first
 * sent.  A process running thousands of phones on one loop would
 * otherwise send a refresh storm slower than Timer E and retransmit
 * what the registrar had no CPU to read yet.  0 (the default): no
 * window.  phone_pace_held(): refreshes that had to wait, so far;
 * phone_pace_inflight(): REGISTER operations of the process pending now.
 */
void     phone_pace_set(unsigned window);
unsigned phone_pace_window(void);
unsigned phone_pace_inflight(void);
uint64_t phone_pace_held(void);

/*
 * A SIP stack and socket several phones can share (phone_conf.stack):
 * the way past RLIMIT_NOFILE when a process runs more phones than it may
 * open files.  Its phones send from one IP:port (and over TCP/TLS share
 * one connection per registrar); each keeps its own Contact
 * (<sip:USER@IP:PORT;...>, "{local}" = the stack's IP:PORT), Call-ID,
 * From tag, CSeq, digest state, refresh timers and events, and sees only
 * its own requests and responses.  Requests sent to the stack (not to a
 * phone) get the stack's 501, as a phone's own stack does.
 *
 * A mem object: each phone on it holds a reference, so it lives while any
 * phone uses it and the owner may mem_deref() it as soon as the phones
 * are made.  Destroying one phone leaves the others working.
 *
 * tp:    SIP_TRANSP_UDP, TCP or TLS (the shared client TLS context)
 * laddr: bind address; NULL or no IP: 127.0.0.1, port 0 (any)
 */
int  phone_stack_alloc(struct phone_stack **psp, enum sip_transp tp,
		       const struct sa *laddr);
const struct sa *phone_stack_laddr(const struct phone_stack *ps);
unsigned phone_stack_phones(const struct phone_stack *ps); /* on it now */

/*
 * A phone with its own SIP stack and socket, or on conf->stack.  Nothing
 * is sent until an operation is called; mem_deref() destroys it without
 * unregistering.
 */
int  phone_alloc(struct phone **phonep, const struct phone_conf *conf,
		 phone_event_h *eh, void *arg);

/*
 * Operations: each is one REGISTER transaction plus its challenge (and
 * 423) retries, ending with one DONE event.  One at a time: EBUSY while
 * another is pending (phone_unregister() queues instead, and stops the
 * refreshes).  0 means the first request went out.
 *
 * phone_register()   configured contacts and expiry (also a manual refresh)
 * phone_unregister() our contacts with expiry 0, or `Contact: *` with
 *                    `Expires: 0` when wildcard
 * phone_fetch()      no Contact: the 2xx lists the bindings
 * phone_send()       one REGISTER with overrides (struct phone_req); its
 *                    2xx updates the state like the others, its failure
 *                    leaves it alone; or one request of req->method,
 *                    which leaves the registration alone
 */
int  phone_register(struct phone *phone);
int  phone_unregister(struct phone *phone, bool wildcard);
int  phone_fetch(struct phone *phone);
int  phone_send(struct phone *phone, const struct phone_req *req);

/* Getters */
const char *phone_name(const struct phone *phone);
enum phone_state phone_state(const struct phone *phone);
bool phone_isregistered(const struct phone *phone);
bool phone_busy(const struct phone *phone);          /* REGISTER pending */
uint32_t phone_granted(const struct phone *phone);   /* s, last 2xx      */
uint64_t phone_refresh_left(const struct phone *phone); /* virtual ms to
						    the next refresh or
						    retry; 0: none        */
const struct sa *phone_laddr(const struct phone *phone); /* its socket's,
						    shared on a stack   */
const char *phone_contact(const struct phone *phone); /* first Contact   */
const char *phone_callid(const struct phone *phone);  /* current Call-ID */
uint32_t phone_cseq(const struct phone *phone);       /* last CSeq sent  */
const struct sip_msg *phone_last_response(const struct phone *phone);

const char *phone_state_name(enum phone_state st);
const char *phone_op_name(enum phone_op op);
const char *phone_event_name(enum phone_event_type type);

/*
 * Calls.  Each phone answers INVITEs sent to its Contact (a shared stack
 * gives each INVITE to the phone whose Contact user is the Request-URI
 * user, 404 when none is) and can place calls through the registrar.  One
 * struct phone_call per dialog, a mem object the phone keeps while the
 * call lives: pointers handed out (phone_call_start(), ev.call) stay
 * valid until the CALL_CLOSED event's handler returns; mem_ref() one to
 * read it later (its phone and messages read NULL once the phone is
 * destroyed).  Everything a call sends is a SENT event (requests and
 * responses, op PHONE_OP_CALL), everything it receives a RECEIVED event.
 * SDP and RTP: media/sdp_oa's offer or answer, and an RTP stream of the
 * call's own on the phone's IP (see Media below, conf.media).  In a
 * dialog INFO gets 200 too (DTMF).  Only UDP/TCP/TLS to IP literals: an
 * in-dialog
 * next hop that names a host goes to conf.registrar instead.  In a
 * dialog a phone answers BYE (200), re-INVITE (200 with SDP), OPTIONS
 * (200) and anything else with 405 + Allow; outside one OPTIONS gets
 * 200, other methods the stack's 501.
 *
 * Destroying a phone mid-call emits no event; it sends BYE for calls
 * answered (2xx sent or received), libre CANCELs an outgoing INVITE still
 * pending, and an incoming INVITE not answered yet gets nothing more.
 */

/*
 * Place a call: INVITE with an SDP offer to to_uri (Request-URI and To,
 * e.g. "sip:+14155551234@example.sip.us1.twilio.com"), From the AOR,
 * sent to conf.registrar (the Request-URI keeps its host).  401/407 are
 * answered with the phone's credentials (once per call, again only on
 * stale=true), as its auth policy says.  extra: header lines added to
 * the INVITE ("\n" or "\r\n" separated; the conf's extra lines go too).
 *
 * cp: the call (not a reference), or NULL.  0: the INVITE went out.
 */
int  phone_call_start(struct phone_call **cp, struct phone *phone,
		      const char *to_uri, const char *extra_headers);

/*
 * Acting on a call; EPROTO when its state does not allow it, ENOTCONN
 * when its phone is gone.
 *
 * ring    incoming, not answered: 180 Ringing (again when called again)
 * answer  incoming, not answered: 200 with SDP after delay_ms virtual ms
 *         (0: now), retransmitted until the ACK
 * reject  incoming, not answered: final code (300-699, else EINVAL)
 * cancel  outgoing, not answered: CANCEL (sent once a 1xx came, RFC 3261
 *         9.1); a 2xx that still comes is ACKed and BYEd
 * hangup  established: BYE; answered but not ACKed: BYE once the ACK
 *         comes; outgoing not answered: cancel; incoming not answered:
 *         reject 603
 * refer   established: in-dialog REFER (Refer-To: <refer_to>), one at a
 *         time (EBUSY); CALL_REFER_DONE reports the response and the
 *         call goes on whatever it is
 */
int  phone_call_ring(struct phone_call *call);
int  phone_call_answer(struct phone_call *call, uint32_t delay_ms);
int  phone_call_reject(struct phone_call *call, uint16_t code);
int  phone_call_cancel(struct phone_call *call);
int  phone_call_hangup(struct phone_call *call);
int  phone_call_refer(struct phone_call *call, const char *refer_to);

/* Getters */
struct phone *phone_call_phone(const struct phone_call *call);
enum phone_call_state phone_call_state(const struct phone_call *call);
enum phone_call_end phone_call_end(const struct phone_call *call);
bool phone_call_incoming(const struct phone_call *call);
uint16_t phone_call_scode(const struct phone_call *call); /* the final
						    status of its INVITE
						    (sent or received),
						    0 before one          */
const struct sip_msg *phone_call_msg(const struct phone_call *call); /*
						    the last one received */
const char *phone_call_remote_uri(const struct phone_call *call); /* the
						    caller's From URI, or
						    the URI we called     */
const char *phone_call_callid(const struct phone_call *call);
unsigned phone_call_count(const struct phone *phone);  /* calls not
						    closed                */
struct phone_call *phone_call_latest(const struct phone *phone); /* the
						    newest not closed, or
						    NULL                  */
const char *phone_call_state_name(enum phone_call_state st);
const char *phone_call_end_name(enum phone_call_end end);

/*
 * Media of a call (phone_media.c, conf.media).  Its RTP starts at the
 * ACK (incoming) or the 2xx (outgoing), on the virtual clock, and stops
 * when the call closes; the figures stay readable (phone_media_last()).
 *
 * press   established: digits (0-9 * # A-D, at most 32) the phone's way
 *         (conf.media.dtmf): RFC 4733 events, in-band tones or one SIP
 *         INFO per digit
 * hold    established: re-INVITE with a=sendonly; the phone then sends
 *         nothing (unless send_on_hold) and expects nothing
 * resume  re-INVITE with a=sendrecv; the one-way clock starts again
 * One re-INVITE at a time (EBUSY); CALL_REINVITE_DONE reports its final
 * response.  EPROTO when the call is not established, ENOTSUP when it
 * has no media.
 */
int  phone_call_press(struct phone_call *call, const char *digits);
int  phone_call_hold(struct phone_call *call);
int  phone_call_resume(struct phone_call *call);

/** What a call's media carried, per direction (a snapshot) */
struct phone_media_figs {
	bool     media;          /**< the call has media (not conf off)    */
	bool     started;        /**< its RTP started (ACK / 2xx)          */
	bool     hold;           /**< on hold, ours or the peer's          */
	int      pt;             /**< negotiated: 0 PCMU, 8 PCMA; -1 none  */
	uint32_t tone_hz;        /**< the tone the phone sends             */
	bool     srtp;           /**< its RTP is SRTP (SDES keys agreed)   */
	struct media_rx_figs rx; /**< what it received (rx.one_way: nothing
				      within 2 s of start or resume)      */
	struct media_tx_figs tx; /**< what it sent                         */
	char info_rx[MEDIA_DIGITS_MAX + 1]; /**< digits by SIP INFO, in    */
	char info_tx[MEDIA_DIGITS_MAX + 1]; /**< and out                   */
};

/* ENOENT: no media (not yet, or conf.media.off) */
int  phone_call_media(const struct phone_call *call,
		      struct phone_media_figs *f);
/* the call's received audio (conf.media.capture_ms of it), 8 kHz mono;
 * NULL: none */
const int16_t *phone_call_capture(const struct phone_call *call,
				  size_t *sampc);
/* the phone's latest call with media, open or closed */
int  phone_media_last(const struct phone *phone, struct phone_media_figs *f);
/* {"pt":..,"tone_hz":..,"hold":..,"one_way":..,"rx":{..},"tx":{..}} */
int  phone_media_figs_json(struct re_printf *pf,
			   const struct phone_media_figs *f);

#endif
