/**
 * @file calls/dial.c  One <Dial>: CALL-OUT-4/5 before anything rings, every
 * noun at once (RING-1: every binding of an AOR; numbers: CALL-OUT-6), the
 * timeout (RING-5), the first 2xx wins and the others get CANCEL (RING-2),
 * and when all fail the best answer per RFC 3261 16.7 (RING-4, RING-7).
 */

#include <ctype.h>
#include <string.h>
#include <re.h>
#include "config.h"
#include "aor.h"
#include "location.h"
#include "twiml.h"
#include "pstn.h"
#include "calls/calls_priv.h"


static void dial_destructor(void *data)
{
	struct dial *d = data;

	vtimer_cancel(&d->timeout);

	/* SIP branches finish on their own; PSTN ones go with the dial */
	while (d->brl.head) {
		struct branch *b = d->brl.head->data;

		list_unlink(&b->le);
		b->dial = NULL;

		if (b->kind == BR_PSTN)
			mem_deref(b);
	}

	mem_deref(d->callid);
	mem_deref(d->caller_id);
}


/* the branches that neither answered nor failed: the ones a CANCEL
 * goes to when the Dial ends now */
uint32_t dial_unanswered(const struct dial *d)
{
	uint32_t n = 0;

	for (struct le *le = d ? d->brl.head : NULL; le; le = le->next) {
		const struct branch *b = le->data;

		if (b->state < BR_ANSWERED)
			n++;
	}

	return n;
}


/* end the dial: every pending branch is CANCELled (with reason, or
 * none) */
void dial_stop(struct call *c, const char *reason)
{
	struct dial *d = c->dial;

	if (!d)
		return;

	c->dial = NULL;

	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *b = le->data;

		if (b->state < BR_ANSWERED)
			branch_cancel(b, reason);
	}

	mem_deref(d);
}


/* RFC 3261 16.7 step 6, with the service's choices (RING-4, RING-7) */
void dial_record(struct dial *d, uint16_t scode, bool sip)
{
	d->finals++;

	if (sip && scode >= 300 && scode < 400) {
		d->redirects++;
		scode = 480;          /* not followed: unreachable (RING-7) */
	}

	/* the first 6xx wins; else the lowest class, and in it the lowest
	 * code, so 486 stays only when everybody was busy */
	if (d->best >= 600)
		return;

	if (scode >= 600 || !d->best || scode / 100 < d->best / 100 ||
	    (scode / 100 == d->best / 100 && scode < d->best))
		d->best = scode;
}


static const char *reason_of(uint16_t scode)
{
	switch (scode) {

	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  return scode >= 600 ? "Global Failure" :
			scode >= 500 ? "Server Error" : "Request Failure";
	}
}


/* the Dial did not connect: the application goes on with its next verb */
static void dial_done(struct call *c, enum rule_id id, uint16_t scode,
		      const char *reason, const char *detail)
{
	if (!scode)
		reg_config_reply(c->cs->base.cfg, id, &scode, &reason, NULL,
				 NULL);

	c->dial_rule = id;
	c->dial_scode = scode;
	str_ncpy(c->dial_reason, reason ? reason : reason_of(scode),
		 sizeof(c->dial_reason));

	call_decide(c, c->cs, NULL, id, scode, reason, detail);

	dial_stop(c, NULL);
	vtimer_start(&c->vt, 0, app_next, c);
}


void dial_branch_final(struct dial *d, struct branch *b)
{
	struct call *c = d->call;
	const bool sip = b->kind == BR_SIP;
	char detail[256];

	d->pending--;
	dial_record(d, b->scode, sip);

	if (sip && b->scode >= 300 && b->scode < 400) {
		(void)re_snprintf(detail, sizeof(detail), "%s answered %u: "
				  "not followed", b->target, b->scode);
		call_decide(c, c->cs, NULL, RULE_RING_7, b->scode, NULL,
			    detail);
	}
	else if (!sip) {
		(void)re_snprintf(detail, sizeof(detail), "%s: %u %s",
				  b->target, b->scode, reason_of(b->scode));
		call_decide(c, c->cs, NULL, RULE_CALL_OUT_6, b->scode, NULL,
			    detail);
	}

	dial_check(d);
}


/* every branch failed: the best answer (RFC 3261 16.7) */
void dial_check(struct dial *d)
{
	struct call *c = d->call;
	char detail[256];
	enum rule_id id;
	uint16_t scode;

	if (d->pending)
		return;

	scode = d->best ? d->best : 408;
	if (scode == 503)
		scode = 500;             /* R-FORK-08 */

	if (d->sipc && d->redirects == d->finals)
		id = RULE_RING_7;
	else if (!d->sipc)
		id = RULE_CALL_OUT_6;
	else
		id = RULE_RING_4;

	(void)re_snprintf(detail, sizeof(detail), "every branch failed "
			  "(%u of %u); best answer %u", d->finals,
			  d->sipc + d->pstnc, scode);

	dial_done(c, id, scode, reason_of(scode), detail);
}


void dial_ringing(struct dial *d, struct branch *b)
{
	(void)b;
	call_ringing(d->call);
}


void dial_answered(struct dial *d, struct branch *b)
{
	struct call *c = d->call;
	char detail[300];
	uint32_t others;

	/* this one is the call's now; the others lose (RING-2) */
	list_unlink(&b->le);
	b->dial = NULL;
	d->pending--;
	others = dial_unanswered(d);

	c->dial = NULL;
	for (struct le *le = d->brl.head; le; le = le->next) {
		struct branch *o = le->data;

		if (o->state < BR_ANSWERED)
			branch_cancel(o, o->kind == BR_SIP ?
				      REASON_ELSEWHERE : NULL);
	}
	mem_deref(d);

	if (b->kind == BR_SIP) {
		c->peer = b;
		b->call = c;
		b->leg.call = c;

		(void)re_snprintf(detail, sizeof(detail), "answered by %s; "
				  "CANCEL to %u other branch%s", b->target,
				  others, others == 1 ? "" : "es");
		call_answer(c, RULE_RING_2, b->target, detail);
		call_media_bridge(c);
		return;
	}

	/* the outside network answered: the branch is the call's now */
	c->pbranch = b;
	b->call = c;
	(void)re_snprintf(detail, sizeof(detail), "%s answered", b->target);
	call_answer(c, RULE_CALL_OUT_6, b->target, detail);
	call_media_bridge(c);
}


/* RING-5: nobody answered within the Dial timeout */
static void dial_timeout(void *arg)
{
	struct dial *d = arg;
	struct call *c = d->call;
	const uint32_t n = dial_unanswered(d);
	char detail[128];

	(void)re_snprintf(detail, sizeof(detail), "no answer within %u s; "
			  "CANCEL to %u branch%s", d->timeout_s, n,
			  n == 1 ? "" : "es");

	dial_done(c, d->sipc ? RULE_RING_5 : RULE_CALL_OUT_6, 480,
		  "Temporarily Unavailable", detail);
}


/* a <Sip> noun: every binding of its AOR (RING-1), never one twice */
struct ring_ctx {
	struct dial *d;
	const char *aor;
	char *seen[MAX_TARGETS];
	uint32_t seenc;
	uint32_t n;
	int err;
};


static bool binding_handler(const struct binding *bd, uint32_t domain,
			    void *arg)
{
	struct ring_ctx *rc = arg;
	const struct reg_config *cfg = rc->d->call->cs->base.cfg;
	const struct domain_conf *dom = domain < cfg->domainc ?
		&cfg->domainv[domain] : NULL;
	enum sip_transp tp = SIP_TRANSP_UDP;

	/* MEDIA-SRTP-1: a secure domain's phones are rung over TLS only */
	if (bd->transport && !strcmp(bd->transport, "TLS"))
		tp = SIP_TRANSP_TLS;
	if (!call_srtp_transport_ok(dom, tp))
		return false;

	for (uint32_t i = 0; i < rc->seenc; i++) {
		if (!strcmp(rc->seen[i], bd->key))
			return false;
	}

	if (rc->seenc >= MAX_TARGETS)
		return true;

	if (str_dup(&rc->seen[rc->seenc], bd->key))
		return true;
	rc->seenc++;

	rc->err = branch_sip_start(rc->d, bd->uri, bd, rc->aor);
	if (!rc->err)
		rc->n++;

	return rc->err != 0;
}


/* "alice@example...", "sip:alice@example...;transport=tcp": the AOR key */
static int sip_noun_aor(char **aorp, const struct reg_config *cfg,
			const char *target)
{
	struct uri uri;
	struct pl pl;
	char *s = NULL;
	int err;

	if (!strncasecmp(target, "sip:", 4) ||
	    !strncasecmp(target, "sips:", 5))
		err = str_dup(&s, target);
	else
		err = re_sdprintf(&s, "sip:%s", target);
	if (err)
		return err;

	pl_set_str(&pl, s);
	err = uri_decode(&uri, &pl);
	if (!err && (!pl_isset(&uri.user) ||
		     !reg_config_domain(cfg, uri.host.p, uri.host.l)))
		err = ENOENT;
	if (!err)
		err = aor_key(aorp, &uri);

	mem_deref(s);

	return err;
}


static bool caller_id_chars(const char *s)
{
	if (!s[0] || strlen(s) > 64)
		return false;

	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("+-._~*#", *s))
			return false;
	}

	return true;
}


/* one <Dial>: CALL-OUT-5 first, then every noun at once */
void dial_start(struct call *c, const struct twiml_verb *v)
{
	struct calls *cs = c->cs;
	const struct reg_config *cfg = cs->base.cfg;
	struct ring_ctx rc;
	struct mbuf *list = NULL;
	char detail[512];
	struct dial *d;
	bool numbers = false;
	int err = 0;

	/* CALL-OUT-4: every number must be one, before anything rings */
	for (size_t i = 0; i < v->nounc; i++) {
		const struct twiml_noun *n = &v->nounv[i];
		char num[24];

		if (n->kind != TWIML_NUMBER)
			continue;

		numbers = true;
		if (twiml_e164(num, sizeof(num), n->target,
			       strlen(n->target))) {
			(void)re_snprintf(detail, sizeof(detail), "'%s' is "
					  "not a phone number (E.164)",
					  n->target);
			call_fail(c, RULE_CALL_OUT_4, 0, NULL, detail);
			return;
		}
	}

	/* CALL-OUT-5: a number is shown a caller ID the account owns;
	 * an outside caller's own ID passes through when none is given */
	if (numbers && (v->caller_id || !c->outside)) {
		const char *cid = v->caller_id ? v->caller_id : c->from;

		if (!reg_config_caller_id_ok(cfg, cid)) {
			(void)re_snprintf(detail, sizeof(detail),
					  "callerId '%s' is neither verified "
					  "nor a number of the account", cid);
			call_fail(c, RULE_CALL_OUT_5, 0, NULL, detail);
			return;
		}
	}

	/* it goes into From headers: a SIP user part, nothing more */
	if (v->caller_id && !caller_id_chars(v->caller_id)) {
		(void)re_snprintf(detail, sizeof(detail), "callerId '%s' has "
				  "characters a caller ID cannot have",
				  v->caller_id);
		call_fail(c, RULE_CALL_OUT_5, 0, NULL, detail);
		return;
	}

	d = mem_zalloc(sizeof(*d), dial_destructor);
	if (!d)
		goto oom;

	d->call = c;
	vtimer_init(&d->timeout);
	c->dial = d;
	d->timeout_s = v->seconds ? v->seconds : cfg->profile.ring_timeout;
	calls_hex_id(detail, sizeof(detail));
	(void)re_snprintf(d->ltag, sizeof(d->ltag), "%b", detail + 16,
			  (size_t)16);
	err  = re_sdprintf(&d->callid, "%b@sipconform", detail, (size_t)24);
	err |= str_dup(&d->caller_id, v->caller_id ? v->caller_id :
		       caller_id_chars(c->from) ? c->from : "anonymous");
	list = mbuf_alloc(256);
	if (err || !list)
		goto oom;

	memset(&rc, 0, sizeof(rc));
	rc.d = d;

	for (size_t i = 0; i < v->nounc && !err; i++) {
		const struct twiml_noun *n = &v->nounv[i];
		char num[24];
		char *aor = NULL;

		if (n->kind == TWIML_NUMBER) {
			(void)twiml_e164(num, sizeof(num), n->target,
					 strlen(n->target));
			err = branch_pstn_start(d, num);
			if (!err) {
				const struct pstn_number_conf *pn =
					reg_config_pstn(cfg, num);

				(void)re_snprintf(detail, sizeof(detail),
						  "%s reaches the outside "
						  "network (%s)", num,
						  pstn_behaviour_name(
							  pn->behaviour));
				call_decide(c, cs, NULL, RULE_CALL_OUT_6, 0,
					    NULL, detail);
			}
			continue;
		}

		if (sip_noun_aor(&aor, cfg, n->target)) {
			(void)mbuf_printf(list, "%s%s: not an AOR of a "
					  "served domain", list->end ?
					  "; " : "", n->target);
			continue;
		}

		rc.aor = aor;
		rc.n = 0;
		location_apply(cs->base.loc, UINT32_MAX, aor, binding_handler,
			       &rc);
		err = rc.err;
		(void)mbuf_printf(list, "%s%s: %u binding%s", list->end ?
				  "; " : "", aor, rc.n, rc.n == 1 ? "" : "s");
		mem_deref(aor);
	}

	for (uint32_t i = 0; i < rc.seenc; i++)
		mem_deref(rc.seen[i]);

	if (err)
		goto oom;

	(void)re_snprintf(detail, sizeof(detail), "%b", list->buf,
			  list->end);
	mem_deref(list);
	list = NULL;

	if (!d->sipc && !d->pstnc) {
		/* RING-3: nobody to ring, no INVITE */
		dial_done(c, RULE_RING_3, 0, NULL, detail);
		return;
	}

	if (d->sipc) {
		char line[600];

		(void)re_snprintf(line, sizeof(line), "%u INVITE%s: %s",
				  d->sipc, d->sipc == 1 ? "" : "s", detail);
		call_decide(c, cs, NULL, RULE_RING_1, 0, NULL, line);
	}

	/* every branch may have failed at once (unreachable contacts) */
	if (!d->pending) {
		dial_check(d);
		return;
	}

	vtimer_start(&d->timeout, (uint64_t)d->timeout_s * 1000,
		     dial_timeout, d);
	return;

 oom:
	mem_deref(list);
	call_fail(c, RULE_COUNT, 500, "Server Internal Error", "out of "
		  "memory starting a Dial");
}
