/**
 * @file test_control.c  The control API over real HTTP on 127.0.0.1:
 * bindings listed with remaining expiry, the virtual clock advanced,
 * state reset, bad calls refused.
 */

#include <check.h>
#include "fixture.h"
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "regclient.h"

#define DOMAIN "example.sip.us1.twilio.com"

static struct regclient *rc;
static char body[8192];


static void setup(void)
{
	vclock_reset();
	ck_assert_int_eq(regclient_alloc(&rc, NULL), 0);
}


static void teardown(void)
{
	rc = mem_deref(rc);
}


static void register_user(const char *user, uint32_t cseq, int expires)
{
	struct reg_opts o = {0};
	struct sip_msg *m;

	o.user = user;
	o.password = "Conform-Pass-1";
	o.expires = expires;
	o.cseq = cseq;
	m = regclient_register(rc, &o);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 200);
	mem_deref(m);
}


START_TEST(test_health)
{
	ck_assert_int_eq(regclient_http(rc, "GET", "/health", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"status\":\"ok\"") != NULL);
	ck_assert(strstr(body, "\"bindings\":0") != NULL);
}
END_TEST


START_TEST(test_bindings_listed)
{
	register_user("alice", 1, 300);
	register_user("bob", 1, 600);

	ck_assert_int_eq(regclient_http(rc, "GET", "/bindings", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":2") != NULL);
	ck_assert(strstr(body, "\"aor\":\"alice@" DOMAIN "\"") != NULL);
	ck_assert(strstr(body, "\"expires_in\":300") != NULL);
	ck_assert(strstr(body, "\"source\":\"127.0.0.1:") != NULL);
	ck_assert(strstr(body, "\"transport\":\"UDP\"") != NULL);

	ck_assert_int_eq(regclient_http(rc, "GET",
					"/bindings?aor=bob@" DOMAIN, body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":1") != NULL);
	ck_assert(strstr(body, "bob@") != NULL);
	ck_assert(strstr(body, "alice@") == NULL);

	ck_assert_int_eq(regclient_http(rc, "GET", "/bindings?domain=" DOMAIN,
					body, sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":2") != NULL);

	ck_assert_int_eq(regclient_http(rc, "GET",
					"/bindings?domain=nope.sip.us1.x.com",
					body, sizeof(body)), 404);
}
END_TEST


START_TEST(test_clock_advance)
{
	register_user("alice", 1, 300);

	ck_assert_int_eq(regclient_http(rc, "POST", "/clock/advance?s=299",
					body, sizeof(body)), 200);
	ck_assert(strstr(body, "\"advanced_ms\":299000") != NULL);
	ck_assert_int_eq(regclient_http(rc, "GET", "/bindings", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":1") != NULL);

	ck_assert_int_eq(regclient_http(rc, "POST", "/clock/advance?ms=2000",
					body, sizeof(body)), 200);
	ck_assert_int_eq(regclient_http(rc, "GET", "/bindings", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":0") != NULL);

	ck_assert_int_eq(regclient_http(rc, "POST", "/clock/advance?s=-5",
					body, sizeof(body)), 400);
	ck_assert_int_eq(regclient_http(rc, "POST", "/clock/advance",
					body, sizeof(body)), 400);
}
END_TEST


START_TEST(test_reset_and_unknown)
{
	register_user("alice", 1, 300);

	ck_assert_int_eq(regclient_http(rc, "POST", "/reset", body,
					sizeof(body)), 200);
	ck_assert_int_eq(regclient_http(rc, "GET", "/bindings", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"count\":0") != NULL);

	ck_assert_int_eq(regclient_http(rc, "GET", "/nothing", body,
					sizeof(body)), 404);
	ck_assert_int_eq(regclient_http(rc, "GET", "/rules", body,
					sizeof(body)), 200);
	ck_assert(strstr(body, "\"id\":\"REG-LIM-AOR\"") != NULL);
}
END_TEST


FIXTURE_MAIN("control API",
	FIXTURE_CASE("control", setup, teardown, 0, 0,
		test_health, test_bindings_listed, test_clock_advance,
		test_reset_and_unknown))
