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
 * Everything the phone does is reported to its owner through one event
 * handler: each request sent (retransmissions too), each response, each
 * transaction error, each registration state change, the end of each
 * operation with its outcome.  The handler may call
 * any phone function but must not destroy the phone it is called for:
 * defer that (e.g. a libre tmr with delay 0).
 *
 * Include <re.h> first.  Single thread: the one running re_main().
 */

#ifndef SIPCONFORM_PHONE_H
#define SIPCONFORM_PHONE_H

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
};

/** What a request belongs to */
enum phone_op {
	PHONE_OP_REGISTER = 0,    /**< phone_register()                    */
	PHONE_OP_REFRESH,         /**< refresh timer, or retry after failure*/
	PHONE_OP_UNREGISTER,      /**< phone_unregister()                  */
	PHONE_OP_FETCH,           /**< phone_fetch()                       */
	PHONE_OP_CUSTOM,          /**< phone_send()                        */
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
	PHONE_EV_SENT = 0,        /**< a request left the socket           */
	PHONE_EV_RESPONSE,        /**< a response to one of our requests,
				       provisional ones too               */
	PHONE_EV_ERROR,           /**< a request ended without a final
				       response (timeout, transport)       */
	PHONE_EV_STATE,           /**< the registration state changed      */
	PHONE_EV_DONE,            /**< an operation ended (after its STATE
				       event, if any): msg is its final
				       response or NULL with err           */
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
	uint16_t scode;             /**< RESPONSE, STATE, DONE: status     */
	struct pl reason;           /**< RESPONSE: reason phrase           */
	bool retrans;               /**< SENT: a UDP retransmission        */
	int err;                    /**< ERROR, STATE, DONE: cause
				         (ETIMEDOUT, ECONNREFUSED, EACCES
				         when a challenge was not answered,
				         ENOENT when a 2xx did not keep our
				         contact, ...); 0 on success        */
	enum phone_state state;     /**< the phone's state now             */
	enum phone_state prev;      /**< STATE: the state before           */
	uint32_t granted;           /**< STATE, DONE: granted expiry in s  */
};

/** Overrides for one REGISTER; zero means "as configured" */
struct phone_req {
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
 *                    leaves it alone
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

#endif
