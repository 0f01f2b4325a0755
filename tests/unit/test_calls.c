/**
 * @file test_calls.c  Calls through the registrar acting as the service's
 * back-to-back user agent: one test per rule row (RING-*, CALL-OUT-*,
 * REFER-1), each named after its rule ID, with real SIP on 127.0.0.1.
 *
 * The registrar runs in process (regclient.h).  Phones that get calls
 * are small libre stacks of their own (struct tphone) that answer an
 * INVITE as told (ring, answer, busy, redirect, nothing) and record every
 * message they receive, so the tests read the wire.  A phone that makes
 * calls (struct tcaller) is libre's sipsess on a stack of its own.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "pstn.h"
#include "sim_registrar.h"
#include "calls.h"
#include "regclient.h"

#define DOMAIN "example.sip.us1.twilio.com"
#define PW "Conform-Pass-1"
#define ELSEWHERE "SIP;cause=200;text=\"Call completed elsewhere\""

static const char config[] =
	"domains:\n"
	"  - name: example.sip.us1.twilio.com\n"
	"    credential_lists: {registration: [office], calls: [office]}\n"
	"    voice_application: outbound\n"
	"  - name: office.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: ring-alice\n"
	"  - name: say.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: say\n"
	"  - name: nocalls.sip.us1.twilio.com\n"
	"    credential_lists: {registration: [office]}\n"
	"    voice_application: say\n"
	"  - name: reject.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: reject\n"
	"  - name: noapp.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"  - name: badcid.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: bad-callerid\n"
	"  - name: fromcid.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: from-callerid\n"
	"credential_lists:\n"
	"  - name: office\n"
	"    credentials:\n"
	"      - {username: alice, password: " PW "}\n"
	"      - {username: bob, password: " PW "}\n"
	"numbers:\n"
	"  - {number: \"+14155550199\", voice_application: ring-alice}\n"
	"  - {number: \"+14155550198\", voice_application: ring-alice-10}\n"
	"verified_caller_ids: [\"+14155550100\"]\n"
	"applications:\n"
	"  ring-alice: <Response><Dial><Sip>alice@" DOMAIN "</Sip></Dial>"
	"</Response>\n"
	"  ring-alice-10: <Response><Dial timeout=\"10\"><Sip>alice@" DOMAIN
	"</Sip></Dial></Response>\n"
	"  outbound: <Response><Dial callerId=\"+14155550199\">"
	"{{#e164}}{{To}}{{/e164}}</Dial></Response>\n"
	"  say: <Response><Say>Congratulations!</Say></Response>\n"
	"  reject: <Response><Pause length=\"5\"/><Reject reason=\"busy\"/>"
	"</Response>\n"
	"  bad-callerid: <Response><Dial callerId=\"+15555550000\">"
	"+14155551234</Dial></Response>\n"
	"  from-callerid: <Response><Dial callerId=\"{{#e164}}{{From}}"
	"{{/e164}}\">{{#e164}}{{To}}{{/e164}}</Dial></Response>\n"
	"pstn:\n"
	"  default: answer\n"
	"  after: 2\n"
	"  numbers:\n"
	"    \"+14155550123\": busy\n"
	"    \"+14155550125\": ring\n";

static struct regclient *rc;
static struct sim_registrar *sr;
static uint16_t reg_port;


/* ------------------------------------------------------------- waiting */

/* the loop until cond holds, at most ms of wall time (fixture.h) */
static bool wait_for(bool (*cond)(void *), void *arg, uint32_t ms)
{
	return fixture_wait(cond, arg, ms);
}


/* let the loop run for ms (messages in flight arrive) */
static void settle(uint32_t ms)
{
	fixture_settle(ms);
}


/* move virtual time on: the Dial timeout and the like fire */
static void advance(uint32_t s)
{
	vclock_advance((uint64_t)s * 1000);
	vtimer_poll();
	settle(20);
}


/* ------------------------------------------- what a stack received */

struct rxlog {
	struct list msgl;          /* struct rxmsg */
	const char *name;          /* whose, for TRACE=1 */
};

struct rxmsg {
	struct le le;
	struct sip_msg *msg;
};


static void rxmsg_destructor(void *data)
{
	struct rxmsg *m = data;

	list_unlink(&m->le);
	mem_deref(m->msg);
}


static void rxlog_add(struct rxlog *log, const uint8_t *pkt, size_t len)
{
	struct mbuf *mb = mbuf_alloc(len);
	struct rxmsg *m;

	if (!mb)
		return;

	(void)mbuf_write_mem(mb, pkt, len);
	mb->pos = 0;

	m = mem_zalloc(sizeof(*m), rxmsg_destructor);
	if (m && !sip_msg_decode(&m->msg, mb))
		list_append(&log->msgl, &m->le, m);
	else
		mem_deref(m);

	mem_deref(mb);
}


/* a stack's trace handler (its sip_alloc arg: the log): what it got */
static void rx_trace(bool tx, enum sip_transp tp, const struct sa *src,
		     const struct sa *dst, const uint8_t *pkt, size_t len,
		     void *arg)
{
	struct rxlog *log = arg;
	(void)tp;
	(void)src;
	(void)dst;

	if (!tx)
		rxlog_add(log, pkt, len);
	if (getenv("TRACE"))
		re_fprintf(stderr, "---- %s %s\n%b\n", log->name,
			   tx ? "sent" : "got", pkt, len);
}


/* the n-th (0-based) request of method met, or response to met (scode
 * != 0: that status only, scode 1: any response) */
static const struct sip_msg *rx_find(const struct rxlog *log, const char *met,
				     uint16_t scode, unsigned n)
{
	for (struct le *le = log->msgl.head; le; le = le->next) {
		const struct sip_msg *msg = ((struct rxmsg *)le->data)->msg;

		if (!scode && msg->req && !pl_strcmp(&msg->met, met)) {
			if (!n--)
				return msg;
		}
		else if (scode && !msg->req &&
			 !pl_strcmp(&msg->cseq.met, met) &&
			 (scode == 1 || msg->scode == scode)) {
			if (!n--)
				return msg;
		}
	}

	return NULL;
}


static unsigned rx_count(const struct rxlog *log, const char *met)
{
	unsigned n = 0;

	while (rx_find(log, met, 0, n))
		n++;

	return n;
}


static const char *hdr(const struct sip_msg *m, const char *name,
		       char *buf, size_t sz)
{
	return regclient_hdr(m, name, buf, sz);
}


/* -------------------------------------------------- phones that answer */

enum ph_mode {
	PH_RING,                   /* 180, then nothing                     */
	PH_ANSWER,                 /* 180, then 200 after answer_ms         */
	PH_FAIL,                   /* 180, then fail_code                   */
	PH_REDIRECT,               /* 302 to somewhere else                 */
	PH_SILENT,                 /* nothing at all                        */
};

/* the answer to a REFER a phone or the caller sent: its status and
 * what its Allow lists */
struct refer_reply {
	uint16_t scode;
	bool allow_bye;
	bool allow_invite;
	bool allow_refer;
};


struct tphone {
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sa laddr;
	char contact[64];
	char name[16];
	enum ph_mode mode;
	uint16_t fail_code;
	uint32_t answer_ms;
	uint32_t cancel_ms;        /* 487 that long after a CANCEL; 0: at once */
	struct sip_strans *st;
	struct sip_msg *inv;
	struct sip_dialog *dlg;
	struct tmr tmr;
	struct rxlog rx;
	struct refer_reply refer;
	uint16_t rtp_port;         /* in its answer's m= line               */
	const char *answer_pts;    /* the payload types it answers with     */
};


static void phone_destructor(void *data)
{
	struct tphone *ph = data;

	tmr_cancel(&ph->tmr);
	list_flush(&ph->rx.msgl);
	mem_deref(ph->st);
	mem_deref(ph->dlg);
	mem_deref(ph->inv);
	mem_deref(ph->lsnr);
	sip_close(ph->sip, true);
	mem_deref(ph->sip);
}


static void phone_answer(void *arg)
{
	struct tphone *ph = arg;
	char sdp[200];

	if (!ph->st)
		return;

	/* an answer the service can use (MEDIA-SDP-1); nobody sends RTP */
	(void)re_snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 127.0.0.1"
			  "\r\ns=answer-%s\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			  "m=audio %u RTP/AVP %s\r\n", ph->name, ph->rtp_port,
			  ph->answer_pts);
	(void)sip_treplyf(&ph->st, NULL, ph->sip, ph->inv, false, 200, "OK",
			  "Contact: <%s>\r\n"
			  "Content-Type: application/sdp\r\n"
			  "Content-Length: %zu\r\n\r\n%s",
			  ph->contact, strlen(sdp), sdp);

	/* the phone keeps a dialog to hang up or transfer later */
	ph->dlg = mem_deref(ph->dlg);
	(void)sip_dialog_accept(&ph->dlg, ph->inv);
}


static void phone_487(void *arg)
{
	struct tphone *ph = arg;

	(void)sip_treplyf(&ph->st, NULL, ph->sip, ph->inv, false, 487,
			  "Request Terminated", NULL);
}


static void phone_cancel(void *arg)
{
	struct tphone *ph = arg;

	tmr_cancel(&ph->tmr);
	if (ph->cancel_ms)
		tmr_start(&ph->tmr, ph->cancel_ms, phone_487, ph);
	else
		phone_487(ph);
}


static bool phone_request(const struct sip_msg *msg, void *arg)
{
	struct tphone *ph = arg;

	if (!pl_strcmp(&msg->met, "INVITE") && !pl_isset(&msg->to.tag)) {
		if (ph->mode == PH_SILENT)
			return true;

		mem_deref(ph->inv);
		ph->inv = mem_ref((void *)msg);
		ph->st = mem_deref(ph->st);
		if (sip_strans_alloc(&ph->st, ph->sip, msg, phone_cancel, ph))
			return true;

		if (ph->mode == PH_REDIRECT) {
			(void)sip_treplyf(&ph->st, NULL, ph->sip, msg, false,
					  302, "Moved Temporarily",
					  "Contact: <sip:moved@127.0.0.1:9>"
					  "\r\nContent-Length: 0\r\n\r\n");
			return true;
		}

		(void)sip_treplyf(&ph->st, NULL, ph->sip, msg, false, 180,
				  "Ringing", "Contact: <%s>\r\n"
				  "Content-Length: 0\r\n\r\n", ph->contact);

		if (ph->mode == PH_FAIL)
			(void)sip_treplyf(&ph->st, NULL, ph->sip, msg, false,
					  ph->fail_code, "Failed", NULL);
		else if (ph->mode == PH_ANSWER)
			tmr_start(&ph->tmr, ph->answer_ms, phone_answer, ph);

		return true;
	}

	if (!pl_strcmp(&msg->met, "ACK"))
		return true;

	(void)sip_treply(NULL, ph->sip, msg, 200, "OK");

	return true;
}


static struct tphone *phone_alloc_tp(const char *name, enum ph_mode mode,
				     bool tcp)
{
	struct tphone *ph;

	ph = mem_zalloc(sizeof(*ph), phone_destructor);
	ck_assert_ptr_nonnull(ph);

	str_ncpy(ph->name, name, sizeof(ph->name));
	ph->mode = mode;
	ph->fail_code = 486;
	ph->answer_ms = 20;
	ph->rtp_port = 4002;
	ph->answer_pts = "0";

	ph->rx.name = ph->name;
	fixture_sip_stack(&ph->sip, "tphone", 32, &ph->rx,
			  tcp ? NULL : &ph->laddr, tcp ? &ph->laddr : NULL);
	ck_assert_int_eq(sip_listen(&ph->lsnr, ph->sip, true, phone_request,
				    ph), 0);
	sip_set_trace_handler(ph->sip, rx_trace);

	(void)re_snprintf(ph->contact, sizeof(ph->contact), "sip:%s@%J%s",
			  name, &ph->laddr, tcp ? ";transport=tcp" : "");

	return ph;
}


static struct tphone *phone_alloc(const char *name, enum ph_mode mode)
{
	return phone_alloc_tp(name, mode, false);
}


/* alice (or user) registers the phone's contact */
static void phone_register(struct tphone *ph, const char *user)
{
	struct reg_opts o;
	char contact[80], callid[64];
	struct sip_msg *m;

	memset(&o, 0, sizeof(o));
	(void)re_snprintf(contact, sizeof(contact), "<%s>", ph->contact);
	(void)re_snprintf(callid, sizeof(callid), "reg-%s", ph->name);

	vclock_advance(1000);       /* the 5/s rate limit is not tested here */
	o.user = user;
	o.password = PW;
	o.contact = contact;
	o.callid = callid;
	o.expires = 600;

	m = regclient_register(rc, &o);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 200);
	mem_deref(m);
}


static void phone_bye(struct tphone *ph)
{
	ck_assert_ptr_nonnull(ph->dlg);
	ck_assert_int_eq(sip_drequestf(NULL, ph->sip, true, "BYE", ph->dlg, 0,
				       NULL, NULL, NULL, NULL,
				       "Content-Length: 0\r\n\r\n"), 0);
}


/* arg: the struct refer_reply to fill */
static void refer_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct refer_reply *rr = arg;

	if (err || !msg)
		return;

	rr->scode = msg->scode;
	rr->allow_bye = sip_msg_hdr_has_value(msg, SIP_HDR_ALLOW, "BYE");
	rr->allow_invite = sip_msg_hdr_has_value(msg, SIP_HDR_ALLOW,
						 "INVITE");
	rr->allow_refer = sip_msg_hdr_has_value(msg, SIP_HDR_ALLOW, "REFER");
}


static bool refer_answered(void *arg)
{
	return ((struct refer_reply *)arg)->scode != 0;
}


struct rx_want {
	struct tphone *ph;
	const char *met;
	uint16_t scode;
	unsigned n;
};


static bool rx_has(void *arg)
{
	struct rx_want *w = arg;

	return rx_find(&w->ph->rx, w->met, w->scode, w->n - 1) != NULL;
}


/* wait until the phone got n requests met (or responses, scode) */
static bool phone_got(struct tphone *ph, const char *met, uint16_t scode,
		      unsigned n)
{
	struct rx_want w = {ph, met, scode, n};

	return wait_for(rx_has, &w, 3000);
}


/* ---------------------------------------------------- calls by API */

struct evlog {
	unsigned ringing, answered, ended;
	struct call_info last;
	char rule[32];
};


static void call_event(const struct call_info *ci, void *arg)
{
	struct evlog *ev = arg;

	ev->last = *ci;
	str_ncpy(ev->rule, ci->rule, sizeof(ev->rule));
	switch (ci->state) {

	case CALL_RINGING:  ev->ringing++;  break;
	case CALL_ANSWERED: ev->answered++; break;
	case CALL_ENDED:    ev->ended++;    break;
	default: break;
	}
}


struct state_want {
	const char *sid;
	enum call_state state;
};


static bool call_in(void *arg)
{
	struct state_want *w = arg;
	struct call_info ci;

	return !sim_registrar_call_info(sr, w->sid, &ci) &&
		ci.state == w->state;
}


static void wait_state(const char *sid, enum call_state st)
{
	struct state_want w = {sid, st};
	struct call_info ci;

	if (wait_for(call_in, &w, 3000))
		return;

	ck_assert_int_eq(sim_registrar_call_info(sr, sid, &ci), 0);
	ck_abort_msg("call %s is %s, not %s (rule %s, %u)", sid,
		     call_state_name(ci.state), call_state_name(st), ci.rule,
		     ci.scode);
}


static void outside_call(const char *to, struct evlog *ev, char *sid)
{
	ck_assert_int_eq(sim_registrar_call(sr, "+14155550100", to,
					    call_event, ev, sid, 40), 0);
	ck_assert_uint_eq(strlen(sid), 34);
	ck_assert(!strncmp(sid, "CA", 2));
}


static struct call_info info(const char *sid)
{
	struct call_info ci;

	ck_assert_int_eq(regclient_call_info(rc, sid, &ci), 0);
	return ci;
}


#define logged(s) regclient_logged(rc, s)
#define ASSERT_LOGGED(s) REGCLIENT_ASSERT_LOGGED(rc, s)


/* ----------------------------------------------- phones that call */

struct tcaller {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sipsess *sess;
	struct sa laddr;
	struct rxlog rx;
	const char *password;
	const char *auth_user;     /* digest username; NULL: alice */
	bool progress;
	bool established;
	bool closed;
	int close_err;
	uint16_t close_scode;
	char answer[512];          /* the SDP the caller got */
	struct refer_reply refer;
	unsigned answers;
};


static void caller_destructor(void *data)
{
	struct tcaller *tc = data;

	mem_deref(tc->sess);
	list_flush(&tc->rx.msgl);
	mem_deref(tc->sock);
	sip_close(tc->sip, true);
	mem_deref(tc->sip);
}


static void caller_conn(const struct sip_msg *msg, void *arg)
{
	struct tcaller *tc = arg;

	(void)sip_treply(NULL, tc->sip, msg, 486, "Busy Here");
}


static int caller_auth(char **user, char **pass, const char *realm,
		       void *arg)
{
	struct tcaller *tc = arg;
	(void)realm;

	if (str_dup(user, tc->auth_user ? tc->auth_user : "alice"))
		return ENOMEM;

	return str_dup(pass, tc->password);
}


static int caller_offer(struct mbuf **descp, const struct sip_msg *msg,
			void *arg)
{
	(void)descp;
	(void)msg;
	(void)arg;

	return 0;
}


static int caller_answer(const struct sip_msg *msg, void *arg)
{
	struct tcaller *tc = arg;

	(void)re_snprintf(tc->answer, sizeof(tc->answer), "%b",
			  mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	tc->answers++;

	return 0;
}


/* ringing: 180 or 183 (sipsess reports 100 Trying too) */
static void caller_progress(const struct sip_msg *msg, void *arg)
{
	struct tcaller *tc = arg;

	if (msg->scode > 100)
		tc->progress = true;
}


static void caller_estab(const struct sip_msg *msg, void *arg)
{
	struct tcaller *tc = arg;
	(void)msg;

	tc->established = true;
}


static void caller_close(int err, const struct sip_msg *msg, void *arg)
{
	struct tcaller *tc = arg;

	tc->closed = true;
	tc->close_err = err;
	tc->close_scode = msg && !msg->req ? msg->scode : 0;
	tc->sess = mem_deref(tc->sess);
}


/* `from` calls `to_user@domain` through the registrar, as alice */
static struct tcaller *caller_call(const char *from, const char *to_user,
				   const char *domain, const char *password)
{
	struct tcaller *tc;
	struct mbuf *offer;
	char to[128], fromuri[128], route[64];
	const char *routev[1];

	tc = mem_zalloc(sizeof(*tc), caller_destructor);
	ck_assert_ptr_nonnull(tc);
	tc->password = password;

	tc->rx.name = "caller";
	fixture_sip_stack(&tc->sip, "tcaller", 32, &tc->rx, &tc->laddr, NULL);
	sip_set_trace_handler(tc->sip, rx_trace);
	ck_assert_int_eq(sipsess_listen(&tc->sock, tc->sip, 32, caller_conn,
					tc), 0);

	(void)re_snprintf(to, sizeof(to), "sip:%s@%s", to_user, domain);
	(void)re_snprintf(fromuri, sizeof(fromuri), "sip:%s@%s", from,
			  domain);
	(void)re_snprintf(route, sizeof(route), "sip:127.0.0.1:%u",
			  reg_port);
	routev[0] = route;

	offer = mbuf_alloc(64);
	ck_assert_ptr_nonnull(offer);
	(void)mbuf_write_str(offer, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
			     "s=caller-offer\r\nc=IN IP4 127.0.0.1\r\n"
			     "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
	offer->pos = 0;

	ck_assert_int_eq(sipsess_connect(&tc->sess, tc->sock, to, NULL,
					 fromuri, from, routev, 1,
					 "application/sdp", offer,
					 caller_auth, tc, false,
					 caller_offer, caller_answer,
					 caller_progress, caller_estab, NULL,
					 NULL, caller_close, tc, NULL), 0);
	mem_deref(offer);

	return tc;
}


static bool caller_done(void *arg)
{
	struct tcaller *tc = arg;

	return tc->established || tc->closed;
}


static bool caller_closed(void *arg)
{
	return ((struct tcaller *)arg)->closed;
}


static bool caller_progress_seen(void *arg)
{
	struct tcaller *tc = arg;

	return tc->progress || tc->closed;
}


/* tc's INVITE refused with scode, its X-Twilio-Error naming code */
static void caller_refused(struct tcaller *tc, uint16_t scode,
			   const char *code)
{
	const struct sip_msg *r;
	char b[128];

	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, scode);
	r = rx_find(&tc->rx, "INVITE", scode, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(hdr(r, "X-Twilio-Error", b, sizeof(b)),
				     code));
}




/* tc's call up: the 180 seen, then (the phone answering after 2 s) the
 * 200 */
static void caller_up(struct tcaller *tc)
{
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	advance(2);
	ck_assert(wait_for(caller_done, tc, 3000));
	ck_assert(tc->established);
}


/* a REFER to bob sent in tc's dialog, and answered */
static void caller_refer(struct tcaller *tc)
{
	ck_assert_int_eq(sip_drequestf(NULL, tc->sip, true, "REFER",
				       sipsess_dialog(tc->sess), 0, NULL,
				       NULL, refer_resp, &tc->refer,
				       "Refer-To: <sip:bob@" DOMAIN ">\r\n"
				       "Content-Length: 0\r\n\r\n"), 0);
	ck_assert(wait_for(refer_answered, &tc->refer, 3000));
}


static unsigned answers_of(const struct tcaller *tc)
{
	return tc->answers;
}


struct count_want {
	const struct tcaller *tc;
	unsigned n;
};


static bool answers_reach(void *arg)
{
	struct count_want *w = arg;

	return answers_of(w->tc) >= w->n;
}


/* ------------------------------------------------------------ fixture */

static void setup(void)
{
	fixture_calls_registrar(&rc, config, &sr, &reg_port);
}


static void teardown(void)
{
	settle(10);
	rc = mem_deref(rc);
	sr = NULL;
}


/* ----------------------------------------------------------- RING-* */

/* RING-1: every binding rung at once, a Via branch each, Max-Forwards
 * one less, From the caller, an SDP offer */
START_TEST(test_RING_1)
{
	struct tphone *p1 = phone_alloc("desk", PH_RING);
	struct tphone *p2 = phone_alloc("mobile", PH_RING);
	struct evlog ev = {0};
	const struct sip_msg *i1, *i2;
	char sid[40], b[256];
	struct call_info ci;

	phone_register(p1, "alice");
	phone_register(p2, "alice");

	outside_call("+14155550199", &ev, sid);
	ck_assert(phone_got(p1, "INVITE", 0, 1));
	ck_assert(phone_got(p2, "INVITE", 0, 1));
	wait_state(sid, CALL_RINGING);

	i1 = rx_find(&p1->rx, "INVITE", 0, 0);
	i2 = rx_find(&p2->rx, "INVITE", 0, 0);

	/* each branch its own Via branch, magic cookie first */
	ck_assert(!strncmp(i1->via.branch.p, "z9hG4bK", 7));
	ck_assert(!strncmp(i2->via.branch.p, "z9hG4bK", 7));
	ck_assert(pl_cmp(&i1->via.branch, &i2->via.branch));
	ck_assert_uint_eq(sip_msg_hdr_count(i1, SIP_HDR_VIA), 1);

	/* the Request-URI is the binding's contact */
	ck_assert(!pl_strcmp(&i1->ruri, p1->contact));
	ck_assert(!pl_strcmp(&i2->ruri, p2->contact));

	/* Max-Forwards 70 - 1 */
	ck_assert_str_eq(hdr(i1, "Max-Forwards", b, sizeof(b)), "69");
	ck_assert_str_eq(hdr(i2, "Max-Forwards", b, sizeof(b)), "69");

	/* From the caller, To the AOR */
	ck_assert(!pl_strcmp(&i1->from.uri.user, "+14155550100"));
	ck_assert(!pl_strcmp(&i1->to.auri, "sip:alice@" DOMAIN));
	ck_assert(pl_isset(&i1->from.tag));

	/* an SDP offer */
	ck_assert(msg_ctype_cmp(&i1->ctyp, "application", "sdp"));
	ck_assert(mbuf_get_left(i1->mb) > 0);
	ck_assert_ptr_nonnull(memmem(mbuf_buf(i1->mb), mbuf_get_left(i1->mb),
				     "m=audio", 7));

	ci = info(sid);
	ck_assert_uint_eq(ci.branches, 2);
	ck_assert_int_eq(ci.state, CALL_RINGING);
	ck_assert(ci.outside);
	ASSERT_LOGGED("RING-1 - call ");
	ck_assert_uint_eq(ev.ringing, 1);

	/* nothing else was sent to the phones */
	settle(50);
	ck_assert_uint_eq(rx_count(&p1->rx, "INVITE"), 1);
	ck_assert_uint_eq(rx_count(&p1->rx, "CANCEL"), 0);

	ck_assert_int_eq(sim_registrar_hangup(sr, sid), 0);
	ck_assert(phone_got(p1, "CANCEL", 0, 1));
	ck_assert(phone_got(p2, "CANCEL", 0, 1));

	mem_deref(p1);
	mem_deref(p2);
}
END_TEST


/* three phones on alice: desk answers after answer_ms, mobile and soft
 * ring until CANCELled */
static void three_phones(struct tphone *all[3], uint32_t answer_ms)
{
	all[0] = phone_alloc("desk", PH_ANSWER);
	all[1] = phone_alloc("mobile", PH_RING);
	all[2] = phone_alloc("soft", PH_RING);

	all[0]->answer_ms = answer_ms;
	for (int i = 0; i < 3; i++)
		phone_register(all[i], "alice");
}


/* RING-2: the first 2xx wins and is ACKed; the others get CANCEL with the
 * Reason, answer 200 and 487, and the 487 is ACKed */
START_TEST(test_RING_2)
{
	struct tphone *all[3], *win;
	struct evlog ev = {0};
	char sid[40], b[256];
	struct call_info ci;

	three_phones(all, 50);
	win = all[0];

	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ANSWERED);

	/* the winner's 2xx is ACKed */
	ck_assert(phone_got(win, "ACK", 0, 1));
	ck_assert_uint_eq(rx_count(&win->rx, "CANCEL"), 0);

	for (int i = 1; i < 3; i++) {
		struct tphone *ph = all[i];
		const struct sip_msg *inv, *cnl, *ack;

		ck_assert(phone_got(ph, "CANCEL", 0, 1));
		inv = rx_find(&ph->rx, "INVITE", 0, 0);
		cnl = rx_find(&ph->rx, "CANCEL", 0, 0);

		/* RFC 3326 Reason, exactly */
		ck_assert_str_eq(hdr(cnl, "Reason", b, sizeof(b)), ELSEWHERE);
		ck_assert(!pl_cmp(&cnl->via.branch, &inv->via.branch));
		ck_assert_uint_eq(cnl->cseq.num, inv->cseq.num);

		/* it answered 200 (CANCEL) and 487 (INVITE): 487 ACKed */
		ck_assert(phone_got(ph, "ACK", 0, 1));
		ack = rx_find(&ph->rx, "ACK", 0, 0);
		ck_assert(!pl_cmp(&ack->via.branch, &inv->via.branch));
		ck_assert_uint_eq(ack->cseq.num, inv->cseq.num);
		ck_assert(pl_isset(&ack->to.tag));
	}

	ci = info(sid);
	ck_assert_str_eq(ci.answered_by, win->contact);
	ck_assert_uint_eq(ci.scode, 200);
	ck_assert_str_eq(ci.rule, "RING-2");
	ck_assert_uint_eq(ci.cancels, 2);
	ASSERT_LOGGED("RING-2 200 call ");
	ASSERT_LOGGED("CANCEL to 2 other branches");

	/* the callee hangs up: the call ends */
	phone_bye(win);
	wait_state(sid, CALL_ENDED);
	ci = info(sid);
	ck_assert_str_eq(ci.ended_by, "callee");
	ck_assert_uint_eq(ci.scode, 200);
	settle(20);
	ck_assert_uint_eq(ev.answered, 1);
	ck_assert_uint_eq(ev.ended, 1);

	for (int i = 0; i < 3; i++)
		mem_deref(all[i]);
}
END_TEST


static bool calls_closed(void *arg)
{
	(void)arg;

	return !calls_closing(sim_registrar_calls(sr));
}


/* RING-2 "which is ACKed" (RFC 3261 17.1.1.3): a CANCELled branch lives
 * until its INVITE transaction ends, whatever happens to its call.  The
 * caller hangs up the moment the call is answered and the losers answer
 * 487 only later; the service then stops as a harness run ends (once
 * calls_closing() says nothing waits).  Each 487 got its ACK first, on
 * the INVITE's Via branch. */
START_TEST(test_RING_2_487_acked_after_hangup)
{
	struct tphone *all[3], *win;
	struct evlog ev = {0};
	char sid[40];

	three_phones(all, 20);
	win = all[0];
	all[1]->cancel_ms = 40;
	all[2]->cancel_ms = 40;

	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ANSWERED);
	ck_assert_int_eq(sim_registrar_hangup(sr, sid), 0);
	ck_assert_int_eq(info(sid).state, CALL_ENDED);

	/* the call is over, its two CANCELled branches are not */
	ck_assert_uint_eq(calls_closing(sim_registrar_calls(sr)), 2);
	ck_assert(wait_for(calls_closed, NULL, 3000));

	/* the service stops; what it sent is on its way */
	rc = mem_deref(rc);
	sr = NULL;
	settle(30);

	ck_assert_ptr_nonnull(rx_find(&win->rx, "BYE", 0, 0));
	for (int i = 1; i < 3; i++) {
		struct tphone *ph = all[i];
		const struct sip_msg *inv, *ack;

		inv = rx_find(&ph->rx, "INVITE", 0, 0);
		ack = rx_find(&ph->rx, "ACK", 0, 0);
		ck_assert_ptr_nonnull(rx_find(&ph->rx, "CANCEL", 0, 0));
		ck_assert_msg(ack != NULL, "%s: its 487 was never ACKed",
			      ph->name);
		ck_assert(!pl_cmp(&ack->via.branch, &inv->via.branch));
		ck_assert_uint_eq(ack->cseq.num, inv->cseq.num);
		ck_assert(pl_isset(&ack->to.tag));
	}

	for (int i = 0; i < 3; i++)
		mem_deref(all[i]);
}
END_TEST


/* RING-2 from a phone: each leg has the service's own SDP (media
 * anchored); a BYE from either side ends both legs */
START_TEST(test_RING_2_b2bua_legs)
{
	struct tphone *win = phone_alloc("desk", PH_ANSWER);
	struct tcaller *tc;
	const struct sip_msg *inv, *bye;

	phone_register(win, "alice");

	tc = caller_call("bob", "alice", "office.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_done, tc, 3000));
	ck_assert(tc->established);

	/* the media is anchored (MEDIA-SDP-1): each leg gets the service's
	 * own SDP, with a port of its own, never the other phone's */
	inv = rx_find(&win->rx, "INVITE", 0, 0);
	ck_assert_ptr_nonnull(inv);
	ck_assert_ptr_null(memmem(mbuf_buf(inv->mb), mbuf_get_left(inv->mb),
				  "s=caller-offer", 14));
	ck_assert_ptr_nonnull(memmem(mbuf_buf(inv->mb), mbuf_get_left(inv->mb),
				     "RTP/AVP 0 8 101", 15));
	ck_assert_ptr_null(strstr(tc->answer, "s=answer-desk"));
	ck_assert_ptr_nonnull(strstr(tc->answer, "m=audio "));
	ck_assert_ptr_null(strstr(tc->answer, "m=audio 4002 "));

	/* two dialogs: the legs share nothing but the media */
	ck_assert(pl_cmp(&inv->callid, &rx_find(&tc->rx, "INVITE", 200, 0)
			 ->callid));

	/* the phone hangs up: the caller gets a BYE */
	phone_bye(win);
	ck_assert(wait_for(caller_closed, tc, 3000));
	bye = rx_find(&tc->rx, "BYE", 0, 0);
	ck_assert_ptr_nonnull(bye);
	ASSERT_LOGGED("the callee hung up: both legs end");

	mem_deref(tc);

	/* and the other way round */
	tc = caller_call("bob", "alice", "office.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_done, tc, 3000));
	ck_assert(tc->established);
	tc->sess = mem_deref(tc->sess);          /* sends BYE */
	ck_assert(phone_got(win, "BYE", 0, 1));
	ASSERT_LOGGED("the caller hung up: both legs end");

	mem_deref(tc);
	mem_deref(win);
}
END_TEST


/* RING-2 with a phone on TCP: the same messages on a stream */
START_TEST(test_RING_2_tcp)
{
	struct tphone *win = phone_alloc_tp("desk", PH_ANSWER, true);
	struct tphone *lose = phone_alloc_tp("mobile", PH_RING, true);
	struct evlog ev = {0};
	char sid[40], b[256];

	win->answer_ms = 50;
	phone_register(win, "alice");
	phone_register(lose, "alice");

	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ANSWERED);
	ck_assert(phone_got(win, "ACK", 0, 1));
	ck_assert(phone_got(lose, "CANCEL", 0, 1));
	ck_assert_str_eq(hdr(rx_find(&lose->rx, "CANCEL", 0, 0), "Reason", b,
			     sizeof(b)), ELSEWHERE);
	ck_assert(phone_got(lose, "ACK", 0, 1));
	ck_assert(!strncmp(rx_find(&lose->rx, "INVITE", 0, 0)->via.val.p,
			   "SIP/2.0/TCP", 11));

	ck_assert_int_eq(sim_registrar_hangup(sr, sid), 0);
	ck_assert(phone_got(win, "BYE", 0, 1));
	wait_state(sid, CALL_ENDED);

	mem_deref(win);
	mem_deref(lose);
}
END_TEST


/* RING-3: an AOR without bindings: no INVITE, no-answer 480 32009 */
START_TEST(test_RING_3)
{
	struct tphone *p = phone_alloc("desk", PH_ANSWER);
	char body[1024], path[128], sid[40];
	struct pl pl;
	struct call_info ci;
	int status;

	/* the control API's POST /calls, as the service's REST API */
	status = regclient_http(rc, "POST", "/calls?from=%2B14155550100&to="
				"%2B14155550199", body, sizeof(body));
	ck_assert_int_eq(status, 201);
	ck_assert(!re_regex(body, strlen(body), "\"sid\":\"[^\"]+\"", &pl));
	(void)pl_strcpy(&pl, sid, sizeof(sid));

	wait_state(sid, CALL_ENDED);
	ci = info(sid);
	ck_assert_uint_eq(ci.scode, 480);
	ck_assert_str_eq(ci.rule, "RING-3");
	ck_assert_uint_eq(ci.twilio_error, 32009);
	ck_assert_uint_eq(ci.branches, 0);
	ASSERT_LOGGED("RING-3 480 call ");

	settle(50);
	ck_assert_uint_eq(rx_count(&p->rx, "INVITE"), 0);

	(void)re_snprintf(path, sizeof(path), "/calls?sid=%s", sid);
	ck_assert_int_eq(regclient_http(rc, "GET", path, body, sizeof(body)),
			 200);
	ck_assert_ptr_nonnull(strstr(body, "\"state\":\"ended\""));
	ck_assert_ptr_nonnull(strstr(body, "\"rule\":\"RING-3\""));
	ck_assert_ptr_nonnull(strstr(body, "\"scode\":480"));

	/* the control API's other answers */
	ck_assert_int_eq(regclient_http(rc, "POST", "/calls?from=%2B1415555"
					"0100&to=%2B14155559999", body,
					sizeof(body)), 404);
	ck_assert_int_eq(regclient_http(rc, "POST", "/calls?to=%2B14155550199",
					body, sizeof(body)), 400);
	ck_assert_int_eq(regclient_http(rc, "GET", "/calls", body,
					sizeof(body)), 200);
	ck_assert_ptr_nonnull(strstr(body, "\"count\":1"));

	/* the number may be written without + and country code */
	ck_assert_int_eq(regclient_http(rc, "POST", "/calls?from=%2B1415555"
					"0100&to=4155550199", body,
					sizeof(body)), 201);
	ck_assert_ptr_nonnull(strstr(body, "\"to\":\"+14155550199\""));

	mem_deref(p);
}
END_TEST


static void ring_4_case(uint16_t c1, uint16_t c2, uint16_t want)
{
	struct tphone *p1 = phone_alloc("desk", PH_FAIL);
	struct tphone *p2 = phone_alloc("mobile", PH_FAIL);
	struct evlog ev = {0};
	struct call_info ci;
	char sid[40];

	p1->fail_code = c1;
	p2->fail_code = c2;
	phone_register(p1, "alice");
	phone_register(p2, "alice");

	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ENDED);

	ci = info(sid);
	ck_assert_msg(ci.scode == want, "%u and %u gave %u, not %u", c1, c2,
		      ci.scode, want);
	ck_assert_str_eq(ci.rule, "RING-4");

	/* every failure was ACKed */
	ck_assert(phone_got(p1, "ACK", 0, 1));
	ck_assert(phone_got(p2, "ACK", 0, 1));
	ck_assert_uint_eq(rx_count(&p1->rx, "CANCEL"), 0);

	mem_deref(p1);
	mem_deref(p2);

	/* the bindings go for the next case */
	sim_registrar_reset(sr);
}


/* RING-4: all branches fail: the best answer (RFC 3261 16.7) */
START_TEST(test_RING_4)
{
	ring_4_case(486, 486, 486);   /* busy everywhere: busy          */
	ring_4_case(486, 603, 603);   /* a 6xx wins                     */
	ring_4_case(486, 480, 480);   /* the lowest class; busy only if
					 everybody was busy             */
	ring_4_case(503, 486, 486);   /* 4xx before 5xx                 */
	ring_4_case(503, 503, 500);   /* a lone 503 becomes 500         */
	ASSERT_LOGGED("RING-4 486 call ");
}
END_TEST


/* RING-5: nobody answers within the Dial timeout (virtual clock) */
START_TEST(test_RING_5)
{
	struct tphone *p1 = phone_alloc("desk", PH_RING);
	struct tphone *p2 = phone_alloc("mobile", PH_RING);
	struct evlog ev = {0};
	struct call_info ci;
	char sid[40];
	char b[128];

	phone_register(p1, "alice");
	phone_register(p2, "alice");

	/* the profile's ring_timeout: 30 s */
	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_RINGING);

	advance(29);
	ck_assert_uint_eq(rx_count(&p1->rx, "CANCEL"), 0);
	ck_assert_int_eq(info(sid).state, CALL_RINGING);

	advance(2);
	ck_assert(phone_got(p1, "CANCEL", 0, 1));
	ck_assert(phone_got(p2, "CANCEL", 0, 1));
	ck_assert(phone_got(p1, "ACK", 0, 1));         /* the 487 */
	ck_assert(phone_got(p2, "ACK", 0, 1));
	ck_assert_str_eq(hdr(rx_find(&p1->rx, "CANCEL", 0, 0), "Reason", b,
			     sizeof(b)), "");
	wait_state(sid, CALL_ENDED);

	ci = info(sid);
	ck_assert_str_eq(ci.rule, "RING-5");
	ck_assert_uint_eq(ci.scode, 480);
	ck_assert_uint_eq(ci.cancels, 2);
	ASSERT_LOGGED("RING-5 480 call ");
	ASSERT_LOGGED("no answer within 30 s");

	/* <Dial timeout="10"> */
	outside_call("+14155550198", &ev, sid);
	ck_assert(phone_got(p1, "INVITE", 0, 2));
	wait_state(sid, CALL_RINGING);
	advance(9);
	ck_assert_uint_eq(rx_count(&p1->rx, "CANCEL"), 1);
	advance(2);
	ck_assert(phone_got(p1, "CANCEL", 0, 2));
	wait_state(sid, CALL_ENDED);
	ASSERT_LOGGED("no answer within 10 s");

	mem_deref(p1);
	mem_deref(p2);
}
END_TEST


/* RING-6: the caller hangs up while ringing: CANCEL to every branch */
START_TEST(test_RING_6)
{
	struct tphone *p1 = phone_alloc("desk", PH_RING);
	struct tphone *p2 = phone_alloc("mobile", PH_RING);
	struct evlog ev = {0};
	struct tcaller *tc;
	struct call_info ci;
	char sid[40];

	phone_register(p1, "alice");
	phone_register(p2, "alice");

	/* the outside caller, through the C API */
	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_RINGING);
	ck_assert_int_eq(sim_registrar_hangup(sr, sid), 0);

	ck_assert(phone_got(p1, "CANCEL", 0, 1));
	ck_assert(phone_got(p2, "CANCEL", 0, 1));
	ck_assert(phone_got(p1, "ACK", 0, 1));
	ck_assert(phone_got(p2, "ACK", 0, 1));

	ci = info(sid);
	ck_assert_int_eq(ci.state, CALL_ENDED);
	ck_assert_str_eq(ci.rule, "RING-6");
	ck_assert_uint_eq(ci.scode, 487);
	ck_assert_str_eq(ci.ended_by, "caller");
	ck_assert_int_eq(sim_registrar_hangup(sr, sid), ENOENT);

	/* a phone caller CANCELs its INVITE */
	tc = caller_call("bob", "alice", "office.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	ck_assert(phone_got(p1, "INVITE", 0, 2));
	ck_assert(phone_got(p2, "INVITE", 0, 2));
	tc->sess = mem_deref(tc->sess);          /* sends CANCEL */
	ck_assert(phone_got(p1, "CANCEL", 0, 2));
	ck_assert(phone_got(p2, "CANCEL", 0, 2));
	settle(50);
	ck_assert_ptr_nonnull(rx_find(&tc->rx, "INVITE", 487, 0));
	ASSERT_LOGGED("RING-6 487 INVITE ");

	mem_deref(tc);
	mem_deref(p1);
	mem_deref(p2);
}
END_TEST


/* RING-7: a 3xx is a failure, not followed (32219) */
START_TEST(test_RING_7)
{
	struct tphone *p = phone_alloc("desk", PH_REDIRECT);
	struct evlog ev = {0};
	struct call_info ci;
	char sid[40];

	phone_register(p, "alice");

	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ENDED);

	ci = info(sid);
	ck_assert_str_eq(ci.rule, "RING-7");
	ck_assert_uint_eq(ci.twilio_error, 32219);
	ck_assert(ci.scode >= 400);
	ck_assert_uint_eq(ci.branches, 1);      /* the 302's Contact: never */
	ck_assert(phone_got(p, "ACK", 0, 1));
	ASSERT_LOGGED("RING-7 302 call ");
	ASSERT_LOGGED("not followed");

	mem_deref(p);
}
END_TEST


/* ------------------------------------------------------- CALL-OUT-* */

/* CALL-OUT-1: 100 Trying at once, then the 407 challenge */
START_TEST(test_CALL_OUT_1)
{
	struct tcaller *tc = caller_call("alice", "+14155551234", DOMAIN, PW);
	const struct sip_msg *r0, *r1;
	char b[512];

	caller_up(tc);

	r0 = rx_find(&tc->rx, "INVITE", 1, 0);
	r1 = rx_find(&tc->rx, "INVITE", 1, 1);
	ck_assert_ptr_nonnull(r0);
	ck_assert_ptr_nonnull(r1);
	ck_assert_uint_eq(r0->scode, 100);
	ck_assert_uint_eq(r1->scode, 407);
	ck_assert(!pl_cmp(&r0->cseq.met, &r1->cseq.met));
	(void)hdr(r1, "Proxy-Authenticate", b, sizeof(b));
	ck_assert_ptr_nonnull(strstr(b, "Digest realm=\"sip.twilio.com\""));
	ck_assert_ptr_nonnull(strstr(b, "qop=\"auth\""));
	ASSERT_LOGGED("CALL-OUT-1 407 INVITE ");

	mem_deref(tc);
}
END_TEST


/* CALL-OUT-2: bad credentials, or no call list mapped: 403 */
START_TEST(test_CALL_OUT_2)
{
	struct tcaller *tc = caller_call("alice", "+14155551234", DOMAIN,
					 "Wrong-Pass-123");

	caller_refused(tc, 403, "32202");
	ASSERT_LOGGED("CALL-OUT-2 403 INVITE ");
	mem_deref(tc);

	/* a domain with no credential list mapped for calls */
	regclient_log_clear(rc);
	tc = caller_call("alice", "+14155551234",
			 "nocalls.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 403);
	ck_assert_ptr_null(rx_find(&tc->rx, "INVITE", 407, 0));
	ASSERT_LOGGED("no credential list mapped for calls");
	mem_deref(tc);
}
END_TEST


/* REG-LIM-RATE: failed digest attempts on INVITE count against the
 * digest username's AOR, with its REGISTERs (5 per second): the 6th
 * attempt within the second is refused 503 before its password is looked
 * at, the right password too, for a known and an unknown username alike
 * (INVITE is no faster way to guess a password than REGISTER) */
static struct tcaller *call_as(const char *user, const char *password)
{
	struct tcaller *tc = caller_call("alice", "+14155551234", DOMAIN,
					 password);

	tc->auth_user = user;     /* asked for once the 407 arrives */
	ck_assert(wait_for(caller_closed, tc, 3000) ||
		  caller_progress_seen(tc));

	return tc;
}


START_TEST(test_REG_LIM_RATE_failed_invites)
{
	static const char *const users[] = {"alice", "mallory"};
	struct reg_opts o = {0};
	struct tcaller *tc;
	const struct sip_msg *r;
	struct sip_msg *m;
	char b[128];

	for (size_t u = 0; u < ARRAY_SIZE(users); u++) {
		for (int i = 0; i < 5; i++) {
			tc = call_as(users[u], "Wrong-Pass-123");
			ck_assert_uint_eq(tc->close_scode, 403);
			mem_deref(tc);
		}

		regclient_log_clear(rc);
		tc = call_as(users[u], PW);
		ck_assert_msg(tc->close_scode == 503, "%s: got %u, not 503",
			      users[u], tc->close_scode);
		r = rx_find(&tc->rx, "INVITE", 503, 0);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(hdr(r, "Retry-After", b, sizeof(b)), "1");
		ck_assert_ptr_nonnull(strstr(hdr(r, "X-Twilio-Error", b,
						 sizeof(b)), "32008"));
		ASSERT_LOGGED("REG-LIM-RATE 503 INVITE ");
		mem_deref(tc);

		if (u)
			continue;

		/* alice's REGISTERs share the window */
		o.user = "alice";
		o.expires = 60;
		m = regclient_register(rc, &o);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->scode, 503);
		ck_assert_str_eq(regclient_last_rule(rc), "REG-LIM-RATE");
		mem_deref(m);
	}

	/* a second later the right password is taken again */
	vclock_advance(1001);
	tc = call_as("alice", PW);
	ck_assert_msg(tc->progress, "no ringing after the window: %u",
		      tc->close_scode);
	mem_deref(tc);
}
END_TEST


/* CALL-OUT-3: authenticated: the domain's application runs; <Say>
 * answers, and the call ends when the application does */
START_TEST(test_CALL_OUT_3)
{
	struct tcaller *tc = caller_call("alice", "hello",
					 "say.sip.us1.twilio.com", PW);

	ck_assert(wait_for(caller_done, tc, 3000));
	ck_assert(tc->established);
	ck_assert_ptr_nonnull(strstr(tc->answer, "m=audio"));
	ASSERT_LOGGED("CALL-OUT-3 - INVITE ");
	ASSERT_LOGGED("alice runs application 'say'");
	ASSERT_LOGGED("CALL-OUT-3 200 INVITE ");

	/* <Say> speaks for say_seconds (3) of virtual time, then BYE */
	advance(2);
	ck_assert(!tc->closed);
	advance(2);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_ptr_nonnull(rx_find(&tc->rx, "BYE", 0, 0));
	mem_deref(tc);

	/* <Pause> before an answer delays it; <Reject reason="busy"/> */
	tc = caller_call("alice", "hello", "reject.sip.us1.twilio.com", PW);
	settle(100);
	ck_assert(!tc->closed);
	advance(5);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 486);
	ck_assert_ptr_null(rx_find(&tc->rx, "INVITE", 200, 0));
	mem_deref(tc);

	/* a domain without a voice application */
	tc = caller_call("alice", "hello", "noapp.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 503);
	mem_deref(tc);
}
END_TEST


/* a method request from alice to ruri (To: ruri, with to_tag when set),
 * a Call-ID of its own, Max-Forwards max_fwd, extra headers: the answer */
static struct sip_msg *raw_request(const char *method, unsigned max_fwd,
				   const char *ruri, const char *extra,
				   const char *to_tag)
{
	return regclient_send(rc, false,
		"%s %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bK%08x\r\n"
		"Max-Forwards: %u\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=f%08x\r\n"
		"To: <%s>%s%s\r\n"
		"Call-ID: raw-%08x\r\nCSeq: 1 %s\r\n"
		"%s"
		"Content-Length: 0\r\n\r\n", method, ruri, rand_u32(),
		max_fwd, rand_u32(), ruri, to_tag ? ";tag=" : "",
		to_tag ? to_tag : "", rand_u32(), method, extra);
}


static struct sip_msg *raw_invite(const char *ruri, const char *extra,
				  const char *to_tag)
{
	return raw_request("INVITE", 70, ruri, extra, to_tag);
}


#define ASSERT_REPLY(m, code, rule) do {				\
		ck_assert_ptr_nonnull(m);				\
		ck_assert_msg((m)->scode == (code), "got %u, not %u",	\
			      (m)->scode, code);			\
		ck_assert_str_eq(regclient_last_rule(rc), rule);	\
		mem_deref(m);						\
	} while (0)


/* what comes before CALL-OUT-1: the request's own checks */
START_TEST(test_invite_checks)
{
	struct sip_msg *m;

	m = raw_invite("sip:bob@other.example.com", "Contact: <sip:a@$L>\r\n",
		       NULL);
	ASSERT_REPLY(m, 404, "REG-DOMAIN-1");

	m = raw_invite("sip:bob@" DOMAIN, "Contact: <sip:a@$L>\r\n"
		       "Require: foo\r\n", NULL);
	ASSERT_REPLY(m, 420, "REG-MSG-1");

	m = raw_invite("sip:bob@" DOMAIN, "", NULL);
	ASSERT_REPLY(m, 400, "REG-MSG-2");

	m = raw_request("INVITE", 0, "sip:bob@" DOMAIN,
			"Contact: <sip:a@$L>\r\n", NULL);
	ASSERT_REPLY(m, 483, "RFC3261");

	/* a re-INVITE, a BYE, a REFER naming no call */
	m = raw_invite("sip:bob@" DOMAIN, "Contact: <sip:a@$L>\r\n",
		       "nosuchcall");
	ASSERT_REPLY(m, 481, "RFC3261");

	m = raw_request("BYE", 70, "sip:bob@" DOMAIN, "", "2");
	ASSERT_REPLY(m, 481, "RFC3261");

	/* the challenge for a well-formed one */
	m = raw_invite("sip:bob@" DOMAIN, "Contact: <sip:a@$L>\r\n", NULL);
	ASSERT_REPLY(m, 407, "CALL-OUT-1");
}
END_TEST


struct pstn_find {
	const char *to;
	const struct pstn_record *rec;
};


static bool pstn_find_h(const struct pstn_record *r, void *arg)
{
	struct pstn_find *pf = arg;

	if (strcmp(r->to, pf->to))
		return false;

	pf->rec = r;

	return false;              /* the newest one */
}


static const struct pstn_record *pstn_got(const char *to)
{
	struct pstn_find pf = {to, NULL};

	pstn_apply(sim_registrar_pstn(sr), pstn_find_h, &pf);

	return pf.rec;
}


/* CALL-OUT-4: {{#e164}}{{To}}{{/e164}}: 4155551234 is +14155551234,
 * abc cannot be a number and the call fails (484, 13223) */
START_TEST(test_CALL_OUT_4)
{
	struct tcaller *tc = caller_call("alice", "4155551234", DOMAIN, PW);
	const struct pstn_record *rec;

	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	rec = pstn_got("+14155551234");
	ck_assert_ptr_nonnull(rec);
	ck_assert_str_eq(rec->from, "+14155550199");
	mem_deref(tc);

	tc = caller_call("alice", "+14155551234", DOMAIN, PW);
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	ck_assert_ptr_nonnull(pstn_got("+14155551234"));
	mem_deref(tc);

	tc = caller_call("alice", "abc", DOMAIN, PW);
	caller_refused(tc, 484, "13223");
	ASSERT_LOGGED("CALL-OUT-4 484 INVITE ");
	ASSERT_LOGGED("'abc' is not a phone number");
	mem_deref(tc);
}
END_TEST


/* CALL-OUT-5: callerId must be verified or a number of the account */
START_TEST(test_CALL_OUT_5)
{
	struct tcaller *tc = caller_call("alice", "+14155551234",
					 "badcid.sip.us1.twilio.com", PW);

	caller_refused(tc, 403, "13214");
	ASSERT_LOGGED("CALL-OUT-5 403 INVITE ");
	ck_assert_ptr_null(pstn_got("+14155551234"));
	mem_deref(tc);

	/* {{From}}: the From user, a verified number: fine */
	tc = caller_call("+14155550100", "+14155551234",
			 "fromcid.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	ck_assert(!tc->closed);
	ck_assert_str_eq(pstn_got("+14155551234")->from, "+14155550100");
	mem_deref(tc);

	/* ... and an unverified one is refused */
	tc = caller_call("+14155550101", "+14155551234",
			 "fromcid.sip.us1.twilio.com", PW);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 403);
	mem_deref(tc);
}
END_TEST


/* CALL-OUT-6: the outside network records, answers, is busy, rings */
START_TEST(test_CALL_OUT_6)
{
	struct tcaller *tc;
	const struct pstn_record *rec;

	/* answers after 2 s: 180, then 200 once the clock moves */
	tc = caller_call("alice", "+14155551234", DOMAIN, PW);
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	ck_assert(!tc->established);
	ck_assert_ptr_nonnull(rx_find(&tc->rx, "INVITE", 180, 0));
	advance(2);
	ck_assert(wait_for(caller_done, tc, 3000));
	ck_assert(tc->established);
	rec = pstn_got("+14155551234");
	ck_assert_int_eq(rec->state, PSTN_ST_ANSWERED);
	ck_assert_str_eq(rec->from, "+14155550199");
	ASSERT_LOGGED("CALL-OUT-6 200 INVITE ");

	/* the caller hangs up: the outside leg ends too */
	tc->sess = mem_deref(tc->sess);
	settle(50);
	rec = pstn_got("+14155551234");
	ck_assert_int_eq(rec->state, PSTN_ST_COMPLETED);
	ck_assert_str_eq(rec->ended_by, "caller");
	mem_deref(tc);

	/* busy */
	tc = caller_call("alice", "+14155550123", DOMAIN, PW);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 486);
	ck_assert_int_eq(pstn_got("+14155550123")->state, PSTN_ST_BUSY);
	ASSERT_LOGGED("CALL-OUT-6 486 INVITE ");
	mem_deref(tc);

	/* rings and never answers: no answer after the Dial timeout */
	tc = caller_call("alice", "+14155550125", DOMAIN, PW);
	ck_assert(wait_for(caller_progress_seen, tc, 3000));
	advance(31);
	ck_assert(wait_for(caller_closed, tc, 3000));
	ck_assert_uint_eq(tc->close_scode, 480);
	ck_assert_int_eq(pstn_got("+14155550125")->state,
			 PSTN_ST_CANCELLED);
	mem_deref(tc);
}
END_TEST


/* ------------------------------------------------------------ REFER-1 */

/* REFER-1: REFER inside a call is refused (405 with Allow); the call
 * goes on: no BYE, and a re-INVITE and a BYE still work */
START_TEST(test_REFER_1)
{
	struct tcaller *tc = caller_call("alice", "+14155551234", DOMAIN, PW);
	struct tphone *win = phone_alloc("desk", PH_ANSWER);
	struct count_want cw;
	struct evlog ev = {0};
	struct mbuf *sdp;
	char sid[40];

	caller_up(tc);

	caller_refer(tc);
	ck_assert_uint_eq(tc->refer.scode, 405);
	ck_assert(tc->refer.allow_invite);
	ck_assert(!tc->refer.allow_refer);
	ASSERT_LOGGED("REFER-1 405 REFER ");

	/* the call goes on */
	settle(100);
	ck_assert(!tc->closed);
	ck_assert_ptr_null(rx_find(&tc->rx, "BYE", 0, 0));
	ck_assert_int_eq(pstn_got("+14155551234")->state, PSTN_ST_ANSWERED);

	/* a re-INVITE is answered */
	sdp = mbuf_alloc(64);
	(void)mbuf_write_str(sdp, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
			     "s=caller-hold\r\nc=IN IP4 127.0.0.1\r\n"
			     "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
			     "a=sendonly\r\n");
	sdp->pos = 0;
	cw.tc = tc;
	cw.n = tc->answers + 1;
	ck_assert_int_eq(sipsess_modify(tc->sess, sdp), 0);
	mem_deref(sdp);
	ck_assert(wait_for(answers_reach, &cw, 3000));
	ck_assert_ptr_nonnull(rx_find(&tc->rx, "INVITE", 200, 1));
	ck_assert(!tc->closed);

	/* and a BYE */
	tc->sess = mem_deref(tc->sess);
	settle(50);
	ck_assert_ptr_nonnull(rx_find(&tc->rx, "BYE", 200, 0));
	ck_assert_int_eq(pstn_got("+14155551234")->state,
			 PSTN_ST_COMPLETED);
	mem_deref(tc);

	/* the phone that answered presses transfer: refused as well */
	phone_register(win, "alice");
	outside_call("+14155550199", &ev, sid);
	wait_state(sid, CALL_ANSWERED);
	ck_assert_int_eq(sip_drequestf(NULL, win->sip, true, "REFER",
				       win->dlg, 0, NULL, NULL,
				       refer_resp, &win->refer,
				       "Refer-To: <sip:carol@" DOMAIN ">\r\n"
				       "Content-Length: 0\r\n\r\n"), 0);
	ck_assert(wait_for(refer_answered, &win->refer, 3000));
	ck_assert_uint_eq(win->refer.scode, 405);
	ck_assert(win->refer.allow_bye);
	settle(50);
	ck_assert_int_eq(info(sid).state, CALL_ANSWERED);
	ck_assert_uint_eq(rx_count(&win->rx, "BYE"), 0);

	ck_assert_int_eq(sim_registrar_hangup(sr, sid), 0);
	ck_assert(phone_got(win, "BYE", 0, 1));
	mem_deref(win);
}
END_TEST


/* REFER-1's code is a profile setting (refer_reply: 403, 501, 603) */
START_TEST(test_REFER_1_profile)
{
	char yaml[sizeof(config) + 64];
	struct tcaller *tc;

	(void)re_snprintf(yaml, sizeof(yaml), "%sprofile: {refer_reply: 603}\n",
			  config);
	fixture_calls_registrar(&rc, yaml, &sr, &reg_port);

	tc = caller_call("alice", "+14155551234", DOMAIN, PW);
	caller_up(tc);

	caller_refer(tc);
	ck_assert_uint_eq(tc->refer.scode, 603);
	ASSERT_LOGGED("REFER-1 603 REFER ");
	settle(50);
	ck_assert(!tc->closed);

	mem_deref(tc);
}
END_TEST


FIXTURE_MAIN("calls",
	FIXTURE_CASE("calls", setup, teardown, 30, 0,
		test_RING_1, test_RING_2, test_RING_2_487_acked_after_hangup,
		test_RING_2_b2bua_legs, test_RING_2_tcp, test_RING_3,
		test_RING_4, test_RING_5, test_RING_6, test_RING_7,
		test_invite_checks, test_CALL_OUT_1, test_CALL_OUT_2,
		test_REG_LIM_RATE_failed_invites, test_CALL_OUT_3,
		test_CALL_OUT_4, test_CALL_OUT_5, test_CALL_OUT_6,
		test_REFER_1, test_REFER_1_profile))
