/**
 * @file fixture.c  The tests' shared set-up (see fixture.h)
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "phone.h"
#include "regclient.h"
#include "sim_registrar.h"
#include "check_run.h"
#include "fixture.h"

static struct {
	struct tmr tick;
	uint64_t tick_ms;
	uint64_t deadline;
	bool (*until)(void);
	bool (*until_arg)(void *);
	void *arg;
} loop;


void fixture_begin(uint64_t tick_ms)
{
	ck_assert_int_eq(libre_init(), 0);
	vclock_reset();
	tmr_init(&loop.tick);
	loop.tick_ms = tick_ms;
}


void fixture_end(void)
{
	tmr_cancel(&loop.tick);
	libre_close();
}


void fixture_tick(uint64_t tick_ms)
{
	loop.tick_ms = tick_ms;
}


static bool holds(void)
{
	if (loop.until)
		return loop.until();
	if (loop.until_arg)
		return loop.until_arg(loop.arg);

	return false;
}


static void tick_h(void *arg)
{
	(void)arg;

	if (holds() || tmr_jiffies() >= loop.deadline) {
		re_cancel();
		return;
	}

	tmr_start(&loop.tick, loop.tick_ms, tick_h, NULL);
}


static void run(uint64_t max_ms)
{
	loop.deadline = tmr_jiffies() + max_ms;
	tmr_start(&loop.tick, 0, tick_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&loop.tick);
}


bool fixture_run_until(bool (*cond)(void), uint64_t max_ms)
{
	loop.until = cond;
	loop.until_arg = NULL;
	run(max_ms);
	loop.until = NULL;

	return cond ? cond() : true;
}


bool fixture_wait(bool (*cond)(void *), void *arg, uint64_t max_ms)
{
	bool met;

	if (cond(arg))
		return true;

	loop.until = NULL;
	loop.until_arg = cond;
	loop.arg = arg;
	run(max_ms);
	met = cond(arg);
	loop.until_arg = NULL;

	return met;
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* one timer, no ticking: tests that count timers see only this one */
void fixture_settle(uint64_t ms)
{
	tmr_start(&loop.tick, ms, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&loop.tick);
}


void fixture_registrar(struct regclient **rcp, const char *yaml)
{
	vclock_reset();
	*rcp = mem_deref(*rcp);
	ck_assert_int_eq(regclient_alloc(rcp, yaml), 0);
}


/* the calls tests' registrar: started with yaml, its SIP UDP port */
void fixture_calls_registrar(struct regclient **rcp, const char *yaml,
			     struct sim_registrar **srp, uint16_t *portp)
{
	struct sa a;

	fixture_registrar(rcp, yaml);
	fixture_tick(2);
	*srp = regclient_registrar(*rcp);
	ck_assert_int_eq(sim_registrar_laddr(*srp, SIP_TRANSP_UDP, &a), 0);
	*portp = sa_port(&a);
}


void fixture_registrar_reload(struct regclient **rcp, const char *yaml)
{
	*rcp = mem_deref(*rcp);
	ck_assert_int_eq(regclient_alloc(rcp, yaml), 0);
}


void fixture_sip_stack(struct sip **sipp, const char *software, uint32_t hsz,
		       void *arg, struct sa *udp, struct sa *tcp)
{
	const struct {
		struct sa *laddr;
		enum sip_transp tp;
	} tv[] = {{udp, SIP_TRANSP_UDP}, {tcp, SIP_TRANSP_TCP}};
	struct sa any;

	ck_assert_int_eq(sa_set_str(&any, "127.0.0.1", 0), 0);
	ck_assert_int_eq(sip_alloc(sipp, NULL, hsz, hsz, hsz, software, NULL,
				   arg), 0);

	for (size_t i = 0; i < ARRAY_SIZE(tv); i++) {
		if (!tv[i].laddr)
			continue;
		ck_assert_int_eq(sip_transp_add(*sipp, tv[i].tp, &any), 0);
		ck_assert_int_eq(sip_transp_laddr(*sipp, tv[i].laddr,
						  tv[i].tp, NULL), 0);
	}
}


void fixture_phone_conf(struct phone_conf *conf, const struct sa *registrar)
{
	memset(conf, 0, sizeof(*conf));
	conf->user      = "alice";
	conf->domain    = FIXTURE_DOMAIN;
	conf->password  = FIXTURE_PASSWORD;
	conf->registrar = *registrar;
}


void fixture_assert_ints(const int *got, size_t gotc, const int *want,
			 size_t wantc)
{
	ck_assert_uint_eq(gotc, wantc);
	for (size_t i = 0; i < wantc; i++)
		ck_assert_msg(got[i] == want[i], "[%zu] is %d, not %d", i,
			      got[i], want[i]);
}


int fixture_run_suite(const char *name, const struct fixture_case *casev,
		      size_t casec)
{
	Suite *s = suite_create(name);

	for (size_t i = 0; i < casec; i++) {
		const struct fixture_case *c = &casev[i];
		TCase *tc = tcase_create(c->name);

		if (c->setup || c->teardown)
			tcase_add_checked_fixture(tc, c->setup, c->teardown);
		if (c->timeout)
			tcase_set_timeout(tc, c->timeout);
		for (const TTest *const *t = c->testv; *t; t++) {
			if (c->loops)
				tcase_add_loop_test(tc, *t, 0, c->loops);
			else
				tcase_add_test_raise_signal(tc, *t, c->signal);
		}
		suite_add_tcase(s, tc);
	}

	return check_run(s);
}
