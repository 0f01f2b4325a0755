/**
 * @file phone_media.c  The media of a simulated phone's calls: one RTP
 * stream (media/stream.h) and one offer/answer (media/sdp_oa.h) per call,
 * the phone's own tone, its misbehaviours on purpose (struct
 * phone_media_conf), DTMF the phone's way, hold and resume by re-INVITE,
 * and the figures of each direction.
 *
 * The call (phone_call.c) asks for its SDP bodies here and says when the
 * offer/answer completed (2xx, ACK) and when the call ends; everything
 * about RTP stays in this file.
 */

#include <ctype.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "sdp_oa.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


enum {
	DTMF_DELAY_MS   = 2000,    /* dtmf_answer: the prompt has played   */
	INFO_DURATION   = 160,     /* ms, of each digit sent by INFO       */
	MADE_UP_PORT    = 40000,   /* conf off: RTP ports named, even      */
	NO_CODEC_PT     = 18,      /* conf no_codec: G.729 alone           */
};

struct phone_media {
	struct media_stream *ms;   /* NULL: conf.media.off                */
	struct sdp_oa *oa;
	struct phone_call *call;   /* while it runs (no reference)        */
	struct vtimer tmr_dtmf;    /* dtmf_answer                         */
	char *dtmf_answer;
	uint32_t dtmf_delay;
	enum phone_dtmf_mode dtmf;
	uint32_t tone_hz;
	bool no_codec;
	bool offered;              /* our offer is out, no answer yet     */
	bool started;
	bool stopped;
	bool hold_local;           /* we hold (our offer said sendonly)   */
	bool hold_remote;          /* the peer holds                      */
	int pt;
	struct sa sdp_addr;        /* c= and m= port                      */
	uint32_t sdp_id;
	uint32_t sdp_ver;
	char info_rx[MEDIA_DIGITS_MAX + 1];
	char info_tx[MEDIA_DIGITS_MAX + 1];
	struct phone_media_figs final;  /* frozen when the call ends      */
};


/* ------------------------------------------------------- configuration */

static bool tone_known(uint32_t hz)
{
	for (size_t i = 0; i < media_tonec; i++) {
		if (media_tonev[i] == hz)
			return true;
	}

	return false;
}


static bool digits_ok(const char *s)
{
	if (!s || strlen(s) > MEDIA_DIGITS_MAX)
		return false;

	for (; *s; s++) {
		if (!strchr("0123456789*#ABCD", *s))
			return false;
	}

	return true;
}


/**
 * Check and copy a phone's media configuration
 *
 * @param phone Phone (its name chooses the default tone)
 * @param conf  The configuration's media part
 *
 * @return 0 if success, EINVAL for a value out of range
 */
int phone_media_conf_apply(struct phone *phone,
			   const struct phone_media_conf *conf)
{
	struct phone_media_conf *m = &phone->media;
	struct sa sa;
	int err = 0;

	if (conf->tone_hz && !tone_known(conf->tone_hz))
		return EINVAL;
	if (conf->wrong_pt < 0 || conf->wrong_pt > 127)
		return EINVAL;
	if ((unsigned)conf->dtmf > PHONE_DTMF_INFO)
		return EINVAL;
	if (conf->nat_addr && sa_set_str(&sa, conf->nat_addr, 0))
		return EINVAL;
	if (conf->dtmf_answer && !digits_ok(conf->dtmf_answer))
		return EINVAL;

	*m = *conf;
	m->nat_addr = NULL;
	m->dtmf_answer = NULL;

	/* phones told apart by their tone: one of the detector's rows */
	if (!m->tone_hz)
		m->tone_hz = media_tonev[hash_joaat_str(phone->name) %
					 media_tonec];
	if (!m->dtmf_delay)
		m->dtmf_delay = DTMF_DELAY_MS;

	if (conf->nat_addr)
		err |= str_dup((char **)&m->nat_addr, conf->nat_addr);
	if (conf->dtmf_answer)
		err |= str_dup((char **)&m->dtmf_answer, conf->dtmf_answer);

	return err ? ENOMEM : 0;
}


void phone_media_conf_free(struct phone *phone)
{
	phone->media.nat_addr = mem_deref((char *)phone->media.nat_addr);
	phone->media.dtmf_answer =
		mem_deref((char *)phone->media.dtmf_answer);
}


/* ------------------------------------------------------------- object */

static void destructor(void *arg)
{
	struct phone_media *pm = arg;

	vtimer_cancel(&pm->tmr_dtmf);
	mem_deref(pm->ms);
	mem_deref(pm->oa);
	mem_deref(pm->dtmf_answer);
}


/**
 * A call's media: its RTP stream on the phone's IP, sending the phone's
 * tone once started, with the phone's misbehaviours
 *
 * @param pmp   New media object
 * @param phone Phone
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_media_alloc(struct phone_media **pmp, struct phone *phone)
{
	const struct phone_media_conf *c = &phone->media;
	struct phone_media *pm;
	struct media_quirks q;
	struct sa ip;
	int err = 0;

	pm = mem_zalloc(sizeof(*pm), destructor);
	if (!pm)
		return ENOMEM;

	vtimer_init(&pm->tmr_dtmf);
	pm->dtmf       = c->dtmf;
	pm->dtmf_delay = c->dtmf_delay;
	pm->tone_hz    = c->tone_hz;
	pm->no_codec   = c->no_codec;
	pm->pt         = -1;
	pm->sdp_id     = rand_u32();
	if (c->dtmf_answer)
		err = str_dup(&pm->dtmf_answer, c->dtmf_answer);
	if (err)
		goto out;

	sa_cpy(&ip, &phone->laddr);
	sa_set_port(&ip, 0);

	if (c->off) {
		/* SDP as before media: PCMU on a made-up port, no RTP */
		pm->sdp_addr = ip;
		sa_set_port(&pm->sdp_addr,
			    MADE_UP_PORT + 2 * (rand_u16() % 10000));
		goto out;
	}

	err = media_stream_alloc(&pm->ms, &ip, c->capture_ms);
	if (err)
		goto out;

	memset(&q, 0, sizeof(q));
	q.no_rtp       = c->no_rtp;
	q.nat          = c->nat;
	q.wrong_pt     = c->wrong_pt ? c->wrong_pt : -1;
	q.send_on_hold = c->send_on_hold;
	q.no_rtcp      = c->no_rtcp;
	q.dtmf_inband  = c->dtmf == PHONE_DTMF_INBAND;
	err = media_stream_set_quirks(pm->ms, &q);
	if (err)
		goto out;

	/* behind NAT the SDP names the private address; RTP comes from
	 * another port (the quirk) */
	pm->sdp_addr = *media_stream_laddr(pm->ms);
	if (c->nat && c->nat_addr) {
		err = sa_set_str(&pm->sdp_addr, c->nat_addr,
				 sa_port(media_stream_laddr(pm->ms)));
		if (err)
			goto out;
	}

	err  = sdp_oa_alloc(&pm->oa, &pm->sdp_addr);
	if (!err && c->srtp)
		err = sdp_oa_set_secure(pm->oa, true);
	err |= media_stream_tone(pm->ms, pm->tone_hz, 0, NULL, NULL);

 out:
	if (err)
		mem_deref(pm);
	else
		*pmp = pm;

	return err;
}


/* ---------------------------------------------------------------- SDP */

/* the SDP of a phone without media (off) or without G.711 (no_codec) */
static int sdp_fixed(struct phone_media *pm, struct mbuf **mbp)
{
	const char *af = sa_af(&pm->sdp_addr) == AF_INET6 ? "IP6" : "IP4";
	const int pt = pm->no_codec ? NO_CODEC_PT : 0;
	struct mbuf *mb;
	int err;

	mb = mbuf_alloc(256);
	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb,
			  "v=0\r\n"
			  "o=- %u %u IN %s %j\r\n"
			  "s=sipconform\r\n"
			  "c=IN %s %j\r\n"
			  "t=0 0\r\n"
			  "m=audio %u RTP/AVP %d\r\n"
			  "a=rtpmap:%d %s/8000\r\n"
			  "a=sendrecv\r\n",
			  pm->sdp_id, ++pm->sdp_ver, af, &pm->sdp_addr, af,
			  &pm->sdp_addr, sa_port(&pm->sdp_addr), pt, pt,
			  pm->no_codec ? "G729" : "PCMU");
	if (err) {
		mem_deref(mb);
		return err;
	}

	mb->pos = 0;
	*mbp = mb;

	return 0;
}


/* the completed offer/answer: where and what to send, hold */
static void apply(struct phone_media *pm)
{
	const struct sdp_oa_remote *r = sdp_oa_remote(pm->oa);

	(void)media_stream_apply(pm->ms, pm->oa);
	pm->pt = r ? r->pt : -1;
	pm->hold_remote = r && r->hold;

	/* holding, the phone sends nothing (send_on_hold: it does) */
	if (pm->hold_local)
		media_stream_set_dir(pm->ms, false, false);
}


static bool has_body(const struct sip_msg *msg)
{
	return msg && mbuf_get_left(msg->mb) > 0;
}


/**
 * The SDP of a call's message: the answer to req's offer, or an offer
 * (req NULL, or without a body: delayed offer)
 *
 * @param call   Call
 * @param req    The INVITE or re-INVITE answered, or NULL
 * @param sdpp   The body
 * @param scodep An offer we refuse: the status to send (400, 488)
 * @param whyp   and why
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_media_sdp(struct phone_call *call, const struct sip_msg *req,
		    struct mbuf **sdpp, uint16_t *scodep, const char **whyp)
{
	struct phone_media *pm = call->media;
	int err;

	if (!pm->ms)
		return sdp_fixed(pm, sdpp);

	if (!has_body(req)) {
		if (pm->no_codec)
			return sdp_fixed(pm, sdpp);

		sdp_oa_set_ldir(pm->oa, pm->hold_local ? SDP_SENDONLY :
				SDP_SENDRECV);
		err = sdp_oa_offer(pm->oa, sdpp);
		if (!err)
			pm->offered = true;
		return err;
	}

	if (pm->no_codec) {
		err = EPROTONOSUPPORT;
		if (scodep)
			*scodep = 488;
		if (whyp)
			*whyp = "no common codec";
		return err;
	}

	err = sdp_oa_answer(pm->oa, sdpp, req->mb);
	if (err) {
		if (scodep)
			*scodep = sdp_oa_status(err);
		if (whyp)
			*whyp = sdp_oa_reason(pm->oa);
		return err;
	}

	pm->offered = false;
	apply(pm);

	return 0;
}


static void dtmf_timer(void *arg)
{
	struct phone_media *pm = arg;

	if (pm->call && pm->dtmf_answer)
		(void)phone_call_press(pm->call, pm->dtmf_answer);
}


/* the call is answered: RTP goes */
static void start(struct phone_call *call)
{
	struct phone_media *pm = call->media;

	if (!pm->ms || pm->started || pm->stopped)
		return;

	pm->started = true;
	pm->call = call;
	(void)media_stream_start(pm->ms);

	if (pm->dtmf_answer)
		vtimer_start(&pm->tmr_dtmf, pm->dtmf_delay, dtmf_timer, pm);

	if (call->phone) {
		mem_deref(call->phone->last_media);
		call->phone->last_media = mem_ref(pm);
	}
}


/**
 * The 2xx to our INVITE: its answer taken, media starts
 *
 * @return 0, or the error of an answer we cannot take (no common codec)
 */
int phone_media_accept(struct phone_call *call, const struct sip_msg *msg)
{
	struct phone_media *pm = call->media;
	int err;

	if (!pm->ms)
		return 0;

	if (pm->no_codec)
		return EPROTONOSUPPORT;

	err = sdp_oa_accept(pm->oa, msg->mb);
	pm->offered = false;
	if (err)
		return err;

	apply(pm);
	start(call);

	return 0;
}


/**
 * The 2xx to our INVITE without SDP (delayed offer): its offer answered
 * for the ACK (MEDIA-SDP-3), media starts
 *
 * @return 0, or the error of a missing offer or one we cannot take
 */
int phone_media_answer_2xx(struct phone_call *call,
			   const struct sip_msg *msg, struct mbuf **sdpp)
{
	int err;

	/* a 2xx without an offer: nothing to answer (the call is ended) */
	if (!has_body(msg))
		return EPROTO;

	err = phone_media_sdp(call, msg, sdpp, NULL, NULL);
	if (!err)
		start(call);

	return err;
}


/**
 * The ACK of our 2xx: the answer to an offer of ours in it; media starts
 * with the first
 *
 * @return 0, or the error of a missing or unusable answer (MEDIA-SDP-3)
 */
int phone_media_ack(struct phone_call *call, const struct sip_msg *ack,
		    bool first)
{
	struct phone_media *pm = call->media;
	int err;

	if (!pm->ms)
		return 0;

	if (pm->offered) {
		pm->offered = false;
		if (pm->no_codec)
			return EPROTONOSUPPORT;
		err = sdp_oa_accept(pm->oa, ack->mb);
		if (err)
			return err;
		apply(pm);
	}

	if (first)
		start(call);

	return 0;
}


/* the figures now */
static void figs_get(const struct phone_media *pm, struct phone_media_figs *f)
{
	memset(f, 0, sizeof(*f));
	f->media   = pm->ms != NULL;
	f->started = pm->started;
	f->hold    = pm->hold_local || pm->hold_remote;
	f->pt      = pm->pt;
	f->tone_hz = pm->tone_hz;
	str_ncpy(f->info_rx, pm->info_rx, sizeof(f->info_rx));
	str_ncpy(f->info_tx, pm->info_tx, sizeof(f->info_tx));
	if (!pm->ms)
		return;

	f->srtp = media_stream_secure(pm->ms);
	media_rx_figs(media_stream_rx(pm->ms), vclock_now(), &f->rx);
	media_stream_tx_figs(pm->ms, &f->tx);
}


/** The call ends: RTP stops, the figures are kept as they are */
void phone_media_stop(struct phone_call *call)
{
	struct phone_media *pm = call->media;

	if (!pm || pm->stopped)
		return;

	vtimer_cancel(&pm->tmr_dtmf);
	figs_get(pm, &pm->final);
	pm->stopped = true;
	pm->call = NULL;
	media_stream_stop(pm->ms);
}


/* ---------------------------------------------------------------- DTMF */

static void digit_add(char *s, size_t sz, char d)
{
	const size_t n = strlen(s);

	if (n + 1 < sz) {
		s[n] = d;
		s[n + 1] = '\0';
	}
}


/** An INFO in the call: DTMF by application/dtmf-relay (Signal=) or
 * application/dtmf (the digit alone) */
void phone_media_info(struct phone_call *call, const struct sip_msg *msg)
{
	struct phone_media *pm = call->media;
	struct pl sig;
	const char *p = (const char *)mbuf_buf(msg->mb);
	const size_t n = mbuf_get_left(msg->mb);

	if (msg_ctype_cmp(&msg->ctyp, "application", "dtmf-relay")) {
		if (re_regex(p, n, "Signal[ \t]*=[ \t]*[0-9*#A-Da-d]1",
			     NULL, NULL, &sig))
			return;
	}
	else if (msg_ctype_cmp(&msg->ctyp, "application", "dtmf")) {
		if (re_regex(p, n, "[0-9*#A-Da-d]1", &sig))
			return;
	}
	else {
		return;
	}

	digit_add(pm->info_rx, sizeof(pm->info_rx), 
		  (char)toupper((unsigned char)sig.p[0]));
}


static int press_info(struct phone_call *call, const char *digits)
{
	struct phone_media *pm = call->media;
	struct mbuf *mb;
	int err = 0;

	mb = mbuf_alloc(64);
	if (!mb)
		return ENOMEM;

	for (; *digits && !err; digits++) {
		mbuf_reset(mb);
		err = mbuf_printf(mb, "Signal=%c\r\nDuration=%u\r\n",
				  *digits, INFO_DURATION);
		if (err)
			break;
		mb->pos = 0;
		err = phone_call_request(call, NULL, "INFO", NULL,
					 "Content-Type: "
					 "application/dtmf-relay\r\n", mb);
		if (!err)
			digit_add(pm->info_tx, sizeof(pm->info_tx), *digits);
	}

	mem_deref(mb);

	return err;
}


static int media_usable(const struct phone_call *call)
{
	if (!call)
		return EINVAL;
	if (!call->phone)
		return ENOTCONN;
	if (call->state != PHONE_CALL_ESTABLISHED)
		return EPROTO;

	return call->media->ms ? 0 : ENOTSUP;
}


/** Press digits in an established call, the phone's way (see phone.h) */
int phone_call_press(struct phone_call *call, const char *digits)
{
	int err = media_usable(call);

	if (err)
		return err;

	if (!str_isset(digits) || !digits_ok(digits))
		return EINVAL;

	if (call->media->dtmf == PHONE_DTMF_INFO)
		return press_info(call, digits);

	return media_stream_dtmf(call->media->ms, digits, NULL, NULL);
}


/* ---------------------------------------------------------- re-INVITE */

static void reinv_resp_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct phone_call *call = arg;
	struct phone_media *pm = call->media;

	if (!err && msg && msg->scode < 200)
		return;

	if (!err && msg && msg->scode < 300) {
		(void)phone_call_send_ack(call, call->reinv_cseq);
		if (pm->offered && !sdp_oa_accept(pm->oa, msg->mb))
			apply(pm);
	}
	else {
		/* refused: the hold state stays what it was */
		pm->hold_local = !pm->hold_local;
	}
	pm->offered = false;

	phone_call_emit(call, PHONE_EV_CALL_REINVITE_DONE, msg, 0,
			err ? err : (msg ? 0 : EPROTO));
}


static int reinvite(struct phone_call *call, bool hold)
{
	struct phone_media *pm;
	struct mbuf *sdp = NULL;
	char *lines = NULL;
	int err = media_usable(call);

	if (err)
		return err;

	pm = call->media;
	if (call->reinv || call->mb2xx)
		return EBUSY;

	pm->hold_local = hold;
	err = phone_media_sdp(call, NULL, &sdp, NULL, NULL);
	if (err)
		goto out;

	err = re_sdprintf(&lines, "Contact: %s\r\n"
			  "Allow: " PHONE_ALLOW "\r\n"
			  "Content-Type: application/sdp\r\n",
			  call->phone->call_contact);
	if (err)
		goto out;

	call->reinv_cseq = call->lseq;
	err = phone_call_request(call, &call->reinv, "INVITE",
				 reinv_resp_handler, lines, sdp);

 out:
	if (err) {
		pm->hold_local = !hold;
		pm->offered = false;
	}
	mem_deref(lines);
	mem_deref(sdp);

	return err;
}


/** Put an established call on hold: re-INVITE with a=sendonly */
int phone_call_hold(struct phone_call *call)
{
	return reinvite(call, true);
}


/** Take it off hold: re-INVITE with a=sendrecv */
int phone_call_resume(struct phone_call *call)
{
	return reinvite(call, false);
}


/* ------------------------------------------------------------ figures */

static int figs_of(const struct phone_media *pm, struct phone_media_figs *f)
{
	if (!pm || !pm->ms || !f)
		return ENOENT;

	if (pm->stopped)
		*f = pm->final;
	else
		figs_get(pm, f);

	return 0;
}


int phone_call_media(const struct phone_call *call,
		     struct phone_media_figs *f)
{
	return figs_of(call ? call->media : NULL, f);
}


const int16_t *phone_call_capture(const struct phone_call *call,
				  size_t *sampc)
{
	const struct phone_media *pm = call ? call->media : NULL;

	if (!pm || !pm->ms)
		return NULL;

	return media_rx_capture(media_stream_rx(pm->ms), sampc);
}


int phone_media_last(const struct phone *phone, struct phone_media_figs *f)
{
	return figs_of(phone ? phone->last_media : NULL, f);
}


static int tx_json(struct re_printf *pf, const struct media_tx_figs *t)
{
	return re_hprintf(pf, "{\"packets\":%u,\"bytes\":%llu,"
			  "\"frames\":%llu,\"first_ms\":%lld,\"pt\":%d,"
			  "\"tev\":%u,\"rtcp\":%u,\"digits\":\"%s\"}",
			  t->packets, (unsigned long long)t->bytes,
			  (unsigned long long)t->frames,
			  (long long)t->first_ms, t->pt, t->tev, t->rtcp,
			  t->digits);
}


int phone_media_figs_json(struct re_printf *pf,
			  const struct phone_media_figs *f)
{
	if (!f)
		return EINVAL;

	return re_hprintf(pf, "{\"pt\":%d,\"tone_hz\":%u,\"hold\":%s,"
			  "\"one_way\":%s,\"info_rx\":\"%s\","
			  "\"info_tx\":\"%s\",\"rx\":%H,\"tx\":%H}",
			  f->pt, f->tone_hz, f->hold ? "true" : "false",
			  f->rx.one_way ? "true" : "false", f->info_rx,
			  f->info_tx, media_rx_figs_json, &f->rx, tx_json,
			  &f->tx);
}
