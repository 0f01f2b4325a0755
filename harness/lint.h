/**
 * @file lint.h  `harness lint`: load scenario files and print their errors
 */

#ifndef SIPCONFORM_LINT_H
#define SIPCONFORM_LINT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Load every scenario named by paths (files as given, folders recursed for
 * *.yaml / *.yml, sorted: scenario_collect()) and print each error as
 * `file:line:col: message` to out, in line order per file.  Returns the
 * number of files with errors (a path that cannot be read counts as one;
 * 1 with nothing checked if memory ran out listing them).
 */
int lint_paths(const char *const *paths, size_t n, FILE *out);

/* the same; *checkedp (may be NULL) gets the number of files checked */
int lint_run(const char *const *paths, size_t n, FILE *out,
	     size_t *checkedp);

/*
 * `harness schema`: the JSON schema of a step; --markdown: the step
 * reference of scenarios/README.md.  Both from the step table
 * (steps/steps.h).  Returns the exit status.
 */
int lint_schema(int argc, char *argv[]);

#endif
