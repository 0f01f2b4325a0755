/**
 * @file vclock.c  Virtual clock (monotonic time + advanced offset - the
 * real time that passed while it was held)
 */

#include <stdbool.h>
#include <time.h>
#include "vclock.h"


static uint64_t offset_ms;    /* advanced so far                          */
static uint64_t lag_ms;       /* real time that passed while held         */
static uint64_t held_mono;    /* monotonic ms when the hold began         */
static bool held;


static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


uint64_t vclock_now(void)
{
	return (held ? held_mono : mono_ms()) + offset_ms - lag_ms;
}


uint64_t vclock_offset(void)
{
	return offset_ms;
}


uint64_t vclock_lag(void)
{
	return lag_ms + (held ? mono_ms() - held_mono : 0);
}


void vclock_advance(uint64_t ms)
{
	offset_ms += ms;
}


void vclock_hold(bool hold)
{
	if (hold == held)
		return;

	if (hold)
		held_mono = mono_ms();
	else
		lag_ms += mono_ms() - held_mono;

	held = hold;
}


void vclock_reset(void)
{
	offset_ms = 0;
	lag_ms = 0;
	if (held)
		held_mono = mono_ms();
}


uint64_t vclock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
