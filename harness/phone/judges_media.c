/**
 * @file judges_media.c  The media rows of phone-rules.md ("Media and
 * security"): P-MEDIA-CODEC, -RTP, -SYM, -DTMF, -HOLD.  Their steps
 * (media.c) have the service call the phone and play it a tone, a person
 * call the service's test application, press digits, hold and resume;
 * the figures are the service's own (sim-registrar/calls.h: each leg's
 * rx from the phone, tx to it), read here, never measured again.
 */

#include <string.h>
#include <re.h>
#include "calls.h"
#include "phone/capture.h"
#include "phone/judges.h"

enum {
	FIRST_RTP_MS = 1000,  /* the phone's RTP after the answer (ACK)  */
	HELD_MAX     = 10,    /* packets an inactive phone may still send
				 while its hold settles                    */
};


/* the calls of the step, as "the service's call" / "the phone's call" */
static const struct {
	const char *name;
	size_t off;
} legs[] = {
	{"the service's call to the phone", offsetof(struct jctx, in)},
	{"the phone's call to the test application", offsetof(struct jctx,
							   out)},
};


static const struct jmedia *leg_of(const struct jctx *x, size_t k)
{
	return (const struct jmedia *)(const void *)
		((const char *)x + legs[k].off);
}


static bool g711(const char *codecs)
{
	return strstr(codecs, "PCMU/") || strstr(codecs, "PCMA/");
}


/* ------------------------------------------------------- P-MEDIA-CODEC */

/* every SDP the phone sent: its answers (calls to it), its offers */
static void codec_judge(const struct jctx *x, struct jverdict *v)
{
	char seen[400] = "";
	const char *no_g711 = NULL, *no_tev = NULL;
	size_t n = 0, len = 0;

	for (size_t i = 0; i < capture_callc(x->cap) + capture_mreqc(x->cap);
	     i++) {
		const struct jcall *c = capture_call(x->cap, i);
		const struct jmreq *q = c ? NULL :
			capture_mreq(x->cap, i - capture_callc(x->cap));
		const char *codecs = c ? c->codecs : q->codecs;

		if (!codecs[0] || (q && (!q->sdp || q->in_call)))
			continue;

		if (n++ < 2 && len < sizeof(seen))
			len += (size_t)re_snprintf(seen + len,
						   sizeof(seen) - len,
						   "%s%s: %s", len ? "; " : "",
						   c ? "answer" : "offer",
						   codecs);
		if (!g711(codecs) && !no_g711)
			no_g711 = c ? "an answer" : "an offer";
		if (!strstr(codecs, "telephone-event/") && !no_tev)
			no_tev = c ? "an answer" : "an offer";
	}

	if (!n) {
		jverdict_set(v, "P-MEDIA-CODEC", JV_SKIP, "no SDP from the "
			     "phone (no call answered or placed)");
		return;
	}

	jverdict_observed(v, "%s", seen);

	if (no_g711)
		jverdict_set(v, "P-MEDIA-CODEC", JV_FAIL, "%s of the phone's "
			     "names neither PCMU nor PCMA", no_g711);
	else if (no_tev)
		jverdict_set(v, "P-MEDIA-CODEC", JV_WARN, "%s of the phone's "
			     "has no telephone-event (RFC 4733 digits)",
			     no_tev);
	else
		jverdict_set(v, "P-MEDIA-CODEC", JV_PASS, "G.711 and "
			     "telephone-event in each of %zu SDP bodies", n);
}


/* --------------------------------------------------------- P-MEDIA-RTP */

/* one call's RTP both ways; false (and the FAIL's reason) when it fails */
static bool rtp_ok(const struct jmedia *m, char *why, size_t sz)
{
	const struct call_leg_media *l = m->leg;

	if (!l->rx.packets) {
		(void)re_snprintf(why, sz, "no RTP from the phone");
		return false;
	}
	if (l->rx.first_ms < 0 || l->rx.first_ms > FIRST_RTP_MS) {
		(void)re_snprintf(why, sz, "its first RTP came %lld ms after "
				  "the answer (1 s allowed)",
				  (long long)l->rx.first_ms);
		return false;
	}
	if (!l->rx.audio && !l->rx.tev) {
		(void)re_snprintf(why, sz, "none of its %u packets had a "
				  "negotiated payload type", l->rx.packets);
		return false;
	}
	if (!l->tx.packets) {
		(void)re_snprintf(why, sz, "the service sent it no RTP (its "
				  "SDP named no address to send to?)");
		return false;
	}
	/* its receiver reports: most of the tone lost */
	if (l->rx.rtcp_rr + l->rx.rtcp_sr && l->rx.peer_lost > 0 &&
	    (uint32_t)l->rx.peer_lost * 2 > l->tx.packets) {
		(void)re_snprintf(why, sz, "its RTCP reports %d of the "
				  "service's %u packets lost",
				  l->rx.peer_lost, l->tx.packets);
		return false;
	}

	return true;
}


static void rtp_judge(const struct jctx *x, struct jverdict *v)
{
	char obs[sizeof(v->observed)] = "";
	size_t len = 0, n = 0;
	char why[160];

	for (size_t k = 0; k < ARRAY_SIZE(legs); k++) {
		const struct jmedia *m = leg_of(x, k);
		const struct call_leg_media *l = m->leg;

		if (!l || !l->set)
			continue;
		n++;
		len += (size_t)re_snprintf(obs + len, sizeof(obs) - len,
					   "%s%s: from it %u packets (first "
					   "%lld ms after the answer), to it "
					   "%u (tone %u Hz), its RTCP %u",
					   len ? "; " : "", legs[k].name,
					   l->rx.packets,
					   (long long)l->rx.first_ms,
					   l->tx.packets, m->tone_hz,
					   l->rx.rtcp_rr + l->rx.rtcp_sr);
		if (len >= sizeof(obs))
			len = sizeof(obs) - 1;
	}
	jverdict_observed(v, "%s", obs);

	if (!n) {
		jverdict_set(v, "P-MEDIA-RTP", JV_SKIP, "no call with the "
			     "phone was answered");
		return;
	}

	for (size_t k = 0; k < ARRAY_SIZE(legs); k++) {
		const struct jmedia *m = leg_of(x, k);

		if (!m->leg || !m->leg->set || rtp_ok(m, why, sizeof(why)))
			continue;
		jverdict_set(v, "P-MEDIA-RTP", JV_FAIL, "%s: %s",
			     legs[k].name, why);
		return;
	}

	jverdict_set(v, "P-MEDIA-RTP", JV_PASS, "RTP both ways in %zu "
		     "call(s), the phone's within 1 s of the answer", n);
}


/* --------------------------------------------------------- P-MEDIA-SYM */

static void sym_judge(const struct jctx *x, struct jverdict *v)
{
	char obs[sizeof(v->observed)] = "";
	size_t n = 0, len = 0;

	for (size_t k = 0; k < ARRAY_SIZE(legs); k++) {
		const struct call_leg_media *l = leg_of(x, k)->leg;

		if (!l || !l->set || !l->rx.packets)
			continue;
		n++;
		if (l->rx.src_mismatch || l->latched) {
			jverdict_observed(v, "%s: RTP from %J, not the port "
					  "its SDP names", legs[k].name,
					  &l->rx.src);
			jverdict_set(v, "P-MEDIA-SYM", JV_WARN, "the phone "
				     "sends RTP from another port than it "
				     "receives on (no symmetric RTP)");
			return;
		}
		len += (size_t)re_snprintf(obs + len, sizeof(obs) - len,
					   "%s%s: RTP from %J, as its SDP "
					   "names", len ? "; " : "",
					   legs[k].name, &l->rx.src);
		if (len >= sizeof(obs))
			len = sizeof(obs) - 1;
	}
	jverdict_observed(v, "%s", obs);

	if (!n)
		jverdict_set(v, "P-MEDIA-SYM", JV_SKIP, "no RTP from the "
			     "phone to compare with its SDP");
	else
		jverdict_set(v, "P-MEDIA-SYM", JV_PASS, "symmetric RTP: sent "
			     "from the port its SDP names");
}


/* -------------------------------------------------------- P-MEDIA-DTMF */

/* every digit of want, in order, in got */
static bool digits_in(const char *got, const char *want)
{
	for (; *want; want++) {
		got = strchr(got, *want);
		if (!got)
			return false;
		got++;
	}

	return true;
}


static void dtmf_judge(const struct jctx *x, struct jverdict *v)
{
	const struct call_leg_media *l = x->out.leg;
	unsigned infos = 0;

	if (!l || !l->set) {
		jverdict_set(v, "P-MEDIA-DTMF", JV_SKIP, x->asked ?
			     "the phone placed no call to the test "
			     "application" : "needs a person to call and "
			     "press digits");
		return;
	}

	for (size_t i = 0; i < capture_mreqc(x->cap); i++) {
		const struct jmreq *q = capture_mreq(x->cap, i);

		infos += !strcmp(q->method, "INFO") &&
			!strcmp(q->callid, x->out.callid);
	}

	jverdict_observed(v, "asked for %s; RFC 4733: '%s', in-band: '%s', "
			  "SIP INFO: %u", x->digits, l->rx.digits_4733,
			  l->rx.digits_inband, infos);

	if (digits_in(l->rx.digits_4733, x->digits))
		jverdict_set(v, "P-MEDIA-DTMF", JV_PASS, "the digits came as "
			     "RFC 4733 events");
	else if (digits_in(l->rx.digits_inband, x->digits))
		jverdict_set(v, "P-MEDIA-DTMF", JV_WARN, "the digits came "
			     "in-band (audio tones), not as RFC 4733 events");
	else if (infos)
		jverdict_set(v, "P-MEDIA-DTMF", JV_WARN, "the digits came as "
			     "SIP INFO, not as RFC 4733 events");
	else
		jverdict_set(v, "P-MEDIA-DTMF", JV_FAIL, "the digits %s did "
			     "not reach the service", x->digits);
}


/* -------------------------------------------------------- P-MEDIA-HOLD */

/* the phone's re-INVITEs in the held call, from x->mfrom */
static const struct jmreq *reinvite(const struct jctx *x, bool hold,
				    const struct jmreq *after)
{
	for (size_t i = x->mfrom; i < capture_mreqc(x->cap); i++) {
		const struct jmreq *q = capture_mreq(x->cap, i);
		bool held;

		if (!q->sdp || strcmp(q->callid, x->in.callid) ||
		    (after && q->t < after->t) || q == after)
			continue;
		held = strcmp(q->dir, "sendrecv") && strcmp(q->dir, "recvonly");
		if (held == hold)
			return q;
	}

	return NULL;
}


static void hold_judge(const struct jctx *x, struct jverdict *v)
{
	const struct jmreq *h, *r;

	if (!x->in.leg || !x->in.leg->set) {
		jverdict_set(v, "P-MEDIA-HOLD", JV_SKIP, x->asked ? "the call "
			     "to the phone was not answered" : "needs a "
			     "person to press hold and resume");
		return;
	}

	h = reinvite(x, true, NULL);
	r = h ? reinvite(x, false, h) : NULL;
	jverdict_observed(v, "hold: %s%s, %u packets from the phone after it;"
			  " resume: %s, %u packets after it",
			  h ? "re-INVITE a=" : "no re-INVITE", h ? h->dir : "",
			  x->held_rx, r ? "re-INVITE a=sendrecv" :
			  "no re-INVITE", x->resumed_rx);

	if (!h) {
		jverdict_set(v, "P-MEDIA-HOLD", x->asked ? JV_WARN : JV_SKIP,
			     x->asked ? "hold sent no re-INVITE with sendonly "
			     "or inactive" : "needs a person to press hold");
		return;
	}
	if (!strcmp(h->dir, "inactive") && x->held_rx > HELD_MAX) {
		jverdict_set(v, "P-MEDIA-HOLD", JV_WARN, "its RTP went on "
			     "while the call was inactive");
		return;
	}
	if (!r) {
		jverdict_set(v, "P-MEDIA-HOLD", JV_WARN, "resume sent no "
			     "re-INVITE with sendrecv");
		return;
	}
	if (!x->resumed_rx) {
		jverdict_set(v, "P-MEDIA-HOLD", JV_WARN, "no RTP from the "
			     "phone after resume");
		return;
	}

	jverdict_set(v, "P-MEDIA-HOLD", JV_PASS, "hold (a=%s) and resume "
		     "(a=sendrecv) by re-INVITE; RTP back after resume",
		     h->dir);
}


const struct judge_row judges_media[] = {
	{"P-MEDIA-CODEC", "the phone's offer and answer include PCMU or "
	 "PCMA; telephone-event offered", "FAIL (no G.711) / WARN (no "
	 "telephone-event)", JN_MEDIA, 0, codec_judge, "codecs", "enable "
	 "G.711 (PCMU, PCMA) and telephone-event (RFC 4733) among the "
	 "phone's codecs"},
	{"P-MEDIA-RTP", "RTP from the phone reaches the service's SDP "
	 "address within 1 s of the answer, with a negotiated payload type; "
	 "the service's tone reaches the phone (its RTCP receiver reports "
	 "count packets, where it sends RTCP)", "FAIL", JN_MEDIA, 0,
	 rtp_judge, NULL, NULL},
	{"P-MEDIA-SYM", "the phone sends RTP from the port its SDP names "
	 "(symmetric RTP)", "WARN", JN_MEDIA, 0, sym_judge,
	 "NAT / symmetric RTP", "turn symmetric RTP on (send RTP from the "
	 "port it receives on)"},
	{"P-MEDIA-DTMF", "digits the operator presses reach the service as "
	 "RFC 4733 events (in-band or SIP INFO: WARN)", "FAIL / WARN",
	 JN_DTMF, 0, dtmf_judge, "DTMF mode", "set the DTMF mode to RFC "
	 "4733 (RFC 2833, telephone-event)"},
	{"P-MEDIA-HOLD", "hold sends a re-INVITE with `sendonly`/`inactive` "
	 "and stops RTP; resume restores `sendrecv` and RTP", "WARN",
	 JN_HOLD, 0, hold_judge, NULL, NULL},
};

const size_t judges_media_count = ARRAY_SIZE(judges_media);
