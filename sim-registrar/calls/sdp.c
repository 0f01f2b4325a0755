/**
 * @file calls/sdp.c  SDP bodies of SIP messages and how a bad one is
 * refused: 400 (malformed) or 488 (no common codec, RTP/SAVP only, no
 * audio) with a Warning naming the line (MEDIA-SDP-1/2, MEDIA-SRTP-1).
 * Offer/answer itself is media/sdp_oa.c, per leg (media.c).
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "sdp_oa.h"
#include "calls/calls_priv.h"


bool call_sdp_is(const struct sip_msg *msg)
{
	return mbuf_get_left(msg->mb) &&
		msg_ctype_cmp(&msg->ctyp, "application", "sdp");
}


/* the row an offer/answer error stands for */
enum rule_id call_sdp_rule(int err, const struct sdp_oa *oa)
{
	const struct sdp_oa_remote *r = sdp_oa_remote(oa);

	if (err == EPROTONOSUPPORT)
		return RULE_MEDIA_SDP_2;
	if (err == ENOTSUP && r && r->savp)
		return RULE_MEDIA_SRTP_1;

	return RULE_MEDIA_SDP_1;
}


/* 400 or 488 with `Warning: 399 host "reason"` (RFC 3261 20.43) */
void call_sdp_refuse(struct calls *cs, const struct sip_msg *msg,
		     struct sip_strans **stp, int err,
		     const struct sdp_oa *oa)
{
	const uint16_t scode = sdp_oa_status(err);
	const char *why = sdp_oa_reason(oa);
	char text[160], hdr[240];
	size_t i;

	/* the reason quotes SDP text: a quoted-string holds no " or \ */
	str_ncpy(text, why && why[0] ? why : "unacceptable SDP",
		 sizeof(text));
	for (i = 0; text[i]; i++) {
		if (text[i] == '"' || text[i] == '\\' ||
		    (unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] > 0x7e)
			text[i] = '\'';
	}

	(void)re_snprintf(hdr, sizeof(hdr), "Warning: 399 %r \"%s\"\r\n",
			  &msg->uri.host, text);

	calls_refuse(cs, msg, stp, call_sdp_rule(err, oa), scode,
		     scode == 400 ? "Bad Request" : "Not Acceptable Here",
		     hdr, text);
}
