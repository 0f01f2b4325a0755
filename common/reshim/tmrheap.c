/**
 * @file tmrheap.c  libre's tmr_* functions on a binary min-heap (interposed)
 *
 * See tmrheap.h.  Each heap entry caches the due time and a start sequence
 * number, so ordering never dereferences a timer; the timer's le.data holds
 * its position + 1 (0: not in a heap).
 */

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "reshim/tmrheap.h"


/* libre's (exported, used by its own tmr.c): this thread's timer list */
extern struct list *tmrl_get(void);


struct hent {
	uint64_t jfs;        /* due time (copy of tmr->jfs)          */
	uint64_t seq;        /* start order: ties fire first-come    */
	struct tmr *tmr;
};

struct theap {
	struct theap *next;         /* registry of all heaps          */
	const struct list *key;     /* the libre list it replaces     */
	struct hent *v;             /* earliest at v[0]               */
	size_t n;
	size_t cap;
	uint64_t seq;
	uint64_t inserts;
	uint64_t skew;              /* ms this clock is ahead (advance)  */
};


static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct theap *registry;
static _Thread_local struct theap *tl_heap;   /* last heap used here */


static void fatal(const char *what)
{
	fprintf(stderr, "tmrheap: fatal: %s\n", what);
	abort();
}


static struct theap *heap_get(const struct list *key, bool create)
{
	struct theap *h;

	if (tl_heap && tl_heap->key == key)
		return tl_heap;

	pthread_mutex_lock(&reg_lock);

	for (h = registry; h; h = h->next) {
		if (h->key == key)
			break;
	}

	if (!h && create) {
		h = calloc(1, sizeof(*h));
		if (!h)
			fatal("out of memory for a timer heap");
		h->key  = key;
		h->next = registry;
		registry = h;
	}

	pthread_mutex_unlock(&reg_lock);

	if (h)
		tl_heap = h;

	return h;
}


static inline size_t pos_get(const struct tmr *tmr)
{
	return (size_t)(uintptr_t)tmr->le.data;
}


/* this heap's time: libre's jiffies plus what tmrheap_advance() added */
static inline uint64_t heap_now(const struct theap *h)
{
	return tmr_jiffies() + (h ? h->skew : 0);
}


static inline void place(struct theap *h, size_t i, const struct hent *e)
{
	h->v[i] = *e;
	e->tmr->le.data = (void *)(uintptr_t)(i + 1);
}


static inline bool before(const struct hent *a, const struct hent *b)
{
	if (a->jfs != b->jfs)
		return a->jfs < b->jfs;

	return a->seq < b->seq;
}


static void sift_up(struct theap *h, size_t i)
{
	const struct hent e = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(&e, &h->v[parent]))
			break;

		place(h, i, &h->v[parent]);
		i = parent;
	}

	place(h, i, &e);
}


static void sift_down(struct theap *h, size_t i)
{
	const struct hent e = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;

		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			++c;

		if (!before(&h->v[c], &e))
			break;

		place(h, i, &h->v[c]);
		i = c;
	}

	place(h, i, &e);
}


static void heap_insert(struct theap *h, struct tmr *tmr)
{
	struct hent e;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct hent *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			fatal("out of memory for the timer heap");
		h->v   = v;
		h->cap = cap;
	}

	e.jfs = tmr->jfs;
	e.seq = h->seq++;
	e.tmr = tmr;

	h->v[h->n] = e;
	sift_up(h, h->n++);
	++h->inserts;
}


static void heap_remove(struct theap *h, size_t i)
{
	h->v[i].tmr->le.data = NULL;

	if (i == --h->n)
		return;

	place(h, i, &h->v[h->n]);

	if (i > 0 && before(&h->v[i], &h->v[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}


static inline bool holds(const struct theap *h, const struct tmr *tmr,
			 size_t pos)
{
	return h && pos && pos <= h->n && h->v[pos - 1].tmr == tmr;
}


/* the heap a timer is in (hint first), or NULL */
static struct theap *owner(const struct tmr *tmr, struct theap *hint)
{
	const size_t pos = pos_get(tmr);
	struct theap *h;

	if (!pos)
		return NULL;

	if (holds(hint, tmr, pos))
		return hint;

	if (holds(tl_heap, tmr, pos))
		return tl_heap;

	/* another thread's timer: libre would unlink it from there too */
	pthread_mutex_lock(&reg_lock);
	for (h = registry; h; h = h->next) {
		if (holds(h, tmr, pos))
			break;
	}
	pthread_mutex_unlock(&reg_lock);

	return h;
}


/* take tmr out of whichever heap holds it */
static void unlink_tmr(struct tmr *tmr, struct theap *hint)
{
	struct theap *h = owner(tmr, hint);

	if (h)
		heap_remove(h, pos_get(tmr) - 1);
	else
		tmr->le.data = NULL;   /* stale position, e.g. a copied struct */
}


static void check_list(const struct list *tmrl)
{
	if (tmrl && tmrl->head)
		fatal("a timer is in libre's own timer list: some tmr_start "
		      "call bypassed common/tmrheap.c; libre list and heap "
		      "must not be mixed");
}


void tmr_init(struct tmr *tmr)
{
	struct theap *h;

	if (!tmr)
		return;

	/* libre would corrupt its list here; a running timer just stops */
	h = owner(tmr, NULL);
	if (h)
		heap_remove(h, pos_get(tmr) - 1);

	memset(tmr, 0, sizeof(*tmr));
}


void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	struct theap *h;

	if (!tmr)
		return;

	h = heap_get(tmrl_get(), true);

	if (pos_get(tmr))
		unlink_tmr(tmr, h);

	tmr->th  = th;
	tmr->arg = arg;

	if (!th)
		return;

	tmr->jfs = delay + heap_now(h);

	heap_insert(h, tmr);
}


void tmr_cancel(struct tmr *tmr)
{
	if (!tmr)
		return;

	if (pos_get(tmr))
		unlink_tmr(tmr, NULL);

	tmr->th  = NULL;
	tmr->arg = NULL;
}


void tmr_poll(struct list *tmrl)
{
	struct theap *h;
	uint64_t jfs;

	check_list(tmrl);

	h = heap_get(tmrl, false);
	if (!h)
		return;

	jfs = heap_now(h);

	/* one due timer at a time: handlers may change the heap */
	while (h->n && h->v[0].jfs <= jfs) {
		struct tmr *tmr = h->v[0].tmr;
		tmr_h *th = tmr->th;
		void *th_arg = tmr->arg;

		heap_remove(h, 0);
		tmr->th = NULL;

		if (th)
			th(th_arg);
	}
}


uint64_t tmr_next_timeout(struct list *tmrl)
{
	const struct theap *h = heap_get(tmrl, false);
	uint64_t jfs, jif;

	check_list(tmrl);

	if (!h || !h->n)
		return 0;

	jif = heap_now(h);
	jfs = h->v[0].jfs;

	return jfs <= jif ? 1 : jfs - jif;
}


uint64_t tmr_get_expire(const struct tmr *tmr)
{
	uint64_t jfs;

	if (!tmr || !tmr->th)
		return 0;

	/* a timer belongs to the thread that started it */
	jfs = heap_now(heap_get(tmrl_get(), false));

	return tmr->jfs > jfs ? tmr->jfs - jfs : 0;
}


int tmr_status(struct re_printf *pf, void *unused)
{
	const struct theap *h = heap_get(tmrl_get(), false);
	const uint64_t now = heap_now(h);
	size_t i, n;
	int err;

	(void)unused;

	if (!h || !h->n)
		return 0;

	err = re_hprintf(pf, "Timers (%zu, in a heap):\n", h->n);

	n = h->n < 100 ? h->n : 100;
	for (i = 0; i < n; i++) {
		const struct hent *e = &h->v[i];

		err |= re_hprintf(pf, "  %p: th=%p expire=%llums\n",
				  (void *)e->tmr, (void *)e->tmr->th,
				  (unsigned long long)(e->jfs > now ?
						       e->jfs - now : 0));
	}

	if (h->n > n)
		err |= re_hprintf(pf, "    (%zu more)\n", h->n - n);

	return err;
}


void tmr_debug(void)
{
	if (tmrheap_count())
		(void)re_fprintf(stderr, "%H", tmr_status, NULL);
}


size_t tmrheap_count(void)
{
	const struct theap *h = heap_get(tmrl_get(), false);

	return h ? h->n : 0;
}


uint64_t tmrheap_inserts(void)
{
	const struct theap *h = heap_get(tmrl_get(), false);

	return h ? h->inserts : 0;
}


void tmrheap_advance(uint64_t ms)
{
	/* the heap's clock moves, not the timers: their order stays */
	struct theap *h = heap_get(tmrl_get(), true);

	if (h)
		h->skew += ms;
}


bool tmrheap_verify(void)
{
	const struct theap *h = heap_get(tmrl_get(), false);
	size_t i;

	if (!h)
		return true;

	for (i = 0; i < h->n; i++) {
		const struct hent *e = &h->v[i];

		if (pos_get(e->tmr) != i + 1 || !e->tmr->th ||
		    e->tmr->jfs != e->jfs || e->tmr->le.list)
			return false;
		if (i > 0 && before(e, &h->v[(i - 1) / 2]))
			return false;
	}

	return true;
}


int tmrheap_check(void)
{
	static const struct {
		const char *name;
		void *ours;
	} fn[] = {
		{"tmr_start",        (void *)tmr_start},
		{"tmr_cancel",       (void *)tmr_cancel},
		{"tmr_init",         (void *)tmr_init},
		{"tmr_poll",         (void *)tmr_poll},
		{"tmr_next_timeout", (void *)tmr_next_timeout},
		{"tmr_get_expire",   (void *)tmr_get_expire},
		{"tmr_status",       (void *)tmr_status},
		{"tmr_debug",        (void *)tmr_debug},
	};
	size_t i;

	/* libre.so binds its PLT through the global scope, as dlsym does */
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++) {
		if (dlsym(RTLD_DEFAULT, fn[i].name) != fn[i].ours)
			return ENOENT;
	}

	if (tmrl_get()->head)
		return EPROTO;

	return 0;
}
