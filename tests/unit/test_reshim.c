/**
 * @file test_reshim.c  The contract of common/reshim/: every libre 1.1.0
 * function the program overrides still takes effect when libre itself
 * calls it.
 *
 * Each row of `contract` names the symbols of one override and what only
 * the override does (a counter it keeps, or behaviour libre lacks), seen
 * after a real exchange through libre's SIP stack on 127.0.0.1: its
 * transports opened with sip_transp_add(), a request sent in by a plain
 * socket, answered with sip_treply(), a TCP connection made.  Static
 * linking, LTO, a renamed override or a libre that stops calling through
 * its PLT all leave a row at zero, and the test names it.
 */

#include <check.h>
#include "fixture.h"
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <re.h>
#include "reshim/decodememo.h"
#include "reshim/fastrand.h"
#include "reshim/sipdecode.h"
#include "reshim/sockhook.h"
#include "reshim/tmrheap.h"
#include "reshim/udp_batch.h"
#include "reshim/udphook.h"
#include "reshim/wiretap.h"

enum { QUEUED = 3 };

/* what the exchange saw, each counted by the override's own hook or
 * counter only */
static struct {
	unsigned udp_listen;          /* both sockhook udp hooks ran       */
	unsigned tcp_listen;
	unsigned tcp_accept;
	unsigned udp_send;            /* udphook saw libre's reply         */
	unsigned tapped_in;           /* the wire tap saw requests arrive  */
	unsigned tapped_out;          /* ... and the replies leave         */
	unsigned requests;            /* the stack's request handler       */
	unsigned long handovers;
	unsigned long served;         /* fastrand numbers                  */
	uint64_t inserts;             /* timers on the heap                */
	unsigned batched;             /* sockets udp_batch took            */
	unsigned cancel_got;          /* requests read before re_cancel won */
	unsigned long extra_reads;
	uint64_t uri_hits;            /* decodememo answered libre's calls */
	uint64_t param_calls;
} seen;

static struct udp_helper *helper;
static bool cancel_each;


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* the registrar's guard does this: decode to judge, hand it over */
static bool judge_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct sip_msg *msg = NULL;
	struct mbuf *copy = mbuf_alloc(mbuf_get_left(mb));

	(void)src;
	(void)arg;

	if (!copy)
		return false;
	(void)mbuf_write_mem(copy, mbuf_buf(mb), mbuf_get_left(mb));
	copy->pos = 0;

	/* a copy: the stack reads mb itself next */
	sipdecode_keep_begin();
	(void)sip_msg_decode(&msg, copy);
	mem_deref(msg);
	mem_deref(copy);
	(void)sipdecode_keep_end(mb);

	return false;
}


static void udp_before(void *arg)
{
	(void)arg;
	udp_batch_capture(true);
}


static void udp_after(int err, struct udp_sock *us, void *arg)
{
	(void)arg;
	udp_batch_capture(false);
	if (err || !us)
		return;

	seen.udp_listen++;
	(void)udp_batch_attach();
	(void)udp_register_helper(&helper, us, -1000, NULL, judge_recv, NULL);
}


static void tcp_after(int err, struct tcp_sock *ts, void *arg)
{
	(void)arg;
	if (!err && ts)
		seen.tcp_listen++;
}


static bool accept_h(int *err, struct tcp_conn **tcp, struct tcp_sock *ts,
		     void (*eh)(void *), void (*rh)(struct mbuf *, void *),
		     void (*ch)(int, void *), void *carg, void *arg)
{
	(void)err; (void)tcp; (void)ts; (void)eh; (void)rh; (void)ch;
	(void)carg; (void)arg;

	seen.tcp_accept++;
	re_cancel();

	return false;              /* libre accepts it as usual */
}


static const struct sockhook hooks = {
	.udp_listen_before = udp_before,
	.udp_listen_after  = udp_after,
	.tcp_listen_after  = tcp_after,
	.tcp_accept        = accept_h,
};


static bool send_h(int *err, struct udp_sock *us, const struct sa *dst,
		   struct mbuf *mb, void *arg)
{
	(void)err; (void)us; (void)dst; (void)mb; (void)arg;

	seen.udp_send++;

	return false;
}


static bool request_h(const struct sip_msg *msg, void *arg)
{
	struct sip *sip = arg;

	seen.requests++;
	(void)sip_treply(NULL, sip, msg, 200, "OK");
	if (cancel_each)
		re_cancel();

	return true;
}


static void options_send(int fd, const struct sa *to, unsigned i)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
		"OPTIONS sip:reshim@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKreshim%u\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:probe@127.0.0.1>;tag=r%u\r\n"
		"To: <sip:reshim@127.0.0.1>\r\n"
		"Call-ID: reshim-%u\r\nCSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", i, i, i);

	ck_assert_int_eq(sendto(fd, buf, (size_t)n, 0, &to->u.sa, to->len),
			 n);
}


/* one run of the stack, ended by a handler or after ms */
static void loop_for(uint32_t ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	tmr_cancel(&t);
}


static void tap_h(const struct wiretap_pkt *p, void *arg)
{
	(void)arg;

	if (p->out)
		seen.tapped_out++;
	else
		seen.tapped_in++;
}


static void exchange(void)
{
	struct sip *sip = NULL;
	struct sip_lsnr *lsnr = NULL;
	struct tcp_conn *tc = NULL;
	struct sa laddr, udp_addr, tcp_addr;
	unsigned long served0 = fastrand_served();
	unsigned long handovers0 = sipdecode_handovers();
	uint64_t inserts0 = tmrheap_inserts();
	int fd;

	memset(&seen, 0, sizeof(seen));
	decodememo_flush();
	ck_assert_int_eq(libre_init(), 0);
	sockhook_set(&hooks, NULL);
	udphook_set(send_h, NULL);
	wiretap_set(tap_h, NULL);

	ck_assert_int_eq(sip_alloc(&sip, NULL, 32, 32, 32, "reshim-test",
				   NULL, NULL), 0);
	ck_assert_int_eq(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	ck_assert_int_eq(sip_transp_add(sip, SIP_TRANSP_UDP, &laddr), 0);
	ck_assert_int_eq(sip_transp_add(sip, SIP_TRANSP_TCP, &laddr), 0);
	ck_assert_int_eq(sip_transp_laddr(sip, &udp_addr, SIP_TRANSP_UDP,
					  NULL), 0);
	ck_assert_int_eq(sip_transp_laddr(sip, &tcp_addr, SIP_TRANSP_TCP,
					  NULL), 0);
	ck_assert_int_eq(sip_listen(&lsnr, sip, true, request_h, sip), 0);
	seen.batched = udp_batch_sockets();

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);

	/* queued before the loop runs: the first handler stops it */
	for (unsigned i = 0; i < QUEUED; i++)
		options_send(fd, &udp_addr, i);
	cancel_each = true;
	loop_for(2000);
	seen.cancel_got = seen.requests;

	/* the rest in the same wake-up */
	cancel_each = false;
	loop_for(200);
	seen.extra_reads = udp_batch_extra_reads();

	/* a TCP connection: accept_h stops the loop */
	ck_assert_int_eq(tcp_connect(&tc, &tcp_addr, NULL, NULL, NULL, NULL),
			 0);
	loop_for(2000);

	seen.served = fastrand_served() - served0;
	seen.handovers = sipdecode_handovers() - handovers0;
	seen.inserts = tmrheap_inserts() - inserts0;
	{
		struct decodememo_stats st;

		decodememo_stats(&st);
		seen.uri_hits = st.uri_hits;
		seen.param_calls = st.param_hits + st.param_misses;
	}

	close(fd);
	mem_deref(tc);
	lsnr = mem_deref(lsnr);
	helper = mem_deref(helper);
	sip_close(sip, true);
	mem_deref(sip);
	sockhook_set(NULL, NULL);
	udphook_set(NULL, NULL);
	wiretap_set(NULL, NULL);
	libre_close();
}


static bool tmr_took(void)       { return seen.inserts > 0; }
static bool rand_took(void)      { return seen.served > 0; }
static bool decode_took(void)    { return seen.handovers >= QUEUED; }
static bool fd_listen_took(void)
{
	return seen.batched > 0 && seen.extra_reads > 0 &&
	       seen.requests == QUEUED;
}
static bool cancel_took(void)    { return seen.cancel_got == 1; }
static bool listen_took(void)
{
	return seen.udp_listen == 1 && seen.tcp_listen == 1;
}
static bool accept_took(void)    { return seen.tcp_accept == 1; }
static bool send_took(void)      { return seen.udp_send >= QUEUED; }
/* the requests' To is the same URI each time: after the first, libre's
 * sip_addr_decode() got it from the table */
static bool memo_took(void)
{
	return seen.uri_hits >= QUEUED - 1 && seen.param_calls > 0;
}
static bool tap_took(void)
{
	return seen.tapped_in >= QUEUED && seen.tapped_out >= QUEUED;
}

/* one row per override: its libre symbols and the evidence it ran */
static const struct {
	const char *symbols;
	const char *evidence;
	bool (*took)(void);
} contract[] = {
	{"tmr_* (tmrheap.c)", "sip_treply's timers on the heap",   tmr_took},
	{"rand_u16/32/64 (fastrand.c)",
	 "libre's decoder drew numbers from the buffer",           rand_took},
	{"sip_msg_decode (sipdecode.c)",
	 "the transport took the judged decode (hand-over)",       decode_took},
	{"fd_listen (udp_batch.c)",
	 "the transport's socket batched: queued requests read in one "
	 "wake-up",                                                fd_listen_took},
	{"re_cancel (udp_batch.c)",
	 "a handler's re_cancel ended the batch after one request", cancel_took},
	{"udp_listen, tcp_listen (sockhook.c)",
	 "sip_transp_add's sockets reached the hooks",             listen_took},
	{"tcp_accept (sockhook.c)",
	 "the transport's accept reached the hook",                accept_took},
	{"udp_send (udphook.c)", "sip_treply's datagrams reached the hook",
	 send_took},
	{"uri_decode, msg_param_decode (decodememo.c)",
	 "libre's decoder asked the table for URIs and parameters",  memo_took},
	{"udp_listen (wiretap.c, through sockhook.c)",
	 "the tap saw the requests arrive and the replies leave",  tap_took},
};


START_TEST(test_every_override_takes_effect)
{
	char failed[1024] = "";
	size_t n = 0;

	exchange();

	for (size_t i = 0; i < sizeof(contract) / sizeof(contract[0]); i++) {
		if (contract[i].took())
			continue;
		n += (size_t)snprintf(failed + n, sizeof(failed) - n,
				      "\n  %s: not seen (%s)",
				      contract[i].symbols,
				      contract[i].evidence);
		if (n >= sizeof(failed))
			break;
	}

	ck_assert_msg(!failed[0], "libre no longer reaches:%s", failed);
}
END_TEST


/* every libre symbol common/reshim/ defines (its README's table) */
static const char *const overridden[] = {
	"tmr_start", "tmr_cancel", "tmr_init", "tmr_poll", "tmr_next_timeout",
	"tmr_get_expire", "tmr_status", "tmr_debug",
	"rand_u16", "rand_u32", "rand_u64",
	"sip_msg_decode",
	"fd_listen", "re_cancel",
	"udp_listen", "tcp_listen", "tcp_accept", "tcp_connect",
	"udp_send",
	"uri_decode", "msg_param_decode",
};


/* each resolves, for libre.so's PLT as for dlsym, to this program, not
 * to libre.so: one renamed or dropped override is named here even where
 * libre's own still works (rand_u64 alone, say) */
START_TEST(test_every_symbol_is_ours)
{
	Dl_info self, lib;
	char failed[512] = "";
	size_t n = 0;

	ck_assert_int_ne(dladdr((void *)test_every_symbol_is_ours, &self), 0);

	for (size_t i = 0; i < sizeof(overridden) / sizeof(overridden[0]);
	     i++) {
		void *p = dlsym(RTLD_DEFAULT, overridden[i]);

		if (p && dladdr(p, &lib) && lib.dli_fbase == self.dli_fbase)
			continue;
		n += (size_t)snprintf(failed + n, sizeof(failed) - n, " %s%s",
				      overridden[i], p ? " (libre's)" : "");
		if (n >= sizeof(failed))
			break;
	}

	ck_assert_msg(!failed[0], "not overridden:%s", failed);
}
END_TEST


/* ---- decodememo.c gives what libre gives ------------------------------ */

typedef int (uri_decode_f)(struct uri *, const struct pl *);
typedef int (param_decode_f)(const struct pl *, const char *, struct pl *);

static const char *const uri_corpus[] = {
	"sip:alice@example.com", "sip:alice@example.com:5060",
	"sip:alice:secret@example.com;transport=tcp?subject=x",
	"sips:[::1]:5061;lr", "sip:[2001:db8::1]", "sip:[2001:db8::1]:70000",
	"sip:example.sip.us1.twilio.com", "sip:127.0.0.1:5060;transport=udp",
	"tel:+15551234567", "sip:u1@127.0.0.1:40000;transport=udp;ob",
	"sip:@host", "sip:user@", "sip:", ":", "nocolon", "sip:a@b:notaport",
	"sip:a@b:99999", "sip:a b@c", "sip:a@b?h=v;x", "SIP:ALICE@EXAMPLE.COM",
	"sip:alice@example.com;maddr=239.1.1.1?to=bob", "sip:user@host/path;p",
	"sip:\x01\x02@\x7f", "sip:a@b@c", "sip:a:b:c@d:5", "sip:;x", "sip:?",
	"sip:alice@an.extremely.long.host.name.that.goes.past.the.table.key."
	"limit.example.com:5060;transport=tcp",
};

static const char *const param_corpus[] = {
	";tag=abc", "; tag = abc ;x=1", ";branch=z9hG4bK1;rport",
	";rport;branch=z", ";expires=600", ";tagx=1;tag=2", "tag=1", ";tag=",
	";TAG=abc", ";a;b;c", ";q=0.5;expires=0", ";received=127.0.0.1;rport=9",
	";tag=1;tag=2", ";\ttag\t=\tv", ";expires=600;+sip.instance=\"<x>\"",
	";tag=a-very-long-tag-value-that-makes-the-parameter-list-longer-than-"
	"the-table-key",
};

static const char *const param_names[] = {
	"tag", "branch", "expires", "rport", "received", "q", "x",
};


/* the fields of a, relative to base a, equal those of b to base b */
static void same_pl(const struct pl *a, const char *ba, const struct pl *b,
		    const char *bb, const char *what, const char *in)
{
	ck_assert_msg(!a->p == !b->p && a->l == b->l &&
		      (!a->p || a->p - ba == b->p - bb),
		      "%s of \"%s\" differs from libre's", what, in);
}


static void same_uri(const struct uri *a, const char *ba,
		     const struct uri *b, const char *bb, const char *in)
{
	same_pl(&a->scheme, ba, &b->scheme, bb, "scheme", in);
	same_pl(&a->user, ba, &b->user, bb, "user", in);
	same_pl(&a->password, ba, &b->password, bb, "password", in);
	same_pl(&a->host, ba, &b->host, bb, "host", in);
	same_pl(&a->path, ba, &b->path, bb, "path", in);
	same_pl(&a->params, ba, &b->params, bb, "params", in);
	same_pl(&a->headers, ba, &b->headers, bb, "headers", in);
	ck_assert_msg(a->port == b->port && a->af == b->af,
		      "port or af of \"%s\" differs from libre's", in);
}


/* in into b1 and, at offset off among other bytes (fill), into b2: the
 * second decode of the same bytes is then at another address */
static void two_copies(const char *in, char b1[256], char b2[256], char fill,
		       size_t off, struct pl *p1, struct pl *p2)
{
	str_ncpy(b1, in, 256);
	memset(b2, fill, 256);
	memcpy(b2 + off, in, strlen(in));
	pl_set_str(p1, b1);
	p2->p = b2 + off;
	p2->l = p1->l;
}


/* each input through libre, then the table twice: the miss (libre's
 * answer passed on and kept) and the hit (laid over a copy of the bytes
 * elsewhere) equal libre's, field by field */
START_TEST(test_decodememo_same_as_libre)
{
	uri_decode_f *real_uri = (uri_decode_f *)dlsym(RTLD_NEXT,
						       "uri_decode");
	param_decode_f *real_param = (param_decode_f *)dlsym(RTLD_NEXT,
						     "msg_param_decode");
	char b1[256], b2[256];
	struct decodememo_stats st;

	ck_assert_ptr_nonnull(real_uri);
	ck_assert_ptr_nonnull(real_param);
	decodememo_flush();

	for (size_t i = 0; i < ARRAY_SIZE(uri_corpus); i++) {
		const char *in = uri_corpus[i];
		struct pl p1, p2;
		struct uri r, m1, m2;
		int er, e1, e2;

		two_copies(in, b1, b2, '@', 7, &p1, &p2);

		memset(&r, 0, sizeof(r));
		memset(&m1, 0, sizeof(m1));
		memset(&m2, 0, sizeof(m2));
		er = real_uri(&r, &p1);
		e1 = uri_decode(&m1, &p1);
		e2 = uri_decode(&m2, &p2);

		ck_assert_msg(er == e1 && er == e2, "\"%s\": libre %d, table "
			      "%d then %d", in, er, e1, e2);
		if (er)
			continue;
		same_uri(&m1, b1, &r, b1, in);
		same_uri(&m2, p2.p, &r, p1.p, in);
	}

	for (size_t i = 0; i < ARRAY_SIZE(param_corpus); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(param_names); j++) {
			const char *in = param_corpus[i];
			const char *name = param_names[j];
			struct pl p1, p2, r = PL("untouched"), v1 = r, v2 = r;
			int er, e1, e2;

			two_copies(in, b1, b2, ';', 3, &p1, &p2);

			er = real_param(&p1, name, &r);
			e1 = msg_param_decode(&p1, name, &v1);
			e2 = msg_param_decode(&p2, name, &v2);

			ck_assert_msg(er == e1 && er == e2, "%s in \"%s\": "
				      "libre %d, table %d then %d", name, in,
				      er, e1, e2);
			if (er) {
				/* untouched, as libre leaves it */
				ck_assert(!pl_strcmp(&v1, "untouched") &&
					  !pl_strcmp(&v2, "untouched"));
				continue;
			}
			same_pl(&v1, b1, &r, b1, name, in);
			same_pl(&v2, p2.p, &r, p1.p, name, in);
		}
	}

	/* both paths ran: hits for what fits, misses for the rest */
	decodememo_stats(&st);
	ck_assert_uint_gt(st.uri_hits, 10);
	ck_assert_uint_gt(st.param_hits, 50);
	decodememo_flush();
}
END_TEST


/* the start-up checks the programs make agree */
START_TEST(test_startup_checks)
{
	ck_assert_int_eq(libre_init(), 0);
	ck_assert_int_eq(tmrheap_check(), 0);
	ck_assert_int_eq(fastrand_check(), 0);
	libre_close();
}
END_TEST


static uint16_t tapped_local_port;

static void local_tap_h(const struct wiretap_pkt *p, void *arg)
{
	(void)arg;

	if (p->out)
		tapped_local_port = sa_port(p->local);
}


/* the tap keeps each socket's address (no getsockname per datagram): a
 * socket that takes a freed one's memory must still be named by its own
 * port.  Sockets made and freed one after another: the allocator hands
 * the same memory back (not under ASan's quarantine, where this still
 * holds but proves less) */
START_TEST(test_wiretap_local_address)
{
	struct sa laddr, dst;
	const void *prev = NULL;
	unsigned reused = 0;
	int fd;

	ck_assert_int_eq(libre_init(), 0);
	wiretap_set(local_tap_h, NULL);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sa_set_str(&dst, "127.0.0.1", 0), 0);
	ck_assert_int_eq(bind(fd, &dst.u.sa, dst.len), 0);
	dst.len = sizeof(dst.u);
	ck_assert_int_eq(getsockname(fd, &dst.u.sa, &dst.len), 0);
	ck_assert_int_eq(sa_set_str(&laddr, "127.0.0.1", 0), 0);

	for (int i = 0; i < 20; i++) {
		struct udp_sock *us = NULL;
		struct mbuf *mb = mbuf_alloc(8);
		struct sa own;

		ck_assert_ptr_nonnull(mb);
		(void)mbuf_write_str(mb, "ping");
		mb->pos = 0;
		ck_assert_int_eq(udp_listen(&us, &laddr, NULL, NULL), 0);
		ck_assert_int_eq(udp_local_get(us, &own), 0);
		if ((const void *)us == prev)
			reused++;
		prev = us;

		/* twice: the second send reads the kept address */
		for (int k = 0; k < 2; k++) {
			tapped_local_port = 0;
			mb->pos = 0;
			ck_assert_int_eq(udp_send(us, &dst, mb), 0);
			ck_assert_uint_eq(tapped_local_port, sa_port(&own));
		}

		mem_deref(mb);
		mem_deref(us);
	}

	fprintf(stderr, "wiretap: %u of 19 sockets took a freed one's "
		"memory\n", reused);

	close(fd);
	wiretap_set(NULL, NULL);
	libre_close();
}
END_TEST


FIXTURE_MAIN("reshim",
	FIXTURE_CASE("contract", NULL, NULL, 20, 0,
		test_every_override_takes_effect, test_every_symbol_is_ours,
		test_startup_checks, test_wiretap_local_address,
		test_decodememo_same_as_libre))
