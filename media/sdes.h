/**
 * @file sdes.h  SDES keys (RFC 4568) and SRTP/SRTCP protection of one
 * stream (RFC 3711) on libre's srtp.
 *
 * One crypto suite: AES_CM_128_HMAC_SHA1_80, a 30-byte master key||salt
 * carried inline in base64 (MEDIA-SRTP-1).  An a=crypto value is
 *   <tag> AES_CM_128_HMAC_SHA1_80 inline:<base64 of 30 bytes>[|lifetime]
 * Another suite, an MKI or a session parameter is not ours (ENOTSUP: the
 * offerer may list others); a value that is not of that form, or our
 * suite with a key of the wrong length, is malformed (EBADMSG).
 *
 * A stream protects what it sends with its own key and unprotects what
 * it receives with the peer's; a packet that fails authentication (or is
 * a replay) is refused with an error and left for the caller to count.
 */

#ifndef SIPCONFORM_MEDIA_SDES_H
#define SIPCONFORM_MEDIA_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;
struct pl;
struct re_printf;

enum {
	SDES_KEY_LEN = 30,    /* AES-128 master key (16) || salt (14) */
	SDES_TAG_LEN = 10,    /* HMAC-SHA1-80 authentication tag       */
	SDES_OVERHEAD = 16,   /* room an SRTP/SRTCP packet grows by    */
};

extern const char sdes_suite[];   /* "AES_CM_128_HMAC_SHA1_80" */

struct sdes_crypto {
	uint32_t tag;
	uint8_t key[SDES_KEY_LEN];
};

/* a fresh random master key and salt */
void sdes_keygen(uint8_t key[SDES_KEY_LEN]);

/* the value of an a=crypto attribute (what follows "a=crypto:") */
int  sdes_crypto_decode(struct sdes_crypto *c, const struct pl *val);
/* "<tag> AES_CM_128_HMAC_SHA1_80 inline:<base64>" */
int  sdes_crypto_print(struct re_printf *pf, const struct sdes_crypto *c);

/* SRTP of one stream: tx_key protects what we send, rx_key unprotects
 * what we receive (either may be NULL: that direction stays plain) */
struct media_srtp;
int  media_srtp_alloc(struct media_srtp **sp, const uint8_t *tx_key,
		      const uint8_t *rx_key);
/* same keys as sp already has (nothing to re-create) */
bool media_srtp_same(const struct media_srtp *s, const uint8_t *tx_key,
		     const uint8_t *rx_key);

/* mb: one RTP (rtcp false) or RTCP packet from its position to its end;
 * protect appends the tag (mb needs SDES_OVERHEAD bytes of room past its
 * end if it is not a heap mbuf), unprotect strips it.  Position kept. */
int  media_srtp_protect(struct media_srtp *s, struct mbuf *mb, bool rtcp);
int  media_srtp_unprotect(struct media_srtp *s, struct mbuf *mb, bool rtcp);

#endif
