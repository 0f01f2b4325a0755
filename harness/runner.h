/**
 * @file runner.h  Runs one scenario: a fresh in-process sim-registrar on
 * loopback with the virtual clock (or an external target in real time),
 * the scenario's phones, its steps, and a verdict that says which step
 * failed, what was expected, what arrived and which rule it breaks.
 */

#ifndef SIPCONFORM_RUNNER_H
#define SIPCONFORM_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct scenario;

struct run_opts {
	const struct sa *target;    /* NULL: an in-process sim-registrar   */
	const struct sa *control;   /* the target's control API, or NULL   */
	bool verbose;               /* every step and phone event, stderr  */
};

enum verdict {
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_SKIP,
	VERDICT_ERROR,              /* the infrastructure failed           */
};

struct run_result {
	enum verdict verdict;
	char *why;                  /* FAIL/SKIP/ERROR: what happened      */
	unsigned line;              /* FAIL: the failing step's line       */
	char *rule;                 /* FAIL: the rule the check stands for */
	uint64_t real_ms;
	uint64_t virtual_ms;        /* virtual time the scenario covered   */
	unsigned steps;             /* steps run                           */
	unsigned messages;          /* SIP requests the phones sent        */
	unsigned unchecked;         /* checks of registrar state (rule,
				       bindings) a target without control
				       API could not answer               */
};

int runner_run(struct run_result **resp, const struct scenario *sc,
	       const struct run_opts *opts);
const char *verdict_name(enum verdict v);

/* sockets the scenario's phones open (own ones, plus shared stacks) */
size_t runner_sockets_needed(const struct scenario *sc);

#endif
