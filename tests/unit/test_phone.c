/**
 * @file test_phone.c  Simulated phones against a small UAS on 127.0.0.1:
 * REGISTER shape, digest, policies, refresh on virtual time, unregister
 */

#include <check.h>
#include "fixture.h"
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "phone.h"


#define DOMAIN   FIXTURE_DOMAIN
#define REALM    "sip.twilio.com"
#define PASSWORD FIXTURE_PASSWORD
#define OPAQUE   "0p4que-7"
#define UA       "sipconform-sim-phone/0.1"

enum { MAXREQ = 32, MAXEV = 64 };


/* ---- a small registrar stand-in ---------------------------------- */

enum uas_auth {
	UAS_407 = 0,   /* Proxy-Authenticate                   */
	UAS_401,       /* WWW-Authenticate                     */
	UAS_NONE,      /* 200 at once                          */
};

static struct uas {
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sa udp;
	struct sa tcp;
	enum uas_auth auth;
	bool rechallenge;        /* bad credentials: challenge again      */
	bool stale;              /* unknown nonce: 407 stale=true         */
	bool silent;             /* never answer                          */
	uint32_t grant;          /* most granted in the 200               */
	uint32_t min_expires;    /* 423 below it (0: none)                */
	bool keep;               /* keep every request for the test       */
	const char *deaf_user;   /* never answer this AOR user            */
	char nonce[24];
	struct sip_msg *reqv[MAXREQ];
	size_t reqc;
	size_t total;
	unsigned auth_ok;
	unsigned auth_bad;
	unsigned ok200;
	char nc[MAXREQ][9];      /* nc of each request's credentials      */
} uas;


static uint32_t asked_expiry(const struct sip_msg *msg,
			     const struct sip_addr *addr)
{
	struct pl v;

	if (addr && !msg_param_decode(&addr->params, "expires", &v))
		return pl_u32(&v);

	if (pl_isset(&msg->expires))
		return pl_u32(&msg->expires);

	return 3600;
}


static bool echo_contact(const struct sip_hdr *hdr, const struct sip_msg *msg,
			 void *arg)
{
	struct mbuf *mb = arg;
	struct sip_addr addr;
	uint32_t e;

	if (sip_addr_decode(&addr, &hdr->val))
		return false;      /* "*" */

	e = asked_expiry(msg, &addr);
	if (!e)
		return false;      /* removed: not listed */

	(void)mbuf_printf(mb, "Contact: <%r>;expires=%u\r\n", &addr.auri,
			  e < uas.grant ? e : uas.grant);

	return false;
}


static int uas_check(const struct sip_msg *msg, const struct sip_hdr *hdr,
		     size_t idx)
{
	struct httpauth_digest_resp resp;
	uint8_t ha1[MD5_SIZE];
	struct pl op;

	if (httpauth_digest_response_decode(&resp, &hdr->val))
		return EBADMSG;

	if (idx < MAXREQ)
		(void)pl_strcpy(&resp.nc, uas.nc[idx], sizeof(uas.nc[idx]));

	if (pl_strcmp(&resp.nonce, uas.nonce))
		return ESTALE;

	if (pl_strcmp(&resp.realm, REALM) ||
	    pl_strcmp(&resp.uri, "sip:" DOMAIN) ||
	    pl_strcmp(&resp.qop, "auth") ||
	    !pl_isset(&resp.cnonce) || resp.nc.l != 8 ||
	    pl_cmp(&resp.username, &msg->to.uri.user))
		return EPROTO;

	if (re_regex(hdr->val.p, hdr->val.l, "opaque=\"[^\"]*\"", &op) ||
	    pl_strcmp(&op, OPAQUE))
		return EPROTO;

	if (md5_printf(ha1, "%r:%s:%s", &resp.username, REALM, PASSWORD))
		return ENOMEM;

	return httpauth_digest_response_auth(&resp, &msg->met, ha1);
}


static void uas_challenge(const struct sip_msg *msg, bool stale)
{
	(void)sip_treplyf(NULL, NULL, uas.sip, msg, false,
			  uas.auth == UAS_401 ? 401 : 407,
			  uas.auth == UAS_401 ? "Unauthorized" :
			  "Proxy Authentication Required",
			  "%s: Digest realm=\"" REALM "\", nonce=\"%s\""
			  ", opaque=\"" OPAQUE "\", qop=\"auth\""
			  ", algorithm=MD5%s\r\n"
			  "Content-Length: 0\r\n\r\n",
			  uas.auth == UAS_401 ? "WWW-Authenticate" :
			  "Proxy-Authenticate", uas.nonce,
			  stale ? ", stale=true" : "");
}


static bool uas_handler(const struct sip_msg *msg, void *arg)
{
	const struct sip_hdr *hdr;
	struct mbuf *mb;
	size_t idx = uas.total++;
	int err;
	(void)arg;

	if (pl_strcmp(&msg->met, "REGISTER"))
		return false;

	if (uas.keep && uas.reqc < MAXREQ)
		uas.reqv[uas.reqc++] = mem_ref((void *)msg);

	if (uas.silent)
		return true;

	if (uas.deaf_user && !pl_strcmp(&msg->to.uri.user, uas.deaf_user))
		return true;

	if (uas.auth != UAS_NONE) {
		hdr = sip_msg_hdr(msg, uas.auth == UAS_401 ?
				  SIP_HDR_AUTHORIZATION :
				  SIP_HDR_PROXY_AUTHORIZATION);
		if (!hdr) {
			uas_challenge(msg, false);
			return true;
		}

		err = uas_check(msg, hdr, idx);
		if (err == ESTALE && uas.stale) {
			uas_challenge(msg, true);
			return true;
		}

		if (err) {
			++uas.auth_bad;
			if (uas.rechallenge)
				uas_challenge(msg, false);
			else
				(void)sip_treplyf(NULL, NULL, uas.sip, msg,
						  false, 403, "Forbidden",
						  "Content-Length: 0\r\n\r\n");
			return true;
		}

		++uas.auth_ok;
	}

	if (uas.min_expires && sip_msg_hdr(msg, SIP_HDR_CONTACT) &&
	    asked_expiry(msg, NULL) < uas.min_expires) {
		(void)sip_treplyf(NULL, NULL, uas.sip, msg, false, 423,
				  "Interval Too Brief",
				  "Min-Expires: %u\r\n"
				  "Content-Length: 0\r\n\r\n",
				  uas.min_expires);
		return true;
	}

	mb = mbuf_alloc(256);
	if (!mb)
		return true;

	sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, echo_contact, mb);
	++uas.ok200;

	(void)sip_treplyf(NULL, NULL, uas.sip, msg, false, 200, "OK",
			  "%bContent-Length: 0\r\n\r\n", mb->buf, mb->end);
	mem_deref(mb);

	return true;
}


static void uas_start(void)
{
	memset(&uas, 0, sizeof(uas));
	uas.grant = 60;
	uas.keep = true;
	re_snprintf(uas.nonce, sizeof(uas.nonce), "%016llx", rand_u64());

	fixture_sip_stack(&uas.sip, "test-uas", 64, NULL, &uas.udp, &uas.tcp);
	ck_assert_int_eq(sip_listen(&uas.lsnr, uas.sip, true, uas_handler,
				    NULL), 0);
}


static void uas_stop(void)
{
	size_t i;

	for (i = 0; i < uas.reqc; i++)
		mem_deref(uas.reqv[i]);

	mem_deref(uas.lsnr);
	mem_deref(uas.sip);
	memset(&uas, 0, sizeof(uas));
}


/* ---- events and the loop ----------------------------------------- */

struct evrec {
	enum phone_event_type type;
	enum phone_op op;
	unsigned attempt;
	uint16_t scode;
	bool retrans;
	int err;
	enum phone_state state;
	enum phone_state prev;
	uint32_t cseq;           /* SENT: CSeq of the request */
	uint32_t granted;
	bool has_msg;
};

static struct evrec evv[MAXEV];
static size_t evc;
static struct phone *ph;


static void event_handler(struct phone *phone, const struct phone_event *ev,
			  void *arg)
{
	struct evrec *r;
	(void)phone;
	(void)arg;

	if (evc >= MAXEV)
		return;

	r = &evv[evc++];
	r->type    = ev->type;
	r->op      = ev->op;
	r->attempt = ev->attempt;
	r->scode   = ev->scode;
	r->retrans = ev->retrans;
	r->err     = ev->err;
	r->state   = ev->state;
	r->prev    = ev->prev;
	r->cseq    = ev->msg ? ev->msg->cseq.num : 0;
	r->granted = ev->granted;
	r->has_msg = ev->msg != NULL;

	if (ev->type == PHONE_EV_SENT && ev->msg)
		ck_assert(ev->msg->req);
}


static size_t count_ev(enum phone_event_type type)
{
	size_t i, n = 0;

	for (i = 0; i < evc; i++)
		n += evv[i].type == type;

	return n;
}


static const struct evrec *last_ev(enum phone_event_type type)
{
	size_t i;

	for (i = evc; i > 0; i--) {
		if (evv[i - 1].type == type)
			return &evv[i - 1];
	}

	return NULL;
}


static bool ph_registered(void)
{
	return phone_isregistered(ph) && !phone_busy(ph);
}


static bool ph_settled(void)
{
	return !phone_busy(ph) && phone_state(ph) != PHONE_ST_REGISTERING &&
		phone_state(ph) != PHONE_ST_UNREGISTERING;
}


/* a registration of ph asked for and done within 1.5 s; SETTLED: ended,
 * whatever its outcome */
#define REGISTERED() do {						\
		ck_assert_int_eq(phone_register(ph), 0);		\
		ck_assert(fixture_run_until(ph_registered, 1500));	\
	} while (0)
#define SETTLED() do {							\
		ck_assert_int_eq(phone_register(ph), 0);		\
		ck_assert(fixture_run_until(ph_settled, 1500));		\
	} while (0)


static size_t want_total;

static bool uas_got(void)
{
	return uas.total >= want_total;
}


static void setup(void)
{
	fixture_begin(1);
	uas_start();
	evc = 0;
	ph = NULL;
}


static void shared_free(void);


static void teardown(void)
{
	ph = mem_deref(ph);
	shared_free();
	uas_stop();
	fixture_end();
}


static void conf_init(struct phone_conf *conf, enum sip_transp tp)
{
	fixture_phone_conf(conf, tp == SIP_TRANSP_TCP ? &uas.tcp : &uas.udp);
	conf->tp = tp;
}


static void new_phone(const struct phone_conf *conf)
{
	ck_assert_int_eq(phone_alloc(&ph, conf, event_handler, NULL), 0);
}


/* ---- helpers reading the requests the UAS got --------------------- */

static const struct sip_msg *req(size_t i)
{
	ck_assert_uint_lt(i, uas.reqc);
	return uas.reqv[i];
}


static bool hdr_is(const struct sip_msg *msg, enum sip_hdrid id,
		   const char *val)
{
	const struct sip_hdr *hdr = sip_msg_hdr(msg, id);

	return hdr && !pl_strcmp(&hdr->val, val);
}


static bool has_hdr(const struct sip_msg *msg, enum sip_hdrid id)
{
	return sip_msg_hdr(msg, id) != NULL;
}


static bool same_callid(const struct sip_msg *a, const struct sip_msg *b)
{
	return !pl_cmp(&a->callid, &b->callid);
}


static void assert_shape(const struct sip_msg *msg, const char *user)
{
	char aor[128];
	struct pl rport;

	re_snprintf(aor, sizeof(aor), "sip:%s@" DOMAIN, user);

	ck_assert(!pl_strcmp(&msg->ruri, "sip:" DOMAIN));
	ck_assert(!pl_isset(&msg->uri.user));
	ck_assert(!pl_strcmp(&msg->to.auri, aor));
	ck_assert(!pl_strcmp(&msg->from.auri, aor));
	ck_assert(pl_isset(&msg->from.tag));
	ck_assert(!pl_isset(&msg->to.tag));
	ck_assert(!pl_strcmp(&msg->cseq.met, "REGISTER"));
	ck_assert(!pl_strcmp(&msg->maxfwd, "70"));
	ck_assert(hdr_is(msg, SIP_HDR_USER_AGENT, UA));
	ck_assert(!pl_strcmp(&msg->clen, "0"));
	ck_assert(msg_param_exists(&msg->via.params, "rport", &rport) == 0);
	ck_assert(pl_isset(&msg->via.branch));
}


/* ---- tests -------------------------------------------------------- */

START_TEST(test_register_udp)
{
	struct phone_conf conf;
	char contact[128];
	const struct sip_msg *r1, *r2;
	const struct evrec *e;

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_IDLE);

	ck_assert_int_eq(phone_register(ph), 0);
	ck_assert(phone_busy(ph));
	ck_assert_int_eq(phone_register(ph), EBUSY);
	ck_assert(fixture_run_until(ph_registered, 1500));

	ck_assert_uint_eq(uas.reqc, 2);
	r1 = req(0);
	r2 = req(1);
	assert_shape(r1, "alice");
	assert_shape(r2, "alice");

	/* own socket: source port = the Contact's port */
	ck_assert_uint_eq(sa_port(&r1->src), sa_port(phone_laddr(ph)));
	re_snprintf(contact, sizeof(contact),
		    "<sip:alice@127.0.0.1:%u;transport=udp>",
		    sa_port(phone_laddr(ph)));
	ck_assert(hdr_is(r1, SIP_HDR_CONTACT, contact));
	ck_assert_str_eq(phone_contact(ph), contact);
	ck_assert(!pl_strcmp(&r1->expires, "600"));

	/* auth retry: same Call-ID and From tag, CSeq + 1 */
	ck_assert(!has_hdr(r1, SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert(has_hdr(r2, SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert(same_callid(r1, r2));
	ck_assert(!pl_cmp(&r1->from.tag, &r2->from.tag));
	ck_assert_uint_eq(r2->cseq.num, r1->cseq.num + 1);
	ck_assert_uint_eq(r1->cseq.num, 1);
	ck_assert(pl_cmp(&r1->via.branch, &r2->via.branch) != 0);

	ck_assert_uint_eq(uas.auth_ok, 1);
	ck_assert_uint_eq(uas.auth_bad, 0);
	ck_assert_str_eq(uas.nc[1], "00000001");

	/* granted from our Contact in the 200; refresh at half of it */
	ck_assert_uint_eq(phone_granted(ph), 60);
	ck_assert_uint_le(phone_refresh_left(ph), 30000);
	ck_assert_uint_gt(phone_refresh_left(ph), 29000);
	ck_assert_uint_eq(phone_last_response(ph)->scode, 200);
	ck_assert_uint_eq(phone_cseq(ph), 2);

	/* events: 2 sent, 407, 200, registering, registered */
	ck_assert_uint_eq(count_ev(PHONE_EV_SENT), 2);
	ck_assert_uint_eq(count_ev(PHONE_EV_RESPONSE), 2);
	ck_assert_uint_eq(count_ev(PHONE_EV_ERROR), 0);
	ck_assert_int_eq(evv[0].type, PHONE_EV_SENT);
	ck_assert_uint_eq(evv[0].attempt, 1);
	ck_assert(!evv[0].retrans);
	ck_assert_int_eq(evv[0].op, PHONE_OP_REGISTER);
	ck_assert_int_eq(evv[1].type, PHONE_EV_STATE);
	ck_assert_int_eq(evv[1].state, PHONE_ST_REGISTERING);
	ck_assert_int_eq(evv[2].type, PHONE_EV_RESPONSE);
	ck_assert_uint_eq(evv[2].scode, 407);
	ck_assert_int_eq(evv[3].type, PHONE_EV_SENT);
	ck_assert_uint_eq(evv[3].attempt, 2);
	ck_assert_uint_eq(evv[3].cseq, 2);
	e = last_ev(PHONE_EV_STATE);
	ck_assert_int_eq(e->state, PHONE_ST_REGISTERED);
	ck_assert_int_eq(e->prev, PHONE_ST_REGISTERING);
	ck_assert_uint_eq(e->scode, 200);

	/* the operation's end comes last */
	ck_assert_uint_eq(count_ev(PHONE_EV_DONE), 1);
	e = &evv[evc - 1];
	ck_assert_int_eq(e->type, PHONE_EV_DONE);
	ck_assert_int_eq(e->op, PHONE_OP_REGISTER);
	ck_assert_uint_eq(e->attempt, 2);
	ck_assert_uint_eq(e->scode, 200);
	ck_assert_int_eq(e->err, 0);
	ck_assert_uint_eq(e->granted, 60);
}
END_TEST


/* sent_lean: the stack does not decode what it sent at once (UDP); the
 * SENT events come without msg but still name their operation; others
 * keep theirs */
START_TEST(test_register_lean)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.sent_lean = true;
	new_phone(&conf);

	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert_uint_eq(count_ev(PHONE_EV_SENT), 2);
	for (size_t i = 0, n = 0; i < evc; i++) {
		if (evv[i].type == PHONE_EV_SENT) {
			ck_assert(!evv[i].has_msg);
			ck_assert_int_eq(evv[i].op, PHONE_OP_REGISTER);
			ck_assert_uint_eq(evv[i].attempt, ++n);
			ck_assert(!evv[i].retrans);
		}
		if (evv[i].type == PHONE_EV_RESPONSE)
			ck_assert(evv[i].has_msg);
	}
	ck_assert_uint_eq(last_ev(PHONE_EV_DONE)->scode, 200);
}
END_TEST


START_TEST(test_register_tcp)
{
	struct phone_conf conf;
	char contact[128];

	conf_init(&conf, SIP_TRANSP_TCP);
	conf.name = "alice-tcp";
	new_phone(&conf);
	ck_assert_str_eq(phone_name(ph), "alice-tcp");

	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert_int_eq(req(0)->tp, SIP_TRANSP_TCP);
	ck_assert_int_eq(req(0)->via.tp, SIP_TRANSP_TCP);
	assert_shape(req(1), "alice");
	re_snprintf(contact, sizeof(contact),
		    "<sip:alice@127.0.0.1:%u;transport=tcp>",
		    sa_port(phone_laddr(ph)));
	ck_assert(hdr_is(req(0), SIP_HDR_CONTACT, contact));
	ck_assert_uint_eq(uas.auth_ok, 1);
	ck_assert_uint_eq(phone_granted(ph), 60);
	ck_assert_uint_eq(count_ev(PHONE_EV_SENT), 2);
}
END_TEST


/* 401 + WWW-Authenticate is answered with Authorization */
START_TEST(test_register_401)
{
	struct phone_conf conf;

	uas.auth = UAS_401;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.auth_user = "alice";
	new_phone(&conf);

	REGISTERED();
	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert(has_hdr(req(1), SIP_HDR_AUTHORIZATION));
	ck_assert(!has_hdr(req(1), SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert_uint_eq(uas.auth_ok, 1);
}
END_TEST


START_TEST(test_wrong_password_403)
{
	struct phone_conf conf;
	const struct evrec *e;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.auth = PHONE_AUTH_WRONG;
	new_phone(&conf);

	SETTLED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert_uint_eq(uas.auth_bad, 1);
	ck_assert_uint_eq(uas.auth_ok, 0);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_FAILED);
	ck_assert(!phone_isregistered(ph));
	ck_assert_uint_eq(phone_last_response(ph)->scode, 403);

	e = last_ev(PHONE_EV_STATE);
	ck_assert_int_eq(e->state, PHONE_ST_FAILED);
	ck_assert_uint_eq(e->scode, 403);
	e = last_ev(PHONE_EV_DONE);
	ck_assert_uint_eq(e->scode, 403);
	ck_assert_int_eq(e->err, 0);

	/* no tight loop: the retry waits 60 s of virtual time */
	ck_assert_uint_gt(phone_refresh_left(ph), 59000);
}
END_TEST


/* wrong credentials re-challenged: the phone gives up after one answer */
START_TEST(test_wrong_password_rechallenge)
{
	struct phone_conf conf;
	const struct evrec *e;

	uas.rechallenge = true;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.auth = PHONE_AUTH_WRONG;
	conf.refresh = PHONE_REFRESH_NONE;
	new_phone(&conf);

	SETTLED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_FAILED);
	e = last_ev(PHONE_EV_STATE);
	ck_assert_uint_eq(e->scode, 407);
	ck_assert_int_eq(e->err, EACCES);
	ck_assert_uint_eq(phone_refresh_left(ph), 0);

	/* nothing more goes out */
	fixture_run_until(NULL, 100);
	ck_assert_uint_eq(uas.total, 2);
}
END_TEST


START_TEST(test_no_password)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.password = NULL;
	new_phone(&conf);

	SETTLED();
	ck_assert_uint_eq(uas.reqc, 1);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_FAILED);
	ck_assert_int_eq(last_ev(PHONE_EV_STATE)->err, EACCES);
}
END_TEST


/* keep + increment, across a manual refresh that reuses the nonce */
START_TEST(test_callid_keep_refresh)
{
	struct phone_conf conf;
	size_t i;

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	REGISTERED();
	REGISTERED();

	/* the refresh carried credentials at once: nc counts up */
	ck_assert_uint_eq(uas.reqc, 3);
	ck_assert(has_hdr(req(2), SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert_str_eq(uas.nc[2], "00000002");
	ck_assert_uint_eq(uas.auth_ok, 2);

	for (i = 1; i < uas.reqc; i++) {
		ck_assert(same_callid(req(0), req(i)));
		ck_assert_uint_eq(req(i)->cseq.num, req(i - 1)->cseq.num + 1);
	}
}
END_TEST


/* a fresh nonce policy: every registration is challenged */
START_TEST(test_auth_fresh)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.auth_fresh = true;
	new_phone(&conf);

	REGISTERED();
	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 4);
	ck_assert(!has_hdr(req(2), SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert(has_hdr(req(3), SIP_HDR_PROXY_AUTHORIZATION));
	ck_assert_str_eq(uas.nc[3], "00000002");
}
END_TEST


/* the reused nonce went stale: answered at once with the new one */
START_TEST(test_stale_nonce)
{
	struct phone_conf conf;

	uas.stale = true;
	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	REGISTERED();

	re_snprintf(uas.nonce, sizeof(uas.nonce), "%016llx", rand_u64());
	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 4);
	ck_assert_str_eq(uas.nc[2], "00000002");   /* old nonce, refused */
	ck_assert_str_eq(uas.nc[3], "00000001");   /* new nonce          */
	ck_assert_uint_eq(uas.auth_ok, 2);
	ck_assert_uint_eq(req(3)->cseq.num, req(2)->cseq.num + 1);
	ck_assert_int_eq(last_ev(PHONE_EV_DONE)->attempt, 2);
}
END_TEST


START_TEST(test_callid_per_reg)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.callid = PHONE_CALLID_PER_REG;
	conf.auth_fresh = true;
	new_phone(&conf);

	REGISTERED();
	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 4);
	ck_assert(same_callid(req(0), req(1)));      /* auth retry keeps */
	ck_assert(!same_callid(req(1), req(2)));     /* new registration */
	ck_assert(same_callid(req(2), req(3)));
	ck_assert(pl_cmp(&req(1)->from.tag, &req(2)->from.tag) != 0);
}
END_TEST


START_TEST(test_callid_per_req)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.callid = PHONE_CALLID_PER_REQ;
	new_phone(&conf);

	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert(!same_callid(req(0), req(1)));
	ck_assert(!pl_strcmp(&req(1)->callid, phone_callid(ph)));
}
END_TEST


/* the auth retry repeats the CSeq too (TCP: over UDP a libre UAS takes
 * it for a merged request while the 407's transaction lingers) */
START_TEST(test_cseq_repeat)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_TCP);
	conf.cseq = PHONE_CSEQ_REPEAT;
	conf.cseq_start = 7;
	new_phone(&conf);

	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert_uint_eq(req(0)->cseq.num, 7);
	ck_assert_uint_eq(req(1)->cseq.num, 7);
	ck_assert_uint_eq(phone_cseq(ph), 7);
}
END_TEST


START_TEST(test_cseq_repeat_udp_merged)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.cseq = PHONE_CSEQ_REPEAT;
	new_phone(&conf);

	SETTLED();

	ck_assert_uint_eq(count_ev(PHONE_EV_SENT), 2);
	ck_assert_uint_eq(evv[3].cseq, 1);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_FAILED);
	ck_assert_uint_eq(phone_last_response(ph)->scode, 482);
}
END_TEST


START_TEST(test_cseq_decr)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.cseq = PHONE_CSEQ_DECR;
	new_phone(&conf);

	REGISTERED();
	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 3);
	ck_assert_uint_eq(req(0)->cseq.num, 100);
	ck_assert_uint_eq(req(1)->cseq.num, 99);
	ck_assert_uint_eq(req(2)->cseq.num, 98);
}
END_TEST


START_TEST(test_expires_param)
{
	struct phone_conf conf;
	char contact[128];
	const struct sip_hdr *hdr;

	uas.auth = UAS_NONE;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.exp_where = PHONE_EXP_PARAM;
	conf.expires = 45;
	new_phone(&conf);

	REGISTERED();

	ck_assert_uint_eq(uas.reqc, 1);
	ck_assert(!has_hdr(req(0), SIP_HDR_EXPIRES));
	hdr = sip_msg_hdr(req(0), SIP_HDR_CONTACT);
	ck_assert_ptr_nonnull(hdr);
	re_snprintf(contact, sizeof(contact),
		    "<sip:alice@127.0.0.1:%u;transport=udp>;expires=45",
		    sa_port(phone_laddr(ph)));
	ck_assert(!pl_strcmp(&hdr->val, contact));

	/* granted 45 (<= 64 s): refresh at half */
	ck_assert_uint_eq(phone_granted(ph), 45);
	ck_assert_uint_le(phone_refresh_left(ph), 22500);
	ck_assert_uint_gt(phone_refresh_left(ph), 21500);
}
END_TEST


START_TEST(test_expires_both_none)
{
	struct phone_conf conf;
	struct sip_addr addr;
	struct pl v;

	uas.auth = UAS_NONE;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.exp_where = PHONE_EXP_BOTH;
	conf.expires = 300;
	new_phone(&conf);
	REGISTERED();
	ck_assert(!pl_strcmp(&req(0)->expires, "300"));
	ck_assert_int_eq(sip_addr_decode(&addr,
			 &sip_msg_hdr(req(0), SIP_HDR_CONTACT)->val), 0);
	ck_assert_int_eq(msg_param_decode(&addr.params, "expires", &v), 0);
	ck_assert(!pl_strcmp(&v, "300"));
	ph = mem_deref(ph);

	conf.exp_where = PHONE_EXP_NONE;
	new_phone(&conf);
	REGISTERED();
	ck_assert(!has_hdr(req(1), SIP_HDR_EXPIRES));
	ck_assert_int_eq(sip_addr_decode(&addr,
			 &sip_msg_hdr(req(1), SIP_HDR_CONTACT)->val), 0);
	ck_assert(msg_param_decode(&addr.params, "expires", &v) != 0);
	/* the UAS grants 60 of its default 3600 */
	ck_assert_uint_eq(phone_granted(ph), 60);
}
END_TEST


/* refresh on virtual time: not before half the granted 60 s, then at
 * once; it reuses the nonce (nc 2), Call-ID, and CSeq + 1 */
START_TEST(test_refresh_virtual)
{
	struct phone_conf conf;
	const struct evrec *e;

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	REGISTERED();
	ck_assert_uint_eq(uas.total, 2);

	vclock_advance(29000);
	vtimer_poll();
	fixture_run_until(NULL, 60);
	ck_assert_uint_eq(uas.total, 2);
	ck_assert_uint_gt(phone_refresh_left(ph), 0);
	ck_assert_uint_le(phone_refresh_left(ph), 1000);

	vclock_advance(1500);
	vtimer_poll();
	want_total = 3;
	ck_assert(fixture_run_until(uas_got, 500));
	ck_assert(fixture_run_until(ph_registered, 1500));

	ck_assert_uint_eq(uas.reqc, 3);
	ck_assert(same_callid(req(0), req(2)));
	ck_assert_uint_eq(req(2)->cseq.num, req(1)->cseq.num + 1);
	ck_assert_str_eq(uas.nc[2], "00000002");
	e = last_ev(PHONE_EV_SENT);
	ck_assert_int_eq(e->op, PHONE_OP_REFRESH);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_REGISTERED);
	ck_assert_uint_gt(phone_refresh_left(ph), 29000);
}
END_TEST


/* without refreshes the binding lapses at the granted expiry */
START_TEST(test_expiry_lapse)
{
	struct phone_conf conf;

	uas.auth = UAS_NONE;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.refresh = PHONE_REFRESH_NONE;
	new_phone(&conf);

	REGISTERED();
	ck_assert_uint_eq(phone_refresh_left(ph), 0);

	vclock_advance(59000);
	vtimer_poll();
	fixture_run_until(NULL, 30);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_REGISTERED);

	vclock_advance(2000);
	vtimer_poll();
	fixture_run_until(NULL, 30);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_EXPIRED);
	ck_assert_uint_eq(uas.total, 1);
}
END_TEST


/* the refresh point: half, expiry - 32 s, or an exact fraction */
START_TEST(test_refresh_point)
{
	struct phone_conf conf;

	uas.auth = UAS_NONE;
	uas.grant = 600;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.refresh_frac = 0.99;
	new_phone(&conf);
	REGISTERED();
	ck_assert_uint_le(phone_refresh_left(ph), 568000);
	ck_assert_uint_gt(phone_refresh_left(ph), 567000);
	ph = mem_deref(ph);

	conf.refresh = PHONE_REFRESH_EXACT;
	conf.refresh_frac = 1.1;
	new_phone(&conf);
	REGISTERED();
	ck_assert_uint_le(phone_refresh_left(ph), 660000);
	ck_assert_uint_gt(phone_refresh_left(ph), 659000);
}
END_TEST


START_TEST(test_unregister)
{
	struct phone_conf conf;
	const struct sip_msg *r;
	char contact[128];

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);
	REGISTERED();

	ck_assert_int_eq(phone_unregister(ph, false), 0);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_UNREGISTERING);
	ck_assert(fixture_run_until(ph_settled, 1500));

	ck_assert_int_eq(phone_state(ph), PHONE_ST_IDLE);
	ck_assert_uint_eq(phone_refresh_left(ph), 0);
	ck_assert_uint_eq(uas.reqc, 3);
	r = req(2);
	assert_shape(r, "alice");
	ck_assert(!pl_strcmp(&r->expires, "0"));
	re_snprintf(contact, sizeof(contact),
		    "<sip:alice@127.0.0.1:%u;transport=udp>",
		    sa_port(phone_laddr(ph)));
	ck_assert(hdr_is(r, SIP_HDR_CONTACT, contact));
	ck_assert(same_callid(req(0), r));
	ck_assert_uint_eq(r->cseq.num, req(1)->cseq.num + 1);
	ck_assert_int_eq(last_ev(PHONE_EV_SENT)->op, PHONE_OP_UNREGISTER);

	/* nothing refreshes afterwards */
	vclock_advance(3600000);
	vtimer_poll();
	fixture_run_until(NULL, 30);
	ck_assert_uint_eq(uas.total, 3);
}
END_TEST


START_TEST(test_unregister_param)
{
	struct phone_conf conf;
	struct sip_addr addr;
	struct pl v;

	uas.auth = UAS_NONE;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.exp_where = PHONE_EXP_PARAM;
	new_phone(&conf);
	REGISTERED();
	ck_assert_int_eq(phone_unregister(ph, false), 0);
	ck_assert(fixture_run_until(ph_settled, 1500));

	ck_assert_int_eq(phone_state(ph), PHONE_ST_IDLE);
	ck_assert(!has_hdr(req(1), SIP_HDR_EXPIRES));
	ck_assert_int_eq(sip_addr_decode(&addr,
			 &sip_msg_hdr(req(1), SIP_HDR_CONTACT)->val), 0);
	ck_assert_int_eq(msg_param_decode(&addr.params, "expires", &v), 0);
	ck_assert(!pl_strcmp(&v, "0"));
}
END_TEST


START_TEST(test_unregister_wildcard)
{
	struct phone_conf conf;
	const struct sip_msg *r;

	conf_init(&conf, SIP_TRANSP_TCP);
	conf.exp_where = PHONE_EXP_BOTH;
	new_phone(&conf);
	REGISTERED();

	ck_assert_int_eq(phone_unregister(ph, true), 0);
	ck_assert(fixture_run_until(ph_settled, 1500));

	ck_assert_int_eq(phone_state(ph), PHONE_ST_IDLE);
	ck_assert_uint_eq(uas.reqc, 3);
	r = req(2);
	ck_assert_uint_eq(sip_msg_hdr_count(r, SIP_HDR_CONTACT), 1);
	ck_assert(hdr_is(r, SIP_HDR_CONTACT, "*"));
	ck_assert(!pl_strcmp(&r->expires, "0"));
}
END_TEST


/* an unregister asked while a REGISTER is pending waits for it */
START_TEST(test_unregister_queued)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);
	ck_assert_int_eq(phone_register(ph), 0);
	ck_assert_int_eq(phone_unregister(ph, false), 0);
	ck_assert(phone_busy(ph));

	want_total = 3;
	ck_assert(fixture_run_until(uas_got, 1500));
	ck_assert(fixture_run_until(ph_settled, 1500));

	ck_assert_int_eq(phone_state(ph), PHONE_ST_IDLE);
	ck_assert_uint_eq(uas.reqc, 3);
	ck_assert(pl_strcmp(&req(1)->expires, "0") != 0);
	ck_assert(!pl_strcmp(&req(2)->expires, "0"));
}
END_TEST


START_TEST(test_fetch)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);
	REGISTERED();

	ck_assert_int_eq(phone_fetch(ph), 0);
	ck_assert(fixture_run_until(ph_registered, 1500));

	ck_assert_uint_eq(uas.reqc, 3);
	ck_assert(!has_hdr(req(2), SIP_HDR_CONTACT));
	ck_assert(!has_hdr(req(2), SIP_HDR_EXPIRES));
	ck_assert_int_eq(last_ev(PHONE_EV_SENT)->op, PHONE_OP_FETCH);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_REGISTERED);
}
END_TEST


START_TEST(test_custom)
{
	static const char * const cv[] = {
		"<sip:alice@{local};transport=udp>",
		"<sip:alice-desk@192.0.2.7:5070>",
	};
	struct phone_conf conf;
	struct phone_req rq;
	const struct sip_msg *r;
	const struct sip_hdr *hdr;
	char c0[128];

	uas.auth = UAS_NONE;
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.extra = "X-Test: one\nX-Other: two\r\n";
	new_phone(&conf);

	memset(&rq, 0, sizeof(rq));
	rq.callid = "custom-call-1";
	rq.set_cseq = true;
	rq.cseq = 77;
	rq.set_expires = true;
	rq.expires = 3600;
	rq.set_where = true;
	rq.where = PHONE_EXP_BOTH;
	rq.contactv = cv;
	rq.contactc = 2;
	rq.extra = "X-Once: yes";
	ck_assert_int_eq(phone_send(ph, &rq), 0);
	ck_assert_int_eq(phone_send(ph, &rq), EBUSY);
	ck_assert(fixture_run_until(ph_registered, 1500));

	ck_assert_uint_eq(uas.reqc, 1);
	r = req(0);
	assert_shape(r, "alice");
	ck_assert(!pl_strcmp(&r->callid, "custom-call-1"));
	ck_assert_uint_eq(r->cseq.num, 77);
	ck_assert(!pl_strcmp(&r->expires, "3600"));
	ck_assert_uint_eq(sip_msg_hdr_count(r, SIP_HDR_CONTACT), 2);
	hdr = sip_msg_hdr(r, SIP_HDR_CONTACT);
	re_snprintf(c0, sizeof(c0),
		    "<sip:alice@127.0.0.1:%u;transport=udp>;expires=3600",
		    sa_port(phone_laddr(ph)));
	ck_assert(!pl_strcmp(&hdr->val, c0));
	ck_assert(!pl_strcmp(&sip_msg_xhdr(r, "X-Test")->val, "one"));
	ck_assert(!pl_strcmp(&sip_msg_xhdr(r, "X-Other")->val, "two"));
	ck_assert(!pl_strcmp(&sip_msg_xhdr(r, "X-Once")->val, "yes"));

	/* granted 60 of 3600: honoured (P-REG-SHORTENED) */
	ck_assert_uint_eq(phone_granted(ph), 60);
	ck_assert_uint_le(phone_refresh_left(ph), 30000);

	/* the next plain register goes back to the configured Call-ID */
	REGISTERED();
	ck_assert(!pl_strcmp(&req(1)->callid, phone_callid(ph)));
	ck_assert_uint_eq(req(1)->cseq.num, 78);
	ck_assert(sip_msg_xhdr(req(1), "X-Once") == NULL);
	ck_assert(!pl_strcmp(&sip_msg_xhdr(req(1), "X-Test")->val, "one"));
}
END_TEST


/* overlap on purpose: a second REGISTER while the first is pending */
START_TEST(test_custom_overlap)
{
	struct phone_conf conf;
	struct phone_req rq;

	uas.silent = true;
	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	ck_assert_int_eq(phone_register(ph), 0);
	memset(&rq, 0, sizeof(rq));
	ck_assert_int_eq(phone_send(ph, &rq), EBUSY);
	ck_assert_int_eq(phone_fetch(ph), EBUSY);
	rq.overlap = true;
	ck_assert_int_eq(phone_send(ph, &rq), 0);

	want_total = 2;
	ck_assert(fixture_run_until(uas_got, 400));
	ck_assert_uint_eq(req(1)->cseq.num, req(0)->cseq.num + 1);
	ck_assert(same_callid(req(0), req(1)));
}
END_TEST


/* UDP retransmissions are reported as such */
START_TEST(test_retransmit)
{
	struct phone_conf conf;
	size_t i, retrans = 0;

	uas.silent = true;
	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	ck_assert_int_eq(phone_register(ph), 0);
	want_total = 2;
	ck_assert(fixture_run_until(uas_got, 1200));

	for (i = 0; i < evc; i++) {
		if (evv[i].type == PHONE_EV_SENT && evv[i].retrans)
			++retrans;
	}
	ck_assert_uint_ge(retrans, 1);
	ck_assert(!evv[0].retrans);
}
END_TEST


START_TEST(test_423)
{
	struct phone_conf conf;

	uas.auth = UAS_NONE;
	uas.min_expires = 900;
	uas.grant = 3600;
	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);

	REGISTERED();
	ck_assert_uint_eq(uas.reqc, 2);
	ck_assert(!pl_strcmp(&req(0)->expires, "600"));
	ck_assert(!pl_strcmp(&req(1)->expires, "900"));
	ck_assert_uint_eq(req(1)->cseq.num, req(0)->cseq.num + 1);
	ck_assert_uint_eq(phone_granted(ph), 900);
}
END_TEST


/* TCP to a closed port: a transport error, reported */
START_TEST(test_tcp_refused)
{
	struct phone_conf conf;
	const struct evrec *e;

	conf_init(&conf, SIP_TRANSP_TCP);
	sa_set_port(&conf.registrar, 9);
	conf.refresh = PHONE_REFRESH_NONE;
	new_phone(&conf);

	SETTLED();

	e = last_ev(PHONE_EV_ERROR);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_ne(e->err, 0);
	ck_assert_int_eq(phone_state(ph), PHONE_ST_FAILED);
}
END_TEST


START_TEST(test_bad_conf)
{
	struct phone_conf conf;

	conf_init(&conf, SIP_TRANSP_UDP);
	conf.user = NULL;
	ck_assert_int_eq(phone_alloc(&ph, &conf, NULL, NULL), EINVAL);
	conf_init(&conf, SIP_TRANSP_UDP);
	sa_init(&conf.registrar, AF_INET);
	ck_assert_int_eq(phone_alloc(&ph, &conf, NULL, NULL), EINVAL);
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.contactc = 1;
	ck_assert_int_eq(phone_alloc(&ph, &conf, NULL, NULL), EINVAL);
	ck_assert_ptr_null(ph);
}
END_TEST


/* ---- phones sharing a stack (one socket) --------------------------- */

/* what one phone of a shared stack saw */
struct shrec {
	const char *user;
	struct phone *phone;
	unsigned sent;           /* SENT events                           */
	unsigned retrans;        /* of them, retransmissions              */
	unsigned resp;           /* RESPONSE events                       */
	unsigned done;           /* DONE events                           */
	unsigned foreign;        /* events about another phone's request  */
	unsigned bad_src;        /* SENT from another port than the stack */
	enum phone_op done_op;
	uint16_t done_scode;
	int done_err;
	unsigned done_attempt;
	bool quiet;              /* expected to do nothing: not waited for */
};


/* the message is one of this phone's: its AOR, its Call-ID */
static bool shrec_ours(const struct shrec *r, const struct sip_msg *msg)
{
	return !pl_strcmp(&msg->to.uri.user, r->user) &&
		!pl_strcmp(&msg->from.uri.user, r->user) &&
		!pl_strcmp(&msg->callid, phone_callid(r->phone));
}


/* REGISTER operations of every shared phone in flight, and the most;
 * a phone to unregister when the first refresh ends */
static unsigned sh_inflight, sh_inflight_max;
static struct phone *sh_unreg_at_done;


static void share_handler(struct phone *phone, const struct phone_event *ev,
			  void *arg)
{
	struct shrec *r = arg;

	if (ev->type == PHONE_EV_SENT && !ev->retrans && ev->attempt == 1 &&
	    ++sh_inflight > sh_inflight_max)
		sh_inflight_max = sh_inflight;
	if (ev->type == PHONE_EV_DONE && sh_inflight)
		--sh_inflight;
	if (ev->type == PHONE_EV_DONE && ev->op == PHONE_OP_REFRESH &&
	    sh_unreg_at_done) {
		struct phone *p = sh_unreg_at_done;

		sh_unreg_at_done = NULL;
		ck_assert_int_eq(phone_unregister(p, false), 0);
	}

	if (phone != r->phone) {
		++r->foreign;
		return;
	}

	switch (ev->type) {

	case PHONE_EV_SENT:
		++r->sent;
		r->retrans += ev->retrans;
		if (!ev->msg || !ev->msg->req || !shrec_ours(r, ev->msg) ||
		    ev->attempt == 0)
			++r->foreign;
		if (ev->msg && ev->msg->tp == SIP_TRANSP_UDP &&
		    !sa_cmp(&ev->msg->src, phone_laddr(phone), SA_ALL))
			++r->bad_src;
		break;

	case PHONE_EV_RESPONSE:
		++r->resp;
		if (!ev->msg || ev->msg->req || !shrec_ours(r, ev->msg))
			++r->foreign;
		break;

	case PHONE_EV_DONE:
		++r->done;
		r->done_op      = ev->op;
		r->done_scode   = ev->scode;
		r->done_err     = ev->err;
		r->done_attempt = ev->attempt;
		if (ev->msg && (ev->msg->scode != ev->scode ||
				!shrec_ours(r, ev->msg)))
			++r->foreign;
		break;

	default:
		break;
	}
}


enum { SHMAX = 8 };

static struct shrec shv[SHMAX];
static size_t shc;


static bool shared_settled(void)
{
	size_t i;

	for (i = 0; i < shc; i++) {
		if (shv[i].phone && !shv[i].quiet &&
		    (phone_busy(shv[i].phone) || !shv[i].done))
			return false;
	}

	return true;
}


static void shared_clear(void)
{
	size_t i;

	for (i = 0; i < shc; i++) {
		struct phone *p = shv[i].phone;
		const char *u = shv[i].user;
		const bool q = shv[i].quiet;

		memset(&shv[i], 0, sizeof(shv[i]));
		shv[i].phone = p;
		shv[i].user  = u;
		shv[i].quiet = q;
	}
}


static void shared_free(void)
{
	size_t i;

	phone_pace_set(0);
	sh_inflight = sh_inflight_max = 0;

	for (i = 0; i < SHMAX; i++)
		shv[i].phone = mem_deref(shv[i].phone);

	memset(shv, 0, sizeof(shv));
	shc = 0;
}


/* a phone on the stack, recorded in shv[] */
static struct shrec *shared_phone(struct phone_stack *ps,
				  struct phone_conf *conf, const char *user)
{
	struct shrec *r;

	ck_assert_uint_lt(shc, SHMAX);
	r = &shv[shc++];
	memset(r, 0, sizeof(*r));
	r->user = user;

	conf->user  = user;
	conf->stack = ps;
	ck_assert_int_eq(phone_alloc(&r->phone, conf, share_handler, r), 0);

	return r;
}


static const struct sip_msg *req_of(const char *user, unsigned nth)
{
	size_t i;

	for (i = 0; i < uas.reqc; i++) {
		if (!pl_strcmp(&uas.reqv[i]->to.uri.user, user) && !nth--)
			return uas.reqv[i];
	}

	return NULL;
}


static size_t reqs_of(const char *user)
{
	size_t i, n = 0;

	for (i = 0; i < uas.reqc; i++)
		n += !pl_strcmp(&uas.reqv[i]->to.uri.user, user);

	return n;
}


/* four phones on one UDP socket register at once: each gets its own
 * challenge, 200 (or 403) and events; nothing crosses over */
START_TEST(test_shared_register)
{
	static const char * const carol_cv[] = {"<sip:carol-desk@{local}>"};
	static const char * const users[] = {"alice", "bob", "carol",
					     "mallory"};
	struct phone_stack *ps = NULL;
	struct phone_conf conf;
	const struct sa *sl;
	char contact[128];
	size_t i, j;

	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_UDP, NULL), 0);
	sl = phone_stack_laddr(ps);
	ck_assert(sa_isset(sl, SA_ALL));
	ck_assert_uint_eq(phone_stack_phones(ps), 0);

	conf_init(&conf, SIP_TRANSP_UDP);
	shared_phone(ps, &conf, "alice");
	shared_phone(ps, &conf, "bob");
	conf.contactv = carol_cv;
	conf.contactc = 1;
	shared_phone(ps, &conf, "carol");
	conf.contactv = NULL;
	conf.contactc = 0;
	conf.auth = PHONE_AUTH_WRONG;
	shared_phone(ps, &conf, "mallory");
	ck_assert_uint_eq(phone_stack_phones(ps), 4);

	/* one socket, one address; each its own Contact */
	for (i = 0; i < shc; i++) {
		ck_assert(sa_cmp(phone_laddr(shv[i].phone), sl, SA_ALL));
		if (i == 2)
			re_snprintf(contact, sizeof(contact),
				    "<sip:carol-desk@%J>", sl);
		else
			re_snprintf(contact, sizeof(contact),
				    "<sip:%s@%J;transport=udp>", users[i], sl);
		ck_assert_str_eq(phone_contact(shv[i].phone), contact);
	}

	/* the phones keep the stack: the owner's reference may go */
	ps = mem_deref(ps);

	/* all at once: four REGISTERs in flight on the one socket */
	for (i = 0; i < shc; i++)
		ck_assert_int_eq(phone_register(shv[i].phone), 0);
	ck_assert(fixture_run_until(shared_settled, 2000));

	for (i = 0; i < shc; i++) {
		const struct shrec *r = &shv[i];
		const bool bad = i == 3;

		ck_assert_uint_eq(r->foreign, 0);
		ck_assert_uint_eq(r->bad_src, 0);
		ck_assert_uint_eq(r->sent, 2);
		ck_assert_uint_eq(r->resp, 2);
		ck_assert_uint_eq(r->done, 1);
		ck_assert_int_eq(r->done_op, PHONE_OP_REGISTER);
		ck_assert_uint_eq(r->done_attempt, 2);
		ck_assert_uint_eq(r->done_scode, bad ? 403 : 200);
		ck_assert_int_eq(r->done_err, 0);
		ck_assert_int_eq(phone_state(r->phone), bad ?
				 PHONE_ST_FAILED : PHONE_ST_REGISTERED);
		ck_assert_uint_eq(phone_last_response(r->phone)->scode,
				  bad ? 403 : 200);
		ck_assert_uint_eq(phone_granted(r->phone), bad ? 0 : 60);
		ck_assert_uint_eq(phone_cseq(r->phone), 2);
	}

	/* on the wire: one source port, each phone its own Call-ID, From
	 * tag, CSeq run, Contact and nonce count */
	ck_assert_uint_eq(uas.reqc, 8);
	ck_assert_uint_eq(uas.auth_ok, 3);
	ck_assert_uint_eq(uas.auth_bad, 1);
	for (i = 0; i < uas.reqc; i++) {
		const struct sip_msg *r = req(i);

		ck_assert(sa_cmp(&r->src, sl, SA_ALL));
		assert_shape(r, pl_strcmp(&r->to.uri.user, "alice") == 0 ?
			     "alice" : pl_strcmp(&r->to.uri.user, "bob") == 0 ?
			     "bob" : pl_strcmp(&r->to.uri.user, "carol") == 0 ?
			     "carol" : "mallory");
		if (has_hdr(r, SIP_HDR_PROXY_AUTHORIZATION))
			ck_assert_str_eq(uas.nc[i], "00000001");
	}

	for (i = 0; i < shc; i++) {
		const struct sip_msg *a = req_of(users[i], 0);
		const struct sip_msg *b = req_of(users[i], 1);

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert(same_callid(a, b));
		ck_assert(!pl_cmp(&a->from.tag, &b->from.tag));
		ck_assert_uint_eq(a->cseq.num, 1);
		ck_assert_uint_eq(b->cseq.num, 2);
		ck_assert(!pl_strcmp(&a->callid, phone_callid(shv[i].phone)));
		ck_assert(hdr_is(a, SIP_HDR_CONTACT,
				 phone_contact(shv[i].phone)));

		for (j = 0; j < i; j++) {
			const struct sip_msg *o = req_of(users[j], 0);

			ck_assert(!same_callid(a, o));
			ck_assert(pl_cmp(&a->from.tag, &o->from.tag) != 0);
		}
	}

	/* each phone's refresh timer fires on its own, reusing its own
	 * nonce count (nc 2); mallory retries only at 60 s */
	shv[3].quiet = true;
	shared_clear();
	vclock_advance(31000);
	vtimer_poll();
	ck_assert(fixture_run_until(shared_settled, 2000));
	for (i = 0; i < 3; i++) {
		const struct shrec *r = &shv[i];

		ck_assert_uint_eq(r->foreign, 0);
		ck_assert_uint_eq(r->sent, 1);
		ck_assert_uint_eq(r->done, 1);
		ck_assert_int_eq(r->done_op, PHONE_OP_REFRESH);
		ck_assert_uint_eq(r->done_scode, 200);
		ck_assert_uint_eq(reqs_of(users[i]), 3);
		ck_assert_uint_eq(req_of(users[i], 2)->cseq.num, 3);
	}
	ck_assert_uint_eq(shv[3].sent, 0);
	ck_assert_uint_eq(uas.reqc, 11);
	for (i = 8; i < 11; i++)
		ck_assert_str_eq(uas.nc[i], "00000002");

	shared_free();
}
END_TEST


/* the process's window on the phones' own REGISTERs: eight refreshes
 * due at once go out three at a time, first due first sent; one phone
 * unregistered while it waits in line sends no refresh after it */
START_TEST(test_pace_refresh)
{
	static const char * const users[] = {"p1", "p2", "p3", "p4", "p5",
					     "p6", "p7", "p8"};
	struct phone_stack *ps = NULL;
	struct phone_conf conf;
	const uint64_t held0 = phone_pace_held();
	size_t i;

	uas.auth = UAS_NONE;
	uas.grant = 60;
	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_UDP, NULL), 0);
	conf_init(&conf, SIP_TRANSP_UDP);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		shared_phone(ps, &conf, users[i]);
	ps = mem_deref(ps);

	/* the program's own operations count but are not held */
	phone_pace_set(3);
	for (i = 0; i < shc; i++)
		ck_assert_int_eq(phone_register(shv[i].phone), 0);
	ck_assert(fixture_run_until(shared_settled, 2000));
	ck_assert_uint_eq(sh_inflight_max, shc);
	ck_assert_uint_eq(phone_pace_held(), held0);
	ck_assert_uint_eq(phone_pace_inflight(), 0);

	shared_clear();
	sh_inflight = sh_inflight_max = 0;

	/* every refresh due at once (half of the granted 60 s); when the
	 * first ends, the last is still in line */
	sh_unreg_at_done = shv[7].phone;
	vclock_advance(31000);
	vtimer_poll();
	ck_assert(fixture_run_until(shared_settled, 3000));
	ck_assert_ptr_null(sh_unreg_at_done);

	ck_assert_uint_le(sh_inflight_max, 3);
	ck_assert_uint_gt(phone_pace_held(), held0);
	for (i = 0; i < shc; i++) {
		ck_assert_uint_eq(shv[i].retrans, 0);
		ck_assert_uint_eq(shv[i].done, 1);
		ck_assert_uint_eq(shv[i].done_scode, 200);
		ck_assert_int_eq(shv[i].done_op, i == 7 ?
				 PHONE_OP_UNREGISTER : PHONE_OP_REFRESH);
		ck_assert_int_eq(phone_state(shv[i].phone), i == 7 ?
				 PHONE_ST_IDLE : PHONE_ST_REGISTERED);
	}
	ck_assert_uint_eq(shv[7].sent, 1);
	ck_assert_uint_eq(phone_pace_inflight(), 0);
}
END_TEST


/* destroying phones (one idle, one with its REGISTER pending and being
 * retransmitted) leaves the others on the stack working */
START_TEST(test_shared_destroy)
{
	struct phone_stack *ps = NULL;
	struct phone_conf conf;
	struct shrec *alice, *bob, *carol;

	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_UDP, NULL), 0);
	conf_init(&conf, SIP_TRANSP_UDP);
	alice = shared_phone(ps, &conf, "alice");
	bob   = shared_phone(ps, &conf, "bob");
	carol = shared_phone(ps, &conf, "carol");
	for (size_t i = 0; i < shc; i++)
		ck_assert_int_eq(phone_register(shv[i].phone), 0);
	ck_assert(fixture_run_until(shared_settled, 2000));
	ck_assert(phone_isregistered(alice->phone));
	ck_assert(phone_isregistered(bob->phone));
	ck_assert(phone_isregistered(carol->phone));

	/* an idle phone goes */
	bob->phone = mem_deref(bob->phone);
	ck_assert_uint_eq(phone_stack_phones(ps), 2);

	/* carol's REGISTER goes unanswered; she is destroyed while it is
	 * pending: libre keeps retransmitting it on the shared socket */
	uas.deaf_user = "carol";
	ck_assert_int_eq(phone_register(carol->phone), 0);
	carol->phone = mem_deref(carol->phone);
	ck_assert_uint_eq(phone_stack_phones(ps), 1);

	/* the owner lets go too: alice alone keeps the stack */
	ps = mem_deref(ps);

	shared_clear();
	ck_assert_int_eq(phone_register(alice->phone), 0);
	ck_assert(fixture_run_until(shared_settled, 1500));
	fixture_run_until(NULL, 900);

	/* carol's orphan was retransmitted (2 requests registered her, 1
	 * more went unanswered, then again after T1), and none of it
	 * reached alice */
	ck_assert_uint_ge(reqs_of("carol"), 4);
	ck_assert_uint_eq(alice->foreign, 0);
	ck_assert_uint_eq(alice->sent, 1);     /* nonce reused: one round */
	ck_assert_uint_eq(alice->retrans, 0);
	ck_assert_uint_eq(alice->done, 1);
	ck_assert_uint_eq(alice->done_scode, 200);
	ck_assert(phone_isregistered(alice->phone));

	/* and alice's refresh timer still runs */
	shared_clear();
	vclock_advance(31000);
	vtimer_poll();
	ck_assert(fixture_run_until(shared_settled, 1500));
	ck_assert_uint_eq(alice->done, 1);
	ck_assert_int_eq(alice->done_op, PHONE_OP_REFRESH);
	ck_assert_uint_eq(alice->done_scode, 200);
	ck_assert_uint_eq(alice->foreign, 0);
	ck_assert_uint_eq(reqs_of("bob"), 2);

	/* the last phone takes the stack (and carol's orphan) with it */
	shared_free();
}
END_TEST


/* TCP: the phones share the listening socket and one connection; the
 * requests queued while it connects still map to their phones */
START_TEST(test_shared_tcp)
{
	struct phone_stack *ps = NULL;
	struct phone_conf conf;
	char contact[128];
	size_t i;

	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_TCP, NULL), 0);
	conf_init(&conf, SIP_TRANSP_TCP);
	shared_phone(ps, &conf, "alice");
	shared_phone(ps, &conf, "bob");
	shared_phone(ps, &conf, "carol");
	ps = mem_deref(ps);

	for (i = 0; i < shc; i++)
		ck_assert_int_eq(phone_register(shv[i].phone), 0);
	ck_assert(fixture_run_until(shared_settled, 2000));

	ck_assert_uint_eq(uas.reqc, 6);
	for (i = 0; i < shc; i++) {
		const struct shrec *r = &shv[i];

		ck_assert_uint_eq(r->foreign, 0);
		ck_assert_uint_eq(r->sent, 2);
		ck_assert_uint_eq(r->done, 1);
		ck_assert_uint_eq(r->done_scode, 200);
		ck_assert(phone_isregistered(r->phone));

		re_snprintf(contact, sizeof(contact),
			    "<sip:%s@%J;transport=tcp>", r->user,
			    phone_laddr(r->phone));
		ck_assert(hdr_is(req_of(r->user, 0), SIP_HDR_CONTACT,
				 contact));
	}

	for (i = 0; i < uas.reqc; i++) {
		ck_assert_int_eq(req(i)->tp, SIP_TRANSP_TCP);
		ck_assert(sa_cmp(&req(i)->src, &req(0)->src, SA_ALL));
	}

	shared_free();
}
END_TEST


START_TEST(test_shared_conf)
{
	struct phone_stack *ps = NULL, *ps2 = NULL;
	struct phone_conf conf;
	struct sa a;

	ck_assert_int_eq(phone_stack_alloc(NULL, SIP_TRANSP_UDP, NULL),
			 EINVAL);
	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_WS, NULL),
			 EPROTONOSUPPORT);
	ck_assert_ptr_null(ps);

	sa_set_str(&a, "127.0.0.1", 0);
	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_UDP, &a), 0);
	ck_assert(sa_cmp(phone_stack_laddr(ps), &a, SA_ADDR));
	ck_assert_uint_ne(sa_port(phone_stack_laddr(ps)), 0);

	/* a phone of another transport than the stack's */
	conf_init(&conf, SIP_TRANSP_TCP);
	conf.stack = ps;
	ck_assert_int_eq(phone_alloc(&ph, &conf, event_handler, NULL),
			 EPROTONOSUPPORT);
	ck_assert_ptr_null(ph);

	/* an address other than the stack's */
	conf_init(&conf, SIP_TRANSP_UDP);
	conf.stack = ps;
	sa_set_str(&conf.laddr, "127.0.0.2", 0);
	ck_assert_int_eq(phone_alloc(&ph, &conf, event_handler, NULL),
			 EINVAL);
	conf.laddr = *phone_stack_laddr(ps);
	sa_set_port(&conf.laddr, sa_port(phone_stack_laddr(ps)) + 1);
	ck_assert_int_eq(phone_alloc(&ph, &conf, event_handler, NULL),
			 EINVAL);
	ck_assert_uint_eq(phone_stack_phones(ps), 0);

	/* the stack's own address is fine */
	conf.laddr = *phone_stack_laddr(ps);
	new_phone(&conf);
	ck_assert_uint_eq(phone_stack_phones(ps), 1);
	ck_assert(sa_cmp(phone_laddr(ph), phone_stack_laddr(ps), SA_ALL));

	/* a second shared stack is another socket */
	ck_assert_int_eq(phone_stack_alloc(&ps2, SIP_TRANSP_UDP, NULL), 0);
	ck_assert_uint_ne(sa_port(phone_stack_laddr(ps2)),
			  sa_port(phone_stack_laddr(ps)));

	/* and the default stays: a phone of its own on another port */
	ph = mem_deref(ph);
	ck_assert_uint_eq(phone_stack_phones(ps), 0);
	conf_init(&conf, SIP_TRANSP_UDP);
	new_phone(&conf);
	ck_assert(!sa_cmp(phone_laddr(ph), phone_stack_laddr(ps), SA_ALL));

	mem_deref(ps2);
	mem_deref(ps);
}
END_TEST


/* ---- many phones: memory and time ----------------------------------
 *
 * Two runs: every phone with a socket of its own, and phones sharing
 * stacks (round robin).  To measure: CK_RUN_CASE=many SIM_PHONE_SCALE=N
 * (phones in each run; default 300 own, 500 shared) and SIM_PHONE_STACKS
 * (the shared run's stacks; default one per 100 phones, at most 100:
 * 25,000 phones on 100 stacks).  The own-socket run needs a file per
 * phone: beyond RLIMIT_NOFILE phone_global_init() says EMFILE, as it
 * must, and only that is checked.
 *
 * The UAS runs in a child process, as a registrar would: the parent's
 * figures are the phones' own.  Registrations are started in a window of
 * at most WINDOW pending ones (the way a load generator paces itself), so
 * neither socket buffer nor libre's timer list is flooded. */

enum { WINDOW = 500 };

/* what one of the many phones saw */
struct many_rec {
	uint16_t sent;
	uint16_t done;
	uint16_t scode;          /* of its DONE                           */
};

static struct phone **many;
static struct many_rec *many_recv;
static size_t many_n, many_started, many_ok, many_done, many_foreign;
static pid_t uas_pid = -1;
static struct sa uas_child_addr;


/* raise the receive buffer of the UAS's UDP socket (libre does not show
 * the fd: find it by its address) */
static void uas_rcvbuf(void)
{
	int fd, size = 4 * 1024 * 1024;

	for (fd = 3; fd < 256; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct sa a;

		if (getsockname(fd, (struct sockaddr *)&ss, &len))
			continue;

		sa_init(&a, AF_UNSPEC);
		if (sa_set_sa(&a, (struct sockaddr *)&ss))
			continue;

		if (sa_cmp(&a, &uas.udp, SA_ALL))
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
					 sizeof(size));
	}
}


static void uas_child_signal(int sig)
{
	(void)sig;
	re_cancel();
}


/* SIGTERM before re_main() took the signal over: a clean end too */
static void uas_child_early_signal(int sig)
{
	(void)sig;
	_exit(0);
}


static void uas_child(int wfd)
{
	ssize_t n;

	(void)signal(SIGTERM, uas_child_early_signal);

	if (libre_init())
		_exit(1);

	uas_start();
	uas.keep = false;
	uas_rcvbuf();

	n = write(wfd, &uas.udp, sizeof(uas.udp));
	close(wfd);
	if (n != sizeof(uas.udp))
		_exit(1);

	(void)re_main(uas_child_signal);
	uas_stop();
	libre_close();
	_exit(0);
}


static void start_more(void)
{
	while (many_started < many_n &&
	       many_started - many_done < WINDOW) {
		ck_assert_int_eq(phone_register(many[many_started]), 0);
		++many_started;
	}
}


/* the message is the phone's own: its AOR and Call-ID */
static bool many_ours(struct phone *phone, const struct sip_msg *msg)
{
	return msg && !pl_strcmp(&msg->to.uri.user, phone_name(phone)) &&
		!pl_strcmp(&msg->callid, phone_callid(phone));
}


static void many_handler(struct phone *phone, const struct phone_event *ev,
			 void *arg)
{
	struct many_rec *r = arg;

	switch (ev->type) {

	case PHONE_EV_SENT:
		++r->sent;
		many_foreign += !many_ours(phone, ev->msg);
		return;

	case PHONE_EV_RESPONSE:
		many_foreign += !many_ours(phone, ev->msg);
		return;

	case PHONE_EV_DONE:
		++r->done;
		r->scode = ev->scode;
		many_foreign += !many_ours(phone, ev->msg);
		return;

	case PHONE_EV_STATE:
		break;

	default:
		return;
	}

	if (ev->state == PHONE_ST_REGISTERED)
		++many_ok, ++many_done;
	else if (ev->state == PHONE_ST_FAILED)
		++many_done;
	else
		return;

	if (many_done == many_n)
		re_cancel();
	else
		start_more();
}


static bool many_finished(void)
{
	return many_done >= many_n;
}


static size_t env_size(const char *name, size_t dflt)
{
	const char *s = getenv(name);

	return s ? (size_t)strtoul(s, NULL, 10) : dflt;
}


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return ts.tv_sec + ts.tv_nsec / 1e9;
}


static double rss_bytes(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;

	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);

	return (double)rss * (double)sysconf(_SC_PAGESIZE);
}


static void setup_many(void)
{
	int pfd[2];

	ck_assert_int_eq(pipe(pfd), 0);
	uas_pid = fork();
	ck_assert_int_ge(uas_pid, 0);
	if (uas_pid == 0) {
		close(pfd[0]);
		uas_child(pfd[1]);
	}

	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &uas_child_addr,
			      sizeof(uas_child_addr)),
			 sizeof(uas_child_addr));
	close(pfd[0]);

	fixture_begin(1);
	evc = 0;
	ph = NULL;
}


static void teardown_many(void)
{
	int status = -1;

	fixture_end();

	if (uas_pid > 0) {
		kill(uas_pid, SIGTERM);
		ck_assert_int_eq(waitpid(uas_pid, &status, 0), uas_pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}


/* _i: 0 a socket per phone, 1 shared stacks */
START_TEST(test_many_phones)
{
	const bool shared = _i == 1;
	struct phone_stack **stackv = NULL;
	struct phone_conf conf;
	struct mallinfo2 m0, m1, m2, m3;
	double t0, t1, t2, r0, r3;
	size_t stackc = 0, sockets, i;
	char user[32];
	int err;

	many_n = env_size("SIM_PHONE_SCALE", shared ? 500 : 300);
	many_started = many_ok = many_done = many_foreign = 0;
	ck_assert_uint_gt(many_n, 0);
	if (shared) {
		stackc = (many_n + 99) / 100;
		stackc = env_size("SIM_PHONE_STACKS", stackc > 100 ?
				  100 : stackc);
		ck_assert(stackc >= 1 && stackc <= many_n);
	}
	sockets = shared ? stackc : many_n;

	/* before the first socket: libre sizes its fd table once */
	err = phone_global_init((unsigned)sockets);
	if (!shared && err == EMFILE) {
		fprintf(stderr, "many phones, own sockets: %zu phones need more"
			" files than RLIMIT_NOFILE allows: EMFILE, as it "
			"should (share stacks to go further)\n", many_n);
		return;
	}
	ck_assert_int_eq(err, 0);

	many = calloc(many_n, sizeof(*many));
	many_recv = calloc(many_n, sizeof(*many_recv));
	stackv = calloc(stackc ? stackc : 1, sizeof(*stackv));
	ck_assert(many && many_recv && stackv);

	memset(&conf, 0, sizeof(conf));
	conf.user      = user;
	conf.domain    = DOMAIN;
	conf.password  = PASSWORD;
	conf.registrar = uas_child_addr;

	m0 = mallinfo2();
	r0 = rss_bytes();
	t0 = now_s();
	for (i = 0; i < stackc; i++)
		ck_assert_int_eq(phone_stack_alloc(&stackv[i], SIP_TRANSP_UDP,
						   NULL), 0);
	for (i = 0; i < many_n; i++) {
		re_snprintf(user, sizeof(user), "u%zu", i);
		conf.stack = shared ? stackv[i % stackc] : NULL;
		ck_assert_int_eq(phone_alloc(&many[i], &conf, many_handler,
					     &many_recv[i]), 0);
	}
	m1 = mallinfo2();
	t1 = now_s();

	/* the phones hold the stacks now */
	for (i = 0; i < stackc; i++) {
		ck_assert_uint_eq(phone_stack_phones(stackv[i]),
				  many_n / stackc + (i < many_n % stackc));
		stackv[i] = mem_deref(stackv[i]);
	}

	/* a 1 ms tick would walk libre's timer list 1000 times a second */
	fixture_tick(100);
	start_more();
	ck_assert(fixture_run_until(many_finished, 100000));
	t2 = now_s();
	m2 = mallinfo2();

	/* measuring: let the client transactions end (Timer K, 5 s) */
	if (getenv("SIM_PHONE_SCALE"))
		fixture_run_until(NULL, 5500);
	m3 = mallinfo2();
	r3 = rss_bytes();

	fprintf(stderr, "many phones, %s: %zu of %zu registered (407 + 200 "
		"each) on %zu sockets, window %d: create %.2f s, register "
		"%.2f s (%.0f/s); heap per phone: %.0f B created, %.0f B "
		"just registered, %.0f B settled; RSS per phone %.0f B\n",
		shared ? "shared stacks" : "own sockets", many_ok, many_n,
		sockets, WINDOW, t1 - t0, t2 - t1, many_n / (t2 - t1),
		(double)(m1.uordblks - m0.uordblks) / many_n,
		(double)(m2.uordblks - m0.uordblks) / many_n,
		(double)(m3.uordblks - m0.uordblks) / many_n,
		(r3 - r0) / many_n);

	ck_assert_uint_eq(many_ok, many_n);

	/* no cross-talk: each phone saw its own two requests and one DONE
	 * carrying its own 200 */
	ck_assert_uint_eq(many_foreign, 0);
	for (i = 0; i < many_n; i++) {
		ck_assert_uint_ge(many_recv[i].sent, 2);
		ck_assert_uint_eq(many_recv[i].done, 1);
		ck_assert_uint_eq(many_recv[i].scode, 200);
	}

	for (i = 0; i < many_n; i++)
		mem_deref(many[i]);
	free(many);
	free(many_recv);
	free(stackv);
}
END_TEST


FIXTURE_MAIN("phone",
	FIXTURE_CASE("register", setup, teardown, 10, 0,
		test_register_udp, test_register_lean, test_register_tcp,
		test_register_401,
		test_wrong_password_403, test_wrong_password_rechallenge,
		test_no_password, test_callid_keep_refresh, test_auth_fresh,
		test_stale_nonce, test_callid_per_reg, test_callid_per_req,
		test_cseq_repeat, test_cseq_repeat_udp_merged, test_cseq_decr,
		test_expires_param, test_expires_both_none,
		test_refresh_virtual, test_expiry_lapse, test_refresh_point,
		test_unregister, test_unregister_param,
		test_unregister_wildcard, test_unregister_queued, test_fetch,
		test_custom, test_custom_overlap, test_retransmit, test_423,
		test_tcp_refused, test_bad_conf, test_shared_register,
		test_pace_refresh,
		test_shared_destroy, test_shared_tcp, test_shared_conf),
	FIXTURE_CASE("many", setup_many, teardown_many, 120, 2,
		test_many_phones))
