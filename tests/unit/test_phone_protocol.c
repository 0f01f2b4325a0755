/**
 * @file test_phone_protocol.c  The protocol checker in `harness phone`
 * (harness/phone/protocol.h): who a finding is against, and what it does
 * to the step's report entry.  A finding against the reference service is
 * a bug of ours (ERROR, said so), one against the phone under test FAILs
 * the step when its row is a MUST.  Messages go in as the registrar's
 * SIP trace gives TLS ones (decrypted).
 */

#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "fixture.h"
#include "regclient.h"
#include "runner.h"
#include "protocheck/protocheck.h"
#include "phone/pack.h"
#include "phone/session.h"
#include "phone/protocol.h"

static struct regclient *rc;
static struct pm pm;
static struct pstep step;
static struct sa svc, far;


static void setup(void)
{
	struct sim_registrar *sr;
	uint16_t port;

	fixture_begin(1);
	memset(&pm, 0, sizeof(pm));
	memset(&step, 0, sizeof(step));
	step.file = "scenarios/phone/01-x.phone";

	ck_assert_int_eq(pm_protocol_start(&pm), 0);
	fixture_calls_registrar(&rc, NULL, &sr, &port);
	pm.sr = sr;
	pm_protocol_name_service(&pm);

	pm.resv = calloc(1, sizeof(*pm.resv));
	ck_assert_ptr_nonnull(pm.resv);
	pm.resv[0].st = &step;
	pm.resc = 1;
	pm_protocol_step(&pm, 0);

	ck_assert_int_eq(sa_set_str(&svc, "127.0.0.1", port), 0);
	ck_assert_int_eq(sa_set_str(&far, "127.0.0.1", 5999), 0);
}


static void teardown(void)
{
	pm_protocol_stop(&pm);
	free(pm.resv);
	rc = mem_deref(rc);
	fixture_end();
}


/* an OPTIONS from src to dst, its Max-Forwards and branch as given */
static void options(const struct sa *src, const struct sa *dst,
		    const char *mf, const char *branch)
{
	char buf[1024];
	int n;

	n = re_snprintf(buf, sizeof(buf),
			"OPTIONS sip:alice@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/TLS %J;branch=%s\r\n"
			"%s"
			"From: <sip:x@example.com>;tag=1\r\n"
			"To: <sip:alice@example.com>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 1 OPTIONS\r\n"
			"Content-Length: 0\r\n\r\n", src, branch, mf, branch);
	ck_assert_int_gt(n, 0);

	pm_protocol_trace(&pm, SIP_TRANSP_TLS, src, dst, (uint8_t *)buf,
			  (size_t)n);
}


START_TEST(test_phone_must_fails)
{
	struct pm_protocol_counts c;
	struct run_result *res = run_result_alloc();

	/* the phone under test: a branch without the cookie */
	options(&far, &svc, "Max-Forwards: 70\r\n", "abc1");
	/* UDP: the tap's, not the trace's (it would be counted twice) */
	pm_protocol_trace(&pm, SIP_TRANSP_UDP, &far, &svc,
			  (const uint8_t *)"x", 1);

	pm_protocol_finish(&pm, &c);
	ck_assert_uint_eq(c.messages, 1);
	ck_assert_uint_eq(c.findings, 1);
	ck_assert_uint_eq(c.phone_fails, 1);
	ck_assert_uint_eq(c.service, 0);

	ck_assert_ptr_nonnull(res);
	res->verdict = VERDICT_PASS;
	ck_assert_int_eq(pm_protocol_result(&pm, 0, res), 0);
	ck_assert_int_eq(res->verdict, VERDICT_FAIL);
	ck_assert_str_eq(res->rule, "T-VIA-01");
	ck_assert_uint_eq(res->findingc, 1);
	ck_assert_int_eq(res->findingv[0].role, PC_ROLE_UNDER_TEST);
	ck_assert_str_eq(res->findingv[0].element, "phone");
	ck_assert(res->findingv[0].fails);
	ck_assert_str_eq(res->findingv[0].where, step.file);
	ck_assert_uint_eq(res->wire_msgs, 1);
	mem_deref(res);
}
END_TEST


START_TEST(test_service_is_our_bug)
{
	struct pm_protocol_counts c;
	struct run_result *res = run_result_alloc();

	/* the reference service: two Max-Forwards */
	options(&svc, &far, "Max-Forwards: 70\r\nMax-Forwards: 70\r\n",
		"z9hG4bKsvc1");

	pm_protocol_finish(&pm, &c);
	ck_assert_uint_eq(c.service, 1);
	ck_assert_uint_eq(c.phone_fails, 0);

	ck_assert_ptr_nonnull(res);
	res->verdict = VERDICT_PASS;
	ck_assert_int_eq(pm_protocol_result(&pm, 0, res), 0);
	ck_assert_int_eq(res->verdict, VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(res->why, "a bug of sipconform's "
				     "reference service"));
	ck_assert_ptr_nonnull(strstr(res->why, "T-MF-01"));
	ck_assert_uint_eq(res->findingc, 1);
	ck_assert_int_eq(res->findingv[0].role, PC_ROLE_SERVICE);
	ck_assert_str_eq(res->findingv[0].element, "service");
	mem_deref(res);
}
END_TEST


START_TEST(test_other_step_elsewhere)
{
	struct pm_protocol_counts c;
	struct run_result *res = run_result_alloc();

	options(&far, &svc, "Max-Forwards: 70\r\n", "abc2");
	pm_protocol_finish(&pm, &c);

	/* a step after the last one run has no message and no finding */
	ck_assert_ptr_nonnull(res);
	res->verdict = VERDICT_PASS;
	ck_assert_int_eq(pm_protocol_result(&pm, 1, res), 0);
	ck_assert_int_eq(res->verdict, VERDICT_PASS);
	ck_assert_uint_eq(res->findingc, 0);
	mem_deref(res);
}
END_TEST



FIXTURE_MAIN("phone_protocol",
	FIXTURE_CASE("core", setup, teardown, 0, 0,
		test_phone_must_fails, test_service_is_our_bug,
		test_other_step_elsewhere))
