/**
 * @file scenario_expect.c  Expectations shared by steps: `expect:` (as a
 * step, or inline on an operation), its `bindings:` and `headers:`
 */

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "rules.h"
#include "steps/steps.h"

const char *const sc_op_names[] = {"register", "refresh", "unregister",
				   "fetch", NULL};
const char *const sc_state_names[] = {"registered", "failed", "expired",
				      "idle", NULL};


static int ld_bindings(struct loader *ld, const struct ynode *n,
			 struct sc_expect *e)
{
	const struct step_key *keys =
		steps_key(steps_expect_keys, "bindings")->sub;
	const struct ynode *v;
	uint32_t count;
	int err = 0;

	if (ld_expect_map(ld, n, "bindings"))
		return EINVAL;

	if (steps_check_keys(ld, n, "bindings", keys, false))
		err = EINVAL;

	e->has_bindings = true;

	v = ld_arg(ld, n, "aor");
	if (v && ld_dup_text(ld, v, "aor", &e->aor))
		err = EINVAL;

	v = ld_arg(ld, n, "count");
	if (v) {
		if (ynode_u32(ld->doc, v, &count))
			err = EINVAL;
		else
			e->binding_count = count;
	}

	return err;
}


int ld_expect_headers(struct loader *ld, const struct ynode *n,
			       struct sc_expect *e)
{
	int err = 0;

	if (ld_expect_map(ld, n, "headers"))
		return EINVAL;

	e->hdrv = mem_zalloc(n->count * sizeof(*e->hdrv) + 1, NULL);
	if (!e->hdrv) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i), *v = ynode_val(n, i);
		struct sc_header_check *h = &e->hdrv[e->hdrc];

		if (!ld_token_ok(k->val, strlen(k->val))) {
			err = ydoc_errorf(ld->doc, k, "'%s' is not a header "
					  "name", k->val);
			continue;
		}

		if (ld_is_null(v)) {
			h->regex = NULL;
		}
		else if (v->type != YNODE_SCALAR) {
			err = ydoc_errorf(ld->doc, v, "header %s: expected a "
					  "regular expression or null (must "
					  "be absent), not %s", k->val,
					  ld_type_word(v));
			continue;
		}
		else if (ld_dup_regex(ld, v, k->val, &h->regex)) {
			err = EINVAL;
			continue;
		}

		if (ld_nomem(ld, str_dup(&h->name, k->val)))
			return ENOMEM;
		++e->hdrc;
	}

	return err;
}


/*
 * `expect: {...}` as a step (inline false) or on an operation step (no
 * phones, no within: those are the step's)
 */
int ld_expect(struct loader *ld, const struct ynode *n,
		       struct sc_step *st, bool inline_)
{
	struct scenario *sc = &ld->s->pub;
	struct sc_expect *e = &st->expect;
	const struct ynode *v;
	bool checks = false;
	uint32_t u;
	int x, err = 0;

	if (ld_expect_map(ld, n, "expect"))
		return EINVAL;

	st->has_expect = true;

	/* inline: phones and within are the step's (the step form's keys
	 * are checked by the table before its parser runs) */
	if (inline_ && steps_check_keys(ld, n, "expect", steps_expect_keys,
					true))
		err = EINVAL;

	/* what it checks, whatever the values (bindings alone: no phones) */
	for (size_t i = 0; i < n->count; i++) {
		const char *k = ynode_key(n, i)->val;

		if (strcmp(k, "phones") && strcmp(k, "within") &&
		    strcmp(k, "bindings"))
			checks = true;
	}

	v = ld_arg(ld, n, "status");
	if (v) {
		if (ld_get_u32_range(ld, v, "status", 100, 699, &u))
			err = EINVAL;
		else
			e->status = (uint16_t)u;
	}

	v = ld_arg(ld, n, "reason");
	if (v) {
		if (ld_dup_regex(ld, v, "reason", &e->reason))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "headers");
	if (v) {
		if (ld_expect_headers(ld, v, e))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "granted");
	if (v) {
		if (ld_get_seconds(ld, v, "granted", 0, &u))
			err = EINVAL;
		else
			e->granted = u;
	}

	v = ld_arg(ld, n, "contacts");
	if (v) {
		if (ynode_u32(ld->doc, v, &u))
			err = EINVAL;
		else
			e->contacts = u;
	}

	v = ld_arg(ld, n, "rule");
	if (v) {
		const struct rule *r;
		const char *id;

		/* a target without a control API still answers: only the
		 * rule behind the answer is not known there */
		if (ynode_str(ld->doc, v, &id)) {
			err = EINVAL;
		}
		else if (!(r = rule_find(id))) {
			err = ydoc_errorf(ld->doc, v, "unknown rule ID '%s'",
					  id);
		}
		else if (ld_nomem(ld, str_dup(&e->rule, r->name))) {
			return ENOMEM;
		}
	}

	v = ld_arg(ld, n, "state");
	if (v) {
		if (ld_get_enum(ld, v, "state", sc_state_names, &x))
			err = EINVAL;
		else
			e->state = (enum sc_state_check)(x + 1);
	}

	v = ld_arg(ld, n, "op");
	if (v) {
		if (ld_get_enum(ld, v, "op", sc_op_names, &x))
			err = EINVAL;
		else {
			e->has_op = true;
			e->op = (enum phone_op)x;
		}
	}

	v = ld_arg(ld, n, "link");
	if (v) {
		e->has_link = true;
		if (sc_faults_check(ld->doc, v, &e->link))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "media");
	if (v) {
		e->has_media = true;
		if (sc_media_check(ld, v, &e->media))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "within");
	if (v && !inline_ && ld_get_duration(ld, v, "within", false,
					  &st->within_ms))
		err = EINVAL;

	v = ld_arg(ld, n, "bindings");
	if (v) {
		sc->needs_state = true;
		if (ld_bindings(ld, v, e))
			err = EINVAL;
	}

	if (ld->nomem)
		return ENOMEM;

	if (!checks && !ynode_get(n, "bindings")) {
		char list[200];

		/* what it may check: the keys beside an operation too */
		steps_key_list(list, sizeof(list), steps_expect_keys, true,
			       true);
		return ydoc_errorf(ld->doc, n, "expect checks nothing: give "
				   "%s", list);
	}

	if (inline_)
		return err;

	v = ynode_get(n, "phones");
	if (v) {
		v = ld_arg(ld, n, "phones");
		if (v && ld_selector(ld, v, &st->phonev, &st->phonec))
			err = EINVAL;
	}
	else if (!checks) {
		/* bindings only: no phones */
	}
	else if (ld->have_last) {
		st->phonev = ld->last_phonev ? mem_ref(ld->last_phonev) :
			NULL;
		st->phonec = ld->last_phonec;
	}
	else {
		err = ydoc_errorf(ld->doc, n, "expect has no phones: give "
				  "phones, or put an operation step (register"
				  "...) before it");
	}

	return ld->nomem ? ENOMEM : err;
}


