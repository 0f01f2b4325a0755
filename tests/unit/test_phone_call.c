/**
 * @file test_phone_call.c  Calls of the simulated phones against a small
 * libre peer on 127.0.0.1 (the B2BUA's part): incoming INVITE with 100,
 * 180, 200 + SDP and ACK; CANCEL with Reason; auto-reject; ignore; BYE
 * both ways; outgoing INVITE with a 407 challenge; REFER refused with
 * 405; two phones on one shared stack; a phone destroyed mid-call
 */

#include <check.h>
#include "fixture.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "phone.h"


#define DOMAIN   FIXTURE_DOMAIN
#define REALM    "sip.twilio.com"
#define PASSWORD FIXTURE_PASSWORD
#define UA       "sipconform-sim-phone/0.1"
#define REASON   "SIP;cause=200;text=\"Call completed elsewhere\""
#define CALLEE   "sip:+14155551234@" DOMAIN
#define PEER_SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n" \
	"a=rtpmap:0 PCMU/8000\r\n"

enum { MAXMSG = 128, MAXEV = 256 };


/* ---- the peer: a libre stack playing the B2BUA ------------------- */

static struct peer {
	struct sip *sip;
	struct sip_lsnr *lsnr_req;
	struct sip_lsnr *lsnr_resp;
	struct sa laddr;           /* UDP                                */
	struct sa tcp;
	enum sip_transp tp;        /* of its own requests                */
	char contact[128];         /* its Contact for that transport     */
	char nonce[24];

	/* as UAS of the phones' INVITEs */
	bool challenge;            /* 407 to INVITEs without credentials */
	bool ring_only;            /* 180, never 200                     */
	unsigned auth_ok;
	unsigned auth_bad;
	struct sip_strans *st;
	struct sip_msg *inv;       /* the INVITE it answers              */
	struct mbuf *mb200;        /* its 200, to send again             */

	/* everything it received, in order */
	struct sip_msg *rx[MAXMSG];
	size_t rxc;
} peer;

/* a call the peer places to a phone (raw messages: its own branch) */
struct pcall {
	struct sa dst;
	char ruri[128];
	char callid[40];
	char ftag[24];
	char branch[40];
};


static void peer_trace(bool tx, enum sip_transp tp, const struct sa *src,
		       const struct sa *dst, const uint8_t *pkt, size_t len,
		       void *arg)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	(void)dst;
	(void)arg;

	if (tx || peer.rxc >= MAXMSG)
		return;

	mb = mbuf_alloc(len);
	ck_assert_ptr_nonnull(mb);
	(void)mbuf_write_mem(mb, pkt, len);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb)) {
		msg->src = *src;
		msg->tp  = tp;
		peer.rx[peer.rxc++] = msg;
	}

	mem_deref(mb);
}


static void peer_cancel_h(void *arg)
{
	(void)arg;

	(void)sip_treply(&peer.st, peer.sip, peer.inv, 487,
			 "Request Terminated");
}


static int peer_auth(const struct sip_msg *msg, const struct sip_hdr *hdr)
{
	struct httpauth_digest_resp resp;
	uint8_t ha1[MD5_SIZE];

	if (httpauth_digest_response_decode(&resp, &hdr->val))
		return EBADMSG;

	if (pl_strcmp(&resp.username, "alice") ||
	    pl_strcmp(&resp.realm, REALM) ||
	    pl_strcmp(&resp.nonce, peer.nonce) ||
	    pl_cmp(&resp.uri, &msg->ruri) ||
	    pl_strcmp(&resp.qop, "auth"))
		return EPROTO;

	if (md5_printf(ha1, "%r:%s:%s", &resp.username, REALM, PASSWORD))
		return ENOMEM;

	return httpauth_digest_response_auth(&resp, &msg->met, ha1);
}


static const struct sa *peer_addr(enum sip_transp tp)
{
	return tp == SIP_TRANSP_TCP ? &peer.tcp : &peer.laddr;
}


static const char *peer_contact(enum sip_transp tp)
{
	re_snprintf(peer.contact, sizeof(peer.contact), "<sip:b2bua@%J%s>",
		    peer_addr(tp), tp == SIP_TRANSP_TCP ? ";transport=tcp" :
		    "");

	return peer.contact;
}


static void peer_uas_invite(const struct sip_msg *msg)
{
	const struct sip_hdr *hdr;

	if (peer.challenge) {
		hdr = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
		if (!hdr) {
			(void)sip_treplyf(NULL, NULL, peer.sip, msg, false,
					  407, "Proxy Authentication Required",
					  "Proxy-Authenticate: Digest realm=\""
					  REALM "\", nonce=\"%s\", qop=\"auth\""
					  ", algorithm=MD5\r\n"
					  "Content-Length: 0\r\n\r\n",
					  peer.nonce);
			return;
		}

		if (peer_auth(msg, hdr)) {
			++peer.auth_bad;
			(void)sip_treply(NULL, peer.sip, msg, 403,
					 "Forbidden");
			return;
		}

		++peer.auth_ok;
	}

	ck_assert_int_eq(sip_strans_alloc(&peer.st, peer.sip, msg,
					  peer_cancel_h, NULL), 0);
	mem_deref(peer.inv);
	peer.inv = mem_ref((void *)msg);

	ck_assert_int_eq(sip_treplyf(&peer.st, NULL, peer.sip, msg, true,
				     180, "Ringing",
				     "Contact: %s\r\n"
				     "Content-Length: 0\r\n\r\n",
				     peer_contact(msg->tp)), 0);
	if (peer.ring_only)
		return;

	ck_assert_int_eq(sip_treplyf(&peer.st, &peer.mb200, peer.sip, msg,
				     true, 200, "OK",
				     "Contact: %s\r\n"
				     "Content-Type: application/sdp\r\n"
				     "Content-Length: %zu\r\n\r\n%s",
				     peer_contact(msg->tp), strlen(PEER_SDP),
				     PEER_SDP), 0);
}


static bool peer_req(const struct sip_msg *msg, void *arg)
{
	(void)arg;

	if (!pl_strcmp(&msg->met, "INVITE") && !pl_isset(&msg->to.tag))
		peer_uas_invite(msg);
	else if (!pl_strcmp(&msg->met, "BYE"))
		(void)sip_treply(NULL, peer.sip, msg, 200, "OK");
	else if (!pl_strcmp(&msg->met, "REFER"))
		(void)sip_treplyf(NULL, NULL, peer.sip, msg, false, 405,
				  "Method Not Allowed",
				  "Allow: INVITE, ACK, CANCEL, BYE\r\n"
				  "Content-Length: 0\r\n\r\n");
	else if (pl_strcmp(&msg->met, "ACK"))
		return false;

	return true;
}


/* responses to the peer's raw requests: recorded by the trace */
static bool peer_resp(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;

	return true;
}


static void peer_start(void)
{
	memset(&peer, 0, sizeof(peer));
	re_snprintf(peer.nonce, sizeof(peer.nonce), "%016llx", rand_u64());

	fixture_sip_stack(&peer.sip, "test-b2bua", 32, NULL, &peer.laddr,
			  &peer.tcp);
	peer.tp = SIP_TRANSP_UDP;
	ck_assert_int_eq(sip_listen(&peer.lsnr_req, peer.sip, true, peer_req,
				    NULL), 0);
	ck_assert_int_eq(sip_listen(&peer.lsnr_resp, peer.sip, false,
				    peer_resp, NULL), 0);
	sip_set_trace_handler(peer.sip, peer_trace);
}


static void peer_stop(void)
{
	size_t i;

	for (i = 0; i < peer.rxc; i++)
		mem_deref(peer.rx[i]);

	mem_deref(peer.st);
	mem_deref(peer.inv);
	mem_deref(peer.mb200);
	mem_deref(peer.lsnr_req);
	mem_deref(peer.lsnr_resp);
	mem_deref(peer.sip);
	memset(&peer, 0, sizeof(peer));
}


static void peer_sendf(const struct sa *dst, const char *fmt, ...)
{
	struct mbuf *mb = mbuf_alloc(1024);
	va_list ap;
	int err;

	ck_assert_ptr_nonnull(mb);
	va_start(ap, fmt);
	err = mbuf_vprintf(mb, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(err, 0);

	mb->pos = 0;
	ck_assert_int_eq(sip_send(peer.sip, NULL, peer.tp, dst, mb), 0);
	mem_deref(mb);
}


/* INVITE to user at dst (Request-URI the Contact, To the AOR) */
static void peer_invite(struct pcall *pc, const char *user,
			const struct sa *dst)
{
	memset(pc, 0, sizeof(*pc));
	pc->dst = *dst;
	re_snprintf(pc->ruri, sizeof(pc->ruri), "sip:%s@%J", user, dst);
	re_snprintf(pc->callid, sizeof(pc->callid), "%016llx@b2bua",
		    rand_u64());
	re_snprintf(pc->ftag, sizeof(pc->ftag), "%016llx", rand_u64());
	re_snprintf(pc->branch, sizeof(pc->branch), "z9hG4bK%016llx",
		    rand_u64());

	peer_sendf(dst, "INVITE %s SIP/2.0\r\n"
		   "Via: SIP/2.0/%s %J;branch=%s;rport\r\n"
		   "Max-Forwards: 69\r\n"
		   "From: <sip:+14155550100@" DOMAIN ">;tag=%s\r\n"
		   "To: <sip:%s@" DOMAIN ">\r\n"
		   "Call-ID: %s\r\n"
		   "CSeq: 1 INVITE\r\n"
		   "Contact: %s\r\n"
		   "Content-Type: application/sdp\r\n"
		   "Content-Length: %zu\r\n\r\n%s",
		   pc->ruri, sip_transp_name(peer.tp), peer_addr(peer.tp),
		   pc->branch, pc->ftag, user, pc->callid,
		   peer_contact(peer.tp), strlen(PEER_SDP), PEER_SDP);
}


static void peer_cancel(const struct pcall *pc)
{
	peer_sendf(&pc->dst, "CANCEL %s SIP/2.0\r\n"
		   "Via: SIP/2.0/%s %J;branch=%s;rport\r\n"
		   "Max-Forwards: 70\r\n"
		   "From: <sip:+14155550100@" DOMAIN ">;tag=%s\r\n"
		   "To: <sip:x@" DOMAIN ">\r\n"
		   "Call-ID: %s\r\n"
		   "CSeq: 1 CANCEL\r\n"
		   "Reason: " REASON "\r\n"
		   "Content-Length: 0\r\n\r\n",
		   pc->ruri, sip_transp_name(peer.tp), peer_addr(peer.tp),
		   pc->branch, pc->ftag, pc->callid);
}


/* a request in the call's dialog: ACK or BYE, on a branch of its own or
 * (ACK of a non-2xx) the INVITE's */
static void peer_dialog_req(const struct pcall *pc, const struct sip_msg *resp,
			    const char *met, uint32_t cseq, const char *branch)
{
	peer_sendf(&pc->dst, "%s %s SIP/2.0\r\n"
		   "Via: SIP/2.0/%s %J;branch=%s;rport\r\n"
		   "Max-Forwards: 70\r\n"
		   "From: <sip:+14155550100@" DOMAIN ">;tag=%s\r\n"
		   "To: %r\r\n"
		   "Call-ID: %s\r\n"
		   "CSeq: %u %s\r\n"
		   "Content-Length: 0\r\n\r\n",
		   met, pc->ruri, sip_transp_name(peer.tp), peer_addr(peer.tp),
		   branch, pc->ftag, &resp->to.val, pc->callid, cseq, met);
}


/* ACK of a final response: of a 2xx (new branch, to the Contact) or not
 * (the INVITE's branch) */
static void peer_ack(const struct pcall *pc, const struct sip_msg *resp)
{
	char branch[40];

	re_snprintf(branch, sizeof(branch), "z9hG4bK%016llx", rand_u64());
	peer_dialog_req(pc, resp, "ACK", 1,
			resp->scode < 300 ? branch : pc->branch);
}


static void peer_bye(const struct pcall *pc, const struct sip_msg *resp)
{
	char branch[40];

	re_snprintf(branch, sizeof(branch), "z9hG4bK%016llx", rand_u64());
	peer_dialog_req(pc, resp, "BYE", 2, branch);
}


static const struct sip_msg *peer_got(const char *callid, const char *met,
				      uint16_t scode, size_t n)
{
	size_t i;

	for (i = 0; i < peer.rxc; i++) {
		const struct sip_msg *m = peer.rx[i];

		if (callid && pl_strcmp(&m->callid, callid))
			continue;

		if (met) {
			if (!m->req || pl_strcmp(&m->met, met))
				continue;
		}
		else if (m->req || (scode && m->scode != scode)) {
			continue;
		}

		if (!n--)
			return m;
	}

	return NULL;
}


static size_t peer_count(const char *callid, const char *met,
			 uint16_t scode)
{
	size_t n = 0;

	while (peer_got(callid, met, scode, n))
		++n;

	return n;
}


static bool hdr_is(const struct sip_msg *msg, enum sip_hdrid id,
		   const char *val)
{
	const struct sip_hdr *hdr = sip_msg_hdr(msg, id);

	return hdr && !pl_strcmp(&hdr->val, val);
}


/* the body contains s */
static bool body_has(const struct sip_msg *msg, const char *s)
{
	const size_t n = strlen(s);
	const char *p = (const char *)mbuf_buf(msg->mb);
	size_t left = mbuf_get_left(msg->mb);

	for (; left >= n; ++p, --left) {
		if (!memcmp(p, s, n))
			return true;
	}

	return false;
}


/* ---- phone events and the loop ----------------------------------- */

struct evrec {
	struct phone *phone;
	enum phone_event_type type;
	struct phone_call *call;
	uint16_t scode;
	int err;
	enum phone_call_end end;
	enum phone_call_state cstate;
	bool retrans;
	bool req;
	char met[16];
	char ruri_user[32];
	char reason_hdr[128];
	char callid[64];
};

static struct evrec evv[MAXEV];
static size_t evc;
static struct phone *ph;
static struct phone *ph2;


static void event_handler(struct phone *phone, const struct phone_event *ev,
			  void *arg)
{
	const struct sip_hdr *hdr;
	struct evrec *r;
	(void)arg;

	if (evc >= MAXEV)
		return;

	r = &evv[evc++];
	*r = (struct evrec){
		.phone   = phone,
		.type    = ev->type,
		.call    = ev->call,
		.scode   = ev->scode,
		.err     = ev->err,
		.end     = ev->end,
		.retrans = ev->retrans,
		.cstate  = phone_call_state(ev->call),
	};

	if (ev->type >= PHONE_EV_RECEIVED) {
		ck_assert_int_eq(ev->op, PHONE_OP_CALL);
		ck_assert_ptr_eq(phone_call_phone(ev->call), ev->call ?
				 phone : NULL);
	}

	if (!ev->msg)
		return;

	r->req = ev->msg->req;
	(void)pl_strcpy(&ev->msg->callid, r->callid, sizeof(r->callid));
	if (ev->msg->req) {
		(void)pl_strcpy(&ev->msg->met, r->met, sizeof(r->met));
		(void)pl_strcpy(&ev->msg->uri.user, r->ruri_user,
				sizeof(r->ruri_user));
	}

	hdr = sip_msg_hdr(ev->msg, SIP_HDR_REASON);
	if (hdr)
		(void)pl_strcpy(&hdr->val, r->reason_hdr,
				sizeof(r->reason_hdr));
}


static size_t count_ev(const struct phone *phone, enum phone_event_type type)
{
	size_t i, n = 0;

	for (i = 0; i < evc; i++)
		n += evv[i].type == type && (!phone || evv[i].phone == phone);

	return n;
}


static const struct evrec *last_ev(const struct phone *phone,
				   enum phone_event_type type)
{
	size_t i;

	for (i = evc; i > 0; i--) {
		if (evv[i - 1].type == type &&
		    (!phone || evv[i - 1].phone == phone))
			return &evv[i - 1];
	}

	return NULL;
}


static size_t index_ev(const struct phone *phone, enum phone_event_type type)
{
	size_t i;

	for (i = 0; i < evc; i++) {
		if (evv[i].type == type && evv[i].phone == phone)
			return i;
	}

	return (size_t)-1;
}


static void setup(void)
{
	fixture_begin(2);
	peer_start();
	evc = 0;
	ph = ph2 = NULL;
}


static void teardown(void)
{
	ph = mem_deref(ph);
	ph2 = mem_deref(ph2);
	peer_stop();
	fixture_end();
}


static void conf_init(struct phone_conf *conf)
{
	fixture_phone_conf(conf, &peer.laddr);
}


static struct phone *new_phone(const struct phone_conf *conf)
{
	struct phone *phone = NULL;

	ck_assert_int_eq(phone_alloc(&phone, conf, event_handler, NULL), 0);

	return phone;
}


/* ---- conditions --------------------------------------------------- */

static struct pcall pc;
static struct phone_call *call;      /* the call under test      */
static uint16_t want_scode;
static const char *want_met;
static size_t want_n;
static enum phone_event_type want_ev;


/* a phone that answers as told, and the peer's INVITE to it */
static void invite_new_phone(struct phone_conf *conf,
			     enum phone_answer_policy how)
{
	conf_init(conf);
	conf->answer = how;
	ph = new_phone(conf);
	peer_invite(&pc, "alice", phone_laddr(ph));
}


static bool got_ev(void)
{
	return count_ev(ph, want_ev) >= want_n;
}


static bool got_resp(void)
{
	return peer_count(pc.callid, NULL, want_scode) >= want_n;
}


static bool got_req(void)
{
	return peer_count(NULL, want_met, 0) >= want_n;
}


static void wait_ev(enum phone_event_type type, size_t n)
{
	want_ev = type;
	want_n  = n;
	ck_assert_msg(fixture_run_until(got_ev, 1000), "no %s event",
		      phone_event_name(type));
}


static void wait_resp(uint16_t scode, size_t n)
{
	want_scode = scode;
	want_n     = n;
	ck_assert_msg(fixture_run_until(got_resp, 1000), "no %u response", scode);
}


static void wait_req(const char *met, size_t n)
{
	want_met = met;
	want_n   = n;
	ck_assert_msg(fixture_run_until(got_req, 1000), "no %s request", met);
}


static struct phone_call *incoming_call(void)
{
	const struct evrec *r;

	wait_ev(PHONE_EV_CALL_INCOMING, 1);
	r = last_ev(ph, PHONE_EV_CALL_INCOMING);
	ck_assert_ptr_nonnull(r->call);

	return r->call;
}


/* ---- tests -------------------------------------------------------- */

/* manual answer: INVITE reported after its 100; ring gives 180 with a To
 * tag and Contact; answer gives 200 with SDP and the same tag, resent
 * until the ACK; the ACK establishes; a BYE from the peer gets 200 */
START_TEST(test_incoming_manual)
{
	const struct sip_msg *m100, *m180, *m200, *inv;
	const struct evrec *r;
	struct phone_conf conf;
	size_t n200;

	conf_init(&conf);
	ph = new_phone(&conf);

	peer_invite(&pc, "alice", phone_laddr(ph));
	call = incoming_call();

	/* RECEIVED (no call yet), the 100 as SENT, then INCOMING */
	ck_assert_uint_lt(index_ev(ph, PHONE_EV_RECEIVED),
			  index_ev(ph, PHONE_EV_CALL_INCOMING));
	ck_assert_ptr_null(evv[index_ev(ph, PHONE_EV_RECEIVED)].call);
	ck_assert_str_eq(evv[index_ev(ph, PHONE_EV_RECEIVED)].met, "INVITE");
	ck_assert_uint_lt(index_ev(ph, PHONE_EV_SENT),
			  index_ev(ph, PHONE_EV_CALL_INCOMING));
	ck_assert_uint_eq(evv[index_ev(ph, PHONE_EV_SENT)].scode, 100);
	r = last_ev(ph, PHONE_EV_CALL_INCOMING);
	ck_assert_str_eq(r->met, "INVITE");
	ck_assert_str_eq(r->ruri_user, "alice");

	ck_assert(phone_call_incoming(call));
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_INCOMING);
	ck_assert_str_eq(phone_call_callid(call), pc.callid);
	ck_assert_str_eq(phone_call_remote_uri(call),
			 "sip:+14155550100@" DOMAIN);
	ck_assert_uint_eq(phone_call_count(ph), 1);
	ck_assert_ptr_eq(phone_call_latest(ph), call);
	inv = phone_call_msg(call);
	ck_assert(!pl_strcmp(&inv->met, "INVITE"));

	wait_resp(100, 1);
	m100 = peer_got(pc.callid, NULL, 100, 0);
	ck_assert(!pl_isset(&m100->to.tag));
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 0), 1);

	/* not answered: no 180 nor 200 on its own */
	ck_assert_int_eq(phone_call_hangup(NULL), EINVAL);
	ck_assert_int_eq(phone_call_refer(call, CALLEE), EPROTO);
	ck_assert_int_eq(phone_call_cancel(call), EPROTO);

	ck_assert_int_eq(phone_call_ring(call), 0);
	wait_resp(180, 1);
	m180 = peer_got(pc.callid, NULL, 180, 0);
	ck_assert(pl_isset(&m180->to.tag));
	ck_assert(sip_msg_hdr(m180, SIP_HDR_CONTACT) != NULL);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_RINGING);

	ck_assert_int_eq(phone_call_answer(call, 0), 0);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_ANSWERED);
	ck_assert_int_eq(phone_call_answer(call, 0), EPROTO);
	ck_assert_int_eq(phone_call_reject(call, 486), EPROTO);

	/* no ACK yet: the 200 comes again (T1 = 500 ms) */
	wait_resp(200, 2);
	m200 = peer_got(pc.callid, NULL, 200, 0);
	ck_assert(!pl_cmp(&m200->to.tag, &m180->to.tag));
	ck_assert(hdr_is(m200, SIP_HDR_CONTENT_TYPE, "application/sdp"));
	ck_assert(hdr_is(m200, SIP_HDR_SERVER, UA));
	ck_assert(sip_msg_hdr(m200, SIP_HDR_CONTACT) != NULL);
	ck_assert(body_has(m200, "RTP/AVP 0\r\n"));
	ck_assert(body_has(m200, "a=rtpmap:0 PCMU/8000"));
	ck_assert(body_has(m200, "c=IN IP4 127.0.0.1"));
	ck_assert_uint_eq(phone_call_scode(call), 200);
	r = last_ev(ph, PHONE_EV_SENT);
	ck_assert(r->retrans);

	peer_ack(&pc, m200);
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_ESTABLISHED);
	ck_assert(!pl_strcmp(&phone_call_msg(call)->met, "ACK"));

	/* ACKed: no more 200s */
	n200 = peer_count(pc.callid, NULL, 200);
	(void)fixture_run_until(NULL, 700);
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 200), n200);

	/* BYE from the far end: 200, BYE then CLOSED */
	peer_bye(&pc, m200);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);
	wait_resp(200, n200 + 1);
	ck_assert(!pl_strcmp(&peer_got(pc.callid, NULL, 200, n200)->cseq.met,
			     "BYE"));
	ck_assert_uint_eq(count_ev(ph, PHONE_EV_CALL_BYE), 1);
	ck_assert_str_eq(last_ev(ph, PHONE_EV_CALL_BYE)->met, "BYE");
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_REMOTE_BYE);
	ck_assert_uint_eq(r->scode, 200);
	ck_assert_int_eq(r->cstate, PHONE_CALL_CLOSED);
	ck_assert_uint_eq(phone_call_count(ph), 0);
	ck_assert_ptr_null(phone_call_latest(ph));
}
END_TEST


/* CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE (same To
 * tag as the 180), the event carries the CANCEL with its Reason */
START_TEST(test_incoming_cancel)
{
	const struct sip_msg *m180, *m487, *mc;
	const struct evrec *r;
	struct phone_conf conf;

	conf_init(&conf);
	ph = new_phone(&conf);

	peer_invite(&pc, "alice", phone_laddr(ph));
	call = incoming_call();
	ck_assert_int_eq(phone_call_ring(call), 0);
	wait_resp(180, 1);
	m180 = peer_got(pc.callid, NULL, 180, 0);

	peer_cancel(&pc);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);
	wait_resp(487, 1);

	mc = peer_got(pc.callid, NULL, 200, 0);
	ck_assert_ptr_nonnull(mc);
	ck_assert(!pl_strcmp(&mc->cseq.met, "CANCEL"));
	m487 = peer_got(pc.callid, NULL, 487, 0);
	ck_assert(!pl_strcmp(&m487->cseq.met, "INVITE"));
	ck_assert(!pl_cmp(&m487->to.tag, &m180->to.tag));

	r = last_ev(ph, PHONE_EV_CALL_CANCELLED);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->met, "CANCEL");
	ck_assert_str_eq(r->reason_hdr, REASON);
	ck_assert_uint_lt(index_ev(ph, PHONE_EV_CALL_CANCELLED),
			  index_ev(ph, PHONE_EV_CALL_CLOSED));
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_CANCELLED);
	ck_assert_uint_eq(r->scode, 487);
	ck_assert_str_eq(r->reason_hdr, REASON);

	/* the 487 is resent until its ACK (the stack's transaction) */
	peer_ack(&pc, m487);
	(void)fixture_run_until(NULL, 100);
	ck_assert_uint_eq(phone_call_count(ph), 0);
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 487), 1);
}
END_TEST


/* auto-reject: 100 then 486 at once, ACKed; CLOSED says rejected */
START_TEST(test_auto_reject)
{
	const struct evrec *r;
	struct phone_conf conf;

	invite_new_phone(&conf, PHONE_ANSWER_REJECT);
	wait_resp(486, 1);
	peer_ack(&pc, peer_got(pc.callid, NULL, 486, 0));
	wait_ev(PHONE_EV_CALL_CLOSED, 1);

	ck_assert_uint_eq(peer_count(pc.callid, NULL, 100), 1);
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 180), 0);
	ck_assert_str_eq(phone_call_end_name(PHONE_END_REJECTED), "rejected");
	ck_assert_uint_eq(count_ev(ph, PHONE_EV_CALL_INCOMING), 1);
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_REJECTED);
	ck_assert_uint_eq(r->scode, 486);

	/* a code outside 300-699 is refused */
	conf.reject_code = 200;
	ck_assert_int_eq(phone_alloc(&ph2, &conf, NULL, NULL), EINVAL);
}
END_TEST


/* ignore: nothing beyond the 100 until the CANCEL, which gets 487 */
START_TEST(test_ignore)
{
	struct phone_conf conf;

	invite_new_phone(&conf, PHONE_ANSWER_IGNORE);
	wait_resp(100, 1);
	(void)fixture_run_until(NULL, 400);
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 0), 1);
	ck_assert_uint_eq(count_ev(ph, PHONE_EV_CALL_INCOMING), 1);
	ck_assert_int_eq(phone_call_state(phone_call_latest(ph)),
			 PHONE_CALL_INCOMING);

	peer_cancel(&pc);
	wait_resp(487, 1);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);
	ck_assert_str_eq(last_ev(ph, PHONE_EV_CALL_CANCELLED)->reason_hdr,
			 REASON);
	ck_assert_int_eq(last_ev(ph, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_CANCELLED);
}
END_TEST


/* auto-answer after a delay on virtual time: 180 at once, 200 when the
 * clock gets there; then the phone hangs up: BYE in the dialog */
START_TEST(test_auto_answer_hangup)
{
	const struct sip_msg *m200, *bye;
	const struct evrec *r;
	struct phone_conf conf;

	conf_init(&conf);
	conf.answer = PHONE_ANSWER_AUTO;
	conf.answer_delay = 60000;
	ph = new_phone(&conf);

	peer_invite(&pc, "alice", phone_laddr(ph));
	wait_resp(180, 1);
	(void)fixture_run_until(NULL, 100);
	ck_assert_uint_eq(peer_count(pc.callid, NULL, 200), 0);

	vclock_advance(60000);
	vtimer_poll();
	wait_resp(200, 1);
	m200 = peer_got(pc.callid, NULL, 200, 0);
	ck_assert(!pl_cmp(&m200->to.tag,
			  &peer_got(pc.callid, NULL, 180, 0)->to.tag));
	call = phone_call_latest(ph);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_ANSWERED);

	peer_ack(&pc, m200);
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);

	ck_assert_int_eq(phone_call_hangup(call), 0);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_CLOSING);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);

	bye = peer_got(pc.callid, "BYE", 0, 0);
	ck_assert_ptr_nonnull(bye);
	ck_assert(!pl_cmp(&bye->from.tag, &m200->to.tag));
	ck_assert(!pl_strcmp(&bye->to.tag, pc.ftag));
	ck_assert(!pl_strcmp(&bye->uri.user, "b2bua"));
	ck_assert_uint_eq(bye->uri.port, sa_port(&peer.laddr));
	ck_assert_uint_eq(bye->cseq.num, 1);
	ck_assert(hdr_is(bye, SIP_HDR_USER_AGENT, UA));
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_HANGUP);
	ck_assert_uint_eq(r->scode, 200);
}
END_TEST


static bool got_refer_done(void)
{
	return count_ev(ph, PHONE_EV_CALL_REFER_DONE) >= 1;
}


/* outgoing: INVITE to the registrar with the domain in the Request-URI,
 * 407 answered with the right digest, 180, 200, ACK; a 2xx sent again is
 * ACKed again; REFER refused with 405 leaves the call up; BYE ends it */
START_TEST(test_outgoing)
{
	const struct sip_msg *i1, *i2, *ack, *refer, *bye;
	const struct evrec *r;
	struct phone_conf conf;
	size_t i, nresp = 0;

	conf_init(&conf);
	ph = new_phone(&conf);
	peer.challenge = true;

	ck_assert_int_eq(phone_call_start(NULL, NULL, CALLEE, NULL), EINVAL);
	ck_assert_int_eq(phone_call_start(NULL, ph, "not a uri", NULL),
			 EINVAL);
	ck_assert_int_eq(phone_call_start(&call, ph, CALLEE, "X-Test: 1"), 0);
	ck_assert(!phone_call_incoming(call));
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_OUTGOING);
	ck_assert_str_eq(phone_call_remote_uri(call), CALLEE);

	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_ESTABLISHED);
	ck_assert_uint_eq(phone_call_scode(call), 200);

	/* the first INVITE: shaped like the REGISTERs, no Route */
	i1 = peer_got(NULL, "INVITE", 0, 0);
	i2 = peer_got(NULL, "INVITE", 0, 1);
	ck_assert_ptr_nonnull(i2);
	ck_assert(!pl_strcmp(&i1->ruri, CALLEE));
	ck_assert(!pl_strcmp(&i1->to.auri, CALLEE));
	ck_assert(!pl_isset(&i1->to.tag));
	ck_assert(!pl_strcmp(&i1->from.auri, "sip:alice@" DOMAIN));
	ck_assert(!pl_strcmp(&i1->callid, phone_call_callid(call)));
	ck_assert(sip_msg_hdr(i1, SIP_HDR_ROUTE) == NULL);
	ck_assert(sip_msg_hdr(i1, SIP_HDR_PROXY_AUTHORIZATION) == NULL);
	ck_assert(hdr_is(i1, SIP_HDR_USER_AGENT, UA));
	ck_assert(hdr_is(i1, SIP_HDR_CONTENT_TYPE, "application/sdp"));
	ck_assert(sip_msg_xhdr(i1, "X-Test") != NULL);
	/* the offer of media/sdp_oa (MEDIA-SDP-1) */
	ck_assert(body_has(i1, "RTP/AVP 0 8 101\r\n"));
	ck_assert(body_has(i1, "c=IN IP4 127.0.0.1"));
	ck_assert(sa_cmp(&i1->src, phone_laddr(ph), SA_ALL));

	/* the second: same Call-ID and From tag, CSeq + 1, digest right */
	ck_assert(!pl_cmp(&i1->callid, &i2->callid));
	ck_assert(!pl_cmp(&i1->from.tag, &i2->from.tag));
	ck_assert_uint_eq(i2->cseq.num, i1->cseq.num + 1);
	ck_assert(sip_msg_hdr(i2, SIP_HDR_PROXY_AUTHORIZATION) != NULL);
	ck_assert(sip_msg_xhdr(i2, "X-Test") != NULL);
	ck_assert_uint_eq(peer.auth_ok, 1);
	ck_assert_uint_eq(peer.auth_bad, 0);

	/* ACKs: the 407's (same branch, by the transaction), the 200's */
	wait_req("ACK", 2);
	ck_assert_uint_eq(peer_count(NULL, "ACK", 0), 2);
	ack = peer_got(NULL, "ACK", 0, 0);
	ck_assert(!pl_cmp(&ack->via.branch, &i1->via.branch));
	ack = peer_got(NULL, "ACK", 0, 1);
	ck_assert(pl_cmp(&ack->via.branch, &i2->via.branch));
	ck_assert_uint_eq(ack->cseq.num, i2->cseq.num);
	ck_assert(pl_isset(&ack->to.tag));
	ck_assert(!pl_strcmp(&ack->uri.user, "b2bua"));

	/* every response reported: 407, 180, 200 (maybe a 100) */
	for (i = 0; i < evc; i++) {
		if (evv[i].type == PHONE_EV_CALL_RESPONSE)
			++nresp;
	}
	ck_assert_uint_ge(nresp, 3);
	ck_assert_uint_eq(last_ev(ph, PHONE_EV_CALL_RESPONSE)->scode, 200);
	ck_assert_uint_eq(evv[index_ev(ph, PHONE_EV_CALL_RESPONSE)].scode,
			  407);

	/* the 200 again: ACKed again */
	ck_assert_int_eq(sip_send(peer.sip, NULL, SIP_TRANSP_UDP,
				  &peer.inv->src, peer.mb200), 0);
	wait_req("ACK", 3);

	/* REFER: 405, the call goes on */
	ck_assert_int_eq(phone_call_refer(call, "sip:+14155559999@" DOMAIN),
			 0);
	ck_assert_int_eq(phone_call_refer(call, "sip:x@" DOMAIN), EBUSY);
	ck_assert(fixture_run_until(got_refer_done, 1000));
	r = last_ev(ph, PHONE_EV_CALL_REFER_DONE);
	ck_assert_uint_eq(r->scode, 405);
	ck_assert_int_eq(r->err, 0);
	refer = peer_got(NULL, "REFER", 0, 0);
	ck_assert(hdr_is(refer, SIP_HDR_REFER_TO,
			 "<sip:+14155559999@" DOMAIN ">"));
	ck_assert(!pl_cmp(&refer->to.tag, &ack->to.tag));
	ck_assert_uint_gt(refer->cseq.num, i2->cseq.num);
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_ESTABLISHED);
	(void)fixture_run_until(NULL, 50);
	ck_assert_uint_eq(peer_count(NULL, "BYE", 0), 0);
	ck_assert_uint_eq(count_ev(ph, PHONE_EV_CALL_CLOSED), 0);

	/* then BYE still works */
	ck_assert_int_eq(phone_call_hangup(call), 0);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);
	bye = peer_got(NULL, "BYE", 0, 0);
	ck_assert_uint_gt(bye->cseq.num, refer->cseq.num);
	ck_assert(!pl_cmp(&bye->from.tag, &i1->from.tag));
	ck_assert_int_eq(last_ev(ph, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_HANGUP);
	ck_assert_uint_eq(last_ev(ph, PHONE_EV_CALL_CLOSED)->scode, 200);
}
END_TEST


/* wrong password: the 407 is answered, the peer says 403: failed */
START_TEST(test_outgoing_forbidden)
{
	const struct evrec *r;
	struct phone_conf conf;

	conf_init(&conf);
	conf.password = "wrong";
	ph = new_phone(&conf);
	peer.challenge = true;

	ck_assert_int_eq(phone_call_start(&call, ph, CALLEE, NULL), 0);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);

	ck_assert_uint_eq(peer.auth_bad, 1);
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_FAILED);
	ck_assert_uint_eq(r->scode, 403);
	ck_assert_uint_eq(peer_count(NULL, "INVITE", 0), 2);
}
END_TEST


static bool got_cancel(void)
{
	return peer_count(NULL, "CANCEL", 0) >= 1;
}


/* outgoing, cancelled while it rings: CANCEL on the INVITE's branch,
 * the 487 is ACKed, the call ends cancelled */
START_TEST(test_outgoing_cancel)
{
	const struct sip_msg *inv, *cancel;
	const struct evrec *r;
	struct phone_conf conf;

	conf_init(&conf);
	ph = new_phone(&conf);
	peer.ring_only = true;

	ck_assert_int_eq(phone_call_start(&call, ph, CALLEE, NULL), 0);
	want_ev = PHONE_EV_CALL_RESPONSE;
	want_n = 1;
	ck_assert(fixture_run_until(got_ev, 1000));
	ck_assert_int_eq(phone_call_state(call), PHONE_CALL_EARLY);

	ck_assert_int_eq(phone_call_cancel(call), 0);
	ck_assert(fixture_run_until(got_cancel, 1000));
	wait_ev(PHONE_EV_CALL_CLOSED, 1);

	inv = peer_got(NULL, "INVITE", 0, 0);
	cancel = peer_got(NULL, "CANCEL", 0, 0);
	ck_assert(!pl_cmp(&cancel->via.branch, &inv->via.branch));
	ck_assert_uint_eq(cancel->cseq.num, inv->cseq.num);
	wait_req("ACK", 1);
	r = last_ev(ph, PHONE_EV_CALL_CLOSED);
	ck_assert_int_eq(r->end, PHONE_END_CANCELLED);
	ck_assert_uint_eq(r->scode, 487);
}
END_TEST


/* two phones on one shared stack: each INVITE reaches the phone its
 * Request-URI names; a user nobody has gets 404 */
START_TEST(test_shared_stack)
{
	struct phone_stack *ps = NULL;
	struct phone_conf conf;
	struct pcall pa, pb, pn;
	const struct evrec *r;
	size_t i, nmsg = 0;

	ck_assert_int_eq(phone_stack_alloc(&ps, SIP_TRANSP_UDP, NULL), 0);
	conf_init(&conf);
	conf.stack = ps;
	ph = new_phone(&conf);
	conf.user = "bob";
	conf.answer = PHONE_ANSWER_REJECT;
	conf.reject_code = 480;
	ph2 = new_phone(&conf);
	ps = mem_deref(ps);

	peer_invite(&pa, "alice", phone_laddr(ph));
	peer_invite(&pb, "bob", phone_laddr(ph2));
	peer_invite(&pn, "nobody", phone_laddr(ph));
	ck_assert(sa_cmp(phone_laddr(ph), phone_laddr(ph2), SA_ALL));

	pc = pb;
	wait_resp(480, 1);
	pc = pn;
	wait_resp(404, 1);
	pc = pa;
	call = incoming_call();

	ck_assert_uint_eq(count_ev(ph, PHONE_EV_CALL_INCOMING), 1);
	ck_assert_uint_eq(count_ev(ph2, PHONE_EV_CALL_INCOMING), 1);
	r = last_ev(ph, PHONE_EV_CALL_INCOMING);
	ck_assert_str_eq(r->ruri_user, "alice");
	ck_assert_str_eq(phone_call_callid(r->call), pa.callid);
	r = last_ev(ph2, PHONE_EV_CALL_INCOMING);
	ck_assert_str_eq(r->ruri_user, "bob");
	ck_assert_int_eq(last_ev(ph2, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_REJECTED);
	ck_assert_uint_eq(peer_count(pa.callid, NULL, 480), 0);
	ck_assert_uint_eq(peer_count(pn.callid, NULL, 100), 0);

	/* each phone saw only its own call's messages */
	for (i = 0; i < evc; i++) {
		if (evv[i].type != PHONE_EV_SENT &&
		    evv[i].type != PHONE_EV_RECEIVED)
			continue;
		ck_assert_str_eq(evv[i].callid, evv[i].phone == ph ?
				 pa.callid : pb.callid);
		++nmsg;
	}
	ck_assert_uint_ge(nmsg, 5);

	/* alice answers; her call is unharmed by bob's */
	ck_assert_int_eq(phone_call_answer(call, 0), 0);
	wait_resp(200, 1);
	peer_ack(&pa, peer_got(pa.callid, NULL, 200, 0));
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);
	ck_assert_uint_eq(phone_call_count(ph), 1);
	ck_assert_uint_eq(phone_call_count(ph2), 0);
}
END_TEST


/* destroying a phone mid-call: BYE for the answered call, nothing for
 * the one still ringing, no event; a call kept by its owner loses its
 * phone */
START_TEST(test_destroy_mid_call)
{
	struct phone_call *kept, *ringing;
	struct phone_conf conf;
	struct pcall pa, pr;
	size_t n;

	conf_init(&conf);
	ph = new_phone(&conf);

	peer_invite(&pa, "alice", phone_laddr(ph));
	pc = pa;
	kept = mem_ref(incoming_call());
	ck_assert_int_eq(phone_call_answer(kept, 0), 0);
	wait_resp(200, 1);
	peer_ack(&pa, peer_got(pa.callid, NULL, 200, 0));
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);

	peer_invite(&pr, "alice", phone_laddr(ph));
	pc = pr;
	wait_ev(PHONE_EV_CALL_INCOMING, 2);
	ringing = phone_call_latest(ph);
	ck_assert_int_eq(phone_call_ring(ringing), 0);
	wait_resp(180, 1);
	ck_assert_uint_eq(phone_call_count(ph), 2);

	n = evc;
	ph = mem_deref(ph);
	ck_assert_uint_eq(evc, n);

	wait_req("BYE", 1);
	ck_assert(!pl_strcmp(&peer_got(NULL, "BYE", 0, 0)->callid,
			     pa.callid));
	(void)fixture_run_until(NULL, 100);
	ck_assert_uint_eq(peer_count(pr.callid, NULL, 0), 2); /* 100, 180 */
	ck_assert_uint_eq(peer_count(NULL, "BYE", 0), 1);

	ck_assert_ptr_null(phone_call_phone(kept));
	ck_assert_ptr_null(phone_call_msg(kept));
	ck_assert_int_eq(phone_call_state(kept), PHONE_CALL_CLOSED);
	ck_assert_int_eq(phone_call_hangup(kept), ENOTCONN);
	ck_assert_str_eq(phone_call_callid(kept), pa.callid);
	mem_deref(kept);
}
END_TEST


/* over TCP: an incoming call answered at once, an outgoing one through
 * the 407, hang-up of one, the phone destroyed with the other up (BYE
 * on the connection) */
START_TEST(test_tcp)
{
	struct phone_call *out = NULL;
	const struct sip_msg *inv;
	struct phone_conf conf;

	conf_init(&conf);
	conf.tp = SIP_TRANSP_TCP;
	conf.registrar = peer.tcp;
	conf.answer = PHONE_ANSWER_AUTO;
	ph = new_phone(&conf);
	peer.tp = SIP_TRANSP_TCP;
	peer.challenge = true;

	peer_invite(&pc, "alice", phone_laddr(ph));
	wait_resp(200, 1);
	ck_assert_int_eq(peer_got(pc.callid, NULL, 200, 0)->tp,
			 SIP_TRANSP_TCP);
	ck_assert(hdr_is(peer_got(pc.callid, NULL, 200, 0), SIP_HDR_CONTACT,
			 phone_contact(ph)));
	peer_ack(&pc, peer_got(pc.callid, NULL, 200, 0));
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 1);

	ck_assert_int_eq(phone_call_start(&out, ph, CALLEE, NULL), 0);
	wait_ev(PHONE_EV_CALL_ESTABLISHED, 2);
	inv = peer_got(NULL, "INVITE", 0, 1);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(inv->tp, SIP_TRANSP_TCP);
	ck_assert_int_eq(inv->via.tp, SIP_TRANSP_TCP);
	ck_assert_uint_eq(peer.auth_ok, 1);
	ck_assert_uint_eq(phone_call_count(ph), 2);
	wait_req("ACK", 2);

	ck_assert_int_eq(phone_call_hangup(out), 0);
	wait_ev(PHONE_EV_CALL_CLOSED, 1);
	ck_assert_int_eq(last_ev(ph, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_HANGUP);
	ck_assert_uint_eq(last_ev(ph, PHONE_EV_CALL_CLOSED)->scode, 200);

	ph = mem_deref(ph);
	wait_req("BYE", 2);
	ck_assert(!pl_strcmp(&peer_got(NULL, "BYE", 0, 1)->callid,
			     pc.callid));
	ck_assert_int_eq(peer_got(NULL, "BYE", 0, 1)->tp, SIP_TRANSP_TCP);
}
END_TEST


FIXTURE_MAIN("phone_call",
	FIXTURE_CASE("call", setup, teardown, 10, 0,
		test_incoming_manual, test_incoming_cancel, test_auto_reject,
		test_ignore, test_auto_answer_hangup, test_outgoing,
		test_outgoing_forbidden, test_outgoing_cancel,
		test_shared_stack, test_destroy_mid_call, test_tcp))
