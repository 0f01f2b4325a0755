/**
 * @file registration.c  Step kinds of registration: register, refresh,
 * unregister, fetch (the operations), and request: one request of any
 * method from a phone, outside any dialog
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "runner_int.h"
#include "steps/steps.h"


/* ---- parsers ------------------------------------------------------------- */

/* `register: {phones: SEL, expires: 30, ...}`: one REGISTER with these */
static int load_overrides(struct loader *ld, const struct ynode *n,
			  struct sc_step *st)
{
	struct phone_req *r = &st->req;
	const struct ynode *v;
	int err = 0;

	v = ld_arg(ld, n, "expires");
	if (v) {
		st->has_req = r->set_expires = true;
		if (ld_get_seconds(ld, v, "expires", 0, &r->expires))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "contacts");
	if (v) {
		st->has_req = true;
		if (ld_check_contacts(ld, v, "contacts"))
			err = EINVAL;
		else if (ld_nomem(ld, ld_strv_from_seq((char ***)&r->contactv,
						       v, 0)))
			return ENOMEM;
		else
			r->contactc = v->count;
	}

	v = ld_arg(ld, n, "callid");
	if (v) {
		st->has_req = true;
		if (ld_dup_text(ld, v, "callid", (char **)&r->callid))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "cseq");
	if (v) {
		st->has_req = r->set_cseq = true;
		if (ld_get_u32_range(ld, v, "cseq", 0, 0x7fffffff, &r->cseq))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "headers");
	if (v) {
		st->has_req = true;
		if (ld_header_lines(ld, v, "headers", (char **)&r->extra))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "no_auth");
	if (v) {
		st->has_req = true;
		if (ld_get_bool(ld, v, &r->no_auth))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "no_answer");
	if (v) {
		st->has_req = true;
		if (ld_get_bool(ld, v, &r->no_answer))
			err = EINVAL;
	}

	v = ld_arg(ld, n, "no_contact");
	if (v) {
		st->has_req = true;
		if (ld_get_bool(ld, v, &r->no_contact))
			err = EINVAL;
	}

	if (r->no_contact && r->contactv)
		err = ydoc_errorf(ld->doc, ynode_get(n, "no_contact"),
				  "no_contact and contacts exclude each "
				  "other");

	return ld->nomem ? ENOMEM : err;
}


/* `KIND: SEL` or `KIND: {phones: SEL, ...}` */
static int load_op(struct loader *ld, const struct ynode *step,
		   const struct ynode *v, struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;
	(void)step;

	if (v->type != YNODE_MAP)
		return ld_selector(ld, v, &st->phonev, &st->phonec);

	if (ld_arg_phones(ld, v, st))
		err = EINVAL;

	if (st->type == SC_REGISTER && load_overrides(ld, v, st))
		err = EINVAL;

	if (st->type == SC_UNREGISTER) {
		x = ld_arg(ld, v, "wildcard");
		if (x && ld_get_bool(ld, x, &st->wildcard))
			err = EINVAL;
	}

	return ld->nomem ? ENOMEM : err;
}


static bool is_token(const char *s)
{
	return *s && ld_token_ok(s, strlen(s));
}


static bool is_uri(const char *s)
{
	struct uri u;
	struct pl pl;

	pl_set_str(&pl, s);

	return 0 == uri_decode(&u, &pl);
}


/* the text of key, if given, into *dst when ok() says it is what (an
 * error naming the place if not) */
static int dup_checked(struct loader *ld, const struct ynode *map,
		       const char *key, bool (*ok)(const char *s),
		       const char *what, char **dst)
{
	const struct ynode *x = ld_arg(ld, map, key);
	const char *s;

	if (!x)
		return 0;

	if (ld_get_text(ld, x, key, &s))
		return EINVAL;

	if (!ok(s))
		return ydoc_errorf(ld->doc, x, "%s: `%s` is not %s", key, s,
				   what);

	return ld_dup_text(ld, x, key, dst);
}


/* `request: {phones: SEL, method: OPTIONS, uri: ..., body: ...}`: one
 * request of any method, through phone_send() like a register override */
static int load_request(struct loader *ld, const struct ynode *step,
			const struct ynode *v, struct sc_step *st)
{
	struct phone_req *r = &st->req;
	const struct ynode *x;
	const char *s;
	int err = 0;
	(void)step;

	st->has_req = true;

	if (ld_arg_phones(ld, v, st))
		err = EINVAL;

	if (dup_checked(ld, v, "method", is_token, "a SIP token",
			(char **)&r->method))
		err = EINVAL;

	if (dup_checked(ld, v, "uri", is_uri, "a SIP URI", (char **)&r->uri))
		err = EINVAL;

	x = ld_arg(ld, v, "to_tag");
	if (x && ld_dup_text(ld, x, "to_tag", (char **)&r->to_tag))
		err = EINVAL;

	/* a body may have lines: not ld_dup_text()'s one-line text */
	x = ld_arg(ld, v, "body");
	if (x && ynode_str(ld->doc, x, &s))
		err = EINVAL;
	else if (x && ld_nomem(ld, str_dup((char **)&r->body, s)))
		return ENOMEM;

	if (load_overrides(ld, v, st))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* ---- runner -------------------------------------------------------------- */

static int run_op(struct runner *r, const struct sc_step *st)
{
	int err;

	err = rn_queue_ops(r, st);
	if (!err)
		err = rn_wait_ops(r, st, st->phonec);
	if (!err && st->has_expect)
		err = rn_run_expect(r, st, st->phonev, st->phonec);

	return err;
}


/* ---- the rows ------------------------------------------------------------ */

#define PHONES {"phones", SK_SELECTOR, SKF_REQUIRED, NULL, NULL, \
		"the phones (a selector)"}

static const struct step_key register_keys[] = {
	PHONES,
	{"expires", SK_SECONDS, 0, NULL, NULL, "the asked expiry"},
	{"contacts", SK_CONTACTS, 0, NULL, NULL, "Contact values instead of "
	 "the phone's own (`{local}`: its IP:port; `\"*\"` allowed)"},
	{"callid", SK_TEXT, 0, NULL, NULL, "this Call-ID"},
	{"cseq", SK_UINT, 0, NULL, NULL, "this CSeq number"},
	{"headers", SK_HEADER_LINES, 0, NULL, NULL, "extra header lines"},
	{"no_auth", SK_BOOL, 0, NULL, NULL, "no credentials at all"},
	{"no_answer", SK_BOOL, 0, NULL, NULL, "the last nonce reused as "
	 "usual, but a challenge is final"},
	{"no_contact", SK_BOOL, 0, NULL, NULL, "no Contact header (excludes "
	 "`contacts`)"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key unregister_keys[] = {
	PHONES,
	{"wildcard", SK_BOOL, 0, NULL, NULL, "`Contact: *` with `Expires: "
	 "0`"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key phones_keys[] = {
	PHONES,
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct step_key request_keys[] = {
	PHONES,
	{"method", SK_TEXT, SKF_REQUIRED, NULL, NULL, "its method, any token "
	 "(`OPTIONS`, `MESSAGE`, `FOOBAR`)"},
	{"uri", SK_TEXT, 0, NULL, NULL, "its Request-URI (default "
	 "`sip:DOMAIN`)"},
	{"to_tag", SK_TEXT, 0, NULL, NULL, "a tag on To: it names a dialog"},
	{"headers", SK_HEADER_LINES, 0, NULL, NULL, "extra header lines "
	 "(`Content-Type` of a body among them)"},
	{"body", SK_TEXT, 0, NULL, NULL, "its body (Content-Length counted)"},
	{"callid", SK_TEXT, 0, NULL, NULL, "this Call-ID (default: a new "
	 "one)"},
	{"cseq", SK_UINT, 0, NULL, NULL, "this CSeq number (default 1)"},
	{"no_auth", SK_BOOL, 0, NULL, NULL, "no credentials at all"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

#define OPS (STEP_OP | STEP_WITHIN | STEP_EXPECT)

const struct step_kind steps_registration[] = {
	{"register", SC_REGISTER, SK_SELECTOR, NULL, register_keys, OPS,
	 load_op, run_op, "REGISTER, answering the challenge as configured; "
	 "with any other key, one REGISTER with these overrides", NULL},
	{"refresh", SC_REFRESH, SK_SELECTOR, NULL, phones_keys, OPS,
	 load_op, run_op, "REGISTER again, now (same Call-ID by default)",
	 NULL},
	{"unregister", SC_UNREGISTER, SK_SELECTOR, NULL, unregister_keys, OPS,
	 load_op, run_op, "expires 0 for its contacts (or `wildcard`)",
	 NULL},
	{"fetch", SC_FETCH, SK_SELECTOR, NULL, phones_keys, OPS,
	 load_op, run_op, "REGISTER without Contact: the 200 lists the "
	 "bindings", NULL},
	/* SC_REGISTER: its runner sends st->req with phone_send() */
	{"request", SC_REGISTER, SK_NONE, NULL, request_keys, OPS,
	 load_request, run_op, "one request of any method outside a dialog "
	 "(a Call-ID of its own; contacts, credentials as a REGISTER's), "
	 "its final response checked by `expect:`; the registration is left "
	 "alone", NULL},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
