/**
 * @file outside.c  Step kinds of calls from the outside network: dial,
 * dial_hangup, expect_dial (the in-process registrar places the call, as
 * the service's REST API would; against a --target, its control API's
 * POST /calls does)
 */

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "rules.h"
#include "sim_registrar.h"
#include "calls.h"
#include "ctlclient.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

static int load_dial(struct loader *ld, const struct ynode *step,
		     const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;
	(void)step;

	ld->s->pub.needs_calls = true;

	x = ld_arg(ld, v, "from");
	if (x && ld_dup_text(ld, x, "from", &st->from))
		err = EINVAL;

	x = ld_arg(ld, v, "to");
	if (x && ld_dup_text(ld, x, "to", &st->to))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


static int load_dial_hangup(struct loader *ld, const struct ynode *step,
			    const struct ynode *v, struct sc_step *st)
{
	(void)step;
	(void)v;
	(void)st;

	ld->s->pub.needs_calls = true;

	return 0;
}


static const char *const dial_states[] = {"ringing", "answered", "ended",
					  NULL};


static int load_expect_dial(struct loader *ld, const struct ynode *step,
			    const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	uint32_t u;
	int i, err = 0;
	(void)step;

	ld->s->pub.needs_calls = true;
	st->branches = st->cancels = -1;
	st->has_expect = true;

	x = ld_arg(ld, v, "state");
	if (x) {
		if (ld_get_enum(ld, x, "state", dial_states, &i))
			err = EINVAL;
		else
			st->dial_state = i + 1;
	}

	x = ld_arg(ld, v, "status");
	if (x) {
		if (ld_get_u32_range(ld, x, "status", 100, 699, &u))
			err = EINVAL;
		else
			st->expect.status = (uint16_t)u;
	}

	x = ld_arg(ld, v, "rule");
	if (x) {
		const char *id;
		if (ynode_str(ld->doc, x, &id))
			err = EINVAL;
		else if (!rule_find(id))
			err = ydoc_errorf(ld->doc, x, "unknown rule ID '%s'",
					  id);
		else if (ld_nomem(ld, str_dup(&st->expect.rule, id)))
			return ENOMEM;
	}

	x = ld_arg(ld, v, "answered_by");
	if (x && ld_dup_regex(ld, x, "answered_by", &st->answered_by))
		err = EINVAL;

	x = ld_arg(ld, v, "branches");
	if (x) {
		if (ld_get_u32_range(ld, x, "branches", 0, 1000, &u))
			err = EINVAL;
		else
			st->branches = u;
	}

	x = ld_arg(ld, v, "cancels");
	if (x) {
		if (ld_get_u32_range(ld, x, "cancels", 0, 1000, &u))
			err = EINVAL;
		else
			st->cancels = u;
	}

	if (ld_arg_within(ld, v, st))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* ---- the call, in process or through the control API -------------------- */

static const char *dial_rule(const struct runner *r,
			     const struct sc_step *st);

enum { CTL_POLL_MS = 20 };

/* a call as GET /calls?sid= tells it: the strings' room */
struct dial_info {
	struct call_info ci;
	char rule[32];
	char answered_by[256];
	char ended_by[32];
};


/* a query value: unreserved characters as they are, the rest %XX */
static void query_enc(char *buf, size_t sz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; s && *s && n + 4 < sz; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c)) {
			buf[n++] = (char)c;
			continue;
		}
		buf[n++] = '%';
		buf[n++] = hex[c >> 4];
		buf[n++] = hex[c & 15];
	}
	buf[n] = '\0';
}


/* "key":"text" or "key":null into buf ("" for null) */
static bool json_text(const char *body, const char *key, char *buf,
		      size_t sz)
{
	char pat[48];
	struct pl v;

	buf[0] = '\0';
	(void)re_snprintf(pat, sizeof(pat), "\"%s\":null", key);
	if (strstr(body, pat))
		return true;

	(void)re_snprintf(pat, sizeof(pat), "\"%s\":\"[^\"]*\"", key);
	if (re_regex(body, strlen(body), pat, &v))
		return false;

	(void)pl_strcpy(&v, buf, sz);

	return true;
}


static uint32_t json_u32(const char *body, const char *key)
{
	char pat[48];
	struct pl v;

	(void)re_snprintf(pat, sizeof(pat), "\"%s\":[0-9]+", key);

	return re_regex(body, strlen(body), pat, &v) ? 0 : pl_u32(&v);
}


/* the call's JSON (control.c's call_json) into di; EPROTO: not one */
static int dial_decode(struct dial_info *di, const char *body)
{
	char state[16];
	bool known = false;

	memset(&di->ci, 0, sizeof(di->ci));

	if (!json_text(body, "state", state, sizeof(state)))
		return EPROTO;

	for (int s = CALL_TRYING; s <= CALL_ENDED; s++) {
		if (!strcmp(state, call_state_name((enum call_state)s))) {
			di->ci.state = (enum call_state)s;
			known = true;
		}
	}
	if (!known)
		return EPROTO;

	(void)json_text(body, "rule", di->rule, sizeof(di->rule));
	(void)json_text(body, "answered_by", di->answered_by,
			sizeof(di->answered_by));
	(void)json_text(body, "ended_by", di->ended_by,
			sizeof(di->ended_by));
	di->ci.rule = di->rule;
	di->ci.answered_by = di->answered_by[0] ? di->answered_by : NULL;
	di->ci.ended_by = di->ended_by[0] ? di->ended_by : NULL;
	di->ci.scode = (uint16_t)json_u32(body, "scode");
	di->ci.branches = json_u32(body, "branches");
	di->ci.cancels = json_u32(body, "cancels");

	return 0;
}


/* the call dialled last, from the registrar we run or the target's
 * control API; ENOENT: not known */
static int dial_info(struct runner *r, struct dial_info *di)
{
	char path[96], body[1024];

	if (r->sr)
		return sim_registrar_call_info(r->sr, r->dial_sid, &di->ci);

	(void)re_snprintf(path, sizeof(path), "/calls?sid=%s", r->dial_sid);
	if (ctlclient_request(r->opts->control, "GET", path, body,
			      sizeof(body)) != 200)
		return ENOENT;

	return dial_decode(di, body);
}


/* POST /calls: the outside network calls; the sid kept */
static int ctl_dial(struct runner *r, const struct sc_step *st)
{
	char from[128], to[128], path[320], body[1024];
	struct pl sid;
	int status;

	query_enc(from, sizeof(from), st->from);
	query_enc(to, sizeof(to), st->to);
	(void)re_snprintf(path, sizeof(path), "/calls?from=%s&to=%s", from,
			  to);

	status = ctlclient_request(r->opts->control, "POST", path, body,
				   sizeof(body));
	if (status < 0)
		return rn_set_verdict(r, VERDICT_ERROR, st->pos.line, NULL,
				      "the control API did not answer POST "
				      "/calls");
	if (status != 201 ||
	    re_regex(body, strlen(body), "\"sid\":\"[^\"]+\"", &sid))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				      dial_rule(r, st), "could not dial %s "
				      "from %s: the control API answered %d %s",
				      st->to, st->from, status, body);

	(void)pl_strcpy(&sid, r->dial_sid, sizeof(r->dial_sid));

	return 0;
}


/* ---- runners ------------------------------------------------------------- */

static bool dial_reached(struct runner *r, void *arg)
{
	const struct sc_step *st = arg;
	struct dial_info di;
	struct call_info ci;

	if (dial_info(r, &di))
		return true;              /* forgotten: nothing to wait for */

	ci = di.ci;
	if (ci.state == CALL_ENDED)
		return true;

	switch (st->dial_state) {

	case 1:  return ci.state >= CALL_RINGING;
	case 2:  return ci.state >= CALL_ANSWERED;
	case 3:  return false;
	default: return ci.state >= CALL_ANSWERED;
	}
}


/* the call's rule when the step names none: the scenario's */
static const char *dial_rule(const struct runner *r, const struct sc_step *st)
{
	return st->expect.rule ? st->expect.rule :
		(r->sc->rulec ? r->sc->rulev[0] : NULL);
}


static int run_dial(struct runner *r, const struct sc_step *st)
{
	int err;

	if (!r->sr)
		return ctl_dial(r, st);

	err = sim_registrar_call(r->sr, st->from, st->to, NULL, NULL,
				 r->dial_sid, sizeof(r->dial_sid));
	if (err)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				      dial_rule(r, st), "could not dial %s "
				      "from %s: %m", st->to, st->from, err);

	return 0;
}


static int run_dial_hangup(struct runner *r, const struct sc_step *st)
{
	char path[96], body[1024];
	int err;

	if (r->sr) {
		err = sim_registrar_hangup(r->sr, r->dial_sid);
	}
	else {
		(void)re_snprintf(path, sizeof(path), "/calls/hangup?sid=%s",
				  r->dial_sid);
		err = ctlclient_request(r->opts->control, "POST", path, body,
					sizeof(body)) == 200 ? 0 : EPROTO;
	}
	if (err)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				      dial_rule(r, st), "the outside caller "
				      "could not hang up: %m", err);

	(void)rn_wait_until(r, rn_never, NULL, 1);

	return 0;
}


static int run_expect_dial(struct runner *r, const struct sc_step *st)
{
	static const enum call_state states[] = {CALL_TRYING, CALL_RINGING,
						 CALL_ANSWERED, CALL_ENDED};
	unsigned line = st->pos.line;
	const char *rule = dial_rule(r, st);
	struct dial_info di;
	struct call_info ci;
	char got[256];

	if (!r->dial_sid[0])
		return rn_set_verdict(r, VERDICT_FAIL, line, NULL, "expect_dial "
				   "before any dial");

	if (r->sr) {
		(void)rn_wait_until(r, dial_reached, (void *)st,
				    st->within_ms);
	}
	else {
		/* the target's calls change with no event here: polled */
		uint64_t t = 0;

		while (!dial_reached(r, (void *)st) && t < st->within_ms) {
			(void)rn_wait_until(r, rn_never, NULL, CTL_POLL_MS);
			t += CTL_POLL_MS;
		}
	}

	if (dial_info(r, &di))
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call "
				   "%s is not known", r->dial_sid);
	ci = di.ci;

	(void)re_snprintf(got, sizeof(got), "%s, status %u%s%s%s%s, %u "
			  "branch(es), %u CANCEL(s)%s%s",
			  call_state_name(ci.state), ci.scode,
			  ci.rule && ci.rule[0] ? " (" : "",
			  ci.rule ? ci.rule : "",
			  ci.rule && ci.rule[0] ? ")" : "",
			  ci.answered_by ? ci.answered_by : "",
			  ci.branches, ci.cancels,
			  ci.ended_by ? ", ended by " : "",
			  ci.ended_by ? ci.ended_by : "");

	if (st->dial_state && ci.state != states[st->dial_state])
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %s, got %s",
				   call_state_name(states[st->dial_state]),
				   got);

	if (st->expect.status && ci.scode != st->expect.status)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected status %u, got %s",
				   st->expect.status, got);

	if (st->expect.rule && (!ci.rule || strcmp(ci.rule, st->expect.rule)))
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected the registrar to decide by %s, "
				   "got %s", st->expect.rule, got);

	if (st->answered_by) {
		regex_t re;
		bool hit;

		if (regcomp(&re, st->answered_by, REG_EXTENDED | REG_NOSUB))
			return rn_set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad answered_by regex");
		hit = ci.answered_by &&
			!regexec(&re, ci.answered_by, 0, NULL, 0);
		regfree(&re);
		if (!hit)
			return rn_set_verdict(r, VERDICT_FAIL, line, rule,
					   "the call: expected an answer by "
					   "/%s/, got %s", st->answered_by,
					   got);
	}

	if (st->branches >= 0 && ci.branches != st->branches)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld branch(es), got %s",
				   (long long)st->branches, got);

	if (st->cancels >= 0 && ci.cancels != st->cancels)
		return rn_set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld CANCEL(s), got %s",
				   (long long)st->cancels, got);

	return 0;
}




/* ---- the rows ------------------------------------------------------------ */

static const struct step_key dial_keys[] = {
	{"from", SK_TEXT, SKF_REQUIRED, NULL, NULL, "the caller's number"},
	{"to", SK_TEXT, SKF_REQUIRED, NULL, NULL, "one of the account's "
	 "numbers"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key none_keys[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key expect_dial_keys[] = {
	{"state", SK_ENUM, 0, dial_states, NULL, "wait for the call to reach "
	 "it (default: answered or ended)"},
	{"status", SK_STATUS, 0, NULL, NULL, "its final status"},
	{"rule", SK_RULE, 0, NULL, NULL, "the rule the registrar decided by"},
	{"answered_by", SK_REGEX, 0, NULL, NULL, "who answered"},
	{"branches", SK_UINT, 0, NULL, NULL, "INVITE branches sent"},
	{"cancels", SK_UINT, 0, NULL, NULL, "CANCELs sent"},
	{"within", SK_DURATION, 0, NULL, NULL, "how long to wait (default "
	 "5s)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_kind steps_outside[] = {
	{"dial", SC_DIAL, SK_NONE, NULL, dial_keys, 0, load_dial, run_dial,
	 "an outside caller dials one of the account's numbers", NULL},
	{"dial_hangup", SC_DIAL_HANGUP, SK_ANY, NULL, none_keys, 0,
	 load_dial_hangup, run_dial_hangup, "the outside caller hangs up "
	 "(while ringing: CANCEL to every branch)", NULL},
	{"expect_dial", SC_EXPECT_DIAL, SK_NONE, NULL, expect_dial_keys, 0,
	 load_expect_dial, run_expect_dial, "waits for the call to reach "
	 "`state`, then checks its final status, the rule the registrar "
	 "decided by, who answered, the INVITE branches sent and the "
	 "CANCELs", "the call"},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
