/**
 * @file pstn.c  The simulated outside network
 *
 * A record outlives its call: the live pstn_call points at its record,
 * the network keeps the records (at most MAX_RECORDS, oldest dropped).
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "pstn.h"

enum { MAX_RECORDS = 1024 };

struct pstn {
	const struct reg_config *cfg;
	struct list recl;             /* struct rec, oldest first           */
	uint32_t recc;
};

struct rec {
	struct le le;
	struct pstn_record r;
	struct pstn_call *pc;         /* the live call, NULL once ended     */
	char *call;
	char *to;
	char *from;
};

struct pstn_call {
	struct rec *rec;              /* referenced                         */
	struct pstn_number_conf conf;
	struct vtimer vt;
	pstn_event_h *h;
	void *arg;
};


static void rec_destructor(void *data)
{
	struct rec *rec = data;

	list_unlink(&rec->le);
	mem_deref(rec->call);
	mem_deref(rec->to);
	mem_deref(rec->from);
}


static void pstn_destructor(void *data)
{
	struct pstn *p = data;

	/* live calls keep their records: detach them from the list */
	while (p->recl.head) {
		struct rec *rec = p->recl.head->data;

		list_unlink(&rec->le);
		mem_deref(rec);
	}
}


int pstn_alloc(struct pstn **pp, const struct reg_config *cfg)
{
	struct pstn *p;

	if (!pp || !cfg)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), pstn_destructor);
	if (!p)
		return ENOMEM;

	p->cfg = cfg;
	*pp = p;

	return 0;
}


void pstn_reset(struct pstn *p)
{
	if (!p)
		return;

	while (p->recl.head) {
		struct rec *rec = p->recl.head->data;

		list_unlink(&rec->le);
		mem_deref(rec);
	}

	p->recc = 0;
}


static void call_destructor(void *data)
{
	struct pstn_call *pc = data;

	vtimer_cancel(&pc->vt);
	if (pc->rec)
		pc->rec->pc = NULL;
	mem_deref(pc->rec);
}


static void finish(struct pstn_call *pc, enum pstn_state st,
		   const char *by)
{
	pc->rec->r.state = st;
	pc->rec->r.ended = vclock_now();
	pc->rec->r.ended_by = by;
}


static void hangup_handler(void *arg)
{
	struct pstn_call *pc = arg;

	finish(pc, PSTN_ST_COMPLETED, "callee");
	pc->h(PSTN_EV_HANGUP, pc->arg);
}


static void answer_handler(void *arg)
{
	struct pstn_call *pc = arg;

	pc->rec->r.state = PSTN_ST_ANSWERED;
	pc->rec->r.answered = vclock_now();

	if (pc->conf.hangup_after)
		vtimer_start(&pc->vt, (uint64_t)pc->conf.hangup_after * 1000,
			     hangup_handler, pc);

	pc->h(PSTN_EV_ANSWERED, pc->arg);
}


static void first_handler(void *arg)
{
	struct pstn_call *pc = arg;

	if (pc->conf.behaviour == PSTN_BUSY) {
		finish(pc, PSTN_ST_BUSY, NULL);
		pc->h(PSTN_EV_BUSY, pc->arg);
		return;
	}

	pc->rec->r.state = PSTN_ST_RINGING;

	if (pc->conf.behaviour == PSTN_ANSWER)
		vtimer_start(&pc->vt, (uint64_t)pc->conf.after * 1000,
			     answer_handler, pc);

	pc->h(PSTN_EV_RINGING, pc->arg);
}


int pstn_dial(struct pstn_call **pcp, struct pstn *p, const char *call,
	      const char *from, const char *to, pstn_event_h *h, void *arg)
{
	const struct pstn_number_conf *nc;
	struct pstn_call *pc;
	struct rec *rec;
	int err;

	if (!pcp || !p || !to || !h)
		return EINVAL;

	nc = reg_config_pstn(p->cfg, to);

	rec = mem_zalloc(sizeof(*rec), rec_destructor);
	if (!rec)
		return ENOMEM;

	err  = str_dup(&rec->call, call ? call : "");
	err |= str_dup(&rec->to, to);
	err |= str_dup(&rec->from, from ? from : "");
	if (err) {
		mem_deref(rec);
		return ENOMEM;
	}

	pc = mem_zalloc(sizeof(*pc), call_destructor);
	if (!pc) {
		mem_deref(rec);
		return ENOMEM;
	}

	rec->r.call = rec->call;
	rec->r.to = rec->to;
	rec->r.from = rec->from;
	rec->r.behaviour = nc->behaviour;
	rec->r.state = PSTN_ST_DIALLING;
	rec->r.started = vclock_now();

	if (p->recc >= MAX_RECORDS) {
		struct rec *old = p->recl.head->data;

		list_unlink(&old->le);
		mem_deref(old);
		p->recc--;
	}
	list_append(&p->recl, &rec->le, rec);
	p->recc++;

	/* the list holds one reference, the live call another */
	pc->rec = mem_ref(rec);
	pc->conf = *nc;
	pc->h = h;
	pc->arg = arg;
	rec->pc = pc;

	vtimer_init(&pc->vt);
	vtimer_start(&pc->vt, 0, first_handler, pc);

	*pcp = pc;

	return 0;
}


void pstn_hangup(struct pstn_call *pc)
{
	if (!pc)
		return;

	switch (pc->rec->r.state) {

	case PSTN_ST_DIALLING:
	case PSTN_ST_RINGING:
		finish(pc, PSTN_ST_CANCELLED, "caller");
		break;

	case PSTN_ST_ANSWERED:
		finish(pc, PSTN_ST_COMPLETED, "caller");
		break;

	default:
		break;
	}

	mem_deref(pc);
}


const struct pstn_record *pstn_call_record(const struct pstn_call *pc)
{
	return pc ? &pc->rec->r : NULL;
}


void pstn_apply(const struct pstn *p, pstn_record_h *h, void *arg)
{
	if (!p || !h)
		return;

	for (struct le *le = p->recl.head; le; le = le->next) {
		const struct rec *rec = le->data;

		if (h(&rec->r, arg))
			break;
	}
}


uint32_t pstn_count(const struct pstn *p)
{
	return p ? p->recc : 0;
}


const char *pstn_state_name(enum pstn_state st)
{
	switch (st) {

	case PSTN_ST_DIALLING:  return "dialling";
	case PSTN_ST_RINGING:   return "ringing";
	case PSTN_ST_ANSWERED:  return "answered";
	case PSTN_ST_BUSY:      return "busy";
	case PSTN_ST_CANCELLED: return "cancelled";
	case PSTN_ST_COMPLETED: return "completed";
	default:                return "?";
	}
}


const char *pstn_behaviour_name(enum pstn_behaviour b)
{
	switch (b) {

	case PSTN_ANSWER: return "answer";
	case PSTN_BUSY:   return "busy";
	case PSTN_RING:   return "ring";
	default:          return "?";
	}
}
