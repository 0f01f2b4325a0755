/**
 * @file registrar.c  REGISTER processing (RFC 3261 10.3 with the service's
 * rules).  Every exit names the rule that decided it.
 *
 * Order of checks: message shape, Require, domain, rate, authentication,
 * contacts and expiry, then the whole update is planned and checked against
 * CSeq order and the limits before anything changes (all-or-nothing).
 */

#include <ctype.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "vclock.h"
#include "config.h"
#include "aor.h"
#include "digest.h"
#include "location.h"
#include "methods.h"
#include "registrar.h"
#include "reply_cache.h"
#include "actions.h"     /* phone-mode hook: programmable actions */

enum { MAX_CONTACTS = 32, RATE_WINDOW_MS = 1000 };

struct registrar {
	struct reg_base base;         /* stack, configuration, digest     */
	struct reg_actions *actions;  /* phone-mode hook (actions.h); NULL */
	struct reply_cache *rc;       /* answers, for retransmissions     */
};

/* one REGISTER being decided */
struct reg_req {
	struct registrar *r;
	const struct sip_msg *msg;
	const struct domain_conf *dom;
	uint32_t domidx;
	char *aor;
	struct binding_change changev[MAX_CONTACTS];
	char *strs[2 * MAX_CONTACTS];
	uint32_t changec;
	uint32_t strc;
	bool star;
	bool clamped;
	bool bad_contact;
	bool loopback;
	uint32_t below_min;       /* a requested expiry under the minimum */
	const char *bad_detail;
	const struct credential *cred;
	char *callid;
	char *user_agent;
	char source[64];
	struct binding_update upd;
	struct update_effect eff;
};


int reg_base_init(struct reg_base *b, struct sip *sip,
		  const struct reg_config *cfg, struct location *loc,
		  decision_h *dh, void *arg)
{
	if (!b || !sip || !cfg || !loc)
		return EINVAL;

	*b = (struct reg_base){.sip = sip, .cfg = cfg, .loc = loc, .dh = dh,
			       .arg = arg};

	return digest_auth_alloc(&b->auth, cfg->profile.realm,
				 cfg->profile.nonce_lifetime);
}


void reg_base_close(struct reg_base *b)
{
	if (b)
		b->auth = mem_deref(b->auth);
}


static void destructor(void *data)
{
	struct registrar *r = data;

	reg_base_close(&r->base);
	mem_deref(r->rc);
}


int registrar_alloc(struct registrar **rp, struct sip *sip,
		    const struct reg_config *cfg, struct location *loc,
		    decision_h *dh, void *arg)
{
	struct registrar *r;
	int err;

	if (!rp)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;

	err = reg_base_init(&r->base, sip, cfg, loc, dh, arg);
	if (!err)
		err = digest_auth_pool(r->base.auth, cfg->limits.nonce_pool);
	if (!err)
		err = reply_cache_alloc(&r->rc, sip);
	if (!err)
		err = reply_cache_set_max(r->rc, cfg->limits.reply_cache_max);
	if (err) {
		mem_deref(r);
		return err;
	}

	*rp = r;

	return 0;
}


void registrar_reset(struct registrar *r)
{
	if (!r)
		return;

	digest_auth_reset(r->base.auth);
	location_reset(r->base.loc);
	reply_cache_flush(r->rc);
}


void registrar_mem(const struct registrar *r, struct registrar_mem *m)
{
	if (!m)
		return;

	digest_auth_stats(r ? r->base.auth : NULL, &m->nonces);
	reply_cache_stats(r ? r->rc : NULL, &m->replies);
}


bool registrar_replay(struct registrar *r, const struct sip_msg *msg)
{
	return r && reply_cache_replay(r->rc, msg);
}


static int print_date(struct re_printf *pf, void *arg)
{
	char buf[64];
	struct tm tm;
	time_t t = (time_t)((vclock_wall_ms() + vclock_offset()) / 1000);
	(void)arg;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	return re_hprintf(pf, "%s", buf);
}


int registrar_reply(struct registrar *r, const struct sip_msg *msg,
		    enum rule_id id, uint16_t scode, const char *reason,
		    const char *aor, const char *detail,
		    const struct mbuf *hdrs)
{
	const char *etext = NULL;
	uint32_t twerr = 0;
	char errline[256];
	struct decision d;
	struct mbuf *tail;
	int err;

	if (!r || !msg)
		return EINVAL;

	if (!scode && id < RULE_COUNT)
		reg_config_reply(r->base.cfg, id, &scode, &reason, &twerr,
				 &etext);
	if (!scode)
		return EINVAL;
	if (!reason)
		reason = "Unknown";

	if (twerr)
		(void)re_snprintf(errline, sizeof(errline),
				  "X-Twilio-Error: %u%s%s\r\n", twerr,
				  etext ? " " : "", etext ? etext : "");
	else
		errline[0] = '\0';

	tail = mbuf_alloc(hdrs ? hdrs->end + 128 : 128);
	if (!tail)
		return ENOMEM;

	err = mbuf_printf(tail, "%b%sDate: %H\r\nContent-Length: 0\r\n\r\n",
			  hdrs ? hdrs->buf : NULL, hdrs ? hdrs->end : 0,
			  errline, print_date, NULL);
	if (!err)
		err = reply_cache_reply(r->rc, msg, scode, reason, tail);
	mem_deref(tail);

	d.rule = id;
	d.scode = scode;
	d.reason = reason;
	d.aor = aor;
	d.detail = detail;
	d.msg = msg;

	if (r->base.dh)
		r->base.dh(&d, r->base.arg);

	return err;
}


static void reg_req_destructor(struct reg_req *q)
{
	for (uint32_t i = 0; i < q->strc; i++)
		mem_deref(q->strs[i]);

	mem_deref(q->aor);
	mem_deref(q->callid);
	mem_deref(q->user_agent);
}


static int reply_rule(struct reg_req *q, enum rule_id id, const char *detail,
		      const struct mbuf *hdrs)
{
	return registrar_reply(q->r, q->msg, id, 0, NULL, q->aor, detail,
			       hdrs);
}


/* the 2xx: every current binding with its remaining expiry (REG-OK-1) */
static bool contact_line(const struct binding *b, uint32_t domain, void *arg)
{
	struct mbuf *mb = arg;
	uint64_t now = vclock_now();
	uint64_t left = b->expires_at > now ? b->expires_at - now : 0;
	(void)domain;

	(void)mbuf_printf(mb, "Contact: <%s>;expires=%llu\r\n", b->uri,
			  (unsigned long long)((left + 999) / 1000));

	return false;
}


static int reply_ok(struct reg_req *q, enum rule_id id, const char *detail)
{
	struct mbuf *mb = mbuf_alloc(512);
	int err;

	if (!mb)
		return ENOMEM;

	location_apply(q->r->base.loc, UINT32_MAX, q->aor, contact_line, mb);
	err = reply_rule(q, id, detail, mb);
	mem_deref(mb);

	return err;
}


static int reply_hdr(struct reg_req *q, enum rule_id id, const char *detail,
		     const char *fmt, ...)
{
	struct mbuf *mb = mbuf_alloc(256);
	va_list ap;
	int err;

	if (!mb)
		return ENOMEM;

	va_start(ap, fmt);
	err = mbuf_vprintf(mb, fmt, ap);
	va_end(ap);

	if (!err)
		err = reply_rule(q, id, detail, mb);

	mem_deref(mb);

	return err;
}


static int challenge(struct reg_req *q, enum rule_id id, bool stale,
		     const char *detail)
{
	struct mbuf *mb = mbuf_alloc(256);
	uint16_t scode;
	int err;

	if (!mb)
		return ENOMEM;

	reg_config_reply(q->r->base.cfg, id, &scode, NULL, NULL, NULL);
	err = digest_challenge_print(mb, q->r->base.auth, scode, stale);
	if (!err)
		err = reply_rule(q, id, detail, mb);

	mem_deref(mb);

	return err;
}


/* Require: the registrar supports no extension (REG-MSG-1) */
static bool require_line(const struct sip_hdr *hdr, const struct sip_msg *msg,
			 void *arg)
{
	struct mbuf *mb = arg;
	(void)msg;

	(void)mbuf_printf(mb, "%s%r", mb->end ? ", " : "", &hdr->val);

	return false;
}


int reg_unsupported(struct mbuf **mbp, const struct sip_msg *msg)
{
	struct mbuf *tags, *hdr = NULL;
	int err = 0;

	if (!mbp || !msg)
		return EINVAL;

	tags = mbuf_alloc(64);
	if (!tags)
		return ENOMEM;

	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, require_line,
				tags);
	if (tags->end) {
		hdr = mbuf_alloc(tags->end + 32);
		err = hdr ? mbuf_printf(hdr, "Unsupported: %b\r\n",
					tags->buf, tags->end) : ENOMEM;
	}

	mem_deref(tags);
	if (err)
		hdr = mem_deref(hdr);
	*mbp = hdr;

	return err;
}


/* true when answered 420: any request a UAS processes (RFC 3261 8.2.2.3) */
static bool reject_require(struct registrar *r, const struct sip_msg *msg)
{
	struct mbuf *hdr = NULL;

	if (reg_unsupported(&hdr, msg) || !hdr)
		return false;

	(void)registrar_reply(r, msg, RULE_REG_MSG_1, 0, NULL, NULL,
			      "unsupported Require", hdr);
	mem_deref(hdr);

	return true;
}


static bool check_require(struct reg_req *q)
{
	return reject_require(q->r, q->msg);
}


static bool is_digits(const struct pl *pl)
{
	if (!pl_isset(pl) || pl->l > 10)
		return false;

	for (size_t i = 0; i < pl->l; i++) {
		if (!isdigit((unsigned char)pl->p[i]))
			return false;
	}

	return true;
}


/* R-REG-12: a malformed expiry is treated as the default, then clamped */
static uint32_t expiry_value(const struct pl *pl, uint32_t dflt)
{
	uint64_t v;

	if (!is_digits(pl))
		return dflt;

	v = pl_u64(pl);

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}


static bool is_loopback_host(const struct pl *host)
{
	return !pl_strcasecmp(host, "localhost") ||
		(host->l >= 4 && !memcmp(host->p, "127.", 4)) ||
		!pl_strcmp(host, "::1") || !pl_strcmp(host, "[::1]");
}


static int str_keep(struct reg_req *q, char *s, const char **out)
{
	if (!s || q->strc >= (uint32_t)ARRAY_SIZE(q->strs)) {
		mem_deref(s);
		return ENOMEM;
	}

	q->strs[q->strc++] = s;
	*out = s;

	return 0;
}


static bool contact_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct reg_req *q = arg;
	const struct limits_conf *lim = &q->r->base.cfg->limits;
	struct binding_change *ch;
	struct sip_addr addr;
	struct pl val = hdr->val, ev;
	uint32_t asked;
	char *s;

	while (val.l && isspace((unsigned char)val.p[val.l - 1]))
		val.l--;

	if (val.l && val.p[0] == '*') {
		if (val.l != 1) {
			q->bad_contact = true;
			q->bad_detail = "'*' takes no parameters";
		}
		q->star = true;
		return false;
	}

	if (q->changec >= MAX_CONTACTS) {
		q->bad_contact = true;
		q->bad_detail = "too many contacts in one request";
		return true;
	}

	if (sip_addr_decode(&addr, &val) ||
	    (pl_strcasecmp(&addr.uri.scheme, "sip") &&
	     pl_strcasecmp(&addr.uri.scheme, "sips"))) {
		q->bad_contact = true;
		q->bad_detail = "malformed Contact";
		return true;
	}

	if (!msg_param_decode(&addr.params, "expires", &ev))
		asked = expiry_value(&ev, lim->default_expires);
	else if (pl_isset(&msg->expires))
		asked = expiry_value(&msg->expires, lim->default_expires);
	else
		asked = lim->default_expires;

	if (asked && lim->min_expires && asked < lim->min_expires)
		q->below_min = asked;

	if (is_loopback_host(&addr.uri.host))
		q->loopback = true;

	ch = &q->changev[q->changec];
	ch->expires = asked > lim->max_expires ? lim->max_expires : asked;
	if (asked > lim->max_expires ||
	    (msg_param_decode(&addr.params, "expires", &ev) &&
	     !pl_isset(&msg->expires)))
		q->clamped = true;

	s = NULL;
	if (pl_strdup(&s, &addr.auri) || str_keep(q, s, &ch->uri))
		return true;

	s = NULL;
	if (contact_key(&s, &addr.uri) || str_keep(q, s, &ch->key))
		return true;

	q->changec++;

	return false;
}


/* credentials for our realm (reg_cred_find) */
struct cred_find {
	const struct reg_config *cfg;
	struct digest_cred *cred;
	bool found;
	bool other_realm;
};


static bool cred_handler(const struct sip_hdr *hdr, const struct sip_msg *msg,
			 void *arg)
{
	struct cred_find *cf = arg;
	struct digest_cred c;
	(void)msg;

	if (digest_cred_decode(&c, &hdr->val)) {
		/* a Digest header naming our realm but broken is malformed */
		struct pl realm;
		if (!re_regex(hdr->val.p, hdr->val.l, "realm=\"[^\"]*\"",
			      &realm) &&
		    !pl_strcmp(&realm, cf->cfg->profile.realm)) {
			memset(cf->cred, 0, sizeof(*cf->cred));
			cf->cred->realm = realm;
			cf->found = true;
			return true;
		}
		return false;
	}

	if (pl_strcmp(&c.realm, cf->cfg->profile.realm)) {
		cf->other_realm = true;
		return false;
	}

	*cf->cred = c;
	cf->found = true;

	return true;
}


bool reg_cred_find(const struct reg_config *cfg, const struct sip_msg *msg,
		   bool proxy, struct digest_cred *cred, bool *other_realm)
{
	struct cred_find cf = {cfg, cred, false, false};

	(void)sip_msg_hdr_apply(msg, true, proxy ?
				SIP_HDR_PROXY_AUTHORIZATION :
				SIP_HDR_AUTHORIZATION, cred_handler, &cf);
	if (other_realm && cf.other_realm)
		*other_realm = true;

	return cf.found;
}


/* returns true when the request was answered (not authenticated) */
static bool authenticate(struct reg_req *q, const struct credential **credp)
{
	const struct profile_conf *prof = &q->r->base.cfg->profile;
	const struct credential *cred;
	struct digest_cred dc;
	const bool proxy = prof->challenge != 401;
	bool found, other_realm = false;
	const char *bad;
	struct uri duri;
	char user[64];

	found = reg_cred_find(q->r->base.cfg, q->msg, proxy, &dc,
			      &other_realm);
	if (!found) {
		found = reg_cred_find(q->r->base.cfg, q->msg, !proxy, &dc,
				      &other_realm);
		if (found && !prof->accept_authorization) {
			challenge(q, RULE_REG_AUTH_1, false, "credentials in "
				  "the wrong header (REG-AUTH-6, strict)");
			return true;
		}
	}

	if (!found) {
		challenge(q, RULE_REG_AUTH_1, false, other_realm ?
			  "credentials for another realm" : "no credentials");
		return true;
	}

	if (!pl_isset(&dc.username) || !pl_isset(&dc.response)) {
		reply_rule(q, RULE_REG_AUTH_2, "malformed digest", NULL);
		return true;
	}

	/* the digest username must be the AOR's user (REG-AUTH-3); before
	 * the username is looked up or the password checked, so that this
	 * reply tells nothing about either, and every password checked is
	 * the AOR's own, under its rate limit (REG-LIM-RATE) */
	if (re_snprintf(user, sizeof(user), "%H", uri_user_unescape,
			&q->msg->to.uri.user) < 0 ||
	    pl_strcmp(&dc.username, user)) {
		reply_rule(q, RULE_REG_AUTH_3, "digest username is not the "
			   "AOR's user", NULL);
		return true;
	}

	cred = reg_config_credential(q->r->base.cfg, q->dom, false,
				     dc.username.p, dc.username.l);
	if (!cred) {
		reply_rule(q, RULE_REG_AUTH_2, "unknown username", NULL);
		return true;
	}

	bad = digest_cred_malformed(q->r->base.auth, &dc);
	if (bad) {
		reply_rule(q, RULE_REG_AUTH_2, bad, NULL);
		return true;
	}

	/* RFC 8760 2.6: the digest uri must name this domain */
	if (uri_decode(&duri, &dc.uri) ||
	    pl_casecmp(&duri.host, &q->msg->uri.host)) {
		reply_rule(q, RULE_REG_AUTH_2, "digest uri does not name the "
			   "Request-URI's domain", NULL);
		return true;
	}

	if (!digest_cred_verify(&dc, &q->msg->met, cred->ha1)) {
		reply_rule(q, RULE_REG_AUTH_2, "wrong password", NULL);
		return true;
	}

	switch (digest_nonce_check(q->r->base.auth, &dc)) {

	case NONCE_STALE:
		challenge(q, RULE_REG_AUTH_4, true, "nonce expired");
		return true;

	case NONCE_UNKNOWN:
		challenge(q, RULE_REG_AUTH_4, true, "nonce not issued here");
		return true;

	case NONCE_REPLAY:
		challenge(q, RULE_REG_AUTH_5, false, "nonce count replayed");
		return true;

	default:
		break;
	}

	(void)digest_nonce_accept(q->r->base.auth, &dc);

	*credp = cred;

	return false;
}


static bool only_removals(const struct reg_req *q)
{
	for (uint32_t i = 0; i < q->changec; i++) {
		if (q->changev[i].expires)
			return false;
	}

	return q->changec > 0;
}


/*
 * The REGISTER pipeline, as data: each stage enforces its rule rows and
 * returns true when it answered the request.  The order is RFC 3261 10.3's
 * (Require, domain, authentication, contacts, then the update), with the
 * service's rows where the spec puts them: the rate limit counts every
 * request, challenged or not, so it comes before authentication.
 */

static bool stage_shape(struct reg_req *q)
{
	const struct sip_msg *msg = q->msg;

	if (pl_isset(&msg->callid) && pl_isset(&msg->to.uri.user) &&
	    pl_isset(&msg->from.auri) &&
	    !pl_strcasecmp(&msg->cseq.met, "REGISTER"))
		return false;

	reply_rule(q, RULE_REG_MSG_2, "REGISTER without Call-ID, a user in "
		   "To, From, or a matching CSeq", NULL);

	return true;
}


static bool stage_require(struct reg_req *q)
{
	return check_require(q);
}


static bool stage_domain(struct reg_req *q)
{
	const struct sip_msg *msg = q->msg;
	const struct reg_config *cfg = q->r->base.cfg;

	q->dom = reg_config_domain(cfg, msg->uri.host.p, msg->uri.host.l);
	if (!q->dom || pl_casecmp(&msg->to.uri.host, &msg->uri.host)) {
		reply_rule(q, RULE_REG_DOMAIN_1, q->dom ? "To names another "
			   "domain" : "not a served domain (or another "
			   "region's host)", NULL);
		return true;
	}

	q->domidx = (uint32_t)(q->dom - cfg->domainv);

	if (aor_key(&q->aor, &msg->to.uri)) {
		reply_rule(q, RULE_REG_MSG_2, "bad To", NULL);
		return true;
	}

	return false;
}


static bool stage_registration_on(struct reg_req *q)
{
	if (q->dom->registration)
		return false;

	reply_rule(q, RULE_REG_DOMAIN_2, "registration is off", NULL);

	return true;
}


static bool stage_lists_mapped(struct reg_req *q)
{
	if (q->dom->reg_listc)
		return false;

	reply_rule(q, RULE_REG_DOMAIN_3, "no credential list mapped", NULL);

	return true;
}


static bool stage_rate(struct reg_req *q)
{
	if (!location_rate_exceeded(q->r->base.loc, q->aor, q->domidx,
				    q->r->base.cfg->limits.registers_per_second,
				    RATE_WINDOW_MS))
		return false;

	reply_hdr(q, RULE_REG_LIM_RATE, "REGISTER rate per AOR",
		  "Retry-After: 1\r\n");

	return true;
}


static bool stage_auth(struct reg_req *q)
{
	return authenticate(q, &q->cred);
}


static bool stage_contacts(struct reg_req *q)
{
	(void)sip_msg_hdr_apply(q->msg, true, SIP_HDR_CONTACT,
				contact_handler, q);

	if (!q->bad_contact)
		return false;

	reply_rule(q, RULE_REG_MSG_2, q->bad_detail, NULL);

	return true;
}


static bool stage_wildcard(struct reg_req *q)
{
	const struct sip_msg *msg = q->msg;

	if (!q->star)
		return false;

	if (!q->changec && pl_isset(&msg->expires) &&
	    is_digits(&msg->expires) && !pl_u32(&msg->expires))
		return false;

	reply_rule(q, RULE_REG_DEL_3, "'*' with other contacts or with an "
		   "Expires other than 0", NULL);

	return true;
}


static bool stage_fetch(struct reg_req *q)
{
	if (q->star || q->changec)
		return false;

	reply_ok(q, RULE_REG_FETCH_1, "fetch");

	return true;
}


/*
 * Phone-mode hook (actions.h): the actions armed for this AOR, on an
 * authenticated REGISTER that adds or refreshes bindings.  A reply action
 * answers here; grant actions cap every contact's expiry.
 */
static bool stage_actions(struct reg_req *q)
{
	struct reg_actions *ra = q->r->actions;
	const struct reg_action *a;
	uint32_t cap, got = 0;
	uint16_t scode;

	if (!ra || !reg_actions_count(ra) || q->star || only_removals(q))
		return false;

	a = reg_actions_find(ra, REG_ACTION_STALE, q->aor);
	if (a) {
		reg_actions_used(ra, a, q->msg, 0);
		challenge(q, RULE_REG_AUTH_4, true, "phone pack: nonce made "
			  "stale");
		return true;
	}

	a = reg_actions_find(ra, REG_ACTION_REPLY, q->aor);
	if (a) {
		struct mbuf *mb = mbuf_alloc(64);
		enum rule_id id = RULE_COUNT;
		const char *reason = "Phone Pack";

		if (!mb)
			return false;

		switch (a->code) {

		case 423:
			id = RULE_REG_EXP_3;
			reason = "Interval Too Brief";
			(void)mbuf_printf(mb, "Min-Expires: %u\r\n", a->value);
			break;

		case 403:
			id = RULE_REG_AUTH_2;
			reason = "Forbidden";
			break;

		case 503:
			reason = "Service Unavailable";
			if (a->value)
				(void)mbuf_printf(mb, "Retry-After: %u\r\n",
						  a->value);
			break;

		default:
			break;
		}

		scode = a->code;
		reg_actions_used(ra, a, q->msg, a->value);  /* may free a */
		(void)registrar_reply(q->r, q->msg, id, scode, reason,
				      q->aor, "phone pack action", mb);
		mem_deref(mb);
		return true;
	}

	cap = reg_actions_grant(ra, q->aor);
	if (cap == UINT32_MAX)
		return false;

	for (uint32_t i = 0; i < q->changec; i++) {
		struct binding_change *ch = &q->changev[i];

		if (ch->expires > cap) {
			ch->expires = cap;
			q->clamped = true;
		}
		if (ch->expires > got)
			got = ch->expires;
	}

	reg_actions_grant_used(ra, q->aor, q->msg, got);

	return false;
}


static bool stage_min_expiry(struct reg_req *q)
{
	if (!q->below_min)
		return false;

	reply_hdr(q, RULE_REG_EXP_3, "expiry below the minimum",
		  "Min-Expires: %u\r\n", q->r->base.cfg->limits.min_expires);

	return true;
}


static bool stage_loopback(struct reg_req *q)
{
	if (!q->loopback ||
	    q->r->base.cfg->profile.loopback_contacts != LOOPBACK_REJECT)
		return false;

	reply_rule(q, RULE_REG_CONTACT_1, "loopback contact", NULL);

	return true;
}


/* what the whole update would do, before anything changes */
static bool stage_plan(struct reg_req *q)
{
	const struct sip_msg *msg = q->msg;
	const struct sip_hdr *ua = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
	int err;

	err = pl_strdup(&q->callid, &msg->callid);
	if (!err && ua)
		err = pl_strdup(&q->user_agent, &ua->val);
	(void)re_snprintf(q->source, sizeof(q->source), "%J", &msg->src);

	q->upd.aor = q->aor;
	q->upd.domain = q->domidx;
	q->upd.callid = q->callid;
	q->upd.cseq = msg->cseq.num;
	q->upd.transport = sip_transp_name(msg->tp);
	q->upd.source = q->source;
	q->upd.user_agent = q->user_agent;
	q->upd.remove_all = q->star;
	q->upd.changev = q->changev;
	q->upd.changec = q->changec;

	if (!err)
		err = location_plan(q->r->base.loc, &q->upd, &q->eff);
	if (err) {
		reply_rule(q, RULE_REG_MSG_2, "out of memory", NULL);
		return true;
	}

	return false;
}


static bool stage_order(struct reg_req *q)
{
	if (!q->eff.out_of_order)
		return false;

	reply_rule(q, RULE_REG_ORD_1, "same Call-ID, CSeq not above the "
		   "stored one", NULL);

	return true;
}


/* refreshes never count against a limit: only net new bindings do */
static bool stage_limit_aor(struct reg_req *q)
{
	if (!q->eff.added ||
	    q->eff.aor_after <= q->r->base.cfg->limits.contacts_per_aor)
		return false;

	reply_rule(q, RULE_REG_LIM_AOR, "contacts per AOR", NULL);

	return true;
}


static bool over_limit(const struct reg_req *q, uint32_t count,
		       uint32_t limit)
{
	return q->eff.added > q->eff.removed &&
		count + q->eff.added - q->eff.removed > limit;
}


static bool stage_limit_domain(struct reg_req *q)
{
	if (!over_limit(q, location_count_domain(q->r->base.loc, q->domidx),
			q->r->base.cfg->limits.registrations_per_domain))
		return false;

	reply_rule(q, RULE_REG_LIM_DOMAIN, "registrations per domain", NULL);

	return true;
}


static bool stage_limit_account(struct reg_req *q)
{
	if (!over_limit(q, location_count_account(q->r->base.loc),
			q->r->base.cfg->limits.registrations_per_account))
		return false;

	reply_rule(q, RULE_REG_LIM_ACCOUNT, "registrations per account",
		   NULL);

	return true;
}


static bool stage_commit(struct reg_req *q)
{
	enum rule_id ok_rule;

	if (location_commit(q->r->base.loc, &q->upd)) {
		reply_rule(q, RULE_REG_MSG_2, "out of memory", NULL);
		return true;
	}

	if (q->star)
		ok_rule = RULE_REG_DEL_2;
	else if (only_removals(q))
		ok_rule = RULE_REG_DEL_1;
	else if (q->clamped)
		ok_rule = RULE_REG_EXP_2;
	else
		ok_rule = RULE_REG_EXP_1;

	reply_ok(q, ok_rule, q->cred ? q->cred->username : NULL);

	return true;
}


struct reg_stage {
	const char *what;
	bool (*h)(struct reg_req *q);
	enum rule_id rulev[3];        /* the rows it answers by          */
};

static const struct reg_stage stages[] = {
	{"shape",            stage_shape,           {RULE_REG_MSG_2}},
	{"Require",          stage_require,         {RULE_REG_MSG_1}},
	{"domain",           stage_domain,          {RULE_REG_DOMAIN_1}},
	{"registration on",  stage_registration_on, {RULE_REG_DOMAIN_2}},
	{"lists mapped",     stage_lists_mapped,    {RULE_REG_DOMAIN_3}},
	{"rate",             stage_rate,            {RULE_REG_LIM_RATE}},
	{"authentication",   stage_auth,            {RULE_REG_AUTH_1,
						     RULE_REG_AUTH_2,
						     RULE_REG_AUTH_3}},
	{"contacts",         stage_contacts,        {RULE_REG_MSG_2}},
	{"wildcard",         stage_wildcard,        {RULE_REG_DEL_3}},
	{"fetch",            stage_fetch,           {RULE_REG_FETCH_1}},
	/* phone-mode hook: nothing happens unless actions are armed */
	{"phone pack actions", stage_actions,       {RULE_REG_EXP_3,
						     RULE_REG_AUTH_4}},
	{"minimum expiry",   stage_min_expiry,      {RULE_REG_EXP_3}},
	{"loopback contact", stage_loopback,        {RULE_REG_CONTACT_1}},
	{"plan",             stage_plan,            {RULE_REG_MSG_2}},
	{"CSeq order",       stage_order,           {RULE_REG_ORD_1}},
	{"AOR limit",        stage_limit_aor,       {RULE_REG_LIM_AOR}},
	{"domain limit",     stage_limit_domain,    {RULE_REG_LIM_DOMAIN}},
	{"account limit",    stage_limit_account,   {RULE_REG_LIM_ACCOUNT}},
	{"commit",           stage_commit,          {RULE_REG_OK_1}},
};


static void run_register(struct registrar *r, const struct sip_msg *msg)
{
	struct reg_req q;

	memset(&q, 0, sizeof(q));
	q.r = r;
	q.msg = msg;

	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		if (stages[i].h(&q))
			break;
	}

	reg_req_destructor(&q);
}


/* phone-mode hook: a held REGISTER (actions.h) goes through after all */
static void resume_register(const struct sip_msg *msg, void *arg)
{
	run_register(arg, msg);
}


static void handle_register(struct registrar *r, const struct sip_msg *msg)
{
	if (r->actions) {
		char *aor = NULL;
		bool held;

		(void)aor_key(&aor, &msg->to.uri);
		held = reg_actions_hold(r->actions, msg, aor,
					resume_register, r);
		mem_deref(aor);
		if (held)
			return;
	}

	run_register(r, msg);
}


/* phone-mode hook (declared in actions.h) */
void registrar_set_actions(struct registrar *r, struct reg_actions *ra)
{
	if (r)
		r->actions = ra;
}


bool registrar_request(struct registrar *r, const struct sip_msg *msg)
{
	if (!r || !msg)
		return false;

	if (!pl_strcmp(&msg->met, "REGISTER")) {
		handle_register(r, msg);
		return true;
	}

	/* the other methods this UAS processes check Require as REGISTER
	 * does, before the domain (RFC 4475 3.3.5: OPTIONS with Require) */
	if ((!pl_strcmp(&msg->met, "OPTIONS") ||
	     !pl_strcmp(&msg->met, "INVITE")) && reject_require(r, msg))
		return true;

	return methods_handle(r, r->base.cfg, msg);
}
