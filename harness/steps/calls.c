/**
 * @file calls.c  Step kinds of calls, phone side: call, expect_call, ring,
 * answer, reject, ignore, cancel, hangup, refer, expect_cancel, expect_bye
 * (each acts on the phone's latest call)
 */

#include <errno.h>
#include <regex.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

/* `KIND: SEL`, or `KIND: {phones: SEL, ...}` with the row's keys */
static int load_call(struct loader *ld, const struct ynode *step,
		     const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;
	(void)step;

	if (v->type != YNODE_MAP)
		err = ld_selector(ld, v, &st->phonev, &st->phonec);
	else {
		if (ld_arg_phones(ld, v, st))
			err = EINVAL;

		x = ld_arg(ld, v, "to");
		if (x && ld_dup_text(ld, x, "to", &st->to))
			err = EINVAL;

		x = ld_arg(ld, v, "after");
		if (x && ld_get_duration(ld, x, "after", true, &st->ms))
			err = EINVAL;

		x = ld_arg(ld, v, "code");
		if (x) {
			uint32_t c;
			if (ld_get_u32_range(ld, x, "code", 300, 699, &c))
				err = EINVAL;
			else
				st->code = (uint16_t)c;
		}

		if (ld_arg_within(ld, v, st))
			err = EINVAL;

		/* call: extra header lines; expect_call: header checks */
		x = ld_arg(ld, v, "headers");
		if (x && st->type == SC_CALL &&
		    ld_header_lines(ld, x, "headers", &st->extra))
			err = EINVAL;
		else if (x && st->type == SC_EXPECT_CALL) {
			st->has_expect = true;
			if (ld_expect_headers(ld, x, &st->expect))
				err = EINVAL;
		}

		/* expect_cancel: the Reason header, by regex */
		x = ld_arg(ld, v, "reason");
		if (x) {
			struct sc_expect *e = &st->expect;

			st->has_expect = true;
			e->hdrv = mem_zalloc(2 * sizeof(*e->hdrv), NULL);
			if (!e->hdrv || str_dup(&e->hdrv[0].name, "Reason")) {
				ld->nomem = true;
				return ENOMEM;
			}
			e->hdrc = 1;
			if (ld_dup_regex(ld, x, "reason", &e->hdrv[0].regex))
				err = EINVAL;
		}
	}

	if (st->type == SC_REJECT && !st->code)
		st->code = 486;

	return ld->nomem ? ENOMEM : err;
}


/* ---- runners ------------------------------------------------------------- */

/* --------------------------------------------------------------- calls */

struct call_wait {
	const struct sc_step *st;
	enum sc_step_type what;
};


static bool call_cond(struct rphone *rp, enum sc_step_type what)
{
	switch (what) {

	case SC_CALL:          return rp->call_final_seen;
	case SC_REFER:         return rp->refer_done;
	case SC_EXPECT_CALL:   return rp->calls_in > 0;
	case SC_EXPECT_CANCEL: return rp->cancels > 0;
	case SC_EXPECT_BYE:    return rp->byes > 0;
	default:               return true;
	}
}


static bool calls_ready(struct runner *r, void *arg)
{
	const struct call_wait *cw = arg;

	for (size_t i = 0; i < cw->st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, cw->st->phonev[i]);
		if (rp && !call_cond(rp, cw->what))
			return false;
	}

	return true;
}


/* what the step waits for, as its row tells it */
static const char *call_what(const struct sc_step *st)
{
	const struct step_kind *k = steps_kind(st);

	return k && k->awaits ? k->awaits : "a message";
}


/* status, reason and headers of one message, as an expect says */
static int check_call_msg(struct runner *r, const struct sc_step *st,
			  const char *name, const struct sip_msg *m,
			  const char *what)
{
	const struct sc_expect *e = &st->expect;
	unsigned line = st->pos.line;
	char got[160] = "";

	if (m && m->req)
		(void)re_snprintf(got, sizeof(got), "%r", &m->met);
	else if (m)
		(void)re_snprintf(got, sizeof(got), "%u %r", m->scode,
				  &m->reason);
	else
		(void)re_snprintf(got, sizeof(got), "no %s", what);

	if (e->status && (!m || m->req || m->scode != e->status))
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: expected %u to %s, got %s", name,
				   e->status, what, got);

	return rn_check_headers(r, line, e, m, name, got);
}


/* "+14155551234" -> sip:+14155551234@domain; a URI is taken as it is */
static void call_target(const struct runner *r, const struct rphone *rp,
			const char *to, char *buf, size_t sz)
{
	if (!strncmp(to, "sip:", 4) || !strncmp(to, "sips:", 5))
		(void)re_snprintf(buf, sz, "%s", to);
	else if (strchr(to, '@'))
		(void)re_snprintf(buf, sz, "sip:%s", to);
	else
		(void)re_snprintf(buf, sz, "sip:%s@%s", to,
				  rp->sp->has_domain && rp->sp->conf.domain ?
				  rp->sp->conf.domain : r->domain);
}


static int call_act(struct runner *r, const struct sc_step *st,
		    struct rphone *rp)
{
	const char *name = rp->sp->name;
	struct phone_call *call = NULL;
	char uri[512];
	int err = 0;

	if (st->type != SC_CALL && st->type != SC_IGNORE && !rp->call)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%s: no call to act on", name);

	switch (st->type) {

	case SC_CALL:
		call_target(r, rp, st->to, uri, sizeof(uri));
		rp->call_final_seen = false;
		rp->call_final = mem_deref(rp->call_final);
		err = phone_call_start(&call, rp->phone, uri, st->extra);
		if (!err) {
			mem_deref(rp->call);
			rp->call = mem_ref(call);
		}
		break;

	case SC_RING:    err = phone_call_ring(rp->call); break;
	case SC_ANSWER:  err = phone_call_answer(rp->call,
						 (uint32_t)st->ms); break;
	case SC_REJECT:  err = phone_call_reject(rp->call, st->code); break;
	case SC_CANCEL:  err = phone_call_cancel(rp->call); break;
	case SC_HANGUP:  err = phone_call_hangup(rp->call); break;
	case SC_IGNORE:  break;

	case SC_REFER:
		call_target(r, rp, st->to, uri, sizeof(uri));
		rp->refer_done = false;
		rp->refer_final = mem_deref(rp->refer_final);
		err = phone_call_refer(rp->call, uri);
		break;

	default:
		break;
	}

	if (err)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%s: could not %s the call: %m", name,
				   steps_kind(st)->name, err);

	return 0;
}


static int run_call(struct runner *r, const struct sc_step *st)
{
	struct call_wait cw = {st, st->type};
	bool waits = st->type == SC_EXPECT_CALL ||
		st->type == SC_EXPECT_CANCEL || st->type == SC_EXPECT_BYE ||
		((st->type == SC_CALL || st->type == SC_REFER) &&
		 st->has_expect);
	uint64_t within = st->within_ms ? st->within_ms : OP_TIMEOUT_MS;
	int err = 0;

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);

		if (rp && st->type != SC_EXPECT_CALL &&
		    st->type != SC_EXPECT_CANCEL && st->type != SC_EXPECT_BYE)
			err = call_act(r, st, rp);
	}

	if (err || !waits)
		return err;

	(void)rn_wait_until(r, calls_ready, &cw, within);

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
		const struct sip_msg *m = NULL;

		if (!rp)
			continue;

		if (!call_cond(rp, st->type))
			return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
					   rn_rule_for(r, &st->expect),
					   "%s: expected %s within %llu ms; "
					   "none came", rp->sp->name,
					   call_what(st),
					   (unsigned long long)within);

		switch (st->type) {

		case SC_CALL:          m = rp->call_final;  break;
		case SC_REFER:         m = rp->refer_final; break;
		case SC_EXPECT_CALL:   m = rp->invite; rp->calls_in--; break;
		case SC_EXPECT_CANCEL: m = rp->cancel; rp->cancels--; break;
		default:               rp->byes--; break;
		}

		if (st->has_expect)
			err = check_call_msg(r, st, rp->sp->name, m,
					     call_what(st));
	}

	return err;
}




/* ---- the rows ------------------------------------------------------------ */

#define PHONES {"phones", SK_SELECTOR, SKF_REQUIRED, NULL, NULL, \
		"the phones (a selector)"}
#define WITHIN {"within", SK_DURATION, 0, NULL, NULL, "how long to wait " \
		"(default 5s)"}
#define END {NULL, 0, 0, NULL, NULL, NULL}

static const struct step_key call_keys[] = {
	PHONES,
	{"to", SK_TEXT, SKF_REQUIRED, NULL, NULL, "a number, `user@domain` "
	 "or a `sip:` URI"},
	{"headers", SK_HEADER_LINES, 0, NULL, NULL, "extra header lines"},
	END,
};

static const struct step_key expect_call_keys[] = {
	PHONES, WITHIN,
	{"headers", SK_HEADER_CHECKS, 0, NULL, NULL, "header name → regex on "
	 "its value (`null`: absent)"},
	END,
};

static const struct step_key answer_keys[] = {
	PHONES,
	{"after", SK_DURATION, 0, NULL, NULL, "virtual time before the 200"},
	END,
};

static const struct step_key reject_keys[] = {
	PHONES,
	{"code", SK_STATUS, 0, NULL, NULL, "the final status (default 486)"},
	END,
};

static const struct step_key refer_keys[] = {
	PHONES,
	{"to", SK_TEXT, SKF_REQUIRED, NULL, NULL, "the transfer target"},
	END,
};

static const struct step_key expect_cancel_keys[] = {
	PHONES, WITHIN,
	{"reason", SK_REGEX, 0, NULL, NULL, "regex on its Reason header"},
	END,
};

static const struct step_key expect_bye_keys[] = {
	PHONES, WITHIN, END,
};

static const struct step_key phones_keys[] = {
	PHONES, END,
};

#define REQ (STEP_WITHIN | STEP_EXPECT)

const struct step_kind steps_calls[] = {
	{"call", SC_CALL, SK_NONE, NULL, call_keys, REQ, load_call, run_call,
	 "INVITE (with an SDP offer) to `to` through the registrar, "
	 "answering its challenge; `expect:` beside it checks the final "
	 "response", "a final response to its INVITE"},
	{"expect_call", SC_EXPECT_CALL, SK_SELECTOR, NULL, expect_call_keys,
	 0, load_call, run_call, "an INVITE arrives at each phone (headers "
	 "checked by regex)", "an INVITE"},
	{"ring", SC_RING, SK_SELECTOR, NULL, phones_keys, 0, load_call,
	 run_call, "180 Ringing", NULL},
	{"answer", SC_ANSWER, SK_SELECTOR, NULL, answer_keys, 0, load_call,
	 run_call, "200 with an SDP answer (after virtual time)", NULL},
	{"reject", SC_REJECT, SK_SELECTOR, NULL, reject_keys, 0, load_call,
	 run_call, "a final refusal", NULL},
	{"ignore", SC_IGNORE, SK_SELECTOR, NULL, phones_keys, 0, load_call,
	 run_call, "nothing: the call keeps ringing", NULL},
	{"cancel", SC_CANCEL, SK_SELECTOR, NULL, phones_keys, 0, load_call,
	 run_call, "CANCEL our ringing INVITE", NULL},
	{"hangup", SC_HANGUP, SK_SELECTOR, NULL, phones_keys, 0, load_call,
	 run_call, "BYE (a ringing call: CANCEL or 603)", NULL},
	{"refer", SC_REFER, SK_NONE, NULL, refer_keys, REQ, load_call,
	 run_call, "REFER in the call (the transfer button); `expect:` "
	 "beside it checks its response", "a final response to its REFER"},
	{"expect_cancel", SC_EXPECT_CANCEL, SK_SELECTOR, NULL,
	 expect_cancel_keys, 0, load_call, run_call, "a CANCEL arrives",
	 "a CANCEL"},
	{"expect_bye", SC_EXPECT_BYE, SK_SELECTOR, NULL, expect_bye_keys, 0,
	 load_call, run_call, "a BYE arrives", "a BYE"},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
