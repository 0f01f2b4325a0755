/**
 * @file judges_sec.c  The security rows of phone-rules.md ("Media and
 * security"): P-TLS and P-SRTP.  P-TLS's step (tls.c) offers only TLS
 * when the run asks for it (--transport tls), then presents a certificate
 * for another name.  P-SRTP judges the media steps' calls (media.c) of a
 * run whose domain has secure_media (--secure-media): the phone's SDP, as
 * captured, and the service's SRTP figures of its leg.
 */

#include <string.h>
#include <re.h>
#include "calls.h"
#include "phone/capture.h"
#include "phone/judges.h"


static void tls_judge(const struct jctx *x, struct jverdict *v)
{
	const struct jreg *first = capture_first_ok(x->cap);
	const struct jreg *wrong;

	if (!x->tls) {
		jverdict_set(v, "P-TLS", JV_SKIP, "the run offered no TLS "
			     "(harness phone --transport tls)");
		return;
	}
	if (!first) {
		jverdict_set(v, "P-TLS", JV_FAIL, "the phone never registered "
			     "over TLS");
		return;
	}
	if (first->tp != SIP_TRANSP_TLS) {
		jverdict_observed(v, "registered over %s",
				  sip_transp_name(first->tp));
		jverdict_set(v, "P-TLS", JV_FAIL, "registered over %s, not "
			     "TLS", sip_transp_name(first->tp));
		return;
	}

	wrong = x->next >= 0 ? capture_reg(x->cap, (size_t)x->next) : NULL;
	jverdict_observed(v, "registered over TLS; with a certificate for "
			  "%s: %s; with the right one again: %s",
			  x->tls_wrong_cn, wrong ? "a REGISTER came" :
			  "no REGISTER", x->tls_back ? "registered" :
			  "not back in time");

	if (wrong) {
		jverdict_set(v, "P-TLS", JV_WARN, "it registered through a "
			     "certificate that names %s, not the domain",
			     x->tls_wrong_cn);
		return;
	}

	jverdict_set(v, "P-TLS", JV_PASS, "registers over TLS; no REGISTER "
		     "through the wrong-name certificate within %llu s",
		     (unsigned long long)(x->window_ms / 1000));
}


/* ------------------------------------------------------------- P-SRTP */

/* the one suite the service speaks (MEDIA-SRTP-1) */
static const char sdes_suite[] = "AES_CM_128_HMAC_SHA1_80";


static bool sdes_ok(const char *proto, const char *crypto)
{
	return !strcmp(proto, "RTP/SAVP") && strstr(crypto, sdes_suite);
}


/* "RTP/AVP, no a=crypto" */
static const char *sdp_sec(char *buf, size_t sz, const char *proto,
			   const char *crypto)
{
	(void)re_snprintf(buf, sz, "%s, %s%s", proto[0] ? proto : "no m=audio",
			  crypto[0] ? "a=crypto " : "no a=crypto", crypto);

	return buf;
}


/* the phone's SDP: its answer to the service's call, its own offers;
 * false (and the FAIL's reason) when one is not SDES SRTP */
static bool srtp_sdp(const struct jctx *x, char *obs, size_t osz,
		     char *why, size_t wsz, size_t *n)
{
	const struct jcall *c = x->call;
	size_t len = 0;
	bool ok = true;
	char sec[140];

	if (c && c->final >= 300) {
		len += (size_t)re_snprintf(obs, osz, "the service's call: "
					   "answered %u", c->final);
		(void)re_snprintf(why, wsz, "it refused the service's SRTP "
				  "offer (%u)", c->final);
		ok = false;
		++*n;
	}
	else if (c && c->sdp) {
		sdp_sec(sec, sizeof(sec), c->proto, c->crypto);
		len += (size_t)re_snprintf(obs, osz, "its answer: %s", sec);
		if (!sdes_ok(c->proto, c->crypto)) {
			(void)re_snprintf(why, wsz, "its answer to the "
					  "service's SRTP offer has %s",
					  sec);
			ok = false;
		}
		++*n;
	}

	for (size_t i = 0; i < capture_mreqc(x->cap); i++) {
		const struct jmreq *q = capture_mreq(x->cap, i);

		if (!q->sdp || q->in_call || strcmp(q->method, "INVITE"))
			continue;
		sdp_sec(sec, sizeof(sec), q->proto, q->crypto);
		if (len < osz)
			len += (size_t)re_snprintf(obs + len, osz - len,
						   "%sits offer: %s",
						   len ? "; " : "", sec);
		if (ok && !sdes_ok(q->proto, q->crypto)) {
			(void)re_snprintf(why, wsz, "it offered %s, not "
					  "RTP/SAVP with a=crypto %s", sec,
					  sdes_suite);
			ok = false;
		}
		++*n;
	}

	return ok;
}


static void srtp_judge(const struct jctx *x, struct jverdict *v)
{
	static const char *const namev[2] = {"the service's call",
					     "the phone's call"};
	const struct call_leg_media *legv[2] = {x->in.leg, x->out.leg};
	char obs[sizeof(v->observed)] = "", why[300] = "";
	size_t n = 0, len;

	if (!x->secure_media) {
		jverdict_set(v, "P-SRTP", JV_SKIP, "the run asked for no "
			     "secure media (harness phone --transport tls "
			     "--secure-media)");
		return;
	}

	if (!srtp_sdp(x, obs, sizeof(obs), why, sizeof(why), &n)) {
		jverdict_observed(v, "%s", obs);
		jverdict_set(v, "P-SRTP", JV_FAIL, "%s", why);
		return;
	}

	len = strlen(obs);
	for (size_t k = 0; k < 2; k++) {
		const struct call_leg_media *l = legv[k];

		if (!l || !l->set)
			continue;
		if (len < sizeof(obs))
			len += (size_t)re_snprintf(obs + len,
						   sizeof(obs) - len,
						   "%s%s: SRTP %s, %u packets "
						   "decrypted, %u failed",
						   len ? "; " : "", namev[k],
						   l->srtp ? "on" : "off",
						   l->rx.packets,
						   l->rx.srtp_fail);
		if (why[0])
			continue;
		if (!l->srtp)
			(void)re_snprintf(why, sizeof(why), "%s ran no SRTP",
					  namev[k]);
		else if (!l->rx.packets || l->rx.srtp_fail)
			(void)re_snprintf(why, sizeof(why), "%s: %u SRTP "
					  "packets from the phone decrypted, "
					  "%u failed authentication",
					  namev[k], l->rx.packets,
					  l->rx.srtp_fail);
	}
	jverdict_observed(v, "%s", obs);

	if (why[0]) {
		jverdict_set(v, "P-SRTP", JV_FAIL, "%s", why);
		return;
	}
	if (!n) {
		jverdict_set(v, "P-SRTP", JV_SKIP, "no SDP from the phone "
			     "(no call answered or placed)");
		return;
	}

	jverdict_set(v, "P-SRTP", JV_PASS, "RTP/SAVP with a=crypto %s in "
		     "each of %zu SDP bodies; its SRTP decrypts", sdes_suite,
		     n);
}


const struct judge_row judges_sec[] = {
	{"P-TLS", "registers over TLS (port 5061 habit), and refuses a "
	 "server certificate whose name is not the domain's", "FAIL (no "
	 "TLS) / WARN (accepts a wrong certificate)", JN_TLS, 0, tls_judge,
	 "transport, certificate verification", "verify the server's "
	 "certificate: trust the service's CA and check that the name is "
	 "the domain's"},
	{"P-SRTP", "with secure media: offers RTP/SAVP with an a=crypto line "
	 "of AES_CM_128_HMAC_SHA1_80, and its SRTP decrypts", "FAIL",
	 JN_MEDIA, 0, srtp_judge, "media encryption", "turn SRTP (SDES, "
	 "RFC 4568) on as mandatory, with AES_CM_128_HMAC_SHA1_80"},
};

const size_t judges_sec_count = ARRAY_SIZE(judges_sec);
