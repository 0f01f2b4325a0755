/**
 * @file media_fixture.c  The media tests' loop and clock (media_fixture.h)
 */

#include <check.h>
#include <re.h>
#include "vclock.h"
#include "reshim/tmrheap.h"
#include "stream.h"
#include "media_fixture.h"


static struct tmr guard;


void mfix_begin(void)
{
	ck_assert_int_eq(libre_init(), 0);
	ck_assert_int_eq(tmrheap_check(), 0);
	vclock_reset();
	tmr_init(&guard);
}


void mfix_end(void)
{
	tmr_cancel(&guard);
	libre_close();
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


void mfix_advance(uint64_t ms)
{
	ck_assert_int_eq(media_advance(ms, stop_h, NULL), 0);
	/* libre's timers move with the clock (tmrheap): beyond the span */
	tmr_start(&guard, ms + 30000, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&guard);
}


void mfix_linger(uint64_t ms)
{
	tmr_start(&guard, ms, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
}
