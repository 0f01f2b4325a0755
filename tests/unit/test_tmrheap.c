/**
 * @file test_tmrheap.c  libre's tmr_* on a heap: order, ties, cancel,
 * handlers changing timers, expiry, re_main timing, scale, and a real
 * libre SIP exchange whose internal timers run on the heap.
 */

#include <check.h>
#include "fixture.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "reshim/tmrheap.h"


extern struct list *tmrl_get(void);   /* libre: this thread's timer list */


struct rec {
	int *v;
	size_t n;
	size_t sz;
};

static struct rec rec;
static struct tmr guard;


static void setup(void)
{
	fixture_begin(1);
	memset(&rec, 0, sizeof(rec));
	tmr_init(&guard);
}


static void teardown(void)
{
	tmr_cancel(&guard);
	free(rec.v);
	memset(&rec, 0, sizeof(rec));
	fixture_end();
}


static void rec_add(int v)
{
	if (rec.n == rec.sz) {
		rec.sz = rec.sz ? 2 * rec.sz : 64;
		rec.v = realloc(rec.v, rec.sz * sizeof(*rec.v));
		ck_assert_ptr_nonnull(rec.v);
	}
	rec.v[rec.n++] = v;
}


static void record_h(void *arg)
{
	rec_add((int)(intptr_t)arg);
}


static void guard_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* sleep until tmr_jiffies() is past jfs */
static void wait_past(uint64_t jfs)
{
	while (tmr_jiffies() <= jfs)
		usleep(1000);
}


static void poll_once(void)
{
	tmr_poll(tmrl_get());
}


static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}


static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


/*
 * rec must hold each index of t[] not in skip, in the order (jfs, start
 * order): the order libre's sorted list fires them.  The start order is
 * ord[k], or k when ord is NULL.  Returns the number of adjacent pairs
 * with equal jfs (ties).
 */
static size_t check_fired(const struct tmr *t, const uint64_t *jfs, size_t n,
			  const bool *skip, const uint64_t *ord)
{
	size_t i, expect = 0, ties = 0;

	for (i = 0; i < n; i++)
		expect += !(skip && skip[i]);
	ck_assert_uint_eq(rec.n, expect);

	for (i = 0; i < rec.n; i++) {
		int k = rec.v[i];

		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, (int)n);
		ck_assert(!(skip && skip[k]));
		ck_assert(!tmr_isrunning(&t[k]));

		if (i > 0) {
			int p = rec.v[i - 1];

			ck_assert_uint_le(jfs[p], jfs[k]);
			if (jfs[p] == jfs[k]) {
				if (ord)
					ck_assert_uint_lt(ord[p], ord[k]);
				else
					ck_assert_int_lt(p, k);
				++ties;
			}
		}
	}

	return ties;
}


START_TEST(test_interposed)
{
	struct tmr t;

	/* tmr_start & co. resolve to common/tmrheap.c for the process */
	ck_assert_int_eq(tmrheap_check(), 0);

	tmr_init(&t);
	ck_assert_uint_eq(tmrheap_count(), 0);
	tmr_start(&t, 1000, record_h, NULL);
	ck_assert(tmr_isrunning(&t));
	ck_assert_uint_eq(tmrheap_count(), 1);
	ck_assert_ptr_null(tmrl_get()->head);   /* libre's list unused */
	ck_assert_ptr_null(t.le.list);
	ck_assert_int_eq(tmrheap_check(), 0);

	/* list_unlink on the element is harmless */
	list_unlink(&t.le);
	ck_assert(tmrheap_verify());

	tmr_cancel(&t);
	ck_assert(!tmr_isrunning(&t));
	ck_assert_uint_eq(tmrheap_count(), 0);

	/* cancel and init of stopped or zeroed timers */
	tmr_cancel(&t);
	tmr_cancel(NULL);
	tmr_start(NULL, 10, record_h, NULL);
	memset(&t, 0, sizeof(t));
	tmr_cancel(&t);
	ck_assert_uint_eq(tmr_get_expire(&t), 0);

	/* tmr_init of a running timer stops it (libre would corrupt) */
	tmr_start(&t, 1000, record_h, NULL);
	tmr_init(&t);
	ck_assert_uint_eq(tmrheap_count(), 0);
	ck_assert(!tmr_isrunning(&t));

	/* starting with a NULL handler is a cancel, as in libre */
	tmr_start(&t, 1000, record_h, NULL);
	tmr_start(&t, 1000, NULL, NULL);
	ck_assert_uint_eq(tmrheap_count(), 0);
	ck_assert(!tmr_isrunning(&t));
}
END_TEST


/* the many-timer tests' timers (BULK: the most one starts) and their due
 * times; each test runs in a process of its own, so they start zeroed */
enum { BULK = 20000 };
static struct tmr bulk_t[BULK];
static uint64_t bulk_jfs[BULK];


START_TEST(test_order_many)
{
	enum { N = 3000 };
	uint64_t seed = 42, max = 0;
	size_t i;

	for (i = 0; i < N; i++) {
		tmr_init(&bulk_t[i]);
		tmr_start(&bulk_t[i], lcg(&seed) % 300, record_h,
			  (void *)(intptr_t)i);
		bulk_jfs[i] = bulk_t[i].jfs;
		if (bulk_jfs[i] > max)
			max = bulk_jfs[i];
	}
	ck_assert_uint_eq(tmrheap_count(), N);
	ck_assert(tmrheap_verify());

	wait_past(max);
	poll_once();

	check_fired(bulk_t, bulk_jfs, N, NULL, NULL);
	ck_assert_uint_eq(tmrheap_count(), 0);
}
END_TEST


START_TEST(test_ties)
{
	enum { N = 1000 };
	size_t i, ties;

	/* same delay, started within a few ms: many equal due times */
	for (i = 0; i < N; i++) {
		tmr_init(&bulk_t[i]);
		tmr_start(&bulk_t[i], i % 2 ? 20 : 21, record_h,
			  (void *)(intptr_t)i);
		bulk_jfs[i] = bulk_t[i].jfs;
	}

	wait_past(bulk_jfs[N - 1] + 2);
	poll_once();

	ties = check_fired(bulk_t, bulk_jfs, N, NULL, NULL);
	ck_assert_uint_gt(ties, N / 2);
}
END_TEST


START_TEST(test_cancel_positions)
{
	struct tmr t[6];
	size_t i;

	for (i = 0; i < 6; i++)
		tmr_init(&t[i]);

	for (i = 0; i < 5; i++)
		tmr_start(&t[i], 10 + 10 * i, record_h, (void *)(intptr_t)i);
	ck_assert_uint_eq(tmrheap_count(), 5);

	tmr_cancel(&t[0]);      /* head     */
	ck_assert(tmrheap_verify());
	tmr_cancel(&t[2]);      /* middle   */
	ck_assert(tmrheap_verify());
	tmr_cancel(&t[4]);      /* last due */
	ck_assert(tmrheap_verify());
	tmr_cancel(&t[4]);      /* twice    */
	tmr_cancel(&t[5]);      /* never started */

	ck_assert_uint_eq(tmrheap_count(), 2);
	ck_assert(!tmr_isrunning(&t[0]));
	ck_assert(tmr_isrunning(&t[1]));
	ck_assert(!tmr_isrunning(&t[2]));
	ck_assert(tmr_isrunning(&t[3]));
	ck_assert(!tmr_isrunning(&t[4]));

	/* cancel the heap's last array slot: started last, due last */
	tmr_start(&t[5], 1000, record_h, (void *)5);
	tmr_cancel(&t[5]);
	ck_assert(tmrheap_verify());

	fixture_settle(120);

	FIXTURE_INTS(rec.v, rec.n, 1, 3);
	ck_assert_uint_eq(tmrheap_count(), 0);
}
END_TEST


START_TEST(test_cancel_random)
{
	enum { N = 20000 };
	static bool skip[N];
	static uint64_t ord[N];
	uint64_t seed = 7, max = 0, starts = 0;
	size_t i;

	for (i = 0; i < N; i++) {
		tmr_init(&bulk_t[i]);
		tmr_start(&bulk_t[i], lcg(&seed) % 100, record_h,
			  (void *)(intptr_t)i);
		ord[i] = starts++;
	}

	/* restart a quarter (new position), cancel a half, in random order */
	for (i = 0; i < N; i++) {
		size_t k = lcg(&seed) % N;

		switch (lcg(&seed) % 4) {

		case 0:
			tmr_start(&bulk_t[k], lcg(&seed) % 100, record_h,
				  (void *)(intptr_t)k);
			ord[k] = starts++;
			skip[k] = false;
			break;

		case 1:
		case 2:
			tmr_cancel(&bulk_t[k]);
			skip[k] = true;
			break;

		default:
			break;
		}

		if (i % 1000 == 0)
			ck_assert(tmrheap_verify());
	}
	ck_assert(tmrheap_verify());

	for (i = 0; i < N; i++) {
		ck_assert(tmr_isrunning(&bulk_t[i]) == !skip[i]);
		bulk_jfs[i] = bulk_t[i].jfs;
		if (!skip[i] && bulk_jfs[i] > max)
			max = bulk_jfs[i];
	}

	wait_past(max);
	poll_once();

	check_fired(bulk_t, bulk_jfs, N, skip, ord);
	ck_assert_uint_eq(tmrheap_count(), 0);
}
END_TEST


struct self {
	struct tmr tmr;
	int left;
	uint64_t delay;
	uint64_t at[8];
	int n;
	bool running_inside;
	uint64_t expire_inside;
};


static void self_h(void *arg)
{
	struct self *s = arg;

	s->running_inside |= tmr_isrunning(&s->tmr);
	s->expire_inside  |= tmr_get_expire(&s->tmr);
	s->at[s->n++] = tmr_jiffies();

	if (s->left-- > 0)
		tmr_start(&s->tmr, s->delay, self_h, s);
	else
		tmr_cancel(&s->tmr);   /* already stopped: harmless */
}


START_TEST(test_restart_self)
{
	struct self a = {.left = 3, .delay = 30}, z = {.left = 4, .delay = 0};
	uint64_t t0;
	int i;

	t0 = tmr_jiffies();
	tmr_start(&a.tmr, 30, self_h, &a);
	tmr_start(&z.tmr, 0, self_h, &z);
	fixture_settle(250);

	ck_assert_int_eq(a.n, 4);
	ck_assert(!a.running_inside);
	ck_assert_uint_eq(a.expire_inside, 0);
	ck_assert_uint_ge(a.at[0], t0 + 30);
	for (i = 1; i < 4; i++)
		ck_assert_uint_ge(a.at[i], a.at[i - 1] + 30);

	ck_assert_int_eq(z.n, 5);   /* delay 0 restarts fire too */
	ck_assert(!tmr_isrunning(&a.tmr));
	ck_assert(!tmr_isrunning(&z.tmr));
	ck_assert_uint_eq(tmrheap_count(), 0);
}
END_TEST


static struct tmr ho[5];


static void canceller_h(void *arg)
{
	record_h(arg);
	tmr_cancel(&ho[1]);                       /* due, right after me */
	tmr_cancel(&ho[3]);                       /* due, later          */
	tmr_start(&ho[2], 10000, record_h, (void *)2);  /* due: pushed out */
	tmr_start(&ho[4], 10000, record_h, (void *)4);  /* not due: later  */
}


START_TEST(test_handler_changes_others)
{
	uint64_t max;
	size_t i;

	for (i = 0; i < 5; i++)
		tmr_init(&ho[i]);

	tmr_start(&ho[0], 5, canceller_h, (void *)0);
	tmr_start(&ho[1], 5, record_h, (void *)1);
	tmr_start(&ho[2], 6, record_h, (void *)2);
	tmr_start(&ho[3], 7, record_h, (void *)3);
	tmr_start(&ho[4], 5000, record_h, (void *)4);
	max = ho[3].jfs;

	wait_past(max);
	poll_once();

	/* only the canceller fired; 1 and 3 were cancelled while due */
	FIXTURE_INTS(rec.v, rec.n, 0);
	ck_assert(!tmr_isrunning(&ho[1]));
	ck_assert(!tmr_isrunning(&ho[3]));
	ck_assert(tmr_isrunning(&ho[2]));
	ck_assert(tmr_isrunning(&ho[4]));
	ck_assert_uint_ge(tmr_get_expire(&ho[2]), 9000);
	ck_assert_uint_eq(tmrheap_count(), 2);
	ck_assert(tmrheap_verify());

	tmr_cancel(&ho[2]);
	tmr_cancel(&ho[4]);
}
END_TEST


static struct tmr chain[3];


static void chain_h(void *arg)
{
	int k = (int)(intptr_t)arg;

	record_h(arg);

	/* a timer started at delay 0 from a handler of the same poll is due
	 * at the poll's time or later: it may fire in this poll (libre:
	 * same), but only after the timers that were due before it */
	if (k < 2)
		tmr_start(&chain[k + 1], 0, chain_h, (void *)(intptr_t)(k + 1));
}


START_TEST(test_start_from_handler)
{
	struct tmr other;

	tmr_init(&other);
	memset(chain, 0, sizeof(chain));

	tmr_start(&chain[0], 5, chain_h, (void *)0);
	tmr_start(&other, 5, record_h, (void *)10);

	/* both due in this poll; chain[1] is started during it */
	wait_past(other.jfs);
	poll_once();
	fixture_settle(30);

	/* 10: due before chain[1] was started */
	FIXTURE_INTS(rec.v, rec.n, 0, 10, 1, 2);
}
END_TEST


START_TEST(test_get_expire)
{
	struct tmr t;
	uint64_t e;

	tmr_init(&t);
	ck_assert_uint_eq(tmr_get_expire(&t), 0);
	ck_assert_uint_eq(tmr_get_expire(NULL), 0);

	tmr_start(&t, 1000, record_h, NULL);
	e = tmr_get_expire(&t);
	ck_assert_uint_le(e, 1000);
	ck_assert_uint_ge(e, 950);

	usleep(50000);
	e = tmr_get_expire(&t);
	ck_assert_uint_le(e, 955);
	ck_assert_uint_ge(e, 800);

	/* due but not polled yet: 0, still running */
	tmr_start(&t, 1, record_h, NULL);
	wait_past(t.jfs);
	ck_assert_uint_eq(tmr_get_expire(&t), 0);
	ck_assert(tmr_isrunning(&t));

	tmr_cancel(&t);
	ck_assert_uint_eq(tmr_get_expire(&t), 0);
}
END_TEST


struct timed {
	struct tmr tmr;
	uint64_t due;
	uint64_t fired;
};


static void timed_h(void *arg)
{
	struct timed *x = arg;

	x->fired = tmr_jiffies();
}


START_TEST(test_next_timeout_re_main)
{
	static const uint64_t delay[] = {150, 50, 100, 0, 300};
	struct timed x[5];
	struct tmr t;
	uint64_t to;
	size_t i;

	/* no timers: 0 (re_main then waits for I/O only) */
	ck_assert_uint_eq(tmr_next_timeout(tmrl_get()), 0);

	tmr_init(&t);
	tmr_start(&t, 100, record_h, NULL);
	to = tmr_next_timeout(tmrl_get());
	ck_assert_uint_le(to, 100);
	ck_assert_uint_ge(to, 90);

	tmr_start(&t, 0, record_h, NULL);
	wait_past(t.jfs);
	ck_assert_uint_eq(tmr_next_timeout(tmrl_get()), 1);   /* overdue */
	tmr_cancel(&t);
	ck_assert_uint_eq(tmr_next_timeout(tmrl_get()), 0);

	/* re_main sleeps for tmr_next_timeout() and fires on time */
	for (i = 0; i < 5; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		tmr_start(&x[i].tmr, delay[i], timed_h, &x[i]);
		x[i].due = x[i].tmr.jfs;
	}
	fixture_settle(400);

	for (i = 0; i < 5; i++) {
		printf("tmrheap: timer due +%llu ms fired %lld ms late\n",
		       (unsigned long long)delay[i],
		       (long long)(x[i].fired - x[i].due));
		ck_assert_uint_ge(x[i].fired, x[i].due);
		ck_assert_uint_le(x[i].fired, x[i].due + 40);
	}
}
END_TEST


START_TEST(test_scale_200k)
{
	enum { N = 200000 };
	struct tmr *t = calloc(N, sizeof(*t));
	size_t *perm = calloc(N, sizeof(*perm));
	uint64_t seed = 1;
	double t0, t1, t2;
	size_t i;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(perm);

	for (i = 0; i < N; i++)
		perm[i] = i;
	for (i = N - 1; i > 0; i--) {
		size_t k = lcg(&seed) % (i + 1), s = perm[i];

		perm[i] = perm[k];
		perm[k] = s;
	}

	t0 = mono_s();
	for (i = 0; i < N; i++)
		tmr_start(&t[i], 1000 + lcg(&seed) % 600000, record_h, NULL);
	t1 = mono_s();
	ck_assert_uint_eq(tmrheap_count(), N);
	ck_assert(tmrheap_verify());

	for (i = 0; i < N; i++)
		tmr_cancel(&t[perm[i]]);
	t2 = mono_s();

	printf("tmrheap: %d timers: start %.1f ms, cancel (random order) "
	       "%.1f ms\n", N, (t1 - t0) * 1e3, (t2 - t1) * 1e3);

	ck_assert_uint_eq(tmrheap_count(), 0);
	ck_assert_double_lt(t2 - t0, 5.0);

	free(perm);
	free(t);
}
END_TEST


/* --- a real libre SIP exchange on 127.0.0.1 --- */

struct sipx {
	struct sip *uas;
	struct sip *uac;
	struct sip_lsnr *lsnr;
	struct sip_request *req;
	struct sa uas_addr;
	int seen;            /* requests the UAS handler saw */
	int status;          /* client's final status, -1 none */
	int err;
	uint64_t sent_at;
	uint64_t done_at;
	bool list_clean;     /* libre's own list empty in handlers */
};


static bool uas_h(const struct sip_msg *msg, void *arg)
{
	struct sipx *x = arg;

	x->list_clean &= !tmrl_get()->head;

	if (pl_strcmp(&msg->met, "OPTIONS"))
		return false;

	/* drop the first copy: the client's Timer E must retransmit */
	if (x->seen++ == 0)
		return true;

	(void)sip_treply(NULL, x->uas, msg, 200, "OK");

	return true;
}


static void uac_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct sipx *x = arg;

	x->list_clean &= !tmrl_get()->head;
	x->err = err;

	if (msg && msg->scode < 200)
		return;

	x->status  = msg ? msg->scode : -1;
	x->done_at = tmr_jiffies();
	re_cancel();
}


START_TEST(test_sip_exchange)
{
	struct sipx x;
	struct sa laddr;
	char uri[64];
	uint64_t ins0, ins1;
	size_t pending;

	memset(&x, 0, sizeof(x));
	x.status = -1;
	x.list_clean = true;
	ck_assert_int_eq(tmrheap_check(), 0);

	ck_assert_int_eq(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	ck_assert_int_eq(sip_alloc(&x.uas, NULL, 32, 32, 32, "uas", NULL,
				   NULL), 0);
	ck_assert_int_eq(sip_alloc(&x.uac, NULL, 32, 32, 32, "uac", NULL,
				   NULL), 0);
	ck_assert_int_eq(sip_transp_add(x.uas, SIP_TRANSP_UDP, &laddr), 0);
	ck_assert_int_eq(sip_transp_add(x.uac, SIP_TRANSP_UDP, &laddr), 0);
	ck_assert_int_eq(sip_transp_laddr(x.uas, &x.uas_addr, SIP_TRANSP_UDP,
					  NULL), 0);
	ck_assert_int_eq(sip_listen(&x.lsnr, x.uas, true, uas_h, &x), 0);

	re_snprintf(uri, sizeof(uri), "sip:uas@%J", &x.uas_addr);

	ins0 = tmrheap_inserts();
	x.sent_at = tmr_jiffies();
	ck_assert_int_eq(sip_requestf(&x.req, x.uac, true, "OPTIONS", uri,
				      NULL, NULL, NULL, uac_resp_h, &x,
				      "To: <%s>\r\n"
				      "From: <sip:uac@127.0.0.1>;tag=t1\r\n"
				      "Call-ID: tmrheap-test-1\r\n"
				      "CSeq: 1 OPTIONS\r\n"
				      "Content-Length: 0\r\n\r\n", uri), 0);

	/* libre's transaction timers (E, F) are in the heap */
	ck_assert_uint_gt(tmrheap_inserts(), ins0);
	ck_assert_ptr_null(tmrl_get()->head);

	tmr_start(&guard, 5000, guard_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&guard);

	ins1 = tmrheap_inserts();
	pending = tmrheap_count();

	printf("tmrheap: SIP OPTIONS over UDP: %d (err %d) after %llu ms, "
	       "UAS saw %d copies; %llu heap inserts by libre, %zu libre "
	       "timers pending (Timer K, J)\n",
	       x.status, x.err,
	       (unsigned long long)(x.done_at - x.sent_at), x.seen,
	       (unsigned long long)(ins1 - ins0), pending);

	ck_assert_int_eq(x.err, 0);
	ck_assert_int_eq(x.status, 200);
	ck_assert_int_eq(x.seen, 2);
	/* the retransmission came from libre's Timer E, fired by our poll */
	ck_assert_uint_ge(x.done_at - x.sent_at, 400);
	ck_assert(x.list_clean);
	ck_assert_ptr_null(tmrl_get()->head);
	ck_assert_uint_ge(pending, 1);
	ck_assert(tmrheap_verify());
	ck_assert_int_eq(tmrheap_check(), 0);

	/* freeing the stacks cancels every libre timer */
	x.req  = mem_deref(x.req);
	x.lsnr = mem_deref(x.lsnr);
	sip_close(x.uac, true);
	sip_close(x.uas, true);
	x.uac = mem_deref(x.uac);
	x.uas = mem_deref(x.uas);
	ck_assert_uint_eq(tmrheap_count(), 0);
	ck_assert(tmrheap_verify());
}
END_TEST


/* tmrheap_advance: what was due within the span fires at the next poll,
 * in due order (ties in start order); the rest comes that much closer */
START_TEST(test_advance)
{
	static struct tmr t[5];
	static const uint64_t delay[5] = {100000, 50000, 200000, 50000,
					  400000};
	uint64_t left;

	for (int i = 0; i < 5; i++) {
		tmr_init(&t[i]);
		tmr_start(&t[i], delay[i], record_h, (void *)(intptr_t)i);
	}

	poll_once();
	ck_assert_uint_eq(rec.n, 0);

	tmrheap_advance(150000);
	ck_assert(tmrheap_verify());
	poll_once();

	FIXTURE_INTS(rec.v, rec.n, 1, 3, 0);

	left = tmr_get_expire(&t[2]);
	ck_assert_msg(left > 49000 && left <= 50000, "left %llu",
		      (unsigned long long)left);
	left = tmr_get_expire(&t[4]);
	ck_assert(left > 249000 && left <= 250000);

	/* started after the advance: its whole delay */
	tmr_start(&t[0], 1000, record_h, (void *)(intptr_t)0);
	left = tmr_get_expire(&t[0]);
	ck_assert(left > 900 && left <= 1000);
	ck_assert_uint_le(tmr_next_timeout(tmrl_get()), 1000);

	for (int i = 0; i < 5; i++)
		tmr_cancel(&t[i]);
	ck_assert(tmrheap_verify());
}
END_TEST


START_TEST(test_mixing_detected)
{
	struct le le = LE_INIT;
	struct tmr t;

	/* a timer in libre's own list would never fire: report, abort */
	tmr_init(&t);
	tmr_start(&t, 1000, record_h, NULL);
	list_append(tmrl_get(), &le, NULL);
	ck_assert_int_eq(tmrheap_check(), EPROTO);
	tmr_poll(tmrl_get());
}
END_TEST


int main(void)
{
	const struct fixture_case casev[] = {
		FIXTURE_CASE("core", setup, teardown, 60, 0,
			test_interposed, test_order_many, test_ties,
			test_cancel_positions, test_cancel_random,
			test_restart_self, test_handler_changes_others,
			test_start_from_handler, test_get_expire,
			test_next_timeout_re_main, test_scale_200k,
			test_sip_exchange, test_advance),
		/* aborts on purpose: its own case, so CK_FORK=no
		 * CK_RUN_CASE=core runs the rest in one process (e.g. under
		 * ASan's leak check) */
		{"abort", setup, teardown, 0, 0,
		 (const TTest *[]){test_mixing_detected, NULL}, SIGABRT},
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return fixture_run_suite("tmrheap", casev, ARRAY_SIZE(casev));
}
