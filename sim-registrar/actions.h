/**
 * @file actions.h  Programmable registrar actions, for judging a phone
 * under test (harness phone mode, docs/rules/phone.md).
 *
 * An action changes how the registrar answers the REGISTERs of one AOR
 * (or of every AOR): grant fewer seconds than asked (P-REG-REFRESH,
 * P-REG-SHORTENED), answer 423 + Min-Expires, 403, 503 + Retry-After, a
 * challenge with stale=true (P-REG-423/-403/-503/-STALE), or hold the
 * reply back (P-REG-OVERLAP).  Each is one-shot (count 1), N-shot, or
 * persistent (count 0) until removed or until a virtual-clock deadline.
 *
 * Where the REGISTER pipeline (registrar.c) consults them:
 *   - hold: before every stage, for a REGISTER that carries credentials
 *     (its retransmissions are swallowed while it is held; then the whole
 *     pipeline runs on it as usual);
 *   - grant, reply, stale: a stage after authentication, contacts,
 *     wildcard and fetch (so only an authenticated REGISTER that adds or
 *     refreshes a binding is touched: un-registering is never refused).
 * A reply action answers instead of every later stage; grant actions cap
 * the expiry of every contact (the smallest live grant wins, and every
 * one-shot grant that took part is used up).  Every use is reported to
 * the handler (reg_actions_set_handler) with the request.
 *
 * Single thread: the registrar's loop.
 */

#ifndef SIPCONFORM_ACTIONS_H
#define SIPCONFORM_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct sip_msg;
struct registrar;

enum reg_action_type {
	REG_ACTION_GRANT,      /* grant at most `value` seconds            */
	REG_ACTION_REPLY,      /* answer `code`: 423 with Min-Expires:
				  value, 503 with Retry-After: value (0:
				  none), 403 (value unused), any other    */
	REG_ACTION_STALE,      /* the challenge again, stale=true, with a
				  fresh nonce, although the credentials
				  were good                               */
	REG_ACTION_HOLD,       /* hold the reply back `value` ms           */
};

struct reg_action {
	enum reg_action_type type;
	uint16_t code;         /* REG_ACTION_REPLY                         */
	uint32_t value;
	uint32_t count;        /* REGISTERs it acts on; 0: until removed  */
	uint64_t until_ms;     /* vclock ms after which it is gone; 0: no */
	char aor[128];         /* "user@domain" (lower case); "": any AOR */
};

/* one use of an action, for the judge */
struct reg_action_use {
	uint32_t id;           /* as reg_actions_add returned it           */
	const struct reg_action *act;
	const struct sip_msg *msg; /* the REGISTER acted on                */
	uint32_t value;        /* what was used: granted seconds, header
				  value, ms held                          */
	bool done;             /* that was its last use                    */
};

typedef void (reg_action_h)(const struct reg_action_use *use, void *arg);

struct reg_actions;

int  reg_actions_alloc(struct reg_actions **rap);
/* *idp (may be NULL) gets an id for reg_actions_remove() */
int  reg_actions_add(struct reg_actions *ra, const struct reg_action *a,
		     uint32_t *idp);
int  reg_actions_remove(struct reg_actions *ra, uint32_t id);
/* forgets every action and lets every held request go unanswered */
void reg_actions_clear(struct reg_actions *ra);
unsigned reg_actions_count(const struct reg_actions *ra);
void reg_actions_set_handler(struct reg_actions *ra, reg_action_h *h,
			     void *arg);
const char *reg_action_type_name(enum reg_action_type t);

/* ---- for the registrar pipeline (registrar.c) ---- */

/*
 * The live action of this type for the AOR (NULL: none).  REG_ACTION_GRANT:
 * use reg_actions_grant() instead, which folds every live grant.
 */
const struct reg_action *reg_actions_find(struct reg_actions *ra,
					  enum reg_action_type type,
					  const char *aor);
/* the action was used on msg with value; one-shot ones are then gone */
void reg_actions_used(struct reg_actions *ra, const struct reg_action *a,
		      const struct sip_msg *msg, uint32_t value);

/*
 * Grant actions for the AOR: returns the smallest live cap (UINT32_MAX:
 * none).  With msg set they are used up (and reported with the granted
 * value `got`, which the caller computes from the cap); without, nothing
 * changes.
 */
uint32_t reg_actions_grant(struct reg_actions *ra, const char *aor);
void     reg_actions_grant_used(struct reg_actions *ra, const char *aor,
				const struct sip_msg *msg, uint32_t got);

typedef void (reg_hold_h)(const struct sip_msg *msg, void *arg);

/*
 * A REGISTER with credentials for the AOR, while a hold action is live:
 * kept (a reference), and resume(msg, arg) runs after the hold; true is
 * returned and the caller answers nothing now.  A retransmission of a
 * held request (same Call-ID, CSeq and Via branch) is swallowed: true.
 * false: go on as usual.
 */
bool reg_actions_hold(struct reg_actions *ra, const struct sip_msg *msg,
		      const char *aor, reg_hold_h *resume, void *arg);

/*
 * Hook in registrar.c: the registrar consults ra (NULL: no actions).
 * Declared here, not in registrar.h, as part of the phone-mode hooks.
 */
void registrar_set_actions(struct registrar *r, struct reg_actions *ra);

#endif
