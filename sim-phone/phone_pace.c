/**
 * @file phone_pace.c  A process-wide window on the REGISTERs the phones
 * send of their own accord (refreshes and retries fired by their timers).
 *
 * Why: one process runs thousands of phones on one event loop.  When a
 * clock jump makes 20,000 refreshes due at once, sending them all in one
 * loop turn takes longer than Timer E (500 ms): each phone retransmits
 * before the registrar, on the same CPU, has read its first copy, and the
 * retransmissions double the messages (bench/profile-notes.md).  Real
 * phones each have a CPU of their own; a simulator sharing one must not
 * let its own sending time look like loss.  So at most `window` REGISTER
 * operations of the process are in flight; a phone whose refresh falls due
 * while the window is full waits in line (first due, first sent) and goes
 * out when an operation ends.  Operations the program starts itself
 * (phone_register() ...) are counted but never held: the program paces
 * those (sim-phone --window, the harness's runner queue).  Window 0, the
 * default, holds nothing.  One window per process, single thread (the
 * re_main thread), like vtimer.c.
 */

#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


static struct {
	unsigned window;     /* 0: no limit                             */
	unsigned inflight;   /* REGISTER operations of every phone      */
	struct list waitl;   /* phones due (phone.pace_le)              */
	struct tmr tmr;      /* starts the waiting after an end         */
	uint64_t held;       /* refreshes that waited, since the start  */
} pace;

static void kick(void);


/**
 * Set the window on REGISTERs the phones start themselves
 *
 * @param window Operations in flight at most (0: no limit)
 */
void phone_pace_set(unsigned window)
{
	pace.window = window;
	kick();
}


unsigned phone_pace_window(void)
{
	return pace.window;
}


/* REGISTER operations of the process in flight now */
unsigned phone_pace_inflight(void)
{
	return pace.inflight;
}


/* refreshes that had to wait for the window, since the process started */
uint64_t phone_pace_held(void)
{
	return pace.held;
}


/* a REGISTER operation began (regtx allocated) */
void phone_pace_started(void)
{
	++pace.inflight;
}


static void kick_handler(void *arg);


/* the line moves on the next loop turn, if anyone waits */
static void kick(void)
{
	if (pace.waitl.head && !tmr_isrunning(&pace.tmr))
		tmr_start(&pace.tmr, 0, kick_handler, NULL);
}


static void kick_handler(void *arg)
{
	(void)arg;

	while (pace.waitl.head &&
	       (!pace.window || pace.inflight < pace.window)) {
		struct phone *phone = pace.waitl.head->data;

		/* a phone with a REGISTER pending queues its refresh behind
		 * it and sends nothing: the loop then takes the next one */
		list_unlink(&phone->pace_le);
		phone_reg_refresh_now(phone);
	}
}


/* a REGISTER operation ended (regtx freed): the next in line may go, on
 * the next loop turn (never inside the ending phone's handlers) */
void phone_pace_ended(void)
{
	if (pace.inflight)
		--pace.inflight;

	kick();
}


/**
 * A phone's own REGISTER is due: may it go now?
 *
 * @param phone Phone
 *
 * @return true: send it; false: it waits in line (phone_reg_refresh_now()
 *         is called for it when the window has room)
 */
bool phone_pace_admit(struct phone *phone)
{
	if (!pace.window || (pace.inflight < pace.window &&
			     !pace.waitl.head))
		return true;

	if (!phone->pace_le.list) {
		list_append(&pace.waitl, &phone->pace_le, phone);
		++pace.held;
	}

	return false;
}


/* the phone no longer wants its refresh (unregistered, destroyed) */
void phone_pace_forget(struct phone *phone)
{
	list_unlink(&phone->pace_le);   /* harmless when not in line */

	if (!pace.waitl.head)
		tmr_cancel(&pace.tmr);
}
