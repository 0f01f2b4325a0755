/**
 * @file sim_registrar.h  The reference registrar as one object: a SIP stack
 * on UDP+TCP (and TLS), the registrar, its location service and, when
 * asked, the control API.  The CLI (main.c) and the harness (in-process)
 * both build on this.
 */

#ifndef SIPCONFORM_SIM_REGISTRAR_H
#define SIPCONFORM_SIM_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decision.h"
#include "guard.h"
#include "calls.h"

struct sa;
struct sip;
struct reg_actions;
struct reg_config;
struct location;
struct pstn;
struct registrar;

struct sim_registrar_opts {
	const struct sa *listen;   /* UDP and TCP; port 0 picks one        */
	const struct sa *tls;      /* NULL: no TLS                         */
	const char *tls_cn;        /* the self-signed certificate's name;
				      NULL: "sim-registrar"               */
	const char *tls_cert_pem;  /* a certificate and its key (PEM text) */
	const char *tls_key_pem;   /*   instead of a self-signed one       */
	const struct sa *control;  /* NULL: no control API                 */
	const char *state;         /* state file (persist.h), or NULL      */
	const char *control_token; /* Bearer token for the control API;
				      required off loopback              */
	bool verbose;              /* full messages in the log             */
	decision_h *dh;            /* NULL: one line per decision, stderr  */
	bool dh_calls;             /* dh also gets a call's own decisions,
				      those with no request (msg NULL);
				      false: they are only recorded       */
	guard_h *guardh;           /* undecodable requests; NULL: stderr   */
	call_event_h *callh;       /* every call's events; NULL: none      */
	uint32_t media_capture_ms; /* calls_set_capture(); 0: none         */
	void *arg;
	/* phone-mode hook: every SIP message sent or received, whole, with
	 * its transport (enum sip_transp) and addresses; NULL: none (-v
	 * still prints them) */
	void (*traceh)(bool tx, int tp, const struct sa *src,
		       const struct sa *dst, const uint8_t *pkt, size_t len,
		       void *arg);
};

struct sim_registrar;

/* takes a reference to cfg */
int  sim_registrar_alloc(struct sim_registrar **srp, struct reg_config *cfg,
			 const struct sim_registrar_opts *opts);
int  sim_registrar_laddr(const struct sim_registrar *sr, int tp,
			 struct sa *laddr);
int  sim_registrar_control_laddr(const struct sim_registrar *sr,
				 struct sa *laddr);
struct location *sim_registrar_location(const struct sim_registrar *sr);
/* the REGISTER side, for its table sizes (registrar_mem()) */
const struct registrar *sim_registrar_registrar(const struct sim_registrar *sr);
const struct reg_config *sim_registrar_config(const struct sim_registrar *sr);
void sim_registrar_reset(struct sim_registrar *sr);
unsigned sim_registrar_restored(const struct sim_registrar *sr);
/* a graceful stop, before mem_deref: the state file written whole (the
 * journal emptied).  Without it (kill -9) the next start replays the
 * journal instead; both restore the same bindings */
int  sim_registrar_shutdown(struct sim_registrar *sr);

/*
 * Calls (calls.h).  The outside network calls `to`, one of the account's
 * numbers, from `from` (a caller ID, E.164 expected), as the service's
 * REST API would: the number's application runs on the next loop turn.
 * The call's SID ("CA" + 32 hex digits) is written into sid (35 bytes);
 * h (may be NULL) gets its events: ringing, answered (answered_by: the
 * binding's contact URI, the number, or "application"), ended (scode and
 * the rule ID that decided).  EINVAL: bad from; ENOENT: `to` is not a
 * number of the account.
 */
int  sim_registrar_call(struct sim_registrar *sr, const char *from,
			const char *to, call_event_h *h, void *arg,
			char *sid, size_t sidsz);
/* the outside caller hangs up: CANCEL to every branch while ringing
 * (RING-6), BYE once answered */
int  sim_registrar_hangup(struct sim_registrar *sr, const char *sid);
int  sim_registrar_call_info(const struct sim_registrar *sr,
			     const char *sid, struct call_info *ci);
struct calls *sim_registrar_calls(const struct sim_registrar *sr);
/* what the simulated outside network got (pstn.h: pstn_apply) */
struct pstn *sim_registrar_pstn(const struct sim_registrar *sr);

/*
 * Phone-mode hooks (harness phone, ../harness/phone_mode.c): the
 * registrar's programmable actions (actions.h), always there, empty
 * unless armed; and its SIP stack, for requests of the harness's own
 * (P-METHOD probes) sent from the registrar's address.
 */
struct reg_actions *sim_registrar_actions(const struct sim_registrar *sr);
struct sip *sim_registrar_sip(const struct sim_registrar *sr);
/* the TLS context (NULL: no TLS): its certificate, for the harness to
 * print, write and swap (P-TLS's wrong-name pass) */
struct tls *sim_registrar_tls(const struct sim_registrar *sr);

/* the rule ID of a recent decision on the request (Call-ID, CSeq);
 * a call's own decisions: its SID and CSeq 0 */
const char *sim_registrar_decision(const struct sim_registrar *sr,
				   const char *callid, uint32_t cseq,
				   uint16_t *scode);

#endif
