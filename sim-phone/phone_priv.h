/**
 * @file phone_priv.h  Internals shared by the sim-phone files (not a
 * contract: phone.h is).  Include <re.h>, vtimer.h, phone.h and
 * phone_digest.h first.
 */

#define PHONE_UA "sipconform-sim-phone/0.1"

enum {
	PHONE_DEFAULT_EXPIRES = 600,
	PHONE_DEFAULT_RETRY   = 60,
	PHONE_MAX_CHALLENGES  = 3,     /* answered per operation */
	PHONE_HT_CALL_OWN     = 1,     /* calls table of an own stack  */
	PHONE_HT_CALL_SHARED  = 16,    /* and of a shared one          */
};

/** A list of strings (Contact values), one mem object */
struct phone_strv {
	size_t n;
	char *v[];
};

/** A SIP stack and socket: a phone's own, or shared by several */
struct phone_stack {
	struct sip *sip;
	struct tls *tls;           /* TLS: the shared client context      */
	struct hash *txh;          /* pending operations by Call-ID of
				      their latest request (regtx.he)     */
	struct regtx *sending;     /* operation inside sip_requestf()     */
	struct phone *owner;       /* own stack: its phone (no reference);
				      NULL: shared                        */
	struct hash *userh;        /* shared: its phones by Contact user
				      (phone.uhe), for incoming INVITEs   */
	struct hash *callh;        /* calls not closed, by Call-ID
				      (phone_call.he); made with the
				      first call                          */
	struct list ackl;          /* ACKs of 2xx kept for 2xx
				      retransmissions (phone_call.c)      */
	struct sip_lsnr *lsnr_req; /* in-dialog and INVITE requests       */
	struct sip_lsnr *lsnr_resp;/* 2xx retransmissions to re-ACK       */
	struct phone_call *sending_call; /* call inside a send of its own */
	unsigned callc;            /* calls in callh                      */
	struct sa laddr;           /* the transport's bound address       */
	enum sip_transp tp;
	unsigned phonec;           /* phones on it                        */
	unsigned watchc;           /* of them, with an event handler      */
	bool sockbuf_set;          /* UDP buffers raised (shared)         */
	bool shared;
};

/** One REGISTER operation: its first request and its retries */
struct regtx {
	struct le le;              /* in phone->txl                       */
	struct le he;              /* in phone->stack->txh                */
	struct phone *phone;       /* owner (no reference)                */
	struct sip_request *req;   /* the pending request, NULL when done */
	enum phone_op op;
	char *callid;              /* Call-ID of the operation            */
	bool fixed_callid;         /* given by phone_send(): no policy    */
	uint32_t cseq;             /* of the latest request               */
	bool set_cseq;             /* first request: use cseq as it is    */
	uint32_t expires;          /* asked                               */
	enum phone_exp_where where;
	struct phone_strv *contacts;  /* NULL: no Contact (fetch)         */
	char *extra;               /* this operation's extra lines        */
	char *method;              /* not REGISTER: phone_send()'s method */
	char *uri;                 /* its Request-URI; NULL: phone->ruri  */
	char *to_tag;
	char *body;
	bool no_auth;
	bool no_answer;
	unsigned attempt;          /* requests sent so far                */
	unsigned txc;              /* transmissions of the latest one     */
	unsigned challenges;       /* challenges answered                 */
	bool with_auth;            /* latest request carried credentials  */
	bool tried_423;
	char tag[20];              /* From tag of the latest request      */
	struct vtimer tmr_timeout; /* virtual Timer F (virtual_timeout)   */
};

struct phone {
	struct phone_stack *stack; /* reference: own or shared            */
	struct list txl;           /* pending operations (struct regtx)   */
	phone_event_h *eh;
	void *arg;

	char *name;
	char *user;
	char *domain;
	char *auth_user;
	char *password;
	char *ruri;                /* sip:DOMAIN                          */
	char *route_str;           /* sip:IP:PORT;transport=..            */
	struct uri route;          /* decoded route_str: the next hop     */
	char *extra;               /* CRLF-terminated lines, or NULL      */
	struct phone_strv *contacts;
	struct sa laddr;
	enum sip_transp tp;

	uint32_t expires;
	enum phone_exp_where exp_where;
	enum phone_callid_policy callid_pol;
	enum phone_cseq_policy cseq_pol;
	enum phone_auth_policy auth_pol;
	enum phone_refresh_policy refresh_pol;
	bool auth_fresh;
	double refresh_frac;
	uint32_t retry_wait;
	bool virtual_timeout;

	char callid[40];
	char tag[20];
	uint32_t cseq;             /* last CSeq sent                      */
	bool cseq_used;            /* cseq holds a sent one               */
	struct phone_digest dg;    /* last challenge                      */

	enum phone_state state;
	uint32_t granted;          /* s, of the last successful register  */
	struct msgkeep *last_resp; /* last final response, as bytes       */
	struct sip_msg *last_dec;  /* its decode, once asked for          */
	struct vtimer tmr_refresh; /* refresh, or retry after a failure   */
	struct vtimer tmr_expiry;  /* the granted expiry runs out         */
	bool unreg_queued;         /* unregister once nothing is pending  */
	bool unreg_wildcard;
	bool refresh_queued;       /* refresh once nothing is pending     */

	/* calls (phone_call.c) */
	struct le uhe;             /* in stack->userh                     */
	struct list calls;         /* every call object alive: open ones
				      hold the phone's reference          */
	char *call_user;           /* Contact user: INVITEs for it        */
	char *call_contact;        /* Contact of calls, "<sip:...>" (often
				      a reference to contacts->v[0])      */
	enum phone_answer_policy answer_pol;
	uint32_t answer_delay;
	uint16_t reject_code;
	bool dying;                /* in its destructor: no events        */
};

/* phone.c */
void phone_emit(struct phone *phone, struct phone_event *ev);
void phone_set_state(struct phone *phone, enum phone_state st,
		     const struct sip_msg *msg, int err);
void phone_new_callid(struct phone *phone);

/* phone_reg.c */
int  phone_op_start(struct phone *phone, enum phone_op op,
		    const struct phone_req *req, bool wildcard);
void phone_trace_sent(struct phone *phone, struct regtx *tx,
		      const struct sip_msg *msg);

/* phone_call.c */
int  phone_call_conf(struct phone *phone);
void phone_calls_close(struct phone *phone);
int  phone_call_listen(struct phone_stack *ps);
void phone_call_trace(struct phone_stack *ps, bool tx, struct sip_msg *msg);
void phone_call_stack_close(struct phone_stack *ps);

/* phone_stack.c */
int  phone_stack_new(struct phone_stack **psp, enum sip_transp tp,
		     const struct sa *laddr, bool shared);
void phone_stack_tx_index(struct phone_stack *ps, struct regtx *tx);
void phone_stack_received(struct phone_stack *ps, const struct sip_msg *msg);
struct phone *phone_stack_user(const struct phone_stack *ps,
			       const struct pl *user);
const char *phone_tp_name(enum sip_transp tp);

/* phone_contact.c */
int  phone_strv_alloc(struct phone_strv **svp, const char * const *v,
		      size_t n, const struct sa *laddr);
int  phone_contact_default(struct phone_strv **svp, const char *user,
			   const struct sa *laddr, enum sip_transp tp);
bool phone_contact_ours(const struct phone_strv *ours,
			const struct sip_addr *addr);
int  phone_granted_find(uint32_t *grantedp, const struct sip_msg *msg,
			const struct phone_strv *ours, uint32_t asked);
int  phone_lines_norm(char **linesp, const char *text);

/* phone_sys.c */
int  phone_tls_get(struct tls **tlsp);
void phone_tls_put(struct tls *tls);
