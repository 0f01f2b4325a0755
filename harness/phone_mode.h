/**
 * @file phone_mode.h  `harness phone`: the reference registrar plays the
 * hosted service for a real phone and judges it by the P-* rules of
 * docs/rules/phone.md, one step of the phone pack
 * (../scenarios/phone/, *.phone files) per rule, in real time; the report
 * adds a configuration guide (../reports/guide.h).
 *
 *   harness phone --aor USER@DOMAIN --password PW [--listen IP:PORT]
 *                 [--report DIR] [--auto-answer] [--register-timeout S]
 *                 [--operator-timeout S] [--grant-cap S] [--config FILE]
 *                 [-v] [PACK...]
 *
 * Exit status: 0 no rule FAILed (WARN, INFO and SKIP allowed), 1 some rule
 * FAILed, 2 bad usage or a bad pack file, 3 the infrastructure failed
 * (address in use, the phone never registered).
 */

#ifndef SIPCONFORM_PHONE_MODE_H
#define SIPCONFORM_PHONE_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ydoc;

/* one step of the phone pack: a *.phone file */
struct pstep {
	char *file;
	char *name;
	char *description;
	char *rule;                  /* a P-* ID of judge.c's table        */
	/* reply: how the registrar answers the REGISTER the step awaits */
	bool has_reply;
	uint32_t grant;              /* 0: none                            */
	bool grant_half;             /* half the grant cap (or the asked)  */
	uint16_t code;               /* 423, 403, 503                      */
	uint32_t min_expires;
	uint32_t retry_after;
	bool stale;
	uint64_t hold_ms;
	uint32_t grant_cap;          /* from this step on, grant at most
					this (0: unchanged)               */
	uint64_t within_ms;          /* how long the step waits (0: its
					default)                          */
	uint64_t window_ms;          /* observation after the reply        */
	/* call: the registrar dials the phone */
	bool call;
	bool call_previous;          /* judge the previous step's call     */
	bool fork;                   /* a simulated second phone rings too */
	char *from;
	char *to;
	uint64_t talk_ms;
	/* send: the harness's own requests to the phone (P-METHOD) */
	bool send_unknown;
	bool send_unsupported;
	bool send_require;
	char *prompt;                /* a person must do something         */
};

/* load one pack file; errors go to doc's list (file:line:col) */
int  pstep_load(struct pstep **stp, struct ydoc **docp, const char *path);

/* the *.phone files of paths (files as given, folders sorted) */
int  phone_pack_collect(const char *const *paths, size_t n, char ***filevp,
			size_t *filecp);

/* `harness phone ...` (argv[0] is "phone") */
int  phone_main(int argc, char *argv[]);

#endif
