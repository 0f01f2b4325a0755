/**
 * @file rules_print.c  The rules table as tab-separated text
 */

#include <errno.h>
#include <stddef.h>
#include "rules.h"
#include "rules_print.h"


int rules_print(FILE *f)
{
	for (unsigned i = 0; i < RULE_COUNT; i++) {
		const struct rule *r = rule_get((enum rule_id)i);

		if (fprintf(f, "%s\t%u\t%u\t%s\t%s\n", r->name,
			    (unsigned)r->scode, (unsigned)r->twilio_error,
			    r->basis, r->condition) < 0)
			return EIO;
	}

	return 0;
}
