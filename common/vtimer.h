/**
 * @file vtimer.h  Long timers on virtual time (vclock), kept in a heap.
 *
 * libre's timer list is sorted with O(n) insertion, so tens of thousands of
 * pending refresh or expiry timers make every short transaction timer slow.
 * vtimers live in one binary min-heap instead (O(log n) start and cancel)
 * and exactly one libre timer is armed, for the earliest of them.
 *
 * A struct vtimer is embedded by its owner, like libre's struct tmr: zero it
 * with vtimer_init() and cancel it before freeing the memory around it.
 * Due times are vclock_now() milliseconds.  After vclock_advance() call
 * vtimer_poll(): every vtimer then due fires on the next loop turn.
 * Handlers may start and cancel any vtimer, themselves included; a vtimer
 * started from a handler never fires in the same turn.  Single thread only
 * (the thread running re_main).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (vtimer_h)(void *arg);

/** A virtual-time timer; fields are private to vtimer.c */
struct vtimer {
	uint64_t due;       /* vclock_now() ms when it fires           */
	uint64_t seq;       /* start order: ties fire first-come first */
	vtimer_h *h;
	void *arg;
	size_t idx;         /* heap index + 1; 0 when not running      */
};

void     vtimer_init(struct vtimer *t);
void     vtimer_start(struct vtimer *t, uint64_t delay_ms, vtimer_h *h,
		      void *arg);
void     vtimer_cancel(struct vtimer *t);
bool     vtimer_isrunning(const struct vtimer *t);
uint64_t vtimer_left(const struct vtimer *t);
void     vtimer_poll(void);
size_t   vtimer_count(void);
