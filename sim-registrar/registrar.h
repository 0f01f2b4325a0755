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
