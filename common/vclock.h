/**
 * @file vclock.h  Virtual clock: the only time source of sipconform's logic.
 *
 * Virtual time is the process's monotonic time plus an offset that only
 * grows.  vclock_advance() jumps it forward, so a 600 s expiry is tested in
 * milliseconds of wall time.  One clock per process, like libre's timers.
 */

#ifndef SIPCONFORM_VCLOCK_H
#define SIPCONFORM_VCLOCK_H

#include <stdint.h>

uint64_t vclock_now(void);            /* virtual milliseconds (monotonic) */
uint64_t vclock_offset(void);         /* total ms advanced so far         */
void     vclock_advance(uint64_t ms);
void     vclock_reset(void);          /* offset back to 0                 */
uint64_t vclock_wall_ms(void);        /* wall clock ms since the epoch    */

#endif
