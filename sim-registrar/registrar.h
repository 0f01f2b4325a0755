/**
 * @file registrar.h  REGISTER, OPTIONS and method handling on one SIP
 * stack, driven by the rules table and the configuration.
 */

#ifndef SIPCONFORM_REGISTRAR_H
#define SIPCONFORM_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>
#include "rules.h"
#include "decision.h"
#include "digest.h"
#include "reply_cache.h"

struct sip;
struct sip_msg;
struct mbuf;
struct reg_config;
struct location;
struct digest_auth;
struct digest_cred;

/*
 * What the registrar and the calls (calls.h) are both built on: the SIP
 * stack, the configuration, the location service, a digest authenticator
 * of the profile's realm, and where decisions go.  init checks the
 * arguments (EINVAL) and allocates the authenticator; close frees it.
 */
struct reg_base {
	struct sip *sip;
	const struct reg_config *cfg;
	struct location *loc;
	struct digest_auth *auth;
	decision_h *dh;
	void *arg;
};

int  reg_base_init(struct reg_base *b, struct sip *sip,
		   const struct reg_config *cfg, struct location *loc,
		   decision_h *dh, void *arg);
void reg_base_close(struct reg_base *b);

/*
 * Digest credentials for the profile's realm among msg's
 * Proxy-Authorization (proxy) or Authorization headers: true when found,
 * cred filled; a Digest header naming the realm that does not decode is
 * found with only cred->realm set (a malformed digest).  other_realm (may
 * be NULL) is set when one for another realm was seen.  REGISTER and
 * INVITE (calls.h) look for credentials alike.
 */
bool reg_cred_find(const struct reg_config *cfg, const struct sip_msg *msg,
		   bool proxy, struct digest_cred *cred, bool *other_realm);

/* REG-MSG-1: the "Unsupported:" line (CRLF ended) answering every tag
 * of msg's Require headers, since no extension is supported here;
 * *mbp NULL when msg has none */
int reg_unsupported(struct mbuf **mbp, const struct sip_msg *msg);

struct registrar;

int  registrar_alloc(struct registrar **rp, struct sip *sip,
		     const struct reg_config *cfg, struct location *loc,
		     decision_h *dh, void *arg);
void registrar_reset(struct registrar *r);

/* what the per-request tables hold now (GET /health): both bounded */
struct registrar_mem {
	struct digest_stats nonces;         /* REGISTER's nonce pool       */
	struct reply_cache_stats replies;   /* answers kept for Timer J    */
};
void registrar_mem(const struct registrar *r, struct registrar_mem *m);

/*
 * A retransmission of a request answered before: answered again (or 482
 * for a merged request, RFC 3261 8.2.2.2), true.  Ask before anything
 * else: replies are stateless (reply_cache.h).
 */
bool registrar_replay(struct registrar *r, const struct sip_msg *msg);

/* true when the request was answered (every request is, but ACK) */
bool registrar_request(struct registrar *r, const struct sip_msg *msg);

/*
 * Answer msg as rule `id` says (the profile may change code and reason;
 * a non-zero scode replaces both), with extra header lines in `hdrs`
 * (may be NULL), and report the decision.  id RULE_COUNT: plain RFC 3261
 * behaviour that no row of the table covers.
 */
int  registrar_reply(struct registrar *r, const struct sip_msg *msg,
		     enum rule_id id, uint16_t scode, const char *reason,
		     const char *aor, const char *detail,
		     const struct mbuf *hdrs);

#endif
