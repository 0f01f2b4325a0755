/**
 * @file media_fixture.h  What the media tests share (test_media,
 * test_srtp): libre with its timers on the virtual clock's heap, and the
 * clock moved 20 ms a loop turn so that every frame goes out and is read
 * at its own time (media/mclock.c).
 */

#ifndef SIPCONFORM_TEST_MEDIA_FIXTURE_H
#define SIPCONFORM_TEST_MEDIA_FIXTURE_H

#include <stdint.h>

/* libre_init(), tmrheap checked, the virtual clock reset; mfix_end()
 * undoes it */
void mfix_begin(void);
void mfix_end(void);

/* the clock moves by ms, 20 ms a loop turn (media_advance) */
void mfix_advance(uint64_t ms);
/* the loop runs ms more (what is in flight on loopback arrives) */
void mfix_linger(uint64_t ms);

#endif
