/**
 * @file expect.c  Step kinds of expectations: expect (a phone's last final
 * response, its registration state, what its link did, the registrar's
 * bindings) and expect_no (no request sent for a while); the checks an
 * operation's inline `expect:` runs too
 */

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "msgkeep.h"
#include "location.h"
#include "sim_registrar.h"
#include "ctlclient.h"
#include "linkfault.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ------------------------------------------------------------- expects */

bool rn_header_matches(const struct sip_msg *msg, const char *name,
			   const regex_t *re, bool *present)
{
	bool hit = false;

	*present = false;

	for (struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;
		char val[1024];

		if (pl_strcasecmp(&h->name, name))
			continue;

		*present = true;
		(void)pl_strcpy(&h->val, val, sizeof(val));
		if (re && !regexec(re, val, 0, NULL, 0))
			hit = true;
	}

	return hit;
}


/* Contact values, whether in one header line or several */
static unsigned contact_count(const struct sip_msg *msg)
{
	return sip_msg_hdr_count(msg, SIP_HDR_CONTACT);
}


static const char *state_word(enum sc_state_check s)
{
	switch (s) {

	case SC_STATE_REGISTERED: return "registered";
	case SC_STATE_FAILED:     return "failed";
	case SC_STATE_EXPIRED:    return "expired";
	case SC_STATE_IDLE:       return "idle";
	default:                  return "any";
	}
}


static bool state_holds(enum sc_state_check want, enum phone_state st)
{
	switch (want) {

	case SC_STATE_REGISTERED: return st == PHONE_ST_REGISTERED;
	case SC_STATE_FAILED:     return st == PHONE_ST_FAILED;
	case SC_STATE_EXPIRED:    return st == PHONE_ST_EXPIRED;
	case SC_STATE_IDLE:       return st == PHONE_ST_IDLE;
	default:                  return true;
	}
}


struct op_wait {
	struct rphone *rp;
	enum phone_op op;
};


static bool op_seen(struct runner *r, void *arg)
{
	struct op_wait *ow = arg;
	(void)r;

	return ow->rp->unconsumed[ow->op] > 0 && !ow->rp->pending &&
		!phone_busy(ow->rp->phone);
}


static bool phone_idle(struct runner *r, void *arg)
{
	struct rphone *rp = arg;
	(void)r;

	return !rp->pending && !phone_busy(rp->phone);
}


/*
 * The rule a failed check stands for: the expect's when the scenario is
 * about it, else the scenario's own (a 200 expected by REG-EXP-1 in a
 * REG-AUTH-6 scenario breaks REG-AUTH-6).
 */
const char *rn_rule_for(const struct runner *r, const struct sc_expect *e)
{
	for (size_t i = 0; e->rule && i < r->sc->rulec; i++) {
		if (!strcmp(r->sc->rulev[i], e->rule))
			return e->rule;
	}

	return r->sc->rulec ? r->sc->rulev[0] : e->rule;
}


/* what the link faults did to the phone's datagrams, as counted */
static int check_link(struct runner *r, const struct sc_step *st,
		      const struct sc_expect *e, struct rphone *rp)
{
	struct linkfault_stats ls;
	const struct sc_link_check *c = &e->link;
	const struct {
		const char *name;
		const struct sc_count *want;
	} v[] = {
		{"packets",    &c->packets},
		{"dropped",    &c->dropped},
		{"duplicated", &c->duplicated},
		{"delayed",    &c->delayed},
		{"reordered",  &c->reordered},
	};
	unsigned got[5];
	char want[24];

	(void)linkfaults_stats(r->lf, phone_laddr(rp->phone), &ls);
	got[0] = ls.packets;
	got[1] = ls.dropped;
	got[2] = ls.duplicated;
	got[3] = ls.delayed;
	got[4] = ls.reordered;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (sc_count_holds(v[i].want, got[i]))
			continue;
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rn_rule_for(r, e), "%s: expected %s datagram(s) "
				   "%s on its link, got %u (of %u: %u dropped, "
				   "%u duplicated, %u delayed, %u reordered)",
				   rp->sp->name, sc_count_str(v[i].want, want,
							      sizeof(want)),
				   v[i].name, got[i], ls.packets, ls.dropped,
				   ls.duplicated, ls.delayed, ls.reordered);
	}

	return 0;
}


/* an expect's headers: each present and matching its regex, or absent
 * (no regex); got says what m is, for the failure's text */
int rn_check_headers(struct runner *r, unsigned line,
		     const struct sc_expect *e, const struct sip_msg *m,
		     const char *name, const char *got)
{
	for (size_t i = 0; i < e->hdrc; i++) {
		const struct sc_header_check *hc = &e->hdrv[i];
		bool present = false, hit = false;
		regex_t re;

		if (!m)
			return rn_set_verdict(r, VERDICT_FAIL, line,
					   rn_rule_for(r, e), "%s: expected "
					   "header %s, got %s", name,
					   hc->name, got);

		if (hc->regex) {
			if (regcomp(&re, hc->regex, REG_EXTENDED | REG_NOSUB))
				return rn_set_verdict(r, VERDICT_FAIL, line,
						   NULL, "bad header regex");
			hit = rn_header_matches(m, hc->name, &re, &present);
			regfree(&re);
			if (!hit) {
				const struct sip_hdr *h =
					sip_msg_xhdr(m, hc->name);
				return rn_set_verdict(r, VERDICT_FAIL, line,
					rn_rule_for(r, e), "%s: expected %s "
					"matching /%s/, got %s%r%s in %s",
					name, hc->name, hc->regex,
					h ? "'" : "", h ? &h->val : NULL,
					h ? "'" : "no such header", got);
			}
		}
		else {
			(void)rn_header_matches(m, hc->name, NULL, &present);
			if (present)
				return rn_set_verdict(r, VERDICT_FAIL, line,
						   rn_rule_for(r, e),
						   "%s: expected no %s "
						   "header in %s", name,
						   hc->name, got);
		}
	}

	return 0;
}


static int check_final(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp,
		       const struct sip_msg *m);


/* true when the expectation reads only the status, the granted expiry
 * and the state, and all hold; anything else (or a failure, whose text
 * quotes the response) takes check_final() and its decode */
static bool passes_on_status(const struct sc_expect *e,
			     const struct rphone *rp)
{
	const uint16_t scode = msgkeep_scode(rp->final);

	if (e->reason || e->hdrc || e->contacts >= 0 || e->rule ||
	    e->has_link)
		return false;

	if (e->status && scode != e->status)
		return false;

	if (e->granted >= 0 &&
	    (!scode || scode >= 300 ||
	     (int64_t)phone_granted(rp->phone) != e->granted))
		return false;

	return e->state == SC_STATE_ANY ||
		state_holds(e->state, phone_state(rp->phone));
}


static int check_phone(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp)
{
	const char *name = rp->sp->name;
	unsigned line = st->pos.line;
	uint64_t within = st->within_ms ? st->within_ms : OP_TIMEOUT_MS;
	struct sip_msg *m;
	int err;

	if (e->has_op) {
		struct op_wait ow = {rp, e->op};

		if (!rn_wait_until(r, op_seen, &ow, within))
			return rn_set_verdict(r, VERDICT_FAIL, line,
					   rn_rule_for(r, e),
					   "%s: expected a %s to end within "
					   "%llu ms; none did", name,
					   phone_op_name(e->op),
					   (unsigned long long)within);
		rp->unconsumed[e->op] = 0;
	}
	else if (!rn_wait_until(r, phone_idle, rp, within)) {
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: still waiting for a final response "
				   "after %llu ms", name,
				   (unsigned long long)within);
	}

	/* 20,000 phones checked for a status: no decode when it holds */
	if (passes_on_status(e, rp))
		return 0;

	m = msgkeep_decode(rp->final);
	err = check_final(r, st, e, rp, m);
	mem_deref(m);

	return err;
}


/* what the phone's last operation ended with, m (NULL: no response) */
static int check_final(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp,
		       const struct sip_msg *m)
{
	const char *name = rp->sp->name;
	unsigned line = st->pos.line;
	char got[160] = "", rulebuf[32];
	const char *rule;
	int err;

	rule = rn_decision_of(r, m, rulebuf, sizeof(rulebuf));
	if (m)
		(void)re_snprintf(got, sizeof(got), "%u %r%s%s%s", m->scode,
				  &m->reason, rule ? " (registrar: " : "",
				  rule ? rule : "", rule ? ")" : "");
	else
		(void)re_snprintf(got, sizeof(got), "no response (%m)",
				  rp->err);

	if (e->status && (!m || m->scode != e->status))
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: expected status %u%s%s, got %s", name,
				   e->status, e->rule ? " " : "",
				   e->rule ? e->rule : "", got);

	if (e->reason) {
		regex_t re;
		char reason[256] = "";

		if (m)
			(void)pl_strcpy(&m->reason, reason, sizeof(reason));
		if (regcomp(&re, e->reason, REG_EXTENDED | REG_NOSUB))
			return rn_set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad reason regex");
		if (!m || regexec(&re, reason, 0, NULL, 0)) {
			regfree(&re);
			return rn_set_verdict(r, VERDICT_FAIL, line,
					   rn_rule_for(r, e),
					   "%s: expected a reason matching "
					   "/%s/, got %s", name, e->reason,
					   got);
		}
		regfree(&re);
	}

	err = rn_check_headers(r, line, e, m, name, got);
	if (err)
		return err;

	if (e->granted >= 0 &&
	    (!m || m->scode >= 300 ||
	     (int64_t)phone_granted(rp->phone) != e->granted))
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: expected %lld s granted to its "
				   "contact, got %u s in %s", name,
				   (long long)e->granted,
				   phone_granted(rp->phone), got);

	if (e->contacts >= 0 && (!m || contact_count(m) != e->contacts))
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: expected %lld Contact header(s), got "
				   "%u in %s", name, (long long)e->contacts,
				   m ? contact_count(m) : 0, got);

	if (e->rule) {
		if (!r->sr && !r->opts->control) {
			r->res->unchecked++;   /* known where state is */
			return 0;
		}
		if (!rule || strcmp(rule, e->rule))
			return rn_set_verdict(r, VERDICT_FAIL, line, e->rule,
					   "%s: expected the registrar to "
					   "decide by %s, got %s", name,
					   e->rule, got);
	}

	if (e->has_link) {
		err = check_link(r, st, e, rp);
		if (err)
			return err;
	}

	if (e->state != SC_STATE_ANY &&
	    !state_holds(e->state, phone_state(rp->phone)))
		return rn_set_verdict(r, VERDICT_FAIL, line, rn_rule_for(r, e),
				   "%s: expected state %s, got %s (last: %s)",
				   name, state_word(e->state),
				   phone_state_name(phone_state(rp->phone)),
				   got);

	return 0;
}


/* "alice" -> "alice@domain"; the host lower-case as the registrar keys */
static void aor_full(const struct runner *r, const char *aor, char *buf,
		     size_t sz)
{
	const char *at = strchr(aor, '@');
	size_t i;

	(void)re_snprintf(buf, sz, "%s%s%s", aor, at ? "" : "@",
			  at ? "" : r->domain);

	at = strchr(buf, '@');
	for (i = at ? (size_t)(at - buf) : 0; at && buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
}


static int check_bindings(struct runner *r, const struct sc_step *st,
			  const struct sc_expect *e)
{
	char aor[300], path[400], body[16384];
	long long count = -1;
	struct pl n;

	aor_full(r, e->aor, aor, sizeof(aor));

	if (!r->sr && !r->opts->control) {
		r->res->unchecked++;
		return 0;
	}

	if (r->sr) {
		count = location_count_aor(sim_registrar_location(r->sr),
					   aor);
	}
	else if (r->opts->control) {
		(void)re_snprintf(path, sizeof(path), "/bindings?aor=%s", aor);
		if (ctlclient_request(r->opts->control, "GET", path, body,
				      sizeof(body)) == 200 &&
		    !re_regex(body, strlen(body), "\"count\":[0-9]+", &n))
			count = pl_u32(&n);
		else
			return rn_set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the control API did not "
					   "list the bindings of %s", aor);
	}

	if (e->binding_count >= 0 && count != e->binding_count)
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rn_rule_for(r, e), "bindings of %s: expected "
				   "%lld, the registrar has %lld", aor,
				   (long long)e->binding_count, count);

	return 0;
}


int rn_run_expect(struct runner *r, const struct sc_step *st,
		      char *const *phonev, size_t phonec)
{
	const struct sc_expect *e = &st->expect;
	int err = 0;

	for (size_t i = 0; i < phonec && !err; i++) {
		struct rphone *rp = rn_rphone_find(r, phonev[i]);

		if (rp)
			err = check_phone(r, st, e, rp);
	}

	if (!err && e->has_bindings)
		err = check_bindings(r, st, e);

	if (!err && e->has_media)
		err = steps_media_check(r, st, phonev, phonec);

	return err;
}


struct sent_snapshot {
	struct runner *r;
	const struct sc_step *st;
	unsigned *before;
};


static unsigned sent_of(const struct rphone *rp, const struct sc_step *st)
{
	if (st->has_expect && st->expect.has_op &&
	    (unsigned)st->expect.op < PHONE_OPS)
		return rp->sent_op[st->expect.op];

	return rp->sent;
}


static int run_expect_no(struct runner *r, const struct sc_step *st)
{
	unsigned *before = mem_zalloc((st->phonec + 1) * sizeof(unsigned),
				      NULL);
	uint64_t within = st->within_ms ? st->within_ms : 1000;
	int err = 0;

	if (!before)
		return ENOMEM;

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
		before[i] = rp ? sent_of(rp, st) : 0;
	}

	(void)rn_wait_until(r, rn_never, NULL, within);

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);

		if (rp && sent_of(rp, st) != before[i])
			err = rn_set_verdict(r, VERDICT_FAIL, st->pos.line,
					  r->sc->rulec ? r->sc->rulev[0] :
					  NULL, "%s: expected no request "
					  "within %llu ms, it sent %u",
					  rp->sp->name,
					  (unsigned long long)within,
					  sent_of(rp, st) - before[i]);
	}

	mem_deref(before);

	return err;
}




static int run_expect_step(struct runner *r, const struct sc_step *st)
{
	/* without phones: those of the last operation, or none */
	if (st->phonec)
		return rn_run_expect(r, st, st->phonev, st->phonec);
	if (r->last_op)
		return rn_run_expect(r, st, r->last_op->phonev,
				     r->last_op->phonec);

	return rn_run_expect(r, st, NULL, 0);
}


/* ---- parsers ------------------------------------------------------------- */

static int load_expect_step(struct loader *ld, const struct ynode *step,
			    const struct ynode *v, struct sc_step *st)
{
	(void)step;

	return ld_expect(ld, v, st, false);
}


static int load_expect_no(struct loader *ld, const struct ynode *step,
			  const struct ynode *n, struct sc_step *st)
{
	const struct ynode *v;
	int x, err = 0;
	(void)step;

	st->within_ms = DEFAULT_NO_WITHIN;

	if (ld_arg_phones(ld, n, st) || ld_arg_within(ld, n, st))
		err = EINVAL;

	v = ld_arg(ld, n, "op");
	if (v) {
		if (ld_get_enum(ld, v, "op", sc_op_names, &x))
			err = EINVAL;
		else {
			st->expect.has_op = true;
			st->expect.op = (enum phone_op)x;
		}
	}

	return ld->nomem ? ENOMEM : err;
}


/* ---- the rows ------------------------------------------------------------ */

static const struct step_key bindings_keys[] = {
	{"aor", SK_TEXT, SKF_REQUIRED, NULL, NULL, "`alice` or "
	 "`alice@domain`"},
	{"count", SK_UINT, 0, NULL, NULL, "how many bindings it has"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* in struct sc_link_check's order: sc_faults_check() reads them so */
static const struct step_key link_count_keys[] = {
	{"packets", SK_COUNT, 0, NULL, NULL, "datagrams on the link"},
	{"dropped", SK_COUNT, 0, NULL, NULL, "dropped"},
	{"duplicated", SK_COUNT, 0, NULL, NULL, "duplicated"},
	{"delayed", SK_COUNT, 0, NULL, NULL, "delayed"},
	{"reordered", SK_COUNT, 0, NULL, NULL, "reordered"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_key steps_expect_keys[] = {
	{"phones", SK_SELECTOR, SKF_NOT_INLINE, NULL, NULL, "whose responses "
	 "are checked (default: the phones of the previous operation step)"},
	{"status", SK_STATUS, 0, NULL, NULL, "the final status code"},
	{"reason", SK_REGEX, 0, NULL, NULL, "the reason phrase"},
	{"headers", SK_HEADER_CHECKS, 0, NULL, NULL, "header name → regex on "
	 "its value (`null`: the header must be absent)"},
	{"granted", SK_SECONDS, 0, NULL, NULL, "seconds granted to the "
	 "phone's own contact in the 2xx"},
	{"contacts", SK_UINT, 0, NULL, NULL, "how many Contact headers the "
	 "response lists"},
	{"rule", SK_RULE, 0, NULL, NULL, "the rule ID of the registrar's "
	 "decision on that response"},
	{"state", SK_ENUM, 0, sc_state_names, NULL, "the phone's "
	 "registration state"},
	{"op", SK_ENUM, 0, sc_op_names, NULL, "wait (up to `within`) for an "
	 "operation of this kind to end first, e.g. a refresh fired by "
	 "`advance`"},
	{"within", SK_DURATION, SKF_NOT_INLINE, NULL, NULL, "how long to "
	 "wait, real time (default 5s)"},
	{"bindings", SK_MAP, 0, NULL, bindings_keys, "the registrar's "
	 "bindings for the AOR"},
	{"link", SK_MAP, 0, NULL, link_count_keys, "what the link faults did "
	 "to the phone's datagrams so far (both directions); a number is "
	 "exact, `\">=N\"`/`\"<=N\"` bounds"},
	{"media", SK_MAP, 0, NULL, steps_media_expect_keys, "the figures of "
	 "the phone's latest call with media, per direction (counts as for "
	 "`link`)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key expect_no_keys[] = {
	{"phones", SK_SELECTOR, SKF_REQUIRED, NULL, NULL, "the phones"},
	{"within", SK_DURATION, 0, NULL, NULL, "how long, real time "
	 "(default 1s)"},
	{"op", SK_ENUM, 0, sc_op_names, NULL, "only requests of this kind "
	 "count"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

const struct step_kind steps_expectations[] = {
	{"expect", SC_EXPECT, SK_NONE, NULL, steps_expect_keys, 0,
	 load_expect_step, run_expect_step, "checks the last final response "
	 "of `phones` (default: the phones of the previous operation step), "
	 "and/or the registrar's bindings; beside an operation, its phones' "
	 "(without `phones` and `within`)", NULL},
	{"expect_no", SC_EXPECT_NO, SK_NONE, NULL, expect_no_keys, 0,
	 load_expect_no, run_expect_no, "the phones send no request during "
	 "the next `within` of real time", NULL},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
