/**
 * @file fixture.h  The set-up the registrar, call and phone tests share:
 * libre and the virtual clock started and stopped, the loop run until a
 * condition holds, the in-process registrar (re)started with a config, a
 * phone's configuration, and a Check suite built from a table of tests.
 */

#ifndef SIPCONFORM_TEST_FIXTURE_H
#define SIPCONFORM_TEST_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#define FIXTURE_DOMAIN   "example.sip.us1.twilio.com"
#define FIXTURE_PASSWORD "Conform-Pass-1"

struct sa;
struct sip;
struct phone_conf;
struct regclient;

/* libre_init(), the virtual clock reset, the loop ticking every tick_ms
 * in fixture_run_until(); fixture_end() undoes it (libre_close()) */
void fixture_begin(uint64_t tick_ms);
void fixture_end(void);
void fixture_tick(uint64_t tick_ms);

/* run the loop until cond() holds (true) or max_ms of wall time passed
 * (false); the loop runs once at least */
bool fixture_run_until(bool (*cond)(void), uint64_t max_ms);

/* the same with an argument, and without running the loop when cond
 * already holds */
bool fixture_wait(bool (*cond)(void *), void *arg, uint64_t max_ms);

/* run the loop for ms (what is in flight arrives): one libre timer */
void fixture_settle(uint64_t ms);

/* the in-process registrar on the virtual clock from 0, with yaml (NULL:
 * the default configuration); _reload frees *rcp's and starts another
 * with yaml, the clock going on */
void fixture_registrar(struct regclient **rcp, const char *yaml);
void fixture_registrar_reload(struct regclient **rcp, const char *yaml);
/* the same for the calls tests (fixture_tick(2) too): the registrar and
 * its SIP UDP port */
struct sim_registrar;
void fixture_calls_registrar(struct regclient **rcp, const char *yaml,
			     struct sim_registrar **srp, uint16_t *portp);

/* a SIP stack of the test's own on 127.0.0.1 (its hash tables of hsz,
 * sip_alloc's arg): a UDP transport when udp is non-NULL, a TCP one when
 * tcp is, each on a port of its own, written there */
void fixture_sip_stack(struct sip **sipp, const char *software, uint32_t hsz,
		       void *arg, struct sa *udp, struct sa *tcp);

/* alice at FIXTURE_DOMAIN with FIXTURE_PASSWORD, registering at
 * registrar; the rest zero */
void fixture_phone_conf(struct phone_conf *conf, const struct sa *registrar);

/* got (gotc of them) is exactly want (wantc): the count, then each in
 * turn (a timer test's firing order, say); FIXTURE_INTS(got, gotc, 2, 4,
 * 3) spells want out */
void fixture_assert_ints(const int *got, size_t gotc, const int *want,
			 size_t wantc);
#define FIXTURE_INTS(got, gotc, ...)					\
	fixture_assert_ints(got, gotc, (const int[]){__VA_ARGS__},	\
			    sizeof((int[]){__VA_ARGS__}) / sizeof(int))

/* one test case of a suite: its fixture, timeout (s; 0: Check's), loop
 * count (>0: each test run for _i in 0..loops-1), NULL-terminated tests
 * and the signal they end with (0: none) */
struct fixture_case {
	const char *name;
	void (*setup)(void);
	void (*teardown)(void);
	int timeout;
	int loops;
	const TTest *const *testv;
	int signal;
};

/* a suite of the cases, run as check_run() does; the exit status */
int fixture_run_suite(const char *name, const struct fixture_case *casev,
		      size_t casec);

/*
 * A test program's main(): FIXTURE_MAIN("suite", FIXTURE_CASE("case",
 * setup, teardown, timeout, loops, test_a, test_b, ...), ...).  The names
 * START_TEST made are variables, so the table is built in main().
 */
#define FIXTURE_CASE(name, setup, teardown, timeout, loops, ...)	\
	{name, setup, teardown, timeout, loops,				\
	 (const TTest *[]){__VA_ARGS__, NULL}, 0}

#define FIXTURE_MAIN(suite, ...)					\
	int main(void)							\
	{								\
		const struct fixture_case casev_[] = {__VA_ARGS__};	\
									\
		return fixture_run_suite(suite, casev_,			\
			sizeof(casev_) / sizeof(casev_[0]));		\
	}

#endif
