/**
 * @file digest.h  Digest authentication for the registrar (RFC 2617/7616,
 * MD5, qop=auth): stateless nonces, nc replay tracking, the challenge
 * header, and a constant-time response check.
 */

#ifndef SIPCONFORM_DIGEST_H
#define SIPCONFORM_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

struct pl;
struct mbuf;

/* the fields of a Digest credentials header (pointing into the message) */
struct digest_cred {
	struct pl realm;
	struct pl nonce;
	struct pl response;
	struct pl username;
	struct pl uri;
	struct pl nc;
	struct pl cnonce;
	struct pl qop;
	struct pl opaque;
	struct pl algorithm;
};

enum nonce_state {
	NONCE_FRESH,      /* issued by us, within its lifetime, nc new     */
	NONCE_STALE,      /* issued by us, lifetime over                   */
	NONCE_UNKNOWN,    /* not ours (forged, or from an earlier process) */
	NONCE_REPLAY,     /* nc not above the last one accepted            */
};

struct digest_auth;

int  digest_auth_alloc(struct digest_auth **dap, const char *realm,
		       uint32_t nonce_lifetime_s);
void digest_auth_reset(struct digest_auth *da);

/* `Proxy-Authenticate: ...` (407) or `WWW-Authenticate: ...` (401) line */
int  digest_challenge_print(struct mbuf *mb, struct digest_auth *da,
			    uint16_t scode, bool stale);

/* parse `Digest k=v, ...`; EBADMSG when it is not a digest at all */
int  digest_cred_decode(struct digest_cred *cred, const struct pl *hval);

/*
 * Why the credentials are malformed (NULL: well formed): qop other than
 * auth, qop without nc (8 hex) or cnonce, an algorithm other than MD5,
 * opaque not ours, no response of 32 hex digits.
 */
const char *digest_cred_malformed(const struct digest_auth *da,
				  const struct digest_cred *cred);

/* true when response matches HA1 (32 hex), compared in constant time */
bool digest_cred_verify(const struct digest_cred *cred,
			const struct pl *method, const char *ha1_hex);

enum nonce_state digest_nonce_check(struct digest_auth *da,
				    const struct digest_cred *cred);
/* remember cred's nc as the last accepted one for its nonce */
int  digest_nonce_accept(struct digest_auth *da,
			 const struct digest_cred *cred);
uint32_t digest_nonce_count(const struct digest_auth *da);

#endif
