/**
 * @file mclock.c  Advancing the virtual clock in 20 ms loop turns.
 *
 * One jump of T would make every stream's T/20 frames due at once: they
 * all go out (stream.c catches up in batches), but arrive in the same
 * millisecond, which is not what a receiver on a real network sees.  Here
 * the clock moves one ptime per loop turn, so each frame is sent and
 * received at its own virtual time and the figures (first packet, jitter)
 * stay those of a real cadence.  libre's timers move along (tmrheap).
 * The clock is held meanwhile (vclock_hold): real time does not move it,
 * so it ends exactly ms after the call with exactly the frames ms holds,
 * however long a loaded machine takes (it may run slower than real time).
 */

#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "reshim/tmrheap.h"
#include "stream.h"


static struct {
	struct tmr tmr;
	uint64_t at, end;       /* vclock ms: the last step's, the target */
	media_done_h *doneh;
	void *arg;
	bool busy;
} adv;


static void step(void *arg)
{
	uint64_t now, next;

	(void)arg;

	if (adv.at >= adv.end) {
		/* the clock is there: wait for the last batches to go out */
		if (media_backlog()) {
			tmr_start(&adv.tmr, 0, step, NULL);
			return;
		}
		adv.busy = false;
		vclock_hold(false);
		if (adv.doneh)
			adv.doneh(adv.arg);
		return;
	}

	/* steps of exactly one ptime on the held clock (real time does not
	 * move it; something else may have) */
	next = adv.at + MEDIA_PTIME < adv.end ? adv.at + MEDIA_PTIME : adv.end;
	now = vclock_now();
	if (next > now) {
		vclock_advance(next - now);
		tmrheap_advance(next - now);
	}
	adv.at = next;
	vtimer_poll();

	tmr_start(&adv.tmr, 0, step, NULL);
}


int media_advance(uint64_t ms, media_done_h *doneh, void *arg)
{
	if (adv.busy)
		return EBUSY;

	adv.busy = true;
	vclock_hold(true);
	adv.at = vclock_now();
	adv.end = adv.at + ms;
	adv.doneh = doneh;
	adv.arg = arg;
	tmr_start(&adv.tmr, 0, step, NULL);

	return 0;
}
