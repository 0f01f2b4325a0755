/**
 * @file check_run.h  The one way the unit test programs run their suite.
 */

#ifndef SIPCONFORM_CHECK_RUN_H
#define SIPCONFORM_CHECK_RUN_H

#include <check.h>

/* run every test of s (forked, CK_NORMAL output); the exit status */
int check_run(Suite *s);

#endif
