/**
 * @file scenario.h  A scenario as loaded from YAML (the language is
 * documented in scenarios/README.md).  Loading checks everything a linter
 * can: unknown keys, wrong types, undefined phones, unknown rule IDs, each
 * reported as `file:line:col: message`.
 */

#ifndef SIPCONFORM_SCENARIO_H
#define SIPCONFORM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "phone.h"
#include "sc_faults.h"
#include "sc_media.h"

struct ydoc;
struct reg_config;

enum {
	SC_MAX_COUNT  = 50000,       /* phones made by one `count:` entry  */
	SC_MAX_PHONES = 100000,      /* phones of one scenario in all     */
	SC_MAX_REPEAT = 100000,      /* `repeat: {count}`                 */
};

/* where a thing stood in its file, for error messages and reports */
struct spos {
	unsigned line;
	unsigned col;
};

/*
 * one phone (a `count:` entry is expanded into count phones; `{n}` in
 * user, auth_user and contacts is its index, 1 for a phone without count)
 */
struct sc_phone {
	char *name;                  /* "desk-3"                           */
	char *group;                 /* "desk" for expanded ones, else name */
	unsigned index;              /* 1-based within its group, 0 if none */
	struct phone_conf conf;      /* strings owned by the scenario;
				        conf.name is name.  registrar and
				        laddr are left for the runner      */
	bool has_domain;             /* domain given; else conf.domain is
				        the config's first (or the embedded
				        default's)                        */
	uint32_t share;              /* `share: N`: the phones of this entry
				        go N to a shared socket (struct
				        phone_stack); 0: each its own      */
	bool has_link;               /* `link:` faults from the start      */
	struct linkfault_conf link;
	bool faulted;                /* named by some link fault: its
				        conf.virtual_timeout is set       */
	struct spos pos;
};

/* the step kinds the loader and runners tell apart by value; each is a
 * row of the step table (steps/steps.h), which is what a step is run by */
enum sc_step_type {
	SC_REGISTER,                 /* phone_register, or phone_send with
				        overrides                          */
	SC_REFRESH,                  /* phone_register again               */
	SC_UNREGISTER,
	SC_FETCH,
	SC_EXPECT,
	SC_EXPECT_NO,
	SC_ADVANCE,
	SC_WAIT,
	SC_PARALLEL,
	SC_REPEAT,
	/* calls (phone side) */
	SC_CALL,                     /* place a call to `to`               */
	SC_EXPECT_CALL,              /* an INVITE arrives (headers checked) */
	SC_RING,                     /* 180 to the call that arrived       */
	SC_ANSWER,                   /* 200 after `ms`                     */
	SC_REJECT,                   /* `code`                             */
	SC_IGNORE,                   /* nothing: let it ring               */
	SC_CANCEL,                   /* CANCEL our ringing call            */
	SC_HANGUP,                   /* BYE (or CANCEL/603 as it stands)   */
	SC_REFER,                    /* REFER in the call, to `to`         */
	SC_EXPECT_CANCEL,            /* a CANCEL arrives (Reason checked)  */
	SC_EXPECT_BYE,               /* a BYE arrives                      */
	/* calls from the outside network, through the registrar */
	SC_DIAL,                     /* an outside caller dials `to`       */
	SC_DIAL_HANGUP,              /* ... and hangs up                   */
	SC_EXPECT_DIAL,              /* the call's state and outcome       */
	/* faults */
	SC_LINK,                     /* set or clear the phones' link faults */
	SC_RESTART,                  /* restart the in-process registrar   */
	SC_OTHER,                    /* a kind told apart by its row alone
				        (sc_step.kind): a new step kind
				        needs no value here               */
};

enum sc_state_check {
	SC_STATE_ANY = 0,
	SC_STATE_REGISTERED,
	SC_STATE_FAILED,
	SC_STATE_EXPIRED,
	SC_STATE_IDLE,
};

struct sc_header_check {
	char *name;                  /* header name                        */
	char *regex;                 /* POSIX extended; NULL: must be absent */
};

struct sc_expect {
	uint16_t status;             /* 0: not checked                     */
	char *reason;                /* regex on the reason phrase         */
	struct sc_header_check *hdrv;
	size_t hdrc;
	int64_t granted;             /* -1: not checked; seconds granted to
				        the phone's contact in the 2xx     */
	int64_t contacts;            /* -1: not checked; Contact headers in
				        the response                      */
	char *rule;                  /* the registrar's decision rule ID   */
	enum sc_state_check state;
	enum phone_op op;            /* with has_op: wait for an operation
				        of this kind (e.g. a refresh fired
				        by a timer) to end within `within`;
				        SC_EXPECT_NO: only requests of this
				        kind count                        */
	bool has_op;
	/* registrar state, through the registrar (in-process or control) */
	bool has_bindings;
	char *aor;                   /* "user" or "user@domain"            */
	int64_t binding_count;       /* -1: not checked                    */
	/* what the link faults did to each phone's datagrams */
	bool has_link;
	struct sc_link_check link;
	/* the figures of a phone's media (sc_media.h) */
	bool has_media;
	struct sc_media_check media;
};

struct step_kind;

struct sc_step {
	enum sc_step_type type;
	const struct step_kind *kind; /* its row (steps/steps.h)           */
	struct spos pos;
	char **phonev;               /* resolved phone names (expanded)    */
	size_t phonec;

	/* SC_REGISTER overrides (any set: phone_send instead of register) */
	bool has_req;
	struct phone_req req;        /* strings owned by the scenario      */
	bool wildcard;               /* SC_UNREGISTER: Contact: *          */

	/* SC_EXPECT, or an operation's inline `expect:` (checked for the
	   step's own phones after the operation).  An SC_EXPECT without
	   `phones:` checks the phones of the last operation step before
	   it in the file, or none (phonec 0) if it checks bindings only.
	   SC_EXPECT_NO uses expect.has_op/op only; has_expect is false */
	bool has_expect;
	struct sc_expect expect;
	uint64_t within_ms;          /* EXPECT / EXPECT_NO window, or how
				        long an operation may take (real);
				        default 5 s (EXPECT_NO: 1 s)      */

	uint64_t ms;                 /* SC_ADVANCE (virtual), SC_WAIT (real),
				        SC_ANSWER's delay (virtual)        */
	char *to;                    /* SC_CALL: number or URI; SC_REFER   */
	uint16_t code;               /* SC_REJECT                          */
	char *extra;                 /* SC_CALL: extra header lines        */
	char *digits;                /* press: DTMF digits                 */
	char *from;                  /* SC_DIAL: the caller's number       */
	/* SC_EXPECT_DIAL */
	int dial_state;              /* 0 any, 1 ringing, 2 answered, 3 ended */
	char *answered_by;           /* regex on who answered              */
	int64_t branches;            /* -1: not checked                    */
	int64_t cancels;             /* -1: not checked                    */

	/* SC_LINK */
	struct linkfault_conf link;
	bool link_clear;
	/* SC_RESTART */
	bool restart_kill;           /* as kill -9: no shutdown write      */

	struct sc_step *stepv;       /* SC_PARALLEL children, SC_REPEAT body */
	size_t stepc;
	uint32_t count;              /* SC_REPEAT                          */
};

struct scenario {
	char *file;
	char *name;
	char *description;
	char **rulev;                /* rule IDs it covers                 */
	size_t rulec;
	struct reg_config *config;   /* loaded (file or inline); NULL: the
				        embedded default                  */
	struct sc_phone *phonev;
	size_t phonec;
	struct sc_step *stepv;
	size_t stepc;
	bool needs_clock;            /* has an advance step                */
	bool needs_state;            /* checks the registrar's bindings    */
	bool needs_calls;            /* dials from the outside network:
				        the in-process registrar only      */
	bool needs_restart;          /* restarts the registrar: the
				        in-process one, with a state file  */
	bool needs_rx_faults;        /* faults on what phones receive: the
				        in-process registrar's sends       */
	bool needs_faults;           /* any link fault at all              */
	uint64_t seed;               /* `seed:`: the faults' dice; 1       */
	struct spos pos;
};

/*
 * Load one scenario file.  On error returns EINVAL and records every
 * problem found on *docp's error list (ydoc_errorc/ydoc_error), so a
 * linter reports them all.  *docp is returned whenever it was created
 * and must be mem_deref'd by the caller.
 */
int scenario_load(struct scenario **scp, struct ydoc **docp,
		  const char *path);

/* a phone by its (expanded) name; NULL: none */
const struct sc_phone *scenario_phone(const struct scenario *sc,
				      const char *name);

/*
 * The scenario files named by paths: a file as given (whatever its name),
 * a folder recursed for *.yaml and *.yml (hidden entries and sub-folders
 * named `configs`, which hold registrar configs, skipped), sorted per
 * folder given.  A path that cannot be read is listed as it is, so that
 * loading it reports why.  *filevp is a NULL-terminated mem array of mem
 * strings: mem_deref(*filevp) frees it all.
 */
int scenario_collect(const char *const *paths, size_t n, char ***filevp,
		     size_t *filecp);

#endif
