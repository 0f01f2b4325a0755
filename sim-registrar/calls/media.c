/**
 * @file calls/media.c  A leg's media: its own RTP/RTCP pair and
 * offer/answer (media/stream.h, media/sdp_oa.h), started at the ACK, the
 * watch that logs one-way audio (MEDIA-RTP-3), latching (MEDIA-RTP-2) and
 * ends a silent call after media_timeout, a bridge of two legs, and the
 * figures a call keeps once its streams are gone.
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "jsonw.h"
#include "config.h"
#include "sdp_oa.h"
#include "stream.h"
#include "calls/calls_priv.h"


enum { WATCH_MS = 500 };


int leg_media_alloc(struct leg *l, struct calls *cs)
{
	struct sa ip;
	int err;

	if (l->ms)
		return 0;

	err = calls_laddr(cs, SIP_TRANSP_UDP, NULL, &ip);
	if (err)
		return err;

	err = media_stream_alloc(&l->ms, &ip, cs->capture_ms);
	if (!err)
		err = sdp_oa_alloc(&l->oa, media_stream_laddr(l->ms));
	if (err) {
		l->ms = mem_deref(l->ms);
		l->oa = mem_deref(l->oa);
	}

	return err;
}


/* a decision about a call's media, naming the call; its own rule (the
 * outcome) stays as it is */
void call_media_decide(struct call *c, enum rule_id id, const char *detail)
{
	struct decision d;

	if (!c || !c->cs->base.dh)
		return;

	memset(&d, 0, sizeof(d));
	d.rule = id;
	d.aor = c->desc;
	d.detail = detail;
	d.call = c->sid;
	c->cs->base.dh(&d, c->cs->base.arg);
}


static const char *leg_name(const struct leg *l)
{
	return l->target ? l->target : l->cuser ? l->cuser : "the phone";
}


/* the phone's offer (an INVITE or re-INVITE) in, our answer out */
int leg_media_answer(struct leg *l, struct mbuf **mbp,
		     const struct sip_msg *msg)
{
	struct mbuf mb;

	if (!l->oa)
		return EINVAL;

	mb = *msg->mb;
	return sdp_oa_answer(l->oa, mbp, &mb);
}


/* our offer: in an INVITE, or in a 2xx when the phone's INVITE had none */
int leg_media_offer(struct leg *l, struct mbuf **mbp)
{
	if (!l->oa)
		return EINVAL;

	l->offered = true;

	return sdp_oa_offer(l->oa, mbp);
}


/* the answer to our offer: a 2xx's or an ACK's body */
int leg_media_accept(struct leg *l, const struct sip_msg *msg)
{
	struct mbuf mb;

	if (!l->oa)
		return EINVAL;

	l->offered = false;
	if (!call_sdp_is(msg))
		return ENOENT;

	mb = *msg->mb;
	return sdp_oa_accept(l->oa, &mb);
}


static void watch(void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	const uint32_t to = c ? c->cs->base.cfg->profile.media_timeout : 0;
	const uint64_t now = vclock_now();
	struct media_rx_figs f;
	char detail[200];

	if (!l->ms || !l->started || !c || c->state != CALL_ANSWERED)
		return;

	media_rx_figs(media_stream_rx(l->ms), now, &f);

	if (f.one_way && !l->oneway_said) {
		l->oneway_said = true;
		(void)re_snprintf(detail, sizeof(detail), "one-way audio: no "
				  "RTP from %s within 2 s of the ACK or "
				  "resume; the call goes on", leg_name(l));
		call_media_decide(c, RULE_MEDIA_RTP_3, detail);
	}

	if (!l->latch_said && media_stream_latched(l->ms)) {
		l->latch_said = true;
		(void)re_snprintf(detail, sizeof(detail), "RTP from %J, not "
				  "the %J its SDP names: sent there "
				  "(symmetric RTP)", media_stream_dst(l->ms),
				  &sdp_oa_remote(l->oa)->addr);
		call_media_decide(c, RULE_MEDIA_RTP_2, detail);
	}

	if (f.packets != l->rx_seen || !sdp_oa_receiving(l->oa)) {
		l->rx_seen = f.packets;
		l->rx_last = now;
	}
	else if (to && now - l->rx_last >= (uint64_t)to * 1000) {
		(void)re_snprintf(detail, sizeof(detail), "no RTP from %s "
				  "for %u s (media_timeout): BYE",
				  leg_name(l), to);
		call_media_decide(c, RULE_MEDIA_RTP_3, detail);
		call_hangup(c, "registrar");
		return;
	}

	vtimer_start(&l->watch, WATCH_MS, watch, l);
}


/* after an answer or accept: where to send, what to expect, which way */
void leg_media_applied(struct leg *l)
{
	bool recv;

	if (!l->ms || media_stream_apply(l->ms, l->oa))
		return;

	/* a resume starts the one-way clock again (MEDIA-RTP-3) */
	recv = sdp_oa_receiving(l->oa);
	if (recv && !l->receiving) {
		l->oneway_said = false;
		l->rx_last = vclock_now();
	}
	l->receiving = recv;
}


/* the ACK (or the 2xx of our INVITE): RTP both ways from now */
void leg_media_start(struct leg *l)
{
	if (!l->ms || l->started)
		return;

	if (media_stream_apply(l->ms, l->oa))
		return;

	l->started = true;
	l->receiving = sdp_oa_receiving(l->oa);
	l->rx_last = vclock_now();
	(void)media_stream_start(l->ms);
	vtimer_start(&l->watch, WATCH_MS, watch, l);
}


void leg_media_figs(const struct leg *l, struct call_leg_media *m)
{
	memset(m, 0, sizeof(*m));
	if (!l->ms)
		return;

	m->set = true;
	m->latched = media_stream_latched(l->ms);
	m->srtp = media_stream_secure(l->ms);
	media_stream_tx_figs(l->ms, &m->tx);
	media_rx_figs(media_stream_rx(l->ms), vclock_now(), &m->rx);
	m->pcm = media_rx_capture(media_stream_rx(l->ms), &m->pcmc);
	if (!m->pcmc)
		m->pcm = NULL;
}


/* the leg is over: its figures are kept in snap (when given) */
void leg_media_end(struct leg *l, struct call_leg_media *snap)
{
	vtimer_cancel(&l->watch);
	if (!l->ms)
		return;

	media_stream_stop(l->ms);
	if (snap) {
		int16_t *pcm;

		mem_deref((void *)snap->pcm);
		leg_media_figs(l, snap);
		/* the audio outlives the stream: the call owns a copy */
		pcm = snap->pcmc ? mem_alloc(snap->pcmc * sizeof(*pcm), NULL) :
			NULL;
		if (pcm)
			memcpy(pcm, snap->pcm, snap->pcmc * sizeof(*pcm));
		snap->pcm = pcm;
		if (!pcm)
			snap->pcmc = 0;
	}

	l->ms = mem_deref(l->ms);
	l->oa = mem_deref(l->oa);
	l->started = false;
	l->offered = false;
}


/* the outside network's tone for a number: one row of media_tonev[] per
 * number, 1000 Hz and up (the Say tone, 2000 Hz, is not one of them) */
uint32_t media_number_tone(const char *number)
{
	uint32_t h = 0;

	for (const char *p = number; p && *p; p++)
		h = h * 31 + (uint8_t)*p;

	return media_tonev[10 + h % 10];
}


uint32_t calls_number_tone(const char *number)
{
	return media_number_tone(number);
}


/* a Dial connected: each leg hears the other (a phone), or the outside
 * network's tone of the number at the far end */
void call_media_bridge(struct call *c)
{
	struct media_stream *a = c->a.ms;
	struct media_stream *b = c->peer ? c->peer->leg.ms : NULL;

	if (a && b) {
		(void)media_stream_relay(a, b);
		(void)media_stream_relay(b, a);
	}
	else if (a && c->pbranch) {
		(void)media_stream_tone(a, media_number_tone(c->pbranch->
							    target),
					UINT32_MAX / 2, NULL, NULL);
	}
	else if (b && c->outside) {
		(void)media_stream_tone(b, media_number_tone(c->from),
					UINT32_MAX / 2, NULL, NULL);
	}
}


static int leg_json(struct re_printf *pf, const struct call_leg_media *m)
{
	int err;

	if (!m->set)
		return re_hprintf(pf, "null");

	err  = re_hprintf(pf, "{\"latched\":%s,\"srtp\":%s,\"tx\":",
			  m->latched ? "true" : "false",
			  m->srtp ? "true" : "false");
	err |= media_tx_figs_json(pf, &m->tx);
	err |= re_hprintf(pf, ",\"rx\":");
	err |= media_rx_figs_json(pf, &m->rx);
	err |= re_hprintf(pf, "}");

	return err;
}


int call_media_json(struct re_printf *pf, const struct call_info *ci)
{
	int err;

	if (!ci)
		return re_hprintf(pf, "null");

	err  = re_hprintf(pf, "{\"caller\":");
	err |= leg_json(pf, &ci->media[0]);
	err |= re_hprintf(pf, ",\"callee\":");
	err |= leg_json(pf, &ci->media[1]);
	err |= re_hprintf(pf, "}");

	return err;
}
