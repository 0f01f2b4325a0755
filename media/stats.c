/**
 * @file stats.c  Receive-side analysis of one RTP direction (see stats.h)
 */

#include <stdint.h>
#include <string.h>
#include <re.h>
#include <rem.h>
#include "jsonw.h"
#include "stats.h"


enum {
	BLOCK      = 400,        /* 50 ms: Goertzel bins 20 Hz apart      */
	SILENCE_RMS = 100,       /* below this a block is silence         */
	SSRC_IDLE_MS = 1000,     /* a new SSRC after this long is a change */
	SEQ_DROPOUT = 3000,      /* RFC 3550 A.1 MAX_DROPOUT              */
	SEQ_MISORDER = 100,      /* RFC 3550 A.1 MAX_MISORDER             */
};

/* the sources' tones: phones and applications pick from these rows, so
 * the detector only needs a Goertzel filter per row (at least 50 Hz
 * apart, wider than a 50 ms block's bins) */
const uint32_t media_tonev[] = {
	350, 440, 500, 550, 600, 660, 700, 750, 800, 900, 1000,
	1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000,
};
#define TONEC (sizeof(media_tonev) / sizeof(media_tonev[0]))
const size_t media_tonec = TONEC;

/* the filters two at a time (GCC/Clang vectors: SSE2 on x86-64): the same
 * operations as librem's goertzel_update(), in the same order, so the
 * results are the same to the bit, in 60 % of the time (28 % of a
 * 500-call run's CPU went into the filters one at a time); aligned(8):
 * mem_zalloc() promises no more */
typedef double v2d __attribute__((vector_size(16), aligned(8)));
#define TONEV ((TONEC + 1) / 2)


struct media_rx {
	int pt, tev_pt;
	struct sa sdp;
	bool started, paused, any;
	uint64_t start_ms, last_ms;
	int64_t first_ms;
	uint32_t packets, audio, tev, pt_unexpected;
	uint64_t bytes;
	uint8_t pts[16];
	struct sa src;
	bool src_mismatch;

	/* source and sequence (RFC 3550 A.1) */
	uint32_t ssrc, ssrc_changes, wrong_ssrc;
	uint16_t max_seq;
	uint32_t cycles, base_seq, received;
	uint32_t gaps, late;

	/* interarrival jitter, times 16, in timestamp units (A.8) */
	bool transit_ok;
	int32_t transit;
	uint64_t jitter16;

	/* audio analysis */
	v2d gq1[TONEV], gq2[TONEV], gcoef[TONEV];  /* Goertzel states  */
	size_t blkn;
	double blke;
	uint32_t votes[TONEC];
	uint32_t blocks, silent;
	struct dtmf_dec *dtmf;
	struct telev *telev;
	char digits[MEDIA_DIGITS_MAX + 1];
	char dig4733[MEDIA_DIGITS_MAX + 1];
	char diginb[MEDIA_DIGITS_MAX + 1];

	int16_t *cap;
	size_t capc, capmax;

	uint32_t malformed, huge, srtp_fail;
	uint32_t rtcp_sr, rtcp_rr, rtcp_bad;
	int32_t peer_lost;
	uint32_t peer_jitter;

	media_digit_h *digith;
	void *digitarg;
	media_pcm_h *pcmh;
	void *pcmarg;
};


static void destructor(void *data)
{
	struct media_rx *rx = data;

	mem_deref(rx->dtmf);
	mem_deref(rx->telev);
	mem_deref(rx->cap);
}


static void strapp(char *s, char c)
{
	size_t n = strlen(s);

	if (n < MEDIA_DIGITS_MAX) {
		s[n] = c;
		s[n + 1] = '\0';
	}
}


static void digit_add(struct media_rx *rx, char c, bool inband)
{
	strapp(rx->digits, c);
	strapp(inband ? rx->diginb : rx->dig4733, c);

	if (rx->digith)
		rx->digith(c, inband, rx->digitarg);
}


static void dtmf_h(char digit, void *arg)
{
	digit_add(arg, digit, true);
}


int media_rx_alloc(struct media_rx **rxp, uint32_t capture_ms)
{
	struct media_rx *rx;
	size_t i;
	int err;

	if (!rxp)
		return EINVAL;

	rx = mem_zalloc(sizeof(*rx), destructor);
	if (!rx)
		return ENOMEM;

	rx->pt = -1;
	rx->tev_pt = -1;
	rx->first_ms = -1;
	for (i = 0; i < TONEC; i++) {
		struct goertzel g;

		goertzel_init(&g, media_tonev[i], MEDIA_SRATE);
		rx->gcoef[i / 2][i % 2] = g.coef;
	}

	err  = dtmf_dec_alloc(&rx->dtmf, MEDIA_SRATE, 1, dtmf_h, rx);
	err |= telev_alloc(&rx->telev, MEDIA_PTIME);
	if (err)
		goto out;

	rx->capmax = (size_t)capture_ms * MEDIA_SRATE / 1000;
	if (rx->capmax) {
		rx->cap = mem_alloc(rx->capmax * sizeof(int16_t), NULL);
		if (!rx->cap)
			err = ENOMEM;
	}

 out:
	if (err)
		mem_deref(rx);
	else
		*rxp = rx;

	return err;
}


void media_rx_expect(struct media_rx *rx, int pt, int tev_pt,
		     const struct sa *sdp)
{
	if (!rx)
		return;

	rx->pt = pt;
	rx->tev_pt = tev_pt;
	if (sdp)
		rx->sdp = *sdp;
	else
		sa_init(&rx->sdp, AF_UNSPEC);
}


void media_rx_start(struct media_rx *rx, uint64_t now_ms)
{
	if (!rx)
		return;

	rx->started = true;
	rx->paused = false;
	rx->start_ms = now_ms;
	rx->first_ms = -1;
}


void media_rx_pause(struct media_rx *rx)
{
	if (rx)
		rx->paused = true;
}


void media_rx_set_digith(struct media_rx *rx, media_digit_h *h, void *arg)
{
	if (!rx)
		return;

	rx->digith = h;
	rx->digitarg = arg;
}


void media_rx_set_pcmh(struct media_rx *rx, media_pcm_h *h, void *arg)
{
	if (!rx)
		return;

	rx->pcmh = h;
	rx->pcmarg = arg;
}


/* one 50 ms block done: silence, a dominant candidate, or neither */
static void block_end(struct media_rx *rx)
{
	double best = 0, e = rx->blke;
	size_t i, win = 0;

	rx->blocks++;

	if (e < (double)SILENCE_RMS * SILENCE_RMS * BLOCK) {
		rx->silent++;
		goto out;
	}

	for (i = 0; i < TONEC; i++) {
		struct goertzel g = {rx->gq1[i / 2][i % 2],
				     rx->gq2[i / 2][i % 2],
				     rx->gcoef[i / 2][i % 2]};
		double p = goertzel_result(&g);

		if (p > best) {
			best = p;
			win = i;
		}
	}

	/* a pure tone puts about half of N * energy into its bin (|X|^2 =
	 * (A N / 2)^2, energy = A^2 N / 2): a score near 1 */
	if (2 * best / (BLOCK * e) > 0.5)
		rx->votes[win]++;

 out:
	memset(rx->gq1, 0, sizeof(rx->gq1));
	memset(rx->gq2, 0, sizeof(rx->gq2));
	rx->blkn = 0;
	rx->blke = 0;
}


/* goertzel_update() of every filter, for n samples */
static void tones_update(struct media_rx *rx, const int16_t *s, size_t n)
{
	v2d q1[TONEV], q2[TONEV];
	size_t i, j;

	memcpy(q1, rx->gq1, sizeof(q1));
	memcpy(q2, rx->gq2, sizeof(q2));

	for (i = 0; i < n; i++) {
		const v2d x = {(double)s[i], (double)s[i]};

		for (j = 0; j < TONEV; j++) {
			const v2d q0 = rx->gcoef[j] * q1[j] - q2[j] + x;

			q2[j] = q1[j];
			q1[j] = q0;
		}
		rx->blke += (double)s[i] * s[i];
	}

	memcpy(rx->gq1, q1, sizeof(q1));
	memcpy(rx->gq2, q2, sizeof(q2));
}


static void audio_analyse(struct media_rx *rx, const int16_t *s, size_t n)
{
	const int16_t *p = s;
	size_t left = n;

	/* up to each 50 ms block's end */
	while (left) {
		const size_t k = min(left, (size_t)BLOCK - rx->blkn);

		tones_update(rx, p, k);
		rx->blkn += k;
		if (rx->blkn == BLOCK)
			block_end(rx);
		p += k;
		left -= k;
	}

	dtmf_dec_probe(rx->dtmf, s, n);

	if (rx->capc < rx->capmax) {
		size_t k = min(n, rx->capmax - rx->capc);

		memcpy(rx->cap + rx->capc, s, k * sizeof(*s));
		rx->capc += k;
	}

	if (rx->pcmh)
		rx->pcmh(s, n, rx->pcmarg);
}


static void audio_decode(struct media_rx *rx, uint8_t pt,
			 const uint8_t *p, size_t n)
{
	int16_t s[MEDIA_PKT_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = pt == 8 ? g711_alaw2pcm(p[i]) : g711_ulaw2pcm(p[i]);

	audio_analyse(rx, s, n);
}


static void seq_init(struct media_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->cycles = 0;
	rx->received = 0;
	rx->transit_ok = false;
}


/* RFC 3550 A.1, without probation; duplicates count as received there */
static void seq_update(struct media_rx *rx, uint16_t seq)
{
	const uint16_t udelta = (uint16_t)(seq - rx->max_seq);

	if (!rx->received) {
		/* the first of this source */
	}
	else if (udelta == 0) {
		rx->late++;
	}
	else if (udelta < SEQ_DROPOUT) {
		if (seq < rx->max_seq)
			rx->cycles += 1u << 16;
		if (udelta > 1)
			rx->gaps++;
		rx->max_seq = seq;
	}
	else if (udelta <= (1u << 16) - SEQ_MISORDER) {
		/* a very large jump: the sender restarted its numbering */
		rx->gaps++;
		seq_init(rx, seq);
	}
	else {
		rx->late++;
	}

	rx->received++;
}


static void jitter_update(struct media_rx *rx, uint32_t ts, uint64_t now)
{
	const uint32_t arrival = (uint32_t)(now * (MEDIA_SRATE / 1000));
	const int32_t transit = (int32_t)(arrival - ts);
	int64_t d;

	if (rx->transit_ok) {
		d = (int64_t)transit - rx->transit;
		if (d < 0)
			d = -d;
		/* a wild timestamp must not wrap the estimate */
		if (d > INT32_MAX)
			d = INT32_MAX;
		rx->jitter16 += (uint64_t)d - ((rx->jitter16 + 8) >> 4);
	}

	rx->transit = transit;
	rx->transit_ok = true;
}


static void tev_recv(struct media_rx *rx, const struct mbuf *pl)
{
	struct mbuf m = *pl;
	bool end = false;
	int ev = -1, c;

	/* telev reports a start once and an end once (EALREADY for the
	 * repeats): a digit counts at its end */
	if (telev_recv(rx->telev, &m, &ev, &end) || !end)
		return;

	c = telev_code2digit(ev);
	if (c > 0)
		digit_add(rx, (char)c, false);
}


/* a datagram to read: a copy of mb's cursor (the caller's stays), unless
 * it is too long to be ours */
static int take(struct media_rx *rx, const struct mbuf *mb, struct mbuf *m)
{
	if (!rx || !mb)
		return EINVAL;

	*m = *mb;
	if (mbuf_get_left(m) > MEDIA_PKT_MAX) {
		rx->huge++;
		return EMSGSIZE;
	}

	return 0;
}


void media_rx_srtp_fail(struct media_rx *rx)
{
	if (rx)
		rx->srtp_fail++;
}


int media_rx_packet(struct media_rx *rx, const struct sa *src,
		    const struct mbuf *mb, uint64_t now_ms)
{
	struct rtp_header hdr;
	struct mbuf m;
	size_t n;
	int err;

	err = take(rx, mb, &m);
	if (err)
		return err;

	memset(&hdr, 0, sizeof(hdr));
	if (rtp_hdr_decode(&hdr, &m) || hdr.ver != RTP_VERSION) {
		rx->malformed++;
		return EBADMSG;
	}

	/* padding: the last octet says how much to ignore */
	n = mbuf_get_left(&m);
	if (hdr.pad) {
		uint8_t padc = n ? m.buf[m.end - 1] : 0;

		if (!padc || padc > n) {
			rx->malformed++;
			return EBADMSG;
		}
		n -= padc;
	}

	if (!rx->any) {
		rx->ssrc = hdr.ssrc;
		seq_init(rx, hdr.seq);
	}
	else if (hdr.ssrc != rx->ssrc) {
		if (now_ms - rx->last_ms < SSRC_IDLE_MS) {
			rx->wrong_ssrc++;
			return EPROTO;
		}
		rx->ssrc = hdr.ssrc;
		rx->ssrc_changes++;
		seq_init(rx, hdr.seq);
	}

	seq_update(rx, hdr.seq);
	rx->any = true;
	rx->last_ms = now_ms;
	if (rx->started && rx->first_ms < 0)
		rx->first_ms = (int64_t)(now_ms - rx->start_ms);

	rx->packets++;
	rx->bytes += n;
	rx->pts[hdr.pt >> 3] |= (uint8_t)(1u << (hdr.pt & 7));

	if (src) {
		rx->src = *src;
		if (sa_isset(&rx->sdp, SA_ALL) &&
		    !sa_cmp(src, &rx->sdp, SA_ALL))
			rx->src_mismatch = true;
	}

	jitter_update(rx, hdr.ts, now_ms);

	if (rx->tev_pt >= 0 && hdr.pt == rx->tev_pt) {
		struct mbuf pl = m;

		pl.end = pl.pos + n;
		rx->tev++;
		tev_recv(rx, &pl);
	}
	else if ((rx->pt < 0 && (hdr.pt == 0 || hdr.pt == 8)) ||
		 hdr.pt == rx->pt) {
		rx->audio++;
		audio_decode(rx, hdr.pt, mbuf_buf(&m), n);
	}
	else {
		rx->pt_unexpected++;
	}

	return 0;
}


static void rtcp_block(struct media_rx *rx, const struct rtcp_rr *rrv,
		       uint32_t count)
{
	if (!rrv || !count)
		return;

	rx->peer_lost = rrv[0].lost;
	rx->peer_jitter = rrv[0].jitter;
}


int media_rx_rtcp(struct media_rx *rx, const struct mbuf *mb)
{
	struct mbuf m;
	int err;

	err = take(rx, mb, &m);
	if (err)
		return err;

	/* a compound packet: one message after the other */
	while (mbuf_get_left(&m) >= 4) {
		struct rtcp_msg *msg = NULL;

		err = rtcp_decode(&msg, &m);
		if (err) {
			mem_deref(msg);
			rx->rtcp_bad++;
			return EBADMSG;
		}

		if (msg->hdr.pt == RTCP_SR) {
			rx->rtcp_sr++;
			rtcp_block(rx, msg->r.sr.rrv, msg->hdr.count);
		}
		else if (msg->hdr.pt == RTCP_RR) {
			rx->rtcp_rr++;
			rtcp_block(rx, msg->r.rr.rrv, msg->hdr.count);
		}

		mem_deref(msg);
	}

	if (mbuf_get_left(&m)) {
		rx->rtcp_bad++;
		return EBADMSG;
	}

	return 0;
}


static uint32_t lost(const struct media_rx *rx)
{
	uint32_t ext = rx->cycles + rx->max_seq;
	int64_t expected = (int64_t)ext - rx->base_seq + 1;
	int64_t l = expected - rx->received;

	return rx->any && l > 0 ? (uint32_t)l : 0;
}


void media_rx_report(const struct media_rx *rx, uint32_t *ssrc,
		     uint32_t *ext_seq, int32_t *lostp, uint32_t *jitter)
{
	if (!rx)
		return;

	if (ssrc)
		*ssrc = rx->ssrc;
	if (ext_seq)
		*ext_seq = rx->cycles + rx->max_seq;
	if (lostp)
		*lostp = (int32_t)min(lost(rx), 0x7fffffu);
	if (jitter)
		*jitter = (uint32_t)min(rx->jitter16 >> 4,
					(uint64_t)UINT32_MAX);
}


bool media_rx_any(const struct media_rx *rx)
{
	return rx && rx->any;
}


void media_rx_figs(const struct media_rx *rx, uint64_t now_ms,
		   struct media_rx_figs *f)
{
	uint32_t best = 0;
	size_t i;

	if (!rx || !f)
		return;

	memset(f, 0, sizeof(*f));
	f->started = rx->started;
	f->any = rx->any;
	f->first_ms = rx->first_ms;
	f->packets = rx->packets;
	f->bytes = rx->bytes;
	f->audio = rx->audio;
	f->tev = rx->tev;
	f->pt_unexpected = rx->pt_unexpected;
	memcpy(f->pts, rx->pts, sizeof(f->pts));
	f->ssrc = rx->ssrc;
	f->ssrc_changes = rx->ssrc_changes;
	f->lost = lost(rx);
	f->gaps = rx->gaps;
	f->late = rx->late;
	f->jitter_ms = (double)(rx->jitter16 >> 4) * 1000 / MEDIA_SRATE;

	for (i = 0; i < TONEC; i++) {
		if (rx->votes[i] > best) {
			best = rx->votes[i];
			f->tone_hz = media_tonev[i];
		}
	}
	f->tone_blocks = best;
	f->silent_blocks = rx->silent;
	f->blocks = rx->blocks;
	str_ncpy(f->digits, rx->digits, sizeof(f->digits));
	str_ncpy(f->digits_4733, rx->dig4733, sizeof(f->digits_4733));
	str_ncpy(f->digits_inband, rx->diginb, sizeof(f->digits_inband));
	f->src = rx->src;
	f->src_mismatch = rx->src_mismatch;
	f->malformed = rx->malformed;
	f->huge = rx->huge;
	f->wrong_ssrc = rx->wrong_ssrc;
	f->srtp_fail = rx->srtp_fail;
	f->rtcp_sr = rx->rtcp_sr;
	f->rtcp_rr = rx->rtcp_rr;
	f->rtcp_bad = rx->rtcp_bad;
	f->peer_lost = rx->peer_lost;
	f->peer_jitter = rx->peer_jitter;

	/* MEDIA-RTP-3: started (and not on hold), and nothing within 2 s */
	f->one_way = rx->started && !rx->paused && rx->first_ms < 0 &&
		now_ms >= rx->start_ms + MEDIA_ONEWAY_MS;
}


const int16_t *media_rx_capture(const struct media_rx *rx, size_t *sampc)
{
	if (!rx)
		return NULL;

	if (sampc)
		*sampc = rx->capc;

	return rx->cap;
}


static int pts_json(struct re_printf *pf, const uint8_t *pts)
{
	const char *sep = "";
	int err = 0;
	unsigned i;

	err |= re_hprintf(pf, "[");
	for (i = 0; i < 128; i++) {
		if (pts[i >> 3] & (1u << (i & 7))) {
			err |= re_hprintf(pf, "%s%u", sep, i);
			sep = ",";
		}
	}
	err |= re_hprintf(pf, "]");

	return err;
}


int media_rx_figs_json(struct re_printf *pf, const struct media_rx_figs *f)
{
	int err = 0;

	if (!f)
		return re_hprintf(pf, "null");

	err |= re_hprintf(pf, "{\"packets\":%u,\"bytes\":%llu,"
			  "\"first_ms\":%lld,\"audio\":%u,\"tev\":%u,"
			  "\"pt_unexpected\":%u,\"pts\":",
			  f->packets, (unsigned long long)f->bytes,
			  (long long)f->first_ms, f->audio, f->tev,
			  f->pt_unexpected);
	err |= pts_json(pf, f->pts);
	err |= re_hprintf(pf, ",\"ssrc\":%u,\"ssrc_changes\":%u,"
			  "\"lost\":%u,\"gaps\":%u,\"late\":%u,"
			  "\"jitter_ms\":%.2f,\"tone_hz\":%u,"
			  "\"tone_blocks\":%u,\"silent_blocks\":%u,"
			  "\"blocks\":%u,\"digits\":",
			  f->ssrc, f->ssrc_changes, f->lost, f->gaps, f->late,
			  f->jitter_ms, f->tone_hz, f->tone_blocks,
			  f->silent_blocks, f->blocks);
	err |= jsonw_str(pf, f->digits);
	err |= re_hprintf(pf, ",\"digits_4733\":");
	err |= jsonw_str(pf, f->digits_4733);
	err |= re_hprintf(pf, ",\"digits_inband\":");
	err |= jsonw_str(pf, f->digits_inband);
	if (sa_isset(&f->src, SA_ALL))
		err |= re_hprintf(pf, ",\"src\":\"%J\"", &f->src);
	else
		err |= re_hprintf(pf, ",\"src\":null");
	err |= re_hprintf(pf, ",\"src_mismatch\":%s,\"malformed\":%u,"
			  "\"huge\":%u,\"wrong_ssrc\":%u,\"srtp_fail\":%u,"
			  "\"rtcp_sr\":%u,"
			  "\"rtcp_rr\":%u,\"rtcp_bad\":%u,\"peer_lost\":%d,"
			  "\"peer_jitter\":%u,\"one_way\":%s}",
			  f->src_mismatch ? "true" : "false", f->malformed,
			  f->huge, f->wrong_ssrc, f->srtp_fail, f->rtcp_sr,
			  f->rtcp_rr,
			  f->rtcp_bad, f->peer_lost, f->peer_jitter,
			  f->one_way ? "true" : "false");

	return err;
}


int media_wav_encode(struct mbuf *mb, const int16_t *sampv, size_t sampc)
{
	const uint32_t bytes = (uint32_t)(sampc * 2);
	size_t i;
	int err = 0;

	if (!mb || (sampc && !sampv) || sampc > 0x3fffffff)
		return EINVAL;

	err |= mbuf_write_str(mb, "RIFF");
	err |= mbuf_write_u32(mb, sys_htoll(36 + bytes));
	err |= mbuf_write_str(mb, "WAVEfmt ");
	err |= mbuf_write_u32(mb, sys_htoll(16));
	err |= mbuf_write_u16(mb, sys_htols(1));            /* PCM  */
	err |= mbuf_write_u16(mb, sys_htols(1));            /* mono */
	err |= mbuf_write_u32(mb, sys_htoll(MEDIA_SRATE));
	err |= mbuf_write_u32(mb, sys_htoll(MEDIA_SRATE * 2));
	err |= mbuf_write_u16(mb, sys_htols(2));
	err |= mbuf_write_u16(mb, sys_htols(16));
	err |= mbuf_write_str(mb, "data");
	err |= mbuf_write_u32(mb, sys_htoll(bytes));
	for (i = 0; i < sampc; i++)
		err |= mbuf_write_u16(mb, sys_htols((uint16_t)sampv[i]));

	return err;
}
