/**
 * @file test_config.c  Unit tests of the registrar's YAML config loader
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include "fixture.h"
#include <re.h>
#include "config.h"
#include "textfile.h"


/* a small valid config that the error tests vary; line numbers matter */
#define BASE_DOMAINS \
	"domains:\n" \
	"  - name: example.sip.us1.twilio.com\n" \
	"    credential_lists:\n" \
	"      registration: [office]\n"

#define BASE_LISTS \
	"credential_lists:\n" \
	"  - name: office\n" \
	"    credentials:\n" \
	"      - username: alice\n" \
	"        password: Conform-Pass-1\n"

#define BASE BASE_DOMAINS BASE_LISTS     /* 9 lines */


static struct reg_config *load_ok(const char *yaml)
{
	struct reg_config *cfg = NULL;
	char errbuf[512] = "";
	int err;

	err = reg_config_load_str(&cfg, "t.yaml", yaml, strlen(yaml), errbuf,
				  sizeof(errbuf));
	ck_assert_msg(err == 0, "load failed (%d): %s", err, errbuf);
	ck_assert_ptr_nonnull(cfg);

	return cfg;
}


/* HA1 computed here, independently of the loader's own hex encoding */
/* d's credential named the first len bytes of user: found, and named
 * exactly that */
static const struct credential *expect_user(const struct reg_config *cfg,
					    const struct domain_conf *d,
					    bool calls, const char *user,
					    size_t len)
{
	const struct credential *c = reg_config_credential(cfg, d, calls,
							   user, len);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strlen(c->username) == len &&
		      !strncmp(c->username, user, len), "found %s, not %.*s",
		      c->username, (int)len, user);

	return c;
}


static void expect_ha1(const char *ha1, const char *user, const char *realm,
		       const char *password)
{
	uint8_t md[16];
	char hex[33];

	ck_assert_int_eq(md5_printf(md, "%s:%s:%s", user, realm, password),
			 0);
	(void)re_snprintf(hex, sizeof(hex), "%w", md, sizeof(md));
	ck_assert_str_eq(ha1, hex);
}


static void expect_error(const char *yaml, const char *prefix,
			 const char *word)
{
	struct reg_config *cfg = NULL;
	char errbuf[512] = "";
	int err;

	err = reg_config_load_str(&cfg, "t.yaml", yaml, strlen(yaml), errbuf,
				  sizeof(errbuf));
	ck_assert_msg(err == EINVAL, "expected EINVAL, got %d (%s)", err,
		      errbuf);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(!strncmp(errbuf, prefix, strlen(prefix)),
		      "expected prefix '%s' in: %s", prefix, errbuf);
	ck_assert_msg(strstr(errbuf + strlen(prefix), word) != NULL,
		      "expected '%s' in: %s", word, errbuf);
}


static void expect_default_limits(const struct limits_conf *lim)
{
	ck_assert_uint_eq(lim->contacts_per_aor, 10);
	ck_assert_uint_eq(lim->registers_per_second, 5);
	ck_assert_uint_eq(lim->registrations_per_domain, 10000);
	ck_assert_uint_eq(lim->registrations_per_account, 20000);
	ck_assert_uint_eq(lim->max_expires, 600);
	ck_assert_uint_eq(lim->min_expires, 0);
	ck_assert_uint_eq(lim->default_expires, 3600);
}


static void expect_default_profile(const struct profile_conf *p)
{
	ck_assert_str_eq(p->name, "default");
	ck_assert_str_eq(p->realm, "sip.twilio.com");
	ck_assert_uint_eq(p->challenge, 407);
	ck_assert_uint_eq(p->nonce_lifetime, 300);
	ck_assert(p->accept_authorization);
	ck_assert_int_eq(p->loopback_contacts, LOOPBACK_ALLOW);
	ck_assert_uint_eq(p->refer_reply, 405);
	ck_assert_uint_eq(p->ring_timeout, 30);

	for (unsigned i = 0; i < RULE_COUNT; i++)
		ck_assert(!p->replies[i].set);
}


START_TEST(test_default_config)
{
	static const char *const users[] = {"alice", "bob", "carol"};
	struct reg_config *cfg = NULL;
	const struct domain_conf *d;
	const struct credential_list *l;

	ck_assert_int_eq(reg_config_default(&cfg), 0);
	ck_assert_ptr_nonnull(cfg);

	ck_assert_str_eq(cfg->source, "<default>");
	ck_assert_str_eq(cfg->account_name, "conform");

	ck_assert_uint_eq(cfg->domainc, 1);
	d = &cfg->domainv[0];
	ck_assert_str_eq(d->name, "example.sip.us1.twilio.com");
	ck_assert_str_eq(d->label, "example");
	ck_assert_str_eq(d->region, "us1");
	ck_assert_str_eq(d->suffix, "twilio.com");
	ck_assert(d->registration);
	ck_assert_uint_eq(d->reg_listc, 1);
	ck_assert_uint_eq(d->reg_listv[0], 0);
	ck_assert_uint_eq(d->call_listc, 1);
	ck_assert_uint_eq(d->call_listv[0], 0);

	ck_assert_uint_eq(cfg->listc, 1);
	l = &cfg->listv[0];
	ck_assert_str_eq(l->name, "default");
	ck_assert_uint_eq(l->credc, 3);

	for (unsigned i = 0; i < 3; i++) {
		ck_assert_str_eq(l->credv[i].username, users[i]);
		ck_assert_str_eq(l->credv[i].password, "Conform-Pass-1");
		expect_ha1(l->credv[i].ha1, users[i], "sip.twilio.com",
			   "Conform-Pass-1");
	}

	expect_default_limits(&cfg->limits);
	expect_default_profile(&cfg->profile);

	mem_deref(cfg);
}
END_TEST


START_TEST(test_default_yaml_loads_as_text)
{
	const char *yaml = reg_config_default_yaml();
	struct reg_config *cfg;

	ck_assert_ptr_nonnull(yaml);
	ck_assert_ptr_nonnull(strstr(yaml, "example.sip.us1.twilio.com"));

	cfg = load_ok(yaml);
	ck_assert_str_eq(cfg->source, "t.yaml");
	ck_assert_uint_eq(cfg->listv[0].credc, 3);
	mem_deref(cfg);
}
END_TEST


/* the code's defaults and the default YAML's explicit values agree */
START_TEST(test_defaults_without_limits_and_profile)
{
	struct reg_config *cfg = load_ok(BASE);

	ck_assert_ptr_null(cfg->account_sid);
	ck_assert_ptr_null(cfg->account_name);
	ck_assert(cfg->domainv[0].registration);
	ck_assert_uint_eq(cfg->domainv[0].call_listc, 0);
	expect_default_limits(&cfg->limits);
	expect_default_profile(&cfg->profile);

	mem_deref(cfg);
}
END_TEST


START_TEST(test_domain_lookup_case_insensitive)
{
	static const char host_port[] = "example.sip.us1.twilio.com:5060";
	struct reg_config *cfg = NULL;
	const struct domain_conf *d;

	ck_assert_int_eq(reg_config_default(&cfg), 0);

	d = reg_config_domain(cfg, "EXAMPLE.SIP.us1.Twilio.COM", 26);
	ck_assert_ptr_eq(d, &cfg->domainv[0]);

	/* a host inside a longer buffer (a struct pl) */
	d = reg_config_domain(cfg, host_port, 26);
	ck_assert_ptr_eq(d, &cfg->domainv[0]);

	mem_deref(cfg);
}
END_TEST


START_TEST(test_domain_lookup_unknown)
{
	struct reg_config *cfg = NULL;

	ck_assert_int_eq(reg_config_default(&cfg), 0);

	ck_assert_ptr_null(reg_config_domain(cfg, "other.sip.us1.twilio.com",
					     24));
	/* a served domain under another region's host */
	ck_assert_ptr_null(reg_config_domain(cfg,
					     "example.sip.ie1.twilio.com",
					     26));
	ck_assert_ptr_null(reg_config_domain(cfg, "example.sip.us1", 15));
	ck_assert_ptr_null(reg_config_domain(cfg, "", 0));
	ck_assert_ptr_null(reg_config_domain(NULL, "x", 1));
	ck_assert_ptr_null(reg_config_domain(cfg, NULL, 0));

	mem_deref(cfg);
}
END_TEST


START_TEST(test_credential_lookup)
{
	static const char user_at[] = "alice@example.sip.us1.twilio.com";
	struct reg_config *cfg = NULL;
	const struct domain_conf *d;

	ck_assert_int_eq(reg_config_default(&cfg), 0);
	d = &cfg->domainv[0];

	(void)expect_user(cfg, d, false, "bob", 3);
	(void)expect_user(cfg, d, true, "carol", 5);

	/* not NUL-terminated: the user part of a URI */
	(void)expect_user(cfg, d, false, user_at, 5);

	/* usernames are case-sensitive; prefixes are not matches */
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "Alice", 5));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "dave", 4));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "ali", 3));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "", 0));
	ck_assert_ptr_null(reg_config_credential(cfg, NULL, false, "bob",
						 3));
	ck_assert_ptr_null(reg_config_credential(NULL, d, false, "bob", 3));

	mem_deref(cfg);
}
END_TEST


START_TEST(test_credential_lookup_follows_mapping)
{
	static const char yaml[] =
		"domains:\n"
		"  - name: a.sip.us1.twilio.com\n"
		"    credential_lists:\n"
		"      registration: [office]\n"
		"      calls: [staff]\n"
		"  - name: b.sip.us1.twilio.com\n"
		"    registration: false\n"
		"    credential_lists:\n"
		"      registration: []\n"
		"      calls: [staff, office]\n"
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: alice\n"
		"        password: Conform-Pass-1\n"
		"  - name: staff\n"
		"    credentials:\n"
		"      - username: bob\n"
		"        password: Conform-Pass-2\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct domain_conf *a, *b;
	const struct credential *c;

	a = reg_config_domain(cfg, "a.sip.us1.twilio.com", 20);
	b = reg_config_domain(cfg, "b.sip.us1.twilio.com", 20);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a->registration);
	ck_assert(!b->registration);
	ck_assert_uint_eq(b->reg_listc, 0);
	ck_assert_uint_eq(b->call_listc, 2);
	ck_assert_uint_eq(b->call_listv[0], 1);
	ck_assert_uint_eq(b->call_listv[1], 0);

	/* registration uses only the lists mapped for registration */
	c = reg_config_credential(cfg, a, false, "alice", 5);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(reg_config_credential(cfg, a, false, "bob", 3));
	ck_assert_ptr_null(reg_config_credential(cfg, b, false, "alice", 5));

	/* calls use only the lists mapped for calls */
	c = reg_config_credential(cfg, a, true, "bob", 3);
	ck_assert_ptr_nonnull(c);
	expect_ha1(c->ha1, "bob", "sip.twilio.com", "Conform-Pass-2");
	ck_assert_ptr_null(reg_config_credential(cfg, a, true, "alice", 5));
	ck_assert_ptr_nonnull(reg_config_credential(cfg, b, true, "alice",
						    5));
	ck_assert_ptr_nonnull(reg_config_credential(cfg, b, true, "bob", 3));

	mem_deref(cfg);
}
END_TEST


START_TEST(test_ha1_credential_stored_lower_case)
{
	static const char yaml[] =
		BASE_DOMAINS
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: bob\n"
		"        ha1: 5F4DCC3B5AA765D61D8327DEB882CF99\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct credential *c;

	c = reg_config_credential(cfg, &cfg->domainv[0], false, "bob", 3);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->password);
	ck_assert_str_eq(c->ha1, "5f4dcc3b5aa765d61d8327deb882cf99");

	mem_deref(cfg);
}
END_TEST


START_TEST(test_range_expansion)
{
	static const char yaml[] =
		BASE_DOMAINS
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: alice\n"
		"        password: Conform-Pass-1\n"
		"      - username: \"u-{1..2001}\"\n"
		"        password: Conform-Pass-1\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct domain_conf *d = &cfg->domainv[0];
	const struct credential_list *l = &cfg->listv[0];
	const struct credential *c;

	ck_assert_uint_eq(l->credc, 2002);
	ck_assert_str_eq(l->credv[1].username, "u-1");
	ck_assert_str_eq(l->credv[2001].username, "u-2001");

	c = expect_user(cfg, d, false, "u-1000", 6);
	expect_ha1(c->ha1, "u-1000", "sip.twilio.com", "Conform-Pass-1");

	ck_assert_ptr_nonnull(reg_config_credential(cfg, d, false, "alice",
						    5));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "u-0", 3));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "u-2002",
						 6));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "u-0001",
						 6));

	mem_deref(cfg);
}
END_TEST


START_TEST(test_range_zero_padded)
{
	static const char yaml[] =
		BASE_DOMAINS
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: user{00000..19999}\n"
		"        password: Conform-Pass-1\n"
		"      - username: x{7..9}y\n"
		"        password: Conform-Pass-1\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct domain_conf *d = &cfg->domainv[0];
	const struct credential_list *l = &cfg->listv[0];
	const struct credential *c;

	ck_assert_uint_eq(l->credc, 20003);
	ck_assert_str_eq(l->credv[0].username, "user00000");
	ck_assert_str_eq(l->credv[19999].username, "user19999");
	ck_assert_str_eq(l->credv[20000].username, "x7y");
	ck_assert_str_eq(l->credv[20002].username, "x9y");

	c = expect_user(cfg, d, false, "user00042", 9);
	expect_ha1(c->ha1, "user00042", "sip.twilio.com", "Conform-Pass-1");

	ck_assert_ptr_nonnull(reg_config_credential(cfg, d, false, "x8y", 3));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "user42", 6));
	ck_assert_ptr_null(reg_config_credential(cfg, d, false, "user20000",
						 9));

	mem_deref(cfg);
}
END_TEST


START_TEST(test_profile_settings)
{
	/* the profile comes after the lists: HA1s still use its realm */
	static const char yaml[] =
		BASE
		"account:\n"
		"  sid: AC0123456789abcdef0123456789abcdef\n"
		"  name: lab\n"
		"limits:\n"
		"  max_expires: 3600\n"
		"  min_expires: 60\n"
		"profile:\n"
		"  name: strict\n"
		"  realm: example.org\n"
		"  challenge: 401\n"
		"  nonce_lifetime: 30\n"
		"  accept_authorization: false\n"
		"  loopback_contacts: reject\n"
		"  refer_reply: 603\n"
		"  ring_timeout: 45\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct profile_conf *p = &cfg->profile;
	const char *reason;
	uint16_t scode;

	ck_assert_str_eq(cfg->account_sid,
			 "AC0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(cfg->account_name, "lab");
	ck_assert_uint_eq(cfg->limits.max_expires, 3600);
	ck_assert_uint_eq(cfg->limits.min_expires, 60);
	ck_assert_uint_eq(cfg->limits.contacts_per_aor, 10);

	ck_assert_str_eq(p->name, "strict");
	ck_assert_str_eq(p->realm, "example.org");
	ck_assert_uint_eq(p->challenge, 401);
	ck_assert_uint_eq(p->nonce_lifetime, 30);
	ck_assert(!p->accept_authorization);
	ck_assert_int_eq(p->loopback_contacts, LOOPBACK_REJECT);
	ck_assert_uint_eq(p->refer_reply, 603);
	ck_assert_uint_eq(p->ring_timeout, 45);

	expect_ha1(cfg->listv[0].credv[0].ha1, "alice", "example.org",
		   "Conform-Pass-1");

	/* the challenge and refer_reply settings show in the rule replies */
	reg_config_reply(cfg, RULE_REG_AUTH_1, &scode, &reason, NULL, NULL);
	ck_assert_uint_eq(scode, 401);
	ck_assert_str_eq(reason, "Unauthorized");
	reg_config_reply(cfg, RULE_REG_AUTH_4, &scode, NULL, NULL, NULL);
	ck_assert_uint_eq(scode, 401);
	reg_config_reply(cfg, RULE_REG_AUTH_5, &scode, NULL, NULL, NULL);
	ck_assert_uint_eq(scode, 401);
	reg_config_reply(cfg, RULE_CALL_OUT_1, &scode, NULL, NULL, NULL);
	ck_assert_uint_eq(scode, 407);
	reg_config_reply(cfg, RULE_REFER_1, &scode, &reason, NULL, NULL);
	ck_assert_uint_eq(scode, 603);
	ck_assert_str_eq(reason, "Decline");

	mem_deref(cfg);
}
END_TEST


/* an explicit replies override beats the profile's settings */
START_TEST(test_profile_reply_override_beats_settings)
{
	static const char yaml[] =
		BASE
		"profile:\n"
		"  challenge: 401\n"
		"  refer_reply: 501\n"
		"  replies:\n"
		"    REG-AUTH-1: {code: 407}\n"
		"    REFER-1: {reason: \"Transfer Not Supported\"}\n";
	struct reg_config *cfg = load_ok(yaml);
	const char *reason;
	uint16_t scode;

	reg_config_reply(cfg, RULE_REG_AUTH_1, &scode, &reason, NULL, NULL);
	ck_assert_uint_eq(scode, 407);
	ck_assert_str_eq(reason, rule_get(RULE_REG_AUTH_1)->reason);

	/* no override: the profile's choice */
	reg_config_reply(cfg, RULE_REG_AUTH_4, &scode, &reason, NULL, NULL);
	ck_assert_uint_eq(scode, 401);

	/* a reason alone keeps the profile's code */
	reg_config_reply(cfg, RULE_REFER_1, &scode, &reason, NULL, NULL);
	ck_assert_uint_eq(scode, 501);
	ck_assert_str_eq(reason, "Transfer Not Supported");

	mem_deref(cfg);
}
END_TEST


START_TEST(test_profile_reply_override)
{
	static const char yaml[] =
		BASE
		"profile:\n"
		"  replies:\n"
		"    REG-LIM-AOR: {code: 503, reason: \"Too Many\", "
		"twilio_error: 32099, error_text: \"Too many bindings\"}\n"
		"    REG-DOMAIN-1: {code: 403}\n"
		"    REG-AUTH-2: {twilio_error: 0}\n";
	struct reg_config *cfg = load_ok(yaml);
	const struct rule *row;
	const char *reason, *text;
	uint32_t twerr;
	uint16_t scode;

	ck_assert(cfg->profile.replies[RULE_REG_LIM_AOR].set);

	reg_config_reply(cfg, RULE_REG_LIM_AOR, &scode, &reason, &twerr,
			 &text);
	ck_assert_uint_eq(scode, 503);
	ck_assert_str_eq(reason, "Too Many");
	ck_assert_uint_eq(twerr, 32099);
	ck_assert_str_eq(text, "Too many bindings");

	/* unset fields of an override are the table's */
	row = rule_get(RULE_REG_DOMAIN_1);
	reg_config_reply(cfg, RULE_REG_DOMAIN_1, &scode, &reason, &twerr,
			 &text);
	ck_assert_uint_eq(scode, 403);
	ck_assert_str_eq(reason, row->reason);
	ck_assert_uint_eq(twerr, row->twilio_error);
	ck_assert_ptr_eq(text, row->error_text);

	/* twilio_error: 0 drops the table's X-Twilio-Error */
	row = rule_get(RULE_REG_AUTH_2);
	reg_config_reply(cfg, RULE_REG_AUTH_2, &scode, &reason, &twerr,
			 NULL);
	ck_assert_uint_eq(scode, row->scode);
	ck_assert_str_eq(reason, row->reason);
	ck_assert_uint_eq(twerr, 0);

	/* no override: the table's row */
	row = rule_get(RULE_REG_LIM_RATE);
	reg_config_reply(cfg, RULE_REG_LIM_RATE, &scode, &reason, &twerr,
			 &text);
	ck_assert_uint_eq(scode, row->scode);
	ck_assert_ptr_eq(reason, row->reason);
	ck_assert_uint_eq(twerr, row->twilio_error);
	ck_assert_ptr_eq(text, row->error_text);

	/* every out-pointer may be NULL */
	reg_config_reply(cfg, RULE_REG_LIM_AOR, NULL, NULL, NULL, NULL);
	reg_config_reply(NULL, RULE_REG_LIM_AOR, &scode, NULL, NULL, NULL);
	ck_assert_uint_eq(scode, rule_get(RULE_REG_LIM_AOR)->scode);

	mem_deref(cfg);
}
END_TEST


START_TEST(test_load_file)
{
	char path[] = "/tmp/test_config_XXXXXX";
	struct reg_config *cfg = NULL;
	char errbuf[512] = "";
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(fputs(BASE, f), 0);
	fclose(f);

	ck_assert_int_eq(reg_config_load_file(&cfg, path, errbuf,
					      sizeof(errbuf)), 0);
	ck_assert_str_eq(cfg->source, path);
	ck_assert_uint_eq(cfg->domainc, 1);
	cfg = mem_deref(cfg);

	/* errors name the file */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(fputs("domains:\n  - nam: x\n", f), 0);
	fclose(f);

	ck_assert_int_eq(reg_config_load_file(&cfg, path, errbuf,
					      sizeof(errbuf)), EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(errbuf, ":2:5: unknown key 'nam'"));
	ck_assert(!strncmp(errbuf, path, strlen(path)));

	unlink(path);
}
END_TEST


START_TEST(test_load_file_missing)
{
	const char *path = "/nonexistent/sipconform.yaml";
	struct reg_config *cfg = NULL;
	char errbuf[512] = "";
	char want[512];

	ck_assert_int_eq(reg_config_load_file(&cfg, path, errbuf,
					      sizeof(errbuf)), ENOENT);
	ck_assert_ptr_null(cfg);
	(void)snprintf(want, sizeof(want), "%s: cannot read: %s", path,
		       strerror(ENOENT));
	ck_assert_str_eq(errbuf, want);

	/* a directory is not a config either */
	ck_assert_int_ne(reg_config_load_file(&cfg, "/tmp", errbuf,
					      sizeof(errbuf)), 0);
	ck_assert_ptr_null(cfg);
	ck_assert(!strncmp(errbuf, "/tmp: cannot read: ", 19));

	ck_assert_int_eq(reg_config_load_file(&cfg, path, NULL, 0), ENOENT);
}
END_TEST


/* --print-config: every field of two configurations, one by one */
static void expect_same_str(const char *a, const char *b, const char *what)
{
	ck_assert_msg((!a && !b) || (a && b && !strcmp(a, b)),
		      "%s differs: '%s' vs '%s'", what, a ? a : "(null)",
		      b ? b : "(null)");
}


static const char *app_name(const struct application_conf *app)
{
	return app ? app->name : NULL;
}


static void expect_same_config(const struct reg_config *a,
			       const struct reg_config *b)
{
	expect_same_str(a->account_sid, b->account_sid, "account.sid");
	expect_same_str(a->account_name, b->account_name, "account.name");

	ck_assert_uint_eq(a->domainc, b->domainc);
	for (uint32_t i = 0; i < a->domainc; i++) {
		const struct domain_conf *x = &a->domainv[i];
		const struct domain_conf *y = &b->domainv[i];

		expect_same_str(x->name, y->name, "domain name");
		expect_same_str(x->label, y->label, "domain label");
		expect_same_str(x->region, y->region, "domain region");
		expect_same_str(x->suffix, y->suffix, "domain suffix");
		ck_assert_int_eq(x->registration, y->registration);
		ck_assert_uint_eq(x->reg_listc, y->reg_listc);
		ck_assert_uint_eq(x->call_listc, y->call_listc);
		ck_assert(!memcmp(x->reg_listv, y->reg_listv,
				  sizeof(x->reg_listv)));
		ck_assert(!memcmp(x->call_listv, y->call_listv,
				  sizeof(x->call_listv)));
		expect_same_str(app_name(x->app), app_name(y->app),
				"domain voice_application");
	}

	ck_assert_uint_eq(a->listc, b->listc);
	for (uint32_t i = 0; i < a->listc; i++) {
		const struct credential_list *x = &a->listv[i];
		const struct credential_list *y = &b->listv[i];

		expect_same_str(x->name, y->name, "list name");
		ck_assert_uint_eq(x->credc, y->credc);
		for (uint32_t j = 0; j < x->credc; j++) {
			expect_same_str(x->credv[j].username,
					y->credv[j].username, "username");
			expect_same_str(x->credv[j].password,
					y->credv[j].password, "password");
			ck_assert_str_eq(x->credv[j].ha1, y->credv[j].ha1);
		}
	}

	ck_assert(!memcmp(&a->limits, &b->limits, sizeof(a->limits)));

	expect_same_str(a->profile.name, b->profile.name, "profile.name");
	expect_same_str(a->profile.realm, b->profile.realm, "profile.realm");
	ck_assert_uint_eq(a->profile.challenge, b->profile.challenge);
	ck_assert_uint_eq(a->profile.nonce_lifetime,
			  b->profile.nonce_lifetime);
	ck_assert_int_eq(a->profile.accept_authorization,
			 b->profile.accept_authorization);
	ck_assert_int_eq(a->profile.loopback_contacts,
			 b->profile.loopback_contacts);
	ck_assert_uint_eq(a->profile.refer_reply, b->profile.refer_reply);
	ck_assert_uint_eq(a->profile.ring_timeout, b->profile.ring_timeout);
	ck_assert_uint_eq(a->profile.say_seconds, b->profile.say_seconds);
	for (unsigned i = 0; i < RULE_COUNT; i++) {
		const struct rule_reply *x = &a->profile.replies[i];
		const struct rule_reply *y = &b->profile.replies[i];

		ck_assert_int_eq(x->set, y->set);
		ck_assert_uint_eq(x->scode, y->scode);
		ck_assert_uint_eq(x->twilio_error, y->twilio_error);
		expect_same_str(x->reason, y->reason, "reply reason");
		expect_same_str(x->error_text, y->error_text,
				"reply error_text");
	}

	ck_assert_uint_eq(a->numberc, b->numberc);
	for (uint32_t i = 0; i < a->numberc; i++) {
		expect_same_str(a->numberv[i].number, b->numberv[i].number,
				"number");
		expect_same_str(app_name(a->numberv[i].app),
				app_name(b->numberv[i].app),
				"number voice_application");
	}

	ck_assert_uint_eq(a->verifiedc, b->verifiedc);
	for (uint32_t i = 0; i < a->verifiedc; i++)
		expect_same_str(a->verifiedv[i], b->verifiedv[i],
				"verified caller ID");

	ck_assert_uint_eq(a->appc, b->appc);
	for (uint32_t i = 0; i < a->appc; i++) {
		expect_same_str(a->appv[i].name, b->appv[i].name, "app name");
		expect_same_str(a->appv[i].twiml, b->appv[i].twiml, "twiml");
	}

	ck_assert_int_eq(a->pstn.dflt.behaviour, b->pstn.dflt.behaviour);
	ck_assert_uint_eq(a->pstn.dflt.after, b->pstn.dflt.after);
	ck_assert_uint_eq(a->pstn.dflt.hangup_after,
			  b->pstn.dflt.hangup_after);
	ck_assert_uint_eq(a->pstn.numc, b->pstn.numc);
	for (uint32_t i = 0; i < a->pstn.numc; i++) {
		const struct pstn_number_conf *x = &a->pstn.numv[i];
		const struct pstn_number_conf *y = &b->pstn.numv[i];

		expect_same_str(x->number, y->number, "pstn number");
		ck_assert_int_eq(x->behaviour, y->behaviour);
		ck_assert_uint_eq(x->after, y->after);
		ck_assert_uint_eq(x->hangup_after, y->hangup_after);
	}
}


/* print, load what was printed: the same configuration, the same text */
static void expect_round_trip(const struct reg_config *cfg)
{
	struct reg_config *again = NULL;
	char *text = NULL, *text2 = NULL;
	char errbuf[512] = "";
	int err;

	ck_assert_int_eq(re_sdprintf(&text, "%H", reg_config_print, cfg), 0);

	err = reg_config_load_str(&again, "printed.yaml", text, strlen(text),
				  errbuf, sizeof(errbuf));
	ck_assert_msg(err == 0, "the printed configuration does not load: "
		      "%s", errbuf);

	expect_same_config(cfg, again);

	ck_assert_int_eq(re_sdprintf(&text2, "%H", reg_config_print, again),
			 0);
	ck_assert_msg(!strcmp(text, text2), "printed twice, not the same");

	mem_deref(text2);
	mem_deref(again);
	mem_deref(text);
}


START_TEST(test_print_config_round_trip_default)
{
	struct reg_config *cfg = NULL;
	char *text = NULL;

	ck_assert_int_eq(reg_config_default(&cfg), 0);
	expect_round_trip(cfg);

	/* every key with its doc: one each */
	ck_assert_int_eq(re_sdprintf(&text, "%H", reg_config_print, cfg), 0);
	ck_assert_ptr_nonnull(strstr(text, "\n  nonce_lifetime: 300\n"));
	ck_assert_ptr_nonnull(strstr(text, "# seconds a nonce is good for"));
	ck_assert_ptr_nonnull(strstr(text, "\n  # sid: (not set)\n"));
	mem_deref(text);

	mem_deref(cfg);
}
END_TEST


/* every kind of value, and every field away from its default */
START_TEST(test_print_config_round_trip_everything)
{
	static const char yaml[] =
		"account: {sid: AC0123456789abcdef0123456789abcdef}\n"
		"domains:\n"
		"  - name: A.sip.ie1.Example.org\n"
		"    region: IE1\n"
		"    registration: false\n"
		"    credential_lists: {registration: [], calls: [b, a]}\n"
		"  - name: b.sip.us1.twilio.com\n"
		"    credential_lists: {registration: [a]}\n"
		"    voice_application: \"say \\\"hi\\\"\"\n"
		"credential_lists:\n"
		"  - name: a\n"
		"    credentials:\n"
		"      - {username: \"u{008..011}x\", password: Conform-Pass-1}\n"
		"      - {username: bob, ha1: 5F4DCC3B5AA765D61D8327DEB882CF99}\n"
		"  - name: b\n"
		"    credentials: []\n"
		"  - name: \"c: d\"\n"
		"limits:\n"
		"  contacts_per_aor: 3\n"
		"  registers_per_second: 7\n"
		"  registrations_per_domain: 50\n"
		"  registrations_per_account: 60\n"
		"  max_expires: 900\n"
		"  min_expires: 30\n"
		"  default_expires: 120\n"
		"profile:\n"
		"  name: strict\n"
		"  realm: lab.example.org\n"
		"  challenge: 401\n"
		"  nonce_lifetime: 17\n"
		"  accept_authorization: false\n"
		"  loopback_contacts: reject\n"
		"  refer_reply: 501\n"
		"  ring_timeout: 45\n"
		"  say_seconds: 0\n"
		"  replies:\n"
		"    REG-LIM-AOR: {code: 503, reason: \"Too Many\", "
		"twilio_error: 32099, error_text: \"a 'b' \\\"c\\\"\"}\n"
		"    REG-AUTH-2: {twilio_error: 0}\n"
		"numbers:\n"
		"  - number: \"+14155550199\"\n"
		"    voice_application: \"say \\\"hi\\\"\"\n"
		"  - number: \"+442071234567\"\n"
		"verified_caller_ids: [\"+14155550100\", \"+14155550101\"]\n"
		"applications:\n"
		"  \"say \\\"hi\\\"\": \"<Response>\\n\\t<Say>it's \\\\ "
		"&amp; ok</Say>\\n</Response>\"\n"
		"pstn:\n"
		"  default: ring\n"
		"  after: 9\n"
		"  hangup_after: 4\n"
		"  numbers:\n"
		"    \"+14155550123\": busy\n"
		"    \"+14155550124\": {after: 5, hangup_after: 20}\n";
	struct reg_config *cfg = load_ok(yaml);

	/* the input holds what the round trip must keep */
	ck_assert(!cfg->domainv[0].registration);
	ck_assert_uint_eq(cfg->listv[0].credc, 5);
	ck_assert_str_eq(cfg->listv[0].credv[0].username, "u008x");
	ck_assert_ptr_null(cfg->listv[0].credv[4].password);
	ck_assert_uint_eq(cfg->listv[2].credc, 0);
	ck_assert_ptr_nonnull(strchr(cfg->appv[0].twiml, '\n'));
	ck_assert_int_eq(cfg->pstn.numv[1].behaviour, PSTN_RING);
	ck_assert_uint_eq(cfg->profile.replies[RULE_REG_AUTH_2].scode, 0);

	expect_round_trip(cfg);

	mem_deref(cfg);
}
END_TEST


/*
 * The README's key table is --config-schema's output, between its two
 * markers; after a schema change: build/sim-registrar --config-schema.
 */
START_TEST(test_readme_lists_the_schema)
{
	static const char readme[] = "sim-registrar/README.md";
	static const char begin[] = "<!-- config-schema: generated by "
		"`sim-registrar --config-schema`, checked by test_config "
		"-->\n";
	static const char end[] = "<!-- /config-schema -->";
	char *text = NULL, *table = NULL;
	const char *a, *b, *x, *y;
	size_t len = 0;
	unsigned line = 1;

	ck_assert_msg(textfile_read(&text, &len, readme, 1 << 20) == 0,
		      "cannot read %s (run from the top of the tree)",
		      readme);

	a = strstr(text, begin);
	ck_assert_msg(a != NULL, "%s has no line '%s'", readme, begin);
	a += strlen(begin);
	b = strstr(a, end);
	ck_assert_msg(b != NULL, "%s has no line '%s'", readme, end);

	ck_assert_int_eq(re_sdprintf(&table, "%H", reg_config_schema_print,
				     NULL), 0);

	/* the first line that differs, to mend by hand or regenerate */
	for (x = a, y = table; x < b && *y && *x == *y; x++, y++) {
		if (*x == '\n')
			++line;
	}
	ck_assert_msg(x == b && *y == '\0', "%s: line %u of the key table "
		      "differs from sim-registrar --config-schema:\n"
		      "README: %.80s\nschema: %.80s", readme, line, x, y);

	mem_deref(table);
	mem_deref(text);
}
END_TEST


/* each error test: the YAML, the exact `file:line:col: ` and a word */
#define ERROR_TEST(fn, yaml, prefix, word)         \
	START_TEST(fn)                             \
	{                                          \
		expect_error(yaml, prefix, word);  \
	}                                          \
	END_TEST

ERROR_TEST(test_error_unknown_key,
	   BASE "limits:\n  max_expire: 600\n",
	   "t.yaml:11:3: ", "unknown key 'max_expire'")

ERROR_TEST(test_error_unknown_top_level_key,
	   BASE "domain: x\n",
	   "t.yaml:10:1: ", "unknown key 'domain'")

ERROR_TEST(test_error_unknown_key_in_credential,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: alice\n"
	   "        pasword: Conform-Pass-1\n",
	   "t.yaml:9:9: ", "unknown key 'pasword'")

ERROR_TEST(test_error_unknown_key_in_reply,
	   BASE "profile:\n  replies:\n    REG-LIM-AOR: {cod: 403}\n",
	   "t.yaml:12:19: ", "unknown key 'cod'")

ERROR_TEST(test_error_wrong_type_number,
	   BASE "limits:\n  max_expires: ten\n",
	   "t.yaml:11:16: ", "whole number")

ERROR_TEST(test_error_wrong_type_list,
	   "domains: example.sip.us1.twilio.com\n",
	   "t.yaml:1:10: ", "must be a list")

ERROR_TEST(test_error_wrong_type_bool,
	   "domains:\n  - name: a.sip.us1.twilio.com\n"
	   "    registration: maybe\n",
	   "t.yaml:3:19: ", "true or false")

ERROR_TEST(test_error_wrong_type_quoted_number,
	   BASE "limits:\n  contacts_per_aor: \"10\"\n",
	   "t.yaml:11:21: ", "whole number")

ERROR_TEST(test_error_huge_number,
	   BASE "limits:\n  max_expires: 99999999999999999999999\n",
	   "t.yaml:11:16: ", "whole number")

ERROR_TEST(test_error_zero_limit,
	   BASE "limits:\n  contacts_per_aor: 0\n",
	   "t.yaml:11:21: ", "at least 1")

ERROR_TEST(test_error_bad_password,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: alice\n"
	   "        password: short1A\n",
	   "t.yaml:9:19: ", "password rule")

ERROR_TEST(test_error_password_without_digit,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: alice\n"
	   "        password: Conform-Pass-One\n",
	   "t.yaml:9:19: ", "a digit")

ERROR_TEST(test_error_username_too_long,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: abcdefghijklmnopqrstuvwxyz0123456\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "longer than 32")

ERROR_TEST(test_error_range_username_too_long,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: abcdefghijklmnopqrstuvwxyz01234-{1..100}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "longer than 32")

ERROR_TEST(test_error_range_backwards,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u{9..1}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "backwards")

ERROR_TEST(test_error_range_too_large,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u{0..100000}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "100000")

ERROR_TEST(test_error_two_ranges,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u{1..2}-{1..2}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "only one")

ERROR_TEST(test_error_range_not_numbers,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u{a..z}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:8:19: ", "range")

ERROR_TEST(test_error_range_duplicate_username,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u5\n"
	   "        password: Conform-Pass-1\n"
	   "      - username: u{1..9}\n"
	   "        password: Conform-Pass-1\n",
	   "t.yaml:10:19: ", "'u5' appears twice")

ERROR_TEST(test_error_duplicate_username,
	   BASE "      - username: alice\n"
	   "        password: Conform-Pass-2\n",
	   "t.yaml:10:19: ", "'alice' appears twice")

ERROR_TEST(test_error_missing_domain_name,
	   "domains:\n  - region: us1\n",
	   "t.yaml:2:5: ", "missing required key 'name'")

ERROR_TEST(test_error_missing_domains,
	   BASE_LISTS,
	   "t.yaml:1:1: ", "missing required key 'domains'")

ERROR_TEST(test_error_missing_username,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - password: Conform-Pass-1\n",
	   "t.yaml:8:9: ", "missing required key 'username'")

ERROR_TEST(test_error_missing_password,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: alice\n",
	   "t.yaml:8:9: ", "'password'")

ERROR_TEST(test_error_bad_domain_name_form,
	   "domains:\n  - name: example.twilio.com\n",
	   "t.yaml:2:11: ", "form")

ERROR_TEST(test_error_bad_domain_name_chars,
	   "domains:\n  - name: \"ex ample.sip.us1.twilio.com\"\n",
	   "t.yaml:2:11: ", "form")

ERROR_TEST(test_error_duplicate_domain,
	   "domains:\n  - name: a.sip.us1.twilio.com\n"
	   "  - name: A.SIP.us1.twilio.com\n",
	   "t.yaml:3:11: ", "twice (first at line 2)")

ERROR_TEST(test_error_empty_domains,
	   "domains: []\n",
	   "t.yaml:1:10: ", "1 to 100")

ERROR_TEST(test_error_region_mismatch,
	   "domains:\n  - name: a.sip.us1.twilio.com\n    region: ie1\n",
	   "t.yaml:3:13: ", "region")

ERROR_TEST(test_error_unknown_credential_list,
	   "domains:\n"
	   "  - name: example.sip.us1.twilio.com\n"
	   "    credential_lists:\n"
	   "      registration: [ofice]\n"
	   BASE_LISTS,
	   "t.yaml:4:22: ", "unknown credential list 'ofice'")

ERROR_TEST(test_error_unknown_credential_list_for_calls,
	   "domains:\n"
	   "  - name: example.sip.us1.twilio.com\n"
	   "    credential_lists:\n"
	   "      calls: [office, staff]\n"
	   BASE_LISTS,
	   "t.yaml:4:23: ", "unknown credential list 'staff'")

ERROR_TEST(test_error_duplicate_credential_list,
	   BASE "  - name: office\n",
	   "t.yaml:10:11: ", "defined twice")

ERROR_TEST(test_error_unknown_rule_id,
	   BASE "profile:\n  replies:\n    REG-NOPE: {code: 403}\n",
	   "t.yaml:12:5: ", "unknown rule ID 'REG-NOPE'")

ERROR_TEST(test_error_reply_code_out_of_range,
	   BASE "profile:\n  replies:\n    REG-LIM-AOR: {code: 99}\n",
	   "t.yaml:12:25: ", "between 100 and 699")

ERROR_TEST(test_error_bad_refer_reply,
	   BASE "profile:\n  refer_reply: 404\n",
	   "t.yaml:11:16: ", "refer_reply")

ERROR_TEST(test_error_bad_challenge,
	   BASE "profile:\n  challenge: 403\n",
	   "t.yaml:11:14: ", "401 or 407")

ERROR_TEST(test_error_bad_loopback_policy,
	   BASE "profile:\n  loopback_contacts: maybe\n",
	   "t.yaml:11:22: ", "allow or reject")

ERROR_TEST(test_error_min_expires_above_max,
	   BASE "limits:\n  max_expires: 600\n  min_expires: 700\n",
	   "t.yaml:12:16: ", "min_expires")

ERROR_TEST(test_error_ha1_not_hex,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: bob\n"
	   "        ha1: 5f4dcc3b5aa765d61d8327deb882cfzz\n",
	   "t.yaml:9:14: ", "hexadecimal")

ERROR_TEST(test_error_ha1_too_short,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: bob\n"
	   "        ha1: 5f4dcc3b\n",
	   "t.yaml:9:14: ", "32 hexadecimal")

ERROR_TEST(test_error_ha1_with_range,
	   BASE_DOMAINS
	   "credential_lists:\n"
	   "  - name: office\n"
	   "    credentials:\n"
	   "      - username: u{1..5}\n"
	   "        ha1: 5f4dcc3b5aa765d61d8327deb882cf99\n",
	   "t.yaml:9:14: ", "needs a password")

ERROR_TEST(test_error_password_and_ha1,
	   BASE
	   "        ha1: 5f4dcc3b5aa765d61d8327deb882cf99\n",
	   "t.yaml:10:9: ", "both password and ha1")

ERROR_TEST(test_error_duplicate_key,
	   BASE "        password: Conform-Pass-2\n",
	   "t.yaml:10:9: ", "duplicate key 'password'")

ERROR_TEST(test_error_yaml_syntax,
	   "domains: [a, b\nlimits: {}\n",
	   "t.yaml:2:7: ", "did not find expected ',' or ']'")

ERROR_TEST(test_error_empty_document,
	   "",
	   "t.yaml:1:1: ", "empty document")

ERROR_TEST(test_error_comment_only_document,
	   "# nothing here\n",
	   "t.yaml:1:1: ", "empty document")

ERROR_TEST(test_error_scalar_root,
	   "hello\n",
	   "t.yaml:1:1: ", "mapping")

ERROR_TEST(test_error_list_root,
	   "- domains\n",
	   "t.yaml:1:1: ", "mapping")


/* the password never appears in an error, whatever is wrong with it */
START_TEST(test_error_never_prints_password)
{
	static const char yaml[] =
		BASE_DOMAINS
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: alice\n"
		"        password: secretsecret\n";
	struct reg_config *cfg = NULL;
	char errbuf[512] = "";

	ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml", yaml,
					     strlen(yaml), errbuf,
					     sizeof(errbuf)), EINVAL);
	ck_assert_ptr_null(strstr(errbuf, "secretsecret"));
	ck_assert_ptr_nonnull(strstr(errbuf, "12 characters"));
}
END_TEST


/* a config whose one credential has this username */
#define ONE_USER(user) \
	"domains: [{name: a.sip.us1.twilio.com}]\n" \
	"credential_lists: [{name: l, credentials: [{username: \"" user \
	"\", password: Conform-Pass-1}]}]\n"

START_TEST(test_hostile_inputs_do_not_crash)
{
	static const char junk[] = "\x00\xff\xfe\x01\x02garbage\x80\x81:";
	static const char *const inputs[] = {
		"x",
		":",
		"---\n---\n",
		"~\n",
		"domains:\n",
		"domains: ~\n",
		"domains:\n  - ~\n",
		"domains:\n  - []\n",
		"domains:\n  - name: [x]\n",
		"domains:\n  - name: a.sip.us1.twilio.com\n"
		"    credential_lists: [x]\n",
		"domains:\n  - name: a.sip.us1.twilio.com\n"
		"    credential_lists: {registration: [[x]]}\n",
		"domains:\n  - name: a.sip.us1.twilio.com\n"
		"    credential_lists: {registration: x}\n",
		"domains:\n  - name: .sip.us1.twilio.com\n",
		"domains:\n  - name: a.sip.us1.\n",
		"domains:\n  - name: a..sip.us1.twilio.com\n",
		"domains:\n  - name: a.sip.us1\n",
		"domains:\n  - name: \"\"\n",
		BASE "profile: {replies: [x]}\n",
		BASE "profile: {replies: {REG-LIM-AOR: x}}\n",
		BASE "profile: {replies: {REG-LIM-AOR: {code: 403}, "
		"reg-lim-aor: {code: 404}}}\n",
		BASE "profile: {realm: \"\"}\n",
		BASE "profile: {realm: \"a\\\"b\"}\n",
		BASE "profile: {replies: {REG-LIM-AOR: "
		"{reason: \"a\\r\\nb\"}}}\n",
		BASE "limits: {max_expires: -1}\n",
		BASE "limits: {max_expires: 4294967296}\n",
		BASE "limits: {max_expires: 1e3}\n",
		BASE "credential_lists: x\n",
		ONE_USER("u{}"),
		ONE_USER("u{1..}"),
		ONE_USER("u{999999999999999999999..1}"),
		ONE_USER("u}{"),
		ONE_USER(""),
		ONE_USER("a b"),
		ONE_USER("a@b"),
		"domains: [{name: a.sip.us1.twilio.com}]\n"
		"credential_lists: [{name: l, credentials: [x]}]\n",
		"domains: [{name: a.sip.us1.twilio.com}]\n"
		"credential_lists: [{name: \"\"}]\n",
		"domains: [{name: a.sip.us1.twilio.com}]\n"
		"credential_lists: [{credentials: []}]\n",
		"a: &a [1, 2]\nb: *a\nc: *nope\n",
		"{[a]: b}\n",
		"\t- tab\n",
	};
	struct reg_config *cfg = NULL;
	char errbuf[512];
	char deep[4096];
	size_t n = 0;

	/* the frame of the ONE_USER inputs is fine by itself */
	cfg = load_ok(ONE_USER("alice"));
	cfg = mem_deref(cfg);

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		errbuf[0] = '\0';
		ck_assert_msg(reg_config_load_str(&cfg, "t.yaml", inputs[i],
						  strlen(inputs[i]), errbuf,
						  sizeof(errbuf)) == EINVAL,
			      "input %zu loaded", i);
		ck_assert_ptr_null(cfg);
		ck_assert_msg(!strncmp(errbuf, "t.yaml:", 7),
			      "input %zu: '%s'", i, errbuf);

		/* no error buffer, and one too small, are both fine */
		ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml",
						     inputs[i],
						     strlen(inputs[i]), NULL,
						     0), EINVAL);
		ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml",
						     inputs[i],
						     strlen(inputs[i]),
						     errbuf, 4), EINVAL);
		ck_assert_uint_le(strlen(errbuf), 3);
	}

	ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml", junk,
					     sizeof(junk) - 1, errbuf,
					     sizeof(errbuf)), EINVAL);
	ck_assert_ptr_null(cfg);

	/* nesting far deeper than any config */
	n += (size_t)snprintf(deep, sizeof(deep), "domains: ");
	while (n < 2000)
		deep[n++] = '[';
	deep[n] = '\0';
	ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml", deep, n,
					     errbuf, sizeof(errbuf)), EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert(!strncmp(errbuf, "t.yaml:", 7));

	ck_assert_int_eq(reg_config_load_str(NULL, "t.yaml", "x", 1, errbuf,
					     sizeof(errbuf)), EINVAL);
	ck_assert_int_eq(reg_config_load_str(&cfg, "t.yaml", NULL, 0, errbuf,
					     sizeof(errbuf)), EINVAL);
}
END_TEST


START_TEST(test_error_too_many_domains)
{
	char yaml[8192];
	size_t n;

	n = (size_t)snprintf(yaml, sizeof(yaml), "domains:\n");
	for (unsigned i = 0; i < 101; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
				      "  - name: d%u.sip.us1.twilio.com\n", i);
	ck_assert_uint_lt(n, sizeof(yaml));

	expect_error(yaml, "t.yaml:2:3: ", "1 to 100");

	/* 100 is fine */
	*strstr(yaml, "  - name: d100.") = '\0';
	mem_deref(load_ok(yaml));
}
END_TEST


/* 200000 credentials at most, however they are written */
START_TEST(test_error_too_many_credentials)
{
	static const char yaml[] =
		BASE_DOMAINS
		"credential_lists:\n"
		"  - name: office\n"
		"    credentials:\n"
		"      - username: a{1..100000}\n"
		"        password: Conform-Pass-1\n"
		"      - username: b{1..100000}\n"
		"        password: Conform-Pass-1\n"
		"  - name: other\n"
		"    credentials:\n"
		"      - username: c{1..2}\n"
		"        password: Conform-Pass-1\n";

	expect_error(yaml, "t.yaml:14:19: ", "too many credentials");
}
END_TEST


FIXTURE_MAIN("config",
	FIXTURE_CASE("load", NULL, NULL, 0, 0,
		test_default_config, test_default_yaml_loads_as_text,
		test_defaults_without_limits_and_profile,
		test_domain_lookup_case_insensitive,
		test_domain_lookup_unknown, test_credential_lookup,
		test_credential_lookup_follows_mapping,
		test_ha1_credential_stored_lower_case, test_range_expansion,
		test_range_zero_padded, test_profile_settings,
		test_profile_reply_override,
		test_profile_reply_override_beats_settings, test_load_file,
		test_load_file_missing, test_print_config_round_trip_default,
		test_print_config_round_trip_everything,
		test_readme_lists_the_schema),
	FIXTURE_CASE("errors", NULL, NULL, 0, 0,
		test_error_unknown_key, test_error_unknown_top_level_key,
		test_error_unknown_key_in_credential,
		test_error_unknown_key_in_reply, test_error_wrong_type_number,
		test_error_wrong_type_list, test_error_wrong_type_bool,
		test_error_wrong_type_quoted_number, test_error_huge_number,
		test_error_zero_limit, test_error_bad_password,
		test_error_password_without_digit,
		test_error_never_prints_password, test_error_username_too_long,
		test_error_range_username_too_long, test_error_range_backwards,
		test_error_range_too_large, test_error_two_ranges,
		test_error_range_not_numbers,
		test_error_range_duplicate_username,
		test_error_duplicate_username, test_error_too_many_credentials,
		test_error_missing_domain_name, test_error_missing_domains,
		test_error_missing_username, test_error_missing_password,
		test_error_bad_domain_name_form,
		test_error_bad_domain_name_chars, test_error_duplicate_domain,
		test_error_empty_domains, test_error_too_many_domains,
		test_error_region_mismatch, test_error_unknown_credential_list,
		test_error_unknown_credential_list_for_calls,
		test_error_duplicate_credential_list,
		test_error_unknown_rule_id, test_error_reply_code_out_of_range,
		test_error_bad_refer_reply, test_error_bad_challenge,
		test_error_bad_loopback_policy,
		test_error_min_expires_above_max, test_error_ha1_not_hex,
		test_error_ha1_too_short, test_error_ha1_with_range,
		test_error_password_and_ha1, test_error_duplicate_key,
		test_error_yaml_syntax, test_error_empty_document,
		test_error_comment_only_document, test_error_scalar_root,
		test_error_list_root, test_hostile_inputs_do_not_crash))
