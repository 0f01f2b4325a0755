/**
 * @file stats.h  What one direction of a media stream carried: the
 * receive-side analysis of RTP and RTCP datagrams, on no socket of its own.
 *
 * media_rx_packet() takes one datagram as it came off the wire (a stream
 * feeds it; tests and the fuzzer feed hand-made ones) and either accepts
 * it or counts it as dropped: malformed, huge, wrong SSRC.  Accepted audio
 * is decoded (G.711) and analysed: the dominant tone by Goertzel over the
 * candidate frequencies of media_tonev[], silence, in-band DTMF (librem's
 * dtmf_dec), RFC 4733 events (libre's telev: a digit's repeated end
 * packets count once) and a short PCM capture.  Times are vclock ms.
 */

#ifndef SIPCONFORM_MEDIA_STATS_H
#define SIPCONFORM_MEDIA_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

struct mbuf;
struct re_printf;

enum {
	MEDIA_SRATE     = 8000,  /* G.711 and telephone-event clock (Hz) */
	MEDIA_PTIME     = 20,    /* ms of audio per packet               */
	MEDIA_FRAME     = 160,   /* samples per packet                   */
	MEDIA_PKT_MAX   = 1500,  /* longer datagrams are counted huge    */
	MEDIA_ONEWAY_MS = 2000,  /* MEDIA-RTP-3: no RTP this long: one-way */
	MEDIA_DIGITS_MAX = 32,
};

/* frequencies (Hz) the tone detector tells apart; the sources' tones */
extern const uint32_t media_tonev[];
extern const size_t media_tonec;

/* the figures of one receive direction, a snapshot */
struct media_rx_figs {
	bool     started;        /* media_rx_start() was called             */
	bool     any;            /* an RTP packet was accepted              */
	int64_t  first_ms;       /* first packet after start; -1: none yet  */
	uint32_t packets;        /* accepted RTP packets                    */
	uint64_t bytes;          /* their payload bytes                     */
	uint32_t audio;          /* of them with the negotiated codec       */
	uint32_t tev;            /* of them RFC 4733 events                 */
	uint32_t pt_unexpected;  /* of them with another payload type       */
	uint8_t  pts[16];        /* bitmap of the payload types seen        */
	uint32_t ssrc;
	uint32_t ssrc_changes;
	uint32_t lost;           /* expected minus received (RFC 3550 A.3)  */
	uint32_t gaps;           /* forward sequence jumps                  */
	uint32_t late;           /* duplicated or out-of-order packets      */
	double   jitter_ms;      /* interarrival jitter (RFC 3550 A.8)      */
	uint32_t tone_hz;        /* dominant tone; 0: none                  */
	uint32_t tone_blocks;    /* 50 ms blocks that voted for it          */
	uint32_t silent_blocks;
	uint32_t blocks;
	char     digits[MEDIA_DIGITS_MAX + 1];        /* both kinds, in order */
	char     digits_4733[MEDIA_DIGITS_MAX + 1];
	char     digits_inband[MEDIA_DIGITS_MAX + 1];
	struct sa src;           /* where the last accepted RTP came from   */
	bool     src_mismatch;   /* RTP came from elsewhere than the SDP's  */
	uint32_t malformed;      /* dropped: not RTP / not RTCP             */
	uint32_t huge;           /* dropped: over MEDIA_PKT_MAX             */
	uint32_t wrong_ssrc;     /* dropped: another SSRC while one is live */
	uint32_t srtp_fail;      /* dropped: SRTP/SRTCP auth or replay failed */
	uint32_t rtcp_sr;
	uint32_t rtcp_rr;
	uint32_t rtcp_bad;
	int32_t  peer_lost;      /* what the peer's last report block said  */
	uint32_t peer_jitter;    /* (its jitter, in timestamp units)        */
	bool     one_way;        /* MEDIA-RTP-3 */
};

struct media_rx;

typedef void (media_digit_h)(char digit, bool inband, void *arg);
typedef void (media_pcm_h)(const int16_t *sampv, size_t sampc, void *arg);

/* capture_ms: how much decoded audio to keep for reports (0: none) */
int  media_rx_alloc(struct media_rx **rxp, uint32_t capture_ms);

/* what the SDP negotiated: audio PT (0/8; -1: either), telephone-event
 * PT (-1: none), the address the peer named (NULL: unknown) */
void media_rx_expect(struct media_rx *rx, int pt, int tev_pt,
		     const struct sa *sdp);

/* the answer/ACK or a resume: the one-way clock starts again */
void media_rx_start(struct media_rx *rx, uint64_t now_ms);
/* hold: no RTP expected until the next start */
void media_rx_pause(struct media_rx *rx);

void media_rx_set_digith(struct media_rx *rx, media_digit_h *h, void *arg);
void media_rx_set_pcmh(struct media_rx *rx, media_pcm_h *h, void *arg);

/*
 * One RTP datagram from src at now_ms; mb's position is left alone.
 * 0: accepted; EMSGSIZE: huge; EBADMSG: malformed; EPROTO: wrong SSRC.
 */
int  media_rx_packet(struct media_rx *rx, const struct sa *src,
		     const struct mbuf *mb, uint64_t now_ms);
/* an SRTP or SRTCP datagram failed authentication: counted, dropped */
void media_rx_srtp_fail(struct media_rx *rx);
/* one RTCP datagram; 0 or EBADMSG / EMSGSIZE (counted) */
int  media_rx_rtcp(struct media_rx *rx, const struct mbuf *mb);

void media_rx_figs(const struct media_rx *rx, uint64_t now_ms,
		   struct media_rx_figs *f);
/* the extended highest sequence number and the jitter for an RR block */
void media_rx_report(const struct media_rx *rx, uint32_t *ssrc,
		     uint32_t *ext_seq, int32_t *lost, uint32_t *jitter);
bool media_rx_any(const struct media_rx *rx);

/* the captured audio, 8 kHz mono */
const int16_t *media_rx_capture(const struct media_rx *rx, size_t *sampc);

/* a JSON object of the figures */
int  media_rx_figs_json(struct re_printf *pf, const struct media_rx_figs *f);

/* the encoding of a capture as a WAV file (RIFF, 16-bit PCM, 8 kHz) */
int  media_wav_encode(struct mbuf *mb, const int16_t *sampv, size_t sampc);

#endif
