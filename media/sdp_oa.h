/**
 * @file sdp_oa.h  SDP offer/answer for one leg (RFC 3264) on libre's sdp.
 *
 * One audio stream: PCMU (0), PCMA (8) and telephone-event/8000 (101,
 * events 0-16), ptime 20, our own RTP address in c= (MEDIA-SDP-1).  An
 * answer keeps the first codec of the offer that we support and mirrors
 * its direction (sendonly -> recvonly, inactive -> inactive, c=0.0.0.0 ->
 * recvonly: MEDIA-HOLD-1).  Input is checked line by line before libre
 * sees it, so a malformed body is refused with a reason naming the line.
 *
 * Error codes and the SIP status they stand for (sdp_oa_status()):
 *   EBADMSG          malformed SDP                         400
 *   EPROTONOSUPPORT  no PCMU/PCMA in the offer or answer   488 (MEDIA-SDP-2)
 *   ENOTSUP          no audio stream; RTP/SAVP with secure 488 (MEDIA-SRTP-1)
 *                    media off; with it on, no RTP/SAVP,
 *                    no a=crypto or none with our suite
 * sdp_oa_reason() then says why, e.g. "line 5: c=: bad address 'x'".
 */

#ifndef SIPCONFORM_MEDIA_SDP_OA_H
#define SIPCONFORM_MEDIA_SDP_OA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;
struct sa;

/* what the peer's last offer or answer said about its audio */
struct sdp_oa_remote {
	struct sa addr;      /* c= address and m= port (0.0.0.0: hold)   */
	struct sa rtcp;      /* a=rtcp, else port + 1                    */
	int pt;              /* the codec in use: 0 or 8; -1 none        */
	int tev_pt;          /* telephone-event PT; -1 none              */
	int dir;             /* enum sdp_dir the peer stated             */
	bool hold;           /* sendonly, inactive or c=0.0.0.0          */
	bool savp;           /* m= proto RTP/SAVP                        */
	bool crypto;         /* a=crypto present                         */
	bool srtp;           /* secure media: key is the peer's SDES key  */
	uint8_t key[30];     /* (SDES_KEY_LEN: master key || salt)        */
	uint32_t ptime;      /* a=ptime; 0 when absent                   */
};

struct sdp_oa;

/* laddr: the RTP address and port this leg's stream listens on */
int  sdp_oa_alloc(struct sdp_oa **oap, const struct sa *laddr);

/* secure media (MEDIA-SRTP-1): RTP/SAVP with a=crypto (sdes.h) in our
 * offers and answers, and required of the peer's; a fresh key is drawn
 * when it is turned on.  Call before the first exchange. */
int  sdp_oa_set_secure(struct sdp_oa *oa, bool on);
bool sdp_oa_secure(const struct sdp_oa *oa);
/* our SDES key once an exchange with secure media succeeded; else NULL
 * (media_stream_apply() keys the stream with it and rem.key) */
const uint8_t *sdp_oa_lkey(const struct sdp_oa *oa);

/* our own direction (enum sdp_dir) for the next offer: hold is sendonly */
void sdp_oa_set_ldir(struct sdp_oa *oa, int dir);

/* our offer (MEDIA-SDP-1); *mbp positioned at 0 */
int  sdp_oa_offer(struct sdp_oa *oa, struct mbuf **mbp);
/* the peer's offer in, our answer out */
int  sdp_oa_answer(struct sdp_oa *oa, struct mbuf **mbp,
		   const struct mbuf *offer);
/* the peer's answer to our offer */
int  sdp_oa_accept(struct sdp_oa *oa, const struct mbuf *answer);

const struct sdp_oa_remote *sdp_oa_remote(const struct sdp_oa *oa);
/* after a successful answer/accept: whether we send and expect RTP */
bool sdp_oa_sending(const struct sdp_oa *oa);
bool sdp_oa_receiving(const struct sdp_oa *oa);
/* why the last call failed ("" when it did not) */
const char *sdp_oa_reason(const struct sdp_oa *oa);

/* the syntax check alone: 0 or EBADMSG with "line N: ..." in reason */
int  sdp_oa_check(const uint8_t *p, size_t n, char *reason, size_t sz);

/* the SIP status for an error of this module (400, 488; 500 otherwise) */
uint16_t sdp_oa_status(int err);

#endif
