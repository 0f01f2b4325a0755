/**
 * @file rules_cmd.c  The registrar's and the phone judge's rules tables
 */

#include <stdio.h>
#include <string.h>
#include "rules_print.h"
#include "phone/judges.h"
#include "protocheck/protocheck.h"
#include "rules_cmd.h"


/* one line a P-* row: ID TAB verdict levels TAB guide setting ("-": none)
 * TAB what is judged */
static int phone_rules_print(FILE *f)
{
	for (size_t i = 0; i < judges_count(); i++) {
		const struct judge_row *p = judges_at(i);

		if (fprintf(f, "%s\t%s\t%s\t%s\n", p->id, p->levels,
			    p->setting ? p->setting : "-", p->what) < 0)
			return 1;
	}

	return 0;
}


/* one line a protocol checker row: ID TAB level (M/S) TAB reference TAB
 * the requirement */
static int protocol_rules_print(FILE *f)
{
	size_t n;
	const struct pc_row *rows = protocheck_rows(&n);

	for (size_t i = 0; i < n; i++) {
		if (fprintf(f, "%s\t%s\t%s\t%s\n", rows[i].id,
			    rows[i].level == PC_MUST ? "M" : "S", rows[i].ref,
			    rows[i].text) < 0)
			return 1;
	}

	return 0;
}


int rules_cmd(int argc, char *argv[])
{
	if (argc == 1)
		return rules_print(stdout) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "--phone"))
		return phone_rules_print(stdout);
	if (argc == 2 && !strcmp(argv[1], "--protocol"))
		return protocol_rules_print(stdout);

	fputs("usage: harness rules [--phone|--protocol]\n", stderr);

	return 2;
}
