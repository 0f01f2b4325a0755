/**
 * @file capture.c  The capture of a phone under test (capture.h): records
 * what a real phone did from the registrar's trace, for the P-* judges.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "msgkeep.h"
#include "phone/capture.h"
#include "phone/codecs.h"

enum {
	TIMER_F_MS = 32000,        /* a REGISTER without an answer is over */
};

struct capture {
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
	struct jmreq *mreqv;
	size_t mreqc, mreqcap;
	struct sa ignorev[8];
	size_t ignorec;
	struct sa phone;
	bool has_phone;
};

static void destructor(void *data)
{
	struct capture *j = data;

	mem_deref(j->regv);
	mem_deref(j->callv);
	mem_deref(j->probev);
	mem_deref(j->reqv);
	mem_deref(j->mreqv);
}


int capture_alloc(struct capture **jp, const char *aor_user,
		  const char *aor_domain)
{
	struct capture *j;

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


void capture_ignore(struct capture *j, const struct sa *addr)
{
	if (!j || !addr || j->ignorec >= ARRAY_SIZE(j->ignorev))
		return;

	j->ignorev[j->ignorec++] = *addr;
}


bool capture_ignored(const struct capture *j, const struct sa *addr)
{
	for (size_t i = 0; j && addr && i < j->ignorec; i++) {
		if (sa_cmp(&j->ignorev[i], addr, SA_ALL))
			return true;
	}

	return false;
}


int capture_probe_add(struct capture *j, const char *method,
		      const char *label, const char *callid)
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


static void reg_request(struct capture *j, const struct sip_msg *msg,
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


static void reg_response(struct capture *j, const struct sip_msg *msg,
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


static struct jcall *call_find(struct capture *j, const struct pl *callid)
{
	for (size_t i = j->callc; i-- > 0;) {
		if (!pl_strcmp(callid, j->callv[i].callid))
			return &j->callv[i];
	}

	return NULL;
}


static void invite_out(struct capture *j, const struct sip_msg *msg,
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


static void call_response(struct capture *j, const struct sip_msg *msg,
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
			codecs_of_sdp(c->codecs, sizeof(c->codecs), b, n);
			sdp_sec_of(c->proto, sizeof(c->proto), c->crypto,
				   sizeof(c->crypto), b, n);
		}
	}

	if (!c->final) {
		c->final = msg->scode;
		c->final_t = now;
	}
}


static void registrar_request(struct capture *j, const struct sip_msg *msg,
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


/* the direction an SDP body asks for (RFC 3264 6.1; c=0.0.0.0 is the
 * older hold, RFC 2543) */
static void sdp_dir(char *buf, size_t sz, const char *b, size_t n)
{
	static const char *const dirv[] = {"sendonly", "recvonly",
					   "inactive"};

	str_ncpy(buf, "sendrecv", sz);
	for (size_t i = 0; i < ARRAY_SIZE(dirv); i++) {
		char line[16];

		(void)re_snprintf(line, sizeof(line), "a=%s", dirv[i]);
		if (memmem(b, n, line, strlen(line)))
			str_ncpy(buf, dirv[i], sz);
	}
	if (memmem(b, n, "c=IN IP4 0.0.0.0", 16))
		str_ncpy(buf, "inactive", sz);
}


/* an SDP offer or a DTMF INFO of the phone's (struct jmreq) */
static void media_request(struct capture *j, const struct sip_msg *msg,
			  bool in_call, uint64_t now)
{
	const char *b = (const char *)mbuf_buf(msg->mb);
	size_t n = mbuf_get_left(msg->mb);
	bool sdp = n && msg_ctype_cmp(&msg->ctyp, "application", "sdp");
	bool info = !pl_strcmp(&msg->met, "INFO");
	struct jmreq *q;

	if (!sdp && !info)
		return;

	for (size_t i = 0; i < j->mreqc; i++) {
		if (!pl_strcmp(&msg->callid, j->mreqv[i].callid) &&
		    !pl_strcmp(&msg->met, j->mreqv[i].method) &&
		    msg->cseq.num == j->mreqv[i].cseq)
			return;
	}

	q = grow((void **)&j->mreqv, &j->mreqc, &j->mreqcap, sizeof(*q));
	if (!q)
		return;

	q->t = now;
	plcpy(q->method, sizeof(q->method), &msg->met);
	plcpy(q->callid, sizeof(q->callid), &msg->callid);
	q->cseq = msg->cseq.num;
	q->in_call = in_call;
	q->sdp = sdp;
	if (sdp) {
		codecs_of_sdp(q->codecs, sizeof(q->codecs), b, n);
		sdp_dir(q->dir, sizeof(q->dir), b, n);
		q->savp = memmem(b, n, "RTP/SAVP", 8) != NULL;
		sdp_sec_of(q->proto, sizeof(q->proto), q->crypto,
			   sizeof(q->crypto), b, n);
	}
	if (msg->ctyp.type.p)
		(void)re_snprintf(q->ctype, sizeof(q->ctype), "%r/%r",
				  &msg->ctyp.type, &msg->ctyp.subtype);
}


static void phone_request(struct capture *j, const struct sip_msg *msg,
			  uint64_t now)
{
	struct jcall *c = call_find(j, &msg->callid);
	struct jreq *q;

	if (!pl_strcmp(&msg->met, "INVITE") ||
	    !pl_strcmp(&msg->met, "UPDATE") || !pl_strcmp(&msg->met, "INFO"))
		media_request(j, msg, c != NULL, now);

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


static void refer_answer(struct capture *j, const struct sip_msg *msg)
{
	struct jcall *c = call_find(j, &msg->callid);

	if (c && !pl_strcmp(&msg->cseq.met, "REFER") && msg->scode >= 200 &&
	    !c->refer_scode)
		c->refer_scode = msg->scode;
}


static bool probe_response(struct capture *j, const struct sip_msg *msg)
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


void capture_trace(struct capture *j, bool tx, int tp,
		   const struct sa *src, const struct sa *dst,
		   const uint8_t *pkt, size_t len)
{
	struct sip_msg *msg = NULL;
	uint64_t now = tmr_jiffies();

	if (!j || !pkt || !len)
		return;

	if (capture_ignored(j, tx ? dst : src))
		return;

	if (msgkeep_decode_bytes(&msg, pkt, len))
		return;

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
}


/* ------------------------------------------------------------ queries */

size_t capture_regc(const struct capture *j)
{
	return j ? j->regc : 0;
}


const struct jreg *capture_reg(const struct capture *j, size_t i)
{
	return j && i < j->regc ? &j->regv[i] : NULL;
}


size_t capture_callc(const struct capture *j)
{
	return j ? j->callc : 0;
}


const struct jcall *capture_call(const struct capture *j, size_t i)
{
	return j && i < j->callc ? &j->callv[i] : NULL;
}


const struct jcall *capture_call_by_id(const struct capture *j,
				     const char *callid)
{
	for (size_t i = 0; j && callid && i < j->callc; i++) {
		if (!strcmp(j->callv[i].callid, callid))
			return &j->callv[i];
	}

	return NULL;
}


size_t capture_probec(const struct capture *j)
{
	return j ? j->probec : 0;
}


const struct jprobe *capture_probe(const struct capture *j, size_t i)
{
	return j && i < j->probec ? &j->probev[i] : NULL;
}


size_t capture_reqc(const struct capture *j)
{
	return j ? j->reqc : 0;
}


const struct jreq *capture_req(const struct capture *j, size_t i)
{
	return j && i < j->reqc ? &j->reqv[i] : NULL;
}


size_t capture_mreqc(const struct capture *j)
{
	return j ? j->mreqc : 0;
}


const struct jmreq *capture_mreq(const struct capture *j, size_t i)
{
	return j && i < j->mreqc ? &j->mreqv[i] : NULL;
}


const struct jreg *capture_first(const struct capture *j)
{
	return capture_reg(j, 0);
}


const struct jreg *capture_first_ok(const struct capture *j)
{
	for (size_t i = 0; j && i < j->regc; i++) {
		const struct jreg *r = &j->regv[i];

		if (r->scode >= 200 && r->scode < 300 && r->has_contact &&
		    !r->removal)
			return r;
	}

	return NULL;
}


long capture_last_ok(const struct capture *j, size_t before)
{
	for (size_t i = before; j && i-- > 0;) {
		const struct jreg *r = &j->regv[i];

		if (r->scode >= 200 && r->scode < 300 && r->has_contact &&
		    !r->removal)
			return (long)i;
	}

	return -1;
}


bool capture_phone_addr(const struct capture *j, struct sa *sa)
{
	if (!j || !j->has_phone)
		return false;

	if (sa)
		*sa = j->phone;

	return true;
}


/* ------------------------------------------------------------ verdicts */



const char *capture_user(const struct capture *j)
{
	return j ? j->user : "";
}


const char *capture_domain(const struct capture *j)
{
	return j ? j->domain : "";
}
