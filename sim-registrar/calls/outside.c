/**
 * @file calls/outside.c  The outside network (pstn.h) as the B2BUA sees it:
 * a number a Dial reaches is a branch (CALL-OUT-6); a call from it runs the
 * number's application (calls_outside), its caller hangs up (calls_hangup).
 */

#include <string.h>
#include <re.h>
#include "config.h"
#include "twiml.h"
#include "pstn.h"
#include "calls/calls_priv.h"


static void pstn_handler(enum pstn_event ev, void *arg);


/* CALL-OUT-6: a number of the outside network */
int branch_pstn_start(struct dial *d, const char *number)
{
	struct call *c = d->call;
	struct branch *b;
	int err;

	err = branch_alloc(&b, c->cs, BR_PSTN, number);
	if (err)
		return err;

	err = pstn_dial(&b->pc, c->cs->pstn, c->sid, d->caller_id, number,
			pstn_handler, b);
	if (err) {
		mem_deref(b);
		return err;
	}

	list_append(&d->brl, &b->le, b);
	b->dial = d;
	d->pstnc++;
	d->pending++;

	return 0;
}


static void pstn_handler(enum pstn_event ev, void *arg)
{
	struct branch *b = arg;
	struct dial *d = b->dial;

	switch (ev) {

	case PSTN_EV_RINGING:
		b->state = BR_PROCEEDING;
		if (d)
			dial_ringing(d, b);
		break;

	case PSTN_EV_ANSWERED:
		b->state = BR_ANSWERED;
		b->scode = 200;
		if (d)
			dial_answered(d, b);
		break;

	case PSTN_EV_BUSY:
		b->state = BR_FAILED;
		b->scode = 486;
		pstn_hangup(b->pc);
		b->pc = NULL;
		if (d)
			dial_branch_final(d, b);
		break;

	case PSTN_EV_HANGUP:
		/* the far end of a connected call hung up */
		if (b->call)
			call_hangup(b->call, "callee");
		break;
	}
}


int calls_outside(struct calls *cs, const char *from, const char *to,
		  call_event_h *h, void *arg, char *sid, size_t sz)
{
	const struct number_conf *num;
	struct call *c;
	int err;

	if (!cs || !from || !to || !from[0])
		return EINVAL;

	for (const char *p = from; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '@' || *p == '\\' || *p == ';')
			return EINVAL;
	}

	num = reg_config_number(cs->base.cfg, to);
	if (!num) {
		char e164[24];

		/* "4155550199" is "+14155550199" too */
		if (twiml_e164(e164, sizeof(e164), to, strlen(to)))
			return ENOENT;
		num = reg_config_number(cs->base.cfg, e164);
		if (!num)
			return ENOENT;
		to = num->number;
	}

	err = call_alloc(&c, cs, from, to);
	if (err)
		return err;

	c->outside = true;
	c->app = num->app;
	c->h = h;
	c->arg = arg;

	list_append(&cs->calll, &c->le, c);
	tmr_start(&c->start, 0, app_start, c);

	if (sid && sz)
		str_ncpy(sid, c->sid, sz);

	call_notify(c);

	return 0;
}


int calls_hangup(struct calls *cs, const char *sid)
{
	struct call *c;

	if (!cs || !sid)
		return EINVAL;

	c = calls_find(cs, sid);
	if (!c || c->state == CALL_ENDED)
		return ENOENT;

	if (!c->outside)
		return EPROTO;

	if (c->state == CALL_ANSWERED) {
		call_hangup(c, "caller");
		return 0;
	}

	/* RING-6: CANCEL every branch */
	call_cancelled(c);

	return 0;
}
