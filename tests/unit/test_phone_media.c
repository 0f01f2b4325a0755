/**
 * @file test_phone_media.c  The media of simulated phones' calls, real
 * SIP and RTP on 127.0.0.1 on the virtual clock: two sim-phones calling
 * each other (directly, and through the in-process registrar), and a
 * phone against a peer made of media/stream + media/sdp_oa.  Each
 * misbehaviour of struct phone_media_conf is read in the figures: of the
 * phone that misbehaves and of the one that receives.
 */

#include <check.h>
#include "fixture.h"
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "reshim/tmrheap.h"
#include "sdp_oa.h"
#include "stats.h"
#include "stream.h"
#include "phone.h"
#include "sim_registrar.h"
#include "regclient.h"


#define DOMAIN   "example.sip.us1.twilio.com"
#define OFFICE   "office.sip.us1.twilio.com"
#define PASSWORD "Conform-Pass-1"

enum {
	MAXEV = 512,
	SLACK = 25,     /* frames: the real time a test spends waiting
			   (vclock runs with it) beyond what it advanced */
};

/* n frames for ms of advanced virtual time: one per 20 ms, plus those
 * of the real time that passed meanwhile */
#define ASSERT_SPAN(n, ms) do {                                         \
		ck_assert_uint_ge((n), (ms) / 20);                      \
		ck_assert_uint_le((n), (ms) / 20 + SLACK);              \
	} while (0)

/* everything sent arrived: the receiver's count reaches what the sender
 * had sent when asked (the loop runs meanwhile, real time goes on) */
#define ASSERT_GOT(rx, tx) got(&(rx), (tx), #rx)

static const char config[] =
	"domains:\n"
	"  - name: " DOMAIN "\n"
	"    credential_lists: {registration: [office], calls: [office]}\n"
	"  - name: " OFFICE "\n"
	"    credential_lists: {calls: [office]}\n"
	"    voice_application: ring-alice\n"
	"credential_lists:\n"
	"  - name: office\n"
	"    credentials:\n"
	"      - {username: alice, password: " PASSWORD "}\n"
	"      - {username: bob, password: " PASSWORD "}\n"
	"applications:\n"
	"  ring-alice: <Response><Dial><Sip>alice@" DOMAIN "</Sip></Dial>"
	"</Response>\n";


/* ---- events --------------------------------------------------------- */

struct evrec {
	struct phone *phone;
	enum phone_event_type type;
	struct phone_call *call;
	uint16_t scode;
	enum phone_call_end end;
	char met[16];
	char body[512];
	char warning[128];
};

static struct phone *pa, *pb;      /* the caller, the callee          */
static struct phone_call *ca;      /* the caller's call               */
static struct phone_media_figs fa, fb;   /* their figures             */
static struct media_rx_figs pr;    /* the stream peer's (below)       */
static struct media_tx_figs pt;
static struct media_stream *pms;   /* that peer's stream              */
static struct evrec evv[MAXEV];
static size_t evc;
static struct tmr guard;


static void event_h(struct phone *phone, const struct phone_event *ev,
		    void *arg)
{
	struct evrec *r;
	(void)arg;

	if (evc >= MAXEV)
		return;

	r = &evv[evc++];
	memset(r, 0, sizeof(*r));
	r->phone = phone;
	r->type  = ev->type;
	r->call  = ev->call;
	r->scode = ev->scode;
	r->end   = ev->end;
	if (ev->msg && sip_msg_hdr(ev->msg, SIP_HDR_WARNING))
		(void)pl_strcpy(&sip_msg_hdr(ev->msg, SIP_HDR_WARNING)->val,
				r->warning, sizeof(r->warning));
	if (ev->msg && ev->msg->req)
		(void)pl_strcpy(&ev->msg->met, r->met, sizeof(r->met));
	if (ev->msg && mbuf_get_left(ev->msg->mb))
		(void)re_snprintf(r->body, sizeof(r->body), "%b",
				  mbuf_buf(ev->msg->mb),
				  mbuf_get_left(ev->msg->mb));
}


static const struct evrec *last_ev(const struct phone *phone,
				   enum phone_event_type type)
{
	for (size_t i = evc; i > 0; i--) {
		if (evv[i - 1].type == type && evv[i - 1].phone == phone)
			return &evv[i - 1];
	}

	return NULL;
}


static size_t count_ev(const struct phone *phone, enum phone_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < evc; i++)
		n += evv[i].type == type && evv[i].phone == phone;

	return n;
}


/* ---- the loop and the clock ------------------------------------------ */

/* run the loop until cond() holds (true) or max_ms passed (false) */
static bool run_until(bool (*cond)(void), uint64_t max_ms)
{
	return fixture_run_until(cond, max_ms);
}


static struct {
	const uint32_t *cnt;      /* into a figures struct, refreshed   */
	void (*refresh)(void);
	uint32_t n;
} gw;


static bool got_all(void)
{
	gw.refresh();
	return *gw.cnt >= gw.n;
}


static void refresh_all(void);

static void got(const uint32_t *cnt, uint32_t n, const char *what)
{
	gw.cnt = cnt;
	gw.n = n;
	gw.refresh = refresh_all;
	ck_assert_msg(run_until(got_all, 3000), "%s: %u of %u", what, *cnt,
		      n);
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* the clock moves by ms, 20 ms a loop turn: every frame at its time */
static void advance(uint64_t ms)
{
	ck_assert_int_eq(media_advance(ms, stop_h, NULL), 0);
	tmr_start(&guard, ms + 30000, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&guard);
}


/* what is still in flight on loopback arrives (a few loop turns) */
static void settle(void)
{
	fixture_settle(60);
}


static void setup(void)
{
	fixture_begin(2);
	ck_assert_int_eq(tmrheap_check(), 0);
	tmr_init(&guard);
	evc = 0;
	pa = pb = NULL;
	pms = NULL;
}


static void teardown(void)
{
	tmr_cancel(&guard);
	fixture_end();
}


/* ---- phones ------------------------------------------------------------ */



static struct phone *new_phone(const char *user, const struct sa *next,
			       const struct phone_media_conf *m)
{
	struct phone_conf conf;
	struct phone *phone = NULL;

	memset(&conf, 0, sizeof(conf));
	conf.user      = user;
	conf.domain    = DOMAIN;
	conf.password  = PASSWORD;
	conf.registrar = *next;
	conf.answer    = PHONE_ANSWER_AUTO;
	if (m)
		conf.media = *m;

	ck_assert_int_eq(phone_alloc(&phone, &conf, event_h, NULL), 0);

	return phone;
}


static bool both_established(void)
{
	return count_ev(pa, PHONE_EV_CALL_ESTABLISHED) >= 1 &&
		count_ev(pb, PHONE_EV_CALL_ESTABLISHED) >= 1;
}


static bool a_closed(void)
{
	return count_ev(pa, PHONE_EV_CALL_CLOSED) >= 1;
}


/*
 * Phone a calls phone b directly (b's SIP address is a's next hop; b
 * answers at once).  ma, mb: their media confs (NULL: well behaved).
 */
static void pair_call(const struct phone_media_conf *ma,
		      const struct phone_media_conf *mb)
{
	struct sa any;
	char uri[64];

	(void)sa_set_str(&any, "127.0.0.1", 5060);
	pb = new_phone("bob", &any, mb);
	pa = new_phone("alice", phone_laddr(pb), ma);

	re_snprintf(uri, sizeof(uri), "sip:bob@%J", phone_laddr(pb));
	ck_assert_int_eq(phone_call_start(&ca, pa, uri, NULL), 0);
}


static void pair_established(const struct phone_media_conf *ma,
			     const struct phone_media_conf *mb)
{
	pair_call(ma, mb);
	ck_assert_msg(run_until(both_established, 2000),
		      "the call was not established");
}


/* the clock moves by ms, what is in flight arrives, the figures read */
static void advance_figs(uint64_t ms)
{
	advance(ms);
	settle();
	refresh_all();
}


/* an established call between two phones, ms of it */
static void pair_run(const struct phone_media_conf *ma,
		     const struct phone_media_conf *mb, uint64_t ms)
{
	pair_established(ma, mb);
	advance_figs(ms);
}


static void pair_free(void)
{
	pa = mem_deref(pa);
	pb = mem_deref(pb);
	ca = NULL;
}


static void figs(const struct phone *phone, struct phone_media_figs *f)
{
	ck_assert_int_eq(phone_media_last(phone, f), 0);
}


/* every figure the tests read, now */
static void refresh_all(void)
{
	if (pa)
		figs(pa, &fa);
	if (pb)
		figs(pb, &fb);
	if (pms) {
		media_rx_figs(media_stream_rx(pms), vclock_now(), &pr);
		media_stream_tx_figs(pms, &pt);
	}
}


/* ---- phone to phone ---------------------------------------------------- */

/* each sends its own tone, every 20 ms, and hears the other's */
START_TEST(test_both_ways)
{
	const struct phone_media_conf ma = {.tone_hz = 440};
	const struct phone_media_conf mb = {.tone_hz = 1000};
	uint32_t tx, rx;
	char json[2048];

	pair_run(&ma, &mb, 3000);

	/* 3 s: 150 frames each way, all sent and all received */
	ck_assert(fa.media && fa.started && !fa.hold);
	ck_assert_int_eq(fa.pt, 0);
	ASSERT_SPAN(fa.tx.packets, 3000);
	ASSERT_SPAN(fb.tx.packets, 3000);
	ck_assert_uint_eq(fa.tx.packets, fa.tx.frames);
	ASSERT_GOT(fa.rx.packets, fb.tx.packets);
	ASSERT_GOT(fb.rx.packets, fa.tx.packets);
	ck_assert_uint_eq(fa.rx.lost, 0);
	ck_assert_uint_eq(fb.rx.lost, 0);
	ck_assert_uint_eq(fa.rx.pt_unexpected, 0);

	/* each hears the other's tone */
	ck_assert_uint_eq(fa.tone_hz, 440);
	ck_assert_uint_eq(fb.tone_hz, 1000);
	ck_assert_uint_eq(fa.rx.tone_hz, 1000);
	ck_assert_uint_eq(fb.rx.tone_hz, 440);

	/* a 20 ms cadence: the first packet soon, little jitter */
	ck_assert(fa.rx.first_ms >= 0 && fa.rx.first_ms <= 100);
	ck_assert(fb.rx.first_ms >= 0 && fb.rx.first_ms <= 100);
	ck_assert(fa.rx.jitter_ms < 5.0);
	ck_assert(!fa.rx.one_way && !fb.rx.one_way);
	ck_assert(!fa.rx.src_mismatch);

	/* the SDP was media/sdp_oa's: PCMU, PCMA, telephone-event */
	ck_assert_ptr_nonnull(strstr(last_ev(pa, PHONE_EV_CALL_ESTABLISHED)
				     ->body, "a=rtpmap:101 telephone-event"));

	re_snprintf(json, sizeof(json), "%H", phone_media_figs_json, &fa);
	ck_assert_ptr_nonnull(strstr(json, "\"tone_hz\":440"));
	ck_assert_ptr_nonnull(strstr(json, "\"one_way\":false"));

	/* the call ends: the figures stay as they were */
	tx = fa.tx.packets;
	rx = fa.rx.packets;
	ck_assert_int_eq(phone_call_hangup(ca), 0);
	ck_assert(run_until(a_closed, 2000));
	advance(1000);
	figs(pa, &fa);
	ck_assert_uint_eq(fa.tx.packets, tx);
	ck_assert_uint_ge(fa.rx.packets, rx);

	pair_free();
}
END_TEST


/* 60 s of virtual time: 3,000 packets each way, in milliseconds of it */
START_TEST(test_minute)
{

	pair_run(NULL, NULL, 60000);
	ASSERT_SPAN(fa.tx.packets, 60000);
	ASSERT_SPAN(fb.tx.packets, 60000);
	ASSERT_GOT(fa.rx.packets, fb.tx.packets);
	ASSERT_GOT(fb.rx.packets, fa.tx.packets);
	ck_assert_uint_eq(fa.rx.lost, 0);

	/* RTCP every 5 s both ways */
	ck_assert_uint_ge(fa.rx.rtcp_sr, 10);
	ck_assert_uint_ge(fb.rx.rtcp_sr, 10);

	/* the default tones come from the names: told apart */
	ck_assert_uint_ne(fa.tone_hz, fb.tone_hz);
	ck_assert_uint_eq(fa.rx.tone_hz, fb.tone_hz);

	pair_free();
}
END_TEST


/* a phone that never sends RTP: one-way audio, seen by the other */
START_TEST(test_no_rtp)
{
	const struct phone_media_conf mb = {.no_rtp = true};

	pair_run(NULL, &mb, 3000);
	ck_assert_uint_eq(fb.tx.packets, 0);
	ck_assert_uint_eq(fa.rx.packets, 0);
	ck_assert(fa.rx.one_way);                 /* MEDIA-RTP-3 */
	ck_assert_int_eq(fa.rx.first_ms, -1);

	/* the other way works */
	ASSERT_SPAN(fb.rx.packets, 3000);
	ck_assert(!fb.rx.one_way);

	pair_free();
}
END_TEST


/* behind NAT: RTP from another port than the SDP names; the peer sees
 * the mismatch, latches, and its audio still reaches the phone */
START_TEST(test_nat)
{
	const struct phone_media_conf mb = {.nat = true};

	pair_run(NULL, &mb, 3000);
	ASSERT_GOT(fa.rx.packets, fb.tx.packets);
	ASSERT_SPAN(fa.rx.packets, 3000);
	ck_assert(fa.rx.src_mismatch);            /* MEDIA-RTP-2 */
	ASSERT_GOT(fb.rx.packets, fa.tx.packets);
	ASSERT_SPAN(fb.rx.packets, 3000);
	ck_assert_uint_eq(fb.rx.tone_hz, fa.tone_hz);

	pair_free();
}
END_TEST


/* no common codec: the phone offering G.729 alone gets 488, and the one
 * that speaks none refuses a G.711 offer with 488 */
START_TEST(test_no_codec)
{
	const struct phone_media_conf nc = {.no_codec = true};
	const struct evrec *r;

	pair_call(&nc, NULL);
	ck_assert(run_until(a_closed, 2000));
	r = last_ev(pa, PHONE_EV_CALL_CLOSED);
	ck_assert_uint_eq(r->scode, 488);
	ck_assert_int_eq(r->end, PHONE_END_FAILED);
	ck_assert_ptr_nonnull(strstr(r->warning, "no common codec"));
	pair_free();

	evc = 0;
	pair_call(NULL, &nc);
	ck_assert(run_until(a_closed, 2000));
	r = last_ev(pa, PHONE_EV_CALL_CLOSED);
	ck_assert_uint_eq(r->scode, 488);
	ck_assert_int_eq(last_ev(pb, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_REJECTED);
	pair_free();
}
END_TEST


/* MEDIA-SDP-3 phone to phone: a's INVITE carries no SDP (delayed_offer),
 * b offers in its 2xx and takes a's answer from the ACK: audio both ways */
START_TEST(test_delayed_offer)
{
	const struct phone_media_conf ma = {.tone_hz = 440,
					    .delayed_offer = true};
	const struct phone_media_conf mb = {.tone_hz = 1000};

	pair_run(&ma, &mb, 3000);

	ck_assert_str_eq(last_ev(pb, PHONE_EV_CALL_INCOMING)->body, "");
	ck_assert_ptr_nonnull(strstr(last_ev(pa, PHONE_EV_CALL_ESTABLISHED)
				     ->body, "m=audio "));
	ck_assert_ptr_nonnull(strstr(last_ev(pb, PHONE_EV_CALL_ESTABLISHED)
				     ->body, "m=audio "));
	ASSERT_SPAN(fa.tx.packets, 3000);
	ASSERT_SPAN(fb.tx.packets, 3000);
	ASSERT_GOT(fa.rx.packets, fb.tx.packets);
	ASSERT_GOT(fb.rx.packets, fa.tx.packets);
	ck_assert_uint_eq(fa.rx.tone_hz, 1000);
	ck_assert_uint_eq(fb.rx.tone_hz, 440);
	pair_free();
}
END_TEST


/* the same, but a's ACK carries no answer (ack_no_answer): b, whose 2xx
 * offered, hangs up */
START_TEST(test_ack_no_answer)
{
	const struct phone_media_conf ma = {.ack_no_answer = true};

	pair_call(&ma, NULL);
	ck_assert(run_until(a_closed, 2000));
	ck_assert_str_eq(last_ev(pb, PHONE_EV_CALL_INCOMING)->body, "");
	ck_assert_str_eq(last_ev(pb, PHONE_EV_CALL_ESTABLISHED)->body, "");
	ck_assert_int_eq(last_ev(pa, PHONE_EV_CALL_CLOSED)->end,
			 PHONE_END_REMOTE_BYE);
	pair_free();
}
END_TEST


/* a wrong payload type: counted as unexpected by the receiver */
START_TEST(test_wrong_pt)
{
	const struct phone_media_conf mb = {.wrong_pt = 96};

	pair_run(NULL, &mb, 2000);
	ASSERT_SPAN(fa.rx.packets, 2000);
	ck_assert_uint_eq(fa.rx.pt_unexpected, fa.rx.packets);
	ck_assert_uint_eq(fa.rx.audio, 0);
	ck_assert(fa.rx.pts[96 / 8] & (1 << (96 % 8)));

	pair_free();
}
END_TEST


static bool reinvite_done(void)
{
	return count_ev(pa, PHONE_EV_CALL_REINVITE_DONE) >= 1;
}


/* hold and resume by re-INVITE: nothing flows while held (the holder
 * sends nothing, the held one answers recvonly), all again after */
static void hold_case(bool send_on_hold)
{
	const struct phone_media_conf mb = {.send_on_hold = send_on_hold};
	uint32_t rxa, rxb;

	pair_established(NULL, &mb);
	advance(1000);
	settle();

	ck_assert_int_eq(phone_call_hold(ca), 0);
	ck_assert_int_eq(phone_call_hold(ca), EBUSY);
	ck_assert(run_until(reinvite_done, 2000));
	ck_assert_uint_eq(last_ev(pa, PHONE_EV_CALL_REINVITE_DONE)->scode,
			  200);
	settle();

	figs(pa, &fa);
	figs(pb, &fb);
	ck_assert(fa.hold && fb.hold);
	rxa = fa.rx.packets;
	rxb = fb.rx.packets;

	advance_figs(2000);

	/* the holder sends nothing */
	ck_assert_uint_eq(fb.rx.packets, rxb);
	if (send_on_hold)
		/* RTP that continues on hold: 2 s of it */
		ck_assert_uint_ge(fa.rx.packets, rxa + 99);
	else
		ck_assert_uint_eq(fa.rx.packets, rxa);
	ck_assert(!fa.rx.one_way);                /* on hold: not one-way */

	evc = 0;
	ck_assert_int_eq(phone_call_resume(ca), 0);
	ck_assert(run_until(reinvite_done, 2000));
	ck_assert_uint_eq(last_ev(pa, PHONE_EV_CALL_REINVITE_DONE)->scode,
			  200);
	settle();
	figs(pa, &fa);
	figs(pb, &fb);
	ck_assert(!fa.hold && !fb.hold);
	rxa = fa.rx.packets;
	rxb = fb.rx.packets;

	advance_figs(1000);
	ck_assert_uint_ge(fa.rx.packets, rxa + 49);
	ck_assert_uint_ge(fb.rx.packets, rxb + 49);

	pair_free();
}


START_TEST(test_hold)
{
	hold_case(false);
}
END_TEST


START_TEST(test_hold_send_on_hold)
{
	hold_case(true);
}
END_TEST


/* DTMF the phone's way: RFC 4733, in-band, SIP INFO; and the digits a
 * phone presses by itself when prompted */
static void dtmf_case(enum phone_dtmf_mode mode)
{
	const struct phone_media_conf ma = {.dtmf = mode};

	pair_established(&ma, NULL);
	advance(500);
	ck_assert_int_eq(phone_call_press(ca, "12#"), 0);
	ck_assert_int_eq(phone_call_press(ca, "1x"), EINVAL);
	advance_figs(3000);
	switch (mode) {

	case PHONE_DTMF_RFC4733:
		ck_assert_str_eq(fb.rx.digits_4733, "12#");
		ck_assert_str_eq(fb.rx.digits_inband, "");
		ck_assert_uint_gt(fb.rx.tev, 0);
		ck_assert_str_eq(fb.info_rx, "");
		break;

	case PHONE_DTMF_INBAND:
		ck_assert_str_eq(fb.rx.digits_inband, "12#");
		ck_assert_str_eq(fb.rx.digits_4733, "");
		ck_assert_uint_eq(fb.rx.tev, 0);
		break;

	case PHONE_DTMF_INFO:
		ck_assert_str_eq(fb.info_rx, "12#");
		ck_assert_str_eq(fa.info_tx, "12#");
		ck_assert_str_eq(fb.rx.digits, "");
		ck_assert_uint_eq(fb.rx.tev, 0);
		break;
	}

	pair_free();
}


START_TEST(test_dtmf_4733)
{
	dtmf_case(PHONE_DTMF_RFC4733);
}
END_TEST


START_TEST(test_dtmf_inband)
{
	dtmf_case(PHONE_DTMF_INBAND);
}
END_TEST


START_TEST(test_dtmf_info)
{
	dtmf_case(PHONE_DTMF_INFO);
}
END_TEST


/* the callee answers a prompt by itself: its digits 1 s into the call */
START_TEST(test_dtmf_answer)
{
	const struct phone_media_conf mb = {.dtmf_answer = "42",
					    .dtmf_delay = 1000};

	pair_established(NULL, &mb);
	advance(900);
	settle();
	figs(pa, &fa);
	ck_assert_str_eq(fa.rx.digits, "");

	advance(2000);
	settle();
	figs(pa, &fa);
	ck_assert_str_eq(fa.rx.digits_4733, "42");

	pair_free();
}
END_TEST


/* no RTCP: the other side gets RTP but no report */
START_TEST(test_no_rtcp)
{
	const struct phone_media_conf mb = {.no_rtcp = true};

	pair_run(NULL, &mb, 11000);
	ASSERT_SPAN(fa.rx.packets, 11000);
	ck_assert_uint_eq(fa.rx.rtcp_sr + fa.rx.rtcp_rr, 0);
	ck_assert_uint_eq(fb.tx.rtcp, 0);
	ck_assert_uint_ge(fb.rx.rtcp_sr, 2);

	pair_free();
}
END_TEST


/* media off: the SDP of before (PCMU, a made-up port), no RTP, no
 * figures; press/hold say so */
START_TEST(test_off)
{
	const struct phone_media_conf off = {.off = true};

	pair_established(&off, &off);
	ck_assert_ptr_nonnull(strstr(last_ev(pa, PHONE_EV_CALL_ESTABLISHED)
				     ->body, " RTP/AVP 0\r\n"));
	ck_assert_ptr_null(strstr(last_ev(pa, PHONE_EV_CALL_ESTABLISHED)
				  ->body, "telephone-event"));
	ck_assert_int_eq(phone_media_last(pa, &fa), ENOENT);
	ck_assert_int_eq(phone_call_media(ca, &fa), ENOENT);
	ck_assert_int_eq(phone_call_press(ca, "1"), ENOTSUP);
	ck_assert_int_eq(phone_call_hold(ca), ENOTSUP);

	pair_free();
}
END_TEST


/* bad media keys are refused */
START_TEST(test_conf_bad)
{
	static const struct phone_media_conf bad[] = {
		{.tone_hz = 441},
		{.wrong_pt = 128},
		{.wrong_pt = -1},
		{.dtmf = 7},
		{.nat = true, .nat_addr = "not-an-ip"},
		{.dtmf_answer = "12x"},
	};
	struct phone_conf conf;
	struct phone *phone = NULL;

	memset(&conf, 0, sizeof(conf));
	conf.user = "alice";
	conf.domain = DOMAIN;
	(void)sa_set_str(&conf.registrar, "127.0.0.1", 5060);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf.media = bad[i];
		ck_assert_int_eq(phone_alloc(&phone, &conf, NULL, NULL),
				 EINVAL);
	}
}
END_TEST


/* ---- against a peer made of media/stream and media/sdp_oa ------------ */

static struct mpeer {
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sa laddr;
	struct media_stream *ms;
	struct sdp_oa *oa;
	char offer[1024];
	bool acked;
} mp;


static bool mpeer_req(const struct sip_msg *msg, void *arg)
{
	struct mbuf *ans = NULL;
	(void)arg;

	if (!pl_strcmp(&msg->met, "INVITE") && !pl_isset(&msg->to.tag)) {
		re_snprintf(mp.offer, sizeof(mp.offer), "%b",
			    mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
		ck_assert_int_eq(sdp_oa_answer(mp.oa, &ans, msg->mb), 0);
		ck_assert_int_eq(media_stream_apply(mp.ms, mp.oa), 0);
		ck_assert_int_eq(sip_treplyf(NULL, NULL, mp.sip, msg, true,
					     200, "OK",
					     "Contact: <sip:peer@%J>\r\n"
					     "Content-Type: application/sdp\r\n"
					     "Content-Length: %zu\r\n\r\n%b",
					     &mp.laddr, mbuf_get_left(ans),
					     mbuf_buf(ans),
					     mbuf_get_left(ans)), 0);
		mem_deref(ans);
	}
	else if (!pl_strcmp(&msg->met, "ACK")) {
		if (!mp.acked)
			ck_assert_int_eq(media_stream_start(mp.ms), 0);
		mp.acked = true;
	}
	else {
		(void)sip_treply(NULL, mp.sip, msg, 200, "OK");
	}

	return true;
}


static void mpeer_start(const struct media_quirks *q)
{
	struct sa ip;

	memset(&mp, 0, sizeof(mp));
	(void)sa_set_str(&ip, "127.0.0.1", 0);
	fixture_sip_stack(&mp.sip, "mpeer", 32, NULL, &mp.laddr, NULL);
	ck_assert_int_eq(sip_listen(&mp.lsnr, mp.sip, true, mpeer_req, NULL),
			 0);
	ck_assert_int_eq(media_stream_alloc(&mp.ms, &ip, 0), 0);
	pms = mp.ms;
	if (q)
		ck_assert_int_eq(media_stream_set_quirks(mp.ms, q), 0);
	ck_assert_int_eq(media_stream_tone(mp.ms, 2000, 0, NULL, NULL), 0);
	ck_assert_int_eq(sdp_oa_alloc(&mp.oa, media_stream_laddr(mp.ms)), 0);
}


static void mpeer_stop(void)
{
	pms = NULL;
	mem_deref(mp.lsnr);
	mem_deref(mp.sip);
	mem_deref(mp.ms);
	mem_deref(mp.oa);
}


static bool mpeer_acked(void)
{
	return mp.acked;
}


static void mpeer_call(const struct phone_media_conf *m)
{
	char uri[64];

	pa = new_phone("alice", &mp.laddr, m);
	re_snprintf(uri, sizeof(uri), "sip:peer@%J", &mp.laddr);
	ck_assert_int_eq(phone_call_start(&ca, pa, uri, NULL), 0);
	ck_assert(run_until(mpeer_acked, 2000));
}


/* what the phone sent, measured by another engine's stream, and what it
 * measured of that stream */
START_TEST(test_peer_stream)
{
	const struct phone_media_conf m = {.tone_hz = 660};

	mpeer_start(NULL);
	mpeer_call(&m);
	advance(2000);
	ck_assert_int_eq(phone_call_press(ca, "9*"), 0);
	advance(3500);          /* past the first RTCP report (5 s) */
	settle();

	figs(pa, &fa);
	refresh_all();

	/* the phone's stream as the peer saw it */
	ASSERT_GOT(pr.packets, fa.tx.packets);
	ASSERT_SPAN(fa.tx.packets, 5500);
	ck_assert_uint_eq(pr.tone_hz, 660);
	ck_assert_uint_eq(pr.lost, 0);
	ck_assert_uint_eq(pr.ssrc, fa.tx.ssrc);
	ck_assert_str_eq(pr.digits_4733, "9*");
	ck_assert_uint_ge(pr.rtcp_sr, 1);
	ck_assert(!pr.one_way && !pr.src_mismatch);

	/* the peer's stream as the phone saw it */
	ASSERT_GOT(fa.rx.packets, pt.packets);
	ck_assert_uint_eq(fa.rx.tone_hz, 2000);
	ck_assert_uint_eq(fa.rx.ssrc, pt.ssrc);

	pa = mem_deref(pa);
	mpeer_stop();
}
END_TEST


/* behind NAT with a private c= address: the SDP names it, RTP comes
 * from 127.0.0.1 and another port (the peer does not send, so nothing
 * goes to the private address) */
START_TEST(test_peer_nat_addr)
{
	const struct phone_media_conf m = {.nat = true,
					   .nat_addr = "192.168.1.100"};
	const struct media_quirks silent = {.no_rtp = true, .wrong_pt = -1,
					    .no_rtcp = true};
	struct sa src;

	mpeer_start(&silent);
	mpeer_call(&m);
	advance(1000);
	settle();

	ck_assert_ptr_nonnull(strstr(mp.offer, "c=IN IP4 192.168.1.100\r\n"));
	refresh_all();
	ASSERT_SPAN(pr.packets, 1000);
	ck_assert(pr.src_mismatch);
	(void)sa_set_str(&src, "127.0.0.1", 0);
	ck_assert(sa_cmp(&pr.src, &src, SA_ADDR));

	/* and the phone saw the silent peer: one-way */
	advance(2000);
	figs(pa, &fa);
	ck_assert(fa.rx.one_way);

	pa = mem_deref(pa);
	mpeer_stop();
}
END_TEST


/* ---- through the in-process registrar --------------------------------- */

static struct regclient *rc;


static bool b_registered(void)
{
	return phone_isregistered(pb);
}


/* bob calls the office domain, whose application dials alice: each
 * hears the other's tone through the service */
START_TEST(test_via_registrar)
{
	const struct phone_media_conf ma = {.tone_hz = 800};
	const struct phone_media_conf mb = {.tone_hz = 350};
	struct sa reg;

	fixture_registrar(&rc, config);
	ck_assert_int_eq(sim_registrar_laddr(regclient_registrar(rc),
					     SIP_TRANSP_UDP, &reg), 0);

	/* pb: alice, registered, answers; pa: bob, calls */
	pb = new_phone("alice", &reg, &mb);
	ck_assert_int_eq(phone_register(pb), 0);
	ck_assert(run_until(b_registered, 2000));
	pa = new_phone("bob", &reg, &ma);

	ck_assert_int_eq(phone_call_start(&ca, pa, "sip:alice@" OFFICE,
					  NULL), 0);
	ck_assert_msg(run_until(both_established, 3000),
		      "the call through the registrar was not established");

	advance_figs(3000);
	ck_assert_uint_ge(fa.rx.packets, 140);
	ck_assert_uint_ge(fb.rx.packets, 140);
	ck_assert_uint_eq(fa.rx.tone_hz, 350);
	ck_assert_uint_eq(fb.rx.tone_hz, 800);
	ck_assert(!fa.rx.one_way && !fb.rx.one_way);

	pair_free();
	rc = mem_deref(rc);
}
END_TEST


FIXTURE_MAIN("phone_media",
	FIXTURE_CASE("media", setup, teardown, 60, 0,
		     test_both_ways,
		     test_minute,
		     test_no_rtp,
		     test_nat,
		     test_no_codec,
		     test_delayed_offer,
		     test_ack_no_answer,
		     test_wrong_pt,
		     test_hold,
		     test_hold_send_on_hold,
		     test_dtmf_4733,
		     test_dtmf_inband,
		     test_dtmf_info,
		     test_dtmf_answer,
		     test_no_rtcp,
		     test_off,
		     test_conf_bad,
		     test_peer_stream,
		     test_peer_nat_addr,
		     test_via_registrar));
