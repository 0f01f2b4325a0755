/**
 * @file test_digest_aor.c  Digest known answers (RFC 2617 3.5, RFC 7616
 * 3.9.1), nonce life and replay, and URI canonicalisation (RFC 3261
 * 19.1.4: R-URI-01, R-URI-02, R-REG-06).
 */

#include <check.h>
#include "fixture.h"
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "digest.h"
#include "aor.h"


static void ha1_hex(char *out, const char *user, const char *realm,
		    const char *pw)
{
	uint8_t md5[16];

	md5_printf(md5, "%s:%s:%s", user, realm, pw);
	re_snprintf(out, 33, "%w", md5, sizeof(md5));
}


static bool verify(const char *hdr, const char *method, const char *ha1)
{
	struct digest_cred c;
	struct pl h, m;

	pl_set_str(&h, hdr);
	pl_set_str(&m, method);
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);

	return digest_cred_verify(&c, &m, ha1);
}


START_TEST(test_rfc2617_vector)
{
	char ha1[33];

	ha1_hex(ha1, "Mufasa", "testrealm@host.com", "Circle Of Life");
	ck_assert(verify("Digest username=\"Mufasa\", "
			 "realm=\"testrealm@host.com\", "
			 "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
			 "uri=\"/dir/index.html\", qop=auth, nc=00000001, "
			 "cnonce=\"0a4f113b\", "
			 "response=\"6629fae49393a05397450978507c4ef1\", "
			 "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
			 "GET", ha1));

	/* one digit off */
	ck_assert(!verify("Digest username=\"Mufasa\", "
			  "realm=\"testrealm@host.com\", "
			  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
			  "uri=\"/dir/index.html\", qop=auth, nc=00000001, "
			  "cnonce=\"0a4f113b\", "
			  "response=\"6629fae49393a05397450978507c4ef2\"",
			  "GET", ha1));
}
END_TEST


START_TEST(test_rfc7616_md5_vector)
{
	char ha1[33];

	ha1_hex(ha1, "Mufasa", "http-auth@example.org", "Circle of Life");
	ck_assert(verify("Digest username=\"Mufasa\", "
			 "realm=\"http-auth@example.org\", "
			 "uri=\"/dir/index.html\", algorithm=MD5, "
			 "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
			 "nc=00000001, "
			 "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
			 "qop=auth, "
			 "response=\"8ca523f5e9506fed4657c9700eebdbec\", "
			 "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
			 "GET", ha1));
}
END_TEST


START_TEST(test_cred_malformed)
{
	struct digest_auth *da;
	struct digest_cred c;
	struct pl h;

	ck_assert_int_eq(digest_auth_alloc(&da, "sip.twilio.com", 300), 0);

	pl_set_str(&h, "Basic YWxpY2U6cHc=");
	ck_assert_int_eq(digest_cred_decode(&c, &h), EBADMSG);

	pl_set_str(&h, "Digest username=\"a\",realm=\"r\",nonce=\"n\","
		   "uri=\"sip:x\",response=\"0123456789abcdef0123456789abcdef\""
		   ",qop=auth,cnonce=\"c\"");
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);
	ck_assert_ptr_nonnull(digest_cred_malformed(da, &c));  /* no nc */

	pl_set_str(&h, "Digest username=\"a\",realm=\"r\",nonce=\"n\","
		   "uri=\"sip:x\",response=\"short\"");
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);
	ck_assert_ptr_nonnull(digest_cred_malformed(da, &c));

	mem_deref(da);
}
END_TEST


/* quoted-string values (RFC 7616 3.4) may hold commas, spaces and
 * escaped quotes; names are case-insensitive; LWS around '=' */
START_TEST(test_cred_quoted_values)
{
	struct digest_cred c;
	struct pl h;

	pl_set_str(&h, "digest USERNAME = \"john, \\\"jr\\\" doe\",\r\n "
		   "realm=\"r\", nonce=\"n\", uri=\"sip:x;a=b\", "
		   "response=\"0123456789abcdef0123456789abcdef\", "
		   "qop=auth, nc=00000001, cnonce=\"c c\"");
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);
	ck_assert_int_eq(pl_strcmp(&c.username, "john, \\\"jr\\\" doe"), 0);
	ck_assert_int_eq(pl_strcmp(&c.uri, "sip:x;a=b"), 0);
	ck_assert_int_eq(pl_strcmp(&c.cnonce, "c c"), 0);
	ck_assert_int_eq(pl_strcmp(&c.nc, "00000001"), 0);
	ck_assert_int_eq(pl_strcmp(&c.qop, "auth"), 0);

	/* an unterminated quote is malformed, not read past */
	pl_set_str(&h, "Digest username=\"a, realm=\"r\"");
	ck_assert_int_eq(digest_cred_decode(&c, &h), EBADMSG);

	/* no scheme separator */
	pl_set_str(&h, "Digest");
	ck_assert_int_eq(digest_cred_decode(&c, &h), EBADMSG);
}
END_TEST


START_TEST(test_nonce_life)
{
	struct digest_auth *da;
	struct digest_cred c;
	struct mbuf *mb = mbuf_alloc(256);
	struct pl nonce, h;
	char hdr[512];

	vclock_reset();
	ck_assert_int_eq(digest_auth_alloc(&da, "sip.twilio.com", 300), 0);
	ck_assert_int_eq(digest_challenge_print(mb, da, 407, false), 0);
	ck_assert_int_eq(re_regex((char *)mb->buf, mb->end,
				  "nonce=\"[^\"]+\"", &nonce), 0);

	re_snprintf(hdr, sizeof(hdr), "Digest username=\"a\","
		    "realm=\"sip.twilio.com\",nonce=\"%r\",uri=\"sip:x\","
		    "response=\"0123456789abcdef0123456789abcdef\","
		    "qop=auth,nc=00000001,cnonce=\"c\"", &nonce);
	pl_set_str(&h, hdr);
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);

	ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_FRESH);
	ck_assert_int_eq(digest_nonce_accept(da, &c), 0);
	ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_REPLAY);

	vclock_advance(300 * 1000);
	ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_STALE);

	/* a forged nonce is not ours */
	hdr[strlen("Digest username=\"a\",realm=\"sip.twilio.com\","
		   "nonce=\"") + 30] ^= 1;
	pl_set_str(&h, hdr);
	ck_assert_int_eq(digest_cred_decode(&c, &h), 0);
	ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_UNKNOWN);

	mem_deref(mb);
	mem_deref(da);
}
END_TEST


static char *ckey(const char *uri)
{
	struct uri u;
	struct pl pl;
	char *key = NULL;

	pl_set_str(&pl, uri);
	ck_assert_int_eq(uri_decode(&u, &pl), 0);
	ck_assert_int_eq(contact_key(&key, &u), 0);

	return key;
}


static bool same(const char *a, const char *b)
{
	char *ka = ckey(a), *kb = ckey(b);
	bool eq = !strcmp(ka, kb);

	mem_deref(ka);
	mem_deref(kb);

	return eq;
}


/* a challenge from da, answered with nc: the credentials decoded into c
 * (hdr keeps the text they point into) */
static void challenge_cred(struct digest_auth *da, struct digest_cred *c,
			   char *hdr, size_t sz, const char *nc)
{
	struct mbuf *mb = mbuf_alloc(256);
	struct pl nonce, h;

	ck_assert_ptr_nonnull(mb);
	ck_assert_int_eq(digest_challenge_print(mb, da, 407, false), 0);
	ck_assert_int_eq(re_regex((char *)mb->buf, mb->end,
				  "nonce=\"[^\"]+\"", &nonce), 0);
	re_snprintf(hdr, sz, "Digest username=\"a\",realm=\"sip.twilio.com\","
		    "nonce=\"%r\",uri=\"sip:x\","
		    "response=\"0123456789abcdef0123456789abcdef\","
		    "qop=auth,nc=%s,cnonce=\"c\"", &nonce, nc);
	mem_deref(mb);
	pl_set_str(&h, hdr);
	ck_assert_int_eq(digest_cred_decode(c, &h), 0);
}


/* replay protection in constant memory: a nonce whose pool slot a later
 * challenge took over is stale, never fresh again, whatever its nc */
START_TEST(test_nonce_pool_taken_over)
{
	struct digest_auth *da;
	struct digest_cred a, a2, b, x;
	char ha[512], ha2[512], hb[512], hx[512];
	struct digest_stats st;

	vclock_reset();
	ck_assert_int_eq(digest_auth_alloc(&da, "sip.twilio.com", 300), 0);
	ck_assert_int_eq(digest_auth_pool(da, DIGEST_POOL_MIN - 1), EINVAL);
	ck_assert_int_eq(digest_auth_pool(da, DIGEST_POOL_MAX + 1), EINVAL);
	ck_assert_int_eq(digest_auth_pool(da, 16), 0);

	/* a is used once, then 15 challenges: its slot is still its own */
	challenge_cred(da, &a, ha, sizeof(ha), "00000001");
	ck_assert_int_eq(digest_nonce_check(da, &a), NONCE_FRESH);
	ck_assert_int_eq(digest_nonce_accept(da, &a), 0);
	for (int i = 0; i < 15; i++)
		challenge_cred(da, &x, hx, sizeof(hx), "00000001");
	re_snprintf(ha2, sizeof(ha2), "%s", ha);
	memcpy(strstr(ha2, "nc=0000000") + 10, "2", 1);
	{
		struct pl h;

		pl_set_str(&h, ha2);
		ck_assert_int_eq(digest_cred_decode(&a2, &h), 0);
	}
	ck_assert_int_eq(digest_nonce_check(da, &a), NONCE_REPLAY);
	ck_assert_int_eq(digest_nonce_check(da, &a2), NONCE_FRESH);

	/* the 16th takes a's slot over: stale, with either nc */
	challenge_cred(da, &b, hb, sizeof(hb), "00000001");
	ck_assert_int_eq(digest_nonce_check(da, &a), NONCE_STALE);
	ck_assert_int_eq(digest_nonce_check(da, &a2), NONCE_STALE);
	ck_assert_int_eq(digest_nonce_accept(da, &a2), ENOENT);
	ck_assert_int_eq(digest_nonce_check(da, &b), NONCE_FRESH);

	digest_auth_stats(da, &st);
	ck_assert_uint_eq(st.slots, 16);
	ck_assert_uint_eq(st.used, 0);         /* a's use went with its slot */
	ck_assert_uint_eq(st.bytes, 16 * 12);
	ck_assert_uint_eq(st.taken_over, 2);

	mem_deref(da);
}
END_TEST


/* driven far past its bound, the pool holds no more than its slots and
 * every nonce but the last 16 is stale */
START_TEST(test_nonce_pool_bounded)
{
	struct digest_auth *da;
	struct digest_cred c, first;
	char h[512], hfirst[512];
	struct digest_stats st;

	vclock_reset();
	ck_assert_int_eq(digest_auth_alloc(&da, "sip.twilio.com", 300), 0);
	ck_assert_int_eq(digest_auth_pool(da, 16), 0);

	challenge_cred(da, &first, hfirst, sizeof(hfirst), "00000001");
	ck_assert_int_eq(digest_nonce_accept(da, &first), 0);
	for (int i = 0; i < 20000; i++) {
		challenge_cred(da, &c, h, sizeof(h), "00000001");
		ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_FRESH);
		ck_assert_int_eq(digest_nonce_accept(da, &c), 0);
		ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_REPLAY);
	}

	digest_auth_stats(da, &st);
	ck_assert_uint_eq(st.used, 16);
	ck_assert_uint_eq(digest_nonce_count(da), 16);
	ck_assert_uint_eq(st.bytes, 16 * 12);
	ck_assert_int_eq(digest_nonce_check(da, &first), NONCE_STALE);

	/* reset forgets the uses, as the table of seen nonces did */
	digest_auth_reset(da);
	ck_assert_uint_eq(digest_nonce_count(da), 0);
	ck_assert_int_eq(digest_nonce_check(da, &c), NONCE_FRESH);

	mem_deref(da);
}
END_TEST


START_TEST(test_uri_equivalence)
{
	/* R-URI-01 */
	ck_assert(same("sip:%61lice@AtLanTa.CoM;Transport=tcp",
		       "sip:alice@atlanta.com;transport=TCP"));
	ck_assert(same("sip:carol@chicago.com;newparam=5",
		       "sip:carol@chicago.com"));
	/* R-URI-02 */
	ck_assert(!same("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	ck_assert(!same("sip:bob@biloxi.com",
			"sip:bob@biloxi.com;transport=udp"));
	ck_assert(!same("sip:ALICE@AtLanTa.CoM", "sip:alice@atlanta.com"));
}
END_TEST


START_TEST(test_aor_key)
{
	struct uri u;
	struct pl pl;
	char *key = NULL;

	pl_set_str(&pl, "sip:%61lice@EXAMPLE.sip.us1.twilio.com;user=phone");
	ck_assert_int_eq(uri_decode(&u, &pl), 0);
	ck_assert_int_eq(aor_key(&key, &u), 0);
	ck_assert_str_eq(key, "alice@example.sip.us1.twilio.com");
	mem_deref(key);
}
END_TEST


FIXTURE_MAIN("digest and URIs",
	FIXTURE_CASE("digest", NULL, NULL, 0, 0,
		test_rfc2617_vector, test_rfc7616_md5_vector,
		test_cred_malformed, test_cred_quoted_values, test_nonce_life,
		test_nonce_pool_taken_over, test_nonce_pool_bounded,
		test_uri_equivalence, test_aor_key))
