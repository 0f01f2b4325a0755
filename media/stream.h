/**
 * @file stream.h  One leg's media stream: an RTP/RTCP socket pair on the
 * leg's address (libre's rtp_listen), a sender on the virtual clock and the
 * receive analysis of stats.h.
 *
 * The sender produces one G.711 frame per 20 ms of vclock time: after
 * vclock_advance(T) (and vtimer_poll()) exactly the frames due go out, with
 * continuous sequence numbers and timestamps 160 apart, a bounded batch
 * per loop turn so that the receivers keep up (media_backlog() says what
 * is still due); in real time the same vtimer paces it every 20 ms.
 * media_advance() (mclock.c) steps the clock 20 ms per loop turn, so
 * arrival times and jitter stay those of a real 20 ms cadence.
 *
 * Sources: silence, a tone (librem autone_sine), a WAV file (8 kHz mono,
 * librem aufile), the audio another stream receives (a bridge), and DTMF
 * over any of them (RFC 4733 via libre telev, or in-band autone_dtmf).
 * Symmetric RTP (MEDIA-RTP-2): once the peer's RTP arrives from elsewhere
 * than its SDP names, we send there.  Hold: no sending (MEDIA-HOLD-1).
 * RTCP: an SR (or RR when we sent nothing) with one report block every 5 s
 * of vclock time; the peer's reports are read.
 */

#ifndef SIPCONFORM_MEDIA_STREAM_H
#define SIPCONFORM_MEDIA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stats.h"

struct re_printf;
struct sa;
struct sdp_oa;
struct media_stream;

/* ways a simulated phone misbehaves on purpose (all off: a good phone) */
struct media_quirks {
	bool no_rtp;        /* never sends RTP (one-way audio)              */
	bool nat;           /* sends from another port than its SDP names    */
	int  wrong_pt;      /* >= 0: sends audio with this payload type      */
	bool send_on_hold;  /* keeps sending on hold                         */
	bool no_rtcp;       /* sends no RTCP                                 */
	bool dtmf_inband;   /* DTMF as tones in the audio, not RFC 4733      */
};

/* what was sent */
struct media_tx_figs {
	bool     sending;        /* direction and address allow it now      */
	uint64_t frames;         /* 20 ms frames the clock produced         */
	uint32_t packets;        /* RTP packets sent                        */
	uint64_t bytes;          /* their payload bytes                     */
	uint32_t tev;            /* of them RFC 4733 events                 */
	int64_t  first_ms;       /* first packet after start; -1: none      */
	uint32_t ssrc;
	int      pt;
	uint32_t rtcp;           /* RTCP reports sent                       */
	char     digits[MEDIA_DIGITS_MAX + 1];  /* DTMF sent                */
};

typedef void (media_done_h)(void *arg);

/* ip: the address to listen on (127.0.0.1); capture_ms: see stats.h */
int  media_stream_alloc(struct media_stream **msp, const struct sa *ip,
			uint32_t capture_ms);
int  media_stream_set_quirks(struct media_stream *ms,
			     const struct media_quirks *q);

/* our RTP address and port, for our SDP (RTCP is the port + 1) */
const struct sa *media_stream_laddr(const struct media_stream *ms);

/* where and what to send, what to expect (pt 0/8; tev_pt -1: none) */
void media_stream_set_remote(struct media_stream *ms, const struct sa *rtp,
			     const struct sa *rtcp, int pt, int tev_pt);
/* the same from a completed offer/answer, with its direction */
int  media_stream_apply(struct media_stream *ms, const struct sdp_oa *oa);
/* SDES SRTP (sdes.h): what we send is protected with tx_key, what we
 * receive unprotected with rx_key (both NULL: plain RTP); a packet that
 * fails authentication is counted (media_rx_figs.srtp_fail) and dropped.
 * media_stream_apply() sets them from the offer/answer. */
int  media_stream_set_srtp(struct media_stream *ms, const uint8_t *tx_key,
			   const uint8_t *rx_key);
bool media_stream_secure(const struct media_stream *ms);
/* hold and resume: whether we send and expect RTP now; a resume restarts
 * the one-way clock (MEDIA-RTP-3) */
void media_stream_set_dir(struct media_stream *ms, bool send, bool recv);

/* the answer/ACK: the sender runs, the one-way clock starts */
int  media_stream_start(struct media_stream *ms);
void media_stream_stop(struct media_stream *ms);

/* sources; done (optional) is called once a finite one has ended */
void media_stream_silence(struct media_stream *ms);
int  media_stream_tone(struct media_stream *ms, uint32_t hz,
		       uint32_t dur_ms, media_done_h *doneh, void *arg);
int  media_stream_wav(struct media_stream *ms, const char *path,
		      media_done_h *doneh, void *arg);
/* to sends what from receives (once each way for a bridge) */
int  media_stream_relay(struct media_stream *to, struct media_stream *from);
/* digits 0-9 * # A-D, over the current source */
int  media_stream_dtmf(struct media_stream *ms, const char *digits,
		       media_done_h *doneh, void *arg);

struct media_rx *media_stream_rx(const struct media_stream *ms);
void media_stream_tx_figs(const struct media_stream *ms,
			  struct media_tx_figs *f);
/* where our RTP goes: the latched source, else the SDP's */
const struct sa *media_stream_dst(const struct media_stream *ms);
bool media_stream_latched(const struct media_stream *ms);

/* the figures of what was sent as a JSON object */
int  media_tx_figs_json(struct re_printf *pf, const struct media_tx_figs *f);

/* {"local":..,"remote":..,"latched":..,"tx":{..},"rx":{..}} */
int  media_stream_json(struct re_printf *pf, const struct media_stream *ms);

/* frames due on the clock but not sent yet, all streams together */
uint64_t media_backlog(void);
/* streams started and not stopped, all together (an advance of the
 * clock steps 20 ms at a time while there are any) */
unsigned media_running(void);

/* step the virtual clock to ms from now, 20 ms per loop turn (mclock.c;
 * the clock is held meanwhile: the real time spent is not part of the
 * span, however long it takes); done is called once the clock is there
 * and media_backlog() is 0 */
int  media_advance(uint64_t ms, media_done_h *doneh, void *arg);

#endif
