/**
 * @file stream.c  One leg's media stream (see stream.h)
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <re.h>
#include <rem.h>
#include "vclock.h"
#include "vtimer.h"
#include "jsonw.h"
#include "sdp_oa.h"
#include "sdes.h"
#include "stream.h"


enum {
	PORT_MIN     = 20000,     /* RTP ports: even ones, RTCP the next */
	PORT_MAX     = 39999,
	BATCH        = 16,        /* frames per loop turn when catching up */
	DRAIN        = 64,        /* datagrams read per readiness event    */
	RCVBUF       = 1 << 20,
	RTCP_MS      = 5000,
	HEADROOM     = 12,        /* RTP_HEADER_SIZE                       */
	RING         = MEDIA_FRAME * 8,
	TONE_LEVEL   = 30,        /* autone_sine: about -10 dBFS           */
	DIGIT_FRAMES = 5,         /* 100 ms per DTMF digit                 */
	GAP_FRAMES   = 3,         /* 60 ms between digits                  */
};

enum src_kind { SRC_SILENCE, SRC_TONE, SRC_WAV, SRC_RELAY };

struct media_stream {
	struct le le;                /* in the list of all streams      */
	struct rtp_sock *rs;
	struct udp_helper *uh_rtp, *uh_rtcp;
	struct udp_sock *nat;        /* quirk: the port we send from    */
	struct media_rx *rx;
	struct media_srtp *srtp;     /* SDES keys: NULL for plain RTP    */
	struct media_quirks q;

	struct sa laddr;
	struct sa raddr, rtcp_raddr; /* what the SDP says                */
	struct sa latched, rtcp_latched;
	int pt, tev_pt;
	bool send, recv, running;

	struct vtimer tx_tmr, rtcp_tmr;
	uint64_t t0, frames, start_ms;
	uint32_t ts0;

	/* the source */
	enum src_kind src;
	int16_t *tone;               /* one second of it                */
	size_t tone_pos;
	uint64_t src_left;           /* frames; 0: without end          */
	struct aufile *af;
	media_done_h *src_doneh;
	void *src_arg;
	struct media_stream *relay_from, *relay_to;
	int16_t ring[RING];
	size_t ring_r, ring_n;

	/* DTMF being sent */
	char dtmf[MEDIA_DIGITS_MAX + 1];
	size_t dtmf_i;
	uint32_t dtmf_frame;
	uint32_t dtmf_gap;
	struct telev *telev;
	uint32_t tev_ts;
	int16_t *dtmf_tone;
	media_done_h *dtmf_doneh;
	void *dtmf_arg;
	bool done_due, dtmf_done_due;

	/* figures */
	uint32_t tx_packets, tx_tev, rtcp_sent;
	uint64_t tx_bytes;
	int64_t tx_first_ms;
	char sent_digits[MEDIA_DIGITS_MAX + 1];
};

static struct list streams;


/* ms no longer sends what another stream receives (the other way of a
 * bridge, ms's audio out of the other stream, stays) */
static void relay_cut_from(struct media_stream *ms)
{
	if (ms->relay_from) {
		media_rx_set_pcmh(ms->relay_from->rx, NULL, NULL);
		ms->relay_from->relay_to = NULL;
		ms->relay_from = NULL;
	}
}


static void relay_cut(struct media_stream *ms)
{
	relay_cut_from(ms);
	if (ms->relay_to) {
		media_rx_set_pcmh(ms->rx, NULL, NULL);
		ms->relay_to->relay_from = NULL;
		ms->relay_to = NULL;
	}
}


static void destructor(void *data)
{
	struct media_stream *ms = data;

	vtimer_cancel(&ms->tx_tmr);
	vtimer_cancel(&ms->rtcp_tmr);
	list_unlink(&ms->le);
	relay_cut(ms);
	mem_deref(ms->uh_rtp);
	mem_deref(ms->uh_rtcp);
	mem_deref(ms->nat);
	mem_deref(ms->rs);
	mem_deref(ms->rx);
	mem_deref(ms->srtp);
	mem_deref(ms->tone);
	mem_deref(ms->af);
	mem_deref(ms->telev);
	mem_deref(ms->dtmf_tone);
}


static uint64_t since_start(const struct media_stream *ms, uint64_t now)
{
	return now > ms->start_ms ? now - ms->start_ms : 0;
}


/* ---------------------------------------------------------- receiving */

static void latch(struct media_stream *ms, const struct sa *src, bool rtcp)
{
	struct sa *l = rtcp ? &ms->rtcp_latched : &ms->latched;

	if (!sa_cmp(l, src, SA_ALL))
		*l = *src;
}


/* SRTP/SRTCP in: decrypted in place, or counted and dropped (false); a
 * huge datagram goes on as it is, for the analysis to count, and so does
 * one that is no RTP/RTCP at all (RFC 7983: a first octet outside
 * 128..191 is STUN, DTLS, ...; linphone sends STUN to both ports) */
static bool unprotect(struct media_stream *ms, struct mbuf *mb, bool rtcp)
{
	if (!ms->srtp || mbuf_get_left(mb) > MEDIA_PKT_MAX ||
	    (mbuf_get_left(mb) && (mbuf_buf(mb)[0] >> 6) != RTP_VERSION))
		return true;

	if (media_srtp_unprotect(ms->srtp, mb, rtcp)) {
		media_rx_srtp_fail(ms->rx);
		return false;
	}

	return true;
}


static void rtp_datagram(struct media_stream *ms, const struct sa *src,
			 struct mbuf *mb)
{
	if (!unprotect(ms, mb, false))
		return;
	if (!media_rx_packet(ms->rx, src, mb, vclock_now()))
		latch(ms, src, false);
}


static void rtcp_datagram(struct media_stream *ms, const struct sa *src,
			  struct mbuf *mb)
{
	if (!unprotect(ms, mb, true))
		return;
	if (!media_rx_rtcp(ms->rx, mb))
		latch(ms, src, true);
}


/* libre reads one datagram per readiness event: read what else waits */
static void drain(struct media_stream *ms, struct udp_sock *us, bool rtcp)
{
	uint8_t buf[MEDIA_PKT_MAX + 1];
	int fd = udp_sock_fd(us, AF_INET);
	int i;

	if (fd < 0)
		return;

	for (i = 0; i < DRAIN; i++) {
		struct mbuf mb;
		struct sa src;
		ssize_t n;

		sa_init(&src, AF_INET);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     &src.u.sa, &src.len);
		if (n < 0)
			break;

		memset(&mb, 0, sizeof(mb));
		mb.buf = buf;
		/* a truncated datagram still counts as huge */
		mb.size = sizeof(buf);
		mb.end = (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n;

		if (rtcp)
			rtcp_datagram(ms, &src, &mb);
		else
			rtp_datagram(ms, &src, &mb);

		/* a handler (a digit, a bridge) may have stopped us */
		if (!ms->rs)
			break;
	}
}


static bool rtp_helper(struct sa *src, struct mbuf *mb, void *arg)
{
	struct media_stream *ms = arg;

	mem_ref(ms);
	rtp_datagram(ms, src, mb);
	drain(ms, rtp_sock(ms->rs), false);
	mem_deref(ms);

	return true;    /* everything is ours: libre's decoder drops silently */
}


static bool rtcp_helper(struct sa *src, struct mbuf *mb, void *arg)
{
	struct media_stream *ms = arg;

	rtcp_datagram(ms, src, mb);
	drain(ms, rtcp_sock(ms->rs), true);

	return true;
}


static void nat_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct media_stream *ms = arg;

	mem_ref(ms);
	rtp_datagram(ms, src, mb);
	drain(ms, ms->nat, false);
	mem_deref(ms);
}


/* never called: the helpers take every datagram first */
static void rtp_recv(const struct sa *src, const struct rtp_header *hdr,
		     struct mbuf *mb, void *arg)
{
	(void)src;
	(void)hdr;
	(void)mb;
	(void)arg;
}


/* ------------------------------------------------------------- sending */

static const struct sa *dst_rtp(const struct media_stream *ms)
{
	return sa_isset(&ms->latched, SA_ALL) ? &ms->latched : &ms->raddr;
}


static const struct sa *dst_rtcp(const struct media_stream *ms)
{
	return sa_isset(&ms->rtcp_latched, SA_ALL) ? &ms->rtcp_latched :
		&ms->rtcp_raddr;
}


static bool sending(const struct media_stream *ms)
{
	return ms->running && !ms->q.no_rtp &&
		(ms->send || ms->q.send_on_hold) &&
		sa_isset(dst_rtp(ms), SA_ALL);
}


static int send_rtp(struct media_stream *ms, bool marker, uint8_t pt,
		    uint32_t ts, struct mbuf *mb)
{
	size_t pos;
	int err;

	if (!ms->nat && !ms->srtp)
		return rtp_send(ms->rs, dst_rtp(ms), false, marker, pt, ts, mb);

	/* NAT: the same RTP session, sent from another port; SRTP: the
	 * packet encrypted and tagged between encoding and sending */
	mb->pos -= HEADROOM;
	pos = mb->pos;
	err = rtp_encode(ms->rs, false, marker, pt, ts, mb);
	if (err)
		return err;
	mb->pos = pos;
	if (ms->srtp) {
		err = media_srtp_protect(ms->srtp, mb, false);
		if (err)
			return err;
	}

	return udp_send(ms->nat ? ms->nat : rtp_sock(ms->rs), dst_rtp(ms),
			mb);
}


static void tx_count(struct media_stream *ms, size_t bytes, bool tev)
{
	if (!ms->tx_packets)
		ms->tx_first_ms = (int64_t)since_start(ms, vclock_now());
	ms->tx_packets++;
	ms->tx_bytes += bytes;
	if (tev)
		ms->tx_tev++;
}


static void src_end(struct media_stream *ms)
{
	ms->src = SRC_SILENCE;
	ms->af = mem_deref(ms->af);
	if (ms->src_doneh)
		ms->done_due = true;
}


/* the source's next 20 ms */
static void src_frame(struct media_stream *ms, int16_t *s)
{
	size_t i, n;

	memset(s, 0, MEDIA_FRAME * sizeof(*s));

	switch (ms->src) {

	case SRC_TONE:
		for (i = 0; i < MEDIA_FRAME; i++) {
			s[i] = ms->tone[ms->tone_pos];
			ms->tone_pos = (ms->tone_pos + 1) % MEDIA_SRATE;
		}
		break;

	case SRC_WAV:
		n = MEDIA_FRAME * sizeof(*s);
		if (aufile_read(ms->af, (uint8_t *)s, &n) ||
		    n < MEDIA_FRAME * sizeof(*s)) {
			src_end(ms);
			return;
		}
		break;

	case SRC_RELAY:
		for (i = 0; i < MEDIA_FRAME && ms->ring_n; i++) {
			s[i] = ms->ring[ms->ring_r];
			ms->ring_r = (ms->ring_r + 1) % RING;
			ms->ring_n--;
		}
		break;

	default:
		break;
	}

	if (ms->src_left && !--ms->src_left)
		src_end(ms);
}


/* DTMF over the frame: in-band tones into s, or an RFC 4733 payload into
 * ev (true: send ev instead of the audio) */
static bool dtmf_frame(struct media_stream *ms, int16_t *s, struct mbuf *ev,
		       bool *marker)
{
	const char d = ms->dtmf[ms->dtmf_i];
	const bool inband = ms->q.dtmf_inband || ms->tev_pt < 0;
	uint32_t f;
	int err;

	if (!d)
		return false;

	f = ms->dtmf_frame++;

	if (inband) {
		if (f == 0) {
			struct mbuf *mb = mbuf_alloc(2 * MEDIA_SRATE);

			ms->dtmf_tone = mem_deref(ms->dtmf_tone);
			if (mb && !autone_dtmf(mb, MEDIA_SRATE, d)) {
				ms->dtmf_tone = (int16_t *)mem_ref(mb->buf);
			}
			mem_deref(mb);
		}
		if (f < DIGIT_FRAMES && ms->dtmf_tone)
			memcpy(s, ms->dtmf_tone + f * MEDIA_FRAME,
			       MEDIA_FRAME * sizeof(*s));
		else
			memset(s, 0, MEDIA_FRAME * sizeof(*s));
		if (f + 1 >= DIGIT_FRAMES + GAP_FRAMES)
			goto next;
		return false;
	}

	if (f == 0)
		(void)telev_send(ms->telev, telev_digit2code(d), false);
	else if (f == DIGIT_FRAMES)
		(void)telev_send(ms->telev, telev_digit2code(d), true);

	err = telev_poll(ms->telev, marker, ev);
	if (!err && ev->end > HEADROOM) {
		/* every packet of an event carries its start's timestamp */
		if (*marker)
			ms->tev_ts = ms->ts0 + (uint32_t)(ms->frames *
							 MEDIA_FRAME);
		return true;
	}

	/* telev idle after the end (its repeats sent): a gap, then on */
	if (f <= DIGIT_FRAMES || ++ms->dtmf_gap < GAP_FRAMES)
		return false;

 next:
	{
		size_t k = strlen(ms->sent_digits);

		if (k < MEDIA_DIGITS_MAX) {
			ms->sent_digits[k] = d;
			ms->sent_digits[k + 1] = '\0';
		}
	}
	ms->dtmf_i++;
	ms->dtmf_frame = 0;
	ms->dtmf_gap = 0;
	if (!ms->dtmf[ms->dtmf_i] && ms->dtmf_doneh)
		ms->dtmf_done_due = true;

	return false;
}


static void frame_send(struct media_stream *ms)
{
	const uint32_t ts = ms->ts0 + (uint32_t)(ms->frames * MEDIA_FRAME);
	int16_t s[MEDIA_FRAME];
	uint8_t buf[HEADROOM + MEDIA_FRAME + SDES_OVERHEAD];
	struct mbuf mb;
	bool marker = false, tev;
	size_t i;
	uint8_t pt;

	src_frame(ms, s);

	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = sizeof(buf);
	mb.pos = HEADROOM;
	mb.end = HEADROOM;

	tev = dtmf_frame(ms, s, &mb, &marker);
	if (!sending(ms))
		return;

	if (tev) {
		mb.pos = HEADROOM;
		if (!send_rtp(ms, marker, (uint8_t)ms->tev_pt, ms->tev_ts,
			      &mb))
			tx_count(ms, mb.end - HEADROOM, true);
		return;
	}

	pt = (uint8_t)(ms->q.wrong_pt >= 0 ? ms->q.wrong_pt : ms->pt);
	for (i = 0; i < MEDIA_FRAME; i++)
		buf[HEADROOM + i] = ms->pt == 8 ? g711_pcm2alaw(s[i]) :
			g711_pcm2ulaw(s[i]);
	mb.pos = HEADROOM;
	mb.end = HEADROOM + MEDIA_FRAME;

	if (!send_rtp(ms, false, pt & 0x7f, ts, &mb))
		tx_count(ms, MEDIA_FRAME, false);
}


static uint64_t due(const struct media_stream *ms, uint64_t now)
{
	return ms->running && now > ms->t0 ? (now - ms->t0) / MEDIA_PTIME :
		0;
}


static void tx_tick(void *arg)
{
	struct media_stream *ms = arg;
	const uint64_t now = vclock_now();
	const uint64_t d = due(ms, now);
	unsigned n = 0;

	/* a frame goes out once its 20 ms have passed on the clock */
	while (ms->frames < d && n++ < BATCH) {
		frame_send(ms);
		ms->frames++;
	}

	if (ms->frames < d)
		vtimer_start(&ms->tx_tmr, 0, tx_tick, ms);
	else
		vtimer_start(&ms->tx_tmr,
			     ms->t0 + (ms->frames + 1) * MEDIA_PTIME - now,
			     tx_tick, ms);

	/* last: a handler may free the stream */
	if (ms->done_due) {
		ms->done_due = false;
		ms->src_doneh(ms->src_arg);
	}
	else if (ms->dtmf_done_due) {
		ms->dtmf_done_due = false;
		ms->dtmf_doneh(ms->dtmf_arg);
	}
}


/* ---------------------------------------------------------------- RTCP */

static int rr_block(struct mbuf *mb, void *arg)
{
	const struct media_stream *ms = arg;
	uint32_t ssrc = 0, ext = 0, jit = 0;
	int32_t lost = 0;
	int err = 0;

	if (!media_rx_any(ms->rx))
		return 0;

	media_rx_report(ms->rx, &ssrc, &ext, &lost, &jit);
	err |= mbuf_write_u32(mb, htonl(ssrc));
	err |= mbuf_write_u32(mb, htonl((uint32_t)lost & 0xffffff));
	err |= mbuf_write_u32(mb, htonl(ext));
	err |= mbuf_write_u32(mb, htonl(jit));
	err |= mbuf_write_u32(mb, 0);    /* LSR  */
	err |= mbuf_write_u32(mb, 0);    /* DLSR */

	return err;
}


static int sdes_h(struct mbuf *mb, void *arg)
{
	const struct media_stream *ms = arg;

	return rtcp_sdes_encode(mb, rtp_sess_ssrc(ms->rs), 1,
				RTCP_SDES_CNAME, "sipconform");
}


static void rtcp_tick(void *arg)
{
	struct media_stream *ms = arg;
	const uint32_t n = media_rx_any(ms->rx) ? 1 : 0;
	const uint64_t wall = vclock_now();
	struct mbuf *mb;
	int err;

	vtimer_start(&ms->rtcp_tmr, RTCP_MS, rtcp_tick, ms);

	if (ms->q.no_rtcp || !sa_isset(dst_rtcp(ms), SA_ALL))
		return;

	mb = mbuf_alloc(256);
	if (!mb)
		return;

	if (ms->tx_packets)
		err = rtcp_encode(mb, RTCP_SR, n, rtp_sess_ssrc(ms->rs),
				  (uint32_t)(wall / 1000 + 2208988800u),
				  (uint32_t)((wall % 1000) * 4294967ull),
				  ms->ts0 + (uint32_t)(ms->frames *
						       MEDIA_FRAME),
				  ms->tx_packets, (uint32_t)ms->tx_bytes,
				  rr_block, ms);
	else
		err = rtcp_encode(mb, RTCP_RR, n, rtp_sess_ssrc(ms->rs),
				  rr_block, ms);
	err |= rtcp_encode(mb, RTCP_SDES, 1, sdes_h, ms);

	mb->pos = 0;
	if (!err && ms->srtp)
		err = media_srtp_protect(ms->srtp, mb, true);
	if (!err && !udp_send(rtcp_sock(ms->rs), dst_rtcp(ms), mb))
		ms->rtcp_sent++;

	mem_deref(mb);
}


/* --------------------------------------------------------------- the API */

int media_stream_alloc(struct media_stream **msp, const struct sa *ip,
		       uint32_t capture_ms)
{
	struct media_stream *ms;
	int err;

	if (!msp || !ip)
		return EINVAL;

	ms = mem_zalloc(sizeof(*ms), destructor);
	if (!ms)
		return ENOMEM;

	vtimer_init(&ms->tx_tmr);
	vtimer_init(&ms->rtcp_tmr);
	list_append(&streams, &ms->le, ms);
	ms->pt = 0;
	ms->tev_pt = -1;
	ms->q.wrong_pt = -1;
	ms->send = ms->recv = true;
	ms->tx_first_ms = -1;
	ms->ts0 = rand_u32();

	err = media_rx_alloc(&ms->rx, capture_ms);
	if (err)
		goto out;

	err = telev_alloc(&ms->telev, MEDIA_PTIME);
	if (err)
		goto out;

	err = rtp_listen(&ms->rs, IPPROTO_UDP, ip, PORT_MIN, PORT_MAX, true,
			 rtp_recv, NULL, ms);
	if (err)
		goto out;

	ms->laddr = *rtp_local(ms->rs);
	(void)udp_sockbuf_set(rtp_sock(ms->rs), RCVBUF);

	err  = udp_register_helper(&ms->uh_rtp, rtp_sock(ms->rs), 0, NULL,
				   rtp_helper, ms);
	err |= udp_register_helper(&ms->uh_rtcp, rtcp_sock(ms->rs), 0, NULL,
				   rtcp_helper, ms);

 out:
	if (err)
		mem_deref(ms);
	else
		*msp = ms;

	return err;
}


int media_stream_set_quirks(struct media_stream *ms,
			    const struct media_quirks *q)
{
	struct sa la;
	int err;

	if (!ms || !q)
		return EINVAL;

	ms->q = *q;
	if (!q->nat) {
		ms->nat = mem_deref(ms->nat);
		return 0;
	}
	if (ms->nat)
		return 0;

	sa_cpy(&la, &ms->laddr);
	sa_set_port(&la, 0);
	err = udp_listen(&ms->nat, &la, nat_recv, ms);
	if (!err)
		(void)udp_sockbuf_set(ms->nat, RCVBUF);

	return err;
}


const struct sa *media_stream_laddr(const struct media_stream *ms)
{
	return ms ? &ms->laddr : NULL;
}


void media_stream_set_remote(struct media_stream *ms, const struct sa *rtp,
			     const struct sa *rtcp, int pt, int tev_pt)
{
	if (!ms)
		return;

	if (rtp)
		ms->raddr = *rtp;
	else
		sa_init(&ms->raddr, AF_UNSPEC);

	if (rtcp && sa_isset(rtcp, SA_ALL)) {
		ms->rtcp_raddr = *rtcp;
	}
	else if (rtp) {
		ms->rtcp_raddr = *rtp;
		sa_set_port(&ms->rtcp_raddr, sa_port(rtp) + 1);
	}

	ms->pt = pt == 8 ? 8 : 0;
	ms->tev_pt = tev_pt;
	media_rx_expect(ms->rx, pt, tev_pt, rtp);
}


int media_stream_set_srtp(struct media_stream *ms, const uint8_t *tx_key,
			  const uint8_t *rx_key)
{
	if (!ms)
		return EINVAL;

	if (!tx_key && !rx_key) {
		ms->srtp = mem_deref(ms->srtp);
		return 0;
	}

	/* a re-INVITE with the same keys keeps the contexts (and so the
	 * replay windows and rollover counters) */
	if (media_srtp_same(ms->srtp, tx_key, rx_key))
		return 0;

	ms->srtp = mem_deref(ms->srtp);

	return media_srtp_alloc(&ms->srtp, tx_key, rx_key);
}


bool media_stream_secure(const struct media_stream *ms)
{
	return ms && ms->srtp;
}


int media_stream_apply(struct media_stream *ms, const struct sdp_oa *oa)
{
	const struct sdp_oa_remote *r = sdp_oa_remote(oa);
	int err;

	if (!ms || !r || r->pt < 0)
		return EINVAL;

	err = media_stream_set_srtp(ms, sdp_oa_lkey(oa),
				    r->srtp ? r->key : NULL);
	if (err)
		return err;

	media_stream_set_remote(ms, &r->addr, &r->rtcp, r->pt, r->tev_pt);
	media_stream_set_dir(ms, sdp_oa_sending(oa), sdp_oa_receiving(oa));

	return 0;
}


void media_stream_set_dir(struct media_stream *ms, bool send, bool recv)
{
	if (!ms)
		return;

	ms->send = send;

	if (recv && !ms->recv && ms->running)
		media_rx_start(ms->rx, vclock_now());
	else if (!recv)
		media_rx_pause(ms->rx);

	ms->recv = recv;
}


int media_stream_start(struct media_stream *ms)
{
	uint64_t now;

	if (!ms)
		return EINVAL;

	now = vclock_now();
	ms->running = true;
	ms->t0 = now;
	ms->start_ms = now;
	ms->frames = 0;
	if (ms->recv)
		media_rx_start(ms->rx, now);

	vtimer_start(&ms->tx_tmr, MEDIA_PTIME, tx_tick, ms);
	vtimer_start(&ms->rtcp_tmr, RTCP_MS, rtcp_tick, ms);

	return 0;
}


void media_stream_stop(struct media_stream *ms)
{
	if (!ms)
		return;

	ms->running = false;
	vtimer_cancel(&ms->tx_tmr);
	vtimer_cancel(&ms->rtcp_tmr);
	media_rx_pause(ms->rx);
}


static void src_reset(struct media_stream *ms, enum src_kind k)
{
	if (ms->relay_from && k != SRC_RELAY)
		relay_cut_from(ms);
	ms->src = k;
	ms->src_left = 0;
	ms->src_doneh = NULL;
	ms->src_arg = NULL;
	ms->af = mem_deref(ms->af);
}


void media_stream_silence(struct media_stream *ms)
{
	if (ms)
		src_reset(ms, SRC_SILENCE);
}


int media_stream_tone(struct media_stream *ms, uint32_t hz, uint32_t dur_ms,
		      media_done_h *doneh, void *arg)
{
	struct mbuf *mb;
	int err;

	if (!ms || !hz || hz >= MEDIA_SRATE / 2)
		return EINVAL;

	mb = mbuf_alloc(2 * MEDIA_SRATE);
	if (!mb)
		return ENOMEM;

	err = autone_sine(mb, MEDIA_SRATE, hz, TONE_LEVEL, 0, 0);
	if (err || mb->end < 2 * MEDIA_SRATE) {
		mem_deref(mb);
		return err ? err : EINVAL;
	}

	src_reset(ms, SRC_TONE);
	mem_deref(ms->tone);
	ms->tone = (int16_t *)mem_ref(mb->buf);
	mem_deref(mb);
	ms->tone_pos = 0;
	ms->src_left = (dur_ms + MEDIA_PTIME - 1) / MEDIA_PTIME;
	ms->src_doneh = doneh;
	ms->src_arg = arg;

	return 0;
}


int media_stream_wav(struct media_stream *ms, const char *path,
		     media_done_h *doneh, void *arg)
{
	struct aufile_prm prm;
	struct aufile *af = NULL;
	int err;

	if (!ms || !path)
		return EINVAL;

	err = aufile_open(&af, &prm, path, AUFILE_READ);
	if (err)
		return err;

	if (prm.srate != MEDIA_SRATE || prm.channels != 1 ||
	    prm.fmt != AUFMT_S16LE) {
		mem_deref(af);
		return ENOTSUP;
	}

	src_reset(ms, SRC_WAV);
	ms->af = af;
	ms->src_doneh = doneh;
	ms->src_arg = arg;

	return 0;
}


static void relay_pcm(const int16_t *s, size_t n, void *arg)
{
	struct media_stream *to = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (to->ring_n == RING) {          /* full: drop the oldest */
			to->ring_r = (to->ring_r + 1) % RING;
			to->ring_n--;
		}
		to->ring[(to->ring_r + to->ring_n) % RING] = s[i];
		to->ring_n++;
	}
}


int media_stream_relay(struct media_stream *to, struct media_stream *from)
{
	if (!to || !from || to == from)
		return EINVAL;

	src_reset(to, SRC_RELAY);
	relay_cut_from(to);
	if (from->relay_to)
		relay_cut_from(from->relay_to);

	to->relay_from = from;
	from->relay_to = to;
	to->ring_n = to->ring_r = 0;
	media_rx_set_pcmh(from->rx, relay_pcm, to);

	return 0;
}


int media_stream_dtmf(struct media_stream *ms, const char *digits,
		      media_done_h *doneh, void *arg)
{
	const char *p;

	if (!ms || !digits || strlen(digits) > MEDIA_DIGITS_MAX)
		return EINVAL;

	for (p = digits; *p; p++) {
		if (telev_digit2code(*p) < 0)
			return EINVAL;
	}

	str_ncpy(ms->dtmf, digits, sizeof(ms->dtmf));
	ms->dtmf_i = 0;
	ms->dtmf_frame = 0;
	ms->dtmf_gap = 0;
	ms->dtmf_doneh = doneh;
	ms->dtmf_arg = arg;

	return 0;
}


struct media_rx *media_stream_rx(const struct media_stream *ms)
{
	return ms ? ms->rx : NULL;
}


void media_stream_tx_figs(const struct media_stream *ms,
			  struct media_tx_figs *f)
{
	if (!ms || !f)
		return;

	memset(f, 0, sizeof(*f));
	f->sending = sending(ms);
	f->frames = ms->frames;
	f->packets = ms->tx_packets;
	f->bytes = ms->tx_bytes;
	f->tev = ms->tx_tev;
	f->first_ms = ms->tx_first_ms;
	f->ssrc = rtp_sess_ssrc(ms->rs);
	f->pt = ms->pt;
	f->rtcp = ms->rtcp_sent;
	str_ncpy(f->digits, ms->sent_digits, sizeof(f->digits));
}


const struct sa *media_stream_dst(const struct media_stream *ms)
{
	return ms ? dst_rtp(ms) : NULL;
}


bool media_stream_latched(const struct media_stream *ms)
{
	return ms && sa_isset(&ms->latched, SA_ALL) &&
		!sa_cmp(&ms->latched, &ms->raddr, SA_ALL);
}


int media_tx_figs_json(struct re_printf *pf, const struct media_tx_figs *f)
{
	int err;

	err = re_hprintf(pf, "{\"sending\":%s,\"frames\":%llu,"
			 "\"packets\":%u,\"bytes\":%llu,\"tev\":%u,"
			 "\"first_ms\":%lld,\"ssrc\":%u,\"pt\":%d,"
			 "\"rtcp\":%u,\"digits\":",
			 f->sending ? "true" : "false",
			 (unsigned long long)f->frames, f->packets,
			 (unsigned long long)f->bytes, f->tev,
			 (long long)f->first_ms, f->ssrc, f->pt, f->rtcp);
	err |= jsonw_str(pf, f->digits);
	err |= re_hprintf(pf, "}");

	return err;
}


int media_stream_json(struct re_printf *pf, const struct media_stream *ms)
{
	struct media_rx_figs rf;
	struct media_tx_figs tf;
	int err = 0;

	if (!ms)
		return re_hprintf(pf, "null");

	media_stream_tx_figs(ms, &tf);
	media_rx_figs(ms->rx, vclock_now(), &rf);

	err |= re_hprintf(pf, "{\"local\":\"%J\",\"remote\":\"%J\","
			  "\"dst\":\"%J\",\"latched\":%s,\"srtp\":%s,"
			  "\"codec\":",
			  &ms->laddr, &ms->raddr, dst_rtp(ms),
			  media_stream_latched(ms) ? "true" : "false",
			  ms->srtp ? "true" : "false");
	err |= jsonw_str(pf, ms->pt == 8 ? "PCMA" : "PCMU");
	err |= re_hprintf(pf, ",\"tx\":");
	err |= media_tx_figs_json(pf, &tf);
	err |= re_hprintf(pf, ",\"rx\":");
	err |= media_rx_figs_json(pf, &rf);
	err |= re_hprintf(pf, "}");

	return err;
}


unsigned media_running(void)
{
	unsigned n = 0;
	struct le *le;

	LIST_FOREACH(&streams, le) {
		const struct media_stream *ms = le->data;

		n += ms->running;
	}

	return n;
}


uint64_t media_backlog(void)
{
	const uint64_t now = vclock_now();
	uint64_t n = 0;
	struct le *le;

	LIST_FOREACH(&streams, le) {
		const struct media_stream *ms = le->data;
		const uint64_t d = due(ms, now);

		if (d > ms->frames)
			n += d - ms->frames;
	}

	return n;
}
