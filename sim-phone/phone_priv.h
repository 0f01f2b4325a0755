/**
 * @file phone_priv.h  Internals shared by the sim-phone files (not a
 * contract: phone.h is).  Include <re.h>, vtimer.h, phone.h and
 * phone_digest.h first.
 */

#define PHONE_UA "sipconform-sim-phone/0.1"

/* a request in a call's dialog, sent with sip_requestf(): To, From,
 * Call-ID, CSeq number and method, the route lines, extra lines (a
 * Content-Type with a body), Content-Length and the body (%b) */
#define PHONE_DIALOG_REQ_FMT \
	"To: %s\r\n" \
	"From: %s\r\n" \
	"Call-ID: %s\r\n" \
	"CSeq: %u %s\r\n" \
	"%s" \
	"User-Agent: " PHONE_UA "\r\n" \
	"%s" \
	"Content-Length: %zu\r\n" \
	"\r\n" \
	"%b"

enum {
	PHONE_DEFAULT_EXPIRES = 600,
	PHONE_DEFAULT_RETRY   = 60,
	PHONE_MAX_CHALLENGES  = 3,     /* answered per operation */
	PHONE_HT_CALL_OWN     = 1,     /* calls table of an own stack  */
	PHONE_HT_CALL_SHARED  = 16,    /* and of a shared one          */
};

#define PHONE_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"

enum {
	PHONE_SEEN_N = 8,          /* recent messages remembered per
				      direction (retransmissions)         */
};

struct phone_media;

/** One call: its dialog and transactions (phone_call.c), its media
 * (phone_media.c) */
struct phone_call {
	struct le le;              /* in phone->calls while it exists     */
	struct le he;              /* in stack->callh while open          */
	struct phone *phone;       /* NULL once the phone is gone         */
	bool incoming;
	bool open;                 /* not closed: holds the phone's
				      reference, is in callh              */
	enum phone_call_state state;
	enum phone_call_end end;
	uint16_t scode;            /* final status of the INVITE          */

	/* the dialog */
	char *callid;
	char ltag[24];
	char *rtag;                /* NULL until known (outgoing)         */
	char *local_hdr;           /* our From/To value, with our tag     */
	char *remote_hdr;          /* theirs, with their tag once known   */
	char *remote_uri;
	char *target;              /* remote target (their Contact URI)   */
	char *routes;              /* "Route: ...\r\n" lines, or NULL     */
	char *nexthop_str;         /* where in-dialog requests go         */
	struct uri nexthop;
	uint32_t lseq;             /* next CSeq of our in-dialog requests */
	struct phone_media *media; /* its RTP and SDP (phone_media.c)     */

	/* incoming */
	struct sip_msg *invite;    /* the INVITE                          */
	struct sip_strans *st;     /* its transaction until a final reply */
	struct sip_msg *cancel;    /* the CANCEL as seen on the wire      */
	struct vtimer tmr_answer;  /* a delayed answer                    */
	struct sip_msg *req2xx;    /* request our pending 2xx answers     */
	struct mbuf *mb2xx;        /* that 2xx, resent until the ACK      */
	struct tmr tmr_2xx;        /* its retransmission                  */
	struct tmr tmr_2xx_end;    /* 64*T1: no ACK                       */
	uint32_t txc_2xx;
	bool hangup_pending;       /* BYE once the ACK comes              */

	/* outgoing */
	char *ruri;
	char *extra;               /* the INVITE's extra lines            */
	struct sip_request *req;   /* the INVITE pending                  */
	uint32_t cseq;             /* the INVITE's (latest)               */
	struct phone_digest dg;    /* challenge to this call              */
	unsigned challenges;
	bool cancel_asked;

	/* in the dialog */
	struct sip_request *bye;
	struct sip_request *refer;
	struct sip_request *reinv; /* our re-INVITE (hold, resume)        */
	uint32_t reinv_cseq;

	struct sip_msg *last;      /* last message received               */
	uint32_t seen[2][PHONE_SEEN_N];  /* hashes of messages sent [1] and
				      received [0]                        */
	unsigned seen_i[2];
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
	unsigned msgwatchc;        /* of those, wanting SENT messages     */
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
	bool sent_lean;            /* conf.sent_lean                      */

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
	struct le pace_le;         /* in the window's line (phone_pace.c) */

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

	/* media (phone_media.c) */
	struct phone_media_conf media;  /* strings owned                  */
	struct phone_media *last_media; /* of its latest call with media  */
};

/* phone.c */
void phone_emit(struct phone *phone, struct phone_event *ev);
void phone_set_state(struct phone *phone, enum phone_state st,
		     const struct sip_msg *msg, int err);
void phone_new_callid(struct phone *phone);

/* phone_reg.c */
int  phone_op_start(struct phone *phone, enum phone_op op,
		    const struct phone_req *req, bool wildcard);
int  phone_auth_line(char **linep, const struct phone *phone,
		     struct phone_digest *dg, const char *method,
		     const char *uri);
void phone_trace_sent(struct phone *phone, struct regtx *tx,
		      const struct sip_msg *msg);

/* phone_call.c: the call object and its dialog */
struct phone_call *phone_call_alloc(struct phone *phone, bool incoming);
int  phone_call_open(struct phone_call *call);
void phone_call_unlink(struct phone_call *call);
void phone_call_close(struct phone_call *call, enum phone_call_end end,
		      uint16_t scode, const struct sip_msg *msg, int err);
struct sip *phone_call_sip(const struct phone_call *call);
struct phone_call *phone_call_send_begin(struct phone_call *call);
void phone_call_send_end(struct phone_call *call, struct phone_call *prev);
void phone_call_set_last(struct phone_call *call, const struct sip_msg *msg);
int  phone_call_dialog_route(struct phone_call *call,
			     const struct sip_msg *msg);
int  phone_call_dialog_target(struct phone_call *call,
			      const struct sip_msg *msg);
int  phone_call_send_bye(struct phone_call *call, bool quiet);
void phone_call_emit(struct phone_call *call, enum phone_event_type type,
		     const struct sip_msg *msg, uint16_t scode, int err);
int  phone_call_request(struct phone_call *call, struct sip_request **reqp,
			const char *met, sip_resp_h *resph, const char *extra,
			const struct mbuf *body);
int  phone_call_conf(struct phone *phone);
void phone_calls_close(struct phone *phone);
int  phone_call_listen(struct phone_stack *ps);
void phone_call_trace(struct phone_stack *ps, bool tx, struct sip_msg *msg);
void phone_call_stack_close(struct phone_stack *ps);

/* phone_callout.c: outgoing calls */
int  phone_call_send_ack(struct phone_call *call, uint32_t cseq);
bool phone_call_response_handler(const struct sip_msg *msg, void *arg);

/* phone_media.c */
int  phone_media_conf_apply(struct phone *phone,
			    const struct phone_media_conf *conf);
void phone_media_conf_free(struct phone *phone);
int  phone_media_alloc(struct phone_media **pmp, struct phone *phone);
int  phone_media_sdp(struct phone_call *call, const struct sip_msg *req,
		     struct mbuf **sdpp, uint16_t *scodep, const char **whyp);
int  phone_media_accept(struct phone_call *call, const struct sip_msg *msg);
int  phone_media_answer_2xx(struct phone_call *call,
			    const struct sip_msg *msg, struct mbuf **sdpp);
int  phone_media_ack(struct phone_call *call, const struct sip_msg *ack,
		     bool first);
void phone_media_info(struct phone_call *call, const struct sip_msg *msg);
void phone_media_stop(struct phone_call *call);

/* phone_pace.c: the window on the phones' own REGISTERs */
void phone_pace_started(void);
void phone_pace_ended(void);
bool phone_pace_admit(struct phone *phone);
void phone_pace_forget(struct phone *phone);

/* phone_reg.c */
void phone_refresh_stop(struct phone *phone);
void phone_reg_refresh_now(struct phone *phone);

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
