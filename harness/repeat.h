/**
 * @file repeat.h  `harness run --repeat N`: a scenario run N times whose
 * verdict or decision sequence (the rule behind each of the registrar's
 * replies) differs between the runs is FLAKY.
 */

#ifndef SIPCONFORM_REPEAT_H
#define SIPCONFORM_REPEAT_H

#include <stdbool.h>
#include <stddef.h>

struct scenario;
struct run_opts;
struct run_result;

enum { REPEAT_MAX = 1000 };

/*
 * Runs sc n - 1 more times (n >= 2) and compares each run with first.
 * *flaky tells whether one differed; why (for a flaky one) names the
 * first run that differed and how.  An error: a rerun could not run.
 */
int repeat_check(bool *flaky, char *why, size_t whysz,
		 const struct scenario *sc, const struct run_opts *ro,
		 const struct run_result *first, unsigned n);

#endif
