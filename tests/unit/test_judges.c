/**
 * @file test_judges.c  The P-* rows of harness/phone/judges.h fed captured
 * messages (harness/phone/capture.h), the pack against the table, the
 * harness's probes on the wire, and a phone run's report header.
 */

#include <check.h>
#include "fixture.h"
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "calls.h"
#include "report.h"
#include "guide.h"
#include "phone/capture.h"
#include "phone/judges.h"
#include "phone/pack.h"
#include "phone/probes.h"
#include "phone/ua_advice.h"

#define USER   "alice"
#define DOMAIN "example.sip.us1.twilio.com"
#define PACK   "scenarios/phone"


/* ---- feeding the capture ------------------------------------------ */

static struct sa phone_sa, reg_sa;
static int feed_tp = SIP_TRANSP_UDP;   /* the transport messages came on */

static void feed(struct capture *c, bool tx, const char *text)
{
	capture_trace(c, tx, feed_tp, tx ? &reg_sa : &phone_sa,
		      tx ? &phone_sa : &reg_sa, (const uint8_t *)text,
		      strlen(text));
}


/*
 * A REGISTER from the phone with credentials (CSeq cseq, asking expires)
 * and the registrar's answer: status ("200 OK", "423 Interval Too
 * Brief"), with extra header lines; a 2xx grants at most 600 s.
 */
static void exchange(struct capture *c, const char *ruri, unsigned expires,
		     unsigned cseq, const char *status, const char *extra)
{
	char req[1024], resp[1024], contact[128] = "";
	bool ok = status[0] == '2';

	if (ok)
		(void)re_snprintf(contact, sizeof(contact),
				  "Contact: <sip:" USER "@127.0.0.1:5070>;"
				  "expires=%u\r\n",
				  expires > 600 ? 600 : expires);

	(void)re_snprintf(req, sizeof(req),
			  "REGISTER %s SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr%u;"
			  "rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "To: <sip:" USER "@" DOMAIN ">\r\n"
			  "From: <sip:" USER "@" DOMAIN ">;tag=f1\r\n"
			  "Call-ID: reg-1\r\n"
			  "CSeq: %u REGISTER\r\n"
			  "Contact: <sip:" USER "@127.0.0.1:5070>\r\n"
			  "Expires: %u\r\n"
			  "Authorization: Digest username=\"" USER "\", "
			  "realm=\"sip.twilio.com\", nonce=\"n1\", "
			  "uri=\"%s\", response=\"00\"\r\n"
			  "User-Agent: test-phone/1\r\n"
			  "Content-Length: 0\r\n\r\n", ruri, cseq, cseq,
			  expires, ruri);
	(void)re_snprintf(resp, sizeof(resp),
			  "SIP/2.0 %s\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr%u;"
			  "rport=5070;received=127.0.0.1\r\n"
			  "To: <sip:" USER "@" DOMAIN ">;tag=t1\r\n"
			  "From: <sip:" USER "@" DOMAIN ">;tag=f1\r\n"
			  "Call-ID: reg-1\r\n"
			  "CSeq: %u REGISTER\r\n"
			  "%s%s"
			  "Content-Length: 0\r\n\r\n", status, cseq, cseq,
			  contact, extra ? extra : "");
	feed(c, false, req);
	feed(c, true, resp);
}


static void registration(struct capture *c, const char *ruri,
			 unsigned expires)
{
	exchange(c, ruri, expires, 2, "200 OK", NULL);
}


static enum jlevel verdict(const char *rule, const struct jctx *x,
			   struct jverdict *v)
{
	const struct judge_row *row = judges_find(rule);

	ck_assert_msg(row != NULL, "no row for %s", rule);
	judges_run(row, x, v);
	ck_assert_str_eq(v->rule, row->id);

	return v->level;
}


static struct capture *captured(const char *ruri, unsigned expires,
				struct jctx *x)
{
	struct capture *c = NULL;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	registration(c, ruri, expires);
	ck_assert_uint_eq(capture_regc(c), 1);

	memset(x, 0, sizeof(*x));
	x->cap = c;
	x->i = x->next = x->ok = -1;

	return c;
}


static void setup(void)
{
	ck_assert_int_eq(libre_init(), 0);
	(void)sa_set_str(&phone_sa, "127.0.0.1", 5070);
	(void)sa_set_str(&reg_sa, "127.0.0.1", 5060);
	feed_tp = SIP_TRANSP_UDP;
}


static void teardown(void)
{
	libre_close();
}


START_TEST(expiry_3600_warns)
{
	struct jverdict v;
	struct jctx x;
	struct capture *c = captured("sip:" DOMAIN, 3600, &x);

	ck_assert_int_eq(verdict("P-REG-EXPIRY", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.observed, "3600"));
	/* the row's advice, since the function gives none of its own */
	ck_assert_ptr_nonnull(strstr(v.advice, "600 s or less"));
	mem_deref(c);
}
END_TEST


START_TEST(expiry_600_passes)
{
	struct jverdict v;
	struct jctx x;
	struct capture *c = captured("sip:" DOMAIN, 600, &x);

	ck_assert_int_eq(verdict("P-REG-EXPIRY", &x, &v), JV_PASS);
	ck_assert_str_eq(v.advice, "");
	mem_deref(c);
}
END_TEST


START_TEST(uri_with_user_fails)
{
	struct jverdict v;
	struct jctx x;
	struct capture *c = captured("sip:" USER "@" DOMAIN, 600, &x);

	ck_assert_int_eq(verdict("P-REG-URI", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.advice, DOMAIN));
	mem_deref(c);

	c = captured("sip:" DOMAIN, 600, &x);
	ck_assert_int_eq(verdict("P-REG-URI", &x, &v), JV_PASS);
	ck_assert_int_eq(verdict("P-REG-AUTHID", &x, &v), JV_PASS);
	ck_assert_int_eq(verdict("P-REG-NAT", &x, &v), JV_PASS);
	mem_deref(c);
}
END_TEST


/* the retry after 423 + Min-Expires, found through the row's jctx */
START_TEST(retry_after_423)
{
	static const unsigned retry[] = {120, 60};
	static const enum jlevel want[] = {JV_PASS, JV_FAIL};

	for (size_t k = 0; k < ARRAY_SIZE(retry); k++) {
		struct capture *c = NULL;
		struct jverdict v;
		struct jctx x;

		ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
		exchange(c, "sip:" DOMAIN, 60, 2, "423 Interval Too Brief",
			 "Min-Expires: 120\r\n");
		exchange(c, "sip:" DOMAIN, retry[k], 3, "200 OK", NULL);
		ck_assert_uint_eq(capture_regc(c), 2);

		jctx_init(&x, c);
		x.i = 0;
		ck_assert_int_eq(verdict("P-REG-423", &x, &v), want[k]);
		ck_assert_ptr_nonnull(strstr(v.observed,
					     "423 Min-Expires: 120"));

		/* CSeq +1, one Call-ID */
		ck_assert_int_eq(verdict("P-REG-CALLID", &x, &v), JV_PASS);

		x.i = -1;
		ck_assert_int_eq(verdict("P-REG-423", &x, &v), JV_SKIP);
		mem_deref(c);
	}
}
END_TEST


START_TEST(nothing_captured_skips)
{
	struct capture *c = NULL;
	struct jverdict v;
	struct jctx x;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	memset(&x, 0, sizeof(x));
	x.cap = c;
	x.i = x.next = x.ok = -1;

	for (size_t i = 0; judges_at(i); i++) {
		const struct judge_row *row = judges_at(i);

		judges_run(row, &x, &v);
		ck_assert_msg(row->need != JN_FIRST_REG || v.level == JV_SKIP,
			      "%s: %s on nothing",
			      row->id, jlevel_name(v.level));
	}
	mem_deref(c);
}
END_TEST


/* the registrar's INVITE to the phone, and its final response (status:
 * "200 OK", with SDP; another, with none when sdp is "") */
static void call_answer(struct capture *c, const char *status,
			const char *sdp)
{
	char resp[1500];
	static const char invite[] =
		"INVITE sip:" USER "@127.0.0.1:5070 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi1\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:" USER "@" DOMAIN ">\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a1\r\n"
		"Call-ID: call-1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:127.0.0.1:5060>\r\n"
		"Content-Length: 0\r\n\r\n";

	(void)re_snprintf(resp, sizeof(resp),
			  "SIP/2.0 %s\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi1\r\n"
			  "To: <sip:" USER "@" DOMAIN ">;tag=p1\r\n"
			  "From: <sip:+14155550100@" DOMAIN ">;tag=a1\r\n"
			  "Call-ID: call-1\r\n"
			  "CSeq: 1 INVITE\r\n"
			  "Contact: <sip:" USER "@127.0.0.1:5070>\r\n"
			  "Content-Type: application/sdp\r\n"
			  "Content-Length: %zu\r\n\r\n%s", status,
			  strlen(sdp), sdp);
	feed(c, true, invite);
	feed(c, false, resp);
}


/* the registrar's INVITE to the phone, and its 200 with SDP */
static void answered_call(struct capture *c, const char *sdp)
{
	call_answer(c, "200 OK", sdp);
}


/* P-TLS: SKIP without a TLS listener; FAIL over UDP; PASS over TLS when
 * no REGISTER came through the wrong-name certificate; WARN when one did */
START_TEST(tls_verdicts)
{
	struct jverdict v;
	struct jctx x;
	struct capture *c = captured("sip:" DOMAIN, 60, &x);

	ck_assert_int_eq(verdict("P-TLS", &x, &v), JV_SKIP);
	x.tls = true;
	str_ncpy(x.tls_wrong_cn, "wrong-name.invalid", sizeof(x.tls_wrong_cn));
	ck_assert_int_eq(verdict("P-TLS", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "UDP"));
	mem_deref(c);

	feed_tp = SIP_TRANSP_TLS;
	c = captured("sip:" DOMAIN, 60, &x);
	x.tls = true;
	x.window_ms = 60000;
	str_ncpy(x.tls_wrong_cn, "wrong-name.invalid", sizeof(x.tls_wrong_cn));
	ck_assert_int_eq(verdict("P-TLS", &x, &v), JV_PASS);

	/* a REGISTER through the wrong-name certificate */
	exchange(c, "sip:" DOMAIN, 60, 3, "200 OK", NULL);
	x.next = 1;
	ck_assert_int_eq(verdict("P-TLS", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "wrong-name.invalid"));
	ck_assert_ptr_nonnull(strstr(v.advice, "certificate"));
	mem_deref(c);
}
END_TEST


/* P-REG-NAT: a datagram from another port than the Contact's is WARN; a
 * TLS connection's own port is not */
START_TEST(nat_port_udp_only)
{
	struct jverdict v;
	struct jctx x;
	struct capture *c;

	(void)sa_set_str(&phone_sa, "127.0.0.1", 40000);
	c = captured("sip:" DOMAIN, 60, &x);
	ck_assert_int_eq(verdict("P-REG-NAT", &x, &v), JV_WARN);
	mem_deref(c);

	feed_tp = SIP_TRANSP_TLS;
	c = captured("sip:" DOMAIN, 60, &x);
	ck_assert_int_eq(verdict("P-REG-NAT", &x, &v), JV_PASS);
	mem_deref(c);
}
END_TEST


/* a known UA's FAIL/WARN names its own setting, or that it has none */
START_TEST(ua_advice_by_user_agent)
{
	struct jverdict v;

	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-REG-REFRESH", JV_WARN, "late");
	jverdict_advice(&v, "refresh at half the expiry");
	ua_advice_apply("Linphonec/5.1.65", &v);
	ck_assert_ptr_nonnull(strstr(v.advice, "no setting"));
	ck_assert_ptr_nonnull(strstr(v.advice, "90%"));

	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-REG-EXPIRY", JV_WARN, "too long");
	jverdict_advice(&v, "set it to 600 s or less");
	ua_advice_apply("baresip v1.0.0 (x86_64/linux)", &v);
	ck_assert_ptr_nonnull(strstr(v.advice, "regint=600"));

	/* media encryption: each UA's real setting */
	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-SRTP", JV_FAIL, "no SRTP");
	ua_advice_apply("baresip v1.0.0 (x86_64/linux)", &v);
	ck_assert_ptr_nonnull(strstr(v.advice, "mediaenc=srtp-mand"));
	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-SRTP", JV_FAIL, "no SRTP");
	ua_advice_apply("Linphonec/5.1.65", &v);
	ck_assert_ptr_nonnull(strstr(v.advice, "media_encryption=srtp"));

	/* an unknown phone keeps the generic advice; a PASS gets none */
	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-REG-EXPIRY", JV_WARN, "too long");
	jverdict_advice(&v, "set it to 600 s or less");
	ua_advice_apply("test-phone/1", &v);
	ck_assert_str_eq(v.advice, "set it to 600 s or less");
	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-REG-EXPIRY", JV_PASS, "ok");
	ua_advice_apply("baresip v1.0.0", &v);
	ck_assert_str_eq(v.advice, "");

	/* every row names a rule of the table */
	for (size_t i = 0; ua_advice_at(i); i++)
		ck_assert_msg(judges_find(ua_advice_at(i)->rule) != NULL,
			      "%s: no row %s", ua_advice_at(i)->ua,
			      ua_advice_at(i)->rule);
}
END_TEST


/* SKIPs for want of a person are listed; others are not */
START_TEST(person_skips)
{
	struct jverdict v;

	memset(&v, 0, sizeof(v));
	jverdict_set(&v, "P-CALL-E164", JV_SKIP, "nobody dialled");
	ck_assert(judges_for_person(judges_find("P-CALL-E164"), &v));
	jverdict_set(&v, "P-CALL-E164", JV_SKIP, "the phone never "
		     "registered");
	ck_assert(!judges_for_person(judges_find("P-CALL-E164"), &v));
	jverdict_set(&v, "P-CALL-CANCEL", JV_SKIP, "the phone answered "
		     "first: no CANCEL reached it ringing");
	ck_assert(judges_for_person(judges_find("P-CALL-CANCEL"), &v));
	jverdict_set(&v, "P-REG-URI", JV_SKIP, "nothing");
	ck_assert(!judges_for_person(judges_find("P-REG-URI"), &v));
	jverdict_set(&v, "P-CALL-E164", JV_PASS, "E.164");
	ck_assert(!judges_for_person(judges_find("P-CALL-E164"), &v));
}
END_TEST


/* a phone in a call that refuses the forked call (486) before the CANCEL:
 * not judged (SKIP), not a FAIL for the 481 its CANCEL then gets */
/* baresip answers a refused REFER with BYE at once: read in the same
 * batch, the BYE has the REFER's millisecond, and still drops the call */
START_TEST(refer_then_bye_same_ms_fails)
{
	struct jcall call;
	struct jverdict v;
	struct jctx x;

	memset(&x, 0, sizeof(x));
	memset(&call, 0, sizeof(call));
	call.phone_refers = 1;
	call.refer_scode = 405;
	call.phone_refer_t = 5000;
	call.phone_bye_t = 5000;
	x.call = &call;
	ck_assert_int_eq(verdict("P-REFER-KEEP", &x, &v), JV_FAIL);

	call.phone_bye_t = 0;
	ck_assert_int_eq(verdict("P-REFER-KEEP", &x, &v), JV_PASS);
}
END_TEST


START_TEST(refused_before_cancel_skips)
{
	static const char invite[] =
		"INVITE sip:" USER "@127.0.0.1:5070 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:" USER "@" DOMAIN ">\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:127.0.0.1:5060>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char busy[] =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"To: <sip:" USER "@" DOMAIN ">;tag=p2\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char cancel[] =
		"CANCEL sip:" USER "@127.0.0.1:5070 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:" USER "@" DOMAIN ">\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 CANCEL\r\n"
		"Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char nomatch[] =
		"SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"To: <sip:" USER "@" DOMAIN ">;tag=p2\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char ringing[] =
		"SIP/2.0 180 Ringing\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"To: <sip:" USER "@" DOMAIN ">;tag=p2\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char cancel_ok[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"To: <sip:" USER "@" DOMAIN ">;tag=p2\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char terminated[] =
		"SIP/2.0 487 Request Terminated\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKi2\r\n"
		"To: <sip:" USER "@" DOMAIN ">;tag=p2\r\n"
		"From: <sip:+14155550100@" DOMAIN ">;tag=a2\r\n"
		"Call-ID: call-2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct jverdict v;
	struct jctx x;
	struct capture *c = captured("sip:" DOMAIN, 60, &x);

	feed(c, true, invite);
	feed(c, false, busy);
	feed(c, true, cancel);
	feed(c, false, nomatch);
	ck_assert_uint_eq(capture_callc(c), 1);
	x.call = capture_call(c, 0);
	x.auto_answer = true;
	x.other_answered = true;

	ck_assert_int_eq(verdict("P-CALL-CANCEL", &x, &v), JV_SKIP);
	ck_assert_ptr_nonnull(strstr(v.why, "486"));
	ck_assert_int_eq(verdict("P-CALL-FORKED", &x, &v), JV_SKIP);
	mem_deref(c);

	/* 487 in the CANCEL's own millisecond is its answer, not a refusal */
	c = captured("sip:" DOMAIN, 60, &x);
	feed(c, true, invite);
	feed(c, false, ringing);
	feed(c, true, cancel);
	feed(c, false, cancel_ok);
	feed(c, false, terminated);
	x.call = capture_call(c, 0);
	x.auto_answer = true;
	x.other_answered = true;
	ck_assert_int_eq(verdict("P-CALL-CANCEL", &x, &v), JV_PASS);
	mem_deref(c);
}
END_TEST


/* static payload types need no a=rtpmap (RFC 3551): still named */
START_TEST(static_payload_types_named)
{
	struct capture *c = NULL;
	const struct jcall *call;
	struct jverdict v;
	struct jctx x;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	answered_call(c, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		      "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		      "m=audio 7078 RTP/AVP 0 8 101\r\n"
		      "a=rtpmap:101 telephone-event/8000\r\n");
	call = capture_call(c, 0);
	ck_assert_ptr_nonnull(call);
	ck_assert_str_eq(call->codecs,
			 "PCMU/8000 PCMA/8000 telephone-event/8000");

	memset(&x, 0, sizeof(x));
	x.cap = c;
	x.call = call;
	x.auto_answer = true;
	ck_assert_int_eq(verdict("P-CALL-ANSWER", &x, &v), JV_PASS);
	ck_assert_ptr_nonnull(strstr(v.observed, "PCMU/8000 PCMA/8000"));
	mem_deref(c);

	/* rtpmap lines name what they map, in the m= line's order */
	c = NULL;
	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	answered_call(c, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		      "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		      "m=audio 7078 RTP/AVP 96 9 0\r\n"
		      "a=rtpmap:0 PCMU/8000\r\n"
		      "a=rtpmap:96 opus/48000/2\r\n");
	ck_assert_str_eq(capture_call(c, 0)->codecs,
			 "opus/48000/2 G722/8000 PCMU/8000");
	mem_deref(c);
}
END_TEST



/* ---- the media rows (judges_media.c) on built figures ---------------- */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

/* a request of the phone's with an SDP body (or an INFO) in call-id */
static void phone_sdp(struct capture *c, const char *method,
		      const char *callid, unsigned cseq, const char *ctype,
		      const char *body)
{
	char req[1500];

	(void)re_snprintf(req, sizeof(req),
			  "%s sip:+14155550100@127.0.0.1:5060 SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKm%u"
			  "\r\n"
			  "Max-Forwards: 70\r\n"
			  "To: <sip:+14155550100@" DOMAIN ">;tag=a1\r\n"
			  "From: <sip:" USER "@" DOMAIN ">;tag=p1\r\n"
			  "Call-ID: %s\r\n"
			  "CSeq: %u %s\r\n"
			  "Contact: <sip:" USER "@127.0.0.1:5070>\r\n"
			  "Content-Type: %s\r\n"
			  "Content-Length: %zu\r\n\r\n%s", method, cseq,
			  callid, cseq, method, ctype, strlen(body), body);
	feed(c, false, req);
}


/* a leg the service measured: the phone's RTP from 40 ms, 200 packets,
 * and 200 sent to it */
static void good_leg(struct call_leg_media *l)
{
	memset(l, 0, sizeof(*l));
	l->set = true;
	l->rx.packets = 200;
	l->rx.audio = 200;
	l->rx.first_ms = 40;
	(void)sa_set_str(&l->rx.src, "127.0.0.1", 7078);
	l->tx.packets = 200;
	l->tx.first_ms = 0;
}


START_TEST(media_codec_verdicts)
{
	struct capture *c = NULL;
	struct jverdict v;
	struct jctx x;

	/* no SDP from the phone: nothing to judge */
	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	jctx_init(&x, c);
	ck_assert_int_eq(verdict("P-MEDIA-CODEC", &x, &v), JV_SKIP);

	/* G.711 and telephone-event: PASS */
	answered_call(c, SDP_HEAD "m=audio 7078 RTP/AVP 0 101\r\n"
		      "a=rtpmap:101 telephone-event/8000\r\n");
	ck_assert_int_eq(verdict("P-MEDIA-CODEC", &x, &v), JV_PASS);
	ck_assert_ptr_nonnull(strstr(v.observed, "answer: PCMU/8000"));

	/* its own offer without telephone-event: WARN */
	phone_sdp(c, "INVITE", "out-1", 1, "application/sdp",
		  SDP_HEAD "m=audio 7078 RTP/AVP 8\r\n");
	ck_assert_uint_eq(capture_mreqc(c), 1);
	ck_assert_str_eq(capture_mreq(c, 0)->dir, "sendrecv");
	ck_assert_int_eq(verdict("P-MEDIA-CODEC", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "telephone-event"));
	ck_assert_ptr_nonnull(strstr(v.advice, "G.711"));

	/* an offer of opus alone: FAIL */
	phone_sdp(c, "INVITE", "out-2", 1, "application/sdp",
		  SDP_HEAD "m=audio 7078 RTP/AVP 96\r\n"
		  "a=rtpmap:96 opus/48000/2\r\n");
	ck_assert_int_eq(verdict("P-MEDIA-CODEC", &x, &v), JV_FAIL);
	mem_deref(c);
}
END_TEST


START_TEST(media_rtp_and_sym_verdicts)
{
	struct call_leg_media in, out;
	struct jverdict v;
	struct jctx x;

	jctx_init(&x, NULL);
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_SKIP);
	ck_assert_int_eq(verdict("P-MEDIA-SYM", &x, &v), JV_SKIP);

	good_leg(&in);
	good_leg(&out);
	x.in.leg = &in;
	x.out.leg = &out;
	x.in.tone_hz = 1400;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_PASS);
	ck_assert_ptr_nonnull(strstr(v.observed, "tone 1400 Hz"));
	ck_assert_int_eq(verdict("P-MEDIA-SYM", &x, &v), JV_PASS);

	/* the phone's first RTP 1.5 s after the answer */
	out.rx.first_ms = 1500;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "test application"));
	out.rx.first_ms = 40;

	/* no RTP from the phone at all */
	in.rx.packets = in.rx.audio = 0;
	in.rx.first_ms = -1;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "no RTP from the phone"));
	good_leg(&in);

	/* only payload types nobody negotiated */
	in.rx.audio = 0;
	in.rx.pt_unexpected = 200;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_FAIL);
	good_leg(&in);

	/* its receiver reports: most of the service's tone lost */
	in.rx.rtcp_rr = 2;
	in.rx.peer_lost = 150;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "RTCP"));
	in.rx.peer_lost = 3;
	ck_assert_int_eq(verdict("P-MEDIA-RTP", &x, &v), JV_PASS);

	/* RTP from another port than the SDP's */
	out.rx.src_mismatch = true;
	ck_assert_int_eq(verdict("P-MEDIA-SYM", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.advice, "symmetric RTP"));
}
END_TEST


START_TEST(media_dtmf_verdicts)
{
	struct capture *c = NULL;
	struct call_leg_media out;
	struct jverdict v;
	struct jctx x;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	jctx_init(&x, c);
	str_ncpy(x.digits, "123", sizeof(x.digits));
	ck_assert_int_eq(verdict("P-MEDIA-DTMF", &x, &v), JV_SKIP);
	ck_assert(judges_for_person(judges_find("P-MEDIA-DTMF"), &v));

	good_leg(&out);
	x.out.leg = &out;
	str_ncpy(x.out.callid, "out-1", sizeof(x.out.callid));
	str_ncpy(out.rx.digits_4733, "1223", sizeof(out.rx.digits_4733));
	ck_assert_int_eq(verdict("P-MEDIA-DTMF", &x, &v), JV_PASS);

	out.rx.digits_4733[0] = '\0';
	str_ncpy(out.rx.digits_inband, "123", sizeof(out.rx.digits_inband));
	ck_assert_int_eq(verdict("P-MEDIA-DTMF", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "in-band"));

	/* a digit missing: none of the kinds counts */
	str_ncpy(out.rx.digits_inband, "13", sizeof(out.rx.digits_inband));
	ck_assert_int_eq(verdict("P-MEDIA-DTMF", &x, &v), JV_FAIL);

	phone_sdp(c, "INFO", "out-1", 3, "application/dtmf-relay",
		  "Signal=1\r\nDuration=160\r\n");
	ck_assert_int_eq(verdict("P-MEDIA-DTMF", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "SIP INFO"));
	ck_assert_ptr_nonnull(strstr(v.advice, "4733"));
	mem_deref(c);
}
END_TEST


START_TEST(media_hold_verdicts)
{
	struct capture *c = NULL;
	struct call_leg_media in;
	struct jverdict v;
	struct jctx x;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	answered_call(c, SDP_HEAD "m=audio 7078 RTP/AVP 0\r\n");
	jctx_init(&x, c);
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_SKIP);

	good_leg(&in);
	x.in.leg = &in;
	str_ncpy(x.in.callid, "call-1", sizeof(x.in.callid));
	x.asked = true;
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "no re-INVITE"));

	/* hold (c=0.0.0.0: inactive) and resume in the service's call */
	phone_sdp(c, "INVITE", "call-1", 10, "application/sdp",
		  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
		  "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		  "m=audio 7078 RTP/AVP 0\r\n");
	ck_assert(capture_mreq(c, 0)->in_call);
	ck_assert_str_eq(capture_mreq(c, 0)->dir, "inactive");
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "resume"));

	phone_sdp(c, "INVITE", "call-1", 11, "application/sdp",
		  SDP_HEAD "m=audio 7078 RTP/AVP 0\r\na=sendrecv\r\n");
	x.resumed_rx = 100;
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_PASS);

	/* RTP went on through an inactive hold */
	x.held_rx = 100;
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_WARN);
	ck_assert_ptr_nonnull(strstr(v.why, "inactive"));
	x.held_rx = 0;

	/* no RTP after resume */
	x.resumed_rx = 0;
	ck_assert_int_eq(verdict("P-MEDIA-HOLD", &x, &v), JV_WARN);
	mem_deref(c);
}
END_TEST

/* P-SRTP: SKIP without --secure-media; PASS on SDES SRTP both ways with
 * the service's leg decrypting; FAIL on an RTP/AVP answer or offer, a
 * refused call, a leg with no SRTP or failing authentication */
#define SDES_LINE "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " \
	"inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"

START_TEST(srtp_verdicts)
{
	static const struct {
		const char *status, *sdp, *why;
	} answers[] = {
		{"200 OK", SDP_HEAD "m=audio 7078 RTP/AVP 0\r\n", "its answer "
		 "to the service's SRTP offer has RTP/AVP"},
		{"488 Not Acceptable Here", "", "refused the service's SRTP "
		 "offer (488)"},
	};
	struct capture *c = NULL;
	struct call_leg_media in, out;
	struct jverdict v;
	struct jctx x;

	ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
	call_answer(c, "200 OK", SDP_HEAD "m=audio 7078 RTP/SAVP 0\r\n"
		    SDES_LINE);
	ck_assert_str_eq(capture_call(c, 0)->proto, "RTP/SAVP");
	ck_assert_str_eq(capture_call(c, 0)->crypto,
			 "AES_CM_128_HMAC_SHA1_80");
	jctx_init(&x, c);
	x.call = capture_call(c, 0);
	good_leg(&in);
	in.srtp = true;
	x.in.leg = &in;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_SKIP);

	x.secure_media = true;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_PASS);
	ck_assert_ptr_nonnull(strstr(v.observed, "its answer: RTP/SAVP"));

	/* its own offer, SRTP too, and the service's leg of it */
	phone_sdp(c, "INVITE", "out-1", 1, "application/sdp",
		  SDP_HEAD "m=audio 7078 RTP/SAVP 0 8\r\n"
		  "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:x\r\n"
		  SDES_LINE);
	ck_assert_str_eq(capture_mreq(c, 0)->crypto, "AES_CM_128_HMAC_SHA1_32 "
			 "AES_CM_128_HMAC_SHA1_80");
	good_leg(&out);
	out.srtp = true;
	x.out.leg = &out;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_PASS);
	ck_assert_ptr_nonnull(strstr(v.why, "2 SDP bodies"));

	/* packets that failed authentication: FAIL with the counts */
	out.rx.srtp_fail = 7;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "200 SRTP packets from the phone "
				     "decrypted, 7 failed"));
	out.rx.srtp_fail = 0;

	/* nothing decrypted */
	in.rx.packets = 0;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "the service's call: 0 SRTP"));
	in.rx.packets = 200;

	/* a leg that ran plain RTP */
	in.srtp = false;
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "ran no SRTP"));
	in.srtp = true;

	/* an offer of RTP/AVP: FAIL, saying what it offered */
	phone_sdp(c, "INVITE", "out-2", 1, "application/sdp",
		  SDP_HEAD "m=audio 7078 RTP/AVP 0\r\n");
	ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_FAIL);
	ck_assert_ptr_nonnull(strstr(v.why, "it offered RTP/AVP, no "
				     "a=crypto"));
	mem_deref(c);

	/* an answer of RTP/AVP to the service's SRTP offer; the offer
	 * refused */
	x.in.leg = x.out.leg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		ck_assert_int_eq(capture_alloc(&c, USER, DOMAIN), 0);
		call_answer(c, answers[i].status, answers[i].sdp);
		x.cap = c;
		x.call = capture_call(c, 0);
		ck_assert_int_eq(verdict("P-SRTP", &x, &v), JV_FAIL);
		ck_assert_msg(strstr(v.why, answers[i].why), "%s", v.why);
		mem_deref(c);
	}
}
END_TEST

/* ---- the pack and the table --------------------------------------- */

START_TEST(pack_and_table_agree)
{
	const char *paths[] = {PACK};
	char **filev = NULL;
	size_t filec = 0;
	unsigned *seen = calloc(judges_count(), sizeof(*seen));

	ck_assert_ptr_nonnull(seen);
	ck_assert_int_eq(phone_pack_collect(paths, 1, &filev, &filec), 0);
	ck_assert_uint_gt(filec, 0);

	for (size_t i = 0; i < filec; i++) {
		struct pstep *st = NULL;
		struct ydoc *doc = NULL;
		const struct judge_row *row;

		ck_assert_msg(!pstep_load(&st, &doc, filev[i]),
			      "%s does not load", filev[i]);
		row = judges_find(st->rule);
		ck_assert_msg(row != NULL, "%s: rule %s has no row", filev[i],
			      st->rule);
		for (size_t k = 0; k < judges_count(); k++) {
			if (judges_at(k) == row)
				seen[k]++;
		}
		mem_deref(st);
		mem_deref(doc);
	}

	for (size_t k = 0; k < judges_count(); k++) {
		const struct judge_row *row = judges_at(k);

		ck_assert_msg(seen[k] == 1, "%s: %u file(s) in " PACK
			      " (one expected)", row->id, seen[k]);
		ck_assert_ptr_nonnull(row->judge);
		ck_assert_msg(!row->advice || row->setting,
			      "%s: advice without a guide setting", row->id);
	}

	free(seen);
	mem_deref(filev);
}
END_TEST


/* ---- the probes on the wire ---------------------------------------- */

static struct {
	unsigned maxfwd;
	unsigned got;
} wire;

static void wire_h(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct sip_msg *msg = NULL;
	(void)src;
	(void)arg;

	if (sip_msg_decode(&msg, mb))
		return;
	wire.maxfwd = sip_msg_hdr_count(msg, SIP_HDR_MAX_FORWARDS);
	wire.got++;
	mem_deref(msg);
	re_cancel();
}


static void wire_timeout(void *arg)
{
	(void)arg;
	re_cancel();
}


START_TEST(probe_has_one_max_forwards)
{
	static const char *const metv[] = {"FOOBAR", "PUBLISH", "OPTIONS"};
	struct sip *sip = NULL;
	struct udp_sock *us = NULL;
	struct sa laddr, paddr;
	struct tmr t;
	char uri[64];

	tmr_init(&t);
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	ck_assert_int_eq(udp_listen(&us, &laddr, wire_h, NULL), 0);
	ck_assert_int_eq(udp_local_get(us, &paddr), 0);
	ck_assert_int_eq(sip_alloc(&sip, NULL, 8, 8, 8, "test", NULL, NULL),
			 0);
	ck_assert_int_eq(sip_transp_add(sip, SIP_TRANSP_UDP, &laddr), 0);
	(void)re_snprintf(uri, sizeof(uri), "sip:" USER "@%J", &paddr);

	for (size_t i = 0; i < ARRAY_SIZE(metv); i++) {
		struct sip_request *req = NULL;

		memset(&wire, 0, sizeof(wire));
		ck_assert_int_eq(probe_send(&req, sip, uri, NULL, metv[i], USER,
					    DOMAIN, "probe-1", "", NULL,
					    NULL), 0);
		tmr_start(&t, 2000, wire_timeout, NULL);
		(void)re_main(NULL);
		tmr_cancel(&t);
		ck_assert_msg(wire.got, "%s never arrived", metv[i]);
		ck_assert_msg(wire.maxfwd == 1, "%s: %u Max-Forwards",
			      metv[i], wire.maxfwd);
		mem_deref(req);
	}

	sip_close(sip, true);
	mem_deref(sip);
	mem_deref(us);
}
END_TEST


/* ---- a phone run's report header ----------------------------------- */

static int mb_print(const char *p, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)p, size);
}


/* the writer's text, NUL-terminated (mem_deref it) */
static char *render(int (*wr)(struct re_printf *, const struct report_run *),
		    const struct report_run *run)
{
	struct mbuf *mb = mbuf_alloc(4096);
	struct re_printf pf = {mb_print, mb};
	char *s = NULL;

	ck_assert_ptr_nonnull(mb);
	ck_assert_int_eq(wr(&pf, run), 0);
	mb->pos = 0;
	ck_assert_int_eq(mbuf_strdup(mb, &s, mbuf_get_left(mb)), 0);
	mem_deref(mb);

	return s;
}


START_TEST(phone_header_counts_the_pack)
{
	static const char *const levels[] = {"PASS", "WARN", "WARN", "FAIL",
					     "SKIP", "INFO"};
	struct report_guide_rule rules[ARRAY_SIZE(levels)];
	struct report_guide_totals t;
	struct report_guide g;
	struct report_run run;
	char *md, *html, *json;

	memset(rules, 0, sizeof(rules));
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		rules[i].rule = judges_at(i)->id;
		rules[i].level = levels[i];
		rules[i].what = judges_at(i)->what;
		rules[i].observed = "";
		rules[i].why = "";
		rules[i].advice = "";
		rules[i].entry = SIZE_MAX;
	}
	memset(&g, 0, sizeof(g));
	g.aor = USER "@" DOMAIN;
	g.phone = "test-phone/1";
	g.summary = "one line";
	g.rulev = rules;
	g.rulec = ARRAY_SIZE(rules);

	report_guide_totals(&t, &g);
	ck_assert_uint_eq(t.rules, 6);
	ck_assert_uint_eq(t.pass, 1);
	ck_assert_uint_eq(t.warn, 2);
	ck_assert_uint_eq(t.fail, 1);
	ck_assert_uint_eq(t.skip, 1);
	ck_assert_uint_eq(t.info, 1);

	memset(&run, 0, sizeof(run));
	run.version = "0";
	run.profile = "phone under test";
	run.target = g.phone;
	run.guide = &g;

	md = render(report_markdown, &run);
	ck_assert_msg(strstr(md, "**Result:** 1 PASS, 2 WARN, 1 INFO, 1 FAIL, "
			     "1 SKIP (6 rules of the phone pack, 0 SIP messages)") != NULL,
		      "%s", md);
	ck_assert_msg(!strstr(md, "not covered"), "%s", md);
	ck_assert_msg(!strstr(md, "passed"), "%s", md);

	html = render(report_html, &run);
	ck_assert_ptr_nonnull(strstr(html, "id=\"phone-totals\""));
	ck_assert_ptr_nonnull(strstr(html, "<span class=\"v WARN\">2</span>"));
	ck_assert_ptr_null(strstr(html, "not covered</span>"));

	json = render(report_json, &run);
	ck_assert_msg(strstr(json, "\"totals\":{\"rules\":6,\"pass\":1,"
			     "\"warn\":2,\"info\":1,\"fail\":1,\"skip\":1}")
		      != NULL, "%s", json);

	mem_deref(md);
	mem_deref(html);
	mem_deref(json);
}
END_TEST



FIXTURE_MAIN("judges",
	FIXTURE_CASE("rows", setup, teardown, 0, 0,
		expiry_3600_warns, expiry_600_passes, uri_with_user_fails,
		retry_after_423, nothing_captured_skips, static_payload_types_named,
		pack_and_table_agree, probe_has_one_max_forwards,
		phone_header_counts_the_pack, tls_verdicts,
		refer_then_bye_same_ms_fails, nat_port_udp_only,
		ua_advice_by_user_agent, person_skips, refused_before_cancel_skips,
		media_codec_verdicts, media_rtp_and_sym_verdicts,
		media_dtmf_verdicts, media_hold_verdicts, srtp_verdicts))
