/**
 * @file protocol.c  The protocol checker in `harness phone` (protocol.h)
 *
 * One wire (common/protocheck/wire.h) for the whole run: the registrar's
 * sockets named the reference service, the second phone a simulated
 * phone, and every other end (the phone under test, whatever ports it
 * uses) the element under test.  A finding belongs to the step that was
 * running when its message crossed the wire (the first registration,
 * before any step, to the first).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "protocheck/protocheck.h"
#include "protocheck/wire.h"
#include "phone/pack.h"
#include "phone/session.h"
#include "phone/protocol.h"

struct pm_proto {
	struct wire *wire;
	size_t *msgv;          /* SIP messages seen when step i began     */
	size_t stepc;
	size_t total;          /* SIP messages, at the end                */
	bool finished;
};


static void proto_destructor(void *data)
{
	struct pm_proto *p = data;

	mem_deref(p->wire);
	mem_deref(p->msgv);
}


int pm_protocol_start(struct pm *pm)
{
	struct pm_proto *p;
	int err;

	p = mem_zalloc(sizeof(*p), proto_destructor);
	if (!p)
		return ENOMEM;

	/* no ladder from the wire here: the report's messages are the
	 * registrar's trace (listen.c); the checker reads them alone */
	err = wire_alloc(&p->wire, NULL, NULL, NULL);
	if (!err)
		err = wire_others(p->wire, "phone",
				  PC_ROLE_UNDER_TEST);
	if (err) {
		mem_deref(p);
		return err;
	}

	wire_where(p->wire, "the first registration", 0);
	pm->proto = p;

	return 0;
}


void pm_protocol_name_service(struct pm *pm)
{
	static const int tpv[] = {SIP_TRANSP_UDP, SIP_TRANSP_TCP,
				  SIP_TRANSP_TLS};

	if (!pm->proto)
		return;

	for (size_t i = 0; i < ARRAY_SIZE(tpv); i++) {
		struct sa laddr;

		if (!sim_registrar_laddr(pm->sr, tpv[i], &laddr))
			(void)wire_name(pm->proto->wire, &laddr, "service",
					PC_ROLE_SERVICE, false, NULL);
	}
}


void pm_protocol_name_simphone(struct pm *pm, const struct sa *addr,
			       const char *name)
{
	if (pm->proto)
		(void)wire_name(pm->proto->wire, addr, name, PC_ROLE_SIMPHONE,
				false, NULL);
}


void pm_protocol_step(struct pm *pm, size_t i)
{
	struct pm_proto *p = pm->proto;
	void *v;

	if (!p || i != p->stepc)
		return;

	/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
	v = p->msgv ? mem_realloc(p->msgv, (i + 1) * sizeof(*p->msgv)) :
		mem_zalloc(sizeof(*p->msgv), NULL);
	if (!v)
		return;
	p->msgv = v;

	p->msgv[i] = wire_sip_count(p->wire);
	p->stepc = i + 1;

	/* a finding names the pack file of the step it happened in */
	wire_where(p->wire, pm->resv[i].st->file, 0);
}


void pm_protocol_trace(struct pm *pm, int tp, const struct sa *src,
		       const struct sa *dst, const uint8_t *pkt, size_t len)
{
	/* UDP and TCP: the tap saw them on the wire already */
	if (pm->proto && tp == SIP_TRANSP_TLS)
		wire_feed_sip(pm->proto->wire, pkt, len, src, dst);
}


static void count_h(const struct pc_finding *f, void *arg)
{
	struct pm_protocol_counts *c = arg;
	bool fails = run_finding_fails(f);
	const char *level = fails ? "FAIL" :
		f->role == PC_ROLE_UNDER_TEST ? "WARN" : "INFO";

	++c->findings;
	if (f->role == PC_ROLE_SERVICE)
		++c->service;
	else if (f->role == PC_ROLE_UNDER_TEST && fails)
		++c->phone_fails;
	else if (f->role == PC_ROLE_UNDER_TEST)
		++c->phone_warns;

	pm_say("%s %s (%s): %s%s %s in %s: expected %s, got %s\n", level,
	    f->row ? f->row->id : "?", f->row ? f->row->ref : "?",
	    f->role == PC_ROLE_SERVICE ? "a bug of sipconform: " : "",
	    protocheck_role_name(f->role), f->element, f->where,
	    f->expected, f->actual);
}


void pm_protocol_finish(struct pm *pm, struct pm_protocol_counts *c)
{
	struct pm_proto *p = pm->proto;

	memset(c, 0, sizeof(*c));
	if (!p)
		return;

	if (!p->finished) {
		wire_finish(p->wire);
		p->total = wire_sip_count(p->wire);
		p->finished = true;
	}

	c->messages = p->total;
	pm_say("\nprotocol check: %zu SIP messages (TLS ones as decrypted)\n",
	    c->messages);
	protocheck_apply(wire_checker(p->wire), count_h, c);
	pm_say("protocol check: %zu finding(s): %zu FAIL and %zu WARN "
	    "against the phone under test, %zu against the reference "
	    "service\n", c->findings, c->phone_fails, c->phone_warns,
	    c->service);
}


/* the step a finding's message belongs to: the one whose file the wire
 * named when the message crossed it (before any: the first) */
static size_t step_of(const struct pm *pm, const char *where)
{
	for (size_t i = 0; where && i < pm->proto->stepc; i++) {
		if (!strcmp(pm->resv[i].st->file, where))
			return i;
	}

	return 0;
}


struct result_arg {
	const struct pm *pm;
	size_t step;
	struct run_result *res;
	const struct pc_finding *service;    /* the first against us     */
	const struct pc_finding *fail;       /* the first failing MUST   */
};


static void result_h(const struct pc_finding *f, void *arg)
{
	struct result_arg *a = arg;
	const struct run_finding *rf;

	if (step_of(a->pm, f->where) != a->step)
		return;

	rf = run_finding_add(a->res, f);
	if (!rf || !rf->fails)
		return;

	if (f->role == PC_ROLE_SERVICE && !a->service)
		a->service = f;
	else if (f->role != PC_ROLE_SERVICE && !a->fail)
		a->fail = f;
}


static int why(char **whyp, const char *lead, const struct pc_finding *f,
	       const char *before)
{
	char *s = NULL;
	int err;

	err = re_sdprintf(&s, "%sprotocol check %s (%s): %s %s: expected %s, "
			  "got %s%s%s", lead, f->row ? f->row->id : "?",
			  f->row ? f->row->ref : "?",
			  protocheck_role_name(f->role), f->element,
			  f->expected, f->actual, before ? "; " : "",
			  before ? before : "");
	if (err)
		return err;

	mem_deref(*whyp);
	*whyp = s;

	return 0;
}


int pm_protocol_result(struct pm *pm, size_t i, struct run_result *res)
{
	const struct pm_proto *p = pm->proto;
	struct result_arg a;
	int err = 0;

	if (!p || !p->finished || !res)
		return 0;

	memset(&a, 0, sizeof(a));
	a.pm = pm;
	a.step = i;
	a.res = res;

	if (i < p->stepc)
		res->wire_msgs = (i + 1 < p->stepc ? p->msgv[i + 1] :
				  p->total) - (i ? p->msgv[i] : 0);

	protocheck_apply(wire_checker(p->wire), result_h, &a);

	/* our own bug first: the phone's verdict cannot be trusted then */
	if (a.service) {
		res->verdict = VERDICT_ERROR;
		err = why(&res->why, "a bug of sipconform's reference "
			  "service, not of the phone: ", a.service, res->why);
		res->line = 1;
	}
	else if (a.fail && res->verdict != VERDICT_FAIL) {
		res->verdict = VERDICT_FAIL;
		err = why(&res->why, "", a.fail, NULL);
		res->line = 1;
		res->rule = mem_deref(res->rule);
		err |= str_dup(&res->rule, a.fail->row ? a.fail->row->id :
			       "?");
		if (res->stepc)
			res->stepv[0].verdict = VERDICT_FAIL;
	}

	return err;
}


void pm_protocol_stop(struct pm *pm)
{
	pm->proto = mem_deref(pm->proto);
}
