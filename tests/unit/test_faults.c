/**
 * @file test_faults.c  Unit tests of link faults: the scenario keys (a
 * phone's `link:`, the `link:` and `restart:` steps, an expect's `link:`
 * counts, `seed:`) with `file:line:col` of each mistake, and the fault
 * layer's determinism (the same seed gives the same fates, datagram by
 * datagram, through real sockets)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include "fixture.h"
#include <re.h>
#include "ytree.h"
#include "vclock.h"
#include "vtimer.h"
#include "scenario.h"
#include "linkfault.h"

static char path[128];


static const char *write_tmp(const char *text)
{
	FILE *f;

	(void)snprintf(path, sizeof(path), "/tmp/faults-test-%d.yaml",
		       (int)getpid());
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);

	return path;
}


static void load_bad(const char *text, unsigned line, unsigned col,
		     const char *word)
{
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	char prefix[200], errs[4096] = "";
	bool found = false;
	size_t pl, n = 0;

	ck_assert_int_eq(scenario_load(&sc, &doc, write_tmp(text)), EINVAL);
	ck_assert_ptr_nonnull(doc);

	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path,
			      line, col);
	for (unsigned i = 0; i < ydoc_errorc(doc); i++) {
		const char *e = ydoc_error(doc, i);

		if (!strncmp(e, prefix, pl) && strstr(e + pl, word))
			found = true;
		n += (size_t)snprintf(errs + n, n < sizeof(errs) ?
				      sizeof(errs) - n : 0, "%s\n", e);
	}
	mem_deref(doc);
	(void)unlink(path);

	ck_assert_msg(found, "no error '%s...%s...' among:\n%s", prefix, word,
		      errs);
}


/* ---- the keys, loaded ------------------------------------------------ */

START_TEST(test_good)
{
	static const char y[] =
		"name: faults\n"
		"rules: [REG-OK-1]\n"
		"seed: 42\n"
		"phones:\n"
		"  - name: desk\n"
		"    user: alice\n"
		"    link: {drop: 30%, duplicate: 2.5%, delay: 200ms,"
		" direction: send}\n"
		"  - name: lobby\n"
		"    user: bob\n"
		"  - name: far\n"
		"    user: carol\n"
		"    transport: tcp\n"
		"steps:\n"
		"  - link: {phones: lobby, reorder: 20%}\n"
		"  - register: [desk, lobby]\n"
		"    expect: {status: 200, link: {dropped: \">=1\","
		" packets: \"<=9\", reordered: 0}}\n"
		"  - link: {phones: lobby, clear: true}\n"
		"  - restart: registrar\n"
		"  - restart: {registrar: kill}\n"
		"  - restart: {registrar: graceful}\n";
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	const struct sc_phone *desk, *lobby, *far;
	const struct sc_step *st;

	ck_assert_int_eq(scenario_load(&sc, &doc, write_tmp(y)), 0);
	(void)unlink(path);

	ck_assert(sc->needs_faults);
	ck_assert(sc->needs_restart);
	ck_assert(sc->needs_rx_faults);        /* lobby's: both ways */
	ck_assert_uint_eq(sc->seed, 42);

	desk = scenario_phone(sc, "desk");
	lobby = scenario_phone(sc, "lobby");
	far = scenario_phone(sc, "far");
	ck_assert(desk->has_link && desk->faulted);
	ck_assert(desk->conf.virtual_timeout);
	ck_assert_uint_eq(desk->link.drop, 300000);
	ck_assert_uint_eq(desk->link.duplicate, 25000);
	ck_assert_uint_eq(desk->link.reorder, 0);
	ck_assert_uint_eq(desk->link.delay_ms, 200);
	ck_assert_int_eq(desk->link.dir, LINKFAULT_SEND);
	ck_assert(!lobby->has_link && lobby->faulted);
	ck_assert(lobby->conf.virtual_timeout);
	ck_assert(!far->faulted && !far->conf.virtual_timeout);

	ck_assert_uint_eq(sc->stepc, 6);
	st = &sc->stepv[0];
	ck_assert_int_eq(st->type, SC_LINK);
	ck_assert_uint_eq(st->phonec, 1);
	ck_assert_uint_eq(st->link.reorder, 200000);
	ck_assert_int_eq(st->link.dir, LINKFAULT_BOTH);
	ck_assert(!st->link_clear);

	st = &sc->stepv[1];
	ck_assert(st->expect.has_link);
	ck_assert(st->expect.link.dropped.set);
	ck_assert_int_eq(st->expect.link.dropped.cmp, SC_CMP_GE);
	ck_assert_uint_eq(st->expect.link.dropped.n, 1);
	ck_assert_int_eq(st->expect.link.packets.cmp, SC_CMP_LE);
	ck_assert_uint_eq(st->expect.link.packets.n, 9);
	ck_assert_int_eq(st->expect.link.reordered.cmp, SC_CMP_EQ);
	ck_assert(!st->expect.link.delayed.set);
	ck_assert(sc_count_holds(&st->expect.link.dropped, 3));
	ck_assert(!sc_count_holds(&st->expect.link.dropped, 0));
	ck_assert(!sc_count_holds(&st->expect.link.packets, 10));
	ck_assert(sc_count_holds(&st->expect.link.delayed, 77));

	ck_assert(sc->stepv[2].link_clear);
	ck_assert_int_eq(sc->stepv[3].type, SC_RESTART);
	ck_assert(!sc->stepv[3].restart_kill);
	ck_assert(sc->stepv[4].restart_kill);
	ck_assert(!sc->stepv[5].restart_kill);

	mem_deref(sc);
	mem_deref(doc);
}
END_TEST


START_TEST(test_default_seed)
{
	static const char y[] =
		"name: t\nrules: [REG-OK-1]\n"
		"phones: [{name: p, user: a}]\n"
		"steps: [{link: {phones: p, drop: 1%, direction: send}}]\n";
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;

	ck_assert_int_eq(scenario_load(&sc, &doc, write_tmp(y)), 0);
	(void)unlink(path);
	ck_assert_uint_eq(sc->seed, 1);
	ck_assert(sc->needs_faults);
	ck_assert(!sc->needs_rx_faults);        /* send only */
	ck_assert(!sc->needs_restart);

	mem_deref(sc);
	mem_deref(doc);
}
END_TEST


#define HEAD \
	"name: t\n"                  /*  1 */ \
	"rules: [REG-OK-1]\n"        /*  2 */ \
	"phones:\n"                  /*  3 */ \
	"  - name: desk\n"           /*  4 */ \
	"    user: alice\n"          /*  5 */ \
	"  - name: tcp\n"            /*  6 */ \
	"    user: bob\n"            /*  7 */ \
	"    transport: tcp\n"       /*  8 */ \
	"  - name: pool\n"           /*  9 */ \
	"    count: 2\n"             /* 10 */ \
	"    user: carol\n"          /* 11 */ \
	"    share: 2\n"             /* 12 */ \
	"steps:\n"                   /* 13 */

static const struct bad {
	const char *yaml;
	unsigned line, col;
	const char *word;
} badv[] = {
	{HEAD "  - link: {phones: desk, drop: 30}\n", 14, 32,
	 "drop must be a percentage"},
	{HEAD "  - link: {phones: desk, drop: 130%}\n", 14, 32,
	 "from 0% to 100%"},
	{HEAD "  - link: {phones: desk, duplicate: -1%}\n", 14, 37,
	 "duplicate must be a percentage"},
	{HEAD "  - link: {phones: desk, reorder: lots}\n", 14, 35,
	 "reorder must be a percentage"},
	{HEAD "  - link: {phones: desk, delay: soon}\n", 14, 33,
	 "expected a duration"},
	{HEAD "  - link: {phones: desk, drop: 1%, direction: up}\n", 14, 47,
	 "direction must be one of: both, send, receive"},
	{HEAD "  - link: {phones: desk, jitter: 5ms}\n", 14, 26,
	 "unknown key 'jitter' in link"},
	{HEAD "  - link: {phones: desk}\n", 14, 11, "link sets no fault"},
	{HEAD "  - link: {drop: 5%}\n", 14, 11,
	 "missing required key 'phones'"},
	{HEAD "  - link: {phones: nobody, drop: 5%}\n", 14, 20,
	 "undefined phone 'nobody'"},
	{HEAD "  - link: {phones: desk, clear: true, drop: 5%}\n", 14, 33,
	 "clear: true takes no fault keys"},
	{HEAD "  - link: {phones: desk, clear: false}\n", 14, 33,
	 "clear: false clears nothing"},
	{HEAD "  - link: {phones: tcp, drop: 5%}\n", 14, 20,
	 "link faults need a UDP phone; tcp is on tcp"},
	{HEAD "  - link: {phones: pool, drop: 5%}\n", 14, 20,
	 "shares one (share: 2)"},
	{HEAD "  - link: desk\n", 14, 11, "link must be a mapping"},
	{HEAD "  - restart: sip-proxy\n", 14, 14,
	 "only 'registrar' can be restarted"},
	{HEAD "  - restart: {registrar: reboot}\n", 14, 26,
	 "restart registrar must be one of: graceful, kill"},
	{HEAD "  - restart: {phone: desk}\n", 14, 15, "unknown key 'phone'"},
	{HEAD "  - restart: {}\n", 14, 14, "missing required key 'registrar'"},
	{HEAD "  - register: desk\n    expect: {link: {dropped: lots}}\n",
	 15, 30, "a count is a number, '>=N' or '<=N'"},
	{HEAD "  - register: desk\n    expect: {link: {lost: 1}}\n",
	 15, 21, "unknown key 'lost'"},
	{HEAD "  - register: desk\n    expect: {link: {}}\n", 15, 20,
	 "link checks nothing"},
	{HEAD "  - register: desk\n    expect: {link: 3}\n", 15, 20,
	 "link must be a mapping"},
	{"name: t\nrules: [REG-OK-1]\nseed: -3\n"
	 "phones: [{name: p, user: a}]\nsteps: [{register: p}]\n", 3, 7,
	 ""},
	{"name: t\nrules: [REG-OK-1]\n"
	 "phones: [{name: p, user: a, link: {drop: 5}}]\n"
	 "steps: [{register: p}]\n", 3, 42, "drop must be a percentage"},
	{"name: t\nrules: [REG-OK-1]\n"
	 "phones: [{name: p, user: a, link: {}}]\n"
	 "steps: [{register: p}]\n", 3, 35, "link sets no fault"},
	{"name: t\nrules: [REG-OK-1]\n"
	 "phones: [{name: p, user: a, link: {drop: 5%, phones: p}}]\n"
	 "steps: [{register: p}]\n", 3, 46, "unknown key 'phones'"},
	{"name: t\nrules: [REG-OK-1]\n"
	 "phones: [{name: p, user: a, transport: tls, link: {drop: 5%}}]\n"
	 "steps: [{register: p}]\n", 3, 51, "link faults need a UDP phone"},
};


START_TEST(test_bad)
{
	const struct bad *b = &badv[_i];

	load_bad(b->yaml, b->line, b->col, b->word);
}
END_TEST


/* ---- the dice ---------------------------------------------------------- */

static void fates(uint64_t seed, const struct linkfault_conf *c,
		  struct linkfault_fate *v, size_t n)
{
	uint64_t s = linkfault_stream(seed, 3, false);

	for (size_t i = 0; i < n; i++)
		linkfault_decide(&s, c, &v[i]);
}


START_TEST(test_decide_deterministic)
{
	enum { N = 10000 };
	static struct linkfault_fate a[N], b[N], c[N], d[N];
	struct linkfault_conf conf = {300000, 100000, 200000, 0,
				      LINKFAULT_BOTH};
	struct linkfault_conf more = conf;
	unsigned drops = 0, dups = 0, reorders = 0, same = 0, dup_same = 0;

	fates(7, &conf, a, N);
	fates(7, &conf, b, N);
	fates(8, &conf, c, N);
	more.drop = 0;
	fates(7, &more, d, N);

	ck_assert_mem_eq(a, b, sizeof(a));        /* same seed, same fates */

	for (size_t i = 0; i < N; i++) {
		drops += a[i].drop;
		dups += a[i].duplicate;
		reorders += a[i].reorder;
		same += a[i].drop == c[i].drop;
		/* a dropped datagram is neither duplicated nor held; the
		 * others keep their dice when the drop rate changes */
		if (!a[i].drop)
			dup_same += a[i].duplicate == d[i].duplicate &&
				a[i].reorder == d[i].reorder;
		else
			ck_assert(!a[i].duplicate && !a[i].reorder);
	}

	/* the rates, within a few standard deviations */
	ck_assert_uint_ge(drops, 2850);
	ck_assert_uint_le(drops, 3150);
	ck_assert_uint_ge(dups, 600);      /* 10% of the 70% not dropped */
	ck_assert_uint_le(dups, 800);
	ck_assert_uint_ge(reorders, 1250);
	ck_assert_uint_le(reorders, 1550);
	ck_assert_uint_lt(same, N - 1000);        /* another seed differs */
	ck_assert_uint_eq(dup_same, N - drops);

	/* directions and links have streams of their own */
	ck_assert(linkfault_stream(7, 3, false) !=
		  linkfault_stream(7, 3, true));
	ck_assert(linkfault_stream(7, 3, false) !=
		  linkfault_stream(7, 4, false));
}
END_TEST


START_TEST(test_decide_extremes)
{
	struct linkfault_conf none = {0, 0, 0, 0, LINKFAULT_BOTH};
	struct linkfault_conf all = {LINKFAULT_MILLION, 0, 0, 0,
				     LINKFAULT_BOTH};
	uint64_t s = linkfault_stream(1, 0, false);
	struct linkfault_fate f;

	for (int i = 0; i < 1000; i++) {
		linkfault_decide(&s, &none, &f);
		ck_assert(!f.drop && !f.duplicate && !f.reorder);
		linkfault_decide(&s, &all, &f);
		ck_assert(f.drop);
	}
}
END_TEST


/* ---- through real sockets ------------------------------------------- */

enum { DGRAMS = 200 };

struct rx {
	int order[DGRAMS * 2];
	size_t n;
};


static void recv_handler(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct rx *rx = arg;
	(void)src;

	if (rx->n < DGRAMS * 2 && mbuf_get_left(mb) >= 4)
		rx->order[rx->n++] = (int)mbuf_read_u32(mb);
}


static void stop(void *arg)
{
	(void)arg;
	re_cancel();
}


/* DGRAMS datagrams from a to b under conf; what b got, in order */
static void exchange(uint64_t seed, const struct linkfault_conf *conf,
		     struct rx *rx, struct linkfault_stats *st)
{
	struct udp_sock *a = NULL, *b = NULL;
	struct linkfaults *lf = NULL;
	struct sa la, lb;
	struct tmr t;

	memset(rx, 0, sizeof(*rx));
	tmr_init(&t);
	(void)sa_set_str(&la, "127.0.0.1", 0);
	(void)sa_set_str(&lb, "127.0.0.1", 0);
	ck_assert_int_eq(udp_listen(&a, &la, NULL, NULL), 0);
	ck_assert_int_eq(udp_listen(&b, &lb, recv_handler, rx), 0);
	ck_assert_int_eq(udp_local_get(a, &la), 0);
	ck_assert_int_eq(udp_local_get(b, &lb), 0);

	ck_assert_int_eq(linkfaults_alloc(&lf, seed), 0);
	ck_assert_int_eq(linkfaults_alloc(&lf, seed), EBUSY);
	ck_assert_int_eq(linkfaults_set(lf, &la, 0, conf), 0);

	for (uint32_t i = 0; i < DGRAMS; i++) {
		struct mbuf *mb = mbuf_alloc(4);

		ck_assert_ptr_nonnull(mb);
		(void)mbuf_write_u32(mb, i);
		mb->pos = 0;
		ck_assert_int_eq(udp_send(a, &lb, mb), 0);
		mem_deref(mb);

		/* a gap now and then: what is held waits for the next */
		if (i % 50 == 49) {
			tmr_start(&t, 20, stop, NULL);
			(void)re_main(NULL);
		}
	}

	/* the delays and holds on virtual time: jump past them */
	vclock_advance(conf->delay_ms + LINKFAULT_HOLD_MS + 1);
	vtimer_poll();
	tmr_start(&t, 200, stop, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);

	ck_assert_uint_eq(linkfaults_queued(lf), 0);
	ck_assert_int_eq(linkfaults_stats(lf, &la, st), 0);

	mem_deref(lf);
	mem_deref(a);
	mem_deref(b);
}


START_TEST(test_sockets_reproducible)
{
	struct linkfault_conf conf = {300000, 100000, 200000, 0,
				      LINKFAULT_SEND};
	static struct rx r1, r2, r3;
	struct linkfault_stats s1, s2, s3;
	bool out_of_order = false;

	exchange(5, &conf, &r1, &s1);
	exchange(5, &conf, &r2, &s2);
	exchange(6, &conf, &r3, &s3);

	/* every datagram that met the dice is accounted for */
	ck_assert_uint_eq(s1.packets, DGRAMS);
	ck_assert_uint_eq(r1.n, DGRAMS - s1.dropped + s1.duplicated);
	ck_assert_uint_gt(s1.dropped, 0);
	ck_assert_uint_gt(s1.duplicated, 0);
	ck_assert_uint_gt(s1.reordered, 0);

	/* the same seed: the same datagrams arrive, in the same order */
	ck_assert_mem_eq(&s1, &s2, sizeof(s1));
	ck_assert_uint_eq(r1.n, r2.n);
	ck_assert_mem_eq(r1.order, r2.order, r1.n * sizeof(int));

	/* reordered ones arrived after a later one */
	for (size_t i = 1; i < r1.n; i++)
		out_of_order |= r1.order[i] < r1.order[i - 1];
	ck_assert(out_of_order);

	/* another seed, other fates */
	ck_assert(r3.n != r1.n ||
		  memcmp(r1.order, r3.order, r1.n * sizeof(int)));
}
END_TEST


START_TEST(test_sockets_delay_virtual)
{
	struct linkfault_conf conf = {0, 0, 0, 60000, LINKFAULT_BOTH};
	static struct rx r;
	struct linkfault_stats st;
	uint64_t t0 = tmr_jiffies();

	/* 60 s of delay pass in a clock jump, not in real time */
	exchange(1, &conf, &r, &st);
	ck_assert_uint_eq(r.n, DGRAMS);
	ck_assert_uint_eq(st.delayed, DGRAMS);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_int_eq(r.order[i], (int)i);
	ck_assert_uint_lt(tmr_jiffies() - t0, 5000);
}
END_TEST


/* libre once, in the parent: the tests' forks inherit it */
int main(void)
{
	const struct fixture_case casev[] = {
		FIXTURE_CASE("keys", NULL, NULL, 0, 0,
			test_good, test_default_seed),
		FIXTURE_CASE("keys", NULL, NULL, 0, (int)ARRAY_SIZE(badv),
			test_bad),
		FIXTURE_CASE("dice", NULL, NULL, 30, 0,
			test_decide_deterministic, test_decide_extremes,
			test_sockets_reproducible, test_sockets_delay_virtual),
	};
	int rc;

	if (libre_init())
		return EXIT_FAILURE;

	rc = fixture_run_suite("faults", casev, ARRAY_SIZE(casev));
	libre_close();

	return rc;
}
