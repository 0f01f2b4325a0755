/**
 * @file calls/inbound.c  A new INVITE from a registered phone: the
 * request's own checks, 100 Trying, digest against the domain's call
 * credential lists (CALL-OUT-1/2, REG-LIM-RATE), then the domain's
 * application (CALL-OUT-3); its CANCEL (RING-6).
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "aor.h"
#include "digest.h"
#include "location.h"
#include "calls/calls_priv.h"


static int user_str(char **out, const struct pl *user)
{
	return re_sdprintf(out, "%H", uri_user_unescape, user);
}


static int challenge(struct calls *cs, const struct sip_msg *msg,
		     struct sip_strans **stp, bool stale, const char *detail)
{
	struct mbuf *mb = mbuf_alloc(256);
	uint16_t scode;
	int err;

	if (!mb)
		return ENOMEM;

	reg_config_reply(cs->base.cfg, RULE_CALL_OUT_1, &scode, NULL, NULL,
			 NULL);
	err = digest_challenge_print(mb, cs->base.auth, scode, stale);
	if (!err) {
		(void)mbuf_write_u8(mb, 0);
		err = calls_reply(cs, msg, stp, NULL, RULE_CALL_OUT_1, 0, NULL,
				  (const char *)mb->buf, NULL, NULL);
	}
	call_decide(NULL, cs, msg, RULE_CALL_OUT_1, scode, NULL, detail);

	mem_deref(mb);

	return err;
}


/* the AOR a digest username speaks for: username@host, as REGISTER's */
static int auth_aor(char **aorp, const struct pl *username,
		    const struct pl *host)
{
	struct uri u;

	memset(&u, 0, sizeof(u));
	u.user = *username;
	u.host = *host;

	return aor_key(aorp, &u);
}


/* CALL-OUT-1/2: digest against the domain's call credential lists;
 * true when the request was answered (not authenticated) */
static bool call_auth(struct calls *cs, const struct sip_msg *msg,
		      struct sip_strans **stp, const struct domain_conf *dom,
		      char *user, size_t usz)
{
	const struct profile_conf *prof = &cs->base.cfg->profile;
	struct digest_cred dc;
	bool found;
	const struct credential *cred;
	uint16_t chall;
	struct uri duri;
	const char *bad;
	char *aor = NULL;
	uint32_t lim;

	if (!dom->call_listc) {
		calls_refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
			     "no credential list mapped for calls");
		return true;
	}

	memset(&dc, 0, sizeof(dc));
	reg_config_reply(cs->base.cfg, RULE_CALL_OUT_1, &chall, NULL, NULL,
			 NULL);

	found = reg_cred_find(cs->base.cfg, msg, chall != 401, &dc, NULL);
	if (!found && prof->accept_authorization)
		found = reg_cred_find(cs->base.cfg, msg, chall == 401, &dc,
				      NULL);

	if (!found) {
		(void)challenge(cs, msg, stp, false, "no credentials");
		return true;
	}

	/* a broken Digest for our realm has no username */
	if (!pl_isset(&dc.username) || !pl_isset(&dc.response)) {
		calls_refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
			     "malformed digest");
		return true;
	}

	/* REG-LIM-RATE: failed attempts count against the username's AOR,
	 * with its REGISTERs, so a password cannot be guessed through
	 * INVITE faster than through REGISTER.  Over the limit the password
	 * is not looked at; known and unknown usernames alike. */
	if (auth_aor(&aor, &dc.username, &msg->uri.host)) {
		calls_refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL,
			     "malformed digest username");
		return true;
	}
	lim = cs->base.cfg->limits.registers_per_second;
	if (location_rate_full(cs->base.loc, aor, lim, RATE_WINDOW_MS)) {
		calls_refuse(cs, msg, stp, RULE_REG_LIM_RATE, 0, NULL,
			     "Retry-After: 1\r\n", "failed digest attempts "
			     "for this AOR");
		mem_deref(aor);
		return true;
	}

	cred = reg_config_credential(cs->base.cfg, dom, true, dc.username.p,
				     dc.username.l);
	bad = cred ? digest_cred_malformed(cs->base.auth, &dc) :
		"unknown username (not in a list mapped for calls)";
	if (!bad && (uri_decode(&duri, &dc.uri) ||
		     pl_casecmp(&duri.host, &msg->uri.host)))
		bad = "digest uri does not name the Request-URI's domain";
	if (!bad && !digest_cred_verify(&dc, &msg->met, cred->ha1))
		bad = "wrong password";
	if (bad) {
		const uint32_t domidx =
			(uint32_t)(dom - cs->base.cfg->domainv);

		(void)location_rate_exceeded(cs->base.loc, aor, domidx, lim,
					     RATE_WINDOW_MS);
		mem_deref(aor);
		calls_refuse(cs, msg, stp, RULE_CALL_OUT_2, 0, NULL, NULL, bad);
		return true;
	}
	mem_deref(aor);

	switch (digest_nonce_check(cs->base.auth, &dc)) {

	case NONCE_STALE:
	case NONCE_UNKNOWN:
		(void)challenge(cs, msg, stp, true, "nonce expired or not "
				"issued here");
		return true;

	case NONCE_REPLAY:
		(void)challenge(cs, msg, stp, false, "nonce count replayed");
		return true;

	default:
		break;
	}

	(void)digest_nonce_accept(cs->base.auth, &dc);
	str_ncpy(user, cred->username, usz);

	return false;
}


static void strans_cancel(void *arg);


/* a new INVITE to the domain from a phone (CALL-OUT-1 .. 3) */
void inbound_invite(struct calls *cs, const struct sip_msg *msg)
{
	const struct domain_conf *dom;
	struct sip_strans *st = NULL;
	const struct sip_hdr *mf;
	struct call *c = NULL;
	struct mbuf *unsup;
	char user[64];
	char *from = NULL, *to = NULL;
	uint32_t maxfwd = MAX_FORWARDS;

	if (!reg_unsupported(&unsup, msg) && unsup) {
		char hdr[200];

		(void)re_snprintf(hdr, sizeof(hdr), "%b", unsup->buf,
				  unsup->end);
		mem_deref(unsup);
		calls_refuse(cs, msg, NULL, RULE_REG_MSG_1, 0, NULL, hdr,
			     "unsupported Require");
		return;
	}

	/* Require before the domain, as for REGISTER (RFC 4475 3.3.5) */
	dom = reg_config_domain(cs->base.cfg, msg->uri.host.p, msg->uri.host.l);
	if (!dom) {
		calls_refuse(cs, msg, NULL, RULE_REG_DOMAIN_1, 0, NULL, NULL,
			     "INVITE to a domain not served");
		return;
	}

	if (!sip_msg_hdr(msg, SIP_HDR_CONTACT) || !pl_isset(&msg->from.tag) ||
	    !pl_isset(&msg->callid)) {
		calls_refuse(cs, msg, NULL, RULE_REG_MSG_2, 0, NULL, NULL,
			     "INVITE without Contact, From tag or Call-ID");
		return;
	}

	mf = sip_msg_hdr(msg, SIP_HDR_MAX_FORWARDS);
	if (mf) {
		maxfwd = pl_u32(&mf->val);
		if (!maxfwd) {
			calls_refuse(cs, msg, NULL, RULE_COUNT, 483,
				     "Too Many Hops", NULL,
				     "Max-Forwards is 0");
			return;
		}
	}

	if (user_str(&from, &msg->from.uri.user) ||
	    user_str(&to, &msg->to.uri.user))
		goto oom;

	if (call_alloc(&c, cs, from, to))
		goto oom;

	c->maxfwd = maxfwd;

	if (sip_strans_alloc(&st, cs->base.sip, msg, strans_cancel, c))
		goto oom;

	/* 100 at once (P-UAS-01), then the challenge (CALL-OUT-1) */
	(void)sip_treplyf(&st, NULL, cs->base.sip, msg, false, 100, "Trying",
			  NULL);
	if (!st)
		goto out;

	if (call_auth(cs, msg, &st, dom, user, sizeof(user)))
		goto out;

	if (mbuf_get_left(msg->mb) && !call_sdp_is(msg)) {
		calls_refuse(cs, msg, &st, RULE_COUNT, 415,
			     "Unsupported Media Type",
			     "Accept: application/sdp\r\n",
			     "a body that is not SDP");
		goto out;
	}

	/* the caller's leg has a stream of its own; its offer is answered
	 * now (MEDIA-SDP-1/2), or we offer in the 2xx (MEDIA-SDP-3) */
	if (!call_srtp_transport_ok(dom, msg->tp)) {
		call_srtp_refuse(cs, msg, &st);
		goto out;
	}
	if (leg_media_alloc(&c->a, cs) || call_srtp_leg(&c->a, dom))
		goto oom;
	if (call_sdp_is(msg)) {
		int err = leg_media_answer(&c->a, &c->answer, msg);

		if (err) {
			call_sdp_refuse(cs, msg, &st, err, c->a.oa);
			goto out;
		}
	}

	c->inv = mem_ref((void *)msg);
	c->st = st;
	st = NULL;
	c->app = dom->app;

	list_append(&cs->calll, &c->le, c);

	{
		char detail[160];

		(void)re_snprintf(detail, sizeof(detail), "%s runs "
				  "application '%s'", user,
				  c->app ? c->app->name : "(none)");
		call_decide(c, cs, msg, RULE_CALL_OUT_3, 0, NULL, detail);
	}

	call_notify(c);
	app_start(c);
	c = NULL;
	goto out;

 oom:
	if (st)
		(void)sip_treplyf(&st, NULL, cs->base.sip, msg, false, 500,
				  "Server Internal Error", NULL);
	else
		(void)sip_treply(NULL, cs->base.sip, msg, 500,
				 "Server Internal Error");
 out:
	mem_deref(st);
	mem_deref(c);
	mem_deref(from);
	mem_deref(to);
}


/* the phone CANCELled its INVITE: RING-6 when branches ring */
static void strans_cancel(void *arg)
{
	call_cancelled(arg);
}
