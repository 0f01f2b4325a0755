/**
 * @file vtimer.c  Long timers on virtual time: binary min-heap + one tmr
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"


static struct {
	struct vtimer **v;   /* heap of running vtimers, earliest at v[0] */
	size_t n;
	size_t sz;
	uint64_t seq;        /* next start order number                   */
	bool firing;         /* inside tmr_handler: arm once at the end   */
	struct tmr tmr;      /* armed for v[0]                            */
} heap;


static bool before(const struct vtimer *a, const struct vtimer *b)
{
	if (a->due != b->due)
		return a->due < b->due;

	return a->seq < b->seq;
}


static void place(struct vtimer *t, size_t i)
{
	heap.v[i] = t;
	t->idx = i + 1;
}


static void sift_up(size_t i)
{
	struct vtimer *t = heap.v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(t, heap.v[parent]))
			break;

		place(heap.v[parent], i);
		i = parent;
	}

	place(t, i);
}


static void sift_down(size_t i)
{
	struct vtimer *t = heap.v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= heap.n)
			break;

		if (c + 1 < heap.n && before(heap.v[c + 1], heap.v[c]))
			++c;

		if (!before(heap.v[c], t))
			break;

		place(heap.v[c], i);
		i = c;
	}

	place(t, i);
}


static void remove_at(size_t i)
{
	struct vtimer *last = heap.v[--heap.n];

	heap.v[i]->idx = 0;

	if (i == heap.n)
		goto out;

	place(last, i);
	sift_down(i);
	if (heap.v[i] == last)
		sift_up(i);

 out:
	if (!heap.n) {
		/* give the memory back once idle: tests check for leaks */
		heap.v  = mem_deref(heap.v);
		heap.sz = 0;
	}
}


static void tmr_handler(void *arg);


static void arm(void)
{
	uint64_t now;

	if (heap.firing)
		return;

	if (!heap.n) {
		tmr_cancel(&heap.tmr);
		return;
	}

	now = vclock_now();
	tmr_start(&heap.tmr, heap.v[0]->due > now ? heap.v[0]->due - now : 0,
		  tmr_handler, NULL);
}


static void tmr_handler(void *arg)
{
	const uint64_t now = vclock_now();
	const uint64_t seq = heap.seq;
	(void)arg;

	heap.firing = true;

	/* only timers started before this turn: a handler restarting its
	 * own timer with delay 0 must not spin here */
	while (heap.n && heap.v[0]->due <= now && heap.v[0]->seq < seq) {
		struct vtimer *t = heap.v[0];
		vtimer_h *h = t->h;
		void *harg = t->arg;

		remove_at(0);
		t->h = NULL;

		h(harg);
	}

	heap.firing = false;
	arm();
}


void vtimer_init(struct vtimer *t)
{
	if (!t)
		return;

	memset(t, 0, sizeof(*t));
}


void vtimer_start(struct vtimer *t, uint64_t delay_ms, vtimer_h *h,
		  void *arg)
{
	const struct vtimer *top;

	if (!t)
		return;

	top = heap.n ? heap.v[0] : NULL;

	if (t->idx)
		remove_at(t->idx - 1);

	if (!h) {
		t->h = NULL;
		goto out;
	}

	if (heap.n == heap.sz) {
		size_t sz = heap.sz ? heap.sz * 2 : 64;
		struct vtimer **v;

		v = mem_reallocarray(heap.v, sz, sizeof(*v), NULL);
		if (!v) {
			/* out of memory: the timer is stopped, as if never
			 * started; nothing else is lost */
			t->h = NULL;
			goto out;
		}

		heap.v  = v;
		heap.sz = sz;
	}

	t->due = vclock_now() + delay_ms;
	t->seq = heap.seq++;
	t->h   = h;
	t->arg = arg;

	place(t, heap.n++);
	sift_up(heap.n - 1);

 out:
	if ((heap.n ? heap.v[0] : NULL) != top || t == top)
		arm();
}


void vtimer_cancel(struct vtimer *t)
{
	bool was_top;

	if (!t || !t->idx) {
		if (t)
			t->h = NULL;
		return;
	}

	was_top = t->idx == 1;

	remove_at(t->idx - 1);
	t->h = NULL;

	if (was_top)
		arm();
}


bool vtimer_isrunning(const struct vtimer *t)
{
	return t && t->idx != 0;
}


uint64_t vtimer_left(const struct vtimer *t)
{
	uint64_t now;

	if (!vtimer_isrunning(t))
		return 0;

	now = vclock_now();

	return t->due > now ? t->due - now : 0;
}


void vtimer_poll(void)
{
	arm();
}


size_t vtimer_count(void)
{
	return heap.n;
}
