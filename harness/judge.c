/**
 * @file judge.c  The phone-under-test judge (judge.h): records what a
 * real phone did from the registrar's trace, and gives every P-* rule of
 * docs/rules/phone.md its verdict.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "judge.h"

enum {
	TIMER_F_MS      = 32000,   /* a REGISTER without an answer is over */
	RING_FIRST_MS   = 200,     /* P-CALL-RING: 100 (or any 1xx)         */
	RING_180_MS     = 2000,    /* P-CALL-RING: 180                      */
	STALE_AT_ONCE_MS = 5000,   /* P-REG-STALE: "at once"                */
	LOOP_COUNT      = 4,       /* P-REG-403: this many tries in 60 s    */
	BACKOFF_MS      = 20000,   /* P-REG-403: a first retry sooner warns */
	RACE_MS         = 100,     /* a 2xx this soon after our CANCEL had
				      crossed it                            */
};

static const struct prule prules[] = {
	{"P-REG-URI", "REGISTER Request-URI is sip:domain with no user "
	 "part; To = From = the AOR", "FAIL", "registrar / domain"},
	{"P-REG-HOST", "the domain host names the region "
	 "(....sip.us1....)", "FAIL", "registrar host"},
	{"P-REG-AUTHID", "digest username equals the AOR user", "FAIL",
	 "username / auth ID"},
	{"P-REG-EXPIRY", "asked expiry <= 600", "WARN",
	 "registration expiry"},
	{"P-REG-REFRESH", "refresh arrives before the granted expiry runs "
	 "out; sent no later than expiry - 32 s, or at about half when "
	 "expiry <= 64 s", "FAIL (lapse) / WARN (late)",
	 "registration expiry"},
	{"P-REG-SHORTENED", "honours a shorter expiry granted in the 200 "
	 "than asked", "FAIL", NULL},
	{"P-REG-CALLID", "same Call-ID across refreshes and auth retries; "
	 "CSeq +1 each time", "WARN / FAIL (CSeq)", NULL},
	{"P-REG-OVERLAP", "no new REGISTER before the previous has a final "
	 "response (UDP retransmissions excepted)", "FAIL", NULL},
	{"P-REG-423", "after 423 + Min-Expires, retries with at least "
	 "Min-Expires", "FAIL", NULL},
	{"P-REG-STALE", "after 407 stale=true, retries with the new nonce "
	 "at once", "FAIL", NULL},
	{"P-REG-403", "after 403, no tight retry loop",
	 "FAIL (loop) / WARN", NULL},
	{"P-REG-503", "after 503 + Retry-After: T, waits at least T",
	 "FAIL", NULL},
	{"P-REG-NAT", "Via has rport; sends from the port it listens on",
	 "WARN", "NAT / rport"},
	{"P-REG-UNREG", "unregisters (expires 0) on orderly shutdown",
	 "INFO", NULL},
	{"P-CALL-RING", "an incoming INVITE gets 100/180 within 200 ms / "
	 "2 s, with a To tag kept on every response", "FAIL", NULL},
	{"P-CALL-ANSWER", "2xx carries an SDP answer; retransmits 2xx until "
	 "ACK", "FAIL", "auto-answer for tests"},
	{"P-CALL-CANCEL", "CANCEL while ringing -> 200 + 487, ringing "
	 "stops", "FAIL", NULL},
	{"P-CALL-FORKED", "two phones on one AOR both ring; the loser sees "
	 "CANCEL with Reason and stops", "FAIL", NULL},
	{"P-CALL-BYE", "hang-up sends BYE; BYE from the far end gets 200",
	 "FAIL", NULL},
	{"P-CALL-E164", "outgoing calls to numbers use E.164 (+ country "
	 "code) in the Request-URI/To", "WARN", "dial plan"},
	{"P-REFER-KEEP", "when its transfer REFER is rejected, the phone "
	 "keeps the call (no BYE), does not loop REFER", "FAIL",
	 "transfer mode"},
	{"P-METHOD", "unknown method -> 501; unsupported -> 405 with Allow; "
	 "unknown Require -> 420", "WARN", NULL},
};

struct judge {
	char user[96];
	char domain[160];
	struct jreg *regv;
	size_t regc, regcap;
	struct jcall *callv;
	size_t callc, callcap;
	struct jprobe *probev;
	size_t probec, probecap;
	struct jreq *reqv;
	size_t reqc, reqcap;
	struct sa ignorev[8];
	size_t ignorec;
	struct sa phone;
	bool has_phone;
};


const char *jlevel_name(enum jlevel v)
{
	switch (v) {

	case JV_PASS: return "PASS";
	case JV_INFO: return "INFO";
	case JV_WARN: return "WARN";
	case JV_FAIL: return "FAIL";
	default:      return "SKIP";
	}
}


const struct prule *prule_find(const char *id)
{
	for (size_t i = 0; id && i < ARRAY_SIZE(prules); i++) {
		if (!strcasecmp(prules[i].id, id))
			return &prules[i];
	}

	return NULL;
}


const struct prule *prule_at(size_t i)
{
	return i < ARRAY_SIZE(prules) ? &prules[i] : NULL;
}


size_t prule_count(void)
{
	return ARRAY_SIZE(prules);
}


static void destructor(void *data)
{
	struct judge *j = data;

	mem_deref(j->regv);
	mem_deref(j->callv);
	mem_deref(j->probev);
	mem_deref(j->reqv);
}


int judge_alloc(struct judge **jp, const char *aor_user,
		const char *aor_domain)
{
	struct judge *j;

	if (!jp || !aor_user || !aor_domain)
		return EINVAL;

	j = mem_zalloc(sizeof(*j), destructor);
	if (!j)
		return ENOMEM;

	str_ncpy(j->user, aor_user, sizeof(j->user));
	str_ncpy(j->domain, aor_domain, sizeof(j->domain));
	*jp = j;

	return 0;
}


/* one more zeroed element; NULL: out of memory */
static void *grow(void **vp, size_t *n, size_t *cap, size_t elem)
{
	char *v = *vp;

	if (*n >= *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
		void *nv = v ? mem_realloc(v, c * elem) :
			mem_alloc(c * elem, NULL);

		if (!nv)
			return NULL;
		*vp = nv;
		*cap = c;
		v = nv;
	}

	memset(v + *n * elem, 0, elem);

	return v + (*n)++ * elem;
}


void judge_ignore(struct judge *j, const struct sa *addr)
{
	if (!j || !addr || j->ignorec >= ARRAY_SIZE(j->ignorev))
		return;

	j->ignorev[j->ignorec++] = *addr;
}


bool judge_ignored(const struct judge *j, const struct sa *addr)
{
	for (size_t i = 0; j && addr && i < j->ignorec; i++) {
		if (sa_cmp(&j->ignorev[i], addr, SA_ALL))
			return true;
	}

	return false;
}


int judge_probe_add(struct judge *j, const char *method, const char *label,
		    const char *callid)
{
	struct jprobe *p;

	if (!j || !method || !callid)
		return EINVAL;

	p = grow((void **)&j->probev, &j->probec, &j->probecap,
		 sizeof(*p));
	if (!p)
		return ENOMEM;

	str_ncpy(p->method, method, sizeof(p->method));
	str_ncpy(p->label, label ? label : method, sizeof(p->label));
	str_ncpy(p->callid, callid, sizeof(p->callid));

	return 0;
}


/* ------------------------------------------------------------ parsing */

static uint64_t wall_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static void plcpy(char *buf, size_t sz, const struct pl *pl)
{
	if (!pl || !pl_isset(pl)) {
		if (sz)
			buf[0] = '\0';
		return;
	}

	(void)pl_strcpy(pl, buf, sz);
}


/* a quoted or token digest parameter: name="v" or name=v */
static void digest_param(const struct pl *hval, const char *name, char *buf,
			 size_t sz)
{
	char pat[64];
	struct pl v;

	buf[0] = '\0';
	(void)re_snprintf(pat, sizeof(pat), "[ \t,]*%s=\"[^\"]*\"", name);
	if (!re_regex(hval->p, hval->l, pat, NULL, &v)) {
		plcpy(buf, sz, &v);
		return;
	}

	(void)re_snprintf(pat, sizeof(pat), "[ \t,]*%s=[^, \t\r\n]+", name);
	if (!re_regex(hval->p, hval->l, pat, NULL, &v))
		plcpy(buf, sz, &v);
}


/* "Digest username=..." also matches "cnonce=": require a separator */
static void digest_field(const struct pl *hval, const char *name, char *buf,
			 size_t sz)
{
	struct pl rest = *hval;

	buf[0] = '\0';

	/* skip the scheme ("Digest ") */
	if (rest.l > 7 && !strncasecmp(rest.p, "Digest ", 7)) {
		rest.p += 6;
		rest.l -= 6;
	}

	/* the parameter must follow a space or a comma */
	for (size_t i = 0; i < rest.l; i++) {
		size_t n = strlen(name);

		if ((rest.p[i] == ' ' || rest.p[i] == ',' ||
		     rest.p[i] == '\t') && i + 1 + n < rest.l &&
		    !strncasecmp(rest.p + i + 1, name, n) &&
		    rest.p[i + 1 + n] == '=') {
			struct pl sub;

			sub.p = rest.p + i;
			sub.l = rest.l - i;
			digest_param(&sub, name, buf, sz);
			return;
		}
	}
}


static const struct sip_hdr *credentials(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);

	return h ? h : sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
}


struct contact_scan {
	bool any;
	bool all_zero;
	bool star;
	int64_t first_exp;
	struct sip_addr first;
	bool has_first;
};


static bool contact_h(const struct sip_hdr *hdr, const struct sip_msg *msg,
		      void *arg)
{
	struct contact_scan *cs = arg;
	struct sip_addr addr;
	struct pl v = hdr->val, ev;
	int64_t e = -1;

	(void)msg;

	while (v.l && isspace((unsigned char)v.p[v.l - 1]))
		v.l--;

	if (v.l == 1 && v.p[0] == '*') {
		cs->star = true;
		cs->any = true;
		return false;
	}

	if (sip_addr_decode(&addr, &v))
		return false;

	if (!msg_param_decode(&addr.params, "expires", &ev))
		e = (int64_t)pl_u64(&ev);

	if (!cs->has_first) {
		cs->first = addr;
		cs->first_exp = e;
		cs->has_first = true;
	}

	if (e != 0)
		cs->all_zero = false;

	cs->any = true;

	return false;
}


/* ";rport" (with or without a value) among the top Via's parameters */
static bool via_rport(const struct pl *params)
{
	for (size_t i = 0; i + 6 <= params->l; i++) {
		const char *p = params->p + i;
		char after;

		if (p[0] != ';' || strncasecmp(p + 1, "rport", 5))
			continue;

		after = i + 6 < params->l ? p[6] : ';';
		if (after == ';' || after == '=' || after == ' ' ||
		    after == '\t' || after == '\r' || after == '\n')
			return true;
	}

	return false;
}


static void reg_request(struct judge *j, const struct sip_msg *msg,
			int tp, const struct sa *src, uint64_t now)
{
	struct contact_scan cs;
	const struct sip_hdr *h;
	struct jreg *r;
	char callid[128], branch[96];

	plcpy(callid, sizeof(callid), &msg->callid);
	plcpy(branch, sizeof(branch), &msg->via.branch);

	/* a retransmission (same Call-ID, CSeq and branch) */
	for (size_t i = j->regc; i-- > 0;) {
		r = &j->regv[i];
		if (r->cseq == msg->cseq.num && !strcmp(r->callid, callid) &&
		    !strcmp(r->branch, branch)) {
			r->retrans++;
			return;
		}
		if (now - r->t > 64000)
			break;
	}

	/* a REGISTER before an earlier one had its final response */
	for (size_t i = j->regc; i-- > 0;) {
		r = &j->regv[i];
		if (now - r->t > TIMER_F_MS)
			break;
		if (!r->scode && !r->overlap_t)
			r->overlap_t = now;
	}

	r = grow((void **)&j->regv, &j->regc, &j->regcap, sizeof(*r));
	if (!r)
		return;

	r->t = now;
	r->wall_us = wall_now_us();
	str_ncpy(r->callid, callid, sizeof(r->callid));
	str_ncpy(r->branch, branch, sizeof(r->branch));
	r->cseq = msg->cseq.num;
	plcpy(r->ruri, sizeof(r->ruri), &msg->ruri);
	plcpy(r->to, sizeof(r->to), &msg->to.auri);
	plcpy(r->from, sizeof(r->from), &msg->from.auri);
	r->src = *src;
	r->tp = tp;
	r->granted = -1;
	r->asked = -1;

	memset(&cs, 0, sizeof(cs));
	cs.all_zero = true;
	cs.first_exp = -1;
	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_h, &cs);
	r->has_contact = cs.any;
	if (cs.has_first) {
		plcpy(r->contact, sizeof(r->contact), &cs.first.auri);
		if (!sa_set(&r->contact_addr, &cs.first.uri.host,
			    cs.first.uri.port ? cs.first.uri.port : 5060))
			r->contact_ip = true;
	}
	if (cs.first_exp >= 0)
		r->asked = cs.first_exp;
	else if (pl_isset(&msg->expires))
		r->asked = (int64_t)pl_u64(&msg->expires);

	if (cs.star)
		r->removal = true;
	else if (cs.any && cs.all_zero) {
		/* every contact 0 by its param, or no params and Expires 0 */
		r->removal = cs.first_exp == 0 ||
			(cs.first_exp < 0 && r->asked == 0);
	}

	h = credentials(msg);
	if (h) {
		r->creds = true;
		digest_field(&h->val, "username", r->username,
			     sizeof(r->username));
		digest_field(&h->val, "nonce", r->nonce, sizeof(r->nonce));
	}

	r->rport = via_rport(&msg->via.params);

	h = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
	if (h)
		plcpy(r->user_agent, sizeof(r->user_agent), &h->val);

	if (!j->has_phone) {
		j->phone = *src;
		j->has_phone = true;
	}
}


struct grant_scan {
	const struct jreg *r;
	int64_t granted;
	int64_t any;
};


static bool grant_h(const struct sip_hdr *hdr, const struct sip_msg *msg,
		    void *arg)
{
	struct grant_scan *gs = arg;
	struct sip_addr addr;
	struct pl ev;
	(void)msg;

	if (sip_addr_decode(&addr, &hdr->val) ||
	    msg_param_decode(&addr.params, "expires", &ev))
		return false;

	if (!pl_strcmp(&addr.auri, gs->r->contact)) {
		gs->granted = (int64_t)pl_u64(&ev);
		return true;
	}

	gs->any = (int64_t)pl_u64(&ev);

	return false;
}


static void reg_response(struct judge *j, const struct sip_msg *msg,
			 uint64_t now)
{
	const struct sip_hdr *h;
	struct jreg *r = NULL;
	char callid[128];

	if (msg->scode < 200)
		return;

	plcpy(callid, sizeof(callid), &msg->callid);
	for (size_t i = j->regc; i-- > 0;) {
		if (j->regv[i].cseq == msg->cseq.num &&
		    !strcmp(j->regv[i].callid, callid)) {
			r = &j->regv[i];
			break;
		}
	}

	if (!r || r->scode)
		return;          /* unknown, or a retransmitted answer */

	r->scode = msg->scode;
	r->final_t = now;

	if (msg->scode < 300) {
		struct grant_scan gs = {r, -1, -1};

		(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, grant_h,
					&gs);
		r->granted = gs.granted >= 0 ? gs.granted : gs.any;
	}

	h = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHENTICATE);
	if (!h)
		h = sip_msg_hdr(msg, SIP_HDR_WWW_AUTHENTICATE);
	if (h) {
		char st[16];

		digest_field(&h->val, "nonce", r->chal_nonce,
			     sizeof(r->chal_nonce));
		digest_field(&h->val, "stale", st, sizeof(st));
		r->stale = !strcasecmp(st, "true");
	}

	h = sip_msg_hdr(msg, SIP_HDR_MIN_EXPIRES);
	if (h)
		r->min_expires = pl_u32(&h->val);

	h = sip_msg_hdr(msg, SIP_HDR_RETRY_AFTER);
	if (h)
		r->retry_after = pl_u32(&h->val);
}


static struct jcall *call_find(struct judge *j, const struct pl *callid)
{
	for (size_t i = j->callc; i-- > 0;) {
		if (!pl_strcmp(callid, j->callv[i].callid))
			return &j->callv[i];
	}

	return NULL;
}


/* "PCMU/8000 PCMA/8000 telephone-event/8000" from an SDP body */
static void sdp_codecs(char *buf, size_t sz, const char *p, size_t n)
{
	struct pl rest, name;
	size_t used = 0;

	buf[0] = '\0';
	rest.p = p;
	rest.l = n;

	while (rest.l) {
		const char *m = memmem(rest.p, rest.l, "a=rtpmap:", 9);
		const char *eol;

		if (!m)
			break;

		eol = memchr(m, '\n', (size_t)(rest.p + rest.l - m));
		if (!eol)
			eol = rest.p + rest.l;

		if (!re_regex(m, (size_t)(eol - m),
			      "a=rtpmap:[0-9]+ [^ \r\n]+", NULL, &name)) {
			int k = re_snprintf(buf + used, sz - used, "%s%r",
					    used ? " " : "", &name);
			if (k > 0)
				used += (size_t)k;
			if (used >= sz - 1)
				break;
		}

		rest.l -= (size_t)(eol - rest.p);
		rest.p = eol;
		if (rest.l) {
			rest.p++;
			rest.l--;
		}
	}

	/* static payload types without rtpmap */
	if (!used && !re_regex(p, n, "m=audio [0-9]+ [^ ]+ [^\r\n]+", NULL,
			       NULL, &name))
		(void)re_snprintf(buf, sz, "payload types %r", &name);
}


static void invite_out(struct judge *j, const struct sip_msg *msg,
		       const struct sa *dst, uint64_t now)
{
	struct jcall *c;
	char branch[96];

	plcpy(branch, sizeof(branch), &msg->via.branch);

	for (size_t i = 0; i < j->callc; i++) {
		if (!strcmp(j->callv[i].branch, branch))
			return;     /* a retransmission */
	}

	c = grow((void **)&j->callv, &j->callc, &j->callcap, sizeof(*c));
	if (!c)
		return;

	c->invite_t = now;
	plcpy(c->callid, sizeof(c->callid), &msg->callid);
	str_ncpy(c->branch, branch, sizeof(c->branch));
	c->dst = *dst;
}


static void call_response(struct judge *j, const struct sip_msg *msg,
			  uint64_t now)
{
	struct jcall *c = call_find(j, &msg->callid);
	const char *met;

	if (!c)
		return;

	met = "";
	if (!pl_strcmp(&msg->cseq.met, "INVITE"))
		met = "INVITE";
	else if (!pl_strcmp(&msg->cseq.met, "CANCEL"))
		met = "CANCEL";
	else if (!pl_strcmp(&msg->cseq.met, "BYE"))
		met = "BYE";

	if (!strcmp(met, "CANCEL")) {
		if (!c->cancel_scode)
			c->cancel_scode = msg->scode;
		return;
	}

	if (!strcmp(met, "BYE")) {
		if (!c->bye_scode && c->bye_t) {
			c->bye_scode = msg->scode;
			c->bye_answer_t = now;
		}
		return;
	}

	if (strcmp(met, "INVITE") || pl_strcmp(&msg->via.branch, c->branch))
		return;

	if (msg->scode != 100) {
		if (!pl_isset(&msg->to.tag))
			c->totag_missing = true;
		else if (!c->totag[0])
			plcpy(c->totag, sizeof(c->totag), &msg->to.tag);
		else if (pl_strcmp(&msg->to.tag, c->totag))
			c->totag_changed = true;
	}

	if (msg->scode < 200) {
		if (!c->first_prov_t)
			c->first_prov_t = now;
		if (msg->scode >= 180 && !c->ringing_t)
			c->ringing_t = now;
		return;
	}

	if (msg->scode < 300) {
		c->final_count++;
		if (c->cancel_t && !c->after_cancel_2xx)
			c->after_cancel_2xx = now;
		if (!c->sdp && msg_ctype_cmp(&msg->ctyp, "application",
					     "sdp") &&
		    mbuf_get_left(msg->mb)) {
			const char *b = (const char *)mbuf_buf(msg->mb);
			size_t n = mbuf_get_left(msg->mb);

			c->sdp = memmem(b, n, "m=", 2) != NULL;
			sdp_codecs(c->codecs, sizeof(c->codecs), b, n);
		}
	}

	if (!c->final) {
		c->final = msg->scode;
		c->final_t = now;
	}
}


static void registrar_request(struct judge *j, const struct sip_msg *msg,
			      uint64_t now)
{
	struct jcall *c = call_find(j, &msg->callid);

	if (!c)
		return;

	if (!pl_strcmp(&msg->met, "CANCEL") && !c->cancel_t &&
	    !pl_strcmp(&msg->via.branch, c->branch)) {
		const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REASON);

		c->cancel_t = now;
		if (h)
			plcpy(c->cancel_reason, sizeof(c->cancel_reason),
			      &h->val);
	}
	else if (!pl_strcmp(&msg->met, "BYE") && !c->bye_t)
		c->bye_t = now;
	else if (!pl_strcmp(&msg->met, "ACK") && !c->ack_t)
		c->ack_t = now;
}


static void phone_request(struct judge *j, const struct sip_msg *msg,
			  uint64_t now)
{
	struct jcall *c = call_find(j, &msg->callid);
	struct jreq *q;

	if (c && !pl_strcmp(&msg->met, "BYE")) {
		if (!c->phone_bye_t)
			c->phone_bye_t = now;
		return;
	}

	if (c && !pl_strcmp(&msg->met, "REFER")) {
		c->phone_refers++;
		if (!c->phone_refer_t)
			c->phone_refer_t = now;
		return;
	}

	if (c || !pl_strcmp(&msg->met, "ACK") ||
	    !pl_strcmp(&msg->met, "CANCEL"))
		return;

	/* the same request again (a retransmission) */
	for (size_t i = j->reqc; i-- > 0;) {
		if (!pl_strcmp(&msg->callid, j->reqv[i].callid) &&
		    !pl_strcmp(&msg->met, j->reqv[i].method) &&
		    now - j->reqv[i].t < 64000)
			return;
	}

	q = grow((void **)&j->reqv, &j->reqc, &j->reqcap, sizeof(*q));
	if (!q)
		return;

	q->t = now;
	plcpy(q->method, sizeof(q->method), &msg->met);
	plcpy(q->ruri, sizeof(q->ruri), &msg->ruri);
	plcpy(q->to, sizeof(q->to), &msg->to.auri);
	plcpy(q->callid, sizeof(q->callid), &msg->callid);
}


static void refer_answer(struct judge *j, const struct sip_msg *msg)
{
	struct jcall *c = call_find(j, &msg->callid);

	if (c && !pl_strcmp(&msg->cseq.met, "REFER") && msg->scode >= 200 &&
	    !c->refer_scode)
		c->refer_scode = msg->scode;
}


static bool probe_response(struct judge *j, const struct sip_msg *msg)
{
	for (size_t i = 0; i < j->probec; i++) {
		struct jprobe *p = &j->probev[i];
		const struct sip_hdr *h;

		if (pl_strcmp(&msg->callid, p->callid))
			continue;

		if (msg->scode < 200 || p->scode)
			return true;

		p->scode = msg->scode;
		h = sip_msg_hdr(msg, SIP_HDR_ALLOW);
		if (h)
			plcpy(p->allow, sizeof(p->allow), &h->val);
		h = sip_msg_hdr(msg, SIP_HDR_UNSUPPORTED);
		if (h)
			plcpy(p->unsupported, sizeof(p->unsupported),
			      &h->val);
		return true;
	}

	return false;
}


void judge_trace(struct judge *j, bool tx, int tp, const struct sa *src,
		 const struct sa *dst, const uint8_t *pkt, size_t len)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	uint64_t now = tmr_jiffies();

	if (!j || !pkt || !len)
		return;

	if (judge_ignored(j, tx ? dst : src))
		return;

	mb = mbuf_alloc(len);
	if (!mb)
		return;
	(void)mbuf_write_mem(mb, pkt, len);
	mb->pos = 0;

	if (sip_msg_decode(&msg, mb)) {
		mem_deref(mb);
		return;
	}

	if (msg->req) {
		bool reg = !pl_strcmp(&msg->met, "REGISTER");

		if (!tx && reg)
			reg_request(j, msg, tp, src, now);
		else if (tx && !pl_strcmp(&msg->met, "INVITE"))
			invite_out(j, msg, dst, now);
		else if (tx)
			registrar_request(j, msg, now);
		else
			phone_request(j, msg, now);
	}
	else {
		bool reg = !pl_strcmp(&msg->cseq.met, "REGISTER");

		if (tx && reg)
			reg_response(j, msg, now);
		else if (tx)
			refer_answer(j, msg);
		else if (!probe_response(j, msg))
			call_response(j, msg, now);
	}

	mem_deref(msg);
	mem_deref(mb);
}


/* ------------------------------------------------------------ queries */

size_t judge_regc(const struct judge *j)
{
	return j ? j->regc : 0;
}


const struct jreg *judge_reg(const struct judge *j, size_t i)
{
	return j && i < j->regc ? &j->regv[i] : NULL;
}


size_t judge_callc(const struct judge *j)
{
	return j ? j->callc : 0;
}


const struct jcall *judge_call(const struct judge *j, size_t i)
{
	return j && i < j->callc ? &j->callv[i] : NULL;
}


const struct jcall *judge_call_by_id(const struct judge *j,
				     const char *callid)
{
	for (size_t i = 0; j && callid && i < j->callc; i++) {
		if (!strcmp(j->callv[i].callid, callid))
			return &j->callv[i];
	}

	return NULL;
}


size_t judge_probec(const struct judge *j)
{
	return j ? j->probec : 0;
}


const struct jprobe *judge_probe(const struct judge *j, size_t i)
{
	return j && i < j->probec ? &j->probev[i] : NULL;
}


size_t judge_reqc(const struct judge *j)
{
	return j ? j->reqc : 0;
}


const struct jreq *judge_req(const struct judge *j, size_t i)
{
	return j && i < j->reqc ? &j->reqv[i] : NULL;
}


const struct jreg *judge_first(const struct judge *j)
{
	return judge_reg(j, 0);
}


const struct jreg *judge_first_ok(const struct judge *j)
{
	for (size_t i = 0; j && i < j->regc; i++) {
		const struct jreg *r = &j->regv[i];

		if (r->scode >= 200 && r->scode < 300 && r->has_contact &&
		    !r->removal)
			return r;
	}

	return NULL;
}


long judge_last_ok(const struct judge *j, size_t before)
{
	for (size_t i = before; j && i-- > 0;) {
		const struct jreg *r = &j->regv[i];

		if (r->scode >= 200 && r->scode < 300 && r->has_contact &&
		    !r->removal)
			return (long)i;
	}

	return -1;
}


bool judge_phone_addr(const struct judge *j, struct sa *sa)
{
	if (!j || !j->has_phone)
		return false;

	if (sa)
		*sa = j->phone;

	return true;
}


/* ------------------------------------------------------------ verdicts */

void jverdict_set(struct jverdict *v, const char *rule, enum jlevel level,
		  const char *why_fmt, ...)
{
	const struct prule *pr = prule_find(rule);
	va_list ap;

	v->rule = pr ? pr->id : rule;
	v->level = level;
	va_start(ap, why_fmt);
	(void)re_vsnprintf(v->why, sizeof(v->why), why_fmt, ap);
	va_end(ap);
}


void jverdict_observed(struct jverdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(v->observed, sizeof(v->observed), fmt, ap);
	va_end(ap);
}


void jverdict_advice(struct jverdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(v->advice, sizeof(v->advice), fmt, ap);
	va_end(ap);
}


static double secs(uint64_t ms)
{
	return (double)ms / 1000.0;
}


static const struct jreg *first_with_contact(const struct judge *j)
{
	for (size_t i = 0; i < j->regc; i++) {
		if (j->regv[i].has_contact && !j->regv[i].removal)
			return &j->regv[i];
	}

	return NULL;
}


/* "sip:alice@example..." of an AOR */
static bool uri_is_aor(const char *text, const char *user,
		       const char *domain)
{
	struct pl pl;
	struct uri uri;

	pl_set_str(&pl, text);
	if (uri_decode(&uri, &pl))
		return false;

	return !pl_strcasecmp(&uri.scheme, "sip") &&
		!pl_strcmp(&uri.user, user) &&
		!pl_strcasecmp(&uri.host, domain);
}


void judge_reg_uri(const struct judge *j, struct jverdict *v)
{
	const struct jreg *r = first_with_contact(j);
	struct uri uri;
	struct pl pl;
	const char *bad = NULL;

	if (!r) {
		jverdict_set(v, "P-REG-URI", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	jverdict_observed(v, "Request-URI %s, To %s, From %s", r->ruri,
			  r->to, r->from);

	pl_set_str(&pl, r->ruri);
	if (uri_decode(&uri, &pl))
		bad = "the Request-URI is not a SIP URI";
	else if (pl_isset(&uri.user))
		bad = "the Request-URI has a user part";
	else if (pl_strcasecmp(&uri.host, j->domain))
		bad = "the Request-URI does not name the domain";
	else if (!uri_is_aor(r->to, j->user, j->domain))
		bad = "To is not the AOR";
	else if (!uri_is_aor(r->from, j->user, j->domain))
		bad = "From is not the AOR";

	if (bad) {
		jverdict_set(v, "P-REG-URI", JV_FAIL, "%s (expected "
			     "Request-URI sip:%s, To = From = sip:%s@%s)", bad,
			     j->domain, j->user, j->domain);
		jverdict_advice(v, "registrar / domain: set the domain (SIP "
				"server, registrar) to %s and the user to %s; "
				"put the service's address in the outbound "
				"proxy, not in the registrar", j->domain,
				j->user);
		return;
	}

	jverdict_set(v, "P-REG-URI", JV_PASS, "Request-URI sip:%s, To = From "
		     "= the AOR", j->domain);
}


void judge_reg_host(const struct judge *j, struct jverdict *v)
{
	const struct jreg *r = first_with_contact(j);
	struct uri uri;
	struct pl pl, letters, digits;

	if (!r) {
		jverdict_set(v, "P-REG-HOST", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	pl_set_str(&pl, r->ruri);
	if (uri_decode(&uri, &pl)) {
		jverdict_observed(v, "Request-URI %s", r->ruri);
		jverdict_set(v, "P-REG-HOST", JV_FAIL, "the Request-URI is "
			     "not a SIP URI");
		jverdict_advice(v, "registrar host: use the regional domain, "
				"e.g. %s", j->domain);
		return;
	}

	jverdict_observed(v, "registrar host %r", &uri.host);

	/* libre's regex: every [] is a capture; '.' is a plain dot */
	if (re_regex(uri.host.p, uri.host.l, "[^.]+.sip.[a-z]+[0-9]+.", NULL,
		     &letters, &digits)) {
		jverdict_set(v, "P-REG-HOST", JV_FAIL, "%r names no region "
			     "({label}.sip.{region}.{suffix})", &uri.host);
		jverdict_advice(v, "registrar host: use the regional host "
				"name, e.g. %s (not the legacy one without a "
				"region)", j->domain);
		return;
	}

	jverdict_set(v, "P-REG-HOST", JV_PASS, "the host names region %r%r",
		     &letters, &digits);
}


void judge_reg_authid(const struct judge *j, struct jverdict *v)
{
	const struct jreg *r = NULL;

	for (size_t i = 0; i < j->regc; i++) {
		if (j->regv[i].creds) {
			r = &j->regv[i];
			break;
		}
	}

	if (!r) {
		jverdict_set(v, "P-REG-AUTHID", j->regc ? JV_FAIL : JV_SKIP,
			     j->regc ? "the phone never answered the "
			     "challenge" : "the phone sent no REGISTER");
		if (j->regc)
			jverdict_advice(v, "username / auth ID: enter the "
					"password and set the authentication "
					"ID to %s", j->user);
		return;
	}

	jverdict_observed(v, "digest username \"%s\"", r->username);

	if (strcmp(r->username, j->user)) {
		jverdict_set(v, "P-REG-AUTHID", JV_FAIL, "the digest "
			     "username is not the AOR user %s", j->user);
		jverdict_advice(v, "username / auth ID: set the "
				"authentication ID (auth user) to %s, the "
				"same as the user", j->user);
		return;
	}

	jverdict_set(v, "P-REG-AUTHID", JV_PASS, "digest username = AOR user");
}


void judge_reg_expiry(const struct judge *j, struct jverdict *v)
{
	const struct jreg *r = first_with_contact(j);

	if (!r) {
		jverdict_set(v, "P-REG-EXPIRY", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	if (r->asked < 0) {
		jverdict_observed(v, "no expiry asked");
		jverdict_set(v, "P-REG-EXPIRY", JV_INFO, "the registrar "
			     "chooses (3600 s, clamped to 600)");
		return;
	}

	jverdict_observed(v, "asked %lld s", (long long)r->asked);

	if (r->asked > 600) {
		jverdict_set(v, "P-REG-EXPIRY", JV_WARN, "more than 600 s: "
			     "the service clamps it to 600");
		jverdict_advice(v, "registration expiry: set it to 600 s or "
				"less (300 is common)");
		return;
	}

	jverdict_set(v, "P-REG-EXPIRY", JV_PASS, "600 s or less");
}


void judge_reg_nat(const struct judge *j, struct jverdict *v)
{
	const struct jreg *r = first_with_contact(j);
	char cport[16] = "?";
	bool same;

	if (!r) {
		jverdict_set(v, "P-REG-NAT", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	if (r->contact_ip || r->contact[0]) {
		struct pl pl;
		struct sip_addr a;

		pl_set_str(&pl, r->contact);
		if (!uri_decode(&a.uri, &pl))
			(void)re_snprintf(cport, sizeof(cport), "%u",
					  a.uri.port ? a.uri.port : 5060);
	}

	same = !strcmp(cport, "?") ||
		(unsigned)atoi(cport) == sa_port(&r->src);

	jverdict_observed(v, "Via rport: %s; sent from %J, Contact port %s",
			  r->rport ? "yes" : "no", &r->src, cport);

	if (!r->rport || !same) {
		jverdict_set(v, "P-REG-NAT", JV_WARN, "%s%s%s",
			     r->rport ? "" : "no rport in Via",
			     !r->rport && !same ? "; " : "",
			     same ? "" : "sent from another port than the "
			     "Contact's");
		jverdict_advice(v, "NAT / rport: turn on rport (RFC 3581, "
				"often \"NAT traversal\" or \"use rport\") "
				"and send from the SIP listening port "
				"(symmetric signalling)");
		return;
	}

	jverdict_set(v, "P-REG-NAT", JV_PASS, "rport, and sent from the "
		     "Contact's port");
}


/* is b the auth retry of a (a challenged, b right after with creds)? */
static bool auth_retry(const struct jreg *a, const struct jreg *b)
{
	return (a->scode == 401 || a->scode == 407) && b->creds &&
		b->t - a->final_t < 5000;
}


void judge_reg_callid(const struct judge *j, struct jverdict *v)
{
	unsigned changed = 0, badcseq = 0, pairs = 0;
	char first_bad[160] = "";

	for (size_t i = 1; i < j->regc; i++) {
		const struct jreg *a = &j->regv[i - 1], *b = &j->regv[i];

		/* a new registration may start a new Call-ID */
		if (a->removal || (!b->creds && !auth_retry(a, b) &&
				   a->scode >= 300 && a->scode != 401 &&
				   a->scode != 407 && a->scode != 423))
			continue;

		pairs++;

		if (strcmp(a->callid, b->callid)) {
			changed++;
			continue;
		}

		if (b->cseq != a->cseq + 1) {
			if (!badcseq)
				(void)re_snprintf(first_bad,
						  sizeof(first_bad),
						  "CSeq %u after %u", b->cseq,
						  a->cseq);
			badcseq++;
		}
	}

	jverdict_observed(v, "%zu REGISTERs; Call-ID changed %u time(s); "
			  "CSeq not +1 %u time(s)%s%s", j->regc, changed,
			  badcseq, first_bad[0] ? ": " : "", first_bad);

	if (!pairs) {
		jverdict_set(v, "P-REG-CALLID", JV_SKIP, "fewer than two "
			     "REGISTERs of one registration");
		return;
	}

	if (badcseq) {
		jverdict_set(v, "P-REG-CALLID", JV_FAIL, "CSeq must grow by "
			     "one with each REGISTER of a Call-ID "
			     "(RFC 3261 10.2)");
		return;
	}

	if (changed) {
		jverdict_set(v, "P-REG-CALLID", JV_WARN, "a new Call-ID for a "
			     "refresh or an auth retry (RFC 3261 10.2: "
			     "SHOULD keep one)");
		return;
	}

	jverdict_set(v, "P-REG-CALLID", JV_PASS, "one Call-ID, CSeq +1 each "
		     "time");
}


void judge_reg_overlap(const struct judge *j, size_t from, size_t to,
		       struct jverdict *v)
{
	unsigned held = 0, retrans = 0, overlaps = 0;
	uint64_t longest = 0;

	for (size_t i = from; i < to && i < j->regc; i++) {
		const struct jreg *r = &j->regv[i];

		if (r->overlap_t)
			overlaps++;
		if (r->final_t > r->t && r->final_t - r->t >= 1000) {
			held++;
			retrans += r->retrans;
			if (r->final_t - r->t > longest)
				longest = r->final_t - r->t;
		}
	}

	jverdict_observed(v, "%u REGISTER(s) answered after 1 s or more "
			  "(longest %.1f s), %u retransmission(s) meanwhile; "
			  "%u new REGISTER(s) before a final response",
			  held, secs(longest), retrans, overlaps);

	if (overlaps) {
		jverdict_set(v, "P-REG-OVERLAP", JV_FAIL, "a new REGISTER went "
			     "out while the previous one had no final "
			     "response (RFC 3261 10.2)");
		return;
	}

	if (!held) {
		jverdict_set(v, "P-REG-OVERLAP", JV_PASS, "no overlap (no "
			     "reply was held back)");
		return;
	}

	jverdict_set(v, "P-REG-OVERLAP", JV_PASS, "waited for the final "
		     "response%s", retrans ? " (retransmitting the same "
		     "request)" : "");
}


void judge_reg_refresh(const struct judge *j, long ok, long next,
		       uint64_t now, bool shortened, struct jverdict *v)
{
	const char *rule = shortened ? "P-REG-SHORTENED" : "P-REG-REFRESH";
	const struct jreg *g = judge_reg(j, ok >= 0 ? (size_t)ok : SIZE_MAX);
	const struct jreg *n = judge_reg(j, next >= 0 ? (size_t)next :
					 SIZE_MAX);
	uint64_t granted_ms, due_ms, tol_ms, took;

	if (!g || g->granted <= 0) {
		jverdict_set(v, rule, JV_SKIP, "no registration was granted");
		return;
	}

	if (shortened && (g->asked < 0 || g->granted >= g->asked)) {
		jverdict_observed(v, "asked %lld s, granted %lld s",
				  (long long)g->asked,
				  (long long)g->granted);
		jverdict_set(v, rule, JV_SKIP, "the grant was not shorter than "
			     "asked");
		return;
	}

	granted_ms = (uint64_t)g->granted * 1000;
	due_ms = g->granted > 64 ? granted_ms - 32000 : granted_ms / 2;
	tol_ms = g->granted > 64 ? 2000 : granted_ms / 10 + 1000;

	if (!n) {
		took = now - g->final_t;
		jverdict_observed(v, "asked %lld s, granted %lld s; no "
				  "refresh after %.1f s",
				  (long long)g->asked, (long long)g->granted,
				  secs(took));
		if (took <= granted_ms) {
			jverdict_set(v, rule, JV_SKIP, "not seen yet");
			return;
		}
		jverdict_set(v, rule, JV_FAIL, "the binding lapsed: no "
			     "refresh within the granted %lld s%s",
			     (long long)g->granted, shortened ?
			     " (it seems to follow its own asked expiry)" :
			     "");
		if (!shortened)
			jverdict_advice(v, "registration expiry: "
					"re-register before the granted "
					"expiry runs out (no later than "
					"expiry - 32 s, half of it when 64 s "
					"or less)");
		return;
	}

	took = n->t - g->final_t;
	jverdict_observed(v, "asked %lld s, granted %lld s; refreshed after "
			  "%.1f s (%u%% of the grant)",
			  (long long)g->asked, (long long)g->granted,
			  secs(took), (unsigned)(100 * took / granted_ms));

	if (took > granted_ms) {
		jverdict_set(v, rule, JV_FAIL, "the binding lapsed %.1f s "
			     "before the refresh%s",
			     secs(took - granted_ms), shortened ?
			     " (it seems to follow its own asked expiry)" :
			     "");
		if (!shortened)
			jverdict_advice(v, "registration expiry: "
					"re-register before the granted "
					"expiry runs out");
		return;
	}

	if (shortened) {
		jverdict_set(v, rule, JV_PASS, "refreshed within the shorter "
			     "grant");
		return;
	}

	if (took > due_ms + tol_ms) {
		jverdict_set(v, rule, JV_WARN, "late: due by %u s (%s)",
			     (unsigned)(due_ms / 1000), g->granted > 64 ?
			     "expiry - 32 s" : "about half of the expiry");
		jverdict_advice(v, "registration expiry: re-register at "
				"about half of the granted expiry, and no "
				"later than 32 s before it runs out (often "
				"\"re-registration before expiry\" or "
				"\"refresh percentage\")");
		return;
	}

	jverdict_set(v, rule, JV_PASS, "on time (due by %u s)",
		     (unsigned)(due_ms / 1000));
}


/* the first REGISTER (not a retransmission) after the final of i */
static long next_after(const struct judge *j, long i)
{
	const struct jreg *r = judge_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);

	if (!r)
		return -1;

	for (size_t k = (size_t)i + 1; k < j->regc; k++) {
		if (j->regv[k].t >= r->final_t)
			return (long)k;
	}

	return -1;
}


void judge_reg_423(const struct judge *j, long i, long next,
		   struct jverdict *v)
{
	const struct jreg *r = judge_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;

	if (!r || r->scode != 423) {
		jverdict_set(v, "P-REG-423", JV_SKIP, "no REGISTER was "
			     "answered 423");
		return;
	}

	if (next < 0)
		next = next_after(j, i);
	n = judge_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "asked %lld s; 423 Min-Expires: %u; no "
				  "retry", (long long)r->asked,
				  r->min_expires);
		jverdict_set(v, "P-REG-423", JV_FAIL, "it gave up: no retry "
			     "with Min-Expires");
		return;
	}

	jverdict_observed(v, "asked %lld s; 423 Min-Expires: %u; retried "
			  "after %.2f s asking %lld s", (long long)r->asked,
			  r->min_expires, secs(n->t - r->final_t),
			  (long long)n->asked);

	if (n->asked < (int64_t)r->min_expires) {
		jverdict_set(v, "P-REG-423", JV_FAIL, "the retry asks less "
			     "than Min-Expires");
		return;
	}

	jverdict_set(v, "P-REG-423", JV_PASS, "retried with at least "
		     "Min-Expires");
}


void judge_reg_stale(const struct judge *j, long i, long next,
		     struct jverdict *v)
{
	const struct jreg *r = judge_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;

	if (!r || !r->stale) {
		jverdict_set(v, "P-REG-STALE", JV_SKIP, "no challenge with "
			     "stale=true was sent");
		return;
	}

	if (next < 0)
		next = next_after(j, i);
	n = judge_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "stale=true challenge; no retry");
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "no retry after "
			     "stale=true");
		return;
	}

	jverdict_observed(v, "stale=true challenge; retried after %.2f s "
			  "%s", secs(n->t - r->final_t), !n->creds ?
			  "without credentials" :
			  strcmp(n->nonce, r->chal_nonce) ?
			  "with another nonce" : "with the new nonce");

	if (!n->creds || strcmp(n->nonce, r->chal_nonce)) {
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "the retry does not "
			     "use the new nonce");
		return;
	}

	if (n->t - r->final_t > STALE_AT_ONCE_MS) {
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "not at once (after "
			     "more than %u s)", STALE_AT_ONCE_MS / 1000);
		return;
	}

	jverdict_set(v, "P-REG-STALE", JV_PASS, "retried at once with the "
		     "new nonce");
}


void judge_reg_403(const struct judge *j, long i, uint64_t window_ms,
		   uint64_t now, struct jverdict *v)
{
	const struct jreg *r = judge_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	unsigned tries = 0;
	uint64_t first = 0, end;

	if (!r || r->scode != 403) {
		jverdict_set(v, "P-REG-403", JV_SKIP, "no REGISTER was "
			     "answered 403");
		return;
	}

	end = r->final_t + window_ms;

	for (size_t k = (size_t)i + 1; k < j->regc; k++) {
		const struct jreg *n = &j->regv[k];

		if (n->t < r->final_t || n->t > end)
			continue;
		/* an attempt: not merely the answer to a challenge */
		if (n->scode == 401 || n->scode == 407)
			continue;
		if (!first)
			first = n->t - r->final_t;
		tries++;
	}

	if (now < end && tries < LOOP_COUNT) {
		jverdict_set(v, "P-REG-403", JV_SKIP, "the window has not "
			     "ended");
		return;
	}

	if (tries)
		jverdict_observed(v, "%u new attempt(s) in %u s after the "
				  "403, the first after %.1f s", tries,
				  (unsigned)(window_ms / 1000), secs(first));
	else
		jverdict_observed(v, "no new attempt in %u s after the 403",
				  (unsigned)(window_ms / 1000));

	if (tries >= LOOP_COUNT) {
		jverdict_set(v, "P-REG-403", JV_FAIL, "a retry loop (%u or "
			     "more tries in %u s)", LOOP_COUNT,
			     (unsigned)(window_ms / 1000));
		return;
	}

	if (tries && first < BACKOFF_MS) {
		jverdict_set(v, "P-REG-403", JV_WARN, "retried within %u s of "
			     "a 403", BACKOFF_MS / 1000);
		return;
	}

	jverdict_set(v, "P-REG-403", JV_PASS, "no retry loop");
}


void judge_reg_503(const struct judge *j, long i, uint64_t now,
		   struct jverdict *v)
{
	const struct jreg *r = judge_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;
	long next;

	if (!r || r->scode != 503) {
		jverdict_set(v, "P-REG-503", JV_SKIP, "no REGISTER was "
			     "answered 503");
		return;
	}

	next = next_after(j, i);
	n = judge_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "503 Retry-After: %u; no retry in "
				  "%u s", r->retry_after,
				  (unsigned)((now - r->final_t) / 1000));
		jverdict_set(v, "P-REG-503", now - r->final_t >=
			     (uint64_t)r->retry_after * 1000 ? JV_PASS :
			     JV_SKIP, "waited at least Retry-After");
		return;
	}

	jverdict_observed(v, "503 Retry-After: %u; retried after %.1f s",
			  r->retry_after, secs(n->t - r->final_t));

	if (n->t - r->final_t < (uint64_t)r->retry_after * 1000) {
		jverdict_set(v, "P-REG-503", JV_FAIL, "retried before "
			     "Retry-After ran out");
		return;
	}

	jverdict_set(v, "P-REG-503", JV_PASS, "waited at least Retry-After");
}


void judge_reg_unreg(const struct judge *j, size_t from, struct jverdict *v)
{
	const struct jreg *first = NULL, *last = NULL;
	unsigned n = 0;

	for (size_t k = from; k < j->regc; k++) {
		const struct jreg *r = &j->regv[k];

		if (!r->removal)
			continue;
		if (!first)
			first = r;
		last = r;
		n++;
	}

	if (!first) {
		jverdict_observed(v, "no REGISTER with expires 0");
		jverdict_set(v, "P-REG-UNREG", JV_INFO, "does not unregister "
			     "on shutdown: its binding stays until it "
			     "expires");
		return;
	}

	if (n > 1)
		jverdict_observed(v, "REGISTER with expires 0%s, answered "
				  "%u; %u in all, the last answered %u",
				  first->contact[0] ? "" : " (Contact: *)",
				  first->scode, n, last->scode);
	else
		jverdict_observed(v, "REGISTER with expires 0%s, answered %u",
				  first->contact[0] ? "" : " (Contact: *)",
				  first->scode);

	if (last->scode < 200 || last->scode >= 300) {
		jverdict_set(v, "P-REG-UNREG", JV_INFO, "tries to unregister "
			     "on shutdown, but the binding stays (no 2xx)");
		return;
	}

	jverdict_set(v, "P-REG-UNREG", JV_INFO, "unregisters on shutdown");
}


/* ------------------------------------------------------------- calls */

void judge_call_ring(const struct jcall *c, struct jverdict *v)
{
	uint64_t first, ring;

	if (!c) {
		jverdict_set(v, "P-CALL-RING", JV_SKIP, "no call reached the "
			     "phone");
		return;
	}

	first = c->first_prov_t ? c->first_prov_t - c->invite_t : 0;
	ring = c->ringing_t ? c->ringing_t - c->invite_t : 0;

	jverdict_observed(v, "first 1xx after %s%llu ms, 180 after %s%llu "
			  "ms, final %u after %llu ms; To tag %s",
			  c->first_prov_t ? "" : "(none) ",
			  (unsigned long long)first,
			  c->ringing_t ? "" : "(none) ",
			  (unsigned long long)ring, c->final,
			  (unsigned long long)(c->final_t ? c->final_t -
					       c->invite_t : 0),
			  c->totag_changed ? "changed" : c->totag_missing ?
			  "missing on a response" : "kept");

	if (c->totag_changed || c->totag_missing) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "the To tag must be "
			     "on every response but 100 and stay the same");
		return;
	}

	/* a final within the limits stands for the provisional */
	if ((!c->first_prov_t || first > RING_FIRST_MS) &&
	    !(c->final_t && c->final_t - c->invite_t <= RING_FIRST_MS)) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "no 100/180 within "
			     "%u ms", RING_FIRST_MS);
		return;
	}

	if ((!c->ringing_t || ring > RING_180_MS) &&
	    !(c->final_t && c->final >= 200 && c->final < 300 &&
	      c->final_t - c->invite_t <= RING_180_MS)) {
		jverdict_set(v, "P-CALL-RING", JV_FAIL, "no 180 within %u s",
			     RING_180_MS / 1000);
		return;
	}

	jverdict_set(v, "P-CALL-RING", JV_PASS, "%s in time, To tag kept",
		     c->ringing_t ? "100/180" : "answered");
}


void judge_call_answer(const struct jcall *c, bool auto_answer,
		       struct jverdict *v)
{
	if (!c) {
		jverdict_set(v, "P-CALL-ANSWER", JV_SKIP, "no call reached "
			     "the phone");
		return;
	}

	if (!c->final || c->final >= 300) {
		jverdict_observed(v, "final %u", c->final);
		if (auto_answer) {
			jverdict_set(v, "P-CALL-ANSWER", JV_FAIL, "the phone "
				     "did not answer (auto-answer was "
				     "expected)");
			jverdict_advice(v, "auto-answer for tests: turn on "
					"auto-answer for this account");
		}
		else
			jverdict_set(v, "P-CALL-ANSWER", JV_SKIP, "nobody "
				     "answered the call");
		return;
	}

	jverdict_observed(v, "%u; SDP answer %s%s%s; ACKed after %llu ms "
			  "(2xx retransmission not exercised: the registrar "
			  "ACKs at once)", c->final, c->sdp ? "yes" : "no",
			  c->codecs[0] ? ": " : "", c->codecs,
			  (unsigned long long)(c->ack_t &&
					       c->ack_t >= c->final_t ?
					       c->ack_t - c->final_t : 0));

	if (!c->sdp) {
		jverdict_set(v, "P-CALL-ANSWER", JV_FAIL, "the 2xx carries no "
			     "SDP answer");
		return;
	}

	jverdict_set(v, "P-CALL-ANSWER", JV_PASS, "2xx with an SDP answer");
}


void judge_call_bye(const struct jcall *c, struct jverdict *v)
{
	if (!c || !c->final || c->final >= 300) {
		jverdict_set(v, "P-CALL-BYE", JV_SKIP, "no answered call");
		return;
	}

	if (c->phone_bye_t && (!c->bye_t || c->phone_bye_t < c->bye_t)) {
		jverdict_observed(v, "the phone hung up with BYE");
		jverdict_set(v, "P-CALL-BYE", JV_PASS, "hang-up sends BYE");
		return;
	}

	if (!c->bye_t) {
		jverdict_set(v, "P-CALL-BYE", JV_SKIP, "the call was not hung "
			     "up");
		return;
	}

	jverdict_observed(v, "far-end BYE answered %u%s after %llu ms",
			  c->bye_scode, c->bye_scode ? "" : " (nothing)",
			  (unsigned long long)(c->bye_answer_t ?
					       c->bye_answer_t - c->bye_t :
					       0));

	if (c->bye_scode < 200 || c->bye_scode >= 300) {
		jverdict_set(v, "P-CALL-BYE", JV_FAIL, "a BYE from the far "
			     "end must get 200");
		return;
	}

	jverdict_set(v, "P-CALL-BYE", JV_PASS, "BYE from the far end gets "
		     "200 (hang-up on the phone not exercised)");
}


/* true: judged (v set) because no CANCEL reached a ringing phone */
static bool cancel_missing(const struct jcall *c, const char *rule,
			   struct jverdict *v)
{
	if (!c) {
		jverdict_set(v, rule, JV_SKIP, "no call reached the phone");
		return true;
	}

	if (!c->cancel_t) {
		jverdict_observed(v, "final %u after %llu ms; no CANCEL sent",
				  c->final, (unsigned long long)(c->final_t ?
				  c->final_t - c->invite_t : 0));
		jverdict_set(v, rule, JV_SKIP, c->final >= 200 &&
			     c->final < 300 ? "the phone answered first: no "
			     "CANCEL reached it ringing" : "no CANCEL was "
			     "sent");
		return true;
	}

	if (c->after_cancel_2xx && c->after_cancel_2xx - c->cancel_t <
	    RACE_MS) {
		jverdict_observed(v, "its 2xx crossed the CANCEL (%llu ms)",
				  (unsigned long long)(c->after_cancel_2xx -
						       c->cancel_t));
		jverdict_set(v, rule, JV_SKIP, "the phone answered as the "
			     "CANCEL went out (a race, not judged)");
		return true;
	}

	return false;
}


void judge_call_cancel(const struct jcall *c, struct jverdict *v)
{
	if (cancel_missing(c, "P-CALL-CANCEL", v))
		return;

	jverdict_observed(v, "CANCEL answered %u; INVITE final %u after "
			  "%llu ms%s", c->cancel_scode, c->final,
			  (unsigned long long)(c->final_t > c->cancel_t ?
					       c->final_t - c->cancel_t : 0),
			  c->after_cancel_2xx ? "; a 2xx after the CANCEL" :
			  "");

	if (c->cancel_scode != 200) {
		jverdict_set(v, "P-CALL-CANCEL", JV_FAIL, "the CANCEL did not "
			     "get 200");
		return;
	}

	if (c->final != 487 || c->after_cancel_2xx) {
		jverdict_set(v, "P-CALL-CANCEL", JV_FAIL, "the INVITE did not "
			     "end with 487 (ringing did not stop)");
		return;
	}

	jverdict_set(v, "P-CALL-CANCEL", JV_PASS, "200 to the CANCEL, 487 to "
		     "the INVITE");
}


void judge_call_forked(const struct jcall *c, bool other_answered,
		       struct jverdict *v)
{
	if (cancel_missing(c, "P-CALL-FORKED", v))
		return;

	jverdict_observed(v, "rang (%s); the other phone %s; CANCEL Reason: "
			  "%s; the phone then answered %u", c->first_prov_t ?
			  "1xx sent" : "no 1xx", other_answered ?
			  "answered" : "did not answer",
			  c->cancel_reason[0] ? c->cancel_reason : "(none)",
			  c->final);

	if (!c->first_prov_t) {
		jverdict_set(v, "P-CALL-FORKED", JV_FAIL, "the phone did not "
			     "ring");
		return;
	}

	if (c->final != 487 || c->after_cancel_2xx) {
		jverdict_set(v, "P-CALL-FORKED", JV_FAIL, "the loser did not "
			     "stop (no 487)");
		return;
	}

	jverdict_set(v, "P-CALL-FORKED", JV_PASS, "both rang; the loser "
		     "stopped on CANCEL%s", c->cancel_reason[0] ?
		     " with Reason" : "");
}


void judge_refer_keep(const struct jcall *c, uint64_t now,
		      struct jverdict *v)
{
	if (!c || !c->phone_refers) {
		jverdict_set(v, "P-REFER-KEEP", JV_SKIP, "the phone sent no "
			     "REFER");
		return;
	}

	jverdict_observed(v, "%u REFER(s), the first answered %u; %s",
			  c->phone_refers, c->refer_scode, c->phone_bye_t ?
			  "then the phone sent BYE" : "the call stayed up");

	if (c->phone_bye_t && c->phone_bye_t > c->phone_refer_t) {
		jverdict_set(v, "P-REFER-KEEP", JV_FAIL, "the phone dropped "
			     "the call when its REFER was refused");
		jverdict_advice(v, "transfer mode: use a transfer the "
				"service supports (e.g. attended transfer "
				"through the service), not REFER");
		return;
	}

	if (c->phone_refers > 2) {
		jverdict_set(v, "P-REFER-KEEP", JV_FAIL, "REFER sent again "
			     "and again");
		jverdict_advice(v, "transfer mode: do not retry a refused "
				"REFER");
		return;
	}

	(void)now;
	jverdict_set(v, "P-REFER-KEEP", JV_PASS, "kept the call after the "
		     "refused REFER");
}


void judge_call_e164(const struct judge *j, size_t from, struct jverdict *v)
{
	for (size_t k = from; k < j->reqc; k++) {
		const struct jreq *q = &j->reqv[k];
		struct uri uri;
		struct pl pl;
		bool e164 = false;

		if (strcmp(q->method, "INVITE"))
			continue;

		pl_set_str(&pl, q->ruri);
		if (!uri_decode(&uri, &pl) && uri.user.l > 8 &&
		    uri.user.p[0] == '+') {
			e164 = true;
			for (size_t i = 1; i < uri.user.l; i++)
				e164 &= isdigit((unsigned char)uri.user.p[i])
					!= 0;
		}

		jverdict_observed(v, "INVITE %s, To %s", q->ruri, q->to);
		if (!e164) {
			jverdict_set(v, "P-CALL-E164", JV_WARN, "the number "
				     "is not in E.164 (+ and country code)");
			jverdict_advice(v, "dial plan: send numbers as E.164 "
					"(+ country code), e.g. +14155551234");
			return;
		}

		jverdict_set(v, "P-CALL-E164", JV_PASS, "E.164");
		return;
	}

	jverdict_set(v, "P-CALL-E164", JV_SKIP, "the phone placed no call");
}


void judge_method(const struct judge *j, struct jverdict *v)
{
	char obs[512] = "";
	size_t used = 0;
	unsigned bad = 0;

	if (!j->probec) {
		jverdict_set(v, "P-METHOD", JV_SKIP, "no request was sent");
		return;
	}

	for (size_t i = 0; i < j->probec; i++) {
		const struct jprobe *p = &j->probev[i];
		bool good;
		int k;

		if (!strcmp(p->label, "unknown method"))
			good = p->scode == 501;
		else if (!strcmp(p->label, "unsupported method"))
			good = p->scode == 501 ||
				(p->scode == 405 && p->allow[0]);
		else if (!strcmp(p->label, "unknown Require"))
			good = p->scode == 420 && p->unsupported[0];
		else
			good = p->scode >= 200;

		if (!good)
			bad++;

		k = re_snprintf(obs + used, sizeof(obs) - used,
				"%s%s %s -> %u%s%s%s", used ? "; " : "",
				p->label, p->method, p->scode,
				p->scode ? "" : " (no answer)",
				p->scode == 405 && !p->allow[0] ?
				" without Allow" : "",
				good ? "" : " (wrong)");
		if (k > 0 && (size_t)k < sizeof(obs) - used)
			used += (size_t)k;
	}

	jverdict_observed(v, "%s", obs);

	if (bad) {
		jverdict_set(v, "P-METHOD", JV_WARN, "expected 501 for an "
			     "unknown method, 405 with Allow (or 501) for an "
			     "unsupported one, 420 with Unsupported for an "
			     "unknown Require");
		return;
	}

	jverdict_set(v, "P-METHOD", JV_PASS, "501 / 405 / 420 as RFC 3261 "
		     "8.2 asks");
}
