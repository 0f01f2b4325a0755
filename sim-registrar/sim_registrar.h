/**
 * @file sim_registrar.h  The reference registrar as one object: a SIP stack
 * on UDP+TCP (and TLS), the registrar, its location service and, when
 * asked, the control API.  The CLI (main.c) and the harness (in-process)
 * both build on this.
 */

#ifndef SIPCONFORM_SIM_REGISTRAR_H
#define SIPCONFORM_SIM_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>
#include "decision.h"
#include "guard.h"

struct sa;
struct reg_config;
struct location;

struct sim_registrar_opts {
	const struct sa *listen;   /* UDP and TCP; port 0 picks one        */
	const struct sa *tls;      /* NULL: no TLS                         */
	const struct sa *control;  /* NULL: no control API                 */
	const char *state;         /* state file (persist.h), or NULL      */
	bool verbose;              /* full messages in the log             */
	decision_h *dh;            /* NULL: one line per decision, stderr  */
	guard_h *guardh;           /* undecodable requests; NULL: stderr   */
	void *arg;
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
const struct reg_config *sim_registrar_config(const struct sim_registrar *sr);
void sim_registrar_reset(struct sim_registrar *sr);
unsigned sim_registrar_restored(const struct sim_registrar *sr);

/* the rule ID of a recent decision on the request (Call-ID, CSeq) */
const char *sim_registrar_decision(const struct sim_registrar *sr,
				   const char *callid, uint32_t cseq,
				   uint16_t *scode);

#endif
