/**
 * @file test_calls_media.c  Media through the service's B2BUA (issue 13,
 * the MEDIA-* rows): real SIP and RTP on 127.0.0.1, one test per row or
 * behaviour, on the virtual clock.
 *
 * The registrar runs in process (regclient.h).  A phone (struct mphone)
 * is libre's sipsess on a SIP stack of its own with a media stream of
 * media/ (stream.h, sdp_oa.h) that sends its own tone and measures what
 * it receives; the service's side of each leg is read from the call's
 * figures (struct call_info.media) and its decision lines.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include <rem.h>
#include "vclock.h"
#include "vtimer.h"
#include "sdp_oa.h"
#include "stream.h"
#include "sim_registrar.h"
#include "calls.h"
#include "regclient.h"

#define PW "Conform-Pass-1"
#define DOM(x) x ".sip.us1.twilio.com"
#define SAY_HZ 2000

static const char config[] =
	"domains:\n"
	"  - name: example.sip.us1.twilio.com\n"
	"    credential_lists: {registration: [office], calls: [office]}\n"
	"    voice_application: say\n"
	"  - name: say.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: say\n"
	"  - name: long.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: long\n"
	"  - name: menu.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: menu\n"
	"  - name: quick.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: quick\n"
	"  - name: bridge.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: bridge\n"
	"  - name: pstn.sip.us1.twilio.com\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: pstn\n"
	"credential_lists:\n"
	"  - name: office\n"
	"    credentials:\n"
	"      - {username: alice, password: " PW "}\n"
	"      - {username: bob, password: " PW "}\n"
	"profile: {say_seconds: 3}\n"
	"applications:\n"
	"  say: <Response><Say>Your phone works</Say></Response>\n"
	"  long: <Response><Say>hold on</Say><Pause length=\"600\"/>"
	"</Response>\n"
	"  menu: <Response><Gather numDigits=\"2\" action=\"thanks\">"
	"<Say>press two keys</Say></Gather><Say>nothing</Say></Response>\n"
	"  thanks: <Response><Say>thanks {{Digits}}</Say><Hangup/>"
	"</Response>\n"
	"  quick: <Response><Gather action=\"bye\"><Say>keys, then the hash</Say>"
	"</Gather></Response>\n"
	"  bye: <Response><Hangup/></Response>\n"
	"  bridge: <Response><Dial><Sip>bob@example.sip.us1.twilio.com</Sip>"
	"</Dial></Response>\n"
	"  pstn: <Response><Dial callerId=\"+14155550100\">+14155551234"
	"</Dial></Response>\n"
	"verified_caller_ids: [\"+14155550100\"]\n"
	"numbers:\n"
	"  - {number: \"+14155550199\", voice_application: bridge}\n"
	"pstn: {default: answer, after: 0}\n";

static struct regclient *rc;
static struct sim_registrar *sr;
static uint16_t reg_port;


/* ------------------------------------------------------------- waiting */



static void advanced_h(void *arg)
{
	*(bool *)arg = true;
}


static bool flag_set(void *arg)
{
	return *(bool *)arg;
}


/* move the virtual clock ms on, 20 ms a loop turn: every frame is sent
 * and read at its own time (media_advance) */
static void advance_ms(uint64_t ms)
{
	bool done = false;

	ck_assert_int_eq(media_advance(ms, advanced_h, &done), 0);
	ck_assert(fixture_wait(flag_set, &done, 20000));
	fixture_settle(30);
}


/* ------------------------------------------------------------ a phone */

struct mphone {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sipsess *sess;
	struct media_stream *ms;
	struct sdp_oa *oa;
	char name[16];
	uint32_t tone;
	bool started;
	bool established;
	bool closed;
	uint16_t close_scode;
	unsigned answers;
	char final[1024];          /* the last final response to an INVITE */
	const char *answer_sdp;    /* callee: answer this text instead     */
	bool no_ack_answer;        /* delayed offer: answer nothing        */
};


static void mphone_destructor(void *data)
{
	struct mphone *p = data;

	p->sess = mem_deref(p->sess);
	mem_deref(p->sock);
	mem_deref(p->ms);
	mem_deref(p->oa);
	sip_close(p->sip, true);
	mem_deref(p->sip);
}


static void mphone_trace(bool tx, enum sip_transp tp, const struct sa *src,
			 const struct sa *dst, const uint8_t *pkt, size_t len,
			 void *arg)
{
	struct mphone *p = arg;
	(void)tp;
	(void)src;
	(void)dst;

	if (!tx && len > 12 && !memcmp(pkt, "SIP/2.0 ", 8) && pkt[8] >= '2' &&
	    memmem(pkt, len, " INVITE\r\n", 9))
		(void)re_snprintf(p->final, sizeof(p->final), "%b", pkt, len);
	if (getenv("TRACE"))
		re_fprintf(stderr, "---- %s %s\n%b\n", p->name,
			   tx ? "sent" : "got", pkt, len);
}


/* the offer/answer is done: send our tone, from the first time on */
static void media_go(struct mphone *p)
{
	ck_assert_int_eq(media_stream_apply(p->ms, p->oa), 0);
	if (p->started)
		return;

	p->started = true;
	ck_assert_int_eq(media_stream_tone(p->ms, p->tone, 600000, NULL,
					   NULL), 0);
	ck_assert_int_eq(media_stream_start(p->ms), 0);
}


/* an offer came (a delayed offer's 2xx, a re-INVITE): our answer */
static int mphone_offer(struct mbuf **descp, const struct sip_msg *msg,
			void *arg)
{
	struct mphone *p = arg;
	struct mbuf mb = *msg->mb;
	int err;

	p->answers++;
	if (p->no_ack_answer)
		return 0;

	err = sdp_oa_answer(p->oa, descp, &mb);
	if (!err)
		media_go(p);

	return err;
}


static int mphone_answer(const struct sip_msg *msg, void *arg)
{
	struct mphone *p = arg;
	struct mbuf mb = *msg->mb;
	int err;

	p->answers++;
	err = sdp_oa_accept(p->oa, &mb);
	if (!err)
		media_go(p);

	return err;
}


static void mphone_estab(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	((struct mphone *)arg)->established = true;
}


static void mphone_close(int err, const struct sip_msg *msg, void *arg)
{
	struct mphone *p = arg;
	(void)err;

	p->closed = true;
	p->close_scode = msg && !msg->req ? msg->scode : 0;
	p->sess = mem_deref(p->sess);
	if (p->ms)
		media_stream_stop(p->ms);
}


static int mphone_auth(char **user, char **pass, const char *realm,
		       void *arg)
{
	struct mphone *p = arg;
	(void)realm;

	if (str_dup(user, p->name))
		return ENOMEM;

	return str_dup(pass, PW);
}


/* a call to the phone (a Dial's branch): answered at once */
static void mphone_conn(const struct sip_msg *msg, void *arg)
{
	struct mphone *p = arg;
	struct mbuf *ans = NULL, mb = *msg->mb;
	int err;

	if (p->answer_sdp) {
		ans = mbuf_alloc(256);
		(void)mbuf_write_str(ans, p->answer_sdp);
		ans->pos = 0;
		err = 0;
	}
	else {
		err = sdp_oa_answer(p->oa, &ans, &mb);
	}
	ck_assert_int_eq(err, 0);

	err = sipsess_accept(&p->sess, p->sock, msg, 200, "OK", p->name,
			     "application/sdp", ans, mphone_auth, p, false,
			     mphone_offer, mphone_answer, mphone_estab, NULL,
			     NULL, mphone_close, p, NULL);
	ck_assert_int_eq(err, 0);
	mem_deref(ans);

	if (!p->answer_sdp)
		media_go(p);
}


static struct mphone *mphone_alloc(const char *name, uint32_t tone)
{
	struct mphone *p = mem_zalloc(sizeof(*p), mphone_destructor);
	struct sa la;

	ck_assert_ptr_nonnull(p);
	str_ncpy(p->name, name, sizeof(p->name));
	p->tone = tone;

	fixture_sip_stack(&p->sip, "mphone", 32, p, &la, NULL);
	ck_assert_int_eq(sipsess_listen(&p->sock, p->sip, 32, mphone_conn,
					p), 0);
	sip_set_trace_handler(p->sip, mphone_trace);

	sa_set_port(&la, 0);
	ck_assert_int_eq(media_stream_alloc(&p->ms, &la, 0), 0);
	ck_assert_int_eq(sdp_oa_alloc(&p->oa, media_stream_laddr(p->ms)), 0);

	return p;
}


/* the phone registers as its name at example... */
static void mphone_register(struct mphone *p)
{
	struct reg_opts o;
	char contact[80], callid[64];
	struct sip_msg *m;
	struct sa la;

	ck_assert_int_eq(sip_transp_laddr(p->sip, &la, SIP_TRANSP_UDP, NULL),
			 0);
	memset(&o, 0, sizeof(o));
	(void)re_snprintf(contact, sizeof(contact), "<sip:%s@%J>", p->name,
			  &la);
	(void)re_snprintf(callid, sizeof(callid), "reg-%s", p->name);
	o.user = p->name;
	o.password = PW;
	o.contact = contact;
	o.callid = callid;
	o.expires = 600;

	m = regclient_register(rc, &o);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 200);
	mem_deref(m);
}


/* the phone calls someone@domain; body: the offer's text, "" for none
 * (a delayed offer), NULL for our own offer */
static void mphone_call(struct mphone *p, const char *domain,
			const char *body)
{
	char to[128], from[128], route[64];
	const char *routev[1] = {route};
	struct mbuf *offer = NULL;

	(void)re_snprintf(to, sizeof(to), "sip:+14155550000@%s", domain);
	(void)re_snprintf(from, sizeof(from), "sip:%s@%s", p->name, domain);
	(void)re_snprintf(route, sizeof(route), "sip:127.0.0.1:%u", reg_port);

	if (!body) {
		ck_assert_int_eq(sdp_oa_offer(p->oa, &offer), 0);
	}
	else if (body[0]) {
		offer = mbuf_alloc(256);
		(void)mbuf_write_str(offer, body);
		offer->pos = 0;
	}

	ck_assert_int_eq(sipsess_connect(&p->sess, p->sock, to, NULL, from,
					 p->name, routev, 1,
					 "application/sdp", offer,
					 mphone_auth, p, false, mphone_offer,
					 mphone_answer, NULL, mphone_estab,
					 NULL, NULL, mphone_close, p, NULL),
			 0);
	mem_deref(offer);
}


static bool mphone_done(void *arg)
{
	struct mphone *p = arg;

	return p->established || p->closed;
}


static bool mphone_closed(void *arg)
{
	return ((struct mphone *)arg)->closed;
}


/* alice (with quirks q, when given) calls domain and is answered */
static struct mphone *call_up(const char *domain, uint32_t tone,
			      const struct media_quirks *q)
{
	struct mphone *p = mphone_alloc("alice", tone);

	if (q)
		ck_assert_int_eq(media_stream_set_quirks(p->ms, q), 0);
	mphone_call(p, domain, NULL);
	ck_assert(fixture_wait(mphone_done, p, 3000));
	ck_assert(p->established);

	return p;
}


static struct media_rx_figs rx_of(const struct mphone *p)
{
	struct media_rx_figs f;

	media_rx_figs(media_stream_rx(p->ms), vclock_now(), &f);

	return f;
}


/* ------------------------------------------------ the service's side */

static void last_call_h(const struct call_info *ci, void *arg)
{
	str_ncpy(arg, ci->sid, 40);
}


/* the SID of the newest call */
static const char *last_sid(void)
{
	static char sid[40];

	sid[0] = '\0';
	calls_apply(sim_registrar_calls(sr), last_call_h, sid);
	ck_assert(sid[0]);

	return sid;
}


static struct call_info info(const char *sid)
{
	struct call_info ci;

	ck_assert_int_eq(regclient_call_info(rc, sid, &ci), 0);
	return ci;
}


#define logged(s) regclient_logged(rc, s)
#define ASSERT_LOGGED(s) REGCLIENT_ASSERT_LOGGED(rc, s)


static void setup(void)
{
	fixture_calls_registrar(&rc, config, &sr, &reg_port);
}


static void teardown(void)
{
	fixture_settle(10);
	rc = mem_deref(rc);
	sr = NULL;
}


#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"


/* ------------------------------------------------------------- tests */

/* The seed's voice-connectivity test: a phone calls the domain whose
 * Voice URL says a message; the phone hears the message (the Say tone,
 * for say_seconds), the service hears the phone (its 440 Hz); MEDIA-SDP-1
 * and MEDIA-RTP-1 on the way */
START_TEST(test_MEDIA_voice_connectivity)
{
	struct mphone *p = mphone_alloc("alice", 440);
	struct media_rx_figs f;
	struct call_info ci;
	const char *sid;
	char body[8192];

	mphone_call(p, DOM("say"), NULL);
	ck_assert(fixture_wait(mphone_done, p, 3000));
	ck_assert(p->established);
	sid = last_sid();

	/* the answer is the service's own: PCMU first, telephone-event */
	ck_assert_int_eq(sdp_oa_remote(p->oa)->pt, 0);
	ck_assert_int_eq(sdp_oa_remote(p->oa)->tev_pt, 101);

	/* GET /calls while it runs: the figures are there */
	advance_ms(1000);
	ck_assert_int_eq(regclient_http(rc, "GET", "/calls", body,
					sizeof(body)), 200);
	ck_assert_ptr_nonnull(strstr(body, "\"media\":{\"caller\":{"));
	ck_assert_ptr_nonnull(strstr(body, "\"callee\":null"));

	/* the Say lasts 3 s; then the document ends: BYE */
	advance_ms(2500);
	ck_assert(fixture_wait(mphone_closed, p, 3000));

	f = rx_of(p);
	ck_assert_uint_ge(f.packets, 140);
	ck_assert_uint_eq(f.tone_hz, SAY_HZ);
	ck_assert_uint_eq(f.ssrc_changes, 0);
	ck_assert_uint_eq(f.lost, 0);

	ci = info(sid);
	ck_assert_int_eq(ci.state, CALL_ENDED);
	ck_assert(ci.media[0].set);
	ck_assert(!ci.media[1].set);
	ck_assert_uint_ge(ci.media[0].rx.packets, 140);
	ck_assert_uint_eq(ci.media[0].rx.tone_hz, 440);
	ck_assert(!ci.media[0].rx.one_way);
	ck_assert_uint_ge(ci.media[0].tx.packets, 140);
	ck_assert_int_eq(ci.media[0].tx.pt, 0);
	ck_assert(!logged("MEDIA-RTP-3"));

	mem_deref(p);
}
END_TEST


/* calls_set_capture (phone mode's report): the first 500 ms the caller's
 * leg heard (the phone's 440 Hz) stay with the call once it has ended;
 * without it nothing is kept */
START_TEST(test_MEDIA_capture_kept)
{
	struct mphone *p;
	struct call_info ci;
	const char *sid;
	int peak = 0;

	for (int round = 0; round < 2; round++) {
		calls_set_capture(sim_registrar_calls(sr), round ? 0 : 500);
		p = mphone_alloc("alice", 440);
		mphone_call(p, DOM("say"), NULL);
		ck_assert(fixture_wait(mphone_done, p, 3000));
		sid = last_sid();
		advance_ms(3500);
		ck_assert(fixture_wait(mphone_closed, p, 3000));

		ci = info(sid);
		ck_assert_int_eq(ci.state, CALL_ENDED);
		ck_assert(ci.media[0].set);
		if (round) {
			ck_assert_ptr_null(ci.media[0].pcm);
			ck_assert_uint_eq(ci.media[0].pcmc, 0);
		}
		else {
			ck_assert_ptr_nonnull(ci.media[0].pcm);
			ck_assert_uint_eq(ci.media[0].pcmc, 4000);
			for (size_t i = 0; i < ci.media[0].pcmc; i++) {
				int a = abs(ci.media[0].pcm[i]);

				peak = a > peak ? a : peak;
			}
			ck_assert_int_gt(peak, 1000);
		}
		mem_deref(p);
	}
}
END_TEST


/* MEDIA-SDP-2: an INVITE without PCMU/PCMA gets 488 with a Warning;
 * malformed SDP 400 naming the line (MEDIA-SDP-1); RTP/SAVP only with
 * secure media off 488 (MEDIA-SRTP-1) */
START_TEST(test_MEDIA_SDP_2_no_common_codec)
{
	static const struct {
		const char *sdp;
		uint16_t scode;
		const char *rule;
		const char *warning;
	} casev[] = {
		{SDP_HEAD "m=audio 4000 RTP/AVP 18 9\r\n", 488, "MEDIA-SDP-2",
		 "Warning: 399 say.sip.us1.twilio.com \"no common codec"},
		{"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 x y\r\n"
		 "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", 400, "MEDIA-SDP-1",
		 "\"line 4: "},
		{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n", 488, "MEDIA-SRTP-1",
		 "RTP/SAVP"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(casev); i++) {
		struct mphone *p = mphone_alloc("alice", 440);
		char line[64];

		regclient_log_clear(rc);
		mphone_call(p, DOM("say"), casev[i].sdp);
		ck_assert(fixture_wait(mphone_closed, p, 3000));
		ck_assert(!p->established);
		ck_assert_uint_eq(p->close_scode, casev[i].scode);
		ck_assert_msg(strstr(p->final, casev[i].warning), "case %zu: "
			      "no '%s' in\n%s", i, casev[i].warning,
			      p->final);
		(void)re_snprintf(line, sizeof(line), "%s %u INVITE",
				  casev[i].rule, casev[i].scode);
		ASSERT_LOGGED(line);
		mem_deref(p);
	}
}
END_TEST


/* MEDIA-SDP-2, a branch's half: the phone that answers a Dial without
 * PCMU/PCMA gets ACK then BYE, and the branch counts as failed */
START_TEST(test_MEDIA_SDP_2_branch)
{
	struct mphone *bob = mphone_alloc("bob", 660);
	struct mphone *p = mphone_alloc("alice", 440);

	bob->answer_sdp = SDP_HEAD "m=audio 4010 RTP/AVP 18\r\n";
	mphone_register(bob);

	mphone_call(p, DOM("bridge"), NULL);
	ck_assert(fixture_wait(mphone_closed, p, 5000));
	ck_assert(!p->established);
	ck_assert_uint_eq(p->close_scode, 488);
	ck_assert(fixture_wait(mphone_closed, bob, 3000));
	ASSERT_LOGGED("MEDIA-SDP-2 488 ");
	ASSERT_LOGGED("ACK, then BYE, and the branch failed");

	mem_deref(p);
	mem_deref(bob);
}
END_TEST


/* MEDIA-SDP-3: an INVITE without SDP gets our offer in the 200; the
 * phone's answer in the ACK starts media; an ACK without one gets BYE */
START_TEST(test_MEDIA_SDP_3_delayed_offer)
{
	struct mphone *p = mphone_alloc("alice", 500);
	struct call_info ci;

	mphone_call(p, DOM("long"), "");
	ck_assert(fixture_wait(mphone_done, p, 3000));
	ck_assert(p->established);
	ck_assert_uint_eq(p->answers, 1);

	advance_ms(1000);
	ci = info(last_sid());
	ck_assert_uint_ge(ci.media[0].rx.packets, 40);
	ck_assert_uint_eq(ci.media[0].rx.tone_hz, 500);
	ck_assert_uint_ge(rx_of(p).packets, 40);
	mem_deref(p);

	/* no answer in the ACK: BYE */
	p = mphone_alloc("alice", 500);
	p->no_ack_answer = true;
	mphone_call(p, DOM("long"), "");
	ck_assert(fixture_wait(mphone_closed, p, 3000));
	ASSERT_LOGGED("MEDIA-SDP-3 ");
	ASSERT_LOGGED("the ACK carries no answer");
	ck_assert_int_eq(info(last_sid()).state, CALL_ENDED);
	mem_deref(p);
}
END_TEST


/* MEDIA-RTP-3: a phone that sends no RTP is one-way audio, a decision
 * line 2 s after the ACK; the call goes on */
START_TEST(test_MEDIA_RTP_3_one_way)
{
	struct mphone *p;
	struct call_info ci;

	p = call_up(DOM("long"), 440, &(struct media_quirks)
		    {.no_rtp = true, .wrong_pt = -1});

	advance_ms(1500);
	ck_assert(!logged("MEDIA-RTP-3"));
	advance_ms(1500);
	ASSERT_LOGGED("MEDIA-RTP-3");
	ASSERT_LOGGED("one-way audio: no RTP from");

	ci = info(last_sid());
	ck_assert_int_eq(ci.state, CALL_ANSWERED);
	ck_assert(ci.media[0].rx.one_way);
	ck_assert_uint_eq(ci.media[0].rx.packets, 0);
	ck_assert(!p->closed);

	/* the service still sends: only one way is missing */
	ck_assert_uint_ge(rx_of(p).packets, 100);
	mem_deref(p);
}
END_TEST


/* text with the first `from` replaced by `to` (a new string) */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = NULL;

	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(re_sdprintf(&out, "%b%s%s", text,
				     (size_t)(at - text), to,
				     at + strlen(from)), 0);

	return out;
}


/* the registrar again, with the configuration's text from1 (and from2,
 * when given) replaced */
static void restart_with(const char *from1, const char *to1,
			 const char *from2, const char *to2)
{
	char *yaml = replaced(config, from1, to1);

	if (from2) {
		char *y2 = replaced(yaml, from2, to2);

		mem_deref(yaml);
		yaml = y2;
	}

	fixture_settle(10);
	fixture_calls_registrar(&rc, yaml, &sr, &reg_port);
	mem_deref(yaml);
}


/* MEDIA-RTP-3's media_timeout: BYE after that many seconds of silence;
 * RTCP went both ways meanwhile */
START_TEST(test_MEDIA_RTP_3_media_timeout)
{
	struct mphone *p;
	struct call_info ci;

	restart_with("profile: {say_seconds: 3}",
		     "profile: {say_seconds: 3, media_timeout: 6}", NULL, NULL);

	p = call_up(DOM("long"), 440, &(struct media_quirks)
		    {.no_rtp = true, .wrong_pt = -1});

	advance_ms(5000);
	ck_assert(!p->closed);
	advance_ms(1500);
	ck_assert(fixture_wait(mphone_closed, p, 3000));
	ASSERT_LOGGED("(media_timeout): BYE");
	ci = info(last_sid());
	ck_assert_str_eq(ci.ended_by, "registrar");

	/* RTCP: the service's SR went out and the phone's RR came in */
	ck_assert_uint_ge(ci.media[0].tx.rtcp, 1);
	ck_assert_uint_ge(ci.media[0].rx.rtcp_rr, 1);
	ck_assert_uint_ge(rx_of(p).rtcp_sr, 1);
	mem_deref(p);
}
END_TEST


static bool answers_two(void *arg)
{
	return ((struct mphone *)arg)->answers >= 2;
}


static bool answers_three(void *arg)
{
	return ((struct mphone *)arg)->answers >= 3;
}


/* MEDIA-HOLD-1: a re-INVITE with sendonly is answered recvonly and the
 * service stops sending; sendrecv again and it sends again */
START_TEST(test_MEDIA_HOLD_1)
{
	struct mphone *p;
	struct mbuf *mb = NULL;
	uint32_t n1, n2, n3;

	p = call_up(DOM("long"), 440, NULL);
	advance_ms(1000);
	n1 = rx_of(p).packets;
	ck_assert_uint_ge(n1, 40);

	/* hold */
	sdp_oa_set_ldir(p->oa, SDP_SENDONLY);
	ck_assert_int_eq(sdp_oa_offer(p->oa, &mb), 0);
	ck_assert_int_eq(sipsess_modify(p->sess, mb), 0);
	mb = mem_deref(mb);
	ck_assert(fixture_wait(answers_two, p, 3000));
	ck_assert_int_eq(sdp_oa_remote(p->oa)->dir, SDP_RECVONLY);
	ASSERT_LOGGED("MEDIA-HOLD-1 200 INVITE");
	ASSERT_LOGGED("hold: answered recvonly");

	fixture_settle(50);
	n2 = rx_of(p).packets;
	advance_ms(2000);
	ck_assert_uint_le(rx_of(p).packets, n2 + 2);
	ck_assert(!info(last_sid()).media[0].tx.sending);

	/* resume */
	sdp_oa_set_ldir(p->oa, SDP_SENDRECV);
	ck_assert_int_eq(sdp_oa_offer(p->oa, &mb), 0);
	ck_assert_int_eq(sipsess_modify(p->sess, mb), 0);
	mb = mem_deref(mb);
	ck_assert(fixture_wait(answers_three, p, 3000));
	ASSERT_LOGGED("resume: answered sendrecv");

	n3 = rx_of(p).packets;
	advance_ms(1000);
	ck_assert_uint_ge(rx_of(p).packets, n3 + 40);
	ck_assert(info(last_sid()).media[0].tx.sending);
	ck_assert(!logged("MEDIA-RTP-3"));
	mem_deref(p);
}
END_TEST


/* MEDIA-DTMF-1: <Gather numDigits="2" action="thanks"> collects RFC 4733
 * digits and runs the action (which hangs up) */
START_TEST(test_MEDIA_DTMF_1_gather)
{
	struct mphone *p;

	p = call_up(DOM("menu"), 440, NULL);
	advance_ms(500);

	ck_assert_int_eq(media_stream_dtmf(p->ms, "42", NULL, NULL), 0);
	advance_ms(1500);
	ASSERT_LOGGED("MEDIA-DTMF-1");
	ASSERT_LOGGED("<Gather> numDigits: digits '42' -> application "
		      "'thanks'");
	ck_assert_str_eq(info(last_sid()).media[0].rx.digits_4733, "42");

	/* thanks: Say 3 s, then Hangup */
	advance_ms(3500);
	ck_assert(fixture_wait(mphone_closed, p, 3000));
	mem_deref(p);
}
END_TEST


/* MEDIA-DTMF-1: finishOnKey (#) ends a Gather of any length; its action
 * hangs up at once */
START_TEST(test_MEDIA_DTMF_1_finish_key)
{
	struct mphone *p;

	p = call_up(DOM("quick"), 440, NULL);
	advance_ms(500);
	ck_assert_int_eq(media_stream_dtmf(p->ms, "59#", NULL, NULL), 0);
	advance_ms(2000);
	ck_assert(fixture_wait(mphone_closed, p, 3000));
	ASSERT_LOGGED("<Gather> finishOnKey: digits '59' -> application "
		      "'bye'");
	ck_assert_str_eq(info(last_sid()).ended_by, "application");
	mem_deref(p);
}
END_TEST


/* <Dial> bridges the legs: each phone hears the other's tone, and the
 * service measures both legs */
START_TEST(test_MEDIA_dial_bridge)
{
	struct mphone *bob = mphone_alloc("bob", 660);
	struct mphone *p = mphone_alloc("alice", 440);
	struct call_info ci;

	mphone_register(bob);
	mphone_call(p, DOM("bridge"), NULL);
	ck_assert(fixture_wait(mphone_done, p, 5000));
	ck_assert(p->established);
	ck_assert(bob->started);

	advance_ms(2000);
	ck_assert_uint_eq(rx_of(p).tone_hz, 660);
	ck_assert_uint_eq(rx_of(bob).tone_hz, 440);
	ck_assert_uint_ge(rx_of(p).packets, 80);
	ck_assert_uint_ge(rx_of(bob).packets, 80);

	ci = info(last_sid());
	ck_assert(ci.media[0].set && ci.media[1].set);
	ck_assert_uint_eq(ci.media[0].rx.tone_hz, 440);
	ck_assert_uint_eq(ci.media[1].rx.tone_hz, 660);
	mem_deref(p);
	mem_deref(bob);
}
END_TEST


/* a call from the outside network to a number that Dials a phone: the
 * phone hears the caller's number as a tone, the service hears the phone */
START_TEST(test_MEDIA_outside_caller_tone)
{
	struct mphone *bob = mphone_alloc("bob", 660);
	struct call_info ci;
	char sid[40];
	uint32_t hz;

	mphone_register(bob);
	ck_assert_int_eq(sim_registrar_call(sr, "+14155550100", "+14155550199",
					    NULL, NULL, sid, sizeof(sid)), 0);
	ck_assert(fixture_wait(flag_set, &bob->started, 3000));
	advance_ms(1500);

	hz = rx_of(bob).tone_hz;
	ck_assert_uint_ge(hz, 1000);
	ck_assert_uint_lt(hz, SAY_HZ);
	ci = info(sid);
	ck_assert_int_eq(ci.state, CALL_ANSWERED);
	ck_assert(!ci.media[0].set);
	ck_assert(ci.media[1].set);
	ck_assert_uint_eq(ci.media[1].rx.tone_hz, 660);
	mem_deref(bob);
}
END_TEST


/* the outside network answers with a tone of the number's own, not the
 * Say tone and not the caller's */
START_TEST(test_MEDIA_pstn_tone)
{
	struct mphone *p;
	uint32_t hz;

	p = call_up(DOM("pstn"), 440, NULL);
	advance_ms(1500);

	hz = rx_of(p).tone_hz;
	ck_assert_uint_ge(hz, 1000);
	ck_assert_uint_lt(hz, SAY_HZ);
	ck_assert_uint_eq(info(last_sid()).media[0].rx.tone_hz, 440);
	mem_deref(p);
}
END_TEST


/* MEDIA-RTP-2: RTP from another port than the SDP names: the service
 * sends there (latching) and logs it */
START_TEST(test_MEDIA_RTP_2_latching)
{
	struct mphone *p;
	struct call_info ci;

	p = call_up(DOM("long"), 440, &(struct media_quirks)
		    {.nat = true, .wrong_pt = -1});

	advance_ms(1500);
	ASSERT_LOGGED("MEDIA-RTP-2");
	ASSERT_LOGGED("(symmetric RTP)");
	ci = info(last_sid());
	ck_assert(ci.media[0].latched);
	ck_assert(ci.media[0].rx.src_mismatch);
	ck_assert_uint_ge(ci.media[0].rx.packets, 50);
	/* what the service sends reaches the phone's NAT port */
	ck_assert_uint_ge(rx_of(p).packets, 40);
	ck_assert(!logged("MEDIA-RTP-3"));
	mem_deref(p);
}
END_TEST


/* <Play>: the WAV file that play maps the URL to, heard by the phone */
START_TEST(test_MEDIA_play_wav)
{
	static const char path[] = "/tmp/sipconform-test-play.wav";
	struct mbuf *tone = mbuf_alloc(2 * 8000), *pcm = mbuf_alloc(4 * 8000);
	struct mbuf *wav = mbuf_alloc(40000);
	char line[200];
	struct mphone *p;
	FILE *f;

	/* two seconds of 1300 Hz */
	ck_assert_int_eq(autone_sine(tone, 8000, 1300, 30, 0, 0), 0);
	ck_assert_int_eq(mbuf_write_mem(pcm, tone->buf, tone->end), 0);
	ck_assert_int_eq(mbuf_write_mem(pcm, tone->buf, tone->end), 0);
	ck_assert_int_eq(media_wav_encode(wav, (int16_t *)pcm->buf,
					  pcm->end / 2), 0);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(wav->buf, 1, wav->end, f), wav->end);
	fclose(f);
	mem_deref(tone);
	mem_deref(pcm);
	mem_deref(wav);

	(void)re_snprintf(line, sizeof(line), "play: [{url: \"http://x/a.wav"
			  "\", file: %s}]\nprofile: {say_seconds: 3}", path);
	restart_with("profile: {say_seconds: 3}", line,
		     "  say: <Response><Say>Your phone works</Say>",
		     "  say: <Response><Play>http://x/a.wav</Play>"
		     "<Pause length=\"600\"/>");

	p = mphone_alloc("alice", 440);
	mphone_call(p, DOM("say"), NULL);
	ck_assert(fixture_wait(mphone_done, p, 3000));
	ck_assert(p->established);
	advance_ms(1500);
	ck_assert_uint_eq(rx_of(p).tone_hz, 1300);
	ck_assert_uint_ge(rx_of(p).packets, 60);
	mem_deref(p);
	(void)unlink(path);
}
END_TEST


/* MEDIA-DTMF-1 in-band: the same Gather hears DTMF tones in the audio */
START_TEST(test_MEDIA_DTMF_1_inband)
{
	struct mphone *p;

	p = call_up(DOM("menu"), 440, &(struct media_quirks)
		    {.dtmf_inband = true, .wrong_pt = -1});
	advance_ms(500);

	ck_assert_int_eq(media_stream_dtmf(p->ms, "7*", NULL, NULL), 0);
	advance_ms(1500);
	ASSERT_LOGGED("<Gather> numDigits: digits '7*' -> application "
		      "'thanks'");
	ck_assert_str_eq(info(last_sid()).media[0].rx.digits_inband, "7*");
	mem_deref(p);
}
END_TEST


FIXTURE_MAIN("calls_media",
	FIXTURE_CASE("media", setup, teardown, 60, 0,
		test_MEDIA_voice_connectivity, test_MEDIA_capture_kept,
		test_MEDIA_SDP_2_no_common_codec, test_MEDIA_SDP_2_branch,
		test_MEDIA_SDP_3_delayed_offer, test_MEDIA_RTP_3_one_way,
		test_MEDIA_RTP_3_media_timeout, test_MEDIA_HOLD_1,
		test_MEDIA_DTMF_1_gather, test_MEDIA_DTMF_1_finish_key,
		test_MEDIA_dial_bridge, test_MEDIA_pstn_tone,
		test_MEDIA_outside_caller_tone,
		test_MEDIA_RTP_2_latching, test_MEDIA_play_wav,
		test_MEDIA_DTMF_1_inband))
