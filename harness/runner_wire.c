/**
 * @file runner_wire.c  A run's wire: every packet recorded as it crossed
 * the wire, every SIP message checked by the protocol checker, and the
 * findings that fail the scenario (a finding against the reference
 * service, or against a simulated phone that was not told to misbehave,
 * is a bug of ours; against the element under test, a MUST fails it).
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "vclock.h"
#include "scenario.h"
#include "phone.h"
#include "protocheck/protocheck.h"
#include "protocheck/wire.h"
#include "runner.h"
#include "runner_int.h"


void rn_record_msg(struct runner *r, const struct rn_record *rec)
{
	struct run_result *res = r->res;
	const struct sip_msg *m = rec->msg;
	struct run_msg *rm;
	void *v;

	if (!r->opts->record)
		return;

	if (res->msgc >= RUN_MSG_MAX) {
		res->msgs_dropped++;
		return;
	}

	v = rn_grow(res->msgv, &r->msgcap, res->msgc, sizeof(*res->msgv));
	if (!v)
		return;
	res->msgv = v;

	rm = &res->msgv[res->msgc];
	memset(rm, 0, sizeof(*rm));
	rm->wall_us = rec->wall_us;
	rm->virtual_ms = vclock_offset();
	rm->phone = rec->phone;
	rm->from_phone = rec->from_phone;
	rm->retrans = rec->retrans;
	rm->src = *rec->src;
	rm->dst = *rec->dst;
	rm->tp = rec->tp;
	rm->line = r->cur_line;

	if (re_sdprintf(&rm->text, "%b", rec->buf, rec->len))
		return;

	if (!m)
		(void)str_dup(&rm->summary, "(undecodable)");
	else if (m->req)
		(void)re_sdprintf(&rm->summary, "%r", &m->met);
	else {
		char rb[24];

		(void)re_sdprintf(&rm->summary, "%u %r", m->scode,
				  &m->reason);
		/* in-process only (a control API call per message is dear),
		 * and only the registrar's answers have a decision */
		if (r->sr && !rec->from_phone &&
		    rn_decision_of(r, m, rb, sizeof(rb)))
			(void)re_snprintf(rm->rule, sizeof(rm->rule), "%s",
					  rb);
	}

	res->msgc++;
}


static void sip_handler(const struct wire_sip *ws, void *arg)
{
	struct runner *r = arg;
	const struct rphone *rp;
	struct rn_record rec;

	/* TLS, decrypted from the service's trace, is checked; the ladder
	 * keeps it as the phone saw it (runner_phones.c), which includes
	 * what the service never read (a BYE as the run ends) */
	if (!r->opts->record || ws->decrypted)
		return;

	/* the ladder's two ends: a phone, and the registrar (ours or not) */
	rec.from_phone = ws->from->role == PC_ROLE_SIMPHONE ||
		ws->to->role == PC_ROLE_SERVICE ||
		ws->to->role == PC_ROLE_UNDER_TEST;
	rec.msg = ws->msg;
	rec.buf = ws->buf;
	rec.len = ws->len;
	/* the scenario's own name string: it outlives the wire */
	rp = rec.from_phone ? ws->from_tag : ws->to_tag;
	rec.phone = rp ? rp->sp->name : "peer";
	rec.retrans = ws->retrans;
	rec.src = ws->src;
	rec.dst = ws->dst;
	rec.tp = ws->tcp ? SIP_TRANSP_TCP : SIP_TRANSP_UDP;
	rec.wall_us = ws->real_us;

	rn_record_msg(r, &rec);
}


static void pkt_handler(const struct wire_pkt *wp, void *arg)
{
	struct runner *r = arg;
	struct run_result *res = r->res;
	struct run_pkt *rp;
	void *v;

	if (!r->opts->record)
		return;

	if (res->pktc >= RUN_PKT_MAX) {
		res->pkts_dropped++;
		return;
	}

	v = rn_grow(res->pktv, &r->pktcap, res->pktc, sizeof(*res->pktv));
	if (!v)
		return;
	res->pktv = v;

	rp = &res->pktv[res->pktc];
	rp->wall_us = wp->real_us;
	rp->src = *wp->src;
	rp->dst = *wp->dst;
	rp->len = wp->len;
	rp->data = mem_alloc(wp->len, NULL);
	if (!rp->data)
		return;
	memcpy(rp->data, wp->buf, wp->len);

	res->pktc++;
}


int rn_wire_start(struct runner *r)
{
	int err = wire_alloc(&r->wire, sip_handler, pkt_handler, r);

	if (!err) {
		/* the reports read decoded messages; without them the
		 * checker's quick reader is enough */
		wire_set_decode(r->wire, r->opts->record);
		rn_wire_where(r);
	}

	return err;
}


void rn_wire_name_service(struct runner *r)
{
	bool target = r->opts->target != NULL;

	for (size_t i = 0; i < ARRAY_SIZE(r->reg_addr); i++) {
		if (!sa_isset(&r->reg_addr[i], SA_ALL))
			continue;
		(void)wire_name(r->wire, &r->reg_addr[i],
				target ? "registrar under test" : "service",
				target ? PC_ROLE_UNDER_TEST : PC_ROLE_SERVICE,
				false, NULL);
	}
}


/* a phone told to break a rule on purpose: its findings are expected */
bool rn_phone_misbehaves(const struct sc_phone *sp)
{
	static const struct phone_conf plain;
	const struct phone_conf *c = &sp->conf;

	return sp->has_link || sp->faulted ||
		c->callid != plain.callid || c->cseq != plain.cseq ||
		c->cseq_start != plain.cseq_start ||
		c->auth != plain.auth || c->auth_replay ||
		c->auth_header != plain.auth_header || c->extra ||
		c->refresh != plain.refresh || c->answer != plain.answer;
}


void rn_wire_name_phone(struct runner *r, const struct rphone *rp)
{
	const struct sa *laddr = phone_laddr(rp->phone);

	if (laddr)
		(void)wire_name(r->wire, laddr, rp->sp->name,
				PC_ROLE_SIMPHONE, rn_phone_misbehaves(rp->sp),
				rp);
}


void rn_wire_tls(bool tx, int tp, const struct sa *src, const struct sa *dst,
		 const uint8_t *pkt, size_t len, void *arg)
{
	struct runner *r = arg;

	(void)tx;
	if (r && tp == SIP_TRANSP_TLS)
		wire_feed_sip(r->wire, pkt, len, src, dst);
}


void rn_wire_where(struct runner *r)
{
	wire_where(r->wire, r->sc->file, r->cur_line);
}


bool run_finding_fails(const struct pc_finding *f)
{
	switch (f->role) {

	case PC_ROLE_SERVICE:    return true;
	case PC_ROLE_SIMPHONE:   return !f->misbehaves;
	case PC_ROLE_UNDER_TEST: return f->row && f->row->level == PC_MUST;
	default:                 return false;
	}
}


struct run_finding *run_finding_add(struct run_result *res,
				    const struct pc_finding *f)
{
	struct run_finding *rf;
	const char *colon;
	void *v;

	if (!res || !f || res->findingc >= RUN_FINDING_MAX)
		return NULL;

	/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
	v = res->findingv ?
		mem_realloc(res->findingv, (res->findingc + 1) * sizeof(*rf)) :
		mem_zalloc(sizeof(*rf), NULL);
	if (!v)
		return NULL;
	res->findingv = v;

	rf = &res->findingv[res->findingc++];
	memset(rf, 0, sizeof(*rf));
	rf->row = f->row;
	rf->role = f->role;
	rf->fails = run_finding_fails(f);
	(void)str_dup(&rf->element, f->element);
	(void)str_dup(&rf->where, f->where);
	(void)str_dup(&rf->expected, f->expected);
	(void)str_dup(&rf->actual, f->actual);
	colon = f->where ? strrchr(f->where, ':') : NULL;
	rf->line = colon ? (unsigned)atoi(colon + 1) : 0;

	return rf;
}


static void finding_handler(const struct pc_finding *f, void *arg)
{
	struct runner *r = arg;
	const struct run_finding *rf = run_finding_add(r->res, f);

	if (rf && rf->fails)
		(void)rn_set_verdict(r, VERDICT_FAIL, rf->line,
				     f->row ? f->row->id : NULL,
				     "protocol check %s (%s): %s %s: expected "
				     "%s, got %s",
				     f->row ? f->row->id : "?",
				     f->row ? f->row->ref : "?",
				     protocheck_role_name(f->role),
				     f->element, f->expected, f->actual);
}


void rn_wire_finish(struct runner *r)
{
	if (!r->wire)
		return;

	wire_finish(r->wire);
	r->res->wire_msgs = wire_sip_count(r->wire);
	protocheck_apply(wire_checker(r->wire), finding_handler, r);
}
