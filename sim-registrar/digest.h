/**
 * @file digest.h  Digest authentication for the registrar (RFC 2617/7616,
 * MD5, qop=auth): nonces checked by their MAC, nc replay tracking in a
 * fixed pool of nonce slots (constant memory), the challenge header, and
 * a constant-time response check.
 *
 * Replay protection: each challenge gives its nonce the next slot of the
 * pool (ring order), where the highest nc accepted with it is kept.  A
 * nonce whose slot a later challenge has taken over is NONCE_STALE (the
 * registrar answers 407 stale=true and the phone retries with the new
 * nonce), never accepted.  So the pool should hold the challenges of one
 * nonce lifetime at the expected rate for phones to reuse nonces
 * (nc = 2, 3, ...) until the lifetime ends; a smaller pool costs extra
 * challenges, not safety.  12 bytes a slot, allocated once.
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
	NONCE_STALE,      /* issued by us, lifetime over or slot taken over */
	NONCE_UNKNOWN,    /* not ours (forged, or from an earlier process) */
	NONCE_REPLAY,     /* nc not above the last one accepted            */
};

struct digest_auth;

/* pool sizes (slots): the default, and what digest_auth_pool() takes */
enum {
	DIGEST_POOL_DEFAULT = 65536,
	DIGEST_POOL_MIN     = 16,
	DIGEST_POOL_MAX     = 16777216,
};

struct digest_stats {
	uint32_t slots;           /* the pool's size                       */
	uint32_t used;            /* slots of nonces accepted at least once */
	uint64_t bytes;           /* the pool's memory                     */
	uint64_t taken_over;      /* uses refused: slot taken over (stale)  */
};

/* with a pool of DIGEST_POOL_DEFAULT slots */
int  digest_auth_alloc(struct digest_auth **dap, const char *realm,
		       uint32_t nonce_lifetime_s);
/* a pool of `slots` instead (EINVAL outside MIN..MAX); the nonces
 * issued so far become stale */
int  digest_auth_pool(struct digest_auth *da, uint32_t slots);
void digest_auth_stats(const struct digest_auth *da,
		       struct digest_stats *st);
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
/* remember cred's nc as the last accepted one for its nonce (after
 * digest_nonce_check() said NONCE_FRESH); ENOENT: its slot is gone */
int  digest_nonce_accept(struct digest_auth *da,
			 const struct digest_cred *cred);
/* slots holding a nonce accepted at least once */
uint32_t digest_nonce_count(const struct digest_auth *da);

#endif
