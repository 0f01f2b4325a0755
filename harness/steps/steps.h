/**
 * @file steps.h  The step kinds of the scenario language, as a table
 *
 * Every step kind (`register`, `advance`, `call`, `link`, ...) is one row:
 * its name, the value of its short form, the keys of its mapping form
 * (with their types), where `within:` and `expect:` may stand beside it,
 * its parser, its runner and its text.  The loader checks unknown, missing
 * and wrongly shaped keys from the rows, then hands the values to the
 * row's parser; the runner runs a step by its row; `harness schema` prints
 * the JSON schema of steps and the step reference of scenarios/README.md
 * from the same rows (a unit test compares the README with it).
 *
 * Adding a step kind: a row in the theme's file (steps/<theme>.c) and its
 * parser and runner functions there.  A kind that shares a runner with
 * others tells itself apart by its row (st->kind), or by an enum
 * sc_step_type value if it has one.
 */

#ifndef SIPCONFORM_STEPS_H
#define SIPCONFORM_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <re.h>
#include "scenario.h"

struct loader;
struct runner;
struct ynode;

/* what a key's value is: its shape for the check, words for the docs */
enum step_ktype {
	SK_NONE = 0,       /* no short form: the kind takes a mapping     */
	SK_ANY,            /* anything (ignored)                          */
	SK_SELECTOR,       /* phone selector: a name or a list            */
	SK_TEXT,
	SK_REGEX,          /* POSIX extended regular expression           */
	SK_BOOL,
	SK_UINT,
	SK_STATUS,         /* a SIP status code                           */
	SK_SECONDS,        /* a number of seconds, or whole-second duration */
	SK_DURATION,       /* 500ms, 2s, 10m, 1h; a number: seconds       */
	SK_ENUM,           /* one of the key's values                     */
	SK_RULE,           /* a rule ID of the rules table                */
	SK_PERCENT,        /* "30%"                                       */
	SK_COUNT,          /* 3, ">=3", "<=3"                             */
	SK_HEADER_LINES,   /* a list of "Name: value" lines               */
	SK_HEADER_CHECKS,  /* a mapping: header name -> regex or null     */
	SK_CONTACTS,       /* a list of Contact values                    */
	SK_STEPS,          /* a list of steps                             */
	SK_MAP,            /* a mapping of the key's sub-keys             */
};

enum {
	SKF_REQUIRED   = 1,  /* the mapping form must give it             */
	SKF_NOT_INLINE = 2,  /* not in an `expect:` beside an operation   */
};

struct step_key {
	const char *name;
	enum step_ktype type;
	unsigned flags;              /* SKF_*                              */
	const char *const *values;   /* SK_ENUM: NULL-terminated words     */
	const struct step_key *sub;  /* SK_MAP: its keys ({NULL}-ended)    */
	const char *doc;             /* one line for the README            */
};

/* parse the step's value v (step: the whole step mapping) into st */
typedef int (step_load_h)(struct loader *ld, const struct ynode *step,
			  const struct ynode *v, struct sc_step *st);
/* run one step; EPROTO (through the verdict) when it fails */
typedef int (step_run_h)(struct runner *r, const struct sc_step *st);

enum {
	STEP_OP     = 1,  /* an operation: `parallel` starts it first, a
			     later `expect` checks its phones by default  */
	STEP_WITHIN = 2,  /* `within:` beside it bounds how long it takes */
	STEP_EXPECT = 4,  /* `expect:` beside it checks its response      */
};

struct step_kind {
	const char *name;            /* the step's key, and its report kind */
	enum sc_step_type type;
	enum step_ktype value;       /* short form `name: VALUE`           */
	const char *const *values;   /* value SK_ENUM: its words           */
	const struct step_key *keys; /* mapping form; NULL: none           */
	unsigned flags;              /* STEP_*                             */
	step_load_h *load;
	step_run_h *run;
	const char *doc;             /* what it does (README, schema)      */
	const char *awaits;          /* what it waits for, as a failure
					tells it ("an INVITE"); or NULL   */
};

/* a theme's rows, {NULL}-ended, in steps/<theme>.c */
struct step_theme {
	const char *name;            /* "registration", "calls", ...       */
	const char *doc;
	const struct step_kind *kinds;
};

extern const struct step_theme steps_themes[];   /* {NULL}-ended */

const struct step_kind *steps_find(const char *name);
const struct step_kind *steps_of(enum sc_step_type type);
const struct step_key  *steps_key(const struct step_key *keys,
				  const char *name);
/* a type's word in the README ("duration", "phones") */
const char *steps_type_word(enum step_ktype t);
/* the row of a loaded step (its kind, else by its type) */
const struct step_kind *steps_kind(const struct sc_step *st);

/* the JSON schema of a step (draft 2020-12) */
int steps_print_schema(FILE *f);
/* the step reference of scenarios/README.md (Markdown) */
int steps_print_markdown(FILE *f);

/*
 * The table's check of a mapping's keys: unknown keys, keys of the wrong
 * shape (hidden from ld_arg() afterwards), missing required keys; what
 * names the mapping in messages.  inline_: an `expect:` beside an
 * operation (SKF_NOT_INLINE keys are unknown there).
 */
int steps_check_keys(struct loader *ld, const struct ynode *map,
		     const char *what, const struct step_key *keys,
		     bool inline_);

/* "a, b, c" (or_: "a, b or c") of keys (inline_: those beside an
 * operation) */
void steps_key_list(char *buf, size_t sz, const struct step_key *keys,
		    bool inline_, bool or_);

/* the themes' rows */
extern const struct step_kind steps_registration[];
extern const struct step_kind steps_expectations[];
extern const struct step_kind steps_time[];
extern const struct step_kind steps_flow[];
extern const struct step_kind steps_calls[];
extern const struct step_kind steps_outside[];
extern const struct step_kind steps_faults[];
extern const struct step_kind steps_media[];

/* the keys of `expect:` (the expect row's), for the inline one */
extern const struct step_key steps_expect_keys[];
/* the keys of an expect's `media:` (steps/media.c) */
extern const struct step_key steps_media_expect_keys[];
/* an expect's `media:` for its phone, or phonev (steps/media.c) */
int steps_media_check(struct runner *r, const struct sc_step *st,
		      char *const *phonev, size_t phonec);

#endif
