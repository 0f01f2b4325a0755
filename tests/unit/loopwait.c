/**
 * @file loopwait.c  Running libre's loop until a condition holds
 */

#include <string.h>
#include <re.h>
#include "loopwait.h"


struct waiter {
	bool (*cond)(void *arg);
	void *arg;
	bool met;
	struct tmr poll;
	struct tmr deadline;
};


static void poll_h(void *arg)
{
	struct waiter *w = arg;

	if (w->cond(w->arg)) {
		w->met = true;
		tmr_cancel(&w->deadline);
		re_cancel();
		return;
	}

	tmr_start(&w->poll, 2, poll_h, w);
}


static void deadline_h(void *arg)
{
	struct waiter *w = arg;

	tmr_cancel(&w->poll);
	re_cancel();
}


bool wait_for(bool (*cond)(void *), void *arg, uint32_t ms)
{
	struct waiter w;

	memset(&w, 0, sizeof(w));
	w.cond = cond;
	w.arg = arg;

	if (cond(arg))
		return true;

	tmr_start(&w.poll, 1, poll_h, &w);
	tmr_start(&w.deadline, ms, deadline_h, &w);
	(void)re_main(NULL);
	tmr_cancel(&w.poll);
	tmr_cancel(&w.deadline);

	return w.met;
}


static bool never(void *arg)
{
	(void)arg;
	return false;
}


void settle(uint32_t ms)
{
	(void)wait_for(never, NULL, ms);
}
