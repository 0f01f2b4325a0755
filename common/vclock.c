/**
 * @file vclock.c  Virtual clock (monotonic time + advanced offset)
 */

#include <time.h>
#include "vclock.h"


static uint64_t offset_ms;


static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


uint64_t vclock_now(void)
{
	return mono_ms() + offset_ms;
}


uint64_t vclock_offset(void)
{
	return offset_ms;
}


void vclock_advance(uint64_t ms)
{
	offset_ms += ms;
}


void vclock_reset(void)
{
	offset_ms = 0;
}


uint64_t vclock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
