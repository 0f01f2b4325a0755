/**
 * @file test_media.c  media/: SDP offer/answer, two streams talking real
 * RTP over 127.0.0.1 on the virtual clock, the receive figures against
 * hand-made packet sequences
 */

#include <check.h>
#include "fixture.h"
#include "check_run.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include <rem.h>
#include "vclock.h"
#include "vtimer.h"
#include "sdp_oa.h"
#include "stats.h"
#include "stream.h"
#include "media_fixture.h"


static struct tmr guard;


static void setup(void)
{
	mfix_begin();
	tmr_init(&guard);
}


static void teardown(void)
{
	tmr_cancel(&guard);
	mfix_end();
}


/* the clock moved by ms, 20 ms a loop turn, every frame sent and read */
static void advance(uint64_t ms)
{
	mfix_advance(ms);
}


static struct {
	const struct media_stream *tx, *rx;
	unsigned left;
} stl;


static bool arrived(void)
{
	struct media_rx_figs f;
	struct media_tx_figs t;

	media_stream_tx_figs(stl.tx, &t);
	media_rx_figs(media_stream_rx(stl.rx), vclock_now(), &f);

	return f.packets >= t.packets;
}


static void settle_h(void *arg)
{
	(void)arg;
	if (arrived() || !--stl.left)
		re_cancel();
	else
		tmr_start(&guard, 1, settle_h, NULL);
}


/*
 * Stopped senders: what is in flight arrives.  Loopback hands datagrams
 * over in a softirq, which a loaded machine defers: wait until rx has
 * them all (up to 2 s of real time), then the counts are compared.
 */
static void settle(const struct media_stream *tx,
		   const struct media_stream *rx)
{
	stl.tx = tx;
	stl.rx = rx;
	stl.left = 2000;
	tmr_start(&guard, 0, settle_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
}


static struct mbuf *mb_str(const char *s)
{
	struct mbuf *mb = mbuf_alloc(512);

	ck_assert_ptr_nonnull(mb);
	ck_assert_int_eq(mbuf_write_str(mb, s), 0);
	mb->pos = 0;

	return mb;
}


/* ----------------------------------------------------------------- SDP */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

struct oa_case {
	const char *offer;
	int err;
	int pt;            /* chosen codec */
	const char *dir;   /* the answer's a= direction */
	const char *reason;
};

static const struct oa_case oa_cases[] = {
	/* the first codec of the offer that we support */
	{SDP_HEAD "m=audio 4000 RTP/AVP 8 0 101\r\n"
	 "a=rtpmap:101 telephone-event/8000\r\n", 0, 8, "a=sendrecv", ""},
	{SDP_HEAD "m=audio 4000 RTP/AVP 18 0 8\r\n", 0, 0, "a=sendrecv", ""},
	/* with a=rtpmap too; a dynamic PT is no G.711 of ours */
	{SDP_HEAD "m=audio 4000 RTP/AVP 97 8\r\na=rtpmap:97 PCMU/8000\r\n"
	 "a=rtpmap:8 PCMA/8000\r\n", 0, 8, "a=sendrecv", ""},
	/* MEDIA-SDP-2 */
	{SDP_HEAD "m=audio 4000 RTP/AVP 18 9\r\n", EPROTONOSUPPORT, -1, NULL,
	 "no common codec"},
	/* MEDIA-HOLD-1 */
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", 0, 0,
	 "a=recvonly", ""},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n", 0, 0,
	 "a=inactive", ""},
	{"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
	 "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", 0, 0, "a=recvonly", ""},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", 0, 0,
	 "a=sendonly", ""},
	/* MEDIA-SRTP-1 (secure media off) */
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
	 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n", ENOTSUP, -1, NULL,
	 "RTP/SAVP"},
	{SDP_HEAD "m=video 4000 RTP/AVP 96\r\n", ENOTSUP, -1, NULL,
	 "no audio"},
	/* malformed: the line is named */
	{"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.x\r\n"
	 "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", EBADMSG, -1, NULL,
	 "line 4: c=: bad address"},
	{SDP_HEAD "m=audio 99999 RTP/AVP 0\r\n", EBADMSG, -1, NULL,
	 "line 6: m=: bad port"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0 x\r\n", EBADMSG, -1, NULL,
	 "line 6: m=: bad payload type 'x'"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", EBADMSG,
	 -1, NULL, "line 7: a=rtpmap"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\nhello\r\n", EBADMSG, -1, NULL,
	 "line 7: not 'type=value'"},
	{"o=- 1 1 IN IP4 127.0.0.1\r\n", EBADMSG, -1, NULL,
	 "line 1: the first line must be v=0"},
	{"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n", EBADMSG, -1, NULL,
	 "line 5: m=audio without a c= line"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\na=ptime:abc\r\n", EBADMSG, -1,
	 NULL, "line 7: a=ptime: bad value"},
	{SDP_HEAD "x=1\r\n", EBADMSG, -1, NULL, "line 6: unknown line type"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\x01\r\n", EBADMSG, -1, NULL,
	 "line 6: control character 0x01 at column 23"},
};


START_TEST(test_sdp_offer)
{
	struct sdp_oa *oa = NULL;
	struct mbuf *mb = NULL;
	struct sa la;
	char *s = NULL;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30002), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);
	ck_assert_int_eq(sdp_oa_offer(oa, &mb), 0);
	ck_assert_int_eq(mbuf_strdup(mb, &s, mb->end), 0);

	/* MEDIA-SDP-1 */
	ck_assert_ptr_nonnull(strstr(s, "c=IN IP4 127.0.0.1\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "m=audio 30002 RTP/AVP 0 8 101\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=rtpmap:0 PCMU/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=rtpmap:8 PCMA/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s,
				     "a=rtpmap:101 telephone-event/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=fmtp:101 0-16\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=ptime:20\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=sendrecv\r\n"));
	ck_assert_int_eq(sdp_oa_check(mb->buf, mb->end, NULL, 0), 0);

	/* our own hold offer */
	mem_deref(mb);
	mb = NULL;
	s = mem_deref(s);
	sdp_oa_set_ldir(oa, SDP_SENDONLY);
	ck_assert_int_eq(sdp_oa_offer(oa, &mb), 0);
	ck_assert_int_eq(mbuf_strdup(mb, &s, mb->end), 0);
	ck_assert_ptr_nonnull(strstr(s, "a=sendonly\r\n"));

	mem_deref(s);
	mem_deref(mb);
	mem_deref(oa);
}
END_TEST


START_TEST(test_sdp_answer)
{
	const struct oa_case *c = &oa_cases[_i];
	const struct sdp_oa_remote *r;
	struct sdp_oa *oa = NULL;
	struct mbuf *offer, *ans = NULL;
	struct sa la;
	char *s = NULL;
	int err;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30004), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);

	offer = mb_str(c->offer);
	err = sdp_oa_answer(oa, &ans, offer);
	ck_assert_msg(err == c->err, "case %d: err %d (%s), want %d", _i, err,
		      sdp_oa_reason(oa), c->err);
	ck_assert_msg(strstr(sdp_oa_reason(oa), c->reason),
		      "case %d: reason '%s' lacks '%s'", _i,
		      sdp_oa_reason(oa), c->reason);

	if (err) {
		ck_assert_uint_eq(sdp_oa_status(err),
				  err == EBADMSG ? 400 : 488);
		ck_assert_ptr_null(ans);
		goto out;
	}

	r = sdp_oa_remote(oa);
	ck_assert_int_eq(r->pt, c->pt);
	ck_assert_int_eq(mbuf_strdup(ans, &s, ans->end), 0);
	ck_assert_msg(strstr(s, c->dir), "case %d: answer\n%s", _i, s);

	/* the answer names the chosen codec alone */
	{
		char m[48];

		(void)re_snprintf(m, sizeof(m), "m=audio 30004 RTP/AVP %d",
				  c->pt);
		ck_assert_msg(strstr(s, m), "case %d: answer\n%s", _i, s);
	}
	ck_assert_int_eq(sdp_oa_check(ans->buf, ans->end, NULL, 0), 0);

 out:
	mem_deref(s);
	mem_deref(ans);
	mem_deref(offer);
	mem_deref(oa);
}
END_TEST


START_TEST(test_sdp_remote)
{
	const struct sdp_oa_remote *r;
	struct sdp_oa *oa = NULL;
	struct mbuf *offer, *ans = NULL;
	struct sa la;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30006), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);

	offer = mb_str(SDP_HEAD "m=audio 4000 RTP/AVP 0 96\r\n"
		       "a=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n"
		       "a=sendonly\r\n");
	ck_assert_int_eq(sdp_oa_answer(oa, &ans, offer), 0);
	r = sdp_oa_remote(oa);
	ck_assert_int_eq(r->tev_pt, 96);
	ck_assert_uint_eq(r->ptime, 30);
	ck_assert_uint_eq(sa_port(&r->addr), 4000);
	ck_assert_uint_eq(sa_port(&r->rtcp), 4001);
	ck_assert(r->hold);
	ck_assert(!sdp_oa_sending(oa));
	ck_assert(sdp_oa_receiving(oa));

	/* resume */
	mem_deref(offer);
	ans = mem_deref(ans);
	offer = mb_str(SDP_HEAD "m=audio 4000 RTP/AVP 0\r\n");
	ck_assert_int_eq(sdp_oa_answer(oa, &ans, offer), 0);
	ck_assert(!sdp_oa_remote(oa)->hold);
	ck_assert(sdp_oa_sending(oa));

	/* secure media asked for: detected for MEDIA-SRTP-1 */
	mem_deref(offer);
	ans = mem_deref(ans);
	offer = mb_str(SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n");
	ck_assert_int_eq(sdp_oa_answer(oa, &ans, offer), ENOTSUP);
	ck_assert(sdp_oa_remote(oa)->savp);
	ck_assert(sdp_oa_remote(oa)->crypto);

	mem_deref(offer);
	mem_deref(ans);
	mem_deref(oa);
}
END_TEST


/* ------------------------------------------------------- two streams */

struct pair {
	struct media_stream *a, *b;
	struct sdp_oa *oa, *ob;
};


static void pair_alloc(struct pair *p, const struct media_quirks *qa)
{
	struct mbuf *offer = NULL, *ans = NULL;
	struct sa ip;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(sa_set_str(&ip, "127.0.0.1", 0), 0);
	ck_assert_int_eq(media_stream_alloc(&p->a, &ip, 3000), 0);
	ck_assert_int_eq(media_stream_alloc(&p->b, &ip, 3000), 0);
	if (qa)
		ck_assert_int_eq(media_stream_set_quirks(p->a, qa), 0);

	ck_assert_int_eq(sdp_oa_alloc(&p->oa, media_stream_laddr(p->a)), 0);
	ck_assert_int_eq(sdp_oa_alloc(&p->ob, media_stream_laddr(p->b)), 0);

	/* a offers, b answers */
	ck_assert_int_eq(sdp_oa_offer(p->oa, &offer), 0);
	ck_assert_int_eq(sdp_oa_answer(p->ob, &ans, offer), 0);
	ck_assert_int_eq(sdp_oa_accept(p->oa, ans), 0);
	ck_assert_int_eq(media_stream_apply(p->a, p->oa), 0);
	ck_assert_int_eq(media_stream_apply(p->b, p->ob), 0);

	mem_deref(offer);
	mem_deref(ans);
}


/* both started: the ACK of the call */
static void pair_start(struct pair *p, const struct media_quirks *qa)
{
	pair_alloc(p, qa);
	ck_assert_int_eq(media_stream_start(p->a), 0);
	ck_assert_int_eq(media_stream_start(p->b), 0);
}


static void pair_free(struct pair *p)
{
	mem_deref(p->a);
	mem_deref(p->b);
	mem_deref(p->oa);
	mem_deref(p->ob);
}


static void rx(struct media_stream *ms, struct media_rx_figs *f)
{
	media_rx_figs(media_stream_rx(ms), vclock_now(), f);
}


/* stopped senders: what is in flight arrives, then each side's figures */
static void pair_figs(struct pair *p, struct media_tx_figs *ta,
		      struct media_tx_figs *tb, struct media_rx_figs *fa,
		      struct media_rx_figs *fb)
{
	settle(p->a, p->b);
	settle(p->b, p->a);
	media_stream_tx_figs(p->a, ta);
	media_stream_tx_figs(p->b, tb);
	rx(p->a, fa);
	rx(p->b, fb);
}


static struct tmr slow_tmr;


/* a loaded machine: every loop turn takes 25 ms of real time */
static void slow_h(void *arg)
{
	(void)arg;
	(void)usleep(25000);
	tmr_start(&slow_tmr, 0, slow_h, NULL);
}


/* the clock runs slower than real time while media advances: 2 s of it
 * are 100 frames each way however long the 100 steps take (2.5 s here;
 * a clock that followed real time would give 125) */
START_TEST(test_advance_slower_than_real)
{
	struct media_tx_figs ta, tb;
	struct media_rx_figs fa, fb;
	uint64_t t0, r0, el;
	struct pair p;

	pair_alloc(&p, NULL);
	ck_assert_int_eq(media_stream_tone(p.a, 440, 0, NULL, NULL), 0);
	ck_assert_int_eq(media_stream_tone(p.b, 1000, 0, NULL, NULL), 0);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(p.b), 0);

	t0 = vclock_now();
	r0 = vclock_lag();
	tmr_start(&slow_tmr, 0, slow_h, NULL);
	advance(2000);
	el = vclock_now() - t0;
	tmr_cancel(&slow_tmr);
	media_stream_stop(p.a);
	media_stream_stop(p.b);
	pair_figs(&p, &ta, &tb, &fa, &fb);
	ck_assert_uint_ge(ta.frames, 100);
	ck_assert_uint_le(ta.frames, 101);
	ck_assert_uint_ge(tb.frames, 100);
	ck_assert_uint_le(tb.frames, 101);
	ck_assert_uint_eq(ta.packets, ta.frames);
	ck_assert_uint_eq(fb.packets, ta.packets);
	ck_assert_uint_eq(fa.packets, tb.packets);
	ck_assert_uint_eq(fb.lost, 0);

	/* the steps took longer than the span: the clock lagged */
	ck_assert_uint_ge(vclock_lag() - r0, 400);
	ck_assert_uint_ge(el, 2000);
	ck_assert_uint_le(el, 2002);

	pair_free(&p);
}
END_TEST


START_TEST(test_call_60s)
{
	struct media_rx_figs fa, fb;
	struct media_tx_figs ta, tb;
	uint64_t w0, wall;
	struct pair p;

	pair_alloc(&p, NULL);
	ck_assert_int_eq(media_stream_tone(p.a, 440, 0, NULL, NULL), 0);
	ck_assert_int_eq(media_stream_tone(p.b, 1000, 0, NULL, NULL), 0);

	w0 = vclock_now();
	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(p.b), 0);
	advance(60000);
	media_stream_stop(p.a);
	media_stream_stop(p.b);
	wall = vclock_now() - w0 - 60000 + 20;
	pair_figs(&p, &ta, &tb, &fa, &fb);

	/* one packet per 20 ms of the clock: 60 s (the real milliseconds
	 * between the start and the advance may add one) */
	ck_assert_uint_ge(ta.packets, 3000);
	ck_assert_uint_le(ta.packets, 3000 + wall / 20);
	ck_assert_uint_eq(ta.packets, ta.frames);
	ck_assert_uint_eq(tb.packets, tb.frames);
	ck_assert_uint_ge(tb.packets, 3000);
	ck_assert_uint_le(tb.packets, 3000 + wall / 20);

	/* the first frame goes out once its 20 ms have passed */
	ck_assert_int_ge(ta.first_ms, 20);
	ck_assert_int_le(ta.first_ms, 40);

	/* every packet arrived, in order, one SSRC, on a 20 ms cadence */
	ck_assert_uint_eq(fb.packets, ta.packets);
	ck_assert_uint_eq(fa.packets, tb.packets);
	ck_assert_uint_eq(fb.bytes, 160ull * ta.packets);
	ck_assert_uint_eq(fb.lost, 0);
	ck_assert_uint_eq(fb.gaps, 0);
	ck_assert_uint_eq(fb.ssrc, ta.ssrc);
	ck_assert_uint_eq(fb.ssrc_changes, 0);
	ck_assert_uint_eq(fb.pt_unexpected, 0);
	ck_assert(fb.pts[0] & 1);
	/* a 20 ms cadence: the clock counts whole ms and the real time a
	 * loaded machine takes to read adds a few (one jump instead gives
	 * 20 ms: test_jump) */
	ck_assert_double_lt(fb.jitter_ms, 10.0);
	ck_assert_double_lt(fa.jitter_ms, 10.0);
	/* 20 ms, plus what a loaded box defers */
	ck_assert_int_ge(fb.first_ms, 20);
	ck_assert_int_le(fb.first_ms, 100);
	ck_assert(!fb.one_way);
	ck_assert(!fa.one_way);
	ck_assert(!fb.src_mismatch);

	/* the tones cross: 440 Hz heard at b, 1000 Hz at a */
	ck_assert_uint_eq(fb.tone_hz, 440);
	ck_assert_uint_eq(fa.tone_hz, 1000);
	ck_assert_uint_gt(fb.tone_blocks, fb.blocks * 9 / 10);

	/* RTCP every 5 s: SRs both ways */
	ck_assert_uint_ge(ta.rtcp, 11);
	ck_assert_uint_ge(fb.rtcp_sr, 11);
	ck_assert_uint_ge(fa.rtcp_sr, 11);
	ck_assert_int_eq(fa.peer_lost, 0);

	/* a capture of the first 3 s */
	{
		size_t n = 0;

		ck_assert_ptr_nonnull(media_rx_capture(media_stream_rx(p.b),
						       &n));
		ck_assert_uint_eq(n, 24000);
	}

	pair_free(&p);
}
END_TEST


/* the same counts when the clock jumps at once: the sender catches up */
START_TEST(test_jump)
{
	struct media_rx_figs fb;
	struct media_tx_figs ta;
	struct pair p;

	pair_alloc(&p, NULL);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	vclock_advance(10000);
	vtimer_poll();
	advance(0);
	media_stream_stop(p.a);
	settle(p.a, p.b);

	media_stream_tx_figs(p.a, &ta);
	rx(p.b, &fb);
	ck_assert_uint_ge(ta.packets, 500);
	ck_assert_uint_le(ta.packets, 520);
	ck_assert_uint_eq(fb.packets, ta.packets);
	ck_assert_uint_eq(fb.lost, 0);
	/* but they arrived in bursts, not 20 ms apart */
	ck_assert_double_gt(fb.jitter_ms, 10.0);

	pair_free(&p);
}
END_TEST


static char digits_seen[16];

static void digit_h(char d, bool inband, void *arg)
{
	size_t n = strlen(digits_seen);

	(void)arg;
	if (n + 2 < sizeof(digits_seen)) {
		digits_seen[n] = inband ? (char)(d | 0x80) : d;
		digits_seen[n + 1] = '\0';
	}
}


START_TEST(test_dtmf_4733)
{
	struct media_rx_figs fb;
	struct media_tx_figs ta;
	struct pair p;

	memset(digits_seen, 0, sizeof(digits_seen));
	pair_alloc(&p, NULL);
	media_rx_set_digith(media_stream_rx(p.b), digit_h, NULL);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(p.b), 0);
	ck_assert_int_eq(media_stream_dtmf(p.a, "12#", NULL, NULL), 0);
	advance(3000);
	media_stream_stop(p.a);
	settle(p.a, p.b);

	media_stream_tx_figs(p.a, &ta);
	rx(p.b, &fb);
	ck_assert_str_eq(ta.digits, "12#");
	ck_assert_uint_gt(ta.tev, 9);
	ck_assert_uint_eq(fb.tev, ta.tev);
	ck_assert_str_eq(fb.digits_4733, "12#");
	ck_assert_str_eq(fb.digits_inband, "");
	ck_assert_str_eq(digits_seen, "12#");

	pair_free(&p);
}
END_TEST


START_TEST(test_dtmf_inband)
{
	const struct media_quirks q = {.wrong_pt = -1, .dtmf_inband = true};
	struct media_rx_figs fb;
	struct pair p;

	pair_start(&p, &q);
	ck_assert_int_eq(media_stream_dtmf(p.a, "159*", NULL, NULL), 0);
	advance(3000);

	rx(p.b, &fb);
	ck_assert_uint_eq(fb.tev, 0);
	ck_assert_str_eq(fb.digits_inband, "159*");
	ck_assert_str_eq(fb.digits_4733, "");

	pair_free(&p);
}
END_TEST


START_TEST(test_one_way)
{
	const struct media_quirks q = {.wrong_pt = -1, .no_rtp = true};
	struct media_rx_figs fa, fb;
	struct pair p;

	pair_start(&p, &q);

	advance(1000);
	rx(p.b, &fb);
	ck_assert(!fb.one_way);      /* not yet: 2 s */

	advance(1500);
	rx(p.b, &fb);
	rx(p.a, &fa);
	ck_assert_uint_eq(fb.packets, 0);
	ck_assert(fb.one_way);       /* MEDIA-RTP-3 */
	ck_assert(!fa.one_way);      /* b's audio reached a */
	ck_assert_uint_gt(fa.packets, 100);

	/* RTCP at 5 s: the silent side reports (RR), the other sends SR */
	advance(3000);
	rx(p.b, &fb);
	rx(p.a, &fa);
	ck_assert_uint_ge(fb.rtcp_rr, 1);
	ck_assert_uint_eq(fb.rtcp_sr, 0);
	ck_assert_uint_ge(fa.rtcp_sr, 1);
	ck_assert_int_eq(fb.peer_lost, 0);

	pair_free(&p);
}
END_TEST


START_TEST(test_nat_latch)
{
	const struct media_quirks q = {.wrong_pt = -1, .nat = true};
	struct media_rx_figs fa, fb;
	struct pair p;

	pair_start(&p, &q);
	advance(2000);

	rx(p.a, &fa);
	rx(p.b, &fb);

	/* b heard a from another port than a's SDP names, and answered
	 * there (MEDIA-RTP-2); a hears b only through that port */
	ck_assert(fb.src_mismatch);
	ck_assert(sa_cmp(&fb.src, media_stream_dst(p.b), SA_ALL));
	ck_assert(media_stream_latched(p.b));
	ck_assert(!sa_cmp(media_stream_dst(p.b), media_stream_laddr(p.a),
			  SA_ALL));
	ck_assert_uint_ge(fa.packets, 90);
	ck_assert(!fa.one_way);

	pair_free(&p);
}
END_TEST


START_TEST(test_hold)
{
	struct media_tx_figs tb;
	struct media_rx_figs fa;
	uint32_t before;
	struct pair p;

	pair_start(&p, NULL);
	advance(1000);

	/* a holds b: b stops sending, a expects nothing */
	media_stream_set_dir(p.b, false, true);
	media_stream_set_dir(p.a, true, false);
	media_stream_tx_figs(p.b, &tb);
	before = tb.packets;
	ck_assert_uint_ge(before, 50);
	advance(3000);
	media_stream_tx_figs(p.b, &tb);
	ck_assert_uint_eq(tb.packets, before);
	ck_assert(!tb.sending);
	rx(p.a, &fa);
	ck_assert(!fa.one_way);

	/* resume */
	media_stream_set_dir(p.b, true, true);
	media_stream_set_dir(p.a, true, true);
	advance(1000);
	media_stream_tx_figs(p.b, &tb);
	ck_assert_uint_ge(tb.packets, before + 50);
	rx(p.a, &fa);
	ck_assert_int_ge(fa.first_ms, 0);
	ck_assert_int_le(fa.first_ms, 100);

	pair_free(&p);
}
END_TEST


/* a sender that keeps sending on hold is seen doing so */
START_TEST(test_hold_quirk)
{
	const struct media_quirks q = {.wrong_pt = -1, .send_on_hold = true};
	struct media_tx_figs ta;
	uint32_t before;
	struct pair p;

	pair_alloc(&p, &q);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	advance(500);
	media_stream_set_dir(p.a, false, true);
	media_stream_tx_figs(p.a, &ta);
	before = ta.packets;
	advance(1000);
	media_stream_tx_figs(p.a, &ta);
	ck_assert_uint_ge(ta.packets, before + 45);

	pair_free(&p);
}
END_TEST


START_TEST(test_bridge)
{
	struct media_stream *c = NULL, *d = NULL;
	struct media_rx_figs fd;
	struct pair p;

	/* a -> b, b relays to c, c -> d: d hears a's tone */
	pair_alloc(&p, NULL);
	{
		struct sa ip;

		ck_assert_int_eq(sa_set_str(&ip, "127.0.0.1", 0), 0);
		ck_assert_int_eq(media_stream_alloc(&c, &ip, 0), 0);
		ck_assert_int_eq(media_stream_alloc(&d, &ip, 0), 0);
	}
	media_stream_set_remote(c, media_stream_laddr(d), NULL, 8, -1);
	media_stream_set_remote(d, media_stream_laddr(c), NULL, 8, -1);
	ck_assert_int_eq(media_stream_tone(p.a, 660, 0, NULL, NULL), 0);
	ck_assert_int_eq(media_stream_relay(c, p.b), 0);

	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(c), 0);
	ck_assert_int_eq(media_stream_start(d), 0);
	advance(2000);

	media_rx_figs(media_stream_rx(d), vclock_now(), &fd);
	ck_assert_uint_ge(fd.packets, 95);
	ck_assert(fd.pts[1] & 1);        /* PT 8 on this side */
	ck_assert_uint_eq(fd.tone_hz, 660);

	mem_deref(c);
	mem_deref(d);
	pair_free(&p);
}
END_TEST


static unsigned dones;

static void done_h(void *arg)
{
	(void)arg;
	dones++;
}


/* <Play>: a WAV file (here written by the test: 1 s of 500 Hz) */
START_TEST(test_wav)
{
	char path[] = "/tmp/test_media_XXXXXX.wav";
	struct mbuf *tone = mbuf_alloc(16000), *wav = mbuf_alloc(16100);
	struct media_rx_figs fb;
	struct media_tx_figs ta;
	struct pair p;
	FILE *f;
	int fd;

	ck_assert_int_eq(autone_sine(tone, 8000, 500, 30, 0, 0), 0);
	ck_assert_int_eq(media_wav_encode(wav, (int16_t *)tone->buf,
					  tone->end / 2), 0);
	fd = mkstemps(path, 4);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(wav->buf, 1, wav->end, f), wav->end);
	fclose(f);

	dones = 0;
	pair_alloc(&p, NULL);
	ck_assert_int_eq(media_stream_wav(p.a, "/nonexistent.wav", NULL,
					  NULL), ENOENT);
	ck_assert_int_eq(media_stream_wav(p.a, path, done_h, NULL), 0);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(p.b), 0);
	advance(2000);
	unlink(path);

	media_stream_tx_figs(p.a, &ta);
	rx(p.b, &fb);
	ck_assert_uint_eq(dones, 1);
	ck_assert_uint_eq(fb.tone_hz, 500);
	/* a second of it, then silence */
	ck_assert_uint_ge(fb.tone_blocks, 18);
	ck_assert_uint_le(fb.tone_blocks, 20);
	ck_assert_uint_ge(fb.silent_blocks, 18);
	ck_assert_uint_ge(ta.packets, 99);

	pair_free(&p);
	mem_deref(tone);
	mem_deref(wav);
}
END_TEST


/* <Say>: a tone for a while, then silence and the done handler */
START_TEST(test_tone_done)
{
	const struct media_quirks q = {.wrong_pt = 18};
	struct media_rx_figs fb;
	struct pair p;

	dones = 0;
	pair_alloc(&p, &q);
	ck_assert_int_eq(media_stream_tone(p.a, 800, 500, done_h, NULL), 0);
	ck_assert_int_eq(media_stream_tone(p.a, 5000, 0, NULL, NULL), EINVAL);
	ck_assert_int_eq(media_stream_start(p.a), 0);
	ck_assert_int_eq(media_stream_start(p.b), 0);
	advance(1000);
	ck_assert_uint_eq(dones, 1);
	media_stream_stop(p.a);
	settle(p.a, p.b);

	/* the quirk: G.711 sent as PT 18, seen and not decoded */
	rx(p.b, &fb);
	ck_assert_uint_ge(fb.packets, 49);
	ck_assert_uint_eq(fb.pt_unexpected, fb.packets);
	ck_assert_uint_eq(fb.audio, 0);
	ck_assert(fb.pts[18 / 8] & (1u << (18 % 8)));
	ck_assert_uint_eq(fb.tone_hz, 0);

	pair_free(&p);
}
END_TEST


/* a delayed offer (MEDIA-SDP-3): we offer in the 2xx, the ACK answers */
START_TEST(test_sdp_accept)
{
	struct sdp_oa *oa = NULL;
	struct mbuf *offer = NULL, *ans;
	struct sa la;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30008), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);
	ck_assert_int_eq(sdp_oa_offer(oa, &offer), 0);

	ans = mb_str(SDP_HEAD "m=audio 5000 RTP/AVP 8 101\r\n"
		     "a=rtpmap:101 telephone-event/8000\r\n");
	ck_assert_int_eq(sdp_oa_accept(oa, ans), 0);
	ck_assert_int_eq(sdp_oa_remote(oa)->pt, 8);
	ck_assert_int_eq(sdp_oa_remote(oa)->tev_pt, 101);
	ck_assert_uint_eq(sa_port(&sdp_oa_remote(oa)->addr), 5000);
	ck_assert(sdp_oa_sending(oa));

	/* a 2xx answering with no codec of ours: ACK, then BYE */
	mem_deref(ans);
	ans = mb_str(SDP_HEAD "m=audio 5000 RTP/AVP 3\r\n");
	ck_assert_int_eq(sdp_oa_accept(oa, ans), EPROTONOSUPPORT);
	ck_assert_uint_eq(sdp_oa_status(EPROTONOSUPPORT), 488);

	mem_deref(ans);
	mem_deref(offer);
	mem_deref(oa);
}
END_TEST


static void real_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* without advance: real time paces the sender every 20 ms */
START_TEST(test_realtime)
{
	struct media_tx_figs ta;
	struct media_rx_figs fb;
	uint64_t t0, el;
	struct pair p;

	pair_alloc(&p, NULL);
	t0 = vclock_now();
	ck_assert_int_eq(media_stream_start(p.a), 0);
	tmr_start(&guard, 300, real_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	media_stream_stop(p.a);
	el = vclock_now() - t0;
	settle(p.a, p.b);

	media_stream_tx_figs(p.a, &ta);
	rx(p.b, &fb);
	/* the frame due at the very end may still wait for its turn */
	ck_assert_uint_le(ta.packets, el / 20);
	ck_assert_uint_ge(ta.packets + 1, el / 20);
	ck_assert_uint_ge(ta.packets, 14);
	ck_assert_uint_eq(fb.packets, ta.packets);

	pair_free(&p);
}
END_TEST


/* no RTCP from a phone that sends none; the figures as JSON */
START_TEST(test_no_rtcp_json)
{
	const struct media_quirks q = {.wrong_pt = -1, .no_rtcp = true};
	struct media_tx_figs ta;
	struct media_rx_figs fb;
	struct mbuf *mb = mbuf_alloc(2048);
	char *str = NULL;
	struct pair p;

	pair_start(&p, &q);
	advance(6000);
	media_stream_tx_figs(p.a, &ta);
	rx(p.b, &fb);
	ck_assert_uint_eq(ta.rtcp, 0);
	ck_assert_uint_eq(fb.rtcp_sr + fb.rtcp_rr, 0);

	ck_assert_int_eq(mbuf_printf(mb, "%H", media_stream_json, p.b), 0);
	mb->pos = 0;
	ck_assert_int_eq(mbuf_strdup(mb, &str, mb->end), 0);
	ck_assert_ptr_nonnull(strstr(str, "{\"local\":\"127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(str, "\"codec\":\"PCMU\""));
	ck_assert_ptr_nonnull(strstr(str, "\"latched\":false"));
	ck_assert_ptr_nonnull(strstr(str, ",\"rx\":{\"packets\":"));
	ck_assert_ptr_nonnull(strstr(str, "\"rtcp_sr\":0,"));
	ck_assert_ptr_nonnull(strstr(str, "\"src\":\"127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(str, "\"one_way\":false}}"));

	mem_deref(str);
	mem_deref(mb);
	pair_free(&p);
}
END_TEST


/* ---------------------------------------------- hand-made sequences */

static void pkt(struct media_rx *r, uint8_t pt, uint16_t seq, uint32_t ts,
		uint32_t ssrc, uint64_t at)
{
	uint8_t buf[12 + 160];
	struct mbuf mb;

	memset(buf, 0xff, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = pt;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;

	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = mb.end = sizeof(buf);
	(void)media_rx_packet(r, NULL, &mb, at);
}


START_TEST(test_loss)
{
	struct media_rx *r = NULL;
	struct media_rx_figs f;
	uint16_t s;

	ck_assert_int_eq(media_rx_alloc(&r, 0), 0);
	media_rx_expect(r, 0, 101, NULL);
	media_rx_start(r, 1000);

	/* 65530..65535, 0..9 without 3 and 4: a wrap, one gap, 2 lost */
	for (s = 65530; s != 10; s++) {
		if (s == 3 || s == 4)
			continue;
		pkt(r, 0, s, (uint32_t)s * 160, 7,
		    1000 + (s + 6u) % 65536 * 20);
	}
	media_rx_figs(r, 2000, &f);
	ck_assert_uint_eq(f.packets, 14);
	ck_assert_uint_eq(f.lost, 2);
	ck_assert_uint_eq(f.gaps, 1);
	ck_assert_uint_eq(f.late, 0);
	ck_assert_int_eq(f.first_ms, 0);

	/* 3 comes late: one lost less */
	pkt(r, 0, 3, 3 * 160, 7, 1400);
	media_rx_figs(r, 2000, &f);
	ck_assert_uint_eq(f.packets, 15);
	ck_assert_uint_eq(f.lost, 1);
	ck_assert_uint_eq(f.late, 1);
	ck_assert_uint_eq(f.gaps, 1);

	mem_deref(r);
}
END_TEST


START_TEST(test_jitter)
{
	struct media_rx *r = NULL;
	struct media_rx_figs f;
	double j = 0;
	int i, prev = 0;

	ck_assert_int_eq(media_rx_alloc(&r, 0), 0);
	media_rx_expect(r, 0, -1, NULL);
	media_rx_start(r, 0);

	/* even packets on time, odd ones 6 ms late: D = 48 timestamp units
	 * each time after the first, J += (|D| - J) / 16 (RFC 3550 A.8) */
	for (i = 0; i < 200; i++) {
		int late = (i % 2) ? 6 : 0;

		pkt(r, 0, (uint16_t)i, (uint32_t)i * 160, 9,
		    (uint64_t)(i * 20 + late));
		if (i)
			j += (fabs((double)(late - prev) * 8) - j) / 16;
		prev = late;
	}

	media_rx_figs(r, 5000, &f);
	ck_assert_double_ge(f.jitter_ms, j / 8 - 0.25);
	ck_assert_double_le(f.jitter_ms, j / 8 + 0.25);
	ck_assert_double_gt(f.jitter_ms, 5.0);

	mem_deref(r);
}
END_TEST


START_TEST(test_bad_packets)
{
	struct media_rx *r = NULL;
	struct media_rx_figs f;
	uint8_t buf[2000];
	struct mbuf mb;
	int i;

	ck_assert_int_eq(media_rx_alloc(&r, 0), 0);
	media_rx_expect(r, 0, -1, NULL);
	media_rx_start(r, 0);

	pkt(r, 0, 1, 160, 5, 20);

	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = sizeof(buf);

	memset(buf, 0, sizeof(buf));
	mb.end = 5;                        /* short */
	ck_assert_int_eq(media_rx_packet(r, NULL, &mb, 40), EBADMSG);
	buf[0] = 0x40;                     /* version 1 */
	mb.end = 100;
	ck_assert_int_eq(media_rx_packet(r, NULL, &mb, 40), EBADMSG);
	buf[0] = 0xa0;                     /* padding longer than it */
	buf[99] = 200;
	ck_assert_int_eq(media_rx_packet(r, NULL, &mb, 40), EBADMSG);
	buf[0] = 0x80;
	mb.end = sizeof(buf);              /* huge */
	ck_assert_int_eq(media_rx_packet(r, NULL, &mb, 40), EMSGSIZE);

	pkt(r, 0, 2, 320, 6, 40);          /* another SSRC at once */
	pkt(r, 8, 2, 320, 5, 40);          /* a PT not negotiated */
	ck_assert_int_eq(media_rx_rtcp(r, &mb), EMSGSIZE);
	mb.end = 9;
	ck_assert_int_eq(media_rx_rtcp(r, &mb), EBADMSG);

	/* and random bytes never crash it */
	srand(7);
	for (i = 0; i < 20000; i++) {
		size_t k, n = (size_t)rand() % 200;

		for (k = 0; k < n; k++)
			buf[k] = (uint8_t)rand();
		if (i % 2)
			buf[0] = 0x80 | (buf[0] & 0x3f);
		mb.end = n;
		(void)media_rx_packet(r, NULL, &mb, 60 + (uint64_t)i);
		(void)media_rx_rtcp(r, &mb);
	}

	media_rx_figs(r, 100, &f);
	ck_assert_uint_ge(f.malformed, 3);
	ck_assert_uint_eq(f.huge, 2);
	ck_assert_uint_ge(f.wrong_ssrc, 1);
	ck_assert_uint_ge(f.pt_unexpected, 1);
	ck_assert_uint_ge(f.rtcp_bad, 1);

	mem_deref(r);
}
END_TEST


START_TEST(test_json_wav)
{
	struct media_rx_figs f;
	struct media_rx *r = NULL;
	struct mbuf *mb = mbuf_alloc(256);
	const int16_t s[4] = {0, 1000, -1000, 0};
	char *str = NULL;

	ck_assert_int_eq(media_rx_alloc(&r, 0), 0);
	media_rx_start(r, 0);
	pkt(r, 0, 1, 160, 5, 20);
	media_rx_figs(r, 3000, &f);
	ck_assert_int_eq(mbuf_printf(mb, "%H", media_rx_figs_json, &f), 0);
	mb->pos = 0;
	ck_assert_int_eq(mbuf_strdup(mb, &str, mb->end), 0);
	ck_assert_ptr_nonnull(strstr(str, "\"packets\":1,"));
	ck_assert_ptr_nonnull(strstr(str, "\"pts\":[0]"));
	ck_assert_ptr_nonnull(strstr(str, "\"one_way\":false}"));

	mbuf_reset(mb);
	ck_assert_int_eq(media_wav_encode(mb, s, 4), 0);
	ck_assert_uint_eq(mb->end, 44 + 8);
	ck_assert_int_eq(memcmp(mb->buf, "RIFF", 4), 0);
	ck_assert_int_eq(memcmp(mb->buf + 36, "data", 4), 0);

	mem_deref(str);
	mem_deref(mb);
	mem_deref(r);
}
END_TEST



FIXTURE_MAIN("media",
	FIXTURE_CASE("media", setup, teardown, 60, 0,
		test_sdp_offer, test_sdp_remote, test_sdp_accept, test_call_60s,
		test_advance_slower_than_real, test_jump, test_dtmf_4733,
		test_dtmf_inband, test_one_way, test_nat_latch, test_hold,
		test_hold_quirk, test_bridge, test_wav, test_tone_done,
		test_realtime, test_no_rtcp_json, test_loss, test_jitter,
		test_bad_packets, test_json_wav),
	FIXTURE_CASE("answer", setup, teardown, 60,
		(int)(sizeof(oa_cases) / sizeof(oa_cases[0])),
		test_sdp_answer))
