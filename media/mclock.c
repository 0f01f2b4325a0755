/**
 * @file mclock.c  Advancing the virtual clock in 20 ms loop turns.
 *
 * One jump of T would make every stream's T/20 frames due at once: they
 * all go out (stream.c catches up in batches), but arrive in the same
 * millisecond, which is not what a receiver on a real network sees.  Here
 * the clock moves one ptime per loop turn, so each frame is sent and
 * received at its own virtual time and the figures (first packet, jitter)
 * stay those of a real cadence.  libre's timers move along (tmrheap).
 */

#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "tmrheap.h"
#include "stream.h"


static struct {
	struct tmr tmr;
	uint64_t left;
	media_done_h *doneh;
	void *arg;
	bool busy;
} adv;


static void step(void *arg)
{
	uint64_t d;

	(void)arg;

	if (!adv.left) {
		/* the clock is there: wait for the last batches to go out */
		if (media_backlog()) {
			tmr_start(&adv.tmr, 0, step, NULL);
			return;
		}
		adv.busy = false;
		if (adv.doneh)
			adv.doneh(adv.arg);
		return;
	}

	d = adv.left < MEDIA_PTIME ? adv.left : MEDIA_PTIME;
	adv.left -= d;
	vclock_advance(d);
	tmrheap_advance(d);
	vtimer_poll();

	tmr_start(&adv.tmr, 0, step, NULL);
}


int media_advance(uint64_t ms, media_done_h *doneh, void *arg)
{
	if (adv.busy)
		return EBUSY;

	adv.busy = true;
	adv.left = ms;
	adv.doneh = doneh;
	adv.arg = arg;
	tmr_start(&adv.tmr, 0, step, NULL);

	return 0;
}
