/**
 * @file media.c  Step kinds of media, phone side: press (DTMF, the
 * phone's way), hold and resume (re-INVITE), each on the phone's latest
 * call; and the keys of an expect's `media:` (the figures of a phone's
 * latest call with media, per direction).  What the keys mean for the
 * phones and the checks is in ../sc_media.c.
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

/* `KIND: SEL`, or `KIND: {phone: SEL[, digits: D]}` */
static int load_media(struct loader *ld, const struct ynode *step,
		      const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;
	(void)step;

	if (v->type != YNODE_MAP)
		return ld_selector(ld, v, &st->phonev, &st->phonec);

	x = ld_arg(ld, v, "phone");
	if (x && ld_selector(ld, x, &st->phonev, &st->phonec))
		err = EINVAL;

	x = ld_arg(ld, v, "digits");
	if (x) {
		if (ld_dup_text(ld, x, "digits", &st->digits))
			err = EINVAL;
		else if (!*st->digits || strlen(st->digits) > MEDIA_DIGITS_MAX
			 || strspn(st->digits, "0123456789*#ABCD") !=
			 strlen(st->digits))
			err = ydoc_errorf(ld->doc, x, "digits are 0-9 * # A-D, "
					  "1 to %u of them, not '%s'",
					  MEDIA_DIGITS_MAX, st->digits);
	}

	return ld->nomem ? ENOMEM : err;
}


/* ---- runners ------------------------------------------------------------- */

struct hold_wait {
	const struct sc_step *st;
	bool hold;
};


static bool phone_held(struct rphone *rp, bool hold)
{
	struct phone_media_figs f;

	return !phone_call_media(rp->call, &f) && f.hold == hold;
}


static bool holds_done(struct runner *r, void *arg)
{
	const struct hold_wait *hw = arg;

	for (size_t i = 0; i < hw->st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, hw->st->phonev[i]);

		if (rp && rp->call && !phone_held(rp, hw->hold))
			return false;
	}

	return true;
}


static int run_media(struct runner *r, const struct sc_step *st)
{
	const char *kind = steps_kind(st)->name;
	struct hold_wait hw = {st, !strcmp(kind, "hold")};
	const bool press = !strcmp(kind, "press");

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
		int err;

		if (!rp)
			continue;
		if (!rp->call)
			return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
					   NULL, "%s: no call to %s in",
					   rp->sp->name, kind);

		err = press ? phone_call_press(rp->call, st->digits) :
			hw.hold ? phone_call_hold(rp->call) :
			phone_call_resume(rp->call);
		if (err)
			return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
					   NULL, "%s: could not %s: %m",
					   rp->sp->name, kind, err);
	}

	/* the digits go with the clock; a hold is over with its answer */
	if (press)
		return 0;

	(void)rn_wait_until(r, holds_done, &hw, OP_TIMEOUT_MS);
	if (!holds_done(r, &hw))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%s: the re-INVITE to %s got no 2xx within "
				   "%u ms", st->phonev[0], kind,
				   OP_TIMEOUT_MS);

	return 0;
}


/* ---- expect: {media: ...} ------------------------------------------------ */

static int media_judge(struct runner *r, const struct sc_step *st,
		       struct rphone *rp)
{
	const struct sc_expect *e = &st->expect;
	struct phone_media_figs f;
	char why[256];

	if (phone_media_last(rp->phone, &f))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rn_rule_for(r, e), "%s: no call with media "
				   "to check", rp->sp->name);

	if (sc_media_judge(&e->media, &f, why, sizeof(why)))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rn_rule_for(r, e), "%s: media %s",
				   rp->sp->name, why);

	return 0;
}


int steps_media_check(struct runner *r, const struct sc_step *st,
		      char *const *phonev, size_t phonec)
{
	const char *one = st->expect.media.phone;
	int err = 0;

	if (one) {
		struct rphone *rp = rn_rphone_find(r, one);

		if (!rp)
			return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
					   NULL, "media: no phone '%s'", one);
		return media_judge(r, st, rp);
	}

	for (size_t i = 0; i < phonec && !err; i++) {
		struct rphone *rp = rn_rphone_find(r, phonev[i]);

		if (rp)
			err = media_judge(r, st, rp);
	}

	return err;
}


/* ---- the rows ------------------------------------------------------------ */

#define PHONE {"phone", SK_SELECTOR, SKF_REQUIRED, NULL, NULL, \
		"the phones (a selector)"}
#define END {NULL, 0, 0, NULL, NULL, NULL}

static const struct step_key press_keys[] = {
	PHONE,
	{"digits", SK_TEXT, SKF_REQUIRED, NULL, NULL, "0-9 * # A-D, sent the "
	 "phone's way (its `media: {dtmf:}`) over the next `advance`"},
	END,
};

static const struct step_key hold_keys[] = {
	PHONE, END,
};

/* expect: {media: {rx: {...}}}: counts are exact or ">=N"/"<=N" */
#define COUNT(n, d) {n, SK_COUNT, 0, NULL, NULL, d}

static const struct step_key rx_keys[] = {
	COUNT("packets", "RTP packets received"),
	COUNT("lost", "sequence numbers missing (RFC 3550 A.3)"),
	COUNT("first_ms", "ms from the start (ACK/2xx) to the first packet"),
	COUNT("jitter_ms", "interarrival jitter, ms (RFC 3550 A.8)"),
	COUNT("pt_unexpected", "packets with another payload type than "
	      "negotiated"),
	COUNT("rtcp", "RTCP reports received"),
	COUNT("srtp_fail", "SRTP/SRTCP packets dropped: authentication or "
	      "replay check failed"),
	{"tone", SK_UINT, 0, NULL, NULL, "the dominant tone heard, Hz (0: "
	 "none)"},
	{"digits", SK_TEXT, 0, NULL, NULL, "DTMF heard, RFC 4733 and in-band"},
	{"digits_4733", SK_TEXT, 0, NULL, NULL, "of them RFC 4733 events"},
	{"digits_inband", SK_TEXT, 0, NULL, NULL, "of them in-band tones"},
	{"digits_info", SK_TEXT, 0, NULL, NULL, "DTMF by SIP INFO"},
	{"src_mismatch", SK_BOOL, 0, NULL, NULL, "RTP came from elsewhere "
	 "than the peer's SDP names (NAT, MEDIA-RTP-2)"},
	END,
};

static const struct step_key tx_keys[] = {
	COUNT("packets", "RTP packets sent"),
	COUNT("first_ms", "ms from the start to the first packet sent"),
	COUNT("rtcp", "RTCP reports sent"),
	{"tone", SK_UINT, 0, NULL, NULL, "the tone it sends, Hz (0: sends "
	 "nothing)"},
	{"digits", SK_TEXT, 0, NULL, NULL, "DTMF sent in RTP (RFC 4733 or "
	 "in-band)"},
	{"digits_info", SK_TEXT, 0, NULL, NULL, "DTMF sent by SIP INFO"},
	END,
};

const struct step_key steps_media_expect_keys[] = {
	{"phone", SK_TEXT, 0, NULL, NULL, "whose latest call (default: the "
	 "expect's phones)"},
	{"rx", SK_MAP, 0, NULL, rx_keys, "what it received"},
	{"tx", SK_MAP, 0, NULL, tx_keys, "what it sent"},
	{"one_way", SK_BOOL, 0, NULL, NULL, "no RTP within 2 s of the start "
	 "or a resume (MEDIA-RTP-3)"},
	{"hold", SK_BOOL, 0, NULL, NULL, "the call is on hold (either side)"},
	{"srtp", SK_BOOL, 0, NULL, NULL, "its RTP is SRTP with SDES keys "
	 "(MEDIA-SRTP-1)"},
	END,
};

const struct step_kind steps_media[] = {
	{"press", SC_OTHER, SK_NONE, NULL, press_keys, 0, load_media,
	 run_media, "DTMF in the phone's latest call: RFC 4733, in-band or "
	 "SIP INFO as its `media: {dtmf:}` says", NULL},
	{"hold", SC_OTHER, SK_SELECTOR, NULL, hold_keys, 0, load_media,
	 run_media, "re-INVITE with a=sendonly; the step ends with its 2xx",
	 "a 2xx to its re-INVITE"},
	{"resume", SC_OTHER, SK_SELECTOR, NULL, hold_keys, 0, load_media,
	 run_media, "re-INVITE with a=sendrecv; the step ends with its 2xx",
	 "a 2xx to its re-INVITE"},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
