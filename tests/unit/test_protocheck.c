/**
 * @file test_protocheck.c  The protocol checker: each row fires on a
 * message built to break it, and stays quiet on a correct exchange.
 */

#include <check.h>
#include "fixture.h"
#include "check_run.h"
#include <stdarg.h>
#include <string.h>
#include <re.h>
#include "protocheck/protocheck.h"


static struct protocheck *pc;
static uint64_t now;

static const struct pc_party phone = {PC_ROLE_SIMPHONE, "desk-1", false};
static const struct pc_party svc   = {PC_ROLE_SERVICE, "service", false};


static void setup(void)
{
	ck_assert_int_eq(libre_init(), 0);
	ck_assert_int_eq(protocheck_alloc(&pc), 0);
	now = 1000;
}


static void teardown(void)
{
	pc = mem_deref(pc);
	libre_close();
}


static void feed_raw(const struct pc_party *from, const struct pc_party *to,
		     bool stream, const char *s)
{
	struct pc_msg m = {
		.buf = (const uint8_t *)s, .len = strlen(s), .stream = stream,
		.ts = now, .from = *from, .to = *to, .where = "t.yaml:7",
	};

	ck_assert_int_eq(protocheck_feed(pc, &m), 0);
	now += 10;
}


/* a request: Via branch, CSeq, To-tag ("" none), extra header lines
 * (each ending CRLF), body */
static void req(const struct pc_party *from, const struct pc_party *to,
		const char *met, const char *branch, uint32_t cseq,
		const char *cmet, const char *totag, const char *extra,
		const char *body)
{
	char *s = NULL;

	ck_assert_int_eq(re_sdprintf(&s,
		"%s sip:bob@127.0.0.1:5070 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5080;branch=%s;rport\r\n"
		"%s"
		"From: <sip:alice@example.sip.us1.test>;tag=ft1\r\n"
		"To: <sip:bob@example.sip.us1.test>%s%s\r\n"
		"Call-ID: cid-1\r\n"
		"CSeq: %u %s\r\n"
		"Contact: <sip:alice@127.0.0.1:5080>\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		met, branch, extra ? extra : "Max-Forwards: 70\r\n",
		*totag ? ";tag=" : "", totag, cseq, cmet,
		body ? strlen(body) : 0, body ? body : ""), 0);

	feed_raw(from, to, false, s);
	mem_deref(s);
}


static void resp(const struct pc_party *from, const struct pc_party *to,
		 uint16_t scode, const char *branch, uint32_t cseq,
		 const char *cmet, const char *totag, bool contact)
{
	char *s = NULL;

	ck_assert_int_eq(re_sdprintf(&s,
		"SIP/2.0 %u Reason\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5080;branch=%s;rport=5080\r\n"
		"From: <sip:alice@example.sip.us1.test>;tag=ft1\r\n"
		"To: <sip:bob@example.sip.us1.test>%s%s\r\n"
		"Call-ID: cid-1\r\n"
		"CSeq: %u %s\r\n"
		"%s"
		"Content-Length: 0\r\n\r\n",
		scode, branch, *totag ? ";tag=" : "", totag, cseq, cmet,
		contact ? "Contact: <sip:bob@127.0.0.1:5070>\r\n" : ""), 0);

	feed_raw(from, to, false, s);
	mem_deref(s);
}


static const char *b1 = "z9hG4bK-inv-1";


START_TEST(test_rows_table)
{
	size_t n, i;
	const struct pc_row *rows = protocheck_rows(&n);

	ck_assert_uint_ge(n, 12);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(protocheck_row(rows[i].id), &rows[i]);
		ck_assert(strlen(rows[i].ref) > 0);
		ck_assert(strlen(rows[i].text) > 0);
	}
	ck_assert_ptr_null(protocheck_row("T-NOPE"));
}
END_TEST


/* a call refused and ACKed, a call answered and ACKed, BYE: quiet */
START_TEST(test_clean_exchange)
{
	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 100, b1, 1, "INVITE", "", false);
	resp(&phone, &svc, 180, b1, 1, "INVITE", "tt1", true);
	resp(&phone, &svc, 486, b1, 1, "INVITE", "tt1", false);
	req(&svc, &phone, "ACK", b1, 1, "ACK", "tt1", NULL, NULL);

	req(&svc, &phone, "INVITE", "z9hG4bK-inv-2", 2, "INVITE", "", NULL,
	    NULL);
	resp(&phone, &svc, 180, "z9hG4bK-inv-2", 2, "INVITE", "tt2", true);
	resp(&phone, &svc, 200, "z9hG4bK-inv-2", 2, "INVITE", "tt2", true);
	resp(&phone, &svc, 200, "z9hG4bK-inv-2", 2, "INVITE", "tt2", true);
	req(&svc, &phone, "ACK", "z9hG4bK-ack-2", 2, "ACK", "tt2", NULL,
	    NULL);
	req(&svc, &phone, "BYE", "z9hG4bK-bye-2", 3, "BYE", "tt2", NULL,
	    NULL);
	resp(&phone, &svc, 200, "z9hG4bK-bye-2", 3, "BYE", "tt2", false);

	protocheck_finish(pc);
	ck_assert_uint_eq(protocheck_count(pc), 0);
	ck_assert_uint_eq(protocheck_messages(pc), 12);
}
END_TEST


START_TEST(test_ack_non2xx_missing)
{
	const struct pc_finding *f;

	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 487, b1, 1, "INVITE", "tt1", false);
	protocheck_finish(pc);

	f = protocheck_find(pc, "T-ACK-01");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->role, PC_ROLE_SERVICE);
	ck_assert_str_eq(f->element, "service");
	ck_assert_str_eq(f->where, "t.yaml:7");
	ck_assert_ptr_nonnull(strstr(f->actual, "487"));
	ck_assert_uint_eq(protocheck_count_role(pc, PC_ROLE_SERVICE), 1);
}
END_TEST


START_TEST(test_ack_other_branch)
{
	const struct pc_finding *f;

	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 486, b1, 1, "INVITE", "tt1", false);
	req(&svc, &phone, "ACK", "z9hG4bK-wrong", 1, "ACK", "tt1", NULL,
	    NULL);
	protocheck_finish(pc);

	f = protocheck_find(pc, "T-ACK-01");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(strstr(f->actual, "another branch"));
}
END_TEST


START_TEST(test_ack_2xx_missing)
{
	const struct pc_finding *f;

	req(&phone, &svc, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&svc, &phone, 200, b1, 1, "INVITE", "tt1", true);
	protocheck_finish(pc);

	f = protocheck_find(pc, "T-ACK-02");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->role, PC_ROLE_SIMPHONE);
	ck_assert_uint_eq(protocheck_count(pc), 1);
}
END_TEST


START_TEST(test_cancel_before_provisional)
{
	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	req(&svc, &phone, "CANCEL", b1, 1, "CANCEL", "", NULL, NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-CANCEL-01"));
	ck_assert_int_eq(protocheck_find(pc, "T-CANCEL-01")->role,
			 PC_ROLE_SERVICE);
}
END_TEST


START_TEST(test_cancel_unanswered)
{
	const struct pc_finding *f;

	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 180, b1, 1, "INVITE", "tt1", true);
	req(&svc, &phone, "CANCEL", b1, 1, "CANCEL", "", NULL, NULL);
	protocheck_finish(pc);

	ck_assert_ptr_null(protocheck_find(pc, "T-CANCEL-01"));
	f = protocheck_find(pc, "T-CANCEL-02");
	ck_assert_ptr_nonnull(f);
	/* the phone should have answered both */
	ck_assert_int_eq(f->role, PC_ROLE_SIMPHONE);
	ck_assert_uint_eq(protocheck_count(pc), 2);
}
END_TEST


START_TEST(test_cancel_answered)
{
	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 180, b1, 1, "INVITE", "tt1", true);
	req(&svc, &phone, "CANCEL", b1, 1, "CANCEL", "", NULL, NULL);
	resp(&phone, &svc, 200, b1, 1, "CANCEL", "tt1", false);
	resp(&phone, &svc, 487, b1, 1, "INVITE", "tt1", false);
	req(&svc, &phone, "ACK", b1, 1, "ACK", "tt1", NULL, NULL);
	protocheck_finish(pc);
	ck_assert_uint_eq(protocheck_count(pc), 0);
}
END_TEST


START_TEST(test_max_forwards)
{
	req(&phone, &svc, "OPTIONS", "z9hG4bK-o1", 1, "OPTIONS", "",
	    "Max-Forwards: 70\r\nMax-Forwards: 70\r\n", NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-MF-01"));
	ck_assert_ptr_nonnull(strstr(protocheck_find(pc, "T-MF-01")->actual,
				     "2 Max-Forwards"));

	req(&phone, &svc, "OPTIONS", "z9hG4bK-o2", 2, "OPTIONS", "", "",
	    NULL);
	req(&phone, &svc, "OPTIONS", "z9hG4bK-o3", 3, "OPTIONS", "",
	    "Max-Forwards: 300\r\n", NULL);
	ck_assert_uint_eq(protocheck_count(pc), 3);
}
END_TEST


START_TEST(test_via_cookie)
{
	req(&phone, &svc, "OPTIONS", "1234abcd", 1, "OPTIONS", "", NULL,
	    NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-VIA-01"));
}
END_TEST


/* a refresh on the previous REGISTER's branch is a new request, not a
 * retransmission: the sender is at fault, and the answers to it are
 * judged as answers to it (not a changed To-tag of the old one's) */
START_TEST(test_via_branch_reused)
{
	req(&phone, &svc, "REGISTER", "z9hG4bK-same", 1, "REGISTER", "", NULL,
	    NULL);
	resp(&svc, &phone, 200, "z9hG4bK-same", 1, "REGISTER", "t1", false);
	ck_assert_uint_eq(protocheck_count(pc), 0);

	req(&phone, &svc, "REGISTER", "z9hG4bK-same", 2, "REGISTER", "", NULL,
	    NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-VIA-02"));
	ck_assert_int_eq(protocheck_find(pc, "T-VIA-02")->role,
			 PC_ROLE_SIMPHONE);
	ck_assert_ptr_null(protocheck_find(pc, "T-RTX-01"));

	resp(&svc, &phone, 200, "z9hG4bK-same", 2, "REGISTER", "t2", false);
	ck_assert_uint_eq(protocheck_count(pc), 1);
	ck_assert_uint_eq(protocheck_count_role(pc, PC_ROLE_SERVICE), 0);
}
END_TEST


START_TEST(test_via_no_branch)
{
	feed_raw(&phone, &svc, false,
		 "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5080\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\n"
		 "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-VIA-01"));
	ck_assert_ptr_null(protocheck_find(pc, "T-PARSE-01"));
}
END_TEST


START_TEST(test_parse)
{
	feed_raw(&phone, &svc, false, "HELLO WORLD\r\n\r\n");
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-PARSE-01"));
	/* keep-alive CRLFs are not messages */
	feed_raw(&phone, &svc, true, "\r\n\r\n");
	ck_assert_uint_eq(protocheck_count(pc), 1);
	ck_assert_uint_eq(protocheck_messages(pc), 1);
}
END_TEST


static void last_actual_h(const struct pc_finding *f, void *arg)
{
	(void)re_snprintf(arg, 128, "%s", f->actual);
}


START_TEST(test_to_tag)
{
	char actual[128] = "";

	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 180, b1, 1, "INVITE", "", true);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-TAG-01"));
	resp(&phone, &svc, 183, b1, 1, "INVITE", "tt1", true);
	resp(&phone, &svc, 486, b1, 1, "INVITE", "tt2", false);
	ck_assert_uint_eq(protocheck_count(pc), 2);
	/* the finding names both tags (the first is kept for it) */
	protocheck_apply(pc, last_actual_h, actual);
	ck_assert_str_eq(actual, "486 with To-tag \"tt2\" after \"tt1\"");
	/* 100 without a tag is fine */
	req(&svc, &phone, "INVITE", "z9hG4bK-x", 2, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 100, "z9hG4bK-x", 2, "INVITE", "", false);
	ck_assert_uint_eq(protocheck_count(pc), 2);
}
END_TEST


START_TEST(test_contact_in_2xx)
{
	req(&svc, &phone, "INVITE", b1, 1, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 200, b1, 1, "INVITE", "tt1", false);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-CONTACT-01"));
	ck_assert_int_eq(protocheck_find(pc, "T-CONTACT-01")->role,
			 PC_ROLE_SIMPHONE);
}
END_TEST


START_TEST(test_cseq_in_dialog)
{
	req(&svc, &phone, "INVITE", b1, 5, "INVITE", "", NULL, NULL);
	resp(&phone, &svc, 200, b1, 5, "INVITE", "tt1", true);
	req(&svc, &phone, "ACK", "z9hG4bK-a", 5, "ACK", "tt1", NULL, NULL);
	req(&svc, &phone, "INFO", "z9hG4bK-i", 6, "INFO", "tt1", NULL, NULL);
	ck_assert_uint_eq(protocheck_count(pc), 0);
	req(&svc, &phone, "BYE", "z9hG4bK-b", 6, "BYE", "tt1", NULL, NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-CSEQ-01"));
}
END_TEST


START_TEST(test_content_length)
{
	feed_raw(&phone, &svc, false,
		 "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-m\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\n"
		 "Call-ID: x\r\nCSeq: 1 MESSAGE\r\n"
		 "Content-Length: 2\r\n\r\nhello");
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-CLEN-01"));

	feed_raw(&phone, &svc, true,
		 "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-n\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\n"
		 "Call-ID: y\r\nCSeq: 1 MESSAGE\r\n\r\n");
	ck_assert_uint_eq(protocheck_count(pc), 2);
}
END_TEST


START_TEST(test_retransmission_identical)
{
	req(&phone, &svc, "REGISTER", "z9hG4bK-r", 1, "REGISTER", "", NULL,
	    NULL);
	req(&phone, &svc, "REGISTER", "z9hG4bK-r", 1, "REGISTER", "", NULL,
	    NULL);
	ck_assert_uint_eq(protocheck_count(pc), 0);
	req(&phone, &svc, "REGISTER", "z9hG4bK-r", 1, "REGISTER", "",
	    "Max-Forwards: 69\r\n", NULL);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-RTX-01"));

	resp(&svc, &phone, 407, "z9hG4bK-r", 1, "REGISTER", "tt", false);
	resp(&svc, &phone, 407, "z9hG4bK-r", 1, "REGISTER", "tt", false);
	ck_assert_uint_eq(protocheck_count(pc), 1);
	resp(&svc, &phone, 407, "z9hG4bK-r", 1, "REGISTER", "tt", true);
	ck_assert_uint_eq(protocheck_count(pc), 2);
}
END_TEST


/* a request that comes again after its server transaction ended (64*T1
 * after the final response: a slow link, a loaded element) is answered
 * anew: another To-tag, other bytes, no finding; within it, both rows */
START_TEST(test_answer_after_transaction_end)
{
	req(&phone, &svc, "REGISTER", "z9hG4bK-late", 1, "REGISTER", "",
	    NULL, NULL);
	resp(&svc, &phone, 407, "z9hG4bK-late", 1, "REGISTER", "t1", false);

	now += 33000;
	req(&phone, &svc, "REGISTER", "z9hG4bK-late", 1, "REGISTER", "",
	    NULL, NULL);
	resp(&svc, &phone, 407, "z9hG4bK-late", 1, "REGISTER", "t2", true);
	ck_assert_uint_eq(protocheck_count(pc), 0);

	/* the new answer is the one its retransmissions must repeat */
	now += 1000;
	resp(&svc, &phone, 407, "z9hG4bK-late", 1, "REGISTER", "t3", true);
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-TAG-01"));
	ck_assert_ptr_nonnull(protocheck_find(pc, "T-RTX-01"));
}
END_TEST


/* finished transactions go: a long run holds what is live, not what
 * was answered */
START_TEST(test_prune_bounded)
{
	unsigned i;

	for (i = 0; i < 3000; i++) {
		char br[32];

		(void)re_snprintf(br, sizeof(br), "z9hG4bK-%u", i);
		req(&phone, &svc, "OPTIONS", br, i + 1, "OPTIONS", "", NULL,
		    NULL);
		resp(&svc, &phone, 200, br, i + 1, "OPTIONS", "t", false);
		now += 1000;
	}
	ck_assert_uint_eq(protocheck_count(pc), 0);
	/* 64 s of transactions, and at most one pruning interval more */
	ck_assert_uint_lt(protocheck_entries(pc), 400);
}
END_TEST



FIXTURE_MAIN("protocheck",
	FIXTURE_CASE("rows", setup, teardown, 0, 0,
		test_rows_table, test_clean_exchange, test_ack_non2xx_missing,
		test_ack_other_branch, test_ack_2xx_missing,
		test_cancel_before_provisional, test_cancel_unanswered,
		test_cancel_answered, test_max_forwards, test_via_cookie,
		test_via_branch_reused, test_via_no_branch, test_parse, test_to_tag,
		test_contact_in_2xx, test_cseq_in_dialog, test_content_length,
		test_retransmission_identical, test_answer_after_transaction_end,
		test_prune_bounded))
