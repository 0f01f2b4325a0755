/**
 * @file rules_print.h  The rules table as text: `sim-registrar --rules`,
 * `harness rules`; tests/docs/check_rules.py holds docs/rules/registrar.md
 * to it, so the document and the code cannot drift.
 */

#ifndef SIPCONFORM_RULES_PRINT_H
#define SIPCONFORM_RULES_PRINT_H

#include <stdio.h>

/* one line a row: ID TAB reply code (0: none of its own) TAB X-Twilio-Error
 * code (0: none) TAB basis TAB condition */
int rules_print(FILE *f);

#endif
