/**
 * @file phone_digest.h  Client side of HTTP digest (RFC 2617, MD5) for the
 * simulated phone: remember the last challenge, answer it, count nc.
 *
 * Internal to sim-phone.  Include <re.h> first.
 */

/** The challenge a phone answers (and reuses until a new one comes) */
struct phone_digest {
	char *realm;
	char *nonce;
	char *opaque;       /* NULL: none to echo                */
	bool qop_auth;      /* qop=auth offered: cnonce and nc   */
	bool proxy;         /* 407: Proxy-Authorization          */
	uint32_t nc;        /* uses of this nonce so far         */
	bool replay;        /* misbehave: the same nc again      */
	int header;         /* enum phone_auth_header            */
};

int  phone_digest_challenge(struct phone_digest *dg,
			    const struct sip_msg *msg, bool *stale);
int  phone_digest_header(char **hdrp, struct phone_digest *dg,
			 const char *user, const char *password,
			 const char *method, const char *uri);
bool phone_digest_isset(const struct phone_digest *dg);
void phone_digest_reset(struct phone_digest *dg);
