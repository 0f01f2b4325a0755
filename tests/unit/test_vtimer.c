/**
 * @file test_vtimer.c  vtimer: heap order, cancel, restart, virtual jumps
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"


enum { MAXREC = 16 };

struct rec {
	int v[MAXREC];
	size_t n;
};

static struct rec rec;


static void setup(void)
{
	fixture_begin(1);
	memset(&rec, 0, sizeof(rec));
}


static void teardown(void)
{
	fixture_end();
}


static void record_h(void *arg)
{
	if (rec.n < MAXREC)
		rec.v[rec.n++] = (int)(intptr_t)arg;
}


/* the n vtimers of t initialised */
static void init_all(struct vtimer *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vtimer_init(&t[i]);
}


/* the clock moved on by ms, the due vtimers polled, their handlers run
 * (within settle_ms of real time) */
static void advance(uint64_t ms, uint64_t settle_ms)
{
	vclock_advance(ms);
	vtimer_poll();
	fixture_settle(settle_ms);
}


START_TEST(test_order)
{
	struct vtimer t[5];

	init_all(t, 5);

	vtimer_start(&t[0], 3000, record_h, (void *)1);
	vtimer_start(&t[1], 1000, record_h, (void *)2);
	vtimer_start(&t[2], 2000, record_h, (void *)3);
	vtimer_start(&t[3], 1000, record_h, (void *)4);  /* tie: after 2 */
	vtimer_start(&t[4], 5000, record_h, (void *)5);
	ck_assert_uint_eq(vtimer_count(), 5);

	advance(4000, 30);

	FIXTURE_INTS(rec.v, rec.n, 2, 4, 3, 1);
	ck_assert(!vtimer_isrunning(&t[1]));
	ck_assert(vtimer_isrunning(&t[4]));
	ck_assert_uint_ge(vtimer_left(&t[4]), 900);
	ck_assert_uint_le(vtimer_left(&t[4]), 1000);
	ck_assert_uint_eq(vtimer_count(), 1);

	vtimer_cancel(&t[4]);
	ck_assert_uint_eq(vtimer_count(), 0);
}
END_TEST


/* without any clock jump a short vtimer fires in real time */
START_TEST(test_real_time)
{
	struct vtimer t;

	vtimer_init(&t);
	vtimer_start(&t, 20, record_h, (void *)7);
	fixture_settle(5);
	ck_assert_uint_eq(rec.n, 0);
	fixture_settle(60);
	FIXTURE_INTS(rec.v, rec.n, 7);
}
END_TEST


START_TEST(test_cancel)
{
	struct vtimer t[4];
	size_t i;

	init_all(t, 4);

	vtimer_cancel(&t[0]);          /* not running: no-op */
	ck_assert(!vtimer_isrunning(&t[0]));
	ck_assert_uint_eq(vtimer_left(&t[0]), 0);

	for (i = 0; i < 4; i++)
		vtimer_start(&t[i], 1000 * (i + 1), record_h,
			     (void *)(intptr_t)(i + 1));

	vtimer_cancel(&t[0]);          /* the earliest: re-arms */
	vtimer_cancel(&t[2]);
	vtimer_cancel(&t[2]);          /* twice: no-op */
	ck_assert(!vtimer_isrunning(&t[0]));
	ck_assert(vtimer_isrunning(&t[1]));
	ck_assert_uint_eq(vtimer_count(), 2);

	advance(10000, 30);

	FIXTURE_INTS(rec.v, rec.n, 2, 4);
}
END_TEST


/* restarting an already running timer moves it */
START_TEST(test_restart_running)
{
	struct vtimer a, b;

	vtimer_init(&a);
	vtimer_init(&b);
	vtimer_start(&a, 1000, record_h, (void *)1);
	vtimer_start(&b, 2000, record_h, (void *)2);
	vtimer_start(&a, 3000, record_h, (void *)3);
	ck_assert_uint_eq(vtimer_count(), 2);

	advance(2500, 30);
	FIXTURE_INTS(rec.v, rec.n, 2);

	advance(1000, 30);
	FIXTURE_INTS(rec.v, rec.n, 2, 3);
}
END_TEST


struct self {
	struct vtimer t;
	struct vtimer *victim;
	unsigned fires;
	unsigned limit;
	uint64_t delay;
	struct tmr observer;     /* a libre timer: proves a loop turn   */
	bool turned;
	bool spun;               /* fired again before the loop turned  */
};


static void observer_h(void *arg)
{
	struct self *s = arg;

	s->turned = true;
}


static void self_h(void *arg)
{
	struct self *s = arg;

	if (s->fires && !s->turned)
		s->spun = true;

	++s->fires;
	record_h((void *)(intptr_t)s->fires);

	s->turned = false;
	tmr_start(&s->observer, 0, observer_h, s);

	if (s->victim)
		vtimer_cancel(s->victim);

	if (s->fires < s->limit)
		vtimer_start(&s->t, s->delay, self_h, s);
}


/* a handler restarting itself with delay 0 fires once per loop turn */
START_TEST(test_restart_self_zero)
{
	struct self s;

	memset(&s, 0, sizeof(s));
	vtimer_init(&s.t);
	tmr_init(&s.observer);
	s.limit = 5;
	s.delay = 0;

	vtimer_start(&s.t, 0, self_h, &s);
	fixture_settle(50);

	ck_assert_uint_eq(s.fires, 5);
	ck_assert(!s.spun);
	ck_assert(!vtimer_isrunning(&s.t));
	tmr_cancel(&s.observer);
}
END_TEST


/* restarted from its handler with a long delay: fires again only after
 * the next jump */
START_TEST(test_restart_self_jump)
{
	struct self s;

	memset(&s, 0, sizeof(s));
	vtimer_init(&s.t);
	s.limit = 10;
	s.delay = 60000;

	vtimer_start(&s.t, 60000, self_h, &s);

	advance(59000, 20);
	ck_assert_uint_eq(s.fires, 0);

	advance(1000, 20);
	ck_assert_uint_eq(s.fires, 1);
	ck_assert(vtimer_isrunning(&s.t));

	/* one jump past two periods still fires it once: the restart
	 * counts from the moment it fired */
	advance(130000, 20);
	ck_assert_uint_eq(s.fires, 2);

	vtimer_cancel(&s.t);
	tmr_cancel(&s.observer);
}
END_TEST


/* a handler cancelling another timer due in the same turn */
START_TEST(test_cancel_from_handler)
{
	struct self s;
	struct vtimer other;

	memset(&s, 0, sizeof(s));
	vtimer_init(&s.t);
	vtimer_init(&other);
	s.victim = &other;
	s.limit = 1;

	vtimer_start(&s.t, 1000, self_h, &s);
	vtimer_start(&other, 2000, record_h, (void *)99);

	advance(5000, 20);

	ck_assert_uint_eq(s.fires, 1);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert(!vtimer_isrunning(&other));
	ck_assert_uint_eq(vtimer_count(), 0);
	tmr_cancel(&s.observer);
}
END_TEST


START_TEST(test_advance_partial)
{
	struct vtimer t[3];
	size_t i;

	for (i = 0; i < 3; i++) {
		vtimer_init(&t[i]);
		vtimer_start(&t[i], 10000 * (i + 1), record_h,
			     (void *)(intptr_t)(i + 1));
	}

	/* advanced but not polled: nothing due yet as far as libre knows,
	 * the armed libre timer still waits ~10 s of real time */
	vclock_advance(15000);
	fixture_settle(20);
	ck_assert_uint_eq(rec.n, 0);

	vtimer_poll();
	fixture_settle(20);
	FIXTURE_INTS(rec.v, rec.n, 1);
	ck_assert(vtimer_isrunning(&t[1]));
	ck_assert_uint_le(vtimer_left(&t[1]), 5000);
	ck_assert_uint_ge(vtimer_left(&t[1]), 4900);
	ck_assert_uint_le(vtimer_left(&t[2]), 15000);
	ck_assert_uint_ge(vtimer_left(&t[2]), 14900);

	for (i = 0; i < 3; i++)
		vtimer_cancel(&t[i]);
}
END_TEST


enum { MANY = 100000 };

static struct vtimer *many;
static size_t many_fired;
static bool many_ordered;
static uint64_t many_last;


static void many_h(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;

	/* white box: due stays readable after firing */
	if (many[i].due < many_last)
		many_ordered = false;

	many_last = many[i].due;
	++many_fired;
}


START_TEST(test_many)
{
	size_t i, running = 0;

	many = calloc(MANY, sizeof(*many));
	ck_assert_ptr_nonnull(many);
	many_fired = 0;
	many_ordered = true;
	many_last = 0;

	srand(42);

	for (i = 0; i < MANY; i++) {
		uint64_t d = 1000 + (uint64_t)rand() % 3600000;

		vtimer_init(&many[i]);
		vtimer_start(&many[i], d, many_h, (void *)(uintptr_t)i);
	}
	ck_assert_uint_eq(vtimer_count(), MANY);

	/* cancel a third, restart another third later */
	for (i = 0; i < MANY; i += 3)
		vtimer_cancel(&many[i]);
	for (i = 1; i < MANY; i += 3) {
		uint64_t d = 1000 + (uint64_t)rand() % 3600000;

		vtimer_start(&many[i], d, many_h, (void *)(uintptr_t)i);
	}
	for (i = 0; i < MANY; i++)
		running += vtimer_isrunning(&many[i]);
	ck_assert_uint_eq(vtimer_count(), running);

	/* half way: only the timers due by then fire, in due order */
	advance(1800000, 200);
	ck_assert(many_ordered);
	ck_assert_uint_gt(many_fired, 0);
	ck_assert_uint_lt(many_fired, running);
	ck_assert_uint_eq(vtimer_count(), running - many_fired);

	advance(1900000, 200);
	ck_assert(many_ordered);
	ck_assert_uint_eq(many_fired, running);
	ck_assert_uint_eq(vtimer_count(), 0);

	free(many);
}
END_TEST


FIXTURE_MAIN("vtimer",
	FIXTURE_CASE("core", setup, teardown, 10, 0,
		test_order, test_real_time, test_cancel, test_restart_running,
		test_restart_self_zero, test_restart_self_jump,
		test_cancel_from_handler, test_advance_partial, test_many))
