/**
 * @file test_udp_batch.c  The registrar reads a queue of datagrams in one
 * wake-up (udp_batch.h), and answers every one of them.  Real UDP on
 * 127.0.0.1 against an in-process registrar.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <re.h>
#include "vclock.h"
#include "reshim/udp_batch.h"
#include "regclient.h"

#define DOMAIN "example.sip.us1.twilio.com"

enum { QUEUED = 12 };


START_TEST(test_queue_read_in_batches)
{
	struct regclient *rc;
	struct sockaddr_in to, me;
	socklen_t mel = sizeof(me);
	char host[64], buf[2048];
	unsigned long before;
	struct sip_msg *m;
	unsigned port, answers = 0;
	int fd;

	vclock_reset();
	ck_assert_int_eq(regclient_alloc(&rc, NULL), 0);
	ck_assert_int_eq(sscanf(regclient_raddr(rc), "%63[^:]:%u", host,
				&port), 2);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &mel), 0);

	/* queued while the registrar's loop is not running */
	for (int i = 0; i < QUEUED; i++) {
		int n = snprintf(buf, sizeof(buf),
			"OPTIONS sip:" DOMAIN " SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbatch%d\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:probe@" DOMAIN ">;tag=b%d\r\n"
			"To: <sip:" DOMAIN ">\r\n"
			"Call-ID: batch-%d\r\nCSeq: 1 OPTIONS\r\n"
			"Content-Length: 0\r\n\r\n",
			ntohs(me.sin_port), i, i, i);
		ck_assert_int_eq(sendto(fd, buf, (size_t)n, 0,
					(struct sockaddr *)&to, sizeof(to)), n);
	}

	before = udp_batch_extra_reads();

	/* the loop runs until this one's answer: the queue is read first */
	m = regclient_send(rc, false,
			   "OPTIONS sip:" DOMAIN " SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP $L;branch=z9hG4bKbatchlast\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:probe@" DOMAIN ">;tag=last\r\n"
			   "To: <sip:" DOMAIN ">\r\n"
			   "Call-ID: batch-last\r\nCSeq: 1 OPTIONS\r\n"
			   "Content-Length: 0\r\n\r\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 200);
	mem_deref(m);

	/* several datagrams per wake-up */
	ck_assert_msg(udp_batch_extra_reads() - before >= QUEUED / 2,
		      "extra reads %lu", udp_batch_extra_reads() - before);

	/* and every queued request answered */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n <= 0)
			break;
		buf[n] = '\0';
		if (!strncmp(buf, "SIP/2.0 200", 11))
			answers++;
	}
	ck_assert_uint_eq(answers, QUEUED);

	close(fd);
	mem_deref(rc);
}
END_TEST


static unsigned got;
static bool cancel_each;

static void count_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;

	got++;
	if (cancel_each)
		re_cancel();
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* a handler that stops the loop (re_cancel) ends the batch there: the
 * program sees that datagram's effect before the next one is read */
START_TEST(test_cancel_ends_batch)
{
	struct udp_sock *us = NULL;
	struct sa laddr;
	struct tmr t;
	int fd;

	ck_assert_int_eq(libre_init(), 0);
	tmr_init(&t);
	sa_set_str(&laddr, "127.0.0.1", 0);

	udp_batch_capture(true);
	ck_assert_int_eq(udp_listen(&us, &laddr, count_recv, NULL), 0);
	udp_batch_capture(false);
	ck_assert_int_eq(udp_batch_attach(), 0);
	ck_assert_int_eq(udp_local_get(us, &laddr), 0);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(sendto(fd, "x", 1, 0, &laddr.u.sa, laddr.len),
				 1);

	/* the first datagram stops the loop: one read, not five */
	got = 0;
	cancel_each = true;
	tmr_start(&t, 2000, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	ck_assert_uint_eq(got, 1);

	/* without a stop, the rest in one batch */
	cancel_each = false;
	tmr_start(&t, 100, stop_h, NULL);
	ck_assert_int_eq(re_main(NULL), 0);
	ck_assert_uint_eq(got, 5);

	tmr_cancel(&t);
	close(fd);
	mem_deref(us);
	libre_close();
}
END_TEST


FIXTURE_MAIN("udp batch",
	FIXTURE_CASE("reads", NULL, NULL, 20, 0,
		test_queue_read_in_batches, test_cancel_ends_batch))
