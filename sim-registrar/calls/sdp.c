/**
 * @file calls/sdp.c  SDP bodies of SIP messages and how a bad one is
 * refused: 400 (malformed) or 488 (no common codec, RTP/SAVP only, no
 * audio) with a Warning naming the line (MEDIA-SDP-1/2, MEDIA-SRTP-1).
 * Offer/answer itself is media/sdp_oa.c, per leg (media.c).
 *
 * MEDIA-SRTP-1, a domain's secure_media: SDES SRTP over TLS only.  Every
 * leg towards a phone of such a domain offers and requires RTP/SAVP with
 * a=crypto (sdp_oa_set_secure); an INVITE from a phone must come over
 * TLS (else 488), and a binding registered over UDP or TCP is not rung.
 * Legs to the outside network (PSTN) stay RTP/AVP: the B2BUA decrypts on
 * one leg and encrypts on the other with each leg's own keys.
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
	if (err == ENOTSUP && ((r && r->savp) || sdp_oa_secure(oa)))
		return RULE_MEDIA_SRTP_1;

	return RULE_MEDIA_SDP_1;
}


bool call_srtp_secure(const struct domain_conf *dom)
{
	return dom && dom->secure_media;
}


/* what a leg towards a phone of dom offers and accepts */
int call_srtp_leg(struct leg *l, const struct domain_conf *dom)
{
	return sdp_oa_set_secure(l->oa, call_srtp_secure(dom));
}


/* SDES keys travel in the SDP: only a TLS hop keeps them secret */
bool call_srtp_transport_ok(const struct domain_conf *dom,
			    enum sip_transp tp)
{
	return !call_srtp_secure(dom) || tp == SIP_TRANSP_TLS;
}


static void refuse_warning(struct calls *cs, const struct sip_msg *msg,
			   struct sip_strans **stp, enum rule_id id,
			   uint16_t scode, const char *why);


/* an INVITE to a secure-media domain over UDP or TCP (MEDIA-SRTP-1) */
void call_srtp_refuse(struct calls *cs, const struct sip_msg *msg,
		      struct sip_strans **stp)
{
	refuse_warning(cs, msg, stp, RULE_MEDIA_SRTP_1, 488,
		       "secure media: SDES SRTP over TLS only");
}


/* 400 or 488 with `Warning: 399 host "reason"` (RFC 3261 20.43) */
void call_sdp_refuse(struct calls *cs, const struct sip_msg *msg,
		     struct sip_strans **stp, int err,
		     const struct sdp_oa *oa)
{
	refuse_warning(cs, msg, stp, call_sdp_rule(err, oa),
		       sdp_oa_status(err), sdp_oa_reason(oa));
}


static void refuse_warning(struct calls *cs, const struct sip_msg *msg,
			   struct sip_strans **stp, enum rule_id id,
			   uint16_t scode, const char *why)
{
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

	calls_refuse(cs, msg, stp, id, scode,
		     scode == 400 ? "Bad Request" : "Not Acceptable Here",
		     hdr, text);
}
