/**
 * @file test_srtp.c  media/sdes.c and secure media (MEDIA-SRTP-1): the
 * a=crypto value, RTP/SAVP offer/answer, two streams talking SRTP and
 * SRTCP over 127.0.0.1 on the virtual clock, a tampered packet, a replay
 * and a wrong key counted and dropped
 */

#include <check.h>
#include "fixture.h"
#include "check_run.h"
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "media_fixture.h"
#include "sdes.h"
#include "sdp_oa.h"
#include "stats.h"
#include "stream.h"


static void setup(void)
{
	mfix_begin();
}


static void teardown(void)
{
	mfix_end();
}


static struct mbuf *mb_str(const char *s)
{
	struct mbuf *mb = mbuf_alloc(512);

	ck_assert_ptr_nonnull(mb);
	ck_assert_int_eq(mbuf_write_str(mb, s), 0);
	mb->pos = 0;

	return mb;
}


static char *mb_dup(struct mbuf *mb)
{
	char *s = NULL;

	ck_assert_int_eq(mbuf_strdup(mb, &s, mb->end), 0);

	return s;
}


/* ------------------------------------------------------------ a=crypto */

#define KEY40 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static const struct {
	const char *val;
	int err;
} crypto_cases[] = {
	{"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40, 0},
	{"7 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^20", 0},
	/* not ours, but an offer may list it */
	{"1 AES_CM_128_HMAC_SHA1_32 inline:" KEY40, ENOTSUP},
	{"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^20|1:4", ENOTSUP},
	{"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 " UNENCRYPTED_SRTP",
	 ENOTSUP},
	/* malformed */
	{"1 AES_CM_128_HMAC_SHA1_80 inline:x", EBADMSG},
	{"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "AAAA", EBADMSG},
	{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9"
	 "CnVub*==", EBADMSG},
	{"1 AES_CM_128_HMAC_SHA1_80 " KEY40, EBADMSG},
	{"x AES_CM_128_HMAC_SHA1_80 inline:" KEY40, EBADMSG},
	{"1", EBADMSG},
};


START_TEST(test_crypto_attr)
{
	struct sdes_crypto c, d;
	struct pl v;
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(crypto_cases) / sizeof(crypto_cases[0]);
	     i++) {
		pl_set_str(&v, crypto_cases[i].val);
		memset(&c, 0, sizeof(c));
		ck_assert_msg(sdes_crypto_decode(&c, &v) ==
			      crypto_cases[i].err, "case %zu: %s", i,
			      crypto_cases[i].val);
	}

	/* a fresh key prints and reads back the same */
	c.tag = 3;
	sdes_keygen(c.key);
	ck_assert_int_gt(re_snprintf(buf, sizeof(buf), "%H",
				     sdes_crypto_print, &c), 0);
	ck_assert_uint_eq(strlen(buf), 2 + 23 + 1 + 7 + 40);
	ck_assert_ptr_nonnull(strstr(buf, "3 AES_CM_128_HMAC_SHA1_80 inline:"));
	pl_set_str(&v, buf);
	ck_assert_int_eq(sdes_crypto_decode(&d, &v), 0);
	ck_assert_uint_eq(d.tag, 3);
	ck_assert_int_eq(memcmp(c.key, d.key, SDES_KEY_LEN), 0);

	/* two keys drawn differ */
	sdes_keygen(d.key);
	ck_assert_int_ne(memcmp(c.key, d.key, SDES_KEY_LEN), 0);
}
END_TEST


/* ------------------------------------------------------------- SDP */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define CRYPTO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n"

static const struct {
	const char *offer;
	bool secure;
	int err;
	const char *reason;
} savp_cases[] = {
	/* secure media on: RTP/SAVP with our suite */
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
	 "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY40 "\r\n"
	 "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n", true, 0,
	 ""},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\n", true, ENOTSUP,
	 "RTP/SAVP with a=crypto required"},
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n", true, ENOTSUP,
	 "without a=crypto"},
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
	 "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY40 "\r\n", true,
	 ENOTSUP, "no a=crypto with AES_CM_128_HMAC_SHA1_80"},
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
	 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n", true,
	 EBADMSG, "a=crypto: AES_CM_128_HMAC_SHA1_80 needs a 30-byte key"},
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
	 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY40 "\r\n", true,
	 EBADMSG, "line 7: a=crypto: expected 'tag suite inline:key'"},
	/* secure media off */
	{SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n" CRYPTO, false, ENOTSUP,
	 "RTP/SAVP: secure media is off"},
	{SDP_HEAD "m=audio 4000 RTP/AVP 0\r\n" CRYPTO, false, 0, ""},
};


START_TEST(test_sdp_savp)
{
	struct sdp_oa *oa = NULL;
	struct mbuf *offer, *ans = NULL;
	struct sa la;
	char *s;
	int err;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30010), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);
	ck_assert_int_eq(sdp_oa_set_secure(oa, savp_cases[_i].secure), 0);

	offer = mb_str(savp_cases[_i].offer);
	err = sdp_oa_answer(oa, &ans, offer);
	ck_assert_msg(err == savp_cases[_i].err, "case %d: %d (%s)", _i, err,
		      sdp_oa_reason(oa));
	ck_assert_msg(strstr(sdp_oa_reason(oa), savp_cases[_i].reason),
		      "case %d: '%s'", _i, sdp_oa_reason(oa));
	if (err) {
		ck_assert_uint_eq(sdp_oa_status(err),
				  err == EBADMSG ? 400 : 488);
		ck_assert_ptr_null(sdp_oa_lkey(oa));
		goto out;
	}

	s = mb_dup(ans);
	if (savp_cases[_i].secure) {
		/* the answer: RTP/SAVP, the offer's tag, our own key */
		ck_assert_ptr_nonnull(strstr(s, "m=audio 30010 RTP/SAVP 0"));
		ck_assert_ptr_nonnull(strstr(s, "a=crypto:5 "
					     "AES_CM_128_HMAC_SHA1_80 inline:"));
		ck_assert_ptr_null(strstr(s, KEY40));
		ck_assert(sdp_oa_remote(oa)->srtp);
		ck_assert_ptr_nonnull(sdp_oa_lkey(oa));
	}
	else {
		ck_assert_ptr_nonnull(strstr(s, "RTP/AVP"));
		ck_assert_ptr_null(strstr(s, "a=crypto"));
		ck_assert(!sdp_oa_remote(oa)->srtp);
	}
	ck_assert_int_eq(sdp_oa_check(ans->buf, ans->end, NULL, 0), 0);
	mem_deref(s);

 out:
	mem_deref(ans);
	mem_deref(offer);
	mem_deref(oa);
}
END_TEST


/* our offer, and an answer with a tag we never offered */
START_TEST(test_sdp_savp_offer)
{
	struct sdp_oa *oa = NULL;
	struct mbuf *offer = NULL, *ans;
	struct sa la;
	char *s;

	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 30012), 0);
	ck_assert_int_eq(sdp_oa_alloc(&oa, &la), 0);
	ck_assert_int_eq(sdp_oa_set_secure(oa, true), 0);
	ck_assert(sdp_oa_secure(oa));
	ck_assert_int_eq(sdp_oa_offer(oa, &offer), 0);
	s = mb_dup(offer);
	ck_assert_ptr_nonnull(strstr(s, "m=audio 30012 RTP/SAVP 0 8 101\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
				     "inline:"));
	mem_deref(s);

	ans = mb_str(SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		     "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY40
		     "\r\n");
	ck_assert_int_eq(sdp_oa_accept(oa, ans), ENOTSUP);
	ck_assert_ptr_nonnull(strstr(sdp_oa_reason(oa), "tag 2"));
	mem_deref(ans);

	ans = mb_str(SDP_HEAD "m=audio 4000 RTP/SAVP 0\r\n" CRYPTO);
	ck_assert_int_eq(sdp_oa_accept(oa, ans), 0);
	ck_assert(sdp_oa_remote(oa)->srtp);
	mem_deref(ans);

	mem_deref(offer);
	mem_deref(oa);
}
END_TEST


/* ------------------------------------------------------- two streams */

struct pair {
	struct media_stream *a, *b;
	struct sdp_oa *oa, *ob;
};


/* a offers RTP/SAVP, b answers; both started */
static void secure_pair(struct pair *p)
{
	struct mbuf *offer = NULL, *ans = NULL;
	struct sa ip;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(sa_set_str(&ip, "127.0.0.1", 0), 0);
	ck_assert_int_eq(media_stream_alloc(&p->a, &ip, 0), 0);
	ck_assert_int_eq(media_stream_alloc(&p->b, &ip, 0), 0);
	ck_assert_int_eq(sdp_oa_alloc(&p->oa, media_stream_laddr(p->a)), 0);
	ck_assert_int_eq(sdp_oa_alloc(&p->ob, media_stream_laddr(p->b)), 0);
	ck_assert_int_eq(sdp_oa_set_secure(p->oa, true), 0);
	ck_assert_int_eq(sdp_oa_set_secure(p->ob, true), 0);

	ck_assert_int_eq(sdp_oa_offer(p->oa, &offer), 0);
	ck_assert_int_eq(sdp_oa_answer(p->ob, &ans, offer), 0);
	ck_assert_int_eq(sdp_oa_accept(p->oa, ans), 0);
	ck_assert_int_eq(media_stream_apply(p->a, p->oa), 0);
	ck_assert_int_eq(media_stream_apply(p->b, p->ob), 0);
	ck_assert(media_stream_secure(p->a));
	ck_assert(media_stream_secure(p->b));
	mem_deref(offer);
	mem_deref(ans);

	ck_assert_int_eq(media_stream_tone(p->a, 440, 0, NULL, NULL), 0);
	ck_assert_int_eq(media_stream_tone(p->b, 1000, 0, NULL, NULL), 0);
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


/* the call ends: both stop, what is in flight arrives, the figures of
 * what a and b received */
static void finish(struct pair *p, struct media_rx_figs *fa,
		   struct media_rx_figs *fb)
{
	media_stream_stop(p->a);
	media_stream_stop(p->b);
	mfix_linger(50);
	media_rx_figs(media_stream_rx(p->a), vclock_now(), fa);
	media_rx_figs(media_stream_rx(p->b), vclock_now(), fb);
}


START_TEST(test_srtp_call)
{
	struct media_rx_figs fa, fb;
	struct media_tx_figs ta;
	struct pair p;
	char *js = NULL;

	secure_pair(&p);
	mfix_advance(6000);
	finish(&p, &fa, &fb);
	media_stream_tx_figs(p.a, &ta);

	/* every packet authenticated and decrypted: the tones cross */
	ck_assert_uint_ge(ta.packets, 295);
	ck_assert_uint_ge(fb.packets, ta.packets - 5);
	ck_assert_uint_eq(fb.bytes, 160ull * fb.packets);
	ck_assert_uint_eq(fb.srtp_fail, 0);
	ck_assert_uint_eq(fa.srtp_fail, 0);
	ck_assert_uint_eq(fb.malformed, 0);
	ck_assert_uint_eq(fb.tone_hz, 440);
	ck_assert_uint_eq(fa.tone_hz, 1000);
	/* SRTCP: the sender reports were read */
	ck_assert_uint_ge(fb.rtcp_sr, 1);
	ck_assert_uint_ge(fa.rtcp_sr, 1);
	ck_assert_uint_eq(fb.rtcp_bad, 0);

	ck_assert_int_eq(re_sdprintf(&js, "%H", media_stream_json, p.a), 0);
	ck_assert_ptr_nonnull(strstr(js, "\"srtp\":true"));
	ck_assert_ptr_nonnull(strstr(js, "\"srtp_fail\":0"));
	mem_deref(js);

	pair_free(&p);
}
END_TEST


/* a re-INVITE (hold, then resume) keeps the keys and the contexts: the
 * audio goes on without a failure, and the keys are the first ones */
START_TEST(test_srtp_reinvite)
{
	struct mbuf *offer = NULL, *ans = NULL;
	uint8_t key_a[SDES_KEY_LEN];
	struct media_rx_figs fb, fa;
	struct pair p;
	int k;

	secure_pair(&p);
	memcpy(key_a, sdp_oa_lkey(p.oa), SDES_KEY_LEN);
	mfix_advance(1000);

	for (k = 0; k < 2; k++) {
		sdp_oa_set_ldir(p.oa, k ? SDP_SENDRECV : SDP_SENDONLY);
		ck_assert_int_eq(sdp_oa_offer(p.oa, &offer), 0);
		ck_assert_int_eq(sdp_oa_answer(p.ob, &ans, offer), 0);
		ck_assert_int_eq(sdp_oa_accept(p.oa, ans), 0);
		ck_assert_int_eq(media_stream_apply(p.a, p.oa), 0);
		ck_assert_int_eq(media_stream_apply(p.b, p.ob), 0);
		offer = mem_deref(offer);
		ans = mem_deref(ans);
		mfix_advance(1000);
	}
	ck_assert_int_eq(memcmp(key_a, sdp_oa_lkey(p.oa), SDES_KEY_LEN), 0);
	ck_assert_int_eq(memcmp(key_a, sdp_oa_remote(p.ob)->key,
				SDES_KEY_LEN), 0);
	finish(&p, &fa, &fb);
	ck_assert_uint_eq(fb.srtp_fail, 0);
	ck_assert_uint_eq(fa.srtp_fail, 0);
	/* a holds (sendonly) for the middle second: a sent all 3 s, b 2 */
	ck_assert_uint_ge(fb.packets, 145);
	ck_assert_uint_ge(fa.packets, 95);
	ck_assert_uint_le(fa.packets, 105);
	ck_assert_uint_eq(fb.tone_hz, 440);
	ck_assert_uint_eq(fa.tone_hz, 1000);

	pair_free(&p);
}
END_TEST


/* b unprotects with a key that is not a's: nothing gets through */
START_TEST(test_srtp_wrong_key)
{
	struct media_rx_figs fa, fb;
	uint8_t wrong[SDES_KEY_LEN];
	struct pair p;

	secure_pair(&p);
	sdes_keygen(wrong);
	ck_assert_int_eq(media_stream_set_srtp(p.b, sdp_oa_lkey(p.ob), wrong),
			 0);
	mfix_advance(2000);
	finish(&p, &fa, &fb);
	ck_assert_uint_eq(fb.packets, 0);
	ck_assert_uint_ge(fb.srtp_fail, 90);
	ck_assert_uint_eq(fb.tone_hz, 0);
	ck_assert_uint_eq(fb.rtcp_sr, 0);

	pair_free(&p);
}
END_TEST


/* a plain stream hears a secure one: the header parses, the audio is
 * noise (what one-sided secure media sounds like) */
START_TEST(test_srtp_plain_peer)
{
	struct media_rx_figs fa, fb;
	struct pair p;

	secure_pair(&p);
	ck_assert_int_eq(media_stream_set_srtp(p.b, NULL, NULL), 0);
	ck_assert(!media_stream_secure(p.b));
	mfix_advance(2000);
	finish(&p, &fa, &fb);
	ck_assert_uint_ge(fb.packets, 90);
	ck_assert_uint_eq(fb.srtp_fail, 0);
	ck_assert_uint_ne(fb.tone_hz, 440);

	pair_free(&p);
}
END_TEST


static void rtp_pkt(struct mbuf *mb, uint16_t seq)
{
	size_t i;

	mbuf_reset(mb);
	ck_assert_int_eq(mbuf_write_u8(mb, 0x80), 0);
	ck_assert_int_eq(mbuf_write_u8(mb, 0), 0);
	ck_assert_int_eq(mbuf_write_u16(mb, htons(seq)), 0);
	ck_assert_int_eq(mbuf_write_u32(mb, htonl(160u * seq)), 0);
	ck_assert_int_eq(mbuf_write_u32(mb, htonl(0x1234)), 0);
	for (i = 0; i < 160; i++)
		ck_assert_int_eq(mbuf_write_u8(mb, (uint8_t)i), 0);
	mb->pos = 0;
}


/* protect/unprotect: tampered, replayed, wrong key, too short */
START_TEST(test_srtp_tamper)
{
	struct media_srtp *tx = NULL, *rx = NULL, *other = NULL;
	uint8_t key[SDES_KEY_LEN], k2[SDES_KEY_LEN];
	struct mbuf *mb = mbuf_alloc(256), *copy = mbuf_alloc(256);
	size_t n;

	sdes_keygen(key);
	sdes_keygen(k2);
	ck_assert_int_eq(media_srtp_alloc(&tx, key, NULL), 0);
	ck_assert_int_eq(media_srtp_alloc(&rx, NULL, key), 0);
	ck_assert_int_eq(media_srtp_alloc(&other, NULL, k2), 0);
	ck_assert(media_srtp_same(rx, NULL, key));
	ck_assert(!media_srtp_same(rx, NULL, k2));

	rtp_pkt(mb, 1);
	ck_assert_int_eq(media_srtp_protect(tx, mb, false), 0);
	ck_assert_uint_eq(mb->end, 12 + 160 + SDES_TAG_LEN);
	ck_assert_uint_eq(mb->pos, 0);
	ck_assert_uint_ne(mb->buf[12 + 5], 5);        /* encrypted */
	n = mb->end;

	/* a flipped bit: refused */
	mbuf_reset(copy);
	ck_assert_int_eq(mbuf_write_mem(copy, mb->buf, n), 0);
	copy->pos = 0;
	copy->buf[40] ^= 1;
	ck_assert_int_ne(media_srtp_unprotect(rx, copy, false), 0);
	/* the wrong key: refused */
	mbuf_reset(copy);
	ck_assert_int_eq(mbuf_write_mem(copy, mb->buf, n), 0);
	copy->pos = 0;
	ck_assert_int_ne(media_srtp_unprotect(other, copy, false), 0);
	/* the real one: back to plain */
	ck_assert_int_eq(media_srtp_unprotect(rx, mb, false), 0);
	ck_assert_uint_eq(mb->end, 12 + 160);
	ck_assert_uint_eq(mb->buf[12 + 5], 5);
	/* the same packet again: a replay */
	mbuf_reset(copy);
	rtp_pkt(copy, 1);
	ck_assert_int_eq(media_srtp_protect(tx, copy, false), 0);
	ck_assert_int_ne(media_srtp_unprotect(rx, copy, false), 0);
	/* a header and no tag */
	rtp_pkt(mb, 2);
	mb->end = 14;
	ck_assert_int_eq(media_srtp_unprotect(rx, mb, false), EBADMSG);

	mem_deref(tx);
	mem_deref(rx);
	mem_deref(other);
	mem_deref(mb);
	mem_deref(copy);
}
END_TEST


/* a tampered datagram on the wire: counted, dropped, the call goes on */
START_TEST(test_srtp_tamper_wire)
{
	struct media_srtp *tx = NULL;
	struct udp_sock *us = NULL;
	struct media_rx_figs fa, fb;
	struct mbuf *mb = mbuf_alloc(256);
	struct pair p;
	struct sa la;
	int i;

	secure_pair(&p);
	ck_assert_int_eq(sa_set_str(&la, "127.0.0.1", 0), 0);
	ck_assert_int_eq(udp_listen(&us, &la, NULL, NULL), 0);

	/* a's key, so that only the tag is wrong */
	ck_assert_int_eq(media_srtp_alloc(&tx, sdp_oa_lkey(p.oa), NULL), 0);
	for (i = 0; i < 5; i++) {
		rtp_pkt(mb, (uint16_t)(100 + i));
		ck_assert_int_eq(media_srtp_protect(tx, mb, false), 0);
		mb->buf[mb->end - 1] ^= 0x55;
		ck_assert_int_eq(udp_send(us, media_stream_laddr(p.b), mb), 0);
	}
	/* and garbage, short and long */
	mbuf_reset(mb);
	ck_assert_int_eq(mbuf_write_str(mb, "\x80hello"), 0);
	mb->pos = 0;
	ck_assert_int_eq(udp_send(us, media_stream_laddr(p.b), mb), 0);
	/* a STUN Binding request (RFC 7983: no RTP): not an SRTP failure,
	 * malformed RTP as in a plain stream */
	mbuf_reset(mb);
	ck_assert_int_eq(mbuf_write_mem(mb, (const uint8_t *)
					"\x00\x01\x00\x00\x21\x12\xa4\x42"
					"abcdefghijkl", 20), 0);
	mb->pos = 0;
	ck_assert_int_eq(udp_send(us, media_stream_laddr(p.b), mb), 0);

	mfix_advance(1000);
	finish(&p, &fa, &fb);
	ck_assert_uint_eq(fb.srtp_fail, 6);
	ck_assert_uint_eq(fb.malformed, 1);
	ck_assert_uint_ge(fb.packets, 45);
	ck_assert_uint_eq(fb.ssrc_changes, 0);
	ck_assert_uint_eq(fb.tone_hz, 440);

	mem_deref(us);
	mem_deref(tx);
	mem_deref(mb);
	pair_free(&p);
}
END_TEST



FIXTURE_MAIN("srtp",
	FIXTURE_CASE("srtp", setup, teardown, 60, 0,
		test_crypto_attr, test_sdp_savp_offer, test_srtp_call,
		test_srtp_reinvite, test_srtp_wrong_key, test_srtp_plain_peer,
		test_srtp_tamper, test_srtp_tamper_wire),
	FIXTURE_CASE("savp", setup, teardown, 60,
		(int)(sizeof(savp_cases) / sizeof(savp_cases[0])),
		test_sdp_savp))
