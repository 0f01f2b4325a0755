/**
 * @file sc_media.c  Scenario keys of media (sc_media.h): a phone's
 * `media:` and an expect's `media:` checks of a phone's figures
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "steps/steps.h"
#include "sc_media.h"


/* ---- a phone's media: ---------------------------------------------------- */

static const char *const dtmf_modes[] = {"rfc4733", "inband", "info", NULL};

/* the keys of a phone's `media:`, in the README's words */
static const char *const phone_media_keys[] = {
	"tone", "no_rtp", "nat", "nat_addr", "no_codec", "wrong_pt",
	"send_on_hold", "no_rtcp", "dtmf", "dtmf_answer", "dtmf_delay",
	"delayed_offer", "ack_no_answer", "off", "srtp", NULL
};

/* the bool keys and where they go */
static bool *bool_slot(struct phone_media_conf *c, const char *key)
{
	if (!strcmp(key, "no_rtp"))        return &c->no_rtp;
	if (!strcmp(key, "nat"))           return &c->nat;
	if (!strcmp(key, "no_codec"))      return &c->no_codec;
	if (!strcmp(key, "send_on_hold"))  return &c->send_on_hold;
	if (!strcmp(key, "no_rtcp"))       return &c->no_rtcp;
	if (!strcmp(key, "delayed_offer")) return &c->delayed_offer;
	if (!strcmp(key, "ack_no_answer")) return &c->ack_no_answer;
	if (!strcmp(key, "off"))           return &c->off;
	if (!strcmp(key, "srtp"))          return &c->srtp;
	return NULL;
}


static bool tone_ok(uint32_t hz)
{
	for (size_t i = 0; i < media_tonec; i++) {
		if (media_tonev[i] == hz)
			return true;
	}

	return false;
}


static bool digits_ok(const char *s)
{
	return strlen(s) <= MEDIA_DIGITS_MAX &&
		strspn(s, "0123456789*#ABCD") == strlen(s);
}


int sc_media_conf(struct loader *ld, const struct ynode *map,
		  struct phone_media_conf *c)
{
	const struct ynode *v;
	uint32_t u;
	uint64_t ms;
	int x, err = 0;

	if (ld_expect_map(ld, map, "media"))
		return EINVAL;
	if (ynode_check_keys(ld->doc, map, phone_media_keys))
		err = EINVAL;

	for (size_t i = 0; i < map->count; i++) {
		const char *key = ynode_key(map, i)->val;
		bool *b = bool_slot(c, key);

		if (b && ld_get_bool(ld, ynode_val(map, i), b))
			err = EINVAL;
	}

	v = ynode_get(map, "tone");
	if (v) {
		if (ld_get_u32_range(ld, v, "tone", 1, 3999, &u))
			err = EINVAL;
		else if (!tone_ok(u))
			err = ydoc_errorf(ld->doc, v, "tone %u Hz is not one "
					  "the detector tells apart (350, "
					  "440, 500, 550, ... 2000)", u);
		else
			c->tone_hz = u;
	}

	v = ynode_get(map, "wrong_pt");
	if (v) {
		if (ld_get_u32_range(ld, v, "wrong_pt", 1, 127, &u))
			err = EINVAL;
		else
			c->wrong_pt = (int)u;
	}

	v = ynode_get(map, "dtmf");
	if (v) {
		if (ld_get_enum(ld, v, "dtmf", dtmf_modes, &x))
			err = EINVAL;
		else
			c->dtmf = (enum phone_dtmf_mode)x;
	}

	v = ynode_get(map, "nat_addr");
	if (v) {
		struct sa sa;

		if (ld_dup_text(ld, v, "nat_addr", (char **)&c->nat_addr))
			err = EINVAL;
		else if (sa_set_str(&sa, c->nat_addr, 0))
			err = ydoc_errorf(ld->doc, v, "nat_addr must be an IP "
					  "address, not '%s'", c->nat_addr);
		c->nat = true;
	}

	v = ynode_get(map, "dtmf_answer");
	if (v) {
		if (ld_dup_text(ld, v, "dtmf_answer",
				(char **)&c->dtmf_answer))
			err = EINVAL;
		else if (!digits_ok(c->dtmf_answer))
			err = ydoc_errorf(ld->doc, v, "dtmf_answer: digits are "
					  "0-9 * # A-D, at most %u, not '%s'",
					  MEDIA_DIGITS_MAX, c->dtmf_answer);
	}

	v = ynode_get(map, "dtmf_delay");
	if (v) {
		if (ld_get_duration(ld, v, "dtmf_delay", false, &ms) ||
		    ms > UINT32_MAX)
			err = EINVAL;
		else
			c->dtmf_delay = (uint32_t)ms;
	}

	return ld->nomem ? ENOMEM : err;
}


void sc_media_conf_free(struct phone_media_conf *c)
{
	c->nat_addr = mem_deref((void *)c->nat_addr);
	c->dtmf_answer = mem_deref((void *)c->dtmf_answer);
}


/* a copy of the conf shares its strings */
void sc_media_conf_ref(struct phone_media_conf *c)
{
	mem_ref((void *)c->nat_addr);
	mem_ref((void *)c->dtmf_answer);
}


/* ---- an expect's media: -------------------------------------------------- */

/* the count keys of a direction, in the table's words */
static struct sc_count *count_slot(struct sc_media_dir *d, const char *key)
{
	if (!strcmp(key, "packets"))       return &d->packets;
	if (!strcmp(key, "lost"))          return &d->lost;
	if (!strcmp(key, "first_ms"))      return &d->first_ms;
	if (!strcmp(key, "jitter_ms"))     return &d->jitter_ms;
	if (!strcmp(key, "pt_unexpected")) return &d->pt_unexpected;
	if (!strcmp(key, "rtcp"))          return &d->rtcp;
	if (!strcmp(key, "srtp_fail"))     return &d->srtp_fail;
	return NULL;
}


static char **digits_slot(struct sc_media_dir *d, const char *key)
{
	if (!strcmp(key, "digits"))        return &d->digits;
	if (!strcmp(key, "digits_4733"))   return &d->digits_4733;
	if (!strcmp(key, "digits_inband")) return &d->digits_inband;
	if (!strcmp(key, "digits_info"))   return &d->digits_info;
	return NULL;
}


static int load_dir(struct loader *ld, const struct ynode *map,
		    const char *what, const struct step_key *keys,
		    struct sc_media_dir *d)
{
	int err = 0;

	if (steps_check_keys(ld, map, what, keys, false))
		err = EINVAL;

	for (size_t i = 0; i < map->count; i++) {
		const char *key = ynode_key(map, i)->val;
		const struct ynode *v = ynode_val(map, i);
		struct sc_count *c = count_slot(d, key);
		char **s = digits_slot(d, key);

		if (c && sc_count_get(ld->doc, v, c))
			err = EINVAL;
		/* "" checks that no digit came */
		if (s && v->type == YNODE_SCALAR && !*v->val) {
			if (str_dup(s, "")) {
				ld->nomem = true;
				err = ENOMEM;
			}
		}
		else if (s && ld_dup_text(ld, v, key, s))
			err = EINVAL;
	}

	return err;
}


int sc_media_check(struct loader *ld, const struct ynode *map,
		   struct sc_media_check *chk)
{
	const struct step_key *keys =
		steps_key(steps_expect_keys, "media")->sub;
	const struct ynode *v;
	bool b;
	uint32_t hz;
	int err = 0;

	memset(chk, 0, sizeof(*chk));
	chk->rx.tone = chk->tx.tone = -1;
	chk->rx.src_mismatch = chk->tx.src_mismatch = -1;
	chk->one_way = chk->hold = chk->srtp = -1;

	if (ld_expect_map(ld, map, "media"))
		return EINVAL;
	if (steps_check_keys(ld, map, "media", keys, false))
		err = EINVAL;
	if (!map->count)
		return ydoc_errorf(ld->doc, map, "media checks nothing: give "
				   "rx, tx, one_way or hold");

	v = ld_arg(ld, map, "phone");
	if (v && ld_dup_text(ld, v, "phone", &chk->phone))
		err = EINVAL;

	v = ld_arg(ld, map, "rx");
	if (v && load_dir(ld, v, "media rx", steps_key(keys, "rx")->sub,
			  &chk->rx))
		err = EINVAL;

	v = ld_arg(ld, map, "tx");
	if (v && load_dir(ld, v, "media tx", steps_key(keys, "tx")->sub,
			  &chk->tx))
		err = EINVAL;

	for (int i = 0; i < 2; i++) {
		struct sc_media_dir *d = i ? &chk->tx : &chk->rx;
		const struct ynode *dm = ld_arg(ld, map, i ? "tx" : "rx");
		const struct ynode *t = dm ? ynode_get(dm, "tone") : NULL;
		const struct ynode *sm = dm ? ynode_get(dm, "src_mismatch") :
			NULL;

		if (t && ld_get_u32_range(ld, t, "tone", 0, 3999, &hz))
			err = EINVAL;
		else if (t)
			d->tone = hz;
		if (sm && ld_get_bool(ld, sm, &b))
			err = EINVAL;
		else if (sm)
			d->src_mismatch = b;
	}

	v = ld_arg(ld, map, "one_way");
	if (v && ld_get_bool(ld, v, &b))
		err = EINVAL;
	else if (v)
		chk->one_way = b;

	v = ld_arg(ld, map, "hold");
	if (v && ld_get_bool(ld, v, &b))
		err = EINVAL;
	else if (v)
		chk->hold = b;

	v = ld_arg(ld, map, "srtp");
	if (v && ld_get_bool(ld, v, &b))
		err = EINVAL;
	else if (v)
		chk->srtp = b;

	return ld->nomem ? ENOMEM : err;
}


static void dir_free(struct sc_media_dir *d)
{
	mem_deref(d->digits);
	mem_deref(d->digits_4733);
	mem_deref(d->digits_inband);
	mem_deref(d->digits_info);
}


void sc_media_check_free(struct sc_media_check *chk)
{
	mem_deref(chk->phone);
	dir_free(&chk->rx);
	dir_free(&chk->tx);
}


/* ---- judging ------------------------------------------------------------- */

/* one direction's figures, as the check reads them */
struct dir_figs {
	uint32_t packets, lost, first_ms, jitter_ms, pt_unexpected, rtcp;
	uint32_t srtp_fail;
	uint32_t tone;
	const char *digits, *digits_4733, *digits_inband, *digits_info;
	bool src_mismatch;
};


static void rx_figs(const struct phone_media_figs *f, struct dir_figs *d)
{
	const struct media_rx_figs *x = &f->rx;

	memset(d, 0, sizeof(*d));
	d->packets       = x->packets;
	d->lost          = x->lost;
	d->first_ms      = x->first_ms < 0 ? UINT32_MAX :
		(uint32_t)x->first_ms;
	d->jitter_ms     = (uint32_t)x->jitter_ms;
	d->pt_unexpected = x->pt_unexpected;
	d->rtcp          = x->rtcp_sr + x->rtcp_rr;
	d->srtp_fail     = x->srtp_fail;
	d->tone          = x->tone_hz;
	d->digits        = x->digits;
	d->digits_4733   = x->digits_4733;
	d->digits_inband = x->digits_inband;
	d->digits_info   = f->info_rx;
	d->src_mismatch  = x->src_mismatch;
}


static void tx_figs(const struct phone_media_figs *f, struct dir_figs *d)
{
	const struct media_tx_figs *x = &f->tx;

	memset(d, 0, sizeof(*d));
	d->packets     = x->packets;
	d->first_ms    = x->first_ms < 0 ? UINT32_MAX : (uint32_t)x->first_ms;
	d->rtcp        = x->rtcp;
	d->tone        = x->packets ? f->tone_hz : 0;
	d->digits      = x->digits;
	d->digits_4733 = x->digits;
	d->digits_info = f->info_tx;
}


static int judge_dir(const char *dn, const struct sc_media_dir *c,
		     const struct dir_figs *d, char *buf, size_t sz)
{
	static const struct {
		const char *name;
		size_t chk, fig;
	} counts[] = {
		{"packets", offsetof(struct sc_media_dir, packets),
		 offsetof(struct dir_figs, packets)},
		{"lost", offsetof(struct sc_media_dir, lost),
		 offsetof(struct dir_figs, lost)},
		{"first_ms", offsetof(struct sc_media_dir, first_ms),
		 offsetof(struct dir_figs, first_ms)},
		{"jitter_ms", offsetof(struct sc_media_dir, jitter_ms),
		 offsetof(struct dir_figs, jitter_ms)},
		{"pt_unexpected", offsetof(struct sc_media_dir, pt_unexpected),
		 offsetof(struct dir_figs, pt_unexpected)},
		{"rtcp", offsetof(struct sc_media_dir, rtcp),
		 offsetof(struct dir_figs, rtcp)},
		{"srtp_fail", offsetof(struct sc_media_dir, srtp_fail),
		 offsetof(struct dir_figs, srtp_fail)},
	};
	const struct {
		const char *name;
		const char *want, *got;
	} texts[] = {
		{"digits", c->digits, d->digits},
		{"digits_4733", c->digits_4733, d->digits_4733},
		{"digits_inband", c->digits_inband, d->digits_inband},
		{"digits_info", c->digits_info, d->digits_info},
	};
	char want[24];

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		const struct sc_count *sc = (const void *)
			((const char *)c + counts[i].chk);
		const uint32_t got = *(const uint32_t *)
			((const char *)d + counts[i].fig);

		if (sc_count_holds(sc, got))
			continue;

		if (got == UINT32_MAX)
			(void)snprintf(buf, sz, "%s %s: expected %s, got none",
				       dn, counts[i].name,
				       sc_count_str(sc, want, sizeof(want)));
		else
			(void)snprintf(buf, sz, "%s %s: expected %s, got %u",
				       dn, counts[i].name,
				       sc_count_str(sc, want, sizeof(want)),
				       got);
		return EPROTO;
	}

	if (c->tone >= 0 && (uint32_t)c->tone != d->tone) {
		(void)snprintf(buf, sz, "%s tone: expected %lld Hz, got %s%u%s",
			       dn, (long long)c->tone, d->tone ? "" : "none (",
			       d->tone, d->tone ? " Hz" : ")");
		return EPROTO;
	}

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		if (texts[i].want && strcmp(texts[i].want, texts[i].got)) {
			(void)snprintf(buf, sz, "%s %s: expected '%s', got "
				       "'%s'", dn, texts[i].name,
				       texts[i].want, texts[i].got);
			return EPROTO;
		}
	}

	if (c->src_mismatch >= 0 && (bool)c->src_mismatch != d->src_mismatch) {
		(void)snprintf(buf, sz, "%s: expected RTP %s the address its "
			       "SDP names", dn, c->src_mismatch ?
			       "from elsewhere than" : "from");
		return EPROTO;
	}

	return 0;
}


int sc_media_judge(const struct sc_media_check *chk,
		   const struct phone_media_figs *f, char *buf, size_t sz)
{
	struct dir_figs d;
	int err;

	rx_figs(f, &d);
	err = judge_dir("rx", &chk->rx, &d, buf, sz);
	if (err)
		return err;

	tx_figs(f, &d);
	err = judge_dir("tx", &chk->tx, &d, buf, sz);
	if (err)
		return err;

	if (chk->one_way >= 0 && (bool)chk->one_way != f->rx.one_way) {
		(void)snprintf(buf, sz, "expected %s, got %s (MEDIA-RTP-3)",
			       chk->one_way ? "one-way audio" :
			       "audio both ways", f->rx.one_way ?
			       "no RTP within 2 s" : "RTP");
		return EPROTO;
	}

	if (chk->srtp >= 0 && (bool)chk->srtp != f->srtp) {
		(void)snprintf(buf, sz, "expected %s, got %s (MEDIA-SRTP-1)",
			       chk->srtp ? "SRTP" : "plain RTP",
			       f->srtp ? "SRTP" : "plain RTP");
		return EPROTO;
	}

	if (chk->hold >= 0 && (bool)chk->hold != f->hold) {
		(void)snprintf(buf, sz, "expected the call %son hold",
			       chk->hold ? "" : "not ");
		return EPROTO;
	}

	return 0;
}
