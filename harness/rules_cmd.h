/**
 * @file rules_cmd.h  `harness rules [--phone]`: the rules tables the code
 * holds, as text (tests/docs/check_rules.py holds docs/rules/ to them)
 */

#ifndef SIPCONFORM_RULES_CMD_H
#define SIPCONFORM_RULES_CMD_H

/* argv[0] is "rules"; the exit status */
int rules_cmd(int argc, char *argv[]);

#endif
