/**
 * @file ua_advice.c  The per-UA advice rows (ua_advice.h): what each
 * softphone judged in CI (tests/phone/) offers for a rule it can FAIL or
 * WARN, found in its own configuration (baresip 1.0's config/accounts,
 * linphone 5.1's linphonerc, SIPp's scenarios) and behaviour as judged.
 */

#include <string.h>
#include <strings.h>
#include <re.h>
#include "phone/judges.h"
#include "phone/ua_advice.h"


static const struct ua_advice rows[] = {
	/* baresip 1.0 (libre 1.1 underneath) */
	{"baresip", "P-REG-EXPIRY", "accounts line: regint=600 (or less); "
	 "regint is the expiry baresip asks"},
	{"baresip", "P-REG-REFRESH", "no setting: baresip refreshes at 90% "
	 "of the grant (libre's sipreg); regint only sets the expiry asked"},
	{"baresip", "P-REG-NAT", "config: sip_listen IP:PORT and "
	 "net_interface, so that it sends from the port it listens on"},
	{"baresip", "P-METHOD", "no setting: baresip answers OPTIONS itself "
	 "(200), whatever its Require"},
	{"baresip", "P-REFER-KEEP", "no setting: baresip 1.0 ends the call "
	 "when its REFER is refused"},
	{"baresip", "P-CALL-E164", "no dial plan in baresip: dial the + form "
	 "(+14155550123), or keep contacts in E.164"},
	{"baresip", "P-TLS", "no setting: baresip 1.0 does not check the "
	 "server's certificate (sip_cafile only lists the CAs)"},
	{"baresip", "P-CALL-ANSWER", "accounts line: answermode=auto for "
	 "tests"},
	{"baresip", "P-MEDIA-CODEC", "config: module g711.so; accounts line: "
	 "audio_codecs=PCMU,PCMA (baresip adds telephone-event itself)"},
	{"baresip", "P-MEDIA-DTMF", "no setting: baresip 1.0 sends digits as "
	 "RFC 4733 events only"},
	{"baresip", "P-MEDIA-SYM", "no setting: baresip sends RTP from the "
	 "port it receives on; medianat= only adds STUN/ICE"},
	{"baresip", "P-SRTP", "accounts line: mediaenc=srtp-mand (SDES "
	 "SRTP, mandatory; mediaenc=srtp only offers it) with the srtp "
	 "module in config (module srtp.so), over a TLS account"},
	{"baresip", "P-MEDIA-HOLD", "no setting: baresip 1.0 holds with "
	 "sendonly and resumes with sendrecv, but (with the aubridge audio "
	 "module) sends no RTP after resume"},

	/* linphone 5.1 (linphonec, belle-sip underneath) */
	{"Linphone", "P-REG-EXPIRY", "linphonerc [proxy_N] reg_expires=600 "
	 "(or less)"},
	{"Linphone", "P-REG-REFRESH", "no setting: linphone refreshes at 90% "
	 "of the grant (belle-sip's refresher); reg_expires only sets the "
	 "expiry asked"},
	{"Linphone", "P-METHOD", "no setting: linphone answers an unknown "
	 "method 405 and OPTIONS with an unknown Require 200"},
	{"Linphone", "P-CALL-E164", "linphonerc [proxy_N] dial_prefix=1 "
	 "(the country code, without +): linphone then sends numbers as "
	 "+1..."},
	{"Linphone", "P-REG-503", "no setting: nothing in linphonerc sets "
	 "the retry after a 503 (over TLS linphone 5.1 retried before "
	 "Retry-After ran out; over UDP it waited)"},
	{"Linphone", "P-TLS", "linphonerc [sip] verify_server_certs=1, "
	 "verify_server_cn=1, root_ca=the service's CA file"},
	{"Linphone", "P-MEDIA-CODEC", "linphonerc [audio_codec_N] mime=PCMU "
	 "(and PCMA) rate=8000 enabled=1; telephone-event follows "
	 "[sip] use_rfc2833=1"},
	{"Linphone", "P-MEDIA-DTMF", "linphonerc [sip] use_rfc2833=1, "
	 "use_info=0"},
	{"Linphone", "P-SRTP", "linphonerc [sip] media_encryption=srtp and "
	 "media_encryption_mandatory=1 (SDES; AES_CM_128_HMAC_SHA1_80 is "
	 "among its srtp_crypto_suites by default), over a TLS account"},
	{"Linphone", "P-MEDIA-SYM", "linphonerc [rtp] symmetric=1 (sends RTP "
	 "from the port it receives on)"},

	/* SIPp as a phone (tests/phone/sipp/): its scenarios are its settings */
	{"SIPp", "P-METHOD", "the scenarios: answer.xml takes INVITE only "
	 "(add a 501 for others); -aa answers OPTIONS 200 whatever its "
	 "Require"},
	{"SIPp", "P-REG-REFRESH", "register.xml: the <pause> between "
	 "refreshes (under half of the grant)"},
	{"SIPp", "P-MEDIA-RTP", "answer.xml: play RTP after the ACK "
	 "(<exec play_pcap_audio> or -rtp_echo); SIPp sends none by itself"},
	{"SIPp", "P-SRTP", "no setting: Debian 12's SIPp 3.6.1 has no SRTP "
	 "(nothing in it reads a=crypto or encrypts RTP); its scenarios "
	 "offer RTP/AVP"},
	{"SIPp", "P-MEDIA-CODEC", "answer.xml: the SDP of its 200 (m=audio "
	 "... RTP/AVP 0 8 101 with a=rtpmap:101 telephone-event/8000)"},
};


const struct ua_advice *ua_advice_at(size_t i)
{
	return i < ARRAY_SIZE(rows) ? &rows[i] : NULL;
}


const struct ua_advice *ua_advice_find(const char *user_agent,
				       const char *rule)
{
	if (!user_agent || !rule)
		return NULL;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		if (!strncasecmp(user_agent, rows[i].ua, strlen(rows[i].ua)) &&
		    !strcmp(rule, rows[i].rule))
			return &rows[i];
	}

	return NULL;
}


void ua_advice_apply(const char *user_agent, struct jverdict *v)
{
	const struct ua_advice *a;

	if (!v || !v->rule || (v->level != JV_FAIL && v->level != JV_WARN))
		return;

	a = ua_advice_find(user_agent, v->rule);
	if (a)
		str_ncpy(v->advice, a->advice, sizeof(v->advice));
}
