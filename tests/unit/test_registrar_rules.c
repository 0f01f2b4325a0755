/**
 * @file test_registrar_rules.c  One test per row of the rules table
 * (REG-*, OPT-1, METH-*, REFER-2), each named after its rule ID.  Every
 * test talks SIP over a real socket on 127.0.0.1 to an in-process
 * registrar, and checks the reply, its headers and the decision's rule.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "location.h"
#include "sim_registrar.h"
#include "regclient.h"

#define DOMAIN "example.sip.us1.twilio.com"
#define PW "Conform-Pass-1"
/* the end of a message without a body */
#define EMPTY "Content-Length: 0\r\n\r\n"
/* a configuration with alice alone, for a test to add its line to */
#define ALICE_ONLY							\
	"domains:\n"							\
	"  - name: " DOMAIN "\n"					\
	"    credential_lists: {registration: [l]}\n"			\
	"credential_lists:\n"						\
	"  - name: l\n"							\
	"    credentials: [{username: alice, password: " PW "}]\n"

static struct regclient *rc;
static char hbuf[1024];
static uint32_t next_cseq;     /* like a phone: one Call-ID, CSeq grows */


static void setup_default(void)
{
	next_cseq = 1;
	fixture_registrar(&rc, NULL);
}


static void teardown(void)
{
	rc = mem_deref(rc);
}


static struct sip_msg *reg(const char *user, const char *contact,
			   int expires)
{
	struct reg_opts o = {0};

	/* a second apart: the 5/s rate limit has its own test */
	vclock_advance(1000);
	o.user = user;
	o.password = PW;
	o.contact = contact;
	o.expires = expires;
	o.cseq = next_cseq;
	next_cseq += 2;              /* the challenge, then the credentials */

	return regclient_register(rc, &o);
}


static const char *hdr(const struct sip_msg *m, const char *name)
{
	return regclient_hdr(m, name, hbuf, sizeof(hbuf));
}


#define ASSERT_REPLY(m, code, rule) do {				\
		ck_assert_ptr_nonnull(m);				\
		ck_assert_msg((m)->scode == (code),			\
			      "got %u %.*s (%s), expected %u %s",	\
			      (m)->scode, (int)(m)->reason.l,		\
			      (m)->reason.p, regclient_last_rule(rc),	\
			      code, rule);				\
		ck_assert_str_eq(regclient_last_rule(rc), rule);	\
	} while (0)


/* m (an expression; the reply is freed) answered code by rule (and
 * with an X-Twilio-Error naming err) */
#define EXPECT_REPLY(m, code, rule) do {				\
		struct sip_msg *m_ = (m);				\
									\
		ASSERT_REPLY(m_, code, rule);				\
		mem_deref(m_);						\
	} while (0)

/* the most common answer: registered, for the time asked */
#define EXPECT_OK(m) EXPECT_REPLY(m, 200, "REG-EXP-1")

/* the same with n Contacts in the reply */
#define EXPECT_CONTACTS(m, code, rule, n) do {				\
		struct sip_msg *m_ = (m);				\
									\
		ASSERT_REPLY(m_, code, rule);				\
		ck_assert_uint_eq(regclient_contact_count(m_), n);	\
		mem_deref(m_);						\
	} while (0)

#define EXPECT_TWILIO(m, code, rule, err) do {				\
		struct sip_msg *m_ = (m);				\
									\
		ASSERT_REPLY(m_, code, rule);				\
		ck_assert(strstr(hdr(m_, "X-Twilio-Error"), err) != NULL); \
		mem_deref(m_);						\
	} while (0)


/* how many Contacts m (freed) lists */
static unsigned contacts_of(struct sip_msg *m)
{
	unsigned n = regclient_contact_count(m);

	mem_deref(m);
	return n;
}


START_TEST(test_REG_DOMAIN_1)
{
	struct reg_opts o = {.user = "alice",
			     .domain = "example.sip.ie1.twilio.com",
			     .password = PW, .expires = 60};

	/* another region's host of the same domain is not served */
	EXPECT_REPLY(regclient_register(rc, &o), 404, "REG-DOMAIN-1");
	ck_assert_uint_eq(location_count_account(
			  sim_registrar_location(regclient_registrar(rc))), 0);
}
END_TEST


static const char cfg_domains[] =
	"domains:\n"
	"  - name: off.sip.us1.twilio.com\n"
	"    registration: false\n"
	"    credential_lists: {registration: [l]}\n"
	"  - name: nolist.sip.us1.twilio.com\n"
	"  - name: ok.sip.us1.twilio.com\n"
	"    credential_lists: {registration: [l]}\n"
	"credential_lists:\n"
	"  - name: l\n"
	"    credentials:\n"
	"      - {username: alice, password: Conform-Pass-1}\n"
	"      - {username: bob, password: Conform-Pass-1}\n"
	"limits: {min_expires: 60}\n";


START_TEST(test_REG_DOMAIN_2)
{
	struct reg_opts o = {.user = "alice",
			     .domain = "off.sip.us1.twilio.com", .password = PW,
			     .expires = 60};

	fixture_registrar_reload(&rc, cfg_domains);

	EXPECT_TWILIO(regclient_register(rc, &o), 403, "REG-DOMAIN-2", "32210");
}
END_TEST


START_TEST(test_REG_DOMAIN_3)
{
	struct reg_opts o = {.user = "alice",
			     .domain = "nolist.sip.us1.twilio.com",
			     .password = PW, .expires = 60};

	fixture_registrar_reload(&rc, cfg_domains);

	EXPECT_TWILIO(regclient_register(rc, &o), 403, "REG-DOMAIN-3", "32212");
}
END_TEST


START_TEST(test_REG_AUTH_1)
{
	struct reg_opts o = {.user = "alice"};
	struct sip_msg *m;
	const char *pa;

	o.expires = 60;          /* no password: the challenge is returned */
	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 407, "REG-AUTH-1");
	pa = hdr(m, "Proxy-Authenticate");
	ck_assert(strstr(pa, "Digest realm=\"sip.twilio.com\"") == pa);
	ck_assert(strstr(pa, "nonce=\"") != NULL);
	ck_assert(strstr(pa, "opaque=\"") != NULL);
	ck_assert(strstr(pa, "qop=\"auth\"") != NULL);
	ck_assert(strstr(pa, "stale") == NULL);
	/* the 407 names the registrar, never a vendor */
	ck_assert(strstr(hdr(m, "Server"), "sipconform") != NULL);
	mem_deref(m);

	/* credentials for another realm are no credentials */
	m = regclient_send(rc, false,
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bKar1;rport\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: realm-1\r\nCSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@$L>\r\n"
		"Proxy-Authorization: Digest username=\"alice\","
		"realm=\"elsewhere\",nonce=\"x\",uri=\"sip:" DOMAIN "\","
		"response=\"00000000000000000000000000000000\"\r\n"
		"Content-Length: 0\r\n\r\n");
	ASSERT_REPLY(m, 407, "REG-AUTH-1");
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_AUTH_2)
{
	struct reg_opts o = {.user = "alice", .password = "Wrong-Pass-99",
			     .expires = 60};
	struct sip_msg *m;

	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 403, "REG-AUTH-2");
	ck_assert_str_eq(hdr(m, "X-Twilio-Error"),
			 "32202 Authentication failure - bad user credentials");
	mem_deref(m);

	/* an unknown user looks the same from outside */
	o.user = "mallory";
	o.password = PW;
	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 403, "REG-AUTH-2");
	ck_assert_str_eq(hdr(m, "X-Twilio-Error"),
			 "32202 Authentication failure - bad user credentials");
	mem_deref(m);

	ck_assert_uint_eq(location_count_account(
			  sim_registrar_location(regclient_registrar(rc))), 0);
}
END_TEST


START_TEST(test_REG_AUTH_3)
{
	struct reg_opts o = {.user = "alice", .auth_user = "bob",
			     .password = PW, .expires = 60};

	/* bob's right password, for alice's AOR */
	EXPECT_TWILIO(regclient_register(rc, &o), 403, "REG-AUTH-3", "32106");
}
END_TEST


/* REG-AUTH-3 comes before the username is looked up and the password
 * checked: a REGISTER for another AOR (whose own rate window it counts
 * against) tells nothing about the username or the password, so the
 * per-AOR limit (REG-LIM-RATE) cannot be dodged by changing the To user */
START_TEST(test_REG_AUTH_3_before_password)
{
	static const struct {
		const char *auth_user, *password;
	} tries[] = {
		{"alice", "Wrong-Pass-99"},
		{"alice", PW},               /* the right one: no oracle   */
		{"mallory", PW},             /* unknown: no oracle either  */
	};
	struct reg_opts o = {0};
	struct sip_msg *m;
	char to[16];

	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		(void)re_snprintf(to, sizeof(to), "x%zu", i);
		o.user = to;
		o.auth_user = tries[i].auth_user;
		o.password = tries[i].password;
		o.expires = 60;
		m = regclient_register(rc, &o);
		ASSERT_REPLY(m, 403, "REG-AUTH-3");
		ck_assert_str_eq(hdr(m, "X-Twilio-Error"), "32106 "
			"Authentication username does not match the address "
			"of record");
		mem_deref(m);
	}

	ck_assert_uint_eq(location_count_account(
			  sim_registrar_location(regclient_registrar(rc))), 0);
}
END_TEST


START_TEST(test_REG_AUTH_4)
{
	struct reg_opts o = {.user = "alice", .expires = 60};

	/* an expired nonce: take a challenge, let it age, then answer it */
	EXPECT_REPLY(regclient_register(rc, &o), 407, "REG-AUTH-1");

	vclock_advance(301 * 1000);

	o.password = PW;
	/* fresh challenge: 200 */
	EXPECT_OK(regclient_register(rc, &o));
}
END_TEST


static const char *nonce_of(const struct sip_msg *m, char *nonce, size_t sz)
{
	struct httpauth_digest_chall ch;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHENTICATE);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(httpauth_digest_challenge_decode(&ch, &h->val), 0);
	pl_strcpy(&ch.nonce, nonce, sz);

	return nonce;
}


static const char *opaque_of(const struct sip_msg *m, char *op, size_t sz)
{
	struct httpauth_digest_chall ch;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHENTICATE);

	ck_assert_int_eq(httpauth_digest_challenge_decode(&ch, &h->val), 0);
	pl_strcpy(&ch.opaque, op, sz);

	return op;
}


/* a REGISTER for alice carrying a digest for nonce with nc */
static struct sip_msg *reg_with_nonce(const char *nonce, const char *opaque,
				      uint32_t cseq, const char *nc)
{
	uint8_t ha1[16], ha2[16], d[16];
	char ha1hex[33], ha2hex[33];

	md5_printf(ha1, "alice:sip.twilio.com:" PW);
	re_snprintf(ha1hex, sizeof(ha1hex), "%w", ha1, sizeof(ha1));
	md5_printf(ha2, "REGISTER:sip:" DOMAIN);
	re_snprintf(ha2hex, sizeof(ha2hex), "%w", ha2, sizeof(ha2));
	md5_printf(d, "%s:%s:%s:c1:auth:%s", ha1hex, nonce, nc, ha2hex);

	return regclient_send(rc, false,
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bK%08x;rport\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: nonce-test\r\nCSeq: %u REGISTER\r\n"
		"Contact: <sip:alice@$L>\r\nExpires: 60\r\n"
		"Proxy-Authorization: Digest username=\"alice\","
		"realm=\"sip.twilio.com\",nonce=\"%s\",uri=\"sip:" DOMAIN "\","
		"response=\"%w\",cnonce=\"c1\",nc=%s,qop=auth,"
		"opaque=\"%s\"\r\n"
		"Content-Length: 0\r\n\r\n", rand_u32(), cseq, nonce, d,
		sizeof(d), nc, opaque);
}


START_TEST(test_REG_AUTH_4_stale_flag)
{
	struct reg_opts o = {.user = "alice", .expires = 60};
	char nonce[128], opaque[64];
	struct sip_msg *m;

	m = regclient_register(rc, &o);
	nonce_of(m, nonce, sizeof(nonce));
	opaque_of(m, opaque, sizeof(opaque));
	mem_deref(m);

	vclock_advance(301 * 1000);

	m = reg_with_nonce(nonce, opaque, 2, "00000001");
	ASSERT_REPLY(m, 407, "REG-AUTH-4");
	ck_assert(strstr(hdr(m, "Proxy-Authenticate"), "stale=true"));
	ck_assert(!strstr(hdr(m, "Proxy-Authenticate"), nonce));
	mem_deref(m);
}
END_TEST


/* alice is challenged and registers with the nonce, nc 1 (CSeq 2) */
static void first_use(char *nonce, size_t nsz, char *opaque, size_t osz)
{
	struct reg_opts o = {.user = "alice", .expires = 60};
	struct sip_msg *m;

	m = regclient_register(rc, &o);
	nonce_of(m, nonce, nsz);
	opaque_of(m, opaque, osz);
	mem_deref(m);

	EXPECT_OK(reg_with_nonce(nonce, opaque, 2, "00000001"));
}


/* a pool of 16 nonce slots (limits.nonce_pool): once 16 later
 * challenges have taken alice's slot over, her nonce is stale (407
 * stale=true, REG-AUTH-4), never accepted, and the new nonce works */
START_TEST(test_REG_AUTH_4_nonce_slot_taken_over)
{
	static const char cfg[] =
		"domains:\n"
		"  - name: " DOMAIN "\n"
		"    credential_lists: {registration: [l]}\n"
		"credential_lists:\n"
		"  - name: l\n"
		"    credentials:\n"
		"      - {username: alice, password: " PW "}\n"
		"      - {username: bob, password: " PW "}\n"
		"limits: {nonce_pool: 16}\n";
	struct reg_opts o = {.user = "bob", .expires = 60};
	char nonce[128], opaque[64], body[2048];
	struct sip_msg *m;

	rc = mem_deref(rc);
	ck_assert_int_eq(regclient_alloc(&rc, cfg), 0);

	first_use(nonce, sizeof(nonce), opaque, sizeof(opaque));

	/* 16 challenges to bob, 4 a second (REG-LIM-RATE is 5) */
	for (uint32_t i = 0; i < 16; i++) {
		vclock_advance(250);
		o.cseq = i + 1;
		EXPECT_REPLY(regclient_register(rc, &o), 407, "REG-AUTH-1");
	}

	m = reg_with_nonce(nonce, opaque, 3, "00000002");
	ASSERT_REPLY(m, 407, "REG-AUTH-4");
	ck_assert(strstr(hdr(m, "Proxy-Authenticate"), "stale=true"));
	mem_deref(m);

	/* the replay of its first use is refused as well */
	m = reg_with_nonce(nonce, opaque, 4, "00000001");
	ASSERT_REPLY(m, 407, "REG-AUTH-4");
	ck_assert(strstr(hdr(m, "Proxy-Authenticate"), "stale=true"));
	nonce_of(m, nonce, sizeof(nonce));
	mem_deref(m);

	/* the new nonce is good */
	EXPECT_OK(reg_with_nonce(nonce, opaque, 5, "00000001"));

	ck_assert_int_eq(regclient_http(rc, "GET", "/health", body,
					sizeof(body)), 200);
	ck_assert_msg(strstr(body, "\"nonce_pool\":{\"entries\":1,"
			     "\"max\":16,\"bytes\":192,\"taken_over\":2}"),
		      "%s", body);
}
END_TEST


START_TEST(test_REG_AUTH_5)
{
	char nonce[128], opaque[64];
	struct sip_msg *m;

	first_use(nonce, sizeof(nonce), opaque, sizeof(opaque));

	/* the same nc again: a replay, challenged, nothing stored */
	m = reg_with_nonce(nonce, opaque, 3, "00000001");
	ASSERT_REPLY(m, 407, "REG-AUTH-5");
	ck_assert(!strstr(hdr(m, "Proxy-Authenticate"), "stale"));
	mem_deref(m);

	/* a higher nc is fine */
	EXPECT_OK(reg_with_nonce(nonce, opaque, 4, "00000002"));
}
END_TEST


START_TEST(test_REG_AUTH_6)
{
	struct reg_opts o = {.user = "alice", .expires = 60};
	struct sip_msg *m;
	char nonce[128], opaque[64];
	uint8_t ha1[16], ha2[16], d[16];
	char ha1hex[33], ha2hex[33];

	m = regclient_register(rc, &o);
	nonce_of(m, nonce, sizeof(nonce));
	opaque_of(m, opaque, sizeof(opaque));
	mem_deref(m);

	md5_printf(ha1, "alice:sip.twilio.com:" PW);
	re_snprintf(ha1hex, sizeof(ha1hex), "%w", ha1, sizeof(ha1));
	md5_printf(ha2, "REGISTER:sip:" DOMAIN);
	re_snprintf(ha2hex, sizeof(ha2hex), "%w", ha2, sizeof(ha2));
	md5_printf(d, "%s:%s:00000001:c1:auth:%s", ha1hex, nonce, ha2hex);

	/* the default profile accepts Authorization as well */
	m = regclient_send(rc, false,
		"REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bKa6;rport\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: a6\r\nCSeq: 2 REGISTER\r\n"
		"Contact: <sip:alice@$L>\r\nExpires: 60\r\n"
		"Authorization: Digest username=\"alice\","
		"realm=\"sip.twilio.com\",nonce=\"%s\",uri=\"sip:" DOMAIN "\","
		"response=\"%w\",cnonce=\"c1\",nc=00000001,qop=auth,"
		"opaque=\"%s\"\r\n"
		"Content-Length: 0\r\n\r\n", nonce, d, sizeof(d), opaque);
	ASSERT_REPLY(m, 200, "REG-EXP-1");
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_AUTH_6_strict)
{
	struct reg_opts o = {.user = "alice", .expires = 60};

	fixture_registrar_reload(&rc, ALICE_ONLY
				 "profile: {accept_authorization: false}\n");

	o.extra = "Authorization: Digest username=\"alice\","
		"realm=\"sip.twilio.com\",nonce=\"n\",uri=\"sip:" DOMAIN "\","
		"response=\"00000000000000000000000000000000\"\r\n";
	EXPECT_REPLY(regclient_register(rc, &o), 407, "REG-AUTH-1");
}
END_TEST


static uint32_t contact_expires(const struct sip_msg *m, const char *uri_part)
{
	struct le *le;

	for (le = m->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;
		struct sip_addr a;
		struct pl v;

		if (h->id != SIP_HDR_CONTACT || sip_addr_decode(&a, &h->val))
			continue;
		if (!memmem(a.auri.p, a.auri.l, uri_part, strlen(uri_part)))
			continue;
		if (msg_param_decode(&a.params, "expires", &v))
			return UINT32_MAX;
		return pl_u32(&v);
	}

	return 0;
}


START_TEST(test_REG_EXP_1)
{
	struct sip_msg *m = reg("alice", NULL, 300);

	ASSERT_REPLY(m, 200, "REG-EXP-1");
	ck_assert_uint_eq(contact_expires(m, "alice@"), 300);
	/* REG-OK-1: To tag, received/rport on Via, a Date */
	ck_assert(strstr(hdr(m, "To"), ";tag=") != NULL);
	ck_assert(strstr(hdr(m, "Via"), "rport=") != NULL);
	ck_assert(hdr(m, "Date")[0] != '\0');
	mem_deref(m);

	/* the contact param wins over the Expires header */
	m = reg("bob", "<sip:bob@$L>;expires=120", 500);
	ASSERT_REPLY(m, 200, "REG-EXP-1");
	ck_assert_uint_eq(contact_expires(m, "bob@"), 120);
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_EXP_2)
{
	struct sip_msg *m = reg("alice", NULL, 3600);

	ASSERT_REPLY(m, 200, "REG-EXP-2");
	ck_assert_uint_eq(contact_expires(m, "alice@"), 600);
	mem_deref(m);

	/* none given: also the maximum */
	m = reg("bob", NULL, -1);
	ASSERT_REPLY(m, 200, "REG-EXP-2");
	ck_assert_uint_eq(contact_expires(m, "bob@"), 600);
	mem_deref(m);

	/* a malformed expiry is taken as 3600, then clamped (R-REG-12) */
	m = reg("carol", "<sip:carol@$L>;expires=soon", -1);
	ASSERT_REPLY(m, 200, "REG-EXP-2");
	ck_assert_uint_eq(contact_expires(m, "carol@"), 600);
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_EXP_3)
{
	struct reg_opts o = {.user = "alice", .domain = "ok.sip.us1.twilio.com",
			     .password = PW, .expires = 30};
	struct sip_msg *m;

	fixture_registrar_reload(&rc, cfg_domains);

	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 423, "REG-EXP-3");
	ck_assert_str_eq(hdr(m, "Min-Expires"), "60");
	mem_deref(m);

	/* expiry 0 never gets 423 */
	o.expires = 0;
	EXPECT_REPLY(regclient_register(rc, &o), 200, "REG-DEL-1");
}
END_TEST


START_TEST(test_REG_EXP_4)
{
	struct location *loc =
		sim_registrar_location(regclient_registrar(rc));
	struct sip_msg *m = reg("alice", NULL, 600);

	ASSERT_REPLY(m, 200, "REG-EXP-1");
	mem_deref(m);

	vclock_advance(599 * 1000);
	ck_assert_uint_eq(location_count_aor(loc, "alice@" DOMAIN), 1);

	vclock_advance(2 * 1000);
	ck_assert_uint_eq(location_count_aor(loc, "alice@" DOMAIN), 0);
	ck_assert_uint_eq(location_count_account(loc), 0);
}
END_TEST


START_TEST(test_REG_DEL_1)
{
	struct sip_msg *m;

	EXPECT_OK(reg("alice", "<sip:alice@10.0.0.1:5060>", 600));
	ck_assert_uint_eq(contacts_of(reg("alice",
					  "<sip:alice@10.0.0.2:5060>", 600)),
			  2);

	m = reg("alice", "<sip:alice@10.0.0.1:5060>;expires=0", 600);
	ASSERT_REPLY(m, 200, "REG-DEL-1");
	ck_assert_uint_eq(regclient_contact_count(m), 1);
	ck_assert(strstr(hdr(m, "Contact"), "10.0.0.2") != NULL);
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_DEL_2)
{
	mem_deref(reg("alice", "<sip:alice@10.0.0.1:5060>", 600));
	mem_deref(reg("alice", "<sip:alice@10.0.0.2:5060>", 600));

	EXPECT_CONTACTS(reg("alice", "*", 0), 200, "REG-DEL-2", 0);
}
END_TEST


START_TEST(test_REG_DEL_3)
{
	struct location *loc =
		sim_registrar_location(regclient_registrar(rc));

	mem_deref(reg("alice", "<sip:alice@10.0.0.1:5060>", 600));

	EXPECT_REPLY(reg("alice", "*", 60), 400, "REG-DEL-3");

	EXPECT_REPLY(reg("alice", "*", -1), 400, "REG-DEL-3");

	EXPECT_REPLY(reg("alice", "*, <sip:alice@10.0.0.3>", 0),
		     400, "REG-DEL-3");

	ck_assert_uint_eq(location_count_aor(loc, "alice@" DOMAIN), 1);
}
END_TEST


START_TEST(test_REG_ORD_1)
{
	struct reg_opts o = {.user = "alice", .password = PW, .expires = 300,
			     .callid = "ord-1",
			     .contact = "<sip:alice@10.0.0.9:5060>",
			     .cseq = 10};
	const struct binding *b;

	/* stored with CSeq 11 */
	EXPECT_OK(regclient_register(rc, &o));

	o.cseq = 4;                        /* 4, then 5 with credentials */
	o.expires = 100;
	EXPECT_REPLY(regclient_register(rc, &o), 500, "REG-ORD-1");

	/* unchanged: still the first grant */
	b = location_find(sim_registrar_location(regclient_registrar(rc)),
			  "alice@" DOMAIN, "sip:alice@10.0.0.9:5060");
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->granted, 300);
	ck_assert_uint_eq(b->cseq, 11);

	/* a higher CSeq on the same Call-ID is fine */
	vclock_advance(1000);
	o.cseq = 12;
	EXPECT_OK(regclient_register(rc, &o));
}
END_TEST


START_TEST(test_REG_OK_1)
{
	struct sip_msg *m;

	mem_deref(reg("alice", "<sip:alice@10.0.0.1:5060>", 600));
	vclock_advance(100 * 1000);
	m = reg("alice", "<sip:alice@10.0.0.2:5060>", 300);
	ASSERT_REPLY(m, 200, "REG-EXP-1");
	ck_assert_uint_eq(regclient_contact_count(m), 2);
	/* each listed with what is left of it */
	ck_assert_uint_le(contact_expires(m, "10.0.0.1"), 500);
	ck_assert_uint_ge(contact_expires(m, "10.0.0.1"), 499);
	ck_assert_uint_eq(contact_expires(m, "10.0.0.2"), 300);
	ck_assert_str_eq(hdr(m, "Record-Route"), "");
	mem_deref(m);
}
END_TEST


START_TEST(test_REG_FETCH_1)
{
	struct location *loc =
		sim_registrar_location(regclient_registrar(rc));
	struct reg_opts o = {.user = "alice", .password = PW, .expires = -1,
			     .no_contact = true, .callid = "fetch"};
	const struct binding *b;
	struct sip_msg *m;
	uint64_t before;

	mem_deref(reg("alice", "<sip:alice@10.0.0.9:5060>", 600));
	b = location_find(loc, "alice@" DOMAIN, "sip:alice@10.0.0.9:5060");
	ck_assert_ptr_nonnull(b);
	before = b->expires_at;

	vclock_advance(10 * 1000);
	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 200, "REG-FETCH-1");
	ck_assert_uint_eq(regclient_contact_count(m), 1);
	ck_assert_uint_le(contact_expires(m, "alice@"), 590);
	mem_deref(m);

	/* nothing refreshed */
	b = location_find(loc, "alice@" DOMAIN, "sip:alice@10.0.0.9:5060");
	ck_assert_uint_eq(b->expires_at, before);
}
END_TEST


START_TEST(test_REG_LIM_AOR)
{
	struct location *loc =
		sim_registrar_location(regclient_registrar(rc));
	char contact[64];
	struct sip_msg *m;

	for (int i = 1; i <= 10; i++) {
		re_snprintf(contact, sizeof(contact),
			    "<sip:alice@10.0.0.%d:5060>", i);
		m = reg("alice", contact, 600);
		ASSERT_REPLY(m, 200, "REG-EXP-1");
		ck_assert_uint_eq(regclient_contact_count(m), (unsigned)i);
		mem_deref(m);
		vclock_advance(1000);      /* stay under the rate limit */
	}

	EXPECT_TWILIO(reg("alice", "<sip:alice@10.0.0.11:5060>", 600),
		      403, "REG-LIM-AOR", "32007");
	ck_assert_uint_eq(location_count_aor(loc, "alice@" DOMAIN), 10);

	/* all-or-nothing: a refresh plus a new one fails whole */
	vclock_advance(1000);
	m = reg("alice", "<sip:alice@10.0.0.1:5060>;expires=77, "
		"<sip:alice@10.0.0.12:5060>", 600);
	ASSERT_REPLY(m, 403, "REG-LIM-AOR");
	mem_deref(m);
	ck_assert_uint_eq(location_find(loc, "alice@" DOMAIN,
			  "sip:alice@10.0.0.1:5060")->granted, 600);

	/* refreshing at 10 is fine */
	vclock_advance(1000);
	EXPECT_OK(reg("alice", "<sip:alice@10.0.0.3:5060>", 300));

	/* once one unregisters, the 11th phone fits */
	vclock_advance(1000);
	EXPECT_REPLY(reg("alice", "<sip:alice@10.0.0.4:5060>", 0),
		     200, "REG-DEL-1");
	vclock_advance(1000);
	EXPECT_CONTACTS(reg("alice", "<sip:alice@10.0.0.11:5060>", 600),
			200, "REG-EXP-1", 10);
}
END_TEST


START_TEST(test_REG_LIM_RATE)
{
	struct reg_opts o = {.user = "alice", .expires = 60};
	struct sip_msg *m;
	int i;

	/* challenged and unchallenged requests count alike: 5 in all */
	for (i = 0; i < 5; i++) {
		EXPECT_REPLY(regclient_register(rc, &o), 407, "REG-AUTH-1");
	}

	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 503, "REG-LIM-RATE");
	ck_assert_str_eq(hdr(m, "Retry-After"), "1");
	ck_assert(strstr(hdr(m, "X-Twilio-Error"), "32008") != NULL);
	mem_deref(m);

	/* another AOR is not affected */
	o.user = "bob";
	EXPECT_REPLY(regclient_register(rc, &o), 407, "REG-AUTH-1");

	/* a second later it is fine again */
	vclock_advance(1001);
	o.user = "alice";
	o.password = PW;
	EXPECT_OK(regclient_register(rc, &o));
}
END_TEST


static char *users_config(unsigned users, unsigned per_domain,
			  unsigned per_account)
{
	char *yaml = NULL;

	re_sdprintf(&yaml,
		"domains:\n"
		"  - name: a.sip.us1.twilio.com\n"
		"    credential_lists: {registration: [l]}\n"
		"  - name: b.sip.us1.twilio.com\n"
		"    credential_lists: {registration: [l]}\n"
		"credential_lists:\n"
		"  - name: l\n"
		"    credentials:\n"
		"      - {username: \"u{1..%u}\", password: " PW "}\n"
		"limits: {registrations_per_domain: %u, "
		"registrations_per_account: %u}\n",
		users, per_domain, per_account);

	return yaml;
}


static struct sip_msg *reg_in(const char *domain, const char *user,
			      int expires)
{
	struct reg_opts o = {0};

	o.user = user;
	o.domain = domain;
	o.password = PW;
	o.expires = expires;
	o.cseq = next_cseq;
	next_cseq += 2;

	return regclient_register(rc, &o);
}


/* the registrar reloaded with users_config(users, per_domain,
 * per_account), and u1..un registered in domain a (alternate: every other
 * one in b) */
static void fill(unsigned users, unsigned per_domain, unsigned per_account,
		 int n, bool alternate)
{
	char *yaml = users_config(users, per_domain, per_account);

	fixture_registrar_reload(&rc, yaml);
	mem_deref(yaml);

	for (int i = 1; i <= n; i++) {
		char u[8];

		re_snprintf(u, sizeof(u), "u%d", i);
		EXPECT_REPLY(reg_in(alternate && !(i % 2) ?
				    "b.sip.us1.twilio.com" :
				    "a.sip.us1.twilio.com", u, 600),
			     200, "REG-EXP-1");
	}
}


/* m (freed) refused 403 by rule, its reason phrase naming word */
static void expect_full(struct sip_msg *m, const char *rule,
			const char *word)
{
	ASSERT_REPLY(m, 403, rule);
	ck_assert(strstr(m->reason.p, word) != NULL);
	mem_deref(m);
}


START_TEST(test_REG_LIM_DOMAIN)
{
	fill(10, 3, 100, 3, false);

	expect_full(reg_in("a.sip.us1.twilio.com", "u4", 600),
		    "REG-LIM-DOMAIN", "domain");

	/* refreshing an existing one never counts */
	EXPECT_OK(reg_in("a.sip.us1.twilio.com", "u2", 300));

	/* the other domain has room */
	EXPECT_OK(reg_in("b.sip.us1.twilio.com", "u4", 600));
}
END_TEST


START_TEST(test_REG_LIM_ACCOUNT)
{
	fill(10, 100, 4, 4, true);

	expect_full(reg_in("b.sip.us1.twilio.com", "u5", 600),
		    "REG-LIM-ACCOUNT", "account");

	/* when one lapses, there is room again */
	vclock_advance(601 * 1000);
	EXPECT_OK(reg_in("b.sip.us1.twilio.com", "u5", 600));
}
END_TEST


START_TEST(test_REG_CONTACT_1)
{
	/* default profile: loopback phones are welcome */
	EXPECT_OK(reg("alice", NULL, 60));

	fixture_registrar_reload(&rc, ALICE_ONLY
				 "profile: {loopback_contacts: reject}\n");

	EXPECT_TWILIO(reg("alice", NULL, 60), 403, "REG-CONTACT-1", "32105");

	EXPECT_REPLY(reg("alice", "<sip:alice@localhost:5070>", 60),
		     403, "REG-CONTACT-1");

	EXPECT_OK(reg("alice", "<sip:alice@192.0.2.7:5070>", 60));
}
END_TEST


START_TEST(test_REG_MSG_1)
{
	struct reg_opts o = {.user = "alice", .password = PW, .expires = 60,
			     .extra = "Require: foo, bar\r\n"};
	struct sip_msg *m;

	m = regclient_register(rc, &o);
	ASSERT_REPLY(m, 420, "REG-MSG-1");
	ck_assert(sip_msg_hdr_has_value(m, SIP_HDR_UNSUPPORTED, "foo"));
	ck_assert(sip_msg_hdr_has_value(m, SIP_HDR_UNSUPPORTED, "bar"));
	mem_deref(m);
}
END_TEST


/* a REGISTER from alice written out: SIP/version, the Via's transport
 * via_tp, id its branch and Call-ID (one of its own, or libre sees a
 * merged request: 482), cseq_met the CSeq's method, then tail (the last
 * headers, ending the message) */
static struct sip_msg *raw_reg(bool tcp, const char *via_tp,
			       const char *version, const char *id,
			       const char *cseq_met, const char *tail)
{
	return regclient_send(rc, tcp,
		"REGISTER sip:" DOMAIN " SIP/%s\r\n"
		"Via: SIP/2.0/%s $L;branch=z9hG4bK%s\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:alice@" DOMAIN ">\r\n"
		"Call-ID: %s\r\nCSeq: 1 %s\r\n"
		"%s", version, via_tp, id, id, cseq_met, tail);
}


START_TEST(test_REG_MSG_2)
{
	/* decodable but wrong: answered by the registrar */
	EXPECT_REPLY(raw_reg(false, "UDP", "2.0", "m2u", "INVITE", EMPTY),
		     400, "REG-MSG-2");

	/* not decodable by libre: answered by the guard, over UDP ... */
	EXPECT_REPLY(raw_reg(false, "UDP", "7.0", "m3", "REGISTER", EMPTY),
		     505, "REG-MSG-2");
	EXPECT_REPLY(raw_reg(false, "UDP", "2.0", "m4", "REGISTER",
			     "Content-Length: 5\r\n\r\n"),
		     400, "REG-MSG-2");

	/* ... and over TCP, where the connection goes on afterwards */
	EXPECT_REPLY(raw_reg(true, "UDP", "2.0", "m2t", "INVITE", EMPTY),
		     400, "REG-MSG-2");

	EXPECT_REPLY(raw_reg(true, "TCP", "2.0", "m5", "REGISTER",
			     "Contact: <sip:alice@$L>\r\n" EMPTY),
		     407, "REG-AUTH-1");

	/* and the registrar still serves a normal REGISTER */
	EXPECT_OK(reg("alice", NULL, 60));
}
END_TEST


static struct sip_msg *send_method(const char *met, const char *extra)
{
	return regclient_send(rc, false,
		"%s sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bK%08x\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:" DOMAIN ">%s\r\n"
		"Call-ID: meth-%08x\r\nCSeq: 1 %s\r\n%s"
		"Content-Length: 0\r\n\r\n", met, rand_u32(),
		"", rand_u32(), met, extra ? extra : "");
}


START_TEST(test_OPT_1)
{
	struct sip_msg *m = send_method("OPTIONS", NULL);

	ASSERT_REPLY(m, 200, "OPT-1");
	ck_assert(sip_msg_hdr_has_value(m, SIP_HDR_ALLOW, "REGISTER"));
	ck_assert_str_eq(hdr(m, "Proxy-Authenticate"), "");
	mem_deref(m);
}
END_TEST


START_TEST(test_METH_1)
{
	static const char *const mets[] = {"MESSAGE", "SUBSCRIBE",
					   "PUBLISH", "INFO", NULL};

	for (int i = 0; mets[i]; i++) {
		struct sip_msg *m = send_method(mets[i], NULL);

		ASSERT_REPLY(m, 405, "METH-1");
		ck_assert(sip_msg_hdr_has_value(m, SIP_HDR_ALLOW, "INVITE"));
		ck_assert(!sip_msg_hdr_has_value(m, SIP_HDR_ALLOW, "REFER"));
		mem_deref(m);
	}
}
END_TEST


START_TEST(test_METH_2)
{
	struct sip_msg *m = send_method("FOOBAR", NULL);

	ASSERT_REPLY(m, 501, "METH-2");
	mem_deref(m);
}
END_TEST


START_TEST(test_REFER_2)
{
	struct sip_msg *m;

	m = send_method("REFER", "Refer-To: <sip:bob@" DOMAIN ">\r\n");
	ASSERT_REPLY(m, 405, "REFER-2");
	ck_assert(sip_msg_hdr_has_value(m, SIP_HDR_ALLOW, "OPTIONS"));
	ck_assert(!sip_msg_hdr_has_value(m, SIP_HDR_ALLOW, "REFER"));
	mem_deref(m);

	/* two Refer-To, or none: 400 (R-REF-04) */
	m = send_method("REFER", "Refer-To: <sip:bob@" DOMAIN ">\r\n"
			"Refer-To: <sip:carol@" DOMAIN ">\r\n");
	ASSERT_REPLY(m, 400, "REG-MSG-2");
	mem_deref(m);

	/* naming a dialog that does not exist: 481 */
	m = regclient_send(rc, false,
		"REFER sip:" DOMAIN " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP $L;branch=z9hG4bKr481\r\n"
		"From: <sip:alice@" DOMAIN ">;tag=1\r\n"
		"To: <sip:" DOMAIN ">;tag=nosuchdialog\r\n"
		"Call-ID: r481\r\nCSeq: 1 REFER\r\n"
		"Refer-To: <sip:bob@" DOMAIN ">\r\n"
		"Content-Length: 0\r\n\r\n");
	ASSERT_REPLY(m, 481, "REFER-2");
	mem_deref(m);
}
END_TEST


/* R-URI-01: equivalent contact URIs refresh one binding */
START_TEST(test_contact_uri_equivalence)
{
	struct sip_msg *m;

	m = reg("alice", "<sip:%61lice@AtLanTa.CoM;Transport=tcp>", 600);
	ASSERT_REPLY(m, 200, "REG-EXP-1");
	mem_deref(m);
	vclock_advance(1000);
	m = reg("alice", "<sip:alice@atlanta.com;transport=TCP>", 300);
	ck_assert_uint_eq(regclient_contact_count(m), 1);
	mem_deref(m);

	/* R-URI-02: an explicit port is another binding */
	vclock_advance(1000);
	m = reg("alice", "<sip:alice@atlanta.com:5060;transport=TCP>", 300);
	ck_assert_uint_eq(regclient_contact_count(m), 2);
	mem_deref(m);
}
END_TEST


/* R-REG-06: the AOR decodes escapes, the host is case-insensitive */
START_TEST(test_aor_canonical)
{
	struct location *loc =
		sim_registrar_location(regclient_registrar(rc));
	struct reg_opts o = {.user = "%61lice", .auth_user = "alice",
			     .domain = "EXAMPLE.sip.us1.twilio.com",
			     .password = PW, .expires = 60};

	EXPECT_OK(regclient_register(rc, &o));

	ck_assert_uint_eq(location_count_aor(loc, "alice@" DOMAIN), 1);
}
END_TEST


FIXTURE_MAIN("registrar rules",
	FIXTURE_CASE("rules", setup_default, teardown, 20, 0,
		test_REG_DOMAIN_1, test_REG_DOMAIN_2, test_REG_DOMAIN_3,
		test_REG_AUTH_1, test_REG_AUTH_2, test_REG_AUTH_3,
		test_REG_AUTH_3_before_password, test_REG_AUTH_4,
		test_REG_AUTH_4_stale_flag, test_REG_AUTH_5, test_REG_AUTH_4_nonce_slot_taken_over,
		test_REG_AUTH_6,
		test_REG_AUTH_6_strict, test_REG_EXP_1, test_REG_EXP_2,
		test_REG_EXP_3, test_REG_EXP_4, test_REG_DEL_1, test_REG_DEL_2,
		test_REG_DEL_3, test_REG_ORD_1, test_REG_OK_1, test_REG_FETCH_1,
		test_REG_LIM_AOR, test_REG_LIM_RATE, test_REG_LIM_DOMAIN,
		test_REG_LIM_ACCOUNT, test_REG_CONTACT_1, test_REG_MSG_1,
		test_REG_MSG_2, test_OPT_1, test_METH_1, test_METH_2,
		test_REFER_2, test_contact_uri_equivalence, test_aor_canonical))
