/**
 * @file sdes.c  SDES keys and SRTP/SRTCP of one stream (see sdes.h)
 */

#include <string.h>
#include <re.h>
#include "sdes.h"


enum { B64_LEN = 40 };    /* base64 of SDES_KEY_LEN bytes, no padding */

const char sdes_suite[] = "AES_CM_128_HMAC_SHA1_80";

struct media_srtp {
	struct srtp *tx, *rx;
	uint8_t tx_key[SDES_KEY_LEN], rx_key[SDES_KEY_LEN];
};


void sdes_keygen(uint8_t key[SDES_KEY_LEN])
{
	rand_bytes(key, SDES_KEY_LEN);
}


static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/';
}


/* "inline:<key>[|lifetime]": one key, no MKI */
static int key_decode(struct sdes_crypto *c, const struct pl *kp)
{
	uint8_t buf[SDES_KEY_LEN + 8];
	struct pl key, rest;
	size_t i, n = sizeof(buf);

	if (kp->l < 7 || memcmp(kp->p, "inline:", 7))
		return EBADMSG;

	key.p = kp->p + 7;
	key.l = kp->l - 7;
	rest.p = pl_strchr(&key, '|');
	if (rest.p) {
		rest.l = (size_t)(key.p + key.l - rest.p);
		key.l = (size_t)(rest.p - key.p);
		/* lifetime is fine; an MKI (n:len) puts bytes in every
		 * packet, which we do not do */
		if (pl_strchr(&rest, ':'))
			return ENOTSUP;
	}
	if (pl_strchr(&key, ';'))
		return ENOTSUP;           /* more than one key */

	if (key.l != B64_LEN)
		return EBADMSG;
	for (i = 0; i < key.l; i++) {
		if (!b64_char(key.p[i]))
			return EBADMSG;
	}

	if (base64_decode(key.p, key.l, buf, &n) || n != SDES_KEY_LEN)
		return EBADMSG;

	memcpy(c->key, buf, SDES_KEY_LEN);

	return 0;
}


int sdes_crypto_decode(struct sdes_crypto *c, const struct pl *val)
{
	struct pl tag, suite, kp, rest;
	int err;

	if (!c || !val)
		return EINVAL;

	if (re_regex(val->p, val->l, "[0-9]+[ ]+[^ ]+[ ]+[^ ]+[^]*",
		     &tag, NULL, &suite, NULL, &kp, &rest) || tag.l > 9)
		return EBADMSG;

	if (kp.l < 7 || memcmp(kp.p, "inline:", 7))
		return EBADMSG;

	if (pl_strcmp(&suite, sdes_suite))
		return ENOTSUP;

	err = key_decode(c, &kp);
	if (err)
		return err;

	/* session parameters (UNENCRYPTED_SRTP, KDR, ...) change the
	 * transform: not ours */
	while (rest.l && rest.p[0] == ' ')
		pl_advance(&rest, 1);
	if (rest.l)
		return ENOTSUP;

	c->tag = pl_u32(&tag);

	return 0;
}


int sdes_crypto_print(struct re_printf *pf, const struct sdes_crypto *c)
{
	char b64[B64_LEN + 4];
	size_t n = sizeof(b64);
	int err;

	if (!c)
		return EINVAL;

	err = base64_encode(c->key, SDES_KEY_LEN, b64, &n);
	if (err)
		return err;

	return re_hprintf(pf, "%u %s inline:%b", c->tag, sdes_suite, b64, n);
}


/* ------------------------------------------------------------- SRTP */

static void destructor(void *data)
{
	struct media_srtp *s = data;

	mem_deref(s->tx);
	mem_deref(s->rx);
}


int media_srtp_alloc(struct media_srtp **sp, const uint8_t *tx_key,
		     const uint8_t *rx_key)
{
	struct media_srtp *s;
	int err = 0;

	if (!sp)
		return EINVAL;

	s = mem_zalloc(sizeof(*s), destructor);
	if (!s)
		return ENOMEM;

	if (tx_key) {
		memcpy(s->tx_key, tx_key, SDES_KEY_LEN);
		err = srtp_alloc(&s->tx, SRTP_AES_CM_128_HMAC_SHA1_80,
				 tx_key, SDES_KEY_LEN, 0);
	}
	if (!err && rx_key) {
		memcpy(s->rx_key, rx_key, SDES_KEY_LEN);
		err = srtp_alloc(&s->rx, SRTP_AES_CM_128_HMAC_SHA1_80,
				 rx_key, SDES_KEY_LEN, 0);
	}

	if (err)
		mem_deref(s);
	else
		*sp = s;

	return err;
}


static bool key_same(const struct srtp *ctx, const uint8_t *have,
		     const uint8_t *key)
{
	if (!ctx || !key)
		return !ctx && !key;

	return !memcmp(have, key, SDES_KEY_LEN);
}


bool media_srtp_same(const struct media_srtp *s, const uint8_t *tx_key,
		     const uint8_t *rx_key)
{
	return s && key_same(s->tx, s->tx_key, tx_key) &&
		key_same(s->rx, s->rx_key, rx_key);
}


int media_srtp_protect(struct media_srtp *s, struct mbuf *mb, bool rtcp)
{
	if (!s || !mb)
		return EINVAL;
	if (!s->tx)
		return 0;

	return rtcp ? srtcp_encrypt(s->tx, mb) : srtp_encrypt(s->tx, mb);
}


int media_srtp_unprotect(struct media_srtp *s, struct mbuf *mb, bool rtcp)
{
	const size_t pos = mb ? mb->pos : 0;
	int err;

	if (!s || !mb)
		return EINVAL;
	if (!s->rx)
		return 0;

	/* shorter than a header and the tag: libre would read past it */
	if (mbuf_get_left(mb) < (rtcp ? 8u + 4 : 12u) + SDES_TAG_LEN)
		return EBADMSG;

	err = rtcp ? srtcp_decrypt(s->rx, mb) : srtp_decrypt(s->rx, mb);
	mb->pos = pos;

	return err;
}
