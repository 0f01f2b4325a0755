/**
 * @file test_scenario.c  Unit tests of the scenario loader and the linter:
 * the model a good scenario loads into, and `file:line:col` of every kind
 * of mistake
 */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <check.h>
#include "fixture.h"
#include <re.h>
#include "ytree.h"
#include "config.h"
#include "scenario.h"
#include "lint.h"
#include "textfile.h"
#include "steps/steps.h"


#define DEFAULT_DOMAIN "example.sip.us1.twilio.com"

static char tmpdir[64];


/* ---- fixture: a temporary folder per test -------------------------- */

static void setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/sc-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}


static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;

	return remove(path);
}


static void teardown(void)
{
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}


/* tmpdir/name with text; the path is static until the next call */
static const char *write_file(const char *name, const char *text)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	(void)snprintf(p, 512, "%s/%s", tmpdir, name);

	/* sub-folders as needed */
	for (char *s = strchr(p + strlen(tmpdir) + 1, '/'); s;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0700);
		*s = '/';
	}

	f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);

	return p;
}


static void dump_errors(const struct ydoc *doc, char *buf, size_t sz)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ydoc_errorc(doc) && len < sz; i++)
		len += (size_t)snprintf(buf + len, sz - len, "  %s\n",
					ydoc_error(doc, i));
}


static struct scenario *load_ok(const char *name, const char *text)
{
	const char *path = write_file(name, text);
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	char errs[4096];
	int err;

	err = scenario_load(&sc, &doc, path);
	dump_errors(doc, errs, sizeof(errs));
	ck_assert_msg(err == 0, "load failed (%d):\n%s", err, errs);
	ck_assert_ptr_nonnull(sc);
	ck_assert_uint_eq(ydoc_errorc(doc), 0);
	mem_deref(doc);

	return sc;
}


/* the load fails with an error `path:line:col: ...word...` */
static void load_bad(const char *path, unsigned line, unsigned col,
		     const char *word)
{
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	char prefix[600], errs[8192];
	bool found = false;
	size_t pl;
	int err;

	err = scenario_load(&sc, &doc, path);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_ptr_null(sc);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_gt(ydoc_errorc(doc), 0);

	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path,
			      line, col);

	for (unsigned i = 0; i < ydoc_errorc(doc); i++) {
		const char *e = ydoc_error(doc, i);

		if (!strncmp(e, prefix, pl) && strstr(e + pl, word))
			found = true;
	}

	dump_errors(doc, errs, sizeof(errs));
	ck_assert_msg(found, "no error '%s...%s...' among:\n%s", prefix,
		      word, errs);

	mem_deref(doc);
}


static void check_bad(const char *text, unsigned line, unsigned col,
		      const char *word)
{
	load_bad(write_file("bad.yaml", text), line, col, word);
}


static const char *nth_phone(const struct sc_step *st, size_t i)
{
	ck_assert_uint_lt(i, st->phonec);
	return st->phonev[i];
}


/* ---- a good scenario with every step kind ---------------------------- */

static const char full_yaml[] =
	"name: Everything at once\n"
	"rules: [REG-OK-1, REG-EXP-4]\n"
	"description: every step kind\n"
	"phones:\n"
	"  - name: desk\n"
	"    count: 3\n"
	"    user: \"u{n}\"\n"
	"    auth_user: \"a{n}\"\n"
	"    password: Conform-Pass-1\n"
	"    contacts: [\"<sip:c{n}@{local}>\", \"<sip:x@{local}>\"]\n"
	"  - name: lobby\n"
	"    user: bob\n"
	"    domain: other.sip.us1.twilio.com\n"
	"    transport: tcp\n"
	"    expires: 10m\n"
	"    expires_in: param\n"
	"    callid: per-request\n"
	"    cseq: decrement\n"
	"    cseq_start: 7\n"
	"    auth: wrong\n"
	"    auth_fresh: true\n"
	"    refresh: exact\n"
	"    refresh_at: 0.8\n"
	"    retry_wait: 2m\n"
	"    headers: [\"X-A: 1\", \"X-B: 2\"]\n"
	"    contacts: [\"*\"]\n"
	"steps:\n"                                           /* 27 */
	"  - register: desk-{1..2}\n"                        /* 28 */
	"    within: 3s\n"
	"    expect: {status: 200, granted: 600}\n"
	"  - register:\n"                                    /* 31 */
	"      phones: lobby\n"
	"      expires: 3600\n"
	"      contacts: [\"<sip:z@{local}>\"]\n"
	"      callid: fixed-1\n"
	"      cseq: 9\n"
	"      headers: [\"X-C: 3\", \"X-D: 4\"]\n"
	"      no_auth: true\n"
	"  - refresh: [desk-3, lobby, desk-3, desk]\n"       /* 39 */
	"  - expect:\n"                                      /* 40 */
	"      status: 401\n"
	"      reason: \"^Unauth\"\n"
	"      headers: {WWW-Authenticate: \"^Digest\", X-Twilio-Error: null}\n"
	"      contacts: 2\n"
	"      rule: REG-AUTH-1\n"
	"      state: failed\n"
	"      op: refresh\n"
	"      within: 2s\n"
	"  - unregister: {phones: desk-1, wildcard: true}\n" /* 49 */
	"  - unregister: desk-2\n"                           /* 50 */
	"  - fetch: all\n"                                   /* 51 */
	"  - expect_no: {phones: desk, within: 2s, op: refresh}\n"
	"  - expect_no: {phones: lobby}\n"                   /* 53 */
	"  - advance: 601s\n"                                /* 54 */
	"  - wait: 500ms\n"                                  /* 55 */
	"  - parallel:\n"                                    /* 56 */
	"      - register: desk-1\n"
	"      - fetch: lobby\n"
	"  - repeat:\n"                                      /* 59 */
	"      count: 6\n"
	"      steps:\n"
	"        - register: lobby\n"
	"        - wait: 1\n"
	"  - expect:\n"                                      /* 64 */
	"      bindings: {aor: alice, count: 10}\n"
	"  - fetch: desk\n"                                  /* 66 */
	"  - expect: {op: fetch}\n";                         /* 67 */


START_TEST(test_full_phones)
{
	struct scenario *sc = load_ok("full.yaml", full_yaml);
	const struct sc_phone *p;

	ck_assert_str_eq(sc->name, "Everything at once");
	ck_assert_str_eq(sc->description, "every step kind");
	ck_assert_uint_eq(sc->rulec, 2);
	ck_assert_str_eq(sc->rulev[0], "REG-OK-1");
	ck_assert_str_eq(sc->rulev[1], "REG-EXP-4");
	ck_assert_ptr_null(sc->config);
	ck_assert(sc->needs_clock);
	ck_assert(sc->needs_state);
	ck_assert_uint_eq(sc->pos.line, 1);
	ck_assert(strstr(sc->file, "full.yaml") != NULL);

	ck_assert_uint_eq(sc->phonec, 4);
	for (unsigned i = 0; i < 3; i++) {
		char name[16], user[16], auth[16], c0[32];

		p = &sc->phonev[i];
		(void)snprintf(name, sizeof(name), "desk-%u", i + 1);
		(void)snprintf(user, sizeof(user), "u%u", i + 1);
		(void)snprintf(auth, sizeof(auth), "a%u", i + 1);
		(void)snprintf(c0, sizeof(c0), "<sip:c%u@{local}>", i + 1);
		ck_assert_str_eq(p->name, name);
		ck_assert_str_eq(p->conf.name, name);
		ck_assert_str_eq(p->group, "desk");
		ck_assert_uint_eq(p->index, i + 1);
		ck_assert_str_eq(p->conf.user, user);
		ck_assert_str_eq(p->conf.auth_user, auth);
		ck_assert_str_eq(p->conf.password, "Conform-Pass-1");
		ck_assert(!p->has_domain);
		ck_assert_str_eq(p->conf.domain, DEFAULT_DOMAIN);
		ck_assert_uint_eq(p->conf.contactc, 2);
		ck_assert_str_eq(p->conf.contactv[0], c0);
		ck_assert_str_eq(p->conf.contactv[1], "<sip:x@{local}>");
		ck_assert_int_eq(p->conf.tp, SIP_TRANSP_UDP);
		ck_assert_uint_eq(p->conf.expires, 0);
		ck_assert_ptr_null(p->conf.extra);
		ck_assert_uint_eq(p->pos.line, 5);
		ck_assert_ptr_eq(scenario_phone(sc, name), p);
	}

	p = scenario_phone(sc, "lobby");
	ck_assert_ptr_eq(p, &sc->phonev[3]);
	ck_assert_str_eq(p->group, "lobby");
	ck_assert_uint_eq(p->index, 0);
	ck_assert_str_eq(p->conf.user, "bob");
	ck_assert_ptr_null(p->conf.auth_user);
	ck_assert_ptr_null(p->conf.password);
	ck_assert(p->has_domain);
	ck_assert_str_eq(p->conf.domain, "other.sip.us1.twilio.com");
	ck_assert_int_eq(p->conf.tp, SIP_TRANSP_TCP);
	ck_assert_uint_eq(p->conf.expires, 600);
	ck_assert_int_eq(p->conf.exp_where, PHONE_EXP_PARAM);
	ck_assert_int_eq(p->conf.callid, PHONE_CALLID_PER_REQ);
	ck_assert_int_eq(p->conf.cseq, PHONE_CSEQ_DECR);
	ck_assert_uint_eq(p->conf.cseq_start, 7);
	ck_assert_int_eq(p->conf.auth, PHONE_AUTH_WRONG);
	ck_assert(p->conf.auth_fresh);
	ck_assert_int_eq(p->conf.refresh, PHONE_REFRESH_EXACT);
	ck_assert(p->conf.refresh_frac > 0.79 && p->conf.refresh_frac < 0.81);
	ck_assert_uint_eq(p->conf.retry_wait, 120);
	ck_assert_str_eq(p->conf.extra, "X-A: 1\r\nX-B: 2");
	ck_assert_uint_eq(p->conf.contactc, 1);
	ck_assert_str_eq(p->conf.contactv[0], "*");

	/* a group or a name nobody has is no phone */
	ck_assert_ptr_null(scenario_phone(sc, "desk"));
	ck_assert_ptr_null(scenario_phone(sc, "desk-4"));
	ck_assert_ptr_null(scenario_phone(sc, NULL));

	mem_deref(sc);
}
END_TEST


START_TEST(test_full_steps)
{
	struct scenario *sc = load_ok("full.yaml", full_yaml);
	const struct sc_step *st;

	ck_assert_uint_eq(sc->stepc, 16);

	/* register: short form with within and an inline expect */
	st = &sc->stepv[0];
	ck_assert_int_eq(st->type, SC_REGISTER);
	ck_assert_uint_eq(st->pos.line, 28);
	ck_assert_uint_eq(st->pos.col, 5);
	ck_assert_uint_eq(st->phonec, 2);
	ck_assert_str_eq(nth_phone(st, 0), "desk-1");
	ck_assert_str_eq(nth_phone(st, 1), "desk-2");
	ck_assert(!st->has_req);
	ck_assert_uint_eq(st->within_ms, 3000);
	ck_assert(st->has_expect);
	ck_assert_uint_eq(st->expect.status, 200);
	ck_assert_int_eq(st->expect.granted, 600);
	ck_assert_int_eq(st->expect.contacts, -1);
	ck_assert_int_eq(st->expect.binding_count, -1);
	ck_assert_int_eq(st->expect.state, SC_STATE_ANY);
	ck_assert(!st->expect.has_op);
	ck_assert(!st->expect.has_bindings);

	/* register: long form with every override */
	st = &sc->stepv[1];
	ck_assert_int_eq(st->type, SC_REGISTER);
	ck_assert_uint_eq(st->phonec, 1);
	ck_assert_str_eq(nth_phone(st, 0), "lobby");
	ck_assert(st->has_req);
	ck_assert(st->req.set_expires);
	ck_assert_uint_eq(st->req.expires, 3600);
	ck_assert_uint_eq(st->req.contactc, 1);
	ck_assert_str_eq(st->req.contactv[0], "<sip:z@{local}>");
	ck_assert_str_eq(st->req.callid, "fixed-1");
	ck_assert(st->req.set_cseq);
	ck_assert_uint_eq(st->req.cseq, 9);
	ck_assert_str_eq(st->req.extra, "X-C: 3\r\nX-D: 4");
	ck_assert(st->req.no_auth);
	ck_assert(!st->req.no_contact);
	ck_assert(!st->has_expect);
	ck_assert_uint_eq(st->within_ms, 5000);

	/* refresh: a list, duplicates dropped, the group expanded */
	st = &sc->stepv[2];
	ck_assert_int_eq(st->type, SC_REFRESH);
	ck_assert_uint_eq(st->phonec, 4);
	ck_assert_str_eq(nth_phone(st, 0), "desk-3");
	ck_assert_str_eq(nth_phone(st, 1), "lobby");
	ck_assert_str_eq(nth_phone(st, 2), "desk-1");
	ck_assert_str_eq(nth_phone(st, 3), "desk-2");

	/* expect: the refresh's phones by default */
	st = &sc->stepv[3];
	ck_assert_int_eq(st->type, SC_EXPECT);
	ck_assert(st->has_expect);
	ck_assert_uint_eq(st->phonec, 4);
	ck_assert_str_eq(nth_phone(st, 0), "desk-3");
	ck_assert_str_eq(nth_phone(st, 3), "desk-2");
	ck_assert_uint_eq(st->expect.status, 401);
	ck_assert_str_eq(st->expect.reason, "^Unauth");
	ck_assert_uint_eq(st->expect.hdrc, 2);
	ck_assert_str_eq(st->expect.hdrv[0].name, "WWW-Authenticate");
	ck_assert_str_eq(st->expect.hdrv[0].regex, "^Digest");
	ck_assert_str_eq(st->expect.hdrv[1].name, "X-Twilio-Error");
	ck_assert_ptr_null(st->expect.hdrv[1].regex);
	ck_assert_int_eq(st->expect.contacts, 2);
	ck_assert_int_eq(st->expect.granted, -1);
	ck_assert_str_eq(st->expect.rule, "REG-AUTH-1");
	ck_assert_int_eq(st->expect.state, SC_STATE_FAILED);
	ck_assert(st->expect.has_op);
	ck_assert_int_eq(st->expect.op, PHONE_OP_REFRESH);
	ck_assert_uint_eq(st->within_ms, 2000);

	st = &sc->stepv[4];
	ck_assert_int_eq(st->type, SC_UNREGISTER);
	ck_assert(st->wildcard);
	ck_assert_uint_eq(st->phonec, 1);
	ck_assert_str_eq(nth_phone(st, 0), "desk-1");

	st = &sc->stepv[5];
	ck_assert_int_eq(st->type, SC_UNREGISTER);
	ck_assert(!st->wildcard);
	ck_assert_str_eq(nth_phone(st, 0), "desk-2");

	st = &sc->stepv[6];
	ck_assert_int_eq(st->type, SC_FETCH);
	ck_assert_uint_eq(st->phonec, 4);
	ck_assert_str_eq(nth_phone(st, 0), "desk-1");
	ck_assert_str_eq(nth_phone(st, 3), "lobby");

	st = &sc->stepv[7];
	ck_assert_int_eq(st->type, SC_EXPECT_NO);
	ck_assert(!st->has_expect);
	ck_assert_uint_eq(st->phonec, 3);
	ck_assert_uint_eq(st->within_ms, 2000);
	ck_assert(st->expect.has_op);
	ck_assert_int_eq(st->expect.op, PHONE_OP_REFRESH);

	st = &sc->stepv[8];
	ck_assert_int_eq(st->type, SC_EXPECT_NO);
	ck_assert_uint_eq(st->within_ms, 1000);
	ck_assert(!st->expect.has_op);

	st = &sc->stepv[9];
	ck_assert_int_eq(st->type, SC_ADVANCE);
	ck_assert_uint_eq(st->ms, 601000);

	st = &sc->stepv[10];
	ck_assert_int_eq(st->type, SC_WAIT);
	ck_assert_uint_eq(st->ms, 500);

	st = &sc->stepv[11];
	ck_assert_int_eq(st->type, SC_PARALLEL);
	ck_assert_uint_eq(st->stepc, 2);
	ck_assert_int_eq(st->stepv[0].type, SC_REGISTER);
	ck_assert_str_eq(st->stepv[0].phonev[0], "desk-1");
	ck_assert_int_eq(st->stepv[1].type, SC_FETCH);
	ck_assert_str_eq(st->stepv[1].phonev[0], "lobby");
	ck_assert_uint_eq(st->stepv[1].pos.line, 58);
	ck_assert_uint_eq(st->stepv[1].pos.col, 9);

	st = &sc->stepv[12];
	ck_assert_int_eq(st->type, SC_REPEAT);
	ck_assert_uint_eq(st->count, 6);
	ck_assert_uint_eq(st->stepc, 2);
	ck_assert_int_eq(st->stepv[0].type, SC_REGISTER);
	ck_assert_int_eq(st->stepv[1].type, SC_WAIT);
	ck_assert_uint_eq(st->stepv[1].ms, 1000);   /* plain number: s */

	/* bindings only: no phones */
	st = &sc->stepv[13];
	ck_assert_int_eq(st->type, SC_EXPECT);
	ck_assert(st->expect.has_bindings);
	ck_assert_str_eq(st->expect.aor, "alice");
	ck_assert_int_eq(st->expect.binding_count, 10);
	ck_assert_uint_eq(st->phonec, 0);
	ck_assert_uint_eq(st->expect.status, 0);

	/* op only: the previous operation's phones */
	st = &sc->stepv[15];
	ck_assert_int_eq(st->type, SC_EXPECT);
	ck_assert(st->expect.has_op);
	ck_assert_int_eq(st->expect.op, PHONE_OP_FETCH);
	ck_assert_uint_eq(st->phonec, 3);
	ck_assert_str_eq(nth_phone(st, 2), "desk-3");
	ck_assert_uint_eq(st->within_ms, 5000);

	mem_deref(sc);
}
END_TEST


START_TEST(test_minimal_needs_nothing)
{
	static const char y[] =
		"name: m\n"
		"rules: [REG-OK-1]\n"
		"phones: [{name: p, user: alice}]\n"
		"steps:\n"
		"  - register: p\n"
		"    expect: {status: 200}\n"
		"  - wait: 1.5\n";
	struct scenario *sc = load_ok("min.yaml", y);

	ck_assert(!sc->needs_clock);
	ck_assert(!sc->needs_state);
	ck_assert_ptr_null(sc->description);
	ck_assert_uint_eq(sc->stepv[1].ms, 1500);
	mem_deref(sc);
}
END_TEST


START_TEST(test_ranges_and_all)
{
	static const char y[] =
		"name: r\n"
		"rules: [REG-LIM-AOR]\n"
		"phones:\n"
		"  - {name: desk, count: 11, user: alice}\n"
		"  - {name: one, count: 1, user: x}\n"
		"steps:\n"
		"  - register: desk-{9..11}\n"
		"  - register: [one, 'desk-{2..3}', one-1]\n"
		"  - register: all\n";
	struct scenario *sc = load_ok("r.yaml", y);

	ck_assert_uint_eq(sc->phonec, 12);
	ck_assert_str_eq(sc->phonev[11].name, "one-1");
	ck_assert_uint_eq(sc->stepv[0].phonec, 3);
	ck_assert_str_eq(sc->stepv[0].phonev[0], "desk-9");
	ck_assert_str_eq(sc->stepv[0].phonev[2], "desk-11");
	ck_assert_uint_eq(sc->stepv[1].phonec, 3);
	ck_assert_str_eq(sc->stepv[1].phonev[0], "one-1");
	ck_assert_str_eq(sc->stepv[1].phonev[1], "desk-2");
	ck_assert_str_eq(sc->stepv[1].phonev[2], "desk-3");
	ck_assert_uint_eq(sc->stepv[2].phonec, 12);
	/* user without {n}: every phone is alice */
	ck_assert_str_eq(sc->phonev[10].conf.user, "alice");
	mem_deref(sc);
}
END_TEST


START_TEST(test_big_count)
{
	static const char y[] =
		"name: big\n"
		"rules: [REG-LIM-ACCOUNT]\n"
		"phones:\n"
		"  - {name: a, count: 50000, user: 'u{n}'}\n"
		"  - {name: b, count: 50000, user: 'v{n}'}\n"
		"steps:\n"
		"  - register: all\n"
		"  - register: [b, a]\n"
		"  - fetch: a-{49990..50000}\n"
		"  - register: {phones: [\"a-{1..2}\"]}\n";
	struct scenario *sc = load_ok("big.yaml", y);

	ck_assert_uint_eq(sc->phonec, 100000);
	ck_assert_str_eq(sc->phonev[49999].conf.user, "u50000");
	ck_assert_ptr_eq(scenario_phone(sc, "b-50000"), &sc->phonev[99999]);
	ck_assert_uint_eq(sc->stepv[0].phonec, 100000);
	ck_assert_str_eq(sc->stepv[1].phonev[0], "b-1");
	ck_assert_str_eq(sc->stepv[1].phonev[50000], "a-1");
	ck_assert_uint_eq(sc->stepv[2].phonec, 11);
	mem_deref(sc);
}
END_TEST


START_TEST(test_inline_config_block)
{
	static const char y[] =
		"name: inline\n"
		"rules: [REG-OK-1]\n"
		"registrar:\n"
		"  config:\n"
		"    domains:\n"
		"      - name: lab.sip.us1.twilio.com\n"
		"        credential_lists:\n"
		"          registration: [l]\n"
		"    credential_lists:\n"
		"      - name: l\n"
		"        credentials:\n"
		"          - {username: \"u{1..20}\", "
		"password: Conform-Pass-1}\n"
		"    # a comment\n"
		"\n"
		"phones: [{name: p, user: u1}]\n"
		"steps: [{register: p}]\n";
	struct scenario *sc = load_ok("inl.yaml", y);

	ck_assert_ptr_nonnull(sc->config);
	ck_assert_uint_eq(sc->config->domainc, 1);
	ck_assert_str_eq(sc->config->domainv[0].name,
			 "lab.sip.us1.twilio.com");
	ck_assert_uint_eq(sc->config->listv[0].credc, 20);
	ck_assert_str_eq(sc->phonev[0].conf.domain, "lab.sip.us1.twilio.com");
	ck_assert(!sc->phonev[0].has_domain);
	mem_deref(sc);
}
END_TEST


START_TEST(test_inline_config_flow)
{
	static const char y[] =
		"name: flow\n"
		"rules: [REG-OK-1]\n"
		"registrar: {config: {domains: [{name: "
		"a.sip.us1.twilio.com}, {name: "
		"b.sip.us1.twilio.com}],\n"
		"            limits: {max_expires: 60}}}\n"
		"phones: [{name: p, user: u1}]\n"
		"steps: [{register: p}]\n";
	struct scenario *sc = load_ok("flow.yaml", y);

	ck_assert_uint_eq(sc->config->domainc, 2);
	ck_assert_uint_eq(sc->config->limits.max_expires, 60);
	ck_assert_str_eq(sc->phonev[0].conf.domain, "a.sip.us1.twilio.com");
	mem_deref(sc);
}
END_TEST


START_TEST(test_config_file_relative)
{
	struct scenario *sc;

	(void)write_file("configs/two.yaml",
			 "domains:\n"
			 "  - name: two.sip.us1.twilio.com\n");
	sc = load_ok("area/s.yaml",
		     "name: file\n"
		     "rules: [REG-OK-1]\n"
		     "registrar: {config: ../configs/two.yaml}\n"
		     "phones: [{name: p, user: u1}]\n"
		     "steps: [{register: p}]\n");

	ck_assert_str_eq(sc->config->domainv[0].name,
			 "two.sip.us1.twilio.com");
	ck_assert(strstr(sc->config->source, "configs/two.yaml") != NULL);
	mem_deref(sc);
}
END_TEST


START_TEST(test_config_file_bad)
{
	const char *path;
	char word[600];

	(void)write_file("bad-config.yaml",
			 "domains:\n"
			 "  - name: nope\n");
	path = write_file("s.yaml",
			  "name: file\n"
			  "rules: [REG-OK-1]\n"
			  "registrar:\n"
			  "  config: bad-config.yaml\n"
			  "phones: [{name: p, user: u1}]\n"
			  "steps: [{register: p}]\n");

	/* the config's own error, with its own position, at config: */
	(void)snprintf(word, sizeof(word), "%s/bad-config.yaml:2:11: ",
		       tmpdir);
	load_bad(path, 4, 11, word);

	path = write_file("s2.yaml",
			  "name: file\n"
			  "rules: [REG-OK-1]\n"
			  "registrar:\n"
			  "  config: missing.yaml\n"
			  "phones: [{name: p, user: u1}]\n"
			  "steps: [{register: p}]\n");
	load_bad(path, 4, 11, "missing.yaml");
}
END_TEST


/* ---- mistakes: where and what ----------------------------------------- */

#define HEAD \
	"name: t\n"                  /*  1 */ \
	"rules: [REG-OK-1]\n"        /*  2 */ \
	"phones:\n"                  /*  3 */ \
	"  - name: desk\n"           /*  4 */ \
	"    count: 3\n"             /*  5 */ \
	"    user: alice\n"          /*  6 */ \
	"  - name: lobby\n"          /*  7 */ \
	"    user: bob\n"            /*  8 */ \
	"steps:\n"                   /*  9 */

#define TAIL "steps: [{register: desk}]\n"

static const struct bad {
	const char *yaml;
	unsigned line, col;
	const char *word;
} badv[] = {
	/* top level */
	{"name: t\nrules: [REG-OK-1]\nfoo: 1\nphones: [{name: p, user: a}]\n"
	 TAIL, 3, 1, "unknown key 'foo' (expected one of: name, rules"},
	{"rules: [REG-OK-1]\nphones: [{name: p, user: a}]\n"
	 "steps: [{register: p}]\n", 1, 1, "the scenario is missing required key 'name'"},
	{"name: t\nphones: [{name: p, user: a}]\nsteps: [{register: p}]\n",
	 1, 1, "missing required key 'rules'"},
	{"name: t\nrules: [REG-OK-1]\nphones: [{name: p, user: a}]\n",
	 1, 1, "missing required key 'steps'"},
	{"name: t\nrules: [REG-OK-1]\nsteps: [{register: p}]\n",
	 1, 1, "missing required key 'phones'"},
	{"name: t\nrules: []\nphones: [{name: p, user: a}]\n"
	 "steps: [{register: p}]\n", 2, 8, "non-empty list of rule IDs"},
	{"name: t\nrules: [REG-OK-1, REG-NOPE-9]\n"
	 "phones: [{name: p, user: a}]\n"
	 "steps: [{register: p}]\n", 2, 19, "unknown rule ID 'REG-NOPE-9'"},
	{"name: [t]\nrules: [REG-OK-1]\nphones: [{name: p, user: a}]\n"
	 "steps: [{register: p}]\n", 1, 7, "expected a text value"},
	{"name: t\nrules: [REG-OK-1]\nphones: [{name: p, user: a}]\n"
	 "steps: []\n", 4, 8, "non-empty list of steps"},
	{"- just\n- a list\n", 1, 1, "must be a mapping"},
	{"just a scalar\n", 1, 1, "must be a mapping"},
	{"", 1, 1, "empty document"},
	{"name: t\n  bad: indent\n", 2, 6, ""},

	/* phones */
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - name: p\n    usr: a\n"
	 TAIL, 5, 5, "unknown key 'usr' (expected one of: name, count"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - name: p\n" TAIL,
	 4, 5, "a phone is missing required key 'user'"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - user: p\n" TAIL,
	 4, 5, "missing required key 'name'"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - name: desk\n"
	 "    count: 50001\n    user: a\n" TAIL, 5, 12, "between 1 and 50000"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - name: desk\n"
	 "    count: 99999999999999\n    user: a\n" TAIL, 5, 12,
	 "whole number"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n"
	 "  - {name: a, count: 50000, user: a}\n"
	 "  - {name: b, count: 50000, user: a}\n"
	 "  - {name: desk, count: 1, user: a}\n" TAIL,
	 6, 25, "too many phones"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, count: 2, "
	 "user: a}\n  - {name: desk-2, user: b}\n" TAIL, 5, 12,
	 "'desk-2' is already used (line 4)"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a}\n"
	 "  - {name: desk, user: b}\n" TAIL, 5, 12, "already used"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: all, user: a}\n"
	 TAIL, 4, 12, "cannot be a phone name"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: 'a b', user: a}\n"
	 TAIL, 4, 12, "letters, digits"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "transport: sctp}\n" TAIL, 4, 38,
	 "transport must be one of: udp, tcp, tls (not 'sctp')"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "expires: 1500ms}\n" TAIL, 4, 36, "whole seconds"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "refresh_at: 0}\n" TAIL, 4, 39, "refresh_at"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "headers: [\"no colon\"]}\n" TAIL, 4, 37, "'Name: value'"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "auth_fresh: maybe}\n" TAIL, 4, 39, "true or false"},
	{"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: desk, user: a, "
	 "contacts: []}\n" TAIL, 4, 37, "at least one Contact"},
	{"name: t\nrules: [REG-OK-1]\nphones: {name: desk}\n" TAIL,
	 3, 9, "non-empty list of phones"},
	{"name: t\nrules: [REG-OK-1]\nphones: [desk]\n" TAIL,
	 3, 10, "a phone must be a mapping"},

	/* selectors */
	{HEAD "  - register: desk-4\n", 10, 15, "undefined phone 'desk-4'"},
	{HEAD "  - register: [desk-1, nobody]\n", 10, 24,
	 "undefined phone 'nobody'"},
	{HEAD "  - register: desk-{2..4}\n", 10, 15,
	 "undefined phone 'desk-4'"},
	{HEAD "  - register: desk-{3..1}\n", 10, 15, "runs backwards"},
	{HEAD "  - register: desk-{a..b}\n", 10, 15, "bad phone range"},
	{HEAD "  - register: []\n", 10, 15, "phone list is empty"},
	{HEAD "  - register: {phones: [[desk]]}\n", 10, 25,
	 "a phone selector must be a name"},
	{HEAD "  - register: {expires: 10}\n", 10, 15,
	 "missing required key 'phones'"},

	/* steps */
	{HEAD "  - register: desk\n    expct: {status: 200}\n", 11, 5,
	 "unknown key 'expct' (expected one of: register, refresh"},
	{HEAD "  - register: desk\n    fetch: desk\n", 11, 5,
	 "one kind, but 'register' and 'fetch'"},
	{HEAD "  - within: 2s\n", 10, 5, "a step needs one of"},
	{HEAD "  - register\n", 10, 5, "a step must be a mapping"},
	{HEAD "  - advance: 10 parsecs\n", 10, 14, "expected a duration"},
	{HEAD "  - wait: -1s\n", 10, 11, "expected a duration"},
	{HEAD "  - advance: 1s\n    within: 2s\n", 11, 5,
	 "goes with register, refresh"},
	{HEAD "  - expect: {status: 200}\n    within: 2s\n", 11, 5,
	 "goes inside it"},
	{HEAD "  - register: desk\n    within: 0s\n", 11, 13,
	 "longer than 0"},
	{HEAD "  - register: {phones: desk, wildcard: true}\n", 10, 30,
	 "unknown key 'wildcard' in register (expected one of: phones, expires"},
	{HEAD "  - unregister: {phones: desk, wildcard: 3}\n", 10, 42,
	 "true or false"},
	{HEAD "  - fetch: {phones: desk, expires: 3}\n", 10, 27,
	 "unknown key 'expires' in fetch (expected one of: phones)"},
	{HEAD "  - register: {phones: desk, cseq: x}\n", 10, 36,
	 "whole number"},
	{HEAD "  - register: {phones: desk, contacts: [a], no_contact: "
	 "true}\n", 10, 57, "exclude each other"},
	{HEAD "  - repeat: {steps: [{wait: 1}]}\n", 10, 13,
	 "missing required key 'count'"},
	{HEAD "  - repeat: {count: 0, steps: [{wait: 1}]}\n", 10, 21,
	 "between 1 and 100000"},
	{HEAD "  - parallel: {register: desk}\n", 10, 15,
	 "parallel must be a non-empty list"},
	{HEAD "  - parallel:\n      - register: desk\n      - fetch: nobody\n",
	 12, 16, "undefined phone 'nobody'"},
	{HEAD "  - repeat:\n      count: 2\n      steps:\n"
	 "        - register: desk\n          expect: {stat: 1}\n", 14, 20,
	 "unknown key 'stat'"},
	{HEAD "  - expect_no: {within: 2s}\n", 10, 16,
	 "missing required key 'phones'"},
	{HEAD "  - request: {phones: desk-1, uri: \"sip:x@y\"}\n", 10, 14,
	 "missing required key 'method'"},
	{HEAD "  - request: {phones: desk-1, method: \"FOO BAR\"}\n", 10, 39,
	 "`FOO BAR` is not a SIP token"},
	{HEAD "  - request: {phones: desk-1, method: OPTIONS, uri: nowhere}\n",
	 10, 53, "`nowhere` is not a SIP URI"},
	{HEAD "  - request: {phones: desk-1, method: INFO, expires: 3}\n", 10,
	 45, "unknown key 'expires' in request"},
	{HEAD "  - request: desk-1\n", 10, 14, "request"},
	{HEAD "  - expect_no: {phones: desk, op: bounce}\n", 10, 35,
	 "op must be one of: register, refresh, unregister, fetch"},

	/* expect */
	{HEAD "  - expect: {status: 200}\n", 10, 13, "expect has no phones"},
	{HEAD "  - register: desk\n  - expect: {}\n", 11, 13,
	 "expect checks nothing"},
	{HEAD "  - register: desk\n    expect: {status: abc}\n", 11, 22,
	 "expected a whole number, not 'abc'"},
	{HEAD "  - register: desk\n    expect: {status: 99}\n", 11, 22,
	 "between 100 and 699"},
	{HEAD "  - register: desk\n    expect: {phones: desk}\n", 11, 14,
	 "unknown key 'phones'"},
	{HEAD "  - register: desk\n    expect: {rule: REG-X}\n", 11, 20,
	 "unknown rule ID 'REG-X'"},
	{HEAD "  - register: desk\n    expect: {reason: \"((\"}\n", 11, 22,
	 "bad regular expression '(('"},
	{HEAD "  - register: desk\n    expect:\n      headers: {X-A: \"[z\"}\n",
	 12, 22, "X-A: bad regular expression"},
	/* a fuzz find: stacked quantifiers made regcomp take gigabytes */
	{HEAD "  - register: desk\n    expect: {reason: "
	 "\"^I++++++++++++++++++++++++++++++++++++++++nterval\"}\n", 11, 22,
	 "regular expression too large"},
	{HEAD "  - register: desk\n    expect: {reason: "
	 "\"((((a{1,100}){1,100}){1,100}))\"}\n", 11, 22,
	 "regular expression too large"},
	{HEAD "  - register: desk\n    expect:\n      headers: {X-A: [1]}\n",
	 12, 22, "regular expression or null"},
	{HEAD "  - register: desk\n    expect:\n      headers: {'A B': x}\n",
	 12, 17, "not a header name"},
	{HEAD "  - register: desk\n    expect: {state: gone}\n", 11, 21,
	 "state must be one of: registered, failed, expired, idle"},
	{HEAD "  - expect: {phones: desk, op: twice}\n", 10, 32,
	 "op must be one of"},
	{HEAD "  - expect: {phones: desk, within: soon}\n", 10, 36,
	 "expected a duration"},
	{HEAD "  - expect: {bindings: {count: 3}}\n", 10, 24,
	 "missing required key 'aor'"},
	{HEAD "  - expect: {bindings: {aor: alice, cnt: 3}}\n", 10, 37,
	 "unknown key 'cnt'"},
	{HEAD "  - expect: {phones: nobody, status: 200}\n", 10, 22,
	 "undefined phone 'nobody'"},

	/* registrar */
	{"name: t\nrules: [REG-OK-1]\nregistrar: {conf: x}\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n", 3, 13,
	 "unknown key 'conf' (expected one of: config)"},
	{"name: t\nrules: [REG-OK-1]\nregistrar: {config: [x]}\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n", 3, 21,
	 "file name or a mapping"},
	/* inline config: the config loader's position, in this file */
	{"name: t\n"
	 "rules: [REG-OK-1]\n"
	 "registrar:\n"
	 "  config:\n"
	 "    domains:\n"
	 "      - name: lab.sip.us1.twilio.com\n"
	 "        region: eu1\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n",
	 7, 17, "registrar config: region"},
	{"name: t\n"
	 "rules: [REG-OK-1]\n"
	 "registrar: {config: {domains: [{name: bad}]}}\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n",
	 3, 39, "registrar config: domain name"},
	{"name: t\n"
	 "rules: [REG-OK-1]\n"
	 "registrar:\n"
	 "  config:\n"
	 "    limits: {max_expires: 60}\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n",
	 5, 5, "registrar config: "},
	{"name: t\r\n"
	 "rules: [REG-OK-1]\r\n"
	 "registrar:\r\n"
	 "  config:\r\n"
	 "    domains:\r\n"
	 "      - name: lab.sip.us1.twilio.com\r\n"
	 "    profile: {challenge: 402}\r\n"
	 "phones: [{name: p, user: a}]\r\nsteps: [{register: p}]\r\n",
	 7, 26, "registrar config: challenge"},
	/* media (sc_media.c, steps/media.c) */
	{"name: t\nrules: [REG-OK-1]\nphones: [{name: p, user: a, media: {tone: 441}}]\n"
	 "steps: [{register: p}]\n", 3, 43, "tone 441 Hz is not one the detector"},
	{"name: t\nrules: [REG-OK-1]\nphones: [{name: p, user: a, media: {dtmf: morse}}]\n"
	 "steps: [{register: p}]\n", 3, 43, "dtmf must be one of: rfc4733, inband, info"},
	{HEAD "  - expect: {phones: desk, media: {rx: {packets: lots}}}\n", 10, 50,
	 "a count is a number, '>=N' or '<=N', not 'lots'"},
	{HEAD "  - expect: {phones: desk, media: {}}\n", 10, 35,
	 "media checks nothing"},
	{HEAD "  - press: {phone: desk, digits: \"9z\"}\n", 10, 34,
	 "digits are 0-9 * # A-D"},
	{HEAD "  - expect: {phones: desk, media: {tx: {lost: 1}}}\n", 10, 41,
	 "unknown key 'lost' in media tx"},
	/* a byte order mark; all of it on line 1 */
	{"\xef\xbb\xbf{name: t, rules: [REG-OK-1], registrar: {config: "
	 "{domains: [{name: bad}]}}, phones: [{name: p, user: a}], "
	 "steps: [{register: p}]}\n", 1, 68, "registrar config: domain name"},
	/* LS and NEL break lines for libyaml, and so for the mapping */
	{"name: t\n"
	 "description: \"a\xe2\x80\xa8" "b\xc2\x85" "c\"\n"
	 "rules: [REG-OK-1]\n"
	 "registrar:\n"
	 "  config:\n"
	 "    domains:\n"
	 "      - name: bad\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n",
	 9, 15, "registrar config: domain name"},
};


START_TEST(test_bad)
{
	const struct bad *b = &badv[_i];

	check_bad(b->yaml, b->line, b->col, b->word);
}
END_TEST


/* many mistakes in one file: each is reported */
START_TEST(test_all_errors_reported)
{
	const char *path = write_file("many.yaml",
				      "name: t\n"
				      "rules: [REG-NOPE]\n"
				      "phones:\n"
				      "  - {name: p, user: a, cseq: up}\n"
				      "steps:\n"
				      "  - register: q\n"
				      "  - advance: x\n"
				      "  - expect: {status: 1000}\n");
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;

	ck_assert_int_eq(scenario_load(&sc, &doc, path), EINVAL);
	ck_assert_uint_eq(ydoc_errorc(doc), 5);
	mem_deref(doc);

	load_bad(path, 2, 9, "unknown rule ID");
	load_bad(path, 4, 30, "cseq must be one of");
	load_bad(path, 6, 15, "undefined phone 'q'");
	load_bad(path, 7, 14, "duration");
	load_bad(path, 8, 22, "between 100 and 699");
}
END_TEST


/* a broken phone entry does not cascade into undefined phones */
START_TEST(test_no_cascade)
{
	static const char y[] =
		"name: t\n"
		"rules: [REG-OK-1]\n"
		"phones:\n"
		"  - {name: desk, count: 60000, user: a}\n"
		"steps:\n"
		"  - register: desk-{1..10}\n"
		"  - register: desk\n"
		"  - register: other\n";
	const char *path = write_file("c.yaml", y);
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;

	ck_assert_int_eq(scenario_load(&sc, &doc, path), EINVAL);
	ck_assert_uint_eq(ydoc_errorc(doc), 2);
	mem_deref(doc);

	load_bad(path, 4, 25, "between 1 and 50000");
	load_bad(path, 8, 15, "undefined phone 'other'");
}
END_TEST


START_TEST(test_hostile_inputs)
{
	static const char *const inputs[] = {
		"",
		"\n\n# only a comment\n",
		"~\n",
		"42\n",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[",
		"\x01\x02\xff\xfe junk",
		"a: &x [*x]\n",
		"a: &a [1,2]\nb: &b [*a,*a,*a,*a]\nc: [*b,*b,*b,*b]\n",
		"name: t\nrules: [REG-OK-1]\nphones: [{name: p, user: a}]\n"
		"steps: [{parallel: [{parallel: [{parallel: [{repeat: "
		"{count: 1, steps: [{parallel: [{register: p}]}]}}]}]}]}]\n"
		"extra: {",
		"name: t\nrules: [REG-OK-1]\nphones:\n  - {name: x, count: "
		"4294967296, user: a}\n"
		"steps: [{register: x-{1..99999999999}}]\n",
		"name: t\nrules: [REG-OK-1]\nphones: [{name: x, user: a}]\n"
		"steps: [{register: x-{1..4294967295}}, {register: 'x-{1..'},"
		" {register: 'x-{1..2}{3..4}'}, {register: '{'}, "
		"{register: '-{0..0}'}]\n",
		"name: t\nrules: [REG-OK-1]\nregistrar: {config: {}}\n"
		"phones: [{name: x, user: a}]\nsteps: [{register: x}]\n",
		"name: t\nrules: [REG-OK-1]\nregistrar:\n  config: &c\n"
		"    domains: [{name: a.sip.us1.twilio.com}]\n"
		"phones: [{name: x, user: a}]\nsteps: [{register: x}]\n",
		"registrar: {config: {domains: \"\\\"}]}\", x: '}}'}}\n",
		"registrar: {config: {a: [\n",
		"name: t\nrules: [REG-OK-1]\n"
		"phones: [{name: x, user: \"a\\nb\","
		" headers: [\"X: \\r\\nInjected: 1\"]}]\n"
		"steps: [{register: x}]\n",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		const char *path = write_file("h.yaml", inputs[i]);
		struct scenario *sc = NULL;
		struct ydoc *doc = NULL;
		int err;

		err = scenario_load(&sc, &doc, path);
		/* the anchored inline config is fine, the rest is not */
		if (i == 12) {
			ck_assert_msg(err == 0, "input %zu: %d", i, err);
			ck_assert_str_eq(sc->config->domainv[0].name,
					 "a.sip.us1.twilio.com");
		}
		else {
			ck_assert_msg(err == EINVAL, "input %zu: %d", i, err);
			ck_assert_ptr_null(sc);
			ck_assert_msg(ydoc_errorc(doc) > 0, "input %zu", i);
		}
		mem_deref(sc);
		mem_deref(doc);
	}
}
END_TEST


START_TEST(test_unreadable)
{
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	char path[600];

	(void)snprintf(path, sizeof(path), "%s/none.yaml", tmpdir);
	ck_assert_int_eq(scenario_load(&sc, &doc, path), EINVAL);
	ck_assert_ptr_null(sc);
	ck_assert_uint_eq(ydoc_errorc(doc), 1);
	ck_assert(strstr(ydoc_error(doc, 0), "none.yaml:1:1: cannot read: "
			 "No such file") != NULL);
	mem_deref(doc);

	/* a folder is no file */
	ck_assert_int_eq(scenario_load(&sc, &doc, tmpdir), EINVAL);
	ck_assert(strstr(ydoc_error(doc, 0), "cannot read") != NULL);
	mem_deref(doc);

	/* without docp */
	ck_assert_int_eq(scenario_load(&sc, NULL, path), EINVAL);
	ck_assert_int_eq(scenario_load(NULL, &doc, path), EINVAL);
	ck_assert_ptr_null(doc);
}
END_TEST


/* ---- lint ------------------------------------------------------------ */

static const char good_yaml[] =
	"name: g\nrules: [REG-OK-1]\nphones: [{name: p, user: a}]\n"
	"steps: [{register: p}]\n";


START_TEST(test_lint_folder)
{
	const char *paths[2];
	char out[8192], line[700];
	size_t checked = 0;
	FILE *f;
	int bad;

	(void)write_file("s/b-good.yaml", good_yaml);
	(void)write_file("s/a-good.yml", good_yaml);
	(void)write_file("s/sub/c-bad.yaml",
			 "name: t\nrules: [REG-X]\nphones: [{name: p, "
			 "user: a}]\nsteps: [{register: q}]\n");
	(void)write_file("s/d-bad.yaml", "[1, 2\n");
	(void)write_file("s/notes.txt", "not a scenario");
	(void)write_file("s/.hidden.yaml", "junk: [");
	(void)write_file("s/configs/cfg.yaml", "domains: []\n");

	(void)snprintf(line, sizeof(line), "%s/s/", tmpdir);
	paths[0] = line;

	f = fmemopen(out, sizeof(out), "w");
	ck_assert_ptr_nonnull(f);
	bad = lint_run(paths, 1, f, &checked);
	fclose(f);

	ck_assert_int_eq(bad, 2);
	ck_assert_uint_eq(checked, 4);

	/* every error, file by file in sorted order, by line in a file */
	{
		char exp[4096];

		(void)snprintf(exp, sizeof(exp),
			       "%s/s/d-bad.yaml:2:1: ", tmpdir);
		ck_assert_msg(strstr(out, exp) != NULL, "%s", out);
		(void)snprintf(exp, sizeof(exp),
			       "%s/s/sub/c-bad.yaml:2:9: unknown rule ID "
			       "'REG-X'", tmpdir);
		ck_assert_msg(strstr(out, exp) != NULL, "%s", out);
		(void)snprintf(exp, sizeof(exp),
			       "%s/s/sub/c-bad.yaml:4:20: undefined phone "
			       "'q'", tmpdir);
		ck_assert_msg(strstr(out, exp) != NULL, "%s", out);
		ck_assert(strstr(out, "d-bad") < strstr(out, "sub/c-bad"));
		ck_assert(strstr(out, "REG-X") < strstr(out, "phone 'q'"));
		ck_assert(strstr(out, "good") == NULL);
		ck_assert(strstr(out, "hidden") == NULL);
		ck_assert(strstr(out, "cfg.yaml") == NULL);
	}

	/* a file given by name is checked whatever its name; a missing
	   path is one bad file */
	(void)snprintf(line, sizeof(line), "%s/s/notes.txt", tmpdir);
	paths[0] = line;
	paths[1] = "/nonexistent/x.yaml";
	f = fmemopen(out, sizeof(out), "w");
	bad = lint_paths(paths, 2, f);
	fclose(f);
	ck_assert_int_eq(bad, 2);
	ck_assert(strstr(out, "/nonexistent/x.yaml:1:1: cannot read") !=
		  NULL);

	/* good files only */
	(void)snprintf(line, sizeof(line), "%s/s/a-good.yml", tmpdir);
	paths[0] = line;
	ck_assert_int_eq(lint_run(paths, 1, NULL, &checked), 0);
	ck_assert_uint_eq(checked, 1);
}
END_TEST


START_TEST(test_collect_sorted)
{
	char **filev = NULL;
	size_t filec = 0;
	const char *paths[2];
	char dir[600];

	(void)write_file("z/b.yaml", good_yaml);
	(void)write_file("z/a/z.yaml", good_yaml);
	(void)write_file("z/a.yaml", good_yaml);
	(void)write_file("z/c.yml", good_yaml);

	(void)snprintf(dir, sizeof(dir), "%s/z", tmpdir);
	paths[0] = dir;
	paths[1] = "given.txt";
	ck_assert_int_eq(scenario_collect(paths, 2, &filev, &filec), 0);
	ck_assert_uint_eq(filec, 5);
	ck_assert(strstr(filev[0], "z/a.yaml") != NULL);
	ck_assert(strstr(filev[1], "z/a/z.yaml") != NULL);
	ck_assert(strstr(filev[2], "z/b.yaml") != NULL);
	ck_assert(strstr(filev[3], "z/c.yml") != NULL);
	ck_assert_str_eq(filev[4], "given.txt");
	ck_assert_ptr_null(filev[5]);
	mem_deref(filev);

	ck_assert_int_eq(scenario_collect(NULL, 0, &filev, &filec), 0);
	ck_assert_uint_eq(filec, 0);
	ck_assert_ptr_null(filev[0]);
	mem_deref(filev);
}
END_TEST


/* the repository's own scenarios all pass the linter */
START_TEST(test_repo_scenarios_lint)
{
	const char *paths[] = {"scenarios"};
	char out[16384];
	size_t checked = 0;
	FILE *f;
	int bad;

	if (access("scenarios", R_OK))
		return;   /* run from elsewhere than the top of the tree */

	f = fmemopen(out, sizeof(out), "w");
	bad = lint_run(paths, 1, f, &checked);
	fclose(f);

	ck_assert_msg(bad == 0, "%d of %zu bad:\n%s", bad, checked, out);
}
END_TEST


/* ---- the step table, its README reference and its schema ------------- */

/* the README's section of a step: from its heading to the next heading */
static const char *step_section(const char *md, const char *name,
				size_t *lenp)
{
	char head[64];
	const char *p, *end;

	(void)snprintf(head, sizeof(head), "\n##### `%s`\n", name);
	p = strstr(md, head);
	if (!p)
		return NULL;

	p += strlen(head);
	end = strstr(p, "\n#");
	*lenp = end ? (size_t)(end - p) : strlen(p);

	return p;
}


static bool in_section(const char *sec, size_t len, const char *key)
{
	char word[64];
	size_t wl;

	wl = (size_t)snprintf(word, sizeof(word), "`%s`", key);
	for (const char *p = sec; p + wl <= sec + len; p++) {
		if (!memcmp(p, word, wl))
			return true;
	}

	return false;
}


/* scenarios/README.md lists every row of the step table and every key */
START_TEST(test_readme_lists_every_step)
{
	char *md = NULL, *gen = NULL;
	size_t mdlen = 0, genlen = 0, rows = 0;
	FILE *f;

	if (access("scenarios", R_OK))
		return;   /* run from elsewhere than the top of the tree */

	ck_assert_int_eq(textfile_read(&md, &mdlen, "scenarios/README.md",
				       1 << 20), 0);

	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			const char *sec;
			size_t len = 0;

			++rows;
			sec = step_section(md, k->name, &len);
			ck_assert_msg(sec, "scenarios/README.md has no "
				      "'##### `%s`' (step kind of %s): "
				      "harness schema --markdown", k->name,
				      t->name);
			ck_assert_msg(k->doc && k->doc[0] && k->load &&
				      k->run, "row %s: doc, parser and "
				      "runner", k->name);

			for (size_t i = 0; k->keys && k->keys[i].name; i++) {
				const struct step_key *x = &k->keys[i];

				ck_assert_msg(in_section(sec, len, x->name),
					      "scenarios/README.md: %s does "
					      "not list its key '%s'",
					      k->name, x->name);
				for (size_t j = 0; x->sub && x->sub[j].name;
				     j++)
					ck_assert_msg(in_section(sec, len,
							x->sub[j].name),
						      "scenarios/README.md: "
						      "%s %s does not list "
						      "'%s'", k->name, x->name,
						      x->sub[j].name);
			}
		}
	}
	/* every kind the loader and runner tell apart is a row */
	ck_assert_uint_ge(rows, (size_t)SC_RESTART + 1);
	for (int t = SC_REGISTER; t <= SC_RESTART; t++)
		ck_assert_msg(steps_of((enum sc_step_type)t), "no row of type "
			      "%d", t);

	/* and says it as the table does now (not a stale copy) */
	f = open_memstream(&gen, &genlen);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(steps_print_markdown(f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(strstr(md, gen), "scenarios/README.md's step reference "
		      "differs from the step table: paste `harness schema "
		      "--markdown` over it");

	free(gen);
	mem_deref(md);
}
END_TEST


/* the JSON schema names every row, with its keys */
START_TEST(test_schema_every_step)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(steps_print_schema(f), 0);
	ck_assert_int_eq(fclose(f), 0);

	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			char title[64];

			(void)snprintf(title, sizeof(title), "{\"title\": "
				       "\"%s\"", k->name);
			ck_assert_msg(strstr(out, title), "schema: no %s",
				      k->name);
			for (size_t i = 0; k->keys && k->keys[i].name; i++) {
				char key[64];

				(void)snprintf(key, sizeof(key), "\"%s\": "
					       "{\"description\"",
					       k->keys[i].name);
				ck_assert_msg(strstr(out, key), "schema: %s "
					      "has no key %s", k->name,
					      k->keys[i].name);
			}
		}
	}

	/* every row is found by its name, and by its type */
	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++)
			ck_assert_ptr_eq(steps_find(k->name), k);
	}
	ck_assert_ptr_null(steps_find("reboot"));
	ck_assert_str_eq(steps_find("expect_dial")->name, "expect_dial");
	ck_assert_str_eq(steps_of(SC_LINK)->name, "link");

	free(out);
}
END_TEST


/* request: any method, its URI, To tag, headers and a body of lines */
START_TEST(test_request_step)
{
	struct scenario *sc;
	const struct sc_step *st;

	sc = load_ok("request.yaml", HEAD
		     "  - request:\n"
		     "      phones: lobby\n"
		     "      method: MESSAGE\n"
		     "      uri: \"sip:bob@example.sip.us1.twilio.com\"\n"
		     "      to_tag: t-1\n"
		     "      headers: [\"Content-Type: text/plain\"]\n"
		     "      no_auth: true\n"
		     "      body: |\n"
		     "        line one\n"
		     "        line two\n"
		     "    expect: {status: 405, rule: METH-1}\n"
		     "  - request: {phones: desk-2, method: FOOBAR}\n");

	ck_assert_uint_eq(sc->stepc, 2);
	st = &sc->stepv[0];
	ck_assert_str_eq(steps_kind(st)->name, "request");
	ck_assert(st->has_req);
	ck_assert_str_eq(nth_phone(st, 0), "lobby");
	ck_assert_str_eq(st->req.method, "MESSAGE");
	ck_assert_str_eq(st->req.uri, "sip:bob@example.sip.us1.twilio.com");
	ck_assert_str_eq(st->req.to_tag, "t-1");
	ck_assert_ptr_nonnull(strstr(st->req.extra, "Content-Type: text/plain"));
	ck_assert_str_eq(st->req.body, "line one\nline two\n");
	ck_assert(st->req.no_auth);
	ck_assert(st->has_expect);
	ck_assert_uint_eq(st->expect.status, 405);

	st = &sc->stepv[1];
	ck_assert_str_eq(st->req.method, "FOOBAR");
	ck_assert_ptr_null(st->req.uri);
	ck_assert_ptr_null(st->req.body);
	ck_assert(!sc->needs_calls);

	mem_deref(sc);
}
END_TEST


FIXTURE_MAIN("scenario",
	FIXTURE_CASE("good", setup, teardown, 60, 0,
		test_full_phones, test_full_steps, test_minimal_needs_nothing,
		test_ranges_and_all, test_big_count, test_inline_config_block,
		test_inline_config_flow, test_config_file_relative,
		test_request_step),
	FIXTURE_CASE("errors", setup, teardown, 0, (int)ARRAY_SIZE(badv),
		test_bad),
	FIXTURE_CASE("errors", setup, teardown, 0, 0,
		test_config_file_bad, test_all_errors_reported,
		test_no_cascade, test_hostile_inputs, test_unreadable),
	FIXTURE_CASE("lint", setup, teardown, 0, 0,
		test_lint_folder, test_collect_sorted,
		test_repo_scenarios_lint, test_readme_lists_every_step,
		test_schema_every_step))
