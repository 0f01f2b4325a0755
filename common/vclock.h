/**
 * @file vclock.h  Virtual clock: the only time source of sipconform's logic.
 *
 * Virtual time is the process's monotonic time plus an offset that only
 * grows.  vclock_advance() jumps it forward, so a 600 s expiry is tested in
 * milliseconds of wall time.  vclock_hold(true) stops real time from
 * moving it (only vclock_advance() does) until vclock_hold(false): a
 * media advance (media/mclock.c) may then take longer than its span on a
 * loaded machine and still produce exactly its frames.  Virtual time
 * elapsed = real time + vclock_offset() - vclock_lag().  libre's own
 * timers keep real time (plus tmrheap_advance()).  One clock per process,
 * like libre's timers.
 */

#ifndef SIPCONFORM_VCLOCK_H
#define SIPCONFORM_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

uint64_t vclock_now(void);            /* virtual milliseconds (monotonic) */
uint64_t vclock_offset(void);         /* total ms advanced so far         */
void     vclock_advance(uint64_t ms);
void     vclock_hold(bool hold);       /* real time stops moving it       */
uint64_t vclock_lag(void);            /* real ms that passed while held  */
void     vclock_reset(void);          /* offset back to 0                 */
uint64_t vclock_wall_ms(void);        /* wall clock ms since the epoch    */

#endif
