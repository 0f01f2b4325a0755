/**
 * @file test_reply_cache.c  The registrar's stateless replies still act
 * as RFC 3261 server transactions (reply_cache.h): a retransmission gets
 * the very same answer and is not decided again (nor counted by the
 * REG-LIM-RATE window), a merged request gets 482, and over TCP, where
 * no one retransmits, nothing is kept.  Real SIP on 127.0.0.1.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "regclient.h"
#include "config.h"
#include "protocheck/protocheck.h"

#define DOMAIN "example.sip.us1.twilio.com"

static struct regclient *rc;

/* %s: branch, %s: CSeq number; no credentials, so a challenge each */
static const char reg_text[] =
	"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
	"Via: SIP/2.0/%s $L;branch=z9hG4bK%s;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@" DOMAIN ">;tag=rc1\r\n"
	"To: <sip:alice@" DOMAIN ">\r\n"
	"Call-ID: reply-cache-1\r\n"
	"CSeq: %s REGISTER\r\n"
	"Contact: <sip:alice@$L>\r\n"
	"Expires: 60\r\n"
	"Content-Length: 0\r\n\r\n";


static void setup(void)
{
	vclock_reset();
	ck_assert_int_eq(regclient_alloc(&rc, NULL), 0);
}


static void teardown(void)
{
	rc = mem_deref(rc);
}


static unsigned log_lines(void)
{
	const char *p = regclient_log(rc);
	unsigned n = 0;

	for (; p && *p; p++)
		n += *p == '\n';

	return n;
}


static struct sip_msg *send_reg(bool tcp, const char *branch,
				const char *cseq)
{
	return regclient_send(rc, tcp, reg_text, tcp ? "TCP" : "UDP", branch,
			      cseq);
}


static void copy_pl(char *buf, size_t sz, const struct pl *pl)
{
	ck_assert(pl_isset(pl));
	ck_assert_int_eq(pl_strcpy(pl, buf, sz), 0);
}


/* a registrar anew, with the default configuration's text `find`
 * replaced by `put` */
static void restart(const char *find, const char *put)
{
	const char *p, *dflt = reg_config_default_yaml();
	char *cfg = malloc(strlen(dflt) + strlen(put) + 1);

	ck_assert_ptr_nonnull(cfg);
	p = strstr(dflt, find);
	ck_assert_ptr_nonnull(p);
	sprintf(cfg, "%.*s%s%s", (int)(p - dflt), dflt, put, p + strlen(find));
	rc = mem_deref(rc);
	ck_assert_int_eq(regclient_alloc(&rc, cfg), 0);
	free(cfg);
}


START_TEST(test_udp_retransmission_same_answer)
{
	char tag0[64], www0[512], tag[64], www[512];
	struct sip_msg *m;
	const struct sip_hdr *h;

	regclient_log_clear(rc);

	/* eight copies of one request, as a phone's Timer E sends them:
	 * more than REG-LIM-RATE's 5 a second, if they were counted */
	for (int i = 0; i < 8; i++) {
		m = send_reg(false, "rcretx1", "1");
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->scode, 407);
		h = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHENTICATE);
		ck_assert_ptr_nonnull(h);
		if (i == 0) {
			copy_pl(tag0, sizeof(tag0), &m->to.tag);
			copy_pl(www0, sizeof(www0), &h->val);
		}
		else {
			copy_pl(tag, sizeof(tag), &m->to.tag);
			copy_pl(www, sizeof(www), &h->val);
			ck_assert_str_eq(tag, tag0);
			ck_assert_str_eq(www, www0);
		}
		mem_deref(m);
	}

	/* decided once */
	ck_assert_uint_eq(log_lines(), 1);

	/* four new requests in the same second: 5 in the window, allowed */
	for (int i = 0; i < 4; i++) {
		char branch[32], cseq[16];

		re_snprintf(branch, sizeof(branch), "rcnew%d", i);
		re_snprintf(cseq, sizeof(cseq), "%d", i + 2);
		m = send_reg(false, branch, cseq);
		ck_assert_ptr_nonnull(m);
		ck_assert_msg(m->scode == 407, "request %d: %u (%s)", i,
			      m->scode, regclient_last_rule(rc));
		copy_pl(tag, sizeof(tag), &m->to.tag);
		ck_assert_str_ne(tag, tag0);
		mem_deref(m);
	}
	ck_assert_uint_eq(log_lines(), 5);

	/* the sixth new one is over the limit: the window did count */
	m = send_reg(false, "rcnew9", "9");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(regclient_last_rule(rc), "REG-LIM-RATE");
	mem_deref(m);
}
END_TEST


START_TEST(test_udp_merged_request_482)
{
	struct sip_msg *m;

	m = send_reg(false, "rcmerge1", "1");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 407);
	mem_deref(m);

	regclient_log_clear(rc);

	/* same From-tag, Call-ID and CSeq, another branch (RFC 3261 8.2.2.2) */
	m = send_reg(false, "rcmerge2", "1");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 482);
	mem_deref(m);
	ck_assert_uint_eq(log_lines(), 0);

	/* a new CSeq is a new request */
	m = send_reg(false, "rcmerge3", "2");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 407);
	mem_deref(m);
}
END_TEST


/* no From tag: keyed all the same (a fuzz find: an absent pl has a NULL
 * pointer, which the key's hashing must not hand to memcpy) */
START_TEST(test_udp_no_from_tag)
{
	static const char text[] =
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bKnotag;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" DOMAIN ">\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: reply-cache-notag\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@$L>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *m;
	uint16_t first;

	regclient_log_clear(rc);

	m = regclient_send(rc, false, text);
	ck_assert_ptr_nonnull(m);
	first = m->scode;
	ck_assert_uint_ge(first, 400);
	mem_deref(m);

	m = regclient_send(rc, false, text);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, first);
	mem_deref(m);

	ck_assert_uint_eq(log_lines(), 1);
}
END_TEST


START_TEST(test_tcp_keeps_nothing)
{
	char tag0[64], tag[64];
	struct sip_msg *m;

	regclient_log_clear(rc);

	/* over TCP the same text twice is two requests, each decided */
	m = send_reg(true, "rctcp1", "1");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 407);
	copy_pl(tag0, sizeof(tag0), &m->to.tag);
	mem_deref(m);

	m = send_reg(true, "rctcp1", "1");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 407);
	copy_pl(tag, sizeof(tag), &m->to.tag);
	mem_deref(m);

	ck_assert_str_ne(tag, tag0);
	ck_assert_uint_eq(log_lines(), 2);
}
END_TEST


/* limits.reply_cache_max: driven past its bound the cache keeps the
 * newest answers, drops the oldest (counted), and a retransmission of a
 * dropped one is decided anew; GET /health shows entries and bytes */
START_TEST(test_udp_bounded)
{
	char tag0[64], tag[64], branch[32], cseq[16], body[2048];
	const char *p;
	struct sip_msg *m;
	unsigned long bytes;

	/* the default configuration with a cache of 16 answers */
	restart("limits:\n", "limits:\n  reply_cache_max: 16\n");
	regclient_log_clear(rc);

	for (int i = 0; i < 40; i++) {
		vclock_advance(250);      /* 4 a second: under REG-LIM-RATE */
		re_snprintf(branch, sizeof(branch), "rcb%d", i);
		re_snprintf(cseq, sizeof(cseq), "%d", i + 1);
		m = send_reg(false, branch, cseq);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->scode, 407);
		if (i == 0)
			copy_pl(tag0, sizeof(tag0), &m->to.tag);
		mem_deref(m);
	}
	ck_assert_uint_eq(log_lines(), 40);

	ck_assert_int_eq(regclient_http(rc, "GET", "/health", body,
					sizeof(body)), 200);
	ck_assert_msg(strstr(body, "\"reply_cache\":{\"entries\":16,"
			     "\"max\":16,\"bytes\":"), "%s", body);
	ck_assert_msg(strstr(body, "\"evicted\":24}"), "%s", body);
	p = strstr(body, "\"reply_cache\":{\"entries\":16,\"max\":16,"
		   "\"bytes\":");
	bytes = strtoul(p + strlen("\"reply_cache\":{\"entries\":16,"
				   "\"max\":16,\"bytes\":"), NULL, 10);
	ck_assert_msg(bytes > 16 * 100 && bytes < 16 * 1024, "%lu", bytes);

	/* the newest is still there: the same answer, not decided again */
	m = send_reg(false, "rcb39", "40");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(log_lines(), 40);
	mem_deref(m);

	/* the first was dropped: its retransmission is a new request */
	m = send_reg(false, "rcb0", "1");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->scode, 407);
	copy_pl(tag, sizeof(tag), &m->to.tag);
	ck_assert_str_ne(tag, tag0);
	ck_assert_uint_eq(log_lines(), 41);
	mem_deref(m);
}
END_TEST


/* the answer's bytes as they came (the status line on) */
static void raw(const struct sip_msg *m, const uint8_t **p, size_t *n)
{
	*p = (const uint8_t *)m->ver.p;
	*n = (size_t)(m->mb->buf + m->mb->end - *p);
}


static void pc_feed_text(struct protocheck *pc, const uint8_t *buf,
			 size_t len, bool from_service, uint64_t ts)
{
	static const struct pc_party svc = {PC_ROLE_SERVICE, "service",
					    false};
	static const struct pc_party ph = {PC_ROLE_PEER, "client", false};
	struct pc_msg pm = {
		.buf = buf, .len = len, .ts = ts,
		.from = from_service ? svc : ph, .to = from_service ? ph : svc,
		.where = "test_reply_cache.c",
	};

	ck_assert_int_eq(protocheck_feed(pc, &pm), 0);
}


/* The ring (reply_cache.c): answers kept as differences from templates,
 * a small ring (16 answers, 8 KB) wrapped many times, two kinds of
 * answer (407 to REGISTER, 200 to OPTIONS): every retransmission gets
 * the very same bytes (the protocol checker's T-RTX-01 finds nothing),
 * the To-tag included, and GET /health shows the ring held */
START_TEST(test_udp_ring_byte_identical)
{
	static const char opt_text[] =
		"OPTIONS sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bK%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:bob@" DOMAIN ">;tag=ro%s\r\n"
		"To: <sip:" DOMAIN ">\r\n"
		"Call-ID: reply-cache-opt-%s\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	const char *p;
	char branch[32], cseq[16], body[2048], req[1024], fmt[1024];
	char addr[64];
	struct protocheck *pc = NULL;
	unsigned long evicted;
	uint64_t ts = 1;
	unsigned n407 = 0, n200 = 0;

	restart("limits:\n", "limits:\n  reply_cache_max: 16\n");
	ck_assert_int_eq(protocheck_alloc(&pc), 0);

	for (int i = 0; i < 240; i++) {
		struct sip_msg *m[2];
		const uint8_t *b[2];
		size_t n[2];
		bool opt = i % 2;

		vclock_advance(250);
		re_snprintf(branch, sizeof(branch), "ring%d", i);
		re_snprintf(cseq, sizeof(cseq), "%d", i + 1);
		for (int k = 0; k < 2; k++) {
			m[k] = opt ? regclient_send(rc, false, opt_text,
						    branch, branch, branch) :
				send_reg(false, branch, cseq);
			ck_assert_ptr_nonnull(m[k]);
			raw(m[k], &b[k], &n[k]);
		}

		/* the checker's copy of the request, from the address the
		 * answer's Via names (the client's) */
		pl_strcpy(&m[0]->via.sentby, addr, sizeof(addr));
		if (opt)
			re_snprintf(fmt, sizeof(fmt), opt_text, branch, branch,
				    branch);
		else
			re_snprintf(fmt, sizeof(fmt), reg_text, "UDP", branch,
				    cseq);
		p = strstr(fmt, "$L");
		ck_assert_ptr_nonnull(p);
		re_snprintf(req, sizeof(req), "%b%s%s", fmt, (size_t)(p - fmt),
			    addr, p + 2);
		p = strstr(req, "$L");
		if (p) {          /* the Contact's, any address will do */
			ck_assert_ptr_null(strstr(p + 2, "$L"));
			memcpy((char *)p, "ab", 2);
		}
		for (int k = 0; k < 2; k++) {
			pc_feed_text(pc, (const uint8_t *)req, strlen(req),
				     false, ts++);
			pc_feed_text(pc, b[k], n[k], true, ts++);
		}
		ck_assert_uint_eq(m[0]->scode, opt ? 200 : 407);
		n407 += m[0]->scode == 407;
		n200 += m[0]->scode == 200;
		ck_assert_msg(n[0] == n[1] && !memcmp(b[0], b[1], n[0]),
			      "answer %d resent with other bytes:\n%.*s\n---\n%.*s",
			      i, (int)n[0], b[0], (int)n[1], b[1]);
		mem_deref(m[0]);
		mem_deref(m[1]);
	}
	ck_assert_uint_eq(n407, 120);
	ck_assert_uint_eq(n200, 120);

	protocheck_finish(pc);
	ck_assert_ptr_null(protocheck_find(pc, "T-RTX-01"));
	ck_assert_uint_eq(protocheck_retransmissions(pc), 2 * 240);
	mem_deref(pc);

	/* held: the ring, 16 answers at most, the older ones evicted */
	ck_assert_int_eq(regclient_http(rc, "GET", "/health", body,
					sizeof(body)), 200);
	p = strstr(body, "\"evicted\":");
	ck_assert_ptr_nonnull(p);
	evicted = strtoul(p + strlen("\"evicted\":"), NULL, 10);
	ck_assert_msg(evicted >= 240 - 16 - 128, "%s", body);
	ck_assert_msg(strstr(body, "\"reply_cache\":{\"entries\":16,"
			     "\"max\":16,\"bytes\":"), "%s", body);
}
END_TEST


/* REG-LIM-RATE's ring past the part kept in the AOR's record
 * (location.c RATE_INLINE, 5): 8 a second allowed, the ninth not, and
 * again after the window; then back to 3, in the record again */
START_TEST(test_rate_ring_allocated)
{
	char branch[32], cseq[16];
	struct sip_msg *m;
	int seq = 1;

	static const unsigned limits[] = {8, 3};

	for (size_t li = 0; li < 2; li++) {
		unsigned limit = limits[li];
		char put[64];

		re_snprintf(put, sizeof(put), "  registers_per_second: %u\n",
			    limit);
		restart("  registers_per_second: 5\n", put);

		for (int round = 0; round < 2; round++) {
			vclock_advance(1001);
			for (unsigned i = 0; i <= limit; i++, seq++) {
				re_snprintf(branch, sizeof(branch), "rate%d",
					    seq);
				re_snprintf(cseq, sizeof(cseq), "%d", seq);
				m = send_reg(false, branch, cseq);
				ck_assert_ptr_nonnull(m);
				if (i < limit)
					ck_assert_msg(m->scode == 407,
						      "%u of %u: %u (%s)", i,
						      limit, m->scode,
						      regclient_last_rule(rc));
				else
					ck_assert_str_eq(
						regclient_last_rule(rc),
						"REG-LIM-RATE");
				mem_deref(m);
			}
		}
	}
}
END_TEST


/* an answer too long for a template (reply_cache.c TMPL_LEN_MAX, 4 KB:
 * a 420 naming 450 unsupported extensions) is kept whole, its reason
 * phrase with it: the retransmission still gets the same bytes */
START_TEST(test_udp_no_template)
{
	static const char text[] =
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bKbig;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=big1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: reply-cache-big\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Require: %s\r\n"
		"Contact: <sip:alice@$L>\r\n"
		"Content-Length: 0\r\n\r\n";
	char tags[450 * 16] = "";
	struct sip_msg *m[2];
	const uint8_t *b[2];
	size_t n[2];

	for (int i = 0; i < 450; i++)
		re_snprintf(tags + strlen(tags), sizeof(tags) - strlen(tags),
			    "%sext-%05d", i ? "," : "", i * 7919 % 100000);
	regclient_log_clear(rc);

	for (int k = 0; k < 2; k++) {
		m[k] = regclient_send(rc, false, text, tags);
		ck_assert_ptr_nonnull(m[k]);
		ck_assert_uint_eq(m[k]->scode, 420);
		ck_assert(!pl_strcmp(&m[k]->reason, "Bad Extension"));
		raw(m[k], &b[k], &n[k]);
	}
	ck_assert_uint_gt(n[0], 4096 + 200);
	ck_assert_msg(n[0] == n[1] && !memcmp(b[0], b[1], n[0]),
		      "resent with other bytes:\n%.*s\n---\n%.*s",
		      (int)n[0], b[0], (int)n[1], b[1]);
	ck_assert_uint_eq(log_lines(), 1);
	mem_deref(m[0]);
	mem_deref(m[1]);
}
END_TEST


/* a REGISTER over UDP; its answer's To-tag into tag */
static void reg_tag(const char *branch, const char *cseq, char *tag,
		    size_t sz)
{
	struct sip_msg *m = send_reg(false, branch, cseq);

	ck_assert_ptr_nonnull(m);
	copy_pl(tag, sz, &m->to.tag);
	mem_deref(m);
}


/* Timer J (32 s on the virtual clock): a retransmission within it gets
 * the answer again, after it is decided anew; so after a jump of the
 * clock past 2^31 ms, which the ring's 32-bit expiry times alone would
 * take for the future */
START_TEST(test_udp_timer_j)
{
	char tag0[64], tag[64];

	regclient_log_clear(rc);
	reg_tag("rcj1", "1", tag0, sizeof(tag0));

	vclock_advance(31000);
	reg_tag("rcj1", "1", tag, sizeof(tag));
	ck_assert_str_eq(tag, tag0);
	ck_assert_uint_eq(log_lines(), 1);

	vclock_advance(1001);
	reg_tag("rcj1", "1", tag0, sizeof(tag0));
	ck_assert_str_ne(tag, tag0);
	ck_assert_uint_eq(log_lines(), 2);

	vclock_advance(25ULL * 24 * 3600 * 1000);
	reg_tag("rcj1", "1", tag, sizeof(tag));
	ck_assert_str_ne(tag, tag0);
	ck_assert_uint_eq(log_lines(), 3);
}
END_TEST


FIXTURE_MAIN("reply cache",
	FIXTURE_CASE("transactions", setup, teardown, 20, 0,
		test_udp_retransmission_same_answer,
		test_udp_merged_request_482, test_udp_no_from_tag,
		test_tcp_keeps_nothing, test_udp_bounded,
		test_udp_ring_byte_identical, test_udp_no_template, test_udp_timer_j,
		test_rate_ring_allocated))
