/**
 * @file test_guard.c  What the registrar's guard (sim-registrar/guard.h)
 * does on the wire, seen as raw bytes on real sockets on 127.0.0.1:
 * CRLFs before a start line on a stream are ignored and answer nothing
 * (RFC 3261 7.5), a CRLFCRLF ping gets one CRLF pong however it is
 * segmented (RFC 5626 4.4.1), octets with no header after a message get
 * no reply, and an RFC 2543 request (a top Via without branch, which
 * libre 1.1.0 cannot decode) is answered by the rules with its Via as it
 * came, its retransmission with the same answer and its ACK taken as the
 * INVITE's (RFC 3261 17.2.3).
 */

#include <check.h>
#include "fixture.h"
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "regclient.h"

#define DOMAIN FIXTURE_DOMAIN

static struct regclient *rc;

/* a raw client: every byte it receives, in rx */
static struct {
	struct udp_sock *us;
	struct tcp_conn *tc;
	struct mbuf *pending;     /* to send once connected             */
	struct mbuf *rx;
	struct sa raddr, laddr;
	char lstr[64];
	struct tmr tmr;
} cl;


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* the loop for ms: what is in flight arrives */
static void run_ms(uint32_t ms)
{
	tmr_start(&cl.tmr, ms, stop_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&cl.tmr);
}


static void take(struct mbuf *mb)
{
	cl.rx->pos = cl.rx->end;
	(void)mbuf_write_mem(cl.rx, mbuf_buf(mb), mbuf_get_left(mb));
	cl.rx->pos = 0;
}


static void raw_udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)arg;
	take(mb);
}


static void raw_estab(void *arg)
{
	(void)arg;

	(void)tcp_conn_local_get(cl.tc, &cl.laddr);
	if (cl.pending) {
		(void)tcp_send(cl.tc, cl.pending);
		cl.pending = mem_deref(cl.pending);
	}
}


static void raw_tcp_recv(struct mbuf *mb, void *arg)
{
	(void)arg;
	take(mb);
}


static void raw_close(int err, void *arg)
{
	(void)err;
	(void)arg;
	cl.tc = mem_deref(cl.tc);
}


static void setup(void)
{
	vclock_reset();
	ck_assert_int_eq(regclient_alloc(&rc, NULL), 0);
	ck_assert_int_eq(sa_decode(&cl.raddr, regclient_raddr(rc),
				   strlen(regclient_raddr(rc))), 0);
	cl.rx = mbuf_alloc(4096);
	ck_assert_ptr_nonnull(cl.rx);
	tmr_init(&cl.tmr);
}


static void teardown(void)
{
	tmr_cancel(&cl.tmr);
	cl.us = mem_deref(cl.us);
	cl.tc = mem_deref(cl.tc);
	cl.pending = mem_deref(cl.pending);
	cl.rx = mem_deref(cl.rx);
	rc = mem_deref(rc);
}


static void tcp_open(void)
{
	ck_assert_int_eq(tcp_connect(&cl.tc, &cl.raddr, raw_estab,
				     raw_tcp_recv, raw_close, NULL), 0);
	run_ms(100);
	ck_assert_ptr_nonnull(cl.tc);
	re_snprintf(cl.lstr, sizeof(cl.lstr), "%J", &cl.laddr);
}


static void udp_open(void)
{
	struct sa l;

	ck_assert_int_eq(sa_set_str(&l, "127.0.0.1", 0), 0);
	ck_assert_int_eq(udp_listen(&cl.us, &l, raw_udp_recv, NULL), 0);
	ck_assert_int_eq(udp_local_get(cl.us, &cl.laddr), 0);
	re_snprintf(cl.lstr, sizeof(cl.lstr), "%J", &cl.laddr);
}


/* send text as it is, then let the loop run ms */
static void send_raw(const char *text, size_t len, uint32_t ms)
{
	struct mbuf *mb = mbuf_alloc(len);

	ck_assert_ptr_nonnull(mb);
	(void)mbuf_write_mem(mb, (const uint8_t *)text, len);
	mb->pos = 0;
	if (cl.us)
		ck_assert_int_eq(udp_send(cl.us, &cl.raddr, mb), 0);
	else
		ck_assert_int_eq(tcp_send(cl.tc, mb), 0);
	mem_deref(mb);
	run_ms(ms);
}


static void send_str(const char *text, uint32_t ms)
{
	send_raw(text, strlen(text), ms);
}


/* the responses received (their status lines) */
static unsigned responses(void)
{
	const uint8_t *p = cl.rx->buf, *end = cl.rx->buf + cl.rx->end;
	unsigned n = 0;

	for (; p && p + 8 <= end; p++) {
		if (!memcmp(p, "SIP/2.0 ", 8))
			n++;
	}

	return n;
}


/* a REGISTER of alice (no credentials: a 407), its top Via as given;
 * a mem string */
static char *register_text(const char *via, const char *callid,
			   unsigned cseq, const char *auth)
{
	char *s = NULL;

	ck_assert_int_eq(re_sdprintf(&s,
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: %s\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=g1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:alice@%s>\r\n"
		"%s"
		"Expires: 60\r\n"
		"Content-Length: 0\r\n\r\n", via, callid, cseq, cl.lstr,
		auth ? auth : ""), 0);

	return s;
}


START_TEST(test_tcp_crlf_between_requests)
{
	char via[128], *r1, *r2, *all;

	tcp_open();
	re_snprintf(via, sizeof(via), "SIP/2.0/TCP %s;branch=z9hG4bKcr1",
		    cl.lstr);
	r1 = register_text(via, "crlf-1", 1, NULL);
	re_snprintf(via, sizeof(via), "SIP/2.0/TCP %s;branch=z9hG4bKcr2",
		    cl.lstr);
	r2 = register_text(via, "crlf-2", 1, NULL);

	/* one segment: CRLF between them, and the 5 octets RFC 4475's
	 * dblreq leaves after its INVITE: ignored, two answers exactly */
	ck_assert_int_eq(re_sdprintf(&all, "%s\r\n%s\r\n\r\nC\r\n\r\n", r1,
				     r2), 0);
	send_str(all, 400);
	ck_assert_msg(responses() == 2, "%u responses: %.*s", responses(),
		      (int)cl.rx->end, (const char *)cl.rx->buf);
	ck_assert(memmem(cl.rx->buf, cl.rx->end, "crlf-1", 6) <
		  memmem(cl.rx->buf, cl.rx->end, "crlf-2", 6));

	/* CRLFs in segments of their own, between and before requests */
	mbuf_rewind(cl.rx);
	send_str("\r\n", 50);
	send_str(r1, 50);
	send_str("\r\n\r\n\r\n", 50);
	send_str(r2, 400);
	ck_assert_msg(responses() == 2, "%u responses", responses());

	mem_deref(all);
	mem_deref(r1);
	mem_deref(r2);
}
END_TEST


START_TEST(test_tcp_ping_pong)
{
	tcp_open();

	send_str("\r\n\r\n", 200);
	ck_assert_uint_eq(cl.rx->end, 2);
	ck_assert(!memcmp(cl.rx->buf, "\r\n", 2));

	/* the ping in two segments, then in three */
	mbuf_rewind(cl.rx);
	send_str("\r\n", 100);
	ck_assert_uint_eq(cl.rx->end, 0);
	send_str("\r\n", 200);
	ck_assert_uint_eq(cl.rx->end, 2);

	mbuf_rewind(cl.rx);
	send_str("\r", 50);
	send_str("\n\r", 50);
	send_str("\n", 200);
	ck_assert_uint_eq(cl.rx->end, 2);

	/* two pings, two pongs; a lone CRLF none */
	mbuf_rewind(cl.rx);
	send_str("\r\n\r\n\r\n\r\n", 200);
	ck_assert_uint_eq(cl.rx->end, 4);
	mbuf_rewind(cl.rx);
	send_str("\r\n", 200);
	ck_assert_uint_eq(cl.rx->end, 0);
	ck_assert_ptr_nonnull(cl.tc);
}
END_TEST


/* the top Via line of the first response received, as text */
static void top_via_of_reply(char *buf, size_t sz)
{
	const char *p = memmem(cl.rx->buf, cl.rx->end, "\r\nVia: ", 7);
	const char *e;

	ck_assert_msg(p, "no Via: %.*s", (int)cl.rx->end,
		      (const char *)cl.rx->buf);
	p += 7;
	e = memmem(p, cl.rx->end - (size_t)((const uint8_t *)p - cl.rx->buf),
		   "\r\n", 2);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - p), sz);
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
}


static uint16_t status(void)
{
	struct pl sc;

	ck_assert_msg(!re_regex((const char *)cl.rx->buf, cl.rx->end,
				"SIP/2.0 [0-9]+ ", &sc), "%.*s",
		      (int)cl.rx->end, (const char *)cl.rx->buf);

	return (uint16_t)pl_u32(&sc);
}


/* the digest answer to the 407 in rx, for REGISTER sip:DOMAIN */
static void answer(char *auth, size_t sz)
{
	struct httpauth_digest_chall ch;
	char ha1hex[33], ha2hex[33];
	uint8_t ha1[16], ha2[16], digest[16];
	struct pl val;

	ck_assert(!re_regex((const char *)cl.rx->buf, cl.rx->end,
			    "Proxy-Authenticate: [^\r\n]+", &val));
	ck_assert_int_eq(httpauth_digest_challenge_decode(&ch, &val), 0);
	(void)md5_printf(ha1, "alice:%r:%s", &ch.realm, FIXTURE_PASSWORD);
	re_snprintf(ha1hex, sizeof(ha1hex), "%w", ha1, sizeof(ha1));
	(void)md5_printf(ha2, "REGISTER:sip:" DOMAIN);
	re_snprintf(ha2hex, sizeof(ha2hex), "%w", ha2, sizeof(ha2));
	(void)md5_printf(digest, "%s:%r:00000001:0a4f113b:auth:%s", ha1hex,
			 &ch.nonce, ha2hex);
	re_snprintf(auth, sz,
		    "Proxy-Authorization: Digest username=\"alice\","
		    "realm=\"%r\",nonce=\"%r\",uri=\"sip:" DOMAIN "\","
		    "response=\"%w\",algorithm=MD5,cnonce=\"0a4f113b\","
		    "opaque=\"%r\",qop=auth,nc=00000001\r\n",
		    &ch.realm, &ch.nonce, digest, sizeof(digest), &ch.opaque);
}


static void branchless(bool tcp)
{
	char via[128], got[256], auth[1024], *r, *first;
	size_t firstlen;

	if (tcp)
		tcp_open();
	else
		udp_open();

	/* RFC 2543: no branch, and params libre must keep as they are */
	re_snprintf(via, sizeof(via), "SIP/2.0/%s %s;x-old=1",
		    tcp ? "TCP" : "UDP", cl.lstr);
	r = register_text(via, tcp ? "b2543-t" : "b2543-u", 1, NULL);

	send_str(r, 300);
	ck_assert_uint_eq(responses(), 1);
	ck_assert_uint_eq(status(), 407);
	top_via_of_reply(got, sizeof(got));
	ck_assert_str_eq(got, via);

	/* the retransmission: the very same answer (To tag, nonce); a
	 * reliable transport has none (RFC 3261 17.1.2.2), nothing kept */
	firstlen = cl.rx->end;
	first = mem_alloc(firstlen, NULL);
	ck_assert_ptr_nonnull(first);
	memcpy(first, cl.rx->buf, firstlen);
	mbuf_rewind(cl.rx);
	send_str(r, 300);
	ck_assert_uint_eq(responses(), 1);
	if (!tcp)
		ck_assert_uint_eq(cl.rx->end, firstlen);
	ck_assert_msg(tcp || !memcmp(cl.rx->buf, first, firstlen),
		      "another answer:\n%.*s\nfirst:\n%.*s",
		      (int)cl.rx->end, (const char *)cl.rx->buf,
		      (int)firstlen, first);

	/* answered, still without branch: registered */
	answer(auth, sizeof(auth));
	mem_deref(r);
	r = register_text(via, tcp ? "b2543-t" : "b2543-u", 2, auth);
	mbuf_rewind(cl.rx);
	send_str(r, 300);
	ck_assert_uint_eq(responses(), 1);
	ck_assert_uint_eq(status(), 200);
	top_via_of_reply(got, sizeof(got));
	ck_assert_str_eq(got, via);

	mem_deref(first);
	mem_deref(r);
}


START_TEST(test_udp_branchless_via)
{
	branchless(false);
}
END_TEST


START_TEST(test_tcp_branchless_via)
{
	branchless(true);
}
END_TEST


/* an RFC 2543 INVITE's ACK shares its key (sipcheck_branchless): it ends
 * the transaction, and the non-2xx is sent no more (RFC 3261 17.2.1) */
START_TEST(test_udp_branchless_invite_acked)
{
	static const char fmt[] =
		"%s sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=g2\r\n"
		"To: <sip:bob@example.com>%s\r\n"
		"Call-ID: b2543-inv\r\n"
		"CSeq: 7 %s\r\n"
		"Content-Length: 0\r\n\r\n";
	char *inv = NULL, *ack = NULL, tag[80];
	struct pl t;

	udp_open();
	ck_assert_int_eq(re_sdprintf(&inv, fmt, "INVITE", cl.lstr, "",
				     "INVITE"), 0);
	send_str(inv, 200);
	ck_assert_uint_eq(responses(), 1);
	ck_assert_uint_ge(status(), 300);
	ck_assert(!re_regex((const char *)cl.rx->buf, cl.rx->end,
			    "\r\nTo: [^\r\n]+", &t));
	ck_assert(!re_regex(t.p, t.l, ";tag=[^;]+", &t));
	re_snprintf(tag, sizeof(tag), ";tag=%r", &t);

	ck_assert_int_eq(re_sdprintf(&ack, fmt, "ACK", cl.lstr, tag, "ACK"),
			 0);
	send_str(ack, 1500);
	ck_assert_msg(responses() == 1, "%u responses: not ACKed",
		      responses());

	mem_deref(inv);
	mem_deref(ack);
}
END_TEST


FIXTURE_MAIN("guard",
	FIXTURE_CASE("wire", setup, teardown, 20, 0,
		test_tcp_crlf_between_requests, test_tcp_ping_pong,
		test_udp_branchless_via, test_tcp_branchless_via,
		test_udp_branchless_invite_acked))
